//! No action the configuration does not ask for, none twice: an edited saved
//! plan is refused before anything is sent, and an action whose outcome is
//! unknown is never sent again unless the user says so.

use jobform_emulator::{Emulator, Fault, FaultKind};
use serde_json::{Value, json};

use crate::support::{Outcome, Test, instant_emulator};

/// The action requests that reached the emulator (reads left out).
fn actions(emulator: &Emulator) -> Vec<String> {
    emulator
        .journal()
        .into_iter()
        .filter(|e| !e.action.starts_with("Describe") && e.action != "batch-status")
        .map(|e| e.action)
        .collect()
}

/// The state with its audit log, as `show --json` prints it.
fn state(outcome: &Outcome) -> Value {
    let shown = Test::in_dir(outcome).args(["show", "--json"]).run();
    assert_eq!(shown.code, Some(0), "{}", shown.stderr);
    serde_json::from_str(&shown.stdout).expect("the state is JSON")
}

/// The audit entries of one job: outcome and detail.
fn audit(outcome: &Outcome, address: &str) -> Vec<(String, String)> {
    state(outcome)["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["address"] == address)
        .map(|e| {
            let detail = e["detail"].as_str().unwrap_or_default().to_owned();
            (e["outcome"].as_str().unwrap().to_owned(), detail)
        })
        .collect()
}

/// `plan --out` of the maintenance window in a fresh directory.
fn saved_plan(emulator: &Emulator) -> Outcome {
    let planned = Test::new()
        .examples()
        .emulated(emulator)
        .args(["plan", "--var", "maintenance=true", "--out", "m.plan"])
        .run();
    assert_eq!(planned.code, Some(0), "{}", planned.stderr);
    planned
}

/// The change of `address` in a saved plan document.
fn change<'a>(plan: &'a mut Value, address: &str) -> &'a mut Value {
    plan["plan"]["changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["address"] == address)
        .unwrap()
}

/// The first request of the first wave naming `address`.
fn request<'a>(plan: &'a mut Value, address: &str) -> &'a mut Value {
    plan["plan"]["waves"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|w| w["requests"].as_array_mut().unwrap())
        .find(|r| r["jobs"].as_array().unwrap().iter().any(|j| j == address))
        .unwrap()
}

type Edit = fn(&mut Value);

const BILLING: &str = "alibaba_dts.billing_migration";

/// Each way of editing a plan file, and the first difference apply names.
const TAMPERINGS: &[(&str, Edit, &str)] = &[
    (
        "suspend turned into stop",
        |plan| {
            let c = change(plan, BILLING);
            c["action"] = json!("stop");
            c["desired"] = json!("stopped");
            request(plan, BILLING)["verb"] = json!("stop");
        },
        "plan.changes.alibaba_dts.billing_migration.action is \"stop\" in the plan file, but the configuration plans \"suspend\"",
    ),
    (
        "an id swapped",
        |plan| change(plan, BILLING)["id"] = json!("s9p4b2d6fw30003"),
        "plan.changes.alibaba_dts.billing_migration.id is \"s9p4b2d6fw30003\" in the plan file, but the configuration plans \"k2n8x7c1vq90002\"",
    ),
    (
        "an address added",
        |plan| {
            let mut ghost = change(plan, BILLING).clone();
            ghost["address"] = json!("alibaba_dts.ghost");
            ghost["id"] = json!("s9p4b2d6fw30003");
            plan["plan"]["changes"].as_array_mut().unwrap().push(ghost);
            request(plan, BILLING)["jobs"].as_array_mut().unwrap().push(json!("alibaba_dts.ghost"));
        },
        "plan.changes.alibaba_dts.ghost is in the plan file, but the configuration plans no such thing",
    ),
    (
        "a request's verb changed",
        |plan| request(plan, BILLING)["verb"] = json!("stop"),
        "plan.waves[0].requests[0].verb is \"stop\" in the plan file, but the configuration plans \"suspend\"",
    ),
    (
        "a change's desired state changed",
        |plan| change(plan, BILLING)["desired"] = json!("stopped"),
        "plan.changes.alibaba_dts.billing_migration.desired is \"stopped\" in the plan file, but the configuration plans \"suspended\"",
    ),
    (
        "a pause mode changed",
        |plan| {
            let address = "huawei_drs.eu_replica[\"8d0e8e36-a618-490d-8a46-8c61ac9bb502\"]";
            change(plan, address)["options"]["pause_mode"] = json!("all");
        },
        "plan.changes.huawei_drs.eu_replica[\"8d0e8e36-a618-490d-8a46-8c61ac9bb502\"].options.pause_mode is \"all\" in the plan file, but the configuration plans \"target\"",
    ),
    (
        "a direction changed",
        |plan| change(plan, BILLING)["options"]["direction"] = json!("reverse"),
        "plan.changes.alibaba_dts.billing_migration.options.direction is \"reverse\" in the plan file, but the configuration plans \"forward\"",
    ),
    (
        "skip_blocked flipped",
        |plan| plan["plan"]["options"]["skip_blocked"] = json!(true),
        "the configuration changed since this plan was made, or the plan's options were edited",
    ),
];

