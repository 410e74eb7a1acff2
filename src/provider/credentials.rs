//! Where a provider's credentials come from: the provider block, else the
//! cloud's usual environment variables. A block that names any credential is
//! used alone, so keys from the environment are never mixed with keys from
//! the block (a token of one identity signed with the key of another).

use crate::model::{AlibabaProvider, Cloud, HuaweiProvider, Secret, SourceLocation};

use super::error::{ProviderError, ProviderErrorKind};

/// Reads an environment variable; injected so tests never touch the process environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// `ALIBABA_CLOUD_ACCESS_KEY_ID`.
pub const ALIBABA_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// `ALIBABA_CLOUD_ACCESS_KEY_SECRET`.
pub const ALIBABA_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// `ALIBABA_CLOUD_SECURITY_TOKEN` (STS).
pub const ALIBABA_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
/// `HUAWEICLOUD_SDK_AK`.
pub const HUAWEI_ACCESS_KEY: &str = "HUAWEICLOUD_SDK_AK";
/// `HUAWEICLOUD_SDK_SK`.
pub const HUAWEI_SECRET_KEY: &str = "HUAWEICLOUD_SDK_SK";
/// `HUAWEICLOUD_SDK_SECURITY_TOKEN` (temporary AK/SK).
pub const HUAWEI_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// `HUAWEICLOUD_AUTH_TOKEN`: an IAM token sent as `X-Auth-Token`.
pub const HUAWEI_AUTH_TOKEN: &str = "HUAWEICLOUD_AUTH_TOKEN";

/// An Alibaba AccessKey pair, with an STS token for temporary keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlibabaCredentials {
    /// `AccessKeyId` (not secret: it appears in every request).
    pub access_key_id: String,
    /// The AccessKey secret; only ever used as an HMAC key.
    pub access_key_secret: Secret,
    /// The STS `SecurityToken`.
    pub security_token: Option<Secret>,
}

/// How Huawei requests are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HuaweiCredentials {
    /// An IAM token sent as `X-Auth-Token`; no signature.
    Token(Secret),
    /// AK/SK signing (`SDK-HMAC-SHA256`).
    AccessKey {
        /// The AK (not secret: it appears in every `Authorization` header).
        access_key: String,
        /// The SK; only ever used as an HMAC key.
        secret_key: Secret,
        /// `X-Security-Token` for temporary AK/SK.
        security_token: Option<Secret>,
    },
}

/// Resolves an Alibaba provider block's credentials.
pub fn alibaba(
    config: &AlibabaProvider,
    env: EnvLookup<'_>,
) -> Result<AlibabaCredentials, ProviderError> {
    let provider = describe(Cloud::Alibaba, config.alias.as_deref(), &config.declared_at);
    let from_block = config.access_key_id.is_some()
        || config.access_key_secret.is_some()
        || config.security_token.is_some();
    let (id, secret, token) = if from_block {
        (
            config.access_key_id.clone(),
            config.access_key_secret.clone(),
            config.security_token.clone(),
        )
    } else {
        (
            var(env, ALIBABA_ACCESS_KEY_ID),
            var(env, ALIBABA_ACCESS_KEY_SECRET).map(Secret::new),
            var(env, ALIBABA_SECURITY_TOKEN).map(Secret::new),
        )
    };
    match (id, secret) {
        (Some(access_key_id), Some(access_key_secret)) => {
            Ok(AlibabaCredentials { access_key_id, access_key_secret, security_token: token })
        }
        (id, secret) => {
            let mut missing = Vec::new();
            if id.is_none() {
                missing.push(if from_block { "access_key_id" } else { ALIBABA_ACCESS_KEY_ID });
            }
            if secret.is_none() {
                missing.push(if from_block {
                    "access_key_secret"
                } else {
                    ALIBABA_ACCESS_KEY_SECRET
                });
            }
            let missing = if from_block {
                format!("the block sets credentials but not {}", missing.join(" or "))
            } else {
                format!(
                    "set access_key_id and access_key_secret in the block, or the environment variables {} ({} is not set)",
                    [ALIBABA_ACCESS_KEY_ID, ALIBABA_ACCESS_KEY_SECRET].join(" and "),
                    missing.join(" and ")
                )
            };
            Err(missing_credentials(Cloud::Alibaba, provider, missing))
        }
    }
}

