//! # azrelo — the command-line front end
//!
//! This crate owns the `azrelo` binary: argument parsing (clap), output
//! formatting (one place, [`output`]: tables for people; json, yaml, tsv and
//! `--query` for scripts, as the Azure CLI has them), az's context
//! ([`az_config`]: default subscription and cloud), logging set-up,
//! error rendering and exit codes. Every command is a thin shell over a library
//! crate; this crate must not contain domain knowledge (ids, regions, templates,
//! relocation rules) of its own.

// The doc comments of the clap types are the `--help` texts, written for a
// terminal: `AZRELO_PARAM_<name>` and `<expression>` are placeholders there,
// not HTML; URLs in examples are text to copy, and `pairedRegions[0]` is a
// JMESPath index, not a link.
#![allow(
    rustdoc::invalid_html_tags,
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links
)]

mod az_config;
mod cmd;
mod exit;
mod output;
mod progress;
mod version;

use clap::{Parser, Subcommand};
use exit::CliError;
use output::{Output, OutputFormat};

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
///
/// Examples:
///   azrelo rehearse examples/contoso-shop --target northeurope
///   azrelo plan examples/contoso-shop --target swedencentral --out plan
///   azrelo regions --query "[?geography=='Sweden'].name" -o tsv
#[derive(Debug, Parser)]
#[command(
    name = "azrelo",
    version = version::SHORT,
    long_version = version::long_static(),
    about,
    long_about,
    after_help = AFTER_HELP,
    verbatim_doc_comment
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Heading of the flags every command takes, listed after the command's own.
const GLOBAL: &str = "Global Options";

/// The flags every command takes (as az's global arguments).
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Output format: table (default), json, jsonc, yaml, yamlc, tsv or none.
    /// json has stable field names for scripts; tsv has no headers, as az's.
    #[arg(short = 'o', long, global = true, value_enum, value_name = "FORMAT", hide_possible_values = true, help_heading = GLOBAL)]
    pub output: Option<OutputFormat>,

    /// JMESPath query applied to the command's JSON before it is printed
    /// (https://jmespath.org), e.g. --query "[].name" -o tsv.
    #[arg(long, global = true, value_name = "JMESPATH", value_parser = output::query::parse, help_heading = GLOBAL)]
    pub query: Option<String>,

    /// More logging on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet", help_heading = GLOBAL)]
    pub verbose: u8,

    /// Debug logging on stderr, every library included (same as -vv).
    #[arg(long, global = true, conflicts_with = "quiet", help_heading = GLOBAL)]
    pub debug: bool,

    /// Only errors on stderr: no warnings, no progress.
    #[arg(short = 'q', long, global = true, visible_alias = "only-show-errors", help_heading = GLOBAL)]
    pub quiet: bool,

    /// Log and progress lines on stderr: `text` for people, `json` (one
    /// object a line: timestamp, level, fields.message) for log collectors.
    #[arg(long, global = true, value_enum, value_name = "text|json", env = "AZRELO_LOG_FORMAT", default_value_t = progress::LogFormat::Text, hide_possible_values = true, help_heading = GLOBAL)]
    pub log_format: progress::LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List Azure regions with pairs and availability zones, or show one.
    #[command(long_about = cmd::regions::LONG_ABOUT)]
    Regions(cmd::regions::Args),
    /// Facts about resource types (availability per region).
    ///
    /// Where a type is offered and its api versions, from the embedded
    /// snapshot of ARM's providers API (`azrelo --version` shows its date).
    ///
    /// Examples:
    ///   azrelo types availability Microsoft.KeyVault/vaults --region swedencentral
    ///   azrelo types availability Microsoft.Web/sites --query "regions[?status=='available'].name" -o tsv
    #[command(verbatim_doc_comment)]
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
    ///
    /// A local Azure Resource Manager to rehearse relocations against and to
    /// test scripts with: azrelo, the Azure CLI and curl talk to it as to ARM.
    ///
    /// Examples:
    ///   azrelo emulator serve
    ///   azrelo emulator serve --seed estate.json --latency fast --data emulator-state
    #[command(verbatim_doc_comment)]
    Emulator(cmd::emulator::Args),
    /// Defender for Endpoint → Defender for Cloud server migration: `azrelo defender servers assess|apply`.
    ///
    /// Examples:
    ///   azrelo defender servers assess exports/ devices.csv
    ///   azrelo defender servers apply --subscription "Contoso Production" --validate-only
    #[command(verbatim_doc_comment)]
    Defender(cmd::defender::Args),
    /// Run a plan against ARM or the emulator: journaled, resumable, verified (exit 5 at open gates).
    #[command(long_about = cmd::apply::APPLY_HELP)]
    Apply(cmd::apply::ApplyArgs),
    /// Finish an interrupted or gated run: `azrelo resume PLAN_DIR`.
    #[command(long_about = cmd::apply::RESUME_HELP)]
    Resume(cmd::apply::ApplyArgs),
    /// Where every resource of a relocation stands (from the journal; no ARM calls).
    #[command(long_about = cmd::apply::STATUS_HELP)]
    Status(cmd::apply::StatusArgs),
    /// Re-verify moved resources and commit them (a difference blocks the commit).
    #[command(long_about = cmd::apply::COMMIT_HELP)]
    Commit(cmd::apply::ActArgs),
    /// Delete the targets of moved, uncommitted resources: back to prepared.
    #[command(long_about = cmd::apply::DISCARD_HELP)]
    Discard(cmd::apply::ActArgs),
    CleanupSource(cmd::apply::CleanupArgs),
    /// Close or list manual gates: `azrelo gate done PLAN_DIR ID...`.
    #[command(long_about = cmd::apply::GATE_HELP)]
    Gate(cmd::apply::GateArgs),
    /// Rehearse a whole relocation on the built-in emulator: no Azure account, nothing leaves this machine.
    #[command(long_about = cmd::rehearse::LONG_ABOUT)]
    Rehearse(cmd::rehearse::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    ///
    /// Examples:
    ///   azrelo completions bash > /etc/bash_completion.d/azrelo
    ///   azrelo completions zsh > "${fpath[1]}/_azrelo"
    ///   azrelo completions powershell >> $PROFILE
    #[command(verbatim_doc_comment)]
    Completions(cmd::completions::Args),
}

