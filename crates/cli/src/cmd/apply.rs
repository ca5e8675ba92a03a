//! `azrelo apply | resume | status | commit | discard | cleanup-source | gate`:
//! the CLI over `azrelo-orchestrate` (journaled per-resource state machine,
//! pipelined scheduling, verification). Domain logic lives in the library;
//! this module parses flags, builds the ARM client, draws progress and
//! renders results.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use azrelo_client::ArmClient;
use azrelo_orchestrate::{
    ActionRow, CrashHook, Engine, EngineError, Event, EventStatus, Observer, Options, RowOutcome,
    RunPlan, Schedule, Step,
};
use azrelo_run::{ClientArm, PlanDir};

use crate::cmd::arm_args::ArmArgs;
use crate::exit::{CliError, ExitCode};
use crate::output::{OutputFormat, print_json, print_text, table};

/// `--schedule` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScheduleArg {
    /// A resource starts as soon as the resources it needs exist.
    Pipelined,
    /// Wave by wave, each waiting for the previous one (for comparison).
    Waves,
}

/// Run a plan against ARM (or the emulator).
///
/// Every step is journaled in PLAN_DIR/journal.db (intent before the ARM
/// call, result after) and logged to PLAN_DIR/events.jsonl; after a crash or
/// a kill, `azrelo resume PLAN_DIR` finishes the run. The run stops at manual
/// gates (exit code 5): close them with `azrelo gate done`, then resume.
///
/// Examples:
///   azrelo apply ./plan --arm-endpoint https://127.0.0.1:8443 --auth token --ca-cert emulator.pem
///   azrelo apply ./plan --validate-only
///   azrelo apply ./plan --parameters secrets.json --parallelism 16
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// Plan directory: plan.json and estate.json (`azrelo plan --out`) and
    /// templates/ (`azrelo generate`).
    pub plan_dir: PathBuf,
    #[command(flatten)]
    pub arm: ArmArgs,
    /// Resources in flight at once (the client's throttle applies too).
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub parallelism: usize,
    /// Run ARM's validate on every deployment; change nothing.
    #[arg(long)]
    pub validate_only: bool,
    /// Scheduling: pipelined over the dependency graph, or wave by wave.
    #[arg(long, value_enum, default_value_t = ScheduleArg::Pipelined)]
    pub schedule: ScheduleArg,
    /// Values of the templates' secure parameters: a JSON object
    /// {"name": value} or an ARM parameters file. Each can also come from
    /// the environment as AZRELO_PARAM_<name>. Never written to the journal.
    #[arg(long = "parameters", value_name = "FILE")]
    pub parameters: Option<PathBuf>,
}

/// Show where every resource of a relocation stands (from the journal).
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Plan directory.
    pub plan_dir: PathBuf,
}

/// Commit or discard moved resources.
#[derive(Debug, clap::Args)]
pub struct ActArgs {
    /// Plan directory.
    pub plan_dir: PathBuf,
    #[command(flatten)]
    pub arm: ArmArgs,
    /// Only these resources (target or source ids, or a scope containing
    /// them, e.g. a resource group); default: all.
    #[arg(long = "resource", value_name = "ID")]
    pub resources: Vec<String>,
}

/// Delete the sources of committed resources (honours locks; --confirm)
///
/// Delete the sources of committed resources.
///
/// Refuses unless every resource of the scope is committed (and so
/// verified). A source under a CanNotDelete/ReadOnly lock is reported and
/// kept, and so is whatever it still uses; a resource group is deleted only
/// when nothing is left in it; nothing outside the plan is touched. Without
/// --confirm it shows what it would do.
#[derive(Debug, clap::Args)]
pub struct CleanupArgs {
    /// Plan directory.
    pub plan_dir: PathBuf,
    #[command(flatten)]
    pub arm: ArmArgs,
    /// Only sources within these scopes (ids); default: the whole plan.
    #[arg(long = "scope", value_name = "ID")]
    pub scopes: Vec<String>,
    /// Really delete.
    #[arg(long)]
    pub confirm: bool,
}

