//! The command line as clap sees it: shape and value validation only. No I/O
//! happens here.

// Doc comments here are the `--help` text users read, not rustdoc: addresses
// like KIND.NAME["key"] are written as users type them.
#![allow(clippy::doc_link_with_quotes)]

use std::path::PathBuf;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::config::{VarInputs, VarOption};

/// Declare the state of your Alibaba DTS and Huawei DRS replication jobs in HCL;
/// jobform plans and applies the suspend, resume and stop actions that get them there.
#[derive(Debug, Parser)]
#[command(name = "jobform", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Run as if jobform was started in DIR (where the *.hcl files are).
    #[arg(long, global = true, value_name = "DIR", env = "JOBFORM_CHDIR")]
    pub chdir: Option<PathBuf>,

    /// Never colour the output (also: the NO_COLOR environment variable).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// The state to use among the several a backend "pg" block's schema holds.
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        env = "JOBFORM_WORKSPACE",
        default_value = "default"
    )]
    pub workspace: String,

    /// More log output on stderr: -v info, -vv debug, -vvv trace (JOBFORM_LOG overrides).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// A hint for a Terraform habit: a long flag typed with one dash
/// (`-out=FILE`, `-auto-approve`), which clap reads as short flags.
pub fn single_dash_hint(args: &[String]) -> Option<String> {
    use clap::CommandFactory;
    fn longs(command: &clap::Command, into: &mut Vec<String>) {
        into.extend(command.get_arguments().filter_map(|a| a.get_long().map(str::to_owned)));
        command.get_subcommands().for_each(|sub| longs(sub, into));
    }
    let mut known = Vec::new();
    longs(&Cli::command(), &mut known);
    args.iter().find_map(|arg| {
        let (name, value) = arg.strip_prefix('-')?.split_once('=').unwrap_or((&arg[1..], ""));
        if name.starts_with('-') || !known.iter().any(|k| k == name) {
            return None;
        }
        let fixed =
            if value.is_empty() { format!("--{name}") } else { format!("--{name} {value}") };
        Some(format!(
            "hint: jobform's long options take two dashes: `{fixed}`, not Terraform's `{arg}`"
        ))
    })
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the configuration: syntax, types, references. Needs no credentials or network.
    Validate(ValidateArgs),
    /// Rewrite *.hcl files in the canonical style, keeping comments.
    Fmt(FmtArgs),
    /// Read the live jobs, diff them against the configuration, print the plan.
    Plan(PlanArgs),
    /// Execute a plan (a fresh one, or a saved PLANFILE) and record the results in the state.
    Apply(ApplyArgs),
    /// Write HCL for the jobs of the configured providers that no block manages, and record them in the state.
    Import(ImportArgs),
    /// Keep the maintenance windows: plan and apply at each window edge and every --interval, sleeping in between.
    Watch(WatchArgs),
    /// Show the state, or a saved plan file.
    Show(ShowArgs),
    /// Inspect or edit the state, move it between backends.
    #[command(subcommand)]
    State(StateCommand),
    /// Remove a stale lock from the state (after checking nobody holds it).
    ForceUnlock(ForceUnlockArgs),
    /// Run the local emulator of the Alibaba DTS and Huawei DRS APIs.
    #[command(subcommand)]
    Emulator(EmulatorCommand),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// Variable inputs, shared by every command that evaluates the configuration:
/// every `--var` and `--var-file`, kept in command-line order because a later
/// one wins (the derive API would split them into two lists and lose that
/// order, so `Args` is implemented by hand from the argument indices).
#[derive(Debug, Clone, Default)]
pub struct VarArgs {
    /// The options, in command-line order.
    pub inputs: VarInputs,
}

const VAR_ID: &str = "var";
const VAR_FILE_ID: &str = "var_file";

impl FromArgMatches for VarArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let assignments = matches
            .indices_of(VAR_ID)
            .into_iter()
            .flatten()
            .zip(matches.get_many::<String>(VAR_ID).into_iter().flatten())
            .map(|(index, text)| (index, VarOption::Assign(text.clone())));
        let files = matches
            .indices_of(VAR_FILE_ID)
            .into_iter()
            .flatten()
            .zip(matches.get_many::<PathBuf>(VAR_FILE_ID).into_iter().flatten())
            .map(|(index, path)| (index, VarOption::File(path.clone())));
        let mut options: Vec<(usize, VarOption)> = assignments.chain(files).collect();
        options.sort_by_key(|(index, _)| *index);
        Ok(VarArgs { inputs: VarInputs { options: options.into_iter().map(|(_, o)| o).collect() } })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = VarArgs::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for VarArgs {
    fn augment_args(command: clap::Command) -> clap::Command {
        command
            .arg(
                Arg::new(VAR_ID)
                    .long("var")
                    .value_name("NAME=VALUE")
                    .action(ArgAction::Append)
                    .help("Set a variable (repeatable; later wins). VALUE is taken literally for string variables, read as HCL for other types"),
            )
            .arg(
                Arg::new(VAR_FILE_ID)
                    .long("var-file")
                    .value_name("FILE")
                    .value_parser(clap::value_parser!(PathBuf))
                    .action(ArgAction::Append)
                    .help("Read variables from an HCL file of NAME = VALUE lines (repeatable; later wins)"),
            )
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        VarArgs::augment_args(command)
    }
}

/// Where the state lives, shared by every command that reads or writes it.
#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    /// The state file, when there is no backend "pg" block (`None`: not
    /// given, the default; not `default_value`, which would hide whether it
    /// was given).
    #[arg(
        long = "state",
        value_name = "FILE",
        help = format!(
            "The state file (without a backend \"pg\" block) [default: {}]",
            crate::state::DEFAULT_PATH
        )
    )]
    pub path: Option<PathBuf>,

    /// The workspace (the global `--workspace`, filled in after parsing).
    #[arg(skip)]
    pub workspace: String,
}

