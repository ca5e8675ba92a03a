//! The emulator speaks ARM: resource groups, generic resources, error codes,
//! long-running operation headers, integrity, global names, identities.

use axum::http::StatusCode;
use azrelo_emulator::Emulator;
use azrelo_testkit::{call, call_as};
use serde_json::{Value, json};

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-0000000000e1";

fn rg(name: &str) -> String {
    format!("{SUB}/resourceGroups/{name}")
}

#[tokio::test]
async fn resource_groups_and_resources_round_trip_with_lro_headers() {
    let em = Emulator::new();
    let c = call(
        &em,
        "PUT",
        &rg("rg1"),
        Some(json!({"location": "swedencentral"})),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED);
    assert_eq!(
        call(
            &em,
            "PUT",
            &rg("rg1"),
            Some(json!({"location": "swedencentral"}))
        )
        .await
        .status,
        StatusCode::OK
    );
    let vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/v1",
        rg("rg1")
    );
    let c = call(&em, "PUT", &vnet, Some(json!({"location": "swedencentral", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}))).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    assert_eq!(c.body["properties"]["provisioningState"], "Creating");
    let op = c
        .headers
        .get("azure-asyncoperation")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(c.headers.get("location").is_some());
    let s = call(&em, "GET", &op, None).await;
    assert_eq!(s.body["status"], "Succeeded");
    let g = call(
        &em,
        "GET",
        &vnet.to_uppercase().replace("?API-VERSION", "?api-version"),
        None,
    )
    .await;
    assert_eq!(g.status, StatusCode::OK, "ids are case-insensitive");
    assert_eq!(g.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(g.body["id"], vnet.as_str());
    // PATCH tags.
    let p = call(
        &em,
        "PATCH",
        &vnet,
        Some(json!({"tags": {"env": "rehearsal"}})),
    )
    .await;
    assert_eq!(p.body["tags"]["env"], "rehearsal");
    // Lists.
    let l = call(&em, "GET", &format!("{}/resources", rg("rg1")), None).await;
    assert_eq!(l.body["value"].as_array().unwrap().len(), 1);
    // rg1, and NetworkWatcherRG that Azure creates with the first virtual
    // network of a region (learn.microsoft.com/azure/network-watcher/
    // network-watcher-create).
    let l = call(&em, "GET", &format!("{SUB}/resourcegroups"), None).await;
    let names: Vec<&str> = l.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"rg1") && names.contains(&"NetworkWatcherRG"));
    // Delete the groups: everything in them goes.
    let d = call(&em, "DELETE", &rg("rg1"), None).await;
    assert_eq!(d.status, StatusCode::ACCEPTED);
    let d = call(&em, "DELETE", &rg("NetworkWatcherRG"), None).await;
    assert_eq!(d.status, StatusCode::ACCEPTED);
    assert!(em.is_empty());
}

