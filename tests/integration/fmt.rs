//! `jobform fmt`: canonical style, comments kept, `--check` and `--diff`.

use crate::support::Test;

const MESSY: &str = r#"
# Orders replication.
job "alibaba_dts"   "orders"{
    id="l3m1213ye7l0001"   # the forward task
  state   = "running"
      description = "orders"
}
"#;

#[test]
fn rewrites_files_keeping_comments() {
    let outcome = jobform_snapshot!(Test::new().file("main.hcl", MESSY).args(["fmt"]), @"
    exit_code: 0
    ----- stdout -----
    main.hcl

    ----- stderr -----
    ");
    insta::assert_snapshot!(outcome.read("main.hcl"), @r#"
    # Orders replication.
    job "alibaba_dts" "orders" {
      id          = "l3m1213ye7l0001" # the forward task
      state       = "running"
      description = "orders"
    }
    "#);
}

#[test]
fn check_lists_unformatted_files_and_writes_nothing() {
    let test = Test::new().file("a.hcl", MESSY).file("b.hcl", "x = 1\n");
    let outcome = jobform_snapshot!(test.args(["fmt", "--check"]), @"
    exit_code: 3
    ----- stdout -----
    a.hcl

    ----- stderr -----
    ");
    assert_eq!(outcome.read("a.hcl"), crate::support::unindent(MESSY));
}

#[test]
fn check_passes_on_formatted_files() {
    jobform_snapshot!(Test::new().file("main.hcl", "x = 1\n").args(["fmt", "--check"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    ");
}

#[test]
fn diff_shows_the_changes() {
    jobform_snapshot!(Test::new().file("main.hcl", MESSY).args(["fmt", "--check", "--diff"]), @r#"
    exit_code: 3
    ----- stdout -----
    main.hcl
    --- main.hcl
    +++ main.hcl
    @@ -1,6 +1,6 @@
     # Orders replication.
    -job "alibaba_dts"   "orders"{
    -    id="l3m1213ye7l0001"   # the forward task
    -  state   = "running"
    -      description = "orders"
    +job "alibaba_dts" "orders" {
    +  id          = "l3m1213ye7l0001" # the forward task
    +  state       = "running"
    +  description = "orders"
     }

    ----- stderr -----
    "#);
}

#[test]
fn invalid_files_are_reported_with_their_location_and_others_still_formatted() {
    let test =
        Test::new().file("bad.hcl", "job \"a\" \"b\" {\n  id = \n}\n").file("good.hcl", "x=1\n");
    let outcome = jobform_snapshot!(test.args(["fmt"]), @r#"
    exit_code: 1
    ----- stdout -----
    good.hcl

    ----- stderr -----
    Error: Cannot format bad.hcl
      --> bad.hcl:2:8
    Invalid HCL: invalid expression; expected `"`, `[`, `{`, `-`, `!`, `(`, `_`, `<`, letter or digit.
    "#);
    assert_eq!(outcome.read("good.hcl"), "x = 1\n");
}

#[test]
fn named_paths_that_do_not_exist_are_an_error() {
    jobform_snapshot!(Test::new().args(["fmt", "missing.hcl"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid command line
    No such file or directory: missing.hcl.
    "#);
}

#[test]
fn every_example_is_already_formatted() {
    jobform_snapshot!(Test::new().examples().args(["fmt", "--check"]), @"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    ");
}
