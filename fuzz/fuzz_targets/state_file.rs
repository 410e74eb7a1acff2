//! The state file reader on arbitrary bytes: a state or an error, and a
//! refused file is left as it was.
#![no_main]

use jobform::state::{StateFile, StateStore};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("jobform.state.json");
    std::fs::write(&path, bytes).expect("write the state file");
    let _ = StateFile::new(&path).read();
    assert_eq!(std::fs::read(&path).expect("read back"), bytes, "the file is left as it was");
});
