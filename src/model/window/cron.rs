//! Five-field cron schedules (`minute hour day-of-month month day-of-week`)
//! read in a time zone, as Vixie cron reads a crontab.
//!
//! Written here rather than taken from a crate: the maintained cron crate
//! built on jiff (`jiff-cron`, a port of `cron`) reads six or seven fields,
//! numbers the weekdays 1-7 from Sunday and requires both day fields to
//! match, where every crontab numbers them 0-7 and fires when either
//! restricted day field matches. Bridging those differences would be a
//! rewrite of the expression anyway.
//!
//! Daylight saving: a time the clocks skip (02:30 on the spring-forward
//! night in Europe/Berlin) fires at the same distance past the gap (03:30),
//! and a time the clocks repeat fires once, at its first occurrence, as
//! Vixie cron does.

use std::fmt;

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, Disambiguation, TimeZone};
use jiff::{Timestamp, ToSpan as _};

/// How far ahead a schedule is searched: 8 years holds a leap day whatever
/// the century rule, and a day-of-month that no month has never fires.
const SEARCH_DAYS: i32 = 8 * 366;

const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One field's allowed values, as a bit set (bit `n` set: `n` matches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Values(u64);

impl Values {
    fn contains(self, value: i8) -> bool {
        u8::try_from(value).is_ok_and(|value| value < 64 && self.0 & (1 << value) != 0)
    }

    fn iter(self, max: i8) -> impl Iterator<Item = i8> {
        (0..=max).filter(move |&n| self.0 & (1 << n) != 0)
    }
}

/// What each field is called and which values it takes.
struct FieldSpec {
    name: &'static str,
    min: u8,
    max: u8,
    names: &'static [&'static str],
    /// The value of `names[0]`.
    first_named: u8,
}

const FIELDS: [FieldSpec; 5] = [
    FieldSpec { name: "minute", min: 0, max: 59, names: &[], first_named: 0 },
    FieldSpec { name: "hour", min: 0, max: 23, names: &[], first_named: 0 },
    FieldSpec { name: "day-of-month", min: 1, max: 31, names: &[], first_named: 0 },
    FieldSpec { name: "month", min: 1, max: 12, names: &MONTHS, first_named: 1 },
    // 7 is Sunday too, folded onto 0 once parsed.
    FieldSpec { name: "day-of-week", min: 0, max: 7, names: &WEEKDAYS, first_named: 0 },
];

/// A parsed five-field cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    text: String,
    minutes: Values,
    hours: Values,
    days_of_month: Values,
    months: Values,
    weekdays: Values,
    /// Both day fields restricted (neither starts with `*`): a day matches
    /// when either does, as in every crontab.
    either_day: bool,
}

/// Why a cron expression was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CronError(String);

