//! `jobform apply` against the emulator: auto-approved and saved plans, the
//! confirmation, the lock, the state and audit log it writes, JSON events.

use jobform_emulator::{Emulator, Fault, FaultKind};

use crate::support::{Test, instant_emulator};

const STATE_PATH: &str = "state/jobform.state.json";

/// The state with its audit log, as `show --json` prints it.
fn state(outcome: &crate::support::Outcome) -> serde_json::Value {
    let shown = Test::in_dir(outcome).args(["show", "--json"]).run();
    assert_eq!(shown.code, Some(0), "{}", shown.stderr);
    serde_json::from_str(&shown.stdout).expect("the state is JSON")
}

#[test]
fn auto_approve_applies_the_maintenance_plan_and_records_it() {
    let emulator = instant_emulator();
    let test = Test::new().examples().emulated(&emulator).env("USER", "dba").args([
        "apply",
        "--var",
        "maintenance=true",
        "--auto-approve",
        "-m",
        "CHG-42 database upgrade",
    ]);
    let outcome = test.run();
    assert_eq!(outcome.code, Some(0), "{}\n{}", outcome.stdout, outcome.stderr);
    let progress =
        &outcome.stdout[outcome.stdout.find("Applying").expect("progress after the plan")..];
    insta::with_settings!({ filters => crate::support::FILTERS.to_vec() }, {
        insta::assert_snapshot!(sorted(progress), @r#"

        Apply complete: 8 suspended, 0 resumed, 0 stopped, 0 failed, 0 skipped.
        Applying 8 actions in 2 waves.
        Wave 1: re-read 3 jobs, acting on the unchanged ones.
        Wave 2: re-read 5 jobs, acting on the unchanged ones.
        alibaba_dts.billing_migration: suspended after [DURATION] (Suspending)
        alibaba_dts.billing_migration: suspending (SuspendDtsJobs, request [REQUEST_ID])
        alibaba_dts.orders_sync: suspended after [DURATION] (Suspending)
        alibaba_dts.orders_sync: suspending (SuspendDtsJobs, request [REQUEST_ID])
        alibaba_dts.orders_sync_reverse: suspended after [DURATION] (Suspending)
        alibaba_dts.orders_sync_reverse: suspending (SuspendDtsJob, request [REQUEST_ID])
        alibaba_migration.legacy_inventory: suspended after [DURATION] (Suspending)
        alibaba_migration.legacy_inventory: suspending (SuspendMigrationJob, request [REQUEST_ID])
        alibaba_synchronization.legacy_reports: suspended after [DURATION] (Suspending)
        alibaba_synchronization.legacy_reports: suspending (SuspendSynchronizationJob, request [REQUEST_ID])
        huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"]: suspended after [DURATION] (PAUSING)
        huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"]: suspending (batch-pause-task, request [REQUEST_ID])
        huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"]: suspended after [DURATION] (PAUSING)
        huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"]: suspending (batch-pause-task, request [REQUEST_ID])
        huawei_drs.eu_replica["c0ffee00-1234-4abc-8def-0123456789ab"]: suspended after [DURATION] (PAUSING)
        huawei_drs.eu_replica["c0ffee00-1234-4abc-8def-0123456789ab"]: suspending (batch-pause-task, request [REQUEST_ID])
        "#);
    });
    for id in ["l3m1213ye7l0001", "k2n8x7c1vq90002", "dtsj1x11y51g3b0004"] {
        assert_eq!(emulator.job_status(id).as_deref(), Some("Suspending"), "{id}");
    }
    let state = state(&outcome);
    let audit = state["audit"].as_array().unwrap();
    assert_eq!(audit.len(), 16, "an answer and a settled entry per action");
    assert!(
        audit
            .iter()
            .all(|e| e["message"] == "CHG-42 database upgrade" && e["who"]["user"] == "dba")
    );
    assert_eq!(
        state["jobs"]["alibaba_dts.orders_sync"]["paused"]["source"], "jobform",
        "the pause clock starts when jobform paused it"
    );

    // Everything is as declared now: nothing is sent, statuses are recorded.
    emulator.clear_journal();
    let again = Test::new().examples().emulated(&emulator).args([
        "apply",
        "--var",
        "maintenance=true",
        "--auto-approve",
    ]);
    jobform_snapshot!(again, @r#"
    exit_code: 0
    ----- stdout -----
    No changes. Every job is in its declared state (9 jobs).
    Plan: 0 to suspend, 0 to resume, 0 to stop, 0 blocked (0 requests).

    Applying 0 actions in 0 waves.

    Apply complete: 0 suspended, 0 resumed, 0 stopped, 0 failed, 0 skipped.

    ----- stderr -----
    "#);
    assert!(
        emulator
            .journal()
            .iter()
            .all(|e| e.action.starts_with("Describe") || e.action == "batch-status")
    );
}

/// The progress lines in a stable order (requests of a wave finish in any order).
fn sorted(progress: &str) -> String {
    let mut lines: Vec<&str> = progress.lines().collect();
    lines.sort_unstable();
    lines.join("\n")
}

#[test]
fn confirmation_is_refused_without_a_terminal() {
    let emulator = instant_emulator();
    let test =
        Test::new().examples().emulated(&emulator).args(["apply", "--var", "maintenance=true"]);
    let outcome = jobform_snapshot!(test, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid command line
    Apply asks for confirmation, but standard input is not a terminal. Pass --auto-approve, or save a plan with `jobform plan --out FILE` and run `jobform apply FILE`.
    "#);
    assert!(!outcome.path().join(STATE_PATH).exists());
    assert!(emulator.journal().is_empty(), "not even a read");
}

#[test]
fn a_saved_plan_is_applied_without_prompting_and_only_once() {
    let emulator = instant_emulator();
    let dir = Test::new().examples().emulated(&emulator).args([
        "plan",
        "--var",
        "maintenance=true",
        "--out",
        "maintenance.plan",
    ]);
    let planned = dir.run();
    assert_eq!(planned.code, Some(0), "{}", planned.stderr);
    let apply = dir_test(&planned, &emulator).args([
        "apply",
        "maintenance.plan",
        "--var",
        "maintenance=true",
        "--json",
    ]);
    let outcome = apply.run();
    assert_eq!(outcome.code, Some(0), "{}\n{}", outcome.stdout, outcome.stderr);
    let lines: Vec<serde_json::Value> =
        outcome.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["type"], "apply_start");
    assert_eq!(lines[0]["data"]["format_version"], "1.0");
    assert_eq!(lines.last().unwrap()["type"], "change_summary");
    assert_eq!(lines.last().unwrap()["data"]["suspended"], 8);
    assert_eq!(lines.iter().filter(|l| l["type"] == "apply_complete").count(), 8);

    // The state moved on: the same plan is refused.
    let again = dir_test(&outcome, &emulator).args([
        "apply",
        "maintenance.plan",
        "--var",
        "maintenance=true",
    ]);
    jobform_snapshot!(again, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: State changed since the plan
    maintenance.plan: the state changed since this plan was made (planned against no state, now lineage [UUID] serial 7); run `jobform plan` again.
    "#);
}

/// A new run in the working directory of `previous`.
fn dir_test(previous: &crate::support::Outcome, emulator: &Emulator) -> Test {
    Test::in_dir(previous).emulated(emulator)
}

#[test]
fn a_second_apply_is_refused_while_the_first_holds_the_lock() {
    let emulator = instant_emulator();
    let lock = r#"{"id": "9b1c5a7e-0000-4000-8000-000000000001", "operation": "apply",
        "who": "ops@other-host", "pid": 4242, "host": "other-host",
        "created": "2026-11-21T08:30:00Z", "version": "0.1.0"}"#;
    let test = Test::new()
        .examples()
        .emulated(&emulator)
        .file("state/jobform.state.json.lock", lock)
        .args(["apply", "--var", "maintenance=true", "--auto-approve"]);
    jobform_snapshot!(test, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: State locked
    The state is locked by ops@other-host (pid 4242, `jobform apply`, since [TIME], lock id [UUID]). Wait for it to finish (or pass --lock-timeout); if that process is gone, run `jobform force-unlock [UUID]`.
    "#);
    assert!(emulator.journal().is_empty());
}

#[test]
fn a_lost_answer_fails_its_job_and_dependents_and_exits_4() {
    let emulator = instant_emulator();
    emulator.inject(
        Fault::new(FaultKind::ServerError { status: 500 }).on_action("SuspendMigrationJob"),
    );
    let test = Test::new().examples().emulated(&emulator).args([
        "apply",
        "--var",
        "maintenance=true",
        "--auto-approve",
        "--json",
        // Also bounds how long the job with the lost answer is watched.
        "--wait-timeout",
        "2s",
    ]);
    let outcome = test.run();
    assert_eq!(outcome.code, Some(4), "partial success: {}", outcome.stderr);
    let errored: Vec<serde_json::Value> = outcome
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["type"] == "apply_errored")
        .map(|l| l["data"].clone())
        .collect();
    assert_eq!(errored.len(), 2, "{errored:#?}");
    let summary: serde_json::Value =
        serde_json::from_str(outcome.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        summary["data"]["message"],
        "Apply finished with errors: 6 suspended, 0 resumed, 0 stopped, 1 failed, 1 skipped."
    );
    assert_eq!(summary["data"]["status"], "partial");
    assert_eq!(errored[0]["address"], "alibaba_migration.legacy_inventory");
    assert_eq!(errored[0]["outcome"], "unknown");
    assert_eq!(errored[1]["address"], "alibaba_synchronization.legacy_reports");
    assert_eq!(errored[1]["reason"], "dependency_failed");
    let sent = emulator.journal().iter().filter(|e| e.action == "SuspendMigrationJob").count();
    assert_eq!(sent, 1, "never sent twice");
    let state = state(&outcome);
    assert_eq!(
        state["jobs"]["alibaba_migration.legacy_inventory"]["last_action"]["outcome"],
        "unknown"
    );
}

#[test]
fn refresh_only_records_the_observed_statuses_and_sends_nothing() {
    let emulator = instant_emulator();
    let test = Test::new().examples().emulated(&emulator).args([
        "apply",
        "--var",
        "maintenance=true",
        "--refresh-only",
        "--auto-approve",
    ]);
    let outcome = test.run();
    assert_eq!(outcome.code, Some(0), "{}\n{}", outcome.stdout, outcome.stderr);
    let progress = &outcome.stdout[outcome.stdout.find("Recording").expect("progress")..];
    insta::assert_snapshot!(progress, @"
    Recording the observed statuses (refresh only).

    Apply complete: 0 suspended, 0 resumed, 0 stopped, 0 failed, 0 skipped.
    ");
    assert!(emulator.journal().iter().all(|e| !e.took_effect));
    let state = state(&outcome);
    let jobs = state["jobs"].as_object().unwrap();
    assert_eq!(jobs.len(), 9);
    assert_eq!(jobs["alibaba_dts.orders_sync_reverse"]["observed"]["raw_status"], "Synchronizing");
    assert!(state["audit"].as_array().unwrap().is_empty(), "nothing was sent");
}

#[test]
fn the_first_ctrl_c_is_acknowledged_at_once_with_what_is_in_flight() {
    use std::io::Read;
    let emulator = instant_emulator();
    // The first wave's Alibaba request is held by the emulator until released:
    // in flight when Ctrl-C comes, however slow the machine.
    emulator
        .inject(Fault::new(FaultKind::Slow { delay_ms: 3_600_000 }).on_action("SuspendDtsJobs"));
    let test = Test::new().examples().emulated(&emulator).args([
        "apply",
        "--var",
        "maintenance=true",
        "--auto-approve",
    ]);
    let mut child = test.spawn_piped();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    crate::support::read_until(&mut stdout, "Wave 1:");
    crate::support::wait_until_held(&emulator, &mut child);
    let pid = child.id().to_string();
    let signalled = std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(signalled.success());
    let acknowledged = crate::support::read_until(&mut stderr, "Interrupt received");
    assert_eq!(
        acknowledged,
        "Interrupt received: no new requests; waiting for 1 request in flight (their answers \
         are recorded). Press Ctrl-C again to exit at once (exit status 130).\n"
    );
    emulator.release_held();
    let status = child.wait().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    // The request in flight was answered and recorded; the second wave never started.
    assert_eq!(status.code(), Some(4), "{rest}");
    assert!(rest.contains("Apply interrupted:"), "{rest}");
    assert!(!rest.contains("Wave 2:"), "{rest}");
}
