//! Per-action request-per-second limits, counted per account (as both clouds
//! document their quotas) over a sliding one-second window of real time.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::world::{Cloud, RateLimit};

const WINDOW: Duration = Duration::from_secs(1);

/// The limits in force and the recent requests they count.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    windows: HashMap<(Cloud, String), Window>,
}

#[derive(Debug)]
struct Window {
    qps: u32,
    /// Admitted request times per account (index in the world's account list).
    recent: HashMap<usize, VecDeque<Instant>>,
}

impl RateLimits {
    /// Sets (or with `qps == 0` removes) the limit of one action.
    pub(crate) fn set(&mut self, limit: &RateLimit) {
        let key = (limit.cloud, limit.action.clone());
        if limit.qps == 0 {
            self.windows.remove(&key);
        } else {
            self.windows.insert(key, Window { qps: limit.qps, recent: HashMap::new() });
        }
    }

    /// Removes every limit.
    pub(crate) fn clear(&mut self) {
        self.windows.clear();
    }

    /// Counts a request of `account`, or says how long until one would be admitted.
    pub(crate) fn admit(
        &mut self,
        cloud: Cloud,
        action: &str,
        account: usize,
        now: Instant,
    ) -> Result<(), Duration> {
        let Some(window) = self.windows.get_mut(&(cloud, action.to_owned())) else {
            return Ok(());
        };
        let recent = window.recent.entry(account).or_default();
        while recent.front().is_some_and(|at| now.duration_since(*at) >= WINDOW) {
            recent.pop_front();
        }
        if recent.len() >= window.qps as usize {
            let oldest = recent.front().copied().unwrap_or(now);
            return Err(WINDOW.saturating_sub(now.duration_since(oldest)));
        }
        recent.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::RateLimits;
    use crate::world::{Cloud, RateLimit};

    #[test]
    fn the_window_admits_qps_requests_a_second() {
        let mut limits = RateLimits::default();
        limits.set(&RateLimit { cloud: Cloud::Alibaba, action: "A".to_owned(), qps: 2 });
        let start = Instant::now();
        assert!(limits.admit(Cloud::Alibaba, "A", 0, start).is_ok());
        assert!(limits.admit(Cloud::Alibaba, "A", 0, start).is_ok());
        let wait = limits.admit(Cloud::Alibaba, "A", 0, start + Duration::from_millis(400));
        assert_eq!(wait, Err(Duration::from_millis(600)));
        assert!(limits.admit(Cloud::Alibaba, "A", 1, start).is_ok(), "another account");
        assert!(limits.admit(Cloud::Huawei, "A", 0, start).is_ok(), "another cloud");
        assert!(limits.admit(Cloud::Alibaba, "A", 0, start + Duration::from_secs(1)).is_ok());
    }
}
