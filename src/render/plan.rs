//! The three renderings of a plan: human (a terminal, readable without
//! colour), JSON (the [`PlanView`] document) and Markdown (a pull-request
//! comment with a hard size limit). All three read only the [`PlanView`].

use std::fmt::Write as _;
use std::io::{self, Write};

use super::plan_view::{ChangeView, DataSourceView, DriftView, NoticeView, PlanView};
use super::{Palette, Terminal, markdown as md, plural, terminal};
use crate::plan::Action;

/// GitHub refuses comments over 65,536 characters; leave room for a wrapper.
pub const DEFAULT_MARKDOWN_LIMIT: usize = 65_000;

/// The summary line: `Plan: 3 to suspend, 1 to resume, 0 to stop, 1 blocked (4 requests).`
pub fn summary_line(view: &PlanView) -> String {
    let s = &view.summary;
    let forget = if s.forget > 0 { format!(", {} to forget", s.forget) } else { String::new() };
    let requests =
        if s.requests == 1 { "1 request".to_owned() } else { format!("{} requests", s.requests) };
    format!(
        "Plan: {} to suspend, {} to resume, {} to stop{forget}, {} blocked ({requests}).",
        s.suspend, s.resume, s.stop, s.blocked
    )
}

/// The glyph of an action in the human plan (Terraform's idea: the glyph is
/// the action).
fn glyph(action: Action) -> &'static str {
    match action {
        Action::Suspend => "~",
        Action::Resume => "+",
        Action::Stop => "-",
        Action::Blocked => "!",
        Action::Forget => ".",
        Action::NoOp => " ",
    }
}

/// The head line of a job in the human plan, in its action's colour:
/// resumes green, pauses yellow, stops and blocked jobs red.
fn paint_head(action: Action, head: String, palette: Palette) -> String {
    match action {
        Action::Resume => palette.added(head),
        Action::Suspend => palette.paused(head),
        Action::Stop | Action::Blocked => palette.error(head),
        Action::Forget | Action::NoOp => Terminal(head).to_string(),
    }
}

/// The first character of an action's lines in the Markdown `diff` block,
/// which picks GitHub's colour: resume `+` green, stop `-` red, suspend `!`
/// (a "changed" line, neither), blocked or forgotten `#` (a comment line),
/// so a reviewer tells them apart at a glance without reading the glyphs.
fn diff_marker(action: Action) -> &'static str {
    match action {
        Action::Resume => "+",
        Action::Stop => "-",
        Action::Suspend => "!",
        Action::Blocked | Action::Forget | Action::NoOp => "#",
    }
}

fn verb_phrase(action: Action) -> &'static str {
    match action {
        Action::Suspend => "will be suspended",
        Action::Resume => "will be resumed",
        Action::Stop => "will be stopped",
        Action::Forget => "will be forgotten",
        Action::Blocked => "is blocked",
        Action::NoOp => "stays as declared",
    }
}

/// `"running" -> "suspended"`
fn transition(change: &ChangeView) -> String {
    let from = change.live.as_ref().map_or("unknown", |l| l.state.as_str());
    let to = change.desired.as_deref().unwrap_or("-");
    format!("\"{from}\" -> \"{to}\"")
}

/// `live: Synchronizing, paused 2h 0m 5s (since …)`: what the cloud says.
fn live_status(change: &ChangeView) -> String {
    let mut live =
        change.live.as_ref().map(|l| format!("live: {}", l.raw_status)).unwrap_or_default();
    if let Some(pause) = &change.pause {
        let _ = write!(live, ", {}", pause.describe());
    }
    live
}

/// `ADDRESS [code]: message (deadline …)`, the address and message (from
/// outside) passed through `escape` for the output at hand.
fn notice_line(notice: &NoticeView, escape: fn(&str) -> String) -> String {
    let subject = notice.address.as_deref().map(|a| format!("{} ", escape(a))).unwrap_or_default();
    let deadline =
        notice.deadline.as_deref().map(|d| format!(" (deadline {d})")).unwrap_or_default();
    format!("{subject}[{}]: {}{deadline}", notice.code, escape(&notice.message))
}

/// `ADDRESS: recorded "suspended" (Suspending) at …, now "running" (Synchronizing)`,
/// the address and status words passed through `escape`.
fn drift_line(drift: &DriftView, escape: fn(&str) -> String) -> String {
    format!(
        "{}: recorded \"{}\" ({}) at {}, now \"{}\" ({})",
        escape(&drift.address),
        drift.recorded.state,
        escape(&drift.recorded.raw_status),
        drift.recorded_at,
        drift.live.state,
        escape(&drift.live.raw_status)
    )
}

/// The sentence a plan without actions opens with, if it is one.
fn status_sentence(view: &PlanView) -> Option<String> {
    if view.refresh_only {
        let observed = view.changes.iter().filter(|c| c.live.is_some()).count();
        Some(format!(
            "Refresh only: no action is planned; apply --refresh-only records the observed status of {}.",
            plural(observed, "job")
        ))
    } else if !view.has_changes && view.summary.blocked == 0 {
        Some(format!(
            "No changes. Every job is in its declared state ({}).",
            plural(view.summary.no_op, "job")
        ))
    } else {
        None
    }
}

