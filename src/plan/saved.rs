//! Saved plans (`plan --out`): the plan plus everything it was made from
//! that is not the configuration itself — what the clouds said about each
//! job, the plan's options and time, the state's lineage and serial — so
//! that `apply FILE` can make the same plan again from the configuration it
//! finds and refuse the file unless the two agree in every change and every
//! request. The file is never trusted: an edited plan is refused, and what
//! `show FILE` prints is derived from the changes, not from stored totals.
//! No secrets are in a plan: addresses, job ids, statuses and provider names only.
//!
//! Encoding and verification only; reading and writing the file is the command's business.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{DataSourceMatch, Plan, PlanError, PlanInput, PlanOptions, plan};
use time::OffsetDateTime;

use crate::model::{Address, DesiredJob, ListedJob, LiveLookup, ProviderConfig, timestamp};
use crate::state::State;

/// The saved-plan format this build writes and the only one it reads:
/// version 1 files lack what verification needs, version 2 files record a
/// read failure as its wording alone (version 3 keeps its code and request
/// id), version 3 files spread a change's kind options over three fields
/// (version 4 carries them as one `options` value), version 4 files know
/// nothing of maintenance windows and data sources (version 5 records each
/// job's window, plans it as of the plan's time, and records what each data
/// source matched).
pub const SAVED_PLAN_FORMAT_VERSION: u32 = 5;

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
    /// The digest of the configuration planned (files, variable values, the
    /// environment `env()` read) bound to the plan's options: editing the
    /// options in the file breaks it.
    pub digest: String,
    /// The state planned against; `None` when there was no state file yet.
    pub state: Option<StateRef>,
    /// The variable values the plan was made with, so that `apply FILE`
    /// elsewhere (another CI job) needs none of them again but the sensitive ones.
    pub variables: BTreeMap<String, SavedVariable>,
    /// What the clouds said about each planned job.
    pub live: BTreeMap<Address, LiveLookup>,
    /// The jobs each data source matched, by address (`data.KIND.NAME`):
    /// `apply FILE` evaluates the configuration with these, never with a
    /// new listing, so a job that appeared since the plan is not acted on.
    pub data: BTreeMap<String, Vec<ListedJob>>,
    /// The plan, with the live status it assumed for every job.
    pub plan: Plan,
}

/// A variable value as a plan file records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SavedVariable {
    /// The value.
    Value(Value),
    /// A sensitive value is never written: it must be given again, and is
    /// checked against this digest.
    Sensitive {
        /// SHA-256 of the variable's name and value.
        sha256: String,
    },
}

impl SavedVariable {
    /// How a plan file records `value`.
    pub fn new(name: &str, value: &Value, sensitive: bool) -> Self {
        if !sensitive {
            return SavedVariable::Value(value.clone());
        }
        let mut hasher = Sha256::new();
        for field in [
            b"jobform-sensitive-variable-v1".as_slice(),
            name.as_bytes(),
            value.to_string().as_bytes(),
        ] {
            hasher.update((field.len() as u64).to_le_bytes());
            hasher.update(field);
        }
        SavedVariable::Sensitive { sha256: format!("{:x}", hasher.finalize()) }
    }

    /// For messages: the value, or that it is not shown.
    fn describe(&self) -> String {
        match self {
            SavedVariable::Value(value) => value.to_string(),
            SavedVariable::Sensitive { .. } => "(sensitive value)".to_owned(),
        }
    }
}

