//! Synthetic estates with a realistic type mix, for benchmarks and
//! scale tests of the graph and the planner.
//!
//! An estate is built from *workload units* of 26 resources in one resource
//! group (network, compute, data, identity, monitoring) plus role assignments,
//! diagnostic settings and a lock per unit; units are spread over
//! subscriptions and resource groups, and one unit in eight peers its VNet to
//! the previous unit's. Property shapes follow the ARM GET bodies, with every
//! reference a real resource id (so the graph's scanner does real work).

use crate::model::*;
use azrelo_arm::id::ResourceId;
use serde_json::{Value, json};

/// Resources per workload unit (role assignments etc. come on top).
pub const UNIT: usize = 26;

fn rid(s: &str) -> ResourceId {
    ResourceId::parse(s).expect("synthetic ids are valid")
}

fn prov() -> Vec<Provenance> {
    vec![Provenance {
        file: "synthetic".into(),
        path: "$".into(),
        kind: InputKind::ResourceGraph,
    }]
}

fn res(id: String, location: &str, properties: Value) -> Resource {
    let id = rid(&id);
    Resource {
        resource_type: id.type_or_scope_type().to_string(),
        name: id.full_name().unwrap_or_default(),
        id,
        location: Some(location.to_string()),
        sku: None,
        kind: None,
        zones: Vec::new(),
        identity: None,
        properties,
        tags: [("env".to_string(), "prod".to_string())]
            .into_iter()
            .collect(),
        managed_by: None,
        extended_location: None,
        plan: None,
        api_version: None,
        depends_on: Vec::new(),
        provenance: prov(),
    }
}

