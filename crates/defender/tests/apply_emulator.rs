//! `apply` against the in-process ARM emulator: it PUTs exactly the settings
//! that are missing, a second run PUTs nothing, and validate-only changes
//! nothing. Every PUT the emulator receives is recorded by a layer in front
//! of it, independently of what apply reports.

use azrelo_client::{ArmClient, ClientOptions};
use azrelo_defender::ServersPlan;
use azrelo_defender::apply::{ApplyOptions, ChangeOutcome, apply};
use azrelo_emulator::{Emulator, router};
use azrelo_journal::{Journal, StepOutcome};
use azrelo_testkit::{Served, Transport};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const SUB: &str = "0b5e2c71-8f3a-4d6e-9c1b-7a2d4e6f8a90";
const LAW_CID: &str = "2f6e1d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";

fn rg(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{name}")
}

/// The source state: Plan 1, the integration on but the unified-solution
/// opt-in never set, Linux machines excluded by the old preview switch, no
/// VA provider, a workspace without the Security solution that a legacy
/// Windows Server 2016 VM reports to, a GCP connector with auto-provisioning
/// partly off, an AWS connector fully on and one without the servers plan.
fn seed(em: &Emulator) {
    let sec = |rest: &str| format!("/subscriptions/{SUB}/providers/Microsoft.Security/{rest}");
    let ws_id = format!(
        "{}/providers/Microsoft.OperationalInsights/workspaces/law-test",
        rg("rg-mon")
    );
    let vm = |name: &str, offer: &str, sku: &str, os: &str| {
        (
            format!(
                "{}/providers/Microsoft.Compute/virtualMachines/{name}",
                rg("rg-app")
            ),
            json!({
                "name": name, "type": "Microsoft.Compute/virtualMachines", "location": "westeurope",
                "properties": {
                    "vmId": format!("4a0c8f4e-0000-4000-8000-{:0>12}", name.len()),
                    "storageProfile": {"imageReference": {"publisher": "x", "offer": offer, "sku": sku, "version": "latest"},
                                       "osDisk": {"osType": os}},
                    "osProfile": {"computerName": name}
                }
            }),
        )
    };
    let aws_servers = json!({
        "offeringType": "DefenderForServersAws",
        "defenderForServers": {"cloudRoleArn": "arn:aws:iam::111122223333:role/DefenderForCloud-DefenderForServers"},
        "arcAutoProvisioning": {"enabled": true, "cloudRoleArn": "arn:aws:iam::111122223333:role/DefenderForCloud-ArcAutoProvisioning"},
        "mdeAutoProvisioning": {"enabled": true, "configuration": {}},
        "vaAutoProvisioning": {"enabled": true, "configuration": {"type": "TVM"}},
        "subPlan": {"type": "P2"}
    });
    let items = vec![
        (
            sec("pricings/VirtualMachines"),
            json!({"name": "VirtualMachines", "type": "Microsoft.Security/pricings",
                   "properties": {"pricingTier": "Standard", "subPlan": "P1",
                                  "extensions": [{"name": "MdeDesignatedSubscription", "isEnabled": "False"}]}}),
        ),
        (
            sec("settings/WDATP"),
            json!({"name": "WDATP", "type": "Microsoft.Security/settings", "kind": "DataExportSettings", "properties": {"enabled": true}}),
        ),
        (
            sec("settings/WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW"),
            json!({"name": "WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW", "type": "Microsoft.Security/settings", "kind": "DataExportSettings", "properties": {"enabled": true}}),
        ),
        vm("vm-sql-01", "WindowsServer", "2016-Datacenter", "Windows"),
        (
            format!(
                "{}/providers/Microsoft.HybridCompute/machines/srv-onprem-01",
                rg("rg-arc")
            ),
            json!({"name": "srv-onprem-01", "type": "Microsoft.HybridCompute/machines", "location": "westeurope",
                   "properties": {"status": "Connected", "agentVersion": "1.45.02800.1582", "osName": "windows",
                                  "osType": "windows", "osSku": "Windows Server 2019 Datacenter", "osVersion": "10.0.17763.6414",
                                  "cloudMetadata": {"provider": "N/A"}, "osProfile": {"computerName": "srv-onprem-01"}}}),
        ),
        vm(
            "vm-web-02",
            "0001-com-ubuntu-server-jammy",
            "22_04-lts-gen2",
            "Linux",
        ),
        (
            format!(
                "{}/providers/Microsoft.Compute/virtualMachines/vm-sql-01/extensions/MicrosoftMonitoringAgent",
                rg("rg-app")
            ),
            json!({"name": "MicrosoftMonitoringAgent", "type": "Microsoft.Compute/virtualMachines/extensions", "location": "westeurope",
                   "properties": {"publisher": "Microsoft.EnterpriseCloud.Monitoring", "type": "MicrosoftMonitoringAgent",
                                  "typeHandlerVersion": "1.0", "provisioningState": "Succeeded",
                                  "settings": {"workspaceId": LAW_CID}}}),
        ),
        (
            ws_id.clone(),
            json!({"name": "law-test", "type": "Microsoft.OperationalInsights/workspaces", "location": "westeurope",
                   "properties": {"customerId": LAW_CID, "sku": {"name": "PerGB2018"}, "retentionInDays": 30}}),
        ),
        (
            format!(
                "{}/providers/Microsoft.Security/securityConnectors/gcp-data",
                rg("rg-mc")
            ),
            json!({"name": "gcp-data", "type": "Microsoft.Security/securityConnectors", "location": "westeurope",
                   "properties": {"hierarchyIdentifier": "998877665544", "environmentName": "GCP",
                                  "environmentData": {"environmentType": "GcpProject", "projectDetails": {"projectNumber": "998877665544", "projectId": "data-prj"}},
                                  "offerings": [
                                      {"offeringType": "CspmMonitorGcp", "nativeCloudConnection": {"workloadIdentityProviderId": "cspm", "serviceAccountEmailAddress": "cspm@data-prj.iam.gserviceaccount.com"}},
                                      {"offeringType": "DefenderForServersGcp",
                                       "defenderForServers": {"workloadIdentityProviderId": "defender-for-servers", "serviceAccountEmailAddress": "mdfs@data-prj.iam.gserviceaccount.com"},
                                       "arcAutoProvisioning": {"enabled": false, "configuration": {}},
                                       "mdeAutoProvisioning": {"enabled": true, "configuration": {}},
                                       "subPlan": {"type": "P2"}}]}}),
        ),
        (
            format!(
                "{}/providers/Microsoft.Security/securityConnectors/aws-prod",
                rg("rg-mc")
            ),
            json!({"name": "aws-prod", "type": "Microsoft.Security/securityConnectors", "location": "westeurope",
                   "properties": {"hierarchyIdentifier": "111122223333", "environmentName": "AWS",
                                  "environmentData": {"environmentType": "AwsAccount"},
                                  "offerings": [aws_servers]}}),
        ),
        (
            format!(
                "{}/providers/Microsoft.Security/securityConnectors/aws-sandbox",
                rg("rg-mc")
            ),
            json!({"name": "aws-sandbox", "type": "Microsoft.Security/securityConnectors", "location": "westeurope",
                   "properties": {"hierarchyIdentifier": "444455556666", "environmentName": "AWS",
                                  "environmentData": {"environmentType": "AwsAccount"},
                                  "offerings": [{"offeringType": "CspmMonitorAws", "nativeCloudConnection": {"cloudRoleArn": "arn:aws:iam::444455556666:role/CspmMonitorAws"}}]}}),
        ),
    ];
    assert_eq!(em.seed(items), 11);
}

