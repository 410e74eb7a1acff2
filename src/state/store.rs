//! The storage interface: everything a command needs from where the state
//! lives, so a backend (the local files, PostgreSQL) is one
//! implementation of one trait.

use std::fmt::Debug;
use std::time::Duration;

use super::error::StateError;
use super::lock::{LockInfo, StateLock};
use super::record::{Actor, AuditEntry, ChangeSet, State};
use std::path::PathBuf;

/// Where a state lives.
///
/// Every durable write is one [`commit`](StateStore::commit) of a
/// [`ChangeSet`], guarded by the lineage and serial the writer last saw: a
/// backend appends what changed (a journal record, a transaction touching
/// only the affected rows), never the whole state. Methods block on I/O; the
/// apply engine calls them off its async runtime's thread.
pub trait StateStore: Send + Sync + Debug {
    /// Where the state lives, for messages: a path, or a workspace and schema.
    fn location(&self) -> String;

    /// The state, `None` when none was ever written.
    ///
    /// # Errors
    ///
    /// A corrupt, newer or unreadable state.
    fn read(&self) -> Result<Option<State>, StateError>;

    /// The state; an empty one with a fresh lineage when none was ever
    /// written (it is only written once something is recorded).
    ///
    /// # Errors
    ///
    /// As [`StateStore::read`].
    fn load(&self) -> Result<State, StateError> {
        Ok(self.read()?.unwrap_or_default())
    }

    /// Durably records `changes` on top of the state at `lineage` and
    /// `serial`, and returns the new serial. Nothing is written unless the
    /// stored state is still at that lineage and serial, so an update made by
    /// someone else is never lost. When it returns, the change survives a crash.
    ///
    /// # Errors
    ///
    /// [`StateError::ForeignLineage`], [`StateError::Conflict`],
    /// [`StateError::SerialExhausted`], or a read or write error.
    fn commit(&self, lineage: &str, serial: u64, changes: &ChangeSet) -> Result<u64, StateError>;

    /// The whole audit log, oldest first (for `show`; commands that write
    /// never read it).
    ///
    /// # Errors
    ///
    /// A damaged audit log, or as [`StateStore::read`].
    fn audit(&self) -> Result<Vec<AuditEntry>, StateError>;

    /// Folds what was committed since the last compaction into the stored
    /// state, for backends that keep a log of changes; called at the end of
    /// a command that wrote. Leaves the state's content and serial as they are.
    ///
    /// # Errors
    ///
    /// As [`StateStore::read`], or a write error.
    fn compact(&self) -> Result<(), StateError>;

    /// Takes the state's lock for `operation`, waiting up to `timeout`.
    ///
    /// # Errors
    ///
    /// [`StateError::Locked`] naming the holder, [`StateError::BrokenLock`],
    /// or an I/O error.
    fn lock(
        &self,
        operation: &str,
        actor: &Actor,
        timeout: Duration,
    ) -> Result<StateLock, StateError>;

    /// Removes the lock whose id is `id` (`force-unlock`); a holder still
    /// running on this host only with `force`. Returns the lock removed,
    /// `None` for a broken one.
    ///
    /// # Errors
    ///
    /// [`StateError::NotLocked`], [`StateError::LockMismatch`],
    /// [`StateError::HolderAlive`], [`StateError::BrokenLock`].
    fn force_unlock(&self, id: &str, force: bool) -> Result<Option<LockInfo>, StateError>;

    /// Replaces the state with `state` (its lineage and serial too) and
    /// appends the entries of `audit` the stored log does not hold yet
    /// (`state push`, under the lock). Another lineage or an older serial is
    /// refused unless `force`; a forced push of another lineage replaces the
    /// audit log too.
    ///
    /// # Errors
    ///
    /// [`StateError::PushRefused`], or a read or write error.
    fn push(&self, state: &State, audit: &[AuditEntry], force: bool) -> Result<(), StateError>;

    /// After a failed commit: saves what the caller knows (`state`, with
    /// the audit entries of the commits that failed) to a local file and
    /// returns its path, for a backend whose failure leaves the state out of
    /// reach (a database). `None` when nothing was lost or the backend is local.
    ///
    /// # Errors
    ///
    /// The local file cannot be written.
    fn salvage(&self, state: &State) -> Result<Option<PathBuf>, StateError> {
        let _ = state;
        Ok(None)
    }
}

/// Checks a `state push` of `pushed` over `stored`: the same lineage at the
/// same or a newer serial, unless forced. Returns the entries of `audit`
/// that `stored_audit` does not hold, and whether the push replaces the log
/// (another lineage).
///
/// # Errors
///
/// [`StateError::PushRefused`].
pub(super) fn check_push<'a>(
    location: &str,
    stored: Option<&State>,
    pushed: &State,
    stored_audit: &[AuditEntry],
    audit: &'a [AuditEntry],
    force: bool,
) -> Result<(bool, Vec<&'a AuditEntry>), StateError> {
    let refuse = |detail: String| StateError::PushRefused { location: location.to_owned(), detail };
    let Some(stored) = stored else { return Ok((true, audit.iter().collect())) };
    if stored.lineage != pushed.lineage {
        if !force {
            return Err(refuse(format!(
                "it has lineage {}, the document lineage {}",
                stored.lineage, pushed.lineage
            )));
        }
        return Ok((true, audit.iter().collect()));
    }
    if stored.serial > pushed.serial && !force {
        return Err(refuse(format!(
            "it is at serial {}, newer than the document's serial {}",
            stored.serial, pushed.serial
        )));
    }
    // Entries are compared whole: a pulled document pushed back adds nothing.
    let held: std::collections::HashSet<String> = stored_audit
        .iter()
        .map(|entry| serde_json::to_string(entry).expect("audit entries serialize"))
        .collect();
    let new = audit
        .iter()
        .filter(|entry| {
            !held.contains(&serde_json::to_string(entry).expect("audit entries serialize"))
        })
        .collect();
    Ok((false, new))
}
