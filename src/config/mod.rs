//! The configuration language: loads every `*.hcl` file of a directory and
//! yields validated providers and desired jobs, or diagnostics that say what
//! is wrong and where (file, line, column and the source line, secrets masked).
//!
//! # Files
//!
//! Every `*.hcl` file of the working directory is configuration, read in name
//! order, except variable files (`*.vars.hcl`), which only assign variable
//! values: `jobform.vars.hcl` and `*.auto.vars.hcl` are read automatically,
//! others only through `--var-file`.
//!
//! # Variable precedence
//!
//! A variable's value comes from the last of these that sets it (lowest to
//! highest, Terraform's order):
//!
//! 1. the `default` in its `variable` block;
//! 2. the environment variable `JOBFORM_VAR_<name>`;
//! 3. `jobform.vars.hcl`;
//! 4. `*.auto.vars.hcl` files, in name order;
//! 5. `--var NAME=VALUE` and `--var-file FILE` options, in command-line order.
//!
//! Text from the environment or `--var` is taken literally for `string` (and
//! untyped) variables and read as an HCL expression for other types
//! (`--var 'zones=["a","b"]'`). A variable without a value from any of these
//! is an error. A file value for an undeclared variable is a warning, a
//! `--var` one an error; `JOBFORM_VAR_*` for unknown names is ignored.
//! `sensitive = true` on a `variable` block masks its default and its
//! variable-file values in every snippet, like the secret provider arguments.
//!
//! # Pipeline
//!
//! `parse` (hcl-edit, spans kept) → `variables` → `locals` → `providers`
//! and `data` blocks → `jobs` (each attribute evaluated on its own by `eval`,
//! `for_each` expanded, the data sources' values as read or unknown) →
//! `link` (cross-block checks) → [`Config`].

mod backend;
mod data;
mod diag;
mod environment;
mod eval;
mod fields;
mod functions;
mod graph;
mod jobs;
mod link;
mod load;
mod locals;
mod parse;
mod providers;
mod references;
mod schema;
mod source;
mod types;
mod variables;
mod window;

pub use backend::{PgBackend, find as find_backend};
pub use data::{DataInput, DataSource, DataValues};
pub(crate) use diag::sentence;
pub use diag::{Diagnostic, Diagnostics, Severity, Snippet, SourcePos, SourceRange};
pub use environment::Environment;
pub use load::{Config, Loaded, VariableValue, load_dir};
pub use source::{FileId, SourceFile, SourceMap, Span};
pub use variables::{ENV_PREFIX, VarInputs, VarOption};
