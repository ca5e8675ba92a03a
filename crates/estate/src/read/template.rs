//! Templates and their parameters files: parameter values, expansion at
//! the inputs' placement, and the resources a template yields.

use super::*;

/// The parameter values of a deployment parameters file: `value`s taken
/// literally, Key Vault `reference`s as symbolic unknowns. A file of the
/// wrong shape (no `parameters` object, an entry that is not an object
/// with `value` or `reference`) is an error naming the entry.
pub fn parameter_values(doc: &Value, file: &str) -> Result<IndexMap<String, Value>, LoadError> {
    let mut parameters = IndexMap::new();
    let Some(entries) = doc.get("parameters").and_then(Value::as_object) else {
        return Err(err(
            file,
            Some("$.parameters".into()),
            "not a deployment parameters file: no 'parameters' object (expected {\"parameters\": {\"name\": {\"value\": …}}})",
        ));
    };
    for (k, pv) in entries {
        if let Some(val) = pv.get("value") {
            parameters.insert(k.clone(), val.clone());
        } else if pv.get("reference").is_some() {
            let mut m = serde_json::Map::new();
            m.insert(
                azrelo_template::value::UNKNOWN_MARKER.to_string(),
                Value::String(format!("Key Vault reference for parameter '{k}'")),
            );
            parameters.insert(k.clone(), Value::Object(m));
        } else {
            return Err(err(
                file,
                Some(format!("$.parameters.{k}")),
                format!(
                    "parameter '{k}' has neither 'value' nor 'reference' (write {{\"value\": …}})"
                ),
            ));
        }
    }
    Ok(parameters)
}

pub(super) fn read_template(
    estate: &mut Estate,
    d: &Doc,
    params: Option<(&Value, &str)>,
    opts: &LoadOptions,
) -> Result<(), LoadError> {
    let file = d.name.clone();
    let limits = azrelo_template::Limits::default();
    limits
        .check_template_size(d.bytes as u64)
        .map_err(|e| err(&file, None, e.to_string()))?;
    let template = Template {
        doc: std::rc::Rc::new(d.value.clone()),
        file: file.clone(),
    };
    let parameters = match params {
        Some((p, pfile)) => parameter_values(p, pfile)?,
        None => IndexMap::new(),
    };
    let dir = d.path.as_deref().and_then(Path::parent);
    let resource_group = if opts.resource_group.contains("{dir}") {
        let name = dir
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "template".into());
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '_' | '(' | ')' | '-' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        opts.resource_group
            .replace("{dir}", name.trim_end_matches('.'))
    } else {
        opts.resource_group.clone()
    };
    let options = ExpandOptions {
        context: DeploymentContext {
            subscription_id: opts.subscription.clone(),
            resource_group,
            resource_group_location: opts.location.clone(),
            location: opts.location.clone(),
            ..Default::default()
        },
        parameters,
        base_dir: dir.map(Path::to_path_buf),
        // Where the template was read from, as `templateLink.uri`: the
        // quickstarts' `_artifactsLocation` defaults to
        // `deployment().properties.templateLink.uri`, which ARM refuses
        // for a template that was not deployed by link.
        template_link: Some(template_location(d)),
        limits,
        missing_parameters: opts.missing_parameters,
        ..Default::default()
    };
    let mut x = expand(&template, &options).map_err(|e| {
        // The error names the file it is in (a linked template's own).
        let (in_file, message) = match &e {
            azrelo_template::expand::ExpandError::Template { file, error } => {
                (file.clone(), error.to_string())
            }
            other => (file.clone(), other.to_string()),
        };
        let hint = if message.contains("parameter") {
            " (supply parameters with a X.parameters.json file beside the template)"
        } else {
            ""
        };
        err(&in_file, None, format!("{message}{hint}"))
    })?;
    // Secure parameter values never enter the estate.
    x.redact();
    if !x.missing_parameters.is_empty() {
        estate.warnings.push(Warning {
            file: file.clone(),
            path: "$.parameters".into(),
            message: format!(
                "no value for parameter(s) {}: kept symbolic (supply them in a X.parameters.json beside the template for concrete names)",
                x.missing_parameters.join(", ")
            ),
        });
    }
    for w in &x.warnings {
        estate.warnings.push(Warning {
            file: file.clone(),
            path: "$".into(),
            message: w.clone(),
        });
    }
    for (i, r) in x.resources.iter().enumerate() {
        if !r.condition {
            continue;
        }
        let mut o = serde_json::Map::new();
        o.insert("id".into(), Value::String(r.id.clone()));
        o.insert("type".into(), Value::String(r.resource_type.clone()));
        o.insert("name".into(), Value::String(r.name.clone()));
        if let Some(l) = &r.location {
            o.insert("location".into(), l.to_json());
        }
        for (k, val) in &r.body {
            o.insert(k.clone(), val.to_json());
        }
        o.insert("apiVersion".into(), Value::String(r.api_version.clone()));
        o.insert(
            "dependsOn".into(),
            Value::Array(r.depends_on.iter().cloned().map(Value::String).collect()),
        );
        ingest(
            estate,
            &Value::Object(o),
            prov(
                &file,
                format!("resources[{i}] ({})", r.name),
                InputKind::Template,
            ),
        );
    }
    Ok(())
}
