//! `jobform watch`: one line per decision, each starting with the time on
//! the clock jobform follows, then what was decided or done:
//!
//! ```text
//! 2026-12-05T01:00:00Z  alibaba_dts.orders  suspended (window open)
//! 2026-12-05T01:00:01Z  no changes; next window edge at 2026-12-05T03:00:00Z (in 1h 59m 59s)
//! 2026-12-05T01:00:01Z  alibaba_dts.billing  blocked [window_too_long]: …
//! ```
//!
//! Addresses, cloud messages and request ids are escaped ([`Terminal`]).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use time::OffsetDateTime;

use crate::apply::{ApplyEvent, ApplyHooks, SkipReason, Timer, short_duration};
use crate::error::Error;
use crate::model::{Address, human_duration, timestamp};
use crate::plan::{Action, Notice, Plan, WindowPhaseLabel};
use crate::render::{Palette, Terminal, plural};
use crate::state::ActionOutcome;

/// Why a watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEnd {
    /// `--max-duration` ran out.
    MaxDuration(Duration),
    /// Ctrl-C.
    Interrupted,
}

/// What a watch decided, besides what its applies did (see [`WatchProgress`]).
#[derive(Debug, Clone, Copy)]
pub enum WatchLine<'a> {
    /// The watch begins.
    Started {
        /// `--interval`.
        interval: Duration,
        /// When `--max-duration` ends it.
        until: Option<OffsetDateTime>,
    },
    /// A job the plan blocked: nothing is applied this round.
    Blocked {
        /// The job.
        address: &'a Address,
        /// Why.
        blocker: &'a Notice,
    },
    /// A warning of the plan (a deadline, `resume_overdue`, `partial_plan`).
    Warning {
        /// The job it is about, if one.
        address: Option<&'a Address>,
        /// The warning.
        notice: &'a Notice,
    },
    /// The plan has nothing to do.
    Idle {
        /// The earliest window edge ahead, if any.
        next_edge: Option<OffsetDateTime>,
    },
    /// A round could not run (the state locked by another command, a
    /// provider unreachable): the watch goes on and tries again.
    RoundFailed {
        /// Why.
        error: &'a Error,
    },
    /// The watch ends.
    Stopped {
        /// Why.
        end: WatchEnd,
        /// Whether every round did its whole plan (the exit status).
        kept: bool,
    },
}

/// Writes `line`, as of `now`. Best effort, as apply progress: a closed
/// output never stops the watch (the state records everything).
pub fn line(out: &mut dyn Write, now: OffsetDateTime, line: WatchLine<'_>, palette: Palette) {
    let text = match line {
        WatchLine::Started { interval, until } => format!(
            "watching: planning at each window edge and every {}{}",
            every(interval),
            until.map(|until| format!(", until {}", timestamp(until))).unwrap_or_default()
        ),
        WatchLine::Blocked { address, blocker } => format!(
            "{}  {} [{}]: {}",
            palette.strong(address),
            palette.error("blocked"),
            blocker.code,
            Terminal(&blocker.message)
        ),
        WatchLine::Warning { address, notice } => format!(
            "{}{} [{}]: {}",
            address.map(|address| format!("{}  ", palette.strong(address))).unwrap_or_default(),
            palette.warning("warning"),
            notice.code,
            Terminal(&notice.message)
        ),
        WatchLine::Idle { next_edge: Some(edge) } => format!(
            "no changes; next window edge at {} (in {})",
            timestamp(edge),
            human_duration(edge - now)
        ),
        WatchLine::Idle { next_edge: None } => "no changes; no window edge ahead".to_owned(),
        WatchLine::RoundFailed { error } => format!(
            "{}: {} ({}); trying again at the next round",
            palette.error("round not run"),
            error.title(),
            Terminal(error.to_string().trim_end_matches('.'))
        ),
        WatchLine::Stopped { end, kept } => {
            let why = match end {
                WatchEnd::MaxDuration(limit) => {
                    format!("--max-duration {} reached", short_duration(limit))
                }
                WatchEnd::Interrupted => "interrupted".to_owned(),
            };
            let outcome = if kept {
                palette.strong("every round did its whole plan")
            } else {
                palette.error("some round fell short of its plan (exit status 4)")
            };
            format!("stopping: {why}; {outcome}")
        }
    };
    write_line(out, now, &text);
}

