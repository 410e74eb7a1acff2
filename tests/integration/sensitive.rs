//! Values of sensitive variables, and every value derived from one, never
//! appear in a diagnostic: one test per path a value could take into a
//! message, each checked in `validate`'s text and in `validate --json`.

use crate::support::{Outcome, Test};

/// The value every test hides.
const SECRET: &str = "hunter2-s3cr3t";

const PROVIDERS: &str = r#"
provider "alibaba" {
  region = "cn-hangzhou"
}

provider "huawei" {
  region     = "ap-southeast-1"
  project_id = "054ba152d480d55b2f5dc0069e7ddef0"
}

variable "token" {
  type      = string
  sensitive = true
}
"#;

/// `validate` of `main` with `var.token` set to [`SECRET`] on the command
/// line, after checking that neither the text nor the JSON output holds it.
fn validate(main: &str) -> Test {
    let test = Test::new().file("providers.hcl", PROVIDERS).file("main.hcl", main).args([
        "validate",
        "--var",
        &format!("token={SECRET}"),
    ]);
    let json = test.again(&["validate", "--json", "--var", &format!("token={SECRET}")]).run();
    assert_hidden(&json);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(document["valid"], false, "{}", json.stdout);
    test
}

fn assert_hidden(outcome: &Outcome) {
    for text in [&outcome.stdout, &outcome.stderr] {
        assert!(!text.contains(SECRET), "the secret is shown:\n{text}");
    }
}

#[test]
fn a_validation_message_interpolating_a_sensitive_value_is_withheld() {
    let outcome = jobform_snapshot!(validate(r#"
        variable "pin" {
          type      = string
          sensitive = true
          default   = "hunter2-s3cr3t"

          validation {
            condition     = length(var.pin) < 5
            error_message = "The pin ${upper(var.pin)} is too long."
          }
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid value for variable
      --> main.hcl:4:15
       |
     4 |   default   = (sensitive)
       |               ^^^^^^^^^^^
       |
    The error message included a sensitive value, so it will not be displayed.

    This was checked by the validation rule at main.hcl:7:21.
    "#);
    assert_hidden(&outcome);
}

#[test]
fn an_invalid_state_chosen_by_a_conditional_on_a_sensitive_value_is_not_quoted() {
    let outcome = jobform_snapshot!(validate(r#"
        job "alibaba_dts" "orders" {
          id    = "l3m1213ye7l0001"
          state = var.token != "" ? var.token : "running"
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid value
      --> main.hcl:3:11
       |
     3 |   state = var.token != "" ? var.token : "running"
       |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
       |
    (sensitive value) is not a valid value for "state": expected one of "running", "suspended", "stopped".
    "#);
    assert_hidden(&outcome);
}

#[test]
fn a_huawei_id_interpolating_a_sensitive_value_is_not_quoted() {
    let outcome = jobform_snapshot!(validate(r#"
        job "huawei_drs" "replica" {
          id    = "${lower(var.token)}-0001"
          state = "running"
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid job id
      --> main.hcl:2:11
       |
     2 |   id    = "${lower(var.token)}-0001"
       |           ^^^^^^^^^^^^^^^^^^^^^^^^^^
       |
    (sensitive value) is not a Huawei DRS job id: those are UUIDs such as 8d0e8e36-a618-490d-8a46-8c61ac9bb502.
    "#);
    assert_hidden(&outcome);
}

#[test]
fn a_local_derived_from_a_sensitive_value_is_sensitive_too() {
    let outcome = jobform_snapshot!(validate(r#"
        locals {
          shouted = upper(var.token)
          state   = local.shouted
        }

        job "alibaba_dts" "orders" {
          id    = "l3m1213ye7l0001"
          state = local.state
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid value
      --> main.hcl:8:11
       |
     8 |   state = local.state
       |           ^^^^^^^^^^^
       |
    (sensitive value) is not a valid value for "state": expected one of "running", "suspended", "stopped".
    "#);
    assert_hidden(&outcome);
}

#[test]
fn a_missing_key_named_by_a_sensitive_value_is_not_quoted() {
    let outcome = jobform_snapshot!(validate(r#"
        locals {
          ids = { orders = "l3m1213ye7l0001" }
        }

        job "alibaba_dts" "orders" {
          id    = local.ids[var.token]
          state = "running"
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Unsupported attribute
      --> main.hcl:6:11
       |
     6 |   id    = local.ids[var.token]
       |           ^^^^^^^^^^^^^^^^^^^^
       |
    This object does not have the attribute asked for.
    "#);
    assert_hidden(&outcome);
}

#[test]
fn a_sensitive_value_of_the_wrong_type_is_not_quoted() {
    let test = Test::new()
        .file("providers.hcl", PROVIDERS)
        .file(
            "main.hcl",
            r#"
            variable "limits" {
              type      = map(number)
              sensitive = true
            }
            "#,
        )
        .args([
            "validate",
            "--var",
            &format!("token={SECRET}"),
            "--var",
            &format!("limits={{ \"{SECRET}\" = \"many\" }}"),
        ]);
    let outcome = jobform_snapshot!(test, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid value for input variable
    The value of "limits" from the option --var limits=… is not a valid map(number) (the reason is not shown: it may quote part of the sensitive value).
    "#);
    assert_hidden(&outcome);
}

#[test]
fn a_sensitive_for_each_is_refused() {
    let outcome = jobform_snapshot!(validate(r#"
        job "alibaba_dts" "orders" {
          for_each = toset([var.token])
          id       = "l3m1213ye7l0001"
          state    = "running"
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid for_each argument
      --> main.hcl:2:14
       |
     2 |   for_each = toset([var.token])
       |              ^^^^^^^^^^^^^^^^^^
       |
    Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments: the keys become part of the jobs' addresses, which plans show and the state stores.
    "#);
    assert_hidden(&outcome);
}

#[test]
fn a_provider_alias_from_a_sensitive_value_is_not_quoted() {
    let outcome = jobform_snapshot!(validate(r#"
        provider "alibaba" {
          region = "cn-shanghai"
          alias  = "${var.token}!"
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid provider alias
      --> main.hcl:3:12
       |
     3 |   alias  = "${var.token}!"
       |            ^^^^^^^^^^^^^^^
       |
    An alias must be a name (letters, digits, _ and -), as in alias = "eu"; (sensitive value) is not one.
    "#);
    assert_hidden(&outcome);
}
