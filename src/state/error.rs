//! Everything that can go wrong with the state, its journal, its audit log
//! and its lock. Each error names the file (and the line, in a log), and says
//! what to do about it.

use std::io;
use std::path::PathBuf;

use super::lock::{BROKEN_LOCK_ID, LockInfo};

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
    /// A line of the journal or of the audit log is damaged. A torn last line
    /// of the journal (a crash during an append) is not this: it is dropped.
    #[error(
        "the state {what} {} is corrupt at line {line}: {detail}\n\
         It was left untouched. {advice}",
        path.display()
    )]
    CorruptLog {
        /// "journal" or "audit log".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong.
        detail: String,
        /// What to do about it.
        advice: &'static str,
    },
    /// The file was written by a newer jobform.
    #[error(
        "the {state} has format version {found}, but this jobform ({}) reads up to \
         version {supported}. Upgrade jobform to use it.",
        env!("CARGO_PKG_VERSION")
    )]
    NewerFormat {
        /// Which state: `state file PATH`, or `state workspace "W" in PostgreSQL schema "S"`.
        state: String,
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
    /// The serial cannot be bumped any further.
    #[error(
        "the {state} has reached the largest serial ({}); nothing was written. \
         Move it aside (another file or workspace) and run `jobform apply --refresh-only` \
         to start a new lineage.",
        u64::MAX
    )]
    SerialExhausted {
        /// Which state, as in [`StateError::NewerFormat`].
        state: String,
    },
    /// Another process holds the lock.
    #[error("{}", locked_message(info, *stale))]
    Locked {
        /// Who holds it.
        info: Box<LockInfo>,
        /// Whether the holder is a process on this host that no longer runs.
        stale: bool,
    },
    /// The lock file holds no lock: a command died (or the disk filled up)
    /// between creating it and writing it.
    #[error(
        "the state lock {} is broken ({detail}): a command that crashed, or ran out of disk \
         space, left it behind. If no jobform command is using this state, remove it with \
         `jobform force-unlock {BROKEN_LOCK_ID}`.",
        path.display()
    )]
    BrokenLock {
        /// The lock file.
        path: PathBuf,
        /// "empty", or why it does not parse.
        detail: String,
    },
    /// `force-unlock` of a lock whose holder still runs on this host.
    #[error(
        "the lock {} is held by {} (pid {}, `jobform {}`), which is still running on this host: \
         unlocking now would let two commands write the state at once. Wait for it to finish or \
         stop it; pass --force to unlock anyway.",
        info.id, info.who, info.pid, info.operation
    )]
    HolderAlive {
        /// The lock in place.
        info: Box<LockInfo>,
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
    #[error("the state {location} is not locked")]
    NotLocked {
        /// Where the state lives: a path, or a workspace and schema.
        location: String,
    },
    /// The PostgreSQL backend cannot be reached, or refused a statement.
    #[error("cannot {action} the state {location}: {detail}")]
    Database {
        /// What was being done ("connect to", "read", "write", "lock").
        action: &'static str,
        /// The workspace and schema (never the connection string: it holds a password).
        location: String,
        /// The database's or the network's error.
        detail: String,
    },
    /// The `backend` configuration cannot be used.
    #[error("the backend \"pg\" cannot be used: {0}")]
    Backend(String),
    /// A backend's state was written by another command since this one read it.
    #[error(
        "the state {location} was written by another command since this one read it \
         ({detail}). Nothing was written; run the command again."
    )]
    Moved {
        /// The workspace and schema.
        location: String,
        /// The lineage and serial expected and found.
        detail: String,
    },
    /// Another session holds a backend's lock.
    #[error(
        "the state {location} is locked by {} (pid {}, `jobform {}`, since {}, lock id {}). \
         Wait for it to finish (or pass --lock-timeout). The lock belongs to that command's \
         database session: if the command dies, the lock is released with its connection, \
         and no force-unlock is needed.",
        info.who, info.pid, info.operation, info.created_display(), info.id
    )]
    SessionLocked {
        /// The workspace and schema.
        location: String,
        /// Who holds it.
        info: Box<LockInfo>,
    },
    /// `force-unlock` of a backend lock whose session is still connected.
    #[error(
        "the lock {} on the state {location} is held by {} (pid {}, `jobform {}`), whose \
         database session is still connected: the lock is that session's, and only ends with \
         it. Wait for the command to finish or stop it; pass --force to end its session \
         (pg_terminate_backend, which needs the privilege to signal it).",
        info.id, info.who, info.pid, info.operation
    )]
    SessionAlive {
        /// The workspace and schema.
        location: String,
        /// The lock in place.
        info: Box<LockInfo>,
    },
    /// `state push` of a document that would overwrite newer or other content.
    #[error("nothing was pushed to the state {location}: {detail}. Pass --force to overwrite it.")]
    PushRefused {
        /// The state written to.
        location: String,
        /// Why.
        detail: String,
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