struct Harness {
    client: ArmClient,
    puts: Arc<Mutex<Vec<String>>>,
    /// The server, stopped when the harness is dropped.
    _served: Served,
}

async fn start() -> Harness {
    start_with(Emulator::new(), None).await
}

/// `divert`: PUTs to paths ending in this suffix land elsewhere (as if a
/// policy or the service dropped the write): ARM answers success, yet the
/// setting does not change.
async fn start_with(em: Emulator, divert: Option<&'static str>) -> Harness {
    seed(&em);
    let puts = Arc::new(Mutex::new(Vec::new()));
    let seen = puts.clone();
    let app = router(em).layer(tower::util::MapRequestLayer::new(
        move |mut req: axum::http::Request<axum::body::Body>| {
            if req.method() == axum::http::Method::PUT {
                seen.lock().unwrap().push(req.uri().path().to_string());
                if let Some(suffix) = divert
                    && req.uri().path().ends_with(suffix)
                {
                    let to = format!(
                        "{}_DIVERTED?{}",
                        req.uri().path(),
                        req.uri().query().unwrap_or("")
                    );
                    *req.uri_mut() = to.parse().unwrap();
                }
            }
            req
        },
    ));
    let served = Served::router(app, Transport::Http).await;
    let client = ArmClient::new(ClientOptions::emulator(
        &served.endpoint,
        "test-token",
        None,
    ))
    .unwrap();
    Harness {
        client,
        puts,
        _served: served,
    }
}

