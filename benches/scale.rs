//! How jobform scales: for N = 1,000, 10,000 and 100,000 jobs of mixed kinds
//! on both clouds, generate the emulator world and the matching HCL, then
//! time the release binary's `validate` (configuration load) and `plan`,
//! count the API requests a plan costs (from the emulator's journal) and
//! sample the plan's peak RSS. Then time `apply`: Huawei DRS pauses
//! (requests per job, batching), Alibaba DTS suspends under a rate limit on
//! `SuspendDtsJobs`, and mixed DTS + DRS pauses against a per-job baseline
//! (one status read and one action per job, one after another, as a user's
//! script does) measured in the same run. Last, a plan of 6,000 DTS jobs
//! under the documented 20 calls/s limit on `DescribeDtsJobs`, against its
//! floor of pages ÷ 20 s. Run with `cargo bench --bench scale`.
//!
//! The emulator's rate limits are switched off, and jobform's own pacing is
//! lifted (`max_requests_per_second`), so the figures measure jobform, not
//! the throttling a real account adds; the throttled apply and the
//! rate-limited plan set limits on purpose.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jobform_emulator::{Cloud, Emulator, Outcome, RateLimit, World};
use serde_json::json;

mod support;
use support::{Sample, mib, ms};

/// How many times each command runs; the median is reported.
const RUNS: usize = 3;
/// `max_requests_per_second` in the unthrottled runs: pacing off in effect.
const UNPACED: u32 = 1_000_000;
const PROJECT: &str = "054ba152d480d55b2f5dc0069e7ddef0";

/// The share of each kind in a generated fleet, out of 10.
const MIX: [(&str, usize); 5] = [
    ("dts_sync", 3),
    ("dts_migration", 2),
    ("legacy_migration", 1),
    ("legacy_sync", 1),
    ("drs", 3),
];

/// The parts of the benchmark, in the order they run; `cargo bench --bench
/// scale -- plan apply` runs only those named (all when none is).
const SECTIONS: [&str; 4] = ["plan", "apply", "baseline", "rate"];

fn main() {
    let binary = env!("CARGO_BIN_EXE_jobform");
    // `cargo bench` passes `--bench`; every other argument names a section.
    let asked: Vec<String> =
        std::env::args().skip(1).filter(|arg| !arg.starts_with("--")).collect();
    if let Some(unknown) = asked.iter().find(|arg| !SECTIONS.contains(&arg.as_str())) {
        eprintln!("unknown section `{unknown}`: the sections are {}", SECTIONS.join(", "));
        std::process::exit(2);
    }
    let runs = |section: &str| asked.is_empty() || asked.iter().any(|arg| arg == section);
    if runs("plan") {
        plan_benchmarks(binary);
    }
    if runs("apply") {
        apply_benchmarks(binary);
    }
    if runs("baseline") {
        apply_against_baseline(binary);
    }
    if runs("rate") {
        rate_limited_plan(binary);
    }
}

