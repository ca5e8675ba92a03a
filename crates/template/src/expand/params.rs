//! Parameters (values taken literally, defaults evaluated, declarations
//! checked), variables (lazy, with cycle detection and `copy`) and
//! user-defined functions of one frame.

use super::MissingParameters;
use super::frame::{Cx, ParamInput, Slot};
use super::result::{Unresolved, collect_strings};
use crate::eval::{self, EvalError, UserFunction};
use crate::limits::{ARM_MAX_PARAMETERS, ARM_MAX_VARIABLES};
use crate::value::Value;
use std::collections::{HashMap, HashSet};

impl Cx<'_, '_> {
    /// Declare the `parameters` section, warn about values nothing declares,
    /// and evaluate every parameter now so missing values fail early.
    pub(super) fn declare_parameters(&mut self) -> Result<(), EvalError> {
        let doc = self.fr().doc.clone();
        if let Some(p) = doc.get("parameters").and_then(|p| p.as_object()) {
            if p.len() > ARM_MAX_PARAMETERS {
                return Err(EvalError::new(format!(
                    "the template declares {} parameters; ARM allows at most {ARM_MAX_PARAMETERS}",
                    p.len()
                ))
                .at_path("$.parameters"));
            }
            let frame = self.fm();
            for (k, decl) in p {
                let t = decl
                    .get("type")
                    .and_then(|t| t.as_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if t == "securestring" || t == "secureobject" {
                    frame.secure.insert(k.to_ascii_lowercase());
                }
                frame
                    .params
                    .insert(k.to_ascii_lowercase(), (k.clone(), Slot::Pending));
            }
        }
        let declared: HashSet<&String> = self.fr().params.keys().collect();
        let extra: Vec<String> = self
            .fr()
            .params_in
            .keys()
            .filter(|k| !declared.contains(&k.to_ascii_lowercase()))
            .cloned()
            .collect();
        for k in extra {
            self.warn(format!(
                ": the parameter '{k}' is not declared by the template and was ignored"
            ));
        }
        // In declaration order, so the first missing value is the one reported.
        let names: Vec<&String> = doc
            .get("parameters")
            .and_then(|p| p.as_object())
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        for n in names {
            eval::Context::parameter(self, n)?;
        }
        Ok(())
    }

    /// Declare the `variables` section (evaluated on first use).
    pub(super) fn declare_variables(&mut self) -> Result<(), EvalError> {
        let doc = self.fr().doc.clone();
        let Some(v) = doc.get("variables").and_then(|v| v.as_object()) else {
            return Ok(());
        };
        let count = v.len() - usize::from(v.contains_key("copy"))
            + v.get("copy")
                .and_then(|c| c.as_array())
                .map_or(0, |c| c.len());
        if count > ARM_MAX_VARIABLES {
            return Err(EvalError::new(format!(
                "the template declares {count} variables; ARM allows at most {ARM_MAX_VARIABLES}"
            ))
            .at_path("$.variables"));
        }
        let frame = self.fm();
        for (k, _) in v {
            if k.eq_ignore_ascii_case("copy") {
                continue;
            }
            frame
                .vars
                .insert(k.to_ascii_lowercase(), (k.clone(), Slot::Pending));
        }
        if let Some(copies) = v.get("copy").and_then(|c| c.as_array()) {
            for c in copies {
                if let Some(name) = c.get("name").and_then(|n| n.as_str()) {
                    frame
                        .var_copies
                        .insert(name.to_ascii_lowercase(), c.clone());
                    frame
                        .vars
                        .insert(name.to_ascii_lowercase(), (name.to_string(), Slot::Pending));
                }
            }
        }
        Ok(())
    }

    /// Declare the `functions` section (user-defined functions by `namespace.name`).
    pub(super) fn declare_functions(&mut self) {
        let doc = self.fr().doc.clone();
        let Some(fs) = doc.get("functions").and_then(|f| f.as_array()) else {
            return;
        };
        for ns in fs {
            let nsname = ns.get("namespace").and_then(|n| n.as_str()).unwrap_or("");
            let Some(members) = ns.get("members").and_then(|m| m.as_object()) else {
                continue;
            };
            for (mname, m) in members {
                let parameters = m
                    .get("parameters")
                    .and_then(|p| p.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                let output = m
                    .get("output")
                    .and_then(|o| o.get("value"))
                    .cloned()
                    .unwrap_or(serde_json::Value::Null);
                self.fm().functions.insert(
                    format!(
                        "{}.{}",
                        nsname.to_ascii_lowercase(),
                        mname.to_ascii_lowercase()
                    ),
                    UserFunction { parameters, output },
                );
            }
        }
    }

    /// The value of a declared parameter of this frame (`key` lower case).
    pub(super) fn param_value(&mut self, key: &str) -> Result<Value, EvalError> {
        let name = match self.begin(Lazy::Parameter, key)? {
            Begun::Done(v) => return Ok(v),
            Begun::Evaluate(name) => name,
        };
        let doc = self.fr().doc.clone();
        let decl = &doc["parameters"][&name];
        let path = format!("$.parameters.{name}");
        let provided = self
            .fr()
            .params_in
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.clone());
        let value = match provided {
            Some(ParamInput::Literal(v)) => Value::from_json(&v),
            // A null value passed to a nested deployment counts as not given
            // (the default applies), which Bicep modules rely on.
            Some(ParamInput::Value(v))
                if v != Value::Null || decl.get("defaultValue").is_none() =>
            {
                v
            }
            _ => match decl.get("defaultValue") {
                Some(d) => {
                    let was = self.fr().in_default;
                    self.fm().in_default = true;
                    let r = eval::evaluate_json(d, self, &format!("{path}.defaultValue"));
                    self.fm().in_default = was;
                    r?
                }
                None if decl.get("nullable").and_then(|n| n.as_bool()) == Some(true) => Value::Null,
                None if self.eng.missing == MissingParameters::Symbolic => {
                    self.missing_parameter(&name)
                }
                None => {
                    return Err(EvalError::new(format!(
                        "the template parameter '{name}' has no value: supply it in a parameters file or with --param {name}=VALUE"
                    ))
                    .at_path(&path));
                }
            },
        };
        let secure = self.fr().secure.contains(key);
        let value = check_param(&name, decl, value, secure, &doc).map_err(|e| e.at_path(&path))?;
        if secure {
            let mut found = Vec::new();
            collect_strings(&value, &mut found);
            self.eng.out.secrets.extend(found);
        }
        self.finish(Lazy::Parameter, key, name, value)
    }

    /// The slots of parameters or variables.
    fn slots(&mut self, kind: Lazy) -> &mut HashMap<String, (String, Slot)> {
        match kind {
            Lazy::Parameter => &mut self.fm().params,
            Lazy::Variable => &mut self.fm().vars,
        }
    }

    /// Start evaluating a parameter or variable: its cached value, or its
    /// declared name (marked in progress, so a cycle is reported).
    fn begin(&mut self, kind: Lazy, key: &str) -> Result<Begun, EvalError> {
        let (what, section, cycle) = match kind {
            Lazy::Parameter => (
                "parameter",
                "parameters",
                "the default values of parameters",
            ),
            Lazy::Variable => ("variable", "variables", "the variables"),
        };
        let Some((name, slot)) = self.slots(kind).get(key).cloned() else {
            return Err(EvalError::new(format!(
                "the template {what} '{key}' is not found; declare it in the '{section}' section"
            )));
        };
        match slot {
            Slot::Done(v) => Ok(Begun::Done(v)),
            Slot::InProgress => Err(EvalError::new(format!(
                "{cycle} form a cycle through '{name}'"
            ))),
            Slot::Pending => {
                self.slots(kind)
                    .insert(key.to_string(), (name.clone(), Slot::InProgress));
                Ok(Begun::Evaluate(name))
            }
        }
    }

    /// Cache an evaluated parameter or variable.
    fn finish(
        &mut self,
        kind: Lazy,
        key: &str,
        name: String,
        value: Value,
    ) -> Result<Value, EvalError> {
        self.slots(kind)
            .insert(key.to_string(), (name, Slot::Done(value.clone())));
        Ok(value)
    }

    /// A parameter without value or default, kept symbolic and listed.
    fn missing_parameter(&mut self, name: &str) -> Value {
        let expression = format!("parameters('{name}')");
        let dp = &self.fr().deployment_path;
        let (listed, owner) = if dp.is_empty() {
            (name.to_string(), format!("parameters.{name}"))
        } else {
            (format!("{dp}:{name}"), format!("{dp}:parameters.{name}"))
        };
        self.eng.out.missing_parameters.push(listed);
        self.eng.out.unresolved.push(Unresolved {
            owner,
            expression: expression.clone(),
        });
        Value::unknown(expression)
    }

    /// The value of a variable of this frame (`key` lower case).
    pub(super) fn var_value(&mut self, key: &str) -> Result<Value, EvalError> {
        let name = match self.begin(Lazy::Variable, key)? {
            Begun::Done(v) => return Ok(v),
            Begun::Evaluate(name) => name,
        };
        let doc = self.fr().doc.clone();
        let value = if let Some(spec) = self.fr().var_copies.get(key).cloned() {
            let arr = serde_json::Value::Array(vec![spec]);
            let mut items = eval::property_copy(&arr, self, "$.variables.copy")?;
            items.pop().map(|(_, v)| v).unwrap_or(Value::Null)
        } else {
            let v = &doc["variables"][&name];
            eval::evaluate_json(v, self, &format!("$.variables.{name}"))?
        };
        self.finish(Lazy::Variable, key, name, value)
    }
}

/// The lazily evaluated sections.
#[derive(Clone, Copy)]
enum Lazy {
    Parameter,
    Variable,
}

/// Where [`Cx::begin`] leaves a parameter or variable.
enum Begun {
    Done(Value),
    Evaluate(String),
}

/// Check and coerce a parameter value against its declaration.
fn check_param(
    name: &str,
    decl: &serde_json::Value,
    v: Value,
    secure: bool,
    doc: &serde_json::Value,
) -> Result<Value, EvalError> {
    let show = |v: &Value| {
        if secure {
            "(secure value)".to_string()
        } else {
            let s = v.to_arm_string();
            if s.chars().count() > 80 {
                format!("{}…", s.chars().take(80).collect::<String>())
            } else {
                s
            }
        }
    };
    if v.is_unknown() {
        return Ok(v);
    }
    let mut decl = decl.clone();
    // User-defined types: follow a $ref into `definitions`.
    let mut hops = 0;
    while let Some(r) = decl.get("$ref").and_then(|r| r.as_str()) {
        hops += 1;
        let Some(key) = r.strip_prefix("#/definitions/") else {
            break;
        };
        match doc.get("definitions").and_then(|d| d.get(key)) {
            Some(d) if hops < 16 => {
                let nullable = decl.get("nullable").cloned();
                decl = d.clone();
                if let (Some(n), Some(o)) = (nullable, decl.as_object_mut()) {
                    o.insert("nullable".into(), n);
                }
            }
            _ => {
                return Err(EvalError::new(format!(
                    "the parameter '{name}' refers to the undefined type '{r}'"
                )));
            }
        }
    }
    let t = decl
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if v == Value::Null && decl.get("nullable").and_then(|n| n.as_bool()) == Some(true) {
        return Ok(v);
    }
    let v = match (t.as_str(), v) {
        ("int", Value::String(s)) => s.trim().parse::<i64>().map(Value::Int).map_err(|_| {
            EvalError::new(format!(
                "the value '{}' of the parameter '{name}' is not an integer",
                if secure {
                    "(secure value)".into()
                } else {
                    s.clone()
                }
            ))
        })?,
        ("bool", Value::String(s)) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
        ("bool", Value::String(s)) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
        (t, v) => {
            let ok = match t {
                "string" | "securestring" => matches!(v, Value::String(_)),
                "int" => matches!(v, Value::Int(_)),
                "bool" => matches!(v, Value::Bool(_)),
                "object" | "secureobject" => matches!(v, Value::Object(_)),
                "array" => matches!(v, Value::Array(_)),
                _ => true,
            };
            if !ok {
                return Err(EvalError::new(format!(
                    "the parameter '{name}' expects a value of type '{t}', but got a value of type '{}'",
                    v.type_name()
                )));
            }
            v
        }
    };
    if let Some(allowed) = decl.get("allowedValues").and_then(|a| a.as_array()) {
        let allowed: Vec<Value> = allowed.iter().map(Value::from_json).collect();
        let fits = |x: &Value| {
            allowed.iter().any(|a| match (a, x) {
                (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
                (a, b) => a == b,
            })
        };
        let ok = match &v {
            Value::Array(items) if t == "array" => items.iter().all(fits),
            other => fits(other),
        };
        if !ok {
            return Err(EvalError::new(format!(
                "the value {} of the parameter '{name}' is not one of the allowed values",
                show(&v)
            )));
        }
    }
    let len = match &v {
        Value::String(s) => Some(s.chars().count() as i64),
        Value::Array(a) => Some(a.len() as i64),
        _ => None,
    };
    if let Some(len) = len {
        if let Some(min) = decl.get("minLength").and_then(|m| m.as_i64())
            && len < min
        {
            return Err(EvalError::new(format!(
                "the parameter '{name}' must have a length of at least {min} (it has {len})"
            )));
        }
        if let Some(max) = decl.get("maxLength").and_then(|m| m.as_i64())
            && len > max
        {
            return Err(EvalError::new(format!(
                "the parameter '{name}' must have a length of at most {max} (it has {len})"
            )));
        }
    }
    if let Value::Int(i) = v {
        if let Some(min) = decl.get("minValue").and_then(|m| m.as_i64())
            && i < min
        {
            return Err(EvalError::new(format!(
                "the parameter '{name}' must be at least {min} (it is {})",
                show(&v)
            )));
        }
        if let Some(max) = decl.get("maxValue").and_then(|m| m.as_i64())
            && i > max
        {
            return Err(EvalError::new(format!(
                "the parameter '{name}' must be at most {max} (it is {})",
                show(&v)
            )));
        }
    }
    Ok(v)
}
