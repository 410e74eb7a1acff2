//! Coalescing the actions of one wave into the fewest requests the APIs
//! allow: per provider, kind, verb and direction, chunked at the provider's
//! batch size where the API batches, one request per job where it does not.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::change::JobChange;
use crate::model::{ActionVerb, Address, Direction, JobKind, ProviderRef};
use crate::provider::describe;

/// One request apply will send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The provider block it goes through.
    pub provider: ProviderRef,
    /// The jobs' kind.
    pub kind: JobKind,
    /// What it asks.
    pub verb: ActionVerb,
    /// The direction (Alibaba two-way topologies).
    pub direction: Direction,
    /// The jobs it carries, by address.
    pub jobs: Vec<Address>,
}

impl Request {
    /// The cloud operation (`SuspendDtsJobs`, `batch-pause-task`, …): the
    /// batch form for several jobs (Huawei's operations are batch-only), the
    /// single-job form for one, which also takes Alibaba's instance id.
    pub fn operation(&self) -> &'static str {
        let operation = describe(self.kind).operation(self.verb);
        operation.expect("the planner blocks what the API cannot do").name(self.jobs.len())
    }
}

/// The requests of one wave, in a stable order.
pub(super) fn requests(
    wave: &[&JobChange],
    batch_size: impl Fn(&ProviderRef) -> usize,
) -> Vec<Request> {
    type Key = (ProviderRef, JobKind, ActionVerb, Direction);
    let mut groups: BTreeMap<Key, Vec<Address>> = BTreeMap::new();
    for change in wave {
        let verb = change.action.verb().expect("only acting changes are batched");
        groups
            .entry((change.provider.clone(), change.kind, verb, change.options.direction()))
            .or_default()
            .push(change.address.clone());
    }
    let mut requests = Vec::new();
    for ((provider, kind, verb, direction), mut jobs) in groups {
        jobs.sort();
        let chunk = if describe(kind).batches(verb, direction) { batch_size(&provider) } else { 1 };
        for jobs in jobs.chunks(chunk) {
            requests.push(Request {
                provider: provider.clone(),
                kind,
                verb,
                direction,
                jobs: jobs.to_vec(),
            });
        }
    }
    requests
}