/// Resolves a Huawei provider block's credentials: AK/SK when given, else an IAM token.
pub fn huawei(
    config: &HuaweiProvider,
    env: EnvLookup<'_>,
) -> Result<HuaweiCredentials, ProviderError> {
    let provider = describe(Cloud::Huawei, config.alias.as_deref(), &config.declared_at);
    let key_in_block = config.access_key.is_some() || config.secret_key.is_some();
    if key_in_block && config.auth_token.is_some() {
        return Err(ProviderError::local(
            Cloud::Huawei,
            "credentials",
            ProviderErrorKind::InvalidConfig {
                detail: format!(
                    "provider {provider} sets both auth_token and an access key; keep one"
                ),
            },
        ));
    }
    if let Some(token) = &config.auth_token {
        return Ok(HuaweiCredentials::Token(token.clone()));
    }
    if key_in_block || config.security_token.is_some() {
        return match (&config.access_key, &config.secret_key) {
            (Some(access_key), Some(secret_key)) => Ok(HuaweiCredentials::AccessKey {
                access_key: access_key.clone(),
                secret_key: secret_key.clone(),
                security_token: config.security_token.clone(),
            }),
            (access_key, _) => {
                let absent = if access_key.is_none() { "access_key" } else { "secret_key" };
                Err(missing_credentials(
                    Cloud::Huawei,
                    provider,
                    format!("the block sets credentials but not {absent}"),
                ))
            }
        };
    }
    match (var(env, HUAWEI_ACCESS_KEY), var(env, HUAWEI_SECRET_KEY)) {
        (Some(access_key), Some(secret_key)) => Ok(HuaweiCredentials::AccessKey {
            access_key,
            secret_key: Secret::new(secret_key),
            security_token: var(env, HUAWEI_SECURITY_TOKEN).map(Secret::new),
        }),
        (None, None) => match var(env, HUAWEI_AUTH_TOKEN) {
            Some(token) => Ok(HuaweiCredentials::Token(Secret::new(token))),
            None => Err(missing_credentials(
                Cloud::Huawei,
                provider,
                format!(
                    "set auth_token, or access_key and secret_key, in the block, or the environment variables {HUAWEI_ACCESS_KEY} and {HUAWEI_SECRET_KEY}, or {HUAWEI_AUTH_TOKEN} (none is set)"
                ),
            )),
        },
        (access_key, _) => {
            let absent = if access_key.is_none() { HUAWEI_ACCESS_KEY } else { HUAWEI_SECRET_KEY };
            Err(missing_credentials(
                Cloud::Huawei,
                provider,
                format!(
                    "{absent} is not set (an access key needs both {HUAWEI_ACCESS_KEY} and {HUAWEI_SECRET_KEY})"
                ),
            ))
        }
    }
}

/// `alibaba.eu (main.hcl:3:1)`.
fn describe(cloud: Cloud, alias: Option<&str>, declared_at: &SourceLocation) -> String {
    match alias {
        Some(alias) => format!("{cloud}.{alias} ({declared_at})"),
        None => format!("{cloud} ({declared_at})"),
    }
}

/// An environment variable, an empty value counting as unset.
fn var(env: EnvLookup<'_>, name: &str) -> Option<String> {
    env(name).filter(|value| !value.is_empty())
}

