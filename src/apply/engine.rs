//! The engine: runs the waves of a plan, sends, records, waits.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use time::OffsetDateTime;

use super::event::{ApplyEvent, ApplyHooks};
use super::interrupt::Interrupt;
use super::ledger::{self, Changes, Entry, Signature};
use super::report::{ApplyReport, JobOutcome, JobResult, SkipReason, short_duration};
use super::timer::Timer;
use super::{ApplyError, ApplyInput, ApplyOptions};
use crate::model::{ActionVerb, Address, LiveLookup, LiveState, ProviderRef, ReadFailure};
use crate::plan::{Action, JobChange, Plan, Request, Wave};
use crate::provider::fleet::{Fleet, ReadItem};
use crate::provider::{self, ActionResult, JobRef};
use crate::state::{ActionOutcome, State, StateStore};

/// The first wait between two polls of jobs settling; it doubles up to [`LAST_POLL`].
const FIRST_POLL: Duration = Duration::from_secs(1);
/// The longest wait between two polls.
const LAST_POLL: Duration = Duration::from_secs(15);
/// How long a status read may hang before the user is told.
const SLOW_READ: Duration = Duration::from_secs(5);
/// How the audit log marks an action sent again with `--resend-unknown`.
const RESENT: &str =
    "sent again on the user's word (--resend-unknown) after a request of unknown outcome";

/// One request of a wave, restricted to the jobs still going ahead.
struct Call<'a> {
    provider: ProviderRef,
    operation: &'static str,
    verb: ActionVerb,
    jobs: Vec<&'a JobChange>,
    actions: Vec<provider::Action>,
}

/// A job whose action is being watched until it settles.
struct Watch<'a> {
    change: &'a JobChange,
    verb: ActionVerb,
    target: LiveState,
    sent_at: OffsetDateTime,
    deadline: OffsetDateTime,
    request_id: Option<String>,
    /// Whether the cloud answered; `false` while confirming a lost answer.
    answered: bool,
    /// What went wrong with the request, for a lost answer.
    error: Option<String>,
    last_raw: String,
}

/// Whether a watched job settled in this poll round.
enum Settled {
    Yes,
    No,
}

pub(super) struct Engine<'a, T: Timer> {
    plan: &'a Plan,
    fleet: &'a Fleet,
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

