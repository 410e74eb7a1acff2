//! `locals` blocks: every local value of every file, evaluated in dependency
//! order (a local may read others), cycles and duplicates reported.

use std::collections::BTreeMap;

use hcl::edit::Span as _;
use hcl::edit::structure::{Attribute, Block};

use super::diag::Diagnostics;
use super::eval::{Evaluator, Scope};
use super::graph;
use super::references::References;
use super::schema::header_span;
use super::source::{FileId, Span};

/// Evaluates every local value into `evaluator`.
pub(super) fn evaluate(
    evaluator: &mut Evaluator<'_>,
    blocks: &[(FileId, &Block)],
    diagnostics: &mut Diagnostics,
) {
    let sources = evaluator.sources();
    let mut definitions: BTreeMap<String, (FileId, &Attribute)> = BTreeMap::new();
    for &(file, block) in blocks {
        if !block.labels.is_empty() {
            let span = header_span(file, block);
            let detail = "A locals block has no labels: locals { name = value }.";
            diagnostics.push(sources.error(&span, "Invalid locals block", detail));
        }
        for nested in block.body.blocks() {
            let span = Span::new(file, nested.ident.span().unwrap_or_default());
            let detail = "A locals block only holds arguments, as in name = value.";
            diagnostics.push(sources.error(&span, "Unsupported block type", detail));
        }
        for attribute in block.body.attributes() {
            let name = attribute.key.as_str();
            let span = Span::new(file, attribute.key.span().unwrap_or_default());
            if let Some((first_file, first)) = definitions.get(name) {
                let first_span = Span::new(*first_file, first.key.span().unwrap_or_default());
                let detail = format!(
                    "A local value named \"{name}\" was already defined at {}. Local value names must be unique.",
                    sources.range(&first_span)
                );
                diagnostics.push(sources.error(&span, "Duplicate local value definition", detail));
                continue;
            }
            definitions.insert(name.to_owned(), (file, attribute));
        }
    }
    for name in definitions.keys() {
        evaluator.declare_local(name);
    }
    let edges = definitions
        .iter()
        .map(|(name, (_, attribute))| {
            let references = References::of(&attribute.value);
            let dependencies = references
                .free()
                .filter(|r| r.root == "local")
                .filter_map(|r| r.attribute.clone())
                .collect();
            (name.clone(), dependencies)
        })
        .collect();
    let (order, cycles) = graph::order(&edges);
    let mut in_cycle = std::collections::BTreeSet::new();
    for cycle in cycles {
        let (file, attribute) = definitions[&cycle[0]];
        let span = Span::new(file, attribute.key.span().unwrap_or_default());
        let path = cycle.iter().map(|n| format!("local.{n}")).collect::<Vec<_>>().join(" -> ");
        let detail = format!("These local values refer to each other: {path}.");
        diagnostics.push(sources.error(&span, "Cycle in local values", detail));
        in_cycle.extend(cycle);
    }
    for name in order {
        let (file, attribute) = definitions[&name];
        if evaluator.reads_sensitive(&attribute.value) {
            evaluator.mark_sensitive("local", &name);
        }
        let value = if in_cycle.contains(&name) {
            None
        } else {
            evaluator.evaluate_attribute(file, attribute, Scope::Module, diagnostics)
        };
        evaluator.set_local(&name, value);
    }
}
