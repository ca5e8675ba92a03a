//! `azrelo defender servers assess|apply`: the server protection migration
//! from Defender for Endpoint to Defender for Cloud (crate `azrelo-defender`).

use crate::cmd::arm_args::ArmArgs;
use crate::exit::CliError;
use crate::output::{Output, print_text, write_atomic};
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

Exit code 4 when machines or connectors are blocked.

Examples:
  azrelo defender servers assess exports/ devices.csv --plan p2
  azrelo defender servers assess --subscription \"Contoso Production\" --report fleet.md
  azrelo defender servers apply --subscription \"Contoso Production\" --validate-only";

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
    ///
    /// From files (Resource Graph / az resource list exports, ARM GET bodies,
    /// estate files, the Defender portal's device CSV) or live: --subscription,
    /// or without inputs az's current subscription. Exit code 4 when machines
    /// or connectors are blocked.
    ///
    /// Examples:
    ///   azrelo defender servers assess exports/ devices.csv
    ///   azrelo defender servers assess --subscription "Contoso Production" --report fleet.md
    ///   azrelo defender servers assess exports/ --render markdown > fleet.md
    ///   azrelo defender servers assess exports/ --query "machines[?verdict=='blocked'].name" -o tsv
    #[command(verbatim_doc_comment)]
    Assess(AssessArgs),
    /// Apply the subscription, workspace and connector settings through ARM (journaled, idempotent).
    ///
    /// GET each setting, compare, PUT only what differs, each change
    /// journaled; a second run changes nothing. The subscription defaults to
    /// AZURE_SUBSCRIPTION_ID, then az's current one; the endpoint to az's
    /// active cloud.
    ///
    /// Examples:
    ///   azrelo defender servers apply --validate-only
    ///   azrelo defender servers apply --subscription "Contoso Production" --plan p2
    ///   azrelo defender servers apply --subscription SUB --arm-endpoint https://127.0.0.1:8443 --auth token --ca-cert emulator-ca.pem
    #[command(verbatim_doc_comment)]
    Apply(ApplyArgs),
}

/// `--plan` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanArg {
    /// Keep the plan each subscription has enabled (Plan 1 or Plan 2 both
    /// include the Defender for Endpoint integration); Plan 2 where it is off.
    Keep,
    P1,
    P2,
}

impl From<PlanArg> for Option<ServersPlan> {
    fn from(p: PlanArg) -> Self {
        match p {
            PlanArg::Keep => None,
            PlanArg::P1 => Some(ServersPlan::P1),
            PlanArg::P2 => Some(ServersPlan::P2),
        }
    }
}

/// `--render` values: the assessment as a document instead of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Document {
    /// The Markdown report (what --report FILE writes).
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct AssessArgs {
    /// Inputs: Resource Graph or `az resource list` exports, ARM GET bodies,
    /// estate files, Defender device lists (CSV export or machines API JSON);
    /// directories contribute their .json and .csv files.
    /// Without inputs the fleet is read live from az's current subscription
    /// (or AZURE_SUBSCRIPTION_ID).
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Read the fleet live from these subscriptions (name or id; repeatable)
    /// through ARM.
    #[arg(long, value_name = "NAME|ID")]
    pub subscription: Vec<String>,
    /// The Defender for Servers plan the fleet must have (default: keep what
    /// each subscription has enabled, Plan 2 where it is off).
    #[arg(long, value_enum, default_value_t = PlanArg::Keep)]
    pub plan: PlanArg,
    /// Print the assessment as a Markdown document instead of the result
    /// (not with -o or --query).
    #[arg(long, value_enum, value_name = "DOCUMENT")]
    pub render: Option<Document>,
    /// Replaced by -o and --render (kept to say so).
    #[arg(long, hide = true, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Also write the report to FILE (Markdown; JSON when FILE ends in .json).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub arm: ArmArgs,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The subscription whose settings are applied (name or id; default:
    /// AZURE_SUBSCRIPTION_ID, else az's current subscription).
    #[arg(long, value_name = "NAME|ID")]
    pub subscription: Option<String>,
    /// The Defender for Servers plan to enable (default: keep the enabled
    /// plan, Plan 1 or 2; Plan 2 where it is off).
    #[arg(long, value_enum, default_value_t = PlanArg::Keep)]
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

pub fn run(args: Args, out: &Output) -> Result<(), CliError> {
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

fn run_assess(args: AssessArgs, out: &Output) -> Result<(), CliError> {
    if let Some(f) = &args.format {
        return Err(CliError::usage(
            format!("`azrelo defender servers assess --format {f}` is no longer accepted"),
            "use -o table|json|yaml|tsv for the assessment, --render markdown for the Markdown report",
        ));
    }
    if args.render.is_some() && out.chosen() {
        return Err(CliError::usage(
            "--render prints a document: it cannot be combined with -o or --query",
            "leave out --render for the assessment's JSON (-o json, --query), or -o and --query for the document",
        ));
    }
    let live = !args.subscription.is_empty() || args.inputs.is_empty();
    let mut fleet = if !live {
        load_files(&args.inputs)?
    } else {
        let subscriptions = crate::az_config::subscriptions_or_default(&args.subscription)?;
        if subscriptions.is_empty() {
            return Err(CliError::usage(
                "nothing to assess: no inputs and no subscription",
                format!(
                    "pass exports or device lists as INPUT; to read the fleet live, {}",
                    crate::az_config::SUBSCRIPTION_HINT
                ),
            ));
        }
        let client = args.arm.client()?;
        let live = runtime()?
            .block_on(azrelo_defender::live::fleet(&client, &subscriptions))
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
    match args.render {
        Some(Document::Markdown) => print_text(report::render_markdown(&a).trim_end())?,
        None => out.print(&a, || report::render_text(&a))?,
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

fn run_apply(args: ApplyArgs, out: &Output) -> Result<(), CliError> {
    let subscription = match &args.subscription {
        Some(s) => crate::az_config::resolve_subscription(s)?,
        None => crate::az_config::default_subscription()?.ok_or_else(|| {
            CliError::usage(
                "no subscription to apply the settings to",
                crate::az_config::SUBSCRIPTION_HINT,
            )
        })?,
    };
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
    let run = format!("defender-servers/{subscription}/{started}");
    let (report, fleet) = runtime()?
        .block_on(azrelo_defender::apply::apply(
            &client,
            &subscription,
            &opts,
            journal.as_ref(),
            &run,
        ))
        .map_err(|e| CliError::failure(e.to_string()))?;
    // The machines' readiness after the settings (blockers are never settings).
    let a = assess(&fleet, &AssessOptions { plan: opts.plan });
    out.print(
        &serde_json::json!({
            "apply": report,
            "assessment": a,
        }),
        || {
            let mut text = azrelo_defender::apply::render_text(&report);
            text.push_str(&format!(
                "machines: {} ready, {} ready after apply, {} need a manual step, {} blocked (before Defender for Cloud deploys the extensions)\n",
                a.summary.ready,
                a.summary.ready_after_apply,
                a.summary.needs_manual,
                a.summary.blocked
            ));
            text
        },
    )?;
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
