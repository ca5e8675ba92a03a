//! Resource declarations and their instances: the `resources` section
//! flattened (children lifted per parent instance), `copy` loops, and each
//! instance recorded in the result (nested deployments expanded on the way).

use super::MAX_RESOURCES_PER_TEMPLATE;
use super::depends::{PendingDeps, canonical_id};
use super::frame::Cx;
use super::nested::NestedDeployment;
use super::resources::{Built, Decl, ParentInfo, instance, is_deployment_type};
use super::result::{ExpandedResource, Unresolved};
use crate::eval::{self, EvalError, LoopContext};
use std::rc::Rc;

impl Cx<'_, '_> {
    /// Collect the `resources` section (an array, or an object keyed by
    /// symbolic name in languageVersion 2.0) and index nested deployments by
    /// name and symbolic name for `reference()` before they are expanded.
    pub(super) fn declare_resources(&mut self) -> Result<(), EvalError> {
        let doc = self.fr().doc.clone();
        let mut decls = Vec::new();
        match doc.get("resources") {
            Some(serde_json::Value::Array(a)) => {
                for (i, r) in a.iter().enumerate() {
                    decls.push(Decl {
                        json: Rc::new(r.clone()),
                        path: format!("$.resources[{i}]"),
                        symbolic: None,
                        parent: None,
                    });
                }
            }
            Some(serde_json::Value::Object(o)) => {
                for (sym, r) in o {
                    decls.push(Decl {
                        json: Rc::new(r.clone()),
                        path: format!("$.resources.{sym}"),
                        symbolic: Some(sym.clone()),
                        parent: None,
                    });
                }
            }
            Some(serde_json::Value::Null) | None => {}
            Some(_) => {
                return Err(EvalError::new(
                    "'resources' must be an array (or an object in languageVersion 2.0)",
                )
                .at_path("$.resources"));
            }
        }
        let frame = self.fm();
        for (i, d) in decls.iter().enumerate() {
            if d.json.get("existing").and_then(|e| e.as_bool()) == Some(true) {
                if let Some(sym) = &d.symbolic {
                    frame.existing_symbols.insert(sym.to_ascii_lowercase());
                }
                continue;
            }
            if !is_deployment_type(&d.json) {
                continue;
            }
            // languageVersion 2.0 references modules by symbolic name.
            if let Some(sym) = &d.symbolic {
                frame.pending_symbols.insert(sym.to_ascii_lowercase(), i);
            }
            if let Some(n) = d.json.get("name").and_then(|n| n.as_str())
                && !n.starts_with('[')
            {
                frame.pending_deployments.insert(n.to_ascii_lowercase(), i);
            }
        }
        frame.decls = decls;
        Ok(())
    }

    /// Expand every declaration (children are appended as their parents
    /// are expanded) and check ARM's resource count limit.
    pub(super) fn expand_resources(&mut self) -> Result<(), EvalError> {
        let mut i = 0;
        while i < self.fr().decls.len() {
            self.expand_decl(i)?;
            i += 1;
        }
        let count = self.fr().mine.len();
        if count > MAX_RESOURCES_PER_TEMPLATE {
            return Err(EvalError::new(format!(
                "the template expands to {count} resources; ARM allows at most {MAX_RESOURCES_PER_TEMPLATE} per deployment (split it into nested deployments)"
            )));
        }
        Ok(())
    }

    /// Expand a nested deployment declared later, while another resource is
    /// being evaluated (its `reference()` needs the outputs now); the
    /// in-progress resource's unknowns and references are kept aside.
    pub(super) fn expand_on_demand(&mut self, i: usize) -> Result<(), EvalError> {
        let unknowns = std::mem::take(&mut self.fm().unknowns);
        let referenced = std::mem::take(&mut self.fm().referenced);
        let r = self.expand_decl(i);
        let frame = self.fm();
        frame.unknowns = unknowns;
        frame.referenced = referenced;
        r
    }

    /// Expand one declaration: every instance of its copy loop, or the one.
    fn expand_decl(&mut self, i: usize) -> Result<(), EvalError> {
        if !self.fm().done_decls.insert(i) {
            return Ok(());
        }
        let decl = self.fr().decls[i].clone();
        let j = decl.json.clone();
        if !j.is_object() {
            return Err(
                EvalError::new("a resource declaration must be an object").at_path(&decl.path)
            );
        }
        if j.get("existing").and_then(|e| e.as_bool()) == Some(true) {
            // languageVersion 2.0 'existing': referenceable, not deployed.
            return Ok(());
        }
        if j.get("extension").is_some() || j.get("import").is_some() {
            // A Bicep extensibility resource (Kubernetes, Microsoft Graph, …):
            // deployed by an extension, not by Azure Resource Manager.
            let what = j.get("type").and_then(|t| t.as_str()).unwrap_or("?");
            self.warn(format!(
                "{}: '{what}' is an extensibility resource, not an ARM resource; skipped",
                decl.path
            ));
            return Ok(());
        }
        // Children nested in its `resources` array, shared by every instance.
        let children: Vec<Rc<serde_json::Value>> = j
            .get("resources")
            .and_then(|r| r.as_array())
            .map(|a| a.iter().map(|c| Rc::new(c.clone())).collect())
            .unwrap_or_default();
        let Some(copy) = j.get("copy").filter(|c| c.is_object()) else {
            return self.expand_instance(&decl, &children, None);
        };
        let name = copy.get("name").and_then(|n| n.as_str()).unwrap_or("");
        let cpath = format!("{}.copy.count", decl.path);
        let count_json = copy.get("count").unwrap_or(&serde_json::Value::Null);
        let count = match &decl.parent {
            Some(ParentInfo {
                copy: Some((pn, pi)),
                ..
            }) => {
                let mut lc = LoopContext {
                    outer: self,
                    name: pn,
                    index: *pi,
                    property_loop: false,
                };
                eval::copy_count(count_json, &mut lc, &cpath)?
            }
            _ => eval::copy_count(count_json, self, &cpath)?,
        };
        let Some(count) = count else {
            // The number of instances is only known at deployment time.
            let owner = format!("{}{}", self.fr().file, decl.path);
            self.eng.out.unresolved.push(Unresolved {
                owner,
                expression: format!("copy count of '{name}'"),
            });
            return Ok(());
        };
        for index in 0..count {
            self.expand_instance(&decl, &children, Some((name, index)))?;
        }
        Ok(())
    }