/// `validate` and `plan --json` of 1,000, 10,000 and 100,000 mixed jobs:
/// wall time, requests and peak RSS, and the growth of plan time per ×10.
fn plan_benchmarks(binary: &str) {
    println!(
        "jobform scale benchmark ({RUNS} runs each, median; emulator on loopback, rate limits off)\n"
    );
    println!(
        "{:>6} | {:>10} | {:>10} | {:>12} | {:>9} | {:>10} | requests by operation",
        "jobs", "load (ms)", "plan (ms)", "its CPU (ms)", "requests", "peak RSS"
    );
    println!("{}", "-".repeat(115));
    let mut plan_times = Vec::new();
    let mut largest = None;
    for jobs in [1_000, 10_000, 100_000] {
        let fleet = Fleet::generate(jobs);
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("main.hcl"), fleet.hcl(Some(UNPACED)))
            .expect("write main.hcl");
        let emulator = Emulator::start(
            World::from_json(&fleet.world().to_string(), "bench world").expect("world"),
        )
        .expect("start the emulator");

        let load = median(RUNS, || run(binary, dir.path(), &emulator, &["validate"]).wall);
        let plans: Vec<Sample> = (0..RUNS)
            .map(|_| {
                emulator.clear_journal();
                run(binary, dir.path(), &emulator, &["plan", "--json"])
            })
            .collect();
        let mut figures = plans.iter();
        let plan = median(RUNS, || figures.next().expect("a run").wall);
        let mut figures = plans.iter();
        let cpu = median(RUNS, || figures.next().expect("a run").cpu);
        let rss = plans.iter().map(|sample| sample.peak_kib).max().unwrap_or(0);
        let mut by_operation: BTreeMap<String, usize> = BTreeMap::new();
        for entry in emulator.journal() {
            *by_operation.entry(entry.action).or_default() += 1;
        }
        let requests: usize = by_operation.values().sum();
        let detail = by_operation.iter().fold(String::new(), |mut text, (op, n)| {
            let _ = write!(text, "{op} {n}, ");
            text
        });
        println!(
            "{jobs:>6} | {:>10.1} | {:>10.1} | {:>12.0} | {requests:>9} | {:>6.1} MiB | {}",
            ms(load),
            ms(plan),
            ms(cpu),
            mib(rss),
            detail.trim_end_matches(", ")
        );
        plan_times.push((jobs, plan));
        largest = Some((jobs, plan, rss));
    }
    println!();
    if let Some((jobs, plan, rss)) = largest {
        let verdict = |met: bool| if met { "met" } else { "MISSED" };
        println!(
            "plan of {jobs} jobs: {:.2} s (target <= 3 s: {}), peak RSS {:.1} MiB (target <= 100 MiB: {})",
            plan.as_secs_f64(),
            verdict(plan <= Duration::from_secs(3)),
            mib(rss),
            verdict(rss <= 100 * 1024)
        );
    }
    for pair in plan_times.windows(2) {
        let ((small, t_small), (large, t_large)) = (pair[0], pair[1]);
        let growth = t_large.as_secs_f64() / t_small.as_secs_f64();
        println!(
            "plan time x{growth:.1} from {small} to {large} jobs (x{} jobs; target <= x12: {})",
            large / small,
            if growth <= 12.0 { "met" } else { "MISSED" }
        );
    }
}

/// Jobs acted on by each apply benchmark.
const APPLY_JOBS: usize = 1_000;
/// The limit on `SuspendDtsJobs` in the throttled apply, requests per second.
const SUSPEND_QPS: u32 = 10;

/// `apply --auto-approve` of 1,000 suspends, once per cloud, each on a fresh
/// emulator (an apply changes the world) with transitions taking no time.
fn apply_benchmarks(binary: &str) {
    let batch = jobform::model::DEFAULT_BATCH_SIZE as usize;
    println!(
        "\napply of {APPLY_JOBS} suspends (median of {APPLY_RUNS} runs, batch size {batch}, transitions instant)\n"
    );
    println!(
        "{:<34} | {:>9} | {:>8} | {:>8} | {:>9} | requests by operation",
        "scenario", "wall (ms)", "accepted", "per job", "throttled"
    );
    println!("{}", "-".repeat(110));
    let huawei = Fleet { ids: vec![("drs", Fleet::ids("drs", 0, APPLY_JOBS))] };
    let (_, huawei_journal) = median_apply(binary, &huawei, None);
    let alibaba = Fleet { ids: vec![("dts_sync", Fleet::ids("dts_sync", 0, APPLY_JOBS))] };
    let limit =
        RateLimit { cloud: Cloud::Alibaba, action: "SuspendDtsJobs".to_owned(), qps: SUSPEND_QPS };
    let (throttled_wall, alibaba_journal) = median_apply(binary, &alibaba, Some(&limit));
    let rows = [
        ("Huawei DRS pause, no limit".to_owned(), &huawei_journal, "batch-pause-task"),
        (
            format!("Alibaba DTS suspend, {SUSPEND_QPS} qps limit"),
            &alibaba_journal,
            "SuspendDtsJobs",
        ),
    ];
    for (scenario, (wall, journal), action) in rows {
        let summary = JournalSummary::of(journal);
        println!(
            "{scenario:<34} | {:>9.1} | {:>8} | {:>8.3} | {:>9} | {}",
            ms(*wall),
            summary.accepted,
            ratio(summary.accepted, APPLY_JOBS),
            summary.throttled,
            summary.detail
        );
        let expected = APPLY_JOBS.div_ceil(batch);
        let sent = summary.accepted_of(action);
        println!(
            "{:<34} | {action}: {sent} accepted, ceil({APPLY_JOBS}/{batch}) = {expected} expected: {}",
            "",
            if sent == expected { "met" } else { "MISSED" }
        );
    }
    let suspends = JournalSummary::of(&alibaba_journal.1).accepted_of("SuspendDtsJobs");
    let ideal = Duration::from_secs_f64(ratio(suspends, SUSPEND_QPS as usize));
    let excess = throttled_wall.as_secs_f64() / ideal.as_secs_f64();
    println!(
        "\nthrottled apply: {:.2} s for {suspends} SuspendDtsJobs at {SUSPEND_QPS}/s, ideal {:.2} s: x{excess:.3} ({})",
        throttled_wall.as_secs_f64(),
        ideal.as_secs_f64(),
        if excess <= 1.1 { "within 10 %: met" } else { "over 10 %: MISSED" }
    );
}

