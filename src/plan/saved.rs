//! Saved plans (`plan --out`): the plan plus what it was made against — the
//! configuration digest and the state's lineage and serial — so that `apply
//! FILE` can refuse a plan the world has moved away from. No secrets are in a
//! plan: addresses, job ids, statuses and provider names only.
//!
//! Encoding only; reading and writing the file is the command's business.

use serde::{Deserialize, Serialize};

use super::Plan;

/// The saved-plan format this build writes and the newest it reads.
pub const SAVED_PLAN_FORMAT_VERSION: u32 = 1;

/// Which state a plan was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRef {
    /// The state's lineage.
    pub lineage: String,
    /// The state's serial.
    pub serial: u64,
}

/// A plan file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedPlan {
    /// [`SAVED_PLAN_FORMAT_VERSION`].
    pub format_version: u32,
    /// The jobform that wrote it.
    pub jobform_version: String,
    /// The digest of the configuration (files and variable values) planned.
    pub config_digest: String,
    /// The state planned against; `None` when there was no state file yet.
    pub state: Option<StateRef>,
    /// The plan, with the live status it assumed for every job.
    pub plan: Plan,
}

/// Why a saved plan cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SavedPlanError {
    /// Not a plan file, or damaged.
    #[error("not a jobform plan file: {0}")]
    Corrupt(String),
    /// Written by a newer jobform.
    #[error(
        "the plan file has format version {found}, but this jobform ({}) reads up to version {}; upgrade jobform to apply it",
        env!("CARGO_PKG_VERSION"), SAVED_PLAN_FORMAT_VERSION
    )]
    NewerFormat {
        /// The file's version.
        found: u64,
    },
    /// The configuration changed since the plan was made.
    #[error("the configuration changed since this plan was made; run `jobform plan` again")]
    ConfigChanged,
    /// The state changed since the plan was made.
    #[error(
        "the state changed since this plan was made (planned against {planned}, now {now}); run `jobform plan` again"
    )]
    StateChanged {
        /// What the plan was made against.
        planned: String,
        /// What the state is now.
        now: String,
    },
}

fn describe(state: Option<&StateRef>) -> String {
    state.map_or_else(
        || "no state".to_owned(),
        |s| format!("lineage {} serial {}", s.lineage, s.serial),
    )
}

impl SavedPlan {
    /// Wraps a plan made against `config_digest` and `state`.
    pub fn new(plan: Plan, config_digest: String, state: Option<StateRef>) -> Self {
        SavedPlan {
            format_version: SAVED_PLAN_FORMAT_VERSION,
            jobform_version: env!("CARGO_PKG_VERSION").to_owned(),
            config_digest,
            state,
            plan,
        }
    }

    /// The file's bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("plans serialize");
        bytes.push(b'\n');
        bytes
    }

    /// Reads a plan file's bytes, refusing damaged and newer files.
    ///
    /// # Errors
    ///
    /// [`SavedPlanError::Corrupt`] or [`SavedPlanError::NewerFormat`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, SavedPlanError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| SavedPlanError::Corrupt(e.to_string()))?;
        let version = value
            .get("format_version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| SavedPlanError::Corrupt("no numeric `format_version`".to_owned()))?;
        if version > u64::from(SAVED_PLAN_FORMAT_VERSION) {
            return Err(SavedPlanError::NewerFormat { found: version });
        }
        serde_json::from_value(value).map_err(|e| SavedPlanError::Corrupt(e.to_string()))
    }

    /// Checks the plan still fits the configuration and state it is applied to.
    ///
    /// # Errors
    ///
    /// [`SavedPlanError::ConfigChanged`] or [`SavedPlanError::StateChanged`].
    pub fn check(
        &self,
        config_digest: &str,
        state: Option<&StateRef>,
    ) -> Result<(), SavedPlanError> {
        if self.config_digest != config_digest {
            return Err(SavedPlanError::ConfigChanged);
        }
        if self.state.as_ref() != state {
            return Err(SavedPlanError::StateChanged {
                planned: describe(self.state.as_ref()),
                now: describe(state),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use time::macros::datetime;

    use super::*;
    use crate::model::{DesiredState, JobKind, LiveState};
    use crate::plan::fixtures::{desired, live};
    use crate::plan::{LiveLookup, PlanInput, PlanOptions, plan};
    use crate::state::State;

    fn saved() -> SavedPlan {
        let job = desired(
            JobKind::HuaweiDrs,
            "eu",
            "8d0e8e36-a618-490d-8a46-8c61ac9bb502",
            DesiredState::Suspended,
        );
        let found = live(JobKind::HuaweiDrs, &job.id, "INCRE_TRANSFER_STARTED", LiveState::Running);
        let lives = BTreeMap::from([(job.address.clone(), LiveLookup::Found(found))]);
        let options = PlanOptions::default();
        let plan = plan(PlanInput {
            jobs: std::slice::from_ref(&job),
            providers: &[],
            live: &lives,
            prior: &State::new(),
            now: datetime!(2026-11-21 12:00 UTC),
            options: &options,
        })
        .unwrap();
        SavedPlan::new(
            plan,
            "digest-a".to_owned(),
            Some(StateRef { lineage: "l".to_owned(), serial: 3 }),
        )
    }

    #[test]
    fn round_trips_and_checks_what_it_was_made_against() {
        let saved = saved();
        let read = SavedPlan::from_json(&saved.to_json()).unwrap();
        assert_eq!(read, saved);
        let state = StateRef { lineage: "l".to_owned(), serial: 3 };
        assert_eq!(read.check("digest-a", Some(&state)), Ok(()));
        assert_eq!(read.check("digest-b", Some(&state)), Err(SavedPlanError::ConfigChanged));
        let moved = StateRef { serial: 4, ..state };
        assert!(matches!(
            read.check("digest-a", Some(&moved)),
            Err(SavedPlanError::StateChanged { .. })
        ));
        assert!(matches!(read.check("digest-a", None), Err(SavedPlanError::StateChanged { .. })));
    }

    #[test]
    fn refuses_damaged_and_newer_files() {
        let bytes = saved().to_json();
        assert!(matches!(
            SavedPlan::from_json(&bytes[..bytes.len() / 2]),
            Err(SavedPlanError::Corrupt(_))
        ));
        assert!(matches!(SavedPlan::from_json(b"{}"), Err(SavedPlanError::Corrupt(_))));
        let newer = String::from_utf8(bytes).unwrap().replacen(
            "\"format_version\": 1",
            "\"format_version\": 9",
            1,
        );
        assert_eq!(
            SavedPlan::from_json(newer.as_bytes()),
            Err(SavedPlanError::NewerFormat { found: 9 })
        );
    }
}
