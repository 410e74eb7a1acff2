//! Alibaba DTS and legacy actions: success, preconditions, parameters and authentication.

use std::time::Duration;

use jobform_emulator::{AlibabaAccount, Outcome};
use serde_json::json;
use time::OffsetDateTime;

use crate::support::*;

#[test]
fn describe_dts_jobs_lists_one_job_type_with_dts_field_names() {
    let emulator = start(example_world());
    let answer =
        ali(&emulator).call("DescribeDtsJobs", &[("JobType", "SYNC"), ("RegionId", "cn-hangzhou")]);
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let body = &answer.body;
    assert_eq!(body["Success"], json!(true));
    assert_eq!(body["HttpStatusCode"], json!(200));
    assert_eq!(body["TotalRecordCount"], json!(1));
    let job = &body["DtsJobList"][0];
    assert_eq!(job["DtsJobId"], SYNC_JOB);
    assert_eq!(job["DtsInstanceID"], "dtsl3m1213ye7l0001");
    assert_eq!(job["Status"], "Synchronizing");
    assert_eq!(job["DtsJobDirection"], "Forward");
    assert_eq!(job["ReverseJob"]["DtsJobDirection"], "Reverse");
    assert_eq!(job["ReverseJob"]["Status"], "Synchronizing");
    assert!(job["Delay"].is_i64());
    assert!(body["RequestId"].as_str().is_some_and(|id| id.len() == 36));

    // JobType defaults to MIGRATION; ids are comma-joined.
    let answer = ali(&emulator)
        .call("DescribeDtsJobs", &[("DtsJobId", &format!("{MIGRATION_JOB},{SYNC_JOB}"))]);
    let ids: Vec<_> = answer.body["DtsJobList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["DtsJobId"].clone())
        .collect();
    assert_eq!(ids, [json!(MIGRATION_JOB)]);
}

#[test]
fn describe_dts_jobs_pages_and_validates_page_size() {
    let mut world = example_world();
    let template = world.alibaba.jobs[1].clone();
    for n in 0..25 {
        let mut job = template.clone();
        job.id = format!("extra{n:02}");
        world.alibaba.jobs.push(job);
    }
    let emulator = start(world);
    let page2 = ali(&emulator).call("DescribeDtsJobs", &[("PageSize", "10"), ("PageNumber", "2")]);
    assert_eq!(page2.body["TotalRecordCount"], json!(26));
    assert_eq!(page2.body["PageRecordCount"], json!(10));
    assert_eq!(page2.body["PageNumber"], json!(2));
    let last = ali(&emulator).call("DescribeDtsJobs", &[("PageSize", "10"), ("PageNumber", "3")]);
    assert_eq!(last.body["PageRecordCount"], json!(6));

    let invalid = ali(&emulator).call("DescribeDtsJobs", &[("PageSize", "15")]);
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.body["Code"], "InvalidParameter");
    assert_eq!(invalid.body["ErrCode"], "InvalidParameter");
    assert_eq!(invalid.body["ErrMessage"], "The Value of Input Parameter %s is not valid.");
    assert_eq!(invalid.body["DynamicMessage"], "PageSize");
    assert_eq!(invalid.body["HttpStatusCode"], json!(400));
    assert_eq!(invalid.body["Success"], json!(false));
}

#[test]
fn suspend_dts_job_settles_after_the_transition_delay() {
    let mut world = example_world();
    world.transition_delay_seconds = 2;
    let emulator = start(world);
    let answer = ali(&emulator)
        .call("SuspendDtsJob", &[("DtsJobId", SYNC_JOB), ("DtsInstanceId", "dtsl3m1213ye7l0001")]);
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["Success"], json!(true));
    // The job keeps reporting its old status until the pause settles.
    assert_eq!(emulator.job_status(SYNC_JOB).as_deref(), Some("Synchronizing"));
    let busy = ali(&emulator).call("StopDtsJob", &[("DtsJobId", SYNC_JOB)]);
    assert_eq!(busy.body["ErrCode"], "OperationDenied.JobStatus");
    emulator.advance(Duration::from_secs(2));
    assert_eq!(emulator.job_status(SYNC_JOB).as_deref(), Some("Suspending"));
    assert_eq!(emulator.reverse_status(SYNC_JOB).as_deref(), Some("Synchronizing"));
    let journal = emulator.journal();
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[0].action, "SuspendDtsJob");
    assert_eq!(journal[0].jobs, [SYNC_JOB]);
    assert_eq!(journal[0].outcome, Outcome::Accepted);
    assert!(journal[0].took_effect);
    assert_eq!(journal[1].outcome, Outcome::Rejected { code: "OperationDenied.JobStatus".into() });
}

