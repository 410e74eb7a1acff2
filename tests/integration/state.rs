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

    Audit log: 1 record, oldest first:
      [TIME]  suspend alibaba_dts.orders_sync: succeeded, request 01B6F25-21E7
          by dba@db-admin-1: "maintenance window"

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
    assert_eq!(after["format_version"], 3, "migrated on its first write");
    assert_eq!(after["jobs"].as_object().unwrap().len(), 2);
    assert!(after.get("audit").is_none(), "the audit log moved to a file of its own");
    let audit = outcome.read("state/jobform.state.json.audit");
    let entry: serde_json::Value = serde_json::from_str(audit.trim_end()).unwrap();
    let stored: serde_json::Value = serde_json::from_str(STATE).unwrap();
    assert_eq!(entry, stored["audit"][0], "the audit log is kept, entry for entry");
    assert_eq!(outcome.read("state/jobform.state.json.journal"), "", "compacted");
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
    let newer = STATE.replace("\"format_version\": 1", "\"format_version\": 4");
    jobform_snapshot!(Test::new().file(STATE_PATH, &newer).args(["show"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: State from a newer jobform
    The state file state/jobform.state.json has format version 4, but this jobform (0.1.0) reads up to version 3. Upgrade jobform to use it.
    "#);
}

/// The state files a run left, by name, under `dir` (recursively).
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_owned()
}

#[test]
fn an_empty_or_garbled_lock_is_reported_broken_and_force_unlock_removes_it() {
    // What a full disk leaves: the lock file created, nothing written in it.
    let test = with_state().file("state/jobform.state.json.lock", "");
    let outcome = jobform_snapshot!(test.args(["state", "rm", "alibaba_dts.orders_sync"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Broken state lock
    The state lock state/jobform.state.json.lock is broken (the file is empty): a command that crashed, or ran out of disk space, left it behind. If no jobform command is using this state, remove it with `jobform force-unlock broken`.
    ");
    assert_eq!(outcome.read(STATE_PATH), STATE, "nothing was written");
    let wrong =
        Test::in_dir(&outcome).args(["force-unlock", "9b1c5a7e-0000-4000-8000-000000000002"]);
    jobform_snapshot!(wrong, @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Broken state lock
    The state lock state/jobform.state.json.lock is broken (the file is empty): a command that crashed, or ran out of disk space, left it behind. If no jobform command is using this state, remove it with `jobform force-unlock broken`.
    ");
    jobform_snapshot!(Test::in_dir(&outcome).args(["force-unlock", "broken"]), @"
    exit_code: 0
    ----- stdout -----
    Unlocked state/jobform.state.json: removed the broken lock file.

    ----- stderr -----
    ");
    let rm = Test::in_dir(&outcome).args(["state", "rm", "alibaba_dts.orders_sync"]).run();
    assert_eq!(rm.code, Some(0), "the state is usable again: {}", rm.stderr);

    let test = with_state().file("state/jobform.state.json.lock", "{\"id\": \"9b1c5a7e");
    let outcome = test.args(["state", "rm", "alibaba_dts.orders_sync"]).run();
    assert!(outcome.stderr.contains("is broken (not a jobform lock: "), "{}", outcome.stderr);
    let unlock = Test::in_dir(&outcome).args(["force-unlock", "broken"]).run();
    assert_eq!(unlock.code, Some(0), "{}", unlock.stderr);
    assert!(!outcome.path().join("state/jobform.state.json.lock").exists());
}

#[test]
fn force_unlock_refuses_a_holder_alive_on_this_host_unless_forced() {
    // This test process is alive, on this host.
    let lock = format!(
        r#"{{"id": "9b1c5a7e-0000-4000-8000-000000000003", "operation": "apply", "who": "dba@this-host",
            "pid": {pid}, "host": "{host}", "created": "2026-11-21T08:30:00Z", "version": "0.1.0"}}"#,
        pid = std::process::id(),
        host = this_host()
    );
    let test = with_state().file("state/jobform.state.json.lock", &lock);
    let outcome = test.args(["force-unlock", "9b1c5a7e-0000-4000-8000-000000000003"]).run();
    assert_eq!(outcome.code, Some(1));
    assert!(
        outcome.stderr.contains(&format!(
            "is held by dba@this-host (pid {}, `jobform apply`), which is still running on this host",
            std::process::id()
        )) && outcome.stderr.contains("pass --force to unlock anyway"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.path().join("state/jobform.state.json.lock").exists());
    let forced = Test::in_dir(&outcome)
        .args(["force-unlock", "--force", "9b1c5a7e-0000-4000-8000-000000000003"])
        .run();
    assert_eq!(forced.code, Some(0), "{}", forced.stderr);
    assert!(!outcome.path().join("state/jobform.state.json.lock").exists());
}

#[test]
fn stale_temp_files_of_dead_writers_are_removed_by_the_next_command() {
    let test = with_state()
        .file("state/jobform.state.json.tmp-4294967295", "{\"half")
        .file("state/jobform.state.json.backup.tmp-4294967294", "")
        .file("state/notes.tmp-1", "not ours");
    let outcome = test.args(["state", "rm", "alibaba_dts.orders_sync"]).run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert_eq!(
        files_under(&outcome.path().join("state")),
        [
            "jobform.state.json",
            "jobform.state.json.audit",
            "jobform.state.json.backup",
            "jobform.state.json.journal",
            "notes.tmp-1"
        ]
    );
}

#[test]
fn a_symlinked_state_is_followed_and_its_files_sit_beside_the_target() {
    let test = Test::new().file("vault/current.json", STATE);
    std::fs::create_dir(test.path().join("state")).unwrap();
    std::os::unix::fs::symlink("../vault/current.json", test.path().join(STATE_PATH)).unwrap();
    // The lock beside the target is the one that counts.
    let lock = r#"{"id": "9b1c5a7e-0000-4000-8000-000000000001", "operation": "apply",
        "who": "ops@other-host", "pid": 4242, "host": "other-host",
        "created": "2026-11-21T08:30:00Z", "version": "0.1.0"}"#;
    let test = test.file("vault/current.json.lock", lock);
    let locked = test.args(["state", "rm", "alibaba_dts.orders_sync"]).run();
    assert!(locked.stderr.contains("The state is locked by ops@other-host"), "{}", locked.stderr);
    std::fs::remove_file(locked.path().join("vault/current.json.lock")).unwrap();

    let outcome = Test::in_dir(&locked).args(["state", "rm", "alibaba_dts.orders_sync"]).run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    let link = outcome.path().join(STATE_PATH);
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink(), "still a symlink");
    assert_eq!(files_under(&outcome.path().join("state")), ["jobform.state.json"]);
    assert_eq!(
        files_under(&outcome.path().join("vault")),
        ["current.json", "current.json.audit", "current.json.backup", "current.json.journal"]
    );
    let after: serde_json::Value =
        serde_json::from_str(&outcome.read("vault/current.json")).unwrap();
    assert_eq!(after["serial"], 4);
}

#[test]
fn replacing_the_state_keeps_its_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let test = with_state();
    let path = test.path().join(STATE_PATH);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let outcome = test.args(["state", "rm", "alibaba_dts.orders_sync"]).run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    let mode = |name: &str| {
        std::fs::metadata(outcome.path().join(name)).unwrap().permissions().mode() & 0o777
    };
    assert_eq!(mode(STATE_PATH), 0o600);
    assert_eq!(mode("state/jobform.state.json.backup"), 0o600, "the backup holds the same data");
}

#[test]
fn format_version_0_and_an_exhausted_serial_are_refused() {
    let zero = STATE.replace("\"format_version\": 1", "\"format_version\": 0");
    jobform_snapshot!(Test::new().file(STATE_PATH, &zero).args(["state", "list"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Corrupt state file
    The state file state/jobform.state.json is corrupt: `format_version` 0 is not a version jobform ever wrote
    It was left untouched. Restore it from state/jobform.state.json.backup, or fix it by hand.
    ");
    let last = STATE.replace("\"serial\": 3", "\"serial\": 18446744073709551615");
    let outcome = jobform_snapshot!(
        Test::new().file(STATE_PATH, &last).args(["state", "rm", "alibaba_dts.orders_sync"]),
        @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: State serial exhausted
    The state file state/jobform.state.json has reached the largest serial (18446744073709551615); nothing was written. Move it aside (another file or workspace) and run `jobform apply --refresh-only` to start a new lineage.
    "
    );
    assert_eq!(outcome.read(STATE_PATH), last, "nothing was written");
}

#[test]
fn a_torn_last_journal_record_is_dropped_and_a_damaged_one_refused_with_its_line() {
    // A version 2 state with a journal: what `state rm` leaves, plus one record.
    let first = with_state().args(["state", "rm", "alibaba_dts.orders_sync"]).run();
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let rm = Test::in_dir(&first).args(["state", "rm", "huawei_drs.eu_replica"]).run();
    assert_eq!(rm.code, Some(0), "{}", rm.stderr);
    let journal = rm.path().join("state/jobform.state.json.journal");
    let snapshot = rm.read(STATE_PATH);
    // A journal the compaction had not emptied yet, ending in a torn record.
    let record = r#"{"lineage":"5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f","serial":6,"changes":{}}"#;
    let line = format!("{:08x} {record}\n", crc32fast::hash(record.as_bytes()));
    std::fs::write(&journal, format!("{line}0123abcd {{\"lineage\":\"5f0c")).unwrap();
    jobform_snapshot!(Test::in_dir(&rm).args(["show"]), @r#"
    exit_code: 0
    ----- stdout -----
    State: state/jobform.state.json (serial 6, lineage [UUID], written by jobform [VERSION])

    No jobs are recorded.

    Audit log: 1 record, oldest first:
      [TIME]  suspend alibaba_dts.orders_sync: succeeded, request 01B6F25-21E7
          by dba@db-admin-1: "maintenance window"

    ----- stderr -----
    "#);

    std::fs::write(&journal, format!("{}\n{line}", &line[..line.len() - 10])).unwrap();
    let outcome = jobform_snapshot!(Test::in_dir(&rm).args(["state", "rm", "alibaba_dts.x"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Corrupt state journal or audit log
    The state journal state/jobform.state.json.journal is corrupt at line 1: its checksum does not match its content
    It was left untouched. The records after a damaged one cannot be trusted: move the journal aside to fall back to the last snapshot (what was recorded since is lost), or repair the line.
    ");
    assert_eq!(outcome.read(STATE_PATH), snapshot, "never overwritten");
}

/// A second Ctrl-C exits at once (130) and takes the lock with it, so the
/// next command is not wedged by a lock whose holder is gone.
#[test]
fn exiting_on_a_second_ctrl_c_releases_the_lock() {
    use jobform_emulator::{Emulator, Fault, FaultKind};

    use crate::support::{drs_fleet_config, drs_fleet_ids, drs_fleet_world};

    let ids = drs_fleet_ids(2);
    let emulator = Emulator::start(drs_fleet_world(&ids, 1)).unwrap();
    // The pause is held for longer than any test: only the second Ctrl-C ends the apply.
    emulator
        .inject(Fault::new(FaultKind::Slow { delay_ms: 3_600_000 }).on_action("batch-pause-task"));
    let probe = drs_fleet_config(&ids, &emulator).args(["validate"]).run();
    assert_eq!(probe.code, Some(0), "{}", probe.stderr);
    let mut child =
        Test::in_dir(&probe).emulated(&emulator).args(["apply", "--auto-approve"]).spawn_piped();
    // The pause request is in flight: the Ctrl-C handler is listening by then.
    crate::support::wait_until_held(&emulator, &mut child);
    let lock = probe.path().join("state/jobform.state.json.lock");
    assert!(lock.exists(), "the apply holds the lock");
    let pid = child.id().to_string();
    let interrupt = || {
        let sent = std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(sent.success());
    };
    interrupt();
    // The second Ctrl-C comes once the first is acknowledged (two signals
    // at once may count as one).
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    crate::support::read_until(&mut stderr, "Interrupt received");
    interrupt();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "exited at once: {status}");
    assert!(!lock.exists(), "the lock went with it");
    let next = Test::in_dir(&probe).args(["state", "list"]).run();
    assert_eq!(next.code, Some(0), "{}", next.stderr);
}

/// `--state FILE` beside a `backend "pg"` block would be silently ignored:
/// it is refused, naming the flag and the block, before any connection.
#[test]
fn a_state_file_beside_a_pg_backend_is_refused() {
    jobform_snapshot!(
        Test::new()
            .file(
                "backend.hcl",
                "# shared state\nbackend \"pg\" {\n  conn_str = \"postgres://127.0.0.1:9/jobform\"\n}\n",
            )
            .args(["state", "list", "--state", "mine.json"]),
        @r#"
        exit_code: 1
        ----- stdout -----

        ----- stderr -----
        Error: Invalid command line
        --state names a state file, but backend.hcl:2 declares backend "pg": the state is in PostgreSQL and the file would be ignored. Drop --state, or remove the backend block to use a local file.
        "#
    );
}
