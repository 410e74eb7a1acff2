//! Alibaba RPC signature V1 (HMAC-SHA1), as pure functions of the request's
//! parameters, time, nonce and keys, so the SDK's vectors are known-answer
//! tests (`shared/api/vectors.md`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use time::OffsetDateTime;
use time::macros::format_description;

pub(crate) use crate::provider::http::percent_encode;

/// The API version every DTS call names.
pub(crate) const API_VERSION: &str = "2020-01-01";

/// The `Timestamp` parameter: UTC, `2024-01-02T03:04:05Z`.
pub(crate) fn timestamp(now: OffsetDateTime) -> String {
    let utc = now.to_offset(time::UtcOffset::UTC);
    utc.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"))
        .expect("a UTC date formats")
}

/// Everything that makes one signed request, except the business parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signer<'a> {
    /// `AccessKeyId`.
    pub(crate) access_key_id: &'a str,
    /// The AccessKey secret.
    pub(crate) access_key_secret: &'a str,
    /// The STS `SecurityToken`, signed like any parameter.
    pub(crate) security_token: Option<&'a str>,
}

impl Signer<'_> {
    /// The full query of a signed RPC call: `params` plus the common
    /// parameters and `Signature`, sorted by name.
    pub(crate) fn sign(
        &self,
        method: &str,
        action: &str,
        params: &[(String, String)],
        now: OffsetDateTime,
        nonce: &str,
    ) -> Vec<(String, String)> {
        let mut query: Vec<(String, String)> = params.to_vec();
        let common = [
            ("Action", action),
            ("Format", "json"),
            ("Version", API_VERSION),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", nonce),
            ("AccessKeyId", self.access_key_id),
        ];
        query.extend(common.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        query.push(("Timestamp".to_owned(), timestamp(now)));
        if let Some(token) = self.security_token {
            query.push(("SecurityToken".to_owned(), token.to_owned()));
        }
        query.sort();
        let signature = signature(method, &query, self.access_key_secret);
        query.push(("Signature".to_owned(), signature));
        query
    }
}

/// `k=v&…` over the parameters sorted by name, both sides percent-encoded.
pub(crate) fn canonical_query(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> =
        params.iter().filter(|(k, _)| k != "Signature").collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `METHOD&%2F&percentEncode(canonical query)`.
pub(crate) fn string_to_sign(method: &str, params: &[(String, String)]) -> String {
    format!("{method}&{}&{}", percent_encode("/"), percent_encode(&canonical_query(params)))
}

/// Base64(HMAC-SHA1(secret + "&", string to sign)).
pub(crate) fn signature(method: &str, params: &[(String, String)], secret: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(string_to_sign(method, params).as_bytes());
    BASE64.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NONCE: &str = "3f2504e04f8911d39a0c0305e82c3301";

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn signer(token: Option<&'static str>) -> Signer<'static> {
        Signer { access_key_id: "testid", access_key_secret: "testsecret", security_token: token }
    }

    fn suspend_params() -> Vec<(String, String)> {
        params(&[("DtsJobId", "j1abc"), ("DtsInstanceId", "dtsi1abc"), ("RegionId", "cn-hangzhou")])
    }

    fn value<'a>(query: &'a [(String, String)], name: &str) -> &'a str {
        &query.iter().find(|(k, _)| k == name).unwrap().1
    }

    #[test]
    fn vector_v1_tea_openapi() {
        let query = signer(None).sign(
            "POST",
            "SuspendDtsJob",
            &suspend_params(),
            datetime!(2024-01-02 03:04:05 UTC),
            NONCE,
        );
        assert_eq!(
            string_to_sign("POST", &query),
            "POST&%2F&AccessKeyId%3Dtestid%26Action%3DSuspendDtsJob%26DtsInstanceId%3Ddtsi1abc%26DtsJobId%3Dj1abc%26Format%3Djson%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3f2504e04f8911d39a0c0305e82c3301%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2020-01-01"
        );
        assert_eq!(value(&query, "Signature"), "1mcJJ7W8s3/x2GRBMoB/xOWgOI0=");
    }

    #[test]
    fn vector_v1_with_security_token() {
        let query = signer(Some("STS.tok/en+=")).sign(
            "POST",
            "SuspendDtsJob",
            &suspend_params(),
            datetime!(2024-01-02 03:04:05 UTC),
            NONCE,
        );
        assert_eq!(value(&query, "SecurityToken"), "STS.tok/en+=");
        assert_eq!(value(&query, "Signature"), "9fyUTorB1Y9gyQURI8ZDlgWivss=");
    }

    #[test]
    fn vector_v1_legacy_core() {
        // The legacy SDK sends Format=JSON and an empty SignatureType, both signed.
        let mut query = params(&[
            ("AccessKeyId", "testid"),
            ("Action", "SuspendDtsJob"),
            ("DtsInstanceId", "dtsi1abc"),
            ("DtsJobId", "j1abc"),
            ("Format", "JSON"),
            ("RegionId", "cn-hangzhou"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", NONCE),
            ("SignatureType", ""),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2024-01-02T03:04:05Z"),
            ("Version", "2020-01-01"),
        ]);
        query.reverse();
        assert_eq!(
            string_to_sign("POST", &query),
            "POST&%2F&AccessKeyId%3Dtestid%26Action%3DSuspendDtsJob%26DtsInstanceId%3Ddtsi1abc%26DtsJobId%3Dj1abc%26Format%3DJSON%26RegionId%3Dcn-hangzhou%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3f2504e04f8911d39a0c0305e82c3301%26SignatureType%3D%26SignatureVersion%3D1.0%26Timestamp%3D2024-01-02T03%253A04%253A05Z%26Version%3D2020-01-01"
        );
        assert_eq!(signature("POST", &query, "testsecret"), "Z03c/qMo8fzfEz/NPnbiDJ/KWSw=");
    }

    #[test]
    fn vector_v1_encoding_edge_cases() {
        let query = params(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeDtsJobs"),
            ("Format", "JSON"),
            ("JobType", "MIGRATION"),
            ("PageNumber", "1"),
            ("PageSize", "30"),
            ("Params", "a b*c~d/e"),
            ("RegionId", "cn-hangzhou"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", NONCE),
            ("SignatureVersion", "1.0"),
            ("Tags", r#"[{"key":"ké"}]"#),
            ("Timestamp", "2024-01-02T03:04:05Z"),
            ("Type", "name"),
            ("Version", "2020-01-01"),
        ]);
        assert_eq!(
            canonical_query(&query),
            "AccessKeyId=testid&Action=DescribeDtsJobs&Format=JSON&JobType=MIGRATION&PageNumber=1&PageSize=30&Params=a%20b%2Ac~d%2Fe&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureNonce=3f2504e04f8911d39a0c0305e82c3301&SignatureVersion=1.0&Tags=%5B%7B%22key%22%3A%22k%C3%A9%22%7D%5D&Timestamp=2024-01-02T03%3A04%3A05Z&Type=name&Version=2020-01-01"
        );
        assert_eq!(signature("GET", &query, "testsecret"), "451znaycHN7H5TcW97g0Pa1RU/k=");
    }
}
