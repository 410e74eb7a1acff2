//! The Alibaba actions in scope: the DTS family (`*DtsJob*`) and the legacy
//! migration and synchronization families, with their response shapes.

use serde_json::{Map, Value, json};
use std::collections::HashSet;
use time::OffsetDateTime;
use time::macros::{format_description, offset};

use super::error::{ApiError, Family};
use super::jobs::{AlibabaJobState, Direction, Effect, Verb};
use super::params::Params;
use crate::state::State;
use crate::world::{AlibabaKind, Topology};

/// A successfully run action.
#[derive(Debug)]
pub(crate) struct Done {
    /// Response fields (the caller adds `RequestId`).
    pub(crate) body: Map<String, Value>,
    /// Whether any job changed.
    pub(crate) took_effect: bool,
}

/// Every action served, with its response family.
const ACTIONS: &[(&str, Family)] = &[
    ("DescribeDtsJobs", Family::Dts),
    ("DescribeDtsJobDetail", Family::Dts),
    ("SuspendDtsJob", Family::Dts),
    ("StartDtsJob", Family::Dts),
    ("StopDtsJob", Family::Dts),
    ("SuspendDtsJobs", Family::Dts),
    ("StartDtsJobs", Family::Dts),
    ("StopDtsJobs", Family::Dts),
    ("DescribeMigrationJobs", Family::Legacy),
    ("DescribeMigrationJobStatus", Family::Legacy),
    ("SuspendMigrationJob", Family::Legacy),
    ("StartMigrationJob", Family::Legacy),
    ("StopMigrationJob", Family::Legacy),
    ("DescribeSynchronizationJobs", Family::Legacy),
    ("DescribeSynchronizationJobStatus", Family::Legacy),
    ("SuspendSynchronizationJob", Family::Legacy),
    ("StartSynchronizationJob", Family::Legacy),
];

/// The response family of `action`, None when the action is not served.
pub(crate) fn family(action: &str) -> Option<Family> {
    ACTIONS.iter().find(|(name, _)| *name == action).map(|(_, family)| *family)
}

/// The job ids a request names (for the journal and job-targeted faults).
pub(crate) fn named_jobs(params: &Params) -> Vec<String> {
    ["DtsJobId", "DtsJobIds", "MigrationJobId", "SynchronizationJobId"]
        .iter()
        .flat_map(|name| params.ids(name))
        .collect()
}

/// Runs an authenticated action.
pub(crate) fn run(state: &mut State, action: &str, params: &Params) -> Result<Done, ApiError> {
    let now = state.clock.now();
    check_region(state, params)?;
    match action {
        "DescribeDtsJobs" => describe_dts_jobs(state, params, now),
        "DescribeDtsJobDetail" => describe_dts_job_detail(state, params, now),
        "SuspendDtsJob" => control_dts(state, params, Verb::Suspend, now),
        "StartDtsJob" => control_dts(state, params, Verb::Start, now),
        "StopDtsJob" => control_dts(state, params, Verb::Stop, now),
        "SuspendDtsJobs" => control_dts_batch(state, params, Verb::Suspend, now),
        "StartDtsJobs" => control_dts_batch(state, params, Verb::Start, now),
        "StopDtsJobs" => control_dts_batch(state, params, Verb::Stop, now),
        "DescribeMigrationJobs" => {
            describe_legacy(state, params, AlibabaKind::LegacyMigration, now)
        }
        "DescribeSynchronizationJobs" => {
            describe_legacy(state, params, AlibabaKind::LegacySynchronization, now)
        }
        "DescribeMigrationJobStatus" => {
            legacy_status(state, params, AlibabaKind::LegacyMigration, now)
        }
        "DescribeSynchronizationJobStatus" => {
            legacy_status(state, params, AlibabaKind::LegacySynchronization, now)
        }
        "SuspendMigrationJob" | "SuspendSynchronizationJob" => {
            control_legacy(state, action, params, Verb::Suspend, now)
        }
        "StartMigrationJob" | "StartSynchronizationJob" => {
            control_legacy(state, action, params, Verb::Start, now)
        }
        "StopMigrationJob" => control_legacy(state, action, params, Verb::Stop, now),
        other => unreachable!("action {other} passed authentication but has no handler"),
    }
}

/// `RegionId` (and DescribeDtsJobs' `Region`) must name a declared region.
fn check_region(state: &State, params: &Params) -> Result<(), ApiError> {
    for name in ["RegionId", "Region"] {
        if let Some(region) = params.get(name).filter(|region| !region.is_empty()) {
            if !state.alibaba.regions.iter().any(|known| known == region) {
                return Err(ApiError::gateway(
                    400,
                    "InvalidRegionId",
                    "The specified region does not exist.",
                ));
            }
        }
    }
    Ok(())
}

