//! The local backend: the state as files beside each other.
//!
//! - `jobform.state.json`, the snapshot: the job records, lineage and serial,
//!   and how much of the audit log it covers. Replaced whole, crash-safely
//!   (temp file, fsync, rename, fsync of the directory), the previous one
//!   kept as `….backup`, at the end of a command that wrote or when the
//!   journal grows past [`COMPACT_AT`].
//! - `….journal`, the write-ahead journal: one line per commit (a CRC-32 of
//!   the record, then the record as JSON: the serial and the changed job
//!   records and audit entries), fsynced before the commit returns. Loading
//!   replays it over the snapshot. A torn last line (a crash mid-append) is
//!   dropped; a damaged line anywhere else is refused, never overwritten.
//! - `….audit`, the audit log: JSON lines, only ever appended (at
//!   compaction), never read by a command that writes.
//! - `….lock`, the lock (see [`super::lock`]).
//!
//! A symlinked state path is followed: the files sit beside the target.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, BufRead, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::error::StateError;
use super::lock::{self, LockInfo, StateLock};
use super::record::{Actor, AuditEntry, ChangeSet, FORMAT_VERSION, JobRecord, State};
use super::store::{StateStore, check_push};
use crate::model::Address;

/// The journal size past which a commit compacts it into the snapshot, so a
/// long apply's journal (and a crashed one's replay) stays bounded.
const COMPACT_AT: u64 = 16 << 20;

/// What to do about a damaged journal line.
const JOURNAL_ADVICE: &str = "The records after a damaged one cannot be trusted: move the journal \
    aside to fall back to the last snapshot (what was recorded since is lost), or repair the line.";
/// What to do about a damaged audit log.
const AUDIT_ADVICE: &str =
    "Repair the line, or restore the audit log from a copy; the job records are not affected.";

/// The state kept in local files at one path.
#[derive(Debug)]
pub struct StateFile {
    /// The snapshot, symlinks followed.
    path: PathBuf,
    writer: Mutex<Writer>,
}

/// What the writer knows of the files, so a commit checks in two `stat`s
/// (instead of a re-read) that nobody else wrote since.
#[derive(Debug, Default)]
struct Writer {
    journal: Option<File>,
    known: Option<Known>,
}

#[derive(Debug)]
struct Known {
    lineage: String,
    serial: u64,
    snapshot: Stamp,
    /// The journal's stamp (a zero length when there is none).
    journal: Stamp,
}

/// A file's size and modification time: any write changes one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

/// The snapshot document. Version 1 held the audit log (`audit`); version 2
/// says how much of the audit log file it covers (`audit_log`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    format_version: u32,
    jobform_version: String,
    serial: u64,
    lineage: String,
    jobs: BTreeMap<Address, JobRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit: Option<Vec<AuditEntry>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit_log: Option<AuditLog>,
}

/// The part of the audit log file a snapshot covers: bytes past `length` were
/// written by a compaction that did not finish, and are written again.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditLog {
    length: u64,
    entries: u64,
}

/// One journal record.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record<C> {
    lineage: String,
    serial: u64,
    changes: C,
}

/// The snapshot file, read.
struct Snapshot {
    state: State,
    /// The audit entries of a version 1 snapshot, or its reference to the log.
    audit: Result<AuditLog, Vec<AuditEntry>>,
    stamp: Stamp,
}

/// Everything on disk, read and replayed.
struct Disk {
    state: State,
    /// The audit entries of a version 1 snapshot, or its reference to the log.
    audit: Result<AuditLog, Vec<AuditEntry>>,
    /// The audit entries of the journal's records.
    journal_audit: Vec<AuditEntry>,
    /// The bytes of whole records at the start of the journal.
    journal_valid: u64,
    known: Known,
}

