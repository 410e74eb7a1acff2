//! One function per subcommand: each turns its arguments into options for the
//! library layers, calls them, and renders the result. No domain logic here.

mod apply;
mod completions;
mod emulator;
mod fmt;
mod plan;
mod state;
mod validate;

use std::io::{self, Write};

use crate::cli::{Cli, Command};
use crate::error::{EXIT_SUCCESS, Error};
use crate::render::{Palette, Terminal, TerminalText};

/// Runs the subcommand and returns its exit status.
pub(crate) fn execute(cli: Cli, stdout: Palette, stderr: Palette) -> Result<u8, Error> {
    let Cli { chdir, no_color, workspace, verbose, mut command } = cli;
    if let Some(state) = command.state_args_mut() {
        state.workspace = workspace;
    }
    if let Some(dir) = &chdir {
        std::env::set_current_dir(dir).map_err(|source| Error::Io {
            action: "cannot change to directory",
            path: dir.clone(),
            source,
        })?;
    }
    match command {
        Command::Completions(args) => {
            completions::run(&args);
            Ok(EXIT_SUCCESS)
        }
        Command::Fmt(args) => fmt::run(&args, &mut io::stdout().lock(), stdout),
        Command::Validate(args) => validate::run(
            &args,
            &mut io::stdout().lock(),
            &mut io::stderr().lock(),
            (stdout, stderr),
        ),
        Command::Plan(args) => {
            plan::run(&args, &mut io::stdout().lock(), &mut io::stderr().lock(), (stdout, stderr))
        }
        Command::Apply(args) => {
            // Unlocked: the live view on a terminal draws from another thread.
            apply::run(&args, &mut io::stdout(), &mut io::stderr(), (stdout, stderr))
        }
        Command::Show(args) => state::show(&args, &mut io::stdout().lock(), stdout),
        Command::State(command) => state::run(&command, &mut io::stdout().lock(), stdout),
        Command::ForceUnlock(args) => {
            state::force_unlock(&args.lock_id, args.force, &args.state, &mut io::stdout().lock())
        }
        Command::Emulator(command) => emulator::run(&command, no_color, verbose),
    }
}

/// Prints an error the way every command does: `error: …` on stderr,
/// configuration diagnostics in full.
pub(crate) fn print_error(out: &mut dyn Write, error: &Error, palette: Palette) -> io::Result<()> {
    match error {
        Error::Config(diagnostics) => diagnostics.render(out, palette),
        Error::Unformattable(failures) => {
            for failure in failures {
                let location = failure
                    .error
                    .location()
                    .map(|(line, column)| format!(":{line}:{column}"))
                    .unwrap_or_default();
                let path = failure.path.display();
                writeln!(
                    out,
                    "{} {}{location}: {}",
                    palette.error("error:"),
                    Terminal(path),
                    TerminalText(&failure.error)
                )?;
            }
            Ok(())
        }
        // An error may quote the cloud (its message, request id) or a path.
        other => writeln!(out, "{} {}", palette.error("error:"), TerminalText(other)),
    }
}
