//! What state writes cost an apply (issue 10, part 3): `apply --auto-approve`
//! of 1,000, 5,000 and 10,000 Huawei DRS pauses on the emulator with instant
//! transitions (each ×5 step should cost at most ×6), then a 300-job apply
//! on a fresh state against the same apply on a state with a 100,000-entry
//! audit history (within 1.2×). Prints wall time, peak RSS and the state's
//! files after each apply; run with `cargo bench --bench state`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jobform::model::{ActionVerb, Address, JobKind};
use jobform::state::{ActionOutcome, Actor, AuditEntry, ChangeSet, StateFile, StateStore};
use jobform_emulator::{Emulator, World};
use serde_json::json;

/// Runs of each apply; the median is reported.
const RUNS: usize = 3;
const PROJECT: &str = "054ba152d480d55b2f5dc0069e7ddef0";
const STATE_PATH: &str = "state/jobform.state.json";
/// The audit history of the last benchmark.
const HISTORY: usize = 100_000;

fn main() {
    let binary = env!("CARGO_BIN_EXE_jobform");
    println!(
        "apply of N DRS pauses (median of {RUNS} runs, transitions instant, rate limits off)\n"
    );
    println!(
        "{:>6} | {:>9} | {:>8} | {:>9} | {:>11} | {:>10}",
        "jobs", "wall (ms)", "ratio", "peak RSS", "snapshot", "audit log"
    );
    println!("{}", "-".repeat(70));
    let mut previous: Option<Duration> = None;
    for jobs in [1_000, 5_000, 10_000] {
        let (wall, rss, files) = median_apply(binary, jobs, |_| {});
        let ratio = previous.map_or_else(String::new, |p| format!("x{:.2}", secs(wall) / secs(p)));
        println!(
            "{jobs:>6} | {:>9.1} | {ratio:>8} | {:>5.1} MiB | {:>7.1} KiB | {:>6.1} KiB",
            ms(wall),
            mib(rss),
            kib(files.0),
            kib(files.1)
        );
        previous = Some(wall);
    }

    println!("\napply of 300 DRS pauses, fresh state against a {HISTORY}-entry audit history\n");
    let (fresh, fresh_rss, _) = median_apply(binary, 300, |_| {});
    let (loaded, loaded_rss, files) = median_apply(binary, 300, write_history);
    println!("fresh state:          {:>8.1} ms, peak RSS {:>5.1} MiB", ms(fresh), mib(fresh_rss));
    println!(
        "{HISTORY} audit entries: {:>8.1} ms, peak RSS {:>5.1} MiB (audit log {:.1} MiB)",
        ms(loaded),
        mib(loaded_rss),
        kib(files.1) / 1024.0
    );
    let ratio = secs(loaded) / secs(fresh);
    println!(
        "ratio x{ratio:.3}: {}",
        if ratio <= 1.2 { "within 1.2x: met" } else { "over 1.2x: MISSED" }
    );
}

/// Applies N DRS pauses in a fresh directory `RUNS` times (`prepare` sets up
/// its state first); returns the median wall time, the largest peak RSS
/// (KiB) and the median run's snapshot and audit log sizes (bytes).
fn median_apply(binary: &str, jobs: usize, prepare: impl Fn(&Path)) -> (Duration, u64, (u64, u64)) {
    let ids: Vec<String> = (0..jobs).map(|i| format!("00000000-0000-4000-8000-{i:012}")).collect();
    let mut runs: Vec<(Duration, u64, (u64, u64))> = (0..RUNS)
        .map(|_| {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::write(dir.path().join("main.hcl"), hcl(&ids)).expect("write main.hcl");
            prepare(dir.path());
            let emulator = Emulator::start(world(&ids)).expect("start the emulator");
            let (wall, rss) = run(binary, dir.path(), &emulator);
            let size = |suffix: &str| {
                std::fs::metadata(dir.path().join(format!("{STATE_PATH}{suffix}")))
                    .map_or(0, |m| m.len())
            };
            (wall, rss, (size(""), size(".audit")))
        })
        .collect();
    let rss = runs.iter().map(|r| r.1).max().unwrap_or(0);
    runs.sort_by_key(|r| r.0);
    let (wall, _, files) = runs.swap_remove(RUNS / 2);
    (wall, rss, files)
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
                verb: ActionVerb::Suspend,
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

/// Runs `jobform apply --auto-approve` in `dir`; returns the wall time and
/// the peak RSS in KiB (`VmHWM`, a high-water mark sampled every 2 ms).
fn run(binary: &str, dir: &Path, emulator: &Emulator) -> (Duration, u64) {
    let start = Instant::now();
    let mut child = Command::new(binary)
        .args(["apply", "--auto-approve"])
        .current_dir(dir)
        .env("JOBFORM_HUAWEI_ENDPOINT", emulator.url())
        .env("HUAWEICLOUD_SDK_AK", "HWBENCHAK")
        .env("HUAWEICLOUD_SDK_SK", "bench-sk")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run jobform");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = std::fs::read_to_string(&status_file).ok().and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:")?.trim().split(' ').next()?.parse().ok())
        }) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait for jobform") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = start.elapsed();
    assert!(status.success(), "jobform apply failed ({status}): {:?}", child.stderr.take());
    (wall, peak)
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// KiB to MiB, for display.
#[allow(clippy::cast_precision_loss)]
fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Bytes to KiB, for display.
#[allow(clippy::cast_precision_loss)]
fn kib(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}
