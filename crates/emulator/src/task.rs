//! One replication task's status and its in-flight transition.
//!
//! Pausing, resuming and stopping are not instantaneous on the real clouds.
//! A transition is recorded as pending and settles when emulated time reaches
//! its deadline; until then the task reports an interim status (its previous
//! status unless the cloud has a word for the in-between state).

use std::time::Duration;

use time::OffsetDateTime;

/// A task's status as the cloud reports it, plus what it is turning into.
#[derive(Clone, Debug)]
pub(crate) struct Task {
    /// The status word the API reports right now.
    pub(crate) status: String,
    /// When the task came to rest in its paused status (None when not paused).
    pub(crate) paused_at: Option<OffsetDateTime>,
    pending: Option<Pending>,
}

#[derive(Clone, Debug)]
struct Pending {
    target: String,
    settles_at: OffsetDateTime,
    pauses: bool,
}

impl Task {
    /// A task at rest in `status`.
    pub(crate) fn new(status: &str, paused_at: Option<OffsetDateTime>) -> Task {
        Task { status: status.to_owned(), paused_at, pending: None }
    }

    /// Puts the task in `status` at once, any word at all, dropping a
    /// transition in flight (a test making the cloud answer what it likes).
    pub(crate) fn force(&mut self, status: &str) {
        status.clone_into(&mut self.status);
        self.paused_at = None;
        self.pending = None;
    }

    /// Completes the pending transition if its time has come.
    pub(crate) fn settle(&mut self, now: OffsetDateTime) {
        if let Some(pending) = self.pending.take_if(|pending| pending.settles_at <= now) {
            self.status = pending.target;
            self.paused_at = pending.pauses.then_some(pending.settles_at);
        }
    }

    /// Whether a transition is still in flight.
    pub(crate) fn is_settling(&self) -> bool {
        self.pending.is_some()
    }

    /// Starts a transition to `target`, showing `interim` (or the current status)
    /// meanwhile; `pauses` marks the target as the paused resting state.
    pub(crate) fn begin(
        &mut self,
        now: OffsetDateTime,
        delay: Duration,
        interim: Option<&str>,
        target: &str,
        pauses: bool,
    ) {
        if let Some(interim) = interim {
            interim.clone_into(&mut self.status);
        }
        self.paused_at = None;
        // Past the end of the calendar a transition settles at once.
        let settles_at = time::Duration::try_from(delay)
            .ok()
            .and_then(|delay| now.checked_add(delay))
            .unwrap_or(now);
        self.pending = Some(Pending { target: target.to_owned(), settles_at, pauses });
        self.settle(now);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use time::macros::datetime;

    use super::Task;

    #[test]
    fn a_transition_settles_after_its_delay() {
        let now = datetime!(2026-01-01 00:00 UTC);
        let mut task = Task::new("Migrating", None);
        task.begin(now, Duration::from_secs(2), None, "Suspending", true);
        assert_eq!(task.status, "Migrating");
        assert!(task.is_settling());
        task.settle(now + Duration::from_secs(1));
        assert_eq!(task.status, "Migrating");
        task.settle(now + Duration::from_secs(2));
        assert_eq!(task.status, "Suspending");
        assert_eq!(task.paused_at, Some(now + Duration::from_secs(2)));
        assert!(!task.is_settling());
    }

    #[test]
    fn a_zero_delay_settles_at_once_and_shows_no_interim() {
        let now = datetime!(2026-01-01 00:00 UTC);
        let mut task = Task::new("PAUSING", Some(now));
        task.begin(now, Duration::ZERO, Some("STARTJOBING"), "INCRE_TRANSFER_STARTED", false);
        assert_eq!(task.status, "INCRE_TRANSFER_STARTED");
        assert_eq!(task.paused_at, None);
    }
}
