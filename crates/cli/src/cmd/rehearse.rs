//! `azrelo rehearse`: the whole relocation, end to end, against the built-in
//! ARM emulator — seed, live discovery, plan, generate, apply, gates, resume,
//! commit, source cleanup — in one process and without an Azure account.
//!
//! The rehearsal itself is `azrelo_run::Rehearsal` (every step the library
//! call the single-purpose command makes, plus the gate policy); this module
//! parses the flags, draws progress, prints the summary and picks the exit
//! code.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use azrelo_orchestrate::{Event, Observer};
use azrelo_run::report::{reason_category, secs, short};
use azrelo_run::{Outcome, Rehearsal, Summary};

use crate::cmd::apply::Bars;
use crate::cmd::plan::Selection;
use crate::exit::CliError;
use crate::output::{Output, table, wrapped_table};

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
report.html (the change board's page, as `azrelo report DIR` writes it,
with the run's states and durations), and rehearsal.md / rehearsal.json,
the report of this rehearsal. DIR must
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

impl From<Latency> for azrelo_run::Latency {
    fn from(l: Latency) -> Self {
        match l {
            Latency::Off => azrelo_run::Latency::Off,
            Latency::Fast => azrelo_run::Latency::Fast,
            Latency::Realistic => azrelo_run::Latency::Realistic,
        }
    }
}

/// Progress on stderr: status lines (not with -o json or -q: scripts read
/// stdout only, and the same facts are in rehearsal.md), warnings always,
/// progress bars for the run.
struct Say {
    lines: bool,
    hidden_bars: bool,
    bars: OnceLock<Bars>,
}

impl Say {
    fn print(&self, text: &str) {
        match self.bars.get() {
            Some(b) => b.multi.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }
}

impl Observer for Say {
    fn event(&self, e: &Event) {
        if let Some(b) = self.bars.get() {
            b.event(e);
        }
    }
}

impl azrelo_run::Progress for Say {
    fn line(&self, text: &str) {
        if self.lines {
            self.print(text);
        }
    }
    fn warning(&self, text: &str) {
        self.print(text);
    }
    fn run_started(&self, units: usize) {
        // The rehearsal prints its own lines: no second set.
        let _ = self
            .bars
            .set(Bars::new(units as u64, self.hidden_bars, true));
    }
    fn run_finished(&self) {
        if let Some(b) = self.bars.get() {
            b.finish();
        }
    }
}

/// `quiet` (-q) silences the step lines on stderr; the summary still goes
/// to stdout.
pub fn run(args: Args, out: &Output, quiet: bool) -> Result<(), CliError> {
    let opts = crate::cmd::plan::options(&args.selection)?;
    let owned;
    let catalog = match &args.selection.catalog {
        Some(dir) => {
            owned = crate::cmd::plan::load_catalog(dir)?;
            &owned
        }
        None => azrelo_catalog::Catalog::embedded(),
    };
    let say = Arc::new(Say {
        lines: out.is_human() && !quiet,
        hidden_bars: !out.is_human(),
        bars: OnceLock::new(),
    });
    // The output directory is checked before the inputs are read.
    let mut rehearsal = Rehearsal {
        out: args.out.clone(),
        plan: opts,
        catalog,
        latency: args.latency.into(),
        keep_source: args.keep_source,
        parallelism: args.parallelism,
    };
    rehearsal.prepare(&*say)?;
    let estate = crate::cmd::inputs::load(&args.selection.inputs, &args.selection.placement)?;
    rehearsal.plan.scopes.extend(crate::cmd::plan::group_scopes(
        &estate,
        &args.selection.resource_groups,
    )?);
    let dir = args.out.display();
    let outcome = rehearsal.run(&estate, say)?;
    // The change board's page, from the run the rehearsal left behind (or
    // the blocked plan), as `azrelo report DIR` writes it.
    let report = crate::cmd::plan::write_report(&args.out);
    let report_path = report.as_ref().map(|p| p.display().to_string());
    match outcome {
        Outcome::Done(summary) => {
            let mut json = serde_json::to_value(&summary)
                .map_err(|e| CliError::failure(format!("cannot serialise the summary: {e}")))?;
            if let (Some(path), Some(a)) = (&report_path, json.get_mut("artifacts")) {
                a["reportHtml"] = serde_json::Value::String(path.clone());
            }
            out.print(&json, || human(&summary, report_path.as_deref()))
        }
        Outcome::Blocked(plan) => {
            let mut json = crate::cmd::plan::assessment_json(&plan);
            json["plan"] = serde_json::Value::String(dir.to_string());
            if let Some(path) = &report_path {
                json["reportHtml"] = serde_json::Value::String(path.clone());
            }
            out.print(&json, || {
                let mut text = crate::cmd::plan::findings_table(&plan).to_string();
                if let Some(path) = &report_path {
                    text.push_str(&format!("\nThe findings and the plan: {path}"));
                }
                text
            })?;
            crate::cmd::plan::blockers(&plan).map_err(|e| {
                CliError::blockers(format!(
                    "{}; nothing was moved (the plan is in {dir})",
                    e.report
                ))
            })
        }
    }
}

/// The summary for people (stdout).
fn human(s: &Summary, report_html: Option<&str>) -> String {
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
        azrelo_plan::report::regions_label(&s.source_regions, "-"),
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
        "\nWritten: {} (estate.json, plan.json, plan.md, templates/, journal.db, events.jsonl, rehearsal.md, rehearsal.json{})\nTotal {}. Next: read {}; it ends with the same steps against Azure.",
        a.dir,
        if report_html.is_some() { ", report.html" } else { "" },
        secs(s.total_ms),
        a.report
    ));
    text
}
