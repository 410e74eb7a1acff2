//! The clouds' response decoders, reachable from outside the crate only for
//! the fuzz targets (`fuzz/`) and the robustness tests: each function decodes
//! one response the way its client does, as every answer type the client
//! reads, and renders each error as a user would see it. Not a stable API.

use reqwest::header::{HeaderMap, HeaderValue};

use super::ProviderError;
use super::http::RawResponse;

/// Decodes an Alibaba RPC response (HTTP `status`, `x-acs-retry-after`
/// header `retry_after`, `body`) as every answer the Alibaba client reads.
pub fn decode_alibaba(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Vec<Result<(), ProviderError>> {
    shown(super::alibaba::decode_every_answer(&raw(status, "x-acs-retry-after", retry_after, body)))
}

/// Decodes a Huawei v3 response (HTTP `status`, `Retry-After` header
/// `retry_after`, `body`) as every answer the Huawei client reads.
pub fn decode_huawei(
    status: u16,
    retry_after: Option<&str>,
    body: &[u8],
) -> Vec<Result<(), ProviderError>> {
    shown(super::huawei::decode_every_answer(&raw(status, "retry-after", retry_after, body)))
}

/// Renders every error as the user would see it, since that also reads the body.
fn shown(results: Vec<Result<(), ProviderError>>) -> Vec<Result<(), ProviderError>> {
    for error in results.iter().filter_map(|result| result.as_ref().err()) {
        drop(error.to_string());
    }
    results
}

/// A response as the transport hands it over; a header value HTTP could not
/// carry is left out, as it could never arrive.
fn raw(status: u16, header: &'static str, value: Option<&str>, body: &[u8]) -> RawResponse {
    let mut headers = HeaderMap::new();
    if let Some(value) = value.and_then(|value| HeaderValue::from_str(value).ok()) {
        headers.insert(header, value);
    }
    RawResponse { status, headers, body: body.to_vec() }
}
