//! Readiness of a fleet for the move from Defender for Endpoint to Defender
//! for Cloud: the shared prerequisites per subscription, every multicloud
//! connector, and a path and verdict per machine — following the catalog
//! scenario `defender-endpoint-to-cloud` (seed 004, "Migrating servers from
//! Microsoft Defender for Endpoint to Microsoft Defender for Cloud",
//! <https://learn.microsoft.com/defender-endpoint/migrating-mde-server-to-cloud>),
//! whose step ids every reason names.

use crate::model::*;
use crate::os::{self, OsType, Support};
use azrelo_catalog::Catalog;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Schema tag of the JSON report.
pub const SCHEMA: &str = "azrelo.defender-servers/v1";
/// The catalog scenario this assessment follows.
pub const SCENARIO: &str = "defender-endpoint-to-cloud";

/// What the assessment requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssessOptions {
    /// The Defender for Servers plan the fleet must be protected with.
    pub plan: ServersPlan,
}

impl Default for AssessOptions {
    fn default() -> Self {
        AssessOptions {
            plan: ServersPlan::P2,
        }
    }
}

/// A machine's readiness, worst reason first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ready,
    NeedsAction,
    Blocked,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::NeedsAction => "needs-action",
            Verdict::Blocked => "blocked",
        }
    }
}

/// The migration path of a machine (seed 004's three machine types; AWS and
/// GCP are told apart because they need different connectors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationPath {
    AzureVm,
    ArcOnPrem,
    Aws,
    Gcp,
}

impl MigrationPath {
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationPath::AzureVm => "azure-vm",
            MigrationPath::ArcOnPrem => "arc-on-prem",
            MigrationPath::Aws => "aws",
            MigrationPath::Gcp => "gcp",
        }
    }

    fn of(h: Hosting) -> MigrationPath {
        match h {
            Hosting::Azure => MigrationPath::AzureVm,
            Hosting::OnPremises => MigrationPath::ArcOnPrem,
            Hosting::Aws => MigrationPath::Aws,
            Hosting::Gcp => MigrationPath::Gcp,
        }
    }
}

/// How much a reason weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Action,
    Blocker,
}

/// Who resolves a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fix {
    /// `azrelo defender servers apply` sets it.
    Apply,
    /// A person (or another tool) has to.
    Manual,
    /// Nothing to resolve (information).
    None,
}

/// One reason behind a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    pub severity: Severity,
    /// Stable code for scripts (`servers-plan`, `arc-disconnected`, …).
    pub code: String,
    pub message: String,
    pub fix: Fix,
    /// The step of the catalog scenario this belongs to.
    pub step: String,
}

fn reason(
    severity: Severity,
    code: &str,
    fix: Fix,
    step: &str,
    message: impl Into<String>,
) -> Reason {
    Reason {
        severity,
        code: code.to_string(),
        message: message.into(),
        fix,
        step: step.to_string(),
    }
}

/// State of one prerequisite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrereqStatus {
    Ok,
    Missing,
    /// Not in the inputs.
    Unknown,
    /// Cannot be checked from ARM; a person confirms it.
    Manual,
}

/// One shared prerequisite of one subscription (or workspace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prerequisite {
    pub subscription: String,
    /// `servers-plan`, `mde-integration`, `mde-unified-solution`,
    /// `mde-linux`, `vulnerability-management`, `workspace-plan2`, `arc-connectivity`.
    pub check: String,
    /// The ARM resource that holds the setting.
    pub resource: String,
    pub status: PrereqStatus,
    pub current: String,
    pub required: String,
    /// Recommended rather than required (Defender vulnerability management).
    pub recommended: bool,
    pub fix: Fix,
    pub step: String,
}

/// A multicloud connector's readiness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorAssessment {
    pub id: String,
    pub name: String,
    pub cloud: MigrationPath,
    pub verdict: Verdict,
    pub reasons: Vec<Reason>,
}

/// One machine's path, verdict and what Defender for Cloud will deploy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineAssessment {
    pub id: String,
    pub name: String,
    pub kind: MachineKind,
    pub path: MigrationPath,
    pub os: String,
    pub os_type: OsType,
    pub verdict: Verdict,
    /// `MDE.Windows` / `MDE.Linux` when Defender for Cloud will deploy it
    /// (`None` when it is already there or the OS type is unknown).
    pub deploy: Option<String>,
    /// Windows Server 2012 R2/2016 on the legacy Log Analytics-based MDE
    /// solution: moved to the unified solution, legacy process stopped.
    pub legacy_to_unified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<String>,
    /// The connector that covers it (AWS/GCP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector: Option<String>,
    /// The matching Defender device (when a device list was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// `Some(false)`: a device list was given and the machine is not in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_device_list: Option<bool>,
    pub reasons: Vec<Reason>,
}

/// Counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub machines: usize,
    pub ready: usize,
    pub needs_action: usize,
    pub blocked: usize,
    pub by_path: BTreeMap<String, usize>,
    pub prerequisites_missing: usize,
    pub legacy_to_unified: usize,
    pub devices_without_machine: usize,
    pub machines_missing_from_device_list: usize,
    /// Client devices (Windows 10/11, macOS, mobile) in the device list that
    /// match no machine: not servers, left out of the assessment.
    #[serde(default)]
    pub client_devices_ignored: usize,
}

/// One step of the catalog procedure, with the machines it still concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcedureStep {
    pub id: String,
    pub title: String,
    pub mode: String,
    /// Open reasons (actions or blockers) that belong to this step.
    pub open: usize,
}

/// The whole assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assessment {
    pub schema: String,
    pub plan: ServersPlan,
    pub summary: Summary,
    pub prerequisites: Vec<Prerequisite>,
    pub connectors: Vec<ConnectorAssessment>,
    pub machines: Vec<MachineAssessment>,
    pub device_list_provided: bool,
    pub devices_without_machine: Vec<String>,
    pub machines_missing_from_device_list: Vec<String>,
    pub procedure: Vec<ProcedureStep>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
}

impl Assessment {
    /// Any machine or connector blocked?
    pub fn has_blockers(&self) -> bool {
        self.summary.blocked > 0
            || self
                .connectors
                .iter()
                .any(|c| c.verdict == Verdict::Blocked)
    }
}

fn verdict_of(reasons: &[Reason]) -> Verdict {
    match reasons.iter().map(|r| r.severity).max() {
        Some(Severity::Blocker) => Verdict::Blocked,
        Some(Severity::Action) => Verdict::NeedsAction,
        _ => Verdict::Ready,
    }
}

/// Assess a fleet.
pub fn assess(fleet: &Fleet, opts: &AssessOptions) -> Assessment {
    let device_list_provided = !fleet.devices.is_empty();
    // Machines plus devices without a machine.
    let (links, orphan_devices, client_devices) = link_devices(fleet);
    let mut machines: Vec<(Machine, Option<&Device>)> = fleet
        .machines
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, m)| (m, links.get(&i).map(|&d| &fleet.devices[d])))
        .collect();
    let single_subscription = (fleet.subscriptions.len() == 1)
        .then(|| {
            fleet
                .subscriptions
                .values()
                .next()
                .map(|s| s.subscription.clone())
        })
        .flatten();
    for &d in &orphan_devices {
        machines.push((
            device_machine(&fleet.devices[d], single_subscription.as_deref()),
            Some(&fleet.devices[d]),
        ));
    }

    // Prerequisites of every subscription that matters.
    let needs_linux = machines.iter().any(|(m, _)| m.os.os_type == OsType::Linux);
    let non_azure = machines.iter().any(|(m, _)| m.hosting != Hosting::Azure);
    let mut prerequisites = Vec::new();
    for s in fleet.subscriptions.values() {
        prerequisites.extend(subscription_prereqs(s, opts, needs_linux, non_azure));
    }
    // Workspace Plan 2 (only the workspaces machines report to).
    let ws_index = WorkspaceIndex::new(fleet);
    let mut workspace_prereq: HashMap<String, Prerequisite> = HashMap::new();
    if opts.plan == ServersPlan::P2 {
        for (m, _) in &machines {
            for ws in ws_index.reported(m) {
                workspace_prereq
                    .entry(ws.id.to_ascii_lowercase())
                    .or_insert_with(|| workspace_prereq_of(ws));
            }
        }
        let mut ws: Vec<&Prerequisite> = workspace_prereq.values().collect();
        ws.sort_by(|a, b| a.resource.cmp(&b.resource));
        prerequisites.extend(ws.into_iter().cloned());
    }
    // Grouped by subscription (stable: the check order within stays).
    prerequisites.sort_by(|a, b| {
        a.subscription
            .to_ascii_lowercase()
            .cmp(&b.subscription.to_ascii_lowercase())
    });

    let connectors: Vec<ConnectorAssessment> = fleet
        .connectors
        .iter()
        .map(|c| assess_connector(c, opts))
        .collect();

    let mut ctx = Ctx {
        fleet,
        opts,
        device_list_provided,
        workspaces: ws_index,
        prereqs_by_sub: HashMap::new(),
        workspace_prereqs: HashMap::new(),
        connectors: &connectors,
    };
    for p in &prerequisites {
        if p.check == "workspace-plan2" {
            ctx.workspace_prereqs
                .insert(p.resource.to_ascii_lowercase(), p);
        } else {
            ctx.prereqs_by_sub
                .entry(p.subscription.to_ascii_lowercase())
                .or_default()
                .push(p);
        }
    }
    let out: Vec<MachineAssessment> = machines
        .iter()
        .map(|(m, device)| assess_machine(&ctx, m, *device))
        .collect();
    let mut out = out;
    out.sort_by(|a, b| {
        b.verdict.cmp(&a.verdict).then(a.path.cmp(&b.path)).then(
            a.name
                .to_ascii_lowercase()
                .cmp(&b.name.to_ascii_lowercase()),
        )
    });

    let mut summary = Summary {
        machines: out.len(),
        ..Default::default()
    };
    for m in &out {
        match m.verdict {
            Verdict::Ready => summary.ready += 1,
            Verdict::NeedsAction => summary.needs_action += 1,
            Verdict::Blocked => summary.blocked += 1,
        }
        *summary
            .by_path
            .entry(m.path.as_str().to_string())
            .or_default() += 1;
        if m.legacy_to_unified {
            summary.legacy_to_unified += 1;
        }
    }
    summary.prerequisites_missing = prerequisites
        .iter()
        .filter(|p| matches!(p.status, PrereqStatus::Missing | PrereqStatus::Unknown))
        .count();
    let devices_without_machine: Vec<String> = orphan_devices
        .iter()
        .map(|&d| fleet.devices[d].name.clone())
        .collect();
    let machines_missing_from_device_list: Vec<String> = out
        .iter()
        .filter(|m| m.in_device_list == Some(false))
        .map(|m| m.name.clone())
        .collect();
    summary.devices_without_machine = devices_without_machine.len();
    summary.client_devices_ignored = client_devices.len();
    summary.machines_missing_from_device_list = machines_missing_from_device_list.len();

    let procedure = procedure(&out, &prerequisites, &connectors);
    Assessment {
        schema: SCHEMA.to_string(),
        plan: opts.plan,
        summary,
        prerequisites,
        connectors,
        machines: out,
        device_list_provided,
        devices_without_machine,
        machines_missing_from_device_list,
        procedure,
        warnings: fleet.warnings.clone(),
    }
}

