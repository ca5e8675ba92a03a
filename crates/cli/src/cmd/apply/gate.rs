//! `azrelo gate done|list`.

use std::path::PathBuf;

use super::*;

/// Manual gates: steps the operator does and then closes.
#[derive(Debug, clap::Args)]
pub struct GateArgs {
    #[command(subcommand)]
    pub command: GateCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum GateCommand {
    /// Close gates (the manual step is done): `azrelo gate done PLAN_DIR
    /// ID...`, `--all` or `--wave N`; who closed each (--by, default the
    /// OS user), when, and --note are journaled.
    Done {
        /// Plan directory.
        plan_dir: PathBuf,
        /// Gate ids, as `azrelo gate list` shows them.
        #[arg(required_unless_present_any = ["all", "wave"], conflicts_with_all = ["all", "wave"])]
        ids: Vec<String>,
        /// Every open gate that can be closed now.
        #[arg(long, conflicts_with = "wave")]
        all: bool,
        /// Every open gate of this wave's resources.
        #[arg(long, value_name = "N")]
        wave: Option<u32>,
        /// Why, or what was done (journaled with the gate).
        #[arg(long)]
        note: Option<String>,
        /// Who did the manual step (default: $USER).
        #[arg(long)]
        by: Option<String>,
    },
    /// List the gates and whether they are closed.
    List {
        /// Plan directory.
        plan_dir: PathBuf,
    },
}

/// `azrelo gate done|list`.
pub fn run_gate(args: GateArgs, out: OutputFormat) -> Result<(), CliError> {
    match args.command {
        GateCommand::Done {
            plan_dir,
            ids,
            all,
            wave,
            note,
            by,
        } => {
            let plan = load(&plan_dir)?;
            let j = azrelo_orchestrate::open_journal(&plan_dir).map_err(engine_error)?;
            let which = match (all, wave) {
                (true, _) => azrelo_orchestrate::GateSelection::All,
                (false, Some(w)) => azrelo_orchestrate::GateSelection::Wave(w),
                (false, None) => azrelo_orchestrate::GateSelection::Ids(ids),
            };
            let closing = azrelo_orchestrate::GateClosing { by, note };
            let closed = azrelo_orchestrate::close_gates_with(&plan, &j, &which, &closing)
                .map_err(|e| match e {
                    EngineError::Refused(m) => {
                        CliError::bad_input(m, "`azrelo gate list PLAN_DIR` shows the gate ids")
                    }
                    other => engine_error(other),
                })?;
            match out {
                OutputFormat::Json => print_json(&closed),
                OutputFormat::Table if closed.is_empty() => print_text(
                    "no gate to close (all closed, or waiting for their resource to move)",
                ),
                OutputFormat::Table => print_text(format!(
                    "closed {}; `azrelo resume {}` continues the run",
                    closed.join(", "),
                    plan_dir.display()
                )),
            }
        }
        GateCommand::List { plan_dir } => {
            let plan = load(&plan_dir)?;
            let j = azrelo_orchestrate::open_journal(&plan_dir).map_err(engine_error)?;
            let st = azrelo_orchestrate::status(&plan, &j).map_err(engine_error)?;
            match out {
                OutputFormat::Json => print_json(&st.gates),
                OutputFormat::Table => {
                    let mut t = table(["gate", "when", "closed", "what"]);
                    for g in &st.gates {
                        t.add_row([
                            g.id.clone(),
                            if g.before_move {
                                "before move"
                            } else {
                                "after move"
                            }
                            .to_string(),
                            if g.closed { "yes" } else { "" }.to_string(),
                            g.title.chars().take(140).collect(),
                        ]);
                    }
                    print_text(t)
                }
            }
        }
    }
}
