//! Values of the templates' secure parameters: from a file the operator
//! gives (a JSON object `{"name": value}` or an ARM parameters file), then
//! from the environment (`AZRELO_PARAM_<name>`). The values are only ever
//! handed to the engine, which sends them to ARM; nothing here prints them.

use std::collections::HashMap;
use std::path::Path;

use azrelo_orchestrate::RunPlan;
use serde_json::Value;

use crate::RunError;

/// The environment variable prefix of a secure parameter's value.
pub const ENV_PREFIX: &str = "AZRELO_PARAM_";

/// Secure parameter values: `file`'s, then `AZRELO_PARAM_<name>` for every
/// secure parameter of the run (the environment wins).
pub fn secure_parameters(
    plan: &RunPlan,
    file: Option<&Path>,
) -> Result<HashMap<String, Value>, RunError> {
    secure_parameters_from(plan, file, |name| std::env::var(name).ok())
}

/// [`secure_parameters`] with the environment given as a function.
pub fn secure_parameters_from(
    plan: &RunPlan,
    file: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<HashMap<String, Value>, RunError> {
    let mut out = match file {
        Some(f) => read_file(f)?,
        None => HashMap::new(),
    };
    for d in plan.units.iter().filter_map(|u| u.deploy.as_ref()) {
        for p in &d.secure_params {
            let var = format!("{ENV_PREFIX}{p}");
            let Some(v) = env(&var) else { continue };
            let value = if is_object_param(d, p) {
                // A secureObject's value is JSON; the text is not shown.
                match serde_json::from_str::<Value>(&v) {
                    Ok(o @ Value::Object(_)) => o,
                    _ => {
                        return Err(RunError::bad_input(
                            format!(
                                "{var} is not a JSON object, and {p} is a secureObject parameter"
                            ),
                            format!(
                                "set {var} to the object's JSON text, e.g. '{{\"key\": \"value\"}}'"
                            ),
                        ));
                    }
                }
            } else {
                Value::String(v)
            };
            out.insert(p.clone(), value);
        }
    }
    Ok(out)
}

/// Whether a deployment declares `name` as a `secureObject`.
pub fn is_object_param(d: &azrelo_orchestrate::model::DeploySpec, name: &str) -> bool {
    d.param_decls
        .get(name)
        .and_then(|decl| decl.get("type"))
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("secureObject"))
}

/// `{"name": value}` or an ARM parameters file (`{"parameters": {"name":
/// {"value": …}}}`).
fn read_file(f: &Path) -> Result<HashMap<String, Value>, RunError> {
    let bytes = std::fs::read(f).map_err(|e| {
        RunError::bad_input(
            format!("cannot read {}: {e}", f.display()),
            "pass a readable JSON file",
        )
    })?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
        // The content may be secret: the position, not the text.
        RunError::bad_input(
            format!(
                "{} is not valid JSON (line {}, column {})",
                f.display(),
                e.line(),
                e.column()
            ),
            "use {\"name\": value} or an ARM parameters file",
        )
    })?;
    let shape = |what: String| {
        RunError::bad_input(
            format!("{}: {what}", f.display()),
            "use {\"name\": value} or an ARM parameters file {\"parameters\": {\"name\": {\"value\": …}}}",
        )
    };
    let Some(top) = v.as_object() else {
        return Err(shape("not a JSON object".into()));
    };
    let mut out = HashMap::new();
    match top.get("parameters") {
        // An ARM parameters file: every entry is {"value": …}.
        Some(p) => {
            let Some(entries) = p.as_object() else {
                return Err(shape("'parameters' is not an object".into()));
            };
            for (k, e) in entries {
                match e.as_object().and_then(|m| m.get("value")) {
                    Some(x) => {
                        out.insert(k.clone(), x.clone());
                    }
                    None if e.get("reference").is_some() => {
                        return Err(shape(format!(
                            "parameter '{k}' is a Key Vault reference: give its value here (azrelo sends secure values to ARM itself)"
                        )));
                    }
                    None => {
                        return Err(shape(format!(
                            "parameter '{k}' has no 'value' (write \"{k}\": {{\"value\": …}})"
                        )));
                    }
                }
            }
        }
        // A plain {"name": value} object.
        None => {
            for (k, v) in top {
                if k == "$schema" || k == "contentVersion" {
                    continue;
                }
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_files_and_plain_objects_are_read_and_bad_json_names_no_content() {
        let dir = tempfile::tempdir().unwrap();
        let arm = dir.path().join("p.json");
        std::fs::write(
            &arm,
            r#"{"$schema": "x", "contentVersion": "1.0.0.0",
                "parameters": {"a": {"value": "s3cret"}, "b": {"value": 1, "x": 2}}}"#,
        )
        .unwrap();
        let m = read_file(&arm).unwrap();
        assert_eq!(m["a"], "s3cret");
        assert_eq!(m["b"], serde_json::json!(1));
        assert_eq!(m.len(), 2);
        let plain = dir.path().join("q.json");
        std::fs::write(&plain, r#"{"c": "v"}"#).unwrap();
        assert_eq!(read_file(&plain).unwrap()["c"], "v");
        let bad = dir.path().join("r.json");
        std::fs::write(&bad, r#"{"c": "top-secret"#).unwrap();
        let e = read_file(&bad).unwrap_err().to_string();
        assert!(e.contains("line 1") && !e.contains("top-secret"), "{e}");
        // Issue #18: wrong shapes are errors naming the entry.
        for (text, want) in [
            (r#"[1, 2, 3]"#, "not a JSON object"),
            (r#"{"parameters": [1]}"#, "'parameters' is not an object"),
            (
                r#"{"parameters": {"a": "s3cret"}}"#,
                "parameter 'a' has no 'value'",
            ),
            (
                r#"{"parameters": {"a": {"reference": {"keyVault": {"id": "x"}, "secretName": "s"}}}}"#,
                "Key Vault reference",
            ),
        ] {
            std::fs::write(&bad, text).unwrap();
            let e = read_file(&bad).unwrap_err().to_string();
            assert!(e.contains(want) && !e.contains("s3cret"), "{text}: {e}");
        }
    }
}
