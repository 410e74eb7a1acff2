//! The PostgreSQL backend through the command line, against the emulator
//! and a throwaway cluster (skipped, saying so, where the machine has no
//! PostgreSQL server binaries): racing applies, a killed lock holder, a
//! stale writer, the server stopped mid-apply, and moving a state between
//! the file and the database.

use std::process::Child;
use std::time::{Duration, Instant};

use jobform::state::{Actor, ChangeSet, PgStore, State, StateFile, StateStore};
use jobform_emulator::{Emulator, Fault, FaultKind};
use serde_json::Value;

use crate::support::convergence::{
    acted_on, assert_each_paused_once, assert_runs_not_interleaved, assert_state_matches_journal,
    resend_unknown,
};
use crate::support::pg::Cluster;
use crate::support::{Outcome, Test, drs_fleet_config, drs_fleet_ids, drs_fleet_world};

const APPLY: [&str; 4] = ["apply", "--auto-approve", "--wait-timeout", "5s"];
const BACKEND: &str = "backend \"pg\" {\n  schema_name = \"jobform\"\n}\n";

/// A DRS fleet configuration with a pg backend; `validate` run once to lay it out.
fn fleet(ids: &[String], emulator: &Emulator) -> Outcome {
    let probe =
        drs_fleet_config(ids, emulator).file("backend.hcl", BACKEND).args(["validate"]).run();
    assert_eq!(probe.code, Some(0), "{}", probe.stderr);
    probe
}

/// A run in `dir` against `emulator` and `cluster`.
fn run_in(dir: &Outcome, emulator: &Emulator, cluster: &Cluster) -> Test {
    Test::in_dir(dir).emulated(emulator).env("PG_CONN_STR", &cluster.conn_str())
}

/// The action requests the emulator received (reads left out).
fn action_requests(emulator: &Emulator) -> usize {
    emulator
        .journal()
        .iter()
        .filter(|e| !e.action.starts_with("Describe") && e.action != "batch-status")
        .count()
}

/// Waits until `done` holds (the deadline only stops a broken test hanging).
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(30), "{what} never happened");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A store on `workspace` of `cluster`, to check what commands wrote.
fn store(cluster: &Cluster, workspace: &str) -> PgStore {
    PgStore::connect(&cluster.settings(workspace)).expect("connect to the test cluster")
}

fn actor() -> Actor {
    Actor { user: "probe".to_owned(), host: "test".to_owned(), ci: None }
}

/// Five applies from separate processes on one workspace, each targeting
/// its own job: they take turns on the advisory lock (an unserialized run
/// would fail the serial compare-and-swap), and every record and audit
/// entry is kept. A contender that will not wait is told who holds the lock
/// and that a dead holder frees it by itself.
#[test]
fn five_applies_on_one_workspace_take_turns_and_lose_no_record() {
    let Some(cluster) = Cluster::start(false) else { return };
    let ids = drs_fleet_ids(6);
    let (racers, last) = ids.split_at(5);
    let emulator = Emulator::start(drs_fleet_world(&ids, 1)).unwrap();
    let probe = fleet(&ids, &emulator);
    let apply = |id: &str, lock_timeout: &str| {
        run_in(&probe, &emulator, &cluster).args(APPLY).args([
            "--target",
            &format!("huawei_drs.fleet[\"{id}\"]"),
            "--lock-timeout",
            lock_timeout,
        ])
    };
    let runs: Vec<Test> = racers.iter().map(|id| apply(id, "60s")).collect();
    let children: Vec<Child> = runs.iter().map(Test::spawn_piped).collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let store = store(&cluster, "default");
    let state = store.load().unwrap();
    for id in racers {
        let record = state.jobs.values().find(|r| &r.id == id);
        assert!(
            record.is_some_and(|r| r.observed.raw_status == "PAUSING"),
            "{id}: a run's record was lost: {:#?}",
            state.jobs
        );
        assert_eq!(acted_on(&emulator).iter().filter(|a| *a == id).count(), 1, "{id}");
    }
    let audit = store.audit().unwrap();
    let order: Vec<&str> = audit.iter().map(|e| e.job_id.as_str()).collect();
    assert_runs_not_interleaved(&order, racers.len());

    // The holder's pause is held until the checks below are done, however
    // long they take: the holder keeps its lock all that time.
    emulator
        .inject(Fault::new(FaultKind::Slow { delay_ms: 3_600_000 }).on_action("batch-pause-task"));
    let mut holder = apply(&last[0], "60s").env("USER", "holder").spawn();
    crate::support::wait_until_held(&emulator, &mut holder);
    let loser = apply(&racers[0], "0s").run();
    assert_eq!(loser.code, Some(1), "{}", loser.stderr);
    assert!(
        loser.stderr.contains("is locked by holder@")
            && loser.stderr.contains(&format!("pid {}", holder.id()))
            && loser.stderr.contains("no force-unlock is needed"),
        "{}",
        loser.stderr
    );
    // force-unlock cannot take a live session's lock, and says why.
    let id = loser.stderr.split("lock id ").nth(1).unwrap().split(')').next().unwrap();
    let refused = run_in(&probe, &emulator, &cluster).args(["force-unlock", id]).run();
    assert_eq!(refused.code, Some(1), "{}", refused.stdout);
    assert!(
        refused.stderr.contains("whose database session is still connected")
            && refused.stderr.contains("only ends with it"),
        "{}",
        refused.stderr
    );
    emulator.release_held();
    assert!(holder.wait().unwrap().success(), "the holder kept its lock");
}

