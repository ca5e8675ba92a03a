//! One module per command; each exposes `Args` (clap) and `run`.

pub mod apply;
pub mod arm_args;
pub mod completions;
pub mod defender;
pub mod discover;
pub mod emulator;
pub mod expand;
pub mod generate;
pub mod graph;
pub mod inputs;
pub mod plan;
pub mod regions;
pub mod rehearse;
pub mod report;
pub mod types;
