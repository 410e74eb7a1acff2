//! The Ctrl-C flag: the command's signal handler raises it, the engine checks
//! it before starting anything new and stops waiting when it is raised.

use tokio::sync::watch;

/// A raise-once flag that can also be awaited.
#[derive(Debug)]
pub struct Interrupt {
    raised: watch::Sender<bool>,
}

impl Default for Interrupt {
    fn default() -> Self {
        Interrupt { raised: watch::Sender::new(false) }
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

    /// Completes once the flag is raised.
    pub async fn raised(&self) {
        let mut receiver = self.raised.subscribe();
        // The sender lives as long as `self`, so the wait cannot fail.
        let _ = receiver.wait_for(|raised| *raised).await;
    }
}
