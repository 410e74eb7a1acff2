//! Reading and writing the state file: version sniffing, corruption checks,
//! and crash-safe writes (temp file, fsync, rename, fsync of the directory)
//! with a backup of the previous version.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::error::StateError;
use super::record::{FORMAT_VERSION, State};

/// The state file at one path.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state file at `path` (which need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        StateFile { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the previous version is kept.
    pub fn backup_path(&self) -> PathBuf {
        sibling(&self.path, ".backup")
    }

    /// Reads the state; a missing file is a fresh, empty state (not written
    /// until something is recorded).
    ///
    /// # Errors
    ///
    /// [`StateError::Corrupt`], [`StateError::NewerFormat`] or an I/O error.
    pub fn load(&self) -> Result<State, StateError> {
        Ok(self.read()?.unwrap_or_default())
    }

    /// Reads the state, `None` when the file does not exist.
    ///
    /// # Errors
    ///
    /// As [`StateFile::load`].
    pub fn read(&self) -> Result<Option<State>, StateError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(StateError::Io { action: "read", path: self.path.clone(), source });
            }
        };
        self.parse(&bytes).map(Some)
    }

    fn parse(&self, bytes: &[u8]) -> Result<State, StateError> {
        let corrupt = |detail: String| StateError::Corrupt { path: self.path.clone(), detail };
        // Sniff the version first, so a newer file is refused for what it is
        // rather than for the fields this build does not know.
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|error| corrupt(format!("not valid JSON ({error})")))?;
        let version = value
            .get("format_version")
            .ok_or_else(|| corrupt("no `format_version` field".to_owned()))?
            .as_u64()
            .ok_or_else(|| corrupt("`format_version` is not a whole number".to_owned()))?;
        if version > u64::from(FORMAT_VERSION) {
            return Err(StateError::NewerFormat {
                path: self.path.clone(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        serde_json::from_value(value).map_err(|error| corrupt(error.to_string()))
    }

    /// Writes `state` if its content differs from the file's, bumping the
    /// serial and keeping the previous version as the backup. Returns whether
    /// it wrote.
    ///
    /// The file on disk must still be the one `state` was read from (same
    /// lineage and serial), so no update made by someone else is lost.
    ///
    /// # Errors
    ///
    /// [`StateError::ForeignLineage`] or [`StateError::Conflict`] when the
    /// file changed under this run; read errors as [`StateFile::read`]; I/O errors.
    pub fn persist(&self, state: &mut State) -> Result<bool, StateError> {
        let on_disk = self.read()?;
        if let Some(current) = &on_disk {
            if current.lineage != state.lineage {
                return Err(StateError::ForeignLineage {
                    path: self.path.clone(),
                    expected: state.lineage.clone(),
                    found: current.lineage.clone(),
                });
            }
            if current.serial != state.serial {
                return Err(StateError::Conflict {
                    path: self.path.clone(),
                    expected: state.serial,
                    found: current.serial,
                });
            }
            if current.same_content(state) {
                return Ok(false);
            }
        }
        let mut next = state.clone();
        next.serial += 1;
        next.format_version = FORMAT_VERSION;
        env!("CARGO_PKG_VERSION").clone_into(&mut next.jobform_version);
        let mut bytes = serde_json::to_vec_pretty(&next).expect("state serializes");
        bytes.push(b'\n');
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|source| StateError::Io {
                action: "create directory",
                path: parent.to_path_buf(),
                source,
            })?;
        }
        if on_disk.is_some() {
            let previous = fs::read(&self.path).map_err(|source| StateError::Io {
                action: "read",
                path: self.path.clone(),
                source,
            })?;
            write_atomically(&self.backup_path(), &previous)?;
        }
        write_atomically(&self.path, &bytes)?;
        *state = next;
        Ok(true)
    }
}

