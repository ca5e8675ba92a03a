//! # azrelo-template — an offline ARM template engine
//!
//! (crate documentation to be completed by the engine's owners)

pub mod context;
pub mod value;
