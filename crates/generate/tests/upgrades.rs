//! Retired SKUs relocated as their successor (issue #13, catalog
//! `upgrades`), on ARM GET bodies as `az resource show` returns them: a
//! Basic public IP (retired 30 September 2025) becomes a Standard static
//! address, a Basic load balancer (same date) a Standard one, and an
//! Application Gateway v1 (retired 28 April 2026) a v2 gateway of the same
//! tier, and an NSG flow log (no new ones since 30 June 2025) a virtual
//! network flow log on the subnet its NSG protects — each shown as a
//! warning with its behaviour changes, held at an
//! approve-upgrade gate before the move, and declared in the plan so the
//! generated body carries exactly the declared edits.
//!
//! Sources: learn.microsoft.com/azure/virtual-network/ip-services/
//! public-ip-basic-upgrade-guidance, …/load-balancer/
//! load-balancer-basic-upgrade-guidance, …/application-gateway/
//! v1-retirement and migrate-v1-v2, …/network-watcher/nsg-flow-logs-overview.

use azrelo_catalog::{GateStage, Severity};
use azrelo_generate::{ChangeKind, Generated};
use azrelo_plan::{GateOrigin, Plan};
use serde_json::{Value, json};

mod common;
use common::generated;

const RG: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-web";

fn run(resources: Vec<Value>) -> (Plan, Generated) {
    common::plan_and_generate(&common::export_estate("rg-web", resources), "northeurope")
}

/// A Basic dynamic public IP as ARM returns it (vm-simple-linux's
/// address before the retirement).
fn basic_pip(name: &str) -> Value {
    json!({
        "id": format!("{RG}/providers/Microsoft.Network/publicIPAddresses/{name}"),
        "name": name,
        "type": "Microsoft.Network/publicIPAddresses",
        "location": "westeurope",
        "etag": "W/\"8f2c0c43-6a53-4b0a-9d0f-3a3b1b6f1e11\"",
        "sku": { "name": "Basic", "tier": "Regional" },
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": "5d0e8f3a-1f7e-4c5e-9c7b-0d1e2f3a4b5c",
            "ipAddress": "20.61.14.7",
            "publicIPAddressVersion": "IPv4",
            "publicIPAllocationMethod": "Dynamic",
            "idleTimeoutInMinutes": 4,
            "dnsSettings": {
                "domainNameLabel": "web-01",
                "fqdn": "web-01.westeurope.cloudapp.azure.com"
            },
            "ipTags": []
        }
    })
}

fn finding<'p>(p: &'p Plan, code: &str) -> &'p azrelo_plan::Finding {
    p.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no finding {code}: {:#?}", p.findings))
}

