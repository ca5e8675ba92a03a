//! ARM's fixed vocabulary as constants: the resource types, id keywords and
//! api-versions azrelo names in code. Every other crate spells them through
//! here, so a type name is written once and a typo is a compile error.
//!
//! Type names are ARM's canonical spelling (ARM compares them
//! case-insensitively; compare with [`is`] or
//! [`crate::ResourceType::is`], never with `==`).

/// `Microsoft.Resources/resourceGroups`.
pub const RESOURCE_GROUPS: &str = "Microsoft.Resources/resourceGroups";
/// The form Resource Graph reports for resource groups.
pub const SUBSCRIPTION_RESOURCE_GROUPS: &str = "Microsoft.Resources/subscriptions/resourceGroups";
/// `Microsoft.Resources/subscriptions`.
pub const SUBSCRIPTIONS: &str = "Microsoft.Resources/subscriptions";
/// `Microsoft.Resources/deployments` (template deployments).
pub const DEPLOYMENTS: &str = "Microsoft.Resources/deployments";
/// `Microsoft.Authorization/roleAssignments`.
pub const ROLE_ASSIGNMENTS: &str = "Microsoft.Authorization/roleAssignments";
/// `Microsoft.Authorization/roleDefinitions`.
pub const ROLE_DEFINITIONS: &str = "Microsoft.Authorization/roleDefinitions";
/// `Microsoft.Authorization/locks` (management locks).
pub const LOCKS: &str = "Microsoft.Authorization/locks";
/// `Microsoft.Authorization/policyExemptions`.
pub const POLICY_EXEMPTIONS: &str = "Microsoft.Authorization/policyExemptions";
/// `Microsoft.Insights/diagnosticSettings`.
pub const DIAGNOSTIC_SETTINGS: &str = "Microsoft.Insights/diagnosticSettings";
/// `Microsoft.Compute/disks` (managed disks).
pub const DISKS: &str = "Microsoft.Compute/disks";
/// `Microsoft.Compute/snapshots`.
pub const SNAPSHOTS: &str = "Microsoft.Compute/snapshots";
/// `Microsoft.ManagedIdentity/userAssignedIdentities`.
pub const USER_ASSIGNED_IDENTITIES: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";

/// Id keywords (`/subscriptions/{s}/resourceGroups/{rg}/providers/…`).
pub mod keyword {
    /// `subscriptions`.
    pub const SUBSCRIPTIONS: &str = "subscriptions";
    /// `resourceGroups`.
    pub const RESOURCE_GROUPS: &str = "resourceGroups";
    /// `providers`.
    pub const PROVIDERS: &str = "providers";
}

/// The api-versions azrelo calls ARM with for the types it manages itself
/// (resources from the estate use their own, newest-stable, versions).
pub mod api {
    /// `Microsoft.Resources/deployments`: deploy, validate, operations.
    pub const DEPLOYMENTS: &str = "2022-09-01";
    /// `Microsoft.Resources/resourceGroups`.
    pub const RESOURCE_GROUPS: &str = "2021-04-01";
    /// `Microsoft.Authorization/locks`.
    pub const LOCKS: &str = "2016-09-01";
    /// `Microsoft.Compute/snapshots` (incremental snapshots, CopyStart).
    pub const SNAPSHOTS: &str = "2023-04-02";
    /// `Microsoft.Resources/resourceGroups` as a resource of a generated
    /// subscription-scope template.
    pub const RESOURCE_GROUPS_IN_TEMPLATES: &str = "2022-09-01";
    /// `Microsoft.Authorization/roleAssignments` in generated templates.
    pub const ROLE_ASSIGNMENTS: &str = "2022-04-01";
}

/// Whether the type name `t` is `constant` (ARM's case-insensitive compare).
pub fn is(t: &str, constant: &str) -> bool {
    t.eq_ignore_ascii_case(constant)
}

/// Whether `t` names resource groups in either of ARM's spellings.
pub fn is_resource_group(t: &str) -> bool {
    is(t, RESOURCE_GROUPS) || is(t, SUBSCRIPTION_RESOURCE_GROUPS)
}

/// `{scope}/providers/{type}/{name}`: the id of a resource of a
/// single-segment type (a lock, a snapshot, a deployment) at `scope`.
pub fn provider_id(scope: &str, resource_type: &str, name: &str) -> String {
    format!(
        "{}/{}/{resource_type}/{name}",
        scope.trim_end_matches('/'),
        keyword::PROVIDERS
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ResourceId;

    #[test]
    fn type_constants_are_what_ids_report() {
        let rg = ResourceId::parse("/subscriptions/s/resourceGroups/rg").unwrap();
        assert!(is(rg.type_or_scope_type().as_str(), RESOURCE_GROUPS));
        for (t, name) in [(LOCKS, "l"), (SNAPSHOTS, "s"), (DEPLOYMENTS, "d")] {
            let id = ResourceId::parse(&provider_id(rg.as_str(), t, name)).unwrap();
            assert!(is(id.resource_type().unwrap().as_str(), t), "{id}");
        }
        assert!(is_resource_group(
            "microsoft.resources/SUBSCRIPTIONS/resourcegroups"
        ));
        assert!(!is_resource_group(DISKS));
        assert_eq!(
            provider_id("/subscriptions/s/", LOCKS, "l"),
            "/subscriptions/s/providers/Microsoft.Authorization/locks/l"
        );
    }
}
