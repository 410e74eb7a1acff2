//! Injectable faults, chosen by cloud, action, job and probability (seeded, so a
//! run with the same seed and the same requests fails the same way).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::world::Cloud;

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this 5xx status and the cloud's server-error body; nothing happens.
    ServerError {
        /// HTTP status, e.g. 500 or 503.
        status: u16,
    },
    /// Wait this long, then process the request normally.
    Slow {
        /// Delay in real milliseconds.
        delay_ms: u64,
    },
    /// Reset the TCP connection without answering; nothing happens.
    ConnectionReset,
    /// Perform the action, then wait this long before answering (past any client timeout).
    TimeoutAfterEffect {
        /// Delay in real milliseconds.
        delay_ms: u64,
    },
    /// Perform the action, then answer 200 with a truncated JSON body.
    MalformedBody,
    /// Perform the action, then answer with an HTML error page of this
    /// status, as a gateway in front of the cloud may.
    GatewayPage {
        /// HTTP status, e.g. 403 or 502.
        status: u16,
    },
    /// Refuse the request as throttled, as an exhausted rate limit does
    /// (`Throttling.User` / `APIGW.0308`); nothing happens.
    Throttled,
}

/// A fault and the requests it applies to. Unset filters match everything.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// Only requests to this cloud.
    #[serde(default)]
    pub cloud: Option<Cloud>,
    /// Only this Alibaba action / Huawei operation.
    #[serde(default)]
    pub action: Option<String>,
    /// Only requests naming this job id.
    #[serde(default)]
    pub job: Option<String>,
    /// Chance (0..=1) that a matching request is hit, drawn from the world's seeded generator.
    #[serde(default = "always")]
    pub probability: f64,
    /// Fire at most this many times, then disappear; forever when absent.
    #[serde(default)]
    pub times: Option<u32>,
}

fn always() -> f64 {
    1.0
}

impl Fault {
    /// A fault hitting every request, forever, until narrowed with the builder methods.
    pub fn new(kind: FaultKind) -> Fault {
        Fault { kind, cloud: None, action: None, job: None, probability: 1.0, times: None }
    }

    /// Only requests to `cloud`.
    #[must_use]
    pub fn on_cloud(mut self, cloud: Cloud) -> Fault {
        self.cloud = Some(cloud);
        self
    }

    /// Only requests for `action` (Alibaba `Action` or Huawei operation name).
    #[must_use]
    pub fn on_action(mut self, action: &str) -> Fault {
        self.action = Some(action.to_owned());
        self
    }

    /// Only requests naming `job`.
    #[must_use]
    pub fn on_job(mut self, job: &str) -> Fault {
        self.job = Some(job.to_owned());
        self
    }

    /// Hit a matching request with this probability.
    #[must_use]
    pub fn with_probability(mut self, probability: f64) -> Fault {
        self.probability = probability;
        self
    }

    /// Fire at most `times` times.
    #[must_use]
    pub fn times(mut self, times: u32) -> Fault {
        self.times = Some(times);
        self
    }

    fn matches(&self, cloud: Cloud, action: &str, jobs: &[String]) -> bool {
        self.times != Some(0)
            && self.cloud.is_none_or(|wanted| wanted == cloud)
            && self.action.as_deref().is_none_or(|wanted| wanted == action)
            && self.job.as_ref().is_none_or(|wanted| jobs.contains(wanted))
    }
}

/// The faults in force.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    list: Vec<Fault>,
}

impl Faults {
    /// Adds a fault after those already in force (the first match wins).
    pub(crate) fn inject(&mut self, fault: Fault) {
        self.list.push(fault);
    }

    /// Removes all faults.
    pub(crate) fn clear(&mut self) {
        self.list.clear();
    }

    /// The faults in force.
    pub(crate) fn list(&self) -> Vec<Fault> {
        self.list.clone()
    }

    /// The fault hitting this request, if any; counts it against its `times`.
    pub(crate) fn pick(
        &mut self,
        rng: &mut ChaCha8Rng,
        cloud: Cloud,
        action: &str,
        jobs: &[String],
    ) -> Option<FaultKind> {
        let index = self.list.iter().position(|fault| {
            fault.matches(cloud, action, jobs)
                && (fault.probability >= 1.0 || rng.random::<f64>() < fault.probability)
        })?;
        let fault = &mut self.list[index];
        let kind = fault.kind;
        if let Some(times) = &mut fault.times {
            *times -= 1;
            if *times == 0 {
                self.list.remove(index);
            }
        }
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::{Fault, FaultKind, Faults};
    use crate::world::Cloud;

    fn hits(seed: u64) -> Vec<bool> {
        let mut faults = Faults::default();
        faults.inject(Fault::new(FaultKind::ConnectionReset).with_probability(0.5));
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..32).map(|_| faults.pick(&mut rng, Cloud::Alibaba, "X", &[]).is_some()).collect()
    }

    #[test]
    fn probability_is_deterministic_for_a_seed() {
        assert_eq!(hits(7), hits(7));
        assert_ne!(hits(7), hits(8));
        assert!(hits(7).iter().any(|hit| *hit) && hits(7).iter().any(|hit| !*hit));
    }

    #[test]
    fn filters_and_times_limit_a_fault() {
        let mut faults = Faults::default();
        faults.inject(Fault::new(FaultKind::MalformedBody).on_action("A").on_job("j1").times(1));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let j1 = vec!["j1".to_owned()];
        assert_eq!(faults.pick(&mut rng, Cloud::Huawei, "B", &j1), None);
        assert_eq!(faults.pick(&mut rng, Cloud::Huawei, "A", &[]), None);
        assert_eq!(faults.pick(&mut rng, Cloud::Huawei, "A", &j1), Some(FaultKind::MalformedBody));
        assert_eq!(faults.pick(&mut rng, Cloud::Huawei, "A", &j1), None);
    }
}
