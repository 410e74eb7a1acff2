//! The Huawei DRS client: signed (or token) v3 calls, chunked batch reads,
//! one batch request per planned call, checked item by item.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures_util::future::try_join_all;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::{
    ActionVerb, Cloud, HuaweiOptions, HuaweiProvider, JobKind, KindOptions, ListedJob,
    ListingQuery, LiveJob,
};
use crate::provider::clock::{Clock, SystemClock};
use crate::provider::credentials::{self, EnvLookup, HuaweiCredentials};
use crate::provider::describe;
use crate::provider::error::{ProviderError, ProviderErrorKind};
use crate::provider::http::{RawResponse, Transport, host_header, parse_endpoint, retry_after};
use crate::provider::paging::{Page, Walk, bounded};
use crate::provider::retry::Intent;
use crate::provider::settings::Settings;
use crate::provider::{Action, ActionResult, Call, JobRef, LiveRead, RequestOutcome, check_query};

use super::sign::{Request, sdk_date};
use super::status::{incremental, live_state};
use super::wire::{
    BatchRequest, BatchResults, DeleteItem, ErrorBody, JobListPage, ListRequest, PageRequest,
    PauseItem, RetryItem, StatusPage, StatusRequest,
};

/// The most ids one `batch-status` page returns (`per_page` ≤ 100).
const STATUS_PAGE_SIZE: usize = 100;

/// The most jobs one `ShowJobList` page returns (`per_page` ≤ 100).
const LIST_PAGE_SIZE: usize = 100;

/// The per-item code of a job id the cloud does not know.
const JOB_NOT_FOUND: &str = "DRS.10000010";

/// A client of one Huawei provider block.
#[derive(Debug)]
pub struct HuaweiClient {
    project_id: String,
    endpoint: reqwest::Url,
    credentials: HuaweiCredentials,
    transport: Transport,
    clock: Arc<dyn Clock>,
}

impl HuaweiClient {
    /// The client of a provider block, with credentials from the block or `env`.
    pub fn from_config(block: &HuaweiProvider, env: EnvLookup<'_>) -> Result<Self, ProviderError> {
        let credentials = credentials::huawei(block, env)?;
        HuaweiClient::new(
            &block.region,
            &block.project_id,
            block.endpoint.as_deref(),
            credentials,
            &Settings::from_tuning(&block.tuning),
            Arc::new(SystemClock),
        )
    }

