//! `jobform plan`: load the configuration and the state, read the live jobs,
//! plan, render; `--out` saves the plan for `apply FILE`.
//!
//! [`load`] and [`prepare`] are the pipeline up to the plan, shared with `apply`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use time::OffsetDateTime;

use crate::cli::{Format, PlanArgs, PlanShapeArgs};
use crate::config::{self, Config, DataInput, DataValues, Diagnostics, Environment, VarInputs};
use crate::error::{Error, ExitStatus};
use crate::model::{Address, DesiredJob, ListingQuery, LiveLookup};
use crate::plan::{
    self, DataSourceMatch, Plan, PlanInput, PlanOptions, SavedPlan, SavedVariable, StateRef,
};
use crate::provider::fleet::{Fleet, ReadItem};
use crate::render::plan_view::PlanView;
use crate::render::{self, Palette, Terminal, plural};
use crate::state::{State, StateStore};

use super::clock::Clock;

/// The configuration and the state, loaded, with the clients of the
/// providers the selected jobs use: everything a plan needs but the reads.
pub(crate) struct Loaded {
    /// The configuration.
    pub(crate) config: Config,
    /// Warnings from loading it.
    pub(crate) warnings: Diagnostics,
    /// The state as read (empty when there was no state file).
    pub(crate) prior: State,
    /// The state's lineage and serial, when a state file existed.
    pub(crate) state_ref: Option<StateRef>,
    /// The clients of the providers the selected jobs use.
    pub(crate) fleet: Fleet,
    /// The jobs each data source matched, as the configuration was loaded with.
    pub(crate) data: DataValues,
}

