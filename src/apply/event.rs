//! What the engine reports while it runs: one [`ApplyEvent`] per step,
//! delivered to an [`ApplyHooks`] (Terraform's `Hook`), so the engine never
//! prints and every renderer sees the same facts.

use std::time::Duration;

use serde::Serialize;

use super::report::{ApplySummary, SkipReason};
use crate::model::{ActionVerb, Address};
use crate::state::ActionOutcome;

/// One step of an apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ApplyEvent {
    /// The apply begins.
    ApplyStart {
        /// Waves of requests the plan has.
        waves: usize,
        /// Jobs the plan acts on.
        actions: usize,
        /// Whether only observed statuses are recorded.
        refresh_only: bool,
    },
    /// A wave begins: its jobs were re-read and are about to be acted on.
    WaveStart {
        /// 0-based.
        index: usize,
        /// The jobs of the wave.
        jobs: Vec<Address>,
    },
    /// The cloud accepted an action.
    ActionSent {
        /// The job.
        address: Address,
        /// What was asked.
        verb: ActionVerb,
        /// The cloud operation (`SuspendDtsJob`, `batch-pause-task`, …).
        operation: &'static str,
        /// The cloud's request id.
        request_id: Option<String>,
    },
    /// A job has not reached its target yet (reported when its status word changes).
    ActionProgress {
        /// The job.
        address: Address,
        /// What was asked.
        verb: ActionVerb,
        /// The status the cloud reports now.
        raw_status: String,
        /// Time since the action was sent.
        #[serde(with = "seconds")]
        elapsed: Duration,
    },
    /// An action is finished: the job reached its target, or (`--no-wait`)
    /// the cloud accepted it and it is recorded as pending.
    ActionComplete {
        /// The job.
        address: Address,
        /// What was asked.
        verb: ActionVerb,
        /// `succeeded` or `pending`.
        outcome: ActionOutcome,
        /// The status last read (`None` when not waited for).
        raw_status: Option<String>,
        /// Time since the action was sent.
        #[serde(with = "seconds")]
        elapsed: Duration,
    },
    /// An action failed, its outcome is unknown, or the job did not settle in time.
    ActionErrored {
        /// The job.
        address: Address,
        /// What was asked.
        verb: ActionVerb,
        /// How it is recorded: `failed`, `unknown`, or `pending` (timed out).
        outcome: ActionOutcome,
        /// What happened, with the cloud's code, message and request id.
        detail: String,
        /// The cloud's request id, when there was one.
        request_id: Option<String>,
    },
    /// The status reads of jobs being watched fail or hang: said within
    /// seconds, rather than polling silently until the wait timeout.
    ReadTrouble {
        /// How many watched jobs could not be read.
        jobs: usize,
        /// The error, with its code and request id; `None` while a read is
        /// still retrying with no answer.
        error: Option<String>,
        /// How much longer the jobs are watched (what is left of the wait timeout).
        #[serde(with = "seconds")]
        retry_for: Duration,
    },
    /// A job was not acted on.
    JobSkipped {
        /// The job.
        address: Address,
        /// Why.
        reason: SkipReason,
        /// The specifics.
        detail: String,
    },
    /// A record was dropped from the state (the job was not touched).
    JobForgotten {
        /// The job.
        address: Address,
    },
    /// The apply is over.
    ChangeSummary(ApplySummary),
}

/// Receives the events of an apply.
pub trait ApplyHooks {
    /// Called once per event, in order.
    fn event(&mut self, event: &ApplyEvent);
}

/// Durations in JSON: whole and fractional seconds.
mod seconds {
    use std::time::Duration;

    use serde::Serializer;

    pub(super) fn serialize<S: Serializer>(duration: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(duration.as_secs_f64())
    }
}
