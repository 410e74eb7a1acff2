//! Engine tests. The engine's rules run against an in-memory fake cloud
//! (`engine`, `fake`); the tests here and in `reliability` go end to end
//! against the emulator: plans made by the real planner from the emulator's
//! live jobs, applied through the real provider clients, with a timer that
//! moves the emulated clock instead of sleeping.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jobform_emulator::{Emulator, Fault, FaultKind, JournalEntry, World};
use time::OffsetDateTime;

use super::*;

mod engine;
mod fake;
mod reliability;
use crate::model::{
    AlibabaOptions, AlibabaProvider, DesiredJob, DesiredState, Direction, DtsJobType, JobKind,
    KindOptions, PauseMode, ProviderConfig, ProviderTuning, Secret, SourceLocation,
};
use crate::plan::fixtures::desired;
use crate::plan::{self, Code, PlanInput, PlanOptions};
use crate::provider::fleet::ReadItem;
use crate::state::{ActionOutcome, PauseSource, StateFile};

const PROJECT: &str = "054ba152d480d55b2f5dc0069e7ddef0";
const EU_IDS: [&str; 3] = [
    "8d0e8e36-a618-490d-8a46-8c61ac9bb502",
    "5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60",
    "c0ffee00-1234-4abc-8def-0123456789ab",
];

/// Sleeping moves the emulated clock (and this timer's own) forward at once.
struct EmulatorTimer<'a> {
    emulator: &'a Emulator,
    now: Mutex<OffsetDateTime>,
}

impl Timer for EmulatorTimer<'_> {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap()
    }

    fn sleep(&self, duration: Duration) -> impl std::future::Future<Output = ()> + Send {
        self.emulator.advance(duration);
        *self.now.lock().unwrap() += duration;
        tokio::task::yield_now()
    }
}

/// Collects every event.
#[derive(Default)]
struct Recorder(Vec<ApplyEvent>);

impl ApplyHooks for Recorder {
    fn event(&mut self, event: &ApplyEvent) {
        self.0.push(event.clone());
    }
}

fn location() -> SourceLocation {
    SourceLocation { file: "main.hcl".into(), line: 1, column: 1 }
}

/// Requests time out after a second, so a lost answer costs little real time.
fn quick_tuning() -> ProviderTuning {
    ProviderTuning { request_timeout_seconds: Some(1), ..ProviderTuning::default() }
}

fn providers(url: &str, tuning: ProviderTuning) -> Vec<ProviderConfig> {
    vec![
        ProviderConfig::Alibaba(AlibabaProvider {
            alias: None,
            region: "cn-hangzhou".to_owned(),
            access_key_id: Some("LTAIjobformexample".to_owned()),
            access_key_secret: Some(Secret::new("jobform-example-secret")),
            security_token: None,
            endpoint: Some(url.to_owned()),
            tuning: tuning.clone(),
            declared_at: location(),
        }),
        ProviderConfig::Huawei(crate::model::HuaweiProvider {
            alias: None,
            region: "ap-southeast-1".to_owned(),
            project_id: PROJECT.to_owned(),
            auth_token: Some(Secret::new("jobform-example-token")),
            access_key: None,
            secret_key: None,
            security_token: None,
            endpoint: Some(url.to_owned()),
            tuning,
            declared_at: location(),
        }),
    ]
}

