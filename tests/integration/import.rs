//! `jobform import` against the emulator: worlds with paging (95 DTS jobs
//! across types, 250 DRS jobs across `db_use_type`s), a configuration that
//! already manages some jobs (a `for_each` over a variable among them), and
//! hostile names.

use jobform_emulator::{Emulator, World};
use serde_json::{Value, json};

use crate::support::*;

/// Manages the example world's jobs except the reverse task of
/// `orders_sync`: the examples' blocks (the DRS ones through a `for_each`
/// over a variable) minus `alibaba_dts.orders_sync_reverse`.
fn managing_examples(emulator: &Emulator) -> Test {
    let alibaba = include_str!("../../examples/alibaba.hcl");
    let start = alibaba.find("job \"alibaba_dts\" \"orders_sync_reverse\"").unwrap();
    let end = start + alibaba[start..].find("}\n").unwrap() + 2;
    let alibaba = format!("{}{}", &alibaba[..start], &alibaba[end..]);
    Test::new()
        .file("providers.hcl", include_str!("../../examples/providers.hcl"))
        .file("variables.hcl", include_str!("../../examples/variables.hcl"))
        .file("huawei.hcl", include_str!("../../examples/huawei.hcl"))
        .file("alibaba.hcl", &alibaba)
        .emulated(emulator)
}

/// The example world with `add` applied to its JSON, rate limits lifted.
fn world(add: impl FnOnce(&mut Value)) -> World {
    let mut world: Value =
        serde_json::from_str(include_str!("../../examples/emulator.world.json")).unwrap();
    world["rate_limits"] = json!([]);
    add(&mut world);
    World::from_json(&world.to_string(), "import world").unwrap()
}

/// 95 DTS jobs (40 migrations, 35 synchronizations of which 4 two-way, 20
/// change trackings; every fourth paused) and 250 DRS jobs (150 migration,
/// 70 sync, 30 cloudDataGuard; every fifth paused; three sync jobs share a name).
pub(crate) fn paging_world() -> World {
    paging_world_and(|_| {})
}

/// [`paging_world`] with `add` applied to its JSON.
pub(crate) fn paging_world_and(add: impl FnOnce(&mut Value)) -> World {
    world(|world| {
        let alibaba = world["alibaba"]["jobs"].as_array_mut().unwrap();
        for (kind, count, running) in [
            ("MIGRATION", 40, "Migrating"),
            ("SYNC", 35, "Synchronizing"),
            ("SUBSCRIBE", 20, "Normal"),
        ] {
            for n in 0..count {
                let id = format!("dts{}{n:03}", kind[..3].to_lowercase());
                let paused = n % 4 == 1 && kind != "SUBSCRIBE";
                let mut job = json!({
                    "id": id, "instance_id": format!("i{id}"), "name": format!("fleet {kind} #{n}"),
                    "kind": kind, "region": "cn-hangzhou",
                    "status": if paused { "Suspending" } else { running },
                });
                if kind == "SYNC" && n % 10 == 0 {
                    job["topology"] = json!("two_way");
                    job["reverse_status"] = json!("Suspending");
                }
                alibaba.push(job);
            }
        }
        let huawei = world["huawei"]["jobs"].as_array_mut().unwrap();
        for (use_type, count) in [("migration", 150), ("sync", 70), ("cloudDataGuard", 30)] {
            for n in 0..count {
                let name = if use_type == "sync" && n < 3 {
                    "sync replica".to_owned()
                } else {
                    format!("{use_type}-{n}")
                };
                huawei.push(json!({
                    "id": format!("{n:08}-0000-4000-8000-{:012}", use_type.len()),
                    "project_id": "054ba152d480d55b2f5dc0069e7ddef0",
                    "name": name, "db_use_type": use_type,
                    "status": if n % 5 == 2 { "PAUSING" } else { "INCRE_TRANSFER_STARTED" },
                }));
            }
        }
        add(world);
    })
}

fn start(world: World) -> Emulator {
    Emulator::start(world).expect("start the emulator")
}

/// How many requests of `action` the emulator answered.
pub(crate) fn requests(emulator: &Emulator, action: &str) -> usize {
    emulator.journal().iter().filter(|entry| entry.action == action).count()
}