#[test]
fn reverse_direction_exists_only_on_two_way_jobs() {
    let emulator = start(example_world());
    let answer = ali(&emulator)
        .call("SuspendDtsJob", &[("DtsJobId", SYNC_JOB), ("SynchronizationDirection", "Reverse")]);
    assert_eq!(answer.status, 200);
    assert_eq!(emulator.reverse_status(SYNC_JOB).as_deref(), Some("Suspending"));
    assert_eq!(emulator.job_status(SYNC_JOB).as_deref(), Some("Synchronizing"));
    let one_way = ali(&emulator).call(
        "SuspendDtsJob",
        &[("DtsJobId", MIGRATION_JOB), ("SynchronizationDirection", "Reverse")],
    );
    assert_eq!(one_way.status, 400);
    assert_eq!(one_way.body["DynamicMessage"], "SynchronizationDirection");
    let detail = ali(&emulator).call(
        "DescribeDtsJobDetail",
        &[("DtsJobId", SYNC_JOB), ("SynchronizationDirection", "Reverse")],
    );
    assert_eq!(detail.body["Status"], "Suspending");
    assert_eq!(detail.body["DtsInstanceID"], "dtsl3m1213ye7l0001");
    assert_eq!(detail.body["Success"], json!(true));
    // Asking a one-way job for its reverse task is a parameter error, and
    // the emulator goes on answering.
    let one_way_detail = ali(&emulator).call(
        "DescribeDtsJobDetail",
        &[("DtsJobId", MIGRATION_JOB), ("SynchronizationDirection", "Reverse")],
    );
    assert_eq!((one_way_detail.status, one_way_detail.code()), (400, "InvalidParameter"));
    assert_eq!(one_way_detail.body["DynamicMessage"], "SynchronizationDirection");
    let after = ali(&emulator).call("DescribeDtsJobDetail", &[("DtsJobId", MIGRATION_JOB)]);
    assert_eq!(after.status, 200);
}

#[test]
fn suspending_a_subscribe_job_succeeds_and_changes_nothing() {
    let emulator = start(example_world());
    let answer = ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", SUBSCRIBE_JOB)]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["Success"], json!(true));
    assert_eq!(emulator.job_status(SUBSCRIBE_JOB).as_deref(), Some("Normal"));
    let entry = &emulator.journal()[0];
    assert_eq!(entry.outcome, Outcome::Accepted);
    assert!(!entry.took_effect);
}

