//! The rehearsal: a whole relocation, end to end, against the built-in ARM
//! emulator — seed, live discovery, plan, generate, apply, gates, resume,
//! commit, source cleanup — in one process and without an Azure account.
//!
//! Every step is the library call the single-purpose command makes; what
//! the rehearsal adds is its *gate policy*: a run that stops at manual gates
//! has them closed on the operator's behalf (each recorded with what the
//! operator does at that point in a real run) and is resumed, and secure
//! parameters nobody supplied get placeholder values (named in the report).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use azrelo_arm::vocab;
use azrelo_catalog::Catalog;
use azrelo_client::{ArmClient, ClientOptions};
use azrelo_emulator::latency::LatencyProfile;
use azrelo_estate::Estate;
use azrelo_orchestrate::{
    CrashHook, Engine, EngineError, Event, Observer, Options, RowOutcome, Schedule, State, UnitKind,
};
use azrelo_plan::{Plan, PlanOptions};
use serde::Serialize;
use serde_json::Value;

use crate::report::markdown;
use crate::stand_in::{STAND_IN_LABEL, StandIns};
use crate::{ClientArm, PlanDir, RunError, secure_parameters_from, write_atomic};

/// The bearer token the rehearsal's client presents (the in-process emulator
/// runs in test mode and accepts any token; this is not a credential).
const REHEARSAL_TOKEN: &str = "azrelo-rehearsal";

/// What a rehearsal writes in its directory (besides `journal.db-*` files);
/// `report.html` is written next to them by `azrelo rehearse` (through
/// `azrelo-report`, which depends on this crate).
const REHEARSAL_FILES: &[&str] = &[
    "report.html",
    "estate.json",
    "plan.json",
    "plan.md",
    "templates",
    "journal.db",
    "events.jsonl",
    "rehearsal.md",
    "rehearsal.json",
];

/// The emulator's latency profile for a rehearsal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latency {
    /// Operations complete at once.
    Off,
    /// Realistic durations × 0.05.
    Fast,
    /// Realistic durations.
    Realistic,
}

impl Latency {
    pub fn as_str(self) -> &'static str {
        match self {
            Latency::Off => "off",
            Latency::Fast => "fast",
            Latency::Realistic => "realistic",
        }
    }
}

/// A rehearsal: where it writes, what it plans, how the emulator behaves.
#[derive(Debug, Clone)]
pub struct Rehearsal<'a> {
    /// The plan directory it creates (must be new, empty, or hold only a
    /// previous rehearsal, which is replaced).
    pub out: PathBuf,
    /// The target region, scopes, filters and naming.
    pub plan: PlanOptions,
    pub catalog: &'a Catalog,
    pub latency: Latency,
    /// Do not delete the sources after the commit.
    pub keep_source: bool,
    /// Resources in flight at once.
    pub parallelism: usize,
}

/// What a rehearsal tells its caller while it runs (all optional).
pub trait Progress: Observer {
    /// A step finished: one line for people.
    fn line(&self, _text: &str) {}
    /// Something went wrong that does not stop the rehearsal.
    fn warning(&self, _text: &str) {}
    /// Live discovery's progress.
    fn discovery(&self, _p: &azrelo_live::Progress) {}
    /// The run of `units` units starts (draw its progress).
    fn run_started(&self, _units: usize) {}
    /// The run ended (clear its progress).
    fn run_finished(&self) {}
}

/// A [`Progress`] that reports nothing.
pub struct Silent;

impl Observer for Silent {
    fn event(&self, _e: &Event) {}
}
impl Progress for Silent {}

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
    /// The rehearsal created the resource before closing the gate, as the
    /// operator would ([`STAND_IN_LABEL`]): the deployment that did it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stand_in: Option<String>,
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

/// Findings by severity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FindingCounts {
    pub blockers: usize,
    pub warnings: usize,
    pub infos: usize,
}

/// The rehearsal's result (also `DIR/rehearsal.json`).
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

/// How a rehearsal ended.
#[derive(Debug)]
pub enum Outcome {
    /// Everything moved, verified and committed (and the sources cleaned
    /// up unless kept).
    Done(Box<Summary>),
    /// The plan has blockers: nothing was moved; the plan is in the
    /// directory.
    Blocked(Box<Plan>),
}

