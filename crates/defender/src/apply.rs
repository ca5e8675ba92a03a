//! Applying the Azure-side settings of the migration to one subscription:
//! GET the current state, compute exactly the changes needed, PUT only those.
//!
//! What can change (each only when it is not already as required):
//! * `Microsoft.Security/pricings/VirtualMachines` → `pricingTier: Standard`
//!   with the required `subPlan` (a higher plan is kept; the plan's
//!   extensions are carried over);
//! * `Microsoft.Security/settings/WDATP` and `WDATP_UNIFIED_SOLUTION`
//!   (`kind: DataExportSettings`) → `enabled: true` — the two opt-ins of the
//!   seed's step 4; `WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW` → `enabled: false`
//!   when it keeps the fleet's Linux machines out;
//! * `Microsoft.Security/serverVulnerabilityAssessmentsSettings/AzureServersSetting`
//!   (`kind: AzureServersSetting`) → `selectedProvider: MdeTvm` (Defender
//!   vulnerability management, recommended; can be skipped);
//! * Plan 2 only: the `Security(<workspace>)` solution
//!   (`Microsoft.OperationsManagement/solutions`, plan product
//!   `OMSGallery/Security`) on every Log Analytics workspace the machines
//!   report to;
//! * every AWS/GCP connector with a Defender for Servers offering → auto-provisioning of the Arc
//!   agent, the Defender for Endpoint extension and vulnerability assessment
//!   (`TVM`) on, and the offering's sub-plan at least the required plan.
//!
//! Creating a connector or its Defender for Servers offering needs the
//! cloud-side role (AWS CloudFormation) or service account (GCP script) and
//! is left to a person: such connectors are listed as manual.
//!
//! Every change is journaled (`azrelo_journal`): its intent
//! before the PUT, its result after; nothing secret is in them (connector
//! bodies carry role ARNs and service-account addresses, not credentials).

use crate::live::{
    self, API_CONNECTORS, API_PRICINGS, API_SETTINGS, API_SOLUTIONS, API_VA_SETTINGS,
};
use crate::model::{Fleet, Hosting, ServersPlan, Workspace, bool_at, str_at};
use crate::os::OsType;
use azrelo_client::{ArmClient, ClientError};
use azrelo_journal::{Journal, JournalError, StepOutcome};
use serde::Serialize;
use serde_json::{Value, json};

/// What to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// The Defender for Servers plan to enable; `None` keeps the plan that
    /// is enabled (Plan 1 or Plan 2) and enables Plan 2 where it is off —
    /// the guidance's recommendation for the migration.
    pub plan: Option<ServersPlan>,
    /// Select Defender vulnerability management (`MdeTvm`) as the VA provider.
    pub vulnerability_management: bool,
    /// Compute and report the changes, change nothing.
    pub validate_only: bool,
}

/// One needed change: a PUT of `body` to `resource`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// Stable step id in the journal (`pricing/VirtualMachines`, `settings/WDATP`, `connector/<name>`, …).
    pub step: String,
    pub resource: String,
    pub api_version: String,
    /// What changes, for people.
    pub description: String,
    /// The relevant current values (`null` when the resource does not exist).
    pub before: Value,
    /// The relevant values after the change.
    pub after: Value,
    #[serde(skip)]
    pub body: Value,
}

/// How one change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeOutcome {
    Applied,
    WouldApply,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeResult {
    #[serde(flatten)]
    pub change: Change,
    pub outcome: ChangeOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The result of an apply (or validate-only) run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyReport {
    pub subscription: String,
    pub plan: ServersPlan,
    pub validate_only: bool,
    /// Journal run id (`None` without a journal or in validate-only mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    pub changes: Vec<ChangeResult>,
    /// Settings checked and already as required.
    pub unchanged: Vec<String>,
    /// What apply cannot do; a person must.
    pub manual: Vec<String>,
}

impl ApplyReport {
    pub fn failed(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.outcome == ChangeOutcome::Failed)
            .count()
    }
}

