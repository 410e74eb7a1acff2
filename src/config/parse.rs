//! Finding and parsing files: the configuration (`*.hcl`, name order) and the
//! variable files (`jobform.vars.hcl`, `*.auto.vars.hcl`, `--var-file`), with
//! hcl-edit so that every node keeps its byte span.

use std::path::Path;

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression, ObjectKey};
use hcl::edit::structure::{Attribute, Body};
use hcl::edit::visit::{self, Visit};

use super::diag::{Diagnostic, Diagnostics, sentence};
use super::schema::is_secret;
use super::source::{FileId, SourceMap, Span};

/// Variable files end in this; they are never loaded as configuration.
pub(super) const VAR_FILE_SUFFIX: &str = ".vars.hcl";
/// The variable file loaded first (lowest file precedence).
pub(super) const DEFAULT_VAR_FILE: &str = "jobform.vars.hcl";
/// Variable files loaded automatically after `jobform.vars.hcl`, in name order.
pub(super) const AUTO_VAR_FILE_SUFFIX: &str = ".auto.vars.hcl";

/// One parsed file.
pub(super) struct ParsedFile {
    /// Its id in the source map.
    pub(super) file: FileId,
    /// Its syntax tree, spans kept.
    pub(super) body: Body,
}

/// The files of `dir` loaded automatically: configuration files and variable
/// files, each list in name order.
pub(super) struct DirectoryFiles {
    /// `*.hcl` except `*.vars.hcl`.
    pub(super) configuration: Vec<String>,
    /// `jobform.vars.hcl` (if present) then `*.auto.vars.hcl`.
    pub(super) variables: Vec<String>,
}

/// Lists `dir`.
pub(super) fn list(dir: &Path) -> std::io::Result<DirectoryFiles> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        if let Ok(name) = entry.file_name().into_string() {
            names.push(name);
        }
    }
    names.sort();
    let configuration = names
        .iter()
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "hcl"))
        .filter(|n| !n.ends_with(VAR_FILE_SUFFIX))
        .cloned()
        .collect();
    let variables = names
        .iter()
        .filter(|n| *n == DEFAULT_VAR_FILE)
        .chain(names.iter().filter(|n| n.ends_with(AUTO_VAR_FILE_SUFFIX)))
        .cloned()
        .collect();
    Ok(DirectoryFiles { configuration, variables })
}

/// Reads and parses one file, adding it to the source map (with its secret
/// values masked). Problems are reported and give `None`.
pub(super) fn read(
    sources: &mut SourceMap,
    path: &Path,
    name: &str,
    diagnostics: &mut Diagnostics,
) -> Option<ParsedFile> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            diagnostics.push(Diagnostic::error(
                "Failed to read file",
                format!("The file \"{name}\" could not be read: {error}."),
            ));
            return None;
        }
    };
    let file = sources.add(name, text);
    match hcl::edit::parser::parse_body(sources.file(file).text()) {
        Ok(body) => {
            let mut secrets = SecretValues::default();
            secrets.visit_body(&body);
            for bytes in secrets.spans {
                sources.mask(&Span::new(file, bytes));
            }
            Some(ParsedFile { file, body })
        }
        Err(error) => {
            let text = sources.file(file).text();
            let offset = error.location().offset();
            // A parser that runs out of file reports where it gave up: the
            // end, or a `}` that closed some later block. The place to fix is
            // the block left open, so that is the one named.
            let at_end = text.get(offset..).is_none_or(|rest| rest.trim().is_empty());
            let diagnostic = match unclosed_brace(text).filter(|_| at_end) {
                Some(brace) => sources.error(
                    &Span::new(file, brace..brace + 1),
                    "Unclosed configuration block",
                    "There is no closing brace for this block before the end of the file. \
                     This may be caused by incorrect brace nesting elsewhere in this file.",
                ),
                None => sources.error(
                    &Span::new(file, offset..offset + 1),
                    "Invalid HCL syntax",
                    sentence(error.message()),
                ),
            };
            diagnostics.push(diagnostic);
            None
        }
    }
}

/// The byte offset of the outermost `{` that no `}` closes before the end of
/// `text`, if any. Braces inside comments, quoted strings (except their
/// `${ }` interpolations) and heredocs do not count.
fn unclosed_brace(text: &str) -> Option<usize> {
    /// What an open brace began: a block or object, or an interpolation
    /// inside a quoted string (closing it returns into the string).
    enum Open {
        Brace(usize),
        Interpolation,
    }
    let mut open: Vec<Open> = Vec::new();
    let mut in_string = false;
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        // Every step moves past whole characters, so `i` stays on a boundary.
        let mut step = c.len_utf8();
        if in_string {
            match c {
                '\\' => step += rest[1..].chars().next().map_or(0, char::len_utf8),
                '"' | '\n' => in_string = false,
                '$' if rest.starts_with("$${") => step = 3,
                '$' if rest.starts_with("${") => {
                    open.push(Open::Interpolation);
                    in_string = false;
                    step = 2;
                }
                _ => {}
            }
        } else if rest.starts_with('#') || rest.starts_with("//") {
            step = rest.find('\n').unwrap_or(rest.len()).max(1);
        } else if rest.starts_with("/*") {
            step = rest.find("*/").map_or(rest.len(), |end| end + 2);
        } else if let Some(end) = heredoc_end(rest) {
            step = end;
        } else {
            match c {
                '"' => in_string = true,
                '{' => open.push(Open::Brace(i)),
                '}' => in_string = matches!(open.pop(), Some(Open::Interpolation)),
                _ => {}
            }
        }
        i += step;
    }
    open.into_iter().find_map(|o| match o {
        Open::Brace(at) => Some(at),
        Open::Interpolation => None,
    })
}

