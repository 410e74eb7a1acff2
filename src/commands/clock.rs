//! jobform's idea of "now", read once per command: the system clock, or the
//! clock of an emulator (`JOBFORM_CLOCK_URL`, which `jobform emulator run`
//! sets for the command it runs). Tests move time by advancing the
//! emulator's clock, never by sleeping, and maintenance windows must open
//! and close on that clock, so every time a command plans or records
//! reads this one seam.

use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::apply::Timer;
use crate::error::Error;

/// The environment variable naming an emulator whose clock jobform follows.
pub(crate) const CLOCK_URL_VARIABLE: &str = "JOBFORM_CLOCK_URL";

/// The time a command works with: the system clock shifted by how far the
/// followed emulator's clock is from it. Emulated time only moves with real
/// time between explicit advances, so one reading at the start of a command
/// holds for the whole command.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    offset: time::Duration,
}

impl Clock {
    /// The system clock, or the emulator's at `$JOBFORM_CLOCK_URL`.
    ///
    /// # Errors
    ///
    /// [`Error::Clock`] when the emulator cannot be asked or answers
    /// something else than a time.
    pub(crate) fn from_env(runtime: &tokio::runtime::Runtime) -> Result<Clock, Error> {
        let Some(url) = std::env::var(CLOCK_URL_VARIABLE).ok().filter(|url| !url.is_empty()) else {
            return Ok(Clock { offset: time::Duration::ZERO });
        };
        let url = format!("{}/_emulator/clock", url.trim_end_matches('/'));
        let emulated =
            runtime.block_on(emulator_now(&url)).map_err(|reason| Error::Clock { url, reason })?;
        Ok(Clock { offset: emulated - OffsetDateTime::now_utc() })
    }

    /// Now, on the followed clock.
    pub(crate) fn now(self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.offset
    }
}

impl Timer for Clock {
    fn now(&self) -> OffsetDateTime {
        Clock::now(*self)
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}

/// `GET {url}` (an emulator's `/_emulator/clock`): `{"now": "RFC 3339"}`.
async fn emulator_now(url: &str) -> Result<OffsetDateTime, String> {
    #[derive(serde::Deserialize)]
    struct Reading {
        now: String,
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|error| error.to_string())?;
    let response = client.get(url).send().await.map_err(|error| error.to_string())?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the emulator answered {status}"));
    }
    let reading: Reading = response.json().await.map_err(|error| error.to_string())?;
    OffsetDateTime::parse(&reading.now, &Rfc3339)
        .map_err(|_| format!("\"{}\" is not an RFC 3339 time", reading.now))
}
