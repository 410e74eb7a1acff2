//! Everything the emulator remembers, behind one lock: clock, jobs, used
//! nonces, client tokens, journal, faults, rate limits and the seeded generator.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use time::OffsetDateTime;

use crate::alibaba::jobs::AlibabaJobState;
use crate::clock::Clock;
use crate::faults::Faults;
use crate::huawei::jobs::HuaweiJobState;
use crate::journal::Journal;
use crate::ratelimit::RateLimits;
use crate::world::{AlibabaAccount, Cloud, HuaweiAccount, HuaweiProject, World};

/// The state shared by the server tasks and the library handle.
pub(crate) type Shared = Arc<Mutex<State>>;

/// Locks the shared state; a panic elsewhere does not make it unusable.
pub(crate) fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// World-wide settings.
#[derive(Debug)]
pub(crate) struct Settings {
    /// Emulated time a transition takes.
    pub(crate) transition_delay: Duration,
    /// Accepted difference between a signed timestamp and the real clock.
    pub(crate) max_clock_skew: Duration,
    /// Most ids in one batch request.
    pub(crate) max_batch_ids: usize,
    /// The message of every injected server error, in place of the cloud's.
    pub(crate) error_message: Option<String>,
    /// The `RequestId` of every Alibaba answer, in place of a fresh one.
    pub(crate) alibaba_request_id: Option<String>,
}

/// The Alibaba side.
#[derive(Debug)]
pub(crate) struct AlibabaSide {
    /// Accepted access keys.
    pub(crate) accounts: Vec<AlibabaAccount>,
    /// Known regions.
    pub(crate) regions: Vec<String>,
    /// Jobs in world order.
    pub(crate) jobs: Vec<AlibabaJobState>,
    /// `(Action, ClientToken)` → the job id the token was first used with.
    pub(crate) client_tokens: HashMap<(String, String), String>,
}

/// The Huawei side.
#[derive(Debug)]
pub(crate) struct HuaweiSide {
    /// Accepted identities.
    pub(crate) accounts: Vec<HuaweiAccount>,
    /// Known projects.
    pub(crate) projects: Vec<HuaweiProject>,
    /// Jobs in world order.
    pub(crate) jobs: Vec<HuaweiJobState>,
}

/// The whole emulator state.
#[derive(Debug)]
pub(crate) struct State {
    /// Emulated time.
    pub(crate) clock: Clock,
    /// Settings from the world.
    pub(crate) settings: Settings,
    /// Alibaba accounts and jobs.
    pub(crate) alibaba: AlibabaSide,
    /// Huawei accounts and jobs.
    pub(crate) huawei: HuaweiSide,
    /// Signature nonces already used (Alibaba), per access key.
    pub(crate) nonces: HashSet<(String, String)>,
    /// Every request received.
    pub(crate) journal: Journal,
    /// Faults in force.
    pub(crate) faults: Faults,
    /// Rate limits in force.
    pub(crate) limits: RateLimits,
    /// The seeded generator behind probabilistic faults and request ids.
    pub(crate) rng: ChaCha8Rng,
}

/// A job as the admin API and the library report it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobView {
    /// The cloud.
    pub cloud: Cloud,
    /// Job id.
    pub id: String,
    /// Alibaba kind (`MIGRATION`, …) or Huawei `db_use_type`.
    pub kind: String,
    /// Current status word.
    pub status: String,
    /// Status of the reverse task of a two-way synchronization.
    pub reverse_status: Option<String>,
    /// When the (forward) task came to rest paused.
    #[serde(with = "time::serde::rfc3339::option")]
    pub paused_at: Option<OffsetDateTime>,
    /// Whether a transition is still in flight.
    pub settling: bool,
}

impl State {
    /// The state a world describes.
    pub(crate) fn new(world: World) -> State {
        let clock = Clock::new(world.now);
        let start = clock.now();
        let mut limits = RateLimits::default();
        world.rate_limits.iter().for_each(|limit| limits.set(limit));
        State {
            settings: Settings {
                transition_delay: Duration::from_secs(world.transition_delay_seconds),
                max_clock_skew: Duration::from_secs(world.max_clock_skew_seconds),
                max_batch_ids: world.max_batch_ids,
                error_message: None,
                alibaba_request_id: None,
            },
            alibaba: AlibabaSide {
                accounts: world.alibaba.accounts,
                regions: world.alibaba.regions,
                jobs: world
                    .alibaba
                    .jobs
                    .into_iter()
                    .map(|job| AlibabaJobState::new(job, start))
                    .collect(),
                client_tokens: HashMap::new(),
            },
            huawei: HuaweiSide {
                accounts: world.huawei.accounts,
                projects: world.huawei.projects,
                jobs: world
                    .huawei
                    .jobs
                    .into_iter()
                    .map(|job| HuaweiJobState::new(job, start))
                    .collect(),
            },
            nonces: HashSet::new(),
            journal: Journal::default(),
            faults: Faults::default(),
            limits,
            rng: ChaCha8Rng::seed_from_u64(world.seed),
            clock,
        }
    }

    /// Brings every job up to the current emulated time and returns that time.
    pub(crate) fn settle(&mut self) -> OffsetDateTime {
        let now = self.clock.now();
        self.alibaba.jobs.iter_mut().for_each(|job| job.settle(now));
        self.huawei.jobs.iter_mut().for_each(|job| job.task.settle(now));
        now
    }

    /// A fresh request id from the seeded generator (UUID shaped).
    pub(crate) fn request_id(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.random()).into_uuid().to_string()
    }

    /// Puts the (forward) task of job `id` in `status`, unchecked; false
    /// when there is no such job.
    pub(crate) fn force_status(&mut self, id: &str, status: &str) -> bool {
        let alibaba = self.alibaba.jobs.iter_mut().find(|job| job.spec.id == id);
        let task = match alibaba {
            Some(job) => &mut job.forward,
            None => match self.huawei.jobs.iter_mut().find(|job| job.spec.id == id) {
                Some(job) => &mut job.task,
                None => return false,
            },
        };
        task.force(status);
        true
    }

    /// Every job's current state.
    pub(crate) fn jobs(&mut self) -> Vec<JobView> {
        self.settle();
        let alibaba = self.alibaba.jobs.iter().map(|job| JobView {
            cloud: Cloud::Alibaba,
            id: job.spec.id.clone(),
            kind: serde_json::to_value(job.spec.kind)
                .ok()
                .and_then(|kind| kind.as_str().map(str::to_owned))
                .unwrap_or_default(),
            status: job.forward.status.clone(),
            reverse_status: job.reverse.as_ref().map(|task| task.status.clone()),
            paused_at: job.forward.paused_at,
            settling: job.forward.is_settling()
                || job.reverse.as_ref().is_some_and(crate::task::Task::is_settling),
        });
        let huawei = self.huawei.jobs.iter().map(|job| JobView {
            cloud: Cloud::Huawei,
            id: job.spec.id.clone(),
            kind: job.spec.db_use_type.clone(),
            status: job.task.status.clone(),
            reverse_status: None,
            paused_at: job.task.paused_at,
            settling: job.task.is_settling(),
        });
        alibaba.chain(huawei).collect()
    }
}
