//! What Azure does on its own around a request, and where it does not
//! check: the Network Watcher it creates with a region's first virtual
//! network, the portal dashboards it stores unchecked, the order in which
//! a deployment's parallel resources start, and read-only properties the
//! resource providers assign.

use axum::http::StatusCode;
use azrelo_emulator::Emulator;
use serde_json::{Value, json};

use azrelo_testkit::call;

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-0000000000e3";

async fn group(em: &Emulator, name: &str, location: &str) -> String {
    let g = format!("{SUB}/resourceGroups/{name}");
    let r = call(em, "PUT", &g, Some(json!({"location": location}))).await;
    assert!(r.status.is_success(), "{}", r.body);
    g
}

fn vnet(location: &str, prefix: &str) -> Value {
    json!({"location": location, "properties": {
        "addressSpace": {"addressPrefixes": [format!("{prefix}.0.0/16")]},
        "subnets": [{"name": "default", "properties": {"addressPrefix": format!("{prefix}.0.0/24")}}]}})
}

async fn watchers(em: &Emulator) -> Vec<String> {
    let g = format!("{SUB}/resourceGroups/NetworkWatcherRG/resources");
    let r = call(em, "GET", &g, None).await;
    r.body["value"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|w| w["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// learn.microsoft.com/azure/network-watcher/network-watcher-create:
/// "Network Watcher is automatically enabled when you create or update a
/// virtual network in your subscription" — in `NetworkWatcherRG`, named
/// `NetworkWatcher_<region>`, one per subscription and region.
#[tokio::test]
async fn the_first_virtual_network_of_a_region_brings_its_network_watcher() {
    let em = Emulator::new();
    let rg = group(&em, "rg-net", "westeurope").await;
    let nw_rg = format!("{SUB}/resourceGroups/NetworkWatcherRG");
    assert_eq!(
        call(&em, "GET", &nw_rg, None).await.status,
        StatusCode::NOT_FOUND
    );
    let v1 = format!("{rg}/providers/Microsoft.Network/virtualNetworks/v1");
    let r = call(&em, "PUT", &v1, Some(vnet("West Europe", "10.1"))).await;
    assert!(r.status.is_success(), "{}", r.body);
    let g = call(&em, "GET", &nw_rg, None).await;
    assert_eq!(g.status, StatusCode::OK);
    assert_eq!(g.body["location"], "westeurope");
    let w = call(
        &em,
        "GET",
        &format!("{nw_rg}/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope"),
        None,
    )
    .await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.body);
    assert_eq!(w.body["location"], "westeurope");
    // A second network in the region adds none; one in another region does.
    let v2 = format!("{rg}/providers/Microsoft.Network/virtualNetworks/v2");
    call(&em, "PUT", &v2, Some(vnet("westeurope", "10.2"))).await;
    assert_eq!(watchers(&em).await.len(), 1);
    let v3 = format!("{rg}/providers/Microsoft.Network/virtualNetworks/v3");
    call(&em, "PUT", &v3, Some(vnet("northeurope", "10.3"))).await;
    let mut w = watchers(&em).await;
    w.sort();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[1].ends_with("/NetworkWatcher_westeurope"), "{w:?}");
    assert!(w[0].ends_with("/NetworkWatcher_northeurope"), "{w:?}");
}

/// A watcher the subscription already has in the region (any group, any
/// name) is the region's watcher: none is added.
#[tokio::test]
async fn an_existing_network_watcher_is_kept() {
    let em = Emulator::new();
    let rg = group(&em, "rg-own", "westeurope").await;
    let own = format!("{rg}/providers/Microsoft.Network/networkWatchers/mine");
    let r = call(&em, "PUT", &own, Some(json!({"location": "westeurope"}))).await;
    assert!(r.status.is_success(), "{}", r.body);
    let v = format!("{rg}/providers/Microsoft.Network/virtualNetworks/v1");
    call(&em, "PUT", &v, Some(vnet("westeurope", "10.1"))).await;
    let nw_rg = format!("{SUB}/resourceGroups/NetworkWatcherRG");
    assert_eq!(
        call(&em, "GET", &nw_rg, None).await.status,
        StatusCode::NOT_FOUND
    );
}

/// Portal dashboards: `lenses`/`metadata` are opaque to the Portal RP
/// (REST spec `DashboardProperties`), so a tile naming a missing resource
/// is stored; an ordinary resource naming a missing one is still refused.
#[tokio::test]
async fn dashboards_are_stored_unchecked_other_resources_are_not() {
    let em = Emulator::new();
    let rg = group(&em, "rg-dash", "westeurope").await;
    let missing = format!("{rg}/providers/Microsoft.Insights/components/nowhere");
    let dash = format!("{rg}/providers/Microsoft.Portal/dashboards/d1");
    let r = call(
        &em,
        "PUT",
        &dash,
        Some(json!({"location": "westeurope", "properties": {
        "lenses": [{"order": 0, "parts": [{"position": {"x": 0, "y": 0, "colSpan": 4, "rowSpan": 3},
            "metadata": {"type": "Extension/AppInsightsExtension/PartType/AppMapGalPt",
                "inputs": [{"name": "ComponentId", "value": {"ResourceId": missing}}]}}]}],
        "metadata": {}}})),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    let nic = format!("{rg}/providers/Microsoft.Network/networkInterfaces/n1");
    let r = call(&em, "PUT", &nic, Some(json!({"location": "westeurope", "properties": {"ipConfigurations": [
        {"name": "c", "properties": {"subnet": {"id": format!("{rg}/providers/Microsoft.Network/virtualNetworks/none/subnets/default")}}}]}}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"]["code"], "InvalidResourceReference");
}

/// ARM starts resources without a dependency between them in parallel: a
/// resource two steps down a dependency chain starts only after its
/// one-step siblings. The event subscription below names the Service Bus
/// topic without depending on it (as the quickstart
/// event-grid-servicebus-topic does); both the topic and the Event Grid
/// topic the subscription depends on are one step from the namespace.
/// Listed so that evaluating in order would create the subscription in the
/// same pass as the Event Grid topic, before the Service Bus topic.
#[tokio::test]
async fn a_deployment_starts_resources_level_by_level() {
    let em = Emulator::new();
    let rg = group(&em, "rg-eg", "westeurope").await;
    let ns = "sb-azrelo-levels";
    let template = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {"type": "Microsoft.ServiceBus/namespaces", "apiVersion": "2022-10-01-preview", "name": ns,
             "location": "westeurope", "sku": {"name": "Standard"}},
            {"type": "Microsoft.EventGrid/topics", "apiVersion": "2022-06-15", "name": "egt", "location": "westeurope",
             "dependsOn": [format!("[resourceId('Microsoft.ServiceBus/namespaces', '{ns}')]")]},
            {"type": "Microsoft.EventGrid/eventSubscriptions", "apiVersion": "2022-06-15", "name": "sub1",
             "scope": "Microsoft.EventGrid/topics/egt",
             "dependsOn": ["[resourceId('Microsoft.EventGrid/topics', 'egt')]"],
             "properties": {"destination": {"endpointType": "ServiceBusTopic",
                "properties": {"resourceId": format!("[resourceId('Microsoft.ServiceBus/namespaces/topics', '{ns}', 't1')]")}}}},
            {"type": "Microsoft.ServiceBus/namespaces/topics", "apiVersion": "2022-10-01-preview", "name": format!("{ns}/t1"),
             "dependsOn": [format!("[resourceId('Microsoft.ServiceBus/namespaces', '{ns}')]")]},
        ],
    });
    let r = call(
        &em,
        "PUT",
        &format!("{rg}/providers/Microsoft.Resources/deployments/levels"),
        Some(json!({"properties": {"mode": "Incremental", "template": template}})),
    )
    .await;
    assert_eq!(
        r.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        r.body
    );
}

/// Read-only properties the resource providers assign, which templates
/// read back: an Azure Local cluster's `cloudId` (AzureStackHCI
/// `ClusterProperties`), a public Spring app's `url` (AppPlatform example
/// Apps_Get.json: "<app>.<service>.azuremicroservices.io").
#[tokio::test]
async fn provider_assigned_properties_can_be_referenced() {
    let em = Emulator::new();
    let rg = group(&em, "rg-ro", "eastus").await;
    let template = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {"type": "Microsoft.AzureStackHCI/clusters", "apiVersion": "2024-04-01", "name": "c1",
             "location": "eastus", "properties": {}},
            {"type": "Microsoft.AppPlatform/Spring", "apiVersion": "2023-12-01", "name": "asa-azrelo",
             "location": "eastus", "sku": {"name": "E0", "tier": "Enterprise"}, "properties": {}},
            {"type": "Microsoft.AppPlatform/Spring/apps", "apiVersion": "2023-12-01", "name": "asa-azrelo/gw",
             "dependsOn": ["[resourceId('Microsoft.AppPlatform/Spring', 'asa-azrelo')]"],
             "properties": {"public": true}},
        ],
        "outputs": {
            "cloudId": {"type": "string", "value": "[reference(resourceId('Microsoft.AzureStackHCI/clusters', 'c1'), '2024-04-01').cloudId]"},
            "url": {"type": "string", "value": "[reference(resourceId('Microsoft.AppPlatform/Spring/apps', 'asa-azrelo', 'gw'), '2023-12-01').url]"},
        },
    });
    let r = call(
        &em,
        "PUT",
        &format!("{rg}/providers/Microsoft.Resources/deployments/ro"),
        Some(json!({"properties": {"mode": "Incremental", "template": template}})),
    )
    .await;
    assert_eq!(
        r.body["properties"]["provisioningState"], "Succeeded",
        "{}",
        r.body
    );
    let out = &r.body["properties"]["outputs"];
    assert_eq!(out["url"]["value"], "gw.asa-azrelo.azuremicroservices.io");
    let cloud = out["cloudId"]["value"].as_str().unwrap();
    assert!(uuid_like(cloud), "{cloud}");
}

