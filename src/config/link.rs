//! Checks across blocks, once every block is decoded: duplicate providers,
//! data sources and job addresses, provider references, `depends_on` targets and cycles, and
//! two blocks managing the same cloud job.

use std::collections::{BTreeMap, HashMap};

use crate::model::{Address, DesiredJob, ProviderConfig, ProviderRef};

use super::data::{DataSource, DeclaredData};
use super::diag::Diagnostics;
use super::graph;
use super::jobs::DeclaredJob;
use super::providers::DeclaredProvider;
use super::schema::did_you_mean;
use super::source::{SourceMap, Span};

/// The providers, the job instances and the data sources (both in address
/// order) of a configuration.
pub(super) fn link(
    sources: &SourceMap,
    declared_providers: Vec<DeclaredProvider>,
    declared_data: Vec<DeclaredData>,
    declared_jobs: Vec<DeclaredJob>,
    diagnostics: &mut Diagnostics,
) -> (Vec<ProviderConfig>, Vec<DesiredJob>, Vec<DataSource>) {
    let providers = first_of_each(
        sources,
        declared_providers,
        |provider| provider.config.reference(),
        |provider| &provider.header,
        |reference, first| Duplicate {
            summary: "Duplicate provider configuration",
            detail: format!(
                "A provider \"{reference}\" was already declared at {first}. Give one of them a different alias."
            ),
        },
        diagnostics,
    );

    let data = first_of_each(
        sources,
        declared_data,
        |block| (block.listing, block.name.clone()),
        |block| &block.header,
        |(listing, name), first| Duplicate {
            summary: "Duplicate data source",
            detail: format!(
                "A data source \"{listing}\" \"{name}\" was already declared at {first}. Each data block needs a unique kind and name."
            ),
        },
        diagnostics,
    );
    for block in data.values() {
        if let Some(reference) = &block.provider {
            let users = format!("{} data sources", block.listing);
            let at = Use {
                reference,
                span: block.provider_span.as_ref(),
                header: &block.header,
                users: &users,
            };
            check_provider(sources, &at, &providers, diagnostics);
        }
    }

    let blocks = first_of_each(
        sources,
        declared_jobs,
        |job| job.address.clone(),
        |job| &job.header,
        |address, first| Duplicate {
            summary: "Duplicate job block",
            detail: format!(
                "A job block \"{address}\" was already declared at {first}. Each job block needs a unique kind and name."
            ),
        },
        diagnostics,
    );

    for job in blocks.values() {
        if let Some(reference) = &job.provider {
            let users = format!("{} jobs", job.address.kind);
            let at = Use {
                reference,
                span: job.provider_span.as_ref(),
                header: &job.header,
                users: &users,
            };
            check_provider(sources, &at, &providers, diagnostics);
        }
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
    let data = data.into_values().filter_map(|block| block.source).collect();
    (providers, jobs, data)
}

/// What a block declared twice is told.
struct Duplicate {
    summary: &'static str,
    detail: String,
}

/// The first block of each key, in key order; a later one with the same key
/// is reported at its header, `duplicate` given the key and where the first
/// one is.
fn first_of_each<K: Ord, T>(
    sources: &SourceMap,
    blocks: Vec<T>,
    key: impl Fn(&T) -> K,
    header: impl Fn(&T) -> &Span,
    duplicate: impl Fn(&K, String) -> Duplicate,
    diagnostics: &mut Diagnostics,
) -> BTreeMap<K, T> {
    let mut first_of: BTreeMap<K, T> = BTreeMap::new();
    for block in blocks {
        let key = key(&block);
        if let Some(first) = first_of.get(&key) {
            let Duplicate { summary, detail } =
                duplicate(&key, sources.range(header(first)).to_string());
            diagnostics.push(sources.error(header(&block), summary, detail));
            continue;
        }
        first_of.insert(key, block);
    }
    first_of
}

/// A block's use of a provider.
struct Use<'a> {
    reference: &'a ProviderRef,
    /// The `provider` argument (`None`: the default provider, implicitly).
    span: Option<&'a Span>,
    /// The block's header.
    header: &'a Span,
    /// Who uses it, for the message: `alibaba_dts jobs`.
    users: &'a str,
}

fn check_provider(
    sources: &SourceMap,
    at: &Use<'_>,
    providers: &BTreeMap<ProviderRef, DeclaredProvider>,
    diagnostics: &mut Diagnostics,
) {
    let reference = at.reference;
    if providers.contains_key(reference) {
        return;
    }
    let declared = providers.keys().filter(|p| p.cloud == reference.cloud).map(ToString::to_string);
    let declared: Vec<String> = declared.collect();
    let hint = did_you_mean(&reference.to_string(), declared.iter().map(String::as_str));
    let diagnostic = match at.span {
        Some(span) => sources.error(
            span,
            "Reference to undeclared provider",
            format!("No provider \"{reference}\" is declared: add a provider \"{}\" block with alias = \"{}\".{hint}", reference.cloud, reference.alias.as_deref().unwrap_or_default()),
        ),
        None => sources.error(
            at.header,
            "Missing provider configuration",
            format!("No provider \"{0}\" block without alias is declared. {1} use it unless they set provider = {0}.ALIAS.{hint}", reference.cloud, at.users),
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