fn is_dts(kind: AlibabaKind) -> bool {
    matches!(kind, AlibabaKind::Migration | AlibabaKind::Sync | AlibabaKind::Subscribe)
}

/// Position of the job `id` of one of `kinds`, settled at `now`;
/// `InvalidParameter` naming `param` otherwise.
fn find(
    state: &mut State,
    id: &str,
    kinds: impl Fn(AlibabaKind) -> bool,
    param: &str,
    now: OffsetDateTime,
) -> Result<usize, ApiError> {
    let position = state
        .alibaba
        .position(id)
        .filter(|&position| kinds(state.alibaba.jobs[position].spec.kind))
        .ok_or_else(|| ApiError::invalid(param))?;
    state.alibaba.settle(position, now);
    Ok(position)
}

fn success_dts() -> Map<String, Value> {
    object(json!({ "HttpStatusCode": 200, "Success": true }))
}

fn success_legacy() -> Map<String, Value> {
    object(json!({ "Success": "true", "ErrCode": "", "ErrMessage": "" }))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object literal"),
    }
}

/// DTS times: `2024-01-02T03:04:05.000+00:00`.
fn dts_time(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].000+00:00");
    at.to_offset(offset!(UTC)).format(format).unwrap_or_default()
}

/// Legacy times: `yyyy-MM-dd HH:mm:ss.0` in UTC+8.
fn legacy_time(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second].0");
    at.to_offset(offset!(+8)).format(format).unwrap_or_default()
}

fn job_type_word(kind: AlibabaKind) -> &'static str {
    match kind {
        AlibabaKind::Migration | AlibabaKind::LegacyMigration => "MIGRATION",
        AlibabaKind::Sync | AlibabaKind::LegacySynchronization => "SYNC",
        AlibabaKind::Subscribe => "SUBSCRIBE",
    }
}

fn endpoint(role: &str, region: &str) -> Value {
    json!({
        "EngineName": "MySQL", "InstanceType": "RDS", "InstanceID": format!("rm-{role}"),
        "Region": region, "Ip": "", "Port": "3306", "DatabaseName": "", "UserName": "dts",
        "OracleSID": "", "SslSolutionEnum": "DISABLE",
    })
}

/// One `DtsJobList[]` item (also the shape of `ReverseJob`).
fn dts_item(job: &AlibabaJobState, direction: Direction) -> Value {
    let task = job.task(direction).expect("the caller picks an existing direction");
    let spec = &job.spec;
    let mut item = json!({
        "DtsJobId": spec.id,
        "DtsInstanceID": spec.instance_id.clone().unwrap_or_default(),
        "DtsJobName": spec.name.clone().unwrap_or_else(|| spec.id.clone()),
        "JobType": job_type_word(spec.kind),
        "Status": task.status,
        "DtsJobDirection": direction.word(),
        "Delay": spec.delay,
        "CreateTime": dts_time(job.created_at),
        "PayType": "PostPaid",
        "DtsJobClass": "small",
        "ErrorMessage": "",
        "Reserved": "{}",
        "MigrationMode": {
            "StructureInitialization": true,
            "DataInitialization": true,
            "DataSynchronization": spec.incremental,
        },
        "DataSynchronizationStatus": {
            "Status": if task.status == "Suspending" { "Suspending" } else { "Catched" },
            "Percent": "100", "Progress": "", "ErrorMessage": "", "NeedUpgrade": false,
        },
        "SourceEndpoint": endpoint("source", &spec.region),
        "DestinationEndpoint": endpoint("destination", &spec.region),
        "TagList": [],
    });
    if direction == Direction::Forward && job.reverse.is_some() {
        item["ReverseJob"] = dts_item(job, Direction::Reverse);
    }
    item
}

