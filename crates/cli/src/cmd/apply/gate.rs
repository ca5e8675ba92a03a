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
    /// ID...`, `--all` or `--wave N`.
    ///
    /// A closed gate lets `azrelo resume` go on past it. Who closed each
    /// (--by, default the OS user), when, and --note are journaled; a gate
    /// after a move cannot be closed before its resource has moved.
    ///
    /// Examples:
    ///   azrelo gate done plan ID1 ID2
    ///   azrelo gate done plan --wave 2 --note "DNS switched, ticket CHG-1234"
    ///   azrelo gate done plan --all --by alice
    ///   azrelo gate done plan $(azrelo gate list plan --query "[?!closed].id" -o tsv)
    #[command(verbatim_doc_comment)]
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
    ///
    /// Each gate with when it applies (before or after its resource moves),
    /// whether it is closed (by whom and when; -o json adds the note), and
    /// what to do.
    ///
    /// Examples:
    ///   azrelo gate list plan
    ///   azrelo gate list plan --query "[?!closed].{id: id, what: title}" -o table
    #[command(verbatim_doc_comment)]
    List {
        /// Plan directory.
        plan_dir: PathBuf,
    },
}

/// `azrelo gate done|list`.
pub fn run_gate(args: GateArgs, out: &Output) -> Result<(), CliError> {
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
            out.print(&closed, || {
                if closed.is_empty() {
                    return "no gate to close (all closed, or waiting for their resource to move)"
                        .to_string();
                }
                format!(
                    "closed {}; `azrelo resume {}` continues the run",
                    closed.join(", "),
                    plan_dir.display()
                )
            })
        }
        GateCommand::List { plan_dir } => {
            let plan = load(&plan_dir)?;
            let j = azrelo_orchestrate::open_journal(&plan_dir).map_err(engine_error)?;
            let st = azrelo_orchestrate::status(&plan, &j).map_err(engine_error)?;
            out.print(&st.gates, || {
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
                        match (g.closed, &g.closed_by, &g.closed_at) {
                            (false, _, _) => String::new(),
                            (true, Some(by), Some(at)) => format!("by {by}, {at}"),
                            (true, _, _) => "yes".to_string(),
                        },
                        g.title.chars().take(140).collect(),
                    ]);
                }
                t.to_string()
            })
        }
    }
}
