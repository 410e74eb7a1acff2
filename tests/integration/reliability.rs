//! The process half of the reliability suite (issue 7): `jobform apply`
//! killed at many points, and several applies racing for one state.

use std::process::Child;
use std::time::Duration;

use jobform::state::{BROKEN_LOCK_ID, StateFile, StateStore};
use jobform_emulator::{Emulator, Fault, FaultKind};
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::support::convergence::{
    acted_on, assert_each_paused_once, assert_state_matches_journal, resend_unknown,
};
use crate::support::{Test, drs_fleet_config, drs_fleet_ids, drs_fleet_world};

const STATE_PATH: &str = "state/jobform.state.json";
const APPLY: [&str; 4] = ["apply", "--auto-approve", "--wait-timeout", "5s"];

/// Where in an apply a kill lands: counted in what the apply did, not in
/// milliseconds, so a slow machine kills at the same points as a fast one.
#[derive(Debug)]
enum KillPoint {
    /// Once the emulator has received this many of the apply's requests
    /// (0: before it sent any).
    Requests(usize),
    /// Once the apply has appended this many records to the state journal
    /// (a write-ahead mark is one: a kill then leaves an outcome unknown).
    Records(usize),
}

impl KillPoint {
    fn random(rng: &mut StdRng) -> KillPoint {
        if rng.random_bool(0.5) {
            KillPoint::Requests(rng.random_range(0..=4))
        } else {
            KillPoint::Records(rng.random_range(1..=4))
        }
    }
}

/// Lines in the state journal (none before the first record).
fn journal_records(journal: &std::path::Path) -> usize {
    std::fs::read_to_string(journal).map_or(0, |text| text.lines().count())
}

