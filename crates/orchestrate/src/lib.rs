//! `azrelo-orchestrate` owns the execution of a relocation plan: the
//! per-resource state machine modelled on Azure Resource Mover's (derived
//! from the `azrelo-journal` intent/result journal), the pipelined
//! scheduler, verification of deployed targets, commit, discard and source
//! cleanup.
//!
//! It never decides *what* to move (that is `azrelo-plan`) and never renders
//! templates (that is `azrelo-generate`); it runs what they produced and
//! records every step so that a crashed run resumes exactly where it stopped.
//! It talks to ARM through the [`arm::Arm`] trait, which `azrelo-run`
//! implements for `azrelo_client::ArmClient`, and reads no plan file itself:
//! `azrelo_run::PlanDir` reads the plan directory into a
//! [`model::RunInputs`] for [`RunPlan::build`].

pub mod arm;
pub mod engine;
pub mod model;
pub mod report;
pub mod state;
pub mod verify;

pub use arm::{Arm, ArmError, CrashHook};
pub use azrelo_journal::{self as journal, Journal, JournalError, StepOutcome, StepRecord};
pub use engine::{
    ActionRow, ApplyReport, Engine, EngineError, Event, EventStatus, Observer, Options, RowOutcome,
    Schedule, open_journal,
};
pub use model::{RunInputs, RunPlan, TemplateFiles, Unit, UnitKind};
pub use report::{
    GateClosing, GateRow, GateSelection, StatusReport, StatusRow, close_gates, close_gates_with,
    status,
};
pub use state::{State, Step};