#[test]
fn importing_a_mixed_world_then_planning_says_no_changes() {
    let emulator = start(paging_world());
    let test = managing_examples(&emulator);
    jobform_snapshot!(test.again(&["import", "--out", "imported.hcl"]), @r#"
    exit_code: 0
    ----- stdout -----
    Imported 350 jobs into imported.hcl (recorded in the state): `jobform plan` now says "No changes" for them.

    ----- stderr -----
    "#);
    // ⌈40/30⌉ + ⌈35/30⌉ + ⌈20/30⌉ pages of DescribeDtsJobs; ⌈153/100⌉ + ⌈70/100⌉ + ⌈30/100⌉ of ShowJobList.
    assert_eq!(requests(&emulator, "DescribeDtsJobs"), 5);
    assert_eq!(requests(&emulator, "ShowJobList"), 4);
    assert_eq!(
        (
            requests(&emulator, "DescribeMigrationJobs"),
            requests(&emulator, "DescribeSynchronizationJobs")
        ),
        (1, 1)
    );

    let outcome = test.again(&["validate"]).run();
    let hcl = outcome.read("imported.hcl");
    // 95 DTS jobs, 4 reverse tasks, the example's unmanaged reverse task, 250 DRS jobs.
    assert_eq!(hcl.matches("\njob \"").count() + usize::from(hcl.starts_with("job")), 350);
    assert!(hcl.contains("job \"alibaba_dts\" \"orders_sync_reverse\" {"), "{hcl}");
    assert!(hcl.contains("job \"huawei_drs\" \"sync_replica_3\" {"), "{hcl}");
    assert!(!hcl.contains("eu_replica"), "managed through for_each: {hcl}");
    jobform_snapshot!(test.again(&["validate"]), @r#"
    exit_code: 0
    ----- stdout -----
    Success! The configuration is valid (358 jobs, 2 providers).

    ----- stderr -----
    "#);
    jobform_snapshot!(test.again(&["fmt", "--check"]), @r#"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    "#);
    jobform_snapshot!(test.again(&["plan"]), @r#"
    exit_code: 0
    ----- stdout -----
    No changes. Every job is in its declared state (358 jobs).
    Plan: 0 to suspend, 0 to resume, 0 to stop, 0 blocked (0 requests).

    ----- stderr -----
    "#);
    let audit = test.again(&["show", "--json"]).run().stdout;
    let state: Value = serde_json::from_str(&audit).unwrap();
    let imported =
        state["audit"].as_array().unwrap().iter().filter(|e| e["verb"] == "import").count();
    assert_eq!(imported, 350);
    assert_eq!(state["format_version"], 3);
}

#[test]
fn a_second_import_finds_nothing_new() {
    let emulator = start(paging_world());
    let test = managing_examples(&emulator);
    assert_eq!(test.again(&["import", "--out", "imported.hcl"]).run().code, Some(0));
    jobform_snapshot!(test.again(&["import", "--out", "more.hcl"]), @r#"
    exit_code: 0
    ----- stdout -----
    No unmanaged jobs to import: every job the providers list is managed by a block (or filtered out).

    ----- stderr -----
    "#);
    assert!(!test.path().join("more.hcl").exists());
}

#[test]
fn filter_and_provider_narrow_what_is_imported() {
    let emulator = start(paging_world());
    let test = managing_examples(&emulator);
    jobform_snapshot!(
        test.again(&["import", "--provider", "alibaba", "--filter", "^fleet SYNC #[0-9]$", "--out", "sync.hcl"]),
        @r#"
        exit_code: 0
        ----- stdout -----
        Imported 11 jobs into sync.hcl (recorded in the state): `jobform plan` now says "No changes" for them.

        ----- stderr -----
        "#
    );
    let hcl = std::fs::read_to_string(test.path().join("sync.hcl")).unwrap();
    assert_eq!(hcl.matches("_reverse\" {").count(), 1, "{hcl}");
    jobform_snapshot!(test.again(&["import", "--provider", "huawei.eu"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid command line
    --provider huawei.eu: no provider block is `huawei.eu` (declared: alibaba, huawei).
    "#);
    jobform_snapshot!(test.again(&["import", "--filter", "(unclosed"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Invalid command line
    --filter is not a regular expression: regex parse error:
        (unclosed
        ^
    error: unclosed group.
    "#);
}

#[test]
fn grouped_import_declares_one_for_each_block_per_kind_and_state() {
    // Besides running and paused jobs: an ended DTS migration (imported
    // stopped, which needs allow_stop), an ended legacy synchronization (the
    // legacy API cannot stop, so no block can declare it) and a DRS job still
    // being configured (not imported).
    let emulator = start(world(|world| {
        world["huawei"]["jobs"][1]["status"] = json!("PAUSING");
        world["huawei"]["jobs"][2]["status"] = json!("CONFIGURATION");
        world["alibaba"]["jobs"][1]["status"] = json!("Finished");
        world["alibaba"]["jobs"][4]["status"] = json!("Finished");
    }));
    let test = Test::new()
        .file("providers.hcl", include_str!("../../examples/providers.hcl"))
        .file("variables.hcl", include_str!("../../examples/variables.hcl"))
        .emulated(&emulator);
    jobform_snapshot!(test.again(&["import", "--group"]), @r#"
    exit_code: 0
    ----- stdout -----
    # Imported by jobform import.
    job "alibaba_dts" "imported_running" {
      for_each = {
        # alibaba_dts job "audit_trail" ("Normal")
        audit_trail = "s9p4b2d6fw30003"
        # alibaba_dts job "orders_sync" ("Synchronizing")
        orders_sync = "l3m1213ye7l0001"
      }
      id    = each.value
      state = "running"
    }

    # Imported by jobform import.
    job "alibaba_dts" "imported_stopped" {
      for_each = {
        # alibaba_dts job "billing_migration" ("Finished")
        billing_migration = "k2n8x7c1vq90002"
      }
      id         = each.value
      state      = "stopped"
      allow_stop = true
    }

    # Imported by jobform import.
    job "alibaba_dts" "imported_running_reverse" {
      for_each = {
        # reverse task of alibaba_dts job "orders_sync" ("Synchronizing")
        orders_sync = "l3m1213ye7l0001"
      }
      id        = each.value
      direction = "reverse"
      state     = "running"
    }

    # Imported by jobform import.
    job "alibaba_migration" "imported_running" {
      for_each = {
        # alibaba_migration job "legacy_inventory" ("Migrating")
        legacy_inventory = "dtsj1x11y51g3b0004"
      }
      id    = each.value
      state = "running"
    }

    # Imported by jobform import.
    job "huawei_drs" "imported_running" {
      for_each = {
        # huawei_drs job "eu_replica_a" ("INCRE_TRANSFER_STARTED")
        eu_replica_a = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
      }
      id    = each.value
      state = "running"
    }

    # Imported by jobform import.
    job "huawei_drs" "imported_suspended" {
      for_each = {
        # huawei_drs job "eu_replica_b" ("PAUSING")
        eu_replica_b = "5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"
      }
      id    = each.value
      state = "suspended"
    }

    ----- stderr -----
    Warning: not imported: alibaba_synchronization job "legacy_reports" (dtsmr1q4mc21520005): it has ended, and a block cannot declare it stopped (the alibaba_synchronization API cannot stop a job: manage the task as an alibaba_dts job instead)
    Warning: not imported: huawei_drs job "eu_replica_c" (c0ffee00-1234-4abc-8def-0123456789ab): its status "CONFIGURATION" means not_started: import it once it is running, suspended or stopped
    Imported 7 jobs (recorded in the state): save the HCL above in a *.hcl file of the configuration.
    "#);
    assert_eq!(test.again(&["import", "--group", "--out", "imported.hcl"]).run().code, Some(0));
    jobform_snapshot!(test.again(&["plan"]), @r#"
    exit_code: 0
    ----- stdout -----
    No changes. Every job is in its declared state (7 jobs).
    Plan: 0 to suspend, 0 to resume, 0 to stop, 0 blocked (0 requests).

    ----- stderr -----
    "#);
    jobform_snapshot!(test.again(&["state", "list"]), @r#"
    exit_code: 0
    ----- stdout -----
    alibaba_dts.imported_running["audit_trail"]
    alibaba_dts.imported_running["orders_sync"]
    alibaba_dts.imported_running_reverse["orders_sync"]
    alibaba_dts.imported_stopped["billing_migration"]
    alibaba_migration.imported_running["legacy_inventory"]
    huawei_drs.imported_running["eu_replica_a"]
    huawei_drs.imported_suspended["eu_replica_b"]

    ----- stderr -----
    "#);
}

#[test]
fn hostile_names_stay_inside_their_comments() {
    let hostile = "evil\n}\njob \"alibaba_dts\" \"x\" { id = \"${var.y}\" }\r*/ /* \u{202e}gnp.exe \u{2028}%{ if true }\u{7}";
    let emulator = start(world(|world| {
        for job in world["alibaba"]["jobs"].as_array_mut().unwrap() {
            job["name"] = json!(hostile);
        }
        world["alibaba"]["jobs"][1]["id"] = json!("k2n8${x}%{y}\"q\\z");
        world["huawei"]["jobs"][0]["name"] = json!("\u{1b}]0;pwned\u{7}");
    }));
    let test = Test::new()
        .file("providers.hcl", include_str!("../../examples/providers.hcl"))
        .file("variables.hcl", include_str!("../../examples/variables.hcl"))
        .emulated(&emulator);
    jobform_snapshot!(test.again(&["import"]), @r#"
    exit_code: 0
    ----- stdout -----
    # alibaba_dts job "evil\u{a}}\u{a}job \"alibaba_dts\" \"x\" { id = \"${var.y}\" }\u{d}*/ /* \u{202e}gnp.exe \u{2028}%{ if true }\u{7}" ("Migrating")
    job "alibaba_dts" "evil_job_alibaba_dts_x_id_var_y_gnp_exe_if_true" {
      id          = "k2n8$${x}%%{y}\"q\\z"
      instance_id = "dtsk2n8x7c1vq90002"
      state       = "running"
    }

    # alibaba_dts job "evil\u{a}}\u{a}job \"alibaba_dts\" \"x\" { id = \"${var.y}\" }\u{d}*/ /* \u{202e}gnp.exe \u{2028}%{ if true }\u{7}" ("Synchronizing")
    job "alibaba_dts" "evil_job_alibaba_dts_x_id_var_y_gnp_exe_if_true_2" {
      id          = "l3m1213ye7l0001"
      instance_id = "dtsl3m1213ye7l0001"
      state       = "running"
    }

    # alibaba_dts job "evil\u{a}}\u{a}job \"alibaba_dts\" \"x\" { id = \"${var.y}\" }\u{d}*/ /* \u{202e}gnp.exe \u{2028}%{ if true }\u{7}" ("Normal")
    job "alibaba_dts" "evil_job_alibaba_dts_x_id_var_y_gnp_exe_if_true_3" {
      id          = "s9p4b2d6fw30003"
      instance_id = "dtss9p4b2d6fw30003"
      state       = "running"
    }

    # reverse task of alibaba_dts job "evil\u{a}}\u{a}job \"alibaba_dts\" \"x\" { id = \"${var.y}\" }\u{d}*/ /* \u{202e}gnp.exe \u{2028}%{ if true }\u{7}" ("Synchronizing")
    job "alibaba_dts" "evil_job_alibaba_dts_x_id_var_y_gnp_exe_if_true_reverse" {
      id          = "l3m1213ye7l0001"
      direction   = "reverse"
      instance_id = "dtsl3m1213ye7l0001"
      state       = "running"
    }

    # alibaba_migration job "evil\u{a}}\u{a}job \"alibaba_dts\" \"x\" { id = \"${var.y}\" }\u{d}*/ /* \u{202e}gnp.exe \u{2028}%{ if true }\u{7}" ("Migrating")
    job "alibaba_migration" "evil_job_alibaba_dts_x_id_var_y_gnp_exe_if_true" {
      id    = "dtsj1x11y51g3b0004"
      state = "running"
    }

    # alibaba_synchronization job "evil\u{a}}\u{a}job \"alibaba_dts\" \"x\" { id = \"${var.y}\" }\u{d}*/ /* \u{202e}gnp.exe \u{2028}%{ if true }\u{7}" ("Synchronizing")
    job "alibaba_synchronization" "evil_job_alibaba_dts_x_id_var_y_gnp_exe_if_true" {
      id    = "dtsmr1q4mc21520005"
      state = "running"
    }

    # huawei_drs job "eu_replica_b" ("INCRE_TRANSFER_STARTED")
    job "huawei_drs" "eu_replica_b" {
      id    = "5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"
      state = "running"
    }

    # huawei_drs job "eu_replica_c" ("INCRE_TRANSFER_STARTED")
    job "huawei_drs" "eu_replica_c" {
      id    = "c0ffee00-1234-4abc-8def-0123456789ab"
      state = "running"
    }

    # huawei_drs job "\u{1b}]0;pwned\u{7}" ("INCRE_TRANSFER_STARTED")
    job "huawei_drs" "job_0_pwned" {
      id    = "8d0e8e36-a618-490d-8a46-8c61ac9bb502"
      state = "running"
    }

    ----- stderr -----
    Imported 9 jobs (recorded in the state): save the HCL above in a *.hcl file of the configuration.
    "#);
    assert_eq!(test.again(&["import", "--out", "imported.hcl"]).run().code, Some(0));
    jobform_snapshot!(test.again(&["fmt", "--check"]), @r#"
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
    "#);
    jobform_snapshot!(test.again(&["plan"]), @r#"
    exit_code: 0
    ----- stdout -----
    No changes. Every job is in its declared state (9 jobs).
    Plan: 0 to suspend, 0 to resume, 0 to stop, 0 blocked (0 requests).

    ----- stderr -----
    "#);
}

#[test]
fn an_existing_file_is_not_overwritten_without_force() {
    let emulator = start(world(|_| {}));
    let test = managing_examples(&emulator).file("imported.hcl", "# mine\n").env("USER", "dba");
    jobform_snapshot!(test.again(&["import", "--out", "imported.hcl"]), @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Output file exists
    imported.hcl already exists: jobform does not overwrite it unless --force is given.
    "#);
    assert_eq!(std::fs::read_to_string(test.path().join("imported.hcl")).unwrap(), "# mine\n");
    jobform_snapshot!(test.again(&["import", "--out", "imported.hcl", "--force"]), @r#"
    exit_code: 0
    ----- stdout -----
    Imported 1 job into imported.hcl (recorded in the state): `jobform plan` now says "No changes" for them.

    ----- stderr -----
    "#);
    jobform_snapshot!(test.again(&["plan"]), @r#"
    exit_code: 0
    ----- stdout -----
    No changes. Every job is in its declared state (9 jobs).
    Plan: 0 to suspend, 0 to resume, 0 to stop, 0 blocked (0 requests).

    ----- stderr -----
    "#);
    // The record keeps the JobType the job was listed under, for the next read.
    let state = std::fs::read_to_string(test.path().join("state/jobform.state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    let observed = &state["jobs"]["alibaba_dts.orders_sync_reverse"]["observed"];
    assert_eq!(observed["job_type"], "SYNC");
    // The audit names the machine: its host name is redacted.
    let shown = test.again(&["show"]).run();
    let mut filters = FILTERS.to_vec();
    filters.push((r"by dba@\S+", "by dba@[HOST]"));
    insta::with_settings!({ filters => filters }, { insta::assert_snapshot!(shown.snapshot(), @r#"
    exit_code: 0
    ----- stdout -----
    State: state/jobform.state.json (serial 1, lineage [UUID], written by jobform [VERSION])

    alibaba_dts.orders_sync_reverse
      id:          l3m1213ye7l0001
      provider:    alibaba
      direction:   reverse
      observed:    running (Synchronizing) at [TIME]

    Audit log: 1 record, oldest first:
      [TIME]  import alibaba_dts.orders_sync_reverse: succeeded
          by dba@[HOST]
          imported: named "orders_sync" in the cloud, status Synchronizing

    ----- stderr -----
    "#); });
}

#[test]
fn the_postgres_backend_records_imports_too() {
    let Some(cluster) = crate::support::pg::Cluster::start(false) else { return };
    let emulator = start(world(|_| {}));
    let test = managing_examples(&emulator)
        .file("backend.hcl", "backend \"pg\" {\n  schema_name = \"jobform\"\n}\n")
        .env("PG_CONN_STR", &cluster.conn_str());
    let imported = test.again(&["import", "--out", "imported.hcl"]).run();
    assert_eq!(imported.code, Some(0), "{}", imported.stderr);
    let plan = test.again(&["plan"]).run();
    assert!(plan.stdout.starts_with("No changes."), "{}{}", plan.stdout, plan.stderr);
    let shown: Value = serde_json::from_str(&test.again(&["show", "--json"]).run().stdout).unwrap();
    let audit = shown["audit"].as_array().unwrap();
    assert_eq!(audit.len(), 1, "{shown}");
    assert_eq!(
        (audit[0]["verb"].as_str(), audit[0]["address"].as_str()),
        (Some("import"), Some("alibaba_dts.orders_sync_reverse"))
    );
    let again = test.again(&["import", "--out", "more.hcl"]).run();
    assert!(again.stdout.starts_with("No unmanaged jobs to import"), "{}", again.stdout);
}
