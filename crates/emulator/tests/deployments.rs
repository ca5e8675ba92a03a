//! The deployments API as ARM behaves (REST reference "Deployments" and
//! "Deployment Operations", learn.microsoft.com/rest/api/resources/deployments
//! and …/deployment-operations; error shapes from
//! learn.microsoft.com/azure/azure-resource-manager/troubleshooting/find-error-code):
//! runtime functions answered from the emulator's state, deployment
//! operations, `DeploymentFailed` with details per failed resource, nested
//! deployments with outputs, subscription scope, and the provisioning state
//! over time with a latency profile.

use std::time::Duration;

use axum::http::StatusCode;
use azrelo_emulator::Emulator;
use azrelo_emulator::latency::{Clock, LatencyProfile};
use serde_json::{Value, json};

use azrelo_testkit::{Call, call};

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-00000000d3a1";

async fn group(em: &Emulator, name: &str) -> String {
    let rg = format!("{SUB}/resourceGroups/{name}");
    let r = call(em, "PUT", &rg, Some(json!({"location": "westeurope"}))).await;
    assert!(r.status.is_success(), "{}", r.body);
    rg
}

fn template(resources: Value, outputs: Value) -> Value {
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": resources,
        "outputs": outputs,
    })
}

async fn deploy(em: &Emulator, scope: &str, name: &str, template: Value) -> Call {
    call(
        em,
        "PUT",
        &format!("{scope}/providers/Microsoft.Resources/deployments/{name}"),
        Some(json!({"properties": {"mode": "Incremental", "template": template}})),
    )
    .await
}

fn storage(name: &str) -> Value {
    json!({
        "type": "Microsoft.Storage/storageAccounts",
        "apiVersion": "2023-01-01",
        "name": name,
        "location": "westeurope",
        "sku": {"name": "Standard_LRS"},
        "kind": "StorageV2",
    })
}

#[tokio::test]
async fn reference_and_list_keys_are_answered_from_the_deployed_resources() {
    let em = Emulator::new();
    let rg = group(&em, "rg-ref").await;
    let t = template(
        json!([
            storage("stazreloref1"),
            {
                "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
                "apiVersion": "2023-01-01",
                "name": "stazreloref1/default/data",
                "dependsOn": ["[resourceId('Microsoft.Storage/storageAccounts', 'stazreloref1')]"],
            },
            {
                // Evaluated once the account exists (reference() by id, as
                // ARM evaluates it after the dependency is deployed).
                "type": "Microsoft.KeyVault/vaults",
                "apiVersion": "2023-07-01",
                "name": "kv-azrelo-ref1",
                "location": "westeurope",
                "dependsOn": ["[resourceId('Microsoft.Storage/storageAccounts', 'stazreloref1')]"],
                "tags": {"blob": "[reference(resourceId('Microsoft.Storage/storageAccounts', 'stazreloref1'), '2023-01-01').primaryEndpoints.blob]"},
                "properties": {"tenantId": "[subscription().tenantId]", "sku": {"family": "A", "name": "standard"}, "accessPolicies": []},
            },
        ]),
        json!({
            "blob": {"type": "string", "value": "[reference('stazreloref1').primaryEndpoints.blob]"},
            "vaultUri": {"type": "string", "value": "[reference('kv-azrelo-ref1').vaultUri]"},
            "keyLength": {"type": "int", "value": "[length(listKeys(resourceId('Microsoft.Storage/storageAccounts', 'stazreloref1'), '2023-01-01').keys[0].value)]"},
            "full": {"type": "string", "value": "[reference(resourceId('Microsoft.Storage/storageAccounts', 'stazreloref1'), '2023-01-01', 'Full').sku.name]"},
        }),
    );
    let r = deploy(&em, &rg, "ref", t).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        r.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        r.body
    );
    let out = &r.body["properties"]["outputs"];
    assert_eq!(
        out["blob"]["value"],
        "https://stazreloref1.blob.core.windows.net/"
    );
    assert_eq!(out["blob"]["type"], "String");
    assert_eq!(
        out["vaultUri"]["value"],
        "https://kv-azrelo-ref1.vault.azure.net/"
    );
    // A 64-byte key, base64: secret-shaped, never a fixed string.
    assert_eq!(out["keyLength"]["value"], 88);
    assert_eq!(out["full"]["value"], "Standard_LRS");
    // The value reached the resource as ARM would have written it.
    let kv = call(
        &em,
        "GET",
        &format!("{rg}/providers/Microsoft.KeyVault/vaults/kv-azrelo-ref1"),
        None,
    )
    .await;
    assert_eq!(
        kv.body["tags"]["blob"],
        "https://stazreloref1.blob.core.windows.net/"
    );
    // outputResources lists what the deployment created.
    let created: Vec<&str> = r.body["properties"]["outputResources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert_eq!(created.len(), 3, "{created:?}");
}

