//! Sending a wave's requests: each goes out once its write-ahead mark is
//! durable, at most `parallelism` at once, and each answer is recorded as
//! it arrives.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use time::OffsetDateTime;

use super::watch::Watch;
use super::{Engine, Outcome, Sent};
use crate::apply::ApplyError;
use crate::apply::ledger;
use crate::apply::report::SkipReason;
use crate::apply::timer::Timer;
use crate::model::{ActionVerb, ProviderRef};
use crate::plan::JobChange;
use crate::provider::{self, ActionResult, Provider, RequestOutcome};

/// One request of a wave, restricted to the jobs still going ahead.
pub(super) struct Call<'a> {
    pub(super) provider: ProviderRef,
    pub(super) operation: &'static str,
    pub(super) verb: ActionVerb,
    pub(super) jobs: Vec<&'a JobChange>,
    /// What the provider sends: the same jobs, in the same order.
    pub(super) request: provider::Call,
}

impl<'a, T: Timer, P: Provider> Engine<'a, T, P> {
    /// Sends the calls, at most `parallelism` at once, recording each answer
    /// as it comes; returns the jobs to watch. Once interrupted, no new call
    /// starts; the ones in flight are answered and recorded.
    ///
    /// Durable writes are grouped as far as exactly-once allows. What must
    /// hold: a call's write-ahead mark is durable before the call starts, and
    /// an answer is durable before anything depends on it. Nothing in this
    /// phase does (calls are of distinct jobs; dependents wait for the next
    /// wave, and watching starts after the last write here), so the answers
    /// wait for the next write. Calls start in groups: once half the slots
    /// are free, as many calls as there are free slots are marked and made
    /// durable in one write, together with every answer recorded since the
    /// last one. A wave of 50 calls on 10 slots takes about 10 writes
    /// instead of one per answer, while a slow call holds up only its own
    /// slot. A crash loses nothing: a mark without its answer reads as
    /// `unknown`, and the job is never sent again unasked.
    pub(super) async fn send(
        &mut self,
        calls: Vec<Call<'a>>,
    ) -> Result<Vec<Watch<'a>>, ApplyError> {
        let fleet = self.fleet;
        let slots = self.options.parallelism.max(1);
        let mut queue = calls.into_iter().peekable();
        let mut in_flight = FuturesUnordered::new();
        let mut watches = Vec::new();
        loop {
            let free = slots - in_flight.len();
            if free >= slots.div_ceil(2) && queue.peek().is_some() && !self.interrupt.is_raised() {
                let sent_at = self.timer.now();
                let starting: Vec<Call<'a>> = queue.by_ref().take(free).collect();
                for call in &starting {
                    for change in &call.jobs {
                        ledger::write_ahead(
                            self.state,
                            &mut self.pending,
                            change,
                            call.verb,
                            sent_at,
                        );
                    }
                }
                self.persist().await?;
                for call in starting {
                    in_flight.push(async move {
                        let results = fleet.execute(&call.provider, &call.request).await;
                        (call, sent_at, results)
                    });
                }
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
        // The answers since the last write, before the jobs are watched.
        self.persist().await?;
        Ok(watches)
    }

    /// Records the answers to one call, and what is to be watched of them.
    fn answered(
        &mut self,
        call: &Call<'a>,
        sent_at: OffsetDateTime,
        results: Vec<ActionResult>,
        watches: &mut Vec<Watch<'a>>,
    ) {
        let options = self.options;
        for (change, result) in call.jobs.iter().copied().zip(results) {
            let sent = |request_id| Sent { change, verb: call.verb, at: sent_at, request_id };
            match result.outcome {
                RequestOutcome::Accepted { request_id } => {
                    let sent = sent(request_id);
                    self.record(&sent, Outcome::Accepted { operation: call.operation });
                    if options.no_wait && !self.has_dependents(change) {
                        self.leave(&sent, true);
                    } else {
                        watches.push(Watch::answered(sent, options.wait_timeout));
                    }
                }
                RequestOutcome::Rejected { error } => {
                    let detail = error.to_string();
                    self.record(&sent(error.request_id), Outcome::Failed { detail });
                }
                RequestOutcome::Unknown { error } => {
                    let sent = sent(error.request_id.clone());
                    let detail = format!(
                        "no answer ({error}); the request is not sent again, the job is re-read"
                    );
                    self.record(&sent, Outcome::Unanswered { detail });
                    let window = if options.no_wait {
                        Duration::ZERO
                    } else {
                        options.confirm_window.min(options.wait_timeout)
                    };
                    watches.push(Watch::unanswered(sent, error.to_string(), window));
                }
            }
        }
    }
}
