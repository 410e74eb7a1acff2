//! `data "KIND" "NAME" { … }` blocks: a selection of the jobs a listing
//! reports (`name_regex`, `status`, `job_type`, `engine_type`), read by
//! `plan` before the job blocks are evaluated, and the value
//! `data.KIND.NAME` holds then: `ids` (a set of job ids) and `jobs` (a map
//! from id to `{ name, status, job_type, instance_id, two_way }`, `null`
//! where the cloud does not say).
//!
//! `validate` reads nothing: every data source is empty there, and a
//! reference is checked by its shape (see [`check_reference`]).

use std::collections::BTreeMap;

use hcl::Value;
use hcl::edit::Span as _;
use hcl::edit::expr::Expression;
use hcl::edit::structure::Block;
use regex::Regex;

use crate::model::{ListedJob, Listing, ListingQuery, ProviderRef, SourceLocation, is_identifier};

use super::diag::Diagnostics;
use super::eval::{Evaluator, Scope};
use super::fields::{Field, Fields};
use super::jobs::provider_reference;
use super::references::References;
use super::schema::{Schema, check_body, did_you_mean, header_span};
use super::source::{FileId, SourceMap, Span};
use super::types::TypeConstraint;

/// The attributes of each job in `data.KIND.NAME.jobs`.
pub(super) const JOB_ATTRIBUTES: [&str; 5] =
    ["instance_id", "job_type", "name", "status", "two_way"];

/// The jobs each data source matched, by address (`data.KIND.NAME`): what
/// `plan` read, or what a saved plan recorded.
pub type DataValues = BTreeMap<String, Vec<ListedJob>>;

/// What the data sources hold while the configuration is loaded.
#[derive(Debug, Clone, Copy)]
pub enum DataInput<'a> {
    /// Nothing was read (`validate`, and `plan` before its reads): every
    /// data source is empty.
    Unknown,
    /// The jobs each data source matched (a data source missing here is empty).
    Known(&'a DataValues),
}

/// One valid `data` block.
#[derive(Debug, Clone)]
pub struct DataSource {
    /// `data.KIND.NAME`.
    pub address: String,
    /// The listing request: data sources with equal queries share one read.
    pub query: ListingQuery,
    /// Only jobs whose name this matches.
    name_regex: Option<Regex>,
    /// Only jobs in one of these statuses (the cloud's words); every status
    /// when empty.
    statuses: Vec<String>,
    /// Where the block is.
    pub declared_at: SourceLocation,
}

impl DataSource {
    /// The jobs of `listed` (the answer to [`DataSource::query`]) it selects.
    pub fn select(&self, listed: &[ListedJob]) -> Vec<ListedJob> {
        listed
            .iter()
            .filter(|job| self.name_regex.as_ref().is_none_or(|regex| regex.is_match(&job.name)))
            .filter(|job| self.statuses.is_empty() || self.statuses.contains(&job.status))
            .cloned()
            .collect()
    }
}

/// One decoded `data` block, valid or not.
pub(super) struct DeclaredData {
    /// `KIND` (the listing) and `NAME`.
    pub(super) listing: Listing,
    pub(super) name: String,
    /// The `data "KIND" "NAME"` header.
    pub(super) header: Span,
    /// The provider block to list from (`None`: its reference is invalid, reported).
    pub(super) provider: Option<ProviderRef>,
    /// The `provider` argument's span (`None`: the default provider).
    pub(super) provider_span: Option<Span>,
    /// The data source, when the block has no error.
    pub(super) source: Option<DataSource>,
}

/// The `data "KIND" "NAME"` value: `ids` and `jobs` of the matched jobs.
pub(super) fn value(jobs: &[ListedJob]) -> Value {
    let by_id: BTreeMap<&str, &ListedJob> = jobs.iter().map(|job| (job.id.as_str(), job)).collect();
    let ids = by_id.keys().map(|id| Value::from(*id)).collect();
    let objects = by_id
        .iter()
        .map(|(id, job)| {
            let optional = |text: &Option<String>| text.clone().map_or(Value::Null, Value::String);
            let mut object = hcl::Map::new();
            object.insert("name".to_owned(), Value::from(job.name.clone()));
            object.insert("status".to_owned(), Value::from(job.status.clone()));
            object.insert("job_type".to_owned(), optional(&job.job_type));
            object.insert("instance_id".to_owned(), optional(&job.instance_id));
            object.insert("two_way".to_owned(), job.two_way.map_or(Value::Null, Value::Bool));
            ((*id).to_owned(), Value::Object(object))
        })
        .collect();
    let mut value = hcl::Map::new();
    value.insert("ids".to_owned(), Value::Array(ids));
    value.insert("jobs".to_owned(), Value::Object(objects));
    Value::Object(value)
}

