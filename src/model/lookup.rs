//! What a read said about one declared job, as the planner and the apply
//! engine consume it and saved plans record it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::LiveJob;

/// What the providers said about one declared job. Saved plans record it,
/// so that `apply FILE` can plan again from exactly what the plan saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "lookup", content = "value", rename_all = "snake_case")]
pub enum LiveLookup {
    /// The cloud reported the job.
    Found(LiveJob),
    /// The cloud does not know the job id.
    NotFound,
    /// The job could not be read.
    ReadFailed(ReadFailure),
}

/// Why a job could not be read: the provider error's code and request id,
/// kept apart so they can be acted on, and its whole wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadFailure {
    /// The error code (`Throttling.User`, `jobform.MalformedResponse`, …).
    pub code: String,
    /// The cloud's request id, when it sent one.
    pub request_id: Option<String>,
    /// The error as the provider words it (cloud, operation, code, message,
    /// HTTP status, request id).
    pub message: String,
}

impl fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_failure_is_saved_with_its_code_and_request_id() {
        let lookup = LiveLookup::ReadFailed(ReadFailure {
            code: "Throttling.User".to_owned(),
            request_id: Some("r-1".to_owned()),
            message: "alibaba DescribeDtsJobs: Throttling.User: slow down (request id r-1)"
                .to_owned(),
        });
        let saved = serde_json::to_string(&lookup).unwrap();
        assert_eq!(
            saved,
            r#"{"lookup":"read_failed","value":{"code":"Throttling.User","request_id":"r-1","message":"alibaba DescribeDtsJobs: Throttling.User: slow down (request id r-1)"}}"#
        );
        assert_eq!(serde_json::from_str::<LiveLookup>(&saved).unwrap(), lookup);
    }
}
