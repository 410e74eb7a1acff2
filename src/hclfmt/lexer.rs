//! A lexer for HCL native syntax that keeps every token's text, for the
//! formatter. It only needs to split tokens and classify them the way
//! hclwrite does; the parser (hcl-edit) has already accepted the input.

use std::borrow::Cow;
use std::fmt;

/// The token classes the formatting rules distinguish (hclsyntax's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Newline,
    /// `# …` or `// …` including its newline, or `/* … */`.
    Comment,
    Ident,
    Number,
    /// A whole quoted template, interpolations included: kept verbatim,
    /// because hcl-rs compares templates by their source text.
    Template,
    /// A whole heredoc, opener to closing marker: kept verbatim.
    Heredoc,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    Comma,
    Dot,
    Ellipsis,
    Equal,
    Colon,
    DoubleColon,
    Question,
    Bang,
    Minus,
    Plus,
    Star,
    Slash,
    Percent,
    EqualOp,
    NotEqual,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    FatArrow,
}

impl Kind {
    /// +1 for an opening bracket, -1 for a closing one (hclwrite's `tokenBracketChange`).
    pub(super) fn bracket_change(self) -> i32 {
        match self {
            Kind::OBrace | Kind::OBrack | Kind::OParen => 1,
            Kind::CBrace | Kind::CBrack | Kind::CParen => -1,
            _ => 0,
        }
    }
}

/// One token with the spaces the formatter decided to put before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token<'a> {
    pub(super) kind: Kind,
    pub(super) text: Cow<'a, str>,
    pub(super) spaces_before: usize,
}

impl Token<'_> {
    /// Whether the token ends a line (a newline, or a line comment that ate its newline).
    pub(super) fn ends_line(&self) -> bool {
        match self.kind {
            Kind::Newline => true,
            Kind::Comment => self.text.ends_with('\n'),
            _ => false,
        }
    }

    /// How many columns the token occupies, its leading spaces included.
    pub(super) fn columns(&self) -> usize {
        self.spaces_before + self.text.chars().count()
    }
}

/// Input the lexer cannot split (the parser normally rejects it first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: &'static str,
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {}, column {}", self.message, self.line, self.column)
    }
}

/// Splits `src` into tokens. `src` must use `\n` line endings.
pub(super) fn lex(src: &str) -> Result<Vec<Token<'_>>, LexError> {
    Lexer { src, pos: 0, tokens: Vec::new() }.run()
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    tokens: Vec<Token<'a>>,
}

impl<'a> Lexer<'a> {
    fn run(mut self) -> Result<Vec<Token<'a>>, LexError> {
        while self.pos < self.src.len() {
            self.next_token()?;
        }
        Ok(self.tokens)
    }

    fn push(&mut self, kind: Kind, len: usize) {
        let text = Cow::Borrowed(&self.src[self.pos..self.pos + len]);
        self.tokens.push(Token { kind, text, spaces_before: 0 });
        self.pos += len;
    }

    fn error(&self, message: &'static str) -> LexError {
        let before = &self.src[..self.pos];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        LexError { line, column, message }
    }

    fn next_token(&mut self) -> Result<(), LexError> {
        let rest = &self.src[self.pos..];
        let c = rest.chars().next().expect("not at end");
        match c {
            ' ' | '\t' | '\r' => self.pos += 1,
            '\n' => self.push(Kind::Newline, 1),
            '#' => self.line_comment(),
            '/' if rest.starts_with("//") => self.line_comment(),
            '/' if rest.starts_with("/*") => {
                let end = rest[2..].find("*/").ok_or_else(|| self.error("unterminated comment"))?;
                self.push(Kind::Comment, end + 4);
            }
            '"' => {
                let len = template_len(rest).ok_or_else(|| self.error("unterminated string"))?;
                self.push(Kind::Template, len);
            }
            '<' if heredoc_marker(rest).is_some() => {
                let len = heredoc_len(rest).ok_or_else(|| self.error("unterminated heredoc"))?;
                self.push(Kind::Heredoc, len);
            }
            c if c.is_alphabetic() || c == '_' => {
                let len = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(rest.len());
                self.push(Kind::Ident, len);
            }
            c if c.is_ascii_digit() => self.push(Kind::Number, number_len(rest)),
            _ => {
                let (kind, len) =
                    operator(rest).ok_or_else(|| self.error("unexpected character"))?;
                self.push(kind, len);
            }
        }
        Ok(())
    }

    fn line_comment(&mut self) {
        let rest = &self.src[self.pos..];
        let (len, newline) = rest.find('\n').map_or((rest.len(), false), |i| (i + 1, true));
        // Trailing blanks inside a comment are whitespace like any other: drop them,
        // keeping the newline in the token as hclsyntax does.
        let body = rest[..len].trim_end();
        let text = match (newline, body.len() + usize::from(newline) == len) {
            (_, true) => Cow::Borrowed(&rest[..len]),
            (true, false) => Cow::Owned(format!("{body}\n")),
            (false, false) => Cow::Borrowed(body),
        };
        self.tokens.push(Token { kind: Kind::Comment, text, spaces_before: 0 });
        self.pos += len;
    }
}

