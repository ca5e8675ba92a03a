//! Readiness of a fleet for the move from Defender for Endpoint to Defender
//! for Cloud: the shared prerequisites per subscription, every multicloud
//! connector, and a path and verdict per machine — following the catalog
//! scenario `defender-endpoint-to-cloud` (seed 004, "Migrating servers from
//! Microsoft Defender for Endpoint to Microsoft Defender for Cloud",
//! <https://learn.microsoft.com/defender-endpoint/migrating-mde-server-to-cloud>),
//! whose step ids every reason names.

use crate::model::*;
use crate::os::{self, OsType};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

mod machines;
mod prereqs;

use machines::*;
pub(crate) use prereqs::WorkspaceIndex;
use prereqs::*;

/// Schema tag of the JSON report.
pub const SCHEMA: &str = "azrelo.defender-servers/v2";
/// The catalog scenario this assessment follows.
pub const SCENARIO: &str = "defender-endpoint-to-cloud";

/// What the assessment requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AssessOptions {
    /// The Defender for Servers plan the fleet must be protected with.
    /// `None` (the default) keeps what each subscription has enabled — Plan
    /// 1 and Plan 2 both include the Defender for Endpoint integration the
    /// migration needs (seed 004, "Prerequisites") — and recommends Plan 2
    /// where the plan is off.
    pub plan: Option<ServersPlan>,
}

impl AssessOptions {
    /// The plan a subscription must have: the chosen one, or the one it has
    /// enabled, or Plan 2 where none is.
    pub fn plan_for(&self, s: Option<&SubscriptionSettings>) -> ServersPlan {
        self.plan
            .or_else(|| {
                s.and_then(|s| s.servers_pricing.as_ref())
                    .and_then(|p| p.plan())
            })
            .unwrap_or(ServersPlan::P2)
    }
}

/// A machine's readiness, best first: ready now; ready once `azrelo
/// defender servers apply` has set the subscription's settings; needing a
/// manual step (named in `manualSteps`); blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ready,
    ReadyAfterApply,
    NeedsManual,
    Blocked,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ready => "ready",
            Verdict::ReadyAfterApply => "ready-after-apply",
            Verdict::NeedsManual => "needs-manual",
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
    /// With `needs-manual`: the catalog steps a person has to do.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manual_steps: Vec<String>,
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
    pub ready_after_apply: usize,
    pub needs_manual: usize,
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
    /// The plan chosen (`--plan`); `null`: keep what each subscription has
    /// enabled, Plan 2 where it is off (each `servers-plan` prerequisite
    /// says what its subscription needs).
    pub plan: Option<ServersPlan>,
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
    let open = || reasons.iter().filter(|r| r.severity == Severity::Action);
    if reasons.iter().any(|r| r.severity == Severity::Blocker) {
        Verdict::Blocked
    } else if open().any(|r| r.fix != Fix::Apply) {
        Verdict::NeedsManual
    } else if open().next().is_some() {
        Verdict::ReadyAfterApply
    } else {
        Verdict::Ready
    }
}

/// The steps of the catalog scenario a person has to do for a machine (its
/// open reasons no `apply` resolves), each once, in reason order.
fn manual_steps(reasons: &[Reason]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in reasons
        .iter()
        .filter(|r| r.severity >= Severity::Action && r.fix != Fix::Apply)
    {
        if !out.contains(&r.step) {
            out.push(r.step.clone());
        }
    }
    out
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
    let mut plans: HashMap<String, ServersPlan> = HashMap::new();
    for s in fleet.subscriptions.values() {
        plans.insert(s.subscription.to_ascii_lowercase(), opts.plan_for(Some(s)));
        prerequisites.extend(subscription_prereqs(s, opts, needs_linux, non_azure));
    }
    // Workspace Plan 2 (only the workspaces machines on Plan 2 report to).
    let ws_index = WorkspaceIndex::new(fleet);
    let mut workspace_prereq: HashMap<String, Prerequisite> = HashMap::new();
    for (m, _) in &machines {
        let plan = m
            .subscription
            .as_deref()
            .and_then(|s| plans.get(&s.to_ascii_lowercase()).copied())
            .unwrap_or_else(|| opts.plan_for(None));
        if plan != ServersPlan::P2 {
            continue;
        }
        for ws in ws_index.reported(m) {
            workspace_prereq
                .entry(ws.id.to_ascii_lowercase())
                .or_insert_with(|| workspace_prereq_of(ws));
        }
    }
    let mut ws: Vec<&Prerequisite> = workspace_prereq.values().collect();
    ws.sort_by(|a, b| a.resource.cmp(&b.resource));
    prerequisites.extend(ws.into_iter().cloned());
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
        plans,
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
            Verdict::ReadyAfterApply => summary.ready_after_apply += 1,
            Verdict::NeedsManual => summary.needs_manual += 1,
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
