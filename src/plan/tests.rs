//! Planner tests: the decision table for every kind, status and desired
//! state, then the rules around it (direction, pause clock, drift, forget,
//! ordering, batching, narrowing, determinism).

use std::collections::BTreeMap;

use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::fixtures::{desired, live};
use super::*;
use crate::model::{
    AlibabaOptions, Cloud, DesiredState, Direction, JobKind, KindOptions, LiveJob, LiveLookup,
    LiveReverse, PauseMode, ProviderRef, ReadFailure, SourceLocation, SuspendWindow,
};
use crate::state::{ActionRecord, Observation, PauseRecord};

const NOW: OffsetDateTime = datetime!(2026-11-21 12:00 UTC);

fn run(jobs: &[DesiredJob], lives: &[(Address, LiveLookup)], prior: &State) -> Plan {
    run_with(jobs, lives, prior, &PlanOptions::default())
}

fn run_with(
    jobs: &[DesiredJob],
    lives: &[(Address, LiveLookup)],
    prior: &State,
    options: &PlanOptions,
) -> Plan {
    let live: BTreeMap<Address, LiveLookup> = lives.iter().cloned().collect();
    plan(PlanInput { jobs: jobs.to_vec(), providers: &[], live, prior, now: NOW, options }).unwrap()
}

fn single(job: DesiredJob, found: LiveJob) -> JobChange {
    let address = job.address.clone();
    let plan = run(&[job], &[(address, LiveLookup::Found(found))], &State::new());
    plan.changes.into_iter().next().unwrap()
}

/// What a table row expects: an action, or a block with its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum E {
    A(Action),
    B(Code),
}

fn outcome_of(change: &JobChange) -> E {
    match &change.blocker {
        Some(notice) => E::B(notice.code),
        None => E::A(change.action),
    }
}

#[test]
fn decision_table_covers_every_kind_status_and_desired_state() {
    use Action::{NoOp, Resume, Stop, Suspend};
    use Code::{
        JobEnded, JobFailed, JobNotStarted, NotPausable, StopUnsupported, Transitioning,
        UnknownStatus,
    };
    use E::{A, B};
    use LiveState as L;
    // (kind, raw status, normalised state, expected for [running, suspended, stopped])
    let table: &[(JobKind, &str, LiveState, [E; 3])] = &[
        (JobKind::AlibabaDts, "Synchronizing", L::Running, [A(NoOp), A(Suspend), A(Stop)]),
        (JobKind::AlibabaDts, "Migrating", L::Running, [A(NoOp), A(Suspend), A(Stop)]),
        (JobKind::AlibabaDts, "Initializing", L::Running, [A(NoOp), B(NotPausable), A(Stop)]),
        (JobKind::AlibabaDts, "Suspending", L::Suspended, [A(Resume), A(NoOp), A(Stop)]),
        (JobKind::AlibabaDts, "Finished", L::Stopped, [B(JobEnded), B(JobEnded), A(NoOp)]),
        (JobKind::AlibabaDts, "Failed", L::Failed, [B(JobFailed), B(JobFailed), A(Stop)]),
        (
            JobKind::AlibabaDts,
            "NotStarted",
            L::NotStarted,
            [B(JobNotStarted), B(JobNotStarted), A(Stop)],
        ),
        (
            JobKind::AlibabaDts,
            "Prechecking",
            L::Transitioning,
            [B(Transitioning), B(Transitioning), B(Transitioning)],
        ),
        (
            JobKind::AlibabaDts,
            "Mystery",
            L::Unknown,
            [B(UnknownStatus), B(UnknownStatus), B(UnknownStatus)],
        ),
        (JobKind::AlibabaMigration, "Migrating", L::Running, [A(NoOp), A(Suspend), A(Stop)]),
        (JobKind::AlibabaMigration, "Suspending", L::Suspended, [A(Resume), A(NoOp), A(Stop)]),
        (JobKind::AlibabaMigration, "Finished", L::Stopped, [B(JobEnded), B(JobEnded), A(NoOp)]),
        (
            JobKind::AlibabaMigration,
            "MigrationFailed",
            L::Failed,
            [B(JobFailed), B(JobFailed), A(Stop)],
        ),
        (
            JobKind::AlibabaMigration,
            "NotStarted",
            L::NotStarted,
            [B(JobNotStarted), B(JobNotStarted), A(Stop)],
        ),
        (
            JobKind::AlibabaMigration,
            "Prechecking",
            L::Transitioning,
            [B(Transitioning), B(Transitioning), B(Transitioning)],
        ),
        (
            JobKind::AlibabaSynchronization,
            "synchronizing",
            L::Running,
            [A(NoOp), A(Suspend), B(StopUnsupported)],
        ),
        (
            JobKind::AlibabaSynchronization,
            "Initializating",
            L::Running,
            [A(NoOp), B(NotPausable), B(StopUnsupported)],
        ),
        (
            JobKind::AlibabaSynchronization,
            "Suspending",
            L::Suspended,
            [A(Resume), A(NoOp), B(StopUnsupported)],
        ),
        (
            JobKind::AlibabaSynchronization,
            "Finished",
            L::Stopped,
            [B(JobEnded), B(JobEnded), A(NoOp)],
        ),
        (
            JobKind::AlibabaSynchronization,
            "Failed",
            L::Failed,
            [B(JobFailed), B(JobFailed), B(StopUnsupported)],
        ),
        (
            JobKind::AlibabaSynchronization,
            "Modifying",
            L::Transitioning,
            [B(Transitioning), B(Transitioning), B(Transitioning)],
        ),
        (JobKind::HuaweiDrs, "INCRE_TRANSFER_STARTED", L::Running, [A(NoOp), A(Suspend), A(Stop)]),
        (JobKind::HuaweiDrs, "FULL_TRANSFER_COMPLETE", L::Running, [A(NoOp), A(Suspend), A(Stop)]),
        (JobKind::HuaweiDrs, "PAUSING", L::Suspended, [A(Resume), A(NoOp), A(Stop)]),
        (
            JobKind::HuaweiDrs,
            "RELEASE_RESOURCE_COMPLETE",
            L::Stopped,
            [B(JobEnded), B(JobEnded), A(NoOp)],
        ),
        (
            JobKind::HuaweiDrs,
            "INCRE_TRANSFER_FAILED",
            L::Failed,
            [B(JobFailed), A(Suspend), A(Stop)],
        ),
        (JobKind::HuaweiDrs, "CREATE_FAILED", L::Failed, [B(JobFailed), B(JobFailed), A(Stop)]),
        (
            JobKind::HuaweiDrs,
            "CONFIGURATION",
            L::NotStarted,
            [B(JobNotStarted), B(JobNotStarted), A(Stop)],
        ),
        (
            JobKind::HuaweiDrs,
            "STARTJOBING",
            L::Transitioning,
            [B(Transitioning), B(Transitioning), B(Transitioning)],
        ),
        (
            JobKind::HuaweiDrs,
            "NEW_THING",
            L::Unknown,
            [B(UnknownStatus), B(UnknownStatus), B(UnknownStatus)],
        ),
    ];
    for (kind, raw, state, expected) in table {
        for (desired_state, expected) in DesiredState::ALL.into_iter().zip(expected) {
            let change =
                single(desired(*kind, "j", "id1", desired_state), live(*kind, "id1", raw, *state));
            assert_eq!(outcome_of(&change), *expected, "{kind} {raw} -> {desired_state}");
            assert!(!change.reason.is_empty());
        }
    }
}

