//! Turning results into text. Rendering never decides anything: it gets
//! finished data and a [`Palette`], and writes to a writer.

pub mod apply;
mod palette;
pub mod plan;
pub mod plan_view;
pub mod state;

pub use palette::Palette;

/// `1 job`, `3 jobs`: counts as a person writes them, never `job(s)`.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 { format!("1 {noun}") } else { format!("{count} {noun}s") }
}
