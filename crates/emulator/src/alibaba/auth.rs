//! Authentication of an Alibaba RPC request: common parameters, timestamp
//! skew, nonce replay, STS security token, and the V1 or ACS3 signature.

use time::OffsetDateTime;
use time::format_description::well_known::Iso8601;
use time::macros::format_description;

use super::error::ApiError;
use super::params::Params;
use super::signature::{
    ACS3, acs3_canonical_request, acs3_signature, parse_acs3, v1_signature, v1_string_to_sign,
};
use crate::digest::sha256_hex;
use crate::encoding::decode_pairs;
use crate::exchange::{Incoming, within_skew};
use crate::state::State;

/// The API version this emulator speaks.
const VERSION: &str = "2020-01-01";

/// An authenticated request.
#[derive(Debug)]
pub(crate) struct Authenticated {
    /// The `Action`.
    pub(crate) action: String,
    /// Business and common parameters (query and form body).
    pub(crate) params: Params,
    /// The caller's index in the world's account list.
    pub(crate) account: usize,
}

/// A refused request: the action it named (possibly empty) and the error.
pub(crate) type Refusal = (String, ApiError);

/// The parameters of a request: query string, then form body.
pub(crate) fn params_of(request: &Incoming) -> Params {
    let mut pairs = decode_pairs(request.query.as_bytes());
    let form = request
        .header("content-type")
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if form {
        pairs.extend(decode_pairs(&request.body));
    }
    Params(pairs)
}

/// Verifies a request, whose parameters are `params`, with whichever
/// signature scheme it uses.
pub(crate) fn authenticate(
    state: &mut State,
    request: &Incoming,
    params: Params,
    known_action: impl Fn(&str) -> bool,
) -> Result<Authenticated, Refusal> {
    match request.header("authorization") {
        Some(header) if header.starts_with(ACS3) => acs3(state, request, params, &known_action),
        _ => v1(state, request, params, &known_action),
    }
}

fn incomplete_signature() -> ApiError {
    ApiError::gateway(
        400,
        "IncompleteSignature",
        "The request signature does not conform to Aliyun standards.",
    )
}

fn mismatch(server_string: &str) -> ApiError {
    ApiError::gateway(
        400,
        "SignatureDoesNotMatch",
        &format!(
            "Specified signature is not matched with our calculation. server string to sign is:{server_string}"
        ),
    )
}

/// Checks `Version` and `Action`, which every scheme names.
fn action_and_version(
    action: Option<&str>,
    version: Option<&str>,
    known_action: &impl Fn(&str) -> bool,
) -> Result<String, Refusal> {
    let action = action.filter(|action| !action.is_empty());
    let named = action.unwrap_or_default().to_owned();
    let Some(action) = action else {
        return Err((named, ApiError::missing("Action")));
    };
    match version {
        None | Some("") => return Err((named, ApiError::missing("Version"))),
        Some(VERSION) => {}
        Some(_) => {
            return Err((
                named,
                ApiError::gateway(
                    400,
                    "InvalidVersion",
                    "Specified parameter Version is not valid.",
                ),
            ));
        }
    }
    if !known_action(action) {
        return Err((
            named,
            ApiError::gateway(
                404,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method.",
            ),
        ));
    }
    Ok(named)
}

/// Parses a signing timestamp and checks it against the real clock.
fn check_timestamp(state: &State, text: &str) -> Result<(), ApiError> {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let signed_at = time::PrimitiveDateTime::parse(text, format)
        .map(time::PrimitiveDateTime::assume_utc)
        .or_else(|_| OffsetDateTime::parse(text, &Iso8601::DEFAULT))
        .map_err(|_| {
            ApiError::gateway(
                400,
                "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted.",
            )
        })?;
    if within_skew(signed_at, state.settings.max_clock_skew) {
        Ok(())
    } else {
        Err(ApiError::gateway(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ))
    }
}

/// Finds the access key's account (index and secret) and checks its STS token.
fn account_of(
    state: &State,
    access_key_id: &str,
    token: Option<&str>,
) -> Result<(usize, String), ApiError> {
    let (index, account) = state
        .alibaba
        .accounts
        .iter()
        .enumerate()
        .find(|(_, account)| account.access_key_id == access_key_id)
        .ok_or_else(|| {
            ApiError::gateway(
                404,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            )
        })?;
    let token = token.filter(|token| !token.is_empty());
    match (&account.security_token, token) {
        (None, None) => {}
        (None, Some(_)) => {
            return Err(ApiError::gateway(
                400,
                "InvalidSecurityToken.Malformed",
                "Specified SecurityToken is malformed.",
            ));
        }
        (Some(_), None) => {
            return Err(ApiError::gateway(
                400,
                "MissingSecurityToken",
                "SecurityToken is mandatory for this action.",
            ));
        }
        (Some(expected), Some(given)) if expected != given => {
            return Err(ApiError::gateway(
                400,
                "InvalidSecurityToken.MismatchWithAccessKey",
                "Specified SecurityToken mismatch with the AccessKey.",
            ));
        }
        (Some(_), Some(_)) => {
            let now = state.clock.now();
            if account.security_token_expires_at.is_some_and(|expiry| expiry <= now) {
                return Err(ApiError::gateway(
                    403,
                    "InvalidSecurityToken.Expired",
                    "Specified SecurityToken is expired.",
                ));
            }
        }
    }
    Ok((index, account.access_key_secret.clone()))
}

