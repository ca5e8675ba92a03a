//! Issue #14 in the graph: resources that belong to other resources, and
//! references hidden in settings, on realistic Resource Graph / ARM GET
//! exports (`crates/testkit/fixtures/estates`). The complete edge lists are
//! in `tests/ground_truth`; these tests state the rules they follow.

use azrelo_arm::id::ResourceId;
use azrelo_estate::{Estate, LoadOptions, load_inputs};
use azrelo_graph::{EdgeKind, Graph, Relation};
use serde_json::{Value, json};

const SUB: &str = "6f2b8c1e-4d3a-4b7e-9c15-8a0d2e7f3b41";

fn fixture(name: &str) -> (Estate, Graph) {
    let estate = load_inputs(
        &azrelo_testkit::estate_fixture(name),
        &LoadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(estate.warnings.is_empty(), "{name}: {:?}", estate.warnings);
    let g = azrelo_graph::build(&estate);
    (estate, g)
}

fn estate_of(dir: &tempfile::TempDir, docs: &[Value]) -> Estate {
    let files: Vec<_> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let p = dir.path().join(format!("in{i}.json"));
            std::fs::write(&p, serde_json::to_string(d).unwrap()).unwrap();
            p
        })
        .collect();
    load_inputs(&files, &LoadOptions::default()).unwrap()
}

fn node(g: &Graph, id: &str) -> u32 {
    g.node(&ResourceId::parse(id).unwrap())
        .unwrap_or_else(|| panic!("no node {id}"))
}

fn rid(group: &str, path: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{group}/providers/{path}")
}

/// The edges from `from` to `to` as (kind, path, matched).
fn edges(g: &Graph, from: &str, to: &str) -> Vec<(EdgeKind, String, Option<String>)> {
    let (f, t) = (node(g, from), node(g, to));
    g.outgoing(f)
        .filter(|e| e.to == t)
        .map(|e| {
            (
                e.kind,
                e.path.to_string(),
                e.evidence.as_ref().map(|v| v.matched.to_string()),
            )
        })
        .collect()
}

fn has(g: &Graph, from: &str, to: &str, kind: EdgeKind, path: &str) {
    let got = edges(g, from, to);
    assert!(
        got.iter().any(|(k, p, _)| *k == kind && p == path),
        "{from} -> {to}: want {} at {path}, got {got:?}",
        kind.name()
    );
}

const MC: &str = "MC_rg-aks-prod_aks-prod-weu_westeurope";

fn cluster() -> String {
    format!(
        "/subscriptions/{SUB}/resourcegroups/rg-aks-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod-weu"
    )
}

#[test]
fn the_aks_node_resource_group_and_everything_in_it_belong_to_the_cluster() {
    let (estate, g) = fixture("aks-workload-identity");
    let cl = node(&g, &cluster());
    let mc = format!("/subscriptions/{SUB}/resourceGroups/{MC}");
    let group = g
        .ownership(node(&g, &mc))
        .expect("the node resource group is owned");
    assert_eq!(group.owner, Some(cl));
    assert_eq!(group.relation, Relation::CreatedByOwner);
    assert_eq!(&*group.rule, "aks-node-resource-group");
    assert_eq!(&*group.path, "$.managedBy");
    let in_group: Vec<_> = estate
        .resources
        .iter()
        .filter(|r| r.resource_type != "Microsoft.Resources/resourceGroups")
        .filter(|r| {
            r.id.resource_group()
                .is_some_and(|g| g.eq_ignore_ascii_case(MC))
        })
        .collect();
    assert_eq!(
        in_group.len(),
        7,
        "scale set, LB, NSG, route table, PIP, two identities"
    );
    for r in in_group {
        let n = g.node(&r.id).unwrap();
        let o = g
            .ownership(n)
            .unwrap_or_else(|| panic!("{} is owned", r.id));
        assert_eq!(o.owner, Some(cl), "{}", r.id);
        assert!(g.is_owned(n));
        assert_eq!(o.via_group, Some(node(&g, &mc)));
        has(&g, r.id.as_str(), &cluster(), EdgeKind::OwnedBy, "$.id");
    }
    // Nothing the customer created is owned.
    for id in [
        rid(
            "rg-aks-prod",
            "Microsoft.Network/virtualNetworks/vnet-aks-weu",
        ),
        rid(
            "rg-aks-prod",
            "Microsoft.ManagedIdentity/userAssignedIdentities/id-orders-api",
        ),
        cluster(),
    ] {
        assert!(g.ownership(node(&g, &id)).is_none(), "{id}");
    }
}

