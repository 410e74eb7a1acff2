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
