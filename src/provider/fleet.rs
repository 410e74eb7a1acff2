//! The provider clients of one configuration, addressed by provider
//! reference (`alibaba`, `huawei.eu`): the one place that maps declared jobs
//! to the client that serves them, for both `plan` (bulk reads) and `apply`
//! (re-reads, actions, polling).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use futures_util::future::join_all;

use super::{
    ActionResult, Call, CloudProvider, EnvLookup, JobRef, LiveRead, Provider, ProviderError,
    ProviderErrorKind, RequestOutcome,
};
use crate::model::{
    Address, Cloud, DesiredJob, DtsJobType, JobKind, ListedJob, ListingQuery, LiveJob, LiveLookup,
    ProviderConfig, ProviderRef, ReadFailure, SourceLocation,
};
use crate::state::JobRecord;

/// One job to read: its address, the provider serving it, and how to find
/// it, all borrowed from the declaration (or the planned change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadItem<'a> {
    /// The job's address.
    pub address: &'a Address,
    /// The provider block that serves it.
    pub provider: &'a ProviderRef,
    /// What the provider needs to find it.
    pub job: JobRef<'a>,
}

impl<'a> From<&'a DesiredJob> for ReadItem<'a> {
    fn from(job: &'a DesiredJob) -> Self {
        ReadItem { address: &job.address, provider: &job.provider, job: JobRef::from(job) }
    }
}

/// The items one provider reads, as parallel lists: the provider takes the
/// jobs as one slice, and the addresses name their lookups.
#[derive(Debug, Default)]
struct ProviderItems<'a> {
    addresses: Vec<&'a Address>,
    jobs: Vec<JobRef<'a>>,
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

/// A provider block none of whose jobs can be read: no client could be
/// built (missing credentials, a bad endpoint), or the cloud refused the
/// block itself ([`ProviderError::affects_provider`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFailure {
    /// The block (`alibaba`, `huawei.eu`).
    pub provider: ProviderRef,
    /// Where the block is declared.
    pub declared_at: SourceLocation,
    /// Why it failed.
    pub error: ProviderError,
}

impl fmt::Display for ProviderFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: provider {} cannot be used: {}; fix: {}",
            self.declared_at,
            self.provider,
            self.error.cause(),
            self.error.remedy()
        )
    }
}

/// Every provider block of a run that cannot be used, in declaration order
/// (never empty): all are reported at once, so one run names every fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFailures(pub Vec<ProviderFailure>);

impl fmt::Display for ProviderFailures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [only] => write!(f, "{only}"),
            all => {
                write!(f, "{} provider blocks cannot be used:", all.len())?;
                all.iter().try_for_each(|failure| write!(f, "\n  {failure}"))
            }
        }
    }
}

impl std::error::Error for ProviderFailures {}

/// The client of one provider block, and where the block is declared.
#[derive(Debug)]
struct Client<P> {
    provider: P,
    declared_at: SourceLocation,
}

/// The clients of the provider blocks the jobs use: the cloud clients, or
/// any other [`Provider`] (the apply engine's tests use an in-memory one).
#[derive(Debug)]
pub struct Fleet<P = CloudProvider> {
    clients: BTreeMap<ProviderRef, Client<P>>,
}

impl Fleet {
    /// Builds a client for every provider block some job uses (a block no job
    /// uses needs no credentials). Credentials left out of a block are looked
    /// up with `env`.
    ///
    /// # Errors
    ///
    /// Every provider block that cannot be built (missing credentials, bad endpoint).
    pub fn build<'a>(
        providers: &[ProviderConfig],
        used: impl IntoIterator<Item = &'a ProviderRef>,
        env: EnvLookup<'_>,
    ) -> Result<Self, ProviderFailures> {
        let used: BTreeSet<&ProviderRef> = used.into_iter().collect();
        let mut clients = BTreeMap::new();
        let mut failures = Vec::new();
        // In declaration order, so failures read in the order of the files.
        // Configuration validation guarantees every used reference is declared.
        for config in providers.iter().filter(|config| used.contains(&config.reference())) {
            let declared_at = match config {
                ProviderConfig::Alibaba(block) => block.declared_at.clone(),
                ProviderConfig::Huawei(block) => block.declared_at.clone(),
            };
            match CloudProvider::from_config(&with_endpoint_override(config, env), env) {
                Ok(provider) => {
                    clients.insert(config.reference(), Client { provider, declared_at });
                }
                Err(error) => failures.push(ProviderFailure {
                    provider: config.reference(),
                    declared_at,
                    error,
                }),
            }
        }
        if failures.is_empty() { Ok(Fleet { clients }) } else { Err(ProviderFailures(failures)) }
    }

    /// Seeds each Alibaba client with the DTS `JobType` of recorded ids (see
    /// [`DtsJobType::of_record`]), so the next read asks each id under its
    /// own type and sends no probe of another. A hint only orders the
    /// probes: an id not found under it is asked under the other types.
    pub fn hint_job_types<'a>(&self, recorded: impl IntoIterator<Item = &'a JobRecord>) {
        let mut by_provider: BTreeMap<&ProviderRef, Vec<(&str, DtsJobType)>> = BTreeMap::new();
        for record in recorded {
            if let Some(job_type) = DtsJobType::of_record(record) {
                by_provider.entry(&record.provider).or_default().push((&record.id, job_type));
            }
        }
        for (provider, hints) in by_provider {
            if let Some(Client { provider: CloudProvider::Alibaba(client), .. }) =
                self.clients.get(provider)
            {
                client.hint_job_types(hints);
            }
        }
    }
}

