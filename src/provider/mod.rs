//! Cloud clients ("providers"): turn declared jobs into live facts and planned
//! actions into requests. Everything that touches the wire — endpoints,
//! credentials, signatures, paging, batching, retries, error decoding — lives
//! under this module and nowhere else.
//!
//! The public surface:
//! - [`Provider`]: `read` the live status of declared jobs in bulk (paged,
//!   never one request per job where the API can list) and `execute` a
//!   [`Call`] as one request, with one [`ActionResult`] per action.
//! - [`CloudProvider::from_config`] builds the right client from a
//!   [`ProviderConfig`], looking credentials up in the environment when the
//!   block leaves them out; [`AlibabaClient`] and [`HuaweiClient`] can also
//!   be built directly with [`Settings`] and a [`Clock`].
//! - [`ProviderError`]: the one error type (code, message, HTTP status,
//!   request id, retryable, outcome unknown).
//!
//! # Reads
//!
//! | kind | requests |
//! |---|---|
//! | `alibaba_dts` | `DescribeDtsJobs` per `JobType`: each id under its known type (hinted from the state, or found by an earlier read), else `MIGRATION`, then `SYNC`, then `SUBSCRIBE` for the ids not found yet; ids comma-joined (≤ 300 per filter), `PageSize=30` |
//! | `alibaba_migration` | `DescribeMigrationJobs`, `PageSize=30`, until every declared id was seen |
//! | `alibaba_synchronization` | `DescribeSynchronizationJobs`, `PageSize=30`, until every declared id was seen; `DescribeSynchronizationJobStatus` (`Reverse`) only for a declared reverse task the listing does not show |
//! | `huawei_drs` | `batch-status` with ≤ 100 ids, next page while `count` says more remain |
//!
//! Every filter of a read, and every page after a listing's first (which
//! announces the total), is in flight together, within `max_in_flight` and
//! each action's pace.
//!
//! # Listings
//!
//! [`CloudProvider::list`] answers a [`ListingQuery`] (`jobform import`, the
//! data sources) with every job of one listing, paged the same way
//! (`paging`): `DescribeDtsJobs` per `JobType` with `Status` when asked
//! (`PageSize=30`), the legacy `DescribeMigrationJobs` /
//! `DescribeSynchronizationJobs` (`PageSize=30`, no filters), DRS
//! `ShowJobList` per `db_use_type` with `status` / `engine_type` when asked
//! (`per_page` 100): ⌈jobs / page⌉ requests per type.
//!
//! `batch-detail` is not called: the status word already says what the
//! planner needs (DRS has no two-way topology; the phase is in the word).
//! An id the listing lacks, or that DRS answers with `DRS.10000010`, is
//! `not_found`. Every status word is kept verbatim next to its [`LiveState`](crate::model::LiveState)
//! (case-insensitive mapping; an unlisted word is `Unknown`, never guessed).
//!
//! # Actions
//!
//! A [`Call`] is one planned request (restricted to the jobs going ahead),
//! and the client sends it as exactly one HTTP request (plus retries): the
//! planner has already grouped by kind, verb and direction and chunked at
//! `batch_size` (`plan/batch.rs`), so the clients never group, chunk or
//! reorder. A call of several jobs uses the batch form (forward
//! `alibaba_dts`: `SuspendDtsJobs` / `StartDtsJobs` / `StopDtsJobs`; Huawei's
//! operations are batch-only), a call of one the single-job form. A call
//! that cannot go out as one request (mixed kinds, verbs or directions,
//! several jobs of a kind that does not batch) is refused whole, naming
//! why, never split. Legacy migration suspend and stop carry a `ClientToken`
//! derived from [`Action::token_seed`]; Huawei batches are checked item by
//! item. What a request carries besides ids comes from each action's
//! [`KindOptions`] as planned, never from a default of the client:
//! `DtsInstanceId` (single-job form) and `SynchronizationDirection` from
//! Alibaba's, each DRS job's `pause_mode` from Huawei's; an action whose
//! options are another cloud's is refused, like a foreign kind.
//! What each failure becomes:
//!
//! | what happened | reads | actions |
//! |---|---|---|
//! | throttled (`Throttling*`, `APIGW.0308`, HTTP 429), reused nonce | retried | retried (refused, so nothing was done) |
//! | connection refused / connect timeout | retried | retried, then `Rejected` (never sent) |
//! | timeout after sending, reset, body cut off | retried | `Unknown`, never re-sent |
//! | HTTP 5xx, `InternalError`, `ServiceUnavailable` | retried | `Unknown`, never re-sent |
//! | an unreadable body (HTML, truncated JSON) | retried, then error quoting an excerpt | `Unknown` |
//! | an unreadable body with HTTP 401 or 404 (not the API, or not for this caller) | error | `Unknown` |
//! | any other error code | error | `Rejected` with the cloud's code and message |
//!
//! A read error past its retries is one of two things
//! ([`ProviderError::affects_provider`]):
//!
//! | failure | scope | what `plan` and `apply` do |
//! |---|---|---|
//! | credentials or signature refused (`InvalidAccessKeyId.*`, `SignatureDoesNotMatch`, `IncompleteSignature`, `InvalidSecurityToken.*`, `APIGW.0301`–`0307`, `IAM.*`), region or API unknown (`InvalidRegionId`, `APIGW.0101`), no connection or no answer (DNS, TLS, refused, reset, timeout), throttled past `max_retry_seconds`, a 401/404 page, missing credentials | the provider block | fail the run before planning (exit 1, whatever `--skip-blocked`): one error per failing block, with its file:line, the cause and the fix |
//! | anything else (a malformed page, a server error, an item error) | the listing that failed | that listing's jobs are `read_failed`, naming the operation; the other listings' jobs are planned |
//!
//! Retries back off exponentially with full jitter (200 ms doubling to
//! 20 s), wait at least `x-acs-retry-after` (milliseconds) or `Retry-After`
//! (seconds), and stop after `max_attempts` (5) or `max_retry_seconds` (60).
//! A throttled refusal does not count as an attempt (nothing was done; the
//! wait stays short): only `max_retry_seconds` bounds a throttled request.
//! Requests in flight are capped per provider (`max_in_flight`, 4), and
//! each action is paced at its documented rate limit (`max_requests_per_second`
//! overrides it; see `pace`); timeouts
//! are `connect_timeout` (5 s) and `request_timeout` (30 s).
//!
//! # Credentials
//!
//! From the provider block, else the environment (see [`credentials`]):
//! `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`,
//! `ALIBABA_CLOUD_SECURITY_TOKEN`; `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`,
//! `HUAWEICLOUD_SDK_SECURITY_TOKEN`, or `HUAWEICLOUD_AUTH_TOKEN`. Secrets are
//! held as [`crate::model::Secret`] and never logged; transport errors are
//! kept without their URL (which carries the STS token).

