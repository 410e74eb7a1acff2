//! What an apply did, job by job, and what that means for the exit status.

use std::fmt;

use serde::Serialize;

use crate::model::{Address, human_duration};
use crate::plan::Action;

/// Why a job was not acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Its live status no longer matches what the plan assumed (or it could
    /// not be re-read): never acted on blindly.
    Stale,
    /// A job it depends on failed or was skipped.
    DependencyFailed,
    /// The apply was interrupted before its turn.
    Interrupted,
    /// The plan blocked it (`--skip-blocked`).
    Blocked,
}

impl SkipReason {
    /// The snake_case word used in output and JSON.
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::Stale => "stale",
            SkipReason::DependencyFailed => "dependency_failed",
            SkipReason::Interrupted => "interrupted",
            SkipReason::Blocked => "blocked",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How one job ended up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum JobOutcome {
    /// The job reached the action's target state.
    Succeeded,
    /// The cloud accepted the action; not waited for (`--no-wait`) or the
    /// apply was interrupted while waiting.
    Pending,
    /// The action failed: refused, the job failed, or it did not settle in time.
    Failed {
        /// What happened.
        detail: String,
    },
    /// Whether the action took effect is unknown; it was not sent again.
    Unknown {
        /// What happened.
        detail: String,
    },
    /// Not acted on.
    Skipped {
        /// Why.
        reason: SkipReason,
        /// The specifics.
        detail: String,
    },
    /// Dropped from the state.
    Forgotten,
    /// Nothing to do: its observed status was recorded.
    Observed,
}

impl JobOutcome {
    /// Whether jobs depending on this one may go ahead.
    pub fn lets_dependents_go(&self) -> bool {
        matches!(self, JobOutcome::Succeeded | JobOutcome::Observed | JobOutcome::Forgotten)
    }
}

/// One job's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobResult {
    /// The job.
    pub address: Address,
    /// What the plan asked for.
    pub action: Action,
    /// What became of it.
    pub outcome: JobOutcome,
}

/// The counts of the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplySummary {
    /// Jobs paused.
    pub suspended: usize,
    /// Jobs resumed.
    pub resumed: usize,
    /// Jobs ended.
    pub stopped: usize,
    /// Actions accepted but not confirmed.
    pub pending: usize,
    /// Actions failed or of unknown outcome.
    pub failed: usize,
    /// Jobs not acted on.
    pub skipped: usize,
    /// Records dropped from the state.
    pub forgotten: usize,
    /// Whether the apply was interrupted.
    pub interrupted: bool,
    /// How it went, which decides the exit status.
    pub status: ApplyStatus,
}

/// How an apply went, for the exit status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplyStatus {
    /// Everything planned was done (jobs skipped with `--skip-blocked` aside).
    #[default]
    Success,
    /// Some things were done, others failed or were skipped.
    Partial,
    /// Nothing planned was done.
    Failed,
}

/// The result of an apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// One result per job of the plan, by address.
    pub results: Vec<JobResult>,
    /// The counts.
    pub summary: ApplySummary,
}

impl ApplyReport {
    /// Builds the report and its counts from the per-job results.
    pub(super) fn new(results: Vec<JobResult>, interrupted: bool) -> Self {
        let mut summary = ApplySummary { interrupted, ..ApplySummary::default() };
        for result in &results {
            let count = match (&result.outcome, result.action) {
                (JobOutcome::Succeeded, Action::Suspend) => &mut summary.suspended,
                (JobOutcome::Succeeded, Action::Resume) => &mut summary.resumed,
                (JobOutcome::Succeeded, Action::Stop) => &mut summary.stopped,
                (JobOutcome::Pending, _) => &mut summary.pending,
                (JobOutcome::Failed { .. } | JobOutcome::Unknown { .. }, _) => &mut summary.failed,
                (JobOutcome::Skipped { .. }, _) => &mut summary.skipped,
                (JobOutcome::Forgotten, _) => &mut summary.forgotten,
                (JobOutcome::Succeeded | JobOutcome::Observed, _) => continue,
            };
            *count += 1;
        }
        summary.status = status(&results, interrupted);
        ApplyReport { results, summary }
    }

