//! How the engine writes what it saw and did into the [`State`]: observed
//! statuses with the pause clock, the write-ahead mark before a request goes
//! out, and the audit entries of answers and settled actions. Pure updates of
//! the in-memory state, each noted in [`Changes`]; the engine persists them.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use crate::model::{ActionVerb, Address, LiveState};
use crate::plan::{Action, JobChange, LiveStatus};
use crate::state::{
    ActionOutcome, ActionRecord, Actor, AuditEntry, ChangeSet, JobRecord, Observation, PauseRecord,
    PauseSource, State,
};

/// What changed since the engine last persisted: the job addresses it
/// touched and the audit entries it appended. Persisting sends only these,
/// so a write costs what changed, never the size of the state.
#[derive(Debug, Default)]
pub(super) struct Changes {
    touched: BTreeSet<Address>,
    audit: Vec<AuditEntry>,
}

impl Changes {
    /// Notes that the record at `address` was written or removed.
    pub(super) fn touch(&mut self, address: &Address) {
        if !self.touched.contains(address) {
            self.touched.insert(address.clone());
        }
    }

    /// The change set to persist (the touched records as `state` now holds
    /// them), leaving nothing pending; `None` when nothing changed.
    pub(super) fn take(&mut self, state: &State) -> Option<ChangeSet> {
        let mut set = ChangeSet { audit: std::mem::take(&mut self.audit), ..ChangeSet::default() };
        for address in std::mem::take(&mut self.touched) {
            match state.jobs.get(&address) {
                Some(record) => {
                    set.jobs.insert(address, record.clone());
                }
                None => {
                    set.removed.insert(address);
                }
            }
        }
        (!set.is_empty()).then_some(set)
    }
}

/// Who runs the apply and why: stamped on every audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Signature<'a> {
    pub(super) who: &'a Actor,
    pub(super) message: Option<&'a str>,
}

/// The job's record, created from the plan's facts if it has none yet.
fn record<'s>(
    state: &'s mut State,
    changes: &mut Changes,
    change: &JobChange,
    seen: &LiveStatus,
    at: OffsetDateTime,
) -> &'s mut JobRecord {
    changes.touch(&change.address);
    state.jobs.entry(change.address.clone()).or_insert_with(|| JobRecord {
        kind: change.kind,
        id: change.id.clone(),
        provider: change.provider.clone(),
        direction: change.options.direction(),
        observed: Observation {
            raw_status: seen.raw_status.clone(),
            state: seen.state,
            at,
            job_type: seen.job_type,
        },
        paused: None,
        last_action: None,
    })
}

/// Records a status read from the cloud and keeps the pause clock: a paused
/// job without a pause record was first seen paused now; a job seen in a
/// resting state other than paused has no pause any more. A job between
/// states, or in a status jobform does not know, keeps its pause record.
/// A read that does not say the job's `JobType` keeps the recorded one (the
/// type of a job never changes).
pub(super) fn observe(
    state: &mut State,
    changes: &mut Changes,
    change: &JobChange,
    seen: &LiveStatus,
    at: OffsetDateTime,
) {
    let record = record(state, changes, change, seen, at);
    record.observed = Observation {
        raw_status: seen.raw_status.clone(),
        state: seen.state,
        at,
        job_type: seen.job_type.or(record.observed.job_type),
    };
    match seen.state {
        LiveState::Suspended => {
            record.paused.get_or_insert(PauseRecord {
                since: at,
                source: PauseSource::FirstSeen,
                pause_mode: None,
            });
        }
        LiveState::Running | LiveState::Stopped | LiveState::Failed | LiveState::NotStarted => {
            record.paused = None;
        }
        LiveState::Transitioning | LiveState::Unknown => {}
    }
}

/// Confirms an earlier run's action whose outcome was not known, now that
/// the job is seen at its target: the last action succeeded and, for a
/// pause, the pause clock starts when it was sent, with the mode sent.
/// Returns the confirmed action, for the audit log.
pub(super) fn confirm_unsettled(
    state: &mut State,
    changes: &mut Changes,
    change: &JobChange,
    live: LiveState,
) -> Option<ActionRecord> {
    let record = state.jobs.get_mut(&change.address)?;
    let earlier = record
        .unsettled_action()
        .filter(|action| Action::from_verb(action.verb).target() == Some(live))?
        .clone();
    changes.touch(&change.address);
    if live == LiveState::Suspended {
        record.paused = record.pause_seen();
    }
    if let Some(last) = &mut record.last_action {
        last.outcome = ActionOutcome::Succeeded;
    }
    Some(earlier)
}

