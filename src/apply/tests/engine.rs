//! The engine's rules against the in-memory fake cloud, on paused tokio
//! time: plans made by the real planner from the fake's jobs, applied to a
//! real state file. The wire (batching per kind, faults on the HTTP level)
//! is left to the emulator tests beside these.

use super::fake::{Answer, FakeCloud, ReadFault, TokioTimer};
use super::*;
use crate::model::ProviderRef;

const A: &str = "00000000-0000-4000-8000-00000000000a";
const B: &str = "00000000-0000-4000-8000-00000000000b";
const C: &str = "00000000-0000-4000-8000-00000000000c";

struct FakeRig {
    fleet: Fleet<FakeCloud>,
    providers: Vec<ProviderConfig>,
    timer: TokioTimer,
    _dir: tempfile::TempDir,
    file: Arc<dyn StateStore>,
    options: ApplyOptions,
}

impl FakeRig {
    /// A rig on `cloud`, whose DRS requests carry at most `batch_size` jobs.
    fn new(cloud: &FakeCloud, batch_size: u32) -> Self {
        let tuning = ProviderTuning { batch_size: Some(batch_size), ..ProviderTuning::default() };
        let providers = providers("http://127.0.0.1:9", tuning);
        let huawei = ProviderRef { cloud: crate::model::Cloud::Huawei, alias: None };
        let fleet = Fleet::of([(huawei, location(), cloud.clone())]);
        let (dir, file) = scratch_state();
        let options = maintenance_options();
        FakeRig { fleet, providers, timer: TokioTimer::new(), _dir: dir, file, options }
    }

    async fn plan(&self, jobs: &[DesiredJob], options: &PlanOptions) -> Plan {
        let now = self.timer.now();
        plan_against(&self.fleet, &self.providers, &*self.file, now, jobs, options).await
    }

    async fn apply_with(
        &self,
        plan: &Plan,
        interrupt: &Interrupt,
        hooks: &mut dyn ApplyHooks,
    ) -> (ApplyReport, State) {
        let mut state = self.file.load().unwrap();
        let input =
            ApplyInput { plan, fleet: &self.fleet, store: &self.file, options: &self.options };
        let report = apply(input, &mut state, &self.timer, interrupt, hooks).await.unwrap();
        let stored = self.file.read().unwrap();
        let written = (state.serial > 0).then_some(&state);
        assert_eq!(stored.as_ref(), written, "what is returned is what is on disk");
        (report, state)
    }

    async fn apply(&self, plan: &Plan) -> (ApplyReport, Vec<ApplyEvent>, State) {
        let mut recorder = Recorder::default();
        let (report, state) = self.apply_with(plan, &Interrupt::new(), &mut recorder).await;
        (report, recorder.0, state)
    }

    /// The outcomes of the audit entries of `id`, oldest first.
    fn audit_of(&self, id: &str) -> Vec<ActionOutcome> {
        let audit = self.file.audit().unwrap();
        audit.iter().filter(|e| e.job_id == id).map(|e| e.outcome).collect()
    }
}

/// A DRS job named `name`, declared `state`, depending on `depends_on`.
fn drs(name: &str, id: &str, state: DesiredState, depends_on: &[&DesiredJob]) -> DesiredJob {
    DesiredJob {
        depends_on: depends_on.iter().map(|job| job.address.clone()).collect(),
        ..desired(JobKind::HuaweiDrs, name, id, state)
    }
}

/// `a`, `b` depending on `a`, and `c`, all to be paused.
fn chain() -> Vec<DesiredJob> {
    let a = drs("a", A, DesiredState::Suspended, &[]);
    let b = drs("b", B, DesiredState::Suspended, &[&a]);
    let c = drs("c", C, DesiredState::Suspended, &[]);
    vec![a, b, c]
}

/// Three replicating jobs.
fn cloud_of_three() -> FakeCloud {
    let cloud = FakeCloud::default();
    for id in [A, B, C] {
        cloud.job(id, "INCRE_TRANSFER_STARTED");
    }
    cloud
}

