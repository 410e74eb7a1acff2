//! The clouds' rules, as the planner checks them before proposing anything:
//! which statuses each kind can pause, what each desired state needs from
//! each live state, and the pause-clock deadlines.

use time::{Duration, OffsetDateTime};

use super::change::{Action, Code, Notice, PauseClock};
use crate::model::{
    ActionVerb, DesiredJob, DesiredState, LiveJob, LiveState, PauseMode, WindowPhase,
    human_duration, limit_words, timestamp,
};
use crate::provider::describe;
use crate::state::{ActionOutcome, ActionRecord, PauseSource};

/// How long before a deadline the plan starts warning about it.
pub const WARN_BEFORE: Duration = Duration::hours(1);

/// The action (or blocker) for one job whose live status is known.
pub(super) struct Decision {
    pub(super) action: Action,
    pub(super) reason: String,
    pub(super) blocker: Option<Notice>,
}

impl Decision {
    fn act(action: Action, reason: impl Into<String>) -> Self {
        Decision { action, reason: reason.into(), blocker: None }
    }

    fn block(code: Code, message: impl Into<String>) -> Self {
        let message = message.into();
        Decision {
            action: Action::Blocked,
            reason: message.clone(),
            blocker: Some(Notice::new(code, message)),
        }
    }
}

/// The live status a job block is about: the reverse task's for
/// `direction = "reverse"`.
pub(super) fn managed_status(
    job: &DesiredJob,
    live: &LiveJob,
) -> Result<(String, LiveState), Notice> {
    live.task_status(job.options.direction()).map(|(raw, state)| (raw.to_owned(), state)).ok_or_else(|| {
        Notice::new(
            Code::ReverseRequiresTwoWay,
            format!(
                "direction = \"reverse\" needs a two-way synchronization, but {} {} has no reverse task",
                job.kind(),
                job.id
            ),
        )
    })
}

/// What `job` needs to reach `desired` (its `state`, or `suspended` inside
/// its window), given its live status (`raw`, `state`) and pause clock.
pub(super) fn decide(
    job: &DesiredJob,
    desired: DesiredState,
    live: &LiveJob,
    raw: &str,
    state: LiveState,
    pause: Option<&PauseClock>,
) -> Decision {
    let kind = describe(job.kind());
    let status = format!("{state} ({raw})");
    match (desired, state) {
        (DesiredState::Running, LiveState::Running)
        | (DesiredState::Suspended, LiveState::Suspended)
        | (DesiredState::Stopped, LiveState::Stopped) => {
            Decision::act(Action::NoOp, format!("already {status}"))
        }
        (_, LiveState::Transitioning) => Decision::block(
            Code::Transitioning,
            format!("the job is between states ({raw}); plan again once it settles"),
        ),
        (_, LiveState::Unknown) => Decision::block(
            Code::UnknownStatus,
            format!("the cloud reports a status jobform does not know ({raw}); nothing is assumed"),
        ),
        (DesiredState::Stopped, _) if !job.allow_stop => Decision::block(
            Code::StopNotAllowed,
            "stopping ends the job for good: set allow_stop = true on the block to allow it",
        ),
        (DesiredState::Stopped, _) => match kind.cannot(ActionVerb::Stop) {
            Some(refusal) => Decision::block(Code::StopUnsupported, refusal),
            None => {
                Decision::act(Action::Stop, format!("{status} -> stopped (ends the job for good)"))
            }
        },
        (_, LiveState::Stopped) => Decision::block(
            Code::JobEnded,
            format!("the job has ended ({raw}); an ended job cannot be resumed or paused"),
        ),
        (DesiredState::Running, LiveState::Suspended) => resume(job, raw, pause),
        (DesiredState::Running, LiveState::Failed) => Decision::block(
            Code::JobFailed,
            format!(
                "the job failed ({raw}); fix and retry it deliberately, jobform does not resume failed jobs"
            ),
        ),
        (DesiredState::Running | DesiredState::Suspended, LiveState::NotStarted) => {
            Decision::block(
                Code::JobNotStarted,
                format!("the job has not been started ({raw}); start it from the console first"),
            )
        }
        (DesiredState::Suspended, LiveState::Running | LiveState::Failed) => {
            // Only DTS reports change-tracking tasks.
            if live.change_tracking {
                Decision::block(
                    Code::SubscribeSuspendIsNoop,
                    "SuspendDtsJob on a change-tracking task succeeds without pausing anything",
                )
            } else if kind.is_pausable(raw) {
                Decision::act(Action::Suspend, format!("{status} -> suspended"))
            } else if state == LiveState::Failed {
                Decision::block(
                    Code::JobFailed,
                    format!("the job failed ({raw}) and cannot be paused"),
                )
            } else {
                Decision::block(
                    Code::NotPausable,
                    format!(
                        "{} jobs can be paused only from {}; this one is {raw}",
                        kind.kind,
                        kind.pausable_statuses.join(", ")
                    ),
                )
            }
        }
    }
}

