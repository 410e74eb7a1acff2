//! `jobform validate`: load the configuration and report every problem.
//! Needs no credentials and no network: providers are decoded, never built.
//!
//! Human output: warnings on stderr, then `Success! …` on stdout; errors go
//! back as [`Error::Config`], which the one error printer renders. `--json`
//! prints one document on stdout either way (Terraform's `validate -json`).

use std::io::Write;

use crate::cli::ValidateArgs;
use crate::config::{self, DataInput, Environment};
use crate::error::{Error, ExitStatus};
use crate::render::{self, Palette, plural};

pub(crate) fn run(
    args: &ValidateArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    palettes: (Palette, Palette),
) -> Result<ExitStatus, Error> {
    let ValidateArgs { vars, json } = args;
    let (stdout, stderr) = palettes;
    let dir = super::working_dir()?;
    let loaded =
        config::load_dir(&dir, &vars.inputs, &Environment::from_process(), DataInput::Unknown);
    if *json {
        let (diagnostics, valid) = match &loaded {
            Ok(loaded) => (&loaded.warnings, true),
            Err(diagnostics) => (diagnostics, false),
        };
        render::diagnostic::validate_json(out, diagnostics, valid).map_err(Error::stdout)?;
        return Ok(if valid { ExitStatus::Success } else { ExitStatus::Failure });
    }
    let loaded = loaded.map_err(Error::Config)?;
    super::print_warnings(&loaded.warnings, err, stderr);
    // The jobs a data source gives are known once `plan` reads it.
    let data_sources = match loaded.config.data_sources.len() {
        0 => String::new(),
        count => format!(", {} read at plan time", plural(count, "data source")),
    };
    writeln!(
        out,
        "{} The configuration is valid ({}, {}{data_sources}).",
        stdout.added("Success!"),
        plural(loaded.config.jobs.len(), "job"),
        plural(loaded.config.providers.len(), "provider"),
    )
    .map_err(Error::stdout)?;
    Ok(ExitStatus::Success)
}
