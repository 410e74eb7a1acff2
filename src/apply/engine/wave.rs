//! Choosing what a wave sends: jobs whose dependencies failed are skipped,
//! the rest are re-read in bulk, and only those still as the plan assumed
//! go ahead, as requests restricted to them.

use std::collections::BTreeSet;

use super::send::Call;
use super::{Engine, Outcome, Sent, read_item};
use crate::apply::ledger;
use crate::apply::report::SkipReason;
use crate::apply::timer::Timer;
use crate::apply::{ApplyError, ApplyEvent};
use crate::model::LiveLookup;
use crate::model::{Address, LiveState};
use crate::plan::{JobChange, LiveStatus, Request, Wave};
use crate::provider::{self, Provider};

impl<'a, T: Timer, P: Provider> Engine<'a, T, P> {
    /// One wave: dependency check, one bulk re-read, the requests, the wait.
    pub(super) async fn wave(&mut self, wave: &'a Wave) -> Result<(), ApplyError> {
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
        // A provider block that cannot be read at all (credentials, endpoint,
        // network) stops the apply here, before this wave sends anything,
        // rather than skipping its jobs one by one as stale.
        let lookups = self.fleet.read_checked(ready.iter().map(|change| read_item(change))).await?;
        let now = self.timer.now();
        // An action an earlier run left unsettled was blocked by the planner
        // (`outcome_unknown`) unless the user asked for it again: whatever
        // is still fresh here is sent.
        let mut going = BTreeSet::new();
        for change in ready {
            match fresh(change, lookups.get(&change.address)) {
                Ok(seen) => {
                    ledger::observe(self.state, &mut self.pending, change, &seen, now);
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
    pub(super) fn confirm_unsettled(&mut self, change: &'a JobChange, raw: &str, live: LiveState) {
        if let Some(earlier) =
            ledger::confirm_unsettled(self.state, &mut self.pending, change, live)
        {
            let detail = format!(
                "confirmed by a later run: the job is {live} ({raw}); the request's outcome had been {}",
                earlier.outcome.label()
            );
            let sent =
                Sent { change, verb: earlier.verb, at: earlier.at, request_id: earlier.request_id };
            self.record(&sent, Outcome::Confirmed { detail });
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
            request: provider::Call { actions },
        })
    }
}

/// The job's re-read status if it is still what the plan assumed, else why not.
fn fresh(change: &JobChange, lookup: Option<&LiveLookup>) -> Result<LiveStatus, String> {
    let assumed = change.live.as_ref().expect("acting changes were planned from a live status");
    match lookup {
        Some(LiveLookup::Found(live)) => match live.task_status(change.options.direction()) {
            Some((raw, state)) if raw.eq_ignore_ascii_case(&assumed.raw_status) => {
                Ok(LiveStatus { raw_status: raw.to_owned(), state, job_type: live.dts_job_type })
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
