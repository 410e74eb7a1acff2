//! Canonical HCL formatting, as `terraform fmt` does it, keeping comments.
//!
//! The rules are those of hclwrite (HashiCorp's formatter behind
//! `terraform fmt`): indentation from an indent stack fed by the net brackets
//! of each line, single spaces between tokens by the pairwise rules of
//! [`space_after`], `=` aligned across consecutive single-line attributes and
//! trailing comments aligned across consecutive lines. Quoted strings
//! (interpolations included) and heredocs are left exactly as written, where
//! hclwrite would also tidy the spaces inside `${ }`. Formatting only ever changes whitespace; as a guard, the
//! result is parsed again and must mean the same as the input.

mod lexer;

use std::fmt;

use hcl::edit::parser::parse_body;

use self::lexer::{Kind, LexError, Token, lex};

/// Why a file could not be formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    // Display leaves the location out: the caller prefixes `file:line:col`.
    /// The input is not valid HCL.
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The formatted text would not mean the same as the input: a formatter
    /// bug, reported instead of writing a changed file.
    WouldChangeMeaning,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Syntax { message, .. } => write!(f, "invalid HCL: {message}"),
            FormatError::WouldChangeMeaning => f.write_str(
                "formatting would change the meaning of the file; it was left untouched \
                 (this is a jobform bug: please report it with the file)",
            ),
        }
    }
}

impl std::error::Error for FormatError {}

impl FormatError {
    /// The 1-based line and column the error is about, when it has one.
    pub fn location(&self) -> Option<(usize, usize)> {
        match self {
            FormatError::Syntax { line, column, .. } => Some((*line, *column)),
            FormatError::WouldChangeMeaning => None,
        }
    }
}

impl From<LexError> for FormatError {
    fn from(error: LexError) -> Self {
        FormatError::Syntax {
            line: error.line,
            column: error.column,
            message: error.message.to_owned(),
        }
    }
}

/// Formats HCL source text canonically.
///
/// # Errors
///
/// [`FormatError::Syntax`] when `source` is not valid HCL, with its location.
pub fn format_source(source: &str) -> Result<String, FormatError> {
    let original = parse_body(source).map_err(|error| FormatError::Syntax {
        line: error.location().line(),
        column: error.location().column(),
        message: error.message().to_owned(),
    })?;
    let normalized = unix_newlines(source);
    let mut tokens = lex(&normalized)?;
    let lines = split_lines(&tokens);
    indent(&mut tokens, &lines);
    space(&mut tokens, &lines);
    align(&mut tokens, &lines);
    let mut output = String::with_capacity(normalized.len());
    for token in &tokens {
        output.extend(std::iter::repeat_n(' ', token.spaces_before));
        output.push_str(&token.text);
    }
    let output = format!("{}\n", output.trim_end_matches(['\n', ' ']));
    let formatted = parse_body(&output).map_err(|_| FormatError::WouldChangeMeaning)?;
    if hcl::Body::from(original) != hcl::Body::from(formatted) {
        return Err(FormatError::WouldChangeMeaning);
    }
    Ok(if output == "\n" { String::new() } else { output })
}

/// `\n` line endings: every run of carriage returns before a newline is
/// dropped. Replacing `\r\n` once would leave `\r\n` behind from `\r\r\n`,
/// and formatting would not be idempotent (found by fuzzing).
fn unix_newlines(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut carriage_returns = 0;
    for c in source.chars() {
        match c {
            '\r' => carriage_returns += 1,
            '\n' => {
                carriage_returns = 0;
                out.push('\n');
            }
            c => {
                out.extend(std::iter::repeat_n('\r', carriage_returns));
                carriage_returns = 0;
                out.push(c);
            }
        }
    }
    out.extend(std::iter::repeat_n('\r', carriage_returns));
    out
}

/// One line's tokens in hclwrite's three cells: `lead`, then `assign` (from
/// the `=` of a single-line attribute), then a trailing `comment`. Each is a
/// range of indices into the token list.
struct Line {
    lead: std::ops::Range<usize>,
    assign: Option<std::ops::Range<usize>>,
    comment: Option<usize>,
}