fn describe_dts_jobs(
    state: &mut State,
    params: &Params,
    now: OffsetDateTime,
) -> Result<Done, ApiError> {
    let kind = match params.get("JobType").unwrap_or("MIGRATION") {
        "" | "MIGRATION" => AlibabaKind::Migration,
        "SYNC" => AlibabaKind::Sync,
        "SUBSCRIBE" => AlibabaKind::Subscribe,
        _ => return Err(ApiError::invalid("JobType")),
    };
    let page_size = params.page_size("PageSize", 20)?;
    let page_number = params.number("PageNumber", 1)?;
    let ids = params.ids("DtsJobId");
    let instances: HashSet<String> = params.ids("DtsInstanceId").into_iter().collect();
    let region =
        params.get("Region").or(params.get("RegionId")).filter(|region| !region.is_empty());
    let status = params.get("Status").filter(|status| !status.is_empty());
    // The candidates come from the id index when ids are given (a page then
    // costs what its filter names, not the world), in world order.
    let candidates: Vec<usize> = if ids.is_empty() {
        state.alibaba.of_kind(kind).to_vec()
    } else {
        let mut positions: Vec<usize> =
            ids.iter().filter_map(|id| state.alibaba.position(id)).collect();
        positions.sort_unstable();
        positions.dedup();
        positions
    };
    let jobs = &state.alibaba.jobs;
    let mut matching: Vec<usize> = candidates
        .into_iter()
        .filter(|&position| {
            let spec = &jobs[position].spec;
            spec.kind == kind
                && (instances.is_empty()
                    || spec.instance_id.as_ref().is_some_and(|id| instances.contains(id)))
                && region.is_none_or(|region| spec.region == region)
        })
        .collect();
    // Only a status filter needs every candidate's current status.
    if let Some(status) = status {
        for &position in &matching {
            state.alibaba.settle(position, now);
        }
        matching.retain(|&position| state.alibaba.jobs[position].forward.status == status);
    }
    let total = matching.len();
    let page: Vec<Value> = matching
        .into_iter()
        .skip((page_number - 1).saturating_mul(page_size))
        .take(page_size)
        .map(|position| {
            state.alibaba.settle(position, now);
            dts_item(&state.alibaba.jobs[position], Direction::Forward)
        })
        .collect();
    let mut body = success_dts();
    body.insert("PageNumber".to_owned(), json!(page_number));
    body.insert("PageRecordCount".to_owned(), json!(page.len()));
    body.insert("TotalRecordCount".to_owned(), json!(total));
    body.insert("DtsJobList".to_owned(), Value::Array(page));
    body.insert("EtlDemoList".to_owned(), json!([]));
    Ok(Done { body, took_effect: false })
}

fn describe_dts_job_detail(
    state: &mut State,
    params: &Params,
    now: OffsetDateTime,
) -> Result<Done, ApiError> {
    let id = params.require("DtsJobId")?;
    let position = find(state, id, is_dts, "DtsJobId", now)?;
    let job = &state.alibaba.jobs[position];
    check_instance(job, params.get("DtsInstanceID"), "DtsInstanceID")?;
    let direction = Direction::parse(params.get("SynchronizationDirection"))?;
    // A one-way job has no reverse task to describe.
    job.task(direction)?;
    let mut body = object(dts_item(job, direction));
    body.remove("ReverseJob");
    body.extend(success_dts());
    body.insert("SynchronizationDirection".to_owned(), json!(direction.word()));
    body.insert("Checkpoint".to_owned(), json!(0));
    body.insert("Code".to_owned(), json!(200));
    body.insert("ErrCode".to_owned(), json!(""));
    body.insert("ErrMessage".to_owned(), json!(""));
    body.insert("DynamicMessage".to_owned(), json!(""));
    Ok(Done { body, took_effect: false })
}

/// An optional instance id parameter must match the job's.
fn check_instance(job: &AlibabaJobState, given: Option<&str>, param: &str) -> Result<(), ApiError> {
    match given.filter(|id| !id.is_empty()) {
        Some(id) if job.spec.instance_id.as_deref() != Some(id) => Err(ApiError::invalid(param)),
        _ => Ok(()),
    }
}

fn control_dts(
    state: &mut State,
    params: &Params,
    verb: Verb,
    now: OffsetDateTime,
) -> Result<Done, ApiError> {
    let id = params.require("DtsJobId")?;
    let index = find(state, id, is_dts, "DtsJobId", now)?;
    check_instance(&state.alibaba.jobs[index], params.get("DtsInstanceId"), "DtsInstanceId")?;
    let direction = Direction::parse(params.get("SynchronizationDirection"))?;
    let took_effect = act(state, &[index], verb, direction, now)?;
    Ok(Done { body: success_dts(), took_effect })
}

fn control_dts_batch(
    state: &mut State,
    params: &Params,
    verb: Verb,
    now: OffsetDateTime,
) -> Result<Done, ApiError> {
    params.require("DtsJobIds")?;
    let ids = params.ids("DtsJobIds");
    if ids.is_empty() || ids.len() > state.settings.max_batch_ids {
        return Err(ApiError::invalid("DtsJobIds"));
    }
    let indexes = ids
        .iter()
        .map(|id| find(state, id, is_dts, "DtsJobIds", now))
        .collect::<Result<Vec<_>, _>>()?;
    let took_effect = act(state, &indexes, verb, Direction::Forward, now)?;
    Ok(Done { body: success_dts(), took_effect })
}

