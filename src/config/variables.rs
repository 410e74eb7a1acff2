//! Input variables: `variable` blocks, the values given from outside, their
//! precedence, type conversion and `validation` rules.
//!
//! Precedence, lowest to highest (Terraform's order; a later source wins):
//! the `default`, `JOBFORM_VAR_name` environment variables,
//! `jobform.vars.hcl`, `*.auto.vars.hcl` in name order, then every `--var`
//! and `--var-file` in command-line order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use hcl::Value;
use hcl::edit::Span as _;
use hcl::edit::expr::Expression;
use hcl::edit::structure::{Attribute, Block};

use crate::model::is_identifier;

use super::diag::{Diagnostic, Diagnostics, sentence};
use super::environment::Environment;
use super::eval::{Evaluator, Scope};
use super::parse::ParsedFile;
use super::schema::{Schema, check_body, did_you_mean, header_span};
use super::source::{FileId, SourceMap, Span};
use super::types::TypeConstraint;

/// Environment variables named `JOBFORM_VAR_<name>` set variable `<name>`.
pub const ENV_PREFIX: &str = "JOBFORM_VAR_";

/// One `--var` or `--var-file` option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarOption {
    /// `--var NAME=VALUE`, as typed.
    Assign(String),
    /// `--var-file FILE`.
    File(PathBuf),
    /// A value a saved plan was made with (`apply FILE`): exact, typed.
    Planned {
        /// The variable.
        name: String,
        /// Its value, as the plan file records it.
        value: serde_json::Value,
    },
}

/// The `--var` and `--var-file` options, in command-line order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VarInputs {
    /// The options; a later one wins.
    pub options: Vec<VarOption>,
}

/// A source of values, after the files among them were parsed.
pub(super) enum ValueSource {
    /// A variable file (automatic or `--var-file`).
    File(ParsedFile),
    /// One `--var NAME=VALUE`.
    Assign(String),
    /// A value of the saved plan being applied.
    Planned(String, Value),
}

/// A `variable` block.
pub(super) struct Declaration {
    name: String,
    header: Span,
    constraint: TypeConstraint,
    default: Option<(Value, Span)>,
    validations: Vec<(FileId, Block)>,
    /// `sensitive = true`: the value is never shown.
    sensitive: bool,
}

/// Where a variable's value came from.
pub(super) enum Origin {
    /// The `default` of its block.
    Default(Span),
    /// A `JOBFORM_VAR_` environment variable (its full name).
    Environment(String),
    /// A variable file.
    File(Span),
    /// A `--var` option.
    Option,
    /// The saved plan being applied.
    Plan,
}

impl Origin {
    fn describe(&self, name: &str) -> String {
        match self {
            Origin::Default(_) => "its default".to_owned(),
            Origin::Environment(key) => format!("the environment variable {key}"),
            Origin::File(_) => "a variable file".to_owned(),
            Origin::Option => format!("the option --var {name}=…"),
            Origin::Plan => "the saved plan".to_owned(),
        }
    }

    fn span(&self) -> Option<&Span> {
        match self {
            Origin::Default(span) | Origin::File(span) => Some(span),
            Origin::Environment(_) | Origin::Option | Origin::Plan => None,
        }
    }
}

/// A value before conversion to its variable's type.
enum Raw {
    /// Text from the environment or `--var`: literal for string variables, HCL otherwise.
    Text(String),
    /// An evaluated expression from a file.
    Value(Value),
}

const VARIABLE_SCHEMA: Schema<'static> = Schema {
    attributes: &["default", "description", "sensitive", "type"],
    blocks: &["validation"],
};
const VALIDATION_SCHEMA: Schema<'static> =
    Schema { attributes: &["condition", "error_message"], blocks: &[] };