/// Waits until `child` reaches `point` (counted from `requests` emulator
/// requests and `records` journal lines before it started), then kills it
/// (SIGKILL) and reaps it; an apply that ends first is only reaped.
fn kill_at(
    mut child: Child,
    point: &KillPoint,
    emulator: &Emulator,
    journal: &std::path::Path,
    (requests, records): (usize, usize),
) {
    let reached = || match *point {
        KillPoint::Requests(count) => emulator.journal().len() >= requests + count,
        KillPoint::Records(count) => journal_records(journal) >= records + count,
    };
    while !reached() && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Removes the lock a killed apply left behind, as an operator would (a
/// kill between creating the lock file and writing it leaves a broken one).
fn unlock(dir: &crate::support::Outcome, emulator: &Emulator) {
    if let Ok(text) = std::fs::read_to_string(dir.path().join(format!("{STATE_PATH}.lock"))) {
        let info: Option<serde_json::Value> = serde_json::from_str(&text).ok();
        let id = info.as_ref().map_or(BROKEN_LOCK_ID, |info| info["id"].as_str().unwrap());
        let unlocked = Test::in_dir(dir).emulated(emulator).args(["force-unlock", id]).run();
        assert_eq!(unlocked.code, Some(0), "{}", unlocked.stderr);
    }
}

/// SIGKILL at 100 seeded random points of applies pausing 40 DRS jobs (in
/// rounds on fresh jobs, so kills land before, during and after the
/// batches), each point an event (the nth request the emulator received,
/// the nth record in the state journal); after each kill the state agrees
/// with the journal, and a final re-run per round converges without any
/// job sent its pause twice.
#[test]
fn an_apply_killed_at_100_random_points_loses_nothing_and_sends_nothing_twice() {
    const ROUNDS: usize = 5;
    const KILLS_PER_ROUND: usize = 20;
    let ids = drs_fleet_ids(40);
    let mut rng = StdRng::seed_from_u64(7);
    for round in 0..ROUNDS {
        let emulator = Emulator::start(drs_fleet_world(&ids, 1)).unwrap();
        let probe = drs_fleet_config(&ids, &emulator).args(["validate"]).run();
        assert_eq!(probe.code, Some(0), "{}", probe.stderr);
        let dir = || Test::in_dir(&probe).emulated(&emulator);
        let file = StateFile::new(probe.path().join(STATE_PATH));
        let journal = file.journal_path();
        for kill_number in 0..KILLS_PER_ROUND {
            let point = KillPoint::random(&mut rng);
            let before = (emulator.journal().len(), journal_records(&journal));
            kill_at(dir().args(APPLY).spawn(), &point, &emulator, &journal, before);
            let when = format!("kill {round}.{kill_number} at {point:?}");
            let state = file.load().unwrap_or_else(|e| panic!("{when}: the state parses: {e}"));
            assert_state_matches_journal(&state, &emulator, &when);
            unlock(&probe, &emulator);
        }
        // A kill between the write-ahead mark and the request leaves an
        // action nobody knows was sent: later runs block it
        // (`outcome_unknown`) and never send it on their own. The operator
        // checks the cloud (here, the journal) and sends it again on their
        // word; actions that did take effect are confirmed, not blocked.
        emulator.advance(Duration::from_secs(1)); // transitions settle
        let planned = dir().args(["plan", "--json"]).run();
        let when = format!("round {round}");
        let resend = resend_unknown(&planned.stdout, &emulator, &when);
        let outcome = dir().args(APPLY).args(&resend).run();
        assert_eq!(outcome.code, Some(0), "{when}: {}\n{}", outcome.stdout, outcome.stderr);
        assert_each_paused_once(&ids, &emulator, &file.load().unwrap(), &when);
    }
}

/// Five applies of one configuration on one state, each targeting its own
/// DRS job (pauses settle in a second, so unserialized runs would overlap):
/// they run one at a time and the final state keeps every run's record.
/// With `--lock-timeout 0s` the losers fail at once, naming the holder.
#[test]
fn concurrent_applies_on_one_state_take_turns_and_lose_no_record() {
    let ids = drs_fleet_ids(6);
    let (racers, last) = ids.split_at(5);
    let emulator = Emulator::start(drs_fleet_world(&ids, 1)).unwrap();
    let probe = drs_fleet_config(&ids, &emulator).args(["validate"]).run();
    assert_eq!(probe.code, Some(0), "{}", probe.stderr);
    let apply = |id: &str, lock_timeout: &str| {
        Test::in_dir(&probe).emulated(&emulator).args(APPLY).args([
            "--target",
            &format!("huawei_drs.fleet[\"{id}\"]"),
            "--lock-timeout",
            lock_timeout,
        ])
    };
    let runs: Vec<Test> = racers.iter().map(|id| apply(id, "60s")).collect();
    let children: Vec<Child> = runs.iter().map(Test::spawn).collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "every apply waits its turn and succeeds");
    }
    let file = StateFile::new(probe.path().join(STATE_PATH));
    let state = file.load().unwrap();
    for id in racers {
        let record = state.jobs.values().find(|r| &r.id == id);
        assert!(
            record.is_some_and(|r| r.observed.raw_status == "PAUSING"),
            "{id}: a run's record was lost: {:#?}",
            state.jobs
        );
        let sent = acted_on(&emulator).iter().filter(|a| *a == id).count();
        assert_eq!(sent, 1, "{id}");
    }
    let audit = file.audit().unwrap();
    let order: Vec<&str> = audit.iter().map(|e| e.job_id.as_str()).collect();
    crate::support::convergence::assert_runs_not_interleaved(&order, racers.len());

    // A holder whose pause the cloud holds, and impatient contenders.
    emulator
        .inject(Fault::new(FaultKind::Slow { delay_ms: 3_600_000 }).on_action("batch-pause-task"));
    let mut holder = apply(&last[0], "0s").env("USER", "holder").spawn();
    // Its pause is in flight, so it holds the lock.
    crate::support::wait_until_held(&emulator, &mut holder);
    for id in &racers[..4] {
        let loser = apply(id, "0s").run();
        assert_eq!(loser.code, Some(1), "{}", loser.stderr);
        assert!(
            loser.stderr.contains("Error: State locked\nThe state is locked by holder@")
                && loser.stderr.contains(&format!("pid {}", holder.id())),
            "{}",
            loser.stderr
        );
    }
    emulator.release_held();
    assert!(holder.wait().unwrap().success());
}
