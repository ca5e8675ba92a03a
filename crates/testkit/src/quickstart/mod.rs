//! Deploying a quickstart of the corpus into an emulator the way the
//! quickstarts' CI deploys it: its parameters filled ([`crate::params`]),
//! the CI's standing `GEN-*` resources and what the quickstart acts on in
//! place first (`environment::pre_existing`), its prerequisites (`prereqs/`) deployed
//! first, and the template deployed by link through the emulator's
//! deployments API (resource-group templates into the target resource
//! group, subscription templates at subscription scope, as
//! `az deployment sub create`).
//!
//! ```no_run
//! # async fn f() {
//! use azrelo_testkit::{Target, deploy_quickstart, quickstart_emulator, quickstarts};
//! let em = quickstart_emulator();
//! let qs = &quickstarts()[0];
//! let target = Target::new("00000000-0000-0000-0000-0000000000e2", "rg-qs-0", "westeurope");
//! let deployed = deploy_quickstart(&em, qs, &target).await;
//! println!("{}: {:?} {:?}", qs.name, deployed.error, deployed.resources);
//! # }
//! ```

use std::path::{Path, PathBuf};

use azrelo_emulator::Emulator;
use indexmap::IndexMap;
use serde_json::{Value, json};

use crate::call::call;
use crate::corpus::{corpus, quickstart_dirs};
use crate::params::quickstart_parameters;

mod environment;
use environment::{location_of, pre_existing};

/// One quickstart of the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quickstart {
    /// Its directory (with `azuredeploy.json`).
    pub dir: PathBuf,
    /// `namespace/name`, e.g. `microsoft.storage/storage-account-create`.
    pub name: String,
}

/// Every quickstart of the corpus (those with an `azuredeploy.json`), sorted.
pub fn quickstarts() -> Vec<Quickstart> {
    quickstart_dirs()
        .into_iter()
        .map(|dir| Quickstart {
            name: short(&dir),
            dir,
        })
        .collect()
}

/// Where a quickstart is deployed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The subscription's GUID.
    pub subscription: String,
    /// The resource group's name (created if missing).
    pub resource_group: String,
    /// The resource group's region (and a subscription deployment's).
    pub location: String,
}

impl Target {
    pub fn new(subscription: &str, resource_group: &str, location: &str) -> Target {
        Target {
            subscription: subscription.to_string(),
            resource_group: resource_group.to_string(),
            location: location.to_string(),
        }
    }

    /// `/subscriptions/{guid}`.
    pub fn subscription_path(&self) -> String {
        format!("/subscriptions/{}", self.subscription)
    }

    /// The resource group's id.
    pub fn resource_group_id(&self) -> String {
        format!(
            "{}/resourceGroups/{}",
            self.subscription_path(),
            self.resource_group
        )
    }
}

/// What deploying a quickstart did.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// `None` when the deployment succeeded; else its first error, as
    /// `code: message` (the prerequisites' prefixed `prerequisites: `).
    pub error: Option<String>,
    /// The ids the quickstart's deployment created (its
    /// `outputResources`, nested deployments' included).
    pub resources: Vec<String>,
    /// What was in place before it: the CI's standing resources are not
    /// listed; the pre-existing environment and the prerequisites'
    /// resources are.
    pub prerequisites: Vec<String>,
    /// The deployment record as ARM answers it (`properties.outputs`, …;
    /// `Null` when the prerequisites failed).
    pub record: Value,
}