mod alibaba;
mod clock;
pub mod credentials;
mod error;
pub mod fleet;
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod huawei;
mod lenient;
mod pace;
mod paging;
mod registry;
mod retry;
mod settings;
#[cfg(test)]
mod testing;

use std::collections::HashMap;
use std::future::Future;

use crate::model::{
    ActionVerb, Address, Cloud, DesiredJob, JobKind, KindOptions, ListedJob, ListingQuery, LiveJob,
    ProviderConfig,
};

pub use alibaba::AlibabaClient;
pub use clock::{Clock, FixedClock, SystemClock};
pub use credentials::{AlibabaCredentials, EnvLookup, HuaweiCredentials};
pub use error::{ProviderError, ProviderErrorKind};
pub use huawei::HuaweiClient;
pub use registry::describe;
pub use retry::{Intent, RetryPolicy};
pub use settings::Settings;

/// One declared job to read: what the provider needs to find it in a
/// listing. It borrows from the declaration: a read of 100,000 jobs copies
/// no id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobRef<'a> {
    /// The API family.
    pub kind: JobKind,
    /// The cloud's job id.
    pub id: &'a str,
    /// The job's kind options: a reverse task of a legacy synchronization
    /// needs its own status call when the listing does not show it.
    pub options: &'a KindOptions,
}