/// Seed `emulator` with `estate` as the source region (resources first, then
/// the other records); returns (resources, other records) loaded.
pub fn seed_emulator(emulator: &azrelo_emulator::Emulator, estate: &Estate) -> (usize, usize) {
    let bodies = azrelo_estate::arm_shape::arm_bodies(estate);
    let resources = estate.resources.len().min(bodies.len());
    let mut bodies = bodies.into_iter();
    let n = emulator.seed(bodies.by_ref().take(resources));
    let m = emulator.seed(bodies);
    (n, m)
}

/// Make `dir` ready: created when missing, kept when empty, a previous
/// rehearsal's output (and nothing else) replaced; anything else refused.
fn prepare_out_dir(dir: &Path, progress: &dyn Progress) -> Result<(), RunError> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let names: Vec<std::ffi::OsString> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .collect();
            if names.is_empty() {
                return Ok(());
            }
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
                        RunError::bad_input(
                            format!(
                                "cannot replace the previous rehearsal in {}: {e}",
                                dir.display()
                            ),
                            "pass a new directory with --out DIR",
                        )
                    })?;
                }
                progress.warning(&format!(
                    "replacing the previous rehearsal in {}",
                    dir.display()
                ));
                return Ok(());
            }
            Err(RunError::bad_input(
                format!("{} exists and is not empty", dir.display()),
                "pass a new directory with --out DIR (a rehearsal's journal belongs to its own emulator run), or remove the old one; a directory holding only a previous rehearsal is replaced",
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| {
                RunError::bad_input(
                    format!("cannot create {}: {e}", dir.display()),
                    "pass a writable directory with --out DIR",
                )
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(RunError::bad_input(
            format!("{} is not a directory", dir.display()),
            "pass a directory with --out DIR",
        )),
        Err(e) => Err(RunError::bad_input(
            format!("cannot read {}: {e}", dir.display()),
            "pass a writable directory with --out DIR",
        )),
    }
}

/// Start the emulator on a loopback port of `rt` and return its URL.
fn start_emulator(
    rt: &tokio::runtime::Runtime,
    emulator: azrelo_emulator::Emulator,
) -> Result<String, RunError> {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| RunError::failure(format!("cannot listen on 127.0.0.1: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| RunError::failure(format!("cannot read the emulator's address: {e}")))?;
    let app = azrelo_emulator::router(emulator);
    rt.spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("the rehearsal's emulator stopped: {e}");
        }
    });
    Ok(format!("http://{addr}"))
}

/// Subscriptions of the estate (live discovery reads these).
fn subscriptions(estate: &Estate) -> Vec<String> {
    let set: BTreeSet<String> = estate
        .resources
        .iter()
        .filter_map(|r| r.id.subscription_id().map(str::to_ascii_lowercase))
        .collect();
    set.into_iter().collect()
}

/// An engine error inside a rehearsal.
fn engine(e: EngineError) -> RunError {
    RunError::failure(e)
}

/// Live discovery through `client`; calls that failed after retries are
/// reported as one warning, the rest is kept.
pub fn discover_live(
    rt: &tokio::runtime::Runtime,
    client: &ArmClient,
    opts: &azrelo_live::LiveOptions,
    progress: &dyn Progress,
) -> Result<Estate, RunError> {
    let live = rt
        .block_on(azrelo_live::discover(
            client,
            opts,
            Some(&|p| progress.discovery(&p)),
        ))
        .map_err(|e| RunError {
            kind: crate::ErrorKind::Failure,
            message: format!("live discovery against {} failed: {e}", client.endpoint()),
            // A credential or TLS trust failure says how to fix it.
            help: e.source.as_ref().and_then(|s| s.hint()).map(str::to_string),
        })?;
    if !live.failures.is_empty() {
        const SHOWN: usize = 10;
        let mut text = format!(
            "warning: {} call(s) failed after retries; their part of the estate is missing or less detailed:",
            live.failures.len()
        );
        for f in live.failures.iter().take(SHOWN) {
            text.push_str(&format!("\n  {}: {}", f.call, f.error));
        }
        if live.failures.len() > SHOWN {
            text.push_str(&format!(
                "\n  … and {} more (every failed call is listed in the estate's warnings)",
                live.failures.len() - SHOWN
            ));
        }
        progress.warning(&text);
    }
    let s = client.stats();
    tracing::info!(
        requests = s.requests,
        retries = s.retries,
        throttled = s.throttled,
        throttle_waits = s.throttle_waits,
        "live discovery finished"
    );
    Ok(live.estate)
}

