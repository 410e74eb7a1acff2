//! The engine: runs the waves of a plan and records what became of every
//! job. Each wave is chosen and re-read ([`wave`]), its requests are sent
//! ([`send`]), and the accepted actions are watched until they settle
//! ([`watch`]); all three write what they learn through [`Engine::record`].

mod send;
mod watch;
mod wave;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::event::{ApplyEvent, ApplyHooks};
use super::interrupt::Interrupt;
use super::ledger::{self, Changes, Entry, Signature};
use super::report::{ApplyReport, JobOutcome, JobResult, SkipReason};
use super::timer::Timer;
use super::{ApplyError, ApplyInput, ApplyOptions};
use crate::model::{ActionVerb, Address};
use crate::plan::{Action, JobChange, Plan};
use crate::provider::fleet::{Fleet, ReadItem};
use crate::provider::{JobRef, Provider};
use crate::state::{ActionOutcome, State, StateStore};

/// How the audit log marks an action sent again with `--resend-unknown`.
const RESENT: &str =
    "sent again on the user's word (--resend-unknown) after a request of unknown outcome";

/// One action as it went out: the job, what was asked, when, and the
/// cloud's request id once known.
#[derive(Debug, Clone)]
struct Sent<'a> {
    change: &'a JobChange,
    verb: ActionVerb,
    at: OffsetDateTime,
    request_id: Option<String>,
}

/// What became of an action, as [`Engine::record`] writes it down.
enum Outcome {
    /// The cloud accepted it: pending until it settles.
    Accepted {
        /// The cloud operation that carried it.
        operation: &'static str,
    },
    /// No definite answer: unknown while the job is watched.
    Unanswered { detail: String },
    /// The job was seen at its target.
    Reached { raw_status: String, detail: String },
    /// The cloud refused, or the job ended somewhere other than the target.
    Failed { detail: String },
    /// Accepted, but the job did not reach its target within the wait.
    TimedOut { detail: String },
    /// No answer, and the job was not seen at its target within the watch.
    Unknown { detail: String },
    /// An earlier run's action of unknown outcome, now seen at its target.
    Confirmed { detail: String },
}

impl Outcome {
    /// How the action stands in the state, and the audit entry's detail.
    fn ledger(&self) -> (ActionOutcome, Option<&str>) {
        match self {
            Outcome::Accepted { .. } => (ActionOutcome::Pending, None),
            Outcome::TimedOut { detail } => (ActionOutcome::Pending, Some(detail)),
            Outcome::Unanswered { detail } | Outcome::Unknown { detail } => {
                (ActionOutcome::Unknown, Some(detail))
            }
            Outcome::Reached { detail, .. } | Outcome::Confirmed { detail } => {
                (ActionOutcome::Succeeded, Some(detail))
            }
            Outcome::Failed { detail } => (ActionOutcome::Failed, Some(detail)),
        }
    }
}

pub(super) struct Engine<'a, T: Timer, P: Provider> {
    plan: &'a Plan,
    fleet: &'a Fleet<P>,
    store: &'a Arc<dyn StateStore>,
    options: &'a ApplyOptions,
    state: &'a mut State,
    /// What changed since the last write: persisting sends only this.
    pending: Changes,
    timer: &'a T,
    interrupt: &'a Interrupt,
    hooks: &'a mut dyn ApplyHooks,
    changes: BTreeMap<&'a Address, &'a JobChange>,
    results: BTreeMap<Address, JobOutcome>,
    token_base: String,
}

impl<'a, T: Timer, P: Provider> Engine<'a, T, P> {
    pub(super) fn new(
        input: ApplyInput<'a, P>,
        state: &'a mut State,
        timer: &'a T,
        interrupt: &'a Interrupt,
        hooks: &'a mut dyn ApplyHooks,
    ) -> Self {
        let ApplyInput { plan, fleet, store, options } = input;
        // Stable for one planned action, different for every other: the
        // legacy APIs derive their ClientToken from it, so a request sent
        // again for the same plan and state is deduplicated by the cloud.
        let token_base = format!(
            "{}:{}:{}",
            state.lineage,
            state.serial,
            plan.planned_at.unix_timestamp_nanos()
        );
        Engine {
            plan,
            fleet,
            store,
            options,
            state,
            pending: Changes::default(),
            timer,
            interrupt,
            hooks,
            changes: plan.changes.iter().map(|c| (&c.address, c)).collect(),
            results: BTreeMap::new(),
            token_base,
        }
    }

