//! Quota and SKU availability in the target, read live (`azrelo assess
//! --live`, executor `quota-check`): what the target subscription offers in
//! the target region (Microsoft.Compute/skus: restrictions such as
//! `NotAvailableForSubscription`, zones per size), what it has used of its
//! quotas (compute usages: `cores` and one per VM family; network usages:
//! public IP addresses) and which resource providers it has registered —
//! compared with what the plan creates there, as findings with the figures.
//! The facts come from ARM's answers as they are ([`SubscriptionCapacity::from_arm`]);
//! reading them is `azrelo-live`'s.

use std::collections::BTreeMap;

use azrelo_catalog::Severity;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Action, Finding, PlannedResource};

/// One VM size in the target region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkuFact {
    pub name: String,
    pub family: String,
    pub vcpus: u64,
    /// Availability zones the size is offered in, in the region.
    pub zones: Vec<String>,
    /// Why it is not available to the subscription (`reasonCode`), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restricted: Option<String>,
}

/// One quota of the target subscription in the region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageFact {
    /// `cores`, a VM family (`standardDSv5Family`), `PublicIPAddresses`, …
    pub name: String,
    pub label: String,
    pub current: u64,
    pub limit: u64,
}

/// What one target subscription offers in the target region.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionCapacity {
    pub subscription: String,
    pub region: String,
    pub skus: Vec<SkuFact>,
    pub usages: Vec<UsageFact>,
    /// Resource provider namespace → registration state.
    pub providers: BTreeMap<String, String>,
}

/// Capacity facts of every target subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapacityFacts {
    pub subscriptions: Vec<SubscriptionCapacity>,
}

impl SubscriptionCapacity {
    /// From ARM's answers: `Resource Skus - List` (`value`), the compute
    /// and network `Usage - List` (`value`) and `Providers - Get` bodies.
    pub fn from_arm(
        subscription: &str,
        region: &str,
        skus: &[Value],
        usages: &[Value],
        providers: &[Value],
    ) -> SubscriptionCapacity {
        let s = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let skus = skus
            .iter()
            .filter(|k| {
                k.get("resourceType")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("virtualMachines"))
            })
            .map(|k| {
                let cap = |n: &str| {
                    k.get("capabilities")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .find(|c| c.get("name").and_then(Value::as_str) == Some(n))
                        .and_then(|c| c.get("value").and_then(Value::as_str))
                        .and_then(|v| v.parse::<u64>().ok())
                };
                let zones = k
                    .get("locationInfo")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|l| {
                        l.get("location").and_then(Value::as_str).is_some_and(|x| {
                            azrelo_arm::region::normalize(x)
                                == azrelo_arm::region::normalize(region)
                        })
                    })
                    .flat_map(|l| {
                        l.get("zones")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default()
                    })
                    .filter_map(|z| z.as_str().map(str::to_string))
                    .collect();
                let restricted = k
                    .get("restrictions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|r| {
                        r.get("type")
                            .and_then(Value::as_str)
                            .is_some_and(|t| t.eq_ignore_ascii_case("Location"))
                    })
                    .map(|r| s(r, "reasonCode"));
                SkuFact {
                    name: s(k, "name"),
                    family: s(k, "family"),
                    vcpus: cap("vCPUs").unwrap_or(0),
                    zones,
                    restricted,
                }
            })
            .collect();
        let usages = usages
            .iter()
            .map(|u| UsageFact {
                name: u
                    .pointer("/name/value")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                label: u
                    .pointer("/name/localizedValue")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                current: u.get("currentValue").and_then(Value::as_u64).unwrap_or(0),
                limit: u.get("limit").and_then(Value::as_u64).unwrap_or(0),
            })
            .collect();
        let providers = providers
            .iter()
            .filter_map(|p| {
                Some((
                    p.get("namespace")?.as_str()?.to_ascii_lowercase(),
                    s(p, "registrationState"),
                ))
            })
            .collect();
        SubscriptionCapacity {
            subscription: subscription.to_ascii_lowercase(),
            region: azrelo_arm::region::normalize(region),
            skus,
            usages,
            providers,
        }
    }

    fn usage(&self, name: &str) -> Option<&UsageFact> {
        self.usages
            .iter()
            .find(|u| u.name.eq_ignore_ascii_case(name))
    }
}

