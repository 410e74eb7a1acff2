//! When to send a failed request again, and how long to wait first:
//! exponential back-off with full jitter, the cloud's own retry-after hint as
//! a floor, bounded in attempts and in total time. Pure: the caller owns the
//! clock and the random source, so every decision is testable.

use std::time::Duration;

use rand::Rng;

use super::error::ProviderError;

/// What a request does, which decides what may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// A read: retried on any retryable failure.
    Read,
    /// An action (suspend, resume, stop): retried only when the request
    /// certainly did not take effect (throttled, never connected).
    Action,
}

/// The retry limits of one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts for one request, the first included (at least 1).
    pub max_attempts: u32,
    /// Longest total time from the first attempt to the start of the last one.
    pub max_elapsed: Duration,
    /// The back-off ceiling of the first retry; it doubles with each retry.
    pub base_delay: Duration,
    /// The largest back-off ceiling.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts within a minute, waits growing from ≤ 200 ms to ≤ 20 s:
    /// enough to ride out a throttling burst (the DTS read limit is 20 calls/s
    /// per account) without stalling an apply for long.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            max_elapsed: Duration::from_secs(60),
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 for the first retry):
    /// uniform in `[0, min(max_delay, base_delay · 2^retry)]` ("full jitter",
    /// so clients throttled together do not retry together).
    pub fn backoff(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.base_delay.saturating_mul(1u32 << retry.min(20)).min(self.max_delay);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.random_range(0..=ceiling_ms))
    }

    /// How long to wait before the next attempt, or `None` when `error` must
    /// be returned: not retryable, an action whose outcome is unknown, out of
    /// attempts, or out of time. A retry-after hint from the cloud is a floor
    /// on the wait.
    ///
    /// The caller counts in `attempts_made` only the attempts that failed for
    /// another reason than throttling ([`ProviderError::throttled`]): a
    /// throttled request was refused, so it costs time (bounded by
    /// `max_elapsed`), not an attempt, and its wait does not grow.
    /// Counting throttled refusals let a burst of batch requests (an apply
    /// of 1,000 DTS suspends is 50 requests, all sent at once) exhaust its
    /// attempts against a 10-per-second limit: every window admits 10 and
    /// refuses the rest, so one unlucky request loses five times in a row.
    pub fn next_delay(
        &self,
        error: &ProviderError,
        intent: Intent,
        attempts_made: u32,
        elapsed: Duration,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        if !error.retryable || (intent == Intent::Action && error.outcome_unknown()) {
            return None;
        }
        if attempts_made >= self.max_attempts {
            return None;
        }
        let jitter = self.backoff(attempts_made.saturating_sub(1), rng);
        let delay = error.retry_after.map_or(jitter, |hint| hint.max(jitter));
        (elapsed + delay <= self.max_elapsed).then_some(delay)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::model::Cloud;
    use crate::provider::error::ProviderErrorKind;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(10),
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        }
    }

    fn error(retryable: bool, outcome_unknown: bool) -> ProviderError {
        ProviderError {
            cloud: Cloud::Alibaba,
            operation: "X",
            kind: ProviderErrorKind::Api {
                code: "C".into(),
                message: String::new(),
                outcome_unknown,
            },
            http_status: Some(500),
            request_id: None,
            retryable,
            retry_after: None,
        }
    }

    #[test]
    fn backoff_is_full_jitter_under_a_doubling_capped_ceiling() {
        let mut rng = StdRng::seed_from_u64(7);
        for (retry, ceiling) in [(0, 100), (1, 200), (2, 400), (3, 800), (4, 1000), (30, 1000)] {
            let draws: Vec<u128> =
                (0..200).map(|_| policy().backoff(retry, &mut rng).as_millis()).collect();
            assert!(draws.iter().all(|&d| d <= ceiling), "retry {retry}");
            // Full jitter spreads over the whole range, not just near the ceiling.
            assert!(draws.iter().any(|&d| d < ceiling / 4), "retry {retry}");
            assert!(draws.iter().any(|&d| d > ceiling * 3 / 4), "retry {retry}");
        }
    }

    #[test]
    fn reads_retry_until_attempts_run_out() {
        let mut rng = StdRng::seed_from_u64(1);
        let e = error(true, true);
        for made in 1..4 {
            assert!(
                policy().next_delay(&e, Intent::Read, made, Duration::ZERO, &mut rng).is_some()
            );
        }
        assert_eq!(policy().next_delay(&e, Intent::Read, 4, Duration::ZERO, &mut rng), None);
    }

    #[test]
    fn actions_with_unknown_outcome_are_never_retried() {
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            policy().next_delay(&error(true, true), Intent::Action, 1, Duration::ZERO, &mut rng),
            None
        );
        assert!(
            policy()
                .next_delay(&error(true, false), Intent::Action, 1, Duration::ZERO, &mut rng)
                .is_some()
        );
        assert_eq!(
            policy().next_delay(&error(false, false), Intent::Read, 1, Duration::ZERO, &mut rng),
            None
        );
    }

    #[test]
    fn retry_after_is_a_floor_and_time_is_bounded() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut e = error(true, false);
        e.retry_after = Some(Duration::from_secs(3));
        let delay = policy().next_delay(&e, Intent::Read, 1, Duration::ZERO, &mut rng).unwrap();
        assert_eq!(delay, Duration::from_secs(3));
        // 8 s spent + 3 s wait > 10 s budget.
        assert_eq!(
            policy().next_delay(&e, Intent::Read, 1, Duration::from_secs(8), &mut rng),
            None
        );
    }
}