impl Command {
    /// The state options of a command that uses the state.
    pub fn state_args_mut(&mut self) -> Option<&mut StateArgs> {
        match self {
            Command::Plan(args) => Some(&mut args.state),
            Command::Apply(args) => Some(&mut args.state),
            Command::Import(args) => Some(&mut args.state),
            Command::Watch(args) => Some(&mut args.state),
            Command::Show(args) => Some(&mut args.state),
            Command::ForceUnlock(args) => Some(&mut args.state),
            Command::State(
                StateCommand::List { state }
                | StateCommand::Show { state, .. }
                | StateCommand::Rm { state, .. }
                | StateCommand::Pull { state }
                | StateCommand::Push { state, .. },
            ) => Some(state),
            Command::Validate(_)
            | Command::Fmt(_)
            | Command::Emulator(_)
            | Command::Completions(_) => None,
        }
    }
}

/// How long to wait for the state lock.
#[derive(Debug, Clone, Args)]
pub struct LockArgs {
    /// How long to wait for another command holding the state lock, e.g. 30s or 2m.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    pub lock_timeout: Duration,
}

/// Parses `500ms`, `30s`, `2m` or `1h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 =
        number.parse().map_err(|_| format!("`{text}` is not a duration like 30s or 2m"))?;
    let seconds = match unit {
        "ms" => return Ok(Duration::from_millis(number)),
        "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        _ => return Err(format!("`{text}` is not a duration like 30s or 2m (units: ms, s, m, h)")),
    };
    Ok(Duration::from_secs(seconds))
}

/// `jobform validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub vars: VarArgs,

    /// Print the diagnostics as one JSON document.
    #[arg(long)]
    pub json: bool,
}

/// `jobform fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Do not write; exit 3 and list the files that are not formatted.
    #[arg(long)]
    pub check: bool,

    /// Print a unified diff of the changes.
    #[arg(long)]
    pub diff: bool,

    /// Files or directories to format (default: the *.hcl files of the working directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// Output format of plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For a terminal.
    Human,
    /// One JSON document with a `format_version`.
    Json,
    /// For a pull-request comment.
    Markdown,
}

/// What shapes a plan: the options `plan` and `apply` share.
#[derive(Debug, Args)]
pub struct PlanShapeArgs {
    /// Plan only the actions of these jobs (KIND.NAME or KIND.NAME["key"]; repeatable).
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,

    /// Leave these jobs out of the plan (repeatable).
    #[arg(long, value_name = "ADDR")]
    pub exclude: Vec<String>,

    /// Plan the rest when some jobs are blocked, reporting what was skipped.
    #[arg(long)]
    pub skip_blocked: bool,

