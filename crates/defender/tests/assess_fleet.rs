//! Assessment of a realistic mixed fleet (tests/fixtures/contoso-fleet: Resource
//! Graph exports of two subscriptions and the Defender portal's device CSV):
//! every verdict and path, the legacy 2012 R2/2016 machines, the device list
//! cross-check, and the human reports (insta snapshots).

use azrelo_defender::assess::{Fix, MachineAssessment, PrereqStatus, Severity};
use azrelo_defender::{
    AssessOptions, Assessment, MigrationPath, ServersPlan, Verdict, assess, files, report,
};
use std::path::PathBuf;

const A: &str = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
const B: &str = "b7e3a9d1-2c4f-4e8a-9b6d-5f0e1c2a3b4d";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn contoso(plan: Option<ServersPlan>) -> Assessment {
    let fleet = files::load(&[fixture("contoso-fleet")]).expect("fixture loads");
    assess(&fleet, &AssessOptions { plan })
}

fn machine<'a>(a: &'a Assessment, name: &str) -> &'a MachineAssessment {
    a.machines
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("machine {name} not assessed"))
}

fn codes(m: &MachineAssessment, min: Severity) -> Vec<&str> {
    m.reasons
        .iter()
        .filter(|r| r.severity >= min)
        .map(|r| r.code.as_str())
        .collect()
}

#[test]
fn every_machine_gets_its_path_and_verdict() {
    let a = contoso(Some(ServersPlan::P2));
    let expect: &[(&str, MigrationPath, Verdict)] = &[
        // Azure VMs: automatic once the subscription's prerequisites hold.
        ("vm-app-01", MigrationPath::AzureVm, Verdict::Ready),
        ("vm-app-02", MigrationPath::AzureVm, Verdict::Ready),
        // Plan 1 on its subscription, P2 required: apply upgrades it.
        (
            "vm-web-01",
            MigrationPath::AzureVm,
            Verdict::ReadyAfterApply,
        ),
        (
            "vm-sql-01",
            MigrationPath::AzureVm,
            Verdict::ReadyAfterApply,
        ),
        ("vm-ghost-01", MigrationPath::AzureVm, Verdict::NeedsManual),
        // On-premises through Arc.
        ("arc-dc-01", MigrationPath::ArcOnPrem, Verdict::Ready),
        (
            "ARC-ONPREM-FS01",
            MigrationPath::ArcOnPrem,
            Verdict::ReadyAfterApply,
        ),
        ("arc-lnx-02", MigrationPath::ArcOnPrem, Verdict::NeedsManual),
        ("arc-old-03", MigrationPath::ArcOnPrem, Verdict::Blocked),
        ("arc-expired-04", MigrationPath::ArcOnPrem, Verdict::Blocked),
        (
            "onprem-print-01.contoso.local",
            MigrationPath::ArcOnPrem,
            Verdict::NeedsManual,
        ),
        ("onprem-nas-02", MigrationPath::ArcOnPrem, Verdict::Blocked),
        // Multicloud.
        ("i-0a1b2c3d4e5f60718", MigrationPath::Aws, Verdict::Ready),
        ("ec2-legacy-02", MigrationPath::Aws, Verdict::Blocked),
        ("gce-etl-01", MigrationPath::Gcp, Verdict::ReadyAfterApply),
    ];
    assert_eq!(a.machines.len(), expect.len());
    for (name, path, verdict) in expect {
        let m = machine(&a, name);
        assert_eq!(
            (m.path, m.verdict),
            (*path, *verdict),
            "{name}: {:#?}",
            m.reasons
        );
    }
    let s = &a.summary;
    assert_eq!(
        (s.ready, s.ready_after_apply, s.needs_manual, s.blocked),
        (4, 4, 3, 4)
    );
    // A machine that needs a person names the steps.
    assert_eq!(
        machine(&a, "vm-ghost-01").manual_steps,
        ["azure-vms-onboard"]
    );
    assert_eq!(
        machine(&a, "arc-lnx-02").manual_steps,
        ["check-arc-readiness"]
    );
    assert_eq!(
        machine(&a, "onprem-print-01.contoso.local").manual_steps,
        ["onprem-connect-arc"]
    );
    assert!(machine(&a, "vm-web-01").manual_steps.is_empty());
    assert!(a.has_blockers());
}

