//! `job "KIND" "NAME" { … }` blocks: the schema of each kind, `for_each`
//! expansion into instances, `depends_on` and `provider` read structurally
//! (they name things, they are never evaluated), and the per-instance checks.

use hcl::Value;
use hcl::edit::Span as _;
use hcl::edit::expr::{Expression, TraversalOperator};
use hcl::edit::structure::{Attribute, Block};

use crate::model::{
    ActionVerb, Address, Cloud, DesiredJob, DesiredState, Direction, JobKind, KindAttribute,
    KindDescription, KindOptions, PauseMode, ProviderRef, is_identifier,
};
use crate::provider::describe;

use super::diag::{Diagnostics, sentence};
use super::eval::{Evaluator, Prepared, Scope};
use super::fields::{Field, Fields};
use super::schema::{Schema, check_body, did_you_mean, header_span};
use super::source::{FileId, SourceMap, Span};

/// The arguments every job kind accepts; a kind adds its own
/// ([`KindDescription::attributes`]).
const COMMON_ATTRIBUTES: [&str; 9] = [
    "allow_stop",
    "depends_on",
    "description",
    "direction",
    "for_each",
    "id",
    "provider",
    "state",
    "suspend_window",
];

/// The common arguments evaluated once per instance (a kind's own are too).
const INSTANCE_ATTRIBUTES: [&str; 6] =
    ["allow_stop", "description", "direction", "id", "state", "suspend_window"];

const STATES: [(&str, DesiredState); 3] = [
    ("running", DesiredState::Running),
    ("suspended", DesiredState::Suspended),
    ("stopped", DesiredState::Stopped),
];
const DIRECTIONS: [(&str, Direction); 2] =
    [("forward", Direction::Forward), ("reverse", Direction::Reverse)];
const PAUSE_MODES: [(&str, PauseMode); 2] =
    [("target", PauseMode::Target), ("all", PauseMode::All)];

/// The arguments `kind` accepts, sorted.
fn accepted(kind: JobKind) -> Vec<&'static str> {
    let own = describe(kind).attributes.iter().map(|attribute| attribute.label());
    let mut accepted: Vec<&str> = COMMON_ATTRIBUTES.into_iter().chain(own).collect();
    accepted.sort_unstable();
    accepted
}

/// The kinds `is` holds for, as prose: `alibaba_dts and alibaba_synchronization`.
fn kinds_where(is: impl Fn(&KindDescription) -> bool) -> String {
    let kinds: Vec<&str> =
        JobKind::ALL.into_iter().filter(|&kind| is(describe(kind))).map(JobKind::label).collect();
    kinds.join(" and ")
}

/// A `depends_on` entry.
pub(super) struct Dependency {
    /// The job (block or instance) depended on.
    pub(super) address: Address,
    /// The entry's span.
    pub(super) span: Span,
}

/// One decoded job block.
pub(super) struct DeclaredJob {
    /// `KIND.NAME`.
    pub(super) address: Address,
    /// The `job "KIND" "NAME"` header.
    pub(super) header: Span,
    /// The instances (one without `for_each`), valid ones only.
    pub(super) instances: Vec<DesiredJob>,
    /// Where each instance's `id` was set, by index into `instances`.
    pub(super) id_spans: Vec<Span>,
    /// The `depends_on` entries.
    pub(super) depends_on: Vec<Dependency>,
    /// The provider serving the block (`None`: its reference is invalid, reported).
    pub(super) provider: Option<ProviderRef>,
    /// The `provider` argument's span (`None`: the default provider, implicitly).
    pub(super) provider_span: Option<Span>,
    /// Whether every instance was built without error (so a missing instance
    /// key is a real mistake, not a consequence of another one).
    pub(super) complete: bool,
}

