//! How the orchestrator reads a generated template: the target id of a
//! template resource, the parameters it uses, and deterministic deployment
//! names.

use azrelo_arm::vocab;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The target id of a template resource deployed at `scope`.
pub fn template_resource_id(scope: &str, resource: &Value) -> Option<String> {
    let ty = resource.get("type")?.as_str()?;
    let name = resource.get("name")?.as_str()?;
    if vocab::is(ty, vocab::RESOURCE_GROUPS) {
        let sub = scope.split('/').nth(2)?;
        return Some(format!("/subscriptions/{sub}/resourceGroups/{name}"));
    }
    let base = resource
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or(scope);
    let mut segs = ty.split('/');
    let ns = segs.next()?;
    let types: Vec<&str> = segs.collect();
    let names: Vec<&str> = name.split('/').collect();
    if types.len() != names.len() || types.is_empty() {
        return None;
    }
    let mut id = format!("{}/providers/{ns}", base.trim_end_matches('/'));
    for (t, n) in types.iter().zip(names) {
        id.push('/');
        id.push_str(t);
        id.push('/');
        id.push_str(n);
    }
    Some(id)
}

/// `parameters('NAME')` references in a JSON text.
pub(super) fn used_parameters(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut rest = 0;
    while let Some(i) = lower[rest..].find("parameters('") {
        let start = rest + i + "parameters('".len();
        if let Some(end) = text[start..].find('\'') {
            let n = text[start..start + end].to_string();
            if !out.contains(&n) {
                out.push(n);
            }
            rest = start + end;
        } else {
            break;
        }
    }
    out
}

pub(super) fn deployment_name(wave: u32, target_name: &str, target_id: &str) -> String {
    let h = Sha256::digest(target_id.to_ascii_lowercase().as_bytes());
    let hex: String = h[..4].iter().map(|b| format!("{b:02x}")).collect();
    let short: String = target_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    format!("azrelo-w{wave:02}-{short}-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn template_ids_for_children_extensions_and_groups() {
        let rg = "/subscriptions/s/resourceGroups/rg";
        assert_eq!(
            template_resource_id(
                rg,
                &json!({"type": "Microsoft.Network/privateEndpoints/privateDnsZoneGroups", "name": "pe/default"})
            )
            .unwrap(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe/privateDnsZoneGroups/default"
        );
        assert_eq!(
            template_resource_id(
                "/subscriptions/s",
                &json!({"type": "Microsoft.Resources/resourceGroups", "name": "g"})
            )
            .unwrap(),
            "/subscriptions/s/resourceGroups/g"
        );
        assert_eq!(
            template_resource_id(
                rg,
                &json!({"type": "Microsoft.Authorization/locks", "name": "l", "scope": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"})
            )
            .unwrap(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/locks/l"
        );
        assert!(template_resource_id(rg, &json!({"type": "A.B/c/d", "name": "x"})).is_none());
    }

    #[test]
    fn parameters_and_ancestors() {
        assert_eq!(
            used_parameters("[parameters('a')] x [Parameters('b')] [parameters('a')]"),
            ["a", "b"]
        );
        assert!(crate::model::within(
            "/SUBSCRIPTIONS/s/resourceGroups/RG/providers/A.B/c/d",
            "/subscriptions/S/resourceGroups/rg"
        ));
        assert!(!crate::model::within(
            "/subscriptions/s/resourceGroups/rg2",
            "/subscriptions/s/resourceGroups/rg"
        ));
        let n = deployment_name(3, "vm/with.dots", "/x");
        assert!(
            n.len() <= 64 && n.starts_with("azrelo-w03-vm-with-dots-"),
            "{n}"
        );
    }
}