/// `--workspace` (or `JOBFORM_WORKSPACE`) picks one of several states in the
/// schema; without a backend block it is refused rather than ignored.
#[test]
fn workspaces_are_separate_states_in_one_schema() {
    let Some(cluster) = Cluster::start(false) else { return };
    let ids = drs_fleet_ids(1);
    let emulator = Emulator::start(drs_fleet_world(&ids, 0)).unwrap();
    let probe = fleet(&ids, &emulator);
    let staging =
        run_in(&probe, &emulator, &cluster).args(APPLY).args(["--workspace", "staging"]).run();
    assert_eq!(staging.code, Some(0), "{}", staging.stderr);
    let list = |workspace: &str| {
        let listed = run_in(&probe, &emulator, &cluster)
            .env("JOBFORM_WORKSPACE", workspace)
            .args(["state", "list"])
            .run();
        assert_eq!(listed.code, Some(0), "{}", listed.stderr);
        listed.stdout
    };
    assert_eq!(list("staging"), format!("huawei_drs.fleet[\"{}\"]\n", ids[0]));
    assert_eq!(list("default"), "");
    assert!(store(&cluster, "default").read().unwrap().is_none());

    let local = Test::new().args(["--workspace", "staging", "state", "list"]).run();
    assert_eq!(local.code, Some(1));
    assert!(
        local.stderr.contains("--workspace staging needs a backend \"pg\" block"),
        "{}",
        local.stderr
    );
}