/// Why an apply could not run.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("reading the current state failed: {0}")]
    Read(#[from] ClientError),
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// The changes needed, plus what is already in place and what is manual.
#[derive(Debug, Clone)]
pub struct Needed {
    /// The plan the subscription ends with (the chosen one, or the kept one).
    pub plan: ServersPlan,
    pub changes: Vec<Change>,
    pub unchanged: Vec<String>,
    pub manual: Vec<String>,
}

fn enabled_setting_change(
    name: &str,
    current: Option<&Value>,
    want: bool,
    sub: &str,
    needed: &mut Needed,
) {
    let path = format!("/subscriptions/{sub}/providers/Microsoft.Security/settings/{name}");
    let now = current.and_then(|c| bool_at(c, "/properties/enabled"));
    if now == Some(want) {
        needed
            .unchanged
            .push(format!("settings/{name}: enabled = {want}"));
        return;
    }
    needed.changes.push(Change {
        step: format!("settings/{name}"),
        resource: path,
        api_version: API_SETTINGS.into(),
        description: format!("set {name} enabled = {want}"),
        before: json!({"enabled": now}),
        after: json!({"enabled": want}),
        body: json!({"kind": "DataExportSettings", "properties": {"enabled": want}}),
    });
}

/// Compute the changes for one subscription from its current state.
pub async fn needed_changes(
    client: &ArmClient,
    subscription: &str,
    fleet: &Fleet,
    opts: &ApplyOptions,
) -> Result<Needed, ClientError> {
    let sub = subscription;
    let base = format!("/subscriptions/{sub}/providers/Microsoft.Security");

    // Defender for Servers at the required plan.
    let path = format!("{base}/pricings/VirtualMachines");
    let current = client.get(&path, API_PRICINGS).await?;
    let tier = current
        .as_ref()
        .and_then(|c| str_at(c, "/properties/pricingTier"))
        .unwrap_or("Free")
        .to_string();
    let sub_plan = current
        .as_ref()
        .and_then(|c| str_at(c, "/properties/subPlan"))
        .map(str::to_string);
    let standard = tier.eq_ignore_ascii_case("Standard");
    let plan_now = standard.then(|| {
        sub_plan
            .as_deref()
            .and_then(ServersPlan::parse)
            .unwrap_or(ServersPlan::P2)
    });
    // Plan 1 or Plan 2 both protect the servers; without a choice, keep
    // the enabled one, Plan 2 where none is.
    let plan = opts.plan.or(plan_now).unwrap_or(ServersPlan::P2);
    let mut needed = Needed {
        plan,
        changes: Vec::new(),
        unchanged: Vec::new(),
        manual: Vec::new(),
    };
    if plan_now.is_some_and(|p| p >= plan) {
        needed.unchanged.push(format!(
            "pricing/VirtualMachines: Standard, sub-plan {}",
            plan_now.map(|p| p.as_str()).unwrap_or_default()
        ));
    } else {
        let mut props = json!({"pricingTier": "Standard", "subPlan": plan.as_str()});
        // Keep the plan's extension choices when upgrading an enabled plan.
        if standard
            && let Some(exts) = current
                .as_ref()
                .and_then(|c| c.pointer("/properties/extensions"))
                .and_then(Value::as_array)
        {
            let kept: Vec<Value> = exts
                .iter()
                .map(|e| {
                    let mut e = e.clone();
                    if let Some(o) = e.as_object_mut() {
                        o.remove("operationStatus");
                    }
                    e
                })
                .collect();
            props["extensions"] = Value::Array(kept);
        }
        needed.changes.push(Change {
            step: "pricing/VirtualMachines".into(),
            resource: path,
            api_version: API_PRICINGS.into(),
            description: format!("enable Defender for Servers Plan {}", &plan.as_str()[1..]),
            before: json!({"pricingTier": tier, "subPlan": sub_plan}),
            after: json!({"pricingTier": "Standard", "subPlan": plan.as_str()}),
            body: json!({"properties": props}),
        });
    }

    // The Defender for Endpoint integration: both opt-ins.
    for name in ["WDATP", "WDATP_UNIFIED_SOLUTION"] {
        let current = client
            .get(&format!("{base}/settings/{name}"), API_SETTINGS)
            .await?;
        enabled_setting_change(name, current.as_ref(), true, sub, &mut needed);
    }
    // Linux machines excluded by the old preview switch.
    let has_linux = fleet.machines.iter().any(|m| {
        m.os.os_type == OsType::Linux
            && m.subscription
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(sub))
    });
    if has_linux {
        let name = "WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW";
        let current = client
            .get(&format!("{base}/settings/{name}"), API_SETTINGS)
            .await?;
        if current
            .as_ref()
            .and_then(|c| bool_at(c, "/properties/enabled"))
            == Some(true)
        {
            enabled_setting_change(name, current.as_ref(), false, sub, &mut needed);
        } else {
            needed
                .unchanged
                .push(format!("settings/{name}: Linux machines included"));
        }
    }

    // Defender vulnerability management (recommended).
    if opts.vulnerability_management {
        let path = format!("{base}/serverVulnerabilityAssessmentsSettings/AzureServersSetting");
        let current = client.get(&path, API_VA_SETTINGS).await?;
        let provider = current
            .as_ref()
            .and_then(|c| str_at(c, "/properties/selectedProvider"))
            .map(str::to_string);
        if provider
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("MdeTvm"))
        {
            needed
                .unchanged
                .push("vulnerability-assessment/AzureServersSetting: MdeTvm".into());
        } else {
            needed.changes.push(Change {
                step: "vulnerability-assessment/AzureServersSetting".into(),
                resource: path,
                api_version: API_VA_SETTINGS.into(),
                description: "select Defender vulnerability management (MdeTvm) for servers".into(),
                before: json!({"selectedProvider": provider}),
                after: json!({"selectedProvider": "MdeTvm"}),
                body: json!({"kind": "AzureServersSetting", "properties": {"selectedProvider": "MdeTvm"}}),
            });
        }
    }

    // Plan 2 on the workspaces the subscription's machines report to.
    if plan == ServersPlan::P2 {
        let index = crate::assess::WorkspaceIndex::new(fleet);
        let mut ids = std::collections::HashSet::new();
        let mut seen: Vec<&Workspace> = Vec::new();
        for m in fleet.machines.iter().filter(|m| {
            m.subscription
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(sub))
        }) {
            for ws in index.reported(m) {
                if ids.insert(ws.id.to_ascii_lowercase()) {
                    seen.push(ws);
                }
            }
        }
        for ws in seen {
            let solution = format!("Security({})", ws.name);
            let path = format!(
                "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationsManagement/solutions/{solution}",
                ws.subscription, ws.resource_group
            );
            if client.get(&path, API_SOLUTIONS).await?.is_some() {
                needed
                    .unchanged
                    .push(format!("workspace/{}: {solution} installed", ws.name));
                continue;
            }
            let mut body = json!({
                "plan": {"name": solution, "publisher": "Microsoft", "product": "OMSGallery/Security", "promotionCode": ""},
                "properties": {"workspaceResourceId": ws.id},
            });
            if let Some(l) = &ws.location {
                body["location"] = json!(l);
            }
            needed.changes.push(Change {
                step: format!("workspace/{}", ws.name),
                resource: path,
                api_version: API_SOLUTIONS.into(),
                description: format!(
                    "enable Defender for Servers Plan 2 on workspace {} ({solution})",
                    ws.name
                ),
                before: Value::Null,
                after: json!({"solution": solution}),
                body,
            });
        }
    }

    // Multicloud connectors.
    for c in fleet
        .connectors
        .iter()
        .filter(|c| c.subscription.eq_ignore_ascii_case(sub))
    {
        if c.servers.is_none() {
            needed.manual.push(format!(
                "connector {}: enable the Defender for Servers plan ({}) on it — its cloud-side {} comes from the connector's onboarding template",
                c.name,
                if c.hosting == Hosting::Aws { "DefenderForServersAws" } else { "DefenderForServersGcp" },
                if c.hosting == Hosting::Aws { "IAM role" } else { "service account" }
            ));
            continue;
        }
        let Some(current) = client.get(&c.id, API_CONNECTORS).await? else {
            needed
                .manual
                .push(format!("connector {}: no longer exists", c.name));
            continue;
        };
        if let Some(change) = connector_change(
            c.name.as_str(),
            c.hosting,
            &c.id,
            &current,
            opts,
            &mut needed.manual,
        ) {
            needed.changes.push(change);
        } else {
            needed.unchanged.push(format!(
                "connector/{}: Defender for Servers auto-provisioning on",
                c.name
            ));
        }
    }
    Ok(needed)
}

