//! # azrelo-run — a relocation as library calls
//!
//! Owns what sits between the CLI and the domain crates, so that a library
//! user can plan, generate, apply and rehearse without copying the CLI:
//!
//! * [`PlanDir`] — the plan directory's layout (`plan.json`, `plan.md`,
//!   `estate.json`, `templates/` with the generator's typed
//!   [`azrelo_generate::Manifest`], `journal.db`, `events.jsonl`), atomic
//!   writes, and reading it back as the orchestrator's
//!   [`azrelo_orchestrate::RunPlan`];
//! * [`plan_estate`] — graph, plan and the invariant check a plan must pass;
//! * [`ClientArm`] — `azrelo_client::ArmClient` as the orchestrator's `Arm`;
//! * [`secure_parameters`] — the templates' secure parameter values from a
//!   file and the environment (never printed, never journaled);
//! * [`Rehearsal`] — the whole relocation on the in-process emulator with
//!   its gate policy (gates closed on the operator's behalf and reported),
//!   its [`Summary`] and `rehearsal.md`.
//!
//! It must not parse command lines, print, or choose exit codes (that is the
//! CLI's), and holds no relocation knowledge (catalog, planner, generator
//! and orchestrator do).

mod arm;
mod error;
mod plan_dir;
mod planning;
pub mod rehearsal;
pub mod report;
mod secrets;
mod stand_in;

pub use arm::ClientArm;
pub use error::{ErrorKind, RunError};
pub use plan_dir::{PlanDir, write_atomic};
pub use planning::{blockers, plan_estate};
pub use rehearsal::{Latency, Outcome, Progress, Rehearsal, Silent, Summary, seed_emulator};
pub use secrets::{ENV_PREFIX, secure_parameters, secure_parameters_from};
pub use stand_in::STAND_IN_LABEL;
