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

/// The object being read, with where its parts were written.
struct Reader<'a> {
    field: &'a Field,
    entries: &'a hcl::Map<String, Value>,
    written: Written,
    sources: &'a SourceMap,
}

impl Reader<'_> {
    /// The entry `name`, unless absent or `null` (not set, as for arguments).
    fn set(&self, name: &str) -> Option<&Value> {
        self.entries.get(name).filter(|value| !value.is_null())
    }

    /// The string entry `name`, if set; another type is reported.
    fn string(&self, name: &str, diagnostics: &mut Diagnostics) -> Option<String> {
        match self.set(name)? {
            Value::String(text) => Some(text.clone()),
            other => {
                let detail = format!(
                    "Inappropriate value for \"{name}\" in suspend_window: string required, got {}.",
                    type_name(other)
                );
                let span = self.written.value(name, self.field);
                diagnostics.push(self.sources.error(span, "Incorrect argument value type", detail));
                None
            }
        }
    }

    /// Reports the required entry `name` when it is not set.
    fn require(&self, name: &str, diagnostics: &mut Diagnostics) {
        if self.set(name).is_none() {
            let detail = format!("The suspend window needs \"{name}\". {SHAPE}");
            diagnostics.push(self.sources.error(
                &self.field.span,
                "Missing required argument",
                detail,
            ));
        }
    }

    /// The string entry `name` read by `parse`. A refusal is reported at
    /// the entry's value with `parse`'s reason, or, when it gives none or
    /// the window is sensitive, as "… is not `what`" (the value masked).
    fn parsed<T>(
        &self,
        name: &str,
        summary: &str,
        what: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
        diagnostics: &mut Diagnostics,
    ) -> Option<T> {
        let text = self.string(name, diagnostics)?;
        parse(&text)
            .map_err(|why| {
                let detail = if self.field.sensitive || why.is_empty() {
                    format!("{} is not {what}.", self.field.quote(&text))
                } else {
                    format!("{why}.")
                };
                let span = self.written.value(name, self.field);
                diagnostics.push(self.sources.error(span, summary, detail));
            })
            .ok()
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
    let reader = Reader { field, entries, written: Written::of(expression, field), sources };
    let written = &reader.written;
    let errors_before = diagnostics.error_count();
    let known = FIXED.into_iter().chain(RECURRING);
    for name in entries.keys().filter(|name| !known.clone().any(|k| k == name.as_str())) {
        let hint = did_you_mean(name, known.clone());
        let detail = format!("A suspend window has no \"{name}\".{hint} {SHAPE}");
        diagnostics.push(sources.error(written.key(name, field), "Unsupported argument", detail));
    }
    let fixed = FIXED.into_iter().find(|name| reader.set(name).is_some());
    let recurring = RECURRING.into_iter().find(|name| reader.set(name).is_some());
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
        let span = written.key(later, field);
        diagnostics.push(sources.error(span, "Invalid suspend window", detail));
        return None;
    }
    let window = if recurring.is_some() {
        for name in RECURRING {
            reader.require(name, diagnostics);
        }
        let every = reader.parsed(
            "every",
            "Invalid schedule",
            "a five-field cron schedule such as \"0 2 * * SUN\"",
            |text| Cron::parse(text).map_err(|error| format!("Invalid cron schedule: {error}")),
            diagnostics,
        );
        let duration = reader.parsed(
            "duration",
            "Invalid duration",
            "a duration such as \"2h\" or \"1h30m\"",
            parse_go_duration,
            diagnostics,
        );
        let time_zone = reader.parsed(
            "time_zone",
            "Invalid time zone",
            "an IANA time zone name such as \"Europe/Berlin\"",
            Zone::get,
            diagnostics,
        );
        let window =
            SuspendWindow::Recurring { every: every?, duration: duration?, time_zone: time_zone? };
        if let Err(why) = window.check_overlap() {
            let detail = if field.sensitive {
                "The schedule opens a window before the last one closed: occurrences must not overlap.".to_owned()
            } else {
                format!("{why}.")
            };
            let span = written.value("duration", field);
            diagnostics.push(sources.error(span, "Overlapping suspend windows", detail));
            return None;
        }
        window
    } else {
        reader.require("until", diagnostics);
        let instant = |name: &str, diagnostics: &mut Diagnostics| {
            reader.parsed(
                name,
                "Invalid instant",
                "an RFC 3339 instant such as \"2026-12-05T02:00:00+08:00\" (a date, a time and an offset or Z)",
                // Kept in UTC, as every time jobform shows or records.
                |text| {
                    OffsetDateTime::parse(text, &Rfc3339)
                        .map(|at| at.to_offset(UtcOffset::UTC))
                        .map_err(|_| String::new())
                },
                diagnostics,
            )
        };
        let from = instant("from", diagnostics);
        let until = instant("until", diagnostics);
        if let (Some(from), Some(until)) = (from, until) {
            if until <= from {
                let detail = "The window closes (until) no later than it opens (from): until must come after from.";
                let span = written.value("until", field);
                diagnostics.push(sources.error(span, "Invalid suspend window", detail));
            }
        }
        SuspendWindow::Fixed { from, until: until? }
    };
    (diagnostics.error_count() == errors_before).then_some(window)
}
