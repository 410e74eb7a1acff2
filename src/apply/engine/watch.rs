//! Watching sent actions until they settle: bulk status reads with back-off,
//! each job checked against its target, the wait timeout for accepted
//! actions and the confirm window for unanswered ones.

use std::collections::BTreeMap;
use std::time::Duration;

use time::OffsetDateTime;

use super::{Engine, Outcome, Sent, elapsed, read_item};
use crate::apply::ledger;
use crate::apply::report::short_duration;
use crate::apply::timer::Timer;
use crate::apply::{ApplyError, ApplyEvent};
use crate::model::{Address, LiveLookup, LiveState, ReadFailure};
use crate::plan::LiveStatus;
use crate::provider::Provider;
use crate::provider::fleet::ReadItem;

/// The first wait between two polls of jobs settling; it doubles up to [`LAST_POLL`].
const FIRST_POLL: Duration = Duration::from_secs(1);
/// The longest wait between two polls.
const LAST_POLL: Duration = Duration::from_secs(15);
/// How long a status read may hang before the user is told.
const SLOW_READ: Duration = Duration::from_secs(5);

/// A job whose action is being watched until it settles.
pub(super) struct Watch<'a> {
    sent: Sent<'a>,
    target: LiveState,
    deadline: OffsetDateTime,
    /// Whether the cloud answered; `false` while confirming a lost answer.
    answered: bool,
    /// What went wrong with the request, for a lost answer.
    error: Option<String>,
    last_raw: String,
}

impl<'a> Watch<'a> {
    /// An accepted action, watched for `window`.
    pub(super) fn answered(sent: Sent<'a>, window: Duration) -> Self {
        Watch::new(sent, true, None, window)
    }

    /// An action whose request got no answer (`error`), watched for `window`.
    pub(super) fn unanswered(sent: Sent<'a>, error: String, window: Duration) -> Self {
        Watch::new(sent, false, Some(error), window)
    }

    fn new(sent: Sent<'a>, answered: bool, error: Option<String>, window: Duration) -> Self {
        let change = sent.change;
        Watch {
            target: change.action.target().expect("acting changes have a target"),
            deadline: sent.at + window,
            answered,
            error,
            last_raw: change.live.as_ref().map(|l| l.raw_status.clone()).unwrap_or_default(),
            sent,
        }
    }
}

/// Whether a watched job settled in this poll round.
enum Settled {
    Yes,
    No,
}

impl<'a, T: Timer, P: Provider> Engine<'a, T, P> {
    /// Polls the watched jobs in bulk until each settles, back-off between
    /// rounds; the first round reads at once. The jobs that settle in one
    /// round are made durable together, in one write.
    pub(super) async fn settle(&mut self, mut watches: Vec<Watch<'a>>) -> Result<(), ApplyError> {
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
                    self.leave(&watch.sent, watch.answered);
                }
                return Ok(());
            }
            let items: Vec<ReadItem> = watches.iter().map(|w| read_item(w.sent.change)).collect();
            let lookups = self.read_watched(&items, &watches, &mut trouble).await;
            let now = self.timer.now();
            let mut settled_any = false;
            let mut waiting = Vec::new();
            for mut watch in watches {
                let lookup = lookups.get(&watch.sent.change.address);
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
        items: &[ReadItem<'_>],
        watches: &[Watch<'a>],
        trouble: &mut bool,
    ) -> BTreeMap<Address, LiveLookup> {
        let read = self.fleet.read(items.iter().copied());
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
        let change = watch.sent.change;
        let task = match lookup {
            Some(LiveLookup::Found(live)) => {
                live.task_status(change.options.direction()).map(|(raw, state)| LiveStatus {
                    raw_status: raw.to_owned(),
                    state,
                    job_type: live.dts_job_type,
                })
            }
            _ => None,
        };
        let took = elapsed(watch.sent.at, now);
        if let Some(seen) = &task {
            let (raw, live) = (&seen.raw_status, &seen.state);
            if *live == watch.target {
                ledger::reached(self.state, &mut self.pending, change, seen, watch.sent.at, now);
                let mut detail = format!("reached {live} ({raw}) after {}", short_duration(took));
                if !watch.answered {
                    detail.push_str("; the request had no answer, the job shows it took effect");
                }
                self.record(&watch.sent, Outcome::Reached { raw_status: raw.clone(), detail });
                return Settled::Yes;
            }
            let ended = *live == LiveState::Stopped && watch.target != LiveState::Stopped;
            if *live == LiveState::Failed || ended {
                ledger::observe(self.state, &mut self.pending, change, seen, now);
                let detail = format!("the job is now {live} ({raw}) instead of {}", watch.target);
                self.record(&watch.sent, Outcome::Failed { detail });
                return Settled::Yes;
            }
            if !watch.answered && *live == LiveState::Transitioning {
                // Moving: the action took effect, it is waited for as if accepted.
                watch.answered = true;
                watch.deadline = watch.sent.at + self.options.wait_timeout;
            }
            if !raw.eq_ignore_ascii_case(&watch.last_raw) {
                watch.last_raw.clone_from(raw);
                self.hooks.event(&ApplyEvent::ActionProgress {
                    address: change.address.clone(),
                    verb: watch.sent.verb,
                    raw_status: raw.clone(),
                    elapsed: took,
                });
            }
        }
        if now < watch.deadline {
            return Settled::No;
        }
        if let Some(seen) = &task {
            ledger::observe(self.state, &mut self.pending, change, seen, now);
        }
        let seen = match (&task, lookup) {
            (Some(LiveStatus { raw_status, state, .. }), _) => {
                format!("it is still {state} ({raw_status})")
            }
            (None, Some(LiveLookup::ReadFailed(error))) => format!("it could not be read: {error}"),
            (None, _) => "the cloud no longer reports it".to_owned(),
        };
        let outcome = if watch.answered {
            Outcome::TimedOut {
                detail: format!(
                    "accepted, but did not reach {} within {}: {seen}",
                    watch.target,
                    short_duration(self.options.wait_timeout)
                ),
            }
        } else {
            Outcome::Unknown {
                detail: format!(
                    "the request got no answer ({}) and the job did not reach {} within {}: {seen}. It was not sent again; check the job and plan again",
                    watch.error.as_deref().unwrap_or("unknown error"),
                    watch.target,
                    short_duration(took)
                ),
            }
        };
        self.record(&watch.sent, outcome);
        Settled::Yes
    }
}

/// How long the longest of `watches` still runs.
fn remaining(watches: &[Watch<'_>], now: OffsetDateTime) -> Duration {
    watches.iter().map(|w| elapsed(now, w.deadline)).max().unwrap_or_default()
}
