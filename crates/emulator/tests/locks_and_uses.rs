//! Management locks and "in use" as ARM enforces them.
//!
//! Locks (learn.microsoft.com/azure/azure-resource-manager/management/
//! lock-resources): a lock applies to its scope and everything below it;
//! `CanNotDelete` refuses deletions, `ReadOnly` refuses writes too; deleting
//! a group that holds a locked resource fails; the lock itself can always be
//! removed. ARM answers `409 ScopeLocked`, "The scope '…' cannot perform
//! delete operation because following scope(s) are locked: '…'. Please
//! remove the lock and try again."
//!
//! In use: a reference at a writable path (a VM's `networkProfile` naming a
//! NIC, a NIC's `ipConfigurations[].subnet.id`) keeps the referenced
//! resource; one at a read-only path (a NIC's `virtualMachine`, a subnet's
//! `ipConfigurations`, an NSG's `networkInterfaces`/`subnets`, a SQL
//! server's `privateEndpointConnections`) is a back-reference ARM maintains
//! and detaches, not a use.

use axum::http::StatusCode;
use azrelo_emulator::Emulator;
use azrelo_testkit::{Call, SUB, call, rg};
use serde_json::{Value, json};

const LOCKS: &str = "providers/Microsoft.Authorization/locks";

async fn group(em: &Emulator, name: &str) -> String {
    let id = rg(name);
    let r = call(em, "PUT", &id, Some(json!({"location": "westeurope"}))).await;
    assert!(r.status.is_success(), "{}", r.body);
    id
}

