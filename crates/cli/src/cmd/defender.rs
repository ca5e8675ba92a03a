//! `azrelo defender servers assess|apply`: the server protection migration
//! from Defender for Endpoint to Defender for Cloud (crate `azrelo-defender`).

use crate::cmd::arm_args::ArmArgs;
use crate::exit::CliError;
use crate::output::{OutputFormat, print_json, print_text, write_atomic};
use azrelo_defender::apply::{ApplyOptions, ChangeOutcome};
use azrelo_defender::{AssessOptions, Assessment, Fleet, ServersPlan, assess, report};
use std::path::{Path, PathBuf};

pub const LONG_ABOUT: &str = "\
Servers onboarded to Microsoft Defender for Endpoint, brought under Microsoft Defender for Cloud
(Defender for Servers): Azure VMs, on-premises machines through Azure Arc, AWS and GCP machines
through multicloud connectors.

  assess  the fleet's readiness from files (Resource Graph / az resource list exports, ARM GET
          bodies, estate files, the Defender portal's device CSV) or live (--subscription):
          prerequisites per subscription, each connector, a path and verdict per machine
  apply   the Azure-side settings for one subscription, through ARM: only what is missing is
          changed, every change is journaled; --validate-only changes nothing

Exit code 4 when machines or connectors are blocked.";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Group,
}

#[derive(Debug, clap::Subcommand)]
pub enum Group {
    /// Servers: Defender for Endpoint → Defender for Cloud (assess, apply).
    #[command(long_about = LONG_ABOUT)]
    Servers(ServersArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServersArgs {
    #[command(subcommand)]
    pub command: ServersCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ServersCommand {
    /// Assess a fleet: prerequisites, connectors, a path and verdict per machine (exit 4 on blockers).
    Assess(AssessArgs),
    /// Apply the subscription, workspace and connector settings through ARM (journaled, idempotent).
    Apply(ApplyArgs),
}

/// `--plan` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanArg {
    P1,
    P2,
}

impl From<PlanArg> for ServersPlan {
    fn from(p: PlanArg) -> Self {
        match p {
            PlanArg::P1 => ServersPlan::P1,
            PlanArg::P2 => ServersPlan::P2,
        }
    }
}

/// `--format` values of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct AssessArgs {
    /// Inputs: Resource Graph or `az resource list` exports, ARM GET bodies,
    /// estate files, Defender device lists (CSV export or machines API JSON);
    /// directories contribute their .json and .csv files.
    #[arg(value_name = "INPUT", required_unless_present = "subscription")]
    pub inputs: Vec<PathBuf>,
    /// Read the fleet live from these subscriptions (repeatable) through ARM.
    #[arg(long, value_name = "ID")]
    pub subscription: Vec<String>,
    /// The Defender for Servers plan the fleet must have.
    #[arg(long, value_enum, default_value_t = PlanArg::P2)]
    pub plan: PlanArg,
    /// Report format (default: from -o; markdown is only available here).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Also write the report to FILE (Markdown; JSON when FILE ends in .json).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub arm: ArmArgs,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The subscription whose settings are applied.
    #[arg(long, value_name = "ID")]
    pub subscription: String,
    /// The Defender for Servers plan to enable.
    #[arg(long, value_enum, default_value_t = PlanArg::P2)]
    pub plan: PlanArg,
    /// Compute and print the changes; change nothing (no PUT, no journal).
    #[arg(long)]
    pub validate_only: bool,
    /// Do not select Defender vulnerability management (MdeTvm) as the servers' VA provider.
    #[arg(long)]
    pub skip_vulnerability_management: bool,
    /// The journal (SQLite) recording each change's intent and result.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "azrelo-defender-journal.sqlite"
    )]
    pub journal: PathBuf,
    #[command(flatten)]
    pub arm: ArmArgs,
}

pub fn run(args: Args, out: OutputFormat) -> Result<(), CliError> {
    match args.command {
        Group::Servers(s) => match s.command {
            ServersCommand::Assess(a) => run_assess(a, out),
            ServersCommand::Apply(a) => run_apply(a, out),
        },
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))
}

fn load_files(inputs: &[PathBuf]) -> Result<Fleet, CliError> {
    azrelo_defender::files::load(inputs).map_err(|e| {
        CliError::bad_input(
            e.to_string(),
            "pass Resource Graph / az resource list exports, ARM GET bodies, estate files or the Defender portal's device CSV",
        )
    })
}

