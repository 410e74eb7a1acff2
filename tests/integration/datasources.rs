//! Data sources against the emulator's paging world (95 DTS jobs across
//! types, 250 DRS jobs): what each expands to, in how many listing
//! requests, what the plan shows of them, and that a saved plan is applied
//! with the expansion it recorded.

use jobform_emulator::{Emulator, Fault, FaultKind};
use serde_json::{Value, json};

use crate::import::{paging_world, paging_world_and, requests};
use crate::support::convergence::acted_on;
use crate::support::*;

/// The 11 SYNC tasks named `fleet SYNC #1…` (#1, #13 and #17 paused, the
/// others synchronizing); the DRS jobs of every type, read in
/// one series of pages shared by two data sources, one of which matches
/// nothing.
const DATA: &str = r#"
provider "alibaba" {
  region = "cn-hangzhou"
}

provider "huawei" {
  region     = "ap-southeast-1"
  project_id = "054ba152d480d55b2f5dc0069e7ddef0"
}

data "alibaba_dts_jobs" "sync" {
  job_type   = "SYNC"
  name_regex = "^fleet SYNC #1"
  status     = ["Synchronizing", "Suspending"]
}

data "huawei_drs_jobs" "paused" {
  status = ["PAUSING"]
}

data "huawei_drs_jobs" "none" {
  name_regex = "^no such job"
}
"#;

/// Suspends what `DATA` selects.
const JOBS: &str = r#"
job "alibaba_dts" "sync" {
  for_each = data.alibaba_dts_jobs.sync.ids
  id       = each.value
  state    = "suspended"
}

job "huawei_drs" "paused" {
  for_each    = data.huawei_drs_jobs.paused.jobs
  id          = each.key
  state       = "suspended"
  description = "${each.value.name} (${each.value.job_type})"
}
"#;

/// `FLEET` against `emulator`, its endpoints given by the environment (no
/// variable holds them, so a saved plan can be applied to another emulator).
fn fleet(emulator: &Emulator) -> Test {
    Test::new()
        .file("data.hcl", DATA)
        .file("jobs.hcl", JOBS)
        .emulated(emulator)
        .pointed_at(emulator)
}

trait PointedAt {
    fn pointed_at(self, emulator: &Emulator) -> Self;
}

impl PointedAt for Test {
    fn pointed_at(self, emulator: &Emulator) -> Self {
        self.env("JOBFORM_ALIBABA_ENDPOINT", emulator.url())
            .env("JOBFORM_HUAWEI_ENDPOINT", emulator.url())
    }
}

fn start(world: jobform_emulator::World) -> Emulator {
    Emulator::start(world).expect("start the emulator")
}

