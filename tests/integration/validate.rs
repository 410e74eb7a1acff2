//! `jobform validate`: every diagnostic class with its file, line, column and
//! caret; all errors of a run at once; secrets never shown; `--json`;
//! variable precedence; the shipped examples.

use serde::Deserialize;

use crate::support::Test;

/// Provider blocks for both clouds, so job tests only see their own mistakes.
const PROVIDERS: &str = r#"
    provider "alibaba" {
      region = "cn-hangzhou"
    }

    provider "huawei" {
      region     = "ap-southeast-1"
      project_id = "054ba152d480d55b2f5dc0069e7ddef0"
    }
"#;

fn validate(main: &str) -> Test {
    Test::new().file("providers.hcl", PROVIDERS).file("main.hcl", main).args(["validate"])
}

#[test]
fn examples_are_valid_without_any_environment() {
    jobform_snapshot!(Test::new().examples().args(["validate"]), @"
    exit_code: 0
    ----- stdout -----
    Success! The configuration is valid (9 jobs, 2 providers).

    ----- stderr -----
    ");
}

#[test]
fn examples_take_the_emulator_var_file_and_maintenance_switch() {
    jobform_snapshot!(
        Test::new()
            .examples()
            .args(["validate", "--var-file", "emulator.vars.hcl", "--var", "maintenance=true"]),
        @"
    exit_code: 0
    ----- stdout -----
    Success! The configuration is valid (9 jobs, 2 providers).

    ----- stderr -----
    "
    );
}

#[test]
fn unknown_argument_suggests_the_closest_name() {
    jobform_snapshot!(validate(r#"
        job "alibaba_dts" "orders" {
          id   = "l3m1213ye7l0001"
          sate = "running"
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Missing required argument
      --> main.hcl:1:1
       |
     1 | job "alibaba_dts" "orders" {
       | ^^^^^^^^^^^^^^^^^^^^^^^^^^
       |
    The argument "state" is required, but no definition was found.

    Error: Unsupported argument
      --> main.hcl:3:3
       |
     3 |   sate = "running"
       |   ^^^^
       |
    An argument named "sate" is not expected here. Did you mean "state"?
    "#);
}

#[test]
fn unknown_block_type_and_job_kind() {
    jobform_snapshot!(validate(r#"
        jobs "alibaba_dts" "orders" {}

        job "alibaba_dtss" "orders" {
          id    = "l3m1213ye7l0001"
          state = "running"
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Unsupported block type
      --> main.hcl:1:1
       |
     1 | jobs "alibaba_dts" "orders" {}
       | ^^^^
       |
    Blocks of type "jobs" are not expected here. Did you mean "job"?

    Error: Unknown job kind
      --> main.hcl:3:5
       |
     3 | job "alibaba_dtss" "orders" {
       |     ^^^^^^^^^^^^^^
       |
    "alibaba_dtss" is not a job kind: expected one of "alibaba_dts", "alibaba_migration", "alibaba_synchronization", "huawei_drs". Did you mean "alibaba_dts"?
    "#);
}

#[test]
fn wrong_type_and_bad_enum_value() {
    jobform_snapshot!(validate(r#"
        job "huawei_drs" "eu" {
          id         = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
          state      = "runing"
          pause_mode = "everything"
          allow_stop = ["yes"]
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid value
      --> main.hcl:3:16
       |
     3 |   state      = "runing"
       |                ^^^^^^^^
       |
    "runing" is not a valid value for "state": expected one of "running", "suspended", "stopped". Did you mean "running"?

    Error: Invalid value
      --> main.hcl:4:16
       |
     4 |   pause_mode = "everything"
       |                ^^^^^^^^^^^^
       |
    "everything" is not a valid value for "pause_mode": expected one of "target", "all".

    Error: Incorrect argument value type
      --> main.hcl:5:16
       |
     5 |   allow_stop = ["yes"]
       |                ^^^^^^^
       |
    Inappropriate value for argument "allow_stop": bool required, got list.
    "#);
}

#[test]
fn duplicate_job_address() {
    jobform_snapshot!(validate(r#"
        job "alibaba_migration" "inventory" {
          id    = "dtsj1x11y51g3b0004"
          state = "running"
        }

        job "alibaba_migration" "inventory" {
          id    = "dtsj1x11y51g3b0005"
          state = "running"
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Duplicate job block
      --> main.hcl:6:1
       |
     6 | job "alibaba_migration" "inventory" {
       | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
       |
    A job block "alibaba_migration.inventory" was already declared at main.hcl:1:1. Each job block needs a unique kind and name.
    "#);
}

#[test]
fn huawei_job_id_must_be_a_uuid() {
    jobform_snapshot!(validate(r#"
        job "huawei_drs" "eu" {
          id    = "8d0e8e36a618"
          state = "suspended"
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid job id
      --> main.hcl:2:11
       |
     2 |   id    = "8d0e8e36a618"
       |           ^^^^^^^^^^^^^^
       |
    "8d0e8e36a618" is not a Huawei DRS job id: those are UUIDs such as 8d0e8e36-a618-490d-8a46-8c61ac9bb502.
    "#);
}

#[test]
fn depends_on_a_missing_job() {
    jobform_snapshot!(validate(r#"
        job "alibaba_dts" "orders" {
          id         = "l3m1213ye7l0001"
          state      = "running"
          depends_on = [alibaba_dts.billing, alibaba_dts.order]
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Reference to undeclared job
      --> main.hcl:4:17
       |
     4 |   depends_on = [alibaba_dts.billing, alibaba_dts.order]
       |                 ^^^^^^^^^^^^^^^^^^^
       |
    depends_on names the job alibaba_dts.billing, but no job block declares it.

    Error: Reference to undeclared job
      --> main.hcl:4:38
       |
     4 |   depends_on = [alibaba_dts.billing, alibaba_dts.order]
       |                                      ^^^^^^^^^^^^^^^^^
       |
    depends_on names the job alibaba_dts.order, but no job block declares it. Did you mean "alibaba_dts.orders"?
    "#);
}

#[test]
fn dependency_cycle_is_named() {
    jobform_snapshot!(validate(r#"
        job "alibaba_dts" "a" {
          id         = "l3m1213ye7l0001"
          state      = "running"
          depends_on = [alibaba_dts.b]
        }

        job "alibaba_dts" "b" {
          id         = "k2n8x7c1vq90002"
          state      = "running"
          depends_on = [alibaba_dts.a]
        }
    "#), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Dependency cycle
      --> main.hcl:4:17
       |
     4 |   depends_on = [alibaba_dts.b]
       |                 ^^^^^^^^^^^^^
       |
    These jobs depend on each other, so no order can satisfy them: alibaba_dts.a -> alibaba_dts.b -> alibaba_dts.a.
    ");
}

#[test]
fn reverse_direction_on_a_kind_without_one() {
    jobform_snapshot!(validate(r#"
        job "alibaba_migration" "inventory" {
          id        = "dtsj1x11y51g3b0004"
          state     = "running"
          direction = "reverse"
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid direction
      --> main.hcl:4:15
       |
     4 |   direction = "reverse"
       |               ^^^^^^^^^
       |
    alibaba_migration jobs have no reverse direction: only alibaba_dts and alibaba_synchronization jobs manage the reverse task of a two-way synchronization.
    "#);
}

#[test]
fn the_legacy_synchronization_api_cannot_stop() {
    jobform_snapshot!(validate(r#"
        job "alibaba_synchronization" "reports" {
          id         = "dtsz7k1m2n3p4q0006"
          state      = "stopped"
          allow_stop = true
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Stop not supported
      --> main.hcl:3:16
       |
     3 |   state      = "stopped"
       |                ^^^^^^^^^
       |
    The alibaba_synchronization API cannot stop a job: manage the task as an alibaba_dts job instead.
    "#);
}

#[test]
fn stopping_needs_allow_stop() {
    jobform_snapshot!(validate(r#"
        job "alibaba_dts" "billing" {
          id    = "k2n8x7c1vq90002"
          state = "stopped"
        }

        job "alibaba_dts" "orders" {
          id         = "l3m1213ye7l0001"
          state      = "stopped"
          allow_stop = true
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Stopping a job needs allow_stop
      --> main.hcl:3:11
       |
     3 |   state = "stopped"
       |           ^^^^^^^^^
       |
    Stopping ends the job for good. To allow it, set allow_stop = true in this block.
    "#);
}

#[test]
fn provider_referenced_but_not_declared() {
    jobform_snapshot!(Test::new().file("main.hcl", r#"
        provider "alibaba" {
          alias  = "eu"
          region = "eu-central-1"
        }

        job "alibaba_dts" "orders" {
          id       = "l3m1213ye7l0001"
          state    = "running"
          provider = alibaba.us
        }

        job "huawei_drs" "eu" {
          id    = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
          state = "running"
        }
    "#).args(["validate"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Reference to undeclared provider
      --> main.hcl:9:14
       |
     9 |   provider = alibaba.us
       |              ^^^^^^^^^^
       |
    No provider "alibaba.us" is declared: add a provider "alibaba" block with alias = "us". Did you mean "alibaba.eu"?

    Error: Missing provider configuration
      --> main.hcl:12:1
        |
     12 | job "huawei_drs" "eu" {
        | ^^^^^^^^^^^^^^^^^^^^^
        |
    No provider "huawei" block without alias is declared. huawei_drs jobs use it unless they set provider = huawei.ALIAS.
    "#);
}

#[test]
fn missing_required_arguments() {
    jobform_snapshot!(Test::new().file("main.hcl", r#"
        provider "alibaba" {
        }

        provider "huawei" {
          region = "ap-southeast-1"
        }

        job "alibaba_dts" "orders" {
          description = "no id, no state"
        }
    "#).args(["validate"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Missing required argument
      --> main.hcl:1:1
       |
     1 | provider "alibaba" {
       | ^^^^^^^^^^^^^^^^^^
       |
    The argument "region" is required, but no definition was found.

    Error: Missing required argument
      --> main.hcl:4:1
       |
     4 | provider "huawei" {
       | ^^^^^^^^^^^^^^^^^
       |
    The argument "project_id" is required, but no definition was found.

    Error: Missing required argument
      --> main.hcl:8:1
       |
     8 | job "alibaba_dts" "orders" {
       | ^^^^^^^^^^^^^^^^^^^^^^^^^^
       |
    The argument "id" is required, but no definition was found.

    Error: Missing required argument
      --> main.hcl:8:1
       |
     8 | job "alibaba_dts" "orders" {
       | ^^^^^^^^^^^^^^^^^^^^^^^^^^
       |
    The argument "state" is required, but no definition was found.
    "#);
}

#[test]
fn syntax_error_is_located() {
    jobform_snapshot!(validate(r#"
        job "alibaba_dts" "orders" {
          id    = "l3m1213ye7l0001"
          state = running"
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid HCL syntax
      --> main.hcl:3:18
       |
     3 |   state = running"
       |                  ^
       |
    Expected newline or eof.
    "#);
}

/// One unclosed `{` among several files: one error, at the block left open,
/// and none for the other file's reference to a job the broken file declares.
#[test]
fn an_unclosed_block_is_one_error_at_its_opening_line() {
    jobform_snapshot!(validate(r#"
        job "huawei_drs" "a" {
          id    = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
          state = "running"

        job "huawei_drs" "b" {
          id    = "8d0e8e36-a618-490d-8a46-8c61ac9bb503"
          state = "running"
        }
    "#).file("later.hcl", r#"
        job "huawei_drs" "c" {
          id         = "8d0e8e36-a618-490d-8a46-8c61ac9bb504"
          state      = "running"
          depends_on = [huawei_drs.a]
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Unclosed configuration block
      --> main.hcl:1:22
       |
     1 | job "huawei_drs" "a" {
       |                      ^
       |
    There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.
    "#);
}

#[test]
fn secrets_are_masked_and_never_echoed() {
    let outcome = jobform_snapshot!(Test::new().file("main.hcl", r#"
        provider "alibaba" {
          region            = "cn-hangzhou"
          access_key_secret = "jobform-example-secret"
          security_token    = 42 + "jobform-example-token"
        }

        provider "huawei" {
          region     = "ap-southeast-1"
          project_id = "054ba152d480d55b2f5dc0069e7ddef0"
          auth_token = "jobform-example-token"
          access_key = "HWJOBFORMEXAMPLEAK01"
          secret_key = lower(["jobform-example-sk"])
        }
    "#).args(["validate"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Incomplete credentials
      --> main.hcl:3:3
       |
     3 |   access_key_secret = (sensitive)
       |   ^^^^^^^^^^^^^^^^^
       |
    "access_key_secret" is set but "access_key_id" is not: set both, or neither to use the environment.

    Error: Invalid operand
      --> main.hcl:4:23
       |
     4 |   security_token    = (sensitive)
       |                       ^^^^^^^^^^^
       |
    The operator + cannot be applied to a number and a string.

    Error: Conflicting credentials
      --> main.hcl:10:3
        |
     10 |   auth_token = (sensitive)
        |   ^^^^^^^^^^
        |
    Use either auth_token (an IAM token) or access_key and secret_key (AK/SK signing), not both.

    Error: Incomplete credentials
      --> main.hcl:11:3
        |
     11 |   access_key = "HWJOBFORMEXAMPLEAK01"
        |   ^^^^^^^^^^
        |
    "access_key" is set but "secret_key" is not: set both, or neither to use the environment.

    Error: Error in function call
      --> main.hcl:12:16
        |
     12 |   secret_key = (sensitive)
        |                ^^^^^^^^^^^
        |
    Call to function "lower" failed.
    "#);
    let json = Test::new()
        .file("main.hcl", &std::fs::read_to_string(outcome.path().join("main.hcl")).unwrap())
        .args(["validate", "--json"])
        .run();
    assert_eq!(json.code, Some(1));
    for secret in ["jobform-example-secret", "jobform-example-token", "jobform-example-sk"] {
        assert!(!outcome.stderr.contains(secret), "{secret} leaked");
        assert!(!json.stdout.contains(secret), "{secret} leaked into JSON");
    }
    assert!(json.stdout.contains("(sensitive)"));
}

#[test]
fn variables_locals_and_functions() {
    jobform_snapshot!(validate(r#"
        variable "ids" {
          type    = map(string)
          default = { a = "8d0e8e36-a618-490d-8a46-8c61ac9bb502" }
        }

        variable "mode" {
          type = string
          validation {
            condition     = contains(["running", "suspended"], var.mode)
            error_message = "mode must be running or suspended."
          }
        }

        locals {
          state = lower(var.mod)
          label = upper(local.nope)
        }

        job "huawei_drs" "eu" {
          for_each    = var.ids
          id          = each.value
          state       = local.state
          description = formatt("%s", each.key)
        }

        job "alibaba_dts" "orders" {
          id    = each.key
          state = var.mode
        }
    "#).env("JOBFORM_VAR_mode", "paused"), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid value for variable
      --> main.hcl:9:21
       |
     9 |     condition     = contains(["running", "suspended"], var.mode)
       |                     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
       |
    mode must be running or suspended.

    The value of "mode" came from the environment variable JOBFORM_VAR_mode.

    Error: Reference to undeclared input variable
      --> main.hcl:15:17
        |
     15 |   state = lower(var.mod)
        |                 ^^^^^^^
        |
    An input variable named "mod" has not been declared. Did you mean "mode"?

    Error: Reference to undeclared local value
      --> main.hcl:16:17
        |
     16 |   label = upper(local.nope)
        |                 ^^^^^^^^^^
        |
    A local value named "nope" has not been declared.

    Error: Call to unknown function
      --> main.hcl:23:17
        |
     23 |   description = formatt("%s", each.key)
        |                 ^^^^^^^
        |
    There is no function named "formatt". Did you mean "format"?

    Error: Reference to "each" in context without for_each
      --> main.hcl:27:11
        |
     27 |   id    = each.key
        |           ^^^^^^^^
        |
    The "each" object can be used only in job blocks that set for_each.
    "#);
}

#[test]
fn variable_precedence_follows_terraform() {
    // default < JOBFORM_VAR_ < jobform.vars.hcl < *.auto.vars.hcl < --var/--var-file in order.
    let main = r#"
        variable "state" {
          type    = string
          default = "from-default"
        }

        job "alibaba_migration" "inventory" {
          id    = "dtsj1x11y51g3b0004"
          state = var.state
        }
    "#;
    let cases: [(Test, &str); 6] = [
        (validate(main), "from-default"),
        (validate(main).env("JOBFORM_VAR_state", "from-env"), "from-env"),
        (
            validate(main)
                .env("JOBFORM_VAR_state", "from-env")
                .file("jobform.vars.hcl", r#"state = "from-jobform-vars""#),
            "from-jobform-vars",
        ),
        (
            validate(main)
                .file("jobform.vars.hcl", r#"state = "from-jobform-vars""#)
                .file("a.auto.vars.hcl", r#"state = "from-a-auto""#)
                .file("b.auto.vars.hcl", r#"state = "from-b-auto""#),
            "from-b-auto",
        ),
        (
            validate(main)
                .file("b.auto.vars.hcl", r#"state = "from-b-auto""#)
                .file("x.vars.hcl", r#"state = "from-var-file""#)
                .args(["--var", "state=from-option", "--var-file", "x.vars.hcl"]),
            "from-var-file",
        ),
        (
            validate(main).file("x.vars.hcl", r#"state = "from-var-file""#).args([
                "--var-file",
                "x.vars.hcl",
                "--var",
                "state=from-option",
            ]),
            "from-option",
        ),
    ];
    for (test, expected) in cases {
        let outcome = test.run();
        assert_eq!(outcome.code, Some(1), "{expected}: {}", outcome.stderr);
        assert!(
            outcome.stderr.contains(&format!("\"{expected}\" is not a valid value for \"state\"")),
            "{expected}: {}",
            outcome.stderr
        );
    }
}

#[test]
fn undeclared_variable_values() {
    jobform_snapshot!(validate(r#"
        variable "maintenance" {
          type    = bool
          default = false
        }
    "#)
    .file("jobform.vars.hcl", "maintenance = true\nmaintenace = false\n")
    .args(["--var", "regoin=x", "--var", "maintenance=maybe"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Value for undeclared variable
    The option --var sets "regoin", but no variable of that name is declared.

    Error: Invalid value for input variable
    The value of "maintenance" from the option --var maintenance=… is not a valid bool: bool required, got string.

    Warning: Value for undeclared variable
      --> jobform.vars.hcl:2:1
       |
     2 | maintenace = false
       | ^^^^^^^^^^
       |
    The variable file assigns "maintenace", but no variable of that name is declared; the value is ignored. Did you mean "maintenance"?
    "#);
}

/// The `validate --json` document, field for field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonOutput {
    format_version: String,
    valid: bool,
    error_count: usize,
    warning_count: usize,
    diagnostics: Vec<JsonDiagnostic>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonDiagnostic {
    severity: String,
    summary: String,
    detail: String,
    range: Option<JsonRange>,
    snippet: Option<JsonSnippet>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRange {
    filename: String,
    start: JsonPos,
    end: JsonPos,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct JsonPos {
    line: usize,
    column: usize,
    byte: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonSnippet {
    code: String,
    start_line: usize,
    highlight_start_offset: usize,
    highlight_end_offset: usize,
}

#[test]
fn all_errors_of_a_file_are_reported_at_once_in_json() {
    let outcome = validate(
        r#"
        job "alibaba_dts" "a" {
          id    = "l3m1213ye7l0001"
          sate  = "running"
        }

        job "huawei_drs" "b" {
          id    = "not-a-uuid"
          state = "running"
        }

        job "alibaba_migration" "c" {
          id         = "dtsj1x11y51g3b0004"
          state      = "stopped"
          depends_on = [alibaba_dts.zzz]
        }
    "#,
    )
    .args(["--json"])
    .file("jobform.vars.hcl", "unused = 1\n")
    .run();
    assert_eq!(outcome.code, Some(1));
    let output: JsonOutput = serde_json::from_str(&outcome.stdout).expect("valid JSON document");
    assert_eq!(output.format_version, "1.0");
    assert!(!output.valid);
    let summaries: Vec<(&str, &str, usize, usize)> = output
        .diagnostics
        .iter()
        .map(|d| {
            let range = d.range.as_ref().expect("every diagnostic here has a place");
            assert_eq!(
                range.filename,
                if d.severity == "warning" { "jobform.vars.hcl" } else { "main.hcl" }
            );
            (d.severity.as_str(), d.summary.as_str(), range.start.line, range.start.column)
        })
        .collect();
    assert_eq!(
        summaries,
        [
            ("error", "Missing required argument", 1, 1),
            ("error", "Unsupported argument", 3, 3),
            ("error", "Invalid job id", 7, 11),
            ("error", "Stopping a job needs allow_stop", 13, 16),
            ("error", "Reference to undeclared job", 14, 17),
            ("warning", "Value for undeclared variable", 1, 1),
        ]
    );
    assert_eq!((output.error_count, output.warning_count), (5, 1));
    let first = &output.diagnostics[1];
    let snippet = first.snippet.as_ref().unwrap();
    assert_eq!(snippet.code, "  sate  = \"running\"");
    assert_eq!(snippet.start_line, 3);
    assert_eq!(&snippet.code[snippet.highlight_start_offset..snippet.highlight_end_offset], "sate");
    let range = first.range.as_ref().unwrap();
    assert_eq!(range.end, JsonPos { line: 3, column: 7, byte: range.start.byte + 4 });
    assert!(first.detail.contains("Did you mean \"state\"?"));
}

#[test]
fn json_of_a_valid_configuration() {
    let outcome = Test::new().examples().args(["validate", "--json"]).run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    let output: JsonOutput = serde_json::from_str(&outcome.stdout).unwrap();
    assert!(output.valid);
    assert_eq!((output.error_count, output.warning_count, output.diagnostics.len()), (0, 0, 0));
}

#[test]
fn empty_directory_has_no_configuration() {
    jobform_snapshot!(Test::new().args(["validate"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: No configuration files
    jobform reads the *.hcl files of the working directory ([TEMP]), and there are none.
    ");
}

#[test]
fn for_each_instances_and_their_references() {
    jobform_snapshot!(validate(r#"
        job "huawei_drs" "eu" {
          for_each = {
            primary   = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
            secondary = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
          }
          id    = each.value
          state = "running"
        }

        job "alibaba_dts" "orders" {
          id         = "l3m1213ye7l0001"
          state      = "running"
          depends_on = [huawei_drs.eu["primary"], huawei_drs.eu["tertiary"]]
        }

        job "alibaba_dts" "bad" {
          for_each = "x"
          id       = each.key
          state    = "running"
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Duplicate job id
      --> main.hcl:6:11
       |
     6 |   id    = each.value
       |           ^^^^^^^^^^
       |
    huawei_drs.eu["primary"] already manages the forward direction of job "8d0e8e36-a618-490d-8a46-8c61ac9bb502"; managing one job twice would undo each other's actions.

    Error: Reference to undeclared job instance
      --> main.hcl:13:43
        |
     13 |   depends_on = [huawei_drs.eu["primary"], huawei_drs.eu["tertiary"]]
        |                                           ^^^^^^^^^^^^^^^^^^^^^^^^^
        |
    The job block huawei_drs.eu has no instance huawei_drs.eu["tertiary"]: check its for_each keys.

    Error: Invalid for_each argument
      --> main.hcl:17:14
        |
     17 |   for_each = "x"
        |              ^^^
        |
    for_each takes a map or a set of strings, not a string.
    "#);
}

#[test]
fn provider_blocks_are_checked() {
    jobform_snapshot!(Test::new().file("main.hcl", r#"
        provider "alibaba" {
          region      = "cn-hangzhou"
          endpoint    = "localhost:8470"
          max_attempts = "three"
          timeout     = 5
        }

        provider "alibaba" {
          region = "cn-shanghai"
        }

        provider "aliyun" {
          region = "cn-hangzhou"
        }
    "#).args(["validate"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid endpoint
      --> main.hcl:3:17
       |
     3 |   endpoint    = "localhost:8470"
       |                 ^^^^^^^^^^^^^^^^
       |
    The endpoint must be a URL starting with http:// or https://, such as "http://127.0.0.1:[PORT]".

    Error: Incorrect argument value type
      --> main.hcl:4:18
       |
     4 |   max_attempts = "three"
       |                  ^^^^^^^
       |
    Inappropriate value for argument "max_attempts": number required, got string.

    Error: Unsupported argument
      --> main.hcl:5:3
       |
     5 |   timeout     = 5
       |   ^^^^^^^
       |
    An argument named "timeout" is not expected here.

    Error: Duplicate provider configuration
      --> main.hcl:8:1
       |
     8 | provider "alibaba" {
       | ^^^^^^^^^^^^^^^^^^
       |
    A provider "alibaba" was already declared at main.hcl:1:1. Give one of them a different alias.

    Error: Unknown provider
      --> main.hcl:12:10
        |
     12 | provider "aliyun" {
        |          ^^^^^^^^
        |
    jobform has no provider "aliyun": the providers are "alibaba" and "huawei".
    "#);
}

#[test]
fn warnings_do_not_stop_a_valid_configuration() {
    jobform_snapshot!(validate(r#"
        job "alibaba_migration" "inventory" {
          id    = "dtsj1x11y51g3b0004"
          state = "running"
        }
    "#).file("jobform.vars.hcl", "maintenance = true\n"), @r#"
    exit_code: 0
    ----- stdout -----
    Success! The configuration is valid (1 job, 2 providers).

    ----- stderr -----
    Warning: Value for undeclared variable
      --> jobform.vars.hcl:1:1
       |
     1 | maintenance = true
       | ^^^^^^^^^^^
       |
    The variable file assigns "maintenance", but no variable of that name is declared; the value is ignored.
    "#);
}

#[test]
fn sensitive_variables_are_masked_in_variable_files() {
    let outcome = jobform_snapshot!(validate(r#"
        variable "db_token" {
          type      = number
          sensitive = true
          default   = "also-secret"
        }

        variable "flag" {
          sensitive = "yes"
          default   = 1
        }
    "#).file("jobform.vars.hcl", "db_token = \"s3cr3t-value\"\n"), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid default value for variable
      --> main.hcl:4:15
       |
     4 |   default   = (sensitive)
       |               ^^^^^^^^^^^
       |
    This default value is not compatible with the variable's type constraint (the reason is not shown: it may quote part of the sensitive value).

    Error: Invalid sensitive flag
      --> main.hcl:8:15
       |
     8 |   sensitive = "yes"
       |               ^^^^^
       |
    "sensitive" must be the literal true or false.

    Error: Invalid value for input variable
      --> jobform.vars.hcl:1:12
       |
     1 | db_token = (sensitive)
       |            ^^^^^^^^^^^
       |
    The value of "db_token" from a variable file is not a valid number (the reason is not shown: it may quote part of the sensitive value).
    "#);
    assert!(!outcome.stderr.contains("s3cr3t-value") && !outcome.stderr.contains("also-secret"));
}

#[test]
fn malformed_variable_and_locals_blocks() {
    jobform_snapshot!(validate(r#"
        variable "bad name" {}

        variable "a" {
          type = strng
        }

        locals "x" {
          one = 1
          two = local.three
          three = local.two
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid variable name
      --> main.hcl:1:10
       |
     1 | variable "bad name" {}
       |          ^^^^^^^^^^
       |
    A variable name must start with a letter or underscore and hold only letters, digits, _ and -, so that var.NAME can refer to it; "bad name" does not.

    Error: No value for required variable
      --> main.hcl:3:1
       |
     3 | variable "a" {
       | ^^^^^^^^^^^^
       |
    The variable "a" has no default; set it with --var a=…, a variable file or the environment variable JOBFORM_VAR_a.

    Error: Invalid type specification
      --> main.hcl:4:10
       |
     4 |   type = strng
       |          ^^^^^
       |
    "strng" is not a type. Did you mean "string"?

    Error: Invalid locals block
      --> main.hcl:7:1
       |
     7 | locals "x" {
       | ^^^^^^^^^^
       |
    A locals block has no labels: locals { name = value }.

    Error: Cycle in local values
      --> main.hcl:10:3
        |
     10 |   three = local.two
        |   ^^^^^
        |
    These local values refer to each other: local.three -> local.two -> local.three.
    "#);
}

#[test]
fn aliased_providers_serve_the_jobs_that_name_them() {
    jobform_snapshot!(Test::new().file("main.hcl", r#"
        provider "alibaba" {
          region = "cn-hangzhou"
        }

        provider "alibaba" {
          alias    = "eu"
          region   = "eu-central-1"
          endpoint = "https://dts.eu-central-1.aliyuncs.com"
        }

        job "alibaba_dts" "orders" {
          id    = "l3m1213ye7l0001"
          state = "running"
        }

        job "alibaba_dts" "orders_eu" {
          id       = "k2n8x7c1vq90002"
          state    = "suspended"
          provider = alibaba.eu
        }
    "#).args(["validate"]), @"
    exit_code: 0
    ----- stdout -----
    Success! The configuration is valid (2 jobs, 2 providers).

    ----- stderr -----
    ");
}

#[test]
fn provider_references_are_read_not_evaluated() {
    jobform_snapshot!(validate(r#"
        job "alibaba_dts" "quoted" {
          id       = "l3m1213ye7l0001"
          state    = "running"
          provider = "alibaba"
        }

        job "alibaba_dts" "other_cloud" {
          id       = "k2n8x7c1vq90002"
          state    = "running"
          provider = huawei
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid provider reference
      --> main.hcl:4:14
       |
     4 |   provider = "alibaba"
       |              ^^^^^^^^^
       |
    The provider is a reference such as alibaba or alibaba.ALIAS, not a string or an expression.

    Error: Provider of the wrong cloud
      --> main.hcl:10:14
        |
     10 |   provider = huawei
        |              ^^^^^^
        |
    alibaba_dts jobs are served by provider "alibaba" blocks, not "huawei" ones.
    "#);
}
