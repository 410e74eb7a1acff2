//! Listings: every job of one API family a provider block can see, as
//! `jobform import` and the data sources ask for them. Plain data: the
//! question ([`ListingQuery`]) and the answer ([`ListedJob`]), each holding
//! only what the wire carries.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{JobKind, ProviderRef};

/// A listing operation of a cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Listing {
    /// `DescribeDtsJobs`, one `JobType` a request (`alibaba_dts` jobs).
    AlibabaDtsJobs,
    /// The legacy `DescribeMigrationJobs` (`alibaba_migration` jobs).
    AlibabaMigrationJobs,
    /// The legacy `DescribeSynchronizationJobs` (`alibaba_synchronization` jobs).
    AlibabaSynchronizationJobs,
    /// DRS v3 `ShowJobList` (`POST /v3/{project_id}/jobs`), one `db_use_type`
    /// a request (`huawei_drs` jobs).
    HuaweiDrsJobs,
}

impl Listing {
    /// Every listing, in a stable order.
    pub const ALL: [Listing; 4] = [
        Listing::AlibabaDtsJobs,
        Listing::AlibabaMigrationJobs,
        Listing::AlibabaSynchronizationJobs,
        Listing::HuaweiDrsJobs,
    ];

    /// The name a data source of this listing has (`data "alibaba_dts_jobs" …`).
    pub fn label(self) -> &'static str {
        match self {
            Listing::AlibabaDtsJobs => "alibaba_dts_jobs",
            Listing::AlibabaMigrationJobs => "alibaba_migration_jobs",
            Listing::AlibabaSynchronizationJobs => "alibaba_synchronization_jobs",
            Listing::HuaweiDrsJobs => "huawei_drs_jobs",
        }
    }

    /// The kind of the jobs it lists.
    pub fn kind(self) -> JobKind {
        match self {
            Listing::AlibabaDtsJobs => JobKind::AlibabaDts,
            Listing::AlibabaMigrationJobs => JobKind::AlibabaMigration,
            Listing::AlibabaSynchronizationJobs => JobKind::AlibabaSynchronization,
            Listing::HuaweiDrsJobs => JobKind::HuaweiDrs,
        }
    }

    /// The listing of a kind's jobs.
    pub fn of_kind(kind: JobKind) -> Listing {
        match kind {
            JobKind::AlibabaDts => Listing::AlibabaDtsJobs,
            JobKind::AlibabaMigration => Listing::AlibabaMigrationJobs,
            JobKind::AlibabaSynchronization => Listing::AlibabaSynchronizationJobs,
            JobKind::HuaweiDrs => Listing::HuaweiDrsJobs,
        }
    }

    /// The job types the listing filters by, in the cloud's words (empty: it
    /// has none). A query without one lists each in turn.
    pub fn job_types(self) -> &'static [&'static str] {
        match self {
            Listing::AlibabaDtsJobs => &["MIGRATION", "SYNC", "SUBSCRIBE"],
            Listing::AlibabaMigrationJobs | Listing::AlibabaSynchronizationJobs => &[],
            Listing::HuaweiDrsJobs => &["migration", "sync", "cloudDataGuard"],
        }
    }

    /// Whether the request can filter by status (the legacy listings cannot:
    /// their callers filter what comes back).
    pub fn filters_status(self) -> bool {
        match self {
            Listing::AlibabaDtsJobs | Listing::HuaweiDrsJobs => true,
            Listing::AlibabaMigrationJobs | Listing::AlibabaSynchronizationJobs => false,
        }
    }

    /// Whether the request can filter by engine type (DRS alone).
    pub fn filters_engine_type(self) -> bool {
        match self {
            Listing::HuaweiDrsJobs => true,
            Listing::AlibabaDtsJobs
            | Listing::AlibabaMigrationJobs
            | Listing::AlibabaSynchronizationJobs => false,
        }
    }
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One listing request of one provider block, with the filters the wire
/// carries. Anything else (a name pattern, several statuses) is the
/// caller's to filter from the answer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListingQuery {
    /// Which listing.
    pub listing: Listing,
    /// The provider block to ask.
    pub provider: ProviderRef,
    /// One of [`Listing::job_types`]; every type when `None`.
    pub job_type: Option<String>,
    /// Only jobs in this status (the cloud's word), where
    /// [`Listing::filters_status`].
    pub status: Option<String>,
    /// Only jobs of this engine (`mysql`, …), where
    /// [`Listing::filters_engine_type`].
    pub engine_type: Option<String>,
}

impl ListingQuery {
    /// Every job of `listing` that `provider` sees.
    pub fn all(listing: Listing, provider: ProviderRef) -> Self {
        ListingQuery { listing, provider, job_type: None, status: None, engine_type: None }
    }