#[test]
fn preconditions_refuse_with_dts_error_fields() {
    let emulator = start(example_world());
    assert_eq!(ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", MIGRATION_JOB)]).status, 200);
    let again = ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", MIGRATION_JOB)]);
    assert_eq!(again.status, 403);
    assert_eq!(again.body["ErrCode"], "OperationDenied.JobStatus");
    assert_eq!(
        again.body["ErrMessage"],
        "The operation is not allowed when the task status is %s."
    );
    assert_eq!(again.body["DynamicMessage"], "Suspending");
    assert_eq!(
        again.body["Message"],
        "The operation is not allowed when the task status is Suspending."
    );
    assert_eq!(again.body["HttpStatusCode"], json!(403));
    assert_eq!(again.body["Success"], json!(false));
    assert_eq!(emulator.job_status(MIGRATION_JOB).as_deref(), Some("Suspending"));

    assert_eq!(ali(&emulator).call("StopDtsJob", &[("DtsJobId", MIGRATION_JOB)]).status, 200);
    assert_eq!(emulator.job_status(MIGRATION_JOB).as_deref(), Some("Finished"));
    let start_ended = ali(&emulator).call("StartDtsJob", &[("DtsJobId", MIGRATION_JOB)]);
    assert_eq!(start_ended.body["DynamicMessage"], "Finished");

    let unknown = ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", "nosuchjob")]);
    assert_eq!((unknown.status, unknown.body["DynamicMessage"].as_str()), (400, Some("DtsJobId")));
    let wrong_instance = ali(&emulator)
        .call("SuspendDtsJob", &[("DtsJobId", SYNC_JOB), ("DtsInstanceId", "dtsother")]);
    assert_eq!(wrong_instance.body["DynamicMessage"], "DtsInstanceId");
    let missing = ali(&emulator).call("SuspendDtsJob", &[]);
    assert_eq!(missing.status, 400);
    assert_eq!(missing.body["Code"], "MissingDtsJobId");
    assert_eq!(missing.body["ErrCode"], "MissingParameter");
    assert_eq!(missing.body["DynamicMessage"], "DtsJobId");
    let region =
        ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", SYNC_JOB), ("RegionId", "mars-1")]);
    assert_eq!(region.body["Code"], "InvalidRegionId");
}

#[test]
fn batch_forms_act_on_all_ids_or_none() {
    let mut world = example_world();
    world.max_batch_ids = 2;
    let emulator = start(world);
    let unknown =
        ali(&emulator).call("SuspendDtsJobs", &[("DtsJobIds", &format!("{SYNC_JOB},nosuchjob"))]);
    assert_eq!((unknown.status, unknown.body["DynamicMessage"].as_str()), (400, Some("DtsJobIds")));
    assert_eq!(emulator.job_status(SYNC_JOB).as_deref(), Some("Synchronizing"));
    let too_many = ali(&emulator).call(
        "SuspendDtsJobs",
        &[("DtsJobIds", &format!("{SYNC_JOB},{MIGRATION_JOB},{SUBSCRIBE_JOB}"))],
    );
    assert_eq!(
        (too_many.status, too_many.body["DynamicMessage"].as_str()),
        (400, Some("DtsJobIds"))
    );
    let both = ali(&emulator)
        .call("SuspendDtsJobs", &[("DtsJobIds", &format!("{SYNC_JOB},{MIGRATION_JOB}"))]);
    assert_eq!(both.body["Success"], json!(true));
    assert_eq!(emulator.job_status(SYNC_JOB).as_deref(), Some("Suspending"));
    assert_eq!(emulator.job_status(MIGRATION_JOB).as_deref(), Some("Suspending"));
    assert_eq!(emulator.journal()[2].jobs, [SYNC_JOB, MIGRATION_JOB]);
    let resumed = ali(&emulator)
        .call("StartDtsJobs", &[("DtsJobIds", &format!("{SYNC_JOB},{MIGRATION_JOB}"))]);
    assert_eq!(resumed.status, 200);
    assert_eq!(emulator.job_status(MIGRATION_JOB).as_deref(), Some("Migrating"));
    let stopped = ali(&emulator).call("StopDtsJobs", &[("DtsJobIds", SYNC_JOB)]);
    assert_eq!(stopped.status, 200);
    assert_eq!(emulator.job_status(SYNC_JOB).as_deref(), Some("Finished"));
}

#[test]
fn legacy_migration_actions_use_string_success_and_honour_client_tokens() {
    let emulator = start(example_world());
    let list = ali(&emulator).call("DescribeMigrationJobs", &[("PageSize", "10")]);
    assert_eq!(list.body["Success"], json!("true"));
    let job = &list.body["MigrationJobs"]["MigrationJob"][0];
    assert_eq!(job["MigrationJobID"], LEGACY_MIGRATION);
    assert_eq!(job["MigrationJobStatus"], "Migrating");
    assert_eq!(job["DataSynchronization"]["status"], "Catched");

    let params = [("MigrationJobId", LEGACY_MIGRATION), ("ClientToken", "token-1")];
    let first = ali(&emulator).call("SuspendMigrationJob", &params);
    assert_eq!(first.body["Success"], json!("true"));
    let repeat = ali(&emulator).call("SuspendMigrationJob", &params);
    assert_eq!(repeat.status, 200, "a repeated token answers like the first call");
    assert_eq!(repeat.body["Success"], json!("true"));
    let effects: Vec<bool> =
        emulator.journal().iter().skip(1).map(|entry| entry.took_effect).collect();
    assert_eq!(effects, [true, false]);

    let status =
        ali(&emulator).call("DescribeMigrationJobStatus", &[("MigrationJobId", LEGACY_MIGRATION)]);
    assert_eq!(status.body["MigrationJobStatus"], "Suspending");
    assert_eq!(status.body["MigrationMode"]["dataSynchronization"], json!(true));
    let started = ali(&emulator).call("StartMigrationJob", &[("MigrationJobId", LEGACY_MIGRATION)]);
    assert_eq!(started.body["Success"], json!("true"));
    assert_eq!(emulator.job_status(LEGACY_MIGRATION).as_deref(), Some("Migrating"));
    let stopped = ali(&emulator).call(
        "StopMigrationJob",
        &[("MigrationJobId", LEGACY_MIGRATION), ("ClientToken", "token-2")],
    );
    assert_eq!(stopped.status, 200);
    assert_eq!(emulator.job_status(LEGACY_MIGRATION).as_deref(), Some("Finished"));
    let denied =
        ali(&emulator).call("SuspendMigrationJob", &[("MigrationJobId", LEGACY_MIGRATION)]);
    assert_eq!(denied.body["Success"], json!("false"));
    assert_eq!(denied.body["ErrCode"], "OperationDenied.JobStatus");
    let unknown = ali(&emulator).call("SuspendMigrationJob", &[("MigrationJobId", "dtsother")]);
    assert_eq!(
        unknown.body["DynamicMessage"],
        json!(null),
        "legacy errors carry no DynamicMessage"
    );
    assert_eq!(unknown.body["ErrCode"], "InvalidParameter");
    assert_eq!(
        unknown.body["ErrMessage"],
        "The Value of Input Parameter MigrationJobId is not valid."
    );
}

#[test]
fn a_client_token_reused_for_another_job_is_refused() {
    let mut world = example_world();
    let mut second = world.alibaba.jobs[3].clone();
    second.id = "dtsj1x11y51g3b0099".into();
    world.alibaba.jobs.push(second);
    let emulator = start(world);
    let first = ali(&emulator)
        .call("SuspendMigrationJob", &[("MigrationJobId", LEGACY_MIGRATION), ("ClientToken", "t")]);
    assert_eq!(first.status, 200);
    let reused = ali(&emulator).call(
        "SuspendMigrationJob",
        &[("MigrationJobId", "dtsj1x11y51g3b0099"), ("ClientToken", "t")],
    );
    assert_eq!((reused.status, reused.code()), (400, "IdempotentParameterMismatch"));
    assert_eq!(emulator.job_status("dtsj1x11y51g3b0099").as_deref(), Some("Migrating"));
}

#[test]
fn legacy_synchronization_listing_pages_through_tasks() {
    // Beside the example's one-way job: 12 two-way jobs, `pair_0` to `pair_11`.
    let mut world = example_world();
    let template = world.alibaba.jobs[4].clone();
    for index in 0..12 {
        let mut job = template.clone();
        job.id = format!("dtsmrpair{index:06}");
        job.name = Some(format!("pair_{index}"));
        job.topology = jobform_emulator::Topology::TwoWay;
        world.alibaba.jobs.push(job);
    }
    let emulator = start(world);
    let rows = |params: &[(&str, &str)]| {
        let answer = ali(&emulator).call("DescribeSynchronizationJobs", params);
        let rows: Vec<String> = answer.body["SynchronizationInstances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                let name = row["SynchronizationJobName"].as_str().unwrap();
                format!("{name}/{}", row["SynchronizationDirection"].as_str().unwrap())
            })
            .collect();
        assert_eq!(answer.body["PageRecordCount"], json!(rows.len()));
        (answer.body["TotalRecordCount"].clone(), rows)
    };
    // One row per task, a job's forward task before its reverse one.
    let (total, first) = rows(&[("PageSize", "10")]);
    assert_eq!(total, json!(25));
    assert_eq!(first[..3], ["legacy_reports/Forward", "pair_0/Forward", "pair_0/Reverse"]);
    let (_, third) = rows(&[("PageSize", "10"), ("PageNum", "3")]);
    let last_five = ["pair_9/Reverse", "pair_10/Forward", "pair_10/Reverse", "pair_11/Forward"];
    assert_eq!(third[..4], last_five);
    assert_eq!(third[4], "pair_11/Reverse");
    assert_eq!(rows(&[("PageSize", "10"), ("PageNum", "4")]), (json!(25), Vec::new()));
    // A name filter counts and pages the matching tasks only.
    let named = ["pair_1", "pair_10", "pair_11"]
        .into_iter()
        .flat_map(|name| [format!("{name}/Forward"), format!("{name}/Reverse")])
        .collect::<Vec<_>>();
    let filter = ("SynchronizationJobName", "pair_1");
    assert_eq!(rows(&[filter, ("PageSize", "10")]), (json!(6), named));
    assert_eq!(rows(&[filter, ("PageSize", "10"), ("PageNum", "2")]), (json!(6), Vec::new()));
}

