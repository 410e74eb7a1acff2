//! The world file: the accounts, regions, projects and jobs an emulator starts with.
//!
//! JSON, read with serde (`deny_unknown_fields`, so a typo is an error naming the
//! field and its line), then checked for consistency (statuses valid for each kind,
//! reverse tasks only on two-way topologies, jobs in declared regions and projects).

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::EmulatorError;

/// Everything an emulator knows when it starts. Build one from a file
/// ([`World::from_file`]), from JSON text ([`World::from_json`]) or take the
/// shared example ([`World::example`]); fields are public so tests can adjust it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    /// Emulated time at start; the real current time when absent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub now: Option<OffsetDateTime>,
    /// Seed of the random generator behind probabilistic faults and request ids.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Emulated seconds a pause, resume or stop takes to settle (0 = immediate).
    #[serde(default = "default_transition_delay")]
    pub transition_delay_seconds: u64,
    /// Largest clock difference, in seconds, accepted between a signed request's
    /// timestamp and the host's real clock (both clouds allow 15 minutes).
    #[serde(default = "default_max_clock_skew")]
    pub max_clock_skew_seconds: u64,
    /// Most job ids accepted in one batch request (`*DtsJobs`, Huawei `jobs` arrays).
    #[serde(default = "default_max_batch_ids")]
    pub max_batch_ids: usize,
    /// Per-action request-per-second limits, each counted per account; the
    /// documented ones when absent.
    #[serde(default = "default_rate_limits")]
    pub rate_limits: Vec<RateLimit>,
    /// Alibaba Cloud DTS side.
    #[serde(default)]
    pub alibaba: AlibabaWorld,
    /// Huawei Cloud DRS side.
    #[serde(default)]
    pub huawei: HuaweiWorld,
}

/// Which cloud an account, job, limit, fault or journal entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cloud {
    /// Alibaba Cloud DTS (RPC API at `/`).
    Alibaba,
    /// Huawei Cloud DRS (REST API under `/v3/{project_id}/jobs`).
    Huawei,
}

/// A request-per-second limit on one action of one cloud.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// The cloud the action belongs to.
    pub cloud: Cloud,
    /// Alibaba `Action` (e.g. `DescribeDtsJobs`) or Huawei operation (e.g. `batch-status`).
    pub action: String,
    /// Requests accepted in any one-second window; more are throttled.
    pub qps: u32,
}

/// Alibaba accounts, regions and jobs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlibabaWorld {
    /// Access keys the emulator accepts.
    #[serde(default)]
    pub accounts: Vec<AlibabaAccount>,
    /// Region ids accepted in `RegionId` / `Region`.
    #[serde(default)]
    pub regions: Vec<String>,
    /// DTS and legacy jobs.
    #[serde(default)]
    pub jobs: Vec<AlibabaJob>,
}

/// One Alibaba access key (optionally an STS key that needs its security token).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlibabaAccount {
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// The secret the signatures are computed with.
    pub access_key_secret: String,
    /// When set, the key is an STS key: requests must carry this `SecurityToken`.
    #[serde(default)]
    pub security_token: Option<String>,
    /// Emulated time after which the security token is expired.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub security_token_expires_at: Option<OffsetDateTime>,
}

/// The kind of an Alibaba job: the DTS `JobType`, or one of the legacy families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlibabaKind {
    /// DTS data migration (`JobType=MIGRATION`).
    Migration,
    /// DTS data synchronization (`JobType=SYNC`).
    Sync,
    /// DTS change tracking (`JobType=SUBSCRIBE`).
    Subscribe,
    /// Legacy migration job (`*MigrationJob` actions).
    LegacyMigration,
    /// Legacy synchronization job (`*SynchronizationJob` actions).
    LegacySynchronization,
}

/// Whether a synchronization runs one way or both ways (two-way has a reverse task).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// Source to destination only.
    #[default]
    OneWay,
    /// Forward and reverse tasks.
    TwoWay,
}