#[test]
fn a_basic_public_ip_and_its_basic_load_balancer_relocate_as_standard() {
    let pip = basic_pip("pip-lb-web");
    let lb = json!({
        "id": format!("{RG}/providers/Microsoft.Network/loadBalancers/lb-web"),
        "name": "lb-web",
        "type": "Microsoft.Network/loadBalancers",
        "location": "westeurope",
        "sku": { "name": "Basic", "tier": "Regional" },
        "properties": {
            "provisioningState": "Succeeded",
            "frontendIPConfigurations": [{
                "id": format!("{RG}/providers/Microsoft.Network/loadBalancers/lb-web/frontendIPConfigurations/fe"),
                "name": "fe",
                "properties": {
                    "privateIPAllocationMethod": "Dynamic",
                    "publicIPAddress": { "id": pip["id"] }
                }
            }],
            "backendAddressPools": [{
                "id": format!("{RG}/providers/Microsoft.Network/loadBalancers/lb-web/backendAddressPools/be"),
                "name": "be",
                "properties": {}
            }],
            "probes": [],
            "loadBalancingRules": [],
            "inboundNatRules": []
        }
    });
    let (p, out) = run(vec![pip, lb]);

    // No blocker: each retired SKU is a warning with its behaviour changes.
    assert!(
        !p.findings.iter().any(|f| f.severity == Severity::Blocker),
        "{:#?}",
        p.findings
    );
    let f = finding(&p, "public-ip-basic-to-standard");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("30 September 2025"), "{}", f.message);
    assert!(
        f.message.contains("network security group"),
        "{}",
        f.message
    );
    let f = finding(&p, "load-balancer-basic-to-standard");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("outbound"), "{}", f.message);

    // The plan declares the resolved edits.
    let planned = p
        .resources
        .iter()
        .find(|r| r.name.as_ref() == "pip-lb-web")
        .unwrap();
    let edits: Vec<_> = planned
        .upgrades
        .iter()
        .flat_map(|u| u.edits.iter())
        .map(|e| (e.path.as_str(), e.from.clone(), e.to.clone()))
        .collect();
    assert_eq!(
        edits,
        vec![
            ("/sku/name", Some(json!("Basic")), Some(json!("Standard"))),
            (
                "/properties/publicIPAllocationMethod",
                Some(json!("Dynamic")),
                Some(json!("Static"))
            ),
        ]
    );

    // One approve-upgrade gate before the move of each upgraded resource.
    let gates: Vec<_> = p
        .gates
        .iter()
        .filter(|g| matches!(g.origin, GateOrigin::Upgrade { .. }))
        .collect();
    assert_eq!(gates.len(), 2, "{gates:#?}");
    for g in &gates {
        assert_eq!(g.stage, GateStage::Move, "{g:?}");
        assert!(g.id.starts_with("approve-upgrade:"), "{}", g.id);
        assert_eq!(g.units.len(), 1);
    }

    // The generated bodies carry the successor SKU, and say so.
    let b = generated(&out, "Microsoft.Network/publicIPAddresses");
    assert_eq!(b["sku"]["name"], "Standard", "{b}");
    assert_eq!(b["properties"]["publicIPAllocationMethod"], "Static", "{b}");
    assert!(b["properties"].get("ipAddress").is_none(), "{b}");
    let b = generated(&out, "Microsoft.Network/loadBalancers");
    assert_eq!(b["sku"]["name"], "Standard", "{b}");
    let declared: Vec<_> = out
        .changes
        .values()
        .flatten()
        .filter(|c| c.kind == ChangeKind::Upgrade)
        .map(|c| c.pointer.as_str())
        .collect();
    assert_eq!(declared.len(), 3, "{declared:?}");
}

/// An Application Gateway v1 (`application-gateway-create`'s Standard_Medium
/// gateway) as ARM returns it.
fn appgw_v1(tier: &str, size: &str, auth_certs: bool) -> Value {
    let gw = format!("{RG}/providers/Microsoft.Network/applicationGateways/agw-web");
    let mut props = json!({
        "provisioningState": "Succeeded",
        "resourceGuid": "0b6c2f9e-3a1d-4c1b-8d7e-6f5a4b3c2d1e",
        "operationalState": "Running",
        "sku": { "name": size, "tier": tier, "capacity": 2 },
        "gatewayIPConfigurations": [{
            "id": format!("{gw}/gatewayIPConfigurations/gw-ip"),
            "name": "gw-ip",
            "properties": { "subnet": { "id": format!("{RG}/providers/Microsoft.Network/virtualNetworks/vnet-web/subnets/agw") } }
        }],
        "frontendIPConfigurations": [{
            "id": format!("{gw}/frontendIPConfigurations/fe"),
            "name": "fe",
            "properties": {
                "privateIPAllocationMethod": "Dynamic",
                "publicIPAddress": { "id": format!("{RG}/providers/Microsoft.Network/publicIPAddresses/pip-agw") }
            }
        }],
        "frontendPorts": [{ "id": format!("{gw}/frontendPorts/p80"), "name": "p80", "properties": { "port": 80 } }],
        "backendAddressPools": [{
            "id": format!("{gw}/backendAddressPools/pool"),
            "name": "pool",
            "properties": { "backendAddresses": [{ "ipAddress": "10.0.1.4" }] }
        }],
        "backendHttpSettingsCollection": [{
            "id": format!("{gw}/backendHttpSettingsCollection/http"),
            "name": "http",
            "properties": { "port": 80, "protocol": "Http", "cookieBasedAffinity": "Disabled", "requestTimeout": 30 }
        }],
        "httpListeners": [{
            "id": format!("{gw}/httpListeners/listener"),
            "name": "listener",
            "properties": {
                "frontendIPConfiguration": { "id": format!("{gw}/frontendIPConfigurations/fe") },
                "frontendPort": { "id": format!("{gw}/frontendPorts/p80") },
                "protocol": "Http"
            }
        }],
        "requestRoutingRules": [{
            "id": format!("{gw}/requestRoutingRules/rule"),
            "name": "rule",
            "properties": {
                "ruleType": "Basic",
                "httpListener": { "id": format!("{gw}/httpListeners/listener") },
                "backendAddressPool": { "id": format!("{gw}/backendAddressPools/pool") },
                "backendHttpSettings": { "id": format!("{gw}/backendHttpSettingsCollection/http") }
            }
        }]
    });
    if auth_certs {
        props["authenticationCertificates"] = json!([{
            "id": format!("{gw}/authenticationCertificates/backend"),
            "name": "backend",
            "properties": { "data": "MIIC3jCCAcagAwIBAgIQ" }
        }]);
    }
    json!({
        "id": gw,
        "name": "agw-web",
        "type": "Microsoft.Network/applicationGateways",
        "location": "westeurope",
        "properties": props
    })
}