fn resume(job: &DesiredJob, raw: &str, pause: Option<&PauseClock>) -> Decision {
    let restart_window = describe(job.kind()).pause_limits.restart_window;
    if let (Some(clock), Some(window)) = (pause, restart_window) {
        if clock.age > window {
            let exact = match clock.source {
                PauseSource::Jobform => "",
                PauseSource::FirstSeen => " at least",
            };
            return Decision::block(
                Code::RestartWindowExpired,
                format!(
                    "paused for{exact} {}: an incremental task paused longer than {} cannot be restarted",
                    human_duration(clock.age),
                    limit_words(window)
                ),
            );
        }
    }
    Decision::act(Action::Resume, format!("suspended ({raw}) -> running"))
}

/// Warnings about the pause clock of a paused job.
pub(super) fn deadline_warnings(
    job: &DesiredJob,
    live: &LiveJob,
    clock: &PauseClock,
    recorded_mode: Option<PauseMode>,
    now: OffsetDateTime,
) -> Vec<Notice> {
    let mut warnings = Vec::new();
    let lower_bound = if clock.source == PauseSource::FirstSeen { " at least" } else { "" };
    let limits = describe(job.kind()).pause_limits;
    // The DTS limits are the incremental phase's.
    let incremental = live.incremental != Some(false);
    if let (Some(window), true) = (limits.restart_window, incremental) {
        let restart_by = clock.since + window;
        if clock.age <= window && restart_by - now <= WARN_BEFORE {
            warnings.push(
                Notice::new(
                    Code::RestartWindowClosing,
                    format!(
                        "paused for{lower_bound} {}: resume within {} or the task cannot be restarted",
                        human_duration(clock.age),
                        human_duration(restart_by - now)
                    ),
                )
                .with_deadline(restart_by),
            );
        }
    }
    if let (Some(limit), true) = (limits.suspend_limit, incremental) {
        let fails_at = clock.since + limit;
        if fails_at - now <= Duration::days(1) {
            warnings.push(
                Notice::new(
                    Code::SuspendExpiry,
                    format!(
                        "paused for{lower_bound} {}: the cloud fails a task paused for {}",
                        human_duration(clock.age),
                        limit_words(limit)
                    ),
                )
                .with_deadline(fails_at),
            );
        }
    }
    if let (Some(window), Some(PauseMode::All)) = (limits.source_log_window, recorded_mode) {
        let expires = clock.since + window;
        if expires - now <= WARN_BEFORE * 6 {
            warnings.push(
                Notice::new(
                    Code::SourceLogExpiry,
                    format!(
                        "paused with pause_mode = \"all\" for {}: source logs may expire after {} and the job fail to resume",
                        human_duration(clock.age),
                        limit_words(window)
                    ),
                )
                .with_deadline(expires),
            );
        }
    }
    warnings
}

/// The longest the cloud lets `job` stay paused, and what happens past it:
/// for Alibaba, 6 hours for an incremental task (it cannot be restarted
/// after) and 7 days for any other (the cloud fails it); for DRS paused
/// with `pause_mode` (`mode`) = "all", 24 hours (the source logs may
/// expire). `target` stops replay only: capture goes on and no limit applies.
fn pause_limit(job: &DesiredJob, live: &LiveJob, mode: PauseMode) -> Option<(Duration, String)> {
    let limits = describe(job.kind()).pause_limits;
    if let Some(window) = limits.source_log_window {
        return (mode == PauseMode::All).then(|| {
            (
                window,
                format!(
                    "a DRS job paused with pause_mode = \"all\" may lose its source logs after {}",
                    limit_words(window)
                ),
            )
        });
    }
    match (live.incremental != Some(false), limits.restart_window, limits.suspend_limit) {
        (true, Some(window), _) => Some((
            window,
            format!(
                "an incremental task paused longer than {} cannot be restarted",
                limit_words(window)
            ),
        )),
        (_, _, Some(limit)) => {
            Some((limit, format!("the cloud fails a task paused for {}", limit_words(limit))))
        }
        _ => None,
    }
}

