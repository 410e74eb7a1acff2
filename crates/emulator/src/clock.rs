//! The emulated clock: real elapsed time plus explicit advances.
//!
//! Job transitions and the 6-hour / 7-day pause rules read this clock, so a
//! test can jump a week ahead in a millisecond. Signature timestamps are NOT
//! checked against it (see `auth`): clients sign with their real clock.

use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// Emulated time: `start + real time since start + advanced`.
#[derive(Debug)]
pub(crate) struct Clock {
    start: OffsetDateTime,
    started: Instant,
    advanced: Duration,
}

impl Clock {
    /// A clock reading `start` (or the real time) now.
    pub(crate) fn new(start: Option<OffsetDateTime>) -> Clock {
        Clock {
            start: start.unwrap_or_else(OffsetDateTime::now_utc),
            started: Instant::now(),
            advanced: Duration::ZERO,
        }
    }

    /// The current emulated time.
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.start + self.started.elapsed() + self.advanced
    }

    /// Moves emulated time forward.
    pub(crate) fn advance(&mut self, by: Duration) {
        self.advanced += by;
    }
}