/// Mixed apply against the per-job baseline: `n` forward DTS
/// synchronizations and `n` DRS jobs paused by one `apply`, and by a loop
/// reading each job's status and pausing it, one request after another, with
/// jobform's own signed clients (so the ratio is jobform's batching and
/// concurrency, not a difference of HTTP stacks). Each on a fresh emulator.
fn apply_against_baseline(binary: &str) {
    println!(
        "\napply of n DTS + n DRS pauses against the per-job baseline (median of {APPLY_RUNS} runs each)\n"
    );
    println!(
        "{:>6} | {:>15} | {:>16} | {:>8} | {:>8} | apply requests",
        "n", "apply wall (ms)", "baseline (ms)", "ratio", "target"
    );
    println!("{}", "-".repeat(90));
    for (n, target) in [(1_000, 5.0), (5_000, 10.0)] {
        let fleet = Fleet {
            ids: vec![("dts_sync", Fleet::ids("dts_sync", 0, n)), ("drs", Fleet::ids("drs", n, n))],
        };
        let (apply, (_, journal)) = median_apply(binary, &fleet, None);
        let mut baselines: Vec<Duration> = (0..APPLY_RUNS).map(|_| baseline(&fleet)).collect();
        baselines.sort();
        let baseline = baselines[APPLY_RUNS / 2];
        let speedup = baseline.as_secs_f64() / apply.as_secs_f64();
        println!(
            "{n:>6} | {:>15.1} | {:>16.1} | {speedup:>7.1}x | {:>7}x | {} ({})",
            ms(apply),
            ms(baseline),
            target,
            JournalSummary::of(&journal).detail,
            if speedup >= target { "met" } else { "MISSED" }
        );
    }
}

