//! The Huawei Cloud DRS client (v3 batch API): reads through `batch-status`,
//! acts through `batch-pause-task`, `batch-retry-task` and
//! `DELETE batch-jobs` (terminate), authenticated by an IAM token or AK/SK.

mod client;
pub(super) mod kinds;
mod sign;
mod status;
mod wire;

pub use client::HuaweiClient;
pub(super) use client::decode_every_answer;

/// The default endpoint of a region (`huaweicloudsdkdrs/v3/region/drs_region.py`):
/// `eu-west-101` alone lives under `myhuaweicloud.eu`.
fn regional_endpoint(region: &str) -> String {
    if region == "eu-west-101" {
        format!("https://drs.{region}.myhuaweicloud.eu")
    } else {
        format!("https://drs.{region}.myhuaweicloud.com")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            regional_endpoint("ap-southeast-1"),
            "https://drs.ap-southeast-1.myhuaweicloud.com"
        );
        assert_eq!(regional_endpoint("eu-west-101"), "https://drs.eu-west-101.myhuaweicloud.eu");
    }
}