impl<'a, T: Timer> Engine<'a, T> {
    pub(super) fn new(
        input: ApplyInput<'a>,
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
                            &live.raw_status,
                            live.state,
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

    /// One wave: dependency check, one bulk re-read, the requests, the wait.
    async fn wave(&mut self, wave: &'a Wave) -> Result<(), ApplyError> {
        let jobs: Vec<&'a JobChange> = wave
            .requests
            .iter()
            .flat_map(|request| &request.jobs)
            .filter_map(|address| self.changes.get(address).copied())
            .collect();
        if self.interrupt.is_raised() {
            for change in jobs {
                self.skip(change, SkipReason::Interrupted, "the apply was interrupted".to_owned());
            }
            return Ok(());
        }
        let mut ready = Vec::new();
        for change in jobs {
            match self.failed_dependency(change) {
                Some(detail) => self.skip(change, SkipReason::DependencyFailed, detail),
                None => ready.push(change),
            }
        }
        if ready.is_empty() {
            return Ok(());
        }
        self.hooks.event(&ApplyEvent::WaveStart {
            index: wave.index,
            jobs: ready.iter().map(|c| c.address.clone()).collect(),
        });
        let items: Vec<ReadItem> = ready.iter().map(|change| read_item(change)).collect();
        // A provider block that cannot be read at all (credentials, endpoint,
        // network) stops the apply here, before this wave sends anything,
        // rather than skipping its jobs one by one as stale.
        let lookups = self.fleet.read_checked(&items).await?;
        let now = self.timer.now();
        // An action an earlier run left unsettled was blocked by the planner
        // (`outcome_unknown`) unless the user asked for it again: whatever
        // is still fresh here is sent.
        let mut going = BTreeSet::new();
        for change in ready {
            match fresh(change, lookups.get(&change.address)) {
                Ok((raw, live)) => {
                    ledger::observe(self.state, &mut self.pending, change, &raw, live, now);
                    going.insert(&change.address);
                }
                Err(detail) => self.skip(change, SkipReason::Stale, detail),
            }
        }
        let calls: Vec<Call<'a>> =
            wave.requests.iter().filter_map(|request| self.call(request, &going)).collect();
        let watches = self.send(calls).await?;
        self.settle(watches).await
    }

    /// An earlier run's action of unknown outcome, now seen at its target:
    /// recorded as succeeded, with an audit entry saying how it was learnt.
    fn confirm_unsettled(&mut self, change: &JobChange, raw: &str, live: LiveState) {
        if let Some(earlier) =
            ledger::confirm_unsettled(self.state, &mut self.pending, change, live)
        {
            let detail = format!(
                "confirmed by a later run: the job is {live} ({raw}); the request's outcome had been {}",
                earlier.outcome.label()
            );
            self.account(
                change,
                earlier.verb,
                earlier.at,
                earlier.request_id,
                ActionOutcome::Succeeded,
                Some(detail),
            );
        }
    }

    /// The request restricted to the jobs going ahead, `None` when none is.
    fn call(&self, request: &'a Request, going: &BTreeSet<&Address>) -> Option<Call<'a>> {
        let jobs: Vec<&'a JobChange> = request
            .jobs
            .iter()
            .filter(|address| going.contains(address))
            .filter_map(|address| self.changes.get(address).copied())
            .collect();
        if jobs.is_empty() {
            return None;
        }
        let restricted =
            Request { jobs: jobs.iter().map(|c| c.address.clone()).collect(), ..request.clone() };
        let actions = jobs
            .iter()
            .map(|change| provider::Action {
                address: change.address.clone(),
                id: change.id.clone(),
                verb: request.verb,
                options: change.options.clone(),
                token_seed: format!("{}:{}:{}", self.token_base, change.address, request.verb),
            })
            .collect();
        Some(Call {
            provider: request.provider.clone(),
            operation: restricted.operation(),
            verb: request.verb,
            jobs,
            actions,
        })
    }

    /// Sends the calls, at most `parallelism` at once, recording each answer
    /// as it comes; returns the jobs to watch. Once interrupted, no new call
    /// starts; the ones in flight are answered and recorded.
    async fn send(&mut self, calls: Vec<Call<'a>>) -> Result<Vec<Watch<'a>>, ApplyError> {
        let fleet = self.fleet;
        let mut queue = calls.into_iter();
        let mut in_flight = FuturesUnordered::new();
        let mut watches = Vec::new();
        loop {
            let mut starting = Vec::new();
            while in_flight.len() + starting.len() < self.options.parallelism.max(1)
                && !self.interrupt.is_raised()
            {
                let Some(call) = queue.next() else { break };
                let sent_at = self.timer.now();
                for change in &call.jobs {
                    ledger::write_ahead(self.state, &mut self.pending, change, call.verb, sent_at);
                }
                starting.push((call, sent_at));
            }
            // One write makes the answers recorded since the last one and the
            // marks of the calls about to start durable, before they start.
            self.persist().await?;
            for (call, sent_at) in starting {
                in_flight.push(async move {
                    let results = fleet.execute(&call.provider, &call.actions).await;
                    (call, sent_at, results)
                });
                self.interrupt.set_in_flight(in_flight.len());
            }
            let Some((call, sent_at, results)) = in_flight.next().await else { break };
            self.interrupt.set_in_flight(in_flight.len());
            self.answered(&call, sent_at, results, &mut watches);
        }
        for call in queue {
            for change in call.jobs {
                self.skip(
                    change,
                    SkipReason::Interrupted,
                    "the apply was interrupted before its request was sent".to_owned(),
                );
            }
        }
        Ok(watches)
    }

    /// Records the answers to one call.
    fn answered(
        &mut self,
        call: &Call<'a>,
        sent_at: OffsetDateTime,
        results: Vec<ActionResult>,
        watches: &mut Vec<Watch<'a>>,
    ) {
        let at = self.timer.now();
        let options = self.options;
        for (change, result) in call.jobs.iter().copied().zip(results) {
            let target = change.action.target().expect("acting changes have a target");
            let watch = |request_id, answered, error, window| Watch {
                change,
                verb: call.verb,
                target,
                sent_at,
                deadline: sent_at + window,
                request_id,
                answered,
                error,
                last_raw: change.live.as_ref().map(|l| l.raw_status.clone()).unwrap_or_default(),
            };
            match result.outcome {
                provider::RequestOutcome::Accepted { request_id } => {
                    self.account(
                        change,
                        call.verb,
                        sent_at,
                        request_id.clone(),
                        ActionOutcome::Pending,
                        None,
                    );
                    self.hooks.event(&ApplyEvent::ActionSent {
                        address: change.address.clone(),
                        verb: call.verb,
                        operation: call.operation,
                        request_id: request_id.clone(),
                    });
                    if options.no_wait && !self.has_dependents(change) {
                        self.results.insert(change.address.clone(), JobOutcome::Pending);
                        self.hooks.event(&ApplyEvent::ActionComplete {
                            address: change.address.clone(),
                            verb: call.verb,
                            outcome: ActionOutcome::Pending,
                            raw_status: None,
                            elapsed: elapsed(sent_at, at),
                        });
                    } else {
                        watches.push(watch(request_id, true, None, options.wait_timeout));
                    }
                }
                provider::RequestOutcome::Rejected { error } => {
                    let detail = error.to_string();
                    self.account(
                        change,
                        call.verb,
                        sent_at,
                        error.request_id.clone(),
                        ActionOutcome::Failed,
                        Some(detail.clone()),
                    );
                    self.fail(change, call.verb, ActionOutcome::Failed, detail, error.request_id);
                }
                provider::RequestOutcome::Unknown { error } => {
                    let detail = format!(
                        "no answer ({error}); the request is not sent again, the job is re-read"
                    );
                    self.account(
                        change,
                        call.verb,
                        sent_at,
                        error.request_id.clone(),
                        ActionOutcome::Unknown,
                        Some(detail),
                    );
                    let window = if options.no_wait {
                        Duration::ZERO
                    } else {
                        options.confirm_window.min(options.wait_timeout)
                    };
                    watches.push(watch(
                        error.request_id.clone(),
                        false,
                        Some(error.to_string()),
                        window,
                    ));
                }
            }
        }
    }

    /// Polls the watched jobs in bulk until each settles, back-off between
    /// rounds; the first round reads at once.
    async fn settle(&mut self, mut watches: Vec<Watch<'a>>) -> Result<(), ApplyError> {
        let mut pause = FIRST_POLL;
        let mut first = true;
        let mut trouble = false;
        while !watches.is_empty() {
            if !first {
                tokio::select! {
                    () = self.timer.sleep(pause) => {}
                    () = self.interrupt.raised() => {}
                }
                pause = (pause * 2).min(LAST_POLL);
            }
            first = false;
            if self.interrupt.is_raised() {
                for watch in watches {
                    self.abandon(watch);
                }
                return Ok(());
            }
            let items: Vec<ReadItem> = watches.iter().map(|w| read_item(w.change)).collect();
            let lookups = self.read_watched(&items, &watches, &mut trouble).await;
            let now = self.timer.now();
            let mut settled_any = false;
            let mut waiting = Vec::new();
            for mut watch in watches {
                let lookup = lookups.get(&watch.change.address);
                match self.check(&mut watch, lookup, now) {
                    Settled::Yes => settled_any = true,
                    Settled::No => waiting.push(watch),
                }
            }
            if settled_any {
                self.persist().await?;
            }
            watches = waiting;
        }
        Ok(())
    }

    /// One bulk read of the watched jobs. A read that hangs (the client
    /// retries an unreachable cloud for up to `max_retry_seconds`) or fails
    /// is reported at once, once per spell of trouble, with how long the
    /// jobs are still watched.
    async fn read_watched(
        &mut self,
        items: &[ReadItem],
        watches: &[Watch<'a>],
        trouble: &mut bool,
    ) -> BTreeMap<Address, LiveLookup> {
        let read = self.fleet.read(items);
        tokio::pin!(read);
        // Real time, not the engine's timer: this only decides when to say
        // something, and a test timer that jumps would say it at once.
        let lookups = tokio::select! {
            lookups = &mut read => lookups,
            () = tokio::time::sleep(SLOW_READ) => {
                if !*trouble {
                    *trouble = true;
                    let retry_for = remaining(watches, self.timer.now());
                    self.hooks.event(&ApplyEvent::ReadTrouble { jobs: items.len(), error: None, retry_for });
                }
                read.await
            }
        };
        let failed: Vec<&ReadFailure> = lookups
            .values()
            .filter_map(|lookup| match lookup {
                LiveLookup::ReadFailed(error) => Some(error),
                _ => None,
            })
            .collect();
        if failed.is_empty() {
            *trouble = false;
        } else if !*trouble {
            *trouble = true;
            let retry_for = remaining(watches, self.timer.now());
            self.hooks.event(&ApplyEvent::ReadTrouble {
                jobs: failed.len(),
                error: Some(failed[0].to_string()),
                retry_for,
            });
        }
        lookups
    }

    /// Looks at one watched job's fresh status.
    fn check(
        &mut self,
        watch: &mut Watch<'a>,
        lookup: Option<&LiveLookup>,
        now: OffsetDateTime,
    ) -> Settled {
        let change = watch.change;
        let task = match lookup {
            Some(LiveLookup::Found(live)) => live
                .task_status(change.options.direction())
                .map(|(raw, state)| (raw.to_owned(), state)),
            _ => None,
        };
        let took = elapsed(watch.sent_at, now);
        if let Some((raw, live)) = &task {
            if *live == watch.target {
                ledger::reached(
                    self.state,
                    &mut self.pending,
                    change,
                    raw,
                    *live,
                    watch.sent_at,
                    now,
                );
                let mut detail = format!("reached {live} ({raw}) after {}", short_duration(took));
                if !watch.answered {
                    detail.push_str("; the request had no answer, the job shows it took effect");
                }
                self.account(
                    change,
                    watch.verb,
                    watch.sent_at,
                    watch.request_id.clone(),
                    ActionOutcome::Succeeded,
                    Some(detail),
                );
                self.results.insert(change.address.clone(), JobOutcome::Succeeded);
                self.hooks.event(&ApplyEvent::ActionComplete {
                    address: change.address.clone(),
                    verb: watch.verb,
                    outcome: ActionOutcome::Succeeded,
                    raw_status: Some(raw.clone()),
                    elapsed: took,
                });
                return Settled::Yes;
            }
            let ended = *live == LiveState::Stopped && watch.target != LiveState::Stopped;
            if *live == LiveState::Failed || ended {
                ledger::observe(self.state, &mut self.pending, change, raw, *live, now);
                let detail = format!("the job is now {live} ({raw}) instead of {}", watch.target);
                self.account(
                    change,
                    watch.verb,
                    watch.sent_at,
                    watch.request_id.clone(),
                    ActionOutcome::Failed,
                    Some(detail.clone()),
                );
                self.fail(
                    change,
                    watch.verb,
                    ActionOutcome::Failed,
                    detail,
                    watch.request_id.clone(),
                );
                return Settled::Yes;
            }
            if !watch.answered && *live == LiveState::Transitioning {
                // Moving: the action took effect, it is waited for as if accepted.
                watch.answered = true;
                watch.deadline = watch.sent_at + self.options.wait_timeout;
            }
            if !raw.eq_ignore_ascii_case(&watch.last_raw) {
                watch.last_raw.clone_from(raw);
                self.hooks.event(&ApplyEvent::ActionProgress {
                    address: change.address.clone(),
                    verb: watch.verb,
                    raw_status: raw.clone(),
                    elapsed: took,
                });
            }
        }
        if now < watch.deadline {
            return Settled::No;
        }
        if let Some((raw, live)) = &task {
            ledger::observe(self.state, &mut self.pending, change, raw, *live, now);
        }
        let seen = match (&task, lookup) {
            (Some((raw, live)), _) => format!("it is still {live} ({raw})"),
            (None, Some(LiveLookup::ReadFailed(error))) => format!("it could not be read: {error}"),
            (None, _) => "the cloud no longer reports it".to_owned(),
        };
        if watch.answered {
            let detail = format!(
                "accepted, but did not reach {} within {}: {seen}",
                watch.target,
                short_duration(self.options.wait_timeout)
            );
            self.account(
                change,
                watch.verb,
                watch.sent_at,
                watch.request_id.clone(),
                ActionOutcome::Pending,
                Some(detail.clone()),
            );
            self.fail(change, watch.verb, ActionOutcome::Pending, detail, watch.request_id.clone());
        } else {
            let detail = format!(
                "the request got no answer ({}) and the job did not reach {} within {}: {seen}. It was not sent again; check the job and plan again",
                watch.error.as_deref().unwrap_or("unknown error"),
                watch.target,
                short_duration(took)
            );
            self.account(
                change,
                watch.verb,
                watch.sent_at,
                watch.request_id.clone(),
                ActionOutcome::Unknown,
                Some(detail.clone()),
            );
            self.results
                .insert(change.address.clone(), JobOutcome::Unknown { detail: detail.clone() });
            self.hooks.event(&ApplyEvent::ActionErrored {
                address: change.address.clone(),
                verb: watch.verb,
                outcome: ActionOutcome::Unknown,
                detail,
                request_id: watch.request_id.clone(),
            });
        }
        Settled::Yes
    }

    /// Stops watching a job because of an interrupt: it stays recorded as
    /// pending (accepted) or unknown (no answer).
    fn abandon(&mut self, watch: Watch<'a>) {
        let address = watch.change.address.clone();
        if watch.answered {
            self.results.insert(address.clone(), JobOutcome::Pending);
            self.hooks.event(&ApplyEvent::ActionComplete {
                address,
                verb: watch.verb,
                outcome: ActionOutcome::Pending,
                raw_status: None,
                elapsed: elapsed(watch.sent_at, self.timer.now()),
            });
        } else {
            let detail =
                "interrupted before the outcome of the unanswered request was known".to_owned();
            self.results.insert(address.clone(), JobOutcome::Unknown { detail: detail.clone() });
            self.hooks.event(&ApplyEvent::ActionErrored {
                address,
                verb: watch.verb,
                outcome: ActionOutcome::Unknown,
                detail,
                request_id: watch.request_id,
            });
        }
    }

    /// Records a failed job's result and reports it.
    fn fail(
        &mut self,
        change: &JobChange,
        verb: ActionVerb,
        outcome: ActionOutcome,
        detail: String,
        request_id: Option<String>,
    ) {
        self.results.insert(change.address.clone(), JobOutcome::Failed { detail: detail.clone() });
        self.hooks.event(&ApplyEvent::ActionErrored {
            address: change.address.clone(),
            verb,
            outcome,
            detail,
            request_id,
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

    /// The job's last action and an audit entry.
    fn account(
        &mut self,
        change: &JobChange,
        verb: ActionVerb,
        sent_at: OffsetDateTime,
        request_id: Option<String>,
        outcome: ActionOutcome,
        detail: Option<String>,
    ) {
        let signature =
            Signature { who: &self.options.actor, message: self.options.message.as_deref() };
        let at = self.timer.now();
        // The user's word behind a re-send stays on every entry of it.
        let detail = if change.resend {
            Some(detail.map_or_else(|| RESENT.to_owned(), |detail| format!("{RESENT}; {detail}")))
        } else {
            detail
        };
        ledger::account(
            self.state,
            &mut self.pending,
            &signature,
            Entry { change, verb, sent_at, at, request_id, outcome, detail },
        );
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
fn read_item(change: &JobChange) -> ReadItem {
    ReadItem {
        address: change.address.clone(),
        provider: change.provider.clone(),
        job: JobRef { kind: change.kind, id: change.id.clone(), options: change.options.clone() },
    }
}

/// The job's re-read status if it is still what the plan assumed, else why not.
fn fresh(change: &JobChange, lookup: Option<&LiveLookup>) -> Result<(String, LiveState), String> {
    let assumed = change.live.as_ref().expect("acting changes were planned from a live status");
    match lookup {
        Some(LiveLookup::Found(live)) => match live.task_status(change.options.direction()) {
            Some((raw, state)) if raw.eq_ignore_ascii_case(&assumed.raw_status) => {
                Ok((raw.to_owned(), state))
            }
            Some((raw, state)) => Err(format!(
                "the job is now {state} ({raw}), but the plan assumed {} ({}); plan again",
                assumed.state, assumed.raw_status
            )),
            None => Err("the job no longer has a reverse task; plan again".to_owned()),
        },
        Some(LiveLookup::NotFound) => {
            Err("the cloud no longer knows the job; plan again".to_owned())
        }
        Some(LiveLookup::ReadFailed(error)) => {
            Err(format!("the job could not be re-read: {error}"))
        }
        None => Err("the job was not re-read".to_owned()),
    }
}

/// How long the longest of `watches` still runs.
fn remaining(watches: &[Watch<'_>], now: OffsetDateTime) -> Duration {
    watches.iter().map(|w| elapsed(now, w.deadline)).max().unwrap_or_default()
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