/// `5m`, `30s`, `100ms`: an interval as it was given, to the millisecond.
fn every(interval: Duration) -> String {
    if interval.subsec_millis() == 0 {
        short_duration(interval)
    } else {
        format!("{}ms", interval.as_millis())
    }
}

fn write_line(out: &mut dyn Write, now: OffsetDateTime, text: &str) {
    let _ = writeln!(out, "{}  {text}", timestamp(now)).and_then(|()| out.flush());
}

/// The lines of one round's apply: one per job once its action is over
/// (done, failed, skipped), with the window that called for it.
pub struct WatchProgress<'w, T> {
    out: &'w mut dyn Write,
    clock: &'w T,
    palette: Palette,
    /// What the plan asked of each job it acts on, and its window's phase.
    planned: BTreeMap<&'w Address, (Action, Option<WindowPhaseLabel>)>,
}

impl<'w, T: Timer> WatchProgress<'w, T> {
    /// Lines for the apply of `plan`, timed by `clock`.
    pub fn new(out: &'w mut dyn Write, clock: &'w T, plan: &'w Plan, palette: Palette) -> Self {
        let planned = plan
            .changes
            .iter()
            .filter(|c| c.action.sends_request())
            .map(|c| (&c.address, (c.action, c.window.as_ref().map(|w| w.phase))))
            .collect();
        WatchProgress { out, clock, palette, planned }
    }

    /// ` (window open)`: why the job was acted on, when a window says.
    fn why(&self, address: &Address) -> String {
        let phase = self.planned.get(address).and_then(|(_, phase)| *phase);
        phase.map_or_else(String::new, |phase| {
            let phase = match phase {
                WindowPhaseLabel::Upcoming => "upcoming",
                WindowPhaseLabel::Open => "open",
                WindowPhaseLabel::Ended => "closed",
            };
            format!(" (window {phase})")
        })
    }

    fn text(&self, event: &ApplyEvent) -> Option<String> {
        let palette = self.palette;
        Some(match event {
            // The round printed the blocked jobs before applying.
            ApplyEvent::JobSkipped { reason: SkipReason::Blocked, .. }
            | ApplyEvent::ApplyStart { .. }
            | ApplyEvent::WaveStart { .. }
            | ApplyEvent::ActionSent { .. }
            | ApplyEvent::ActionProgress { .. }
            | ApplyEvent::ChangeSummary(_) => return None,
            ApplyEvent::ActionComplete {
                address, verb, outcome: ActionOutcome::Pending, ..
            } => {
                format!("{}  {verb} pending{}", palette.strong(address), self.why(address))
            }
            ApplyEvent::ActionComplete { address, verb, .. } => format!(
                "{}  {}{}",
                palette.strong(address),
                palette.added(super::apply::done(*verb)),
                self.why(address)
            ),
            ApplyEvent::ActionErrored { address, verb, outcome, detail, .. } => format!(
                "{}  {} {}: {}",
                palette.strong(address),
                verb,
                palette.error(outcome.label()),
                Terminal(detail)
            ),
            ApplyEvent::JobSkipped { address, reason, detail } => {
                let action = self.planned.get(address).map_or(Action::NoOp, |(action, _)| *action);
                format!(
                    "{}  {action} {} ({reason}): {}",
                    palette.strong(address),
                    palette.warning("skipped"),
                    Terminal(detail)
                )
            }
            ApplyEvent::JobForgotten { address } => format!(
                "{}  forgotten (dropped from the state; the job was not touched)",
                palette.strong(address)
            ),
            ApplyEvent::ReadTrouble { jobs, error, retry_for } => format!(
                "{} {}: {}; retrying for {}",
                palette.warning("cannot read"),
                plural(*jobs, "watched job"),
                error.as_deref().map_or_else(
                    || "the cloud is not answering".to_owned(),
                    |error| Terminal(error).to_string()
                ),
                short_duration(*retry_for)
            ),
        })
    }
}

impl<T: Timer> ApplyHooks for WatchProgress<'_, T> {
    fn event(&mut self, event: &ApplyEvent) {
        if let Some(text) = self.text(event) {
            write_line(self.out, self.clock.now(), &text);
        }
    }
}
