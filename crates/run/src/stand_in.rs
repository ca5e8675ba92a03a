//! The rehearsal's stand-in for the operator at a manual relocation's gate.
//!
//! A real run stops at the gate of each resource the plan relocates by hand
//! (`manual`); the operator creates the target resource and then closes the
//! gate, and what depends on it (a role assignment for its new principal, a
//! child) runs after that. A rehearsal that only closed the gate would leave
//! nothing there, and everything after the gate would fail for a reason no
//! real run has. So before closing such a gate the rehearsal does what the
//! operator does: it creates the target resource from the body the
//! generator writes for a move ([`azrelo_generate::stand_ins`]: same body
//! rules, same id map), through an ARM deployment on the emulator. It is
//! labelled for what it is — "rehearsal stand-in: created by the rehearsal
//! as the operator would" — in the rehearsal's output, its summary and the
//! gate's journal record. `azrelo apply` never does this: against Azure a
//! manual relocation stays the operator's.

use std::collections::{BTreeSet, HashMap, HashSet};

use azrelo_arm::vocab::api;
use azrelo_client::ArmClient;
use azrelo_generate::{Deployment, DeploymentScope, Generated};
use azrelo_orchestrate::RunPlan;
use serde_json::{Map, Value, json};

use crate::{ENV_PREFIX, RunError};

/// How the rehearsal labels what it created for the operator.
pub const STAND_IN_LABEL: &str =
    "rehearsal stand-in: created by the rehearsal as the operator would";

/// The stand-in deployments of a plan and which of them ran.
pub(crate) struct StandIns {
    generated: Generated,
    /// Each deployment's template, lower case (what it mentions).
    texts: Vec<String>,
    /// Source id (lower case) → index of the deployment that creates it.
    by_source: HashMap<String, usize>,
    deployed: HashSet<usize>,
    /// Secure parameters of stand-ins given placeholder values.
    pub placeholders: BTreeSet<String>,
    /// Deployments the rehearsal could not stand in for (the type is not
    /// offered in the target region, or what they need was refused).
    pub refused: HashSet<usize>,
}

impl StandIns {
    pub(crate) fn new(generated: Generated) -> StandIns {
        let mut by_source = HashMap::new();
        for (i, d) in generated.deployments.iter().enumerate() {
            for s in &d.resources {
                by_source.insert(s.to_ascii_lowercase(), i);
            }
        }
        let texts = generated
            .deployments
            .iter()
            .map(|d| d.template.to_string().to_ascii_lowercase())
            .collect();
        StandIns {
            generated,
            texts,
            by_source,
            deployed: HashSet::new(),
            placeholders: BTreeSet::new(),
            refused: HashSet::new(),
        }
    }

    /// The stand-in deployment that creates the target of `source`, if the
    /// generator could write one (a resource with a body in the inputs).
    pub(crate) fn deployment_for(&self, source: &str) -> Option<usize> {
        self.by_source.get(&source.to_ascii_lowercase()).copied()
    }

    /// Whether stand-in `i` names `id` (or something below it): unless it
    /// creates that resource itself, it needs it to exist first. The generated
    /// bodies name targets by their full ids (the generator re-points
    /// every reference through the plan's id map).
    pub(crate) fn needs(&self, i: usize, id: &str) -> bool {
        let id = id.to_ascii_lowercase();
        let text = &self.texts[i];
        text.match_indices(id.as_str()).any(|(at, _)| {
            matches!(
                text[at + id.len()..].chars().next(),
                None | Some('"' | '/' | '\'' | ')' | ',' | ']')
            )
        })
    }

    /// The deployment's name as the rehearsal deploys it.
    pub(crate) fn name(&self, i: usize) -> String {
        deployment_name(&self.generated.deployments[i])
    }

    /// Deploy stand-in `i` (once) through `client`: secure parameters from
    /// `secrets` or `operator` (`AZRELO_PARAM_<name>`, as `apply` reads
    /// them) or placeholders, parameters read
    /// from moved resources from those resources' targets. Waits for the
    /// deployment; an error names the deployment and ARM's error.
    pub(crate) async fn deploy(
        &mut self,
        i: usize,
        client: &ArmClient,
        run: &RunPlan,
        secrets: &HashMap<String, Value>,
        operator: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), RunError> {
        if self.deployed.contains(&i) {
            return Ok(());
        }
        let d = &self.generated.deployments[i];
        let name = deployment_name(d);
        let mut params = Map::new();
        let decls = d.template["parameters"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for r in &d.read_parameters {
            let api = run
                .find(&r.from)
                .map(|j| run.units[j].api_version.clone())
                .ok_or_else(|| {
                    RunError::failure(format!(
                        "stand-in {name}: parameter {} reads {}, which is not a resource of this run",
                        r.name, r.from
                    ))
                })?;
            let body = client
                .get(&r.from, &api)
                .await
                .map_err(|e| RunError::failure(format!("stand-in {name}: GET {}: {e}", r.from)))?
                .ok_or_else(|| {
                    RunError::failure(format!(
                        "stand-in {name}: {} (parameter {}) does not exist in the target",
                        r.from, r.name
                    ))
                })?;
            let v = body.pointer(&r.path).cloned().unwrap_or(Value::Null);
            params.insert(r.name.clone(), json!({ "value": v }));
        }
        for (p, decl) in &decls {
            if params.contains_key(p) {
                continue;
            }
            let object = decl
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("secureObject"));
            let given = secrets.get(p).cloned().or_else(|| {
                let text = operator(&format!("{ENV_PREFIX}{p}"))?;
                if object {
                    serde_json::from_str::<Value>(&text)
                        .ok()
                        .filter(Value::is_object)
                } else {
                    Some(Value::String(text))
                }
            });
            let v = match given {
                Some(v) => v,
                None => {
                    self.placeholders.insert(p.clone());
                    if object {
                        json!({ "rehearsalPlaceholder": p })
                    } else {
                        Value::String(format!("rehearsal-placeholder-{p}"))
                    }
                }
            };
            params.insert(p.clone(), json!({ "value": v }));
        }
        let mut body = json!({"properties": {
            "mode": "Incremental",
            "template": d.template,
            "parameters": params,
        }});
        let path = match &d.scope {
            DeploymentScope::Subscription { location, .. } => {
                body["location"] = json!(location);
                format!(
                    "{}/providers/Microsoft.Resources/deployments/{name}",
                    d.scope.id()
                )
            }
            DeploymentScope::ResourceGroup { .. } => format!(
                "{}/providers/Microsoft.Resources/deployments/{name}",
                d.scope.id()
            ),
        };
        let out = client
            .put(&path, api::DEPLOYMENTS, &body)
            .await
            .map_err(|e| RunError::failure(format!("stand-in deployment {path} failed: {e}")))?;
        let state = out
            .pointer("/properties/provisioningState")
            .and_then(Value::as_str)
            .unwrap_or("Succeeded");
        if !state.eq_ignore_ascii_case("Succeeded") {
            return Err(RunError::failure(format!(
                "stand-in deployment {path} ended {state}: {}",
                out.pointer("/properties/error").unwrap_or(&Value::Null)
            )));
        }
        self.deployed.insert(i);
        Ok(())
    }
}

/// `azrelo-stand-in-{generated name}`, within ARM's 64 characters.
fn deployment_name(d: &Deployment) -> String {
    let mut n = format!("azrelo-stand-in-{}", d.name);
    n.truncate(64);
    n
}
