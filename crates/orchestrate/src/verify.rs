//! Verification: does the target ARM returns match what was deployed?
//!
//! Everything azrelo sent must come back (subset comparison): extra fields
//! in the GET are server-generated and ignored, and so are paths the schema
//! flags (`azrelo_arm::schema`, the snapshot the generator strips with) mark
//! read-only, write-only or sensitive — ARM does not echo secrets — and
//! values that are still template expressions (secure parameters). Strings
//! compare ASCII case-insensitively (ARM ids, enum values and regions are
//! case-insensitive), regions also ignoring spaces (`North Europe` =
//! `northeurope`); numbers by value; an empty object/array/null sent is
//! satisfied by an absent field (ARM omits empty collections).

use serde_json::{Map, Value};

/// One difference between what was deployed and what ARM returns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Difference {
    /// JSON pointer in the resource body.
    pub path: String,
    /// What was deployed / what ARM returned (values of sensitive paths
    /// never reach this type: they are not compared).
    pub expected: String,
    pub actual: String,
}

const ENVELOPE: &[&str] = &[
    "type",
    "apiVersion",
    "name",
    "id",
    "dependsOn",
    "scope",
    "condition",
    "copy",
    "comments",
    "metadata",
];

fn is_expression(s: &str) -> bool {
    s.starts_with('[') && s.ends_with(']') && !s.starts_with("[[")
}

fn norm_region(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn skipped(ty: &str, ptr: &str) -> bool {
    azrelo_arm::schema::SchemaFlags::embedded()
        .get(ty)
        .is_some_and(|f| f.is_read_only(ptr) || f.is_write_only(ptr) || f.is_sensitive(ptr))
}

/// Collections of a resource that other ARM calls add entries to — by the
/// run itself: `identity-grants` gives a recreated identity the access
/// policy its predecessor had with `PUT {vault}/accessPolicies/add` (REST
/// "Vaults - Update Access Policy") after the vault is deployed — compared
/// by the key of their entries: what was deployed must be there, more may
/// be.
const GROWING: &[(&str, &str, &str)] = &[(
    "microsoft.keyvault/vaults",
    "/properties/accessPolicies",
    "objectId",
)];

fn growing(ty: &str, ptr: &str) -> Option<&'static str> {
    GROWING
        .iter()
        .find(|(t, p, _)| t.eq_ignore_ascii_case(ty) && p.eq_ignore_ascii_case(ptr))
        .map(|(_, _, k)| *k)
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s
    }
}

/// Compare a deployed resource body with the GET of its target.
pub fn compare(resource_type: &str, deployed: &Value, actual: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    let (Some(d), Some(a)) = (deployed.as_object(), actual.as_object()) else {
        out.push(Difference {
            path: String::new(),
            expected: "an object".into(),
            actual: show(actual),
        });
        return out;
    };
    for (k, v) in d {
        if ENVELOPE.iter().any(|e| e.eq_ignore_ascii_case(k)) {
            continue;
        }
        let ptr = format!("/{k}");
        let got = find(a, k);
        if k.eq_ignore_ascii_case("location") {
            if let (Some(e), Some(g)) = (v.as_str(), got.and_then(Value::as_str))
                && !is_expression(e)
                && norm_region(e) != norm_region(g)
            {
                out.push(Difference {
                    path: ptr,
                    expected: show(v),
                    actual: show(got.unwrap_or(&Value::Null)),
                });
            }
            continue;
        }
        walk(resource_type, &ptr, v, got, &mut out);
    }
    out
}

fn find<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    m.get(k).or_else(|| {
        m.iter()
            .find(|(kk, _)| kk.eq_ignore_ascii_case(k))
            .map(|(_, v)| v)
    })
}