impl Fleet {
    /// Every job `query` asks for, from the client of its provider block
    /// (see [`CloudProvider::list`]).
    ///
    /// # Errors
    ///
    /// The listing's error; a provider the fleet was not built with is
    /// refused as unconfigured.
    pub async fn list(&self, query: &ListingQuery) -> Result<Vec<ListedJob>, ProviderError> {
        match self.clients.get(&query.provider) {
            Some(client) => client.provider.list(query).await,
            None => Err(unconfigured(&query.provider, "list")),
        }
    }

    /// The answers to every query, all in flight together (each listing
    /// pages within its provider's limits). Every query's provider must be
    /// one the fleet was built with.
    ///
    /// # Errors
    ///
    /// Every provider block a listing of failed, once each, with the first
    /// failing listing's error.
    pub async fn list_each(
        &self,
        queries: &[&ListingQuery],
    ) -> Result<Vec<Vec<ListedJob>>, ProviderFailures> {
        let answers = join_all(queries.iter().map(|query| self.list(query))).await;
        let mut listed = Vec::with_capacity(answers.len());
        let mut failures: Vec<ProviderFailure> = Vec::new();
        for (query, answer) in queries.iter().zip(answers) {
            match answer {
                Ok(jobs) => listed.push(jobs),
                Err(error) if !failures.iter().any(|f| f.provider == query.provider) => {
                    let declared_at = self
                        .clients
                        .get(&query.provider)
                        .map(|client| client.declared_at.clone())
                        .expect("the fleet was built for every query's provider");
                    failures.push(ProviderFailure {
                        provider: query.provider.clone(),
                        declared_at,
                        error,
                    });
                }
                Err(_) => {}
            }
        }
        failures.sort_by(|a, b| a.declared_at.cmp(&b.declared_at));
        if failures.is_empty() { Ok(listed) } else { Err(ProviderFailures(failures)) }
    }
}

impl<P: Provider> Fleet<P> {
    /// A fleet of ready-made clients, each serving the provider block
    /// declared at its location.
    #[cfg(test)]
    pub(crate) fn of(clients: impl IntoIterator<Item = (ProviderRef, SourceLocation, P)>) -> Self {
        let clients = clients
            .into_iter()
            .map(|(reference, declared_at, provider)| (reference, Client { provider, declared_at }))
            .collect();
        Fleet { clients }
    }

