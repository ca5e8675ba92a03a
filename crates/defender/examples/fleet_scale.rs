//! Time reading and assessing a synthetic fleet of N machines (default
//! 100,000): a Resource Graph export with Azure VMs, Arc machines (on-premises
//! and AWS) with Log Analytics agents, 20 subscriptions with their settings,
//! 50 workspaces, connectors, and a Defender device CSV listing ~90% of the
//! machines plus 5% devices without a machine.
//!
//! `cargo run --release -p azrelo-defender --example fleet_scale -- 100000`

use serde_json::{Value, json};
use std::io::Write;
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let subs: Vec<String> = (0..20)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    let oses = [
        ("Windows Server 2019 Datacenter", "windows"),
        ("Windows Server 2012 R2 Standard", "windows"),
        ("Ubuntu 22.04.4 LTS", "linux"),
        ("Red Hat Enterprise Linux 8.9", "linux"),
        ("CentOS Linux 6.10", "linux"),
    ];
    let mut rows: Vec<Value> = Vec::with_capacity(n * 2);
    for w in 0..50 {
        let sub = &subs[w % subs.len()];
        rows.push(json!({"id": format!("/subscriptions/{sub}/resourceGroups/rg-mon/providers/Microsoft.OperationalInsights/workspaces/law-{w}"),
            "type": "microsoft.operationalinsights/workspaces", "name": format!("law-{w}"), "location": "westeurope",
            "subscriptionId": sub, "tenantId": "t", "properties": {"customerId": format!("10000000-0000-4000-8000-{w:012}")}}));
    }
    for (i, sub) in subs.iter().enumerate() {
        rows.push(json!({"id": format!("/subscriptions/{sub}/resourceGroups/rg-mc/providers/Microsoft.Security/securityConnectors/aws-{i}"),
            "type": "microsoft.security/securityconnectors", "name": format!("aws-{i}"), "location": "westeurope",
            "subscriptionId": sub, "tenantId": "t", "properties": {"environmentName": "AWS", "hierarchyIdentifier": format!("{i:012}"),
            "offerings": [{"offeringType": "DefenderForServersAws", "arcAutoProvisioning": {"enabled": i % 2 == 0},
                           "mdeAutoProvisioning": {"enabled": true}, "vaAutoProvisioning": {"enabled": true}}]}}));
    }
    let mut csv = String::from(
        "Device Id,Device Name,OS Platform,OS Version,Health Status,Onboarding Status,Cloud Platforms\n",
    );
    for i in 0..n {
        let sub = &subs[i % subs.len()];
        let (os, ty) = oses[i % oses.len()];
        let name = format!("srv-{i:07}");
        let ws = format!("10000000-0000-4000-8000-{:012}", i % 50);
        if i % 3 == 0 {
            let id = format!(
                "/subscriptions/{sub}/resourceGroups/rg-vm/providers/Microsoft.Compute/virtualMachines/{name}"
            );
            rows.push(json!({"id": id, "type": "microsoft.compute/virtualmachines", "name": name, "location": "westeurope",
                "subscriptionId": sub, "tenantId": "t", "properties": {"vmId": format!("20000000-0000-4000-8000-{i:012}"),
                "storageProfile": {"osDisk": {"osType": if ty == "windows" { "Windows" } else { "Linux" }}, "imageReference": {"offer": os, "sku": os}},
                "osProfile": {"computerName": name}}}));
            rows.push(json!({"id": format!("{id}/extensions/MicrosoftMonitoringAgent"), "type": "microsoft.compute/virtualmachines/extensions",
                "name": "MicrosoftMonitoringAgent", "subscriptionId": sub, "tenantId": "t",
                "properties": {"type": "MicrosoftMonitoringAgent", "provisioningState": "Succeeded", "settings": {"workspaceId": ws}}}));
        } else {
            let cloud = if i % 7 == 0 { "AWS" } else { "N/A" };
            let id = format!(
                "/subscriptions/{sub}/resourceGroups/rg-arc/providers/Microsoft.HybridCompute/machines/{name}"
            );
            rows.push(json!({"id": id, "type": "microsoft.hybridcompute/machines", "name": name, "location": "westeurope",
                "subscriptionId": sub, "tenantId": "t", "properties": {"status": if i % 11 == 0 { "Disconnected" } else { "Connected" },
                "osName": ty, "osType": ty, "osSku": os, "cloudMetadata": {"provider": cloud}, "osProfile": {"computerName": name}}}));
            rows.push(json!({"id": format!("{id}/extensions/MicrosoftMonitoringAgent"), "type": "microsoft.hybridcompute/machines/extensions",
                "name": "MicrosoftMonitoringAgent", "subscriptionId": sub, "tenantId": "t",
                "properties": {"type": "MicrosoftMonitoringAgent", "provisioningState": "Succeeded", "settings": {"workspaceId": ws}}}));
        }
        if i % 10 != 0 {
            csv.push_str(&format!(
                "d{i},{name}.contoso.local,WindowsServer2019,1809,Active,Onboarded,\n"
            ));
        }
    }
    for i in 0..n / 20 {
        csv.push_str(&format!(
            "o{i},orphan-{i:06},Linux Ubuntu,22.4,Active,Onboarded,\n"
        ));
    }
    let mut sec = Vec::new();
    for sub in &subs {
        sec.push(json!({"id": format!("/subscriptions/{sub}/providers/Microsoft.Security/pricings/VirtualMachines"), "type": "microsoft.security/pricings",
            "subscriptionId": sub, "tenantId": "t", "properties": {"pricingTier": "Standard", "subPlan": "P1"}}));
        sec.push(json!({"id": format!("/subscriptions/{sub}/providers/Microsoft.Security/settings/WDATP"), "type": "microsoft.security/settings",
            "subscriptionId": sub, "tenantId": "t", "kind": "DataExportSettings", "properties": {"enabled": true}}));
    }
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::File::create(&p)
            .and_then(|mut f| f.write_all(bytes))
            .expect("write");
        p
    };
    let paths = vec![
        write(
            "arg-resources.json",
            serde_json::to_string(&json!({"count": rows.len(), "data": rows}))
                .unwrap()
                .as_bytes(),
        ),
        write(
            "arg-security.json",
            serde_json::to_string(&json!({"count": sec.len(), "data": sec}))
                .unwrap()
                .as_bytes(),
        ),
        write("devices.csv", csv.as_bytes()),
    ];
    let bytes: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();

    let t = Instant::now();
    let fleet = azrelo_defender::files::load(&paths).expect("load");
    let load = t.elapsed();
    let t = Instant::now();
    let a = azrelo_defender::assess(&fleet, &Default::default());
    let assess = t.elapsed();
    let t = Instant::now();
    let text = azrelo_defender::report::render_text(&a);
    let render = t.elapsed();
    println!(
        "{} machines + {} devices ({:.1} MB of inputs): load {:.2?}, assess {:.2?}, text report {:.2?} ({} KB); {} ready, {} ready after apply, {} need a manual step, {} blocked",
        fleet.machines.len(),
        fleet.devices.len(),
        bytes as f64 / 1e6,
        load,
        assess,
        render,
        text.len() / 1024,
        a.summary.ready,
        a.summary.ready_after_apply,
        a.summary.needs_manual,
        a.summary.blocked
    );
}