/// The per-job loop: for every job, read its status, then pause it, each
/// one request, sequentially; returns the wall time.
fn baseline(fleet: &Fleet) -> Duration {
    use jobform::model::{
        ActionVerb, Address, Direction, DtsJobType, JobKind, KindOptions, PauseMode, Secret,
    };
    use jobform::provider::{
        Action, AlibabaClient, AlibabaCredentials, Call, HuaweiClient, HuaweiCredentials, JobRef,
        RequestOutcome, Settings, SystemClock,
    };
    let emulator = Emulator::start(
        World::from_json(&fleet.world().to_string(), "bench world").expect("world"),
    )
    .expect("start the emulator");
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let settings = Settings { max_requests_per_second: Some(UNPACED), ..Settings::default() };
    let credentials = AlibabaCredentials {
        access_key_id: "LTAIbench".to_owned(),
        access_key_secret: Secret::new("bench-secret"),
        security_token: None,
    };
    let alibaba = AlibabaClient::new(
        "cn-hangzhou",
        Some(emulator.url()),
        credentials,
        &settings,
        std::sync::Arc::new(SystemClock),
    )
    .expect("alibaba client");
    let credentials = HuaweiCredentials::AccessKey {
        access_key: "HWBENCHAK".to_owned(),
        secret_key: Secret::new("bench-sk"),
        security_token: None,
    };
    let huawei = HuaweiClient::new(
        "ap-southeast-1",
        PROJECT,
        Some(emulator.url()),
        credentials,
        &settings,
        std::sync::Arc::new(SystemClock),
    )
    .expect("huawei client");
    // A script knows each job's type: it sends no probe of another JobType.
    alibaba.hint_job_types(fleet.of("dts_sync").iter().map(|id| (id.as_str(), DtsJobType::Sync)));
    let start = Instant::now();
    runtime.block_on(async {
        for (kind, block) in [(JobKind::AlibabaDts, "dts_sync"), (JobKind::HuaweiDrs, "drs")] {
            for id in fleet.of(block) {
                let options =
                    KindOptions::new(kind.cloud(), Direction::Forward, None, PauseMode::Target);
                let job = JobRef { kind, id, options: &options };
                let call = Call {
                    actions: vec![Action {
                        address: Address::new(kind, "job"),
                        id: id.clone(),
                        verb: ActionVerb::Suspend,
                        options: options.clone(),
                        token_seed: id.clone(),
                    }],
                };
                let (read, results) = if kind == JobKind::HuaweiDrs {
                    (huawei.read(&[job]).await, huawei.execute(&call).await)
                } else {
                    (alibaba.read(&[job]).await, alibaba.execute(&call).await)
                };
                assert_eq!(read.expect("status read").found.len(), 1, "{id} read");
                assert!(
                    matches!(results[0].outcome, RequestOutcome::Accepted { .. }),
                    "{id}: {:?}",
                    results[0].outcome
                );
            }
        }
    });
    start.elapsed()
}

/// DTS jobs in the rate-limited plan.
const LIMITED_PLAN_JOBS: usize = 6_000;
/// The documented limit of `DescribeDtsJobs`, calls per second per account.
const DESCRIBE_QPS: u32 = 20;

/// A plan of 6,000 DTS migrations with the emulator limiting
/// `DescribeDtsJobs` to 20 calls a second and jobform pacing at its default
/// (the documented limit): wall time against the floor of pages ÷ 20 s.
fn rate_limited_plan(binary: &str) {
    let fleet =
        Fleet { ids: vec![("dts_migration", Fleet::ids("dts_migration", 0, LIMITED_PLAN_JOBS))] };
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.hcl"), fleet.hcl(None)).expect("write main.hcl");
    let emulator = Emulator::start(
        World::from_json(&fleet.world().to_string(), "bench world").expect("world"),
    )
    .expect("start the emulator");
    emulator.set_rate_limit(&RateLimit {
        cloud: Cloud::Alibaba,
        action: "DescribeDtsJobs".to_owned(),
        qps: DESCRIBE_QPS,
    });
    let mut summaries = Vec::new();
    let wall = median(RUNS, || {
        // A second apart, so one run's window does not throttle the next.
        std::thread::sleep(Duration::from_secs(1));
        emulator.clear_journal();
        let elapsed = run(binary, dir.path(), &emulator, &["plan", "--json"]).wall;
        summaries.push(JournalSummary::of(&emulator.journal()));
        elapsed
    });
    let pages = summaries.iter().map(|s| s.accepted_of("DescribeDtsJobs")).max().unwrap_or(0);
    let throttled: Vec<usize> = summaries.iter().map(|s| s.throttled).collect();
    let floor = ratio(pages, DESCRIBE_QPS as usize);
    let excess = wall.as_secs_f64() / floor;
    println!(
        "\nplan of {LIMITED_PLAN_JOBS} DTS jobs, DescribeDtsJobs limited to {DESCRIBE_QPS}/s (median of {RUNS}): \
         {:.2} s for {pages} pages, floor {floor:.2} s: x{excess:.3} ({}); throttled refusals per run {throttled:?}",
        wall.as_secs_f64(),
        if excess <= 1.1 { "within 10 %: met" } else { "over 10 %: MISSED" }
    );
}

