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
            let offset = error.location().offset();
            let span = Span::new(file, offset..offset + 1);
            let detail = sentence(error.message());
            diagnostics.push(sources.error(&span, "Invalid HCL syntax", detail));
            None
        }
    }
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