    /// Evaluate one instance (inside its copy loop, or its parent's), then record it.
    fn expand_instance(
        &mut self,
        decl: &Decl,
        children: &[Rc<serde_json::Value>],
        copy: Option<(&str, i64)>,
    ) -> Result<(), EvalError> {
        let loop_state: Option<(String, i64)> = copy
            .map(|(n, i)| (n.to_string(), i))
            .or_else(|| decl.parent.as_ref().and_then(|p| p.copy.clone()));
        let target = self.target();
        let res = match &loop_state {
            Some((name, index)) => {
                let mut lc = LoopContext {
                    outer: self,
                    name,
                    index: *index,
                    property_loop: false,
                };
                instance(&mut lc, decl, target)?
            }
            None => instance(self, decl, target)?,
        };
        self.record(decl, children, res, copy.map(|(_, i)| i), loop_state)
    }

    /// Record one evaluated instance: lift its children, expand it if it is
    /// a nested deployment, add it to the result.
    fn record(
        &mut self,
        decl: &Decl,
        children: &[Rc<serde_json::Value>],
        mut res: Built,
        copy_index: Option<i64>,
        loop_state: Option<(String, i64)>,
    ) -> Result<(), EvalError> {
        // ARM counts copies in its limit; fail as soon as it is passed.
        if self.fr().mine.len() >= MAX_RESOURCES_PER_TEMPLATE {
            return Err(EvalError::new(format!(
                "the template expands to more than {MAX_RESOURCES_PER_TEMPLATE} resources; ARM allows at most {MAX_RESOURCES_PER_TEMPLATE} per deployment (split it into nested deployments)"
            ))
            .at_path(&decl.path));
        }
        let json = decl.json.clone();
        // Nested children lifted with this instance as their parent.
        {
            for (ci, c) in children.iter().enumerate() {
                let child = Decl {
                    json: c.clone(),
                    path: format!("{}.resources[{ci}]", decl.path),
                    symbolic: None,
                    parent: Some(ParentInfo {
                        full_type: res.resource_type.clone(),
                        name: res.name.clone(),
                        copy: loop_state.clone(),
                    }),
                };
                self.fm().decls.push(child);
            }
        }
        let unknowns = std::mem::take(&mut self.fm().unknowns);
        res.referenced = std::mem::take(&mut self.fm().referenced);
        if res
            .resource_type
            .eq_ignore_ascii_case("Microsoft.Resources/deployments")
            && res.condition
        {
            let outputs = self.expand_nested(decl, &res, loop_state.as_ref())?;
            let path = if self.fr().deployment_path.is_empty() {
                res.name.clone()
            } else {
                format!("{}/{}", self.fr().deployment_path, res.name)
            };
            self.tell_nested_outputs(&path, &res.id, &outputs);
            let nested = Rc::new(NestedDeployment::new(&res, outputs));
            // expand_nested re-evaluated the parameters already captured above.
            let frame = self.fm();
            frame.referenced.clear();
            frame.unknowns.clear();
            if let (Some(sym), None) = (&decl.symbolic, copy_index) {
                frame
                    .symbol_outputs
                    .insert(sym.to_ascii_lowercase(), nested.clone());
            }
            frame
                .nested_outputs
                .insert(canonical_id(&res.id), nested.clone());
            frame
                .nested_outputs
                .insert(res.name.to_ascii_lowercase(), nested);
        }
        self.eng.total += 1;
        let max_total = self.eng.budget.limits().max_total_resources;
        if self.eng.total > max_total {
            return Err(EvalError::new(format!(
                "the deployment expands to more than {max_total} resources in all, nested deployments included (Limits::max_total_resources); refusing to continue"
            ))
            .at_path(&decl.path));
        }
        for expression in unknowns {
            self.eng.out.unresolved.push(Unresolved {
                owner: res.id.clone(),
                expression,
            });
        }
        let pending = PendingDeps {
            raw: res.depends_on_raw,
            referenced: res.referenced,
            symbolic: decl.symbolic.clone(),
            copy_name: json
                .get("copy")
                .and_then(|c| c.get("name"))
                .and_then(|n| n.as_str())
                .map(str::to_string),
        };
        let r = ExpandedResource {
            id: res.id,
            resource_type: res.resource_type,
            api_version: res.api_version,
            name: res.name,
            symbolic_name: decl.symbolic.clone(),
            location: res.location,
            body: res.body,
            depends_on: Vec::new(),
            condition: res.condition,
            deployment: self.fr().deployment_path.clone(),
            copy_index,
        };
        self.eng.out.resources.push(r);
        let index = self.eng.out.resources.len() - 1;
        self.fm().mine.push((index, pending));
        Ok(())
    }
}
