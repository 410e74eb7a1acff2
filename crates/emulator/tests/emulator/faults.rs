//! Injected faults, rate limits and the journal's account of them.

use std::time::{Duration, Instant};

use jobform_emulator::{Cloud, Fault, FaultKind, Outcome, RateLimit};
use serde_json::json;

use crate::support::*;

#[test]
fn a_server_error_answers_5xx_and_changes_nothing() {
    let emulator = start(example_world());
    emulator.inject(
        Fault::new(FaultKind::ServerError { status: 503 }).on_action("SuspendDtsJob").times(1),
    );
    let failed = ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", SYNC_JOB)]);
    assert_eq!((failed.status, failed.code()), (503, "ServiceUnavailable"));
    assert_eq!(emulator.job_status(SYNC_JOB).as_deref(), Some("Synchronizing"));
    assert_eq!(
        emulator.journal()[0].outcome,
        Outcome::Fault { kind: FaultKind::ServerError { status: 503 } }
    );
    assert_eq!(
        ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", SYNC_JOB)]).status,
        200,
        "times(1) fired once"
    );

    emulator.inject(Fault::new(FaultKind::ServerError { status: 500 }).on_cloud(Cloud::Huawei));
    let huawei = drs_statuses(&emulator, &DRS_JOBS);
    assert_eq!((huawei.status, huawei.code()), (500, "DRS.M00004"));
    assert_eq!(
        ali(&emulator).call("DescribeDtsJobs", &[]).status,
        200,
        "the fault targets Huawei only"
    );
}