#[tokio::test]
async fn deployment_operations_have_arms_shape() {
    let em = Emulator::new();
    let rg = group(&em, "rg-ops").await;
    let t = template(
        json!([
            storage("stazrelops1"),
            {
                "type": "Microsoft.Network/networkSecurityGroups",
                "apiVersion": "2023-09-01",
                "name": "nsg-ops",
                "location": "westeurope",
                "properties": {"securityRules": []},
            },
        ]),
        json!({}),
    );
    let r = deploy(&em, &rg, "ops", t).await;
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
    let dep = format!("{rg}/providers/Microsoft.Resources/deployments/ops");
    let ops = call(&em, "GET", &format!("{dep}/operations"), None).await;
    assert_eq!(ops.status, StatusCode::OK);
    let list = ops.body["value"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{}", ops.body);
    for op in list {
        let id = op["id"].as_str().unwrap();
        let op_id = op["operationId"].as_str().unwrap();
        assert_eq!(id, format!("{dep}/operations/{op_id}"));
        assert!(op_id.len() == 16 && op_id.chars().all(|c| c.is_ascii_hexdigit()));
        let p = &op["properties"];
        assert_eq!(p["provisioningOperation"], "Create");
        assert_eq!(p["provisioningState"], "Succeeded");
        // A storage account is created asynchronously (202, then its
        // operation ends): ARM records "OK"; an NSG answers 201 "Created".
        let expected = if p["targetResource"]["resourceType"] == "Microsoft.Storage/storageAccounts"
        {
            "OK"
        } else {
            "Created"
        };
        assert_eq!(p["statusCode"], expected, "{op}");
        assert!(p["timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(p["duration"].as_str().unwrap().starts_with("PT"));
        let target = &p["targetResource"];
        assert!(target["id"].as_str().unwrap().starts_with(&rg));
        assert!(target["resourceType"].is_string());
        assert!(target["resourceName"].is_string());
        // One operation by id.
        let one = call(&em, "GET", &format!("{dep}/operations/{op_id}"), None).await;
        assert_eq!(one.status, StatusCode::OK);
        assert_eq!(one.body, *op);
    }
    let types: Vec<&str> = list
        .iter()
        .map(|o| {
            o["properties"]["targetResource"]["resourceType"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(types.contains(&"Microsoft.Storage/storageAccounts"));
    assert!(types.contains(&"Microsoft.Network/networkSecurityGroups"));
    // The deployments at the group (Deployments - List By Resource Group).
    let listed = call(
        &em,
        "GET",
        &format!("{rg}/providers/Microsoft.Resources/deployments"),
        None,
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    let names: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert_eq!(names, ["ops"]);
    let missing = call(
        &em,
        "GET",
        &format!("{dep}/operations/0123456789ABCDEF"),
        None,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let no_dep = call(
        &em,
        "GET",
        &format!("{rg}/providers/Microsoft.Resources/deployments/nope/operations"),
        None,
    )
    .await;
    assert_eq!(no_dep.status, StatusCode::NOT_FOUND);
    assert_eq!(no_dep.body["error"]["code"], "DeploymentNotFound");
}

#[tokio::test]
async fn a_failed_resource_fails_the_deployment_with_details_and_skips_its_dependents() {
    let em = Emulator::new();
    let rg = group(&em, "rg-fail").await;
    let missing_subnet =
        format!("{rg}/providers/Microsoft.Network/virtualNetworks/vnet-none/subnets/s1");
    let t = template(
        json!([
            {
                "type": "Microsoft.Network/networkInterfaces",
                "apiVersion": "2023-09-01",
                "name": "nic-bad",
                "location": "westeurope",
                "properties": {"ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": missing_subnet}}}]},
            },
            {
                "type": "Microsoft.Network/networkSecurityGroups",
                "apiVersion": "2023-09-01",
                "name": "nsg-independent",
                "location": "westeurope",
                "properties": {},
            },
            {
                "type": "Microsoft.Network/publicIPAddresses",
                "apiVersion": "2023-09-01",
                "name": "pip-dependent",
                "location": "westeurope",
                "dependsOn": ["[resourceId('Microsoft.Network/networkInterfaces', 'nic-bad')]"],
                "properties": {},
            },
        ]),
        json!({}),
    );
    let r = deploy(&em, &rg, "fail", t).await;
    assert_eq!(r.body["properties"]["provisioningState"], "Failed");
    let e = &r.body["properties"]["error"];
    assert_eq!(e["code"], "DeploymentFailed");
    let nic = format!("{rg}/providers/Microsoft.Network/networkInterfaces/nic-bad");
    let details = e["details"].as_array().unwrap();
    assert_eq!(details.len(), 1, "{e}");
    assert_eq!(details[0]["target"], json!(nic));
    assert_eq!(details[0]["code"], "InvalidResourceReference");
    // The independent resource was deployed, the dependent one not tried.
    let nsg = call(
        &em,
        "GET",
        &format!("{rg}/providers/Microsoft.Network/networkSecurityGroups/nsg-independent"),
        None,
    )
    .await;
    assert_eq!(nsg.status, StatusCode::OK);
    let pip = call(
        &em,
        "GET",
        &format!("{rg}/providers/Microsoft.Network/publicIPAddresses/pip-dependent"),
        None,
    )
    .await;
    assert_eq!(pip.status, StatusCode::NOT_FOUND);
    // The failed operation carries the resource provider's error.
    let ops = call(
        &em,
        "GET",
        &format!("{rg}/providers/Microsoft.Resources/deployments/fail/operations"),
        None,
    )
    .await;
    let failed: Vec<&Value> = ops.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["properties"]["provisioningState"] == "Failed")
        .collect();
    assert_eq!(failed.len(), 1);
    let p = &failed[0]["properties"];
    assert_eq!(p["statusCode"], "BadRequest");
    assert_eq!(p["statusMessage"]["status"], "Failed");
    assert_eq!(
        p["statusMessage"]["error"]["code"],
        "InvalidResourceReference"
    );
    assert_eq!(p["targetResource"]["id"], json!(nic));
    // The operation status endpoint (Azure-AsyncOperation) ends Failed.
    let status_url = r.headers["azure-asyncoperation"].to_str().unwrap();
    let s = call(&em, "GET", status_url, None).await;
    assert_eq!(s.body["status"], "Failed");
    assert_eq!(s.body["error"]["code"], "DeploymentFailed");
}

#[tokio::test]
async fn a_reference_to_a_missing_resource_fails_as_resource_not_found() {
    let em = Emulator::new();
    let rg = group(&em, "rg-missing").await;
    let t = template(
        json!([storage("stazrelomiss1")]),
        json!({"x": {"type": "string", "value": "[reference(resourceId('Microsoft.KeyVault/vaults', 'kv-not-there'), '2023-07-01').vaultUri]"}}),
    );
    let r = deploy(&em, &rg, "missing", t).await;
    assert_eq!(r.body["properties"]["provisioningState"], "Failed");
    let e = &r.body["properties"]["error"];
    let detail = &e["details"][0];
    assert_eq!(detail["code"], "ResourceNotFound", "{e}");
    assert!(
        detail["message"]
            .as_str()
            .unwrap()
            .contains("Microsoft.KeyVault/vaults/kv-not-there")
    );
}

#[tokio::test]
async fn nested_deployments_have_records_outputs_and_operations() {
    let em = Emulator::new();
    let rg = group(&em, "rg-nested").await;
    let inner = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"name": {"type": "string"}},
        "resources": [storage("[parameters('name')]")],
        "outputs": {"blob": {"type": "string", "value": "[reference(parameters('name')).primaryEndpoints.blob]"}},
    });
    let t = template(
        json!([
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "inner",
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "parameters": {"name": {"value": "stazrelonest1"}},
                    "template": inner,
                },
            },
            {
                // Uses the inner deployment's output: deployed after it.
                "type": "Microsoft.Network/networkSecurityGroups",
                "apiVersion": "2023-09-01",
                "name": "nsg-after",
                "location": "westeurope",
                "tags": {"blob": "[reference('inner').outputs.blob.value]"},
                "dependsOn": ["inner"],
                "properties": {},
            },
        ]),
        json!({"blob": {"type": "string", "value": "[reference('inner').outputs.blob.value]"}}),
    );
    let r = deploy(&em, &rg, "outer", t).await;
    assert_eq!(
        r.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        r.body
    );
    let blob = "https://stazrelonest1.blob.core.windows.net/";
    assert_eq!(r.body["properties"]["outputs"]["blob"]["value"], blob);
    let nsg = call(
        &em,
        "GET",
        &format!("{rg}/providers/Microsoft.Network/networkSecurityGroups/nsg-after"),
        None,
    )
    .await;
    assert_eq!(nsg.body["tags"]["blob"], blob);
    // The nested deployment's own record, with its outputs.
    let inner_dep = format!("{rg}/providers/Microsoft.Resources/deployments/inner");
    let rec = call(&em, "GET", &inner_dep, None).await;
    assert_eq!(rec.status, StatusCode::OK);
    assert_eq!(rec.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(rec.body["properties"]["outputs"]["blob"]["value"], blob);
    // Operations: the outer one lists the nested deployment and the NSG,
    // the nested one its storage account.
    let outer_ops = call(
        &em,
        "GET",
        &format!("{rg}/providers/Microsoft.Resources/deployments/outer/operations"),
        None,
    )
    .await;
    let mut outer_types: Vec<String> = outer_ops.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            o["properties"]["targetResource"]["resourceType"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    outer_types.sort();
    assert_eq!(
        outer_types,
        [
            "Microsoft.Network/networkSecurityGroups",
            "Microsoft.Resources/deployments"
        ]
    );
    let inner_ops = call(&em, "GET", &format!("{inner_dep}/operations"), None).await;
    let inner_list = inner_ops.body["value"].as_array().unwrap();
    assert_eq!(inner_list.len(), 1);
    assert_eq!(
        inner_list[0]["properties"]["targetResource"]["resourceName"],
        "stazrelonest1"
    );
}

#[tokio::test]
async fn subscription_deployments_create_groups_and_deploy_into_them() {
    let em = Emulator::new();
    let t = json!({
        "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Resources/resourceGroups",
                "apiVersion": "2022-09-01",
                "name": "rg-from-sub",
                "location": "northeurope",
            },
            {
                "type": "Microsoft.Resources/deployments",
                "apiVersion": "2022-09-01",
                "name": "into-rg",
                "resourceGroup": "rg-from-sub",
                "dependsOn": ["[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg-from-sub')]"],
                "properties": {
                    "mode": "Incremental",
                    "expressionEvaluationOptions": {"scope": "inner"},
                    "template": {
                        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                        "contentVersion": "1.0.0.0",
                        "resources": [{
                            "type": "Microsoft.Storage/storageAccounts",
                            "apiVersion": "2023-01-01",
                            "name": "stazrelosub1",
                            "location": "[resourceGroup().location]",
                            "sku": {"name": "Standard_LRS"},
                            "kind": "StorageV2",
                        }],
                        "outputs": {"loc": {"type": "string", "value": "[resourceGroup().location]"}},
                    },
                },
            },
        ],
        "outputs": {"rg": {"type": "string", "value": "[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg-from-sub')]"}},
    });
    let path = format!("{SUB}/providers/Microsoft.Resources/deployments/sub-dep");
    // A subscription deployment needs a location (ARM: LocationRequired).
    let no_loc = call(
        &em,
        "PUT",
        &path,
        Some(json!({"properties": {"mode": "Incremental", "template": t.clone()}})),
    )
    .await;
    assert_eq!(no_loc.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_loc.body["error"]["code"], "LocationRequired");
    let r = call(
        &em,
        "PUT",
        &path,
        Some(
            json!({"location": "westeurope", "properties": {"mode": "Incremental", "template": t}}),
        ),
    )
    .await;
    assert_eq!(
        r.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        r.body
    );
    assert_eq!(r.body["location"], "westeurope");
    // ARM's subscriptionResourceId() spells a group with its provider.
    assert_eq!(
        r.body["properties"]["outputs"]["rg"]["value"],
        json!(format!(
            "{SUB}/providers/Microsoft.Resources/resourceGroups/rg-from-sub"
        ))
    );
    let rg = format!("{SUB}/resourceGroups/rg-from-sub");
    let g = call(&em, "GET", &rg, None).await;
    assert_eq!(g.body["location"], "northeurope");
    let st = call(
        &em,
        "GET",
        &format!("{rg}/providers/Microsoft.Storage/storageAccounts/stazrelosub1"),
        None,
    )
    .await;
    assert_eq!(st.status, StatusCode::OK);
    assert_eq!(st.body["location"], "northeurope");
    // The nested deployment's record lives in the group it deployed to.
    let rec = call(
        &em,
        "GET",
        &format!("{rg}/providers/Microsoft.Resources/deployments/into-rg"),
        None,
    )
    .await;
    assert_eq!(
        rec.body["properties"]["outputs"]["loc"]["value"],
        "northeurope"
    );
}

