//! `jobform import`: list every job of the configured providers, keep those
//! no block manages, write HCL for them and record them in the state (audit
//! verb `import`).
//!
//! The cloud's strings are untrusted. Names become block names only through
//! [`identifier`] (ASCII letters, digits and `_`); ids are written through
//! [`hcl_string`] (every quote, backslash, template opener and control or
//! bidi character escaped); the comment quoting a name and status goes
//! through [`comment_text`] (one line, every control, bidi and line-separator
//! character shown as an escape). The HCL is put through `fmt` before it is
//! written, which parses it again: a generator bug fails the command instead
//! of writing a configuration that means something else.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write;

use regex::Regex;
use time::OffsetDateTime;

use crate::cli::ImportArgs;
use crate::config::Config;
use crate::error::{Error, ExitStatus, FileFormatError};
use crate::hclfmt;
use crate::model::{
    ActionVerb, Address, DesiredState, Direction, DtsJobType, JobKind, ListedJob, Listing,
    ListingQuery, LiveState, ProviderConfig, ProviderRef,
};
use crate::provider::describe;
use crate::provider::fleet::Fleet;
use crate::render::{Palette, Terminal, plural, terminal};
use crate::state::{
    ActionOutcome, Actor, AuditEntry, AuditVerb, ChangeSet, JobRecord, Observation, PauseRecord,
    PauseSource,
};

pub(crate) fn run(
    args: &ImportArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    palettes: (Palette, Palette),
) -> Result<ExitStatus, Error> {
    let ImportArgs { vars, providers, filter, group, out: out_file, force, state, lock } = args;
    let (_, stderr) = palettes;
    let filter =
        filter.as_deref().map(Regex::new).transpose().map_err(|error| {
            Error::Usage(format!("--filter is not a regular expression: {error}"))
        })?;
    // Refused before anything is read or sent.
    if let Some(path) = out_file {
        if !force && path.exists() {
            return Err(Error::OutputExists(path.clone()));
        }
    }
    // Jobs a block manages through a data source are managed too. One
    // runtime serves the data sources' listings and the import's own.
    let runtime = super::plan::runtime()?;
    let (loaded, _) =
        super::plan::load_config(&vars.inputs, super::plan::DataRead::List(&runtime))?;
    super::print_warnings(&loaded.warnings, err, stderr);
    let config = loaded.config;
    let selected = selected_providers(&config, providers)?;
    let env = |name: &str| std::env::var(name).ok();
    let fleet = Fleet::build(&config.providers, &selected, &env)?;
    let listed = list_all(&runtime, &fleet, &selected)?;

    let (candidates, skipped) = unmanaged(&config, &listed, filter.as_ref());
    for skip in &skipped {
        writeln!(err, "{}", skip.warning()).map_err(Error::stdout)?;
    }
    if candidates.is_empty() {
        let message = "No unmanaged jobs to import: every job the providers list is managed by a block (or filtered out).";
        let stream: &mut dyn Write = if out_file.is_some() { out } else { err };
        writeln!(stream, "{message}").map_err(Error::stdout)?;
        return Ok(ExitStatus::Success);
    }
    let taken =
        config.jobs.iter().map(|job| (job.address.kind, job.address.name.to_string())).collect();
    let imports =
        if *group { grouped(candidates, taken) } else { one_block_each(candidates, taken) };
    // A generator bug fails here, naming what it would have written.
    let hcl = hclfmt::format_source(&imports.hcl).map_err(|error| {
        Error::Unformattable(vec![FileFormatError {
            path: out_file.clone().unwrap_or_else(|| "(standard output)".into()),
            error,
        }])
    })?;

    let actor = Actor::current(|key| std::env::var(key).ok());
    let store = super::state::open_store(state)?;
    let _lock = store.lock("import", &actor, lock.lock_timeout)?;
    let prior = store.load()?;
    let now = OffsetDateTime::now_utc();
    let changes = imports.changes(&actor, now);
    // The file first: when it cannot be written, nothing is recorded.
    if let Some(path) = out_file {
        // `create_new` unless forced: a file that appeared since the check
        // above is not overwritten either.
        let mut options = std::fs::OpenOptions::new();
        options.write(true);
        if *force {
            options.create(true).truncate(true);
        } else {
            options.create_new(true);
        }
        options.open(path).and_then(|mut file| file.write_all(hcl.as_bytes())).map_err(
            |source| match source.kind() {
                std::io::ErrorKind::AlreadyExists => Error::OutputExists(path.clone()),
                _ => Error::Io { action: "cannot write", path: path.clone(), source },
            },
        )?;
    }
    store.commit(&prior.lineage, prior.serial, &changes)?;
    store.compact()?;
    let imported = plural(changes.jobs.len(), "job");
    match out_file {
        Some(path) => writeln!(
            out,
            "Imported {imported} into {} (recorded in the state): `jobform plan` now says \"No changes\" for them.",
            Terminal(path.display())
        ),
        None => out.write_all(hcl.as_bytes()).and_then(|()| {
            writeln!(
                err,
                "Imported {imported} (recorded in the state): save the HCL above in a *.hcl file of the configuration."
            )
        }),
    }
    .map_err(Error::stdout)?;
    Ok(ExitStatus::Success)
}

