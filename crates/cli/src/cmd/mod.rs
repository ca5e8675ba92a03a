//! One module per command; each exposes `Args` (clap) and `run`.

pub mod completions;
pub mod expand;
pub mod regions;
pub mod types;
