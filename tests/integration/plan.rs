//! `jobform plan` against the emulator: the three renderings, exit codes,
//! narrowing, saved plans, and the number of requests a plan costs.

use jobform::render::plan_view::PlanView;
use jobform_emulator::{Emulator, World};

use crate::support::{Test, instant_emulator};

fn emulator() -> Emulator {
    Emulator::start(World::example()).expect("start the emulator")
}

#[test]
fn nothing_to_do_when_every_job_is_as_declared() {
    let emulator = emulator();
    jobform_snapshot!(Test::new().examples().emulated(&emulator).args(["plan", "--detailed-exitcode"]), @r#"
    exit_code: 0
    ----- stdout -----
    No changes. Every job is in its declared state (9 jobs).
    Plan: 0 to suspend, 0 to resume, 0 to stop, 0 blocked (0 requests).

    ----- stderr -----
    "#);
}

/// The comment of a pull request that changes nothing says so in words.
#[test]
fn markdown_without_changes_says_no_changes() {
    let emulator = emulator();
    let test = Test::new().examples().emulated(&emulator).args(["plan", "--format", "markdown"]);
    jobform_snapshot!(test, @r#"
    exit_code: 0
    ----- stdout -----
    ### jobform: 0 to suspend, 0 to resume, 0 to stop, 0 blocked (0 requests).

    No changes. Every job is in its declared state (9 jobs).


    ----- stderr -----
    "#);
}

#[test]
fn maintenance_plan_suspends_in_dependency_waves() {
    let emulator = emulator();
    let test = Test::new().examples().emulated(&emulator).args([
        "plan",
        "--var",
        "maintenance=true",
        "--detailed-exitcode",
    ]);
    jobform_snapshot!(test, @r#"
    exit_code: 2
    ----- stdout -----
    jobform will perform the following actions:

      ~ alibaba_dts.billing_migration will be suspended
          description: Billing: incremental migration to the new cluster
          "running" -> "suspended"  (live: Migrating)
          id k2n8x7c1vq90002 via alibaba

      ~ alibaba_dts.orders_sync will be suspended
          description: Orders: Hangzhou primary to the reporting replica
          "running" -> "suspended"  (live: Synchronizing)
          id l3m1213ye7l0001 via alibaba

      ~ alibaba_dts.orders_sync_reverse will be suspended
          "running" -> "suspended"  (live: Synchronizing)
          id l3m1213ye7l0001 via alibaba
          with direction = "reverse"

      ~ alibaba_migration.legacy_inventory will be suspended
          "running" -> "suspended"  (live: Migrating)
          id dtsj1x11y51g3b0004 via alibaba

      ~ alibaba_synchronization.legacy_reports will be suspended
          "running" -> "suspended"  (live: Synchronizing)
          id dtsmr1q4mc21520005 via alibaba

      ~ huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"] will be suspended
          description: EU replica 5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60
          "running" -> "suspended"  (live: INCRE_TRANSFER_STARTED)
          id 5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60 via huawei

      ~ huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"] will be suspended
          description: EU replica 8d0e8e36-a618-490d-8a46-8c61ac9bb502
          "running" -> "suspended"  (live: INCRE_TRANSFER_STARTED)
          id 8d0e8e36-a618-490d-8a46-8c61ac9bb502 via huawei

      ~ huawei_drs.eu_replica["c0ffee00-1234-4abc-8def-0123456789ab"] will be suspended
          description: EU replica c0ffee00-1234-4abc-8def-0123456789ab
          "running" -> "suspended"  (live: INCRE_TRANSFER_STARTED)
          id c0ffee00-1234-4abc-8def-0123456789ab via huawei

    Requests, in order:

      Wave 1
        SuspendDtsJobs via alibaba: alibaba_dts.billing_migration, alibaba_dts.orders_sync
        SuspendMigrationJob via alibaba: alibaba_migration.legacy_inventory
      Wave 2
        SuspendDtsJob via alibaba: alibaba_dts.orders_sync_reverse
        SuspendSynchronizationJob via alibaba: alibaba_synchronization.legacy_reports
        batch-pause-task via huawei: huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"], huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"], huawei_drs.eu_replica["c0ffee00-1234-4abc-8def-0123456789ab"]

    Plan: 8 to suspend, 0 to resume, 0 to stop, 0 blocked (5 requests).

    ----- stderr -----
    "#);
}

#[test]
fn markdown_for_a_pull_request() {
    let emulator = emulator();
    let test = Test::new().examples().emulated(&emulator).args([
        "plan",
        "--var",
        "maintenance=true",
        "--format",
        "markdown",
    ]);
    jobform_snapshot!(test, @r#"
    exit_code: 0
    ----- stdout -----
    ### jobform: 8 to suspend, 0 to resume, 0 to stop, 0 blocked (5 requests).

    <details><summary>Changes (8)</summary>

    ```diff
    ! alibaba_dts.billing_migration will be suspended
    !     description: Billing: incremental migration to the new cluster
    !     "running" -> "suspended"
    !     live: Migrating
    ! alibaba_dts.orders_sync will be suspended
    !     description: Orders: Hangzhou primary to the reporting replica
    !     "running" -> "suspended"
    !     live: Synchronizing
    ! alibaba_dts.orders_sync_reverse will be suspended
    !     "running" -> "suspended"
    !     live: Synchronizing
    !     with direction = "reverse"
    ! alibaba_migration.legacy_inventory will be suspended
    !     "running" -> "suspended"
    !     live: Migrating
    ! alibaba_synchronization.legacy_reports will be suspended
    !     "running" -> "suspended"
    !     live: Synchronizing
    ! huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"] will be suspended
    !     description: EU replica 5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60
    !     "running" -> "suspended"
    !     live: INCRE_TRANSFER_STARTED
    ! huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"] will be suspended
    !     description: EU replica 8d0e8e36-a618-490d-8a46-8c61ac9bb502
    !     "running" -> "suspended"
    !     live: INCRE_TRANSFER_STARTED
    ! huawei_drs.eu_replica["c0ffee00-1234-4abc-8def-0123456789ab"] will be suspended
    !     description: EU replica c0ffee00-1234-4abc-8def-0123456789ab
    !     "running" -> "suspended"
    !     live: INCRE_TRANSFER_STARTED
    ```

    </details>

    <details><summary>Requests (5)</summary>

    - wave 1: `SuspendDtsJobs` via alibaba, 2 jobs:
      - alibaba_dts.billing_migration
      - alibaba_dts.orders_sync
    - wave 1: `SuspendMigrationJob` via alibaba: alibaba_migration.legacy_inventory
    - wave 2: `SuspendDtsJob` via alibaba: alibaba_dts.orders_sync_reverse
    - wave 2: `SuspendSynchronizationJob` via alibaba: alibaba_synchronization.legacy_reports
    - wave 2: `batch-pause-task` via huawei, 3 jobs:
      - huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"]
      - huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"]
      - huawei_drs.eu_replica["c0ffee00-1234-4abc-8def-0123456789ab"]

    </details>


    ----- stderr -----
    "#);
}

#[test]
fn json_is_the_versioned_document() {
    let emulator = emulator();
    let outcome = Test::new()
        .examples()
        .emulated(&emulator)
        .args(["plan", "--var", "maintenance=true", "--json"])
        .run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    let view: PlanView = serde_json::from_str(&outcome.stdout).expect("deny_unknown_fields");
    assert_eq!(view.format_version, "1.0");
    assert!(view.applyable && view.has_changes);
    assert_eq!(view.summary.suspend, 8);
    assert_eq!(view.summary.blocked, 0);
    assert_eq!(view.waves.len(), 2, "dependents wait a wave: {:#?}", view.waves);
}

#[test]
fn a_plan_reads_in_bulk_never_one_request_per_job() {
    let emulator = emulator();
    let outcome = Test::new().examples().emulated(&emulator).args(["plan"]).run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    let mut operations: Vec<String> =
        emulator.journal().into_iter().map(|entry| entry.action).collect();
    operations.sort();
    insta::assert_debug_snapshot!(operations, @r#"
    [
        "DescribeDtsJobs",
        "DescribeDtsJobs",
        "DescribeDtsJobs",
        "DescribeMigrationJobs",
        "DescribeSynchronizationJobs",
        "batch-status",
    ]
    "#);
}

#[test]
fn target_narrows_the_plan_and_says_so() {
    let emulator = emulator();
    let test = Test::new().examples().emulated(&emulator).args([
        "plan",
        "--var",
        "maintenance=true",
        "--target",
        "huawei_drs.eu_replica",
        "--target",
        "alibaba_dts.orders_sync",
    ]);
    jobform_snapshot!(test, @r#"
    exit_code: 0
    ----- stdout -----
    jobform will perform the following actions:

      ~ alibaba_dts.orders_sync will be suspended
          description: Orders: Hangzhou primary to the reporting replica
          "running" -> "suspended"  (live: Synchronizing)
          id l3m1213ye7l0001 via alibaba

      ~ huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"] will be suspended
          description: EU replica 5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60
          "running" -> "suspended"  (live: INCRE_TRANSFER_STARTED)
          id 5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60 via huawei

      ~ huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"] will be suspended
          description: EU replica 8d0e8e36-a618-490d-8a46-8c61ac9bb502
          "running" -> "suspended"  (live: INCRE_TRANSFER_STARTED)
          id 8d0e8e36-a618-490d-8a46-8c61ac9bb502 via huawei

      ~ huawei_drs.eu_replica["c0ffee00-1234-4abc-8def-0123456789ab"] will be suspended
          description: EU replica c0ffee00-1234-4abc-8def-0123456789ab
          "running" -> "suspended"  (live: INCRE_TRANSFER_STARTED)
          id c0ffee00-1234-4abc-8def-0123456789ab via huawei

    Warnings:

      ! [partial_plan]: --target/--exclude narrowed this plan: jobs left out were neither read nor planned

    Requests, in order:

      Wave 1
        SuspendDtsJob via alibaba: alibaba_dts.orders_sync
      Wave 2
        batch-pause-task via huawei: huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"], huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"], huawei_drs.eu_replica["c0ffee00-1234-4abc-8def-0123456789ab"]

    Plan: 4 to suspend, 0 to resume, 0 to stop, 0 blocked (2 requests).

    ----- stderr -----
    "#);
    let bad = Test::new().examples().emulated(&emulator).args(["plan", "--target", "aws.x"]);
    jobform_snapshot!(bad, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid command line
    Invalid address in --target: `aws` is not a job kind (expected one of alibaba_dts, alibaba_migration, alibaba_synchronization, huawei_drs).
    "#);
}

#[test]
fn blocked_jobs_fail_the_plan_unless_skipped() {
    let emulator = emulator();
    let stop = r#"
        job "alibaba_synchronization" "legacy_reports_reverse" {
          id        = "dtsmr1q4mc21520005"
          state     = "suspended"
          direction = "reverse"
        }
        job "huawei_drs" "ghost" {
          id    = "00000000-0000-4000-8000-000000000000"
          state = "suspended"
        }
    "#;
    let test = Test::new().examples().file("extra.hcl", stop).emulated(&emulator);
    let outcome = jobform_snapshot!(test.args(["plan"]), @r#"
    exit_code: 1
    ----- stdout -----
    Blocked: nothing will be sent for these

      ! alibaba_synchronization.legacy_reports_reverse
          [reverse_requires_two_way] direction = "reverse" needs a two-way synchronization, but alibaba_synchronization dtsmr1q4mc21520005 has no reverse task

      ! huawei_drs.ghost
          [job_not_found] the cloud has no huawei_drs job with id 00000000-0000-4000-8000-000000000000 (declared at extra.hcl:6:1)

    Plan: 0 to suspend, 0 to resume, 0 to stop, 2 blocked (0 requests).

    Error: 2 jobs blocked: this plan cannot be applied. Fix them, narrow the plan with --target/--exclude, or pass --skip-blocked.

    ----- stderr -----
    "#);
    assert_eq!(outcome.code, Some(1));
    let skipped = Test::new()
        .examples()
        .file("extra.hcl", stop)
        .emulated(&emulator)
        .args(["plan", "--skip-blocked", "--json"])
        .run();
    assert_eq!(skipped.code, Some(0), "{}", skipped.stderr);
}

#[test]
fn saved_plans_show_like_plans() {
    let emulator = emulator();
    let test = Test::new().examples().emulated(&emulator).args([
        "plan",
        "--var",
        "maintenance=true",
        "--out",
        "maintenance.plan",
    ]);
    let outcome = test.run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert!(outcome.stdout.ends_with(
        "Saved the plan to maintenance.plan: apply it with `jobform apply maintenance.plan`.\n"
    ));
    let saved = outcome.read("maintenance.plan");
    for secret in ["jobform-example-secret", "jobform-example-sk"] {
        assert!(!saved.contains(secret), "a saved plan holds no secrets");
    }
    let shown =
        Test::new().file("maintenance.plan", &saved).args(["show", "maintenance.plan"]).run();
    assert_eq!(shown.code, Some(0), "{}", shown.stderr);
    let plan_body = outcome.stdout.split("\nSaved the plan").next().unwrap();
    assert_eq!(shown.stdout, plan_body);
}

#[test]
fn missing_credentials_are_named() {
    let emulator = emulator();
    let test = Test::new()
        .examples()
        .env("JOBFORM_VAR_alibaba_endpoint", emulator.url())
        .env("JOBFORM_VAR_huawei_endpoint", emulator.url())
        .args(["plan"]);
    jobform_snapshot!(test, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Missing credentials
    2 provider blocks cannot be used:
      providers.hcl:6:1: provider alibaba cannot be used: no credentials: set access_key_id and access_key_secret in the block, or the environment variables ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set); fix: give the block credentials, or set the environment variables named above
      providers.hcl:13:1: provider huawei cannot be used: no credentials: set auth_token, or access_key and secret_key, in the block, or the environment variables HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or HUAWEICLOUD_AUTH_TOKEN (none is set); fix: give the block credentials, or set the environment variables named above.
    "#);
}

#[test]
fn an_unreachable_api_fails_the_run_with_the_error() {
    let test = Test::new()
        .examples()
        .env("JOBFORM_VAR_alibaba_endpoint", "http://127.0.0.1:9")
        .env("JOBFORM_VAR_huawei_endpoint", "http://127.0.0.1:9")
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIjobformexample")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "jobform-example-secret")
        .env("HUAWEICLOUD_SDK_AK", "HWJOBFORMEXAMPLEAK01")
        .env("HUAWEICLOUD_SDK_SK", "jobform-example-sk")
        .args(["plan", "--var", "maintenance=true"]);
    let outcome = test.run();
    assert_eq!(outcome.code, Some(1));
    assert!(outcome.stderr.contains("cannot connect"), "{}", outcome.stderr);
    for secret in ["jobform-example-secret", "jobform-example-sk"] {
        assert!(!outcome.stdout.contains(secret) && !outcome.stderr.contains(secret));
    }
}

/// A stop, a resume inside a closing restart window, and a DRS pause with
/// `pause_mode = "all"`: the sections of a plan that ask for a second look.
/// A world for the review flow: a job paused 5h 19m 30s ago by jobform (its
/// restart window closes within the hour), a stop, a job that drifted (the
/// last apply paused it, it runs again), and a job with a 60-character
/// address. Returns the emulator too, which must outlive the runs.
fn review_world() -> (Test, Emulator) {
    let paused_since =
        time::OffsetDateTime::now_utc() - time::Duration::seconds(5 * 3600 + 19 * 60 + 30);
    let since = paused_since.format(&time::format_description::well_known::Rfc3339).unwrap();
    let mut world = World::example();
    let billing = world.alibaba.jobs.iter_mut().find(|job| job.id == "k2n8x7c1vq90002").unwrap();
    "Suspending".clone_into(&mut billing.status);
    let emulator = Emulator::start(world).unwrap();
    let config = r#"
        provider "alibaba" {
          region = "cn-hangzhou"
        }
        provider "huawei" {
          region     = "ap-southeast-1"
          project_id = "054ba152d480d55b2f5dc0069e7ddef0"
        }
        job "alibaba_dts" "billing_migration" {
          id          = "k2n8x7c1vq90002"
          state       = "running"
          description = "Billing: incremental migration to the new cluster"
        }
        job "alibaba_migration" "legacy_inventory" {
          id         = "dtsj1x11y51g3b0004"
          state      = "stopped"
          allow_stop = true
        }
        job "huawei_drs" "eu" {
          id         = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
          state      = "suspended"
          pause_mode = "all"
        }
        job "huawei_drs" "eu_replica_of_the_orders_database_in_frankfurt_a" {
          id    = "5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"
          state = "suspended"
        }
    "#;
    let state = format!(
        r#"{{"format_version": 1, "jobform_version": "0.1.0", "serial": 1,
            "lineage": "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f", "audit": [],
            "jobs": {{"alibaba_dts.billing_migration": {{
              "kind": "alibaba_dts", "id": "k2n8x7c1vq90002", "provider": "alibaba", "direction": "forward",
              "observed": {{"raw_status": "Suspending", "state": "suspended", "at": "{since}"}},
              "paused": {{"since": "{since}", "source": "jobform", "pause_mode": null}},
              "last_action": {{"verb": "suspend", "at": "{since}", "request_id": "r-1", "outcome": "succeeded"}}}},
            "huawei_drs.eu": {{
              "kind": "huawei_drs", "id": "8d0e8e36-a618-490d-8a46-8c61ac9bb502", "provider": "huawei", "direction": "forward",
              "observed": {{"raw_status": "PAUSED", "state": "suspended", "at": "{since}"}},
              "paused": {{"since": "{since}", "source": "jobform", "pause_mode": "all"}},
              "last_action": {{"verb": "suspend", "at": "{since}", "request_id": "r-2", "outcome": "succeeded"}}}}}}}}"#
    );
    let test = Test::new()
        .file("main.hcl", config)
        .file("state/jobform.state.json", &state)
        .emulated(&emulator)
        .env("JOBFORM_ALIBABA_ENDPOINT", emulator.url())
        .env("JOBFORM_HUAWEI_ENDPOINT", emulator.url());
    (test, emulator)
}

/// The seconds of the pause clock tick while a test runs: the snapshot keeps
/// the tens (5h 19m 3_s), so a slow machine does not fail it.
macro_rules! ticking_snapshot {
    ($test:expr, @$snapshot:literal) => {{
        let mut filters = crate::support::FILTERS.to_vec();
        filters.push((r"\b19m 3\ds", "19m 3_s"));
        filters.push((r"\b40m 2\ds", "40m 2_s"));
        let outcome = $test.run();
        insta::with_settings!({ filters => filters }, {
            insta::assert_snapshot!(outcome.snapshot(), @$snapshot);
        });
        outcome
    }};
}

#[test]
fn stops_and_deadlines_are_called_out() {
    let (test, _emulator) = review_world();
    ticking_snapshot!(test.args(["plan"]), @r#"
    exit_code: 0
    ----- stdout -----
    Note: jobs changed outside jobform since the last apply

      huawei_drs.eu: recorded "suspended" (PAUSED) at [TIME], now "running" (INCRE_TRANSFER_STARTED)

    jobform will perform the following actions:

      + alibaba_dts.billing_migration will be resumed
          description: Billing: incremental migration to the new cluster
          "suspended" -> "running"  (live: Suspending, paused 5h 19m 3_s (since [TIME]))
          id k2n8x7c1vq90002 via alibaba

      ~ huawei_drs.eu will be suspended
          "running" -> "suspended"  (live: INCRE_TRANSFER_STARTED)
          id 8d0e8e36-a618-490d-8a46-8c61ac9bb502 via huawei
          with pause_mode = "all"

      ~ huawei_drs.eu_replica_of_the_orders_database_in_frankfurt_a will be suspended
          "running" -> "suspended"  (live: INCRE_TRANSFER_STARTED)
          id 5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60 via huawei

    Stops: these end the jobs for good

      - alibaba_migration.legacy_inventory
          "running" -> "stopped"  (live: Migrating)
          id dtsj1x11y51g3b0004 via alibaba

    Warnings:

      ! alibaba_dts.billing_migration [restart_window_closing]: paused for 5h 19m 3_s: resume within 40m 2_s or the task cannot be restarted (deadline [TIME])

    Requests, in order:

      Wave 1
        StartDtsJob via alibaba: alibaba_dts.billing_migration
        StopMigrationJob via alibaba: alibaba_migration.legacy_inventory
        batch-pause-task via huawei: huawei_drs.eu, huawei_drs.eu_replica_of_the_orders_database_in_frankfurt_a

    Plan: 2 to suspend, 1 to resume, 1 to stop, 0 blocked (3 requests).

    ----- stderr -----
    "#);
}

/// The pull-request comment: drift and deadlines unfolded as GitHub alerts,
/// each action in its diff colour, no line of the diff block wider than a
/// comment for a 60-character address; read back with a CommonMark parser.
#[test]
fn the_markdown_plan_is_the_review() {
    let (test, _emulator) = review_world();
    let outcome = ticking_snapshot!(test.args(["plan", "--format", "markdown"]), @r#"
    exit_code: 0
    ----- stdout -----
    ### jobform: 2 to suspend, 1 to resume, 1 to stop, 0 blocked (3 requests).

    > [!IMPORTANT]
    > Changed outside jobform since the last apply (this plan puts them back):
    > - huawei_drs.eu: recorded "suspended" (PAUSED) at [TIME], now "running" (INCRE_TRANSFER_STARTED)

    > [!CAUTION]
    > Stops and blocked jobs:
    > - **stop** `alibaba_migration.legacy_inventory`: ends the job for good

    > [!WARNING]
    > Warnings and deadlines:
    > - alibaba_dts.billing_migration [restart_window_closing]: paused for 5h 19m 3_s: resume within 40m 2_s or the task cannot be restarted (deadline [TIME])

    <details><summary>Changes (4)</summary>

    ```diff
    + alibaba_dts.billing_migration will be resumed
    +     description: Billing: incremental migration to the new cluster
    +     "suspended" -> "running"
    +     live: Suspending, paused 5h 19m 3_s (since [TIME])
    - alibaba_migration.legacy_inventory will be stopped
    -     "running" -> "stopped"
    -     live: Migrating
    ! huawei_drs.eu will be suspended
    !     "running" -> "suspended"
    !     live: INCRE_TRANSFER_STARTED
    !     with pause_mode = "all"
    ! huawei_drs.eu_replica_of_the_orders_database_in_frankfurt_a will be suspended
    !     "running" -> "suspended"
    !     live: INCRE_TRANSFER_STARTED
    ```

    </details>

    <details><summary>Requests (3)</summary>

    - wave 1: `StartDtsJob` via alibaba: alibaba_dts.billing_migration
    - wave 1: `StopMigrationJob` via alibaba: alibaba_migration.legacy_inventory
    - wave 1: `batch-pause-task` via huawei, 2 jobs:
      - huawei_drs.eu
      - huawei_drs.eu_replica_of_the_orders_database_in_frankfurt_a

    </details>


    ----- stderr -----
    "#);
    let markdown = &outcome.stdout;
    let events = crate::escaping::parse(markdown);
    let alerts: Vec<String> = events
        .iter()
        .filter_map(|event| match event {
            pulldown_cmark::Event::Start(pulldown_cmark::Tag::BlockQuote(Some(kind))) => {
                Some(format!("{kind:?}"))
            }
            _ => None,
        })
        .collect();
    assert_eq!(alerts, ["Important", "Caution", "Warning"], "{markdown}");
    let folded = markdown.find("<details>").unwrap();
    for unfolded in ["> [!IMPORTANT]", "> [!WARNING]", "(deadline "] {
        assert!(markdown.find(unfolded).unwrap() < folded, "{unfolded} folded in {markdown}");
    }
    let diff = markdown.split("```diff\n").nth(1).unwrap().split("```").next().unwrap();
    let widest = diff.lines().map(|line| line.chars().count()).max().unwrap();
    assert!(widest <= 100, "{widest} characters wide:\n{diff}");
}

/// A job found paused with nothing recorded: its pause clock starts now,
/// which reads "just now", not "at least 0s".
#[test]
fn a_job_first_seen_paused_reads_just_now() {
    let (test, _emulator) = review_world();
    let test =
        test.args(["plan", "--state", "fresh.json", "--target", "alibaba_dts.billing_migration"]);
    jobform_snapshot!(test, @r#"
    exit_code: 0
    ----- stdout -----
    jobform will perform the following actions:

      + alibaba_dts.billing_migration will be resumed
          description: Billing: incremental migration to the new cluster
          "suspended" -> "running"  (live: Suspending, first seen paused just now (since [TIME]))
          id k2n8x7c1vq90002 via alibaba

    Warnings:

      ! [partial_plan]: --target/--exclude narrowed this plan: jobs left out were neither read nor planned

    Requests, in order:

      Wave 1
        StartDtsJob via alibaba: alibaba_dts.billing_migration

    Plan: 0 to suspend, 1 to resume, 0 to stop, 0 blocked (1 request).

    ----- stderr -----
    "#);
}

#[test]
fn dts_ids_are_asked_under_the_job_type_the_state_recorded() {
    let emulator = emulator();
    let refresh = Test::new()
        .examples()
        .emulated(&emulator)
        .args(["apply", "--refresh-only", "--auto-approve"])
        .run();
    assert_eq!(refresh.code, Some(0), "{}", refresh.stderr);
    emulator.clear_journal();

    let plan = Test::in_dir(&refresh).emulated(&emulator).args(["plan"]).run();
    assert_eq!(plan.code, Some(0), "{}", plan.stderr);
    // The state recorded `Migrating`, `Synchronizing` and `Normal`: each id
    // is asked under its own JobType only, so no filter names an id of
    // another type (without the state, MIGRATION is asked for all three).
    let filters: Vec<usize> = emulator
        .journal()
        .into_iter()
        .filter(|entry| entry.action == "DescribeDtsJobs")
        .map(|entry| entry.jobs.len())
        .collect();
    assert_eq!(filters, [1, 1, 1]);
}

#[test]
fn a_paused_synchronization_is_asked_under_the_job_type_recorded_when_it_was_paused() {
    let emulator = instant_emulator();
    let suspend = Test::new()
        .examples()
        .emulated(&emulator)
        .args(["apply", "--auto-approve", "--target", "alibaba_dts.orders_sync"])
        .args(["--var", "maintenance=true"])
        .run();
    assert_eq!(suspend.code, Some(0), "{}", suspend.stderr);
    assert_eq!(emulator.job_status("l3m1213ye7l0001").as_deref(), Some("Suspending"));
    let state: serde_json::Value =
        serde_json::from_str(&suspend.read("state/jobform.state.json")).unwrap();
    let observed = &state["jobs"]["alibaba_dts.orders_sync"]["observed"];
    assert_eq!(observed["raw_status"], "Suspending");
    assert_eq!(observed["job_type"], "SYNC");
    emulator.clear_journal();

    let plan = Test::in_dir(&suspend).emulated(&emulator).args(["plan"]).run();
    assert_eq!(plan.code, Some(0), "{}", plan.stderr);
    // `Suspending` names no JobType, the record does: the id is in one
    // listing filter (SYNC, where it is found), not first in an empty
    // MIGRATION probe.
    let asked = emulator
        .journal()
        .into_iter()
        .filter(|entry| entry.action == "DescribeDtsJobs")
        .filter(|entry| entry.jobs.iter().any(|id| id == "l3m1213ye7l0001"))
        .count();
    assert_eq!(asked, 1);
}
