//! The HTTP engine both clouds share: one reqwest client with the provider's
//! timeouts, a cap on requests in flight, and the retry loop. Each attempt
//! rebuilds (and so re-signs, with a fresh nonce and timestamp) its request;
//! each cloud decodes its own answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand::SeedableRng;
use rand::rngs::StdRng;
use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;
// tokio's clock, not the system's: the retry budget is measured in the time
// the waits take, which tests pause and advance.
use tokio::time::Instant;

use crate::model::Cloud;

use super::error::{ProviderError, ProviderErrorKind, transport_error};
use super::pace::{Pacer, documented_limit};
use super::retry::{Intent, RetryPolicy};
use super::settings::Settings;

/// RFC 3986: everything but `A–Z a–z 0–9 - _ . ~` is `%XX` (space → `%20`,
/// `*` → `%2A`), as both clouds' signatures canonicalise.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes UTF-8 text per RFC 3986 (signatures and query strings).
pub(crate) fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, RFC3986).to_string()
}

/// A complete HTTP answer, before the cloud decodes it.
#[derive(Debug)]
pub(crate) struct RawResponse {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The response headers.
    pub(crate) headers: HeaderMap,
    /// The whole body.
    pub(crate) body: Vec<u8>,
}

impl RawResponse {
    /// A header's value, when present and text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// One provider's connection to its cloud.
#[derive(Debug)]
pub(crate) struct Transport {
    cloud: Cloud,
    client: reqwest::Client,
    in_flight: Semaphore,
    max_in_flight: usize,
    /// The override of every action's rate (`max_requests_per_second`).
    max_requests_per_second: Option<u32>,
    /// One pacer per paced action, made on its first request.
    pacers: Mutex<HashMap<&'static str, Option<Arc<Pacer>>>>,
    retry: RetryPolicy,
    jitter: Mutex<StdRng>,
}

impl Transport {
    /// A transport with the settings' timeouts and limits.
    pub(crate) fn new(cloud: Cloud, settings: &Settings) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .user_agent(concat!("jobform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                ProviderError::local(
                    cloud,
                    "client",
                    ProviderErrorKind::InvalidConfig { detail: error.without_url().to_string() },
                )
            })?;
        let jitter = settings.jitter_seed.map_or_else(StdRng::from_os_rng, StdRng::seed_from_u64);
        Ok(Transport {
            cloud,
            client,
            in_flight: Semaphore::new(settings.max_in_flight.max(1)),
            max_in_flight: settings.max_in_flight.max(1),
            max_requests_per_second: settings.max_requests_per_second,
            pacers: Mutex::new(HashMap::new()),
            retry: settings.retry,
            jitter: Mutex::new(jitter),
        })
    }

    /// Most requests in flight at once.
    pub(crate) fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// Sends a request until it succeeds or the retry policy gives up.
    /// `build` makes each attempt's request; `decode` turns an answer into a
    /// value or a [`ProviderError`] (which says whether it is retryable).
    pub(crate) async fn call<T>(
        &self,
        operation: &'static str,
        intent: Intent,
        build: impl Fn(&reqwest::Client) -> Result<reqwest::Request, ProviderError>,
        decode: impl Fn(RawResponse) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        let started = Instant::now();
        let mut attempts = 0;
        // Throttled refusals, which the retry policy does not count as attempts.
        let mut throttled = 0;
        loop {
            attempts += 1;
            let request = build(&self.client)?;
            let result = match self.send(operation, request).await {
                Ok(raw) => {
                    let status = raw.status;
                    let decoded = decode(raw);
                    if let Err(error) = &decoded {
                        tracing::debug!(
                            cloud = %self.cloud, operation, attempt = attempts, status,
                            code = error.code(), request_id = error.request_id.as_deref(),
                            "request failed"
                        );
                    } else {
                        tracing::debug!(cloud = %self.cloud, operation, attempt = attempts, status, "request succeeded");
                    }
                    decoded
                }
                Err(error) => {
                    tracing::debug!(cloud = %self.cloud, operation, attempt = attempts, error = %error, "no answer");
                    Err(error)
                }
            };
            let error = match result {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if error.throttled() {
                throttled += 1;
            }
            let delay = {
                let mut rng = self.jitter.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                self.retry.next_delay(
                    &error,
                    intent,
                    attempts - throttled,
                    started.elapsed(),
                    &mut *rng,
                )
            };
            match delay {
                Some(delay) => {
                    tracing::debug!(
                        cloud = %self.cloud, operation, attempt = attempts,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
                None => return Err(error),
            }
        }
    }

    /// The pacer of `operation`, when its rate is limited.
    fn pacer(&self, operation: &'static str) -> Option<Arc<Pacer>> {
        let mut pacers = self.pacers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pacers
            .entry(operation)
            .or_insert_with(|| {
                self.max_requests_per_second
                    .or_else(|| documented_limit(self.cloud, operation))
                    .map(|per_second| Arc::new(Pacer::new(per_second)))
            })
            .clone()
    }

    /// One attempt: waits for a free slot in flight, then for the action's
    /// pace, sends, reads the whole body.
    async fn send(
        &self,
        operation: &'static str,
        request: reqwest::Request,
    ) -> Result<RawResponse, ProviderError> {
        // The semaphore is never closed, so acquiring cannot fail.
        let _permit = self.in_flight.acquire().await.ok();
        // Paced after the slot in flight is ours: a request reserving its
        // time and then queueing for a slot would go out bunched with others.
        if let Some(pacer) = self.pacer(operation) {
            pacer.wait().await;
        }
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|error| transport_error(self.cloud, operation, error))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|error| transport_error(self.cloud, operation, error))?;
        Ok(RawResponse { status, headers, body: body.to_vec() })
    }
}

/// A retry-after header as a duration: `x-acs-retry-after` counts
/// milliseconds (as the Alibaba SDKs read it), `Retry-After` seconds.
pub(crate) fn retry_after(raw: &RawResponse, header: &str, unit: Duration) -> Option<Duration> {
    let value: u32 = raw.header(header)?.trim().parse().ok()?;
    (value > 0).then(|| unit * value)
}

/// The `Host` header hyper sends for `url` (the port only when not the
/// scheme's default), which is what both clouds sign.
pub(crate) fn host_header(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Parses an endpoint URL from a provider block.
pub(crate) fn parse_endpoint(cloud: Cloud, endpoint: &str) -> Result<reqwest::Url, ProviderError> {
    let invalid = |why: String| {
        ProviderError::local(
            cloud,
            "endpoint",
            ProviderErrorKind::InvalidConfig { detail: format!("endpoint `{endpoint}` {why}") },
        )
    };
    let url =
        reqwest::Url::parse(endpoint).map_err(|error| invalid(format!("is not a URL: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid("must be an http:// or https:// URL with a host".to_owned()));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_header_keeps_only_non_default_ports() {
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        assert_eq!(host_header(&url("https://dts.aliyuncs.com/")), "dts.aliyuncs.com");
        assert_eq!(host_header(&url("https://dts.aliyuncs.com:443/")), "dts.aliyuncs.com");
        assert_eq!(host_header(&url("http://127.0.0.1:8470")), "127.0.0.1:8470");
    }

    #[test]
    fn endpoint_must_be_http() {
        assert!(parse_endpoint(Cloud::Alibaba, "http://127.0.0.1:1").is_ok());
        let error = parse_endpoint(Cloud::Alibaba, "ftp://x").unwrap_err();
        assert_eq!(
            error.to_string(),
            "alibaba endpoint: endpoint `ftp://x` must be an http:// or https:// URL with a host"
        );
    }
}
