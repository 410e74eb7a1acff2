//! The state commands: `show`, `state list|show|rm`, `force-unlock`, and how
//! each meets a missing, locked, corrupt or newer state file.

use crate::support::Test;

const STATE: &str = r#"{
  "format_version": 1,
  "jobform_version": "0.1.0",
  "serial": 3,
  "lineage": "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f",
  "jobs": {
    "alibaba_dts.orders_sync": {
      "kind": "alibaba_dts",
      "id": "l3m1213ye7l0001",
      "provider": "alibaba",
      "direction": "forward",
      "observed": { "raw_status": "Suspending", "state": "suspended", "at": "2026-11-21T08:00:00Z" },
      "paused": { "since": "2026-11-21T07:59:00Z", "source": "jobform", "pause_mode": null },
      "last_action": { "verb": "suspend", "at": "2026-11-21T07:59:00Z", "request_id": "01B6F25-21E7", "outcome": "succeeded" }
    },
    "huawei_drs.eu_replica[\"5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60\"]": {
      "kind": "huawei_drs",
      "id": "5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60",
      "provider": "huawei",
      "direction": "forward",
      "observed": { "raw_status": "INCRE_TRANSFER_STARTED", "state": "running", "at": "2026-11-21T08:00:00Z" },
      "paused": null,
      "last_action": null
    },
    "huawei_drs.eu_replica[\"8d0e8e36-a618-490d-8a46-8c61ac9bb502\"]": {
      "kind": "huawei_drs",
      "id": "8d0e8e36-a618-490d-8a46-8c61ac9bb502",
      "provider": "huawei",
      "direction": "forward",
      "observed": { "raw_status": "PAUSING", "state": "suspended", "at": "2026-11-21T08:00:00Z" },
      "paused": { "since": "2026-11-20T22:00:00Z", "source": "first_seen", "pause_mode": null },
      "last_action": null
    }
  },
  "audit": [
    {
      "at": "2026-11-21T07:59:00Z",
      "who": { "user": "dba", "host": "db-admin-1", "ci": null },
      "message": "maintenance window",
      "address": "alibaba_dts.orders_sync",
      "job_id": "l3m1213ye7l0001",
      "verb": "suspend",
      "request_id": "01B6F25-21E7",
      "outcome": "succeeded",
      "detail": null
    }
  ]
}
"#;

const STATE_PATH: &str = "state/jobform.state.json";

fn with_state() -> Test {
    Test::new().file(STATE_PATH, STATE)
}

