//! Variable type constraints (`type = list(string)`), read structurally from
//! the hcl-edit tree as Terraform does, and the conversion of a value to one.

use std::fmt;

use hcl::Value;
use hcl::edit::expr::{Expression, ObjectKey};

use super::functions::{distinct, primitive_string, type_name};
use super::schema::did_you_mean;

/// A variable's declared type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TypeConstraint {
    /// `any`, or no `type` at all.
    Any,
    /// `string`.
    String,
    /// `number`.
    Number,
    /// `bool`.
    Bool,
    /// `list(T)`.
    List(Box<TypeConstraint>),
    /// `set(T)`: a list without duplicates.
    Set(Box<TypeConstraint>),
    /// `map(T)`.
    Map(Box<TypeConstraint>),
    /// `object({ name = T, … })`: exactly these attributes.
    Object(Vec<(String, TypeConstraint)>),
}

impl TypeConstraint {
    /// Reads a type expression; `Err` says what is wrong with it.
    pub(super) fn parse(expr: &Expression) -> Result<Self, String> {
        match expr {
            Expression::Variable(name) => match name.as_str() {
                "any" => Ok(TypeConstraint::Any),
                "string" => Ok(TypeConstraint::String),
                "number" => Ok(TypeConstraint::Number),
                "bool" => Ok(TypeConstraint::Bool),
                other => {
                    let hint = did_you_mean(other, ["any", "bool", "number", "string"]);
                    Err(format!("\"{other}\" is not a type.{hint}"))
                }
            },
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                let mut args = call.args.iter();
                let (Some(arg), None) = (args.next(), args.next()) else {
                    return Err(format!("{name}(…) takes exactly one argument"));
                };
                match name {
                    "list" => Ok(TypeConstraint::List(Box::new(Self::parse(arg)?))),
                    "set" => Ok(TypeConstraint::Set(Box::new(Self::parse(arg)?))),
                    "map" => Ok(TypeConstraint::Map(Box::new(Self::parse(arg)?))),
                    "object" => {
                        let Expression::Object(object) = arg else {
                            return Err("object(…) takes an object of attribute types".to_owned());
                        };
                        object
                            .iter()
                            .map(|(key, value)| {
                                let key = match key {
                                    ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                                    ObjectKey::Expression(Expression::String(s)) => {
                                        s.as_str().to_owned()
                                    }
                                    ObjectKey::Expression(_) => {
                                        return Err("object attribute names must be names".into());
                                    }
                                };
                                Ok((key, Self::parse(value.expr())?))
                            })
                            .collect::<Result<_, _>>()
                            .map(TypeConstraint::Object)
                    }
                    other => Err(format!("\"{other}\" is not a type constructor")),
                }
            }
            _ => Err("expected a type such as string, number, bool or list(string)".to_owned()),
        }
    }

    /// Whether a raw `--var` / `JOBFORM_VAR_` value is taken literally: for
    /// strings and untyped variables, as Terraform does; other types read it as HCL.
    pub(super) fn takes_raw_string(&self) -> bool {
        matches!(self, TypeConstraint::Any | TypeConstraint::String)
    }

    /// Converts `value` to this type, with Terraform's primitive conversions
    /// (number and bool to string, numeric or `true`/`false` strings back).
    /// `null` is kept. The error names the type and the path but never the value.
    pub(super) fn convert(&self, value: Value) -> Result<Value, String> {
        self.convert_at(value, "")
    }

    fn convert_at(&self, value: Value, path: &str) -> Result<Value, String> {
        let mismatch = |value: &Value| {
            let at = if path.is_empty() { String::new() } else { format!(" at {path}") };
            Err(format!("{self} required{at}, got {}", type_name(value)))
        };
        match (self, value) {
            (_, Value::Null) => Ok(Value::Null),
            (TypeConstraint::Any, value) => Ok(value),
            (TypeConstraint::String, value) => match primitive_string(&value) {
                Some(text) => Ok(Value::String(text)),
                None => mismatch(&value),
            },
            (TypeConstraint::Number, Value::Number(n)) => Ok(Value::Number(n)),
            (TypeConstraint::Number, Value::String(s)) => parse_number(&s).ok_or_else(|| {
                format!("a number required{}, got a string that is not one", in_path(path))
            }),
            (TypeConstraint::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
            (TypeConstraint::Bool, Value::String(s)) if s == "true" || s == "false" => {
                Ok(Value::Bool(s == "true"))
            }
            (TypeConstraint::List(element) | TypeConstraint::Set(element), Value::Array(items)) => {
                let mut converted = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    converted.push(element.convert_at(item, &format!("{path}[{index}]"))?);
                }
                if matches!(self, TypeConstraint::Set(_)) {
                    converted = distinct(converted);
                }
                Ok(Value::Array(converted))
            }
            (TypeConstraint::Map(element), Value::Object(entries)) => entries
                .into_iter()
                .map(|(key, item)| {
                    let item = element.convert_at(item, &format!("{path}[\"{key}\"]"))?;
                    Ok((key, item))
                })
                .collect::<Result<_, String>>()
                .map(Value::Object),
            (TypeConstraint::Object(attributes), Value::Object(mut entries)) => {
                let mut converted = hcl::Map::new();
                for (name, attribute_type) in attributes {
                    let Some(item) = entries.shift_remove(name) else {
                        return Err(format!("attribute \"{name}\" is required{}", in_path(path)));
                    };
                    let item = attribute_type.convert_at(item, &format!("{path}.{name}"))?;
                    converted.insert(name.clone(), item);
                }
                if let Some(extra) = entries.keys().next() {
                    return Err(format!("attribute \"{extra}\" is not expected{}", in_path(path)));
                }
                Ok(Value::Object(converted))
            }
            (_, value) => mismatch(&value),
        }
    }
}

