//! Command-line definitions (clap derive) and nothing else: what each command
//! does lives in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::engine::gate::{FailOn, GateScope};
use crate::engine::{DEFAULT_CONCURRENCY, DEFAULT_PER_HOST};
use crate::report::{Format, ReportSpec};

const EXAMPLES: &str = "\
Examples:
  candlefish demo                              see a board with every colour, offline
  candlefish check                             run ./candlefish.yaml
  candlefish check checklists/production.yaml --only rtpm-api
  candlefish check prod.yaml --format json > report.json
  candlefish check prod.yaml --gate critical -q --report junit=junit.xml --report html=board.html
  candlefish import CHECKLIST.md -o candlefish.yaml
  candlefish diff yesterday.json today.json
  candlefish validate checklists/*.yaml
  candlefish list checklists/production.yaml
  candlefish sign team-training --evidence https://wiki.example.com/training
  candlefish history team-training
  candlefish runbook checklists/production.yaml --t0 2026-12-01T15:00Z
  candlefish serve checklists/production.yaml --interval 60s --listen 127.0.0.1:9469
  candlefish check big.yaml --shard 2/8 --format json > shard-2.json; candlefish merge shard-*.json

Exit codes:
  0  the gate passed      1  the gate failed (diff: something regressed)
  2  usage or checklist error (nothing ran)      130  interrupted
  5  the gate judged nothing (no item in its scope; --allow-empty-gate accepts it)
  sign and unsign: 0 once the record is on disk, 2 when nothing was recorded";

/// Production-readiness checklists with automated probes and a status board.
#[derive(Debug, Parser)]
#[command(
    name = "candlefish",
    version,
    about = "Production-readiness checklists with automated probes and a 🟢🟡🔴⚪ status board",
    long_about = "Candlefish turns a launch checklist into YAML whose items carry probes, runs them \
                  concurrently, and shows which items are complete and verified (🟢), in progress (🟡), \
                  not started or blocked (🔴), or optional (⚪).",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    /// When to use colour: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a checklist's probes and show the board.
    #[command(
        after_help = "Examples:\n  candlefish check\n  candlefish check prod.yaml --only tag:database -j 8\n  candlefish check prod.yaml --format json --fail-on yellow\n  candlefish check prod.yaml --gate critical -q --report junit=junit.xml --report md=STATUS.md\n  candlefish check prod.yaml --report json=today.json --baseline yesterday.json"
    )]
    Check(CheckArgs),
    /// Check that checklist files are valid, without running anything.
    #[command(
        after_help = "Examples:\n  candlefish validate checklists/production.yaml\n  candlefish validate checklists/*.yaml"
    )]
    Validate(ValidateArgs),
    /// Print the dependency order (startup order) as a list, Mermaid or DOT.
    #[command(
        after_help = "Examples:\n  candlefish graph checklists/production.yaml\n  candlefish graph prod.yaml --format mermaid > deps.mmd\n  candlefish graph prod.yaml --format dot | dot -Tsvg > deps.svg"
    )]
    Graph(GraphArgs),
    /// Show a checklist's items as a tree: ids, probe kinds, critical and optional marks.
    #[command(
        after_help = "Examples:\n  candlefish list checklists/production.yaml\n  candlefish list prod.yaml --format json | jq '.[].id'"
    )]
    List(ListArgs),
    /// Sign a manual item off, with evidence; or waive an automated item (--waive).
    #[command(after_help = SIGN_EXAMPLES)]
    Sign(SignArgs),
    /// Revoke every sign-off and the waiver recorded on an item.
    #[command(
        after_help = "Examples:\n  candlefish unsign team-training --reason \"the training was cancelled\"\n  candlefish unsign api-ready -c prod.yaml --reason \"fixed, waiver no longer needed\""
    )]
    Unsign(UnsignArgs),
    /// Show the sign-off store's records: who signed, waived or revoked what, when.
    #[command(
        after_help = "Examples:\n  candlefish history\n  candlefish history team-training -c checklists/production.yaml\n  candlefish history --format json | jq '.records[] | select(.op == \"waive\")'"
    )]
    History(HistoryArgs),
    /// Walk the crew through launch day: the checklist's runbook phases (T-4h, T-0,
    /// T+4h, …), with prompts, a journal that survives interruptions, and a launch record.
    #[command(after_help = RUNBOOK_EXAMPLES)]
    Runbook(RunbookArgs),
    /// Start demo services on 127.0.0.1 and check them: every colour, offline.
    #[command(after_help = "Examples:\n  candlefish demo\n  candlefish demo --format json")]
    Demo(DemoArgs),
    /// Turn a Markdown checklist into checklist YAML.
    #[command(
        after_help = "Examples:\n  candlefish import production-deployment-checklist.md -o candlefish.yaml\n  candlefish import CHECKLIST.md > checklist.yaml && candlefish validate checklist.yaml\n\nHeadings become sections, list items and sub-items become items, [x] / [ ] / 🟢🟡🔴⚪\nbecome declared statuses, code blocks become notes, a \"critical path\" list marks\nitems critical, and the notes section and footer become metadata. Emoji damaged by\na UTF-8 → Windows-1252 round trip are repaired; stderr says what was done."
    )]
    Import(ImportArgs),
    /// Compare two JSON reports: regressions first, then improvements, new and removed items.
    #[command(
        after_help = "Examples:\n  candlefish diff yesterday.json today.json\n  candlefish check prod.yaml --format json > today.json; candlefish diff yesterday.json today.json\n\nExit codes: 0 nothing regressed, 1 something regressed, 2 a file could not be read."
    )]
    Diff(DiffArgs),
    /// Run checklists on an interval and serve the board, Prometheus metrics,
    /// /healthz, /readyz and the JSON report over HTTP.
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// Combine the JSON reports of `check --shard K/N` runs into one report and gate.
    #[command(after_help = MERGE_HELP)]
    Merge(MergeArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  candlefish completions bash > ~/.local/share/bash-completion/completions/candlefish\n  candlefish completions zsh > \"${fpath[1]}/_candlefish\"\n  candlefish completions fish > ~/.config/fish/completions/candlefish.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Options shared by commands that load a checklist.
#[derive(Debug, Args, Clone, Default)]
pub struct LoadArgs {
    /// Set a variable for `${NAME}`, overriding `vars:` and the environment.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
}

/// How the board is drawn.
#[derive(Debug, Args, Clone, Default)]
pub struct DisplayArgs {
    /// Output format on stdout (github: workflow-command annotations).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Board)]
    pub format: Format,

    /// Use ASCII instead of emoji and box drawing.
    #[arg(long)]
    pub ascii: bool,

    /// The width the board fits (default: the terminal's, else 80).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,

    /// No progress bar, even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
}

/// Reports written alongside the board, and the quiet one-liner.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Also write a report: FORMAT=PATH with FORMAT one of board, json, junit, md, html,
    /// github (the job summary); repeatable. Written even when the gate fails.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<ReportSpec>,

    /// Print one line (`candlefish: NOT READY — …`) instead of the board; with
    /// --format json (or junit, md, html) that format stays on stdout and the line goes to stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `candlefish check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The checklist to run.
    #[arg(default_value = "candlefish.yaml")]
    pub file: PathBuf,

    /// Run only this item (and what it contains), or `tag:NAME`; repeatable.
    #[arg(long, value_name = "ID|tag:NAME")]
    pub only: Vec<String>,

    /// Probes in flight at once.
    #[arg(long, short = 'j', value_name = "N", default_value_t = DEFAULT_CONCURRENCY,
          value_parser = parse_concurrency)]
    pub concurrency: usize,

    /// Probes in flight against any one host:port.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PER_HOST, value_parser = parse_concurrency)]
    pub per_host: usize,

    /// Run the probes of items whose dependencies are not green (they stay red).
    #[arg(long)]
    pub run_blocked: bool,

    /// Start no process: `exec` probes (and kubeconfig exec credential plugins) fail
    /// "exec disabled by policy". For checklists not yet reviewed, such as a pull
    /// request's; CANDLEFISH_NO_EXEC=1 does the same for every command.
    #[arg(long)]
    pub no_exec: bool,

    /// Re-run every INTERVAL (default 30s, at least 1s) and redraw, marking what changed; Ctrl-C stops.
    #[arg(long, value_name = "INTERVAL", num_args = 0..=1, default_missing_value = "30s",
          value_parser = parse_watch_interval)]
    pub watch: Option<std::time::Duration>,

    /// Run only part K of N of the checklist (an item and what it depends on stay
    /// together; parts are balanced by probe count); combine the parts with `merge`.
    #[arg(long, value_name = "K/N", conflicts_with = "watch")]
    pub shard: Option<ShardArg>,

    /// Keep this run's JSON report in .candlefish/runs/ beside the checklist.
    #[arg(long)]
    pub save: bool,

    /// How many saved runs to keep; older ones are removed.
    #[arg(long, value_name = "N", default_value_t = 100, requires = "save")]
    pub keep: usize,

    /// Deadline for each probe that sets none (default: the checklist's, else 10s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,

    #[command(flatten)]
    pub gate: GateArgs,

    /// The sign-off store (default: .candlefish/state.jsonl beside the checklist).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,

    /// A JSON report of an earlier run: print what changed since, after the board.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    #[command(flatten)]
    pub load: LoadArgs,

    #[command(flatten)]
    pub display: DisplayArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `candlefish import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The Markdown checklist.
    pub file: PathBuf,

    /// Write the YAML here instead of stdout (created with missing directories).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace the `-o` file when it exists.
    #[arg(long)]
    pub force: bool,
}

/// `candlefish diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier JSON report.
    pub old: PathBuf,

    /// The later JSON report.
    pub new: PathBuf,

    /// Output format: text for people, or JSON.
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,

    /// Use ASCII instead of emoji.
    #[arg(long)]
    pub ascii: bool,
}

/// Formats of `candlefish diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// One line per change, regressions first.
    Text,
    /// JSON.
    Json,
}

/// The gate: which items it judges and what fails it (`check` and `runbook`).
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct GateArgs {
    /// Which items the gate judges: every item that is not optional, or only critical ones.
    #[arg(long = "gate", value_enum, default_value_t = GateScope::All)]
    pub scope: GateScope,

    /// The lowest status of a judged item that fails the gate (exit code 1).
    #[arg(long, value_enum, default_value_t = FailOn::Red)]
    pub fail_on: FailOn,

    /// Let items with an unexpired waiver through the gate (by default waivers do
    /// not count; waived items are shown either way).
    #[arg(long)]
    pub allow_waivers: bool,

    /// Let a gate that judged nothing pass (no item in its scope, e.g. `--gate critical`
    /// with nothing critical). Without it such a run exits 5.
    #[arg(long)]
    pub allow_empty_gate: bool,
}

impl GateArgs {
    /// The policy these flags describe.
    pub fn policy(self) -> crate::engine::gate::GatePolicy {
        crate::engine::gate::GatePolicy {
            scope: self.scope,
            fail_on: self.fail_on,
            allow_waivers: self.allow_waivers,
            allow_empty: self.allow_empty_gate,
        }
    }
}

/// `candlefish validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Checklist files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub load: LoadArgs,
}

/// `candlefish graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The checklist.
    #[arg(default_value = "candlefish.yaml")]
    pub file: PathBuf,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = GraphFormat::List)]
    pub format: GraphFormat,

    #[command(flatten)]
    pub load: LoadArgs,
}

/// Formats of `candlefish graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A numbered startup order.
    List,
    /// A Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

/// `candlefish list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The checklist.
    #[arg(default_value = "candlefish.yaml")]
    pub file: PathBuf,

    /// Output format: a tree, or JSON.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Tree)]
    pub format: ListFormat,

    /// Use ASCII instead of box drawing.
    #[arg(long)]
    pub ascii: bool,

    /// Only what falls due within DURATION (`14d`), and what is past due,
    /// grouped by owner: `candlefish list --due 14d`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub due: Option<std::time::Duration>,

    #[command(flatten)]
    pub load: LoadArgs,
}

/// Formats of `candlefish list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// An indented tree.
    Tree,
    /// JSON.
    Json,
}

const SIGN_EXAMPLES: &str = "\
Examples:
  candlefish sign team-training --evidence https://wiki.example.com/training-2026-11
  candlefish sign pentest-scheduled -c checklists/production.yaml --by \"Ada <ada@example.com>\" \\
      --evidence \"ticket SEC-142\" --expires 30d --note \"vendor confirmed the window\"
  candlefish sign api-ready --waive --reason \"vendor fix ships Monday\" --expires 7d

  candlefish sign launch-go --key ~/.ssh/id_ed25519 --evidence \"go/no-go minutes\"

--by defaults to git's user.name <user.email>, else $USER. It is attribution, not
authentication: the name is recorded as given. The record is signed with an SSH key
(SSH signature format, namespace `candlefish`) from --key, else from git's own
signing setup (gpg.format=ssh and user.signingkey), else it is unsigned; a public key
file, or a passphrase-protected one, signs through ssh-agent.";

/// The checklist and its sign-off store, for commands that read or write the store.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// The checklist.
    #[arg(
        long = "file",
        short = 'c',
        value_name = "FILE",
        default_value = "candlefish.yaml"
    )]
    pub file: PathBuf,

    /// The sign-off store (default: .candlefish/state.jsonl beside the checklist).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,

    #[command(flatten)]
    pub load: LoadArgs,
}

/// `candlefish sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The item's id.
    pub item: String,

    /// Who signs (default: git's user.name <user.email>, else $USER); recorded as given.
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,

    /// A link or text backing the sign-off (required by `manual: { evidence_required: true }`).
    #[arg(long, value_name = "URL|TEXT", conflicts_with = "waive")]
    pub evidence: Option<String>,

    /// How long it stays valid, e.g. 30d (default: the item's `manual.expires`, else
    /// until revoked). Mandatory with --waive.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub expires: Option<std::time::Duration>,

    /// A note kept with the sign-off.
    #[arg(long, conflicts_with = "waive")]
    pub note: Option<String>,

    /// Waive an automated item: accept its failure until --expires, for --reason.
    #[arg(long, requires_all = ["reason", "expires"])]
    pub waive: bool,

    /// The justification of a waiver.
    #[arg(long, requires = "waive")]
    pub reason: Option<String>,

    /// The SSH key to sign with: a private key file, or a public key whose
    /// private half ssh-agent holds (default: git's user.signingkey when
    /// gpg.format is ssh; else the record is unsigned).
    #[arg(long, value_name = "FILE", env = KEY_VAR)]
    pub key: Option<PathBuf>,

    #[command(flatten)]
    pub store: StoreArgs,
}

/// The environment variable that gives `--key` (for `sign`, `unsign` and `runbook`).
pub const KEY_VAR: &str = "CANDLEFISH_SIGNING_KEY";

/// `candlefish unsign`.
#[derive(Debug, Args)]
pub struct UnsignArgs {
    /// The item's id.
    pub item: String,

    /// Why the sign-offs or the waiver no longer hold.
    #[arg(long, required = true)]
    pub reason: String,

    /// Who revokes (default: as for `sign`).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,

    /// The SSH key to sign the revocation with (default: as for `sign`).
    #[arg(long, value_name = "FILE", env = KEY_VAR)]
    pub key: Option<PathBuf>,

    #[command(flatten)]
    pub store: StoreArgs,
}

/// `candlefish history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this item's records.
    pub item: Option<String>,

    /// Output format: one line per record, or JSON.
    #[arg(long, short = 'f', value_enum, default_value_t = HistoryFormat::Text)]
    pub format: HistoryFormat,

    #[command(flatten)]
    pub store: StoreArgs,
}

/// Formats of `candlefish history`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    /// One line per record.
    Text,
    /// JSON: `records` (each with its `line`) and `problems`.
    Json,
}

const RUNBOOK_EXAMPLES: &str = "\
Examples:
  candlefish runbook checklists/production.yaml --t0 2026-12-01T15:00Z
  candlefish runbook prod.yaml --t0 2026-12-01T15:00Z --phase T-4h
  candlefish runbook prod.yaml --t0 2026-12-01T15:00Z --resume
  candlefish runbook prod.yaml --t0 2026-12-01T15:00Z --resume --redo final-health-checks
  candlefish runbook prod.yaml --t0 2026-12-01T15:00Z --phase T-0 --non-interactive
  candlefish runbook prod.yaml --t0 2026-12-01T15:00Z --report md > launch-record.md
  candlefish runbook prod.yaml --t0 2026-12-01T15:00Z --report html=launch.html

Phases run in order, each when its time comes (a countdown waits for it); a step runs
checklist items, its own probes, asks a person (confirm / fail / skip with a reason), or
watches a probe for a while. Every result goes to the journal as it happens
(.candlefish/runbook-<T0>.jsonl beside the checklist); after Ctrl-C or a crash, --resume
continues where it stopped. Each phase ends with a go/no-go from the gate policy.

Exit codes: 0 every phase decided is GO, 1 a phase is NO-GO, 2 usage or checklist error,
130 interrupted (Ctrl-C or quit; --resume continues).

CANDLEFISH_NOW=TIME starts the clock at TIME; with CANDLEFISH_CLOCK=simulated, waits
(countdowns, watch intervals) pass at once: for tests and rehearsals.";

/// `candlefish runbook`.
#[derive(Debug, Args)]
pub struct RunbookArgs {
    /// The checklist holding the `runbook:`.
    #[arg(default_value = "candlefish.yaml")]
    pub file: PathBuf,

    /// T-0, the launch moment, e.g. 2026-12-01T15:00Z (RFC 3339). Required unless
    /// --journal names a journal that already has it.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub t0: Option<jiff::Timestamp>,

    /// Run only this phase (its id or offset, e.g. T-4h), now, then stop.
    #[arg(long, value_name = "PHASE")]
    pub phase: Option<String>,

    /// Continue the journal where it stopped; nothing done is repeated.
    #[arg(long)]
    pub resume: bool,

    /// Do STEP again although the journal has its result (implies --resume); repeatable.
    #[arg(long, value_name = "STEP")]
    pub redo: Vec<String>,

    /// Never prompt (CI, cron): manual steps count only when already signed off
    /// (items with `candlefish sign`, a step's own `manual:` with --confirm).
    #[arg(long)]
    pub non_interactive: bool,

    /// Confirm the manual STEP in the journal, as at the prompt, and run nothing
    /// else (with --by, and --evidence when the step requires it); repeatable.
    #[arg(long, value_name = "STEP")]
    pub confirm: Vec<String>,

    /// The evidence for --confirm: a link, or what was checked.
    #[arg(long, value_name = "TEXT", requires = "confirm")]
    pub evidence: Option<String>,

    /// Who is operating (default: git's user.name <user.email>, else $USER).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,

    /// The SSH key that signs the operator's confirmations and sign-offs (default:
    /// git's user.signingkey when gpg.format is ssh; else they are unsigned).
    #[arg(long, value_name = "FILE", env = KEY_VAR)]
    pub key: Option<PathBuf>,

    /// The journal (default: .candlefish/runbook-<T0>.jsonl beside the checklist).
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,

    /// The sign-off store (default: .candlefish/state.jsonl beside the checklist).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,

    /// Print the launch record instead of running: md, html or json, or FORMAT=PATH
    /// to write it to a file; repeatable.
    #[arg(long = "report", value_name = "FORMAT[=PATH]")]
    pub reports: Vec<crate::runbook::record::RecordSpec>,

    /// The gate each phase's go/no-go applies (as in `check`).
    #[command(flatten)]
    pub gate: GateArgs,

    /// Deadline for each probe that sets none (default: the checklist's, else 10s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,

    /// Use ASCII instead of emoji.
    #[arg(long)]
    pub ascii: bool,

    #[command(flatten)]
    pub load: LoadArgs,
}

fn parse_time(text: &str) -> Result<jiff::Timestamp, String> {
    text.parse::<jiff::Timestamp>().map_err(|e| {
        format!("`{text}` is not a time with a UTC offset, such as 2026-12-01T15:00Z: {e}")
    })
}

/// `candlefish demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub display: DisplayArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

fn parse_concurrency(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=10_000).contains(&n) => Ok(n),
        _ => Err(format!("`{text}` is not a number from 1 to 10000")),
    }
}

/// A `--watch` interval: at least a second, so a typo cannot hammer the targets.
fn parse_watch_interval(text: &str) -> Result<std::time::Duration, String> {
    let interval = parse_duration(text)?;
    if interval < std::time::Duration::from_secs(1) {
        return Err(format!(
            "`{text}` is too short: rounds are at least 1s apart"
        ));
    }
    Ok(interval)
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    crate::checklist::scalar::Dur::parse(text).map(|d| d.0)
}

const SERVE_HELP: &str = "\
Examples:
  candlefish serve checklists/production.yaml --interval 60s --listen 127.0.0.1:9469
  candlefish serve api.yaml db.yaml --interval 5m --listen 0.0.0.0:9469 --gate critical

Each checklist runs at once, then every INTERVAL (each start moved by up to --jitter of
it, so many servers do not probe in step); a round never starts before the previous one
finished. The checklist and its sign-offs are read again every round: an edit that does
not validate keeps the last valid version running, and says so on the board, in the
report's warnings and in candlefish_checklist_valid.

  /            the board, updating itself after every round
  /metrics     Prometheus metrics (candlefish_*)
  /healthz     200 while the process runs
  /readyz      200 when every checklist's latest round passed its gate, else 503
  /api/v1/report   the latest JSON report (?checklist=NAME with several)
  /api/v1/history  the latest rounds' summaries

SIGTERM or Ctrl-C stops: rounds in flight are cancelled, the server drains, exit 0.
Exit 2: a checklist does not validate at start, or the address cannot be bound.";

/// `candlefish serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The checklists to run, each on its own schedule.
    #[arg(default_value = "candlefish.yaml")]
    pub files: Vec<PathBuf>,

    /// Time between the starts of two rounds of a checklist (at least 100ms).
    #[arg(long, value_name = "INTERVAL", default_value = "60s", value_parser = parse_serve_interval)]
    pub interval: std::time::Duration,

    /// How far each start may move from the interval, as a fraction of it (0 to 0.5).
    #[arg(long, value_name = "FRACTION", default_value_t = 0.1, value_parser = parse_jitter)]
    pub jitter: f64,

    /// The address to serve on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9469")]
    pub listen: std::net::SocketAddr,

    /// How many rounds /api/v1/history keeps (all checklists together).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = parse_history)]
    pub history: usize,

    /// Probes in flight at once, per checklist.
    #[arg(long, short = 'j', value_name = "N", default_value_t = DEFAULT_CONCURRENCY,
          value_parser = parse_concurrency)]
    pub concurrency: usize,

    /// Probes in flight against any one host:port, per checklist.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PER_HOST, value_parser = parse_concurrency)]
    pub per_host: usize,

    /// Deadline for each probe that sets none (default: the checklist's, else 10s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,

    #[command(flatten)]
    pub gate: GateArgs,

    /// The sign-off store, with one checklist (default: .candlefish/state.jsonl beside each checklist).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,

    #[command(flatten)]
    pub load: LoadArgs,
}

fn parse_serve_interval(text: &str) -> Result<std::time::Duration, String> {
    let interval = parse_duration(text)?;
    if interval < std::time::Duration::from_millis(100) {
        return Err(format!(
            "`{text}` is too short: rounds are at least 100ms apart"
        ));
    }
    Ok(interval)
}

fn parse_jitter(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..=0.5).contains(&f) => Ok(f),
        _ => Err(format!("`{text}` is not a fraction from 0 to 0.5")),
    }
}

fn parse_history(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n <= 100_000 => Ok(n),
        _ => Err(format!("`{text}` is not a number from 0 to 100000")),
    }
}

const MERGE_HELP: &str = "\
Examples:
  candlefish check big.yaml --shard 1/3 --format json > shard-1.json   # and 2/3, 3/3
  candlefish merge shard-*.json
  candlefish merge shard-*.json --format json > report.json --report html=board.html

Every shard of one run must be given, once each: a missing shard, a shard of another
checklist or run, or an item judged by two shards is an error (exit 2), never a gap.
The gate is the shards' own policy, applied to the merged items.
Exit codes: 0 the gate passed, 1 it failed, 2 the reports cannot be merged.";

/// `candlefish merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' JSON reports (`check --shard K/N --format json`).
    #[arg(required = true, value_name = "REPORT")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub display: DisplayArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// `--shard K/N`: run the K-th of N parts of a checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardArg {
    /// 1-based.
    pub index: usize,
    /// How many parts.
    pub count: usize,
}

impl std::str::FromStr for ShardArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not K/N with 1 <= K <= N <= 1000, e.g. 2/8");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count || count > 1000 {
            return Err(bad());
        }
        Ok(ShardArg { index, count })
    }
}
