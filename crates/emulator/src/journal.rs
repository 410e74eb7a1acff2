//! The call journal: one entry per request received, for tests to count and assert on.

use serde::Serialize;
use time::OffsetDateTime;

use crate::faults::FaultKind;
use crate::world::Cloud;

/// One request as the emulator saw and answered it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JournalEntry {
    /// Position in the journal, from 1 (keeps counting after a clear).
    pub seq: u64,
    /// Emulated time the request was received.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Which API was called.
    pub cloud: Cloud,
    /// Alibaba `Action` or Huawei operation (`batch-pause-task`, …, `batch-jobs`);
    /// empty when the request named none.
    pub action: String,
    /// Job ids the request named.
    pub jobs: Vec<String>,
    /// How the request was answered.
    pub outcome: Outcome,
    /// Whether any job changed because of this request.
    pub took_effect: bool,
    /// Per-job failures inside an accepted batch (Huawei per-item results).
    pub item_errors: Vec<ItemError>,
    /// HTTP status sent (0 when the connection was reset instead).
    pub http_status: u16,
    /// The request id sent back (`RequestId` / `X-Request-Id`).
    pub request_id: String,
}

/// How a request was answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outcome {
    /// Processed and answered with success.
    Accepted,
    /// Refused with this error code (auth, throttling, parameter, precondition).
    Rejected {
        /// The cloud's error code, e.g. `SignatureDoesNotMatch`, `APIGW.0308`.
        code: String,
    },
    /// An injected fault shaped the answer.
    Fault {
        /// The fault that fired.
        kind: FaultKind,
    },
}

/// A failed item of an otherwise accepted batch request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemError {
    /// The job id of the item.
    pub job: String,
    /// Its error code.
    pub code: String,
}

/// The journal itself.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: Vec<JournalEntry>,
    next_seq: u64,
}

impl Journal {
    /// Appends an entry, numbering it.
    pub(crate) fn record(&mut self, mut entry: JournalEntry) {
        self.next_seq += 1;
        entry.seq = self.next_seq;
        self.entries.push(entry);
    }

    /// All entries so far.
    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        self.entries.clone()
    }

    /// Forgets all entries (numbering goes on).
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
