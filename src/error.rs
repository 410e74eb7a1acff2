//! The top-level error: every layer's error converges here, and this is the
//! one place that decides the exit code and how an error is printed.

use std::io;
use std::path::PathBuf;

use crate::apply::ApplyError;
use crate::config::Diagnostics;
use crate::hclfmt::FormatError;
use crate::plan::{PlanError, SavedPlanError};
use crate::provider::ProviderErrorKind;
use crate::provider::fleet::ProviderFailures;
use crate::state::StateError;

/// How a command ended, as the process exit status says it (the README's
/// "Commands and exit codes" table). Every command returns one; the process
/// exit is made from it in one place, [`crate::run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success; no changes.
    Success,
    /// 1: an error, a plan with blocked jobs, an apply cancelled or that did nothing.
    Failure,
    /// 2: `plan --detailed-exitcode` and the plan has changes.
    Changes,
    /// 3: `fmt --check` found a file that is not formatted (as `terraform fmt -check`).
    Unformatted,
    /// 4: `apply` did part of the plan, and part failed or was skipped (the
    /// output and the state say which).
    Partial,
    /// 130: a second Ctrl-C stopped `apply` at once.
    Interrupted,
    /// `emulator run`: the status of the command it ran.
    Child(u8),
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Changes => 2,
            ExitStatus::Unformatted => 3,
            ExitStatus::Partial => 4,
            ExitStatus::Interrupted => 130,
            ExitStatus::Child(code) => code,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

/// Everything that can make a command fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration has errors; each diagnostic says what and where.
    #[error("the configuration has {}", crate::render::plural(.0.error_count(), "error"))]
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
    /// Provider blocks that cannot be used: a client could not be built
    /// (credentials, endpoint), or the cloud refused the block itself
    /// (credentials, signature, region, endpoint, network, throttling past
    /// the retries). Each is named with its file:line, the cause and the fix.
    #[error(transparent)]
    Providers(#[from] ProviderFailures),
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
    /// The emulator clock named by `JOBFORM_CLOCK_URL` could not be read.
    #[error("cannot read the clock at {url} (JOBFORM_CLOCK_URL): {reason}")]
    Clock {
        /// The clock's URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A command-line value is invalid.
    #[error("{0}")]
    Usage(String),
    /// A file a command would write exists, and `--force` was not given.
    #[error("{} already exists: jobform does not overwrite it unless --force is given", .0.display())]
    OutputExists(PathBuf),
    /// `fmt` met files it cannot format (each reported with its location).
    #[error("{} could not be formatted", crate::render::plural(.0.len(), "file"))]
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
    /// A few words saying what went wrong, the `Error:` line above the
    /// message, as a configuration diagnostic's summary is: a reader scanning
    /// a CI log finds the kind of failure without reading the detail.
    pub fn title(&self) -> &'static str {
        match self {
            Error::Config(_) => "Invalid configuration",
            Error::Io { .. } => "Input/output error",
            Error::State(error) | Error::Apply(ApplyError::State(error)) => state_title(error),
            Error::SavedPlan { source, .. } => match source {
                SavedPlanError::Corrupt(_) => "Not a plan file",
                SavedPlanError::OtherFormat { .. } => "Plan file of another format",
                SavedPlanError::ConfigChanged => "Configuration changed since the plan",
                SavedPlanError::StateChanged { .. } => "State changed since the plan",
                SavedPlanError::VariableChanged { .. } => "Variable differs from the plan",
                SavedPlanError::Mismatch(_) => "Plan file does not match",
                SavedPlanError::WindowEdgePassed { .. } => {
                    "Maintenance window moved on since the plan"
                }
                SavedPlanError::Plan(_) => "Cannot plan",
            },
            Error::Providers(failures) | Error::Apply(ApplyError::Providers(failures)) => {
                let missing = |f: &crate::provider::fleet::ProviderFailure| {
                    matches!(f.error.kind, ProviderErrorKind::MissingCredentials { .. })
                };
                match failures.0.as_slice() {
                    all if all.iter().all(missing) => "Missing credentials",
                    [_] => "Provider not usable",
                    _ => "Providers not usable",
                }
            }
            Error::Plan(PlanError::Cycle(_)) => "Dependency cycle",
            Error::Emulator(_) => "Emulator not started",
            Error::Apply(ApplyError::Blocked(_)) => "Plan has blocked jobs",
            Error::Salvaged { .. } => "State write failed, state saved locally",
            Error::Clock { .. } => "Cannot read the clock",
            Error::Usage(_) => "Invalid command line",
            Error::OutputExists(_) => "Output file exists",
            Error::Unformattable(_) => "Cannot format",
            Error::Stdout(_) => "Cannot write output",
        }
    }
}

fn state_title(error: &StateError) -> &'static str {
    match error {
        StateError::Io { .. } => "Cannot access the state",
        StateError::Corrupt { .. } => "Corrupt state file",
        StateError::CorruptLog { .. } => "Corrupt state journal or audit log",
        StateError::NewerFormat { .. } => "State from a newer jobform",
        StateError::ForeignLineage { .. } => "State file replaced",
        StateError::Conflict { .. } => "State changed on disk",
        StateError::SerialExhausted { .. } => "State serial exhausted",
        StateError::Locked { stale: false, .. } | StateError::SessionLocked { .. } => {
            "State locked"
        }
        StateError::Locked { stale: true, .. } => "Stale state lock",
        StateError::BrokenLock { .. } => "Broken state lock",
        StateError::HolderAlive { .. } => "Lock holder still running",
        StateError::LockMismatch { .. } => "Lock id does not match",
        StateError::NotLocked { .. } => "State not locked",
        StateError::NoSuchJob { .. } => "No such job in the state",
        StateError::Database { .. } => "State database error",
        StateError::Backend(_) => "Invalid state backend",
        StateError::Moved { .. } => "State changed in the database",
        StateError::SessionAlive { .. } => "Lock holder still connected",
        StateError::PushRefused { .. } => "State push refused",
    }
}
