//! The plan as the outside world sees it: the JSON document of
//! `plan --json` (a versioned contract, additive changes only within a major
//! version) and the model the human and Markdown renderings are drawn from.
//! These types are for output only, apart from the planner's own.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::{Address, KindOptions, human_duration, timestamp};
use crate::plan::{Action, JobChange, Notice, Plan, Summary};
use crate::state::PauseSource;

/// The version of the JSON plan document.
pub const PLAN_FORMAT_VERSION: &str = "1.0";

/// `plan --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanView<'a> {
    /// [`PLAN_FORMAT_VERSION`].
    pub format_version: String,
    /// RFC 3339.
    pub planned_at: String,
    /// Whether `apply` may run it (nothing blocked, or `--skip-blocked`).
    pub applyable: bool,
    /// Whether it changes anything.
    pub has_changes: bool,
    /// Made with `--refresh-only`.
    pub refresh_only: bool,
    /// The counts (the planner's own, as they are).
    pub summary: Summary,
    /// Every job, sorted by address (no-ops included).
    pub changes: Changes<'a>,
    /// The requests, wave by wave.
    pub waves: Vec<WaveView>,
    /// Jobs that changed outside jobform since the last apply.
    pub drift: Vec<DriftView>,
    /// Every warning: the plan's own, then each job's (with its address).
    pub warnings: Vec<NoticeView>,
    /// Every blocked job's reason (with its address).
    pub errors: Vec<NoticeView>,
    /// What each data source matched (absent when none is declared).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_sources: Vec<DataSourceView>,
}

/// One data source of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSourceView {
    /// `data.KIND.NAME`.
    pub address: String,
    /// `file:line:column` of its block.
    pub declared_at: String,
    /// How many jobs it matched.
    pub matched: usize,
}

/// The jobs of a view: a plan's own changes, each made into a
/// [`ChangeView`] only when it is read, or views given whole (a document read
/// back, a test's hand-made plan). At 100,000 jobs the views held at once
/// would be some 50 MB of the plan's peak memory, all copies of the plan's
/// own strings.
#[derive(Debug, Clone)]
pub enum Changes<'a> {
    /// A plan's changes.
    Planned(&'a [JobChange]),
    /// Views as they are.
    Given(Vec<ChangeView>),
}

impl Changes<'_> {
    /// Every job's view, in order.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, ChangeView>> {
        self.with(|_| true)
    }

    /// The views of the jobs whose action `keep` selects, in order: a
    /// plan's other changes are passed over without being made into views.
    pub fn with(
        &self,
        keep: impl Fn(Action) -> bool + Copy,
    ) -> impl Iterator<Item = Cow<'_, ChangeView>> {
        // One of the two is empty: one iterator type serves both.
        let (planned, given) = match self {
            Changes::Planned(changes) => (*changes, &[][..]),
            Changes::Given(views) => (&[][..], views.as_slice()),
        };
        let planned = planned.iter().filter(move |c| keep(c.action)).map(|c| Cow::Owned(change(c)));
        planned.chain(given.iter().filter(move |v| keep(v.action)).map(Cow::Borrowed))
    }
}

impl PartialEq for Changes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Changes<'_> {}

impl Serialize for Changes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Changes<'_> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::deserialize(deserializer).map(Changes::Given)
    }
}

/// One job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeView {
    /// `KIND.NAME` or `KIND.NAME["key"]`.
    pub address: String,
    /// The kind label.
    pub kind: String,
    /// The cloud's job id.
    pub id: String,
    /// The provider (`alibaba`, `huawei.eu`).
    pub provider: String,
    /// `forward` or `reverse`.
    pub direction: String,
    /// The kind's options, as the job's requests carry them:
    /// `{"direction": …, "instance_id": …}` (Alibaba) or `{"pause_mode": …}` (Huawei).
    pub options: KindOptions,
    /// `no-op`, `suspend`, `resume`, `stop`, `blocked` or `forget`.
    #[serde(with = "action_label")]
    pub action: Action,
    /// Why.
    pub reason: String,
    /// The declared state (absent for a forget).
    pub desired: Option<String>,
    /// The live status (absent when unknown).
    pub live: Option<LiveView>,
    /// The pause clock of a paused job.
    pub pause: Option<PauseView>,
    /// The job's maintenance window (absent when it has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowView>,
    /// The jobs this one waits for.
    pub depends_on: Vec<String>,
    /// The job block's `description` (null when it has none; absent in
    /// documents of jobform before it was added).
    #[serde(default)]
    pub description: Option<String>,
}

