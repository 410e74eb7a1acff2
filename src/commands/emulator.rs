//! `jobform emulator serve|run`: the local emulator of both clouds' APIs (the
//! `jobform-emulator` crate), for demos, manual testing and CI.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use jobform_emulator::{Emulator, World};

use crate::cli::EmulatorCommand;
use crate::error::{EXIT_FAILURE, EXIT_SUCCESS, Error};
use crate::fleet::endpoint_variable;
use crate::model::Cloud;

pub(crate) fn run(command: &EmulatorCommand, no_color: bool) -> Result<u8, Error> {
    match command {
        EmulatorCommand::Serve { listen, world } => {
            let address: SocketAddr = listen.parse().map_err(|_| {
                Error::Usage(format!("--listen {listen} is not an address like 127.0.0.1:8470"))
            })?;
            jobform_emulator::serve_until_interrupted(address, load(world.as_deref())?, |url| {
                // For people and scripts waiting for the port; nothing else goes to stdout.
                println!("jobform emulator listening on {url} (Ctrl-C to stop)");
            })?;
            Ok(EXIT_SUCCESS)
        }
        EmulatorCommand::Run { world, command } => exec(load(world.as_deref())?, command, no_color),
    }
}

fn load(path: Option<&Path>) -> Result<World, Error> {
    Ok(match path {
        Some(path) => World::from_file(path)?,
        None => World::example(),
    })
}

/// Runs `jobform COMMAND…` as a child process against an emulator serving
/// `world` from this process, and exits with the child's status.
fn exec(world: World, command: &[String], no_color: bool) -> Result<u8, Error> {
    let alibaba = world.alibaba.accounts.first().cloned();
    let huawei = world.huawei.accounts.iter().find(|a| a.access_key.is_some()).cloned();
    let emulator = Emulator::start(world)?;
    eprintln!(
        "jobform emulator: serving at {} for `jobform {}`",
        emulator.url(),
        command.join(" ")
    );
    let program = std::env::current_exe().map_err(|source| Error::Io {
        action: "cannot find the jobform executable",
        path: "jobform".into(),
        source,
    })?;
    let mut child = Command::new(&program);
    child
        .args(command)
        .env(endpoint_variable(Cloud::Alibaba), emulator.url())
        .env(endpoint_variable(Cloud::Huawei), emulator.url());
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
    drop(emulator);
    // A child killed by a signal has no code; that is a failure all the same.
    Ok(status.code().and_then(|code| u8::try_from(code).ok()).unwrap_or(EXIT_FAILURE))
}
