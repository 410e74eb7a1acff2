//! Desired jobs (what the configuration declares) and live jobs (what the
//! cloud reports), the two inputs the planner diffs.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Address, Cloud, JobKind, KindOptions, SuspendWindow};

/// The state a job block asks for (`state = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DesiredState {
    /// Replicating.
    Running,
    /// Paused, resumable.
    Suspended,
    /// Ended for good (destructive; needs `allow_stop = true`).
    Stopped,
}

impl DesiredState {
    /// Every desired state, in the order the docs list them.
    pub const ALL: [DesiredState; 3] =
        [DesiredState::Running, DesiredState::Suspended, DesiredState::Stopped];

    /// The HCL spelling.
    pub fn label(self) -> &'static str {
        match self {
            DesiredState::Running => "running",
            DesiredState::Suspended => "suspended",
            DesiredState::Stopped => "stopped",
        }
    }
}

impl fmt::Display for DesiredState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Which side of a (possibly two-way) synchronization a job block manages.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The forward task (the default, and the only one of a one-way topology).
    #[default]
    Forward,
    /// The reverse task of a two-way topology.
    Reverse,
}

impl Direction {
    /// The HCL spelling.
    pub fn label(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::Reverse => "reverse",
        }
    }

    /// The spelling Alibaba's `SynchronizationDirection` parameter takes.
    pub fn alibaba_word(self) -> &'static str {
        match self {
            Direction::Forward => "Forward",
            Direction::Reverse => "Reverse",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How a Huawei DRS job is paused (`pause_mode`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PauseMode {
    /// Stop replay only; log capture continues (the safe default).
    #[default]
    Target,
    /// Stop log capture and replay; source logs may expire after 24 h.
    All,
}

impl PauseMode {
    /// The wire and HCL spelling.
    pub fn label(self) -> &'static str {
        match self {
            PauseMode::Target => "target",
            PauseMode::All => "all",
        }
    }
}

impl fmt::Display for PauseMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Which provider block serves a job: `alibaba`, or `alibaba.eu` for an alias.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProviderRef {
    /// The cloud.
    pub cloud: Cloud,
    /// The provider block's `alias`, if any.
    pub alias: Option<String>,
}

impl fmt::Display for ProviderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.alias {
            Some(alias) => write!(f, "{}.{alias}", self.cloud),
            None => write!(f, "{}", self.cloud),
        }
    }
}

impl Serialize for ProviderRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProviderRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let (cloud, alias) = match text.split_once('.') {
            Some((cloud, alias)) => (cloud, Some(alias.to_owned())),
            None => (text.as_str(), None),
        };
        let cloud = cloud
            .parse()
            .map_err(|()| serde::de::Error::custom(format!("unknown provider `{text}`")))?;
        Ok(ProviderRef { cloud, alias })
    }
}

/// Where something was declared: `file:line:column` (1-based). Every job
/// declared in a file shares its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SourceLocation {
    /// The file, as the user named it (relative to the working directory).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl SourceLocation {
    /// The location `line:column` of `file` (a position past `u32::MAX`,
    /// in a file of more than 4 GiB, reads as `u32::MAX`).
    pub fn new(file: impl Into<Arc<str>>, line: usize, column: usize) -> Self {
        let saturate = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        SourceLocation { file: file.into(), line: saturate(line), column: saturate(column) }
    }
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One job instance as the configuration declares it, fully evaluated and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredJob {
    /// `KIND.NAME` or `KIND.NAME["key"]`.
    pub address: Address,
    /// The cloud's job id (`DtsJobId`, `MigrationJobId`, `SynchronizationJobId`, DRS job UUID).
    pub id: String,
    /// The state the job must be in.
    pub state: DesiredState,
    /// What its kind's requests carry besides the id, as they are sent.
    pub options: KindOptions,
    /// `allow_stop = true`: ending the job is permitted.
    pub allow_stop: bool,
    /// The jobs whose actions must finish first (block addresses select every instance).
    pub depends_on: Vec<Address>,
    /// Free text shown in plans.
    pub description: Option<String>,
    /// The provider block that serves the job.
    pub provider: ProviderRef,
    /// Where the job block was declared.
    pub declared_at: SourceLocation,
    /// `suspend_window`: when the job is to be paused whatever `state`
    /// says. Boxed: few jobs have one.
    pub suspend_window: Option<Box<SuspendWindow>>,
}