/// `path` with `suffix` appended to its file name.
pub(super) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Replaces `path` with `bytes` so that a crash at any point leaves either the
/// old or the new content: write a temp file beside it, fsync it, rename it
/// over, fsync the directory.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    let temp = sibling(path, &format!(".tmp-{}", std::process::id()));
    let io_error = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| StateError::Io { action, path, source }
    };
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)
        .map_err(io_error("create", &temp))?;
    file.write_all(bytes).map_err(io_error("write", &temp))?;
    file.sync_all().map_err(io_error("sync", &temp))?;
    drop(file);
    fs::rename(&temp, path).map_err(io_error("rename into place", path))?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // Directories cannot be opened for syncing on every platform; where they
    // can, this makes the rename itself durable.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::model::{Address, Direction, JobKind, LiveState, ProviderRef};
    use crate::state::record::{JobRecord, Observation};

    fn record() -> JobRecord {
        JobRecord {
            kind: JobKind::HuaweiDrs,
            id: "8d0e8e36-a618-490d-8a46-8c61ac9bb502".to_owned(),
            provider: ProviderRef { cloud: crate::model::Cloud::Huawei, alias: None },
            direction: Direction::Forward,
            observed: Observation {
                raw_status: "PAUSING".to_owned(),
                state: LiveState::Suspended,
                at: datetime!(2026-11-21 10:00 UTC),
            },
            paused: None,
            last_action: None,
        }
    }

    #[test]
    fn serial_moves_only_when_content_changes_and_backup_keeps_the_previous() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join("state/jobform.state.json"));
        let mut state = file.load().unwrap();
        assert!(file.persist(&mut state).unwrap(), "a new state is written");
        assert_eq!(state.serial, 1);
        state.jobs.insert(Address::new(JobKind::HuaweiDrs, "eu"), record());
        assert!(file.persist(&mut state).unwrap());
        let serial = state.serial;
        assert!(!file.persist(&mut state).unwrap(), "unchanged state is not rewritten");
        assert_eq!(state.serial, serial);
        state.jobs.clear();
        assert!(file.persist(&mut state).unwrap());
        assert_eq!(state.serial, serial + 1);
        let backup: State = serde_json::from_slice(&fs::read(file.backup_path()).unwrap()).unwrap();
        assert_eq!(backup.serial, serial);
        assert_eq!(file.load().unwrap(), state);
    }

    #[test]
    fn refuses_corrupt_newer_and_changed_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let file = StateFile::new(&path);
        for (content, expected) in [
            ("{\"format_version\": 1, \"serial\": ", "not valid JSON"),
            ("[]", "no `format_version`"),
            ("{\"format_version\": \"1\"}", "not a whole number"),
            ("{\"format_version\": 1}", "missing field"),
        ] {
            fs::write(&path, content).unwrap();
            let error = file.read().unwrap_err().to_string();
            assert!(error.contains(expected), "{error}");
            assert_eq!(fs::read_to_string(&path).unwrap(), content, "never overwritten");
        }
        fs::write(&path, "{\"format_version\": 7, \"whatever\": true}").unwrap();
        assert!(matches!(file.read(), Err(StateError::NewerFormat { found: 7, .. })));

        let mut mine = State::new();
        let mut theirs = State::new();
        fs::remove_file(&path).unwrap();
        theirs.jobs.insert(Address::new(JobKind::HuaweiDrs, "eu"), record());
        file.persist(&mut theirs).unwrap();
        mine.jobs.insert(Address::new(JobKind::HuaweiDrs, "us"), record());
        assert!(matches!(file.persist(&mut mine), Err(StateError::ForeignLineage { .. })));
        let mut stale = file.load().unwrap();
        let mut fresh = stale.clone();
        fresh.jobs.clear();
        file.persist(&mut fresh).unwrap();
        stale.jobs.insert(Address::new(JobKind::HuaweiDrs, "x"), record());
        assert!(matches!(file.persist(&mut stale), Err(StateError::Conflict { .. })));
    }
}
