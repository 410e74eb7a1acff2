//! Huawei DRS v3 batch operations: per-item results, request errors and authentication.

use std::time::Duration;

use jobform_emulator::{HuaweiAccount, HuaweiJob, ItemError, Outcome, World};
use serde_json::json;
use time::OffsetDateTime;

use crate::support::*;

const UNKNOWN: &str = "00000000-0000-4000-8000-000000000000";

#[test]
fn batch_status_pages_and_reports_unknown_ids_per_item() {
    let emulator = start(example_world());
    let all = drs_statuses(&emulator, &[DRS_JOBS[0], DRS_JOBS[1], UNKNOWN]);
    assert_eq!(all.status, 200, "{:?}", all.body);
    assert_eq!(all.body["count"], json!(3));
    assert_eq!(
        all.body["results"][0],
        json!({ "id": DRS_JOBS[0], "status": "INCRE_TRANSFER_STARTED" })
    );
    assert_eq!(all.body["results"][2]["error_code"], "DRS.10000010");
    assert_eq!(all.body["results"][2]["error_message"], "Job does not exist, please check job ID.");
    assert!(all.headers.contains_key("x-request-id"));

    let page = json!({ "jobs": DRS_JOBS, "page_req": { "cur_page": 2, "per_page": 2 } });
    let second = hw(&emulator, &hw_token(), "POST", PROJECT, "batch-status", &page);
    assert_eq!(second.body["count"], json!(3));
    assert_eq!(second.body["results"].as_array().unwrap().len(), 1);
    assert_eq!(second.body["results"][0]["id"], DRS_JOBS[2]);

    let too_big = json!({ "jobs": DRS_JOBS, "page_req": { "cur_page": 1, "per_page": 101 } });
    assert_eq!(
        hw(&emulator, &hw_token(), "POST", PROJECT, "batch-status", &too_big).code(),
        "DRS.M00211"
    );
    let detail = hw(
        &emulator,
        &hw_token(),
        "POST",
        PROJECT,
        "batch-detail",
        &json!({ "jobs": [DRS_JOBS[0]] }),
    );
    assert_eq!(detail.body["results"][0]["name"], "eu_replica_a");
    assert_eq!(detail.body["results"][0]["status"], "INCRE_TRANSFER_STARTED");
    assert_eq!(detail.body["results"][0]["db_use_type"], "migration");
}

#[test]
fn pause_retry_and_terminate_follow_the_state_machine() {
    let mut world = example_world();
    world.transition_delay_seconds = 5;
    let emulator = start(world);
    let pause = json!({ "jobs": [
        { "job_id": DRS_JOBS[0], "pause_mode": "target" },
        { "job_id": UNKNOWN, "pause_mode": "all" },
    ]});
    let answer = hw(&emulator, &hw_aksk(), "POST", PROJECT, "batch-pause-task", &pause);
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["count"], json!(2));
    assert_eq!(answer.body["results"][0], json!({ "id": DRS_JOBS[0], "status": "success" }));
    assert_eq!(answer.body["results"][1]["status"], "failed");
    assert_eq!(answer.body["results"][1]["error_code"], "DRS.10000010");
    let entry = &emulator.journal()[0];
    assert_eq!(entry.action, "batch-pause-task");
    assert_eq!(entry.item_errors, [ItemError { job: UNKNOWN.into(), code: "DRS.10000010".into() }]);
    assert!(entry.took_effect);

    assert_eq!(emulator.job_status(DRS_JOBS[0]).as_deref(), Some("INCRE_TRANSFER_STARTED"));
    emulator.advance(Duration::from_secs(5));
    assert_eq!(emulator.job_status(DRS_JOBS[0]).as_deref(), Some("PAUSING"));
    let again = hw(&emulator, &hw_aksk(), "POST", PROJECT, "batch-pause-task", &pause);
    assert_eq!(again.body["results"][0]["error_code"], "DRS.10000001");

    let retry = json!({ "jobs": [{ "job_id": DRS_JOBS[0] }, { "job_id": DRS_JOBS[1] }] });
    let resumed = hw(&emulator, &hw_aksk(), "POST", PROJECT, "batch-retry-task", &retry);
    assert_eq!(resumed.body["results"][0]["status"], "success");
    assert_eq!(resumed.body["results"][1]["status"], "failed", "a running job cannot be retried");
    emulator.advance(Duration::from_secs(5));
    assert_eq!(emulator.job_status(DRS_JOBS[0]).as_deref(), Some("INCRE_TRANSFER_STARTED"));

    let terminate = json!({ "jobs": [{ "job_id": DRS_JOBS[2], "delete_type": "terminate" }] });
    let ended = hw(&emulator, &hw_aksk(), "DELETE", PROJECT, "batch-jobs", &terminate);
    assert_eq!(ended.body["results"][0]["status"], "success");
    assert_eq!(emulator.job_status(DRS_JOBS[2]).as_deref(), Some("RELEASE_RESOURCE_STARTED"));
    emulator.advance(Duration::from_secs(5));
    assert_eq!(emulator.job_status(DRS_JOBS[2]).as_deref(), Some("RELEASE_RESOURCE_COMPLETE"));
    let paused_ended = hw(
        &emulator,
        &hw_aksk(),
        "POST",
        PROJECT,
        "batch-pause-task",
        &json!({ "jobs": [{ "job_id": DRS_JOBS[2], "pause_mode": "all" }] }),
    );
    assert_eq!(paused_ended.body["results"][0]["status"], "failed");
    let delete = json!({ "jobs": [{ "job_id": DRS_JOBS[2], "delete_type": "delete" }] });
    assert_eq!(
        hw(&emulator, &hw_aksk(), "DELETE", PROJECT, "batch-jobs", &delete).body["results"][0]["status"],
        "success"
    );
    assert_eq!(emulator.job_status(DRS_JOBS[2]).as_deref(), Some("DELETED"));
}

