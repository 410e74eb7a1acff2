//! Diagnostics in Terraform's shape (`tfdiags`): severity, summary, detail,
//! the source range they are about and the (secret-masked) source line. The
//! data only: [`crate::render::diagnostic`] draws them.
//!
//! A diagnostic carries its own snippet, so it can be printed or serialised
//! long after the source map is gone (for example from the top-level error).

use std::fmt;

use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Stops the command.
    Error,
    /// Reported, but the command goes on.
    Warning,
}

/// A position in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourcePos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// 0-based byte offset into the file.
    pub byte: usize,
}

/// A range of a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourceRange {
    /// The file, as the user named it.
    pub filename: String,
    /// The first character.
    pub start: SourcePos,
    /// Just past the last character.
    pub end: SourcePos,
}

impl fmt::Display for SourceRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.filename, self.start.line, self.start.column)
    }
}

/// The source line a diagnostic is about, secrets masked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Snippet {
    /// The line's text (without its line break).
    pub code: String,
    /// Its 1-based line number.
    pub start_line: usize,
    /// Byte offset into `code` where the highlighted part starts.
    pub highlight_start_offset: usize,
    /// Byte offset into `code` where the highlighted part ends.
    pub highlight_end_offset: usize,
}

/// One problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One line: what is wrong.
    pub summary: String,
    /// More explanation and hints (may be empty).
    pub detail: String,
    /// Where, when the problem has a place in a file.
    pub range: Option<SourceRange>,
    /// The source line of `range`.
    pub snippet: Option<Snippet>,
}

impl Diagnostic {
    /// An error that is about no particular place (a missing file, a `--var` option).
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            range: None,
            snippet: None,
        }
    }

    /// A warning that is about no particular place.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(summary, detail) }
    }
}

/// A library message (`expected newline or eof`) as a detail sentence:
/// capitalised, with a full stop. A message that starts with a name (a file
/// `m.plan:`, an option `--target`) keeps it as written.
pub(crate) fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let Some(first) = chars.next() else { return String::new() };
    let stop = if message.ends_with(['.', '?', '!']) { "" } else { "." };
    let word = message.split_whitespace().next().unwrap_or_default();
    let word = word.trim_end_matches(['.', ',', ':', ';', '!', '?']);
    if word.chars().all(char::is_lowercase) {
        format!("{}{}{stop}", first.to_uppercase(), chars.as_str())
    } else {
        format!("{message}{stop}")
    }
}

/// Every diagnostic of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Diagnostics::default()
    }

    /// Adds one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// How many are errors.
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// How many are warnings.
    pub fn warning_count(&self) -> usize {
        self.0.iter().filter(|d| d.severity == Severity::Warning).count()
    }

    /// Whether any is an error.
    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// Whether there are none at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Puts the diagnostics in reading order (placeless ones first, then by
    /// file and position) and drops exact repeats, which `for_each` instances
    /// sharing one faulty expression would otherwise produce.
    pub fn normalize(&mut self, file_order: &[String]) {
        let rank = |d: &Diagnostic| {
            d.range.as_ref().map(|r| {
                let file = file_order.iter().position(|f| *f == r.filename).unwrap_or(usize::MAX);
                (file, r.start.byte, r.end.byte)
            })
        };
        self.0.sort_by_key(|d| rank(d));
        let mut seen = std::collections::HashSet::new();
        self.0.retain(|d| seen.insert(d.clone()));
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_become_sentences() {
        assert_eq!(sentence("expected newline or eof"), "Expected newline or eof.");
        assert_eq!(sentence("école."), "École.");
        assert_eq!(
            sentence("no such type. Did you mean \"x\"?"),
            "No such type. Did you mean \"x\"?"
        );
        assert_eq!(sentence(""), "");
        assert_eq!(sentence("m.plan: the state changed"), "m.plan: the state changed.");
        assert_eq!(sentence("--target x is invalid"), "--target x is invalid.");
    }
}
