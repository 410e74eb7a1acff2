//! Progress of an apply: one line per event for people (with a live view of
//! the actions in flight on a terminal), or JSON lines for machines. All are
//! [`ApplyHooks`], so the engine's events are all they see.
//!
//! JSON lines are `{"type": …, "data": {…}}` with `type` one of
//! `apply_start` (carries `format_version`), `apply_progress` (`wave_start`,
//! `action_sent`, `action_progress`), `apply_complete` (`action_complete`,
//! `job_forgotten`), `apply_errored` (`action_errored`, `job_skipped`) and
//! `change_summary`; `data.event` names the engine's event.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use crate::apply::{ApplyEvent, ApplyHooks, ApplyStatus, ApplySummary, short_duration};
use crate::model::{ActionVerb, Address};
use crate::render::{Palette, Terminal, plural};
use crate::state::ActionOutcome;

/// The version of the JSON lines' schema.
pub const APPLY_FORMAT_VERSION: &str = "1.0";

/// The summary line: `Apply complete: 3 suspended, 1 resumed, 0 stopped, 0 failed, 0 skipped.`
/// "complete" only when everything planned was done: a failure or a skip
/// makes it "finished with errors", so no log reader mistakes it for success.
pub fn summary_line(summary: &ApplySummary) -> String {
    let ApplySummary {
        suspended,
        resumed,
        stopped,
        pending,
        failed,
        skipped,
        forgotten,
        interrupted,
        status,
    } = summary;
    let mut counts = vec![
        format!("{suspended} suspended"),
        format!("{resumed} resumed"),
        format!("{stopped} stopped"),
        format!("{failed} failed"),
        format!("{skipped} skipped"),
    ];
    if *pending > 0 {
        counts.push(format!("{pending} pending"));
    }
    if *forgotten > 0 {
        counts.push(format!("{forgotten} forgotten"));
    }
    let how = if *interrupted {
        "Apply interrupted"
    } else {
        match status {
            ApplyStatus::Success if *skipped == 0 => "Apply complete",
            ApplyStatus::Success => "Apply finished, blocked jobs skipped (--skip-blocked)",
            ApplyStatus::Partial | ApplyStatus::Failed => "Apply finished with errors",
        }
    };
    format!("{how}: {}.", counts.join(", "))
}

fn doing(verb: ActionVerb) -> &'static str {
    match verb {
        ActionVerb::Suspend => "suspending",
        ActionVerb::Resume => "resuming",
        ActionVerb::Stop => "stopping",
    }
}

pub(super) fn done(verb: ActionVerb) -> &'static str {
    match verb {
        ActionVerb::Suspend => "suspended",
        ActionVerb::Resume => "resumed",
        ActionVerb::Stop => "stopped",
    }
}

/// One line per event, for a terminal or a log. Writing is best effort: a
/// closed output never stops an apply (the state records everything).
pub struct HumanProgress<'w> {
    out: &'w mut dyn Write,
    palette: Palette,
}

impl<'w> HumanProgress<'w> {
    /// Writes to `out` with `palette`.
    pub fn new(out: &'w mut dyn Write, palette: Palette) -> Self {
        HumanProgress { out, palette }
    }

