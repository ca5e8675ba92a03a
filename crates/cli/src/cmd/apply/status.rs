//! `azrelo status`.

use std::path::PathBuf;

use super::*;

/// Show where every resource of a relocation stands (from the journal).
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Plan directory.
    pub plan_dir: PathBuf,
}

/// `azrelo status`.
pub fn run_status(args: StatusArgs, out: &Output) -> Result<(), CliError> {
    let plan = load(&args.plan_dir)?;
    let j = azrelo_orchestrate::open_journal(&args.plan_dir).map_err(engine_error)?;
    let st = azrelo_orchestrate::status(&plan, &j).map_err(engine_error)?;
    out.print(&st, || {
        let mut t = table(["wave", "resource", "kind", "state", "verified", "detail"]);
        for r in &st.units {
            let detail = r
                .error
                .clone()
                .or_else(|| {
                    (!r.open_gates.is_empty()).then(|| format!("gate: {}", r.open_gates.join(", ")))
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
        format!("{t}\n{}", counts.join(", "))
    })
}