/// Reads the `variable` blocks. Duplicates and malformed blocks are reported.
pub(super) fn declarations(
    evaluator: &Evaluator<'_>,
    blocks: &[(FileId, &Block)],
    diagnostics: &mut Diagnostics,
) -> BTreeMap<String, Declaration> {
    let sources = evaluator.sources();
    let mut declared: BTreeMap<String, Declaration> = BTreeMap::new();
    for &(file, block) in blocks {
        let header = header_span(file, block);
        let [label] = block.labels.as_slice() else {
            let detail = "A variable block needs exactly one label: its name, as in variable \"maintenance\" { … }.";
            diagnostics.push(sources.error(&header, "Invalid variable block", detail));
            continue;
        };
        let name = label.as_str().to_owned();
        if !is_identifier(&name) {
            let span = Span::new(file, label.span().unwrap_or_default());
            let detail = format!(
                "A variable name must start with a letter or underscore and hold only letters, digits, _ and -, so that var.NAME can refer to it; \"{name}\" does not."
            );
            diagnostics.push(sources.error(&span, "Invalid variable name", detail));
            continue;
        }
        check_body(sources, file, &block.body, &VARIABLE_SCHEMA, &|_| None, diagnostics);
        for validation in block.body.get_blocks("validation") {
            check_body(sources, file, &validation.body, &VALIDATION_SCHEMA, &|_| None, diagnostics);
            for required in VALIDATION_SCHEMA.attributes {
                if validation.body.get_attribute(required).is_none() {
                    let span = header_span(file, validation);
                    let detail = format!(
                        "The argument \"{required}\" is required, but no definition was found."
                    );
                    diagnostics.push(sources.error(&span, "Missing required argument", detail));
                }
            }
        }
        if let Some(attribute) = block.body.get_attribute("sensitive") {
            if !matches!(attribute.value, Expression::Bool(_)) {
                let span = Span::new(file, attribute.value.span().unwrap_or_default());
                let detail = "\"sensitive\" must be the literal true or false.";
                diagnostics.push(sources.error(&span, "Invalid sensitive flag", detail));
            }
        }
        let constraint = match block.body.get_attribute("type") {
            None => TypeConstraint::Any,
            Some(attribute) => match TypeConstraint::parse(&attribute.value) {
                Ok(constraint) => constraint,
                Err(problem) => {
                    let span = Span::new(file, attribute.value.span().unwrap_or_default());
                    diagnostics.push(sources.error(
                        &span,
                        "Invalid type specification",
                        sentence(&problem),
                    ));
                    TypeConstraint::Any
                }
            },
        };
        let default = block.body.get_attribute("default").and_then(|attribute| {
            let span = Span::new(file, attribute.value.span().unwrap_or_default());
            let value = evaluate_constant(evaluator, file, attribute, flagged_sensitive(block), diagnostics)?;
            match constraint.convert(value) {
                Ok(value) => Some((value, span)),
                Err(problem) => {
                    let reason = reason(&problem, flagged_sensitive(block));
                    let detail = format!("This default value is not compatible with the variable's type constraint{reason}.");
                    diagnostics.push(sources.error(&span, "Invalid default value for variable", detail));
                    None
                }
            }
        });
        if let Some(first) = declared.get(&name) {
            let detail = format!(
                "A variable named \"{name}\" was already declared at {}. Variable names must be unique.",
                sources.range(&first.header)
            );
            diagnostics.push(sources.error(&header, "Duplicate variable declaration", detail));
            continue;
        }
        let validations = block.body.get_blocks("validation").map(|b| (file, b.clone())).collect();
        let sensitive = flagged_sensitive(block);
        declared.insert(
            name.clone(),
            Declaration { name, header, constraint, default, validations, sensitive },
        );
    }
    declared
}