#[test]
fn malformed_requests_are_refused_whole() {
    let mut world = example_world();
    world.max_batch_ids = 2;
    let emulator = start(world);
    let cases = [
        (json!({ "jobs": [] }), "DRS.M00201"),
        (json!({ "jobs": [{ "job_id": DRS_JOBS[0] }] }), "DRS.M00201"),
        (json!({ "jobs": [{ "job_id": DRS_JOBS[0], "pause_mode": "soon" }] }), "DRS.M00202"),
        (json!({ "jobs": [{ "job_id": "not-a-uuid", "pause_mode": "all" }] }), "DRS.M00202"),
        (
            json!({ "jobs": DRS_JOBS.iter().map(|id| json!({ "job_id": id, "pause_mode": "all" })).collect::<Vec<_>>() }),
            "DRS.M00202",
        ),
        (json!("not an object"), "DRS.M00202"),
    ];
    for (body, code) in cases {
        let answer = hw(&emulator, &hw_aksk(), "POST", PROJECT, "batch-pause-task", &body);
        assert_eq!((answer.status, answer.code()), (400, code), "{body}");
        assert!(answer.body["error_msg"].is_string());
    }
    // The batch limit caps actions; queries take up to the documented page size of 100.
    let ids = |n: usize| -> Vec<String> {
        (0..n).map(|i| format!("00000000-0000-4000-8000-{i:012}")).collect()
    };
    let query = |n| json!({ "jobs": ids(n), "page_req": { "cur_page": 1, "per_page": 100 } });
    let hundred = hw(&emulator, &hw_aksk(), "POST", PROJECT, "batch-status", &query(100));
    assert_eq!(hundred.status, 200, "{:?}", hundred.body);
    let over = hw(&emulator, &hw_aksk(), "POST", PROJECT, "batch-status", &query(101));
    assert_eq!((over.status, over.code()), (400, "DRS.M00202"));
    let delete = json!({ "jobs": [{ "job_id": DRS_JOBS[0], "delete_type": "vanish" }] });
    assert_eq!(
        hw(&emulator, &hw_aksk(), "DELETE", PROJECT, "batch-jobs", &delete).code(),
        "DRS.M00202"
    );
    assert!(
        DRS_JOBS
            .iter()
            .all(|id| emulator.job_status(id).as_deref() == Some("INCRE_TRANSFER_STARTED"))
    );
}