/// The `window_too_long` blocker: the window (as declared, or as it will
/// keep this job paused, counted from the recorded pause when the job is
/// paused already) is longer than the cloud allows.
pub(super) fn window_too_long(
    job: &DesiredJob,
    live: &LiveJob,
    phase: WindowPhase,
    pause: Option<&PauseClock>,
    recorded_mode: Option<PauseMode>,
    now: OffsetDateTime,
) -> Option<Notice> {
    let window = job.suspend_window.as_deref()?;
    let mode = recorded_mode.or(job.options.pause_mode_sent(ActionVerb::Suspend));
    let (limit, why) = pause_limit(job, live, mode.unwrap_or_default())?;
    let (start, end, counted) = match phase {
        WindowPhase::Upcoming { opens_at, closes_at } => (opens_at, closes_at, ""),
        WindowPhase::Open { closes_at, .. } => match pause {
            Some(clock) => (clock.since, closes_at, ", counted from the recorded pause"),
            None => (now, closes_at, ""),
        },
        WindowPhase::Ended { .. } => return None,
    };
    let declared = window.declared_length().unwrap_or(Duration::ZERO);
    let length = (end - start).max(declared);
    (length > limit).then(|| {
        let span = if declared > end - start {
            format!("for {} as declared", human_duration(declared))
        } else {
            format!("from {} to {}{counted}", timestamp(start), timestamp(end))
        };
        Notice::new(
            Code::WindowTooLong,
            format!(
                "the window would keep the job paused {span}, longer than {}: {why}. Shorten the window.",
                limit_words(limit)
            ),
        )
    })
}

/// The `resume_overdue` warning: the window a paused job was paused for
/// has closed, and nothing resumed it (a scheduled apply did not run).
pub(super) fn resume_overdue(
    job: &DesiredJob,
    phase: WindowPhase,
    clock: &PauseClock,
    now: OffsetDateTime,
) -> Option<Notice> {
    let window = job.suspend_window.as_deref()?;
    if phase.is_open() || job.state != DesiredState::Running {
        return None;
    }
    let closed = window.first_close_after(clock.since).filter(|&closed| closed <= now)?;
    Some(
        Notice::new(
            Code::ResumeOverdue,
            format!(
                "the window closed at {}, {} ago, and the job is still paused: apply to resume it",
                timestamp(closed),
                human_duration(now - closed)
            ),
        )
        .with_deadline(closed),
    )
}

/// Names an earlier action whose outcome is not known, for the
/// `outcome_unknown` blocker: what, when, the request id, what is known.
pub(super) fn unsettled_description(earlier: &ActionRecord) -> String {
    let at = timestamp(earlier.at);
    let request = earlier
        .request_id
        .as_deref()
        .map_or_else(|| "no request id".to_owned(), |id| format!("request id {id}"));
    let target = Action::from_verb(earlier.verb).target().map_or("its target", LiveState::label);
    match earlier.outcome {
        ActionOutcome::Pending => format!(
            "the {} sent at {at} ({request}) was accepted by the cloud but never seen reaching {target}",
            earlier.verb
        ),
        _ => format!("the {} sent at {at} ({request}) has an unknown outcome", earlier.verb),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::JobKind;
    use crate::provider::describe;

    #[test]
    fn pausable_statuses_are_case_insensitive() {
        assert!(describe(JobKind::AlibabaSynchronization).is_pausable("synchronizing"));
        assert!(!describe(JobKind::AlibabaSynchronization).is_pausable("Initializing"));
        assert!(describe(JobKind::HuaweiDrs).is_pausable("INCRE_TRANSFER_FAILED"));
        assert!(!describe(JobKind::HuaweiDrs).is_pausable("PAUSING"));
    }
}