    pub(super) async fn run(mut self) -> Result<ApplyReport, ApplyError> {
        let plan = self.plan;
        let blocked: Vec<Address> = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Blocked)
            .map(|c| c.address.clone())
            .collect();
        if !blocked.is_empty() && !plan.options.skip_blocked {
            return Err(ApplyError::Blocked(blocked));
        }
        self.hooks.event(&ApplyEvent::ApplyStart {
            waves: plan.waves.len(),
            actions: plan.changes.iter().filter(|c| c.action.sends_request()).count(),
            refresh_only: plan.options.refresh_only,
        });
        for change in &plan.changes {
            match change.action {
                Action::NoOp => {
                    // Keeps drift detection and the pause clock right.
                    if let Some(live) = &change.live {
                        ledger::observe(
                            self.state,
                            &mut self.pending,
                            change,
                            live,
                            plan.planned_at,
                        );
                        self.confirm_unsettled(change, &live.raw_status, live.state);
                    }
                    self.results.insert(change.address.clone(), JobOutcome::Observed);
                }
                Action::Forget => {
                    self.state.jobs.remove(&change.address);
                    self.pending.touch(&change.address);
                    self.results.insert(change.address.clone(), JobOutcome::Forgotten);
                    self.hooks.event(&ApplyEvent::JobForgotten { address: change.address.clone() });
                }
                Action::Blocked => self.skip(change, SkipReason::Blocked, change.reason.clone()),
                Action::Suspend | Action::Resume | Action::Stop => {}
            }
        }
        self.persist().await?;
        for wave in &plan.waves {
            self.wave(wave).await?;
        }
        self.compact().await?;
        let results = plan
            .changes
            .iter()
            .map(|change| JobResult {
                address: change.address.clone(),
                action: change.action,
                outcome: self.results.remove(&change.address).unwrap_or(JobOutcome::Skipped {
                    reason: SkipReason::Interrupted,
                    detail: "the apply stopped before its turn".to_owned(),
                }),
            })
            .collect();
        let report = ApplyReport::new(results, self.interrupt.is_raised());
        self.hooks.event(&ApplyEvent::ChangeSummary(report.summary.clone()));
        Ok(report)
    }

    /// Records what became of an action, all of it at once: the job's last
    /// action and an audit entry in the state, the job's result, and the
    /// event that reports it.
    fn record(&mut self, sent: &Sent<'a>, outcome: Outcome) {
        let (recorded, detail) = outcome.ledger();
        let signature =
            Signature { who: &self.options.actor, message: self.options.message.as_deref() };
        let at = self.timer.now();
        // The user's word behind a re-send stays on every entry of it.
        let detail = match (sent.change.resend, detail) {
            (true, Some(detail)) => Some(format!("{RESENT}; {detail}")),
            (true, None) => Some(RESENT.to_owned()),
            (false, detail) => detail.map(str::to_owned),
        };
        ledger::account(
            self.state,
            &mut self.pending,
            &signature,
            Entry {
                change: sent.change,
                verb: sent.verb,
                sent_at: sent.at,
                at,
                request_id: sent.request_id.clone(),
                outcome: recorded,
                detail,
            },
        );
        let address = sent.change.address.clone();
        match outcome {
            Outcome::Accepted { operation } => self.hooks.event(&ApplyEvent::ActionSent {
                address,
                verb: sent.verb,
                operation,
                request_id: sent.request_id.clone(),
            }),
            Outcome::Unanswered { .. } | Outcome::Confirmed { .. } => {}
            Outcome::Reached { raw_status, .. } => {
                self.results.insert(address.clone(), JobOutcome::Succeeded);
                self.hooks.event(&ApplyEvent::ActionComplete {
                    address,
                    verb: sent.verb,
                    outcome: ActionOutcome::Succeeded,
                    raw_status: Some(raw_status),
                    elapsed: elapsed(sent.at, at),
                });
            }
            Outcome::Failed { detail } | Outcome::TimedOut { detail } => {
                self.results.insert(address.clone(), JobOutcome::Failed { detail: detail.clone() });
                self.errored(sent, recorded, detail);
            }
            Outcome::Unknown { detail } => {
                self.results.insert(address, JobOutcome::Unknown { detail: detail.clone() });
                self.errored(sent, recorded, detail);
            }
        }
    }

    /// Stops following an action without recording more: the state keeps
    /// it pending (accepted) or unknown (no answer), as last recorded.
    fn leave(&mut self, sent: &Sent<'a>, answered: bool) {
        let address = sent.change.address.clone();
        if answered {
            self.results.insert(address.clone(), JobOutcome::Pending);
            self.hooks.event(&ApplyEvent::ActionComplete {
                address,
                verb: sent.verb,
                outcome: ActionOutcome::Pending,
                raw_status: None,
                elapsed: elapsed(sent.at, self.timer.now()),
            });
        } else {
            let detail =
                "interrupted before the outcome of the unanswered request was known".to_owned();
            self.results.insert(address, JobOutcome::Unknown { detail: detail.clone() });
            self.errored(sent, ActionOutcome::Unknown, detail);
        }
    }

    /// Reports an action that did not end at its target.
    fn errored(&mut self, sent: &Sent<'a>, outcome: ActionOutcome, detail: String) {
        self.hooks.event(&ApplyEvent::ActionErrored {
            address: sent.change.address.clone(),
            verb: sent.verb,
            outcome,
            detail,
            request_id: sent.request_id.clone(),
        });
    }

    /// Records a skipped job's result and reports it.
    fn skip(&mut self, change: &JobChange, reason: SkipReason, detail: String) {
        self.results
            .insert(change.address.clone(), JobOutcome::Skipped { reason, detail: detail.clone() });
        self.hooks.event(&ApplyEvent::JobSkipped {
            address: change.address.clone(),
            reason,
            detail,
        });
    }

    /// Why a job cannot go ahead: a job it depends on did not reach its target.
    fn failed_dependency(&self, change: &JobChange) -> Option<String> {
        // Most jobs depend on nothing: without this, every job compared its
        // address with every result, quadratic in the jobs of a large apply.
        if change.depends_on.is_empty() {
            return None;
        }
        self.results.iter().find_map(|(address, outcome)| {
            let depended =
                address != &change.address && change.depends_on.iter().any(|d| d.selects(address));
            (depended && !outcome.lets_dependents_go())
                .then(|| format!("it depends on {address}, which {}", describe(outcome)))
        })
    }

    /// Whether a later job waits for this one (`depends_on`).
    fn has_dependents(&self, change: &JobChange) -> bool {
        self.plan.changes.iter().any(|other| {
            other.action.sends_request()
                && other.address != change.address
                && other.depends_on.iter().any(|d| d.selects(&change.address))
        })
    }

    /// Makes what changed since the last call durable. The write (an fsync)
    /// runs on a blocking thread, so the runtime sending requests is never
    /// held up by the disk; the engine awaits it where the order matters
    /// (the write-ahead mark before a request goes out).
    async fn persist(&mut self) -> Result<(), ApplyError> {
        let Some(changes) = self.pending.take(self.state) else { return Ok(()) };
        let store = Arc::clone(self.store);
        let lineage = self.state.lineage.clone();
        let serial = self.state.serial;
        let written =
            tokio::task::spawn_blocking(move || store.commit(&lineage, serial, &changes)).await;
        self.state.serial = written.expect("the state writer does not panic")?;
        Ok(())
    }

    /// Folds the apply's journal into the state file, off the runtime too.
    async fn compact(&self) -> Result<(), ApplyError> {
        let store = Arc::clone(self.store);
        tokio::task::spawn_blocking(move || store.compact())
            .await
            .expect("the state writer does not panic")?;
        Ok(())
    }
}

/// What the fleet needs to read a job.
fn read_item(change: &JobChange) -> ReadItem<'_> {
    ReadItem {
        address: &change.address,
        provider: &change.provider,
        job: JobRef { kind: change.kind, id: &change.id, options: &change.options },
    }
}

/// `to - from`, never negative.
fn elapsed(from: OffsetDateTime, to: OffsetDateTime) -> Duration {
    (to - from).try_into().unwrap_or_default()
}

/// What happened to a dependency, for a skip message.
fn describe(outcome: &JobOutcome) -> String {
    match outcome {
        JobOutcome::Failed { .. } => "failed".to_owned(),
        JobOutcome::Unknown { .. } => "has an unknown outcome".to_owned(),
        JobOutcome::Pending => "was not confirmed".to_owned(),
        JobOutcome::Skipped { reason, .. } => format!("was skipped ({reason})"),
        JobOutcome::Succeeded | JobOutcome::Observed | JobOutcome::Forgotten => {
            "succeeded".to_owned()
        }
    }
}