    /// Only show drift and record the observed statuses; plan no action.
    #[arg(long)]
    pub refresh_only: bool,

    /// Send the action of these jobs again although an earlier request for
    /// it has an unknown outcome (`outcome_unknown`): only once you know the
    /// cloud did not act on it. Recorded as such in the audit log (repeatable).
    #[arg(long, value_name = "ADDR")]
    pub resend_unknown: Vec<String>,
}

impl PlanShapeArgs {
    /// Whether any option was given.
    pub fn is_set(&self) -> bool {
        !self.target.is_empty()
            || !self.exclude.is_empty()
            || self.skip_blocked
            || self.refresh_only
            || !self.resend_unknown.is_empty()
    }
}

/// `jobform plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub vars: VarArgs,

    #[command(flatten)]
    pub shape: PlanShapeArgs,

    /// Exit 0 for no changes, 2 for changes, 1 for errors.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Save the plan to FILE for `jobform apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Shorthand for --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Most characters of --format markdown output (a pull-request comment); the rest is cut visibly.
    #[arg(long, value_name = "CHARS", default_value_t = crate::render::plan::DEFAULT_MARKDOWN_LIMIT)]
    pub markdown_limit: usize,

    #[command(flatten)]
    pub state: StateArgs,
}

/// `jobform apply`.
#[derive(Debug, Args)]
#[command(after_help = "Exit status: 0 when everything planned was done, 1 when nothing was \
    done or on an error, 4 when part of the plan was done and part failed or was skipped \
    (the output and the state's audit log say which). Ctrl-C once: no new action starts, the \
    requests in flight are recorded; twice: exit at once (the state stays consistent).")]
pub struct ApplyArgs {
    /// A plan saved with `plan --out`.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,

    #[command(flatten)]
    pub vars: VarArgs,

    /// How the plan is made (not with PLANFILE: a saved plan carries its own).
    #[command(flatten)]
    pub shape: PlanShapeArgs,

    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,

    /// How many requests may be in flight at once.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub parallelism: usize,

    /// How long to wait for each action to reach its target state, e.g. 90s or 10m.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub wait_timeout: Duration,

    /// Do not wait for actions to settle: record them as pending (jobs others
    /// depend on are still waited for).
    #[arg(long)]
    pub no_wait: bool,

    /// Why this apply is run; recorded in the audit log.
    #[arg(short = 'm', long = "message", value_name = "TEXT")]
    pub message: Option<String>,

    /// Stream events as JSON lines.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub state: StateArgs,

    #[command(flatten)]
    pub lock: LockArgs,
}

/// `jobform import`.
#[derive(Debug, Args)]
#[command(after_help = "Each job becomes a `job` block named after its cloud name, with its \
    live state; two-way synchronizations become a forward and a reverse block. Run it again: \
    it finds only jobs still unmanaged. Exit status: 0 also when there is nothing to import.")]
pub struct ImportArgs {
    #[command(flatten)]
    pub vars: VarArgs,

    /// List the jobs of this provider block only: alibaba, alibaba.ALIAS, huawei, huawei.ALIAS (repeatable) [default: every block].
    #[arg(long = "provider", value_name = "PROVIDER")]
    pub providers: Vec<String>,

    /// Import only the jobs whose cloud name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub filter: Option<String>,

    /// One `for_each` block per kind, provider, direction and state (a map of name to id) instead of a block per job.
    #[arg(long)]
    pub group: bool,

    /// Write the HCL to FILE (a new file: see --force) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Overwrite the --out FILE if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,

    #[command(flatten)]
    pub state: StateArgs,

    #[command(flatten)]
    pub lock: LockArgs,
}

/// `jobform watch`.
#[derive(Debug, Args)]
#[command(after_help = "One line per decision on stdout. The state lock is taken for each round \
    (plan, then apply) and never held while sleeping. Exit status: 0 when every round did its \
    whole plan, 4 when some round had blocked jobs or an action that failed or was skipped, 1 \
    on an error (configuration, state, providers: as `plan`), 130 on a second Ctrl-C. Ctrl-C \
    once: no new action starts, the requests in flight are recorded, then watch stops; while \
    sleeping it stops at once.")]
pub struct WatchArgs {
    #[command(flatten)]
    pub vars: VarArgs,

    /// How the plans are made (as `plan`'s options).
    #[command(flatten)]
    pub shape: PlanShapeArgs,

    /// Plan again at least this often between window edges, e.g. 30s or 5m.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_interval)]
    pub interval: Duration,

    /// Stop after this long (on the clock jobform follows), e.g. 8h [default: until Ctrl-C].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_duration: Option<Duration>,

    #[command(flatten)]
    pub state: StateArgs,

    #[command(flatten)]
    pub lock: LockArgs,
}

/// [`parse_duration`], refusing zero: a watch would plan without pause.
fn parse_interval(text: &str) -> Result<Duration, String> {
    let interval = parse_duration(text)?;
    if interval.is_zero() {
        return Err(format!("`{text}` is no interval: give more than zero"));
    }
    Ok(interval)
}

/// `jobform show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A saved plan file (default: the state).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Print JSON.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub state: StateArgs,
}