/// When `rest` starts a heredoc (`<<EOT` or `<<-EOT` and a line break), the
/// length of the heredoc up to its closing marker (or the rest of the text).
fn heredoc_end(rest: &str) -> Option<usize> {
    let marker = rest.strip_prefix("<<")?;
    let marker = marker.strip_prefix('-').unwrap_or(marker);
    let name_len = marker.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    let (name, after) = marker.split_at(name_len);
    let body = after.strip_prefix("\r\n").or_else(|| after.strip_prefix('\n'))?;
    if name.is_empty() {
        return None;
    }
    let body_start = rest.len() - body.len();
    let mut line_start = body_start;
    for line in body.split_inclusive('\n') {
        line_start += line.len();
        if line.trim() == name {
            return Some(line_start);
        }
    }
    Some(rest.len())
}

/// The spans of every value assigned to a secret name, as an argument or as
/// an object key.
#[derive(Default)]
struct SecretValues {
    spans: Vec<std::ops::Range<usize>>,
}

impl Visit for SecretValues {
    fn visit_attr(&mut self, attribute: &Attribute) {
        if is_secret(attribute.key.as_str()) {
            self.spans.extend(attribute.value.span());
        }
        visit::visit_attr(self, attribute);
    }

    fn visit_object_item(&mut self, key: &ObjectKey, value: &hcl::edit::expr::ObjectValue) {
        let name = match key {
            ObjectKey::Ident(ident) => Some(ident.as_str()),
            ObjectKey::Expression(Expression::String(s)) => Some(s.as_str()),
            ObjectKey::Expression(_) => None,
        };
        if name.is_some_and(is_secret) {
            self.spans.extend(value.expr().span());
        }
        visit::visit_object_item(self, key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_configuration_and_variable_files_apart() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.hcl",
            "a.hcl",
            "x.auto.vars.hcl",
            "jobform.vars.hcl",
            "a.auto.vars.hcl",
            "prod.vars.hcl",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.hcl")).unwrap();
        let files = list(dir.path()).unwrap();
        assert_eq!(files.configuration, ["a.hcl", "b.hcl"]);
        assert_eq!(files.variables, ["jobform.vars.hcl", "a.auto.vars.hcl", "x.auto.vars.hcl"]);
    }

    #[test]
    fn syntax_errors_are_located_and_secrets_masked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("main.hcl");
        std::fs::write(&path, "p {\n  auth_token = \"abc\n}\n").unwrap();
        let (mut sources, mut diagnostics) = (SourceMap::new(), Diagnostics::new());
        assert!(read(&mut sources, &path, "main.hcl", &mut diagnostics).is_none());
        let diagnostic = &diagnostics.0[0];
        assert_eq!(diagnostic.summary, "Invalid HCL syntax");
        assert!(!diagnostic.snippet.as_ref().unwrap().code.contains("abc"));
    }

    #[test]
    fn the_unclosed_brace_is_the_outermost_open_one() {
        assert_eq!(unclosed_brace("a {\n  b = 1\n\nc {\n}\n"), Some(2));
        assert_eq!(unclosed_brace("a {\n}\n"), None);
        // Braces in strings, interpolations, comments and heredocs do not count.
        let quiet = "a {\n  x = \"{${ {b = 1}.b }\"\n  # {\n  // {\n  /* { */\n  h = <<-EOT\n  {\n  EOT\n}\n";
        assert_eq!(unclosed_brace(quiet), None);
        assert_eq!(unclosed_brace(&format!("{quiet}z {{\n")), Some(quiet.len() + 2));
        // Multi-byte characters, escaped or not, are stepped over whole.
        assert_eq!(unclosed_brace("\"\\¡\" ¡ {"), Some(9));
        assert_eq!(unclosed_brace("¡"), None);
    }

    #[test]
    fn secret_values_are_masked_wherever_they_are_assigned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("main.hcl");
        std::fs::write(&path, "x = { auth_token = \"t1\", a = 1 }\ny = 2\n").unwrap();
        let (mut sources, mut diagnostics) = (SourceMap::new(), Diagnostics::new());
        let parsed = read(&mut sources, &path, "main.hcl", &mut diagnostics).unwrap();
        let snippet = sources.snippet(&Span::new(parsed.file, 0..1));
        assert_eq!(snippet.code, "x = { auth_token = (sensitive), a = 1 }");
    }
}