#[tokio::test]
async fn arm_error_codes() {
    let em = Emulator::new();
    let c = call_as(&em, "GET", &rg("x"), None, None).await;
    assert_eq!(
        (c.status, c.body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("AuthenticationFailed"))
    );
    let c = call(&em, "GET", &format!("{}?x=1", rg("x")), None).await;
    assert_eq!(c.body["error"]["code"], "MissingApiVersionParameter");
    let kv = format!("{}/providers/Microsoft.KeyVault/vaults/kv1", rg("nope"));
    let c = call(&em, "PUT", &kv, Some(json!({"location": "swedencentral"}))).await;
    assert_eq!(
        (c.status, c.body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("ResourceGroupNotFound"))
    );
    call(
        &em,
        "PUT",
        &rg("rg"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    let c = call(
        &em,
        "GET",
        &format!("{}/providers/Microsoft.KeyVault/vaults/kv1", rg("rg")),
        None,
    )
    .await;
    assert_eq!(c.body["error"]["code"], "ResourceNotFound");
    let sub = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/none/subnets/s",
        rg("rg")
    );
    let c = call(&em, "PUT", &sub, Some(json!({"properties": {}}))).await;
    assert_eq!(c.body["error"]["code"], "ParentResourceNotFound");
    // A region the provider snapshot knows but does not list for the type
    // (providers.json, 2023-11: virtual networks in 40 locations, not Brazil
    // Southeast) is refused as ARM refuses it.
    let c = call(
        &em,
        "PUT",
        &format!("{}/providers/Microsoft.Network/virtualNetworks/v", rg("rg")),
        Some(json!({"location": "brazilsoutheast"})),
    )
    .await;
    assert_eq!(
        (c.status, c.body["error"]["code"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("LocationNotAvailableForResourceType")
        )
    );
    let c = call(
        &em,
        "PUT",
        &format!("{}/providers/Contoso.Nothing/widgets/w", rg("rg")),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    assert_eq!(c.body["error"]["code"], "NoRegisteredProviderFound");
}

#[tokio::test]
async fn referential_integrity_and_in_use_conflicts() {
    let em = Emulator::new();
    call(
        &em,
        "PUT",
        &rg("net"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    let vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/v",
        rg("net")
    );
    let subnet = format!("{vnet}/subnets/s1");
    let nic = format!(
        "{}/providers/Microsoft.Network/networkInterfaces/n1",
        rg("net")
    );
    let nic_body = json!({"location": "westeurope", "properties": {"ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet}}}]}});
    // NIC → missing subnet fails.
    let c = call(&em, "PUT", &nic, Some(nic_body.clone())).await;
    assert_eq!(
        c.body["error"]["code"], "InvalidResourceReference",
        "{}",
        c.body
    );
    call(
        &em,
        "PUT",
        &vnet,
        Some(json!({"location": "westeurope", "properties": {}})),
    )
    .await;
    assert_eq!(
        call(
            &em,
            "PUT",
            &subnet,
            Some(json!({"properties": {"addressPrefix": "10.0.0.0/24"}}))
        )
        .await
        .status,
        StatusCode::CREATED
    );
    assert_eq!(
        call(&em, "PUT", &nic, Some(nic_body)).await.status,
        StatusCode::CREATED
    );
    // Subnet with a NIC cannot be deleted.
    let c = call(&em, "DELETE", &subnet, None).await;
    assert_eq!(
        (c.status, c.body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("InUseSubnetCannotBeDeleted"))
    );
    // Deleting the NIC first works, then the subnet.
    assert_eq!(
        call(&em, "DELETE", &nic, None).await.status,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        call(&em, "DELETE", &subnet, None).await.status,
        StatusCode::ACCEPTED
    );
    // Deleting something absent is 204.
    assert_eq!(
        call(&em, "DELETE", &subnet, None).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn global_names_and_identities() {
    let em = Emulator::new();
    call(
        &em,
        "PUT",
        &rg("a"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    call(
        &em,
        "PUT",
        &rg("b"),
        Some(json!({"location": "swedencentral"})),
    )
    .await;
    let st = |g: &str| {
        format!(
            "{}/providers/Microsoft.Storage/storageAccounts/stshop01",
            rg(g)
        )
    };
    // Storage accounts answer a create with 202 (StorageAccounts_Create: 200, 202).
    assert_eq!(call(&em, "PUT", &st("a"), Some(json!({"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}))).await.status, StatusCode::ACCEPTED);
    let c = call(
        &em,
        "PUT",
        &st("b"),
        Some(json!({"location": "swedencentral"})),
    )
    .await;
    assert_eq!(
        (c.status, c.body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("StorageAccountAlreadyTaken"))
    );
    // Resource-group-scoped names may repeat in another group.
    let nsg = |g: &str| {
        format!(
            "{}/providers/Microsoft.Network/networkSecurityGroups/nsg",
            rg(g)
        )
    };
    assert_eq!(
        call(
            &em,
            "PUT",
            &nsg("a"),
            Some(json!({"location": "westeurope"}))
        )
        .await
        .status,
        StatusCode::CREATED
    );
    assert_eq!(
        call(
            &em,
            "PUT",
            &nsg("b"),
            Some(json!({"location": "swedencentral"}))
        )
        .await
        .status,
        StatusCode::CREATED
    );
    // A user-assigned identity gets principal and client ids; a VM using it
    // and a system identity gets both.
    let uami = format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1",
        rg("a")
    );
    let u = call(&em, "PUT", &uami, Some(json!({"location": "westeurope"}))).await;
    let principal = u.body["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(principal.len(), 36);
    let app = format!("{}/providers/Microsoft.Web/sites/app-shop", rg("a"));
    let c = call(&em, "PUT", &app, Some(json!({"location": "westeurope", "identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {uami.clone(): {}}}}))).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    assert_eq!(
        c.body["identity"]["principalId"].as_str().unwrap().len(),
        36
    );
    assert_eq!(
        c.body["identity"]["userAssignedIdentities"][&uami]["principalId"],
        principal.as_str()
    );
    // An identity still assigned may be deleted (ARM allows it).
    assert_eq!(
        call(&em, "DELETE", &uami, None).await.status,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn throttles_writes_like_arm_with_retry_after() {
    let em = Emulator::new();
    let c = call(
        &em,
        "PUT",
        &rg("t"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    assert_eq!(
        c.headers
            .get("x-ms-ratelimit-remaining-subscription-writes")
            .unwrap(),
        "199"
    );
    let mut throttled = None;
    for i in 0..260 {
        let c = call(
            &em,
            "PATCH",
            &rg("t"),
            Some(json!({"tags": {"i": i.to_string()}})),
        )
        .await;
        if c.status == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some((i, c));
            break;
        }
    }
    let (i, c) = throttled.expect("writes are throttled after the burst");
    assert_eq!(i, 199, "200 writes in the burst, the first PUT included");
    assert_eq!(c.body["error"]["code"], "SubscriptionRequestsThrottled");
    assert!(c.headers.get("retry-after").is_some());
    // Reads have their own bucket; another principal its own too.
    assert_eq!(
        call(&em, "GET", &rg("t"), None).await.status,
        StatusCode::OK
    );
    // Without throttling nothing is refused.
    let free = Emulator::without_throttling();
    call(
        &free,
        "PUT",
        &rg("t"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    for _ in 0..300 {
        assert_eq!(
            call(&free, "GET", &rg("t"), None).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn seeded_resources_exist_as_they_are() {
    let em = Emulator::new();
    let id = format!(
        "{}/providers/Microsoft.KeyVault/vaults/kv-seeded",
        rg("src")
    );
    let n = em.seed([(id.clone(), json!({"type": "Microsoft.KeyVault/vaults", "name": "kv-seeded", "location": "westeurope", "properties": {"tenantId": "t"}}))]);
    assert_eq!(n, 1);
    let c = call(&em, "GET", &id, None).await;
    assert_eq!(c.status, StatusCode::OK);
    assert_eq!(c.body["properties"]["tenantId"], "t");
    // Its resource group was created with it.
    assert_eq!(
        call(&em, "GET", &rg("src"), None).await.status,
        StatusCode::OK
    );
    // Global names already taken by seeded resources are refused elsewhere.
    call(
        &em,
        "PUT",
        &rg("dst"),
        Some(json!({"location": "swedencentral"})),
    )
    .await;
    let c = call(
        &em,
        "PUT",
        &format!(
            "{}/providers/Microsoft.KeyVault/vaults/kv-seeded",
            rg("dst")
        ),
        Some(json!({"location": "swedencentral"})),
    )
    .await;
    assert_eq!(c.body["error"]["code"], "VaultAlreadyExists");
}

#[tokio::test]
async fn injected_faults_and_discovery_endpoints() {
    let spec = azrelo_emulator::faults::FaultSpec::parse("503=1.0,seed=3").unwrap();
    let flaky = Emulator::new().with_faults(spec);
    let c = call(&flaky, "GET", &rg("x"), None).await;
    assert_eq!(
        (c.status, c.body["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("ServiceUnavailable"))
    );
    let spec = azrelo_emulator::faults::FaultSpec::parse("429=1.0").unwrap();
    let c = call(&Emulator::new().with_faults(spec), "GET", &rg("x"), None).await;
    assert_eq!(c.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(c.headers.get("retry-after").is_some());
    // Locations and providers from the embedded snapshots.
    let em = Emulator::new();
    let l = call(&em, "GET", &format!("{SUB}/locations"), None).await;
    let locs = l.body["value"].as_array().unwrap();
    assert_eq!(locs.len(), 102);
    assert!(
        locs.iter()
            .any(|x| x["name"] == "swedencentral" && x["metadata"]["regionType"] == "Physical")
    );
    let p = call(
        &em,
        "GET",
        &format!("{SUB}/providers/Microsoft.Network"),
        None,
    )
    .await;
    assert_eq!(p.body["registrationState"], "Registered");
    assert!(
        p.body["resourceTypes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["resourceType"] == "virtualNetworks")
    );
    let p = call(
        &em,
        "GET",
        &format!("{SUB}/providers/Contoso.Nothing"),
        None,
    )
    .await;
    assert_eq!(p.body["error"]["code"], "InvalidResourceNamespace");
}

#[tokio::test]
async fn state_survives_a_restart_with_a_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let kv = format!("{}/providers/Microsoft.KeyVault/vaults/kv-persist", rg("p"));
    {
        let em = Emulator::open(dir.path()).unwrap();
        call(
            &em,
            "PUT",
            &rg("p"),
            Some(json!({"location": "westeurope"})),
        )
        .await;
        assert_eq!(
            call(
                &em,
                "PUT",
                &kv,
                Some(json!({"location": "westeurope", "properties": {"tenantId": "t"}}))
            )
            .await
            .status,
            StatusCode::CREATED
        );
        call(
            &em,
            "PATCH",
            &kv,
            Some(json!({"tags": {"stage": "source"}})),
        )
        .await;
        let nsg = format!(
            "{}/providers/Microsoft.Network/networkSecurityGroups/gone",
            rg("p")
        );
        call(&em, "PUT", &nsg, Some(json!({"location": "westeurope"}))).await;
        assert_eq!(
            call(&em, "DELETE", &nsg, None).await.status,
            StatusCode::ACCEPTED
        );
    }
    let em = Emulator::open(dir.path()).unwrap();
    assert_eq!(
        em.len(),
        2,
        "the group and the vault; the deleted NSG stays deleted"
    );
    let c = call(&em, "GET", &kv, None).await;
    assert_eq!(c.status, StatusCode::OK);
    assert_eq!(c.body["tags"]["stage"], "source");
    assert_eq!(c.body["properties"]["provisioningState"], "Succeeded");
}

#[tokio::test]
async fn resource_graph_subset_with_paging() {
    let em = Emulator::new();
    call(
        &em,
        "PUT",
        &rg("g1"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    call(
        &em,
        "PUT",
        &rg("g2"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    for i in 0..5 {
        let nsg = format!(
            "{}/providers/Microsoft.Network/networkSecurityGroups/nsg{i}",
            rg("g1")
        );
        call(&em, "PUT", &nsg, Some(json!({"location": "westeurope"}))).await;
    }
    call(
        &em,
        "PUT",
        &format!("{}/providers/Microsoft.KeyVault/vaults/kv-arg", rg("g2")),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    let arg = |q: &str, options: Value| json!({"subscriptions": ["00000000-0000-0000-0000-0000000000e1"], "query": q, "options": options});
    let c = call(&em, "POST", "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01", Some(arg("resources | where type =~ 'Microsoft.Network/networkSecurityGroups' and resourceGroup =~ 'G1' | project id, name", json!({"$top": 2})))).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert_eq!(c.body["totalRecords"], 5);
    assert_eq!(c.body["count"], 2);
    let mut names: Vec<String> = c.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    let mut token = c.body["$skipToken"].as_str().map(str::to_string);
    while let Some(t) = token {
        let c = call(&em, "POST", "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01", Some(arg("resources | where type =~ 'Microsoft.Network/networkSecurityGroups' and resourceGroup =~ 'G1' | project id, name", json!({"$top": 2, "$skipToken": t})))).await;
        names.extend(
            c.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_string()),
        );
        token = c.body["$skipToken"].as_str().map(str::to_string);
    }
    assert_eq!(names, ["nsg0", "nsg1", "nsg2", "nsg3", "nsg4"]);
    // Resource groups live in resourcecontainers, with ARG's type spelling.
    let c = call(
        &em,
        "POST",
        "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01",
        Some(arg(
            "resourcecontainers | where name in ('g1', 'g2')",
            json!({}),
        )),
    )
    .await;
    assert_eq!(c.body["count"], 2);
    assert_eq!(
        c.body["data"][0]["type"],
        "microsoft.resources/subscriptions/resourcegroups"
    );
    // Unsupported KQL is a clear 400.
    let c = call(
        &em,
        "POST",
        "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01",
        Some(arg("resources | summarize count() by type", json!({}))),
    )
    .await;
    assert_eq!(
        (c.status, c.body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("BadRequest"))
    );
}

#[tokio::test]
async fn deployments_validate_what_if_and_deploy() {
    let em = Emulator::new();
    call(
        &em,
        "PUT",
        &rg("d"),
        Some(json!({"location": "swedencentral"})),
    )
    .await;
    let template = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"prefix": {"type": "string"}},
        "resources": [
            {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01", "name": "[concat(parameters('prefix'), '-nsg')]", "location": "[resourceGroup().location]", "properties": {}},
            {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-09-01", "name": "[concat(parameters('prefix'), '-vnet')]", "location": "[resourceGroup().location]",
             "dependsOn": ["[resourceId('Microsoft.Network/networkSecurityGroups', concat(parameters('prefix'), '-nsg'))]"],
             "properties": {"addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
                            "subnets": [{"name": "s1", "properties": {"addressPrefix": "10.1.0.0/24",
                                "networkSecurityGroup": {"id": "[resourceId('Microsoft.Network/networkSecurityGroups', concat(parameters('prefix'), '-nsg'))]"}}}]}}
        ],
        "outputs": {"vnet": {"type": "string", "value": "[resourceId('Microsoft.Network/virtualNetworks', concat(parameters('prefix'), '-vnet'))]"}}
    });
    let dep = format!("{}/providers/Microsoft.Resources/deployments/net", rg("d"));
    let body = json!({"properties": {"mode": "Incremental", "template": template, "parameters": {"prefix": {"value": "app"}}}});
    let v = call(&em, "POST", &format!("{dep}/validate"), Some(body.clone())).await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    assert_eq!(
        v.body["properties"]["validatedResources"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let w = call(&em, "POST", &format!("{dep}/whatIf"), Some(body.clone())).await;
    let changes = w.body["properties"]["changes"].as_array().unwrap();
    assert!(
        changes.iter().all(|c| c["changeType"] == "Create"),
        "{changes:?}"
    );
    assert!(em.len() == 1, "validate and whatIf change nothing");
    let d = call(&em, "PUT", &dep, Some(body.clone())).await;
    assert_eq!(d.status, StatusCode::CREATED);
    assert_eq!(
        d.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        d.body
    );
    assert!(
        d.body["properties"]["outputs"]["vnet"]["value"]
            .as_str()
            .unwrap()
            .ends_with("/virtualNetworks/app-vnet")
    );
    // The subnet written inline is addressable.
    let s = call(
        &em,
        "GET",
        &format!(
            "{}/providers/Microsoft.Network/virtualNetworks/app-vnet/subnets/s1",
            rg("d")
        ),
        None,
    )
    .await;
    assert_eq!(s.status, StatusCode::OK);
    let w = call(&em, "POST", &format!("{dep}/whatIf"), Some(body)).await;
    assert!(
        w.body["properties"]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["changeType"] != "Create")
    );
    // A template that does not expand is a 400 on validate.
    let bad = json!({"properties": {"template": {"resources": [{"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01", "name": "[parameters('missing')]"}]}}});
    let v = call(&em, "POST", &format!("{dep}/validate"), Some(bad)).await;
    assert_eq!(
        (v.status, v.body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("InvalidTemplate"))
    );
}

/// A network resource lists its child collections inline however each
/// child was created (ARM's GET of a virtual network lists a subnet PUT on
/// its own, with the security group that PUT gave it — what
/// nsg-add-to-existing-subnet does through a nested deployment; a load
/// balancer its backend pools with their addresses), and a deleted child
/// leaves the list.
#[tokio::test]
async fn a_network_resource_lists_children_put_on_their_own_inline() {
    let em = Emulator::new();
    call(
        &em,
        "PUT",
        &rg("net"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    let vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/v",
        rg("net")
    );
    let nsg = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/g",
        rg("net")
    );
    call(
        &em,
        "PUT",
        &vnet,
        Some(json!({"location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}]}})),
    )
    .await;
    call(
        &em,
        "PUT",
        &nsg,
        Some(json!({"location": "westeurope", "properties": {}})),
    )
    .await;
    let c = call(
        &em,
        "PUT",
        &format!("{vnet}/subnets/default"),
        Some(json!({"properties": {"addressPrefix": "10.0.0.0/24", "networkSecurityGroup": {"id": nsg}}})),
    )
    .await;
    assert!(c.status.is_success(), "{}", c.body);
    let c = call(
        &em,
        "PUT",
        &format!("{vnet}/subnets/more"),
        Some(json!({"properties": {"addressPrefix": "10.0.1.0/24"}})),
    )
    .await;
    assert!(c.status.is_success(), "{}", c.body);
    let v = call(&em, "GET", &vnet, None).await.body;
    let subnets = v["properties"]["subnets"].as_array().unwrap();
    assert_eq!(subnets.len(), 2, "{v}");
    assert_eq!(
        subnets[0]["properties"]["networkSecurityGroup"]["id"]
            .as_str()
            .map(str::to_ascii_lowercase),
        Some(nsg.to_ascii_lowercase()),
        "{v}"
    );
    assert_eq!(subnets[1]["name"], "more");
    let c = call(&em, "DELETE", &format!("{vnet}/subnets/more"), None).await;
    assert!(c.status.is_success(), "{}", c.body);
    let v = call(&em, "GET", &vnet, None).await.body;
    assert_eq!(
        v["properties"]["subnets"].as_array().unwrap().len(),
        1,
        "{v}"
    );
}
