//! A rehearsal as a library call, without the CLI: the example estate
//! relocated to North Europe on the in-process emulator.
//!
//! ```text
//! cargo run -p azrelo-run --example rehearse -- [ESTATE_DIR_OR_FILE] [TARGET] [OUT_DIR]
//! ```
//! (defaults: `examples/contoso-shop`, `northeurope`, a temporary directory)

use std::path::PathBuf;
use std::sync::Arc;

use azrelo_catalog::Catalog;
use azrelo_run::{Outcome, Rehearsal, Silent};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = PathBuf::from(args.next().unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop").into()
    }));
    let target = args.next().unwrap_or_else(|| "northeurope".into());
    let tmp;
    let out = match args.next() {
        Some(o) => PathBuf::from(o),
        None => {
            tmp = std::env::temp_dir().join(format!("azrelo-rehearsal-{}", std::process::id()));
            tmp
        }
    };
    let files: Vec<PathBuf> = if input.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&input)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        v.sort();
        v
    } else {
        vec![input]
    };
    let estate = azrelo_estate::load_inputs(&files, &azrelo_estate::LoadOptions::default())?;
    let rehearsal = Rehearsal {
        out: out.clone(),
        plan: azrelo_plan::PlanOptions::new(target),
        catalog: Catalog::embedded(),
        latency: azrelo_run::Latency::Off,
        keep_source: false,
        parallelism: 16,
    };
    match rehearsal.run(&estate, Arc::new(Silent))? {
        Outcome::Done(s) => println!(
            "{}/{} moved and verified, {} committed, {} sources deleted, {} kept, {} gates closed; report: {}",
            s.resources.moved,
            s.resources.units,
            s.resources.committed,
            s.resources.source_deleted,
            s.resources.source_kept,
            s.gates_closed.len(),
            s.artifacts.report
        ),
        Outcome::Blocked(plan) => println!(
            "{} blocker(s): nothing was moved; the plan is in {}",
            plan.summary.blockers,
            out.display()
        ),
    }
    Ok(())
}
