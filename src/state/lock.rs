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
use super::record::Actor;

/// Who holds a lock, written into the lock file (or a backend's lock row).
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
    /// A new lock for `operation` by `actor`, this process.
    pub(super) fn new(operation: &str, actor: &Actor) -> Self {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_owned(),
            who: actor.to_string(),
            pid: std::process::id(),
            host: actor.host.clone(),
            created: OffsetDateTime::now_utc(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }

    /// `created` in RFC 3339, for messages.
    pub fn created_display(&self) -> String {
        self.created
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| self.created.to_string())
    }
}

/// The id `force-unlock` takes for a broken lock file, which holds no id of its own.
pub const BROKEN_LOCK_ID: &str = "broken";

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct StateLock {
    held: Held,
    info: LockInfo,
}

/// What holds a lock.
#[derive(Debug)]
enum Held {
    /// The lock file at this path.
    File(PathBuf),
    /// A backend's session (a database connection holding an advisory lock).
    Session(Box<dyn Release>),
}

/// Lets go of a lock a backend's session holds.
pub(super) trait Release: Send + Sync + std::fmt::Debug {
    /// Releases the lock, best effort: a lock the session cannot release
    /// goes with the session.
    fn release(&self);
}

impl StateLock {
    /// A lock held by a backend's session.
    pub(super) fn session(info: LockInfo, release: Box<dyn Release>) -> Self {
        StateLock { held: Held::Session(release), info }
    }

    /// The lock's details.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Releases the lock now, for a process about to exit without running
    /// destructors (a second Ctrl-C). Only removes the file if it is still
    /// ours: a force-unlock may have handed the state to someone else meanwhile.
    pub fn release(&self) {
        match &self.held {
            Held::File(path) => {
                if read_lock_file(path).is_ok_and(|file| file.id() == Some(&self.info.id)) {
                    let _ = fs::remove_file(path);
                }
            }
            Held::Session(session) => session.release(),
        }
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        self.release();
    }
}

/// What a lock file holds.
enum LockFile {
    /// There is none: the state is not locked.
    Free,
    /// Nothing readable: why.
    Broken(String),
    /// A lock.
    Held(LockInfo),
}

impl LockFile {
    fn id(&self) -> Option<&String> {
        match self {
            LockFile::Held(info) => Some(&info.id),
            LockFile::Free | LockFile::Broken(_) => None,
        }
    }
}

/// Takes the lock file `path` for `operation`, waiting up to `timeout` for
/// another holder to release it.
///
/// # Errors
///
/// [`StateError::Locked`] naming the holder (and whether it is a dead process
/// on this host), [`StateError::BrokenLock`] for a lock file holding no lock,
/// or an I/O error.
pub(super) fn acquire(
    path: PathBuf,
    operation: &str,
    actor: &Actor,
    timeout: Duration,
) -> Result<StateLock, StateError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|source| StateError::Io {
            action: "create directory",
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let info = LockInfo::new(operation, actor);
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(50);
    loop {
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                let bytes = serde_json::to_vec_pretty(&info).expect("lock info serializes");
                if let Err(source) = file.write_all(&bytes).and_then(|()| file.sync_all()) {
                    // A full disk: leave no empty lock behind to wedge the state.
                    drop(file);
                    let _ = fs::remove_file(&path);
                    return Err(StateError::Io { action: "write", path, source });
                }
                return Ok(StateLock { held: Held::File(path), info });
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                if Instant::now() >= deadline {
                    // A lock file still being written by its holder reads as
                    // empty; it is only judged once the wait is over.
                    match read_lock_file(&path)? {
                        LockFile::Free => continue,
                        LockFile::Broken(detail) => {
                            return Err(StateError::BrokenLock { path, detail });
                        }
                        LockFile::Held(holder) => {
                            let stale = holder.host == info.host && !process_is_running(holder.pid);
                            return Err(StateError::Locked { info: Box::new(holder), stale });
                        }
                    }
                }
                std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(source) => return Err(StateError::Io { action: "create", path, source }),
        }
    }
}

