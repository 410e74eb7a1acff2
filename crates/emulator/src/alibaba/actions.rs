//! The Alibaba actions in scope: the DTS family (`*DtsJob*`) and the legacy
//! migration and synchronization families, with their response shapes.

use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use time::OffsetDateTime;

use super::error::{ApiError, Family};
use super::jobs::{AlibabaJobState, Direction, Effect, Verb};
use super::params::Params;
use crate::paging::Page;
use crate::state::State;
use crate::world::AlibabaKind;

/// A successfully run action.
#[derive(Debug)]
pub(crate) struct Done {
    /// The JSON answer, `RequestId` included.
    pub(crate) body: Vec<u8>,
    /// Whether any job changed.
    pub(crate) took_effect: bool,
}

impl Done {
    /// A map answer (the detail and status answers merge an item into the
    /// envelope; the control answers are the envelope alone).
    fn map(mut body: Map<String, Value>, request_id: &str, took_effect: bool) -> Done {
        body.insert("RequestId".to_owned(), json!(request_id));
        Done { body: Value::Object(body).to_string().into_bytes(), took_effect }
    }

    /// A listing answer, serialized straight from its structs: a page of 30
    /// items is the hot path of every plan, and building a map per item
    /// cost far more than the listing itself.
    fn listing(answer: &impl Serialize) -> Done {
        let body = serde_json::to_vec(answer).expect("an answer has string keys");
        Done { body, took_effect: false }
    }
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

/// Runs an authenticated action; its answer carries `request_id`.
pub(crate) fn run(
    state: &mut State,
    action: &str,
    params: &Params,
    request_id: &str,
) -> Result<Done, ApiError> {
    let now = state.clock.now();
    check_region(state, params)?;
    let invocation = Invocation { params, request_id, now };
    match action {
        "DescribeDtsJobs" => describe_dts_jobs(state, &invocation),
        "DescribeDtsJobDetail" => describe_dts_job_detail(state, &invocation),
        "SuspendDtsJob" => control_dts(state, &invocation, Verb::Suspend),
        "StartDtsJob" => control_dts(state, &invocation, Verb::Start),
        "StopDtsJob" => control_dts(state, &invocation, Verb::Stop),
        "SuspendDtsJobs" => control_dts_batch(state, &invocation, Verb::Suspend),
        "StartDtsJobs" => control_dts_batch(state, &invocation, Verb::Start),
        "StopDtsJobs" => control_dts_batch(state, &invocation, Verb::Stop),
        "DescribeMigrationJobs" => {
            describe_legacy(state, &invocation, AlibabaKind::LegacyMigration)
        }
        "DescribeSynchronizationJobs" => {
            describe_legacy(state, &invocation, AlibabaKind::LegacySynchronization)
        }
        "DescribeMigrationJobStatus" => {
            legacy_status(state, &invocation, AlibabaKind::LegacyMigration)
        }
        "DescribeSynchronizationJobStatus" => {
            legacy_status(state, &invocation, AlibabaKind::LegacySynchronization)
        }
        "SuspendMigrationJob" | "SuspendSynchronizationJob" => {
            control_legacy(state, &invocation, action, Verb::Suspend)
        }
        "StartMigrationJob" | "StartSynchronizationJob" => {
            control_legacy(state, &invocation, action, Verb::Start)
        }
        "StopMigrationJob" => control_legacy(state, &invocation, action, Verb::Stop),
        other => unreachable!("action {other} passed authentication but has no handler"),
    }
}

/// What every action reads: the parameters, the id its answer carries and
/// the emulated time it runs at.
struct Invocation<'a> {
    params: &'a Params,
    request_id: &'a str,
    now: OffsetDateTime,
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

fn job_type_word(kind: AlibabaKind) -> &'static str {
    match kind {
        AlibabaKind::Migration | AlibabaKind::LegacyMigration => "MIGRATION",
        AlibabaKind::Sync | AlibabaKind::LegacySynchronization => "SYNC",
        AlibabaKind::Subscribe => "SUBSCRIBE",
    }
}

/// The incremental stage's word for a task's status.
fn sync_stage_status(status: &str) -> &'static str {
    if status == "Suspending" { "Suspending" } else { "Catched" }
}

// The answers below are serialized from structs whose fields are declared in
// the byte order of their wire names, the order in which serde_json writes the
// answers still built as maps: every answer has its keys in one order, the
// one clients and the official SDKs were checked against (the emulator tests
// check it on every answer they receive).