    fn line(event: &ApplyEvent, palette: Palette) -> String {
        match event {
            ApplyEvent::ApplyStart { refresh_only: true, .. } => {
                "Recording the observed statuses (refresh only).".to_owned()
            }
            ApplyEvent::ApplyStart { waves, actions, refresh_only: false } => {
                format!("Applying {} in {}.", plural(*actions, "action"), plural(*waves, "wave"))
            }
            ApplyEvent::WaveStart { index, jobs } => {
                format!(
                    "Wave {}: re-read {}, acting on the unchanged ones.",
                    index + 1,
                    plural(jobs.len(), "job")
                )
            }
            ApplyEvent::ActionSent { address, verb, operation, request_id } => {
                let request = super::request_suffix(request_id.as_deref());
                format!("{}: {} ({operation}{request})", palette.strong(address), doing(*verb))
            }
            ApplyEvent::ActionProgress { address, verb, raw_status, elapsed } => format!(
                "{}: still {} ({}) [{} elapsed]",
                palette.strong(address),
                doing(*verb),
                Terminal(raw_status),
                short_duration(*elapsed)
            ),
            ApplyEvent::ActionComplete {
                address, verb, outcome: ActionOutcome::Pending, ..
            } => {
                format!("{}: {verb} accepted, not waited for (pending)", palette.strong(address))
            }
            ApplyEvent::ActionComplete { address, verb, raw_status, elapsed, .. } => format!(
                "{}: {} after {}{}",
                palette.strong(address),
                palette.added(done(*verb)),
                short_duration(*elapsed),
                raw_status
                    .as_deref()
                    .map(|raw| format!(" ({})", Terminal(raw)))
                    .unwrap_or_default()
            ),
            ApplyEvent::ActionErrored { address, verb, outcome, detail, .. } => format!(
                "{}: {} {}: {}",
                palette.strong(address),
                verb,
                palette.error(outcome.label()),
                Terminal(detail)
            ),
            ApplyEvent::ReadTrouble { jobs, error, retry_for } => {
                let cause = error.as_deref().map_or_else(
                    || "the cloud is not answering".to_owned(),
                    |error| format!("the status read failed: {}", Terminal(error)),
                );
                format!(
                    "{} {} being watched: {cause}; retrying for {}.",
                    palette.warning("Cannot read"),
                    plural(*jobs, "job"),
                    short_duration(*retry_for)
                )
            }
            ApplyEvent::JobSkipped { address, reason, detail } => {
                format!(
                    "{}: {} ({reason}): {}",
                    palette.strong(address),
                    palette.warning("skipped"),
                    Terminal(detail)
                )
            }
            ApplyEvent::JobForgotten { address } => format!(
                "{}: forgotten (dropped from the state; the job was not touched)",
                palette.strong(address)
            ),
            ApplyEvent::ChangeSummary(summary) => {
                let line = summary_line(summary);
                let line = if summary.status != ApplyStatus::Success || summary.interrupted {
                    palette.error(line)
                } else {
                    palette.strong(line)
                };
                format!("\n{line}")
            }
        }
    }
}

impl ApplyHooks for HumanProgress<'_> {
    fn event(&mut self, event: &ApplyEvent) {
        let line = HumanProgress::line(event, self.palette);
        let _ = writeln!(self.out, "{line}").and_then(|()| self.out.flush());
    }
}

/// A live view for a terminal: a spinner per action in flight showing the
/// job's current status, and the same lines as [`HumanProgress`] above them.
pub struct LiveProgress {
    bars: MultiProgress,
    spinners: BTreeMap<Address, ProgressBar>,
    palette: Palette,
}

impl LiveProgress {
    /// Draws on standard output with `palette`.
    pub fn new(palette: Palette) -> Self {
        LiveProgress {
            bars: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            spinners: BTreeMap::new(),
            palette,
        }
    }

    fn spinner(&mut self, address: &Address) -> &ProgressBar {
        let bars = &self.bars;
        self.spinners.entry(address.clone()).or_insert_with(|| {
            let bar = bars.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                    .expect("the template is valid"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        })
    }

    fn finish(&mut self, address: &Address) {
        if let Some(bar) = self.spinners.remove(address) {
            bar.finish_and_clear();
            self.bars.remove(&bar);
        }
    }
}

impl ApplyHooks for LiveProgress {
    fn event(&mut self, event: &ApplyEvent) {
        let line = HumanProgress::line(event, self.palette);
        match event {
            ApplyEvent::ActionSent { address, .. } | ApplyEvent::ActionProgress { address, .. } => {
                self.spinner(address).set_message(line);
            }
            ApplyEvent::ActionComplete { address, .. }
            | ApplyEvent::ActionErrored { address, .. } => {
                self.finish(address);
                let _ = self.bars.println(line);
            }
            ApplyEvent::ApplyStart { .. }
            | ApplyEvent::WaveStart { .. }
            | ApplyEvent::ReadTrouble { .. }
            | ApplyEvent::JobForgotten { .. }
            | ApplyEvent::JobSkipped { .. }
            | ApplyEvent::ChangeSummary(_) => {
                let _ = self.bars.println(line);
            }
        }
    }
}

/// JSON lines, one per event.
pub struct JsonProgress<'w> {
    out: &'w mut dyn Write,
}

impl<'w> JsonProgress<'w> {
    /// Writes to `out`.
    pub fn new(out: &'w mut dyn Write) -> Self {
        JsonProgress { out }
    }

