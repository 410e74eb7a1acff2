//! The cloud-neutral shape of one HTTP exchange: the request as received and
//! the reply to send, including how an injected fault bends its delivery.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::faults::FaultKind;
use crate::journal::Outcome;

/// A request as both cloud front-ends read it.
#[derive(Debug)]
pub(crate) struct Incoming {
    /// HTTP method, upper-case.
    pub(crate) method: String,
    /// Path without the query.
    pub(crate) path: String,
    /// Raw query string (without `?`).
    pub(crate) query: String,
    /// Request headers.
    pub(crate) headers: HeaderMap,
    /// Raw body.
    pub(crate) body: Bytes,
}

impl Incoming {
    /// A header's value, when present and valid text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// What to send back.
#[derive(Debug)]
pub(crate) struct Reply {
    /// HTTP status.
    pub(crate) status: u16,
    /// Extra headers (content type is always JSON).
    pub(crate) headers: Vec<(&'static str, String)>,
    /// JSON body.
    pub(crate) body: Vec<u8>,
    /// How an injected fault bends the delivery.
    pub(crate) delivery: Delivery,
}

/// How a reply is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Normally.
    Normal,
    /// Not at all: the TCP connection is reset.
    Reset,
    /// After this real delay.
    Delayed(Duration),
    /// With the body cut in half (invalid JSON).
    Truncated,
    /// As an HTML error page with this status instead of the reply.
    GatewayPage(u16),
}

/// The requests `slow` faults are delaying right now: how many (so a test can
/// wait until one is in flight instead of guessing a time) and a way to end
/// every such delay early (so a test need not wait it out).
#[derive(Debug, Default)]
pub(crate) struct Held {
    count: AtomicUsize,
    release: Notify,
}

impl Held {
    /// How many requests are being delayed.
    pub(crate) fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Ends the delay of every request being delayed now; they go on at once.
    pub(crate) fn release(&self) {
        self.release.notify_waiters();
    }
}

/// Counts a delayed request until its delay ends, however it ends (a request
/// whose connection is dropped mid-delay is dropped with it).
struct Holding<'a>(&'a Held);

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        self.0.count.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits out a `slow` fault before the action runs (the state lock is not
/// held), or until `held` is released.
pub(crate) async fn delay_before_action(fault: Option<FaultKind>, held: &Held) {
    if let Some(FaultKind::Slow { delay_ms }) = fault {
        // Registered before it is counted: a release seen after the count wakes it.
        let released = held.release.notified();
        held.count.fetch_add(1, Ordering::SeqCst);
        let _holding = Holding(held);
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(delay_ms)) => {}
            () = released => {}
        }
    }
}

/// How a fault that lets the action run bends the answer: the journal shows the
/// fault instead of the action's own outcome.
pub(crate) fn after_action(fault: Option<FaultKind>, outcome: Outcome) -> (Outcome, Delivery) {
    match fault {
        Some(kind @ FaultKind::TimeoutAfterEffect { delay_ms }) => {
            (Outcome::Fault { kind }, Delivery::Delayed(Duration::from_millis(delay_ms)))
        }
        Some(kind @ FaultKind::MalformedBody) => (Outcome::Fault { kind }, Delivery::Truncated),
        Some(kind @ FaultKind::GatewayPage { status }) => {
            (Outcome::Fault { kind }, Delivery::GatewayPage(status))
        }
        _ => (outcome, Delivery::Normal),
    }
}

/// Whether a client's signing timestamp is close enough to the host's real clock.
pub(crate) fn within_skew(signed_at: OffsetDateTime, max: Duration) -> bool {
    (OffsetDateTime::now_utc() - signed_at).unsigned_abs() <= max
}
