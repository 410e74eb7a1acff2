//! The `backend` block: where the state lives. Read on its own, before (and
//! without) the rest of the configuration, so the state commands find the
//! state without variables or credentials.
//!
//! ```hcl
//! backend "pg" {
//!   conn_str    = env("PG_CONN_STR")  # PG_CONN_STR is read when omitted
//!   schema_name = "jobform"           # the default
//! }
//! ```

use std::path::Path;

use hcl::edit::Span;
use hcl::edit::expr::Expression;
use hcl::edit::structure::{Block, BlockLabel};

use super::diag::{Diagnostic, Diagnostics};
use super::parse;

/// The environment variable read for the connection string when the block has none.
const CONN_STR_ENV: &str = "PG_CONN_STR";
/// The schema used when the block names none.
const DEFAULT_SCHEMA: &str = "jobform";

/// A `backend "pg"` block, its values read.
#[derive(Clone)]
pub struct PgBackend {
    /// The connection string (a secret: no `Debug`).
    pub conn_str: String,
    /// `schema_name`.
    pub schema_name: String,
    /// Where the block is, `file:line`, for errors about it.
    pub declared_at: String,
}

impl std::fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend")
            .field("schema_name", &self.schema_name)
            .field("declared_at", &self.declared_at)
            .finish_non_exhaustive()
    }
}

/// The `backend` block of the configuration in `dir`, `None` without one
/// (the state is the local file). `env` reads the environment.
///
/// # Errors
///
/// A backend other than `pg`, more than one block, an unknown or
/// unreadable argument, no connection string.
pub fn find(
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<PgBackend>, Diagnostics> {
    let error =
        |summary: &str, detail: String| Diagnostics(vec![Diagnostic::error(summary, detail)]);
    let files = parse::list(dir).map_err(|e| {
        error(
            "Failed to read the configuration directory",
            format!("The directory \"{}\" could not be listed: {e}.", dir.display()),
        )
    })?;
    let mut found: Option<(String, PgBackend)> = None;
    for name in &files.configuration {
        // Unreadable files are reported by the configuration's own load.
        let Ok(text) = std::fs::read_to_string(dir.join(name)) else { continue };
        let Ok(body) = hcl::edit::parser::parse_body(&text) else { continue };
        for block in body.blocks().filter(|block| block.ident.as_str() == "backend") {
            if let Some((first, _)) = &found {
                return Err(error(
                    "Duplicate backend block",
                    format!(
                        "{name} declares a backend block, and so does {first}: there is one state."
                    ),
                ));
            }
            let start = block.span().map_or(0, |span| span.start);
            let line = text[..start].matches('\n').count() + 1;
            let declared_at = format!("{name}:{line}");
            found = Some((
                name.clone(),
                decode(name, block, declared_at, env)
                    .map_err(|d| error("Invalid backend block", d))?,
            ));
        }
    }
    Ok(found.map(|(_, backend)| backend))
}

fn decode(
    file: &str,
    block: &Block,
    declared_at: String,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<PgBackend, String> {
    let label = match block.labels.as_slice() {
        [BlockLabel::String(s)] => s.value().clone(),
        [BlockLabel::Ident(i)] => i.as_str().to_owned(),
        _ => String::new(),
    };
    if label != "pg" {
        return Err(format!(
            "{file}: the backend block takes one label, \"pg\" (the only backend besides the \
             local file, which needs no block); found \"{label}\"."
        ));
    }
    let mut conn_str = None;
    let mut schema_name = None;
    for attribute in block.body.attributes() {
        let key = attribute.key.as_str();
        let value = match &attribute.value {
            Expression::String(s) => Some(s.value().clone()),
            Expression::FuncCall(call) if call.name.name.as_str() == "env" => {
                match call.args.iter().collect::<Vec<_>>().as_slice() {
                    [Expression::String(variable)] => {
                        Some(env(variable.value()).unwrap_or_default())
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let Some(value) = value else {
            return Err(format!(
                "{file}: backend \"pg\" argument \"{key}\" must be a string or env(\"NAME\"): \
                 the backend is read before variables exist."
            ));
        };
        match key {
            "conn_str" => conn_str = Some(value),
            "schema_name" => schema_name = Some(value),
            other => {
                return Err(format!(
                    "{file}: backend \"pg\" has no argument \"{other}\" (it takes conn_str and schema_name)."
                ));
            }
        }
    }
    let conn_str =
        conn_str.or_else(|| env(CONN_STR_ENV)).filter(|s| !s.is_empty()).ok_or_else(|| {
            format!(
                "{file}: backend \"pg\" has no connection string: set conn_str, or the \
             {CONN_STR_ENV} environment variable."
            )
        })?;
    Ok(PgBackend {
        conn_str,
        schema_name: schema_name.unwrap_or_else(|| DEFAULT_SCHEMA.to_owned()),
        declared_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find_in(text: &str, env: &[(&str, &str)]) -> Result<Option<PgBackend>, String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.hcl"), text).unwrap();
        let env = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned());
        find(dir.path(), &env).map_err(|d| d.0[0].detail.clone())
    }

    #[test]
    fn reads_the_block_and_the_environment() {
        assert!(find_in("job \"x\" {}\n", &[]).unwrap().is_none());
        let pg =
            find_in("backend \"pg\" {}\n", &[("PG_CONN_STR", "postgres://h/db")]).unwrap().unwrap();
        assert_eq!((pg.conn_str.as_str(), pg.schema_name.as_str()), ("postgres://h/db", "jobform"));
        assert_eq!(pg.declared_at, "main.hcl:1");
        let pg = find_in(
            "# the state\n\nbackend \"pg\" {\n  conn_str = env(\"DB\")\n  schema_name = \"ops\"\n}\n",
            &[("DB", "postgres://x/y")],
        )
        .unwrap()
        .unwrap();
        assert_eq!((pg.conn_str.as_str(), pg.schema_name.as_str()), ("postgres://x/y", "ops"));
        assert_eq!(pg.declared_at, "main.hcl:3");
        for (text, expected) in [
            ("backend \"s3\" {}\n", "found \"s3\""),
            ("backend \"pg\" {}\n", "no connection string"),
            ("backend \"pg\" {\n  conn_str = var.x\n}\n", "must be a string"),
            ("backend \"pg\" {\n  conn = \"x\"\n}\n", "no argument \"conn\""),
        ] {
            let detail = find_in(text, &[]).unwrap_err();
            assert!(detail.contains(expected), "{text}: {detail}");
        }
    }
}