/// The provider blocks `--provider` names (every block when none is named).
fn selected_providers(config: &Config, named: &[String]) -> Result<Vec<ProviderRef>, Error> {
    let declared: Vec<ProviderRef> =
        config.providers.iter().map(ProviderConfig::reference).collect();
    if named.is_empty() {
        return Ok(declared);
    }
    named
        .iter()
        .map(|text| {
            declared.iter().find(|reference| reference.to_string() == *text).cloned().ok_or_else(
                || {
                    let known: Vec<String> = declared.iter().map(ToString::to_string).collect();
                    Error::Usage(format!(
                        "--provider {text}: no provider block is `{text}` (declared: {})",
                        if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                    ))
                },
            )
        })
        .collect()
}

/// Every listing of every selected provider, all in flight together; every
/// failing provider block is reported at once, with where it is declared.
fn list_all(
    runtime: &tokio::runtime::Runtime,
    fleet: &Fleet,
    selected: &[ProviderRef],
) -> Result<Vec<(ProviderRef, ListedJob)>, Error> {
    let queries: Vec<ListingQuery> = selected
        .iter()
        .flat_map(|provider| {
            Listing::ALL
                .into_iter()
                .filter(|listing| listing.kind().cloud() == provider.cloud)
                .map(|listing| ListingQuery::all(listing, provider.clone()))
        })
        .collect();
    let queries: Vec<&ListingQuery> = queries.iter().collect();
    let answers = runtime.block_on(fleet.list_each(&queries))?;
    Ok(queries
        .iter()
        .zip(answers)
        .flat_map(|(query, jobs)| jobs.into_iter().map(|job| (query.provider.clone(), job)))
        .collect())
}

/// One task of a listed job that no block manages: a job, or the reverse
/// task of a two-way synchronization.
#[derive(Debug, Clone)]
struct Candidate<'a> {
    provider: &'a ProviderRef,
    job: &'a ListedJob,
    direction: Direction,
    /// The task's status word.
    status: &'a str,
    state: DesiredState,
}

/// A task left out, and why.
#[derive(Debug)]
struct Skipped<'a> {
    job: &'a ListedJob,
    direction: Direction,
    reason: String,
}

impl Skipped<'_> {
    fn warning(&self) -> String {
        let task = if self.direction == Direction::Reverse { "the reverse task of " } else { "" };
        format!(
            "Warning: not imported: {task}{} job {} ({}): {}",
            self.job.kind,
            comment_text(&self.job.name),
            Terminal(&self.job.id),
            self.reason
        )
    }
}

/// The tasks of `listed` no block of `config` manages (by kind, id and
/// direction: a job listed by two provider blocks of one account is taken
/// once), whose name `filter` matches, each with the state it is in; and the
/// unmanaged ones whose state no block can declare.
fn unmanaged<'a>(
    config: &Config,
    listed: &'a [(ProviderRef, ListedJob)],
    filter: Option<&Regex>,
) -> (Vec<Candidate<'a>>, Vec<Skipped<'a>>) {
    let mut managed: HashSet<(JobKind, &str, Direction)> = config
        .jobs
        .iter()
        .map(|job| (job.kind(), job.id.as_str(), job.options.direction()))
        .collect();
    let mut candidates = Vec::new();
    let mut skipped = Vec::new();
    for (provider, job) in listed {
        if filter.is_some_and(|filter| !filter.is_match(&job.name)) {
            continue;
        }
        let reverse = job
            .reverse_status
            .as_deref()
            .filter(|_| describe(job.kind).two_way)
            .map(|status| (Direction::Reverse, status));
        for (direction, status) in
            std::iter::once((Direction::Forward, job.status.as_str())).chain(reverse)
        {
            if !managed.insert((job.kind, job.id.as_str(), direction)) {
                continue;
            }
            match declarable_state(job.kind, status) {
                Ok(state) => candidates.push(Candidate { provider, job, direction, status, state }),
                Err(reason) => skipped.push(Skipped { job, direction, reason }),
            }
        }
    }
    (candidates, skipped)
}

