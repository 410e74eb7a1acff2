//! The providers against the emulator: bulk reads count pages, not jobs;
//! every action kind reaches its target; batches are chunked at the
//! configured size; throttling storms and injected faults end as documented.

use std::time::Duration;

use crate::support::Test;
use jobform::model::{
    ActionVerb, Address, AlibabaOptions, AlibabaProvider, Direction, HuaweiOptions, HuaweiProvider,
    JobKind, KindOptions, LiveState, PauseMode, ProviderConfig, ProviderTuning, Secret,
    SourceLocation,
};
use jobform::provider::{Action, Call, CloudProvider, JobRef, LiveRead, Provider, RequestOutcome};
use jobform_emulator::{Cloud, Emulator, Fault, FaultKind, RateLimit, World};
use serde_json::{Value, json};

const PROJECT: &str = "054ba152d480d55b2f5dc0069e7ddef0";

fn location() -> SourceLocation {
    SourceLocation { file: "main.hcl".into(), line: 1, column: 1 }
}

fn alibaba(emulator: &Emulator, tuning: ProviderTuning) -> CloudProvider {
    let block = AlibabaProvider {
        alias: None,
        region: "cn-hangzhou".into(),
        access_key_id: Some("LTAIjobformexample".into()),
        access_key_secret: Some(Secret::new("jobform-example-secret")),
        security_token: None,
        endpoint: Some(emulator.url().to_owned()),
        tuning,
        declared_at: location(),
    };
    CloudProvider::from_config(&ProviderConfig::Alibaba(block), &|_| None).unwrap()
}

fn huawei(emulator: &Emulator, tuning: ProviderTuning) -> CloudProvider {
    let block = HuaweiProvider {
        alias: None,
        region: "ap-southeast-1".into(),
        project_id: PROJECT.into(),
        auth_token: None,
        access_key: Some("HWJOBFORMEXAMPLEAK01".into()),
        secret_key: Some(Secret::new("jobform-example-sk")),
        security_token: None,
        endpoint: Some(emulator.url().to_owned()),
        tuning,
        declared_at: location(),
    };
    CloudProvider::from_config(&ProviderConfig::Huawei(block), &|_| None).unwrap()
}

/// A world of the example's accounts with these jobs and no rate limits.
/// The emulator caps every DRS `jobs` list at `max_batch_ids`, batch-status
/// included; the client reads 100 ids a request (DRS documents `per_page`
/// ≤ 100 and no cap on `jobs`), so the cap is raised to 100 here.
fn world(alibaba_jobs: &[Value], huawei_jobs: &[Value]) -> World {
    let world = json!({
        "seed": 42,
        "transition_delay_seconds": 2,
        "max_batch_ids": 100,
        "rate_limits": [],
        "alibaba": {
            "accounts": [{"access_key_id": "LTAIjobformexample", "access_key_secret": "jobform-example-secret"}],
            "regions": ["cn-hangzhou"],
            "jobs": alibaba_jobs,
        },
        "huawei": {
            "accounts": [{"access_key": "HWJOBFORMEXAMPLEAK01", "secret_key": "jobform-example-sk"}],
            "projects": [{"id": PROJECT, "region": "ap-southeast-1"}],
            "jobs": huawei_jobs,
        },
    });
    World::from_json(&world.to_string(), "test world").unwrap()
}

fn alibaba_jobs(kind: &str, prefix: &str, count: usize, status: &str) -> Vec<Value> {
    (0..count)
        .map(|n| json!({"id": format!("{prefix}{n:04}"), "kind": kind, "region": "cn-hangzhou", "status": status}))
        .collect()
}

fn drs_id(n: usize) -> String {
    format!("{n:08x}-0000-4000-8000-{n:012x}")
}

fn drs_jobs(count: usize) -> Vec<Value> {
    (0..count)
        .map(
            |n| json!({"id": drs_id(n), "project_id": PROJECT, "status": "INCRE_TRANSFER_STARTED"}),
        )
        .collect()
}

