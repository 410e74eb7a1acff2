//! Maintenance windows (`suspend_window`) on the emulator's clock: jobform
//! follows it (`JOBFORM_CLOCK_URL`), and the tests move it forward instead
//! of sleeping.

use std::time::Duration;

use jobform_emulator::{Emulator, World};
use serde_json::Value;
use time::macros::datetime;

use crate::support::{Test, on_emulator_clock};

/// The example world, its clock at 2026-12-05T00:00:00Z.
fn emulator() -> Emulator {
    let mut world = World::example();
    world.now = Some(datetime!(2026-12-05 00:00 UTC));
    Emulator::start(world).expect("start the emulator")
}

const BILLING_IN_A_WINDOW: &str = r#"
    job "alibaba_dts" "billing_migration" {
      id          = "k2n8x7c1vq90002"
      instance_id = "dtsk2n8x7c1vq90002"
      state       = "running"
      suspend_window = {
        from  = "2026-12-05T09:00:00+08:00"
        until = "2026-12-05T11:00:00+08:00"
      }
    }
"#;

/// Snapshots a run whose times left tick with the emulator's real-time
/// clock: the seconds are redacted, the hours and minutes kept.
macro_rules! ticking_snapshot {
    ($test:expr, @$snapshot:literal) => {{
        let mut filters = crate::support::FILTERS.to_vec();
        filters.push((r"(\(in (\d+[dh] )*\d+m) \d+s\)", "$1 __s)"));
        filters.push((r"(paused (\d+[dh] )*\d+m) \d+s \(", "$1 __s ("));
        filters.push((r"(\d+m) \d+s ago", "$1 __s ago"));
        let outcome = $test.run();
        insta::with_settings!({ filters => filters }, {
            insta::assert_snapshot!(outcome.snapshot(), @$snapshot);
        });
        outcome
    }};
}

/// The one change of a `plan --json`.
fn planned(test: &Test) -> Value {
    let outcome = test.run();
    assert!(outcome.stderr.is_empty(), "{}", outcome.stderr);
    let plan: Value = serde_json::from_str(&outcome.stdout).unwrap();
    plan["changes"][0].clone()
}

