//! `azrelo apply | resume | status | commit | discard | cleanup-source | gate`:
//! the CLI over `azrelo-orchestrate` (journaled per-resource state machine,
//! pipelined scheduling, verification). Domain logic lives in the library;
//! this module parses flags, builds the ARM client, draws progress and
//! renders results.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use azrelo_client::ArmClient;
use azrelo_orchestrate::{
    ActionRow, CrashHook, Engine, EngineError, Event, EventStatus, Observer, Options, RunPlan, Step,
};
use azrelo_run::{ClientArm, PlanDir};

use crate::cmd::arm_args::ArmArgs;
use crate::exit::{CliError, ExitCode};
use crate::output::{Output, table};

mod act;
mod cleanup;
mod gate;
mod run;
mod status;

pub use act::{ActArgs, run_commit, run_discard};
pub use cleanup::{CleanupArgs, run_cleanup};
pub use gate::{GateArgs, run_gate};
pub use run::{ApplyArgs, run_apply};
pub use status::{StatusArgs, run_status};

/// `azrelo apply --help`.
pub const APPLY_HELP: &str = "\
Run a plan against ARM (or the emulator): each generated resource as its
own deployment, started as soon as the resources it needs exist; disks
through incremental snapshots copied across regions; identities before
their role assignments; every target verified against what was deployed.

Every step is journaled in PLAN_DIR/journal.db (intent before the ARM
call, result after) and logged to PLAN_DIR/events.jsonl; after a crash or
a kill, `azrelo resume PLAN_DIR` finishes the run. The run stops at manual
gates (exit code 5): close them with `azrelo gate done`, then resume.
Secure template parameters come from --parameters FILE or
AZRELO_PARAM_<name> and are never journaled. Before the first write a
pre-flight checks that every secure parameter has a value (else exit 5,
naming them) and that each target subscription answers (credentials, TLS
trust); --validate-only and --what-if ask ARM about every deployment and
change nothing. The endpoint is az's active cloud unless --arm-endpoint
says otherwise.

Examples:
  azrelo apply plan --validate-only
  azrelo apply plan --what-if --parameters secrets.json
  azrelo apply plan --parameters secrets.json
  azrelo apply plan --arm-endpoint https://127.0.0.1:8443 --auth token --ca-cert emulator-ca.pem
  azrelo apply plan --parallelism 32 -o json --query openGates";

/// `azrelo resume --help`.
pub const RESUME_HELP: &str = "\
Finish an interrupted (crashed, killed) or gated run: a step journaled
without a result is looked up in ARM and finished, work still in flight is
waited for, nothing is created twice and nothing is lost. Takes the flags
of `azrelo apply`; stops again at open gates (exit code 5).

Examples:
  azrelo resume plan
  AZRELO_PARAM_connectionString=... azrelo resume plan
  azrelo resume plan --parameters secrets.json -o json --query \"{moved: available, of: total}\"";

/// `azrelo status --help`.
pub const STATUS_HELP: &str = "\
Where every resource of a relocation stands, read from the journal (no ARM
calls): pending, prepared, moving, moved, committed, done; failures with
their error; open gates.

JSON (-o json): {plan, units: [{unit, label, type, kind, wave, state,
verified, source, openGates, error, note}], gates: [...], counts}.

Examples:
  azrelo status plan
  azrelo status plan --query \"units[?state=='failed'].{resource: label, error: error}\"
  azrelo status plan --query counts -o yaml";

/// `azrelo commit --help`.
pub const COMMIT_HELP: &str = "\
Re-verify moved resources against what was deployed and commit them; a
difference blocks the commit (its row says which). Committed resources
are not discarded any more, and their sources can be cleaned up.

Examples:
  azrelo commit plan
  azrelo commit plan -g rg-shop-data
  azrelo commit plan --resource /subscriptions/SUB/resourceGroups/rg-shop-app-northeurope -o json";

/// `azrelo discard --help`.
pub const DISCARD_HELP: &str = "\
Delete the targets of moved, uncommitted resources: they are back to
prepared and their sources are untouched; `azrelo resume` moves them again.

