//! The Markdown edge: untrusted text in a pull-request comment renders as the
//! literal string and never as structure jobform did not write.
//!
//! - [`fence`]: a code fence longer than any backtick run of the lines it
//!   encloses, so no line can close it;
//! - [`code`]: an inline code span, likewise delimited;
//! - [`text`]: prose outside any fence, with every character that could start
//!   HTML, a link, an image, an autolink, emphasis, strikethrough, math or a
//!   mention escaped.
//!
//! All three first make control characters visible ([`super::terminal`]), so
//! untrusted text never starts a new line (a heading, a list item, an alert,
//! a link definition) and the comment reads the same in a terminal.

use super::terminal;

/// The fence for a code block holding `lines`: at least three backticks, and
/// more than the longest run of backticks in any line.
pub fn fence<S: AsRef<str>>(lines: &[S]) -> String {
    let longest = lines.iter().map(|line| longest_backtick_run(line.as_ref())).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// `text` as an inline code span, its content shown literally.
pub fn code(text: &str) -> String {
    let content = terminal::line(text);
    let ticks = "`".repeat(longest_backtick_run(&content) + 1);
    // CommonMark strips one space from each side when both are there, and a
    // backtick against the delimiter would join it: pad in those cases.
    let pad = content.starts_with('`')
        || content.ends_with('`')
        || (content.starts_with(' ') && content.ends_with(' ') && !content.trim().is_empty());
    let pad = if pad { " " } else { "" };
    format!("{ticks}{pad}{content}{pad}{ticks}")
}

/// What `@` is written as: a word joiner after it keeps GitHub from reading
/// `@name` as a mention (or `a@b.c` as an e-mail link), and shows nothing.
const AT: &str = "@\u{2060}";

/// `text` as Markdown prose that renders as itself (control characters made
/// visible, as in a terminal). What follows it must be a space, a line end or
/// punctuation other than `(`, `[` and `:`, as everywhere jobform writes it.
pub fn text(text: &str) -> String {
    let visible = terminal::line(text);
    let chars: Vec<char> = visible.chars().collect();
    let mut out = String::with_capacity(visible.len() + 8);
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        let escape = match c {
            // HTML, entities, code, emphasis, strikethrough, math, links and images.
            '\\' | '`' | '*' | '~' | '^' | '<' | '>' | '&' | '$' | '|' | '#' => true,
            // Brackets make a link, an image or a footnote only next to
            // these (no link definition can exist: no untrusted text starts a
            // line), so an address such as `kind.name["key"]` stays as it is.
            '[' => matches!(after, Some('[' | '^' | '!')),
            ']' => matches!(after, Some('(' | '[' | ':')),
            '!' => after == Some('['),
            // `_` inside a word can neither open nor close emphasis.
            '_' => {
                !(before.is_some_and(char::is_alphanumeric)
                    && after.is_some_and(char::is_alphanumeric))
            }
            // Bare-URL autolinks: `scheme://…` and `www.…`.
            ':' => chars[i + 1..].starts_with(&['/', '/']),
            '.' => i >= 3 && chars[i - 3..i].iter().collect::<String>().eq_ignore_ascii_case("www"),
            _ => false,
        };
        if c == '@' {
            out.push_str(AT);
            continue;
        }
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benign_text_is_left_as_it_was() {
        let message =
            "the cloud has no huawei_drs job with id c0ffee00-1234 (declared at main.hcl:1:1)";
        assert_eq!(text(message), message);
        assert_eq!(code("alibaba_dts.orders_sync"), "`alibaba_dts.orders_sync`");
        assert_eq!(fence(&["~ a", "+ b"]), "```");
    }

    #[test]
    fn hostile_text_is_escaped() {
        assert_eq!(
            text("</details>\n# hi @everyone [x](https://e.vil) <img src=x onerror=alert(1)>"),
            "\\</details\\>\\\\n\\# hi @\u{2060}everyone [x\\](https\\://e.vil) \\<img src=x onerror=alert(1)\\>"
        );
        assert_eq!(code("a``b"), "```a``b```");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(fence(&["a ````` b"]), "``````");
    }
}
