//! Extension resources Resource Graph's `resources` table does not hold
//! are read on the resources that carry them (issue #13, class "a source
//! resource has no target and the plan gives no reason": the corpus found
//! Event Grid event subscriptions, Sentinel rules, Defender for Storage
//! settings, guest configuration assignments and resource-group policy
//! assignments that live discovery never saw, so the plan could neither
//! relocate them nor say why not).
//!
//! The bodies are ARM GET answers (REST API examples' shapes) seeded into
//! the emulator, which — like ARM — lists them only below their scope.

use azrelo_client::{ArmClient, ClientOptions, Tuning};
use azrelo_emulator::Emulator;
use azrelo_live::{LiveOptions, discover};
use azrelo_testkit::{Served, Transport};
use serde_json::{Value, json};

const SUB: &str = "5d0c8a1e-2b3f-4c6d-8e9f-0a1b2c3d4e5f";

fn bodies() -> Vec<(String, Value)> {
    let rg = format!("/subscriptions/{SUB}/resourceGroups/rg-events");
    let topic = format!("{rg}/providers/Microsoft.EventGrid/topics/orders-topic");
    let ws = format!("{rg}/providers/Microsoft.OperationalInsights/workspaces/soc-ws");
    let protected = format!("{rg}/providers/Microsoft.Storage/storageAccounts/ordersdata7q");
    let plain = format!("{rg}/providers/Microsoft.Storage/storageAccounts/ordersplain7q");
    let vm = format!("{rg}/providers/Microsoft.Compute/virtualMachines/vm-baseline");
    let account = |id: &str, name: &str| {
        json!({"id": id, "name": name, "type": "Microsoft.Storage/storageAccounts",
               "location": "westeurope", "kind": "StorageV2",
               "sku": {"name": "Standard_LRS"}, "properties": {"accessTier": "Hot"}})
    };
    let atp = |scope: &str, enabled: bool| {
        let id = format!(
            "{scope}/providers/Microsoft.Security/advancedThreatProtectionSettings/current"
        );
        (
            id.clone(),
            json!({"id": id, "name": "current",
                   "type": "Microsoft.Security/advancedThreatProtectionSettings",
                   "properties": {"isEnabled": enabled}}),
        )
    };
    let mut v: Vec<(String, Value)> = vec![
        (
            topic.clone(),
            json!({"id": topic, "name": "orders-topic", "type": "Microsoft.EventGrid/topics",
                   "location": "westeurope",
                   "properties": {"inputSchema": "CloudEventSchemaV1_0", "publicNetworkAccess": "Enabled"}}),
        ),
        (
            ws.clone(),
            json!({"id": ws, "name": "soc-ws", "type": "Microsoft.OperationalInsights/workspaces",
                   "location": "westeurope",
                   "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": 30}}),
        ),
        (protected.clone(), account(&protected, "ordersdata7q")),
        (plain.clone(), account(&plain, "ordersplain7q")),
        (
            vm.clone(),
            json!({"id": vm, "name": "vm-baseline", "type": "Microsoft.Compute/virtualMachines",
                   "location": "westeurope",
                   "properties": {"hardwareProfile": {"vmSize": "Standard_D2s_v3"}}}),
        ),
    ];
    let sub_id = format!("{topic}/providers/Microsoft.EventGrid/eventSubscriptions/to-queue");
    v.push((
        sub_id.clone(),
        json!({"id": sub_id, "name": "to-queue", "type": "Microsoft.EventGrid/eventSubscriptions",
               "properties": {
                   "destination": {"endpointType": "ServiceBusQueue", "properties": {
                       "resourceId": format!("{rg}/providers/Microsoft.ServiceBus/namespaces/orders-sb/queues/orders")}},
                   "eventDeliverySchema": "CloudEventSchemaV1_0",
                   "filter": {"includedEventTypes": ["Orders.Created"]}}}),
    ));
    for (kind, name, props) in [
        (
            "onboardingStates",
            "default",
            json!({"customerManagedKey": false}),
        ),
        (
            "alertRules",
            "known-bad-ip",
            json!({"displayName": "Known bad IP", "enabled": true, "severity": "High",
                   "query": "CommonSecurityLog | where SourceIP == \"203.0.113.7\"",
                   "queryFrequency": "PT1H", "queryPeriod": "PT1H",
                   "triggerOperator": "GreaterThan", "triggerThreshold": 0}),
        ),
        (
            "automationRules",
            "close-noise",
            json!({"displayName": "Close noise", "order": 1,
                   "triggeringLogic": {"isEnabled": true, "triggersOn": "Incidents", "triggersWhen": "Created"},
                   "actions": []}),
        ),
    ] {
        let id = format!("{ws}/providers/Microsoft.SecurityInsights/{kind}/{name}");
        let mut b = json!({"id": id, "name": name,
                           "type": format!("Microsoft.SecurityInsights/{kind}"), "properties": props});
        if kind == "alertRules" {
            b["kind"] = json!("Scheduled");
        }
        v.push((id, b));
    }
    v.push(atp(&protected, true));
    v.push(atp(&plain, false));
    let gc = format!(
        "{vm}/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/AzureWindowsBaseline"
    );
    v.push((
        gc.clone(),
        json!({"id": gc, "name": "AzureWindowsBaseline", "location": "westeurope",
               "type": "Microsoft.GuestConfiguration/guestConfigurationAssignments",
               "properties": {"guestConfiguration": {"name": "AzureWindowsBaseline", "version": "1.*",
                                                     "assignmentType": "ApplyAndMonitor"}}}),
    ));
    let pa =
        format!("{rg}/providers/Microsoft.Authorization/policyAssignments/audit-managed-disks");
    v.push((
        pa.clone(),
        json!({"id": pa, "name": "audit-managed-disks", "type": "Microsoft.Authorization/policyAssignments",
               "properties": {
                   "displayName": "Audit VMs that do not use managed disks",
                   "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/06a78e20-9358-41c9-923c-fb736d382a4d",
                   "scope": rg, "enforcementMode": "Default"}}),
    ));
    v
}