/// The connector body with Defender for Servers auto-provisioning switched
/// on, or `None` when nothing has to change.
fn connector_change(
    name: &str,
    hosting: Hosting,
    id: &str,
    current: &Value,
    opts: &ApplyOptions,
    manual: &mut Vec<String>,
) -> Option<Change> {
    let mut body = current.clone();
    if let Some(o) = body.as_object_mut() {
        for k in ["id", "name", "type", "systemData", "etag"] {
            o.remove(k);
        }
    }
    let offerings = body.pointer_mut("/properties/offerings")?.as_array_mut()?;
    let offering = offerings.iter_mut().find(|o| {
        str_at(o, "/offeringType").is_some_and(|t| {
            t.eq_ignore_ascii_case("DefenderForServersAws")
                || t.eq_ignore_ascii_case("DefenderForServersGcp")
        })
    })?;
    let mut changed = Vec::new();
    let mut before = serde_json::Map::new();
    for (key, label) in [
        ("arcAutoProvisioning", "Azure Arc agent"),
        ("mdeAutoProvisioning", "Defender for Endpoint extension"),
        ("vaAutoProvisioning", "vulnerability assessment"),
    ] {
        let on = bool_at(offering, &format!("/{key}/enabled")).unwrap_or(false);
        before.insert(key.into(), json!(on));
        if on {
            continue;
        }
        let o = offering.as_object_mut()?;
        let entry = o.entry(key).or_insert_with(|| json!({}));
        if !entry.is_object() {
            *entry = json!({});
        }
        entry["enabled"] = json!(true);
        if key == "vaAutoProvisioning" {
            // Defender vulnerability management (TVM) — the recommended VA.
            let cfg = entry
                .as_object_mut()?
                .entry("configuration")
                .or_insert_with(|| json!({}));
            if !cfg.is_object() {
                *cfg = json!({});
            }
            cfg["type"] = json!("TVM");
        }
        if key == "mdeAutoProvisioning" && entry.get("configuration").is_none() {
            entry["configuration"] = json!({});
        }
        if key == "arcAutoProvisioning"
            && hosting == Hosting::Aws
            && entry.get("cloudRoleArn").is_none()
        {
            manual.push(format!(
                "connector {name}: Arc auto-provisioning is switched on, but the offering names no cloudRoleArn — update the connector's CloudFormation stack so the DefenderForCloud-ArcAutoProvisioning role exists"
            ));
        }
        changed.push(label);
    }
    let plan_now = str_at(offering, "/subPlan/type")
        .or_else(|| str_at(offering, "/subPlan"))
        .and_then(ServersPlan::parse);
    before.insert("subPlan".into(), json!(plan_now.map(|p| p.as_str())));
    let wanted = opts.plan.or(plan_now).unwrap_or(ServersPlan::P2);
    if plan_now.is_some_and(|p| p < wanted) {
        offering["subPlan"] = json!({"type": wanted.as_str()});
        changed.push(if wanted == ServersPlan::P2 {
            "sub-plan P2"
        } else {
            "sub-plan P1"
        });
    }
    if changed.is_empty() {
        return None;
    }
    Some(Change {
        step: format!("connector/{name}"),
        resource: id.to_string(),
        api_version: API_CONNECTORS.into(),
        description: format!("connector {name}: turn on {}", changed.join(", ")),
        before: Value::Object(before),
        after: json!({"arcAutoProvisioning": true, "mdeAutoProvisioning": true, "vaAutoProvisioning": true}),
        body,
    })
}

