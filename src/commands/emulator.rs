//! `jobform emulator serve`: the local emulator of both clouds' APIs (the
//! `jobform-emulator` crate), for demos, manual testing and CI.

use std::net::SocketAddr;

use jobform_emulator::World;

use crate::cli::EmulatorCommand;
use crate::error::{EXIT_SUCCESS, Error};

pub(crate) fn run(command: &EmulatorCommand) -> Result<u8, Error> {
    let EmulatorCommand::Serve { listen, world } = command;
    let address: SocketAddr = listen.parse().map_err(|_| {
        Error::Usage(format!("--listen {listen} is not an address like 127.0.0.1:8470"))
    })?;
    let world = match world {
        Some(path) => World::from_file(path)?,
        None => World::example(),
    };
    jobform_emulator::serve_until_interrupted(address, world, |url| {
        // Printed for people and scripts waiting for the port; nothing else goes to stdout.
        println!("jobform emulator listening on {url} (Ctrl-C to stop)");
    })?;
    Ok(EXIT_SUCCESS)
}
