//! The state: what jobform observed of each job and every action it sent,
//! serial-numbered with a lineage id, written crash-safely change by change
//! and guarded by a lock, behind the [`StateStore`] interface.

mod error;
mod file;
mod lock;
mod pg;
mod record;
mod store;

pub use error::StateError;
pub use file::StateFile;
pub use lock::{BROKEN_LOCK_ID, LockInfo, StateLock};
pub use pg::{PgSettings, PgStore};
pub use record::{
    ActionOutcome, ActionRecord, Actor, AuditEntry, AuditVerb, ChangeSet, FORMAT_VERSION,
    JobRecord, Observation, PauseRecord, PauseSource, State, StateDocument,
};
pub use store::StateStore;

/// Where the state lives unless `--state` says otherwise (relative to the working directory).
pub const DEFAULT_PATH: &str = "state/jobform.state.json";