/// `data.KIND.NAME matched 3 jobs (main.hcl:1:1)`.
fn data_source_line(source: &DataSourceView) -> String {
    format!("{} matched {} ({})", source.address, plural(source.matched, "job"), source.declared_at)
}

/// The human rendering.
pub fn human(out: &mut dyn Write, view: &PlanView, palette: Palette) -> io::Result<()> {
    if !view.drift.is_empty() {
        writeln!(
            out,
            "{}\n",
            palette.strong("Note: jobs changed outside jobform since the last apply")
        )?;
        for drift in &view.drift {
            writeln!(out, "  {}", drift_line(drift, terminal::line))?;
        }
        writeln!(out)?;
    }
    if !view.data_sources.is_empty() {
        writeln!(out, "Data sources read:")?;
        for source in &view.data_sources {
            writeln!(out, "  {}", Terminal(data_source_line(source)))?;
        }
        writeln!(out)?;
    }
    let sentence = status_sentence(view);
    if let Some(sentence) = &sentence {
        writeln!(out, "{sentence}")?;
    }
    let mut moving =
        view.changes.with(|a| matches!(a, Action::Suspend | Action::Resume)).peekable();
    if moving.peek().is_some() {
        writeln!(out, "jobform will perform the following actions:\n")?;
        for change in moving {
            let head = format!(
                "{} {} {}",
                glyph(change.action),
                change.address,
                verb_phrase(change.action)
            );
            writeln!(out, "  {}", paint_head(change.action, head, palette))?;
            for line in action_lines(&change) {
                writeln!(out, "      {}", Terminal(line))?;
            }
            writeln!(out)?;
        }
    }
    section(out, view, Action::Stop, "Stops: these end the jobs for good", palette, |c| {
        action_lines(c)
    })?;
    section(out, view, Action::Blocked, "Blocked: nothing will be sent for these", palette, |c| {
        let code = view
            .errors
            .iter()
            .find(|e| e.address.as_deref() == Some(c.address.as_str()))
            .map_or(String::new(), |e| format!("[{}] ", e.code));
        let mut lines = description(c);
        lines.push(format!("{code}{}", c.reason));
        lines
    })?;
    section(
        out,
        view,
        Action::Forget,
        "Forgotten: dropped from the state, the jobs themselves are not touched",
        palette,
        |c| vec![id_line(c)],
    )?;
    let windows = window_lines(view, terminal::line);
    if !windows.is_empty() {
        // Set apart from a "No changes." sentence just above.
        let gap = if sentence.is_some() { "\n" } else { "" };
        writeln!(out, "{gap}Maintenance windows:\n")?;
        for line in &windows {
            writeln!(out, "  {line}")?;
        }
        writeln!(out)?;
    }
    if !view.warnings.is_empty() {
        writeln!(out, "{}\n", palette.warning("Warnings:"))?;
        for warning in &view.warnings {
            writeln!(out, "  ! {}", notice_line(warning, terminal::line))?;
        }
        writeln!(out)?;
    }
    if !view.waves.is_empty() {
        writeln!(out, "Requests, in order:\n")?;
        for wave in &view.waves {
            writeln!(out, "  Wave {}", wave.number)?;
            for request in &wave.requests {
                writeln!(
                    out,
                    "    {} via {}: {}",
                    request.operation,
                    request.provider,
                    Terminal(request.jobs.join(", "))
                )?;
            }
        }
        writeln!(out)?;
    }
    writeln!(out, "{}", palette.strong(summary_line(view)))?;
    if !view.applyable {
        writeln!(
            out,
            "\n{} {} blocked: this plan cannot be applied. Fix them, narrow the plan with --target/--exclude, or pass --skip-blocked.",
            palette.error("Error:"),
            plural(view.summary.blocked, "job")
        )?;
    }
    Ok(())
}

/// `ADDRESS: window open: replication back at …`, one line for each job
/// with a maintenance window (whatever its action), the address passed
/// through `escape`.
fn window_lines(view: &PlanView, escape: fn(&str) -> String) -> Vec<String> {
    view.changes
        .iter()
        .filter_map(|c| Some(format!("{}: {}", escape(&c.address), c.window.as_ref()?.describe())))
        .collect()
}

/// The job block's description, as a line of its own when there is one.
fn description(change: &ChangeView) -> Vec<String> {
    change.description.iter().map(|d| format!("description: {d}")).collect()
}

/// `id … via …`
fn id_line(change: &ChangeView) -> String {
    format!("id {} via {}", change.id, change.provider)
}

/// `with pause_mode = "all"`: what the job's request sends beyond its id
/// that is not the default (see `KindOptions::notable`), as a line of its
/// own when there is something.
fn options_line(change: &ChangeView) -> Option<String> {
    let verb = change.action.verb()?;
    change.options.notable(verb).map(|sent| format!("with {sent}"))
}

