//! The Alibaba DTS client: signed RPC calls, bulk paged reads, one request per planned call.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use futures_util::future::try_join_all;
use serde::de::{DeserializeOwned, IgnoredAny};
use sha2::{Digest, Sha256};

use crate::model::{
    ActionVerb, AlibabaProvider, Cloud, Direction, DtsJobType, JobKind, KindOptions, ListedJob,
    Listing, ListingQuery, LiveJob, LiveReverse, Secret,
};
use crate::provider::clock::{Clock, SystemClock};
use crate::provider::credentials::{self, AlibabaCredentials, EnvLookup};
use crate::provider::error::{ProviderError, ProviderErrorKind};
use crate::provider::http::{RawResponse, Transport, parse_endpoint, retry_after};
use crate::provider::paging::{Page, Walk, bounded};
use crate::provider::retry::Intent;
use crate::provider::settings::Settings;
use crate::provider::{
    Action, ActionResult, Call, JobRef, LiveRead, RequestOutcome, check_query, describe,
};
use crate::state::JobRecord;

use super::sign::{Signer, percent_encode};
use super::status::live_state;
use super::wire::{
    DtsJob, DtsJobPage, Envelope, MigrationJob, MigrationPage, SynchronizationJob,
    SynchronizationPage, SynchronizationStatus,
};

/// The largest page every DTS listing accepts (`PageSize` 10/20/30).
const PAGE_SIZE: usize = 30;

/// The most ids one `DescribeDtsJobs` filter carries: ten full pages, and a
/// query string of about 5 KB, well within what HTTP front ends accept.
const IDS_PER_LISTING: usize = 10 * PAGE_SIZE;

/// What the DTS status words say of a job's `JobType` (the type itself is
/// model vocabulary: the state records it).
impl DtsJobType {
    /// The type a DTS status word belongs to, when only one type uses it
    /// (`Migrating` is a migration's, `Normal` a change tracking's);
    /// `Suspending`, `Finished` and the like say nothing.
    pub fn of_status(raw_status: &str) -> Option<DtsJobType> {
        match raw_status {
            "Migrating" | "MigrationFailed" => Some(DtsJobType::Migration),
            "Synchronizing" | "Initializing" | "InitializeFailed" | "Failed" | "Modifying"
            | "ModifyFailed" => Some(DtsJobType::Sync),
            "Starting" | "Normal" | "Abnormal" => Some(DtsJobType::Subscribe),
            _ => None,
        }
    }

    /// The type of a recorded job, when it is an `alibaba_dts` task (the
    /// legacy kinds have no `JobType`): the type it was found under, else
    /// (a state written before types were recorded) the one its recorded
    /// status names.
    pub fn of_record(record: &JobRecord) -> Option<DtsJobType> {
        match record.kind {
            JobKind::AlibabaDts => record
                .observed
                .job_type
                .or_else(|| DtsJobType::of_status(&record.observed.raw_status)),
            JobKind::AlibabaMigration | JobKind::AlibabaSynchronization | JobKind::HuaweiDrs => {
                None
            }
        }
    }

    fn bit(self) -> u8 {
        match self {
            DtsJobType::Migration => 1,
            DtsJobType::Sync => 2,
            DtsJobType::Subscribe => 4,
        }
    }
}

/// A client of one Alibaba provider block.
#[derive(Debug)]
pub struct AlibabaClient {
    region: String,
    endpoint: reqwest::Url,
    credentials: AlibabaCredentials,
    transport: Transport,
    clock: Arc<dyn Clock>,
    /// The `JobType` of each DTS id, as hinted (from the state) or found by a
    /// read: a later read (apply's re-read, its settle polls) asks each id
    /// under its own type and sends no probe of another. Keyed by a hash of
    /// the id, not a copy of it (at 100,000 jobs, 50,000 strings held to the
    /// end of the plan): ids that collide share a hint, and a wrong hint
    /// costs a probe, never a result.
    job_types: Mutex<HashMap<u64, DtsJobType>>,
}