impl Cron {
    /// Parses `minute hour day-of-month month day-of-week`.
    ///
    /// # Errors
    ///
    /// A wrong number of fields, or a field with a value out of its range,
    /// an unknown name, a reversed range or a zero step; the message names
    /// the field. An expression that never fires (`0 0 31 2 *`) too.
    pub fn parse(text: &str) -> Result<Cron, CronError> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields.as_slice() else {
            return Err(CronError(format!(
                "a schedule has five fields (minute hour day-of-month month day-of-week, as in \"0 2 * * SUN\"), this one has {}",
                fields.len()
            )));
        };
        let mut weekdays = parse_field(weekday, &FIELDS[4])?;
        if weekdays.contains(7) {
            weekdays.0 = (weekdays.0 & !(1 << 7)) | 1;
        }
        let cron = Cron {
            text: fields.join(" "),
            minutes: parse_field(minute, &FIELDS[0])?,
            hours: parse_field(hour, &FIELDS[1])?,
            days_of_month: parse_field(day, &FIELDS[2])?,
            months: parse_field(month, &FIELDS[3])?,
            weekdays,
            either_day: !day.starts_with('*') && !weekday.starts_with('*'),
        };
        let fires_some_day = (1..=12).any(|month: i8| {
            let longest = if month == 2 {
                29
            } else {
                Date::new(2025, month, 1).map_or(31, Date::days_in_month)
            };
            cron.months.contains(month)
                && (cron.either_day || (1..=longest).any(|day| cron.days_of_month.contains(day)))
        });
        if !fires_some_day {
            return Err(CronError(format!(
                "\"{}\" names no day that exists: it never fires",
                cron.text
            )));
        }
        Ok(cron)
    }

    /// The first time strictly after `after` that the schedule fires, read
    /// in `zone`; `None` when it fires no more within the search horizon.
    pub fn next_after(&self, after: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        // Civil times before `after`'s fire before it, unless the clocks
        // went back within the last hours (a repeated hour puts an earlier
        // civil time at a later instant): then a few hours back are asked.
        let civil_after = zone.to_datetime(after);
        let lookback = 3.hours();
        let earlier = after.checked_sub(lookback).ok()?;
        let floor = if zone.to_offset(earlier) == zone.to_offset(after) {
            civil_after
        } else {
            civil_after.checked_sub(lookback).ok()?
        };
        // A skipped time fires later than the civil times after it (02:30
        // at 03:30, 03:00 at 03:00), so the soonest is kept until a time
        // outside any gap, or the next day, settles it.
        let mut shifted: Option<(Timestamp, Date)> = None;
        let mut day = floor.date();
        for _ in 0..SEARCH_DAYS {
            for civil in self.fires_on(day, floor) {
                let ambiguous = zone.to_ambiguous_timestamp(civil);
                let Ok(fire) = ambiguous.disambiguate(Disambiguation::Compatible) else {
                    continue;
                };
                if fire <= after {
                    continue;
                }
                if matches!(ambiguous.offset(), AmbiguousOffset::Gap { .. }) {
                    if shifted.is_none_or(|(soonest, _)| fire < soonest) {
                        shifted = Some((fire, day));
                    }
                    continue;
                }
                return Some(shifted.map_or(fire, |(soonest, _)| soonest.min(fire)));
            }
            if let Some((soonest, found_on)) = shifted {
                if day > found_on {
                    return Some(soonest);
                }
            }
            day = day.checked_add(1.day()).ok()?;
        }
        shifted.map(|(soonest, _)| soonest)
    }

    /// The civil times the schedule names on `day`, from `floor` on.
    fn fires_on(&self, day: Date, floor: DateTime) -> impl Iterator<Item = DateTime> + '_ {
        let matches = self.matches_day(day) && day >= floor.date();
        let first_hour = if day == floor.date() { floor.hour() } else { 0 };
        let hours = self.hours.iter(23).filter(move |&hour| matches && hour >= first_hour);
        hours.flat_map(move |hour| {
            let civil = self.minutes.iter(59).map(move |minute| day.at(hour, minute, 0, 0));
            civil.filter(move |&civil| civil >= floor)
        })
    }

    fn matches_day(&self, day: Date) -> bool {
        let weekday = day.weekday().to_sunday_zero_offset();
        let by_month_day = self.days_of_month.contains(day.day());
        let by_weekday = self.weekdays.contains(weekday);
        self.months.contains(day.month())
            && if self.either_day { by_month_day || by_weekday } else { by_month_day && by_weekday }
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One field: `*`, `N`, `N-M`, any of them `/STEP`, comma-separated.
fn parse_field(text: &str, spec: &FieldSpec) -> Result<Values, CronError> {
    let refuse = |why: String| CronError(format!("{} field \"{text}\": {why}", spec.name));
    let mut values = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u8 = step.parse().ok().filter(|&s| s > 0).ok_or_else(|| {
                    refuse(format!("the step \"{step}\" is not a whole number above 0"))
                })?;
                (range, step)
            }
            None => (part, 1),
        };
        let (low, high) = if range == "*" {
            (spec.min, spec.max)
        } else if let Some((low, high)) = range.split_once('-') {
            (value(low, spec).map_err(refuse)?, value(high, spec).map_err(refuse)?)
        } else {
            let low = value(range, spec).map_err(refuse)?;
            // `N/STEP` runs from N to the end of the range.
            (low, if part.contains('/') { spec.max } else { low })
        };
        if low > high {
            return Err(refuse(format!("the range {low}-{high} runs backwards")));
        }
        for n in (low..=high).step_by(usize::from(step)) {
            values |= 1 << n;
        }
    }
    Ok(Values(values))
}

/// One value: a number in range, or a name (`MON`, `jan`).
fn value(text: &str, spec: &FieldSpec) -> Result<u8, String> {
    let named = spec
        .names
        .iter()
        .position(|name| name.eq_ignore_ascii_case(text))
        .and_then(|index| u8::try_from(index).ok())
        .map(|index| index + spec.first_named);
    let number = named.or_else(|| text.parse::<u8>().ok()).ok_or_else(|| {
        if text.is_empty() {
            "a value is missing".to_owned()
        } else {
            format!("\"{text}\" is not a number{}", names_hint(spec))
        }
    })?;
    if number < spec.min || number > spec.max {
        return Err(format!("{number} is out of range {}-{}", spec.min, spec.max));
    }
    Ok(number)
}

