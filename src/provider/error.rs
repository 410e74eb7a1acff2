//! The one error type of the provider layer: whatever went wrong on the wire,
//! decoded into a code, a message, the HTTP status and the cloud's request id,
//! plus the two facts the retry loop and the applier act on: may the request
//! be sent again, and may it already have taken effect.

use std::fmt::{self, Write as _};
use std::time::Duration;

use crate::model::{Cloud, ReadFailure};

/// How much of a response body an error quotes when the body is not what the
/// API documents (enough to recognise an HTML error page, short enough for a
/// log line).
const EXCERPT_CHARS: usize = 120;

/// A failed provider operation. Never carries a secret: request URLs (which
/// hold the STS token) are stripped from transport errors before they are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    /// The cloud that was called.
    pub cloud: Cloud,
    /// The API operation (`DescribeDtsJobs`, `batch-pause-task`, …).
    pub operation: &'static str,
    /// What went wrong.
    pub kind: ProviderErrorKind,
    /// The HTTP status of the response, when there was one.
    pub http_status: Option<u16>,
    /// The cloud's request id (`RequestId`, `X-Request-Id`), when it sent one.
    pub request_id: Option<String>,
    /// Whether sending the same request again may succeed (throttling,
    /// transient server or network failures).
    pub retryable: bool,
    /// How long the cloud asked us to wait before retrying (`x-acs-retry-after`, `Retry-After`).
    pub retry_after: Option<Duration>,
}

/// What went wrong, by class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderErrorKind {
    /// The cloud answered with an error code.
    Api {
        /// The cloud's error code (`Throttling.User`, `DRS.10000010`, …): branch on this.
        code: String,
        /// The cloud's message, with `%s` replaced by `DynamicMessage` (Alibaba).
        message: String,
        /// The server may have acted before failing (an internal error), so an
        /// action's outcome is unknown.
        outcome_unknown: bool,
    },
    /// No connection could be made: the request was never sent.
    Connect {
        /// The transport's description (never the URL).
        detail: String,
    },
    /// The request was sent but no complete answer arrived (timeout, reset,
    /// truncated body): the server may have acted.
    NoAnswer {
        /// The transport's description (never the URL).
        detail: String,
    },
    /// The answer is not what the API documents (not JSON, truncated JSON,
    /// missing fields).
    Malformed {
        /// Why it could not be decoded.
        reason: String,
        /// The start of the body, to recognise an HTML error page or a proxy.
        excerpt: String,
    },
    /// No usable credentials were found.
    MissingCredentials {
        /// The provider block (`alibaba`, `huawei.eu`) and where it was declared.
        provider: String,
        /// What to set, in words the user can act on.
        missing: String,
    },
    /// The provider block cannot be used as written (bad endpoint URL, …).
    InvalidConfig {
        /// What is wrong.
        detail: String,
    },
    /// The cloud's API has no such operation for this kind of job.
    Unsupported {
        /// What was asked and why it cannot be done.
        detail: String,
    },
}

impl ProviderError {
    /// An error that happens before any request is sent.
    pub(crate) fn local(cloud: Cloud, operation: &'static str, kind: ProviderErrorKind) -> Self {
        ProviderError {
            cloud,
            operation,
            kind,
            http_status: None,
            request_id: None,
            retryable: false,
            retry_after: None,
        }
    }

    /// A body that could not be decoded; quotes its start.
    pub(crate) fn malformed(
        cloud: Cloud,
        operation: &'static str,
        http_status: u16,
        request_id: Option<String>,
        reason: impl fmt::Display,
        body: &[u8],
    ) -> Self {
        ProviderError {
            cloud,
            operation,
            kind: ProviderErrorKind::Malformed {
                reason: reason.to_string(),
                excerpt: excerpt(body),
            },
            http_status: Some(http_status),
            request_id,
            // A proxy's HTML page or a body cut short is usually transient: a
            // read is worth sending again (an action is not: its outcome is
            // unknown, see `outcome_unknown`). An endpoint refusing the
            // caller (401) or without the API (404) answers the same again.
            retryable: !refuses_caller(http_status),
            retry_after: None,
        }
    }