    /// A client for `project_id` in `region`, at `endpoint` when given.
    pub fn new(
        region: &str,
        project_id: &str,
        endpoint: Option<&str>,
        credentials: HuaweiCredentials,
        settings: &Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ProviderError> {
        let endpoint = match endpoint {
            Some(endpoint) => endpoint.to_owned(),
            None => super::regional_endpoint(region),
        };
        Ok(HuaweiClient {
            project_id: project_id.to_owned(),
            endpoint: parse_endpoint(Cloud::Huawei, &endpoint)?,
            credentials,
            transport: Transport::new(Cloud::Huawei, settings)?,
            clock,
        })
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &reqwest::Url {
        &self.endpoint
    }

    /// Reads the live status of `jobs` (see [`crate::provider::Provider::read`]):
    /// `batch-status` with at most 100 ids a request, pages followed while
    /// the answer's `count` says more remain.
    pub async fn read<'a>(&self, jobs: &[JobRef<'a>]) -> Result<LiveRead<'a>, ProviderError> {
        let mut ids: Vec<&str> = Vec::new();
        // A set beside the list: a scan of the list per id made every read
        // (plan, re-read, settle poll) quadratic in the fleet.
        let mut seen: HashSet<&str> = HashSet::new();
        for job in jobs {
            if !is_drs(job.kind) {
                return Err(foreign_kind("batch-status", job.kind));
            }
            if seen.insert(job.id) {
                ids.push(job.id);
            }
        }
        let mut found = Vec::with_capacity(ids.len());
        let read = bounded(
            Box::new(ids.chunks(STATUS_PAGE_SIZE).map(|chunk| self.read_chunk(chunk))),
            self.transport.max_in_flight(),
            |chunk| found.extend(chunk),
        )
        .await;
        LiveRead::assemble(jobs, [(JobKind::HuaweiDrs, read.map(|()| found))])
    }

    async fn read_chunk(&self, ids: &[&str]) -> Result<Vec<LiveJob>, ProviderError> {
        let mut found = Vec::new();
        let mut seen = 0;
        for page in 1.. {
            let request = StatusRequest {
                jobs: ids,
                page_req: PageRequest { cur_page: page, per_page: STATUS_PAGE_SIZE as u64 },
            };
            let (answer, request_id) = self
                .call::<StatusPage>(
                    Method::POST,
                    "batch-status",
                    "batch-status",
                    &request,
                    Intent::Read,
                )
                .await?;
            let count = answer.results.len();
            seen += count;
            for item in answer.results {
                match item.error_code.as_deref().filter(|code| !code.is_empty()) {
                    Some(JOB_NOT_FOUND) => {}
                    Some(code) => {
                        return Err(item_error(
                            "batch-status",
                            code,
                            format!("job {}: {}", item.id, item.error_message.unwrap_or_default()),
                            request_id,
                        ));
                    }
                    None => {
                        let raw_status = item.status.unwrap_or_default();
                        found.push(LiveJob {
                            kind: JobKind::HuaweiDrs,
                            state: live_state(&raw_status),
                            incremental: incremental(&raw_status),
                            dts_job_type: None,
                            id: item.id,
                            raw_status,
                            reverse: None,
                            two_way: Some(false),
                            change_tracking: false,
                        });
                    }
                }
            }
            // Every page holds at least one result, so `ids.len()` pages is the most there can be.
            let total =
                answer.count.map_or(ids.len(), |c| usize::try_from(c).unwrap_or(usize::MAX));
            if count == 0 || seen >= total.min(ids.len()) || page >= ids.len() as u64 {
                break;
            }
        }
        Ok(found)
    }

    /// Every job `query` asks for (see [`crate::provider::CloudProvider::list`]):
    /// `ShowJobList` once per `db_use_type` (the three when the query names
    /// none, as the API requires one), `per_page` 100, the pages after the
    /// first in flight together.
    pub async fn list(&self, query: &ListingQuery) -> Result<Vec<ListedJob>, ProviderError> {
        check_query(Cloud::Huawei, query)?;
        let walk = Walk {
            cloud: Cloud::Huawei,
            operation: "ShowJobList",
            page_size: LIST_PAGE_SIZE,
            max_in_flight: self.transport.max_in_flight(),
        };
        let listings = try_join_all(query.job_types().into_iter().flatten().map(|db_use_type| {
            let fetch = move |page: usize| async move {
                let request = ListRequest {
                    db_use_type,
                    cur_page: page as u64,
                    per_page: LIST_PAGE_SIZE as u64,
                    status: query.status.as_deref(),
                    engine_type: query.engine_type.as_deref(),
                };
                let (answer, request_id) = self
                    .call::<JobListPage>(Method::POST, "", "ShowJobList", &request, Intent::Read)
                    .await?;
                Ok(Page { items: answer.jobs, total: answer.total_record, request_id })
            };
            let walk = &walk;
            async move {
                let listed = walk.collect(fetch, |_| false).await?;
                Ok::<_, ProviderError>((db_use_type, listed))
            }
        }))
        .await?;
        Ok(listings
            .into_iter()
            .flat_map(|(db_use_type, listed)| {
                listed.into_iter().map(move |job| ListedJob {
                    kind: JobKind::HuaweiDrs,
                    name: job.name.unwrap_or_else(|| job.id.clone()),
                    status: job.status.unwrap_or_default(),
                    reverse_status: None,
                    job_type: Some(job.db_use_type.unwrap_or_else(|| db_use_type.to_owned())),
                    instance_id: None,
                    two_way: None,
                    id: job.id,
                })
            })
            .collect())
    }

    /// Sends `call` as one batch request (see [`crate::provider::Provider::execute`]),
    /// each item's result checked.
    pub async fn execute(&self, call: &Call) -> Vec<ActionResult> {
        let outcomes = match members(call) {
            Ok(members) => self.send_batch(members[0].0.verb, &members).await,
            Err(error) => vec![RequestOutcome::Rejected { error }; call.actions.len()],
        };
        call.actions
            .iter()
            .zip(outcomes)
            .map(|(action, outcome)| ActionResult { address: action.address.clone(), outcome })
            .collect()
    }

    /// Sends one batch; returns one outcome per member, in order.
    async fn send_batch(&self, verb: ActionVerb, members: &[Member<'_>]) -> Vec<RequestOutcome> {
        let ids: Vec<&str> = members.iter().map(|(action, _)| action.id.as_str()).collect();
        // `batch-jobs terminate` names the stop; the path is `batch-jobs`.
        let operation = describe(JobKind::HuaweiDrs)
            .operation(verb)
            .map_or(path(verb), |op| op.name(ids.len()));
        tracing::info!(operation, jobs = %ids.join(","), "sending action");
        let answer = match verb {
            ActionVerb::Suspend => {
                let jobs = members
                    .iter()
                    .map(|&(action, options)| PauseItem {
                        job_id: &action.id,
                        pause_mode: options.pause_mode.label(),
                    })
                    .collect();
                self.call::<BatchResults>(
                    Method::POST,
                    path(verb),
                    operation,
                    &BatchRequest { jobs },
                    Intent::Action,
                )
                .await
            }
            ActionVerb::Resume => {
                let jobs = ids.iter().map(|id| RetryItem { job_id: id }).collect();
                self.call::<BatchResults>(
                    Method::POST,
                    path(verb),
                    operation,
                    &BatchRequest { jobs },
                    Intent::Action,
                )
                .await
            }
            ActionVerb::Stop => {
                let jobs = ids
                    .iter()
                    .map(|id| DeleteItem { job_id: id, delete_type: "terminate" })
                    .collect();
                self.call::<BatchResults>(
                    Method::DELETE,
                    path(verb),
                    operation,
                    &BatchRequest { jobs },
                    Intent::Action,
                )
                .await
            }
        };
        match answer {
            Err(error) => vec![RequestOutcome::from_error(error); members.len()],
            Ok((results, request_id)) => {
                // The first result per id, as a scan would find it.
                let mut by_id = HashMap::new();
                for item in &results.results {
                    by_id.entry(item.id.as_str()).or_insert(item);
                }
                ids.iter()
                    .map(|id| match by_id.get(id).copied() {
                        Some(item)
                            if item
                                .status
                                .as_deref()
                                .is_some_and(|s| s.eq_ignore_ascii_case("success")) =>
                        {
                            RequestOutcome::Accepted { request_id: request_id.clone() }
                        }
                        Some(item) => RequestOutcome::Rejected {
                            error: item_error(
                                operation,
                                item.error_code
                                    .as_deref()
                                    .filter(|c| !c.is_empty())
                                    .unwrap_or("jobform.ItemFailed"),
                                item.error_msg.clone().unwrap_or_else(|| {
                                    format!(
                                        "status {:?}",
                                        item.status.as_deref().unwrap_or_default()
                                    )
                                }),
                                request_id.clone(),
                            ),
                        },
                        None => RequestOutcome::Unknown {
                            error: ProviderError {
                                request_id: request_id.clone(),
                                http_status: Some(200),
                                ..ProviderError::local(
                                    Cloud::Huawei,
                                    operation,
                                    ProviderErrorKind::Malformed {
                                        reason: format!("the answer has no result for job {id}"),
                                        excerpt: String::new(),
                                    },
                                )
                            },
                        },
                    })
                    .collect()
            }
        }
    }

    /// One v3 call on `/v3/{project_id}/jobs/{path}` (`/v3/{project_id}/jobs`
    /// for an empty `path`) with a JSON body (`operation` names it in errors and logs),
    /// retried per `intent`; returns the decoded body and `X-Request-Id`.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        operation: &'static str,
        body: &impl Serialize,
        intent: Intent,
    ) -> Result<(T, Option<String>), ProviderError> {
        let body = serde_json::to_vec(body).expect("request bodies serialise");
        let mut url = self.endpoint.clone();
        let mut full_path =
            format!("{}/v3/{}/jobs", url.path().trim_end_matches('/'), self.project_id);
        if !path.is_empty() {
            full_path.push('/');
            full_path.push_str(path);
        }
        url.set_path(&full_path);
        self.transport
            .call(
                operation,
                intent,
                |client| {
                    let mut headers =
                        vec![("Content-Type".to_owned(), "application/json".to_owned())];
                    let mut authorization = None;
                    match &self.credentials {
                        HuaweiCredentials::Token(token) => {
                            headers.push(("X-Auth-Token".to_owned(), token.expose().to_owned()));
                        }
                        HuaweiCredentials::AccessKey { access_key, secret_key, security_token } => {
                            let date = sdk_date(self.clock.now());
                            headers.push(("Host".to_owned(), host_header(&url)));
                            headers.push(("X-Project-Id".to_owned(), self.project_id.clone()));
                            headers.push(("X-Sdk-Date".to_owned(), date.clone()));
                            if let Some(token) = security_token {
                                headers.push((
                                    "X-Security-Token".to_owned(),
                                    token.expose().to_owned(),
                                ));
                            }
                            let request = Request {
                                method: method.as_str(),
                                path: url.path(),
                                query: &[],
                                headers: &headers,
                                body: &body,
                            };
                            authorization =
                                Some(request.authorization(&date, access_key, secret_key.expose()));
                            // reqwest sends Host itself, from the same URL.
                            headers.retain(|(name, _)| name != "Host");
                        }
                    }
                    let mut builder =
                        client.request(method.clone(), url.clone()).body(body.clone());
                    for (name, value) in &headers {
                        builder = builder.header(name, value);
                    }
                    if let Some(authorization) = authorization {
                        builder = builder.header("Authorization", authorization);
                    }
                    builder.build().map_err(|error| {
                        ProviderError::local(
                            Cloud::Huawei,
                            operation,
                            ProviderErrorKind::InvalidConfig {
                                detail: error.without_url().to_string(),
                            },
                        )
                    })
                },
                |raw| decode(operation, &raw).map_err(|error| self.redact(error)),
            )
            .await
    }
}