fn opts(validate_only: bool) -> ApplyOptions {
    ApplyOptions {
        plan: Some(ServersPlan::P2),
        vulnerability_management: true,
        validate_only,
    }
}

async fn get(c: &ArmClient, path: &str, api: &str) -> Option<Value> {
    c.get(path, api).await.unwrap()
}

/// Everything apply may touch, as the emulator holds it.
async fn state(c: &ArmClient) -> Vec<Option<Value>> {
    let sec = |rest: &str| format!("/subscriptions/{SUB}/providers/Microsoft.Security/{rest}");
    let mut out = Vec::new();
    for (p, api) in [
        (sec("pricings/VirtualMachines"), "2024-01-01"),
        (sec("settings/WDATP"), "2022-05-01"),
        (sec("settings/WDATP_UNIFIED_SOLUTION"), "2022-05-01"),
        (
            sec("settings/WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW"),
            "2022-05-01",
        ),
        (
            sec("serverVulnerabilityAssessmentsSettings/AzureServersSetting"),
            "2023-05-01",
        ),
        (
            format!(
                "{}/providers/Microsoft.OperationsManagement/solutions/Security(law-test)",
                rg("rg-mon")
            ),
            "2015-11-01-preview",
        ),
        (
            format!(
                "{}/providers/Microsoft.Security/securityConnectors/gcp-data",
                rg("rg-mc")
            ),
            "2023-10-01-preview",
        ),
        (
            format!(
                "{}/providers/Microsoft.Security/securityConnectors/aws-prod",
                rg("rg-mc")
            ),
            "2023-10-01-preview",
        ),
        (
            format!(
                "{}/providers/Microsoft.Security/securityConnectors/aws-sandbox",
                rg("rg-mc")
            ),
            "2023-10-01-preview",
        ),
    ] {
        out.push(get(c, &p, api).await);
    }
    out
}

fn tail(path: &str) -> String {
    path.rsplit("/providers/")
        .next()
        .unwrap_or(path)
        .to_string()
}

