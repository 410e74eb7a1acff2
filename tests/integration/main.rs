//! Command-line tests: each runs the real `jobform` binary in a fresh temporary
//! directory and snapshots its exit code, stdout and stderr.

#[macro_use]
mod support;

mod apply;
mod cli;
mod conformance;
mod datasources;
mod emulator;
mod escaping;
mod escaping_cli;
mod exactly_once;
mod fmt;
mod import;
mod pg;
mod plan;
mod provider;
mod reliability;
mod robustness;
mod sensitive;
mod state;
mod validate;
mod watch;
mod windows;