Examples:
  azrelo discard plan
  azrelo discard plan -g rg-shop-app
  azrelo discard plan --resource /subscriptions/SUB/resourceGroups/rg-shop-app-northeurope";

/// `azrelo gate --help`.
pub const GATE_HELP: &str = "\
Manual gates: steps an operator does outside azrelo before or after a
resource moves (each says what, and who). A run stops at open gates (exit
code 5); close them once done, then `azrelo resume`.

Examples:
  azrelo gate list plan
  azrelo gate done plan ID...
  azrelo gate list plan --query \"[?!closed].id\" -o tsv";

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
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

/// Progress bars per phase and overall on a terminal (hidden when stdout is
/// for a program: -o json, yaml, tsv, none, --query); when stderr is not a
/// terminal, a line per finished, failed or retried step and a heartbeat
/// instead (`crate::progress`), unless -q.
pub(crate) struct Bars {
    pub(crate) multi: indicatif::MultiProgress,
    phases: HashMap<&'static str, indicatif::ProgressBar>,
    overall: indicatif::ProgressBar,
    seen: Mutex<std::collections::HashSet<(String, Step)>>,
    plain: Option<crate::progress::Progress>,
    total: u64,
    moved: std::sync::atomic::AtomicU64,
}

impl Bars {
    pub(crate) fn new(total: u64, hidden: bool, quiet: bool) -> Bars {
        use std::io::IsTerminal;
        let plain = (!quiet && !std::io::stderr().is_terminal()).then(|| {
            let p = crate::progress::Progress::new("apply", false);
            p.set("running", 0, total);
            p
        });
        let target = if hidden || plain.is_some() {
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
            plain,
            total,
            moved: Default::default(),
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(p) = &self.plain {
            p.finish();
        }
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
        if let Some(p) = &self.plain {
            let verified = done && e.step == Step::Verify;
            let n = if verified {
                self.moved
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                    + 1
            } else {
                self.moved.load(std::sync::atomic::Ordering::Relaxed)
            };
            let line = match e.status {
                EventStatus::Succeeded if e.step != Step::Prepare => Some(format!(
                    "{} {} done ({n}/{} verified)",
                    e.label, e.step, self.total
                )),
                EventStatus::Failed | EventStatus::Retrying | EventStatus::Waiting => {
                    Some(format!(
                        "{} {} {}: {}",
                        e.label,
                        e.step,
                        serde_json::to_value(e.status)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        e.message.as_deref().unwrap_or("")
                    ))
                }
                _ => None,
            };
            p.set("running", n, self.total);
            if let Some(l) = line {
                p.step(&l);
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

pub(super) fn rows_table(rows: &[ActionRow]) -> String {
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

/// `-g RG` of commit, discard and cleanup-source: the resource groups of
/// that name the plan's resources come from or go to, as scopes.
pub(super) fn group_scopes(plan: &RunPlan, names: &[String]) -> Result<Vec<String>, CliError> {
    let mut scopes: Vec<String> = Vec::new();
    for name in names {
        let before = scopes.len();
        for u in &plan.units {
            for id in u.source_id.iter().chain([&u.target_id]) {
                if id
                    .resource_group()
                    .is_some_and(|g| g.eq_ignore_ascii_case(name))
                    && let Some(g) = id.resource_group_id()
                {
                    let g = g.to_string();
                    if !scopes.iter().any(|s| s.eq_ignore_ascii_case(&g)) {
                        scopes.push(g);
                    }
                }
            }
        }
        if scopes.len() == before {
            return Err(CliError::bad_input(
                format!("no resource of the plan is in a resource group named '{name}'"),
                "`azrelo status PLAN_DIR` lists the plan's resources",
            ));
        }
    }
    Ok(scopes)
}

pub(super) fn arm_engine(dir: &Path, arm: &ArmArgs) -> Result<Engine<ClientArm>, CliError> {
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

pub(super) fn print_rows(
    rows: &[ActionRow],
    out: &Output,
    summary: String,
) -> Result<(), CliError> {
    out.print(rows, || {
        if rows.is_empty() {
            summary
        } else {
            format!("{}\n{summary}", rows_table(rows))
        }
    })
}
