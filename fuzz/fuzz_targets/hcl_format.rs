//! `jobform fmt` on arbitrary text: formatted text or an error, and
//! formatting formatted text changes nothing.
#![no_main]

use jobform::hclfmt::format_source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(formatted) = format_source(text) {
        assert_eq!(format_source(&formatted), Ok(formatted.clone()), "formatting is idempotent");
    }
});
