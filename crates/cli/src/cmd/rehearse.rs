//! `azrelo rehearse`: the whole relocation, end to end, against the built-in
//! ARM emulator — seed, live discovery, plan, generate, apply, gates, resume,
//! commit, source cleanup — in one process and without an Azure account.
//!
//! Every step is the library call the single-purpose command makes
//! (`discover --subscription`, `plan`, `generate`, `apply`/`resume`,
//! `gate done`, `commit`, `cleanup-source`); this module only wires them to
//! an in-process emulator and closes the manual gates itself, saying for
//! each what the operator would do in a real run.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use azrelo_client::{ArmClient, ClientOptions};
use azrelo_orchestrate::{CrashHook, Engine, Options, Schedule, State, UnitKind};
use serde::Serialize;
use serde_json::Value;

use crate::cmd::apply::{Bars, ClientArm, engine_error, load, secrets};
use crate::cmd::plan::Selection;
use crate::exit::CliError;
use crate::output::{OutputFormat, print_json, print_text, table, wrapped_table, write_atomic};

/// The bearer token the rehearsal's client presents (the in-process emulator
/// runs in test mode and accepts any token; this is not a credential).
const REHEARSAL_TOKEN: &str = "azrelo-rehearsal";

/// `azrelo rehearse --help`.
pub const LONG_ABOUT: &str = "\
Rehearse a whole relocation on the built-in ARM emulator: no Azure
account, nothing leaves this machine.

The emulator is started inside this process on 127.0.0.1 (a random port)
and seeded with the estate in the inputs, exactly as
`azrelo emulator serve --seed` does. Then the real pipeline runs against
it: live discovery through ARM and Resource Graph (as
`azrelo discover --subscription`), the plan for --target (as `azrelo plan`;
blockers end the rehearsal with exit code 4 and the findings), the
templates (as `azrelo generate`), the journaled run (as `azrelo apply`),
then `azrelo resume` until every resource is moved and verified,
`azrelo commit` and `azrelo cleanup-source --confirm`.

Manual gates are closed by the rehearsal itself; each is reported with
what the operator does at that point in a real run. Secure template
parameters get placeholder values (a real run takes them from
`--parameters FILE` or AZRELO_PARAM_<name>).

DIR (--out) receives what a real relocation leaves behind: estate.json
(as discovered), plan.json, plan.md, templates/, journal.db, events.jsonl,
and rehearsal.md / rehearsal.json, the report of this rehearsal. DIR must
be new or empty. The emulator's state lives in memory and ends with the
process.

Examples:
  azrelo rehearse examples/contoso-shop --target northeurope
  azrelo rehearse examples/contoso-shop -t northeurope --out rehearsal-2 --keep-source
  azrelo rehearse estate.json -t northeurope -o json > rehearsal-summary.json
  azrelo rehearse examples/contoso-shop -t swedencentral --out rehearsal-sdc
    (exit code 4: Key Vault backups cannot cross geographies, a blocker)";

/// Flags of `azrelo rehearse` (see [`LONG_ABOUT`]).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub selection: Selection,
    /// Directory for the plan, templates, journal, event log and report
    /// (created; must be new or empty).
    #[arg(long, value_name = "DIR", default_value = "rehearsal")]
    pub out: PathBuf,
    /// How long the emulator's operations take: off (at once; seconds for
    /// examples/contoso-shop), fast (realistic ×0.05: the disk copies take
    /// minutes, about 5 for contoso-shop) or realistic (a VM ~90 s, a disk
    /// copy ~10 s/GiB: hours).
    #[arg(long, value_enum, default_value_t = Latency::Off)]
    pub latency: Latency,
    /// Do not delete the sources after the commit (skip cleanup-source).
    #[arg(long)]
    pub keep_source: bool,
    /// Resources in flight at once.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub parallelism: usize,
}

/// `--latency` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Latency {
    Off,
    Fast,
    Realistic,
}

impl Latency {
    fn as_str(self) -> &'static str {
        match self {
            Latency::Off => "off",
            Latency::Fast => "fast",
            Latency::Realistic => "realistic",
        }
    }
}