/// `kill -9` of the lock holder while it waits for its pauses to settle
/// (transitions take ten minutes of emulated time): its connection closes
/// with it, so the next command takes the lock at once; the state agrees with what the emulator saw; a re-run converges
/// without any job sent its pause twice.
#[test]
fn a_killed_holder_frees_the_lock_and_a_rerun_converges_sending_nothing_twice() {
    let Some(cluster) = Cluster::start(false) else { return };
    let ids = drs_fleet_ids(4);
    let emulator = Emulator::start(drs_fleet_world(&ids, 600)).unwrap();
    let probe = fleet(&ids, &emulator);
    let store = store(&cluster, "default");
    let mut holder = run_in(&probe, &emulator, &cluster)
        .args(["apply", "--auto-approve", "--wait-timeout", "1h"])
        .spawn();
    wait_for("the pause request", || acted_on(&emulator).len() == ids.len());
    let contender = run_in(&probe, &emulator, &cluster).args(["state", "rm", "huawei_drs.x"]).run();
    assert_eq!(contender.code, Some(1));
    assert!(contender.stderr.contains("lock id "), "{}", contender.stderr);
    let id = contender.stderr.split("lock id ").nth(1).unwrap().split(')').next().unwrap();
    holder.kill().unwrap();
    holder.wait().unwrap();

    assert_state_matches_journal(&store.load().unwrap(), &emulator, "after the kill");
    // At once, without force-unlock: the killed process's connection took
    // its lock with it (the wait only covers the server noticing the close).
    drop(store.lock("probe", &actor(), Duration::from_secs(1)).expect("the lock is free"));
    // The dead holder's row was overwritten by that lock: nothing to unlock.
    let unlocked = run_in(&probe, &emulator, &cluster).args(["force-unlock", id]).run();
    assert_eq!(unlocked.code, Some(1), "{}", unlocked.stdout);
    assert!(unlocked.stderr.contains("is not locked"), "{}", unlocked.stderr);
    emulator.advance(Duration::from_secs(601)); // the transitions settle
    let planned = run_in(&probe, &emulator, &cluster).args(["plan", "--json"]).run();
    let resend = resend_unknown(&planned.stdout, &emulator, "after the kill");
    let rerun = run_in(&probe, &emulator, &cluster).args(APPLY).args(&resend).run();
    assert_eq!(rerun.code, Some(0), "{}\n{}", rerun.stdout, rerun.stderr);
    assert_each_paused_once(&ids, &emulator, &store.load().unwrap(), "the re-run");
}

/// A second Ctrl-C while the pause request is in flight (the emulator
/// holds it past the test): the apply exits at once (130), having deleted its
/// lock row and released the advisory lock itself (a `force-unlock` of its
/// id finds nothing, where a killed holder leaves its row), and the state
/// agrees with what the emulator saw.
#[test]
fn a_second_ctrl_c_releases_the_lock_and_leaves_the_state_agreeing_with_the_journal() {
    let Some(cluster) = Cluster::start(false) else { return };
    let ids = drs_fleet_ids(3);
    let emulator = Emulator::start(drs_fleet_world(&ids, 0)).unwrap();
    emulator
        .inject(Fault::new(FaultKind::Slow { delay_ms: 3_600_000 }).on_action("batch-pause-task"));
    let probe = fleet(&ids, &emulator);
    let mut holder =
        run_in(&probe, &emulator, &cluster).args(["apply", "--auto-approve"]).spawn_piped();
    // The pause request is in flight: the write-ahead mark is committed and
    // the Ctrl-C handler listening by then.
    crate::support::wait_until_held(&emulator, &mut holder);
    let workspace = store(&cluster, "default");
    let contender = run_in(&probe, &emulator, &cluster).args(["state", "rm", "huawei_drs.x"]).run();
    assert_eq!(contender.code, Some(1));
    assert!(contender.stderr.contains("lock id "), "{}", contender.stderr);
    let id = contender.stderr.split("lock id ").nth(1).unwrap().split(')').next().unwrap();
    let pid = holder.id().to_string();
    let interrupt = || {
        let sent = std::process::Command::new("kill").args(["-INT", &pid]).status();
        assert!(sent.unwrap().success());
    };
    interrupt();
    // The second Ctrl-C comes once the first is acknowledged (two signals
    // at once may count as one).
    let mut stderr = std::io::BufReader::new(holder.stderr.take().unwrap());
    crate::support::read_until(&mut stderr, "Interrupt received");
    interrupt();
    let status = holder.wait().unwrap();
    assert_eq!(status.code(), Some(130), "exited at once: {status}");

    let unlocked = run_in(&probe, &emulator, &cluster).args(["force-unlock", id]).run();
    assert_eq!(unlocked.code, Some(1), "{}", unlocked.stdout);
    assert!(unlocked.stderr.contains("is not locked"), "{}", unlocked.stderr);
    drop(workspace.lock("probe", &actor(), Duration::from_secs(1)).expect("the lock is free"));
    assert_state_matches_journal(&workspace.load().unwrap(), &emulator, "after the second Ctrl-C");
}

