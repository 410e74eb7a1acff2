//! What the state holds: one record per job address, the audit log's
//! entries, and the change set one durable write carries.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::{
    ActionVerb, Address, Direction, DtsJobType, JobKind, KindOptions, LiveState, PauseMode,
    ProviderRef,
};

/// The newest state format this build reads and the one it writes. Version 1
/// held the audit log inside the state document; version 2 keeps it in a
/// file of its own (version 1 files are read, and migrated on their first
/// write); version 3 adds the audit verb `import` (`jobform import`), which
/// a version 2 reader would refuse (versions 1 and 2 are read as they are).
pub const FORMAT_VERSION: u32 = 3;

/// What jobform has observed of every job and the last action it sent: the
/// working copy commands read and the engine updates. The audit log is not
/// part of it (see [`StateStore::audit`](super::StateStore::audit)), so its
/// size costs a command nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// The state format (see [`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The jobform version that last wrote the file.
    pub jobform_version: String,
    /// Bumped on every write that changes the content.
    pub serial: u64,
    /// A UUID made when the state was created; a saved plan or another state
    /// file with a different lineage describes different jobs.
    pub lineage: String,
    /// One record per job address, sorted by address.
    pub jobs: BTreeMap<Address, JobRecord>,
}

impl State {
    /// An empty state with a fresh lineage.
    pub fn new() -> Self {
        State {
            format_version: FORMAT_VERSION,
            jobform_version: env!("CARGO_PKG_VERSION").to_owned(),
            serial: 0,
            lineage: uuid::Uuid::new_v4().to_string(),
            jobs: BTreeMap::new(),
        }
    }

    /// Applies one committed change set, moving its records in (a replayed
    /// journal line of a large apply holds thousands); returns its audit
    /// entries.
    pub fn apply(&mut self, changes: ChangeSet) -> Vec<AuditEntry> {
        for address in &changes.removed {
            self.jobs.remove(address);
        }
        self.jobs.extend(changes.jobs);
        changes.audit
    }
}

/// What one durable write changes: the job records written or removed and
/// the audit entries appended. A write costs what changed, never what exists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeSet {
    /// Job records written, whole.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub jobs: BTreeMap<Address, JobRecord>,
    /// Job records removed.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub removed: BTreeSet<Address>,
    /// Audit entries appended, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit: Vec<AuditEntry>,
}

impl ChangeSet {
    /// Whether the write would change nothing.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty() && self.removed.is_empty() && self.audit.is_empty()
    }
}

/// The state with its whole audit log as one document, in the shape of a
/// version 1 state file: what `show --json` prints.
#[derive(Debug, Serialize)]
pub struct StateDocument<'a> {
    format_version: u32,
    jobform_version: &'a str,
    serial: u64,
    lineage: &'a str,
    jobs: &'a BTreeMap<Address, JobRecord>,
    audit: &'a [AuditEntry],
}

impl<'a> StateDocument<'a> {
    /// `state` with `audit`.
    pub fn new(state: &'a State, audit: &'a [AuditEntry]) -> Self {
        StateDocument {
            format_version: state.format_version,
            jobform_version: &state.jobform_version,
            serial: state.serial,
            lineage: &state.lineage,
            jobs: &state.jobs,
            audit,
        }
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// What jobform knows of one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobRecord {
    /// The job's kind.
    pub kind: JobKind,
    /// The cloud's job id.
    pub id: String,
    /// The provider block that serves it.
    pub provider: ProviderRef,
    /// The managed direction.
    pub direction: Direction,
    /// The last status read from the cloud.
    pub observed: Observation,
    /// When the job was paused, and how jobform knows. Kept only while the
    /// pause lasts: cleared once the job is seen running again.
    pub paused: Option<PauseRecord>,
    /// The last action jobform sent for the job.
    pub last_action: Option<ActionRecord>,
}

/// A status read from the cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// The cloud's own word.
    pub raw_status: String,
    /// jobform's normalised state.
    pub state: LiveState,
    /// When it was read.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The `JobType` a DTS job was found under (`MIGRATION`, `SYNC`,
    /// `SUBSCRIBE`), once known: the next read asks the id under it alone.
    /// Absent for other kinds and in states written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_type: Option<DtsJobType>,
}

