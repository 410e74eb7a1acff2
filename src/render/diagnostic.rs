//! Configuration diagnostics drawn for a person (Terraform/just style, the
//! source line with carets under the place) and as the `validate --json`
//! document (Terraform's `validate -json`).

use std::io::{self, Write};

use serde::Serialize;

use super::{Palette, Terminal, TerminalText};
use crate::config::{Diagnostic, Diagnostics, Severity};

/// The version of the `validate --json` document.
const VALIDATE_FORMAT_VERSION: &str = "1.0";

/// The `validate --json` document.
#[derive(Serialize)]
struct ValidateDocument<'a> {
    format_version: &'static str,
    valid: bool,
    error_count: usize,
    warning_count: usize,
    diagnostics: &'a [Diagnostic],
}

/// Writes `validate --json`: whether the configuration is `valid`, with its diagnostics.
pub fn validate_json(
    out: &mut dyn Write,
    diagnostics: &Diagnostics,
    valid: bool,
) -> io::Result<()> {
    super::json::write_pretty(
        out,
        &ValidateDocument {
            format_version: VALIDATE_FORMAT_VERSION,
            valid,
            error_count: diagnostics.error_count(),
            warning_count: diagnostics.warning_count(),
            diagnostics: &diagnostics.0,
        },
    )
}

/// Writes every diagnostic for a person, separated by blank lines.
pub fn human(out: &mut dyn Write, diagnostics: &Diagnostics, palette: Palette) -> io::Result<()> {
    for (index, diagnostic) in diagnostics.iter().enumerate() {
        if index > 0 {
            writeln!(out)?;
        }
        one(out, diagnostic, palette)?;
    }
    Ok(())
}

/// Writes one diagnostic for a person:
///
/// ```text
/// Error: Unsupported argument
///   --> main.hcl:7:3
///    |
///  7 |   sate = "running"
///    |   ^^^^
///    |
/// An argument named "sate" is not expected here. Did you mean "state"?
/// ```
pub fn one(out: &mut dyn Write, diagnostic: &Diagnostic, palette: Palette) -> io::Result<()> {
    let severe = |text: String| match diagnostic.severity {
        Severity::Error => palette.error(text),
        Severity::Warning => palette.warning(text),
    };
    let label = match diagnostic.severity {
        Severity::Error => "Error:",
        Severity::Warning => "Warning:",
    };
    writeln!(out, "{} {}", severe(label.to_owned()), palette.strong(&diagnostic.summary))?;
    if let Some(range) = &diagnostic.range {
        writeln!(out, "  {} {}", palette.dim("-->"), Terminal(range))?;
    }
    if let Some(snippet) = &diagnostic.snippet {
        let number = snippet.start_line.to_string();
        let gutter = palette.dim(format!("{} |", " ".repeat(number.len() + 1)));
        // A source line may hold control characters (a quoted key): the
        // carets are counted on the line as shown, escapes included.
        let code = &snippet.code;
        let shown = |part: &str| Terminal(part).to_string().chars().count();
        let before = shown(&code[..snippet.highlight_start_offset]);
        let width =
            shown(&code[snippet.highlight_start_offset..snippet.highlight_end_offset]).max(1);
        writeln!(out, "{gutter}")?;
        writeln!(out, "{} {}", palette.dim(format!(" {number} |")), Terminal(code))?;
        writeln!(out, "{gutter} {}{}", " ".repeat(before), severe("^".repeat(width)))?;
        writeln!(out, "{gutter}")?;
    }
    if !diagnostic.detail.is_empty() {
        writeln!(out, "{}", TerminalText(&diagnostic.detail))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Snippet, SourcePos, SourceRange};

    fn rendered(diagnostic: &Diagnostic) -> String {
        let mut out = Vec::new();
        one(&mut out, diagnostic, Palette::never()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn renders_location_gutter_and_carets() {
        let diagnostic = Diagnostic {
            severity: Severity::Error,
            summary: "Unsupported argument".into(),
            detail: "An argument named \"sate\" is not expected here.".into(),
            range: Some(SourceRange {
                filename: "main.hcl".into(),
                start: SourcePos { line: 12, column: 3, byte: 40 },
                end: SourcePos { line: 12, column: 7, byte: 44 },
            }),
            snippet: Some(Snippet {
                code: "  sate = \"running\"".into(),
                start_line: 12,
                highlight_start_offset: 2,
                highlight_end_offset: 6,
            }),
        };
        assert_eq!(
            rendered(&diagnostic),
            "Error: Unsupported argument\n  --> main.hcl:12:3\n    |\n 12 |   sate = \"running\"\n    |   ^^^^\n    |\nAn argument named \"sate\" is not expected here.\n"
        );
    }

    #[test]
    fn placeless_diagnostics_have_no_snippet() {
        let diagnostic = Diagnostic::warning("Value for undeclared variable", "");
        assert_eq!(rendered(&diagnostic), "Warning: Value for undeclared variable\n");
    }
}
