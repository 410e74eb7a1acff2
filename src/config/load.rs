//! The loader: reads a directory, evaluates it in order (variables, locals,
//! providers, jobs, cross-block checks) and returns the configuration or
//! every problem found.

use std::collections::BTreeMap;
use std::path::Path;

use hcl::edit::Span as _;
use hcl::edit::structure::Block;
use sha2::{Digest as _, Sha256};

use crate::model::{DesiredJob, ProviderConfig};

use super::data::{DataInput, DataSource};
use super::diag::{Diagnostic, Diagnostics};
use super::environment::{Environment, EnvironmentScope};
use super::eval::Evaluator;
use super::parse::{self, ParsedFile};
use super::schema::{TOP_LEVEL_BLOCKS, did_you_mean};
use super::source::{FileId, SourceMap, Span};
use super::variables::{self, ValueSource, VarInputs, VarOption};
use super::{data, jobs, link, locals, providers};

/// A loaded, valid configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Every provider block.
    pub providers: Vec<ProviderConfig>,
    /// Every job instance, in address order.
    pub jobs: Vec<DesiredJob>,
    /// Every data source, in address order.
    pub data_sources: Vec<DataSource>,
    /// SHA-256 (hex) of the configuration files, the variable values and the
    /// environment variables `env()` read: equal digests mean the same desired
    /// state, which a saved plan checks before it is applied.
    pub digest: String,
    /// Every variable's value, by name: what a saved plan records.
    pub variables: BTreeMap<String, VariableValue>,
    /// The files read, for pointing diagnostics at declarations later.
    pub sources: SourceMap,
}

/// One variable's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableValue {
    /// The value.
    pub value: serde_json::Value,
    /// `sensitive = true`: never shown, never written to a plan file.
    pub sensitive: bool,
}

/// The result of a successful load.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Problems that did not stop the load.
    pub warnings: Diagnostics,
}

/// Loads the configuration in `dir`: every `*.hcl` file but the `*.vars.hcl`
/// variable files, in name order. `environment` is the snapshot `env()` and
/// `JOBFORM_VAR_*` read.
///
/// # Errors
///
/// Every error found (and the warnings), in file and position order.
pub fn load_dir(
    dir: &Path,
    inputs: &VarInputs,
    environment: &Environment,
    data: DataInput<'_>,
) -> Result<Loaded, Diagnostics> {
    let scope = EnvironmentScope::enter(environment);
    let mut diagnostics = Diagnostics::new();
    let files = parse::list(dir).map_err(|error| {
        Diagnostics(vec![Diagnostic::error(
            "Failed to read the configuration directory",
            format!("The directory \"{}\" could not be listed: {error}.", dir.display()),
        )])
    })?;
    if files.configuration.is_empty() {
        return Err(Diagnostics(vec![Diagnostic::error(
            "No configuration files",
            format!(
                "jobform reads the *.hcl files of the working directory ({}), and there are none.",
                dir.display()
            ),
        )]));
    }

    let mut sources = SourceMap::new();
    let configuration: Vec<ParsedFile> = files
        .configuration
        .iter()
        .filter_map(|name| parse::read(&mut sources, &dir.join(name), name, &mut diagnostics))
        .collect();
    let mut value_sources: Vec<ValueSource> = files
        .variables
        .iter()
        .filter_map(|name| parse::read(&mut sources, &dir.join(name), name, &mut diagnostics))
        .map(ValueSource::File)
        .collect();
    for option in &inputs.options {
        match option {
            VarOption::Assign(text) => value_sources.push(ValueSource::Assign(text.clone())),
            VarOption::Planned { name, value } => match serde_json::from_value(value.clone()) {
                Ok(value) => value_sources.push(ValueSource::Planned(name.clone(), value)),
                Err(error) => diagnostics.push(Diagnostic::error(
                    "Invalid value in the plan file",
                    format!("The plan file's value for \"{name}\" cannot be read: {error}."),
                )),
            },
            VarOption::File(path) => {
                let name = path.display().to_string();
                if let Some(parsed) =
                    parse::read(&mut sources, &dir.join(path), &name, &mut diagnostics)
                {
                    value_sources.push(ValueSource::File(parsed));
                }
            }
        }
    }

    // A file that does not parse is missing from what follows: its blocks
    // would be reported as undeclared elsewhere, errors that are not there.
    if diagnostics.has_errors() {
        return Err(in_reading_order(diagnostics, &sources));
    }

    let variable_files: Vec<&ParsedFile> = value_sources
        .iter()
        .filter_map(|source| match source {
            ValueSource::File(parsed) => Some(parsed),
            ValueSource::Assign(_) | ValueSource::Planned(..) => None,
        })
        .collect();
    variables::mask_sensitive(&mut sources, &configuration, &variable_files);
    let sources = sources;
    let mut evaluator = Evaluator::new(&sources);
    let top = top_level_blocks(&sources, &configuration, &mut diagnostics);
    let declared = variables::declarations(&evaluator, &top.variables, &mut diagnostics);
    let origins = variables::resolve(
        &mut evaluator,
        &declared,
        environment,
        &value_sources,
        &mut diagnostics,
    );
    variables::validate(&mut evaluator, &declared, &origins, &mut diagnostics);
    locals::evaluate(&mut evaluator, &top.locals, &mut diagnostics);
    let declared_providers = top
        .providers
        .iter()
        .filter_map(|&(file, block)| providers::decode(&evaluator, file, block, &mut diagnostics))
        .collect();
    let declared_data: Vec<data::DeclaredData> = top
        .data
        .iter()
        .filter_map(|&(file, block)| data::decode(&evaluator, file, block, &mut diagnostics))
        .collect();
    evaluator.declare_data(&declared_data, data);
    let declared_jobs = top
        .jobs
        .iter()
        .filter_map(|&(file, block)| jobs::decode(&evaluator, file, block, &mut diagnostics))
        .collect();
    // The syntax trees are done with once every block is decoded: freed
    // before linking, their memory serves the jobs' (at 100,000 jobs, some
    // 20 MB of the configuration's peak).
    drop(top);
    drop(configuration);
    let (providers, jobs, data_sources) =
        link::link(&sources, declared_providers, declared_data, declared_jobs, &mut diagnostics);

    let digest = digest(&sources, &evaluator, scope.finish());
    let variables = evaluator
        .variables()
        .iter()
        .map(|(name, value)| {
            let value = serde_json::to_value(value).expect("HCL values are JSON");
            let sensitive = evaluator.is_sensitive_variable(name);
            (name.clone(), VariableValue { value, sensitive })
        })
        .collect();
    let diagnostics = in_reading_order(diagnostics, &sources);
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    let config = Config { providers, jobs, data_sources, digest, variables, sources };
    Ok(Loaded { config, warnings: diagnostics })
}

