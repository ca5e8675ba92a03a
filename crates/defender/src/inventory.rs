//! Building the [`Fleet`] from an estate (files read by `azrelo-estate`, or
//! live rows and GET bodies ingested the same way) plus Defender device lists.
//!
//! Shapes read (ARM GET / Resource Graph):
//! * `Microsoft.Compute/virtualMachines`: `properties.storageProfile.osDisk.osType`,
//!   `imageReference` (offer/sku), instance view `osName`/`osVersion`
//!   (`properties.instanceView` with `$expand=instanceView`,
//!   `properties.extended.instanceView` in Resource Graph), `osProfile.computerName`, `vmId`.
//! * `Microsoft.HybridCompute/machines`: `status` (`Connected`, `Disconnected`,
//!   `Error`, `Expired`), `agentVersion`, `lastStatusChange`, `osName`,
//!   `osType`, `osSku`, `osVersion`, `cloudMetadata.provider`, inline
//!   `extensions` (instance views) — <https://learn.microsoft.com/rest/api/hybridcompute/machines/get>.
//! * `…/extensions` children of both: `publisher`, `type`, `provisioningState`,
//!   `settings.workspaceId`.
//! * `Microsoft.Security/pricings/VirtualMachines` (`pricingTier`, `subPlan`,
//!   `extensions[].isEnabled`), `Microsoft.Security/settings/WDATP` and
//!   `WDATP_UNIFIED_SOLUTION` (`kind: DataExportSettings`, `enabled`),
//!   `Microsoft.Security/serverVulnerabilityAssessmentsSettings/AzureServersSetting`
//!   (`selectedProvider`), `Microsoft.Security/securityConnectors`
//!   (`environmentName`, `hierarchyIdentifier`, `offerings[]`).
//! * `Microsoft.OperationalInsights/workspaces` (`customerId`) and
//!   `Microsoft.OperationsManagement/solutions` named `Security(<workspace>)`.

use crate::model::*;
use crate::os::{self, OsType};
use azrelo_estate::{Estate, Resource};
use serde_json::Value;
use std::collections::HashMap;

fn lower_type(r: &Resource) -> String {
    r.resource_type.to_ascii_lowercase()
}

fn source_of(r: &Resource) -> String {
    r.provenance
        .first()
        .map(|p| p.file.clone())
        .unwrap_or_else(|| "live".to_string())
}

fn extension_from(r: &Resource) -> Extension {
    let p = &r.properties;
    Extension {
        name: r.id.name().unwrap_or_default().to_string(),
        ext_type: str_at(p, "/type")
            .or_else(|| str_at(p, "/virtualMachineExtensionType"))
            .unwrap_or_else(|| r.id.name().unwrap_or_default())
            .to_string(),
        publisher: str_at(p, "/publisher").map(str::to_string),
        provisioning_state: str_at(p, "/provisioningState").map(str::to_string),
        workspace_id: str_at(p, "/settings/workspaceId").map(str::to_string),
    }
}

fn tag_value(r: &Resource, keys: &[&str]) -> Option<String> {
    r.tags
        .iter()
        .find(|(k, _)| keys.iter().any(|x| k.eq_ignore_ascii_case(x)))
        .map(|(_, v)| v.clone())
}