fn vnet() -> Value {
    json!({
        "id": format!("{RG}/providers/Microsoft.Network/virtualNetworks/vnet-web"),
        "name": "vnet-web",
        "type": "Microsoft.Network/virtualNetworks",
        "location": "westeurope",
        "properties": {
            "addressSpace": { "addressPrefixes": ["10.0.0.0/16"] },
            "subnets": [{
                "id": format!("{RG}/providers/Microsoft.Network/virtualNetworks/vnet-web/subnets/agw"),
                "name": "agw",
                "properties": { "addressPrefix": "10.0.0.0/24" }
            }]
        }
    })
}

#[test]
fn an_application_gateway_v1_relocates_as_v2_of_the_same_tier() {
    let (p, out) = run(vec![
        vnet(),
        basic_pip("pip-agw"),
        appgw_v1("WAF", "WAF_Medium", false),
    ]);
    assert!(
        !p.findings.iter().any(|f| f.severity == Severity::Blocker),
        "{:#?}",
        p.findings
    );
    let f = finding(&p, "appgw-v1-to-v2");
    assert!(f.message.contains("28 April 2026"), "{}", f.message);
    let b = generated(&out, "Microsoft.Network/applicationGateways");
    assert_eq!(b["properties"]["sku"]["name"], "WAF_v2", "{b}");
    assert_eq!(b["properties"]["sku"]["tier"], "WAF_v2", "{b}");
    assert_eq!(b["properties"]["sku"]["capacity"], 2, "{b}");
    // v2 needs a Standard static address: the Basic one is upgraded too.
    let pip = generated(&out, "Microsoft.Network/publicIPAddresses");
    assert_eq!(pip["sku"]["name"], "Standard", "{pip}");
    assert!(
        p.gates
            .iter()
            .any(|g| g.id == "approve-upgrade:agw-web-northeurope"
                || g.id.starts_with("approve-upgrade:agw-web")),
        "{:#?}",
        p.gates
    );

    let (p, _) = run(vec![appgw_v1("Standard", "Standard_Small", false)]);
    let r = p
        .resources
        .iter()
        .find(|r| r.name.as_ref() == "agw-web")
        .unwrap();
    let to: Vec<_> = r.upgrades[0].edits.iter().map(|e| e.to.clone()).collect();
    assert_eq!(
        to,
        vec![Some(json!("Standard_v2")), Some(json!("Standard_v2"))]
    );
}

/// v2 accepts no authentication certificates, and their replacement (the
/// backend's trusted root) is another certificate: that gateway stays a
/// blocker naming what to do (learn.microsoft.com/azure/application-gateway/
/// certificates-for-backend-authentication).
#[test]
fn a_v1_gateway_with_authentication_certificates_is_not_upgraded() {
    let (p, out) = run(vec![appgw_v1("Standard", "Standard_Medium", true)]);
    let f = finding(&p, "appgw-v1-authentication-certificates");
    assert_eq!(f.severity, Severity::Blocker);
    assert!(f.remediation.contains("trusted root"), "{}", f.remediation);
    assert!(!p.findings.iter().any(|f| f.code == "appgw-v1-to-v2"));
    assert!(p.resources.iter().all(|r| r.upgrades.is_empty()));
    let _ = out;
}

/// A value the catalog maps to no successor is a blocker that says which.
#[test]
fn an_unknown_v1_size_is_a_blocker_naming_it() {
    let (p, _) = run(vec![appgw_v1("Standard", "Standard_Huge", false)]);
    let f = finding(&p, "appgw-v1-to-v2");
    assert_eq!(f.severity, Severity::Blocker);
    assert!(f.message.contains("Standard_Huge"), "{}", f.message);
    assert!(p.resources.iter().all(|r| r.upgrades.is_empty()));
}

