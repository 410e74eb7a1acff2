//! `provider "alibaba" { … }` and `provider "huawei" { … }` blocks, decoded
//! into [`ProviderConfig`]. Credentials may be left out: the provider looks
//! them up in the clouds' usual environment variables when it is built, so
//! `validate` needs none.

use hcl::edit::Span as _;
use hcl::edit::structure::Block;

use crate::model::{
    AlibabaProvider, Cloud, HuaweiProvider, ProviderConfig, ProviderTuning, is_identifier,
};

use super::diag::Diagnostics;
use super::eval::{Evaluator, Scope};
use super::fields::{Field, Fields};
use super::schema::{Schema, check_body, did_you_mean, header_span};
use super::source::{FileId, Span};

const TUNING: [&str; 7] = [
    "batch_size",
    "connect_timeout",
    "max_attempts",
    "max_in_flight",
    "max_requests_per_second",
    "max_retry_seconds",
    "request_timeout",
];

const ALIBABA_ATTRIBUTES: [&str; 13] = [
    "access_key_id",
    "access_key_secret",
    "alias",
    "batch_size",
    "connect_timeout",
    "endpoint",
    "max_attempts",
    "max_in_flight",
    "max_requests_per_second",
    "max_retry_seconds",
    "region",
    "request_timeout",
    "security_token",
];

const HUAWEI_ATTRIBUTES: [&str; 15] = [
    "access_key",
    "alias",
    "auth_token",
    "batch_size",
    "connect_timeout",
    "endpoint",
    "max_attempts",
    "max_in_flight",
    "max_requests_per_second",
    "max_retry_seconds",
    "project_id",
    "region",
    "request_timeout",
    "secret_key",
    "security_token",
];

/// One decoded provider block and where it was declared.
pub(super) struct DeclaredProvider {
    /// The provider.
    pub(super) config: ProviderConfig,
    /// The block's `provider "…"` header.
    pub(super) header: Span,
    /// Whether the block had no error (an invalid one still counts as
    /// declared, so that jobs using it are not reported as well).
    pub(super) valid: bool,
}

