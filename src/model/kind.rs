//! Which cloud and which API family a job belongs to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A cloud jobform can talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cloud {
    /// Alibaba Cloud Data Transmission Service (DTS, API version 2020-01-01).
    Alibaba,
    /// Huawei Cloud Data Replication Service (DRS, v3 API).
    Huawei,
}

impl Cloud {
    /// Every cloud, in a stable order.
    pub const ALL: [Cloud; 2] = [Cloud::Alibaba, Cloud::Huawei];

    /// The provider block label for this cloud (`provider "alibaba" { … }`).
    pub fn label(self) -> &'static str {
        match self {
            Cloud::Alibaba => "alibaba",
            Cloud::Huawei => "huawei",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Cloud {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cloud::ALL.into_iter().find(|cloud| cloud.label() == s).ok_or(())
    }
}

/// The kind of a job block (`job "KIND" "NAME"`): which API family manages it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// A DTS task managed through the current `*DtsJob` API.
    AlibabaDts,
    /// A legacy DTS migration job (`*MigrationJob` API).
    AlibabaMigration,
    /// A legacy DTS synchronization job (`*SynchronizationJob` API).
    AlibabaSynchronization,
    /// A Huawei DRS job managed through the v3 batch API.
    HuaweiDrs,
}

impl JobKind {
    /// Every kind, in a stable order (the order used in help and "did you mean").
    pub const ALL: [JobKind; 4] = [
        JobKind::AlibabaDts,
        JobKind::AlibabaMigration,
        JobKind::AlibabaSynchronization,
        JobKind::HuaweiDrs,
    ];

    /// The HCL label of this kind.
    pub fn label(self) -> &'static str {
        match self {
            JobKind::AlibabaDts => "alibaba_dts",
            JobKind::AlibabaMigration => "alibaba_migration",
            JobKind::AlibabaSynchronization => "alibaba_synchronization",
            JobKind::HuaweiDrs => "huawei_drs",
        }
    }

    /// The cloud whose provider serves this kind.
    pub fn cloud(self) -> Cloud {
        match self {
            JobKind::AlibabaDts | JobKind::AlibabaMigration | JobKind::AlibabaSynchronization => {
                Cloud::Alibaba
            }
            JobKind::HuaweiDrs => Cloud::Huawei,
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for JobKind {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobKind::ALL.into_iter().find(|kind| kind.label() == s).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for kind in JobKind::ALL {
            assert_eq!(kind.label().parse::<JobKind>(), Ok(kind));
        }
        for cloud in Cloud::ALL {
            assert_eq!(cloud.label().parse::<Cloud>(), Ok(cloud));
        }
        assert!("alibaba_ecs".parse::<JobKind>().is_err());
    }
}