#[test]
fn stop_needs_allow_stop() {
    let mut job = desired(JobKind::HuaweiDrs, "j", "id1", DesiredState::Stopped);
    job.allow_stop = false;
    let change = single(job, live(JobKind::HuaweiDrs, "id1", "PAUSING", LiveState::Suspended));
    assert_eq!(outcome_of(&change), E::B(Code::StopNotAllowed));
}

#[test]
fn change_tracking_suspend_is_blocked_not_sent() {
    let mut found = live(JobKind::AlibabaDts, "id1", "Normal", LiveState::Running);
    found.change_tracking = true;
    let job = desired(JobKind::AlibabaDts, "j", "id1", DesiredState::Suspended);
    assert_eq!(outcome_of(&single(job, found)), E::B(Code::SubscribeSuspendIsNoop));
}

#[test]
fn reverse_direction_uses_the_reverse_task_and_needs_one() {
    let mut job = desired(JobKind::AlibabaDts, "j", "id1", DesiredState::Suspended);
    job.options =
        KindOptions::Alibaba(AlibabaOptions { direction: Direction::Reverse, instance_id: None });
    let one_way = live(JobKind::AlibabaDts, "id1", "Synchronizing", LiveState::Running);
    assert_eq!(outcome_of(&single(job.clone(), one_way)), E::B(Code::ReverseRequiresTwoWay));

    let mut two_way = live(JobKind::AlibabaDts, "id1", "Synchronizing", LiveState::Running);
    two_way.two_way = Some(true);
    two_way.reverse =
        Some(LiveReverse { raw_status: "Suspending".to_owned(), state: LiveState::Suspended });
    let change = single(job, two_way);
    assert_eq!(outcome_of(&change), E::A(Action::NoOp), "the reverse task is already paused");
    assert_eq!(change.live.unwrap().raw_status, "Suspending");
}

#[test]
fn missing_and_unreadable_jobs_are_blocked_naming_the_block() {
    let job = desired(JobKind::HuaweiDrs, "eu", "id1", DesiredState::Suspended);
    let address = job.address.clone();
    let plan =
        run(std::slice::from_ref(&job), &[(address.clone(), LiveLookup::NotFound)], &State::new());
    let change = plan.change(&address).unwrap();
    assert_eq!(outcome_of(change), E::B(Code::JobNotFound));
    assert!(change.reason.contains("main.hcl:1:1"), "{}", change.reason);
    assert!(!plan.applyable());
    let failure = ReadFailure {
        code: "InternalError".to_owned(),
        request_id: Some("r-1".to_owned()),
        message: "alibaba DescribeDtsJobs: InternalError: boom (request id r-1)".to_owned(),
    };
    let plan = run(&[job], &[(address.clone(), LiveLookup::ReadFailed(failure))], &State::new());
    let change = plan.change(&address).unwrap();
    assert_eq!(outcome_of(change), E::B(Code::ReadFailed));
    assert!(change.reason.ends_with("InternalError: boom (request id r-1)"), "{}", change.reason);
}