/// One Alibaba job as declared in the world.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlibabaJob {
    /// Task id (`DtsJobId`, `MigrationJobId` or `SynchronizationJobId`).
    pub id: String,
    /// DTS instance id (`DtsInstanceID`); DTS kinds only.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// Display name; the id when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// Job kind.
    pub kind: AlibabaKind,
    /// Region the job lives in (must be listed in `alibaba.regions`).
    pub region: String,
    /// Status of the (forward) task, in the cloud's own words (e.g. `Synchronizing`).
    pub status: String,
    /// Sync topology; reverse tasks exist only on `two_way`.
    #[serde(default)]
    pub topology: Topology,
    /// Status of the reverse task (two-way only; defaults to the forward status).
    #[serde(default)]
    pub reverse_status: Option<String>,
    /// Whether the task replicates incremental changes (the 6 h / 7 d pause rules apply).
    #[serde(default = "default_true")]
    pub incremental: bool,
    /// Reported `Delay` (milliseconds for migration, seconds for synchronization).
    #[serde(default)]
    pub delay: i64,
    /// Creation time; the world's start time when absent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// When a paused (`Suspending`) task was paused; the start time when absent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub paused_at: Option<OffsetDateTime>,
}

/// Huawei accounts, projects and jobs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuaweiWorld {
    /// Credentials the emulator accepts.
    #[serde(default)]
    pub accounts: Vec<HuaweiAccount>,
    /// Projects (the `{project_id}` path segment).
    #[serde(default)]
    pub projects: Vec<HuaweiProject>,
    /// DRS jobs.
    #[serde(default)]
    pub jobs: Vec<HuaweiJob>,
}

/// One Huawei identity: an AK/SK pair and/or an IAM token.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuaweiAccount {
    /// Access key (AK).
    #[serde(default)]
    pub access_key: Option<String>,
    /// Secret key (SK).
    #[serde(default)]
    pub secret_key: Option<String>,
    /// When set, the AK/SK is temporary: requests must carry this `X-Security-Token`.
    #[serde(default)]
    pub security_token: Option<String>,
    /// IAM token accepted in `X-Auth-Token`.
    #[serde(default)]
    pub auth_token: Option<String>,
    /// Emulated time after which the IAM token is expired (`APIGW.0307`).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub auth_token_expires_at: Option<OffsetDateTime>,
}

/// One Huawei project.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuaweiProject {
    /// Project id (32 hex characters on the real cloud).
    pub id: String,
    /// Region name, e.g. `ap-southeast-1`.
    pub region: String,
}

/// One DRS job as declared in the world.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuaweiJob {
    /// Job id (a UUID).
    pub id: String,
    /// Project the job belongs to.
    pub project_id: String,
    /// Display name; the id when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// Status in the cloud's words (e.g. `INCRE_TRANSFER_STARTED`, `PAUSING`).
    pub status: String,
    /// `migration`, `sync` or `cloudDataGuard`.
    #[serde(default = "default_db_use_type")]
    pub db_use_type: String,
    /// `FULL_TRANS`, `FULL_INCR_TRANS` or `INCR_TRANS`.
    #[serde(default = "default_task_type")]
    pub task_type: String,
    /// The engine, as `ShowJobList` reports and filters it (`mysql`, …).
    #[serde(default = "default_engine_type")]
    pub engine_type: String,
    /// Creation time; the world's start time when absent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// When a `PAUSING` job was paused; the start time when absent.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub paused_at: Option<OffsetDateTime>,
}

fn default_seed() -> u64 {
    42
}
fn default_transition_delay() -> u64 {
    2
}
fn default_max_clock_skew() -> u64 {
    15 * 60
}
fn default_max_batch_ids() -> usize {
    20
}
fn default_true() -> bool {
    true
}
fn default_db_use_type() -> String {
    "migration".to_owned()
}
fn default_task_type() -> String {
    "FULL_INCR_TRANS".to_owned()
}
fn default_engine_type() -> String {
    "mysql".to_owned()
}

/// The limits the DescribeDtsJobs / DescribeDtsJobDetail pages document per account and region.
fn default_rate_limits() -> Vec<RateLimit> {
    vec![
        RateLimit { cloud: Cloud::Alibaba, action: "DescribeDtsJobs".to_owned(), qps: 20 },
        RateLimit { cloud: Cloud::Alibaba, action: "DescribeDtsJobDetail".to_owned(), qps: 40 },
    ]
}

