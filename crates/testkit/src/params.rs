//! Parameter values for corpus templates as the quickstarts' CI gives them:
//! `GEN-*` placeholders filled, parameter files read, and plausible values
//! synthesized for required parameters without one.

use std::path::Path;

use indexmap::IndexMap;
use serde_json::{Value, json};

fn next_unique() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed) % 10_000
}

/// A value for a quickstart `GEN-*` placeholder (the quickstarts' CI fills
/// these; the exact values do not matter offline, only their shape).
pub fn placeholder(token: &str) -> Value {
    const SUB: &str = "00000000-0000-0000-0000-000000000000";
    let t = token.to_ascii_uppercase();
    // Each GEN-UNIQUE occurrence is a distinct value, as the quickstarts' CI makes them.
    if let Some(n) = t.strip_prefix("GEN-UNIQUE-") {
        let n: usize = n.parse().unwrap_or(12);
        let base = format!(
            "az{}{}",
            next_unique(),
            "relo0123456789abcdefghijklmnopqrstuvwxyz"
        );
        return json!(base.chars().take(n.max(3)).collect::<String>());
    }
    match t.as_str() {
        "GEN-UNIQUE" => json!(format!("azrelouniq{:04}", next_unique())),
        "GEN-PASSWORD" | "GEN-SELFSIGNED-CERT-PASSWORD" => json!("Azrelo-Test-P@ssw0rd-1"),
        "GEN-SSH-PUB-KEY" => json!("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7azrelo azrelo@test"),
        "GEN-GUID" => json!("6f6a1f1e-3a0c-4b8e-9a0e-0d9c1b2a3f4e"),
        t if t.ends_with("OBJECTID")
            || t.ends_with("TENANTID")
            || t.ends_with("APPID")
            || t.ends_with("CLIENTID") =>
        {
            json!("1b2c3d4e-0000-4000-8000-000000000001")
        }
        t if t.contains("RESOURCE-ID") => json!(format!(
            "/subscriptions/{SUB}/resourceGroups/azrelo-prereqs/providers/Microsoft.KeyVault/vaults/kv-azrelo"
        )),
        t if t.ends_with("-URI") || t.ends_with("-URL") => {
            json!("https://kv-azrelo.vault.azure.net/secrets/azrelo/0123456789abcdef")
        }
        t if t.contains("CERT-PFXDATA") || t.contains("CERTDATA") || t.contains("CERDATA") => {
            json!("MIIKazreloBASE64==")
        }
        t if t.contains("THUMBPRINT") => json!("0123456789ABCDEF0123456789ABCDEF01234567"),
        t if t.contains("HOST-NAME")
            || t.contains("HOSTNAME")
            || t.contains("FQDN")
            || t.contains("DNSNAME") =>
        {
            json!("azrelo.example.com")
        }
        _ => json!("azrelo-placeholder"),
    }
}

fn fill(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("GEN-") => placeholder(s),
        Value::String(s) if s.contains("GEN-UNIQUE") => {
            json!(s.replace("GEN-UNIQUE", "azrelouniq"))
        }
        Value::Array(a) => Value::Array(a.iter().map(fill).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), fill(v))).collect()),
        other => other.clone(),
    }
}

/// Parameter values from a deployment parameters file, placeholders filled.
/// Key Vault references become unknowns (their secret is not available offline).
pub fn parameters_file(path: &Path) -> IndexMap<String, Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read the parameters file {}: {e}", path.display()));
    let doc = azrelo_template::json::parse(&text, &path.display().to_string())
        .unwrap_or_else(|e| panic!("the parameters file {} does not parse: {e}", path.display()));
    let mut out = IndexMap::new();
    if let Some(p) = doc.get("parameters").and_then(|p| p.as_object()) {
        for (k, v) in p {
            if let Some(val) = v.get("value") {
                // Values the samples leave for the user (null, "", or
                // GET-PREREQ-* from a prerequisite deployment) are supplied by
                // `supply_required` like any missing parameter.
                let unset = val.is_null()
                    || val
                        .as_str()
                        .is_some_and(|s| s.is_empty() || s.starts_with("GET-PREREQ"));
                if unset {
                    continue;
                }
                out.insert(k.clone(), fill(val));
            } else if v.get("reference").is_some() {
                out.insert(
                    k.clone(),
                    json!({ azrelo_template::value::UNKNOWN_MARKER: format!("Key Vault reference for '{k}'") }),
                );
            }
        }
    }
    out
}

