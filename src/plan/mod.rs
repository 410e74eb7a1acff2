//! The planner: a pure function of the desired jobs, the live jobs, the prior
//! state and `now`. No I/O, no clock reads, no randomness: the same inputs
//! give the same plan, byte for byte, which is what makes it testable and a
//! saved plan trustworthy.

mod batch;
mod change;
#[cfg(test)]
pub(crate) mod fixtures;
mod order;
mod rules;
mod saved;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use self::batch::Request;
pub use self::change::{
    Action, Code, Drift, JobChange, LiveStatus, Notice, PauseClock, WindowPhaseLabel, WindowStatus,
};
pub use self::rules::WARN_BEFORE;
pub use self::saved::{
    Current, SAVED_PLAN_FORMAT_VERSION, SavedPlan, SavedPlanError, SavedVariable, StateRef,
};
use crate::model::{
    Address, DesiredJob, DesiredState, LiveLookup, LiveState, ProviderConfig, ProviderRef,
    SourceLocation, WindowPhase,
};
use crate::state::{ActionOutcome, JobRecord, PauseRecord, PauseSource, State};

/// How the user narrowed or shaped the plan. Part of the plan (and of a
/// saved plan's digest), since the same inputs with other options make
/// another plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanOptions {
    /// `--target`: plan only these (block addresses select every instance).
    pub targets: Vec<Address>,
    /// `--exclude`: leave these out.
    pub excludes: Vec<Address>,
    /// `--refresh-only`: report drift, plan no action.
    pub refresh_only: bool,
    /// `--skip-blocked`: blocked jobs do not make the plan unappliable.
    pub skip_blocked: bool,
    /// `--resend-unknown`: send again the action of these jobs although an
    /// earlier request for it has an unknown outcome (the user's word that
    /// the cloud did not act on it).
    pub resend_unknown: Vec<Address>,
}

impl PlanOptions {
    /// Whether `--target`/`--exclude` leave `address` in the plan.
    pub fn selects(&self, address: &Address) -> bool {
        (self.targets.is_empty() || self.targets.iter().any(|t| t.selects(address)))
            && !self.excludes.iter().any(|e| e.selects(address))
    }
}

/// Everything the planner reads.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    /// The declared jobs, consumed: each becomes its change (see [`plan`]).
    pub jobs: Vec<DesiredJob>,
    /// The provider blocks (for batch sizes).
    pub providers: &'a [ProviderConfig],
    /// What the clouds said about each declared job, consumed like the jobs.
    pub live: BTreeMap<Address, LiveLookup>,
    /// The state as the last apply left it.
    pub prior: &'a State,
    /// The time the plan is made at.
    pub now: OffsetDateTime,
    /// The user's narrowing.
    pub options: &'a PlanOptions,
}

/// The requests of one wave: sent together, after every earlier wave settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wave {
    /// 0-based position.
    pub index: usize,
    /// The requests, in a stable order.
    pub requests: Vec<Request>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Jobs to pause.
    pub suspend: usize,
    /// Jobs to resume.
    pub resume: usize,
    /// Jobs to end.
    pub stop: usize,
    /// Jobs blocked.
    pub blocked: usize,
    /// Records to drop from the state.
    pub forget: usize,
    /// Jobs already as declared.
    pub no_op: usize,
    /// Requests the plan sends.
    pub requests: usize,
}

/// A plan: what to do to each job, in which order, with which requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// When the plan was made.
    #[serde(with = "time::serde::rfc3339")]
    pub planned_at: OffsetDateTime,
    /// One change per job address, sorted by address.
    pub changes: Vec<JobChange>,
    /// The requests, wave by wave.
    pub waves: Vec<Wave>,
    /// Warnings about the plan as a whole.
    pub warnings: Vec<Notice>,
    /// The options it was made with.
    pub options: PlanOptions,
    /// What each data source matched (none declared: empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_sources: Vec<DataSourceMatch>,
}

/// The jobs one data source matched: the expansion a plan was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSourceMatch {
    /// `data.KIND.NAME`.
    pub address: String,
    /// Where its block is.
    pub declared_at: SourceLocation,
    /// The ids of the jobs it matched, sorted.
    pub ids: Vec<String>,
}