fn paused_record(kind: JobKind, id: &str, since: OffsetDateTime, source: PauseSource) -> JobRecord {
    JobRecord {
        kind,
        id: id.to_owned(),
        provider: ProviderRef { cloud: kind.cloud(), alias: None },
        direction: Direction::Forward,
        observed: Observation {
            raw_status: "Suspending".to_owned(),
            state: LiveState::Suspended,
            at: since,
            job_type: None,
        },
        paused: Some(PauseRecord { since, source, pause_mode: None }),
        last_action: None,
    }
}

fn with_record(address: &Address, record: JobRecord) -> State {
    let mut state = State::new();
    state.jobs.insert(address.clone(), record);
    state
}

#[test]
fn pause_clock_blocks_a_resume_past_six_hours_and_warns_before() {
    let job = desired(JobKind::AlibabaDts, "orders", "id1", DesiredState::Running);
    let found =
        LiveLookup::Found(live(JobKind::AlibabaDts, "id1", "Suspending", LiveState::Suspended));
    let lives = [(job.address.clone(), found)];

    let expired = with_record(
        &job.address,
        paused_record(JobKind::AlibabaDts, "id1", NOW - Duration::hours(7), PauseSource::Jobform),
    );
    let change = run(std::slice::from_ref(&job), &lives, &expired).changes.remove(0);
    assert_eq!(outcome_of(&change), E::B(Code::RestartWindowExpired));
    assert!(change.reason.contains("paused for 7h:"), "{}", change.reason);

    let closing = with_record(
        &job.address,
        paused_record(
            JobKind::AlibabaDts,
            "id1",
            NOW - Duration::minutes(330),
            PauseSource::FirstSeen,
        ),
    );
    let change = run(std::slice::from_ref(&job), &lives, &closing).changes.remove(0);
    assert_eq!(outcome_of(&change), E::A(Action::Resume));
    let warning = &change.warnings[0];
    assert_eq!(warning.code, Code::RestartWindowClosing);
    assert_eq!(warning.deadline, Some(NOW + Duration::minutes(30)));
    assert!(warning.message.contains("at least 5h 30m"), "{}", warning.message);

    let fresh = run(&[job], &lives, &State::new()).changes.remove(0);
    let clock = fresh.pause.unwrap();
    assert_eq!(
        (clock.since, clock.source, clock.age),
        (NOW, PauseSource::FirstSeen, Duration::ZERO)
    );
}

#[test]
fn drs_paused_with_mode_all_warns_about_source_logs() {
    let job = desired(JobKind::HuaweiDrs, "eu", "id1", DesiredState::Suspended);
    let mut record =
        paused_record(JobKind::HuaweiDrs, "id1", NOW - Duration::hours(20), PauseSource::Jobform);
    record.observed.raw_status = "PAUSING".to_owned();
    record.paused.as_mut().unwrap().pause_mode = Some(PauseMode::All);
    let found = LiveLookup::Found(live(JobKind::HuaweiDrs, "id1", "PAUSING", LiveState::Suspended));
    let plan = run(
        std::slice::from_ref(&job),
        &[(job.address.clone(), found)],
        &with_record(&job.address, record),
    );
    let codes: Vec<Code> = plan.changes[0].warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, [Code::SourceLogExpiry]);
}

#[test]
fn drift_is_reported_unless_a_pending_action_explains_it() {
    let job = desired(JobKind::AlibabaDts, "orders", "id1", DesiredState::Suspended);
    let found =
        LiveLookup::Found(live(JobKind::AlibabaDts, "id1", "Synchronizing", LiveState::Running));
    let lives = [(job.address.clone(), found)];
    let record =
        paused_record(JobKind::AlibabaDts, "id1", NOW - Duration::hours(1), PauseSource::Jobform);
    let plan = run(std::slice::from_ref(&job), &lives, &with_record(&job.address, record.clone()));
    let drift = plan.changes[0].drift.as_ref().unwrap();
    assert_eq!(drift.recorded_raw_status, "Suspending");
    assert_eq!(plan.changes[0].action, Action::Suspend, "drift is corrected");

    let mut pending = record;
    pending.observed.raw_status = "Suspending".to_owned();
    pending.last_action = Some(ActionRecord {
        verb: crate::model::ActionVerb::Resume,
        at: NOW - Duration::minutes(1),
        request_id: None,
        outcome: ActionOutcome::Pending,
        pause_mode: None,
    });
    let plan = run(std::slice::from_ref(&job), &lives, &with_record(&job.address, pending));
    assert_eq!(plan.changes[0].drift, None);
}

