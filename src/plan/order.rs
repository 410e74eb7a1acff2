//! Ordering: `B depends_on A` means B's action starts only after A's action
//! has reached its target state. Acting jobs are layered into waves by the
//! longest chain of acting dependencies before them; a job that depends on a
//! blocked job is blocked too.

use std::collections::BTreeMap;

use super::change::{Action, Code, JobChange, Notice};
use crate::model::Address;

/// Marks every job that (transitively) depends on a blocked job as blocked.
pub(super) fn block_dependents(changes: &mut [JobChange]) {
    if changes.iter().all(|c| c.depends_on.is_empty()) {
        return;
    }
    loop {
        let blocked: Vec<Address> = changes
            .iter()
            .filter(|c| c.action == Action::Blocked)
            .map(|c| c.address.clone())
            .collect();
        let mut changed = false;
        for change in
            changes.iter_mut().filter(|c| c.action.sends_request() && !c.depends_on.is_empty())
        {
            let Some(dependency) =
                blocked.iter().find(|b| change.depends_on.iter().any(|d| d.selects(b)))
            else {
                continue;
            };
            let message = format!("it depends on {dependency}, which is blocked");
            change.action = Action::Blocked;
            change.reason.clone_from(&message);
            change.blocker = Some(Box::new(Notice::new(Code::DependencyBlocked, message)));
            changed = true;
        }
        if !changed {
            return;
        }
    }
}

/// The wave of every acting job (0 = first). Configuration validation has
/// already refused cycles; one here means a caller skipped validation.
pub(super) fn waves(changes: &[JobChange]) -> Result<BTreeMap<Address, usize>, Vec<Address>> {
    let acting: BTreeMap<&Address, &JobChange> =
        changes.iter().filter(|c| c.action.sends_request()).map(|c| (&c.address, c)).collect();
    let mut wave: BTreeMap<Address, usize> = BTreeMap::new();
    let mut remaining: Vec<&JobChange> = acting.values().copied().collect();
    while !remaining.is_empty() {
        let before = remaining.len();
        remaining.retain(|change| {
            if change.depends_on.is_empty() {
                wave.insert(change.address.clone(), 0);
                return false;
            }
            let deps: Vec<&Address> = acting
                .keys()
                .copied()
                .filter(|a| *a != &change.address && change.depends_on.iter().any(|d| d.selects(a)))
                .collect();
            if deps.iter().all(|d| wave.contains_key(*d)) {
                let index = deps.iter().map(|d| wave[*d] + 1).max().unwrap_or(0);
                wave.insert(change.address.clone(), index);
                false
            } else {
                true
            }
        });
        if remaining.len() == before {
            return Err(remaining.iter().map(|c| c.address.clone()).collect());
        }
    }
    Ok(wave)
}
