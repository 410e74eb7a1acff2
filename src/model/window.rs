//! Maintenance windows (`suspend_window`): when a job is declared paused
//! whatever its `state` says. A pure model: the phase of a window is a
//! function of `now`, which the caller passes in.
//!
//! The project's times are `time::OffsetDateTime`; time zones and their
//! daylight-saving rules come from `jiff`, converted at this boundary
//! through unix nanoseconds.

mod cron;

use std::fmt;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use time::{Duration, OffsetDateTime};

pub use self::cron::{Cron, CronError};

/// A declared maintenance window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuspendWindow {
    /// `{ from?, until }`: once, between two instants.
    Fixed {
        /// When the window opens; `None`: it is open already.
        from: Option<OffsetDateTime>,
        /// When it closes.
        until: OffsetDateTime,
    },
    /// `{ every, duration, time_zone }`: each time the schedule fires, for
    /// `duration`.
    Recurring {
        /// When each window opens, read in `time_zone`.
        every: Cron,
        /// How long each stays open.
        duration: Duration,
        /// The zone `every` is read in.
        time_zone: Zone,
    },
}

/// Where `now` falls relative to a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowPhase {
    /// The next window has not opened yet.
    Upcoming {
        /// When it opens.
        opens_at: OffsetDateTime,
        /// When it closes again.
        closes_at: OffsetDateTime,
    },
    /// A window is open: the job is to be paused.
    Open {
        /// When it opened (`None`: a fixed window without `from`).
        opened_at: Option<OffsetDateTime>,
        /// When it closes.
        closes_at: OffsetDateTime,
    },
    /// The (fixed) window is over and no other follows.
    Ended {
        /// When it closed.
        closed_at: OffsetDateTime,
    },
}

impl WindowPhase {
    /// Whether the job is to be paused now.
    pub fn is_open(self) -> bool {
        matches!(self, WindowPhase::Open { .. })
    }

    /// When the phase changes next: the opening of an upcoming window, the
    /// closing of an open one; `None` once ended.
    pub fn next_edge(self) -> Option<OffsetDateTime> {
        match self {
            WindowPhase::Upcoming { opens_at, .. } => Some(opens_at),
            WindowPhase::Open { closes_at, .. } => Some(closes_at),
            WindowPhase::Ended { .. } => None,
        }
    }
}

impl SuspendWindow {
    /// The phase of the window at `now`.
    pub fn at(&self, now: OffsetDateTime) -> WindowPhase {
        match self {
            SuspendWindow::Fixed { from, until } => match from {
                _ if now >= *until => WindowPhase::Ended { closed_at: *until },
                Some(from) if now < *from => {
                    WindowPhase::Upcoming { opens_at: *from, closes_at: *until }
                }
                _ => WindowPhase::Open { opened_at: *from, closes_at: *until },
            },
            SuspendWindow::Recurring { every, duration, time_zone } => {
                // Occurrences never overlap (see `check_overlap`), so the
                // only one that can be open is the first after `now - duration`.
                let fire = every
                    .next_after(to_timestamp(now - *duration), &time_zone.zone)
                    .map(from_timestamp);
                match fire {
                    Some(opened) if opened <= now => {
                        WindowPhase::Open { opened_at: Some(opened), closes_at: opened + *duration }
                    }
                    Some(opens_at) => {
                        WindowPhase::Upcoming { opens_at, closes_at: opens_at + *duration }
                    }
                    // Only at the end of the calendar.
                    None => WindowPhase::Ended { closed_at: now },
                }
            }
        }
    }

    /// When the first window open at `since` or opening after it closes:
    /// when a job paused at `since` was to run again. `None` when no window
    /// closes after `since` (a fixed one closed before).
    pub fn first_close_after(&self, since: OffsetDateTime) -> Option<OffsetDateTime> {
        // The window open at `since`, or else the next to open, is the one
        // [`SuspendWindow::at`] finds: its close is the answer.
        match self.at(since) {
            WindowPhase::Upcoming { closes_at, .. } | WindowPhase::Open { closes_at, .. } => {
                Some(closes_at)
            }
            WindowPhase::Ended { .. } => None,
        }
    }

    /// How long each opening keeps the job paused, when the declaration
    /// says so (a recurring window's `duration`, a fixed window's `until -
    /// from`); `None` for a fixed window without `from`.
    pub fn declared_length(&self) -> Option<Duration> {
        match self {
            SuspendWindow::Fixed { from, until } => from.map(|from| *until - from),
            SuspendWindow::Recurring { duration, .. } => Some(*duration),
        }
    }