/// An estate of about `resources` resources (rounded up to whole units).
pub fn estate(resources: usize) -> Estate {
    let units = resources.div_ceil(UNIT).max(1);
    let mut e = Estate::new();
    e.resources.reserve(units * UNIT);
    let location = "westeurope";
    for u in 0..units {
        let sub = format!("{:08x}-0000-4000-8000-{:012x}", u / 5000, u / 5000);
        let rg = format!("rg-w{u:07}");
        let p = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers");
        let vnet = format!("{p}/Microsoft.Network/virtualNetworks/vnet-{u}");
        let subnet = |n: &str| format!("{vnet}/subnets/{n}");
        let nsg = format!("{p}/Microsoft.Network/networkSecurityGroups/nsg-{u}");
        let law = format!("{p}/Microsoft.OperationalInsights/workspaces/law-{u}");
        let uami = format!("{p}/Microsoft.ManagedIdentity/userAssignedIdentities/id-{u}");
        let kv = format!("{p}/Microsoft.KeyVault/vaults/kv{u:07}");
        let st = format!("{p}/Microsoft.Storage/storageAccounts/st{u:07}");
        let sql = format!("{p}/Microsoft.Sql/servers/sql-{u}");
        let zone = format!("{p}/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net");
        let pip = format!("{p}/Microsoft.Network/publicIPAddresses/pip-{u}");
        let lb = format!("{p}/Microsoft.Network/loadBalancers/lb-{u}");
        let principal = format!("{u:08x}-aaaa-4aaa-8aaa-{u:012x}");

        let mut vnet_props = json!({
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [
                {"name": "web", "id": subnet("web"), "properties": {"addressPrefix": "10.0.1.0/24", "networkSecurityGroup": {"id": nsg}}},
                {"name": "app", "id": subnet("app"), "properties": {"addressPrefix": "10.0.2.0/24", "networkSecurityGroup": {"id": nsg}}},
                {"name": "pe", "id": subnet("pe"), "properties": {"addressPrefix": "10.0.3.0/24"}}
            ]
        });
        if u % 8 == 1 {
            let prev = format!(
                "/subscriptions/{}/resourceGroups/rg-w{:07}/providers/Microsoft.Network/virtualNetworks/vnet-{}",
                format_args!(
                    "{:08x}-0000-4000-8000-{:012x}",
                    (u - 1) / 5000,
                    (u - 1) / 5000
                ),
                u - 1,
                u - 1
            );
            vnet_props["virtualNetworkPeerings"] = json!([{"name": "to-prev", "id": format!("{vnet}/virtualNetworkPeerings/to-prev"),
                "properties": {"remoteVirtualNetwork": {"id": prev}}}]);
        }
        e.resources.push(res(vnet.clone(), location, vnet_props));
        e.resources.push(res(nsg.clone(), location, json!({"securityRules": [{"name": "https", "properties": {"access": "Allow", "destinationPortRange": "443", "priority": 100, "direction": "Inbound", "protocol": "Tcp"}}]})));
        e.resources.push(res(
            pip.clone(),
            location,
            json!({"publicIPAllocationMethod": "Static"}),
        ));
        e.resources.push(res(lb.clone(), location, json!({
            "frontendIPConfigurations": [{"name": "fe", "id": format!("{lb}/frontendIPConfigurations/fe"), "properties": {"publicIPAddress": {"id": pip}}}],
            "backendAddressPools": [{"name": "be", "id": format!("{lb}/backendAddressPools/be")}]
        })));
        for v in 0..3 {
            let nic = format!("{p}/Microsoft.Network/networkInterfaces/nic-{u}-{v}");
            let osd = format!("{p}/Microsoft.Compute/disks/vm-{u}-{v}-os");
            let vm = format!("{p}/Microsoft.Compute/virtualMachines/vm-{u}-{v}");
            e.resources.push(res(nic.clone(), location, json!({"ipConfigurations": [{"name": "ip", "properties": {
                "subnet": {"id": subnet(if v < 2 { "web" } else { "app" })},
                "loadBalancerBackendAddressPools": if v < 2 { json!([{"id": format!("{lb}/backendAddressPools/be")}]) } else { json!([]) }}}]})));
            e.resources.push(res(
                osd.clone(),
                location,
                json!({"diskSizeGB": 64, "creationData": {"createOption": "FromImage"}}),
            ));
            let mut r = res(
                vm.clone(),
                location,
                json!({
                    "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
                    "storageProfile": {"osDisk": {"managedDisk": {"id": osd}}},
                    "networkProfile": {"networkInterfaces": [{"id": nic}]},
                    "diagnosticsProfile": {"bootDiagnostics": {"storageUri": format!("https://st{u:07}.blob.core.windows.net/")}}
                }),
            );
            r.identity = Some(Identity {
                kind: "UserAssigned".into(),
                user_assigned: [(uami.clone(), UserAssigned::default())]
                    .into_iter()
                    .collect(),
                ..Default::default()
            });
            e.resources.push(r);
            e.resources.push(res(
                format!("{vm}/extensions/AzureMonitorAgent"),
                location,
                json!({"publisher": "Microsoft.Azure.Monitor"}),
            ));
        }
        let mut ua = res(
            uami.clone(),
            location,
            json!({"principalId": principal, "clientId": principal}),
        );
        ua.kind = None;
        e.resources.push(ua);
        e.resources.push(res(kv.clone(), location, json!({"vaultUri": format!("https://kv{u:07}.vault.azure.net/"), "enableRbacAuthorization": true})));
        e.resources.push(res(
            st.clone(),
            location,
            json!({"networkAcls": {"virtualNetworkRules": [{"id": subnet("app")}]}}),
        ));
        e.resources
            .push(res(sql.clone(), location, json!({"version": "12.0"})));
        e.resources.push(res(
            format!("{sql}/databases/db-{u}"),
            location,
            json!({"maxSizeBytes": 268435456000u64}),
        ));
        e.resources
            .push(res(law.clone(), location, json!({"retentionInDays": 30})));
        let pe = format!("{p}/Microsoft.Network/privateEndpoints/pe-kv-{u}");
        e.resources.push(res(pe.clone(), location, json!({"subnet": {"id": subnet("pe")},
            "privateLinkServiceConnections": [{"name": "kv", "properties": {"privateLinkServiceId": kv, "groupIds": ["vault"]}}]})));
        e.resources.push(res(format!("{pe}/privateDnsZoneGroups/default"), location, json!({"privateDnsZoneConfigs": [{"name": "kv", "properties": {"privateDnsZoneId": zone}}]})));
        e.resources.push(res(zone.clone(), "global", json!({})));
        e.resources.push(res(
            format!("{zone}/virtualNetworkLinks/link"),
            "global",
            json!({"virtualNetwork": {"id": vnet}, "registrationEnabled": false}),
        ));
        e.role_assignments.push(RoleAssignment {
            id: rid(&format!("{kv}/providers/Microsoft.Authorization/roleAssignments/{principal}")),
            scope: kv.clone(),
            role_definition_id: format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6"),
            principal_id: principal.clone(),
            principal_type: Some("ServicePrincipal".into()),
            condition: None,
            description: None,
            provenance: prov(),
        });
        e.diagnostic_settings.push(DiagnosticSetting {
            id: rid(&format!(
                "{kv}/providers/Microsoft.Insights/diagnosticSettings/to-law"
            )),
            resource_id: kv.clone(),
            workspace_id: Some(law.clone()),
            event_hub_authorization_rule_id: None,
            event_hub_name: None,
            storage_account_id: None,
            marketplace_partner_id: None,
            log_analytics_destination_type: None,
            service_bus_rule_id: None,
            logs: vec![DiagnosticEntry::category_group("audit")],
            metrics: vec![DiagnosticEntry::category("AllMetrics")],
            provenance: prov(),
        });
        e.locks.push(Lock {
            id: rid(&format!(
                "{kv}/providers/Microsoft.Authorization/locks/nodelete"
            )),
            scope: kv,
            level: "CanNotDelete".into(),
            notes: None,
            provenance: prov(),
        });
    }
    e.reindex();
    e
}

#[cfg(test)]
mod tests {
    #[test]
    fn units_are_complete_and_ids_unique() {
        let e = super::estate(100);
        assert_eq!(
            e.resources.len(),
            100usize.div_ceil(super::UNIT) * super::UNIT
        );
        let ids: std::collections::HashSet<_> = e.resources.iter().map(|r| r.id.clone()).collect();
        assert_eq!(ids.len(), e.resources.len());
        assert!(e.resource(&e.resources[7].id).is_some());
    }
}