#[tokio::test]
async fn extension_resources_the_graph_does_not_hold_are_read_on_their_scopes() {
    let em = Emulator::new();
    em.seed(bodies());
    let served = Served::start(em, Transport::Http).await;
    let mut o = ClientOptions::emulator(&served.endpoint, "live-test", None);
    o.max_retries = 2;
    let t = Tuning {
        time_scale: 0.01,
        ..Tuning::default()
    };
    let client = ArmClient::with_tuning(o, t).unwrap();
    let opts = LiveOptions {
        subscriptions: vec![SUB.to_string()],
        ..LiveOptions::default()
    };
    let live = discover(&client, &opts, None).await.unwrap();
    let ids: Vec<String> = live
        .estate
        .resources
        .iter()
        .map(|r| r.id.as_str().to_ascii_lowercase())
        .collect();
    let has = |suffix: &str| {
        ids.iter()
            .any(|i| i.ends_with(&suffix.to_ascii_lowercase()))
    };
    for want in [
        "/topics/orders-topic/providers/Microsoft.EventGrid/eventSubscriptions/to-queue",
        "/workspaces/soc-ws/providers/Microsoft.SecurityInsights/onboardingStates/default",
        "/workspaces/soc-ws/providers/Microsoft.SecurityInsights/alertRules/known-bad-ip",
        "/workspaces/soc-ws/providers/Microsoft.SecurityInsights/automationRules/close-noise",
        "/storageAccounts/ordersdata7q/providers/Microsoft.Security/advancedThreatProtectionSettings/current",
        "/virtualMachines/vm-baseline/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/AzureWindowsBaseline",
        "/resourceGroups/rg-events/providers/Microsoft.Authorization/policyAssignments/audit-managed-disks",
    ] {
        assert!(has(want), "{want} not discovered:\n{}", ids.join("\n"));
    }
    // Every account answers a classic Defender setting; a disabled one is
    // the default, not configuration to relocate.
    assert!(
        !has(
            "/storageAccounts/ordersplain7q/providers/Microsoft.Security/advancedThreatProtectionSettings/current"
        ),
        "{}",
        ids.join("\n")
    );
    assert!(live.failures.is_empty(), "{:?}", live.failures);
}