/// Runs of each apply benchmark; the median wall time is reported.
const APPLY_RUNS: usize = 3;

/// Applies `fleet` (every job to be suspended) on a fresh emulator
/// `APPLY_RUNS` times under `limit`; returns the median wall time and the
/// (wall time, journal) of the median run.
fn median_apply(
    binary: &str,
    fleet: &Fleet,
    limit: Option<&RateLimit>,
) -> (Duration, (Duration, Vec<jobform_emulator::JournalEntry>)) {
    let mut runs: Vec<(Duration, Vec<jobform_emulator::JournalEntry>)> = (0..APPLY_RUNS)
        .map(|_| {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::write(dir.path().join("main.hcl"), fleet.hcl(Some(UNPACED)))
                .expect("write main.hcl");
            let emulator = Emulator::start(
                World::from_json(&fleet.world().to_string(), "bench world").expect("world"),
            )
            .expect("start the emulator");
            if let Some(limit) = limit {
                emulator.set_rate_limit(limit);
            }
            let wall = run(binary, dir.path(), &emulator, &["apply", "--auto-approve"]).wall;
            (wall, emulator.journal())
        })
        .collect();
    runs.sort_by_key(|(wall, _)| *wall);
    let median = runs.swap_remove(APPLY_RUNS / 2);
    (median.0, median)
}

/// An apply's requests from the emulator's journal.
struct JournalSummary {
    /// Requests answered with success.
    accepted: usize,
    /// Requests refused as throttled (sent again by the client).
    throttled: usize,
    /// Accepted requests by operation, for display.
    detail: String,
    by_operation: BTreeMap<String, usize>,
}

impl JournalSummary {
    fn of(journal: &[jobform_emulator::JournalEntry]) -> JournalSummary {
        let mut by_operation: BTreeMap<String, usize> = BTreeMap::new();
        let mut throttled = 0;
        for entry in journal {
            match &entry.outcome {
                Outcome::Rejected { code } if code.starts_with("Throttling") => throttled += 1,
                _ => *by_operation.entry(entry.action.clone()).or_default() += 1,
            }
        }
        let detail = by_operation.iter().fold(String::new(), |mut text, (op, n)| {
            let _ = write!(text, "{op} {n}, ");
            text
        });
        JournalSummary {
            accepted: by_operation.values().sum(),
            throttled,
            detail: detail.trim_end_matches(", ").to_owned(),
            by_operation,
        }
    }

    fn accepted_of(&self, action: &str) -> usize {
        self.by_operation.get(action).copied().unwrap_or(0)
    }
}

/// `count / per` (requests per job, seconds at a rate), for display.
#[allow(clippy::cast_precision_loss)]
fn ratio(count: usize, per: usize) -> f64 {
    count as f64 / per as f64
}

/// A generated fleet: ids per kind.
struct Fleet {
    ids: Vec<(&'static str, Vec<String>)>,
}

impl Fleet {
    fn generate(jobs: usize) -> Fleet {
        let mut next = 0;
        let ids = MIX
            .iter()
            .map(|(kind, share)| {
                let count = jobs * share / 10;
                let ids = Fleet::ids(kind, next, count);
                next += count;
                (*kind, ids)
            })
            .collect();
        Fleet { ids }
    }

    /// `count` ids of `kind` numbered from `first`, unique across kinds.
    fn ids(kind: &str, first: usize, count: usize) -> Vec<String> {
        (first..first + count)
            .map(|i| match kind {
                "drs" => format!("00000000-0000-4000-8000-{i:012}"),
                _ => format!("dtsbench{i:07}"),
            })
            .collect()
    }

    /// The ids of `kind`; none when the fleet has no such kind.
    fn of(&self, kind: &str) -> &[String] {
        self.ids.iter().find(|(k, _)| *k == kind).map_or(&[], |(_, ids)| ids)
    }