    /// Refuses a recurring window whose occurrences overlap (one opens
    /// before the last closed), over a year of its schedule: each
    /// occurrence must be a window of its own, or none would say when the
    /// job resumes. Daylight saving can shorten a gap: `0 2 * * *` for
    /// `23h30m` overlaps on the night the clocks go forward.
    ///
    /// # Errors
    ///
    /// The two overlapping occurrences, in words.
    pub fn check_overlap(&self) -> Result<(), String> {
        let SuspendWindow::Recurring { every, duration, time_zone } = self else { return Ok(()) };
        // A fixed year, so validating the same file always says the same.
        let start: Timestamp = "2026-01-01T00:00:00Z".parse().expect("a valid instant");
        let end = start + jiff::SignedDuration::from_hours(366 * 24);
        let mut previous = every.next_after(start, &time_zone.zone);
        while let Some(opens) = previous.filter(|&t| t < end) {
            let Some(next) = every.next_after(opens, &time_zone.zone) else { break };
            if from_timestamp(next) - from_timestamp(opens) < *duration {
                let zoned = |t: Timestamp| {
                    t.to_zoned_datetime(time_zone.zone.clone())
                        .strftime("%Y-%m-%d %H:%M %Z")
                        .to_string()
                };
                return Err(format!(
                    "\"{every}\" opens a window at {} and the next at {}, less than the duration ({}) apart: occurrences must not overlap",
                    zoned(opens),
                    zoned(next),
                    go_duration(*duration)
                ));
            }
            previous = Some(next);
        }
        Ok(())
    }
}

/// An IANA time zone, with the name it was given by.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    zone: TimeZone,
}

impl Zone {
    /// The zone named `name` (`Europe/Berlin`, `UTC`).
    ///
    /// # Errors
    ///
    /// The name is not in the time-zone database jobform carries.
    pub fn get(name: &str) -> Result<Zone, String> {
        TimeZone::get(name).map(|zone| Zone { name: name.to_owned(), zone }).map_err(|_| {
            format!("\"{name}\" is not an IANA time zone name such as \"Europe/Berlin\" or \"UTC\"")
        })
    }

    /// The name, as configured.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Parses a Go-style duration: `2h`, `90m`, `1h30m`, `45s`, positive, in
/// whole hours, minutes and seconds.
///
/// # Errors
///
/// Anything else, in words.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let refuse = || {
        format!(
            "\"{text}\" is not a duration: write hours, minutes and seconds as in \"2h\", \"90m\" or \"1h30m\""
        )
    };
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(refuse)?;
        let number: i64 = rest[..digits].parse().map_err(|_| refuse())?;
        let unit = match rest[digits..].chars().next() {
            Some('h') => Duration::HOUR,
            Some('m') => Duration::MINUTE,
            Some('s') => Duration::SECOND,
            _ => return Err(refuse()),
        };
        total = number
            .checked_mul(unit.whole_seconds())
            .and_then(|s| total.checked_add(Duration::seconds(s)))
            .ok_or_else(refuse)?;
        rest = &rest[digits + 1..];
    }
    if total <= Duration::ZERO {
        return Err(format!("\"{text}\" is not a duration above zero"));
    }
    Ok(total)
}

/// `1h30m`: a duration as [`parse_go_duration`] reads it back.
pub fn go_duration(duration: Duration) -> String {
    let seconds = duration.whole_seconds();
    let parts = [(seconds / 3600, "h"), (seconds / 60 % 60, "m"), (seconds % 60, "s")];
    let text = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect::<Vec<_>>()
        .concat();
    if text.is_empty() { "0s".to_owned() } else { text }
}