/// A gate the rehearsal closed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClosedGate {
    pub id: String,
    pub resource: String,
    /// `before move` or `after move`.
    pub when: &'static str,
    /// What the operator does in a real run.
    pub instruction: String,
}

/// A source that stays, and why.
#[derive(Debug, Clone, Serialize)]
pub struct KeptSource {
    pub resource: String,
    pub reason: String,
}

/// Resource counts.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Resources in the plan.
    pub planned: usize,
    /// Units the run executed (one per target resource).
    pub units: usize,
    /// Units whose target exists and is verified.
    pub moved: usize,
    pub committed: usize,
    pub source_deleted: usize,
    pub source_kept: usize,
}

/// Where the rehearsal wrote things.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifacts {
    pub dir: String,
    pub estate: String,
    pub plan: String,
    pub plan_report: String,
    pub templates: String,
    pub journal: String,
    pub events: String,
    pub report: String,
    pub report_json: String,
}

/// The rehearsal's result (`-o json`; also DIR/rehearsal.json).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub schema: &'static str,
    pub target: String,
    pub source_regions: Vec<String>,
    pub latency: &'static str,
    /// Resources and records loaded into the emulator.
    pub seeded: usize,
    /// Resources live discovery found.
    pub discovered: usize,
    pub deployments: usize,
    pub resources: Counts,
    pub kept: Vec<KeptSource>,
    pub gates_closed: Vec<ClosedGate>,
    /// Secure parameters given placeholder values.
    pub placeholder_parameters: Vec<String>,
    pub role_assignments_recreated: usize,
    /// Of those, assignments for principals that are new in the target
    /// (recreated managed identities).
    pub role_assignments_new_principals: usize,
    pub findings: FindingCounts,
    /// apply + resume rounds (each ended at gates or with everything moved).
    pub rounds: usize,
    /// Time from the first apply to the last resource verified (gate
    /// closing excluded: the rehearsal closes gates at once).
    pub makespan_ms: u128,
    /// The whole rehearsal, emulator start to report.
    pub total_ms: u128,
    pub source_cleanup: bool,
    pub artifacts: Artifacts,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FindingCounts {
    pub blockers: usize,
    pub warnings: usize,
    pub infos: usize,
}

/// Status lines on stderr (not with -o json or -q: scripts read stdout
/// only, and the same facts are in rehearsal.md).
struct Say(bool);

impl Say {
    fn line(&self, s: impl std::fmt::Display) {
        if self.0 {
            eprintln!("{s}");
        }
    }
}

/// What a rehearsal writes in its directory (besides `journal.db-*` files).
const REHEARSAL_FILES: &[&str] = &[
    "estate.json",
    "plan.json",
    "plan.md",
    "templates",
    "journal.db",
    "events.jsonl",
    "rehearsal.md",
    "rehearsal.json",
];

fn check_out_dir(dir: &Path) -> Result<(), CliError> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let names: Vec<std::ffi::OsString> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .collect();
            if names.is_empty() {
                return Ok(());
            }
            // A previous rehearsal's output (and nothing else) is replaced, so
            // the README's command can be run again; anything else is refused.
            let ours = |n: &std::ffi::OsString| {
                let n = n.to_string_lossy();
                REHEARSAL_FILES.contains(&n.as_ref()) || n.starts_with("journal.db")
            };
            if names.iter().any(|n| n == "rehearsal.json") && names.iter().all(ours) {
                for n in &names {
                    let p = dir.join(n);
                    let gone = if p.is_dir() {
                        std::fs::remove_dir_all(&p)
                    } else {
                        std::fs::remove_file(&p)
                    };
                    gone.map_err(|e| {
                        CliError::bad_input(
                            format!(
                                "cannot replace the previous rehearsal in {}: {e}",
                                dir.display()
                            ),
                            "pass a new directory with --out DIR",
                        )
                    })?;
                }
                eprintln!("replacing the previous rehearsal in {}", dir.display());
                return Ok(());
            }
            Err(CliError::bad_input(
                format!("{} exists and is not empty", dir.display()),
                "pass a new directory with --out DIR (a rehearsal's journal belongs to its own emulator run), or remove the old one; a directory holding only a previous rehearsal is replaced",
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| {
                CliError::bad_input(
                    format!("cannot create {}: {e}", dir.display()),
                    "pass a writable directory with --out DIR",
                )
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(CliError::bad_input(
            format!("{} is not a directory", dir.display()),
            "pass a directory with --out DIR",
        )),
        Err(e) => Err(CliError::bad_input(
            format!("cannot read {}: {e}", dir.display()),
            "pass a writable directory with --out DIR",
        )),
    }
}

/// Start the emulator on a loopback port of `rt` and return its URL.
fn start_emulator(
    rt: &tokio::runtime::Runtime,
    emulator: azrelo_emulator::Emulator,
) -> Result<String, CliError> {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| CliError::failure(format!("cannot listen on 127.0.0.1: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::failure(format!("cannot read the emulator's address: {e}")))?;
    let app = azrelo_emulator::router(emulator);
    rt.spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("the rehearsal's emulator stopped: {e}");
        }
    });
    Ok(format!("http://{addr}"))
}