impl<'a> JobRef<'a> {
    /// What a read is indexed by: one live job per kind and id.
    pub fn key(&self) -> (JobKind, &'a str) {
        (self.kind, self.id)
    }
}

impl<'a> From<&'a DesiredJob> for JobRef<'a> {
    fn from(job: &'a DesiredJob) -> Self {
        JobRef { kind: job.kind(), id: &job.id, options: &job.options }
    }
}

/// The kind and id a live job is indexed by (see [`JobRef::key`]).
fn live_key(live: &LiveJob) -> (JobKind, &str) {
    (live.kind, &live.id)
}

/// The answer to a bulk read, each list sorted by kind and id (a result
/// never depends on the order of pages), so a job is found by binary
/// search: no index of the whole fleet is built beside it. Built by
/// [`LiveRead::new`], which sorts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveRead<'a> {
    /// The declared jobs the cloud reported, one per `(kind, id)`.
    pub found: Vec<LiveJob>,
    /// The declared jobs the cloud does not know (absent from the listing, or
    /// reported as nonexistent), so the planner can name their blocks.
    pub not_found: Vec<JobRef<'a>>,
    /// The declared jobs whose listing failed (past its retries) for a
    /// reason of that listing alone, with the error naming its operation.
    pub failed: Vec<(JobRef<'a>, ProviderError)>,
}

impl<'a> LiveRead<'a> {
    /// The live job with this kind and id, if the cloud reported it.
    pub fn get(&self, kind: JobKind, id: &str) -> Option<&LiveJob> {
        self.position(kind, id).map(|i| &self.found[i])
    }

    /// Where the live job with this kind and id is in `found`.
    pub fn position(&self, kind: JobKind, id: &str) -> Option<usize> {
        self.found.binary_search_by(|live| live_key(live).cmp(&(kind, id))).ok()
    }

    /// The error of the listing that failed to read this kind and id.
    pub fn failure(&self, kind: JobKind, id: &str) -> Option<&ProviderError> {
        let i = self.failed.binary_search_by(|(job, _)| job.key().cmp(&(kind, id))).ok()?;
        Some(&self.failed[i].1)
    }

    /// Joins the listings of one read, each serving the jobs of one kind.
    /// A failure that [`affects_provider`](ProviderError::affects_provider)
    /// fails the whole read (the first, in listing order); any other failure
    /// marks only the jobs of its listing's kind failed, so one broken
    /// listing never hides what the others read.
    fn assemble<const N: usize>(
        requested: &[JobRef<'a>],
        listings: [(JobKind, Result<Vec<LiveJob>, ProviderError>); N],
    ) -> Result<LiveRead<'a>, ProviderError> {
        let total: usize =
            listings.iter().map(|(_, listing)| listing.as_ref().map_or(0, Vec::len)).sum();
        let mut found = Vec::new();
        let mut failed = HashMap::new();
        for (kind, listing) in listings {
            match listing {
                // The first listing's vector is kept (a read of one listing
                // copies nothing) and grown once to hold the others: grown by
                // doubling, 70,000 live jobs had room for 131,072.
                Ok(jobs) if found.is_empty() => found = jobs,
                Ok(jobs) => {
                    found.reserve_exact(total - found.len());
                    found.extend(jobs);
                }
                Err(error) if error.affects_provider() => return Err(error),
                Err(error) => {
                    failed.insert(kind, error);
                }
            }
        }
        Ok(LiveRead::new(requested, found, &failed))
    }