    /// Why the query cannot be sent as asked: a job type the listing does
    /// not have, a filter its request cannot carry, a provider of another
    /// cloud.
    pub fn check(&self) -> Result<(), String> {
        let listing = self.listing;
        if self.provider.cloud != listing.kind().cloud() {
            return Err(format!("{listing} is not listed by provider {}", self.provider));
        }
        if let Some(job_type) = &self.job_type {
            if !listing.job_types().contains(&job_type.as_str()) {
                return Err(match listing.job_types() {
                    [] => format!("{listing} has no job types"),
                    types => format!(
                        "{listing} lists the job types {}, not {job_type:?}",
                        types.join(", ")
                    ),
                });
            }
        }
        if self.status.is_some() && !listing.filters_status() {
            return Err(format!("{listing} cannot filter by status"));
        }
        if self.engine_type.is_some() && !listing.filters_engine_type() {
            return Err(format!("{listing} cannot filter by engine type"));
        }
        Ok(())
    }

    /// The job types to list, one request series each: the one asked for,
    /// else every type the listing has (none: one series without a type).
    pub fn job_types(&self) -> Vec<Option<&str>> {
        match (&self.job_type, self.listing.job_types()) {
            (Some(job_type), _) => vec![Some(job_type.as_str())],
            (None, []) => vec![None],
            (None, types) => types.iter().copied().map(Some).collect(),
        }
    }
}

/// One job as a listing reports it: the cloud's strings, verbatim and
/// untrusted (a name may hold anything). Serialized in saved plans, as the
/// jobs a data source matched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ListedJob {
    /// The kind the listing serves.
    pub kind: JobKind,
    /// The cloud's job id.
    pub id: String,
    /// The cloud's job name (the id when the cloud gives none).
    pub name: String,
    /// The status word (of the forward task of a two-way synchronization).
    pub status: String,
    /// The status word of the reverse task, when the listing shows one.
    pub reverse_status: Option<String>,
    /// The job type the job was listed under (`SYNC`, `sync`), where the
    /// listing has types.
    pub job_type: Option<String>,
    /// The DTS instance id, where the listing carries one.
    pub instance_id: Option<String>,
    /// Whether the job is a two-way synchronization, where the listing says.
    pub two_way: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Cloud;

    fn query(listing: Listing, cloud: Cloud) -> ListingQuery {
        ListingQuery::all(listing, ProviderRef { cloud, alias: None })
    }

    #[test]
    fn each_listing_serves_its_own_kind() {
        for listing in Listing::ALL {
            assert_eq!(Listing::of_kind(listing.kind()), listing);
            assert_eq!(listing.label(), format!("{}_jobs", listing.kind()));
        }
    }

    #[test]
    fn a_query_without_a_type_lists_every_type() {
        let dts = query(Listing::AlibabaDtsJobs, Cloud::Alibaba);
        assert_eq!(dts.job_types(), [Some("MIGRATION"), Some("SYNC"), Some("SUBSCRIBE")]);
        let legacy = query(Listing::AlibabaMigrationJobs, Cloud::Alibaba);
        assert_eq!(legacy.job_types(), [None]);
        let sync = ListingQuery {
            job_type: Some("sync".into()),
            ..query(Listing::HuaweiDrsJobs, Cloud::Huawei)
        };
        assert_eq!(sync.job_types(), [Some("sync")]);
    }

    #[test]
    fn a_query_the_wire_cannot_carry_is_refused() {
        let drs = query(Listing::HuaweiDrsJobs, Cloud::Huawei);
        assert_eq!(drs.check(), Ok(()));
        let wrong_case = ListingQuery { job_type: Some("SYNC".into()), ..drs.clone() };
        assert_eq!(
            wrong_case.check().unwrap_err(),
            r#"huawei_drs_jobs lists the job types migration, sync, cloudDataGuard, not "SYNC""#
        );
        let legacy = ListingQuery {
            status: Some("Synchronizing".into()),
            ..query(Listing::AlibabaSynchronizationJobs, Cloud::Alibaba)
        };
        assert_eq!(
            legacy.check().unwrap_err(),
            "alibaba_synchronization_jobs cannot filter by status"
        );
        let engine = ListingQuery {
            engine_type: Some("mysql".into()),
            ..query(Listing::AlibabaDtsJobs, Cloud::Alibaba)
        };
        assert!(engine.check().is_err());
        assert_eq!(
            query(Listing::AlibabaDtsJobs, Cloud::Huawei).check().unwrap_err(),
            "alibaba_dts_jobs is not listed by provider huawei"
        );
    }
}