/// A plausible value for a required parameter without a default: from
/// `allowedValues`, else by type (and `minLength`/`minValue`), following
/// `$ref` into `definitions`.
pub fn synthesize(decl: &Value, doc: &Value) -> Value {
    let mut decl = decl.clone();
    for _ in 0..8 {
        let Some(r) = decl.get("$ref").and_then(|r| r.as_str()) else {
            break;
        };
        let key = r.trim_start_matches("#/definitions/");
        match doc.get("definitions").and_then(|d| d.get(key)) {
            Some(d) => decl = d.clone(),
            None => break,
        }
    }
    if let Some(a) = decl.get("allowedValues").and_then(|a| a.as_array())
        && let Some(first) = a.first()
    {
        return if decl.get("type").and_then(|t| t.as_str()) == Some("array") {
            json!([first])
        } else {
            first.clone()
        };
    }
    if let Some(d) = decl.get("discriminator") {
        // A tagged union: take the first variant and set its tag.
        let prop = d
            .get("propertyName")
            .and_then(|p| p.as_str())
            .unwrap_or("kind");
        if let Some((tag, variant)) = d
            .get("mapping")
            .and_then(|m| m.as_object())
            .and_then(|m| m.iter().next())
        {
            let mut v = synthesize(variant, doc);
            if let Some(o) = v.as_object_mut() {
                o.insert(prop.to_string(), json!(tag));
            }
            return v;
        }
    }
    let t = decl
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("string")
        .to_ascii_lowercase();
    match t.as_str() {
        "int" => {
            let min = decl.get("minValue").and_then(|m| m.as_i64());
            let max = decl.get("maxValue").and_then(|m| m.as_i64());
            json!(match (min, max) {
                (Some(a), _) => a,
                (None, Some(b)) => b.min(1),
                (None, None) => 1,
            })
        }
        "bool" => json!(false),
        "array" => {
            let min = decl.get("minLength").and_then(|m| m.as_u64()).unwrap_or(0) as usize;
            match decl.get("items") {
                Some(items) if items.get("type").is_some() || items.get("$ref").is_some() => {
                    json!(vec![synthesize(items, doc); min.max(1)])
                }
                _ => json!(vec![json!("azrelotest"); min]),
            }
        }
        "object" | "secureobject" => {
            let mut o = serde_json::Map::new();
            if let Some(props) = decl.get("properties").and_then(|p| p.as_object()) {
                for (k, p) in props {
                    if p.get("nullable").and_then(|n| n.as_bool()) != Some(true) {
                        o.insert(k.clone(), synthesize_named(k, p, doc));
                    }
                }
            }
            Value::Object(o)
        }
        _ => {
            let min = decl.get("minLength").and_then(|m| m.as_u64()).unwrap_or(0) as usize;
            let max = decl.get("maxLength").and_then(|m| m.as_u64()).unwrap_or(64) as usize;
            let mut s = String::from("azrelotest");
            while s.len() < min {
                s.push('x');
            }
            s.truncate(max.max(1));
            json!(s)
        }
    }
}

/// Like [`synthesize`], but a string named `*ResourceId` gets a real
/// resource id (modules split such values into segments).
pub fn synthesize_named(name: &str, decl: &Value, doc: &Value) -> Value {
    const SUB: &str = "00000000-0000-0000-0000-000000000000";
    let is_string = decl
        .get("type")
        .and_then(|t| t.as_str())
        .is_some_and(|t| t.eq_ignore_ascii_case("string"));
    if is_string
        && name.to_ascii_lowercase().ends_with("resourceid")
        && decl.get("allowedValues").is_none()
    {
        return json!(format!(
            "/subscriptions/{SUB}/resourceGroups/azrelo-rg/providers/Microsoft.Network/virtualHubs/azrelo-{}",
            name.to_ascii_lowercase()
        ));
    }
    synthesize(decl, doc)
}

/// Fill every required parameter (no default, not supplied, not nullable).
/// With `real_ids`, strings named `*ResourceId` get a real resource id (AVM
/// modules split them; some quickstarts misuse such names for plain names).
pub fn supply_required(doc: &Value, params: &mut IndexMap<String, Value>, real_ids: bool) {
    let Some(p) = doc.get("parameters").and_then(|p| p.as_object()) else {
        return;
    };
    for (k, decl) in p {
        let has = params.keys().any(|x| x.eq_ignore_ascii_case(k));
        let required = decl.get("defaultValue").is_none()
            && decl.get("nullable").and_then(|n| n.as_bool()) != Some(true);
        if !has && required {
            let v = if real_ids {
                synthesize_named(k, decl, doc)
            } else {
                synthesize(decl, doc)
            };
            params.insert(k.clone(), v);
        }
    }
}

/// Parameter values for a quickstart template as the quickstarts' CI gives
/// them: the sample parameters file (if any) with its placeholders filled,
/// then `overrides` (e.g. prerequisite outputs), `_artifactsLocation` (a
/// deployment from a local file has no templateLink to default it from) and
/// synthesized values for the remaining required parameters.
pub fn quickstart_parameters(
    params_file: &Path,
    doc: &Value,
    overrides: impl IntoIterator<Item = (String, Value)>,
) -> IndexMap<String, Value> {
    let mut params = if params_file.exists() {
        parameters_file(params_file)
    } else {
        IndexMap::new()
    };
    params.extend(overrides);
    if doc["parameters"].get("_artifactsLocation").is_some()
        && !params.contains_key("_artifactsLocation")
    {
        params.insert(
            "_artifactsLocation".into(),
            json!("https://raw.githubusercontent.com/Azure/azure-quickstart-templates/master/quickstart/"),
        );
    }
    supply_required(doc, &mut params, false);
    params
}