#[tokio::test(start_paused = true)]
async fn a_job_changed_since_the_plan_is_skipped_as_stale_with_its_dependents() {
    let cloud = cloud_of_three();
    let rig = FakeRig::new(&cloud, 20);
    let plan = rig.plan(&chain(), &PlanOptions::default()).await;
    // Someone pauses `a` by hand meanwhile.
    cloud.set_status(A, "PAUSING");
    let (report, events, _) = rig.apply(&plan).await;
    let outcomes = outcomes(&report);
    assert!(matches!(
        &outcomes["huawei_drs.a"],
        JobOutcome::Skipped { reason: SkipReason::Stale, detail } if detail.contains("PAUSING")
    ));
    assert!(matches!(
        &outcomes["huawei_drs.b"],
        JobOutcome::Skipped { reason: SkipReason::DependencyFailed, .. }
    ));
    assert_eq!(outcomes["huawei_drs.c"], JobOutcome::Succeeded);
    assert_eq!(report.status(), ApplyStatus::Partial);
    assert_eq!((cloud.sent(A), cloud.sent(B), cloud.sent(C)), (0, 0, 1));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ApplyEvent::JobSkipped { reason: SkipReason::Stale, .. }))
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_action_fails_the_job_and_is_recorded_with_the_cloud_error() {
    let cloud = cloud_of_three();
    cloud.answers(A, Answer::Refused);
    let rig = FakeRig::new(&cloud, 20);
    let jobs = [drs("a", A, DesiredState::Suspended, &[])];
    let plan = rig.plan(&jobs, &PlanOptions::default()).await;
    let (report, _, state) = rig.apply(&plan).await;
    let JobOutcome::Failed { detail } = &report.results[0].outcome else {
        panic!("{:?}", report.results[0].outcome)
    };
    assert!(detail.contains("DRS.10000011"), "{detail}");
    assert_eq!(report.status(), ApplyStatus::Failed);
    let last = state.jobs[&jobs[0].address].last_action.clone().unwrap();
    assert_eq!(
        (last.outcome, last.request_id.as_deref()),
        (ActionOutcome::Failed, Some("req-DRS.10000011"))
    );
    let audit = rig.file.audit().unwrap();
    assert!(audit[0].detail.as_deref().unwrap().contains("DRS.10000011"));
    assert_eq!(cloud.status(A), "INCRE_TRANSFER_STARTED");
}

#[tokio::test(start_paused = true)]
async fn no_wait_records_pending_but_still_waits_for_dependencies() {
    let cloud = cloud_of_three();
    let mut rig = FakeRig::new(&cloud, 20);
    rig.options.no_wait = true;
    let plan = rig.plan(&chain(), &PlanOptions::default()).await;
    let (report, _, state) = rig.apply(&plan).await;
    let outcomes = outcomes(&report);
    assert_eq!(outcomes["huawei_drs.a"], JobOutcome::Succeeded, "has dependents");
    assert_eq!(outcomes["huawei_drs.b"], JobOutcome::Pending);
    assert_eq!(outcomes["huawei_drs.c"], JobOutcome::Pending);
    assert_eq!(report.status(), ApplyStatus::Success);
    let c = &plan.changes[2].address;
    assert_eq!(state.jobs[c].last_action.as_ref().unwrap().outcome, ActionOutcome::Pending);
}

#[tokio::test(start_paused = true)]
async fn an_answer_lost_after_the_action_took_effect_is_confirmed_by_a_re_read() {
    let cloud = cloud_of_three();
    cloud.answers(A, Answer::Lost { acted: true }).settles_after(A, 2);
    let rig = FakeRig::new(&cloud, 20);
    let (report, _, _) = rig.apply(&rig.plan(&chain(), &PlanOptions::default()).await).await;
    let outcomes = outcomes(&report);
    assert_eq!(outcomes["huawei_drs.a"], JobOutcome::Succeeded);
    assert_eq!(outcomes["huawei_drs.b"], JobOutcome::Succeeded, "its dependency was confirmed");
    assert_eq!(report.status(), ApplyStatus::Success);
    assert_eq!(cloud.sent(A), 1, "never sent again");
    assert_eq!(rig.audit_of(A), [ActionOutcome::Unknown, ActionOutcome::Succeeded]);
}