/// `diagnostics` sorted by the order the files were read in (see
/// [`Diagnostics::normalize`]).
fn in_reading_order(mut diagnostics: Diagnostics, sources: &SourceMap) -> Diagnostics {
    let file_order: Vec<String> = sources.files().map(|f| f.name().to_owned()).collect();
    diagnostics.normalize(&file_order);
    diagnostics
}

/// The top-level blocks of every file, by type.
#[derive(Default)]
struct TopLevel<'a> {
    variables: Vec<(FileId, &'a Block)>,
    locals: Vec<(FileId, &'a Block)>,
    providers: Vec<(FileId, &'a Block)>,
    data: Vec<(FileId, &'a Block)>,
    jobs: Vec<(FileId, &'a Block)>,
}

fn top_level_blocks<'a>(
    sources: &SourceMap,
    files: &'a [ParsedFile],
    diagnostics: &mut Diagnostics,
) -> TopLevel<'a> {
    let mut top = TopLevel::default();
    for parsed in files {
        for attribute in parsed.body.attributes() {
            let span = Span::new(parsed.file, attribute.key.span().unwrap_or_default());
            let name = attribute.key.as_str();
            let detail = format!(
                "An argument named \"{name}\" is not expected at the top level: configuration files hold variable, locals, provider, data and job blocks."
            );
            diagnostics.push(sources.error(&span, "Unsupported argument", detail));
        }
        for block in parsed.body.blocks() {
            let entry = (parsed.file, block);
            match block.ident.as_str() {
                "variable" => top.variables.push(entry),
                "locals" => top.locals.push(entry),
                "provider" => top.providers.push(entry),
                "data" => top.data.push(entry),
                "job" => top.jobs.push(entry),
                // Read on its own, before the rest (see `super::backend`).
                "backend" => {}
                other => {
                    let span = Span::new(parsed.file, block.ident.span().unwrap_or_default());
                    let hint = did_you_mean(other, TOP_LEVEL_BLOCKS);
                    let detail = format!("Blocks of type \"{other}\" are not expected here.{hint}");
                    diagnostics.push(sources.error(&span, "Unsupported block type", detail));
                }
            }
        }
    }
    top
}

fn digest(
    sources: &SourceMap,
    evaluator: &Evaluator<'_>,
    env_reads: std::collections::BTreeMap<String, Option<String>>,
) -> String {
    let mut hasher = Sha256::new();
    // Length-prefixed fields keep the encoding unambiguous.
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(b"jobform-config-v1");
    for file in sources.files() {
        field(file.name().as_bytes());
        field(file.text().as_bytes());
    }
    for (name, value) in evaluator.variables() {
        field(name.as_bytes());
        field(value.to_string().as_bytes());
    }
    for (name, value) in env_reads {
        field(name.as_bytes());
        field(value.as_deref().unwrap_or("\u{0}unset").as_bytes());
    }
    format!("{:x}", hasher.finalize())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::model::{DesiredState, Direction};

    fn examples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
    }

    fn load(options: &[VarOption], environment: &[(&str, &str)]) -> Config {
        let inputs = VarInputs { options: options.to_vec() };
        let environment = environment.iter().copied().collect();
        load_dir(&examples(), &inputs, &environment, DataInput::Unknown)
            .expect("the examples are valid")
            .config
    }

    #[test]
    fn examples_yield_the_fixture_jobs_and_providers() {
        let config = load(&[], &[]);
        let addresses: Vec<String> = config.jobs.iter().map(|j| j.address.to_string()).collect();
        assert_eq!(
            addresses,
            [
                "alibaba_dts.audit_trail",
                "alibaba_dts.billing_migration",
                "alibaba_dts.orders_sync",
                "alibaba_dts.orders_sync_reverse",
                "alibaba_migration.legacy_inventory",
                "alibaba_synchronization.legacy_reports",
                r#"huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"]"#,
                r#"huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"]"#,
                r#"huawei_drs.eu_replica["c0ffee00-1234-4abc-8def-0123456789ab"]"#,
            ]
        );
        let reverse = &config.jobs[3];
        assert_eq!(
            (reverse.id.as_str(), reverse.options.direction()),
            ("l3m1213ye7l0001", Direction::Reverse)
        );
        assert_eq!(reverse.depends_on[0].to_string(), "alibaba_dts.orders_sync");
        assert_eq!(reverse.declared_at.to_string(), "alibaba.hcl:12:1");
        assert!(config.jobs.iter().all(|j| j.state == DesiredState::Running));
        let endpoints: Vec<_> = config
            .providers
            .iter()
            .map(|p| match p {
                ProviderConfig::Alibaba(a) => (a.region.clone(), a.endpoint.clone()),
                ProviderConfig::Huawei(h) => (h.project_id.clone(), h.endpoint.clone()),
            })
            .collect();
        assert_eq!(
            endpoints,
            [
                ("cn-hangzhou".to_owned(), None),
                ("054ba152d480d55b2f5dc0069e7ddef0".to_owned(), None)
            ]
        );
    }

    #[test]
    fn maintenance_and_emulator_variables_take_effect() {
        let options = [
            VarOption::File("emulator.vars.hcl".into()),
            VarOption::Assign("maintenance=true".into()),
        ];
        let credentials = [
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIjobformexample"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "jobform-example-secret"),
        ];
        let config = load(&options, &credentials);
        let suspended = config.jobs.iter().filter(|j| j.state == DesiredState::Suspended).count();
        assert_eq!(suspended, 8, "every job but the change-tracking one");
        let ProviderConfig::Alibaba(alibaba) = &config.providers[0] else { panic!() };
        assert_eq!(alibaba.endpoint.as_deref(), Some("http://127.0.0.1:8470"));
        assert_eq!(alibaba.access_key_id.as_deref(), Some("LTAIjobformexample"));
        let secret = alibaba.access_key_secret.as_ref().map(crate::model::Secret::expose);
        assert_eq!(secret, Some("jobform-example-secret"));
    }

    #[test]
    fn digest_is_stable_and_follows_values_and_environment_reads() {
        let base = load(&[], &[]).digest;
        assert_eq!(base.len(), 64);
        assert_eq!(load(&[], &[]).digest, base);
        // An environment variable nothing reads does not matter; one env() reads does.
        assert_eq!(load(&[], &[("UNRELATED", "x")]).digest, base);
        assert_ne!(
            load(&[], &[("HUAWEICLOUD_SDK_AK", "a"), ("HUAWEICLOUD_SDK_SK", "b")]).digest,
            base
        );
        assert_ne!(load(&[VarOption::Assign("maintenance=true".into())], &[]).digest, base);
    }
}
