//! `jobform watch` on the emulator's clock: the tests advance it and read
//! the watch's lines as they come, never sleeping.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout};
use std::time::Duration;

use jobform_emulator::{Emulator, Fault, FaultKind, World};
use serde_json::Value;
use time::macros::datetime;

use crate::support::pg::Cluster;
use crate::support::{Test, on_emulator_clock};

/// The example world, its clock at 2026-12-05T00:00:00Z plus `ahead`, its
/// transitions instant.
fn emulator(ahead: Duration) -> Emulator {
    let mut world = World::example();
    world.now = Some(datetime!(2026-12-05 00:00 UTC) + ahead);
    world.transition_delay_seconds = 0;
    Emulator::start(world).expect("start the emulator")
}

/// Billing paused 01:00–03:00 UTC, the EU replica 02:00–04:00 UTC.
const TWO_WINDOWS: &str = r#"
    job "alibaba_dts" "billing_migration" {
      id          = "k2n8x7c1vq90002"
      instance_id = "dtsk2n8x7c1vq90002"
      state       = "running"
      suspend_window = {
        from  = "2026-12-05T09:00:00+08:00"
        until = "2026-12-05T11:00:00+08:00"
      }
    }

    job "huawei_drs" "eu_replica" {
      id    = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
      state = "running"
      suspend_window = {
        from  = "2026-12-05T03:00:00+01:00"
        until = "2026-12-05T05:00:00+01:00"
      }
    }
"#;

/// The lines of a running watch, kept for the snapshot.
struct Lines {
    reader: BufReader<ChildStdout>,
    read: Vec<String>,
}

impl Lines {
    fn of(child: &mut Child) -> Lines {
        Lines { reader: BufReader::new(child.stdout.take().unwrap()), read: Vec::new() }
    }

    /// Reads up to and including the next line holding `text`.
    fn until(&mut self, text: &str) -> String {
        loop {
            let mut line = String::new();
            let read = self.reader.read_line(&mut line).unwrap();
            assert!(read > 0, "the output ended before {text:?}: {:#?}", self.read);
            self.read.push(line.clone());
            if line.contains(text) {
                return line;
            }
        }
    }

    /// Every line, the rest read to the end.
    fn all(mut self) -> String {
        let mut rest = String::new();
        self.reader.read_to_string(&mut rest).unwrap();
        self.read.concat() + &rest
    }
}

/// Snapshots watch lines: the time each starts with and the times left,
/// which tick with real time, are redacted; the window edges are kept.
macro_rules! watch_snapshot {
    ($lines:expr, @$snapshot:literal) => {{
        let filters = [
            (r"(?m)^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z  ", "[NOW]  "),
            (r"\(in [0-9dhms ]+\)", "(in [DURATION])"),
            (r"until \S+Z", "until [TIME]"),
        ];
        insta::with_settings!({ filters => filters.to_vec() }, {
            insta::assert_snapshot!($lines, @$snapshot);
        });
    }};
}

/// The state with its audit log (`state pull`).
fn pulled(test: &Test) -> Value {
    let pulled = test.again(&["state", "pull"]).run();
    assert_eq!(pulled.code, Some(0), "{}", pulled.stderr);
    serde_json::from_str(&pulled.stdout).unwrap()
}

/// `(address, verb, outcome)` of every audit entry.
fn audited(state: &Value) -> Vec<(String, String, String)> {
    state["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let text = |key: &str| entry[key].as_str().unwrap_or("-").to_owned();
            (text("address"), text("verb"), text("outcome"))
        })
        .collect()
}

/// The actions the emulator received, `(action, job ids)`.
fn actions(emulator: &Emulator) -> Vec<(String, Vec<String>)> {
    emulator
        .journal()
        .into_iter()
        .filter(|entry| entry.took_effect)
        .map(|entry| (entry.action, entry.jobs))
        .collect()
}

fn interrupt(child: &Child) {
    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success());
}

