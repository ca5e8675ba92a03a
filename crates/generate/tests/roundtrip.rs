//! Round trip over the quickstart corpus: expand each template as the
//! "source" deployment in West Europe, plan a move to Sweden Central,
//! generate, and expand the generated templates with the project's engine.
//! A quickstart passes when every generated template expands and the
//! expanded resources are exactly the generated resources at their target
//! ids (same types), none located in the source region and none referring to
//! a source id of a moved resource or of anything below one (its
//! sub-resources: a NIC's ipConfigurations, a load balancer's pools).
//!
//! The pass rate is printed (`cargo test -p azrelo-generate --test roundtrip
//! -- --nocapture`); the test guards it against regressions.

use std::collections::BTreeSet;
use std::path::Path;

use azrelo_arm::scan::find_resource_ids;
use azrelo_catalog::Catalog;
use azrelo_estate::{LoadOptions, load_inputs};
use azrelo_generate::{DeploymentScope, embedded_flags, generate};
use azrelo_plan::{PlanOptions, plan};
use serde_json::json;

mod common;

/// Owned resources and renamed settings references seen (issue #14).
static OWNED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static SETTINGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Host names of renamed resources looked for in every generated string.
static HOSTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Why a quickstart does not round-trip, or `None` when it does.
fn round_trip(dir: &Path, i: usize) -> Result<Option<String>, String> {
    // Parameters as the quickstarts' CI gives them.
    let template = dir.join("azuredeploy.json");
    let doc = azrelo_template::json::parse(
        &std::fs::read_to_string(&template).map_err(|e| e.to_string())?,
        "azuredeploy.json",
    )
    .map_err(|e| e.to_string())?;
    let params =
        azrelo_testkit::quickstart_parameters(&dir.join("azuredeploy.parameters.json"), &doc, []);
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let pfile = tmp.path().join("azuredeploy.parameters.json");
    let body: serde_json::Map<String, serde_json::Value> = params
        .into_iter()
        .map(|(k, v)| (k, json!({ "value": v })))
        .collect();
    std::fs::write(&pfile, json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "contentVersion": "1.0.0.0", "parameters": body}).to_string())
        .map_err(|e| e.to_string())?;
    let files = vec![template, pfile];
    let opts = LoadOptions {
        resource_group: format!("rg-qs-{i}"),
        ..LoadOptions::default()
    };
    // Inputs that do not expand offline are the template engine's business
    // (see crates/template/tests/expectations); they are not counted here.
    let estate = load_inputs(&files, &opts).map_err(|e| e.to_string())?;
    if estate.resources.is_empty() {
        return Err("no resources".into());
    }
    let g = azrelo_graph::build(&estate);
    let p = plan(
        &estate,
        &g,
        Catalog::embedded(),
        &PlanOptions::new("swedencentral"),
    )
    .map_err(|e| e.to_string())?;
    let out = generate(&p, &estate, Catalog::embedded(), embedded_flags());
    let moved: BTreeSet<String> = p
        .id_map
        .iter()
        .map(|m| m.source.as_str().to_ascii_lowercase())
        .collect();
    let source_ids = common::SourceIds::new(p.id_map.iter().map(|m| m.source.as_str()));
    let mut want: BTreeSet<(String, String)> = BTreeSet::new();
    let skipped: BTreeSet<String> = out
        .skipped
        .iter()
        .map(|(s, _)| s.to_ascii_lowercase())
        .collect();
    for r in &p.resources {
        if matches!(
            r.action,
            azrelo_plan::Action::Move | azrelo_plan::Action::Recreate
        ) && !skipped.contains(&r.source_id.as_str().to_ascii_lowercase())
            && out
                .deployments
                .iter()
                .any(|d| d.resources.iter().any(|s| s == r.source_id.as_str()))
            && !out
                .deployments
                .iter()
                .any(|d| d.inlined.iter().any(|s| s == r.source_id.as_str()))
        {
            want.insert((
                r.target_id.as_str().to_ascii_lowercase(),
                r.resource_type.to_ascii_lowercase(),
            ));
        }
    }
    let mut got: BTreeSet<(String, String)> = BTreeSet::new();
    // Every target resource group a deployment goes to is created by a
    // subscription-level deployment before it.
    let mut groups_created: BTreeSet<String> = BTreeSet::new();
    for d in &out.deployments {
        if let DeploymentScope::ResourceGroup { resource_group, .. } = &d.scope
            && !groups_created.contains(&resource_group.to_ascii_lowercase())
        {
            return Ok(Some(format!(
                "{}: resource group {resource_group} is not created first",
                d.name
            )));
        }
        if matches!(d.scope, DeploymentScope::Subscription { .. }) {
            for r in d.template["resources"].as_array().into_iter().flatten() {
                if r["type"].as_str() == Some("Microsoft.Resources/resourceGroups") {
                    groups_created
                        .insert(r["name"].as_str().unwrap_or_default().to_ascii_lowercase());
                }
            }
        }
    }
    for d in &out.deployments {
        // No string or key names a source id of a moved resource or of
        // anything below one (a NIC's ipConfigurations, a load balancer's
        // backend pools).
        if let Some((s, id)) = source_ids.first_in(&d.template) {
            return Ok(Some(format!(
                "{}: refers to the source {id} (or below it): {s}",
                d.name
            )));
        }
    }
    for d in out.deployments.iter().filter(|d| d.wave > 0) {
        let e = match common::expand_deployment(d, "swedencentral") {
            Ok(e) => e,
            Err(why) => return Ok(Some(format!("{}: {why}", d.name))),
        };
        for r in &e.resources {
            if r.resource_type
                .eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments")
            {
                continue;
            }
            if let Some(loc) = r.location.as_ref().and_then(|l| l.as_str())
                && loc.eq_ignore_ascii_case("westeurope")
            {
                return Ok(Some(format!("{} keeps the source location", r.id)));
            }
            got.insert((
                r.id.to_ascii_lowercase(),
                r.resource_type.to_ascii_lowercase(),
            ));
        }
        let mut strings = Vec::new();
        collect(&d.template["resources"], &mut strings);
        for s in strings {
            for m in find_resource_ids(s) {
                if moved.contains(&m.text.to_ascii_lowercase()) {
                    return Ok(Some(format!(
                        "{}: refers to the source id {}",
                        d.name, m.text
                    )));
                }
            }
        }
    }
    // Every generated body keeps the source's properties except what the
    // change list explains (dropped read-only/source-bound values, secrets,
    // re-pointed references, rewritten locations, catalog fixes), and keeps
    // no read-only property.
    let flags = azrelo_arm::schema::SchemaFlags::embedded();
    let bodies: std::collections::HashMap<String, &serde_json::Value> = out
        .deployments
        .iter()
        .flat_map(|d| {
            d.template["resources"]
                .as_array()
                .into_iter()
                .flatten()
                .zip(d.resources.iter().filter(|s| !d.inlined.contains(s)))
        })
        .map(|(b, s)| (s.to_ascii_lowercase(), b))
        .collect();
    for src in &estate.resources {
        let Some(gen_body) = bodies.get(&src.id.as_str().to_ascii_lowercase()) else {
            continue;
        };
        let changes: Vec<&str> = out
            .changes
            .get(src.id.as_str())
            .map(|c| c.iter().map(|c| c.pointer.as_str()).collect())
            .unwrap_or_default();
        let explained = |p: &str| {
            changes.iter().any(|c| {
                p == *c || p.starts_with(&format!("{c}/")) || c.starts_with(&format!("{p}/"))
            })
        };
        if let Some(why) = compare(
            &src.properties,
            &gen_body["properties"],
            "/properties",
            &explained,
        ) {
            return Ok(Some(format!("{}: {why}", src.id)));
        }
        if let Some(tf) = flags.get(&src.resource_type)
            && gen_body.get("properties").is_some()
        {
            let mut stack = vec![(String::from("/properties"), &gen_body["properties"])];
            while let Some((ptr, v)) = stack.pop() {
                if tf.is_read_only(&ptr) {
                    return Ok(Some(format!("{}: keeps read-only {ptr}", src.id)));
                }
                match v {
                    serde_json::Value::Object(m) => {
                        stack.extend(m.iter().map(|(k, x)| (format!("{ptr}/{k}"), x)))
                    }
                    serde_json::Value::Array(a) => {
                        stack.extend(a.iter().enumerate().map(|(i, x)| (format!("{ptr}/{i}"), x)))
                    }
                    _ => {}
                }
            }
        }
    }
    // Issue #14: nothing an owner creates is deployed on its own, and no
    // source name or endpoint of a renamed resource survives in a setting
    // that names it.
    for r in p
        .resources
        .iter()
        .filter(|r| r.action == azrelo_plan::Action::Owned)
    {
        OWNED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if bodies.contains_key(&r.source_id.as_str().to_ascii_lowercase()) {
            return Ok(Some(format!(
                "owned {} is deployed on its own",
                r.source_id
            )));
        }
    }
    for e in &g.edges {
        if !matches!(
            e.kind,
            azrelo_graph::EdgeKind::EndpointReference
                | azrelo_graph::EdgeKind::NameReference
                | azrelo_graph::EdgeKind::KeyVaultReference
        ) {
            continue;
        }
        let (from, to) = (&g.nodes[e.from as usize].id, &g.nodes[e.to as usize].id);
        let Some(target) = p.resources.iter().find(|r| r.source_id == *to) else {
            continue;
        };
        let Some(body) = bodies.get(&from.as_str().to_ascii_lowercase()) else {
            continue;
        };
        if *target.name == *target.target_name || !target.action.creates_target() {
            continue;
        }
        SETTINGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = target.name.to_ascii_lowercase();
        let mut strings = Vec::new();
        collect(body, &mut strings);
        // A host or `key=name` anywhere; a whole-value name only at the
        // edge's own path (a backup instance's friendlyName may be its
        // data source's name without naming it).
        let whole = at_path(body, &e.path)
            .and_then(serde_json::Value::as_str)
            .filter(|s| s.eq_ignore_ascii_case(&name));
        if let Some(s) = strings
            .iter()
            .copied()
            .find(|s| {
                let l = s.to_ascii_lowercase();
                l.contains(&format!("{name}.")) || l.contains(&format!("={name};"))
            })
            .or(whole)
        {
            return Ok(Some(format!(
                "{from}: '{s}' still names {name} ({})",
                e.path
            )));
        }
    }
    // The same without the graph: no host name of a renamed resource (the
    // catalog's endpoint patterns, `AzureCloud` suffixes) survives in any
    // generated string, so a reference the graph missed shows up too.
    let refs = Catalog::embedded().references();
    let cloud = refs
        .clouds
        .iter()
        .find(|c| c.name == "AzureCloud")
        .expect("the catalog knows AzureCloud");
    let mut hosts: Vec<(String, &str)> = Vec::new();
    for r in &p.resources {
        if *r.name == *r.target_name || !r.action.creates_target() {
            continue;
        }
        for ep in refs.endpoints.iter().filter(|ep| {
            ep.types
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&r.resource_type))
        }) {
            let Some(suffix) = cloud.suffixes.get(&ep.suffix) else {
                continue;
            };
            for h in ep.hosts.iter().filter(|h| !h.contains('*')) {
                let host =
                    format!("{}.{suffix}", h.replace("{name}", &r.name)).to_ascii_lowercase();
                hosts.push((host, r.source_id.as_str()));
            }
        }
    }
    HOSTS.fetch_add(hosts.len(), std::sync::atomic::Ordering::Relaxed);
    if !hosts.is_empty() {
        for d in &out.deployments {
            let mut strings = Vec::new();
            collect(&d.template["resources"], &mut strings);
            for s in strings {
                let l = s.to_ascii_lowercase();
                if let Some((h, id)) = hosts.iter().find(|(h, _)| {
                    l.match_indices(h.as_str()).any(|(i, _)| {
                        // A whole host: not the tail of a longer name.
                        i == 0
                            || !l.as_bytes()[i - 1].is_ascii_alphanumeric()
                                && l.as_bytes()[i - 1] != b'-'
                    })
                }) {
                    return Ok(Some(format!(
                        "{}: '{s}' still names {h} of the renamed {id}",
                        d.name
                    )));
                }
            }
        }
    }
    if want != got {
        let missing: Vec<_> = want.difference(&got).take(2).collect();
        let extra: Vec<_> = got.difference(&want).take(2).collect();
        return Ok(Some(format!(
            "resources differ: missing {missing:?}, unexpected {extra:?}"
        )));
    }
    Ok(None)
}