impl Deployed {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// Deploy `qs` into `target` on `em` (use [`quickstart_emulator`], one per
/// quickstart: their generated names repeat) and say what it deployed.
pub async fn deploy_quickstart(em: &Emulator, qs: &Quickstart, target: &Target) -> Deployed {
    let d = &qs.dir;
    let rg = target.resource_group_id();
    let fail = |error: String, prerequisites: Vec<String>| Deployed {
        error: Some(error),
        resources: Vec::new(),
        prerequisites,
        record: Value::Null,
    };
    let file = d.join("azuredeploy.json");
    let doc = match std::fs::read_to_string(&file)
        .map_err(|e| e.to_string())
        .and_then(|t| {
            azrelo_template::json::parse(&t, "azuredeploy.json").map_err(|e| e.to_string())
        }) {
        Ok(doc) => doc,
        Err(e) => return fail(format!("InvalidTemplate: {e}"), Vec::new()),
    };
    put(em, &rg, json!({"location": target.location})).await;
    ci_gen_setup(em, &target.subscription_path(), &target.location).await;
    // Prerequisites first, as the quickstarts' CI does: their outputs
    // fill the main template's GET-PREREQ-* parameters.
    let prereq = match deploy_prereq(em, &rg, target, d).await {
        Ok(r) => r,
        Err(why) => return fail(format!("prerequisites: {why}"), Vec::new()),
    };
    let prereq_outputs = prereq["properties"]["outputs"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut prerequisites = output_resources(&prereq);
    let pf = d.join("azuredeploy.parameters.json");
    let mut overrides = prereq_values(&pf, &prereq_outputs);
    overrides.extend(artifacts_location(&doc, d));
    let mut params = quickstart_parameters(&pf, &doc, overrides);
    // The CI replaces GET-PREREQ-* anywhere in the values (inside
    // objects too), not only whole parameter values.
    for v in params.values_mut() {
        substitute_prereq(v, &prereq_outputs);
    }
    let env = pre_existing(&qs.name, &rg, target, &mut params);
    let loc = location_of(&params, &target.location);
    prerequisites.extend(provision(em, &rg, env, &loc).await);
    let r = deploy(em, &rg, target, "qs", (&doc, &file), params).await;
    let ok = r["properties"]["provisioningState"] == "Succeeded";
    Deployed {
        error: (!ok).then(|| reason(&r)),
        resources: output_resources(&r),
        prerequisites,
        record: r,
    }
}

/// A deployment record's `outputResources` ids.
fn output_resources(record: &Value) -> Vec<String> {
    record["properties"]["outputResources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str().map(str::to_string))
        .collect()
}

/// PUT through the router; the answer's body.
async fn put(em: &Emulator, path: &str, body: Value) -> Value {
    call(
        em,
        "PUT",
        &format!("{path}?api-version=2022-09-01"),
        Some(body),
    )
    .await
    .body
}

/// Where the quickstarts live upstream: their CI deploys each one from its
/// URL under this prefix, so `_artifactsLocation` (and hard-coded links to
/// sibling files) point here. The emulator serves it from the corpus (its
/// artifact mirror); links elsewhere (e.g. the repository's `modules/`,
/// not in the corpus) fail with `InvalidContentLink`.
pub const UPSTREAM: &str =
    "https://raw.githubusercontent.com/Azure/azure-quickstart-templates/master/quickstarts/";

/// A fresh emulator with the quickstart corpus as its artifact mirror
/// (what [`deploy_quickstart`] needs to serve linked templates). Serve it
/// with [`crate::Served::start`] to reach it over a socket as well: the
/// state is shared.
pub fn quickstart_emulator() -> Emulator {
    Emulator::new().with_artifacts(UPSTREAM, &corpus("quickstarts"))
}

/// The standing resources of the quickstarts' CI subscription, which its
/// `GEN-*` parameter values name (the repository's
/// `test/ci-gen-setup/Create-GEN-Artifacts.ps1` creates them once per
/// subscription: a Key Vault with a password secret and an encryption key,
/// a virtual network with subnets, a user-assigned identity). The shared
/// parameter filler maps those `GEN-*` names to `azrelo-placeholder` and
/// `GEN-*-RESOURCE-ID` to `kv-azrelo` in `azrelo-prereqs`; they are created
/// here through the ordinary API, as the CI's setup script does.
async fn ci_gen_setup(em: &Emulator, sub: &str, location: &str) {
    const PASSWORD: &str = "Azrelo-Test-P@ssw0rd-1";
    for (sub, rg, vault) in [
        (sub, "azrelo-placeholder", "azrelo-placeholder"),
        (
            "/subscriptions/00000000-0000-0000-0000-000000000000",
            "azrelo-prereqs",
            "kv-azrelo",
        ),
    ] {
        let g = format!("{sub}/resourceGroups/{rg}");
        put(em, &g, json!({"location": location})).await;
        let v = format!("{g}/providers/Microsoft.KeyVault/vaults/{vault}");
        put(em, &v,
            json!({"location": location, "properties": {"tenantId": "72f988bf-0000-0000-0000-00000000e001", "sku": {"family": "A", "name": "standard"}, "enabledForDeployment": true, "enabledForTemplateDeployment": true, "enabledForDiskEncryption": true, "accessPolicies": []}}),
        )
        .await;
        for secret in ["azrelo-placeholder", "azrelo"] {
            put(
                em,
                &format!("{v}/secrets/{secret}"),
                json!({"properties": {"value": PASSWORD}}),
            )
            .await;
        }
        put(
            em,
            &format!("{v}/keys/azrelo-placeholder"),
            json!({"properties": {"kty": "RSA", "keySize": 2048}}),
        )
        .await;
    }
    let g = format!("{sub}/resourceGroups/azrelo-placeholder");
    put(
        em,
        &format!(
            "{g}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/azrelo-placeholder"
        ),
        json!({"location": location}),
    )
    .await;
    put(em, &format!("{g}/providers/Microsoft.Network/virtualNetworks/azrelo-placeholder"),
        json!({"location": location, "properties": {
            "addressSpace": {"addressPrefixes": ["10.250.0.0/16"]},
            "subnets": [{"name": "azrelo-placeholder", "properties": {"addressPrefix": "10.250.0.0/24"}}],
        }}),
    )
    .await;
}

/// PUT the pre-existing resources, creating the resource groups they live
/// in (other than the deployment's) first; the ids created. A
/// prerequisite the emulator refuses is a bug in this harness: it panics
/// with the answer.
async fn provision(
    em: &Emulator,
    rg: &str,
    resources: Vec<(String, Value)>,
    loc: &str,
) -> Vec<String> {
    let mut created = Vec::new();
    let mut groups: Vec<String> = vec![rg.to_ascii_lowercase()];
    for (id, body) in resources {
        let lower = id.to_ascii_lowercase();
        if let Some(i) = lower.find("/resourcegroups/") {
            let end = lower[i + 16..]
                .find('/')
                .map_or(lower.len(), |j| i + 16 + j);
            let g = &id[..end];
            if !groups.contains(&g.to_ascii_lowercase()) {
                groups.push(g.to_ascii_lowercase());
                put(em, g, json!({"location": loc})).await;
                created.push(g.to_string());
            }
        }
        let r = put(em, &id, body).await;
        assert!(
            r.get("error").is_none(),
            "pre-existing resource {id} was refused: {r}"
        );
        created.push(id);
    }
    created
}

/// `_artifactsLocation` for a template in `dir`, when it declares one.
fn artifacts_location(doc: &Value, dir: &Path) -> Vec<(String, Value)> {
    if doc["parameters"].get("_artifactsLocation").is_none() {
        return Vec::new();
    }
    let root = corpus("quickstarts");
    let rel = dir.strip_prefix(&root).unwrap_or(dir).display().to_string();
    vec![(
        "_artifactsLocation".into(),
        json!(format!("{UPSTREAM}{}/", rel.trim_end_matches('/'))),
    )]
}

/// `namespace/name` of a quickstart directory.
fn short(d: &Path) -> String {
    let parent = d.parent().and_then(Path::parent).unwrap_or(d);
    d.strip_prefix(parent).unwrap_or(d).display().to_string()
}

fn is_subscription_template(doc: &Value) -> bool {
    doc["$schema"]
        .as_str()
        .is_some_and(|s| s.contains("subscriptionDeploymentTemplate"))
}

/// Deploy `template` (read from `file`) with `params` where it belongs:
/// the resource group `rg`, or the subscription for a subscription-scope
/// template. Like the quickstarts' CI, the template is deployed by link
/// (`templateLink.uri` under [`UPSTREAM`], served by the emulator's mirror
/// of the corpus), so `relativePath` links and
/// `deployment().properties.templateLink.uri` work as in Azure.
async fn deploy(
    em: &Emulator,
    rg: &str,
    target: &Target,
    name: &str,
    (template, file): (&Value, &Path),
    params: IndexMap<String, Value>,
) -> Value {
    let parameters: serde_json::Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| {
            // The shared filler marks `"reference": "GEN-KEYVAULT-PASSWORD-REFERENCE"`
            // parameters; the CI passes a Key Vault reference to its
            // standing vault's password secret, and so does this test.
            let is_kv = v
                .get(azrelo_template::value::UNKNOWN_MARKER)
                .and_then(|m| m.as_str())
                .is_some_and(|m| m.starts_with("Key Vault reference"));
            let p = if is_kv {
                json!({"reference": {
                    "keyVault": {"id": format!("{}/resourceGroups/azrelo-placeholder/providers/Microsoft.KeyVault/vaults/azrelo-placeholder", target.subscription_path())},
                    "secretName": "azrelo-placeholder",
                }})
            } else {
                json!({"value": v})
            };
            (k, p)
        })
        .collect();
    let root = corpus("quickstarts");
    let rel = file
        .strip_prefix(&root)
        .unwrap_or(file)
        .display()
        .to_string();
    let uri = format!("{UPSTREAM}{rel}");
    let mut body = json!({"properties": {"mode": "Incremental", "templateLink": {"uri": uri}, "parameters": parameters}});
    let path = if is_subscription_template(template) {
        body["location"] = json!(target.location);
        format!(
            "{}/providers/Microsoft.Resources/deployments/{name}",
            target.subscription_path()
        )
    } else {
        format!("{rg}/providers/Microsoft.Resources/deployments/{name}")
    };
    put(em, &path, body).await
}

/// The first error of a failed deployment, as `code: message`.
fn reason(r: &Value) -> String {
    let e = &r["properties"]["error"];
    let e = if e.is_null() { &r["error"] } else { e };
    let d = if e["details"][0].is_object() {
        &e["details"][0]
    } else {
        e
    };
    format!(
        "{}: {}",
        d["code"].as_str().unwrap_or("?"),
        d["message"]
            .as_str()
            .unwrap_or("")
            .chars()
            .take(220)
            .collect::<String>()
    )
}

/// Deploy `prereqs/prereq.azuredeploy.json` when the quickstart has one;
/// its outputs (name → value).
async fn deploy_prereq(
    em: &Emulator,
    rg: &str,
    target: &Target,
    d: &Path,
) -> Result<Value, String> {
    let t = d.join("prereqs/prereq.azuredeploy.json");
    if !t.exists() {
        return Ok(Value::Null);
    }
    let text = std::fs::read_to_string(&t).map_err(|e| e.to_string())?;
    let doc = azrelo_template::json::parse(&text, "prereq.azuredeploy.json")
        .map_err(|e| e.to_string())?;
    let pf = d.join("prereqs/prereq.azuredeploy.parameters.json");
    let params = quickstart_parameters(&pf, &doc, artifacts_location(&doc, &d.join("prereqs")));
    let r = deploy(em, rg, target, "prereq", (&doc, &t), params).await;
    if r["properties"]["provisioningState"] != "Succeeded" {
        return Err(reason(&r));
    }
    Ok(r)
}

/// Parameters whose sample value is `GET-PREREQ-<output>`, from the outputs.
fn prereq_values(
    params_file: &Path,
    outputs: &serde_json::Map<String, Value>,
) -> Vec<(String, Value)> {
    let Ok(text) = std::fs::read_to_string(params_file) else {
        return Vec::new();
    };
    let Ok(doc) = azrelo_template::json::parse(&text, "azuredeploy.parameters.json") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in doc["parameters"].as_object().into_iter().flatten() {
        if let Some(name) = v["value"]
            .as_str()
            .and_then(|s| s.strip_prefix("GET-PREREQ-"))
            && let Some((_, o)) = outputs.iter().find(|(o, _)| o.eq_ignore_ascii_case(name))
        {
            out.push((k.clone(), o["value"].clone()));
        }
    }
    out
}

/// Replace `GET-PREREQ-<output>` strings nested anywhere in `v`.
fn substitute_prereq(v: &mut Value, outputs: &serde_json::Map<String, Value>) {
    match v {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("GET-PREREQ-")
                && let Some((_, o)) = outputs.iter().find(|(o, _)| o.eq_ignore_ascii_case(name))
            {
                *v = o["value"].clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute_prereq(x, outputs)),
        Value::Object(m) => m.values_mut().for_each(|x| substitute_prereq(x, outputs)),
        _ => {}
    }
}