fn names_hint(spec: &FieldSpec) -> String {
    match spec.names.first() {
        Some(first) => format!(
            " or a name from {} to {}",
            first.to_uppercase(),
            spec.names.last().map(|n| n.to_uppercase()).unwrap_or_default()
        ),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn next(cron: &str, after: &str, zone: &str) -> String {
        let zone = TimeZone::get(zone).unwrap();
        let fire = Cron::parse(cron).unwrap().next_after(at(after), &zone).unwrap();
        fire.to_zoned_datetime(zone).to_string()
    }

    #[test]
    fn fires_at_the_next_matching_minute() {
        assert_eq!(
            next("0 2 * * SUN", "2026-12-01T00:00:00Z", "Asia/Shanghai"),
            "2026-12-06T02:00:00+08:00[Asia/Shanghai]"
        );
        // Strictly after: the fire time itself is not "next".
        assert_eq!(
            next("0 2 * * 0", "2026-12-05T18:00:00Z", "Asia/Shanghai"),
            "2026-12-13T02:00:00+08:00[Asia/Shanghai]"
        );
        assert_eq!(
            next("*/15 9-17 * * mon-fri", "2026-12-04T17:50:00Z", "UTC"),
            "2026-12-07T09:00:00+00:00[UTC]"
        );
        assert_eq!(
            next("30 4 1 jan *", "2026-06-01T00:00:00Z", "UTC"),
            "2027-01-01T04:30:00+00:00[UTC]"
        );
        // 7 is Sunday as well as 0.
        assert_eq!(
            next("0 0 * * 7", "2026-12-01T00:00:00Z", "UTC"),
            "2026-12-06T00:00:00+00:00[UTC]"
        );
    }

    #[test]
    fn restricted_day_fields_match_either_as_in_crontab() {
        // The 13th, or any Friday: Friday 2026-12-04 comes first.
        assert_eq!(
            next("0 0 13 * FRI", "2026-12-01T00:00:00Z", "UTC"),
            "2026-12-04T00:00:00+00:00[UTC]"
        );
        // A starred day-of-week leaves the day-of-month alone in charge.
        assert_eq!(
            next("0 0 13 * *", "2026-12-01T00:00:00Z", "UTC"),
            "2026-12-13T00:00:00+00:00[UTC]"
        );
        // Leap days are found years ahead.
        assert_eq!(
            next("0 0 29 2 *", "2026-03-01T00:00:00Z", "UTC"),
            "2028-02-29T00:00:00+00:00[UTC]"
        );
    }

    #[test]
    fn a_skipped_time_fires_past_the_gap_and_a_repeated_one_once() {
        // Berlin skips 02:00-03:00 on 2027-03-28: 02:30 fires at 03:30 CEST.
        assert_eq!(
            next("30 2 * * *", "2027-03-27T12:00:00Z", "Europe/Berlin"),
            "2027-03-28T03:30:00+02:00[Europe/Berlin]"
        );
        // 02:00 and 03:00 are the same instant that night: one fire, then the next day's.
        let zone = TimeZone::get("Europe/Berlin").unwrap();
        let cron = Cron::parse("0 2,3 * * *").unwrap();
        let first = cron.next_after(at("2027-03-27T12:00:00Z"), &zone).unwrap();
        let second = cron.next_after(first, &zone).unwrap();
        assert_eq!(first.to_string(), "2027-03-28T01:00:00Z");
        assert_eq!(second.to_string(), "2027-03-29T00:00:00Z");
        // Berlin repeats 02:00-03:00 on 2027-10-31: 02:30 fires once, in summer time.
        let cron = Cron::parse("30 2 * * *").unwrap();
        let first = cron.next_after(at("2027-10-30T12:00:00Z"), &zone).unwrap();
        assert_eq!(
            first.to_zoned_datetime(zone.clone()).to_string(),
            "2027-10-31T02:30:00+02:00[Europe/Berlin]"
        );
        let second = cron.next_after(first, &zone).unwrap();
        assert_eq!(
            second.to_zoned_datetime(zone).to_string(),
            "2027-11-01T02:30:00+01:00[Europe/Berlin]"
        );
    }

    #[test]
    fn bad_expressions_name_the_field() {
        for (text, message) in [
            (
                "0 2 * *",
                "a schedule has five fields (minute hour day-of-month month day-of-week, as in \"0 2 * * SUN\"), this one has 4",
            ),
            ("60 2 * * *", "minute field \"60\": 60 is out of range 0-59"),
            ("0 24 * * *", "hour field \"24\": 24 is out of range 0-23"),
            ("0 2 0 * *", "day-of-month field \"0\": 0 is out of range 1-31"),
            (
                "0 2 * foo *",
                "month field \"foo\": \"foo\" is not a number or a name from JAN to DEC",
            ),
            (
                "0 2 * * SUNDAY",
                "day-of-week field \"SUNDAY\": \"SUNDAY\" is not a number or a name from SUN to SAT",
            ),
            ("0 5-2 * * *", "hour field \"5-2\": the range 5-2 runs backwards"),
            ("*/0 2 * * *", "minute field \"*/0\": the step \"0\" is not a whole number above 0"),
            ("0,,5 2 * * *", "minute field \"0,,5\": a value is missing"),
            ("0 0 31 2 *", "\"0 0 31 2 *\" names no day that exists: it never fires"),
        ] {
            assert_eq!(Cron::parse(text).unwrap_err().to_string(), message, "{text}");
        }
    }

    #[test]
    fn steps_and_lists_expand() {
        let cron = Cron::parse("5/20 1,3-5 * * *").unwrap();
        assert_eq!(cron.minutes.iter(59).collect::<Vec<_>>(), [5, 25, 45]);
        assert_eq!(cron.hours.iter(23).collect::<Vec<_>>(), [1, 3, 4, 5]);
    }
}