/// The first difference between a source value and its generated form that
/// the change list does not explain.
fn compare(
    src: &serde_json::Value,
    generated: &serde_json::Value,
    ptr: &str,
    explained: &dyn Fn(&str) -> bool,
) -> Option<String> {
    use serde_json::Value;
    match (src, generated) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let p = format!("{ptr}/{k}");
                match b.get(k) {
                    Some(g) => {
                        if let Some(w) = compare(v, g, &p, explained) {
                            return Some(w);
                        }
                    }
                    None if explained(&p) => {}
                    None => return Some(format!("{p} was lost")),
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| compare(x, y, &format!("{ptr}/{i}"), explained)),
        (Value::String(a), Value::String(b)) => {
            // Literals starting with '[' are escaped as '[['.
            let b = b
                .strip_prefix('[')
                .filter(|r| r.starts_with('['))
                .unwrap_or(b);
            (a != b && !explained(ptr)).then(|| format!("{ptr} changed without a reason"))
        }
        (a, b) if a == b => None,
        _ if explained(ptr) => None,
        _ => Some(format!("{ptr} changed without a reason")),
    }
}

/// The value at a graph edge path (`$.properties.a[0]['b c']`) in a
/// generated body (keys case-insensitive).
fn at_path<'a>(body: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let mut v = body;
    let mut rest = path.strip_prefix('$')?;
    let key = |v: &'a serde_json::Value, k: &str| -> Option<&'a serde_json::Value> {
        let m = v.as_object()?;
        m.get(k).or_else(|| {
            m.iter()
                .find(|(x, _)| x.eq_ignore_ascii_case(k))
                .map(|(_, x)| x)
        })
    };
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("['") {
            let end = r.find("']")?;
            v = key(v, &r[..end])?;
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            v = v.get(r[..end].parse::<usize>().ok()?)?;
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            v = key(v, &r[..end])?;
            rest = &r[end..];
        } else {
            return None;
        }
    }
    Some(v)
}

