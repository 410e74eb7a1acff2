//! The engine half of the reliability suite (issue 7): a throttling storm
//! over a mixed fleet, and every fault the emulator can inject on every kind
//! of action. Whatever goes wrong, no action reaches the cloud twice and the
//! state agrees with the emulator.

use futures_util::future::join_all;
use jobform_emulator::Outcome;

use super::*;
use crate::model::ActionVerb;

/// The example world with transitions settling in one emulated second and
/// these jobs (Alibaba or Huawei ids) starting in another status.
fn world_with(statuses: &[(&str, &str)]) -> World {
    let mut world = World::example();
    world.transition_delay_seconds = 1;
    for (id, status) in statuses {
        if let Some(job) = world.alibaba.jobs.iter_mut().find(|j| j.id == *id) {
            job.status = (*status).to_owned();
        } else {
            world.huawei.jobs.iter_mut().find(|j| j.id == *id).unwrap().status =
                (*status).to_owned();
        }
    }
    world
}

/// The example job at `address`, declared `state`, depending on nothing.
fn example_job(address: &str, state: DesiredState) -> DesiredJob {
    let job = example_jobs(state).into_iter().find(|j| j.address.to_string() == address).unwrap();
    DesiredJob { state, depends_on: Vec::new(), ..job }
}

/// Each action request that changed a job, per job id (throttled and
/// refused attempts left out).
fn effects(rig: &Rig) -> BTreeMap<String, Vec<String>> {
    let mut effects: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in rig.actions().into_iter().filter(|e| e.took_effect) {
        for job in entry.jobs {
            effects.entry(job).or_default().push(entry.action.clone());
        }
    }
    effects
}

/// The state records what the emulator shows for every job it holds.
fn assert_state_agrees(rig: &Rig, state: &State) {
    assert_eq!(
        &rig.file.load().unwrap(),
        state,
        "the state on disk parses and is the one returned"
    );
    for record in state.jobs.values() {
        assert_eq!(
            Some(&record.observed.raw_status),
            rig.emulator.job_status(&record.id).as_ref(),
            "{}: the state and the emulator disagree",
            record.id
        );
    }
}

#[tokio::test]
async fn a_throttling_storm_slows_a_mixed_apply_but_sends_each_action_once() {
    let world = world_with(&[("k2n8x7c1vq90002", "Suspending"), (EU_IDS[1], "PAUSING")]);
    // Throttled requests are refused, so retrying them is safe; enough
    // attempts that a storm of refusals cannot exhaust them.
    let tuning = ProviderTuning { max_attempts: Some(12), ..quick_tuning() };
    let rig = Rig::tuned(world, tuning);
    // Half of all requests, reads and actions on both clouds, are throttled
    // (seeded: the same requests meet the same refusals).
    rig.emulator.inject(Fault::new(FaultKind::Throttled).with_probability(0.5));
    let mut jobs = example_jobs(DesiredState::Suspended);
    for job in &mut jobs {
        let name = job.address.to_string();
        if name == "alibaba_dts.billing_migration" || name.contains(EU_IDS[1]) {
            job.state = DesiredState::Running;
        } else if ["alibaba_dts.audit_trail", "alibaba_migration.legacy_inventory"]
            .contains(&name.as_str())
            || name.contains(EU_IDS[2])
        {
            job.state = DesiredState::Stopped;
        }
    }
    let plan = rig.plan(&jobs, &PlanOptions::default()).await;
    assert_eq!(
        (plan.summary().suspend, plan.summary().resume, plan.summary().stop),
        (4, 2, 3),
        "{plan:#?}"
    );
    let (report, _, state) = rig.apply(&plan).await;
    assert_eq!(report.status(), ApplyStatus::Success, "{:#?}", report.results);

    let journal = rig.emulator.journal();
    let throttled = journal
        .iter()
        .filter(|e| {
            matches!(&e.outcome, Outcome::Rejected { code } if code == "Throttling.User" || code == "APIGW.0308")
        })
        .count();
    assert!(
        throttled * 10 >= journal.len() * 4,
        "a storm: {throttled} of {} requests throttled",
        journal.len()
    );
    let effects = effects(&rig);
    for (job, actions) in &effects {
        // The two directions of orders_sync share a job id.
        let planned = if job == "l3m1213ye7l0001" { 2 } else { 1 };
        assert_eq!(actions.len(), planned, "{job}: {actions:?}");
    }
    assert_eq!(effects.len(), plan.changes.len() - 1, "{effects:#?}");
    for change in &plan.changes {
        let record = &state.jobs[&change.address];
        assert_eq!(record.last_action.as_ref().unwrap().outcome, ActionOutcome::Succeeded);
    }
    assert_state_agrees(&rig, &state);
}