fn uuid_like(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

/// learn.microsoft.com/azure/app-service/app-service-web-tutorial-custom-domain:
/// every app has the binding of its default host name
/// `<app>.azurewebsites.net` from its creation (WebApps_ListHostNameBindings
/// lists it); another host name exists only once bound.
#[tokio::test]
async fn an_app_comes_with_the_binding_of_its_default_host_name() {
    let em = Emulator::new();
    let rg = group(&em, "rg-web", "westeurope").await;
    let farm = format!("{rg}/providers/Microsoft.Web/serverfarms/asp-1");
    let r = call(
        &em,
        "PUT",
        &farm,
        Some(json!({"location": "westeurope", "sku": {"name": "B1"}})),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    let site = format!("{rg}/providers/Microsoft.Web/sites/app-1");
    let binding = format!("{site}/hostNameBindings/app-1.azurewebsites.net");
    assert_eq!(
        call(&em, "GET", &binding, None).await.status,
        StatusCode::NOT_FOUND
    );
    let r = call(
        &em,
        "PUT",
        &site,
        Some(json!({"location": "westeurope", "properties": {"serverFarmId": farm}})),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    let b = call(&em, "GET", &binding, None).await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.body);
    for other in ["www.contoso.com", "app-2.azurewebsites.net"] {
        let r = call(
            &em,
            "GET",
            &format!("{site}/hostNameBindings/{other}"),
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{other}");
    }
    // A deployment slot's is <app>-<slot>.azurewebsites.net
    // (learn.microsoft.com/azure/app-service/deploy-staging-slots).
    let slot = format!("{site}/slots/staging");
    let r = call(
        &em,
        "PUT",
        &slot,
        Some(json!({"location": "westeurope", "properties": {"serverFarmId": farm}})),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    let b = call(
        &em,
        "GET",
        &format!("{slot}/hostNameBindings/app-1-staging.azurewebsites.net"),
        None,
    )
    .await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.body);
    assert_eq!(b.body["type"], "Microsoft.Web/sites/slots/hostNameBindings");
}

/// Every logical SQL server has a `master` database from its creation: the
/// REST API's `Databases_ListByServer` example lists it (kind
/// `v12.0,system`, SKU `System`, the server as `managedBy`) beside the
/// user databases, and a GET of it answers without anyone having PUT it.
#[tokio::test]
async fn a_sql_server_has_its_master_database() {
    let em = Emulator::new();
    let rg = group(&em, "rg-sql", "westeurope").await;
    let server = format!("{rg}/providers/Microsoft.Sql/servers/sql-defaults-1");
    let master = format!("{server}/databases/master");
    assert_eq!(
        call(&em, "GET", &master, None).await.status,
        StatusCode::NOT_FOUND,
        "no server, no master"
    );
    let r = call(
        &em,
        "PUT",
        &server,
        Some(json!({"location": "westeurope", "properties": {
            "administratorLogin": "sqladmin", "administratorLoginPassword": "P@ssw0rd-not-real-1"}})),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    let g = call(&em, "GET", &master, None).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.body);
    assert_eq!(g.body["kind"], "v12.0,system");
    assert_eq!(g.body["sku"]["tier"], "System");
    assert_eq!(g.body["location"], "westeurope");
    assert!(
        g.body["managedBy"]
            .as_str()
            .is_some_and(|m| m.eq_ignore_ascii_case(&server)),
        "{}",
        g.body
    );
    let list = call(&em, "GET", &format!("{server}/databases"), None).await;
    let names: Vec<&str> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert_eq!(names, ["master"], "{}", list.body);
    // Only `master`: another database exists once it is created.
    assert_eq!(
        call(&em, "GET", &format!("{server}/databases/orders"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
