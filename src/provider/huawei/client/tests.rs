//! Tests of the Huawei client against the scripted responder: AK/SK requests
//! are checked for a valid signature, and the journal counts requests.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::model::{ActionVerb, Address, Listing, LiveState, PauseMode, Secret};
use crate::provider::testing::{
    LogCapture, Recorded, Reply, Responder, fixed_clock, listing_error, quick_settings,
};

const PROJECT: &str = "054ba152d480d55b2f5dc0069e7ddef0";
const AK: &str = "HWJOBFORMEXAMPLEAK01";
const SK: &str = "jobform-example-sk";
const TOKEN: &str = "jobform-example-token";
const STS: &str = "jobform-example-security-token";

fn access_key(security_token: Option<&str>) -> HuaweiCredentials {
    HuaweiCredentials::AccessKey {
        access_key: AK.into(),
        secret_key: Secret::new(SK),
        security_token: security_token.map(Secret::new),
    }
}

fn client_with(responder: &Responder, credentials: HuaweiCredentials) -> HuaweiClient {
    HuaweiClient::new(
        "ap-southeast-1",
        PROJECT,
        Some(responder.url()),
        credentials,
        &quick_settings(),
        fixed_clock(),
    )
    .unwrap()
}

fn client(responder: &Responder) -> HuaweiClient {
    client_with(responder, access_key(None))
}

/// Recomputes the AK/SK signature from what the server received.
fn assert_signed(request: &Recorded) {
    let authorization = request.header("authorization").expect("an Authorization header");
    let signed = authorization.split("SignedHeaders=").nth(1).unwrap().split(',').next().unwrap();
    let headers: Vec<(String, String)> = signed
        .split(';')
        .map(|name| {
            (
                name.to_owned(),
                request.header(name).unwrap_or_else(|| panic!("{name} not sent")).to_owned(),
            )
        })
        .collect();
    let date = request.header("x-sdk-date").unwrap();
    assert_eq!(date, "20240102T030405Z");
    let expected = Request {
        method: &request.method,
        path: &request.path,
        query: &request.query,
        headers: &headers,
        body: &request.body,
    }
    .authorization(date, AK, SK);
    assert_eq!(authorization, expected);
    for required in ["content-type", "host", "x-project-id", "x-sdk-date"] {
        assert!(signed.split(';').any(|name| name == required), "{required} is signed");
    }
    assert_eq!(request.header("x-project-id"), Some(PROJECT));
}

/// The options of a DRS job paused with `target`.
const TARGET: &KindOptions = &KindOptions::Huawei(HuaweiOptions { pause_mode: PauseMode::Target });

fn job_ref(id: &str) -> JobRef<'_> {
    JobRef { kind: JobKind::HuaweiDrs, id, options: TARGET }
}

fn action(id: &str, verb: ActionVerb, pause_mode: PauseMode) -> Action {
    Action {
        address: Address::instance(JobKind::HuaweiDrs, "eu_replica", id),
        id: id.into(),
        verb,
        options: KindOptions::Huawei(HuaweiOptions { pause_mode }),
        token_seed: format!("seed/{id}"),
    }
}

fn results(items: &[Value]) -> Reply {
    Reply::json(200, &json!({"results": items, "count": items.len()}))
        .header("X-Request-Id", "hw-req")
}

#[tokio::test]
async fn bulk_read_asks_for_at_most_100_ids_a_request() {
    let responder = Responder::start(|request, _| {
        assert_signed(request);
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, format!("/v3/{PROJECT}/jobs/batch-status"));
        let body = request.json();
        assert_eq!(body["page_req"], json!({"cur_page": 1, "per_page": 100}));
        let items: Vec<Value> = body["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|id| {
                let id = id.as_str().unwrap();
                match id {
                    "gone" => Some(json!({"id": id, "error_code": "DRS.10000010", "error_message": "Job does not exist, please check job ID."})),
                    "absent" => None,
                    _ if id.ends_with('7') => Some(json!({"id": id, "status": "PAUSING"})),
                    _ => Some(json!({"id": id, "status": "INCRE_TRANSFER_STARTED"})),
                }
            })
            .collect();
        results(&items)
    })
    .await;
    let ids: Vec<String> = (0..248).map(|n| format!("job-{n:03}")).collect();
    let mut declared: Vec<JobRef> = ids.iter().map(|id| job_ref(id)).collect();
    declared.push(job_ref("gone"));
    declared.push(job_ref("absent"));

    let read = client(&responder).read(&declared).await.unwrap();

    let requests = responder.requests();
    assert_eq!(requests.len(), 3, "⌈250/100⌉ requests");
    let sizes: Vec<usize> =
        requests.iter().map(|r| r.json()["jobs"].as_array().unwrap().len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 250);
    assert!(sizes.iter().all(|&n| n <= 100));
    assert_eq!(read.found.len(), 248);
    assert_eq!(read.not_found.iter().map(|j| j.id).collect::<Vec<_>>(), ["absent", "gone"]);
    let paused = read.get(JobKind::HuaweiDrs, "job-007").unwrap();
    assert_eq!(
        (paused.raw_status.as_str(), paused.state, paused.incremental),
        ("PAUSING", LiveState::Suspended, None)
    );
    let running = read.get(JobKind::HuaweiDrs, "job-000").unwrap();
    assert_eq!((running.state, running.incremental), (LiveState::Running, Some(true)));
}

