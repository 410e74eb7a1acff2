//! What an expression refers to, read from the hcl-edit tree with spans:
//! `var.X`, `local.X`, `each.*`, other root names, and function calls. Used to
//! report bad references precisely (hcl-rs evaluation errors carry no
//! location), to order `locals`, and to skip expressions that depend on a
//! value that already failed (one mistake, one diagnostic).

use std::collections::HashSet;
use std::ops::Range;

use hcl::edit::Span as _;
use hcl::edit::expr::{Expression, ForIntro, FuncCall, TraversalOperator};
use hcl::edit::template::ForTemplateExpr;
use hcl::edit::visit::{self, Visit};

/// One name an expression reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Reference {
    /// The root variable: `var`, `local`, `each`, or anything else.
    pub(super) root: String,
    /// The attribute after the root (`region` in `var.region`), if any.
    pub(super) attribute: Option<String>,
    /// Every step of the traversal after the root: an attribute name, or
    /// `None` for an index or a splat (`data.K.N.jobs[k].name`: `K`, `N`,
    /// `jobs`, `None`, `name`).
    pub(super) path: Vec<Option<String>>,
    /// The whole traversal (`var.region`), or the bare name.
    pub(super) span: Range<usize>,
}

/// One function call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Call {
    /// The function's name.
    pub(super) name: String,
    /// The name's span.
    pub(super) span: Range<usize>,
}

/// Everything one expression reads.
#[derive(Debug, Default)]
pub(super) struct References {
    /// Variable references, in source order.
    pub(super) names: Vec<Reference>,
    /// Function calls, in source order.
    pub(super) calls: Vec<Call>,
    /// Names bound by `for` expressions and directives inside the expression.
    pub(super) bound: HashSet<String>,
}

impl References {
    /// Collects the references of `expr`.
    pub(super) fn of(expr: &Expression) -> Self {
        let mut references = References::default();
        references.visit_expr(expr);
        references
    }

    /// The references that are not to `for`-bound names.
    pub(super) fn free(&self) -> impl Iterator<Item = &Reference> {
        self.names.iter().filter(|r| !self.bound.contains(&r.root))
    }
}

impl Visit for References {
    fn visit_expr(&mut self, expr: &Expression) {
        match expr {
            Expression::Variable(root) => self.names.push(Reference {
                root: root.as_str().to_owned(),
                attribute: None,
                path: Vec::new(),
                span: root.span().unwrap_or_default(),
            }),
            Expression::Traversal(traversal) => {
                let Expression::Variable(root) = &traversal.expr else {
                    return visit::visit_traversal(self, traversal);
                };
                let attribute = match traversal.operators.first().map(|op| &**op) {
                    Some(TraversalOperator::GetAttr(name)) => Some(name.as_str().to_owned()),
                    _ => None,
                };
                let path = traversal
                    .operators
                    .iter()
                    .map(|op| match &**op {
                        TraversalOperator::GetAttr(name) => Some(name.as_str().to_owned()),
                        _ => None,
                    })
                    .collect();
                self.names.push(Reference {
                    root: root.as_str().to_owned(),
                    attribute,
                    path,
                    span: traversal.span().unwrap_or_default(),
                });
                for operator in &traversal.operators {
                    self.visit_traversal_operator(operator);
                }
            }
            other => visit::visit_expr(self, other),
        }
    }

    fn visit_func_call(&mut self, call: &FuncCall) {
        self.calls.push(Call {
            name: call.name.name.as_str().to_owned(),
            span: call.name.name.span().unwrap_or_default(),
        });
        visit::visit_func_call(self, call);
    }

    fn visit_for_intro(&mut self, intro: &ForIntro) {
        self.bound.extend(intro.key_var.iter().map(|k| k.as_str().to_owned()));
        self.bound.insert(intro.value_var.as_str().to_owned());
        visit::visit_for_intro(self, intro);
    }

    fn visit_for_template_expr(&mut self, expr: &ForTemplateExpr) {
        self.bound.extend(expr.key_var.iter().map(|k| k.as_str().to_owned()));
        self.bound.insert(expr.value_var.as_str().to_owned());
        // hcl-edit 0.10's default walk skips the collection expression.
        self.visit_expr(&expr.collection_expr);
        visit::visit_for_template_expr(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(source: &str) -> Vec<String> {
        let expr: Expression = source.parse().unwrap();
        let references = References::of(&expr);
        references
            .free()
            .map(|r| match &r.attribute {
                Some(attribute) => format!("{}.{attribute}", r.root),
                None => r.root.clone(),
            })
            .collect()
    }

    #[test]
    fn finds_references_outside_for_bindings() {
        let cases: [(&str, &[&str]); 6] = [
            ("var.a", &["var.a"]),
            (r#""${local.b}-${each.key}""#, &["local.b", "each.key"]),
            ("var.m[local.k].x", &["var.m", "local.k"]),
            ("[for x in var.l : upper(x)]", &["var.l"]),
            (r#""%{for k, v in local.o}${k}${v}%{endfor}""#, &["local.o"]),
            ("alibaba_dts.orders", &["alibaba_dts.orders"]),
        ];
        for (source, expected) in cases {
            assert_eq!(keys(source), expected, "{source}");
        }
    }

    #[test]
    fn records_calls_with_name_spans() {
        let expr: Expression = "lower(uper(var.x))".parse().unwrap();
        let references = References::of(&expr);
        let calls: Vec<_> =
            references.calls.iter().map(|c| (c.name.as_str(), c.span.clone())).collect();
        assert_eq!(calls, [("lower", 0..5), ("uper", 6..10)]);
        assert_eq!(references.names[0].span, 11..16);
    }
}
