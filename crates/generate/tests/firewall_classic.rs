//! An Azure Firewall with classic rules (rule collections on the firewall
//! itself, no firewall policy) relocates as it is (issue #13).
//!
//! Classic rules are still a supported configuration of a Standard firewall:
//! "Azure Firewall supports both Classic rules and policies, but policies are
//! the recommended configuration"
//! (learn.microsoft.com/azure/firewall-manager/policy-overview#classic-rules-and-policies),
//! and the relocation guide asks to record the deployment model, "Classic
//! firewall rules or Firewall policy", before the move
//! (learn.microsoft.com/azure/operational-excellence/relocation-firewall).
//! So the classic rules are a warning recommending the migration to a policy,
//! never a blocker; the generated firewall keeps its rule collections, and the
//! DNAT rules' public destination and private translated addresses are listed
//! for review (needs-input) because they are source-region values.
//!
//! The bodies are ARM GET results (`az resource show`) of the firewall in
//! azure-quickstart-templates' fw-docs-qs (Microsoft.Network/azureFirewalls
//! 2023-09-01).

use azrelo_catalog::Severity;
use azrelo_generate::Generated;
use azrelo_plan::Plan;
use serde_json::{Value, json};

mod common;
use common::generated;

const RG: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-fw";

fn run(resources: Vec<Value>, target: &str) -> (Plan, Generated) {
    common::plan_and_generate(&common::export_estate("rg-fw", resources), target)
}

fn vnet() -> Value {
    json!({
        "id": format!("{RG}/providers/Microsoft.Network/virtualNetworks/test-vnet"),
        "name": "test-vnet",
        "type": "Microsoft.Network/virtualNetworks",
        "location": "westeurope",
        "etag": "W/\"0d4b1c5e-2f7a-4c1e-9b1d-7e6f5a4b3c21\"",
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": "a1b2c3d4-0000-4000-8000-000000000001",
            "addressSpace": { "addressPrefixes": ["10.0.0.0/16"] },
            "subnets": [
                {
                    "id": format!("{RG}/providers/Microsoft.Network/virtualNetworks/test-vnet/subnets/AzureFirewallSubnet"),
                    "name": "AzureFirewallSubnet",
                    "type": "Microsoft.Network/virtualNetworks/subnets",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "addressPrefix": "10.0.2.0/24",
                        "ipConfigurations": [{
                            "id": format!("{RG}/providers/Microsoft.Network/azureFirewalls/firewall1/azureFirewallIpConfigurations/IpConf1")
                        }],
                        "privateEndpointNetworkPolicies": "Disabled",
                        "privateLinkServiceNetworkPolicies": "Enabled"
                    }
                },
                {
                    "id": format!("{RG}/providers/Microsoft.Network/virtualNetworks/test-vnet/subnets/ServersSubnet"),
                    "name": "ServersSubnet",
                    "type": "Microsoft.Network/virtualNetworks/subnets",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "addressPrefix": "10.0.1.0/24",
                        "privateEndpointNetworkPolicies": "Disabled",
                        "privateLinkServiceNetworkPolicies": "Enabled"
                    }
                }
            ],
            "virtualNetworkPeerings": [],
            "enableDdosProtection": false
        }
    })
}

fn pip() -> Value {
    json!({
        "id": format!("{RG}/providers/Microsoft.Network/publicIPAddresses/publicIp1"),
        "name": "publicIp1",
        "type": "Microsoft.Network/publicIPAddresses",
        "location": "westeurope",
        "etag": "W/\"3c1f6a2b-8d4e-4f0a-b1c2-d3e4f5a6b7c8\"",
        "sku": { "name": "Standard", "tier": "Regional" },
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": "a1b2c3d4-0000-4000-8000-000000000002",
            "ipAddress": "20.103.17.42",
            "publicIPAddressVersion": "IPv4",
            "publicIPAllocationMethod": "Static",
            "idleTimeoutInMinutes": 4,
            "ipTags": [],
            "ipConfiguration": {
                "id": format!("{RG}/providers/Microsoft.Network/azureFirewalls/firewall1/azureFirewallIpConfigurations/IpConf1")
            }
        }
    })
}

