//! Issue #14 in the plan, on realistic exports
//! (`crates/testkit/fixtures/estates`): what another resource or a service
//! creates is `owned` — never deployed, moved or deleted on its own, its
//! step its owner's move, after its owner in wave order, its target known,
//! read from the moved owner or found in its new managed group — and what
//! attaches to a resource is deployed after that resource moved.

use azrelo_catalog::Catalog;
use azrelo_estate::{LoadOptions, load_inputs};
use azrelo_plan::*;

fn plan_of(name: &str) -> Plan {
    let e = load_inputs(
        &azrelo_testkit::estate_fixture(name),
        &LoadOptions::default(),
    )
    .unwrap();
    let g = azrelo_graph::build(&e);
    let p = plan(
        &e,
        &g,
        Catalog::embedded(),
        &PlanOptions::new("northeurope"),
    )
    .unwrap();
    let v = check_invariants(&p, &e, &g);
    assert!(
        v.is_empty(),
        "{name}: invariants violated:\n{}",
        v.join("\n")
    );
    p
}

fn res<'p>(p: &'p Plan, suffix: &str) -> &'p PlannedResource {
    let s = suffix.to_ascii_lowercase();
    p.resources
        .iter()
        .find(|r| r.source_id.as_str().to_ascii_lowercase().ends_with(&s))
        .unwrap_or_else(|| panic!("{suffix} not in the plan"))
}

/// Every owned resource: no deploy, no source deletion, its owner first.
fn check_owned(p: &Plan) {
    for r in p.resources.iter().filter(|r| r.action == Action::Owned) {
        let kinds: Vec<StepKind> = r.steps.iter().map(|s| s.kind).collect();
        assert!(
            !kinds.contains(&StepKind::Deploy)
                && !kinds.contains(&StepKind::DeleteSource)
                && !kinds.contains(&StepKind::GenerateTemplate),
            "{}: {kinds:?}",
            r.source_id
        );
        assert!(
            kinds.contains(&StepKind::CreatedByOwner)
                || kinds.contains(&StepKind::InstalledByService),
            "{}: {kinds:?}",
            r.source_id
        );
        assert!(kinds.contains(&StepKind::Verify));
        let w = r
            .ownership
            .as_ref()
            .expect("an owned resource names its owner");
        if let Some(owner) = &w.owner {
            // An owner created in the target comes first; one that exists
            // already (a Defender plan re-configured in place) imposes no order.
            let o = res(p, owner.as_str());
            if o.action.creates_target() {
                assert!(
                    o.wave < r.wave,
                    "{} not after its owner {owner}",
                    r.source_id
                );
            }
        }
        assert!(r.checklist.is_empty() && r.template_fixes.is_empty());
    }
}

