//! The source map: the text of every file the loader read, byte offset to
//! line/column conversion, and the source line shown under a diagnostic with
//! every secret value masked.
//!
//! hcl-edit gives byte ranges only (STYLE.md §3), so line and column are
//! computed here. Columns count characters, 1-based, as Terraform's do.

use std::ops::Range;
use std::sync::Arc;

use crate::model::SourceLocation;

use super::diag::{Diagnostic, Severity, Snippet, SourcePos, SourceRange};
use super::schema::SECRET_ATTRIBUTES;

/// What a masked secret value is shown as.
const MASK: &str = "(sensitive)";

/// Identifies one file of a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(usize);

/// A byte range in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// Zero-based byte offsets into the file's text.
    pub bytes: Range<usize>,
}

impl Span {
    /// A span of `bytes` in `file`.
    pub fn new(file: FileId, bytes: Range<usize>) -> Self {
        Span { file, bytes }
    }
}

/// One loaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Shared with every [`SourceLocation`] in the file.
    name: Arc<str>,
    text: String,
    /// Byte offset of the first character of each line.
    line_starts: Vec<usize>,
    /// Byte ranges of secret values, never shown in a snippet. Sorted, disjoint.
    masked: Vec<Range<usize>>,
}

impl SourceFile {
    /// The file name as shown to the user.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 0-based index of the line holding `byte`.
    fn line_index(&self, byte: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= byte).saturating_sub(1)
    }

    /// The byte range of line `index` (0-based), without its line break.
    fn line_range(&self, index: usize) -> Range<usize> {
        let start = self.line_starts[index];
        let end = self.line_starts.get(index + 1).map_or(self.text.len(), |&next| next);
        let line = &self.text[start..end];
        let trimmed = line.trim_end_matches(['\n', '\r']);
        start..start + trimmed.len()
    }

    fn position(&self, byte: usize) -> SourcePos {
        let byte = floor_char_boundary(&self.text, byte.min(self.text.len()));
        let index = self.line_index(byte);
        let line_start = self.line_starts[index];
        let column = self.text[line_start..byte].chars().count() + 1;
        SourcePos { line: index + 1, column, byte }
    }

    /// Adds a secret range, keeping the list sorted and merged.
    fn mask(&mut self, range: Range<usize>) {
        self.masked.push(range);
        self.masked.sort_by_key(|r| r.start);
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(self.masked.len());
        for range in self.masked.drain(..) {
            match merged.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        self.masked = merged;
    }

    /// The first line of `bytes` with secrets masked, and the highlighted part
    /// of it as byte offsets into the returned code.
    fn snippet(&self, bytes: &Range<usize>) -> Snippet {
        let start = self.position(bytes.start);
        let line = self.line_range(start.line - 1);
        // An error at a line's `\r\n` starts past the line's end (found by
        // `fuzz/config_loader`): the highlight is then empty, not a panic.
        let highlight = start.byte..bytes.end.min(line.end).max(start.byte);
        let mut code = String::with_capacity(line.len());
        let mut cursor = line.start;
        // Translates an original byte offset of the line into an offset of `code`;
        // offsets inside a masked range snap to its start (`inside_end`: its end).
        let mut translated_start = None;
        let mut translated_end = None;
        let masks = self.masked.iter().filter(|m| m.start < line.end && m.end > line.start);
        for mask in masks {
            let mask_start = mask.start.max(line.start);
            let mask_end = mask.end.min(line.end);
            if mask_start < cursor {
                continue;
            }
            code.push_str(&self.text[cursor..mask_start]);
            let code_mask_start = code.len();
            code.push_str(MASK);
            if translated_start.is_none() && highlight.start < mask_end {
                translated_start = Some(if highlight.start <= mask_start {
                    code_mask_start - (mask_start - highlight.start)
                } else {
                    code_mask_start
                });
            }
            if translated_end.is_none() && highlight.end <= mask_end {
                translated_end = Some(if highlight.end <= mask_start {
                    code_mask_start - (mask_start - highlight.end)
                } else {
                    code.len()
                });
            }
            cursor = mask_end;
        }
        let shift = |offset: usize| code.len() + offset - cursor;
        let highlight_start = translated_start.unwrap_or_else(|| shift(highlight.start));
        let highlight_end = translated_end.unwrap_or_else(|| shift(highlight.end));
        code.push_str(&self.text[cursor..line.end]);
        Snippet {
            code,
            start_line: start.line,
            highlight_start_offset: highlight_start,
            highlight_end_offset: highlight_end.max(highlight_start),
        }
    }
}

