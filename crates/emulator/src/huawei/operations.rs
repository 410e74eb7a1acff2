//! The DRS v3 batch operations in scope, with their per-item results.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::error::HwError;
use super::jobs::{HuaweiJobState, ItemFailure};
use crate::journal::ItemError;
use crate::paging::Page;
use crate::state::State;

/// A DRS v3 operation, named after its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    /// `POST batch-pause-task`.
    Pause,
    /// `POST batch-retry-task`.
    Retry,
    /// `POST batch-status`.
    Status,
    /// `POST batch-detail`.
    Detail,
    /// `DELETE batch-jobs`.
    Delete,
    /// `POST` on the jobs collection itself: `ShowJobList`.
    List,
}

impl Operation {
    /// The operation at `method` + the path segment after `jobs` (empty for
    /// the collection itself), if served.
    pub(crate) fn route(method: &str, segment: &str) -> Option<Operation> {
        match (method, segment) {
            ("POST", "batch-pause-task") => Some(Operation::Pause),
            ("POST", "batch-retry-task") => Some(Operation::Retry),
            ("POST", "batch-status") => Some(Operation::Status),
            ("POST", "batch-detail") => Some(Operation::Detail),
            ("DELETE", "batch-jobs") => Some(Operation::Delete),
            ("POST", "") => Some(Operation::List),
            _ => None,
        }
    }

    /// The name used in the journal, faults and rate limits.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Operation::Pause => "batch-pause-task",
            Operation::Retry => "batch-retry-task",
            Operation::Status => "batch-status",
            Operation::Detail => "batch-detail",
            Operation::Delete => "batch-jobs",
            Operation::List => "ShowJobList",
        }
    }
}

/// A successfully run operation.
#[derive(Debug)]
pub(crate) struct Done {
    /// The JSON body.
    pub(crate) body: Vec<u8>,
    /// Whether any job changed.
    pub(crate) took_effect: bool,
    /// Items that failed.
    pub(crate) item_errors: Vec<ItemError>,
}

/// `jobs[]` of the action bodies (pause, retry, delete).
#[derive(Deserialize)]
struct ActionBody {
    jobs: Option<Vec<ActionItem>>,
}

#[derive(Deserialize)]
struct ActionItem {
    job_id: Option<String>,
    pause_mode: Option<String>,
    delete_type: Option<String>,
}

/// `BatchQueryJobReqPage`.
#[derive(Deserialize)]
struct QueryBody {
    jobs: Option<Vec<String>>,
    page_req: Option<PageReq>,
}

#[derive(Deserialize)]
struct PageReq {
    cur_page: Option<i64>,
    per_page: Option<i64>,
}

/// `QueryJobsReq` (the filters served; others are accepted and ignored).
#[derive(Deserialize)]
struct ListBody {
    db_use_type: Option<String>,
    cur_page: Option<i64>,
    per_page: Option<i64>,
    status: Option<String>,
    engine_type: Option<String>,
}

/// The `db_use_type`s `ShowJobList` requires one of.
const DB_USE_TYPES: &[&str] = &["migration", "sync", "cloudDataGuard"];

/// Job ids named in a body, whichever operation it is for (for the journal and faults).
pub(crate) fn named_jobs(body: &[u8]) -> Vec<String> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else { return Vec::new() };
    let Some(jobs) = value.get("jobs").and_then(Value::as_array) else { return Vec::new() };
    jobs.iter()
        .filter_map(|job| job.as_str().or_else(|| job.get("job_id").and_then(Value::as_str)))
        .map(str::to_owned)
        .collect()
}