#[test]
fn by_default_the_enabled_plan_is_kept_and_only_what_matters_counts() {
    // Subscription A has Plan 1: kept, so its machines need no plan change
    // and its workspace no Plan 2; the unified-solution opt-in still counts
    // for its Windows Server 2012 R2 / 2016 machines, and only for them.
    let a = contoso(None);
    assert_eq!(a.plan, None);
    let plan = a
        .prerequisites
        .iter()
        .find(|p| p.check == "servers-plan" && p.subscription == A)
        .unwrap();
    assert_eq!(plan.status, PrereqStatus::Ok);
    assert!(
        plan.required.contains("P1 (the enabled plan, kept)"),
        "{}",
        plan.required
    );
    assert!(
        !a.prerequisites
            .iter()
            .any(|p| p.check == "workspace-plan2" && p.subscription == A)
    );
    assert_eq!(machine(&a, "vm-web-01").verdict, Verdict::Ready);
    for name in ["vm-sql-01", "ARC-ONPREM-FS01"] {
        let m = machine(&a, name);
        assert_eq!(m.verdict, Verdict::ReadyAfterApply, "{name}");
        assert_eq!(
            codes(m, Severity::Action),
            ["mde-unified-solution"],
            "{name}"
        );
    }
    let s = &a.summary;
    assert_eq!(
        (s.ready, s.ready_after_apply, s.needs_manual, s.blocked),
        (5, 3, 3, 4)
    );
}

#[test]
fn reasons_say_what_blocks_and_who_fixes_it() {
    let a = contoso(Some(ServersPlan::P2));
    // Subscription prerequisites: fixable by apply.
    let web = machine(&a, "vm-web-01");
    // Windows Server 2022: the unified-solution opt-in changes nothing for
    // it (only 2012 R2 and 2016 get the unified solution through it).
    assert_eq!(codes(web, Severity::Action), ["servers-plan"]);
    assert_eq!(
        codes(machine(&a, "vm-sql-01"), Severity::Action),
        ["servers-plan", "mde-unified-solution", "workspace-plan2"]
    );
    assert!(
        web.reasons
            .iter()
            .filter(|r| r.severity == Severity::Action)
            .all(|r| r.fix == Fix::Apply)
    );
    // Arc agent states.
    assert_eq!(
        codes(machine(&a, "arc-lnx-02"), Severity::Action),
        ["arc-disconnected"]
    );
    assert_eq!(
        codes(machine(&a, "arc-expired-04"), Severity::Blocker),
        ["arc-expired"]
    );
    // OS support: not covered at all / not supported by Arc.
    assert_eq!(
        codes(machine(&a, "arc-old-03"), Severity::Blocker),
        ["os-not-covered"]
    );
    assert_eq!(
        codes(machine(&a, "onprem-nas-02"), Severity::Blocker),
        ["arc-os-unsupported"]
    );
    assert_eq!(
        codes(machine(&a, "ec2-legacy-02"), Severity::Blocker),
        ["arc-os-unsupported"]
    );
    // On-premises machine only in the device list: install the Arc agent.
    assert_eq!(
        codes(
            machine(&a, "onprem-print-01.contoso.local"),
            Severity::Action
        ),
        ["arc-agent-missing"]
    );
    // GCP machine: its connector lacks auto-provisioning and is on P1.
    let gce = machine(&a, "gce-etl-01");
    assert_eq!(gce.connector.as_deref(), Some("gcp-analytics-prj"));
    assert_eq!(
        codes(gce, Severity::Action),
        ["connector-auto-provisioning", "connector-plan"]
    );
    assert!(codes(gce, Severity::Info).contains(&"arc-by-connector"));
    // AWS machine: the fully provisioned connector is chosen over the one without the plan.
    let ec2 = machine(&a, "i-0a1b2c3d4e5f60718");
    assert_eq!(ec2.connector.as_deref(), Some("aws-prod-123456789012"));
    assert_eq!(ec2.subscription.as_deref(), Some(B));
}