/// The example configuration's jobs, all declared `state`.
fn example_jobs(state: DesiredState) -> Vec<DesiredJob> {
    let dts = |name: &str, id: &str, direction| DesiredJob {
        options: KindOptions::Alibaba(AlibabaOptions {
            direction,
            instance_id: Some(format!("dts{id}")),
        }),
        ..desired(JobKind::AlibabaDts, name, id, state)
    };
    let orders = dts("orders_sync", "l3m1213ye7l0001", Direction::Forward);
    let reverse = DesiredJob {
        depends_on: vec![orders.address.clone()],
        ..dts("orders_sync_reverse", "l3m1213ye7l0001", Direction::Reverse)
    };
    let inventory =
        desired(JobKind::AlibabaMigration, "legacy_inventory", "dtsj1x11y51g3b0004", state);
    let reports = DesiredJob {
        depends_on: vec![inventory.address.clone()],
        ..desired(JobKind::AlibabaSynchronization, "legacy_reports", "dtsmr1q4mc21520005", state)
    };
    let mut jobs = vec![
        orders.clone(),
        reverse,
        dts("billing_migration", "k2n8x7c1vq90002", Direction::Forward),
        DesiredJob {
            state: DesiredState::Running,
            ..dts("audit_trail", "s9p4b2d6fw30003", Direction::Forward)
        },
        inventory,
        reports,
    ];
    for id in EU_IDS {
        jobs.push(DesiredJob {
            address: crate::model::Address::instance(JobKind::HuaweiDrs, "eu_replica", id),
            depends_on: vec![orders.address.clone()],
            ..desired(JobKind::HuaweiDrs, "eu_replica", id, state)
        });
    }
    jobs
}

struct Rig {
    emulator: Emulator,
    providers: Vec<ProviderConfig>,
    fleet: Fleet,
    _dir: tempfile::TempDir,
    file: Arc<dyn StateStore>,
    options: ApplyOptions,
}

impl Rig {
    fn new(world: World) -> Self {
        Rig::tuned(world, quick_tuning())
    }

    fn tuned(world: World, tuning: ProviderTuning) -> Self {
        let emulator = Emulator::start(world).unwrap();
        let providers = providers(emulator.url(), tuning);
        let references: Vec<_> = providers.iter().map(ProviderConfig::reference).collect();
        let fleet = Fleet::build(&providers, &references, &|_| None).unwrap();
        let (dir, file) = scratch_state();
        Rig { emulator, providers, fleet, _dir: dir, file, options: maintenance_options() }
    }

    fn example() -> Self {
        Rig::new(World::example())
    }

    fn timer(&self) -> EmulatorTimer<'_> {
        EmulatorTimer { emulator: &self.emulator, now: Mutex::new(self.emulator.now()) }
    }

    async fn plan(&self, jobs: &[DesiredJob], options: &PlanOptions) -> Plan {
        let now = self.emulator.now();
        plan_against(&self.fleet, &self.providers, &*self.file, now, jobs, options).await
    }

    async fn apply(&self, plan: &Plan) -> (ApplyReport, Vec<ApplyEvent>, State) {
        let mut state = self.file.load().unwrap();
        let mut recorder = Recorder::default();
        let input =
            ApplyInput { plan, fleet: &self.fleet, store: &self.file, options: &self.options };
        let report = apply(input, &mut state, &self.timer(), &Interrupt::new(), &mut recorder)
            .await
            .unwrap();
        assert_eq!(self.file.load().unwrap(), state, "what is returned is what is on disk");
        (report, recorder.0, state)
    }

    /// The action requests that reached the emulator (reads left out).
    fn actions(&self) -> Vec<JournalEntry> {
        self.emulator
            .journal()
            .into_iter()
            .filter(|e| !e.action.starts_with("Describe") && !e.action.starts_with("batch-status"))
            .collect()
    }
}

/// A state file in a fresh temporary folder (kept while the folder lives).
fn scratch_state() -> (tempfile::TempDir, Arc<dyn StateStore>) {
    let dir = tempfile::tempdir().unwrap();
    let file: Arc<dyn StateStore> =
        Arc::new(StateFile::new(dir.path().join(crate::state::DEFAULT_PATH)));
    (dir, file)
}

/// The options of an apply by `dba` for a maintenance.
fn maintenance_options() -> ApplyOptions {
    let actor = Actor { user: "dba".to_owned(), host: "test".to_owned(), ci: None };
    ApplyOptions { message: Some("maintenance".to_owned()), ..ApplyOptions::new(actor) }
}