/// An operation name and its parameters.
type RpcCall = (&'static str, Vec<(String, String)>);

impl AlibabaClient {
    /// The client of a provider block, with credentials from the block or `env`.
    pub fn from_config(block: &AlibabaProvider, env: EnvLookup<'_>) -> Result<Self, ProviderError> {
        let credentials = credentials::alibaba(block, env)?;
        AlibabaClient::new(
            &block.region,
            block.endpoint.as_deref(),
            credentials,
            &Settings::from_tuning(&block.tuning),
            Arc::new(SystemClock),
        )
    }

    /// A client for `region`, at `endpoint` when given (else the region's own).
    pub fn new(
        region: &str,
        endpoint: Option<&str>,
        credentials: AlibabaCredentials,
        settings: &Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ProviderError> {
        let endpoint = match endpoint {
            Some(endpoint) => endpoint.to_owned(),
            None => super::regional_endpoint(region),
        };
        Ok(AlibabaClient {
            region: region.to_owned(),
            endpoint: parse_endpoint(Cloud::Alibaba, &endpoint)?,
            credentials,
            transport: Transport::new(Cloud::Alibaba, settings)?,
            clock,
            job_types: Mutex::new(HashMap::new()),
        })
    }

    /// Records the `JobType` of DTS ids (from the state), so a read asks
    /// each under its type first. A wrong hint costs a probe, never a result:
    /// an id not found under its hinted type is asked under the others.
    pub fn hint_job_types<'a>(&self, hints: impl IntoIterator<Item = (&'a str, DtsJobType)>) {
        let mut known = self.job_types.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        known.extend(hints.into_iter().map(|(id, job_type)| (id_hash(id), job_type)));
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &reqwest::Url {
        &self.endpoint
    }

    /// Reads the live status of `jobs` (see [`crate::provider::Provider::read`]).
    pub async fn read<'a>(&self, jobs: &[JobRef<'a>]) -> Result<LiveRead<'a>, ProviderError> {
        let mut dts = BTreeSet::new();
        let mut migrations = BTreeSet::new();
        let mut synchronizations: BTreeMap<&str, bool> = BTreeMap::new();
        for job in jobs {
            match job.kind {
                JobKind::AlibabaDts => {
                    dts.insert(job.id);
                }
                JobKind::AlibabaMigration => {
                    migrations.insert(job.id);
                }
                JobKind::AlibabaSynchronization => {
                    *synchronizations.entry(job.id).or_default() |=
                        job.options.direction() == Direction::Reverse;
                }
                JobKind::HuaweiDrs => return Err(foreign_kind("read", job.kind)),
            }
        }
        // Each listing runs to its end: one failing must not cut the others short.
        let (dts, migrations, synchronizations) = tokio::join!(
            self.read_dts(&dts),
            self.read_migrations(&migrations),
            self.read_synchronizations(&synchronizations),
        );
        LiveRead::assemble(
            jobs,
            [
                (JobKind::AlibabaDts, dts),
                (JobKind::AlibabaMigration, migrations),
                (JobKind::AlibabaSynchronization, synchronizations),
            ],
        )
    }

    /// Every job `query` asks for (see [`crate::provider::CloudProvider::list`]):
    /// `DescribeDtsJobs` once per `JobType` (all three when the query names
    /// none), or a legacy listing, each paged (`PageSize=30`, the pages after
    /// the first in flight together).
    pub async fn list(&self, query: &ListingQuery) -> Result<Vec<ListedJob>, ProviderError> {
        check_query(Cloud::Alibaba, query)?;
        match query.listing {
            Listing::AlibabaDtsJobs => {
                let listings =
                    try_join_all(query.job_types().into_iter().flatten().map(|word| {
                        let mut params = self.params(&[
                            ("Region", &self.region),
                            ("JobType", word),
                            ("WithoutDbList", "true"),
                        ]);
                        if let Some(status) = &query.status {
                            params.push(("Status".to_owned(), status.clone()));
                        }
                        async move {
                            Ok::<_, ProviderError>((word, self.describe_dts_jobs(params).await?))
                        }
                    }))
                    .await?;
                Ok(listings
                    .into_iter()
                    .flat_map(|(word, listed)| {
                        pair_directions(listed).into_iter().map(move |(job, reverse_status)| {
                            ListedJob {
                                kind: JobKind::AlibabaDts,
                                name: job.name.unwrap_or_else(|| job.id.clone()),
                                status: job.status.unwrap_or_default(),
                                job_type: Some(word.to_owned()),
                                instance_id: job.instance_id.filter(|id| !id.is_empty()),
                                two_way: Some(reverse_status.is_some()),
                                reverse_status,
                                id: job.id,
                            }
                        })
                    })
                    .collect())
            }
            Listing::AlibabaMigrationJobs => {
                let listed = self.describe_migration_jobs(|_| false).await?;
                Ok(listed
                    .into_iter()
                    .map(|job| ListedJob {
                        kind: JobKind::AlibabaMigration,
                        name: job.name.unwrap_or_else(|| job.id.clone()),
                        status: job.status.unwrap_or_default(),
                        reverse_status: None,
                        job_type: None,
                        instance_id: None,
                        // The legacy migration API has no two-way jobs.
                        two_way: Some(false),
                        id: job.id,
                    })
                    .collect())
            }
            Listing::AlibabaSynchronizationJobs => {
                let listed = self.describe_synchronization_jobs(|_| false).await?;
                Ok(pair_directions(listed)
                    .into_iter()
                    .map(|(job, reverse_status)| ListedJob {
                        kind: JobKind::AlibabaSynchronization,
                        name: job.name.unwrap_or_else(|| job.id.clone()),
                        status: job.status.unwrap_or_default(),
                        job_type: None,
                        instance_id: None,
                        // A reverse item says two-way; its absence says nothing
                        // (the listing may leave reverse tasks out).
                        two_way: reverse_status.as_ref().map(|_| true),
                        reverse_status,
                        id: job.id,
                    })
                    .collect())
            }
            Listing::HuaweiDrsJobs => Err(foreign_kind("list", JobKind::HuaweiDrs)),
        }
    }

    /// Sends `call` as one request (see [`crate::provider::Provider::execute`]):
    /// the single-job form for one action, the batch form (`DtsJobIds`) for several.
    pub async fn execute(&self, call: &Call) -> Vec<ActionResult> {
        let outcome = match self.request_of(call) {
            Ok((operation, params)) => {
                tracing::info!(
                    operation,
                    jobs = %call.actions.iter().map(|action| action.id.as_str()).collect::<Vec<_>>().join(","),
                    "sending action"
                );
                match self.call::<IgnoredAny>(operation, &params, Intent::Action).await {
                    Ok((_, request_id)) => RequestOutcome::Accepted { request_id },
                    Err(error) => RequestOutcome::from_error(error),
                }
            }
            Err(error) => RequestOutcome::Rejected { error },
        };
        call.answer_all(&outcome)
    }

    /// The one request of a call, or why it cannot be sent.
    fn request_of(&self, call: &Call) -> Result<RpcCall, ProviderError> {
        if let Some(action) = call.actions.iter().find(|a| a.kind().cloud() != Cloud::Alibaba) {
            return Err(foreign_kind("execute", action.kind()));
        }
        if let Some(reason) = call.unsendable() {
            return Err(ProviderError::local(
                Cloud::Alibaba,
                "execute",
                ProviderErrorKind::Unsupported { detail: reason },
            ));
        }
        match call.actions.as_slice() {
            [action] => self.single_call(action),
            actions => {
                // `unsendable` saw one kind and verb that batch.
                let first = &actions[0];
                let operation = describe(first.kind())
                    .operation(first.verb)
                    .expect("a batching verb has an operation")
                    .name(actions.len());
                let ids: Vec<&str> = actions.iter().map(|action| action.id.as_str()).collect();
                Ok((operation, self.params(&[("DtsJobIds", &ids.join(","))])))
            }
        }
    }

    /// The one-job request of an action (DESIGN.md's table).
    fn single_call(&self, action: &Action) -> Result<RpcCall, ProviderError> {
        let id = action.id.as_str();
        let kind = action.kind();
        let description = describe(kind);
        let Some(operation) = description.operation(action.verb) else {
            let refusal = description.cannot(action.verb).unwrap_or_default();
            return Err(ProviderError::local(
                Cloud::Alibaba,
                "execute",
                ProviderErrorKind::Unsupported { detail: format!("{}: {refusal}", action.address) },
            ));
        };
        let operation = operation.name(1);
        let params = match (kind, &action.options) {
            (JobKind::AlibabaDts, KindOptions::Alibaba(options)) => {
                let mut params = self.params(&[("DtsJobId", id)]);
                if let Some(instance) = &options.instance_id {
                    params.push(("DtsInstanceId".to_owned(), instance.clone()));
                }
                if options.direction == Direction::Reverse {
                    params.push(("SynchronizationDirection".to_owned(), "Reverse".to_owned()));
                }
                params
            }
            (JobKind::AlibabaMigration, KindOptions::Alibaba(_)) => {
                let mut params = self.params(&[("MigrationJobId", id)]);
                // The legacy migration API deduplicates suspend and stop by ClientToken.
                if action.verb != ActionVerb::Resume {
                    params.push(("ClientToken".to_owned(), client_token(action, operation)));
                }
                params
            }
            (JobKind::AlibabaSynchronization, KindOptions::Alibaba(options)) => self.params(&[
                ("SynchronizationJobId", id),
                ("SynchronizationDirection", options.direction.alibaba_word()),
            ]),
            (JobKind::HuaweiDrs, _) | (_, KindOptions::Huawei(_)) => {
                return Err(foreign_kind("execute", kind));
            }
        };
        Ok((operation, params))
    }

    /// `params` plus `RegionId`.
    fn params(&self, params: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut all = vec![("RegionId".to_owned(), self.region.clone())];
        all.extend(params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        all
    }

    /// The declared `alibaba_dts` jobs: `DescribeDtsJobs` filtered by ids
    /// (300 a filter), each id asked under its known `JobType` first (an id
    /// of unknown type under `MIGRATION`, `SYNC`, `SUBSCRIBE` in turn), every
    /// filter and page of a round in flight together, paced by the transport.
    async fn read_dts(&self, ids: &BTreeSet<&str>) -> Result<Vec<LiveJob>, ProviderError> {
        // The types each id was asked under (bits of `DtsJobType::bit`).
        let mut asked: BTreeMap<&str, u8> = ids.iter().map(|id| (*id, 0)).collect();
        let mut found = Vec::with_capacity(ids.len());
        loop {
            let mut rounds: BTreeMap<u8, (DtsJobType, Vec<&str>)> = BTreeMap::new();
            {
                // Locked while the round is made, never across a request.
                let known =
                    self.job_types.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                for (id, tried) in &asked {
                    let next = known
                        .get(&id_hash(id))
                        .copied()
                        .filter(|hint| tried & hint.bit() == 0)
                        .or_else(|| DtsJobType::ALL.into_iter().find(|t| tried & t.bit() == 0));
                    if let Some(job_type) = next {
                        rounds.entry(job_type.bit()).or_insert((job_type, Vec::new())).1.push(*id);
                    }
                }
            }
            if rounds.is_empty() {
                break;
            }
            let filters = rounds.values().flat_map(|&(job_type, ref ids)| {
                ids.chunks(IDS_PER_LISTING).map(move |chunk| async move {
                    let params = self.params(&[
                        ("Region", &self.region),
                        ("JobType", job_type.word()),
                        ("DtsJobId", &chunk.join(",")),
                        ("WithoutDbList", "true"),
                    ]);
                    let listed = self.describe_dts_jobs(params).await?;
                    // Live jobs as each filter answers: the decoded items
                    // (names, instance ids) are not held for the whole round.
                    let live = pair_directions(listed)
                        .into_iter()
                        .map(|(job, reverse_status)| dts_live_job(job_type, job, reverse_status));
                    Ok::<_, ProviderError>((job_type, live.collect::<Vec<_>>()))
                })
            });
            let mut learned = Vec::new();
            bounded(Box::new(filters), self.transport.max_in_flight(), |(job_type, live)| {
                for live in live {
                    if asked.remove(live.id.as_str()).is_some() {
                        learned.push((id_hash(&live.id), job_type));
                        found.push(live);
                    }
                }
            })
            .await?;
            for (job_type, ids) in rounds.values() {
                for id in ids {
                    if let Some(tried) = asked.get_mut(id) {
                        *tried |= job_type.bit();
                    }
                }
            }
            self.job_types
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(learned);
        }
        Ok(found)
    }

    /// The declared legacy migration jobs: `DescribeMigrationJobs` pages until
    /// every declared id has been seen or the listing ends.
    async fn read_migrations(&self, ids: &BTreeSet<&str>) -> Result<Vec<LiveJob>, ProviderError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut unseen: BTreeSet<&str> = ids.clone();
        let listed = self
            .describe_migration_jobs(|page| {
                page.retain(|job| ids.contains(job.id.as_str()));
                for job in page {
                    unseen.remove(job.id.as_str());
                }
                unseen.is_empty()
            })
            .await?;
        Ok(listed
            .into_iter()
            .map(|job| {
                let raw_status = job.status.unwrap_or_default();
                LiveJob {
                    kind: JobKind::AlibabaMigration,
                    state: live_state(&raw_status),
                    id: job.id,
                    raw_status,
                    reverse: None,
                    two_way: Some(false),
                    change_tracking: false,
                    incremental: job.mode.and_then(|mode| mode.data_synchronization),
                    dts_job_type: None,
                }
            })
            .collect())
    }

    /// The declared legacy synchronization jobs (`true`: a reverse block is
    /// declared): `DescribeSynchronizationJobs` pages until every id has been
    /// seen, then `DescribeSynchronizationJobStatus` for a declared reverse
    /// task the listing did not show.
    async fn read_synchronizations(
        &self,
        ids: &BTreeMap<&str, bool>,
    ) -> Result<Vec<LiveJob>, ProviderError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut unseen: BTreeSet<&str> = ids.keys().copied().collect();
        let listed = self
            .describe_synchronization_jobs(|page| {
                page.retain(|job| ids.contains_key(job.id.as_str()));
                for job in page {
                    unseen.remove(job.id.as_str());
                }
                unseen.is_empty()
            })
            .await?;
        let mut found = Vec::new();
        // A declared reverse task the listing does not show costs a status
        // call; only those jobs wait for one, each made as a slot frees (a
        // future per job, made up front, held 1.8 KB each).
        let mut unshown = Vec::new();
        for (job, reverse) in pair_directions(listed) {
            let forward = job.status.unwrap_or_default();
            let wants_reverse = ids.get(job.id.as_str()).copied().unwrap_or(false);
            if wants_reverse && reverse.is_none() {
                unshown.push((job.id, forward));
            } else {
                found.push(synchronization_live_job(job.id, forward, reverse, wants_reverse));
            }
        }
        let asked = unshown.into_iter().map(|(id, forward)| async move {
            let reverse = self.reverse_status(&id).await?;
            Ok(synchronization_live_job(id, forward, reverse, true))
        });
        bounded(Box::new(asked), self.transport.max_in_flight(), |live| found.push(live)).await?;
        Ok(found)
    }

    /// The status of a legacy synchronization's reverse task, asked with
    /// `DescribeSynchronizationJobStatus` (`None`: the job is one-way).
    async fn reverse_status(&self, id: &str) -> Result<Option<String>, ProviderError> {
        let params =
            self.params(&[("SynchronizationJobId", id), ("SynchronizationDirection", "Reverse")]);
        match self
            .call::<SynchronizationStatus>(
                "DescribeSynchronizationJobStatus",
                &params,
                Intent::Read,
            )
            .await
        {
            Ok((status, _)) => Ok(Some(status.status.unwrap_or_default())),
            // The API refuses the Reverse direction of a one-way job: that
            // answers the question (no reverse task) and concerns this job
            // only, never the whole read.
            Err(error) if matches!(error.kind, ProviderErrorKind::Api { .. }) => {
                tracing::debug!(job = %id, code = error.code(), "no reverse task");
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Every page of one `DescribeDtsJobs` query (a listing or an id filter).
    async fn describe_dts_jobs(
        &self,
        params: Vec<(String, String)>,
    ) -> Result<Vec<DtsJob>, ProviderError> {
        self.pages(
            "DescribeDtsJobs",
            "PageNumber",
            params,
            |page: DtsJobPage| (page.jobs, page.total),
            |_| false,
        )
        .await
    }

    /// The items of the legacy `DescribeMigrationJobs` that `keep` leaves in
    /// each page, until it says the caller has what it needs or the listing
    /// ends.
    async fn describe_migration_jobs(
        &self,
        keep: impl FnMut(&mut Vec<MigrationJob>) -> bool,
    ) -> Result<Vec<MigrationJob>, ProviderError> {
        self.pages(
            "DescribeMigrationJobs",
            "PageNum",
            self.params(&[]),
            |page: MigrationPage| {
                (page.jobs.map(|jobs| jobs.items).unwrap_or_default(), page.total)
            },
            keep,
        )
        .await
    }

    /// The items of the legacy `DescribeSynchronizationJobs` that `keep`
    /// leaves in each page, until it says the caller has what it needs or
    /// the listing ends.
    async fn describe_synchronization_jobs(
        &self,
        keep: impl FnMut(&mut Vec<SynchronizationJob>) -> bool,
    ) -> Result<Vec<SynchronizationJob>, ProviderError> {
        self.pages(
            "DescribeSynchronizationJobs",
            "PageNum",
            self.params(&[]),
            |page: SynchronizationPage| (page.jobs, page.total),
            keep,
        )
        .await
    }

    /// The items of a paged listing that `keep` leaves in each page,
    /// `PageSize` 30 (see [`Walk::collect`]): the first page announces the
    /// total, the pages after it go out together.
    async fn pages<P: DeserializeOwned, I>(
        &self,
        operation: &'static str,
        page_param: &str,
        params: Vec<(String, String)>,
        split: impl Fn(P) -> (Vec<I>, Option<u64>),
        keep: impl FnMut(&mut Vec<I>) -> bool,
    ) -> Result<Vec<I>, ProviderError> {
        let fetch = |page_number: usize| {
            let mut page_params = params.clone();
            page_params.push((page_param.to_owned(), page_number.to_string()));
            page_params.push(("PageSize".to_owned(), PAGE_SIZE.to_string()));
            let split = &split;
            async move {
                let (page, request_id) =
                    self.call::<P>(operation, &page_params, Intent::Read).await?;
                let (items, total) = split(page);
                Ok::<_, ProviderError>(Page { items, total, request_id })
            }
        };
        let walk = Walk {
            cloud: Cloud::Alibaba,
            operation,
            page_size: PAGE_SIZE,
            max_in_flight: self.transport.max_in_flight(),
        };
        walk.collect(fetch, keep).await
    }

    /// One signed RPC call, retried per `intent`; returns the decoded body and the request id.
    async fn call<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        params: &[(String, String)],
        intent: Intent,
    ) -> Result<(T, Option<String>), ProviderError> {
        let signer = Signer {
            access_key_id: &self.credentials.access_key_id,
            access_key_secret: self.credentials.access_key_secret.expose(),
            security_token: self.credentials.security_token.as_ref().map(Secret::expose),
        };
        self.transport
            .call(
                operation,
                intent,
                |client| {
                    // A fresh nonce and timestamp per attempt: the gateway rejects a reused nonce.
                    let nonce = uuid::Uuid::new_v4().simple().to_string();
                    let query = signer.sign("POST", operation, params, self.clock.now(), &nonce);
                    let mut url = self.endpoint.clone();
                    let encoded: Vec<String> = query
                        .iter()
                        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
                        .collect();
                    url.set_query(Some(&encoded.join("&")));
                    client.post(url).build().map_err(|error| {
                        ProviderError::local(
                            Cloud::Alibaba,
                            operation,
                            ProviderErrorKind::InvalidConfig {
                                detail: error.without_url().to_string(),
                            },
                        )
                    })
                },
                |raw| {
                    decode(operation, &raw).map_err(|error| {
                        match &self.credentials.security_token {
                            Some(token) => error.redact(token.expose()),
                            None => error,
                        }
                    })
                },
            )
            .await
    }
}

/// Decodes an RPC answer: an error (gateway `Code`, or `Success: false` with
/// `ErrCode`) becomes a [`ProviderError`] classified by its code.
fn decode<T: DeserializeOwned>(
    operation: &'static str,
    raw: &RawResponse,
) -> Result<(T, Option<String>), ProviderError> {
    let header_request_id = raw.header("x-acs-request-id").map(str::to_owned);
    let malformed = |reason: String, request_id: Option<String>| {
        ProviderError::malformed(
            Cloud::Alibaba,
            operation,
            raw.status,
            request_id,
            reason,
            &raw.body,
        )
    };
    // The body is decoded straight from its bytes, once for the envelope and
    // once for the answer: building a `serde_json::Value` tree of a listing
    // page first (and cloning it) was a fifth of a large plan's CPU.
    let envelope = serde_json::from_slice::<Envelope>(&raw.body).map_err(|error| {
        let reason = match serde_json::from_slice::<IgnoredAny>(&raw.body) {
            Err(error) => format!("not JSON: {error}"),
            Ok(_) => format!("not a DTS answer: {error}"),
        };
        malformed(reason, header_request_id.clone())
    })?;
    let request_id = envelope.request_id.clone().or(header_request_id);
    let ok_status = (200..300).contains(&raw.status);
    if !ok_status || envelope.success == Some(false) {
        let Some(code) = envelope.error_code() else {
            return Err(malformed(
                format!("a failure (HTTP {}) without an error code", raw.status),
                request_id,
            ));
        };
        let (retryable, outcome_unknown) = classify(code, raw.status);
        return Err(ProviderError {
            cloud: Cloud::Alibaba,
            operation,
            kind: ProviderErrorKind::Api {
                code: code.to_owned(),
                message: envelope.error_message(),
                outcome_unknown,
            },
            http_status: Some(raw.status),
            request_id,
            retryable,
            retry_after: retry_after(raw, "x-acs-retry-after", std::time::Duration::from_millis(1)),
        });
    }
    let body = serde_json::from_slice(&raw.body).map_err(|error| {
        malformed(format!("unexpected {operation} answer: {error}"), request_id.clone())
    })?;
    Ok((body, request_id))
}

/// [`decode`] as every answer this client reads (for [`crate::provider::fuzzing`]).
pub(crate) fn decode_every_answer(raw: &RawResponse) -> Vec<Result<(), ProviderError>> {
    vec![
        decode::<DtsJobPage>("DescribeDtsJobs", raw).map(drop),
        decode::<MigrationPage>("DescribeMigrationJobs", raw).map(drop),
        decode::<SynchronizationPage>("DescribeSynchronizationJobs", raw).map(drop),
        decode::<SynchronizationStatus>("DescribeSynchronizationJobStatus", raw).map(drop),
        decode::<IgnoredAny>("SuspendDtsJobs", raw).map(drop),
    ]
}

/// `(retryable, outcome unknown)` of an error code: throttling and a reused
/// nonce are refusals worth retrying; internal errors and 5xx may have acted.
fn classify(code: &str, http_status: u16) -> (bool, bool) {
    let refused_transiently = code.starts_with("Throttling") || code == "SignatureNonceUsed";
    let server_failed = matches!(code, "InternalError" | "ServiceUnavailable" | "UnknownError")
        || http_status >= 500;
    (refused_transiently || server_failed, server_failed && !refused_transiently)
}

/// A DTS listing item as a live job, with its reverse task's status (see [`pair_directions`]).
fn dts_live_job(job_type: DtsJobType, job: DtsJob, reverse: Option<String>) -> LiveJob {
    let raw_status = job.status.unwrap_or_default();
    let reverse = reverse.map(|raw| LiveReverse { state: live_state(&raw), raw_status: raw });
    let sync = job_type == DtsJobType::Sync;
    LiveJob {
        kind: JobKind::AlibabaDts,
        state: live_state(&raw_status),
        id: job.id,
        raw_status,
        two_way: Some(sync && reverse.is_some()),
        reverse,
        change_tracking: job_type == DtsJobType::Subscribe,
        incremental: job.mode.and_then(|mode| mode.data_synchronization).or(sync.then_some(true)),
        dts_job_type: Some(job_type),
    }
}

/// A legacy synchronization as a live job, with its reverse task's status
/// (`wants_reverse`: a reverse block is declared, so the status was asked for).
fn synchronization_live_job(
    id: String,
    forward: String,
    reverse: Option<String>,
    wants_reverse: bool,
) -> LiveJob {
    LiveJob {
        kind: JobKind::AlibabaSynchronization,
        state: live_state(&forward),
        raw_status: forward,
        // Asked for and absent means one-way; not asked, the listing does not say.
        two_way: if wants_reverse {
            Some(reverse.is_some())
        } else {
            reverse.as_ref().map(|_| true)
        },
        reverse: reverse.map(|raw| LiveReverse { state: live_state(&raw), raw_status: raw }),
        id,
        change_tracking: false,
        // A synchronization replicates changes from the start.
        incremental: Some(true),
        dts_job_type: None,
    }
}

/// An item of a listing that shows each direction of a two-way task.
trait DirectedItem {
    fn id(&self) -> &str;
    fn is_reverse(&self) -> bool;
    /// The status of the reverse task this item is.
    fn into_reverse_status(self) -> Option<String>;
    /// The status of its reverse task the forward item carries itself.
    fn own_reverse_status(&mut self) -> Option<String>;
}

impl DirectedItem for DtsJob {
    fn id(&self) -> &str {
        &self.id
    }
    fn is_reverse(&self) -> bool {
        self.direction.as_deref().is_some_and(|d| d.eq_ignore_ascii_case("reverse"))
    }
    fn into_reverse_status(self) -> Option<String> {
        self.status
    }
    fn own_reverse_status(&mut self) -> Option<String> {
        self.reverse.take().and_then(|reverse| reverse.status)
    }
}

impl DirectedItem for SynchronizationJob {
    fn id(&self) -> &str {
        &self.id
    }
    fn is_reverse(&self) -> bool {
        self.direction.as_deref().is_some_and(|d| d.eq_ignore_ascii_case("reverse"))
    }
    fn into_reverse_status(self) -> Option<String> {
        Some(self.status.unwrap_or_default())
    }
    fn own_reverse_status(&mut self) -> Option<String> {
        None
    }
}

/// Each forward item of a listing, in id order, with the status of its
/// reverse task: a two-way task may be listed as one item carrying its
/// `ReverseJob` (preferred, when it names a status) or as two items, one per
/// direction. A reverse item without its forward item is dropped.
fn pair_directions<J: DirectedItem>(listed: Vec<J>) -> Vec<(J, Option<String>)> {
    let mut by_id: BTreeMap<String, (Option<J>, Option<String>)> = BTreeMap::new();
    for job in listed {
        let entry = by_id.entry(job.id().to_owned()).or_default();
        if job.is_reverse() {
            entry.1 = job.into_reverse_status();
        } else {
            entry.0 = Some(job);
        }
    }
    by_id
        .into_values()
        .filter_map(|(forward, reverse_item)| {
            let mut forward = forward?;
            let reverse =
                forward.own_reverse_status().filter(|status| !status.is_empty()).or(reverse_item);
            Some((forward, reverse))
        })
        .collect()
}

/// The key of an id in [`AlibabaClient::job_types`].
fn id_hash(id: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish()
}

/// The `ClientToken` of a legacy call: derived from the action's seed, so a
/// request sent again carries the same token and the cloud runs it once.
fn client_token(action: &Action, operation: &str) -> String {
    let digest = Sha256::digest(format!("{}\n{operation}\n{}", action.token_seed, action.id));
    // 32 hex characters: ASCII and within the 64-character limit.
    hex::encode(&digest[..16])
}

fn foreign_kind(operation: &'static str, kind: JobKind) -> ProviderError {
    ProviderError::local(
        Cloud::Alibaba,
        operation,
        ProviderErrorKind::InvalidConfig {
            detail: format!("{kind} jobs are not served by the alibaba provider"),
        },
    )
}

#[cfg(test)]
mod tests;