impl StateFile {
    /// The state at `path` (which need not exist yet); a symlink is followed.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        StateFile { path: follow_symlinks(path.into()), writer: Mutex::default() }
    }

    /// The snapshot's path (symlinks followed).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the previous snapshot is kept.
    pub fn backup_path(&self) -> PathBuf {
        sibling(&self.path, ".backup")
    }

    /// The write-ahead journal.
    pub fn journal_path(&self) -> PathBuf {
        sibling(&self.path, ".journal")
    }

    /// The audit log.
    pub fn audit_path(&self) -> PathBuf {
        sibling(&self.path, ".audit")
    }

    fn lock_path(&self) -> PathBuf {
        sibling(&self.path, ".lock")
    }

    fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StateError {
        let path = path.to_path_buf();
        move |source| StateError::Io { action, path, source }
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        // A panic while holding it leaves nothing half-done in memory that
        // the files do not also say: the next commit re-checks them.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads the snapshot and replays the journal; `None` when there is no state.
    fn read_disk(&self) -> Result<Option<Disk>, StateError> {
        // The journal first, the snapshot second: a reader without the lock
        // (`plan`, `show`) racing a compaction then gets a snapshot at least
        // as new as the journal it read, whose records it holds or follow it
        // (older ones are skipped), never a gap.
        let journal_path = self.journal_path();
        let journal = read_optional(&journal_path)?.unwrap_or_default();
        let Some(Snapshot { mut state, audit, stamp: snapshot }) = self.read_snapshot()? else {
            return if journal.is_empty() { Ok(None) } else { Err(self.orphan_journal()) };
        };
        let mut journal_audit = Vec::new();
        let journal_valid = replay(&journal_path, journal.as_slice(), &mut state, |entry| {
            journal_audit.push(entry);
            Ok(())
        })?;
        let known = Known {
            lineage: state.lineage.clone(),
            serial: state.serial,
            snapshot,
            journal: journal_stamp(&journal_path)?,
        };
        Ok(Some(Disk { state, audit, journal_audit, journal_valid, known }))
    }

    /// The error for a journal without a snapshot to replay it on.
    fn orphan_journal(&self) -> StateError {
        StateError::CorruptLog {
            what: "journal",
            path: self.journal_path(),
            line: 1,
            detail: format!("there is no state file {} to replay it on", self.path.display()),
            advice: JOURNAL_ADVICE,
        }
    }

    /// Reads the snapshot alone; `None` when there is none.
    fn read_snapshot(&self) -> Result<Option<Snapshot>, StateError> {
        let Some(bytes) = read_optional(&self.path)? else { return Ok(None) };
        let snapshot = stamp(&self.path)?;
        let document = self.parse(&bytes)?;
        let audit = match (document.format_version, document.audit, document.audit_log) {
            (1, Some(entries), None) => Err(entries),
            (version, None, Some(log)) if version > 1 => Ok(log),
            (version, ..) => {
                let needs = if version == 1 {
                    "`audit` and no `audit_log`"
                } else {
                    "`audit_log` and no `audit`"
                };
                return Err(StateError::Corrupt {
                    path: self.path.clone(),
                    detail: format!("a version {version} state has {needs}"),
                });
            }
        };
        let state = State {
            format_version: document.format_version,
            jobform_version: document.jobform_version,
            serial: document.serial,
            lineage: document.lineage,
            jobs: document.jobs,
        };
        Ok(Some(Snapshot { state, audit, stamp: snapshot }))
    }

    fn parse(&self, bytes: &[u8]) -> Result<Document, StateError> {
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
        if version == 0 {
            return Err(corrupt(
                "`format_version` 0 is not a version jobform ever wrote".to_owned(),
            ));
        }
        if version > u64::from(FORMAT_VERSION) {
            return Err(StateError::NewerFormat {
                state: format!("state file {}", self.path.display()),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        serde_json::from_value(value).map_err(|error| corrupt(error.to_string()))
    }

    /// Makes sure the files are still at `lineage` and `serial` and the
    /// journal ends with a whole record, creating the snapshot of a new state.
    fn check_base(
        &self,
        writer: &mut Writer,
        lineage: &str,
        serial: u64,
    ) -> Result<(), StateError> {
        if let Some(known) = &writer.known {
            let unchanged = known.lineage == lineage
                && known.serial == serial
                && stamp(&self.path)? == known.snapshot
                && journal_stamp(&self.journal_path())? == known.journal;
            if unchanged && writer.journal.is_some() {
                return Ok(());
            }
        }
        writer.journal = None;
        writer.known = None;
        let known = match self.read_disk()? {
            None if serial == 0 => {
                let document = Document {
                    format_version: FORMAT_VERSION,
                    jobform_version: env!("CARGO_PKG_VERSION").to_owned(),
                    serial: 0,
                    lineage: lineage.to_owned(),
                    jobs: BTreeMap::new(),
                    audit: None,
                    audit_log: Some(AuditLog { length: 0, entries: 0 }),
                };
                self.write_snapshot(&document)?;
                Known {
                    lineage: lineage.to_owned(),
                    serial: 0,
                    snapshot: stamp(&self.path)?,
                    journal: journal_stamp(&self.journal_path())?,
                }
            }
            None => {
                return Err(StateError::Conflict {
                    path: self.path.clone(),
                    expected: serial,
                    found: 0,
                });
            }
            Some(disk) => {
                if disk.known.lineage != lineage {
                    return Err(StateError::ForeignLineage {
                        path: self.path.clone(),
                        expected: lineage.to_owned(),
                        found: disk.known.lineage,
                    });
                }
                if disk.known.serial != serial {
                    return Err(StateError::Conflict {
                        path: self.path.clone(),
                        expected: serial,
                        found: disk.known.serial,
                    });
                }
                let mut known = disk.known;
                if disk.journal_valid < known.journal.len {
                    // A torn last record (a crash mid-append): cut it off so
                    // the next record starts on a line of its own.
                    truncate(&self.journal_path(), disk.journal_valid)?;
                    known.journal = journal_stamp(&self.journal_path())?;
                }
                known
            }
        };
        let journal_path = self.journal_path();
        let journal = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&journal_path)
            .map_err(Self::io_error("open", &journal_path))?;
        // Makes the journal's own directory entry durable.
        sync_dir(&journal_path);
        writer.journal = Some(journal);
        writer.known = Some(known);
        Ok(())
    }

    /// Writes the snapshot, keeping the previous one, if any, as the backup
    /// and the file's mode. Both are streamed to their files: a large
    /// state is never held whole as bytes.
    fn write_snapshot(&self, document: &Document) -> Result<(), StateError> {
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(Self::io_error("create directory", parent))?;
        }
        let mode = fs::metadata(&self.path).ok().map(|m| m.permissions());
        match File::open(&self.path) {
            Ok(mut previous) => {
                write_atomically(&self.backup_path(), mode.clone(), |out| {
                    io::copy(&mut previous, out).map(drop)
                })?;
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(Self::io_error("read", &self.path)(source)),
        }
        write_atomically(&self.path, mode, |out| {
            serde_json::to_writer_pretty(&mut *out, document)?;
            out.write_all(b"\n")
        })
    }

    /// Moves the journal's audit entries to the audit log and its records
    /// into a new snapshot, then empties it. Each step is safe to crash in:
    /// the audit log is cut back to what the snapshot covers before it is
    /// appended to, and records the snapshot already holds are skipped.
    ///
    /// The journal is streamed, never held whole: its audit entries go to
    /// the log as its records are replayed. Only the writer compacts, so
    /// the snapshot can be read before the journal (readers without the
    /// lock read the journal first, see [`Self::read_disk`]).
    fn compact_locked(&self, writer: &mut Writer) -> Result<(), StateError> {
        let journal_path = self.journal_path();
        let Some(Snapshot { mut state, audit, .. }) = self.read_snapshot()? else {
            return if journal_stamp(&journal_path)?.len == 0 {
                Ok(())
            } else {
                Err(self.orphan_journal())
            };
        };
        if journal_stamp(&journal_path)?.len == 0 && audit.is_ok() {
            return Ok(());
        }
        let audit_path = self.audit_path();
        let (base, embedded) = match audit {
            Ok(log) => (log, Vec::new()),
            Err(embedded) => (AuditLog { length: 0, entries: 0 }, embedded),
        };
        let mut log = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&audit_path)
            .map_err(Self::io_error("open", &audit_path))?;
        let on_disk = log.metadata().map_err(Self::io_error("read", &audit_path))?.len();
        if on_disk < base.length {
            return Err(StateError::CorruptLog {
                what: "audit log",
                path: audit_path,
                line: usize::try_from(base.entries).unwrap_or(usize::MAX),
                detail: format!(
                    "the file has {on_disk} bytes, fewer than the {} the state file records",
                    base.length
                ),
                advice: AUDIT_ADVICE,
            });
        }
        log.set_len(base.length)
            .and_then(|()| log.seek(SeekFrom::Start(base.length)))
            .map_err(Self::io_error("append to", &audit_path))?;
        let mut appended = AuditAppend { log: io::BufWriter::new(log), length: 0, entries: 0 };
        for entry in embedded {
            appended.push(&entry).map_err(Self::io_error("append to", &audit_path))?;
        }
        let journal = match File::open(&journal_path) {
            Ok(file) => Some(io::BufReader::new(file)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(StateError::Io { action: "read", path: journal_path, source });
            }
        };
        if let Some(journal) = journal {
            replay(&journal_path, journal, &mut state, |entry| {
                appended.push(&entry).map_err(Self::io_error("append to", &audit_path))
            })?;
        }
        let AuditAppend { log, length, entries } = appended;
        log.into_inner()
            .map_err(io::IntoInnerError::into_error)
            .and_then(|log| log.sync_data())
            .map_err(Self::io_error("append to", &audit_path))?;
        sync_dir(&audit_path);
        let document = Document {
            format_version: FORMAT_VERSION,
            jobform_version: env!("CARGO_PKG_VERSION").to_owned(),
            serial: state.serial,
            lineage: state.lineage,
            jobs: state.jobs,
            audit: None,
            audit_log: Some(AuditLog {
                length: base.length + length,
                entries: base.entries + entries,
            }),
        };
        self.write_snapshot(&document)?;
        truncate(&journal_path, 0)?;
        writer.known = Some(Known {
            lineage: document.lineage,
            serial: document.serial,
            snapshot: stamp(&self.path)?,
            journal: journal_stamp(&self.journal_path())?,
        });
        Ok(())
    }

    /// Removes the temp files of writers that died before renaming them
    /// (`….tmp-PID`). Called with the lock held, so none is being written.
    fn remove_stale_temps(&self) {
        let dir =
            self.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let Some(name) = self.path.file_name().and_then(|n| n.to_str()) else { return };
        let Ok(entries) = fs::read_dir(dir) else { return };
        let ours = format!(".tmp-{}", std::process::id());
        for entry in entries.flatten() {
            let file = entry.file_name();
            let Some(file) = file.to_str() else { continue };
            let stale = file
                .strip_prefix(name)
                .and_then(|rest| rest.rsplit_once(".tmp-"))
                .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
            if stale && !file.ends_with(&ours) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

impl StateStore for StateFile {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn read(&self) -> Result<Option<State>, StateError> {
        Ok(self.read_disk()?.map(|disk| disk.state))
    }

    fn commit(&self, lineage: &str, serial: u64, changes: &ChangeSet) -> Result<u64, StateError> {
        let next = serial.checked_add(1).ok_or_else(|| StateError::SerialExhausted {
            state: format!("state file {}", self.path.display()),
        })?;
        let mut writer = self.writer();
        self.check_base(&mut writer, lineage, serial)?;
        let line = journal_line(&Record { lineage: lineage.to_owned(), serial: next, changes });
        let journal_path = self.journal_path();
        let journal = writer.journal.as_mut().expect("check_base opened the journal");
        // One write of a whole line: a crash leaves it whole or torn at the end.
        let appended = journal
            .write_all(&line)
            .and_then(|()| journal.sync_data())
            .and_then(|()| journal.metadata())
            .map_err(Self::io_error("append to", &journal_path))?;
        // A settle poll of a large fleet makes a line of megabytes: gone
        // before a compaction reads the journal back.
        drop(line);
        let known = writer.known.as_mut().expect("check_base read the files");
        known.serial = next;
        known.journal = Stamp { len: appended.len(), modified: appended.modified().ok() };
        if known.journal.len >= COMPACT_AT {
            self.compact_locked(&mut writer)?;
        }
        Ok(next)
    }

    fn audit(&self) -> Result<Vec<AuditEntry>, StateError> {
        let Some(disk) = self.read_disk()? else { return Ok(Vec::new()) };
        let mut entries = match disk.audit {
            Err(embedded) => embedded,
            Ok(log) => read_audit_log(&self.audit_path(), log)?,
        };
        entries.extend(disk.journal_audit);
        Ok(entries)
    }

    fn compact(&self) -> Result<(), StateError> {
        let mut writer = self.writer();
        self.compact_locked(&mut writer)
    }

    fn lock(
        &self,
        operation: &str,
        actor: &Actor,
        timeout: Duration,
    ) -> Result<StateLock, StateError> {
        let held = lock::acquire(self.lock_path(), operation, actor, timeout)?;
        self.remove_stale_temps();
        Ok(held)
    }

    fn force_unlock(&self, id: &str, force: bool) -> Result<Option<LockInfo>, StateError> {
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        lock::force_unlock(&self.path, self.lock_path(), id, force, &host)
    }

    fn push(&self, state: &State, audit: &[AuditEntry], force: bool) -> Result<(), StateError> {
        let mut writer = self.writer();
        // An empty journal first: what follows replaces the snapshot and the
        // audit log, which no journal record may then be replayed over.
        self.compact_locked(&mut writer)?;
        let stored = self.read()?;
        let stored_audit = if stored.is_some() { self.audit()? } else { Vec::new() };
        let location = self.location();
        let (replace, new) =
            check_push(&location, stored.as_ref(), state, &stored_audit, audit, force)?;
        let mut entries = if replace { Vec::new() } else { stored_audit };
        entries.extend(new.into_iter().cloned());
        // One rename replaces the state and its audit log together: a
        // version 1 snapshot holds its log, and the compaction that follows
        // moves it to the log file as for any version 1 state. A crash
        // before the rename leaves the old state, after it the pushed one;
        // writing the log first would pair the old snapshot with a log of
        // another lineage.
        let document = Document {
            format_version: 1,
            jobform_version: env!("CARGO_PKG_VERSION").to_owned(),
            serial: state.serial,
            lineage: state.lineage.clone(),
            jobs: state.jobs.clone(),
            audit: Some(entries),
            audit_log: None,
        };
        self.write_snapshot(&document)?;
        writer.journal = None;
        writer.known = None;
        self.compact_locked(&mut writer)
    }
}

/// Replays the journal read from `journal` (at `path`) over `state`, a line
/// at a time, handing the audit entries of the records it applies to
/// `audit`; returns the length of the whole records.
fn replay(
    path: &Path,
    mut journal: impl BufRead,
    state: &mut State,
    mut audit: impl FnMut(AuditEntry) -> Result<(), StateError>,
) -> Result<u64, StateError> {
    let mut valid = 0;
    let mut buffer = Vec::new();
    for index in 0.. {
        buffer.clear();
        let read =
            journal.read_until(b'\n', &mut buffer).map_err(StateFile::io_error("read", path))?;
        if read == 0 {
            break;
        }
        let Some(line) = buffer.strip_suffix(b"\n") else {
            // Torn: the crash came before the append finished, so the
            // commit never returned and nothing relied on it.
            break;
        };
        let damaged = |detail: String| StateError::CorruptLog {
            what: "journal",
            path: path.to_path_buf(),
            line: index + 1,
            detail,
            advice: JOURNAL_ADVICE,
        };
        let record = decode(line).map_err(damaged)?;
        if record.lineage != state.lineage {
            return Err(damaged(format!(
                "the record belongs to lineage {}, the state file to {}",
                record.lineage, state.lineage
            )));
        }
        // Records the snapshot already holds: a compaction stopped before it
        // emptied the journal.
        if record.serial > state.serial {
            if record.serial != state.serial + 1 {
                return Err(damaged(format!(
                    "serial {} follows serial {}: a record is missing",
                    record.serial, state.serial
                )));
            }
            state.serial = record.serial;
            state.apply(record.changes).into_iter().try_for_each(&mut audit)?;
        }
        valid += line.len() as u64 + 1;
    }
    Ok(valid)
}

/// Audit entries being appended to the log as JSON lines, counted for the
/// snapshot's [`AuditLog`].
struct AuditAppend {
    log: io::BufWriter<File>,
    /// Bytes written.
    length: u64,
    entries: u64,
}

impl AuditAppend {
    fn push(&mut self, entry: &AuditEntry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).expect("audit entries serialize");
        line.push(b'\n');
        self.log.write_all(&line)?;
        self.length += line.len() as u64;
        self.entries += 1;
        Ok(())
    }
}

/// `record` as a journal line: eight hex digits of CRC-32, a space, the
/// record, a newline. Serialized once into the buffer that is written, the
/// checksum filled in last (a second buffer would double a large line).
fn journal_line(record: &Record<&ChangeSet>) -> Vec<u8> {
    const PREFIX: usize = "00000000 ".len();
    let mut line = vec![b' '; PREFIX];
    serde_json::to_writer(&mut line, record).expect("journal records serialize");
    let crc = format!("{:08x}", crc32fast::hash(&line[PREFIX..]));
    line[..PREFIX - 1].copy_from_slice(crc.as_bytes());
    line.push(b'\n');
    line
}

/// A journal line: eight hex digits of CRC-32, a space, the record.
fn decode(line: &[u8]) -> Result<Record<ChangeSet>, String> {
    let (Some(crc), Some(b' '), Some(json)) = (line.get(..8), line.get(8), line.get(9..)) else {
        return Err("not a journal record".to_owned());
    };
    let crc = std::str::from_utf8(crc)
        .ok()
        .and_then(|crc| u32::from_str_radix(crc, 16).ok())
        .ok_or("not a journal record (no checksum)")?;
    if crc32fast::hash(json) != crc {
        return Err("its checksum does not match its content".to_owned());
    }
    serde_json::from_slice(json).map_err(|error| format!("not a journal record ({error})"))
}

/// The audit log entries the snapshot covers.
fn read_audit_log(path: &Path, log: AuditLog) -> Result<Vec<AuditEntry>, StateError> {
    let bytes = read_optional(path)?.unwrap_or_default();
    let damaged = |line: usize, detail: String| StateError::CorruptLog {
        what: "audit log",
        path: path.to_path_buf(),
        line,
        detail,
        advice: AUDIT_ADVICE,
    };
    let covered = usize::try_from(log.length).ok().and_then(|length| bytes.get(..length));
    let Some(covered) = covered else {
        return Err(damaged(
            bytes.split(|b| *b == b'\n').count(),
            format!(
                "the file has {} bytes, fewer than the {} the state file records",
                bytes.len(),
                log.length
            ),
        ));
    };
    covered
        .split_inclusive(|b| *b == b'\n')
        .enumerate()
        .map(|(index, line)| {
            serde_json::from_slice(line)
                .map_err(|error| damaged(index + 1, format!("not an audit entry ({error})")))
        })
        .collect()
}

/// A symlinked path's final target (relative links resolved against the
/// link's directory); the path itself when it is not a link.
fn follow_symlinks(mut path: PathBuf) -> PathBuf {
    // As many links as the OS follows; a loop then fails where it is opened.
    for _ in 0..40 {
        let Ok(target) = fs::read_link(&path) else { break };
        path = match path.parent() {
            Some(parent) => parent.join(target),
            None => target,
        };
    }
    path
}

/// The file's content, `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StateError::Io { action: "read", path: path.to_path_buf(), source }),
    }
}

fn stamp(path: &Path) -> Result<Stamp, StateError> {
    let metadata = fs::metadata(path).map_err(StateFile::io_error("read", path))?;
    Ok(Stamp { len: metadata.len(), modified: metadata.modified().ok() })
}

/// The journal's stamp; an empty one when there is no journal.
fn journal_stamp(path: &Path) -> Result<Stamp, StateError> {
    match stamp(path) {
        Err(StateError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            Ok(Stamp { len: 0, modified: None })
        }
        other => other,
    }
}

/// Cuts the file to `len` bytes, durably.
fn truncate(path: &Path, len: u64) -> Result<(), StateError> {
    let file = match OpenOptions::new().write(true).open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound && len == 0 => return Ok(()),
        Err(source) => {
            return Err(StateError::Io { action: "open", path: path.to_path_buf(), source });
        }
    };
    file.set_len(len).and_then(|()| file.sync_all()).map_err(StateFile::io_error("truncate", path))
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Replaces `path` with what `contents` writes so that a crash at any point
/// leaves either the old or the new content: write a temp file beside it
/// (with `mode`, the replaced file's permissions), fsync it, rename it over,
/// fsync the directory.
fn write_atomically(
    path: &Path,
    mode: Option<Permissions>,
    contents: impl FnOnce(&mut io::BufWriter<&File>) -> io::Result<()>,
) -> Result<(), StateError> {
    let temp = sibling(path, &format!(".tmp-{}", std::process::id()));
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)
        .map_err(StateFile::io_error("create", &temp))?;
    if let Some(mode) = mode {
        file.set_permissions(mode).map_err(StateFile::io_error("set the mode of", &temp))?;
    }
    let mut out = io::BufWriter::new(&file);
    contents(&mut out).and_then(|()| out.flush()).map_err(StateFile::io_error("write", &temp))?;
    drop(out);
    file.sync_all().map_err(StateFile::io_error("sync", &temp))?;
    drop(file);
    fs::rename(&temp, path).map_err(StateFile::io_error("rename into place", path))?;
    sync_dir(path);
    Ok(())
}

