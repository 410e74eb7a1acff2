//! Everything that can go wrong with the state file and its lock. Each error
//! names the file, and says what to do about it.

use std::io;
use std::path::PathBuf;

use super::lock::LockInfo;

/// A state or lock error.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Reading or writing a file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "write", "rename").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file is not a jobform state (truncated, edited by hand, another format).
    #[error(
        "the state file {} is corrupt: {detail}\n\
         It was left untouched. Restore it from {}.backup, or fix it by hand.",
        path.display(), path.display()
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line and column when the JSON parser gave one.
        detail: String,
    },
    /// The file was written by a newer jobform.
    #[error(
        "the state file {} has format version {found}, but this jobform ({}) reads up to \
         version {supported}. Upgrade jobform to use it.",
        path.display(), env!("CARGO_PKG_VERSION")
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// The file's `format_version`.
        found: u64,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The file on disk belongs to another lineage than the state being written.
    #[error(
        "the state file {} has lineage {found}, but this run started from lineage {expected}: \
         the file was replaced while jobform ran. Nothing was written.",
        path.display()
    )]
    ForeignLineage {
        /// The file.
        path: PathBuf,
        /// The lineage this run read.
        expected: String,
        /// The lineage now on disk.
        found: String,
    },
    /// Someone else wrote the state since this run read it.
    #[error(
        "the state file {} changed on disk since it was read (serial {expected}, now {found}). \
         Nothing was written; run the command again.",
        path.display()
    )]
    Conflict {
        /// The file.
        path: PathBuf,
        /// The serial this run read.
        expected: u64,
        /// The serial now on disk.
        found: u64,
    },
    /// Another process holds the lock.
    #[error("{}", locked_message(info, *stale))]
    Locked {
        /// Who holds it.
        info: Box<LockInfo>,
        /// Whether the holder is a process on this host that no longer runs.
        stale: bool,
    },
    /// `force-unlock` was given an id that does not match the lock.
    #[error(
        "the lock id {given} does not match the current lock {}, held by {} since {}; nothing was unlocked",
        current.id, current.who, current.created_display()
    )]
    LockMismatch {
        /// The id the user gave.
        given: String,
        /// The lock in place.
        current: Box<LockInfo>,
    },
    /// `force-unlock` found no lock.
    #[error("the state {} is not locked", path.display())]
    NotLocked {
        /// The state file.
        path: PathBuf,
    },
    /// A state address that the state does not hold.
    #[error("the state has no job at {address}")]
    NoSuchJob {
        /// The address asked for.
        address: String,
    },
}

fn locked_message(info: &LockInfo, stale: bool) -> String {
    let holder = format!(
        "{} (pid {}, `jobform {}`, since {}, lock id {})",
        info.who,
        info.pid,
        info.operation,
        info.created_display(),
        info.id
    );
    if stale {
        format!(
            "the state is locked by {holder}, but that process is no longer running: the \
             command that held it was interrupted. Check the state with `jobform show`, then \
             run `jobform force-unlock {}`.",
            info.id
        )
    } else {
        format!(
            "the state is locked by {holder}. Wait for it to finish (or pass --lock-timeout); \
             if that process is gone, run `jobform force-unlock {}`.",
            info.id
        )
    }
}