/// Why a saved plan cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SavedPlanError {
    /// Not a plan file, or damaged.
    #[error("not a jobform plan file: {0}")]
    Corrupt(String),
    /// Written by a newer jobform.
    #[error(
        "the plan file has format version {found}, but this jobform ({}) reads version {}; {}",
        env!("CARGO_PKG_VERSION"),
        SAVED_PLAN_FORMAT_VERSION,
        if *found > u64::from(SAVED_PLAN_FORMAT_VERSION) {
            "upgrade jobform to apply it"
        } else {
            "it cannot be verified: run `jobform plan --out` again"
        }
    )]
    OtherFormat {
        /// The file's version.
        found: u64,
    },
    /// The configuration (or the options recorded in the file) changed since
    /// the plan was made.
    #[error(
        "the configuration changed since this plan was made, or the plan's options were edited; run `jobform plan` again"
    )]
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
    /// The file's plan is not the plan the configuration makes from the
    /// file's own inputs: it was edited.
    #[error(
        "the plan file does not match the plan the configuration makes from the same inputs, so it was edited or damaged; nothing was sent. First difference: {0}. Run `jobform plan --out` again"
    )]
    Mismatch(String),
    /// A variable has another value than the plan was made with.
    #[error(
        "variable \"{name}\" is {now} here, but the plan was made with {planned}: apply the plan file without setting it (it carries its values; sensitive ones must be given again, the same), or plan again"
    )]
    VariableChanged {
        /// The variable.
        name: String,
        /// Its value in the plan file.
        planned: String,
        /// Its value now.
        now: String,
    },
    /// A maintenance window the plan relied on opened or closed since.
    #[error(
        "a maintenance window opened or closed at {} since this plan was made (at {}), so what the plan decided for it no longer holds; nothing was sent. Run `jobform plan --out` again",
        timestamp(*edge),
        timestamp(*planned_at)
    )]
    WindowEdgePassed {
        /// The edge that passed (the plan's earliest).
        edge: OffsetDateTime,
        /// When the plan was made.
        planned_at: OffsetDateTime,
    },
    /// The configuration cannot be planned (a `depends_on` cycle).
    #[error(transparent)]
    Plan(#[from] PlanError),
}

fn describe(state: Option<&StateRef>) -> String {
    state.map_or_else(
        || "no state".to_owned(),
        |s| format!("lineage {} serial {}", s.lineage, s.serial),
    )
}

/// The configuration digest bound to the plan's options.
fn bind(config_digest: &str, options: &PlanOptions) -> String {
    let mut hasher = Sha256::new();
    let options = serde_json::to_vec(options).expect("options serialize");
    for field in [b"jobform-saved-plan-v2".as_slice(), config_digest.as_bytes(), &options] {
        hasher.update((field.len() as u64).to_le_bytes());
        hasher.update(field);
    }
    format!("{:x}", hasher.finalize())
}

/// What [`SavedPlan::verify`] checks the file against: the configuration
/// and state as they are when the plan is applied.
#[derive(Debug, Clone)]
pub struct Current<'a> {
    /// The declared jobs, consumed by planning them again.
    pub jobs: Vec<DesiredJob>,
    /// The provider blocks.
    pub providers: &'a [ProviderConfig],
    /// The configuration's digest.
    pub config_digest: &'a str,
    /// The variable values now, recorded as a plan file would.
    pub variables: &'a BTreeMap<String, SavedVariable>,
    /// The state.
    pub state: &'a State,
    /// Its lineage and serial, when a state file exists.
    pub state_ref: Option<&'a StateRef>,
    /// The time the plan is applied at.
    pub now: OffsetDateTime,
    /// What each data source matches in the file's recorded jobs.
    pub data_sources: &'a [DataSourceMatch],
}

impl SavedPlan {
    /// Wraps a plan made from `live` with `variables` against
    /// `config_digest` and `state`.
    pub fn new(
        plan: Plan,
        live: BTreeMap<Address, LiveLookup>,
        data: BTreeMap<String, Vec<ListedJob>>,
        variables: BTreeMap<String, SavedVariable>,
        config_digest: &str,
        state: Option<StateRef>,
    ) -> Self {
        SavedPlan {
            format_version: SAVED_PLAN_FORMAT_VERSION,
            jobform_version: env!("CARGO_PKG_VERSION").to_owned(),
            digest: bind(config_digest, &plan.options),
            state,
            variables,
            live,
            data,
            plan,
        }
    }

    /// The recorded values to load the configuration with, before any
    /// given on the command line (which then must agree with them).
    pub fn planned_values(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.variables.iter().filter_map(|(name, saved)| match saved {
            SavedVariable::Value(value) => Some((name.as_str(), value)),
            SavedVariable::Sensitive { .. } => None,
        })
    }