fn missing_credentials(cloud: Cloud, provider: String, missing: String) -> ProviderError {
    ProviderError::local(
        cloud,
        "credentials",
        ProviderErrorKind::MissingCredentials { provider, missing },
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::model::ProviderTuning;

    fn location() -> SourceLocation {
        SourceLocation { file: "main.hcl".into(), line: 3, column: 1 }
    }

    fn alibaba_block() -> AlibabaProvider {
        AlibabaProvider {
            alias: None,
            region: "cn-hangzhou".into(),
            access_key_id: None,
            access_key_secret: None,
            security_token: None,
            endpoint: None,
            tuning: ProviderTuning::default(),
            declared_at: location(),
        }
    }

    fn huawei_block() -> HuaweiProvider {
        HuaweiProvider {
            alias: Some("eu".into()),
            region: "ap-southeast-1".into(),
            project_id: "054ba152d480d55b2f5dc0069e7ddef0".into(),
            auth_token: None,
            access_key: None,
            secret_key: None,
            security_token: None,
            endpoint: None,
            tuning: ProviderTuning::default(),
            declared_at: location(),
        }
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn alibaba_from_environment_with_sts() {
        let lookup = env(&[
            (ALIBABA_ACCESS_KEY_ID, "LTAIjobformexample"),
            (ALIBABA_ACCESS_KEY_SECRET, "jobform-example-secret"),
            (ALIBABA_SECURITY_TOKEN, "sts"),
        ]);
        let creds = alibaba(&alibaba_block(), &lookup).unwrap();
        assert_eq!(creds.access_key_id, "LTAIjobformexample");
        assert_eq!(creds.access_key_secret.expose(), "jobform-example-secret");
        assert_eq!(creds.security_token.unwrap().expose(), "sts");
    }

    #[test]
    fn alibaba_block_is_never_mixed_with_environment() {
        let mut block = alibaba_block();
        block.access_key_id = Some("LTAIblock".into());
        let lookup = env(&[(ALIBABA_ACCESS_KEY_SECRET, "env-secret")]);
        let error = alibaba(&block, &lookup).unwrap_err();
        assert_eq!(
            error.to_string(),
            "alibaba credentials: no credentials for provider alibaba (main.hcl:3:1): the block sets credentials but not access_key_secret"
        );
    }

    #[test]
    fn alibaba_missing_names_the_variables() {
        let lookup = env(&[(ALIBABA_ACCESS_KEY_ID, "LTAI"), (ALIBABA_ACCESS_KEY_SECRET, "")]);
        let error = alibaba(&alibaba_block(), &lookup).unwrap_err();
        assert_eq!(
            error.to_string(),
            "alibaba credentials: no credentials for provider alibaba (main.hcl:3:1): set access_key_id and access_key_secret in the block, or the environment variables ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set)"
        );
    }

    #[test]
    fn huawei_prefers_access_key_then_token() {
        let both = env(&[
            (HUAWEI_ACCESS_KEY, "HWJOBFORMEXAMPLEAK01"),
            (HUAWEI_SECRET_KEY, "jobform-example-sk"),
            (HUAWEI_AUTH_TOKEN, "jobform-example-token"),
        ]);
        assert!(matches!(
            huawei(&huawei_block(), &both).unwrap(),
            HuaweiCredentials::AccessKey { security_token: None, .. }
        ));
        let token = env(&[(HUAWEI_AUTH_TOKEN, "jobform-example-token")]);
        assert_eq!(
            huawei(&huawei_block(), &token).unwrap(),
            HuaweiCredentials::Token(Secret::new("jobform-example-token"))
        );
        let mut block = huawei_block();
        block.auth_token = Some(Secret::new("block-token"));
        assert_eq!(
            huawei(&block, &both).unwrap(),
            HuaweiCredentials::Token(Secret::new("block-token"))
        );
    }

    #[test]
    fn huawei_missing_and_conflicting() {
        let none = env(&[]);
        assert_eq!(
            huawei(&huawei_block(), &none).unwrap_err().to_string(),
            "huawei credentials: no credentials for provider huawei.eu (main.hcl:3:1): set auth_token, or access_key and secret_key, in the block, or the environment variables HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or HUAWEICLOUD_AUTH_TOKEN (none is set)"
        );
        let half = env(&[(HUAWEI_ACCESS_KEY, "AK")]);
        assert!(
            huawei(&huawei_block(), &half)
                .unwrap_err()
                .to_string()
                .contains("HUAWEICLOUD_SDK_SK is not set")
        );
        let mut block = huawei_block();
        block.auth_token = Some(Secret::new("t"));
        block.access_key = Some("AK".into());
        assert_eq!(huawei(&block, &none).unwrap_err().code(), "jobform.InvalidConfig");
    }
}