/// Where a rehearsal finds the source estate.
struct Source<'a> {
    client: &'a ArmClient,
    discovery: &'a azrelo_live::LiveOptions,
    /// Resources and records the rehearsal seeded (0: the caller filled it).
    seeded: usize,
    /// The operator's environment (`AZRELO_PARAM_<name>`).
    operator: &'a dyn Fn(&str) -> Option<String>,
}

impl Rehearsal<'_> {
    /// Make the output directory ready (created; a previous rehearsal's
    /// output replaced; anything else refused). [`Rehearsal::run`] does it
    /// too; a caller that reads its inputs first calls it before, so a bad
    /// directory is reported without reading them.
    pub fn prepare(&self, progress: &dyn Progress) -> Result<(), RunError> {
        prepare_out_dir(&self.out, progress)
    }

    /// Rehearse the relocation of `estate` (the source region's contents):
    /// an in-process emulator is seeded with it and served on a loopback
    /// port, then [`Rehearsal::run_live`]'s chain runs against it. Secure
    /// parameters come from `AZRELO_PARAM_<name>`; the others get
    /// placeholder values.
    pub fn run(&self, estate: &Estate, progress: Arc<dyn Progress>) -> Result<Outcome, RunError> {
        let started = Instant::now();
        let say = |s: String| progress.line(&s);
        self.prepare(&*progress)?;

        // 1. The source region: the emulator, seeded with the estate.
        let subs = subscriptions(estate);
        if subs.is_empty() {
            return Err(RunError::bad_input(
                "the inputs hold no resources to rehearse with",
                "pass an estate or exports with resources, e.g. examples/contoso-shop",
            ));
        }
        let latency = LatencyProfile::parse(self.latency.as_str())
            .map_err(|e| RunError::failure(format!("--latency {}: {e}", self.latency.as_str())))?;
        let emulator = azrelo_emulator::Emulator::new()
            // The rehearsal is one principal in one process; ARM's throttle
            // only slows it (the client's own throttle still paces the calls).
            .with_throttling(false)
            .with_latency(latency);
        let (n, m) = seed_emulator(&emulator, estate);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| RunError::failure(format!("cannot start the async runtime: {e}")))?;
        let endpoint = start_emulator(&rt, emulator)?;
        say(format!(
            "emulator: in-process on {endpoint} (latency {}), seeded with {n} resource(s) and {m} other record(s)",
            self.latency.as_str()
        ));
        let client = ArmClient::new(ClientOptions::emulator(&endpoint, REHEARSAL_TOKEN, None))
            .map_err(|e| RunError::failure(format!("cannot build the ARM client: {e}")))?;
        let live_opts = azrelo_live::LiveOptions {
            subscriptions: subs,
            ..azrelo_live::LiveOptions::default()
        };
        let env = |name: &str| std::env::var(name).ok();
        let source = Source {
            client: &client,
            discovery: &live_opts,
            seeded: n + m,
            operator: &env,
        };
        self.relocate(&rt, source, started, progress)
    }

    /// Rehearse the relocation of what an ARM endpoint already holds (an
    /// emulator the caller serves and filled, e.g. by deploying templates
    /// through its deployments API): live discovery of `discovery`'s scope
    /// through `client`, then plan, generate, apply with the gate policy,
    /// commit and source cleanup, exactly as [`Rehearsal::run`] after its
    /// seeding. `operator` answers `AZRELO_PARAM_<name>` as the operator's
    /// environment would (secure parameter values); parameters it leaves
    /// unanswered get placeholder values. Call it outside `rt` (it blocks
    /// on it).
    pub fn run_live(
        &self,
        rt: &tokio::runtime::Runtime,
        client: &ArmClient,
        discovery: &azrelo_live::LiveOptions,
        operator: &dyn Fn(&str) -> Option<String>,
        progress: Arc<dyn Progress>,
    ) -> Result<Outcome, RunError> {
        let started = Instant::now();
        self.prepare(&*progress)?;
        let source = Source {
            client,
            discovery,
            seeded: 0,
            operator,
        };
        self.relocate(rt, source, started, progress)
    }

    /// Discovery to source cleanup against `source`'s endpoint.
    fn relocate(
        &self,
        rt: &tokio::runtime::Runtime,
        source: Source<'_>,
        started: Instant,
        progress: Arc<dyn Progress>,
    ) -> Result<Outcome, RunError> {
        let say = |s: String| progress.line(&s);
        let dir = PlanDir::new(&self.out);
        let (rt, client, live_opts) = (rt, source.client, source.discovery);
        let subs = &live_opts.subscriptions;

        // 2. Live discovery, as `azrelo discover --subscription`.
        let discovered = discover_live(rt, client, live_opts, &*progress)?;
        say(format!(
            "discover: {} resource(s) in {} subscription(s), live through ARM and Resource Graph",
            discovered.resources.len(),
            subs.len()
        ));

        // 3. The plan, as `azrelo plan --out DIR`.
        let plan = crate::plan_estate(&discovered, self.catalog, &self.plan)?;
        dir.write_plan(&discovered, &plan)?;
        let s = &plan.summary;
        say(format!(
            "plan: {} resource(s) to {} in {} wave(s); {} blocker(s), {} warning(s), {} info",
            s.resources, plan.target.region, s.waves, s.blockers, s.warnings, s.infos
        ));
        if s.blockers > 0 {
            return Ok(Outcome::Blocked(Box::new(plan)));
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
        let templates = dir.templates();
        let (written_plan, generated) = dir.generate(self.catalog)?;
        dir.write_templates(&generated, &templates)?;
        // What the operator creates at each manual relocation's gate, for
        // the rehearsal to stand in (never written into the plan directory:
        // `apply` does not deploy it).
        let mut stand_ins = StandIns::new(azrelo_generate::stand_ins(
            &written_plan,
            &dir.read_estate()?,
            self.catalog,
            azrelo_generate::embedded_flags(),
        ));
        say(format!(
            "generate: {} deployment(s) in {}",
            generated.deployments.len(),
            templates.display()
        ));

        // 5. The run, as `azrelo apply` + `gate done` + `resume`.
        let run_plan = dir.load_run().map_err(|e| {
            RunError::bad_input(e, "the generated plan directory could not be read back")
        })?;
        for w in &run_plan.warnings {
            tracing::warn!("{w}");
        }
        let mut values = secure_parameters_from(&run_plan, None, source.operator)?;
        let mut placeholders = BTreeSet::new();
        for u in &run_plan.units {
            let Some(d) = &u.deploy else { continue };
            for p in &d.secure_params {
                let filled_by_run = d.principal_params.iter().any(|(q, _)| q == p);
                if !filled_by_run && !values.contains_key(p) {
                    let v = if crate::secrets::is_object_param(d, p) {
                        serde_json::json!({"rehearsalPlaceholder": p})
                    } else {
                        Value::String(format!("rehearsal-placeholder-{p}"))
                    };
                    values.insert(p.clone(), v);
                    placeholders.insert(p.clone());
                }
            }
        }
        if !placeholders.is_empty() {
            say(format!(
                "secure parameters: placeholder values for {}; in a real run the operator supplies them: `azrelo apply DIR --parameters FILE` or AZRELO_PARAM_<name>",
                placeholders.iter().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        let stand_in_secrets = values.clone();
        let opts = Options {
            parallelism: self.parallelism.max(1),
            schedule: Schedule::Pipelined,
            secrets: values,
            poll: Duration::from_millis(20),
            ..Options::default()
        };
        let total_units = run_plan.units.len();
        let engine_ = Engine::new(run_plan, ClientArm(client.clone()), opts, CrashHook::none())
            .map_err(engine)?;
        progress.run_started(total_units);
        let observer: Arc<dyn Observer> = Arc::new(Forward(progress.clone()));
        let engine_ = Arc::new(engine_.with_observer(observer));
        let (report, closed, rounds, makespan) = match self.apply_closing_gates(
            rt,
            &engine_,
            &*progress,
            Operator {
                client,
                stand_ins: &mut stand_ins,
                secrets: &stand_in_secrets,
                env: source.operator,
            },
        ) {
            Ok(r) => {
                progress.run_finished();
                r
            }
            Err(e) => {
                progress.run_finished();
                return Err(e);
            }
        };
        say(format!(
            "apply: {}/{} resource(s) moved and verified in {:.1}s over {rounds} round(s); {} gate(s) closed by the rehearsal",
            report.available,
            report.total,
            makespan.as_secs_f64(),
            closed.len()
        ));
        let stood_in = closed.iter().filter(|g| g.stand_in.is_some()).count();
        if stood_in > 0 {
            say(format!(
                "{STAND_IN_LABEL}: {stood_in} resource(s) relocated by hand were created at their gates (a real run leaves them to the operator)"
            ));
        }
        placeholders.extend(std::mem::take(&mut stand_ins.placeholders));

        // 6. Commit, as `azrelo commit DIR`.
        let rows = rt.block_on(engine_.commit(&[])).map_err(engine)?;
        let refused: Vec<String> = rows
            .iter()
            .filter(|r| r.outcome != RowOutcome::Committed)
            .map(|r| format!("{}: {}", r.unit, r.detail.as_deref().unwrap_or("")))
            .collect();
        if !refused.is_empty() {
            return Err(RunError::failure(format!(
                "{} resource(s) were not committed:\n  {}",
                refused.len(),
                refused.join("\n  ")
            )));
        }
        say(format!(
            "commit: {} resource(s) re-verified and committed",
            rows.len()
        ));

        // 7. Source cleanup, as `azrelo cleanup-source DIR --confirm`.
        let mut kept: Vec<KeptSource> = Vec::new();
        if !self.keep_source {
            let rows = rt
                .block_on(engine_.cleanup_source(&[], true))
                .map_err(engine)?;
            let failed: Vec<String> = rows
                .iter()
                .filter(|r| r.outcome == RowOutcome::DeleteFailed)
                .map(|r| format!("{}: {}", r.unit, r.detail.as_deref().unwrap_or("")))
                .collect();
            if !failed.is_empty() {
                return Err(RunError::failure(format!(
                    "{} source(s) could not be deleted:\n  {}",
                    failed.len(),
                    failed.join("\n  ")
                )));
            }
            for r in rows.iter().filter(|r| r.outcome == RowOutcome::Kept) {
                kept.push(KeptSource {
                    resource: r.unit.clone(),
                    reason: r.detail.clone().unwrap_or_default(),
                });
            }
            say(format!(
                "cleanup-source: {} source(s) deleted, {} kept",
                rows.iter()
                    .filter(|r| r.outcome == RowOutcome::Deleted)
                    .count(),
                kept.len()
            ));
        } else {
            say("cleanup-source: skipped (--keep-source); every source is still there".into());
        }

        // 8. The summary, from the journal.
        let st = azrelo_orchestrate::status(&engine_.plan, engine_.journal()).map_err(engine)?;
        let mut counts = Counts {
            planned: plan.resources.len(),
            units: st.units.len(),
            ..Counts::default()
        };
        let mut role_assignments = 0;
        for u in &st.units {
            if u.verified || u.kind == UnitKind::Manual {
                counts.moved += 1;
            }
            if matches!(u.state, State::Committed | State::SourceKept | State::Done) {
                counts.committed += 1;
            }
            if vocab::is(&u.resource_type, vocab::ROLE_ASSIGNMENTS) && u.state.is_committed() {
                role_assignments += 1;
            }
            match u.state {
                State::Done if u.source.is_some() => counts.source_deleted += 1,
                State::SourceKept => counts.source_kept += 1,
                _ => {}
            }
        }
        if self.keep_source {
            counts.source_kept = st.units.iter().filter(|u| u.source.is_some()).count();
        }
        let root = dir.root();
        let artifacts = Artifacts {
            dir: root.display().to_string(),
            estate: dir.estate_json().display().to_string(),
            plan: dir.plan_json().display().to_string(),
            plan_report: dir.plan_md().display().to_string(),
            templates: templates.display().to_string(),
            journal: dir.journal().display().to_string(),
            events: dir.events().display().to_string(),
            report: root.join("rehearsal.md").display().to_string(),
            report_json: root.join("rehearsal.json").display().to_string(),
        };
        let summary = Summary {
            schema: "azrelo.rehearsal/v1",
            target: plan.target.region.clone(),
            source_regions: plan.source_regions.clone(),
            latency: self.latency.as_str(),
            seeded: source.seeded,
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
            source_cleanup: !self.keep_source,
            artifacts,
        };
        let mut json = serde_json::to_vec_pretty(&summary)
            .map_err(|e| RunError::failure(format!("cannot serialize the summary: {e}")))?;
        json.push(b'\n');
        let write = |p: PathBuf, b: &[u8]| {
            write_atomic(&p, b)
                .map_err(|e| RunError::failure(format!("cannot write {}: {e}", p.display())))
        };
        write(root.join("rehearsal.json"), &json)?;
        write(root.join("rehearsal.md"), markdown(&summary).as_bytes())?;
        Ok(Outcome::Done(Box::new(summary)))
    }

    /// The gate policy: apply, and while the run stops at gates, close them
    /// on the operator's behalf (recording what the operator would do) and
    /// resume; then close the gates after the move the run did not wait for
    /// (manual relocations, final cut-over), which the commit needs closed.
    fn apply_closing_gates(
        &self,
        rt: &tokio::runtime::Runtime,
        engine_: &Arc<Engine<ClientArm>>,
        progress: &dyn Progress,
        mut op: Operator<'_>,
    ) -> Result<
        (
            azrelo_orchestrate::ApplyReport,
            Vec<ClosedGate>,
            usize,
            Duration,
        ),
        RunError,
    > {
        let plan = &engine_.plan;
        let gates: HashMap<String, (String, bool, String)> = plan
            .gates()
            .into_iter()
            .map(|(g, i, before)| {
                (
                    g.id.to_ascii_lowercase(),
                    (plan.units[i].label(), before, g.title.clone()),
                )
            })
            .collect();
        // The gate whose closing completes a manual relocation (its own
        // gate after the move, else before it): the rehearsal creates the
        // resource first, as the operator would.
        let completes: HashMap<String, usize> = plan
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| u.kind == UnitKind::Manual)
            .filter_map(|(i, u)| {
                let g = u
                    .gates_after
                    .iter()
                    .find(|g| !g.shared)
                    .or_else(|| u.gates_before.iter().find(|g| !g.shared))?;
                Some((g.id.to_ascii_lowercase(), i))
            })
            .collect();
        // Whether stand-in deployment `d` needs unit `j`'s target: it names
        // it, and neither creates it nor anything above it.
        let needed_by = |j: usize, d: usize, stand_ins: &StandIns| -> bool {
            let u = &plan.units[j];
            let mine = |k: &azrelo_orchestrate::Unit| {
                k.source_id
                    .as_ref()
                    .and_then(|s| stand_ins.deployment_for(s.as_str()))
                    == Some(d)
            };
            if mine(u)
                || plan
                    .units
                    .iter()
                    .any(|k| mine(k) && u.target_id.is_within(&k.target_id))
            {
                return false;
            }
            stand_ins.needs(d, u.target_id.as_str())
        };
        let mut closed: Vec<ClosedGate> = Vec::new();
        let close = |ids: Vec<String>,
                     closed: &mut Vec<ClosedGate>,
                     op: &mut Operator<'_>|
         -> Result<(), RunError> {
            let st = azrelo_orchestrate::status(plan, engine_.journal()).map_err(engine)?;
            let available: HashSet<String> = st
                .units
                .iter()
                .filter(|r| r.verified || r.state.is_committed())
                .map(|r| r.unit.to_ascii_lowercase())
                .collect();
            // (gate, unit, stand-in deployment); a manual resource without
            // a body in the inputs has none: its gate just closes.
            let mut stand: Vec<(String, usize, usize)> = Vec::new();
            let mut plain: Vec<String> = Vec::new();
            for id in ids {
                let deployment = completes.get(&id.to_ascii_lowercase()).and_then(|&i| {
                    let src = plan.units[i].source_id.as_ref()?;
                    Some((i, op.stand_ins.deployment_for(src.as_str())?))
                });
                match deployment {
                    Some((i, d)) => stand.push((id, i, d)),
                    None => plain.push(id),
                }
            }
            // A resource is created once what it needs exists (or is
            // created with it); the others wait for a later round.
            let asked = stand.len() + plain.len();
            let mut waiting: Vec<(String, usize)> = Vec::new();
            loop {
                let with: HashSet<usize> = stand.iter().map(|s| s.1).collect();
                let n = stand.len();
                stand.retain(|(id, i, d)| {
                    let ready = (0..plan.units.len())
                        .filter(|&j| {
                            plan.units[*i].deps.contains(&j) || needed_by(j, *d, &*op.stand_ins)
                        })
                        .all(|j| {
                            with.contains(&j)
                                || available
                                    .contains(&plan.units[j].key.as_str().to_ascii_lowercase())
                        });
                    if !ready {
                        waiting.push((id.clone(), *d));
                    }
                    ready
                });
                if stand.len() == n {
                    break;
                }
            }
            // Nothing else can move until these close: what they name
            // waits for them (a cycle through a resource relocated by hand).
            // They close without a stand-in, as a rehearsal did before, and
            // the rehearsal says so.
            if asked > 0 && stand.is_empty() && plain.is_empty() {
                progress.warning(&format!(
                    "the rehearsal cannot stand in for the operator at gate(s) {}: what those resources name waits for them; the gates close without them",
                    waiting.iter().map(|w| w.0.as_str()).collect::<Vec<_>>().join(", ")
                ));
                for (id, d) in waiting.drain(..) {
                    op.stand_ins.refused.insert(d);
                    plain.push(id);
                }
            }
            stand.sort_by_key(|s| s.2);
            let mut stood: HashMap<String, String> = HashMap::new();
            // A type the target region does not offer (the plan's
            // type-availability warning: the provider snapshot does not list
            // the region) cannot be stood in for; the gate closes without it,
            // as before, and the rehearsal says so.
            let refused_before = op.stand_ins.refused.clone();
            let mut refused: HashSet<usize> = HashSet::new();
            for (_, i, d) in &stand {
                if refused.contains(d) {
                    continue;
                }
                // What it needs could not be stood in for: neither can it.
                let needs_refused = (0..plan.units.len())
                    .filter(|&j| {
                        plan.units[*i].deps.contains(&j) || needed_by(j, *d, &*op.stand_ins)
                    })
                    .filter_map(|j| plan.units[j].source_id.as_ref())
                    .filter_map(|s| op.stand_ins.deployment_for(s.as_str()))
                    .any(|k| k != *d && (refused.contains(&k) || refused_before.contains(&k)));
                if needs_refused {
                    progress.warning(&format!(
                        "the rehearsal cannot stand in for the operator ({}): what it needs could not be stood in for; its gate closes without it",
                        op.stand_ins.name(*d)
                    ));
                    refused.insert(*d);
                    continue;
                }
                match rt.block_on(op.stand_ins.deploy(*d, op.client, plan, op.secrets, op.env)) {
                    Ok(()) => {}
                    Err(e) if e.message.contains("LocationNotAvailableForResourceType") => {
                        progress.warning(&format!(
                            "the rehearsal cannot stand in for the operator ({}): {}; its gate closes without it — check the type's regions before the move (the plan's type-availability warning)",
                            op.stand_ins.name(*d),
                            e.message
                        ));
                        refused.insert(*d);
                    }
                    Err(e) => return Err(e),
                }
            }
            op.stand_ins.refused.extend(refused.iter().copied());
            stand.retain(|(id, _, d)| {
                if refused.contains(d) {
                    plain.push(id.clone());
                    false
                } else {
                    true
                }
            });
            for (id, _, d) in &stand {
                stood.insert(id.to_ascii_lowercase(), op.stand_ins.name(*d));
            }
            let mut done =
                azrelo_orchestrate::close_gates(plan, engine_.journal(), &plain).map_err(engine)?;
            for (id, _, d) in &stand {
                let note = format!("{STAND_IN_LABEL} (deployment {})", op.stand_ins.name(*d));
                done.extend(
                    azrelo_orchestrate::close_gates_with(
                        plan,
                        engine_.journal(),
                        &azrelo_orchestrate::GateSelection::Ids(vec![id.clone()]),
                        &azrelo_orchestrate::GateClosing {
                            by: Some("azrelo rehearsal".into()),
                            note: Some(note),
                        },
                    )
                    .map_err(engine)?,
                );
            }
            for id in done {
                let (resource, before, instruction) = gates
                    .get(&id.to_ascii_lowercase())
                    .cloned()
                    .unwrap_or_default();
                let stand_in = stood.get(&id.to_ascii_lowercase()).cloned();
                match &stand_in {
                    Some(d) => progress.line(&format!(
                        "gate {id} ({resource}): {STAND_IN_LABEL} (deployment {d}), then closed; in a real run the operator does this: {instruction}"
                    )),
                    None => progress.line(&format!(
                        "gate {id} ({resource}): closed by the rehearsal; in a real run the operator does this: {instruction}"
                    )),
                }
                closed.push(ClosedGate {
                    id,
                    resource,
                    when: if before { "before move" } else { "after move" },
                    instruction,
                    stand_in,
                });
            }
            Ok(())
        };
        let dir = plan.dir.display();
        let total_units = plan.units.len();
        let mut makespan = Duration::ZERO;
        let mut rounds = 0;
        let report = loop {
            rounds += 1;
            let t = Instant::now();
            let report = rt.block_on(engine_.apply());
            makespan += t.elapsed();
            let report = report.map_err(engine)?;
            if !report.failed.is_empty() {
                let list: Vec<String> = report
                    .failed
                    .iter()
                    .take(10)
                    .map(|(u, e)| format!("{u}: {e}"))
                    .collect();
                return Err(RunError::failure(format!(
                    "{} resource(s) failed in the rehearsal:\n  {}\n(`azrelo status {dir}` shows every resource; the event log is {})",
                    report.failed.len(),
                    list.join("\n  "),
                    plan.dir.join("events.jsonl").display()
                )));
            }
            if report.complete() {
                break report;
            }
            if report.open_gates.is_empty() {
                return Err(RunError::failure(format!(
                    "the rehearsal stopped: {} of {} resource(s) moved, {} blocked, and no gate is open (`azrelo status {dir}` shows where each stands)",
                    report.available, report.total, report.blocked,
                )));
            }
            if rounds > total_units + 2 {
                return Err(RunError::failure(format!(
                    "the rehearsal made no progress after {rounds} rounds (open gates: {})",
                    report.open_gates.join(", ")
                )));
            }
            close(report.open_gates.clone(), &mut closed, &mut op)?;
        };
        let st = azrelo_orchestrate::status(plan, engine_.journal()).map_err(engine)?;
        let still_open: Vec<String> = st
            .gates
            .iter()
            .filter(|g| !g.closed)
            .map(|g| g.id.clone())
            .collect();
        if !still_open.is_empty() {
            close(still_open, &mut closed, &mut op)?;
        }
        Ok((report, closed, rounds, makespan))
    }
}

/// What the rehearsal needs to stand in for the operator at a manual
/// relocation's gate ([`crate::stand_in`]).
struct Operator<'a> {
    client: &'a ArmClient,
    stand_ins: &'a mut StandIns,
    /// The secure parameter values of the run (the operator's).
    secrets: &'a HashMap<String, Value>,
    /// The operator's environment (`AZRELO_PARAM_<name>`).
    env: &'a dyn Fn(&str) -> Option<String>,
}

/// The engine's events to the caller's [`Progress`].
struct Forward(Arc<dyn Progress>);

impl Observer for Forward {
    fn event(&self, e: &Event) {
        self.0.event(e)
    }
}
