//! Alibaba DTS response bodies, deserialised leniently: `Success` as a boolean
//! or a string, counts as numbers or strings, `DtsInstanceID`/`DtsInstanceId`
//! and `MigrationJobID`/`MigrationJobId`. Only the fields jobform reads.

use serde::Deserialize;

use crate::provider::lenient;

/// The fields every answer may carry: the request id, and an error as either
/// the gateway (`Code`, `Message`) or the operation (`ErrCode`, `ErrMessage`,
/// `DynamicMessage`, `Success: false`) reports it.
#[derive(Debug, Deserialize)]
pub(super) struct Envelope {
    #[serde(rename = "RequestId", alias = "requestId", default)]
    pub(super) request_id: Option<String>,
    #[serde(rename = "Success", default, deserialize_with = "lenient::opt_bool")]
    pub(super) success: Option<bool>,
    #[serde(rename = "Code", alias = "code", default, deserialize_with = "text")]
    pub(super) code: Option<String>,
    #[serde(rename = "Message", alias = "message", default)]
    pub(super) message: Option<String>,
    #[serde(rename = "ErrCode", default)]
    pub(super) err_code: Option<String>,
    #[serde(rename = "ErrMessage", default)]
    pub(super) err_message: Option<String>,
    #[serde(rename = "DynamicMessage", default)]
    pub(super) dynamic_message: Option<String>,
}

impl Envelope {
    /// The error code, preferring the operation's over the gateway's.
    pub(super) fn error_code(&self) -> Option<&str> {
        [&self.err_code, &self.code]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .find(|c| !c.is_empty())
    }

    /// The error message with `%s` replaced by `DynamicMessage`.
    pub(super) fn error_message(&self) -> String {
        let message = [&self.err_message, &self.message]
            .into_iter()
            .flatten()
            .find(|m| !m.is_empty())
            .cloned()
            .unwrap_or_default();
        match &self.dynamic_message {
            Some(dynamic) if message.contains("%s") => message.replace("%s", dynamic),
            _ => message,
        }
    }
}

/// `Code` is a string on the gateway's errors but a number on some
/// operations' successes (`DescribeDtsJobDetail`); keep it as text.
fn text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(deserializer)? {
        Some(serde_json::Value::String(text)) => Some(text),
        Some(serde_json::Value::Number(number)) => Some(number.to_string()),
        _ => None,
    })
}

/// One page of `DescribeDtsJobs`.
#[derive(Debug, Deserialize)]
pub(super) struct DtsJobPage {
    #[serde(rename = "DtsJobList", default)]
    pub(super) jobs: Vec<DtsJob>,
    #[serde(rename = "TotalRecordCount", default, deserialize_with = "lenient::opt_u64")]
    pub(super) total: Option<u64>,
}

/// One `DtsJobList[]` item.
#[derive(Debug, Deserialize)]
pub(super) struct DtsJob {
    #[serde(rename = "DtsJobId")]
    pub(super) id: String,
    #[serde(rename = "DtsJobName", default)]
    pub(super) name: Option<String>,
    #[serde(rename = "DtsInstanceID", alias = "DtsInstanceId", default)]
    pub(super) instance_id: Option<String>,
    #[serde(rename = "Status", default)]
    pub(super) status: Option<String>,
    /// `Forward` or `Reverse`.
    #[serde(rename = "DtsJobDirection", default)]
    pub(super) direction: Option<String>,
    /// The reverse task of a two-way synchronization.
    #[serde(rename = "ReverseJob", default)]
    pub(super) reverse: Option<ReverseJob>,
    #[serde(rename = "MigrationMode", default)]
    pub(super) mode: Option<MigrationMode>,
}

/// `ReverseJob` (an empty object or null on one-way jobs).
#[derive(Debug, Deserialize)]
pub(super) struct ReverseJob {
    #[serde(rename = "Status", default)]
    pub(super) status: Option<String>,
}

