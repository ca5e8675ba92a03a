//! The fleet from live ARM: one Resource Graph query for machines, their
//! extensions, connectors, workspaces and solutions, and GETs of the
//! subscription-level Defender for Cloud settings (Resource Graph keeps
//! pricings and settings in `securityresources`, which the GETs answer
//! authoritatively). Rows and bodies go through `azrelo-estate`'s ingestion,
//! so live and file inputs are read by the same code.

use crate::inventory;
use crate::model::{Fleet, ServersPricing};
use azrelo_client::{ArmClient, ClientError};
use azrelo_estate::{Estate, InputKind, Provenance, ingest};

/// `Microsoft.Security/pricings` — <https://learn.microsoft.com/rest/api/defenderforcloud/pricings>.
pub const API_PRICINGS: &str = "2024-01-01";
/// `Microsoft.Security/settings` (`WDATP`, `WDATP_UNIFIED_SOLUTION`, …) —
/// <https://learn.microsoft.com/rest/api/defenderforcloud/settings>.
pub const API_SETTINGS: &str = "2022-05-01";
/// `Microsoft.Security/serverVulnerabilityAssessmentsSettings` —
/// <https://learn.microsoft.com/rest/api/defenderforcloud/server-vulnerability-assessments-settings>.
pub const API_VA_SETTINGS: &str = "2023-05-01";
/// `Microsoft.Security/securityConnectors` (offerings with
/// `arcAutoProvisioning`, `mdeAutoProvisioning`, `vaAutoProvisioning`).
pub const API_CONNECTORS: &str = "2023-10-01-preview";
/// `Microsoft.OperationsManagement/solutions`.
pub const API_SOLUTIONS: &str = "2015-11-01-preview";

/// Resource providers (`GET /subscriptions/{id}/providers/{namespace}`).
pub const API_PROVIDERS: &str = "2021-04-01";

/// The Resource Graph query of the fleet.
pub const FLEET_QUERY: &str = "resources | where type in~ ('microsoft.compute/virtualmachines', 'microsoft.compute/virtualmachines/extensions', 'microsoft.hybridcompute/machines', 'microsoft.hybridcompute/machines/extensions', 'microsoft.security/securityconnectors', 'microsoft.operationalinsights/workspaces', 'microsoft.operationsmanagement/solutions')";

/// The subscription-level settings GET for each subscription (path, api-version).
pub fn settings_paths(subscription: &str) -> Vec<(String, &'static str)> {
    let base = format!("/subscriptions/{subscription}/providers/Microsoft.Security");
    vec![
        (format!("{base}/pricings/VirtualMachines"), API_PRICINGS),
        (format!("{base}/settings/WDATP"), API_SETTINGS),
        (
            format!("{base}/settings/WDATP_UNIFIED_SOLUTION"),
            API_SETTINGS,
        ),
        (
            format!("{base}/settings/WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW"),
            API_SETTINGS,
        ),
        (
            format!("{base}/serverVulnerabilityAssessmentsSettings/AzureServersSetting"),
            API_VA_SETTINGS,
        ),
    ]
}

/// Read the fleet of some subscriptions from ARM.
pub async fn fleet(client: &ArmClient, subscriptions: &[String]) -> Result<Fleet, ClientError> {
    let mut estate = Estate::new();
    let rows = client.resource_graph(subscriptions, FLEET_QUERY).await?;
    for (i, row) in rows.iter().enumerate() {
        ingest(
            &mut estate,
            row,
            Provenance {
                file: "live".into(),
                path: format!("resource-graph/{i}"),
                kind: InputKind::ResourceGraph,
            },
        );
    }
    for sub in subscriptions {
        for (path, api) in settings_paths(sub) {
            if let Some(body) = client.get(&path, api).await? {
                // Bodies of singletons may come back without an id.
                let mut body = body;
                if body.get("id").is_none() {
                    body["id"] = serde_json::Value::String(path.clone());
                }
                ingest(
                    &mut estate,
                    &body,
                    Provenance {
                        file: "live".into(),
                        path,
                        kind: InputKind::ArmGet,
                    },
                );
            }
        }
    }
    let mut providers: Vec<(String, String, String)> = Vec::new();
    for sub in subscriptions {
        for ns in crate::model::ARC_PROVIDERS {
            let state = client
                .get(
                    &format!("/subscriptions/{sub}/providers/{ns}"),
                    API_PROVIDERS,
                )
                .await?
                .and_then(|b| {
                    b.get("registrationState")
                        .and_then(|s| s.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "NotRegistered".into());
            providers.push((sub.to_ascii_lowercase(), ns.to_ascii_lowercase(), state));
        }
    }
    let mut fleet = inventory::from_estate(&estate);
    // What ARM does not return is not configured: that is an answer, not an unknown.
    for sub in subscriptions {
        let s = fleet
            .subscriptions
            .entry(sub.to_ascii_lowercase())
            .or_insert_with(|| crate::model::SubscriptionSettings {
                subscription: sub.clone(),
                ..Default::default()
            });
        s.servers_pricing.get_or_insert_with(|| ServersPricing {
            pricing_tier: "Free".into(),
            sub_plan: None,
            extensions: Default::default(),
        });
        s.wdatp.get_or_insert(false);
        s.wdatp_unified_solution.get_or_insert(false);
        s.wdatp_exclude_linux.get_or_insert(false);
        s.va_provider.get_or_insert_with(|| "none".into());
    }
    for (sub, ns, state) in providers {
        if let Some(s) = fleet.subscriptions.get_mut(&sub) {
            s.resource_providers.insert(ns, state);
        }
    }
    for w in &mut fleet.workspaces {
        w.security_solution.get_or_insert(false);
    }
    Ok(fleet)
}