#[tokio::test]
async fn reads_follow_pages_when_the_cloud_returns_fewer_than_asked() {
    // A server capping pages at 2 results: the client asks for the next page.
    let responder = Responder::start(|request, _| {
        let body = request.json();
        let page = usize::try_from(body["page_req"]["cur_page"].as_u64().unwrap()).unwrap();
        let ids: Vec<&str> =
            body["jobs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let items: Vec<Value> = ids
            .iter()
            .skip((page - 1) * 2)
            .take(2)
            .map(|id| json!({"id": id, "status": "FULL_TRANSFER_STARTED"}))
            .collect();
        Reply::json(200, &json!({"results": items, "count": ids.len()}))
    })
    .await;
    let declared: Vec<JobRef> = ["a", "b", "c", "d", "e"].iter().map(|id| job_ref(id)).collect();
    let read = client(&responder).read(&declared).await.unwrap();
    assert_eq!(read.found.len(), 5);
    assert_eq!(responder.requests().len(), 3);
}

#[tokio::test]
async fn an_item_error_other_than_not_found_fails_the_read() {
    let responder = Responder::script(vec![results(&[
        json!({"id": "a", "error_code": "DRS.M00102", "error_message": "insufficient permission"}),
    ])])
    .await;
    let error = listing_error(client(&responder).read(&[job_ref("a")]).await);
    assert_eq!(
        error.to_string(),
        "huawei batch-status: DRS.M00102: job a: insufficient permission (HTTP 200, request id hw-req)"
    );
}

#[tokio::test]
async fn token_mode_sends_the_token_and_no_signature() {
    let responder =
        Responder::script(vec![results(&[json!({"id": "a", "status": "PAUSING"})])]).await;
    client_with(&responder, HuaweiCredentials::Token(Secret::new(TOKEN)))
        .read(&[job_ref("a")])
        .await
        .unwrap();
    let request = &responder.requests()[0];
    assert_eq!(request.header("x-auth-token"), Some(TOKEN));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.header("x-sdk-date"), None);
    assert_eq!(request.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn temporary_keys_sign_the_security_token() {
    let responder =
        Responder::script(vec![results(&[json!({"id": "a", "status": "PAUSING"})])]).await;
    client_with(&responder, access_key(Some(STS))).read(&[job_ref("a")]).await.unwrap();
    let request = &responder.requests()[0];
    assert_signed(request);
    assert_eq!(request.header("x-security-token"), Some(STS));
    assert!(request.header("authorization").unwrap().contains("x-security-token"));
}

#[tokio::test]
async fn each_call_is_one_batch_request_checked_item_by_item() {
    let responder = Responder::start(|request, _| {
        assert_signed(request);
        let jobs = request.json()["jobs"].as_array().unwrap().clone();
        let items: Vec<Value> = jobs
            .iter()
            .filter_map(|job| {
                let id = job["job_id"].as_str().unwrap();
                match id {
                    "refused" => Some(json!({"id": id, "status": "failed", "error_code": "DRS.10000001", "error_msg": "Failed."})),
                    "silent" => None,
                    _ => Some(json!({"id": id, "status": "success"})),
                }
            })
            .collect();
        results(&items)
    })
    .await;
    let mut pauses: Vec<Action> = (0..23)
        .map(|n| {
            action(
                &format!("p{n:02}"),
                ActionVerb::Suspend,
                if n % 2 == 0 { PauseMode::Target } else { PauseMode::All },
            )
        })
        .collect();
    pauses.push(action("refused", ActionVerb::Suspend, PauseMode::Target));
    let retries = vec![
        action("silent", ActionVerb::Resume, PauseMode::Target),
        action("r1", ActionVerb::Resume, PauseMode::Target),
    ];
    let stop = vec![action("s1", ActionVerb::Stop, PauseMode::Target)];
    let client = client(&responder);

    let paused = client.execute(&Call { actions: pauses.clone() }).await;
    let requests = responder.requests();
    assert_eq!(requests.len(), 1, "24 pauses, one request: the call is not chunked");
    assert!(requests[0].path.ends_with("/jobs/batch-pause-task"), "{}", requests[0].path);
    let body = requests[0].json();
    assert_eq!(body["jobs"].as_array().unwrap().len(), 24);
    assert_eq!(body["jobs"][0], json!({"job_id": "p00", "pause_mode": "target"}));
    assert_eq!(body["jobs"][1], json!({"job_id": "p01", "pause_mode": "all"}));
    assert_eq!(body["jobs"][23], json!({"job_id": "refused", "pause_mode": "target"}));
    assert_eq!(paused[0].outcome, RequestOutcome::Accepted { request_id: Some("hw-req".into()) });
    let RequestOutcome::Rejected { error } = &paused[23].outcome else {
        panic!("{:?}", paused[23])
    };
    assert_eq!(error.code(), "DRS.10000001");
    assert_eq!(error.request_id.as_deref(), Some("hw-req"));

    let retried = client.execute(&Call { actions: retries.clone() }).await;
    let requests = responder.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].path.ends_with("/jobs/batch-retry-task"), "{}", requests[1].path);
    assert_eq!(requests[1].json(), json!({"jobs": [{"job_id": "silent"}, {"job_id": "r1"}]}));
    let RequestOutcome::Unknown { error } = &retried[0].outcome else { panic!("{:?}", retried[0]) };
    assert!(error.to_string().contains("no result for job silent"), "{error}");
    assert!(matches!(retried[1].outcome, RequestOutcome::Accepted { .. }));
    assert_eq!(retried[1].address, retries[1].address);

    client.execute(&Call { actions: stop }).await;
    let requests = responder.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[2].path.ends_with("/jobs/batch-jobs"), "{}", requests[2].path);
    assert_eq!(requests[2].method, "DELETE");
    assert_eq!(requests[2].json(), json!({"jobs": [{"job_id": "s1", "delete_type": "terminate"}]}));
}

