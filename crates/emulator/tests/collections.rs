//! Collection GETs list the resources of one type under a scope, as ARM's
//! list operations do (what live discovery reads): diagnostic settings of a
//! resource, role assignments / locks of a subscription (including those on
//! groups and resources below it), children of a resource, top-level types of
//! a group or subscription.

use axum::http::StatusCode;
use azrelo_emulator::Emulator;
use serde_json::{Value, json};

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-0000000000c1";

async fn call(em: &Emulator, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let c = azrelo_testkit::call(em, method, path, body).await;
    (c.status, c.body)
}

async fn put(em: &Emulator, path: &str, body: Value) {
    let (status, b) = call(em, "PUT", path, Some(body)).await;
    assert!(status.is_success(), "PUT {path}: {status} {b}");
}

fn names(v: &Value) -> Vec<String> {
    let mut n: Vec<String> = v["value"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect();
    n.sort();
    n
}

fn assignment(principal: &str) -> Value {
    json!({"properties": {
        "roleDefinitionId": format!("{SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"),
        "principalId": principal,
        "principalType": "User"
    }})
}

#[tokio::test]
async fn extension_and_child_collections_list_like_arm() {
    let em = Emulator::without_throttling();
    let rg = format!("{SUB}/resourceGroups/app");
    put(&em, &rg, json!({"location": "westeurope"})).await;
    let sa = format!("{rg}/providers/Microsoft.Storage/storageAccounts/collst1");
    put(
        &em,
        &sa,
        json!({"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}),
    )
    .await;
    let vnet = format!("{rg}/providers/Microsoft.Network/virtualNetworks/net");
    put(
        &em,
        &vnet,
        json!({"location": "westeurope", "properties": {
        "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
        "subnets": [{"name": "a", "properties": {"addressPrefix": "10.0.1.0/24"}},
                    {"name": "b", "properties": {"addressPrefix": "10.0.2.0/24"}}]}}),
    )
    .await;
    let ws = format!("{rg}/providers/Microsoft.OperationalInsights/workspaces/logs");
    put(&em, &ws, json!({"location": "westeurope"})).await;
    put(&em, &format!("{sa}/providers/Microsoft.Insights/diagnosticSettings/to-logs"),
        json!({"properties": {"workspaceId": ws, "metrics": [{"category": "Transaction", "enabled": true}]}})).await;
    let ra = "/providers/Microsoft.Authorization/roleAssignments";
    put(
        &em,
        &format!("{SUB}{ra}/11111111-0000-0000-0000-000000000001"),
        assignment("aaaaaaaa-0000-0000-0000-000000000001"),
    )
    .await;
    put(
        &em,
        &format!("{rg}{ra}/11111111-0000-0000-0000-000000000002"),
        assignment("aaaaaaaa-0000-0000-0000-000000000002"),
    )
    .await;
    put(
        &em,
        &format!("{sa}{ra}/11111111-0000-0000-0000-000000000003"),
        assignment("aaaaaaaa-0000-0000-0000-000000000003"),
    )
    .await;
    put(
        &em,
        &format!("{sa}/providers/Microsoft.Authorization/locks/keep"),
        json!({"properties": {"level": "CanNotDelete"}}),
    )
    .await;

    // Diagnostic settings of one resource.
    let (s, v) = call(
        &em,
        "GET",
        &format!("{sa}/providers/Microsoft.Insights/diagnosticSettings"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(names(&v), ["to-logs"]);
    // Subscription-level role assignment list includes those below it.
    let (_, v) = call(&em, "GET", &format!("{SUB}{ra}"), None).await;
    assert_eq!(names(&v).len(), 3, "{v}");
    // At a resource: only its own.
    let (_, v) = call(&em, "GET", &format!("{sa}{ra}"), None).await;
    assert_eq!(names(&v), ["11111111-0000-0000-0000-000000000003"]);
    // Locks of the subscription include the resource's lock.
    let (_, v) = call(
        &em,
        "GET",
        &format!("{SUB}/providers/Microsoft.Authorization/locks"),
        None,
    )
    .await;
    assert_eq!(names(&v), ["keep"]);
    // Children of a resource (inline subnets are addressable).
    let (_, v) = call(&em, "GET", &format!("{vnet}/subnets"), None).await;
    assert_eq!(names(&v), ["a", "b"], "{v}");
    // A top-level type across the subscription.
    let (_, v) = call(
        &em,
        "GET",
        &format!("{SUB}/providers/Microsoft.Storage/storageAccounts"),
        None,
    )
    .await;
    assert_eq!(names(&v), ["collst1"]);
    // An empty collection is an empty list, not an error.
    let (s, v) = call(
        &em,
        "GET",
        &format!("{SUB}/providers/Microsoft.Authorization/policyExemptions"),
        None,
    )
    .await;
    assert_eq!((s, names(&v).len()), (StatusCode::OK, 0));
}

/// Virtual Networks - Get lists every subnet of the network in
/// `properties.subnets`, also one created on its own
/// (`Microsoft.Network/virtualNetworks/subnets`, as the
/// `subnet-add-vnet-existing` quickstart does): live discovery reads the
/// network's body and must see it (issue #13: the corpus found the subnet
/// missing from the estate, so nothing relocated it).
#[tokio::test]
async fn a_subnet_created_on_its_own_is_listed_in_its_network() {
    let em = Emulator::without_throttling();
    let rg = format!("{SUB}/resourceGroups/net");
    put(&em, &rg, json!({"location": "westeurope"})).await;
    let vnet = format!("{rg}/providers/Microsoft.Network/virtualNetworks/vnet-01");
    put(
        &em,
        &format!("{vnet}?api-version=2023-09-01"),
        json!({"location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}]
        }}),
    )
    .await;
    put(
        &em,
        &format!("{vnet}/subnets/newSubnet?api-version=2023-09-01"),
        json!({"properties": {"addressPrefix": "10.0.1.0/24"}}),
    )
    .await;
    let (status, body) = call(&em, "GET", &format!("{vnet}?api-version=2023-09-01"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let subnets = body["properties"]["subnets"].as_array().expect("subnets");
    let mut names: Vec<&str> = subnets.iter().filter_map(|s| s["name"].as_str()).collect();
    names.sort();
    assert_eq!(names, ["default", "newSubnet"], "{body}");
    let added = subnets.iter().find(|s| s["name"] == "newSubnet").unwrap();
    assert_eq!(added["properties"]["addressPrefix"], "10.0.1.0/24");
    assert!(
        added["id"]
            .as_str()
            .is_some_and(|i| i.eq_ignore_ascii_case(&format!("{vnet}/subnets/newSubnet"))),
        "{added}"
    );
}
