//! `jobform watch`: keeps the maintenance windows for operators without a
//! scheduler. Each round reads the clock afresh (the emulator's may have
//! been advanced while it slept), takes the state lock, plans, applies when
//! the plan has changes and can be applied, and lets the lock go; then it
//! sleeps until the next window edge, `--interval` or `--max-duration`,
//! whichever comes first. The lock is never held while sleeping, so other
//! commands (a `plan`, an operator's `apply`) get their turn.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::apply::{self, ApplyInput, ApplyOptions, ApplyStatus, Interrupt};
use crate::cli::WatchArgs;
use crate::error::{Error, ExitStatus};
use crate::model::Address;
use crate::plan::{Action, Code};
use crate::render::watch::{WatchEnd, WatchLine, WatchProgress};
use crate::render::{self, Palette};
use crate::state::{Actor, StateError, StateStore};

use super::apply::{acknowledge, finished};
use super::clock::Clock;
use super::plan::{Prepared, plan_options, prepare, runtime};

/// Ctrl-C, heard all the time (while planning too), not only while an
/// apply or a sleep listens: the first raises `interrupt`, the second
/// notifies `abandon`.
struct Signals {
    interrupt: Arc<Interrupt>,
    abandon: Arc<Notify>,
}

impl Signals {
    fn listen(runtime: &tokio::runtime::Runtime) -> Signals {
        let signals = Signals { interrupt: Arc::default(), abandon: Arc::default() };
        let (interrupt, abandon) = (Arc::clone(&signals.interrupt), Arc::clone(&signals.abandon));
        runtime.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupt.raise();
                if tokio::signal::ctrl_c().await.is_ok() {
                    abandon.notify_one();
                }
            }
        });
        signals
    }
}

/// How a round went.
enum Round {
    /// Nothing was applied: no changes, or blocked jobs. What the round
    /// reported, to say it once while it stays the same.
    Quiet(Quiet),
    /// The plan was applied.
    Applied {
        /// Whether it did the whole plan and no job was blocked.
        kept: bool,
        /// The earliest window edge ahead, as of the plan.
        next_edge: Option<OffsetDateTime>,
    },
    /// The round could not run; the next one tries again.
    Failed,
    /// Ctrl-C came while planning: the plan's changes were not applied.
    Interrupted,
    /// A second Ctrl-C: exit at once.
    Abandoned,
}

/// What a quiet round reported.
#[derive(PartialEq, Eq)]
struct Quiet {
    /// The blocked jobs: none, and the round kept its windows.
    blocked: Vec<(Address, Code)>,
    /// The earliest window edge ahead.
    next_edge: Option<OffsetDateTime>,
}

/// The warnings a round stated, by job (`None`: the plan's own) and code.
type Warned = Vec<(Option<Address>, Code)>;

/// What stays the same from round to round.
struct Watch<'a> {
    args: &'a WatchArgs,
    options: crate::plan::PlanOptions,
    store: Arc<dyn StateStore>,
    runtime: tokio::runtime::Runtime,
    actor: Actor,
    signals: Signals,
    palettes: (Palette, Palette),
}

pub(crate) fn run(
    args: &WatchArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    palettes: (Palette, Palette),
) -> Result<ExitStatus, Error> {
    // One-off decisions, not for every round: a re-send would be asked
    // again once done (an error then), and a refresh never acts.
    if args.shape.refresh_only || !args.shape.resend_unknown.is_empty() {
        return Err(Error::Usage(
            "--refresh-only and --resend-unknown are for one `plan` or `apply`, not for every \
             round of a watch"
                .to_owned(),
        ));
    }
    let runtime = runtime()?;
    let signals = Signals::listen(&runtime);
    let watch = Watch {
        args,
        options: plan_options(&args.shape)?,
        store: super::state::open_store(&args.state)?,
        actor: Actor::current(|key| std::env::var(key).ok()),
        runtime,
        signals,
        palettes,
    };
    let stdout = palettes.0;
    let started = Clock::from_env(&watch.runtime)?.now();
    let until = args.max_duration.map(|limit| started + limit);
    render::watch::line(
        out,
        started,
        WatchLine::Started { interval: args.interval, until },
        stdout,
    );
    let mut kept = true;
    let mut seen: Option<Quiet> = None;
    let mut warned = Warned::new();
    let mut first = true;
    let mut replanned = false;
    // The failure the last round reported, if it failed.
    let mut failing: Option<String> = None;
    loop {
        // Read afresh each round: the emulator's clock may have moved.
        let clock = Clock::from_env(&watch.runtime)?;
        let end = if until.is_some_and(|until| clock.now() >= until) {
            args.max_duration.map(WatchEnd::MaxDuration)
        } else {
            watch.signals.interrupt.is_raised().then_some(WatchEnd::Interrupted)
        };
        if let Some(end) = end {
            render::watch::line(out, clock.now(), WatchLine::Stopped { end, kept }, stdout);
            break;
        }
        let round = match watch.round(&clock, first, seen.as_ref(), &mut warned, out, err) {
            Ok(round) => round,
            // The first round's errors are the configuration's or the
            // setup's: the user is there to fix them. Later, a state locked
            // by another command or a cloud briefly unreachable must not end
            // a watch that is keeping windows: the round falls short (the
            // exit status says so) and the next one tries again.
            Err(error) if !first && passes(&error) => {
                // Said once while the same failure lasts, not every round.
                let said = error.to_string();
                if failing.as_ref() != Some(&said) {
                    let line = WatchLine::RoundFailed { error: &error };
                    render::watch::line(out, clock.now(), line, stdout);
                    failing = Some(said);
                }
                kept = false;
                seen = None;
                Round::Failed
            }
            Err(error) => return Err(error),
        };
        if !matches!(round, Round::Failed) {
            failing = None;
        }
        first = false;
        let next_edge = match round {
            Round::Failed => None,
            Round::Quiet(now_seen) => {
                kept &= now_seen.blocked.is_empty();
                let next_edge = now_seen.next_edge;
                seen = Some(now_seen);
                replanned = false;
                next_edge
            }
            Round::Applied { kept: round_kept, next_edge } => {
                kept &= round_kept;
                seen = None;
                if round_kept && !replanned {
                    // Plan again at once, once: it confirms the jobs are as
                    // the windows want and says when the next edge is.
                    replanned = true;
                    continue;
                }
                next_edge
            }
            Round::Interrupted => {
                // The round's plan had work that was not done.
                kept = false;
                continue;
            }
            Round::Abandoned => {
                watch.runtime.shutdown_background();
                return Ok(ExitStatus::Interrupted);
            }
        };
        let wake = [next_edge, until]
            .into_iter()
            .flatten()
            .fold(clock.now() + args.interval, OffsetDateTime::min);
        let sleep = Duration::try_from(wake - clock.now()).unwrap_or(Duration::ZERO);
        let interrupt = &watch.signals.interrupt;
        watch.runtime.block_on(async {
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                () = interrupt.raised() => {}
            }
        });
    }
    Ok(if kept { ExitStatus::Success } else { ExitStatus::Partial })
}

