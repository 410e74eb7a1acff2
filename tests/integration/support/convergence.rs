//! What a crash or kill test checks against the emulator's journal: the
//! state claims nothing that did not happen and forgets nothing that did,
//! jobs of unknown outcome are re-sent only on the operator's word, and in
//! the end every job was paused exactly once.

use jobform::state::{ActionOutcome, State};
use jobform_emulator::Emulator;

/// Each of `runs` applies, one job each, appended its job's answer and
/// settled entries to `audit` (job ids, oldest first); runs serialized by
/// the lock never interleave them.
pub(crate) fn assert_runs_not_interleaved(audit: &[&str], runs: usize) {
    assert_eq!(audit.len(), 2 * runs, "{audit:?}");
    for pair in audit.chunks(2) {
        assert_eq!(pair[0], pair[1], "interleaved runs: {audit:?}");
    }
}

/// The job ids the emulator saw an action change.
pub(crate) fn acted_on(emulator: &Emulator) -> Vec<String> {
    emulator.journal().into_iter().filter(|e| e.took_effect).flat_map(|e| e.jobs).collect()
}

/// The state records every job the emulator saw acted on, and claims no
/// success, pending action or pause that did not happen.
pub(crate) fn assert_state_matches_journal(state: &State, emulator: &Emulator, when: &str) {
    let acted = acted_on(emulator);
    for id in &acted {
        let record = state.jobs.values().find(|r| &r.id == id);
        assert!(
            record.and_then(|r| r.last_action.as_ref()).is_some(),
            "{when}: {id} was paused but the state does not say so"
        );
    }
    for record in state.jobs.values() {
        let claimed = record.last_action.as_ref().is_some_and(|a| {
            matches!(a.outcome, ActionOutcome::Succeeded | ActionOutcome::Pending)
        }) || record.paused.is_some();
        assert!(
            !claimed || acted.contains(&record.id),
            "{when}: {} recorded, never sent",
            record.id
        );
    }
}

/// The `--resend-unknown` options an operator gives after checking the
/// cloud: every job `plan --json` (its stdout) blocks must be
/// `outcome_unknown` (a kill between the write-ahead mark and the request),
/// and the emulator must show it was never acted on.
pub(crate) fn resend_unknown(plan_json: &str, emulator: &Emulator, when: &str) -> Vec<String> {
    let view: serde_json::Value = serde_json::from_str(plan_json).unwrap();
    let acted = acted_on(emulator);
    let mut resend = Vec::new();
    for error in view["errors"].as_array().unwrap() {
        assert_eq!(error["code"], "outcome_unknown", "{when}: {error}");
        let address = error["address"].as_str().unwrap();
        let id = &address[address.find('"').unwrap() + 1..address.len() - 2];
        assert!(!acted.iter().any(|a| a == id), "{when}: {id} took effect: {error}");
        resend.extend(["--resend-unknown".to_owned(), address.to_owned()]);
    }
    resend
}

/// Every job of `ids` is paused, recorded as such, and was sent its pause once.
pub(crate) fn assert_each_paused_once(
    ids: &[String],
    emulator: &Emulator,
    state: &State,
    when: &str,
) {
    let acted = acted_on(emulator);
    for id in ids {
        assert_eq!(emulator.job_status(id).as_deref(), Some("PAUSING"), "{when}: {id}");
        let sent = acted.iter().filter(|a| *a == id).count();
        assert_eq!(sent, 1, "{when}: {id} was sent its pause {sent} times");
    }
    assert_eq!(state.jobs.len(), ids.len());
    assert!(state.jobs.values().all(|r| r.observed.raw_status == "PAUSING"));
}
