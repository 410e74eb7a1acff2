//! `jobform state list|show|rm`, `jobform show` (of the state) and
//! `jobform force-unlock`.

use std::io::Write;

use crate::cli::{LockArgs, ShowArgs, StateArgs, StateCommand};
use crate::error::{EXIT_SUCCESS, Error};
use crate::model::Address;
use crate::plan::SavedPlan;
use crate::render::plan_view::PlanView;
use crate::render::{self, Palette, Terminal};
use crate::state::{Actor, ChangeSet, StateDocument, StateError, StateFile, StateStore};

pub(crate) fn run(
    command: &StateCommand,
    out: &mut dyn Write,
    palette: Palette,
) -> Result<u8, Error> {
    match command {
        StateCommand::List { state } => {
            let loaded = StateFile::new(&state.path).load()?;
            for address in loaded.jobs.keys() {
                writeln!(out, "{}", Terminal(address)).map_err(Error::stdout)?;
            }
        }
        StateCommand::Show { address, state } => {
            let pattern = parse_address(address)?;
            let loaded = StateFile::new(&state.path).load()?;
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
    }
    Ok(EXIT_SUCCESS)
}

fn remove(
    address: &str,
    state: &StateArgs,
    lock: &LockArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let pattern = parse_address(address)?;
    let actor = Actor::current(|key| std::env::var(key).ok());
    let store = StateFile::new(&state.path);
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
pub(crate) fn show(args: &ShowArgs, out: &mut dyn Write, palette: Palette) -> Result<u8, Error> {
    let ShowArgs { file, json, state } = args;
    if let Some(path) = file {
        let saved = read_saved_plan(path)?;
        let view = PlanView::new(&saved.plan);
        if *json {
            let text = render::json::pretty(&view);
            writeln!(out, "{text}").map_err(Error::stdout)?;
        } else {
            render::plan::human(out, &view, palette).map_err(Error::stdout)?;
        }
        return Ok(EXIT_SUCCESS);
    }
    let store = StateFile::new(&state.path);
    let path = state.path.display().to_string();
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
        return Ok(EXIT_SUCCESS);
    };
    let audit = store.audit()?;
    if *json {
        let text = render::json::pretty(&StateDocument::new(&loaded, &audit));
        writeln!(out, "{text}")
    } else {
        render::state::state(out, &path, &loaded, &audit, palette)
    }
    .map_err(Error::stdout)?;
    Ok(EXIT_SUCCESS)
}

/// `jobform force-unlock ID [--force]`.
pub(crate) fn force_unlock(
    id: &str,
    force: bool,
    state: &StateArgs,
    out: &mut dyn Write,
) -> Result<u8, Error> {
    let path = Terminal(state.path.display());
    match StateFile::new(&state.path).force_unlock(id, force)? {
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
    Ok(EXIT_SUCCESS)
}

/// Reads and decodes a plan file saved with `plan --out`.
pub(crate) fn read_saved_plan(path: &std::path::Path) -> Result<SavedPlan, Error> {
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
