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

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use azrelo_arm::id::ResourceId;

use crate::arm::{Arm, ArmError, CrashHook, Hooked};
use crate::model::{DeploySpec, ModelError, RunPlan, Unit, UnitKind, within};

mod cleanup;
mod disk_mover;
mod events;
mod inflight;
mod lifecycle;
mod owned;
mod procedures;
mod schedule;
mod steps;

use crate::state::{RUN, Snapshot, State, Step, UnitView, gate_step, step, step_name};
use crate::verify::{Difference, compare};
use azrelo_journal::{Journal, JournalError, StepOutcome};
use events::EventLog;
pub use events::{Event, EventStatus, Observer};
use steps::{redact, writable};

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
    /// A call failed in a way every later call would too (TLS trust,
    /// credentials): the run stopped at once.
    #[error("the run stopped: {0}")]
    Stopped(String),
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
    /// Give up waiting for an operation already in flight (a deployment
    /// started by an interrupted run, another operation on the same
    /// resource) after this long.
    pub wait_timeout: Duration,
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
            wait_timeout: Duration::from_secs(24 * 3600),
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
    /// Gates that must be closed for the run to continue: those before a
    /// move, and those after one whose resource has moved (the others are
    /// listed once it has).
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

/// How a resource came out of validate, commit, discard or source cleanup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum RowOutcome {
    #[serde(rename = "valid")]
    Valid,
    #[serde(rename = "invalid")]
    Invalid,
    #[serde(rename = "committed")]
    Committed,
    #[serde(rename = "not committed")]
    NotCommitted,
    #[serde(rename = "discarded")]
    Discarded,
    #[serde(rename = "discard failed")]
    DiscardFailed,
    #[serde(rename = "deleted")]
    Deleted,
    #[serde(rename = "kept")]
    Kept,
    #[serde(rename = "delete failed")]
    DeleteFailed,
    #[serde(rename = "would delete")]
    WouldDelete,
    #[serde(rename = "would keep")]
    WouldKeep,
}

impl RowOutcome {
    /// As printed and serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            RowOutcome::Valid => "valid",
            RowOutcome::Invalid => "invalid",
            RowOutcome::Committed => "committed",
            RowOutcome::NotCommitted => "not committed",
            RowOutcome::Discarded => "discarded",
            RowOutcome::DiscardFailed => "discard failed",
            RowOutcome::Deleted => "deleted",
            RowOutcome::Kept => "kept",
            RowOutcome::DeleteFailed => "delete failed",
            RowOutcome::WouldDelete => "would delete",
            RowOutcome::WouldKeep => "would keep",
        }
    }
}

/// One row of a commit/discard/cleanup report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRow {
    pub unit: String,
    pub outcome: RowOutcome,
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
                RowOutcome::Kept
            } else {
                RowOutcome::Deleted
            },
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
        matches!(self, StepError::Arm(e) if (e.retryable || e.is_in_progress()) && !e.fatal)
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

pub(crate) fn check_digest(plan: &RunPlan, journal: &Journal) -> Result<(), EngineError> {
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

    fn emit(&self, u: &Unit, s: Step, status: EventStatus, message: Option<String>) {
        let e = Event {
            unit: u.key.to_string(),
            label: u.label(),
            step: s,
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
        for s in Step::JOURNALED {
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

    fn detail_of(&self, i: usize, s: Step) -> Value {
        self.journal
            .last(RUN, &step_name(&self.plan.units[i], s))
            .ok()
            .flatten()
            .map(|r| r.detail)
            .unwrap_or(Value::Null)
    }

    /// Run one step with its intent/result records and retries.
    async fn run_step(&self, i: usize, s: Step, intent: Value) -> Result<Value, StepError> {
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

    async fn do_step(&self, i: usize, s: Step) -> Result<(StepOutcome, Value), StepError> {
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
                let own: Vec<crate::model::Gate> = u
                    .gates_before
                    .iter()
                    .filter(|g| !g.shared)
                    .cloned()
                    .collect();
                let stopped = self.gates_closed(&own)?;
                let snap = self.copy_disk(u, "seed").await?;
                Ok((
                    StepOutcome::Succeeded,
                    json!({"copy": snap, "final": stopped}),
                ))
            }
            (step::PREPARE, UnitKind::Reconfigure) => {
                // Record the settings as they are, to restore on discard.
                let before = self.arm.get(u.target_id.as_str(), &u.api_version).await?;
                Ok((
                    StepOutcome::Succeeded,
                    json!({"before": before.map(|b| redact(&u.resource_type, &writable(&u.resource_type, &b)))}),
                ))
            }
            (step::MOVE, UnitKind::Deploy | UnitKind::DiskCopy) => self.deploy(i).await,
            (step::MOVE, UnitKind::Reconfigure) => self.reconfigure(u).await,
            (step::PREPARE | step::MOVE, UnitKind::Action(_)) => self.action_step(i, s).await,
            (step::PREPARE, UnitKind::Owned) => Ok((StepOutcome::Succeeded, json!({}))),
            (step::MOVE, UnitKind::Owned) => self.locate(i).await,
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