/// Device index per machine index, devices matching no machine, and client
/// devices (workstations, phones) matching no machine, which are left out.
/// Matching: Azure resource id, then VM id, then a unique host name.
fn link_devices(fleet: &Fleet) -> (HashMap<usize, usize>, Vec<usize>, Vec<usize>) {
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut by_vm: HashMap<String, usize> = HashMap::new();
    let mut by_host: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, m) in fleet.machines.iter().enumerate() {
        by_id.insert(m.id.to_ascii_lowercase(), i);
        if let Some(v) = &m.vm_id {
            by_vm.insert(v.to_ascii_lowercase(), i);
        }
        for k in m.host_keys() {
            by_host.entry(k).or_default().push(i);
        }
    }
    let mut links = HashMap::new();
    let mut orphans = Vec::new();
    let mut clients = Vec::new();
    for (d, dev) in fleet.devices.iter().enumerate() {
        let hit = dev
            .azure_resource_id
            .as_ref()
            .and_then(|r| by_id.get(&r.to_ascii_lowercase()))
            .or_else(|| {
                dev.vm_id
                    .as_ref()
                    .and_then(|v| by_vm.get(&v.to_ascii_lowercase()))
            })
            .copied()
            .or_else(
                || match by_host.get(&host_key(&dev.name)).map(Vec::as_slice) {
                    Some([one]) => Some(*one),
                    _ => None,
                },
            );
        match hit {
            Some(i) if !links.contains_key(&i) => {
                links.insert(i, d);
            }
            // Workstations and phones in a full export are not servers.
            _ if dev.is_client() => clients.push(d),
            _ => orphans.push(d),
        }
    }
    (links, orphans, clients)
}

/// A machine known only from the Defender device list.
fn device_machine(d: &Device, subscription: Option<&str>) -> Machine {
    let platform = d.os_platform.clone().unwrap_or_default();
    let version = d.os_version.clone().unwrap_or_default();
    let combined = format!("{platform} {version}");
    let product = os::recognise(&[&combined, &platform]);
    let os_type = match OsType::parse(&platform) {
        OsType::Unknown => product
            .as_ref()
            .map(|p| p.family.os_type())
            .unwrap_or(OsType::Unknown),
        t => t,
    };
    let hosting = d
        .cloud
        .as_deref()
        .and_then(Hosting::parse_cloud)
        .unwrap_or(Hosting::OnPremises);
    Machine {
        id: format!("device:{}", d.name),
        name: d.name.clone(),
        kind: MachineKind::DefenderDevice,
        hosting,
        subscription: subscription.map(str::to_string),
        resource_group: None,
        location: None,
        computer_name: Some(d.name.clone()),
        vm_id: d.vm_id.clone(),
        os: OsInfo {
            os_type,
            product,
            reported: combined.trim().to_string(),
        },
        arc_status: None,
        arc_agent_version: None,
        last_status_change: None,
        cloud_account: None,
        extensions: Vec::new(),
        source: d.source.clone(),
    }
}