/// `DescribeDtsJobs`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DtsJobPage<'a> {
    dts_job_list: Vec<DtsJobItem<'a>>,
    etl_demo_list: [(); 0],
    http_status_code: u16,
    page_number: usize,
    page_record_count: usize,
    request_id: &'a str,
    success: bool,
    total_record_count: usize,
}

/// One `DtsJobList[]` item (also the shape of `ReverseJob`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DtsJobItem<'a> {
    create_time: &'a str,
    data_synchronization_status: DtsSyncProgress,
    delay: i64,
    destination_endpoint: Endpoint<'a>,
    #[serde(rename = "DtsInstanceID")]
    dts_instance_id: &'a str,
    dts_job_class: &'static str,
    dts_job_direction: &'static str,
    dts_job_id: &'a str,
    dts_job_name: &'a str,
    error_message: &'static str,
    job_type: &'static str,
    migration_mode: MigrationMode,
    pay_type: &'static str,
    reserved: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reverse_job: Option<Box<DtsJobItem<'a>>>,
    source_endpoint: Endpoint<'a>,
    status: &'a str,
    tag_list: [(); 0],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DtsSyncProgress {
    error_message: &'static str,
    need_upgrade: bool,
    percent: &'static str,
    progress: &'static str,
    status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MigrationMode {
    data_initialization: bool,
    data_synchronization: bool,
    structure_initialization: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Endpoint<'a> {
    database_name: &'static str,
    engine_name: &'static str,
    #[serde(rename = "InstanceID")]
    instance_id: &'static str,
    instance_type: &'static str,
    ip: &'static str,
    #[serde(rename = "OracleSID")]
    oracle_sid: &'static str,
    port: &'static str,
    region: &'a str,
    ssl_solution_enum: &'static str,
    user_name: &'static str,
}

impl<'a> Endpoint<'a> {
    fn new(instance_id: &'static str, region: &'a str) -> Endpoint<'a> {
        Endpoint {
            database_name: "",
            engine_name: "MySQL",
            instance_id,
            instance_type: "RDS",
            ip: "",
            oracle_sid: "",
            port: "3306",
            region,
            ssl_solution_enum: "DISABLE",
            user_name: "dts",
        }
    }
}

impl DtsJobItem<'_> {
    /// The item of `job`'s task in `direction`, which the caller checked exists.
    fn new(job: &AlibabaJobState, direction: Direction) -> DtsJobItem<'_> {
        let task = job.task(direction).expect("the caller picks an existing direction");
        let spec = &job.spec;
        let reverse_job = (direction == Direction::Forward && job.reverse.is_some())
            .then(|| Box::new(DtsJobItem::new(job, Direction::Reverse)));
        DtsJobItem {
            create_time: &job.created,
            data_synchronization_status: DtsSyncProgress {
                error_message: "",
                need_upgrade: false,
                percent: "100",
                progress: "",
                status: sync_stage_status(&task.status),
            },
            delay: spec.delay,
            destination_endpoint: Endpoint::new("rm-destination", &spec.region),
            dts_instance_id: spec.instance_id.as_deref().unwrap_or_default(),
            dts_job_class: "small",
            dts_job_direction: direction.word(),
            dts_job_id: &spec.id,
            dts_job_name: spec.name.as_deref().unwrap_or(&spec.id),
            error_message: "",
            job_type: job_type_word(spec.kind),
            migration_mode: MigrationMode {
                data_initialization: true,
                data_synchronization: spec.incremental,
                structure_initialization: true,
            },
            pay_type: "PostPaid",
            reserved: "{}",
            reverse_job,
            source_endpoint: Endpoint::new("rm-source", &spec.region),
            status: &task.status,
            tag_list: [],
        }
    }
}