#[test]
fn authentication_failures_use_gateway_codes() {
    let mut world = example_world();
    world.huawei.accounts.push(HuaweiAccount {
        access_key: Some("HWTEMPORARYAK".into()),
        secret_key: Some("temporary-sk".into()),
        security_token: Some("sts-token".into()),
        auth_token: Some("expiring-token".into()),
        auth_token_expires_at: Some(OffsetDateTime::now_utc() + Duration::from_secs(60)),
    });
    let emulator = start(world);
    let body = json!({ "jobs": [DRS_JOBS[0]] });
    let status =
        |auth: &HwAuth, project: &str| hw(&emulator, auth, "POST", project, "batch-status", &body);

    let bad_token = status(&HwAuth::Token("forged".into()), PROJECT);
    assert_eq!((bad_token.status, bad_token.code()), (401, "APIGW.0301"));
    assert!(bad_token.body["request_id"].is_string());
    assert_eq!(status(&HwAuth::Token("expiring-token".into()), PROJECT).status, 200);
    emulator.advance(Duration::from_secs(61));
    let expired = status(&HwAuth::Token("expiring-token".into()), PROJECT);
    assert_eq!((expired.status, expired.code()), (401, "APIGW.0307"));

    let HwAuth::AkSk { date, .. } = hw_aksk() else { unreachable!() };
    let wrong_sk =
        HwAuth::AkSk { ak: HW_AK.into(), sk: "other".into(), security_token: None, date };
    assert_eq!(status(&wrong_sk, PROJECT).code(), "APIGW.0301");
    let stale = HwAuth::AkSk {
        ak: HW_AK.into(),
        sk: HW_SK.into(),
        security_token: None,
        date: date - Duration::from_secs(16 * 60),
    };
    assert_eq!(status(&stale, PROJECT).code(), "APIGW.0301");
    let temporary = |token: Option<&str>| HwAuth::AkSk {
        ak: "HWTEMPORARYAK".into(),
        sk: "temporary-sk".into(),
        security_token: token.map(str::to_owned),
        date,
    };
    assert_eq!(status(&temporary(None), PROJECT).code(), "APIGW.0301");
    assert_eq!(status(&temporary(Some("sts-token")), PROJECT).status, 200);

    let other_project = status(&hw_aksk(), "ffffffffffffffffffffffffffffffff");
    assert_eq!((other_project.status, other_project.code()), (403, "DRS.M00261"));
    let mismatched = http()
        .post(format!("{}/v3/{PROJECT}/jobs/batch-status", emulator.url()))
        .header("x-auth-token", HW_TOKEN)
        .header("x-project-id", "ffffffffffffffffffffffffffffffff")
        .body(body.to_string())
        .send()
        .unwrap();
    assert_eq!(mismatched.status().as_u16(), 403);
    let no_route = hw(&emulator, &hw_token(), "POST", PROJECT, "batch-explode", &body);
    assert_eq!((no_route.status, no_route.code()), (404, "APIGW.0101"));
    let rejected: Vec<_> = emulator
        .journal()
        .into_iter()
        .filter(|e| matches!(e.outcome, Outcome::Rejected { .. }))
        .collect();
    assert_eq!(rejected.len(), 8);
}

#[test]
fn a_job_declared_paused_resumes_in_its_task_stage() {
    let mut world = example_world();
    world.huawei.jobs[0].status = "PAUSING".into();
    world.huawei.jobs[0].task_type = "FULL_TRANS".into();
    let emulator = start(world);
    let retry = json!({ "jobs": [{ "job_id": DRS_JOBS[0] }] });
    let answer = hw(&emulator, &hw_token(), "POST", PROJECT, "batch-retry-task", &retry);
    assert_eq!(answer.body["results"][0]["status"], "success");
    assert_eq!(emulator.job_status(DRS_JOBS[0]).as_deref(), Some("FULL_TRANSFER_STARTED"));
}

#[test]
fn delete_types_have_their_own_preconditions() {
    let mut world = example_world();
    world.transition_delay_seconds = 5;
    let emulator = start(world);
    let delete = |job: &str, delete_type: &str| {
        let body = json!({ "jobs": [{ "job_id": job, "delete_type": delete_type }] });
        hw(&emulator, &hw_token(), "DELETE", PROJECT, "batch-jobs", &body).body["results"][0]
            .clone()
    };
    assert_eq!(
        delete(DRS_JOBS[0], "delete")["error_code"],
        "DRS.10000001",
        "a running job cannot be deleted"
    );
    assert_eq!(delete(DRS_JOBS[0], "roll_back_upgrade_active_standby")["status"], "failed");
    assert_eq!(delete(DRS_JOBS[0], "terminate")["status"], "success");
    assert_eq!(delete(DRS_JOBS[0], "terminate")["status"], "failed", "already ending");
    assert_eq!(delete(DRS_JOBS[1], "force_terminate")["status"], "success");
    assert_eq!(emulator.job_status(DRS_JOBS[1]).as_deref(), Some("RELEASE_RESOURCE_STARTED"));
}

