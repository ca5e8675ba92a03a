//! Helpers shared by the generator's tests.
#![allow(dead_code)]

use azrelo_generate::{Deployment, DeploymentScope};
use azrelo_template::{
    DeploymentContext, ExpandOptions, Expanded, Template, TemplateScope, expand,
};
use serde_json::{Value, json};

/// The subscription of [`export_estate`]'s resources.
pub const EXPORT_SUB: &str = "11111111-2222-3333-4444-555555555555";

/// ARM GET bodies of resources in one West Europe group of
/// [`EXPORT_SUB`], read as `azrelo discover` reads an `az resource list`
/// export (`{"value": [...]}`).
pub fn export_estate(resource_group: &str, resources: Vec<Value>) -> azrelo_estate::Estate {
    let inputs = vec![azrelo_estate::InputText {
        name: "resources.json".into(),
        text: serde_json::to_string_pretty(&json!({ "value": resources })).unwrap(),
        path: None,
        explicit: true,
    }];
    let opts = azrelo_estate::LoadOptions {
        subscription: EXPORT_SUB.into(),
        resource_group: resource_group.into(),
        location: "westeurope".into(),
        ..azrelo_estate::LoadOptions::default()
    };
    let loaded = azrelo_estate::load_texts(inputs, &opts, true);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.estate
}

/// Plan an estate to `target` with the embedded catalog and generate it.
pub fn plan_and_generate(
    e: &azrelo_estate::Estate,
    target: &str,
) -> (azrelo_plan::Plan, azrelo_generate::Generated) {
    let catalog = azrelo_catalog::Catalog::embedded();
    let g = azrelo_graph::build(e);
    let p = azrelo_plan::plan(e, &g, catalog, &azrelo_plan::PlanOptions::new(target)).unwrap();
    let out = azrelo_generate::generate(&p, e, catalog, azrelo_generate::embedded_flags());
    (p, out)
}

/// The first generated body of a type (nested resources included).
pub fn generated<'g>(out: &'g azrelo_generate::Generated, ty: &str) -> &'g Value {
    fn walk<'a>(v: &'a Value, ty: &str) -> Option<&'a Value> {
        v.as_array()?.iter().find_map(|r| {
            if r["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(ty))
            {
                Some(r)
            } else {
                walk(&r["resources"], ty)
            }
        })
    }
    out.deployments
        .iter()
        .find_map(|d| walk(&d.template["resources"], ty))
        .unwrap_or_else(|| panic!("no generated {ty}"))
}

/// What an operator supplies for a secure parameter: an object for a
/// `secureObject`, a string otherwise.
pub fn supplied(d: &Deployment, name: &str) -> serde_json::Value {
    let ty = d.template["parameters"][name]["type"]
        .as_str()
        .unwrap_or_default();
    if ty.eq_ignore_ascii_case("secureObject") {
        json!({"supplied": "at-deployment"})
    } else {
        json!("supplied-at-deployment")
    }
}

/// Expand a generated deployment with azrelo's engine as ARM would run it in
/// `region` (at its resource group or subscription scope), every secure
/// parameter given a value. The error says which step failed.
pub fn expand_deployment(d: &Deployment, region: &str) -> Result<Expanded, String> {
    let text = serde_json::to_string_pretty(&d.template).map_err(|e| e.to_string())?;
    let t = Template::parse(&text, &format!("{}.json", d.name))
        .map_err(|e| format!("generated template does not parse: {e}"))?;
    let mut o = ExpandOptions {
        context: DeploymentContext::default(),
        ..Default::default()
    };
    o.context.location = region.into();
    match &d.scope {
        DeploymentScope::ResourceGroup {
            subscription_id,
            resource_group,
        } => {
            o.context.subscription_id = subscription_id.clone();
            o.context.resource_group = resource_group.clone();
            o.context.resource_group_location = region.into();
            o.scope = Some(TemplateScope::ResourceGroup);
        }
        DeploymentScope::Subscription {
            subscription_id, ..
        } => {
            o.context.subscription_id = subscription_id.clone();
            o.scope = Some(TemplateScope::Subscription);
        }
    }
    for name in &d.secure_parameters {
        o.parameters.insert(name.clone(), supplied(d, name));
    }
    // What azrelo fills at run time (principal ids of recreated identities).
    for p in &d.run_parameters {
        o.parameters.insert(
            p.name.clone(),
            json!("11111111-2222-3333-4444-555555555555"),
        );
    }
    for r in &d.read_parameters {
        o.parameters
            .insert(r.name.clone(), json!("read-at-deployment"));
    }
    expand(&t, &o).map_err(|e| format!("generated template does not expand: {e}"))
}

/// The invariant "no generated template refers to a source id of a moved
/// resource" (ARCHITECTURE.md, invariant 6), checked by plain text search —
/// independently of the id scanner the generator uses — over every string
/// and every object key of a generated value, case-insensitively:
/// * a moved resource's source id must not appear followed by anything but
///   a character that ends an id, and in particular not followed by `/`
///   (a sub-resource of it: a NIC's `ipConfigurations/…`, a load
///   balancer's `backendAddressPools/…`, an extension on it);
/// * a moved scope (a resource group) must not appear as a whole id; what
///   lies below it may stay (a resource the plan keeps in the source group).
pub struct SourceIds {
    resources: Vec<String>,
    scopes: Vec<String>,
}

impl SourceIds {
    pub fn new<'a>(moved: impl IntoIterator<Item = &'a str>) -> SourceIds {
        let (mut resources, mut scopes) = (Vec::new(), Vec::new());
        for id in moved {
            let lower = id.to_ascii_lowercase();
            let is_resource = azrelo_arm::id::ResourceId::parse(id).is_ok_and(|p| {
                matches!(
                    p.kind(),
                    azrelo_arm::id::IdKind::Resource | azrelo_arm::id::IdKind::Extension
                )
            });
            if is_resource {
                resources.push(lower);
            } else {
                scopes.push(lower);
            }
        }
        SourceIds { resources, scopes }
    }

    /// The first string (or key) of `v` holding a source id, with that id.
    pub fn first_in(&self, v: &serde_json::Value) -> Option<(String, String)> {
        match v {
            serde_json::Value::String(s) => self.in_str(s),
            serde_json::Value::Array(a) => a.iter().find_map(|x| self.first_in(x)),
            serde_json::Value::Object(m) => m
                .iter()
                .find_map(|(k, x)| self.in_str(k).or_else(|| self.first_in(x))),
            _ => None,
        }
    }

    fn in_str(&self, s: &str) -> Option<(String, String)> {
        // Characters that continue a name segment: `vm1` is not `vm10`.
        let continues = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
        let lower = s.to_ascii_lowercase();
        let hit = |id: &String, below: bool| {
            lower.match_indices(id.as_str()).any(|(i, _)| {
                match lower.as_bytes().get(i + id.len()) {
                    None => true,
                    Some(b'/') => below,
                    Some(&b) => !continues(b),
                }
            })
        };
        self.resources
            .iter()
            .find(|id| hit(id, true))
            .or_else(|| self.scopes.iter().find(|id| hit(id, false)))
            .map(|id| (s.to_string(), id.clone()))
    }
}
