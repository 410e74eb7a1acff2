//! The emulated clock: real elapsed time plus explicit advances.
//!
//! Job transitions and the 6-hour / 7-day pause rules read this clock, so a
//! test can jump a week ahead in a millisecond. Signature timestamps are NOT
//! checked against it (see `auth`): clients sign with their real clock.

use std::time::{Duration, Instant};

use time::{OffsetDateTime, PrimitiveDateTime};

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

    /// The current emulated time (the end of the calendar at most).
    pub(crate) fn now(&self) -> OffsetDateTime {
        let elapsed = self.started.elapsed().saturating_add(self.advanced);
        time::Duration::try_from(elapsed)
            .ok()
            .and_then(|elapsed| self.start.checked_add(elapsed))
            .unwrap_or_else(|| PrimitiveDateTime::MAX.assume_utc())
    }

    /// Moves emulated time forward.
    pub(crate) fn advance(&mut self, by: Duration) {
        self.advanced = self.advanced.saturating_add(by);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use time::PrimitiveDateTime;
    use time::macros::datetime;

    use super::Clock;

    #[test]
    fn advancing_moves_now_and_saturates_at_the_end_of_time() {
        let mut clock = Clock::new(Some(datetime!(2026-01-01 00:00 UTC)));
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now() >= datetime!(2026-01-01 01:00 UTC));
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), PrimitiveDateTime::MAX.assume_utc());
    }
}
