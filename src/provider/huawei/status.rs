//! Huawei DRS status words mapped to jobform's states (compared
//! case-insensitively). A word not listed maps to `Unknown`.

use crate::model::LiveState;

/// The state of a DRS status word (the 29 values of the v3 SDK's enum).
pub(crate) fn live_state(raw: &str) -> LiveState {
    match raw.to_ascii_uppercase().as_str() {
        "CONFIGURATION" | "WAITING_FOR_START" => LiveState::NotStarted,
        // `PAUSING` means *paused* (已暂停), a resting state.
        "PAUSING" => LiveState::Suspended,
        // Replicating; FULL_TRANSFER_COMPLETE still accepts pause and is
        // followed by the incremental phase, and a finished node upgrade or
        // child transfer leaves the job replicating.
        "FULL_TRANSFER_STARTED"
        | "FULL_TRANSFER_COMPLETE"
        | "INCRE_TRANSFER_STARTED"
        | "CHILD_TRANSFER_STARTED"
        | "CHILD_TRANSFER_COMPLETE"
        | "NODE_UPGRADE_COMPLETE" => LiveState::Running,
        "RELEASE_RESOURCE_COMPLETE" | "RELEASE_CHILD_TRANSFER_COMPLETE" | "DELETED" => {
            LiveState::Stopped
        }
        "CREATING"
        | "STARTJOBING"
        | "RELEASE_RESOURCE_STARTED"
        | "REBUILD_NODE_STARTED"
        | "CHANGE_JOB_STARTED"
        | "CHILD_TRANSFER_STARTING"
        | "RELEASE_CHILD_TRANSFER_STARTED"
        | "NODE_UPGRADE_START" => LiveState::Transitioning,
        "CREATE_FAILED"
        | "START_JOB_FAILED"
        | "FULL_TRANSFER_FAILED"
        | "INCRE_TRANSFER_FAILED"
        | "RELEASE_RESOURCE_FAILED"
        | "REBUILD_NODE_FAILED"
        | "CHANGE_JOB_FAILED"
        | "CHILD_TRANSFER_FAILED"
        | "NODE_UPGRADE_FAILED" => LiveState::Failed,
        _ => LiveState::Unknown,
    }
}

/// Whether a status word says the job is in its incremental phase
/// (`None`: the word does not say).
pub(crate) fn incremental(raw: &str) -> Option<bool> {
    let upper = raw.to_ascii_uppercase();
    if upper.starts_with("INCRE_") {
        Some(true)
    } else if upper.starts_with("FULL_") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_enum_value() {
        let all = [
            "CREATING",
            "CREATE_FAILED",
            "CONFIGURATION",
            "STARTJOBING",
            "WAITING_FOR_START",
            "START_JOB_FAILED",
            "PAUSING",
            "FULL_TRANSFER_STARTED",
            "FULL_TRANSFER_FAILED",
            "FULL_TRANSFER_COMPLETE",
            "INCRE_TRANSFER_STARTED",
            "INCRE_TRANSFER_FAILED",
            "RELEASE_RESOURCE_STARTED",
            "RELEASE_RESOURCE_FAILED",
            "RELEASE_RESOURCE_COMPLETE",
            "REBUILD_NODE_STARTED",
            "REBUILD_NODE_FAILED",
            "CHANGE_JOB_STARTED",
            "CHANGE_JOB_FAILED",
            "DELETED",
            "CHILD_TRANSFER_STARTING",
            "CHILD_TRANSFER_STARTED",
            "CHILD_TRANSFER_COMPLETE",
            "CHILD_TRANSFER_FAILED",
            "RELEASE_CHILD_TRANSFER_STARTED",
            "RELEASE_CHILD_TRANSFER_COMPLETE",
            "NODE_UPGRADE_START",
            "NODE_UPGRADE_COMPLETE",
            "NODE_UPGRADE_FAILED",
        ];
        assert_eq!(all.len(), 29);
        for raw in all {
            assert_ne!(live_state(raw), LiveState::Unknown, "{raw}");
        }
        assert_eq!(live_state("PAUSING"), LiveState::Suspended);
        assert_eq!(live_state("incre_transfer_started"), LiveState::Running);
        assert_eq!(live_state("INCRE_TRANSFER_FAILED"), LiveState::Failed);
        assert_eq!(live_state("RELEASE_RESOURCE_COMPLETE"), LiveState::Stopped);
        assert_eq!(live_state("STARTJOBING"), LiveState::Transitioning);
        assert_eq!(live_state("WAITING_FOR_START"), LiveState::NotStarted);
        assert_eq!(live_state("PAUSED"), LiveState::Unknown);
        assert_eq!(incremental("INCRE_TRANSFER_STARTED"), Some(true));
        assert_eq!(incremental("FULL_TRANSFER_STARTED"), Some(false));
        assert_eq!(incremental("PAUSING"), None);
    }
}