fn sub_path(sub: &str, rest: &str) -> String {
    format!("/subscriptions/{sub}/providers/Microsoft.Security/{rest}")
}

fn subscription_prereqs(
    s: &SubscriptionSettings,
    opts: &AssessOptions,
    needs_linux: bool,
    non_azure: bool,
) -> Vec<Prerequisite> {
    let sub = &s.subscription;
    let mk = |check: &str,
              resource: String,
              status: PrereqStatus,
              current: String,
              required: &str,
              recommended: bool,
              fix: Fix,
              step: &str| Prerequisite {
        subscription: sub.clone(),
        check: check.to_string(),
        resource,
        status,
        current,
        required: required.to_string(),
        recommended,
        fix,
        step: step.to_string(),
    };
    let mut out = Vec::new();
    // Defender for Servers at the required plan.
    let required_plan = format!("Standard, sub-plan {}", opts.plan);
    let (status, current) = match &s.servers_pricing {
        None => (PrereqStatus::Unknown, "not in the inputs".to_string()),
        Some(p) => {
            let cur = match (&p.sub_plan, p.is_standard()) {
                (Some(sp), true) => format!("{}, sub-plan {sp}", p.pricing_tier),
                _ => p.pricing_tier.clone(),
            };
            let ok = p.plan().is_some_and(|pl| pl >= opts.plan);
            (
                if ok {
                    PrereqStatus::Ok
                } else {
                    PrereqStatus::Missing
                },
                cur,
            )
        }
    };
    out.push(mk(
        "servers-plan",
        sub_path(sub, "pricings/VirtualMachines"),
        status,
        current,
        &required_plan,
        false,
        Fix::Apply,
        "enable-defender-for-servers",
    ));
    let flag = |v: Option<bool>| match v {
        None => (PrereqStatus::Unknown, "not in the inputs".to_string()),
        Some(true) => (PrereqStatus::Ok, "enabled".to_string()),
        Some(false) => (PrereqStatus::Missing, "disabled".to_string()),
    };
    let (st, cur) = flag(s.wdatp);
    out.push(mk(
        "mde-integration",
        sub_path(sub, "settings/WDATP"),
        st,
        cur,
        "enabled",
        false,
        Fix::Apply,
        "enable-mde-integration",
    ));
    let (st, cur) = flag(s.wdatp_unified_solution);
    out.push(mk(
        "mde-unified-solution",
        sub_path(sub, "settings/WDATP_UNIFIED_SOLUTION"),
        st,
        cur,
        "enabled",
        false,
        Fix::Apply,
        "enable-mde-integration",
    ));
    if needs_linux && s.wdatp_exclude_linux == Some(true) {
        out.push(mk(
            "mde-linux",
            sub_path(sub, "settings/WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW"),
            PrereqStatus::Missing,
            "Linux machines excluded".into(),
            "Linux machines included (setting disabled)",
            false,
            Fix::Apply,
            "enable-mde-integration",
        ));
    }
    let (st, cur) = match s.va_provider.as_deref() {
        None => (PrereqStatus::Unknown, "not in the inputs".to_string()),
        Some(p) if p.eq_ignore_ascii_case("MdeTvm") => (PrereqStatus::Ok, p.to_string()),
        Some(p) => (PrereqStatus::Missing, p.to_string()),
    };
    out.push(mk(
        "vulnerability-management",
        sub_path(
            sub,
            "serverVulnerabilityAssessmentsSettings/AzureServersSetting",
        ),
        st,
        cur,
        "MdeTvm (Defender vulnerability management)",
        true,
        Fix::Apply,
        "enable-vulnerability-management",
    ));
    if non_azure {
        // Arc prerequisites: https://learn.microsoft.com/azure/azure-arc/servers/prerequisites#azure-resource-providers
        let (status, current) = if s.resource_providers.is_empty() {
            (PrereqStatus::Unknown, "not in the inputs".to_string())
        } else {
            let missing: Vec<String> = crate::model::ARC_PROVIDERS
                .iter()
                .filter(|ns| {
                    !s.resource_providers
                        .get(&ns.to_ascii_lowercase())
                        .is_some_and(|st| st.eq_ignore_ascii_case("Registered"))
                })
                .map(|ns| ns.to_string())
                .collect();
            if missing.is_empty() {
                (PrereqStatus::Ok, "registered".to_string())
            } else {
                (
                    PrereqStatus::Missing,
                    format!("not registered: {}", missing.join(", ")),
                )
            }
        };
        out.push(mk(
            "arc-resource-providers",
            format!("/subscriptions/{sub}/providers"),
            status,
            current,
            "HybridCompute, GuestConfiguration, HybridConnectivity registered",
            false,
            Fix::Manual,
            "check-arc-readiness",
        ));
        out.push(mk(
            "arc-connectivity",
            format!("/subscriptions/{sub}/providers/Microsoft.HybridCompute"),
            PrereqStatus::Manual,
            "not checkable from ARM".into(),
            "machines reach the Arc endpoints over HTTPS 443 (directly, through a proxy or Private Link)",
            false,
            Fix::Manual,
            "check-arc-readiness",
        ));
    }
    out
}

