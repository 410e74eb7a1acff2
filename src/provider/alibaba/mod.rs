//! The Alibaba Cloud DTS client (API 2020-01-01, RPC style, signature V1):
//! reads through `DescribeDtsJobs` and the legacy listings, acts through the
//! `*DtsJob(s)`, `*MigrationJob` and `*SynchronizationJob` operations.

mod client;
pub(super) mod kinds;
mod sign;
mod status;
mod wire;

pub use client::AlibabaClient;
pub(super) use client::decode_every_answer;

/// Regions the SDKs map to the central endpoint `dts.aliyuncs.com`
/// (`alibabacloud_dts20200101/client.py`); every other region uses
/// `dts.<region>.aliyuncs.com`.
const CENTRAL_REGIONS: &[&str] = &[
    "cn-qingdao",
    "cn-beijing",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-hangzhou",
    "cn-shanghai",
    "cn-shenzhen",
    "cn-hongkong",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "eu-west-1",
    "us-west-1",
    "us-east-1",
    "eu-central-1",
    "me-east-1",
    "ap-south-1",
    "cn-hangzhou-finance",
    "cn-shanghai-finance-1",
    "cn-shenzhen-finance-1",
    "cn-north-2-gov-1",
    "ap-northeast-2-pop",
    "cn-beijing-finance-1",
    "cn-chengdu",
    "cn-wulanchabu",
    "cn-wuhan",
    "cn-fujian",
    "cn-edge-1",
];

/// The default endpoint of a region.
fn regional_endpoint(region: &str) -> String {
    if CENTRAL_REGIONS.contains(&region) {
        "https://dts.aliyuncs.com/".to_owned()
    } else {
        format!("https://dts.{region}.aliyuncs.com/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_the_sdk_map() {
        assert_eq!(regional_endpoint("cn-hangzhou"), "https://dts.aliyuncs.com/");
        assert_eq!(regional_endpoint("ap-southeast-1"), "https://dts.aliyuncs.com/");
        assert_eq!(regional_endpoint("ap-northeast-1"), "https://dts.ap-northeast-1.aliyuncs.com/");
        assert_eq!(regional_endpoint("cn-heyuan"), "https://dts.cn-heyuan.aliyuncs.com/");
    }
}