/// The pause clock of a paused job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseRecord {
    /// When the pause started (or, for [`PauseSource::FirstSeen`], when jobform first saw it).
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// Who paused it.
    pub source: PauseSource,
    /// The Huawei pause mode used, when jobform paused a DRS job.
    pub pause_mode: Option<PauseMode>,
}

/// How jobform knows when a job was paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseSource {
    /// jobform paused it: `since` is exact.
    Jobform,
    /// It was already paused when jobform first saw it: the pause is at least this old.
    FirstSeen,
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOutcome {
    /// The job reached the target status.
    Succeeded,
    /// The cloud refused the action or the job reached a failure status.
    Failed,
    /// Accepted by the cloud; not waited for (`--no-wait`) or still settling.
    Pending,
    /// The request's fate is unknown (timeout, reset); the next run re-reads.
    Unknown,
}

impl ActionOutcome {
    /// Whether the cloud may still act on the request: accepted but not seen
    /// settling, or never answered.
    pub fn is_unsettled(self) -> bool {
        matches!(self, ActionOutcome::Pending | ActionOutcome::Unknown)
    }

    /// The word used in output and JSON.
    pub fn label(self) -> &'static str {
        match self {
            ActionOutcome::Succeeded => "succeeded",
            ActionOutcome::Failed => "failed",
            ActionOutcome::Pending => "pending",
            ActionOutcome::Unknown => "unknown",
        }
    }
}

/// The last action sent for a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRecord {
    /// What was sent.
    pub verb: ActionVerb,
    /// When it was sent.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The cloud's request id, when it answered.
    pub request_id: Option<String>,
    /// How it ended.
    pub outcome: ActionOutcome,
    /// The Huawei pause mode sent with a DRS pause: a pause confirmed by a
    /// later run keeps what was sent, not what the configuration says then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_mode: Option<PauseMode>,
}

impl JobRecord {
    /// The kind options the record implies, for a job no block declares any
    /// more: its direction and the pause mode of its pause (no instance id
    /// is recorded).
    pub fn options(&self) -> KindOptions {
        let pause_mode = self.paused.as_ref().and_then(|p| p.pause_mode).unwrap_or_default();
        KindOptions::new(self.kind.cloud(), self.direction, None, pause_mode)
    }

    /// The last action, while the cloud may still act on it (see
    /// [`ActionOutcome::is_unsettled`]).
    pub fn unsettled_action(&self) -> Option<&ActionRecord> {
        self.last_action.as_ref().filter(|action| action.outcome.is_unsettled())
    }

    /// The pause clock of the job seen paused now: the recorded pause; else,
    /// when the unsettled last action was a pause, that pause, which took
    /// effect (its clock starts when it was sent, with the mode sent); else
    /// none (the caller counts from "first seen").
    pub fn pause_seen(&self) -> Option<PauseRecord> {
        let sent = self.unsettled_action().filter(|action| action.verb == ActionVerb::Suspend).map(
            |action| PauseRecord {
                since: action.at,
                source: PauseSource::Jobform,
                pause_mode: action.pause_mode,
            },
        );
        match (&self.paused, sent) {
            (Some(paused), _) if paused.source == PauseSource::Jobform => Some(paused.clone()),
            (_, Some(sent)) => Some(sent),
            (paused, None) => paused.clone(),
        }
    }
}

/// One line of the audit log: every action jobform sent, oldest first, an
/// entry when the cloud answered (or did not), another when the job settled.
/// Entries are only ever appended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    /// When the entry was recorded (the answer, or the job settling).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who ran jobform.
    pub who: Actor,
    /// Why (`apply -m`).
    pub message: Option<String>,
    /// The job.
    pub address: Address,
    /// The cloud's job id.
    pub job_id: String,
    /// What was sent, or `import`.
    pub verb: AuditVerb,
    /// The cloud's request id, when it answered.
    pub request_id: Option<String>,
    /// How it ended.
    pub outcome: ActionOutcome,
    /// The error or the cloud's message, when there is one.
    pub detail: Option<String>,
}

