use super::*;

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001";

fn p(s: &str) -> ResourceId {
    ResourceId::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn scopes() {
    assert_eq!(p("/").kind(), IdKind::Tenant);
    assert_eq!(p(SUB).kind(), IdKind::Subscription);
    assert_eq!(p(SUB).name(), Some("00000000-0000-0000-0000-000000000001"));
    let rg = p(&format!("{SUB}/resourceGroups/rg1"));
    assert_eq!(rg.kind(), IdKind::ResourceGroup);
    assert_eq!(rg.name(), Some("rg1"));
    assert_eq!(rg.parent().unwrap(), p(SUB));
    let mg = p("/providers/Microsoft.Management/managementGroups/mg1");
    assert_eq!(mg.kind(), IdKind::ManagementGroup);
    assert_eq!(mg.management_group(), Some("mg1"));
    assert_eq!(mg.resource_type(), None);
}

#[test]
fn nested_children() {
    let id = p(&format!(
        "{SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/db1/backupShortTermRetentionPolicies/default"
    ));
    assert_eq!(id.kind(), IdKind::Resource);
    assert_eq!(
        id.resource_type().unwrap().as_str(),
        "Microsoft.Sql/servers/databases/backupShortTermRetentionPolicies"
    );
    assert_eq!(id.full_name().unwrap(), "s1/db1/default");
    let db = id.parent().unwrap();
    assert_eq!(db.name(), Some("db1"));
    let server = db.parent().unwrap();
    assert_eq!(
        server.resource_type().unwrap().as_str(),
        "Microsoft.Sql/servers"
    );
    assert_eq!(server.parent().unwrap().kind(), IdKind::ResourceGroup);
}

#[test]
fn extension_on_child_resource() {
    let subnet =
        format!("{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s");
    let id = p(&format!(
        "{subnet}/providers/Microsoft.Authorization/roleAssignments/1f2e3d4c-0000-0000-0000-000000000000"
    ));
    assert_eq!(id.kind(), IdKind::Extension);
    assert_eq!(id.provider_namespace(), Some("Microsoft.Authorization"));
    assert_eq!(
        id.resource_type().unwrap().as_str(),
        "Microsoft.Authorization/roleAssignments"
    );
    assert_eq!(id.scope().unwrap(), p(&subnet));
    assert_eq!(id.parent().unwrap(), p(&subnet));
    assert_eq!(id.resource_group(), Some("rg"));
}

#[test]
fn extension_on_scopes() {
    let lock = p(&format!(
        "{SUB}/resourceGroups/rg/providers/Microsoft.Authorization/locks/l1"
    ));
    assert_eq!(lock.kind(), IdKind::Extension);
    assert_eq!(lock.scope().unwrap().kind(), IdKind::ResourceGroup);
    let ra = p(&format!(
        "{SUB}/providers/Microsoft.Authorization/roleAssignments/abc"
    ));
    assert_eq!(ra.kind(), IdKind::Extension);
    assert_eq!(ra.scope().unwrap().kind(), IdKind::Subscription);
    let pricing = p(&format!(
        "{SUB}/providers/Microsoft.Security/pricings/VirtualMachines"
    ));
    assert_eq!(pricing.kind(), IdKind::Resource);
    assert_eq!(pricing.parent().unwrap().kind(), IdKind::Subscription);
    let pa = p(
        "/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/policyAssignments/pa",
    );
    assert_eq!(pa.kind(), IdKind::Extension);
    assert_eq!(pa.scope().unwrap().kind(), IdKind::ManagementGroup);
    let tenant_rd = p(
        "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
    );
    assert_eq!(tenant_rd.kind(), IdKind::Resource);
    assert_eq!(tenant_rd.parent().unwrap().kind(), IdKind::Tenant);
    // Child of an extension resource.
    let child = p(&format!(
        "{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/a/reports/r1"
    ));
    assert_eq!(child.kind(), IdKind::Extension);
    assert_eq!(
        child.resource_type().unwrap().as_str(),
        "Microsoft.GuestConfiguration/guestConfigurationAssignments/reports"
    );
    assert_eq!(child.parent().unwrap().name(), Some("a"));
    assert_eq!(child.scope().unwrap().name(), Some("vm"));
}

#[test]
fn case_insensitive_eq_hash_and_display() {
    use std::collections::HashSet;
    let a = p(&format!(
        "{SUB}/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/KV1"
    ));
    let b = p(&a.as_str().to_lowercase());
    assert_eq!(a, b);
    let set: HashSet<_> = [a.clone(), b.clone()].into_iter().collect();
    assert_eq!(set.len(), 1);
    assert!(a.to_string().contains("KV1"));
    assert_eq!(a.cmp(&b), Ordering::Equal);
}

#[test]
fn errors_are_precise() {
    assert_eq!(ResourceId::parse(""), Err(IdError::Empty));
    assert!(matches!(
        ResourceId::parse("subscriptions/x"),
        Err(IdError::NoLeadingSlash { .. })
    ));
    let e = ResourceId::parse("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Web/sites")
        .unwrap_err();
    assert!(e.to_string().contains("resource name"), "{e}");
    let e = ResourceId::parse("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Web")
        .unwrap_err();
    assert!(e.to_string().contains("resource type"), "{e}");
    let e = ResourceId::parse("/subscriptions/x//rg").unwrap_err();
    assert!(
        matches!(e, IdError::EmptySegment { position: 3, .. }),
        "{e}"
    );
    // One trailing slash is tolerated and dropped; two are not.
    assert_eq!(
        p("/subscriptions/x/resourceGroups/rg/").as_str(),
        "/subscriptions/x/resourceGroups/rg"
    );
    let e = ResourceId::parse("/subscriptions/x/resourceGroups/rg//").unwrap_err();
    assert!(matches!(e, IdError::EmptySegment { .. }), "{e}");
    let e = ResourceId::parse("/subscriptions/x/locations/westeurope").unwrap_err();
    assert!(
        e.to_string().contains("'resourceGroups' or 'providers'"),
        "{e}"
    );
    let e = ResourceId::parse("/foo/bar").unwrap_err();
    assert!(
        e.to_string().contains("'subscriptions' or 'providers'"),
        "{e}"
    );
}

#[test]
fn with_names_rewrites_target() {
    let id = p(&format!(
        "{SUB}/resourceGroups/rg-a/providers/Microsoft.Storage/storageAccounts/st1"
    ));
    let t = id.with_names(None, Some("rg-b"), Some("st2"));
    assert_eq!(
        t.as_str(),
        format!("{SUB}/resourceGroups/rg-b/providers/Microsoft.Storage/storageAccounts/st2")
    );
}

#[test]
fn resource_type_api() {
    let t = ResourceType::parse("Microsoft.Network/virtualNetworks/subnets").unwrap();
    assert_eq!(t.namespace(), "Microsoft.Network");
    assert_eq!(t.type_path(), "virtualNetworks/subnets");
    assert_eq!(t.depth(), 2);
    assert_eq!(
        t.parent_type().unwrap().as_str(),
        "Microsoft.Network/virtualNetworks"
    );
    assert!(t.parent_type().unwrap().parent_type().is_none());
    assert_eq!(
        t,
        ResourceType::parse("microsoft.network/VIRTUALNETWORKS/subnets").unwrap()
    );
    assert!(ResourceType::parse("Microsoft.Network").is_err());
    assert!(ResourceType::parse("Microsoft.Network//x").is_err());
}
