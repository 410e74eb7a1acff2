//! Evaluating one attribute at a time, with a location for every error.
//!
//! hcl-rs evaluation errors carry no location (STYLE.md §3), so each
//! attribute is checked first on the hcl-edit tree (undeclared `var.X` /
//! `local.X`, `each` outside `for_each`, unknown functions: reported with the
//! exact span), then converted once into an `hcl::Expression` and evaluated;
//! an evaluation error is attached to the narrowest span that can be found
//! for it. Values of secret attributes are never put into a message.
//!
//! Sensitivity is tracked like Terraform's marks, by what an expression
//! reads: a value that reads a `sensitive` variable, or a local that does
//! (through interpolation, a conditional, a function, anything), is
//! sensitive, and no diagnostic shows it or anything computed from it.

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression as EditExpression, TraversalOperator};
use hcl::edit::structure::Attribute;
use hcl::edit::visit::{self, Visit};
use hcl::eval::{Context, ErrorKind, Evaluate};
use hcl::{Expression, Value};

use crate::model::Listing;

use super::data::{self, DataInput, DeclaredData};
use super::diag::Diagnostics;
use super::functions::{self, FUNCTION_NAMES};
use super::references::References;
use super::schema::{did_you_mean, is_secret};
use super::source::{FileId, SourceMap, Span};

/// What an expression may refer to where it appears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Literal values and functions only (variable defaults, var files, `--var`).
    Constant,
    /// `var.*` and `local.*` (locals, providers, `for_each`, variable validations).
    Module,
    /// `var.*`, `local.*` and `each.*` (the body of a job block with `for_each`).
    Instance,
}

/// An attribute checked and converted, ready to evaluate in any number of contexts.
pub(super) struct Prepared<'a> {
    /// The argument's name.
    pub(super) name: String,
    /// The value expression's span.
    pub(super) span: Span,
    /// A secret attribute, or derived from a sensitive value: never shown.
    pub(super) sensitive: bool,
    expression: Expression,
    /// The tree it came from, searched for a narrower span when evaluation fails.
    edit: &'a EditExpression,
}

/// The names known to the configuration and the evaluation contexts built from them.
pub(super) struct Evaluator<'s> {
    sources: &'s SourceMap,
    variables: BTreeMap<String, Value>,
    locals: BTreeMap<String, Value>,
    /// `var.X` / `local.X` whose value could not be computed: expressions that
    /// read them are skipped, since their own error was already reported.
    failed: HashSet<String>,
    /// `var.X` / `local.X` whose value is sensitive.
    sensitive: HashSet<String>,
    /// The data sources, `(KIND, NAME)` → whether the block is valid, once
    /// declared (job blocks only read them: everything else is evaluated
    /// before any is read).
    data_sources: Option<BTreeMap<(Listing, String), bool>>,
    context: Context<'static>,
}

impl<'s> Evaluator<'s> {
    /// An evaluator with functions and no variables yet.
    pub(super) fn new(sources: &'s SourceMap) -> Self {
        let mut context = Context::new();
        functions::declare_all(&mut context);
        Evaluator {
            sources,
            variables: BTreeMap::new(),
            locals: BTreeMap::new(),
            failed: HashSet::new(),
            sensitive: HashSet::new(),
            data_sources: None,
            context,
        }
    }

    /// Marks `var.NAME` (`root` "var") or `local.NAME` as sensitive: every
    /// value read from it is then sensitive too.
    pub(super) fn mark_sensitive(&mut self, root: &str, name: &str) {
        self.sensitive.insert(format!("{root}.{name}"));
    }

    /// Whether variable `name` is sensitive.
    pub(super) fn is_sensitive_variable(&self, name: &str) -> bool {
        self.sensitive.contains(&format!("var.{name}"))
    }

    /// Whether `expr` reads a sensitive value, so that its value (and any
    /// message about it) is sensitive.
    pub(super) fn reads_sensitive(&self, expr: &EditExpression) -> bool {
        self.derives_from_sensitive(&References::of(expr))
    }

    /// Whether `attribute`'s value must never be shown: a secret attribute,
    /// or one that reads a sensitive value.
    pub(super) fn is_sensitive(&self, attribute: &Attribute) -> bool {
        is_secret(attribute.key.as_str()) || self.reads_sensitive(&attribute.value)
    }

