//! Expansion semantics on small hand-written templates, one feature per test.

use azrelo_template::value::Value;
use azrelo_template::{ExpandOptions, Expanded, Template, expand};
use serde_json::json;

fn run(t: serde_json::Value) -> Expanded {
    try_run(t, json!({})).unwrap_or_else(|e| panic!("{e}"))
}

fn try_run(t: serde_json::Value, params: serde_json::Value) -> Result<Expanded, String> {
    let tpl = Template::parse(&t.to_string(), "t.json").map_err(|e| e.to_string())?;
    let opts = ExpandOptions {
        parameters: params
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        ..Default::default()
    };
    expand(&tpl, &opts).map_err(|e| e.to_string())
}

const RG: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/azrelo-rg";

fn base(resources: serde_json::Value) -> serde_json::Value {
    json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
           "contentVersion": "1.0.0.0", "resources": resources})
}

#[test]
fn resource_copy_and_copy_name_dependency() {
    let x = run(base(json!([
        {"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2023-05-01",
         "name": "[concat('pip', copyIndex(1))]", "location": "westeurope",
         "copy": {"name": "pips", "count": 3}},
        {"type": "Microsoft.Network/loadBalancers", "apiVersion": "2023-05-01", "name": "lb",
         "dependsOn": ["pips"]}
    ])));
    let names: Vec<&str> = x.resources.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["pip1", "pip2", "pip3", "lb"]);
    assert_eq!(x.resources[3].depends_on.len(), 3);
    assert_eq!(
        x.resources[0].id,
        format!("{RG}/providers/Microsoft.Network/publicIPAddresses/pip1")
    );
    assert_eq!(x.resources[2].copy_index, Some(2));
}

#[test]
fn property_variable_and_output_copy() {
    let mut t = base(json!([
        {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-05-01", "name": "vnet",
         "properties": {"copy": [{"name": "subnets", "count": 2,
            "input": {"name": "[concat('s', copyIndex('subnets'))]"}}]}}
    ]));
    t["variables"] = json!({"copy": [{"name": "disks", "count": 2, "input": "[concat('d', copyIndex('disks'))]"}]});
    t["outputs"] = json!({
        "disks": {"type": "array", "value": "[variables('disks')]"},
        "n": {"type": "array", "copy": {"count": 2, "input": "[mul(copyIndex(), 10)]"}}
    });
    let x = run(t);
    let p = x.resources[0].properties().unwrap().to_json();
    assert_eq!(p, json!({"subnets": [{"name": "s0"}, {"name": "s1"}]}));
    assert_eq!(x.outputs["disks"].to_json(), json!(["d0", "d1"]));
    assert_eq!(x.outputs["n"].to_json(), json!([0, 10]));
}

#[test]
fn condition_false_drops_dependencies_and_is_listed() {
    let x = run(base(json!([
        {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "st",
         "condition": "[equals(1, 2)]"},
        {"type": "Microsoft.Web/sites", "apiVersion": "2023-01-01", "name": "app", "dependsOn": ["st"]}
    ])));
    assert!(!x.resources[0].condition);
    assert!(x.resources[1].depends_on.is_empty());
}

#[test]
fn nested_children_get_full_type_and_name_without_implicit_dependency() {
    let x = run(base(json!([
        {"type": "Microsoft.Sql/servers", "apiVersion": "2023-05-01-preview", "name": "srv",
         "resources": [{"type": "databases", "apiVersion": "2023-05-01-preview", "name": "db"}]}
    ])));
    let db = &x.resources[1];
    assert_eq!(db.resource_type, "Microsoft.Sql/servers/databases");
    assert_eq!(db.name, "srv/db");
    assert_eq!(
        db.id,
        format!("{RG}/providers/Microsoft.Sql/servers/srv/databases/db")
    );
    assert!(
        db.depends_on.is_empty(),
        "ARM adds no implicit parent dependency"
    );
}

#[test]
fn extension_resources_by_scope_and_by_old_form() {
    let x = run(base(json!([
        {"type": "Microsoft.KeyVault/vaults", "apiVersion": "2023-07-01", "name": "kv"},
        {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
         "name": "ra1", "scope": "[resourceId('Microsoft.KeyVault/vaults', 'kv')]"},
        {"type": "Microsoft.KeyVault/vaults/providers/diagnosticSettings", "apiVersion": "2021-05-01-preview",
         "name": "kv/Microsoft.Insights/diag"}
    ])));
    assert_eq!(
        x.resources[1].id,
        format!(
            "{RG}/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/roleAssignments/ra1"
        )
    );
    assert_eq!(
        x.resources[2].id,
        format!(
            "{RG}/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Insights/diagnosticSettings/diag"
        )
    );
    assert_eq!(
        x.resources[2].resource_type,
        "Microsoft.Insights/diagnosticSettings"
    );
}

