//! The planner's preconditions against the emulator's state machines: for
//! every kind, every status the cloud documents and every desired state, an
//! action the plan proposes is one the (emulated) cloud accepts. Together
//! with the planner's own table tests this pins "a plan never proposes an
//! action the API will reject".

use std::collections::BTreeMap;

use jobform::model::{
    ActionVerb, Address, AlibabaProvider, DesiredJob, DesiredState, Direction, HuaweiProvider,
    JobKind, KindOptions, Listing, ListingQuery, PauseMode, ProviderConfig, ProviderRef,
    ProviderTuning, SourceLocation,
};
use jobform::plan::{Action, PlanInput, PlanOptions, plan};
use jobform::provider::fleet::{Fleet, ReadItem};
use jobform::provider::{self, RequestOutcome};
use jobform::state::State;
use jobform_emulator::{AlibabaKind, Emulator, World};

/// The statuses each API family documents (shared/api/README.md §1.5, §2.4).
const DTS_MIGRATION: &[&str] = &[
    "NotStarted",
    "Prechecking",
    "PrecheckFailed",
    "PreCheckPass",
    "NotConfigured",
    "Migrating",
    "Suspending",
    "MigrationFailed",
    "Finished",
    "Retrying",
    "Upgrade",
    "Locked",
    "Downgrade",
];
const DTS_SYNC: &[&str] = &[
    "NotStarted",
    "Prechecking",
    "PrecheckFailed",
    "PreCheckPass",
    "NotConfigured",
    "Initializing",
    "InitializeFailed",
    "Synchronizing",
    "Failed",
    "Suspending",
    "Modifying",
    "Finished",
    "Retrying",
    "Upgrade",
    "Locked",
    "Downgrade",
];
const DTS_SUBSCRIBE: &[&str] = &[
    "NotConfigured",
    "NotStarted",
    "Prechecking",
    "PrecheckFailed",
    "PreCheckPass",
    "Starting",
    "Normal",
    "Retrying",
    "Abnormal",
    "Upgrade",
    "Locked",
    "Downgrade",
];
const LEGACY_MIGRATION: &[&str] = &[
    "NotStarted",
    "Prechecking",
    "PrecheckFailed",
    "Migrating",
    "Suspending",
    "MigrationFailed",
    "Finished",
];
const LEGACY_SYNC: &[&str] = &[
    "NotStarted",
    "Prechecking",
    "PrecheckFailed",
    "Initializating",
    "InitializeFailed",
    "Synchronizing",
    "Failed",
    "Suspending",
    "Modifying",
    "Finished",
];
const DRS: &[&str] = &[
    "CREATING",
    "CREATE_FAILED",
    "CONFIGURATION",
    "STARTJOBING",
    "WAITING_FOR_START",
    "START_JOB_FAILED",
    "PAUSING",
    "FULL_TRANSFER_STARTED",
    "FULL_TRANSFER_FAILED",
    "FULL_TRANSFER_COMPLETE",
    "INCRE_TRANSFER_STARTED",
    "INCRE_TRANSFER_FAILED",
    "RELEASE_RESOURCE_STARTED",
    "RELEASE_RESOURCE_FAILED",
    "RELEASE_RESOURCE_COMPLETE",
    "REBUILD_NODE_STARTED",
    "REBUILD_NODE_FAILED",
    "CHANGE_JOB_STARTED",
    "CHANGE_JOB_FAILED",
    "DELETED",
    "CHILD_TRANSFER_STARTING",
    "CHILD_TRANSFER_STARTED",
    "CHILD_TRANSFER_COMPLETE",
    "CHILD_TRANSFER_FAILED",
    "RELEASE_CHILD_TRANSFER_STARTED",
    "RELEASE_CHILD_TRANSFER_COMPLETE",
    "NODE_UPGRADE_START",
    "NODE_UPGRADE_COMPLETE",
    "NODE_UPGRADE_FAILED",
];

const DTS_ID: &str = "k2n8x7c1vq90002";
const DRS_ID: &str = "8d0e8e36-a618-490d-8a46-8c61ac9bb502";

fn at() -> SourceLocation {
    SourceLocation { file: "main.hcl".into(), line: 1, column: 1 }
}

fn providers(url: &str) -> Vec<ProviderConfig> {
    vec![
        ProviderConfig::Alibaba(AlibabaProvider {
            alias: None,
            region: "cn-hangzhou".to_owned(),
            access_key_id: Some("LTAIjobformexample".to_owned()),
            access_key_secret: Some(jobform::model::Secret::new("jobform-example-secret")),
            security_token: None,
            endpoint: Some(url.to_owned()),
            tuning: ProviderTuning::default(),
            declared_at: at(),
        }),
        ProviderConfig::Huawei(HuaweiProvider {
            alias: None,
            region: "ap-southeast-1".to_owned(),
            project_id: "054ba152d480d55b2f5dc0069e7ddef0".to_owned(),
            auth_token: None,
            access_key: Some("HWJOBFORMEXAMPLEAK01".to_owned()),
            secret_key: Some(jobform::model::Secret::new("jobform-example-sk")),
            security_token: None,
            endpoint: Some(url.to_owned()),
            tuning: ProviderTuning::default(),
            declared_at: at(),
        }),
    ]
}

