//! Small fleets, one situation each: multicloud machines with and without a
//! connector, settings missing from the inputs, a failed MDE extension, Linux
//! machines excluded by the old preview switch, the machines API's device
//! JSON matched by Azure resource id, unknown and unsupported operating
//! systems, ambiguous host names.

use azrelo_defender::assess::{MachineAssessment, PrereqStatus, Severity};
use azrelo_defender::{
    AssessOptions, Assessment, MigrationPath, ServersPlan, Verdict, assess, files,
};
use serde_json::{Value, json};
use std::path::PathBuf;

const SUB: &str = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

fn rid(rg: &str, ty: &str, name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/{ty}/{name}")
}

/// A Resource Graph row (`az graph query -o json` shape).
fn row(rg: &str, ty: &str, name: &str, properties: Value) -> Value {
    json!({"id": rid(rg, ty, name), "name": name.rsplit('/').next().unwrap(), "type": ty.to_ascii_lowercase(),
           "location": "westeurope", "resourceGroup": rg, "subscriptionId": SUB, "tenantId": "t",
           "properties": properties})
}

fn sec(rest: &str, kind: &str, properties: Value) -> Value {
    json!({"id": format!("/subscriptions/{SUB}/providers/Microsoft.Security/{rest}"),
           "name": rest.rsplit('/').next().unwrap(), "type": format!("microsoft.security/{}", rest.split('/').next().unwrap().to_ascii_lowercase()),
           "kind": kind, "subscriptionId": SUB, "tenantId": "t", "properties": properties})
}

/// All settings as required for Plan 2.
fn good_settings() -> Vec<Value> {
    vec![
        sec(
            "pricings/VirtualMachines",
            "",
            json!({"pricingTier": "Standard", "subPlan": "P2"}),
        ),
        sec(
            "settings/WDATP",
            "DataExportSettings",
            json!({"enabled": true}),
        ),
        sec(
            "settings/WDATP_UNIFIED_SOLUTION",
            "DataExportSettings",
            json!({"enabled": true}),
        ),
        sec(
            "serverVulnerabilityAssessmentsSettings/AzureServersSetting",
            "AzureServersSetting",
            json!({"selectedProvider": "MdeTvm"}),
        ),
    ]
}

fn arc(name: &str, os_sku: &str, os_type: &str, status: &str, cloud: &str) -> Value {
    row(
        "rg-arc",
        "Microsoft.HybridCompute/machines",
        name,
        json!({"status": status, "agentVersion": "1.45.02800.1582", "osName": os_type, "osType": os_type,
               "osSku": os_sku, "osVersion": "", "cloudMetadata": {"provider": cloud}, "osProfile": {"computerName": name}}),
    )
}

fn vm(name: &str, offer: &str, sku: &str, os: &str) -> Value {
    row(
        "rg-vm",
        "Microsoft.Compute/virtualMachines",
        name,
        json!({"vmId": format!("00000000-0000-4000-8000-{:0>12}", name.len()),
               "storageProfile": {"imageReference": {"offer": offer, "sku": sku}, "osDisk": {"osType": os}},
               "osProfile": {"computerName": name}}),
    )
}

fn connector(name: &str, env: &str, offering: Option<Value>) -> Value {
    let mut offerings = vec![
        json!({"offeringType": format!("CspmMonitor{}", if env == "AWS" { "Aws" } else { "Gcp" })}),
    ];
    offerings.extend(offering);
    row(
        "rg-mc",
        "Microsoft.Security/securityConnectors",
        name,
        json!({"environmentName": env, "hierarchyIdentifier": "123", "offerings": offerings}),
    )
}

fn servers_offering(ty: &str, arc: bool, mde: bool, va: bool) -> Value {
    json!({"offeringType": ty, "arcAutoProvisioning": {"enabled": arc}, "mdeAutoProvisioning": {"enabled": mde},
           "vaAutoProvisioning": {"enabled": va, "configuration": {"type": "TVM"}}, "subPlan": {"type": "P2"}})
}

/// Write the rows (and optional extra files) and assess them.
fn run(rows: Vec<Value>, extra: &[(&str, &str)], plan: ServersPlan) -> Assessment {
    run_with(rows, extra, Some(plan))
}