    fn derives_from_sensitive(&self, references: &References) -> bool {
        references.free().any(|reference| {
            reference.attribute.as_ref().is_some_and(|attribute| {
                self.sensitive.contains(&format!("{}.{attribute}", reference.root))
            })
        })
    }

    /// The source map diagnostics point into.
    pub(super) fn sources(&self) -> &'s SourceMap {
        self.sources
    }

    /// A context with functions only, for constant expressions.
    pub(super) fn constant_context() -> Context<'static> {
        let mut context = Context::new();
        functions::declare_all(&mut context);
        context
    }

    /// Declares an input variable's final value (`None`: it failed).
    pub(super) fn set_variable(&mut self, name: &str, value: Option<Value>) {
        if let Some(value) = value {
            self.variables.insert(name.to_owned(), value);
        } else {
            self.variables.remove(name);
            self.failed.insert(format!("var.{name}"));
        }
        self.context.declare_var("var", object(&self.variables));
    }

    /// Declares a local value (`None`: it failed).
    pub(super) fn set_local(&mut self, name: &str, value: Option<Value>) {
        if let Some(value) = value {
            self.locals.insert(name.to_owned(), value);
        } else {
            self.locals.remove(name);
            self.failed.insert(format!("local.{name}"));
        }
        self.context.declare_var("local", object(&self.locals));
    }

    /// Declares the data sources with their values: every one empty for
    /// [`DataInput::Unknown`], else the jobs it matched.
    pub(super) fn declare_data(&mut self, declared: &[DeclaredData], input: DataInput<'_>) {
        let mut kinds: BTreeMap<&str, hcl::Map<String, Value>> = BTreeMap::new();
        let mut names = BTreeMap::new();
        for block in declared {
            names.insert((block.listing, block.name.clone()), block.source.is_some());
            let address = format!("data.{}.{}", block.listing, block.name);
            let jobs = match input {
                DataInput::Known(values) => values.get(&address).map_or(&[][..], Vec::as_slice),
                DataInput::Unknown => &[],
            };
            kinds
                .entry(block.listing.label())
                .or_default()
                .insert(block.name.clone(), data::value(jobs));
        }
        let value = kinds.into_iter().map(|(kind, names)| (kind.to_owned(), Value::Object(names)));
        self.context.declare_var("data", Value::Object(value.collect()));
        self.data_sources = Some(names);
    }

    /// Marks a local as declared but not evaluated yet (so a reference to it is
    /// not "undeclared").
    pub(super) fn declare_local(&mut self, name: &str) {
        self.locals.entry(name.to_owned()).or_insert(Value::Null);
    }

    /// The final input variable values.
    pub(super) fn variables(&self) -> &BTreeMap<String, Value> {
        &self.variables
    }

    /// The context for `Scope::Module` expressions.
    pub(super) fn context(&self) -> &Context<'static> {
        &self.context
    }

    /// Checks an attribute's references for `scope`; `None` when they are
    /// wrong (reported) or depend on something that failed (already reported).
    pub(super) fn prepare<'a>(
        &self,
        file: FileId,
        attribute: &'a Attribute,
        scope: Scope,
        diagnostics: &mut Diagnostics,
    ) -> Option<Prepared<'a>> {
        let span = Span::new(file, attribute.value.span().unwrap_or_default());
        let references = References::of(&attribute.value);
        self.check(file, &references, scope, diagnostics)?;
        let name = attribute.key.as_str().to_owned();
        Some(Prepared {
            sensitive: is_secret(&name) || self.derives_from_sensitive(&references),
            name,
            span,
            expression: attribute.value.clone().into(),
            edit: &attribute.value,
        })
    }

    /// [`Evaluator::prepare`] then [`Evaluator::evaluate`] in the module context.
    pub(super) fn evaluate_attribute(
        &self,
        file: FileId,
        attribute: &Attribute,
        scope: Scope,
        diagnostics: &mut Diagnostics,
    ) -> Option<Value> {
        let prepared = self.prepare(file, attribute, scope, diagnostics)?;
        self.evaluate(&prepared, &self.context, diagnostics)
    }

    /// Evaluates a prepared attribute in `context`, reporting a failure at the
    /// narrowest span found.
    pub(super) fn evaluate(
        &self,
        prepared: &Prepared<'_>,
        context: &Context<'_>,
        diagnostics: &mut Diagnostics,
    ) -> Option<Value> {
        match prepared.expression.evaluate(context) {
            Ok(value) => Some(value),
            Err(error) => {
                let (summary, detail) = describe(error.kind(), prepared.sensitive);
                let bytes = locate(prepared.edit, error.kind())
                    .unwrap_or_else(|| prepared.span.bytes.clone());
                let span = Span::new(prepared.span.file, bytes);
                diagnostics.push(self.sources.error(&span, summary, detail));
                None
            }
        }
    }

    /// Every `var` or `local` name, valid or failed, for "Did you mean".
    fn declared_names<'a>(&'a self, root: &'a str) -> impl Iterator<Item = &'a str> {
        let valid = if root == "var" { &self.variables } else { &self.locals };
        let failed = self
            .failed
            .iter()
            .filter_map(move |key| key.strip_prefix(root).and_then(|rest| rest.strip_prefix('.')));
        valid.keys().map(String::as_str).chain(failed)
    }

    fn check(
        &self,
        file: FileId,
        references: &References,
        scope: Scope,
        diagnostics: &mut Diagnostics,
    ) -> Option<()> {
        let before = diagnostics.error_count();
        let error = |diagnostics: &mut Diagnostics, span: &Range<usize>, summary, detail| {
            let span = Span::new(file, span.clone());
            diagnostics.push(self.sources.error(&span, summary, detail));
        };
        for call in &references.calls {
            if !FUNCTION_NAMES.contains(&call.name.as_str()) {
                let hint = did_you_mean(&call.name, FUNCTION_NAMES);
                let detail = format!("There is no function named \"{}\".{hint}", call.name);
                error(diagnostics, &call.span, "Call to unknown function", detail);
            }
        }
        let mut depends_on_failure = false;
        for reference in references.free() {
            if let Some(attribute) = &reference.attribute {
                if self.failed.contains(&format!("{}.{attribute}", reference.root)) {
                    depends_on_failure = true;
                    continue;
                }
            }
            let problem = match (reference.root.as_str(), reference.attribute.as_deref(), scope) {
                ("var" | "local" | "each" | "data", _, Scope::Constant) => Some((
                    "Variables not allowed",
                    "This value must be a constant: it can use functions, but no variables."
                        .to_owned(),
                )),
                ("var", Some(name), _) if !self.variables.contains_key(name) => {
                    let hint = did_you_mean(name, self.declared_names("var"));
                    Some((
                        "Reference to undeclared input variable",
                        format!("An input variable named \"{name}\" has not been declared.{hint}"),
                    ))
                }
                ("local", Some(name), _) if !self.locals.contains_key(name) => {
                    let hint = did_you_mean(name, self.declared_names("local"));
                    Some((
                        "Reference to undeclared local value",
                        format!("A local value named \"{name}\" has not been declared.{hint}"),
                    ))
                }
                ("var" | "local", None, _) => Some((
                    "Invalid reference",
                    format!(
                        "\"{}\" must be followed by the name of a value, like {}.name.",
                        reference.root, reference.root
                    ),
                )),
                ("data", _, _) => match &self.data_sources {
                    None => Some((
                        "Invalid reference",
                        "Data sources can be read in job blocks only: variables, locals, providers and data blocks are evaluated before any data source is read.".to_owned(),
                    )),
                    Some(declared) => match data::check_reference(&reference.path, declared) {
                        Ok(true) => None,
                        Ok(false) => {
                            depends_on_failure = true;
                            None
                        }
                        Err((summary, detail)) => Some((summary, detail)),
                    },
                },
                ("each", _, Scope::Module) => Some((
                    "Reference to \"each\" in context without for_each",
                    "The \"each\" object can be used only in job blocks that set for_each."
                        .to_owned(),
                )),
                ("each", Some("key" | "value"), Scope::Instance) => None,
                ("each", _, Scope::Instance) => Some((
                    "Invalid \"each\" attribute",
                    "The \"each\" object has two attributes: \"each.key\" and \"each.value\"."
                        .to_owned(),
                )),
                _ => None,
            };
            if let Some((summary, detail)) = problem {
                error(diagnostics, &reference.span, summary, detail);
            }
        }
        (diagnostics.error_count() == before && !depends_on_failure).then_some(())
    }
}