fn run_assess(args: AssessArgs, out: OutputFormat) -> Result<(), CliError> {
    let mut fleet = if args.subscription.is_empty() {
        load_files(&args.inputs)?
    } else {
        let client = args.arm.client()?;
        let live = runtime()?
            .block_on(azrelo_defender::live::fleet(&client, &args.subscription))
            .map_err(|e| CliError::failure(format!("reading the fleet from ARM failed: {e}")))?;
        // Files next to a live read: device lists (and anything else) join the fleet.
        if args.inputs.is_empty() {
            live
        } else {
            let files = load_files(&args.inputs)?;
            merge(live, files)
        }
    };
    fleet.warnings.sort();
    fleet.warnings.dedup();
    let a = assess(
        &fleet,
        &AssessOptions {
            plan: args.plan.into(),
        },
    );
    if let Some(path) = &args.report {
        write_report(path, &a)?;
    }
    let format = args.format.unwrap_or(match out {
        OutputFormat::Json => ReportFormat::Json,
        OutputFormat::Table => ReportFormat::Table,
    });
    match format {
        ReportFormat::Json => print_json(&a)?,
        ReportFormat::Table => print_text(report::render_text(&a).trim_end())?,
        ReportFormat::Markdown => print_text(report::render_markdown(&a).trim_end())?,
    }
    if a.has_blockers() {
        return Err(CliError::blockers(format!(
            "{} machine(s) blocked",
            a.summary.blocked
        )));
    }
    Ok(())
}

/// A live fleet plus what files add (device lists; settings the live read lacks).
fn merge(mut live: Fleet, files: Fleet) -> Fleet {
    live.devices.extend(files.devices);
    let known: std::collections::HashSet<String> = live
        .machines
        .iter()
        .map(|m| m.id.to_ascii_lowercase())
        .collect();
    live.machines.extend(
        files
            .machines
            .into_iter()
            .filter(|m| !known.contains(&m.id.to_ascii_lowercase())),
    );
    live.connectors.extend(files.connectors);
    live.workspaces.extend(files.workspaces);
    for (k, s) in files.subscriptions {
        live.subscriptions.entry(k).or_insert(s);
    }
    live.warnings.extend(files.warnings);
    live
}

fn write_report(path: &Path, a: &Assessment) -> Result<(), CliError> {
    let json = path
        .extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| x.eq_ignore_ascii_case("json"));
    let bytes = if json {
        let mut v = serde_json::to_vec_pretty(a)
            .map_err(|e| CliError::failure(format!("cannot serialise the report: {e}")))?;
        v.push(b'\n');
        v
    } else {
        report::render_markdown(a).into_bytes()
    };
    write_atomic(path, &bytes)
        .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))
}

fn run_apply(args: ApplyArgs, out: OutputFormat) -> Result<(), CliError> {
    let client = args.arm.client()?;
    let opts = ApplyOptions {
        plan: args.plan.into(),
        vulnerability_management: !args.skip_vulnerability_management,
        validate_only: args.validate_only,
    };
    let journal = if args.validate_only {
        None
    } else {
        Some(azrelo_journal::Journal::open(&args.journal).map_err(|e| {
            CliError::bad_input(e.to_string(), "pass --journal FILE in a writable directory")
        })?)
    };
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let run = format!("defender-servers/{}/{started}", args.subscription);
    let (report, fleet) = runtime()?
        .block_on(azrelo_defender::apply::apply(
            &client,
            &args.subscription,
            &opts,
            journal.as_ref(),
            &run,
        ))
        .map_err(|e| CliError::failure(e.to_string()))?;
    // The machines' readiness after the settings (blockers are never settings).
    let a = assess(&fleet, &AssessOptions { plan: opts.plan });
    match out {
        OutputFormat::Json => print_json(&serde_json::json!({
            "apply": report,
            "assessment": a,
        }))?,
        OutputFormat::Table => {
            let mut text = azrelo_defender::apply::render_text(&report);
            text.push_str(&format!(
                "machines: {} ready, {} needs-action, {} blocked (before Defender for Cloud deploys the extensions)\n",
                a.summary.ready, a.summary.needs_action, a.summary.blocked
            ));
            print_text(text.trim_end())?;
        }
    }
    let failed = report
        .changes
        .iter()
        .filter(|c| c.outcome == ChangeOutcome::Failed)
        .count();
    if failed > 0 {
        return Err(CliError::failure(format!(
            "{failed} change(s) failed; the journal {} records them, run apply again to retry",
            args.journal.display()
        )));
    }
    if a.has_blockers() {
        return Err(CliError::blockers(format!(
            "{} machine(s) blocked",
            a.summary.blocked
        )));
    }
    Ok(())
}
