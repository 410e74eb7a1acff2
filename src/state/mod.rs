//! The local state: what jobform observed of each job and every action it
//! sent, in a versioned, serial-numbered file with a lineage id, written
//! crash-safely and guarded by a lock.

mod error;
mod file;
mod lock;
mod record;

pub use error::StateError;
pub use file::StateFile;
pub use lock::{LockInfo, StateLock, acquire, force_unlock, lock_path};
pub use record::{
    ActionOutcome, ActionRecord, Actor, AuditEntry, FORMAT_VERSION, JobRecord, Observation,
    PauseRecord, PauseSource, State,
};

/// Where the state lives unless `--state` says otherwise (relative to the working directory).
pub const DEFAULT_PATH: &str = "state/jobform.state.json";