/// A record whose last action, a DRS pause sent with `pause_mode = "all"`
/// 20 hours ago, has `outcome`; the job was running when it was sent.
fn unsettled_pause(outcome: ActionOutcome) -> JobRecord {
    let mut record =
        paused_record(JobKind::HuaweiDrs, "id1", NOW - Duration::hours(21), PauseSource::Jobform);
    record.paused = None;
    record.observed.raw_status = "INCRE_TRANSFER_STARTED".to_owned();
    record.observed.state = LiveState::Running;
    record.last_action = Some(ActionRecord {
        verb: crate::model::ActionVerb::Suspend,
        at: NOW - Duration::hours(20),
        request_id: Some("req-7".to_owned()),
        outcome,
        pause_mode: Some(PauseMode::All),
    });
    record
}

#[test]
fn an_action_of_unknown_outcome_is_never_planned_again_without_the_users_word() {
    let job = desired(JobKind::HuaweiDrs, "eu", "id1", DesiredState::Suspended);
    let still_running = LiveLookup::Found(live(
        JobKind::HuaweiDrs,
        "id1",
        "INCRE_TRANSFER_STARTED",
        LiveState::Running,
    ));
    let lives = [(job.address.clone(), still_running)];
    for outcome in [ActionOutcome::Unknown, ActionOutcome::Pending] {
        // At any age: 20 hours after the send, as 20 seconds after.
        let state = with_record(&job.address, unsettled_pause(outcome));
        let change = run(std::slice::from_ref(&job), &lives, &state).changes.remove(0);
        assert_eq!(outcome_of(&change), E::B(Code::OutcomeUnknown), "{outcome:?}");
        assert!(
            change.reason.contains("2026-11-20T16:00:00Z (request id req-7)"),
            "{}",
            change.reason
        );
        assert!(change.reason.contains("--resend-unknown huawei_drs.eu"), "{}", change.reason);
    }
    let state = with_record(&job.address, unsettled_pause(ActionOutcome::Unknown));
    let options =
        PlanOptions { resend_unknown: vec![job.address.clone()], ..PlanOptions::default() };
    let change = run_with(std::slice::from_ref(&job), &lives, &state, &options).changes.remove(0);
    assert_eq!((change.action, change.resend), (Action::Suspend, true));
    assert!(change.reason.contains("sent again on your word"), "{}", change.reason);

    // Nothing to send (the job should run, and runs): no block.
    let running = desired(JobKind::HuaweiDrs, "eu", "id1", DesiredState::Running);
    let change = run(&[running], &lives, &state).changes.remove(0);
    assert_eq!(change.action, Action::NoOp);
}

#[test]
fn a_pause_of_unknown_outcome_seen_paused_counts_from_the_send_with_the_mode_sent() {
    let job = desired(JobKind::HuaweiDrs, "eu", "id1", DesiredState::Suspended);
    let paused =
        LiveLookup::Found(live(JobKind::HuaweiDrs, "id1", "PAUSING", LiveState::Suspended));
    let state = with_record(&job.address, unsettled_pause(ActionOutcome::Unknown));
    let change =
        run(std::slice::from_ref(&job), &[(job.address.clone(), paused)], &state).changes.remove(0);
    assert_eq!(change.action, Action::NoOp);
    let clock = change.pause.unwrap();
    assert_eq!((clock.since, clock.source), (NOW - Duration::hours(20), PauseSource::Jobform));
    // `pause_mode = "all"` was sent (the block says `target` now): the
    // 24-hour source-log warning fires 4 hours from now.
    let codes: Vec<Code> = change.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, [Code::SourceLogExpiry]);
    assert_eq!(change.warnings[0].deadline, Some(NOW + Duration::hours(4)));
}

#[test]
fn removed_blocks_are_forgotten_never_acted_on() {
    let address = Address::new(JobKind::HuaweiDrs, "gone");
    let state = with_record(
        &address,
        paused_record(JobKind::HuaweiDrs, "id9", NOW - Duration::hours(1), PauseSource::Jobform),
    );
    let plan = run(&[], &[], &state);
    assert_eq!(plan.changes[0].action, Action::Forget);
    assert!(plan.waves.is_empty());
    assert!(plan.has_changes());
    let refresh =
        run_with(&[], &[], &state, &PlanOptions { refresh_only: true, ..PlanOptions::default() });
    assert!(refresh.changes.is_empty());
}

fn drs_fleet(count: usize) -> (Vec<DesiredJob>, Vec<(Address, LiveLookup)>) {
    (0..count)
        .map(|i| {
            let id = format!("00000000-0000-4000-8000-{i:012}");
            let mut job = desired(JobKind::HuaweiDrs, "fleet", &id, DesiredState::Suspended);
            job.address = Address::instance(JobKind::HuaweiDrs, "fleet", id.clone());
            let found = live(JobKind::HuaweiDrs, &id, "INCRE_TRANSFER_STARTED", LiveState::Running);
            let address = job.address.clone();
            (job, (address, LiveLookup::Found(found)))
        })
        .unzip()
}

