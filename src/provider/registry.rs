//! The one list of job kinds and their descriptions, each written in its
//! cloud's folder. Adding a kind is a variant of [`JobKind`] and one line here.

use super::{alibaba, huawei};
use crate::model::{JobKind, KindDescription};

/// What jobform knows about `kind`.
pub fn describe(kind: JobKind) -> &'static KindDescription {
    match kind {
        JobKind::AlibabaDts => &alibaba::kinds::DTS,
        JobKind::AlibabaMigration => &alibaba::kinds::MIGRATION,
        JobKind::AlibabaSynchronization => &alibaba::kinds::SYNCHRONIZATION,
        JobKind::HuaweiDrs => &huawei::kinds::DRS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ActionVerb, Direction};

    #[test]
    fn each_kind_is_described_by_its_own_description() {
        for kind in JobKind::ALL {
            assert_eq!(describe(kind).kind, kind);
        }
    }

    #[test]
    fn only_legacy_synchronization_cannot_stop() {
        for kind in JobKind::ALL {
            for verb in [ActionVerb::Suspend, ActionVerb::Resume, ActionVerb::Stop] {
                let unsupported =
                    kind == JobKind::AlibabaSynchronization && verb == ActionVerb::Stop;
                assert_eq!(describe(kind).operation(verb).is_none(), unsupported, "{kind} {verb}");
            }
        }
    }

    #[test]
    fn dts_batches_forward_tasks_only() {
        let dts = describe(JobKind::AlibabaDts);
        assert!(dts.batches(ActionVerb::Suspend, Direction::Forward));
        assert!(!dts.batches(ActionVerb::Suspend, Direction::Reverse));
        let suspend = dts.operation(ActionVerb::Suspend).unwrap();
        assert_eq!((suspend.name(1), suspend.name(2)), ("SuspendDtsJob", "SuspendDtsJobs"));
        assert!(!describe(JobKind::AlibabaMigration).batches(ActionVerb::Stop, Direction::Forward));
        assert_eq!(
            describe(JobKind::HuaweiDrs).operation(ActionVerb::Resume).unwrap().name(1),
            "batch-retry-task"
        );
    }
}
