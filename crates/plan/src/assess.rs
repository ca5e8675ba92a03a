//! Assessment of the move set against the target region: findings that look
//! at more than one catalog rule — type availability (snapshot: unknown is
//! not unavailable), availability zones, resources that stay behind but
//! depend on moved ones, cross-subscription and cross-tenant references,
//! quota (live facts when given: [`crate::capacity`]). Catalog rules and global names are evaluated while planning each
//! resource (see `build.rs`).

use std::collections::{HashMap, HashSet};

use azrelo_arm::availability::Status;
use azrelo_catalog::Severity;

use crate::build::{Builder, Rec};
use crate::model::*;

pub(crate) fn assess(b: &mut Builder<'_, '_>, resources: &[PlannedResource]) {
    let inp = b.inp;
    let target = inp.target.clone();
    let region = inp.regions.get(&target);
    let target_has_zones = region.map(|r| r.has_zones());
    let snapshot = inp.availability.snapshot();
    let mut findings = Vec::new();

    // Type availability, once per type.
    let mut by_type: HashMap<String, (usize, &PlannedResource)> = HashMap::new();
    for r in resources {
        if !r.action.creates_target() || r.carried_by.is_some() {
            continue;
        }
        by_type
            .entry(r.resource_type.to_ascii_lowercase())
            .or_insert((0, r))
            .0 += 1;
    }
    let mut types: Vec<_> = by_type.into_iter().collect();
    types.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, (count, r)) in &types {
        let answer = inp.availability.check(&r.resource_type, &target);
        let (severity, what) = match answer.status {
            Status::Available | Status::Global => continue,
            Status::NotListed => (
                Severity::Warning,
                format!(
                    "the provider snapshot of {snapshot} does not list {target} for {}",
                    r.resource_type
                ),
            ),
            Status::UnknownRegion => (
                Severity::Warning,
                format!("the provider snapshot of {snapshot} does not know the region {target}"),
            ),
            Status::UnknownType => (
                Severity::Info,
                format!(
                    "the provider snapshot of {snapshot} does not know the type {}",
                    r.resource_type
                ),
            ),
        };
        findings.push(Finding {
            severity,
            code: "type-availability".into(),
            resource: Some(r.source_id.to_string()),
            message: format!(
                "{what} ({count} resource(s) of this type); availability today is unknown, not ruled out"
            ),
            remediation: format!(
                "Check with `az provider show -n {} --query \"resourceTypes[?resourceType=='{}'].locations\"` before the move.",
                r.resource_type.split('/').next().unwrap_or_default(),
                r.resource_type.split_once('/').map(|x| x.1).unwrap_or_default()
            ),
        });
    }

    // Availability zones (only zonal resources are looked at).
    for (n, slot) in b.slots.iter().enumerate() {
        let Some(slot) = slot else { continue };
        if !slot.action.creates_target() || slot.unit as usize != n {
            continue;
        }
        let Some(res) = inp.resource(n as u32) else {
            continue;
        };
        if res.zones.is_empty() {
            continue;
        }
        if target_has_zones == Some(false) {
            findings.push(Finding {
                severity: Severity::Warning,
                code: "zones-unavailable".into(),
                resource: Some(res.id.as_str().to_owned()),
                message: format!(
                    "is deployed in availability zone(s) {}; {target} has no availability zones",
                    res.zones.join(", ")
                ),
                remediation: "The target is deployed without zones (zonal resilience is lost); choose a region with zones to keep it.".into(),
            });
        } else if let Some(info) = inp.availability.type_info(&res.resource_type) {
            let zones = info.zones_in(&target);
            let missing: Vec<&String> = res.zones.iter().filter(|z| !zones.contains(z)).collect();
            if !missing.is_empty() && !zones.is_empty() {
                findings.push(Finding {
                    severity: Severity::Warning,
                    code: "zones-differ".into(),
                    resource: Some(res.id.as_str().to_owned()),
                    message: format!(
                        "uses zone(s) {} but the snapshot lists only {} for this type in {target}",
                        missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                        zones.join(", ")
                    ),
                    remediation: "Pick target zones the type supports; logical zone numbers map to different datacenters in each subscription and region.".into(),
                });
            }
        }
    }

    // Resources that stay but depend on moved ones.
    let g = inp.graph;
    let mut stays: HashSet<(u32, u32)> = HashSet::new();
    for (n, slot) in b.slots.iter().enumerate() {
        let Some(slot) = slot else { continue };
        if !slot.action.creates_target() {
            continue;
        }
        for e in g.incoming(n as u32).filter(|e| e.kind.is_dependency()) {
            let m = e.from;
            if b.slots[m as usize].is_some() || !matches!(inp.recs[m as usize], Rec::Resource(_)) {
                continue;
            }
            if stays.insert((m, n as u32)) {
                findings.push(Finding {
                    severity: Severity::Warning,
                    code: "dependent-stays".into(),
                    resource: Some(inp.node_id(m).to_string()),
                    message: format!(
                        "stays in the source but refers to {} ({}, at {}), which moves",
                        inp.node_id(n as u32),
                        e.kind.name(),
                        e.path
                    ),
                    remediation: "Re-point it to the target after cut-over, or add it to the selection; the source cannot be deleted while it is still referenced.".into(),
                });
            }
        }
        // Values only a moved resource knows, read from it when the run
        // deploys (the generator's `azrelo.readFrom` parameters).
        for e in g.outgoing(n as u32) {
            let what = match e.kind {
                azrelo_graph::EdgeKind::FederatedIssuer => {
                    "trusts the OIDC issuer of {to}, which gets a new issuer URL in the target: it is recreated with the moved cluster's issuer"
                }
                azrelo_graph::EdgeKind::IdentityClientId => {
                    "names the client id of {to}, which is recreated with a new one: the setting gets the new client id"
                }
                azrelo_graph::EdgeKind::InstrumentationKey => {
                    "names Application Insights {to} by its key: the setting gets the moved component's connection string or key"
                }
                _ => continue,
            };
            let to = e.to;
            if !b.slots[to as usize]
                .as_ref()
                .is_some_and(|s| s.action.creates_target())
            {
                continue;
            }
            findings.push(Finding {
                severity: Severity::Info,
                code: "read-from-moved-resource".into(),
                resource: Some(inp.node_id(n as u32).to_string()),
                message: format!(
                    "{}, read from it when this resource is deployed (at {})",
                    what.replace("{to}", inp.node_id(to).as_str()),
                    e.path
                ),
                remediation: "Nothing to do with `azrelo apply`, which reads the value; deploying the generated templates another way, pass the parameter its metadata names (azrelo.readFrom, azrelo.path).".into(),
            });
        }
        // Cross-subscription references out of the move set.
        for e in g
            .outgoing(n as u32)
            .filter(|e| e.kind.is_dependency() && e.cross_subscription)
        {
            findings.push(Finding {
                severity: Severity::Info,
                code: "cross-subscription-reference".into(),
                resource: Some(inp.node_id(n as u32).to_string()),
                message: format!(
                    "refers to {} in another subscription ({}, at {})",
                    inp.node_id(e.to),
                    e.kind.name(),
                    e.path
                ),
                remediation: "Make sure the identity running the move can read and deploy in both subscriptions; Resource Mover cannot move across subscriptions.".into(),
            });
        }
    }

    // Cross-tenant identities: a tenant id other than the estate's main one.
    let mut tenants: HashMap<String, usize> = HashMap::new();
    for r in &inp.estate.resources {
        if let Some(t) = r.identity.as_ref().and_then(|i| i.tenant_id.as_ref()) {
            *tenants.entry(t.to_ascii_lowercase()).or_default() += 1;
        }
    }
    if tenants.len() > 1 {
        let main = tenants
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(t, _)| t.clone())
            .unwrap_or_default();
        for r in resources {
            let Ok(id) = azrelo_arm::id::ResourceId::parse(r.source_id.as_str()) else {
                continue;
            };
            let Some(res) = inp.graph.node(&id).and_then(|n| inp.resource(n)) else {
                continue;
            };
            if let Some(t) = res.identity.as_ref().and_then(|i| i.tenant_id.as_ref())
                && !t.eq_ignore_ascii_case(&main)
            {
                findings.push(Finding {
                    severity: Severity::Warning,
                    code: "cross-tenant-identity".into(),
                    resource: Some(r.source_id.to_string()),
                    message: format!("its managed identity is in tenant {t}, not {main} like the rest of the estate"),
                    remediation: "Cross-tenant relocation is not supported by region moves; recreate the identity in the target tenant and re-grant it.".into(),
                });
            }
        }
    }

    // Defender for Cloud's default workspaces stay (seed 000, "keep the
    // Defender default workspace"): cleanup-source never deletes one.
    for r in resources {
        if r.resource_type
            .eq_ignore_ascii_case("Microsoft.OperationalInsights/workspaces")
            && r.action != Action::Keep
            && crate::procedures::is_default_workspace(&r.name)
        {
            findings.push(Finding {
                severity: Severity::Info,
                code: "default-workspace-kept".into(),
                resource: Some(r.source_id.to_string()),
                message: format!(
                    "{} is a Defender for Cloud default workspace: cleanup-source keeps it in the source region",
                    r.name
                ),
                remediation: "Defender for Cloud collects VM security data into it; deleting it loses recommendations and alerts until the agents are removed and Defender creates a new one. Delete it yourself only once no machine reports to it.".into(),
            });
        }
    }

    // Quota: read live (`assess --live`), never known offline.
    let creating = resources
        .iter()
        .filter(|r| r.action.creates_target() && r.carried_by.is_none())
        .count();
    match &inp.opts.capacity {
        Some(facts) => {
            let body = |p: &PlannedResource| -> Option<&azrelo_estate::Resource> {
                inp.graph.node(&p.source_id).and_then(|n| inp.resource(n))
            };
            findings.extend(crate::capacity::assess(facts, resources, body, &target));
        }
        None if creating > 0 => findings.push(Finding {
            severity: Severity::Info,
            code: "quota-unknown".into(),
            resource: None,
            message: format!("quota in {target} is not known offline ({creating} resources will be created)"),
            remediation: "Read it live: `azrelo assess --live` compares the target subscription's VM sizes, vCPU and public IP quotas and provider registrations with what the plan creates (or check `az vm list-usage -l REGION`).".into(),
        }),
        None => {}
    }
    b.findings.extend(findings);
}