/// Whether a round's error lets the watch go on: the state locked by another
/// command, or a provider block that could not be read (network,
/// throttling past the retries). Everything else (the configuration edited
/// into an error, a corrupt state) needs the user and ends the watch.
fn passes(error: &Error) -> bool {
    matches!(
        error,
        Error::State(StateError::Locked { .. } | StateError::SessionLocked { .. })
            | Error::Providers(_)
    )
}

impl Watch<'_> {
    /// One round under the state lock: plan as of `clock`, report, apply.
    /// `seen` is what the previous round reported when it applied nothing:
    /// the same report is not printed again; `warned`, the warnings the
    /// previous round stated, is updated.
    fn round(
        &self,
        clock: &Clock,
        first: bool,
        seen: Option<&Quiet>,
        warned: &mut Warned,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Round, Error> {
        let (stdout, stderr) = self.palettes;
        let _held = self.store.lock("watch", &self.actor, self.args.lock.lock_timeout)?;
        let Prepared { loaded, plan, .. } = prepare(
            &self.runtime,
            &self.args.vars.inputs,
            &*self.store,
            &self.options,
            clock.now(),
            false,
        )?;
        if first {
            super::print_warnings(&loaded.warnings, err, stderr);
        }
        let next_edge = plan.next_window_edge();
        let blocked: Vec<_> = plan
            .changes
            .iter()
            .filter_map(|c| {
                Some((&c.address, c.blocker.as_deref().filter(|_| c.action == Action::Blocked)?))
            })
            .collect();
        // A warning about a job this round acts on is answered by the
        // action (a `resume_overdue` job is resumed); the others are said
        // when they first stand, not at every round.
        let warnings: Vec<_> = plan
            .warnings
            .iter()
            .map(|notice| (None, notice))
            .chain(
                plan.changes
                    .iter()
                    .filter(|c| !c.action.sends_request())
                    .flat_map(|c| c.warnings.iter().map(|w| (Some(&c.address), w))),
            )
            .collect();
        let now = clock.now();
        for &(address, notice) in &warnings {
            if !warned.iter().any(|(a, code)| a.as_ref() == address && *code == notice.code) {
                render::watch::line(out, now, WatchLine::Warning { address, notice }, stdout);
            }
        }
        *warned = warnings.iter().map(|(address, w)| (address.cloned(), w.code)).collect();
        let quiet = !plan.applyable() || !plan.has_changes();
        let now_seen = Quiet {
            blocked: blocked.iter().map(|(address, b)| ((*address).clone(), b.code)).collect(),
            next_edge,
        };
        // A quiet round that reports what the last one did says nothing:
        // one line per decision, not one per round.
        if !quiet || seen != Some(&now_seen) {
            for &(address, blocker) in &blocked {
                render::watch::line(out, now, WatchLine::Blocked { address, blocker }, stdout);
            }
            if quiet && blocked.is_empty() {
                render::watch::line(out, now, WatchLine::Idle { next_edge }, stdout);
            }
        }
        if quiet {
            return Ok(Round::Quiet(now_seen));
        }
        if self.signals.interrupt.is_raised() {
            return Ok(Round::Interrupted);
        }
        let options = ApplyOptions::new(self.actor.clone());
        let mut recorded = loaded.prior;
        let input =
            ApplyInput { plan: &plan, fleet: &loaded.fleet, store: &self.store, options: &options };
        let mut hooks = WatchProgress::new(out, clock, &plan, stdout);
        let interrupt = &self.signals.interrupt;
        let report = self.runtime.block_on(async {
            tokio::select! {
                report = apply::apply(input, &mut recorded, clock, interrupt, &mut hooks) => Some(report),
                () = async {
                    interrupt.raised().await;
                    acknowledge(interrupt, err);
                    self.signals.abandon.notified().await;
                } => None,
            }
        });
        let Some(report) = report else { return Ok(Round::Abandoned) };
        let report = finished(report, &*self.store, &recorded)?;
        // Jobs left blocked (`--skip-blocked`) are edges not kept either.
        Ok(Round::Applied {
            kept: report.status() == ApplyStatus::Success && blocked.is_empty(),
            next_edge,
        })
    }
}
