//! `jobform apply [PLANFILE]`: take the state lock, plan afresh (and ask for
//! confirmation) or check a saved plan, then run the apply engine with a
//! progress renderer and a Ctrl-C handler.

use std::io::{BufRead, IsTerminal, Write};

use crate::apply::{
    self, ApplyError, ApplyInput, ApplyOptions, ApplyReport, ApplyStatus, Interrupt,
};
use crate::cli::ApplyArgs;
use crate::config::{VarInputs, VarOption};
use crate::error::{Error, ExitStatus};
use crate::plan::Current;
use crate::render::apply::{HumanProgress, JsonProgress, LiveProgress};
use crate::render::plan_view::PlanView;
use crate::render::{self, Palette};
use crate::state::{Actor, State, StateStore};

use super::clock::Clock;
use super::plan::{DataRead, data_matches, load, plan_options, prepare, runtime, saved_variables};
use super::print_warnings;
use super::state::read_saved_plan;

pub(crate) fn run(
    args: &ApplyArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    palettes: (Palette, Palette),
) -> Result<ExitStatus, Error> {
    let ApplyArgs {
        plan_file,
        vars,
        shape,
        auto_approve,
        parallelism,
        wait_timeout,
        no_wait,
        message,
        json,
        state,
        lock,
    } = args;
    let (stdout, stderr) = palettes;
    if plan_file.is_some() && shape.is_set() {
        return Err(Error::Usage(
            "--target, --exclude, --skip-blocked, --refresh-only and --resend-unknown shape a new \
             plan; a saved plan carries the options it was made with"
                .to_owned(),
        ));
    }
    let prompt = plan_file.is_none() && !*auto_approve;
    if prompt && *json {
        return Err(Error::Usage(
            "--json cannot ask for confirmation: pass --auto-approve, or apply a saved plan"
                .to_owned(),
        ));
    }
    if prompt && !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "apply asks for confirmation, but standard input is not a terminal. Pass \
             --auto-approve, or save a plan with `jobform plan --out FILE` and run \
             `jobform apply FILE`"
                .to_owned(),
        ));
    }
    let actor = Actor::current(|key| std::env::var(key).ok());
    let store = super::state::open_store(state)?;
    // Held from before planning until the last result is recorded.
    let _held = store.lock("apply", &actor, lock.lock_timeout)?;
    let runtime = runtime()?;
    // Plans and records follow one clock, the emulator's when one is named.
    let clock = Clock::from_env(&runtime)?;
    let (loaded, plan) = if let Some(path) = plan_file {
        // Nothing in the file is trusted: the configuration must make the
        // same plan from the file's own inputs. The engine re-reads every
        // job before acting, so statuses edited in the file only make jobs stale.
        let saved = read_saved_plan(path)?;
        // The plan's values first: the file carries them, so the apply job
        // needs none of them but the sensitive ones; any given here must agree.
        let mut inputs = VarInputs {
            options: saved
                .planned_values()
                .map(|(name, value)| VarOption::Planned {
                    name: name.to_owned(),
                    value: value.clone(),
                })
                .collect(),
        };
        inputs.options.extend(vars.inputs.options.iter().cloned());
        // The data sources hold what the plan recorded: a job listed only
        // now is no instance of the plan, whatever it matches.
        let mut loaded =
            load(&inputs, DataRead::Recorded(&saved.data), &*store, &saved.plan.options)?;
        let variables = saved_variables(&loaded.config);
        let data_sources = data_matches(&loaded.config, &saved.data);
        let current = Current {
            jobs: std::mem::take(&mut loaded.config.jobs),
            providers: &loaded.config.providers,
            config_digest: &loaded.config.digest,
            variables: &variables,
            state: &loaded.prior,
            state_ref: loaded.state_ref.as_ref(),
            now: clock.now(),
            data_sources: &data_sources,
        };
        let plan = saved
            .verify(current)
            .map_err(|source| Error::SavedPlan { path: path.clone(), source })?
            .clone();
        print_warnings(&loaded.warnings, err, stderr);
        (loaded, plan)
    } else {
        let prepared =
            prepare(&runtime, &vars.inputs, &*store, &plan_options(shape)?, clock.now(), false)?;
        let plan = prepared.plan;
        print_warnings(&prepared.loaded.warnings, err, stderr);
        if !*json {
            render::plan::human(out, &PlanView::new(&plan), stdout).map_err(Error::stdout)?;
        }
        if !plan.applyable() {
            return Ok(ExitStatus::Failure);
        }
        if prompt && plan.has_changes() && !confirmed(out)? {
            writeln!(out, "\nApply cancelled: nothing was done.").map_err(Error::stdout)?;
            return Ok(ExitStatus::Failure);
        }
        if !*json {
            writeln!(out).map_err(Error::stdout)?;
        }
        (prepared.loaded, plan)
    };

    let options = ApplyOptions {
        parallelism: *parallelism,
        wait_timeout: *wait_timeout,
        no_wait: *no_wait,
        message: message.clone(),
        ..ApplyOptions::new(actor)
    };
    let mut recorded = loaded.prior;
    let input = ApplyInput { plan: &plan, fleet: &loaded.fleet, store: &store, options: &options };
    let interrupt = Interrupt::new();
    let mut human;
    let mut live;
    let mut machine;
    let hooks: &mut dyn apply::ApplyHooks = if *json {
        machine = JsonProgress::new(out);
        &mut machine
    } else if std::io::stdout().is_terminal() {
        live = LiveProgress::new(stdout);
        &mut live
    } else {
        human = HumanProgress::new(out, stdout);
        &mut human
    };
    let report = runtime.block_on(async {
        tokio::select! {
            report = apply::apply(input, &mut recorded, &clock, &interrupt, hooks) => Some(report),
            () = interrupted(&interrupt, err) => None,
        }
    });
    let Some(report) = report else {
        // Exit at once: the requests in flight are dropped unanswered (their
        // outcome is unknown, as the state already says), and a state write
        // under way on a blocking thread is not waited for (every write is
        // atomic). The lock goes as `_held` is dropped on the way out.
        runtime.shutdown_background();
        return Ok(ExitStatus::Interrupted);
    };
    let report = finished(report, &*store, &recorded)?;
    Ok(match report.status() {
        ApplyStatus::Success => ExitStatus::Success,
        ApplyStatus::Partial => ExitStatus::Partial,
        ApplyStatus::Failed => ExitStatus::Failure,
    })
}

