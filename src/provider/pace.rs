//! Client-side pacing: each API action's requests are spaced so that no
//! one-second window holds more than the action's limit, the way both clouds
//! count their quotas (`DescribeDtsJobs`: 20 calls a second per account and
//! region). A bulk read then runs at the limit instead of being refused.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::model::Cloud;

/// The per-account limit the cloud documents for `operation`, requests a
/// second (shared/api/README.md); `None` where it documents none.
pub(crate) fn documented_limit(cloud: Cloud, operation: &str) -> Option<u32> {
    match (cloud, operation) {
        (Cloud::Alibaba, "DescribeDtsJobs") => Some(20),
        _ => None,
    }
}

/// Spaces requests `1 / per_second` apart. No burst: a burst allowance lets
/// a window hold the burst plus a second's worth, which a cloud counting a
/// sliding window refuses.
#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    /// The earliest time the next request may go.
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    /// A pacer admitting `per_second` requests a second (zero is read as one).
    pub(crate) fn new(per_second: u32) -> Self {
        Pacer { interval: Duration::from_secs(1) / per_second.max(1), next: Mutex::new(None) }
    }

    /// Reserves the next free slot and waits for it.
    pub(crate) async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let slot = next.map_or(now, |next| next.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures_util::future::join_all;

    use super::*;

    /// The instants at which `count` concurrent waiters are let through.
    async fn release_times(pacer: Arc<Pacer>, count: usize) -> Vec<Duration> {
        let start = Instant::now();
        let waits = (0..count).map(|_| {
            let pacer = Arc::clone(&pacer);
            async move {
                pacer.wait().await;
                start.elapsed()
            }
        });
        let mut times = join_all(waits).await;
        times.sort();
        times
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_requests_are_spaced_at_the_limit() {
        let times = release_times(Arc::new(Pacer::new(20)), 60).await;
        for (index, at) in times.iter().enumerate() {
            assert_eq!(*at, Duration::from_millis(50) * u32::try_from(index).unwrap());
        }
        // Never more than 20 in any one-second window.
        for window in times.windows(21) {
            assert!(window[20].checked_sub(window[0]).unwrap() >= Duration::from_secs(1));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_pacer_saves_up_no_burst() {
        let pacer = Arc::new(Pacer::new(10));
        pacer.wait().await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        let times = release_times(pacer, 3).await;
        assert_eq!(times, [Duration::ZERO, Duration::from_millis(100), Duration::from_millis(200)]);
    }
}
