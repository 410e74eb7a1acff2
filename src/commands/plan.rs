//! `jobform plan`: load the configuration and the state, read the live jobs,
//! plan, render; `--out` saves the plan for `apply FILE`.
//!
//! [`prepare`] is the whole pipeline up to the plan, shared with `apply`.

use std::io::Write;
use std::path::Path;

use time::OffsetDateTime;

use crate::cli::{Format, PlanArgs};
use crate::config::{self, Config, Diagnostics, Environment, VarInputs};
use crate::error::{EXIT_CHANGES, EXIT_FAILURE, EXIT_SUCCESS, Error};
use crate::fleet::{Fleet, ReadItem};
use crate::model::Address;
use crate::plan::{self, Plan, PlanInput, PlanOptions, SavedPlan, StateRef};
use crate::render::plan_view::PlanView;
use crate::render::{self, Palette};
use crate::state::{State, StateFile};

/// Everything the pipeline produced on the way to a plan.
pub(crate) struct Prepared {
    /// The configuration planned.
    pub(crate) config: Config,
    /// Warnings from loading it.
    pub(crate) warnings: Diagnostics,
    /// The state as read (empty when there was no state file).
    pub(crate) prior: State,
    /// The state's lineage and serial, when a state file existed.
    pub(crate) state_ref: Option<StateRef>,
    /// The clients of the providers the planned jobs use.
    pub(crate) fleet: Fleet,
    /// The plan.
    pub(crate) plan: Plan,
}

/// Loads the configuration in the working directory and the state at
/// `state_path`, reads the selected jobs' live status in bulk, and plans.
///
/// # Errors
///
/// Configuration diagnostics, state errors, providers that cannot be built
/// (missing credentials), a dependency cycle.
pub(crate) fn prepare(
    runtime: &tokio::runtime::Runtime,
    vars: &VarInputs,
    state_path: &Path,
    options: &PlanOptions,
) -> Result<Prepared, Error> {
    let dir = std::env::current_dir().map_err(|source| Error::Io {
        action: "cannot read the working directory",
        path: ".".into(),
        source,
    })?;
    let loaded =
        config::load_dir(&dir, vars, &Environment::from_process()).map_err(Error::Config)?;
    let config = loaded.config;
    let prior_file = StateFile::new(state_path).read()?;
    let state_ref =
        prior_file.as_ref().map(|s| StateRef { lineage: s.lineage.clone(), serial: s.serial });
    let prior = prior_file.unwrap_or_default();

    let selected: Vec<ReadItem> = config
        .jobs
        .iter()
        .filter(|job| {
            (options.targets.is_empty() || options.targets.iter().any(|t| t.selects(&job.address)))
                && !options.excludes.iter().any(|e| e.selects(&job.address))
        })
        .map(ReadItem::from)
        .collect();
    let env = |name: &str| std::env::var(name).ok();
    let fleet = Fleet::build(&config.providers, selected.iter().map(|item| &item.provider), &env)
        .map_err(|error| Error::Provider(Box::new(error)))?;
    fleet.hint_job_types(prior.jobs.values());
    let live = runtime.block_on(fleet.read(&selected));
    // Freed before planning: at 100,000 jobs the read items are some 30 MB
    // of the plan's peak.
    drop(selected);
    let plan = plan::plan(PlanInput {
        jobs: &config.jobs,
        providers: &config.providers,
        live: &live,
        prior: &prior,
        now: OffsetDateTime::now_utc(),
        options,
    })?;
    Ok(Prepared { config, warnings: loaded.warnings, prior, state_ref, fleet, plan })
}

/// Parses `--target`/`--exclude` values.
pub(crate) fn parse_addresses(values: &[String]) -> Result<Vec<Address>, Error> {
    values
        .iter()
        .map(|text| {
            text.parse().map_err(|error: crate::model::AddressParseError| {
                Error::Usage(format!("invalid address in --target/--exclude: {error}"))
            })
        })
        .collect()
}

/// A runtime for the providers' requests: one thread is plenty for I/O.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|source| Error::Io {
        action: "cannot start the async runtime",
        path: ".".into(),
        source,
    })
}

pub(crate) fn run(
    args: &PlanArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    palettes: (Palette, Palette),
) -> Result<u8, Error> {
    let PlanArgs {
        vars,
        target,
        exclude,
        skip_blocked,
        detailed_exitcode,
        out: out_file,
        refresh_only,
        json,
        format,
        markdown_limit,
        state,
    } = args;
    let (stdout, stderr) = palettes;
    let options = PlanOptions {
        targets: parse_addresses(target)?,
        excludes: parse_addresses(exclude)?,
        refresh_only: *refresh_only,
        skip_blocked: *skip_blocked,
    };
    let prepared = prepare(&runtime()?, &vars.inputs, &state.path, &options)?;
    if !prepared.warnings.is_empty() {
        // stderr is best effort, as for every message printed there.
        let _ = prepared.warnings.render(err, stderr).and_then(|()| writeln!(err));
    }
    let plan = &prepared.plan;
    let view = PlanView::new(plan);
    let format = if *json { Format::Json } else { *format };
    match format {
        Format::Human => render::plan::human(out, &view, stdout),
        Format::Json => serde_json::to_writer_pretty(&mut *out, &view)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Markdown => write!(out, "{}", render::plan::markdown(&view, *markdown_limit)),
    }
    .map_err(Error::stdout)?;

    if let Some(path) = out_file {
        let saved = SavedPlan::new(
            plan.clone(),
            prepared.config.digest.clone(),
            prepared.state_ref.clone(),
        );
        std::fs::write(path, saved.to_json()).map_err(|source| Error::Io {
            action: "cannot write plan file",
            path: path.clone(),
            source,
        })?;
        if format == Format::Human {
            writeln!(
                out,
                "\nSaved the plan to {}: apply it with `jobform apply {}`.",
                path.display(),
                path.display()
            )
            .map_err(Error::stdout)?;
        }
    }
    Ok(if !plan.applyable() {
        EXIT_FAILURE
    } else if *detailed_exitcode && plan.has_changes() {
        EXIT_CHANGES
    } else {
        EXIT_SUCCESS
    })
}