async fn storage(em: &Emulator, group: &str, name: &str) -> String {
    let id = format!("{group}/providers/Microsoft.Storage/storageAccounts/{name}");
    let r = call(
        em,
        "PUT",
        &id,
        Some(
            json!({"location": "westeurope", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}),
        ),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    id
}

async fn lock(em: &Emulator, scope: &str, name: &str, level: &str) -> String {
    let id = format!("{scope}/{LOCKS}/{name}");
    let r = call(
        em,
        "PUT",
        &format!("{id}?api-version=2016-09-01"),
        Some(json!({"properties": {"level": level, "notes": "test"}})),
    )
    .await;
    assert!(r.status.is_success(), "{id}: {}", r.body);
    id
}

fn assert_locked(c: &Call, op: &str, scope: &str, lock: &str) {
    assert_eq!(c.status, StatusCode::CONFLICT, "{}", c.body);
    assert_eq!(c.code(), "ScopeLocked", "{}", c.body);
    let m = c.body["error"]["message"].as_str().unwrap();
    assert!(
        m.starts_with(&format!(
            "The scope '{scope}' cannot perform {op} operation because following scope(s) are locked: "
        )),
        "{m}"
    );
    assert!(m.contains(&format!("'{lock}'")), "{m}");
    assert!(m.ends_with("Please remove the lock and try again."), "{m}");
}

async fn exists(em: &Emulator, id: &str) -> bool {
    let r = call(em, "GET", id, None).await;
    r.status == StatusCode::OK
}

#[tokio::test]
async fn can_not_delete_on_a_group_refuses_deleting_it_and_what_it_holds_but_not_updates() {
    let em = Emulator::new();
    let g = group(&em, "rg-nodelete").await;
    let sa = storage(&em, &g, "stlocked01").await;
    let l = lock(&em, &g, "nodelete", "CanNotDelete").await;

    assert_locked(&call(&em, "DELETE", &sa, None).await, "delete", &sa, &l);
    assert_locked(&call(&em, "DELETE", &g, None).await, "delete", &g, &l);
    assert!(exists(&em, &sa).await && exists(&em, &g).await);
    // CanNotDelete still lets authorised users modify.
    let r = call(
        &em,
        "PUT",
        &sa,
        Some(json!({"location": "westeurope", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2", "tags": {"a": "1"}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(&em, "PATCH", &sa, Some(json!({"tags": {"b": "2"}}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Removing the lock is allowed, and unlocks.
    let r = call(&em, "DELETE", &l, None).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert!(!exists(&em, &l).await);
    let r = call(&em, "DELETE", &sa, None).await;
    assert!(r.status.is_success(), "{}", r.body);
    assert!(!exists(&em, &sa).await);
}

#[tokio::test]
async fn read_only_refuses_put_patch_and_delete_at_and_below_its_scope_only() {
    let em = Emulator::new();
    let g = group(&em, "rg-readonly").await;
    let sa = storage(&em, &g, "streadonly01").await;
    let other = storage(&em, &g, "streadonly02").await;
    let l = lock(&em, &sa, "readonly", "ReadOnly").await;

    let body = json!({"location": "westeurope", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2", "tags": {"x": "y"}});
    assert_locked(
        &call(&em, "PUT", &sa, Some(body.clone())).await,
        "write",
        &sa,
        &l,
    );
    assert_locked(
        &call(&em, "PATCH", &sa, Some(json!({"tags": {"x": "y"}}))).await,
        "write",
        &sa,
        &l,
    );
    assert_locked(&call(&em, "DELETE", &sa, None).await, "delete", &sa, &l);
    // A child of the locked account is locked too.
    let child = format!("{sa}/blobServices/default/containers/data");
    assert_locked(
        &call(&em, "PUT", &child, Some(json!({"properties": {}}))).await,
        "write",
        &child,
        &l,
    );
    // The group holds a locked resource: it cannot be deleted, but it can be
    // written (the lock is below it), and so can a sibling.
    assert_locked(&call(&em, "DELETE", &g, None).await, "delete", &g, &l);
    let r = call(
        &em,
        "PUT",
        &g,
        Some(json!({"location": "westeurope", "tags": {"t": "1"}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(&em, "PUT", &other, Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Another lock can still be added, and the lock itself removed.
    let l2 = lock(&em, &sa, "second", "CanNotDelete").await;
    let r = call(&em, "DELETE", &l, None).await;
    assert!(r.status.is_success(), "{}", r.body);
    // Still CanNotDelete: writes pass, the delete names the remaining lock.
    let r = call(&em, "PATCH", &sa, Some(json!({"tags": {"x": "z"}}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(&em, "DELETE", &sa, None).await;
    assert_locked(&r, "delete", &sa, &l2);
    assert!(!r.body["error"]["message"].as_str().unwrap().contains(&l));
}

#[tokio::test]
async fn deleting_a_group_that_holds_a_locked_resource_fails_and_deletes_nothing() {
    let em = Emulator::new();
    let g = group(&em, "rg-holds-lock").await;
    let free = storage(&em, &g, "stfree01").await;
    let sa = storage(&em, &g, "stkept01").await;
    let l = lock(&em, &sa, "keep", "CanNotDelete").await;
    assert_locked(&call(&em, "DELETE", &g, None).await, "delete", &g, &l);
    assert!(exists(&em, &g).await && exists(&em, &free).await && exists(&em, &sa).await);
    // A group merely sharing the name's prefix is not locked.
    let g2 = group(&em, "rg-holds-lock-2").await;
    let r = call(&em, "DELETE", &g2, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
}

#[tokio::test]
async fn a_subscription_lock_applies_to_its_groups() {
    let em = Emulator::new();
    let g = group(&em, "rg-under-sub-lock").await;
    let l = lock(&em, SUB, "sub-readonly", "ReadOnly").await;
    let new = rg("rg-new");
    assert_locked(
        &call(&em, "PUT", &new, Some(json!({"location": "westeurope"}))).await,
        "write",
        &new,
        &l,
    );
    assert_locked(&call(&em, "DELETE", &g, None).await, "delete", &g, &l);
    let sa = format!("{g}/providers/Microsoft.Storage/storageAccounts/stsublock01");
    assert_locked(
        &call(
            &em,
            "PUT",
            &sa,
            Some(json!({"location": "westeurope", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"})),
        )
        .await,
        "write",
        &sa,
        &l,
    );
}

#[tokio::test]
async fn a_deployment_into_a_read_only_group_fails_that_resource_with_scope_locked() {
    let em = Emulator::new();
    let g = group(&em, "rg-deploy-ro").await;
    let l = lock(&em, &g, "ro", "ReadOnly").await;
    let template = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [{
            "type": "Microsoft.Storage/storageAccounts",
            "apiVersion": "2023-01-01",
            "name": "stdeployro01",
            "location": "westeurope",
            "sku": {"name": "Standard_LRS"},
            "kind": "StorageV2",
        }],
    });
    let r = call(
        &em,
        "PUT",
        &format!("{g}/providers/Microsoft.Resources/deployments/ro"),
        Some(json!({"properties": {"mode": "Incremental", "template": template}})),
    )
    .await;
    assert_eq!(
        r.body["properties"]["provisioningState"], "Failed",
        "{}",
        r.body
    );
    let details = r.body["properties"]["error"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 1, "{}", r.body);
    assert_eq!(details[0]["code"], "ScopeLocked", "{}", r.body);
    assert!(
        details[0]["message"].as_str().unwrap().contains(&l),
        "{}",
        r.body
    );
    let sa = format!("{g}/providers/Microsoft.Storage/storageAccounts/stdeployro01");
    assert!(!exists(&em, &sa).await);
}

#[tokio::test]
async fn seeded_and_persisted_locks_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let g = rg("rg-persisted");
    let sa = format!("{g}/providers/Microsoft.Storage/storageAccounts/stpersist01");
    let l = format!("{g}/{LOCKS}/seeded");
    {
        let em = Emulator::open(dir.path()).unwrap();
        em.seed([
            (
                sa.clone(),
                json!({"location": "westeurope", "kind": "StorageV2", "properties": {}}),
            ),
            (
                l.clone(),
                json!({"type": "Microsoft.Authorization/locks", "properties": {"level": "CanNotDelete"}}),
            ),
        ]);
        assert_locked(&call(&em, "DELETE", &sa, None).await, "delete", &sa, &l);
    }
    let em = Emulator::open(dir.path()).unwrap();
    assert_locked(&call(&em, "DELETE", &g, None).await, "delete", &g, &l);
}

/// A vnet with a subnet, an NSG on it, a NIC in it attached to a VM; the
/// bodies as ARM returns them, read-only back-references included.
fn network(g: &str) -> (Vec<(String, Value)>, [String; 5]) {
    let vnet = format!("{g}/providers/Microsoft.Network/virtualNetworks/vnet");
    let subnet = format!("{vnet}/subnets/default");
    let nsg = format!("{g}/providers/Microsoft.Network/networkSecurityGroups/nsg");
    let nic = format!("{g}/providers/Microsoft.Network/networkInterfaces/nic");
    let vm = format!("{g}/providers/Microsoft.Compute/virtualMachines/vm");
    let ipc = format!("{nic}/ipConfigurations/ipconfig1");
    let seed = vec![
        (
            vnet.clone(),
            json!({"location": "westeurope", "type": "Microsoft.Network/virtualNetworks", "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [{"id": subnet, "name": "default", "properties": {
                    "addressPrefix": "10.0.0.0/24",
                    "networkSecurityGroup": {"id": nsg},
                    // Read-only: the NICs' IP configurations in the subnet.
                    "ipConfigurations": [{"id": ipc}],
                }}],
            }}),
        ),
        (
            nsg.clone(),
            json!({"location": "westeurope", "type": "Microsoft.Network/networkSecurityGroups", "properties": {
                "securityRules": [],
                // Read-only: who uses the NSG.
                "subnets": [{"id": subnet}],
                "networkInterfaces": [{"id": nic}],
            }}),
        ),
        (
            nic.clone(),
            json!({"location": "westeurope", "type": "Microsoft.Network/networkInterfaces", "properties": {
                "ipConfigurations": [{"id": ipc, "name": "ipconfig1", "properties": {
                    "privateIPAllocationMethod": "Dynamic",
                    "subnet": {"id": subnet},
                }}],
                // Read-only: the VM the NIC is attached to.
                "virtualMachine": {"id": vm},
            }}),
        ),
        (
            vm.clone(),
            json!({"location": "westeurope", "type": "Microsoft.Compute/virtualMachines", "properties": {
                "hardwareProfile": {"vmSize": "Standard_B2s"},
                "networkProfile": {"networkInterfaces": [{"id": nic, "properties": {"primary": true}}]},
            }}),
        ),
    ];
    (seed, [vnet, subnet, nsg, nic, vm])
}

#[tokio::test]
async fn a_nic_naming_its_vm_read_only_does_not_keep_the_vm_but_the_vm_keeps_the_nic() {
    let em = Emulator::new();
    let g = rg("rg-uses");
    let (seed, [vnet, _subnet, nsg, nic, vm]) = network(&g);
    em.seed(seed);
    // The VM's networkProfile (writable) uses the NIC.
    let r = call(&em, "DELETE", &nic, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.code(), "NicInUse");
    // The NIC's virtualMachine is read-only: the VM can go.
    let r = call(&em, "DELETE", &vm, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert!(!exists(&em, &vm).await);
    // The NIC's subnet (writable) keeps the network.
    let r = call(&em, "DELETE", &vnet, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.code(), "InUseSubnetCannotBeDeleted");
    // The subnet's ipConfigurations and the NSG's networkInterfaces are
    // read-only: the NIC can go now that the VM is gone.
    let r = call(&em, "DELETE", &nic, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    // The subnet's networkSecurityGroup (writable) keeps the NSG …
    let r = call(&em, "DELETE", &nsg, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.code(), "InUseNetworkSecurityGroupCannotBeDeleted");
    // … while the NSG's read-only `subnets` does not keep the network.
    let r = call(&em, "DELETE", &vnet, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let r = call(&em, "DELETE", &nsg, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
}

#[tokio::test]
async fn a_private_endpoint_is_used_by_nobody_its_server_lists_but_uses_its_subnet() {
    let em = Emulator::new();
    let g = rg("rg-pe");
    let (mut seed, [vnet, subnet, ..]) = network(&g);
    let sql = format!("{g}/providers/Microsoft.Sql/servers/sql-pe-test");
    let pe = format!("{g}/providers/Microsoft.Network/privateEndpoints/pe-sql");
    seed.push((
        pe.clone(),
        json!({"location": "westeurope", "type": "Microsoft.Network/privateEndpoints", "properties": {
            "subnet": {"id": subnet},
            "privateLinkServiceConnections": [{"name": "sql", "properties": {
                "privateLinkServiceId": sql, "groupIds": ["sqlServer"],
            }}],
        }}),
    ));
    seed.push((
        sql.clone(),
        json!({"location": "westeurope", "type": "Microsoft.Sql/servers", "properties": {
            "administratorLogin": "azreloadmin",
            // Read-only: the connections private endpoints made to it.
            "privateEndpointConnections": [{"id": format!("{sql}/privateEndpointConnections/pe-sql"), "properties": {
                "privateEndpoint": {"id": pe},
                "privateLinkServiceConnectionState": {"status": "Approved"},
            }}],
        }}),
    ));
    em.seed(seed);
    // The endpoint's privateLinkServiceId (writable) uses the server.
    let r = call(&em, "DELETE", &sql, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // The server's privateEndpointConnections is read-only: the endpoint
    // can go; then the server can.
    let r = call(&em, "DELETE", &pe, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let r = call(&em, "DELETE", &sql, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let _ = vnet;
}

#[tokio::test]
async fn a_put_ignores_references_in_read_only_properties() {
    let em = Emulator::new();
    let g = group(&em, "rg-put-ro").await;
    let subnet_vnet = format!("{g}/providers/Microsoft.Network/virtualNetworks/vnet");
    let r = call(
        &em,
        "PUT",
        &subnet_vnet,
        Some(json!({"location": "westeurope", "properties": {
            "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.1.0.0/24"}}],
        }})),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    // A NIC read back after its VM was deleted still names the VM in the
    // read-only `virtualMachine`; writing it again must not resolve it.
    let gone_vm = format!("{g}/providers/Microsoft.Compute/virtualMachines/vm-gone");
    let nic = format!("{g}/providers/Microsoft.Network/networkInterfaces/nic");
    let r = call(
        &em,
        "PUT",
        &nic,
        Some(json!({"location": "westeurope", "properties": {
            "ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": format!("{subnet_vnet}/subnets/default")}}}],
            "virtualMachine": {"id": gone_vm},
        }})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A writable reference to a missing resource still fails.
    let r = call(
        &em,
        "PUT",
        &nic,
        Some(json!({"location": "westeurope", "properties": {
            "ipConfigurations": [{"name": "ipconfig1", "properties": {"subnet": {"id": format!("{subnet_vnet}/subnets/missing")}}}],
        }})),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.code(), "InvalidResourceReference");
}

#[tokio::test]
async fn an_updated_referrer_releases_what_it_no_longer_names_and_uses_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let g = rg("rg-reindex");
    let (seed, [vnet, _subnet, _nsg, nic, vm]) = network(&g);
    {
        let em = Emulator::open(dir.path()).unwrap();
        em.seed(seed);
    }
    // Reopened: the VM still uses the NIC, the NIC still the subnet.
    let em = Emulator::open(dir.path()).unwrap();
    let r = call(&em, "DELETE", &nic, None).await;
    assert_eq!(r.code(), "NicInUse", "{}", r.body);
    let r = call(&em, "DELETE", &vnet, None).await;
    assert_eq!(r.code(), "InUseSubnetCannotBeDeleted", "{}", r.body);
    // The VM written again without the NIC no longer uses it.
    let r = call(
        &em,
        "PATCH",
        &vm,
        Some(json!({"properties": {"networkProfile": {"networkInterfaces": []}}})),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = call(&em, "DELETE", &nic, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    // With the NIC gone nothing uses the subnet.
    let r = call(&em, "DELETE", &vnet, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
}
