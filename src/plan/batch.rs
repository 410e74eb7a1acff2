//! Coalescing the actions of one wave into the fewest requests the APIs
//! allow: per provider, kind, verb and direction, chunked at the provider's
//! batch size where the API batches, one request per job where it does not.

use std::collections::BTreeMap;

use serde::Serialize;

use super::change::JobChange;
use crate::model::{ActionVerb, Address, Direction, JobKind, ProviderRef, batches, operation_name};

/// One request apply will send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// The provider block it goes through.
    pub provider: ProviderRef,
    /// The jobs' kind.
    pub kind: JobKind,
    /// What it asks.
    pub verb: ActionVerb,
    /// The direction (Alibaba two-way topologies).
    pub direction: Direction,
    /// The cloud operation (`SuspendDtsJobs`, `batch-pause-task`, …).
    pub operation: &'static str,
    /// The jobs it carries, by address.
    pub jobs: Vec<Address>,
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
            .entry((change.provider.clone(), change.kind, verb, change.direction))
            .or_default()
            .push(change.address.clone());
    }
    let mut requests = Vec::new();
    for ((provider, kind, verb, direction), mut jobs) in groups {
        jobs.sort();
        let chunk = if batches(kind, direction) { batch_size(&provider) } else { 1 };
        for jobs in jobs.chunks(chunk) {
            // Huawei's operations are batch-only; for Alibaba a one-job chunk
            // uses the single-job operation, which also takes the instance id.
            let batch = kind == JobKind::HuaweiDrs || jobs.len() > 1;
            let operation =
                operation_name(kind, verb, batch).expect("the planner blocks unsupported stops");
            requests.push(Request {
                provider: provider.clone(),
                kind,
                verb,
                direction,
                operation,
                jobs: jobs.to_vec(),
            });
        }
    }
    requests
}