#[test]
fn batches_are_chunked_at_the_batch_size() {
    let (jobs, lives) = drs_fleet(45);
    let plan = run(&jobs, &lives, &State::new());
    let sizes: Vec<usize> = plan.waves[0].requests.iter().map(|r| r.jobs.len()).collect();
    assert_eq!(sizes, [20, 20, 5]);
    assert!(plan.waves[0].requests.iter().all(|r| r.operation() == "batch-pause-task"));
    assert_eq!(plan.summary().requests, 3);
    assert_eq!(plan.summary().suspend, 45);
}

#[test]
fn alibaba_uses_batch_forms_only_for_several_forward_jobs() {
    let mut jobs = Vec::new();
    let mut lives = Vec::new();
    for (name, direction) in
        [("a", Direction::Forward), ("b", Direction::Forward), ("c", Direction::Reverse)]
    {
        let mut job = desired(JobKind::AlibabaDts, name, name, DesiredState::Suspended);
        job.options = KindOptions::Alibaba(AlibabaOptions { direction, instance_id: None });
        let mut found = live(JobKind::AlibabaDts, name, "Synchronizing", LiveState::Running);
        found.two_way = Some(true);
        found.reverse =
            Some(LiveReverse { raw_status: "Synchronizing".into(), state: LiveState::Running });
        lives.push((job.address.clone(), LiveLookup::Found(found)));
        jobs.push(job);
    }
    let plan = run(&jobs, &lives, &State::new());
    let ops: Vec<(&str, usize)> =
        plan.waves[0].requests.iter().map(|r| (r.operation(), r.jobs.len())).collect();
    assert_eq!(ops, [("SuspendDtsJobs", 2), ("SuspendDtsJob", 1)]);
}

#[test]
fn dependencies_make_waves_and_blocked_dependencies_block_dependents() {
    let mut first = desired(JobKind::AlibabaDts, "first", "id1", DesiredState::Suspended);
    let mut second = desired(JobKind::HuaweiDrs, "second", "id2", DesiredState::Suspended);
    second.depends_on = vec![first.address.clone()];
    let mut third = desired(JobKind::HuaweiDrs, "third", "id3", DesiredState::Suspended);
    third.depends_on = vec![second.address.clone()];
    let lives = vec![
        (
            first.address.clone(),
            LiveLookup::Found(live(
                JobKind::AlibabaDts,
                "id1",
                "Synchronizing",
                LiveState::Running,
            )),
        ),
        (
            second.address.clone(),
            LiveLookup::Found(live(
                JobKind::HuaweiDrs,
                "id2",
                "INCRE_TRANSFER_STARTED",
                LiveState::Running,
            )),
        ),
        (
            third.address.clone(),
            LiveLookup::Found(live(
                JobKind::HuaweiDrs,
                "id3",
                "INCRE_TRANSFER_STARTED",
                LiveState::Running,
            )),
        ),
    ];
    let jobs = [first.clone(), second.clone(), third.clone()];
    let plan = run(&jobs, &lives, &State::new());
    let waves: Vec<Vec<String>> = plan
        .waves
        .iter()
        .map(|w| w.requests.iter().flat_map(|r| r.jobs.iter().map(ToString::to_string)).collect())
        .collect();
    assert_eq!(waves, [["alibaba_dts.first"], ["huawei_drs.second"], ["huawei_drs.third"]]);

    first.state = DesiredState::Running;
    first.id = "missing".to_owned();
    let mut lives = lives;
    lives[0].1 = LiveLookup::NotFound;
    let plan = run(&[first, second, third], &lives, &State::new());
    let codes: Vec<E> = plan.changes.iter().map(outcome_of).collect();
    assert_eq!(
        codes,
        [E::B(Code::JobNotFound), E::B(Code::DependencyBlocked), E::B(Code::DependencyBlocked)]
    );
    assert!(plan.waves.is_empty());
}

/// The planner consumes the configured jobs a slice at a time: across
/// several slices every selected job gets one change, in address order, and
/// only records no block declares are forgotten, excluded jobs' records kept.
#[test]
fn jobs_planned_across_slices_get_one_change_each_and_forgets_only_the_undeclared() {
    let (jobs, lives) = drs_fleet(2 * super::JOBS_PER_SLICE + 7);
    let excluded = jobs[super::JOBS_PER_SLICE + 1].address.clone();
    let gone = Address::instance(JobKind::HuaweiDrs, "fleet", "zz-removed".to_owned());
    let mut state = with_record(
        &excluded,
        paused_record(
            JobKind::HuaweiDrs,
            &jobs[super::JOBS_PER_SLICE + 1].id,
            NOW,
            PauseSource::Jobform,
        ),
    );
    state.jobs.insert(
        gone.clone(),
        paused_record(JobKind::HuaweiDrs, "zz-removed", NOW, PauseSource::Jobform),
    );
    let options = PlanOptions { excludes: vec![excluded.clone()], ..PlanOptions::default() };
    let plan = run_with(&jobs, &lives, &state, &options);
    let planned: Vec<&Address> = plan.changes.iter().map(|c| &c.address).collect();
    let mut expected: Vec<&Address> =
        jobs.iter().map(|job| &job.address).filter(|a| **a != excluded).collect();
    expected.push(&gone);
    expected.sort();
    assert_eq!(planned, expected);
    assert_eq!(plan.change(&gone).unwrap().action, Action::Forget);
    assert_eq!(plan.summary().forget, 1);
    assert_eq!(plan.summary().suspend, jobs.len() - 1);
}

