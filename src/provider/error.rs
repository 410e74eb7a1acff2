//! The one error type of the provider layer: whatever went wrong on the wire,
//! decoded into a code, a message, the HTTP status and the cloud's request id,
//! plus the two facts the retry loop and the applier act on: may the request
//! be sent again, and may it already have taken effect.

use std::fmt;
use std::time::Duration;

use crate::model::Cloud;

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
            // A proxy's HTML page or a body cut short is usually transient.
            retryable: http_status >= 500,
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
