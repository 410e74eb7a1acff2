//! Known-answer tests through HTTP: the exact requests of shared/api/vectors.md
//! (fixed 2024 timestamps, so the world allows any clock skew) are accepted,
//! and a one-character change is refused.

use jobform_emulator::{AlibabaAccount, HuaweiAccount, HuaweiJob, HuaweiProject, World};
use serde_json::Value;

use crate::support::*;

fn vector_world() -> World {
    let mut world = example_world();
    world.max_clock_skew_seconds = 100 * 365 * 24 * 3600;
    world.alibaba.accounts.push(AlibabaAccount {
        access_key_id: "testid".into(),
        access_key_secret: "testsecret".into(),
        security_token: None,
        security_token_expires_at: None,
    });
    let mut job = world.alibaba.jobs[1].clone();
    job.id = "j1abc".into();
    job.instance_id = Some("dtsi1abc".into());
    world.alibaba.jobs.push(job);
    let project = "0123456789abcdef0123456789abcdef";
    world.huawei.projects.push(HuaweiProject { id: project.into(), region: "cn-north-4".into() });
    world.huawei.accounts.push(HuaweiAccount {
        access_key: Some("HWTESTAK1234567890AB".into()),
        secret_key: Some("hwtestsecret0123456789".into()),
        security_token: None,
        auth_token: None,
        auth_token_expires_at: None,
    });
    world.huawei.jobs.push(HuaweiJob {
        id: "11111111-2222-3333-4444-555555555555".into(),
        project_id: project.into(),
        name: None,
        status: "INCRE_TRANSFER_STARTED".into(),
        db_use_type: "migration".into(),
        task_type: "FULL_INCR_TRANS".into(),
        engine_type: "mysql".into(),
        created_at: None,
        paused_at: None,
    });
    world
}

fn one_char_changed(text: &str, at: &str, replacement: &str) -> String {
    assert!(text.contains(at));
    text.replacen(at, replacement, 1)
}

const V1_QUERY: &str = "Action=SuspendDtsJob&Format=json&Version=2020-01-01&Timestamp=2024-01-02T03%3A04%3A05Z&SignatureNonce=3f2504e04f8911d39a0c0305e82c3301&DtsInstanceId=dtsi1abc&DtsJobId=j1abc&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId=testid&Signature=1mcJJ7W8s3%2Fx2GRBMoB%2FxOWgOI0%3D";

fn post_v1(url: &str, query: &str) -> (u16, Value) {
    let response =
        http().post(format!("{url}/?{query}")).header("host", "dts.aliyuncs.com").send().unwrap();
    (response.status().as_u16(), response.json().unwrap())
}

#[test]
fn the_v1_vector_request_is_accepted_and_a_changed_one_refused() {
    let emulator = start(vector_world());
    let changed = one_char_changed(V1_QUERY, "DtsJobId=j1abc", "DtsJobId=j1abd");
    let (status, body) = post_v1(emulator.url(), &changed);
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureDoesNotMatch")));
    let (status, body) = post_v1(emulator.url(), V1_QUERY);
    assert_eq!(status, 200, "{body}");
    assert_eq!(emulator.job_status("j1abc").as_deref(), Some("Suspending"));
}

#[test]
fn the_acs3_vector_request_is_accepted_and_a_changed_one_refused() {
    let emulator = start(vector_world());
    let send = |signature: &str| {
        let response = http()
            .post(format!("{}/?DtsInstanceId=dtsi1abc&DtsJobId=j1abc&RegionId=cn-hangzhou", emulator.url()))
            .header("host", "dts.aliyuncs.com")
            .header("x-acs-action", "SuspendDtsJob")
            .header("x-acs-version", "2020-01-01")
            .header("x-acs-date", "2024-01-02T03:04:05Z")
            .header("x-acs-signature-nonce", "3f2504e04f8911d39a0c0305e82c3301")
            .header("x-acs-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
            .header("authorization", format!("ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature={signature}"))
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().unwrap())
    };
    let good = "0dc5d15a4c09453021a9c9ee2bc1ae2ad170e585c88422f57a05ec3be5cb727b";
    let (status, body) = send(&one_char_changed(good, "0dc5", "1dc5"));
    assert_eq!((status, body["Code"].as_str()), (400, Some("SignatureDoesNotMatch")));
    let (status, body) = send(good);
    assert_eq!(status, 200, "{body}");
    assert_eq!(emulator.job_status("j1abc").as_deref(), Some("Suspending"));
}

#[test]
fn the_huawei_vector_request_is_accepted_and_a_changed_one_refused() {
    let emulator = start(vector_world());
    let send = |body: &str| {
        let response = http()
            .post(format!("{}/v3/0123456789abcdef0123456789abcdef/jobs/batch-pause-task", emulator.url()))
            .header("content-type", "application/json")
            .header("host", "drs.cn-north-4.myhuaweicloud.com")
            .header("x-project-id", "0123456789abcdef0123456789abcdef")
            .header("x-sdk-date", "20240102T030405Z")
            .header("authorization", "SDK-HMAC-SHA256 Access=HWTESTAK1234567890AB, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=85b4d1c6069da6ec4fe27f8354517140744b3afa7d83fe102053a45b3b3d02fa")
            .body(body.to_owned())
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().unwrap())
    };
    let body =
        r#"{"jobs":[{"job_id":"11111111-2222-3333-4444-555555555555","pause_mode":"target"}]}"#;
    let (status, answer) = send(&one_char_changed(body, "target", "targes"));
    assert_eq!((status, answer["error_code"].as_str()), (401, Some("APIGW.0301")));
    let (status, answer) = send(body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["status"], "success");
}
