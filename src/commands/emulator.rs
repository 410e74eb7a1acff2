//! `jobform emulator serve|run`: the local emulator of both clouds' APIs (the
//! `jobform-emulator` crate), for demos, manual testing and CI.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use jobform_emulator::{Cloud as EmulatedCloud, Emulator, JobView, World};
use sha2::{Digest, Sha256};

use super::clock::CLOCK_URL_VARIABLE;
use crate::cli::EmulatorCommand;
use crate::error::{Error, ExitStatus};
use crate::model::Cloud;
use crate::provider::fleet::endpoint_variable;

pub(crate) fn run(
    command: &EmulatorCommand,
    no_color: bool,
    verbose: u8,
) -> Result<ExitStatus, Error> {
    match command {
        EmulatorCommand::Serve { listen, world } => {
            let address: SocketAddr = listen.parse().map_err(|_| {
                Error::Usage(format!("--listen {listen} is not an address like 127.0.0.1:8470"))
            })?;
            let world = source_world(world.as_deref())?.1;
            jobform_emulator::serve_until_interrupted(address, world, |url| {
                // For people and scripts waiting for the port; nothing else goes to stdout.
                println!("jobform emulator listening on {url} (Ctrl-C to stop)");
            })?;
            Ok(ExitStatus::Success)
        }
        EmulatorCommand::Run { world, fresh, command } => {
            let (origin, source) = source_world(world.as_deref())?;
            let kept = KeptWorld::new(&source);
            let world = if *fresh { KeptWorld::forget()? } else { kept.load()? }.unwrap_or(source);
            let emulator = Emulator::start(world.clone())?;
            eprintln!(
                "jobform emulator: serving {origin} at {} for `jobform {}` (job states kept in {KEPT_PATH}; --fresh resets them)",
                emulator.url(),
                command.join(" ")
            );
            let code = exec(&emulator, &world, command, no_color, verbose)?;
            kept.save(&emulator, world)?;
            Ok(code)
        }
    }
}

/// Where `emulator run` keeps the job states between runs, as a cloud would.
const KEPT_PATH: &str = ".jobform/emulator.world.json";
/// The world file `emulator run` and `serve` read from the working directory.
const WORLD_FILE: &str = "emulator.world.json";

/// The world to start from: `--world FILE`, else `emulator.world.json` in
/// the working directory, else the built-in example; and its name.
fn source_world(path: Option<&Path>) -> Result<(String, World), Error> {
    let local = Path::new(WORLD_FILE);
    Ok(match path {
        Some(path) => (path.display().to_string(), World::from_file(path)?),
        None if local.is_file() => (WORLD_FILE.to_owned(), World::from_file(local)?),
        None => ("the example world".to_owned(), World::example()),
    })
}

/// The jobs' states at the end of the last `emulator run`, with the digest
/// of the world they grew from: a changed world file starts afresh.
#[derive(serde::Serialize, serde::Deserialize)]
struct Kept<W> {
    source_digest: String,
    world: W,
}

/// The kept world of one source world.
struct KeptWorld {
    source_digest: String,
}

impl KeptWorld {
    fn new(source: &World) -> Self {
        let text = serde_json::to_vec(source).expect("worlds serialize");
        KeptWorld { source_digest: format!("{:x}", Sha256::digest(text)) }
    }

