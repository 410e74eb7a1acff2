//! Turning results into text. Rendering never decides anything: it gets
//! finished data and a [`Palette`], and writes to a writer.

pub mod apply;
mod palette;
pub mod plan;
pub mod plan_view;
pub mod state;

pub use palette::Palette;
