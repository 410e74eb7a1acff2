//! jobform: a Terraform-style reconciler for cloud data-replication jobs.
//!
//! The pipeline (see `README.md`): [`config`] loads the HCL into desired jobs;
//! providers read live jobs; the pure planner diffs them; [`render`] prints the
//! plan; apply executes it and records the results in the state file.

pub mod apply;
pub mod cli;
mod commands;
pub mod config;
pub mod error;
pub mod hclfmt;
pub mod model;
pub mod plan;
pub mod provider;
pub mod render;
pub mod state;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use crate::cli::Cli;
use crate::error::{Error, ExitStatus};
use crate::render::Palette;

/// Parses the process's command line and runs it: the one place where an
/// [`ExitStatus`] becomes the process's exit. Usage errors exit 1 (as
/// Terraform's do), keeping 2 for "changes present"; `--help` and
/// `--version` exit 0.
pub fn main() -> ExitCode {
    use clap::Parser;
    let status = match Cli::try_parse() {
        Ok(cli) => run(cli),
        Err(error) => {
            // Nothing better to do if printing the usage error itself fails.
            let _ = error.print();
            if error.use_stderr() {
                let args: Vec<String> = std::env::args().skip(1).collect();
                if let Some(hint) = cli::single_dash_hint(&args) {
                    eprintln!("\n{hint}");
                }
            }
            if error.use_stderr() { ExitStatus::Failure } else { ExitStatus::Success }
        }
    };
    ExitCode::from(status)
}

/// Runs one command line to completion and returns how it ended. This is
/// the only place where errors are printed and given their exit status.
pub fn run(cli: Cli) -> ExitStatus {
    let no_color_env = std::env::var("NO_COLOR").ok();
    let stdout_palette =
        Palette::detect(cli.no_color, io::stdout().is_terminal(), no_color_env.as_deref());
    let stderr_palette =
        Palette::detect(cli.no_color, io::stderr().is_terminal(), no_color_env.as_deref());
    init_logging(cli.verbose);
    match commands::execute(cli, stdout_palette, stderr_palette) {
        Ok(status) => status,
        // Output piped into `head` and the like: the reader has all it wanted.
        Err(Error::Stdout(error)) if error.kind() == io::ErrorKind::BrokenPipe => {
            ExitStatus::Success
        }
        Err(error) => {
            let mut stderr = io::stderr().lock();
            // A failure to print the error leaves nothing better to do than exit non-zero.
            let _ = commands::print_error(&mut stderr, &error, stderr_palette);
            let _ = stderr.flush();
            ExitStatus::Failure
        }
    }
}

/// Log lines go to stderr, filtered by `JOBFORM_LOG` (tracing's `EnvFilter`
/// syntax) or else by the `-v` count.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default_level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("JOBFORM_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("jobform={default_level}")));
    // Another subscriber may already be installed (tests run `run` in-process).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Log fields carry untrusted strings (job ids, the clouds' answers),
        // which tracing writes raw: every control character is escaped, so
        // log lines have no colour (an attacker's would be indistinguishable).
        .with_ansi(false)
        .with_writer(|| render::terminal::LogWriter(io::stderr()))
        .without_time()
        .with_target(false)
        .try_init();
}