/// The arguments a data source of `listing` accepts, sorted.
fn accepted(listing: Listing) -> Vec<&'static str> {
    let mut accepted = vec!["name_regex", "provider", "status"];
    if !listing.job_types().is_empty() {
        accepted.push("job_type");
    }
    if listing.filters_engine_type() {
        accepted.push("engine_type");
    }
    accepted.sort_unstable();
    accepted
}

/// Decodes one `data` block; `None` when even its address is unusable.
pub(super) fn decode(
    evaluator: &Evaluator<'_>,
    file: FileId,
    block: &Block,
    diagnostics: &mut Diagnostics,
) -> Option<DeclaredData> {
    let sources = evaluator.sources();
    let header = header_span(file, block);
    let [kind_label, name_label] = block.labels.as_slice() else {
        let detail = "A data block needs two labels, its kind and its name, as in data \"alibaba_dts_jobs\" \"orders\" { … }.";
        diagnostics.push(sources.error(&header, "Invalid data block", detail));
        return None;
    };
    let labels = Listing::ALL.map(Listing::label);
    let Some(listing) = Listing::ALL.into_iter().find(|l| l.label() == kind_label.as_str()) else {
        let span = Span::new(file, kind_label.span().unwrap_or_default());
        let hint = did_you_mean(kind_label.as_str(), labels);
        let detail = format!(
            "\"{}\" is not a data source kind: expected one of {}.{hint}",
            kind_label.as_str(),
            labels.map(|k| format!("\"{k}\"")).join(", ")
        );
        diagnostics.push(sources.error(&span, "Unknown data source kind", detail));
        return None;
    };
    let name = name_label.as_str();
    if !is_identifier(name) {
        let span = Span::new(file, name_label.span().unwrap_or_default());
        let detail = format!(
            "A data source name must start with a letter or underscore and hold only letters, digits, _ and -; \"{name}\" does not."
        );
        diagnostics.push(sources.error(&span, "Invalid data source name", detail));
        return None;
    }
    let allowed = accepted(listing);
    let explain = |attribute: &str| {
        let owners: Vec<&str> = Listing::ALL
            .into_iter()
            .filter(|&other| accepted(other).contains(&attribute))
            .map(Listing::label)
            .collect();
        (!owners.is_empty()).then(|| {
            format!(
                "An argument named \"{attribute}\" is not expected here: only {} data sources have it.",
                owners.join(" and ")
            )
        })
    };
    let schema = Schema { attributes: &allowed, blocks: &[] };
    check_body(sources, file, &block.body, &schema, &explain, diagnostics);

    let errors_before = diagnostics.error_count();
    let (provider, provider_span) = match block.body.get_attribute("provider") {
        None => (Some(ProviderRef { cloud: listing.kind().cloud(), alias: None }), None),
        Some(attribute) => (
            provider_reference(sources, file, attribute, listing.kind(), diagnostics),
            Some(Span::new(file, attribute.value.span().unwrap_or_default())),
        ),
    };
    let mut fields = Fields::new(sources);
    for attribute in block.body.attributes() {
        let key = attribute.key.as_str();
        if key == "provider" || !allowed.contains(&key) {
            continue;
        }
        if let Some(value) =
            evaluator.evaluate_attribute(file, attribute, Scope::Module, diagnostics)
        {
            let field = Field {
                value,
                key: Span::new(file, attribute.key.span().unwrap_or_default()),
                span: Span::new(file, attribute.value.span().unwrap_or_default()),
                sensitive: evaluator.is_sensitive(attribute),
            };
            fields.insert(key, field);
        }
    }
    let job_types: Vec<(&str, &str)> = listing.job_types().iter().map(|t| (*t, *t)).collect();
    let job_type = fields.choice("job_type", &job_types, diagnostics).map(str::to_owned);
    let engine_type = fields.string("engine_type", diagnostics);
    let name_regex = fields.string("name_regex", diagnostics).and_then(|pattern| {
        let field = fields.get("name_regex")?;
        match Regex::new(&pattern) {
            Ok(regex) => Some(regex),
            Err(error) => {
                // The regex crate's message quotes the pattern.
                let detail = if field.sensitive {
                    "The name_regex is not a regular expression.".to_owned()
                } else {
                    format!("The name_regex is not a regular expression:\n{error}")
                };
                diagnostics.push(sources.error(&field.span, "Invalid regular expression", detail));
                None
            }
        }
    });
    let statuses = fields.get("status").and_then(|field| {
        let list = TypeConstraint::List(Box::new(TypeConstraint::String));
        if let Ok(Value::Array(items)) = list.convert(field.value.clone()) {
            return Some(
                items.into_iter().filter_map(|item| item.as_str().map(str::to_owned)).collect(),
            );
        }
        let detail = format!(
            "Inappropriate value for argument \"status\": list of strings required, got {}.",
            super::functions::type_name(&field.value)
        );
        diagnostics.push(sources.error(&field.span, "Incorrect argument value type", detail));
        None
    });
    let valid = diagnostics.error_count() == errors_before;
    let source = match (&provider, valid) {
        (Some(provider), true) => Some(DataSource {
            address: format!("data.{listing}.{name}"),
            query: ListingQuery {
                listing,
                provider: provider.clone(),
                job_type,
                status: None,
                engine_type,
            },
            name_regex,
            statuses: statuses.unwrap_or_default(),
            declared_at: sources.location(&header),
        }),
        _ => None,
    };
    Some(DeclaredData { listing, name: name.to_owned(), header, provider, provider_span, source })
}

