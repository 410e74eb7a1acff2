//! `jobform validate`: load the configuration and report every problem.
//! Needs no credentials and no network: providers are decoded, never built.

use std::io::{self, Write};

use serde::Serialize;

use crate::cli::ValidateArgs;
use crate::config::{self, Diagnostic, Diagnostics, Environment};
use crate::error::{EXIT_FAILURE, EXIT_SUCCESS, Error};
use crate::render::Palette;

/// The version of the `validate --json` document.
const FORMAT_VERSION: &str = "1.0";

/// The `validate --json` document (Terraform's `validate -json` shape).
#[derive(Serialize)]
struct ValidateDocument<'a> {
    format_version: &'static str,
    valid: bool,
    error_count: usize,
    warning_count: usize,
    diagnostics: &'a [Diagnostic],
}

pub(crate) fn run(args: &ValidateArgs, stdout: Palette, stderr: Palette) -> Result<u8, Error> {
    let ValidateArgs { vars, json } = args;
    let dir = std::env::current_dir().map_err(|source| Error::Io {
        action: "cannot read the working directory",
        path: ".".into(),
        source,
    })?;
    let loaded = config::load_dir(&dir, &vars.inputs, &Environment::from_process());
    let write_error =
        |source| Error::Io { action: "cannot write to", path: "stdout".into(), source };
    if *json {
        let (diagnostics, valid) = match &loaded {
            Ok(loaded) => (&loaded.warnings, true),
            Err(diagnostics) => (diagnostics, false),
        };
        let document = ValidateDocument {
            format_version: FORMAT_VERSION,
            valid,
            error_count: diagnostics.error_count(),
            warning_count: diagnostics.warning_count(),
            diagnostics: &diagnostics.0,
        };
        let mut out = io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &document)
            .map_err(io::Error::from)
            .map_err(write_error)?;
        writeln!(out).map_err(write_error)?;
        return Ok(if valid { EXIT_SUCCESS } else { EXIT_FAILURE });
    }
    let loaded = loaded.map_err(Error::Config)?;
    print_warnings(&loaded.warnings, stderr).map_err(write_error)?;
    let jobs = loaded.config.jobs.len();
    let providers = loaded.config.providers.len();
    writeln!(
        io::stdout().lock(),
        "{} The configuration is valid ({}, {}).",
        stdout.added("Success!"),
        plural(jobs, "job"),
        plural(providers, "provider"),
    )
    .map_err(write_error)?;
    Ok(EXIT_SUCCESS)
}

fn print_warnings(warnings: &Diagnostics, palette: Palette) -> io::Result<()> {
    if warnings.is_empty() {
        return Ok(());
    }
    let mut err = io::stderr().lock();
    warnings.render(&mut err, palette)?;
    writeln!(err)
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}
