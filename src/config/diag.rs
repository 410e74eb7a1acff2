//! Diagnostics in Terraform's shape: severity, summary, detail and the source
//! range they are about.

use std::io::{self, Write};

use serde::Serialize;

use crate::model::SourceLocation;
use crate::render::Palette;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Stops the command.
    Error,
    /// Reported, but the command goes on.
    Warning,
}

/// One problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One line: what is wrong.
    pub summary: String,
    /// More explanation, hints.
    pub detail: Option<String>,
    /// Where.
    pub location: Option<SourceLocation>,
}

/// Every diagnostic of one run, in source order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// How many are errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// Writes every diagnostic for a human.
    pub fn render(&self, out: &mut dyn Write, palette: Palette) -> io::Result<()> {
        for diagnostic in &self.0 {
            let label = match diagnostic.severity {
                Severity::Error => palette.error("Error:"),
                Severity::Warning => palette.warning("Warning:"),
            };
            writeln!(out, "{label} {}", diagnostic.summary)?;
            if let Some(location) = &diagnostic.location {
                writeln!(out, "  --> {location}")?;
            }
            if let Some(detail) = &diagnostic.detail {
                writeln!(out, "{detail}")?;
            }
        }
        Ok(())
    }
}
