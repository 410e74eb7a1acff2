//! `jobform completions SHELL`: print a completion script generated from the clap definition.

use std::io;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};

pub(crate) fn run(args: &CompletionsArgs) {
    clap_complete::generate(args.shell, &mut Cli::command(), "jobform", &mut io::stdout());
}