    /// The read of `requested` that found `found` (in any order, possibly
    /// with duplicates or jobs not requested), the listings of the kinds in
    /// `failed` having failed: sorts `found` by kind and id in place, keeping
    /// one job per kind and id and only the jobs requested, and sorts the
    /// requested jobs it lacks into `failed` or `not_found`.
    pub fn new(
        requested: &[JobRef<'a>],
        mut found: Vec<LiveJob>,
        failed: &HashMap<JobKind, ProviderError>,
    ) -> LiveRead<'a> {
        let mut wanted = requested.to_vec();
        wanted.sort_unstable_by(|a, b| a.key().cmp(&b.key()));
        wanted.dedup_by(|a, b| a.key() == b.key());
        // In place: no index of the fleet, no second vector of live jobs. A
        // job listed twice (a listing that shifted while paged) keeps one item.
        found.sort_unstable_by(|a, b| live_key(a).cmp(&live_key(b)));
        found.dedup_by(|a, b| live_key(a) == live_key(b));
        found.retain(|live| wanted.binary_search_by(|job| job.key().cmp(&live_key(live))).is_ok());
        let mut read = LiveRead { found, ..LiveRead::default() };
        for job in wanted {
            if read.position(job.kind, job.id).is_some() {
                continue;
            }
            match failed.get(&job.kind) {
                Some(error) => read.failed.push((job, error.clone())),
                None => read.not_found.push(job),
            }
        }
        read
    }
}

/// One planned action on one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// The job block instance the action is for (its kind selects the API).
    pub address: Address,
    /// The cloud's job id.
    pub id: String,
    /// What to do.
    pub verb: ActionVerb,
    /// The job's kind options, as planned (direction, instance id, pause mode).
    pub options: KindOptions,
    /// A string stable for this one planned action and different for every
    /// other (the applier uses the state lineage, serial and address). The
    /// legacy APIs' `ClientToken` is derived from it, so a request sent twice
    /// is deduplicated by the cloud.
    pub token_seed: String,
}

impl Action {
    /// The job's API family.
    pub fn kind(&self) -> JobKind {
        self.address.kind
    }
}

/// One request to send, exactly as planned: the actions of one planned
/// request, restricted to the jobs going ahead, in the plan's order. The
/// client sends it as one HTTP request (plus retries), in the batch form
/// when it carries several jobs; see [`Call::unsendable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The actions, one per job.
    pub actions: Vec<Action>,
}

impl Call {
    /// Why this call cannot go out as one request, if it cannot: the
    /// planner builds every call of one kind, verb and direction, and of
    /// several jobs only where the kind batches, so this is a programming
    /// error, refused whole rather than split.
    pub fn unsendable(&self) -> Option<String> {
        let Some(first) = self.actions.first() else {
            return Some("the call carries no job".to_owned());
        };
        let direction = first.options.direction();
        let mixed = self.actions.iter().any(|action| {
            action.kind() != first.kind()
                || action.verb != first.verb
                || action.options.direction() != direction
        });
        if mixed {
            Some(format!("the call to {} mixes kinds, verbs or directions", first.address))
        } else if self.actions.len() > 1 && !describe(first.kind()).batches(first.verb, direction) {
            Some(format!(
                "{} {} does not batch, yet the call carries {} jobs",
                first.kind(),
                first.verb,
                self.actions.len()
            ))
        } else {
            None
        }
    }

    /// The same outcome for every action of the call, in order.
    fn answer_all(&self, outcome: &RequestOutcome) -> Vec<ActionResult> {
        self.actions
            .iter()
            .map(|action| ActionResult {
                address: action.address.clone(),
                outcome: outcome.clone(),
            })
            .collect()
    }
}

/// What became of the request that carried an action (not yet whether the
/// job reached its target: the applier polls for that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    /// The cloud accepted the request (the job may still be transitioning).
    Accepted {
        /// The cloud's request id.
        request_id: Option<String>,
    },
    /// The cloud refused: nothing was done.
    Rejected {
        /// Why.
        error: ProviderError,
    },
    /// No definite answer (timeout, reset, 5xx): the action may have taken
    /// effect. It is never re-sent; the applier re-reads the job first.
    Unknown {
        /// What happened instead of an answer.
        error: ProviderError,
    },
}

