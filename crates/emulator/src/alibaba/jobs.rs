//! Alibaba job state machines: which statuses each kind can be paused, resumed
//! or stopped from, the reverse task of two-way synchronizations, and the
//! pause rules of incremental tasks (no restart after 6 h, failure after 7 days).

use std::time::Duration;

use time::OffsetDateTime;
use time::macros::{format_description, offset};

use super::error::ApiError;
use crate::task::Task;
use crate::world::{AlibabaJob, AlibabaKind, Topology};

/// A paused incremental task older than this cannot be restarted.
pub(crate) const RESTART_WINDOW: Duration = Duration::from_secs(6 * 3600);
/// A paused incremental task older than this fails.
pub(crate) const FAIL_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// The paused status word of every Alibaba kind.
pub(crate) const PAUSED: &str = "Suspending";
/// The status of an ended task.
const ENDED: &str = "Finished";

/// What a control action asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verb {
    /// Pause (`Suspend*`).
    Suspend,
    /// Start or resume (`Start*`).
    Start,
    /// End for good (`Stop*`).
    Stop,
}

/// Which task of a job (`SynchronizationDirection`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// The source-to-destination task (default).
    Forward,
    /// The reverse task of a two-way synchronization.
    Reverse,
}

impl Direction {
    /// Parses the optional `SynchronizationDirection` parameter.
    pub(crate) fn parse(value: Option<&str>) -> Result<Direction, ApiError> {
        match value {
            None | Some("" | "Forward") => Ok(Direction::Forward),
            Some("Reverse") => Ok(Direction::Reverse),
            Some(_) => Err(ApiError::invalid("SynchronizationDirection")),
        }
    }

    /// The wire word.
    pub(crate) fn word(self) -> &'static str {
        match self {
            Direction::Forward => "Forward",
            Direction::Reverse => "Reverse",
        }
    }
}

/// Whether an accepted action changes anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// The task starts a transition.
    Changes,
    /// Accepted and ignored (SuspendDtsJob on a change-tracking task).
    Nothing,
}

/// One Alibaba job in the emulator.
#[derive(Clone, Debug)]
pub(crate) struct AlibabaJobState {
    /// The job as declared.
    pub(crate) spec: AlibabaJob,
    /// Creation time as the job's API family writes it, written once: every
    /// listing item shows it.
    pub(crate) created: String,
    /// The forward (or only) task.
    pub(crate) forward: Task,
    /// The reverse task of a two-way synchronization.
    pub(crate) reverse: Option<Task>,
}

impl AlibabaJobState {
    /// The job as declared, at emulated time `start`.
    pub(crate) fn new(spec: AlibabaJob, start: OffsetDateTime) -> AlibabaJobState {
        let paused_at = |status: &str| (status == PAUSED).then(|| spec.paused_at.unwrap_or(start));
        let forward = Task::new(&spec.status, paused_at(&spec.status));
        let reverse = (spec.topology == Topology::TwoWay).then(|| {
            let status = spec.reverse_status.as_deref().unwrap_or(&spec.status);
            Task::new(status, paused_at(status))
        });
        let created = created_text(spec.kind, spec.created_at.unwrap_or(start));
        AlibabaJobState { spec, created, forward, reverse }
    }

    /// Brings both tasks up to emulated time `now`.
    pub(crate) fn settle(&mut self, now: OffsetDateTime) {
        let kind = self.spec.kind;
        let incremental = self.spec.incremental;
        for task in std::iter::once(&mut self.forward).chain(self.reverse.as_mut()) {
            task.settle(now);
            let expired = task.paused_at.is_some_and(|paused| now - paused >= FAIL_AFTER);
            if incremental && task.status == PAUSED && expired {
                failed_status(kind).clone_into(&mut task.status);
                task.paused_at = None;
            }
        }
    }

