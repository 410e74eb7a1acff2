//! Tests of the Alibaba client against the scripted responder: every request
//! is checked for a valid V1 signature, and the journal counts requests.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::*;
use crate::model::{Address, AlibabaOptions, LiveState, Secret};
use crate::provider::alibaba::sign::signature;
use crate::provider::testing::{
    LogCapture, Recorded, Reply, Responder, fixed_clock, listing_error, quick_settings,
};
use crate::state::JobRecord;

const KEY_ID: &str = "LTAIjobformexample";
const SECRET: &str = "jobform-example-secret";
const STS_TOKEN: &str = "STS.jobform-example-sts-token";

fn client_with(responder: &Responder, settings: &Settings, token: Option<&str>) -> AlibabaClient {
    AlibabaClient::new(
        "cn-hangzhou",
        Some(responder.url()),
        AlibabaCredentials {
            access_key_id: KEY_ID.into(),
            access_key_secret: Secret::new(SECRET),
            security_token: token.map(Secret::new),
        },
        settings,
        fixed_clock(),
    )
    .unwrap()
}

fn client(responder: &Responder) -> AlibabaClient {
    client_with(responder, &quick_settings(), None)
}

/// Recomputes the V1 signature from what the server received.
fn assert_signed(request: &Recorded) {
    assert_eq!(request.method, "POST");
    let sent = request.param("Signature").expect("a Signature parameter");
    let params: Vec<(String, String)> =
        request.query.iter().filter(|(k, _)| k != "Signature").cloned().collect();
    assert_eq!(signature("POST", &params, SECRET), sent, "signature of {}", request.raw_query);
    assert_eq!(request.param("AccessKeyId"), Some(KEY_ID));
    let timestamp = request.param("Timestamp").unwrap();
    assert!(
        time::PrimitiveDateTime::parse(
            timestamp,
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z")
        )
        .is_ok(),
        "{timestamp}"
    );
    // Spaces and reserved characters are %-encoded as the signature canonicalises them.
    assert!(!request.raw_query.contains('+'));
}

fn ok(extra: &Value) -> Reply {
    let mut body = json!({"RequestId": "req-ok", "Success": true});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    Reply::json(200, &body)
}

fn alibaba(direction: Direction, instance_id: Option<&str>) -> KindOptions {
    KindOptions::Alibaba(AlibabaOptions { direction, instance_id: instance_id.map(str::to_owned) })
}

/// The options of a forward task without an instance id.
const FORWARD: &KindOptions =
    &KindOptions::Alibaba(AlibabaOptions { direction: Direction::Forward, instance_id: None });

/// The options of a reverse task without an instance id.
const REVERSE: &KindOptions =
    &KindOptions::Alibaba(AlibabaOptions { direction: Direction::Reverse, instance_id: None });

fn job_ref(kind: JobKind, id: &str) -> JobRef<'_> {
    JobRef { kind, id, options: FORWARD }
}

fn action(kind: JobKind, name: &str, id: &str, verb: ActionVerb) -> Action {
    Action {
        address: Address::new(kind, name),
        id: id.into(),
        verb,
        options: alibaba(Direction::Forward, None),
        token_seed: format!("lineage-1/serial-7/{name}"),
    }
}