/// Runs an authenticated operation in `project_id`.
pub(crate) fn run(
    state: &mut State,
    operation: Operation,
    project_id: &str,
    body: &[u8],
) -> Result<Done, HwError> {
    let now = state.clock.now();
    match operation {
        Operation::Pause | Operation::Retry | Operation::Delete => {
            act(state, operation, project_id, body, now)
        }
        Operation::Status | Operation::Detail => query(state, operation, project_id, body, now),
        Operation::List => list(state, project_id, body, now),
    }
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, HwError> {
    serde_json::from_slice(body).map_err(|_| HwError::invalid("body"))
}

/// Most ids a batch-status / batch-detail query takes: the documented
/// `per_page` maximum. The world's `max_batch_ids` caps actions only.
const MAX_QUERY_IDS: usize = 100;

/// Checks a job id list against the UUID rule and a batch limit.
fn check_ids<'a>(limit: usize, ids: impl ExactSizeIterator<Item = &'a str>) -> Result<(), HwError> {
    if ids.len() > limit {
        return Err(HwError::service(
            400,
            "DRS.M00202",
            &format!("The value of parameter jobs is invalid: at most {limit} jobs per request."),
        ));
    }
    for id in ids {
        if uuid::Uuid::try_parse(id).is_err() {
            return Err(HwError::invalid("job_id"));
        }
    }
    Ok(())
}

