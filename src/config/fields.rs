//! The evaluated arguments of one block (or one `for_each` instance of it),
//! read as typed values. A wrong type or value is reported at the argument's
//! value; a `null` value counts as not set, as in Terraform.

use std::collections::BTreeMap;

use hcl::Value;

use crate::model::{SENSITIVE_VALUE, Secret};

use super::diag::Diagnostics;
use super::functions::type_name;
use super::schema::did_you_mean;
use super::source::{SourceMap, Span};
use super::types::TypeConstraint;

/// One evaluated argument.
#[derive(Debug, Clone)]
pub(super) struct Field {
    /// Its value.
    pub(super) value: Value,
    /// The argument name's span.
    pub(super) key: Span,
    /// The value expression's span.
    pub(super) span: Span,
    /// A secret attribute, or derived from a sensitive value: never shown.
    pub(super) sensitive: bool,
}

impl Field {
    /// How a diagnostic names this argument's value `text`: quoted, or
    /// `(sensitive value)`.
    pub(super) fn quote(&self, text: &str) -> String {
        if self.sensitive { SENSITIVE_VALUE.to_owned() } else { format!("\"{text}\"") }
    }
}

/// The evaluated arguments of one block, by name.
pub(super) struct Fields<'s> {
    sources: &'s SourceMap,
    set: BTreeMap<String, Field>,
    /// Arguments present but `null`, with their value spans.
    nulls: BTreeMap<String, Span>,
}

impl<'s> Fields<'s> {
    /// An empty set of arguments.
    pub(super) fn new(sources: &'s SourceMap) -> Self {
        Fields { sources, set: BTreeMap::new(), nulls: BTreeMap::new() }
    }

    /// Records an argument (a `null` value is dropped: not set).
    pub(super) fn insert(&mut self, name: &str, field: Field) {
        if field.value.is_null() {
            self.nulls.insert(name.to_owned(), field.span);
        } else {
            self.set.insert(name.to_owned(), field);
        }
    }

    /// Reports a required argument that is not set: absent from the block
    /// (`in_block` false; reported at `header`) or `null`. An argument whose
    /// evaluation failed was reported already.
    pub(super) fn require(
        &self,
        name: &str,
        in_block: bool,
        header: &Span,
        diagnostics: &mut Diagnostics,
    ) {
        if self.has(name) {
            return;
        }
        let (span, detail) = match self.nulls.get(name) {
            Some(span) => {
                (span, format!("The argument \"{name}\" is required, but its value is null."))
            }
            None if !in_block => (
                header,
                format!("The argument \"{name}\" is required, but no definition was found."),
            ),
            None => return,
        };
        diagnostics.push(self.sources.error(span, "Missing required argument", detail));
    }

    /// The source map the fields point into.
    pub(super) fn sources(&self) -> &'s SourceMap {
        self.sources
    }

    /// The argument, if set.
    pub(super) fn get(&self, name: &str) -> Option<&Field> {
        self.set.get(name)
    }

    /// Whether the argument is set (to something other than `null`).
    pub(super) fn has(&self, name: &str) -> bool {
        self.set.contains_key(name)
    }

    fn wrong_type(&self, name: &str, field: &Field, expected: &str, diagnostics: &mut Diagnostics) {
        let detail = format!(
            "Inappropriate value for argument \"{name}\": {expected} required, got {}.",
            type_name(&field.value)
        );
        diagnostics.push(self.sources.error(&field.span, "Incorrect argument value type", detail));
    }

    /// A string argument (numbers and bools are converted, as in Terraform).
    pub(super) fn string(&self, name: &str, diagnostics: &mut Diagnostics) -> Option<String> {
        let field = self.get(name)?;
        if let Ok(Value::String(text)) = TypeConstraint::String.convert(field.value.clone()) {
            return Some(text);
        }
        self.wrong_type(name, field, "string", diagnostics);
        None
    }

    /// A secret string argument.
    pub(super) fn secret(&self, name: &str, diagnostics: &mut Diagnostics) -> Option<Secret> {
        self.string(name, diagnostics).map(Secret::new)
    }

    /// A bool argument.
    pub(super) fn bool(&self, name: &str, diagnostics: &mut Diagnostics) -> Option<bool> {
        let field = self.get(name)?;
        if let Ok(Value::Bool(flag)) = TypeConstraint::Bool.convert(field.value.clone()) {
            return Some(flag);
        }
        self.wrong_type(name, field, "bool", diagnostics);
        None
    }

    /// A positive whole number that fits in `u32`.
    pub(super) fn positive(&self, name: &str, diagnostics: &mut Diagnostics) -> Option<u32> {
        let field = self.get(name)?;
        let number = TypeConstraint::Number.convert(field.value.clone()).ok();
        match number.as_ref().and_then(Value::as_u64).map(u32::try_from) {
            Some(Ok(value)) if value > 0 => Some(value),
            _ if number.is_none() => {
                self.wrong_type(name, field, "number", diagnostics);
                None
            }
            _ => {
                let detail = format!("\"{name}\" must be a whole number from 1 to {}.", u32::MAX);
                diagnostics.push(self.sources.error(&field.span, "Invalid value", detail));
                None
            }
        }
    }

    /// A string argument that must be one of `options` (HCL spelling, value).
    pub(super) fn choice<T: Copy>(
        &self,
        name: &str,
        options: &[(&str, T)],
        diagnostics: &mut Diagnostics,
    ) -> Option<T> {
        let text = self.string(name, diagnostics)?;
        if let Some((_, value)) = options.iter().find(|(label, _)| *label == text) {
            return Some(*value);
        }
        let field = self.get(name)?;
        let expected =
            options.iter().map(|(label, _)| format!("\"{label}\"")).collect::<Vec<_>>().join(", ");
        // A suggestion close to a sensitive value would tell part of it.
        let hint = if field.sensitive {
            String::new()
        } else {
            did_you_mean(&text, options.iter().map(|(label, _)| *label))
        };
        let detail = format!(
            "{} is not a valid value for \"{name}\": expected one of {expected}.{hint}",
            field.quote(&text)
        );
        diagnostics.push(self.sources.error(&field.span, "Invalid value", detail));
        None
    }
}