#[test]
fn aks_node_resource_group_and_its_contents_are_owned_by_the_cluster() {
    let p = plan_of("aks-workload-identity");
    check_owned(&p);
    let cluster = res(&p, "managedClusters/aks-prod-weu");
    assert_eq!(cluster.action, Action::Move);
    let mc = res(&p, "resourceGroups/MC_rg-aks-prod_aks-prod-weu_westeurope");
    assert_eq!(mc.action, Action::Owned);
    let w = mc.ownership.as_ref().unwrap();
    assert_eq!(w.relation, Relation::CreatedByOwner);
    assert_eq!(&*w.rule, "aks-node-resource-group");
    assert_eq!(w.owner.as_ref(), Some(&cluster.source_id));
    assert_eq!(w.owner_target.as_ref(), Some(&cluster.target_id));
    // Its target is the cluster's nodeResourceGroup after the move.
    assert_eq!(
        w.target,
        OwnedTargetPlan::FromOwner {
            path: "/properties/nodeResourceGroup".into(),
            names: Names::ResourceGroup
        }
    );
    // Not mapped to rg-…-northeurope: nothing creates such a group.
    assert!(
        !p.target
            .resource_groups
            .iter()
            .any(|m| m.source.to_ascii_lowercase().contains("mc_rg-aks-prod"))
    );
    for name in [
        "virtualMachineScaleSets/aks-system-31207480-vmss",
        "loadBalancers/kubernetes",
        "networkSecurityGroups/aks-agentpool-31207480-nsg",
        "routeTables/aks-agentpool-31207480-routetable",
        "publicIPAddresses/6f0c4e2a-8b1d-4c7e-9a3f-2d5b7e1c0a94",
        "userAssignedIdentities/aks-prod-weu-agentpool",
        "userAssignedIdentities/omsagent-aks-prod-weu",
    ] {
        let r = res(&p, name);
        assert_eq!(r.action, Action::Owned, "{name}");
        let w = r.ownership.as_ref().unwrap();
        assert_eq!(w.owner.as_ref(), Some(&cluster.source_id), "{name}");
        assert_eq!(
            w.target,
            OwnedTargetPlan::InOwnedGroup {
                group: mc.source_id.clone()
            },
            "{name}"
        );
        assert!(r.wave > mc.wave, "{name} after the group");
    }
    // The bring-your-own subnet does not wait for the route table AKS put
    // on it, and the cluster does not wait for its own kubelet identity.
    let vnet = res(&p, "virtualNetworks/vnet-aks-weu");
    assert!(vnet.wave < cluster.wave);
    // A federated credential trusting the cluster's issuer is recreated
    // after the cluster moved.
    let fic = res(&p, "federatedIdentityCredentials/fic-orders-api-aks");
    assert!(fic.action.creates_target());
    assert!(fic.wave > cluster.wave);
    // The kubelet identity's AcrPull is not recreated for the old principal.
    assert!(
        p.findings
            .iter()
            .any(|f| f.code == "role-assignment-on-owned"
                && f.message.contains("aks-prod-weu-agentpool"))
    );
    assert!(
        !p.role_assignments
            .iter()
            .any(|ra| ra.source_principal_id == "8d4a2f6e-1c3b-4e7a-9f05-6b2d8c1e4a93")
    );
    assert_eq!(
        p.summary.owned,
        p.resources
            .iter()
            .filter(|r| r.action == Action::Owned)
            .count()
    );
    assert_eq!(p.summary.owned, 8);
    // plan.md says who owns what.
    let md = report::render_markdown(&p);
    assert!(md.contains("## Owned by other resources"), "{md}");
    assert!(md.contains("| loadBalancers/kubernetes | managedClusters/aks-prod-weu |"));
}

#[test]
fn private_endpoint_nics_are_their_endpoints_and_the_regions_watcher_is_azures() {
    let p = plan_of("private-endpoint");
    check_owned(&p);
    for (pe, nic) in [
        (
            "privateEndpoints/pe-stdataweu01-blob",
            "networkInterfaces/pe-stdataweu01-blob.nic.3c9d1e2f-7a4b-4c6d-8e1f-0a2b4c6d8e1f",
        ),
        (
            "privateEndpoints/pe-kv-data-weu01",
            "networkInterfaces/nic-pe-kv-data-weu01",
        ),
    ] {
        let (pe, nic) = (res(&p, pe), res(&p, nic));
        assert_eq!(pe.action, Action::Recreate);
        assert_eq!(nic.action, Action::Owned);
        let w = nic.ownership.as_ref().unwrap();
        assert_eq!(w.owner.as_ref(), Some(&pe.source_id));
        assert_eq!(
            w.target,
            OwnedTargetPlan::FromOwner {
                path: "/properties/networkInterfaces/0/id".into(),
                names: Names::Id
            }
        );
        assert!(nic.wave > pe.wave);
    }
    // NetworkWatcher_<region>: Azure's, created with the first network of
    // the region, so owned by the region's network and located after it
    // moved (the target region's watcher exists only then); the flow log
    // under it is recreated there.
    let nw = res(&p, "networkWatchers/NetworkWatcher_westeurope");
    assert_eq!(nw.action, Action::Owned);
    let vnet = res(&p, "virtualNetworks/vnet-data-weu");
    assert_eq!(
        nw.ownership.as_ref().unwrap().owner.as_ref(),
        Some(&vnet.source_id)
    );
    assert!(nw.wave > vnet.wave, "{} <= {}", nw.wave, vnet.wave);
    assert!(
        nw.target_id
            .as_str()
            .ends_with("/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_northeurope")
    );
    let fl = res(&p, "flowLogs/fl-vnet-data-weu");
    assert!(fl.action.creates_target());
    assert!(
        fl.target_id
            .as_str()
            .ends_with("/networkWatchers/NetworkWatcher_northeurope/flowLogs/fl-vnet-data-weu")
    );
    assert!(
        p.id_map
            .iter()
            .any(|m| m.source == nw.source_id && m.target == nw.target_id)
    );
    let nwrg = res(&p, "resourceGroups/NetworkWatcherRG");
    assert_eq!(nwrg.action, Action::Owned);
    assert_eq!(
        nwrg.target_id, nwrg.source_id,
        "the same group holds every region's watcher"
    );
}

