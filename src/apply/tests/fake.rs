//! An in-memory cloud of Huawei DRS jobs for the engine's tests, scripted
//! job by job: how the cloud answers an action (accepted, refused, no
//! answer with or without effect), after how many reads an action settles,
//! and reads that fail or hang. Time is tokio's, so tests run on paused
//! time and hours of waiting cost nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;

use crate::apply::Timer;
use crate::model::{ActionVerb, Cloud, JobKind, LiveJob, LiveState};
use crate::provider::{
    ActionResult, Call, JobRef, LiveRead, Provider, ProviderError, ProviderErrorKind,
    RequestOutcome,
};

/// How the cloud answers an action on a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// Accepted, and the job moves to the target.
    Accepted,
    /// Refused with an error code: nothing is done.
    Refused,
    /// No answer (a reset, a 5xx); the job moves only if `acted`.
    Lost { acted: bool },
}

/// What a read meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReadFault {
    /// The listing fails with a server error.
    Fails,
    /// The read answers only after this long (a client retrying an
    /// unreachable cloud).
    Hangs(Duration),
}

/// One job of the fake cloud.
#[derive(Debug, Clone)]
struct Job {
    raw_status: &'static str,
    answer: Answer,
    /// Reads an action takes to settle; the old status is reported until then.
    settles_after: usize,
    /// The status an action is moving the job to, and the reads left.
    moving: Option<(&'static str, usize)>,
}

/// The fake cloud's jobs, the requests it was sent, and its reads.
#[derive(Debug, Default)]
struct Scripted {
    jobs: BTreeMap<String, Job>,
    /// Every action request, as the ids it carried.
    requests: Vec<Vec<String>>,
    /// Reads so far.
    reads: usize,
    /// From which read on, and what, reads meet.
    read_fault: Option<(usize, ReadFault)>,
}

/// The fake cloud; clones share one cloud, so a test keeps a handle on
/// what the fleet serves.
#[derive(Debug, Clone, Default)]
pub(super) struct FakeCloud(Arc<Mutex<Scripted>>);

impl FakeCloud {
    /// Adds a DRS job in `raw_status` that accepts actions and settles at
    /// the next read.
    pub(super) fn job(&self, id: &str, raw_status: &'static str) -> &Self {
        let job = Job { raw_status, answer: Answer::Accepted, settles_after: 0, moving: None };
        self.0.lock().unwrap().jobs.insert(id.to_owned(), job);
        self
    }

    /// Scripts how the cloud answers actions on `id`.
    pub(super) fn answers(&self, id: &str, answer: Answer) -> &Self {
        self.0.lock().unwrap().jobs.get_mut(id).expect("a fake job").answer = answer;
        self
    }

    /// Scripts after how many reads an action on `id` settles.
    pub(super) fn settles_after(&self, id: &str, reads: usize) -> &Self {
        self.0.lock().unwrap().jobs.get_mut(id).expect("a fake job").settles_after = reads;
        self
    }

    /// Sets a job's status, as someone acting on it by hand would.
    pub(super) fn set_status(&self, id: &str, raw_status: &'static str) {
        self.0.lock().unwrap().jobs.get_mut(id).expect("a fake job").raw_status = raw_status;
    }

    /// Every read after the first `reads` meets `fault`.
    pub(super) fn read_fault_after(&self, reads: usize, fault: ReadFault) {
        self.0.lock().unwrap().read_fault = Some((reads, fault));
    }

    /// A job's status now.
    pub(super) fn status(&self, id: &str) -> &'static str {
        self.0.lock().unwrap().jobs[id].raw_status
    }

    /// Every action request so far, as the ids it carried.
    pub(super) fn requests(&self) -> Vec<Vec<String>> {
        self.0.lock().unwrap().requests.clone()
    }

    /// How many action requests carried `id`.
    pub(super) fn sent(&self, id: &str) -> usize {
        self.requests().iter().filter(|ids| ids.iter().any(|sent| sent == id)).count()
    }
}

/// The DRS status word an action leads to.
fn target(verb: ActionVerb) -> &'static str {
    match verb {
        ActionVerb::Suspend => "PAUSING",
        ActionVerb::Resume => "INCRE_TRANSFER_STARTED",
        ActionVerb::Stop => "RELEASE_RESOURCE_COMPLETE",
    }
}