impl Plan {
    /// Whether applying it changes anything (an action or a forget).
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp && c.action != Action::Blocked)
    }

    /// Whether it may be applied: nothing blocked, or `--skip-blocked`.
    pub fn applyable(&self) -> bool {
        self.options.skip_blocked || self.changes.iter().all(|c| c.action != Action::Blocked)
    }

    /// The plan with what its data sources matched, and a
    /// `data_source_empty` warning for each that matched nothing (a
    /// misspelt pattern or status manages no job, silently otherwise).
    #[must_use]
    pub fn with_data_sources(mut self, matches: Vec<DataSourceMatch>) -> Self {
        self.warnings.extend(matches.iter().filter(|m| m.ids.is_empty()).map(|m| {
            Notice::new(
                Code::DataSourceEmpty,
                format!(
                    "{} (declared at {}) matched no job: no block expands from it",
                    m.address, m.declared_at
                ),
            )
        }));
        self.data_sources = matches;
        self
    }

    /// The counts, always derived from the changes and waves (a saved plan
    /// stores no totals that could disagree with what it would do).
    pub fn summary(&self) -> Summary {
        summarize(&self.changes, &self.waves)
    }

    /// The change of one address.
    pub fn change(&self, address: &Address) -> Option<&JobChange> {
        self.changes.iter().find(|c| &c.address == address)
    }

    /// When this plan stops being the right one because a maintenance
    /// window opens or closes: the earliest upcoming edge over every planned
    /// job with a `suspend_window`, whatever its action now (a job with
    /// nothing to do now may have a window opening soonest). `None` when no
    /// planned job has a window still to open or close. A command that keeps
    /// the windows (a scheduler, `jobform watch`) plans again at that time.
    pub fn next_window_edge(&self) -> Option<OffsetDateTime> {
        self.changes.iter().filter_map(|c| c.window.as_ref()?.next_edge).min()
    }
}

/// Why no plan could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The dependencies form a cycle (validation normally refuses it first).
    #[error("the depends_on of these jobs form a cycle: {}", join(.0))]
    Cycle(Vec<Address>),
}

