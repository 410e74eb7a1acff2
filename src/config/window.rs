//! `suspend_window = { from?, until }` or `{ every, duration, time_zone }`:
//! the evaluated object read into a [`SuspendWindow`], each wrong field
//! reported at its own key or value when the object is written out in the
//! block (at the whole value when it comes from a variable or a function).

use std::collections::BTreeMap;

use hcl::Value;
use hcl::edit::Span as _;
use hcl::edit::expr::{Expression, ObjectKey};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::model::{Cron, SuspendWindow, Zone, parse_go_duration};

use super::diag::Diagnostics;
use super::fields::Field;
use super::functions::type_name;
use super::schema::did_you_mean;
use super::source::{SourceMap, Span};

const FIXED: [&str; 2] = ["from", "until"];
const RECURRING: [&str; 3] = ["every", "duration", "time_zone"];
const SHAPE: &str = "A suspend window is either fixed, { from = \"2026-12-05T02:00:00+08:00\", until = \"2026-12-05T04:00:00+08:00\" } (from is optional), or recurring, { every = \"0 2 * * SUN\", duration = \"2h\", time_zone = \"Asia/Shanghai\" }.";

/// Where each key of a literal object and its value were written.
struct Written {
    keys: BTreeMap<String, (Span, Span)>,
}

impl Written {
    /// The spans of `expression`'s keys, when it is a literal object.
    fn of(expression: Option<&Expression>, field: &Field) -> Self {
        let file = field.span.file;
        let mut keys = BTreeMap::new();
        if let Some(Expression::Object(object)) = expression {
            for (key, value) in object {
                let name = match key {
                    ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                    ObjectKey::Expression(Expression::String(text)) => text.as_str().to_owned(),
                    ObjectKey::Expression(_) => continue,
                };
                let span = |range: Option<std::ops::Range<usize>>| {
                    range.map_or_else(|| field.span.clone(), |bytes| Span::new(file, bytes))
                };
                keys.insert(name, (span(key.span()), span(value.expr().span())));
            }
        }
        Written { keys }
    }

    /// The span of `name`'s key, else the whole value's.
    fn key<'a>(&'a self, name: &str, field: &'a Field) -> &'a Span {
        self.keys.get(name).map_or(&field.span, |(key, _)| key)
    }

    /// The span of `name`'s value, else the whole value's.
    fn value<'a>(&'a self, name: &str, field: &'a Field) -> &'a Span {
        self.keys.get(name).map_or(&field.span, |(_, value)| value)
    }
}