/// The example world plus `count` DRS jobs of each `db_use_type`, every
/// third one paused and every fifth an Oracle job.
fn listing_world(counts: [(&str, usize); 3]) -> World {
    let mut world = example_world();
    let template = world.huawei.jobs[0].clone();
    for (use_type, count) in counts {
        for n in 0..count {
            world.huawei.jobs.push(HuaweiJob {
                id: format!("{n:08}-0000-4000-8000-{:012}", use_type.len()),
                name: Some(format!("{use_type}-{n}")),
                status: if n % 3 == 0 { "PAUSING" } else { "INCRE_TRANSFER_STARTED" }.into(),
                db_use_type: use_type.into(),
                engine_type: if n % 5 == 0 { "oracle-to-gaussdb" } else { "mysql" }.into(),
                ..template.clone()
            });
        }
    }
    world
}

fn show_job_list(emulator: &jobform_emulator::Emulator, body: &serde_json::Value) -> Answer {
    hw(emulator, &hw_aksk(), "POST", PROJECT, "", body)
}

#[test]
fn show_job_list_pages_one_db_use_type_with_its_total() {
    let emulator = start(listing_world([("migration", 150), ("sync", 70), ("cloudDataGuard", 30)]));
    let example_migrations =
        example_world().huawei.jobs.iter().filter(|job| job.db_use_type == "migration").count();
    let first = show_job_list(
        &emulator,
        &json!({ "db_use_type": "migration", "cur_page": 1, "per_page": 100 }),
    );
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["total_record"], json!(150 + example_migrations));
    assert_eq!(first.body["jobs"].as_array().unwrap().len(), 100);
    let job = &first.body["jobs"][0];
    assert_eq!(job["id"], DRS_JOBS[0]);
    assert_eq!(
        (job["name"].as_str(), job["db_use_type"].as_str()),
        (Some("eu_replica_a"), Some("migration"))
    );
    assert!(
        job["status"].is_string() && job["engine_type"] == "mysql" && job["job_action"].is_object()
    );
    let last = show_job_list(
        &emulator,
        &json!({ "db_use_type": "migration", "cur_page": 2, "per_page": 100 }),
    );
    assert_eq!(last.body["jobs"].as_array().unwrap().len(), 50 + example_migrations);
    let sync = show_job_list(&emulator, &json!({ "db_use_type": "sync" }));
    // per_page defaults to 10.
    assert_eq!(
        (sync.body["total_record"].clone(), sync.body["jobs"].as_array().unwrap().len()),
        (json!(70), 10)
    );

    let paused = show_job_list(
        &emulator,
        &json!({ "db_use_type": "sync", "per_page": 100, "status": "PAUSING" }),
    );
    assert_eq!(paused.body["total_record"], json!(24));
    assert!(paused.body["jobs"].as_array().unwrap().iter().all(|job| job["status"] == "PAUSING"));
    let oracle = show_job_list(
        &emulator,
        &json!({ "db_use_type": "cloudDataGuard", "engine_type": "oracle-to-gaussdb" }),
    );
    assert_eq!(oracle.body["total_record"], json!(6));
    let journal = emulator.journal();
    assert!(journal.iter().any(|entry| entry.action == "ShowJobList"));
}

#[test]
fn show_job_list_refuses_what_the_api_refuses() {
    let emulator = start(example_world());
    assert_eq!(show_job_list(&emulator, &json!({})).code(), "DRS.M00201");
    assert_eq!(show_job_list(&emulator, &json!({ "db_use_type": "replay" })).code(), "DRS.M00202");
    assert_eq!(
        show_job_list(&emulator, &json!({ "db_use_type": "sync", "per_page": 101 })).code(),
        "DRS.M00211"
    );
    assert_eq!(
        show_job_list(&emulator, &json!({ "db_use_type": "sync", "cur_page": 0, "per_page": 10 }))
            .code(),
        "DRS.M00210"
    );
}
