//! The configuration loader on arbitrary text as `main.hcl`: a value or
//! diagnostics, never a panic or a hang.
#![no_main]

use jobform::config::{Environment, VarInputs, load_dir};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.hcl"), text).expect("write main.hcl");
    if let Err(diagnostics) = load_dir(dir.path(), &VarInputs::default(), &Environment::default()) {
        assert!(diagnostics.error_count() > 0, "a refused configuration names an error");
    }
});
