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
use crate::output::{OutputFormat, print_json, print_text, table};

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

/// Progress bars per phase and overall on a terminal (hidden with -o
/// json); when stderr is not a terminal, a line per finished, failed or
/// retried step and a heartbeat instead (`crate::progress`), unless -q.
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
    out: OutputFormat,
    summary: String,
) -> Result<(), CliError> {
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