/// Asks for `yes` on the terminal.
fn confirmed(out: &mut dyn Write) -> Result<bool, Error> {
    write!(
        out,
        "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    )
    .and_then(|()| out.flush())
    .map_err(Error::stdout)?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|source| Error::Io {
        action: "cannot read the confirmation from",
        path: "standard input".into(),
        source,
    })?;
    Ok(answer.trim() == "yes")
}

/// The engine's report, or the command's error. When the state could not be
/// written (a backend out of reach), what the apply knows, `recorded`, is
/// kept locally first.
pub(super) fn finished(
    report: Result<ApplyReport, ApplyError>,
    store: &dyn StateStore,
    recorded: &State,
) -> Result<ApplyReport, Error> {
    match report {
        Ok(report) => Ok(report),
        Err(ApplyError::State(error)) => Err(match store.salvage(recorded)? {
            Some(saved) => Error::Salvaged { error, saved },
            None => ApplyError::State(error).into(),
        }),
        Err(error) => Err(error.into()),
    }
}

/// The first Ctrl-C raises the interrupt (no new action starts; the ones in
/// flight are answered and recorded); the second completes, for the apply
/// to be abandoned at once. Never completes otherwise.
async fn interrupted(interrupt: &Interrupt, err: &mut dyn Write) {
    if tokio::signal::ctrl_c().await.is_ok() {
        interrupt.raise();
        acknowledge(interrupt, err);
        if tokio::signal::ctrl_c().await.is_ok() {
            return;
        }
    }
    std::future::pending::<()>().await;
}

/// Says on `err` what the first Ctrl-C does while requests may be in flight.
pub(super) fn acknowledge(interrupt: &Interrupt, err: &mut dyn Write) {
    let _ = writeln!(
        err,
        "\nInterrupt received: no new requests; waiting for {} in flight (their answers are \
         recorded). Press Ctrl-C again to exit at once (exit status 130).",
        render::plural(interrupt.in_flight(), "request")
    );
}