#[test]
fn a_window_suspends_the_job_while_open_and_resumes_it_after() {
    let emulator = emulator();
    let test = on_emulator_clock(&emulator, BILLING_IN_A_WINDOW);
    let plan = test.again(&["plan", "--json"]);

    let before = planned(&plan);
    assert_eq!(before["action"], "no-op");
    assert_eq!(before["desired"], "running");
    assert_eq!(before["window"]["phase"], "upcoming");
    assert_eq!(before["window"]["next_edge"], "2026-12-05T01:00:00Z");

    emulator.advance(Duration::from_secs(3600));
    let open = planned(&plan);
    assert_eq!(open["action"], "suspend");
    assert_eq!(open["desired"], "suspended");
    assert_eq!(open["window"]["phase"], "open");
    assert_eq!(open["window"]["next_edge"], "2026-12-05T03:00:00Z");
    let left = open["window"]["seconds_until_resume"].as_i64().unwrap();
    assert!((7000..=7200).contains(&left), "{left}");
    ticking_snapshot!(test.again(&["plan"]), @r#"
    exit_code: 0
    ----- stdout -----
    jobform will perform the following actions:

      ~ alibaba_dts.billing_migration will be suspended
          "running" -> "suspended"  (live: Migrating)
          id k2n8x7c1vq90002 via alibaba

    Maintenance windows:

      alibaba_dts.billing_migration: window open: replication back at [TIME] (in 1h 59m __s)

    Requests, in order:

      Wave 1
        SuspendDtsJob via alibaba: alibaba_dts.billing_migration

    Plan: 1 to suspend, 0 to resume, 0 to stop, 0 blocked (1 request).

    ----- stderr -----
    "#);
    ticking_snapshot!(test.again(&["plan", "--format", "markdown"]), @r#"
    exit_code: 0
    ----- stdout -----
    ### jobform: 1 to suspend, 0 to resume, 0 to stop, 0 blocked (1 request).

    > [!NOTE]
    > Maintenance windows (when each job pauses and when its replication is back):
    > - alibaba_dts.billing_migration: window open: replication back at [TIME] (in 1h 59m __s)

    <details><summary>Changes (1)</summary>

    ```diff
    ! alibaba_dts.billing_migration will be suspended
    !     "running" -> "suspended"
    !     live: Migrating
    ```

    </details>

    <details><summary>Requests (1)</summary>

    - wave 1: `SuspendDtsJob` via alibaba: alibaba_dts.billing_migration

    </details>


    ----- stderr -----
    "#);
    let applied = test.again(&["apply", "--auto-approve"]).run();
    assert_eq!(applied.code, Some(0), "{}{}", applied.stdout, applied.stderr);
    assert_eq!(planned(&plan)["action"], "no-op");

    emulator.advance(Duration::from_secs(2 * 3600));
    let after = planned(&plan);
    assert_eq!(after["action"], "resume");
    assert_eq!(after["desired"], "running");
    assert_eq!(after["window"]["phase"], "ended");
    assert_eq!(after["window"]["next_edge"], Value::Null);
}

#[test]
fn a_seven_hour_window_on_an_incremental_task_is_refused() {
    let emulator = emulator();
    let jobs = BILLING_IN_A_WINDOW.replace("11:00:00+08:00", "16:00:00+08:00");
    ticking_snapshot!(on_emulator_clock(&emulator, &jobs).args(["plan", "--detailed-exitcode"]), @r#"
    exit_code: 1
    ----- stdout -----
    Blocked: nothing will be sent for these

      ! alibaba_dts.billing_migration
          [window_too_long] the window would keep the job paused from [TIME] to [TIME], longer than 6 hours: an incremental task paused longer than 6 hours cannot be restarted. Shorten the window.

    Maintenance windows:

      alibaba_dts.billing_migration: window upcoming: pauses at [TIME] (in 59m __s), replication back at [TIME]

    Plan: 0 to suspend, 0 to resume, 0 to stop, 1 blocked (0 requests).

    Error: 1 job blocked: this plan cannot be applied. Fix them, narrow the plan with --target/--exclude, or pass --skip-blocked.

    ----- stderr -----
    "#);
}

#[test]
fn a_job_still_paused_after_its_window_is_resume_overdue() {
    let emulator = emulator();
    let test = on_emulator_clock(&emulator, BILLING_IN_A_WINDOW);
    emulator.advance(Duration::from_secs(3600));
    let applied = test.again(&["apply", "--auto-approve"]).run();
    assert_eq!(applied.code, Some(0), "{}{}", applied.stdout, applied.stderr);
    // No apply ran at the close: 2h 30m later the job is still paused.
    emulator.advance(Duration::from_secs(2 * 3600 + 30 * 60));
    ticking_snapshot!(test.again(&["plan", "--detailed-exitcode"]), @r#"
    exit_code: 2
    ----- stdout -----
    jobform will perform the following actions:

      + alibaba_dts.billing_migration will be resumed
          "suspended" -> "running"  (live: Suspending, paused 2h 30m __s (since [TIME]))
          id k2n8x7c1vq90002 via alibaba

    Maintenance windows:

      alibaba_dts.billing_migration: window ended at [TIME]

    Warnings:

      ! alibaba_dts.billing_migration [resume_overdue]: the window closed at [TIME], 30m __s ago, and the job is still paused: apply to resume it (deadline [TIME])

    Requests, in order:

      Wave 1
        StartDtsJob via alibaba: alibaba_dts.billing_migration

    Plan: 0 to suspend, 1 to resume, 0 to stop, 0 blocked (1 request).

    ----- stderr -----
    "#);
}

/// A weekly window in Berlin across the night the clocks go forward
/// (2027-03-28): it opens at 01:00 local time, in winter time that week and
/// summer time the next, and stays open 3 hours of elapsed time.
#[test]
fn a_recurring_window_keeps_local_time_across_daylight_saving() {
    let mut world = World::example();
    world.now = Some(datetime!(2027-03-22 00:00 UTC));
    let emulator = Emulator::start(world).unwrap();
    let test = on_emulator_clock(
        &emulator,
        r#"
        job "alibaba_dts" "billing_migration" {
          id          = "k2n8x7c1vq90002"
          instance_id = "dtsk2n8x7c1vq90002"
          state       = "running"
          suspend_window = {
            every     = "0 1 * * SUN"
            duration  = "3h"
            time_zone = "Europe/Berlin"
          }
        }
        "#,
    );
    let plan = test.again(&["plan", "--json"]);
    let window = |change: &Value| {
        let w = &change["window"];
        [&w["phase"], &w["opens_at"], &w["closes_at"], &w["next_edge"]]
            .map(|v| v.as_str().unwrap_or("-").to_owned())
    };
    // 01:00 CET is 00:00 UTC.
    assert_eq!(
        window(&planned(&plan)),
        ["upcoming", "2027-03-28T00:00:00Z", "2027-03-28T03:00:00Z", "2027-03-28T00:00:00Z"]
    );
    emulator.advance(Duration::from_secs(6 * 86_400 + 3600));
    let open = planned(&plan);
    assert_eq!(open["action"], "suspend");
    // Three hours of elapsed time: 05:00 CEST, though the clocks skipped an hour.
    assert_eq!(
        window(&open),
        ["open", "2027-03-28T00:00:00Z", "2027-03-28T03:00:00Z", "2027-03-28T03:00:00Z"]
    );
    emulator.advance(Duration::from_secs(3 * 3600));
    // 01:00 CEST is 23:00 UTC the day before.
    assert_eq!(
        window(&planned(&plan)),
        ["upcoming", "2027-04-03T23:00:00Z", "2027-04-04T02:00:00Z", "2027-04-03T23:00:00Z"]
    );
}

/// A plan saved inside a window, applied after the window closed, would
/// pause a job the configuration now wants running: it is refused.
#[test]
fn a_saved_plan_is_refused_once_a_window_edge_passed() {
    let emulator = emulator();
    let test = on_emulator_clock(&emulator, BILLING_IN_A_WINDOW);
    emulator.advance(Duration::from_secs(3600));
    let saved = test.again(&["plan", "--out", "w.plan"]).run();
    assert_eq!(saved.code, Some(0), "{}", saved.stderr);
    emulator.advance(Duration::from_secs(2 * 3600));
    emulator.clear_journal();
    jobform_snapshot!(test.again(&["apply", "w.plan"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Maintenance window moved on since the plan
    w.plan: a maintenance window opened or closed at [TIME] since this plan was made (at [TIME]), so what the plan decided for it no longer holds; nothing was sent. Run `jobform plan --out` again.
    "#);
    assert!(emulator.journal().iter().all(|entry| !entry.action.contains("Suspend")));
    // Before the edge, the same file is applied.
    let test =
        on_emulator_clock(&emulator, BILLING_IN_A_WINDOW.replace("11:00:00", "13:00:00").as_str());
    let saved = test.again(&["plan", "--out", "w.plan"]).run();
    assert_eq!(saved.code, Some(0), "{}", saved.stderr);
    let applied = test.again(&["apply", "w.plan"]).run();
    assert_eq!(applied.code, Some(0), "{}{}", applied.stdout, applied.stderr);
}

#[test]
fn edited_window_fields_in_a_saved_plan_are_refused_naming_the_field() {
    let emulator = emulator();
    let test = on_emulator_clock(&emulator, BILLING_IN_A_WINDOW);
    emulator.advance(Duration::from_secs(3600));
    for (field, value) in [
        ("next_edge", "2026-12-06T03:00:00Z"),
        ("closes_at", "2026-12-06T03:00:00Z"),
        ("phase", "ended"),
    ] {
        let saved = test.again(&["plan", "--out", "w.plan"]).run();
        let mut plan: Value = serde_json::from_str(&saved.read("w.plan")).unwrap();
        plan["plan"]["changes"][0]["window"][field] = Value::from(value);
        std::fs::write(saved.path().join("w.plan"), plan.to_string()).unwrap();
        let applied = test.again(&["apply", "w.plan"]).run();
        assert_eq!(applied.code, Some(1), "{field}: {}", applied.stdout);
        let named = format!(
            "plan.changes.alibaba_dts.billing_migration.window.{field} is \"{value}\" in the plan file"
        );
        assert!(applied.stderr.contains(&named), "{field}: {}", applied.stderr);
    }
}

/// Provider blocks for both clouds, so the tests see only the windows' mistakes.
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
fn each_bad_field_of_a_fixed_window_is_located() {
    jobform_snapshot!(validate(r#"
        job "alibaba_dts" "bad_instant" {
          id    = "l3m1213ye7l0001"
          state = "running"
          suspend_window = { from = "tomorrow 2am", until = "2026-12-05T04:00:00+08:00" }
        }

        job "alibaba_dts" "backwards" {
          id    = "l3m1213ye7l0001"
          state = "running"
          suspend_window = {
            from  = "2026-12-05T04:00:00+08:00"
            until = "2026-12-05T02:00:00+08:00"
          }
        }

        job "alibaba_dts" "no_end" {
          id             = "l3m1213ye7l0001"
          state          = "running"
          suspend_window = { from = "2026-12-05T04:00:00+08:00", unitl = "2026-12-05T06:00:00+08:00" }
        }

        job "huawei_drs" "both_forms" {
          id    = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
          state = "running"
          suspend_window = {
            until = "2026-12-05T04:00:00+08:00"
            every = "0 2 * * SUN"
          }
        }

        job "huawei_drs" "stopped" {
          id             = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
          state          = "stopped"
          allow_stop     = true
          suspend_window = { until = "2026-12-05T04:00:00+08:00" }
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid instant
      --> main.hcl:4:29
       |
     4 |   suspend_window = { from = "tomorrow 2am", until = "2026-12-05T04:00:00+08:00" }
       |                             ^^^^^^^^^^^^^^
       |
    "tomorrow 2am" is not an RFC 3339 instant such as "2026-12-05T02:00:00+08:00" (a date, a time and an offset or Z).

    Error: Invalid suspend window
      --> main.hcl:12:13
        |
     12 |     until = "2026-12-05T02:00:00+08:00"
        |             ^^^^^^^^^^^^^^^^^^^^^^^^^^^
        |
    The window closes (until) no later than it opens (from): until must come after from.

    Error: Missing required argument
      --> main.hcl:19:20
        |
     19 |   suspend_window = { from = "2026-12-05T04:00:00+08:00", unitl = "2026-12-05T06:00:00+08:00" }
        |                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        |
    The suspend window needs "until". A suspend window is either fixed, { from = "2026-12-05T02:00:00+08:00", until = "2026-12-05T04:00:00+08:00" } (from is optional), or recurring, { every = "0 2 * * SUN", duration = "2h", time_zone = "Asia/Shanghai" }.

    Error: Unsupported argument
      --> main.hcl:19:58
        |
     19 |   suspend_window = { from = "2026-12-05T04:00:00+08:00", unitl = "2026-12-05T06:00:00+08:00" }
        |                                                          ^^^^^
        |
    A suspend window has no "unitl". Did you mean "until"? A suspend window is either fixed, { from = "2026-12-05T02:00:00+08:00", until = "2026-12-05T04:00:00+08:00" } (from is optional), or recurring, { every = "0 2 * * SUN", duration = "2h", time_zone = "Asia/Shanghai" }.

    Error: Invalid suspend window
      --> main.hcl:27:5
        |
     27 |     every = "0 2 * * SUN"
        |     ^^^^^
        |
    "until" makes this window fixed and "every" recurring; it cannot be both. A suspend window is either fixed, { from = "2026-12-05T02:00:00+08:00", until = "2026-12-05T04:00:00+08:00" } (from is optional), or recurring, { every = "0 2 * * SUN", duration = "2h", time_zone = "Asia/Shanghai" }.

    Error: Suspend window on a stopped job
      --> main.hcl:35:3
        |
     35 |   suspend_window = { until = "2026-12-05T04:00:00+08:00" }
        |   ^^^^^^^^^^^^^^
        |
    A stopped job cannot be paused, so it has no suspend window: remove suspend_window, or declare the state the job keeps outside the window.
    "#);
}

#[test]
fn each_bad_field_of_a_recurring_window_is_located() {
    jobform_snapshot!(validate(r#"
        job "huawei_drs" "eu_replica" {
          for_each = { bad_cron = "0 25 * * SUN", bad_zone = "Europe/Berlinn" }
          id       = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
          state    = "running"
          suspend_window = {
            every     = each.key == "bad_cron" ? each.value : "0 2 * * SUN"
            duration  = "2 hours"
            time_zone = each.key == "bad_zone" ? each.value : "Asia/Shanghai"
          }
        }

        job "alibaba_dts" "overlapping" {
          id    = "l3m1213ye7l0001"
          state = "running"
          suspend_window = { every = "0 2 * * *", duration = "23h30m", time_zone = "Europe/Berlin" }
        }

        job "alibaba_dts" "not_an_object" {
          id             = "l3m1213ye7l0001"
          state          = "running"
          suspend_window = "2h"
        }

        job "alibaba_dts" "no_zone" {
          id             = "l3m1213ye7l0001"
          state          = "running"
          suspend_window = { every = "0 2 * * *", duration = "2h" }
        }
    "#), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid schedule
      --> main.hcl:6:17
       |
     6 |     every     = each.key == "bad_cron" ? each.value : "0 2 * * SUN"
       |                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
       |
    Invalid cron schedule: hour field "25": 25 is out of range 0-23.

    Error: Invalid duration
      --> main.hcl:7:17
       |
     7 |     duration  = "2 hours"
       |                 ^^^^^^^^^
       |
    "2 hours" is not a duration: write hours, minutes and seconds as in "2h", "90m" or "1h30m".

    Error: Invalid time zone
      --> main.hcl:8:17
       |
     8 |     time_zone = each.key == "bad_zone" ? each.value : "Asia/Shanghai"
       |                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
       |
    "Europe/Berlinn" is not an IANA time zone name such as "Europe/Berlin" or "UTC".

    Error: Overlapping suspend windows
      --> main.hcl:15:54
        |
     15 |   suspend_window = { every = "0 2 * * *", duration = "23h30m", time_zone = "Europe/Berlin" }
        |                                                      ^^^^^^^^
        |
    "0 2 * * *" opens a window at 2026-03-29 03:00 CEST and the next at 2026-03-30 02:00 CEST, less than the duration (23h30m) apart: occurrences must not overlap.

    Error: Incorrect argument value type
      --> main.hcl:21:20
        |
     21 |   suspend_window = "2h"
        |                    ^^^^
        |
    Inappropriate value for argument "suspend_window": object required, got string. A suspend window is either fixed, { from = "2026-12-05T02:00:00+08:00", until = "2026-12-05T04:00:00+08:00" } (from is optional), or recurring, { every = "0 2 * * SUN", duration = "2h", time_zone = "Asia/Shanghai" }.

    Error: Missing required argument
      --> main.hcl:27:20
        |
     27 |   suspend_window = { every = "0 2 * * *", duration = "2h" }
        |                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        |
    The suspend window needs "time_zone". A suspend window is either fixed, { from = "2026-12-05T02:00:00+08:00", until = "2026-12-05T04:00:00+08:00" } (from is optional), or recurring, { every = "0 2 * * SUN", duration = "2h", time_zone = "Asia/Shanghai" }.
    "#);
}

/// A window from a sensitive variable is reported at the argument, its
/// values never shown.
#[test]
fn a_sensitive_window_is_never_echoed() {
    let test = validate(
        r#"
        variable "cutover" {
          sensitive = true
          default   = { from = "2026-12-05T02:00:00Z", until = "at 4 o'clock sharp" }
        }

        job "alibaba_dts" "orders" {
          id             = "l3m1213ye7l0001"
          state          = "running"
          suspend_window = var.cutover
        }
    "#,
    );
    let outcome = jobform_snapshot!(test, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid instant
      --> main.hcl:9:20
       |
     9 |   suspend_window = var.cutover
       |                    ^^^^^^^^^^^
       |
    (sensitive value) is not an RFC 3339 instant such as "2026-12-05T02:00:00+08:00" (a date, a time and an offset or Z).
    "#);
    assert!(!outcome.stderr.contains("sharp"), "{}", outcome.stderr);
}

/// `emulator run` makes the command it runs follow the emulator's clock:
/// the example's one-off window is open at the world's time.
#[test]
fn emulator_run_plans_on_the_emulated_clock() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut world: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("emulator.world.json")).unwrap())
            .unwrap();
    world["now"] = Value::from("2026-12-04T19:00:00Z");
    let test = Test::new()
        .file("main.hcl", &std::fs::read_to_string(root.join("windows/main.hcl")).unwrap())
        .file("emulator.world.json", &world.to_string())
        .args(["emulator", "run", "--", "plan", "--json"]);
    let outcome = test.run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    let plan: Value = serde_json::from_str(&outcome.stdout).unwrap();
    let billing = &plan["changes"][0];
    assert_eq!(billing["address"], "alibaba_dts.billing_migration");
    assert_eq!(
        (&billing["action"], &billing["window"]["phase"]),
        (&"suspend".into(), &"open".into())
    );
    assert_eq!(plan["changes"][1]["window"]["next_edge"], "2026-12-06T01:00:00Z");
}

#[test]
fn the_windows_example_validates() {
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/windows/main.hcl");
    let test = Test::new().file("main.hcl", &std::fs::read_to_string(example).unwrap());
    jobform_snapshot!(test.args(["validate"]), @r#"
    exit_code: 0
    ----- stdout -----
    Success! The configuration is valid (3 jobs, 2 providers).

    ----- stderr -----
    "#);
}

#[test]
fn a_valid_window_of_each_form_validates() {
    jobform_snapshot!(validate(r#"
        job "alibaba_dts" "orders" {
          id    = "l3m1213ye7l0001"
          state = "running"
          suspend_window = {
            from  = "2026-12-05T02:00:00+08:00"
            until = "2026-12-05T04:00:00+08:00"
          }
        }

        job "huawei_drs" "eu_replica" {
          id    = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
          state = "running"
          suspend_window = {
            every     = "0 2 * * SUN"
            duration  = "2h"
            time_zone = "Asia/Shanghai"
          }
        }
    "#), @r#"
    exit_code: 0
    ----- stdout -----
    Success! The configuration is valid (2 jobs, 2 providers).

    ----- stderr -----
    "#);
}