/// Apply the needed changes to a subscription (or, with `validate_only`,
/// only report them). The fleet is read live first.
pub async fn apply(
    client: &ArmClient,
    subscription: &str,
    opts: &ApplyOptions,
    journal: Option<&Journal>,
    run: &str,
) -> Result<(ApplyReport, Fleet), ApplyError> {
    let fleet = live::fleet(client, &[subscription.to_string()]).await?;
    let needed = needed_changes(client, subscription, &fleet, opts).await?;
    let plan = needed.plan;
    let journal = journal.filter(|_| !opts.validate_only);
    let mut results = Vec::new();
    for change in needed.changes {
        if opts.validate_only {
            results.push(ChangeResult {
                change,
                outcome: ChangeOutcome::WouldApply,
                error: None,
            });
            continue;
        }
        if let Some(j) = journal {
            j.record_intent(
                run,
                &change.step,
                &json!({
                    "method": "PUT",
                    "resource": change.resource,
                    "apiVersion": change.api_version,
                    "description": change.description,
                    "before": change.before,
                    "after": change.after,
                }),
            )?;
        }
        tracing::info!(resource = %change.resource, "{}", change.description);
        let outcome = client
            .put(&change.resource, &change.api_version, &change.body)
            .await;
        let (outcome, error) = match outcome {
            Ok(_) => (ChangeOutcome::Applied, None),
            Err(e) => (ChangeOutcome::Failed, Some(e.to_string())),
        };
        if let Some(j) = journal {
            match &error {
                None => j.record_result(
                    run,
                    &change.step,
                    StepOutcome::Succeeded,
                    &json!({"after": change.after}),
                )?,
                Some(e) => {
                    j.record_result(run, &change.step, StepOutcome::Failed, &json!({"error": e}))?
                }
            }
        }
        results.push(ChangeResult {
            change,
            outcome,
            error,
        });
    }
    if let Some(j) = journal {
        for u in &needed.unchanged {
            let step = u.split(':').next().unwrap_or(u).to_string();
            j.record_intent(run, &step, &json!({"check": u}))?;
            j.record_result(
                run,
                &step,
                StepOutcome::Skipped,
                &json!({"reason": "already as required"}),
            )?;
        }
    }
    // Verify: read everything again; an applied change that is still needed
    // (a policy rewrote it, ARM ignored a property) did not take effect.
    let fleet = if results.iter().any(|r| r.outcome == ChangeOutcome::Applied) {
        let fleet = live::fleet(client, &[subscription.to_string()]).await?;
        let still = needed_changes(client, subscription, &fleet, opts).await?;
        for r in results
            .iter_mut()
            .filter(|r| r.outcome == ChangeOutcome::Applied)
        {
            if let Some(s) = still.changes.iter().find(|c| c.step == r.change.step) {
                let e = format!(
                    "ARM accepted the change, but reading it back shows {} instead of {}",
                    s.before, r.change.after
                );
                if let Some(j) = journal {
                    j.record_result(
                        run,
                        &r.change.step,
                        StepOutcome::Failed,
                        &json!({"error": e}),
                    )?;
                }
                r.outcome = ChangeOutcome::Failed;
                r.error = Some(e);
            }
        }
        fleet
    } else {
        fleet
    };
    Ok((
        ApplyReport {
            subscription: subscription.to_string(),
            plan,
            validate_only: opts.validate_only,
            run: journal.map(|_| run.to_string()),
            changes: results,
            unchanged: needed.unchanged,
            manual: needed.manual,
        },
        fleet,
    ))
}