fn collect<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| collect(x, out)),
        _ => {}
    }
}

#[test]
fn quickstarts_round_trip_through_plan_and_generate() {
    let dirs = azrelo_testkit::quickstart_dirs();
    assert!(dirs.len() > 500);
    let (mut total, mut passed) = (0usize, 0usize);
    let mut failures = Vec::new();
    let mut not_loaded = Vec::new();
    for (i, d) in dirs.iter().enumerate() {
        match round_trip(d, i) {
            Err(_) => not_loaded.push(
                d.strip_prefix(d.parent().and_then(Path::parent).unwrap_or(d))
                    .unwrap_or(d)
                    .display()
                    .to_string(),
            ),
            Ok(None) => {
                total += 1;
                passed += 1;
            }
            Ok(Some(why)) => {
                total += 1;
                failures.push(format!("{}: {why}", d.display()));
            }
        }
    }
    let rate = passed as f64 * 100.0 / total as f64;
    println!("round trip: {passed}/{total} quickstarts ({rate:.1}%)");
    println!(
        "issue #14: {} owned resources not deployed, {} settings references to renamed resources rewritten, {} host names of renamed resources absent from every generated string",
        OWNED.load(std::sync::atomic::Ordering::Relaxed),
        SETTINGS.load(std::sync::atomic::Ordering::Relaxed),
        HOSTS.load(std::sync::atomic::Ordering::Relaxed)
    );
    for f in failures.iter().take(40) {
        println!("  {f}");
    }
    assert!(total > 800, "{total}");
    // Every quickstart is accounted for: these do not yield a source estate.
    let expected_not_loaded = [
        // Role assignments only (records, not resources): nothing to relocate.
        "microsoft.authorization/rbac-builtinrole-multiplevms",
        "microsoft.authorization/rbac-builtinrole-resourcegroup",
        "microsoft.authorization/rbac-builtinrole-virtualmachine",
        // Excused by the template engine (crates/template/tests/expectations/quickstarts.txt).
        "microsoft.compute/vm-dedicated-hosts",
    ];
    assert_eq!(not_loaded, expected_not_loaded);
    assert!(
        rate >= ROUND_TRIP_FLOOR,
        "round trip {rate:.1}% fell below {ROUND_TRIP_FLOOR}%"
    );
}

/// The measured rate when this guard was set (822/822): any quickstart that
/// stops round-tripping fails the test until it is fixed or explained.
const ROUND_TRIP_FLOOR: f64 = 100.0;

#[test]
#[ignore = "diagnostic: lists the quickstarts that do not load as estates"]
fn list_load_failures() {
    for (i, d) in azrelo_testkit::quickstart_dirs().iter().enumerate() {
        if let Err(e) = round_trip(d, i) {
            println!("{}: {}", d.display(), e.lines().next().unwrap_or_default());
        }
    }
}