#[test]
fn references_the_cluster_wrote_are_not_dependencies() {
    let (_, g) = fixture("aks-workload-identity");
    let kubelet = rid(
        MC,
        "Microsoft.ManagedIdentity/userAssignedIdentities/aks-prod-weu-agentpool",
    )
    .replace("/resourceGroups/", "/resourcegroups/");
    has(
        &g,
        &cluster(),
        &kubelet,
        EdgeKind::OwnerManaged,
        "$.properties.identityProfile.kubeletidentity.resourceId",
    );
    let pip = rid(
        MC,
        "Microsoft.Network/publicIPAddresses/6f0c4e2a-8b1d-4c7e-9a3f-2d5b7e1c0a94",
    );
    has(
        &g,
        &cluster(),
        &pip,
        EdgeKind::OwnerManaged,
        "$.properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs[0].id",
    );
    // AKS attached its route table to the bring-your-own subnet: the subnet
    // does not depend on it (the target cluster attaches its own).
    let subnet = rid(
        "rg-aks-prod",
        "Microsoft.Network/virtualNetworks/vnet-aks-weu/subnets/snet-aks-nodes",
    );
    let rt = rid(
        MC,
        "Microsoft.Network/routeTables/aks-agentpool-31207480-routetable",
    );
    has(
        &g,
        &subnet,
        &rt,
        EdgeKind::OwnerManaged,
        "$.properties.subnets[0].properties.routeTable.id",
    );
    assert!(!EdgeKind::OwnerManaged.is_dependency());
    // So the graph has no cycle, and every owned resource comes after its
    // owner in dependency order.
    assert!(azrelo_graph::cycles(&g).is_empty());
    let order = azrelo_graph::topological_order(&g).expect("acyclic");
    let pos = |n: u32| order.iter().position(|&x| x == n).unwrap();
    for (n, o) in g.owned() {
        if let Some(w) = o.owner {
            assert!(
                pos(w) < pos(n),
                "{} before its owner",
                g.nodes[n as usize].id
            );
        }
    }
    // Between resources of the same owner, references stay dependencies.
    let vmss = rid(
        MC,
        "Microsoft.Compute/virtualMachineScaleSets/aks-system-31207480-vmss",
    );
    let nsg = rid(
        MC,
        "Microsoft.Network/networkSecurityGroups/aks-agentpool-31207480-nsg",
    );
    assert!(
        edges(&g, &vmss, &nsg)
            .iter()
            .all(|(k, ..)| k.is_dependency())
    );
}

#[test]
fn a_federated_credential_depends_on_the_cluster_whose_issuer_it_trusts() {
    let (_, g) = fixture("aks-workload-identity");
    let uami = rid(
        "rg-aks-prod",
        "Microsoft.ManagedIdentity/userAssignedIdentities/id-orders-api",
    );
    let fic = format!("{uami}/federatedIdentityCredentials/fic-orders-api-aks");
    let got = edges(&g, &fic, &cluster());
    assert_eq!(got.len(), 1, "{got:?}");
    let (kind, path, matched) = &got[0];
    assert_eq!(*kind, EdgeKind::FederatedIssuer);
    assert_eq!(path, "$.properties.issuer");
    // Spelt differently from the cluster's issuerURL (case, trailing slash).
    assert!(
        matched
            .as_deref()
            .unwrap()
            .starts_with("https://WestEurope.oic.prod-aks.azure.com/")
    );
    assert!(EdgeKind::FederatedIssuer.is_dependency());
    // The GitHub credential trusts no resource of the estate.
    let gh = node(
        &g,
        &format!("{uami}/federatedIdentityCredentials/fic-orders-api-github"),
    );
    assert!(
        g.outgoing(gh).all(|e| e.kind == EdgeKind::Parent),
        "{:?}",
        g.outgoing(gh).map(|e| e.kind).collect::<Vec<_>>()
    );
}