/// Every file the loader read, by [`FileId`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty source map.
    pub fn new() -> Self {
        SourceMap::default()
    }

    /// Adds a file. Lines that assign a secret attribute (`auth_token = …`)
    /// are masked right away, so even a file that does not parse never shows a
    /// secret; [`SourceMap::mask`] adds the exact ranges found by the parser.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect::<Vec<_>>();
        let name = Arc::from(name.into());
        let mut file = SourceFile { name, text, line_starts, masked: Vec::new() };
        for index in 0..file.line_starts.len() {
            let line = file.line_range(index);
            if let Some(value) = secret_assignment_value(&file.text[line.clone()]) {
                file.mask(line.start + value.start..line.start + value.end);
            }
        }
        self.files.push(file);
        FileId(self.files.len() - 1)
    }

    /// Never show the bytes of `span` (a secret value) in a snippet.
    pub fn mask(&mut self, span: &Span) {
        self.files[span.file.0].mask(span.bytes.clone());
    }

    /// The file behind an id.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    /// Every file, in the order they were added.
    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    /// The file and line/column range of a span.
    pub fn range(&self, span: &Span) -> SourceRange {
        let file = self.file(span.file);
        SourceRange {
            filename: file.name.to_string(),
            start: file.position(span.bytes.start),
            end: file.position(span.bytes.end),
        }
    }

    /// Where a span starts, as the model records declarations.
    pub fn location(&self, span: &Span) -> SourceLocation {
        let file = self.file(span.file);
        let start = file.position(span.bytes.start);
        SourceLocation::new(Arc::clone(&file.name), start.line, start.column)
    }

    /// The masked source line of a span, with the span highlighted.
    pub fn snippet(&self, span: &Span) -> Snippet {
        self.file(span.file).snippet(&span.bytes)
    }

    /// The span of the word starting at a recorded location (for example a
    /// job block's `job` keyword), so later layers can point at a declaration.
    pub fn span_at(&self, location: &SourceLocation) -> Option<Span> {
        let index = self.files.iter().position(|f| f.name == location.file)?;
        let file = &self.files[index];
        let line = file.line_range(usize::try_from(location.line).ok()?.checked_sub(1)?);
        let text = &file.text[line.clone()];
        let column = usize::try_from(location.column).ok()?;
        let (offset, _) = text.char_indices().nth(column.checked_sub(1)?)?;
        let word = text[offset..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(text.len() - offset)
            .max(1);
        let start = line.start + offset;
        Some(Span::new(FileId(index), start..(start + word).min(line.end)))
    }

    /// A diagnostic about `span`.
    pub fn diagnostic(
        &self,
        severity: Severity,
        span: &Span,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            summary: summary.into(),
            detail: detail.into(),
            range: Some(self.range(span)),
            snippet: Some(self.snippet(span)),
        }
    }

    /// An error about `span`.
    pub fn error(
        &self,
        span: &Span,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Diagnostic {
        self.diagnostic(Severity::Error, span, summary, detail)
    }

    /// A warning about `span`.
    pub fn warning(
        &self,
        span: &Span,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Diagnostic {
        self.diagnostic(Severity::Warning, span, summary, detail)
    }
}

/// For a line like `  auth_token = "x" # c`, the byte range of what follows `=`.
fn secret_assignment_value(line: &str) -> Option<Range<usize>> {
    let trimmed = line.trim_start();
    let key_end = trimmed.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    if !SECRET_ATTRIBUTES.contains(&&trimmed[..key_end]) {
        return None;
    }
    let after_key = &trimmed[key_end..];
    let equals = after_key.trim_start().strip_prefix('=')?;
    let value = equals.trim_start();
    if value.is_empty() {
        return None;
    }
    let start = line.len() - value.len();
    Some(start..line.trim_end().len())
}

fn floor_char_boundary(text: &str, mut byte: usize) -> usize {
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    byte
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(text: &str) -> (SourceMap, FileId) {
        let mut map = SourceMap::new();
        let id = map.add("main.hcl", text);
        (map, id)
    }

    #[test]
    fn byte_offsets_become_lines_and_character_columns() {
        let (map, id) = map("a = 1\n  ü = \"x\"\n\nlast");
        let cases =
            [(0, 1, 1), (4, 1, 5), (6, 2, 1), (8, 2, 3), (11, 2, 5), (18, 4, 1), (22, 4, 5)];
        for (byte, line, column) in cases {
            let range = map.range(&Span::new(id, byte..byte));
            assert_eq!((range.start.line, range.start.column), (line, column), "byte {byte}");
        }
    }

    #[test]
    fn snippet_is_the_first_line_with_the_span_highlighted() {
        let (map, id) = map("job {\n  sate = \"running\"\n}\n");
        let snippet = map.snippet(&Span::new(id, 8..12));
        assert_eq!(snippet.code, "  sate = \"running\"");
        assert_eq!(snippet.start_line, 2);
        assert_eq!((snippet.highlight_start_offset, snippet.highlight_end_offset), (2, 6));
        // A span over several lines highlights to the end of its first line.
        let snippet = map.snippet(&Span::new(id, 0..25));
        assert_eq!((snippet.code.as_str(), snippet.highlight_end_offset), ("job {", 5));
    }

    #[test]
    fn secret_assignments_are_masked_even_unparsed() {
        let (map, id) = map("p {\n  auth_token = \"hunter2\" # note\n  region = \"x\"\n}\n");
        let snippet = map.snippet(&Span::new(id, 6..16));
        assert_eq!(snippet.code, "  auth_token = (sensitive)");
        assert_eq!((snippet.highlight_start_offset, snippet.highlight_end_offset), (2, 12));
        let value = map.snippet(&Span::new(id, 19..28));
        assert_eq!(&value.code[value.highlight_start_offset..value.highlight_end_offset], MASK);
    }

    #[test]
    fn exact_masks_hide_values_in_inline_objects() {
        let (mut map, id) = map("x = { secret_key = \"abc\", region = \"r\" }\n");
        map.mask(&Span::new(id, 19..24));
        let snippet = map.snippet(&Span::new(id, 26..32));
        assert_eq!(snippet.code, "x = { secret_key = (sensitive), region = \"r\" }");
        assert_eq!(
            &snippet.code[snippet.highlight_start_offset..snippet.highlight_end_offset],
            "region"
        );
    }

    #[test]
    fn span_at_finds_the_word_at_a_location() {
        let (map, _) = map("\n  job \"a\" \"b\" {}\n");
        let location = SourceLocation { file: "main.hcl".into(), line: 2, column: 3 };
        let span = map.span_at(&location).unwrap();
        assert_eq!(span.bytes, 3..6);
        assert_eq!(map.location(&span), location);
    }
}