#[test]
fn a_slow_fault_delays_then_succeeds() {
    let emulator = start(example_world());
    emulator.inject(Fault::new(FaultKind::Slow { delay_ms: 300 }).on_job(MIGRATION_JOB));
    let started = Instant::now();
    assert_eq!(ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", MIGRATION_JOB)]).status, 200);
    // A lower bound only: the delay happened; how much longer it took is the machine's business.
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(emulator.job_status(MIGRATION_JOB).as_deref(), Some("Suspending"));
    assert_eq!(emulator.held_requests(), 0);
}

#[test]
fn a_slow_fault_holds_only_its_own_job_until_released() {
    let emulator = start(example_world());
    // Longer than any test: only the release ends it.
    emulator.inject(Fault::new(FaultKind::Slow { delay_ms: 3_600_000 }).on_job(MIGRATION_JOB));
    let params = ali(&emulator).signed_params("SuspendDtsJob", &[("DtsJobId", MIGRATION_JOB)]);
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
    let url = format!("{}/?{}", emulator.url(), query.join("&"));
    // No client timeout either: the release, not a clock, ends the wait.
    let patient = reqwest::blocking::Client::builder().timeout(None).build().unwrap();
    // Its own thread, not a scoped one: should an assertion below fail, the
    // emulator is dropped, its connections closed, and this thread ends too.
    let slow = std::thread::spawn(move || patient.post(url).send().map(|answer| answer.status()));
    while emulator.held_requests() == 0 {
        assert!(!slow.is_finished(), "the slow request was answered without its delay");
        std::thread::yield_now();
    }
    assert_eq!(emulator.job_status(MIGRATION_JOB).as_deref(), Some("Migrating"));

    let quick = ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", SYNC_JOB)]);
    assert_eq!(quick.status, 200, "other jobs are not slowed");
    assert!(!slow.is_finished(), "answered while the slow request is still held");
    let journal = emulator.journal();
    assert_eq!(journal.len(), 1, "only the quick request has run: {journal:#?}");
    assert_eq!(
        (journal[0].jobs.as_slice(), journal[0].took_effect),
        ([SYNC_JOB.to_owned()].as_slice(), true)
    );

    // Over the admin API, as a script driving `jobform emulator serve` would.
    let held = format!("{}/_emulator/held", emulator.url());
    let counted: serde_json::Value = http().get(&held).send().unwrap().json().unwrap();
    assert_eq!(counted, json!({ "held": 1 }));
    assert_eq!(http().delete(&held).send().unwrap().status(), 204);
    let slow = slow.join().unwrap().unwrap();
    assert_eq!(slow, 200);
    assert_eq!(emulator.job_status(MIGRATION_JOB).as_deref(), Some("Suspending"));
    assert_eq!(emulator.held_requests(), 0);
}

#[test]
fn a_connection_reset_leaves_the_job_alone() {
    let emulator = start(example_world());
    emulator.inject(Fault::new(FaultKind::ConnectionReset).on_action("batch-pause-task"));
    let params = ali(&emulator).signed_params("DescribeDtsJobs", &[]);
    assert_eq!(ali(&emulator).send(&params).status, 200);
    let body = json!({ "jobs": [{ "job_id": DRS_JOBS[0], "pause_mode": "target" }] });
    let url = format!("{}/v3/{PROJECT}/jobs/batch-pause-task", emulator.url());
    let error = http()
        .post(url)
        .header("x-auth-token", HW_TOKEN)
        .body(body.to_string())
        .send()
        .unwrap_err();
    assert!(error.is_request() || error.is_connect() || error.is_body(), "{error:?}");
    assert_eq!(emulator.job_status(DRS_JOBS[0]).as_deref(), Some("INCRE_TRANSFER_STARTED"));
    let entry = emulator.journal().pop().unwrap();
    assert_eq!(
        (entry.outcome, entry.http_status, entry.took_effect),
        (Outcome::Fault { kind: FaultKind::ConnectionReset }, 0, false)
    );
}

#[test]
fn a_timeout_after_effect_changes_the_job_but_never_answers_in_time() {
    let emulator = start(example_world());
    emulator.inject(
        Fault::new(FaultKind::TimeoutAfterEffect { delay_ms: 3_000 }).on_action("SuspendDtsJob"),
    );
    let params = ali(&emulator).signed_params("SuspendDtsJob", &[("DtsJobId", SYNC_JOB)]);
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
    let client =
        reqwest::blocking::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let error = client.post(format!("{}/?{}", emulator.url(), query.join("&"))).send().unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(emulator.job_status(SYNC_JOB).as_deref(), Some("Suspending"));
    let entry = &emulator.journal()[0];
    assert!(entry.took_effect);
    assert_eq!(
        entry.outcome,
        Outcome::Fault { kind: FaultKind::TimeoutAfterEffect { delay_ms: 3_000 } }
    );
}

#[test]
fn a_malformed_body_follows_an_effective_action() {
    let emulator = start(example_world());
    emulator.inject(Fault::new(FaultKind::MalformedBody).on_action("batch-pause-task"));
    let body = json!({ "jobs": [{ "job_id": DRS_JOBS[1], "pause_mode": "all" }] });
    let answer = hw(&emulator, &hw_token(), "POST", PROJECT, "batch-pause-task", &body);
    assert_eq!(answer.status, 200);
    assert!(answer.body.is_string(), "the body is not JSON: {:?}", answer.body);
    assert_eq!(emulator.job_status(DRS_JOBS[1]).as_deref(), Some("PAUSING"));
}

fn fault_pattern(seed: u64) -> Vec<u16> {
    let mut world = example_world();
    world.seed = seed;
    let emulator = start(world);
    emulator.inject(Fault::new(FaultKind::ServerError { status: 503 }).with_probability(0.5));
    (0..16).map(|_| drs_statuses(&emulator, &DRS_JOBS).status).collect()
}

#[test]
fn probability_faults_repeat_with_the_seed() {
    let first = fault_pattern(7);
    assert_eq!(first, fault_pattern(7));
    assert!(first.contains(&200) && first.contains(&503), "{first:?}");
}

#[test]
fn rate_limits_throttle_with_the_real_errors() {
    let emulator = start(example_world());
    emulator.set_rate_limit(&RateLimit {
        cloud: Cloud::Alibaba,
        action: "DescribeDtsJobs".into(),
        qps: 1,
    });
    emulator.set_rate_limit(&RateLimit {
        cloud: Cloud::Huawei,
        action: "batch-status".into(),
        qps: 1,
    });
    assert_eq!(ali(&emulator).call("DescribeDtsJobs", &[]).status, 200);
    let throttled = ali(&emulator).call("DescribeDtsJobs", &[]);
    assert_eq!((throttled.status, throttled.code()), (400, "Throttling.User"));
    assert_eq!(throttled.body["Message"], "Request was denied due to user flow control.");
    let retry_after: u64 =
        throttled.headers["x-acs-retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=1000).contains(&retry_after));
    assert_eq!(
        ali(&emulator).call("DescribeDtsJobDetail", &[("DtsJobId", SYNC_JOB)]).status,
        200,
        "limits are per action"
    );

    assert_eq!(drs_statuses(&emulator, &DRS_JOBS).status, 200);
    let huawei = drs_statuses(&emulator, &DRS_JOBS);
    assert_eq!((huawei.status, huawei.code()), (429, "APIGW.0308"));
    emulator.clear_rate_limits();
    assert_eq!(drs_statuses(&emulator, &DRS_JOBS).status, 200);
}

#[test]
fn a_throttling_fault_refuses_like_a_rate_limit_and_does_nothing() {
    let emulator = start(example_world());
    emulator.inject(Fault::new(FaultKind::Throttled).times(2));
    let throttled = ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", SYNC_JOB)]);
    assert_eq!((throttled.status, throttled.code()), (400, "Throttling.User"));
    assert_eq!(throttled.headers["x-acs-retry-after"], "100");
    let huawei = drs_statuses(&emulator, &DRS_JOBS);
    assert_eq!((huawei.status, huawei.code()), (429, "APIGW.0308"));
    let journal = emulator.journal();
    assert!(journal.iter().all(|e| !e.took_effect), "{journal:#?}");
    assert!(
        journal.iter().all(
            |e| matches!(&e.outcome, Outcome::Rejected { code } if code.contains("Throttling") || code == "APIGW.0308")
        ),
        "{journal:#?}"
    );
    assert_eq!(drs_statuses(&emulator, &DRS_JOBS).status, 200, "spent after two hits");
}
