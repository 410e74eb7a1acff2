//! What jobform knows about one job kind, as plain data: its status words,
//! which verbs its API has and from which statuses, the operation carrying
//! each verb, what batches, the pause clock's limits and the kind's own
//! arguments. Each cloud folder describes its kinds (`provider/<cloud>/kinds.rs`)
//! and [`describe`](super::describe) hands them out, so config, planner,
//! renderers and the apply engine ask one place instead of matching on kinds.

use time::Duration;

use super::{ActionVerb, Direction, JobKind, LiveState};

/// Everything kind-specific outside the cloud's client.
#[derive(Debug)]
pub struct KindDescription {
    /// The kind described.
    pub kind: JobKind,
    /// The state each of the cloud's status words means (case-insensitive;
    /// a word it does not know is `Unknown`).
    pub live_state: fn(&str) -> LiveState,
    /// The raw statuses from which the pause API accepts a pause (compared
    /// case-insensitively: the legacy APIs spell some in lower camel case).
    pub pausable_statuses: &'static [&'static str],
    /// The operations carrying suspend, resume and stop, or, when the API
    /// has no way to do it, what to do instead (config, planner and
    /// provider all refuse with [`KindDescription::cannot`]'s wording).
    pub suspend: Result<Operation, &'static str>,
    /// See [`KindDescription::suspend`].
    pub resume: Result<Operation, &'static str>,
    /// See [`KindDescription::suspend`].
    pub stop: Result<Operation, &'static str>,
    /// Whether a block can manage the reverse task of a two-way synchronization.
    pub two_way: bool,
    /// The limits of the pause clock.
    pub pause_limits: PauseLimits,
    /// The arguments only this kind (and maybe a few others) accepts.
    pub attributes: &'static [KindAttribute],
    /// Why `id` cannot be one of this kind's job ids (`Err` completes the
    /// sentence "\"ID\" …"), or `Ok`.
    pub check_id: fn(&str) -> Result<(), &'static str>,
}

/// The operation that carries one verb, in the forms the API has.
#[derive(Debug, Clone, Copy)]
pub enum Operation {
    /// One job a request (the legacy APIs).
    Single(&'static str),
    /// Any number of jobs a request, one included (DRS).
    Batch(&'static str),
    /// A one-job form and a several-jobs form that takes no direction, so
    /// reverse tasks go one a request (DTS's `SuspendDtsJob` / `SuspendDtsJobs`).
    SingleOrForwardBatch {
        /// The one-job form.
        single: &'static str,
        /// The several-jobs form.
        batch: &'static str,
    },
}

impl Operation {
    /// The operation's name for a request carrying `jobs` jobs: the batch
    /// form for several, the single form for one where there is one.
    pub fn name(self, jobs: usize) -> &'static str {
        match self {
            Operation::Single(name) | Operation::Batch(name) => name,
            Operation::SingleOrForwardBatch { single, batch } => {
                if jobs > 1 {
                    batch
                } else {
                    single
                }
            }
        }
    }

    /// Whether one request can carry several jobs in `direction`.
    pub fn batches(self, direction: Direction) -> bool {
        match self {
            Operation::Single(_) => false,
            Operation::Batch(_) => true,
            Operation::SingleOrForwardBatch { .. } => direction == Direction::Forward,
        }
    }
}

/// How long a paused job may stay paused, per rule of the cloud.
#[derive(Debug, Clone, Copy)]
pub struct PauseLimits {
    /// An incremental task paused longer than this cannot be restarted.
    pub restart_window: Option<Duration>,
    /// The cloud fails a task paused this long.
    pub suspend_limit: Option<Duration>,
    /// Paused with `pause_mode = "all"`, the source logs may expire after this long.
    pub source_log_window: Option<Duration>,
}

/// An argument some kinds accept and others reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindAttribute {
    /// Alibaba's `DtsInstanceId`.
    InstanceId,
    /// Huawei's pause mode.
    PauseMode,
}

impl KindAttribute {
    /// Every such argument.
    pub const ALL: [KindAttribute; 2] = [KindAttribute::InstanceId, KindAttribute::PauseMode];

    /// The HCL name.
    pub fn label(self) -> &'static str {
        match self {
            KindAttribute::InstanceId => "instance_id",
            KindAttribute::PauseMode => "pause_mode",
        }
    }
}

impl KindDescription {
    /// The operation carrying `verb` (`None`: the API cannot do it).
    pub fn operation(&self, verb: ActionVerb) -> Option<Operation> {
        self.support(verb).ok()
    }

    /// Why the kind's API cannot do `verb`, and what to do instead (`None`:
    /// it can): the one wording config, planner and provider all refuse with.
    pub fn cannot(&self, verb: ActionVerb) -> Option<String> {
        let advice = self.support(verb).err()?;
        Some(format!("the {} API cannot {verb} a job: {advice}", self.kind))
    }

    fn support(&self, verb: ActionVerb) -> Result<Operation, &'static str> {
        match verb {
            ActionVerb::Suspend => self.suspend,
            ActionVerb::Resume => self.resume,
            ActionVerb::Stop => self.stop,
        }
    }

    /// Whether one request can carry several jobs for `verb` in `direction`.
    pub fn batches(&self, verb: ActionVerb, direction: Direction) -> bool {
        self.operation(verb).is_some_and(|operation| operation.batches(direction))
    }

    /// Whether the pause API accepts a pause from `raw_status`.
    pub fn is_pausable(&self, raw_status: &str) -> bool {
        self.pausable_statuses.iter().any(|s| s.eq_ignore_ascii_case(raw_status))
    }

    /// Whether the kind accepts `attribute`.
    pub fn accepts(&self, attribute: KindAttribute) -> bool {
        self.attributes.contains(&attribute)
    }
}