#[tokio::test]
async fn apply_puts_exactly_the_missing_settings_and_a_second_run_puts_nothing() {
    let h = start().await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    // Before: the machines that only need the subscription's settings are
    // ready once apply has run.
    let p2 = azrelo_defender::AssessOptions {
        plan: Some(ServersPlan::P2),
    };
    let fleet_before = azrelo_defender::live::fleet(&h.client, &[SUB.to_string()])
        .await
        .unwrap();
    let before = azrelo_defender::assess(&fleet_before, &p2);
    let after_apply: Vec<String> = before
        .machines
        .iter()
        .filter(|m| m.verdict == azrelo_defender::Verdict::ReadyAfterApply)
        .map(|m| m.name.clone())
        .collect();
    assert!(!after_apply.is_empty(), "{:#?}", before.machines);
    assert_eq!(before.summary.ready, 0, "{:#?}", before.machines);

    let (report, _) = apply(&h.client, SUB, &opts(false), Some(&journal), "run-1")
        .await
        .unwrap();
    let mut puts: Vec<String> = h.puts.lock().unwrap().iter().map(|p| tail(p)).collect();
    puts.sort();
    assert_eq!(
        puts,
        [
            "Microsoft.OperationsManagement/solutions/Security(law-test)",
            "Microsoft.Security/pricings/VirtualMachines",
            "Microsoft.Security/securityConnectors/gcp-data",
            "Microsoft.Security/serverVulnerabilityAssessmentsSettings/AzureServersSetting",
            "Microsoft.Security/settings/WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW",
            "Microsoft.Security/settings/WDATP_UNIFIED_SOLUTION",
        ]
    );
    assert!(
        report
            .changes
            .iter()
            .all(|c| c.outcome == ChangeOutcome::Applied)
    );
    assert_eq!(report.failed(), 0);
    // The connector without a servers offering is left to a person.
    assert_eq!(report.manual.len(), 1, "{:?}", report.manual);
    assert!(report.manual[0].contains("aws-sandbox"));

    // The settings as ARM now holds them.
    let s = state(&h.client).await;
    let p = s[0].as_ref().unwrap();
    assert_eq!(p["properties"]["pricingTier"], "Standard");
    assert_eq!(p["properties"]["subPlan"], "P2");
    assert_eq!(
        p["properties"]["extensions"][0]["name"], "MdeDesignatedSubscription",
        "plan extensions are kept"
    );
    assert_eq!(s[2].as_ref().unwrap()["properties"]["enabled"], true);
    assert_eq!(s[2].as_ref().unwrap()["kind"], "DataExportSettings");
    assert_eq!(s[3].as_ref().unwrap()["properties"]["enabled"], false);
    assert_eq!(
        s[4].as_ref().unwrap()["properties"]["selectedProvider"],
        "MdeTvm"
    );
    let sol = s[5].as_ref().unwrap();
    assert_eq!(sol["plan"]["product"], "OMSGallery/Security");
    assert!(
        sol["properties"]["workspaceResourceId"]
            .as_str()
            .unwrap()
            .ends_with("/workspaces/law-test")
    );
    let gcp = &s[6].as_ref().unwrap()["properties"]["offerings"][1];
    assert_eq!(gcp["arcAutoProvisioning"]["enabled"], true);
    assert_eq!(gcp["mdeAutoProvisioning"]["enabled"], true);
    assert_eq!(gcp["vaAutoProvisioning"]["enabled"], true);
    assert_eq!(gcp["vaAutoProvisioning"]["configuration"]["type"], "TVM");
    assert_eq!(
        gcp["defenderForServers"]["serviceAccountEmailAddress"],
        "mdfs@data-prj.iam.gserviceaccount.com",
        "the rest of the offering is untouched"
    );
    assert_eq!(
        s[6].as_ref().unwrap()["properties"]["offerings"][0]["offeringType"],
        "CspmMonitorGcp"
    );

    // The journal: an intent and a success per change, a skip per check already in place.
    let steps = journal.steps("run-1").unwrap();
    let succeeded: Vec<&str> = steps
        .iter()
        .filter(|s| s.outcome == Some(StepOutcome::Succeeded))
        .map(|s| s.step.as_str())
        .collect();
    assert_eq!(succeeded.len(), 6, "{succeeded:?}");
    assert!(succeeded.contains(&"pricing/VirtualMachines"));
    assert!(succeeded.contains(&"connector/gcp-data"));
    assert!(steps.iter().all(|s| s.is_done()));
    let skipped: Vec<&str> = steps
        .iter()
        .filter(|s| s.outcome == Some(StepOutcome::Skipped))
        .map(|s| s.step.as_str())
        .collect();
    assert!(skipped.contains(&"settings/WDATP"), "{skipped:?}");
    assert!(skipped.contains(&"connector/aws-prod"), "{skipped:?}");

    // Second run: nothing to do, no PUT.
    h.puts.lock().unwrap().clear();
    let before = state(&h.client).await;
    let (again, fleet) = apply(&h.client, SUB, &opts(false), Some(&journal), "run-2")
        .await
        .unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    assert!(h.puts.lock().unwrap().is_empty());
    assert_eq!(state(&h.client).await, before);
    assert!(
        journal
            .steps("run-2")
            .unwrap()
            .iter()
            .all(|s| s.outcome == Some(StepOutcome::Skipped))
    );
    // And the fleet now meets every subscription prerequisite.
    let a = azrelo_defender::assess(
        &fleet,
        &azrelo_defender::AssessOptions {
            plan: Some(ServersPlan::P2),
        },
    );
    assert!(
        a.prerequisites.iter().all(|p| matches!(
            p.status,
            azrelo_defender::assess::PrereqStatus::Ok
                | azrelo_defender::assess::PrereqStatus::Manual
        )),
        "{:#?}",
        a.prerequisites
    );
    assert_eq!(a.summary.ready, 3, "{:#?}", a.machines);
    // Every machine that only needed prerequisites is ready now.
    for name in &after_apply {
        let m = a.machines.iter().find(|m| &m.name == name).unwrap();
        assert_eq!(
            m.verdict,
            azrelo_defender::Verdict::Ready,
            "{name}: {:#?}",
            m.reasons
        );
    }
    // The emulator has the Arc resource providers registered (read live).
    let providers = a
        .prerequisites
        .iter()
        .find(|p| p.check == "arc-resource-providers")
        .unwrap();
    assert_eq!(providers.status, azrelo_defender::assess::PrereqStatus::Ok);
}

