//! The `jobform` binary: parse the command line, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    jobform::run(jobform::cli::Cli::parse())
}