fn describe_dts_jobs(state: &mut State, invocation: &Invocation) -> Result<Done, ApiError> {
    let params = invocation.params;
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
    let named: Vec<usize>;
    let (candidates, jobs) = if ids.is_empty() {
        state.alibaba.of_kind_mut(kind)
    } else {
        let mut positions: Vec<usize> =
            ids.iter().filter_map(|id| state.alibaba.position(id)).collect();
        positions.sort_unstable();
        positions.dedup();
        named = positions;
        (named.as_slice(), state.alibaba.jobs.as_mut_slice())
    };
    let mut page = Page::new((page_number - 1).saturating_mul(page_size), page_size);
    for &position in candidates {
        let job = &mut jobs[position];
        let spec = &job.spec;
        let wanted = spec.kind == kind
            && (instances.is_empty()
                || spec.instance_id.as_ref().is_some_and(|id| instances.contains(id)))
            && region.is_none_or(|region| spec.region == region);
        // Only a status filter needs every candidate's current status.
        if wanted && status.is_some() {
            job.settle(invocation.now);
        }
        if wanted && status.is_none_or(|status| job.forward.status == status) {
            page.offer(position);
        }
    }
    let total = page.total();
    let positions = page.into_items();
    for &position in &positions {
        state.alibaba.settle(position, invocation.now);
    }
    let jobs = &state.alibaba.jobs;
    Ok(Done::listing(&DtsJobPage {
        dts_job_list: positions
            .iter()
            .map(|&position| DtsJobItem::new(&jobs[position], Direction::Forward))
            .collect(),
        etl_demo_list: [],
        http_status_code: 200,
        page_number,
        page_record_count: positions.len(),
        request_id: invocation.request_id,
        success: true,
        total_record_count: total,
    }))
}

fn describe_dts_job_detail(state: &mut State, invocation: &Invocation) -> Result<Done, ApiError> {
    let params = invocation.params;
    let id = params.require("DtsJobId")?;
    let position = find(state, id, is_dts, "DtsJobId", invocation.now)?;
    let job = &state.alibaba.jobs[position];
    check_instance(job, params.get("DtsInstanceID"), "DtsInstanceID")?;
    let direction = Direction::parse(params.get("SynchronizationDirection"))?;
    // A one-way job has no reverse task to describe.
    job.task(direction)?;
    let item =
        serde_json::to_value(DtsJobItem::new(job, direction)).expect("an item has string keys");
    let mut body = object(item);
    body.remove("ReverseJob");
    body.extend(success_dts());
    body.insert("SynchronizationDirection".to_owned(), json!(direction.word()));
    body.insert("Checkpoint".to_owned(), json!(0));
    body.insert("Code".to_owned(), json!(200));
    body.insert("ErrCode".to_owned(), json!(""));
    body.insert("ErrMessage".to_owned(), json!(""));
    body.insert("DynamicMessage".to_owned(), json!(""));
    Ok(Done::map(body, invocation.request_id, false))
}

/// An optional instance id parameter must match the job's.
fn check_instance(job: &AlibabaJobState, given: Option<&str>, param: &str) -> Result<(), ApiError> {
    match given.filter(|id| !id.is_empty()) {
        Some(id) if job.spec.instance_id.as_deref() != Some(id) => Err(ApiError::invalid(param)),
        _ => Ok(()),
    }
}

fn control_dts(state: &mut State, invocation: &Invocation, verb: Verb) -> Result<Done, ApiError> {
    let params = invocation.params;
    let id = params.require("DtsJobId")?;
    let index = find(state, id, is_dts, "DtsJobId", invocation.now)?;
    check_instance(&state.alibaba.jobs[index], params.get("DtsInstanceId"), "DtsInstanceId")?;
    let direction = Direction::parse(params.get("SynchronizationDirection"))?;
    let took_effect = act(state, &[index], verb, direction, invocation.now)?;
    Ok(Done::map(success_dts(), invocation.request_id, took_effect))
}