fn act(
    state: &mut State,
    operation: Operation,
    project_id: &str,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<Done, HwError> {
    let items = parse::<ActionBody>(body)?
        .jobs
        .filter(|jobs| !jobs.is_empty())
        .ok_or_else(|| HwError::empty("jobs"))?;
    let mut ids = Vec::new();
    for item in &items {
        ids.push(
            item.job_id
                .as_deref()
                .filter(|id| !id.is_empty())
                .ok_or_else(|| HwError::empty("job_id"))?,
        );
        match operation {
            Operation::Pause => match item.pause_mode.as_deref() {
                None | Some("") => return Err(HwError::empty("pause_mode")),
                Some("target" | "all") => {}
                Some(_) => return Err(HwError::invalid("pause_mode")),
            },
            Operation::Delete => match item.delete_type.as_deref() {
                None | Some("") => return Err(HwError::empty("delete_type")),
                Some(
                    "terminate" | "force_terminate" | "delete" | "roll_back_upgrade_active_standby",
                ) => {}
                Some(_) => return Err(HwError::invalid("delete_type")),
            },
            _ => {}
        }
    }
    check_ids(state.settings.max_batch_ids, ids.iter().copied())?;
    let delay = state.settings.transition_delay;
    let mut results = Vec::with_capacity(items.len());
    let mut item_errors = Vec::new();
    let mut took_effect = false;
    for (item, id) in items.iter().zip(ids) {
        let outcome = match state.huawei.find(project_id, id, now) {
            None => Err(ItemFailure::not_found()),
            Some(job) => match operation {
                Operation::Pause => job.pause(now, delay),
                Operation::Retry => job.retry(now, delay),
                _ => job.delete(item.delete_type.as_deref().unwrap_or_default(), now, delay),
            },
        };
        match outcome {
            Ok(()) => {
                took_effect = true;
                results.push(ActionResult::Success { id, status: "success" });
            }
            Err(failure) => {
                item_errors.push(ItemError { job: id.to_owned(), code: failure.code.to_owned() });
                results.push(ActionResult::Failed {
                    error_code: failure.code,
                    error_msg: failure.message,
                    id,
                    status: "failed",
                });
            }
        }
    }
    let body = serialized(&Results { count: items.len(), results });
    Ok(Done { body, took_effect, item_errors })
}

// The answers below are serialized from structs whose fields are declared in
// the byte order of their wire names, the order in which serde_json writes the
// answers still built as maps: every answer has its keys in one order, the
// one clients and the official SDKs were checked against (the emulator tests
// check it on every answer they receive).

/// The JSON bytes of an answer.
fn serialized(answer: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(answer).expect("an answer has string keys")
}

/// The answer of the batch operations: `count` (of the ids asked) and a
/// result per item.
#[derive(Serialize)]
struct Results<T> {
    count: usize,
    results: Vec<T>,
}

/// One item's result of pause, retry or delete.
#[derive(Serialize)]
#[serde(untagged)]
enum ActionResult<'a> {
    Success { id: &'a str, status: &'static str },
    Failed { error_code: &'static str, error_msg: String, id: &'a str, status: &'static str },
}

fn query(
    state: &mut State,
    operation: Operation,
    project_id: &str,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<Done, HwError> {
    let request = parse::<QueryBody>(body)?;
    let ids = request.jobs.filter(|jobs| !jobs.is_empty()).ok_or_else(|| HwError::empty("jobs"))?;
    check_ids(MAX_QUERY_IDS, ids.iter().map(String::as_str))?;
    let (cur_page, per_page) = request
        .page_req
        .map_or((1, 5), |page| (page.cur_page.unwrap_or(1), page.per_page.unwrap_or(5)));
    page_bounds(cur_page, per_page)?;
    let (skip, size) = page_window(cur_page, per_page);
    let page: Vec<(&String, Option<usize>)> = ids
        .iter()
        .skip(skip)
        .take(size)
        .map(|id| (id, state.huawei.position(project_id, id)))
        .collect();
    let jobs = &mut state.huawei.jobs;
    for &(_, position) in &page {
        if let Some(position) = position {
            jobs[position].task.settle(now);
        }
    }
    let mut item_errors = Vec::new();
    let results: Vec<QueryResult> = page
        .into_iter()
        .map(|(id, position)| match position.map(|position| &jobs[position]) {
            None => {
                let failure = ItemFailure::not_found();
                item_errors.push(ItemError { job: id.clone(), code: failure.code.to_owned() });
                QueryResult::Missing {
                    error_code: failure.code,
                    error_message: failure.message,
                    id,
                    status: "",
                }
            }
            Some(job) if operation == Operation::Status => {
                QueryResult::Status { id, status: &job.task.status }
            }
            Some(job) => QueryResult::Detail(Box::new(JobDetail::new(job))),
        })
        .collect();
    let body = serialized(&Results { count: ids.len(), results });
    Ok(Done { body, took_effect: false, item_errors })
}

/// One item's result of batch-status or batch-detail.
#[derive(Serialize)]
#[serde(untagged)]
enum QueryResult<'a> {
    Missing { error_code: &'static str, error_message: String, id: &'a str, status: &'static str },
    Status { id: &'a str, status: &'a str },
    Detail(Box<JobDetail<'a>>),
}

/// Checks `per_page` (0 to 100; 0 asks for everything) and `cur_page` (from 1).
fn page_bounds(cur_page: i64, per_page: i64) -> Result<(), HwError> {
    if !(0..=100).contains(&per_page) {
        return Err(HwError::service(400, "DRS.M00211", "The page size is invalid or too large."));
    }
    if cur_page < 1 && per_page != 0 {
        return Err(HwError::service(400, "DRS.M00210", "The page number is invalid."));
    }
    Ok(())
}

/// Which items (`skip`, then at most `size`) page `cur_page` of `per_page` holds (0: all).
fn page_window(cur_page: i64, per_page: i64) -> (usize, usize) {
    if per_page == 0 {
        return (0, usize::MAX);
    }
    let size = usize::try_from(per_page).unwrap_or_default();
    let skip = usize::try_from(cur_page - 1).unwrap_or_default().saturating_mul(size);
    (skip, size)
}

/// `ShowJobList`: the project's jobs of one `db_use_type`, in world order,
/// filtered by `status` and `engine_type`. Only a status filter settles the
/// candidates; otherwise a page settles and builds its own jobs alone.
fn list(
    state: &mut State,
    project_id: &str,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<Done, HwError> {
    let request = parse::<ListBody>(body)?;
    let db_use_type = request
        .db_use_type
        .filter(|use_type| !use_type.is_empty())
        .ok_or_else(|| HwError::empty("db_use_type"))?;
    if !DB_USE_TYPES.contains(&db_use_type.as_str()) {
        return Err(HwError::invalid("db_use_type"));
    }
    let (cur_page, per_page) = (request.cur_page.unwrap_or(1), request.per_page.unwrap_or(10));
    page_bounds(cur_page, per_page)?;
    let engine_type = request.engine_type.filter(|engine| !engine.is_empty());
    let status = request.status.filter(|status| !status.is_empty());
    let (candidates, jobs) = state.huawei.of_use_mut(project_id, &db_use_type);
    let (skip, size) = page_window(cur_page, per_page);
    let mut page = Page::new(skip, size);
    for &position in candidates {
        let job = &mut jobs[position];
        if engine_type.as_ref().is_some_and(|engine| job.spec.engine_type != *engine) {
            continue;
        }
        if let Some(status) = &status {
            job.task.settle(now);
            if job.task.status != *status {
                continue;
            }
        }
        page.offer(position);
    }
    let total = page.total();
    let positions = page.into_items();
    for &position in &positions {
        jobs[position].task.settle(now);
    }
    let jobs = &state.huawei.jobs;
    let body = serialized(&JobList {
        jobs: positions.iter().map(|&position| JobInfo::new(&jobs[position])).collect(),
        total_record: total,
    });
    Ok(Done { body, took_effect: false, item_errors: Vec::new() })
}

/// A job's creation time as DRS writes it: Unix milliseconds, as text.
fn create_time(job: &HuaweiJobState) -> String {
    (job.created_at.unix_timestamp_nanos() / 1_000_000).to_string()
}

/// The `ShowJobList` answer.
#[derive(Serialize)]
struct JobList<'a> {
    jobs: Vec<JobInfo<'a>>,
    total_record: usize,
}

/// One `JobInfo` of `ShowJobList`.
#[derive(Serialize)]
struct JobInfo<'a> {
    billing_tag: bool,
    children: [(); 0],
    create_time: String,
    db_use_type: &'a str,
    description: &'static str,
    engine_type: &'a str,
    id: &'a str,
    job_action: JobAction,
    job_direction: &'static str,
    name: &'a str,
    net_type: &'static str,
    #[serde(rename = "node_newFramework")]
    node_new_framework: bool,
    status: &'a str,
    task_type: &'a str,
}

#[derive(Serialize)]
struct JobAction {
    available_actions: [(); 0],
    current_action: &'static str,
    unavailable_actions: [(); 0],
}

impl JobInfo<'_> {
    fn new(job: &HuaweiJobState) -> JobInfo<'_> {
        let spec = &job.spec;
        JobInfo {
            billing_tag: false,
            children: [],
            create_time: create_time(job),
            db_use_type: &spec.db_use_type,
            description: "",
            engine_type: &spec.engine_type,
            id: &spec.id,
            job_action: JobAction {
                available_actions: [],
                current_action: "",
                unavailable_actions: [],
            },
            job_direction: "up",
            name: spec.name.as_deref().unwrap_or(&spec.id),
            net_type: "vpc",
            node_new_framework: true,
            status: &job.task.status,
            task_type: &spec.task_type,
        }
    }
}