fn run_with(rows: Vec<Value>, extra: &[(&str, &str)], plan: Option<ServersPlan>) -> Assessment {
    let dir = tempfile::tempdir().unwrap();
    let mut paths: Vec<PathBuf> = Vec::new();
    let p = dir.path().join("arg.json");
    std::fs::write(
        &p,
        serde_json::to_string_pretty(&json!({"count": rows.len(), "data": rows})).unwrap(),
    )
    .unwrap();
    paths.push(p);
    for (name, text) in extra {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    let fleet = files::load(&paths).expect("inputs load");
    assess(&fleet, &AssessOptions { plan })
}

fn machine<'a>(a: &'a Assessment, name: &str) -> &'a MachineAssessment {
    a.machines
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("{name}"))
}

fn codes(m: &MachineAssessment, min: Severity) -> Vec<&str> {
    m.reasons
        .iter()
        .filter(|r| r.severity >= min)
        .map(|r| r.code.as_str())
        .collect()
}

#[test]
fn aws_machine_without_a_connector_is_blocked_gcp_with_a_ready_one_is_ready() {
    let mut rows = good_settings();
    rows.push(arc(
        "i-0123456789abcdef0",
        "Ubuntu 22.04.4 LTS",
        "linux",
        "Connected",
        "AWS",
    ));
    rows.push(arc(
        "gce-web-1",
        "Red Hat Enterprise Linux 9.3",
        "linux",
        "Connected",
        "GCP",
    ));
    rows.push(connector(
        "gcp-prj",
        "GCP",
        Some(servers_offering("DefenderForServersGcp", true, true, true)),
    ));
    let a = run(rows, &[], ServersPlan::P2);
    let aws = machine(&a, "i-0123456789abcdef0");
    assert_eq!(
        (aws.path, aws.verdict),
        (MigrationPath::Aws, Verdict::Blocked)
    );
    assert_eq!(codes(aws, Severity::Blocker), ["connector-missing"]);
    assert!(
        aws.reasons[0].message.contains("no AWS connector"),
        "{}",
        aws.reasons[0].message
    );
    let gce = machine(&a, "gce-web-1");
    assert_eq!(
        (gce.path, gce.verdict),
        (MigrationPath::Gcp, Verdict::Ready),
        "{:#?}",
        gce.reasons
    );
    assert_eq!(gce.connector.as_deref(), Some("gcp-prj"));
    assert_eq!(gce.deploy.as_deref(), Some("MDE.Linux"));
}

#[test]
fn aws_connector_with_auto_provisioning_off_is_ready_after_apply() {
    let mut rows = good_settings();
    rows.push(arc(
        "i-0fedcba9876543210",
        "Amazon Linux 2023",
        "linux",
        "Connected",
        "AWS",
    ));
    rows.push(connector(
        "aws-acct",
        "AWS",
        Some(servers_offering(
            "DefenderForServersAws",
            true,
            false,
            false,
        )),
    ));
    let a = run(rows, &[], ServersPlan::P2);
    let m = machine(&a, "i-0fedcba9876543210");
    // apply switches the connector's auto-provisioning on.
    assert_eq!(m.verdict, Verdict::ReadyAfterApply);
    assert_eq!(codes(m, Severity::Action), ["connector-auto-provisioning"]);
    assert!(
        m.reasons[0]
            .message
            .contains("Defender for Endpoint extension, vulnerability assessment")
    );
    assert_eq!(a.connectors[0].verdict, Verdict::ReadyAfterApply);
}

#[test]
fn settings_missing_from_the_inputs_are_unknown_not_off() {
    let a = run(
        vec![vm("vm-1", "WindowsServer", "2022-datacenter", "Windows")],
        &[],
        ServersPlan::P2,
    );
    let m = machine(&a, "vm-1");
    // Unknown settings are set by apply; the unified-solution opt-in does
    // not matter to Windows Server 2022.
    assert_eq!(m.verdict, Verdict::ReadyAfterApply);
    assert_eq!(
        codes(m, Severity::Action),
        ["servers-plan", "mde-integration"]
    );
    assert!(
        m.reasons
            .iter()
            .all(|r| r.severity < Severity::Action
                || r.message.contains("not known from the inputs"))
    );
    assert!(
        a.prerequisites
            .iter()
            .filter(|p| p.check != "arc-connectivity")
            .all(|p| p.status == PrereqStatus::Unknown)
    );
    // Azure VMs only: no Arc connectivity prerequisite.
    assert!(
        !a.prerequisites
            .iter()
            .any(|p| p.check == "arc-connectivity")
    );
}

