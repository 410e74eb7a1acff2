//! Human rendering of the state and of job records.

use std::io::{self, Write};

use crate::model::{Address, timestamp};
use crate::provider::describe;
use crate::render::{Palette, Terminal, plural};
use crate::state::{AuditEntry, JobRecord, PauseSource, State};

/// The whole state: a header, every job, the size of the audit log.
pub fn state(
    out: &mut dyn Write,
    path: &str,
    state: &State,
    audit: &[AuditEntry],
    palette: Palette,
) -> io::Result<()> {
    writeln!(
        out,
        "{} {} (serial {}, lineage {}, written by jobform {})",
        palette.strong("State:"),
        Terminal(path),
        state.serial,
        state.lineage,
        state.jobform_version
    )?;
    if state.jobs.is_empty() {
        writeln!(out, "\nNo jobs are recorded.")?;
    }
    for (address, record) in &state.jobs {
        writeln!(out)?;
        job(out, address, record, palette)?;
    }
    audit_log(out, audit, palette)
}

/// How many audit entries `show` prints; `show --json` has them all.
const AUDIT_SHOWN: usize = 50;

/// The audit log, newest last: when, what, the outcome, who and why.
fn audit_log(out: &mut dyn Write, audit: &[AuditEntry], palette: Palette) -> io::Result<()> {
    if audit.is_empty() {
        return writeln!(out, "\n{} empty.", palette.strong("Audit log:"));
    }
    writeln!(
        out,
        "\n{} {}, oldest first:",
        palette.strong("Audit log:"),
        plural(audit.len(), "record")
    )?;
    let shown = audit.len().min(AUDIT_SHOWN);
    if shown < audit.len() {
        writeln!(
            out,
            "  … {} not shown (`jobform show --json` lists them all)",
            plural(audit.len() - shown, "earlier record")
        )?;
    }
    for entry in &audit[audit.len() - shown..] {
        let request = super::request_suffix(entry.request_id.as_deref());
        writeln!(
            out,
            "  {}  {} {}: {}{request}",
            timestamp(entry.at),
            entry.verb.label(),
            palette.strong(Terminal(&entry.address)),
            entry.outcome.label()
        )?;
        let why =
            entry.message.as_deref().map(|m| format!(": \"{}\"", Terminal(m))).unwrap_or_default();
        writeln!(out, "      by {}{why}", Terminal(&entry.who))?;
        if let Some(detail) = &entry.detail {
            writeln!(out, "      {}", Terminal(detail))?;
        }
    }
    Ok(())
}

/// One job's record.
pub fn job(
    out: &mut dyn Write,
    address: &Address,
    record: &JobRecord,
    palette: Palette,
) -> io::Result<()> {
    writeln!(out, "{}", palette.strong(address))?;
    writeln!(out, "  id:          {}", Terminal(&record.id))?;
    writeln!(out, "  provider:    {}", record.provider)?;
    if describe(record.kind).two_way {
        writeln!(out, "  direction:   {}", record.direction)?;
    }
    writeln!(
        out,
        "  observed:    {} ({}) at {}",
        record.observed.state,
        Terminal(&record.observed.raw_status),
        timestamp(record.observed.at)
    )?;
    if let Some(paused) = &record.paused {
        let how = match paused.source {
            PauseSource::Jobform => "paused by jobform",
            PauseSource::FirstSeen => "first seen paused",
        };
        let mode = paused.pause_mode.map(|m| format!(", pause_mode {m}")).unwrap_or_default();
        writeln!(out, "  paused:      since {} ({how}{mode})", timestamp(paused.since))?;
    }
    if let Some(action) = &record.last_action {
        let request = super::request_suffix(action.request_id.as_deref());
        writeln!(
            out,
            "  last action: {} at {}: {}{request}",
            action.verb.label(),
            timestamp(action.at),
            action.outcome.label()
        )?;
    }
    Ok(())
}