/// Reads the evaluated `suspend_window` argument; `None` after reporting
/// what is wrong. `expression` is the argument as written, for locations.
pub(super) fn decode(
    field: &Field,
    expression: Option<&Expression>,
    sources: &SourceMap,
    diagnostics: &mut Diagnostics,
) -> Option<SuspendWindow> {
    let Value::Object(entries) = &field.value else {
        let detail = format!(
            "Inappropriate value for argument \"suspend_window\": object required, got {}. {SHAPE}",
            type_name(&field.value)
        );
        diagnostics.push(sources.error(&field.span, "Incorrect argument value type", detail));
        return None;
    };
    let written = Written::of(expression, field);
    let errors_before = diagnostics.error_count();
    let known = FIXED.into_iter().chain(RECURRING);
    for name in entries.keys().filter(|name| !known.clone().any(|k| k == name.as_str())) {
        let hint = did_you_mean(name, known.clone());
        let detail = format!("A suspend window has no \"{name}\".{hint} {SHAPE}");
        diagnostics.push(sources.error(written.key(name, field), "Unsupported argument", detail));
    }
    // A `null` field counts as not set, as for arguments.
    let set = |name: &str| entries.get(name).filter(|value| !value.is_null());
    let fixed = FIXED.into_iter().find(|name| set(name).is_some());
    let recurring = RECURRING.into_iter().find(|name| set(name).is_some());
    if let (Some(fixed), Some(recurring)) = (fixed, recurring) {
        let later =
            if written.key(fixed, field).bytes.start > written.key(recurring, field).bytes.start {
                fixed
            } else {
                recurring
            };
        let detail = format!(
            "\"{fixed}\" makes this window fixed and \"{recurring}\" recurring; it cannot be both. {SHAPE}"
        );
        diagnostics.push(sources.error(
            written.key(later, field),
            "Invalid suspend window",
            detail,
        ));
        return None;
    }
    let string = |name: &str, diagnostics: &mut Diagnostics| -> Option<String> {
        match set(name)? {
            Value::String(text) => Some(text.clone()),
            other => {
                let detail = format!(
                    "Inappropriate value for \"{name}\" in suspend_window: string required, got {}.",
                    type_name(other)
                );
                let span = written.value(name, field);
                diagnostics.push(sources.error(span, "Incorrect argument value type", detail));
                None
            }
        }
    };
    let missing = |name: &str, diagnostics: &mut Diagnostics| {
        let detail = format!("The suspend window needs \"{name}\". {SHAPE}");
        diagnostics.push(sources.error(&field.span, "Missing required argument", detail));
    };
    let shown = |text: &str| field.quote(text);
    let window = if recurring.is_some() {
        let read = |name: &str, diagnostics: &mut Diagnostics| {
            let text = string(name, diagnostics);
            if set(name).is_none() {
                missing(name, diagnostics);
            }
            text
        };
        let every = read("every", diagnostics).and_then(|text| {
            Cron::parse(&text)
                .map_err(|error| {
                    let span = written.value("every", field);
                    let detail = if field.sensitive {
                        "The schedule is not a five-field cron expression.".to_owned()
                    } else {
                        format!("Invalid cron schedule: {error}.")
                    };
                    diagnostics.push(sources.error(span, "Invalid schedule", detail));
                })
                .ok()
        });
        let duration = read("duration", diagnostics).and_then(|text| {
            parse_go_duration(&text)
                .map_err(|error| {
                    let detail = if field.sensitive {
                        format!("{} is not a duration such as \"2h\" or \"1h30m\".", shown(&text))
                    } else {
                        format!("{error}.")
                    };
                    diagnostics.push(sources.error(
                        written.value("duration", field),
                        "Invalid duration",
                        detail,
                    ));
                })
                .ok()
        });
        let time_zone = read("time_zone", diagnostics).and_then(|text| {
            Zone::get(&text)
                .map_err(|error| {
                    let detail = if field.sensitive {
                        format!("{} is not an IANA time zone name.", shown(&text))
                    } else {
                        format!("{error}.")
                    };
                    diagnostics.push(sources.error(
                        written.value("time_zone", field),
                        "Invalid time zone",
                        detail,
                    ));
                })
                .ok()
        });
        let window =
            SuspendWindow::Recurring { every: every?, duration: duration?, time_zone: time_zone? };
        if let Err(why) = window.check_overlap() {
            let span = written.value("duration", field);
            let detail = if field.sensitive {
                "The schedule opens a window before the last one closed: occurrences must not overlap.".to_owned()
            } else {
                format!("{why}.")
            };
            diagnostics.push(sources.error(span, "Overlapping suspend windows", detail));
            return None;
        }
        window
    } else {
        let instant = |name: &str, diagnostics: &mut Diagnostics| {
            let text = string(name, diagnostics)?;
            // Kept in UTC, as every time jobform shows or records.
            OffsetDateTime::parse(&text, &Rfc3339)
                .map(|at| at.to_offset(UtcOffset::UTC))
                .map_err(|_| {
                    let detail = format!(
                        "{} is not an RFC 3339 instant such as \"2026-12-05T02:00:00+08:00\" (a date, a time and an offset or Z).",
                        shown(&text)
                    );
                    diagnostics.push(sources.error(written.value(name, field), "Invalid instant", detail));
                })
                .ok()
        };
        let from = instant("from", diagnostics);
        let until = instant("until", diagnostics);
        if set("until").is_none() {
            missing("until", diagnostics);
        }
        if let (Some(from), Some(until)) = (from, until) {
            if until <= from {
                let detail = "The window closes (until) no later than it opens (from): until must come after from.";
                diagnostics.push(sources.error(
                    written.value("until", field),
                    "Invalid suspend window",
                    detail,
                ));
            }
        }
        SuspendWindow::Fixed { from, until: until? }
    };
    (diagnostics.error_count() == errors_before).then_some(window)
}