/// A writer whose view is stale is refused and nothing is lost: a commit
/// from a serial another store moved past, and a `state push` of a pulled
/// document after an apply advanced the state.
#[test]
fn a_write_after_another_process_advanced_the_state_is_refused() {
    let Some(cluster) = Cluster::start(false) else { return };
    let ids = drs_fleet_ids(2);
    let emulator = Emulator::start(drs_fleet_world(&ids, 0)).unwrap();
    let probe = fleet(&ids, &emulator);
    let target = |id: &str| format!("huawei_drs.fleet[\"{id}\"]");
    let first =
        run_in(&probe, &emulator, &cluster).args(APPLY).args(["--target", &target(&ids[0])]).run();
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let pulled = run_in(&probe, &emulator, &cluster).args(["state", "pull"]).run();
    assert_eq!(pulled.code, Some(0), "{}", pulled.stderr);
    std::fs::write(probe.path().join("old.json"), &pulled.stdout).unwrap();
    let second =
        run_in(&probe, &emulator, &cluster).args(APPLY).args(["--target", &target(&ids[1])]).run();
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    let advanced = store(&cluster, "default").load().unwrap();

    let pushed = run_in(&probe, &emulator, &cluster).args(["state", "push", "old.json"]).run();
    assert_eq!(pushed.code, Some(1), "{}", pushed.stdout);
    let old: Value = serde_json::from_str(&pulled.stdout).unwrap();
    assert!(
        pushed.stderr.contains(&format!(
            "it is at serial {}, newer than the document's serial {}",
            advanced.serial, old["serial"]
        )) && pushed.stderr.contains("--force"),
        "{}",
        pushed.stderr
    );
    assert_eq!(store(&cluster, "default").load().unwrap(), advanced, "nothing lost");

    // Two stores (two processes' views) of one workspace.
    let (a, b) = (store(&cluster, "default"), store(&cluster, "default"));
    let seen: State = a.load().unwrap();
    let removed = |address: &str| ChangeSet {
        removed: [address.parse().unwrap()].into(),
        ..ChangeSet::default()
    };
    let next = b.commit(&seen.lineage, seen.serial, &removed(&target(&ids[0]))).unwrap();
    let error = a.commit(&seen.lineage, seen.serial, &removed(&target(&ids[1]))).unwrap_err();
    assert!(
        error.to_string().contains(&format!(
            "it read lineage {}, serial {}; the database holds lineage {}, serial {next}",
            seen.lineage, seen.serial, seen.lineage
        )),
        "{error}"
    );
    let after = a.load().unwrap();
    assert_eq!(after.serial, next);
    assert_eq!(after.jobs.len(), 1, "b's write kept, a's refused whole");
}

/// PostgreSQL stopped while a pause request is on the wire: the apply
/// sends nothing more, saves what it knows to the errored file it names,
/// and `state push` of that file restores the record and its audit entry.
#[test]
fn postgres_stopped_mid_apply_leaves_an_errored_file_that_state_push_restores() {
    let Some(mut cluster) = Cluster::start(false) else { return };
    let emulator = Emulator::start({
        let mut world = jobform_emulator::World::example();
        world.transition_delay_seconds = 0;
        world
    })
    .unwrap();
    emulator
        .inject(Fault::new(FaultKind::Slow { delay_ms: 3_600_000 }).on_action("SuspendDtsJobs"));
    let probe = Test::new().examples().file("backend.hcl", BACKEND).args(["validate"]).run();
    assert_eq!(probe.code, Some(0), "{}", probe.stderr);
    let apply = run_in(&probe, &emulator, &cluster).args(APPLY).args([
        "--var",
        "maintenance=true",
        "--parallelism",
        "1",
    ]);
    let mut child = apply.spawn_piped();
    // The first pause is on the wire when the database goes; its answer
    // comes after.
    crate::support::wait_until_held(&emulator, &mut child);
    cluster.stop();
    let sent_before_the_stop = action_requests(&emulator) + emulator.held_requests();
    emulator.release_held();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        action_requests(&emulator),
        sent_before_the_stop,
        "no request after the database went away"
    );
    assert!(
        stderr.contains("No further request was sent")
            && stderr.contains("`jobform state push errored.jobform.state.json`"),
        "{stderr}"
    );
    let errored: Value = serde_json::from_str(&probe.read("errored.jobform.state.json")).unwrap();
    let acted = acted_on(&emulator);
    assert!(!acted.is_empty());

    cluster.resume();
    let before = store(&cluster, "default").load().unwrap();
    assert_eq!(errored["serial"], before.serial + 1);
    for id in &acted {
        let marked =
            before.jobs.values().find(|r| &r.id == id).and_then(|r| r.last_action.as_ref());
        assert!(marked.is_some(), "{id} was sent without a write-ahead mark in the database");
    }
    let pushed = run_in(&probe, &emulator, &cluster)
        .args(["state", "push", "errored.jobform.state.json"])
        .run();
    assert_eq!(pushed.code, Some(0), "{}", pushed.stderr);
    let pulled = run_in(&probe, &emulator, &cluster).args(["state", "pull"]).run();
    let restored: Value = serde_json::from_str(&pulled.stdout).unwrap();
    assert_eq!(restored["serial"], errored["serial"]);
    assert_eq!(restored["lineage"], errored["lineage"]);
    assert_eq!(restored["jobs"], errored["jobs"], "every record the apply knew is back");
    let audit = restored["audit"].as_array().unwrap();
    for entry in errored["audit"].as_array().unwrap() {
        assert_eq!(audit.iter().filter(|e| *e == entry).count(), 1, "{entry}");
    }
    for id in &acted {
        let record = errored["jobs"].as_object().unwrap().values().find(|r| r["id"] == **id);
        assert!(record.is_some_and(|r| !r["last_action"].is_null()), "{id}: {errored:#}");
    }
}