fn object(map: &BTreeMap<String, Value>) -> Value {
    Value::Object(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// Summary and detail of an evaluation error. For a sensitive expression, no
/// value appears (hcl-rs messages quote the values they reject, and a missing
/// key or index may be the sensitive value itself: `m[var.token]`).
fn describe(kind: &ErrorKind, secret: bool) -> (&'static str, String) {
    match kind {
        ErrorKind::NoSuchKey(_) if secret => (
            "Unsupported attribute",
            "This object does not have the attribute asked for.".to_owned(),
        ),
        ErrorKind::Index(_) if secret => {
            ("Invalid index", "The collection has no element at the index asked for.".to_owned())
        }
        ErrorKind::UndefinedVar(name) => {
            ("Unknown variable", format!("There is no variable named \"{name}\"."))
        }
        ErrorKind::UndefinedFunc(name) => {
            ("Call to unknown function", format!("There is no function named \"{name}\"."))
        }
        ErrorKind::NoSuchKey(key) => (
            "Unsupported attribute",
            format!("This object does not have an attribute named \"{key}\"."),
        ),
        ErrorKind::Index(index) => {
            ("Invalid index", format!("The collection has no element at index {index}."))
        }
        ErrorKind::FuncCall(name, _) if secret => {
            ("Error in function call", format!("Call to function \"{name}\" failed."))
        }
        ErrorKind::FuncCall(name, message) => {
            ("Error in function call", format!("Call to function \"{name}\" failed: {message}."))
        }
        ErrorKind::Unexpected(value, expected) => (
            "Incorrect value type",
            if secret {
                format!("Expected {expected}.")
            } else {
                format!("Expected {expected}, got a {}.", functions::type_name(value))
            },
        ),
        ErrorKind::UnaryOp(operator, value) => (
            "Invalid operand",
            format!(
                "The operator {operator} cannot be applied to a {}.",
                functions::type_name(value)
            ),
        ),
        ErrorKind::BinaryOp(lhs, operator, rhs) => (
            "Invalid operand",
            format!(
                "The operator {operator} cannot be applied to a {} and a {}.",
                functions::type_name(lhs),
                functions::type_name(rhs)
            ),
        ),
        ErrorKind::KeyExists(key) if !secret => {
            ("Duplicate object key", format!("The key \"{key}\" is set twice."))
        }
        _ if secret => ("Invalid expression", "The expression could not be evaluated.".to_owned()),
        other => ("Invalid expression", format!("{other}.")),
    }
}

/// The narrowest span of `expr` an error is about: the call of the failing
/// function, the traversal naming the missing key or variable.
fn locate(expr: &EditExpression, kind: &ErrorKind) -> Option<Range<usize>> {
    struct Finder<'k> {
        kind: &'k ErrorKind,
        found: Option<Range<usize>>,
    }
    impl Visit for Finder<'_> {
        fn visit_expr(&mut self, expr: &EditExpression) {
            if self.found.is_some() {
                return;
            }
            let hit = match (self.kind, expr) {
                (ErrorKind::FuncCall(name, _), EditExpression::FuncCall(call)) => {
                    call.name.name.as_str() == name.name.as_str()
                }
                (ErrorKind::UndefinedVar(name), EditExpression::Variable(variable)) => {
                    variable.as_str() == name.as_str()
                }
                (ErrorKind::NoSuchKey(key), EditExpression::Traversal(traversal)) => {
                    traversal.operators.iter().any(|op| match &**op {
                        TraversalOperator::GetAttr(name) => name.as_str() == key,
                        TraversalOperator::Index(EditExpression::String(s)) => s.as_str() == key,
                        _ => false,
                    })
                }
                _ => false,
            };
            if hit {
                self.found = expr.span();
            } else {
                visit::visit_expr(self, expr);
            }
        }
    }
    let mut finder = Finder { kind, found: None };
    finder.visit_expr(expr);
    finder.found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(source: &str) -> (SourceMap, FileId, Attribute) {
        let mut sources = SourceMap::new();
        let file = sources.add("t.hcl", source);
        let body = hcl::edit::parser::parse_body(source).unwrap();
        let attribute = body.attributes().next().unwrap().clone();
        (sources, file, attribute)
    }

    /// Evaluates `x = …` with `var.region = "r"` and `local.n = 2` declared;
    /// returns the value or "summary @ line:col-col: detail".
    fn eval(source: &str, scope: Scope) -> Result<String, String> {
        let (sources, file, attribute) = attribute(source);
        let mut evaluator = Evaluator::new(&sources);
        evaluator.set_variable("region", Some(Value::from("r")));
        evaluator.set_variable("broken", None);
        evaluator.set_local("n", Some(Value::from(2)));
        let mut diagnostics = Diagnostics::new();
        let mut context = evaluator.context().clone();
        context.declare_var("each", hcl::value!({ key = "k", value = "v" }));
        let value = evaluator
            .prepare(file, &attribute, scope, &mut diagnostics)
            .and_then(|p| evaluator.evaluate(&p, &context, &mut diagnostics));
        match (value, diagnostics.iter().next()) {
            (Some(value), None) => Ok(serde_json::to_string(&value).unwrap()),
            (_, Some(d)) => {
                let range = d.range.as_ref().unwrap();
                Err(format!(
                    "{} @ {}:{}-{}: {}",
                    d.summary, range.start.line, range.start.column, range.end.column, d.detail
                ))
            }
            (None, None) => Err("skipped".to_owned()),
        }
    }

    #[test]
    fn evaluates_references_templates_and_conditionals() {
        let cases = [
            (r#"x = "${var.region}-${local.n}""#, Scope::Module, r#""r-2""#),
            (r#"x = local.n > 1 ? upper(var.region) : "no""#, Scope::Module, r#""R""#),
            ("x = each.key", Scope::Instance, r#""k""#),
            (r#"x = lower("A")"#, Scope::Constant, r#""a""#),
        ];
        for (source, scope, expected) in cases {
            assert_eq!(eval(source, scope).as_deref(), Ok(expected), "{source}");
        }
    }

    #[test]
    fn errors_point_at_the_faulty_part() {
        let cases = [
            (
                "x = var.regoin",
                Scope::Module,
                "Reference to undeclared input variable @ 1:5-15: An input variable named \"regoin\" has not been declared. Did you mean \"region\"?",
            ),
            (
                "x = local.m",
                Scope::Module,
                "Reference to undeclared local value @ 1:5-12: A local value named \"m\" has not been declared. Did you mean \"n\"?",
            ),
            (
                "x = each.key",
                Scope::Module,
                "Reference to \"each\" in context without for_each @ 1:5-13: The \"each\" object can be used only in job blocks that set for_each.",
            ),
            (
                "x = each.name",
                Scope::Instance,
                "Invalid \"each\" attribute @ 1:5-14: The \"each\" object has two attributes: \"each.key\" and \"each.value\".",
            ),
            (
                "x = var.region",
                Scope::Constant,
                "Variables not allowed @ 1:5-15: This value must be a constant: it can use functions, but no variables.",
            ),
            (
                "x = var",
                Scope::Module,
                "Invalid reference @ 1:5-8: \"var\" must be followed by the name of a value, like var.name.",
            ),
            (
                "x = lowr(\"a\")",
                Scope::Module,
                "Call to unknown function @ 1:5-9: There is no function named \"lowr\". Did you mean \"lower\"?",
            ),
            (
                "x = foo",
                Scope::Module,
                "Unknown variable @ 1:5-8: There is no variable named \"foo\".",
            ),
            (
                "x = 1 + lower(split(\"\", \"a\")[0])",
                Scope::Module,
                "Error in function call @ 1:15-29: Call to function \"split\" failed: the separator must not be empty.",
            ),
            (
                "x = { a = 1 }.b",
                Scope::Module,
                "Unsupported attribute @ 1:5-16: This object does not have an attribute named \"b\".",
            ),
            (
                "x = var.region + 1",
                Scope::Module,
                "Invalid operand @ 1:5-19: The operator + cannot be applied to a string and a number.",
            ),
        ];
        for (source, scope, expected) in cases {
            assert_eq!(eval(source, scope), Err(expected.to_owned()), "{source}");
        }
    }

    #[test]
    fn expressions_reading_a_failed_value_are_skipped_silently() {
        assert_eq!(eval("x = upper(var.broken)", Scope::Module), Err("skipped".to_owned()));
    }

    #[test]
    fn secret_attribute_errors_quote_no_value() {
        let error = eval(r#"auth_token = "hunter2" + 1"#, Scope::Module).unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
        let error = eval(r#"secret_key = lower(["hunter2"])"#, Scope::Module).unwrap_err();
        assert_eq!(error, "Error in function call @ 1:14-32: Call to function \"lower\" failed.");
    }
}