/// Statuses the real API can report for each Alibaba kind (shared/api/README.md §1.5).
pub(crate) fn alibaba_statuses(kind: AlibabaKind) -> &'static [&'static str] {
    match kind {
        AlibabaKind::Migration => &[
            "NotStarted",
            "Prechecking",
            "PrecheckFailed",
            "PreCheckPass",
            "NotConfigured",
            "Migrating",
            "Suspending",
            "MigrationFailed",
            "Finished",
            "Retrying",
            "Upgrade",
            "Locked",
            "Downgrade",
        ],
        AlibabaKind::Sync => &[
            "NotStarted",
            "Prechecking",
            "PrecheckFailed",
            "PreCheckPass",
            "NotConfigured",
            "Initializing",
            "InitializeFailed",
            "Synchronizing",
            "Failed",
            "Suspending",
            "Modifying",
            "ModifyFailed",
            "Finished",
            "Retrying",
            "Upgrade",
            "Locked",
            "Downgrade",
        ],
        AlibabaKind::Subscribe => &[
            "NotConfigured",
            "NotStarted",
            "Prechecking",
            "PrecheckFailed",
            "PreCheckPass",
            "Starting",
            "Normal",
            "Retrying",
            "Abnormal",
            "Upgrade",
            "Locked",
            "Downgrade",
            "Finished",
        ],
        AlibabaKind::LegacyMigration => &[
            "NotStarted",
            "Prechecking",
            "PrecheckFailed",
            "Migrating",
            "Suspending",
            "MigrationFailed",
            "Finished",
        ],
        AlibabaKind::LegacySynchronization => &[
            "NotStarted",
            "Prechecking",
            "PrecheckFailed",
            "Initializating",
            "InitializeFailed",
            "Synchronizing",
            "Failed",
            "Suspending",
            "Modifying",
            "Finished",
        ],
    }
}

/// The 29 DRS statuses (shared/api/README.md §2.4).
pub(crate) const HUAWEI_STATUSES: &[&str] = &[
    "CREATING",
    "CREATE_FAILED",
    "CONFIGURATION",
    "STARTJOBING",
    "WAITING_FOR_START",
    "START_JOB_FAILED",
    "PAUSING",
    "FULL_TRANSFER_STARTED",
    "FULL_TRANSFER_FAILED",
    "FULL_TRANSFER_COMPLETE",
    "INCRE_TRANSFER_STARTED",
    "INCRE_TRANSFER_FAILED",
    "RELEASE_RESOURCE_STARTED",
    "RELEASE_RESOURCE_FAILED",
    "RELEASE_RESOURCE_COMPLETE",
    "REBUILD_NODE_STARTED",
    "REBUILD_NODE_FAILED",
    "CHANGE_JOB_STARTED",
    "CHANGE_JOB_FAILED",
    "DELETED",
    "CHILD_TRANSFER_STARTING",
    "CHILD_TRANSFER_STARTED",
    "CHILD_TRANSFER_COMPLETE",
    "CHILD_TRANSFER_FAILED",
    "RELEASE_CHILD_TRANSFER_STARTED",
    "RELEASE_CHILD_TRANSFER_COMPLETE",
    "NODE_UPGRADE_START",
    "NODE_UPGRADE_COMPLETE",
    "NODE_UPGRADE_FAILED",
];

impl World {
    /// The shared example fixture (`examples/emulator.world.json`): the jobs the
    /// README quickstart and `examples/*.hcl` talk about.
    pub fn example() -> World {
        World::from_json(include_str!("../../../examples/emulator.world.json"), "example world")
            .expect("the embedded example world is valid")
    }

