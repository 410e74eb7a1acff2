//! The verbs jobform sends and the cloud operation that carries each, shared
//! by the planner (which lists the exact requests a plan will send) and the
//! providers (which send them), so the two can never disagree.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Direction, JobKind};

/// What an action asks the cloud to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionVerb {
    /// Pause.
    Suspend,
    /// Resume a paused job.
    Resume,
    /// End the job for good.
    Stop,
}

impl ActionVerb {
    /// The word used in output and JSON.
    pub fn label(self) -> &'static str {
        match self {
            ActionVerb::Suspend => "suspend",
            ActionVerb::Resume => "resume",
            ActionVerb::Stop => "stop",
        }
    }
}

impl fmt::Display for ActionVerb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Whether one request can carry several jobs of `kind` for `verb` in
/// `direction`: DRS batches everything; DTS's `*DtsJobs` forms take no
/// direction, so only forward tasks batch; the legacy APIs take one job each.
pub fn batches(kind: JobKind, direction: Direction) -> bool {
    match kind {
        JobKind::HuaweiDrs => true,
        JobKind::AlibabaDts => direction == Direction::Forward,
        JobKind::AlibabaMigration | JobKind::AlibabaSynchronization => false,
    }
}

/// The cloud operation that carries `verb` for `kind`, in its batch form
/// when `batch` (several jobs in one request). `None` when the kind's API has
/// no such operation (the legacy synchronization API cannot stop a job).
pub fn operation_name(kind: JobKind, verb: ActionVerb, batch: bool) -> Option<&'static str> {
    Some(match (kind, verb, batch) {
        (JobKind::AlibabaDts, ActionVerb::Suspend, false) => "SuspendDtsJob",
        (JobKind::AlibabaDts, ActionVerb::Suspend, true) => "SuspendDtsJobs",
        (JobKind::AlibabaDts, ActionVerb::Resume, false) => "StartDtsJob",
        (JobKind::AlibabaDts, ActionVerb::Resume, true) => "StartDtsJobs",
        (JobKind::AlibabaDts, ActionVerb::Stop, false) => "StopDtsJob",
        (JobKind::AlibabaDts, ActionVerb::Stop, true) => "StopDtsJobs",
        (JobKind::AlibabaMigration, ActionVerb::Suspend, _) => "SuspendMigrationJob",
        (JobKind::AlibabaMigration, ActionVerb::Resume, _) => "StartMigrationJob",
        (JobKind::AlibabaMigration, ActionVerb::Stop, _) => "StopMigrationJob",
        (JobKind::AlibabaSynchronization, ActionVerb::Suspend, _) => "SuspendSynchronizationJob",
        (JobKind::AlibabaSynchronization, ActionVerb::Resume, _) => "StartSynchronizationJob",
        (JobKind::AlibabaSynchronization, ActionVerb::Stop, _) => return None,
        (JobKind::HuaweiDrs, ActionVerb::Suspend, _) => "batch-pause-task",
        (JobKind::HuaweiDrs, ActionVerb::Resume, _) => "batch-retry-task",
        (JobKind::HuaweiDrs, ActionVerb::Stop, _) => "batch-jobs terminate",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_and_verb_has_an_operation_except_legacy_sync_stop() {
        for kind in JobKind::ALL {
            for verb in [ActionVerb::Suspend, ActionVerb::Resume, ActionVerb::Stop] {
                for batch in [false, true] {
                    assert_eq!(
                        operation_name(kind, verb, batch).is_some(),
                        kind.can_stop() || verb != ActionVerb::Stop,
                        "{kind} {verb} batch={batch}"
                    );
                }
            }
        }
        assert!(!batches(JobKind::AlibabaDts, Direction::Reverse));
    }
}