#[test]
fn watch_keeps_two_windows_of_different_jobs() {
    let emulator = emulator(Duration::ZERO);
    let test = on_emulator_clock(&emulator, TWO_WINDOWS);
    let mut child =
        test.again(&["watch", "--interval", "100ms", "--max-duration", "5h"]).spawn_piped();
    let mut lines = Lines::of(&mut child);
    lines.until("no changes; next window edge at 2026-12-05T01:00:00Z");
    let hour = Duration::from_secs(3600);
    for edge in ["02:00:00Z", "03:00:00Z", "04:00:00Z"] {
        emulator.advance(hour);
        lines.until(&format!("next window edge at 2026-12-05T{edge}"));
    }
    emulator.advance(hour);
    lines.until("no window edge ahead");
    emulator.advance(hour);
    let status = child.wait().unwrap();
    watch_snapshot!(lines.all(), @r#"
    [NOW]  watching: planning at each window edge and every 100ms, until [TIME]
    [NOW]  no changes; next window edge at 2026-12-05T01:00:00Z (in [DURATION])
    [NOW]  alibaba_dts.billing_migration  suspended (window open)
    [NOW]  no changes; next window edge at 2026-12-05T02:00:00Z (in [DURATION])
    [NOW]  huawei_drs.eu_replica  suspended (window open)
    [NOW]  no changes; next window edge at 2026-12-05T03:00:00Z (in [DURATION])
    [NOW]  alibaba_dts.billing_migration  resumed (window closed)
    [NOW]  no changes; next window edge at 2026-12-05T04:00:00Z (in [DURATION])
    [NOW]  huawei_drs.eu_replica  resumed (window closed)
    [NOW]  no changes; no window edge ahead
    [NOW]  stopping: --max-duration 5h reached; every round did its whole plan
    "#);
    assert_eq!(status.code(), Some(0));

    let billing = "k2n8x7c1vq90002".to_owned();
    let replica = "8d0e8e36-a618-490d-8a46-8c61ac9bb502".to_owned();
    assert_eq!(
        actions(&emulator),
        [
            ("SuspendDtsJob".to_owned(), vec![billing.clone()]),
            ("batch-pause-task".to_owned(), vec![replica.clone()]),
            ("StartDtsJob".to_owned(), vec![billing]),
            ("batch-retry-task".to_owned(), vec![replica]),
        ]
    );
    // Each action once: its write-ahead mark, then its result.
    let entry = |address: &str, verb: &str, outcome: &str| {
        (address.to_owned(), verb.to_owned(), outcome.to_owned())
    };
    assert_eq!(
        audited(&pulled(&test)),
        [
            entry("alibaba_dts.billing_migration", "suspend", "pending"),
            entry("alibaba_dts.billing_migration", "suspend", "succeeded"),
            entry("huawei_drs.eu_replica", "suspend", "pending"),
            entry("huawei_drs.eu_replica", "suspend", "succeeded"),
            entry("alibaba_dts.billing_migration", "resume", "pending"),
            entry("alibaba_dts.billing_migration", "resume", "succeeded"),
            entry("huawei_drs.eu_replica", "resume", "pending"),
            entry("huawei_drs.eu_replica", "resume", "succeeded"),
        ]
    );
}

/// Ctrl-C while the pause is in flight: the answer is recorded, nothing
/// new starts, and the watch stops; the state agrees with what the cloud
/// saw and the next plan shows what remains.
#[test]
fn ctrl_c_during_a_held_request_stops_with_nothing_half_recorded() {
    let emulator = emulator(Duration::from_secs(3600 + 30 * 60));
    emulator.inject(Fault::new(FaultKind::Slow { delay_ms: 3_600_000 }).on_action("SuspendDtsJob"));
    let test = on_emulator_clock(&emulator, TWO_WINDOWS);
    let mut child = test.again(&["watch", "--interval", "100ms"]).spawn_piped();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    crate::support::wait_until_held(&emulator, &mut child);
    interrupt(&child);
    crate::support::read_until(&mut stderr, "Interrupt received");
    emulator.release_held();
    let lines = Lines::of(&mut child);
    let status = child.wait().unwrap();
    watch_snapshot!(lines.all(), @r#"
    [NOW]  watching: planning at each window edge and every 100ms
    [NOW]  alibaba_dts.billing_migration  suspend pending (window open)
    [NOW]  stopping: interrupted; some round fell short of its plan (exit status 4)
    "#);
    assert_eq!(status.code(), Some(4));
    // The answer came and was recorded: the cloud paused the job, the
    // state says the pause was sent, and no other action went out.
    assert_eq!(
        actions(&emulator),
        [("SuspendDtsJob".to_owned(), vec!["k2n8x7c1vq90002".to_owned()])]
    );
    let state = pulled(&test);
    assert_eq!(
        audited(&state),
        [("alibaba_dts.billing_migration".to_owned(), "suspend".to_owned(), "pending".to_owned())]
    );
    // What remains: the replica's window, still to open.
    let plan = test.again(&["plan", "--json"]).run();
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    let planned = |n: usize| {
        let change = &plan["changes"][n];
        [
            &change["address"],
            &change["action"],
            &change["live"]["state"],
            &change["window"]["phase"],
        ]
        .map(|v| v.as_str().unwrap().to_owned())
    };
    assert_eq!(planned(0), ["alibaba_dts.billing_migration", "no-op", "suspended", "open"]);
    assert_eq!(planned(1), ["huawei_drs.eu_replica", "no-op", "running", "upcoming"]);
}

/// A window the cloud would not survive is reported once, never applied,
/// and the exit status says an edge was not kept.
#[test]
fn a_blocked_window_is_reported_and_the_exit_status_says_so() {
    let emulator = emulator(Duration::ZERO);
    let seven_hours = TWO_WINDOWS.replace("11:00:00+08:00", "16:00:00+08:00");
    let test = on_emulator_clock(&emulator, &seven_hours);
    let mut child =
        test.again(&["watch", "--interval", "100ms", "--max-duration", "30m"]).spawn_piped();
    let mut lines = Lines::of(&mut child);
    lines.until("blocked");
    emulator.advance(Duration::from_secs(3600));
    let status = child.wait().unwrap();
    watch_snapshot!(lines.all(), @r#"
    [NOW]  watching: planning at each window edge and every 100ms, until [TIME]
    [NOW]  alibaba_dts.billing_migration  blocked [window_too_long]: the window would keep the job paused from 2026-12-05T01:00:00Z to 2026-12-05T08:00:00Z, longer than 6 hours: an incremental task paused longer than 6 hours cannot be restarted. Shorten the window.
    [NOW]  stopping: --max-duration 30m reached; some round fell short of its plan (exit status 4)
    "#);
    assert_eq!(status.code(), Some(4));
    assert_eq!(actions(&emulator), []);
}

/// On the PostgreSQL state: a round takes the lock and lets it go, so
/// another command gets it while the watch sleeps; what the watch applied is
/// in the database.
#[test]
fn watch_keeps_a_window_on_the_postgresql_state() {
    use jobform::state::{Actor, PgStore, StateStore};

    let Some(cluster) = Cluster::start(false) else { return };
    let emulator = emulator(Duration::ZERO);
    let test = on_emulator_clock(&emulator, TWO_WINDOWS)
        .file("backend.hcl", "backend \"pg\" {\n  schema_name = \"jobform\"\n}\n")
        .env("PG_CONN_STR", &cluster.conn_str());
    let mut child =
        test.again(&["watch", "--interval", "100ms", "--max-duration", "90m"]).spawn_piped();
    let mut lines = Lines::of(&mut child);
    lines.until("next window edge at 2026-12-05T01:00:00Z");
    let store = PgStore::connect(&cluster.settings("default")).unwrap();
    let actor = Actor { user: "probe".to_owned(), host: "test".to_owned(), ci: None };
    drop(store.lock("probe", &actor, Duration::from_secs(10)).expect("free between rounds"));
    emulator.advance(Duration::from_secs(3600));
    lines.until("next window edge at 2026-12-05T02:00:00Z");
    emulator.advance(Duration::from_secs(3600));
    let status = child.wait().unwrap();
    watch_snapshot!(lines.all(), @r#"
    [NOW]  watching: planning at each window edge and every 100ms, until [TIME]
    [NOW]  no changes; next window edge at 2026-12-05T01:00:00Z (in [DURATION])
    [NOW]  alibaba_dts.billing_migration  suspended (window open)
    [NOW]  no changes; next window edge at 2026-12-05T02:00:00Z (in [DURATION])
    [NOW]  stopping: --max-duration 1h 30m reached; every round did its whole plan
    "#);
    assert_eq!(status.code(), Some(0));
    let state = store.load().unwrap();
    let billing = &state.jobs[&"alibaba_dts.billing_migration".parse().unwrap()];
    let action = billing.last_action.as_ref().expect("the suspend is recorded");
    assert_eq!((action.verb.label(), action.outcome.label()), ("suspend", "succeeded"));
}

/// A round that finds the state locked by another command does not end
/// the watch: it says so once, and the next round after the lock is gone
/// opens the window (late: the exit status says a round fell short).
#[test]
fn a_locked_state_is_waited_out_round_by_round() {
    use jobform::state::{Actor, StateFile, StateStore};

    let emulator = emulator(Duration::ZERO);
    let test = on_emulator_clock(&emulator, TWO_WINDOWS);
    let mut child = test
        .again(&["watch", "--interval", "100ms", "--max-duration", "90m", "--lock-timeout", "0s"])
        .spawn_piped();
    let mut lines = Lines::of(&mut child);
    lines.until("next window edge at 2026-12-05T01:00:00Z");
    let store = StateFile::new(test.path().join(jobform::state::DEFAULT_PATH));
    let actor = Actor { user: "dba".to_owned(), host: "bastion".to_owned(), ci: None };
    let held = store.lock("apply", &actor, Duration::from_secs(10)).expect("free between rounds");
    let held_id = held.info().id.clone();
    emulator.advance(Duration::from_secs(3600));
    lines.until("round not run");
    assert_eq!(actions(&emulator), [], "nothing is sent while the state is locked");
    drop(held);
    lines.until("suspended (window open)");
    lines.until("next window edge at 2026-12-05T02:00:00Z");
    emulator.advance(Duration::from_secs(3600));
    let status = child.wait().unwrap();
    let pid = std::process::id().to_string();
    let lock = held_id;
    let all = lines.all().replace(&format!("pid {pid}"), "pid [PID]").replace(&lock, "[LOCK_ID]");
    let all = regex::Regex::new(r"since \S+Z").unwrap().replace(&all, "since [TIME]").into_owned();
    watch_snapshot!(all, @r#"
    [NOW]  watching: planning at each window edge and every 100ms, until [TIME]
    [NOW]  no changes; next window edge at 2026-12-05T01:00:00Z (in [DURATION])
    [NOW]  round not run: State locked (the state is locked by dba@bastion (pid [PID], `jobform apply`, since [TIME], lock id [LOCK_ID]). Wait for it to finish (or pass --lock-timeout); if that process is gone, run `jobform force-unlock [LOCK_ID]`); trying again at the next round
    [NOW]  alibaba_dts.billing_migration  suspended (window open)
    [NOW]  no changes; next window edge at 2026-12-05T02:00:00Z (in [DURATION])
    [NOW]  stopping: --max-duration 1h 30m reached; some round fell short of its plan (exit status 4)
    "#);
    assert_eq!(status.code(), Some(4));
    assert_eq!(actions(&emulator).len(), 1, "one suspend, sent once");
}

/// An address from the configuration is shown escaped: a hostile
/// `for_each` key neither drives the terminal nor forges a line.
#[test]
fn a_hostile_address_stays_one_inert_line() {
    let emulator = emulator(Duration::from_secs(3600 + 30 * 60));
    let jobs = TWO_WINDOWS.replace(
        "id          = \"k2n8x7c1vq90002\"",
        "for_each    = { \"x\\u001b]0;owned\\u0007\\n2026-12-05T01:30:00Z  forged\" = \"k2n8x7c1vq90002\" }\n  id          = each.value",
    );
    let test = on_emulator_clock(&emulator, &jobs);
    let mut child =
        test.again(&["watch", "--interval", "100ms", "--max-duration", "1h"]).spawn_piped();
    let mut lines = Lines::of(&mut child);
    lines.until("next window edge at 2026-12-05T02:00:00Z");
    emulator.advance(Duration::from_secs(3600));
    let status = child.wait().unwrap();
    let all = lines.all();
    assert!(jobform::render::terminal::is_inert(&all), "{all:?}");
    watch_snapshot!(all, @r#"
    [NOW]  watching: planning at each window edge and every 100ms, until [TIME]
    [NOW]  alibaba_dts.billing_migration["x\x1b]0;owned\x07\n2026-12-05T01:30:00Z  forged"]  suspended (window open)
    [NOW]  no changes; next window edge at 2026-12-05T02:00:00Z (in [DURATION])
    [NOW]  stopping: --max-duration 1h reached; every round did its whole plan
    "#);
    assert_eq!(status.code(), Some(0));
}

/// Ctrl-C while the watch sleeps ends it at once, every round kept (0); a
/// second Ctrl-C during a held request exits at once (130).
#[test]
fn ctrl_c_while_sleeping_stops_at_once_and_a_second_one_during_a_request_exits() {
    let emulator = emulator(Duration::ZERO);
    let test = on_emulator_clock(&emulator, TWO_WINDOWS);
    let mut child = test.again(&["watch"]).spawn_piped();
    let mut lines = Lines::of(&mut child);
    lines.until("no changes");
    interrupt(&child);
    let status = child.wait().unwrap();
    watch_snapshot!(lines.all(), @r#"
    [NOW]  watching: planning at each window edge and every 5m
    [NOW]  no changes; next window edge at 2026-12-05T01:00:00Z (in [DURATION])
    [NOW]  stopping: interrupted; every round did its whole plan
    "#);
    assert_eq!(status.code(), Some(0));

    emulator.advance(Duration::from_secs(3600));
    emulator.inject(Fault::new(FaultKind::Slow { delay_ms: 3_600_000 }).on_action("SuspendDtsJob"));
    let mut child = test.again(&["watch"]).spawn_piped();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    crate::support::wait_until_held(&emulator, &mut child);
    interrupt(&child);
    // The second comes once the first is acknowledged (two signals at once
    // may count as one).
    crate::support::read_until(&mut stderr, "Interrupt received");
    interrupt(&child);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "exited at once: {status}");
    let lock = test.again(&["state", "list"]).run();
    assert_eq!(lock.code, Some(0), "the lock went with it: {}", lock.stderr);
}

/// A re-send or a refresh is decided once, not at every round.
#[test]
fn one_off_plan_options_are_refused() {
    jobform_snapshot!(Test::new().args(["watch", "--resend-unknown", "alibaba_dts.x"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid command line
    --refresh-only and --resend-unknown are for one `plan` or `apply`, not for every round of a watch.
    "#);
}

/// The plan's warnings get a line each, said once while they stand.
#[test]
fn a_warning_is_said_once() {
    let emulator = emulator(Duration::ZERO);
    let test = on_emulator_clock(&emulator, TWO_WINDOWS);
    let mut child = test
        .again(&["watch", "--interval", "100ms", "--target", "alibaba_dts.billing_migration"])
        .spawn_piped();
    let mut lines = Lines::of(&mut child);
    lines.until("no changes");
    emulator.advance(Duration::from_secs(3600));
    lines.until("next window edge at 2026-12-05T03:00:00Z");
    interrupt(&child);
    let status = child.wait().unwrap();
    watch_snapshot!(lines.all(), @r#"
    [NOW]  watching: planning at each window edge and every 100ms
    [NOW]  warning [partial_plan]: --target/--exclude narrowed this plan: jobs left out were neither read nor planned
    [NOW]  no changes; next window edge at 2026-12-05T01:00:00Z (in [DURATION])
    [NOW]  alibaba_dts.billing_migration  suspended (window open)
    [NOW]  no changes; next window edge at 2026-12-05T03:00:00Z (in [DURATION])
    [NOW]  stopping: interrupted; every round did its whole plan
    "#);
    assert_eq!(status.code(), Some(0));
}