    /// The line of one event.
    pub fn message(event: &ApplyEvent) -> Value {
        let mut data = serde_json::to_value(event).expect("events serialize");
        let name = data
            .as_object_mut()
            .and_then(|fields| fields.remove("type"))
            .and_then(|name| name.as_str().map(str::to_owned))
            .unwrap_or_default();
        let kind = match event {
            ApplyEvent::ApplyStart { .. } => {
                data["format_version"] = json!(APPLY_FORMAT_VERSION);
                "apply_start"
            }
            ApplyEvent::WaveStart { .. }
            | ApplyEvent::ActionSent { .. }
            | ApplyEvent::ActionProgress { .. }
            | ApplyEvent::ReadTrouble { .. } => "apply_progress",
            ApplyEvent::ActionComplete { .. } | ApplyEvent::JobForgotten { .. } => "apply_complete",
            ApplyEvent::ActionErrored { .. } | ApplyEvent::JobSkipped { .. } => "apply_errored",
            ApplyEvent::ChangeSummary(summary) => {
                data["message"] = json!(summary_line(summary));
                "change_summary"
            }
        };
        data["event"] = json!(name);
        json!({ "type": kind, "data": data })
    }
}

impl ApplyHooks for JsonProgress<'_> {
    fn event(&mut self, event: &ApplyEvent) {
        let line = super::json::line(&JsonProgress::message(event));
        let _ = writeln!(self.out, "{line}").and_then(|()| self.out.flush());
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::apply::SkipReason;
    use crate::model::{Address, JobKind};

    fn events() -> Vec<ApplyEvent> {
        let address = Address::new(JobKind::AlibabaDts, "orders_sync");
        vec![
            ApplyEvent::ApplyStart { waves: 2, actions: 3, refresh_only: false },
            ApplyEvent::ActionSent {
                address: address.clone(),
                verb: ActionVerb::Suspend,
                operation: "SuspendDtsJob",
                request_id: Some("01B6".to_owned()),
            },
            ApplyEvent::ActionComplete {
                address: address.clone(),
                verb: ActionVerb::Suspend,
                outcome: ActionOutcome::Succeeded,
                raw_status: Some("Suspending".to_owned()),
                elapsed: Duration::from_secs(4),
            },
            ApplyEvent::JobSkipped {
                address: Address::new(JobKind::AlibabaDts, "billing"),
                reason: SkipReason::Stale,
                detail: "the job is now suspended (Suspending)".to_owned(),
            },
            ApplyEvent::ChangeSummary(ApplySummary {
                suspended: 1,
                skipped: 1,
                status: ApplyStatus::Partial,
                ..ApplySummary::default()
            }),
        ]
    }

    #[test]
    fn human_lines() {
        let mut out = Vec::new();
        let mut hooks = HumanProgress::new(&mut out, Palette::never());
        for event in events() {
            hooks.event(&event);
        }
        insta::assert_snapshot!(String::from_utf8(out).unwrap(), @r#"
        Applying 3 actions in 2 waves.
        alibaba_dts.orders_sync: suspending (SuspendDtsJob, request 01B6)
        alibaba_dts.orders_sync: suspended after 4s (Suspending)
        alibaba_dts.billing: skipped (stale): the job is now suspended (Suspending)

        Apply finished with errors: 1 suspended, 0 resumed, 0 stopped, 0 failed, 1 skipped.
        "#);
    }

    #[test]
    fn json_lines() {
        let mut out = Vec::new();
        let mut hooks = JsonProgress::new(&mut out);
        for event in events() {
            hooks.event(&event);
        }
        insta::assert_snapshot!(String::from_utf8(out).unwrap(), @r#"
        {"data":{"actions":3,"event":"apply_start","format_version":"1.0","refresh_only":false,"waves":2},"type":"apply_start"}
        {"data":{"address":"alibaba_dts.orders_sync","event":"action_sent","operation":"SuspendDtsJob","request_id":"01B6","verb":"suspend"},"type":"apply_progress"}
        {"data":{"address":"alibaba_dts.orders_sync","elapsed":4.0,"event":"action_complete","outcome":"succeeded","raw_status":"Suspending","verb":"suspend"},"type":"apply_complete"}
        {"data":{"address":"alibaba_dts.billing","detail":"the job is now suspended (Suspending)","event":"job_skipped","reason":"stale"},"type":"apply_errored"}
        {"data":{"event":"change_summary","failed":0,"forgotten":0,"interrupted":false,"message":"Apply finished with errors: 1 suspended, 0 resumed, 0 stopped, 0 failed, 1 skipped.","pending":0,"resumed":0,"skipped":1,"status":"partial","stopped":0,"suspended":1},"type":"change_summary"}
        "#);
    }
}