/// The fleet described by an estate (devices are added by the caller).
pub fn from_estate(estate: &Estate) -> Fleet {
    let mut fleet = Fleet::default();
    // Extensions by parent machine id (lower case).
    let mut extensions: HashMap<String, Vec<Extension>> = HashMap::new();
    for r in &estate.resources {
        let t = lower_type(r);
        if (t == "microsoft.compute/virtualmachines/extensions"
            || t == "microsoft.hybridcompute/machines/extensions")
            && let Some(parent) = r.id.parent()
        {
            extensions
                .entry(parent.as_str().to_ascii_lowercase())
                .or_default()
                .push(extension_from(r));
        }
    }
    let any_solutions = estate
        .resources
        .iter()
        .any(|r| lower_type(r) == "microsoft.operationsmanagement/solutions");
    let mut security_solutions: Vec<String> = Vec::new();
    for r in &estate.resources {
        if lower_type(r) != "microsoft.operationsmanagement/solutions" {
            continue;
        }
        let name = r.id.name().unwrap_or_default().to_ascii_lowercase();
        let product = r
            .plan
            .as_ref()
            .and_then(|p| str_at(p, "/product"))
            .unwrap_or_default()
            .to_ascii_lowercase();
        if (name.starts_with("security(") || product == "omsgallery/security")
            && let Some(ws) = str_at(&r.properties, "/workspaceResourceId")
        {
            security_solutions.push(ws.to_ascii_lowercase());
        }
    }
    for r in &estate.resources {
        let t = lower_type(r);
        let sub = r.id.subscription_id().unwrap_or_default().to_string();
        match t.as_str() {
            "microsoft.compute/virtualmachines" => {
                let mut m = vm(r);
                m.extensions = extensions
                    .remove(&r.id.as_str().to_ascii_lowercase())
                    .unwrap_or_default();
                fleet.machines.push(m);
            }
            "microsoft.hybridcompute/machines" => {
                let mut m = arc(r);
                m.extensions.extend(
                    extensions
                        .remove(&r.id.as_str().to_ascii_lowercase())
                        .unwrap_or_default(),
                );
                dedup_extensions(&mut m.extensions);
                fleet.machines.push(m);
            }
            "microsoft.security/pricings" => {
                // Subscription-level plans only (resource-level pricings sit on a VM scope).
                if r.id.resource_group().is_some()
                    || r.id.scope().is_some_and(|s| s.resource_group().is_some())
                {
                    continue;
                }
                if !r
                    .id
                    .name()
                    .is_some_and(|n| n.eq_ignore_ascii_case("VirtualMachines"))
                {
                    continue;
                }
                let p = &r.properties;
                let extensions = p
                    .get("extensions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|e| {
                        Some((
                            str_at(e, "/name")?.to_string(),
                            bool_at(e, "/isEnabled").unwrap_or(false),
                        ))
                    })
                    .collect();
                settings(&mut fleet, &sub).servers_pricing = Some(ServersPricing {
                    pricing_tier: str_at(p, "/pricingTier").unwrap_or("Free").to_string(),
                    sub_plan: str_at(p, "/subPlan").map(str::to_string),
                    extensions,
                });
            }
            "microsoft.security/settings" => {
                let name = r.id.name().unwrap_or_default();
                let enabled = bool_at(&r.properties, "/enabled");
                let s = settings(&mut fleet, &sub);
                if name.eq_ignore_ascii_case("WDATP") {
                    s.wdatp = enabled.or(Some(false));
                } else if name.eq_ignore_ascii_case("WDATP_UNIFIED_SOLUTION") {
                    s.wdatp_unified_solution = enabled.or(Some(false));
                } else if name.eq_ignore_ascii_case("WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW") {
                    s.wdatp_exclude_linux = enabled.or(Some(false));
                }
            }
            "microsoft.security/servervulnerabilityassessmentssettings" => {
                let provider = str_at(&r.properties, "/selectedProvider").unwrap_or("none");
                settings(&mut fleet, &sub).va_provider = Some(provider.to_string());
            }
            "microsoft.security/securityconnectors" => {
                if let Some(c) = connector(r) {
                    fleet.connectors.push(c);
                }
            }
            "microsoft.operationalinsights/workspaces" => {
                let id_l = r.id.as_str().to_ascii_lowercase();
                fleet.workspaces.push(Workspace {
                    id: r.id.as_str().to_string(),
                    name: r.name.clone(),
                    subscription: sub.clone(),
                    resource_group: r.id.resource_group().unwrap_or_default().to_string(),
                    location: r.location.clone(),
                    customer_id: str_at(&r.properties, "/customerId").map(str::to_string),
                    security_solution: if security_solutions.contains(&id_l) {
                        Some(true)
                    } else if any_solutions {
                        Some(false)
                    } else {
                        None
                    },
                });
            }
            _ => {}
        }
    }
    // Every subscription holding machines or connectors gets an entry (unknown settings).
    let subs: Vec<String> = fleet
        .machines
        .iter()
        .filter_map(|m| m.subscription.clone())
        .chain(fleet.connectors.iter().map(|c| c.subscription.clone()))
        .collect();
    for s in subs {
        settings(&mut fleet, &s);
    }
    for (parent, exts) in extensions {
        fleet.warnings.push(format!(
            "{} extension record(s) of {parent}, which is not in the inputs, were ignored",
            exts.len()
        ));
    }
    fleet
        .warnings
        .extend(estate.warnings.iter().map(|w| w.to_string()));
    fleet
}

