//! Runs the emulator from the command line without the jobform binary:
//! `cargo run -p jobform-emulator --example serve -- [--listen ADDR] [--world FILE]`.

use std::path::PathBuf;
use std::process::ExitCode;

use jobform_emulator::{World, serve_until_interrupted};

fn main() -> ExitCode {
    let mut listen = "127.0.0.1:8470".to_owned();
    let mut world_file: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--listen", Some(value)) => listen = value,
            ("--world", Some(value)) => world_file = Some(PathBuf::from(value)),
            _ => {
                eprintln!("usage: serve [--listen ADDR] [--world FILE]");
                return ExitCode::from(2);
            }
        }
    }
    let world = match world_file.as_deref().map_or_else(|| Ok(World::example()), World::from_file) {
        Ok(world) => world,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let Ok(listen) = listen.parse() else {
        eprintln!("error: --listen {listen} is not an address like 127.0.0.1:8470");
        return ExitCode::from(2);
    };
    match serve_until_interrupted(listen, world, |url| println!("emulator listening on {url}")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
