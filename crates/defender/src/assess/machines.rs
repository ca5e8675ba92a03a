//! A verdict per multicloud connector and per machine (path, reasons,
//! the extension Defender for Cloud deploys), and the procedure steps.

use crate::os::{self, OsType, Support};
use azrelo_catalog::Catalog;
use std::collections::HashMap;

use super::prereqs::*;
use super::*;

/// What every machine's assessment looks things up in.
pub(super) struct Ctx<'a> {
    pub(super) fleet: &'a Fleet,
    pub(super) opts: &'a AssessOptions,
    pub(super) device_list_provided: bool,
    pub(super) workspaces: WorkspaceIndex<'a>,
    /// Subscription prerequisites (not workspaces) by subscription, lower case.
    pub(super) prereqs_by_sub: HashMap<String, Vec<&'a Prerequisite>>,
    /// Workspace prerequisites by workspace id, lower case.
    pub(super) workspace_prereqs: HashMap<String, &'a Prerequisite>,
    pub(super) connectors: &'a [ConnectorAssessment],
    /// The plan each subscription must have (lower-case id).
    pub(super) plans: HashMap<String, ServersPlan>,
}

pub(super) fn assess_connector(c: &Connector, opts: &AssessOptions) -> ConnectorAssessment {
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
            if let (Some(p), Some(required)) = (plan, opts.plan)
                && p < required
            {
                reasons.push(reason(
                    Severity::Action,
                    "connector-plan",
                    Fix::Apply,
                    "multicloud-enable-servers-plan",
                    format!(
                        "the connector's Defender for Servers plan is {p}, {required} is required"
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

pub(super) fn assess_machine(
    ctx: &Ctx<'_>,
    m: &Machine,
    device: Option<&Device>,
) -> MachineAssessment {
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

    // The plan that subscription must have.
    let plan = settings_sub
        .as_deref()
        .and_then(|s| ctx.plans.get(&s.to_ascii_lowercase()).copied())
        .unwrap_or_else(|| opts.plan_for(None));
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
            // The unified-solution opt-in changes only Windows Server 2012
            // R2 and 2016 (seed 004: the other releases get the unified
            // solution anyway); an unrecognised Windows release may be one.
            if p.check == "mde-unified-solution"
                && (m.os.os_type == OsType::Linux
                    || (m.os.product.is_some()
                        && !os::is_unified_solution_release(m.os.product.as_ref())))
            {
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
                    format!("Defender for Servers {plan} on subscription {sub}")
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
    if plan == ServersPlan::P2 {
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
        manual_steps: manual_steps(&reasons),
        deploy,
        legacy_to_unified,
        subscription: settings_sub,
        connector: connector_name,
        device: device.map(|d| d.name.clone()),
        in_device_list,
        reasons,
    }
}

pub(super) fn arc_status_reasons(m: &Machine, reasons: &mut Vec<Reason>) {
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

pub(super) fn procedure(
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