#[test]
fn data_sources_expand_to_the_matching_jobs_in_one_paged_listing_per_query() {
    let emulator = start(paging_world());
    let test = Test::new().file("data.hcl", DATA).emulated(&emulator).pointed_at(&emulator);
    jobform_snapshot!(test.again(&["plan"]), @r#"
    exit_code: 0
    ----- stdout -----
    Data sources read:
      data.alibaba_dts_jobs.sync matched 11 jobs (data.hcl:10:1)
      data.huawei_drs_jobs.none matched 0 jobs (data.hcl:20:1)
      data.huawei_drs_jobs.paused matched 50 jobs (data.hcl:16:1)

    No changes. Every job is in its declared state (0 jobs).
    Warnings:

      ! [data_source_empty]: data.huawei_drs_jobs.none (declared at data.hcl:20:1) matched no job: no block expands from it

    Plan: 0 to suspend, 0 to resume, 0 to stop, 0 blocked (0 requests).

    ----- stderr -----
    "#);
    // Nothing but the listings is read: ⌈35/30⌉ pages of DescribeDtsJobs for SYNC; ⌈153/100⌉ + ⌈70/100⌉ +
    // ⌈30/100⌉ of ShowJobList for the two DRS data sources together.
    assert_eq!(requests(&emulator, "DescribeDtsJobs"), 2);
    assert_eq!(requests(&emulator, "ShowJobList"), 4);

    let test = fleet(&emulator);
    jobform_snapshot!(test.again(&["plan"]), @r#"
    exit_code: 0
    ----- stdout -----
    Data sources read:
      data.alibaba_dts_jobs.sync matched 11 jobs (data.hcl:10:1)
      data.huawei_drs_jobs.none matched 0 jobs (data.hcl:20:1)
      data.huawei_drs_jobs.paused matched 50 jobs (data.hcl:16:1)

    jobform will perform the following actions:

      ~ alibaba_dts.sync["dtssyn010"] will be suspended
          "running" -> "suspended"  (live: Synchronizing)
          id dtssyn010 via alibaba

      ~ alibaba_dts.sync["dtssyn011"] will be suspended
          "running" -> "suspended"  (live: Synchronizing)
          id dtssyn011 via alibaba

      ~ alibaba_dts.sync["dtssyn012"] will be suspended
          "running" -> "suspended"  (live: Synchronizing)
          id dtssyn012 via alibaba

      ~ alibaba_dts.sync["dtssyn014"] will be suspended
          "running" -> "suspended"  (live: Synchronizing)
          id dtssyn014 via alibaba

      ~ alibaba_dts.sync["dtssyn015"] will be suspended
          "running" -> "suspended"  (live: Synchronizing)
          id dtssyn015 via alibaba

      ~ alibaba_dts.sync["dtssyn016"] will be suspended
          "running" -> "suspended"  (live: Synchronizing)
          id dtssyn016 via alibaba

      ~ alibaba_dts.sync["dtssyn018"] will be suspended
          "running" -> "suspended"  (live: Synchronizing)
          id dtssyn018 via alibaba

      ~ alibaba_dts.sync["dtssyn019"] will be suspended
          "running" -> "suspended"  (live: Synchronizing)
          id dtssyn019 via alibaba

    Warnings:

      ! [data_source_empty]: data.huawei_drs_jobs.none (declared at data.hcl:20:1) matched no job: no block expands from it

    Requests, in order:

      Wave 1
        SuspendDtsJobs via alibaba: alibaba_dts.sync["dtssyn010"], alibaba_dts.sync["dtssyn011"], alibaba_dts.sync["dtssyn012"], alibaba_dts.sync["dtssyn014"], alibaba_dts.sync["dtssyn015"], alibaba_dts.sync["dtssyn016"], alibaba_dts.sync["dtssyn018"], alibaba_dts.sync["dtssyn019"]

    Plan: 8 to suspend, 0 to resume, 0 to stop, 0 blocked (1 request).

    ----- stderr -----
    "#);
    let json: Value = serde_json::from_str(&test.again(&["plan", "--json"]).run().stdout).unwrap();
    assert_eq!(
        json["data_sources"],
        json!([
            { "address": "data.alibaba_dts_jobs.sync", "declared_at": "data.hcl:10:1", "matched": 11 },
            { "address": "data.huawei_drs_jobs.none", "declared_at": "data.hcl:20:1", "matched": 0 },
            { "address": "data.huawei_drs_jobs.paused", "declared_at": "data.hcl:16:1", "matched": 50 },
        ])
    );
    let empty: Vec<&Value> = json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["code"] == "data_source_empty")
        .collect();
    assert_eq!(empty.len(), 1, "{json}");
    let markdown = test.again(&["plan", "--format", "markdown"]).run().stdout;
    assert!(
        markdown.contains("- data.alibaba_dts_jobs.sync matched 11 jobs (data.hcl:10:1)\n"),
        "{markdown}"
    );
}

#[test]
fn a_listing_that_fails_fails_the_plan_like_a_read() {
    let emulator = start(paging_world());
    emulator.inject(Fault::new(FaultKind::GatewayPage { status: 403 }).on_action("ShowJobList"));
    let test = fleet(&emulator);
    jobform_snapshot!(test.again(&["plan"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Provider not usable
    data.hcl:5:1: provider huawei cannot be used: unexpected response: not JSON: expected value at line 1 column 1 (ShowJobList, HTTP 403); fix: check the block's region, project_id and endpoint (and JOBFORM_HUAWEI_ENDPOINT), DNS, and the network or proxy between jobform and the cloud.
    "#);
    // The DTS listing's two pages; no job is read once a listing failed.
    assert_eq!(requests(&emulator, "DescribeDtsJobs"), 2);
}

#[test]
fn a_saved_plan_is_applied_with_its_recorded_expansion() {
    let planned = start(paging_world());
    let outcome = fleet(&planned).again(&["plan", "--out", "plan.json"]).run();
    assert_eq!(outcome.code, Some(0), "{}", outcome.snapshot());

    // The same world plus one more synchronizing `fleet SYNC #1…` task: a
    // job created between plan and apply, which the data source matches now.
    // The apply acts on the 8 synchronizing tasks the plan found, not on it.
    let later = start(paging_world_and(|world| {
        world["alibaba"]["jobs"].as_array_mut().unwrap().push(json!({
            "id": "dtssyn100", "instance_id": "idtssyn100", "name": "fleet SYNC #100",
            "kind": "SYNC", "region": "cn-hangzhou", "status": "Synchronizing",
        }));
    }));
    let at_later = Test::in_dir(&outcome).emulated(&later).pointed_at(&later);
    let applied = at_later.again(&["apply", "plan.json"]).run();
    assert_eq!(applied.code, Some(0), "{}", applied.snapshot());
    assert_eq!(later.job_status("dtssyn100").as_deref(), Some("Synchronizing"));
    assert!(!acted_on(&later).contains(&"dtssyn100".to_owned()));
    assert_eq!(acted_on(&later).len(), 8);
    // A new plan lists again and finds it.
    jobform_snapshot!(at_later.again(&["plan"]), @r#"
    exit_code: 0
    ----- stdout -----
    Data sources read:
      data.alibaba_dts_jobs.sync matched 12 jobs (data.hcl:10:1)
      data.huawei_drs_jobs.none matched 0 jobs (data.hcl:20:1)
      data.huawei_drs_jobs.paused matched 50 jobs (data.hcl:16:1)

    jobform will perform the following actions:

      ~ alibaba_dts.sync["dtssyn100"] will be suspended
          "running" -> "suspended"  (live: Synchronizing)
          id dtssyn100 via alibaba

    Warnings:

      ! [data_source_empty]: data.huawei_drs_jobs.none (declared at data.hcl:20:1) matched no job: no block expands from it

    Requests, in order:

      Wave 1
        SuspendDtsJob via alibaba: alibaba_dts.sync["dtssyn100"]

    Plan: 1 to suspend, 0 to resume, 0 to stop, 0 blocked (1 request).

    ----- stderr -----
    "#);
}

#[test]
fn an_edited_expansion_is_refused() {
    let emulator = start(paging_world());
    let test = fleet(&emulator);
    let outcome = test.again(&["plan", "--out", "plan.json"]).run();
    let mut saved: Value = serde_json::from_str(&outcome.read("plan.json")).unwrap();
    saved["data"]["data.alibaba_dts_jobs.sync"].as_array_mut().unwrap().pop();
    std::fs::write(outcome.path().join("plan.json"), saved.to_string()).unwrap();
    emulator.clear_journal();
    jobform_snapshot!(test.again(&["apply", "plan.json"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Plan file does not match
    plan.json: the plan file does not match the plan the configuration makes from the same inputs, so it was edited or damaged; nothing was sent. First difference: data_sources[0].ids has 11 entries in the plan file, but the configuration plans 10. Run `jobform plan --out` again.
    "#);
    assert!(acted_on(&emulator).is_empty());
}

#[test]
fn validate_checks_data_sources_without_credentials() {
    let test = Test::new().file("data.hcl", DATA).file("jobs.hcl", JOBS);
    jobform_snapshot!(test.again(&["validate"]), @r#"
    exit_code: 0
    ----- stdout -----
    Success! The configuration is valid (0 jobs, 2 providers, 3 data sources read at plan time).

    ----- stderr -----
    "#);
    let wrong_blocks = r#"
provider "alibaba" {
  region = "cn-hangzhou"
}

locals {
  ids = data.alibaba_dts_jobs.sync.ids
}

data "alibaba_dts_jobs" "sync" {
  job_type    = "sync"
  name_regex  = "^orders-("
  engine_type = "mysql"
  provider    = alibaba.eu
}

data "alibaba_dts_jobs" "sync" {
  status = "Synchronizing"
}

data "alibaba_dts_job" "typo" {}
"#;
    jobform_snapshot!(Test::new().file("main.hcl", wrong_blocks).args(["validate"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid reference
      --> main.hcl:6:9
       |
     6 |   ids = data.alibaba_dts_jobs.sync.ids
       |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
       |
    Data sources can be read in job blocks only: variables, locals, providers and data blocks are evaluated before any data source is read.

    Error: Invalid value
      --> main.hcl:10:17
        |
     10 |   job_type    = "sync"
        |                 ^^^^^^
        |
    "sync" is not a valid value for "job_type": expected one of "MIGRATION", "SYNC", "SUBSCRIBE".

    Error: Invalid regular expression
      --> main.hcl:11:17
        |
     11 |   name_regex  = "^orders-("
        |                 ^^^^^^^^^^^
        |
    The name_regex is not a regular expression:
    regex parse error:
        ^orders-(
                ^
    error: unclosed group

    Error: Unsupported argument
      --> main.hcl:12:3
        |
     12 |   engine_type = "mysql"
        |   ^^^^^^^^^^^
        |
    An argument named "engine_type" is not expected here: only huawei_drs_jobs data sources have it.

    Error: Reference to undeclared provider
      --> main.hcl:13:17
        |
     13 |   provider    = alibaba.eu
        |                 ^^^^^^^^^^
        |
    No provider "alibaba.eu" is declared: add a provider "alibaba" block with alias = "eu". Did you mean "alibaba"?

    Error: Duplicate data source
      --> main.hcl:16:1
        |
     16 | data "alibaba_dts_jobs" "sync" {
        | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        |
    A data source "alibaba_dts_jobs" "sync" was already declared at main.hcl:9:1. Each data block needs a unique kind and name.

    Error: Incorrect argument value type
      --> main.hcl:17:12
        |
     17 |   status = "Synchronizing"
        |            ^^^^^^^^^^^^^^^
        |
    Inappropriate value for argument "status": list of strings required, got string.

    Error: Unknown data source kind
      --> main.hcl:20:6
        |
     20 | data "alibaba_dts_job" "typo" {}
        |      ^^^^^^^^^^^^^^^^^
        |
    "alibaba_dts_job" is not a data source kind: expected one of "alibaba_dts_jobs", "alibaba_migration_jobs", "alibaba_synchronization_jobs", "huawei_drs_jobs". Did you mean "alibaba_dts_jobs"?
    "#);
    let wrong_references = r#"
provider "alibaba" {
  region = "cn-hangzhou"
}

data "alibaba_dts_jobs" "sync" {
  job_type = "SYNC"
}

job "alibaba_dts" "one" {
  id    = data.alibaba_migration_jobs.sync.ids
  state = "running"
}

job "alibaba_dts" "names" {
  for_each    = data.alibaba_dts_jobs.sync.jobs
  id          = each.key
  state       = "running"
  description = data.alibaba_dts_jobs.sync.jobs[each.key].nme
}

job "alibaba_dts" "set" {
  id    = data.alibaba_dts_jobs.sync.ids
  state = "running"
}

job "alibaba_dts" "each" {
  for_each    = data.alibaba_dts_jobs.sync.jobs
  id          = each.key
  state       = each.value.status == "Suspending" ? "suspended" : "running"
  description = "${each.value.name} (${each.value.stauts})"
}

job "alibaba_dts" "list" {
  for_each = data.alibaba_dts_jobs.sync.id
  id       = each.value
  state    = "running"
}
"#;
    jobform_snapshot!(Test::new().file("main.hcl", wrong_references).args(["validate"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Reference to undeclared data source
      --> main.hcl:10:11
        |
     10 |   id    = data.alibaba_migration_jobs.sync.ids
        |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        |
    A data source "alibaba_migration_jobs" "sync" has not been declared.

    Error: Unsupported attribute
      --> main.hcl:18:17
        |
     18 |   description = data.alibaba_dts_jobs.sync.jobs[each.key].nme
        |                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        |
    A job of data.alibaba_dts_jobs.sync.jobs has the attributes instance_id, job_type, name, status, two_way; not "nme". Did you mean "name"?

    Error: Incorrect argument value type
      --> main.hcl:22:11
        |
     22 |   id    = data.alibaba_dts_jobs.sync.ids
        |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        |
    Inappropriate value for argument "id": string required, got list.

    Error: Unsupported attribute
      --> main.hcl:30:40
        |
     30 |   description = "${each.value.name} (${each.value.stauts})"
        |                                        ^^^^^^^^^^^^^^^^^
        |
    each.value is a job of the data source, with the attributes instance_id, job_type, name, status, two_way; not "stauts". Did you mean "status"?

    Error: Unsupported attribute
      --> main.hcl:34:14
        |
     34 |   for_each = data.alibaba_dts_jobs.sync.id
        |              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
        |
    data.alibaba_dts_jobs.sync has two attributes: "ids" (a set of job ids) and "jobs" (a map from job id to job).
    "#);
}
