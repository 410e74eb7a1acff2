//! The Alibaba Cloud DTS 2020-01-01 RPC front-end, served at `/`.
//!
//! A request goes through two phases under the state lock: `prepare`
//! (authenticate, throttle, pick a fault) and `execute` (run the action);
//! a `slow` fault sleeps between them without holding the lock.

pub(crate) mod actions;
mod auth;
pub(crate) mod error;
pub(crate) mod jobs;
mod params;
pub(crate) mod signature;

use std::sync::Arc;
use std::time::{Duration, Instant};

use self::error::{ApiError, Family};
use self::params::Params;
use crate::exchange::{Delivery, Incoming, Reply, after_action, delay_before_action};
use crate::faults::FaultKind;
use crate::journal::{JournalEntry, Outcome};
use crate::state::{Shared, State, lock};
use crate::world::Cloud;

/// The `x-acs-retry-after` of an injected throttling fault, in milliseconds.
const THROTTLED_RETRY_AFTER_MS: u64 = 100;

/// An authenticated, admitted request waiting to run.
struct Call {
    action: String,
    params: Params,
    family: Family,
    jobs: Vec<String>,
    request_id: String,
    host: String,
    fault: Option<FaultKind>,
}

/// Answers one Alibaba request.
pub(crate) async fn handle(shared: Shared, request: Incoming) -> Reply {
    let prepared = prepare(&mut lock(&shared), &request);
    let call = match prepared {
        Ok(call) => call,
        Err(reply) => return reply,
    };
    let held = Arc::clone(&lock(&shared).held);
    delay_before_action(call.fault, &held).await;
    execute(&mut lock(&shared), &call)
}

fn prepare(state: &mut State, request: &Incoming) -> Result<Call, Reply> {
    let request_id = match state.settings.alibaba_request_id.clone() {
        Some(fixed) => fixed,
        None => state.request_id().to_ascii_uppercase(),
    };
    let host = request.header("host").unwrap_or("dts.aliyuncs.com").to_owned();
    let params = auth::params_of(request);
    let jobs = actions::named_jobs(&params);
    let authenticated =
        auth::authenticate(state, request, params, |action| actions::family(action).is_some());
    let (mut call, account) = match authenticated {
        Ok(authenticated) => (
            Call {
                family: actions::family(&authenticated.action).unwrap_or(Family::Gateway),
                action: authenticated.action,
                params: authenticated.params,
                jobs,
                request_id,
                host,
                fault: None,
            },
            authenticated.account,
        ),
        Err((action, error)) => {
            let call = Call {
                action,
                params: Params::default(),
                family: Family::Gateway,
                jobs,
                request_id,
                host,
                fault: None,
            };
            return Err(refuse(state, &call, &error));
        }
    };
    if let Err(wait) = state.limits.admit(Cloud::Alibaba, &call.action, account, Instant::now()) {
        return Err(refuse(
            state,
            &Call { family: Family::Gateway, ..call },
            &ApiError::throttled(wait),
        ));
    }
    call.fault = state.faults.pick(&mut state.rng, Cloud::Alibaba, &call.action, &call.jobs);
    match call.fault {
        Some(FaultKind::Throttled) => Err(refuse(
            state,
            &Call { family: Family::Gateway, fault: None, ..call },
            &ApiError::throttled(Duration::from_millis(THROTTLED_RETRY_AFTER_MS)),
        )),
        Some(kind @ FaultKind::ServerError { status }) => {
            let error = ApiError::server(status, state.settings.error_message.as_deref());
            let body = error.body(Family::Gateway, &call.request_id, &call.host);
            Err(reply(
                state,
                &call,
                status,
                body.to_string().into_bytes(),
                Outcome::Fault { kind },
                false,
                Delivery::Normal,
            ))
        }
        Some(kind @ FaultKind::ConnectionReset) => {
            Err(reply(state, &call, 0, Vec::new(), Outcome::Fault { kind }, false, Delivery::Reset))
        }
        _ => Ok(call),
    }
}

fn execute(state: &mut State, call: &Call) -> Reply {
    let ran = actions::run(state, &call.action, &call.params, &call.request_id);
    let (status, body, outcome, took_effect) = match ran {
        Ok(done) => (200, done.body, Outcome::Accepted, done.took_effect),
        Err(error) => {
            let body = error.body(call.family, &call.request_id, &call.host);
            let outcome = Outcome::Rejected { code: error.code().to_owned() };
            (error.status(), body.to_string().into_bytes(), outcome, false)
        }
    };
    let (outcome, delivery) = after_action(call.fault, outcome);
    reply(state, call, status, body, outcome, took_effect, delivery)
}

/// Journals and renders an error in the call's family.
fn refuse(state: &mut State, call: &Call, error: &ApiError) -> Reply {
    let body = error.body(call.family, &call.request_id, &call.host);
    let mut answer = reply(
        state,
        call,
        error.status(),
        body.to_string().into_bytes(),
        Outcome::Rejected { code: error.code().to_owned() },
        false,
        Delivery::Normal,
    );
    if let Some(wait) = error.retry_after() {
        answer.headers.push(("x-acs-retry-after", wait.as_millis().max(1).to_string()));
    }
    answer
}

/// Journals the exchange and builds the reply.
fn reply(
    state: &mut State,
    call: &Call,
    status: u16,
    body: Vec<u8>,
    outcome: Outcome,
    took_effect: bool,
    delivery: Delivery,
) -> Reply {
    state.journal.record(JournalEntry {
        seq: 0,
        at: state.clock.now(),
        cloud: Cloud::Alibaba,
        action: call.action.clone(),
        jobs: call.jobs.clone(),
        outcome,
        took_effect,
        item_errors: Vec::new(),
        http_status: if delivery == Delivery::Reset { 0 } else { status },
        request_id: call.request_id.clone(),
    });
    Reply { status, headers: Vec::new(), body, delivery }
}
