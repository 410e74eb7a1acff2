//! The top-level error: every layer's error converges here, and this is the
//! one place that decides the exit code and how an error is printed.

use std::io;
use std::path::PathBuf;

use crate::apply::ApplyError;
use crate::config::Diagnostics;
use crate::hclfmt::FormatError;
use crate::plan::{PlanError, SavedPlanError};
use crate::provider::ProviderError;
use crate::state::StateError;

/// Exit status for success and "no changes".
pub const EXIT_SUCCESS: u8 = 0;
/// Exit status for any error.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status of `plan --detailed-exitcode` when the plan has changes.
pub const EXIT_CHANGES: u8 = 2;
/// Exit status of `fmt --check` when a file is not formatted (as `terraform fmt -check`).
pub const EXIT_UNFORMATTED: u8 = 3;
/// Exit status of `apply` when part of the plan was done and part failed or
/// was skipped (the output and the state say which).
pub const EXIT_PARTIAL: u8 = 4;

/// Everything that can make a command fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration has errors; each diagnostic says what and where.
    #[error("the configuration has {} error(s)", .0.error_count())]
    Config(Diagnostics),
    /// Reading or writing a file failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done ("cannot read", "cannot write").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The state file or its lock.
    #[error(transparent)]
    State(#[from] StateError),
    /// A saved plan file cannot be used.
    #[error("{}: {source}", path.display())]
    SavedPlan {
        /// The plan file.
        path: PathBuf,
        /// Why.
        source: SavedPlanError,
    },
    /// A provider could not be built (credentials, endpoint).
    #[error("{0}")]
    Provider(Box<ProviderError>),
    /// No plan could be made.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The emulator could not start.
    #[error(transparent)]
    Emulator(#[from] jobform_emulator::EmulatorError),
    /// An apply stopped short (blocked plan, state not writable).
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// An apply lost its state backend; what it knew was saved to a local file.
    #[error(
        "the apply stopped because the state could not be written: {error}\n\
         No further request was sent. What this apply knows (the job records and the audit \
         entries not written) was saved to {}; once the backend is back, restore it with \
         `jobform state push {}`.",
        saved.display(), saved.display()
    )]
    Salvaged {
        /// Why the write failed.
        error: StateError,
        /// The errored state file.
        saved: PathBuf,
    },
    /// A command-line value is invalid.
    #[error("{0}")]
    Usage(String),
    /// `fmt` met files it cannot format (each reported with its location).
    #[error("{} file(s) could not be formatted", .0.len())]
    Unformattable(Vec<FileFormatError>),
    /// Writing to standard output failed (other than a closed pipe).
    #[error("cannot write to standard output: {0}")]
    Stdout(io::Error),
}

/// One file `fmt` could not format.
#[derive(Debug)]
pub struct FileFormatError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub error: FormatError,
}

impl Error {
    /// Wraps a failure to write to standard output.
    pub fn stdout(error: io::Error) -> Self {
        Error::Stdout(error)
    }
}

impl Error {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        EXIT_FAILURE
    }
}