    /// Reads and checks a world file.
    pub fn from_file(path: &Path) -> Result<World, EmulatorError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| EmulatorError::ReadWorld { path: origin.clone(), source })?;
        World::from_json(&text, &origin)
    }

    /// Parses and checks world JSON; `origin` names it in errors (a path or a label).
    pub fn from_json(text: &str, origin: &str) -> Result<World, EmulatorError> {
        let world: World = serde_json::from_str(text)
            .map_err(|source| EmulatorError::ParseWorld { origin: origin.to_owned(), source })?;
        world.check().map_err(|message| EmulatorError::InvalidWorld {
            origin: origin.to_owned(),
            message,
        })?;
        Ok(world)
    }

    /// Checks what serde cannot: cross references and status words.
    fn check(&self) -> Result<(), String> {
        const TEN_YEARS: u64 = 10 * 365 * 24 * 3600;
        if self.transition_delay_seconds > TEN_YEARS {
            return Err("transition_delay_seconds is more than ten years".to_owned());
        }
        let mut seen = HashSet::new();
        for (index, job) in self.alibaba.jobs.iter().enumerate() {
            let at = format!("alibaba.jobs[{index}] (id `{}`)", job.id);
            if !seen.insert(job.id.as_str()) {
                return Err(format!("{at}: duplicate job id"));
            }
            if !self.alibaba.regions.contains(&job.region) {
                return Err(format!(
                    "{at}: region `{}` is not listed in alibaba.regions",
                    job.region
                ));
            }
            let allowed = alibaba_statuses(job.kind);
            check_status(&at, "status", &job.status, allowed)?;
            if let Some(reverse) = &job.reverse_status {
                if job.topology != Topology::TwoWay {
                    return Err(format!("{at}: reverse_status needs topology \"two_way\""));
                }
                check_status(&at, "reverse_status", reverse, allowed)?;
            }
            let syncs = matches!(job.kind, AlibabaKind::Sync | AlibabaKind::LegacySynchronization);
            if job.topology == Topology::TwoWay && !syncs {
                return Err(format!("{at}: topology \"two_way\" exists only for synchronization"));
            }
        }
        for (index, job) in self.huawei.jobs.iter().enumerate() {
            let at = format!("huawei.jobs[{index}] (id `{}`)", job.id);
            if !seen.insert(job.id.as_str()) {
                return Err(format!("{at}: duplicate job id"));
            }
            if !self.huawei.projects.iter().any(|project| project.id == job.project_id) {
                return Err(format!(
                    "{at}: project_id `{}` is not listed in huawei.projects",
                    job.project_id
                ));
            }
            check_status(&at, "status", &job.status, HUAWEI_STATUSES)?;
        }
        for (index, account) in self.huawei.accounts.iter().enumerate() {
            if account.access_key.is_some() != account.secret_key.is_some() {
                return Err(format!(
                    "huawei.accounts[{index}]: access_key and secret_key go together"
                ));
            }
        }
        Ok(())
    }
}

fn check_status(at: &str, field: &str, status: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&status) {
        Ok(())
    } else {
        Err(format!("{at}: {field} `{status}` is not one of {}", allowed.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::World;

    #[test]
    fn unknown_fields_are_named() {
        let error = World::from_json(r#"{"seeed": 1}"#, "w.json").unwrap_err().to_string();
        assert!(error.contains("unknown field `seeed`"), "{error}");
        assert!(error.contains("w.json"), "{error}");
    }

    #[test]
    fn statuses_are_checked_per_kind() {
        let text = r#"{"alibaba": {"regions": ["cn-hangzhou"], "jobs": [
            {"id": "j1", "kind": "SUBSCRIBE", "region": "cn-hangzhou", "status": "Migrating"}]}}"#;
        let error = World::from_json(text, "w.json").unwrap_err().to_string();
        assert!(error.contains("alibaba.jobs[0] (id `j1`): status `Migrating`"), "{error}");
    }

    #[test]
    fn reverse_needs_two_way() {
        let text = r#"{"alibaba": {"regions": ["r"], "jobs": [{"id": "j1", "kind": "SYNC",
            "region": "r", "status": "Synchronizing", "reverse_status": "Synchronizing"}]}}"#;
        let error = World::from_json(text, "w.json").unwrap_err().to_string();
        assert!(error.contains("reverse_status needs topology"), "{error}");
    }

    #[test]
    fn a_missing_file_is_named() {
        let path = std::path::Path::new("/nonexistent/world.json");
        let error = World::from_file(path).unwrap_err().to_string();
        assert!(error.starts_with("cannot read world file /nonexistent/world.json"), "{error}");
    }

    #[test]
    fn the_example_world_loads() {
        let world = World::example();
        assert_eq!(world.alibaba.jobs.len(), 5);
        assert_eq!(world.huawei.jobs.len(), 3);
    }
}