#[test]
fn target_and_exclude_narrow_the_plan_with_a_warning() {
    let (jobs, lives) = drs_fleet(3);
    let options = PlanOptions { excludes: vec![jobs[1].address.clone()], ..PlanOptions::default() };
    let plan = run_with(&jobs, &lives, &State::new(), &options);
    assert_eq!(plan.changes.len(), 2);
    assert_eq!(plan.warnings[0].code, Code::PartialPlan);
    let options = PlanOptions {
        targets: vec![Address::new(JobKind::HuaweiDrs, "fleet")],
        ..PlanOptions::default()
    };
    assert_eq!(run_with(&jobs, &lives, &State::new(), &options).changes.len(), 3);
}

#[test]
fn the_same_inputs_give_the_same_plan() {
    let (jobs, lives) = drs_fleet(30);
    let mut reversed = jobs.clone();
    reversed.reverse();
    let a = serde_json::to_string(&run(&jobs, &lives, &State::new())).unwrap();
    let b = serde_json::to_string(&run(&reversed, &lives, &State::new())).unwrap();
    assert_eq!(a, b);
}

#[test]
fn providers_choose_the_batch_size() {
    let (jobs, lives) = drs_fleet(10);
    let provider = crate::model::ProviderConfig::Huawei(crate::model::HuaweiProvider {
        alias: None,
        region: "ap-southeast-1".to_owned(),
        project_id: "p".to_owned(),
        auth_token: None,
        access_key: None,
        secret_key: None,
        security_token: None,
        endpoint: None,
        tuning: crate::model::ProviderTuning { batch_size: Some(4), ..Default::default() },
        declared_at: SourceLocation { file: "p.hcl".into(), line: 1, column: 1 },
    });
    let live: BTreeMap<Address, LiveLookup> = lives.into_iter().collect();
    let options = PlanOptions::default();
    let plan = plan(PlanInput {
        jobs: jobs.clone(),
        providers: std::slice::from_ref(&provider),
        live,
        prior: &State::new(),
        now: NOW,
        options: &options,
    })
    .unwrap();
    let sizes: Vec<usize> = plan.waves[0].requests.iter().map(|r| r.jobs.len()).collect();
    assert_eq!(sizes, [4, 4, 2]);
    assert_eq!(Cloud::Huawei, plan.changes[0].provider.cloud);
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Up to 40 jobs of mixed kinds and states, each depending on a random
    /// subset of the jobs before it (so the graph is acyclic, as validation
    /// guarantees), with a random batch size.
    fn scenario() -> impl Strategy<Value = (Vec<DesiredJob>, Vec<(Address, LiveLookup)>, u32)> {
        let job = (
            0usize..4,
            0usize..3,
            0usize..3,
            proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
        );
        (proptest::collection::vec(job, 1..40), 1u32..8).prop_map(|(specs, batch)| {
            let mut jobs: Vec<DesiredJob> = Vec::new();
            let mut lives = Vec::new();
            for (i, (kind, desired_state, live_state, deps)) in specs.into_iter().enumerate() {
                let kind = JobKind::ALL[kind];
                let id = format!("00000000-0000-4000-8000-{i:012}");
                let mut job =
                    desired(kind, &format!("j{i:02}"), &id, DesiredState::ALL[desired_state]);
                if i > 0 {
                    job.depends_on =
                        deps.iter().map(|d| jobs[d.index(i)].address.clone()).collect();
                }
                let (raw, state) = match (kind, live_state) {
                    (JobKind::HuaweiDrs, 0) => ("INCRE_TRANSFER_STARTED", LiveState::Running),
                    (JobKind::HuaweiDrs, 1) => ("PAUSING", LiveState::Suspended),
                    (JobKind::AlibabaMigration, 0) => ("Migrating", LiveState::Running),
                    (_, 0) => ("Synchronizing", LiveState::Running),
                    (_, 1) => ("Suspending", LiveState::Suspended),
                    _ => ("Finished", LiveState::Stopped),
                };
                lives.push((job.address.clone(), LiveLookup::Found(live(kind, &id, raw, state))));
                jobs.push(job);
            }
            (jobs, lives, batch)
        })
    }

    proptest! {
        #[test]
        fn waves_respect_dependencies_and_batches_respect_the_size((jobs, lives, batch) in scenario()) {
            let tuning = crate::model::ProviderTuning { batch_size: Some(batch), ..Default::default() };
            let at = SourceLocation { file: "p.hcl".into(), line: 1, column: 1 };
            let providers = vec![
                crate::model::ProviderConfig::Huawei(crate::model::HuaweiProvider {
                    alias: None, region: "r".into(), project_id: "p".into(), auth_token: None,
                    access_key: None, secret_key: None, security_token: None, endpoint: None,
                    tuning: tuning.clone(), declared_at: at.clone(),
                }),
                crate::model::ProviderConfig::Alibaba(crate::model::AlibabaProvider {
                    alias: None, region: "r".into(), access_key_id: None, access_key_secret: None,
                    security_token: None, endpoint: None, tuning, declared_at: at,
                }),
            ];
            let live: BTreeMap<Address, LiveLookup> = lives.into_iter().collect();
            let options = PlanOptions::default();
            let plan = plan(PlanInput { jobs: jobs.clone(), providers: &providers, live, prior: &State::new(), now: NOW, options: &options }).unwrap();
            let mut wave_of = BTreeMap::new();
            for wave in &plan.waves {
                for request in &wave.requests {
                    let limit = if crate::provider::describe(request.kind).batches(request.verb, request.direction) { batch as usize } else { 1 };
                    prop_assert!(request.jobs.len() <= limit);
                    for job in &request.jobs {
                        prop_assert!(wave_of.insert(job.clone(), wave.index).is_none(), "a job is sent once");
                    }
                }
            }
            for change in plan.changes.iter().filter(|c| c.action.sends_request()) {
                let own = wave_of[&change.address];
                for dependency in &change.depends_on {
                    if let Some(dep_wave) = wave_of.get(dependency) {
                        prop_assert!(*dep_wave < own, "{} runs after {}", change.address, dependency);
                    }
                }
            }
        }
    }
}

