//! The Alibaba job kinds: DTS tasks through the current `*DtsJob` API and
//! the legacy migration and synchronization APIs.

use time::Duration;

use super::status::live_state;
use crate::model::{JobKind, KindAttribute, KindDescription, Operation, PauseLimits};

/// DTS's pause clock (DTS docs): a paused incremental task cannot be
/// restarted after 6 hours and fails after 7 days.
const PAUSE_LIMITS: PauseLimits = PauseLimits {
    restart_window: Some(Duration::hours(6)),
    suspend_limit: Some(Duration::days(7)),
    source_log_window: None,
};

/// Alibaba job ids have no shape jobform could check.
#[allow(clippy::unnecessary_wraps)]
fn any_id(_: &str) -> Result<(), &'static str> {
    Ok(())
}

/// `alibaba_dts`.
pub(crate) const DTS: KindDescription = KindDescription {
    kind: JobKind::AlibabaDts,
    live_state,
    pausable_statuses: &["Migrating", "Synchronizing"],
    suspend: Ok(Operation::SingleOrForwardBatch {
        single: "SuspendDtsJob",
        batch: "SuspendDtsJobs",
    }),
    resume: Ok(Operation::SingleOrForwardBatch { single: "StartDtsJob", batch: "StartDtsJobs" }),
    stop: Ok(Operation::SingleOrForwardBatch { single: "StopDtsJob", batch: "StopDtsJobs" }),
    two_way: true,
    pause_limits: PAUSE_LIMITS,
    attributes: &[KindAttribute::InstanceId],
    check_id: any_id,
};

/// `alibaba_migration`.
pub(crate) const MIGRATION: KindDescription = KindDescription {
    kind: JobKind::AlibabaMigration,
    live_state,
    pausable_statuses: &["Migrating"],
    suspend: Ok(Operation::Single("SuspendMigrationJob")),
    resume: Ok(Operation::Single("StartMigrationJob")),
    stop: Ok(Operation::Single("StopMigrationJob")),
    two_way: false,
    pause_limits: PAUSE_LIMITS,
    attributes: &[],
    check_id: any_id,
};

/// `alibaba_synchronization`.
pub(crate) const SYNCHRONIZATION: KindDescription = KindDescription {
    kind: JobKind::AlibabaSynchronization,
    live_state,
    // "When you call this operation, the task must be in the Synchronizing state."
    pausable_statuses: &["Synchronizing"],
    suspend: Ok(Operation::Single("SuspendSynchronizationJob")),
    resume: Ok(Operation::Single("StartSynchronizationJob")),
    // The legacy synchronization API has no stop.
    stop: Err("manage the task as an alibaba_dts job instead"),
    two_way: true,
    pause_limits: PAUSE_LIMITS,
    attributes: &[],
    check_id: any_id,
};