/// One `QueryJobResp` (the fields a client of the emulator can rely on).
#[derive(Serialize)]
struct JobDetail<'a> {
    create_time: String,
    db_use_type: &'a str,
    description: &'static str,
    engine_type: &'a str,
    error_code: &'static str,
    error_message: &'static str,
    failed_reason: &'static str,
    id: &'a str,
    job_direction: &'static str,
    master_job_id: &'static str,
    name: &'a str,
    net_type: &'static str,
    parent_id: &'static str,
    status: &'a str,
    sync_mode: &'static str,
    tags: [(); 0],
    task_type: &'a str,
    update_time: &'static str,
}

impl JobDetail<'_> {
    fn new(job: &HuaweiJobState) -> JobDetail<'_> {
        let spec = &job.spec;
        JobDetail {
            create_time: create_time(job),
            db_use_type: &spec.db_use_type,
            description: "",
            engine_type: &spec.engine_type,
            error_code: "",
            error_message: "",
            failed_reason: "",
            id: &spec.id,
            job_direction: "up",
            master_job_id: "",
            name: spec.name.as_deref().unwrap_or(&spec.id),
            net_type: "vpc",
            parent_id: "",
            status: &job.task.status,
            sync_mode: "",
            tags: [],
            task_type: &spec.task_type,
            update_time: "",
        }
    }
}