#[test]
fn what_defender_for_cloud_deploys() {
    let a = contoso(Some(ServersPlan::P2));
    assert_eq!(
        machine(&a, "vm-app-01").deploy.as_deref(),
        Some("MDE.Linux")
    );
    assert_eq!(
        machine(&a, "vm-web-01").deploy.as_deref(),
        Some("MDE.Windows")
    );
    assert_eq!(
        machine(&a, "ARC-ONPREM-FS01").deploy.as_deref(),
        Some("MDE.Windows")
    );
    // Already there.
    assert_eq!(machine(&a, "vm-app-02").deploy, None);
    assert_eq!(machine(&a, "i-0a1b2c3d4e5f60718").deploy, None);
}

#[test]
fn legacy_2012_r2_and_2016_machines_move_to_the_unified_solution() {
    let a = contoso(Some(ServersPlan::P2));
    let legacy: Vec<&str> = a
        .machines
        .iter()
        .filter(|m| m.legacy_to_unified)
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(legacy, ["vm-sql-01", "ARC-ONPREM-FS01"]);
    for name in legacy {
        let m = machine(&a, name);
        let r = m
            .reasons
            .iter()
            .find(|r| r.code == "legacy-to-unified")
            .unwrap();
        assert_eq!(r.step, "verify-unified-solution");
        assert!(
            r.message.contains("stops and disables the legacy process"),
            "{}",
            r.message
        );
        // The unified-solution opt-in of their subscription is off: action.
        assert!(codes(m, Severity::Action).contains(&"mde-unified-solution"));
    }
    // A 2019 machine with the Log Analytics agent is not "legacy".
    assert!(!machine(&a, "arc-dc-01").legacy_to_unified);
    assert_eq!(a.summary.legacy_to_unified, 2);
}

#[test]
fn device_list_cross_check() {
    let a = contoso(Some(ServersPlan::P2));
    assert!(a.device_list_provided);
    assert_eq!(
        a.devices_without_machine,
        [
            "onprem-print-01.contoso.local",
            "onprem-nas-02",
            "gce-etl-01",
            "ec2-legacy-02",
            "vm-ghost-01"
        ]
    );
    assert_eq!(
        a.machines_missing_from_device_list,
        ["arc-expired-04", "vm-web-01", "vm-app-01"]
    );
    // Matched by host name, case and domain suffix aside.
    assert_eq!(
        machine(&a, "ARC-ONPREM-FS01").device.as_deref(),
        Some("arc-onprem-fs01.contoso.local")
    );
    assert_eq!(machine(&a, "vm-web-01").in_device_list, Some(false));
    assert!(codes(machine(&a, "vm-web-01"), Severity::Info).contains(&"not-in-device-list"));
    // The inactive sensor is reported.
    assert!(codes(machine(&a, "arc-lnx-02"), Severity::Info).contains(&"sensor-not-active"));
}

#[test]
fn prerequisites_per_subscription_and_workspace() {
    let a = contoso(Some(ServersPlan::P2));
    let status = |sub: &str, check: &str| {
        a.prerequisites
            .iter()
            .find(|p| p.subscription == sub && p.check == check)
            .map(|p| p.status)
            .unwrap_or_else(|| panic!("{sub} {check}"))
    };
    assert_eq!(status(A, "servers-plan"), PrereqStatus::Missing);
    assert_eq!(status(A, "mde-integration"), PrereqStatus::Ok);
    assert_eq!(status(A, "mde-unified-solution"), PrereqStatus::Missing);
    assert_eq!(status(A, "vulnerability-management"), PrereqStatus::Unknown);
    assert_eq!(status(A, "workspace-plan2"), PrereqStatus::Missing);
    assert_eq!(status(B, "workspace-plan2"), PrereqStatus::Ok);
    assert_eq!(status(B, "arc-connectivity"), PrereqStatus::Manual);
    for check in [
        "servers-plan",
        "mde-integration",
        "mde-unified-solution",
        "vulnerability-management",
    ] {
        assert_eq!(status(B, check), PrereqStatus::Ok, "{check}");
    }
}

