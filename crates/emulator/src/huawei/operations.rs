//! The DRS v3 batch operations in scope, with their per-item results.

use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::error::HwError;
use super::jobs::{HuaweiJobState, ItemFailure};
use crate::journal::ItemError;
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
    pub(crate) body: Value,
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
    let mut results = Vec::new();
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
                results.push(json!({ "id": id, "status": "success" }));
            }
            Err(failure) => {
                item_errors.push(ItemError { job: id.to_owned(), code: failure.code.to_owned() });
                results.push(json!({
                    "id": id, "status": "failed", "error_code": failure.code, "error_msg": failure.message,
                }));
            }
        }
    }
    Ok(Done { body: json!({ "results": results, "count": items.len() }), took_effect, item_errors })
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
    let page = page_of(&ids, cur_page, per_page);
    let mut item_errors = Vec::new();
    let results: Vec<Value> = page
        .into_iter()
        .map(|id| match state.huawei.find(project_id, id, now) {
            None => {
                let failure = ItemFailure::not_found();
                item_errors.push(ItemError { job: id.clone(), code: failure.code.to_owned() });
                json!({ "id": id, "status": "", "error_code": failure.code, "error_message": failure.message })
            }
            Some(job) if operation == Operation::Status => json!({ "id": id, "status": job.task.status }),
            Some(job) => detail(job),
        })
        .collect();
    Ok(Done {
        body: json!({ "results": results, "count": ids.len() }),
        took_effect: false,
        item_errors,
    })
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

/// The items of page `cur_page` of `per_page` (0: all of them).
fn page_of<T>(items: impl IntoIterator<Item = T>, cur_page: i64, per_page: i64) -> Vec<T> {
    if per_page == 0 {
        return items.into_iter().collect();
    }
    let size = usize::try_from(per_page).unwrap_or_default();
    let skip = usize::try_from(cur_page - 1).unwrap_or_default().saturating_mul(size);
    items.into_iter().skip(skip).take(size).collect()
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
    let candidates = state.huawei.of_use(project_id, &db_use_type).to_vec();
    let jobs = &mut state.huawei.jobs;
    let mut matching: Vec<usize> = candidates
        .into_iter()
        .filter(|&position| {
            engine_type.as_ref().is_none_or(|engine| jobs[position].spec.engine_type == *engine)
        })
        .collect();
    if let Some(status) = status {
        matching.retain(|&position| {
            jobs[position].task.settle(now);
            jobs[position].task.status == status
        });
    }
    let total = matching.len();
    let page: Vec<Value> = page_of(matching, cur_page, per_page)
        .into_iter()
        .map(|position| {
            jobs[position].task.settle(now);
            job_info(&jobs[position])
        })
        .collect();
    Ok(Done {
        body: json!({ "total_record": total, "jobs": page }),
        took_effect: false,
        item_errors: Vec::new(),
    })
}

/// One `JobInfo` of `ShowJobList`.
fn job_info(job: &HuaweiJobState) -> Value {
    let spec = &job.spec;
    json!({
        "id": spec.id,
        "name": spec.name.clone().unwrap_or_else(|| spec.id.clone()),
        "status": job.task.status,
        "create_time": (job.created_at.unix_timestamp_nanos() / 1_000_000).to_string(),
        "description": "",
        "engine_type": spec.engine_type,
        "net_type": "vpc",
        "billing_tag": false,
        "job_direction": "up",
        "db_use_type": spec.db_use_type,
        "task_type": spec.task_type,
        "children": [],
        "node_newFramework": true,
        "job_action": { "available_actions": [], "unavailable_actions": [], "current_action": "" },
    })
}

/// One `QueryJobResp` (the fields a client of the emulator can rely on).
fn detail(job: &HuaweiJobState) -> Value {
    let spec = &job.spec;
    json!({
        "id": spec.id,
        "parent_id": "",
        "name": spec.name.clone().unwrap_or_else(|| spec.id.clone()),
        "status": job.task.status,
        "description": "",
        "create_time": (job.created_at.unix_timestamp_nanos() / 1_000_000).to_string(),
        "update_time": "",
        "task_type": spec.task_type,
        "db_use_type": spec.db_use_type,
        "job_direction": "up",
        "net_type": "vpc",
        "engine_type": spec.engine_type,
        "failed_reason": "",
        "error_code": "",
        "error_message": "",
        "master_job_id": "",
        "sync_mode": "",
        "tags": [],
    })
}