impl HuaweiClient {
    /// Scrubs the tokens this client sends from an error a gateway may have echoed them into.
    fn redact(&self, error: ProviderError) -> ProviderError {
        match &self.credentials {
            HuaweiCredentials::Token(token) => error.redact(token.expose()),
            HuaweiCredentials::AccessKey { security_token: Some(token), .. } => {
                error.redact(token.expose())
            }
            HuaweiCredentials::AccessKey { security_token: None, .. } => error,
        }
    }
}

/// Decodes a v3 answer: 2xx is the operation's body; anything else an error
/// body in one of the SDK's three spellings, classified by its code.
fn decode<T: DeserializeOwned>(
    operation: &'static str,
    raw: &RawResponse,
) -> Result<(T, Option<String>), ProviderError> {
    let header_request_id = raw.header("x-request-id").map(str::to_owned);
    let malformed = |reason: String, request_id: Option<String>| {
        ProviderError::malformed(
            Cloud::Huawei,
            operation,
            raw.status,
            request_id,
            reason,
            &raw.body,
        )
    };
    if (200..300).contains(&raw.status) {
        let body = serde_json::from_slice(&raw.body).map_err(|error| {
            malformed(format!("unexpected {operation} answer: {error}"), header_request_id.clone())
        })?;
        return Ok((body, header_request_id));
    }
    let error: ErrorBody = serde_json::from_slice(&raw.body)
        .map_err(|error| malformed(format!("not JSON: {error}"), header_request_id.clone()))?;
    let request_id = header_request_id.or_else(|| error.request_id.clone());
    let Some((code, message)) = error.code_and_message() else {
        return Err(malformed(
            format!("a failure (HTTP {}) without an error code", raw.status),
            request_id,
        ));
    };
    // APIGW.0308 / APIG.0308: the gateway's throttling, refused before reaching DRS.
    let throttled = code.ends_with(".0308") || raw.status == 429;
    let server_failed = raw.status >= 500 && !throttled;
    Err(ProviderError {
        cloud: Cloud::Huawei,
        operation,
        kind: ProviderErrorKind::Api { code, message, outcome_unknown: server_failed },
        http_status: Some(raw.status),
        request_id,
        retryable: throttled || server_failed,
        retry_after: retry_after(raw, "retry-after", std::time::Duration::from_secs(1)),
    })
}

