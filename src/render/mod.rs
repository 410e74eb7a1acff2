//! Turning results into text. Rendering never decides anything: it gets
//! finished data and a [`Palette`], and writes to a writer.

mod palette;
pub mod state;

pub use palette::Palette;
