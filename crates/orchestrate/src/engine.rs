//! The engine: runs units through the state machine against ARM, journaling
//! every step's intent before its call and its result after, scheduling
//! units over the dependency graph, and carrying out commit, discard and
//! source cleanup.
//!
//! Crash safety rests on two rules: (1) every effect on ARM is a PUT or
//! DELETE of a deterministic id (deployment names, snapshot names and role
//! assignment GUIDs are derived from the plan), so re-running an interrupted
//! step converges instead of creating a second resource; (2) a step's result
//! is recorded only after its call returned, so a step without a result is
//! simply run again on resume.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use azrelo_arm::vocab::{self, api};

use crate::arm::{Arm, ArmError, CrashHook, Hooked};
use crate::model::{DeploySpec, ModelError, RunPlan, Unit, UnitKind, within};
use crate::state::{RUN, Snapshot, State, UnitView, gate_step, step, step_name};
use crate::verify::{Difference, compare};
use azrelo_journal::{Journal, JournalError, StepOutcome};

/// Errors that end a command.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("the process stopped (crash test hook)")]
    Crashed,
    #[error(
        "the plan or templates in {dir} changed since this relocation started (journal digest {journal}, now {now}); discard the moved resources and start from a fresh plan directory"
    )]
    PlanChanged {
        dir: String,
        journal: String,
        now: String,
    },
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Io(String),
}

/// Scheduling policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Schedule {
    /// A unit starts as soon as its prerequisites exist.
    #[default]
    Pipelined,
    /// Wave by wave, each wave waiting for the previous one to finish
    /// (for comparison).
    Waves,
}

/// Run options.
#[derive(Clone)]
pub struct Options {
    /// Units in flight at once.
    pub parallelism: usize,
    pub schedule: Schedule,
    /// Values of secure parameters (from the operator; never journaled).
    pub secrets: HashMap<String, Value>,
    /// Polling interval for the disk copy's progress.
    pub poll: Duration,
    /// Attempts of one step within one run (retryable failures).
    pub step_attempts: u32,
    /// Back-off between attempts (doubles, capped at 30 s).
    pub retry_backoff: Duration,
    /// Give up waiting for a cross-region copy after this long.
    pub copy_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            parallelism: 16,
            schedule: Schedule::Pipelined,
            secrets: HashMap::new(),
            poll: Duration::from_secs(10),
            step_attempts: 4,
            retry_backoff: Duration::from_secs(2),
            copy_timeout: Duration::from_secs(48 * 3600),
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secret values are never printed.
        f.debug_struct("Options")
            .field("parallelism", &self.parallelism)
            .field("schedule", &self.schedule)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What happened, for progress bars and the event log.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub unit: String,
    pub label: String,
    pub step: String,
    pub status: EventStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventStatus {
    Started,
    Succeeded,
    Skipped,
    Failed,
    Retrying,
    Waiting,
}

/// Receives events (the CLI draws progress bars from them).
pub trait Observer: Send + Sync {
    fn event(&self, e: &Event);
}

/// What one unit's run ended with.
#[derive(Debug, Clone)]
enum Outcome {
    /// The target exists and is verified: dependents may start.
    Available,
    /// Stopped at a gate (ids).
    Waiting,
    Failed(String),
}

/// Summary of an `apply`/`resume`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyReport {
    /// Units whose target exists and is verified.
    pub available: usize,
    pub total: usize,
    /// Gates that must be closed for the run to continue.
    pub open_gates: Vec<String>,
    /// (unit, error).
    pub failed: Vec<(String, String)>,
    /// Units that could not start because a prerequisite is not there.
    pub blocked: usize,
    pub elapsed_ms: u128,
}

impl ApplyReport {
    pub fn complete(&self) -> bool {
        self.available == self.total
    }
}

/// One row of a commit/discard/cleanup report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRow {
    pub unit: String,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ActionRow {
    /// The row of one source deletion: deleted, or kept (a skipped delete)
    /// with the journal's note as the reason.
    fn source_cleanup(src: String, outcome: StepOutcome, detail: &Value) -> ActionRow {
        ActionRow {
            unit: src,
            outcome: if outcome == StepOutcome::Skipped {
                "kept"
            } else {
                "deleted"
            }
            .into(),
            detail: detail
                .get("note")
                .and_then(Value::as_str)
                .map(str::to_string),
        }
    }
}

#[derive(Debug)]
enum StepError {
    Arm(ArmError),
    Input(String),
    Verify(Vec<Difference>),
    Crashed,
    Journal(JournalError),
}

impl StepError {
    fn retryable(&self) -> bool {
        matches!(self, StepError::Arm(e) if e.retryable)
    }
    fn detail(&self) -> Value {
        match self {
            StepError::Arm(e) => json!({"error": e.to_string(), "code": e.code}),
            StepError::Input(m) => json!({"error": m}),
            StepError::Verify(d) => json!({"differences": d}),
            StepError::Crashed => json!({"error": "crashed"}),
            StepError::Journal(e) => json!({"error": e.to_string()}),
        }
    }
    fn message(&self) -> String {
        match self {
            StepError::Arm(e) => e.to_string(),
            StepError::Input(m) => m.clone(),
            StepError::Verify(d) => format!(
                "the target differs from what was deployed: {}",
                d.iter()
                    .map(|d| format!("{} (deployed {}, found {})", d.path, d.expected, d.actual))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            StepError::Crashed => "crashed".into(),
            StepError::Journal(e) => e.to_string(),
        }
    }
}

impl From<ArmError> for StepError {
    fn from(e: ArmError) -> Self {
        if e.is_crash() {
            StepError::Crashed
        } else {
            StepError::Arm(e)
        }
    }
}

/// The JSON-lines event log (`events.jsonl` in the plan directory).
struct EventLog {
    file: Mutex<Option<std::fs::File>>,
}

impl EventLog {
    fn open(path: &Path) -> EventLog {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok();
        EventLog {
            file: Mutex::new(file),
        }
    }

    fn write(&self, e: &Event) {
        use std::io::Write;
        let at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.insert("at".into(), json!(at));
        }
        let mut g = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = g.as_mut() {
            let _ = writeln!(f, "{v}");
        }
    }
}

/// The orchestrator for one plan directory.
pub struct Engine<A: Arm> {
    pub plan: Arc<RunPlan>,
    arm: Hooked<A>,
    journal: Arc<Journal>,
    hook: Arc<CrashHook>,
    log: EventLog,
    observer: Option<Arc<dyn Observer>>,
    opts: Options,
}

/// Open (or create) the journal of a plan directory.
pub fn open_journal(dir: &Path) -> Result<Journal, EngineError> {
    Ok(Journal::open(&dir.join("journal.db"))?)
}

fn check_digest(plan: &RunPlan, journal: &Journal) -> Result<(), EngineError> {
    match journal.meta(RUN, "plan-digest")? {
        Some(d) if d != plan.digest => Err(EngineError::PlanChanged {
            dir: plan.dir.display().to_string(),
            journal: d,
            now: plan.digest.clone(),
        }),
        Some(_) => Ok(()),
        None => Ok(journal.set_meta(RUN, "plan-digest", &plan.digest)?),
    }
}

impl<A: Arm> Engine<A> {
    pub fn new(
        plan: RunPlan,
        arm: A,
        opts: Options,
        hook: Arc<CrashHook>,
    ) -> Result<Engine<A>, EngineError> {
        let journal = open_journal(&plan.dir)?;
        check_digest(&plan, &journal)?;
        let log = EventLog::open(&plan.dir.join("events.jsonl"));
        Ok(Engine {
            arm: Hooked {
                inner: arm,
                hook: hook.clone(),
            },
            plan: Arc::new(plan),
            journal: Arc::new(journal),
            hook,
            log,
            observer: None,
            opts,
        })
    }