/// [`decode`] as every answer this client reads (for [`crate::provider::fuzzing`]).
pub(crate) fn decode_every_answer(raw: &RawResponse) -> Vec<Result<(), ProviderError>> {
    vec![
        decode::<StatusPage>("batch-status", raw).map(drop),
        decode::<JobListPage>("ShowJobList", raw).map(drop),
        decode::<BatchResults>("batch-pause-task", raw).map(drop),
    ]
}

/// A job of a call, with its DRS options.
type Member<'c> = (&'c Action, HuaweiOptions);

/// The jobs of a call with their options, or why the call cannot go out as
/// one batch (`unsendable` also refuses an empty call).
fn members(call: &Call) -> Result<Vec<Member<'_>>, ProviderError> {
    let mut members = Vec::with_capacity(call.actions.len());
    for action in &call.actions {
        match (is_drs(action.kind()), &action.options) {
            (true, KindOptions::Huawei(options)) => members.push((action, *options)),
            _ => return Err(foreign_kind("execute", action.kind())),
        }
    }
    if let Some(reason) = call.unsendable() {
        return Err(ProviderError::local(
            Cloud::Huawei,
            "execute",
            ProviderErrorKind::Unsupported { detail: reason },
        ));
    }
    Ok(members)
}

/// A per-item failure inside a 200 answer.
fn item_error(
    operation: &'static str,
    code: &str,
    message: String,
    request_id: Option<String>,
) -> ProviderError {
    ProviderError {
        http_status: Some(200),
        request_id,
        ..ProviderError::local(
            Cloud::Huawei,
            operation,
            ProviderErrorKind::Api { code: code.to_owned(), message, outcome_unknown: false },
        )
    }
}

/// The path segment under `/v3/{project_id}/jobs/` of a verb's batch operation.
fn path(verb: ActionVerb) -> &'static str {
    match verb {
        ActionVerb::Suspend => "batch-pause-task",
        ActionVerb::Resume => "batch-retry-task",
        ActionVerb::Stop => "batch-jobs",
    }
}

/// Whether this client serves `kind`.
fn is_drs(kind: JobKind) -> bool {
    match kind {
        JobKind::HuaweiDrs => true,
        JobKind::AlibabaDts | JobKind::AlibabaMigration | JobKind::AlibabaSynchronization => false,
    }
}

fn foreign_kind(operation: &'static str, kind: JobKind) -> ProviderError {
    ProviderError::local(
        Cloud::Huawei,
        operation,
        ProviderErrorKind::InvalidConfig {
            detail: format!("{kind} jobs are not served by the huawei provider"),
        },
    )
}

#[cfg(test)]
mod tests;