/// `MigrationMode`: which phases the job runs.
#[derive(Debug, Deserialize)]
pub(super) struct MigrationMode {
    /// Incremental replication (the phase the 6-hour restart window is about).
    #[serde(
        rename = "DataSynchronization",
        alias = "dataSynchronization",
        default,
        deserialize_with = "lenient::opt_bool"
    )]
    pub(super) data_synchronization: Option<bool>,
}

/// One page of the legacy `DescribeMigrationJobs`.
#[derive(Debug, Deserialize)]
pub(super) struct MigrationPage {
    #[serde(rename = "MigrationJobs", default)]
    pub(super) jobs: Option<MigrationJobs>,
    #[serde(rename = "TotalRecordCount", default, deserialize_with = "lenient::opt_u64")]
    pub(super) total: Option<u64>,
}

/// The XML-style wrapper `{"MigrationJob": [...]}`.
#[derive(Debug, Deserialize)]
pub(super) struct MigrationJobs {
    #[serde(rename = "MigrationJob", default)]
    pub(super) items: Vec<MigrationJob>,
}

/// One legacy migration job.
#[derive(Debug, Deserialize)]
pub(super) struct MigrationJob {
    #[serde(rename = "MigrationJobID", alias = "MigrationJobId")]
    pub(super) id: String,
    #[serde(rename = "MigrationJobName", default)]
    pub(super) name: Option<String>,
    #[serde(rename = "MigrationJobStatus", default)]
    pub(super) status: Option<String>,
    #[serde(rename = "MigrationMode", default)]
    pub(super) mode: Option<MigrationMode>,
}

/// One page of the legacy `DescribeSynchronizationJobs`.
#[derive(Debug, Deserialize)]
pub(super) struct SynchronizationPage {
    #[serde(rename = "SynchronizationInstances", default)]
    pub(super) jobs: Vec<SynchronizationJob>,
    #[serde(rename = "TotalRecordCount", default, deserialize_with = "lenient::opt_u64")]
    pub(super) total: Option<u64>,
}

/// One legacy synchronization job (one direction of it).
#[derive(Debug, Deserialize)]
pub(super) struct SynchronizationJob {
    #[serde(rename = "SynchronizationJobId", alias = "SynchronizationJobID")]
    pub(super) id: String,
    #[serde(rename = "SynchronizationJobName", default)]
    pub(super) name: Option<String>,
    #[serde(rename = "Status", default)]
    pub(super) status: Option<String>,
    #[serde(rename = "SynchronizationDirection", default)]
    pub(super) direction: Option<String>,
}

/// The legacy `DescribeSynchronizationJobStatus` answer (one direction).
#[derive(Debug, Deserialize)]
pub(super) struct SynchronizationStatus {
    #[serde(rename = "Status", default)]
    pub(super) status: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_substitutes_dynamic_message() {
        let envelope: Envelope = serde_json::from_str(
            r#"{"RequestId":"r1","Success":"false","ErrCode":"InvalidParameter","ErrMessage":"The Value of Input Parameter %s is not valid.","DynamicMessage":"DtsJobId","Code":200}"#,
        )
        .unwrap();
        assert_eq!(envelope.success, Some(false));
        assert_eq!(envelope.error_code(), Some("InvalidParameter"));
        assert_eq!(envelope.error_message(), "The Value of Input Parameter DtsJobId is not valid.");
    }

    #[test]
    fn legacy_shapes() {
        let page: MigrationPage = serde_json::from_str(
            r#"{"TotalRecordCount":"1","MigrationJobs":{"MigrationJob":[{"MigrationJobID":"dtsj1","MigrationJobStatus":"Migrating","MigrationMode":{"DataSynchronization":"true"}}]}}"#,
        )
        .unwrap();
        assert_eq!(page.total, Some(1));
        let job = &page.jobs.unwrap().items[0];
        assert_eq!((job.id.as_str(), job.status.as_deref()), ("dtsj1", Some("Migrating")));
        assert_eq!(job.mode.as_ref().unwrap().data_synchronization, Some(true));
    }
}
