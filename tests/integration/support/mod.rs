//! The test harness: a builder that lays out files in a fresh temporary
//! directory, runs `jobform` there, and renders the outcome as one snapshot
//! string with the unstable parts (paths, ports, times, ids) redacted.

pub(crate) mod convergence;
pub(crate) mod pg;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::rc::Rc;

/// Snapshots `exit_code`, stdout and stderr of a [`Test`] run with the standard filters.
macro_rules! jobform_snapshot {
    ($test:expr, @$snapshot:literal) => {{
        let outcome = $test.run();
        insta::with_settings!({ filters => $crate::support::FILTERS.to_vec() }, {
            insta::assert_snapshot!(outcome.snapshot(), @$snapshot);
        });
        outcome
    }};
}

/// Regex redactions applied to every snapshot (uv's `INSTA_FILTERS`, cargo's `[ROOT]`).
pub(crate) static FILTERS: &[(&str, &str)] = &[
    (r"/tmp/\.tmp[A-Za-z0-9]+", "[TEMP]"),
    (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
    (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]"),
    // Lineages and lock ids are random; job ids (DRS ids are UUIDs too) are not redacted.
    (
        r"(lineage\W+|lock id |lock |force-unlock )[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "$1[UUID]",
    ),
    (r"jobform \d+\.\d+\.\d+", "jobform [VERSION]"),
    // The clouds' (and the emulator's) request ids are random.
    (r"request id [0-9A-Fa-f-]{16,}", "request id [REQUEST_ID]"),
    (r"request [0-9A-Fa-f-]{16,}", "request [REQUEST_ID]"),
    // How long an apply waited depends on the machine.
    // Durations are shown to the second, in up to four units (`1d 2h 0m 5s`).
    (r"\b\d+[dhms]( \d+[dhms])* elapsed\]", "[DURATION] elapsed]"),
    (r"after \d+[dhms]( \d+[dhms])*", "after [DURATION]"),
];

/// One command-line invocation being set up.
#[must_use]
pub(crate) struct Test {
    dir: Rc<tempfile::TempDir>,
    args: Vec<String>,
    env: BTreeMap<String, String>,
}

impl Test {
    /// A fresh, empty working directory.
    pub(crate) fn new() -> Self {
        Test {
            dir: Rc::new(tempfile::tempdir().expect("create temp dir")),
            args: Vec::new(),
            env: BTreeMap::new(),
        }
    }

    /// Writes a file (parent directories created) relative to the working directory.
    pub(crate) fn file(self, name: &str, contents: &str) -> Self {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, unindent(contents)).unwrap();
        self
    }

    /// The working directory, to lay out what `file` cannot (links, modes).
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A new run in the working directory `previous` ran in (its files, the
    /// state it wrote).
    pub(crate) fn in_dir(previous: &Outcome) -> Self {
        Test { dir: Rc::clone(&previous.dir), args: Vec::new(), env: BTreeMap::new() }
    }

    /// Another run of `jobform args` in the same directory with the same
    /// environment (the files and state earlier runs left).
    pub(crate) fn again(&self, args: &[&str]) -> Self {
        Test {
            dir: Rc::clone(&self.dir),
            args: args.iter().map(|&a| a.to_owned()).collect(),
            env: self.env.clone(),
        }
    }

    /// Copies every file of the repository's `examples/` directory into the working directory.
    pub(crate) fn examples(self) -> Self {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        for entry in std::fs::read_dir(source).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), self.dir.path().join(entry.file_name())).unwrap();
            }
        }
        self
    }

    /// Points the example configuration at `emulator`: its endpoints (through
    /// the examples' `*_endpoint` variables) and the example world's credentials.
    pub(crate) fn emulated(self, emulator: &jobform_emulator::Emulator) -> Self {
        self.env("JOBFORM_VAR_alibaba_endpoint", emulator.url())
            .env("JOBFORM_VAR_huawei_endpoint", emulator.url())
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIjobformexample")
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "jobform-example-secret")
            .env("HUAWEICLOUD_SDK_AK", "HWJOBFORMEXAMPLEAK01")
            .env("HUAWEICLOUD_SDK_SK", "jobform-example-sk")
    }

    /// Sets an environment variable for the run (the rest of the environment is cleared).
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.to_owned(), value.to_owned());
        self
    }

    /// The command-line arguments after `jobform`.
    pub(crate) fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs `jobform` and captures the outcome.
    pub(crate) fn run(&self) -> Outcome {
        let output = self.command().output().expect("run jobform");
        Outcome {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            dir: Rc::clone(&self.dir),
        }
    }

    /// Starts `jobform` without waiting for it (output discarded), e.g. to kill it.
    pub(crate) fn spawn(&self) -> std::process::Child {
        self.command().stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start jobform")
    }

    /// Starts `jobform` with its stdout and stderr piped, to read as it runs.
    pub(crate) fn spawn_piped(&self) -> std::process::Child {
        self.command().spawn().expect("start jobform")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_jobform"));
        command
            .args(&self.args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }
}