/// Decodes one `provider` block; `None` when not even its cloud is known (reported).
pub(super) fn decode(
    evaluator: &Evaluator<'_>,
    file: FileId,
    block: &Block,
    diagnostics: &mut Diagnostics,
) -> Option<DeclaredProvider> {
    let sources = evaluator.sources();
    let header = header_span(file, block);
    let cloud_names = Cloud::ALL.map(Cloud::label);
    let [label] = block.labels.as_slice() else {
        let detail = "A provider block needs exactly one label, the cloud: provider \"alibaba\" or provider \"huawei\".";
        diagnostics.push(sources.error(&header, "Invalid provider block", detail));
        return None;
    };
    let Ok(cloud) = label.as_str().parse::<Cloud>() else {
        let span = Span::new(file, label.span().unwrap_or_default());
        let hint = did_you_mean(label.as_str(), cloud_names);
        let detail = format!(
            "jobform has no provider \"{}\": the providers are \"alibaba\" and \"huawei\".{hint}",
            label.as_str()
        );
        diagnostics.push(sources.error(&span, "Unknown provider", detail));
        return None;
    };
    let attributes: &[&str] = match cloud {
        Cloud::Alibaba => &ALIBABA_ATTRIBUTES,
        Cloud::Huawei => &HUAWEI_ATTRIBUTES,
    };
    check_body(
        sources,
        file,
        &block.body,
        &Schema { attributes, blocks: &[] },
        &|_| None,
        diagnostics,
    );
    let mut fields = Fields::new(sources);
    for attribute in block.body.attributes().filter(|a| attributes.contains(&a.key.as_str())) {
        if let Some(value) =
            evaluator.evaluate_attribute(file, attribute, Scope::Module, diagnostics)
        {
            let key = Span::new(file, attribute.key.span().unwrap_or_default());
            let span = Span::new(file, attribute.value.span().unwrap_or_default());
            let sensitive = evaluator.is_sensitive(attribute);
            fields.insert(attribute.key.as_str(), Field { value, key, span, sensitive });
        }
    }
    let errors_before = diagnostics.error_count();
    let required = |name: &str, diagnostics: &mut Diagnostics| {
        fields.require(name, block.body.has_attribute(name), &header, diagnostics);
        fields.string(name, diagnostics)
    };
    let region = required("region", diagnostics);
    let alias = fields.string("alias", diagnostics);
    if let (Some(alias), Some(field)) = (&alias, fields.get("alias")) {
        if !is_identifier(alias) {
            let detail = format!(
                "An alias must be a name (letters, digits, _ and -), as in alias = \"eu\"; {} is not one.",
                field.quote(alias)
            );
            diagnostics.push(sources.error(&field.span, "Invalid provider alias", detail));
        }
    }
    let endpoint = fields.string("endpoint", diagnostics);
    if let (Some(endpoint), Some(field)) = (&endpoint, fields.get("endpoint")) {
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            let detail = "The endpoint must be a URL starting with http:// or https://, such as \"http://127.0.0.1:8470\".";
            diagnostics.push(sources.error(&field.span, "Invalid endpoint", detail));
        }
    }
    let [
        batch_size,
        connect_timeout,
        max_attempts,
        max_in_flight,
        max_requests_per_second,
        max_retry_seconds,
        request_timeout,
    ] = TUNING.map(|name| fields.positive(name, diagnostics));
    let tuning = ProviderTuning {
        batch_size,
        max_attempts,
        max_retry_seconds,
        connect_timeout_seconds: connect_timeout,
        request_timeout_seconds: request_timeout,
        max_in_flight,
        max_requests_per_second,
    };
    let declared_at = sources.location(&header);
    let config = match cloud {
        Cloud::Alibaba => {
            pair(&fields, "access_key_id", "access_key_secret", diagnostics);
            requires(&fields, "security_token", "access_key_id", diagnostics);
            ProviderConfig::Alibaba(AlibabaProvider {
                alias,
                region: region.unwrap_or_default(),
                access_key_id: fields.string("access_key_id", diagnostics),
                access_key_secret: fields.secret("access_key_secret", diagnostics),
                security_token: fields.secret("security_token", diagnostics),
                endpoint,
                tuning,
                declared_at,
            })
        }
        Cloud::Huawei => {
            let project_id = required("project_id", diagnostics);
            pair(&fields, "access_key", "secret_key", diagnostics);
            requires(&fields, "security_token", "access_key", diagnostics);
            if let (Some(token), true) = (fields.get("auth_token"), fields.has("access_key")) {
                let detail = "Use either auth_token (an IAM token) or access_key and secret_key (AK/SK signing), not both.";
                diagnostics.push(sources.error(&token.key, "Conflicting credentials", detail));
            }
            ProviderConfig::Huawei(HuaweiProvider {
                alias,
                region: region.unwrap_or_default(),
                project_id: project_id.unwrap_or_default(),
                auth_token: fields.secret("auth_token", diagnostics),
                access_key: fields.string("access_key", diagnostics),
                secret_key: fields.secret("secret_key", diagnostics),
                security_token: fields.secret("security_token", diagnostics),
                endpoint,
                tuning,
                declared_at,
            })
        }
    };
    let valid = diagnostics.error_count() == errors_before;
    Some(DeclaredProvider { config, header, valid })
}

/// Two arguments that only make sense together.
fn pair(fields: &Fields<'_>, first: &str, second: &str, diagnostics: &mut Diagnostics) {
    requires(fields, first, second, diagnostics);
    requires(fields, second, first, diagnostics);
}

/// `name`, when set, needs `needed` set too.
fn requires(fields: &Fields<'_>, name: &str, needed: &str, diagnostics: &mut Diagnostics) {
    if let (Some(field), false) = (fields.get(name), fields.has(needed)) {
        let detail = format!(
            "\"{name}\" is set but \"{needed}\" is not: set both, or neither to use the environment."
        );
        diagnostics.push(fields.sources().error(&field.key, "Incomplete credentials", detail));
    }
}