#[test]
fn legacy_synchronization_actions() {
    let emulator = start(example_world());
    let list = ali(&emulator).call("DescribeSynchronizationJobs", &[]);
    assert_eq!(list.body.get("Success"), None, "this response has no Success field");
    let job = &list.body["SynchronizationInstances"][0];
    assert_eq!(job["SynchronizationJobId"], LEGACY_SYNC);
    assert_eq!(job["Status"], "Synchronizing");
    assert_eq!(job["DataInitialization"], "true");
    let paused =
        ali(&emulator).call("SuspendSynchronizationJob", &[("SynchronizationJobId", LEGACY_SYNC)]);
    assert_eq!(paused.body["Success"], json!("true"));
    let status = ali(&emulator)
        .call("DescribeSynchronizationJobStatus", &[("SynchronizationJobId", LEGACY_SYNC)]);
    assert_eq!(status.body["Status"], "Suspending");
    assert_eq!(status.body["Delay"], json!("0"));
    let reverse = ali(&emulator).call(
        "StartSynchronizationJob",
        &[("SynchronizationJobId", LEGACY_SYNC), ("SynchronizationDirection", "Reverse")],
    );
    assert_eq!(reverse.body["ErrCode"], "InvalidParameter");
    let started =
        ali(&emulator).call("StartSynchronizationJob", &[("SynchronizationJobId", LEGACY_SYNC)]);
    assert_eq!(started.status, 200);
    assert_eq!(emulator.job_status(LEGACY_SYNC).as_deref(), Some("Synchronizing"));
}