/// Decodes one `job` block; `None` when even its address is unusable.
pub(super) fn decode(
    evaluator: &Evaluator<'_>,
    file: FileId,
    block: &Block,
    diagnostics: &mut Diagnostics,
) -> Option<DeclaredJob> {
    let sources = evaluator.sources();
    let header = header_span(file, block);
    let [kind_label, name_label] = block.labels.as_slice() else {
        let detail = "A job block needs two labels, its kind and its name, as in job \"alibaba_dts\" \"orders_sync\" { … }.";
        diagnostics.push(sources.error(&header, "Invalid job block", detail));
        return None;
    };
    let Ok(kind) = kind_label.as_str().parse::<JobKind>() else {
        let span = Span::new(file, kind_label.span().unwrap_or_default());
        let kinds = JobKind::ALL.map(JobKind::label);
        let hint = did_you_mean(kind_label.as_str(), kinds);
        let detail = format!(
            "\"{}\" is not a job kind: expected one of {}.{hint}",
            kind_label.as_str(),
            kinds.map(|k| format!("\"{k}\"")).join(", ")
        );
        diagnostics.push(sources.error(&span, "Unknown job kind", detail));
        return None;
    };
    let name = name_label.as_str();
    if !is_identifier(name) {
        let span = Span::new(file, name_label.span().unwrap_or_default());
        let detail = format!(
            "A job name must start with a letter or underscore and hold only letters, digits, _ and -; \"{name}\" does not."
        );
        diagnostics.push(sources.error(&span, "Invalid job name", detail));
        return None;
    }
    let address = Address::new(kind, name);
    let allowed = accepted(kind);
    let explain = |name: &str| {
        let attribute = KindAttribute::ALL.into_iter().find(|a| a.label() == name)?;
        let only = kinds_where(|description| description.accepts(attribute));
        Some(format!(
            "An argument named \"{name}\" is not expected here: only {only} jobs have it."
        ))
    };
    check_body(
        sources,
        file,
        &block.body,
        &Schema { attributes: &allowed, blocks: &[] },
        &explain,
        diagnostics,
    );

    let wrong_each_value = super::data::check_each_value(sources, file, block, diagnostics);
    let depends_on = block
        .body
        .get_attribute("depends_on")
        .map(|a| dependencies(sources, file, a, diagnostics))
        .unwrap_or_default();
    let (provider, provider_span) = match block.body.get_attribute("provider") {
        None => (Some(ProviderRef { cloud: kind.cloud(), alias: None }), None),
        Some(attribute) => (
            provider_reference(sources, file, attribute, kind, diagnostics),
            Some(Span::new(file, attribute.value.span().unwrap_or_default())),
        ),
    };
    let instance_keys = match block.body.get_attribute("for_each") {
        None => Some(vec![None]),
        Some(attribute) if evaluator.reads_sensitive(&attribute.value) => {
            // As in Terraform: instance keys are shown in every plan and
            // stored in the state, so they cannot come from a secret.
            let span = Span::new(file, attribute.value.span().unwrap_or_default());
            let detail = "Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments: the keys become part of the jobs' addresses, which plans show and the state stores.";
            diagnostics.push(sources.error(&span, "Invalid for_each argument", detail));
            None
        }
        Some(attribute) => {
            let span = Span::new(file, attribute.value.span().unwrap_or_default());
            evaluator
                .evaluate_attribute(file, attribute, Scope::Module, diagnostics)
                .and_then(|value| for_each_instances(sources, &span, value, diagnostics))
                .map(|keys| keys.into_iter().map(Some).collect())
        }
    };
    let mut declared = DeclaredJob {
        address: address.clone(),
        header: header.clone(),
        instances: Vec::new(),
        id_spans: Vec::new(),
        depends_on,
        provider: provider.clone(),
        provider_span,
        complete: false,
    };
    let (Some(provider), Some(instance_keys)) = (provider, instance_keys) else {
        return Some(declared);
    };
    let scope = if block.body.get_attribute("for_each").is_some() {
        Scope::Instance
    } else {
        Scope::Module
    };
    let errors_before = diagnostics.error_count();
    let prepared: Vec<(Prepared<'_>, Span)> = block
        .body
        .attributes()
        .filter(|a| {
            let key = a.key.as_str();
            allowed.contains(&key)
                && (INSTANCE_ATTRIBUTES.contains(&key) || !COMMON_ATTRIBUTES.contains(&key))
                && !wrong_each_value.contains(&key)
        })
        .filter_map(|a| {
            let key = Span::new(file, a.key.span().unwrap_or_default());
            Some((evaluator.prepare(file, a, scope, diagnostics)?, key))
        })
        .collect();
    let template = Instance {
        kind,
        block,
        header: &header,
        provider: &provider,
        depends_on: &declared.depends_on,
    };
    let mut context = (scope == Scope::Instance).then(|| evaluator.context().clone());
    declared.instances.reserve(instance_keys.len());
    for key in instance_keys {
        let context = match (&mut context, &key) {
            (Some(context), Some((key, value))) => {
                let mut each = hcl::Map::new();
                each.insert("key".to_owned(), Value::String(key.clone()));
                each.insert("value".to_owned(), value.clone());
                context.declare_var("each", Value::Object(each));
                &*context
            }
            _ => evaluator.context(),
        };
        let mut fields = Fields::new(sources);
        for (attribute, key_span) in &prepared {
            if let Some(value) = evaluator.evaluate(attribute, context, diagnostics) {
                let field = Field {
                    value,
                    key: key_span.clone(),
                    span: attribute.span.clone(),
                    sensitive: attribute.sensitive,
                };
                fields.insert(&attribute.name, field);
            }
        }
        let address = match key {
            Some((key, _)) => address.with_key(key),
            None => address.clone(),
        };
        if let Some((job, id_span)) = template.build(address, &fields, sources, diagnostics) {
            declared.instances.push(job);
            declared.id_spans.push(id_span);
        }
    }
    declared.complete = diagnostics.error_count() == errors_before;
    Some(declared)
}

/// What every instance of a block shares.
struct Instance<'a> {
    kind: JobKind,
    block: &'a Block,
    header: &'a Span,
    provider: &'a ProviderRef,
    depends_on: &'a [Dependency],
}

