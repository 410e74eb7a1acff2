//! Untrusted text never escapes (issue #13). Every renderer and the
//! Markdown helpers are fed hostile strings in every field that comes from
//! outside (addresses with `for_each` keys, job ids, the clouds' status
//! words, messages and request ids, the window lines that repeat
//! addresses): the human output holds no control
//! character but colour codes and as many lines as with benign strings; the
//! Markdown, read by a CommonMark parser with GitHub's extensions, has exactly
//! the structure of the same plan with benign strings; JSON keeps the strings
//! exact. `escaping_cli.rs` does the same through the command line.

use std::time::Duration;

use jobform::apply::{ApplyEvent, ApplyHooks, SkipReason};
use jobform::config::{Diagnostic, Severity, Snippet, SourcePos, SourceRange};
use jobform::model::{ActionVerb, Address, HuaweiOptions, JobKind, KindOptions, PauseMode};
use jobform::plan::{Action, Summary};
use jobform::render::apply::{HumanProgress, JsonProgress};
use jobform::render::markdown::{code, fence, text};
use jobform::render::plan::{human, markdown};
use jobform::render::plan_view::{
    ChangeView, Changes, DriftView, LiveView, NoticeView, PlanView, RequestView, WaveView,
    WindowView,
};
use jobform::render::terminal::{self, is_inert};
use jobform::render::{Palette, Terminal};
use jobform::state::ActionOutcome;
use proptest::prelude::*;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// The events of `markdown` as a CommonMark parser with GitHub's extensions
/// (tables, footnotes, strikethrough, task lists, math, alerts) reads it.
pub(crate) fn parse(markdown: &str) -> Vec<Event<'_>> {
    let github = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM;
    Parser::new_ext(markdown, github).collect()
}

/// Strings an attacker would try: anything, terminal and Markdown syntax
/// dense, the issue's own examples, and very long runs of backticks.
pub(crate) fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202e}`<>\\[\\]()!*_~^#@:/.&|$\\\\a-z \"=-]{0,60}",
        Just("\x1b]0;owned\x07\r\x08\x1b[2J".to_owned()),
        Just("``` </details>\n\n# Owned\n@everyone [click](https://e.vil) <img src=x onerror=alert(1)>".to_owned()),
        Just("\n> [!CAUTION]\n> fake\n[x]: https://e.vil".to_owned()),
        "[`a]{500,3000}",
    ]
}

/// A plan with one job of every action, a drift, a warning, a blocked job's
/// error and two waves, every outside string taken from `s` (by position).
fn plan(s: &[String; 6]) -> PlanView<'static> {
    let address =
        |i: usize| Address::instance(JobKind::HuaweiDrs, "fleet", s[i].clone()).to_string();
    let live = |i: usize| Some(LiveView { raw_status: s[i].clone(), state: "running".to_owned() });
    let change = |i: usize, action: Action, desired: Option<&str>| ChangeView {
        address: address(i),
        kind: "huawei_drs".to_owned(),
        id: s[(i + 1) % 6].clone(),
        provider: "huawei".to_owned(),
        direction: "forward".to_owned(),
        options: KindOptions::Huawei(HuaweiOptions { pause_mode: PauseMode::All }),
        action,
        reason: s[(i + 2) % 6].clone(),
        desired: desired.map(str::to_owned),
        live: live((i + 3) % 6),
        pause: None,
        // The window line repeats the (hostile) address.
        window: (i == 0).then(|| WindowView {
            phase: "open".to_owned(),
            opens_at: Some("2026-11-21T11:00:00Z".to_owned()),
            closes_at: "2026-11-21T13:00:00Z".to_owned(),
            next_edge: Some("2026-11-21T13:00:00Z".to_owned()),
            seconds_until_next_edge: Some(3600),
            seconds_until_resume: Some(3600),
        }),
        depends_on: vec![address((i + 4) % 6)],
        description: Some(s[(i + 5) % 6].clone()),
    };
    let notice = |i: usize, code: &str| NoticeView {
        address: Some(address(i)),
        code: code.to_owned(),
        message: s[(i + 5) % 6].clone(),
        deadline: Some("2026-11-21T12:40:00Z".to_owned()),
        seconds_left: Some(2400),
    };
    PlanView {
        format_version: "1.0".to_owned(),
        planned_at: "2026-11-21T12:00:00Z".to_owned(),
        applyable: false,
        has_changes: true,
        refresh_only: false,
        summary: Summary {
            suspend: 1,
            resume: 1,
            stop: 1,
            blocked: 1,
            forget: 1,
            no_op: 0,
            requests: 2,
        },
        changes: Changes::Given(vec![
            change(0, Action::Suspend, Some("suspended")),
            change(1, Action::Resume, Some("running")),
            change(2, Action::Stop, Some("stopped")),
            change(3, Action::Blocked, Some("suspended")),
            change(4, Action::Forget, None),
        ]),
        waves: vec![
            WaveView {
                number: 1,
                requests: vec![RequestView {
                    provider: "huawei".to_owned(),
                    operation: "batch-pause-task".to_owned(),
                    verb: "suspend".to_owned(),
                    direction: "forward".to_owned(),
                    jobs: vec![address(0), address(5)],
                }],
            },
            WaveView {
                number: 2,
                requests: vec![RequestView {
                    provider: "huawei".to_owned(),
                    operation: "batch-retry-task".to_owned(),
                    verb: "resume".to_owned(),
                    direction: "forward".to_owned(),
                    jobs: vec![address(1)],
                }],
            },
        ],
        drift: vec![DriftView {
            address: address(5),
            recorded: live(4).unwrap(),
            recorded_at: "2026-11-21T07:00:00Z".to_owned(),
            live: live(2).unwrap(),
        }],
        warnings: vec![notice(1, "restart_window_closing")],
        errors: vec![notice(3, "unknown_status")],
        data_sources: Vec::new(),
    }
}