    /// The kept world, if it grew from this source world.
    fn load(&self) -> Result<Option<World>, Error> {
        let text = match std::fs::read_to_string(KEPT_PATH) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(io_error("cannot read", source)),
        };
        // A damaged or foreign file is started over, never trusted: it only
        // holds emulated jobs.
        Ok(serde_json::from_str::<Kept<serde_json::Value>>(&text)
            .ok()
            .filter(|kept| kept.source_digest == self.source_digest)
            .and_then(|kept| World::from_json(&kept.world.to_string(), KEPT_PATH).ok()))
    }

    /// `--fresh`: removes the kept world.
    fn forget() -> Result<Option<World>, Error> {
        match std::fs::remove_file(KEPT_PATH) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(io_error("cannot remove", error))
            }
            _ => Ok(None),
        }
    }

    /// Keeps the jobs' states as the emulator has them now, transitions in
    /// flight completed (a cloud would go on with them).
    fn save(&self, emulator: &Emulator, mut world: World) -> Result<(), Error> {
        emulator.advance(Duration::from_secs(world.transition_delay_seconds));
        let views: HashMap<(EmulatedCloud, String), JobView> =
            emulator.jobs().into_iter().map(|view| ((view.cloud, view.id.clone()), view)).collect();
        for job in &mut world.alibaba.jobs {
            if let Some(view) = views.get(&(EmulatedCloud::Alibaba, job.id.clone())) {
                job.status.clone_from(&view.status);
                job.reverse_status.clone_from(&view.reverse_status);
                job.paused_at = view.paused_at;
            }
        }
        for job in &mut world.huawei.jobs {
            if let Some(view) = views.get(&(EmulatedCloud::Huawei, job.id.clone())) {
                job.status.clone_from(&view.status);
                job.paused_at = view.paused_at;
            }
        }
        let kept = Kept { source_digest: self.source_digest.clone(), world };
        let mut text = serde_json::to_vec_pretty(&kept).expect("worlds serialize");
        text.push(b'\n');
        std::fs::create_dir_all(".jobform").map_err(|source| io_error("cannot create", source))?;
        std::fs::write(KEPT_PATH, text).map_err(|source| io_error("cannot write", source))
    }
}

fn io_error(action: &'static str, source: std::io::Error) -> Error {
    Error::Io { action, path: KEPT_PATH.into(), source }
}

/// Runs `jobform COMMAND…` as a child process against an emulator serving
/// `world` from this process, and returns the child's status.
fn exec(
    emulator: &Emulator,
    world: &World,
    command: &[String],
    no_color: bool,
    verbose: u8,
) -> Result<ExitStatus, Error> {
    let alibaba = world.alibaba.accounts.first().cloned();
    let huawei = world.huawei.accounts.iter().find(|a| a.access_key.is_some()).cloned();
    let program = std::env::current_exe().map_err(|source| Error::Io {
        action: "cannot find the jobform executable",
        path: "jobform".into(),
        source,
    })?;
    let mut child = Command::new(&program);
    // Global flags given before `emulator run` reach the command too; the
    // working directory is already the one `--chdir` chose.
    child
        .args((0..verbose).map(|_| "-v"))
        .args(command)
        .env_remove("JOBFORM_CHDIR")
        .env(endpoint_variable(Cloud::Alibaba), emulator.url())
        .env(endpoint_variable(Cloud::Huawei), emulator.url())
        // Maintenance windows open and close on the emulated clock.
        .env(CLOCK_URL_VARIABLE, emulator.url());
    if let Some(account) = alibaba {
        child
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", account.access_key_id)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", account.access_key_secret);
        if let Some(token) = account.security_token {
            child.env("ALIBABA_CLOUD_SECURITY_TOKEN", token);
        }
    }
    if let Some(account) = huawei {
        child
            .env("HUAWEICLOUD_SDK_AK", account.access_key.unwrap_or_default())
            .env("HUAWEICLOUD_SDK_SK", account.secret_key.unwrap_or_default());
        if let Some(token) = account.security_token {
            child.env("HUAWEICLOUD_SDK_SECURITY_TOKEN", token);
        }
    }
    if no_color {
        child.env("NO_COLOR", "1");
    }
    let status = child.status().map_err(|source| Error::Io {
        action: "cannot run",
        path: program.clone(),
        source,
    })?;
    // A child killed by a signal has no code; that is a failure all the same.
    Ok(status
        .code()
        .and_then(|code| u8::try_from(code).ok())
        .map_or(ExitStatus::Failure, ExitStatus::Child))
}