impl Instance<'_> {
    /// Builds and checks one instance from its evaluated arguments.
    fn build(
        &self,
        address: Address,
        fields: &Fields<'_>,
        sources: &SourceMap,
        diagnostics: &mut Diagnostics,
    ) -> Option<(DesiredJob, Span)> {
        let errors_before = diagnostics.error_count();
        let kind = self.kind;
        let header = self.header;
        let require = |name: &str, diagnostics: &mut Diagnostics| {
            fields.require(name, self.block.body.has_attribute(name), header, diagnostics);
        };
        require("id", diagnostics);
        let id = fields.string("id", diagnostics);
        if let (Some(id), Some(field)) = (&id, fields.get("id")) {
            check_id(kind, id, field, sources, diagnostics);
        }
        require("state", diagnostics);
        let state = fields.choice("state", &STATES, diagnostics);
        let allow_stop = fields.bool("allow_stop", diagnostics).unwrap_or(false);
        if let (Some(DesiredState::Stopped), Some(field)) = (state, fields.get("state")) {
            if let Some(refusal) = describe(kind).cannot(ActionVerb::Stop) {
                let detail = sentence(&refusal);
                diagnostics.push(sources.error(&field.span, "Stop not supported", detail));
            } else if !allow_stop {
                let detail = "Stopping ends the job for good. To allow it, set allow_stop = true in this block.";
                diagnostics.push(sources.error(
                    &field.span,
                    "Stopping a job needs allow_stop",
                    detail,
                ));
            }
        }
        let direction = fields.choice("direction", &DIRECTIONS, diagnostics).unwrap_or_default();
        if let (Direction::Reverse, Some(field), false) =
            (direction, fields.get("direction"), describe(kind).two_way)
        {
            let detail = format!(
                "{kind} jobs have no reverse direction: only {} jobs manage the reverse task of a two-way synchronization.",
                kinds_where(|description| description.two_way)
            );
            diagnostics.push(sources.error(&field.span, "Invalid direction", detail));
        }
        let pause_mode = fields.choice("pause_mode", &PAUSE_MODES, diagnostics).unwrap_or_default();
        let instance_id = fields.string("instance_id", diagnostics);
        let description = fields.string("description", diagnostics);
        let suspend_window = fields.get("suspend_window").and_then(|field| {
            let written = self.block.body.get_attribute("suspend_window").map(|a| &a.value);
            let window = super::window::decode(field, written, sources, diagnostics)?;
            if state == Some(DesiredState::Stopped) {
                let detail = "A stopped job cannot be paused, so it has no suspend window: remove suspend_window, or declare the state the job keeps outside the window.";
                diagnostics.push(sources.error(&field.key, "Suspend window on a stopped job", detail));
            }
            Some(Box::new(window))
        });
        if diagnostics.error_count() > errors_before {
            return None;
        }
        let id_span = fields.get("id").map(|f| f.span.clone())?;
        let job = DesiredJob {
            address,
            id: id?,
            state: state?,
            options: KindOptions::new(kind.cloud(), direction, instance_id, pause_mode),
            allow_stop,
            depends_on: self.depends_on.iter().map(|d| d.address.clone()).collect(),
            description,
            provider: self.provider.clone(),
            declared_at: sources.location(self.header),
            suspend_window,
        };
        Some((job, id_span))
    }
}

fn check_id(
    kind: JobKind,
    id: &str,
    field: &Field,
    sources: &SourceMap,
    diagnostics: &mut Diagnostics,
) {
    let problem = if id.trim().is_empty() {
        Some("A job id must not be empty.".to_owned())
    } else {
        (describe(kind).check_id)(id).err().map(|why| format!("{} {why}", field.quote(id)))
    };
    if let Some(detail) = problem {
        diagnostics.push(sources.error(&field.span, "Invalid job id", detail));
    }
}