/// A live status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveView {
    /// The cloud's own word.
    pub raw_status: String,
    /// jobform's state.
    pub state: String,
}

/// A pause clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseView {
    /// RFC 3339.
    pub since: String,
    /// `jobform` (exact) or `first_seen` (a lower bound).
    pub source: PauseSource,
    /// Age in seconds.
    pub age_seconds: i64,
}

/// A maintenance window, where it stood when the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowView {
    /// `upcoming`, `open` or `ended`.
    pub phase: String,
    /// RFC 3339: when it opens or opened (absent when not known).
    pub opens_at: Option<String>,
    /// RFC 3339: when it closes or closed.
    pub closes_at: String,
    /// RFC 3339: when the phase changes next (absent once ended).
    pub next_edge: Option<String>,
    /// Seconds until `next_edge`.
    pub seconds_until_next_edge: Option<i64>,
    /// Seconds until the window lets the job run again (absent once ended).
    pub seconds_until_resume: Option<i64>,
}

/// A drifted job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftView {
    /// The job.
    pub address: String,
    /// What the last apply recorded.
    pub recorded: LiveView,
    /// RFC 3339.
    pub recorded_at: String,
    /// What the cloud says now.
    pub live: LiveView,
}

/// A warning or an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeView {
    /// The job it is about (absent for the plan's own warnings).
    pub address: Option<String>,
    /// The stable code.
    pub code: String,
    /// The explanation.
    pub message: String,
    /// RFC 3339, for a deadline.
    pub deadline: Option<String>,
    /// Seconds until the deadline (negative when past), for CI to alert on.
    pub seconds_left: Option<i64>,
}

/// One wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaveView {
    /// 1-based, as shown to people.
    pub number: usize,
    /// The requests.
    pub requests: Vec<RequestView>,
}

/// One request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestView {
    /// The provider.
    pub provider: String,
    /// The cloud operation.
    pub operation: String,
    /// `suspend`, `resume` or `stop`.
    pub verb: String,
    /// `forward` or `reverse`.
    pub direction: String,
    /// The jobs it carries.
    pub jobs: Vec<String>,
}

fn notice(address: Option<&Address>, notice: &Notice, now: time::OffsetDateTime) -> NoticeView {
    NoticeView {
        address: address.map(ToString::to_string),
        code: notice.code.to_string(),
        message: notice.message.clone(),
        deadline: notice.deadline.map(timestamp),
        seconds_left: notice.deadline.map(|d| (d - now).whole_seconds()),
    }
}

impl<'a> PlanView<'a> {
    /// The view of `plan`.
    pub fn new(plan: &'a Plan) -> Self {
        let now = plan.planned_at;
        let mut warnings: Vec<NoticeView> =
            plan.warnings.iter().map(|w| notice(None, w, now)).collect();
        let mut errors = Vec::new();
        let mut drift = Vec::new();
        for change in &plan.changes {
            warnings.extend(change.warnings.iter().map(|w| notice(Some(&change.address), w, now)));
            if let Some(blocker) = &change.blocker {
                errors.push(notice(Some(&change.address), blocker, now));
            }
            if let (Some(recorded), Some(live)) = (&change.drift, &change.live) {
                drift.push(DriftView {
                    address: change.address.to_string(),
                    recorded: LiveView {
                        raw_status: recorded.recorded_raw_status.clone(),
                        state: recorded.recorded_state.to_string(),
                    },
                    recorded_at: timestamp(recorded.recorded_at),
                    live: LiveView {
                        raw_status: live.raw_status.clone(),
                        state: live.state.to_string(),
                    },
                });
            }
        }
        PlanView {
            format_version: PLAN_FORMAT_VERSION.to_owned(),
            planned_at: timestamp(now),
            applyable: plan.applyable(),
            has_changes: plan.has_changes(),
            refresh_only: plan.options.refresh_only,
            summary: plan.summary(),
            changes: Changes::Planned(&plan.changes),
            waves: plan
                .waves
                .iter()
                .map(|wave| WaveView {
                    number: wave.index + 1,
                    requests: wave
                        .requests
                        .iter()
                        .map(|r| RequestView {
                            provider: r.provider.to_string(),
                            operation: r.operation().to_owned(),
                            verb: r.verb.to_string(),
                            direction: r.direction.to_string(),
                            jobs: r.jobs.iter().map(ToString::to_string).collect(),
                        })
                        .collect(),
                })
                .collect(),
            drift,
            warnings,
            errors,
            data_sources: plan
                .data_sources
                .iter()
                .map(|source| DataSourceView {
                    address: source.address.clone(),
                    declared_at: source.declared_at.to_string(),
                    matched: source.ids.len(),
                })
                .collect(),
        }
    }

