//! A bounded, property-based smoke run over every parser of untrusted input:
//! the configuration loader, the formatter, the state file, saved plans and
//! the clouds' response decoders.
//! Whatever the bytes, each answers with a value or a clear error, never a
//! panic or a hang. (The coverage-guided fuzz targets live under `fuzz/`.)

use proptest::prelude::*;

use jobform::config::{DataInput, Environment, VarInputs, load_dir};
use jobform::hclfmt::format_source;
use jobform::plan::{SAVED_PLAN_FORMAT_VERSION, SavedPlan, SavedPlanError};
use jobform::provider::ProviderErrorKind;
use jobform::provider::fuzzing::{decode_alibaba, decode_huawei};
use jobform::state::{StateError, StateFile, StateStore};

/// Fragments of jobform's HCL, so random text often parses and reaches the
/// evaluator and validator instead of stopping at the first byte.
const FRAGMENTS: &[&str] = &[
    "job",
    "provider",
    "variable",
    "locals",
    "\"alibaba_dts\"",
    "\"huawei_drs\"",
    "\"alibaba\"",
    "\"huawei\"",
    "\"x\"",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "=",
    ",",
    ".",
    "\n",
    " ",
    "id",
    "state",
    "\"running\"",
    "\"suspended\"",
    "\"stopped\"",
    "for_each",
    "each.value",
    "each.key",
    "depends_on",
    "alibaba_dts.x",
    "var.v",
    "local.l",
    "toset([\"a\"])",
    "format(\"%s\", 1)",
    "env(\"HOME\")",
    "true",
    "false",
    "null",
    "42",
    "region",
    "project_id",
    "allow_stop",
    "direction",
    "\"reverse\"",
    "pause_mode",
    "\"all\"",
    "${",
    "?",
    ":",
    "# c",
    "<<EOT\nx\nEOT",
    "\"8d0e8e36-a618-490d-8a46-8c61ac9bb502\"",
    "type",
    "bool",
    "default",
    "validation",
];

/// Fragments of both clouds' answers, so random bodies often are JSON of
/// roughly the right shape.
const RESPONSE_FRAGMENTS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"RequestId\"",
    "\"Success\"",
    "\"Code\"",
    "\"Message\"",
    "\"ErrCode\"",
    "\"ErrMessage\"",
    "\"DynamicMessage\"",
    "\"DtsJobList\"",
    "\"TotalRecordCount\"",
    "\"Status\"",
    "\"DtsJobId\"",
    "\"ReverseJob\"",
    "\"MigrationJobs\"",
    "\"MigrationJob\"",
    "\"SynchronizationInstances\"",
    "\"error_code\"",
    "\"error_msg\"",
    "\"results\"",
    "\"count\"",
    "\"status\"",
    "\"id\"",
    "\"jobs\"",
    "\"code\"",
    "\"message\"",
    "\"error\"",
    "\"x\"",
    "\"%s\"",
    "\"Throttling.User\"",
    "\"APIGW.0308\"",
    "\"true\"",
    "true",
    "false",
    "null",
    "0",
    "-1",
    "18446744073709551616",
    "1e400",
    "\"é\"",
    "\"\\ud800\"",
];

fn hcl_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60).prop_map(|parts| parts.concat())
}

/// Found by `fuzz/config_loader`: an error at the `\r` of a CRLF line ending
/// inside an unclosed block panicked while building its snippet.
#[test]
fn an_error_at_a_crlf_line_ending_is_reported() {
    for text in ["m{#w\r\n", "m{#w\r\n\u{84}\nw"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.hcl"), text).unwrap();
        let result = load_dir(
            dir.path(),
            &VarInputs::default(),
            &Environment::default(),
            DataInput::Unknown,
        );
        assert!(result.is_err_and(|diagnostics| diagnostics.error_count() > 0), "{text:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_loader_answers_any_configuration(text in prop_oneof![hcl_soup(), ".{0,200}"]) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.hcl"), &text).unwrap();
        let environment = Environment::default();
        match load_dir(dir.path(), &VarInputs::default(), &environment, DataInput::Unknown) {
            Ok(_) => {}
            Err(diagnostics) => prop_assert!(diagnostics.error_count() > 0),
        }
    }

    #[test]
    fn the_formatter_answers_any_text_and_is_idempotent(text in prop_oneof![hcl_soup(), ".{0,200}"]) {
        if let Ok(formatted) = format_source(&text) {
            let again = format_source(&formatted);
            prop_assert_eq!(again, Ok(formatted));
        }
    }

    #[test]
    fn state_files_are_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..400), json in "\\{\"format_version\": [0-9], .{0,80}\\}") {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        for content in [bytes.as_slice(), json.as_bytes()] {
            std::fs::write(&path, content).unwrap();
            // No state fits in these bytes: each is refused as corrupt or
            // newer, naming the file, and left as it was.
            let error = StateFile::new(&path).read().expect_err("no state fits in these bytes");
            prop_assert!(
                match &error {
                    StateError::Corrupt { path: named, .. } => *named == path,
                    StateError::NewerFormat { state, .. } => state.contains(&*path.to_string_lossy()),
                    _ => false,
                },
                "{error:?}"
            );
            prop_assert_eq!(std::fs::read(&path).unwrap(), content, "a refused file is left as it was");
        }
    }

    #[test]
    fn plan_files_are_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..400), version in 0..10u64, rest in ".{0,80}") {
        // No plan fits in these bytes: they are refused as corrupt, or as
        // another format when they are JSON naming another version.
        let refused = SavedPlan::from_json(&bytes).expect_err("no plan fits in random bytes");
        prop_assert!(matches!(refused, SavedPlanError::Corrupt(_) | SavedPlanError::OtherFormat { .. }), "{refused:?}");
        let text = format!("{{\"format_version\": {version}, {rest}}}");
        let refused = SavedPlan::from_json(text.as_bytes()).expect_err("no plan fits in this text");
        let is_json = serde_json::from_str::<serde_json::Value>(&text).is_ok();
        if is_json && version != u64::from(SAVED_PLAN_FORMAT_VERSION) {
            prop_assert!(matches!(refused, SavedPlanError::OtherFormat { found } if found == version), "{text}: {refused:?}");
        } else {
            prop_assert!(matches!(refused, SavedPlanError::Corrupt(_)), "{text}: {refused:?}");
        }
    }

    #[test]
    fn cloud_responses_are_decoded_or_refused(
        status in prop_oneof![Just(200u16), Just(400u16), Just(429u16), Just(500u16), any::<u16>()],
        retry_after in prop::option::of("[0-9]{0,12}|.{0,8}"),
        body in prop_oneof![
            prop::collection::vec(prop::sample::select(RESPONSE_FRAGMENTS), 0..40).prop_map(|parts| parts.concat().into_bytes()),
            prop::collection::vec(any::<u8>(), 0..200),
        ],
    ) {
        for results in [
            decode_alibaba(status, retry_after.as_deref(), &body),
            decode_huawei(status, retry_after.as_deref(), &body),
        ] {
            for error in results.into_iter().filter_map(Result::err) {
                prop_assert!(matches!(error.kind, ProviderErrorKind::Api { .. } | ProviderErrorKind::Malformed { .. }), "{error:?}");
                prop_assert_eq!(error.http_status, Some(status));
            }
        }
    }
}
