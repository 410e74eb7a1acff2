//! One function per subcommand: each turns its arguments into options for the
//! library layers, calls them, and renders the result. No domain logic here.

mod completions;
mod validate;

use std::io::{self, Write};

use crate::cli::{Cli, Command};
use crate::error::{EXIT_SUCCESS, Error};
use crate::render::Palette;

/// Runs the subcommand and returns its exit status.
pub(crate) fn execute(cli: Cli, stdout: Palette, stderr: Palette) -> Result<u8, Error> {
    let Cli { chdir, no_color: _, verbose: _, command } = cli;
    if let Some(dir) = &chdir {
        std::env::set_current_dir(dir).map_err(|source| Error::Io {
            action: "cannot change to directory",
            path: dir.clone(),
            source,
        })?;
    }
    match command {
        Command::Completions(args) => completions::run(&args).map(|()| EXIT_SUCCESS),
        Command::Validate(args) => validate::run(&args, stdout, stderr),
        Command::Fmt(_) => Err(not_available("fmt", "the formatter is being built")),
        Command::Plan(_) => Err(not_available("plan", "the planner is not built yet")),
        Command::Apply(_) => Err(not_available("apply", "apply is not built yet")),
        Command::Show(_) => Err(not_available("show", "saved plans and state are not built yet")),
        Command::State(_) => Err(not_available("state", "the state file is not built yet")),
        Command::ForceUnlock(_) => {
            Err(not_available("force-unlock", "state locking is not built yet"))
        }
        Command::Emulator(_) => Err(not_available("emulator", "the emulator is not built yet")),
    }
}

fn not_available(command: &'static str, why: &'static str) -> Error {
    Error::NotAvailable { command, why }
}

/// Prints an error the way every command does: `error: …` on stderr,
/// configuration diagnostics in full.
pub(crate) fn print_error(out: &mut dyn Write, error: &Error, palette: Palette) -> io::Result<()> {
    match error {
        Error::Config(diagnostics) => diagnostics.render(out, palette),
        other => writeln!(out, "{} {other}", palette.error("error:")),
    }
}