/// What the planner makes of `jobs` from what `fleet` reads now and the
/// state in `file`.
async fn plan_against<P: crate::provider::Provider>(
    fleet: &Fleet<P>,
    providers: &[ProviderConfig],
    file: &dyn StateStore,
    now: OffsetDateTime,
    jobs: &[DesiredJob],
    options: &PlanOptions,
) -> Plan {
    let live = fleet.read(jobs.iter().map(ReadItem::from)).await;
    let prior = file.load().unwrap();
    plan::plan(PlanInput { jobs: jobs.to_vec(), providers, live, prior: &prior, now, options })
        .unwrap()
}

fn outcomes(report: &ApplyReport) -> BTreeMap<String, JobOutcome> {
    report.results.iter().map(|r| (r.address.to_string(), r.outcome.clone())).collect()
}

fn action_count(entries: &[JournalEntry], action: &str, job: &str) -> usize {
    entries.iter().filter(|e| e.action == action && e.jobs.iter().any(|j| j == job)).count()
}

#[tokio::test]
async fn suspends_every_kind_in_waves_then_resumes_them() {
    let rig = Rig::example();
    let plan = rig.plan(&example_jobs(DesiredState::Suspended), &PlanOptions::default()).await;
    assert_eq!(plan.waves.len(), 2);
    let (report, events, state) = rig.apply(&plan).await;
    assert_eq!(report.status(), ApplyStatus::Success, "{:#?}", report.results);
    assert_eq!(report.summary.suspended, 8);
    assert_eq!(outcomes(&report)["alibaba_dts.audit_trail"], JobOutcome::Observed);

    let sent = rig.actions();
    for (action, job) in [
        ("SuspendDtsJobs", "l3m1213ye7l0001"),
        ("SuspendDtsJobs", "k2n8x7c1vq90002"),
        ("SuspendDtsJob", "l3m1213ye7l0001"),
        ("SuspendMigrationJob", "dtsj1x11y51g3b0004"),
        ("SuspendSynchronizationJob", "dtsmr1q4mc21520005"),
        ("batch-pause-task", EU_IDS[0]),
        ("batch-pause-task", EU_IDS[2]),
    ] {
        assert_eq!(action_count(&sent, action, job), 1, "{action} {job} sent once");
    }
    assert_eq!(sent.len(), 5, "one batch per wave for the forward DTS and the DRS jobs: {sent:#?}");
    assert!(sent.iter().all(|e| e.took_effect), "{sent:#?}");
    // depends_on: the DRS batch goes out after orders_sync has settled.
    let seq = |action: &str| sent.iter().find(|e| e.action == action).unwrap().seq;
    let settled = rig
        .emulator
        .journal()
        .into_iter()
        .filter(|e| e.action == "DescribeDtsJobs")
        .map(|e| e.seq)
        .filter(|s| *s > seq("SuspendDtsJobs") && *s < seq("batch-pause-task"))
        .count();
    assert!(settled >= 1, "orders_sync was seen paused before its dependents were sent");
    assert!(seq("SuspendDtsJob") > seq("SuspendDtsJobs"));
    assert!(events.iter().any(|e| matches!(e, ApplyEvent::WaveStart { index: 1, .. })));

    for id in EU_IDS {
        assert_eq!(rig.emulator.job_status(id).as_deref(), Some("PAUSING"));
    }
    assert_eq!(rig.emulator.reverse_status("l3m1213ye7l0001").as_deref(), Some("Suspending"));
    // Each DTS job's `JobType` as found, for the next read to route it by.
    let job_types: BTreeMap<String, Option<DtsJobType>> =
        state.jobs.iter().map(|(a, r)| (a.to_string(), r.observed.job_type)).collect();
    assert_eq!(job_types["alibaba_dts.orders_sync"], Some(DtsJobType::Sync));
    assert_eq!(job_types["alibaba_dts.orders_sync_reverse"], Some(DtsJobType::Sync));
    assert_eq!(job_types["alibaba_dts.billing_migration"], Some(DtsJobType::Migration));
    assert_eq!(job_types["alibaba_migration.legacy_inventory"], None);
    let eu = state.jobs.iter().find(|(a, _)| a.kind == JobKind::HuaweiDrs).unwrap().1;
    assert_eq!(eu.observed.job_type, None);
    assert_eq!(eu.observed.raw_status, "PAUSING");
    let paused = eu.paused.as_ref().unwrap();
    assert_eq!(paused.source, PauseSource::Jobform);
    assert_eq!(paused.pause_mode, Some(crate::model::PauseMode::Target));
    let last = eu.last_action.as_ref().unwrap();
    assert_eq!(last.outcome, ActionOutcome::Succeeded);
    assert!(last.request_id.is_some());
    let audit = rig.file.audit().unwrap();
    assert_eq!(audit.len(), 16, "one entry per answer and one per settled action");
    assert!(audit.iter().all(|e| e.message.as_deref() == Some("maintenance")));

    rig.emulator.clear_journal();
    let plan = rig.plan(&example_jobs(DesiredState::Running), &PlanOptions::default()).await;
    let (report, _, state) = rig.apply(&plan).await;
    assert_eq!(report.summary.resumed, 8, "{:#?}", report.results);
    assert_eq!(rig.actions().len(), 5, "the same requests as the pause");
    assert!(state.jobs.values().all(|r| r.paused.is_none()));
}