fn parse_number(text: &str) -> Option<Value> {
    let integer = text.parse::<i64>().ok().map(Value::from);
    integer.or_else(|| text.parse::<f64>().ok().and_then(hcl::Number::from_f64).map(Value::Number))
}

fn in_path(path: &str) -> String {
    if path.is_empty() { String::new() } else { format!(" at {path}") }
}

impl fmt::Display for TypeConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeConstraint::Any => f.write_str("any"),
            TypeConstraint::String => f.write_str("string"),
            TypeConstraint::Number => f.write_str("number"),
            TypeConstraint::Bool => f.write_str("bool"),
            TypeConstraint::List(element) => write!(f, "list({element})"),
            TypeConstraint::Set(element) => write!(f, "set({element})"),
            TypeConstraint::Map(element) => write!(f, "map({element})"),
            TypeConstraint::Object(attributes) => {
                f.write_str("object({")?;
                for (index, (name, attribute_type)) in attributes.iter().enumerate() {
                    let separator = if index == 0 { " " } else { ", " };
                    write!(f, "{separator}{name} = {attribute_type}")?;
                }
                f.write_str(" })")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(source: &str) -> Result<TypeConstraint, String> {
        TypeConstraint::parse(&source.parse::<Expression>().unwrap())
    }

    #[test]
    fn parses_type_expressions() {
        let cases = [
            ("string", "string"),
            ("any", "any"),
            ("list(string)", "list(string)"),
            ("set(number)", "set(number)"),
            ("map(bool)", "map(bool)"),
            (
                "object({ a = string, b = list(number) })",
                "object({ a = string, b = list(number) })",
            ),
        ];
        for (source, expected) in cases {
            assert_eq!(parse(source).map(|t| t.to_string()).as_deref(), Ok(expected));
        }
        for bad in
            ["strng", "list(string, number)", "tuple([string])", "\"string\"", "object(string)"]
        {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn converts_values_as_terraform_does() {
        let cases = [
            ("string", "1", Ok("\"1\"")),
            ("string", "true", Ok("\"true\"")),
            ("number", "\"42\"", Ok("42")),
            ("number", "\"1.5\"", Ok("1.5")),
            ("bool", "\"true\"", Ok("true")),
            ("bool", "null", Ok("null")),
            ("set(string)", "[\"a\", \"a\", 1]", Ok("[\"a\",\"1\"]")),
            ("map(number)", "{ a = \"1\" }", Ok("{\"a\":1}")),
            ("object({ a = bool })", "{ a = \"false\" }", Ok("{\"a\":false}")),
            ("string", "[\"x\"]", Err("string required, got list")),
            ("number", "\"x\"", Err("a number required, got a string that is not one")),
            ("bool", "\"yes\"", Err("bool required, got string")),
            (
                "list(number)",
                "[1, \"x\"]",
                Err("a number required at [1], got a string that is not one"),
            ),
            ("object({ a = bool })", "{}", Err("attribute \"a\" is required")),
            ("object({ a = bool })", "{ a = true, b = 1 }", Err("attribute \"b\" is not expected")),
        ];
        for (type_source, value, expected) in cases {
            let value: Value = hcl::eval::Evaluate::evaluate(
                &value.parse::<hcl::Expression>().unwrap(),
                &hcl::eval::Context::new(),
            )
            .unwrap();
            let converted = parse(type_source)
                .unwrap()
                .convert(value)
                .map(|v| serde_json::to_string(&v).unwrap());
            assert_eq!(converted.as_deref().map_err(String::as_str), expected, "{type_source}");
        }
    }
}
