//! Role assignments to recreate, on realistic exports (`az resource show`
//! bodies and `az role assignment list` rows).

use azrelo_plan::*;
use serde_json::{Value, json};

mod common;
use common::SUB_ID;

fn plan_of(files: &[(&str, Value)]) -> Plan {
    common::plan_of_exports("rg-agent", files)
}

/// The `network-secured-agent` quickstart's shape: its template assigns
/// "Search Index Data Contributor" on the search service to the agent's
/// user-assigned identity twice, under two names. ARM refuses a second
/// assignment with the same principal, role and scope under another name
/// (`RoleAssignmentExists`; Azure/bicep discussion #19690), and the
/// target name azrelo derives is the same for both, so the generator wrote
/// one assignment twice. The plan recreates it once and says why for the
/// other.
#[test]
fn two_source_assignments_of_one_principal_role_and_scope_are_one_target_assignment() {
    let rg = format!("/subscriptions/{SUB_ID}/resourceGroups/rg-agent");
    let identity = format!(
        "{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/secured-agents-identity"
    );
    let search = format!("{rg}/providers/Microsoft.Search/searchServices/agent-ai-search62tn");
    let principal = "0af55a62-1e8d-5c4e-9c8c-d27ccdf6c14e";
    let resources = json!({"value": [
        {
            "id": identity,
            "name": "secured-agents-identity",
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
            "location": "westeurope",
            "properties": {
                "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
                "principalId": principal,
                "clientId": "9d3c1e55-7a41-4f6a-b0d2-3e5f8a1c2b4d"
            }
        },
        {
            "id": search,
            "name": "agent-ai-search62tn",
            "type": "Microsoft.Search/searchServices",
            "location": "westeurope",
            "sku": {"name": "standard"},
            "properties": {
                "replicaCount": 1,
                "partitionCount": 1,
                "hostingMode": "default",
                "publicNetworkAccess": "disabled",
                "provisioningState": "succeeded",
                "status": "running"
            }
        }
    ]});
    let role = format!(
        "/subscriptions/{SUB_ID}/providers/Microsoft.Authorization/roleDefinitions/8ebe5a00-799e-43f5-93ac-243d3dce84a7"
    );
    let assignment = |name: &str| {
        json!({
            "id": format!("{search}/providers/Microsoft.Authorization/roleAssignments/{name}"),
            "name": name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {
                "roleDefinitionId": role,
                "principalId": principal,
                "principalType": "ServicePrincipal",
                "scope": search,
            }
        })
    };
    let first = "1599fa3d-e781-5b8f-ba78-0ac682c8fe05";
    let second = "4637f81b-7c33-5c91-8f1f-3b6ab02394d0";
    let p = plan_of(&[
        ("resources.json", resources),
        (
            "role-assignments.json",
            json!([assignment(first), assignment(second)]),
        ),
    ]);
    let on_search: Vec<&RoleAssignmentPlan> = p
        .role_assignments
        .iter()
        .filter(|ra| ra.source_scope.eq_ignore_ascii_case(&search))
        .collect();
    assert_eq!(on_search.len(), 1, "{on_search:#?}");
    assert!(on_search[0].source_id.ends_with(first));
    let names: std::collections::HashSet<String> = p
        .role_assignments
        .iter()
        .map(|ra| format!("{}/{}", ra.target_scope, ra.target_name).to_ascii_lowercase())
        .collect();
    assert_eq!(names.len(), p.role_assignments.len(), "a target twice");
    let f = p
        .findings
        .iter()
        .find(|f| f.code == "role-assignment-duplicate")
        .expect("a finding for the second assignment");
    assert_eq!(f.severity, Severity::Info);
    assert!(f.resource.as_deref().is_some_and(|r| r.ends_with(second)));
    assert!(f.message.contains(first), "{}", f.message);
}