/// The state a block must declare for a job in `status` to plan no change,
/// or why no block can.
fn declarable_state(kind: JobKind, status: &str) -> Result<DesiredState, String> {
    let description = describe(kind);
    match (description.live_state)(status) {
        LiveState::Running => Ok(DesiredState::Running),
        LiveState::Suspended => Ok(DesiredState::Suspended),
        LiveState::Stopped => match description.cannot(ActionVerb::Stop) {
            None => Ok(DesiredState::Stopped),
            Some(refusal) => {
                Err(format!("it has ended, and a block cannot declare it stopped ({refusal})"))
            }
        },
        other => Err(format!(
            "its status {} means {}: import it once it is running, suspended or stopped",
            comment_text(status),
            other.label()
        )),
    }
}

/// The HCL to write and the state records of what it declares.
struct Imports<'a> {
    hcl: String,
    records: Vec<(Address, Candidate<'a>)>,
}

impl Imports<'_> {
    /// The records and the `import` audit entries.
    fn changes(&self, actor: &Actor, now: OffsetDateTime) -> ChangeSet {
        let mut changes = ChangeSet::default();
        for (address, candidate) in &self.records {
            let job = candidate.job;
            let state = (describe(job.kind).live_state)(candidate.status);
            changes.jobs.insert(
                address.clone(),
                JobRecord {
                    kind: job.kind,
                    id: job.id.clone(),
                    provider: candidate.provider.clone(),
                    direction: candidate.direction,
                    observed: Observation {
                        raw_status: candidate.status.to_owned(),
                        state,
                        at: now,
                        job_type: listed_dts_job_type(job),
                    },
                    // Already paused when first seen: the pause is at least this old.
                    paused: (state == LiveState::Suspended).then_some(PauseRecord {
                        since: now,
                        source: PauseSource::FirstSeen,
                        pause_mode: None,
                    }),
                    last_action: None,
                },
            );
            changes.audit.push(AuditEntry {
                at: now,
                who: actor.clone(),
                message: None,
                address: address.clone(),
                job_id: job.id.clone(),
                verb: AuditVerb::Import,
                request_id: None,
                outcome: ActionOutcome::Succeeded,
                detail: Some(format!(
                    "imported: named {:?} in the cloud, status {}",
                    job.name, candidate.status
                )),
            });
        }
        changes
    }
}

/// Block names already used, per kind (the configuration's, then each one
/// given out), so a new name never collides.
#[derive(Default)]
struct Taken {
    names: BTreeSet<(JobKind, String)>,
    /// Per kind and base name, the suffix to try next: names a cloud gives
    /// in another script all become `job`, and thousands of them must not
    /// each count up from `job_2` again.
    next: HashMap<(JobKind, String), u32>,
}

impl FromIterator<(JobKind, String)> for Taken {
    fn from_iter<I: IntoIterator<Item = (JobKind, String)>>(names: I) -> Self {
        Taken { names: names.into_iter().collect(), next: HashMap::new() }
    }
}

/// `base`, or `base_2`, `base_3`, … — the first not taken for `kind`.
fn unique(taken: &mut Taken, kind: JobKind, base: &str) -> String {
    let n = taken.next.entry((kind, base.to_owned())).or_insert(1);
    let mut name = base.to_owned();
    if *n > 1 {
        name = format!("{base}_{n}");
    }
    while taken.names.contains(&(kind, name.clone())) {
        *n += 1;
        name = format!("{base}_{n}");
    }
    *n += 1;
    taken.names.insert((kind, name.clone()));
    name
}

/// A block name from a cloud's job name: lower-case ASCII letters and
/// digits, every other run of characters one `_`; `job_` before a leading
/// digit; `job` when nothing is left.
fn identifier(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    match trimmed.chars().next() {
        None => "job".to_owned(),
        Some(first) if first.is_ascii_digit() => format!("job_{trimmed}"),
        Some(_) => trimmed.to_owned(),
    }
}

/// The block name of a task: its job's, `_reverse` for a reverse task.
fn base_name(candidate: &Candidate<'_>) -> String {
    let name = identifier(&candidate.job.name);
    match candidate.direction {
        Direction::Forward => name,
        Direction::Reverse => format!("{name}_reverse"),
    }
}

