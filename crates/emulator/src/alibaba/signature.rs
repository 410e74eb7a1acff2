//! Alibaba signature computation: RPC V1 (HMAC-SHA1 over the sorted parameters)
//! and ACS3-HMAC-SHA256 (over a canonical request), written from the algorithm
//! description in shared/api/README.md §3.1–3.2 and checked against its vectors.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::digest::{hmac_sha1, hmac_sha256_hex, sha256_hex};
use crate::encoding::{canonical_headers, canonical_query, push_percent_encoded};

/// The `Authorization` scheme name of ACS3 signing.
pub(crate) const ACS3: &str = "ACS3-HMAC-SHA256";

/// The V1 string to sign: `METHOD&%2F&` + encoded canonical query of every
/// parameter but `Signature`.
pub(crate) fn v1_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let canonical = canonical_query(params.iter().filter(|(key, _)| key != "Signature"));
    let mut string_to_sign = String::with_capacity(method.len() + 5 + canonical.len() * 3 / 2);
    string_to_sign.push_str(method);
    string_to_sign.push_str("&%2F&");
    push_percent_encoded(&mut string_to_sign, &canonical);
    string_to_sign
}

/// The V1 signature: Base64 HMAC-SHA1 keyed with `secret + "&"`.
pub(crate) fn v1_signature(secret: &str, string_to_sign: &str) -> String {
    STANDARD.encode(hmac_sha1(format!("{secret}&").as_bytes(), string_to_sign.as_bytes()))
}

/// The parts of an `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…` header.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Acs3Authorization {
    /// `Credential`: the AccessKeyId.
    pub(crate) access_key_id: String,
    /// `SignedHeaders`, lower-case, in the order given.
    pub(crate) signed_headers: Vec<String>,
    /// `Signature`, hex.
    pub(crate) signature: String,
}

/// Parses an ACS3 `Authorization` header value; None when it is not well formed.
pub(crate) fn parse_acs3(header: &str) -> Option<Acs3Authorization> {
    let rest = header.strip_prefix(ACS3)?.trim_start();
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (name, value) = part.trim().split_once('=')?;
        match name {
            "Credential" => credential = Some(value.to_owned()),
            "SignedHeaders" => {
                signed = Some(value.split(';').map(str::to_ascii_lowercase).collect());
            }
            "Signature" => signature = Some(value.to_owned()),
            _ => return None,
        }
    }
    Some(Acs3Authorization {
        access_key_id: credential?,
        signed_headers: signed?,
        signature: signature?,
    })
}

/// The ACS3 canonical request. `headers` are the signed headers as
/// (lower-case name, value) pairs.
pub(crate) fn acs3_canonical_request(
    method: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    payload_hash: &str,
) -> String {
    let (canonical_headers, signed) = canonical_headers(headers);
    format!(
        "{method}\n/\n{}\n{canonical_headers}\n{signed}\n{payload_hash}",
        canonical_query(query)
    )
}

/// The ACS3 signature: hex HMAC-SHA256 (key = secret) of
/// `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
pub(crate) fn acs3_signature(secret: &str, canonical_request: &str) -> String {
    let string_to_sign = format!("{ACS3}\n{}", sha256_hex(canonical_request.as_bytes()));
    hmac_sha256_hex(secret.as_bytes(), string_to_sign.as_bytes())
}

#[cfg(test)]
mod tests {
    //! Known answers from shared/api/vectors.md (computed by the official SDKs).