    /// Reads every item in bulk, as a plan needs it: a job the cloud did not
    /// report, or whose listing failed, is `NotFound` or `ReadFailed`.
    ///
    /// # Errors
    ///
    /// Every provider block whose read failed as a whole (credentials,
    /// signature, endpoint, network, region, throttled past the retries):
    /// none of its jobs can be planned, and a plan without them must not
    /// pass for a plan of the configuration.
    pub async fn read_checked<'a>(
        &self,
        items: impl IntoIterator<Item = ReadItem<'a>>,
    ) -> Result<BTreeMap<Address, LiveLookup>, ProviderFailures> {
        let mut reads = Vec::new();
        let mut failures = Vec::new();
        for (items, read) in self.read_each(by_provider(items)).await {
            match read {
                Ok(read) => reads.push((items, read)),
                Err(failure) => failures.push(failure),
            }
        }
        failures.sort_by(|a, b| a.declared_at.cmp(&b.declared_at));
        if !failures.is_empty() {
            return Err(ProviderFailures(failures));
        }
        Ok(packed(reads.into_iter().flat_map(|(items, read)| lookups_of(items, read))))
    }

    /// Reads every item in bulk, as an apply re-reads: a provider block whose
    /// read failed as a whole marks each of its jobs `ReadFailed`, which the
    /// apply engine reports job by job.
    pub async fn read<'a>(
        &self,
        items: impl IntoIterator<Item = ReadItem<'a>>,
    ) -> BTreeMap<Address, LiveLookup> {
        let reads = self.read_each(by_provider(items)).await;
        packed(reads.into_iter().flat_map(|(items, read)| {
            let read = read.unwrap_or_else(|failure| all_failed(&items.jobs, &failure.error));
            lookups_of(items, read)
        }))
    }

    /// One bulk read per provider, the providers concurrently.
    async fn read_each<'a>(
        &self,
        by_provider: BTreeMap<&'a ProviderRef, ProviderItems<'a>>,
    ) -> Vec<(ProviderItems<'a>, Result<LiveRead<'a>, ProviderFailure>)> {
        join_all(by_provider.into_iter().map(|(provider, items)| async move {
            let read = if let Some(client) = self.clients.get(provider) {
                client.provider.read(&items.jobs).await.map_err(|error| ProviderFailure {
                    provider: provider.clone(),
                    declared_at: client.declared_at.clone(),
                    error,
                })
            } else {
                // Configuration validation rules this out; its jobs are
                // reported unreadable rather than dropped.
                Ok(all_failed(&items.jobs, &unconfigured(provider, "read")))
            };
            (items, read)
        }))
        .await
    }

    /// Sends `call` through the provider `provider` as one request, one
    /// result per action.
    pub async fn execute(&self, provider: &ProviderRef, call: &Call) -> Vec<ActionResult> {
        let Some(client) = self.clients.get(provider) else {
            // Never drop an action silently: each one is reported refused.
            let error = unconfigured(provider, "execute");
            return call
                .actions
                .iter()
                .map(|action| ActionResult {
                    address: action.address.clone(),
                    outcome: RequestOutcome::Rejected { error: error.clone() },
                })
                .collect();
        };
        client.provider.execute(call).await
    }
}

/// The items of each provider, in the order given.
fn by_provider<'a>(
    items: impl IntoIterator<Item = ReadItem<'a>>,
) -> BTreeMap<&'a ProviderRef, ProviderItems<'a>> {
    let mut by_provider: BTreeMap<&ProviderRef, ProviderItems<'a>> = BTreeMap::new();
    for item in items {
        let provider = by_provider.entry(item.provider).or_default();
        provider.addresses.push(item.address);
        provider.jobs.push(item.job);
    }
    // Grown by doubling as the items came: the room left over (up to half
    // of each list, 2.4 MB at 100,000 jobs) is given back before the read.
    for provider in by_provider.values_mut() {
        provider.addresses.shrink_to_fit();
        provider.jobs.shrink_to_fit();
    }
    by_provider
}

/// The read of `jobs` when their provider block failed as a whole: each
/// job failed with the block's error.
fn all_failed<'a>(jobs: &[JobRef<'a>], error: &ProviderError) -> LiveRead<'a> {
    let failed = JobKind::ALL.into_iter().map(|kind| (kind, error.clone())).collect();
    LiveRead::new(jobs, Vec::new(), &failed)
}

/// The lookups of one provider's items in its read, found by binary search
/// in the sorted read. Each live job is moved into its lookup, not copied:
/// at 100,000 jobs a copy held two of every job at once.
fn lookups_of<'a>(
    items: ProviderItems<'a>,
    mut read: LiveRead<'a>,
) -> impl Iterator<Item = (Address, LiveLookup)> + 'a {
    let positions: Vec<Option<usize>> =
        items.jobs.iter().map(|job| read.position(job.kind, job.id)).collect();
    // How many items still want each live job: an id declared twice gets a
    // copy, the last one the job itself.
    let mut wanted = vec![0_u32; read.found.len()];
    for &i in positions.iter().flatten() {
        wanted[i] += 1;
    }
    let mut found: Vec<Option<LiveJob>> =
        std::mem::take(&mut read.found).into_iter().map(Some).collect();
    items.addresses.into_iter().zip(items.jobs).zip(positions).map(
        move |((address, job), position)| {
            let lookup = match position {
                Some(i) => {
                    wanted[i] -= 1;
                    let live = if wanted[i] == 0 { found[i].take() } else { found[i].clone() };
                    LiveLookup::Found(live.expect("a live job is taken by its last item"))
                }
                None => match read.failure(job.kind, job.id) {
                    Some(error) => LiveLookup::ReadFailed(ReadFailure::from(error)),
                    None => LiveLookup::NotFound,
                },
            };
            (address.clone(), lookup)
        },
    )
}