/// The instance keys and `each.value`s of a `for_each` value: a map/object
/// (key, value) or a set/list of strings (each string is both).
fn for_each_instances(
    sources: &SourceMap,
    span: &Span,
    value: Value,
    diagnostics: &mut Diagnostics,
) -> Option<Vec<(String, Value)>> {
    let unsuitable = |diagnostics: &mut Diagnostics, detail: String| {
        diagnostics.push(sources.error(span, "Invalid for_each argument", detail));
        None
    };
    match value {
        Value::Object(entries) => Some(entries.into_iter().collect()),
        Value::Array(items) => {
            let mut keys: Vec<(String, Value)> = Vec::with_capacity(items.len());
            let mut seen = std::collections::HashSet::with_capacity(items.len());
            for item in items {
                let Value::String(key) = item else {
                    return unsuitable(
                        diagnostics,
                        format!(
                            "for_each takes a map or a set of strings; this list holds a {}.",
                            super::functions::type_name(&item)
                        ),
                    );
                };
                if !seen.insert(key.clone()) {
                    return unsuitable(
                        diagnostics,
                        format!(
                            "The key \"{key}\" appears twice; wrap the list in toset(…) to drop duplicates."
                        ),
                    );
                }
                keys.push((key.clone(), Value::String(key)));
            }
            Some(keys)
        }
        other => unsuitable(
            diagnostics,
            format!(
                "for_each takes a map or a set of strings, not a {}.",
                super::functions::type_name(&other)
            ),
        ),
    }
}

/// Reads `depends_on = [KIND.NAME, KIND.NAME["key"], …]` without evaluating it.
fn dependencies(
    sources: &SourceMap,
    file: FileId,
    attribute: &Attribute,
    diagnostics: &mut Diagnostics,
) -> Vec<Dependency> {
    let Expression::Array(items) = &attribute.value else {
        let span = Span::new(file, attribute.value.span().unwrap_or_default());
        let detail = "depends_on takes a list of job addresses, as in depends_on = [alibaba_dts.orders_sync].";
        diagnostics.push(sources.error(&span, "Invalid depends_on", detail));
        return Vec::new();
    };
    let mut found = Vec::new();
    for item in items {
        let span = Span::new(file, item.span().unwrap_or_default());
        match job_address(item) {
            Ok(address) => found.push(Dependency { address, span }),
            Err(detail) => {
                diagnostics.push(sources.error(&span, "Invalid depends_on reference", detail));
            }
        }
    }
    found
}

fn job_address(expr: &Expression) -> Result<Address, String> {
    let shape = "A depends_on entry must be a job address such as alibaba_dts.orders_sync or huawei_drs.eu_replica[\"key\"].";
    let Expression::Traversal(traversal) = expr else { return Err(shape.to_owned()) };
    let Expression::Variable(root) = &traversal.expr else { return Err(shape.to_owned()) };
    let Ok(kind) = root.as_str().parse::<JobKind>() else {
        let hint = did_you_mean(root.as_str(), JobKind::ALL.map(JobKind::label));
        return Err(format!("\"{}\" is not a job kind.{hint}", root.as_str()));
    };
    let operators: Vec<&TraversalOperator> = traversal.operators.iter().map(|o| &**o).collect();
    match operators.as_slice() {
        [TraversalOperator::GetAttr(name)] => Ok(Address::new(kind, name.as_str())),
        [TraversalOperator::GetAttr(name), TraversalOperator::Index(Expression::String(key))] => {
            Ok(Address::instance(kind, name.as_str(), key.as_str()))
        }
        _ => Err(shape.to_owned()),
    }
}

/// Reads `provider = alibaba` or `provider = alibaba.eu` without evaluating it.
pub(super) fn provider_reference(
    sources: &SourceMap,
    file: FileId,
    attribute: &Attribute,
    kind: JobKind,
    diagnostics: &mut Diagnostics,
) -> Option<ProviderRef> {
    let span = Span::new(file, attribute.value.span().unwrap_or_default());
    let (cloud, alias) = provider_path(&attribute.value).unwrap_or_default();
    let Ok(cloud) = cloud.parse::<Cloud>() else {
        let detail = format!(
            "The provider is a reference such as {0} or {0}.ALIAS, not a string or an expression.",
            kind.cloud()
        );
        diagnostics.push(sources.error(&span, "Invalid provider reference", detail));
        return None;
    };
    if cloud != kind.cloud() {
        let detail = format!(
            "{kind} jobs are served by provider \"{}\" blocks, not \"{cloud}\" ones.",
            kind.cloud()
        );
        diagnostics.push(sources.error(&span, "Provider of the wrong cloud", detail));
        return None;
    }
    Some(ProviderRef { cloud, alias: alias.map(str::to_owned) })
}

/// `CLOUD` or `CLOUD.ALIAS` as written; `None` for any other expression.
fn provider_path(expr: &Expression) -> Option<(&str, Option<&str>)> {
    match expr {
        Expression::Variable(cloud) => Some((cloud.as_str(), None)),
        Expression::Traversal(traversal) => {
            let Expression::Variable(cloud) = &traversal.expr else { return None };
            match traversal.operators.as_slice() {
                [alias] => match &**alias {
                    TraversalOperator::GetAttr(alias) => {
                        Some((cloud.as_str(), Some(alias.as_str())))
                    }
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}
