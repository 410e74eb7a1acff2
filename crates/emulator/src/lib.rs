//! jobform-emulator: a local HTTP emulator of Alibaba Cloud DTS (2020-01-01
//! RPC) and Huawei Cloud DRS (v3 REST) — "a LocalStack for DTS and DRS".
//!
//! One server answers both clouds: Alibaba RPC at `/`, Huawei under
//! `/v3/{project_id}/jobs/`, and an admin API under `/_emulator/`. It verifies
//! the clouds' signatures, enforces the jobs' state machines on an emulated
//! clock, throttles, injects faults and journals every call. Use it
//!
//! - in tests: [`Emulator::start`] runs it on `127.0.0.1:0` in the background
//!   and stops it on drop;
//! - as a server: [`serve_until_interrupted`] (what `jobform emulator serve`
//!   runs), or [`serve`] on a listener until a shutdown future completes.
//!
//! See `crates/emulator/README.md` for the world file, the admin API, the
//! faults and the simplifications against the real clouds.

mod admin;
mod alibaba;
mod clock;
mod digest;
mod encoding;
mod exchange;
mod faults;
mod huawei;
mod journal;
mod paging;
mod ratelimit;
mod server;
mod state;
mod task;
mod world;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::oneshot;

pub use crate::faults::{Fault, FaultKind};
pub use crate::journal::{ItemError, JournalEntry, Outcome};
pub use crate::state::JobView;
pub use crate::world::{
    AlibabaAccount, AlibabaJob, AlibabaKind, AlibabaWorld, Cloud, HuaweiAccount, HuaweiJob,
    HuaweiProject, HuaweiWorld, RateLimit, Topology, World,
};

use crate::state::{Shared, State, lock};

/// Why an emulator could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The world file could not be read.
    #[error("cannot read world file {path}: {source}")]
    ReadWorld {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The world is not valid JSON for the schema (serde names the field, line and column).
    #[error("{origin}: {source}")]
    ParseWorld {
        /// The file or label.
        origin: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The world is well-formed but inconsistent.
    #[error("{origin}: {message}")]
    InvalidWorld {
        /// The file or label.
        origin: String,
        /// What is wrong, naming the entry.
        message: String,
    },
    /// The server could not bind or start.
    #[error("cannot start the emulator: {0}")]
    Start(#[from] std::io::Error),
}

/// Serves `world` on `listener` until `shutdown` completes (for `jobform emulator serve`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    world: World,
    shutdown: impl Future<Output = ()>,
) {
    server::run(listener, Arc::new(Mutex::new(State::new(world))), shutdown).await;
}

/// Serves `world` on `listen` until Ctrl-C, on a runtime of its own: the whole of
/// `jobform emulator serve`. `ready` is told the base URL once the port is bound.
pub fn serve_until_interrupted(
    listen: std::net::SocketAddr,
    world: World,
    ready: impl FnOnce(&str),
) -> Result<(), EmulatorError> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        ready(&format!("http://{}", listener.local_addr()?));
        serve(listener, world, async {
            // Without a signal handler the server runs until the process is killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await;
        Ok(())
    })
}

/// A running emulator on `127.0.0.1`, stopped when dropped.
#[derive(Debug)]
pub struct Emulator {
    shared: Shared,
    url: String,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Starts serving `world` on a free port, on a background thread with its own runtime.
    pub fn start(world: World) -> Result<Emulator, EmulatorError> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let shared: Shared = Arc::new(Mutex::new(State::new(world)));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let served = Arc::clone(&shared);
        let thread =
            std::thread::Builder::new().name("jobform-emulator".to_owned()).spawn(move || {
                runtime.block_on(server::run(listener, served, async {
                    // A dropped sender means the handle is gone: stop too.
                    let _ = stopped.await;
                }));
            })?;
        Ok(Emulator { shared, url, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request received so far (since the last [`Self::clear_journal`]).
    pub fn journal(&self) -> Vec<JournalEntry> {
        lock(&self.shared).journal.entries()
    }

    /// Forgets the journal.
    pub fn clear_journal(&self) {
        lock(&self.shared).journal.clear();
    }

    /// Moves the emulated clock forward; pending transitions and pause rules follow.
    pub fn advance(&self, by: Duration) {
        lock(&self.shared).clock.advance(by);
    }

    /// The emulated time.
    pub fn now(&self) -> OffsetDateTime {
        lock(&self.shared).clock.now()
    }

    /// Adds a fault (the first matching fault fires).
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared).faults.inject(fault);
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        lock(&self.shared).faults.clear();
    }

    /// How many requests `slow` faults are delaying right now: a test waits
    /// for this instead of guessing how long a request takes to arrive.
    pub fn held_requests(&self) -> usize {
        lock(&self.shared).held.count()
    }

    /// Ends the delay of every request a `slow` fault is delaying now: each
    /// goes on to its action and answer at once.
    pub fn release_held(&self) {
        lock(&self.shared).held.release();
    }

    /// Sets one action's limit (`qps == 0` removes it).
    pub fn set_rate_limit(&self, limit: &RateLimit) {
        lock(&self.shared).limits.set(limit);
    }

    /// Removes every rate limit.
    pub fn clear_rate_limits(&self) {
        lock(&self.shared).limits.clear();
    }

    /// Every job's current state.
    pub fn jobs(&self) -> Vec<JobView> {
        lock(&self.shared).jobs()
    }

    /// Makes job `id` (its forward task) report `status` from now on,
    /// whatever the word: unknown to the state machines, or hostile (control
    /// characters, Markdown). The world file refuses such words; tests use
    /// this to check what jobform does with them. False when there is no
    /// such job.
    pub fn set_status(&self, id: &str, status: &str) -> bool {
        lock(&self.shared).force_status(id, status)
    }

    /// The message every injected server error carries (both clouds), in
    /// place of the cloud's own; `None` restores it.
    pub fn set_error_message(&self, message: Option<&str>) {
        lock(&self.shared).settings.error_message = message.map(str::to_owned);
    }

    /// The `RequestId` of every Alibaba answer, in place of a fresh one;
    /// `None` restores fresh ids. (Huawei sends its id in a header too,
    /// where control characters cannot go.)
    pub fn set_alibaba_request_id(&self, request_id: Option<&str>) {
        lock(&self.shared).settings.alibaba_request_id = request_id.map(str::to_owned);
    }

    /// The current status of job `id` (the forward task for two-way jobs).
    pub fn job_status(&self, id: &str) -> Option<String> {
        self.jobs().into_iter().find(|job| job.id == id).map(|job| job.status)
    }

    /// The current status of the reverse task of two-way job `id`.
    pub fn reverse_status(&self, id: &str) -> Option<String> {
        self.jobs().into_iter().find(|job| job.id == id).and_then(|job| job.reverse_status)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The server may already have stopped; either way it is told to.
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panicked server thread has nothing left to clean up.
            let _ = thread.join();
        }
    }
}