    /// The changes with a given action.
    pub fn with_action(&self, action: Action) -> impl Iterator<Item = Cow<'_, ChangeView>> {
        self.changes.with(move |a| a == action)
    }
}

fn change(change: &JobChange) -> ChangeView {
    ChangeView {
        address: change.address.to_string(),
        kind: change.kind.to_string(),
        id: change.id.clone(),
        provider: change.provider.to_string(),
        direction: change.options.direction().to_string(),
        options: change.options.clone(),
        action: change.action,
        reason: change.reason.clone(),
        desired: change.desired.map(|d| d.to_string()),
        live: change
            .live
            .as_ref()
            .map(|l| LiveView { raw_status: l.raw_status.clone(), state: l.state.to_string() }),
        pause: change.pause.as_ref().map(|p| PauseView {
            since: timestamp(p.since),
            source: p.source,
            age_seconds: p.age.whole_seconds(),
        }),
        window: change.window.as_ref().map(|w| WindowView {
            phase: w.phase.label().to_owned(),
            opens_at: w.opens_at.map(timestamp),
            closes_at: timestamp(w.closes_at),
            next_edge: w.next_edge.map(timestamp),
            seconds_until_next_edge: w.until_next_edge.map(time::Duration::whole_seconds),
            seconds_until_resume: w.until_resume.map(time::Duration::whole_seconds),
        }),
        depends_on: change.depends_on.iter().map(ToString::to_string).collect(),
        description: change.description.clone(),
    }
}

/// An [`Action`] as the document spells it, its [`Action::label`]
/// (`no-op`, where a saved plan's own serde form says `no_op`).
mod action_label {
    use serde::{Deserialize, Deserializer, Serializer, de};

    use crate::plan::Action;

    /// Every action, for reading a label back.
    const ACTIONS: [Action; 6] = [
        Action::NoOp,
        Action::Suspend,
        Action::Resume,
        Action::Stop,
        Action::Blocked,
        Action::Forget,
    ];

    #[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's `with` passes a reference")]
    pub(super) fn serialize<S: Serializer>(
        action: &Action,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(action.label())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Action, D::Error> {
        let label = String::deserialize(deserializer)?;
        ACTIONS
            .into_iter()
            .find(|action| action.label() == label)
            .ok_or_else(|| de::Error::invalid_value(de::Unexpected::Str(&label), &"an action"))
    }
}

impl PauseView {
    /// `paused 5h 30m 0s (since …)`, `at least` when first seen paused
    /// (the age is then a lower bound); `paused just now` (`first seen
    /// paused just now`) at age zero, where a bound of `0s` says nothing.
    pub fn describe(&self) -> String {
        let first_seen = match self.source {
            PauseSource::Jobform => false,
            PauseSource::FirstSeen => true,
        };
        if self.age_seconds <= 0 {
            let how = if first_seen { "first seen paused" } else { "paused" };
            return format!("{how} just now (since {})", self.since);
        }
        let age = human_duration(time::Duration::seconds(self.age_seconds));
        let bound = if first_seen { "at least " } else { "" };
        format!("paused {bound}{age} (since {})", self.since)
    }
}

impl WindowView {
    /// `open: replication back at … (in 1h 59m)`, `upcoming: pauses at … (in
    /// 2d 4h), replication back at …`, `ended at …`: the window in one
    /// phrase, its times in UTC.
    pub fn describe(&self) -> String {
        let within = |seconds: Option<i64>| {
            seconds.map(|s| format!(" (in {})", human_duration(time::Duration::seconds(s))))
        };
        match (self.phase.as_str(), &self.opens_at) {
            ("open", _) => format!(
                "window open: replication back at {}{}",
                self.closes_at,
                within(self.seconds_until_resume).unwrap_or_default()
            ),
            ("upcoming", Some(opens_at)) => format!(
                "window upcoming: pauses at {opens_at}{}, replication back at {}",
                within(self.seconds_until_next_edge).unwrap_or_default(),
                self.closes_at
            ),
            _ => format!("window ended at {}", self.closes_at),
        }
    }
}