/// A plan holds every change at once: what a change costs, a 100,000-job
/// plan costs 100,000 times. The rarely set parts are boxed, and its
/// address shares its strings.
#[test]
fn a_change_stays_small() {
    let size = std::mem::size_of::<JobChange>();
    assert!(size <= 296, "JobChange grew to {size} bytes");
}

fn windowed(kind: JobKind, id: &str, window: SuspendWindow) -> DesiredJob {
    DesiredJob {
        suspend_window: Some(Box::new(window)),
        ..desired(kind, "windowed", id, DesiredState::Running)
    }
}

fn fixed(from: Option<OffsetDateTime>, until: OffsetDateTime) -> SuspendWindow {
    SuspendWindow::Fixed { from, until }
}

#[test]
fn inside_its_window_a_job_is_to_be_suspended_and_outside_it_running() {
    let running = live(JobKind::AlibabaDts, "id1", "Synchronizing", LiveState::Running);
    let paused = live(JobKind::AlibabaDts, "id1", "Suspending", LiveState::Suspended);
    let window = |from: i64, until: i64| {
        fixed(Some(NOW + Duration::hours(from)), NOW + Duration::hours(until))
    };
    for (window, found, action, desired_now) in [
        (window(1, 3), running.clone(), Action::NoOp, DesiredState::Running),
        (window(-1, 1), running.clone(), Action::Suspend, DesiredState::Suspended),
        (window(-1, 1), paused.clone(), Action::NoOp, DesiredState::Suspended),
        (window(-3, -1), paused.clone(), Action::Resume, DesiredState::Running),
    ] {
        let change = single(windowed(JobKind::AlibabaDts, "id1", window), found);
        assert_eq!((change.action, change.desired), (action, Some(desired_now)), "{change:?}");
    }
}

#[test]
fn the_next_window_edge_is_the_earliest_over_every_job_whatever_its_action() {
    let soon = windowed(
        JobKind::AlibabaDts,
        "id1",
        fixed(Some(NOW + Duration::hours(2)), NOW + Duration::hours(4)),
    );
    let open = DesiredJob {
        address: Address::new(JobKind::AlibabaDts, "open"),
        ..windowed(JobKind::AlibabaDts, "id2", fixed(None, NOW + Duration::hours(3)))
    };
    let ended = DesiredJob {
        address: Address::new(JobKind::AlibabaDts, "ended"),
        ..windowed(JobKind::AlibabaDts, "id3", fixed(None, NOW - Duration::hours(1)))
    };
    let found = |job: &DesiredJob, id: &str| {
        (
            job.address.clone(),
            LiveLookup::Found(live(JobKind::AlibabaDts, id, "Synchronizing", LiveState::Running)),
        )
    };
    let lives = [found(&soon, "id1"), found(&open, "id2"), found(&ended, "id3")];
    let plan = run(&[soon.clone(), open.clone(), ended.clone()], &lives, &State::new());
    // The soonest opening is a no-op now, and still the next edge.
    assert_eq!(plan.change(&soon.address).unwrap().action, Action::NoOp);
    assert_eq!(plan.next_window_edge(), Some(NOW + Duration::hours(2)));
    let plan = run(&[open, ended.clone()], &lives[1..], &State::new());
    assert_eq!(plan.next_window_edge(), Some(NOW + Duration::hours(3)));
    assert_eq!(run(&[ended], &lives[2..], &State::new()).next_window_edge(), None);
}