fn control_dts_batch(
    state: &mut State,
    invocation: &Invocation,
    verb: Verb,
) -> Result<Done, ApiError> {
    let params = invocation.params;
    params.require("DtsJobIds")?;
    let ids = params.ids("DtsJobIds");
    if ids.is_empty() || ids.len() > state.settings.max_batch_ids {
        return Err(ApiError::invalid("DtsJobIds"));
    }
    let indexes = ids
        .iter()
        .map(|id| find(state, id, is_dts, "DtsJobIds", invocation.now))
        .collect::<Result<Vec<_>, _>>()?;
    let took_effect = act(state, &indexes, verb, Direction::Forward, invocation.now)?;
    Ok(Done::map(success_dts(), invocation.request_id, took_effect))
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
    invocation: &Invocation,
    action: &str,
    verb: Verb,
) -> Result<Done, ApiError> {
    let params = invocation.params;
    let kind = if action.contains("Migration") {
        AlibabaKind::LegacyMigration
    } else {
        AlibabaKind::LegacySynchronization
    };
    let param = legacy_id_param(kind);
    let id = params.require(param)?;
    let index = find(state, id, |candidate| candidate == kind, param, invocation.now)?;
    let direction = Direction::parse(params.get("SynchronizationDirection"))?;
    let token = params.get("ClientToken").filter(|token| !token.is_empty());
    if let Some(token) = token {
        if token.len() > 64 || !token.is_ascii() {
            return Err(ApiError::invalid("ClientToken"));
        }
        match state.alibaba.client_tokens.get(&(action.to_owned(), token.to_owned())) {
            Some(first) if first == id => {
                return Ok(Done::map(success_legacy(), invocation.request_id, false));
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
    let took_effect = act(state, &[index], verb, direction, invocation.now)?;
    if let Some(token) = token {
        state.alibaba.client_tokens.insert((action.to_owned(), token.to_owned()), id.to_owned());
    }
    Ok(Done::map(success_legacy(), invocation.request_id, took_effect))
}

/// `DescribeMigrationJobs`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MigrationJobPage<'a> {
    err_code: &'static str,
    err_message: &'static str,
    migration_jobs: MigrationJobs<'a>,
    page_number: usize,
    page_record_count: usize,
    request_id: &'a str,
    success: &'static str,
    total_record_count: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MigrationJobs<'a> {
    migration_job: Vec<MigrationJobItem<'a>>,
}

/// One `MigrationJobs.MigrationJob[]` item.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MigrationJobItem<'a> {
    data_initialization: StageProgress,
    data_synchronization: MigrationSyncProgress,
    instance_create_time: &'a str,
    job_create_time: &'a str,
    migration_job_class: &'static str,
    #[serde(rename = "MigrationJobID")]
    migration_job_id: &'a str,
    migration_job_name: &'a str,
    migration_job_status: &'a str,
    migration_mode: MigrationMode,
    pay_type: &'static str,
    precheck: Precheck,
    structure_initialization: StageProgress,
    tags: LegacyTags,
}

/// A finished full stage of a legacy migration.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StageProgress {
    error_message: &'static str,
    percent: &'static str,
    progress: &'static str,
    #[serde(rename = "status")]
    status: &'static str,
}

