//! The state lock: a sidecar file created exclusively, holding who locked the
//! state and why, so two applies can never interleave and a user told "locked"
//! learns by whom.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::error::StateError;
use super::file::sibling;
use super::record::Actor;

/// Who holds a lock, written into the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// A UUID; `force-unlock` takes it.
    pub id: String,
    /// The command holding it (`apply`, `state rm`, …).
    pub operation: String,
    /// `user@host`, with the CI run when there is one.
    pub who: String,
    /// The holder's process id.
    pub pid: u32,
    /// The holder's host name.
    pub host: String,
    /// When it was taken.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// The jobform version that took it.
    pub version: String,
}

impl LockInfo {
    /// `created` in RFC 3339, for messages.
    pub fn created_display(&self) -> String {
        self.created
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| self.created.to_string())
    }
}

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct StateLock {
    path: PathBuf,
    info: LockInfo,
}

impl StateLock {
    /// The lock's details.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Only remove the file if it is still ours (a force-unlock may have
        // handed the state to someone else meanwhile).
        if read_lock_file(&self.path).ok().flatten().is_some_and(|info| info.id == self.info.id) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The lock file of the state at `state_path`.
pub fn lock_path(state_path: &Path) -> PathBuf {
    sibling(state_path, ".lock")
}

/// Takes the lock of the state at `state_path` for `operation`, waiting up to
/// `timeout` for another holder to release it.
///
/// # Errors
///
/// [`StateError::Locked`] naming the holder (and whether it is a dead process
/// on this host) when the lock is still held after `timeout`.
pub fn acquire(
    state_path: &Path,
    operation: &str,
    actor: &Actor,
    timeout: Duration,
) -> Result<StateLock, StateError> {
    let path = lock_path(state_path);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|source| StateError::Io {
            action: "create directory",
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let info = LockInfo {
        id: uuid::Uuid::new_v4().to_string(),
        operation: operation.to_owned(),
        who: actor.to_string(),
        pid: std::process::id(),
        host: actor.host.clone(),
        created: OffsetDateTime::now_utc(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(50);
    loop {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                let bytes = serde_json::to_vec_pretty(&info).expect("lock info serializes");
                file.write_all(&bytes).and_then(|()| file.sync_all()).map_err(|source| {
                    StateError::Io { action: "write", path: path.clone(), source }
                })?;
                return Ok(StateLock { path, info });
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                if Instant::now() >= deadline {
                    // A lock file still being written by its holder reads as
                    // empty; report it once the wait is over.
                    let holder = read_lock_file(&path)?.unwrap_or_else(|| LockInfo {
                        id: "(unreadable)".to_owned(),
                        operation: "(unknown)".to_owned(),
                        who: "(unknown)".to_owned(),
                        pid: 0,
                        host: String::new(),
                        created: OffsetDateTime::UNIX_EPOCH,
                        version: String::new(),
                    });
                    let stale = holder.host == info.host && !process_is_running(holder.pid);
                    return Err(StateError::Locked { info: Box::new(holder), stale });
                }
                std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(source) => return Err(StateError::Io { action: "create", path, source }),
        }
    }
}

/// Removes the lock of the state at `state_path` if its id is `id`.
///
/// # Errors
///
/// [`StateError::NotLocked`], or [`StateError::LockMismatch`] naming the real holder.
pub fn force_unlock(state_path: &Path, id: &str) -> Result<LockInfo, StateError> {
    let path = lock_path(state_path);
    let current = read_lock_file(&path)?
        .ok_or_else(|| StateError::NotLocked { path: state_path.to_path_buf() })?;
    if current.id != id {
        return Err(StateError::LockMismatch { given: id.to_owned(), current: Box::new(current) });
    }
    fs::remove_file(&path).map_err(|source| StateError::Io { action: "remove", path, source })?;
    Ok(current)
}

/// The lock's details, `None` when unlocked (or when the holder has created
/// the file but not written it yet).
fn read_lock_file(path: &Path) -> Result<Option<LockInfo>, StateError> {
    match fs::read(path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StateError::Io { action: "read", path: path.to_path_buf(), source }),
    }
}

/// Whether a process with this id runs on this host. Where that cannot be
/// told (no `/proc`), it is assumed to run: a lock is never called stale on a guess.
fn process_is_running(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> Actor {
        Actor { user: "dba".to_owned(), host: "db-admin-1".to_owned(), ci: None }
    }

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_name() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("jobform.state.json");
        let held = acquire(&state, "apply", &actor(), Duration::ZERO).unwrap();
        let Err(StateError::Locked { info, stale }) =
            acquire(&state, "apply", &actor(), Duration::from_millis(120))
        else {
            panic!("second acquire must fail");
        };
        assert_eq!(info.id, held.info().id);
        assert_eq!(info.who, "dba@db-admin-1");
        assert!(!stale, "the holder (this test process) is alive");
        drop(held);
        assert!(!lock_path(&state).exists(), "dropping releases");
        acquire(&state, "apply", &actor(), Duration::ZERO).unwrap();
    }

    #[test]
    fn a_dead_holder_is_reported_stale_not_stolen() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("jobform.state.json");
        let held = acquire(&state, "apply", &actor(), Duration::ZERO).unwrap();
        let mut info = held.info().clone();
        std::mem::forget(held);
        info.pid = u32::MAX; // no such process
        fs::write(lock_path(&state), serde_json::to_vec(&info).unwrap()).unwrap();
        let error = acquire(&state, "apply", &actor(), Duration::ZERO).unwrap_err();
        assert!(matches!(error, StateError::Locked { stale: true, .. }));
        assert!(lock_path(&state).exists(), "a stale lock is not removed silently");
        assert!(matches!(force_unlock(&state, "nope"), Err(StateError::LockMismatch { .. })));
        assert_eq!(force_unlock(&state, &info.id).unwrap().id, info.id);
        assert!(matches!(force_unlock(&state, &info.id), Err(StateError::NotLocked { .. })));
    }
}