/// Removes the lock file `path` if its id is `id` ([`BROKEN_LOCK_ID`] for a
/// broken one). A holder still running on `this_host` is only unlocked with
/// `force`. Returns the lock removed, `None` for a broken one.
///
/// # Errors
///
/// [`StateError::NotLocked`]; [`StateError::LockMismatch`] naming the real
/// holder; [`StateError::HolderAlive`]; [`StateError::BrokenLock`] for a
/// broken lock given another id.
pub(super) fn force_unlock(
    state_path: &Path,
    path: PathBuf,
    id: &str,
    force: bool,
    this_host: &str,
) -> Result<Option<LockInfo>, StateError> {
    let removed = match read_lock_file(&path)? {
        LockFile::Free => {
            return Err(StateError::NotLocked { location: state_path.display().to_string() });
        }
        LockFile::Broken(detail) if id != BROKEN_LOCK_ID => {
            return Err(StateError::BrokenLock { path, detail });
        }
        LockFile::Broken(_) => None,
        LockFile::Held(current) if current.id != id => {
            return Err(StateError::LockMismatch {
                given: id.to_owned(),
                current: Box::new(current),
            });
        }
        LockFile::Held(current) => {
            if !force && current.host == this_host && process_is_running(current.pid) {
                return Err(StateError::HolderAlive { info: Box::new(current) });
            }
            Some(current)
        }
    };
    fs::remove_file(&path).map_err(|source| StateError::Io { action: "remove", path, source })?;
    Ok(removed)
}

/// What the lock file holds.
fn read_lock_file(path: &Path) -> Result<LockFile, StateError> {
    match fs::read(path) {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {
            Ok(LockFile::Broken("the file is empty".to_owned()))
        }
        Ok(bytes) => Ok(match serde_json::from_slice(&bytes) {
            Ok(info) => LockFile::Held(info),
            Err(error) => LockFile::Broken(format!("not a jobform lock: {error}")),
        }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(LockFile::Free),
        Err(source) => Err(StateError::Io { action: "read", path: path.to_path_buf(), source }),
    }
}

/// Whether a process with this id runs on this host. Where that cannot be
/// told (no `/proc`), it is assumed to run: a lock is never called stale on a guess.
pub(super) fn process_is_running(pid: u32) -> bool {
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
        let lock = dir.path().join("jobform.state.json.lock");
        let held = acquire(lock.clone(), "apply", &actor(), Duration::ZERO).unwrap();
        let Err(StateError::Locked { info, stale }) =
            acquire(lock.clone(), "apply", &actor(), Duration::from_millis(120))
        else {
            panic!("second acquire must fail");
        };
        assert_eq!(info.id, held.info().id);
        assert_eq!(info.who, "dba@db-admin-1");
        assert!(!stale, "the holder (this test process) is alive");
        drop(held);
        assert!(!lock.exists(), "dropping releases");
        acquire(lock, "apply", &actor(), Duration::ZERO).unwrap();
    }

    #[test]
    fn a_dead_holder_is_reported_stale_not_stolen() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("jobform.state.json");
        let lock = dir.path().join("jobform.state.json.lock");
        let held = acquire(lock.clone(), "apply", &actor(), Duration::ZERO).unwrap();
        let mut info = held.info().clone();
        std::mem::forget(held);
        info.pid = u32::MAX; // no such process
        fs::write(&lock, serde_json::to_vec(&info).unwrap()).unwrap();
        let error = acquire(lock.clone(), "apply", &actor(), Duration::ZERO).unwrap_err();
        assert!(matches!(error, StateError::Locked { stale: true, .. }));
        assert!(lock.exists(), "a stale lock is not removed silently");
        let unlock = |id: &str| force_unlock(&state, lock.clone(), id, false, "db-admin-1");
        assert!(matches!(unlock("nope"), Err(StateError::LockMismatch { .. })));
        assert_eq!(unlock(&info.id).unwrap().unwrap().id, info.id);
        assert!(matches!(unlock(&info.id), Err(StateError::NotLocked { .. })));
    }

    #[test]
    fn a_live_holder_is_only_unlocked_with_force_and_a_broken_lock_by_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("jobform.state.json");
        let lock = dir.path().join("jobform.state.json.lock");
        let held = acquire(lock.clone(), "apply", &actor(), Duration::ZERO).unwrap();
        let id = held.info().id.clone();
        let unlock = |id: &str, force| force_unlock(&state, lock.clone(), id, force, "db-admin-1");
        assert!(matches!(unlock(&id, false), Err(StateError::HolderAlive { .. })));
        assert_eq!(unlock(&id, true).unwrap().unwrap().id, id);
        drop(held);

        fs::write(&lock, "").unwrap();
        let error = acquire(lock.clone(), "apply", &actor(), Duration::ZERO).unwrap_err();
        assert!(matches!(error, StateError::BrokenLock { .. }), "{error}");
        assert!(matches!(unlock("nope", false), Err(StateError::BrokenLock { .. })));
        assert_eq!(unlock(BROKEN_LOCK_ID, false).unwrap(), None);
        assert!(!lock.exists());
    }
}
