//! The plan as data: one [`JobChange`] per job address, each with an
//! [`Action`] and the [`Code`]d reasons and warnings behind it.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::model::{
    ActionVerb, Address, DesiredState, DtsJobType, JobKind, KindOptions, LiveState, ProviderRef,
    WindowPhase,
};
use crate::state::PauseSource;

/// What jobform will do to one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The job is already as declared.
    NoOp,
    /// Pause the job.
    Suspend,
    /// Resume the paused job.
    Resume,
    /// End the job for good (destructive).
    Stop,
    /// The job needs an action the cloud would refuse, or that would do
    /// nothing, or jobform cannot tell: nothing is sent, and the plan fails
    /// unless `--skip-blocked`.
    Blocked,
    /// The job block was removed: drop the job from the state, never touch it.
    Forget,
}

impl Action {
    /// The word used in output and JSON.
    pub fn label(self) -> &'static str {
        match self {
            Action::NoOp => "no-op",
            Action::Suspend => "suspend",
            Action::Resume => "resume",
            Action::Stop => "stop",
            Action::Blocked => "blocked",
            Action::Forget => "forget",
        }
    }

    /// Whether the action sends a request to the cloud.
    pub fn sends_request(self) -> bool {
        matches!(self, Action::Suspend | Action::Resume | Action::Stop)
    }

    /// The action that sends `verb`.
    pub fn from_verb(verb: ActionVerb) -> Self {
        match verb {
            ActionVerb::Suspend => Action::Suspend,
            ActionVerb::Resume => Action::Resume,
            ActionVerb::Stop => Action::Stop,
        }
    }

    /// The verb sent for the action, if it sends one.
    pub fn verb(self) -> Option<ActionVerb> {
        match self {
            Action::Suspend => Some(ActionVerb::Suspend),
            Action::Resume => Some(ActionVerb::Resume),
            Action::Stop => Some(ActionVerb::Stop),
            Action::NoOp | Action::Blocked | Action::Forget => None,
        }
    }

    /// The state the job is in once the action has finished.
    pub fn target(self) -> Option<LiveState> {
        match self {
            Action::Suspend => Some(LiveState::Suspended),
            Action::Resume => Some(LiveState::Running),
            Action::Stop => Some(LiveState::Stopped),
            Action::NoOp | Action::Blocked | Action::Forget => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Stable codes for why a job is blocked and for warnings; documented in the
/// README, part of the JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The cloud does not know the job id.
    JobNotFound,
    /// The live status could not be read.
    ReadFailed,
    /// The job's status does not allow pausing.
    NotPausable,
    /// `direction = "reverse"` on a job without a two-way topology.
    ReverseRequiresTwoWay,
    /// Pausing a change-tracking task is a silent no-op on the cloud.
    SubscribeSuspendIsNoop,
    /// The job has ended; it cannot be resumed or paused.
    JobEnded,
    /// The job failed; resuming it is not done by accident.
    JobFailed,
    /// The job was never started; jobform only pauses and resumes started jobs.
    JobNotStarted,
    /// The job is between two states.
    Transitioning,
    /// The cloud reported a status jobform does not know.
    UnknownStatus,
    /// The incremental task has been paused too long to be restarted.
    RestartWindowExpired,
    /// The restart window of a paused incremental task is closing.
    RestartWindowClosing,
    /// A paused task is nearing the point where the cloud fails it.
    SuspendExpiry,
    /// A DRS job paused with `pause_mode = "all"` risks expired source logs.
    SourceLogExpiry,
    /// `state = "stopped"` without `allow_stop = true`.
    StopNotAllowed,
    /// The kind's API cannot end a job.
    StopUnsupported,
    /// A job this one depends on is blocked, so this one cannot go ahead.
    DependencyBlocked,
    /// `--target` / `--exclude` narrowed the plan.
    PartialPlan,
    /// An earlier request for the job's action has an unknown outcome: it is
    /// not sent again unless the user says so (`--resend-unknown`).
    OutcomeUnknown,
    /// A maintenance window would keep the job paused longer than its
    /// kind allows.
    WindowTooLong,
    /// The job's maintenance window has closed, and the job is still paused.
    ResumeOverdue,
    /// A data source matched no job.
    DataSourceEmpty,
}

impl Code {
    /// The snake_case spelling used in output and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::JobNotFound => "job_not_found",
            Code::ReadFailed => "read_failed",
            Code::NotPausable => "not_pausable",
            Code::ReverseRequiresTwoWay => "reverse_requires_two_way",
            Code::SubscribeSuspendIsNoop => "subscribe_suspend_is_noop",
            Code::JobEnded => "job_ended",
            Code::JobFailed => "job_failed",
            Code::JobNotStarted => "job_not_started",
            Code::Transitioning => "transitioning",
            Code::UnknownStatus => "unknown_status",
            Code::RestartWindowExpired => "restart_window_expired",
            Code::RestartWindowClosing => "restart_window_closing",
            Code::SuspendExpiry => "suspend_expiry",
            Code::SourceLogExpiry => "source_log_expiry",
            Code::StopNotAllowed => "stop_not_allowed",
            Code::StopUnsupported => "stop_unsupported",
            Code::DependencyBlocked => "dependency_blocked",
            Code::PartialPlan => "partial_plan",
            Code::OutcomeUnknown => "outcome_unknown",
            Code::WindowTooLong => "window_too_long",
            Code::ResumeOverdue => "resume_overdue",
            Code::DataSourceEmpty => "data_source_empty",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A coded message: why a job is blocked, or a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The stable code.
    pub code: Code,
    /// The explanation, for people.
    pub message: String,
    /// When the thing warned about happens, if it is a deadline.
    #[serde(with = "time::serde::rfc3339::option")]
    pub deadline: Option<OffsetDateTime>,
}

impl Notice {
    pub(super) fn new(code: Code, message: impl Into<String>) -> Self {
        Notice { code, message: message.into(), deadline: None }
    }

    pub(super) fn with_deadline(mut self, deadline: OffsetDateTime) -> Self {
        self.deadline = Some(deadline);
        self
    }
}

/// The live status a plan was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveStatus {
    /// The cloud's own word.
    pub raw_status: String,
    /// jobform's normalised state.
    pub state: LiveState,
    /// The `JobType` a DTS job was found under, for apply to record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_type: Option<DtsJobType>,
}