/// What a created VM or scale set needs: (size, instances, zones).
fn compute_need(
    p: &PlannedResource,
    r: &azrelo_estate::Resource,
) -> Option<(String, u64, Vec<String>)> {
    let t = p.resource_type.to_ascii_lowercase();
    if t == "microsoft.compute/virtualmachines" {
        let size = r.properties.pointer("/hardwareProfile/vmSize")?.as_str()?;
        Some((size.to_string(), 1, r.zones.clone()))
    } else if t == "microsoft.compute/virtualmachinescalesets" {
        let sku = r.sku.as_ref()?;
        let size = sku.get("name")?.as_str()?;
        let n = sku.get("capacity").and_then(Value::as_u64).unwrap_or(1);
        Some((size.to_string(), n, r.zones.clone()))
    } else {
        None
    }
}

/// Findings from the live facts for what the plan creates in each target
/// subscription.
pub(crate) fn assess<'a>(
    facts: &CapacityFacts,
    resources: &[PlannedResource],
    body: impl Fn(&PlannedResource) -> Option<&'a azrelo_estate::Resource>,
    target: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let created: Vec<&PlannedResource> = resources
        .iter()
        .filter(|r| matches!(r.action, Action::Move | Action::Recreate) && r.carried_by.is_none())
        .collect();
    // Target subscriptions nothing could be read of (their SKU list failed).
    let mut unread: Vec<String> = created
        .iter()
        .filter_map(|r| r.target_id.subscription_id())
        .map(str::to_ascii_lowercase)
        .filter(|s| {
            !facts
                .subscriptions
                .iter()
                .any(|c| c.subscription.eq_ignore_ascii_case(s))
        })
        .collect();
    unread.sort();
    unread.dedup();
    for s in unread {
        out.push(Finding {
            severity: Severity::Info,
            code: "quota-unknown".into(),
            resource: None,
            message: format!("quota and VM sizes in {target} for subscription {s} could not be read live"),
            remediation: "Check that the identity may read the subscription (Reader), then run `azrelo assess --live` again, or check `az vm list-usage -l REGION`.".into(),
        });
    }
    for cap in &facts.subscriptions {
        let mine: Vec<&&PlannedResource> = created
            .iter()
            .filter(|r| {
                r.target_id
                    .subscription_id()
                    .is_some_and(|s| s.eq_ignore_ascii_case(&cap.subscription))
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        let mut family_need: BTreeMap<String, u64> = BTreeMap::new();
        let mut total = 0u64;
        for p in &mine {
            let Some(r) = body(p) else { continue };
            let Some((size, n, zones)) = compute_need(p, r) else {
                continue;
            };
            let Some(sku) = cap.skus.iter().find(|k| k.name.eq_ignore_ascii_case(&size)) else {
                out.push(Finding {
                    severity: Severity::Blocker,
                    code: "sku-not-offered".into(),
                    resource: Some(p.source_id.to_string()),
                    message: format!(
                        "the VM size {size} is not offered in {target} to subscription {}",
                        cap.subscription
                    ),
                    remediation: "Choose a size the target region offers (`az vm list-skus -l REGION`) and change it in the template before the move.".into(),
                });
                continue;
            };
            if let Some(reason) = &sku.restricted {
                out.push(Finding {
                    severity: Severity::Blocker,
                    code: "sku-restricted".into(),
                    resource: Some(p.source_id.to_string()),
                    message: format!(
                        "the VM size {size} is restricted in {target} for subscription {} ({reason})",
                        cap.subscription
                    ),
                    remediation: "Request access to the size in the region (a support request for a restricted region or SKU), or choose another size.".into(),
                });
            }
            let missing: Vec<&String> = zones.iter().filter(|z| !sku.zones.contains(z)).collect();
            if !missing.is_empty() {
                out.push(Finding {
                    severity: Severity::Blocker,
                    code: "sku-zone-unavailable".into(),
                    resource: Some(p.source_id.to_string()),
                    message: format!(
                        "the VM size {size} is not offered in zone(s) {} of {target} (offered: {})",
                        missing
                            .iter()
                            .map(|z| z.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        if sku.zones.is_empty() {
                            "no zones".to_string()
                        } else {
                            sku.zones.join(", ")
                        }
                    ),
                    remediation: "Choose zones the size is offered in, or another size.".into(),
                });
            }
            *family_need.entry(sku.family.clone()).or_default() += sku.vcpus * n;
            total += sku.vcpus * n;
        }
        let mut figures = Vec::new();
        let mut check = |name: &str, label: &str, need: u64| {
            if need == 0 {
                return;
            }
            let Some(u) = cap.usage(name) else {
                figures.push(format!("{label}: {need} needed, quota not reported"));
                return;
            };
            let free = u.limit.saturating_sub(u.current);
            figures.push(format!(
                "{label}: {need} needed, {} of {} used",
                u.current, u.limit
            ));
            if need > free {
                out.push(Finding {
                    severity: Severity::Blocker,
                    code: "quota-insufficient".into(),
                    resource: None,
                    message: format!(
                        "{label} in {target} (subscription {}): the move needs {need}, {free} are left ({} of {} used)",
                        cap.subscription, u.current, u.limit
                    ),
                    remediation: "Request a quota increase for the target region before preparing the move (Azure portal: Quotas, or a support request).".into(),
                });
            }
        };
        check("cores", "Total regional vCPUs", total);
        for (family, need) in &family_need {
            check(family, &format!("{family} vCPUs"), *need);
        }
        let ips = mine
            .iter()
            .filter(|p| {
                p.resource_type
                    .eq_ignore_ascii_case("Microsoft.Network/publicIPAddresses")
            })
            .count() as u64;
        check("PublicIPAddresses", "Public IP addresses", ips);
        // Providers the plan deploys into the subscription.
        let mut namespaces: Vec<String> = mine
            .iter()
            .filter_map(|p| {
                p.resource_type
                    .split('/')
                    .next()
                    .map(str::to_ascii_lowercase)
            })
            .filter(|ns| ns != "microsoft.resources" && ns != "microsoft.authorization")
            .collect();
        namespaces.sort();
        namespaces.dedup();
        for ns in &namespaces {
            match cap.providers.get(ns) {
                Some(st) if st.eq_ignore_ascii_case("Registered") => {}
                Some(st) => out.push(Finding {
                    severity: Severity::Warning,
                    code: "provider-not-registered".into(),
                    resource: None,
                    message: format!(
                        "resource provider {ns} is {st} in subscription {}",
                        cap.subscription
                    ),
                    remediation: format!("Register it before the move: `az provider register --namespace {ns} --subscription {}`.", cap.subscription),
                }),
                None => {}
            }
        }
        out.push(Finding {
            severity: Severity::Info,
            code: "quota".into(),
            resource: None,
            message: format!(
                "quota in {target} for subscription {} (read live): {}",
                cap.subscription,
                if figures.is_empty() {
                    "nothing the plan creates counts against the compute and network quotas".to_string()
                } else {
                    figures.join("; ")
                }
            ),
            remediation: "Service-specific limits (storage accounts, SQL DTUs, …) are not read: check them for the services the plan creates.".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arm_answers_become_facts() {
        let skus = [
            json!({
                "resourceType": "virtualMachines", "name": "Standard_D2s_v5", "family": "standardDSv5Family",
                "locationInfo": [{"location": "swedencentral", "zones": ["1", "2"]}],
                "capabilities": [{"name": "vCPUs", "value": "2"}],
                "restrictions": [{"type": "Location", "reasonCode": "NotAvailableForSubscription"}]
            }),
            json!({"resourceType": "disks", "name": "Premium_LRS"}),
        ];
        let usages = [
            json!({"name": {"value": "cores", "localizedValue": "Total Regional vCPUs"}, "currentValue": 4, "limit": 10}),
        ];
        let providers =
            [json!({"namespace": "Microsoft.Compute", "registrationState": "Registered"})];
        let c = SubscriptionCapacity::from_arm("SUB", "Sweden Central", &skus, &usages, &providers);
        assert_eq!(c.skus.len(), 1);
        assert_eq!(c.skus[0].vcpus, 2);
        assert_eq!(c.skus[0].zones, ["1", "2"]);
        assert_eq!(
            c.skus[0].restricted.as_deref(),
            Some("NotAvailableForSubscription")
        );
        assert_eq!(
            c.usage("CORES").map(|u| (u.current, u.limit)),
            Some((4, 10))
        );
        assert_eq!(c.providers["microsoft.compute"], "Registered");
        assert_eq!(c.region, "swedencentral");
    }
}
