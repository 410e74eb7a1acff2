//! The arguments a job's kind takes beyond its id and state, as one value:
//! built once from the job block, carried unchanged through the plan, the
//! saved plan and the request, so what the plan shows is what is sent.

use serde::{Deserialize, Serialize};

use super::{ActionVerb, Cloud, Direction, PauseMode};

/// A job's kind options, one variant a cloud: a job carries only the
/// arguments its cloud takes. Serialized as the variant's fields alone (the
/// job's kind already says which cloud): `{"direction":"forward","instance_id":null}`
/// or `{"pause_mode":"target"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KindOptions {
    /// An Alibaba DTS job's.
    Alibaba(AlibabaOptions),
    /// A Huawei DRS job's.
    Huawei(HuaweiOptions),
}

/// What an Alibaba job's requests carry besides its id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlibabaOptions {
    /// The managed task of a (possibly two-way) synchronization.
    pub direction: Direction,
    /// `DtsInstanceId`, when declared.
    pub instance_id: Option<String>,
}

/// What a Huawei job's requests carry besides its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuaweiOptions {
    /// How a suspend pauses the job.
    pub pause_mode: PauseMode,
}

impl KindOptions {
    /// The options of a `cloud` job from the arguments of its block (each
    /// cloud keeps the ones it takes; the schema has refused the others).
    pub fn new(
        cloud: Cloud,
        direction: Direction,
        instance_id: Option<String>,
        pause_mode: PauseMode,
    ) -> Self {
        match cloud {
            Cloud::Alibaba => KindOptions::Alibaba(AlibabaOptions { direction, instance_id }),
            Cloud::Huawei => KindOptions::Huawei(HuaweiOptions { pause_mode }),
        }
    }

    /// The task the job block manages: a job without a two-way topology
    /// has only its forward one.
    pub fn direction(&self) -> Direction {
        match self {
            KindOptions::Alibaba(options) => options.direction,
            KindOptions::Huawei(_) => Direction::Forward,
        }
    }

    /// The pause mode a request for `verb` sends, if it sends one (a DRS suspend).
    pub fn pause_mode_sent(&self, verb: ActionVerb) -> Option<PauseMode> {
        match self {
            KindOptions::Alibaba(_) => None,
            KindOptions::Huawei(options) => {
                (verb == ActionVerb::Suspend).then_some(options.pause_mode)
            }
        }
    }

    /// What a request for `verb` sends that changes what the action does,
    /// when it is not the default, as `name = "value"` for people:
    /// `direction = "reverse"`, or `pause_mode = "all"` (a suspend's only).
    /// The instance id is not among them: it only names the job, and the
    /// batch forms do not carry it.
    pub fn notable(&self, verb: ActionVerb) -> Option<String> {
        match self {
            KindOptions::Alibaba(options) => (options.direction != Direction::default())
                .then(|| format!("direction = \"{}\"", options.direction)),
            KindOptions::Huawei(_) => self
                .pause_mode_sent(verb)
                .filter(|mode| *mode != PauseMode::default())
                .map(|mode| format!("pause_mode = \"{mode}\"")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cloud_keeps_only_its_own_arguments() {
        let alibaba =
            KindOptions::new(Cloud::Alibaba, Direction::Reverse, Some("i1".into()), PauseMode::All);
        assert_eq!(
            alibaba,
            KindOptions::Alibaba(AlibabaOptions {
                direction: Direction::Reverse,
                instance_id: Some("i1".into())
            })
        );
        let huawei = KindOptions::new(Cloud::Huawei, Direction::Forward, None, PauseMode::All);
        assert_eq!(huawei, KindOptions::Huawei(HuaweiOptions { pause_mode: PauseMode::All }));
    }

    #[test]
    fn the_serialized_form_names_the_fields_and_reads_back_as_the_same_cloud() {
        let cases = [
            (
                KindOptions::new(Cloud::Alibaba, Direction::Forward, None, PauseMode::Target),
                r#"{"direction":"forward","instance_id":null}"#,
            ),
            (
                KindOptions::new(Cloud::Huawei, Direction::Forward, None, PauseMode::All),
                r#"{"pause_mode":"all"}"#,
            ),
        ];
        for (options, json) in cases {
            assert_eq!(serde_json::to_string(&options).unwrap(), json);
            assert_eq!(serde_json::from_str::<KindOptions>(json).unwrap(), options);
        }
        // One cloud's options with another's argument are not options at all.
        assert!(
            serde_json::from_str::<KindOptions>(r#"{"direction":"forward","pause_mode":"all"}"#)
                .is_err()
        );
    }

    #[test]
    fn only_a_drs_suspend_sends_a_pause_mode() {
        let huawei = KindOptions::new(Cloud::Huawei, Direction::Forward, None, PauseMode::All);
        assert_eq!(huawei.pause_mode_sent(ActionVerb::Suspend), Some(PauseMode::All));
        assert_eq!(huawei.pause_mode_sent(ActionVerb::Resume), None);
        let alibaba = KindOptions::new(Cloud::Alibaba, Direction::Forward, None, PauseMode::All);
        assert_eq!(alibaba.pause_mode_sent(ActionVerb::Suspend), None);
    }

    #[test]
    fn people_are_shown_what_differs_from_the_defaults() {
        let reverse =
            KindOptions::new(Cloud::Alibaba, Direction::Reverse, Some("i1".into()), PauseMode::All);
        assert_eq!(reverse.notable(ActionVerb::Resume).as_deref(), Some("direction = \"reverse\""));
        let forward =
            KindOptions::new(Cloud::Alibaba, Direction::Forward, Some("i1".into()), PauseMode::All);
        assert_eq!(forward.notable(ActionVerb::Suspend), None);
        let all = KindOptions::new(Cloud::Huawei, Direction::Forward, None, PauseMode::All);
        assert_eq!(all.notable(ActionVerb::Suspend).as_deref(), Some("pause_mode = \"all\""));
        // A resume sends no pause mode: showing one would mislead.
        assert_eq!(all.notable(ActionVerb::Resume), None);
        let target = KindOptions::new(Cloud::Huawei, Direction::Forward, None, PauseMode::Target);
        assert_eq!(target.notable(ActionVerb::Suspend), None);
    }
}