/// What one run produced.
pub(crate) struct Outcome {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// Kept alive so files the run wrote can be read after the `Test` is gone.
    dir: Rc<tempfile::TempDir>,
}

impl Outcome {
    /// The snapshot text: exit code, stdout, stderr, with the temp dir redacted.
    pub(crate) fn snapshot(&self) -> String {
        let code = self.code.map_or_else(|| "signal".to_owned(), |c| c.to_string());
        let text = format!(
            "exit_code: {code}\n----- stdout -----\n{}\n----- stderr -----\n{}",
            self.stdout, self.stderr
        );
        text.replace(&self.dir.path().display().to_string(), "[TEMP]")
    }

    /// The working directory of the run.
    pub(crate) fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Reads a file the run left in the working directory.
    pub(crate) fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap()
    }
}

/// Strips the common leading indentation of a raw string literal, and its
/// first line when empty, so tests can indent file contents with the code.
pub(crate) fn unindent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(line.get(indent..).unwrap_or_else(|| line.trim_start()));
        out.push('\n');
    }
    out
}

/// Reads `output` (a running command's) up to and including the first line
/// starting with `prefix`, and returns that line; panics if the output ends first.
pub(crate) fn read_until(output: &mut impl std::io::BufRead, prefix: &str) -> String {
    let mut line = String::new();
    while !line.starts_with(prefix) {
        line.clear();
        assert!(output.read_line(&mut line).unwrap() > 0, "the output ended before {prefix:?}");
    }
    line
}

/// Waits until `emulator` holds a request of `child` with a `slow` fault (the
/// request is in flight), the event tests act on instead of a guessed time;
/// panics if `child` exits first.
pub(crate) fn wait_until_held(
    emulator: &jobform_emulator::Emulator,
    child: &mut std::process::Child,
) {
    while emulator.held_requests() == 0 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("jobform exited ({status}) before its request reached the emulator");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// The example providers and variables, `jobs` as the job blocks, pointed
/// at `emulator` and following its clock (`JOBFORM_CLOCK_URL`).
pub(crate) fn on_emulator_clock(emulator: &jobform_emulator::Emulator, jobs: &str) -> Test {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let read = |name: &str| std::fs::read_to_string(examples.join(name)).unwrap();
    Test::new()
        .file("providers.hcl", &read("providers.hcl"))
        .file("variables.hcl", &read("variables.hcl"))
        .file("jobs.hcl", jobs)
        .emulated(emulator)
        .env("JOBFORM_CLOCK_URL", emulator.url())
}

/// An emulator of the example world whose transitions settle at once, so
/// applies are quick.
pub(crate) fn instant_emulator() -> jobform_emulator::Emulator {
    let mut world = jobform_emulator::World::example();
    world.transition_delay_seconds = 0;
    jobform_emulator::Emulator::start(world).expect("start the emulator")
}

/// `count` made-up DRS job ids (UUIDs), the same on every call.
pub(crate) fn drs_fleet_ids(count: usize) -> Vec<String> {
    (0..count).map(|n| format!("00000000-0000-4000-8000-{n:012}")).collect()
}

/// The example world plus the DRS jobs `ids` (incremental, running), with
/// transitions taking `delay_seconds` of emulated time.
pub(crate) fn drs_fleet_world(ids: &[String], delay_seconds: u64) -> jobform_emulator::World {
    let mut world: serde_json::Value =
        serde_json::from_str(include_str!("../../../examples/emulator.world.json")).unwrap();
    world["transition_delay_seconds"] = delay_seconds.into();
    // The DRS client reads every id in one batch-status call, which the
    // emulator caps at `max_batch_ids` like the action batches.
    world["max_batch_ids"] = 100.into();
    let jobs = world["huawei"]["jobs"].as_array_mut().unwrap();
    for id in ids {
        jobs.push(serde_json::json!({
            "id": id,
            "project_id": "054ba152d480d55b2f5dc0069e7ddef0",
            "status": "INCRE_TRANSFER_STARTED",
        }));
    }
    jobform_emulator::World::from_json(&world.to_string(), "fleet world").unwrap()
}

/// A configuration of the example providers declaring the DRS jobs `ids`
/// (`huawei_drs.fleet[id]`) suspended, pointed at `emulator`.
pub(crate) fn drs_fleet_config(ids: &[String], emulator: &jobform_emulator::Emulator) -> Test {
    let quoted: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
    let jobs = format!(
        "job \"huawei_drs\" \"fleet\" {{\n  for_each = toset([{}])\n  id = each.value\n  state = \"suspended\"\n}}\n",
        quoted.join(", ")
    );
    Test::new()
        .file("providers.hcl", include_str!("../../../examples/providers.hcl"))
        .file("variables.hcl", include_str!("../../../examples/variables.hcl"))
        .file("fleet.hcl", &jobs)
        .emulated(emulator)
}