#[test]
fn service_installed_extensions_and_registrations_that_attach() {
    let p = plan_of("sql-vm-backup");
    check_owned(&p);
    let vm = res(&p, "virtualMachines/vm-sql-01");
    for (name, kind) in [
        (
            "extensions/VMSnapshot",
            "protectedItems/VM;iaasvmcontainerv2;rg-sqlvm-prod;vm-sql-01",
        ),
        (
            "extensions/AzureBackupWindowsWorkload",
            "protectedItems/SQLDataBase;mssqlserver;crmdb",
        ),
        (
            "extensions/SqlIaasExtension",
            "sqlVirtualMachines/vm-sql-01",
        ),
        ("extensions/MDE.Windows", "pricings/VirtualMachines"),
        (
            "extensions/AzureMonitorWindowsAgent",
            "dataCollectionRuleAssociations/dcra-vm-sql-01",
        ),
    ] {
        let r = res(&p, &format!("vm-sql-01/{name}"));
        assert_eq!(r.action, Action::Owned, "{name}");
        let w = r.ownership.as_ref().unwrap();
        assert_eq!(w.relation, Relation::InstalledByService, "{name}");
        assert!(
            w.owner.as_ref().unwrap().as_str().ends_with(kind),
            "{name}: {:?}",
            w.owner
        );
        // Installed on the moved VM, under the same name.
        assert_eq!(w.target, OwnedTargetPlan::Known, "{name}");
        assert_eq!(
            r.target_id.as_str(),
            format!("{}/extensions/{}", vm.target_id, r.name),
            "{name}"
        );
        assert!(r.wave > vm.wave);
    }
    // The extension its owners deployed moves like any resource.
    let tools = res(&p, "vm-sql-01/extensions/InstallAppTools");
    assert_eq!(tools.action, Action::Move);
    // Registrations that attach after the VM moved: deployed, in a later
    // wave, with an attach step instead of a plain deploy.
    for name in [
        "sqlVirtualMachines/vm-sql-01",
        "schedules/shutdown-computevm-vm-sql-01",
    ] {
        let r = res(&p, name);
        assert!(r.action.creates_target(), "{name}");
        assert_eq!(
            r.ownership.as_ref().unwrap().relation,
            Relation::AttachAfterOwner
        );
        let kinds: Vec<StepKind> = r.steps.iter().map(|s| s.kind).collect();
        assert!(
            kinds.contains(&StepKind::AttachAfterOwner),
            "{name}: {kinds:?}"
        );
        assert!(!kinds.contains(&StepKind::Deploy), "{name}: {kinds:?}");
        assert!(kinds.contains(&StepKind::DeleteSource), "{name}: {kinds:?}");
        assert!(r.wave > vm.wave, "{name}");
    }
    // Disks attached to the VM are moved with their data, not owned.
    assert_eq!(res(&p, "disks/vm-sql-01-data-01").action, Action::Move);
}