fn dedup_extensions(exts: &mut Vec<Extension>) {
    let mut seen = std::collections::HashSet::new();
    // Extension records (with a provisioning state) come after inline instance
    // views; keep the richer, later one.
    let mut out: Vec<Extension> = Vec::new();
    for e in exts.drain(..).rev() {
        if seen.insert(e.ext_type.to_ascii_lowercase()) {
            out.push(e);
        }
    }
    out.reverse();
    *exts = out;
}

fn settings<'a>(fleet: &'a mut Fleet, sub: &str) -> &'a mut SubscriptionSettings {
    fleet
        .subscriptions
        .entry(sub.to_ascii_lowercase())
        .or_insert_with(|| SubscriptionSettings {
            subscription: sub.to_string(),
            ..Default::default()
        })
}

fn vm(r: &Resource) -> Machine {
    let p = &r.properties;
    let iv = p
        .get("instanceView")
        .or_else(|| p.pointer("/extended/instanceView"))
        .cloned()
        .unwrap_or(Value::Null);
    let iv_os = [str_at(&iv, "/osName"), str_at(&iv, "/osVersion")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let image = [
        str_at(p, "/storageProfile/imageReference/offer"),
        str_at(p, "/storageProfile/imageReference/sku"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let disk_type = str_at(p, "/storageProfile/osDisk/osType").unwrap_or_default();
    let product = os::recognise(&[&iv_os, &image]);
    let os_type = match OsType::parse(disk_type) {
        OsType::Unknown => product
            .as_ref()
            .map(|p| p.family.os_type())
            .unwrap_or(OsType::Unknown),
        t => t,
    };
    let reported = [iv_os.as_str(), image.as_str(), disk_type]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or("unknown")
        .to_string();
    Machine {
        id: r.id.as_str().to_string(),
        name: r.name.clone(),
        kind: MachineKind::AzureVm,
        hosting: Hosting::Azure,
        subscription: r.id.subscription_id().map(str::to_string),
        resource_group: r.id.resource_group().map(str::to_string),
        location: r.location.clone(),
        computer_name: str_at(p, "/osProfile/computerName")
            .or_else(|| str_at(&iv, "/computerName"))
            .map(str::to_string),
        vm_id: str_at(p, "/vmId").map(str::to_string),
        os: OsInfo {
            os_type,
            product,
            reported,
        },
        arc_status: None,
        arc_agent_version: None,
        last_status_change: None,
        cloud_account: None,
        extensions: Vec::new(),
        source: source_of(r),
    }
}

fn arc(r: &Resource) -> Machine {
    let p = &r.properties;
    let os_name = str_at(p, "/osName").unwrap_or_default();
    let os_sku = str_at(p, "/osSku").unwrap_or_default();
    let os_version = str_at(p, "/osVersion").unwrap_or_default();
    let os_type_s = str_at(p, "/osType").unwrap_or(os_name);
    let os_type = OsType::parse(os_type_s);
    // `osName` is "windows"/"linux" in current API versions and the product
    // name in older ones; a bare Windows build still identifies the release.
    let with_version = format!("{os_name} {os_version}");
    let windows_build = if os_type == OsType::Windows {
        format!("windows server {os_version}")
    } else {
        String::new()
    };
    let product = os::recognise(&[os_sku, &with_version, &windows_build]);
    let os_type = match os_type {
        OsType::Unknown => product
            .as_ref()
            .map(|p| p.family.os_type())
            .unwrap_or(OsType::Unknown),
        t => t,
    };
    let reported = if !os_sku.is_empty() {
        os_sku.to_string()
    } else {
        with_version.trim().to_string()
    };
    let provider = str_at(p, "/cloudMetadata/provider")
        .or_else(|| str_at(p, "/detectedProperties/cloudprovider"))
        .unwrap_or_default();
    let hosting = match Hosting::parse_cloud(provider) {
        Some(h @ (Hosting::Aws | Hosting::Gcp)) => h,
        _ => Hosting::OnPremises,
    };
    let inline = p
        .get("extensions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some(Extension {
                name: str_at(e, "/name")?.to_string(),
                ext_type: str_at(e, "/type")
                    .or_else(|| str_at(e, "/name"))?
                    .to_string(),
                publisher: None,
                provisioning_state: None,
                workspace_id: None,
            })
        })
        .collect();
    let computer = str_at(p, "/osProfile/computerName")
        .or_else(|| str_at(p, "/machineFqdn"))
        .or_else(|| str_at(p, "/dnsFqdn"))
        .or_else(|| str_at(p, "/displayName"))
        .map(str::to_string);
    Machine {
        id: r.id.as_str().to_string(),
        name: r.name.clone(),
        kind: MachineKind::ArcServer,
        hosting,
        subscription: r.id.subscription_id().map(str::to_string),
        resource_group: r.id.resource_group().map(str::to_string),
        location: r.location.clone(),
        computer_name: computer,
        vm_id: str_at(p, "/vmId").map(str::to_string),
        os: OsInfo {
            os_type,
            product,
            reported: if reported.is_empty() {
                "unknown".into()
            } else {
                reported
            },
        },
        arc_status: str_at(p, "/status").map(str::to_string),
        arc_agent_version: str_at(p, "/agentVersion").map(str::to_string),
        last_status_change: str_at(p, "/lastStatusChange").map(str::to_string),
        cloud_account: tag_value(
            r,
            &[
                "AccountId",
                "awsAccountId",
                "aws:accountId",
                "ProjectId",
                "gcpProjectId",
                "ProjectNumber",
            ],
        ),
        extensions: inline,
        source: source_of(r),
    }
}

