//! What travels in its parent's template, on realistic exports (`az
//! resource show` bodies).

use azrelo_plan::*;
use serde_json::{Value, json};

mod common;
use common::SUB_ID;

fn plan_of(files: &[(&str, Value)]) -> Plan {
    common::plan_of_exports("rg-sql", files)
}

fn res<'p>(p: &'p Plan, suffix: &str) -> &'p PlannedResource {
    p.resources
        .iter()
        .find(|r| r.source_id.as_str().ends_with(suffix))
        .unwrap_or_else(|| panic!("{suffix} not in the plan"))
}

/// The `sql-with-failover-group` quickstart's shape: a failover group
/// (catalog: moves with its server) lists a database of the same server.
/// Carried in the server's template it was deployed before the database —
/// the plan only *reported* the reference as deferred, nothing removed it —
/// and ARM answered `InvalidResourceReference`. A child that names a
/// sibling deployed on its own is a unit of its own, after that sibling.
#[test]
fn a_child_naming_a_sibling_is_not_carried_with_its_parent_but_deployed_after_the_sibling() {
    let rg = format!("/subscriptions/{SUB_ID}/resourceGroups/rg-sql");
    let primary = format!("{rg}/providers/Microsoft.Sql/servers/sqlprimary7q");
    let secondary = format!("{rg}/providers/Microsoft.Sql/servers/sqlsecondary7q");
    let server = |id: &str, name: &str, location: &str| {
        json!({
            "id": id, "name": name, "type": "Microsoft.Sql/servers", "location": location,
            "kind": "v12.0",
            "properties": {
                "administratorLogin": "sqladmin",
                "version": "12.0",
                "state": "Ready",
                "fullyQualifiedDomainName": format!("{name}.database.windows.net"),
                "publicNetworkAccess": "Enabled"
            }
        })
    };
    let database = json!({
        "id": format!("{primary}/databases/MyData"),
        "name": "MyData",
        "type": "Microsoft.Sql/servers/databases",
        "location": "westeurope",
        "sku": {"name": "GP_Gen5", "tier": "GeneralPurpose", "family": "Gen5", "capacity": 2},
        "kind": "v12.0,user,vcore",
        "properties": {
            "collation": "SQL_Latin1_General_CP1_CI_AS",
            "maxSizeBytes": 34359738368u64,
            "status": "Online",
            "databaseId": "5f2d7a3e-1c4b-4d6e-9f8a-0b1c2d3e4f5a",
            "currentServiceObjectiveName": "GP_Gen5_2",
            "zoneRedundant": false
        }
    });
    let group = json!({
        "id": format!("{primary}/failoverGroups/fg-7q"),
        "name": "fg-7q",
        "type": "Microsoft.Sql/servers/failoverGroups",
        "location": "westeurope",
        "properties": {
            "readWriteEndpoint": {"failoverPolicy": "Automatic", "failoverWithDataLossGracePeriodMinutes": 60},
            "readOnlyEndpoint": {"failoverPolicy": "Disabled"},
            "replicationRole": "Primary",
            "replicationState": "CATCH_UP",
            "partnerServers": [{"id": secondary, "location": "North Europe", "replicationRole": "Secondary"}],
            "databases": [format!("{primary}/databases/MyData")]
        }
    });
    let p = plan_of(&[(
        "resources.json",
        json!({"value": [
            server(&primary, "sqlprimary7q", "westeurope"),
            server(&secondary, "sqlsecondary7q", "westeurope"),
            database,
            group
        ]}),
    )]);
    let fg = res(&p, "/failoverGroups/fg-7q");
    let db = res(&p, "/databases/MyData");
    assert!(fg.action.creates_target(), "{fg:?}");
    assert_eq!(fg.carried_by, None, "carried: deployed before the database");
    assert!(
        fg.wave > db.wave,
        "fg wave {} ≤ db wave {}",
        fg.wave,
        db.wave
    );
    assert!(
        !p.deferred_references
            .iter()
            .any(|d| d.from.as_str().ends_with("/failoverGroups/fg-7q")),
        "{:?}",
        p.deferred_references
    );
}

/// The `azurepolicy-assign-builtinpolicy-resourcegroup` quickstart's shape:
/// a policy assignment on a resource group (an extension resource). The
/// graph has no parent edge from an extension to its scope, so the
/// assignment landed in the group's wave, in another template, and was
/// deployed before the group existed (`ResourceGroupNotFound`). An
/// extension waits for its scope.
#[test]
fn an_extension_resource_is_deployed_after_its_scope() {
    let rg = format!("/subscriptions/{SUB_ID}/resourceGroups/rg-sql");
    let pa =
        format!("{rg}/providers/Microsoft.Authorization/policyAssignments/audit-vm-managed-disks");
    let p = plan_of(&[(
        "resources.json",
        json!({"value": [
            {"id": rg, "name": "rg-sql", "type": "Microsoft.Resources/resourceGroups",
             "location": "westeurope", "properties": {"provisioningState": "Succeeded"}},
            {"id": pa, "name": "audit-vm-managed-disks",
             "type": "Microsoft.Authorization/policyAssignments",
             "properties": {
                 "displayName": "Audit VMs that do not use managed disks",
                 "policyDefinitionId": "/providers/Microsoft.Authorization/policyDefinitions/06a78e20-9358-41c9-923c-fb736d382a4d",
                 "scope": rg,
                 "enforcementMode": "Default"
             }}
        ]}),
    )]);
    let group = p
        .resources
        .iter()
        .find(|r| r.source_id.as_str().eq_ignore_ascii_case(&rg))
        .expect("the group is planned");
    let assignment = res(&p, "/policyAssignments/audit-vm-managed-disks");
    assert!(group.action.creates_target() && assignment.action.creates_target());
    assert!(
        assignment.wave > group.wave,
        "assignment wave {} ≤ group wave {}",
        assignment.wave,
        group.wave
    );
}
