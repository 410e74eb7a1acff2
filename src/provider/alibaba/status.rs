//! Alibaba DTS status words (current and legacy APIs) mapped to jobform's
//! states. Compared case-insensitively: the legacy status calls spell them in
//! lower camel case (`synchronizing`). A word not listed maps to `Unknown`.

use crate::model::LiveState;

/// The state of a DTS status word (`README` §1.5 lists where each comes from).
pub(crate) fn live_state(raw: &str) -> LiveState {
    match raw.to_ascii_lowercase().as_str() {
        // Created, configured or checked, never started.
        "notstarted" | "notconfigured" | "precheckpass" => LiveState::NotStarted,
        // `Suspending` means *paused*, a resting state.
        "suspending" => LiveState::Suspended,
        "migrating" | "synchronizing" | "normal" => LiveState::Running,
        "finished" => LiveState::Stopped,
        // Moving between states, or held by an instance operation
        // (spec change, renewal lock) that ends on its own.
        "prechecking" | "initializing" | "initializating" | "starting" | "retrying"
        | "modifying" | "upgrade" | "downgrade" | "locked" => LiveState::Transitioning,
        "precheckfailed" | "migrationfailed" | "initializefailed" | "failed" | "modifyfailed"
        | "abnormal" => LiveState::Failed,
        _ => LiveState::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_documented_word() {
        let table = [
            ("NotStarted", LiveState::NotStarted),
            ("PreCheckPass", LiveState::NotStarted),
            ("NotConfigured", LiveState::NotStarted),
            ("Migrating", LiveState::Running),
            ("Synchronizing", LiveState::Running),
            ("synchronizing", LiveState::Running),
            ("Normal", LiveState::Running),
            ("Suspending", LiveState::Suspended),
            ("suspending", LiveState::Suspended),
            ("Finished", LiveState::Stopped),
            ("Initializating", LiveState::Transitioning),
            ("Retrying", LiveState::Transitioning),
            ("Upgrade", LiveState::Transitioning),
            ("MigrationFailed", LiveState::Failed),
            ("precheckFailed", LiveState::Failed),
            ("Abnormal", LiveState::Failed),
        ];
        for (raw, state) in table {
            assert_eq!(live_state(raw), state, "{raw}");
        }
    }

    #[test]
    fn unknown_words_are_not_guessed() {
        for raw in ["Paused", "", "Catched", "Synchronizing "] {
            assert_eq!(live_state(raw), LiveState::Unknown, "{raw:?}");
        }
    }
}
