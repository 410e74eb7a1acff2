//! `jobform state list|show|rm|pull|push`, `jobform show` (of the state) and
//! `jobform force-unlock`, and [`open_store`], which finds the state.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::cli::{LockArgs, ShowArgs, StateArgs, StateCommand};
use crate::config;
use crate::error::{Error, ExitStatus};
use crate::model::Address;
use crate::plan::SavedPlan;
use crate::render::plan_view::PlanView;
use crate::render::{self, Palette, Terminal};
use crate::state::{
    Actor, AuditEntry, ChangeSet, JobRecord, PgSettings, PgStore, State, StateDocument, StateError,
    StateFile, StateStore,
};

/// The state the configuration's `backend` block names (the workspace of
/// `state`), else the local file `--state` names, by default
/// [`crate::state::DEFAULT_PATH`].
///
/// # Errors
///
/// An invalid backend block, a database out of reach, a workspace without a
/// backend, a `--state` file with a backend block (it would be ignored).
pub(crate) fn open_store(state: &StateArgs) -> Result<Arc<dyn StateStore>, Error> {
    let dir = super::working_dir()?;
    let env = |name: &str| std::env::var(name).ok();
    match config::find_backend(&dir, &env).map_err(Error::Config)? {
        Some(pg) if state.path.is_some() => Err(Error::Usage(format!(
            "--state names a state file, but {} declares backend \"pg\": the state is in \
             PostgreSQL and the file would be ignored. Drop --state, or remove the backend \
             block to use a local file",
            pg.declared_at
        ))),
        Some(pg) => Ok(Arc::new(PgStore::connect(&PgSettings {
            conn_str: pg.conn_str,
            schema: pg.schema_name,
            workspace: state.workspace.clone(),
        })?)),
        None if state.workspace != "default" => Err(Error::Usage(format!(
            "--workspace {} needs a backend \"pg\" block: the local state file holds one \
             state (choose another file with --state)",
            state.workspace
        ))),
        None => Ok(Arc::new(StateFile::new(
            state.path.as_deref().unwrap_or(Path::new(crate::state::DEFAULT_PATH)),
        ))),
    }
}

pub(crate) fn run(
    command: &StateCommand,
    out: &mut dyn Write,
    palette: Palette,
) -> Result<ExitStatus, Error> {
    match command {
        StateCommand::List { state } => {
            let loaded = open_store(state)?.load()?;
            for address in loaded.jobs.keys() {
                writeln!(out, "{}", Terminal(address)).map_err(Error::stdout)?;
            }
        }
        StateCommand::Show { address, state } => {
            let pattern = parse_address(address)?;
            let loaded = open_store(state)?.load()?;
            let mut matched = loaded.jobs.iter().filter(|(a, _)| pattern.selects(a)).peekable();
            if matched.peek().is_none() {
                return Err(StateError::NoSuchJob { address: address.clone() }.into());
            }
            for (i, (address, record)) in matched.enumerate() {
                if i > 0 {
                    writeln!(out).map_err(Error::stdout)?;
                }
                render::state::job(out, address, record, palette).map_err(Error::stdout)?;
            }
        }
        StateCommand::Rm { address, state, lock } => remove(address, state, lock, out)?,
        StateCommand::Pull { state } => {
            let store = open_store(state)?;
            let Some(loaded) = store.read()? else {
                return Err(Error::Usage(format!(
                    "there is no state in {} to pull",
                    store.location()
                )));
            };
            let audit = store.audit()?;
            render::json::write_pretty(out, &StateDocument::new(&loaded, &audit))
                .map_err(Error::stdout)?;
        }
        StateCommand::Push { file, force, state, lock } => push(file, *force, state, lock, out)?,
    }
    Ok(ExitStatus::Success)
}

fn remove(
    address: &str,
    state: &StateArgs,
    lock: &LockArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let pattern = parse_address(address)?;
    let actor = Actor::current(|key| std::env::var(key).ok());
    let store = open_store(state)?;
    let _lock = store.lock("state rm", &actor, lock.lock_timeout)?;
    let loaded = store.load()?;
    let changes = ChangeSet {
        removed: loaded.jobs.keys().filter(|a| pattern.selects(a)).cloned().collect(),
        ..ChangeSet::default()
    };
    if changes.is_empty() {
        return Err(StateError::NoSuchJob { address: address.to_owned() }.into());
    }
    store.commit(&loaded.lineage, loaded.serial, &changes)?;
    store.compact()?;
    for address in changes.removed {
        writeln!(out, "Removed {} (the job itself was not touched)", Terminal(&address))
            .map_err(Error::stdout)?;
    }
    Ok(())
}