fn workspace_prereq_of(ws: &Workspace) -> Prerequisite {
    let (status, current) = match ws.security_solution {
        None => (
            PrereqStatus::Unknown,
            "solutions not in the inputs".to_string(),
        ),
        Some(true) => (PrereqStatus::Ok, format!("Security({}) installed", ws.name)),
        Some(false) => (PrereqStatus::Missing, "no Security solution".to_string()),
    };
    Prerequisite {
        subscription: ws.subscription.clone(),
        check: "workspace-plan2".into(),
        resource: ws.id.clone(),
        status,
        current,
        required: format!(
            "Defender for Servers Plan 2 on the workspace (solution Security({}))",
            ws.name
        ),
        recommended: false,
        fix: Fix::Apply,
        step: "enable-defender-for-servers".into(),
    }
}

/// Workspaces by customer id and by resource id (lower case), built once.
pub(crate) struct WorkspaceIndex<'f> {
    by_key: HashMap<String, &'f Workspace>,
}

impl<'f> WorkspaceIndex<'f> {
    pub(crate) fn new(fleet: &'f Fleet) -> Self {
        let mut by_key = HashMap::new();
        for ws in &fleet.workspaces {
            by_key.insert(ws.id.to_ascii_lowercase(), ws);
            if let Some(c) = &ws.customer_id {
                by_key.insert(c.to_ascii_lowercase(), ws);
            }
        }
        WorkspaceIndex { by_key }
    }

    /// The workspaces a machine's Log Analytics agent reports to.
    pub(crate) fn reported(&self, m: &Machine) -> Vec<&'f Workspace> {
        let mut out: Vec<&Workspace> = Vec::new();
        for e in &m.extensions {
            let Some(w) = &e.workspace_id else { continue };
            if let Some(ws) = self.by_key.get(&w.to_ascii_lowercase())
                && !out.iter().any(|o| o.id == ws.id)
            {
                out.push(ws);
            }
        }
        out
    }
}

/// What every machine's assessment looks things up in.
struct Ctx<'a> {
    fleet: &'a Fleet,
    opts: &'a AssessOptions,
    device_list_provided: bool,
    workspaces: WorkspaceIndex<'a>,
    /// Subscription prerequisites (not workspaces) by subscription, lower case.
    prereqs_by_sub: HashMap<String, Vec<&'a Prerequisite>>,
    /// Workspace prerequisites by workspace id, lower case.
    workspace_prereqs: HashMap<String, &'a Prerequisite>,
    connectors: &'a [ConnectorAssessment],
}

fn assess_connector(c: &Connector, opts: &AssessOptions) -> ConnectorAssessment {
    let mut reasons = Vec::new();
    let cloud = MigrationPath::of(c.hosting);
    let offering = if c.hosting == Hosting::Aws {
        "DefenderForServersAws"
    } else {
        "DefenderForServersGcp"
    };
    match &c.servers {
        None => reasons.push(reason(
            Severity::Action,
            "connector-servers-plan",
            Fix::Manual,
            "multicloud-enable-servers-plan",
            format!(
                "Defender for Servers is not enabled on the connector (no {offering} offering; it needs the cloud-side role or service account that the connector's onboarding template creates)"
            ),
        )),
        Some(o) => {
            let mut off = Vec::new();
            if !o.arc_auto_provisioning {
                off.push("Azure Arc agent");
            }
            if !o.mde_auto_provisioning {
                off.push("Defender for Endpoint extension");
            }
            if !o.va_auto_provisioning {
                off.push("vulnerability assessment");
            }
            if !off.is_empty() {
                reasons.push(reason(
                    Severity::Action,
                    "connector-auto-provisioning",
                    Fix::Apply,
                    "multicloud-auto-provisioning",
                    format!("auto-provisioning is off for: {}", off.join(", ")),
                ));
            } else if o.va_type.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("TVM")) {
                reasons.push(reason(
                    Severity::Info,
                    "connector-va-provider",
                    Fix::Apply,
                    "enable-vulnerability-management",
                    format!(
                        "vulnerability assessment uses {} rather than Defender vulnerability management (TVM), the recommended option",
                        o.va_type.as_deref().unwrap_or_default()
                    ),
                ));
            }
            let plan = o.sub_plan.as_deref().and_then(ServersPlan::parse);
            if plan.is_some_and(|p| p < opts.plan) {
                reasons.push(reason(
                    Severity::Action,
                    "connector-plan",
                    Fix::Apply,
                    "multicloud-enable-servers-plan",
                    format!(
                        "the connector's Defender for Servers plan is {}, {} is required",
                        o.sub_plan.as_deref().unwrap_or_default(),
                        opts.plan
                    ),
                ));
            }
        }
    }
    ConnectorAssessment {
        id: c.id.clone(),
        name: c.name.clone(),
        cloud,
        verdict: verdict_of(&reasons),
        reasons,
    }
}