#[tokio::test]
async fn a_call_of_mixed_verbs_is_refused_whole_and_never_sent() {
    let responder = Responder::start(|_, _| results(&[])).await;
    let mixed = vec![
        action("a", ActionVerb::Suspend, PauseMode::Target),
        action("b", ActionVerb::Resume, PauseMode::Target),
    ];

    let outcome = client(&responder).execute(&Call { actions: mixed }).await;

    assert!(responder.requests().is_empty(), "nothing is split and sent");
    assert_eq!(outcome.len(), 2);
    for result in &outcome {
        let RequestOutcome::Rejected { error } = &result.outcome else { panic!("{result:?}") };
        assert_eq!(error.code(), "jobform.Unsupported");
        assert!(error.to_string().contains("mixes kinds, verbs or directions"), "{error}");
    }
}

#[tokio::test]
async fn gateway_throttling_is_retried_and_server_errors_are_unknown() {
    let responder = Responder::script(vec![
        Reply::json(429, &json!({"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached: policy user over ratelimit,limit:5,time:1 second", "request_id": "t1"})),
        results(&[json!({"id": "a", "status": "success"})]),
        Reply::json(500, &json!({"errorCode": "DRS.M00004", "errorMsg": "service abnormal"})).header("X-Request-Id", "boom"),
        results(&[json!({"id": "b", "status": "success"})]),
    ])
    .await;
    let client = client(&responder);
    let first = client
        .execute(&Call { actions: vec![action("a", ActionVerb::Suspend, PauseMode::Target)] })
        .await;
    assert!(matches!(first[0].outcome, RequestOutcome::Accepted { .. }), "{:?}", first[0]);
    assert_eq!(responder.requests().len(), 2);
    let second = client
        .execute(&Call { actions: vec![action("b", ActionVerb::Stop, PauseMode::Target)] })
        .await;
    let RequestOutcome::Unknown { error } = &second[0].outcome else { panic!("{:?}", second[0]) };
    assert_eq!(
        error.to_string(),
        "huawei batch-jobs terminate: DRS.M00004: service abnormal (HTTP 500, request id boom)"
    );
    assert_eq!(responder.requests().len(), 3, "the stop is not sent again");
}