#[test]
fn the_master_database_goes_with_its_server() {
    let p = plan_of("sql-server-master");
    check_owned(&p);
    let server = res(&p, "servers/sql-crm-weu");
    let master = res(&p, "databases/master");
    assert_eq!(master.action, Action::Owned);
    assert_eq!(
        master.target_id.as_str(),
        format!("{}/databases/master", server.target_id)
    );
    assert_eq!(
        master.ownership.as_ref().unwrap().target,
        OwnedTargetPlan::Known
    );
    let user = res(&p, "databases/crmdb");
    assert_eq!(user.action, Action::Move);
}

#[test]
fn settings_references_order_the_app_after_what_it_names() {
    let p = plan_of("function-app-settings");
    check_owned(&p);
    let settings = res(&p, "sites/func-orders-weu/config/appsettings");
    for named in [
        "storageAccounts/stfuncordersweu",
        "storageAccounts/stordersdataweu",
        "namespaces/sb-orders-weu",
        "databaseAccounts/cosmos-orders-weu",
        "vaults/kv-orders-weu",
        "components/appi-orders-weu",
        "userAssignedIdentities/id-func-orders",
        "redis/redis-orders-weu",
        "configurationStores/appcs-orders-weu",
    ] {
        let r = res(&p, named);
        assert!(
            r.wave < settings.wave,
            "{named} (wave {}) before the settings (wave {})",
            r.wave,
            settings.wave
        );
    }
}

/// `check_invariants` holds the planner to invariant 9 independently: an
/// owned resource planned as a deployment, or verified before its owner
/// moved, is reported.
#[test]
fn the_invariant_check_catches_an_owned_resource_planned_as_a_move() {
    let name = "sql-server-master";
    let e = load_inputs(
        &azrelo_testkit::estate_fixture(name),
        &LoadOptions::default(),
    )
    .unwrap();
    let g = azrelo_graph::build(&e);
    let mut p = plan_of(name);
    let i = p
        .resources
        .iter()
        .position(|r| r.source_id.as_str().ends_with("/databases/master"))
        .unwrap();
    let server_wave = res(&p, "/servers/sql-crm-weu").wave;
    p.resources[i].action = Action::Move;
    let v = check_invariants(&p, &e, &g);
    assert!(
        v.iter().any(|m| m.contains("/databases/master belongs to")),
        "{v:?}"
    );
    p.resources[i].action = Action::Owned;
    p.resources[i].wave = server_wave.saturating_sub(1);
    let v = check_invariants(&p, &e, &g);
    assert!(
        v.iter().any(|m| m.contains("is verified before its owner")),
        "{v:?}"
    );
}

/// The plan says which values the run reads from a moved resource: the
/// credential's new issuer (seed 003's managed identity procedure), a
/// recreated identity's client id, a moved component's connection string.
#[test]
fn the_plan_says_which_values_are_read_from_moved_resources() {
    let p = plan_of("aks-workload-identity");
    let f = p
        .findings
        .iter()
        .find(|f| {
            f.code == "read-from-moved-resource"
                && f.resource
                    .as_deref()
                    .is_some_and(|r| r.ends_with("/fic-orders-api-aks"))
        })
        .expect("the AKS credential's issuer is read from the moved cluster");
    assert!(
        f.message.contains("managedClusters/aks-prod-weu")
            && f.message.contains("$.properties.issuer"),
        "{}",
        f.message
    );
    assert!(!p.findings.iter().any(|f| {
        f.code == "read-from-moved-resource"
            && f.resource
                .as_deref()
                .is_some_and(|r| r.ends_with("/fic-orders-api-github"))
    }));
    let p = plan_of("function-app-settings");
    let on_settings: Vec<&str> = p
        .findings
        .iter()
        .filter(|f| {
            f.code == "read-from-moved-resource"
                && f.resource
                    .as_deref()
                    .is_some_and(|r| r.ends_with("/config/appsettings"))
        })
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        on_settings
            .iter()
            .any(|m| m.contains("components/appi-orders-weu"))
            && on_settings
                .iter()
                .any(|m| m.contains("userAssignedIdentities/id-func-orders")),
        "{on_settings:?}"
    );
}
