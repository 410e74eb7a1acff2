//! The verbs jobform sends. The operation carrying each, per kind, is in the
//! kind's description ([`super::KindDescription`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// What an action asks the cloud to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionVerb {
    /// Pause.
    Suspend,
    /// Resume a paused job.
    Resume,
    /// End the job for good.
    Stop,
}

impl ActionVerb {
    /// The word used in output and JSON.
    pub fn label(self) -> &'static str {
        match self {
            ActionVerb::Suspend => "suspend",
            ActionVerb::Resume => "resume",
            ActionVerb::Stop => "stop",
        }
    }
}

impl fmt::Display for ActionVerb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