/// The length of the quoted template at the start of `rest`, through its
/// closing quote, stepping over escapes and over interpolations and
/// directives (which may hold quoted strings and braces of their own).
fn template_len(rest: &str) -> Option<usize> {
    // Each entry is an open context: `None` for template text, `Some(depth)`
    // for code inside `${ }` / `%{ }` with `depth` braces opened in it.
    let mut stack: Vec<Option<usize>> = vec![None];
    let bytes = rest.as_bytes();
    let mut i = 1;
    while let Some(&top) = stack.last() {
        let byte = *bytes.get(i)?;
        match (top, byte) {
            (None, b'"') | (Some(0), b'}') => {
                stack.pop();
            }
            (None, b'\\') => i += 1,
            (None, b'\n') => return None,
            (None, b'$' | b'%') if bytes.get(i + 1) == Some(&byte) => i += 1,
            (None, b'$' | b'%') if bytes.get(i + 1) == Some(&b'{') => {
                stack.push(Some(0));
                i += 1;
            }
            (Some(_), b'"') => stack.push(None),
            (Some(depth), b'{') => *stack.last_mut()? = Some(depth + 1),
            (Some(depth), b'}') => *stack.last_mut()? = Some(depth - 1),
            _ => {}
        }
        i += 1;
    }
    Some(i)
}

/// The length of the heredoc at the start of `rest`, through its closing marker.
fn heredoc_len(rest: &str) -> Option<usize> {
    let marker = heredoc_marker(rest)?;
    let mut offset = rest.find('\n')? + 1;
    loop {
        let line_end = rest[offset..].find('\n').map_or(rest.len(), |i| offset + i);
        if rest[offset..line_end].trim() == marker {
            return Some(line_end);
        }
        if line_end == rest.len() {
            return None;
        }
        offset = line_end + 1;
    }
}

/// The marker of a heredoc opener (`<<EOT` or `<<-EOT` ending its line).
fn heredoc_marker(rest: &str) -> Option<&str> {
    let after = rest.strip_prefix("<<")?;
    let after = after.strip_prefix('-').unwrap_or(after);
    let line = after.split('\n').next()?;
    let marker = line.trim_end();
    let mut chars = marker.chars();
    let valid = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    (valid && after.len() > line.len()).then_some(marker)
}

fn number_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let digits = |from: usize| bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut len = digits(0);
    if bytes.get(len) == Some(&b'.') && bytes.get(len + 1).is_some_and(u8::is_ascii_digit) {
        len += 1 + digits(len + 1);
    }
    if matches!(bytes.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(len + 1), Some(b'+' | b'-')));
        let exponent = digits(len + 1 + sign);
        if exponent > 0 {
            len += 1 + sign + exponent;
        }
    }
    len
}

fn operator(rest: &str) -> Option<(Kind, usize)> {
    const TWO_AND_THREE: [(&str, Kind); 9] = [
        ("...", Kind::Ellipsis),
        ("==", Kind::EqualOp),
        ("!=", Kind::NotEqual),
        ("<=", Kind::Le),
        (">=", Kind::Ge),
        ("&&", Kind::And),
        ("||", Kind::Or),
        ("=>", Kind::FatArrow),
        ("::", Kind::DoubleColon),
    ];
    if let Some((text, kind)) = TWO_AND_THREE.iter().find(|(text, _)| rest.starts_with(text)) {
        return Some((*kind, text.len()));
    }
    let kind = match rest.as_bytes()[0] {
        b'{' => Kind::OBrace,
        b'}' => Kind::CBrace,
        b'[' => Kind::OBrack,
        b']' => Kind::CBrack,
        b'(' => Kind::OParen,
        b')' => Kind::CParen,
        b',' => Kind::Comma,
        b'.' => Kind::Dot,
        b'=' => Kind::Equal,
        b':' => Kind::Colon,
        b'?' => Kind::Question,
        b'!' => Kind::Bang,
        b'-' => Kind::Minus,
        b'+' => Kind::Plus,
        b'*' => Kind::Star,
        b'/' => Kind::Slash,
        b'%' => Kind::Percent,
        b'<' => Kind::Lt,
        b'>' => Kind::Gt,
        _ => return None,
    };
    Some((kind, 1))
}

#[cfg(test)]
mod tests {
    use super::{Kind, lex};

    fn kinds(src: &str) -> Vec<Kind> {
        lex(src).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn keeps_templates_whole() {
        use Kind::*;
        assert_eq!(kinds(r#"a = "x${var.y}z" "b""#), [Ident, Equal, Template, Template]);
        let tokens = lex(r#"a = "${ {k = "}"} }" # c"#).unwrap();
        assert_eq!(tokens[2].text, r#""${ {k = "}"} }""#);
        assert_eq!(kinds(r#""$${lit}\"" x"#), [Template, Ident]);
    }

    #[test]
    fn keeps_heredocs_whole() {
        let tokens = lex("x = <<-EOT\n  hello ${a}\n  EOT\ny = 1\n").unwrap();
        assert_eq!(tokens[2].kind, Kind::Heredoc);
        assert_eq!(tokens[2].text, "<<-EOT\n  hello ${a}\n  EOT");
        assert_eq!(tokens[3].kind, Kind::Newline);
    }

    #[test]
    fn comments_keep_their_newline_without_trailing_blanks() {
        let tokens = lex("a = 1 # note   \n").unwrap();
        let texts: Vec<_> = tokens.iter().map(|t| t.text.as_ref()).collect();
        assert_eq!(texts, ["a", "=", "1", "# note\n"]);
        let tokens = lex("# note\n").unwrap();
        assert_eq!(tokens[0].text, "# note\n");
    }

    #[test]
    fn numbers_and_operators() {
        use Kind::*;
        assert_eq!(kinds("1.5e3 >= -2"), [Number, Ge, Minus, Number]);
        assert_eq!(
            kinds("[for k, v in m : k => v...]"),
            [
                OBrack, Ident, Ident, Comma, Ident, Ident, Ident, Colon, Ident, FatArrow, Ident,
                Ellipsis, CBrack
            ]
        );
    }

    #[test]
    fn reports_where_it_fails() {
        let error = lex("a = 1\nb = \"open\n").unwrap_err();
        assert_eq!((error.line, error.column), (2, 5));
    }
}