#[test]
fn failed_mde_extension_and_linux_exclusion() {
    let mut rows = good_settings();
    rows.push(sec(
        "settings/WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW",
        "DataExportSettings",
        json!({"enabled": true}),
    ));
    rows.push(vm("vm-win", "WindowsServer", "2019-datacenter", "Windows"));
    rows.push(vm(
        "vm-lnx",
        "0001-com-ubuntu-server-focal",
        "20_04-lts",
        "Linux",
    ));
    rows.push(row(
        "rg-vm",
        "Microsoft.Compute/virtualMachines",
        "vm-win/extensions/MDE.Windows",
        json!({"publisher": "Microsoft.Azure.AzureDefenderForServers", "type": "MDE.Windows", "provisioningState": "Failed"}),
    ));
    let a = run(rows, &[], ServersPlan::P2);
    let win = machine(&a, "vm-win");
    assert_eq!(codes(win, Severity::Action), ["mde-extension-failed"]);
    assert_eq!(win.deploy.as_deref(), Some("MDE.Windows"));
    let lnx = machine(&a, "vm-lnx");
    assert_eq!(codes(lnx, Severity::Action), ["mde-linux"]);
    assert!(
        a.prerequisites
            .iter()
            .any(|p| p.check == "mde-linux" && p.status == PrereqStatus::Missing)
    );
}

#[test]
fn machines_api_devices_match_by_azure_resource_id() {
    let mut rows = good_settings();
    rows.push(vm("vm-app", "WindowsServer", "2022-datacenter", "Windows"));
    let devices = json!({"@odata.context": "https://api.securitycenter.microsoft.com/api/$metadata#Machines", "value": [
        {"id": "a1", "computerDnsName": "appserver-prod.contoso.com", "osPlatform": "WindowsServer2022", "healthStatus": "Active",
         "onboardingStatus": "Onboarded", "machineTags": [],
         "vmMetadata": {"vmId": "x", "cloudProvider": "Azure", "resourceId": rid("rg-vm", "Microsoft.Compute/virtualMachines", "vm-app"), "subscriptionId": SUB}},
        {"id": "a2", "computerDnsName": "bsd-gw-01", "osPlatform": "FreeBSD", "healthStatus": "Active", "onboardingStatus": "Onboarded"}
    ]});
    let a = run(
        rows,
        &[("machines.json", &devices.to_string())],
        ServersPlan::P2,
    );
    let m = machine(&a, "vm-app");
    assert_eq!(m.device.as_deref(), Some("appserver-prod.contoso.com"));
    assert_eq!(m.in_device_list, Some(true));
    // An OS nobody recognises: Arc support and the MDE extension are unknown.
    let bsd = machine(&a, "bsd-gw-01");
    assert_eq!(bsd.path, MigrationPath::ArcOnPrem);
    assert_eq!(
        codes(bsd, Severity::Action),
        ["arc-os-unknown", "os-type-unknown"]
    );
    assert_eq!(bsd.deploy, None);
    assert_eq!(a.devices_without_machine, ["bsd-gw-01"]);
}

#[test]
fn connected_arc_machine_on_an_unsupported_os_needs_a_manual_step_not_blocked() {
    let mut rows = good_settings();
    rows.push(arc(
        "old-ubuntu",
        "Ubuntu 14.04.6 LTS",
        "linux",
        "Connected",
        "N/A",
    ));
    rows.push(arc(
        "ws2012",
        "Windows Server 2012 Datacenter",
        "windows",
        "Connected",
        "N/A",
    ));
    let a = run(rows, &[], ServersPlan::P2);
    let u = machine(&a, "old-ubuntu");
    assert_eq!(u.verdict, Verdict::NeedsManual);
    assert_eq!(codes(u, Severity::Action), ["arc-os-unsupported"]);
    // Windows Server 2012 (not R2) is outside the integration altogether.
    let w = machine(&a, "ws2012");
    assert_eq!(w.verdict, Verdict::Blocked);
    assert_eq!(codes(w, Severity::Blocker), ["os-not-covered"]);
    assert_eq!(w.deploy, None);
}

