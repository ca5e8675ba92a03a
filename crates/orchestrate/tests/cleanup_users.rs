//! Source cleanup keeps a source that a resource the plan leaves in place
//! still uses (issue #13's corpus class "source cleanup refused: a moved
//! source is still in use by a resource outside the plan": VPN connections
//! kept in place on their gateways, workspaces a target region does not
//! offer on their key vault, children the inputs did not list). Here the
//! example estate plus a Traffic Manager profile (Resource Graph row, an
//! Azure endpoint whose `targetResourceId` names the example's load
//! balancer address) that the operator leaves out of the plan: the address
//! moves (without the profile it would be deleted, as the example's e2e
//! test shows), its source is kept and says why.

mod common;

use azrelo_orchestrate::{CrashHook, State, status};
use azrelo_plan::{Filter, PlanOptions};
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_a_resource_left_in_place_uses_is_kept_with_the_reason() {
    kept_for_its_user(true).await;
}

/// The same profile missing from the inputs (as children Resource Graph
/// does not list): ARM's refusal names it, and since no unit of the plan
/// covers it, it stays, and so does the address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_arm_finds_in_use_by_a_resource_outside_the_inputs_is_kept() {
    kept_for_its_user(false).await;
}

async fn kept_for_its_user(in_inputs: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let pip = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-shop-net/providers/Microsoft.Network/publicIPAddresses/pip-shop-lb"
    );
    let profile = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-shop-net/providers/Microsoft.Network/trafficManagerProfiles/tm-shop"
    );
    let rows = json!({
        "count": 1,
        "data": [{
            "id": profile,
            "name": "tm-shop",
            "type": "microsoft.network/trafficmanagerprofiles",
            "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "kind": "",
            "location": "global",
            "resourceGroup": "rg-shop-net",
            "subscriptionId": SUB,
            "managedBy": "",
            "sku": null,
            "plan": null,
            "properties": {
                "profileStatus": "Enabled",
                "trafficRoutingMethod": "Priority",
                "dnsConfig": { "relativeName": "tm-shop", "fqdn": "tm-shop.trafficmanager.net", "ttl": 60 },
                "monitorConfig": { "protocol": "HTTPS", "port": 443, "path": "/health", "profileMonitorStatus": "Online" },
                "endpoints": [{
                    "id": format!("{profile}/azureEndpoints/weu"),
                    "name": "weu",
                    "type": "Microsoft.Network/trafficManagerProfiles/azureEndpoints",
                    "properties": {
                        "endpointStatus": "Enabled",
                        "endpointMonitorStatus": "Online",
                        "targetResourceId": pip,
                        "target": "shop-weu.westeurope.cloudapp.azure.com",
                        "weight": 1,
                        "priority": 1
                    }
                }],
                "trafficViewEnrollmentStatus": "Disabled"
            },
            "tags": {},
            "identity": null,
            "zones": null,
            "extendedLocation": null
        }],
        "skip_token": null,
        "total_records": 1
    });
    let extra = tmp.path().join("arg-trafficmanager.json");
    std::fs::write(&extra, rows.to_string()).unwrap();
    let dir = tmp.path().join("plan");
    let mut opts = PlanOptions::new("northeurope");
    opts.exclude = vec![Filter::parse("Microsoft.Network/trafficManagerProfiles").unwrap()];
    let inputs = if in_inputs { vec![extra] } else { Vec::new() };
    azrelo_testkit::example::make_plan_dir_with(&dir, &opts, &inputs);
    let plan = azrelo_run::PlanDir::new(&dir).load_run().unwrap();
    let user = plan
        .estate_users
        .iter()
        .find(|u| u.id.as_str().eq_ignore_ascii_case(&profile));
    if in_inputs {
        let user = user.expect("the profile is a resource the plan leaves in place");
        assert_eq!(user.below, None);
        let ip = plan
            .units
            .iter()
            .position(|u| {
                u.source_id
                    .as_ref()
                    .is_some_and(|s| s.as_str().eq_ignore_ascii_case(&pip))
            })
            .unwrap();
        assert!(user.uses.contains(&ip), "{user:?}");
    } else {
        assert!(user.is_none());
    }

    let em = azrelo_emulator::Emulator::open(&tmp.path().join("emulator"))
        .unwrap()
        .with_throttling(false);
    em.seed(estate_seed(&dir));
    if !in_inputs {
        let mut body = rows["data"][0].clone();
        body["type"] = json!("Microsoft.Network/trafficManagerProfiles");
        em.seed(vec![(profile.clone(), body)]);
    }
    let arm = EmulatorArm::new(&em);
    // The preview cannot foresee ARM's refusal of what the inputs lack.
    drive_checked(&dir, arm.clone(), CrashHook::none(), 8, in_inputs)
        .await
        .unwrap();
    // The address moved; its source stays, because the profile routes to it.
    let journal = azrelo_orchestrate::open_journal(&dir).unwrap();
    let plan = azrelo_run::PlanDir::new(&dir).load_run().unwrap();
    let st = status(&plan, &journal).unwrap();
    let row = st
        .units
        .iter()
        .find(|r| {
            r.source
                .as_ref()
                .is_some_and(|s| s.as_str().eq_ignore_ascii_case(&pip))
        })
        .unwrap();
    assert_eq!(row.state, State::SourceKept, "{row:?}");
    let why = if in_inputs {
        "which the plan leaves in place"
    } else {
        "which stays (ARM refuses the deletion"
    };
    assert!(
        row.note
            .as_deref()
            .is_some_and(|n| n.contains("tm-shop") && n.contains(why)),
        "{row:?}"
    );
    use azrelo_orchestrate::Arm;
    assert!(arm.get(&pip, "2023-09-01").await.unwrap().is_some());
    assert!(arm.get(&profile, "2022-04-01").await.unwrap().is_some());
}