/// Resolves every declared variable's value by precedence, converts it to its
/// type and declares it in the evaluator. Values for undeclared variables are
/// a warning in a file, an error on the command line, ignored in the
/// environment (it may hold values for other configurations).
pub(super) fn resolve(
    evaluator: &mut Evaluator<'_>,
    declared: &BTreeMap<String, Declaration>,
    environment: &Environment,
    sources_in_order: &[ValueSource],
    diagnostics: &mut Diagnostics,
) -> BTreeMap<String, Origin> {
    let sources = evaluator.sources();
    let mut assigned: BTreeMap<String, (Raw, Origin)> = BTreeMap::new();
    for (name, text) in environment.with_prefix(ENV_PREFIX) {
        if declared.contains_key(name) {
            let origin = Origin::Environment(format!("{ENV_PREFIX}{name}"));
            assigned.insert(name.to_owned(), (Raw::Text(text.to_owned()), origin));
        }
    }
    for source in sources_in_order {
        match source {
            ValueSource::File(parsed) => {
                for block in parsed.body.blocks() {
                    let span = Span::new(parsed.file, block.ident.span().unwrap_or_default());
                    let detail = "A variable file may only assign values, as in name = \"value\".";
                    diagnostics.push(sources.error(
                        &span,
                        "Unexpected block in variable file",
                        detail,
                    ));
                }
                for attribute in parsed.body.attributes() {
                    let name = attribute.key.as_str();
                    if !declared.contains_key(name) {
                        let span = Span::new(parsed.file, attribute.key.span().unwrap_or_default());
                        let hint = did_you_mean(name, declared.keys().map(String::as_str));
                        let detail = format!(
                            "The variable file assigns \"{name}\", but no variable of that name is declared; the value is ignored.{hint}"
                        );
                        diagnostics.push(sources.warning(
                            &span,
                            "Value for undeclared variable",
                            detail,
                        ));
                        continue;
                    }
                    let span = Span::new(parsed.file, attribute.value.span().unwrap_or_default());
                    let sensitive = declared[name].sensitive;
                    if let Some(value) =
                        evaluate_constant(evaluator, parsed.file, attribute, sensitive, diagnostics)
                    {
                        assigned.insert(name.to_owned(), (Raw::Value(value), Origin::File(span)));
                    }
                }
            }
            ValueSource::Assign(text) => {
                let Some((name, value)) = text.split_once('=') else {
                    diagnostics.push(Diagnostic::error(
                        "Invalid --var option",
                        "The --var option takes NAME=VALUE, for example --var maintenance=true.",
                    ));
                    continue;
                };
                if !declared.contains_key(name) {
                    let hint = did_you_mean(name, declared.keys().map(String::as_str));
                    let detail = format!(
                        "The option --var sets \"{name}\", but no variable of that name is declared.{hint}"
                    );
                    diagnostics.push(Diagnostic::error("Value for undeclared variable", detail));
                    continue;
                }
                assigned.insert(name.to_owned(), (Raw::Text(value.to_owned()), Origin::Option));
            }
            ValueSource::Planned(name, value) => {
                if !declared.contains_key(name) {
                    let detail = format!(
                        "The plan file was made with a value for \"{name}\", which the configuration no longer declares."
                    );
                    diagnostics.push(Diagnostic::error("Value for undeclared variable", detail));
                    continue;
                }
                assigned.insert(name.clone(), (Raw::Value(value.clone()), Origin::Plan));
            }
        }
    }
    let mut origins = BTreeMap::new();
    for declaration in declared.values() {
        let name = &declaration.name;
        let found = assigned.remove(name).or_else(|| {
            let (value, span) = declaration.default.as_ref()?;
            Some((Raw::Value(value.clone()), Origin::Default(span.clone())))
        });
        if declaration.sensitive {
            evaluator.mark_sensitive("var", name);
        }
        let Some((raw, origin)) = found else {
            let detail = format!(
                "The variable \"{name}\" has no default; set it with --var {name}=…, a variable file or the environment variable {ENV_PREFIX}{name}."
            );
            diagnostics.push(sources.error(
                &declaration.header,
                "No value for required variable",
                detail,
            ));
            evaluator.set_variable(name, None);
            continue;
        };
        let value = match raw {
            Raw::Value(value) => value,
            Raw::Text(text) if declaration.constraint.takes_raw_string() => Value::String(text),
            Raw::Text(text) => parse_text(&text),
        };
        let value = declaration.constraint.convert(value);
        match value {
            Ok(value) => evaluator.set_variable(name, Some(value)),
            Err(problem) => {
                let reason = reason(&problem, declaration.sensitive);
                let detail = format!(
                    "The value of \"{name}\" from {} is not a valid {}{reason}.",
                    origin.describe(name),
                    declaration.constraint
                );
                let diagnostic = match origin.span() {
                    Some(span) => sources.error(span, "Invalid value for input variable", detail),
                    None => Diagnostic::error("Invalid value for input variable", detail),
                };
                diagnostics.push(diagnostic);
                evaluator.set_variable(name, None);
            }
        }
        origins.insert(name.clone(), origin);
    }
    origins
}

