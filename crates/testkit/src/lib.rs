//! # azrelo-testkit — test support shared by azrelo's crates
//!
//! Owns what the tests, benchmarks and examples of several crates need and
//! used to copy or include by `#[path]`: where the shared corpora are
//! ([`corpus()`], with a clear panic when absent), realistic fixture estates
//! ([`estate_fixture`]: Resource Graph rows and ARM GET bodies), expectation files, the
//! quickstart parameter filler ([`params`]) and, with the `emulator`
//! feature, in-process calls to the emulator (`call()`), serving it on
//! `127.0.0.1:0` over HTTP or HTTPS (`Served`) and deploying a quickstart
//! into it the way the quickstarts' CI does (`deploy_quickstart`); with the
//! `run` feature, the example estate as a plan directory and seed
//! (`example`) and an in-process `Arm` over the emulator (`InProcessArm`)
//! for the orchestrator's tests and benchmarks.
//!
//! A dev-dependency only (`publish = false`); it must not be used by any
//! crate's library code.

#[cfg(feature = "run")]
pub mod arm;
#[cfg(feature = "emulator")]
pub mod call;
pub mod corpus;
#[cfg(feature = "run")]
pub mod example;
pub mod fixtures;
pub mod params;
pub mod procedures;
#[cfg(feature = "emulator")]
pub mod quickstart;
#[cfg(feature = "emulator")]
pub mod served;

#[cfg(feature = "run")]
pub use arm::InProcessArm;
#[cfg(feature = "emulator")]
pub use call::{Call, SUB, call, call_as, rg};
pub use corpus::{
    corpus, example_dir, example_files, expectation_mismatch, expectations, files_named,
    quickstart_dirs, repo_root,
};
pub use fixtures::{estate_fixture, estate_fixtures};
pub use params::{
    parameters_file, placeholder, quickstart_parameters, supply_required, synthesize,
    synthesize_named,
};
#[cfg(feature = "emulator")]
pub use quickstart::{
    Deployed, Quickstart, Target, deploy_quickstart, quickstart_emulator, quickstarts,
};
#[cfg(feature = "emulator")]
pub use served::{Background, Served, Transport, http1, tls_client};