#[test]
fn nested_deployment_inner_scope_outputs_flow_to_the_parent() {
    let mut t = base(json!([
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner",
         "resourceGroup": "other-rg",
         "properties": {"mode": "Incremental", "expressionEvaluationOptions": {"scope": "inner"},
           "parameters": {"prefix": {"value": "[parameters('p')]"}},
           "template": {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
             "parameters": {"prefix": {"type": "string"}},
             "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01",
                            "name": "[concat(parameters('prefix'), 'st')]"}],
             "outputs": {"rg": {"type": "string", "value": "[resourceGroup().name]"}}}}}
    ]));
    t["parameters"] = json!({"p": {"type": "string", "defaultValue": "abc"}});
    t["outputs"] =
        json!({"fromNested": {"type": "string", "value": "[reference('inner').outputs.rg.value]"}});
    let x = run(t);
    let st = x
        .resources
        .iter()
        .find(|r| r.resource_type == "Microsoft.Storage/storageAccounts")
        .unwrap();
    assert_eq!(
        st.id,
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/other-rg/providers/Microsoft.Storage/storageAccounts/abcst"
    );
    assert_eq!(st.deployment, "inner");
    assert_eq!(x.outputs["fromNested"], Value::String("other-rg".into()));
}

#[test]
fn nested_deployment_outer_scope_sees_parent_parameters() {
    let mut t = base(json!([
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "outer",
         "properties": {"mode": "Incremental",
           "template": {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
             "resources": [{"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-05-01",
                            "name": "[parameters('nsg')]"}]}}}
    ]));
    t["parameters"] = json!({"nsg": {"type": "string", "defaultValue": "nsg-from-parent"}});
    let x = run(t);
    assert!(x.resources.iter().any(|r| r.name == "nsg-from-parent"));
}

#[test]
fn language_version_2_symbolic_names_and_existing() {
    let t = json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "languageVersion": "2.0", "contentVersion": "1.0.0.0",
    "resources": {
        "vnet": {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-05-01", "name": "vnet1", "existing": true},
        "nsg": {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-05-01", "name": "nsg1"},
        "nic": {"type": "Microsoft.Network/networkInterfaces", "apiVersion": "2023-05-01", "name": "nic1",
                "properties": {"nsgState": "[reference('nsg').provisioningState]"},
                "dependsOn": ["nsg", "vnet"]}
    }});
    let x = run(t);
    assert_eq!(x.resources.len(), 2, "existing resources are not deployed");
    let nic = &x.resources[1];
    assert_eq!(nic.symbolic_name.as_deref(), Some("nic"));
    assert_eq!(
        nic.depends_on,
        [format!(
            "{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg1"
        )]
    );
    assert!(
        nic.properties()
            .unwrap()
            .get("nsgState")
            .unwrap()
            .is_unknown()
    );
    assert_eq!(x.unresolved.len(), 1);
    assert_eq!(
        x.unresolved[0].expression, "reference('nsg')",
        "the runtime call is listed"
    );
}

#[test]
fn runtime_values_stay_symbolic() {
    let x = run(base(json!([
        {"type": "Microsoft.Web/sites", "apiVersion": "2023-01-01", "name": "app",
         "properties": {"key": "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2023-01-01').keys[0].value]"}}
    ])));
    let key = x.resources[0].properties().unwrap().get("key").unwrap();
    assert_eq!(
        key,
        &Value::unknown(
            "listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2023-01-01').keys[0].value"
        )
    );
}

