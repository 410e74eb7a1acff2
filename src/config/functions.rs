//! The functions a configuration may call. hcl-rs has no standard library, so
//! each is written here after its Terraform namesake. None reads the clock or
//! anything but its arguments, except `env`, which reads the loader's
//! environment snapshot (see `environment.rs` for why that is a thread-local).

// Every function has hcl-rs's `Func` signature, `fn(FuncArgs) -> Result<Value,
// String>`, whether or not it can fail or consumes its arguments.
#![allow(clippy::unnecessary_wraps, clippy::needless_pass_by_value)]

use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
use hcl::{Map, Value};

use super::environment;

/// Every function name, in alphabetical order (for "Did you mean").
pub(super) const FUNCTION_NAMES: [&str; 16] = [
    "coalesce", "concat", "contains", "env", "format", "join", "keys", "length", "lower", "merge",
    "split", "tolist", "tomap", "toset", "upper", "values",
];

/// Declares every function in `ctx`.
pub(super) fn declare_all(ctx: &mut Context<'_>) {
    use ParamType::{Any, String};
    let list = || ParamType::array_of(Any);
    let object = || ParamType::object_of(Any);
    let table: [(&str, FuncDef); 16] = [
        ("coalesce", FuncDef::builder().variadic_param(Any).build(coalesce)),
        ("concat", FuncDef::builder().variadic_param(list()).build(concat)),
        ("contains", FuncDef::new(contains, [list(), Any])),
        ("env", FuncDef::new(env, [String])),
        ("format", FuncDef::builder().param(String).variadic_param(Any).build(format)),
        ("join", FuncDef::new(join, [String, list()])),
        ("keys", FuncDef::new(keys, [object()])),
        ("length", FuncDef::new(length, [ParamType::one_of([String, list(), object()])])),
        ("lower", FuncDef::new(lower, [String])),
        ("merge", FuncDef::builder().variadic_param(ParamType::nullable(object())).build(merge)),
        ("split", FuncDef::new(split, [String, String])),
        ("tolist", FuncDef::new(tolist, [list()])),
        ("tomap", FuncDef::new(tomap, [object()])),
        ("toset", FuncDef::new(toset, [list()])),
        ("upper", FuncDef::new(upper, [String])),
        ("values", FuncDef::new(values, [object()])),
    ];
    for (name, def) in table {
        ctx.declare_func(name, def);
    }
}

/// The HCL spelling of a value's type, for messages that must not echo the value.
pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// A primitive value as a string (`true`, `1.5`); `None` for null and collections.
pub(super) fn primitive_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn string_arg(args: &FuncArgs, index: usize) -> &str {
    // The FuncDef's parameter types were checked by hcl-rs before the call.
    args[index].as_str().unwrap_or_default()
}

fn env(args: FuncArgs) -> Result<Value, String> {
    Ok(environment::read(string_arg(&args, 0)).map_or(Value::Null, Value::String))
}

fn lower(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(string_arg(&args, 0).to_lowercase()))
}

fn upper(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::String(string_arg(&args, 0).to_uppercase()))
}

fn join(args: FuncArgs) -> Result<Value, String> {
    let parts = args[1]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, v)| primitive_string(v).ok_or_else(|| format!("element {i} is not a string")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Value::String(parts.join(string_arg(&args, 0))))
}

fn split(args: FuncArgs) -> Result<Value, String> {
    let separator = string_arg(&args, 0);
    let text = string_arg(&args, 1);
    if separator.is_empty() {
        return Err("the separator must not be empty".to_owned());
    }
    Ok(Value::Array(text.split(separator).map(Value::from).collect()))
}

fn concat(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Array(args.into_values().into_iter().flat_map(into_array).collect()))
}

fn merge(args: FuncArgs) -> Result<Value, String> {
    let mut merged = Map::new();
    for value in args.into_values() {
        if let Value::Object(object) = value {
            merged.extend(object);
        }
    }
    Ok(Value::Object(merged))
}

fn length(args: FuncArgs) -> Result<Value, String> {
    let length = match &args[0] {
        Value::String(s) => s.chars().count(),
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        other => return Err(format!("a {} has no length", type_name(other))),
    };
    Ok(Value::from(length))
}