/// Records a nonce, refusing one seen before for the same key.
fn use_nonce(state: &mut State, access_key_id: &str, nonce: &str) -> Result<(), ApiError> {
    if state.nonces.insert((access_key_id.to_owned(), nonce.to_owned())) {
        Ok(())
    } else {
        Err(ApiError::gateway(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ))
    }
}

/// RPC V1: everything travels in the parameters, signed with HMAC-SHA1.
fn v1(
    state: &mut State,
    request: &Incoming,
    params: Params,
    known_action: &impl Fn(&str) -> bool,
) -> Result<Authenticated, Refusal> {
    let action = action_and_version(params.get("Action"), params.get("Version"), known_action)?;
    let refuse = |error: ApiError| (action.clone(), error);
    for name in [
        "AccessKeyId",
        "Signature",
        "SignatureMethod",
        "SignatureNonce",
        "SignatureVersion",
        "Timestamp",
    ] {
        params.require(name).map_err(refuse)?;
    }
    if params.get("SignatureMethod") != Some("HMAC-SHA1")
        || params.get("SignatureVersion") != Some("1.0")
    {
        return Err(refuse(incomplete_signature()));
    }
    if params.get("Format").is_some_and(|format| !format.eq_ignore_ascii_case("json")) {
        return Err(refuse(ApiError::gateway(
            400,
            "InvalidParameter",
            "Specified parameter Format is not valid.",
        )));
    }
    check_timestamp(state, params.get("Timestamp").unwrap_or_default()).map_err(refuse)?;
    let access_key_id = params.get("AccessKeyId").unwrap_or_default();
    let (account, secret) =
        account_of(state, access_key_id, params.get("SecurityToken")).map_err(refuse)?;
    let string_to_sign = v1_string_to_sign(&request.method, &params.0);
    if params.get("Signature") != Some(v1_signature(&secret, &string_to_sign).as_str()) {
        return Err(refuse(mismatch(&string_to_sign)));
    }
    use_nonce(state, access_key_id, params.get("SignatureNonce").unwrap_or_default())
        .map_err(refuse)?;
    Ok(Authenticated { action, params, account })
}

/// ACS3-HMAC-SHA256: metadata in `x-acs-*` headers, a canonical request signed with HMAC-SHA256.
fn acs3(
    state: &mut State,
    request: &Incoming,
    params: Params,
    known_action: &impl Fn(&str) -> bool,
) -> Result<Authenticated, Refusal> {
    let action = action_and_version(
        request.header("x-acs-action"),
        request.header("x-acs-version"),
        known_action,
    )?;
    let refuse = |error: ApiError| (action.clone(), error);
    let authorization = request
        .header("authorization")
        .and_then(parse_acs3)
        .ok_or_else(|| refuse(incomplete_signature()))?;
    let date =
        request.header("x-acs-date").ok_or_else(|| refuse(ApiError::missing("Timestamp")))?;
    let nonce = request
        .header("x-acs-signature-nonce")
        .ok_or_else(|| refuse(ApiError::missing("SignatureNonce")))?;
    let payload_hash =
        request.header("x-acs-content-sha256").ok_or_else(|| refuse(incomplete_signature()))?;
    // The gateway insists that host, every x-acs-* header and content-type are signed.
    let signs = |name: &str| authorization.signed_headers.iter().any(|signed| signed == name);
    let unsigned = request.headers.keys().map(axum::http::HeaderName::as_str).any(|name| {
        let required = name == "host" || name == "content-type" || name.starts_with("x-acs-");
        required && !signs(name)
    });
    if unsigned || !signs("host") {
        return Err(refuse(incomplete_signature()));
    }
    check_timestamp(state, date).map_err(refuse)?;
    let (account, secret) =
        account_of(state, &authorization.access_key_id, request.header("x-acs-security-token"))
            .map_err(refuse)?;
    let mut headers = Vec::new();
    for name in &authorization.signed_headers {
        let value = request.header(name).ok_or_else(|| refuse(incomplete_signature()))?;
        headers.push((name.clone(), value.to_owned()));
    }
    let query = decode_pairs(request.query.as_bytes());
    let canonical = acs3_canonical_request(&request.method, &query, &headers, payload_hash);
    if acs3_signature(&secret, &canonical) != authorization.signature {
        return Err(refuse(mismatch(&canonical)));
    }
    if sha256_hex(&request.body) != payload_hash {
        return Err(refuse(ApiError::gateway(
            400,
            "SignatureDoesNotMatch",
            "The x-acs-content-sha256 header does not match the request body.",
        )));
    }
    use_nonce(state, &authorization.access_key_id, nonce).map_err(refuse)?;
    Ok(Authenticated { action, params, account })
}
