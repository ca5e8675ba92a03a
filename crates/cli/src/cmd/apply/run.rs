//! `azrelo apply` and `azrelo resume`.

use std::path::PathBuf;

use azrelo_orchestrate::{RowOutcome, Schedule};

use super::*;

/// `--schedule` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScheduleArg {
    /// A resource starts as soon as the resources it needs exist.
    Pipelined,
    /// Wave by wave, each waiting for the previous one (for comparison).
    Waves,
}

/// Flags of `azrelo apply` and `azrelo resume` (their help texts are
/// [`super::APPLY_HELP`] and [`super::RESUME_HELP`]).
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
    /// Run ARM's what-if on every deployment and show what each would
    /// create or modify; change nothing.
    #[arg(long, conflicts_with = "validate_only")]
    pub what_if: bool,
    /// Scheduling: pipelined over the dependency graph, or wave by wave.
    #[arg(long, value_enum, default_value_t = ScheduleArg::Pipelined)]
    pub schedule: ScheduleArg,
    /// Values of the templates' secure parameters: a JSON object
    /// {"name": value} or an ARM parameters file. Each can also come from
    /// the environment as AZRELO_PARAM_<name>. Never written to the journal.
    #[arg(long = "parameters", value_name = "FILE")]
    pub parameters: Option<PathBuf>,
}

/// `azrelo apply` and `azrelo resume`.
pub fn run_apply(args: ApplyArgs, out: &Output, resume: bool, quiet: bool) -> Result<(), CliError> {
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
    let rt = runtime()?;
    if !args.validate_only {
        preflight(&plan, &opts.secrets, &client, &rt)?;
    }
    let engine =
        Engine::new(plan, ClientArm(client), opts, CrashHook::from_env()).map_err(engine_error)?;
    if args.validate_only || args.what_if {
        let rows = if args.what_if {
            rt.block_on(engine.what_if())
        } else {
            rt.block_on(engine.validate())
        }
        .map_err(engine_error)?;
        let invalid = rows
            .iter()
            .filter(|r| r.outcome != RowOutcome::Valid)
            .count();
        out.print(&rows, || {
            format!(
                "{}\n{} deployment(s) {}, {invalid} invalid; nothing was changed.",
                rows_table(&rows),
                rows.len(),
                if args.what_if {
                    "previewed (what-if)"
                } else {
                    "validated"
                }
            )
        })?;
        return if invalid == 0 {
            Ok(())
        } else {
            Err(CliError::failure(format!(
                "{invalid} deployment(s) did not validate"
            )))
        };
    }
    let bars = Arc::new(Bars::new(total, !out.is_human(), quiet));
    let engine = Arc::new(engine.with_observer(bars.clone()));
    let report = rt.block_on(engine.apply());
    bars.finish();
    let report = report.map_err(engine_error)?;
    out.print(&report, || {
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
        text
    })?;
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

/// Checks before the first write, so a run does not stop minutes in: every
/// secure parameter has a value (else exit 5, as for any step the operator
/// owes), and each target subscription answers — which also proves the
/// credentials and the endpoint's TLS trust (else the error once, with how
/// to fix it).
fn preflight(
    plan: &azrelo_orchestrate::RunPlan,
    secrets: &std::collections::HashMap<String, serde_json::Value>,
    client: &ArmClient,
    rt: &tokio::runtime::Runtime,
) -> Result<(), CliError> {
    let mut missing: Vec<&str> = plan
        .units
        .iter()
        .flat_map(|u| u.deploy.iter().flat_map(|d| d.secure_params.iter()))
        .map(String::as_str)
        .filter(|p| !secrets.contains_key(*p))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        return Err(CliError::new(
            ExitCode::Pending,
            miette::miette!(
                help = format!(
                    "supply them with --parameters FILE ({{\"name\": value}}) or {}<name>, then run the command again",
                    azrelo_run::ENV_PREFIX
                ),
                "secure parameter(s) without a value: {}; nothing was changed",
                missing.join(", ")
            ),
        ));
    }
    let mut subs: Vec<String> = plan
        .units
        .iter()
        .filter_map(|u| u.target_id.subscription_id().map(str::to_ascii_lowercase))
        .collect();
    subs.sort_unstable();
    subs.dedup();
    for sub in subs {
        let path = format!("/subscriptions/{sub}");
        match rt.block_on(client.get(&path, "2022-12-01")) {
            Ok(Some(_)) => {}
            Ok(None) => {
                return Err(CliError::bad_input(
                    format!(
                        "the target subscription {sub} was not found at {}",
                        client.endpoint()
                    ),
                    "check --target-subscription / --subscription-map in the plan, and that the credential can see it",
                ));
            }
            Err(e) => {
                let hint = e
                    .hint()
                    .unwrap_or("check --arm-endpoint, --auth and --ca-cert")
                    .to_string();
                return Err(CliError::new(
                    ExitCode::Failure,
                    miette::miette!(help = hint, "pre-flight: GET {path} failed: {e}"),
                ));
            }
        }
    }
    Ok(())
}