    /// The file's bytes.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("plans serialize");
        bytes.push(b'\n');
        bytes
    }

    /// Reads a plan file's bytes, refusing damaged files and other versions.
    ///
    /// # Errors
    ///
    /// [`SavedPlanError::Corrupt`] or [`SavedPlanError::OtherFormat`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, SavedPlanError> {
        let value: Value =
            serde_json::from_slice(bytes).map_err(|e| SavedPlanError::Corrupt(e.to_string()))?;
        let version = value
            .get("format_version")
            .and_then(Value::as_u64)
            .ok_or_else(|| SavedPlanError::Corrupt("no numeric `format_version`".to_owned()))?;
        if version != u64::from(SAVED_PLAN_FORMAT_VERSION) {
            return Err(SavedPlanError::OtherFormat { found: version });
        }
        serde_json::from_value(value).map_err(|e| SavedPlanError::Corrupt(e.to_string()))
    }

    /// Checks the file against the configuration and state it is applied
    /// to, and returns its plan only if the configuration, from the file's
    /// live statuses, options and time, makes exactly that plan.
    ///
    /// # Errors
    ///
    /// [`SavedPlanError::ConfigChanged`], [`SavedPlanError::StateChanged`],
    /// [`SavedPlanError::Mismatch`] naming the first difference,
    /// [`SavedPlanError::WindowEdgePassed`] when a window the plan relied on
    /// opened or closed by `current.now`, or a planning error.
    pub fn verify(&self, current: Current<'_>) -> Result<&Plan, SavedPlanError> {
        // Named first: a differing variable is the likeliest cause of a
        // digest mismatch, and the only one a user can fix from the message.
        for (name, planned) in &self.variables {
            match current.variables.get(name) {
                Some(now) if now == planned => {}
                now => {
                    return Err(SavedPlanError::VariableChanged {
                        name: name.clone(),
                        planned: planned.describe(),
                        now: now.map_or_else(|| "undeclared".to_owned(), SavedVariable::describe),
                    });
                }
            }
        }
        if self.digest != bind(current.config_digest, &self.plan.options) {
            return Err(SavedPlanError::ConfigChanged);
        }
        if self.state.as_ref() != current.state_ref {
            return Err(SavedPlanError::StateChanged {
                planned: describe(self.state.as_ref()),
                now: describe(current.state_ref),
            });
        }
        // Named before the changes it explains: an edited expansion adds
        // or drops instances, and the ids are what was edited.
        let recorded = serde_json::to_value(&self.plan.data_sources).expect("plans serialize");
        let made = serde_json::to_value(current.data_sources).expect("plans serialize");
        if let Some(difference) = first_difference(&recorded, &made, "data_sources") {
            return Err(SavedPlanError::Mismatch(difference));
        }
        let again = plan(PlanInput {
            jobs: current.jobs,
            providers: current.providers,
            live: self.live.clone(),
            prior: current.state,
            now: self.plan.planned_at,
            options: &self.plan.options,
        })?
        .with_data_sources(current.data_sources.to_vec());
        // Compared as JSON: that is what the file holds (pause ages in whole
        // seconds), and it names every field.
        let ours = serde_json::to_value(&self.plan).expect("plans serialize");
        let theirs = serde_json::to_value(&again).expect("plans serialize");
        if let Some(difference) =
            first_difference(&keyed_changes(ours), &keyed_changes(theirs), "plan")
        {
            return Err(SavedPlanError::Mismatch(difference));
        }
        // Checked on the verified plan: the file's own edges cannot be edited.
        match self.plan.next_window_edge() {
            Some(edge) if edge <= current.now => {
                Err(SavedPlanError::WindowEdgePassed { edge, planned_at: self.plan.planned_at })
            }
            _ => Ok(&self.plan),
        }
    }
}