fn contains(args: FuncArgs) -> Result<Value, String> {
    let list = args[0].as_array().map(Vec::as_slice).unwrap_or_default();
    Ok(Value::Bool(list.contains(&args[1])))
}

/// Terraform sets of strings iterate in lexical order; other element types
/// keep their first-seen order. Either way duplicates go.
fn toset(args: FuncArgs) -> Result<Value, String> {
    let mut elements = distinct(args.into_values().into_iter().flat_map(into_array));
    if elements.iter().all(Value::is_string) {
        elements.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    Ok(Value::Array(elements))
}

fn tolist(args: FuncArgs) -> Result<Value, String> {
    Ok(args[0].clone())
}

fn tomap(args: FuncArgs) -> Result<Value, String> {
    Ok(args[0].clone())
}

/// Object keys in lexical order, as Terraform's `keys`.
fn keys(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Array(sorted_entries(&args[0]).map(|(k, _)| Value::from(k.as_str())).collect()))
}

/// Object values in the lexical order of their keys, as Terraform's `values`.
fn values(args: FuncArgs) -> Result<Value, String> {
    Ok(Value::Array(sorted_entries(&args[0]).map(|(_, v)| v.clone()).collect()))
}

fn coalesce(args: FuncArgs) -> Result<Value, String> {
    args.into_values()
        .into_iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .ok_or_else(|| "no non-null, non-empty argument".to_owned())
}

/// `format(spec, args...)` with the verbs `%s`, `%v`, `%d`, `%f`, `%.Nf`, `%t`,
/// `%q` and `%%`, which is what a job configuration needs from Terraform's set.
fn format(args: FuncArgs) -> Result<Value, String> {
    let spec = string_arg(&args, 0);
    let mut values = args.iter().skip(1);
    let mut out = String::with_capacity(spec.len());
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut precision = None;
        let mut verb = chars.next().ok_or("the format ends with a lone %")?;
        if verb == '.' {
            let mut digits = String::new();
            while let Some(digit) = chars.next_if(char::is_ascii_digit) {
                digits.push(digit);
            }
            precision = Some(digits.parse::<usize>().map_err(|_| "invalid precision after %.")?);
            verb = chars.next().ok_or("the format ends inside a verb")?;
        }
        if verb == '%' {
            out.push('%');
            continue;
        }
        let value = values.next().ok_or_else(|| format!("not enough arguments for %{verb}"))?;
        let text = match (verb, value) {
            ('s' | 'v', value) => primitive_string(value).unwrap_or_else(|| value.to_string()),
            ('d', Value::Number(n)) if n.as_i64().is_some() => n.to_string(),
            ('f', Value::Number(n)) => {
                let float = n.as_f64().unwrap_or_default();
                format!("{float:.*}", precision.unwrap_or(6))
            }
            ('t', Value::Bool(b)) => b.to_string(),
            ('q', Value::String(s)) => format!("{s:?}"),
            ('d' | 'f' | 't' | 'q', other) => {
                return Err(format!("%{verb} cannot format a {}", type_name(other)));
            }
            (other, _) => return Err(format!("unsupported format verb %{other}")),
        };
        out.push_str(&text);
    }
    if values.next().is_some() {
        return Err("too many arguments for the format".to_owned());
    }
    Ok(Value::String(out))
}

/// The values without repeats, in first-seen order. Linear: `for_each` sets
/// of thousands of job ids go through here.
pub(super) fn distinct(values: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    values.into_iter().filter(|value| seen.insert(value.to_string())).collect()
}

fn into_array(value: Value) -> Vec<Value> {
    match value {
        Value::Array(array) => array,
        _ => Vec::new(),
    }
}