/// A DTS world: `(JobType, id, status, reverse status)`; answers
/// `DescribeDtsJobs` filtered by type and ids, paged as asked.
fn dts_world(
    jobs: Vec<(&'static str, String, &'static str, Option<&'static str>)>,
) -> impl Fn(&Recorded, usize) -> Reply {
    move |request, _| {
        assert_signed(request);
        assert_eq!(request.param("Action"), Some("DescribeDtsJobs"));
        assert_eq!(request.param("Region"), Some("cn-hangzhou"));
        let job_type = request.param("JobType").unwrap();
        let ids: Vec<&str> = request.param("DtsJobId").unwrap().split(',').collect();
        let size: usize = request.param("PageSize").unwrap().parse().unwrap();
        let page: usize = request.param("PageNumber").unwrap().parse().unwrap();
        let matching: Vec<Value> = jobs
            .iter()
            .filter(|(t, id, _, _)| *t == job_type && ids.contains(&id.as_str()))
            .map(|(_, id, status, reverse)| {
                json!({
                    "DtsJobId": id,
                    "DtsInstanceID": format!("dts{id}"),
                    "Status": status,
                    "DtsJobDirection": "Forward",
                    "ReverseJob": reverse.map(|s| json!({"Status": s, "DtsJobDirection": "Reverse"})),
                    "MigrationMode": {"DataSynchronization": job_type != "SUBSCRIBE"},
                })
            })
            .collect();
        let slice: Vec<Value> =
            matching.iter().skip((page - 1) * size).take(size).cloned().collect();
        ok(&json!({"DtsJobList": slice, "TotalRecordCount": matching.len(), "PageNumber": page}))
    }
}

#[tokio::test]
async fn bulk_read_of_hundreds_of_dts_jobs_pages_each_job_type() {
    let mut world = Vec::new();
    for n in 0..200 {
        world.push(("MIGRATION", format!("m{n:04}"), "Migrating", None));
    }
    for n in 0..95 {
        world.push(("SYNC", format!("s{n:04}"), "Synchronizing", (n == 0).then_some("Suspending")));
    }
    for n in 0..40 {
        world.push(("SUBSCRIBE", format!("c{n:04}"), "Normal", None));
    }
    let ids: Vec<String> = world.iter().map(|(_, id, _, _)| id.clone()).collect();
    let mut declared: Vec<JobRef> = ids.iter().map(|id| job_ref(JobKind::AlibabaDts, id)).collect();
    declared.push(job_ref(JobKind::AlibabaDts, "ghost-2"));
    declared.push(job_ref(JobKind::AlibabaDts, "ghost-1"));
    // The same job declared twice (forward and reverse blocks) is read once.
    declared.push(JobRef { options: REVERSE, ..job_ref(JobKind::AlibabaDts, "s0000") });
    let responder = Responder::start(dts_world(world)).await;

    let read = client(&responder).read(&declared).await.unwrap();

    // ⌈200/30⌉ + ⌈95/30⌉ + ⌈40/30⌉ listing pages, not one request per job;
    // plus one page for the second filter of the 337 ids asked as MIGRATION
    // (filters carry at most 300 ids).
    let requests = responder.requests();
    assert_eq!(requests.len(), (7 + 1) + 4 + 2);
    assert!(requests.iter().all(|r| r.param("DtsJobId").unwrap().split(',').count() <= 300));
    assert!(requests.iter().all(|r| r.param("PageSize") == Some("30")));
    // The injected clock signs the timestamp.
    assert_eq!(requests[0].param("Timestamp"), Some("2024-01-02T03:04:05Z"));
    // Later job types are only asked about the ids not found yet.
    let sync_ids = requests
        .iter()
        .find(|r| r.param("JobType") == Some("SYNC"))
        .unwrap()
        .param("DtsJobId")
        .unwrap();
    assert_eq!(sync_ids.split(',').count(), 95 + 2 + 40);
    assert_eq!(read.found.len(), 335);
    assert_eq!(read.not_found.iter().map(|j| j.id).collect::<Vec<_>>(), ["ghost-1", "ghost-2"]);
    let migration = read.get(JobKind::AlibabaDts, "m0007").unwrap();
    assert_eq!((migration.raw_status.as_str(), migration.state), ("Migrating", LiveState::Running));
    assert_eq!(
        (migration.two_way, migration.incremental, migration.change_tracking),
        (Some(false), Some(true), false)
    );
    let two_way = read.get(JobKind::AlibabaDts, "s0000").unwrap();
    assert_eq!(two_way.two_way, Some(true));
    assert_eq!(
        two_way.reverse,
        Some(LiveReverse { raw_status: "Suspending".into(), state: LiveState::Suspended })
    );
    assert_eq!(read.get(JobKind::AlibabaDts, "s0001").unwrap().two_way, Some(false));
    let tracking = read.get(JobKind::AlibabaDts, "c0039").unwrap();
    assert!(tracking.change_tracking);
    assert_eq!(tracking.state, LiveState::Running);
    // Results are sorted by kind and id, whatever the declaration and page order.
    assert_eq!(read.found[0].id, "c0000");
}

#[tokio::test]
async fn legacy_listings_page_until_every_declared_job_is_seen() {
    let responder = Responder::start(|request, _| {
        assert_signed(request);
        let page: usize = request.param("PageNum").map_or(0, |p| p.parse().unwrap());
        match request.param("Action").unwrap() {
            "DescribeMigrationJobs" => {
                let jobs: Vec<Value> = (0..75)
                    .skip((page - 1) * 30)
                    .take(30)
                    .map(|n| json!({"MigrationJobID": format!("dtsm{n}"), "MigrationJobStatus": "Migrating", "MigrationMode": {"DataSynchronization": "true"}}))
                    .collect();
                ok(&json!({"Success": "true", "TotalRecordCount": 75, "MigrationJobs": {"MigrationJob": jobs}}))
            }
            "DescribeSynchronizationJobs" => {
                let jobs: Vec<Value> = (0..45)
                    .skip((page - 1) * 30)
                    .take(30)
                    .map(|n| json!({"SynchronizationJobId": format!("dtss{n}"), "Status": "synchronizing", "SynchronizationDirection": "Forward"}))
                    .collect();
                ok(&json!({"TotalRecordCount": "45", "SynchronizationInstances": jobs}))
            }
            "DescribeSynchronizationJobStatus" => {
                assert_eq!(request.param("SynchronizationDirection"), Some("Reverse"));
                assert_eq!(request.param("SynchronizationJobId"), Some("dtss1"));
                ok(&json!({"Status": "suspending", "Success": "true"}))
            }
            other => panic!("unexpected {other}"),
        }
    })
    .await;
    let declared = [
        job_ref(JobKind::AlibabaMigration, "dtsm74"),
        job_ref(JobKind::AlibabaMigration, "dtsm3"),
        job_ref(JobKind::AlibabaSynchronization, "dtss0"),
        JobRef { options: REVERSE, ..job_ref(JobKind::AlibabaSynchronization, "dtss1") },
    ];

    let read = client(&responder).read(&declared).await.unwrap();

    let actions: Vec<String> =
        responder.requests().iter().map(|r| r.param("Action").unwrap().to_owned()).collect();
    let count = |name: &str| actions.iter().filter(|a| *a == name).count();
    // The migration listing needs all three pages (dtsm74 is on the last);
    // the synchronization listing stops after the first page.
    assert_eq!(count("DescribeMigrationJobs"), 3);
    assert_eq!(count("DescribeSynchronizationJobs"), 1);
    assert_eq!(count("DescribeSynchronizationJobStatus"), 1);
    assert!(read.not_found.is_empty());
    let sync = read.get(JobKind::AlibabaSynchronization, "dtss1").unwrap();
    assert_eq!((sync.raw_status.as_str(), sync.state), ("synchronizing", LiveState::Running));
    assert_eq!(sync.reverse.as_ref().unwrap().state, LiveState::Suspended);
    assert_eq!(sync.two_way, Some(true));
    assert_eq!(read.get(JobKind::AlibabaSynchronization, "dtss0").unwrap().two_way, None);
    assert_eq!(read.get(JobKind::AlibabaMigration, "dtsm74").unwrap().incremental, Some(true));
}

/// Sends each action list as one call; returns the results and the
/// requests each call sent.
async fn one_call_each(
    client: &AlibabaClient,
    responder: &Responder,
    calls: Vec<Vec<Action>>,
) -> Vec<(Vec<crate::provider::ActionResult>, Vec<Recorded>)> {
    let mut answers = Vec::new();
    for actions in calls {
        let before = responder.requests().len();
        let results = client.execute(&Call { actions }).await;
        answers.push((results, responder.requests()[before..].to_vec()));
    }
    answers
}

#[tokio::test]
async fn every_call_is_one_request_of_the_documented_form() {
    let responder = Responder::start(|request, n| {
        assert_signed(request);
        ok(&json!({"RequestId": format!("req-{n}")}))
    })
    .await;
    let batch: Vec<Action> = (0..41)
        .map(|n| {
            action(
                JobKind::AlibabaDts,
                &format!("d{n}"),
                &format!("dts{n:02}"),
                ActionVerb::Suspend,
            )
        })
        .collect();
    let instance = Action {
        options: alibaba(Direction::Forward, Some("dtsinst")),
        ..action(JobKind::AlibabaDts, "single", "dts99", ActionVerb::Suspend)
    };
    let reverse = Action {
        options: alibaba(Direction::Reverse, Some("dtsinst")),
        ..action(JobKind::AlibabaDts, "two_way_reverse", "l3m1", ActionVerb::Resume)
    };
    let legacy: Vec<Action> = [
        ("legacy_m", "dtsj1", ActionVerb::Suspend),
        ("legacy_m2", "dtsj2", ActionVerb::Resume),
        ("legacy_m3", "dtsj3", ActionVerb::Stop),
    ]
    .into_iter()
    .map(|(name, id, verb)| action(JobKind::AlibabaMigration, name, id, verb))
    .collect();
    let sync_reverse = Action {
        options: alibaba(Direction::Reverse, None),
        ..action(JobKind::AlibabaSynchronization, "legacy_s", "dtsmr1", ActionVerb::Suspend)
    };
    let client = client(&responder);

    let mut calls = vec![batch.clone(), vec![instance], vec![reverse]];
    calls.extend(legacy.iter().map(|action| vec![action.clone()]));
    calls.push(vec![sync_reverse]);
    let answers = one_call_each(&client, &responder, calls).await;

    // However many jobs a call carries, it is one request: the batch is not chunked.
    assert!(answers.iter().all(|(_, sent)| sent.len() == 1), "{answers:?}");
    let sent = |call: usize| &answers[call].1[0];
    assert_eq!(sent(0).param("Action"), Some("SuspendDtsJobs"));
    let ids: Vec<String> = batch.iter().map(|action| action.id.clone()).collect();
    assert_eq!(sent(0).param("DtsJobIds"), Some(ids.join(",").as_str()), "in the plan's order");
    let (batch_results, _) = &answers[0];
    assert_eq!(batch_results.len(), 41);
    assert!(
        batch_results
            .iter()
            .all(|r| r.outcome == RequestOutcome::Accepted { request_id: Some("req-0".into()) }),
        "one batch, one request id: {batch_results:?}"
    );
    assert_eq!(sent(1).param("Action"), Some("SuspendDtsJob"));
    assert_eq!(sent(1).param("DtsJobId"), Some("dts99"));
    assert_eq!(sent(1).param("DtsInstanceId"), Some("dtsinst"));
    assert_eq!(sent(2).param("Action"), Some("StartDtsJob"));
    assert_eq!(sent(2).param("SynchronizationDirection"), Some("Reverse"));
    assert_eq!(sent(2).param("DtsInstanceId"), Some("dtsinst"));
    assert_eq!(sent(3).param("Action"), Some("SuspendMigrationJob"));
    let token = sent(3).param("ClientToken").unwrap().to_owned();
    assert_eq!(token.len(), 32);
    assert_eq!(token, client_token(&legacy[0], "SuspendMigrationJob"));
    assert_ne!(
        token,
        client_token(
            &action(JobKind::AlibabaMigration, "other", "dtsj1", ActionVerb::Suspend),
            "SuspendMigrationJob"
        )
    );
    assert_eq!(sent(4).param("Action"), Some("StartMigrationJob"));
    assert_eq!(sent(4).param("ClientToken"), None);
    assert_eq!(sent(5).param("Action"), Some("StopMigrationJob"));
    assert!(sent(5).param("ClientToken").is_some());
    assert_eq!(sent(6).param("Action"), Some("SuspendSynchronizationJob"));
    assert_eq!(sent(6).param("SynchronizationDirection"), Some("Reverse"));
    assert!(responder.requests().iter().all(|r| r.param("RegionId") == Some("cn-hangzhou")));
}

#[tokio::test]
async fn a_call_that_is_not_one_request_is_refused_whole_and_never_sent() {
    let responder = Responder::start(|_, _| ok(&json!({}))).await;
    let client = client(&responder);
    let legacy_stop =
        action(JobKind::AlibabaSynchronization, "legacy_s2", "dtsmr2", ActionVerb::Stop);
    let legacy_pair = vec![
        action(JobKind::AlibabaMigration, "m1", "dtsj1", ActionVerb::Suspend),
        action(JobKind::AlibabaMigration, "m2", "dtsj2", ActionVerb::Suspend),
    ];
    let mixed_verbs = vec![
        action(JobKind::AlibabaDts, "a", "dts1", ActionVerb::Suspend),
        action(JobKind::AlibabaDts, "b", "dts2", ActionVerb::Stop),
    ];

    let answers =
        one_call_each(&client, &responder, vec![vec![legacy_stop], legacy_pair, mixed_verbs]).await;

    assert!(responder.requests().is_empty(), "nothing is split and sent");
    let refusal = |call: usize| -> Vec<String> {
        answers[call]
            .0
            .iter()
            .map(|r| match &r.outcome {
                RequestOutcome::Rejected { error } => {
                    assert_eq!(error.code(), "jobform.Unsupported");
                    error.to_string()
                }
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert!(refusal(0)[0].contains("alibaba_synchronization.legacy_s2"), "{:?}", refusal(0));
    assert_eq!(refusal(1).len(), 2);
    assert!(refusal(1)[0].contains("does not batch"), "{:?}", refusal(1));
    assert!(refusal(2)[1].contains("mixes kinds, verbs or directions"), "{:?}", refusal(2));
}

#[tokio::test(start_paused = true)]
async fn throttling_storm_completes_with_backoff_honouring_retry_after() {
    let responder = Responder::start(|request, n| {
        if n < 3 {
            Reply::json(400, &json!({"RequestId": format!("t{n}"), "Code": "Throttling.User", "Message": "Request was denied due to user flow control."}))
                .header("x-acs-retry-after", "40")
        } else {
            dts_world(vec![("MIGRATION", "k2n8".into(), "Migrating", None)])(request, n)
        }
    })
    .await;
    let started = Instant::now();
    let read = client(&responder).read(&[job_ref(JobKind::AlibabaDts, "k2n8")]).await.unwrap();
    assert_eq!(read.found.len(), 1);
    assert_eq!(responder.requests().len(), 4);
    assert!(started.elapsed() >= Duration::from_millis(120), "three waits of ≥ 40 ms");
    // Each attempt is signed afresh: no nonce is reused.
    let nonces: BTreeSet<String> = responder
        .requests()
        .iter()
        .map(|r| r.param("SignatureNonce").unwrap().to_owned())
        .collect();
    assert_eq!(nonces.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn throttled_actions_are_retried_because_they_were_refused() {
    let responder = Responder::script(vec![
        Reply::json(
            400,
            &json!({"Code": "Throttling.User", "Message": "flow control", "RequestId": "a"}),
        ),
        ok(&json!({"RequestId": "b"})),
    ])
    .await;
    let results = client(&responder)
        .execute(&Call {
            actions: vec![action(JobKind::AlibabaDts, "x", "j1", ActionVerb::Suspend)],
        })
        .await;
    assert_eq!(results[0].outcome, RequestOutcome::Accepted { request_id: Some("b".into()) });
    assert_eq!(responder.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn throttling_costs_time_not_attempts() {
    let responder = Responder::start(|_, _| {
        Reply::json(
            400,
            &json!({"Code": "Throttling.User", "Message": "flow control", "RequestId": "t"}),
        )
    })
    .await;
    let mut settings = quick_settings();
    settings.retry.max_elapsed = std::time::Duration::from_millis(300);
    let error = client_with(&responder, &settings, None)
        .read(&[job_ref(JobKind::AlibabaDts, "j")])
        .await
        .unwrap_err();
    assert_eq!(error.code(), "Throttling.User");
    assert!(error.retryable);
    // Refused every time: sent again well past `max_attempts` (4), until the
    // 300 ms budget ran out (waits are at most 10 ms).
    assert!(responder.requests().len() > 4, "{}", responder.requests().len());
}

#[tokio::test(start_paused = true)]
async fn server_errors_on_actions_are_unknown_and_never_resent() {
    for reply in [
        Reply::json(
            500,
            &json!({"Code": "ServiceUnavailable", "Message": "temporary failure", "RequestId": "s1"}),
        ),
        Reply::json(
            200,
            &json!({"Success": false, "ErrCode": "InternalError", "ErrMessage": "boom", "RequestId": "s1"}),
        ),
        Reply::raw(502, "<html><body>Bad Gateway</body></html>"),
        Reply::raw(200, r#"{"RequestId": "s1", "Success": tr"#),
    ] {
        let responder = Responder::script(vec![reply, ok(&json!({}))]).await;
        let results = client(&responder)
            .execute(&Call {
                actions: vec![action(JobKind::AlibabaMigration, "m", "dtsj1", ActionVerb::Stop)],
            })
            .await;
        let RequestOutcome::Unknown { error } = &results[0].outcome else {
            panic!("{:?}", results[0])
        };
        assert!(error.outcome_unknown());
        assert_eq!(responder.requests().len(), 1, "{error}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_action_that_timed_out_after_taking_effect_is_not_sent_twice() {
    let responder =
        Responder::script(vec![ok(&json!({})).delayed(Duration::from_millis(800)), ok(&json!({}))])
            .await;
    let results = client(&responder)
        .execute(&Call {
            actions: vec![action(JobKind::AlibabaDts, "x", "j1", ActionVerb::Suspend)],
        })
        .await;
    let RequestOutcome::Unknown { error } = &results[0].outcome else { panic!("{:?}", results[0]) };
    assert_eq!(error.code(), "jobform.NoAnswer");
    assert!(error.to_string().contains("may have taken effect"), "{error}");
    assert_eq!(responder.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn reads_retry_timeouts_and_cut_bodies() {
    let page = json!({"RequestId": "r", "Success": true, "DtsJobList": [{"DtsJobId": "j", "Status": "Migrating"}], "TotalRecordCount": 1});
    let responder = Responder::script(vec![
        Reply::json(200, &page).delayed(Duration::from_millis(800)),
        Reply::json(200, &page).cut_off(),
        Reply::json(200, &page),
    ])
    .await;
    let read = client(&responder).read(&[job_ref(JobKind::AlibabaDts, "j")]).await.unwrap();
    assert_eq!(read.found.len(), 1);
    assert_eq!(responder.requests().len(), 3);
}

#[tokio::test]
async fn a_cut_off_action_answer_is_unknown() {
    let responder = Responder::script(vec![ok(&json!({"RequestId": "cut"})).cut_off()]).await;
    let results = client(&responder)
        .execute(&Call {
            actions: vec![action(JobKind::AlibabaDts, "x", "j1", ActionVerb::Resume)],
        })
        .await;
    assert!(matches!(results[0].outcome, RequestOutcome::Unknown { .. }), "{:?}", results[0]);
    assert_eq!(responder.requests().len(), 1);
}

#[tokio::test]
async fn business_errors_are_decoded_by_code_with_dynamic_message() {
    let responder = Responder::script(vec![Reply::json(
        200,
        &json!({"RequestId": "01B6F25", "Success": false, "HttpStatusCode": 403, "ErrCode": "InvalidParameter",
                "ErrMessage": "The Value of Input Parameter %s is not valid.", "DynamicMessage": "DtsJobId", "DynamicCode": "403"}),
    )])
    .await;
    let results = client(&responder)
        .execute(&Call {
            actions: vec![action(JobKind::AlibabaDts, "x", "j1", ActionVerb::Suspend)],
        })
        .await;
    let RequestOutcome::Rejected { error } = &results[0].outcome else {
        panic!("{:?}", results[0])
    };
    assert_eq!(
        error.to_string(),
        "alibaba SuspendDtsJob: InvalidParameter: The Value of Input Parameter DtsJobId is not valid. (HTTP 200, request id 01B6F25)"
    );
    assert!(!error.retryable);
    assert_eq!(responder.requests().len(), 1);
}

#[tokio::test]
async fn bodies_that_are_not_dts_answers_are_errors_quoting_an_excerpt() {
    for (reply, expected) in [
        (Reply::raw(403, "<html>Forbidden by proxy</html>"), "unexpected response (not JSON"),
        (Reply::raw(200, r#"{"RequestId": "r", "DtsJobList": [{"DtsJ"#), "not JSON: EOF"),
        (Reply::raw(200, "[1, 2]"), "not a DTS answer"),
        (
            Reply::raw(200, r#"{"DtsJobList": [{"Status": "Migrating"}]}"#),
            "missing field `DtsJobId`",
        ),
        (
            Reply::json(400, &json!({"RequestId": "r"})),
            "a failure (HTTP 400) without an error code",
        ),
    ] {
        let responder = Responder::start(move |_, _| reply.clone()).await;
        let read = client(&responder).read(&[job_ref(JobKind::AlibabaDts, "j")]).await;
        let error = listing_error(read);
        let text = error.to_string();
        assert!(text.contains(expected), "{text}");
        assert_eq!(error.code(), "jobform.MalformedResponse");
        // A body jobform cannot read may be a proxy's passing page: reads try again.
        assert_eq!(
            responder.requests().len(),
            4,
            "{text}: as many as quick_settings' max_attempts"
        );
    }
}

#[tokio::test]
async fn a_page_that_is_not_the_api_fails_the_provider() {
    let responder = Responder::start(|_, _| Reply::json(404, &json!({"RequestId": "r"}))).await;
    let error = client(&responder).read(&[job_ref(JobKind::AlibabaDts, "j")]).await.unwrap_err();
    assert!(error.to_string().contains("a failure (HTTP 404) without an error code"), "{error}");
    assert!(error.affects_provider());
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_is_retried_then_reported_as_never_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = AlibabaClient::new(
        "cn-hangzhou",
        Some(&url),
        AlibabaCredentials {
            access_key_id: KEY_ID.into(),
            access_key_secret: Secret::new(SECRET),
            security_token: None,
        },
        &quick_settings(),
        fixed_clock(),
    )
    .unwrap();
    let results = client
        .execute(&Call {
            actions: vec![action(JobKind::AlibabaDts, "x", "j1", ActionVerb::Suspend)],
        })
        .await;
    let RequestOutcome::Rejected { error } = &results[0].outcome else {
        panic!("{:?}", results[0])
    };
    assert_eq!(error.code(), "jobform.ConnectFailed");
    assert!(!error.outcome_unknown());
}

#[tokio::test(start_paused = true)]
async fn secrets_never_reach_logs_errors_or_debug_dumps() {
    let logs = LogCapture::start();
    let responder = Responder::start(|request, n| {
        assert_eq!(request.param("SecurityToken"), Some(STS_TOKEN));
        match n % 4 {
            0 => Reply::json(400, &json!({"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched with our calculation.", "RequestId": "x"})),
            1 => ok(&json!({})).delayed(Duration::from_millis(800)),
            2 => ok(&json!({})).cut_off(),
            _ => Reply::raw(500, "oops"),
        }
    })
    .await;
    let client = client_with(&responder, &quick_settings(), Some(STS_TOKEN));
    let mut dumps = vec![format!("{client:?}")];
    for verb in [ActionVerb::Suspend, ActionVerb::Resume, ActionVerb::Stop, ActionVerb::Suspend] {
        let results = client
            .execute(&Call { actions: vec![action(JobKind::AlibabaMigration, "m", "dtsj1", verb)] })
            .await;
        dumps.push(format!("{results:?}"));
        if let RequestOutcome::Rejected { error } | RequestOutcome::Unknown { error } =
            &results[0].outcome
        {
            dumps.push(error.to_string());
        }
    }
    let unreachable = AlibabaClient::new(
        "cn-hangzhou",
        Some("http://127.0.0.1:9"),
        AlibabaCredentials {
            access_key_id: KEY_ID.into(),
            access_key_secret: Secret::new(SECRET),
            security_token: Some(Secret::new(STS_TOKEN)),
        },
        &quick_settings(),
        fixed_clock(),
    )
    .unwrap();
    let error = unreachable.read(&[job_ref(JobKind::AlibabaDts, "j")]).await.unwrap_err();
    dumps.push(format!("{error} {error:?}"));
    let everything = format!("{}\n{}", logs.text(), dumps.join("\n"));
    assert!(everything.contains("dtsj1"), "the capture holds the run");
    assert!(everything.contains("request failed"), "debug logs were captured");
    for secret in [SECRET, STS_TOKEN, "jobform-example-sts"] {
        assert!(!everything.contains(secret), "{secret} leaked:\n{everything}");
    }
}

/// The `JobType`s of the `DescribeDtsJobs` requests a responder received.
fn job_types_asked(responder: &Responder) -> Vec<String> {
    responder.requests().iter().map(|r| r.param("JobType").unwrap().to_owned()).collect()
}

#[tokio::test]
async fn hinted_and_learned_job_types_send_no_probe_of_another_type() {
    let mut world = Vec::new();
    for n in 0..40 {
        world.push(("SYNC", format!("s{n:04}"), "Synchronizing", None));
    }
    for n in 0..5 {
        world.push(("SUBSCRIBE", format!("c{n:04}"), "Normal", None));
    }
    let ids: Vec<String> = world.iter().map(|(_, id, _, _)| id.clone()).collect();
    let declared: Vec<JobRef> = ids.iter().map(|id| job_ref(JobKind::AlibabaDts, id)).collect();
    let responder = Responder::start(dts_world(world)).await;
    let client = client(&responder);
    // Hints for the sync jobs only; the change-tracking ones are probed.
    let sync_ids: Vec<String> = (0..40).map(|n| format!("s{n:04}")).collect();
    client.hint_job_types(sync_ids.iter().map(|id| (id.as_str(), DtsJobType::Sync)));

    let read = client.read(&declared).await.unwrap();
    assert_eq!(read.found.len(), 45);
    // Sync ids asked as SYNC only (2 pages); the 5 unhinted ids probed
    // MIGRATION (empty), SYNC (empty), then SUBSCRIBE.
    let mut asked = job_types_asked(&responder);
    asked.sort();
    assert_eq!(asked, ["MIGRATION", "SUBSCRIBE", "SYNC", "SYNC", "SYNC"]);
    let sync_ids: usize = responder
        .requests()
        .iter()
        .filter(|r| r.param("JobType") == Some("SYNC") && r.param("PageNumber") == Some("1"))
        .map(|r| r.param("DtsJobId").unwrap().split(',').count())
        .sum();
    assert_eq!(sync_ids, 40 + 5);

    // A second read (apply's re-read) asks each id under the type found.
    let before = responder.requests().len();
    let again = client.read(&declared).await.unwrap();
    assert_eq!(again, read);
    let mut asked = job_types_asked(&responder)[before..].to_vec();
    asked.sort();
    assert_eq!(asked, ["SUBSCRIBE", "SYNC", "SYNC"]);
}

#[tokio::test]
async fn a_wrong_hint_costs_a_probe_not_a_result() {
    let world = vec![("MIGRATION", "m1".to_owned(), "Migrating", None)];
    let responder = Responder::start(dts_world(world)).await;
    let client = client(&responder);
    client.hint_job_types([("m1", DtsJobType::Subscribe)]);
    let read = client.read(&[job_ref(JobKind::AlibabaDts, "m1")]).await.unwrap();
    assert_eq!(read.found[0].raw_status, "Migrating");
    assert_eq!(job_types_asked(&responder), ["SUBSCRIBE", "MIGRATION"]);
}

/// The record of an `alibaba_dts` job seen `raw_status`, found under `job_type`.
fn dts_record(id: &str, raw_status: &str, job_type: Option<DtsJobType>) -> JobRecord {
    JobRecord {
        kind: JobKind::AlibabaDts,
        id: id.into(),
        provider: crate::model::ProviderRef { cloud: Cloud::Alibaba, alias: None },
        direction: Direction::Forward,
        observed: crate::state::Observation {
            raw_status: raw_status.into(),
            state: LiveState::Suspended,
            at: time::macros::datetime!(2026-11-21 10:00 UTC),
            job_type,
        },
        paused: None,
        last_action: None,
    }
}

#[tokio::test]
async fn a_paused_job_is_read_under_its_recorded_job_type_alone() {
    let world = vec![
        ("SYNC", "s1".to_owned(), "Suspending", None),
        ("SYNC", "s2".to_owned(), "Suspending", None),
    ];
    let responder = Responder::start(dts_world(world)).await;
    let client = client(&responder);
    // `Suspending` names no type: only the recorded one routes `s1`.
    let records = [
        dts_record("s1", "Suspending", Some(DtsJobType::Sync)),
        dts_record("s2", "Suspending", None),
    ];
    client.hint_job_types(
        records.iter().filter_map(|r| Some((r.id.as_str(), DtsJobType::of_record(r)?))),
    );
    let read = client.read(&[job_ref(JobKind::AlibabaDts, "s1")]).await.unwrap();
    assert_eq!(read.found[0].dts_job_type, Some(DtsJobType::Sync));
    assert_eq!(job_types_asked(&responder), ["SYNC"]);
    let before = responder.requests().len();
    client.read(&[job_ref(JobKind::AlibabaDts, "s2")]).await.unwrap();
    assert_eq!(job_types_asked(&responder)[before..], ["MIGRATION", "SYNC"]);
}

#[test]
fn a_recorded_job_type_outranks_the_status_word() {
    let found_as_sync = dts_record("j", "Migrating", Some(DtsJobType::Sync));
    assert_eq!(DtsJobType::of_record(&found_as_sync), Some(DtsJobType::Sync));
    assert_eq!(
        DtsJobType::of_record(&dts_record("j", "Migrating", None)),
        Some(DtsJobType::Migration)
    );
    assert_eq!(DtsJobType::of_record(&dts_record("j", "Suspending", None)), None);
    let legacy = JobRecord { kind: JobKind::AlibabaSynchronization, ..found_as_sync };
    assert_eq!(DtsJobType::of_record(&legacy), None);
}

#[test]
fn only_status_words_of_one_job_type_hint_it() {
    assert_eq!(DtsJobType::of_status("Migrating"), Some(DtsJobType::Migration));
    assert_eq!(DtsJobType::of_status("Synchronizing"), Some(DtsJobType::Sync));
    assert_eq!(DtsJobType::of_status("Normal"), Some(DtsJobType::Subscribe));
    assert_eq!(DtsJobType::of_status("Suspending"), None);
    assert_eq!(DtsJobType::of_status("Finished"), None);
}

fn listing(listing: Listing) -> ListingQuery {
    ListingQuery::all(listing, crate::model::ProviderRef { cloud: Cloud::Alibaba, alias: None })
}

/// `DescribeDtsJobs` without ids: `count` jobs of each `JobType`, the first
/// SYNC task two-way, names with the characters a cloud name may hold.
fn dts_listing_world(counts: [(&'static str, usize); 3]) -> impl Fn(&Recorded, usize) -> Reply {
    move |request, _| {
        assert_signed(request);
        assert_eq!(request.param("Action"), Some("DescribeDtsJobs"));
        assert_eq!(request.param("DtsJobId"), None);
        assert_eq!(request.param("WithoutDbList"), Some("true"));
        let job_type = request.param("JobType").unwrap();
        let count = counts.iter().find(|(t, _)| *t == job_type).unwrap().1;
        let size: usize = request.param("PageSize").unwrap().parse().unwrap();
        let page: usize = request.param("PageNumber").unwrap().parse().unwrap();
        let items: Vec<Value> = (0..count)
            .skip((page - 1) * size)
            .take(size)
            .map(|n| {
                let id = format!("{}{n:03}", &job_type[..2].to_lowercase());
                json!({
                    "DtsJobId": id,
                    "DtsJobName": format!("orders {job_type} #{n}"),
                    "DtsInstanceID": format!("dts{id}"),
                    "Status": if job_type == "SYNC" { "Synchronizing" } else { "Suspending" },
                    "DtsJobDirection": "Forward",
                    "ReverseJob": (job_type == "SYNC" && n == 0).then(|| json!({"Status": "Suspending", "DtsJobDirection": "Reverse"})),
                })
            })
            .collect();
        ok(&json!({"DtsJobList": items, "TotalRecordCount": count, "PageNumber": page}))
    }
}

#[tokio::test]
async fn a_listing_of_95_dts_jobs_takes_one_request_per_page_of_each_type() {
    let responder =
        Responder::start(dts_listing_world([("MIGRATION", 40), ("SYNC", 35), ("SUBSCRIBE", 20)]))
            .await;
    let listed = client(&responder).list(&listing(Listing::AlibabaDtsJobs)).await.unwrap();

    assert_eq!(listed.len(), 95);
    // ⌈40/30⌉ + ⌈35/30⌉ + ⌈20/30⌉ pages.
    let requests = responder.requests();
    assert_eq!(requests.len(), 2 + 2 + 1);
    assert!(requests.iter().all(|r| r.param("PageSize") == Some("30")));
    let two_way = listed.iter().find(|job| job.id == "sy000").unwrap();
    assert_eq!(
        two_way,
        &ListedJob {
            kind: JobKind::AlibabaDts,
            id: "sy000".into(),
            name: "orders SYNC #0".into(),
            status: "Synchronizing".into(),
            reverse_status: Some("Suspending".into()),
            job_type: Some("SYNC".into()),
            instance_id: Some("dtssy000".into()),
            two_way: Some(true),
        }
    );
    let migration = listed.iter().find(|job| job.id == "mi039").unwrap();
    assert_eq!(
        (migration.job_type.as_deref(), migration.two_way),
        (Some("MIGRATION"), Some(false))
    );

    // One type, with the status filter the request carries.
    let responder =
        Responder::start(dts_listing_world([("MIGRATION", 0), ("SYNC", 35), ("SUBSCRIBE", 0)]))
            .await;
    let query = ListingQuery {
        job_type: Some("SYNC".into()),
        status: Some("Synchronizing".into()),
        ..listing(Listing::AlibabaDtsJobs)
    };
    assert_eq!(client(&responder).list(&query).await.unwrap().len(), 35);
    let requests = responder.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests
            .iter()
            .all(|r| r.param("JobType") == Some("SYNC")
                && r.param("Status") == Some("Synchronizing"))
    );
}

#[tokio::test]
async fn legacy_listings_list_every_page_and_pair_the_directions() {
    let responder = Responder::start(|request, _| {
        assert_signed(request);
        let page: usize = request.param("PageNum").unwrap().parse().unwrap();
        match request.param("Action").unwrap() {
            "DescribeMigrationJobs" => {
                let jobs: Vec<Value> = (0..75)
                    .skip((page - 1) * 30)
                    .take(30)
                    .map(|n| json!({"MigrationJobID": format!("dtsm{n}"), "MigrationJobName": format!("m{n}"), "MigrationJobStatus": "Migrating"}))
                    .collect();
                ok(&json!({"Success": "true", "TotalRecordCount": 75, "MigrationJobs": {"MigrationJob": jobs}}))
            }
            "DescribeSynchronizationJobs" => {
                let jobs: Vec<Value> = [("dtss0", "Forward", "Synchronizing"), ("dtss0", "Reverse", "Suspending"), ("dtss1", "Forward", "Synchronizing")]
                    .iter()
                    .map(|(id, direction, status)| json!({"SynchronizationJobId": id, "SynchronizationJobName": "s", "SynchronizationDirection": direction, "Status": status}))
                    .collect();
                ok(&json!({"TotalRecordCount": 3, "SynchronizationInstances": jobs}))
            }
            other => panic!("unexpected {other}"),
        }
    })
    .await;
    let client = client(&responder);

    let migrations = client.list(&listing(Listing::AlibabaMigrationJobs)).await.unwrap();
    assert_eq!(migrations.len(), 75);
    assert_eq!((migrations[74].id.as_str(), migrations[74].name.as_str()), ("dtsm74", "m74"));
    let synchronizations =
        client.list(&listing(Listing::AlibabaSynchronizationJobs)).await.unwrap();
    let summary: Vec<_> = synchronizations
        .iter()
        .map(|job| (job.id.as_str(), job.reverse_status.as_deref(), job.two_way))
        .collect();
    assert_eq!(summary, [("dtss0", Some("Suspending"), Some(true)), ("dtss1", None, None)]);
    // ⌈75/30⌉ + 1 pages.
    assert_eq!(responder.requests().len(), 3 + 1);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_listing_page_is_retried() {
    let world = dts_listing_world([("MIGRATION", 40), ("SYNC", 0), ("SUBSCRIBE", 0)]);
    let responder = Responder::start(move |request, n| {
        if request.param("PageNumber") == Some("2") && n < 3 {
            Reply::json(400, &json!({"RequestId": "t", "Code": "Throttling.User", "Message": "Request was denied due to user flow control."}))
                .header("x-acs-retry-after", "40")
        } else {
            world(request, n)
        }
    })
    .await;
    let query =
        ListingQuery { job_type: Some("MIGRATION".into()), ..listing(Listing::AlibabaDtsJobs) };
    let listed = client(&responder).list(&query).await.unwrap();
    assert_eq!(listed.len(), 40);
    assert!(responder.requests().len() > 2);
}

#[tokio::test]
async fn a_malformed_listing_page_is_an_error_naming_its_operation_and_request() {
    let responder = Responder::start(|request, _| {
        if request.param("PageNumber") == Some("2") {
            ok(&json!({"RequestId": "req-bad-page", "DtsJobList": [{"Status": "Migrating"}], "TotalRecordCount": 40}))
        } else {
            dts_listing_world([("MIGRATION", 40), ("SYNC", 0), ("SUBSCRIBE", 0)])(request, 0)
        }
    })
    .await;
    let query =
        ListingQuery { job_type: Some("MIGRATION".into()), ..listing(Listing::AlibabaDtsJobs) };
    let error = client(&responder).list(&query).await.unwrap_err();
    assert_eq!(
        (error.operation, error.request_id.as_deref()),
        ("DescribeDtsJobs", Some("req-bad-page"))
    );
    assert!(error.to_string().contains("DtsJobId"), "{error}");
}

#[tokio::test]
async fn a_query_the_wire_cannot_carry_is_refused_unsent() {
    let responder = Responder::start(|_, _| Reply::raw(599, "never asked")).await;
    let query = ListingQuery {
        status: Some("Synchronizing".into()),
        ..listing(Listing::AlibabaSynchronizationJobs)
    };
    let error = client(&responder).list(&query).await.unwrap_err();
    assert_eq!(error.code(), "jobform.Unsupported");
    let other_cloud = client(&responder).list(&listing(Listing::HuaweiDrsJobs)).await.unwrap_err();
    assert!(
        other_cloud.to_string().contains("not listed by the alibaba provider"),
        "{other_cloud}"
    );
    assert!(responder.requests().is_empty());
}