/// The example world with one job set to `status` (settling at once).
fn world(kind: JobKind, alibaba_kind: Option<AlibabaKind>, status: &str) -> (World, String) {
    let mut world = World::example();
    world.transition_delay_seconds = 0;
    if kind == JobKind::HuaweiDrs {
        let job = world.huawei.jobs.iter_mut().find(|job| job.id == DRS_ID).unwrap();
        status.clone_into(&mut job.status);
        return (world, DRS_ID.to_owned());
    }
    let job = world.alibaba.jobs.iter_mut().find(|job| job.id == DTS_ID).unwrap();
    job.kind = alibaba_kind.unwrap();
    status.clone_into(&mut job.status);
    (world, DTS_ID.to_owned())
}

#[test]
fn every_action_a_plan_proposes_is_accepted_by_the_cloud() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let families: [(JobKind, Option<AlibabaKind>, &[&str]); 6] = [
        (JobKind::AlibabaDts, Some(AlibabaKind::Migration), DTS_MIGRATION),
        (JobKind::AlibabaDts, Some(AlibabaKind::Sync), DTS_SYNC),
        (JobKind::AlibabaDts, Some(AlibabaKind::Subscribe), DTS_SUBSCRIBE),
        (JobKind::AlibabaMigration, Some(AlibabaKind::LegacyMigration), LEGACY_MIGRATION),
        (JobKind::AlibabaSynchronization, Some(AlibabaKind::LegacySynchronization), LEGACY_SYNC),
        (JobKind::HuaweiDrs, None, DRS),
    ];
    let mut proposed = 0;
    for (kind, alibaba_kind, statuses) in families {
        for status in statuses {
            let (world, id) = world(kind, alibaba_kind, status);
            let emulator = Emulator::start(world).unwrap();
            let providers = providers(emulator.url());
            for desired in DesiredState::ALL {
                if desired == DesiredState::Stopped
                    && provider::describe(kind).cannot(ActionVerb::Stop).is_some()
                {
                    continue;
                }
                let job = DesiredJob {
                    address: Address::new(kind, "job"),
                    id: id.clone(),
                    state: desired,
                    options: KindOptions::new(
                        kind.cloud(),
                        Direction::Forward,
                        None,
                        PauseMode::Target,
                    ),
                    allow_stop: true,
                    depends_on: Vec::new(),
                    description: None,
                    provider: ProviderRef { cloud: kind.cloud(), alias: None },
                    declared_at: at(),
                    suspend_window: None,
                };
                let env = |_: &str| None;
                let fleet = Fleet::build(&providers, [&job.provider], &env).unwrap();
                let live: BTreeMap<_, _> = runtime.block_on(fleet.read([ReadItem::from(&job)]));
                let options = PlanOptions::default();
                let plan = plan(PlanInput {
                    jobs: vec![job.clone()],
                    providers: &providers,
                    live,
                    prior: &State::new(),
                    now: time::OffsetDateTime::now_utc(),
                    options: &options,
                })
                .unwrap();
                let change = &plan.changes[0];
                let Some(verb) = change.action.verb() else {
                    assert!(
                        matches!(change.action, Action::NoOp | Action::Blocked),
                        "{kind} {status} -> {desired}: {:?}",
                        change.action
                    );
                    continue;
                };
                proposed += 1;
                let action = provider::Action {
                    address: job.address.clone(),
                    id: id.clone(),
                    verb,
                    options: change.options.clone(),
                    token_seed: format!("conformance-{kind}-{status}-{desired}"),
                };
                let results = runtime.block_on(
                    fleet.execute(&job.provider, &provider::Call { actions: vec![action] }),
                );
                assert!(
                    matches!(results[0].outcome, RequestOutcome::Accepted { .. }),
                    "{kind} ({alibaba_kind:?}) {status} -> {desired}: the plan proposed {verb}, the cloud said {:?}",
                    results[0].outcome
                );
            }
        }
    }
    assert!(proposed > 40, "the table exercised only {proposed} actions");
}

/// The listings `jobform import` and the data sources read agree with the
/// emulator job for job: every job of the example world is listed once,
/// under its own listing, with its status, its reverse task's and its type.
#[test]
fn every_listing_lists_each_emulated_job_once_with_its_status() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let emulator = Emulator::start(World::example()).unwrap();
    let providers = providers(emulator.url());
    let references: Vec<ProviderRef> = providers.iter().map(ProviderConfig::reference).collect();
    let fleet = Fleet::build(&providers, &references, &|_: &str| None).unwrap();
    let mut listed = Vec::new();
    for listing in Listing::ALL {
        let provider = ProviderRef { cloud: listing.kind().cloud(), alias: None };
        let jobs = runtime.block_on(fleet.list(&ListingQuery::all(listing, provider))).unwrap();
        listed.extend(jobs.into_iter().map(|job| {
            let job_type = job.job_type.unwrap_or_else(|| format!("{}", job.kind));
            (job.id, job.status, job.reverse_status, job_type)
        }));
    }
    let mut emulated: Vec<_> = emulator
        .jobs()
        .into_iter()
        .map(|job| {
            let job_type = match job.kind.as_str() {
                "LEGACY_MIGRATION" => "alibaba_migration".to_owned(),
                "LEGACY_SYNCHRONIZATION" => "alibaba_synchronization".to_owned(),
                other => other.to_owned(),
            };
            (job.id, job.status, job.reverse_status, job_type)
        })
        .collect();
    listed.sort();
    emulated.sort();
    assert_eq!(listed, emulated);
}