fn to_timestamp(at: OffsetDateTime) -> Timestamp {
    Timestamp::from_nanosecond(at.unix_timestamp_nanos()).unwrap_or(if at.unix_timestamp() < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

fn from_timestamp(at: Timestamp) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(at.as_nanosecond())
        .expect("jiff's range lies within time's")
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn recurring(every: &str, duration: &str, zone: &str) -> SuspendWindow {
        SuspendWindow::Recurring {
            every: Cron::parse(every).unwrap(),
            duration: parse_go_duration(duration).unwrap(),
            time_zone: Zone::get(zone).unwrap(),
        }
    }

    #[test]
    fn a_fixed_window_is_upcoming_then_open_then_ended() {
        let from = datetime!(2026-12-05 02:00 +08:00);
        let until = datetime!(2026-12-05 04:00 +08:00);
        let window = SuspendWindow::Fixed { from: Some(from), until };
        assert_eq!(
            window.at(from - Duration::SECOND),
            WindowPhase::Upcoming { opens_at: from, closes_at: until }
        );
        assert_eq!(window.at(from), WindowPhase::Open { opened_at: Some(from), closes_at: until });
        assert_eq!(window.at(until - Duration::SECOND).next_edge(), Some(until));
        assert_eq!(window.at(until), WindowPhase::Ended { closed_at: until });
        assert_eq!(window.at(until).next_edge(), None);
        let open_now = SuspendWindow::Fixed { from: None, until };
        assert_eq!(
            open_now.at(datetime!(2026-01-01 00:00 UTC)),
            WindowPhase::Open { opened_at: None, closes_at: until }
        );
    }

    #[test]
    fn a_recurring_window_opens_at_each_fire_for_its_duration() {
        let window = recurring("0 2 * * SUN", "2h", "Asia/Shanghai");
        // Sunday 2026-12-06 02:00 +08:00 is Saturday 18:00 UTC.
        let opens = datetime!(2026-12-05 18:00 UTC);
        let closes = datetime!(2026-12-05 20:00 UTC);
        assert_eq!(
            window.at(datetime!(2026-12-01 00:00 UTC)),
            WindowPhase::Upcoming { opens_at: opens, closes_at: closes }
        );
        assert_eq!(
            window.at(opens),
            WindowPhase::Open { opened_at: Some(opens), closes_at: closes }
        );
        assert_eq!(
            window.at(closes - Duration::SECOND),
            WindowPhase::Open { opened_at: Some(opens), closes_at: closes }
        );
        assert_eq!(
            window.at(closes),
            WindowPhase::Upcoming {
                opens_at: opens + Duration::weeks(1),
                closes_at: closes + Duration::weeks(1)
            }
        );
    }

    #[test]
    fn a_recurring_window_follows_daylight_saving_time() {
        // 01:00 Berlin is 00:00 UTC in winter, 23:00 UTC the day before in summer.
        let window = recurring("0 1 * * SUN", "3h", "Europe/Berlin");
        let before = datetime!(2027-03-22 00:00 UTC);
        assert_eq!(
            window.at(before),
            WindowPhase::Upcoming {
                opens_at: datetime!(2027-03-28 00:00 UTC),
                closes_at: datetime!(2027-03-28 03:00 UTC),
            }
        );
        assert_eq!(
            window.at(datetime!(2027-03-29 00:00 UTC)).next_edge(),
            Some(datetime!(2027-04-03 23:00 UTC))
        );
        // The duration is elapsed time: 3 hours across the gap close at 05:00 CEST, not 04:00.
        assert_eq!(
            window.at(datetime!(2027-03-28 02:59 UTC)),
            WindowPhase::Open {
                opened_at: Some(datetime!(2027-03-28 00:00 UTC)),
                closes_at: datetime!(2027-03-28 03:00 UTC),
            }
        );
    }

    #[test]
    fn the_first_close_after_a_pause_is_when_the_job_was_to_resume() {
        let until = datetime!(2026-12-05 04:00 UTC);
        let fixed = SuspendWindow::Fixed { from: None, until };
        assert_eq!(fixed.first_close_after(until - Duration::HOUR), Some(until));
        assert_eq!(fixed.first_close_after(until), None);
        let weekly = recurring("0 2 * * SUN", "2h", "UTC");
        // Paused inside the 2026-12-06 window, or before it: that window's close.
        let close = datetime!(2026-12-06 04:00 UTC);
        assert_eq!(weekly.first_close_after(datetime!(2026-12-06 03:00 UTC)), Some(close));
        assert_eq!(weekly.first_close_after(datetime!(2026-12-01 00:00 UTC)), Some(close));
        assert_eq!(weekly.first_close_after(close), Some(datetime!(2026-12-13 04:00 UTC)));
    }

    #[test]
    fn overlapping_occurrences_are_refused() {
        assert_eq!(recurring("0 2 * * *", "23h", "Europe/Berlin").check_overlap(), Ok(()));
        assert_eq!(
            recurring("0 2 * * *", "23h30m", "Europe/Berlin").check_overlap(),
            Err("\"0 2 * * *\" opens a window at 2026-03-29 03:00 CEST and the next at 2026-03-30 02:00 CEST, less than the duration (23h30m) apart: occurrences must not overlap".to_owned())
        );
        assert!(recurring("*/5 * * * *", "5m", "UTC").check_overlap().is_ok());
        assert!(recurring("*/5 * * * *", "6m", "UTC").check_overlap().is_err());
    }

    #[test]
    fn go_durations_parse_and_print_back() {
        for (text, seconds, printed) in [
            ("2h", 7200, "2h"),
            ("90m", 5400, "1h30m"),
            ("1h30m", 5400, "1h30m"),
            ("45s", 45, "45s"),
            ("1h0m5s", 3605, "1h5s"),
        ] {
            let duration = parse_go_duration(text).unwrap();
            assert_eq!(duration.whole_seconds(), seconds, "{text}");
            assert_eq!(go_duration(duration), printed, "{text}");
        }
        for bad in ["", "2", "h", "2d", "1.5h", "-2h", "2h ", "0h"] {
            assert!(parse_go_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert_eq!(Zone::get("Europe/Berlin").unwrap().name(), "Europe/Berlin");
        assert!(Zone::get("Mars/Olympus").is_err());
    }
}