#[test]
fn an_edited_saved_plan_is_refused_and_nothing_is_sent() {
    let emulator = instant_emulator();
    for (name, edit, expected) in TAMPERINGS {
        let planned = saved_plan(&emulator);
        let mut plan: Value = serde_json::from_str(&planned.read("m.plan")).unwrap();
        edit(&mut plan);
        std::fs::write(planned.path().join("m.plan"), plan.to_string()).unwrap();
        emulator.clear_journal();
        let applied = Test::in_dir(&planned)
            .emulated(&emulator)
            .args(["apply", "m.plan", "--var", "maintenance=true"])
            .run();
        assert_eq!(applied.code, Some(1), "{name}: {}", applied.stdout);
        assert!(applied.stderr.contains(expected), "{name}: {}", applied.stderr);
        assert!(actions(&emulator).is_empty(), "{name}: nothing is sent");
        assert!(!planned.path().join("state/jobform.state.json").exists(), "{name}");
    }
    // The untouched file is applied.
    let planned = saved_plan(&emulator);
    let applied = Test::in_dir(&planned)
        .emulated(&emulator)
        .args(["apply", "m.plan", "--var", "maintenance=true"])
        .run();
    assert_eq!(applied.code, Some(0), "{}", applied.stderr);
}

#[test]
fn the_refusal_names_the_file_and_the_first_difference() {
    let emulator = instant_emulator();
    let planned = saved_plan(&emulator);
    let mut plan: Value = serde_json::from_str(&planned.read("m.plan")).unwrap();
    (TAMPERINGS[0].1)(&mut plan);
    std::fs::write(planned.path().join("m.plan"), plan.to_string()).unwrap();
    let apply = Test::in_dir(&planned).emulated(&emulator).args([
        "apply",
        "m.plan",
        "--var",
        "maintenance=true",
    ]);
    jobform_snapshot!(apply, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Plan file does not match
    m.plan: the plan file does not match the plan the configuration makes from the same inputs, so it was edited or damaged; nothing was sent. First difference: plan.changes.alibaba_dts.billing_migration.action is "stop" in the plan file, but the configuration plans "suspend". Run `jobform plan --out` again.
    "#);
    // `show` derives what it prints from the changes: the edit is visible.
    let show = Test::in_dir(&planned).args(["show", "m.plan"]).run();
    assert!(
        show.stdout.contains("Plan: 7 to suspend, 0 to resume, 1 to stop, 0 blocked (5 requests)."),
        "{}",
        show.stdout
    );
}

#[test]
fn options_that_shape_a_plan_are_refused_with_a_saved_plan() {
    let emulator = instant_emulator();
    let planned = saved_plan(&emulator);
    let apply = Test::in_dir(&planned).emulated(&emulator).args([
        "apply",
        "m.plan",
        "--var",
        "maintenance=true",
        "--skip-blocked",
    ]);
    jobform_snapshot!(apply, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid command line
    --target, --exclude, --skip-blocked, --refresh-only and --resend-unknown shape a new plan; a saved plan carries the options it was made with.
    "#);
}

const INVENTORY: &str = "alibaba_migration.legacy_inventory";

#[test]
fn an_action_of_unknown_outcome_is_blocked_on_every_later_run_until_resent() {
    let emulator = instant_emulator();
    emulator.inject(
        Fault::new(FaultKind::ServerError { status: 500 })
            .on_action("SuspendMigrationJob")
            .times(1),
    );
    let maintenance = ["--var", "maintenance=true", "--auto-approve", "--wait-timeout", "2s"];
    let first = Test::new().examples().emulated(&emulator).args(["apply"]).args(maintenance).run();
    assert_eq!(first.code, Some(4), "{}", first.stderr);

    // Later runs (the planner has no age limit: minutes or days later alike)
    // block the job and its dependent, and send nothing for it.
    let again = Test::in_dir(&first).emulated(&emulator).args([
        "plan",
        "--var",
        "maintenance=true",
        "--target",
        INVENTORY,
    ]);
    let outcome = jobform_snapshot!(again, @r#"
    exit_code: 1
    ----- stdout -----
    Blocked: nothing will be sent for these

      ! alibaba_migration.legacy_inventory
          [outcome_unknown] the suspend sent at [TIME] (request id [REQUEST_ID]) has an unknown outcome, and the job is still running (Migrating). The cloud may yet act on it, and jobform never sends an action twice on its own: check the job, plan again once it settled, or send it again with `jobform apply --resend-unknown alibaba_migration.legacy_inventory`

    Warnings:

      ! [partial_plan]: --target/--exclude narrowed this plan: jobs left out were neither read nor planned

    Plan: 0 to suspend, 0 to resume, 0 to stop, 1 blocked (0 requests).

    Error: 1 job blocked: this plan cannot be applied. Fix them, narrow the plan with --target/--exclude, or pass --skip-blocked.

    ----- stderr -----
    "#);
    assert_eq!(outcome.code, Some(1));
    emulator.clear_journal();
    let retry = Test::in_dir(&first).emulated(&emulator).args(["apply"]).args(maintenance).run();
    assert_eq!(retry.code, Some(1), "{}", retry.stdout);
    assert!(actions(&emulator).is_empty(), "{:?}", actions(&emulator));

    // On the user's word it is sent once more, and the audit log says so.
    let resend = Test::in_dir(&first)
        .emulated(&emulator)
        .args(["apply", "--resend-unknown", INVENTORY])
        .args(maintenance)
        .run();
    assert_eq!(resend.code, Some(0), "{}\n{}", resend.stdout, resend.stderr);
    assert_eq!(actions(&emulator), ["SuspendMigrationJob", "SuspendSynchronizationJob"]);
    let entries = audit(&resend, INVENTORY);
    assert_eq!(entries.len(), 4, "{entries:#?}");
    assert!(entries[2..].iter().all(|(_, detail)| detail.contains("--resend-unknown")));
    assert_eq!(entries[3].0, "succeeded");

    // Asking for a re-send that is not needed is an error, not a silent no-op.
    let needless = Test::in_dir(&first).emulated(&emulator).args([
        "plan",
        "--var",
        "maintenance=true",
        "--resend-unknown",
        INVENTORY,
    ]);
    jobform_snapshot!(needless, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid command line
    --resend-unknown alibaba_migration.legacy_inventory: no job it selects has an action of unknown outcome to send again (see the plan's outcome_unknown entries).
    "#);
}

#[test]
fn an_unreadable_answer_of_any_status_is_an_unknown_outcome_never_a_refusal() {
    let emulator = instant_emulator();
    // The cloud pauses the jobs, then a gateway answers 403 with an HTML page.
    emulator
        .inject(Fault::new(FaultKind::GatewayPage { status: 403 }).on_action("batch-pause-task"));
    let outcome = Test::new()
        .examples()
        .emulated(&emulator)
        .args(["apply", "--var", "maintenance=true", "--auto-approve", "--wait-timeout", "5s"])
        .run();
    assert_eq!(outcome.code, Some(0), "{}\n{}", outcome.stdout, outcome.stderr);
    let address = "huawei_drs.eu_replica[\"8d0e8e36-a618-490d-8a46-8c61ac9bb502\"]";
    let outcomes: Vec<String> = audit(&outcome, address).into_iter().map(|(o, _)| o).collect();
    assert_eq!(outcomes, ["unknown", "succeeded"], "watched and confirmed, not failed");
    let pauses = actions(&emulator).iter().filter(|a| *a == "batch-pause-task").count();
    assert_eq!(pauses, 1, "never sent twice");
}

/// A second fresh checkout, as the apply job of a CI pipeline has, holding
/// the plan file the plan job made in another.
fn other_checkout(planned: &Outcome, emulator: &Emulator) -> Test {
    let checkout = Test::new()
        .examples()
        .file("ticket.hcl", "variable \"ticket\" {\n  type      = string\n  sensitive = true\n}\n")
        .emulated(emulator);
    let plan = std::fs::read(planned.path().join("m.plan")).unwrap();
    let probe = checkout.args(["validate", "--var", "ticket=x"]).run();
    std::fs::write(probe.path().join("m.plan"), plan).unwrap();
    Test::in_dir(&probe).emulated(emulator)
}

#[test]
fn a_plan_made_in_one_checkout_is_applied_in_another_with_its_variables() {
    let emulator = instant_emulator();
    let planned = Test::new()
        .examples()
        .file("ticket.hcl", "variable \"ticket\" {\n  type      = string\n  sensitive = true\n}\n")
        .emulated(&emulator)
        .args(["plan", "--var", "maintenance=true", "--var", "ticket=CHG-42", "--out", "m.plan"])
        .run();
    assert_eq!(planned.code, Some(0), "{}", planned.stderr);
    let file = planned.read("m.plan");
    assert!(file.contains("\"maintenance\": {\n      \"value\": true"), "{file}");
    assert!(!file.contains("CHG-42"), "a sensitive value is never written");

    // A differing value is refused, naming the variable; a sensitive one
    // without showing it.
    let differing = other_checkout(&planned, &emulator).args([
        "apply",
        "m.plan",
        "--var",
        "maintenance=false",
        "--var",
        "ticket=CHG-42",
    ]);
    jobform_snapshot!(differing, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Variable differs from the plan
    m.plan: variable "maintenance" is false here, but the plan was made with true: apply the plan file without setting it (it carries its values; sensitive ones must be given again, the same), or plan again.
    "#);
    let wrong_secret = other_checkout(&planned, &emulator)
        .args(["apply", "m.plan", "--var", "ticket=CHG-43"])
        .run();
    assert_eq!(wrong_secret.code, Some(1));
    assert!(
        wrong_secret.stderr.contains("variable \"ticket\" is (sensitive value) here"),
        "{}",
        wrong_secret.stderr
    );
    assert!(!wrong_secret.stderr.contains("CHG-4"), "{}", wrong_secret.stderr);
    assert!(actions(&emulator).is_empty());

    // Only the sensitive value is given again.
    let applied = other_checkout(&planned, &emulator)
        .args(["apply", "m.plan", "--var", "ticket=CHG-42"])
        .run();
    assert_eq!(applied.code, Some(0), "{}\n{}", applied.stdout, applied.stderr);
    assert!(applied.stdout.contains("Apply complete: 8 suspended"), "{}", applied.stdout);
}

#[test]
fn a_pause_confirmed_by_a_later_run_keeps_the_send_time_and_the_mode_sent() {
    // Pauses take 2 s of emulated time to settle; --no-wait leaves them pending.
    let emulator = Emulator::start(jobform_emulator::World::example()).unwrap();
    let first = Test::new()
        .examples()
        .emulated(&emulator)
        .args(["apply", "--var", "maintenance=true", "--auto-approve", "--no-wait"])
        .args(["--target", "huawei_drs.eu_replica"])
        .run();
    assert_eq!(first.code, Some(0), "{}\n{}", first.stdout, first.stderr);
    let record = |outcome: &Outcome| {
        let show = Test::in_dir(outcome).args(["show", "--json"]).run();
        let state: Value = serde_json::from_str(&show.stdout).unwrap();
        state["jobs"]["huawei_drs.eu_replica[\"8d0e8e36-a618-490d-8a46-8c61ac9bb502\"]"].clone()
    };
    let pending = record(&first);
    assert_eq!(pending["last_action"]["outcome"], "pending");
    assert_eq!(pending["last_action"]["pause_mode"], "target");
    // The configuration now says pause_mode = "all"; the pause it confirms was sent with "target".
    std::fs::write(
        first.path().join("huawei.hcl"),
        first.read("huawei.hcl").replace("pause_mode  = \"target\"", "pause_mode  = \"all\""),
    )
    .unwrap();
    emulator.advance(std::time::Duration::from_secs(60));
    let later = Test::in_dir(&first)
        .emulated(&emulator)
        .args(["apply", "--var", "maintenance=true", "--auto-approve"])
        .args(["--target", "huawei_drs.eu_replica"])
        .run();
    assert_eq!(later.code, Some(0), "{}\n{}", later.stdout, later.stderr);
    let confirmed = record(&later);
    assert_eq!(confirmed["last_action"]["outcome"], "succeeded");
    assert_eq!(
        confirmed["paused"]["since"], pending["last_action"]["at"],
        "the clock starts at the send"
    );
    assert_eq!(confirmed["paused"]["source"], "jobform");
    assert_eq!(
        confirmed["paused"]["pause_mode"], "target",
        "what was sent, not what is declared now"
    );
    let pauses = actions(&emulator).iter().filter(|a| *a == "batch-pause-task").count();
    assert_eq!(pauses, 1, "never sent twice");
}

#[test]
fn a_cloud_that_stops_answering_mid_apply_is_reported_within_seconds() {
    let emulator = instant_emulator();
    // The pause is held until released; meanwhile the status reads start failing.
    emulator
        .inject(Fault::new(FaultKind::Slow { delay_ms: 3_600_000 }).on_action("batch-pause-task"));
    let test = Test::new().examples().emulated(&emulator).args([
        "apply",
        "--var",
        "maintenance=true",
        "--auto-approve",
        "--target",
        "huawei_drs.eu_replica",
    ]);
    let mut child = test.spawn_piped();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    crate::support::read_until(&mut stdout, "Wave 1:");
    // The pause is in flight, so the wave's re-read is done.
    crate::support::wait_until_held(&emulator, &mut child);
    emulator.inject(Fault::new(FaultKind::ServerError { status: 503 }).on_action("batch-status"));
    emulator.release_held();
    let line = crate::support::read_until(&mut stdout, "Cannot read");
    assert!(
        line.contains(
            "Cannot read 3 jobs being watched: the status read failed: huawei batch-status"
        ),
        "{line}"
    );
    assert!(line.contains("; retrying for 9m"), "{line}");
    // The cloud is back: the watch goes on and the pauses are confirmed.
    emulator.clear_faults();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{rest}");
    assert!(rest.contains("Apply complete: 3 suspended"), "{rest}");
}

#[test]
fn a_saved_plan_against_a_cloud_that_cannot_be_read_fails_before_sending_anything() {
    let emulator = instant_emulator();
    let planned = saved_plan(&emulator);
    let url = emulator.url().to_owned();
    drop(emulator); // the endpoint no longer answers
    let apply = Test::in_dir(&planned)
        .env("JOBFORM_VAR_alibaba_endpoint", &url)
        .env("JOBFORM_VAR_huawei_endpoint", &url)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIjobformexample")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "jobform-example-secret")
        .env("HUAWEICLOUD_SDK_AK", "HWJOBFORMEXAMPLEAK01")
        .env("HUAWEICLOUD_SDK_SK", "jobform-example-sk")
        .args(["apply", "m.plan"])
        .run();
    assert_eq!(apply.code, Some(1), "{}\n{}", apply.stdout, apply.stderr);
    // The first wave's read fails: nothing of it is sent, no later wave starts.
    assert!(apply.stderr.starts_with("Error: Provider not usable\n"), "{}", apply.stderr);
    assert!(
        apply.stderr.contains("providers.hcl:6:1: provider alibaba cannot be used: cannot connect"),
        "{}",
        apply.stderr
    );
    assert!(!apply.stdout.contains("Apply complete"), "{}", apply.stdout);
}