/// Every kind of action: the job acted on, the verb, the status it starts
/// in, and the request the action goes out as.
const ACTIONS: [(&str, ActionVerb, &str, &str); 11] = [
    ("alibaba_dts.billing_migration", ActionVerb::Suspend, "Migrating", "SuspendDtsJob"),
    ("alibaba_dts.billing_migration", ActionVerb::Resume, "Suspending", "StartDtsJob"),
    ("alibaba_dts.billing_migration", ActionVerb::Stop, "Migrating", "StopDtsJob"),
    ("alibaba_migration.legacy_inventory", ActionVerb::Suspend, "Migrating", "SuspendMigrationJob"),
    ("alibaba_migration.legacy_inventory", ActionVerb::Resume, "Suspending", "StartMigrationJob"),
    ("alibaba_migration.legacy_inventory", ActionVerb::Stop, "Migrating", "StopMigrationJob"),
    (
        "alibaba_synchronization.legacy_reports",
        ActionVerb::Suspend,
        "Synchronizing",
        "SuspendSynchronizationJob",
    ),
    (
        "alibaba_synchronization.legacy_reports",
        ActionVerb::Resume,
        "Suspending",
        "StartSynchronizationJob",
    ),
    (EU_0, ActionVerb::Suspend, "INCRE_TRANSFER_STARTED", "batch-pause-task"),
    (EU_0, ActionVerb::Resume, "PAUSING", "batch-retry-task"),
    (EU_0, ActionVerb::Stop, "INCRE_TRANSFER_STARTED", "batch-jobs"),
];

const EU_0: &str = r#"huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"]"#;

/// A fault, whether the cloud acts despite it, and the job result it leads to.
type Documented = (FaultKind, bool, fn(&JobOutcome) -> bool);

/// The documented outcome of an action whose request meets each fault:
/// whether the cloud acted, and what the job's result is. A request without
/// a definite answer is never re-sent; the job is watched and succeeds if it
/// is seen at its target, else it is `unknown`.
const FAULTS: [Documented; 5] = [
    // Refused before acting: nothing happened, nothing to confirm.
    (FaultKind::ServerError { status: 503 }, false, |o| matches!(o, JobOutcome::Unknown { .. })),
    (FaultKind::ConnectionReset, false, |o| matches!(o, JobOutcome::Unknown { .. })),
    // Acted, answer lost or unreadable: the re-read confirms it.
    (FaultKind::TimeoutAfterEffect { delay_ms: 1500 }, true, |o| *o == JobOutcome::Succeeded),
    (FaultKind::MalformedBody, true, |o| *o == JobOutcome::Succeeded),
    // Slow but within the request timeout: an ordinary success.
    (FaultKind::Slow { delay_ms: 300 }, true, |o| *o == JobOutcome::Succeeded),
];

/// One cell of the matrix: `fault` on the action `verb` of `address`.
async fn fault_cell(
    fault: FaultKind,
    acted: bool,
    expected: fn(&JobOutcome) -> bool,
    (address, verb, status, action): (&str, ActionVerb, &str, &str),
) {
    let cell = format!("{fault:?} on {action} ({address})");
    let state = match verb {
        ActionVerb::Suspend => DesiredState::Suspended,
        ActionVerb::Resume => DesiredState::Running,
        ActionVerb::Stop => DesiredState::Stopped,
    };
    let job = example_job(address, state);
    let rig = Rig::new(world_with(&[(&job.id, status)]));
    rig.emulator.inject(Fault::new(fault).on_action(action).times(1));
    let plan = rig.plan(std::slice::from_ref(&job), &PlanOptions::default()).await;
    assert_eq!(plan.changes.len(), 1, "{cell}: {plan:#?}");
    let (report, _, state) = rig.apply(&plan).await;

    let outcome = &report.results[0].outcome;
    assert!(expected(outcome), "{cell}: {outcome:?}");
    let sent = rig.actions();
    assert_eq!(sent.len(), 1, "{cell}: sent exactly once: {sent:#?}");
    assert_eq!(sent[0].action, action, "{cell}");
    assert_eq!(sent[0].took_effect, acted, "{cell}");
    let now = rig.emulator.job_status(&job.id).unwrap();
    assert_eq!(now != status, acted, "{cell}: the job is {now}");
    let recorded = state.jobs[&job.address].last_action.as_ref().unwrap().outcome;
    let documented = if acted { ActionOutcome::Succeeded } else { ActionOutcome::Unknown };
    assert_eq!(recorded, documented, "{cell}");
    assert_state_agrees(&rig, &state);
}

#[tokio::test]
async fn every_fault_on_every_action_is_sent_once_and_recorded_as_documented() {
    // The cells are independent (an emulator each): run them together so
    // the lost answers' timeouts overlap.
    let cells = FAULTS.iter().flat_map(|(fault, acted, expected)| {
        ACTIONS.iter().map(move |action| fault_cell(*fault, *acted, *expected, *action))
    });
    join_all(cells).await;
}