#[test]
fn ownership_is_found_from_names_when_managed_by_and_properties_are_missing() {
    // A template-style description: no resource group records (so no
    // managedBy), the cluster without nodeResourceGroup, the endpoint
    // without networkInterfaces and its NIC without privateEndpoint: only
    // the documented naming conventions say who owns what.
    let dir = tempfile::tempdir().unwrap();
    let cl = rid(
        "rg-app",
        "Microsoft.ContainerService/managedClusters/aks-app",
    );
    let mc = "MC_rg-app_aks-app_northeurope";
    let pe = rid("rg-app", "Microsoft.Network/privateEndpoints/pe-db");
    let estate = estate_of(
        &dir,
        &[json!({"value": [
            {"id": cl, "type": "Microsoft.ContainerService/managedClusters", "name": "aks-app",
             "location": "northeurope", "properties": {"kubernetesVersion": "1.30.5"}},
            {"id": rid(mc, "Microsoft.Network/loadBalancers/kubernetes"), "type": "Microsoft.Network/loadBalancers",
             "name": "kubernetes", "location": "northeurope", "properties": {}},
            {"id": rid("MC_rg-app_aks-app_westeurope", "Microsoft.Network/loadBalancers/kubernetes"),
             "type": "Microsoft.Network/loadBalancers", "name": "kubernetes", "location": "westeurope", "properties": {}},
            {"id": pe, "type": "Microsoft.Network/privateEndpoints", "name": "pe-db", "location": "northeurope",
             "properties": {}},
            {"id": rid("rg-app", "Microsoft.Network/networkInterfaces/pe-db.nic.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"),
             "type": "Microsoft.Network/networkInterfaces", "name": "pe-db.nic.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
             "location": "northeurope", "properties": {}},
            {"id": rid("rg-app", "Microsoft.Network/networkInterfaces/pe-db-nic"), "type": "Microsoft.Network/networkInterfaces",
             "name": "pe-db-nic", "location": "northeurope", "properties": {}},
            {"id": rid("NetworkWatcherRG", "Microsoft.Network/networkWatchers/NetworkWatcher_northeurope"),
             "type": "Microsoft.Network/networkWatchers", "name": "NetworkWatcher_northeurope", "location": "northeurope"},
            {"id": rid("NetworkWatcherRG", "Microsoft.Network/networkWatchers/nw-custom"),
             "type": "Microsoft.Network/networkWatchers", "name": "nw-custom", "location": "northeurope"},
            {"id": rid("rg-app", "Microsoft.Compute/disks/osdisk"), "type": "Microsoft.Compute/disks", "name": "osdisk",
             "location": "northeurope", "managedBy": rid("rg-app", "Microsoft.Compute/virtualMachines/vm1"), "properties": {}}
        ]})],
    );
    let g = azrelo_graph::build(&estate);
    let lb = node(&g, &rid(mc, "Microsoft.Network/loadBalancers/kubernetes"));
    let o = g
        .ownership(lb)
        .expect("owned through the MC_ naming convention");
    assert_eq!(o.owner, Some(node(&g, &cl)));
    let group = g
        .ownership(node(
            &g,
            &format!("/subscriptions/{SUB}/resourceGroups/{mc}"),
        ))
        .expect("the implicit group is owned");
    assert_eq!((&*group.path, &*group.evidence.matched), ("$.name", mc));
    // The same name with another region is not this cluster's group.
    let other = node(
        &g,
        &rid(
            "MC_rg-app_aks-app_westeurope",
            "Microsoft.Network/loadBalancers/kubernetes",
        ),
    );
    assert!(g.ownership(other).is_none());
    let nic = node(
        &g,
        &rid(
            "rg-app",
            "Microsoft.Network/networkInterfaces/pe-db.nic.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        ),
    );
    let o = g
        .ownership(nic)
        .expect("owned through <endpoint>.nic.<guid>");
    assert_eq!(
        (o.owner, &*o.rule),
        (Some(node(&g, &pe)), "private-endpoint-nic")
    );
    assert!(
        g.ownership(node(
            &g,
            &rid("rg-app", "Microsoft.Network/networkInterfaces/pe-db-nic")
        ))
        .is_none()
    );
    let nw = node(
        &g,
        &rid(
            "NetworkWatcherRG",
            "Microsoft.Network/networkWatchers/NetworkWatcher_northeurope",
        ),
    );
    let o = g.ownership(nw).expect("the region's watcher");
    assert_eq!(o.owner, None);
    assert!(o.service.contains("Network Watcher"));
    assert!(
        g.ownership(node(
            &g,
            &rid(
                "NetworkWatcherRG",
                "Microsoft.Network/networkWatchers/nw-custom"
            )
        ))
        .is_none()
    );
    // managedBy on a disk names the VM it is attached to: not an owner.
    assert!(
        g.ownership(node(&g, &rid("rg-app", "Microsoft.Compute/disks/osdisk")))
            .is_none()
    );
}

#[test]
fn private_endpoint_nics_belong_to_their_endpoints() {
    let (_, g) = fixture("private-endpoint");
    for (pe, nic) in [
        (
            "pe-stdataweu01-blob",
            "pe-stdataweu01-blob.nic.3c9d1e2f-7a4b-4c6d-8e1f-0a2b4c6d8e1f",
        ),
        ("pe-kv-data-weu01", "nic-pe-kv-data-weu01"),
    ] {
        let pe = rid(
            "rg-data-prod",
            &format!("Microsoft.Network/privateEndpoints/{pe}"),
        );
        let nic = rid(
            "rg-data-prod",
            &format!("Microsoft.Network/networkInterfaces/{nic}"),
        );
        let got = edges(&g, &nic, &pe);
        // The NIC's privateEndpoint.id, a back-reference before, is the
        // ownership evidence; the endpoint's list of NICs stays a
        // back-reference.
        assert_eq!(
            got,
            vec![(
                EdgeKind::OwnedBy,
                "$.properties.privateEndpoint.id".to_string(),
                Some(pe.clone())
            )]
        );
        has(
            &g,
            &pe,
            &nic,
            EdgeKind::BackReference,
            "$.properties.networkInterfaces[0].id",
        );
        assert_eq!(
            g.ownership(node(&g, &nic)).unwrap().relation,
            Relation::CreatedByOwner
        );
    }
    for id in [
        rid(
            "rg-data-prod",
            "Microsoft.Network/privateEndpoints/pe-stdataweu01-blob",
        ),
        rid(
            "rg-data-prod",
            "Microsoft.Network/privateEndpoints/pe-stdataweu01-blob/privateDnsZoneGroups/default",
        ),
        rid(
            "rg-net-prod",
            "Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net",
        ),
        rid(
            "NetworkWatcherRG",
            "Microsoft.Network/networkWatchers/NetworkWatcher_westeurope/flowLogs/fl-vnet-data-weu",
        ),
    ] {
        assert!(g.ownership(node(&g, &id)).is_none(), "{id}");
    }
}

#[test]
fn service_installed_extensions_and_attached_registrations() {
    let (_, g) = fixture("sql-vm-backup");
    let vm = rid(
        "rg-sqlvm-prod",
        "Microsoft.Compute/virtualMachines/vm-sql-01",
    );
    let ext = |n: &str| format!("{vm}/extensions/{n}");
    let vault_items = rid(
        "rg-ops-prod",
        "Microsoft.RecoveryServices/vaults/rsv-sqlvm-weu/backupFabrics/Azure/protectionContainers",
    );
    let vm_item = format!(
        "{vault_items}/IaasVMContainer;iaasvmcontainerv2;rg-sqlvm-prod;vm-sql-01/protectedItems/VM;iaasvmcontainerv2;rg-sqlvm-prod;vm-sql-01"
    );
    let db_item = format!(
        "{vault_items}/VMAppContainer;compute;rg-sqlvm-prod;vm-sql-01/protectedItems/SQLDataBase;mssqlserver;crmdb"
    );
    let sqlvm = rid(
        "rg-sqlvm-prod",
        "Microsoft.SqlVirtualMachine/sqlVirtualMachines/vm-sql-01",
    );
    let pricing =
        format!("/subscriptions/{SUB}/providers/Microsoft.Security/pricings/VirtualMachines");
    let dcra =
        format!("{vm}/providers/Microsoft.Insights/dataCollectionRuleAssociations/dcra-vm-sql-01");
    for (name, owner, rule) in [
        ("VMSnapshot", &vm_item, "backup-vm-snapshot-extension"),
        (
            "AzureBackupWindowsWorkload",
            &db_item,
            "backup-sql-workload-extension",
        ),
        ("SqlIaasExtension", &sqlvm, "sql-iaas-agent-extension"),
        ("MDE.Windows", &pricing, "defender-for-endpoint-extension"),
        (
            "AzureMonitorWindowsAgent",
            &dcra,
            "azure-monitor-agent-extension",
        ),
    ] {
        let n = node(&g, &ext(name));
        let o = g
            .ownership(n)
            .unwrap_or_else(|| panic!("{name} is installed by a service"));
        assert_eq!(o.relation, Relation::InstalledByService, "{name}");
        assert_eq!(&*o.rule, rule, "{name}");
        assert_eq!(o.owner, Some(node(&g, owner)), "{name}");
        assert!(g.is_owned(n));
        assert!(
            edges(&g, &ext(name), owner)
                .iter()
                .any(|(k, ..)| *k == EdgeKind::InstalledBy),
            "{name}"
        );
    }
    // The owners deployed this one themselves.
    assert!(g.ownership(node(&g, &ext("InstallAppTools"))).is_none());
    // Registrations that attach to the VM after it moved.
    for (id, path) in [
        (sqlvm.as_str(), "$.properties.virtualMachineResourceId"),
        (
            &rid(
                "rg-sqlvm-prod",
                "Microsoft.DevTestLab/schedules/shutdown-computevm-vm-sql-01",
            ),
            "$.properties.targetResourceId",
        ),
    ] {
        let n = node(&g, id);
        let o = g.ownership(n).unwrap();
        assert_eq!(o.relation, Relation::AttachAfterOwner, "{id}");
        assert!(!g.is_owned(n), "attached resources are deployed");
        assert_eq!(
            edges(&g, id, &vm),
            vec![(EdgeKind::AttachedTo, path.to_string(), Some(vm.clone()))]
        );
    }
    // Disks attached to the VM (managedBy the VM) are not owned by it.
    let disk = rid("rg-sqlvm-prod", "Microsoft.Compute/disks/vm-sql-01-data-01");
    assert!(g.ownership(node(&g, &disk)).is_none());
}

#[test]
fn the_master_database_belongs_to_its_server() {
    let (_, g) = fixture("sql-server-master");
    let server = rid("rg-crm-data", "Microsoft.Sql/servers/sql-crm-weu");
    let master = format!("{server}/databases/master");
    let o = g.ownership(node(&g, &master)).expect("master is owned");
    assert_eq!(o.owner, Some(node(&g, &server)));
    assert_eq!(&*o.path, "$.managedBy");
    assert!(
        g.ownership(node(&g, &format!("{server}/databases/crmdb")))
            .is_none()
    );
    // Without managedBy (a template), the system kind and the parent say it.
    let dir = tempfile::tempdir().unwrap();
    let estate = estate_of(
        &dir,
        &[json!({"value": [
            {"id": server, "type": "Microsoft.Sql/servers", "name": "sql-crm-weu", "location": "westeurope", "properties": {}},
            {"id": master, "type": "Microsoft.Sql/servers/databases", "name": "master", "kind": "v12.0,system",
             "location": "westeurope", "properties": {}},
            {"id": format!("{server}/databases/masterdata"), "type": "Microsoft.Sql/servers/databases",
             "name": "masterdata", "kind": "v12.0,user", "location": "westeurope", "properties": {}}
        ]})],
    );
    let g = azrelo_graph::build(&estate);
    let o = g.ownership(node(&g, &master)).expect("master is owned");
    assert_eq!((&*o.path, &*o.evidence.matched), ("$.kind", "v12.0,system"));
    assert!(
        g.ownership(node(&g, &format!("{server}/databases/masterdata")))
            .is_none()
    );
}

#[test]
fn settings_name_their_resources_by_name_endpoint_and_key() {
    let (_, g) = fixture("function-app-settings");
    let site = rid("rg-orders-prod", "Microsoft.Web/sites/func-orders-weu");
    let settings = format!("{site}/config/appsettings");
    let data = |p: &str| rid("rg-orders-data", p);
    let cases: &[(&str, String, EdgeKind, &str, &str)] = &[
        (
            "AzureWebJobsStorage__accountName",
            data("Microsoft.Storage/storageAccounts/stfuncordersweu"),
            EdgeKind::NameReference,
            "stfuncordersweu",
            "storage",
        ),
        (
            "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
            data("Microsoft.Storage/storageAccounts/stfuncordersweu"),
            EdgeKind::NameReference,
            "AccountName=stfuncordersweu",
            "storage",
        ),
        (
            "OrdersData__blobServiceUri",
            data("Microsoft.Storage/storageAccounts/stordersdataweu"),
            EdgeKind::EndpointReference,
            "stordersdataweu.blob.core.windows.net",
            "storage",
        ),
        (
            "ServiceBusConnection__fullyQualifiedNamespace",
            data("Microsoft.ServiceBus/namespaces/sb-orders-weu"),
            EdgeKind::EndpointReference,
            "sb-orders-weu.servicebus.windows.net",
            "service-bus-event-hubs",
        ),
        (
            "EventHubConnection",
            data("Microsoft.EventHub/namespaces/evhns-orders-weu"),
            EdgeKind::EndpointReference,
            "evhns-orders-weu.servicebus.windows.net",
            "service-bus-event-hubs",
        ),
        (
            "CosmosDbConnection",
            data("Microsoft.DocumentDB/databaseAccounts/cosmos-orders-weu"),
            EdgeKind::EndpointReference,
            "cosmos-orders-weu.documents.azure.com",
            "cosmos-db",
        ),
        (
            "Payments__ApiKey",
            data("Microsoft.KeyVault/vaults/kv-orders-weu"),
            EdgeKind::KeyVaultReference,
            "kv-orders-weu.vault.azure.net",
            "key-vault",
        ),
        (
            "Smtp__Password",
            data("Microsoft.KeyVault/vaults/kv-orders-weu"),
            EdgeKind::KeyVaultReference,
            "VaultName=kv-orders-weu",
            "key-vault",
        ),
        (
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            rid(
                "rg-orders-prod",
                "Microsoft.Insights/components/appi-orders-weu",
            ),
            EdgeKind::InstrumentationKey,
            "InstrumentationKey=5e3c9a1f-7b2d-4e8c-a4f6-0d2b8e6c4a19",
            "app-insights-instrumentation-key",
        ),
        (
            "APPINSIGHTS_INSTRUMENTATIONKEY",
            rid(
                "rg-orders-prod",
                "Microsoft.Insights/components/appi-orders-weu",
            ),
            EdgeKind::InstrumentationKey,
            "5e3c9a1f-7b2d-4e8c-a4f6-0d2b8e6c4a19",
            "app-insights-instrumentation-key",
        ),
        (
            "AzureWebJobsStorage__clientId",
            rid(
                "rg-orders-prod",
                "Microsoft.ManagedIdentity/userAssignedIdentities/id-func-orders",
            ),
            EdgeKind::IdentityClientId,
            "d4f8b2a6-1e3c-4a7d-9b5f-2c6e8a0d4b17",
            "user-assigned-identity-client-id",
        ),
        (
            "Redis__ConnectionString",
            data("Microsoft.Cache/redis/redis-orders-weu"),
            EdgeKind::EndpointReference,
            "redis-orders-weu.redis.cache.windows.net",
            "redis",
        ),
        (
            "AppConfig__Endpoint",
            rid(
                "rg-orders-prod",
                "Microsoft.AppConfiguration/configurationStores/appcs-orders-weu",
            ),
            EdgeKind::EndpointReference,
            "appcs-orders-weu.azconfig.io",
            "app-configuration",
        ),
    ];
    let from = node(&g, &settings);
    for (setting, to, kind, matched, rule) in cases {
        let path = format!("$.properties.{setting}");
        let t = node(&g, to);
        let e = g
            .outgoing(from)
            .find(|e| e.to == t && *e.path == *path && e.kind == *kind)
            .unwrap_or_else(|| panic!("{setting}: no {} edge to {to}", kind.name()));
        let ev = e.evidence.as_ref().unwrap();
        assert_eq!((&*ev.matched, &*ev.rule), (*matched, *rule), "{setting}");
    }
    // SQL by host in connection strings; the managed identity by `User Id`.
    let conn = format!("{site}/config/connectionstrings");
    has(
        &g,
        &conn,
        &data("Microsoft.Sql/servers/sql-orders-weu"),
        EdgeKind::EndpointReference,
        "$.properties.OrdersDb.value",
    );
    has(
        &g,
        &conn,
        &rid(
            "rg-orders-prod",
            "Microsoft.ManagedIdentity/userAssignedIdentities/id-func-orders",
        ),
        EdgeKind::IdentityClientId,
        "$.properties.OrdersDb.value",
    );
    // Settings that name nothing make no edge.
    let paths: Vec<String> = g.outgoing(from).map(|e| e.path.to_string()).collect();
    for quiet in [
        "FUNCTIONS_WORKER_RUNTIME",
        "WEBSITE_CONTENTSHARE",
        "AzureWebJobsStorage__credential",
    ] {
        assert!(!paths.iter().any(|p| p.ends_with(quiet)), "{quiet}");
    }
    // The portal's hidden-link tag: re-pointed, but not a dependency.
    let appi = rid(
        "rg-orders-prod",
        "Microsoft.Insights/components/appi-orders-weu",
    );
    let got = edges(&g, &appi, &site);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, EdgeKind::TagLink);
    assert_eq!(got[0].1, format!("$.tags['hidden-link:{site}']"));
    assert!(!EdgeKind::TagLink.is_dependency());
}

