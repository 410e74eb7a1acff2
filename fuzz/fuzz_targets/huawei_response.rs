//! The Huawei v3 response decoder on an arbitrary status, retry-after header
//! and body: an answer or a ProviderError, never a panic.
#![no_main]

use jobform::provider::fuzzing::decode_huawei;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, Option<&str>, &[u8])| {
    let (status, retry_after, body) = input;
    let _ = decode_huawei(status, retry_after, body);
});