    /// Scrubs `secret` from the cloud's message and the body excerpt, as sent
    /// and percent-encoded once or twice: a gateway echoes its string to sign
    /// (`SignatureDoesNotMatch`), which holds the STS token.
    #[must_use]
    pub(crate) fn redact(mut self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        let once = crate::provider::http::percent_encode(secret);
        let twice = crate::provider::http::percent_encode(&once);
        let scrub = |text: &mut String| {
            for form in [twice.as_str(), once.as_str(), secret] {
                if text.contains(form) {
                    *text = text.replace(form, "(sensitive)");
                }
            }
        };
        match &mut self.kind {
            ProviderErrorKind::Api { message, .. } => scrub(message),
            ProviderErrorKind::Malformed { excerpt, reason } => {
                scrub(excerpt);
                scrub(reason);
            }
            _ => {}
        }
        self
    }

    /// The cloud's error code, or a `jobform.*` code naming the transport
    /// class for errors the cloud did not answer with a code.
    pub fn code(&self) -> &str {
        match &self.kind {
            ProviderErrorKind::Api { code, .. } => code,
            ProviderErrorKind::Connect { .. } => "jobform.ConnectFailed",
            ProviderErrorKind::NoAnswer { .. } => "jobform.NoAnswer",
            ProviderErrorKind::Malformed { .. } => "jobform.MalformedResponse",
            ProviderErrorKind::MissingCredentials { .. } => "jobform.MissingCredentials",
            ProviderErrorKind::InvalidConfig { .. } => "jobform.InvalidConfig",
            ProviderErrorKind::Unsupported { .. } => "jobform.Unsupported",
        }
    }

    /// Whether the cloud refused the request for its rate limit (Alibaba
    /// `Throttling*`, Huawei `APIGW.0308` / `APIG.0308`, HTTP 429): certainly
    /// not acted on, and worth sending again once the window has moved.
    pub fn throttled(&self) -> bool {
        match &self.kind {
            ProviderErrorKind::Api { code, .. } => {
                code.starts_with("Throttling")
                    || code.ends_with(".0308")
                    || self.http_status == Some(429)
            }
            _ => false,
        }
    }

    /// Whether the failure is the provider block's, not one listing's: the
    /// cloud refused the credentials, the signature or the region, nothing
    /// answered at the endpoint, or the rate limit outlasted the retries.
    /// Every other request of the block would fail the same way, so no job
    /// of it can be planned and the run must fail, whatever the flags.
    pub fn affects_provider(&self) -> bool {
        match &self.kind {
            ProviderErrorKind::Api { code, .. } => {
                self.throttled() || auth_code(code) || region_code(code)
            }
            // Past the retry budget: the endpoint, DNS, TLS or the network.
            ProviderErrorKind::Connect { .. }
            | ProviderErrorKind::NoAnswer { .. }
            | ProviderErrorKind::MissingCredentials { .. }
            | ProviderErrorKind::InvalidConfig { .. } => true,
            ProviderErrorKind::Malformed { .. } => self.http_status.is_some_and(refuses_caller),
            ProviderErrorKind::Unsupported { .. } => false,
        }
    }

