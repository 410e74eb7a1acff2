//! Ordering: `B depends_on A` means B's action starts only after A's action
//! has reached its target state. Acting jobs are layered into waves by the
//! longest chain of acting dependencies before them; a job that depends on a
//! blocked job is blocked too.

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

/// The wave of each change (0 = first), `None` for a change that sends no
/// request, by position in `changes`: indices, not a map by address, which at
/// 100,000 jobs was a 10 MB B-tree of half-full nodes at the plan's peak.
/// Configuration validation has already refused cycles; one here means a
/// caller skipped validation.
pub(super) fn waves(changes: &[JobChange]) -> Result<Vec<Option<usize>>, Vec<Address>> {
    let acting: Vec<usize> =
        (0..changes.len()).filter(|&i| changes[i].action.sends_request()).collect();
    let mut wave: Vec<Option<usize>> = vec![None; changes.len()];
    let mut remaining = acting.clone();
    while !remaining.is_empty() {
        let before = remaining.len();
        remaining.retain(|&i| {
            let change = &changes[i];
            if change.depends_on.is_empty() {
                wave[i] = Some(0);
                return false;
            }
            let mut index = 0;
            for &dependency in &acting {
                let address = &changes[dependency].address;
                if *address == change.address
                    || !change.depends_on.iter().any(|d| d.selects(address))
                {
                    continue;
                }
                match wave[dependency] {
                    Some(earlier) => index = index.max(earlier + 1),
                    None => return true,
                }
            }
            wave[i] = Some(index);
            false
        });
        if remaining.len() == before {
            return Err(remaining.iter().map(|&i| changes[i].address.clone()).collect());
        }
    }
    Ok(wave)
}