/// Marks an action as being sent, before the request goes out: if the
/// process dies before the answer is recorded, the state says the action's
/// fate is unknown instead of saying nothing.
pub(super) fn write_ahead(
    state: &mut State,
    changes: &mut Changes,
    change: &JobChange,
    verb: ActionVerb,
    at: OffsetDateTime,
) {
    if let Some(record) = state.jobs.get_mut(&change.address) {
        changes.touch(&change.address);
        record.last_action = Some(ActionRecord {
            verb,
            at,
            request_id: None,
            outcome: ActionOutcome::Unknown,
            pause_mode: change.options.pause_mode_sent(verb),
        });
    }
}

/// What one audit entry says.
pub(super) struct Entry<'a> {
    pub(super) change: &'a JobChange,
    pub(super) verb: ActionVerb,
    pub(super) sent_at: OffsetDateTime,
    pub(super) at: OffsetDateTime,
    pub(super) request_id: Option<String>,
    pub(super) outcome: ActionOutcome,
    pub(super) detail: Option<String>,
}

/// Records how an action stands (the cloud's answer, or how it settled):
/// the job's last action, and one audit entry.
pub(super) fn account(
    state: &mut State,
    changes: &mut Changes,
    signature: &Signature<'_>,
    entry: Entry<'_>,
) {
    let Entry { change, verb, sent_at, at, request_id, outcome, detail } = entry;
    if let Some(record) = state.jobs.get_mut(&change.address) {
        changes.touch(&change.address);
        record.last_action = Some(ActionRecord {
            verb,
            at: sent_at,
            request_id: request_id.clone(),
            outcome,
            pause_mode: change.options.pause_mode_sent(verb),
        });
    }
    changes.audit.push(AuditEntry {
        at,
        who: signature.who.clone(),
        message: signature.message.map(str::to_owned),
        address: change.address.clone(),
        job_id: change.id.clone(),
        verb: verb.into(),
        request_id,
        outcome,
        detail,
    });
}

/// Records that a job reached its target: the observation, and for a pause
/// the exact pause clock (jobform paused it when it sent the request).
pub(super) fn reached(
    state: &mut State,
    changes: &mut Changes,
    change: &JobChange,
    seen: &LiveStatus,
    sent_at: OffsetDateTime,
    at: OffsetDateTime,
) {
    observe(state, changes, change, seen, at);
    if seen.state == LiveState::Suspended {
        if let Some(record) = state.jobs.get_mut(&change.address) {
            record.paused = Some(PauseRecord {
                since: sent_at,
                source: PauseSource::Jobform,
                pause_mode: change.options.pause_mode_sent(ActionVerb::Suspend),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::model::{
        Cloud, Direction, DtsJobType, JobKind, KindOptions, PauseMode, ProviderRef,
    };

    fn change() -> JobChange {
        JobChange::new(
            Address::new(JobKind::AlibabaDts, "orders_sync"),
            "l3m1213ye7l0001".to_owned(),
            ProviderRef { cloud: Cloud::Alibaba, alias: None },
            KindOptions::new(Cloud::Alibaba, Direction::Forward, None, PauseMode::Target),
            Action::Suspend,
        )
    }

    fn seen(raw_status: &str, state: LiveState, job_type: Option<DtsJobType>) -> LiveStatus {
        LiveStatus { raw_status: raw_status.to_owned(), state, job_type }
    }

    #[test]
    fn a_read_without_a_job_type_keeps_the_recorded_one() {
        let (mut state, mut changes, change) = (State::new(), Changes::default(), change());
        let at = datetime!(2026-11-21 10:00 UTC);
        let running = seen("Synchronizing", LiveState::Running, Some(DtsJobType::Sync));
        observe(&mut state, &mut changes, &change, &running, at);
        let paused = seen("Suspending", LiveState::Suspended, None);
        observe(&mut state, &mut changes, &change, &paused, at);
        let observed = &state.jobs[&change.address].observed;
        assert_eq!(
            (observed.raw_status.as_str(), observed.job_type),
            ("Suspending", Some(DtsJobType::Sync))
        );
    }
}
