//! The shared prerequisites: per subscription (the Defender for Servers
//! plan, the integration settings, vulnerability management, Arc) and per
//! reporting workspace.

use std::collections::HashMap;

use super::*;

pub(super) fn sub_path(sub: &str, rest: &str) -> String {
    format!("/subscriptions/{sub}/providers/Microsoft.Security/{rest}")
}

pub(super) fn subscription_prereqs(
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
    // Defender for Servers at the required plan: the chosen one, or the
    // enabled one kept (Plan 1 or 2), or Plan 2 where it is off.
    let plan = opts.plan_for(Some(s));
    let enabled = s.servers_pricing.as_ref().and_then(|p| p.plan());
    let required_plan = match (opts.plan, enabled) {
        (Some(p), _) => format!("Standard, sub-plan {p}"),
        (None, Some(p)) => format!("Standard, sub-plan {p} (the enabled plan, kept)"),
        (None, None) => "Standard, sub-plan P2 (recommended: the plan is off)".to_string(),
    };
    let (status, current) = match &s.servers_pricing {
        None => (PrereqStatus::Unknown, "not in the inputs".to_string()),
        Some(p) => {
            let cur = match (&p.sub_plan, p.is_standard()) {
                (Some(sp), true) => format!("{}, sub-plan {sp}", p.pricing_tier),
                _ => p.pricing_tier.clone(),
            };
            let ok = p.plan().is_some_and(|pl| pl >= plan);
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

pub(super) fn workspace_prereq_of(ws: &Workspace) -> Prerequisite {
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
    pub(super) by_key: HashMap<String, &'f Workspace>,
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