#[test]
fn cycles_are_reported_by_name() {
    let e = try_run(base(json!([
        {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-05-01", "name": "a", "dependsOn": ["[resourceId('Microsoft.Network/networkSecurityGroups', 'b')]"]},
        {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-05-01", "name": "b", "dependsOn": ["[resourceId('Microsoft.Network/virtualNetworks', 'a')]"]}
    ])), json!({})).unwrap_err();
    assert!(
        e.contains("circular dependency between resources: a -> b -> a"),
        "{e}"
    );
    let mut t = base(json!([]));
    t["variables"] = json!({"x": "[variables('y')]", "y": "[variables('x')]"});
    t["outputs"] = json!({"o": {"type": "string", "value": "[variables('x')]"}});
    let e = try_run(t, json!({})).unwrap_err();
    assert!(e.contains("variables form a cycle"), "{e}");
}

#[test]
fn hostile_limits_give_clear_errors() {
    let e = try_run(base(json!([
        {"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2023-05-01", "name": "[concat('p', copyIndex())]",
         "copy": {"name": "many", "count": 801}}
    ])), json!({})).unwrap_err();
    assert!(e.contains("between 0 and 800"), "{e}");
    let deep = format!("[{}1{}]", "string(".repeat(500), ")".repeat(500));
    let mut t = base(json!([]));
    t["outputs"] = json!({"o": {"type": "string", "value": deep}});
    let e = try_run(t, json!({})).unwrap_err();
    assert!(e.contains("nested deeper"), "{e}");
    assert!(
        try_run(json!([1, 2]), json!({}))
            .unwrap_err()
            .contains("must be a JSON object")
    );
}

#[test]
fn parameter_checks_and_secret_redaction() {
    let mut t = base(json!([
        {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2023-09-01", "name": "vm",
         "properties": {"osProfile": {"adminPassword": "[parameters('pw')]",
                        "customData": "[concat('password=', parameters('pw'))]"}}}
    ]));
    t["parameters"] = json!({
        "pw": {"type": "securestring"},
        "size": {"type": "string", "allowedValues": ["Small", "Large"], "defaultValue": "Small"},
        "count": {"type": "int", "minValue": 1, "maxValue": 3, "defaultValue": 1}
    });
    let mut x = try_run(t.clone(), json!({"pw": "Sup3r-Secret!"})).unwrap();
    x.redact();
    let text = serde_json::to_string(&x).unwrap();
    assert!(!text.contains("Sup3r-Secret!"), "{text}");
    assert!(text.contains("password=***"));
    let e = try_run(t.clone(), json!({"pw": "x", "size": "Huge"})).unwrap_err();
    assert!(e.contains("not one of the allowed values"), "{e}");
    let e = try_run(t.clone(), json!({"pw": "x", "count": 9})).unwrap_err();
    assert!(e.contains("must be at most 3"), "{e}");
    let e = try_run(t, json!({})).unwrap_err();
    assert!(e.contains("'pw' has no value"), "{e}");
}

#[test]
fn subscription_scope_templates_build_subscription_ids() {
    let t = json!({"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
        "resources": [
            {"type": "Microsoft.Resources/resourceGroups", "apiVersion": "2022-09-01", "name": "rg-new", "location": "westeurope"},
            {"type": "Microsoft.Security/pricings", "apiVersion": "2024-01-01", "name": "VirtualMachines",
             "properties": {"pricingTier": "Standard"}}
        ],
        "outputs": {"id": {"type": "string", "value": "[subscriptionResourceId('Microsoft.Security/pricings', 'VirtualMachines')]"}}});
    let x = run(t);
    assert_eq!(
        x.resources[0].id,
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-new"
    );
    assert_eq!(
        x.resources[1].id,
        "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Security/pricings/VirtualMachines"
    );
    assert_eq!(x.outputs["id"], Value::String(x.resources[1].id.clone()));
}

#[test]
fn lenient_json_templates_expand() {
    let text = "{\n  // exported by hand\n  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\",\n  \"resources\": [\n    {\"type\": \"Microsoft.Network/networkSecurityGroups\", \"apiVersion\": \"2023-05-01\", \"name\": \"[concat('n',\n 'sg')]\",},\n  ],\n}";
    let t = Template::parse(text, "lenient.json").unwrap();
    let x = expand(&t, &ExpandOptions::default()).unwrap();
    assert_eq!(x.resources[0].name, "nsg");
}

/// Issue #18: graph/discover of a template deployed with values azrelo
/// cannot see. On request, a parameter with neither a value nor a default
/// is a symbolic unknown (as reference() results are) and is listed; by
/// default the expansion still fails naming it.
#[test]
fn missing_parameters_become_symbolic_on_request() {
    let mut t = base(json!([
        {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-05-01",
         "name": "[parameters('vnetName')]", "location": "westeurope",
         "properties": {"addressSpace": {"addressPrefixes": ["[parameters('prefix')]"]}}},
        {"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2023-05-01",
         "name": "[concat('pip', copyIndex())]", "copy": {"name": "pips", "count": "[parameters('count')]"}},
        {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-05-01", "name": "nsg"}
    ]));
    t["parameters"] = json!({
        "vnetName": {"type": "string"},
        "prefix": {"type": "string", "defaultValue": "10.0.0.0/16"},
        "count": {"type": "int"}
    });
    let e = try_run(t.clone(), json!({})).unwrap_err();
    assert!(e.contains("'vnetName' has no value"), "{e}");

    let tpl = Template::parse(&t.to_string(), "t.json").unwrap();
    let opts = ExpandOptions {
        missing_parameters: azrelo_template::MissingParameters::Symbolic,
        ..Default::default()
    };
    let x = expand(&tpl, &opts).unwrap();
    assert_eq!(x.missing_parameters, ["vnetName", "count"]);
    assert!(
        x.unresolved
            .iter()
            .any(|u| u.owner == "parameters.vnetName" && u.expression == "parameters('vnetName')"),
        "{:?}",
        x.unresolved
    );
    // The vnet keeps its symbolic name; the copy loop's count is unknown,
    // so its instances are unresolved; everything else expands.
    let names: Vec<&str> = x.resources.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["[parameters('vnetName')]", "nsg"]);
    let vnet = x.resources[0].properties().unwrap().to_json();
    assert_eq!(
        vnet,
        json!({"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}})
    );
    assert!(
        x.unresolved
            .iter()
            .any(|u| u.expression == "copy count of 'pips'")
    );
}
