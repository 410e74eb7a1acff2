//! The admin API under `/_emulator/` and the `serve` entry point.

use jobform_emulator::World;
use serde_json::{Value, json};

use crate::support::*;

#[test]
fn the_admin_api_drives_clock_faults_and_journal() {
    let emulator = start(example_world());
    let base = format!("{}/_emulator", emulator.url());
    let before = emulator.now();
    let advanced: Value = http()
        .post(format!("{base}/clock"))
        .json(&json!({ "advance_seconds": 3600 }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let now = time::OffsetDateTime::parse(
        advanced["now"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(now - before >= time::Duration::hours(1));

    let fault = json!({ "kind": { "type": "server_error", "status": 503 }, "action": "DescribeDtsJobs", "times": 1 });
    assert_eq!(http().post(format!("{base}/faults")).json(&fault).send().unwrap().status(), 204);
    let listed: Value = http().get(format!("{base}/faults")).send().unwrap().json().unwrap();
    assert_eq!(listed[0]["kind"]["type"], "server_error");
    assert_eq!(ali(&emulator).call("DescribeDtsJobs", &[]).status, 503);

    let limit = json!({ "cloud": "alibaba", "action": "DescribeDtsJobs", "qps": 1 });
    assert_eq!(
        http().post(format!("{base}/rate-limits")).json(&limit).send().unwrap().status(),
        204
    );
    assert_eq!(ali(&emulator).call("DescribeDtsJobs", &[]).status, 200);
    assert_eq!(ali(&emulator).call("DescribeDtsJobs", &[]).code(), "Throttling.User");
    assert_eq!(http().delete(format!("{base}/rate-limits")).send().unwrap().status(), 204);

    let journal: Value = http().get(format!("{base}/journal")).send().unwrap().json().unwrap();
    let outcomes: Vec<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["outcome"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["fault", "accepted", "rejected"]);
    assert_eq!(journal[2]["outcome"]["code"], "Throttling.User");
    assert_eq!(journal[0]["cloud"], "alibaba");
    assert_eq!(http().delete(format!("{base}/journal")).send().unwrap().status(), 204);
    assert!(emulator.journal().is_empty());

    let jobs: Value = http().get(format!("{base}/jobs")).send().unwrap().json().unwrap();
    assert_eq!(jobs.as_array().unwrap().len(), 8);
    assert_eq!(jobs[0]["id"], SYNC_JOB);
    assert_eq!(jobs[0]["reverse_status"], "Synchronizing");
}

#[test]
fn serve_answers_a_hand_signed_request_with_the_example_world() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        runtime.block_on(jobform_emulator::serve(listener, World::example(), async {
            let _ = stopped.await;
        }));
    });
    let body = json!({ "jobs": DRS_JOBS, "page_req": { "cur_page": 1, "per_page": 0 } });
    let answer: Value = http()
        .post(format!("{url}/v3/{PROJECT}/jobs/batch-status"))
        .header("x-auth-token", HW_TOKEN)
        .json(&body)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(answer["count"], json!(3));
    stop.send(()).unwrap();
    server.join().unwrap();
}
