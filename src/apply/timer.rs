//! Time as the engine sees it: timestamps for the records and sleeps between
//! polls, behind one trait so tests can run hours of emulated waiting in
//! milliseconds.

use std::future::Future;
use std::time::Duration;

use time::OffsetDateTime;

/// A clock that can also wait.
pub trait Timer: Send + Sync {
    /// The current time, in UTC.
    fn now(&self) -> OffsetDateTime;

    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
}