#[tokio::test]
async fn stops_jobs_on_both_clouds() {
    let rig = Rig::example();
    let jobs: Vec<DesiredJob> = example_jobs(DesiredState::Stopped)
        .into_iter()
        .filter(|j| {
            j.kind() != JobKind::AlibabaSynchronization && &*j.address.name != "orders_sync_reverse"
        })
        .filter(|j| &*j.address.name != "audit_trail" && j.depends_on.is_empty())
        .collect();
    let plan = rig.plan(&jobs, &PlanOptions::default()).await;
    let (report, _, _) = rig.apply(&plan).await;
    assert_eq!(report.summary.stopped, 3, "{:#?}", report.results);
    assert_eq!(rig.emulator.job_status("k2n8x7c1vq90002").as_deref(), Some("Finished"));
    assert_eq!(rig.emulator.job_status("dtsj1x11y51g3b0004").as_deref(), Some("Finished"));
}

#[tokio::test]
async fn blocked_jobs_refuse_the_apply_unless_skipped() {
    let rig = Rig::example();
    let mut jobs = example_jobs(DesiredState::Suspended);
    jobs.retain(|j| &*j.address.name == "audit_trail" || &*j.address.name == "billing_migration");
    // Pausing change tracking is a silent no-op on the cloud: blocked.
    jobs.iter_mut().find(|j| &*j.address.name == "audit_trail").unwrap().state =
        DesiredState::Suspended;
    let plan = rig.plan(&jobs, &PlanOptions::default()).await;
    let mut state = rig.file.load().unwrap();
    let input =
        ApplyInput { plan: &plan, fleet: &rig.fleet, store: &rig.file, options: &rig.options };
    let error = apply(input, &mut state, &rig.timer(), &Interrupt::new(), &mut Recorder::default())
        .await
        .unwrap_err();
    assert!(matches!(error, ApplyError::Blocked(_)), "{error}");
    assert!(rig.file.read().unwrap().is_none(), "nothing written");

    let options = PlanOptions { skip_blocked: true, ..PlanOptions::default() };
    let plan = rig.plan(&jobs, &options).await;
    let (report, _, _) = rig.apply(&plan).await;
    assert!(matches!(
        outcomes(&report)["alibaba_dts.audit_trail"],
        JobOutcome::Skipped { reason: SkipReason::Blocked, .. }
    ));
    assert_eq!(report.status(), ApplyStatus::Success);
}

/// Raises the interrupt as soon as the cloud accepts the first action.
struct CtrlCOnFirstAnswer<'a>(&'a Interrupt);

impl ApplyHooks for CtrlCOnFirstAnswer<'_> {
    fn event(&mut self, event: &ApplyEvent) {
        if matches!(event, ApplyEvent::ActionSent { .. }) {
            self.0.raise();
        }
    }
}
