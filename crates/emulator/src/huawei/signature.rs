//! Huawei SDK-HMAC-SHA256 (APIG AK/SK) signature computation, written from
//! shared/api/README.md §3.3 and checked against its vectors.

use percent_encoding::percent_decode_str;

use crate::digest::{hmac_sha256_hex, sha256_hex};
use crate::encoding::{canonical_headers, canonical_query, percent_encode};

/// The `Authorization` scheme name.
pub(crate) const SCHEME: &str = "SDK-HMAC-SHA256";

/// The parts of `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SdkAuthorization {
    /// The access key.
    pub(crate) access_key: String,
    /// Signed header names, lower-case.
    pub(crate) signed_headers: Vec<String>,
    /// Hex signature.
    pub(crate) signature: String,
}

/// Parses the header value; None when it is not well formed.
pub(crate) fn parse(header: &str) -> Option<SdkAuthorization> {
    let rest = header.strip_prefix(SCHEME)?.trim_start();
    let (mut access, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=')?;
        match name {
            "Access" => access = Some(value.to_owned()),
            "SignedHeaders" => {
                signed = Some(value.split(';').map(str::to_ascii_lowercase).collect());
            }
            "Signature" => signature = Some(value.to_owned()),
            _ => return None,
        }
    }
    Some(SdkAuthorization { access_key: access?, signed_headers: signed?, signature: signature? })
}

/// Each path segment decoded then re-encoded, with a trailing `/` added.
fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let mut uri = decoded.split('/').map(percent_encode).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The canonical request. `headers` are the signed headers as (name, value).
pub(crate) fn canonical_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    let (canonical_headers, signed) = canonical_headers(headers);
    format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{signed}\n{}",
        canonical_uri(path),
        canonical_query(query),
        sha256_hex(body)
    )
}

/// Hex HMAC-SHA256 (key = SK) of `SDK-HMAC-SHA256\n<X-Sdk-Date>\n<hex SHA-256 of the canonical request>`.
pub(crate) fn signature(secret_key: &str, sdk_date: &str, canonical_request: &str) -> String {
    let string_to_sign =
        format!("{SCHEME}\n{sdk_date}\n{}", sha256_hex(canonical_request.as_bytes()));
    hmac_sha256_hex(secret_key.as_bytes(), string_to_sign.as_bytes())
}

#[cfg(test)]
mod tests {
    //! Known answers from shared/api/vectors.md (computed by the official SDK).

    use super::{canonical_request, parse, signature};

    const PATH: &str = "/v3/0123456789abcdef0123456789abcdef/jobs/batch-pause-task";
    const SK: &str = "hwtestsecret0123456789";
    const DATE: &str = "20240102T030405Z";

    fn headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut list = vec![
            ("Content-Type", "application/json"),
            ("Host", "drs.cn-north-4.myhuaweicloud.com"),
            ("X-Project-Id", "0123456789abcdef0123456789abcdef"),
            ("X-Sdk-Date", DATE),
        ];
        list.extend(extra);
        list.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect()
    }

    #[test]
    fn raw_signer_vectors() {
        let body = br#"{"jobs":[{"job_id":"11111111-2222-3333-4444-555555555555","pause_mode":"target"}]}"#;
        let canonical = canonical_request("POST", PATH, &[], &headers(&[]), body);
        assert!(canonical.starts_with(
            "POST\n/v3/0123456789abcdef0123456789abcdef/jobs/batch-pause-task/\n\ncontent-type:"
        ));
        assert_eq!(
            signature(SK, DATE, &canonical),
            "85b4d1c6069da6ec4fe27f8354517140744b3afa7d83fe102053a45b3b3d02fa"
        );
        let canonical = canonical_request(
            "POST",
            PATH,
            &[],
            &headers(&[("X-Security-Token", "sts-token-value")]),
            body,
        );
        assert_eq!(
            signature(SK, DATE, &canonical),
            "aade2a6675102041c1eceb8cbf53903617570083e2765fe7311d8a63e973653a"
        );
        assert_ne!(
            signature(SK, "20240102T030406Z", &canonical),
            "aade2a6675102041c1eceb8cbf53903617570083e2765fe7311d8a63e973653a"
        );
    }

    #[test]
    fn full_sdk_vectors() {
        let ua = [("User-Agent", "huaweicloud-usdk-python/3.0; fixed-ua")];
        let body = br#"{"jobs": [{"job_id": "11111111-2222-3333-4444-555555555555", "pause_mode": "target"}]}"#;
        let canonical = canonical_request("POST", PATH, &[], &headers(&ua), body);
        assert_eq!(
            signature(SK, DATE, &canonical),
            "6f632b2e3759fa990efd6a8e907acb3a08a0c6a630ca32c36d22f03228077512"
        );
        let query: Vec<(String, String)> =
            [("job_type", "migration"), ("limit", "10"), ("name", "a b,c"), ("offset", "0")]
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect();
        let canonical = canonical_request(
            "GET",
            "/v5/0123456789abcdef0123456789abcdef/jobs",
            &query,
            &headers(&ua),
            b"",
        );
        assert_eq!(
            signature(SK, DATE, &canonical),
            "e835b6b900715ccd31f039e5416d5f8659343d9f99a4d8c001acbb49f3233d94"
        );
    }

    #[test]
    fn parses_the_authorization_header() {
        let parsed =
            parse("SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=ff")
                .unwrap();
        assert_eq!(parsed.access_key, "AK");
        assert_eq!(parsed.signed_headers, ["host", "x-sdk-date"]);
        assert_eq!(parse("SDK-HMAC-SHA256 Access=AK"), None);
    }
}
