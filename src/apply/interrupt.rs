//! The Ctrl-C flag: the command's signal handler raises it, the engine checks
//! it before starting anything new and stops waiting when it is raised.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::watch;

/// A raise-once flag that can also be awaited, and the number of requests
/// in flight, so the handler can say what an interrupt waits for.
#[derive(Debug)]
pub struct Interrupt {
    raised: watch::Sender<bool>,
    in_flight: AtomicUsize,
}

impl Default for Interrupt {
    fn default() -> Self {
        Interrupt { raised: watch::Sender::new(false), in_flight: AtomicUsize::new(0) }
    }
}

impl Interrupt {
    /// A flag not raised yet.
    pub fn new() -> Self {
        Interrupt::default()
    }

    /// Raises the flag (idempotent).
    pub fn raise(&self) {
        self.raised.send_replace(true);
    }

    /// Whether the flag is raised.
    pub fn is_raised(&self) -> bool {
        *self.raised.borrow()
    }

    /// How many action requests are in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The engine's count of requests in flight.
    pub(super) fn set_in_flight(&self, count: usize) {
        self.in_flight.store(count, Ordering::Relaxed);
    }

    /// Completes once the flag is raised.
    pub async fn raised(&self) {
        let mut receiver = self.raised.subscribe();
        // The sender lives as long as `self`, so the wait cannot fail.
        let _ = receiver.wait_for(|raised| *raised).await;
    }
}