fn join(addresses: &[Address]) -> String {
    addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// How many configured jobs are planned between two shrinks of their
/// buffer (see [`plan`]): under 1 MB of jobs held twice at a time.
const JOBS_PER_SLICE: usize = 4096;

/// Makes the plan.
///
/// # Errors
///
/// [`PlanError::Cycle`] when `depends_on` forms a cycle.
pub fn plan(input: PlanInput<'_>) -> Result<Plan, PlanError> {
    let PlanInput { mut jobs, providers, mut live, prior, now, options } = input;
    let selected = |address: &Address| options.selects(address);
    // Sized up front: grown by doubling, the vector of 100,000 changes held
    // 131,072 slots (13 MB more at the plan's peak) and two buffers while it grew.
    let mut changes: Vec<JobChange> = Vec::with_capacity(jobs.len());
    // The jobs are planned from the end, a slice at a time, and their
    // buffer shrinks after each slice; each job's live read is dropped once
    // planned. At 100,000 jobs the configured jobs' 21 MB and the reads'
    // 19 MB are handed back while the changes' 29 MB fill, not held beside
    // them (a buffer that size is mapped on its own, so shrinking it
    // returns its pages at once).
    while !jobs.is_empty() {
        let slice = jobs.len().saturating_sub(JOBS_PER_SLICE);
        changes.extend(jobs.drain(slice..).filter(|job| selected(&job.address)).map(|job| {
            let lookup = live.remove(&job.address);
            plan_job(&job, lookup.as_ref(), prior.jobs.get(&job.address), now, options)
        }));
        jobs.shrink_to_fit();
    }
    drop(live);
    // Unstable, so in place: a stable sort borrowed a buffer of half the
    // changes (14.8 MB at 100,000 jobs, the plan's peak). Addresses are
    // unique (a forget is only made for an address no block declares), so
    // the order is the same.
    changes.sort_unstable_by(|a, b| a.address.cmp(&b.address));
    if !options.refresh_only {
        // Every selected declared job has a change by now: a selected
        // record without one is declared by no block.
        let declared =
            |address: &Address| changes.binary_search_by(|c| c.address.cmp(address)).is_ok();
        let forgets: Vec<JobChange> = prior
            .jobs
            .iter()
            .filter(|(address, _)| selected(address) && !declared(address))
            .map(|(address, record)| forget(address, record))
            .collect();
        if !forgets.is_empty() {
            changes.extend(forgets);
            changes.sort_unstable_by(|a, b| a.address.cmp(&b.address));
        }
    }
    order::block_dependents(&mut changes);

    let wave_of = order::waves(&changes).map_err(PlanError::Cycle)?;
    let wave_count = wave_of.iter().flatten().max().map_or(0, |w| w + 1);
    let batch_size = |provider: &ProviderRef| {
        providers
            .iter()
            .find(|p| &p.reference() == provider)
            .map_or(crate::model::DEFAULT_BATCH_SIZE as usize, |p| p.tuning().batch_size())
    };
    // One pass over the changes, not one per wave: a long `depends_on`
    // chain makes as many waves as jobs.
    let mut members: Vec<Vec<&JobChange>> = vec![Vec::new(); wave_count];
    for (change, wave) in changes.iter().zip(wave_of) {
        if let Some(index) = wave {
            members[index].push(change);
        }
    }
    let waves: Vec<Wave> = members
        .iter()
        .enumerate()
        .map(|(index, members)| Wave { index, requests: batch::requests(members, batch_size) })
        .collect();

    let mut warnings = Vec::new();
    if !options.targets.is_empty() || !options.excludes.is_empty() {
        warnings.push(Notice::new(
            Code::PartialPlan,
            "--target/--exclude narrowed this plan: jobs left out were neither read nor planned",
        ));
    }
    Ok(Plan {
        planned_at: now,
        changes,
        waves,
        warnings,
        options: options.clone(),
        data_sources: Vec::new(),
    })
}

fn plan_job(
    job: &DesiredJob,
    lookup: Option<&LiveLookup>,
    record: Option<&JobRecord>,
    now: OffsetDateTime,
    options: &PlanOptions,
) -> JobChange {
    let phase = job.suspend_window.as_ref().map(|window| window.at(now));
    // Inside its window a job is to be paused, whatever `state` says.
    let desired =
        if phase.is_some_and(WindowPhase::is_open) { DesiredState::Suspended } else { job.state };
    let mut change = JobChange {
        desired: Some(desired),
        window: phase.map(|phase| Box::new(WindowStatus::new(phase, now))),
        depends_on: job.depends_on.clone(),
        description: job.description.clone(),
        ..JobChange::new(
            job.address.clone(),
            job.id.clone(),
            job.provider.clone(),
            job.options.clone(),
            Action::Blocked,
        )
    };
    let live = match lookup {
        Some(LiveLookup::Found(live)) => live,
        Some(LiveLookup::NotFound) => {
            return blocked(
                change,
                Code::JobNotFound,
                format!(
                    "the cloud has no {} job with id {} (declared at {})",
                    job.kind(),
                    job.id,
                    job.declared_at
                ),
            );
        }
        Some(LiveLookup::ReadFailed(error)) => {
            return blocked(
                change,
                Code::ReadFailed,
                format!("the job could not be read: {error}"),
            );
        }
        None => {
            return blocked(change, Code::ReadFailed, "the job was not read".to_owned());
        }
    };
    let (raw, state) = match rules::managed_status(job, live) {
        Ok(status) => status,
        Err(notice) => {
            change.live = Some(LiveStatus {
                raw_status: live.raw_status.clone(),
                state: live.state,
                job_type: live.dts_job_type,
            });
            let message = notice.message.clone();
            return blocked(change, notice.code, message);
        }
    };
    change.live = Some(LiveStatus { raw_status: raw.clone(), state, job_type: live.dts_job_type });
    change.drift = record.and_then(|record| drift(record, &raw, state)).map(Box::new);
    let mut recorded_mode = None;
    if state == LiveState::Suspended {
        let recorded = record.and_then(JobRecord::pause_seen);
        let clock = pause_clock(recorded.as_ref(), now);
        recorded_mode = recorded.and_then(|p| p.pause_mode);
        change.warnings = rules::deadline_warnings(job, live, &clock, recorded_mode, now);
        change
            .warnings
            .extend(phase.and_then(|phase| rules::resume_overdue(job, phase, &clock, now)));
        change.pause = Some(Box::new(clock));
    }
    if options.refresh_only {
        change.action = Action::NoOp;
        change.reason = format!("refresh only: observed {state} ({raw})");
        return change;
    }
    if let Some(too_long) = phase.and_then(|phase| {
        rules::window_too_long(job, live, phase, change.pause.as_deref(), recorded_mode, now)
    }) {
        let message = too_long.message.clone();
        return blocked(change, too_long.code, message);
    }
    let decision = rules::decide(job, desired, live, &raw, state, change.pause.as_deref());
    change.action = decision.action;
    change.reason = decision.reason;
    change.blocker = decision.blocker.map(Box::new);
    let earlier = record
        .and_then(JobRecord::unsettled_action)
        .filter(|earlier| Action::from_verb(earlier.verb).target() != Some(state));
    if let (Some(earlier), true) = (earlier, change.action.sends_request()) {
        let what = rules::unsettled_description(earlier);
        if !options.resend_unknown.iter().any(|a| a.selects(&job.address)) {
            return blocked(
                change,
                Code::OutcomeUnknown,
                format!(
                    "{what}, and the job is still {state} ({raw}). The cloud may yet act on it, and \
                     jobform never sends an action twice on its own: check the job, plan again once \
                     it settled, or send it again with `jobform apply --resend-unknown {}`",
                    job.address
                ),
            );
        }
        change.resend = true;
        change.reason =
            format!("{}; sent again on your word (--resend-unknown): {what}", change.reason);
    }
    change
}

fn blocked(mut change: JobChange, code: Code, message: String) -> JobChange {
    change.action = Action::Blocked;
    change.reason.clone_from(&message);
    change.blocker = Some(Box::new(Notice::new(code, message)));
    change
}

/// The live status differs from the recorded one, and no pending action of
/// jobform's explains the difference.
fn drift(record: &JobRecord, raw: &str, state: LiveState) -> Option<Drift> {
    if record.observed.raw_status.eq_ignore_ascii_case(raw) {
        return None;
    }
    let explained = record.last_action.as_ref().is_some_and(|action| {
        action.outcome == ActionOutcome::Pending
            && Action::from_verb(action.verb).target() == Some(state)
    });
    (!explained).then(|| Drift {
        recorded_raw_status: record.observed.raw_status.clone(),
        recorded_state: record.observed.state,
        recorded_at: record.observed.at,
    })
}

/// The pause clock: the recorded pause (see [`JobRecord::pause_seen`]), else
/// "first seen paused now".
fn pause_clock(recorded: Option<&PauseRecord>, now: OffsetDateTime) -> PauseClock {
    let (since, source) = recorded.map_or((now, PauseSource::FirstSeen), |p| (p.since, p.source));
    PauseClock { since, source, age: now - since }
}

fn forget(address: &Address, record: &JobRecord) -> JobChange {
    JobChange {
        // As recorded: a state edited by hand may disagree with the address.
        kind: record.kind,
        reason: "no block declares it any more: it is dropped from the state, the job itself is not touched"
            .to_owned(),
        ..JobChange::new(
            address.clone(),
            record.id.clone(),
            record.provider.clone(),
            record.options(),
            Action::Forget,
        )
    }
}

fn summarize(changes: &[JobChange], waves: &[Wave]) -> Summary {
    let mut summary =
        Summary { requests: waves.iter().map(|w| w.requests.len()).sum(), ..Summary::default() };
    for change in changes {
        let count = match change.action {
            Action::NoOp => &mut summary.no_op,
            Action::Suspend => &mut summary.suspend,
            Action::Resume => &mut summary.resume,
            Action::Stop => &mut summary.stop,
            Action::Blocked => &mut summary.blocked,
            Action::Forget => &mut summary.forget,
        };
        *count += 1;
    }
    summary
}