fn split_lines(tokens: &[Token<'_>]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, token) in tokens.iter().enumerate() {
        if token.ends_line() {
            lines.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < tokens.len() {
        lines.push(start..tokens.len());
    }
    lines
        .into_iter()
        .map(|range| {
            let mut lead = range.clone();
            let mut comment = None;
            if lead.len() > 1 && tokens[lead.end - 1].kind == Kind::Comment {
                comment = Some(lead.end - 1);
                lead.end -= 1;
            }
            let mut assign = None;
            if let Some(eq) = (lead.start + 1..lead.end).find(|&i| tokens[i].kind == Kind::Equal) {
                // Only a whole expression after `=` joins the alignment: one that
                // opens a multi-line value does not (hclwrite).
                if net_brackets(&tokens[eq..lead.end]) == 0 {
                    assign = Some(eq..lead.end);
                    lead.end = eq;
                }
            }
            Line { lead, assign, comment }
        })
        .collect()
}

fn net_brackets(tokens: &[Token<'_>]) -> i32 {
    tokens.iter().map(|t| t.kind.bracket_change()).sum()
}

/// hclwrite's indent stack: a line with more openers than closers indents the
/// lines after it one level (however many it opened); closers pop levels.
fn indent(tokens: &mut [Token<'_>], lines: &[Line]) {
    let mut indents: Vec<i32> = Vec::new();
    for line in lines {
        let Some(first) = tokens.get(line.lead.start).filter(|_| !line.lead.is_empty()) else {
            continue;
        };
        if first.kind == Kind::Newline {
            continue;
        }
        let mut net = net_brackets(&tokens[line.lead.clone()]);
        if let Some(assign) = &line.assign {
            net += net_brackets(&tokens[assign.clone()]);
        }
        let mut level = indents.len();
        if net > 0 {
            indents.push(net);
        } else if net < 0 {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = indents.last_mut() else { break };
                if closed >= *top {
                    closed -= *top;
                    indents.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
            level = indents.len();
        }
        tokens[line.lead.start].spaces_before = 2 * level;
    }
}

/// Sets the spaces between the tokens of each cell by [`space_after`].
fn space(tokens: &mut [Token<'_>], lines: &[Line]) {
    for line in lines {
        let cells = std::iter::once(line.lead.clone()).chain(line.assign.clone());
        for cell in cells {
            for i in cell.start..cell.end.saturating_sub(1) {
                let before = (i > cell.start).then(|| tokens[i - 1].kind);
                let spaces = usize::from(space_after(&tokens[i], before, &tokens[i + 1]));
                tokens[i + 1].spaces_before = spaces;
            }
        }
    }
}

/// Aligns the `=` of consecutive single-line attributes, then the trailing
/// comments of consecutive lines.
fn align(tokens: &mut [Token<'_>], lines: &[Line]) {
    let columns = |tokens: &[Token<'_>], range: &std::ops::Range<usize>| -> usize {
        tokens[range.clone()].iter().map(Token::columns).sum()
    };
    for chain in lines.chunk_by(|a, b| a.assign.is_some() == b.assign.is_some()) {
        if chain[0].assign.is_none() {
            continue;
        }
        let widest = chain.iter().map(|line| columns(tokens, &line.lead)).max().unwrap_or(0);
        for line in chain {
            let pad = widest - columns(tokens, &line.lead) + 1;
            tokens[line.assign.as_ref().expect("chain of assignments").start].spaces_before = pad;
        }
    }
    let code_width = |tokens: &[Token<'_>], line: &Line| {
        columns(tokens, &line.lead) + line.assign.as_ref().map_or(0, |a| columns(tokens, a))
    };
    for chain in lines.chunk_by(|a, b| a.comment.is_some() == b.comment.is_some()) {
        if chain[0].comment.is_none() {
            continue;
        }
        let widest = chain.iter().map(|line| code_width(tokens, line)).max().unwrap_or(0);
        for line in chain {
            let pad = widest - code_width(tokens, line) + 1;
            tokens[line.comment.expect("chain of comments")].spaces_before = pad;
        }
    }
}

/// Whether `subject` is followed by a space, given the token `before` it and
/// the one `after` it (hclwrite's `spaceAfterToken`, rule for rule).
fn space_after(subject: &Token<'_>, before: Option<Kind>, after: &Token<'_>) -> bool {
    use Kind::{
        And, Bang, CBrace, Colon, Comma, Dot, DoubleColon, Ellipsis, Equal, EqualOp, Ge, Gt,
        Heredoc, Ident, Le, Lt, Minus, Newline, NotEqual, Number, OBrace, OBrack, OParen, Or,
        Percent, Plus, Question, Slash, Star,
    };
    let (s, a) = (subject.kind, after.kind);
    match () {
        () if a == Newline => false,
        () if s == Ident && a == OParen => false,
        () if (s == Ident && a == DoubleColon) || (s == DoubleColon && a == Ident) => false,
        () if s == Dot || a == Dot => false,
        () if a == Comma || a == Ellipsis => false,
        () if s == Comma => true,
        () if s == Heredoc => false,
        () if s == Ident && subject.text == "in" && before == Some(Ident) => true,
        () if a == OBrack && (s == Ident || s == Number || s.bracket_change() < 0) => false,
        () if s == Bang => false,
        () if s == Minus => !matches!(
            before,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | EqualOp
                    | NotEqual
                    | Gt
                    | Ge
                    | Lt
                    | Le
                    | And
                    | Or
                    | Bang
            )
        ),
        () if s == OBrace || a == CBrace => !(s == OBrace && a == CBrace),
        () if s.bracket_change() > 0 => false,
        () if a.bracket_change() < 0 => false,
        () => true,
    }
}

#[cfg(test)]
mod tests {
    use super::{FormatError, format_source};

    #[track_caller]
    fn formats(input: &str, expected: &str) {
        assert_eq!(format_source(input).unwrap(), expected);
        assert_eq!(format_source(expected).unwrap(), expected, "formatting is not idempotent");
    }

    #[test]
    fn indents_blocks_and_aligns_assignments() {
        formats(
            "job \"a\"   \"b\"{\n id=\"x\"\n    state  =   \"running\"\n\n  allow_stop = true\n}\n",
            "job \"a\" \"b\" {\n  id    = \"x\"\n  state = \"running\"\n\n  allow_stop = true\n}\n",
        );
    }

    #[test]
    fn keeps_comments_and_aligns_trailing_ones() {
        formats(
            "# top\nlocals {\n  # inside\n  a = 1 # one\n  bb = 22   // two\n  /* block */\n}\n",
            "# top\nlocals {\n  # inside\n  a  = 1  # one\n  bb = 22 // two\n  /* block */\n}\n",
        );
    }

    #[test]
    fn formats_expressions_like_hclwrite() {
        formats(
            "x = merge( {a=1}, var.m )\ny = { for k , v in local.m : k=>v if !v }\nz = -1 - -2\nw = \"${ var.a }-${local.b}\"  \n",
            "x = merge({ a = 1 }, var.m)\ny = { for k, v in local.m : k => v if !v }\nz = -1 - -2\nw = \"${ var.a }-${local.b}\"\n",
        );
    }

    #[test]
    fn multi_line_values_break_the_alignment() {
        formats(
            "a = 1\nlong_name = {\nk = \"v\"\nother = [\n1,\n2,\n]\n}\nb = 2\n",
            "a = 1\nlong_name = {\n  k = \"v\"\n  other = [\n    1,\n    2,\n  ]\n}\nb = 2\n",
        );
    }

    #[test]
    fn leaves_heredocs_alone() {
        formats("x = <<EOT\n  keep   this\nEOT\n", "x = <<EOT\n  keep   this\nEOT\n");
    }

    #[test]
    fn windows_line_endings_become_unix_ones_in_one_pass() {
        // The fuzzer's reproducer: CR runs before LF inside a block comment.
        formats("/*\r\r\n a \r\n*/\r\nx = 1\r\n", "/*\n a \n*/\nx = 1\n");
    }

    #[test]
    fn ends_with_exactly_one_newline() {
        formats("a = 1\n\n\n", "a = 1\n");
        formats("a = 1", "a = 1\n");
        formats("", "");
    }

    #[test]
    fn reports_syntax_errors_with_location() {
        let error = format_source("a = 1\nb = \n").unwrap_err();
        assert!(
            matches!(
                error,
                FormatError::Syntax { line: 3, .. } | FormatError::Syntax { line: 2, .. }
            ),
            "{error:?}"
        );
    }
}
