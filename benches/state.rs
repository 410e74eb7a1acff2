//! What state writes cost an apply (issue 10, part 3): `apply --auto-approve`
//! of 1,000, 5,000 and 10,000 Huawei DRS pauses on the emulator with instant
//! transitions (each ×5 step should cost at most ×6), then a 300-job apply
//! on a fresh state against the same apply on a state with a 100,000-entry
//! audit history (within 1.2×), then the 1,000-job apply with the state on
//! PostgreSQL against the local file (within 1.5×; a throwaway cluster, as
//! the tests start, skipped without server binaries). Prints wall time, peak
//! RSS and the state's files after each apply; run with `cargo bench --bench state`,
//! or `cargo bench --bench state -- pg` for the PostgreSQL comparison alone.

#[path = "../tests/integration/support/pg.rs"]
mod cluster;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jobform::model::{Address, JobKind};
use jobform::state::{
    ActionOutcome, Actor, AuditEntry, AuditVerb, ChangeSet, StateFile, StateStore,
};
use jobform_emulator::{Emulator, World};
use serde_json::json;

mod support;
use support::{Sample, mib, ms};

/// Runs of each apply; the median is reported.
const RUNS: usize = 3;
const PROJECT: &str = "054ba152d480d55b2f5dc0069e7ddef0";
const STATE_PATH: &str = "state/jobform.state.json";
/// The audit history of the last benchmark.
const HISTORY: usize = 100_000;

fn main() {
    let binary = env!("CARGO_BIN_EXE_jobform");
    // Cargo passes `--bench`; a bare `pg` picks the last comparison alone.
    if !std::env::args().skip(1).any(|arg| arg == "pg") {
        file_backend(binary);
    }
    pg_backend(binary);
}

/// The local file: the ×5 steps, then the 100,000-entry audit history.
fn file_backend(binary: &str) {
    println!(
        "apply of N DRS pauses (median of {RUNS} runs, transitions instant, rate limits off)\n"
    );
    println!(
        "{:>6} | {:>9} | {:>6} | {:>8} | {:>6} | {:>9} | {:>11} | {:>10}",
        "jobs", "wall (ms)", "ratio", "CPU (ms)", "ratio", "peak RSS", "snapshot", "audit log"
    );
    println!("{}", "-".repeat(90));
    let mut previous: Option<Measured> = None;
    for jobs in [1_000, 5_000, 10_000] {
        let measured = median_apply(binary, jobs, |_| {}, None);
        let ratio = |of: fn(&Measured) -> Duration| {
            previous
                .as_ref()
                .map_or_else(String::new, |p| format!("x{:.2}", secs(of(&measured)) / secs(of(p))))
        };
        println!(
            "{jobs:>6} | {:>9.1} | {:>6} | {:>8.1} | {:>6} | {:>5.1} MiB | {:>7.1} KiB | {:>6.1} KiB",
            ms(measured.wall),
            ratio(|m| m.wall),
            ms(measured.cpu),
            ratio(|m| m.cpu),
            mib(measured.rss),
            kib(measured.snapshot),
            kib(measured.audit_log)
        );
        previous = Some(measured);
    }

    println!("\napply of 300 DRS pauses, fresh state against a {HISTORY}-entry audit history\n");
    let fresh = median_apply(binary, 300, |_| {}, None);
    let loaded = median_apply(binary, 300, write_history, None);
    for (label, measured) in [("fresh state", &fresh), ("100,000 audit entries", &loaded)] {
        println!(
            "{label:<22} {:>8.1} ms wall, {:>6.1} ms CPU, peak RSS {:>5.1} MiB, audit log {:>6.1} KiB",
            ms(measured.wall),
            ms(measured.cpu),
            mib(measured.rss),
            kib(measured.audit_log)
        );
    }
    print_ratio(&loaded, &fresh, 1.2);
}

/// The 1,000-job apply on PostgreSQL against the local file.
fn pg_backend(binary: &str) {
    println!("\napply of 1,000 DRS pauses, the local state file against the pg backend\n");
    let Some(cluster) = cluster::Cluster::start(false) else { return };
    let local = median_apply(binary, 1_000, |_| {}, None);
    let pg = median_apply(binary, 1_000, |_| {}, Some(&cluster.conn_str()));
    for (label, measured) in [("local file", &local), ("pg backend", &pg)] {
        println!(
            "{label:<11} {:>8.1} ms wall, {:>6.1} ms CPU, peak RSS {:>5.1} MiB",
            ms(measured.wall),
            ms(measured.cpu),
            mib(measured.rss)
        );
    }
    print_ratio(&pg, &local, 1.5);
}

/// The wall-time ratio of `measured` to `baseline`, against `target`.
fn print_ratio(measured: &Measured, baseline: &Measured, target: f64) {
    let ratio = secs(measured.wall) / secs(baseline.wall);
    let verdict = if ratio <= target { "within" } else { "over" };
    let met = if ratio <= target { "met" } else { "MISSED" };
    println!("ratio x{ratio:.3}: {verdict} {target}x: {met}");
}

