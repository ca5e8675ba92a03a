//! Generated templates for the built-in example: every template re-expands
//! with azrelo's template engine; no moved resource refers to a source id of
//! a moved resource; no regional resource keeps the source location; no
//! read-only property remains; planted secret values appear in no output.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use azrelo_arm::scan::find_resource_ids;
use azrelo_catalog::Catalog;
use azrelo_estate::{Estate, LoadOptions, load_inputs};
use azrelo_generate::{Generated, embedded_flags, generate};
use azrelo_plan::{Plan, PlanOptions, plan};
use serde_json::{Value, json};

mod common;

fn example() -> Estate {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/contoso-shop");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    load_inputs(&files, &LoadOptions::default()).unwrap()
}

fn run(estate: &Estate, target: &str) -> (Plan, Generated) {
    let g = azrelo_graph::build(estate);
    let p = plan(estate, &g, Catalog::embedded(), &PlanOptions::new(target)).unwrap();
    let out = generate(&p, estate, Catalog::embedded(), embedded_flags());
    (p, out)
}

fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[test]
fn example_templates_reexpand_and_hold_the_invariants() {
    let estate = example();
    let (p, out) = run(&estate, "swedencentral");
    assert!(out.deployments.len() >= 8, "{}", out.deployments.len());
    let moved: HashSet<String> = p
        .id_map
        .iter()
        .map(|m| m.source.as_str().to_ascii_lowercase())
        .collect();
    let source_ids = common::SourceIds::new(p.id_map.iter().map(|m| m.source.as_str()));
    let flags = azrelo_arm::schema::SchemaFlags::embedded();
    let mut expanded_resources = 0;
    for d in &out.deployments {
        // 1. Re-expansion with the project's engine, secure parameters given.
        let e = common::expand_deployment(d, "swedencentral")
            .unwrap_or_else(|e| panic!("{}: {e}", d.name));
        expanded_resources += e.resources.len();
        for r in &e.resources {
            // 2. No reference to a source id of a moved resource.
            assert!(
                !moved.contains(&r.id.to_ascii_lowercase()),
                "{}: deploys a source id {}",
                d.name,
                r.id
            );
        }
        for res in d.template["resources"].as_array().unwrap() {
            let mut ss = Vec::new();
            strings(res, &mut ss);
            for s in ss {
                for m in find_resource_ids(s) {
                    assert!(
                        !moved.contains(&m.text.to_ascii_lowercase()),
                        "{}: {} still refers to the source {}",
                        d.name,
                        res["name"],
                        m.text
                    );
                }
            }
            // ... nor to anything below one (a NIC's own ipConfigurations,
            // a load balancer's pools), in any string or key.
            if let Some((s, id)) = source_ids.first_in(res) {
                panic!(
                    "{}: {} still refers to the source {id} (or below it): {s}",
                    d.name, res["name"]
                );
            }
            // 3. No regional resource keeps the source location.
            if let Some(loc) = res.get("location").and_then(|l| l.as_str()) {
                assert!(
                    loc == "swedencentral" || loc.eq_ignore_ascii_case("global"),
                    "{}: {} located in {loc}",
                    d.name,
                    res["name"]
                );
            }
            // 4. No read-only property (schema flags) remains.
            let ty = res["type"].as_str().unwrap();
            if let (Some(tf), Some(props)) = (flags.get(ty), res.get("properties")) {
                let mut stack = vec![(String::from("/properties"), props)];
                while let Some((ptr, v)) = stack.pop() {
                    assert!(
                        !tf.is_read_only(&ptr),
                        "{}: {ty} keeps read-only {ptr}",
                        d.name
                    );
                    match v {
                        Value::Object(m) => {
                            for (k, x) in m {
                                stack.push((format!("{ptr}/{k}"), x));
                            }
                        }
                        Value::Array(a) => {
                            for (i, x) in a.iter().enumerate() {
                                stack.push((format!("{ptr}/{i}"), x));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(expanded_resources > 30, "{expanded_resources}");
    // The manifest orders deployments by wave.
    let m = out.manifest().deployments;
    assert!(m.windows(2).all(|w| w[0].wave <= w[1].wave));
    assert!(m[0].command.starts_with("az deployment sub create"));
}

#[test]
fn planted_secrets_never_reach_a_generated_file() {
    let mut estate = example();
    let canaries = [
        "CANARY-adminPassword-7f3a",
        "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=CANARYKEY9x==",
        "CANARY-client-secret-55",
    ];
    for r in &mut estate.resources {
        let t = r.resource_type.to_ascii_lowercase();
        if t == "microsoft.compute/virtualmachines" {
            r.properties["osProfile"]["adminPassword"] = json!(canaries[0]);
        }
        if t == "microsoft.logic/workflows" {
            r.properties["parameters"]["storageConn"] = json!({"value": canaries[1]});
        }
        if t == "microsoft.keyvault/vaults" {
            r.properties["tenantSettings"] = json!({"clientSecret": canaries[2]});
        }
    }
    let (_, out) = run(&estate, "swedencentral");
    let text = serde_json::to_string(&out).unwrap();
    for c in canaries {
        assert!(!text.contains(c), "secret leaked: {c}");
    }
    assert!(!text.contains("CANARY"), "a canary fragment leaked");
    assert!(
        out.deployments
            .iter()
            .any(|d| !d.secure_parameters.is_empty())
    );
}

#[test]
fn large_groups_are_split_within_arm_limits() {
    // 850 network security groups in one resource group: more than the 800
    // resources one template may hold.
    let mut estate = Estate::new();
    for i in 0..850 {
        let r: azrelo_estate::Resource = serde_json::from_value(json!({
            "id": format!("/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-big/providers/Microsoft.Network/networkSecurityGroups/nsg-{i:03}"),
            "type": "Microsoft.Network/networkSecurityGroups",
            "name": format!("nsg-{i:03}"),
            "location": "westeurope",
            "properties": {"securityRules": []},
        }))
        .unwrap();
        azrelo_estate::insert_resource(&mut estate, r);
    }
    let (_, out) = run(&estate, "swedencentral");
    let parts: Vec<_> = out
        .deployments
        .iter()
        .filter(|d| d.name.contains("rg-big"))
        .collect();
    assert!(
        parts.len() >= 2,
        "{:?}",
        parts.iter().map(|d| &d.name).collect::<Vec<_>>()
    );
    for d in &parts {
        let n = d.template["resources"].as_array().unwrap().len();
        assert!(n <= 800, "{}: {n} resources", d.name);
        assert!(serde_json::to_vec(&d.template).unwrap().len() <= 4 * 1024 * 1024);
    }
    let total: usize = parts
        .iter()
        .map(|d| d.template["resources"].as_array().unwrap().len())
        .sum();
    assert_eq!(total, 850);
    // Distinct deployment names.
    let names: HashSet<&String> = parts.iter().map(|d| &d.name).collect();
    assert_eq!(names.len(), parts.len());
}

/// A sub-resource the plan does not list on its own — a load balancer's
/// backend pool, a NIC's own ip configuration — is re-pointed below its
/// parent's target id (its own path kept), and `azrelo diff` lists it.
/// ARM ids of these: Microsoft.Network REST API, "Network Interfaces -
/// Create Or Update" (`loadBalancerBackendAddressPools[].id` =
/// `{loadBalancer id}/backendAddressPools/{name}`).
#[test]
fn sub_resources_of_moved_resources_follow_their_parent() {
    let estate = example();
    let (p, out) = run(&estate, "swedencentral");
    let target_of = |suffix: &str| {
        let m = p
            .id_map
            .iter()
            .find(|m| m.source.as_str().to_ascii_lowercase().ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix} in the id map"));
        (m.source.to_string(), m.target.to_string())
    };
    let (lb_src, lb_t) = target_of("/loadbalancers/lb-shop-web");
    let (nic_src, nic_t) = target_of("/networkinterfaces/nic-vm-shop-web-01");
    let nic = out
        .deployments
        .iter()
        .flat_map(|d| d.template["resources"].as_array().unwrap())
        .find(|r| {
            r["type"] == "Microsoft.Network/networkInterfaces" && r["name"] == "nic-vm-shop-web-01"
        })
        .expect("the NIC is generated");
    let ipc = &nic["properties"]["ipConfigurations"][0];
    assert_eq!(
        ipc["properties"]["loadBalancerBackendAddressPools"][0]["id"],
        json!(format!("{lb_t}/backendAddressPools/be-web"))
    );
    if let Some(id) = ipc.get("id") {
        assert_eq!(id, &json!(format!("{nic_t}/ipConfigurations/ipconfig1")));
    }
    let changes = &out.changes[nic_src.as_str()];
    assert!(
        changes.iter().any(|c| c.kind == azrelo_generate::ChangeKind::Reference
            && c.pointer
                == "/properties/ipConfigurations/0/properties/loadBalancerBackendAddressPools/0/id"
            && c.detail.contains("sub-resource")),
        "{changes:?}"
    );
    // The load balancer's rules name its own frontends and pools at its
    // target id.
    let lb = out
        .deployments
        .iter()
        .flat_map(|d| d.template["resources"].as_array().unwrap())
        .find(|r| r["type"] == "Microsoft.Network/loadBalancers")
        .expect("the load balancer is generated");
    let text = lb.to_string();
    assert!(
        !text
            .to_ascii_lowercase()
            .contains(&lb_src.to_ascii_lowercase())
    );
    assert!(
        text.contains(&format!("{lb_t}/frontendIPConfigurations/fe-public")),
        "{text}"
    );
}

/// `stand_ins` writes exactly what the plan relocates by hand — here an
/// Azure Data Explorer cluster (`az resource show` body; no catalog entry,
/// so the plan's conservative default is a manual relocation) — with the
/// generator's body rules (target name and region, no read-only values),
/// and nothing `generate` writes: the rehearsal creates it for the
/// operator, `apply` never does (issue #13).
#[test]
fn stand_ins_are_the_manual_relocations_only_with_the_generators_body_rules() {
    let sub = "11111111-2222-3333-4444-555555555555";
    let rg = format!("/subscriptions/{sub}/resourceGroups/rg-adx");
    let cluster = json!({
        "id": format!("{rg}/providers/Microsoft.Kusto/Clusters/adx7qcluster"),
        "name": "adx7qcluster",
        "type": "Microsoft.Kusto/Clusters",
        "location": "westeurope",
        "sku": {"name": "Dev(No SLA)_Standard_E2a_v4", "tier": "Basic", "capacity": 1},
        "identity": {"type": "SystemAssigned",
                     "principalId": "6f1f2a4b-9c0d-4e2f-8a3b-5c6d7e8f9a0b",
                     "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
        "properties": {"provisioningState": "Succeeded", "state": "Running",
                       "uri": "https://adx7qcluster.westeurope.kusto.windows.net",
                       "enableStreamingIngest": false, "engineType": "V3"}
    });
    let account = json!({
        "id": format!("{rg}/providers/Microsoft.Storage/storageAccounts/adxingest7q"),
        "name": "adxingest7q", "type": "Microsoft.Storage/storageAccounts",
        "location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"},
        "properties": {"accessTier": "Hot", "minimumTlsVersion": "TLS1_2"}
    });
    let opts = LoadOptions {
        subscription: sub.into(),
        resource_group: "rg-adx".into(),
        location: "westeurope".into(),
        ..LoadOptions::default()
    };
    let inputs = vec![azrelo_estate::InputText {
        name: "resources.json".into(),
        text: json!({"value": [cluster, account]}).to_string(),
        path: None,
        explicit: true,
    }];
    let loaded = azrelo_estate::load_texts(inputs, &opts, true);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let (p, generated) = run(&loaded.estate, "northeurope");
    let stand =
        azrelo_generate::stand_ins(&p, &loaded.estate, Catalog::embedded(), embedded_flags());
    let manual: Vec<String> = p
        .resources
        .iter()
        .filter(|r| r.action == azrelo_plan::Action::Manual && r.carried_by.is_none())
        .map(|r| r.source_id.to_string())
        .collect();
    assert_eq!(manual.len(), 1, "{manual:?}");
    let written: Vec<&String> = stand
        .deployments
        .iter()
        .flat_map(|d| &d.resources)
        .collect();
    assert_eq!(written, manual.iter().collect::<Vec<_>>());
    // `generate` skips it (a manual relocation) and writes the account.
    assert!(generated.skipped.iter().any(|(s, _)| *s == manual[0]));
    assert!(
        !generated
            .deployments
            .iter()
            .any(|d| d.resources.contains(&manual[0]))
    );
    let body = &stand.deployments[0].template["resources"][0];
    assert_eq!(body["type"], "Microsoft.Kusto/Clusters", "{body}");
    assert_eq!(body["location"], "northeurope", "{body}");
    assert!(
        body["properties"].get("provisioningState").is_none(),
        "{body}"
    );
    assert!(body["properties"].get("uri").is_none(), "{body}");
    // No role assignment, no resource group: the run creates those.
    let text = stand.deployments[0].template.to_string();
    assert!(!text.contains("Microsoft.Authorization/roleAssignments"));
    assert!(!text.contains("Microsoft.Resources/resourceGroups"));
}
