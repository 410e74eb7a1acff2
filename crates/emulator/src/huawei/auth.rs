//! Authentication of a DRS request: an IAM token (`X-Auth-Token`) or an AK/SK
//! signature (`SDK-HMAC-SHA256`, `X-Sdk-Date`, optional `X-Security-Token`),
//! and the project scoping (`{project_id}` path segment, `X-Project-Id`).

use time::PrimitiveDateTime;
use time::macros::format_description;

use super::error::HwError;
use super::signature::{SCHEME, canonical_request, parse, signature};
use crate::encoding::decode_pairs;
use crate::exchange::{Incoming, within_skew};
use crate::state::State;

/// Checks the request's credentials and that it may use `project_id`;
/// answers the caller's index in the world's account list.
pub(crate) fn authenticate(
    state: &State,
    request: &Incoming,
    project_id: &str,
) -> Result<usize, HwError> {
    let account = if let Some(token) = request.header("x-auth-token") {
        token_auth(state, token)?
    } else if let Some(authorization) = request.header("authorization") {
        signature_auth(state, request, authorization)?
    } else {
        return Err(HwError::unauthenticated("no authentication information was provided"));
    };
    let known = state.huawei.projects.iter().any(|project| project.id == project_id);
    let header_matches = request.header("x-project-id").is_none_or(|header| header == project_id);
    if known && header_matches {
        Ok(account)
    } else {
        Err(HwError::service(403, "DRS.M00261", "Invalid project ID."))
    }
}

fn token_auth(state: &State, token: &str) -> Result<usize, HwError> {
    let (index, account) = state
        .huawei
        .accounts
        .iter()
        .enumerate()
        .find(|(_, account)| account.auth_token.as_deref() == Some(token))
        .ok_or_else(|| HwError::unauthenticated("decrypt token fail"))?;
    if account.auth_token_expires_at.is_some_and(|expiry| expiry <= state.clock.now()) {
        return Err(HwError::gateway(401, "APIGW.0307", "The token must be updated."));
    }
    Ok(index)
}

fn signature_auth(
    state: &State,
    request: &Incoming,
    authorization: &str,
) -> Result<usize, HwError> {
    let parsed = parse(authorization)
        .filter(|_| authorization.starts_with(SCHEME))
        .ok_or_else(|| HwError::unauthenticated("Authorization format incorrect"))?;
    let date = request
        .header("x-sdk-date")
        .ok_or_else(|| HwError::unauthenticated("x-sdk-date is missing"))?;
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    let signed_at = PrimitiveDateTime::parse(date, format)
        .map_err(|_| HwError::unauthenticated("x-sdk-date is not well formatted"))?
        .assume_utc();
    if !within_skew(signed_at, state.settings.max_clock_skew) {
        return Err(HwError::unauthenticated("x-sdk-date is out of the allowed time range"));
    }
    let (index, account) = state
        .huawei
        .accounts
        .iter()
        .enumerate()
        .find(|(_, account)| account.access_key.as_deref() == Some(parsed.access_key.as_str()))
        .ok_or_else(|| HwError::unauthenticated("access key not found"))?;
    let token = request.header("x-security-token");
    if account.security_token.as_deref() != token {
        return Err(HwError::unauthenticated("security token invalid"));
    }
    // Headers the gateway requires to be covered by the signature.
    let must_sign = ["host", "x-sdk-date", "x-security-token", "x-project-id"];
    let unsigned = must_sign.iter().any(|name| {
        request.headers.contains_key(*name)
            && !parsed.signed_headers.iter().any(|signed| signed == name)
    });
    if unsigned || !parsed.signed_headers.iter().any(|name| name == "host") {
        return Err(HwError::unauthenticated("verify aksk signature fail"));
    }
    let mut headers = Vec::new();
    for name in &parsed.signed_headers {
        let value = request
            .header(name)
            .ok_or_else(|| HwError::unauthenticated("verify aksk signature fail"))?;
        headers.push((name.clone(), value.to_owned()));
    }
    let query = decode_pairs(request.query.as_bytes());
    let canonical =
        canonical_request(&request.method, &request.path, &query, &headers, &request.body);
    let secret = account.secret_key.as_deref().unwrap_or_default();
    if signature(secret, date, &canonical) == parsed.signature {
        Ok(index)
    } else {
        Err(HwError::unauthenticated("verify aksk signature fail"))
    }
}
