//! Huawei Cloud AK/SK signing (`SDK-HMAC-SHA256`), as pure functions of the
//! request and the keys, so the SDK's vectors are known-answer tests
//! (`shared/api/vectors.md`).

use hmac::{Hmac, Mac};
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::provider::http::percent_encode;

/// The signing algorithm's name, first in the string to sign and the header.
const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// The `X-Sdk-Date` header: UTC, `20240102T030405Z`.
pub(crate) fn sdk_date(now: OffsetDateTime) -> String {
    let utc = now.to_offset(time::UtcOffset::UTC);
    utc.format(format_description!("[year][month][day]T[hour][minute][second]Z"))
        .expect("a UTC date formats")
}

/// The path with each segment percent-encoded and a trailing `/` (the SDK
/// signs one although the request path has none).
pub(crate) fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let mut uri: String = decoded.split('/').map(percent_encode).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// `k=v&…` sorted by name (then value), both sides percent-encoded.
pub(crate) fn canonical_query(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> =
        params.iter().map(|(k, v)| (percent_encode(k), percent_encode(v))).collect();
    encoded.sort();
    encoded.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// One request to sign. `headers` must hold every header to be signed,
/// `X-Sdk-Date` and `Host` included; names with `_` are never signed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    /// `GET`, `POST`, `DELETE`.
    pub(crate) method: &'a str,
    /// The request path, without the query.
    pub(crate) path: &'a str,
    /// The query parameters.
    pub(crate) query: &'a [(String, String)],
    /// The headers sent.
    pub(crate) headers: &'a [(String, String)],
    /// The exact body bytes sent.
    pub(crate) body: &'a [u8],
}

impl Request<'_> {
    /// The signed headers' names, lower-cased and sorted, and the canonical request.
    pub(crate) fn canonical(&self) -> (String, String) {
        let mut headers: Vec<(String, &str)> = self
            .headers
            .iter()
            .filter(|(name, _)| !name.contains('_'))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim()))
            .collect();
        headers.sort();
        let signed = headers.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join(";");
        let mut canonical_headers = String::new();
        for (name, value) in &headers {
            canonical_headers.push_str(name);
            canonical_headers.push(':');
            canonical_headers.push_str(value);
            canonical_headers.push('\n');
        }
        let canonical = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method,
            canonical_uri(self.path),
            canonical_query(self.query),
            canonical_headers,
            signed,
            hex::encode(Sha256::digest(self.body)),
        );
        (signed, canonical)
    }

    /// The `Authorization` header value; `date` is the `X-Sdk-Date` sent.
    pub(crate) fn authorization(&self, date: &str, access_key: &str, secret_key: &str) -> String {
        let (signed, canonical) = self.canonical();
        let string_to_sign =
            format!("{ALGORITHM}\n{date}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
        let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(string_to_sign.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        format!("{ALGORITHM} Access={access_key}, SignedHeaders={signed}, Signature={signature}")
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const AK: &str = "HWTESTAK1234567890AB";
    const SK: &str = "hwtestsecret0123456789";
    const PROJECT: &str = "0123456789abcdef0123456789abcdef";
    const PAUSE_BODY: &[u8] =
        br#"{"jobs":[{"job_id":"11111111-2222-3333-4444-555555555555","pause_mode":"target"}]}"#;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn base_headers() -> Vec<(String, String)> {
        headers(&[
            ("Content-Type", "application/json"),
            ("Host", "drs.cn-north-4.myhuaweicloud.com"),
            ("X-Project-Id", PROJECT),
            ("X-Sdk-Date", "20240102T030405Z"),
        ])
    }

    fn signature(authorization: &str) -> &str {
        authorization.rsplit("Signature=").next().unwrap()
    }

    #[test]
    fn date_format() {
        assert_eq!(sdk_date(datetime!(2024-01-02 03:04:05 UTC)), "20240102T030405Z");
    }

    #[test]
    fn vector_raw_signer_minimal_headers() {
        let path = format!("/v3/{PROJECT}/jobs/batch-pause-task");
        let hdrs = base_headers();
        let request =
            Request { method: "POST", path: &path, query: &[], headers: &hdrs, body: PAUSE_BODY };
        let (_, canonical) = request.canonical();
        assert_eq!(
            canonical,
            "POST\n/v3/0123456789abcdef0123456789abcdef/jobs/batch-pause-task/\n\ncontent-type:application/json\nhost:drs.cn-north-4.myhuaweicloud.com\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20240102T030405Z\n\ncontent-type;host;x-project-id;x-sdk-date\n3bfd2136eb381555bb1ea910ad6a1fcc4615b6a6620d3566ab5a41c3088ed5f3"
        );
        assert_eq!(
            request.authorization("20240102T030405Z", AK, SK),
            "SDK-HMAC-SHA256 Access=HWTESTAK1234567890AB, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=85b4d1c6069da6ec4fe27f8354517140744b3afa7d83fe102053a45b3b3d02fa"
        );
    }

    #[test]
    fn vector_security_token() {
        let path = format!("/v3/{PROJECT}/jobs/batch-pause-task");
        let mut hdrs = base_headers();
        hdrs.push(("X-Security-Token".to_owned(), "sts-token-value".to_owned()));
        let request =
            Request { method: "POST", path: &path, query: &[], headers: &hdrs, body: PAUSE_BODY };
        assert_eq!(
            signature(&request.authorization("20240102T030405Z", AK, SK)),
            "aade2a6675102041c1eceb8cbf53903617570083e2765fe7311d8a63e973653a"
        );
    }

    #[test]
    fn vector_full_sdk_path() {
        let path = format!("/v3/{PROJECT}/jobs/batch-pause-task");
        let mut hdrs = base_headers();
        hdrs.push(("User-Agent".to_owned(), "huaweicloud-usdk-python/3.0; fixed-ua".to_owned()));
        let body = br#"{"jobs": [{"job_id": "11111111-2222-3333-4444-555555555555", "pause_mode": "target"}]}"#;
        let request = Request { method: "POST", path: &path, query: &[], headers: &hdrs, body };
        assert_eq!(
            request.authorization("20240102T030405Z", AK, SK),
            "SDK-HMAC-SHA256 Access=HWTESTAK1234567890AB, SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, Signature=6f632b2e3759fa990efd6a8e907acb3a08a0c6a630ca32c36d22f03228077512"
        );
    }

    #[test]
    fn vector_v5_query() {
        let path = format!("/v5/{PROJECT}/jobs");
        let mut hdrs = base_headers();
        hdrs.push(("User-Agent".to_owned(), "huaweicloud-usdk-python/3.0; fixed-ua".to_owned()));
        let query = headers(&[
            ("offset", "0"),
            ("name", "a b,c"),
            ("limit", "10"),
            ("job_type", "migration"),
        ]);
        let request =
            Request { method: "GET", path: &path, query: &query, headers: &hdrs, body: b"" };
        let (_, canonical) = request.canonical();
        assert!(canonical.starts_with(
            "GET\n/v5/0123456789abcdef0123456789abcdef/jobs/\njob_type=migration&limit=10&name=a%20b%2Cc&offset=0\n"
        ));
        assert_eq!(
            signature(&request.authorization("20240102T030405Z", AK, SK)),
            "e835b6b900715ccd31f039e5416d5f8659343d9f99a4d8c001acbb49f3233d94"
        );
    }
}