impl RequestOutcome {
    /// Sorts a failed request's error into "refused" or "unknown".
    fn from_error(error: ProviderError) -> Self {
        if error.outcome_unknown() {
            RequestOutcome::Unknown { error }
        } else {
            RequestOutcome::Rejected { error }
        }
    }
}

/// The result of one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionResult {
    /// The action's address.
    pub address: Address,
    /// What became of it.
    pub outcome: RequestOutcome,
}

/// A cloud client.
pub trait Provider: Send + Sync {
    /// Reads the live status of `jobs` in bulk. Every job is in `found`,
    /// `not_found` or `failed` (its listing failed, past its retries);
    /// a failure of the provider block itself
    /// ([`ProviderError::affects_provider`]) fails the whole read.
    fn read<'a>(
        &self,
        jobs: &[JobRef<'a>],
    ) -> impl Future<Output = Result<LiveRead<'a>, ProviderError>> + Send;

    /// Sends `call` as one request (plus retries), never regrouped or split,
    /// and returns one result per action, in the order given.
    fn execute(&self, call: &Call) -> impl Future<Output = Vec<ActionResult>> + Send;
}

/// The client of one provider block, whichever the cloud.
#[derive(Debug)]
pub enum CloudProvider {
    /// `provider "alibaba"`.
    Alibaba(AlibabaClient),
    /// `provider "huawei"`.
    Huawei(HuaweiClient),
}

impl CloudProvider {
    /// Builds the client of a provider block; credentials the block leaves
    /// out are looked up with `env` (pass `&|name| std::env::var(name).ok()`).
    pub fn from_config(config: &ProviderConfig, env: EnvLookup<'_>) -> Result<Self, ProviderError> {
        Ok(match config {
            ProviderConfig::Alibaba(block) => {
                CloudProvider::Alibaba(AlibabaClient::from_config(block, env)?)
            }
            ProviderConfig::Huawei(block) => {
                CloudProvider::Huawei(HuaweiClient::from_config(block, env)?)
            }
        })
    }
}

impl CloudProvider {
    /// Every job `query` asks for, in the cloud's order (DTS: by `JobType`,
    /// DRS: by `db_use_type`, in [`Listing::job_types`](crate::model::Listing::job_types)
    /// order), each two-way task once with its reverse task's status. Paged
    /// like every read: ⌈jobs / page⌉ requests per job type, the pages after
    /// the first in flight together within `max_in_flight` and the action's
    /// pace, retried and throttled like every read.
    ///
    /// # Errors
    ///
    /// A query the wire cannot carry ([`ListingQuery::check`]) or of another
    /// cloud, refused before sending; else the first failing page's error
    /// (with its request id), past its retries.
    pub async fn list(&self, query: &ListingQuery) -> Result<Vec<ListedJob>, ProviderError> {
        match self {
            CloudProvider::Alibaba(client) => client.list(query).await,
            CloudProvider::Huawei(client) => client.list(query).await,
        }
    }
}

/// Refuses, before anything is sent, a query the wire cannot carry or that
/// another cloud's client must answer.
fn check_query(cloud: Cloud, query: &ListingQuery) -> Result<(), ProviderError> {
    let refusal = if query.listing.kind().cloud() == cloud {
        query.check().err()
    } else {
        Some(format!("{} is not listed by the {cloud} provider", query.listing))
    };
    match refusal {
        Some(detail) => {
            Err(ProviderError::local(cloud, "list", ProviderErrorKind::Unsupported { detail }))
        }
        None => Ok(()),
    }
}

impl Provider for CloudProvider {
    async fn read<'a>(&self, jobs: &[JobRef<'a>]) -> Result<LiveRead<'a>, ProviderError> {
        match self {
            CloudProvider::Alibaba(client) => client.read(jobs).await,
            CloudProvider::Huawei(client) => client.read(jobs).await,
        }
    }

    async fn execute(&self, call: &Call) -> Vec<ActionResult> {
        match self {
            CloudProvider::Alibaba(client) => client.execute(call).await,
            CloudProvider::Huawei(client) => client.execute(call).await,
        }
    }
}