#[test]
fn a_window_longer_than_the_kind_allows_is_blocked_naming_the_limit() {
    let running = live(JobKind::AlibabaDts, "id1", "Synchronizing", LiveState::Running);
    let seven_hours = fixed(Some(NOW + Duration::hours(1)), NOW + Duration::hours(8));
    let change = single(windowed(JobKind::AlibabaDts, "id1", seven_hours.clone()), running.clone());
    assert_eq!(outcome_of(&change), E::B(Code::WindowTooLong));
    assert!(
        change.reason.contains("longer than 6 hours: an incremental task"),
        "{}",
        change.reason
    );
    // A full-migration task may stay paused 7 days.
    let full = LiveJob { incremental: Some(false), ..running.clone() };
    assert_eq!(
        outcome_of(&single(windowed(JobKind::AlibabaDts, "id1", seven_hours), full.clone())),
        E::A(Action::NoOp)
    );
    let eight_days = fixed(Some(NOW + Duration::hours(1)), NOW + Duration::days(8));
    assert_eq!(
        outcome_of(&single(windowed(JobKind::AlibabaDts, "id1", eight_days.clone()), full)),
        E::B(Code::WindowTooLong)
    );
    // DRS: 24 hours with pause_mode = "all", no limit with "target".
    let drs_running = live(JobKind::HuaweiDrs, "id1", "INCRE_TRANSFER_STARTED", LiveState::Running);
    let target = windowed(JobKind::HuaweiDrs, "id1", eight_days.clone());
    assert_eq!(outcome_of(&single(target.clone(), drs_running.clone())), E::A(Action::NoOp));
    let all = DesiredJob {
        options: KindOptions::new(Cloud::Huawei, Direction::Forward, None, PauseMode::All),
        ..windowed(
            JobKind::HuaweiDrs,
            "id1",
            fixed(Some(NOW + Duration::hours(1)), NOW + Duration::hours(26)),
        )
    };
    let change = single(all, drs_running);
    assert_eq!(outcome_of(&change), E::B(Code::WindowTooLong));
    assert!(change.reason.contains("longer than 24 hours"), "{}", change.reason);
}

#[test]
fn an_open_window_on_a_paused_job_counts_from_the_recorded_pause() {
    let job = windowed(JobKind::AlibabaDts, "id1", fixed(None, NOW + Duration::hours(2)));
    let found =
        LiveLookup::Found(live(JobKind::AlibabaDts, "id1", "Suspending", LiveState::Suspended));
    let lives = [(job.address.clone(), found)];
    // Paused 3 hours ago, closing in 2: 5 hours, within the 6.
    let three_hours = with_record(
        &job.address,
        paused_record(JobKind::AlibabaDts, "id1", NOW - Duration::hours(3), PauseSource::Jobform),
    );
    let change = run(std::slice::from_ref(&job), &lives, &three_hours).changes.remove(0);
    assert_eq!(outcome_of(&change), E::A(Action::NoOp));
    // Paused 5 hours ago: 7 hours by the close.
    let five_hours = with_record(
        &job.address,
        paused_record(JobKind::AlibabaDts, "id1", NOW - Duration::hours(5), PauseSource::Jobform),
    );
    let change = run(std::slice::from_ref(&job), &lives, &five_hours).changes.remove(0);
    assert_eq!(outcome_of(&change), E::B(Code::WindowTooLong));
    assert!(change.reason.contains("counted from the recorded pause"), "{}", change.reason);
}

#[test]
fn a_job_still_paused_after_its_window_is_resume_overdue() {
    let job = windowed(
        JobKind::AlibabaDts,
        "id1",
        fixed(Some(NOW - Duration::hours(4)), NOW - Duration::minutes(90)),
    );
    let found =
        LiveLookup::Found(live(JobKind::AlibabaDts, "id1", "Suspending", LiveState::Suspended));
    let record = with_record(
        &job.address,
        paused_record(JobKind::AlibabaDts, "id1", NOW - Duration::hours(4), PauseSource::Jobform),
    );
    let change = run(std::slice::from_ref(&job), &[(job.address.clone(), found.clone())], &record)
        .changes
        .remove(0);
    assert_eq!(change.action, Action::Resume);
    let overdue = change.warnings.iter().find(|w| w.code == Code::ResumeOverdue).unwrap();
    assert_eq!(overdue.deadline, Some(NOW - Duration::minutes(90)));
    assert!(overdue.message.contains("1h 30m ago"), "{}", overdue.message);
    // Declared suspended anyway: nothing is overdue.
    let kept = DesiredJob { state: DesiredState::Suspended, ..job };
    let change = run(std::slice::from_ref(&kept), &[(kept.address.clone(), found)], &record)
        .changes
        .remove(0);
    assert!(change.warnings.iter().all(|w| w.code != Code::ResumeOverdue), "{:?}", change.warnings);
}