#[test]
fn the_same_patterns_apply_to_logic_apps_api_management_container_apps_and_data_factory() {
    let (_, g) = fixture("function-app-settings");
    let p = |x: &str| rid("rg-orders-prod", x);
    let d = |x: &str| rid("rg-orders-data", x);
    let site = p("Microsoft.Web/sites/func-orders-weu");
    let kv = d("Microsoft.KeyVault/vaults/kv-orders-weu");
    let sb = d("Microsoft.ServiceBus/namespaces/sb-orders-weu");
    let logic = p("Microsoft.Logic/workflows/logic-orders-notify");
    has(
        &g,
        &logic,
        &sb,
        EdgeKind::EndpointReference,
        "$.properties.parameters.ordersNamespace.value",
    );
    has(
        &g,
        &logic,
        &site,
        EdgeKind::EndpointReference,
        "$.properties.parameters.notifyFunctionUrl.value",
    );
    let apim = p("Microsoft.ApiManagement/service/apim-orders-weu");
    has(
        &g,
        &format!("{apim}/namedValues/orders-func-base-url"),
        &site,
        EdgeKind::EndpointReference,
        "$.properties.value",
    );
    has(
        &g,
        &format!("{apim}/namedValues/orders-func-key"),
        &kv,
        EdgeKind::EndpointReference,
        "$.properties.keyVault.secretIdentifier",
    );
    has(
        &g,
        &format!("{apim}/backends/orders-func"),
        &site,
        EdgeKind::EndpointReference,
        "$.properties.url",
    );
    let ca = p("Microsoft.App/containerApps/ca-orders-worker");
    has(
        &g,
        &ca,
        &sb,
        EdgeKind::EndpointReference,
        "$.properties.template.containers[0].env[0].value",
    );
    has(
        &g,
        &ca,
        &p("Microsoft.ManagedIdentity/userAssignedIdentities/id-func-orders"),
        EdgeKind::IdentityClientId,
        "$.properties.template.containers[0].env[1].value",
    );
    has(
        &g,
        &ca,
        &kv,
        EdgeKind::EndpointReference,
        "$.properties.configuration.secrets[0].keyVaultUrl",
    );
    has(
        &g,
        &ca,
        &p("Microsoft.ContainerRegistry/registries/crordersweu"),
        EdgeKind::EndpointReference,
        "$.properties.template.containers[0].image",
    );
    let adf = d("Microsoft.DataFactory/factories/adf-orders-weu/linkedservices");
    has(
        &g,
        &format!("{adf}/ls_blob_ordersdata"),
        &d("Microsoft.Storage/storageAccounts/stordersdataweu"),
        EdgeKind::EndpointReference,
        "$.properties.typeProperties.serviceEndpoint",
    );
    has(
        &g,
        &format!("{adf}/ls_keyvault"),
        &kv,
        EdgeKind::EndpointReference,
        "$.properties.typeProperties.baseUrl",
    );
    has(
        &g,
        &format!("{adf}/ls_sql_orders"),
        &d("Microsoft.Sql/servers/sql-orders-weu"),
        EdgeKind::EndpointReference,
        "$.properties.typeProperties.connectionString",
    );
}