/// The firewall with the three kinds of classic rule collections.
fn classic_firewall() -> Value {
    let fw = format!("{RG}/providers/Microsoft.Network/azureFirewalls/firewall1");
    json!({
        "id": fw,
        "name": "firewall1",
        "type": "Microsoft.Network/azureFirewalls",
        "location": "westeurope",
        "etag": "W/\"7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d\"",
        "properties": {
            "provisioningState": "Succeeded",
            "sku": { "name": "AZFW_VNet", "tier": "Standard" },
            "threatIntelMode": "Alert",
            "additionalProperties": {},
            "ipConfigurations": [{
                "id": format!("{fw}/azureFirewallIpConfigurations/IpConf1"),
                "name": "IpConf1",
                "type": "Microsoft.Network/azureFirewalls/azureFirewallIpConfigurations",
                "properties": {
                    "provisioningState": "Succeeded",
                    "privateIPAddress": "10.0.2.4",
                    "privateIPAllocationMethod": "Dynamic",
                    "publicIPAddress": { "id": format!("{RG}/providers/Microsoft.Network/publicIPAddresses/publicIp1") },
                    "subnet": { "id": format!("{RG}/providers/Microsoft.Network/virtualNetworks/test-vnet/subnets/AzureFirewallSubnet") }
                }
            }],
            "networkRuleCollections": [{
                "id": format!("{fw}/networkRuleCollections/netRulesCollection"),
                "name": "netRulesCollection",
                "properties": {
                    "provisioningState": "Succeeded",
                    "priority": 200,
                    "action": { "type": "Allow" },
                    "rules": [{
                        "name": "netRule1",
                        "protocols": ["TCP"],
                        "sourceAddresses": ["10.0.1.0/24"],
                        "destinationAddresses": ["*"],
                        "sourceIpGroups": [],
                        "destinationIpGroups": [],
                        "destinationFqdns": [],
                        "destinationPorts": ["8000-8999"]
                    }]
                }
            }],
            "applicationRuleCollections": [{
                "id": format!("{fw}/applicationRuleCollections/appRc1"),
                "name": "appRc1",
                "properties": {
                    "provisioningState": "Succeeded",
                    "priority": 101,
                    "action": { "type": "Allow" },
                    "rules": [{
                        "name": "appRule1",
                        "protocols": [{ "protocolType": "Http", "port": 80 }],
                        "fqdnTags": [],
                        "targetFqdns": ["www.microsoft.com"],
                        "sourceAddresses": ["10.0.1.0/24"],
                        "sourceIpGroups": []
                    }]
                }
            }],
            "natRuleCollections": [{
                "id": format!("{fw}/natRuleCollections/Coll-01"),
                "name": "Coll-01",
                "properties": {
                    "provisioningState": "Succeeded",
                    "priority": 100,
                    "action": { "type": "Dnat" },
                    "rules": [{
                        "name": "rdp-01",
                        "protocols": ["TCP"],
                        "translatedAddress": "10.0.1.4",
                        "translatedPort": "3389",
                        "sourceAddresses": ["*"],
                        "sourceIpGroups": [],
                        "destinationAddresses": ["20.103.17.42"],
                        "destinationPorts": ["3389"]
                    }]
                }
            }]
        }
    })
}

#[test]
fn a_classic_rule_firewall_relocates_with_its_rules_and_a_migration_warning() {
    for target in ["northeurope", "eastus"] {
        let (p, out) = run(vec![vnet(), pip(), classic_firewall()], target);

        assert!(
            !p.findings.iter().any(|f| f.severity == Severity::Blocker),
            "{target}: {:#?}",
            p.findings
        );
        let f = p
            .findings
            .iter()
            .find(|f| f.code == "firewall-classic-rules-migrate-to-policy")
            .unwrap_or_else(|| panic!("{target}: no classic-rules finding: {:#?}", p.findings));
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("still supported"), "{}", f.message);

        // The DNAT rule's addresses are listed for review on the firewall.
        let planned = p
            .resources
            .iter()
            .find(|r| r.name.as_ref() == "firewall1")
            .unwrap();
        let fixes: Vec<&str> = planned.template_fixes.iter().map(|l| &**l).collect();
        for path in ["destinationAddresses", "translatedAddress"] {
            assert!(
                fixes.iter().any(|l| l.starts_with("needs-input")
                    && l.contains("natRuleCollections")
                    && l.ends_with(path)),
                "{target}: {path} not listed: {fixes:?}"
            );
        }

        // The target firewall carries the rule collections as they are.
        let b = generated(&out, "Microsoft.Network/azureFirewalls");
        let props = &b["properties"];
        assert!(props.get("firewallPolicy").is_none(), "{b}");
        assert_eq!(
            props["networkRuleCollections"][0]["properties"]["rules"][0]["destinationPorts"],
            json!(["8000-8999"]),
            "{b}"
        );
        assert_eq!(
            props["applicationRuleCollections"][0]["properties"]["rules"][0]["targetFqdns"],
            json!(["www.microsoft.com"]),
            "{b}"
        );
        assert_eq!(
            props["natRuleCollections"][0]["properties"]["rules"][0]["translatedPort"], "3389",
            "{b}"
        );
        assert_eq!(props["sku"]["tier"], "Standard", "{b}");
    }
}

#[test]
fn a_policy_firewall_has_no_classic_rules_finding() {
    let mut fw = classic_firewall();
    let props = fw["properties"].as_object_mut().unwrap();
    for k in [
        "networkRuleCollections",
        "applicationRuleCollections",
        "natRuleCollections",
    ] {
        props.insert(k.into(), json!([]));
    }
    props.insert(
        "firewallPolicy".into(),
        json!({ "id": format!("{RG}/providers/Microsoft.Network/firewallPolicies/policy1") }),
    );
    let policy = json!({
        "id": format!("{RG}/providers/Microsoft.Network/firewallPolicies/policy1"),
        "name": "policy1",
        "type": "Microsoft.Network/firewallPolicies",
        "location": "westeurope",
        "properties": {
            "provisioningState": "Succeeded",
            "sku": { "tier": "Standard" },
            "threatIntelMode": "Alert",
            "ruleCollectionGroups": [],
            "firewalls": [{ "id": format!("{RG}/providers/Microsoft.Network/azureFirewalls/firewall1") }],
            "childPolicies": []
        }
    });
    let (p, _) = run(vec![vnet(), pip(), policy, fw], "northeurope");
    assert!(
        !p.findings
            .iter()
            .any(|f| f.code == "firewall-classic-rules-migrate-to-policy"),
        "{:#?}",
        p.findings
    );
}