#[tokio::test(start_paused = true)]
async fn a_lost_answer_without_effect_is_recorded_unknown_and_its_dependents_skipped() {
    let cloud = cloud_of_three();
    cloud.answers(A, Answer::Lost { acted: false });
    let rig = FakeRig::new(&cloud, 20);
    let plan = rig.plan(&chain(), &PlanOptions::default()).await;
    let (report, _, state) = rig.apply(&plan).await;
    let outcomes = outcomes(&report);
    assert!(matches!(outcomes["huawei_drs.a"], JobOutcome::Unknown { .. }), "{outcomes:#?}");
    assert!(matches!(
        outcomes["huawei_drs.b"],
        JobOutcome::Skipped { reason: SkipReason::DependencyFailed, .. }
    ));
    assert_eq!(outcomes["huawei_drs.c"], JobOutcome::Succeeded);
    assert_eq!(report.status(), ApplyStatus::Partial);
    let a = &plan.changes[0].address;
    assert_eq!(state.jobs[a].last_action.as_ref().unwrap().outcome, ActionOutcome::Unknown);
    assert_eq!((cloud.sent(A), cloud.sent(B)), (1, 0));
    assert_eq!(cloud.status(A), "INCRE_TRANSFER_STARTED");
}

#[tokio::test(start_paused = true)]
async fn a_lost_answer_to_a_batch_is_unknown_for_each_of_its_jobs() {
    let cloud = cloud_of_three();
    for id in [A, B, C] {
        cloud.answers(id, Answer::Lost { acted: false });
    }
    let rig = FakeRig::new(&cloud, 20);
    let jobs: Vec<DesiredJob> = [("a", A), ("b", B), ("c", C)]
        .map(|(n, id)| drs(n, id, DesiredState::Suspended, &[]))
        .into();
    let (report, _, _) = rig.apply(&rig.plan(&jobs, &PlanOptions::default()).await).await;
    assert_eq!(cloud.requests().len(), 1, "one batch, sent once");
    for result in &report.results {
        assert!(matches!(result.outcome, JobOutcome::Unknown { .. }), "{result:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_starts_nothing_new() {
    let cloud = cloud_of_three();
    let rig = FakeRig::new(&cloud, 20);
    let plan = rig.plan(&chain(), &PlanOptions::default()).await;
    let interrupt = Interrupt::new();
    interrupt.raise();
    let (report, _) = rig.apply_with(&plan, &interrupt, &mut Recorder::default()).await;
    assert!(cloud.requests().is_empty());
    assert_eq!(report.summary.skipped, 3);
    assert_eq!(report.status(), ApplyStatus::Failed);
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_records_the_request_in_flight_and_sends_no_other() {
    let cloud = cloud_of_three();
    let mut rig = FakeRig::new(&cloud, 1);
    rig.options.parallelism = 1;
    let jobs: Vec<DesiredJob> = [("a", A), ("b", B), ("c", C)]
        .map(|(n, id)| drs(n, id, DesiredState::Suspended, &[]))
        .into();
    let plan = rig.plan(&jobs, &PlanOptions::default()).await;
    let interrupt = Interrupt::new();
    let (report, state) =
        rig.apply_with(&plan, &interrupt, &mut CtrlCOnFirstAnswer(&interrupt)).await;
    assert_eq!(cloud.requests().len(), 1, "only the request in flight");
    assert!(report.summary.interrupted);
    assert_eq!((report.summary.pending, report.summary.skipped), (1, 2));
    assert_eq!(report.status(), ApplyStatus::Partial);
    let recorded: Vec<Option<ActionOutcome>> = plan
        .changes
        .iter()
        .map(|c| state.jobs[&c.address].last_action.as_ref().map(|a| a.outcome))
        .collect();
    assert_eq!(recorded, [Some(ActionOutcome::Pending), None, None], "no mark left behind");
}

#[tokio::test(start_paused = true)]
async fn an_action_an_earlier_run_left_unsettled_is_never_sent_again_and_confirmed_later() {
    let cloud = cloud_of_three();
    for id in [A, B, C] {
        // Still settling at the next plan, settled at the one after.
        cloud.settles_after(id, 1);
    }
    let mut rig = FakeRig::new(&cloud, 20);
    rig.options.no_wait = true;
    let jobs: Vec<DesiredJob> = [("a", A), ("b", B), ("c", C)]
        .map(|(n, id)| drs(n, id, DesiredState::Suspended, &[]))
        .into();
    let (report, _, first) = rig.apply(&rig.plan(&jobs, &PlanOptions::default()).await).await;
    assert_eq!(report.summary.pending, 3);
    let sent_at = first.jobs.values().next().unwrap().last_action.as_ref().unwrap().at;
    // The cloud still reports the old status: the plan blocks the jobs
    // rather than pausing them again.
    rig.options.no_wait = false;
    let plan = rig.plan(&jobs, &PlanOptions::default()).await;
    assert_eq!(plan.summary().blocked, 3);
    assert!(plan.changes.iter().all(|c| c.blocker.as_ref().unwrap().code == Code::OutcomeUnknown));
    // Later the pauses have settled: nothing to send, and the apply records
    // them as succeeded, the pause clock counting from the send.
    let plan = rig.plan(&jobs, &PlanOptions::default()).await;
    assert_eq!(plan.summary().no_op, 3, "{:#?}", plan.changes);
    let (_, _, state) = rig.apply(&plan).await;
    assert_eq!(cloud.requests().len(), 1, "the batch was sent once, by the first run");
    for record in state.jobs.values() {
        assert_eq!(record.last_action.as_ref().unwrap().outcome, ActionOutcome::Succeeded);
        let paused = record.paused.as_ref().unwrap();
        assert_eq!((paused.since, paused.source), (sent_at, PauseSource::Jobform));
        assert_eq!(paused.pause_mode, Some(PauseMode::Target));
    }
    let audit = rig.file.audit().unwrap();
    let confirmed = audit.iter().filter(|e| {
        e.outcome == ActionOutcome::Succeeded
            && e.detail.as_deref().is_some_and(|d| d.starts_with("confirmed by a later run"))
    });
    assert_eq!(confirmed.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn resend_unknown_sends_once_more_and_says_so_in_the_audit_log() {
    let cloud = cloud_of_three();
    cloud.answers(A, Answer::Lost { acted: false });
    let rig = FakeRig::new(&cloud, 20);
    let jobs = [drs("a", A, DesiredState::Suspended, &[])];
    let (report, _, _) = rig.apply(&rig.plan(&jobs, &PlanOptions::default()).await).await;
    assert_eq!(report.status(), ApplyStatus::Failed);
    let address = jobs[0].address.clone();
    let plan = rig.plan(&jobs, &PlanOptions::default()).await;
    assert_eq!(plan.change(&address).unwrap().blocker.as_ref().unwrap().code, Code::OutcomeUnknown);
    cloud.answers(A, Answer::Accepted);
    let options = PlanOptions { resend_unknown: vec![address.clone()], ..PlanOptions::default() };
    let (report, _, _) = rig.apply(&rig.plan(&jobs, &options).await).await;
    assert_eq!(report.results[0].outcome, JobOutcome::Succeeded);
    assert_eq!(cloud.sent(A), 2);
    let resent: Vec<_> = rig
        .file
        .audit()
        .unwrap()
        .iter()
        .map(|e| (e.outcome, e.detail.as_deref().unwrap_or("").contains("--resend-unknown")))
        .collect();
    assert_eq!(
        resent,
        [
            // The answer that never came, then the watch that saw nothing.
            (ActionOutcome::Unknown, false),
            (ActionOutcome::Unknown, false),
            (ActionOutcome::Pending, true),
            (ActionOutcome::Succeeded, true)
        ]
    );
}

/// The jobs of `cloud_of_three`, paused; every read after the plan's and
/// the wave's meets `fault`; the jobs settle only after many reads.
async fn watched_through(
    fault: ReadFault,
    wait_timeout: Duration,
) -> (ApplyReport, Vec<ApplyEvent>) {
    let cloud = cloud_of_three();
    for id in [A, B, C] {
        cloud.settles_after(id, 1_000);
    }
    let mut rig = FakeRig::new(&cloud, 20);
    rig.options.wait_timeout = wait_timeout;
    let jobs: Vec<DesiredJob> = [("a", A), ("b", B), ("c", C)]
        .map(|(n, id)| drs(n, id, DesiredState::Suspended, &[]))
        .into();
    let plan = rig.plan(&jobs, &PlanOptions::default()).await;
    cloud.read_fault_after(2, fault);
    let (report, events, _) = rig.apply(&plan).await;
    (report, events)
}

fn read_trouble(events: &[ApplyEvent]) -> Vec<&ApplyEvent> {
    events.iter().filter(|e| matches!(e, ApplyEvent::ReadTrouble { .. })).collect()
}

#[tokio::test(start_paused = true)]
async fn a_cloud_unreachable_while_watching_is_reported_at_once_not_at_the_timeout() {
    let (report, events) = watched_through(ReadFault::Fails, Duration::from_secs(120)).await;
    let trouble = read_trouble(&events);
    assert_eq!(trouble.len(), 1, "once per spell of trouble: {trouble:#?}");
    let ApplyEvent::ReadTrouble { jobs, error, retry_for } = trouble[0] else { unreachable!() };
    assert_eq!(*jobs, 3);
    assert!(error.as_deref().is_some_and(|e| e.contains("batch-status")), "{error:?}");
    assert_eq!(*retry_for, Duration::from_secs(120), "reported at the first failed poll");
    // Said before any job's outcome, which only the wait timeout decides.
    let said = events.iter().position(|e| matches!(e, ApplyEvent::ReadTrouble { .. })).unwrap();
    let first_end =
        events.iter().position(|e| matches!(e, ApplyEvent::ActionErrored { .. })).unwrap();
    assert!(said < first_end);
    assert_eq!(report.summary.failed, 3, "{:#?}", report.results);
}

#[tokio::test(start_paused = true)]
async fn a_read_that_hangs_is_reported_after_five_seconds_without_an_error() {
    let (report, events) =
        watched_through(ReadFault::Hangs(Duration::from_secs(40)), Duration::from_secs(120)).await;
    let trouble = read_trouble(&events);
    let ApplyEvent::ReadTrouble { jobs, error, retry_for } = trouble[0] else {
        panic!("{events:#?}")
    };
    assert_eq!((*jobs, error), (3, &None));
    assert_eq!(*retry_for, Duration::from_secs(115), "said after five seconds of the wait");
    assert_eq!(report.summary.failed, 3, "{:#?}", report.results);
}

#[tokio::test(start_paused = true)]
async fn a_wave_of_fifty_requests_is_written_in_groups_not_once_per_answer() {
    let cloud = FakeCloud::default();
    let ids: Vec<String> = (0..50).map(|i| format!("00000000-0000-4000-8000-{i:012}")).collect();
    for id in &ids {
        cloud.job(id, "INCRE_TRANSFER_STARTED");
    }
    // One job per request, ten requests in flight at once.
    let rig = FakeRig::new(&cloud, 1);
    let jobs: Vec<DesiredJob> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| drs(&format!("j{i}"), id, DesiredState::Suspended, &[]))
        .collect();
    let plan = rig.plan(&jobs, &PlanOptions::default()).await;
    let (report, _, state) = rig.apply(&plan).await;
    assert_eq!(report.summary.suspended, 50, "{:#?}", report.results);
    assert_eq!(cloud.requests().len(), 50);
    // Each commit adds one to the serial: the first ten marks (with the
    // wave's observations), then five marks whenever five answers are in
    // (eight times), the last answers, and the settled jobs.
    assert_eq!(state.serial, 1 + 8 + 1 + 1);
}