/// A state moved from the file to PostgreSQL and back keeps its lineage,
/// serial, records and audit log; pushing the same document again adds nothing.
#[test]
fn state_pull_and_push_move_a_state_between_the_file_and_postgres() {
    let Some(cluster) = Cluster::start(false) else { return };
    let emulator = crate::support::instant_emulator();
    let local = Test::new()
        .examples()
        .emulated(&emulator)
        .args(APPLY)
        .args(["--var", "maintenance=true"])
        .run();
    assert_eq!(local.code, Some(0), "{}", local.stderr);
    let pull = |test: Test, state: &[&str]| {
        let pulled = test.args(["state", "pull"]).args(state.iter().copied()).run();
        assert_eq!(pulled.code, Some(0), "{}", pulled.stderr);
        pulled.stdout
    };
    let from_file = pull(Test::in_dir(&local), &[]);
    let listed_from_file = Test::in_dir(&local).args(["state", "list"]).run().stdout;
    let document: Value = serde_json::from_str(&from_file).unwrap();
    assert_eq!(document["audit"].as_array().unwrap().len(), 16);
    std::fs::write(local.path().join("moved.json"), &from_file).unwrap();

    std::fs::write(local.path().join("backend.hcl"), BACKEND).unwrap();
    let to_pg = || Test::in_dir(&local).env("PG_CONN_STR", &cluster.conn_str());
    for _ in 0..2 {
        let pushed = to_pg().args(["state", "push", "moved.json"]).run();
        assert_eq!(pushed.code, Some(0), "{}", pushed.stderr);
    }
    let from_pg = pull(to_pg(), &[]);
    assert_eq!(from_pg, from_file, "lineage, serial, records and audit kept, nothing twice");
    let listed = to_pg().args(["state", "list"]).run();
    assert_eq!(listed.stdout, listed_from_file);

    // And back, into a file of its own.
    std::fs::write(local.path().join("from_pg.json"), &from_pg).unwrap();
    std::fs::remove_file(local.path().join("backend.hcl")).unwrap();
    let pushed = Test::in_dir(&local)
        .args(["state", "push", "from_pg.json", "--state", "back/s.json"])
        .run();
    assert_eq!(pushed.code, Some(0), "{}", pushed.stderr);
    assert_eq!(pull(Test::in_dir(&local), &["--state", "back/s.json"]), from_file);
    let back = StateFile::new(local.path().join("back/s.json"));
    assert_eq!(back.audit().unwrap().len(), 16);
}

