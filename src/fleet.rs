//! The provider clients of one configuration, addressed by provider
//! reference (`alibaba`, `huawei.eu`): the one place that maps declared jobs
//! to the client that serves them, for both `plan` (bulk reads) and `apply`
//! (re-reads, actions, polling).

use std::collections::{BTreeMap, HashMap};

use futures_util::future::join_all;

use crate::model::{Address, Cloud, DesiredJob, JobKind, LiveJob, ProviderConfig, ProviderRef};
use crate::plan::LiveLookup;
use crate::provider::{
    Action, ActionResult, CloudProvider, DtsJobType, EnvLookup, JobRef, Provider, ProviderError,
    ProviderErrorKind, RequestOutcome,
};
use crate::state::JobRecord;

/// One job to read: its address, the provider serving it, and how to find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadItem {
    /// The job's address.
    pub address: Address,
    /// The provider block that serves it.
    pub provider: ProviderRef,
    /// What the provider needs to find it.
    pub job: JobRef,
}

impl From<&DesiredJob> for ReadItem {
    fn from(job: &DesiredJob) -> Self {
        ReadItem {
            address: job.address.clone(),
            provider: job.provider.clone(),
            job: JobRef::from(job),
        }
    }
}

/// The environment variable that points every provider block of `cloud`
/// without an `endpoint` at another URL (an emulator, a proxy, a private
/// endpoint): `JOBFORM_ALIBABA_ENDPOINT`, `JOBFORM_HUAWEI_ENDPOINT`.
pub fn endpoint_variable(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Alibaba => "JOBFORM_ALIBABA_ENDPOINT",
        Cloud::Huawei => "JOBFORM_HUAWEI_ENDPOINT",
    }
}

/// The block with its endpoint defaulted from [`endpoint_variable`].
fn with_endpoint_override(config: &ProviderConfig, env: EnvLookup<'_>) -> ProviderConfig {
    let mut config = config.clone();
    let cloud = config.reference().cloud;
    let endpoint = match &mut config {
        ProviderConfig::Alibaba(block) => &mut block.endpoint,
        ProviderConfig::Huawei(block) => &mut block.endpoint,
    };
    if endpoint.is_none() {
        *endpoint = env(endpoint_variable(cloud)).filter(|url| !url.is_empty());
    }
    config
}

/// The clients of the provider blocks the jobs use.
#[derive(Debug)]
pub struct Fleet {
    clients: BTreeMap<ProviderRef, CloudProvider>,
}

impl Fleet {
    /// Builds a client for every provider block some job uses (a block no job
    /// uses needs no credentials). Credentials left out of a block are looked
    /// up with `env`.
    ///
    /// # Errors
    ///
    /// The first provider that cannot be built (missing credentials, bad endpoint).
    pub fn build<'a>(
        providers: &[ProviderConfig],
        used: impl IntoIterator<Item = &'a ProviderRef>,
        env: EnvLookup<'_>,
    ) -> Result<Self, ProviderError> {
        let mut clients = BTreeMap::new();
        for reference in used {
            if clients.contains_key(reference) {
                continue;
            }
            // Configuration validation guarantees every used reference is declared.
            if let Some(config) = providers.iter().find(|p| &p.reference() == reference) {
                let config = with_endpoint_override(config, env);
                clients.insert(reference.clone(), CloudProvider::from_config(&config, env)?);
            }
        }
        Ok(Fleet { clients })
    }

    /// Seeds each Alibaba client with the DTS `JobType` of ids whose
    /// recorded status names it (see [`DtsJobType::of_status`]), so the next
    /// read asks each id under its own type and sends no probe of another.
    /// A hint only orders the probes: an id not found under it is asked under
    /// the other types.
    pub fn hint_job_types<'a>(&self, recorded: impl IntoIterator<Item = &'a JobRecord>) {
        let mut by_provider: BTreeMap<&ProviderRef, Vec<(&str, DtsJobType)>> = BTreeMap::new();
        for record in recorded.into_iter().filter(|record| record.kind == JobKind::AlibabaDts) {
            if let Some(job_type) = DtsJobType::of_status(&record.observed.raw_status) {
                by_provider.entry(&record.provider).or_default().push((&record.id, job_type));
            }
        }
        for (provider, hints) in by_provider {
            if let Some(CloudProvider::Alibaba(client)) = self.clients.get(provider) {
                client.hint_job_types(hints);
            }
        }
    }

    /// Reads every item in bulk: one read per provider, the providers
    /// concurrently. A failed read marks that provider's jobs `ReadFailed`.
    pub async fn read(&self, items: &[ReadItem]) -> BTreeMap<Address, LiveLookup> {
        let mut by_provider: BTreeMap<&ProviderRef, Vec<&ReadItem>> = BTreeMap::new();
        for item in items {
            by_provider.entry(&item.provider).or_default().push(item);
        }
        let reads = by_provider.into_iter().map(|(provider, items)| async move {
            let refs: Vec<JobRef> = items.iter().map(|item| item.job.clone()).collect();
            let result = match self.clients.get(provider) {
                Some(client) => client.read(&refs).await.map_err(|error| error.to_string()),
                None => Err(format!("no provider block `{provider}` is configured")),
            };
            (items, result)
        });
        let mut lookups = BTreeMap::new();
        for (items, result) in join_all(reads).await {
            // Indexed once per provider: a lookup per job must not scan the read.
            let index: HashMap<(JobKind, &str), &LiveJob> = match &result {
                Ok(read) => {
                    read.found.iter().map(|live| ((live.kind, live.id.as_str()), live)).collect()
                }
                Err(_) => HashMap::new(),
            };
            for item in items {
                let lookup = match &result {
                    Ok(_) => index
                        .get(&(item.job.kind, item.job.id.as_str()))
                        .map_or(LiveLookup::NotFound, |live| LiveLookup::Found((*live).clone())),
                    Err(error) => LiveLookup::ReadFailed(error.clone()),
                };
                lookups.insert(item.address.clone(), lookup);
            }
        }
        lookups
    }

    /// Sends `actions` through the provider `provider` (batched as the API
    /// allows), one result per action.
    pub async fn execute(&self, provider: &ProviderRef, actions: &[Action]) -> Vec<ActionResult> {
        let Some(client) = self.clients.get(provider) else {
            // Never drop an action silently: each one is reported refused.
            let error = ProviderError::local(
                provider.cloud,
                "execute",
                ProviderErrorKind::InvalidConfig {
                    detail: format!("no provider block `{provider}` is configured"),
                },
            );
            return actions
                .iter()
                .map(|action| ActionResult {
                    address: action.address.clone(),
                    outcome: RequestOutcome::Rejected { error: error.clone() },
                })
                .collect();
        };
        client.execute(actions).await
    }
}