const FINISHED_STAGE: StageProgress =
    StageProgress { error_message: "", percent: "100", progress: "", status: "Finished" };

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct MigrationSyncProgress {
    delay: String,
    error_message: &'static str,
    percent: &'static str,
    #[serde(rename = "status")]
    status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Precheck {
    percent: &'static str,
    status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LegacyTags {
    tag: [(); 0],
}

/// `DescribeSynchronizationJobs` (its response model has no `Success`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SynchronizationJobPage<'a> {
    page_number: usize,
    page_record_count: usize,
    request_id: &'a str,
    synchronization_instances: Vec<SynchronizationItem<'a>>,
    total_record_count: usize,
}

/// One `SynchronizationInstances[]` item (one per direction of a job).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SynchronizationItem<'a> {
    create_time: &'a str,
    data_initialization: &'static str,
    data_synchronization_status: LegacySyncProgress,
    delay: String,
    error_message: &'static str,
    instance_create_time: &'a str,
    job_create_time: &'a str,
    pay_type: &'static str,
    status: &'a str,
    structure_initialization: &'static str,
    synchronization_direction: &'static str,
    synchronization_job_class: &'static str,
    synchronization_job_id: &'a str,
    synchronization_job_name: &'a str,
    tags: [(); 0],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LegacySyncProgress {
    delay: String,
    error_message: &'static str,
    percent: &'static str,
    status: &'static str,
}

fn describe_legacy(
    state: &mut State,
    invocation: &Invocation,
    kind: AlibabaKind,
) -> Result<Done, ApiError> {
    let params = invocation.params;
    let page_size = params.page_size("PageSize", 30)?;
    let page_number = params.number("PageNum", 1)?;
    let name_param = if kind == AlibabaKind::LegacyMigration {
        "MigrationJobName"
    } else {
        "SynchronizationJobName"
    };
    let name = params.get(name_param).unwrap_or_default();
    // One row per task (two for a two-way synchronization); no row outside
    // the page is kept, settled or built.
    let skip = (page_number - 1).saturating_mul(page_size);
    let tasks = state.alibaba.tasks_of_kind(kind);
    let (total, rows) = if name.is_empty() {
        // Every task matches: the page is a slice, whatever the world's size.
        let rows = tasks.get(skip..).unwrap_or_default().iter().take(page_size).copied();
        (tasks.len(), rows.collect())
    } else {
        let mut page = Page::new(skip, page_size);
        let jobs = &state.alibaba.jobs;
        for &(position, direction) in tasks {
            let spec = &jobs[position].spec;
            if spec.name.as_deref().unwrap_or(&spec.id).contains(name) {
                page.offer((position, direction));
            }
        }
        (page.total(), page.into_items())
    };
    for &(position, _) in &rows {
        state.alibaba.settle(position, invocation.now);
    }
    let jobs = &state.alibaba.jobs;
    let body = if kind == AlibabaKind::LegacyMigration {
        let items = rows.iter().map(|&(position, _)| migration_item(&jobs[position])).collect();
        Done::listing(&MigrationJobPage {
            err_code: "",
            err_message: "",
            migration_jobs: MigrationJobs { migration_job: items },
            page_number,
            page_record_count: rows.len(),
            request_id: invocation.request_id,
            success: "true",
            total_record_count: total,
        })
    } else {
        let items = rows
            .iter()
            .map(|&(position, direction)| synchronization_item(&jobs[position], direction))
            .collect();
        Done::listing(&SynchronizationJobPage {
            page_number,
            page_record_count: rows.len(),
            request_id: invocation.request_id,
            synchronization_instances: items,
            total_record_count: total,
        })
    };
    Ok(body)
}

/// One item of DescribeMigrationJobs (`MigrationJobID`).
fn migration_item(job: &AlibabaJobState) -> MigrationJobItem<'_> {
    let spec = &job.spec;
    let status = &job.forward.status;
    MigrationJobItem {
        data_initialization: FINISHED_STAGE,
        data_synchronization: MigrationSyncProgress {
            delay: spec.delay.to_string(),
            error_message: "",
            percent: "100",
            status: sync_stage_status(status),
        },
        instance_create_time: &job.created,
        job_create_time: &job.created,
        migration_job_class: "small",
        migration_job_id: &spec.id,
        migration_job_name: spec.name.as_deref().unwrap_or(&spec.id),
        migration_job_status: status,
        migration_mode: MigrationMode {
            data_initialization: true,
            data_synchronization: spec.incremental,
            structure_initialization: true,
        },
        pay_type: "PostPaid",
        precheck: Precheck { percent: "100", status: "Finished" },
        structure_initialization: FINISHED_STAGE,
        tags: LegacyTags { tag: [] },
    }
}

/// One item of DescribeSynchronizationJobs, for the task in `direction`.
fn synchronization_item(job: &AlibabaJobState, direction: Direction) -> SynchronizationItem<'_> {
    let task = job.task(direction).expect("the caller picks an existing direction");
    let spec = &job.spec;
    SynchronizationItem {
        create_time: &job.created,
        data_initialization: "true",
        data_synchronization_status: LegacySyncProgress {
            delay: spec.delay.to_string(),
            error_message: "",
            percent: "100",
            status: sync_stage_status(&task.status),
        },
        delay: spec.delay.to_string(),
        error_message: "",
        instance_create_time: &job.created,
        job_create_time: &job.created,
        pay_type: "PostPaid",
        status: &task.status,
        structure_initialization: "true",
        synchronization_direction: direction.word(),
        synchronization_job_class: "small",
        synchronization_job_id: &spec.id,
        synchronization_job_name: spec.name.as_deref().unwrap_or(&spec.id),
        tags: [],
    }
}

fn legacy_status(
    state: &mut State,
    invocation: &Invocation,
    kind: AlibabaKind,
) -> Result<Done, ApiError> {
    let params = invocation.params;
    let param = legacy_id_param(kind);
    let id = params.require(param)?;
    let position = find(state, id, |candidate| candidate == kind, param, invocation.now)?;
    let job = &state.alibaba.jobs[position];
    let direction = Direction::parse(params.get("SynchronizationDirection"))?;
    let task = job.task(direction)?;
    let spec = &job.spec;
    let name = spec.name.clone().unwrap_or_else(|| spec.id.clone());
    let sync_status = sync_stage_status(&task.status);
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
    Ok(Done::map(body, invocation.request_id, false))
}
