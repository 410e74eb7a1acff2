//! `jobform fmt`: rewrite HCL files in the canonical style (see [`crate::hclfmt`]).
//!
//! Like `terraform fmt`, it lists the files it changed (or, with `--check`,
//! would change) on stdout, one per line.

use std::io::Write;
use std::path::{Path, PathBuf};

use similar::TextDiff;

use crate::cli::FmtArgs;
use crate::error::{Error, ExitStatus, FileFormatError};
use crate::hclfmt::format_source;
use crate::render::{Palette, Terminal};

pub(crate) fn run(
    args: &FmtArgs,
    out: &mut dyn Write,
    palette: Palette,
) -> Result<ExitStatus, Error> {
    let FmtArgs { check, diff, paths } = args;
    let files = hcl_files(paths)?;
    let mut unformatted = false;
    let mut failures = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).map_err(|source| Error::Io {
            action: "cannot read",
            path: file.clone(),
            source,
        })?;
        let formatted = match format_source(&source) {
            Ok(formatted) => formatted,
            Err(error) => {
                failures.push(FileFormatError { path: file, error });
                continue;
            }
        };
        if formatted == source {
            continue;
        }
        unformatted = true;
        writeln!(out, "{}", Terminal(file.display())).map_err(Error::stdout)?;
        if *diff {
            write_diff(out, &file, &source, &formatted, palette).map_err(Error::stdout)?;
        }
        if !check {
            std::fs::write(&file, formatted).map_err(|source| Error::Io {
                action: "cannot write",
                path: file,
                source,
            })?;
        }
    }
    if !failures.is_empty() {
        return Err(Error::Unformattable(failures));
    }
    Ok(if *check && unformatted { ExitStatus::Unformatted } else { ExitStatus::Success })
}

/// The files to format: each named file, the `*.hcl` files of each named
/// directory, or those of the working directory when nothing is named.
fn hcl_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() { &default[..] } else { paths };
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| Error::Io {
                action: "cannot read directory",
                path: path.clone(),
                source,
            })?;
            let mut found: Vec<PathBuf> =
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "hcl"))
                    .map(|p| {
                        if path == Path::new(".") {
                            PathBuf::from(p.file_name().unwrap())
                        } else {
                            p
                        }
                    })
                    .collect();
            found.sort();
            files.extend(found);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(Error::Usage(format!("no such file or directory: {}", path.display())));
        }
    }
    Ok(files)
}

fn write_diff(
    out: &mut dyn Write,
    file: &Path,
    before: &str,
    after: &str,
    palette: Palette,
) -> std::io::Result<()> {
    let name = file.display().to_string();
    let diff = TextDiff::from_lines(before, after);
    let text = diff.unified_diff().context_radius(3).header(&name, &name).to_string();
    for line in text.lines() {
        let line = match line.as_bytes().first() {
            Some(b'+') if !line.starts_with("+++") => palette.added(line),
            Some(b'-') if !line.starts_with("---") => palette.removed(line),
            _ => Terminal(line).to_string(),
        };
        writeln!(out, "{line}")?;
    }
    Ok(())
}