/// In a job block whose `for_each` is `data.KIND.NAME.jobs`, `each.value` is
/// a job: an attribute it does not have is reported once, at the reference,
/// also where no instance is evaluated (`validate`, where every data source
/// is empty). Returns the arguments that hold such a reference, which are
/// then not evaluated (each instance would report it again).
pub(super) fn check_each_value<'b>(
    sources: &SourceMap,
    file: FileId,
    block: &'b Block,
    diagnostics: &mut Diagnostics,
) -> Vec<&'b str> {
    let Some(for_each) = block.body.get_attribute("for_each") else { return Vec::new() };
    let over_jobs = match (&for_each.value, References::of(&for_each.value).names.as_slice()) {
        (Expression::Traversal(_), [reference]) => {
            reference.root == "data"
                && matches!(reference.path.as_slice(), [Some(_), Some(_), Some(jobs)] if jobs == "jobs")
        }
        _ => false,
    };
    if !over_jobs {
        return Vec::new();
    }
    let mut wrong = Vec::new();
    for attribute in block.body.attributes() {
        let references = References::of(&attribute.value);
        for reference in references.free().filter(|r| r.root == "each") {
            let [Some(value), Some(name), ..] = reference.path.as_slice() else { continue };
            if value != "value" || JOB_ATTRIBUTES.contains(&name.as_str()) {
                continue;
            }
            let hint = did_you_mean(name, JOB_ATTRIBUTES);
            let detail = format!(
                "each.value is a job of the data source, with the attributes {}; not \"{name}\".{hint}",
                JOB_ATTRIBUTES.join(", ")
            );
            let span = Span::new(file, reference.span.clone());
            diagnostics.push(sources.error(&span, "Unsupported attribute", detail));
            wrong.push(attribute.key.as_str());
        }
    }
    wrong
}