/// Subscriptions of the estate (live discovery reads these).
fn subscriptions(estate: &azrelo_estate::Estate) -> Vec<String> {
    let set: BTreeSet<String> = estate
        .resources
        .iter()
        .filter_map(|r| r.id.subscription_id().map(str::to_ascii_lowercase))
        .collect();
    set.into_iter().collect()
}

/// `quiet` (-q) silences the step lines on stderr; the summary still goes
/// to stdout.
pub fn run(args: Args, out: OutputFormat, quiet: bool) -> Result<(), CliError> {
    let started = Instant::now();
    let say = Say(out == OutputFormat::Table && !quiet);
    let dir = args.out.clone();
    check_out_dir(&dir)?;

    // 1. The source region: the emulator, seeded with the inputs.
    let estate = crate::cmd::inputs::load(&args.selection.inputs, &args.selection.placement)?;
    let subs = subscriptions(&estate);
    if subs.is_empty() {
        return Err(CliError::bad_input(
            "the inputs hold no resources to rehearse with",
            "pass an estate or exports with resources, e.g. examples/contoso-shop",
        ));
    }
    let latency = azrelo_emulator::latency::LatencyProfile::parse(args.latency.as_str())
        .map_err(|e| CliError::failure(format!("--latency {}: {e}", args.latency.as_str())))?;
    let emulator = azrelo_emulator::Emulator::new()
        // The rehearsal is one principal in one process; ARM's throttle only
        // slows it (the client's own throttle still paces the calls).
        .with_throttling(false)
        .with_latency(latency);
    let (n, m) = crate::cmd::emulator::seed_estate(&emulator, &estate);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))?;
    let endpoint = start_emulator(&rt, emulator)?;
    say.line(format!(
        "emulator: in-process on {endpoint} (latency {}), seeded with {n} resource(s) and {m} other record(s)",
        args.latency.as_str()
    ));

    // 2. Live discovery, as `azrelo discover --subscription`.
    let client = ArmClient::new(ClientOptions::emulator(&endpoint, REHEARSAL_TOKEN, None))
        .map_err(|e| CliError::failure(format!("cannot build the ARM client: {e}")))?;
    let live_opts = azrelo_live::LiveOptions {
        subscriptions: subs.clone(),
        ..azrelo_live::LiveOptions::default()
    };
    let discovered =
        crate::cmd::discover::discover_live(&rt, &client, &live_opts, out == OutputFormat::Json)?;
    say.line(format!(
        "discover: {} resource(s) in {} subscription(s), live through ARM and Resource Graph",
        discovered.resources.len(),
        subs.len()
    ));

    // 3. The plan, as `azrelo plan --out DIR`.
    let plan = crate::cmd::plan::build_from(&args.selection, &discovered)?;
    crate::cmd::plan::write_plan_dir(&dir, &discovered, &plan)?;
    let s = &plan.summary;
    say.line(format!(
        "plan: {} resource(s) to {} in {} wave(s); {} blocker(s), {} warning(s), {} info",
        s.resources, plan.target.region, s.waves, s.blockers, s.warnings, s.infos
    ));
    if s.blockers > 0 {
        match out {
            OutputFormat::Json => print_json(&serde_json::json!({
                "target": plan.target.region,
                "summary": {
                    "resources": s.resources,
                    "blockers": s.blockers,
                    "warnings": s.warnings,
                    "infos": s.infos,
                },
                "findings": plan.findings,
                "plan": dir.display().to_string(),
            }))?,
            OutputFormat::Table => print_text(crate::cmd::plan::findings_table(&plan))?,
        }
        return crate::cmd::plan::blockers(&plan).map_err(|e| {
            CliError::blockers(format!(
                "{}; nothing was moved (the plan is in {})",
                e.report,
                dir.display()
            ))
        });
    }
    let findings = FindingCounts {
        blockers: s.blockers,
        warnings: s.warnings,
        infos: s.infos,
    };
    let new_principals = plan
        .role_assignments
        .iter()
        .filter(|ra| {
            matches!(
                ra.target_principal,
                azrelo_plan::TargetPrincipal::NewPrincipalOf { .. }
            )
        })
        .count();

    // 4. Templates, as `azrelo generate DIR`.
    let templates = dir.join("templates");
    let (generated, _) = crate::cmd::generate::write_templates(&dir, &templates)?;
    say.line(format!(
        "generate: {} deployment(s) in {}",
        generated.deployments.len(),
        templates.display()
    ));

    // 5. The run, as `azrelo apply` + `gate done` + `resume`.
    let run_plan = load(&dir)?;
    for w in &run_plan.warnings {
        tracing::warn!("{w}");
    }
    let mut values = secrets(&run_plan, None)?;
    let mut placeholders = BTreeSet::new();
    for u in &run_plan.units {
        let Some(d) = &u.deploy else { continue };
        for p in &d.secure_params {
            let filled_by_run = d.principal_params.iter().any(|(q, _)| q == p);
            if !filled_by_run && !values.contains_key(p) {
                placeholders.insert(p.clone());
            }
        }
    }
    for p in &placeholders {
        values.insert(
            p.clone(),
            Value::String(format!("rehearsal-placeholder-{p}")),
        );
    }
    if !placeholders.is_empty() {
        say.line(format!(
            "secure parameters: placeholder values for {}; in a real run the operator supplies them: `azrelo apply DIR --parameters FILE` or AZRELO_PARAM_<name>",
            placeholders.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    let opts = Options {
        parallelism: args.parallelism.max(1),
        schedule: Schedule::Pipelined,
        secrets: values,
        poll: Duration::from_millis(20),
        ..Options::default()
    };
    let total_units = run_plan.units.len();
    let engine =
        Engine::new(run_plan, ClientArm(client), opts, CrashHook::none()).map_err(engine_error)?;
    let bars = Arc::new(Bars::new(total_units as u64, out == OutputFormat::Json));
    let engine = Arc::new(engine.with_observer(bars.clone()));
    let titles: HashMap<String, (String, bool)> = engine
        .plan
        .gates()
        .into_iter()
        .map(|(g, i, before)| {
            (
                g.id.to_ascii_lowercase(),
                (engine.plan.units[i].label(), before),
            )
        })
        .collect();
    let gate_text: HashMap<String, String> = engine
        .plan
        .gates()
        .into_iter()
        .map(|(g, _, _)| (g.id.to_ascii_lowercase(), g.title.clone()))
        .collect();
    let mut closed: Vec<ClosedGate> = Vec::new();
    let close = |ids: Vec<String>, closed: &mut Vec<ClosedGate>| -> Result<(), CliError> {
        let done = azrelo_orchestrate::close_gates(&engine.plan, engine.journal(), &ids)
            .map_err(engine_error)?;
        for id in done {
            let key = id.to_ascii_lowercase();
            let (resource, before) = titles.get(&key).cloned().unwrap_or_default();
            let instruction = gate_text.get(&key).cloned().unwrap_or_default();
            bars.multi
                .suspend(|| say.line(format!(
                    "gate {id} ({resource}): closed by the rehearsal; in a real run the operator does this: {instruction}"
                )));
            closed.push(ClosedGate {
                id,
                resource,
                when: if before { "before move" } else { "after move" },
                instruction,
            });
        }
        Ok(())
    };
    let mut makespan = Duration::ZERO;
    let mut rounds = 0;
    let report = loop {
        rounds += 1;
        let t = Instant::now();
        let report = rt.block_on(engine.apply());
        makespan += t.elapsed();
        let report = match report {
            Ok(r) => r,
            Err(e) => {
                bars.finish();
                return Err(engine_error(e));
            }
        };
        if !report.failed.is_empty() {
            bars.finish();
            let list: Vec<String> = report
                .failed
                .iter()
                .take(10)
                .map(|(u, e)| format!("{u}: {e}"))
                .collect();
            return Err(CliError::failure(format!(
                "{} resource(s) failed in the rehearsal:\n  {}\n(`azrelo status {}` shows every resource; the event log is {})",
                report.failed.len(),
                list.join("\n  "),
                dir.display(),
                dir.join("events.jsonl").display()
            )));
        }
        if report.complete() {
            break report;
        }
        if report.open_gates.is_empty() {
            bars.finish();
            return Err(CliError::failure(format!(
                "the rehearsal stopped: {} of {} resource(s) moved, {} blocked, and no gate is open (`azrelo status {}` shows where each stands)",
                report.available,
                report.total,
                report.blocked,
                dir.display()
            )));
        }
        if rounds > total_units + 2 {
            bars.finish();
            return Err(CliError::failure(format!(
                "the rehearsal made no progress after {rounds} rounds (open gates: {})",
                report.open_gates.join(", ")
            )));
        }
        close(report.open_gates.clone(), &mut closed)?;
    };
    bars.finish();
    // Gates after the move that the run did not wait for (manual
    // relocations, final cut-over): the commit needs them closed.
    let st = azrelo_orchestrate::status(&engine.plan, engine.journal()).map_err(engine_error)?;
    let still_open: Vec<String> = st
        .gates
        .iter()
        .filter(|g| !g.closed)
        .map(|g| g.id.clone())
        .collect();
    if !still_open.is_empty() {
        close(still_open, &mut closed)?;
    }
    say.line(format!(
        "apply: {}/{} resource(s) moved and verified in {:.1}s over {rounds} round(s); {} gate(s) closed by the rehearsal",
        report.available,
        report.total,
        makespan.as_secs_f64(),
        closed.len()
    ));

    // 6. Commit, as `azrelo commit DIR`.
    let rows = rt.block_on(engine.commit(&[])).map_err(engine_error)?;
    let refused: Vec<String> = rows
        .iter()
        .filter(|r| r.outcome != "committed")
        .map(|r| format!("{}: {}", r.unit, r.detail.as_deref().unwrap_or("")))
        .collect();
    if !refused.is_empty() {
        return Err(CliError::failure(format!(
            "{} resource(s) were not committed:\n  {}",
            refused.len(),
            refused.join("\n  ")
        )));
    }
    say.line(format!(
        "commit: {} resource(s) re-verified and committed",
        rows.len()
    ));

    // 7. Source cleanup, as `azrelo cleanup-source DIR --confirm`.
    let mut kept: Vec<KeptSource> = Vec::new();
    if !args.keep_source {
        let rows = rt
            .block_on(engine.cleanup_source(&[], true))
            .map_err(engine_error)?;
        let failed: Vec<String> = rows
            .iter()
            .filter(|r| r.outcome == "delete failed")
            .map(|r| format!("{}: {}", r.unit, r.detail.as_deref().unwrap_or("")))
            .collect();
        if !failed.is_empty() {
            return Err(CliError::failure(format!(
                "{} source(s) could not be deleted:\n  {}",
                failed.len(),
                failed.join("\n  ")
            )));
        }
        for r in rows.iter().filter(|r| r.outcome == "kept") {
            kept.push(KeptSource {
                resource: r.unit.clone(),
                reason: r.detail.clone().unwrap_or_default(),
            });
        }
        say.line(format!(
            "cleanup-source: {} source(s) deleted, {} kept",
            rows.iter().filter(|r| r.outcome == "deleted").count(),
            kept.len()
        ));
    } else {
        say.line("cleanup-source: skipped (--keep-source); every source is still there");
    }

    // 8. The summary, from the journal.
    let st = azrelo_orchestrate::status(&engine.plan, engine.journal()).map_err(engine_error)?;
    let mut counts = Counts {
        planned: plan.resources.len(),
        units: st.units.len(),
        ..Counts::default()
    };
    let mut role_assignments = 0;
    for u in &st.units {
        let moved = u.verified || u.kind == UnitKind::Manual;
        if moved {
            counts.moved += 1;
        }
        if matches!(u.state, State::Committed | State::SourceKept | State::Done) {
            counts.committed += 1;
        }
        let is_ra = u
            .resource_type
            .eq_ignore_ascii_case(azrelo_arm::vocab::ROLE_ASSIGNMENTS);
        if is_ra && u.state.is_committed() {
            role_assignments += 1;
        }
        match u.state {
            State::Done if u.source.is_some() => counts.source_deleted += 1,
            State::SourceKept => counts.source_kept += 1,
            _ => {}
        }
    }
    if args.keep_source {
        counts.source_kept = st.units.iter().filter(|u| u.source.is_some()).count();
    }
    let artifacts = Artifacts {
        dir: dir.display().to_string(),
        estate: dir.join("estate.json").display().to_string(),
        plan: dir.join("plan.json").display().to_string(),
        plan_report: dir.join("plan.md").display().to_string(),
        templates: templates.display().to_string(),
        journal: dir.join("journal.db").display().to_string(),
        events: dir.join("events.jsonl").display().to_string(),
        report: dir.join("rehearsal.md").display().to_string(),
        report_json: dir.join("rehearsal.json").display().to_string(),
    };
    let summary = Summary {
        schema: "azrelo.rehearsal/v1",
        target: plan.target.region.clone(),
        source_regions: plan.source_regions.clone(),
        latency: args.latency.as_str(),
        seeded: n + m,
        discovered: discovered.resources.len(),
        deployments: generated.deployments.len(),
        resources: counts,
        kept,
        gates_closed: closed,
        placeholder_parameters: placeholders.into_iter().collect(),
        role_assignments_recreated: role_assignments,
        role_assignments_new_principals: new_principals.min(role_assignments),
        findings,
        rounds,
        makespan_ms: makespan.as_millis(),
        total_ms: started.elapsed().as_millis(),
        source_cleanup: !args.keep_source,
        artifacts,
    };
    let mut json = serde_json::to_vec_pretty(&summary)
        .map_err(|e| CliError::failure(format!("cannot serialize the summary: {e}")))?;
    json.push(b'\n');
    write_atomic(&dir.join("rehearsal.json"), &json)?;
    write_atomic(&dir.join("rehearsal.md"), markdown(&summary).as_bytes())?;
    match out {
        OutputFormat::Json => print_json(&summary),
        OutputFormat::Table => print_text(human(&summary)),
    }
}

fn secs(ms: u128) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// The summary for people (stdout).
fn human(s: &Summary) -> String {
    let c = &s.resources;
    let mut t = table(["Step", "Result"]);
    t.add_row([
        "emulator".to_string(),
        format!(
            "in-process, latency {}; seeded with {} record(s)",
            s.latency, s.seeded
        ),
    ]);
    t.add_row([
        "discover".to_string(),
        format!("{} resource(s), live through ARM", s.discovered),
    ]);
    t.add_row([
        "plan".to_string(),
        format!(
            "{} resource(s) → {}; {} warning(s), {} info",
            c.planned, s.target, s.findings.warnings, s.findings.infos
        ),
    ]);
    t.add_row([
        "generate".to_string(),
        format!("{} deployment(s)", s.deployments),
    ]);
    t.add_row([
        "apply + resume".to_string(),
        format!(
            "{}/{} moved and verified in {} round(s), makespan {}",
            c.moved,
            c.units,
            s.rounds,
            secs(s.makespan_ms)
        ),
    ]);
    t.add_row([
        "gates".to_string(),
        format!(
            "{} closed by the rehearsal (instructions in rehearsal.md)",
            s.gates_closed.len()
        ),
    ]);
    t.add_row([
        "secure parameters".to_string(),
        if s.placeholder_parameters.is_empty() {
            "none needed".to_string()
        } else {
            format!(
                "{} given placeholders: {}",
                s.placeholder_parameters.len(),
                s.placeholder_parameters.join(", ")
            )
        },
    ]);
    t.add_row([
        "role assignments".to_string(),
        format!(
            "{} recreated ({} for new principals)",
            s.role_assignments_recreated, s.role_assignments_new_principals
        ),
    ]);
    t.add_row([
        "commit".to_string(),
        format!("{}/{} committed", c.committed, c.units),
    ]);
    t.add_row([
        "cleanup-source".to_string(),
        if s.source_cleanup {
            format!(
                "{} source(s) deleted, {} kept",
                c.source_deleted, c.source_kept
            )
        } else {
            "skipped (--keep-source)".to_string()
        },
    ]);
    let mut text = format!(
        "Rehearsal of the relocation {} → {} on the local ARM emulator (nothing left this machine)\n{t}",
        if s.source_regions.is_empty() {
            "-".to_string()
        } else {
            s.source_regions.join(", ")
        },
        s.target
    );
    if !s.kept.is_empty() {
        // Grouped by reason: the full list is in rehearsal.md and -o json.
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for r in &s.kept {
            let why = reason_category(&r.reason);
            match groups.iter_mut().find(|(w, _)| *w == why) {
                Some((_, v)) => v.push(short(&r.resource)),
                None => groups.push((why, vec![short(&r.resource)])),
            }
        }
        let mut k = wrapped_table(["Why sources stay", "Sources kept"]);
        for (why, names) in &groups {
            const SHOWN: usize = 3;
            let mut list = names
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if names.len() > SHOWN {
                list.push_str(&format!(", … ({} in all)", names.len()));
            }
            k.add_row([why.clone(), list]);
        }
        text.push_str(&format!("\n{k}"));
    }
    let a = &s.artifacts;
    text.push_str(&format!(
        "\nWritten: {} (estate.json, plan.json, plan.md, templates/, journal.db, events.jsonl, rehearsal.md, rehearsal.json)\nTotal {}. Next: read {}; it ends with the same steps against Azure.",
        a.dir,
        secs(s.total_ms),
        a.report
    ));
    text
}

/// `…/resourceGroups/rg/providers/Microsoft.X/type/name` → `type/name`.
fn short(id: &str) -> String {
    let parts: Vec<&str> = id.rsplitn(3, '/').collect();
    match parts.as_slice() {
        [name, ty, _] => format!("{ty}/{name}"),
        _ => id.to_string(),
    }
}

/// A kept source's reason as a group for the summary table (chains of
/// "still used by X, which is kept" become one group).
fn reason_category(reason: &str) -> String {
    if reason.starts_with("still used by") {
        "still used by a source that is kept (rehearsal.md names each)".to_string()
    } else if reason.contains("still in the group") {
        "the resource group still holds kept resources or resources outside the plan".to_string()
    } else {
        shorten_ids(reason)
    }
}

/// Every ARM id in a sentence shortened to `type/name`.
fn shorten_ids(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let core = w.trim_end_matches([',', '.', ';', ')']);
            if core.starts_with("/subscriptions/") {
                format!("{}{}", short(core), &w[core.len()..])
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// DIR/rehearsal.md: what happened and what a real run asks of the operator.
fn markdown(s: &Summary) -> String {
    let c = &s.resources;
    let mut md = String::new();
    md.push_str(&format!(
        "# Relocation rehearsal: {} → {}\n\n",
        if s.source_regions.is_empty() {
            "-".to_string()
        } else {
            s.source_regions.join(", ")
        },
        s.target
    ));
    md.push_str(
        "Rehearsed by `azrelo rehearse` on the built-in ARM emulator (in-process, in memory): \
         no Azure account was used and nothing left this machine. Every step ran through the \
         same code a real relocation uses.\n\n## Outcome\n\n",
    );
    md.push_str("| | |\n|---|---|\n");
    for (k, v) in [
        ("Emulator latency profile", s.latency.to_string()),
        ("Records seeded", s.seeded.to_string()),
        ("Resources discovered (live)", s.discovered.to_string()),
        ("Resources planned", c.planned.to_string()),
        (
            "Findings",
            format!(
                "{} blocker(s), {} warning(s), {} info (plan.md lists them)",
                s.findings.blockers, s.findings.warnings, s.findings.infos
            ),
        ),
        ("Deployments generated", s.deployments.to_string()),
        ("Moved and verified", format!("{}/{}", c.moved, c.units)),
        ("Committed", format!("{}/{}", c.committed, c.units)),
        (
            "Sources deleted / kept",
            if s.source_cleanup {
                format!("{} / {}", c.source_deleted, c.source_kept)
            } else {
                "not cleaned up (--keep-source)".to_string()
            },
        ),
        (
            "Role assignments recreated",
            format!(
                "{} ({} for new principals)",
                s.role_assignments_recreated, s.role_assignments_new_principals
            ),
        ),
        (
            "Gates closed by the rehearsal",
            s.gates_closed.len().to_string(),
        ),
        ("apply/resume rounds", s.rounds.to_string()),
        (
            "Makespan (first apply → last resource verified)",
            secs(s.makespan_ms),
        ),
    ] {
        md.push_str(&format!("| {k} | {v} |\n"));
    }
    md.push_str(
        "\n## Manual gates\n\nThe rehearsal closed these gates itself. **In a real run the operator does each step, then \
         closes the gate with `azrelo gate done PLAN_DIR ID` and continues with `azrelo resume PLAN_DIR`.**\n\n",
    );
    if s.gates_closed.is_empty() {
        md.push_str("None.\n");
    } else {
        md.push_str("| Gate | Resource | When | In a real run the operator does this |\n|---|---|---|---|\n");
        for g in &s.gates_closed {
            md.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                g.id,
                g.resource,
                g.when,
                g.instruction.replace('|', "\\|")
            ));
        }
    }
    md.push_str("\n## Secure parameters\n\n");
    if s.placeholder_parameters.is_empty() {
        md.push_str("None were needed.\n");
    } else {
        md.push_str(
            "The rehearsal gave these secure template parameters placeholder values. In a real run \
             supply them with `azrelo apply PLAN_DIR --parameters FILE` (a JSON object or an ARM \
             parameters file) or as `AZRELO_PARAM_<name>`:\n\n",
        );
        for p in &s.placeholder_parameters {
            md.push_str(&format!("- `{p}`\n"));
        }
    }
    md.push_str("\n## Sources kept\n\n");
    if !s.source_cleanup {
        md.push_str("Source cleanup was skipped (`--keep-source`).\n");
    } else if s.kept.is_empty() {
        md.push_str("None: every source was deleted.\n");
    } else {
        md.push_str(
            "Ids are shortened to type/name here; rehearsal.json has them in full.\n\n\
             | Source | Why it stays |\n|---|---|\n",
        );
        for k in &s.kept {
            md.push_str(&format!(
                "| `{}` | {} |\n",
                short(&k.resource),
                shorten_ids(&k.reason).replace('|', "\\|")
            ));
        }
    }
    let a = &s.artifacts;
    md.push_str(&format!(
        "\n## Files\n\n- `{}`: the estate as live discovery found it\n- `{}`, `{}`: the plan\n- `{}`: the generated ARM templates and manifest.json\n- `{}`: the run's journal (`azrelo status {}` reads it)\n- `{}`: every step as JSON lines\n- `{}`: this report as JSON\n\n## Next\n\n\
         Run the same commands against Azure: `azrelo discover --subscription SUB --out estate.json`, \
         `azrelo plan estate.json --target {} --out plan`, `azrelo generate plan`, \
         `azrelo apply plan --parameters secrets.json`, then `azrelo gate done` / `azrelo resume`, \
         `azrelo commit plan` and `azrelo cleanup-source plan --confirm`.\n",
        a.estate, a.plan, a.plan_report, a.templates, a.journal, a.dir, a.events, a.report_json, s.target
    ));
    md
}
