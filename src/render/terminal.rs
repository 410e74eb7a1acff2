//! The terminal edge: text that came from outside (configuration keys and
//! descriptions, the clouds' status words, messages and request ids, variable
//! values) is shown, never interpreted. Every control character (C0, DEL, C1)
//! and every bidirectional-override character is written as a visible escape
//! (`\x1b`, `\r`, `\u{202e}`), so a string cannot move the cursor, rewrite a
//! line, set the window title or reorder what the reader sees.
//!
//! Renderers wrap what they print in [`Terminal`] (one line: newlines are
//! escaped too) or [`TerminalText`] (a message whose own line breaks are
//! kept); [`Palette`](super::Palette) escapes what it paints, so its colour
//! codes are the only escape sequences jobform writes. Backslashes are left
//! alone: benign text (a Windows path) prints as it always did.

use std::fmt::{self, Display, Write as _};
use std::io;

/// Whether a terminal would act on `c` instead of showing it.
pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The visible form of an unsafe character.
fn write_visible(out: &mut dyn fmt::Write, c: char) -> fmt::Result {
    match c {
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        c if u32::from(c) < 0x80 => write!(out, "\\x{:02x}", u32::from(c)),
        c => write!(out, "\\u{{{:x}}}", u32::from(c)),
    }
}

/// A `fmt::Write` that escapes what passes through it; `keep_newlines` lets
/// `\n` through (multi-line messages).
struct Escaping<'a, 'b> {
    out: &'a mut fmt::Formatter<'b>,
    keep_newlines: bool,
}

impl fmt::Write for Escaping<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut rest = text;
        while let Some(at) = rest.find(|c: char| is_unsafe(c) && !(self.keep_newlines && c == '\n'))
        {
            self.out.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().expect("found at a char boundary");
            write_visible(self.out, c)?;
            rest = &rest[at + c.len_utf8()..];
        }
        self.out.write_str(rest)
    }
}

/// One line of untrusted text for a terminal: every control character,
/// newlines included, shown escaped.
#[derive(Debug, Clone, Copy)]
pub struct Terminal<T>(pub T);

impl<T: Display> Display for Terminal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaping { out: f, keep_newlines: false }, "{}", self.0)
    }
}

/// Untrusted text that may span lines (a diagnostic's detail, an error):
/// line breaks are kept, every other control character shown escaped.
#[derive(Debug, Clone, Copy)]
pub struct TerminalText<T>(pub T);

impl<T: Display> Display for TerminalText<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaping { out: f, keep_newlines: true }, "{}", self.0)
    }
}

/// `text` as one terminal line (see [`Terminal`]).
pub fn line(text: &str) -> String {
    Terminal(text).to_string()
}

/// Whether `text` is safe to write to a terminal as it is: no control
/// character but the colour codes (SGR, `ESC [ … m`) jobform writes itself
/// and line breaks. The property tests' oracle.
pub fn is_inert(text: &str) -> bool {
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| is_unsafe(c) && c != '\n') {
        let tail = &rest[at..];
        let Some(length) = sgr_length(tail) else { return false };
        rest = &tail[length..];
    }
    true
}

/// The length of the SGR sequence `text` starts with, if it starts with one.
fn sgr_length(text: &str) -> Option<usize> {
    let body = text.strip_prefix("\x1b[")?;
    let end = body.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
    (body[end..].starts_with('m')).then_some(2 + end + 1)
}

/// The writer behind log lines: tracing writes the fields it displays
/// (`%value`) raw, so this escapes every control character, line breaks
/// inside a value (a forged log line) included. One write is one formatted
/// event: only its final line break passes through. Logs are written without
/// colour, so there is no escape sequence of jobform's own to keep.
pub struct LogWriter<W>(pub W);

impl<W: io::Write> io::Write for LogWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let Ok(text) = std::str::from_utf8(bytes) else {
            // tracing formats into a String, so this is never hit; refuse
            // rather than pass unchecked bytes.
            return Err(io::Error::new(io::ErrorKind::InvalidData, "log line is not UTF-8"));
        };
        let (body, end) = match text.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (text, ""),
        };
        let out = format!("{}{end}", Terminal(body));
        self.0.write_all(out.as_bytes())?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn control_characters_are_shown_not_interpreted() {
        assert_eq!(line("a\x1b]0;owned\x07b"), "a\\x1b]0;owned\\x07b");
        assert_eq!(line("ok\rEVIL\x08\n"), "ok\\rEVIL\\x08\\n");
        assert_eq!(line("\u{9b}31m \u{202e}cba"), "\\u{9b}31m \\u{202e}cba");
        assert_eq!(TerminalText("one\ntwo\x1b[2J").to_string(), "one\ntwo\\x1b[2J");
        assert_eq!(line(r"C:\jobs é ✓"), r"C:\jobs é ✓", "benign text is unchanged");
    }

    #[test]
    fn the_oracle_allows_colour_and_nothing_else() {
        assert!(is_inert("\x1b[1;31mError:\x1b[0m fine\n"));
        assert!(!is_inert("\x1b]0;title\x07"));
        assert!(!is_inert("\x1b[2J"));
        assert!(!is_inert("a\rb"));
    }

    #[test]
    fn log_lines_keep_their_end_only() {
        let mut out = Vec::new();
        let mut writer = LogWriter(&mut out);
        writer.write_all(b" WARN job=a\rb\x1b[31m\nforged line\x0b\n").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            " WARN job=a\\rb\\x1b[31m\\nforged line\\x0b\n"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn escaped_text_is_always_inert(text in any::<String>()) {
            let escaped = line(&text);
            prop_assert!(is_inert(&escaped));
            prop_assert!(!escaped.contains('\n'));
            prop_assert!(is_inert(&TerminalText(&text).to_string()));
        }
    }
}
