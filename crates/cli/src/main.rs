//! # azrelo — the command-line front end
//!
//! This crate owns the `azrelo` binary: argument parsing (clap), output
//! formatting (tables for people, `-o json` for scripts), logging set-up,
//! error rendering and exit codes. Every command is a thin shell over a library
//! crate; this crate must not contain domain knowledge (ids, regions, templates,
//! relocation rules) of its own.

// The doc comments of the clap types are the `--help` texts, written for a
// terminal: `AZRELO_PARAM_<name>` and `<expression>` are placeholders there,
// not HTML.
#![allow(rustdoc::invalid_html_tags)]

mod cmd;
mod exit;
mod output;
mod progress;

use clap::{Parser, Subcommand};
use exit::CliError;
use output::OutputFormat;

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  the command failed (the message says why)
  2  usage error: unknown command, flag or value
  3  bad input: a file or value could not be read or understood
  4  the command ran and found blockers (e.g. `assess` with blocking findings)
  5  a relocation run stopped at manual gates (`azrelo gate done`, then `azrelo resume`)

Environment:
  RUST_LOG   fine-grained log filter (overrides -v/-q), e.g. RUST_LOG=azrelo=debug
  NO_COLOR   no colour on stderr (there is none either when stderr is not a terminal)
  AZRELO_HEARTBEAT_SECS  seconds between progress lines when stderr is not a
             terminal (default 30)

Learn more: https://github.com/azrelo/azrelo";

/// Relocate Azure workloads from one region to another.
///
/// azrelo discovers an estate (from exported files or live from Azure Resource
/// Manager), builds its complete dependency graph, assesses it against a target
/// region, plans the move in ordered waves, generates deployable ARM templates
/// and executes the plan durably.
#[derive(Debug, Parser)]
#[command(name = "azrelo", version, about, long_about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Output format: `table` for people, `json` for scripts (stable field names).
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    /// More logging on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,

    /// Log and progress lines on stderr: `text` for people, `json` (one
    /// object a line) for log collectors.
    #[arg(long, global = true, value_enum, env = "AZRELO_LOG_FORMAT", default_value_t = progress::LogFormat::Text)]
    pub log_format: progress::LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List Azure regions with pairs and availability zones, or show one.
    #[command(long_about = cmd::regions::LONG_ABOUT)]
    Regions(cmd::regions::Args),
    /// Facts about resource types (availability per region).
    Types(cmd::types::Args),
    Discover(cmd::discover::Args),
    Graph(cmd::graph::Args),
    Assess(cmd::plan::AssessArgs),
    Plan(cmd::plan::PlanArgs),
    Generate(cmd::generate::Args),
    Diff(cmd::generate::DiffArgs),
    Report(cmd::report::Args),
    Expand(cmd::expand::Args),
    /// The local ARM emulator (HTTPS, a rehearsal cloud): `azrelo emulator serve`.
    Emulator(cmd::emulator::Args),
    /// Defender for Endpoint → Defender for Cloud server migration: `azrelo defender servers assess|apply`.
    Defender(cmd::defender::Args),
    /// Run a plan against ARM or the emulator: journaled, resumable, verified (exit 5 at open gates).
    Apply(cmd::apply::ApplyArgs),
    /// Finish an interrupted or gated run: `azrelo resume PLAN_DIR`.
    Resume(cmd::apply::ApplyArgs),
    /// Where every resource of a relocation stands (from the journal; no ARM calls).
    Status(cmd::apply::StatusArgs),
    /// Re-verify moved resources and commit them (a difference blocks the commit).
    Commit(cmd::apply::ActArgs),
    /// Delete the targets of moved, uncommitted resources: back to prepared.
    Discard(cmd::apply::ActArgs),
    CleanupSource(cmd::apply::CleanupArgs),
    /// Close or list manual gates: `azrelo gate done PLAN_DIR ID...`.
    Gate(cmd::apply::GateArgs),
    /// Rehearse a whole relocation on the built-in emulator: no Azure account, nothing leaves this machine.
    #[command(long_about = cmd::rehearse::LONG_ABOUT)]
    Rehearse(cmd::rehearse::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    ///
    /// Example: `azrelo completions bash > /etc/bash_completion.d/azrelo`
    Completions(cmd::completions::Args),
}

fn main() {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet, cli.log_format);
    let code = match run(cli) {
        Ok(()) => 0,
        Err(err) => err.report(),
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<(), CliError> {
    // Every command gets the output format; commands that print nothing but a
    // script (completions) ignore it.
    let out = cli.output;
    let quiet = cli.quiet;
    match cli.command {
        Command::Regions(args) => cmd::regions::run(args, out),
        Command::Types(args) => cmd::types::run(args, out),
        Command::Discover(args) => cmd::discover::run(args, out, quiet),
        Command::Graph(args) => cmd::graph::run(args, out),
        Command::Assess(args) => cmd::plan::run_assess(args, out),
        Command::Plan(args) => cmd::plan::run_plan(args, out),
        Command::Generate(args) => cmd::generate::run(args, out),
        Command::Diff(args) => cmd::generate::run_diff(args, out),
        Command::Report(args) => cmd::report::run(args, out),
        Command::Expand(args) => cmd::expand::run(args, out),
        Command::Emulator(args) => cmd::emulator::run(args, out),
        Command::Defender(args) => cmd::defender::run(args, out),
        Command::Apply(args) => cmd::apply::run_apply(args, out, false, quiet),
        Command::Resume(args) => cmd::apply::run_apply(args, out, true, quiet),
        Command::Status(args) => cmd::apply::run_status(args, out),
        Command::Commit(args) => cmd::apply::run_commit(args, out),
        Command::Discard(args) => cmd::apply::run_discard(args, out),
        Command::CleanupSource(args) => cmd::apply::run_cleanup(args, out),
        Command::Gate(args) => cmd::apply::run_gate(args, out),
        Command::Rehearse(args) => cmd::rehearse::run(args, out, quiet),
        Command::Completions(args) => cmd::completions::run(args, out),
    }
}

fn init_logging(verbose: u8, quiet: bool, format: progress::LogFormat) {
    use tracing_subscriber::EnvFilter;
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    progress::set_format(format);
    // Colour only on a terminal and never with NO_COLOR: logs, CI output
    // and files get plain text. Error reports follow the same rule.
    let color = progress::stderr_color();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(miette::MietteHandlerOpts::new().color(color).build())
    }));
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(color);
    let _ = match format {
        progress::LogFormat::Text => builder.try_init(),
        progress::LogFormat::Json => builder.json().try_init(),
    };
}