fn main() {
    let cli = Cli::parse();
    let g = &cli.global;
    let verbose = if g.debug { g.verbose.max(2) } else { g.verbose };
    init_logging(verbose, g.quiet, g.log_format);
    let code = match run(cli) {
        Ok(()) => 0,
        Err(err) => err.report(),
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<(), CliError> {
    // Every command prints its result through `out`; commands that print
    // nothing but a script (completions) or serve (emulator) ignore it.
    let out = &Output::new(cli.global.output, cli.global.query);
    let quiet = cli.global.quiet;
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

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every command and subcommand, with its path (`gate done`).
    fn walk(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<(String, clap::Command)>) {
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            path.push(sub.get_name().to_string());
            out.push((path.join(" "), sub.clone()));
            walk(sub, path, out);
            path.pop();
        }
    }

    /// Issue #17: "every subcommand's --help has a description and
    /// examples; global options listed after the command's own".
    #[test]
    fn every_command_help_describes_it_and_has_examples() {
        let mut root = Cli::command();
        root.build();
        let mut all = vec![(String::new(), root.clone())];
        walk(&root, &mut Vec::new(), &mut all);
        assert!(all.len() >= 28, "{} commands", all.len());
        let mut missing = Vec::new();
        for (path, mut cmd) in all {
            let help = cmd.render_long_help().to_string();
            let name = format!("azrelo {path}").trim_end().to_string();
            if cmd.get_about().is_none() && cmd.get_long_about().is_none() {
                missing.push(format!("{name}: no description"));
            }
            let examples = help
                .split_once("Examples:")
                .map(|(_, rest)| rest)
                .unwrap_or_default();
            let runnable = examples
                .lines()
                .map(str::trim)
                .take_while(|l| !l.ends_with(':') || l.starts_with("azrelo"))
                .filter(|l| l.starts_with(&format!("{name} ")) || *l == name)
                .count();
            if runnable == 0 {
                missing.push(format!("{name}: no example of itself under \"Examples:\""));
            }
            // Global options come after the command's own.
            if let (Some(own), Some(global)) =
                (help.find("\nOptions:"), help.find("\nGlobal Options:"))
            {
                if global < own {
                    missing.push(format!("{name}: global options before its own"));
                }
            } else if !path.is_empty() {
                missing.push(format!("{name}: no Options / Global Options sections"));
            }
        }
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }
}