fn benign() -> [String; 6] {
    ["a", "b", "c", "d", "e", "f"].map(str::to_owned)
}

/// The structure of a Markdown document as a parser reads it: every block
/// and inline element with its attributes (heading level, fence language,
/// alert kind, link target), the HTML exactly, text and code content as
/// placeholders (consecutive text merged).
pub(crate) fn structure(markdown: &str) -> Vec<String> {
    let mut shape: Vec<String> = Vec::new();
    for event in parse(markdown) {
        let item = match event {
            Event::Text(_) => "text".to_owned(),
            Event::Code(_) => "code".to_owned(),
            other => format!("{other:?}"),
        };
        if item == "text" && shape.last().is_some_and(|last| last == "text") {
            continue;
        }
        shape.push(item);
    }
    shape
}

fn human_text(view: &PlanView, palette: Palette) -> String {
    let mut out = Vec::new();
    human(&mut out, view, palette).unwrap();
    String::from_utf8(out).unwrap()
}

fn progress(s: &[String; 6]) -> Vec<ApplyEvent> {
    let address = |i: usize| Address::instance(JobKind::AlibabaDts, "orders", s[i].clone());
    vec![
        ApplyEvent::WaveStart { index: 0, jobs: vec![address(0), address(1)] },
        ApplyEvent::ActionSent {
            address: address(0),
            verb: ActionVerb::Suspend,
            operation: "SuspendDtsJob",
            request_id: Some(s[1].clone()),
        },
        ApplyEvent::ActionProgress {
            address: address(0),
            verb: ActionVerb::Suspend,
            raw_status: s[2].clone(),
            elapsed: Duration::from_secs(3),
        },
        ApplyEvent::ActionComplete {
            address: address(0),
            verb: ActionVerb::Suspend,
            outcome: ActionOutcome::Succeeded,
            raw_status: Some(s[3].clone()),
            elapsed: Duration::from_secs(4),
        },
        ApplyEvent::ActionErrored {
            address: address(4),
            verb: ActionVerb::Resume,
            outcome: ActionOutcome::Failed,
            detail: s[5].clone(),
            request_id: Some(s[1].clone()),
        },
        ApplyEvent::JobSkipped {
            address: address(5),
            reason: SkipReason::Stale,
            detail: s[2].clone(),
        },
        ApplyEvent::JobForgotten { address: address(3) },
    ]
}

fn diagnostic(s: &[String; 6]) -> Diagnostic {
    let code = format!("  x = \"{}\"", s[0]);
    Diagnostic {
        severity: Severity::Error,
        summary: s[1].clone(),
        detail: format!("{}\n\n{}", s[2], s[3]),
        range: Some(SourceRange {
            filename: s[4].clone(),
            start: SourcePos { line: 3, column: 7, byte: 20 },
            end: SourcePos { line: 3, column: 9, byte: 22 },
        }),
        snippet: Some(Snippet {
            highlight_start_offset: 6,
            highlight_end_offset: code.len(),
            code,
            start_line: 3,
        }),
    }
}