/// The DRS operation that carries an action.
fn operation(verb: ActionVerb) -> &'static str {
    match verb {
        ActionVerb::Suspend => "batch-pause-task",
        ActionVerb::Resume => "batch-retry-task",
        ActionVerb::Stop => "batch-jobs",
    }
}

/// The state of the status words the fake uses.
fn state(raw: &str) -> LiveState {
    match raw {
        "PAUSING" => LiveState::Suspended,
        "INCRE_TRANSFER_STARTED" => LiveState::Running,
        "RELEASE_RESOURCE_COMPLETE" => LiveState::Stopped,
        _ => LiveState::Unknown,
    }
}

fn error(operation: &'static str, code: &str, outcome_unknown: bool) -> ProviderError {
    ProviderError {
        cloud: Cloud::Huawei,
        operation,
        kind: ProviderErrorKind::Api {
            code: code.to_owned(),
            message: "scripted by the test".to_owned(),
            outcome_unknown,
        },
        http_status: Some(if outcome_unknown { 503 } else { 400 }),
        request_id: Some(format!("req-{code}")),
        retryable: false,
        retry_after: None,
    }
}

impl Provider for FakeCloud {
    async fn read<'a>(&self, jobs: &[JobRef<'a>]) -> Result<LiveRead<'a>, ProviderError> {
        let fault = {
            let mut cloud = self.0.lock().unwrap();
            cloud.reads += 1;
            let reads = cloud.reads;
            cloud.read_fault.filter(|(after, _)| reads > *after).map(|(_, fault)| fault)
        };
        match fault {
            Some(ReadFault::Fails) => {
                let error = error("batch-status", "DRS.00000500", true);
                let failed = jobs.iter().map(|job| (job.kind, error.clone())).collect();
                return Ok(LiveRead::new(jobs, Vec::new(), &failed));
            }
            Some(ReadFault::Hangs(duration)) => tokio::time::sleep(duration).await,
            None => {}
        }
        let mut cloud = self.0.lock().unwrap();
        let mut found = Vec::new();
        for job in jobs {
            let Some(fake) = cloud.jobs.get_mut(job.id) else {
                continue;
            };
            match fake.moving {
                Some((to, 0)) => {
                    fake.raw_status = to;
                    fake.moving = None;
                }
                Some((to, left)) => fake.moving = Some((to, left - 1)),
                None => {}
            }
            found.push(LiveJob {
                kind: JobKind::HuaweiDrs,
                id: job.id.to_owned(),
                raw_status: fake.raw_status.to_owned(),
                state: state(fake.raw_status),
                reverse: None,
                two_way: None,
                change_tracking: false,
                incremental: Some(true),
                dts_job_type: None,
            });
        }
        Ok(LiveRead::new(jobs, found, &HashMap::new()))
    }

    async fn execute(&self, call: &Call) -> Vec<ActionResult> {
        // The engine hands over planned requests only: each is one request.
        assert_eq!(call.unsendable(), None, "{call:?}");
        let mut cloud = self.0.lock().unwrap();
        cloud.requests.push(call.actions.iter().map(|action| action.id.clone()).collect());
        let request = cloud.requests.len();
        call.actions
            .iter()
            .map(|action| {
                let job = cloud.jobs.get_mut(&action.id).expect("actions are on fake jobs");
                let (acted, outcome) = match job.answer {
                    Answer::Accepted => (
                        true,
                        RequestOutcome::Accepted { request_id: Some(format!("req-{request}")) },
                    ),
                    Answer::Refused => (
                        false,
                        RequestOutcome::Rejected {
                            error: error(operation(action.verb), "DRS.10000011", false),
                        },
                    ),
                    Answer::Lost { acted } => (
                        acted,
                        RequestOutcome::Unknown {
                            error: error(operation(action.verb), "DRS.00000500", true),
                        },
                    ),
                };
                if acted {
                    job.moving = Some((target(action.verb), job.settles_after));
                }
                ActionResult { address: action.address.clone(), outcome }
            })
            .collect()
    }
}

/// Tokio's clock, from a fixed start: on paused time a sleep advances it at once.
pub(super) struct TokioTimer {
    start: OffsetDateTime,
    origin: tokio::time::Instant,
}

impl TokioTimer {
    pub(super) fn new() -> Self {
        TokioTimer {
            start: OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap(),
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Timer for TokioTimer {
    fn now(&self) -> OffsetDateTime {
        self.start + self.origin.elapsed()
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}