fn sorted_entries(value: &Value) -> impl Iterator<Item = (&String, &Value)> {
    let mut entries: Vec<_> = value.as_object().into_iter().flatten().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::environment::{Environment, EnvironmentScope};

    /// Evaluates one HCL expression with every function declared.
    fn eval(expr: &str) -> Result<Value, String> {
        use hcl::eval::Evaluate;
        let mut ctx = Context::new();
        declare_all(&mut ctx);
        let expr: hcl::Expression = expr.parse().map_err(|e| format!("{e}"))?;
        expr.evaluate(&ctx).map_err(|e| e.kind().to_string())
    }

    fn ok(expr: &str) -> String {
        serde_json::to_string(&eval(expr).unwrap_or_else(|e| panic!("{expr}: {e}"))).unwrap()
    }

    #[test]
    fn string_functions() {
        let cases = [
            (r#"lower("AbC")"#, r#""abc""#),
            (r#"upper("AbC")"#, r#""ABC""#),
            (r#"join("-", ["a", 1, true])"#, r#""a-1-true""#),
            (r#"join(",", [])"#, r#""""#),
            (r#"split(",", "a,b,,c")"#, r#"["a","b","","c"]"#),
            (r#"format("%s-%d/%v %t %q %%", "a", 7, "x", false, "q")"#, r#""a-7/x false \"q\" %""#),
            (r#"format("%.2f|%f", 1.5, 2)"#, r#""1.50|2.000000""#),
        ];
        for (expr, expected) in cases {
            assert_eq!(ok(expr), expected, "{expr}");
        }
    }

    #[test]
    fn collection_functions() {
        let cases = [
            (r#"concat(["a"], [], ["b", "c"])"#, r#"["a","b","c"]"#),
            ("merge({a = 1, b = 2}, null, {b = 3})", r#"{"a":1,"b":3}"#),
            (r#"length("héllo")"#, "5"),
            (r#"length(["a", "b"])"#, "2"),
            ("length({a = 1})", "1"),
            (r#"contains(["a", "b"], "b")"#, "true"),
            (r#"contains(["a", "b"], "c")"#, "false"),
            (r#"toset(["b", "a", "b"])"#, r#"["a","b"]"#),
            ("toset([2, 1, 2])", "[2,1]"),
            (r#"tolist(["x"])"#, r#"["x"]"#),
            ("tomap({b = 1})", r#"{"b":1}"#),
            ("keys({b = 1, a = 2})", r#"["a","b"]"#),
            ("values({b = 1, a = 2})", "[2,1]"),
            (r#"coalesce(null, "", "x", "y")"#, r#""x""#),
        ];
        for (expr, expected) in cases {
            assert_eq!(ok(expr), expected, "{expr}");
        }
    }

    #[test]
    fn function_errors() {
        let cases = [
            (r#"split("", "abc")"#, "the separator must not be empty"),
            (r#"join(",", [["nested"]])"#, "element 0 is not a string"),
            (r#"format("%d", "x")"#, "%d cannot format a string"),
            (r#"format("%s %s", "x")"#, "not enough arguments for %s"),
            (r#"format("%s", "x", "y")"#, "too many arguments for the format"),
            (r#"format("%z", 1)"#, "unsupported format verb %z"),
            ("coalesce(null, \"\")", "no non-null, non-empty argument"),
            ("length(1)", "expected argument at position 0"),
        ];
        for (expr, expected) in cases {
            let error = eval(expr).expect_err(expr);
            assert!(error.contains(expected), "{expr}: {error}");
        }
    }

    #[test]
    fn env_reads_the_scoped_snapshot_only() {
        assert_eq!(ok(r#"env("JOBFORM_TEST_X")"#), "null");
        let _scope = EnvironmentScope::enter(&Environment::from_iter([("JOBFORM_TEST_X", "v")]));
        assert_eq!(ok(r#"env("JOBFORM_TEST_X")"#), r#""v""#);
        assert_eq!(ok(r#"env("JOBFORM_TEST_Y")"#), "null");
    }

    #[test]
    fn names_are_sorted_and_complete() {
        let mut sorted = FUNCTION_NAMES;
        sorted.sort_unstable();
        assert_eq!(sorted, FUNCTION_NAMES);
        let mut ctx = Context::new();
        declare_all(&mut ctx);
        for name in FUNCTION_NAMES {
            // Calling with no arguments fails on arity, not on an undefined function.
            let error = eval(&format!("{name}()")).err().unwrap_or_default();
            assert!(!error.contains("undefined function"), "{name}: {error}");
        }
    }
}