/// Checks every `validation` rule of the variables that have a value. A
/// variable that fails one counts as failed: expressions reading it are
/// skipped rather than reported a second time. Conditions may read variables
/// (locals are evaluated afterwards, from valid variables only).
pub(super) fn validate(
    evaluator: &mut Evaluator<'_>,
    declared: &BTreeMap<String, Declaration>,
    origins: &BTreeMap<String, Origin>,
    diagnostics: &mut Diagnostics,
) {
    let sources = evaluator.sources();
    let mut failed = Vec::new();
    for declaration in declared.values() {
        let Some(origin) = origins.get(&declaration.name) else { continue };
        if !evaluator.variables().contains_key(&declaration.name) {
            continue;
        }
        for (file, rule) in &declaration.validations {
            let (Some(condition), Some(message)) =
                (rule.body.get_attribute("condition"), rule.body.get_attribute("error_message"))
            else {
                continue;
            };
            let condition_span = Span::new(*file, condition.value.span().unwrap_or_default());
            match evaluator.evaluate_attribute(*file, condition, Scope::Module, diagnostics) {
                Some(Value::Bool(true)) | None => {}
                Some(Value::Bool(false)) => {
                    // Terraform's wording: the message is withheld, not cut.
                    let message = if evaluator.reads_sensitive(&message.value) {
                        "The error message included a sensitive value, so it will not be displayed."
                            .to_owned()
                    } else {
                        evaluator
                            .evaluate_attribute(*file, message, Scope::Module, diagnostics)
                            .and_then(|m| m.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    };
                    // Point at the value when it is in a file, else at the rule.
                    let (span, detail) = if let Some(span) = origin.span() {
                        let rule = sources.range(&condition_span);
                        (
                            span,
                            format!(
                                "{message}\n\nThis was checked by the validation rule at {rule}."
                            ),
                        )
                    } else {
                        let name = &declaration.name;
                        let from = origin.describe(name);
                        (
                            &condition_span,
                            format!("{message}\n\nThe value of \"{name}\" came from {from}."),
                        )
                    };
                    let diagnostic = sources.error(span, "Invalid value for variable", detail);
                    diagnostics.push(diagnostic);
                    failed.push(declaration.name.clone());
                }
                Some(other) => {
                    let detail = format!(
                        "The condition must be true or false, got {}.",
                        super::functions::type_name(&other)
                    );
                    diagnostics.push(sources.error(
                        &condition_span,
                        "Invalid validation condition",
                        detail,
                    ));
                }
            }
        }
    }
    for name in failed {
        evaluator.set_variable(&name, None);
    }
}

/// Masks every value the user marked secret with `sensitive = true` on its
/// `variable` block: the block's default, and each assignment in a variable
/// file. Must run before the source map is frozen (diagnostics copy snippets).
pub(super) fn mask_sensitive(
    sources: &mut SourceMap,
    configuration: &[ParsedFile],
    variable_files: &[&ParsedFile],
) {
    let mut sensitive = BTreeSet::new();
    for parsed in configuration {
        for block in parsed.body.get_blocks("variable") {
            let [label] = block.labels.as_slice() else { continue };
            if !flagged_sensitive(block) {
                continue;
            }
            sensitive.insert(label.as_str().to_owned());
            if let Some(default) = block.body.get_attribute("default") {
                sources.mask(&Span::new(parsed.file, default.value.span().unwrap_or_default()));
            }
        }
    }
    for parsed in variable_files {
        for attribute in parsed.body.attributes() {
            if sensitive.contains(attribute.key.as_str()) {
                let bytes = attribute.value.span().unwrap_or_default();
                sources.mask(&Span::new(parsed.file, bytes));
            }
        }
    }
}

/// `: problem` after a conversion failure, or a note that it is withheld:
/// the problem names the value's keys (`at ["key"]`), which are part of it.
fn reason(problem: &str, sensitive: bool) -> String {
    if sensitive {
        " (the reason is not shown: it may quote part of the sensitive value)".to_owned()
    } else {
        format!(": {problem}")
    }
}

/// Whether a `variable` block says `sensitive = true`.
fn flagged_sensitive(block: &Block) -> bool {
    block
        .body
        .get_attribute("sensitive")
        .is_some_and(|a| matches!(&a.value, Expression::Bool(b) if *b.value()))
}

/// A variable's default or a variable file's value; `sensitive`: the
/// variable's, so an error about it shows no value.
fn evaluate_constant(
    evaluator: &Evaluator<'_>,
    file: FileId,
    attribute: &Attribute,
    sensitive: bool,
    diagnostics: &mut Diagnostics,
) -> Option<Value> {
    let mut prepared = evaluator.prepare(file, attribute, Scope::Constant, diagnostics)?;
    prepared.sensitive |= sensitive;
    evaluator.evaluate(&prepared, &Evaluator::constant_context(), diagnostics)
}

/// Reads `--var`/environment text for a non-string variable as an HCL
/// expression of constants (`true`, `["a", "b"]`); text that is not one stays
/// a string, so the type conversion reports the mismatch.
fn parse_text(text: &str) -> Value {
    use hcl::eval::Evaluate;
    text.parse::<hcl::Expression>()
        .ok()
        .and_then(|expression| expression.evaluate(&Evaluator::constant_context()).ok())
        .unwrap_or_else(|| Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_dir;

    /// Loads a configuration whose job description is `var.v` (a string
    /// variable defaulting to "default") and returns the description.
    fn resolved(env: &[(&str, &str)], files: &[(&str, &str)], options: &[VarOption]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let main = r#"
            variable "v" {
              type    = string
              default = "default"
            }
            provider "alibaba" {
              region = "cn-hangzhou"
            }
            job "alibaba_migration" "m" {
              id          = "dtsj1x11y51g3b0004"
              state       = "running"
              description = var.v
            }
        "#;
        std::fs::write(dir.path().join("main.hcl"), main).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let inputs = VarInputs { options: options.to_vec() };
        let loaded = load_dir(
            dir.path(),
            &inputs,
            &env.iter().copied().collect(),
            super::super::DataInput::Unknown,
        )
        .unwrap();
        loaded.config.jobs[0].description.clone().unwrap()
    }

    /// Environment, files in the directory, options, and the value that wins.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [(&'a str, &'a str)], Vec<VarOption>, &'a str);

    #[test]
    fn precedence_is_default_env_files_then_options_in_order() {
        let assign = |text: &str| VarOption::Assign(text.to_owned());
        let file = |name: &str| VarOption::File(name.into());
        let env = [("JOBFORM_VAR_v", "env")];
        let jobform = ("jobform.vars.hcl", r#"v = "jobform""#);
        let auto_a = ("a.auto.vars.hcl", r#"v = "auto-a""#);
        let auto_b = ("b.auto.vars.hcl", r#"v = "auto-b""#);
        let extra = ("extra.vars.hcl", r#"v = "extra""#);
        let cases: [Case<'_>; 8] = [
            (&[], &[], vec![], "default"),
            (&env, &[], vec![], "env"),
            (&env, &[jobform], vec![], "jobform"),
            (&env, &[jobform, auto_b, auto_a], vec![], "auto-b"),
            (&env, &[jobform, auto_a, extra], vec![], "auto-a"),
            (&env, &[auto_a, extra], vec![assign("v=option")], "option"),
            (&env, &[auto_a, extra], vec![assign("v=option"), file("extra.vars.hcl")], "extra"),
            (&env, &[extra], vec![file("extra.vars.hcl"), assign("v=option")], "option"),
        ];
        for (env, files, options, expected) in cases {
            assert_eq!(resolved(env, files, &options), expected, "{env:?} {files:?} {options:?}");
        }
    }

    #[test]
    fn text_values_are_literal_for_strings_and_hcl_otherwise() {
        assert_eq!(parse_text("[\"a\", 1]"), Value::Array(vec!["a".into(), 1.into()]));
        assert_eq!(parse_text("true"), Value::Bool(true));
        assert_eq!(parse_text("cn-hangzhou"), Value::String("cn-hangzhou".into()));
        assert!(TypeConstraint::String.takes_raw_string());
        assert!(!TypeConstraint::Bool.takes_raw_string());
    }
}
