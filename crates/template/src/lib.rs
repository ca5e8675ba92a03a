//! # azrelo-template — an offline ARM template engine
//!
//! Owns the ARM template language: lenient JSON, the expression language, the
//! function library and template expansion. Under construction: only the value
//! model is in place; the evaluator boundary (`context.rs`) is a draft that is
//! not compiled yet.

pub mod value;