/// The plan's `changes` as an object keyed by address, so a difference is
/// named by the job rather than by its position.
fn keyed_changes(mut plan: Value) -> Value {
    if let Some(changes) = plan.get_mut("changes").map(Value::take) {
        let keyed = changes
            .as_array()
            .into_iter()
            .flatten()
            .map(|change| {
                let address =
                    change.get("address").and_then(Value::as_str).unwrap_or("?").to_owned();
                (address, change.clone())
            })
            .collect::<serde_json::Map<_, _>>();
        plan["changes"] = Value::Object(keyed);
    }
    plan
}

/// Where `file` first differs from `made`: the path and both values.
fn first_difference(file: &Value, made: &Value, path: &str) -> Option<String> {
    match (file, made) {
        (Value::Object(file), Value::Object(made)) => {
            let keys: std::collections::BTreeSet<&String> =
                file.keys().chain(made.keys()).collect();
            keys.into_iter().find_map(|key| {
                let here = format!("{path}.{key}");
                match (file.get(key), made.get(key)) {
                    (Some(f), Some(m)) => first_difference(f, m, &here),
                    (Some(_), None) => Some(format!(
                        "{here} is in the plan file, but the configuration plans no such thing"
                    )),
                    (None, _) => Some(format!(
                        "{here} is planned by the configuration, but missing from the plan file"
                    )),
                }
            })
        }
        (Value::Array(file), Value::Array(made)) if file.len() == made.len() => file
            .iter()
            .zip(made)
            .enumerate()
            .find_map(|(i, (f, m))| first_difference(f, m, &format!("{path}[{i}]"))),
        (Value::Array(file), Value::Array(made)) => Some(format!(
            "{path} has {} entries in the plan file, but the configuration plans {}",
            file.len(),
            made.len()
        )),
        _ if file == made => None,
        _ => Some(format!("{path} is {file} in the plan file, but the configuration plans {made}")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use time::macros::datetime;

    use super::*;
    use crate::model::LiveLookup;
    use crate::model::{DesiredState, JobKind, LiveState};
    use crate::plan::fixtures::{desired, live};
    use crate::plan::{PlanInput, PlanOptions, plan};
    use crate::state::State;

    struct Fixture {
        jobs: Vec<DesiredJob>,
        state: State,
        variables: BTreeMap<String, SavedVariable>,
        saved: SavedPlan,
    }

    fn fixture() -> Fixture {
        let job = desired(
            JobKind::HuaweiDrs,
            "eu",
            "8d0e8e36-a618-490d-8a46-8c61ac9bb502",
            DesiredState::Suspended,
        );
        let found = live(JobKind::HuaweiDrs, &job.id, "INCRE_TRANSFER_STARTED", LiveState::Running);
        let lives = BTreeMap::from([(job.address.clone(), LiveLookup::Found(found))]);
        let options = PlanOptions::default();
        let state = State::new();
        let made = plan(PlanInput {
            jobs: vec![job.clone()],
            providers: &[],
            live: lives.clone(),
            prior: &state,
            now: datetime!(2026-11-21 12:00 UTC),
            options: &options,
        })
        .unwrap();
        let variables = BTreeMap::from([
            (
                "maintenance".to_owned(),
                SavedVariable::new("maintenance", &Value::Bool(true), false),
            ),
            ("token".to_owned(), SavedVariable::new("token", &Value::from("s3cret"), true)),
        ]);
        let saved = SavedPlan::new(
            made,
            lives,
            BTreeMap::new(),
            variables.clone(),
            "digest-a",
            Some(StateRef { lineage: "l".to_owned(), serial: 3 }),
        );
        Fixture { jobs: vec![job], state, variables, saved }
    }

    fn current<'a>(f: &'a Fixture, digest: &'a str, state: Option<&'a StateRef>) -> Current<'a> {
        Current {
            jobs: f.jobs.clone(),
            providers: &[],
            config_digest: digest,
            variables: &f.variables,
            state: &f.state,
            state_ref: state,
            now: datetime!(2026-11-21 12:05 UTC),
            data_sources: &[],
        }
    }

    #[test]
    fn round_trips_and_checks_what_it_was_made_against() {
        let f = fixture();
        let read = SavedPlan::from_json(&f.saved.to_json()).unwrap();
        assert_eq!(read, f.saved);
        let state = StateRef { lineage: "l".to_owned(), serial: 3 };
        assert_eq!(read.verify(current(&f, "digest-a", Some(&state))), Ok(&f.saved.plan));
        assert_eq!(
            read.verify(current(&f, "digest-b", Some(&state))),
            Err(SavedPlanError::ConfigChanged)
        );
        let moved = StateRef { serial: 4, ..state };
        assert!(matches!(
            read.verify(current(&f, "digest-a", Some(&moved))),
            Err(SavedPlanError::StateChanged { .. })
        ));
        assert!(matches!(
            read.verify(current(&f, "digest-a", None)),
            Err(SavedPlanError::StateChanged { .. })
        ));
    }

    #[test]
    fn edited_options_break_the_digest_and_edited_changes_are_named() {
        let f = fixture();
        let state = StateRef { lineage: "l".to_owned(), serial: 3 };
        let mut flipped = f.saved.clone();
        flipped.plan.options.skip_blocked = true;
        assert_eq!(
            flipped.verify(current(&f, "digest-a", Some(&state))),
            Err(SavedPlanError::ConfigChanged)
        );
        let mut edited = f.saved.clone();
        edited.plan.changes[0].id = "00000000-0000-4000-8000-000000000000".to_owned();
        let Err(SavedPlanError::Mismatch(difference)) =
            edited.verify(current(&f, "digest-a", Some(&state)))
        else {
            panic!("an edited id must be refused");
        };
        assert_eq!(
            difference,
            "plan.changes.huawei_drs.eu.id is \"00000000-0000-4000-8000-000000000000\" in the plan file, but the configuration plans \"8d0e8e36-a618-490d-8a46-8c61ac9bb502\""
        );
    }

    #[test]
    fn variables_travel_with_the_plan_but_sensitive_ones_only_as_a_digest() {
        let mut f = fixture();
        let text = String::from_utf8(f.saved.to_json()).unwrap();
        assert!(!text.contains("s3cret"), "{text}");
        let planned: Vec<_> = f.saved.planned_values().map(|(name, _)| name.to_owned()).collect();
        assert_eq!(planned, ["maintenance"]);
        let state = StateRef { lineage: "l".to_owned(), serial: 3 };
        let off = SavedVariable::new("maintenance", &Value::Bool(false), false);
        f.variables.insert("maintenance".to_owned(), off);
        assert_eq!(
            f.saved.verify(current(&f, "digest-a", Some(&state))).unwrap_err().to_string(),
            "variable \"maintenance\" is false here, but the plan was made with true: apply the plan file without setting it (it carries its values; sensitive ones must be given again, the same), or plan again"
        );
        let mut f = fixture();
        let other = SavedVariable::new("token", &Value::from("other"), true);
        f.variables.insert("token".to_owned(), other);
        let error = f.saved.verify(current(&f, "digest-a", Some(&state))).unwrap_err().to_string();
        assert!(
            error.starts_with(
                "variable \"token\" is (sensitive value) here, but the plan was made with (sensitive value)"
            ),
            "{error}"
        );
        assert!(!error.contains("other") && !error.contains("s3cret"));
    }

    #[test]
    fn refuses_damaged_older_and_newer_files() {
        let bytes = fixture().saved.to_json();
        assert!(matches!(
            SavedPlan::from_json(&bytes[..bytes.len() / 2]),
            Err(SavedPlanError::Corrupt(_))
        ));
        assert!(matches!(SavedPlan::from_json(b"{}"), Err(SavedPlanError::Corrupt(_))));
        for version in [1, 2, 3, 4, 9] {
            let other = String::from_utf8(bytes.clone()).unwrap().replacen(
                &format!("\"format_version\": {SAVED_PLAN_FORMAT_VERSION}"),
                &format!("\"format_version\": {version}"),
                1,
            );
            assert_eq!(
                SavedPlan::from_json(other.as_bytes()),
                Err(SavedPlanError::OtherFormat { found: version })
            );
        }
    }
}