fn strings() -> impl Strategy<Value = [String; 6]> {
    [hostile(), hostile(), hostile(), hostile(), hostile(), hostile()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_human_plan_holds_no_control_character_but_colour(s in strings()) {
        let view = plan(&s);
        for palette in [Palette::never(), Palette::detect(false, true, None)] {
            let text = human_text(&view, palette);
            prop_assert!(is_inert(&text), "{text:?}");
            let lines = human_text(&plan(&benign()), palette).lines().count();
            prop_assert_eq!(text.lines().count(), lines, "no line is forged: {:?}", text);
        }
    }

    #[test]
    fn the_markdown_plan_has_the_structure_jobform_wrote(s in strings()) {
        let limit = usize::MAX / 2;
        let text = markdown(&plan(&s), limit);
        prop_assert_eq!(structure(&text), structure(&markdown(&plan(&benign()), limit)), "{}", text);
    }

    #[test]
    fn a_truncated_markdown_plan_stays_whole_and_under_its_limit(s in strings(), limit in 400..4_000usize) {
        let text = markdown(&plan(&s), limit);
        prop_assert!(text.chars().count() <= limit, "{} > {limit}", text.chars().count());
        // Whatever was cut, nothing appears that the full plan and the
        // truncation note lack.
        let mut known = structure(&markdown(&plan(&benign()), usize::MAX / 2));
        known.extend(structure(&markdown(&plan(&benign()), 400)));
        for item in structure(&text) {
            prop_assert!(known.contains(&item), "{item} in {text}");
        }
    }

    #[test]
    fn apply_progress_lines_are_inert_and_json_lines_exact(s in strings()) {
        let events = progress(&s);
        let mut out = Vec::new();
        let mut hooks = HumanProgress::new(&mut out, Palette::detect(false, true, None));
        for event in &events {
            hooks.event(event);
        }
        let text = String::from_utf8(out).unwrap();
        prop_assert!(is_inert(&text), "{text:?}");
        prop_assert_eq!(text.lines().count(), events.len());

        let mut out = Vec::new();
        let mut hooks = JsonProgress::new(&mut out);
        for event in &events {
            hooks.event(event);
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> =
            text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
        prop_assert_eq!(lines[1]["data"]["request_id"].as_str(), Some(s[1].as_str()));
        prop_assert_eq!(lines[2]["data"]["raw_status"].as_str(), Some(s[2].as_str()));
        prop_assert_eq!(lines[4]["data"]["detail"].as_str(), Some(s[5].as_str()));
    }

    #[test]
    fn diagnostics_are_inert_with_carets_under_the_escaped_text(s in strings()) {
        let diagnostic = diagnostic(&s);
        let mut out = Vec::new();
        jobform::render::diagnostic::one(&mut out, &diagnostic, Palette::detect(false, true, None)).unwrap();
        let text = String::from_utf8(out).unwrap();
        prop_assert!(is_inert(&text), "{text:?}");

        let mut out = Vec::new();
        jobform::render::diagnostic::one(&mut out, &diagnostic, Palette::never()).unwrap();
        let text = String::from_utf8(out).unwrap();
        // Summary, location, gutter, code, carets: one line each, escaped.
        let lines: Vec<&str> = text.lines().collect();
        let (code, carets) = (lines[3], lines[4]);
        let shown = Terminal(&s[0]).to_string();
        // The carets start under the opening quote and span the escaped
        // value and both quotes.
        let column = |line: &str, at: usize| line[..at].chars().count();
        let quote = code.find("x = \"").map(|at| column(code, at) + 4);
        prop_assert_eq!(carets.find('^').map(|at| column(carets, at)), quote);
        prop_assert_eq!(carets.matches('^').count(), shown.chars().count() + 2);
    }
}

#[test]
fn the_issue_example_renders_literally() {
    let key = "k```\n</details>\n\n# Owned\n@everyone [x](https://e.vil) <img src=x onerror=alert(1)>\x1b]0;t\x07";
    let mut s = benign();
    s[2] = key.to_owned();
    let view = plan(&s);
    let text = markdown(&view, usize::MAX / 2);
    assert_eq!(structure(&text), structure(&markdown(&plan(&benign()), usize::MAX / 2)));
    insta::assert_snapshot!(
        // The word joiner that defuses the mention, made visible.
        text.lines()
            .filter(|line| line.contains("Owned"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace('\u{2060}', "{WJ}"),
        @r#"
    > - huawei_drs.fleet["f"]: recorded "running" (e) at 2026-11-21T07:00:00Z, now "running" (k\`\`\`\\n\</details\>\\n\\n\# Owned\\n@{WJ}everyone [x\](https\://e.vil) \<img src=x onerror=alert(1)\>\\x1b]0;t\\x07)
    > - **stop** ````huawei_drs.fleet["k```\n</details>\n\n# Owned\n@everyone [x](https://e.vil) <img src=x onerror=alert(1)>\x1b]0;t\x07"]````: ends the job for good
    > - **blocked** `huawei_drs.fleet["d"]`: unknown_status: k\`\`\`\\n\</details\>\\n\\n\# Owned\\n@{WJ}everyone [x\](https\://e.vil) \<img src=x onerror=alert(1)\>\\x1b]0;t\\x07
    - huawei_drs.fleet["k```\n</details>\n\n# Owned\n@everyone [x](https://e.vil) <img src=x onerror=alert(1)>\x1b]0;t\x07"] will be stopped
    #     description: k```\n</details>\n\n# Owned\n@everyone [x](https://e.vil) <img src=x onerror=alert(1)>\x1b]0;t\x07
    "#
    );
}

/// What a reviewer must read is not folded: drift, stops and blocked jobs,
/// deadlines and maintenance windows are GitHub alerts above the first
/// `<details>`, and stay
/// so whatever strings the plan holds (the property tests above compare
/// every hostile plan's structure with this one).
#[test]
fn drift_stops_and_deadlines_are_alerts_above_the_folds() {
    let shape = structure(&markdown(&plan(&benign()), usize::MAX / 2));
    let position = |item: &str| shape.iter().position(|s| s.starts_with(item));
    let fold = position("Html(").expect("a fold");
    let alerts: Vec<&String> =
        shape[..fold].iter().filter(|s| s.starts_with("Start(BlockQuote(Some")).collect();
    assert_eq!(
        alerts,
        [
            "Start(BlockQuote(Some(Important)))",
            "Start(BlockQuote(Some(Caution)))",
            "Start(BlockQuote(Some(Warning)))",
            "Start(BlockQuote(Some(Note)))"
        ],
        "{shape:?}"
    );
}

/// What `text` renders as: the literal string, control characters visible,
/// a word joiner after each `@` (so no mention).
fn literal(s: &str) -> String {
    terminal::line(s).replace('@', "@\u{2060}")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn markdown_text_renders_as_the_literal_string(
        s in prop_oneof![any::<String>(), "[\\[\\]()<>!*_~^`#@:/.&$|\\\\a-z \n\r\x1b-]{0,40}"]
    ) {
        let markdown = format!("- x {} y\n", text(&s));
        let mut rendered = String::new();
        for event in parse(&markdown) {
            match event {
                Event::Text(t) => rendered.push_str(&t),
                Event::Start(Tag::List(_) | Tag::Item | Tag::Paragraph)
                | Event::End(TagEnd::List(_) | TagEnd::Item | TagEnd::Paragraph) => {}
                other => prop_assert!(false, "unexpected {other:?} in {markdown:?}"),
            }
        }
        prop_assert_eq!(rendered, format!("x {} y", literal(&s)));
    }

    #[test]
    fn markdown_code_spans_and_fences_hold_any_text(s in any::<String>(), t in "[`a ]{0,12}") {
        for s in [&s, &t].into_iter().filter(|s| !s.is_empty()) {
            let markdown = format!("x {} y\n", code(s));
            let codes: Vec<String> = parse(&markdown)
                .into_iter()
                .filter_map(|e| if let Event::Code(c) = e { Some(c.into_string()) } else { None })
                .collect();
            prop_assert_eq!(codes, vec![terminal::line(s)], "{:?}", markdown);
            let lines = [terminal::line(s), "tail".to_owned()];
            let fence = fence(&lines);
            let block = format!("{fence}diff\n{}\n{}\n{fence}\nafter\n", lines[0], lines[1]);
            let parsed = parse(&block);
            let opened = parsed
                .iter()
                .filter(|e| matches!(e,
                    Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) if lang.as_ref() == "diff"))
                .count();
            prop_assert_eq!(opened, 1, "{:?}", block);
            let inside: String = parsed
                .iter()
                .filter_map(|e| if let Event::Text(t) = e { Some(t.to_string()) } else { None })
                .collect();
            prop_assert_eq!(inside, format!("{}\n{}\nafter", lines[0], lines[1]));
        }
    }
}