/// Makes a new or renamed directory entry of `path` durable. Directories
/// cannot be opened for syncing on every platform; where they cannot, the
/// file system orders it.
fn sync_dir(path: &Path) {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::model::{Direction, JobKind, LiveState, ProviderRef};
    use crate::state::record::{ActionOutcome, AuditVerb, Observation};

    fn record(raw_status: &str) -> JobRecord {
        JobRecord {
            kind: JobKind::HuaweiDrs,
            id: "8d0e8e36-a618-490d-8a46-8c61ac9bb502".to_owned(),
            provider: ProviderRef { cloud: crate::model::Cloud::Huawei, alias: None },
            direction: Direction::Forward,
            observed: Observation {
                raw_status: raw_status.to_owned(),
                state: LiveState::Suspended,
                at: datetime!(2026-11-21 10:00 UTC),
                job_type: None,
            },
            paused: None,
            last_action: None,
        }
    }

    fn entry(name: &str) -> AuditEntry {
        AuditEntry {
            at: datetime!(2026-11-21 10:00 UTC),
            who: Actor { user: "dba".to_owned(), host: "h".to_owned(), ci: None },
            message: None,
            address: Address::new(JobKind::HuaweiDrs, name),
            job_id: "8d0e8e36-a618-490d-8a46-8c61ac9bb502".to_owned(),
            verb: AuditVerb::Suspend,
            request_id: None,
            outcome: ActionOutcome::Succeeded,
            detail: None,
        }
    }

    fn upsert(name: &str, raw_status: &str) -> ChangeSet {
        ChangeSet {
            jobs: [(Address::new(JobKind::HuaweiDrs, name), record(raw_status))].into(),
            audit: vec![entry(name)],
            ..ChangeSet::default()
        }
    }

    /// A store in a temp dir, with one job committed (serial 1).
    fn committed() -> (tempfile::TempDir, StateFile, State) {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::new(dir.path().join(crate::state::DEFAULT_PATH));
        let mut state = file.load().unwrap();
        state.serial = file.commit(&state.lineage, state.serial, &upsert("eu", "PAUSING")).unwrap();
        (dir, file, state)
    }

    #[test]
    fn commits_append_to_the_journal_and_compaction_folds_them_into_the_snapshot() {
        let (_dir, file, mut state) = committed();
        assert_eq!(state.serial, 1);
        let snapshot = fs::read(file.path()).unwrap();
        let removed = ChangeSet {
            removed: [Address::new(JobKind::HuaweiDrs, "eu")].into(),
            ..upsert("us", "INCRE_TRANSFER_STARTED")
        };
        state.serial = file.commit(&state.lineage, state.serial, &removed).unwrap();
        assert_eq!(fs::read(file.path()).unwrap(), snapshot, "a commit only appends");
        let loaded = file.load().unwrap();
        assert_eq!(loaded.serial, 2);
        assert_eq!(
            loaded.jobs.keys().map(ToString::to_string).collect::<Vec<_>>(),
            ["huawei_drs.us"]
        );
        assert_eq!(file.audit().unwrap(), [entry("eu"), entry("us")]);

        file.compact().unwrap();
        assert_eq!(fs::read(file.journal_path()).unwrap(), b"");
        assert_eq!(file.load().unwrap(), loaded, "compaction changes nothing but the files");
        assert_eq!(file.audit().unwrap(), [entry("eu"), entry("us")]);
        let backup: serde_json::Value =
            serde_json::from_slice(&fs::read(file.backup_path()).unwrap()).unwrap();
        assert_eq!(backup["serial"], 0, "the previous snapshot is the backup");
        // The guard holds after a compaction too, and a stale writer is refused.
        assert!(matches!(
            file.commit(&state.lineage, 1, &upsert("x", "PAUSING")),
            Err(StateError::Conflict { expected: 1, found: 2, .. })
        ));
        let other = StateFile::new(file.path());
        assert!(matches!(
            other.commit("another-lineage", 2, &upsert("x", "PAUSING")),
            Err(StateError::ForeignLineage { .. })
        ));
        assert_eq!(other.commit(&state.lineage, 2, &upsert("x", "PAUSING")).unwrap(), 3);
        assert!(
            matches!(
                file.commit(&state.lineage, 2, &upsert("y", "PAUSING")),
                Err(StateError::Conflict { found: 3, .. })
            ),
            "a commit by another writer is noticed without re-reading"
        );
    }

    #[test]
    fn a_forced_push_of_another_lineage_replaces_state_and_log_in_one_rename() {
        let (_dir, file, mut state) = committed();
        for name in ["us", "de"] {
            state.serial =
                file.commit(&state.lineage, state.serial, &upsert(name, "PAUSING")).unwrap();
        }
        file.compact().unwrap();
        let old_log = fs::read(file.audit_path()).unwrap();
        let pushed = State { lineage: "other".to_owned(), serial: 7, ..state.clone() };
        file.push(&pushed, &[entry("pushed")], true).unwrap();
        assert_eq!(
            (file.load().unwrap().lineage, file.audit().unwrap()),
            ("other".to_owned(), vec![entry("pushed")])
        );
        // As if the crash came after the snapshot was renamed, before its
        // compaction moved the log out: the old lineage's longer log is
        // still beside it, and is not read as the pushed state's.
        let mut document: Document =
            serde_json::from_slice(&fs::read(file.path()).unwrap()).unwrap();
        document.format_version = 1;
        document.audit = Some(vec![entry("pushed")]);
        document.audit_log = None;
        fs::write(file.path(), serde_json::to_vec(&document).unwrap()).unwrap();
        fs::write(file.audit_path(), &old_log).unwrap();
        assert_eq!(file.audit().unwrap(), [entry("pushed")]);
        file.compact().unwrap();
        assert_eq!(file.audit().unwrap(), [entry("pushed")]);
        assert_eq!(file.load().unwrap().serial, 7);
    }

    #[test]
    fn a_compaction_interrupted_after_appending_the_audit_log_is_redone_once() {
        let (_dir, file, state) = committed();
        let journal = fs::read(file.journal_path()).unwrap();
        file.compact().unwrap();
        let audit_len = fs::metadata(file.audit_path()).unwrap().len();
        // As if the crash came after the snapshot was renamed, before the
        // journal was emptied, and after a second compaction appended the
        // audit entries again without renaming its snapshot.
        fs::write(file.journal_path(), &journal).unwrap();
        let mut log = OpenOptions::new().append(true).open(file.audit_path()).unwrap();
        log.write_all(b"{\"half\": ").unwrap();
        assert_eq!(
            file.load().unwrap().serial,
            state.serial,
            "records the snapshot holds are skipped"
        );
        assert_eq!(file.audit().unwrap(), [entry("eu")]);
        file.compact().unwrap();
        assert_eq!(fs::metadata(file.audit_path()).unwrap().len(), audit_len);
        assert_eq!(file.audit().unwrap(), [entry("eu")]);
    }

    /// Compaction streams the journal, appending audit entries as it
    /// replays: a damaged record stops it with lines in the audit log past
    /// what the snapshot covers. Nothing reads them, and once the journal is
    /// repaired the next compaction cuts them off before appending again.
    #[test]
    fn a_compaction_stopped_by_a_damaged_record_is_redone_once_repaired() {
        let (_dir, file, mut state) = committed();
        state.serial = file.commit(&state.lineage, state.serial, &upsert("us", "PAUSING")).unwrap();
        let journal = fs::read(file.journal_path()).unwrap();
        let snapshot = fs::read(file.path()).unwrap();
        let covered = fs::metadata(file.audit_path()).map_or(0, |m| m.len());
        let first_line = journal.iter().position(|b| *b == b'\n').unwrap() + 1;
        let mut damaged = journal.clone();
        let at = first_line + (journal.len() - first_line) / 2;
        damaged[at] = if damaged[at] == b'X' { b'Y' } else { b'X' };
        fs::write(file.journal_path(), &damaged).unwrap();

        let error = file.compact().unwrap_err();
        assert!(matches!(error, StateError::CorruptLog { line: 2, .. }), "{error}");
        assert_eq!(fs::read(file.path()).unwrap(), snapshot, "the snapshot stands");
        assert_eq!(fs::read(file.journal_path()).unwrap(), damaged, "the journal stands");
        assert!(fs::metadata(file.audit_path()).unwrap().len() > covered, "a stray line");

        fs::write(file.journal_path(), &journal).unwrap();
        assert_eq!(file.audit().unwrap(), [entry("eu"), entry("us")], "the stray lines unread");
        file.compact().unwrap();
        assert_eq!(file.audit().unwrap(), [entry("eu"), entry("us")], "appended once");
        assert_eq!(file.load().unwrap().serial, 2);
        assert_eq!(fs::metadata(file.journal_path()).unwrap().len(), 0);
    }

    #[test]
    fn a_torn_last_record_is_dropped_and_a_damaged_one_refused_with_its_line() {
        let (_dir, file, mut state) = committed();
        state.serial = file.commit(&state.lineage, state.serial, &upsert("us", "PAUSING")).unwrap();
        let journal = fs::read(file.journal_path()).unwrap();
        let first_line = journal.iter().position(|b| *b == b'\n').unwrap() + 1;

        // Cut anywhere inside the second record: the first one stands.
        for cut in [first_line + 1, first_line + 12, journal.len() - 1] {
            fs::write(file.journal_path(), &journal[..cut]).unwrap();
            let loaded = file.load().unwrap();
            assert_eq!(loaded.serial, 1, "cut at {cut}");
            assert_eq!(
                fs::read(file.journal_path()).unwrap(),
                &journal[..cut],
                "reading writes nothing"
            );
        }
        // The next commit cuts the torn record off before appending.
        let fresh = StateFile::new(file.path());
        assert_eq!(fresh.commit(&state.lineage, 1, &upsert("de", "PAUSING")).unwrap(), 2);
        assert_eq!(fresh.load().unwrap().jobs.len(), 2);

        // A flipped byte in the first record: in its checksum, in its content.
        for (at, expected) in
            [(0, "not a journal record"), (first_line / 2, "checksum does not match")]
        {
            let mut damaged = journal.clone();
            damaged[at] = if damaged[at] == b'X' { b'Y' } else { b'X' };
            fs::write(file.journal_path(), &damaged).unwrap();
            let error = file.load().unwrap_err();
            let message = error.to_string();
            assert!(matches!(error, StateError::CorruptLog { line: 1, .. }), "{message}");
            assert!(
                message.contains("jobform.state.json.journal is corrupt at line 1"),
                "{message}"
            );
            assert!(message.contains(expected), "{message}");
            assert!(
                matches!(
                    file.commit(&state.lineage, 2, &upsert("x", "PAUSING")),
                    Err(StateError::CorruptLog { .. })
                ),
                "never written over"
            );
            assert_eq!(fs::read(file.journal_path()).unwrap(), damaged);
        }
    }

    #[test]
    fn refuses_corrupt_newer_and_exhausted_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let file = StateFile::new(&path);
        for (content, expected) in [
            ("{\"format_version\": 1, \"serial\": ", "not valid JSON"),
            ("[]", "no `format_version`"),
            ("{\"format_version\": \"1\"}", "not a whole number"),
            ("{\"format_version\": 0}", "`format_version` 0"),
            ("{\"format_version\": 1}", "missing field"),
        ] {
            fs::write(&path, content).unwrap();
            let error = file.read().unwrap_err().to_string();
            assert!(error.contains(expected), "{error}");
            assert_eq!(fs::read_to_string(&path).unwrap(), content, "never overwritten");
        }
        fs::write(&path, "{\"format_version\": 7, \"whatever\": true}").unwrap();
        assert!(matches!(file.read(), Err(StateError::NewerFormat { found: 7, .. })));
        assert!(matches!(
            file.commit("l", u64::MAX, &upsert("eu", "PAUSING")),
            Err(StateError::SerialExhausted { .. })
        ));
    }
}
