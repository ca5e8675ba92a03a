//! The generator's manifest (`templates/manifest.json`, schema
//! `azrelo.manifest/v1`): the deployments in order with their scope, files
//! and `az` command, what was not generated and why, and the change list per
//! resource. [`Generated::manifest`] writes it; the orchestrator reads the
//! same type back, so the plan directory's contract is this one struct.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::{Change, Generated};

/// The manifest's schema id.
pub const SCHEMA: &str = "azrelo.manifest/v1";

/// `templates/manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// [`SCHEMA`].
    pub schema: String,
    pub target_region: String,
    /// In deployment order (waves ascending).
    pub deployments: Vec<ManifestEntry>,
    /// Resources the plan creates that were not generated, and why.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// What was removed or replaced, per source id.
    #[serde(default)]
    pub changes: IndexMap<String, Vec<Change>>,
}

/// A manifest line: one deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestEntry {
    pub order: usize,
    pub name: String,
    pub wave: u32,
    pub scope: DeploymentScope,
    pub template_file: String,
    pub parameters_file: String,
    /// How many resources it creates.
    pub resources: usize,
    pub secure_parameters: Vec<String>,
    /// Parameters azrelo fills at run time (principal ids of recreated
    /// identities), each with what fills it: the orchestrator reads this
    /// record, never a parameter's name. Someone deploying the template by
    /// hand supplies them (the template's parameter description says what).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub run_parameters: Vec<crate::RunParameter>,
    /// The `az` command that deploys it.
    pub command: String,
}

/// A resource the plan creates that the generator did not template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Its source id.
    pub resource: String,
    pub reason: String,
}

/// Where a deployment goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum DeploymentScope {
    /// `az deployment sub create -l LOCATION`.
    Subscription {
        subscription_id: String,
        location: String,
    },
    /// `az deployment group create -g RESOURCE_GROUP`.
    ResourceGroup {
        subscription_id: String,
        resource_group: String,
    },
}

impl DeploymentScope {
    /// The deployment scope's id: `/subscriptions/S` or
    /// `/subscriptions/S/resourceGroups/RG`.
    pub fn id(&self) -> String {
        match self {
            DeploymentScope::Subscription {
                subscription_id, ..
            } => format!("/subscriptions/{subscription_id}"),
            DeploymentScope::ResourceGroup {
                subscription_id,
                resource_group,
            } => format!("/subscriptions/{subscription_id}/resourceGroups/{resource_group}"),
        }
    }

    /// The location of a subscription-scope deployment.
    pub fn location(&self) -> Option<&str> {
        match self {
            DeploymentScope::Subscription { location, .. } => Some(location),
            DeploymentScope::ResourceGroup { .. } => None,
        }
    }
}

impl Generated {
    /// The manifest: deployments in order with their commands, what was
    /// not generated and why, and the change list per resource.
    pub fn manifest(&self) -> Manifest {
        let deployments = self
            .deployments
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let (t, p) = (format!("{}.json", d.name), format!("{}.parameters.json", d.name));
                let command = match &d.scope {
                    DeploymentScope::Subscription {
                        subscription_id,
                        location,
                    } => format!(
                        "az deployment sub create --subscription {subscription_id} -l {location} -n {} --template-file {t} --parameters @{p}",
                        d.name
                    ),
                    DeploymentScope::ResourceGroup {
                        subscription_id,
                        resource_group,
                    } => format!(
                        "az deployment group create --subscription {subscription_id} -g {resource_group} -n {} --template-file {t} --parameters @{p}",
                        d.name
                    ),
                };
                ManifestEntry {
                    order: i + 1,
                    name: d.name.clone(),
                    wave: d.wave,
                    scope: d.scope.clone(),
                    template_file: t,
                    parameters_file: p,
                    resources: d.resources.len(),
                    secure_parameters: d.secure_parameters.clone(),
                    run_parameters: d.run_parameters.clone(),
                    command,
                }
            })
            .collect();
        Manifest {
            schema: SCHEMA.to_string(),
            target_region: self.target_region.clone(),
            deployments,
            skipped: self
                .skipped
                .iter()
                .map(|(resource, reason)| Skipped {
                    resource: resource.clone(),
                    reason: reason.clone(),
                })
                .collect(),
            changes: self.changes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_as_written() {
        let m = Manifest {
            schema: SCHEMA.into(),
            target_region: "northeurope".into(),
            deployments: vec![ManifestEntry {
                order: 1,
                name: "w01-rg".into(),
                wave: 1,
                scope: DeploymentScope::ResourceGroup {
                    subscription_id: "s".into(),
                    resource_group: "rg".into(),
                },
                template_file: "w01-rg.json".into(),
                parameters_file: "w01-rg.parameters.json".into(),
                resources: 2,
                secure_parameters: vec!["p".into()],
                run_parameters: vec![crate::RunParameter {
                    name: "principalId_id1".into(),
                    value: crate::RunValue::PrincipalId {
                        identity: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1".into(),
                    },
                }],
                command: "az deployment group create".into(),
            }],
            skipped: vec![Skipped {
                resource: "/x".into(),
                reason: "manual".into(),
            }],
            changes: IndexMap::new(),
        };
        let text = serde_json::to_string(&m).unwrap();
        assert!(text.contains(r#""kind":"resourceGroup""#), "{text}");
        assert!(text.contains(r#""templateFile":"w01-rg.json""#), "{text}");
        assert!(text.contains(r#""kind":"principalId""#), "{text}");
        let back: Manifest = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            back.deployments[0].scope.id(),
            "/subscriptions/s/resourceGroups/rg"
        );
    }
}