    pub fn with_observer(mut self, o: Arc<dyn Observer>) -> Self {
        self.observer = Some(o);
        self
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    fn emit(&self, u: &Unit, s: &str, status: EventStatus, message: Option<String>) {
        let e = Event {
            unit: u.key.clone(),
            label: u.label(),
            step: s.to_string(),
            status,
            message,
        };
        self.log.write(&e);
        if let Some(o) = &self.observer {
            o.event(&e);
        }
    }

    fn write_intent(&self, s: &str, v: &Value) -> Result<(), StepError> {
        if self.hook.fired() {
            return Err(StepError::Crashed);
        }
        self.journal
            .record_intent(RUN, s, v)
            .map_err(StepError::Journal)?;
        self.hook.tick();
        if self.hook.fired() {
            return Err(StepError::Crashed);
        }
        Ok(())
    }

    fn write_result(&self, s: &str, o: StepOutcome, v: &Value) -> Result<(), StepError> {
        if self.hook.fired() {
            return Err(StepError::Crashed);
        }
        self.journal
            .record_result(RUN, s, o, v)
            .map_err(StepError::Journal)?;
        self.hook.tick();
        if self.hook.fired() {
            return Err(StepError::Crashed);
        }
        Ok(())
    }

    /// The current view of one unit, from the journal.
    fn view(&self, i: usize) -> Result<UnitView, StepError> {
        let u = &self.plan.units[i];
        let mut recs = Vec::new();
        for s in [
            step::PREPARE,
            step::MOVE,
            step::VERIFY,
            step::COMMIT,
            step::DISCARD,
            step::CLEANUP,
        ] {
            if let Some(r) = self
                .journal
                .last(RUN, &step_name(u, s))
                .map_err(StepError::Journal)?
            {
                recs.push(r);
            }
        }
        for g in u.all_gates() {
            if let Some(r) = self
                .journal
                .last(RUN, &gate_step(&g.id))
                .map_err(StepError::Journal)?
            {
                recs.push(r);
            }
        }
        Ok(Snapshot::new(recs).view(u))
    }

    fn detail_of(&self, i: usize, s: &str) -> Value {
        self.journal
            .last(RUN, &step_name(&self.plan.units[i], s))
            .ok()
            .flatten()
            .map(|r| r.detail)
            .unwrap_or(Value::Null)
    }

    /// Run one step with its intent/result records and retries.
    async fn run_step(&self, i: usize, s: &str, intent: Value) -> Result<Value, StepError> {
        let u = &self.plan.units[i];
        let name = step_name(u, s);
        let mut backoff = self.opts.retry_backoff;
        let attempts = self.opts.step_attempts.max(1);
        for attempt in 1..=attempts {
            self.write_intent(&name, &intent)?;
            self.emit(u, s, EventStatus::Started, None);
            match self.do_step(i, s).await {
                Ok((outcome, detail)) => {
                    self.write_result(&name, outcome, &detail)?;
                    let st = if outcome == StepOutcome::Skipped {
                        EventStatus::Skipped
                    } else {
                        EventStatus::Succeeded
                    };
                    self.emit(
                        u,
                        s,
                        st,
                        detail
                            .get("note")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    );
                    return Ok(detail);
                }
                Err(StepError::Crashed) => return Err(StepError::Crashed),
                Err(e) => {
                    self.write_result(&name, StepOutcome::Failed, &e.detail())?;
                    if !e.retryable() || attempt == attempts {
                        self.emit(u, s, EventStatus::Failed, Some(e.message()));
                        return Err(e);
                    }
                    self.emit(u, s, EventStatus::Retrying, Some(e.message()));
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    async fn do_step(&self, i: usize, s: &str) -> Result<(StepOutcome, Value), StepError> {
        let u = &self.plan.units[i];
        match (s, u.kind) {
            (step::PREPARE, UnitKind::Deploy) => {
                self.check_secrets(u)?;
                Ok((StepOutcome::Succeeded, json!({})))
            }
            (step::PREPARE, UnitKind::DiskCopy) => {
                self.check_secrets(u)?;
                // With the final-sync gate already closed (the source is
                // stopped), this copy is the final one: no second copy.
                let stopped = self.gates_closed(&u.gates_before)?;
                let snap = self.copy_disk(u, "seed").await?;
                Ok((
                    StepOutcome::Succeeded,
                    json!({"copy": snap, "final": stopped}),
                ))
            }
            (step::PREPARE, UnitKind::Reconfigure) => {
                // Record the settings as they are, to restore on discard.
                let before = self.arm.get(&u.target_id, &u.api_version).await?;
                Ok((
                    StepOutcome::Succeeded,
                    json!({"before": before.map(|b| redact(&u.resource_type, &writable(&u.resource_type, &b)))}),
                ))
            }
            (step::MOVE, UnitKind::Deploy | UnitKind::DiskCopy) => self.deploy(i).await,
            (step::MOVE, UnitKind::Reconfigure) => self.reconfigure(u).await,
            (step::VERIFY, _) => self.verify(i).await,
            (step::PREPARE | step::MOVE, UnitKind::Manual) => Err(StepError::Input(
                "not automated: the operator relocates it and closes its gate".into(),
            )),
            _ => Err(StepError::Input(format!("no step {s} for {}", u.key))),
        }
    }

    fn gates_closed(&self, gates: &[crate::model::Gate]) -> Result<bool, StepError> {
        for g in gates {
            let closed = self
                .journal
                .last(RUN, &gate_step(&g.id))
                .map_err(StepError::Journal)?
                .is_some_and(|r| r.is_done());
            if !closed {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn check_secrets(&self, u: &Unit) -> Result<(), StepError> {
        let Some(d) = &u.deploy else { return Ok(()) };
        let missing: Vec<&str> = d
            .secure_params
            .iter()
            .filter(|p| !self.opts.secrets.contains_key(p.as_str()))
            .map(String::as_str)
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(StepError::Input(format!(
                "secure parameter(s) {} of {} ({}) have no value: supply them with --parameters FILE or AZRELO_PARAM_<NAME>",
                missing.join(", "),
                u.label(),
                d.template_file
            )))
        }
    }

    /// The disk data mover: an incremental snapshot of the source disk, a
    /// CopyStart copy of it in the target region, and a wait until the copy
    /// reports `completionPercent` 100. Source:
    /// learn.microsoft.com/azure/virtual-machines/disks-copy-incremental-snapshot-across-regions
    /// (REST: PUT snapshots with `creationData.createOption` `Copy`, then
    /// `CopyStart` with `incremental: true`; poll `completionPercent`).
    async fn copy_disk(&self, u: &Unit, phase: &str) -> Result<String, StepError> {
        let src = u
            .source_id
            .as_deref()
            .ok_or_else(|| StepError::Input(format!("{} has no source disk", u.key)))?;
        let d = u
            .deploy
            .as_ref()
            .ok_or_else(|| StepError::Input("no deployment".into()))?;
        let (src_rg, disk) = src
            .rsplit_once("/providers/")
            .map(|(rg, rest)| {
                (
                    rg.to_string(),
                    rest.rsplit('/').next().unwrap_or("disk").to_string(),
                )
            })
            .ok_or_else(|| StepError::Input(format!("{src} is not a disk id")))?;
        let short: String = disk.chars().take(60).collect();
        let snap = format!("{short}-azrelo-{phase}");
        let src_snap = vocab::provider_id(&src_rg, vocab::SNAPSHOTS, &snap);
        let tgt_snap = vocab::provider_id(&d.scope, vocab::SNAPSHOTS, &snap);
        let src_loc = u.source_location.clone().unwrap_or_default();
        let ok = |b: &Value| {
            b.pointer("/properties/provisioningState")
                .and_then(Value::as_str)
                .is_none_or(|s| s.eq_ignore_ascii_case("Succeeded"))
        };
        match self.arm.get(&src_snap, api::SNAPSHOTS).await? {
            Some(b) if ok(&b) => {}
            _ => {
                self.arm
                    .put(
                        &src_snap,
                        api::SNAPSHOTS,
                        &json!({
                            "location": src_loc,
                            "properties": {
                                "creationData": {"createOption": "Copy", "sourceResourceId": src},
                                "incremental": true
                            }
                        }),
                    )
                    .await?;
            }
        }
        let existing = self.arm.get(&tgt_snap, api::SNAPSHOTS).await?;
        let failed = existing.as_ref().is_some_and(|b| {
            b.pointer("/properties/provisioningState")
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("Failed"))
        });
        if failed {
            // A copy that failed is started again from scratch.
            self.arm.delete(&tgt_snap, api::SNAPSHOTS).await?;
        }
        if existing.is_none() || failed {
            self.arm
                .put(
                    &tgt_snap,
                    api::SNAPSHOTS,
                    &json!({
                        "location": self.plan.target_region,
                        "properties": {
                            "creationData": {"createOption": "CopyStart", "sourceResourceId": src_snap},
                            "incremental": true
                        }
                    }),
                )
                .await?;
        }
        let started = Instant::now();
        loop {
            let b = self
                .arm
                .get(&tgt_snap, api::SNAPSHOTS)
                .await?
                .ok_or_else(|| {
                    StepError::Arm(ArmError::new(
                        Some(404),
                        "ResourceNotFound",
                        format!("the copy {tgt_snap} disappeared"),
                    ))
                })?;
            if let Some(state) = b
                .pointer("/properties/provisioningState")
                .and_then(Value::as_str)
                && state.eq_ignore_ascii_case("Failed")
            {
                return Err(StepError::Arm(ArmError::new(
                    None,
                    "CopyFailed",
                    format!("the cross-region copy {tgt_snap} failed"),
                )));
            }
            let pct = b
                .pointer("/properties/completionPercent")
                .and_then(Value::as_f64);
            match pct {
                Some(p) if p >= 100.0 => break,
                None if ok(&b) => break,
                _ => {}
            }
            if started.elapsed() > self.opts.copy_timeout {
                return Err(StepError::Arm(ArmError::new(
                    None,
                    "CopyTimeout",
                    format!(
                        "the copy {tgt_snap} did not finish in time ({}%)",
                        pct.unwrap_or(0.0)
                    ),
                )));
            }
            tokio::time::sleep(self.opts.poll).await;
        }
        Ok(tgt_snap)
    }

    /// Values of the principal-id parameters: the new principal of each
    /// recreated identity (user-assigned: `properties.principalId`;
    /// system-assigned: `identity.principalId`). Not secret.
    async fn principals(&self, d: &DeploySpec) -> Result<Map<String, Value>, StepError> {
        let mut out = Map::new();
        for (p, identity) in &d.principal_params {
            let api = self
                .plan
                .find(identity)
                .map(|j| self.plan.units[j].api_version.clone())
                .unwrap_or_else(|| "2023-01-31".into());
            let b = self.arm.get(identity, &api).await?.ok_or_else(|| {
                StepError::Arm(ArmError::new(
                    Some(404),
                    "ResourceNotFound",
                    format!("the recreated identity {identity} does not exist yet"),
                ))
            })?;
            let pid = b
                .pointer("/properties/principalId")
                .or_else(|| b.pointer("/identity/principalId"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    StepError::Arm(ArmError::new(
                        None,
                        "PrincipalNotReady",
                        format!("{identity} has no principal id yet"),
                    ))
                })?;
            out.insert(p.clone(), json!(pid));
        }
        Ok(out)
    }

    /// The resource as it is deployed (disk: created from the copy).
    fn deployed_resource(d: &DeploySpec, copy: Option<&str>) -> Value {
        let mut r = d.resource.clone();
        if let Some(snap) = copy
            && let Some(props) = r.get_mut("properties").and_then(Value::as_object_mut)
        {
            props.insert(
                "creationData".into(),
                json!({"createOption": "Copy", "sourceResourceId": snap}),
            );
        }
        r
    }

    async fn deploy(&self, i: usize) -> Result<(StepOutcome, Value), StepError> {
        let u = &self.plan.units[i];
        let d = u
            .deploy
            .as_ref()
            .ok_or_else(|| StepError::Input("no deployment".into()))?;
        self.check_secrets(u)?;
        let copy = if u.kind == UnitKind::DiskCopy {
            let prepared = self.detail_of(i, step::PREPARE);
            let seed_is_final = u.gates_before.is_empty()
                || prepared.get("final").and_then(Value::as_bool) == Some(true);
            if seed_is_final {
                match prepared.get("copy").and_then(Value::as_str) {
                    Some(c) => Some(c.to_string()),
                    None => Some(self.copy_disk(u, "seed").await?),
                }
            } else {
                // The source was stopped at the final-sync gate: copy the
                // last increment.
                Some(self.copy_disk(u, "final").await?)
            }
        } else {
            None
        };
        let principals = self.principals(d).await?;
        let resource = Self::deployed_resource(d, copy.as_deref());
        let mut template = Map::new();
        template.insert("$schema".into(), json!(d.schema));
        template.insert("contentVersion".into(), json!("1.0.0.0"));
        template.insert("parameters".into(), Value::Object(d.param_decls.clone()));
        if let Some(v) = &d.variables {
            template.insert("variables".into(), v.clone());
        }
        template.insert("resources".into(), json!([resource]));
        let mut params = d.param_values.clone();
        for p in &d.secure_params {
            if let Some(v) = self.opts.secrets.get(p) {
                params.insert(p.clone(), json!({"value": v}));
            }
        }
        for (k, v) in &principals {
            params.insert(k.clone(), json!({"value": v}));
        }
        let mut body = json!({"properties": {"mode": "Incremental", "template": template, "parameters": params}});
        if let Some(l) = &d.location {
            body["location"] = json!(l);
        }
        let out = match self.arm.put(&d.path(), api::DEPLOYMENTS, &body).await {
            Ok(out) => out,
            Err(mut e) if !e.is_crash() && e.status.is_none() => {
                // A failed deployment: ARM's own error says which resource
                // failed and why.
                if let Ok(Some(dep)) = self.arm.get(&d.path(), api::DEPLOYMENTS).await
                    && let Some(err) = dep.pointer("/properties/error")
                {
                    e.message = format!("{} — {}", e.message, err);
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        let state = out
            .pointer("/properties/provisioningState")
            .and_then(Value::as_str)
            .unwrap_or("Succeeded")
            .to_string();
        if !state.eq_ignore_ascii_case("Succeeded") {
            let err = out
                .pointer("/properties/error")
                .map(Value::to_string)
                .unwrap_or_default();
            return Err(StepError::Arm(ArmError::new(
                None,
                "DeploymentFailed",
                format!("deployment {} ended {state} {err}", d.name),
            )));
        }
        Ok((
            StepOutcome::Succeeded,
            json!({"deployment": d.path(), "copy": copy, "principals": principals}),
        ))
    }

    async fn reconfigure(&self, u: &Unit) -> Result<(StepOutcome, Value), StepError> {
        let Some(current) = self.arm.get(&u.target_id, &u.api_version).await? else {
            return Ok((
                StepOutcome::Skipped,
                json!({"note": "not found: nothing to re-point"}),
            ));
        };
        let body = writable(&u.resource_type, &current);
        let text = body.to_string();
        let repointed = self.plan.repoint(&text);
        if repointed == text {
            return Ok((
                StepOutcome::Skipped,
                json!({"note": "already points at the targets"}),
            ));
        }
        let new: Value = serde_json::from_str(&repointed)
            .map_err(|e| StepError::Input(format!("re-pointed body is not JSON: {e}")))?;
        self.arm.put(&u.target_id, &u.api_version, &new).await?;
        Ok((
            StepOutcome::Succeeded,
            json!({"body": redact(&u.resource_type, &new)}),
        ))
    }

    /// What the target must look like: (type, body) or None when nothing
    /// was deployed (a skipped re-configuration).
    fn expected(&self, i: usize) -> Option<Value> {
        let u = &self.plan.units[i];
        let mv = self.detail_of(i, step::MOVE);
        match u.kind {
            UnitKind::Deploy | UnitKind::DiskCopy => {
                let d = u.deploy.as_ref()?;
                let copy = mv.get("copy").and_then(Value::as_str);
                let mut r = Self::deployed_resource(d, copy);
                let mut values: Map<String, Value> = d
                    .param_values
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.get("value")?.clone())))
                    .collect();
                if let Some(p) = mv.get("principals").and_then(Value::as_object) {
                    values.extend(p.clone());
                }
                substitute(&mut r, &values);
                Some(r)
            }
            UnitKind::Reconfigure => mv.get("body").cloned(),
            UnitKind::Manual => None,
        }
    }

    async fn verify(&self, i: usize) -> Result<(StepOutcome, Value), StepError> {
        let u = &self.plan.units[i];
        let Some(expected) = self.expected(i) else {
            return Ok((StepOutcome::Succeeded, json!({"note": "nothing deployed"})));
        };
        let Some(actual) = self.arm.get(&u.target_id, &u.api_version).await? else {
            return Err(StepError::Verify(vec![Difference {
                path: String::new(),
                expected: "the resource".into(),
                actual: "absent (404)".into(),
            }]));
        };
        let diffs = compare(&u.resource_type, &expected, &actual);
        if diffs.is_empty() {
            Ok((StepOutcome::Succeeded, json!({})))
        } else {
            Err(StepError::Verify(diffs))
        }
    }

    /// Drive one unit as far as it can go in this run.
    async fn run_unit(&self, i: usize) -> Result<Outcome, StepError> {
        let u = &self.plan.units[i];
        let v = self.view(i)?;
        if u.kind == UnitKind::Manual {
            return Ok(if v.target_exists {
                Outcome::Available
            } else {
                self.emit(
                    u,
                    "gate",
                    EventStatus::Waiting,
                    Some(v.open_gates_after.join(", ")),
                );
                Outcome::Waiting
            });
        }
        if v.state.is_committed() || (v.target_exists && v.verified) {
            return Ok(Outcome::Available);
        }
        if matches!(v.state, State::Discarding | State::DiscardFailed) {
            return Ok(Outcome::Failed(
                "a discard is unfinished: run `azrelo discard` again first".into(),
            ));
        }
        let prepare_done = self
            .journal
            .last(RUN, &step_name(u, step::PREPARE))
            .map_err(StepError::Journal)?
            .is_some_and(|r| r.is_done());
        if !prepare_done {
            let intent = json!({"op": "prepare", "kind": u.kind.as_str(), "target": u.target_id});
            if let Err(e) = self.run_step(i, step::PREPARE, intent).await {
                return fail(e);
            }
        }
        if !v.target_exists {
            if !v.open_gates_before.is_empty() {
                self.emit(
                    u,
                    "gate",
                    EventStatus::Waiting,
                    Some(v.open_gates_before.join(", ")),
                );
                return Ok(Outcome::Waiting);
            }
            let intent = match &u.deploy {
                Some(d) => json!({
                    "op": "deploy", "deployment": d.path(), "target": u.target_id,
                    "secureParameters": d.secure_params,
                }),
                None => json!({"op": "reconfigure", "target": u.target_id}),
            };
            if let Err(e) = self.run_step(i, step::MOVE, intent).await {
                return fail(e);
            }
        }
        let intent = json!({"op": "verify", "target": u.target_id});
        if let Err(e) = self.run_step(i, step::VERIFY, intent).await {
            return fail(e);
        }
        if !v.open_gates_after.is_empty() {
            self.emit(
                u,
                "gate",
                EventStatus::Waiting,
                Some(v.open_gates_after.join(", ")),
            );
        }
        Ok(Outcome::Available)
    }

    /// `apply` / `resume`: run every unit that is not yet moved and
    /// verified, pipelined over the dependency graph (or wave by wave).
    pub async fn apply(self: &Arc<Self>) -> Result<ApplyReport, EngineError> {
        let started = Instant::now();
        let snap = Snapshot::new(self.journal.steps(RUN)?);
        let views = snap.views(&self.plan);
        let n = self.plan.units.len();
        let mut done: Vec<bool> = views
            .iter()
            .zip(&self.plan.units)
            .map(|(v, u)| {
                if u.kind == UnitKind::Manual {
                    v.target_exists
                } else {
                    v.state.is_committed() || (v.target_exists && v.verified)
                }
            })
            .collect();
        let mut report = ApplyReport {
            total: n,
            ..Default::default()
        };
        let mut settled: Vec<bool> = done.clone();
        match self.opts.schedule {
            Schedule::Pipelined => {
                let all: Vec<usize> = (0..n).collect();
                self.schedule(&all, &mut done, &mut settled, &mut report)
                    .await?;
            }
            Schedule::Waves => {
                let mut waves: Vec<u32> = self.plan.units.iter().map(|u| u.wave).collect();
                waves.sort_unstable();
                waves.dedup();
                for w in waves {
                    let set: Vec<usize> =
                        (0..n).filter(|&i| self.plan.units[i].wave == w).collect();
                    self.schedule(&set, &mut done, &mut settled, &mut report)
                        .await?;
                }
            }
        }
        report.available = done.iter().filter(|d| **d).count();
        report.blocked = (0..n).filter(|&i| !settled[i]).count();
        let snap = Snapshot::new(self.journal.steps(RUN)?);
        for (g, _, _) in self.plan.gates() {
            if !snap.gate_closed(&g.id) {
                report.open_gates.push(g.id.clone());
            }
        }
        report.elapsed_ms = started.elapsed().as_millis();
        Ok(report)
    }

    /// Run the units of `set` whose prerequisites are available.
    async fn schedule(
        self: &Arc<Self>,
        set: &[usize],
        done: &mut [bool],
        settled: &mut [bool],
        report: &mut ApplyReport,
    ) -> Result<(), EngineError> {
        let in_set: HashSet<usize> = set.iter().copied().collect();
        let dependents = self.plan.dependents();
        let height = heights(&self.plan);
        let sem = Arc::new(Semaphore::new(self.opts.parallelism.max(1)));
        let mut missing: HashMap<usize, usize> = HashMap::new();
        let mut ready: Vec<usize> = Vec::new();
        for &i in set {
            if done[i] {
                continue;
            }
            let m = self.plan.units[i]
                .deps
                .iter()
                .filter(|&&d| !done[d])
                .count();
            missing.insert(i, m);
            if m == 0 {
                ready.push(i);
            }
        }
        let mut tasks: JoinSet<(usize, Result<Outcome, StepError>)> = JoinSet::new();
        let spawn = |ready: &mut Vec<usize>, tasks: &mut JoinSet<_>| {
            // Longest chain of dependents first: the critical path starts
            // early.
            ready.sort_by_key(|&i| (std::cmp::Reverse(height[i]), i));
            for i in ready.drain(..) {
                let me = Arc::clone(self);
                let sem = Arc::clone(&sem);
                tasks.spawn(async move {
                    let _permit = sem.acquire_owned().await;
                    (i, me.run_unit(i).await)
                });
            }
        };
        spawn(&mut ready, &mut tasks);
        while let Some(joined) = tasks.join_next().await {
            let (i, r) = joined.map_err(|e| EngineError::Io(format!("a task failed: {e}")))?;
            settled[i] = true;
            match r {
                Err(StepError::Crashed) => {
                    tasks.abort_all();
                    return Err(EngineError::Crashed);
                }
                Err(StepError::Journal(e)) => {
                    tasks.abort_all();
                    return Err(EngineError::Journal(e));
                }
                Err(e) => report
                    .failed
                    .push((self.plan.units[i].key.clone(), e.message())),
                Ok(Outcome::Failed(m)) => report.failed.push((self.plan.units[i].key.clone(), m)),
                Ok(Outcome::Waiting) => {}
                Ok(Outcome::Available) => {
                    done[i] = true;
                    for &j in &dependents[i] {
                        if !in_set.contains(&j) || done[j] {
                            continue;
                        }
                        if let Some(m) = missing.get_mut(&j) {
                            *m -= 1;
                            if *m == 0 {
                                ready.push(j);
                            }
                        }
                    }
                    spawn(&mut ready, &mut tasks);
                }
            }
        }
        Ok(())
    }

    /// `--validate-only`: ARM validate of every deployment; nothing changes
    /// and nothing is journaled.
    pub async fn validate(&self) -> Result<Vec<ActionRow>, EngineError> {
        let mut rows = Vec::new();
        for &i in &self.plan.order {
            let u = &self.plan.units[i];
            let Some(d) = &u.deploy else { continue };
            if let Err(e) = self.check_secrets(u) {
                rows.push(ActionRow {
                    unit: u.key.clone(),
                    outcome: "invalid".into(),
                    detail: Some(e.message()),
                });
                continue;
            }
            let mut template = Map::new();
            template.insert("$schema".into(), json!(d.schema));
            template.insert("contentVersion".into(), json!("1.0.0.0"));
            template.insert("parameters".into(), Value::Object(d.param_decls.clone()));
            template.insert("resources".into(), json!([d.resource]));
            let mut params = d.param_values.clone();
            for p in &d.secure_params {
                if let Some(v) = self.opts.secrets.get(p) {
                    params.insert(p.clone(), json!({"value": v}));
                }
            }
            // A principal that does not exist yet: a placeholder GUID.
            for (p, _) in &d.principal_params {
                params.insert(
                    p.clone(),
                    json!({"value": "00000000-0000-0000-0000-000000000000"}),
                );
            }
            let mut body = json!({"properties": {"mode": "Incremental", "template": template, "parameters": params}});
            if let Some(l) = &d.location {
                body["location"] = json!(l);
            }
            // ARM validates a resource-group deployment only in an existing
            // group. A group the plan creates does not exist yet: validate
            // at subscription scope, the group and a nested deployment into
            // it (inner expression scope), as one template.
            let mut path = format!("{}/validate", d.path());
            if let Some((sub, rg)) = d.scope.split_once("/resourceGroups/") {
                let exists = match self.arm.get(&d.scope, api::RESOURCE_GROUPS).await {
                    Ok(b) => b.is_some(),
                    Err(e) if e.is_crash() => return Err(EngineError::Crashed),
                    Err(_) => true,
                };
                if !exists {
                    let inner = body["properties"].clone();
                    let mut nested = inner;
                    nested["expressionEvaluationOptions"] = json!({"scope": "inner"});
                    body = json!({
                        "location": self.plan.target_region,
                        "properties": {"mode": "Incremental", "template": {
                            "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
                            "contentVersion": "1.0.0.0",
                            "resources": [
                                {"type": vocab::RESOURCE_GROUPS, "apiVersion": api::RESOURCE_GROUPS,
                                 "name": rg, "location": self.plan.target_region},
                                {"type": vocab::DEPLOYMENTS, "apiVersion": api::DEPLOYMENTS,
                                 "name": d.name, "resourceGroup": rg,
                                 "dependsOn": [format!("[resourceId('{}', '{rg}')]", vocab::RESOURCE_GROUPS)],
                                 "properties": nested}
                            ]
                        }}
                    });
                    path = format!(
                        "{}/validate",
                        vocab::provider_id(sub, vocab::DEPLOYMENTS, &d.name)
                    );
                }
            }
            let r = self.arm.post(&path, api::DEPLOYMENTS, Some(&body)).await;
            rows.push(match r {
                Ok(_) => ActionRow {
                    unit: u.key.clone(),
                    outcome: "valid".into(),
                    detail: None,
                },
                Err(e) if e.is_crash() => return Err(EngineError::Crashed),
                Err(e) => ActionRow {
                    unit: u.key.clone(),
                    outcome: "invalid".into(),
                    detail: Some(e.to_string()),
                },
            });
        }
        Ok(rows)
    }

    fn selected(&self, only: &[String]) -> Result<HashSet<usize>, EngineError> {
        if only.is_empty() {
            return Ok((0..self.plan.units.len()).collect());
        }
        let mut out = HashSet::new();
        for s in only {
            let hits: Vec<usize> = self
                .plan
                .units
                .iter()
                .enumerate()
                .filter(|(_, u)| {
                    u.key.eq_ignore_ascii_case(s)
                        || u.source_id.as_deref().is_some_and(|x| within(x, s))
                        || within(&u.target_id, s)
                })
                .map(|(i, _)| i)
                .collect();
            if hits.is_empty() {
                return Err(EngineError::Refused(format!(
                    "{s} is not a resource of this plan (nor a scope containing one)"
                )));
            }
            out.extend(hits);
        }
        Ok(out)
    }

    /// `commit`: re-verify each moved resource and mark it committed. A
    /// difference (or an open gate) blocks that resource's commit.
    pub async fn commit(&self, only: &[String]) -> Result<Vec<ActionRow>, EngineError> {
        let sel = self.selected(only)?;
        let mut rows = Vec::new();
        for &i in &self.plan.order {
            if !sel.contains(&i) {
                continue;
            }
            let u = &self.plan.units[i];
            let v = self.view(i).map_err(step_to_engine)?;
            if v.state.is_committed() {
                continue;
            }
            let refuse = |why: String| ActionRow {
                unit: u.key.clone(),
                outcome: "not committed".into(),
                detail: Some(why),
            };
            if !v.target_exists {
                rows.push(refuse(format!("not moved yet ({})", v.state.as_str())));
                continue;
            }
            if !v.open_gates_after.is_empty() {
                rows.push(refuse(format!(
                    "close gate(s) {} first",
                    v.open_gates_after.join(", ")
                )));
                continue;
            }
            if u.kind != UnitKind::Manual && !v.verified {
                rows.push(refuse(format!(
                    "verification failed: {}",
                    v.error.unwrap_or_else(|| "not verified".into())
                )));
                continue;
            }
            let name = step_name(u, step::COMMIT);
            self.write_intent(&name, &json!({"op": "commit", "target": u.target_id}))
                .map_err(step_to_engine)?;
            // Verify again: the target may have changed since the move.
            let check = if u.kind == UnitKind::Manual {
                Ok((StepOutcome::Succeeded, json!({})))
            } else {
                self.verify(i).await
            };
            match check {
                Ok(_) => {
                    self.write_result(&name, StepOutcome::Succeeded, &json!({}))
                        .map_err(step_to_engine)?;
                    self.emit(u, step::COMMIT, EventStatus::Succeeded, None);
                    rows.push(ActionRow {
                        unit: u.key.clone(),
                        outcome: "committed".into(),
                        detail: None,
                    });
                }
                Err(StepError::Crashed) => return Err(EngineError::Crashed),
                Err(e) => {
                    self.write_result(&name, StepOutcome::Failed, &e.detail())
                        .map_err(step_to_engine)?;
                    if matches!(e, StepError::Verify(_)) {
                        // The move no longer verifies: record it, so status
                        // shows verify-failed.
                        let vs = step_name(u, step::VERIFY);
                        self.write_intent(&vs, &json!({"op": "verify", "target": u.target_id}))
                            .map_err(step_to_engine)?;
                        self.write_result(&vs, StepOutcome::Failed, &e.detail())
                            .map_err(step_to_engine)?;
                    }
                    self.emit(u, step::COMMIT, EventStatus::Failed, Some(e.message()));
                    rows.push(refuse(e.message()));
                }
            }
        }
        Ok(rows)
    }

    /// `discard`: delete the targets of moved, uncommitted resources
    /// (dependents first) and put re-configured settings back; they return
    /// to `prepared`.
    pub async fn discard(&self, only: &[String]) -> Result<Vec<ActionRow>, EngineError> {
        let sel = self.selected(only)?;
        let views: Vec<UnitView> = (0..self.plan.units.len())
            .map(|i| self.view(i))
            .collect::<Result<_, _>>()
            .map_err(step_to_engine)?;
        let touched = |v: &UnitView| {
            v.target_exists
                || matches!(
                    v.state,
                    State::Moving
                        | State::MoveFailed
                        | State::VerifyFailed
                        | State::Discarding
                        | State::DiscardFailed
                )
        };
        let dependents = self.plan.dependents();
        let mut rows = Vec::new();
        for &i in self.plan.order.iter().rev() {
            if !sel.contains(&i) {
                continue;
            }
            let u = &self.plan.units[i];
            let v = &views[i];
            if v.state.is_committed() {
                rows.push(ActionRow {
                    unit: u.key.clone(),
                    outcome: "kept".into(),
                    detail: Some("committed: a committed move cannot be discarded".into()),
                });
                continue;
            }
            if !touched(v) {
                continue;
            }
            if let Some(&j) = dependents[i]
                .iter()
                .find(|&&j| !sel.contains(&j) && touched(&views[j]))
            {
                rows.push(ActionRow {
                    unit: u.key.clone(),
                    outcome: "kept".into(),
                    detail: Some(format!(
                        "{} depends on it and is not discarded with it",
                        self.plan.units[j].key
                    )),
                });
                continue;
            }
            let name = step_name(u, step::DISCARD);
            self.write_intent(&name, &json!({"op": "discard", "target": u.target_id}))
                .map_err(step_to_engine)?;
            let r = self.discard_one(i).await;
            match r {
                Ok(detail) => {
                    self.write_result(&name, StepOutcome::Succeeded, &detail)
                        .map_err(step_to_engine)?;
                    self.emit(u, step::DISCARD, EventStatus::Succeeded, None);
                    rows.push(ActionRow {
                        unit: u.key.clone(),
                        outcome: "discarded".into(),
                        detail: detail
                            .get("note")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    });
                }
                Err(StepError::Crashed) => return Err(EngineError::Crashed),
                Err(e) => {
                    self.write_result(&name, StepOutcome::Failed, &e.detail())
                        .map_err(step_to_engine)?;
                    rows.push(ActionRow {
                        unit: u.key.clone(),
                        outcome: "discard failed".into(),
                        detail: Some(e.message()),
                    });
                }
            }
        }
        Ok(rows)
    }

    async fn discard_one(&self, i: usize) -> Result<Value, StepError> {
        let u = &self.plan.units[i];
        match u.kind {
            UnitKind::Manual => Ok(json!({"note": "not automated: undo it yourself"})),
            UnitKind::Reconfigure => {
                let before = self
                    .detail_of(i, step::PREPARE)
                    .get("before")
                    .cloned()
                    .unwrap_or(Value::Null);
                let mv = self
                    .journal
                    .last(RUN, &step_name(u, step::MOVE))
                    .map_err(StepError::Journal)?;
                let changed = mv.is_some_and(|m| m.outcome == Some(StepOutcome::Succeeded));
                if changed && before.is_object() {
                    self.arm.put(&u.target_id, &u.api_version, &before).await?;
                    Ok(json!({"note": "settings restored"}))
                } else {
                    Ok(json!({"note": "nothing was changed"}))
                }
            }
            UnitKind::Deploy | UnitKind::DiskCopy => {
                let api = if vocab::is(&u.resource_type, vocab::RESOURCE_GROUPS) {
                    api::RESOURCE_GROUPS
                } else {
                    u.api_version.as_str()
                };
                let deleted = self.arm.delete(&u.target_id, api).await?;
                if u.kind == UnitKind::DiskCopy
                    && let Some(d) = &u.deploy
                {
                    for phase in ["seed", "final"] {
                        let disk = u.target_name.chars().take(60).collect::<String>();
                        let snap = vocab::provider_id(
                            &d.scope,
                            vocab::SNAPSHOTS,
                            &format!("{disk}-azrelo-{phase}"),
                        );
                        self.arm.delete(&snap, api::SNAPSHOTS).await?;
                    }
                }
                Ok(json!({"deleted": deleted}))
            }
        }
    }

    /// Locks that currently apply: the estate's (if they still exist) and
    /// whatever ARM lists at the subscriptions involved.
    async fn live_locks(&self) -> Result<Vec<(String, String, String)>, StepError> {
        let mut out: Vec<(String, String, String)> = Vec::new();
        let mut seen = HashSet::new();
        for l in &self.plan.locks {
            if let Some(b) = self.arm.get(&l.id, api::LOCKS).await? {
                let level = b
                    .pointer("/properties/level")
                    .and_then(Value::as_str)
                    .unwrap_or(&l.level)
                    .to_string();
                seen.insert(l.id.to_ascii_lowercase());
                out.push((l.id.clone(), l.scope.clone(), level));
            }
        }
        let subs: HashSet<String> = self
            .plan
            .units
            .iter()
            .filter_map(|u| {
                u.source_id
                    .as_deref()?
                    .split('/')
                    .nth(2)
                    .map(str::to_ascii_lowercase)
            })
            .collect();
        for s in subs {
            let path = format!("/subscriptions/{s}/providers/{}", vocab::LOCKS);
            // The emulator (and restricted callers) may not list locks; the
            // estate's locks above still apply.
            let Ok(list) = self.arm.list(&path, api::LOCKS).await else {
                continue;
            };
            for b in list {
                let Some(id) = b.get("id").and_then(Value::as_str) else {
                    continue;
                };
                if !seen.insert(id.to_ascii_lowercase()) {
                    continue;
                }
                let Some((scope, _)) = id
                    .rsplit_once("/providers/Microsoft.Authorization/locks/")
                    .or_else(|| {
                        let l = id.to_ascii_lowercase();
                        l.find("/providers/microsoft.authorization/locks/")
                            .map(|p| (&id[..p], ""))
                    })
                else {
                    continue;
                };
                let level = b
                    .pointer("/properties/level")
                    .and_then(Value::as_str)
                    .unwrap_or("CanNotDelete")
                    .to_string();
                out.push((id.to_string(), scope.to_string(), level));
            }
        }
        Ok(out)
    }

    /// `cleanup-source`: delete the sources of committed resources,
    /// dependents first. Refuses unless every resource of the scope is
    /// committed (and so verified); a source under a CanNotDelete/ReadOnly
    /// lock is reported and kept; nothing outside the plan is touched; a
    /// resource group is deleted only when nothing is left in it.
    pub async fn cleanup_source(
        &self,
        scope: &[String],
        confirm: bool,
    ) -> Result<Vec<ActionRow>, EngineError> {
        let sel = self.selected(scope)?;
        let views: Vec<UnitView> = (0..self.plan.units.len())
            .map(|i| self.view(i))
            .collect::<Result<_, _>>()
            .map_err(step_to_engine)?;
        let not_committed: Vec<String> = sel
            .iter()
            .filter(|&&i| !views[i].state.is_committed())
            .map(|&i| format!("{} ({})", self.plan.units[i].key, views[i].state.as_str()))
            .collect();
        if !not_committed.is_empty() {
            let n = not_committed.len();
            let mut list: Vec<String> = not_committed.into_iter().take(10).collect();
            list.sort();
            return Err(EngineError::Refused(format!(
                "{n} resource(s) of the scope are not committed, so no source is deleted: {}{}",
                list.join(", "),
                if n > 10 { ", …" } else { "" }
            )));
        }
        let locks = self.live_locks().await.map_err(step_to_engine)?;
        let n = self.plan.units.len();
        // Why each source of the scope stays, before anything is deleted.
        let mut reason: Vec<Option<String>> = vec![None; n];
        let mut gone: HashSet<usize> = HashSet::new();
        for &i in &sel {
            let u = &self.plan.units[i];
            let Some(src) = u.source_id.as_deref() else {
                continue;
            };
            reason[i] = if u.kind == UnitKind::Reconfigure {
                Some("re-configured in place: it is the target".into())
            } else if u.kind == UnitKind::Manual {
                // The operator relocated it; they may have removed the
                // source too (e.g. stopped backup protection).
                match self.arm.get(src, &u.api_version).await {
                    Ok(None) => {
                        gone.insert(i);
                        None
                    }
                    Err(e) if e.is_crash() => return Err(EngineError::Crashed),
                    _ => Some("not automated: delete the source yourself".into()),
                }
            } else if !self
                .plan
                .planned_sources
                .contains(&src.to_ascii_lowercase())
            {
                Some("not in the plan".into())
            } else if vocab::is(&u.resource_type, vocab::LOCKS) {
                Some("a management lock: azrelo never deletes locks; remove it yourself".into())
            } else {
                locks
                    .iter()
                    .find(|(_, s, level)| {
                        within(src, s)
                            && (level.eq_ignore_ascii_case("CanNotDelete")
                                || level.eq_ignore_ascii_case("ReadOnly"))
                    })
                    .map(|(id, _, level)| format!("locked by {id} ({level})"))
            };
        }
        // A source that stays keeps what it uses (its parent or scope, what
        // its estate body refers to) — until a fixpoint.
        let mut uses: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (j, u) in self.plan.units.iter().enumerate() {
            if u.kind == UnitKind::Reconfigure {
                // Re-pointed at the targets: it no longer uses the sources.
                continue;
            }
            uses[j].extend(u.source_refs.iter().copied());
        }
        let mut work: Vec<usize> = (0..n)
            .filter(|&i| reason[i].is_some() && self.plan.units[i].kind != UnitKind::Reconfigure)
            .collect();
        while let Some(j) = work.pop() {
            for &i in &uses[j] {
                if reason[i].is_none()
                    && !gone.contains(&i)
                    && self.plan.units[i].source_id.is_some()
                {
                    let by = &self.plan.units[j];
                    reason[i] = Some(format!(
                        "still used by {}, which is kept",
                        by.source_id.as_deref().unwrap_or(&by.key)
                    ));
                    work.push(i);
                }
            }
        }
        let mut rows = Vec::new();
        let mut to_delete: Vec<(usize, String)> = Vec::new();
        // Groups go last: one is deleted only when nothing is left in it.
        let mut groups: Vec<(usize, String)> = Vec::new();
        for &i in self.plan.order.iter().rev() {
            if !sel.contains(&i) || views[i].state == State::Done {
                continue;
            }
            let u = &self.plan.units[i];
            let Some(src) = u.source_id.clone() else {
                continue;
            };
            let why = if sel.contains(&i) {
                reason[i].clone()
            } else {
                None
            };
            if !confirm {
                rows.push(ActionRow {
                    unit: src.clone(),
                    outcome: if why.is_some() {
                        "would keep"
                    } else {
                        "would delete"
                    }
                    .into(),
                    detail: why,
                });
                continue;
            }
            let name = step_name(u, step::CLEANUP);
            if let Some(why) = why {
                // Already recorded as kept for the same reason: nothing new.
                let same = views[i].state == State::SourceKept
                    && views[i].note.as_deref() == Some(why.as_str());
                if same {
                    rows.push(ActionRow {
                        unit: src,
                        outcome: "kept".into(),
                        detail: Some(why),
                    });
                    continue;
                }
                self.write_intent(&name, &json!({"op": "keep-source", "source": src}))
                    .map_err(step_to_engine)?;
                self.write_result(&name, StepOutcome::Skipped, &json!({"note": why}))
                    .map_err(step_to_engine)?;
                rows.push(ActionRow {
                    unit: src,
                    outcome: "kept".into(),
                    detail: Some(why),
                });
                continue;
            }
            if gone.contains(&i) {
                self.write_intent(&name, &json!({"op": "delete-source", "source": src}))
                    .map_err(step_to_engine)?;
                self.write_result(
                    &name,
                    StepOutcome::Succeeded,
                    &json!({"deleted": false, "note": "already gone"}),
                )
                .map_err(step_to_engine)?;
                rows.push(ActionRow {
                    unit: src,
                    outcome: "deleted".into(),
                    detail: Some("already gone".into()),
                });
                continue;
            }
            if vocab::is(&u.resource_type, vocab::RESOURCE_GROUPS) {
                groups.push((i, src));
            } else {
                to_delete.push((i, src));
            }
        }
        // Dependents first; a delete refused because something still uses
        // the source (409: an order the target graph does not show) is
        // tried again after the others, as long as each pass makes progress.
        let mut pass = to_delete;
        loop {
            let mut deferred = Vec::new();
            let mut progress = false;
            for (i, src) in pass {
                let u = &self.plan.units[i];
                let name = step_name(u, step::CLEANUP);
                self.write_intent(&name, &json!({"op": "delete-source", "source": src}))
                    .map_err(step_to_engine)?;
                match self.delete_source(u, &src).await {
                    Ok((outcome, detail)) => {
                        self.write_result(&name, outcome, &detail)
                            .map_err(step_to_engine)?;
                        progress = true;
                        rows.push(ActionRow::source_cleanup(src, outcome, &detail));
                    }
                    Err(StepError::Crashed) => return Err(EngineError::Crashed),
                    Err(e) => {
                        self.write_result(&name, StepOutcome::Failed, &e.detail())
                            .map_err(step_to_engine)?;
                        if matches!(&e, StepError::Arm(a) if a.status == Some(409)) {
                            deferred.push((i, src, e.message()));
                        } else {
                            rows.push(ActionRow {
                                unit: src,
                                outcome: "delete failed".into(),
                                detail: Some(e.message()),
                            });
                        }
                    }
                }
            }
            if deferred.is_empty() {
                break;
            }
            if !progress {
                for (_, src, m) in deferred {
                    rows.push(ActionRow {
                        unit: src,
                        outcome: "delete failed".into(),
                        detail: Some(m),
                    });
                }
                break;
            }
            pass = deferred.into_iter().map(|(i, s, _)| (i, s)).collect();
        }
        for (i, src) in groups {
            let u = &self.plan.units[i];
            let name = step_name(u, step::CLEANUP);
            self.write_intent(&name, &json!({"op": "delete-source", "source": src}))
                .map_err(step_to_engine)?;
            match self.delete_source(u, &src).await {
                Ok((outcome, detail)) => {
                    self.write_result(&name, outcome, &detail)
                        .map_err(step_to_engine)?;
                    rows.push(ActionRow::source_cleanup(src, outcome, &detail));
                }
                Err(StepError::Crashed) => return Err(EngineError::Crashed),
                Err(e) => {
                    self.write_result(&name, StepOutcome::Failed, &e.detail())
                        .map_err(step_to_engine)?;
                    rows.push(ActionRow {
                        unit: src,
                        outcome: "delete failed".into(),
                        detail: Some(e.message()),
                    });
                }
            }
        }
        Ok(rows)
    }

    async fn delete_source(&self, u: &Unit, src: &str) -> Result<(StepOutcome, Value), StepError> {
        if vocab::is(&u.resource_type, vocab::RESOURCE_GROUPS) {
            let left = self
                .arm
                .list(&format!("{src}/resources"), api::RESOURCE_GROUPS)
                .await?;
            if !left.is_empty() {
                return Ok((
                    StepOutcome::Skipped,
                    json!({"note": format!("{} resource(s) are still in the group (outside the plan, or kept): the group is kept", left.len())}),
                ));
            }
            let deleted = self.arm.delete(src, api::RESOURCE_GROUPS).await?;
            return Ok((StepOutcome::Succeeded, json!({"deleted": deleted})));
        }
        let deleted = self.arm.delete(src, &u.api_version).await?;
        if u.kind == UnitKind::DiskCopy
            && let (Some((src_rg, _)), Some(d)) = (src.rsplit_once("/providers/"), &u.deploy)
        {
            // The mover's artifacts: source and target snapshots.
            let disk = src.rsplit('/').next().unwrap_or("disk");
            let short: String = disk.chars().take(60).collect();
            for phase in ["seed", "final"] {
                for scope in [src_rg, d.scope.as_str()] {
                    let snap = vocab::provider_id(
                        scope,
                        vocab::SNAPSHOTS,
                        &format!("{short}-azrelo-{phase}"),
                    );
                    self.arm.delete(&snap, api::SNAPSHOTS).await?;
                }
            }
        }
        Ok((StepOutcome::Succeeded, json!({"deleted": deleted})))
    }
}

fn fail(e: StepError) -> Result<Outcome, StepError> {
    match e {
        StepError::Crashed | StepError::Journal(_) => Err(e),
        e => Ok(Outcome::Failed(e.message())),
    }
}

fn step_to_engine(e: StepError) -> EngineError {
    match e {
        StepError::Crashed => EngineError::Crashed,
        StepError::Journal(j) => EngineError::Journal(j),
        e => EngineError::Refused(e.message()),
    }
}

/// Longest chain of dependents below each unit (for scheduling priority).
fn heights(plan: &RunPlan) -> Vec<usize> {
    let dependents = plan.dependents();
    let mut h = vec![0usize; plan.units.len()];
    for &i in plan.order.iter().rev() {
        h[i] = dependents[i].iter().map(|&j| h[j] + 1).max().unwrap_or(0);
    }
    h
}

/// `[parameters('x')]` → its value, where known.
fn substitute(v: &mut Value, values: &Map<String, Value>) {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if let Some(inner) = t
                .strip_prefix("[parameters('")
                .and_then(|r| r.strip_suffix("')]"))
                && let Some(val) = values.get(inner)
            {
                *v = val.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, values)),
        Value::Object(m) => m.values_mut().for_each(|x| substitute(x, values)),
        _ => {}
    }
}

/// Remove, anywhere in `v`, every object member for which `drop(pointer,
/// key, value)` holds (`pointer` is the member's JSON pointer below `at`).
fn remove_members(v: &mut Value, at: &str, drop: &dyn Fn(&str, &str, &Value) -> bool) {
    match v {
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let p = format!("{at}/{k}");
                if m.get(&k).is_some_and(|x| drop(&p, &k, x)) {
                    m.remove(&k);
                } else if let Some(c) = m.get_mut(&k) {
                    remove_members(c, &p, drop);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                remove_members(x, &format!("{at}/{i}"), drop);
            }
        }
        _ => {}
    }
}

/// The writable part of a GET body: envelope and read-only properties
/// (schema flags) dropped.
fn writable(ty: &str, body: &Value) -> Value {
    let flags = azrelo_arm::schema::SchemaFlags::embedded().get(ty);
    let mut out = Map::new();
    if let Some(m) = body.as_object() {
        for (k, v) in m {
            if ["id", "name", "type", "etag", "systemData", "managedBy"]
                .iter()
                .any(|e| e.eq_ignore_ascii_case(k))
            {
                continue;
            }
            out.insert(k.clone(), v.clone());
        }
    }
    let mut v = Value::Object(out);
    remove_members(&mut v, "", &|p, k, _| {
        flags.is_some_and(|f| f.is_read_only(p))
            || (k.eq_ignore_ascii_case("provisioningState")
                && p.strip_suffix(k) == Some("/properties/"))
    });
    v
}

/// A body safe to journal: sensitive and write-only paths (schema flags),
/// members whose names mention a credential and string values that carry
/// one removed — the secret rules the generator uses too
/// (`azrelo_arm::secrets`).
fn redact(ty: &str, body: &Value) -> Value {
    let flags = azrelo_arm::schema::SchemaFlags::embedded().get(ty);
    let mut v = body.clone();
    remove_members(&mut v, "", &|p, k, x| {
        flags.is_some_and(|f| f.is_sensitive(p) || f.is_write_only(p))
            || azrelo_arm::secrets::mentions_secret(k)
            || x.as_str().is_some_and(azrelo_arm::secrets::looks_secret)
    });
    v
}

/// Status of a plan directory, for `azrelo status` (no ARM calls).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRow {
    pub unit: String,
    pub label: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub kind: UnitKind,
    pub wave: u32,
    pub state: State,
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub open_gates: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GateRow {
    pub id: String,
    pub unit: String,
    pub title: String,
    pub before_move: bool,
    pub closed: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub plan: String,
    pub units: Vec<StatusRow>,
    pub gates: Vec<GateRow>,
    pub counts: std::collections::BTreeMap<String, usize>,
}

/// The status of every unit and gate, from the journal.
pub fn status(plan: &RunPlan, journal: &Journal) -> Result<StatusReport, EngineError> {
    let snap = Snapshot::new(journal.steps(RUN)?);
    let mut counts = std::collections::BTreeMap::new();
    let mut units = Vec::new();
    for &i in &plan.order {
        let u = &plan.units[i];
        let v = snap.view(u);
        *counts.entry(v.state.as_str().to_string()).or_insert(0) += 1;
        let mut open = v.open_gates_before.clone();
        open.extend(v.open_gates_after.iter().cloned());
        units.push(StatusRow {
            unit: u.key.clone(),
            label: u.label(),
            resource_type: u.resource_type.clone(),
            kind: u.kind,
            wave: u.wave,
            state: v.state,
            verified: v.verified,
            source: u.source_id.clone(),
            open_gates: open,
            error: v.error,
            note: v.note.or_else(|| u.note.clone()),
        });
    }
    let gates = plan
        .gates()
        .into_iter()
        .map(|(g, i, before)| GateRow {
            id: g.id.clone(),
            unit: plan.units[i].key.clone(),
            title: g.title.clone(),
            before_move: before,
            closed: snap.gate_closed(&g.id),
        })
        .collect();
    Ok(StatusReport {
        plan: plan.dir.display().to_string(),
        units,
        gates,
        counts,
    })
}

/// `azrelo gate done ID…`: close gates (journaled; no ARM call). Unknown ids
/// are refused before anything is written.
pub fn close_gates(
    plan: &RunPlan,
    journal: &Journal,
    ids: &[String],
) -> Result<Vec<String>, EngineError> {
    check_digest(plan, journal)?;
    let gates = plan.gates();
    let mut chosen = Vec::new();
    for id in ids {
        let Some((g, _, _)) = gates.iter().find(|(g, _, _)| g.id.eq_ignore_ascii_case(id)) else {
            let mut known: Vec<&str> = gates.iter().map(|(g, _, _)| g.id.as_str()).collect();
            known.truncate(8);
            return Err(EngineError::Refused(format!(
                "no gate '{id}' in this plan (gates: {}{}); `azrelo status` lists them",
                known.join(", "),
                if gates.len() > 8 { ", …" } else { "" }
            )));
        };
        chosen.push(g.id.clone());
    }
    for id in &chosen {
        let s = gate_step(id);
        journal.record_intent(RUN, &s, &json!({"op": "gate-done", "gate": id}))?;
        journal.record_result(RUN, &s, StepOutcome::Succeeded, &json!({}))?;
    }
    Ok(chosen)
}