/// An NSG flow log (`networkwatcher-flowLogs-create`) as ARM returns it,
/// with the NSG it logs, the network whose subnet uses that NSG (when
/// `associated`) and the storage account it writes to.
fn nsg_flow_log_estate(associated: bool) -> Vec<Value> {
    let nsg = format!("{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-app");
    let sa = format!("{RG}/providers/Microsoft.Storage/storageAccounts/stflowlogs01");
    let watcher = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope";
    let mut subnet = json!({
        "id": format!("{RG}/providers/Microsoft.Network/virtualNetworks/vnet-app/subnets/app"),
        "name": "app",
        "properties": { "addressPrefix": "10.1.0.0/24", "provisioningState": "Succeeded" }
    });
    if associated {
        subnet["properties"]["networkSecurityGroup"] = json!({ "id": nsg });
    }
    vec![
        json!({
            "id": nsg, "name": "nsg-app", "type": "Microsoft.Network/networkSecurityGroups",
            "location": "westeurope",
            "properties": { "provisioningState": "Succeeded", "securityRules": [] }
        }),
        json!({
            "id": format!("{RG}/providers/Microsoft.Network/virtualNetworks/vnet-app"),
            "name": "vnet-app", "type": "Microsoft.Network/virtualNetworks",
            "location": "westeurope",
            "properties": {
                "provisioningState": "Succeeded",
                "addressSpace": { "addressPrefixes": ["10.1.0.0/16"] },
                "subnets": [subnet]
            }
        }),
        json!({
            "id": sa, "name": "stflowlogs01", "type": "Microsoft.Storage/storageAccounts",
            "location": "westeurope", "kind": "StorageV2", "sku": { "name": "Standard_LRS" },
            "properties": { "provisioningState": "Succeeded" }
        }),
        json!({
            "id": watcher, "name": "NetworkWatcher_westeurope",
            "type": "Microsoft.Network/networkWatchers", "location": "westeurope",
            "properties": { "provisioningState": "Succeeded" }
        }),
        json!({
            "id": format!("{watcher}/flowLogs/fl-nsg-app"),
            "name": "fl-nsg-app",
            "type": "Microsoft.Network/networkWatchers/flowLogs",
            "location": "westeurope",
            "properties": {
                "provisioningState": "Succeeded",
                "targetResourceId": nsg,
                "targetResourceGuid": "4f5e6d7c-8b9a-4c3d-2e1f-0a9b8c7d6e5f",
                "storageId": sa,
                "enabled": true,
                "retentionPolicy": { "days": 7, "enabled": true },
                "format": { "type": "JSON", "version": 2 }
            }
        }),
    ]
}

/// New NSG flow logs cannot be created since 30 June 2025
/// (learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview): the
/// flow log relocates as a VNet flow log on the subnet the NSG protects.
#[test]
fn an_nsg_flow_log_relocates_as_a_vnet_flow_log_on_the_nsg_subnet() {
    let (p, out) = run(nsg_flow_log_estate(true));
    let f = finding(&p, "nsg-flow-log-to-vnet-flow-log");
    assert_eq!(f.severity, Severity::Warning, "{f:?}");
    assert!(f.message.contains("30 June 2025"), "{}", f.message);
    let r = p
        .resources
        .iter()
        .find(|r| r.name.as_ref() == "fl-nsg-app")
        .unwrap();
    let e = &r.upgrades[0].edits[0];
    assert_eq!(e.path, "/properties/targetResourceId");
    assert!(
        e.to.as_ref()
            .and_then(Value::as_str)
            .is_some_and(|s| s.ends_with("/virtualNetworks/vnet-app/subnets/app")),
        "{e:?}"
    );
    let b = generated(&out, "Microsoft.Network/networkWatchers/flowLogs");
    let target = b["properties"]["targetResourceId"].as_str().unwrap();
    assert!(
        target.ends_with("/virtualNetworks/vnet-app/subnets/app"),
        "{b}"
    );
    assert!(
        !target.contains("/resourceGroups/rg-web/"),
        "still the source subnet: {target}"
    );
}

/// An NSG associated with nothing gives a VNet flow log nothing to log:
/// a blocker that says so.
#[test]
fn an_nsg_flow_log_of_an_unassociated_nsg_is_a_blocker() {
    let (p, _) = run(nsg_flow_log_estate(false));
    let f = finding(&p, "nsg-flow-log-to-vnet-flow-log");
    assert_eq!(f.severity, Severity::Blocker, "{f:?}");
    assert!(
        f.message.contains("nothing for the successor"),
        "{}",
        f.message
    );
}
