//! apply: executes a [`Plan`] against the clouds and records every result in
//! the state file.
//!
//! Wave by wave: one bulk re-read of the wave's jobs (a job whose status is
//! no longer what the plan assumed is skipped as *stale*), then the wave's
//! requests with bounded parallelism, then bulk polling until every accepted
//! action reaches its target, fails, or times out. A request's write-ahead
//! mark is durable before it goes out, and the answers are durable before
//! the watch begins; writes are grouped where that allows (the calls that
//! start together and the answers since the last write in one commit, the
//! jobs that settle in one poll in one commit), so a crash at any point
//! loses nothing that was done. An action whose answer was lost (timeout, reset, 5xx) is
//! never sent again: the job is re-read, and only a job seen reaching the
//! target counts as done. Dependents of a failed or skipped job are skipped;
//! independent work goes on.
//!
//! The engine never prints: it reports through [`ApplyHooks`]. The caller
//! holds the state lock.

mod engine;
mod event;
mod interrupt;
mod ledger;
mod report;
#[cfg(test)]
mod tests;
mod timer;

use std::time::Duration;

pub use self::event::{ApplyEvent, ApplyHooks};
pub use self::interrupt::Interrupt;
pub use self::report::{
    ApplyReport, ApplyStatus, ApplySummary, JobOutcome, JobResult, SkipReason, short_duration,
};
pub use self::timer::Timer;
use crate::model::Address;
use crate::plan::Plan;
use crate::provider::fleet::{Fleet, ProviderFailures};
use crate::provider::{CloudProvider, Provider};
use crate::state::{Actor, State, StateError, StateStore};

/// Requests in flight at once unless `--parallelism` says otherwise.
pub const DEFAULT_PARALLELISM: usize = 10;
/// How long an action may take to reach its target unless `--wait-timeout` says otherwise.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(600);
/// How long a job whose action got no answer is watched for the target
/// before its outcome is recorded as unknown. The clouds keep reporting the
/// old status while an action settles, so "moving to the target" can only
/// be seen by watching for a while.
pub const DEFAULT_CONFIRM_WINDOW: Duration = Duration::from_secs(30);

/// How an apply runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Most requests in flight at once (at least 1).
    pub parallelism: usize,
    /// Longest wait for an accepted action to reach its target.
    pub wait_timeout: Duration,
    /// Longest watch of a job whose action got no answer ([`DEFAULT_CONFIRM_WINDOW`]).
    pub confirm_window: Duration,
    /// `--no-wait`: record accepted actions as pending and move on (jobs
    /// that others depend on are still waited for, since `depends_on`
    /// promises the dependency reached its target first).
    pub no_wait: bool,
    /// `-m`: why, recorded in the audit log.
    pub message: Option<String>,
    /// Who runs the apply.
    pub actor: Actor,
}

impl ApplyOptions {
    /// The defaults, for `actor`.
    pub fn new(actor: Actor) -> Self {
        ApplyOptions {
            parallelism: DEFAULT_PARALLELISM,
            wait_timeout: DEFAULT_WAIT_TIMEOUT,
            confirm_window: DEFAULT_CONFIRM_WINDOW,
            no_wait: false,
            message: None,
            actor,
        }
    }
}

/// Why an apply stopped short.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The plan has blocked jobs and was not made with `--skip-blocked`.
    #[error(
        "the plan has blocked jobs ({}); nothing was applied. Fix them, narrow the plan with --target/--exclude, or pass --skip-blocked",
        join(.0)
    )]
    Blocked(Vec<Address>),
    /// The state could not be written: the apply stopped at once (what was
    /// already recorded stays recorded; the events name what was done).
    #[error("the apply stopped because the state could not be written: {0}")]
    State(#[from] StateError),
    /// A provider block could not be read before a wave: nothing of that
    /// wave was sent (what earlier waves did is recorded).
    #[error("the apply stopped before a wave, sending none of it: {0}")]
    Providers(#[from] ProviderFailures),
}

fn join(addresses: &[Address]) -> String {
    addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// What an apply works on.
#[derive(Debug)]
pub struct ApplyInput<'a, P = CloudProvider> {
    /// The plan (fresh, or a checked saved plan).
    pub plan: &'a Plan,
    /// The provider clients.
    pub fleet: &'a Fleet<P>,
    /// Where the state is written.
    pub store: &'a std::sync::Arc<dyn StateStore>,
    /// How to run.
    pub options: &'a ApplyOptions,
}

// By hand: derived, they would ask the provider to be `Copy` too.
impl<P> Clone for ApplyInput<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for ApplyInput<'_, P> {}

/// Applies `input.plan`, updating `state` (loaded from `input.store`, whose
/// lock the caller holds) and committing what changed as it goes. On
/// error `state` holds everything recorded so far.
///
/// # Errors
///
/// [`ApplyError::Blocked`] before anything is done; [`ApplyError::State`]
/// when the state cannot be written.
pub async fn apply<P: Provider>(
    input: ApplyInput<'_, P>,
    state: &mut State,
    timer: &impl Timer,
    interrupt: &Interrupt,
    hooks: &mut dyn ApplyHooks,
) -> Result<ApplyReport, ApplyError> {
    engine::Engine::new(input, state, timer, interrupt, hooks).run().await
}
