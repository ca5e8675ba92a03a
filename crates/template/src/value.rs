//! Runtime values of the ARM template language.

use indexmap::IndexMap;

/// An ARM template value.
///
/// ARM has string, int, bool, array, object and null; `secureString` and
/// `secureObject` are parameter *types* whose values are strings and objects
/// (the engine tracks secrecy on parameters, not on values).
///
/// [`Value::Unknown`] is azrelo's addition: the value of a runtime-only
/// expression (`reference()`, `list*()`, `newGuid()` outside a default, …) that
/// cannot be known offline. It keeps the original expression text so outputs can
/// show it, and it propagates: any function applied to an unknown yields an
/// unknown (except where the result does not depend on it, e.g. `if(true(), 1,
/// unknown)` or `empty(...)`-style checks that a function documents).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    String(String),
    Array(Vec<Value>),
    /// Key order is preserved; key lookup in ARM is case-insensitive.
    Object(IndexMap<String, Value>),
    Unknown(Unknown),
}

/// A value that only Azure can compute at deployment time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// The (sub)expression that produced it, e.g. `reference('kv').vaultUri`.
    pub expr: String,
}