impl DesiredJob {
    /// The job's kind.
    pub fn kind(&self) -> JobKind {
        self.address.kind
    }
}

/// jobform's normalised view of a cloud status word. The raw word is always
/// kept next to it ([`LiveJob::raw_status`]); an unrecognised word maps to
/// [`LiveState::Unknown`], never to a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveState {
    /// Created but never started (`NotStarted`, `PreCheckPass`, `CONFIGURATION`, …).
    NotStarted,
    /// Replicating (`Synchronizing`, `Migrating`, `INCRE_TRANSFER_STARTED`, …).
    Running,
    /// Paused and resumable (`Suspending`, `PAUSING` — both mean *paused*).
    Suspended,
    /// Ended for good (`Finished`, `RELEASE_RESOURCE_COMPLETE`, …).
    Stopped,
    /// Between two states (`Prechecking`, `Retrying`, `STARTJOBING`, …).
    Transitioning,
    /// Failed (`Failed`, `MigrationFailed`, `INCRE_TRANSFER_FAILED`, …).
    Failed,
    /// A status word jobform does not know.
    Unknown,
}

impl LiveState {
    /// The lower-case spelling used in plans and JSON.
    pub fn label(self) -> &'static str {
        match self {
            LiveState::NotStarted => "not_started",
            LiveState::Running => "running",
            LiveState::Suspended => "suspended",
            LiveState::Stopped => "stopped",
            LiveState::Transitioning => "transitioning",
            LiveState::Failed => "failed",
            LiveState::Unknown => "unknown",
        }
    }
}

impl fmt::Display for LiveState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The `JobType` an Alibaba DTS job is listed under. A fact of the job
/// (it never changes), kept in the model so the state can record it and
/// the next read asks each id under its own type. One byte: the state of
/// 100,000 jobs carries it without an allocation each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DtsJobType {
    /// `MIGRATION`.
    Migration,
    /// `SYNC`.
    Sync,
    /// `SUBSCRIBE` (change tracking).
    Subscribe,
}

impl DtsJobType {
    /// Every type, in the order a read of an id of unknown type asks them.
    pub const ALL: [DtsJobType; 3] =
        [DtsJobType::Migration, DtsJobType::Sync, DtsJobType::Subscribe];

    /// The wire word (also the state's spelling).
    pub fn word(self) -> &'static str {
        match self {
            DtsJobType::Migration => "MIGRATION",
            DtsJobType::Sync => "SYNC",
            DtsJobType::Subscribe => "SUBSCRIBE",
        }
    }

    /// The type a wire word names (`None`: not a DTS job type).
    pub fn from_word(word: &str) -> Option<DtsJobType> {
        DtsJobType::ALL.into_iter().find(|job_type| job_type.word() == word)
    }
}

/// One job as the cloud reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveJob {
    /// The API family that reported it.
    pub kind: JobKind,
    /// The cloud's job id.
    pub id: String,
    /// The cloud's own status word, verbatim (`Synchronizing`, `PAUSING`, …).
    pub raw_status: String,
    /// The normalised state of `raw_status`.
    pub state: LiveState,
    /// The reverse task of a two-way topology, when the job has one.
    pub reverse: Option<LiveReverse>,
    /// Whether the cloud says the topology is two-way (`None`: the API does not say).
    pub two_way: Option<bool>,
    /// A change-tracking (subscribe) task: `SuspendDtsJob` is a silent no-op on it.
    pub change_tracking: bool,
    /// Whether the job is in (or past) its incremental phase, where the 6-hour
    /// restart window applies (`None`: the API does not say).
    pub incremental: Option<bool>,
    /// The `JobType` a DTS job was found under (`None` for other kinds).
    pub dts_job_type: Option<DtsJobType>,
}

impl LiveJob {
    /// The raw status and state of the task a block with `direction` manages:
    /// the job's own, or its reverse task's (`None` when the topology has no
    /// reverse task).
    pub fn task_status(&self, direction: Direction) -> Option<(&str, LiveState)> {
        match direction {
            Direction::Forward => Some((&self.raw_status, self.state)),
            Direction::Reverse => self
                .reverse
                .as_ref()
                .filter(|_| self.two_way != Some(false))
                .map(|reverse| (reverse.raw_status.as_str(), reverse.state)),
        }
    }
}

/// The reverse task of a two-way DTS synchronization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveReverse {
    /// The cloud's own status word of the reverse task.
    pub raw_status: String,
    /// The normalised state of `raw_status`.
    pub state: LiveState,
}
