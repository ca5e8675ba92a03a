//! Graph operations on a small hand-made estate: closure, reverse
//! dependencies, cycles (by id) and topological order; back-references never
//! count as dependencies.

use azrelo_arm::id::ResourceId;
use azrelo_estate::{Estate, InputKind, Provenance, Resource, insert_resource};
use serde_json::json;

const RG: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg";

fn r(path: &str, props: serde_json::Value) -> Resource {
    let id = ResourceId::parse(&format!("{RG}/providers/{path}")).unwrap();
    Resource {
        resource_type: id.type_or_scope_type().to_string(),
        name: id.full_name().unwrap(),
        id,
        location: Some("westeurope".into()),
        sku: None,
        kind: None,
        zones: vec![],
        identity: None,
        properties: props,
        tags: Default::default(),
        managed_by: None,
        extended_location: None,
        plan: None,
        api_version: None,
        depends_on: vec![],
        provenance: vec![Provenance {
            file: "t".into(),
            path: "$".into(),
            kind: InputKind::ArmGet,
        }],
    }
}

fn id(path: &str) -> String {
    format!("{RG}/providers/{path}")
}

fn estate(extra_cycle: bool) -> Estate {
    let mut e = Estate::new();
    for res in [
        r(
            "Microsoft.Network/networkSecurityGroups/nsg",
            json!({"networkInterfaces": [{"id": id("Microsoft.Network/networkInterfaces/nic")}]}),
        ),
        r(
            "Microsoft.Network/virtualNetworks/vnet",
            json!({"subnets": [{"name": "s", "id": id("Microsoft.Network/virtualNetworks/vnet/subnets/s"),
            "properties": {"networkSecurityGroup": {"id": id("Microsoft.Network/networkSecurityGroups/nsg")}}}]}),
        ),
        r(
            "Microsoft.Network/networkInterfaces/nic",
            json!({"ipConfigurations": [{"properties": {"subnet": {"id": id("Microsoft.Network/virtualNetworks/vnet/subnets/s")}}}],
            "networkSecurityGroup": {"id": id("Microsoft.Network/networkSecurityGroups/nsg")}}),
        ),
        r(
            "Microsoft.Compute/virtualMachines/vm",
            json!({"networkProfile": {"networkInterfaces": [{"id": id("Microsoft.Network/networkInterfaces/nic")}]}}),
        ),
        r(
            "Microsoft.Web/sites/a",
            json!({"x": if extra_cycle { id("Microsoft.Web/sites/b") } else { String::new() }}),
        ),
        r(
            "Microsoft.Web/sites/b",
            json!({"y": id("Microsoft.Web/sites/a")}),
        ),
    ] {
        insert_resource(&mut e, res);
    }
    e
}

fn names(g: &azrelo_graph::Graph, ns: &[u32]) -> Vec<String> {
    let mut v: Vec<String> = ns
        .iter()
        .map(|&n| g.nodes[n as usize].id.name().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn closure_and_reverse_dependencies() {
    let e = estate(false);
    let g = azrelo_graph::build(&e);
    let vm = g
        .node(&ResourceId::parse(&id("Microsoft.Compute/virtualMachines/vm")).unwrap())
        .unwrap();
    assert_eq!(
        names(&g, &azrelo_graph::closure(&g, &[vm])),
        ["nic", "nsg", "s", "vm", "vnet"]
    );
    let nsg = g
        .node(&ResourceId::parse(&id("Microsoft.Network/networkSecurityGroups/nsg")).unwrap())
        .unwrap();
    // The NSG's back-reference to the NIC is not a dependency: the NSG needs nothing.
    assert_eq!(names(&g, &azrelo_graph::closure(&g, &[nsg])), ["nsg"]);
    assert_eq!(
        names(&g, &azrelo_graph::reverse_dependencies(&g, &[nsg])),
        ["nic", "nsg", "s", "vm"]
    );
}

#[test]
fn topological_order_puts_dependencies_first() {
    let e = estate(false);
    let g = azrelo_graph::build(&e);
    let order = azrelo_graph::topological_order(&g).unwrap();
    let pos = |n: &str| {
        order
            .iter()
            .position(|&i| g.nodes[i as usize].id.name() == Some(n))
            .unwrap()
    };
    assert!(
        pos("nsg") < pos("s")
            && pos("s") < pos("nic")
            && pos("nic") < pos("vm")
            && pos("vnet") < pos("s")
    );
    assert!(azrelo_graph::cycles(&g).is_empty());
}

#[test]
fn cycles_are_reported_by_id() {
    let e = estate(true);
    let g = azrelo_graph::build(&e);
    let cycles = azrelo_graph::cycles(&g);
    assert_eq!(cycles.len(), 1);
    assert_eq!(
        cycles[0].members,
        [id("Microsoft.Web/sites/a"), id("Microsoft.Web/sites/b")]
    );
    assert!(azrelo_graph::topological_order(&g).is_err());
}

#[test]
fn renderings_quote_ids() {
    let e = estate(false);
    let g = azrelo_graph::build(&e);
    let dot = azrelo_graph::to_dot(&g);
    assert!(dot.starts_with("digraph estate {"));
    assert!(dot.contains(&format!(
        "\"{}\" -> \"{}\" [label=\"vm_nic\"]",
        id("Microsoft.Compute/virtualMachines/vm"),
        id("Microsoft.Network/networkInterfaces/nic")
    )));
    assert!(dot.contains("style=dashed"), "back-references are dashed");
    let mm = azrelo_graph::to_mermaid(&g);
    assert!(mm.starts_with("flowchart LR\n"));
    assert!(mm.contains("-->|vm_nic|"));
    let j = azrelo_graph::to_json(&g);
    assert!(
        j["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "nic_subnet"
                && e["path"] == "$.properties.ipConfigurations[0].properties.subnet.id")
    );
}