/// Plain-text summary of an apply run.
pub fn render_text(r: &ApplyReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let verb = if r.validate_only {
        "would change"
    } else {
        "changed"
    };
    let n = r
        .changes
        .iter()
        .filter(|c| c.outcome != ChangeOutcome::Failed)
        .count();
    let _ = writeln!(
        out,
        "subscription {} (Defender for Servers {}): {verb} {n}, already in place {}, failed {}, manual {}",
        r.subscription,
        r.plan,
        r.unchanged.len(),
        r.failed(),
        r.manual.len()
    );
    for c in &r.changes {
        let tag = match c.outcome {
            ChangeOutcome::Applied => "changed",
            ChangeOutcome::WouldApply => "would change",
            ChangeOutcome::Failed => "FAILED",
        };
        let _ = writeln!(
            out,
            "  [{tag}] {} — PUT {}",
            c.change.description, c.change.resource
        );
        if let Some(e) = &c.error {
            let _ = writeln!(out, "      {e}");
        }
    }
    for u in &r.unchanged {
        let _ = writeln!(out, "  [ok] {u}");
    }
    for m in &r.manual {
        let _ = writeln!(out, "  [manual] {m}");
    }
    if let Some(run) = &r.run {
        let _ = writeln!(out, "journal run: {run}");
    }
    out
}