/// What the last apply recorded, when it differs from the live status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    /// The recorded raw status.
    pub recorded_raw_status: String,
    /// The recorded state.
    pub recorded_state: LiveState,
    /// When it was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

/// How long a paused job has been paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseClock {
    /// When the pause started, or when jobform first saw the job paused.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// Whether `since` is exact (jobform paused it) or a lower bound.
    pub source: PauseSource,
    /// `now - since`, in whole seconds on disk.
    #[serde(with = "whole_seconds")]
    pub age: Duration,
}

mod whole_seconds {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Duration;

    pub(super) fn serialize<S: Serializer>(age: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(age.whole_seconds())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        i64::deserialize(d).map(Duration::seconds)
    }
}

/// Where a job's maintenance window stood when the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowStatus {
    /// `upcoming`, `open` or `ended`.
    pub phase: WindowPhaseLabel,
    /// When the window opens (upcoming) or opened (open, when known).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub opens_at: Option<OffsetDateTime>,
    /// When it closes (upcoming, open) or closed (ended).
    #[serde(with = "time::serde::rfc3339")]
    pub closes_at: OffsetDateTime,
    /// When the phase changes next (`None` once ended).
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_edge: Option<OffsetDateTime>,
    /// From the plan to `next_edge`, in whole seconds on disk.
    #[serde(with = "optional_whole_seconds")]
    pub until_next_edge: Option<Duration>,
    /// From the plan to when the window lets the job run again (its
    /// closing; `None` once ended), in whole seconds on disk.
    #[serde(with = "optional_whole_seconds")]
    pub until_resume: Option<Duration>,
}

mod optional_whole_seconds {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Duration;

