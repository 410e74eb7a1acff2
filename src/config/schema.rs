//! What may appear where: the block types and argument names of each kind of
//! block, which arguments hold secrets, and the "Did you mean" suggestions
//! for a misspelt name.

use hcl::edit::Span as _;
use hcl::edit::structure::{Block, Body};

use super::diag::Diagnostics;
use super::source::{FileId, SourceMap, Span};

/// Arguments whose values are credentials: never echoed in any diagnostic,
/// masked in every snippet.
pub(super) const SECRET_ATTRIBUTES: [&str; 4] =
    ["access_key_secret", "auth_token", "secret_key", "security_token"];

/// The blocks a configuration file may hold.
pub(super) const TOP_LEVEL_BLOCKS: [&str; 6] =
    ["backend", "data", "job", "locals", "provider", "variable"];

/// What a block body may contain.
pub(super) struct Schema<'a> {
    /// Allowed argument names.
    pub(super) attributes: &'a [&'a str],
    /// Allowed nested block types.
    pub(super) blocks: &'a [&'a str],
}

/// Whether an argument holds a credential.
pub(super) fn is_secret(name: &str) -> bool {
    SECRET_ATTRIBUTES.contains(&name)
}

/// The closest candidate to a misspelt `name`, if one is close enough to be a
/// likely typo (edit distance at most 2, or a third of the name).
pub(super) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|candidate| (strsim::levenshtein(name, candidate), candidate))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, candidate)| (distance, candidate))
        .map(|(_, candidate)| candidate)
}

/// ` Did you mean "x"?`, or nothing when no candidate is close.
pub(super) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    suggest(name, candidates).map(|c| format!(" Did you mean \"{c}\"?")).unwrap_or_default()
}

/// Reports every argument and nested block of `body` that `schema` does not
/// allow. `explain` may give a better reason than "not expected here" for a
/// known name in the wrong place.
pub(super) fn check_body(
    sources: &SourceMap,
    file: FileId,
    body: &Body,
    schema: &Schema<'_>,
    explain: &dyn Fn(&str) -> Option<String>,
    diagnostics: &mut Diagnostics,
) {
    for attribute in body.attributes() {
        let name = attribute.key.as_str();
        if schema.attributes.contains(&name) {
            continue;
        }
        let span = Span::new(file, attribute.key.span().unwrap_or_default());
        let detail = explain(name).unwrap_or_else(|| {
            let hint = did_you_mean(name, schema.attributes.iter().copied());
            format!("An argument named \"{name}\" is not expected here.{hint}")
        });
        diagnostics.push(sources.error(&span, "Unsupported argument", detail));
    }
    for block in body.blocks() {
        let name = block.ident.as_str();
        if schema.blocks.contains(&name) {
            continue;
        }
        let span = Span::new(file, block.ident.span().unwrap_or_default());
        let hint = did_you_mean(name, schema.blocks.iter().copied());
        let detail = format!("Blocks of type \"{name}\" are not expected here.{hint}");
        diagnostics.push(sources.error(&span, "Unsupported block type", detail));
    }
}

/// The `KEYWORD "label" …` part of a block, the span diagnostics about a whole block point at.
pub(super) fn header_span(file: FileId, block: &Block) -> Span {
    let start = block.ident.span().map_or(0, |s| s.start);
    let end = block
        .labels
        .last()
        .and_then(hcl::edit::Span::span)
        .or_else(|| block.ident.span())
        .map_or(start, |s| s.end);
    Span::new(file, start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["state", "direction", "description", "depends_on", "provider"];
        let cases = [
            ("sate", Some("state")),
            ("stat", Some("state")),
            ("dependson", Some("depends_on")),
            ("descripton", Some("description")),
            ("providr", Some("provider")),
            ("region", None),
            ("x", None),
        ];
        for (name, expected) in cases {
            assert_eq!(suggest(name, names), expected, "{name}");
        }
        assert_eq!(did_you_mean("jobb", TOP_LEVEL_BLOCKS), " Did you mean \"job\"?");
        assert_eq!(did_you_mean("resource", TOP_LEVEL_BLOCKS), "");
    }
}
