//! Times and durations as people read them, the same in every output: to
//! the second, never finer.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// `2026-11-21T12:40:00Z`: RFC 3339 without fractional seconds, which the
/// clock gives but nobody reading a plan or a state needs.
pub fn timestamp(at: OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// `4s`, `2m 5s`, `5h 20m 3s`, `2h`, `2d 3h 0m 1s`: from the largest unit
/// that is not zero down to the smallest that is not, so a round figure
/// stays short and no second is lost. Negative durations read `0s`.
pub fn human_duration(duration: Duration) -> String {
    let seconds = duration.whole_seconds().max(0);
    let units = [
        (seconds / 86_400, "d"),
        (seconds / 3600 % 24, "h"),
        (seconds / 60 % 60, "m"),
        (seconds % 60, "s"),
    ];
    let Some(first) = units.iter().position(|&(n, _)| n > 0) else { return "0s".to_owned() };
    let last = units.iter().rposition(|&(n, _)| n > 0).unwrap_or(first);
    units[first..=last].iter().map(|(n, unit)| format!("{n}{unit}")).collect::<Vec<_>>().join(" ")
}

/// A cloud's limit as its documentation says it: "7 days", "24 hours",
/// "6 hours" (whole hours; [`human_duration`] would say "1d" for 24 hours).
pub fn limit_words(limit: Duration) -> String {
    let hours = limit.whole_hours();
    if hours % 24 == 0 && hours > 24 {
        format!("{} days", hours / 24)
    } else if hours == 1 {
        "1 hour".to_owned()
    } else {
        format!("{hours} hours")
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn limits_are_spelled_as_the_clouds_document_them() {
        assert_eq!(limit_words(Duration::days(7)), "7 days");
        assert_eq!(limit_words(Duration::hours(24)), "24 hours");
        assert_eq!(limit_words(Duration::hours(6)), "6 hours");
        assert_eq!(limit_words(Duration::hours(1)), "1 hour");
    }

    #[test]
    fn durations_are_to_the_second() {
        for (seconds, text) in [
            (-5, "0s"),
            (0, "0s"),
            (4, "4s"),
            (60, "1m"),
            (125, "2m 5s"),
            (3600, "1h"),
            (3725, "1h 2m 5s"),
            (5 * 3600 + 20 * 60 + 3, "5h 20m 3s"),
            (5 * 3600 + 3, "5h 0m 3s"),
            (51 * 3600, "2d 3h"),
            (2 * 86_400 + 1, "2d 0h 0m 1s"),
        ] {
            assert_eq!(human_duration(Duration::seconds(seconds)), text, "{seconds}");
        }
    }

    #[test]
    fn timestamps_drop_fractional_seconds() {
        assert_eq!(timestamp(datetime!(2026-12-01 10:06:13.080851482 UTC)), "2026-12-01T10:06:13Z");
    }
}
