//! Saved plans (`plan -out`) on arbitrary bytes: a plan or an error.
#![no_main]

use jobform::plan::SavedPlan;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = SavedPlan::from_json(bytes);
});
