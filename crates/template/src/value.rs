//! Runtime values of the ARM template language.

use indexmap::IndexMap;
use std::fmt;

/// An ARM template value.
///
/// ARM has string, int, bool, array, object and null; `secureString` and
/// `secureObject` are parameter *types* whose values are strings and objects
/// (the engine tracks secrecy on parameters, not on values). JSON floats,
/// which ARM passes through but cannot compute with, are kept as
/// [`Value::Float`].
///
/// [`Value::Unknown`] is azrelo's addition: the value of a runtime-only
/// expression (`reference()`, `list*()`, …) that cannot be known offline. It
/// keeps the original expression text and propagates through functions.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
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

/// Marker key used when an unknown value is rendered as JSON.
pub const UNKNOWN_MARKER: &str = "$azrelo.unknown";

impl Value {
    /// ARM's name for the value's type, as used in its error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "Null",
            Value::Bool(_) => "Boolean",
            Value::Int(_) => "Integer",
            Value::Float(_) => "Float",
            Value::String(_) => "String",
            Value::Array(_) => "Array",
            Value::Object(_) => "Object",
            Value::Unknown(_) => "Unknown",
        }
    }

    pub fn unknown(expr: impl Into<String>) -> Value {
        Value::Unknown(Unknown { expr: expr.into() })
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// True when the value is or contains an unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::Array(a) => a.iter().any(Value::contains_unknown),
            Value::Object(o) => o.values().any(Value::contains_unknown),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&IndexMap<String, Value>> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Case-insensitive property lookup (ARM semantics).
    pub fn get(&self, key: &str) -> Option<&Value> {
        let o = self.as_object()?;
        o.get(key).or_else(|| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
    }

    /// Convert from JSON.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::Array(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| {
                        if k == UNKNOWN_MARKER {
                            return (k.clone(), Value::from_json(v));
                        }
                        (k.clone(), Value::from_json(v))
                    })
                    .collect(),
            )
            .undo_unknown_marker(),
        }
    }

    fn undo_unknown_marker(self) -> Value {
        if let Value::Object(o) = &self
            && o.len() == 1
            && let Some(Value::String(e)) = o.get(UNKNOWN_MARKER)
        {
            return Value::unknown(e.clone());
        }
        self
    }

    /// Convert to JSON. Unknowns become `{"$azrelo.unknown": "<expr>"}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::Number((*i).into()),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Value::to_json).collect()),
            Value::Object(o) => {
                serde_json::Value::Object(o.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            Value::Unknown(u) => {
                let mut m = serde_json::Map::new();
                m.insert(
                    UNKNOWN_MARKER.to_string(),
                    serde_json::Value::String(u.expr.clone()),
                );
                serde_json::Value::Object(m)
            }
        }
    }

    /// ARM's `string()` rendering: strings as is, everything else as compact JSON.
    pub fn to_arm_string(&self) -> String {
        match self {
            Value::String(s) => s.clone(),
            Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            Value::Null => String::new(),
            Value::Unknown(u) => format!("[{}]", u.expr),
            other => serde_json::to_string(&other.to_json()).unwrap_or_default(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_arm_string())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
