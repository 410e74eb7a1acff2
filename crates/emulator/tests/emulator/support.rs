//! Test clients that sign requests by hand (independently of the emulator's
//! verifier), following shared/api/README.md §3, plus small JSON helpers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use jobform_emulator::{Emulator, World};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

pub(crate) const ALI_KEY: &str = "LTAIjobformexample";
pub(crate) const ALI_SECRET: &str = "jobform-example-secret";
pub(crate) const PROJECT: &str = "054ba152d480d55b2f5dc0069e7ddef0";
pub(crate) const HW_AK: &str = "HWJOBFORMEXAMPLEAK01";
pub(crate) const HW_SK: &str = "jobform-example-sk";
pub(crate) const HW_TOKEN: &str = "jobform-example-token";
pub(crate) const SYNC_JOB: &str = "l3m1213ye7l0001";
pub(crate) const MIGRATION_JOB: &str = "k2n8x7c1vq90002";
pub(crate) const SUBSCRIBE_JOB: &str = "s9p4b2d6fw30003";
pub(crate) const LEGACY_MIGRATION: &str = "dtsj1x11y51g3b0004";
pub(crate) const LEGACY_SYNC: &str = "dtsmr1q4mc21520005";
pub(crate) const DRS_JOBS: [&str; 3] = [
    "8d0e8e36-a618-490d-8a46-8c61ac9bb502",
    "5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60",
    "c0ffee00-1234-4abc-8def-0123456789ab",
];

const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

pub(crate) fn enc(value: &str) -> String {
    utf8_percent_encode(value, RFC3986).to_string()
}

/// The example world with immediate transitions (tests that need delays set them).
pub(crate) fn example_world() -> World {
    let mut world = World::example();
    world.transition_delay_seconds = 0;
    world.rate_limits.clear();
    world
}

pub(crate) fn start(world: World) -> Emulator {
    Emulator::start(world).expect("the emulator starts")
}

fn unique_nonce() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("nonce-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst))
}

pub(crate) fn ali_timestamp(at: OffsetDateTime) -> String {
    at.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z")).unwrap()
}

/// Sorted `name:value\n` lines and the `;`-joined names (both clouds' header canonicalization).
fn canonical_headers(headers: &mut [(String, String)]) -> (String, String) {
    headers.sort();
    let block = headers.iter().fold(String::new(), |block, (n, v)| block + n + ":" + v + "\n");
    let signed: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    (block, signed.join(";"))
}

/// An answer: status, headers and body (JSON when it parses, else the raw text as a string).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    fn from(response: reqwest::blocking::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().unwrap();
        let body = match serde_json::from_str::<Value>(&text) {
            Ok(body) => {
                // Every answer is written compactly with its keys in byte
                // order (as a serde_json map writes them), whether built as
                // a map or serialized from structs: a misplaced field shows here.
                assert_eq!(body.to_string(), text, "an answer in canonical form");
                body
            }
            Err(_) => Value::String(text),
        };
        Answer { status, headers, body }
    }

    pub(crate) fn code(&self) -> &str {
        self.body["Code"].as_str().or(self.body["error_code"].as_str()).unwrap_or_default()
    }
}

pub(crate) fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

fn host_of(emulator: &Emulator) -> String {
    emulator.url().trim_start_matches("http://").to_owned()
}

/// An Alibaba caller signing RPC V1 (or ACS3) by hand.
pub(crate) struct Ali<'a> {
    pub(crate) emulator: &'a Emulator,
    pub(crate) key: String,
    pub(crate) secret: String,
    pub(crate) token: Option<String>,
    pub(crate) method: &'static str,
    pub(crate) timestamp: OffsetDateTime,
    pub(crate) nonce: Option<String>,
}

pub(crate) fn ali(emulator: &Emulator) -> Ali<'_> {
    Ali {
        emulator,
        key: ALI_KEY.to_owned(),
        secret: ALI_SECRET.to_owned(),
        token: None,
        method: "POST",
        timestamp: OffsetDateTime::now_utc(),
        nonce: None,
    }
}

