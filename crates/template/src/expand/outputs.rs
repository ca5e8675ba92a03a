//! The `outputs` section: conditions, output `copy` loops, coercion to the
//! declared type, secure outputs masked, unknowns listed.

use super::frame::Cx;
use super::result::{REDACTED, Unresolved, collect_strings};
use crate::eval::{self, EvalError, LoopContext};
use crate::limits::ARM_MAX_OUTPUTS;
use crate::value::Value;
use indexmap::IndexMap;

impl Cx<'_, '_> {
    /// Evaluate this frame's outputs.
    pub(super) fn outputs(&mut self) -> Result<IndexMap<String, Value>, EvalError> {
        let doc = self.fr().doc.clone();
        let mut outputs = IndexMap::new();
        let Some(o) = doc.get("outputs").and_then(|o| o.as_object()) else {
            return Ok(outputs);
        };
        if o.len() > ARM_MAX_OUTPUTS {
            return Err(EvalError::new(format!(
                "the template declares {} outputs; ARM allows at most {ARM_MAX_OUTPUTS}",
                o.len()
            ))
            .at_path("$.outputs"));
        }
        for (name, out) in o {
            let path = format!("$.outputs.{name}");
            if let Some(c) = out.get("condition")
                && eval::evaluate_json(c, self, &format!("{path}.condition"))? == Value::Bool(false)
            {
                continue;
            }
            self.fm().unknowns.clear();
            let value = match out.get("copy") {
                Some(copy) => match self.output_copy(copy, &path)? {
                    Some(items) => items,
                    None => {
                        outputs.insert(
                            name.clone(),
                            Value::unknown(format!("copy count of output '{name}'")),
                        );
                        continue;
                    }
                },
                None => eval::evaluate_json(
                    out.get("value").unwrap_or(&serde_json::Value::Null),
                    self,
                    &format!("{path}.value"),
                )?,
            };
            let value = coerce_output(out, value);
            let secure_output = out.get("type").and_then(|t| t.as_str()).is_some_and(|t| {
                t.eq_ignore_ascii_case("securestring") || t.eq_ignore_ascii_case("secureobject")
            });
            let value = if secure_output {
                let mut found = Vec::new();
                collect_strings(&value, &mut found);
                self.eng.out.secrets.extend(found);
                Value::String(REDACTED.to_string())
            } else {
                value
            };
            let unknowns = std::mem::take(&mut self.fm().unknowns);
            let owner = if self.fr().deployment_path.is_empty() {
                format!("outputs.{name}")
            } else {
                format!("{}:outputs.{name}", self.fr().deployment_path)
            };
            for expression in unknowns {
                self.eng.out.unresolved.push(Unresolved {
                    owner: owner.clone(),
                    expression,
                });
            }
            outputs.insert(name.clone(), value);
        }
        Ok(outputs)
    }

    /// An output `copy` loop: the array of its inputs, or `None` when the
    /// count is only known at deployment time.
    fn output_copy(
        &mut self,
        copy: &serde_json::Value,
        path: &str,
    ) -> Result<Option<Value>, EvalError> {
        let count = eval::copy_count(
            copy.get("count").unwrap_or(&serde_json::Value::Null),
            self,
            &format!("{path}.copy.count"),
        )?;
        let Some(count) = count else {
            return Ok(None);
        };
        let input = copy.get("input").unwrap_or(&serde_json::Value::Null);
        let mut items = Vec::new();
        for index in 0..count {
            let mut lc = LoopContext {
                outer: self,
                name: "",
                index,
                property_loop: false,
            };
            items.push(eval::evaluate_json(
                input,
                &mut lc,
                &format!("{path}.copy.input"),
            )?);
        }
        Ok(Some(Value::Array(items)))
    }
}

/// An output value coerced to its declared type where ARM converts.
fn coerce_output(decl: &serde_json::Value, v: Value) -> Value {
    let t = decl
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match (t.as_str(), v) {
        ("int", Value::String(s)) => s.parse().map(Value::Int).unwrap_or(Value::String(s)),
        ("bool", Value::String(s)) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
        ("bool", Value::String(s)) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
        ("string", Value::Int(i)) => Value::String(i.to_string()),
        (_, v) => v,
    }
}
