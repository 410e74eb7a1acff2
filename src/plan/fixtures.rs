//! Builders for planner inputs, shared by the planner's and the renderers' tests.

use crate::model::{
    Address, DesiredJob, DesiredState, Direction, JobKind, KindOptions, LiveJob, LiveState,
    PauseMode, ProviderRef, SourceLocation,
};

/// A declared job named `name`, with `allow_stop` set.
pub(crate) fn desired(kind: JobKind, name: &str, id: &str, state: DesiredState) -> DesiredJob {
    DesiredJob {
        address: Address::new(kind, name),
        id: id.to_owned(),
        state,
        options: KindOptions::new(kind.cloud(), Direction::Forward, None, PauseMode::Target),
        allow_stop: true,
        depends_on: Vec::new(),
        description: None,
        provider: ProviderRef { cloud: kind.cloud(), alias: None },
        declared_at: SourceLocation { file: "main.hcl".into(), line: 1, column: 1 },
        suspend_window: None,
    }
}

/// A live job in `raw` (normalised to `state`), one-way, incremental.
pub(crate) fn live(kind: JobKind, id: &str, raw: &str, state: LiveState) -> LiveJob {
    LiveJob {
        kind,
        id: id.to_owned(),
        raw_status: raw.to_owned(),
        state,
        reverse: None,
        two_way: Some(false),
        change_tracking: false,
        incremental: Some(true),
        dts_job_type: None,
    }
}
