//! A provider's resolved tuning: the block's knobs with documented defaults.

use std::time::Duration;

use crate::model::ProviderTuning;

use super::retry::RetryPolicy;

/// Default TCP/TLS connect timeout (the Alibaba SDK's default).
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default whole-request timeout (the SDKs read for 10 s; a listing page of
/// 100 DRS jobs can take longer).
pub(crate) const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default requests in flight per provider. The pacer, not this cap, keeps
/// each read under its rate limit; four in flight reach the DTS read limit
/// of 20 calls/s up to 200 ms a request. Eight measured no better on
/// loopback and added throttled refusals to the rate-limited apply, whose
/// batch actions have no documented limit to pace them.
pub(crate) const DEFAULT_MAX_IN_FLIGHT: usize = 4;

/// How one provider talks to its cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// When and how long to retry.
    pub retry: RetryPolicy,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout (connect, send, and read the full body).
    pub request_timeout: Duration,
    /// Most requests in flight at once.
    pub max_in_flight: usize,
    /// Most requests a second of any one API action; `None` paces each
    /// action at the limit its cloud documents (and leaves undocumented ones
    /// unpaced).
    pub max_requests_per_second: Option<u32>,
    /// Seed of the back-off jitter; `None` seeds from the OS (tests pin it).
    pub jitter_seed: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::from_tuning(&ProviderTuning::default())
    }
}

impl Settings {
    /// The block's tuning, with the defaults above where it says nothing. A
    /// zero is read as one (the smallest useful value), never as "unlimited".
    pub fn from_tuning(tuning: &ProviderTuning) -> Self {
        let ProviderTuning {
            // The planner's alone: it chunks requests, the clients send them as planned.
            batch_size: _,
            max_attempts,
            max_retry_seconds,
            connect_timeout_seconds,
            request_timeout_seconds,
            max_in_flight,
            max_requests_per_second,
        } = tuning;
        let count = |value: Option<u32>, default: usize| {
            value.map_or(default, |v| usize::try_from(v.max(1)).unwrap_or(usize::MAX))
        };
        let seconds = |value: Option<u32>, default: Duration| {
            value.map_or(default, |v| Duration::from_secs(u64::from(v.max(1))))
        };
        let default_retry = RetryPolicy::default();
        Settings {
            retry: RetryPolicy {
                max_attempts: max_attempts.map_or(default_retry.max_attempts, |v| v.max(1)),
                max_elapsed: max_retry_seconds
                    .map_or(default_retry.max_elapsed, |v| Duration::from_secs(u64::from(v))),
                ..default_retry
            },
            connect_timeout: seconds(*connect_timeout_seconds, DEFAULT_CONNECT_TIMEOUT),
            request_timeout: seconds(*request_timeout_seconds, DEFAULT_REQUEST_TIMEOUT),
            max_in_flight: count(*max_in_flight, DEFAULT_MAX_IN_FLIGHT),
            max_requests_per_second: max_requests_per_second.map(|v| v.max(1)),
            jitter_seed: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let defaults = Settings::default();
        assert_eq!(defaults.retry, RetryPolicy::default());
        let tuned = Settings::from_tuning(&ProviderTuning {
            batch_size: Some(5),
            max_attempts: Some(0),
            max_retry_seconds: Some(7),
            connect_timeout_seconds: Some(2),
            request_timeout_seconds: Some(9),
            max_in_flight: Some(0),
            max_requests_per_second: Some(7),
        });
        assert_eq!(tuned.retry.max_attempts, 1);
        assert_eq!(tuned.retry.max_elapsed, Duration::from_secs(7));
        assert_eq!(tuned.connect_timeout, Duration::from_secs(2));
        assert_eq!(tuned.request_timeout, Duration::from_secs(9));
        assert_eq!(tuned.max_in_flight, 1);
        assert_eq!(tuned.max_requests_per_second, Some(7));
        assert_eq!(defaults.max_requests_per_second, None);
    }
}