/// Checks a reference rooted at `data` against the declared data sources
/// (`declared`: `(KIND, NAME)` → whether the block is valid). `Err` is the
/// summary and detail of what is wrong; `Ok(false)`: it reads a data source
/// whose block has errors (reported already).
pub(super) fn check_reference(
    path: &[Option<String>],
    declared: &BTreeMap<(Listing, String), bool>,
) -> Result<bool, (&'static str, String)> {
    let invalid = || {
        (
            "Invalid reference",
            "\"data\" must be followed by a data source's kind, name and attribute, like data.alibaba_dts_jobs.orders.ids.".to_owned(),
        )
    };
    let [Some(kind), Some(name), rest @ ..] = path else { return Err(invalid()) };
    let Some(listing) = Listing::ALL.into_iter().find(|l| l.label() == kind) else {
        let hint = did_you_mean(kind, Listing::ALL.map(Listing::label));
        return Err((
            "Reference to undeclared data source",
            format!("There is no data source kind \"{kind}\".{hint}"),
        ));
    };
    let Some(&valid) = declared.get(&(listing, name.clone())) else {
        let names = declared.keys().filter(|(l, _)| *l == listing).map(|(_, n)| n.as_str());
        let hint = did_you_mean(name, names);
        return Err((
            "Reference to undeclared data source",
            format!("A data source \"{listing}\" \"{name}\" has not been declared.{hint}"),
        ));
    };
    if !matches!(rest.first(), Some(Some(attribute)) if attribute == "ids" || attribute == "jobs") {
        return Err((
            "Unsupported attribute",
            format!(
                "data.{listing}.{name} has two attributes: \"ids\" (a set of job ids) and \"jobs\" (a map from job id to job)."
            ),
        ));
    }
    if let [Some(jobs), _, Some(attribute), ..] = rest {
        if jobs == "jobs" && !JOB_ATTRIBUTES.contains(&attribute.as_str()) {
            let hint = did_you_mean(attribute, JOB_ATTRIBUTES);
            return Err((
                "Unsupported attribute",
                format!(
                    "A job of data.{listing}.{name}.jobs has the attributes {}; not \"{attribute}\".{hint}",
                    JOB_ATTRIBUTES.join(", ")
                ),
            ));
        }
    }
    Ok(valid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cloud, JobKind};

    fn listed(id: &str, name: &str, status: &str) -> ListedJob {
        ListedJob {
            kind: JobKind::AlibabaDts,
            id: id.to_owned(),
            name: name.to_owned(),
            status: status.to_owned(),
            reverse_status: None,
            job_type: Some("SYNC".to_owned()),
            instance_id: None,
            two_way: Some(false),
        }
    }

    #[test]
    fn selects_by_name_pattern_and_any_of_the_statuses() {
        let provider = ProviderRef { cloud: Cloud::Alibaba, alias: None };
        let source = DataSource {
            address: "data.alibaba_dts_jobs.orders".to_owned(),
            query: ListingQuery::all(Listing::AlibabaDtsJobs, provider),
            name_regex: Some(Regex::new("^orders-").unwrap()),
            statuses: vec!["Synchronizing".to_owned(), "Suspending".to_owned()],
            declared_at: SourceLocation { file: "main.hcl".into(), line: 1, column: 1 },
        };
        let jobs = [
            listed("a", "orders-eu", "Synchronizing"),
            listed("b", "orders-us", "Suspending"),
            listed("c", "orders-ap", "Failed"),
            listed("d", "billing-orders-eu", "Synchronizing"),
        ];
        let ids: Vec<String> = source.select(&jobs).into_iter().map(|job| job.id).collect();
        assert_eq!(ids, ["a", "b"]);
    }

    #[test]
    fn the_value_holds_ids_and_jobs_with_null_where_the_cloud_says_nothing() {
        let value = value(&[listed("b", "two", "Suspending"), listed("a", "one", "Synchronizing")]);
        assert_eq!(
            serde_json::to_string(&value).unwrap(),
            r#"{"ids":["a","b"],"jobs":{"a":{"name":"one","status":"Synchronizing","job_type":"SYNC","instance_id":null,"two_way":false},"b":{"name":"two","status":"Suspending","job_type":"SYNC","instance_id":null,"two_way":false}}}"#
        );
    }

    #[test]
    fn references_are_checked_by_shape() {
        let declared = BTreeMap::from([
            ((Listing::AlibabaDtsJobs, "orders".to_owned()), true),
            ((Listing::HuaweiDrsJobs, "broken".to_owned()), false),
        ]);
        let check = |path: &[&str]| {
            let path: Vec<Option<String>> =
                path.iter().map(|s| (*s != "[]").then(|| (*s).to_owned())).collect();
            check_reference(&path, &declared).map_err(|(summary, _)| summary)
        };
        assert_eq!(check(&["alibaba_dts_jobs", "orders", "ids"]), Ok(true));
        assert_eq!(check(&["alibaba_dts_jobs", "orders", "jobs", "[]", "status"]), Ok(true));
        assert_eq!(check(&["huawei_drs_jobs", "broken", "ids"]), Ok(false));
        assert_eq!(
            check(&["alibaba_dts_jobs", "orders", "jobs", "[]", "state"]),
            Err("Unsupported attribute")
        );
        assert_eq!(check(&["alibaba_dts_jobs", "orders"]), Err("Unsupported attribute"));
        assert_eq!(
            check(&["alibaba_dts_jobs", "other", "ids"]),
            Err("Reference to undeclared data source")
        );
        assert_eq!(
            check(&["alibaba_dts", "orders", "ids"]),
            Err("Reference to undeclared data source")
        );
        assert_eq!(check(&["alibaba_dts_jobs"]), Err("Invalid reference"));
    }
}