/// Checks every job first, then changes them all (a batch is all or nothing).
fn act(
    state: &mut State,
    indexes: &[usize],
    verb: Verb,
    direction: Direction,
    now: OffsetDateTime,
) -> Result<bool, ApiError> {
    let mut changing = Vec::new();
    for &index in indexes {
        if state.alibaba.jobs[index].check(verb, direction, now)? == Effect::Changes {
            changing.push(index);
        }
    }
    let delay = state.settings.transition_delay;
    for &index in &changing {
        state.alibaba.jobs[index].apply(verb, direction, now, delay);
    }
    Ok(!changing.is_empty())
}

/// The id parameter of a legacy family.
fn legacy_id_param(kind: AlibabaKind) -> &'static str {
    if kind == AlibabaKind::LegacyMigration { "MigrationJobId" } else { "SynchronizationJobId" }
}

fn control_legacy(
    state: &mut State,
    action: &str,
    params: &Params,
    verb: Verb,
    now: OffsetDateTime,
) -> Result<Done, ApiError> {
    let kind = if action.contains("Migration") {
        AlibabaKind::LegacyMigration
    } else {
        AlibabaKind::LegacySynchronization
    };
    let param = legacy_id_param(kind);
    let id = params.require(param)?;
    let index = find(state, id, |candidate| candidate == kind, param, now)?;
    let direction = Direction::parse(params.get("SynchronizationDirection"))?;
    let token = params.get("ClientToken").filter(|token| !token.is_empty());
    if let Some(token) = token {
        if token.len() > 64 || !token.is_ascii() {
            return Err(ApiError::invalid("ClientToken"));
        }
        match state.alibaba.client_tokens.get(&(action.to_owned(), token.to_owned())) {
            Some(first) if first == id => {
                return Ok(Done { body: success_legacy(), took_effect: false });
            }
            Some(_) => {
                return Err(ApiError::gateway(
                    400,
                    "IdempotentParameterMismatch",
                    "The request uses the same client token as a previous, but non-identical request.",
                ));
            }
            None => {}
        }
    }
    let took_effect = act(state, &[index], verb, direction, now)?;
    if let Some(token) = token {
        state.alibaba.client_tokens.insert((action.to_owned(), token.to_owned()), id.to_owned());
    }
    Ok(Done { body: success_legacy(), took_effect })
}

fn describe_legacy(
    state: &mut State,
    params: &Params,
    kind: AlibabaKind,
    now: OffsetDateTime,
) -> Result<Done, ApiError> {
    let page_size = params.page_size("PageSize", 30)?;
    let page_number = params.number("PageNum", 1)?;
    let name_param = if kind == AlibabaKind::LegacyMigration {
        "MigrationJobName"
    } else {
        "SynchronizationJobName"
    };
    let name = params.get(name_param).unwrap_or_default();
    // (position, direction) pairs of the kind's own jobs, JSON only for the
    // page: the listing has no id filter, so counting its total is the least
    // a page costs, but no item outside the page is built or settled.
    let jobs = &state.alibaba.jobs;
    let matching: Vec<(usize, Direction)> = state
        .alibaba
        .of_kind(kind)
        .iter()
        .copied()
        .filter(|&position| {
            let spec = &jobs[position].spec;
            spec.name.as_deref().unwrap_or(&spec.id).contains(name)
        })
        .flat_map(|position| {
            let two_way = jobs[position].spec.topology == Topology::TwoWay;
            std::iter::once((position, Direction::Forward))
                .chain(two_way.then_some((position, Direction::Reverse)))
        })
        .collect();
    let total = matching.len();
    let page: Vec<Value> = matching
        .into_iter()
        .skip((page_number - 1).saturating_mul(page_size))
        .take(page_size)
        .map(|(position, direction)| {
            state.alibaba.settle(position, now);
            legacy_item(&state.alibaba.jobs[position], direction)
        })
        .collect();
    let mut body = if kind == AlibabaKind::LegacyMigration {
        let mut body = success_legacy();
        body.insert("MigrationJobs".to_owned(), json!({ "MigrationJob": page.clone() }));
        body
    } else {
        // The DescribeSynchronizationJobs response model has no Success field.
        object(json!({ "SynchronizationInstances": page.clone() }))
    };
    body.insert("PageNumber".to_owned(), json!(page_number));
    body.insert("PageRecordCount".to_owned(), json!(page.len()));
    body.insert("TotalRecordCount".to_owned(), json!(total));
    Ok(Done { body, took_effect: false })
}

