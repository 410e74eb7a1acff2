//! `jobform emulator serve|run` from the command line.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use crate::support::Test;

#[test]
fn run_executes_a_command_against_a_fresh_emulator() {
    let test = Test::new().examples().args([
        "emulator",
        "run",
        "--",
        "plan",
        "--var",
        "maintenance=true",
        "--detailed-exitcode",
        "--json",
    ]);
    let outcome = test.run();
    assert_eq!(outcome.code, Some(2), "the child's exit code: {}", outcome.stderr);
    let view: jobform::render::plan_view::PlanView = serde_json::from_str(&outcome.stdout).unwrap();
    assert_eq!(view.summary.suspend, 8);
    insta::with_settings!({ filters => crate::support::FILTERS.to_vec() }, {
        insta::assert_snapshot!(outcome.stderr, @"jobform emulator: serving emulator.world.json at http://127.0.0.1:[PORT] for `jobform plan --var maintenance=true --detailed-exitcode --json` (job states kept in .jobform/emulator.world.json; --fresh resets them)");
    });
}

#[test]
fn run_keeps_the_job_states_between_runs_as_a_cloud_would() {
    let maintenance = ["--var", "maintenance=true"];
    let applied = Test::new()
        .examples()
        .args(["emulator", "run", "--", "apply", "--auto-approve"])
        .args(maintenance)
        .run();
    assert_eq!(applied.code, Some(0), "{}", applied.stderr);
    // The next run finds the jobs as the apply left them. Global flags given
    // before `emulator run` reach the command (-v: what plan read).
    let again = Test::in_dir(&applied)
        .args(["-v", "emulator", "run", "--", "plan", "--detailed-exitcode"])
        .args(maintenance)
        .run();
    assert_eq!(again.code, Some(0), "{}\n{}", again.stdout, again.stderr);
    assert!(again.stdout.starts_with("No changes."), "{}", again.stdout);
    assert!(again.stderr.contains("INFO read 9 jobs in "), "{}", again.stderr);
    assert!(!again.stderr.contains('\u{1b}'), "no colour in a pipe: {:?}", again.stderr);
    // --fresh starts from the world file again: the jobs run.
    let fresh = Test::in_dir(&applied)
        .args(["emulator", "run", "--fresh", "--", "plan", "--detailed-exitcode"])
        .args(maintenance)
        .run();
    assert_eq!(fresh.code, Some(2), "{}", fresh.stderr);
    // So does a changed world file, and a damaged kept file is not trusted.
    let kept = applied.path().join(".jobform/emulator.world.json");
    std::fs::write(&kept, "{ damaged").unwrap();
    let damaged = Test::in_dir(&applied)
        .args(["emulator", "run", "--", "plan", "--detailed-exitcode"])
        .args(maintenance)
        .run();
    assert_eq!(damaged.code, Some(2), "{}", damaged.stderr);
}

#[test]
fn run_reports_a_bad_world_file() {
    let test = Test::new().file("world.json", "{\"alibaba\": {\"acounts\": []}}").args([
        "emulator",
        "run",
        "--world",
        "world.json",
        "--",
        "plan",
    ]);
    jobform_snapshot!(test, @r#"
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    Error: Emulator not started
    world.json: unknown field `acounts`, expected one of `accounts`, `regions`, `jobs` at line 1 column 22.
    "#);
}

#[test]
fn serve_listens_and_answers_until_killed() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jobform"))
        .args(["emulator", "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
    let address = url.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "GET /_emulator/journal HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let signed = signed_read(&url);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(line.starts_with("jobform emulator listening on http://127.0.0.1:"), "{line}");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(signed.as_deref(), Ok("Synchronizing"), "a V1-signed DescribeDtsJobs is answered");
}

/// Reads the example's two-way DTS job through jobform's own (signing) client.
fn signed_read(url: &str) -> Result<String, String> {
    use jobform::model::{
        AlibabaOptions, AlibabaProvider, Direction, JobKind, KindOptions, ProviderConfig, Secret,
        SourceLocation,
    };
    use jobform::provider::{CloudProvider, JobRef, Provider};
    let block = ProviderConfig::Alibaba(AlibabaProvider {
        alias: None,
        region: "cn-hangzhou".to_owned(),
        access_key_id: Some("LTAIjobformexample".to_owned()),
        access_key_secret: Some(Secret::new("jobform-example-secret")),
        security_token: None,
        endpoint: Some(url.to_owned()),
        tuning: jobform::model::ProviderTuning::default(),
        declared_at: SourceLocation { file: "main.hcl".into(), line: 1, column: 1 },
    });
    let client = CloudProvider::from_config(&block, &|_| None).map_err(|e| e.to_string())?;
    let job = JobRef {
        kind: JobKind::AlibabaDts,
        id: "l3m1213ye7l0001",
        options: &KindOptions::Alibaba(AlibabaOptions {
            direction: Direction::Forward,
            instance_id: None,
        }),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let read =
        runtime.block_on(client.read(std::slice::from_ref(&job))).map_err(|e| e.to_string())?;
    read.get(job.kind, job.id)
        .map(|live| live.raw_status.clone())
        .ok_or_else(|| "not found".to_owned())
}
