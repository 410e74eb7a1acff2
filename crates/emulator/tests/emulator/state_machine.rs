//! The pause rules of incremental tasks, driven by the emulated clock.

use std::time::Duration;

use serde_json::json;

use crate::support::*;

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn a_paused_incremental_task_restarts_within_six_hours() {
    let emulator = start(example_world());
    assert_eq!(ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", MIGRATION_JOB)]).status, 200);
    emulator.advance(Duration::from_secs(6 * 3600 - 60));
    let started = ali(&emulator).call("StartDtsJob", &[("DtsJobId", MIGRATION_JOB)]);
    assert_eq!(started.status, 200, "{:?}", started.body);
    assert_eq!(emulator.job_status(MIGRATION_JOB).as_deref(), Some("Migrating"));
}

#[test]
fn a_task_paused_longer_than_six_hours_cannot_be_restarted() {
    let emulator = start(example_world());
    assert_eq!(ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", MIGRATION_JOB)]).status, 200);
    emulator.advance(6 * HOUR + Duration::from_secs(1));
    let refused = ali(&emulator).call("StartDtsJob", &[("DtsJobId", MIGRATION_JOB)]);
    assert_eq!(refused.status, 403);
    assert_eq!(refused.body["ErrCode"], "OperationDenied.PauseExpired");
    assert_eq!(refused.body["DynamicMessage"], "6 hours");
    assert_eq!(emulator.job_status(MIGRATION_JOB).as_deref(), Some("Suspending"));

    let legacy =
        ali(&emulator).call("SuspendMigrationJob", &[("MigrationJobId", LEGACY_MIGRATION)]);
    assert_eq!(legacy.status, 200);
    emulator.advance(7 * HOUR);
    let refused = ali(&emulator).call("StartMigrationJob", &[("MigrationJobId", LEGACY_MIGRATION)]);
    assert_eq!(refused.body["ErrCode"], "OperationDenied.PauseExpired");
    assert_eq!(refused.body["Success"], json!("false"));
}

#[test]
fn a_task_paused_for_seven_days_fails() {
    let emulator = start(example_world());
    assert_eq!(ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", SYNC_JOB)]).status, 200);
    assert_eq!(ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", MIGRATION_JOB)]).status, 200);
    emulator.advance(Duration::from_secs(7 * 24 * 3600 - 1));
    assert_eq!(emulator.job_status(SYNC_JOB).as_deref(), Some("Suspending"));
    emulator.advance(Duration::from_secs(1));
    assert_eq!(emulator.job_status(SYNC_JOB).as_deref(), Some("Failed"));
    assert_eq!(emulator.reverse_status(SYNC_JOB).as_deref(), Some("Synchronizing"));
    let listed = ali(&emulator).call("DescribeDtsJobs", &[("DtsJobId", MIGRATION_JOB)]);
    assert_eq!(listed.body["DtsJobList"][0]["Status"], "MigrationFailed");
}

#[test]
fn full_only_tasks_have_no_pause_deadlines() {
    let mut world = example_world();
    world.alibaba.jobs[1].incremental = false;
    let emulator = start(world);
    assert_eq!(ali(&emulator).call("SuspendDtsJob", &[("DtsJobId", MIGRATION_JOB)]).status, 200);
    emulator.advance(8 * 24 * HOUR);
    assert_eq!(emulator.job_status(MIGRATION_JOB).as_deref(), Some("Suspending"));
    assert_eq!(ali(&emulator).call("StartDtsJob", &[("DtsJobId", MIGRATION_JOB)]).status, 200);
}

#[test]
fn a_world_can_start_with_a_job_paused_in_the_past() {
    let mut world = example_world();
    let start_time = time::macros::datetime!(2026-01-10 00:00 UTC);
    world.now = Some(start_time);
    world.alibaba.jobs[1].status = "Suspending".into();
    world.alibaba.jobs[1].paused_at = Some(start_time - 7 * HOUR);
    let emulator = start(world);
    let refused = ali(&emulator).call("StartDtsJob", &[("DtsJobId", MIGRATION_JOB)]);
    assert_eq!(refused.body["ErrCode"], "OperationDenied.PauseExpired");
    assert!(emulator.now() >= start_time);
}