fn walk(ty: &str, ptr: &str, expected: &Value, actual: Option<&Value>, out: &mut Vec<Difference>) {
    if skipped(ty, ptr) {
        return;
    }
    let Some(actual) = actual else {
        if !empty(expected) && !expected.as_str().is_some_and(is_expression) {
            out.push(Difference {
                path: ptr.to_string(),
                expected: show(expected),
                actual: "absent".into(),
            });
        }
        return;
    };
    match (expected, actual) {
        (Value::String(e), _) if is_expression(e) => {}
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                walk(ty, &format!("{ptr}/{k}"), v, find(a, k), out);
            }
        }
        (Value::Array(e), Value::Array(a)) if growing(ty, ptr).is_some() => {
            // A collection other APIs add to (the run's own grants): every
            // deployed entry must be there, matched by its key; more may be.
            let key = growing(ty, ptr).unwrap_or_default();
            for (i, ev) in e.iter().enumerate() {
                let k = ev.get(key).and_then(Value::as_str);
                let found = a.iter().find(|x| {
                    x.get(key)
                        .and_then(Value::as_str)
                        .zip(k)
                        .is_some_and(|(x, k)| x.eq_ignore_ascii_case(k))
                });
                walk(ty, &format!("{ptr}/{i}"), ev, found, out);
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(Difference {
                    path: ptr.to_string(),
                    expected: format!("{} item(s)", e.len()),
                    actual: format!("{} item(s)", a.len()),
                });
                return;
            }
            for (i, ev) in e.iter().enumerate() {
                // Named items match by name (ARM may reorder them); the item
                // at the same index first, since names need not be unique (a
                // Backup vault policy's operational and vault retention
                // rules are both called "Default").
                let name_of = |x: &Value| x.get("name").and_then(Value::as_str).map(str::to_string);
                let by_name = ev.get("name").and_then(Value::as_str).and_then(|n| {
                    let same = |x: &&Value| name_of(x).is_some_and(|xn| xn.eq_ignore_ascii_case(n));
                    a.get(i).filter(same).or_else(|| a.iter().find(same))
                });
                walk(ty, &format!("{ptr}/{i}"), ev, by_name.or(a.get(i)), out);
            }
        }
        (Value::String(e), Value::String(a)) => {
            // A template literal that starts with `[` is written `[[`; ARM
            // stores it with one bracket (learn.microsoft.com/azure/
            // azure-resource-manager/templates/template-expressions#escape-characters).
            let e = match e.strip_prefix('[') {
                Some(rest) if rest.starts_with('[') => rest,
                _ => e.as_str(),
            };
            if !e.eq_ignore_ascii_case(a) {
                out.push(Difference {
                    path: ptr.to_string(),
                    expected: show(expected),
                    actual: show(actual),
                });
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            if e.as_f64() != a.as_f64() {
                out.push(Difference {
                    path: ptr.to_string(),
                    expected: show(expected),
                    actual: show(actual),
                });
            }
        }
        (e, a) if e == a => {}
        (e, a) if empty(e) && empty(a) => {}
        (e, a) => out.push(Difference {
            path: ptr.to_string(),
            expected: show(e),
            actual: show(a),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Items of one name are matched in order: a Backup vault policy has
    /// two retention rules called "Default" (operational store, vault
    /// store), as backup-create-storage-account-enable-protection writes.
    #[test]
    fn items_sharing_a_name_match_by_position() {
        let ty = "Microsoft.DataProtection/backupVaults/backupPolicies";
        let rule = |store: &str| json!({"name": "Default", "lifecycles": [{"sourceDataStore": {"dataStoreType": store}}]});
        let deployed =
            json!({"properties": {"policyRules": [rule("OperationalStore"), rule("VaultStore")]}});
        assert!(compare(ty, &deployed, &deployed.clone()).is_empty());
        let swapped =
            json!({"properties": {"policyRules": [rule("VaultStore"), rule("OperationalStore")]}});
        assert_eq!(compare(ty, &deployed, &swapped).len(), 2);
    }

    /// The generator escapes literals that start with `[` (a Service Bus
    /// SQL filter `[prop] = 'v'`, a Data Factory table name `[dbo].[emp]`,
    /// a template spec's own template); ARM stores them unescaped.
    #[test]
    fn an_escaped_literal_matches_what_arm_stores() {
        let ty = "Microsoft.ServiceBus/namespaces/topics/subscriptions/rules";
        let deployed =
            json!({"properties": {"filter": {"sqlExpression": "[[property-name] = 'value'"}}});
        let stored =
            json!({"properties": {"filter": {"sqlExpression": "[property-name] = 'value'"}}});
        assert!(compare(ty, &deployed, &stored).is_empty());
        let other =
            json!({"properties": {"filter": {"sqlExpression": "[[property-name] = 'value'"}}});
        assert_eq!(
            compare(ty, &deployed, &other).len(),
            1,
            "the escape is ARM's, not a second bracket kept"
        );
    }

    #[test]
    fn key_vault_access_policies_may_gain_entries_but_not_lose_or_change_them() {
        let ty = "Microsoft.KeyVault/vaults";
        let policy = |o: &str, secrets: &[&str]| json!({"tenantId": "t", "objectId": o, "permissions": {"secrets": secrets}});
        let deployed = json!({"properties": {"accessPolicies": [policy("a", &["get"])]}});
        // identity-grants added the new principal's entry.
        let grown = json!({"properties": {"accessPolicies": [policy("B", &["get", "list"]), policy("A", &["get"])]}});
        assert!(compare(ty, &deployed, &grown).is_empty());
        let lost = json!({"properties": {"accessPolicies": [policy("b", &["get"])]}});
        assert_eq!(
            compare(ty, &deployed, &lost)[0].path,
            "/properties/accessPolicies/0"
        );
        let changed = json!({"properties": {"accessPolicies": [policy("a", &["list"])]}});
        assert!(!compare(ty, &deployed, &changed).is_empty());
        // Elsewhere an array keeps its length.
        let nsg = "Microsoft.Network/networkSecurityGroups";
        assert!(!compare(nsg, &deployed, &grown).is_empty());
    }

    #[test]
    fn server_fields_are_ignored_and_changes_are_found() {
        let deployed = json!({
            "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-04-01",
            "name": "nsg", "location": "northeurope", "tags": {"env": "prod"},
            "properties": {"securityRules": [{"name": "a", "properties": {"priority": 100}}, {"name": "b", "properties": {"priority": 200}}]},
            "dependsOn": ["x"]
        });
        let same = json!({
            "id": "/x", "name": "nsg", "location": "North Europe", "etag": "W/1",
            "tags": {"env": "PROD"},
            "properties": {"provisioningState": "Succeeded", "resourceGuid": "g",
              "securityRules": [{"name": "b", "properties": {"priority": 200.0}}, {"name": "A", "properties": {"priority": 100}}]}
        });
        assert!(compare("Microsoft.Network/networkSecurityGroups", &deployed, &same).is_empty());
        let changed = json!({
            "location": "westeurope", "tags": {},
            "properties": {"securityRules": [{"name": "a", "properties": {"priority": 101}}, {"name": "b", "properties": {"priority": 200}}]}
        });
        let d = compare(
            "Microsoft.Network/networkSecurityGroups",
            &deployed,
            &changed,
        );
        let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/location",
                "/tags/env",
                "/properties/securityRules/0/properties/priority"
            ]
        );
    }

    #[test]
    fn expressions_and_empty_collections_are_not_differences() {
        let deployed =
            json!({"properties": {"password": "[parameters('p')]", "rules": [], "x": {}}});
        assert!(compare("X.Y/z", &deployed, &json!({"properties": {}})).is_empty());
        let d = compare(
            "X.Y/z",
            &json!({"properties": {"a": [1, 2]}}),
            &json!({"properties": {"a": [1]}}),
        );
        assert_eq!(d[0].path, "/properties/a");
    }
}
