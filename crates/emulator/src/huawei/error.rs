//! Huawei error answers: `{"error_code", "error_msg"}` (plus `request_id` from the API gateway).

use serde_json::{Value, json};

/// A request-level error.
#[derive(Clone, Debug)]
pub(crate) struct HwError {
    /// HTTP status.
    pub(crate) status: u16,
    /// `error_code`.
    pub(crate) code: &'static str,
    /// `error_msg`.
    pub(crate) message: String,
    /// Raised by the API gateway (its bodies carry `request_id`).
    gateway: bool,
}

impl HwError {
    /// An API-gateway error (`APIGW.*`).
    pub(crate) fn gateway(status: u16, code: &'static str, message: &str) -> HwError {
        HwError { status, code, message: message.to_owned(), gateway: true }
    }

    /// Incorrect IAM authentication information (`APIGW.0301`, 401).
    pub(crate) fn unauthenticated(detail: &str) -> HwError {
        HwError::gateway(
            401,
            "APIGW.0301",
            &format!("Incorrect IAM authentication information: {detail}"),
        )
    }

    /// A DRS service error.
    pub(crate) fn service(status: u16, code: &'static str, message: &str) -> HwError {
        HwError { status, code, message: message.to_owned(), gateway: false }
    }

    /// A required body parameter is absent or empty (`DRS.M00201`).
    pub(crate) fn empty(name: &str) -> HwError {
        HwError::service(400, "DRS.M00201", &format!("The parameter {name} is empty."))
    }

    /// A body parameter is not acceptable (`DRS.M00202`).
    pub(crate) fn invalid(name: &str) -> HwError {
        HwError::service(400, "DRS.M00202", &format!("The value of parameter {name} is invalid."))
    }

    /// The JSON body.
    pub(crate) fn body(&self, request_id: &str) -> Value {
        let mut body = json!({ "error_code": self.code, "error_msg": self.message });
        if self.gateway {
            body["request_id"] = json!(request_id);
        }
        body
    }
}