#[test]
fn get_query_and_post_form_requests_are_both_accepted() {
    let emulator = start(example_world());
    let mut get = ali(&emulator);
    get.method = "GET";
    assert_eq!(
        get.call("DescribeDtsJobs", &[("JobType", "SUBSCRIBE")]).body["TotalRecordCount"],
        json!(1)
    );
    let form = ali(&emulator).call_form("DescribeDtsJobDetail", &[("DtsJobId", SUBSCRIBE_JOB)]);
    assert_eq!(form.body["Status"], "Normal");
}

#[test]
fn every_v1_authentication_failure_has_its_code() {
    let emulator = start(example_world());
    let unknown_action = ali(&emulator).call("DeleteEverything", &[]);
    assert_eq!((unknown_action.status, unknown_action.code()), (404, "InvalidAction.NotFound"));
    assert_eq!(
        unknown_action.body.get("ErrCode"),
        None,
        "gateway errors carry gateway fields only"
    );

    let mut wrong_secret = ali(&emulator);
    wrong_secret.secret = "jobform-example-secreT".into();
    let mismatch = wrong_secret.call("DescribeDtsJobs", &[]);
    assert_eq!((mismatch.status, mismatch.code()), (400, "SignatureDoesNotMatch"));
    assert!(
        mismatch.body["Message"].as_str().unwrap().contains("server string to sign is:POST&%2F&")
    );

    let mut unknown_key = ali(&emulator);
    unknown_key.key = "LTAInobody".into();
    assert_eq!(unknown_key.call("DescribeDtsJobs", &[]).code(), "InvalidAccessKeyId.NotFound");

    let mut stale = ali(&emulator);
    stale.timestamp = OffsetDateTime::now_utc() - Duration::from_secs(16 * 60);
    let expired = stale.call("DescribeDtsJobs", &[]);
    assert_eq!((expired.status, expired.code()), (400, "InvalidTimeStamp.Expired"));

    let mut replay = ali(&emulator);
    replay.nonce = Some("same-nonce".into());
    assert_eq!(replay.call("DescribeDtsJobs", &[]).status, 200);
    assert_eq!(replay.call("DescribeDtsJobs", &[]).code(), "SignatureNonceUsed");

    let signed = ali(&emulator).signed_params("DescribeDtsJobs", &[]);
    let without_timestamp: Vec<_> =
        signed.iter().filter(|(k, _)| k != "Timestamp").cloned().collect();
    assert_eq!(ali(&emulator).send(&without_timestamp).code(), "MissingTimestamp");
    let mut bad_format = signed.clone();
    bad_format
        .iter_mut()
        .filter(|(k, _)| k == "Timestamp")
        .for_each(|(_, v)| *v = "yesterday".into());
    assert_eq!(ali(&emulator).send(&bad_format).code(), "InvalidTimeStamp.Format");
    let mut bad_version = signed.clone();
    bad_version
        .iter_mut()
        .filter(|(k, _)| k == "Version")
        .for_each(|(_, v)| *v = "2019-01-01".into());
    assert_eq!(ali(&emulator).send(&bad_version).code(), "InvalidVersion");
    let mut xml = signed.clone();
    xml.iter_mut().filter(|(k, _)| k == "Format").for_each(|(_, v)| *v = "XML".into());
    assert_eq!(ali(&emulator).send(&xml).code(), "InvalidParameter");
    let mut sha256 = signed.clone();
    sha256
        .iter_mut()
        .filter(|(k, _)| k == "SignatureMethod")
        .for_each(|(_, v)| *v = "HMAC-SHA256".into());
    assert_eq!(ali(&emulator).send(&sha256).code(), "IncompleteSignature");
    let mut tampered = signed;
    tampered.push(("DtsJobId".into(), SYNC_JOB.into()));
    assert_eq!(ali(&emulator).send(&tampered).code(), "SignatureDoesNotMatch");

    assert!(emulator.journal().iter().all(|entry| !entry.took_effect));
}

