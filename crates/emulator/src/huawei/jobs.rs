//! DRS job state machine: which statuses can be paused (batch-pause-task),
//! resumed or retried (batch-retry-task), ended or deleted (batch-jobs).

use std::time::Duration;

use time::OffsetDateTime;

use crate::task::Task;
use crate::world::HuaweiJob;

/// The paused status (`PAUSING` means paused, not "being paused").
pub(crate) const PAUSED: &str = "PAUSING";

/// Statuses batch-pause-task accepts (vendor doc constraint).
const PAUSABLE: &[&str] = &[
    "FULL_TRANSFER_STARTED",
    "FULL_TRANSFER_FAILED",
    "FULL_TRANSFER_COMPLETE",
    "INCRE_TRANSFER_STARTED",
    "INCRE_TRANSFER_FAILED",
];

/// Statuses a job has once ended.
const ENDED: &[&str] = &["RELEASE_RESOURCE_STARTED", "RELEASE_RESOURCE_COMPLETE", "DELETED"];

/// Why one item of a batch failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ItemFailure {
    /// `error_code`.
    pub(crate) code: &'static str,
    /// `error_msg` / `error_message`.
    pub(crate) message: String,
}

impl ItemFailure {
    /// The job id is unknown (in this project).
    pub(crate) fn not_found() -> ItemFailure {
        ItemFailure {
            code: "DRS.10000010",
            message: "Job does not exist, please check job ID.".to_owned(),
        }
    }

    fn status(status: &str) -> ItemFailure {
        ItemFailure {
            code: "DRS.10000001",
            message: format!(
                "Failed. The current job status {status} does not support this operation."
            ),
        }
    }
}

/// One DRS job in the emulator.
#[derive(Clone, Debug)]
pub(crate) struct HuaweiJobState {
    /// The job as declared.
    pub(crate) spec: HuaweiJob,
    /// Creation time.
    pub(crate) created_at: OffsetDateTime,
    /// Status and transition.
    pub(crate) task: Task,
    /// The status a resume returns to.
    resume_to: String,
}

impl HuaweiJobState {
    /// The job as declared, at emulated time `start`.
    pub(crate) fn new(spec: HuaweiJob, start: OffsetDateTime) -> HuaweiJobState {
        let paused_at = (spec.status == PAUSED).then(|| spec.paused_at.unwrap_or(start));
        // A job declared paused resumes in the stage its task type ends with.
        let resume_to = if spec.task_type == "FULL_TRANS" {
            "FULL_TRANSFER_STARTED"
        } else {
            "INCRE_TRANSFER_STARTED"
        };
        HuaweiJobState {
            created_at: spec.created_at.unwrap_or(start),
            task: Task::new(&spec.status, paused_at),
            resume_to: resume_to.to_owned(),
            spec,
        }
    }

    fn not_settling(&self) -> Result<(), ItemFailure> {
        if self.task.is_settling() { Err(ItemFailure::status(&self.task.status)) } else { Ok(()) }
    }

    /// batch-pause-task.
    pub(crate) fn pause(
        &mut self,
        now: OffsetDateTime,
        delay: Duration,
    ) -> Result<(), ItemFailure> {
        self.not_settling()?;
        let status = self.task.status.clone();
        if !PAUSABLE.contains(&status.as_str()) {
            return Err(ItemFailure::status(&status));
        }
        restarted(&status).clone_into(&mut self.resume_to);
        self.task.begin(now, delay, None, PAUSED, true);
        Ok(())
    }

    /// batch-retry-task: resume a paused job or retry a failed one.
    pub(crate) fn retry(
        &mut self,
        now: OffsetDateTime,
        delay: Duration,
    ) -> Result<(), ItemFailure> {
        self.not_settling()?;
        let target = match self.task.status.as_str() {
            PAUSED => self.resume_to.clone(),
            failed @ ("FULL_TRANSFER_FAILED" | "INCRE_TRANSFER_FAILED") => {
                restarted(failed).to_owned()
            }
            other => return Err(ItemFailure::status(other)),
        };
        self.task.begin(now, delay, None, &target, false);
        Ok(())
    }

    /// DELETE batch-jobs with `terminate`/`force_terminate` (end) or `delete` (remove an ended job).
    pub(crate) fn delete(
        &mut self,
        delete_type: &str,
        now: OffsetDateTime,
        delay: Duration,
    ) -> Result<(), ItemFailure> {
        let status = self.task.status.clone();
        match delete_type {
            "terminate" | "force_terminate" => {
                let force = delete_type == "force_terminate";
                if ENDED.contains(&status.as_str()) || (self.task.is_settling() && !force) {
                    return Err(ItemFailure::status(&status));
                }
                self.task.begin(
                    now,
                    delay,
                    Some("RELEASE_RESOURCE_STARTED"),
                    "RELEASE_RESOURCE_COMPLETE",
                    false,
                );
                Ok(())
            }
            "delete" => {
                let removable = [
                    "RELEASE_RESOURCE_COMPLETE",
                    "CREATE_FAILED",
                    "CONFIGURATION",
                    "START_JOB_FAILED",
                ];
                if !removable.contains(&status.as_str()) || self.task.is_settling() {
                    return Err(ItemFailure::status(&status));
                }
                self.task.begin(now, Duration::ZERO, None, "DELETED", false);
                Ok(())
            }
            _ => Err(ItemFailure {
                code: "DRS.10000001",
                message: format!(
                    "Failed. delete_type {delete_type} is not supported for this job."
                ),
            }),
        }
    }
}

/// The running status a paused or failed stage restarts in.
fn restarted(status: &str) -> &'static str {
    match status {
        "FULL_TRANSFER_STARTED" | "FULL_TRANSFER_FAILED" => "FULL_TRANSFER_STARTED",
        _ => "INCRE_TRANSFER_STARTED",
    }
}
