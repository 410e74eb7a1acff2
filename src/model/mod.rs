//! The domain vocabulary shared by every pipeline stage: job kinds, addresses,
//! desired and live jobs. Plain data only: no I/O, no clock.

mod address;
mod clock;
mod description;
mod job;
mod kind;
mod listing;
mod lookup;
mod operation;
mod options;
mod provider;
mod secret;
mod window;

pub use address::{Address, AddressParseError, InstanceKey, is_identifier};
pub use clock::{human_duration, limit_words, timestamp};
pub use description::{KindAttribute, KindDescription, Operation, PauseLimits};
pub use job::{
    DesiredJob, DesiredState, Direction, DtsJobType, LiveJob, LiveReverse, LiveState, PauseMode,
    ProviderRef, SourceLocation,
};
pub use kind::{Cloud, JobKind};
pub use listing::{ListedJob, Listing, ListingQuery};
pub use lookup::{LiveLookup, ReadFailure};
pub use operation::ActionVerb;
pub use options::{AlibabaOptions, HuaweiOptions, KindOptions};
pub use provider::{
    AlibabaProvider, DEFAULT_BATCH_SIZE, HuaweiProvider, ProviderConfig, ProviderTuning,
};
pub use secret::{SENSITIVE_VALUE, Secret};
pub use window::{
    Cron, CronError, SuspendWindow, WindowPhase, Zone, go_duration, parse_go_duration,
};