#[test]
fn ambiguous_host_names_do_not_match_a_device() {
    let mut rows = good_settings();
    rows.push(vm("web", "WindowsServer", "2022-datacenter", "Windows"));
    let mut other = vm("web", "WindowsServer", "2022-datacenter", "Windows");
    other["id"] = json!(rid("rg-other", "Microsoft.Compute/virtualMachines", "web"));
    other["resourceGroup"] = json!("rg-other");
    rows.push(other);
    let csv = "Device Name,OS Platform,Health Status\nweb.contoso.com,WindowsServer2022,Active\n";
    let a = run(rows, &[("devices.csv", csv)], ServersPlan::P2);
    assert_eq!(a.devices_without_machine, ["web.contoso.com"]);
    assert_eq!(a.machines_missing_from_device_list.len(), 2);
}

#[test]
fn a_single_subscription_is_where_device_only_machines_are_onboarded() {
    let mut rows = good_settings();
    rows[1] = sec(
        "settings/WDATP",
        "DataExportSettings",
        json!({"enabled": false}),
    );
    rows.push(vm("vm-1", "WindowsServer", "2022-datacenter", "Windows"));
    let csv = "Device Name,OS Platform,OS Version\nfile-srv-9,WindowsServer2016,1607\n";
    let a = run(rows, &[("devices.csv", csv)], ServersPlan::P2);
    let m = machine(&a, "file-srv-9");
    assert_eq!(m.subscription.as_deref(), Some(SUB));
    assert_eq!(
        codes(m, Severity::Action),
        ["mde-integration", "arc-agent-missing"]
    );
    // 2016 without the Log Analytics agent in sight: not flagged as legacy.
    assert!(!m.legacy_to_unified);
}

/// Seed 004: Plan 1 and Plan 2 both include the integration; without
/// `--plan` the enabled plan is kept, and a subscription with the plan off
/// is told to enable Plan 2 (the recommendation) — apply does it.
#[test]
fn without_a_plan_choice_the_enabled_plan_counts_and_free_means_p2() {
    let mut rows = good_settings();
    rows[0] = sec(
        "pricings/VirtualMachines",
        "",
        json!({"pricingTier": "Standard", "subPlan": "P1"}),
    );
    rows.push(vm("vm-1", "WindowsServer", "2022-datacenter", "Windows"));
    let a = run_with(rows.clone(), &[], None);
    assert_eq!(machine(&a, "vm-1").verdict, Verdict::Ready);
    // With --plan p2 the same machine waits for apply.
    let a = run_with(rows.clone(), &[], Some(ServersPlan::P2));
    assert_eq!(machine(&a, "vm-1").verdict, Verdict::ReadyAfterApply);
    // Plan off: P2 recommended, apply sets it.
    rows[0] = sec(
        "pricings/VirtualMachines",
        "",
        json!({"pricingTier": "Free"}),
    );
    let a = run_with(rows, &[], None);
    let m = machine(&a, "vm-1");
    assert_eq!(m.verdict, Verdict::ReadyAfterApply);
    assert_eq!(codes(m, Severity::Action), ["servers-plan"]);
    let p = a
        .prerequisites
        .iter()
        .find(|p| p.check == "servers-plan")
        .unwrap();
    assert!(p.required.contains("P2 (recommended"), "{}", p.required);
}

/// Seed 004: the unified-solution opt-in matters to Windows Server 2012 R2
/// and 2016 only; the Linux opt-in to Linux machines only.
#[test]
fn an_opt_in_counts_only_for_the_machines_it_changes() {
    let mut rows = good_settings();
    rows[2] = sec(
        "settings/WDATP_UNIFIED_SOLUTION",
        "DataExportSettings",
        json!({"enabled": false}),
    );
    rows.push(sec(
        "settings/WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW",
        "DataExportSettings",
        json!({"enabled": true}),
    ));
    rows.push(vm("ws2016", "WindowsServer", "2016-Datacenter", "Windows"));
    rows.push(vm("ws2022", "WindowsServer", "2022-datacenter", "Windows"));
    rows.push(vm(
        "ubuntu",
        "0001-com-ubuntu-server-jammy",
        "22_04-lts",
        "Linux",
    ));
    let a = run(rows, &[], ServersPlan::P2);
    assert_eq!(
        codes(machine(&a, "ws2016"), Severity::Action),
        ["mde-unified-solution"]
    );
    assert_eq!(
        codes(machine(&a, "ws2022"), Severity::Action),
        Vec::<&str>::new()
    );
    assert_eq!(machine(&a, "ws2022").verdict, Verdict::Ready);
    assert_eq!(
        codes(machine(&a, "ubuntu"), Severity::Action),
        ["mde-linux"]
    );
    assert_eq!(machine(&a, "ubuntu").verdict, Verdict::ReadyAfterApply);
}