fn assess_machine(ctx: &Ctx<'_>, m: &Machine, device: Option<&Device>) -> MachineAssessment {
    let (fleet, opts, connectors) = (ctx.fleet, ctx.opts, ctx.connectors);
    let device_list_provided = ctx.device_list_provided;
    let path = MigrationPath::of(m.hosting);
    let mut reasons: Vec<Reason> = Vec::new();
    let os_name =
        m.os.product
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_else(|| m.os.reported.clone());

    // The subscription whose settings apply: the connector's for AWS/GCP.
    let mut connector_name = None;
    let mut settings_sub = m.subscription.clone();
    if matches!(path, MigrationPath::Aws | MigrationPath::Gcp) {
        let candidates: Vec<(&Connector, &ConnectorAssessment)> = fleet
            .connectors
            .iter()
            .zip(connectors)
            .filter(|(c, _)| c.hosting == m.hosting)
            .filter(|(c, _)| match (&m.cloud_account, &c.hierarchy_identifier) {
                (Some(a), Some(h)) => a.eq_ignore_ascii_case(h),
                _ => true,
            })
            .collect();
        let best = candidates.iter().min_by_key(|(_, a)| a.verdict);
        let cloud = if m.hosting == Hosting::Aws {
            "AWS"
        } else {
            "GCP"
        };
        match best {
            None => reasons.push(reason(
                Severity::Blocker,
                "connector-missing",
                Fix::Manual,
                "multicloud-create-connector",
                format!(
                    "no {cloud} connector covers this machine{}: create a multicloud connector for its {} on the subscription",
                    m.cloud_account.as_deref().map(|a| format!(" (account/project {a})")).unwrap_or_default(),
                    if m.hosting == Hosting::Aws { "AWS account" } else { "GCP project" }
                ),
            )),
            Some((c, a)) => {
                connector_name = Some(c.name.clone());
                settings_sub = Some(c.subscription.clone());
                for r in &a.reasons {
                    if r.severity >= Severity::Action {
                        reasons.push(Reason {
                            message: format!("connector {}: {}", c.name, r.message),
                            ..r.clone()
                        });
                    }
                }
            }
        }
    }

    // Shared prerequisites of that subscription.
    if let Some(sub) = &settings_sub {
        for p in ctx
            .prereqs_by_sub
            .get(&sub.to_ascii_lowercase())
            .into_iter()
            .flatten()
        {
            if p.recommended || p.status == PrereqStatus::Ok || p.status == PrereqStatus::Manual {
                continue;
            }
            if p.check == "mde-linux" && m.os.os_type != OsType::Linux {
                continue;
            }
            // Files never hold provider registrations: only a known gap counts.
            if p.check == "arc-resource-providers"
                && (m.hosting == Hosting::Azure || p.status == PrereqStatus::Unknown)
            {
                continue;
            }
            let what = match p.check.as_str() {
                "servers-plan" => {
                    format!("Defender for Servers {} on subscription {sub}", opts.plan)
                }
                "mde-integration" => {
                    format!("the Defender for Endpoint integration (WDATP) on subscription {sub}")
                }
                "mde-unified-solution" => format!(
                    "the unified-solution opt-in (WDATP_UNIFIED_SOLUTION) on subscription {sub}"
                ),
                "mde-linux" => {
                    format!("Defender for Endpoint for Linux machines on subscription {sub}")
                }
                "arc-resource-providers" => {
                    format!("the Azure Arc resource providers on subscription {sub}")
                }
                other => format!("{other} on subscription {sub}"),
            };
            let msg = match p.status {
                PrereqStatus::Unknown => {
                    format!("{what} is not known from the inputs (check it, or let apply set it)")
                }
                _ => format!("{what} is not in place ({})", p.current),
            };
            reasons.push(reason(Severity::Action, &p.check, p.fix, &p.step, msg));
        }
    } else if m.kind == MachineKind::DefenderDevice {
        reasons.push(reason(
            Severity::Info,
            "subscription-undecided",
            Fix::Manual,
            "check-arc-readiness",
            "no subscription in the inputs to onboard this machine to; its prerequisites are checked once it is chosen",
        ));
    }
    // Plan 2 on the workspaces it reports to.
    if opts.plan == ServersPlan::P2 {
        for ws in ctx.workspaces.reported(m) {
            if let Some(p) = ctx.workspace_prereqs.get(&ws.id.to_ascii_lowercase())
                && p.status != PrereqStatus::Ok
            {
                reasons.push(reason(
                    Severity::Action,
                    "workspace-plan2",
                    Fix::Apply,
                    "enable-defender-for-servers",
                    format!(
                        "Plan 2 is not enabled on workspace {} the machine reports to ({})",
                        ws.name, p.current
                    ),
                ));
            }
        }
    }

    // The OS: covered by the integration at all?
    if os::mde_integration_support(m.os.product.as_ref()) == Support::Unsupported {
        reasons.push(reason(
            Severity::Blocker,
            "os-not-covered",
            Fix::Manual,
            "classify-machines",
            format!("{os_name} is not covered by Defender for Cloud's Defender for Endpoint integration (Windows Server 2012 R2 and later); upgrade the OS or keep it onboarded to Defender for Endpoint directly"),
        ));
    }

    // Path-specific checks.
    let arc_support = os::arc_support(m.os.product.as_ref());
    match m.kind {
        MachineKind::AzureVm => {}
        MachineKind::ArcServer => {
            arc_status_reasons(m, &mut reasons);
            if arc_support == Support::Unsupported {
                reasons.push(reason(
                    Severity::Action,
                    "arc-os-unsupported",
                    Fix::Manual,
                    "check-arc-readiness",
                    format!("{os_name} is not on Azure Arc's supported operating system list: the agent runs but is unsupported; upgrade the OS"),
                ));
            }
        }
        MachineKind::DefenderDevice => match path {
            MigrationPath::AzureVm => reasons.push(reason(
                Severity::Action,
                "vm-not-in-inputs",
                Fix::Manual,
                "azure-vms-onboard",
                "the Defender portal reports an Azure VM that is not in the inputs: add its subscription to the inventory",
            )),
            _ => match arc_support {
                Support::Unsupported => reasons.push(reason(
                    Severity::Blocker,
                    "arc-os-unsupported",
                    Fix::Manual,
                    "check-arc-readiness",
                    format!("Azure Arc does not support {os_name}, and Defender for Cloud protects non-Azure machines only through Arc: upgrade the OS, or keep the machine onboarded to Defender for Endpoint directly"),
                )),
                Support::Unknown => reasons.push(reason(
                    Severity::Action,
                    "arc-os-unknown",
                    Fix::Manual,
                    "check-arc-readiness",
                    format!("'{}' could not be matched against Azure Arc's supported operating systems: check it before connecting the machine", m.os.reported),
                )),
                Support::Supported => {
                    if path == MigrationPath::ArcOnPrem {
                        reasons.push(reason(
                            Severity::Action,
                            "arc-agent-missing",
                            Fix::Manual,
                            "onprem-connect-arc",
                            "not connected to Azure Arc: install the Azure Connected Machine agent and connect the machine",
                        ));
                    } else if connector_name.is_some() {
                        reasons.push(reason(
                            Severity::Info,
                            "arc-by-connector",
                            Fix::None,
                            "multicloud-auto-provisioning",
                            "not yet Arc-connected: the connector's auto-provisioning installs the Arc agent",
                        ));
                    }
                }
            },
        },
    }

    // What will be deployed.
    let existing_mde = m.extensions.iter().find(|e| e.is_mde());
    let deploy = match existing_mde {
        Some(e) if e.succeeded() => None,
        Some(e) => {
            reasons.push(reason(
                Severity::Action,
                "mde-extension-failed",
                Fix::Manual,
                "verify-mde-extension",
                format!(
                    "the {} extension is in state {}: remove it so Defender for Cloud redeploys it",
                    e.ext_type,
                    e.provisioning_state.as_deref().unwrap_or("unknown")
                ),
            ));
            Some(e.ext_type.clone())
        }
        None => m.os.os_type.mde_extension().map(str::to_string),
    };
    if existing_mde.is_some_and(|e| e.succeeded()) {
        reasons.push(reason(
            Severity::Info,
            "mde-extension-present",
            Fix::None,
            "verify-mde-extension",
            format!(
                "{} is already deployed",
                existing_mde
                    .map(|e| e.ext_type.as_str())
                    .unwrap_or_default()
            ),
        ));
    }
    if m.os.os_type == OsType::Unknown {
        reasons.push(reason(
            Severity::Action,
            "os-type-unknown",
            Fix::Manual,
            "classify-machines",
            "the OS type is unknown, so neither MDE.Windows nor MDE.Linux can be chosen: check the machine",
        ));
    }

    // Legacy Log Analytics-based MDE on Windows Server 2012 R2 / 2016.
    let legacy_signal = m.extensions.iter().any(|e| e.is_log_analytics_agent())
        || device.is_some_and(|d| {
            d.tags
                .iter()
                .any(|t| t.to_ascii_lowercase().contains("mma"))
                || d.managed_by.as_deref().is_some_and(|x| {
                    let l = x.to_ascii_lowercase();
                    l.contains("mma") || l.contains("log analytics")
                })
        });
    let legacy_to_unified = os::is_unified_solution_release(m.os.product.as_ref())
        && legacy_signal
        && existing_mde.is_none();
    if legacy_to_unified {
        reasons.push(reason(
            Severity::Info,
            "legacy-to-unified",
            Fix::None,
            "verify-unified-solution",
            format!("{os_name} runs the legacy Log Analytics-based Defender for Endpoint solution: Defender for Cloud deploys the unified solution and then stops and disables the legacy process"),
        ));
    }

    // The Defender device list.
    let in_device_list = device_list_provided.then_some(device.is_some());
    if let Some(d) = device {
        if let Some(h) = &d.health
            && !h.eq_ignore_ascii_case("Active")
        {
            reasons.push(reason(
                Severity::Info,
                "sensor-not-active",
                Fix::Manual,
                "verify-mde-extension",
                format!("the Defender sensor health is {h}: the existing installation may not report until it is repaired"),
            ));
        }
    } else if device_list_provided {
        reasons.push(reason(
            Severity::Info,
            "not-in-device-list",
            Fix::None,
            "classify-machines",
            "not in the Defender device list: there is no existing Defender for Endpoint installation to adopt; Defender for Cloud onboards it fresh",
        ));
    }

    reasons.sort_by_key(|r| std::cmp::Reverse(r.severity));
    // An OS the integration or Arc cannot take gets nothing deployed.
    let deploy = deploy.filter(|_| {
        !reasons.iter().any(|r| {
            r.severity == Severity::Blocker
                && (r.code == "os-not-covered" || r.code == "arc-os-unsupported")
        })
    });
    MachineAssessment {
        id: m.id.clone(),
        name: m.name.clone(),
        kind: m.kind,
        path,
        os: os_name,
        os_type: m.os.os_type,
        verdict: verdict_of(&reasons),
        deploy,
        legacy_to_unified,
        subscription: settings_sub,
        connector: connector_name,
        device: device.map(|d| d.name.clone()),
        in_device_list,
        reasons,
    }
}