/// Candidates in a stable order: kind, derived name, id, direction (the
/// forward task first), so suffixes do not depend on the clouds' order.
fn sorted(mut candidates: Vec<Candidate<'_>>) -> Vec<Candidate<'_>> {
    candidates.sort_by_cached_key(|c| (c.job.kind, base_name(c), c.job.id.clone(), c.direction));
    candidates
}

/// One `job` block per task.
fn one_block_each(candidates: Vec<Candidate<'_>>, mut taken: Taken) -> Imports<'_> {
    let mut hcl = String::new();
    let mut records = Vec::new();
    for candidate in sorted(candidates) {
        let job = candidate.job;
        let name = unique(&mut taken, job.kind, &base_name(&candidate));
        let _ =
            writeln!(hcl, "# {}\njob \"{}\" \"{name}\" {{", describe_task(&candidate), job.kind);
        write_provider(&mut hcl, candidate.provider);
        let _ = writeln!(hcl, "  id = {}", hcl_string(&job.id));
        write_direction(&mut hcl, candidate.direction);
        if let Some(instance_id) = &job.instance_id {
            let _ = writeln!(hcl, "  instance_id = {}", hcl_string(instance_id));
        }
        write_state(&mut hcl, candidate.state);
        hcl.push_str("}\n\n");
        records.push((Address::new(job.kind, name), candidate));
    }
    Imports { hcl, records }
}

/// One `for_each` block per kind, provider, direction and state: a map of
/// the tasks' names to their ids.
fn grouped(candidates: Vec<Candidate<'_>>, mut taken: Taken) -> Imports<'_> {
    let mut groups: BTreeMap<(JobKind, &ProviderRef, Direction, DesiredState), Vec<Candidate<'_>>> =
        BTreeMap::new();
    for candidate in sorted(candidates) {
        groups
            .entry((candidate.job.kind, candidate.provider, candidate.direction, candidate.state))
            .or_default()
            .push(candidate);
    }
    let mut hcl = String::new();
    let mut records = Vec::new();
    for ((kind, provider, direction, state), members) in groups {
        let mut base = format!("imported_{}", state.label());
        if direction == Direction::Reverse {
            base.push_str("_reverse");
        }
        if let Some(alias) = &provider.alias {
            base = format!("{base}_{}", identifier(alias));
        }
        let name = unique(&mut taken, kind, &base);
        let _ = writeln!(hcl, "# Imported by jobform import.\njob \"{kind}\" \"{name}\" {{");
        write_provider(&mut hcl, provider);
        hcl.push_str("  for_each = {\n");
        let mut keys = Taken::default();
        for candidate in members {
            let key = unique(&mut keys, kind, &identifier(&candidate.job.name));
            let _ = writeln!(hcl, "    # {}", describe_task(&candidate));
            let _ = writeln!(hcl, "    {key} = {}", hcl_string(&candidate.job.id));
            records.push((Address::instance(kind, name.clone(), key), candidate));
        }
        hcl.push_str("  }\n  id = each.value\n");
        write_direction(&mut hcl, direction);
        write_state(&mut hcl, state);
        hcl.push_str("}\n\n");
    }
    Imports { hcl, records }
}

/// The `JobType` a DTS job was listed under, for its record: the next read
/// asks it under that type alone. Other kinds' listings have no DTS type
/// (DRS's `db_use_type` is another vocabulary).
fn listed_dts_job_type(job: &ListedJob) -> Option<DtsJobType> {
    match job.kind {
        JobKind::AlibabaDts => job.job_type.as_deref().and_then(DtsJobType::from_word),
        JobKind::AlibabaMigration | JobKind::AlibabaSynchronization | JobKind::HuaweiDrs => None,
    }
}

/// The comment above a task: its kind, cloud name and status.
fn describe_task(candidate: &Candidate<'_>) -> String {
    let task = if candidate.direction == Direction::Reverse { "reverse task of " } else { "" };
    format!(
        "{task}{} job {} ({})",
        candidate.job.kind,
        comment_text(&candidate.job.name),
        comment_text(candidate.status)
    )
}

/// `provider`, for an aliased block (the default block needs none).
fn write_provider(hcl: &mut String, provider: &ProviderRef) {
    if let Some(alias) = &provider.alias {
        // An alias is an identifier the configuration declared: safe as is.
        let _ = writeln!(hcl, "  provider = {}.{alias}", provider.cloud);
    }
}

/// `direction`, for a reverse task.
fn write_direction(hcl: &mut String, direction: Direction) {
    if direction == Direction::Reverse {
        hcl.push_str("  direction = \"reverse\"\n");
    }
}

/// `state`, and `allow_stop` which a stopped state requires.
fn write_state(hcl: &mut String, state: DesiredState) {
    let _ = writeln!(hcl, "  state = \"{}\"", state.label());
    if state == DesiredState::Stopped {
        hcl.push_str("  allow_stop = true\n");
    }
}

/// Whether `c` would change how a line of HCL reads or where it ends: what a
/// terminal would act on (controls, bidi overrides, isolates, marks), and
/// what an editor or another parser may act on in a file — the Unicode line
/// and paragraph separators, the Arabic letter mark, the zero-width
/// characters and word joiners, and the byte-order mark.
fn is_unsafe(c: char) -> bool {
    terminal::is_unsafe(c)
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200d}'
                | '\u{2028}' | '\u{2029}'
                | '\u{2060}'..='\u{2065}'
                | '\u{feff}'
        )
}

/// Untrusted text as one inert line in a `#` comment, quoted: every unsafe
/// character as a `\u{…}` escape (so is the quote itself, and a backslash
/// doubled, so the escapes read back unambiguously).
fn comment_text(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Untrusted text as an HCL string literal meaning exactly that text: quotes
/// and backslashes escaped, `${` and `%{` doubled (no template), unsafe
/// characters as `\uXXXX` / `\UXXXXXXXX`.
fn hcl_string(text: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if is_unsafe(c) => {
                let code = u32::from(c);
                let _ = if code > 0xffff {
                    write!(out, "\\U{code:08x}")
                } else {
                    write!(out, "\\u{code:04x}")
                };
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "evil\n}\njob \"alibaba_dts\" \"x\" { id = \"${var.y}\" } */ /* \u{202e}txt.exe\u{2028}\r\t\\ %{ if true }";

    #[test]
    fn names_become_identifiers() {
        assert_eq!(identifier("Orders Sync #1"), "orders_sync_1");
        assert_eq!(identifier("  --eu/west--  "), "eu_west");
        assert_eq!(identifier("2024-backfill"), "job_2024_backfill");
        assert_eq!(identifier("订单同步"), "job");
        assert_eq!(identifier(HOSTILE), "evil_job_alibaba_dts_x_id_var_y_txt_exe_if_true");
        assert!(crate::model::is_identifier(&identifier(HOSTILE)));
    }

    #[test]
    fn unique_names_get_deterministic_suffixes() {
        let mut taken: Taken = [(JobKind::AlibabaDts, "orders".to_owned())].into_iter().collect();
        assert_eq!(unique(&mut taken, JobKind::AlibabaDts, "orders"), "orders_2");
        assert_eq!(unique(&mut taken, JobKind::AlibabaDts, "orders"), "orders_3");
        assert_eq!(unique(&mut taken, JobKind::HuaweiDrs, "orders"), "orders");
    }

    /// Thousands of jobs whose names all become `job` (names in another
    /// script) get `job`, `job_2`, … in turn, skipping a name the
    /// configuration or an earlier base already holds.
    #[test]
    fn many_jobs_of_one_base_name_are_numbered_in_turn() {
        let mut taken: Taken = [(JobKind::HuaweiDrs, "job_3".to_owned())].into_iter().collect();
        assert_eq!(unique(&mut taken, JobKind::HuaweiDrs, "job_4"), "job_4");
        let names: Vec<String> =
            (0..20_000).map(|_| unique(&mut taken, JobKind::HuaweiDrs, "job")).collect();
        assert_eq!(names[..4], ["job", "job_2", "job_5", "job_6"]);
        assert_eq!(names.last().map(String::as_str), Some("job_20002"));
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len());
    }

    #[test]
    fn hostile_text_is_one_inert_comment_line_and_an_exact_string() {
        let comment = comment_text(HOSTILE);
        assert!(!comment.contains(['\n', '\r', '\u{202e}', '\u{2028}']), "{comment}");
        let source = format!("# {comment}\nid = {}\n", hcl_string(HOSTILE));
        let body: hcl::Body = hcl::from_str(&source).unwrap();
        let attributes: Vec<_> = body.attributes().collect();
        assert_eq!(attributes.len(), 1, "{source}");
        assert_eq!(attributes[0].expr, hcl::Expression::String(HOSTILE.to_owned()), "{source}");
        assert_eq!(hclfmt::format_source(&source).unwrap(), source);
    }
}
