//! Alibaba error answers: the gateway's `Code`/`Message` body, extended on DTS
//! actions with `ErrCode`, `ErrMessage` (with its `%s`), `DynamicMessage`,
//! `HttpStatusCode` and a boolean `Success`, and on legacy actions with a
//! string `Success`.

use std::time::Duration;

use serde_json::{Value, json};

/// Which response shape an action uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// Before an action is known (auth, unknown action, throttling): gateway fields only.
    Gateway,
    /// `*DtsJob*` actions: `Success` is a boolean, `HttpStatusCode` and `DynamicMessage` present.
    Dts,
    /// Legacy `*MigrationJob*` / `*SynchronizationJob*` actions: `Success` is a string.
    Legacy,
}

/// An error answer (boxed: errors travel through many `Result`s).
#[derive(Clone, Debug)]
pub(crate) struct ApiError(Box<Fields>);

/// The fields of an error answer.
#[derive(Clone, Debug)]
struct Fields {
    /// HTTP status.
    status: u16,
    /// Gateway `Code`.
    code: String,
    /// Gateway `Message`.
    message: String,
    /// DTS `ErrCode`.
    err_code: String,
    /// DTS `ErrMessage`, possibly with a `%s` for `DynamicMessage`.
    err_template: String,
    /// DTS `DynamicMessage`.
    dynamic: String,
    /// Wait suggested to a throttled client (`x-acs-retry-after`).
    retry_after: Option<Duration>,
}

impl ApiError {
    /// A gateway-level error whose DTS fields repeat the code and message.
    pub(crate) fn gateway(status: u16, code: &str, message: &str) -> ApiError {
        ApiError(Box::new(Fields {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
            err_code: code.to_owned(),
            err_template: message.to_owned(),
            dynamic: String::new(),
            retry_after: None,
        }))
    }

    /// A required parameter is absent (`Missing{Name}`).
    pub(crate) fn missing(name: &str) -> ApiError {
        ApiError(Box::new(Fields {
            status: 400,
            code: format!("Missing{name}"),
            message: format!("{name} is mandatory for this action."),
            err_code: "MissingParameter".to_owned(),
            err_template: "The input parameter %s that is mandatory for processing this request is not supplied."
                .to_owned(),
            dynamic: name.to_owned(),
            retry_after: None,
        }))
    }

    /// A parameter's value is not acceptable (`InvalidParameter`, `DynamicMessage` = its name).
    pub(crate) fn invalid(name: &str) -> ApiError {
        ApiError::with_template(
            400,
            "InvalidParameter",
            "The Value of Input Parameter %s is not valid.",
            name,
        )
    }

    /// The job's status (or history) forbids the action.
    pub(crate) fn denied(code: &str, template: &str, dynamic: &str) -> ApiError {
        ApiError::with_template(403, code, template, dynamic)
    }

    /// `Throttling.User`, with the wait until a request would be admitted.
    pub(crate) fn throttled(retry_after: Duration) -> ApiError {
        let mut error = ApiError::gateway(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        );
        error.0.retry_after = Some(retry_after);
        error
    }

    /// HTTP status.
    pub(crate) fn status(&self) -> u16 {
        self.0.status
    }

    /// Gateway `Code`.
    pub(crate) fn code(&self) -> &str {
        &self.0.code
    }

    /// Wait suggested to a throttled client (`x-acs-retry-after`).
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// An injected server error, with `message` in place of the cloud's.
    pub(crate) fn server(status: u16, message: Option<&str>) -> ApiError {
        if let Some(message) = message {
            let code = if status == 500 { "InternalError" } else { "ServiceUnavailable" };
            ApiError::gateway(status, code, message)
        } else if status == 500 {
            ApiError::gateway(
                500,
                "InternalError",
                "The request processing has failed due to some unknown error, exception or failure.",
            )
        } else {
            ApiError::gateway(
                status,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
            )
        }
    }

    fn with_template(status: u16, code: &str, template: &str, dynamic: &str) -> ApiError {
        ApiError(Box::new(Fields {
            status,
            code: code.to_owned(),
            message: template.replace("%s", dynamic),
            err_code: code.to_owned(),
            err_template: template.to_owned(),
            dynamic: dynamic.to_owned(),
            retry_after: None,
        }))
    }

    /// The JSON body answering with this error.
    pub(crate) fn body(&self, family: Family, request_id: &str, host: &str) -> Value {
        let error = &self.0;
        let mut body = json!({
            "RequestId": request_id,
            "HostId": host,
            "Code": error.code,
            "Message": error.message,
            "Recommend": format!(
                "https://api.aliyun.com/troubleshoot?q={}&product=Dts&requestId={request_id}",
                error.code
            ),
        });
        let fields = body.as_object_mut().expect("a JSON object");
        match family {
            Family::Gateway => {}
            Family::Dts => {
                fields.insert("ErrCode".to_owned(), json!(error.err_code));
                fields.insert("ErrMessage".to_owned(), json!(error.err_template));
                fields.insert("DynamicMessage".to_owned(), json!(error.dynamic));
                fields.insert("DynamicCode".to_owned(), json!(""));
                fields.insert("HttpStatusCode".to_owned(), json!(error.status));
                fields.insert("Success".to_owned(), json!(false));
            }
            Family::Legacy => {
                fields.insert("ErrCode".to_owned(), json!(error.err_code));
                fields.insert("ErrMessage".to_owned(), json!(error.message));
                fields.insert("Success".to_owned(), json!("false"));
            }
        }
        body
    }
}
