//! The disk data path, rehearsed as a VM relocation through the HTTP API:
//! a source VM with its implicit OS and data disks, incremental snapshots,
//! the cross-region CopyStart with its progress, disks from the copies and a
//! target VM attaching them — with the errors ARM gives on the way
//! (learn.microsoft.com "Copy an incremental snapshot to a new region";
//! Compute REST API: Disks, Snapshots, CreationData, CopyCompletionError).

use std::time::Duration;

use axum::http::StatusCode;
use azrelo_emulator::Emulator;
use azrelo_emulator::latency::{Clock, LatencyProfile};
use azrelo_testkit::{call, rg};
use serde_json::{Value, json};

fn compute(group: &str, ty: &str, name: &str) -> String {
    format!("{}/providers/Microsoft.Compute/{ty}/{name}", rg(group))
}

fn network(em_group: &str) -> (String, String) {
    let vnet = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet",
        rg(em_group)
    );
    let nic = format!(
        "{}/providers/Microsoft.Network/networkInterfaces/nic",
        rg(em_group)
    );
    (vnet, nic)
}

async fn network_for(em: &Emulator, clock: &Clock, group: &str, location: &str) -> String {
    let (vnet, nic) = network(group);
    let c = call(
        em,
        "PUT",
        &vnet,
        Some(json!({"location": location, "properties": {
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{"name": "default", "properties": {"addressPrefix": "10.0.0.0/24"}}],
        }})),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let c = call(
        em,
        "PUT",
        &nic,
        Some(
            json!({"location": location, "properties": {"ipConfigurations": [{
                "name": "ip",
                "properties": {"subnet": {"id": format!("{vnet}/subnets/default")}},
            }]}}),
        ),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    clock.advance(Duration::from_secs(10));
    nic
}

fn snapshot_body(location: &str, option: &str, source: &str, incremental: bool) -> Value {
    json!({
        "location": location,
        "properties": {
            "creationData": {"createOption": option, "sourceResourceId": source},
            "incremental": incremental,
        },
    })
}

#[tokio::test]
async fn a_vm_relocation_rehearsed_through_disks_snapshots_and_copystart() {
    let clock = Clock::manual();
    let em = Emulator::new()
        .with_latency(LatencyProfile::Realistic)
        .with_clock(clock.clone());
    for (g, loc) in [("src", "westeurope"), ("dst", "swedencentral")] {
        call(&em, "PUT", &rg(g), Some(json!({"location": loc}))).await;
    }
    let src_nic = network_for(&em, &clock, "src", "westeurope").await;

    // The source VM: OS disk from an image and an empty data disk, both
    // created implicitly by ARM and attached.
    let vm = compute("src", "virtualMachines", "app");
    let c = call(
        &em,
        "PUT",
        &vm,
        Some(json!({"location": "westeurope", "properties": {
            "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
            "storageProfile": {
                "imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"},
                "osDisk": {"createOption": "FromImage", "name": "app-os", "diskSizeGB": 64, "osType": "Linux",
                           "managedDisk": {"storageAccountType": "Premium_LRS"}},
                "dataDisks": [{"lun": 0, "createOption": "Empty", "diskSizeGB": 128}],
            },
            "networkProfile": {"networkInterfaces": [{"id": src_nic}]},
        }})),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let os_disk = compute("src", "disks", "app-os");
    assert_eq!(
        c.body["properties"]["storageProfile"]["osDisk"]["managedDisk"]["id"],
        os_disk.as_str()
    );
    let data_disk = c.body["properties"]["storageProfile"]["dataDisks"][0]["managedDisk"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(data_disk.contains("/disks/app_disk0_"), "{data_disk}");
    let d = call(&em, "GET", &os_disk, None).await;
    assert_eq!(d.body["managedBy"], vm.as_str());
    assert_eq!(d.body["properties"]["diskState"], "Attached");
    assert_eq!(d.body["properties"]["diskSizeGB"], 64);
    assert_eq!(
        d.body["properties"]["creationData"]["createOption"],
        "FromImage"
    );
    // An attached disk cannot be deleted.
    let del = call(&em, "DELETE", &os_disk, None).await;
    assert_eq!(
        (del.status, del.code()),
        (StatusCode::CONFLICT, "OperationNotAllowed")
    );
    clock.advance(Duration::from_secs(90));

    // Incremental snapshots of both disks, in the source region (Compute
    // answers a disk or snapshot PUT with 202: Snapshots_CreateOrUpdate 200, 202).
    let snap_os = compute("src", "snapshots", "app-os-snap");
    let c = call(
        &em,
        "PUT",
        &snap_os,
        Some(snapshot_body("westeurope", "Copy", &os_disk, true)),
    )
    .await;
    assert_eq!(c.status, StatusCode::ACCEPTED, "{}", c.body);
    assert_eq!(c.body["properties"]["incremental"], true);
    assert_eq!(c.body["properties"]["diskSizeGB"], 64);
    let snap_data = compute("src", "snapshots", "app-data-snap");
    let c = call(
        &em,
        "PUT",
        &snap_data,
        Some(snapshot_body("westeurope", "Copy", &data_disk, true)),
    )
    .await;
    assert_eq!(c.status, StatusCode::ACCEPTED, "{}", c.body);
    // `Copy` does not cross regions.
    let c = call(
        &em,
        "PUT",
        &compute("dst", "snapshots", "wrong"),
        Some(snapshot_body("swedencentral", "Copy", &os_disk, true)),
    )
    .await;
    assert_eq!(
        (c.status, c.code()),
        (StatusCode::BAD_REQUEST, "InvalidParameter")
    );
    clock.advance(Duration::from_secs(15));

    // CopyStart needs incremental on both sides.
    let c = call(
        &em,
        "PUT",
        &compute("dst", "snapshots", "full"),
        Some(snapshot_body("swedencentral", "CopyStart", &snap_os, false)),
    )
    .await;
    assert_eq!(
        (c.status, c.code()),
        (StatusCode::BAD_REQUEST, "OperationNotAllowed")
    );
    // The cross-region copies; their progress follows the size.
    let copy_os = compute("dst", "snapshots", "app-os-copy");
    let c = call(
        &em,
        "PUT",
        &copy_os,
        Some(snapshot_body("swedencentral", "CopyStart", &snap_os, true)),
    )
    .await;
    assert_eq!(c.status, StatusCode::ACCEPTED, "{}", c.body);
    assert_eq!(c.body["properties"]["completionPercent"], 0.0);
    // One copy of a particular disk at a time.
    let c = call(
        &em,
        "PUT",
        &compute("dst", "snapshots", "app-os-copy2"),
        Some(snapshot_body("swedencentral", "CopyStart", &snap_os, true)),
    )
    .await;
    assert_eq!(
        (c.status, c.code()),
        (StatusCode::CONFLICT, "OperationNotAllowed")
    );
    let copy_data = compute("dst", "snapshots", "app-data-copy");
    let c = call(
        &em,
        "PUT",
        &copy_data,
        Some(snapshot_body(
            "swedencentral",
            "CopyStart",
            &snap_data,
            true,
        )),
    )
    .await;
    assert_eq!(c.status, StatusCode::ACCEPTED, "{}", c.body);

    // 64 GiB at 10 s per GiB: 640 s. Halfway there:
    clock.advance(Duration::from_secs(320));
    let s = call(&em, "GET", &copy_os, None).await;
    assert_eq!(s.state(), "Succeeded", "the PUT completes before the copy");
    assert_eq!(s.body["properties"]["completionPercent"], 50.0);
    let s = call(&em, "GET", &copy_data, None).await;
    assert_eq!(s.body["properties"]["completionPercent"], 25.0, "128 GiB");
    // A disk from an incomplete copy is refused.
    let new_os = compute("dst", "disks", "app-os");
    let disk_from = |src: &str| {
        json!({"location": "swedencentral", "sku": {"name": "Premium_LRS"}, "properties": {
            "creationData": {"createOption": "Copy", "sourceResourceId": src},
        }})
    };
    let c = call(&em, "PUT", &new_os, Some(disk_from(&copy_os))).await;
    assert_eq!(
        (c.status, c.code()),
        (StatusCode::CONFLICT, "OperationNotAllowed")
    );
    clock.advance(Duration::from_secs(320));
    let s = call(&em, "GET", &copy_os, None).await;
    assert_eq!(s.body["properties"]["completionPercent"], 100.0);
    let c = call(&em, "PUT", &new_os, Some(disk_from(&copy_os))).await;
    assert_eq!(c.status, StatusCode::ACCEPTED, "{}", c.body);
    assert_eq!(
        c.body["properties"]["diskSizeGB"], 64,
        "size from the source"
    );
    assert_eq!(c.body["properties"]["osType"], "Linux");
    assert_eq!(c.body["properties"]["diskState"], "Unattached");
    // Disks only grow.
    clock.advance(Duration::from_secs(10));
    let mut smaller = disk_from(&copy_os);
    smaller["properties"]["diskSizeGB"] = json!(32);
    let c = call(&em, "PUT", &new_os, Some(smaller)).await;
    assert_eq!(c.code(), "OperationNotAllowed");
    clock.advance(Duration::from_secs(640));
    let new_data = compute("dst", "disks", "app-data");
    assert_eq!(
        call(&em, "PUT", &new_data, Some(disk_from(&copy_data)))
            .await
            .status,
        StatusCode::ACCEPTED
    );
    clock.advance(Duration::from_secs(10));

    // The target VM attaches the copied disks, in its own region only.
    let dst_nic = network_for(&em, &clock, "dst", "swedencentral").await;
    let target_vm = compute("dst", "virtualMachines", "app");
    let vm_body = |os: &str, data: &str| {
        json!({"location": "swedencentral", "properties": {
            "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
            "storageProfile": {
                "osDisk": {"createOption": "Attach", "osType": "Linux", "managedDisk": {"id": os}},
                "dataDisks": [{"lun": 0, "createOption": "Attach", "managedDisk": {"id": data}}],
            },
            "networkProfile": {"networkInterfaces": [{"id": dst_nic}]},
        }})
    };
    let c = call(&em, "PUT", &target_vm, Some(vm_body(&new_os, &data_disk))).await;
    assert_eq!(
        (c.status, c.code()),
        (StatusCode::BAD_REQUEST, "InvalidParameter"),
        "a source-region disk cannot be attached: {}",
        c.body
    );
    let c = call(&em, "PUT", &target_vm, Some(vm_body(&new_os, &new_data))).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let d = call(&em, "GET", &new_data, None).await;
    assert_eq!(d.body["managedBy"], target_vm.as_str());
    assert_eq!(d.body["properties"]["diskState"], "Attached");
    // A disk attached to one VM cannot be attached to another.
    clock.advance(Duration::from_secs(90));
    let other = compute("dst", "virtualMachines", "other");
    let c = call(&em, "PUT", &other, Some(vm_body(&new_os, &new_data))).await;
    assert_eq!(
        (c.status, c.code()),
        (StatusCode::CONFLICT, "OperationNotAllowed")
    );

    // Commit: the source VM goes; its disks are detached, then deletable.
    let d = call(&em, "DELETE", &vm, None).await;
    assert_eq!(d.status, StatusCode::ACCEPTED);
    clock.advance(Duration::from_secs(60));
    let d = call(&em, "GET", &os_disk, None).await;
    assert_eq!(d.body["properties"]["diskState"], "Unattached");
    assert!(d.body.get("managedBy").is_none());
    assert_eq!(
        call(&em, "DELETE", &os_disk, None).await.status,
        StatusCode::ACCEPTED,
        "snapshots taken from it do not keep it in use"
    );
}

#[tokio::test]
async fn deleting_the_source_during_a_copy_fails_the_copy() {
    let clock = Clock::manual();
    let em = Emulator::new()
        .with_latency(LatencyProfile::Fast)
        .with_clock(clock.clone());
    for (g, loc) in [("a", "westeurope"), ("b", "northeurope")] {
        call(&em, "PUT", &rg(g), Some(json!({"location": loc}))).await;
    }
    let disk = compute("a", "disks", "d");
    let c = call(
        &em,
        "PUT",
        &disk,
        Some(json!({"location": "westeurope", "properties": {
            "creationData": {"createOption": "Empty"}, "diskSizeGB": 1024}})),
    )
    .await;
    assert_eq!(c.status, StatusCode::ACCEPTED, "{}", c.body);
    // An empty disk needs a size; creationData is required.
    let c = call(
        &em,
        "PUT",
        &compute("a", "disks", "nosize"),
        Some(json!({"location": "westeurope", "properties": {"creationData": {"createOption": "Empty"}}})),
    )
    .await;
    assert_eq!(c.code(), "InvalidParameter");
    let c = call(
        &em,
        "PUT",
        &compute("a", "disks", "nocd"),
        Some(json!({"location": "westeurope", "properties": {"diskSizeGB": 4}})),
    )
    .await;
    assert_eq!(c.code(), "InvalidParameter");
    clock.advance(Duration::from_secs(1));
    let snap = compute("a", "snapshots", "s");
    call(
        &em,
        "PUT",
        &snap,
        Some(snapshot_body("westeurope", "Copy", &disk, true)),
    )
    .await;
    clock.advance(Duration::from_secs(1));
    let copy = compute("b", "snapshots", "s-copy");
    let c = call(
        &em,
        "PUT",
        &copy,
        Some(snapshot_body("northeurope", "CopyStart", &snap, true)),
    )
    .await;
    assert_eq!(c.status, StatusCode::ACCEPTED, "{}", c.body);
    // 1024 GiB × 10 s × 0.05 = 512 s in the fast profile.
    clock.advance(Duration::from_secs(256));
    assert_eq!(
        call(&em, "GET", &copy, None).await.body["properties"]["completionPercent"],
        50.0
    );
    // The source snapshot is not "in use" by the copy: it can be deleted,
    // and the copy then fails as Azure reports it.
    assert_eq!(
        call(&em, "DELETE", &snap, None).await.status,
        StatusCode::ACCEPTED
    );
    clock.advance(Duration::from_secs(1));
    let c = call(&em, "GET", &copy, None).await;
    assert_eq!(
        c.body["properties"]["copyCompletionError"]["errorCode"],
        "CopySourceNotFound"
    );
    clock.advance(Duration::from_secs(600));
    let c = call(&em, "GET", &copy, None).await;
    assert!(c.body["properties"]["completionPercent"].as_f64().unwrap() < 100.0);
    let c = call(
        &em,
        "PUT",
        &compute("b", "disks", "from-failed"),
        Some(json!({"location": "northeurope", "properties": {
            "creationData": {"createOption": "Copy", "sourceResourceId": copy}}})),
    )
    .await;
    assert_eq!(c.code(), "OperationNotAllowed");
}