    /// The configuration: one `for_each` block per kind, all to be
    /// suspended; `pace` sets the providers' `max_requests_per_second`.
    fn hcl(&self, pace: Option<u32>) -> String {
        let pace = pace.map(|n| format!("  max_requests_per_second = {n}\n")).unwrap_or_default();
        let mut hcl = format!(
            "provider \"alibaba\" {{\n  region = \"cn-hangzhou\"\n{pace}}}\n\n\
             provider \"huawei\" {{\n  region     = \"ap-southeast-1\"\n  project_id = \"{PROJECT}\"\n{pace}}}\n\n\
             variable \"maintenance\" {{\n  type    = bool\n  default = true\n}}\n\n\
             locals {{\n  state = var.maintenance ? \"suspended\" : \"running\"\n}}\n"
        );
        for (kind, block) in [
            ("alibaba_dts", "dts_sync"),
            ("alibaba_dts", "dts_migration"),
            ("alibaba_migration", "legacy_migration"),
            ("alibaba_synchronization", "legacy_sync"),
            ("huawei_drs", "drs"),
        ] {
            if self.of(block).is_empty() {
                continue;
            }
            let ids =
                self.of(block).iter().map(|id| format!("\"{id}\"")).collect::<Vec<_>>().join(", ");
            let _ = write!(
                hcl,
                "\njob \"{kind}\" \"{block}\" {{\n  for_each = toset([{ids}])\n  id       = each.value\n  state    = local.state\n}}\n"
            );
        }
        hcl
    }

    fn world(&self) -> serde_json::Value {
        let alibaba = |block: &str, kind: &'static str, status: &'static str| {
            self.of(block).iter().map(move |id| {
                json!({ "id": id, "kind": kind, "region": "cn-hangzhou", "status": status })
            })
        };
        let alibaba_jobs: Vec<serde_json::Value> = alibaba("dts_sync", "SYNC", "Synchronizing")
            .chain(alibaba("dts_migration", "MIGRATION", "Migrating"))
            .chain(alibaba("legacy_migration", "LEGACY_MIGRATION", "Migrating"))
            .chain(alibaba("legacy_sync", "LEGACY_SYNCHRONIZATION", "Synchronizing"))
            .collect();
        let drs: Vec<serde_json::Value> = self
            .of("drs")
            .iter()
            .map(
                |id| json!({ "id": id, "project_id": PROJECT, "status": "INCRE_TRANSFER_STARTED" }),
            )
            .collect();
        json!({
            "transition_delay_seconds": 0,
            "rate_limits": [],
            "alibaba": {
                "accounts": [{ "access_key_id": "LTAIbench", "access_key_secret": "bench-secret" }],
                "regions": ["cn-hangzhou"],
                "jobs": alibaba_jobs,
            },
            "huawei": {
                "accounts": [{ "access_key": "HWBENCHAK", "secret_key": "bench-sk" }],
                "projects": [{ "id": PROJECT, "region": "ap-southeast-1" }],
                "jobs": drs,
            },
        })
    }
}

/// Runs `jobform ARGS` in `dir` against `emulator` and samples it.
fn run(binary: &str, dir: &Path, emulator: &Emulator, args: &[&str]) -> Sample {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(args)
        .current_dir(dir)
        .env("JOBFORM_ALIBABA_ENDPOINT", emulator.url())
        .env("JOBFORM_HUAWEI_ENDPOINT", emulator.url())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIbench")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "bench-secret")
        .env("HUAWEICLOUD_SDK_AK", "HWBENCHAK")
        .env("HUAWEICLOUD_SDK_SK", "bench-sk")
        .stdout(std::fs::File::create(dir.join("stdout.txt")).expect("stdout file"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("run jobform");
    let (status, sample) = support::sample(&mut child, started);
    if !status.success() {
        let mut stderr = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
        let stdout = std::fs::read_to_string(dir.join("stdout.txt")).unwrap_or_default();
        let failures: Vec<&str> =
            stdout.lines().filter(|line| line.contains("rror") || line.contains("fail")).collect();
        panic!(
            "jobform {} failed ({status}): {stderr}\n{}",
            args.join(" "),
            failures[failures.len().saturating_sub(20)..].join("\n")
        );
    }
    sample
}

fn median(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs).map(|_| f()).collect();
    times.sort();
    times[runs / 2]
}
