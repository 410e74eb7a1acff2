//! Untrusted text through the command line: hostile `for_each` keys, and
//! status words, error messages and request ids served by the emulator,
//! reach `plan` (human, Markdown, JSON), `apply`, `show`, `state list`,
//! `validate` and the logs escaped, while the state and every JSON document
//! keep them exact. Each case runs the binary several times, so the property
//! tests run a few cases only; `escaping.rs` runs hundreds against the
//! renderers themselves.

use jobform::model::{Address, JobKind};
use jobform::render::terminal::is_inert;
use jobform_emulator::{Emulator, Fault, FaultKind, World};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;

use crate::escaping::{hostile, structure};
use crate::support::{Outcome, Test};

/// The two-way DTS job of the example world.
const JOB: &str = "l3m1213ye7l0001";

/// `text` as an HCL quoted string that evaluates back to it.
fn hcl_string(text: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() || !c.is_ascii() => {
                let code = u32::from(c);
                let escape =
                    if code > 0xFFFF { format!("\\U{code:08x}") } else { format!("\\u{code:04x}") };
                out.push_str(&escape);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A configuration declaring the example world's DTS job suspended, as the
/// instance `key` of `alibaba_dts.orders`, pointed at `emulator`.
fn config(emulator: &Emulator, key: &str) -> Test {
    let main = format!(
        r#"
variable "endpoint" {{
  type = string
}}

provider "alibaba" {{
  region       = "cn-hangzhou"
  endpoint     = var.endpoint
  max_attempts = 1
}}

job "alibaba_dts" "orders" {{
  for_each = {{ {} = "{JOB}" }}
  id       = each.value
  state    = "suspended"
}}
"#,
        hcl_string(key)
    );
    Test::new()
        .file("main.hcl", &main)
        .env("JOBFORM_VAR_endpoint", emulator.url())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIjobformexample")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "jobform-example-secret")
}

fn emulator() -> Emulator {
    let mut world = World::example();
    world.transition_delay_seconds = 0;
    Emulator::start(world).expect("start the emulator")
}

/// Runs `args` in `test`'s directory and checks that neither stdout nor
/// stderr holds a control character (no colour either: output is piped).
fn inert(test: &Test, args: &[&str]) -> Result<Outcome, TestCaseError> {
    let outcome = test.again(args).run();
    prop_assert!(is_inert(&outcome.stdout), "{args:?} stdout: {:?}", outcome.stdout);
    prop_assert!(is_inert(&outcome.stderr), "{args:?} stderr: {:?}", outcome.stderr);
    Ok(outcome)
}

/// Whether `value` holds the string `wanted` anywhere (object keys included).
fn holds(value: &Value, wanted: &str) -> bool {
    match value {
        Value::String(s) => s == wanted,
        Value::Array(items) => items.iter().any(|v| holds(v, wanted)),
        Value::Object(map) => map.iter().any(|(k, v)| k == wanted || holds(v, wanted)),
        _ => false,
    }
}

fn json(outcome: &Outcome) -> Value {
    serde_json::from_str(&outcome.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}\n{}", outcome.stdout, outcome.stderr))
}

/// The Markdown plan's structure for `test`.
fn markdown_structure(test: &Test) -> Result<Vec<String>, TestCaseError> {
    Ok(structure(&inert(test, &["plan", "--format", "markdown"])?.stdout))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn hostile_keys_stay_escaped_from_plan_to_show(key in hostile()) {
        let emulator = emulator();
        let benign = markdown_structure(&config(&emulator, "k"))?;
        let test = config(&emulator, &key);
        let address = Address::instance(JobKind::AlibabaDts, "orders", key.clone()).to_string();

        let plan = inert(&test, &["plan"])?;
        prop_assert_eq!(plan.code, Some(0), "{}", plan.stderr);
        prop_assert_eq!(markdown_structure(&test)?, benign);
        let document = json(&inert(&test, &["plan", "--json"])?);
        prop_assert_eq!(document["changes"][0]["address"].as_str(), Some(address.as_str()));

        let applied = inert(&test, &["apply", "--auto-approve"])?;
        prop_assert_eq!(applied.code, Some(0), "{}", applied.stderr);
        inert(&test, &["show"])?;
        inert(&test, &["state", "list"])?;
        prop_assert!(holds(&json(&inert(&test, &["show", "--json"])?), &address));

        let twice = format!("[{0}, {0}]", hcl_string(&key));
        let duplicated = Test::new()
            .file("main.hcl", &format!(
                "provider \"alibaba\" {{\n  region = \"cn-hangzhou\"\n}}\n\njob \"alibaba_dts\" \"orders\" {{\n  for_each = {twice}\n  id = \"{JOB}\"\n  state = \"running\"\n}}\n"
            ));
        let refused = inert(&duplicated, &["validate"])?;
        prop_assert_eq!(refused.code, Some(1));
        let document = json(&inert(&duplicated, &["validate", "--json"])?);
        let detail = document["diagnostics"][0]["detail"].as_str().unwrap_or_default();
        prop_assert!(detail.contains(&key), "{detail:?}");
    }

    #[test]
    fn hostile_status_words_stay_escaped_in_plans_logs_and_the_state(status in hostile()) {
        let emulator = emulator();
        emulator.set_status(JOB, "Weird");
        let benign = markdown_structure(&config(&emulator, "k"))?;
        emulator.set_status(JOB, &status);
        let test = config(&emulator, "k");

        let plan = inert(&test, &["plan", "-vvv"])?;
        prop_assert_eq!(plan.code, Some(1), "blocked: {}", plan.stdout);
        prop_assert_eq!(markdown_structure(&test)?, benign);
        let document = json(&inert(&test, &["plan", "--json"])?);
        prop_assert!(holds(&document["changes"], &status));

        inert(&test, &["apply", "--refresh-only", "--auto-approve", "-vvv"])?;
        inert(&test, &["show"])?;
        prop_assert!(holds(&json(&inert(&test, &["show", "--json"])?), &status));
    }

    #[test]
    fn hostile_error_messages_and_request_ids_stay_escaped(message in hostile(), request_id in hostile()) {
        let emulator = emulator();
        emulator.inject(Fault::new(FaultKind::ServerError { status: 503 }).on_action("DescribeDtsJobs"));
        emulator.set_error_message(Some("boom"));
        emulator.set_alibaba_request_id(Some("R1"));
        let benign = markdown_structure(&config(&emulator, "k"))?;
        emulator.set_error_message(Some(&message));
        emulator.set_alibaba_request_id(Some(&request_id));
        let test = config(&emulator, "k");

        let plan = inert(&test, &["plan", "-vvv"])?;
        prop_assert_eq!(plan.code, Some(1), "read_failed: {}", plan.stdout);
        prop_assert_eq!(markdown_structure(&test)?, benign);
        let document = json(&inert(&test, &["plan", "--json"])?);
        let error = document["errors"][0]["message"].as_str().unwrap_or_default();
        // Alibaba fills a `%s` of a message with the error's DynamicMessage.
        prop_assert!(message.contains("%s") || error.contains(&message), "{error:?}");

        emulator.clear_faults();
        let applied = inert(&test, &["apply", "--auto-approve", "-vvv"])?;
        prop_assert_eq!(applied.code, Some(0), "{}", applied.stderr);
        inert(&test, &["show"])?;
        prop_assert!(holds(&json(&inert(&test, &["show", "--json"])?), &request_id));
    }
}

#[test]
fn log_lines_show_control_characters_escaped() {
    // tracing escapes ESC in what it formats, but not CR or VT: a job id the
    // configuration gives (and the cloud knows) reaches the "sending action"
    // log line.
    let id = "evil\rid\x0bx\x1b[2J";
    let mut world: Value = serde_json::to_value(World::example()).unwrap();
    world["transition_delay_seconds"] = 0.into();
    world["alibaba"]["jobs"].as_array_mut().unwrap().push(serde_json::json!({
        "id": id, "name": "evil", "kind": "MIGRATION", "region": "cn-hangzhou", "status": "Migrating"
    }));
    let world = World::from_json(&world.to_string(), "hostile world").unwrap();
    let emulator = Emulator::start(world).unwrap();
    let test = config(&emulator, "k").file(
        "evil.hcl",
        &format!(
            "job \"alibaba_dts\" \"evil\" {{\n  id    = {}\n  state = \"suspended\"\n}}\n",
            hcl_string(id)
        ),
    );
    let outcome = test.again(&["apply", "--auto-approve", "-v"]).run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("evil\\rid\\x0bx\\x1b[2J"), "{:?}", outcome.stderr);
    assert!(!outcome.stderr.contains('\x1b'), "not even colour: {:?}", outcome.stderr);
}

#[test]
fn a_hostile_status_word_is_shown_not_interpreted() {
    let emulator = emulator();
    emulator.set_status(JOB, "\x1b]0;owned\x07Synchronizing\r\x1b[2K</details>\n# @everyone");
    jobform_snapshot!(config(&emulator, "k").args(["plan"]), @r#"
    exit_code: 1
    ----- stdout -----
    Blocked: nothing will be sent for these

      ! alibaba_dts.orders["k"]
          [unknown_status] the cloud reports a status jobform does not know (\x1b]0;owned\x07Synchronizing\r\x1b[2K</details>\n# @everyone); nothing is assumed

    Plan: 0 to suspend, 0 to resume, 0 to stop, 1 blocked (0 requests).

    Error: 1 job blocked: this plan cannot be applied. Fix them, narrow the plan with --target/--exclude, or pass --skip-blocked.

    ----- stderr -----
    "#);
    let outcome = config(&emulator, "k").args(["plan", "--format", "markdown"]).run();
    // {WJ}: the word joiner that keeps GitHub from reading a mention.
    insta::assert_snapshot!(outcome.stdout.replace('\u{2060}', "{WJ}"), @r#"
    ### jobform: 0 to suspend, 0 to resume, 0 to stop, 1 blocked (0 requests).

    **This plan cannot be applied: some jobs are blocked.**

    > [!CAUTION]
    > Stops and blocked jobs:
    > - **blocked** `alibaba_dts.orders["k"]`: unknown_status: the cloud reports a status jobform does not know (\\x1b]0;owned\\x07Synchronizing\\r\\x1b[2K\</details\>\\n\# @{WJ}everyone); nothing is assumed

    <details><summary>Changes (1)</summary>

    ```diff
    # alibaba_dts.orders["k"] is blocked
    #     nothing will be sent (see "Stops and blocked jobs")
    ```

    </details>
    "#);
}

#[test]
fn control_characters_in_the_configuration_are_shown_escaped_in_diagnostics() {
    let main = "provider \"alibaba\" {\n  region = \"cn-hangzhou\"\n}\n\njob \"alibaba_dts\" \"orders\" {\n  id    = \"l3m1213ye7l0001\"\n  state = \"\x1b]0;owned\x07run\rning\"\n}\n";
    // The carets stand under the value as shown, escapes included.
    jobform_snapshot!(Test::new().file("main.hcl", main).args(["validate"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid value
      --> main.hcl:7:11
       |
     7 |   state = "\x1b]0;owned\x07run\rning"
       |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^
       |
    "\x1b]0;owned\x07run\rning" is not a valid value for "state": expected one of "running", "suspended", "stopped".
    "#);
}
