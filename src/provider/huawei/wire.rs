//! Huawei DRS v3 request and response bodies (only the fields jobform uses).

use serde::{Deserialize, Serialize};

use crate::provider::lenient;

/// `POST /v3/{project_id}/jobs/batch-status` (`BatchQueryJobReqPage`).
#[derive(Debug, Serialize)]
pub(super) struct StatusRequest<'a> {
    pub(super) jobs: &'a [&'a str],
    pub(super) page_req: PageRequest,
}

/// `PageReq`.
#[derive(Debug, Serialize)]
pub(super) struct PageRequest {
    pub(super) cur_page: u64,
    pub(super) per_page: u64,
}

/// The batch-status answer.
#[derive(Debug, Deserialize)]
pub(super) struct StatusPage {
    #[serde(default)]
    pub(super) results: Vec<JobStatus>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub(super) count: Option<u64>,
}

/// `QueryJobStatusResp` (its error text is `error_message`, not `error_msg`).
#[derive(Debug, Deserialize)]
pub(super) struct JobStatus {
    pub(super) id: String,
    #[serde(default)]
    pub(super) status: Option<String>,
    #[serde(default)]
    pub(super) error_code: Option<String>,
    #[serde(default, alias = "error_msg")]
    pub(super) error_message: Option<String>,
}

/// `POST /v3/{project_id}/jobs` (`ShowJobList`'s `QueryJobsReq`).
#[derive(Debug, Serialize)]
pub(super) struct ListRequest<'a> {
    pub(super) db_use_type: &'a str,
    pub(super) cur_page: u64,
    pub(super) per_page: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) engine_type: Option<&'a str>,
}

/// The `ShowJobList` answer.
#[derive(Debug, Deserialize)]
pub(super) struct JobListPage {
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub(super) total_record: Option<u64>,
    #[serde(default)]
    pub(super) jobs: Vec<JobInfo>,
}

/// `JobInfo`.
#[derive(Debug, Deserialize)]
pub(super) struct JobInfo {
    pub(super) id: String,
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) status: Option<String>,
    #[serde(default)]
    pub(super) db_use_type: Option<String>,
}

/// A batch action's body: `{"jobs": [...]}`.
#[derive(Debug, Serialize)]
pub(super) struct BatchRequest<T> {
    pub(super) jobs: Vec<T>,
}

/// `PauseInfo`.
#[derive(Debug, Serialize)]
pub(super) struct PauseItem<'a> {
    pub(super) job_id: &'a str,
    pub(super) pause_mode: &'a str,
}

/// `RetryInfo`.
#[derive(Debug, Serialize)]
pub(super) struct RetryItem<'a> {
    pub(super) job_id: &'a str,
}

/// `DeleteJobReq`.
#[derive(Debug, Serialize)]
pub(super) struct DeleteItem<'a> {
    pub(super) job_id: &'a str,
    pub(super) delete_type: &'a str,
}

/// A batch action's answer: one result per job.
#[derive(Debug, Deserialize)]
pub(super) struct BatchResults {
    #[serde(default)]
    pub(super) results: Vec<ItemResult>,
}

/// `PauseJobResp`, `RetryTaskResp`, `DeleteJobResp`: `status` is `success` or `failed`.
#[derive(Debug, Deserialize)]
pub(super) struct ItemResult {
    pub(super) id: String,
    #[serde(default)]
    pub(super) status: Option<String>,
    #[serde(default)]
    pub(super) error_code: Option<String>,
    #[serde(default, alias = "error_message")]
    pub(super) error_msg: Option<String>,
}

/// An error body: the SDK accepts these three spellings, in this order.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub(super) error_code: Option<String>,
    #[serde(default)]
    pub(super) error_msg: Option<String>,
    #[serde(default, rename = "errorCode")]
    pub(super) error_code_camel: Option<String>,
    #[serde(default, rename = "errorMsg")]
    pub(super) error_msg_camel: Option<String>,
    #[serde(default)]
    pub(super) code: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) request_id: Option<String>,
}

impl ErrorBody {
    /// The code and message, from the first spelling present.
    pub(super) fn code_and_message(self) -> Option<(String, String)> {
        [
            (self.error_code, self.error_msg),
            (self.error_code_camel, self.error_msg_camel),
            (self.code, self.message),
        ]
        .into_iter()
        .find_map(|(code, message)| {
            code.filter(|c| !c.is_empty()).map(|c| (c, message.unwrap_or_default()))
        })
    }
}