/// Manual gates: steps the operator does and then closes.
#[derive(Debug, clap::Args)]
pub struct GateArgs {
    #[command(subcommand)]
    pub command: GateCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum GateCommand {
    /// Close gates (the manual step is done): `azrelo gate done PLAN_DIR ID...`.
    Done {
        /// Plan directory.
        plan_dir: PathBuf,
        /// Gate ids, as `azrelo gate list` shows them.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// List the gates and whether they are closed.
    List {
        /// Plan directory.
        plan_dir: PathBuf,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))
}

pub(crate) fn load(dir: &Path) -> Result<RunPlan, CliError> {
    PlanDir::new(dir).load_run().map_err(|e| {
        CliError::bad_input(
            e,
            "PLAN_DIR must hold plan.json and estate.json (`azrelo plan --out`) and templates/ (`azrelo generate`)",
        )
    })
}

pub(crate) fn engine_error(e: EngineError) -> CliError {
    match e {
        EngineError::Model(m) => {
            CliError::bad_input(m, "re-run `azrelo plan` and `azrelo generate`")
        }
        EngineError::PlanChanged { .. } => CliError::bad_input(
            e,
            "the journal belongs to the plan the run started with; keep that plan directory unchanged",
        ),
        other => CliError::failure(other),
    }
}

/// Progress bars per phase and overall (hidden when stderr is not a
/// terminal, or with -o json).
pub(crate) struct Bars {
    pub(crate) multi: indicatif::MultiProgress,
    phases: HashMap<&'static str, indicatif::ProgressBar>,
    overall: indicatif::ProgressBar,
    seen: Mutex<std::collections::HashSet<(String, Step)>>,
}

impl Bars {
    pub(crate) fn new(total: u64, hidden: bool) -> Bars {
        let target = if hidden {
            indicatif::ProgressDrawTarget::hidden()
        } else {
            indicatif::ProgressDrawTarget::stderr()
        };
        let multi = indicatif::MultiProgress::with_draw_target(target);
        let style = indicatif::ProgressStyle::with_template(
            "{prefix:>9} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
        let mk = |name: &str| {
            let b = multi.add(indicatif::ProgressBar::new(total));
            b.set_style(style.clone());
            b.set_prefix(name.to_string());
            b
        };
        let phases = [
            ("prepare", mk("prepare")),
            ("move", mk("move")),
            ("verify", mk("verify")),
        ]
        .into_iter()
        .collect();
        let overall = mk("overall");
        Bars {
            multi,
            phases,
            overall,
            seen: Mutex::new(Default::default()),
        }
    }

    pub(crate) fn finish(&self) {
        for b in self.phases.values() {
            b.finish_and_clear();
        }
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
    }
}

impl Observer for Bars {
    fn event(&self, e: &Event) {
        let done = matches!(e.status, EventStatus::Succeeded | EventStatus::Skipped);
        if done
            && let Some(b) = self.phases.get(e.step.as_str())
            && self
                .seen
                .lock()
                .map(|mut s| s.insert((e.unit.clone(), e.step)))
                .unwrap_or(false)
        {
            b.inc(1);
            if e.step == Step::Verify {
                self.overall.inc(1);
            }
        }
        if e.status == EventStatus::Failed || e.status == EventStatus::Retrying {
            self.overall.set_message(format!(
                "{} {}: {}",
                e.label,
                e.step,
                e.message.as_deref().unwrap_or("")
            ));
        }
    }
}

fn rows_table(rows: &[ActionRow]) -> String {
    let mut t = table(["resource", "outcome", "detail"]);
    for r in rows {
        t.add_row([
            r.unit.as_str(),
            r.outcome.as_str(),
            r.detail.as_deref().unwrap_or(""),
        ]);
    }
    t.to_string()
}

/// `azrelo apply` and `azrelo resume`.
pub fn run_apply(args: ApplyArgs, out: OutputFormat, resume: bool) -> Result<(), CliError> {
    let plan = load(&args.plan_dir)?;
    if resume {
        let j = azrelo_orchestrate::open_journal(&args.plan_dir).map_err(engine_error)?;
        if j.steps(azrelo_orchestrate::state::RUN)
            .map_err(CliError::failure)?
            .is_empty()
        {
            return Err(CliError::bad_input(
                format!(
                    "nothing to resume in {}: no run has started there",
                    args.plan_dir.display()
                ),
                format!("start it with `azrelo apply {}`", args.plan_dir.display()),
            ));
        }
    }
    for w in &plan.warnings {
        tracing::warn!("{w}");
    }
    let options = args.arm.options()?;
    let client = ArmClient::new(options.clone())
        .map_err(|e| CliError::bad_input(e, "check --arm-endpoint, --auth and --ca-cert"))?;
    let opts = Options {
        parallelism: args.parallelism.max(1),
        schedule: match args.schedule {
            ScheduleArg::Pipelined => Schedule::Pipelined,
            ScheduleArg::Waves => Schedule::Waves,
        },
        secrets: azrelo_run::secure_parameters(&plan, args.parameters.as_deref())?,
        poll: options.min_poll.max(std::time::Duration::from_millis(10)),
        ..Options::default()
    };
    let total = plan.units.len() as u64;
    let engine =
        Engine::new(plan, ClientArm(client), opts, CrashHook::from_env()).map_err(engine_error)?;
    let rt = runtime()?;
    if args.validate_only {
        let rows = rt.block_on(engine.validate()).map_err(engine_error)?;
        let invalid = rows
            .iter()
            .filter(|r| r.outcome != RowOutcome::Valid)
            .count();
        match out {
            OutputFormat::Json => print_json(&rows)?,
            OutputFormat::Table => {
                print_text(rows_table(&rows))?;
                print_text(format!(
                    "{} deployment(s) validated, {invalid} invalid; nothing was changed.",
                    rows.len()
                ))?;
            }
        }
        return if invalid == 0 {
            Ok(())
        } else {
            Err(CliError::failure(format!(
                "{invalid} deployment(s) did not validate"
            )))
        };
    }
    let bars = Arc::new(Bars::new(total, out == OutputFormat::Json));
    let engine = Arc::new(engine.with_observer(bars.clone()));
    let report = rt.block_on(engine.apply());
    bars.finish();
    let report = report.map_err(engine_error)?;
    match out {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Table => {
            let mut text = format!(
                "{}/{} resource(s) moved and verified in {:.1}s.",
                report.available,
                report.total,
                report.elapsed_ms as f64 / 1000.0
            );
            for (unit, err) in &report.failed {
                text.push_str(&format!("\nfailed: {unit}: {err}"));
            }
            if !report.open_gates.is_empty() {
                text.push_str(&format!("\nopen gate(s): {}", report.open_gates.join(", ")));
            }
            print_text(text)?;
        }
    }
    let dir = args.plan_dir.display();
    if !report.failed.is_empty() {
        return Err(CliError::failure(format!(
            "{} resource(s) failed; fix the cause and run `azrelo resume {dir}`",
            report.failed.len()
        )));
    }
    if !report.complete() {
        return Err(CliError::new(
            ExitCode::Pending,
            miette::miette!(
                help = format!(
                    "do the manual step(s), then `azrelo gate done {dir} ID…` and `azrelo resume {dir}`"
                ),
                "the run stopped at {} open gate(s)",
                report.open_gates.len()
            ),
        ));
    }
    Ok(())
}

/// `azrelo status`.
pub fn run_status(args: StatusArgs, out: OutputFormat) -> Result<(), CliError> {
    let plan = load(&args.plan_dir)?;
    let j = azrelo_orchestrate::open_journal(&args.plan_dir).map_err(engine_error)?;
    let st = azrelo_orchestrate::status(&plan, &j).map_err(engine_error)?;
    match out {
        OutputFormat::Json => print_json(&st)?,
        OutputFormat::Table => {
            let mut t = table(["wave", "resource", "kind", "state", "verified", "detail"]);
            for r in &st.units {
                let detail = r
                    .error
                    .clone()
                    .or_else(|| {
                        (!r.open_gates.is_empty())
                            .then(|| format!("gate: {}", r.open_gates.join(", ")))
                    })
                    .or_else(|| r.note.clone())
                    .unwrap_or_default();
                let detail: String = detail.chars().take(120).collect();
                t.add_row([
                    r.wave.to_string(),
                    r.label.clone(),
                    r.kind.as_str().to_string(),
                    r.state.as_str().to_string(),
                    if r.verified { "yes" } else { "" }.to_string(),
                    detail,
                ]);
            }
            let counts: Vec<String> = st.counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
            print_text(format!("{t}\n{}", counts.join(", ")))?;
        }
    }
    Ok(())
}

fn arm_engine(dir: &Path, arm: &ArmArgs) -> Result<Engine<ClientArm>, CliError> {
    let plan = load(dir)?;
    let options = arm.options()?;
    let client = ArmClient::new(options.clone())
        .map_err(|e| CliError::bad_input(e, "check --arm-endpoint, --auth and --ca-cert"))?;
    let opts = Options {
        poll: options.min_poll,
        ..Options::default()
    };
    Engine::new(plan, ClientArm(client), opts, CrashHook::from_env()).map_err(engine_error)
}

fn print_rows(rows: &[ActionRow], out: OutputFormat, summary: String) -> Result<(), CliError> {
    match out {
        OutputFormat::Json => print_json(rows),
        OutputFormat::Table => {
            if rows.is_empty() {
                print_text(summary)
            } else {
                print_text(format!("{}\n{summary}", rows_table(rows)))
            }
        }
    }
}

/// `azrelo commit`.
pub fn run_commit(args: ActArgs, out: OutputFormat) -> Result<(), CliError> {
    let engine = arm_engine(&args.plan_dir, &args.arm)?;
    let rows = runtime()?
        .block_on(engine.commit(&args.resources))
        .map_err(engine_error)?;
    let refused = rows
        .iter()
        .filter(|r| r.outcome != RowOutcome::Committed)
        .count();
    print_rows(
        &rows,
        out,
        format!(
            "{} committed, {refused} not committed.",
            rows.len() - refused
        ),
    )?;
    if refused > 0 {
        return Err(CliError::failure(format!(
            "{refused} resource(s) were not committed (see the table); fix them, or `azrelo discard` them"
        )));
    }
    Ok(())
}

/// `azrelo discard`.
pub fn run_discard(args: ActArgs, out: OutputFormat) -> Result<(), CliError> {
    let engine = arm_engine(&args.plan_dir, &args.arm)?;
    let rows = runtime()?
        .block_on(engine.discard(&args.resources))
        .map_err(engine_error)?;
    let failed = rows
        .iter()
        .filter(|r| r.outcome == RowOutcome::DiscardFailed)
        .count();
    let done = rows
        .iter()
        .filter(|r| r.outcome == RowOutcome::Discarded)
        .count();
    print_rows(
        &rows,
        out,
        format!("{done} discarded (back to prepared), {failed} failed."),
    )?;
    if failed > 0 {
        return Err(CliError::failure(format!(
            "{failed} discard(s) failed; run `azrelo discard` again"
        )));
    }
    Ok(())
}

/// `azrelo cleanup-source`.
pub fn run_cleanup(args: CleanupArgs, out: OutputFormat) -> Result<(), CliError> {
    let engine = arm_engine(&args.plan_dir, &args.arm)?;
    let rows = runtime()?
        .block_on(engine.cleanup_source(&args.scopes, args.confirm))
        .map_err(engine_error)?;
    let count = |o: RowOutcome| rows.iter().filter(|r| r.outcome == o).count();
    if !args.confirm {
        print_rows(
            &rows,
            out,
            format!(
                "would delete {}, would keep {}; nothing was deleted.",
                count(RowOutcome::WouldDelete),
                count(RowOutcome::WouldKeep)
            ),
        )?;
        return Err(CliError::bad_input(
            "cleanup-source deletes source resources: nothing was deleted",
            "review the list, then re-run with --confirm",
        ));
    }
    print_rows(
        &rows,
        out,
        format!(
            "{} deleted, {} kept, {} failed.",
            count(RowOutcome::Deleted),
            count(RowOutcome::Kept),
            count(RowOutcome::DeleteFailed)
        ),
    )?;
    if count(RowOutcome::DeleteFailed) > 0 {
        return Err(CliError::failure(format!(
            "{} source(s) could not be deleted (see the table); run cleanup-source again once resolved",
            count(RowOutcome::DeleteFailed)
        )));
    }
    Ok(())
}

/// `azrelo gate done|list`.
pub fn run_gate(args: GateArgs, out: OutputFormat) -> Result<(), CliError> {
    match args.command {
        GateCommand::Done { plan_dir, ids } => {
            let plan = load(&plan_dir)?;
            let j = azrelo_orchestrate::open_journal(&plan_dir).map_err(engine_error)?;
            let closed = azrelo_orchestrate::close_gates(&plan, &j, &ids).map_err(|e| match e {
                EngineError::Refused(m) => {
                    CliError::bad_input(m, "`azrelo gate list PLAN_DIR` shows the gate ids")
                }
                other => engine_error(other),
            })?;
            match out {
                OutputFormat::Json => print_json(&closed),
                OutputFormat::Table => print_text(format!(
                    "closed {}; `azrelo resume {}` continues the run",
                    closed.join(", "),
                    plan_dir.display()
                )),
            }
        }
        GateCommand::List { plan_dir } => {
            let plan = load(&plan_dir)?;
            let j = azrelo_orchestrate::open_journal(&plan_dir).map_err(engine_error)?;
            let st = azrelo_orchestrate::status(&plan, &j).map_err(engine_error)?;
            match out {
                OutputFormat::Json => print_json(&st.gates),
                OutputFormat::Table => {
                    let mut t = table(["gate", "when", "closed", "what"]);
                    for g in &st.gates {
                        t.add_row([
                            g.id.clone(),
                            if g.before_move {
                                "before move"
                            } else {
                                "after move"
                            }
                            .to_string(),
                            if g.closed { "yes" } else { "" }.to_string(),
                            g.title.chars().take(140).collect(),
                        ]);
                    }
                    print_text(t)
                }
            }
        }
    }
}