/// Where the data sources' values come from.
#[derive(Clone, Copy)]
pub(crate) enum DataRead<'a> {
    /// Listed now, with this runtime.
    List(&'a tokio::runtime::Runtime),
    /// As a saved plan recorded them: nothing is listed.
    Recorded(&'a DataValues),
}

/// Loads the configuration in the working directory with its data
/// sources' values, and returns those values too. Listing them takes a
/// first load (the data blocks are evaluated before any job block), each
/// distinct query listed once, all at once, then the load proper.
///
/// # Errors
///
/// Configuration diagnostics; every provider block a data source could not
/// be listed from.
pub(crate) fn load_config(
    vars: &VarInputs,
    data: DataRead<'_>,
) -> Result<(config::Loaded, DataValues), Error> {
    let dir = super::working_dir()?;
    let environment = Environment::from_process();
    let load = |input| config::load_dir(&dir, vars, &environment, input).map_err(Error::Config);
    let runtime = match data {
        DataRead::Recorded(values) => return Ok((load(DataInput::Known(values))?, values.clone())),
        DataRead::List(runtime) => runtime,
    };
    let unread = load(DataInput::Unknown)?;
    if unread.config.data_sources.is_empty() {
        return Ok((unread, DataValues::new()));
    }
    let values = read_data_sources(runtime, &unread.config)?;
    Ok((load(DataInput::Known(&values))?, values))
}

/// Lists each distinct query of the data sources once and selects what
/// each data source matches.
fn read_data_sources(
    runtime: &tokio::runtime::Runtime,
    config: &Config,
) -> Result<DataValues, Error> {
    let started = std::time::Instant::now();
    let queries: Vec<&ListingQuery> = config
        .data_sources
        .iter()
        .map(|source| &source.query)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let env = |name: &str| std::env::var(name).ok();
    let fleet = Fleet::build(&config.providers, queries.iter().map(|query| &query.provider), &env)?;
    let answers = runtime.block_on(fleet.list_each(&queries))?;
    let listed: BTreeMap<&ListingQuery, Vec<_>> = queries.into_iter().zip(answers).collect();
    tracing::info!(
        "data sources: {} from {} in {} ms",
        plural(config.data_sources.len(), "data source"),
        plural(listed.len(), "listing"),
        started.elapsed().as_millis()
    );
    Ok(config
        .data_sources
        .iter()
        .map(|source| (source.address.clone(), source.select(&listed[&source.query])))
        .collect())
}

/// What each data source of `config` matched in `data`, as a plan records it.
pub(crate) fn data_matches(config: &Config, data: &DataValues) -> Vec<DataSourceMatch> {
    config
        .data_sources
        .iter()
        .map(|source| {
            let jobs = data.get(&source.address).map_or(&[][..], Vec::as_slice);
            let ids: BTreeSet<&str> = jobs.iter().map(|job| job.id.as_str()).collect();
            DataSourceMatch {
                address: source.address.clone(),
                declared_at: source.declared_at.clone(),
                ids: ids.into_iter().map(str::to_owned).collect(),
            }
        })
        .collect()
}

/// A fresh plan and what it was made from.
pub(crate) struct Prepared {
    /// The configuration, state and clients.
    pub(crate) loaded: Loaded,
    /// What the clouds said about each selected job, when asked for (see
    /// [`prepare`]).
    pub(crate) live: Option<BTreeMap<Address, LiveLookup>>,
    /// The plan.
    pub(crate) plan: Plan,
}

/// Loads the configuration in the working directory (see [`load_config`])
/// and the state at `store`, and builds the clients of the providers the
/// jobs `options` selects use.
///
/// # Errors
///
/// As [`load_config`]; state errors, every provider block that cannot be
/// built (missing credentials).
pub(crate) fn load(
    vars: &VarInputs,
    data: DataRead<'_>,
    store: &dyn StateStore,
    options: &PlanOptions,
) -> Result<Loaded, Error> {
    let (loaded, data) = load_config(vars, data)?;
    let config = loaded.config;
    let prior_file = store.read()?;
    let state_ref =
        prior_file.as_ref().map(|s| StateRef { lineage: s.lineage.clone(), serial: s.serial });
    let prior = prior_file.unwrap_or_default();
    let env = |name: &str| std::env::var(name).ok();
    let providers = selected(&config.jobs, options).map(|job| &job.provider);
    let fleet = Fleet::build(&config.providers, providers, &env)?;
    tracing::info!(
        "configuration: {}, {} ({} selected), {}",
        plural(config.sources.files().count(), "file"),
        plural(config.jobs.len(), "job"),
        selected(&config.jobs, options).count(),
        plural(config.providers.len(), "provider block")
    );
    if let Some(s) = &state_ref {
        tracing::info!(
            "state: {} (serial {}, lineage {}, {})",
            store.location(),
            s.serial,
            s.lineage,
            plural(prior.jobs.len(), "job record")
        );
    } else {
        tracing::info!("state: none yet at {}", store.location());
    }
    // The state knows which API family each recorded id belongs to: no
    // probe of the wrong `JobType` is sent for it.
    fleet.hint_job_types(prior.jobs.values());
    Ok(Loaded { config, warnings: loaded.warnings, prior, state_ref, fleet, data })
}

/// The jobs `--target`/`--exclude` leave in the plan.
fn selected<'a>(
    jobs: &'a [DesiredJob],
    options: &'a PlanOptions,
) -> impl Iterator<Item = &'a DesiredJob> {
    jobs.iter().filter(|job| options.selects(&job.address))
}

/// [`load`], then reads the selected jobs' live status in bulk and plans
/// as of `now`. The planner consumes the live reads; with `keep_live` (a
/// plan saved with `--out` records them) a copy is made for the caller.
///
/// # Errors
///
/// As [`load`]; every provider block that cannot be read; a dependency
/// cycle; a `--resend-unknown` that selects no
/// job with an action of unknown outcome.
pub(crate) fn prepare(
    runtime: &tokio::runtime::Runtime,
    vars: &VarInputs,
    store: &dyn StateStore,
    options: &PlanOptions,
    now: OffsetDateTime,
    keep_live: bool,
) -> Result<Prepared, Error> {
    let mut loaded = load(vars, DataRead::List(runtime), store, options)?;
    let started = std::time::Instant::now();
    // A provider block that cannot be read fails the run before anything is
    // planned, whatever the flags: `--skip-blocked` passes over jobs, never
    // over a whole provider nobody could read.
    // The read items borrow from the configuration: at 100,000 jobs a copy
    // of each job's address, provider and id was 13.6 MB of the read's peak.
    let items = selected(&loaded.config.jobs, options).map(ReadItem::from);
    let live = runtime.block_on(loaded.fleet.read_checked(items))?;
    let unreadable = live.values().filter(|l| matches!(l, LiveLookup::ReadFailed(_))).count();
    let missing = live.values().filter(|l| matches!(l, LiveLookup::NotFound)).count();
    tracing::info!(
        "read {} in {} ms: {missing} not found, {unreadable} unreadable",
        plural(live.len(), "job"),
        started.elapsed().as_millis()
    );
    let kept = keep_live.then(|| live.clone());
    let plan = plan::plan(PlanInput {
        // Consumed: each job becomes its change (nothing after the plan
        // reads the configured jobs).
        jobs: std::mem::take(&mut loaded.config.jobs),
        providers: &loaded.config.providers,
        live,
        prior: &loaded.prior,
        now,
        options,
    })?
    .with_data_sources(data_matches(&loaded.config, &loaded.data));
    // A re-send the user asked for but the plan does not make would leave
    // them believing it was sent.
    if let Some(unused) = options
        .resend_unknown
        .iter()
        .find(|pattern| !plan.changes.iter().any(|c| c.resend && pattern.selects(&c.address)))
    {
        return Err(Error::Usage(format!(
            "--resend-unknown {unused}: no job it selects has an action of unknown outcome to send again (see the plan's outcome_unknown entries)"
        )));
    }
    Ok(Prepared { loaded, live: kept, plan })
}