/// `jobform state …`.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the job addresses recorded in the state.
    List {
        #[command(flatten)]
        state: StateArgs,
    },
    /// Show the records of a job (a block address shows every instance).
    Show {
        /// KIND.NAME or KIND.NAME["key"].
        address: String,
        #[command(flatten)]
        state: StateArgs,
    },
    /// Forget a job: drop its record (a block address: every instance), never touching the job.
    Rm {
        /// KIND.NAME or KIND.NAME["key"].
        address: String,
        #[command(flatten)]
        state: StateArgs,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Print the state with its audit log as one JSON document (from any backend).
    Pull {
        #[command(flatten)]
        state: StateArgs,
    },
    /// Write a state document (from `state pull`, or an errored state file)
    /// to the configured backend, adding the audit entries it does not hold.
    /// Another lineage or an older serial is refused unless --force.
    Push {
        /// The document.
        file: PathBuf,
        /// Overwrite a state of another lineage or a newer serial.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        state: StateArgs,
        #[command(flatten)]
        lock: LockArgs,
    },
}

/// `jobform force-unlock`.
#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    /// The lock id printed by the command that reported the lock
    /// (`broken` for a lock file that holds none).
    pub lock_id: String,

    /// Unlock even when the holder is still running on this host.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub state: StateArgs,
}

/// `jobform emulator …`.
#[derive(Debug, Subcommand)]
pub enum EmulatorCommand {
    /// Serve both clouds' APIs on one address until interrupted.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8470")]
        listen: String,
        /// World file declaring accounts, projects and jobs (default:
        /// emulator.world.json in the working directory, else the example world).
        #[arg(long, value_name = "FILE")]
        world: Option<PathBuf>,
    },
    /// Run one jobform command against an in-process emulator: providers
    /// without an endpoint are pointed at it (JOBFORM_ALIBABA_ENDPOINT,
    /// JOBFORM_HUAWEI_ENDPOINT) with the world's credentials. The jobs keep
    /// their states between runs (in .jobform/), as on a cloud.
    Run {
        /// World file declaring accounts, projects and jobs (default:
        /// emulator.world.json in the working directory, else the example world).
        #[arg(long, value_name = "FILE")]
        world: Option<PathBuf>,
        /// Start from the world file again, forgetting the job states kept
        /// from earlier runs.
        #[arg(long)]
        fresh: bool,
        /// The jobform command to run, e.g. `apply --auto-approve`.
        #[arg(
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "COMMAND"
        )]
        command: Vec<String>,
    },
}

/// `jobform completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(super::parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(super::parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(super::parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(super::parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(super::parse_duration("soon").is_err());
        assert!(super::parse_duration("5d").is_err());
    }

    #[test]
    fn var_options_keep_command_line_order() {
        use clap::Parser;

        use super::Command;
        use crate::config::VarOption;

        let cli = Cli::try_parse_from([
            "jobform",
            "validate",
            "--var-file",
            "a.vars.hcl",
            "--var",
            "x=1",
            "--var-file",
            "b.vars.hcl",
            "--var",
            "y=2",
        ])
        .unwrap();
        let Command::Validate(args) = cli.command else { panic!("not validate") };
        assert_eq!(
            args.vars.inputs.options,
            [
                VarOption::File("a.vars.hcl".into()),
                VarOption::Assign("x=1".into()),
                VarOption::File("b.vars.hcl".into()),
                VarOption::Assign("y=2".into()),
            ]
        );
    }
}