/// One item of DescribeMigrationJobs (`MigrationJobID`) or DescribeSynchronizationJobs.
fn legacy_item(job: &AlibabaJobState, direction: Direction) -> Value {
    let task = job.task(direction).expect("the caller picks an existing direction");
    let spec = &job.spec;
    let name = spec.name.clone().unwrap_or_else(|| spec.id.clone());
    let sync_status = if task.status == "Suspending" { "Suspending" } else { "Catched" };
    if spec.kind == AlibabaKind::LegacyMigration {
        json!({
            "MigrationJobID": spec.id,
            "MigrationJobName": name,
            "MigrationJobStatus": task.status,
            "MigrationJobClass": "small",
            "PayType": "PostPaid",
            "InstanceCreateTime": legacy_time(job.created_at),
            "JobCreateTime": legacy_time(job.created_at),
            "MigrationMode": {
                "StructureInitialization": true, "DataInitialization": true,
                "DataSynchronization": spec.incremental,
            },
            "StructureInitialization": { "status": "Finished", "Percent": "100", "Progress": "", "ErrorMessage": "" },
            "DataInitialization": { "status": "Finished", "Percent": "100", "Progress": "", "ErrorMessage": "" },
            "DataSynchronization": { "status": sync_status, "Delay": spec.delay.to_string(), "Percent": "100", "ErrorMessage": "" },
            "Precheck": { "Status": "Finished", "Percent": "100" },
            "Tags": { "Tag": [] },
        })
    } else {
        json!({
            "SynchronizationJobId": spec.id,
            "SynchronizationJobName": name,
            "SynchronizationJobClass": "small",
            "SynchronizationDirection": direction.word(),
            "Status": task.status,
            "Delay": spec.delay.to_string(),
            "ErrorMessage": "",
            "CreateTime": legacy_time(job.created_at),
            "InstanceCreateTime": legacy_time(job.created_at),
            "JobCreateTime": legacy_time(job.created_at),
            "PayType": "PostPaid",
            "DataInitialization": "true",
            "StructureInitialization": "true",
            "DataSynchronizationStatus": { "Status": sync_status, "Delay": spec.delay.to_string(), "Percent": "100", "ErrorMessage": "" },
            "Tags": [],
        })
    }
}

fn legacy_status(
    state: &mut State,
    params: &Params,
    kind: AlibabaKind,
    now: OffsetDateTime,
) -> Result<Done, ApiError> {
    let param = legacy_id_param(kind);
    let id = params.require(param)?;
    let position = find(state, id, |candidate| candidate == kind, param, now)?;
    let job = &state.alibaba.jobs[position];
    let direction = Direction::parse(params.get("SynchronizationDirection"))?;
    let task = job.task(direction)?;
    let spec = &job.spec;
    let name = spec.name.clone().unwrap_or_else(|| spec.id.clone());
    let sync_status = if task.status == "Suspending" { "Suspending" } else { "Catched" };
    let mut body = success_legacy();
    let fields = if kind == AlibabaKind::LegacyMigration {
        json!({
            "MigrationJobId": spec.id,
            "MigrationJobName": name,
            "MigrationJobStatus": task.status,
            "MigrationJobClass": "small",
            "PayType": "PostPaid",
            "MigrationMode": {
                "structureInitialization": true, "dataInitialization": true,
                "dataSynchronization": spec.incremental,
            },
            "DataSynchronizationStatus": {
                "Status": sync_status, "Delay": spec.delay.to_string(), "Checkpoint": "", "Percent": "100", "ErrorMessage": "",
            },
        })
    } else {
        json!({
            "SynchronizationJobId": spec.id,
            "SynchronizationJobName": name,
            "SynchronizationJobClass": "small",
            "SynchronizationDirection": direction.word(),
            "Status": task.status,
            "Delay": spec.delay.to_string(),
            "DelayMillis": spec.delay * 1000,
            "Checkpoint": "",
            "ErrorMessage": "",
            "PayType": "PostPaid",
            "DataInitialization": "true",
            "StructureInitialization": "true",
            "DataSynchronizationStatus": {
                "Status": sync_status, "Delay": spec.delay.to_string(), "DelayMillis": spec.delay * 1000,
                "Checkpoint": "", "Percent": "100", "ErrorMessage": "",
            },
        })
    };
    body.extend(object(fields));
    Ok(Done { body, took_effect: false })
}