#[tokio::test]
async fn error_bodies_in_every_spelling_are_decoded() {
    for (body, code) in [
        (
            json!({"error_code": "APIGW.0301", "error_msg": "Incorrect IAM authentication information"}),
            "APIGW.0301",
        ),
        (json!({"errorCode": "DRS.M00261", "errorMsg": "invalid project ID"}), "DRS.M00261"),
        (json!({"code": "DRS.M00103", "message": "no operation permission"}), "DRS.M00103"),
    ] {
        let responder = Responder::script(vec![Reply::json(401, &body)]).await;
        let read = client(&responder).read(&[job_ref("a")]).await;
        // Refused credentials are the provider's failure; the others one listing's.
        let error = if code == "APIGW.0301" { read.unwrap_err() } else { listing_error(read) };
        assert_eq!(error.code(), code);
        assert!(!error.retryable);
        assert_eq!(responder.requests().len(), 1);
    }
    let responder = Responder::script(vec![Reply::raw(401, "Unauthorized")]).await;
    let error = client(&responder).read(&[job_ref("a")]).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "huawei batch-status: unexpected response (not JSON: expected value at line 1 column 1): \"Unauthorized\" (HTTP 401)"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_in_seconds() {
    let responder = Responder::script(vec![
        Reply::json(429, &json!({"error_code": "APIGW.0308", "error_msg": "slow down"}))
            .header("Retry-After", "1"),
        results(&[json!({"id": "a", "status": "PAUSING"})]),
    ])
    .await;
    let started = tokio::time::Instant::now();
    client(&responder).read(&[job_ref("a")]).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn secrets_never_reach_logs_errors_or_debug_dumps() {
    let logs = LogCapture::start();
    let responder = Responder::start(|_, n| match n % 3 {
        0 => Reply::json(
            401,
            &json!({"error_code": "APIGW.0301", "error_msg": "verify aksk signature fail"}),
        ),
        1 => results(&[]).delayed(Duration::from_millis(800)),
        _ => results(&[]).cut_off(),
    })
    .await;
    let mut dumps = Vec::new();
    for credentials in [access_key(Some(STS)), HuaweiCredentials::Token(Secret::new(TOKEN))] {
        let client = client_with(&responder, credentials);
        dumps.push(format!("{client:?}"));
        for verb in [ActionVerb::Suspend, ActionVerb::Resume, ActionVerb::Stop] {
            let outcome =
                client.execute(&Call { actions: vec![action("a", verb, PauseMode::All)] }).await;
            dumps.push(format!("{outcome:?}"));
            if let RequestOutcome::Rejected { error } | RequestOutcome::Unknown { error } =
                &outcome[0].outcome
            {
                dumps.push(error.to_string());
            }
        }
    }
    let everything = format!("{}\n{}", logs.text(), dumps.join("\n"));
    assert!(everything.contains("APIGW.0301"), "the capture holds the run");
    for secret in [SK, STS, TOKEN] {
        assert!(!everything.contains(secret), "{secret} leaked:\n{everything}");
    }
}

#[tokio::test(start_paused = true)]
async fn requests_in_flight_are_bounded() {
    // 600 ids are six batch-status requests, sent together; each answer takes
    // 100 ms, so two at a time need at least three rounds.
    let responder = Responder::start(|request, _| {
        let items: Vec<Value> = request.json()["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| json!({"id": id, "status": "PAUSING"}))
            .collect();
        results(&items).delayed(Duration::from_millis(100))
    })
    .await;
    let settings = Settings { max_in_flight: 2, ..quick_settings() };
    let client = HuaweiClient::new(
        "ap-southeast-1",
        PROJECT,
        Some(responder.url()),
        access_key(None),
        &settings,
        fixed_clock(),
    )
    .unwrap();
    let ids: Vec<String> = (0..600).map(|n| format!("job-{n:03}")).collect();
    let declared: Vec<JobRef> = ids.iter().map(|id| job_ref(id)).collect();
    let started = tokio::time::Instant::now();
    let read = client.read(&declared).await.unwrap();
    assert_eq!(read.found.len(), 600);
    assert_eq!(responder.requests().len(), 6);
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
}

fn listing() -> ListingQuery {
    ListingQuery::all(
        Listing::HuaweiDrsJobs,
        crate::model::ProviderRef { cloud: Cloud::Huawei, alias: None },
    )
}

/// `ShowJobList` over `count` jobs of each `db_use_type`.
fn drs_listing_world(counts: [(&'static str, usize); 3]) -> impl Fn(&Recorded, usize) -> Reply {
    move |request, _| {
        assert_signed(request);
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/v3/054ba152d480d55b2f5dc0069e7ddef0/jobs")
        );
        let body = request.json();
        let use_type = body["db_use_type"].as_str().unwrap();
        let count = counts.iter().find(|(t, _)| *t == use_type).unwrap().1;
        let size = usize::try_from(body["per_page"].as_u64().unwrap()).unwrap();
        let page = usize::try_from(body["cur_page"].as_u64().unwrap()).unwrap();
        let jobs: Vec<Value> = (0..count)
            .skip((page - 1) * size)
            .take(size)
            .map(|n| json!({"id": format!("{n:08}-0000-4000-8000-{:012}", use_type.len()), "name": format!("{use_type}-{n}"), "status": "INCRE_TRANSFER_STARTED", "db_use_type": use_type}))
            .collect();
        Reply::json(200, &json!({"total_record": count, "jobs": jobs}))
            .header("x-request-id", "req-list")
    }
}

#[tokio::test]
async fn a_listing_of_250_drs_jobs_takes_one_request_per_page_of_each_use_type() {
    let responder = Responder::start(drs_listing_world([
        ("migration", 150),
        ("sync", 70),
        ("cloudDataGuard", 30),
    ]))
    .await;
    let listed = client(&responder).list(&listing()).await.unwrap();

    assert_eq!(listed.len(), 250);
    // ⌈150/100⌉ + ⌈70/100⌉ + ⌈30/100⌉ pages; db_use_type is required, so each is asked.
    let requests = responder.requests();
    assert_eq!(requests.len(), 2 + 1 + 1);
    assert!(requests.iter().all(|r| r.json()["per_page"] == 100));
    assert_eq!(
        listed[149],
        ListedJob {
            kind: JobKind::HuaweiDrs,
            id: "00000149-0000-4000-8000-000000000009".into(),
            name: "migration-149".into(),
            status: "INCRE_TRANSFER_STARTED".into(),
            reverse_status: None,
            job_type: Some("migration".into()),
            instance_id: None,
            two_way: None,
        }
    );

    let responder = Responder::start(drs_listing_world([
        ("migration", 150),
        ("sync", 0),
        ("cloudDataGuard", 0),
    ]))
    .await;
    let query = ListingQuery {
        job_type: Some("migration".into()),
        status: Some("INCRE_TRANSFER_STARTED".into()),
        engine_type: Some("mysql".into()),
        ..listing()
    };
    assert_eq!(client(&responder).list(&query).await.unwrap().len(), 150);
    let requests = responder.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].json(),
        json!({"db_use_type": "migration", "cur_page": 1, "per_page": 100, "status": "INCRE_TRANSFER_STARTED", "engine_type": "mysql"})
    );
}

#[tokio::test(start_paused = true)]
async fn a_throttled_drs_listing_page_is_retried() {
    let world = drs_listing_world([("migration", 0), ("sync", 120), ("cloudDataGuard", 0)]);
    let responder = Responder::start(move |request, n| {
        if request.json()["cur_page"] == 2 && n < 3 {
            Reply::json(429, &json!({"error_code": "APIGW.0308", "error_msg": "over ratelimit", "request_id": "t"}))
        } else {
            world(request, n)
        }
    })
    .await;
    let query = ListingQuery { job_type: Some("sync".into()), ..listing() };
    assert_eq!(client(&responder).list(&query).await.unwrap().len(), 120);
    assert!(responder.requests().len() > 2);
}

#[tokio::test]
async fn a_malformed_drs_listing_page_is_an_error_naming_its_operation_and_request() {
    let responder = Responder::start(|_, _| {
        Reply::json(200, &json!({"total_record": 3, "jobs": [{"name": "no id"}]}))
            .header("x-request-id", "req-bad")
    })
    .await;
    let query = ListingQuery { job_type: Some("sync".into()), ..listing() };
    let error = client(&responder).list(&query).await.unwrap_err();
    assert_eq!((error.operation, error.request_id.as_deref()), ("ShowJobList", Some("req-bad")));
    assert!(error.to_string().contains("`id`"), "{error}");
}
