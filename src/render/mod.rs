//! Turning results into text (plans, apply progress, the state,
//! configuration diagnostics). Rendering never decides anything: it gets
//! finished data and a [`Palette`], and writes to a writer. Untrusted text
//! is escaped here, at the edge, once per output kind: [`terminal`] for
//! people, [`markdown`] for pull-request comments, [`json`] exact (serde)
//! and inert.

pub mod apply;
pub mod diagnostic;
pub mod json;
pub mod markdown;
mod palette;
pub mod plan;
pub mod plan_view;
pub mod state;
pub mod terminal;
pub mod watch;

pub use palette::Palette;
pub use terminal::{Terminal, TerminalText};

/// `1 job`, `3 jobs`: counts as a person writes them, never `job(s)`.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}

/// `, request ID` after an action, escaped; nothing when the cloud gave no id.
fn request_suffix(request_id: Option<&str>) -> String {
    request_id.map(|id| format!(", request {}", Terminal(id))).unwrap_or_default()
}