#[tokio::test]
async fn validate_only_changes_nothing_and_lists_the_changes() {
    let h = start().await;
    let before = state(&h.client).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let (report, _) = apply(&h.client, SUB, &opts(true), Some(&journal), "dry")
        .await
        .unwrap();
    assert!(h.puts.lock().unwrap().is_empty());
    assert_eq!(state(&h.client).await, before);
    assert!(
        journal.steps("dry").unwrap().is_empty(),
        "validate-only writes no journal"
    );
    assert_eq!(report.run, None);
    assert_eq!(report.changes.len(), 6);
    assert!(
        report
            .changes
            .iter()
            .all(|c| c.outcome == ChangeOutcome::WouldApply)
    );
    let pricing = report
        .changes
        .iter()
        .find(|c| c.change.step == "pricing/VirtualMachines")
        .unwrap();
    assert_eq!(pricing.change.before["subPlan"], "P1");
    assert_eq!(pricing.change.after["subPlan"], "P2");
}

#[tokio::test]
async fn plan_1_without_vulnerability_management_changes_less() {
    let h = start().await;
    let o = ApplyOptions {
        plan: Some(ServersPlan::P1),
        vulnerability_management: false,
        validate_only: false,
    };
    let (report, _) = apply(&h.client, SUB, &o, None, "p1").await.unwrap();
    let mut steps: Vec<&str> = report
        .changes
        .iter()
        .map(|c| c.change.step.as_str())
        .collect();
    steps.sort();
    // P1 is in place already (no pricing change, no workspace solution); the GCP
    // connector still lacks Arc and VA auto-provisioning.
    assert_eq!(
        steps,
        [
            "connector/gcp-data",
            "settings/WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW",
            "settings/WDATP_UNIFIED_SOLUTION"
        ]
    );
    assert_eq!(h.puts.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn failed_operations_are_reported_and_journaled_without_secrets() {
    // Every accepted PUT's long-running operation ends Failed.
    let spec = azrelo_emulator::faults::FaultSpec::parse("lro-fail=1.0,seed=7").unwrap();
    let h = start_with(Emulator::new().with_faults(spec), None).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = Journal::open(&path).unwrap();
    let (report, _) = apply(&h.client, SUB, &opts(false), Some(&journal), "failing")
        .await
        .unwrap();
    assert_eq!(report.failed(), 6, "{:#?}", report.changes);
    assert!(report.changes.iter().all(|c| {
        c.error
            .as_deref()
            .is_some_and(|e| e.contains("x-ms-client-request-id"))
    }));
    let failed: Vec<_> = journal
        .steps("failing")
        .unwrap()
        .into_iter()
        .filter(|s| s.outcome == Some(StepOutcome::Failed))
        .collect();
    assert_eq!(failed.len(), 6);
    assert!(
        failed
            .iter()
            .all(|s| s.detail["error"].is_string() && !s.is_done())
    );
    drop(journal);
    // The database and any WAL/SHM files next to it.
    let mut bytes = Vec::new();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(e.unwrap().path()).unwrap());
    }
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("pricing/VirtualMachines"),
        "the journal was read"
    );
    assert!(
        !text.contains("test-token"),
        "the bearer token must never reach the journal"
    );
}

#[tokio::test]
async fn a_change_that_does_not_stick_is_reported_as_failed() {
    let h = start_with(
        Emulator::new(),
        Some("/settings/WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let (report, _) = apply(&h.client, SUB, &opts(false), Some(&journal), "verify")
        .await
        .unwrap();
    assert_eq!(report.failed(), 1);
    let bad = report
        .changes
        .iter()
        .find(|c| c.outcome == ChangeOutcome::Failed)
        .unwrap();
    assert_eq!(
        bad.change.step,
        "settings/WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW"
    );
    assert!(
        bad.error.as_deref().unwrap().contains("reading it back"),
        "{:?}",
        bad.error
    );
    let last = journal
        .last("verify", "settings/WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW")
        .unwrap()
        .unwrap();
    assert_eq!(last.outcome, Some(StepOutcome::Failed));
    assert_eq!(
        report
            .changes
            .iter()
            .filter(|c| c.outcome == ChangeOutcome::Applied)
            .count(),
        5
    );
}