/// What an audit entry records: an action sent, or a job `jobform import`
/// adopted (nothing sent; the job's name and status are in the detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditVerb {
    /// `suspend` sent.
    Suspend,
    /// `resume` sent.
    Resume,
    /// `stop` sent.
    Stop,
    /// Imported by `jobform import` (format version 3).
    Import,
}

impl AuditVerb {
    /// The word used in output, JSON and the pg `audit.verb` column.
    pub fn label(self) -> &'static str {
        match self {
            AuditVerb::Suspend => "suspend",
            AuditVerb::Resume => "resume",
            AuditVerb::Stop => "stop",
            AuditVerb::Import => "import",
        }
    }
}

impl From<ActionVerb> for AuditVerb {
    fn from(verb: ActionVerb) -> Self {
        match verb {
            ActionVerb::Suspend => AuditVerb::Suspend,
            ActionVerb::Resume => AuditVerb::Resume,
            ActionVerb::Stop => AuditVerb::Stop,
        }
    }
}

/// Who ran a command: the user and host, or the CI run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The user name (`USER`), or the CI actor.
    pub user: String,
    /// The machine's host name.
    pub host: String,
    /// The CI run, when run by CI (`github-actions run 1234 by octocat`, …).
    pub ci: Option<String>,
}

impl Actor {
    /// Describes the current process's user from an environment lookup.
    pub fn current(env: impl Fn(&str) -> Option<String>) -> Self {
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        let user = env("USER").or_else(|| env("USERNAME")).unwrap_or_else(|| "unknown".to_owned());
        let ci = if env("GITHUB_ACTIONS").as_deref() == Some("true") {
            Some(format!(
                "github-actions {} run {} by {}",
                env("GITHUB_REPOSITORY").unwrap_or_default(),
                env("GITHUB_RUN_ID").unwrap_or_default(),
                env("GITHUB_ACTOR").unwrap_or_default()
            ))
        } else if env("GITLAB_CI").is_some() {
            Some(format!(
                "gitlab-ci job {} by {}",
                env("CI_JOB_ID").unwrap_or_default(),
                env("GITLAB_USER_LOGIN").unwrap_or_default()
            ))
        } else if env("CI").is_some_and(|v| !v.is_empty() && v != "false") {
            Some("ci".to_owned())
        } else {
            None
        };
        Actor { user, host, ci }
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.user, self.host)?;
        if let Some(ci) = &self.ci {
            write!(f, " ({ci})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Actor, DtsJobType, Observation};

    #[test]
    fn actor_names_the_ci_run() {
        let env = |key: &str| match key {
            "USER" => Some("dba".to_owned()),
            "GITHUB_ACTIONS" => Some("true".to_owned()),
            "GITHUB_REPOSITORY" => Some("acme/jobs".to_owned()),
            "GITHUB_RUN_ID" => Some("42".to_owned()),
            "GITHUB_ACTOR" => Some("octocat".to_owned()),
            _ => None,
        };
        let actor = Actor::current(env);
        assert_eq!(actor.user, "dba");
        assert_eq!(actor.ci.as_deref(), Some("github-actions acme/jobs run 42 by octocat"));
        assert_eq!(Actor::current(|_| None).ci, None);
    }

    #[test]
    fn an_observation_records_the_job_type_as_its_wire_word_and_reads_without_one() {
        let recorded = r#"{"raw_status":"Suspending","state":"suspended","at":"2026-11-21T10:00:00Z","job_type":"SYNC"}"#;
        let observation: Observation = serde_json::from_str(recorded).unwrap();
        assert_eq!(observation.job_type, Some(DtsJobType::Sync));
        assert_eq!(serde_json::to_string(&observation).unwrap(), recorded);
        let before = r#"{"raw_status":"PAUSING","state":"suspended","at":"2026-11-21T10:00:00Z"}"#;
        let observation: Observation = serde_json::from_str(before).unwrap();
        assert_eq!(observation.job_type, None);
        assert_eq!(serde_json::to_string(&observation).unwrap(), before);
    }
}
