//! The admin API under `/_emulator/` (a prefix neither cloud uses): journal,
//! clock, faults, held requests, rate limits and jobs. Same operations as the
//! library handle.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::faults::Fault;
use crate::journal::JournalEntry;
use crate::state::{JobView, Shared, lock};
use crate::world::RateLimit;

/// The admin routes.
pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/_emulator/journal", get(journal).delete(clear_journal))
        .route("/_emulator/clock", get(clock).post(advance))
        .route("/_emulator/faults", get(faults).post(inject).delete(clear_faults))
        .route("/_emulator/held", get(held).delete(release_held))
        .route(
            "/_emulator/rate-limits",
            axum::routing::post(set_rate_limit).delete(clear_rate_limits),
        )
        .route("/_emulator/jobs", get(jobs))
}

async fn journal(State(shared): State<Shared>) -> Json<Vec<JournalEntry>> {
    Json(lock(&shared).journal.entries())
}

async fn clear_journal(State(shared): State<Shared>) -> StatusCode {
    lock(&shared).journal.clear();
    StatusCode::NO_CONTENT
}

fn now_body(shared: &Shared) -> Json<Value> {
    let now = lock(shared).clock.now();
    let text = now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    Json(json!({ "now": text }))
}

async fn clock(State(shared): State<Shared>) -> Json<Value> {
    now_body(&shared)
}

/// `POST /_emulator/clock` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    advance_seconds: u64,
}

async fn advance(State(shared): State<Shared>, Json(advance): Json<Advance>) -> Json<Value> {
    lock(&shared).clock.advance(Duration::from_secs(advance.advance_seconds));
    now_body(&shared)
}

async fn faults(State(shared): State<Shared>) -> Json<Vec<Fault>> {
    Json(lock(&shared).faults.list())
}

async fn inject(State(shared): State<Shared>, Json(fault): Json<Fault>) -> StatusCode {
    lock(&shared).faults.inject(fault);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(shared): State<Shared>) -> StatusCode {
    lock(&shared).faults.clear();
    StatusCode::NO_CONTENT
}

async fn held(State(shared): State<Shared>) -> Json<Value> {
    Json(json!({ "held": lock(&shared).held.count() }))
}

async fn release_held(State(shared): State<Shared>) -> StatusCode {
    lock(&shared).held.release();
    StatusCode::NO_CONTENT
}

async fn set_rate_limit(State(shared): State<Shared>, Json(limit): Json<RateLimit>) -> StatusCode {
    lock(&shared).limits.set(&limit);
    StatusCode::NO_CONTENT
}

async fn clear_rate_limits(State(shared): State<Shared>) -> StatusCode {
    lock(&shared).limits.clear();
    StatusCode::NO_CONTENT
}

async fn jobs(State(shared): State<Shared>) -> Json<Vec<JobView>> {
    Json(lock(&shared).jobs())
}
