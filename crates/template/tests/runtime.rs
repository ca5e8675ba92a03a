//! `expand_with`: a deployment runtime answers the values only a deployment
//! knows (`reference()`, `list*()`, `newGuid()` defaults, Key Vault
//! parameter references, linked templates); what it does not answer stays
//! symbolic exactly as with `expand`.

use azrelo_template::value::Value;
use azrelo_template::{ExpandOptions, Runtime, RuntimeCall, Template, expand, expand_with};
use serde_json::json;

/// Records every call; answers from fixed tables.
#[derive(Default)]
struct Fake {
    calls: Vec<(String, String, String)>,
    nested: Vec<(String, String)>,
}

impl Runtime for Fake {
    fn call(&mut self, call: &RuntimeCall<'_>) -> Result<Option<Value>, String> {
        let first = call
            .args
            .first()
            .map(|a| a.to_arm_string())
            .unwrap_or_default();
        self.calls.push((
            call.function.to_string(),
            first.clone(),
            call.deployment.to_string(),
        ));
        Ok(match call.function {
            "reference" if first.ends_with("/storageAccounts/known") => Some(Value::from_json(
                &json!({"primaryEndpoints": {"blob": "https://known.blob.core.windows.net/"}}),
            )),
            "reference" if first.contains("gone") => {
                return Err("ResourceNotFound: gone was not found".into());
            }
            "listkeys" => Some(Value::from_json(&json!({"keys": [{"value": "k1"}]}))),
            "newguid" => Some(Value::String("11111111-2222-3333-4444-555555555555".into())),
            "keyvaultreference" => Some(Value::String("from-the-vault".into())),
            "templatelink" if first == "https://artifacts.test/nested/inner.json" => {
                Some(Value::from_json(&json!({
                    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                    "contentVersion": "1.0.0.0",
                    "parameters": {"p": {"type": "string"}},
                    "resources": [],
                    "outputs": {"echo": {"type": "string", "value": "[parameters('p')]"}},
                })))
            }
            _ => None,
        })
    }

    fn nested_outputs(&mut self, deployment: &str, _id: &str, outputs: &Value) {
        self.nested
            .push((deployment.to_string(), outputs.to_json().to_string()));
    }
}

fn template(v: serde_json::Value) -> Template {
    Template::parse(&v.to_string(), "runtime.json").unwrap()
}

fn opts() -> ExpandOptions {
    let mut o = ExpandOptions::default();
    o.context.subscription_id = "00000000-0000-0000-0000-0000000000aa".into();
    o.context.resource_group = "rg".into();
    o
}

#[test]
fn a_runtime_answers_reference_list_and_new_guid_and_the_rest_stays_symbolic() {
    let t = template(json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"id": {"type": "string", "defaultValue": "[newGuid()]"}},
        "resources": [],
        "outputs": {
            "blob": {"type": "string", "value": "[reference(resourceId('Microsoft.Storage/storageAccounts', 'known')).primaryEndpoints.blob]"},
            "key": {"type": "string", "value": "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'known'), '2023-01-01').keys[0].value]"},
            "guid": {"type": "string", "value": "[parameters('id')]"},
            "other": {"type": "string", "value": "[reference(resourceId('Microsoft.Storage/storageAccounts', 'unknown')).primaryEndpoints.blob]"},
        },
    }));
    let mut rt = Fake::default();
    let x = expand_with(&t, &opts(), &mut rt).unwrap();
    assert_eq!(
        x.outputs["blob"],
        Value::String("https://known.blob.core.windows.net/".into())
    );
    assert_eq!(x.outputs["key"], Value::String("k1".into()));
    assert_eq!(
        x.outputs["guid"],
        Value::String("11111111-2222-3333-4444-555555555555".into())
    );
    assert!(x.outputs["other"].is_unknown());
    assert_eq!(x.unresolved.len(), 1, "{:?}", x.unresolved);
    // The runtime saw evaluated arguments (a full id), not expression text.
    assert!(rt.calls.iter().any(|(f, a, _)| f == "reference"
        && a == "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/known"));
    // Offline expansion is unchanged: all of it symbolic.
    let offline = expand(&t, &opts()).unwrap();
    assert!(offline.outputs["blob"].is_unknown());
    assert!(offline.outputs["key"].is_unknown());
    assert!(offline.outputs["guid"].is_unknown());
}

#[test]
fn a_runtime_error_fails_the_expansion_with_its_message() {
    let t = template(json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [],
        "outputs": {"x": {"type": "object", "value": "[reference('/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/gone')]"}},
    }));
    let e = expand_with(&t, &opts(), &mut Fake::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("ResourceNotFound: gone was not found"),
        "{e}"
    );
}

#[test]
fn linked_templates_key_vault_references_and_nested_outputs_come_from_the_runtime() {
    let t = template(json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [{
            "type": "Microsoft.Resources/deployments",
            "apiVersion": "2022-09-01",
            "name": "linked",
            "properties": {
                "mode": "Incremental",
                "templateLink": {"relativePath": "nested/inner.json"},
                "parameters": {"p": {"reference": {"keyVault": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"}, "secretName": "pw"}}},
            },
        }],
        "outputs": {"echo": {"type": "string", "value": "[reference('linked').outputs.echo.value]"}},
    }));
    let mut o = opts();
    // Deployed from a URI: relativePath links resolve against it.
    o.template_link = Some("https://artifacts.test/main/../azuredeploy.json".into());
    let mut rt = Fake::default();
    let x = expand_with(&t, &o, &mut rt).unwrap();
    assert_eq!(x.outputs["echo"], Value::String("from-the-vault".into()));
    assert!(
        rt.calls
            .iter()
            .any(|(f, a, _)| f == "templatelink" && a == "https://artifacts.test/nested/inner.json"),
        "{:?}",
        rt.calls
    );
    assert_eq!(rt.nested.len(), 1);
    assert_eq!(rt.nested[0].0, "linked");
    assert!(rt.nested[0].1.contains("from-the-vault"));
    // Without a runtime the link is left unresolved, as before.
    let offline = expand(&t, &o);
    assert!(offline.is_err() || offline.unwrap().outputs["echo"].is_unknown());
}