impl Ali<'_> {
    /// The full V1 parameter list of `action`, signed.
    pub(crate) fn signed_params(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = vec![
            ("Action".into(), action.into()),
            ("Version".into(), "2020-01-01".into()),
            ("Format".into(), "JSON".into()),
            ("AccessKeyId".into(), self.key.clone()),
            ("SignatureMethod".into(), "HMAC-SHA1".into()),
            ("SignatureVersion".into(), "1.0".into()),
            ("SignatureNonce".into(), self.nonce.clone().unwrap_or_else(unique_nonce)),
            ("Timestamp".into(), ali_timestamp(self.timestamp)),
        ];
        if let Some(token) = &self.token {
            all.push(("SecurityToken".into(), token.clone()));
        }
        all.extend(params.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())));
        let mut sorted: Vec<String> =
            all.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        sorted.sort();
        let string_to_sign = format!("{}&%2F&{}", self.method, enc(&sorted.join("&")));
        let mut mac =
            Hmac::<sha1::Sha1>::new_from_slice(format!("{}&", self.secret).as_bytes()).unwrap();
        mac.update(string_to_sign.as_bytes());
        let signature =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        all.push(("Signature".into(), signature));
        all
    }

    /// Sends already-built parameters in the query string.
    pub(crate) fn send(&self, params: &[(String, String)]) -> Answer {
        let query: Vec<String> =
            params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        let url = format!("{}/?{}", self.emulator.url(), query.join("&"));
        let request = match self.method {
            "GET" => http().get(url),
            _ => http().post(url),
        };
        Answer::from(request.send().unwrap())
    }

    /// Signs and sends `action` with V1, parameters in the query string.
    pub(crate) fn call(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        self.send(&self.signed_params(action, params))
    }

    /// Signs and sends `action` with V1, parameters in a form body.
    pub(crate) fn call_form(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        let params = self.signed_params(action, params);
        let body: Vec<String> =
            params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        let response = http()
            .post(format!("{}/", self.emulator.url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.join("&"))
            .send()
            .unwrap();
        Answer::from(response)
    }

    /// The ACS3 headers of `action` (query `params`, empty body), signed.
    pub(crate) fn acs3_headers(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let empty = hex::encode(Sha256::digest(b""));
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), host_of(self.emulator)),
            ("x-acs-action".into(), action.into()),
            ("x-acs-version".into(), "2020-01-01".into()),
            ("x-acs-date".into(), ali_timestamp(self.timestamp)),
            ("x-acs-signature-nonce".into(), self.nonce.clone().unwrap_or_else(unique_nonce)),
            ("x-acs-content-sha256".into(), empty.clone()),
        ];
        if let Some(token) = &self.token {
            headers.push(("x-acs-security-token".into(), token.clone()));
            headers.push(("x-acs-accesskey-id".into(), self.key.clone()));
        }
        let (canonical_headers, signed) = canonical_headers(&mut headers);
        let mut query: Vec<String> =
            params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        query.sort();
        let canonical =
            format!("POST\n/\n{}\n{canonical_headers}\n{signed}\n{empty}", query.join("&"));
        let string_to_sign =
            format!("ACS3-HMAC-SHA256\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
        let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.as_bytes()).unwrap();
        mac.update(string_to_sign.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        headers.push((
            "authorization".into(),
            format!(
                "ACS3-HMAC-SHA256 Credential={},SignedHeaders={signed},Signature={signature}",
                self.key
            ),
        ));
        headers
    }

    /// Sends ACS3 `headers` with query `params` (POST, empty body).
    pub(crate) fn send_acs3(
        &self,
        headers: &[(String, String)],
        params: &[(&str, &str)],
    ) -> Answer {
        let query: Vec<String> =
            params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        let mut request = http().post(format!("{}/?{}", self.emulator.url(), query.join("&")));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        Answer::from(request.send().unwrap())
    }

    /// Signs and sends `action` with ACS3.
    pub(crate) fn call_acs3(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        self.send_acs3(&self.acs3_headers(action, params), params)
    }
}

/// How a Huawei request authenticates.
#[derive(Clone)]
pub(crate) enum HwAuth {
    Token(String),
    AkSk { ak: String, sk: String, security_token: Option<String>, date: OffsetDateTime },
}

pub(crate) fn hw_aksk() -> HwAuth {
    HwAuth::AkSk {
        ak: HW_AK.into(),
        sk: HW_SK.into(),
        security_token: None,
        date: OffsetDateTime::now_utc(),
    }
}

pub(crate) fn hw_token() -> HwAuth {
    HwAuth::Token(HW_TOKEN.into())
}

/// Sends a Huawei v3 request (`method` on `/v3/{project}/jobs/{operation}`,
/// or on `/v3/{project}/jobs` for an empty `operation`).
pub(crate) fn hw(
    emulator: &Emulator,
    auth: &HwAuth,
    method: &str,
    project: &str,
    operation: &str,
    body: &Value,
) -> Answer {
    let path = if operation.is_empty() {
        format!("/v3/{project}/jobs")
    } else {
        format!("/v3/{project}/jobs/{operation}")
    };
    let body = body.to_string();
    let mut headers: Vec<(String, String)> = vec![
        ("content-type".into(), "application/json".into()),
        ("host".into(), host_of(emulator)),
    ];
    match auth {
        HwAuth::Token(token) => headers.push(("x-auth-token".into(), token.clone())),
        HwAuth::AkSk { ak, sk, security_token, date } => {
            let date = date
                .format(format_description!("[year][month][day]T[hour][minute][second]Z"))
                .unwrap();
            headers.push(("x-sdk-date".into(), date.clone()));
            headers.push(("x-project-id".into(), project.into()));
            if let Some(token) = security_token {
                headers.push(("x-security-token".into(), token.clone()));
            }
            let (canonical_headers, signed) = canonical_headers(&mut headers);
            let body_hash = hex::encode(Sha256::digest(body.as_bytes()));
            let canonical =
                format!("{method}\n{path}/\n\n{canonical_headers}\n{signed}\n{body_hash}");
            let string_to_sign = format!(
                "SDK-HMAC-SHA256\n{date}\n{}",
                hex::encode(Sha256::digest(canonical.as_bytes()))
            );
            let mut mac = Hmac::<Sha256>::new_from_slice(sk.as_bytes()).unwrap();
            mac.update(string_to_sign.as_bytes());
            let signature = hex::encode(mac.finalize().into_bytes());
            headers.push((
                "authorization".into(),
                format!(
                    "SDK-HMAC-SHA256 Access={ak}, SignedHeaders={signed}, Signature={signature}"
                ),
            ));
        }
    }
    let url = format!("{}{path}", emulator.url());
    let mut request = match method {
        "DELETE" => http().delete(url),
        _ => http().post(url),
    };
    for (name, value) in headers {
        request = request.header(name, value);
    }
    Answer::from(request.body(body).send().unwrap())
}

/// batch-status of the given ids (all on one page), signed with AK/SK.
pub(crate) fn drs_statuses(emulator: &Emulator, ids: &[&str]) -> Answer {
    let body = serde_json::json!({ "jobs": ids, "page_req": { "cur_page": 1, "per_page": 0 } });
    hw(emulator, &hw_aksk(), "POST", PROJECT, "batch-status", &body)
}
