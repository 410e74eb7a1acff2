//! The command-line skeleton: help, version, completions, unbuilt commands.

use crate::support::Test;

#[test]
fn version() {
    jobform_snapshot!(Test::new().args(["--version"]), @"
    exit_code: 0
    ----- stdout -----
    jobform [VERSION]

    ----- stderr -----
    ");
}

#[test]
fn completions_for_bash_mention_every_subcommand() {
    let outcome = Test::new().args(["completions", "bash"]).run();
    assert_eq!(outcome.code, Some(0));
    for command in ["validate", "fmt", "plan", "apply", "show", "state", "force-unlock", "emulator"]
    {
        assert!(outcome.stdout.contains(command), "{command} missing from completions");
    }
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    jobform_snapshot!(Test::new().args(["destroy"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: unrecognized subcommand 'destroy'

    Usage: jobform [OPTIONS] <COMMAND>

    For more information, try '--help'.
    ");
}

#[test]
fn terraform_style_single_dash_flags_get_a_hint() {
    jobform_snapshot!(Test::new().args(["plan", "-out=m.plan"]), @"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: unexpected argument '-o' found

    Usage: jobform plan [OPTIONS]

    For more information, try '--help'.

    hint: jobform's long options take two dashes: `--out m.plan`, not Terraform's `-out=m.plan`
    ");
}