    /// What went wrong, in one short line: the code and the cloud's message
    /// up to any echoed string to sign (long, and of no use to the reader),
    /// then the operation, HTTP status and request id.
    pub fn cause(&self) -> String {
        let mut text = match &self.kind {
            ProviderErrorKind::Api { code, message, .. } => {
                format!("{code}: {}", shortened(message))
            }
            ProviderErrorKind::MissingCredentials { missing, .. } => {
                format!("no credentials: {missing}")
            }
            ProviderErrorKind::Malformed { reason, .. } => {
                format!("unexpected response: {}", shortened(reason))
            }
            ProviderErrorKind::Connect { detail } => format!("cannot connect: {detail}"),
            ProviderErrorKind::NoAnswer { detail } => format!("no complete answer: {detail}"),
            ProviderErrorKind::InvalidConfig { detail }
            | ProviderErrorKind::Unsupported { detail } => detail.clone(),
        };
        if matches!(
            self.kind,
            ProviderErrorKind::MissingCredentials { .. }
                | ProviderErrorKind::InvalidConfig { .. }
                | ProviderErrorKind::Unsupported { .. }
        ) {
            // Found before any request: there is no operation to name.
            return text;
        }
        let _ = write!(text, " ({}", self.operation);
        if let Some(status) = self.http_status {
            let _ = write!(text, ", HTTP {status}");
        }
        if let Some(request_id) = &self.request_id {
            let _ = write!(text, ", request id {request_id}");
        }
        text.push(')');
        text
    }

    /// What the user can do about a failure that [`affects_provider`](Self::affects_provider).
    pub fn remedy(&self) -> &'static str {
        let (keys, endpoint) = match self.cloud {
            Cloud::Alibaba => (
                "check the block's access_key_id, access_key_secret and security_token (or ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN): the key must exist, be enabled and match its secret; a temporary token must not have expired",
                "check the block's region and endpoint (and JOBFORM_ALIBABA_ENDPOINT), DNS, and the network or proxy between jobform and the cloud",
            ),
            Cloud::Huawei => (
                "check the block's access_key and secret_key or auth_token (or HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_SECURITY_TOKEN, HUAWEICLOUD_AUTH_TOKEN): the key must exist and match its secret; a token must not have expired",
                "check the block's region, project_id and endpoint (and JOBFORM_HUAWEI_ENDPOINT), DNS, and the network or proxy between jobform and the cloud",
            ),
        };
        match &self.kind {
            ProviderErrorKind::Api { code, .. } if auth_code(code) => keys,
            ProviderErrorKind::Malformed { .. } if self.http_status == Some(401) => keys,
            ProviderErrorKind::Api { .. } if self.throttled() => {
                "the cloud kept refusing for its rate limit past max_retry_seconds: plan again later, or lower max_requests_per_second or max_in_flight in the block"
            }
            ProviderErrorKind::MissingCredentials { .. } => {
                "give the block credentials, or set the environment variables named above"
            }
            ProviderErrorKind::InvalidConfig { .. } => "correct the provider block",
            _ => endpoint,
        }
    }

    /// Whether the request may have taken effect although no success was
    /// seen: an action failing this way must be re-read, never re-sent.
    pub fn outcome_unknown(&self) -> bool {
        match &self.kind {
            ProviderErrorKind::Api { outcome_unknown, .. } => *outcome_unknown,
            // A body we cannot read says nothing of what happened behind it,
            // whatever its status: a gateway can answer 4xx with an HTML page
            // after the cloud acted.
            ProviderErrorKind::NoAnswer { .. } | ProviderErrorKind::Malformed { .. } => true,
            ProviderErrorKind::Connect { .. }
            | ProviderErrorKind::MissingCredentials { .. }
            | ProviderErrorKind::InvalidConfig { .. }
            | ProviderErrorKind::Unsupported { .. } => false,
        }
    }
}