#[tokio::test]
async fn validate_and_what_if_change_nothing() {
    let em = Emulator::new();
    let rg = group(&em, "rg-preview").await;
    let t = template(json!([storage("stazreloprev1")]), json!({}));
    let dep = format!("{rg}/providers/Microsoft.Resources/deployments/prev");
    let body = json!({"properties": {"mode": "Incremental", "template": t}});
    let v = call(&em, "POST", &format!("{dep}/validate"), Some(body.clone())).await;
    assert_eq!(v.status, StatusCode::OK);
    assert_eq!(
        v.body["properties"]["validatedResources"][0]["id"],
        json!(format!(
            "{rg}/providers/Microsoft.Storage/storageAccounts/stazreloprev1"
        ))
    );
    let w = call(&em, "POST", &format!("{dep}/whatIf"), Some(body.clone())).await;
    assert_eq!(w.body["properties"]["changes"][0]["changeType"], "Create");
    let st = call(
        &em,
        "GET",
        &format!("{rg}/providers/Microsoft.Storage/storageAccounts/stazreloprev1"),
        None,
    )
    .await;
    assert_eq!(st.status, StatusCode::NOT_FOUND);
    let bad = call(
        &em,
        "POST",
        &format!("{dep}/validate"),
        Some(json!({"properties": {"template": {"resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "[parameters('nope')]"}]}}})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["code"], "InvalidTemplate");
}

#[tokio::test]
async fn with_latency_the_deployment_runs_independent_resources_in_parallel() {
    // Fast profile: a storage account takes 25 s × 0.05 = 1.25 s, an NSG and
    // a route table 5 s × 0.05 = 0.25 s each (see `latency`). The route
    // table waits for the NSG; the storage account is independent. In
    // parallel the deployment ends at 1.25 s (the longest path), not at
    // 1.75 s (one after the other).
    let clock = Clock::manual();
    let em = Emulator::new()
        .with_latency(LatencyProfile::Fast)
        .with_clock(clock.clone());
    let rg = group(&em, "rg-latency").await;
    let t = template(
        json!([
            storage("stazrelolat1"),
            {
                "type": "Microsoft.Network/networkSecurityGroups",
                "apiVersion": "2023-09-01",
                "name": "nsg-first",
                "location": "westeurope",
                "properties": {},
            },
            {
                "type": "Microsoft.Network/routeTables",
                "apiVersion": "2023-09-01",
                "name": "rt-second",
                "location": "westeurope",
                "dependsOn": ["[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg-first')]"],
                "properties": {},
            },
        ]),
        json!({}),
    );
    let r = deploy(&em, &rg, "lat", t).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["properties"]["provisioningState"], "Accepted");
    // A running deployment says when to poll (1–15 s, as ARM's LROs do).
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15).contains(&retry), "{retry}");
    let dep = format!("{rg}/providers/Microsoft.Resources/deployments/lat");
    let status_url = r.headers["azure-asyncoperation"]
        .to_str()
        .unwrap()
        .to_string();
    let state = |b: &Value| {
        b["properties"]["provisioningState"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(state(&call(&em, "GET", &dep, None).await.body), "Running");
    let polled = call(&em, "GET", &status_url, None).await;
    assert_eq!(polled.body["status"], "Running");
    assert!(
        polled.headers.contains_key("retry-after"),
        "poll again soon"
    );
    // The route table starts when the NSG is done.
    let op_state = |ops: &Value, name: &str| -> String {
        ops["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["properties"]["targetResource"]["resourceName"] == name)
            .map(|o| {
                o["properties"]["provisioningState"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .unwrap()
    };
    clock.advance(Duration::from_millis(300));
    let ops = call(&em, "GET", &format!("{dep}/operations"), None)
        .await
        .body;
    assert_eq!(op_state(&ops, "nsg-first"), "Succeeded");
    assert_eq!(op_state(&ops, "rt-second"), "Running");
    assert_eq!(op_state(&ops, "stazrelolat1"), "Running");
    clock.advance(Duration::from_millis(700)); // 1.0 s
    assert_eq!(state(&call(&em, "GET", &dep, None).await.body), "Running");
    clock.advance(Duration::from_millis(300)); // 1.3 s
    let done = call(&em, "GET", &dep, None).await.body;
    assert_eq!(state(&done), "Succeeded", "{done}");
    assert_eq!(
        call(&em, "GET", &status_url, None).await.body["status"],
        "Succeeded"
    );
    let ops = call(&em, "GET", &format!("{dep}/operations"), None)
        .await
        .body;
    assert_eq!(op_state(&ops, "rt-second"), "Succeeded");
    // While a deployment runs, replacing it is refused (DeploymentActive).
    let t2 = template(json!([storage("stazrelolat2")]), json!({}));
    let r2 = deploy(&em, &rg, "lat2", t2.clone()).await;
    assert_eq!(r2.body["properties"]["provisioningState"], "Accepted");
    let again = deploy(&em, &rg, "lat2", t2).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["error"]["code"], "DeploymentActive");
}

#[tokio::test]
async fn without_latency_the_deployment_completes_in_the_response() {
    let em = Emulator::new();
    let rg = group(&em, "rg-nolat").await;
    let r = deploy(
        &em,
        &rg,
        "now",
        template(json!([storage("stazrelonow1")]), json!({})),
    )
    .await;
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
    let url = r.headers["azure-asyncoperation"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(url.contains("/operationStatuses/"), "{url}");
    assert_eq!(
        call(&em, "GET", &url, None).await.body["status"],
        "Succeeded"
    );
    // Deleting a resource the deployment created is allowed (the record's
    // outputResources is history, not a use).
    let st = format!("{rg}/providers/Microsoft.Storage/storageAccounts/stazrelonow1");
    let d = call(&em, "DELETE", &st, None).await;
    assert!(d.status.is_success(), "{}", d.body);
}

#[tokio::test]
async fn linked_templates_come_from_the_artifact_mirror_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("app/nested")).unwrap();
    let main = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"_artifactsLocation": {"type": "string", "defaultValue": "[deployment().properties.templateLink.uri]"}},
        "resources": [{
            "type": "Microsoft.Resources/deployments",
            "apiVersion": "2022-09-01",
            "name": "storage",
            "properties": {
                "mode": "Incremental",
                "templateLink": {"relativePath": "nested/storage.json"},
            },
        }],
        "outputs": {
            "blob": {"type": "string", "value": "[reference('storage').outputs.blob.value]"},
            "from": {"type": "string", "value": "[parameters('_artifactsLocation')]"},
        },
    });
    let nested = template(
        json!([storage("stazrelolink1")]),
        json!({"blob": {"type": "string", "value": "[reference('stazrelolink1').primaryEndpoints.blob]"}}),
    );
    std::fs::write(dir.path().join("app/azuredeploy.json"), main.to_string()).unwrap();
    std::fs::write(
        dir.path().join("app/nested/storage.json"),
        nested.to_string(),
    )
    .unwrap();
    let em = Emulator::new().with_artifacts("https://artifacts.azrelo.test/", dir.path());
    let rg = group(&em, "rg-link").await;
    let uri = "https://artifacts.azrelo.test/app/azuredeploy.json";
    let r = call(
        &em,
        "PUT",
        &format!("{rg}/providers/Microsoft.Resources/deployments/linked"),
        Some(json!({"properties": {"mode": "Incremental", "templateLink": {"uri": uri}}})),
    )
    .await;
    assert_eq!(
        r.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        r.body
    );
    let out = &r.body["properties"]["outputs"];
    assert_eq!(
        out["blob"]["value"],
        "https://stazrelolink1.blob.core.windows.net/"
    );
    assert_eq!(out["from"]["value"], uri);
    assert_eq!(r.body["properties"]["templateLink"]["uri"], uri);
    // Anything outside the mirror is not fetched (the emulator is offline):
    // ARM's InvalidContentLink.
    for bad in [
        "https://example.com/azuredeploy.json",
        "https://artifacts.azrelo.test/../secret.json",
        "https://artifacts.azrelo.test/app/missing.json",
    ] {
        let r = call(
            &em,
            "PUT",
            &format!("{rg}/providers/Microsoft.Resources/deployments/bad"),
            Some(json!({"properties": {"mode": "Incremental", "templateLink": {"uri": bad}}})),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.body["error"]["code"], "InvalidContentLink");
    }
    // A nested link the mirror does not serve fails that deployment.
    let t = template(
        json!([{
            "type": "Microsoft.Resources/deployments",
            "apiVersion": "2022-09-01",
            "name": "remote",
            "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.com/t.json"}},
        }]),
        json!({}),
    );
    let r = deploy(&em, &rg, "remote-link", t).await;
    assert_eq!(r.body["properties"]["provisioningState"], "Failed");
    assert_eq!(
        r.body["properties"]["error"]["details"][0]["code"],
        "InvalidContentLink"
    );
}

#[tokio::test]
async fn key_vault_parameter_references_read_the_secret() {
    let em = Emulator::new();
    let rg = group(&em, "rg-kvref").await;
    let kv = format!("{rg}/providers/Microsoft.KeyVault/vaults/kv-azrelo-kvref");
    let r = call(
        &em,
        "PUT",
        &kv,
        Some(json!({"location": "westeurope", "properties": {"tenantId": "72f988bf-0000-0000-0000-00000000e001", "sku": {"family": "A", "name": "standard"}, "accessPolicies": []}})),
    )
    .await;
    assert!(r.status.is_success());
    call(
        &em,
        "PUT",
        &format!("{kv}/secrets/admin"),
        Some(json!({"properties": {"value": "s3cret-Value"}})),
    )
    .await;
    let t = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"password": {"type": "securestring"}},
        "resources": [],
        "outputs": {"length": {"type": "int", "value": "[length(parameters('password'))]"}},
    });
    let dep = format!("{rg}/providers/Microsoft.Resources/deployments/kvref");
    let reference = |secret: &str| {
        json!({"properties": {"mode": "Incremental", "template": t.clone(), "parameters": {
            "password": {"reference": {"keyVault": {"id": kv.clone()}, "secretName": secret}},
        }}})
    };
    let ok = call(&em, "PUT", &dep, Some(reference("admin"))).await;
    assert_eq!(ok.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(ok.body["properties"]["outputs"]["length"]["value"], 12);
    // The record never shows a secure parameter's value.
    assert_eq!(
        ok.body["properties"]["parameters"]["password"],
        json!({"type": "SecureString"})
    );
    assert!(!ok.body.to_string().contains("s3cret-Value"));
    let missing = call(&em, "PUT", &dep, Some(reference("nope"))).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.body["error"]["code"],
        "KeyVaultParameterReferenceSecretRetrieveFailed"
    );
}