#[test]
fn plan_1_needs_neither_the_upgrade_nor_the_workspace() {
    let a = contoso(Some(ServersPlan::P1));
    // Windows Server 2022 on Plan 1: nothing left to do.
    let web = machine(&a, "vm-web-01");
    assert_eq!(codes(web, Severity::Action), Vec::<&str>::new());
    assert_eq!(web.verdict, Verdict::Ready);
    // Windows Server 2016 still needs the unified-solution opt-in.
    let sql = machine(&a, "vm-sql-01");
    assert_eq!(codes(sql, Severity::Action), ["mde-unified-solution"]);
    assert!(!a.prerequisites.iter().any(|p| p.check == "workspace-plan2"));
    // The GCP connector's P1 is enough now.
    assert_eq!(
        codes(machine(&a, "gce-etl-01"), Severity::Action),
        ["connector-auto-provisioning"]
    );
}

#[test]
fn every_reason_names_a_step_of_the_catalog_scenario() {
    let scenario = azrelo_catalog::Catalog::embedded()
        .scenario(azrelo_defender::assess::SCENARIO)
        .expect("catalog scenario");
    let steps: Vec<&str> = scenario.steps.iter().map(|s| s.id.as_str()).collect();
    for plan in [None, Some(ServersPlan::P1), Some(ServersPlan::P2)] {
        let a = contoso(plan);
        for r in a
            .machines
            .iter()
            .flat_map(|m| &m.reasons)
            .chain(a.connectors.iter().flat_map(|c| &c.reasons))
        {
            assert!(
                steps.contains(&r.step.as_str()),
                "{} names unknown step {}",
                r.code,
                r.step
            );
        }
        for p in &a.prerequisites {
            assert!(
                steps.contains(&p.step.as_str()),
                "{} names unknown step {}",
                p.check,
                p.step
            );
        }
        assert_eq!(a.procedure.len(), steps.len());
    }
}

#[test]
fn the_catalog_knows_the_settings_apply_writes() {
    let c = azrelo_catalog::Catalog::embedded();
    for t in [
        "Microsoft.Security/pricings",
        "Microsoft.Security/settings",
        "Microsoft.Security/serverVulnerabilityAssessmentsSettings",
        "Microsoft.Security/securityConnectors",
    ] {
        assert!(!c.entry(t).is_default(), "{t} is not in the catalog");
    }
}

#[test]
fn json_report_has_the_schema_and_stable_names() {
    let a = contoso(Some(ServersPlan::P2));
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["schema"], "azrelo.defender-servers/v2");
    assert_eq!(v["plan"], "P2");
    let m = v["machines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "arc-old-03")
        .unwrap();
    assert_eq!(m["verdict"], "blocked");
    assert_eq!(m["path"], "arc-on-prem");
    assert_eq!(m["kind"], "arc-server");
    assert_eq!(m["reasons"][0]["severity"], "blocker");
    // Round-trips.
    let back: Assessment = serde_json::from_value(v).unwrap();
    assert_eq!(back, a);
}

#[test]
fn text_report_snapshot() {
    insta::assert_snapshot!(
        "contoso_text",
        report::render_text(&contoso(Some(ServersPlan::P2)))
    );
}

#[test]
fn markdown_report_snapshot() {
    insta::assert_snapshot!(
        "contoso_markdown",
        report::render_markdown(&contoso(Some(ServersPlan::P2)))
    );
}

#[test]
fn an_estate_file_from_discover_gives_the_same_assessment() {
    // `azrelo discover` writes the estate; the fleet read from it equals the
    // fleet read from the exports it came from.
    let dir = fixture("contoso-fleet");
    let exports = [
        dir.join("arg-resources.json"),
        dir.join("arg-securityresources.json"),
    ];
    let estate = azrelo_estate::load_inputs(&exports, &Default::default()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let estate_file = tmp.path().join("estate.json");
    azrelo_estate::write_estate(&estate, &estate_file).unwrap();
    let from_estate = files::load(&[estate_file, dir.join("devices.csv")]).unwrap();
    let from_exports = files::load(&[dir]).unwrap();
    let opts = AssessOptions {
        plan: Some(ServersPlan::P2),
    };
    let (a, b) = (assess(&from_estate, &opts), assess(&from_exports, &opts));
    assert_eq!(a.machines, b.machines);
    assert_eq!(a.prerequisites, b.prerequisites);
    assert_eq!(a.connectors, b.connectors);
}