/// The options of an undeclared direction, instance id and pause mode.
fn forward(kind: JobKind) -> &'static KindOptions {
    const ALIBABA: &KindOptions =
        &KindOptions::Alibaba(AlibabaOptions { direction: Direction::Forward, instance_id: None });
    const HUAWEI: &KindOptions =
        &KindOptions::Huawei(HuaweiOptions { pause_mode: PauseMode::Target });
    if kind == JobKind::HuaweiDrs { HUAWEI } else { ALIBABA }
}

fn job_ref(kind: JobKind, id: &str) -> JobRef<'_> {
    JobRef { kind, id, options: forward(kind) }
}

fn action(kind: JobKind, id: &str, verb: ActionVerb) -> Action {
    Action {
        address: Address::instance(kind, "job", id),
        id: id.into(),
        verb,
        options: forward(kind).clone(),
        token_seed: format!("test/{id}"),
    }
}

fn requests(emulator: &Emulator, action: &str) -> Vec<Vec<String>> {
    emulator.journal().into_iter().filter(|e| e.action == action).map(|e| e.jobs).collect()
}

fn state(read: &LiveRead, kind: JobKind, id: &str) -> LiveState {
    read.get(kind, id).unwrap_or_else(|| panic!("{id} not read")).state
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_reads_of_hundreds_of_jobs_count_pages_not_jobs() {
    let mut jobs = alibaba_jobs("MIGRATION", "m", 95, "Migrating");
    jobs.extend(alibaba_jobs("SYNC", "s", 65, "Synchronizing"));
    jobs.extend(alibaba_jobs("SUBSCRIBE", "c", 40, "Normal"));
    jobs.extend(alibaba_jobs("LEGACY_MIGRATION", "dtsj", 70, "Migrating"));
    jobs.extend(alibaba_jobs("LEGACY_SYNCHRONIZATION", "dtsmr", 45, "Synchronizing"));
    let emulator = Emulator::start(world(&jobs, &drs_jobs(250))).unwrap();
    let kind_of = |job: &Value| match job["kind"].as_str().unwrap() {
        "LEGACY_MIGRATION" => JobKind::AlibabaMigration,
        "LEGACY_SYNCHRONIZATION" => JobKind::AlibabaSynchronization,
        _ => JobKind::AlibabaDts,
    };
    let declared: Vec<JobRef> =
        jobs.iter().map(|job| job_ref(kind_of(job), job["id"].as_str().unwrap())).collect();
    let drs_ids: Vec<String> = (0..250).map(drs_id).collect();
    let drs: Vec<JobRef> = drs_ids.iter().map(|id| job_ref(JobKind::HuaweiDrs, id)).collect();

    let read = alibaba(&emulator, ProviderTuning::default()).read(&declared).await.unwrap();
    let drs_read = huawei(&emulator, ProviderTuning::default()).read(&drs).await.unwrap();

    assert_eq!((read.found.len(), read.not_found.len()), (315, 0));
    assert_eq!((drs_read.found.len(), drs_read.not_found.len()), (250, 0));
    // ⌈95/30⌉ + ⌈65/30⌉ + ⌈40/30⌉, ⌈70/30⌉, ⌈45/30⌉, ⌈250/100⌉.
    assert_eq!(requests(&emulator, "DescribeDtsJobs").len(), 4 + 3 + 2);
    assert_eq!(requests(&emulator, "DescribeMigrationJobs").len(), 3);
    assert_eq!(requests(&emulator, "DescribeSynchronizationJobs").len(), 2);
    assert_eq!(requests(&emulator, "batch-status").len(), 3);
    assert_eq!(state(&read, JobKind::AlibabaDts, "c0039"), LiveState::Running);
    assert!(read.get(JobKind::AlibabaDts, "c0039").unwrap().change_tracking);
    assert_eq!(state(&read, JobKind::AlibabaSynchronization, "dtsmr0044"), LiveState::Running);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_action_kind_reaches_its_target() {
    let emulator = Emulator::start(World::example()).unwrap();
    let alibaba = alibaba(&emulator, ProviderTuning::default());
    let huawei = huawei(&emulator, ProviderTuning::default());
    let drs = [
        "8d0e8e36-a618-490d-8a46-8c61ac9bb502",
        "5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60",
        "c0ffee00-1234-4abc-8def-0123456789ab",
    ];
    // The calls as the planner would group them: the forward DTS tasks in
    // one batch, each other action alone.
    let ali_calls = |verb| {
        vec![
            vec![
                action(JobKind::AlibabaDts, "l3m1213ye7l0001", verb),
                action(JobKind::AlibabaDts, "k2n8x7c1vq90002", verb),
            ],
            vec![Action {
                options: KindOptions::Alibaba(AlibabaOptions {
                    direction: Direction::Reverse,
                    instance_id: None,
                }),
                ..action(JobKind::AlibabaDts, "l3m1213ye7l0001", verb)
            }],
            vec![action(JobKind::AlibabaMigration, "dtsj1x11y51g3b0004", verb)],
            vec![action(JobKind::AlibabaSynchronization, "dtsmr1q4mc21520005", verb)],
        ]
    };
    let drs_actions = |verb| -> Vec<Action> {
        drs.iter()
            .map(|id| Action {
                options: KindOptions::Huawei(HuaweiOptions { pause_mode: PauseMode::All }),
                ..action(JobKind::HuaweiDrs, id, verb)
            })
            .collect()
    };
    let ali_actions = ali_calls(ActionVerb::Suspend);
    let declared: Vec<JobRef> = ali_actions
        .iter()
        .flatten()
        .map(|a| JobRef { kind: a.kind(), id: &a.id, options: &a.options })
        .collect();
    let drs_refs: Vec<JobRef> = drs.iter().map(|id| job_ref(JobKind::HuaweiDrs, id)).collect();

    for (verb, target) in
        [(ActionVerb::Suspend, LiveState::Suspended), (ActionVerb::Resume, LiveState::Running)]
    {
        let mut results = Vec::new();
        for actions in ali_calls(verb) {
            results.extend(alibaba.execute(&Call { actions }).await);
        }
        let drs_results = huawei.execute(&Call { actions: drs_actions(verb) }).await;
        for result in results.iter().chain(&drs_results) {
            assert!(
                matches!(result.outcome, RequestOutcome::Accepted { request_id: Some(_) }),
                "{verb}: {result:?}"
            );
        }
        emulator.advance(Duration::from_secs(3));
        let read = alibaba.read(&declared).await.unwrap();
        for job in &read.found {
            assert_eq!(job.state, target, "{verb}: {job:?}");
        }
        let orders = read.get(JobKind::AlibabaDts, "l3m1213ye7l0001").unwrap();
        assert_eq!(orders.reverse.as_ref().unwrap().state, target, "{verb}: reverse");
        let drs_read = huawei.read(&drs_refs).await.unwrap();
        assert!(drs_read.found.iter().all(|job| job.state == target), "{verb}: {drs_read:?}");
    }
    let stops = alibaba
        .execute(&Call {
            actions: vec![action(JobKind::AlibabaDts, "k2n8x7c1vq90002", ActionVerb::Stop)],
        })
        .await;
    let drs_stop =
        huawei.execute(&Call { actions: drs_actions(ActionVerb::Stop)[..1].to_vec() }).await;
    assert!(matches!(stops[0].outcome, RequestOutcome::Accepted { .. }), "{stops:?}");
    assert!(matches!(drs_stop[0].outcome, RequestOutcome::Accepted { .. }), "{drs_stop:?}");
    emulator.advance(Duration::from_secs(3));
    let read = alibaba.read(&[job_ref(JobKind::AlibabaDts, "k2n8x7c1vq90002")]).await.unwrap();
    assert_eq!(state(&read, JobKind::AlibabaDts, "k2n8x7c1vq90002"), LiveState::Stopped);
    let drs_read = huawei.read(&drs_refs[..1]).await.unwrap();
    assert_eq!(drs_read.found[0].raw_status, "RELEASE_RESOURCE_COMPLETE");
    assert_eq!(requests(&emulator, "SuspendDtsJob").len(), 1, "the reverse task alone");
    assert_eq!(requests(&emulator, "SuspendDtsJobs"), [["l3m1213ye7l0001", "k2n8x7c1vq90002"]]);
}

#[tokio::test(flavor = "multi_thread")]
async fn each_call_is_one_request_of_its_planned_size() {
    let emulator =
        Emulator::start(world(&alibaba_jobs("MIGRATION", "m", 41, "Migrating"), &drs_jobs(45)))
            .unwrap();
    let tuning = ProviderTuning { batch_size: Some(20), ..ProviderTuning::default() };
    let ali: Vec<Action> = (0..41)
        .map(|n| action(JobKind::AlibabaDts, &format!("m{n:04}"), ActionVerb::Suspend))
        .collect();
    let drs: Vec<Action> =
        (0..45).map(|n| action(JobKind::HuaweiDrs, &drs_id(n), ActionVerb::Suspend)).collect();
    // The calls as the planner chunks them at `batch_size` 20.
    let (alibaba, huawei) = (alibaba(&emulator, tuning.clone()), huawei(&emulator, tuning));
    let mut results = Vec::new();
    for chunk in ali.chunks(20) {
        results.extend(alibaba.execute(&Call { actions: chunk.to_vec() }).await);
    }
    let mut drs_results = Vec::new();
    for chunk in drs.chunks(20) {
        drs_results.extend(huawei.execute(&Call { actions: chunk.to_vec() }).await);
    }
    assert!(
        results
            .iter()
            .chain(&drs_results)
            .all(|r| matches!(r.outcome, RequestOutcome::Accepted { .. }))
    );
    let sizes = |action| {
        let mut sizes: Vec<usize> = requests(&emulator, action).iter().map(Vec::len).collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        sizes
    };
    assert_eq!(sizes("SuspendDtsJobs"), [20, 20]);
    assert_eq!(sizes("SuspendDtsJob"), [1]);
    assert_eq!(sizes("batch-pause-task"), [20, 20, 5]);
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_storms_complete_with_back_off() {
    let emulator =
        Emulator::start(world(&alibaba_jobs("MIGRATION", "m", 150, "Migrating"), &drs_jobs(300)))
            .unwrap();
    emulator.set_rate_limit(&RateLimit {
        cloud: Cloud::Alibaba,
        action: "DescribeDtsJobs".into(),
        qps: 2,
    });
    emulator.set_rate_limit(&RateLimit {
        cloud: Cloud::Huawei,
        action: "batch-status".into(),
        qps: 1,
    });
    // Default tuning: throttled refusals cost time, not attempts, so five
    // attempts ride out a storm of any length within the time budget.
    let tuning = ProviderTuning::default();
    let ids: Vec<String> = (0..150).map(|n| format!("m{n:04}")).collect();
    let declared: Vec<JobRef> = ids.iter().map(|id| job_ref(JobKind::AlibabaDts, id)).collect();
    let drs_ids: Vec<String> = (0..300).map(drs_id).collect();
    let drs: Vec<JobRef> = drs_ids.iter().map(|id| job_ref(JobKind::HuaweiDrs, id)).collect();

    let (alibaba, huawei) = (alibaba(&emulator, tuning.clone()), huawei(&emulator, tuning));
    let (read, drs_read) = tokio::join!(alibaba.read(&declared), huawei.read(&drs));

    assert_eq!(read.unwrap().found.len(), 150);
    assert_eq!(drs_read.unwrap().found.len(), 300);
    let journal = emulator.journal();
    let throttled = |code: &str| {
        journal.iter().filter(|e| matches!(&e.outcome, jobform_emulator::Outcome::Rejected { code: c } if c == code)).count()
    };
    assert!(throttled("Throttling.User") > 0, "the storm happened");
    assert!(throttled("APIGW.0308") > 0, "the storm happened");
}

#[tokio::test(flavor = "multi_thread")]
async fn injected_faults_end_as_documented() {
    let emulator = Emulator::start(World::example()).unwrap();
    let tuning = ProviderTuning { request_timeout_seconds: Some(1), ..ProviderTuning::default() };
    let alibaba = alibaba(&emulator, tuning.clone());
    let huawei = huawei(&emulator, tuning);
    let unknown = |outcome: &RequestOutcome| matches!(outcome, RequestOutcome::Unknown { .. });

    // Reads ride out transient faults.
    emulator.inject(
        Fault::new(FaultKind::ServerError { status: 503 }).on_action("DescribeDtsJobs").times(1),
    );
    emulator.inject(Fault::new(FaultKind::ConnectionReset).on_action("batch-status").times(1));
    alibaba.read(&[job_ref(JobKind::AlibabaDts, "k2n8x7c1vq90002")]).await.unwrap();
    huawei
        .read(&[job_ref(JobKind::HuaweiDrs, "8d0e8e36-a618-490d-8a46-8c61ac9bb502")])
        .await
        .unwrap();
    assert_eq!(requests(&emulator, "DescribeDtsJobs").len(), 2);
    assert_eq!(requests(&emulator, "batch-status").len(), 2);

    // An action whose fate is unknown is reported so, and sent once.
    let cases = [
        (
            FaultKind::ServerError { status: 500 },
            "SuspendDtsJob",
            action(JobKind::AlibabaDts, "k2n8x7c1vq90002", ActionVerb::Suspend),
            false,
        ),
        (
            FaultKind::ConnectionReset,
            "batch-pause-task",
            action(JobKind::HuaweiDrs, "8d0e8e36-a618-490d-8a46-8c61ac9bb502", ActionVerb::Suspend),
            false,
        ),
        (
            FaultKind::TimeoutAfterEffect { delay_ms: 1500 },
            "SuspendMigrationJob",
            action(JobKind::AlibabaMigration, "dtsj1x11y51g3b0004", ActionVerb::Suspend),
            true,
        ),
        (
            FaultKind::MalformedBody,
            "SuspendSynchronizationJob",
            action(JobKind::AlibabaSynchronization, "dtsmr1q4mc21520005", ActionVerb::Suspend),
            true,
        ),
    ];
    for (kind, operation, act, took_effect) in cases {
        emulator.clear_journal();
        emulator.inject(Fault::new(kind).on_action(operation).times(1));
        let results = if act.kind() == JobKind::HuaweiDrs {
            huawei.execute(&Call { actions: vec![act.clone()] }).await
        } else {
            alibaba.execute(&Call { actions: vec![act.clone()] }).await
        };
        assert!(unknown(&results[0].outcome), "{kind:?}: {:?}", results[0]);
        let sent: Vec<_> =
            emulator.journal().into_iter().filter(|e| e.action == operation).collect();
        assert_eq!(sent.len(), 1, "{kind:?} is not re-sent");
        assert_eq!(sent[0].took_effect, took_effect, "{kind:?}");
        emulator.advance(Duration::from_secs(3));
        let expected = if took_effect { "Suspending" } else { "Migrating" };
        if act.kind() != JobKind::HuaweiDrs && act.kind() != JobKind::AlibabaSynchronization {
            assert_eq!(emulator.job_status(&act.id).as_deref(), Some(expected), "{kind:?}");
        }
    }
    assert_eq!(
        emulator.job_status("8d0e8e36-a618-490d-8a46-8c61ac9bb502").as_deref(),
        Some("INCRE_TRANSFER_STARTED")
    );
    assert_eq!(emulator.job_status("dtsmr1q4mc21520005").as_deref(), Some("Suspending"));
}

/// Collects every log line written while it is the default subscriber.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_appear_in_no_log_error_or_result() {
    const SECRETS: [&str; 5] = [
        "jobform-sts-secret",
        "STS.jobform-sts-token",
        "jobform-hw-sk",
        "jobform-hw-security-token",
        "jobform-hw-iam-token",
    ];
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let world = json!({
        "transition_delay_seconds": 0,
        "rate_limits": [{"cloud": "alibaba", "action": "DescribeDtsJobs", "qps": 1}],
        "alibaba": {
            "accounts": [{"access_key_id": "STS.LTAIjobform", "access_key_secret": SECRETS[0], "security_token": SECRETS[1]}],
            "regions": ["cn-hangzhou"],
            "jobs": alibaba_jobs("MIGRATION", "m", 3, "Migrating"),
        },
        "huawei": {
            "accounts": [{"access_key": "HWJOBFORMSTS", "secret_key": SECRETS[2], "security_token": SECRETS[3], "auth_token": SECRETS[4]}],
            "projects": [{"id": PROJECT, "region": "ap-southeast-1"}],
            "jobs": drs_jobs(3),
        },
    });
    let emulator =
        Emulator::start(World::from_json(&world.to_string(), "secrets").unwrap()).unwrap();
    let tuning = ProviderTuning { request_timeout_seconds: Some(1), ..ProviderTuning::default() };
    let alibaba_block = |secret: &str| AlibabaProvider {
        alias: None,
        region: "cn-hangzhou".into(),
        access_key_id: Some("STS.LTAIjobform".into()),
        access_key_secret: Some(Secret::new(secret)),
        security_token: Some(Secret::new(SECRETS[1])),
        endpoint: Some(emulator.url().to_owned()),
        tuning: tuning.clone(),
        declared_at: location(),
    };
    let huawei_block = |token: bool| HuaweiProvider {
        alias: None,
        region: "ap-southeast-1".into(),
        project_id: PROJECT.into(),
        auth_token: token.then(|| Secret::new(SECRETS[4])),
        access_key: (!token).then(|| "HWJOBFORMSTS".to_owned()),
        secret_key: (!token).then(|| Secret::new(SECRETS[2])),
        security_token: (!token).then(|| Secret::new(SECRETS[3])),
        endpoint: Some(emulator.url().to_owned()),
        tuning: tuning.clone(),
        declared_at: location(),
    };
    let providers = [
        ProviderConfig::Alibaba(alibaba_block(SECRETS[0])),
        ProviderConfig::Alibaba(alibaba_block("a-wrong-secret")),
        ProviderConfig::Huawei(huawei_block(false)),
        ProviderConfig::Huawei(huawei_block(true)),
    ];
    emulator.inject(
        Fault::new(FaultKind::TimeoutAfterEffect { delay_ms: 1500 })
            .on_action("SuspendDtsJob")
            .times(1),
    );
    emulator.inject(Fault::new(FaultKind::ConnectionReset).on_action("batch-pause-task").times(1));
    emulator.inject(Fault::new(FaultKind::MalformedBody).on_action("batch-retry-task"));
    let mut seen = Vec::new();
    for config in &providers {
        let provider = CloudProvider::from_config(config, &|_| None).unwrap();
        seen.push(format!("{config:?} {provider:?}"));
        let (kind, id) = match config {
            ProviderConfig::Alibaba(_) => (JobKind::AlibabaDts, "m0000".to_owned()),
            ProviderConfig::Huawei(_) => (JobKind::HuaweiDrs, drs_id(0)),
        };
        let refs = [job_ref(kind, &id), job_ref(kind, &id), job_ref(kind, &id)];
        // Three reads in a row trip the 1/s limit: throttled, backed off, retried.
        for _ in 0..2 {
            match provider.read(&refs).await {
                Ok(read) => seen.push(format!("{read:?}")),
                Err(error) => seen.push(format!("{error} {error:?}")),
            }
        }
        for verb in [ActionVerb::Suspend, ActionVerb::Resume, ActionVerb::Stop] {
            for result in provider.execute(&Call { actions: vec![action(kind, &id, verb)] }).await {
                if let RequestOutcome::Rejected { error } | RequestOutcome::Unknown { error } =
                    &result.outcome
                {
                    seen.push(error.to_string());
                }
                seen.push(format!("{result:?}"));
            }
        }
    }
    let missing = CloudProvider::from_config(
        &ProviderConfig::Huawei(HuaweiProvider {
            auth_token: None,
            access_key: None,
            secret_key: None,
            security_token: None,
            ..huawei_block(true)
        }),
        &|_| Some(String::new()),
    )
    .unwrap_err();
    seen.push(format!("{missing} {missing:?}"));
    let everything =
        format!("{}\n{}", String::from_utf8_lossy(&captured.0.lock().unwrap()), seen.join("\n"));
    for expected in [
        "SignatureDoesNotMatch",
        "Throttling.User",
        "may have taken effect",
        "request succeeded",
        "no credentials",
    ] {
        assert!(everything.contains(expected), "the run produced {expected:?}:\n{everything}");
    }
    for secret in SECRETS {
        assert!(!everything.contains(secret), "{secret} leaked:\n{everything}");
    }
}

/// The actions (anything but a read) the emulator received.
fn actions_sent(emulator: &Emulator) -> Vec<String> {
    let reads =
        ["DescribeDtsJobs", "DescribeMigrationJobs", "DescribeSynchronizationJobs", "batch-status"];
    emulator
        .journal()
        .into_iter()
        .map(|entry| entry.action)
        .filter(|action| !reads.contains(&action.as_str()))
        .collect()
}

/// `plan --skip-blocked --detailed-exitcode` and `apply --auto-approve
/// --skip-blocked` of the example maintenance window (which has changes to
/// make) in `test`'s directory.
fn ci_runs(test: &Test) -> [Test; 2] {
    [
        test.again(&["plan", "--skip-blocked", "--detailed-exitcode", "--var", "maintenance=true"]),
        test.again(&["apply", "--auto-approve", "--skip-blocked", "--var", "maintenance=true"]),
    ]
}

#[test]
fn wrong_credentials_fail_each_provider_block_whatever_the_flags() {
    let emulator = Emulator::start(World::example()).unwrap();
    let test = Test::new()
        .examples()
        .emulated(&emulator)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "wrong-secret")
        .env("HUAWEICLOUD_SDK_SK", "wrong-sk");
    let [plan, apply] = ci_runs(&test);
    jobform_snapshot!(plan, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Providers not usable
    2 provider blocks cannot be used:
      providers.hcl:6:1: provider alibaba cannot be used: SignatureDoesNotMatch: Specified signature is not matched with our calculation. (DescribeDtsJobs, HTTP 400, request id [REQUEST_ID]); fix: check the block's access_key_id, access_key_secret and security_token (or ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN): the key must exist, be enabled and match its secret; a temporary token must not have expired
      providers.hcl:13:1: provider huawei cannot be used: APIGW.0301: Incorrect IAM authentication information: verify aksk signature fail (batch-status, HTTP 401, request id [REQUEST_ID]); fix: check the block's access_key and secret_key or auth_token (or HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_SECURITY_TOKEN, HUAWEICLOUD_AUTH_TOKEN): the key must exist and match its secret; a token must not have expired.
    "#);
    jobform_snapshot!(apply, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Providers not usable
    2 provider blocks cannot be used:
      providers.hcl:6:1: provider alibaba cannot be used: SignatureDoesNotMatch: Specified signature is not matched with our calculation. (DescribeDtsJobs, HTTP 400, request id [REQUEST_ID]); fix: check the block's access_key_id, access_key_secret and security_token (or ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN): the key must exist, be enabled and match its secret; a temporary token must not have expired
      providers.hcl:13:1: provider huawei cannot be used: APIGW.0301: Incorrect IAM authentication information: verify aksk signature fail (batch-status, HTTP 401, request id [REQUEST_ID]); fix: check the block's access_key and secret_key or auth_token (or HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_SECURITY_TOKEN, HUAWEICLOUD_AUTH_TOKEN): the key must exist and match its secret; a token must not have expired.
    "#);
    assert_eq!(actions_sent(&emulator), Vec::<String>::new());
}

#[test]
fn an_unreachable_endpoint_fails_each_provider_block_whatever_the_flags() {
    // A port just closed: nothing listens on it.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let url = format!("http://{closed}");
    // The emulator lends its credentials only; every request goes to `url`.
    let emulator = Emulator::start(World::example()).unwrap();
    let test = Test::new()
        .examples()
        .emulated(&emulator)
        .env("JOBFORM_VAR_alibaba_endpoint", &url)
        .env("JOBFORM_VAR_huawei_endpoint", &url);
    let [plan, apply] = ci_runs(&test);
    jobform_snapshot!(plan, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Providers not usable
    2 provider blocks cannot be used:
      providers.hcl:6:1: provider alibaba cannot be used: cannot connect: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111) (DescribeDtsJobs); fix: check the block's region and endpoint (and JOBFORM_ALIBABA_ENDPOINT), DNS, and the network or proxy between jobform and the cloud
      providers.hcl:13:1: provider huawei cannot be used: cannot connect: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111) (batch-status); fix: check the block's region, project_id and endpoint (and JOBFORM_HUAWEI_ENDPOINT), DNS, and the network or proxy between jobform and the cloud.
    "#);
    jobform_snapshot!(apply, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Providers not usable
    2 provider blocks cannot be used:
      providers.hcl:6:1: provider alibaba cannot be used: cannot connect: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111) (DescribeDtsJobs); fix: check the block's region and endpoint (and JOBFORM_ALIBABA_ENDPOINT), DNS, and the network or proxy between jobform and the cloud
      providers.hcl:13:1: provider huawei cannot be used: cannot connect: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111) (batch-status); fix: check the block's region, project_id and endpoint (and JOBFORM_HUAWEI_ENDPOINT), DNS, and the network or proxy between jobform and the cloud.
    "#);
}

#[test]
fn a_malformed_listing_blocks_only_the_jobs_it_serves() {
    let emulator = Emulator::start(World::example()).unwrap();
    emulator.inject(Fault::new(FaultKind::MalformedBody).on_action("DescribeMigrationJobs"));
    let test =
        Test::new().examples().emulated(&emulator).args(["plan", "--var", "maintenance=true"]);
    jobform_snapshot!(test, @r#"
    exit_code: 1
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

    Blocked: nothing will be sent for these

      ! alibaba_migration.legacy_inventory
          [read_failed] the job could not be read: alibaba DescribeMigrationJobs: unexpected response (not JSON: EOF while parsing a string at line 1 column 439): "{\"ErrCode\":\"\",\"ErrMessage\":\"\",\"MigrationJobs\":{\"MigrationJob\":[{\"DataInitialization\":{\"ErrorMessage\":\"\",\"Percent\":\"100\",…" (HTTP 200)

      ! alibaba_synchronization.legacy_reports
          [dependency_blocked] it depends on alibaba_migration.legacy_inventory, which is blocked

    Requests, in order:

      Wave 1
        SuspendDtsJobs via alibaba: alibaba_dts.billing_migration, alibaba_dts.orders_sync
      Wave 2
        SuspendDtsJob via alibaba: alibaba_dts.orders_sync_reverse
        batch-pause-task via huawei: huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"], huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"], huawei_drs.eu_replica["c0ffee00-1234-4abc-8def-0123456789ab"]

    Plan: 6 to suspend, 0 to resume, 0 to stop, 2 blocked (3 requests).

    Error: 2 jobs blocked: this plan cannot be applied. Fix them, narrow the plan with --target/--exclude, or pass --skip-blocked.

    ----- stderr -----
    "#);
    // Retried like any read, every attempt failing.
    assert_eq!(requests(&emulator, "DescribeMigrationJobs").len(), 5);
}

#[test]
fn a_malformed_listing_once_is_read_again() {
    let emulator = Emulator::start(World::example()).unwrap();
    emulator
        .inject(Fault::new(FaultKind::MalformedBody).on_action("DescribeMigrationJobs").times(1));
    let outcome = Test::new().examples().emulated(&emulator).args(["plan"]).run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert!(outcome.stdout.contains("No changes."), "{}", outcome.stdout);
    assert_eq!(requests(&emulator, "DescribeMigrationJobs").len(), 2);
}

#[test]
fn throttling_past_the_retry_budget_fails_the_provider_block() {
    let emulator = Emulator::start(World::example()).unwrap();
    emulator.inject(Fault::new(FaultKind::Throttled).on_action("DescribeDtsJobs"));
    let providers = include_str!("../../examples/providers.hcl").replace(
        "  endpoint          = var.alibaba_endpoint\n",
        "  endpoint          = var.alibaba_endpoint\n  max_retry_seconds = 1\n",
    );
    let test = Test::new().examples().file("providers.hcl", &providers).emulated(&emulator);
    assert!(providers.contains("max_retry_seconds"), "the example's alibaba block moved");
    let outcome = test.again(&["plan", "--skip-blocked", "--detailed-exitcode"]).run();
    assert_eq!(outcome.code, Some(1), "{}", outcome.stdout);
    assert!(outcome.stdout.is_empty(), "nothing is planned: {}", outcome.stdout);
    let errors: Vec<&str> = outcome.stderr.lines().collect();
    assert_eq!(errors.len(), 2, "one error, title and detail: {}", outcome.stderr);
    assert_eq!(errors[0], "Error: Provider not usable");
    assert!(
        errors[1]
            .starts_with("providers.hcl:6:1: provider alibaba cannot be used: Throttling.User"),
        "{}",
        outcome.stderr
    );
    assert!(errors[1].contains("max_requests_per_second"), "{}", outcome.stderr);
    assert!(requests(&emulator, "DescribeDtsJobs").len() > 1, "throttled reads are retried");
}