fn arc_status_reasons(m: &Machine, reasons: &mut Vec<Reason>) {
    let since = m
        .last_status_change
        .as_deref()
        .map(|t| format!(" since {t}"))
        .unwrap_or_default();
    match m.arc_status.as_deref() {
        Some(s) if s.eq_ignore_ascii_case("Connected") => {}
        Some(s) if s.eq_ignore_ascii_case("Expired") => reasons.push(reason(
            Severity::Blocker,
            "arc-expired",
            Fix::Manual,
            "onprem-connect-arc",
            format!("the Arc agent is Expired{since} (disconnected for more than 45 days): delete the Arc resource and onboard the machine again"),
        )),
        Some(s) => reasons.push(reason(
            Severity::Action,
            "arc-disconnected",
            Fix::Manual,
            "check-arc-readiness",
            format!("the Arc agent is {s}{since}: extensions cannot be deployed until it reconnects (check its network access to the Arc endpoints)"),
        )),
        None => reasons.push(reason(
            Severity::Action,
            "arc-status-unknown",
            Fix::Manual,
            "check-arc-readiness",
            "the Arc agent status is not in the inputs",
        )),
    }
}

fn procedure(
    machines: &[MachineAssessment],
    prerequisites: &[Prerequisite],
    connectors: &[ConnectorAssessment],
) -> Vec<ProcedureStep> {
    let Some(scenario) = Catalog::embedded().scenario(SCENARIO) else {
        return Vec::new();
    };
    let mut open: HashMap<&str, usize> = HashMap::new();
    for r in machines
        .iter()
        .flat_map(|m| &m.reasons)
        .chain(connectors.iter().flat_map(|c| &c.reasons))
        .filter(|r| r.severity >= Severity::Action)
    {
        *open.entry(r.step.as_str()).or_default() += 1;
    }
    for p in prerequisites.iter().filter(|p| {
        matches!(
            p.status,
            PrereqStatus::Missing | PrereqStatus::Unknown | PrereqStatus::Manual
        )
    }) {
        *open.entry(p.step.as_str()).or_default() += 1;
    }
    scenario
        .steps
        .iter()
        .map(|s| ProcedureStep {
            id: s.id.clone(),
            title: s.title.clone(),
            mode: match s.mode {
                azrelo_catalog::StepMode::Automated => "automated".into(),
                azrelo_catalog::StepMode::ManualGate => "manual-gate".into(),
            },
            open: open.get(s.id.as_str()).copied().unwrap_or(0),
        })
        .collect()
}