/// `sslmode` through the command line against a cluster that only serves
/// TLS, with a certificate for `localhost` from a test CA: `require`
/// encrypts without checking it; `verify-full` connects when `sslrootcert`
/// trusts the CA, and refuses a certificate from an unknown CA or for
/// another host name, saying why, without ever printing the connection
/// string (its password).
#[test]
fn tls_is_required_and_verified_as_sslmode_says() {
    let Some(cluster) = Cluster::start(true) else { return };
    let list = |host: &str, query: &str| {
        Test::new()
            .file("backend.hcl", BACKEND)
            .env("PG_CONN_STR", &cluster.url("postgres:hunter2", host, query))
            .args(["state", "list"])
            .run()
    };
    for (host, query) in [
        ("127.0.0.1", "sslmode=require"),
        ("localhost", "sslmode=verify-full&sslrootcert={ca}"),
        ("localhost", "sslrootcert={ca}&sslmode=verify-ca"),
    ] {
        let listed = list(host, query);
        assert_eq!(listed.code, Some(0), "{host} {query}: {}", listed.stderr);
    }
    let unencrypted = list("127.0.0.1", "sslmode=disable");
    assert_eq!(unencrypted.code, Some(1), "the server only serves TLS");
    for (host, query, why) in [
        ("localhost", "sslmode=verify-full", "UnknownIssuer"),
        (
            "127.0.0.1",
            "sslmode=verify-full&sslrootcert={ca}",
            "certificate not valid for name \"127.0.0.1\"",
        ),
    ] {
        let refused = list(host, query);
        assert_eq!(refused.code, Some(1), "{host} {query}: {}", refused.stderr);
        assert!(refused.stderr.contains(why), "{host} {query}: {}", refused.stderr);
        assert!(
            refused.stderr.contains("Cannot connect to the state workspace \"default\""),
            "{}",
            refused.stderr
        );
        assert!(!refused.stderr.contains("hunter2"), "{}", refused.stderr);
    }
}

/// Tables an earlier version created hold records and entries as `jsonb`
/// (this one creates `json`): an apply writes them, and the state and the
/// audit log read back whole.
#[test]
fn tables_with_jsonb_columns_from_an_earlier_version_are_read_and_written() {
    let Some(cluster) = Cluster::start(false) else { return };
    let ids = drs_fleet_ids(3);
    let emulator = Emulator::start(drs_fleet_world(&ids, 0)).unwrap();
    let probe = fleet(&ids, &emulator);
    let listed = run_in(&probe, &emulator, &cluster).args(["state", "list"]).run();
    assert_eq!(listed.code, Some(0), "the tables exist: {}", listed.stderr);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let run_then_column_type = |sql: &'static str| {
        runtime.block_on(async {
            let (client, connection) =
                tokio_postgres::connect(&cluster.conn_str(), tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            client.batch_execute(sql).await.unwrap();
            let row = client
                .query_one(
                    "SELECT pg_typeof(record)::text FROM jobform.jobs \
                     UNION ALL SELECT pg_typeof(entry)::text FROM jobform.audit LIMIT 1",
                    &[],
                )
                .await
                .ok();
            row.map(|row| row.get::<_, String>(0))
        })
    };
    run_then_column_type(
        "ALTER TABLE jobform.jobs ALTER COLUMN record TYPE jsonb USING record::jsonb; \
         ALTER TABLE jobform.audit ALTER COLUMN entry TYPE jsonb USING entry::jsonb",
    );
    let applied = run_in(&probe, &emulator, &cluster).args(APPLY).run();
    assert_eq!(applied.code, Some(0), "{}", applied.stderr);
    assert_eq!(run_then_column_type("SELECT 1").as_deref(), Some("jsonb"), "the columns were kept");
    let store = store(&cluster, "default");
    let state = store.load().unwrap();
    assert_eq!(state.jobs.len(), ids.len());
    assert!(state.jobs.values().all(|r| r.observed.raw_status == "PAUSING"), "{:#?}", state.jobs);
    let audit = store.audit().unwrap();
    assert_eq!(audit.len(), 2 * ids.len(), "a pending and a settled entry a job: {audit:#?}");
    assert_eq!(acted_on(&emulator).len(), ids.len());
}