impl From<&ProviderError> for ReadFailure {
    fn from(error: &ProviderError) -> Self {
        ReadFailure {
            code: error.code().to_owned(),
            request_id: error.request_id.clone(),
            message: error.to_string(),
        }
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.cloud, self.operation)?;
        match &self.kind {
            ProviderErrorKind::Api { code, message, .. } => write!(f, "{code}: {message}")?,
            ProviderErrorKind::Connect { detail } => write!(f, "cannot connect: {detail}")?,
            ProviderErrorKind::NoAnswer { detail } => {
                write!(f, "no complete answer (the request may have taken effect): {detail}")?;
            }
            ProviderErrorKind::Malformed { reason, excerpt } => {
                write!(f, "unexpected response ({reason}): {excerpt:?}")?;
            }
            ProviderErrorKind::MissingCredentials { provider, missing } => {
                write!(f, "no credentials for provider {provider}: {missing}")?;
            }
            ProviderErrorKind::InvalidConfig { detail }
            | ProviderErrorKind::Unsupported { detail } => {
                f.write_str(detail)?;
            }
        }
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status}")?;
            if let Some(request_id) = &self.request_id {
                write!(f, ", request id {request_id}")?;
            }
            f.write_str(")")?;
        } else if let Some(request_id) = &self.request_id {
            write!(f, " (request id {request_id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProviderError {}

/// Codes that refuse the caller rather than the request: a wrong, disabled or
/// expired key, token or signature (Alibaba's gateway, Huawei's APIG and IAM).
fn auth_code(code: &str) -> bool {
    const ALIBABA: &[&str] = &[
        "InvalidAccessKeyId",
        "InvalidAccessKeySecret",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidSecurityToken",
        "MissingSecurityToken",
        "InvalidTimeStamp",
        "Forbidden.AccessKey",
    ];
    // APIGW.0301 to APIGW.0307: IAM authentication, signature, expired or
    // missing token (APIGW.0308 is throttling, handled apart).
    const HUAWEI: &[&str] = &[
        "APIGW.0301",
        "APIGW.0302",
        "APIGW.0303",
        "APIGW.0304",
        "APIGW.0305",
        "APIGW.0306",
        "APIGW.0307",
        "APIG.0301",
        "APIG.0303",
        "IAM.",
    ];
    ALIBABA.iter().chain(HUAWEI).any(|prefix| code.starts_with(prefix))
}

/// HTTP statuses of a body without the API's error code that no retry
/// changes: 401, the endpoint refused the caller; 404, it has no such API
/// (not a DTS or DRS endpoint).
fn refuses_caller(http_status: u16) -> bool {
    matches!(http_status, 401 | 404)
}

/// Codes that say the region, project or endpoint does not serve the API.
fn region_code(code: &str) -> bool {
    matches!(code, "InvalidRegionId" | "InvalidApi.NotFound" | "APIGW.0101" | "APIG.0101")
        || code.starts_with("InvalidRegionId.")
}

/// The first line of `text`, cut before an echoed string to sign (Alibaba's
/// `SignatureDoesNotMatch` repeats the whole signed request) and capped.
fn shortened(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    let mut end = text.find('\n').unwrap_or(text.len());
    let lower = text.to_ascii_lowercase();
    for marker in ["server string to sign", "string to sign", "stringtosign", "canonical request"] {
        if let Some(at) = lower.find(marker) {
            end = end.min(at);
        }
    }
    let kept = text[..end].trim_end_matches(|c: char| c.is_whitespace() || c == ':' || c == ',');
    let mut out: String = kept.chars().take(MAX_CHARS).collect();
    if kept.chars().count() > MAX_CHARS {
        out.push('…');
    }
    out
}

/// The first characters of a body, lossily decoded, whitespace runs folded.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let folded: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = folded.chars().take(EXCERPT_CHARS).collect();
    if folded.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    out
}

/// Describes a reqwest error without its URL (the query string of an Alibaba
/// request carries the STS token) and sorts it into "never sent" or "no answer".
pub(crate) fn transport_error(
    cloud: Cloud,
    operation: &'static str,
    error: reqwest::Error,
) -> ProviderError {
    let connect = error.is_connect();
    let timeout = error.is_timeout();
    let error = error.without_url();
    // reqwest's own text is generic ("error sending request"); the causes say what happened.
    let mut detail = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        detail.push_str(": ");
        detail.push_str(&inner.to_string());
        cause = inner.source();
    }
    if timeout && !detail.contains("timed out") {
        detail.push_str(" (timed out)");
    }
    let kind = if connect {
        ProviderErrorKind::Connect { detail }
    } else {
        ProviderErrorKind::NoAnswer { detail }
    };
    ProviderError {
        cloud,
        operation,
        kind,
        http_status: None,
        request_id: None,
        retryable: true,
        retry_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str) -> ProviderError {
        ProviderError {
            cloud: Cloud::Alibaba,
            operation: "SuspendDtsJob",
            kind: ProviderErrorKind::Api {
                code: code.into(),
                message: "The Value of Input Parameter DtsJobId is not valid.".into(),
                outcome_unknown: false,
            },
            http_status: Some(400),
            request_id: Some("01B6F25".into()),
            retryable: false,
            retry_after: None,
        }
    }

    #[test]
    fn display_names_operation_code_status_and_request_id() {
        assert_eq!(
            api("InvalidParameter").to_string(),
            "alibaba SuspendDtsJob: InvalidParameter: The Value of Input Parameter DtsJobId is not valid. (HTTP 400, request id 01B6F25)"
        );
    }

    #[test]
    fn redact_scrubs_every_encoding_of_a_secret() {
        let mut error = api("SignatureDoesNotMatch");
        error.kind = ProviderErrorKind::Api {
            code: "SignatureDoesNotMatch".into(),
            message: "string to sign is:POST&%2F&SecurityToken%3DSTS.a%252Fb%26 raw STS.a/b enc STS.a%2Fb".into(),
            outcome_unknown: false,
        };
        let text = error.redact("STS.a/b").to_string();
        assert!(!text.contains("STS.a"), "{text}");
        assert_eq!(text.matches("(sensitive)").count(), 3, "{text}");
    }

    #[test]
    fn failures_of_the_caller_are_the_providers_and_others_one_listings() {
        let of = |code: &str| api(code).affects_provider();
        for code in [
            "InvalidAccessKeyId.NotFound",
            "SignatureDoesNotMatch",
            "IncompleteSignature",
            "InvalidSecurityToken.Expired",
            "InvalidRegionId",
            "Throttling.User",
            "APIGW.0301",
            "APIGW.0101",
            "APIGW.0308",
            "IAM.0001",
        ] {
            assert!(of(code), "{code}");
        }
        for code in ["InvalidParameter", "InternalError", "DRS.10000010", "Forbidden.RAM"] {
            assert!(!of(code), "{code}");
        }
        let page = |status| ProviderError::malformed(Cloud::Huawei, "X", status, None, "", b"<p>");
        assert!(page(404).affects_provider() && !page(404).retryable);
        assert!(!page(200).affects_provider() && page(200).retryable);
    }

    #[test]
    fn the_cause_leaves_out_the_echoed_string_to_sign() {
        let mut error = api("SignatureDoesNotMatch");
        error.kind = ProviderErrorKind::Api {
            code: "SignatureDoesNotMatch".into(),
            message: "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DLTAI".into(),
            outcome_unknown: false,
        };
        assert_eq!(
            error.cause(),
            "SignatureDoesNotMatch: Specified signature is not matched with our calculation. (SuspendDtsJob, HTTP 400, request id 01B6F25)"
        );
        assert!(error.remedy().contains("access_key_secret"), "{}", error.remedy());
    }

    #[test]
    fn excerpt_is_short_and_folded() {
        let body = format!("<html>\n  <body>{}</body></html>", "x".repeat(500));
        let e = ProviderError::malformed(
            Cloud::Huawei,
            "batch-status",
            502,
            None,
            "not JSON",
            body.as_bytes(),
        );
        let ProviderErrorKind::Malformed { excerpt, .. } = &e.kind else { panic!() };
        assert!(excerpt.starts_with("<html> <body>xxx"));
        assert_eq!(excerpt.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.retryable);
        assert!(e.outcome_unknown());
        assert_eq!(e.code(), "jobform.MalformedResponse");
        // A gateway's 4xx page may stand in front of a cloud that acted.
        let page = ProviderError::malformed(Cloud::Alibaba, "X", 403, None, "not JSON", b"<html>");
        assert!(page.outcome_unknown());
    }
}