    /// How the apply went (see [`ApplySummary::status`]).
    pub fn status(&self) -> ApplyStatus {
        self.summary.status
    }
}

/// Success when nothing failed and nothing was skipped against the user's
/// wish; partial when some of the work was done; failed otherwise.
fn status(results: &[JobResult], interrupted: bool) -> ApplyStatus {
    let shortfall = results.iter().any(|r| match &r.outcome {
        JobOutcome::Failed { .. } | JobOutcome::Unknown { .. } => true,
        JobOutcome::Skipped { reason, .. } => *reason != SkipReason::Blocked,
        JobOutcome::Pending => interrupted,
        _ => false,
    });
    let done = results.iter().any(|r| {
        r.action.sends_request() && matches!(r.outcome, JobOutcome::Succeeded | JobOutcome::Pending)
    });
    match (shortfall, done) {
        (false, _) => ApplyStatus::Success,
        (true, true) => ApplyStatus::Partial,
        (true, false) => ApplyStatus::Failed,
    }
}

/// A duration as people read it in progress lines: `4s`, `2m 5s`, `1h 3m 5s`
/// (see [`human_duration`]).
pub fn short_duration(duration: std::time::Duration) -> String {
    human_duration(time::Duration::try_from(duration).unwrap_or(time::Duration::MAX))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::JobKind;

    #[test]
    fn durations_read_well() {
        for (seconds, text) in
            [(0, "0s"), (4, "4s"), (60, "1m"), (125, "2m 5s"), (3600, "1h"), (3725, "1h 2m 5s")]
        {
            assert_eq!(short_duration(Duration::from_secs(seconds)), text);
        }
    }

    fn report(outcomes: Vec<(Action, JobOutcome)>) -> ApplyReport {
        let results = outcomes
            .into_iter()
            .enumerate()
            .map(|(n, (action, outcome))| JobResult {
                address: Address::new(JobKind::AlibabaDts, format!("j{n}")),
                action,
                outcome,
            })
            .collect();
        ApplyReport::new(results, false)
    }

    #[test]
    fn status_says_whether_all_some_or_none_of_the_plan_was_done() {
        let failed = || JobOutcome::Failed { detail: "refused".to_owned() };
        let skipped = |reason| JobOutcome::Skipped { reason, detail: String::new() };
        let cases = [
            (
                vec![
                    (Action::Suspend, JobOutcome::Succeeded),
                    (Action::NoOp, JobOutcome::Observed),
                ],
                ApplyStatus::Success,
            ),
            (vec![(Action::Suspend, JobOutcome::Pending)], ApplyStatus::Success),
            (
                vec![
                    (Action::Blocked, skipped(SkipReason::Blocked)),
                    (Action::Stop, JobOutcome::Succeeded),
                ],
                ApplyStatus::Success,
            ),
            (
                vec![(Action::Suspend, JobOutcome::Succeeded), (Action::Resume, failed())],
                ApplyStatus::Partial,
            ),
            (
                vec![
                    (Action::Suspend, JobOutcome::Succeeded),
                    (Action::Resume, skipped(SkipReason::Stale)),
                ],
                ApplyStatus::Partial,
            ),
            (
                vec![
                    (Action::Suspend, failed()),
                    (Action::Resume, skipped(SkipReason::DependencyFailed)),
                ],
                ApplyStatus::Failed,
            ),
            (
                vec![(Action::Suspend, JobOutcome::Unknown { detail: String::new() })],
                ApplyStatus::Failed,
            ),
        ];
        for (outcomes, status) in cases {
            let report = report(outcomes);
            assert_eq!(report.status(), status, "{:?}", report.results);
        }
        let summary = report(vec![
            (Action::Suspend, JobOutcome::Succeeded),
            (Action::Resume, failed()),
            (Action::Stop, skipped(SkipReason::Stale)),
            (Action::Forget, JobOutcome::Forgotten),
        ])
        .summary;
        assert_eq!(
            (summary.suspended, summary.failed, summary.skipped, summary.forgotten),
            (1, 1, 1, 1)
        );
    }
}
