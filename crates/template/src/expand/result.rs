//! What an expansion returns: the concrete resources, outputs, what stayed
//! symbolic, warnings, and the secret values [`Expanded::redact`] masks.

use crate::value::Value;
use indexmap::IndexMap;
use serde::Serialize;

/// A concrete resource of the deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpandedResource {
    /// Full ARM resource id.
    pub id: String,
    /// Full type, e.g. `Microsoft.Sql/servers/databases`.
    #[serde(rename = "type")]
    pub resource_type: String,
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Full name as templates write it (`server/db`).
    pub name: String,
    #[serde(rename = "symbolicName", skip_serializing_if = "Option::is_none")]
    pub symbolic_name: Option<String>,
    /// Evaluated location (may be unknown or absent).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_value"
    )]
    pub location: Option<Value>,
    /// Every other top-level field, evaluated: `properties`, `sku`, `kind`,
    /// `identity`, `tags`, `zones`, `plan`, `extendedLocation`, `scope`, …
    #[serde(serialize_with = "ser_map")]
    pub body: IndexMap<String, Value>,
    /// Resolved explicit (and `reference`-by-name) dependencies, as resource ids.
    #[serde(rename = "dependsOn")]
    pub depends_on: Vec<String>,
    /// The `condition` outcome (resources with `false` are listed but not deployed).
    pub condition: bool,
    /// Which nested deployment it came from (`""` for the top level, else `a/b`).
    pub deployment: String,
    #[serde(rename = "copyIndex", skip_serializing_if = "Option::is_none")]
    pub copy_index: Option<i64>,
}

impl ExpandedResource {
    /// The evaluated `properties`, if any.
    pub fn properties(&self) -> Option<&Value> {
        self.body.get("properties")
    }
}

fn ser_map<S: serde::Serializer>(m: &IndexMap<String, Value>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(m.len()))?;
    for (k, v) in m {
        map.serialize_entry(k, &v.to_json())?;
    }
    map.end()
}

fn ser_opt_value<S: serde::Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => v.to_json().serialize(s),
        None => s.serialize_none(),
    }
}

/// A runtime-only value left symbolic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    /// Resource id, or `outputs.<name>`.
    pub owner: String,
    /// The original expression text.
    pub expression: String,
}

/// The result of an expansion.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Expanded {
    pub resources: Vec<ExpandedResource>,
    #[serde(serialize_with = "ser_map")]
    pub outputs: IndexMap<String, Value>,
    pub unresolved: Vec<Unresolved>,
    /// Non-fatal observations (ignored parameters, unresolvable dependsOn, …).
    pub warnings: Vec<String>,
    /// Parameters that had neither a value nor a default and were kept
    /// symbolic ([`MissingParameters::Symbolic`](super::MissingParameters));
    /// a nested deployment's as `deployment/path:name`.
    #[serde(rename = "missingParameters", skip_serializing_if = "Vec::is_empty")]
    pub missing_parameters: Vec<String>,
    /// Values of secure parameters (`secureString`, string leaves of
    /// `secureObject`), for [`Expanded::redact`]. Never serialized.
    #[serde(skip)]
    pub secrets: Vec<String>,
    /// What the expansion used of its [`Limits`](crate::limits::Limits).
    #[serde(skip)]
    pub usage: crate::limits::Usage,
}

/// What replaces a secret value in redacted output.
pub const REDACTED: &str = "***";

impl Expanded {
    /// Replace every secure parameter value in resources, outputs and
    /// warnings with `***`: exact matches always, and occurrences inside longer
    /// strings (connection strings, scripts) for values of 6 or more
    /// characters. Outputs of type `secureString`/`secureObject` are masked
    /// whole. Call before showing or writing an expansion anywhere.
    pub fn redact(&mut self) {
        let mut secrets: Vec<String> = self
            .secrets
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        if secrets.is_empty() {
            return;
        }
        let fix = |v: &mut Value| redact_value(v, &secrets);
        for r in &mut self.resources {
            if let Some(l) = &mut r.location {
                fix(l);
            }
            for v in r.body.values_mut() {
                fix(v);
            }
        }
        for v in self.outputs.values_mut() {
            fix(v);
        }
        for w in &mut self.warnings {
            *w = redact_str(w, &secrets);
        }
    }
}

fn redact_str(s: &str, secrets: &[String]) -> String {
    let mut out = s.to_string();
    for sec in secrets {
        if out == *sec {
            return REDACTED.to_string();
        }
        if sec.chars().count() >= 6 && out.contains(sec.as_str()) {
            out = out.replace(sec.as_str(), REDACTED);
        }
    }
    out
}

fn redact_value(v: &mut Value, secrets: &[String]) {
    match v {
        Value::String(s) => *s = redact_str(s, secrets),
        Value::Array(a) => a.iter_mut().for_each(|x| redact_value(x, secrets)),
        Value::Object(o) => o.values_mut().for_each(|x| redact_value(x, secrets)),
        _ => {}
    }
}

/// Every string leaf of a value (the parts of a secure value to redact).
pub(super) fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}
