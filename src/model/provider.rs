//! Provider blocks as the configuration declares them. Credentials left out
//! here are looked up by the provider in the clouds' usual environment
//! variables when it is built, so `validate` never needs them.

use super::{Cloud, ProviderRef, Secret, SourceLocation};

/// Jobs per batch request unless `batch_size` says otherwise: neither cloud
/// documents a maximum, so the default stays well below anything plausible.
pub const DEFAULT_BATCH_SIZE: u32 = 20;

/// Tuning knobs every provider block accepts. `None` means the provider's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderTuning {
    /// Largest number of jobs in one batch request (`batch_size`).
    pub batch_size: Option<u32>,
    /// Most attempts for a retryable request, the first included (`max_attempts`).
    pub max_attempts: Option<u32>,
    /// Longest total time spent retrying one request, in seconds (`max_retry_seconds`).
    pub max_retry_seconds: Option<u32>,
    /// TCP/TLS connect timeout in seconds (`connect_timeout`).
    pub connect_timeout_seconds: Option<u32>,
    /// Whole-request timeout in seconds (`request_timeout`).
    pub request_timeout_seconds: Option<u32>,
    /// Most requests in flight at once for this provider (`max_in_flight`).
    pub max_in_flight: Option<u32>,
    /// Most requests a second of any one API action (`max_requests_per_second`);
    /// by default each action is paced at its documented limit.
    pub max_requests_per_second: Option<u32>,
}

impl ProviderTuning {
    /// The batch size in force.
    pub fn batch_size(&self) -> usize {
        self.batch_size.unwrap_or(DEFAULT_BATCH_SIZE).max(1) as usize
    }
}

/// `provider "alibaba" { … }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlibabaProvider {
    /// `alias`, for a second provider block of the same cloud.
    pub alias: Option<String>,
    /// `region`, e.g. `cn-hangzhou` (required).
    pub region: String,
    /// `access_key_id` (else `ALIBABA_CLOUD_ACCESS_KEY_ID`).
    pub access_key_id: Option<String>,
    /// `access_key_secret` (else `ALIBABA_CLOUD_ACCESS_KEY_SECRET`).
    pub access_key_secret: Option<Secret>,
    /// `security_token` for STS credentials (else `ALIBABA_CLOUD_SECURITY_TOKEN`).
    pub security_token: Option<Secret>,
    /// `endpoint`: a full URL overriding the region's endpoint (emulator, private endpoint).
    pub endpoint: Option<String>,
    /// Request tuning.
    pub tuning: ProviderTuning,
    /// Where the block was declared.
    pub declared_at: SourceLocation,
}

/// `provider "huawei" { … }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HuaweiProvider {
    /// `alias`, for a second provider block of the same cloud.
    pub alias: Option<String>,
    /// `region`, e.g. `ap-southeast-1` (required).
    pub region: String,
    /// `project_id`: the project path segment (required).
    pub project_id: String,
    /// `auth_token`: an IAM token sent as `X-Auth-Token`.
    pub auth_token: Option<Secret>,
    /// `access_key` for AK/SK signing (else `HUAWEICLOUD_SDK_AK`).
    pub access_key: Option<String>,
    /// `secret_key` for AK/SK signing (else `HUAWEICLOUD_SDK_SK`).
    pub secret_key: Option<Secret>,
    /// `security_token` for temporary AK/SK (else `HUAWEICLOUD_SDK_SECURITY_TOKEN`).
    pub security_token: Option<Secret>,
    /// `endpoint`: a full URL overriding the region's endpoint.
    pub endpoint: Option<String>,
    /// Request tuning.
    pub tuning: ProviderTuning,
    /// Where the block was declared.
    pub declared_at: SourceLocation,
}

/// One provider block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderConfig {
    /// `provider "alibaba"`.
    Alibaba(AlibabaProvider),
    /// `provider "huawei"`.
    Huawei(HuaweiProvider),
}

impl ProviderConfig {
    /// The reference jobs use to select this block (`alibaba`, `alibaba.eu`).
    pub fn reference(&self) -> ProviderRef {
        match self {
            ProviderConfig::Alibaba(p) => {
                ProviderRef { cloud: Cloud::Alibaba, alias: p.alias.clone() }
            }
            ProviderConfig::Huawei(p) => {
                ProviderRef { cloud: Cloud::Huawei, alias: p.alias.clone() }
            }
        }
    }

    /// The tuning knobs of the block.
    pub fn tuning(&self) -> &ProviderTuning {
        match self {
            ProviderConfig::Alibaba(p) => &p.tuning,
            ProviderConfig::Huawei(p) => &p.tuning,
        }
    }
}
