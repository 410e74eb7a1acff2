//! Everything the emulator remembers, behind one lock: clock, jobs, used
//! nonces, client tokens, journal, faults, rate limits and the seeded generator.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use time::OffsetDateTime;

use crate::alibaba::jobs::{AlibabaJobState, Direction};
use crate::clock::Clock;
use crate::exchange::Held;
use crate::faults::Faults;
use crate::huawei::jobs::HuaweiJobState;
use crate::journal::Journal;
use crate::ratelimit::RateLimits;
use crate::world::{AlibabaAccount, AlibabaKind, Cloud, HuaweiAccount, HuaweiProject, World};

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
    /// Jobs in world order. Only [`State::new`] adds jobs, so the indexes
    /// below never go stale.
    pub(crate) jobs: Vec<AlibabaJobState>,
    /// Job id → position in `jobs`: a request finds its jobs without a scan.
    index: HashMap<String, usize>,
    /// Positions in `jobs` of each kind, in world order (what a listing pages through).
    by_kind: HashMap<AlibabaKind, Vec<usize>>,
    /// Every task of each kind, a job's forward task then its reverse one,
    /// in world order: the rows the legacy listings page through.
    tasks_by_kind: HashMap<AlibabaKind, Vec<(usize, Direction)>>,
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
    /// Jobs in world order (only [`State::new`] adds jobs).
    pub(crate) jobs: Vec<HuaweiJobState>,
    /// Job id → position in `jobs`.
    index: HashMap<String, usize>,
    /// Positions by `(project_id, db_use_type)`, in world order: a
    /// `ShowJobList` page costs its page, not the world.
    by_use: HashMap<(String, String), Vec<usize>>,
}

// Each request settles only the jobs it touches, never the whole world, so
// its cost follows the request. Settling is a function of the emulated time
// alone (a due transition completes at its own deadline; a pause expires at
// a fixed age), so settling a job late gives the status settling it on every
// request would have.
impl AlibabaSide {
    /// The position of job `id` in `jobs`.
    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The positions of the jobs of `kind` in world order, and the jobs, to
    /// settle while paging through them.
    pub(crate) fn of_kind_mut(&mut self, kind: AlibabaKind) -> (&[usize], &mut [AlibabaJobState]) {
        (self.by_kind.get(&kind).map_or(&[], Vec::as_slice), &mut self.jobs)
    }

    /// The tasks of the jobs of `kind` (position and direction), in world order.
    pub(crate) fn tasks_of_kind(&self, kind: AlibabaKind) -> &[(usize, Direction)] {
        self.tasks_by_kind.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// Brings the job at `position` up to emulated time `now`.
    pub(crate) fn settle(&mut self, position: usize, now: OffsetDateTime) {
        self.jobs[position].settle(now);
    }
}

impl HuaweiSide {
    /// The position in `jobs` of job `id` of project `project_id`.
    pub(crate) fn position(&self, project_id: &str, id: &str) -> Option<usize> {
        let position = *self.index.get(id)?;
        (self.jobs[position].spec.project_id == project_id).then_some(position)
    }

    /// The job `id` of project `project_id`, brought up to emulated time `now`.
    pub(crate) fn find(
        &mut self,
        project_id: &str,
        id: &str,
        now: OffsetDateTime,
    ) -> Option<&mut HuaweiJobState> {
        let position = self.position(project_id, id)?;
        let job = &mut self.jobs[position];
        job.task.settle(now);
        Some(job)
    }

    /// The positions of the project's jobs of `db_use_type` in world order,
    /// and the jobs, to settle while paging through them.
    pub(crate) fn of_use_mut(
        &mut self,
        project_id: &str,
        db_use_type: &str,
    ) -> (&[usize], &mut [HuaweiJobState]) {
        let key = (project_id.to_owned(), db_use_type.to_owned());
        (self.by_use.get(&key).map_or(&[], Vec::as_slice), &mut self.jobs)
    }
}

/// Job id → position, for a list of jobs.
fn index_by_id<'a>(ids: impl Iterator<Item = &'a String>) -> HashMap<String, usize> {
    ids.enumerate().map(|(position, id)| (id.clone(), position)).collect()
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
    /// Requests `slow` faults are delaying (read and released without the state lock).
    pub(crate) held: Arc<Held>,
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
        let alibaba_jobs: Vec<AlibabaJobState> =
            world.alibaba.jobs.into_iter().map(|job| AlibabaJobState::new(job, start)).collect();
        let mut by_kind: HashMap<AlibabaKind, Vec<usize>> = HashMap::new();
        let mut tasks_by_kind: HashMap<AlibabaKind, Vec<(usize, Direction)>> = HashMap::new();
        for (position, job) in alibaba_jobs.iter().enumerate() {
            by_kind.entry(job.spec.kind).or_default().push(position);
            let tasks = tasks_by_kind.entry(job.spec.kind).or_default();
            tasks.push((position, Direction::Forward));
            if job.reverse.is_some() {
                tasks.push((position, Direction::Reverse));
            }
        }
        let huawei_jobs: Vec<HuaweiJobState> =
            world.huawei.jobs.into_iter().map(|job| HuaweiJobState::new(job, start)).collect();
        let mut by_use: HashMap<(String, String), Vec<usize>> = HashMap::new();
        for (position, job) in huawei_jobs.iter().enumerate() {
            let key = (job.spec.project_id.clone(), job.spec.db_use_type.clone());
            by_use.entry(key).or_default().push(position);
        }
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
                index: index_by_id(alibaba_jobs.iter().map(|job| &job.spec.id)),
                by_kind,
                tasks_by_kind,
                jobs: alibaba_jobs,
                client_tokens: HashMap::new(),
            },
            huawei: HuaweiSide {
                accounts: world.huawei.accounts,
                projects: world.huawei.projects,
                index: index_by_id(huawei_jobs.iter().map(|job| &job.spec.id)),
                by_use,
                jobs: huawei_jobs,
            },
            nonces: HashSet::new(),
            journal: Journal::default(),
            faults: Faults::default(),
            limits,
            rng: ChaCha8Rng::seed_from_u64(world.seed),
            held: Arc::default(),
            clock,
        }
    }

    /// Brings every job up to the current emulated time and returns that
    /// time (for the admin views; a request settles only its own jobs).
    fn settle_all(&mut self) -> OffsetDateTime {
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
        self.settle_all();
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
