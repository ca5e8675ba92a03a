//! Units, dependencies and gates read from the example's plan directory.

mod common;

use azrelo_orchestrate::UnitKind;
use common::*;

#[test]
fn the_example_becomes_units_with_the_dependencies_arm_needs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plan");
    make_plan_dir(&dir, "northeurope");
    let plan = azrelo_run::PlanDir::new(&dir).load_run().unwrap();
    let count = |k: UnitKind| plan.units.iter().filter(|u| u.kind == k).count();
    assert_eq!(
        count(UnitKind::DiskCopy),
        4,
        "the four managed disks use the snapshot mover"
    );
    assert!(count(UnitKind::Reconfigure) >= 10);
    // Backup items are no units of their own: the plan's actions relocate
    // them (stop protection, re-protect), so nothing of them is manual.
    assert!(
        !plan
            .units
            .iter()
            .any(|u| u.kind == UnitKind::Manual && u.resource_type.ends_with("protectedItems")),
        "backup items are relocated by actions"
    );
    let action = |executor: &str, name: &str| {
        plan.units
            .iter()
            .position(|u| {
                u.kind.as_str() == executor && u.key.as_str().to_ascii_lowercase().contains(name)
            })
            .unwrap_or_else(|| panic!("no {executor} action for {name}"))
    };
    let unit = |suffix: &str| {
        plan.units
            .iter()
            .position(|u| {
                u.key
                    .as_str()
                    .to_ascii_lowercase()
                    .ends_with(&suffix.to_ascii_lowercase())
            })
            .unwrap_or_else(|| panic!("no unit {suffix}"))
    };
    let depends = |a: &str, b: &str| plan.units[unit(a)].deps.contains(&unit(b));
    // A VM needs its NIC, its disks and its user-assigned identity.
    assert!(depends(
        "virtualMachines/vm-shop-app-01",
        "networkInterfaces/nic-vm-shop-app-01"
    ));
    assert!(depends(
        "virtualMachines/vm-shop-app-01",
        "disks/vm-shop-app-01_OsDisk_1"
    ));
    assert!(depends(
        "virtualMachines/vm-shop-app-01",
        "userAssignedIdentities/id-shop-app"
    ));
    // Protection stops before the VM moves and comes back after it, once
    // the target vault exists; the baseline is captured before any stop and
    // compared after every re-protection.
    let vm = unit("virtualMachines/vm-shop-app-01");
    let stop = action("backup-stop-protection", "vm-shop-app-01");
    let reprotect = action("backup-reprotect", "vm-shop-app-01");
    let capture = action("backup-baseline-capture", "rsv-shop-weu");
    let compare = action("backup-baseline-compare", "rsv-shop-weu");
    assert!(plan.units[vm].deps.contains(&stop));
    assert!(plan.units[reprotect].deps.contains(&vm));
    assert!(
        plan.units[reprotect]
            .deps
            .contains(&unit("vaults/rsv-shop-weu"))
    );
    assert!(plan.units[stop].deps.contains(&capture));
    assert!(plan.units[compare].deps.contains(&reprotect));
    // A NIC needs the virtual network of its subnet (an ancestor of the id).
    assert!(depends(
        "networkInterfaces/nic-vm-shop-app-01",
        "virtualNetworks/vnet-shop-weu"
    ));
    // Everything in a group needs the group.
    assert!(depends(
        "networkSecurityGroups/nsg-shop-app",
        "resourceGroups/rg-shop-net-northeurope"
    ));
    // A role assignment for a recreated identity waits for that identity.
    let p: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("plan.json")).unwrap()).unwrap();
    let mut checked = 0;
    for ra in p["roleAssignments"].as_array().unwrap() {
        let Some(identity) = ra
            .pointer("/targetPrincipal/identity")
            .and_then(|v| v.as_str())
        else {
            continue;
        };
        let id = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            ra["targetScope"].as_str().unwrap(),
            ra["targetName"].as_str().unwrap()
        );
        let i = plan.find(&id).unwrap();
        let j = plan.find(identity).unwrap();
        assert!(
            plan.units[i].deps.contains(&j),
            "{id} must wait for {identity}"
        );
        let d = plan.units[i].deploy.as_ref().unwrap();
        assert!(d.principal_params.iter().any(|(_, who)| who == identity));
        assert!(
            d.secure_params
                .iter()
                .all(|p| !p.starts_with("principalId_"))
        );
        checked += 1;
    }
    assert!(checked >= 3);
    // The order respects every dependency; deployment names are unique.
    let pos: std::collections::HashMap<usize, usize> = plan
        .order
        .iter()
        .enumerate()
        .map(|(k, &i)| (i, k))
        .collect();
    let mut names = std::collections::HashSet::new();
    for (i, u) in plan.units.iter().enumerate() {
        for &d in &u.deps {
            assert!(pos[&d] < pos[&i], "{} before {}", plan.units[d].key, u.key);
        }
        if let Some(d) = &u.deploy {
            assert!(
                names.insert(d.name.to_ascii_lowercase()),
                "{} twice",
                d.name
            );
            assert!(d.name.len() <= 64);
        }
    }
    // Disks stop at their final-sync gate before the move; data movers azrelo
    // does not automate are gates too.
    let disk = &plan.units[unit("disks/vm-shop-app-01_data_0")];
    assert_eq!(disk.gates_before.len(), 1);
    let kv = &plan.units[unit("vaults/kv-shop-weu-northeurope")];
    assert!(
        kv.gates_before
            .iter()
            .any(|g| g.id.starts_with("start-data-copy:"))
    );
    // A generated body names no source id of a moved resource's children.
    let nic = &plan.units[unit("networkInterfaces/nic-vm-shop-app-01")];
    let text = nic.deploy.as_ref().unwrap().resource.to_string();
    assert!(!text.contains("/resourceGroups/rg-shop-app/"), "{text}");
}