/// `jobform show`: the state, for a human or as JSON.
pub(crate) fn show(
    args: &ShowArgs,
    out: &mut dyn Write,
    palette: Palette,
) -> Result<ExitStatus, Error> {
    let ShowArgs { file, json, state } = args;
    if let Some(path) = file {
        let saved = read_saved_plan(path)?;
        let view = PlanView::new(&saved.plan);
        if *json {
            render::json::write_pretty(out, &view).map_err(Error::stdout)?;
        } else {
            render::plan::human(out, &view, palette).map_err(Error::stdout)?;
        }
        return Ok(ExitStatus::Success);
    }
    let store = open_store(state)?;
    let path = store.location();
    let Some(loaded) = store.read()? else {
        if *json {
            writeln!(out, "null")
        } else {
            writeln!(
                out,
                "No state: {} does not exist yet. `jobform apply` writes it.",
                Terminal(&path)
            )
        }
        .map_err(Error::stdout)?;
        return Ok(ExitStatus::Success);
    };
    let audit = store.audit()?;
    if *json {
        render::json::write_pretty(out, &StateDocument::new(&loaded, &audit))
    } else {
        render::state::state(out, &path, &loaded, &audit, palette)
    }
    .map_err(Error::stdout)?;
    Ok(ExitStatus::Success)
}

/// `jobform force-unlock ID [--force]`.
pub(crate) fn force_unlock(
    id: &str,
    force: bool,
    state: &StateArgs,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let store = open_store(state)?;
    let path = Terminal(store.location());
    match store.force_unlock(id, force)? {
        Some(released) => writeln!(
            out,
            "Unlocked {path}: removed the lock {} held by {} (pid {}, `jobform {}`).",
            released.id,
            Terminal(&released.who),
            released.pid,
            released.operation
        ),
        None => writeln!(out, "Unlocked {path}: removed the broken lock file."),
    }
    .map_err(Error::stdout)?;
    Ok(ExitStatus::Success)
}

/// A state document as `state pull` prints it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PushedDocument {
    format_version: u32,
    jobform_version: String,
    serial: u64,
    lineage: String,
    jobs: BTreeMap<Address, JobRecord>,
    #[serde(default)]
    audit: Vec<AuditEntry>,
}

/// `jobform state push FILE`.
fn push(
    file: &Path,
    force: bool,
    state: &StateArgs,
    lock: &LockArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let bytes = std::fs::read(file).map_err(|source| Error::Io {
        action: "cannot read state document",
        path: file.to_path_buf(),
        source,
    })?;
    let document: PushedDocument = serde_json::from_slice(&bytes).map_err(|error| {
        StateError::Corrupt { path: file.to_path_buf(), detail: error.to_string() }
    })?;
    if document.format_version > crate::state::FORMAT_VERSION {
        return Err(StateError::NewerFormat {
            state: format!("state document {}", file.display()),
            found: document.format_version.into(),
            supported: crate::state::FORMAT_VERSION,
        }
        .into());
    }
    let pushed = State {
        format_version: crate::state::FORMAT_VERSION,
        jobform_version: document.jobform_version,
        serial: document.serial,
        lineage: document.lineage,
        jobs: document.jobs,
    };
    let actor = Actor::current(|key| std::env::var(key).ok());
    let store = open_store(state)?;
    let _lock = store.lock("state push", &actor, lock.lock_timeout)?;
    store.push(&pushed, &document.audit, force)?;
    writeln!(
        out,
        "Pushed {} to {}: lineage {}, serial {}, {}.",
        Terminal(file.display()),
        Terminal(store.location()),
        pushed.lineage,
        pushed.serial,
        render::plural(pushed.jobs.len(), "job record")
    )
    .map_err(Error::stdout)?;
    Ok(())
}

/// Reads and decodes a plan file saved with `plan --out`.
pub(crate) fn read_saved_plan(path: &Path) -> Result<SavedPlan, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        action: "cannot read plan file",
        path: path.to_path_buf(),
        source,
    })?;
    SavedPlan::from_json(&bytes)
        .map_err(|source| Error::SavedPlan { path: path.to_path_buf(), source })
}

fn parse_address(text: &str) -> Result<Address, Error> {
    text.parse().map_err(|error: crate::model::AddressParseError| Error::Usage(error.to_string()))
}