/// The configuration's variable values as a plan file records them.
pub(crate) fn saved_variables(config: &Config) -> BTreeMap<String, SavedVariable> {
    config
        .variables
        .iter()
        .map(|(name, v)| (name.clone(), SavedVariable::new(name, &v.value, v.sensitive)))
        .collect()
}

/// The plan options of `--target`, `--exclude`, `--skip-blocked`,
/// `--refresh-only` and `--resend-unknown`.
pub(crate) fn plan_options(shape: &PlanShapeArgs) -> Result<PlanOptions, Error> {
    let PlanShapeArgs { target, exclude, skip_blocked, refresh_only, resend_unknown } = shape;
    Ok(PlanOptions {
        targets: parse_addresses("--target", target)?,
        excludes: parse_addresses("--exclude", exclude)?,
        refresh_only: *refresh_only,
        skip_blocked: *skip_blocked,
        resend_unknown: parse_addresses("--resend-unknown", resend_unknown)?,
    })
}

/// Parses the addresses given to `flag`.
fn parse_addresses(flag: &str, values: &[String]) -> Result<Vec<Address>, Error> {
    values
        .iter()
        .map(|text| {
            text.parse().map_err(|error: crate::model::AddressParseError| {
                Error::Usage(format!("invalid address in {flag}: {error}"))
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
) -> Result<ExitStatus, Error> {
    let PlanArgs {
        vars,
        shape,
        detailed_exitcode,
        out: out_file,
        json,
        format,
        markdown_limit,
        state,
    } = args;
    let (stdout, stderr) = palettes;
    let options = plan_options(shape)?;
    let store = super::state::open_store(state)?;
    let runtime = runtime()?;
    let now = Clock::from_env(&runtime)?.now();
    let Prepared { loaded, live, plan } =
        prepare(&runtime, &vars.inputs, &*store, &options, now, out_file.is_some())?;
    super::print_warnings(&loaded.warnings, err, stderr);
    // What `--out` saves is built before rendering, so that the state and
    // the copy of the live reads are freed first and are no part of the
    // peak. Only `--out` keeps that copy (see `prepare`).
    let saved = out_file.as_ref().zip(live).map(|(path, live)| {
        let saved = SavedPlan::new(
            plan.clone(),
            live,
            loaded.data.clone(),
            saved_variables(&loaded.config),
            &loaded.config.digest,
            loaded.state_ref.clone(),
        );
        (path, saved)
    });
    drop(loaded);
    let view = PlanView::new(&plan);
    let format = if *json { Format::Json } else { *format };
    match format {
        Format::Human => render::plan::human(out, &view, stdout),
        Format::Json => render::json::write_pretty(out, &view),
        Format::Markdown => write!(out, "{}", render::plan::markdown(&view, *markdown_limit)),
    }
    .map_err(Error::stdout)?;

    if let Some((path, saved)) = saved {
        std::fs::write(path, saved.to_json()).map_err(|source| Error::Io {
            action: "cannot write plan file",
            path: path.clone(),
            source,
        })?;
        if format == Format::Human {
            writeln!(
                out,
                "\nSaved the plan to {}: apply it with `jobform apply {}`.",
                Terminal(path.display()),
                Terminal(path.display())
            )
            .map_err(Error::stdout)?;
        }
    }
    Ok(if !plan.applyable() {
        ExitStatus::Failure
    } else if *detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}
