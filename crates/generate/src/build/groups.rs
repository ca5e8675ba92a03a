//! Deployment-level assembly: resource groups the plan creates but no
//! resource of it names, and children written inline in their parent.

use crate::manifest::DeploymentScope;
use azrelo_arm::vocab;
use azrelo_plan::Plan;
use indexmap::IndexMap;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

use super::*;

/// Every target resource group a deployment goes to must exist first: the
/// groups the plan moves are created by their own resources; groups the
/// inputs did not list (template inputs, partial exports) are created by a
/// subscription-level deployment placed first.
pub(super) fn add_missing_resource_groups(out: &mut Generated, plan: &Plan) {
    let mut created: HashSet<String> = HashSet::new();
    for d in &out.deployments {
        if let DeploymentScope::Subscription {
            subscription_id, ..
        } = &d.scope
        {
            for r in d.template["resources"].as_array().into_iter().flatten() {
                if r["type"]
                    .as_str()
                    .is_some_and(|t| vocab::is(t, vocab::RESOURCE_GROUPS))
                {
                    let name = r["name"].as_str().unwrap_or_default();
                    created.insert(format!("{subscription_id}/{name}").to_ascii_lowercase());
                }
            }
        }
    }
    let mut missing: IndexMap<String, Vec<String>> = IndexMap::new();
    for d in &out.deployments {
        if let DeploymentScope::ResourceGroup {
            subscription_id,
            resource_group,
        } = &d.scope
        {
            let key = format!("{subscription_id}/{resource_group}").to_ascii_lowercase();
            if created.insert(key) {
                missing
                    .entry(subscription_id.clone())
                    .or_default()
                    .push(resource_group.clone());
            }
        }
    }
    for (i, (sub, groups)) in missing.into_iter().enumerate() {
        let resources: Vec<Value> = groups
            .iter()
            .map(|g| {
                json!({
                    "type": vocab::RESOURCE_GROUPS,
                    "apiVersion": vocab::api::RESOURCE_GROUPS_IN_TEMPLATES,
                    "name": g,
                    "location": plan.target.region,
                })
            })
            .collect();
        let template = json!({
            "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "metadata": {
                "generator": format!("azrelo {}", env!("CARGO_PKG_VERSION")),
                "plan": plan.schema,
                "wave": 0,
                "purpose": "target resource groups the inputs do not list",
            },
            "parameters": {},
            "resources": resources,
        });
        out.deployments.insert(
            i,
            Deployment {
                name: format!("w00-resource-groups-{}", &sub[..sub.len().min(8)]),
                wave: 0,
                scope: DeploymentScope::Subscription {
                    subscription_id: sub,
                    location: plan.target.region.clone(),
                },
                template,
                parameters: json!({
                    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
                    "contentVersion": "1.0.0.0",
                    "parameters": {},
                }),
                resources: Vec::new(),
                inlined: Vec::new(),
                secure_parameters: Vec::new(),
                run_parameters: Vec::new(),
                read_parameters: Vec::new(),
            },
        );
    }
}

/// A generated resource before it is placed in a deployment.
pub(super) struct Built {
    pub(super) source: String,
    /// Lower-cased target id.
    pub(super) target: String,
    pub(super) inline_as: Option<String>,
    pub(super) body: Value,
    /// Secure parameters it introduced.
    pub(super) params: Vec<String>,
    /// Parameters read from moved resources it uses.
    pub(super) reads: Vec<ReadParameter>,
    /// Source ids of children folded into it.
    pub(super) folded: Vec<String>,
}

/// Write children that ARM also manages as a parent's collection property
/// (subnets, security rules, routes) inline in their parent when both are in
/// the same group, so that redeploying the parent never deletes them; other
/// resources' `dependsOn` on such a child point at the parent instead.
pub(super) fn fold_inline_children(built: &mut Vec<Built>) {
    let index: HashMap<String, usize> = built
        .iter()
        .enumerate()
        .map(|(i, b)| (b.target.clone(), i))
        .collect();
    let mut moves: Vec<(usize, usize, String)> = Vec::new();
    for (i, b) in built.iter().enumerate() {
        let Some(prop) = &b.inline_as else { continue };
        let Some(parent) = b
            .target
            .rfind('/')
            .and_then(|p| b.target[..p].rfind('/').map(|q| &b.target[..q]))
        else {
            continue;
        };
        if let Some(&pi) = index.get(parent) {
            moves.push((i, pi, prop.clone()));
        }
    }
    if moves.is_empty() {
        return;
    }
    let mut redirect: HashMap<String, String> = HashMap::new();
    let mut remove: HashSet<usize> = HashSet::new();
    for (ci, pi, prop) in moves {
        let child = &built[ci];
        let name = child
            .target
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let entry = json!({
            "name": child.body.get("name").and_then(|n| n.as_str()).and_then(|n| n.rsplit('/').next()).unwrap_or(&name),
            "properties": child.body.get("properties").cloned().unwrap_or_else(|| json!({})),
        });
        let (child_source, child_params, child_reads, child_target) = (
            child.source.clone(),
            child.params.clone(),
            child.reads.clone(),
            child.target.clone(),
        );
        let parent = &mut built[pi];
        let props = parent
            .body
            .as_object_mut()
            .map(|m| m.entry("properties").or_insert_with(|| json!({})));
        if let Some(Value::Object(props)) = props {
            let list = props.entry(prop.as_str()).or_insert_with(|| json!([]));
            if let Value::Array(a) = list {
                let same = a.iter().position(|x| {
                    x.get("name")
                        .and_then(|n| n.as_str())
                        .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                });
                match same {
                    Some(k) => a[k] = entry,
                    None => a.push(entry),
                }
            }
        }
        parent.params.extend(child_params);
        for r in child_reads {
            if !parent.reads.contains(&r) {
                parent.reads.push(r);
            }
        }
        parent.folded.push(child_source);
        redirect.insert(child_target, parent.target.clone());
        remove.insert(ci);
    }
    let mut i = 0;
    built.retain(|_| {
        let keep = !remove.contains(&i);
        i += 1;
        keep
    });
    for b in built.iter_mut() {
        let own = b.target.clone();
        if let Some(Value::Array(deps)) = b.body.get_mut("dependsOn") {
            let mut out: Vec<Value> = Vec::new();
            for d in deps.drain(..) {
                let key = d.as_str().unwrap_or_default().to_ascii_lowercase();
                let to = redirect.get(&key).cloned();
                let v = match to {
                    Some(p) if p == own => continue,
                    Some(p) => Value::String(p),
                    None => d,
                };
                if !out.iter().any(|x| {
                    x.as_str().map(str::to_ascii_lowercase)
                        == v.as_str().map(str::to_ascii_lowercase)
                }) {
                    out.push(v);
                }
            }
            *deps = out;
        }
        if b.body
            .get("dependsOn")
            .and_then(|d| d.as_array())
            .is_some_and(|a| a.is_empty())
            && let Some(m) = b.body.as_object_mut()
        {
            m.shift_remove("dependsOn");
        }
    }
}
