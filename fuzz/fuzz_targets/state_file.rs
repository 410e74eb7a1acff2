//! The state reader on arbitrary bytes: the snapshot, and the journal and
//! audit log replayed over a valid snapshot. A state or an error, never a
//! panic, and a refused file is left as it was.
#![no_main]

use jobform::state::{StateFile, StateStore};
use libfuzzer_sys::fuzz_target;

/// A valid version 2 snapshot whose audit log is its first 64 bytes.
const SNAPSHOT: &str = r#"{"format_version": 2, "jobform_version": "0.1.0", "serial": 0,
  "lineage": "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f", "jobs": {},
  "audit_log": {"length": 64, "entries": 1}}"#;

fuzz_target!(|bytes: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("jobform.state.json");
    let file = StateFile::new(&path);
    std::fs::write(&path, bytes).expect("write the state file");
    let _ = file.read();
    assert_eq!(std::fs::read(&path).expect("read back"), bytes, "the file is left as it was");

    std::fs::write(&path, SNAPSHOT).expect("write the snapshot");
    for beside in [file.journal_path(), file.audit_path()] {
        std::fs::write(&beside, bytes).expect("write the journal or audit log");
        let _ = file.read();
        let _ = file.audit();
        assert_eq!(std::fs::read(&beside).expect("read back"), bytes, "left as it was");
        std::fs::remove_file(&beside).expect("remove");
    }
});
