//! The configuration language: loads every `*.hcl` file of a directory and
//! yields validated desired jobs and providers, or diagnostics that say what
//! is wrong and where.

mod diag;

pub use diag::{Diagnostic, Diagnostics, Severity};