    use super::{
        acs3_canonical_request, acs3_signature, parse_acs3, v1_signature, v1_string_to_sign,
    };

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
    }

    fn v1_suspend(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut params = pairs(&[
            ("Action", "SuspendDtsJob"),
            ("Format", "json"),
            ("Version", "2020-01-01"),
            ("Timestamp", "2024-01-02T03:04:05Z"),
            ("SignatureNonce", "3f2504e04f8911d39a0c0305e82c3301"),
            ("DtsInstanceId", "dtsi1abc"),
            ("DtsJobId", "j1abc"),
            ("RegionId", "cn-hangzhou"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("AccessKeyId", "testid"),
        ]);
        params.extend(pairs(extra));
        params
    }

    #[test]
    fn v1_tea_vector() {
        let sts = v1_string_to_sign("POST", &v1_suspend(&[("Signature", "ignored")]));
        assert_eq!(
            sts,
            "POST&%2F&AccessKeyId%3Dtestid%26Action%3DSuspendDtsJob%26DtsInstanceId%3Ddtsi1abc%26DtsJobId%3Dj1abc%26Format%3Djson%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3f2504e04f8911d39a0c0305e82c3301%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2020-01-01"
        );
        assert_eq!(v1_signature("testsecret", &sts), "1mcJJ7W8s3/x2GRBMoB/xOWgOI0=");
        assert_ne!(v1_signature("testsecreT", &sts), "1mcJJ7W8s3/x2GRBMoB/xOWgOI0=");
    }

    #[test]
    fn v1_sts_and_legacy_vectors() {
        let sts = v1_string_to_sign("POST", &v1_suspend(&[("SecurityToken", "STS.tok/en+=")]));
        assert_eq!(v1_signature("testsecret", &sts), "9fyUTorB1Y9gyQURI8ZDlgWivss=");
        let mut legacy = v1_suspend(&[("SignatureType", "")]);
        legacy.iter_mut().filter(|(key, _)| key == "Format").for_each(|(_, v)| *v = "JSON".into());
        let sts = v1_string_to_sign("POST", &legacy);
        assert_eq!(v1_signature("testsecret", &sts), "Z03c/qMo8fzfEz/NPnbiDJ/KWSw=");
    }

    #[test]
    fn v1_encoding_edge_vector() {
        let params = pairs(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeDtsJobs"),
            ("Format", "JSON"),
            ("JobType", "MIGRATION"),
            ("PageNumber", "1"),
            ("PageSize", "30"),
            ("Params", "a b*c~d/e"),
            ("RegionId", "cn-hangzhou"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3f2504e04f8911d39a0c0305e82c3301"),
            ("SignatureVersion", "1.0"),
            ("Tags", "[{\"key\":\"ké\"}]"),
            ("Timestamp", "2024-01-02T03:04:05Z"),
            ("Type", "name"),
            ("Version", "2020-01-01"),
        ]);
        let sts = v1_string_to_sign("GET", &params);
        assert_eq!(v1_signature("testsecret", &sts), "451znaycHN7H5TcW97g0Pa1RU/k=");
    }

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn acs3_headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut headers = pairs(&[
            ("host", "dts.aliyuncs.com"),
            ("x-acs-action", "SuspendDtsJob"),
            ("x-acs-content-sha256", EMPTY),
            ("x-acs-date", "2024-01-02T03:04:05Z"),
            ("x-acs-signature-nonce", "3f2504e04f8911d39a0c0305e82c3301"),
            ("x-acs-version", "2020-01-01"),
        ]);
        headers.extend(pairs(extra));
        headers
    }

    fn acs3_query() -> Vec<(String, String)> {
        pairs(&[("DtsInstanceId", "dtsi1abc"), ("DtsJobId", "j1abc"), ("RegionId", "cn-hangzhou")])
    }

    #[test]
    fn acs3_minimal_vector() {
        let canonical = acs3_canonical_request("POST", &acs3_query(), &acs3_headers(&[]), EMPTY);
        assert_eq!(
            acs3_signature("testsecret", &canonical),
            "0dc5d15a4c09453021a9c9ee2bc1ae2ad170e585c88422f57a05ec3be5cb727b"
        );
    }

    #[test]
    fn acs3_full_sdk_and_sts_vectors() {
        let sdk = [
            ("accept", "application/json"),
            ("user-agent", "fixed-ua/1.0"),
            ("x-acs-credentials-provider", "static_ak"),
        ];
        let canonical = acs3_canonical_request("POST", &acs3_query(), &acs3_headers(&sdk), EMPTY);
        assert_eq!(
            acs3_signature("testsecret", &canonical),
            "449d8c3038e89fbc353d221ee314ad7891b9c66d271343720f768612c8d055e1"
        );
        // With a token the SDK reports the `static_sts` credentials provider.
        let sts = [
            ("accept", "application/json"),
            ("user-agent", "fixed-ua/1.0"),
            ("x-acs-credentials-provider", "static_sts"),
            ("x-acs-accesskey-id", "testid"),
            ("x-acs-security-token", "STS.tok/en+="),
        ];
        let canonical = acs3_canonical_request("POST", &acs3_query(), &acs3_headers(&sts), EMPTY);
        assert_eq!(
            acs3_signature("testsecret", &canonical),
            "f97d93c1f864aca3bc74288d69505a41aee23c9f2fbe7f21a121c5e174cc9815"
        );
    }

    #[test]
    fn parses_the_authorization_header() {
        let parsed = parse_acs3(
            "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-date,Signature=ab",
        )
        .unwrap();
        assert_eq!(parsed.access_key_id, "testid");
        assert_eq!(parsed.signed_headers, ["host", "x-acs-date"]);
        assert_eq!(parsed.signature, "ab");
        assert_eq!(parse_acs3("ACS3-HMAC-SHA256 Credential=testid"), None);
    }
}
