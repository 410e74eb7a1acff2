//! The Huawei job kind: DRS jobs through the v3 batch API.

use time::Duration;

use super::status::live_state;
use crate::model::{JobKind, KindAttribute, KindDescription, Operation, PauseLimits};

/// DRS job ids are UUIDs.
fn check_id(id: &str) -> Result<(), &'static str> {
    if id.len() == 36 && uuid::Uuid::try_parse(id).is_ok() {
        Ok(())
    } else {
        Err(
            "is not a Huawei DRS job id: those are UUIDs such as 8d0e8e36-a618-490d-8a46-8c61ac9bb502.",
        )
    }
}

/// `huawei_drs`.
pub(crate) const DRS: KindDescription = KindDescription {
    kind: JobKind::HuaweiDrs,
    live_state,
    // The batch-pause-task constraints, verbatim.
    pausable_statuses: &[
        "FULL_TRANSFER_STARTED",
        "FULL_TRANSFER_FAILED",
        "FULL_TRANSFER_COMPLETE",
        "INCRE_TRANSFER_STARTED",
        "INCRE_TRANSFER_FAILED",
    ],
    suspend: Ok(Operation::Batch("batch-pause-task")),
    resume: Ok(Operation::Batch("batch-retry-task")),
    stop: Ok(Operation::Batch("batch-jobs terminate")),
    two_way: false,
    pause_limits: PauseLimits {
        restart_window: None,
        suspend_limit: None,
        // A job paused with `pause_mode = "all"` may lose its source logs.
        source_log_window: Some(Duration::hours(24)),
    },
    attributes: &[KindAttribute::PauseMode],
    check_id,
};
