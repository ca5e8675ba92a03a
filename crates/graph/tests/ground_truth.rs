//! Ground truth: the complete edge list of hand-checked estates, committed
//! beside them as `*.edges.txt` (kind, from, to, JSON path, and for edges
//! found by a catalog pattern or rule the matched text and the rule; then one
//! `ownership` line per owned node: node, owner or service, relation, rule,
//! evidence path and text; sorted). Together the cases cover every edge kind.
//!
//! To review a change: `AZRELO_BLESS=1 cargo test -p azrelo-graph --test ground_truth`
//! rewrites the expected files; inspect `git diff` before committing.

use azrelo_estate::{LoadOptions, load_inputs};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn edges_of(inputs: &[PathBuf]) -> (Vec<String>, BTreeSet<&'static str>) {
    let estate = load_inputs(inputs, &LoadOptions::default()).unwrap();
    let g = azrelo_graph::build(&estate);
    let mut kinds = BTreeSet::new();
    let mut lines: Vec<String> = g
        .edges
        .iter()
        .map(|e| {
            kinds.insert(e.kind.name());
            let mut l = format!(
                "{}\t{}\t{}\t{}",
                e.kind.name(),
                g.nodes[e.from as usize].id,
                g.nodes[e.to as usize].id,
                e.path
            );
            if let Some(ev) = &e.evidence {
                l.push_str(&format!("\t{}\t{}", ev.matched, ev.rule));
                if let Some(op) = &ev.owner_path {
                    l.push_str(&format!("\towner {op}"));
                }
            }
            l
        })
        .collect();
    for (n, o) in g.owned() {
        let owner = o
            .owner
            .map(|w| g.nodes[w as usize].id.to_string())
            .unwrap_or_else(|| format!("service: {}", o.service));
        lines.push(format!(
            "ownership\t{}\t{owner}\t{}\t{}\t{}\t{}",
            g.nodes[n as usize].id,
            o.relation.as_str(),
            o.rule,
            o.path,
            o.evidence.matched
        ));
    }
    lines.sort();
    lines.dedup();
    (lines, kinds)
}

fn check(name: &str, inputs: &[PathBuf]) -> BTreeSet<&'static str> {
    let (lines, kinds) = edges_of(inputs);
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/ground_truth")
        .join(format!("{name}.edges.txt"));
    let got = lines.join("\n") + "\n";
    if std::env::var_os("AZRELO_BLESS").is_some() {
        std::fs::write(&file, &got).unwrap();
    }
    let want = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    if got != want {
        let g: BTreeSet<&str> = got.lines().collect();
        let w: BTreeSet<&str> = want.lines().collect();
        let missing: Vec<_> = w.difference(&g).collect();
        let extra: Vec<_> = g.difference(&w).collect();
        panic!("{name}: edges differ\nmissing:\n{missing:#?}\nunexpected:\n{extra:#?}");
    }
    kinds
}

fn dir_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

#[test]
fn ground_truth_estates_cover_every_edge_kind() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut kinds = BTreeSet::new();
    // The built-in example: a multi-tier workload in Resource Graph and ARM GET shapes.
    kinds.extend(check(
        "contoso-shop",
        &dir_files(&root.join("../../examples/contoso-shop")),
    ));
    // Hub and spoke networking, endpoints, identities (ARG rows, az resource list, GET bodies).
    let gt = root.join("tests/ground_truth");
    let hub: Vec<PathBuf> = dir_files(&gt)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("hub-spoke")
        })
        .collect();
    kinds.extend(check("hub-spoke", &hub));
    // A real corpus template (explicit dependsOn through the template engine).
    let qs = root.join("../../../shared/corpus/quickstarts/microsoft.compute/vm-simple-linux");
    kinds.extend(check(
        "quickstart-vm-simple-linux",
        &[
            qs.join("azuredeploy.json"),
            qs.join("azuredeploy.parameters.json"),
        ],
    ));
    // Realistic exports for ownership and references in settings
    // (`crates/testkit/fixtures/estates`).
    for name in azrelo_testkit::estate_fixtures() {
        kinds.extend(check(&name, &azrelo_testkit::estate_fixture(&name)));
    }
    let all: BTreeSet<&str> = [
        "parent",
        "depends_on",
        "property_reference",
        "nic_subnet",
        "nic_nsg",
        "subnet_nsg",
        "subnet_route_table",
        "subnet_nat_gateway",
        "load_balancer_backend",
        "load_balancer_frontend_subnet",
        "app_gateway_subnet",
        "public_ip",
        "vnet_peering",
        "vm_nic",
        "vm_disk",
        "user_assigned_identity",
        "role_assignment_scope",
        "role_assignment_principal",
        "diagnostic_source",
        "diagnostic_destination",
        "private_endpoint_target",
        "private_endpoint_subnet",
        "dns_zone_group_zone",
        "dns_zone_vnet_link",
        "backup_protected_resource",
        "backup_policy",
        "security_export",
        "security_workspace",
        "policy_exemption_scope",
        "policy_exemption_assignment",
        "lock_scope",
        "endpoint_reference",
        "back_reference",
        "name_reference",
        "key_vault_reference",
        "instrumentation_key",
        "identity_client_id",
        "federated_issuer",
        "tag_link",
        "owned_by",
        "installed_by",
        "attached_to",
        "owner_managed",
    ]
    .into_iter()
    .collect();
    let missing: Vec<_> = all.difference(&kinds).collect();
    assert!(
        missing.is_empty(),
        "edge kinds without ground truth: {missing:?}"
    );
}
