//! One function per subcommand: each turns its arguments into options for the
//! library layers, calls them, and renders the result. No domain logic here.

mod apply;
mod clock;
mod completions;
mod emulator;
mod fmt;
mod import;
mod plan;
mod state;
mod validate;
mod watch;

use std::io::{self, Write};

use crate::cli::{Cli, Command};
use crate::config::{Diagnostic, Diagnostics, SourcePos, SourceRange, sentence};
use crate::error::{Error, ExitStatus};
use crate::render::{self, Palette};

/// Runs the subcommand and returns its exit status.
pub(crate) fn execute(cli: Cli, stdout: Palette, stderr: Palette) -> Result<ExitStatus, Error> {
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
            Ok(ExitStatus::Success)
        }
        Command::Fmt(args) => fmt::run(&args, &mut io::stdout().lock(), stdout),
        Command::Validate(args) => validate::run(
            &args,
            &mut io::stdout().lock(),
            &mut io::stderr().lock(),
            (stdout, stderr),
        ),
        Command::Plan(args) => {
            buffered_stdout(|out| plan::run(&args, out, &mut io::stderr().lock(), (stdout, stderr)))
        }
        Command::Apply(args) => {
            // Unlocked: the live view on a terminal draws from another thread.
            apply::run(&args, &mut io::stdout(), &mut io::stderr(), (stdout, stderr))
        }
        Command::Import(args) => {
            import::run(&args, &mut io::stdout().lock(), &mut io::stderr().lock(), (stdout, stderr))
        }
        Command::Watch(args) => {
            watch::run(&args, &mut io::stdout(), &mut io::stderr(), (stdout, stderr))
        }
        Command::Show(args) => buffered_stdout(|out| state::show(&args, out, stdout)),
        Command::State(command) => state::run(&command, &mut io::stdout().lock(), stdout),
        Command::ForceUnlock(args) => {
            state::force_unlock(&args.lock_id, args.force, &args.state, &mut io::stdout().lock())
        }
        Command::Emulator(command) => emulator::run(&command, no_color, verbose),
    }
}

/// The working directory (the one `--chdir` chose), where the configuration is.
fn working_dir() -> Result<std::path::PathBuf, Error> {
    std::env::current_dir().map_err(|source| Error::Io {
        action: "cannot read the working directory",
        path: ".".into(),
        source,
    })
}

/// Runs a command that may print a line per job with stdout buffered:
/// locked stdout is line-buffered, and a plan of 100,000 jobs made 1.9
/// million `write` calls. What was printed is flushed even when the command
/// fails.
fn buffered_stdout(
    command: impl FnOnce(&mut dyn Write) -> Result<ExitStatus, Error>,
) -> Result<ExitStatus, Error> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let code = command(&mut out);
    let flushed = out.flush().map_err(Error::stdout);
    let code = code?;
    flushed?;
    Ok(code)
}

/// Configuration warnings, on stderr, followed by a blank line. Best
/// effort, as everything printed there: a closed stderr stops no command.
pub(crate) fn print_warnings(
    warnings: &crate::config::Diagnostics,
    err: &mut dyn Write,
    palette: Palette,
) {
    if !warnings.is_empty() {
        let _ = render::diagnostic::human(err, warnings, palette).and_then(|()| writeln!(err));
    }
}

/// Prints an error the way every command does, in the layout of a
/// configuration diagnostic: `Error: Title`, the location when there is one,
/// then the detail as sentences.
pub(crate) fn print_error(out: &mut dyn Write, error: &Error, palette: Palette) -> io::Result<()> {
    match error {
        Error::Config(diagnostics) => render::diagnostic::human(out, diagnostics, palette),
        Error::Unformattable(failures) => render::diagnostic::human(
            out,
            &Diagnostics(
                failures
                    .iter()
                    .map(|failure| Diagnostic {
                        range: failure.error.location().map(|(line, column)| {
                            let at = SourcePos { line, column, byte: 0 };
                            SourceRange {
                                filename: failure.path.display().to_string(),
                                start: at,
                                end: at,
                            }
                        }),
                        ..Diagnostic::error(
                            format!("Cannot format {}", failure.path.display()),
                            sentence(&failure.error.to_string()),
                        )
                    })
                    .collect(),
            ),
            palette,
        ),
        // The detail may quote the cloud (its message, request id) or a
        // path: the diagnostic escapes both.
        other => render::diagnostic::one(
            out,
            &Diagnostic::error(other.title(), sentence(&other.to_string())),
            palette,
        ),
    }
}