fn connector(r: &Resource) -> Option<Connector> {
    let p = &r.properties;
    let env = str_at(p, "/environmentName").unwrap_or_default();
    let hosting = match Hosting::parse_cloud(env) {
        Some(h @ (Hosting::Aws | Hosting::Gcp)) => h,
        _ => return None, // DevOps and Azure connectors protect no servers
    };
    let offerings: Vec<&Value> = p
        .get("offerings")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let servers = offerings
        .iter()
        .find(|o| {
            str_at(o, "/offeringType").is_some_and(|t| {
                t.eq_ignore_ascii_case("DefenderForServersAws")
                    || t.eq_ignore_ascii_case("DefenderForServersGcp")
            })
        })
        .map(|o| ServersOffering {
            offering_type: str_at(o, "/offeringType").unwrap_or_default().to_string(),
            sub_plan: str_at(o, "/subPlan/type")
                .or_else(|| str_at(o, "/subPlan"))
                .map(str::to_string),
            arc_auto_provisioning: bool_at(o, "/arcAutoProvisioning/enabled").unwrap_or(false),
            mde_auto_provisioning: bool_at(o, "/mdeAutoProvisioning/enabled").unwrap_or(false),
            va_auto_provisioning: bool_at(o, "/vaAutoProvisioning/enabled").unwrap_or(false),
            va_type: str_at(o, "/vaAutoProvisioning/configuration/type").map(str::to_string),
        });
    Some(Connector {
        id: r.id.as_str().to_string(),
        name: r.name.clone(),
        subscription: r.id.subscription_id().unwrap_or_default().to_string(),
        hosting,
        hierarchy_identifier: str_at(p, "/hierarchyIdentifier").map(str::to_string),
        servers,
        offerings: offerings
            .iter()
            .filter_map(|o| str_at(o, "/offeringType").map(str::to_string))
            .collect(),
    })
}