#[test]
fn sts_security_tokens_are_checked() {
    let mut world = example_world();
    world.alibaba.accounts.push(AlibabaAccount {
        access_key_id: "STS.key".into(),
        access_key_secret: "sts-secret".into(),
        security_token: Some("STS.tok/en+=".into()),
        security_token_expires_at: Some(OffsetDateTime::now_utc() + Duration::from_secs(3600)),
    });
    let emulator = start(world);
    let mut caller = ali(&emulator);
    caller.key = "STS.key".into();
    caller.secret = "sts-secret".into();
    assert_eq!(caller.call("DescribeDtsJobs", &[]).code(), "MissingSecurityToken");
    caller.token = Some("STS.other".into());
    assert_eq!(
        caller.call("DescribeDtsJobs", &[]).code(),
        "InvalidSecurityToken.MismatchWithAccessKey"
    );
    caller.token = Some("STS.tok/en+=".into());
    assert_eq!(caller.call("DescribeDtsJobs", &[]).status, 200);
    assert_eq!(caller.call_acs3("DescribeDtsJobs", &[]).status, 200);
    emulator.advance(Duration::from_secs(3601));
    let expired = caller.call("DescribeDtsJobs", &[]);
    assert_eq!((expired.status, expired.code()), (403, "InvalidSecurityToken.Expired"));
    let mut plain = ali(&emulator);
    plain.token = Some("STS.tok/en+=".into());
    assert_eq!(plain.call("DescribeDtsJobs", &[]).code(), "InvalidSecurityToken.Malformed");
}

#[test]
fn acs3_requests_are_verified() {
    let emulator = start(example_world());
    let params = [("DtsJobId", SYNC_JOB)];
    let ok = ali(&emulator).call_acs3("SuspendDtsJob", &params);
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(emulator.job_status(SYNC_JOB).as_deref(), Some("Suspending"));

    let caller = ali(&emulator);
    let mut tampered = caller.acs3_headers("StartDtsJob", &params);
    let last = tampered.len() - 1;
    tampered[last].1 = tampered[last].1.replace("Signature=", "Signature=0");
    assert_eq!(caller.send_acs3(&tampered, &params).code(), "SignatureDoesNotMatch");

    let mut unsigned = caller.acs3_headers("StartDtsJob", &params);
    unsigned.push(("x-acs-extra".into(), "not signed".into()));
    assert_eq!(caller.send_acs3(&unsigned, &params).code(), "IncompleteSignature");

    let mut no_nonce = caller.acs3_headers("StartDtsJob", &params);
    no_nonce.retain(|(name, _)| name != "x-acs-signature-nonce");
    assert_eq!(caller.send_acs3(&no_nonce, &params).code(), "MissingSignatureNonce");
    assert_eq!(emulator.job_status(SYNC_JOB).as_deref(), Some("Suspending"));
}
