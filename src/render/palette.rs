//! Colour as a value: decided once (TTY, `--no-color`, `NO_COLOR`) and passed
//! down, so every renderer can be tested with [`Palette::never`]. owo-colors is
//! only called here. What is painted is escaped first ([`Terminal`]): the
//! colour codes added here are the only escape sequences in jobform's output.

use std::fmt::Display;

use owo_colors::{OwoColorize, Style};

use super::terminal::Terminal;

/// Which colours output uses, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    enabled: bool,
}

impl Palette {
    /// No colour at all.
    pub fn never() -> Self {
        Palette { enabled: false }
    }

    /// Colour when the stream is a terminal and neither `--no-color` nor
    /// `NO_COLOR` (any non-empty value, per no-color.org) asks otherwise.
    pub fn detect(no_color_flag: bool, is_terminal: bool, no_color_env: Option<&str>) -> Self {
        let env_says_no = no_color_env.is_some_and(|v| !v.is_empty());
        Palette { enabled: is_terminal && !no_color_flag && !env_says_no }
    }

    /// Whether colour is on.
    pub fn enabled(self) -> bool {
        self.enabled
    }

    fn paint(self, text: impl Display, style: Style) -> String {
        let text = Terminal(text);
        if self.enabled { text.style(style).to_string() } else { text.to_string() }
    }

    /// Errors and destructive actions.
    pub fn error(self, text: impl Display) -> String {
        self.paint(text, Style::new().red().bold())
    }

    /// Warnings.
    pub fn warning(self, text: impl Display) -> String {
        self.paint(text, Style::new().yellow().bold())
    }

    /// Emphasis (headings, addresses).
    pub fn strong(self, text: impl Display) -> String {
        self.paint(text, Style::new().bold())
    }

    /// De-emphasis (gutters, hints).
    pub fn dim(self, text: impl Display) -> String {
        self.paint(text, Style::new().dimmed())
    }

    /// Lines a change adds (diff `+`, a resume).
    pub fn added(self, text: impl Display) -> String {
        self.paint(text, Style::new().green())
    }

    /// Lines a change removes (diff `-`).
    pub fn removed(self, text: impl Display) -> String {
        self.paint(text, Style::new().red())
    }

    /// A job being paused.
    pub fn paused(self, text: impl Display) -> String {
        self.paint(text, Style::new().yellow())
    }
}

#[cfg(test)]
mod tests {
    use super::Palette;

    #[test]
    fn detect_honours_every_switch() {
        assert!(Palette::detect(false, true, None).enabled());
        assert!(!Palette::detect(true, true, None).enabled());
        assert!(!Palette::detect(false, false, None).enabled());
        assert!(!Palette::detect(false, true, Some("1")).enabled());
        assert!(Palette::detect(false, true, Some("")).enabled());
        assert_eq!(Palette::never().error("x"), "x");
        assert_eq!(
            Palette::detect(false, true, None).strong("\x1b[2Jx"),
            "\x1b[1m\\x1b[2Jx\x1b[0m"
        );
    }
}