/// The lines under the head of a job that will be acted on: its
/// description, the transition with the live status, its id and provider,
/// and the options sent with it.
fn action_lines(change: &ChangeView) -> Vec<String> {
    let mut lines = description(change);
    lines.push(format!("{}  ({})", transition(change), live_status(change)));
    lines.push(id_line(change));
    lines.extend(options_line(change));
    lines
}

fn section(
    out: &mut dyn Write,
    view: &PlanView,
    action: Action,
    title: &str,
    palette: Palette,
    details: impl Fn(&ChangeView) -> Vec<String>,
) -> io::Result<()> {
    let mut changes = view.with_action(action).peekable();
    if changes.peek().is_none() {
        return Ok(());
    }
    let title = if action == Action::Forget { palette.strong(title) } else { palette.error(title) };
    writeln!(out, "{title}\n")?;
    for change in changes {
        let head = format!("{} {}", glyph(action), change.address);
        writeln!(out, "  {}", paint_head(action, head, palette))?;
        for line in details(&change) {
            writeln!(out, "      {}", Terminal(line))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The lines of one change in the Markdown `diff` block, each starting with
/// the action's [`diff_marker`] so GitHub colours all of them. The address
/// and the verb, then the rest indented on lines of their own, so that no
/// line is much wider than the address: a comment shows about 100
/// characters of a code block before it scrolls.
fn diff_lines(change: &ChangeView) -> Vec<String> {
    let mut rest = description(change);
    match change.action {
        // The reason is in the caution alert above, as prose that wraps.
        Action::Blocked => {
            rest.push("nothing will be sent (see \"Stops and blocked jobs\")".to_owned());
        }
        Action::Forget => rest.push("dropped from the state, not touched".to_owned()),
        Action::Suspend | Action::Resume | Action::Stop | Action::NoOp => {
            rest.extend([transition(change), live_status(change)]);
            rest.extend(options_line(change));
        }
    }
    let marker = diff_marker(change.action);
    // Fenced, so shown literally; one line each, so no line is forged.
    let mut lines =
        vec![format!("{marker} {} {}", Terminal(&change.address), verb_phrase(change.action))];
    lines.extend(
        rest.iter().filter(|l| !l.is_empty()).map(|l| format!("{marker}     {}", Terminal(l))),
    );
    lines
}

/// The Markdown rendering for a pull-request comment, at most `limit`
/// characters: the summary first, then what a reviewer must read unfolded
/// (drift, stops and blocked jobs, deadlines) as GitHub alerts, then the
/// details folded in `<details>` blocks. What does not fit is cut at a line,
/// with a note of how much was left out.
pub fn markdown(view: &PlanView, limit: usize) -> String {
    let mut head = format!("### jobform: {}\n\n", summary_line(view).trim_start_matches("Plan: "));
    if !view.applyable {
        head.push_str("**This plan cannot be applied: some jobs are blocked.**\n\n");
    }
    if let Some(sentence) = status_sentence(view) {
        head.push_str(&md::text(&sentence));
        head.push_str("\n\n");
    }
    for source in &view.data_sources {
        let _ = writeln!(head, "- {}", md::text(&data_source_line(source)));
    }
    if !view.data_sources.is_empty() {
        head.push('\n');
    }
    let drift: Vec<String> =
        view.drift.iter().map(|d| format!("> - {}", drift_line(d, md::text))).collect();
    let mut flags: Vec<String> = view
        .with_action(Action::Stop)
        .map(|c| format!("> - **stop** {}: ends the job for good", md::code(&c.address)))
        .collect();
    flags.extend(view.errors.iter().map(|e| {
        format!(
            "> - **blocked** {}: {}: {}",
            md::code(e.address.as_deref().unwrap_or("-")),
            e.code,
            md::text(&e.message)
        )
    }));
    let warnings: Vec<String> =
        view.warnings.iter().map(|w| format!("> - {}", notice_line(w, md::text))).collect();
    let windows: Vec<String> =
        window_lines(view, md::text).into_iter().map(|line| format!("> - {line}")).collect();

    let mut shown = 0;
    let diff: Vec<String> = view
        .changes
        .with(|a| a != Action::NoOp)
        .flat_map(|c| {
            shown += 1;
            diff_lines(&c)
        })
        .collect();
    // A request for one job is one line; a batch lists its jobs one per
    // line, as a batch of twenty would not fit on one.
    let mut requests: Vec<String> = Vec::new();
    for wave in &view.waves {
        for r in &wave.requests {
            let head = format!("- wave {}: `{}` via {}", wave.number, r.operation, r.provider);
            match r.jobs.as_slice() {
                [job] => requests.push(format!("{head}: {}", md::text(job))),
                jobs => {
                    requests.push(format!("{head}, {}:", plural(jobs.len(), "job")));
                    requests.extend(jobs.iter().map(|job| format!("  - {}", md::text(job))));
                }
            }
        }
    }
    let request_count: usize = view.waves.iter().map(|w| w.requests.len()).sum();

    let mut budget = Budget { used: chars(&head), text: head, limit, omitted: 0, closing: 0 };
    // The "more not shown" note is an item of the list it cuts short (a line
    // after a list item would continue that item's text).
    budget.block(
        "> [!IMPORTANT]\n> Changed outside jobform since the last apply (this plan puts them back):\n",
        &drift,
        "> - ",
        "\n",
    );
    budget.block("> [!CAUTION]\n> Stops and blocked jobs:\n", &flags, "> - ", "\n");
    budget.block("> [!WARNING]\n> Warnings and deadlines:\n", &warnings, "> - ", "\n");
    budget.block(
        "> [!NOTE]\n> Maintenance windows (when each job pauses and when its replication is back):\n",
        &windows,
        "> - ",
        "\n",
    );
    let fence = md::fence(&diff);
    budget.folded(
        &format!("Changes ({shown})"),
        &format!("{fence}diff\n"),
        &diff,
        "",
        &format!("{fence}\n"),
    );
    budget.folded(&format!("Requests ({request_count})"), "", &requests, "- ", "");
    budget.finish()
}

/// Markdown being built under a size limit. Every push keeps room for the
/// closing note, so the result never exceeds the limit.
struct Budget {
    text: String,
    /// `chars(&text)`, kept up to date rather than recounted.
    used: usize,
    limit: usize,
    omitted: usize,
    /// Room kept for the close of the block being written: a fence grows
    /// with the backtick runs it encloses, so it may not fit in [`RESERVE`].
    closing: usize,
}

/// Characters, as GitHub counts a comment's length.
fn chars(text: &str) -> usize {
    text.chars().count()
}

/// Room kept for the truncation note and closing fences.
const RESERVE: usize = 300;

impl Budget {
    fn fits(&self, extra: &str) -> bool {
        self.used + chars(extra) + self.closing + RESERVE <= self.limit
    }

    fn append(&mut self, text: &str) {
        self.used += chars(text);
        self.text.push_str(text);
    }

    fn lines(&mut self, lines: &[String], prefix: &str) {
        for (i, line) in lines.iter().enumerate() {
            let line = format!("{line}\n");
            if !self.fits(&line) {
                let left = lines.len() - i;
                self.omitted += left;
                self.append(&format!("{prefix}… {left} more not shown\n"));
                return;
            }
            self.append(&line);
        }
    }

    /// `open`, the lines (as many as fit), `close`; or nothing at all, the
    /// lines counted as left out, when not even `open` fits.
    fn block(&mut self, open: &str, lines: &[String], prefix: &str, close: &str) {
        if lines.is_empty() {
            return;
        }
        if !self.fits(&format!("{open}{close}")) {
            self.omitted += lines.len();
            return;
        }
        self.append(open);
        self.closing = chars(close);
        self.lines(lines, prefix);
        self.closing = 0;
        self.append(close);
    }

    fn folded(&mut self, title: &str, open: &str, lines: &[String], prefix: &str, close: &str) {
        let open = format!("<details><summary>{title}</summary>\n\n{open}");
        self.block(&open, lines, prefix, &format!("{close}\n</details>\n\n"));
    }

    fn finish(mut self) -> String {
        if self.omitted > 0 {
            let _ = writeln!(
                self.text,
                "_Truncated: {} left out to stay under {} characters. Run `jobform plan` for the full plan._",
                plural(self.omitted, "line"),
                self.limit
            );
        }
        self.text
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use time::Duration;
    use time::macros::datetime;

    use super::*;
    use crate::model::LiveLookup;
    use crate::model::{
        Address, AlibabaOptions, DesiredState, Direction, HuaweiOptions, JobKind, KindOptions,
        LiveReverse, LiveState, PauseMode,
    };
    use crate::plan::fixtures::{desired, live};
    use crate::plan::{Plan, PlanInput, PlanOptions, plan};
    use crate::render::plan_view::PlanView;
    use crate::state::{JobRecord, Observation, PauseRecord, PauseSource, State};

    /// Both clouds, a drifted job, a closing restart window, a stop, blocked
    /// jobs, a forget and two waves.
    fn realistic() -> Plan {
        let now = datetime!(2026-11-21 12:00 UTC);
        let mut jobs = Vec::new();
        let mut lives = BTreeMap::new();
        let mut add = |job: crate::model::DesiredJob, found: LiveLookup| {
            lives.insert(job.address.clone(), found);
            jobs.push(job);
        };
        let orders =
            desired(JobKind::AlibabaDts, "orders_sync", "l3m1213ye7l0001", DesiredState::Suspended);
        let mut two_way =
            live(JobKind::AlibabaDts, "l3m1213ye7l0001", "Synchronizing", LiveState::Running);
        two_way.two_way = Some(true);
        two_way.reverse =
            Some(LiveReverse { raw_status: "Synchronizing".into(), state: LiveState::Running });
        add(orders.clone(), LiveLookup::Found(two_way.clone()));
        let mut reverse = desired(
            JobKind::AlibabaDts,
            "orders_sync_reverse",
            "l3m1213ye7l0001",
            DesiredState::Suspended,
        );
        reverse.options = KindOptions::Alibaba(AlibabaOptions {
            direction: Direction::Reverse,
            instance_id: None,
        });
        add(reverse, LiveLookup::Found(two_way));
        let billing =
            desired(JobKind::AlibabaDts, "billing", "k2n8x7c1vq90002", DesiredState::Running);
        add(
            billing.clone(),
            LiveLookup::Found(live(
                JobKind::AlibabaDts,
                "k2n8x7c1vq90002",
                "Suspending",
                LiveState::Suspended,
            )),
        );
        let mut audit = live(JobKind::AlibabaDts, "s9p4b2d6fw30003", "Normal", LiveState::Running);
        audit.change_tracking = true;
        add(
            desired(JobKind::AlibabaDts, "audit_trail", "s9p4b2d6fw30003", DesiredState::Suspended),
            LiveLookup::Found(audit),
        );
        add(
            desired(
                JobKind::AlibabaMigration,
                "legacy_inventory",
                "dtsj1x11y51g3b0004",
                DesiredState::Stopped,
            ),
            LiveLookup::Found(live(
                JobKind::AlibabaMigration,
                "dtsj1x11y51g3b0004",
                "Migrating",
                LiveState::Running,
            )),
        );
        for id in ["8d0e8e36-a618-490d-8a46-8c61ac9bb502", "5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"] {
            let mut job = desired(JobKind::HuaweiDrs, "eu_replica", id, DesiredState::Suspended);
            job.address = Address::instance(JobKind::HuaweiDrs, "eu_replica", id);
            job.depends_on = vec![orders.address.clone()];
            if id.starts_with("8d0e") {
                job.options = KindOptions::Huawei(HuaweiOptions { pause_mode: PauseMode::All });
            }
            add(
                job,
                LiveLookup::Found(live(
                    JobKind::HuaweiDrs,
                    id,
                    "INCRE_TRANSFER_STARTED",
                    LiveState::Running,
                )),
            );
        }
        add(
            desired(
                JobKind::HuaweiDrs,
                "gone",
                "c0ffee00-1234-4abc-8def-0123456789ab",
                DesiredState::Running,
            ),
            LiveLookup::NotFound,
        );

        let mut prior = State::new();
        prior.jobs.insert(
            billing.address.clone(),
            JobRecord {
                kind: JobKind::AlibabaDts,
                id: billing.id.clone(),
                provider: billing.provider.clone(),
                direction: Direction::Forward,
                observed: Observation {
                    raw_status: "Suspending".into(),
                    state: LiveState::Suspended,
                    at: now - Duration::hours(5),
                    job_type: None,
                },
                paused: Some(PauseRecord {
                    since: now - Duration::minutes(320),
                    source: PauseSource::Jobform,
                    pause_mode: None,
                }),
                last_action: None,
            },
        );
        let mut drifted = prior.jobs[&billing.address].clone();
        drifted.observed.raw_status = "Suspending".into();
        drifted.paused = None;
        prior
            .jobs
            .insert(orders.address.clone(), JobRecord { id: orders.id.clone(), ..drifted.clone() });
        prior.jobs.insert(
            Address::new(JobKind::HuaweiDrs, "decommissioned"),
            JobRecord {
                kind: JobKind::HuaweiDrs,
                id: "11111111-2222-4333-8444-555555555555".into(),
                provider: crate::model::ProviderRef {
                    cloud: crate::model::Cloud::Huawei,
                    alias: None,
                },
                ..drifted
            },
        );
        let options = PlanOptions::default();
        plan(PlanInput { jobs, providers: &[], live: lives, prior: &prior, now, options: &options })
            .unwrap()
    }

    #[test]
    fn human_rendering_of_a_realistic_plan() {
        let mut out = Vec::new();
        human(&mut out, &PlanView::new(&realistic()), Palette::never()).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap(), @r#"
        Note: jobs changed outside jobform since the last apply

          alibaba_dts.orders_sync: recorded "suspended" (Suspending) at 2026-11-21T07:00:00Z, now "running" (Synchronizing)

        jobform will perform the following actions:

          + alibaba_dts.billing will be resumed
              "suspended" -> "running"  (live: Suspending, paused 5h 20m (since 2026-11-21T06:40:00Z))
              id k2n8x7c1vq90002 via alibaba

          ~ alibaba_dts.orders_sync will be suspended
              "running" -> "suspended"  (live: Synchronizing)
              id l3m1213ye7l0001 via alibaba

          ~ alibaba_dts.orders_sync_reverse will be suspended
              "running" -> "suspended"  (live: Synchronizing)
              id l3m1213ye7l0001 via alibaba
              with direction = "reverse"

          ~ huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"] will be suspended
              "running" -> "suspended"  (live: INCRE_TRANSFER_STARTED)
              id 5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60 via huawei

          ~ huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"] will be suspended
              "running" -> "suspended"  (live: INCRE_TRANSFER_STARTED)
              id 8d0e8e36-a618-490d-8a46-8c61ac9bb502 via huawei
              with pause_mode = "all"

        Stops: these end the jobs for good

          - alibaba_migration.legacy_inventory
              "running" -> "stopped"  (live: Migrating)
              id dtsj1x11y51g3b0004 via alibaba

        Blocked: nothing will be sent for these

          ! alibaba_dts.audit_trail
              [subscribe_suspend_is_noop] SuspendDtsJob on a change-tracking task succeeds without pausing anything

          ! huawei_drs.gone
              [job_not_found] the cloud has no huawei_drs job with id c0ffee00-1234-4abc-8def-0123456789ab (declared at main.hcl:1:1)

        Forgotten: dropped from the state, the jobs themselves are not touched

          . huawei_drs.decommissioned
              id 11111111-2222-4333-8444-555555555555 via huawei

        Warnings:

          ! alibaba_dts.billing [restart_window_closing]: paused for 5h 20m: resume within 40m or the task cannot be restarted (deadline 2026-11-21T12:40:00Z)

        Requests, in order:

          Wave 1
            SuspendDtsJob via alibaba: alibaba_dts.orders_sync
            SuspendDtsJob via alibaba: alibaba_dts.orders_sync_reverse
            StartDtsJob via alibaba: alibaba_dts.billing
            StopMigrationJob via alibaba: alibaba_migration.legacy_inventory
          Wave 2
            batch-pause-task via huawei: huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"], huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"]

        Plan: 4 to suspend, 1 to resume, 1 to stop, 1 to forget, 2 blocked (5 requests).

        Error: 2 jobs blocked: this plan cannot be applied. Fix them, narrow the plan with --target/--exclude, or pass --skip-blocked.
        "#);
    }

    #[test]
    fn markdown_rendering_of_a_realistic_plan() {
        insta::assert_snapshot!(markdown(&PlanView::new(&realistic()), DEFAULT_MARKDOWN_LIMIT), @r#"
        ### jobform: 4 to suspend, 1 to resume, 1 to stop, 1 to forget, 2 blocked (5 requests).

        **This plan cannot be applied: some jobs are blocked.**

        > [!IMPORTANT]
        > Changed outside jobform since the last apply (this plan puts them back):
        > - alibaba_dts.orders_sync: recorded "suspended" (Suspending) at 2026-11-21T07:00:00Z, now "running" (Synchronizing)

        > [!CAUTION]
        > Stops and blocked jobs:
        > - **stop** `alibaba_migration.legacy_inventory`: ends the job for good
        > - **blocked** `alibaba_dts.audit_trail`: subscribe_suspend_is_noop: SuspendDtsJob on a change-tracking task succeeds without pausing anything
        > - **blocked** `huawei_drs.gone`: job_not_found: the cloud has no huawei_drs job with id c0ffee00-1234-4abc-8def-0123456789ab (declared at main.hcl:1:1)

        > [!WARNING]
        > Warnings and deadlines:
        > - alibaba_dts.billing [restart_window_closing]: paused for 5h 20m: resume within 40m or the task cannot be restarted (deadline 2026-11-21T12:40:00Z)

        <details><summary>Changes (9)</summary>

        ```diff
        # alibaba_dts.audit_trail is blocked
        #     nothing will be sent (see "Stops and blocked jobs")
        + alibaba_dts.billing will be resumed
        +     "suspended" -> "running"
        +     live: Suspending, paused 5h 20m (since 2026-11-21T06:40:00Z)
        ! alibaba_dts.orders_sync will be suspended
        !     "running" -> "suspended"
        !     live: Synchronizing
        ! alibaba_dts.orders_sync_reverse will be suspended
        !     "running" -> "suspended"
        !     live: Synchronizing
        !     with direction = "reverse"
        - alibaba_migration.legacy_inventory will be stopped
        -     "running" -> "stopped"
        -     live: Migrating
        # huawei_drs.decommissioned will be forgotten
        #     dropped from the state, not touched
        ! huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"] will be suspended
        !     "running" -> "suspended"
        !     live: INCRE_TRANSFER_STARTED
        ! huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"] will be suspended
        !     "running" -> "suspended"
        !     live: INCRE_TRANSFER_STARTED
        !     with pause_mode = "all"
        # huawei_drs.gone is blocked
        #     nothing will be sent (see "Stops and blocked jobs")
        ```

        </details>

        <details><summary>Requests (5)</summary>

        - wave 1: `SuspendDtsJob` via alibaba: alibaba_dts.orders_sync
        - wave 1: `SuspendDtsJob` via alibaba: alibaba_dts.orders_sync_reverse
        - wave 1: `StartDtsJob` via alibaba: alibaba_dts.billing
        - wave 1: `StopMigrationJob` via alibaba: alibaba_migration.legacy_inventory
        - wave 2: `batch-pause-task` via huawei, 2 jobs:
          - huawei_drs.eu_replica["5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60"]
          - huawei_drs.eu_replica["8d0e8e36-a618-490d-8a46-8c61ac9bb502"]

        </details>
        "#);
    }

    #[test]
    fn json_rendering_of_a_realistic_plan() {
        let plan = realistic();
        let view = PlanView::new(&plan);
        let json = serde_json::to_string_pretty(&view).unwrap();
        let back: PlanView = serde_json::from_str(&json).unwrap();
        assert_eq!(back, view, "the document round-trips with deny_unknown_fields");
        insta::assert_snapshot!(json, @r#"
        {
          "format_version": "1.0",
          "planned_at": "2026-11-21T12:00:00Z",
          "applyable": false,
          "has_changes": true,
          "refresh_only": false,
          "summary": {
            "suspend": 4,
            "resume": 1,
            "stop": 1,
            "blocked": 2,
            "forget": 1,
            "no_op": 0,
            "requests": 5
          },
          "changes": [
            {
              "address": "alibaba_dts.audit_trail",
              "kind": "alibaba_dts",
              "id": "s9p4b2d6fw30003",
              "provider": "alibaba",
              "direction": "forward",
              "options": {
                "direction": "forward",
                "instance_id": null
              },
              "action": "blocked",
              "reason": "SuspendDtsJob on a change-tracking task succeeds without pausing anything",
              "desired": "suspended",
              "live": {
                "raw_status": "Normal",
                "state": "running"
              },
              "pause": null,
              "depends_on": [],
              "description": null
            },
            {
              "address": "alibaba_dts.billing",
              "kind": "alibaba_dts",
              "id": "k2n8x7c1vq90002",
              "provider": "alibaba",
              "direction": "forward",
              "options": {
                "direction": "forward",
                "instance_id": null
              },
              "action": "resume",
              "reason": "suspended (Suspending) -> running",
              "desired": "running",
              "live": {
                "raw_status": "Suspending",
                "state": "suspended"
              },
              "pause": {
                "since": "2026-11-21T06:40:00Z",
                "source": "jobform",
                "age_seconds": 19200
              },
              "depends_on": [],
              "description": null
            },
            {
              "address": "alibaba_dts.orders_sync",
              "kind": "alibaba_dts",
              "id": "l3m1213ye7l0001",
              "provider": "alibaba",
              "direction": "forward",
              "options": {
                "direction": "forward",
                "instance_id": null
              },
              "action": "suspend",
              "reason": "running (Synchronizing) -> suspended",
              "desired": "suspended",
              "live": {
                "raw_status": "Synchronizing",
                "state": "running"
              },
              "pause": null,
              "depends_on": [],
              "description": null
            },
            {
              "address": "alibaba_dts.orders_sync_reverse",
              "kind": "alibaba_dts",
              "id": "l3m1213ye7l0001",
              "provider": "alibaba",
              "direction": "reverse",
              "options": {
                "direction": "reverse",
                "instance_id": null
              },
              "action": "suspend",
              "reason": "running (Synchronizing) -> suspended",
              "desired": "suspended",
              "live": {
                "raw_status": "Synchronizing",
                "state": "running"
              },
              "pause": null,
              "depends_on": [],
              "description": null
            },
            {
              "address": "alibaba_migration.legacy_inventory",
              "kind": "alibaba_migration",
              "id": "dtsj1x11y51g3b0004",
              "provider": "alibaba",
              "direction": "forward",
              "options": {
                "direction": "forward",
                "instance_id": null
              },
              "action": "stop",
              "reason": "running (Migrating) -> stopped (ends the job for good)",
              "desired": "stopped",
              "live": {
                "raw_status": "Migrating",
                "state": "running"
              },
              "pause": null,
              "depends_on": [],
              "description": null
            },
            {
              "address": "huawei_drs.decommissioned",
              "kind": "huawei_drs",
              "id": "11111111-2222-4333-8444-555555555555",
              "provider": "huawei",
              "direction": "forward",
              "options": {
                "pause_mode": "target"
              },
              "action": "forget",
              "reason": "no block declares it any more: it is dropped from the state, the job itself is not touched",
              "desired": null,
              "live": null,
              "pause": null,
              "depends_on": [],
              "description": null
            },
            {
              "address": "huawei_drs.eu_replica[\"5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60\"]",
              "kind": "huawei_drs",
              "id": "5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60",
              "provider": "huawei",
              "direction": "forward",
              "options": {
                "pause_mode": "target"
              },
              "action": "suspend",
              "reason": "running (INCRE_TRANSFER_STARTED) -> suspended",
              "desired": "suspended",
              "live": {
                "raw_status": "INCRE_TRANSFER_STARTED",
                "state": "running"
              },
              "pause": null,
              "depends_on": [
                "alibaba_dts.orders_sync"
              ],
              "description": null
            },
            {
              "address": "huawei_drs.eu_replica[\"8d0e8e36-a618-490d-8a46-8c61ac9bb502\"]",
              "kind": "huawei_drs",
              "id": "8d0e8e36-a618-490d-8a46-8c61ac9bb502",
              "provider": "huawei",
              "direction": "forward",
              "options": {
                "pause_mode": "all"
              },
              "action": "suspend",
              "reason": "running (INCRE_TRANSFER_STARTED) -> suspended",
              "desired": "suspended",
              "live": {
                "raw_status": "INCRE_TRANSFER_STARTED",
                "state": "running"
              },
              "pause": null,
              "depends_on": [
                "alibaba_dts.orders_sync"
              ],
              "description": null
            },
            {
              "address": "huawei_drs.gone",
              "kind": "huawei_drs",
              "id": "c0ffee00-1234-4abc-8def-0123456789ab",
              "provider": "huawei",
              "direction": "forward",
              "options": {
                "pause_mode": "target"
              },
              "action": "blocked",
              "reason": "the cloud has no huawei_drs job with id c0ffee00-1234-4abc-8def-0123456789ab (declared at main.hcl:1:1)",
              "desired": "running",
              "live": null,
              "pause": null,
              "depends_on": [],
              "description": null
            }
          ],
          "waves": [
            {
              "number": 1,
              "requests": [
                {
                  "provider": "alibaba",
                  "operation": "SuspendDtsJob",
                  "verb": "suspend",
                  "direction": "forward",
                  "jobs": [
                    "alibaba_dts.orders_sync"
                  ]
                },
                {
                  "provider": "alibaba",
                  "operation": "SuspendDtsJob",
                  "verb": "suspend",
                  "direction": "reverse",
                  "jobs": [
                    "alibaba_dts.orders_sync_reverse"
                  ]
                },
                {
                  "provider": "alibaba",
                  "operation": "StartDtsJob",
                  "verb": "resume",
                  "direction": "forward",
                  "jobs": [
                    "alibaba_dts.billing"
                  ]
                },
                {
                  "provider": "alibaba",
                  "operation": "StopMigrationJob",
                  "verb": "stop",
                  "direction": "forward",
                  "jobs": [
                    "alibaba_migration.legacy_inventory"
                  ]
                }
              ]
            },
            {
              "number": 2,
              "requests": [
                {
                  "provider": "huawei",
                  "operation": "batch-pause-task",
                  "verb": "suspend",
                  "direction": "forward",
                  "jobs": [
                    "huawei_drs.eu_replica[\"5b7a3c1e-2f4d-4e8a-9b6c-1d2e3f4a5b60\"]",
                    "huawei_drs.eu_replica[\"8d0e8e36-a618-490d-8a46-8c61ac9bb502\"]"
                  ]
                }
              ]
            }
          ],
          "drift": [
            {
              "address": "alibaba_dts.orders_sync",
              "recorded": {
                "raw_status": "Suspending",
                "state": "suspended"
              },
              "recorded_at": "2026-11-21T07:00:00Z",
              "live": {
                "raw_status": "Synchronizing",
                "state": "running"
              }
            }
          ],
          "warnings": [
            {
              "address": "alibaba_dts.billing",
              "code": "restart_window_closing",
              "message": "paused for 5h 20m: resume within 40m or the task cannot be restarted",
              "deadline": "2026-11-21T12:40:00Z",
              "seconds_left": 2400
            }
          ],
          "errors": [
            {
              "address": "alibaba_dts.audit_trail",
              "code": "subscribe_suspend_is_noop",
              "message": "SuspendDtsJob on a change-tracking task succeeds without pausing anything",
              "deadline": null,
              "seconds_left": null
            },
            {
              "address": "huawei_drs.gone",
              "code": "job_not_found",
              "message": "the cloud has no huawei_drs job with id c0ffee00-1234-4abc-8def-0123456789ab (declared at main.hcl:1:1)",
              "deadline": null,
              "seconds_left": null
            }
          ]
        }
        "#);
    }

    #[test]
    fn markdown_is_truncated_visibly_at_the_limit_for_5000_jobs() {
        let now = datetime!(2026-11-21 12:00 UTC);
        let mut jobs = Vec::new();
        let mut lives = BTreeMap::new();
        for i in 0..5000 {
            let id = format!("00000000-0000-4000-8000-{i:012}");
            let mut job = desired(JobKind::HuaweiDrs, "fleet", &id, DesiredState::Suspended);
            job.address = Address::instance(JobKind::HuaweiDrs, "fleet", id.clone());
            let found = if i % 10 == 0 {
                LiveLookup::NotFound
            } else {
                LiveLookup::Found(live(
                    JobKind::HuaweiDrs,
                    &id,
                    "INCRE_TRANSFER_STARTED",
                    LiveState::Running,
                ))
            };
            lives.insert(job.address.clone(), found);
            jobs.push(job);
        }
        let options = PlanOptions::default();
        let plan = plan(PlanInput {
            jobs,
            providers: &[],
            live: lives,
            prior: &State::new(),
            now,
            options: &options,
        })
        .unwrap();
        let view = PlanView::new(&plan);
        let text = markdown(&view, DEFAULT_MARKDOWN_LIMIT);
        assert!(text.chars().count() <= DEFAULT_MARKDOWN_LIMIT, "{} chars", text.chars().count());
        assert!(text.starts_with(
            "### jobform: 4500 to suspend, 0 to resume, 0 to stop, 500 blocked (225 requests)."
        ));
        assert!(text.contains("more not shown"));
        assert!(
            text.trim_end().ends_with("Run `jobform plan` for the full plan._"),
            "{}",
            &text[text.len() - 300..]
        );
        assert_eq!(text.matches("<details>").count(), text.matches("</details>").count());
        assert_eq!(text.matches("```").count() % 2, 0, "fences are closed");
        let small = markdown(&view, 2_000);
        assert!(small.chars().count() <= 2_000);
    }
}