    /// The task of `direction`, or the error the API gives when it does not exist.
    pub(crate) fn task(&self, direction: Direction) -> Result<&Task, ApiError> {
        match direction {
            Direction::Forward => Ok(&self.forward),
            Direction::Reverse => {
                self.reverse.as_ref().ok_or_else(|| ApiError::invalid("SynchronizationDirection"))
            }
        }
    }

    /// Checks the action's preconditions against the task's current status.
    pub(crate) fn check(
        &self,
        verb: Verb,
        direction: Direction,
        now: OffsetDateTime,
    ) -> Result<Effect, ApiError> {
        let kind = self.spec.kind;
        let task = self.task(direction)?;
        if verb == Verb::Suspend && kind == AlibabaKind::Subscribe {
            return Ok(Effect::Nothing);
        }
        if task.is_settling() {
            return Err(ApiError::denied(
                "OperationDenied.JobStatus",
                "The task is changing status (%s); wait until the previous operation completes.",
                &task.status,
            ));
        }
        let status = task.status.as_str();
        let allowed = match verb {
            Verb::Suspend => status == running_status(kind),
            Verb::Start => matches!(status, PAUSED | "NotStarted" | "PreCheckPass"),
            Verb::Stop => status != ENDED,
        };
        if !allowed {
            return Err(ApiError::denied(
                "OperationDenied.JobStatus",
                "The operation is not allowed when the task status is %s.",
                status,
            ));
        }
        let paused_too_long = task.paused_at.is_some_and(|paused| now - paused > RESTART_WINDOW);
        if verb == Verb::Start && status == PAUSED && self.spec.incremental && paused_too_long {
            return Err(ApiError::denied(
                "OperationDenied.PauseExpired",
                "The incremental task has been paused for more than %s and can no longer be restarted.",
                "6 hours",
            ));
        }
        Ok(Effect::Changes)
    }

    /// Starts the transition of an action that passed [`Self::check`].
    pub(crate) fn apply(
        &mut self,
        verb: Verb,
        direction: Direction,
        now: OffsetDateTime,
        delay: Duration,
    ) {
        let kind = self.spec.kind;
        let task = match direction {
            Direction::Forward => &mut self.forward,
            Direction::Reverse => self.reverse.as_mut().expect("checked: the reverse task exists"),
        };
        match verb {
            Verb::Suspend => task.begin(now, delay, None, PAUSED, true),
            Verb::Start => task.begin(now, delay, None, running_status(kind), false),
            Verb::Stop => task.begin(now, delay, None, ENDED, false),
        }
    }
}

/// A creation time as the API of `kind` writes it: DTS
/// `2024-01-02T03:04:05.000+00:00`, legacy `yyyy-MM-dd HH:mm:ss.0` in UTC+8.
fn created_text(kind: AlibabaKind, at: OffsetDateTime) -> String {
    let written = match kind {
        AlibabaKind::Migration | AlibabaKind::Sync | AlibabaKind::Subscribe => {
            let format =
                format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].000+00:00");
            at.to_offset(offset!(UTC)).format(format)
        }
        AlibabaKind::LegacyMigration | AlibabaKind::LegacySynchronization => {
            let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second].0");
            at.to_offset(offset!(+8)).format(format)
        }
    };
    written.unwrap_or_default()
}

/// The status of a healthy running task of `kind`.
pub(crate) fn running_status(kind: AlibabaKind) -> &'static str {
    match kind {
        AlibabaKind::Migration | AlibabaKind::LegacyMigration => "Migrating",
        AlibabaKind::Sync | AlibabaKind::LegacySynchronization => "Synchronizing",
        AlibabaKind::Subscribe => "Normal",
    }
}

/// The status a task of `kind` fails into.
fn failed_status(kind: AlibabaKind) -> &'static str {
    match kind {
        AlibabaKind::Migration | AlibabaKind::LegacyMigration => "MigrationFailed",
        AlibabaKind::Sync | AlibabaKind::LegacySynchronization => "Failed",
        AlibabaKind::Subscribe => "Abnormal",
    }
}