#[test]
fn show_without_a_state_says_so() {
    jobform_snapshot!(Test::new().args(["show"]), @"
    exit_code: 0
    ----- stdout -----
    No state: state/jobform.state.json does not exist yet. `jobform apply` writes it.

    ----- stderr -----
    ");
}

#[test]
fn show_renders_every_job_and_the_audit_log() {
    jobform_snapshot!(with_state().args(["show"]), @r#"
    exit_code: 0
    ----- stdout -----
    State: state/jobform.state.json (serial 3, lineage [UUID], written by jobform [VERSION])

    alibaba_dts.orders_sync
      id:          l3m1213ye7l0001
      provider:    alibaba
      direction:   forward
      observed:    suspended (Suspending) at [TIME]
      paused:      since [TIME] (paused by jobform)
      last action: suspend at [TIME]: succeeded, request 01B6F25-21E7

    huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"]
      id:          5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60
      provider:    huawei
      observed:    running (INCRE_TRANSFER_STARTED) at [TIME]

    huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"]
      id:          8d0e8e36-a618-490d-8a46-8c61ac9bb502
      provider:    huawei
      observed:    suspended (PAUSING) at [TIME]
      paused:      since [TIME] (first seen paused)

    Audit log: 1 action, the last suspend of alibaba_dts.orders_sync by dba@db-admin-1 at [TIME].

    ----- stderr -----
    "#);
}

#[test]
fn show_json_is_the_state_document() {
    let outcome = with_state().args(["show", "--json"]).run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    let shown: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
    let stored: serde_json::Value = serde_json::from_str(STATE).unwrap();
    assert_eq!(shown, stored);
}

#[test]
fn list_and_show_by_block_or_instance_address() {
    jobform_snapshot!(with_state().args(["state", "list"]), @r#"
    exit_code: 0
    ----- stdout -----
    alibaba_dts.orders_sync
    huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"]
    huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"]

    ----- stderr -----
    "#);
    jobform_snapshot!(with_state().args(["state", "show", "huawei_drs.eu_replica"]), @r#"
    exit_code: 0
    ----- stdout -----
    huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"]
      id:          5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60
      provider:    huawei
      observed:    running (INCRE_TRANSFER_STARTED) at [TIME]

    huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"]
      id:          8d0e8e36-a618-490d-8a46-8c61ac9bb502
      provider:    huawei
      observed:    suspended (PAUSING) at [TIME]
      paused:      since [TIME] (first seen paused)

    ----- stderr -----
    "#);
    jobform_snapshot!(with_state().args(["state", "show", "alibaba_dts.nope"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: No such job in the state
    The state has no job at alibaba_dts.nope.
    "#);
    jobform_snapshot!(with_state().args(["state", "show", "alibaba_ecs.x"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid command line
    `alibaba_ecs` is not a job kind (expected one of alibaba_dts, alibaba_migration, alibaba_synchronization, huawei_drs).
    "#);
}

#[test]
fn rm_forgets_records_bumps_the_serial_and_keeps_a_backup() {
    let outcome = jobform_snapshot!(
        with_state().args(["state", "rm", r#"huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"]"#]),
        @r#"
    exit_code: 0
    ----- stdout -----
    Removed huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"] (the job itself was not touched)

    ----- stderr -----
    "#
    );
    let after: serde_json::Value = serde_json::from_str(&outcome.read(STATE_PATH)).unwrap();
    assert_eq!(after["serial"], 4);
    assert_eq!(after["jobs"].as_object().unwrap().len(), 2);
    assert_eq!(after["audit"].as_array().unwrap().len(), 1, "the audit log is kept");
    let backup: serde_json::Value =
        serde_json::from_str(&outcome.read("state/jobform.state.json.backup")).unwrap();
    assert_eq!(backup["serial"], 3);
}

#[test]
fn rm_refuses_while_another_command_holds_the_lock() {
    let lock = r#"{"id": "9b1c5a7e-0000-4000-8000-000000000001", "operation": "apply",
        "who": "ops@other-host (github-actions acme/jobs run 7 by octocat)", "pid": 4242,
        "host": "other-host", "created": "2026-11-21T08:30:00Z", "version": "0.1.0"}"#;
    let test = with_state().file("state/jobform.state.json.lock", lock);
    let outcome = jobform_snapshot!(test.args(["state", "rm", "alibaba_dts.orders_sync"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: State locked
    The state is locked by ops@other-host (github-actions acme/jobs run 7 by octocat) (pid 4242, `jobform apply`, since [TIME], lock id [UUID]). Wait for it to finish (or pass --lock-timeout); if that process is gone, run `jobform force-unlock [UUID]`.
    "#);
    assert_eq!(outcome.read(STATE_PATH), STATE, "nothing was written");
}

#[test]
fn a_lock_left_by_a_dead_process_is_reported_stale_and_can_be_forced() {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let lock = format!(
        r#"{{"id": "9b1c5a7e-0000-4000-8000-000000000002", "operation": "apply", "who": "dba@this-host",
            "pid": 4294967295, "host": "{host}", "created": "2026-11-21T08:30:00Z", "version": "0.1.0"}}"#,
        host = host.trim()
    );
    let test = with_state().file("state/jobform.state.json.lock", &lock);
    let outcome = test.args(["state", "rm", "alibaba_dts.orders_sync"]).run();
    assert_eq!(outcome.code, Some(1));
    assert!(outcome.stderr.contains("that process is no longer running"), "{}", outcome.stderr);

    let test = with_state().file("state/jobform.state.json.lock", &lock);
    jobform_snapshot!(test.args(["force-unlock", "9b1c5a7e-0000-4000-8000-00000000dead"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Lock id does not match
    The lock id [UUID] does not match the current lock [UUID], held by dba@this-host since [TIME]; nothing was unlocked.
    "#);
    let test = with_state().file("state/jobform.state.json.lock", &lock);
    let outcome = test.args(["force-unlock", "9b1c5a7e-0000-4000-8000-000000000002"]).run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert!(!outcome.path().join("state/jobform.state.json.lock").exists());
}

#[test]
fn corrupt_truncated_and_newer_states_are_refused_and_left_alone() {
    let truncated = &STATE[..STATE.len() / 2];
    let outcome = jobform_snapshot!(Test::new().file(STATE_PATH, truncated).args(["state", "list"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Corrupt state file
    The state file state/jobform.state.json is corrupt: not valid JSON (control character (\u0000-\u001F) found while parsing a string at line 22 column 0)
    It was left untouched. Restore it from state/jobform.state.json.backup, or fix it by hand.
    "#);
    assert_eq!(outcome.read(STATE_PATH).trim_end(), truncated.trim_end());
    jobform_snapshot!(Test::new().file(STATE_PATH, "[1, 2]").args(["show"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Corrupt state file
    The state file state/jobform.state.json is corrupt: no `format_version` field
    It was left untouched. Restore it from state/jobform.state.json.backup, or fix it by hand.
    "#);
    let newer = STATE.replace("\"format_version\": 1", "\"format_version\": 2");
    jobform_snapshot!(Test::new().file(STATE_PATH, &newer).args(["show"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: State from a newer jobform
    The state file state/jobform.state.json has format version 2, but this jobform (0.1.0) reads up to version 1. Upgrade jobform to use it.
    "#);
}