    #[allow(clippy::ref_option, reason = "serde's `with` passes a reference")]
    pub(super) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.whole_seconds()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<i64>::deserialize(d)?.map(Duration::seconds))
    }
}

impl WindowStatus {
    pub(super) fn new(phase: WindowPhase, now: OffsetDateTime) -> Self {
        let (opens_at, closes_at) = match phase {
            WindowPhase::Upcoming { opens_at, closes_at } => (Some(opens_at), closes_at),
            WindowPhase::Open { opened_at, closes_at } => (opened_at, closes_at),
            WindowPhase::Ended { closed_at } => (None, closed_at),
        };
        let label = match phase {
            WindowPhase::Upcoming { .. } => WindowPhaseLabel::Upcoming,
            WindowPhase::Open { .. } => WindowPhaseLabel::Open,
            WindowPhase::Ended { .. } => WindowPhaseLabel::Ended,
        };
        let next_edge = phase.next_edge();
        WindowStatus {
            phase: label,
            opens_at,
            closes_at,
            next_edge,
            until_next_edge: next_edge.map(|edge| edge - now),
            until_resume: (label != WindowPhaseLabel::Ended).then(|| closes_at - now),
        }
    }
}

/// The phase of a window, as plans name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowPhaseLabel {
    /// Not open yet.
    Upcoming,
    /// Open: the job is to be paused.
    Open,
    /// Over, none follows.
    Ended,
}

impl WindowPhaseLabel {
    /// The word used in output and JSON.
    pub fn label(self) -> &'static str {
        match self {
            WindowPhaseLabel::Upcoming => "upcoming",
            WindowPhaseLabel::Open => "open",
            WindowPhaseLabel::Ended => "ended",
        }
    }
}

/// The plan for one job address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobChange {
    /// The job.
    pub address: Address,
    /// Its kind.
    pub kind: JobKind,
    /// The cloud's job id.
    pub id: String,
    /// The provider block that serves it.
    pub provider: ProviderRef,
    /// What its kind's requests carry besides the id (a forget's: what the
    /// state recorded), sent as they are.
    pub options: KindOptions,
    /// What jobform will do.
    pub action: Action,
    /// Why, for people (UI only: apply never reads it).
    pub reason: String,
    /// Why it is blocked, when it is. Boxed, like `drift` and `pause`: most
    /// changes have none, and a 100,000-job plan holds every change at once.
    pub blocker: Option<Box<Notice>>,
    /// The state the job is to be in now: the declared state, or
    /// `suspended` inside its window (`None` for a forget).
    pub desired: Option<DesiredState>,
    /// The job's `suspend_window` at plan time, if it has one. Boxed: few
    /// jobs have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Box<WindowStatus>>,
    /// The live status (`None` when not found, unread, or for a forget).
    pub live: Option<LiveStatus>,
    /// What changed outside jobform since the last apply.
    pub drift: Option<Box<Drift>>,
    /// The pause clock, when the job is paused.
    pub pause: Option<Box<PauseClock>>,
    /// Deadlines and other warnings.
    pub warnings: Vec<Notice>,
    /// The jobs whose actions this one waits for.
    pub depends_on: Vec<Address>,
    /// The job block's `description`, for people (UI only, like `reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the action is sent again on the user's word
    /// (`--resend-unknown`) although an earlier request for it has an
    /// unknown outcome; the audit log says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resend: bool,
}

impl JobChange {
    /// The change of job `id` at `address` to `action`, with nothing else
    /// said yet: no reason, live status, notices, window or dependencies.
    pub fn new(
        address: Address,
        id: String,
        provider: ProviderRef,
        options: KindOptions,
        action: Action,
    ) -> Self {
        JobChange {
            kind: address.kind,
            address,
            id,
            provider,
            options,
            action,
            reason: String::new(),
            blocker: None,
            desired: None,
            window: None,
            live: None,
            drift: None,
            pause: None,
            warnings: Vec::new(),
            depends_on: Vec::new(),
            description: None,
            resend: false,
        }
    }
}