#[test]
fn no_secret_part_of_a_connection_string_is_ever_evidence() {
    let (_, g) = fixture("function-app-settings");
    let mut checked = 0;
    for e in &g.edges {
        if let Some(ev) = &e.evidence {
            let m = ev.matched.to_ascii_lowercase();
            for secret in [
                "zmfrzs1rzxkt",
                "accountkey",
                "sharedaccesskey",
                "password",
                ";",
            ] {
                assert!(
                    !m.contains(secret),
                    "secret material in evidence: {}",
                    ev.matched
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "{checked}");
    let json = azrelo_graph::to_json(&g).to_string().to_ascii_lowercase();
    assert!(!json.contains("zmfrzs1rzxkt"));
}

#[test]
fn the_json_rendering_carries_ownership_and_evidence() {
    let (_, g) = fixture("private-endpoint");
    let j = azrelo_graph::to_json(&g);
    let nic = j["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"].as_str().unwrap().ends_with("/nic-pe-kv-data-weu01"))
        .unwrap();
    assert_eq!(nic["ownership"]["relation"], "created-by-owner");
    assert_eq!(nic["ownership"]["rule"], "private-endpoint-nic");
    assert!(
        nic["ownership"]["owner"]
            .as_str()
            .unwrap()
            .ends_with("/pe-kv-data-weu01")
    );
    let e = j["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "endpoint_reference")
        .unwrap();
    assert!(e["matched"].as_str().unwrap().contains('.'));
    assert!(e["rule"].is_string());
}

/// A certificate imported into two resource groups' webspaces has one
/// thumbprint; a host-name binding names the one in its own group
/// (learn.microsoft.com/azure/app-service/configure-ssl-certificate: a
/// certificate is stored per resource group, region and OS).
#[test]
fn a_binding_names_the_certificate_of_its_own_webspace() {
    let tp = "3C2B1A0F9E8D7C6B5A4F3E2D1C0B9A8F7E6D5C4B";
    let cert = |rg: &str| {
        json!({
            "id": rid(rg, "Microsoft.Web/certificates/api-contoso-com"),
            "name": "api-contoso-com", "type": "Microsoft.Web/certificates", "location": "westeurope",
            "properties": {"subjectName": "api.contoso.com", "hostNames": ["api.contoso.com"], "thumbprint": tp,
                "keyVaultSecretName": "api-contoso-com", "serverFarmId": rid(rg, "Microsoft.Web/serverfarms/asp")}
        })
    };
    let site = rid("rg-b", "Microsoft.Web/sites/app-b");
    let docs = [
        cert("rg-a"),
        cert("rg-b"),
        json!({"id": site, "name": "app-b", "type": "Microsoft.Web/sites", "location": "westeurope",
            "properties": {"serverFarmId": rid("rg-b", "Microsoft.Web/serverfarms/asp")}}),
        json!({"id": format!("{site}/hostNameBindings/api.contoso.com"), "name": "app-b/api.contoso.com",
            "type": "Microsoft.Web/sites/hostNameBindings",
            "properties": {"sslState": "SniEnabled", "thumbprint": tp.to_ascii_lowercase(), "hostNameType": "Verified"}}),
    ];
    let dir = tempfile::tempdir().unwrap();
    let g = azrelo_graph::build(&estate_of(&dir, &docs));
    has(
        &g,
        &format!("{site}/hostNameBindings/api.contoso.com"),
        &rid("rg-b", "Microsoft.Web/certificates/api-contoso-com"),
        EdgeKind::CertificateThumbprint,
        "$.properties.thumbprint",
    );
    assert!(
        edges(
            &g,
            &format!("{site}/hostNameBindings/api.contoso.com"),
            &rid("rg-a", "Microsoft.Web/certificates/api-contoso-com"),
        )
        .is_empty()
    );
}
