//! The Huawei Cloud DRS v3 REST front-end, served under `/v3/{project_id}/jobs/`.
//!
//! Same two phases as the Alibaba side: `prepare` (route, authenticate,
//! throttle, pick a fault) then `execute` (run the operation).

mod auth;
mod error;
pub(crate) mod jobs;
mod operations;
pub(crate) mod signature;

use std::sync::Arc;
use std::time::Instant;

use self::error::HwError;
use self::operations::Operation;
use crate::exchange::{Delivery, Incoming, Reply, after_action, delay_before_action};
use crate::faults::FaultKind;
use crate::journal::{ItemError, JournalEntry, Outcome};
use crate::state::{Shared, State, lock};
use crate::world::Cloud;

/// A routed, authenticated, admitted request waiting to run.
struct Call {
    operation: Option<Operation>,
    project_id: String,
    jobs: Vec<String>,
    request_id: String,
    fault: Option<FaultKind>,
}

impl Call {
    fn name(&self) -> &'static str {
        self.operation.map(Operation::name).unwrap_or_default()
    }
}

/// Answers one request under `/v3/`.
pub(crate) async fn handle(shared: Shared, request: Incoming) -> Reply {
    let prepared = prepare(&mut lock(&shared), &request);
    let call = match prepared {
        Ok(call) => call,
        Err(reply) => return reply,
    };
    let held = Arc::clone(&lock(&shared).held);
    delay_before_action(call.fault, &held).await;
    execute(&mut lock(&shared), &call, &request)
}

fn prepare(state: &mut State, request: &Incoming) -> Result<Call, Reply> {
    let request_id = state.request_id().replace('-', "");
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    let (project_id, operation) = match segments.as_slice() {
        ["v3", project_id, "jobs", segment] => {
            ((*project_id).to_owned(), Operation::route(&request.method, segment))
        }
        ["v3", project_id, "jobs"] => {
            ((*project_id).to_owned(), Operation::route(&request.method, ""))
        }
        _ => (String::new(), None),
    };
    let mut call = Call {
        operation,
        project_id,
        jobs: operations::named_jobs(&request.body),
        request_id,
        fault: None,
    };
    if call.operation.is_none() {
        let error = HwError::gateway(
            404,
            "APIGW.0101",
            "The API does not exist or has not been published in the environment.",
        );
        return Err(refuse(state, &call, &error));
    }
    let account = match auth::authenticate(state, request, &call.project_id) {
        Ok(account) => account,
        Err(error) => return Err(refuse(state, &call, &error)),
    };
    let limited = state.limits.admit(Cloud::Huawei, call.name(), account, Instant::now()).is_err();
    if !limited {
        call.fault = state.faults.pick(&mut state.rng, Cloud::Huawei, call.name(), &call.jobs);
    }
    if limited || call.fault == Some(FaultKind::Throttled) {
        call.fault = None;
        let error = HwError::gateway(
            429,
            "APIGW.0308",
            "The throttling threshold has been reached: policy user over ratelimit, time:1 second",
        );
        return Err(refuse(state, &call, &error));
    }
    match call.fault {
        Some(kind @ FaultKind::ServerError { status }) => {
            let message = state.settings.error_message.as_deref().unwrap_or("Service abnormal.");
            let error = HwError::service(status, "DRS.M00004", message);
            let body = error.body(&call.request_id);
            Err(reply(
                state,
                &call,
                status,
                body.to_string().into_bytes(),
                (Outcome::Fault { kind }, false, Vec::new()),
                Delivery::Normal,
            ))
        }
        Some(kind @ FaultKind::ConnectionReset) => Err(reply(
            state,
            &call,
            0,
            Vec::new(),
            (Outcome::Fault { kind }, false, Vec::new()),
            Delivery::Reset,
        )),
        _ => Ok(call),
    }
}

fn execute(state: &mut State, call: &Call, request: &Incoming) -> Reply {
    let operation = call.operation.expect("prepare routed the request");
    let (status, body, result) =
        match operations::run(state, operation, &call.project_id, &request.body) {
            Ok(done) => (200, done.body, (Outcome::Accepted, done.took_effect, done.item_errors)),
            Err(error) => {
                let body = error.body(&call.request_id);
                (
                    error.status,
                    body.to_string().into_bytes(),
                    (Outcome::Rejected { code: error.code.to_owned() }, false, Vec::new()),
                )
            }
        };
    let (outcome, took_effect, item_errors) = result;
    let (outcome, delivery) = after_action(call.fault, outcome);
    reply(state, call, status, body, (outcome, took_effect, item_errors), delivery)
}

fn refuse(state: &mut State, call: &Call, error: &HwError) -> Reply {
    let body = error.body(&call.request_id).to_string().into_bytes();
    let outcome = Outcome::Rejected { code: error.code.to_owned() };
    reply(state, call, error.status, body, (outcome, false, Vec::new()), Delivery::Normal)
}

/// Journals the exchange and builds the reply (always with `X-Request-Id`).
fn reply(
    state: &mut State,
    call: &Call,
    status: u16,
    body: Vec<u8>,
    (outcome, took_effect, item_errors): (Outcome, bool, Vec<ItemError>),
    delivery: Delivery,
) -> Reply {
    state.journal.record(JournalEntry {
        seq: 0,
        at: state.clock.now(),
        cloud: Cloud::Huawei,
        action: call.name().to_owned(),
        jobs: call.jobs.clone(),
        outcome,
        took_effect,
        item_errors,
        http_status: if delivery == Delivery::Reset { 0 } else { status },
        request_id: call.request_id.clone(),
    });
    Reply { status, headers: vec![("x-request-id", call.request_id.clone())], body, delivery }
}
