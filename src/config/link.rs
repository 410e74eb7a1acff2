//! Checks across blocks, once every block is decoded: duplicate providers and
//! job addresses, provider references, `depends_on` targets and cycles, and
//! two blocks managing the same cloud job.

use std::collections::{BTreeMap, HashMap};

use crate::model::{Address, DesiredJob, ProviderConfig, ProviderRef};

use super::diag::Diagnostics;
use super::graph;
use super::jobs::DeclaredJob;
use super::providers::DeclaredProvider;
use super::schema::did_you_mean;
use super::source::{SourceMap, Span};

/// The providers and the job instances (in address order) of a configuration.
pub(super) fn link(
    sources: &SourceMap,
    declared_providers: Vec<DeclaredProvider>,
    declared_jobs: Vec<DeclaredJob>,
    diagnostics: &mut Diagnostics,
) -> (Vec<ProviderConfig>, Vec<DesiredJob>) {
    let mut providers: BTreeMap<ProviderRef, DeclaredProvider> = BTreeMap::new();
    for provider in declared_providers {
        let reference = provider.config.reference();
        if let Some(first) = providers.get(&reference) {
            let detail = format!(
                "A provider \"{reference}\" was already declared at {}. Give one of them a different alias.",
                sources.range(&first.header)
            );
            diagnostics.push(sources.error(
                &provider.header,
                "Duplicate provider configuration",
                detail,
            ));
            continue;
        }
        providers.insert(reference, provider);
    }

    let mut blocks: BTreeMap<Address, DeclaredJob> = BTreeMap::new();
    for job in declared_jobs {
        if let Some(first) = blocks.get(&job.address) {
            let detail = format!(
                "A job block \"{}\" was already declared at {}. Each job block needs a unique kind and name.",
                job.address,
                sources.range(&first.header)
            );
            diagnostics.push(sources.error(&job.header, "Duplicate job block", detail));
            continue;
        }
        blocks.insert(job.address.clone(), job);
    }

    for job in blocks.values() {
        check_provider(sources, job, &providers, diagnostics);
        for dependency in &job.depends_on {
            check_dependency(sources, &dependency.address, &dependency.span, &blocks, diagnostics);
        }
    }
    report_cycles(sources, &blocks, diagnostics);
    report_shared_ids(sources, &blocks, diagnostics);

    let providers = providers.into_values().filter(|p| p.valid).map(|p| p.config).collect();
    // Sized once: grown block by block, the jobs' vector was copied as it
    // doubled while the blocks' own vectors were still held.
    let mut jobs: Vec<DesiredJob> =
        Vec::with_capacity(blocks.values().map(|b| b.instances.len()).sum());
    jobs.extend(blocks.into_values().flat_map(|b| b.instances));
    jobs.sort_by(|a, b| a.address.cmp(&b.address));
    (providers, jobs)
}

fn check_provider(
    sources: &SourceMap,
    job: &DeclaredJob,
    providers: &BTreeMap<ProviderRef, DeclaredProvider>,
    diagnostics: &mut Diagnostics,
) {
    let Some(reference) = &job.provider else { return };
    if providers.contains_key(reference) {
        return;
    }
    let declared = providers.keys().filter(|p| p.cloud == reference.cloud).map(ToString::to_string);
    let declared: Vec<String> = declared.collect();
    let hint = did_you_mean(&reference.to_string(), declared.iter().map(String::as_str));
    let diagnostic = match &job.provider_span {
        Some(span) => sources.error(
            span,
            "Reference to undeclared provider",
            format!("No provider \"{reference}\" is declared: add a provider \"{}\" block with alias = \"{}\".{hint}", reference.cloud, reference.alias.as_deref().unwrap_or_default()),
        ),
        None => sources.error(
            &job.header,
            "Missing provider configuration",
            format!("No provider \"{0}\" block without alias is declared. {1} jobs use it unless they set provider = {0}.ALIAS.{hint}", reference.cloud, job.address.kind),
        ),
    };
    diagnostics.push(diagnostic);
}

fn check_dependency(
    sources: &SourceMap,
    target: &Address,
    span: &Span,
    blocks: &BTreeMap<Address, DeclaredJob>,
    diagnostics: &mut Diagnostics,
) {
    let Some(block) = blocks.get(&target.block()) else {
        let names = blocks.keys().filter(|a| a.kind == target.kind).map(|a| &*a.name);
        let hint = did_you_mean(&target.name, names)
            .replace("Did you mean \"", &format!("Did you mean \"{}.", target.kind));
        let detail =
            format!("depends_on names the job {target}, but no job block declares it.{hint}");
        diagnostics.push(sources.error(span, "Reference to undeclared job", detail));
        return;
    };
    if target.key.is_some()
        && block.complete
        && !block.instances.iter().any(|i| i.address == *target)
    {
        let detail = format!(
            "The job block {} has no instance {target}: check its for_each keys.",
            block.address
        );
        diagnostics.push(sources.error(span, "Reference to undeclared job instance", detail));
    }
}

fn report_cycles(
    sources: &SourceMap,
    blocks: &BTreeMap<Address, DeclaredJob>,
    diagnostics: &mut Diagnostics,
) {
    let edges: BTreeMap<Address, Vec<Address>> = blocks
        .iter()
        .map(|(address, job)| {
            (address.clone(), job.depends_on.iter().map(|d| d.address.block()).collect())
        })
        .collect();
    let (_, cycles) = graph::order(&edges);
    for cycle in cycles {
        let path = cycle.iter().map(ToString::to_string).collect::<Vec<_>>().join(" -> ");
        let job = &blocks[&cycle[0]];
        let entry = job.depends_on.iter().find(|d| d.address.block() == cycle[1]);
        let span = entry.map_or(&job.header, |d| &d.span);
        let detail =
            format!("These jobs depend on each other, so no order can satisfy them: {path}.");
        diagnostics.push(sources.error(span, "Dependency cycle", detail));
    }
}

/// Two instances managing the same task of the same cloud job would fight.
fn report_shared_ids(
    sources: &SourceMap,
    blocks: &BTreeMap<Address, DeclaredJob>,
    diagnostics: &mut Diagnostics,
) {
    let mut seen = HashMap::new();
    for job in blocks.values() {
        for (instance, span) in job.instances.iter().zip(&job.id_spans) {
            let direction = instance.options.direction();
            let key = (instance.address.kind, instance.id.as_str(), direction);
            if let Some(first) = seen.get(&key) {
                let detail = format!(
                    "{first} already manages the {} direction of job \"{}\"; managing one job twice would undo each other's actions.",
                    direction, instance.id
                );
                diagnostics.push(sources.error(span, "Duplicate job id", detail));
            } else {
                seen.insert(key, &instance.address);
            }
        }
    }
}