/// How many lookups [`packed`] bulk-builds at a time (1 MB of entries).
const PACKED_SLICE: usize = 8192;

/// The lookups as one map with full nodes, built a slice at a time. A map
/// collected from an iterator gathers every entry in a vector and sorts it
/// with a scratch buffer first (at 100,000 jobs, 12.8 + 8 MB on top of the
/// read, at its end); one inserted entry by entry keeps its nodes half full
/// (27 MB instead of 13). Each slice is bulk-built, then merged (`append`
/// rebuilds with full nodes, freeing the old ones as it goes) into maps of
/// doubling sizes, as a binary counter carries: every entry is moved
/// O(log(n / slice)) times.
fn packed(lookups: impl Iterator<Item = (Address, LiveLookup)>) -> BTreeMap<Address, LiveLookup> {
    let mut lookups = lookups.peekable();
    // Maps of strictly decreasing sizes.
    let mut maps: Vec<BTreeMap<Address, LiveLookup>> = Vec::new();
    while lookups.peek().is_some() {
        let mut map: BTreeMap<_, _> = lookups.by_ref().take(PACKED_SLICE).collect();
        while let Some(mut larger) = maps.pop() {
            if larger.len() > map.len() {
                maps.push(larger);
                break;
            }
            larger.append(&mut map);
            map = larger;
        }
        maps.push(map);
    }
    maps.into_iter()
        .rev()
        .reduce(|mut smaller, mut larger| {
            larger.append(&mut smaller);
            larger
        })
        .unwrap_or_default()
}

/// A provider reference no block declares (configuration validation rules it out).
fn unconfigured(provider: &ProviderRef, operation: &'static str) -> ProviderError {
    ProviderError::local(
        provider.cloud,
        operation,
        ProviderErrorKind::InvalidConfig {
            detail: format!("no provider block `{provider}` is configured"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlibabaOptions, Direction, KindOptions};

    /// Lookups of `n` jobs, in an order far from their addresses'.
    fn lookups(n: usize) -> Vec<(Address, LiveLookup)> {
        (0..n)
            .map(|i| {
                let key = format!("{:08}", i.wrapping_mul(7919) % n.max(1));
                (Address::instance(JobKind::HuaweiDrs, "job", key), LiveLookup::NotFound)
            })
            .collect()
    }

    #[test]
    fn packed_builds_the_map_collect_builds() {
        for n in [0, 1, PACKED_SLICE, PACKED_SLICE + 1, 3 * PACKED_SLICE + 5] {
            let expected: BTreeMap<_, _> = lookups(n).into_iter().collect();
            let packed = packed(lookups(n).into_iter());
            assert_eq!(packed.len(), n);
            assert!(packed == expected, "{n} lookups");
        }
    }

    #[tokio::test]
    async fn every_job_of_an_unconfigured_provider_is_read_failed() {
        let fleet: Fleet = Fleet::of([]);
        let provider = ProviderRef { cloud: Cloud::Alibaba, alias: Some("eu".to_owned()) };
        let options = KindOptions::Alibaba(AlibabaOptions {
            direction: Direction::Forward,
            instance_id: None,
        });
        let addresses: Vec<Address> =
            ["b", "a", "c"].map(|name| Address::new(JobKind::AlibabaDts, name)).into();
        let items = addresses.iter().zip(["j2", "j1", "j3"]).map(|(address, id)| ReadItem {
            address,
            provider: &provider,
            job: JobRef { kind: JobKind::AlibabaDts, id, options: &options },
        });

        let lookups = fleet.read(items).await;

        assert_eq!(lookups.len(), 3);
        for lookup in lookups.values() {
            let LiveLookup::ReadFailed(failure) = lookup else { panic!("{lookup:?}") };
            assert!(failure.message.contains("no provider block `alibaba.eu`"), "{failure}");
        }
    }
}