/// One apply, measured.
struct Measured {
    wall: Duration,
    /// jobform's own CPU time (user and system), without the emulator's.
    cpu: Duration,
    /// Peak RSS, KiB.
    rss: u64,
    /// The sizes of the snapshot and the audit log after it, bytes.
    snapshot: u64,
    audit_log: u64,
}

/// Applies N DRS pauses in a fresh directory `RUNS` times (`prepare` sets up
/// its state first), with the state in the local file or, given a
/// connection string, in a fresh workspace on PostgreSQL; returns the run of
/// median wall time.
fn median_apply(binary: &str, jobs: usize, prepare: impl Fn(&Path), pg: Option<&str>) -> Measured {
    let ids: Vec<String> = (0..jobs).map(|i| format!("00000000-0000-4000-8000-{i:012}")).collect();
    let mut runs: Vec<Measured> = (0..RUNS)
        .map(|_| {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::write(dir.path().join("main.hcl"), hcl(&ids)).expect("write main.hcl");
            prepare(dir.path());
            let mut env = Vec::new();
            if let Some(conn_str) = pg {
                std::fs::write(dir.path().join("backend.hcl"), "backend \"pg\" {}\n")
                    .expect("write backend.hcl");
                env.push(("PG_CONN_STR", conn_str.to_owned()));
                env.push(("JOBFORM_WORKSPACE", uuid::Uuid::new_v4().to_string()));
            }
            let emulator = Emulator::start(world(&ids)).expect("start the emulator");
            let Sample { wall, cpu, peak_kib: rss } = run(binary, dir.path(), &emulator, &env);
            let size = |suffix: &str| {
                std::fs::metadata(dir.path().join(format!("{STATE_PATH}{suffix}")))
                    .map_or(0, |m| m.len())
            };
            Measured { wall, cpu, rss, snapshot: size(""), audit_log: size(".audit") }
        })
        .collect();
    runs.sort_by_key(|r| r.wall);
    runs.swap_remove(RUNS / 2)
}

/// A state whose audit log holds `HISTORY` entries, written through the
/// store as applies would have (in commits of 10,000, then compacted).
fn write_history(dir: &Path) {
    let store = StateFile::new(dir.join(STATE_PATH));
    let mut state = store.load().expect("a fresh state");
    let who = Actor { user: "dba".to_owned(), host: "bench".to_owned(), ci: None };
    let at = time::OffsetDateTime::now_utc() - time::Duration::days(30);
    for chunk in 0..HISTORY / 10_000 {
        let audit = (0..10_000)
            .map(|i| {
                let job_id = format!("00000000-0000-4000-9000-{:012}", chunk * 10_000 + i);
                (i, job_id)
            })
            .map(|(i, job_id)| AuditEntry {
                at,
                who: who.clone(),
                message: Some("nightly maintenance window".to_owned()),
                address: Address::instance(JobKind::HuaweiDrs, "history", job_id.clone()),
                job_id,
                verb: AuditVerb::Suspend,
                request_id: Some(format!("req-{chunk}-{i}")),
                outcome: ActionOutcome::Succeeded,
                detail: Some("the job shows it took effect".to_owned()),
            })
            .collect();
        let changes = ChangeSet { audit, ..ChangeSet::default() };
        state.serial = store.commit(&state.lineage, state.serial, &changes).expect("commit");
    }
    store.compact().expect("compact");
}

fn hcl(ids: &[String]) -> String {
    let ids = ids.iter().map(|id| format!("\"{id}\"")).collect::<Vec<_>>().join(", ");
    format!(
        "provider \"huawei\" {{\n  region     = \"ap-southeast-1\"\n  project_id = \"{PROJECT}\"\n}}\n\n\
         job \"huawei_drs\" \"fleet\" {{\n  for_each = toset([{ids}])\n  id       = each.value\n  state    = \"suspended\"\n}}\n"
    )
}

fn world(ids: &[String]) -> World {
    let jobs: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| json!({ "id": id, "project_id": PROJECT, "status": "INCRE_TRANSFER_STARTED" }))
        .collect();
    let world = json!({
        "transition_delay_seconds": 0,
        "rate_limits": [],
        "alibaba": { "accounts": [], "regions": [], "jobs": [] },
        "huawei": {
            "accounts": [{ "access_key": "HWBENCHAK", "secret_key": "bench-sk" }],
            "projects": [{ "id": PROJECT, "region": "ap-southeast-1" }],
            "jobs": jobs,
        },
    });
    World::from_json(&world.to_string(), "state bench world").expect("world")
}

/// Runs `jobform apply --auto-approve` in `dir` and samples it.
fn run(binary: &str, dir: &Path, emulator: &Emulator, env: &[(&str, String)]) -> Sample {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(["apply", "--auto-approve"])
        .current_dir(dir)
        .env("JOBFORM_HUAWEI_ENDPOINT", emulator.url())
        .env("HUAWEICLOUD_SDK_AK", "HWBENCHAK")
        .env("HUAWEICLOUD_SDK_SK", "bench-sk")
        .envs(env.iter().map(|(key, value)| (key, value)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run jobform");
    let (status, sample) = support::sample(&mut child, started);
    assert!(status.success(), "jobform apply failed ({status}): {:?}", child.stderr.take());
    sample
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// Bytes to KiB, for display.
#[allow(clippy::cast_precision_loss)]
fn kib(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}
