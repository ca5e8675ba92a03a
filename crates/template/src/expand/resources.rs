//! One resource instance: its declaration, its evaluated body and the id it
//! gets in the template's scope (children, extension resources, nested
//! deployments, `scope` properties).

use super::frame::Cx;
use crate::eval::{self, Context, DeploymentContext, EvalError, TemplateScope};
use crate::value::Value;
use indexmap::IndexMap;
use std::rc::Rc;

/// One resource declaration, flattened (children lifted, full type and name
/// expressions composed).
#[derive(Clone)]
pub(super) struct Decl {
    pub json: Rc<serde_json::Value>,
    pub path: String,
    pub symbolic: Option<String>,
    /// Parent name/type prefixes for children nested in `resources` arrays.
    pub parent: Option<ParentInfo>,
}

#[derive(Clone)]
pub(super) struct ParentInfo {
    pub full_type: String,
    /// The evaluated parent name (children are lifted per parent instance).
    pub name: String,
    /// The parent's copy loop position, visible to the child's expressions.
    pub copy: Option<(String, i64)>,
}

/// The evaluated parts of one resource instance.
pub(super) struct Built {
    pub id: String,
    pub resource_type: String,
    pub api_version: String,
    pub name: String,
    pub location: Option<Value>,
    pub body: IndexMap<String, Value>,
    pub condition: bool,
    pub depends_on_raw: Vec<String>,
    pub referenced: Vec<String>,
    pub target_subscription: Option<String>,
    pub target_resource_group: Option<String>,
    pub target_scope: Option<String>,
}

pub(super) fn is_deployment_type(j: &serde_json::Value) -> bool {
    j.get("type")
        .and_then(|t| t.as_str())
        .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Resources/deployments"))
}

/// `ns/t1/n1/t2/n2` from a full type and a full name.
pub(super) fn interleave(rtype: &str, name: &str) -> String {
    let mut segs = rtype.split('/');
    let mut out = segs.next().unwrap_or("").to_string();
    for (t, n) in segs.zip(name.split('/')) {
        out.push('/');
        out.push_str(t);
        out.push('/');
        out.push_str(n);
    }
    out
}

/// Fields that describe the declaration rather than the resource.
const NON_BODY: &[&str] = &[
    "type",
    "apiversion",
    "name",
    "dependson",
    "copy",
    "condition",
    "comments",
    "resources",
    "metadata",
    "existing",
    "location",
    "import",
    "extension",
    "asserts",
];

impl Cx<'_, '_> {
    /// Where this frame's resources deploy.
    pub(super) fn target(&self) -> (DeploymentContext, TemplateScope) {
        (self.fr().target.clone(), self.fr().target_scope)
    }

    /// languageVersion 2.0: with a deployment runtime, `reference()` of an
    /// `existing` resource by symbolic name asks for the resource its
    /// declaration names, by id. `None` keeps the arguments.
    pub(super) fn existing_by_id(&mut self, args: &[Value]) -> Option<Vec<Value>> {
        let Some(Value::String(symbol)) = args.first() else {
            return None;
        };
        if !self.has_runtime()
            || !self
                .fr()
                .existing_symbols
                .contains(&symbol.to_ascii_lowercase())
        {
            return None;
        }
        let decl = self
            .fr()
            .decls
            .iter()
            .find(|d| {
                d.symbolic
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(symbol))
            })?
            .clone();
        let target = self.target();
        let built = instance(self, &decl, target).ok()?;
        let mut a = args.to_vec();
        a[0] = Value::String(built.id);
        Some(a)
    }
}

/// Evaluate one resource instance in `ctx` (a frame, or a loop context over
/// it); `target` is where the frame's resources deploy.
pub(super) fn instance(
    ctx: &mut dyn Context,
    decl: &Decl,
    (target, target_scope): (DeploymentContext, TemplateScope),
) -> Result<Built, EvalError> {
    let j = &decl.json;
    let path = &decl.path;
    let get = |k: &str| j.get(k);
    let str_field = |ctx: &mut dyn Context, k: &str| -> Result<Option<Value>, EvalError> {
        match get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => eval::evaluate_json(v, ctx, &format!("{path}.{k}")).map(Some),
        }
    };
    let raw_type = get("type")
        .and_then(|t| t.as_str())
        .ok_or_else(|| EvalError::new("the resource has no 'type'").at_path(path))?;
    let api_version = get("apiVersion")
        .and_then(|a| a.as_str())
        .unwrap_or("")
        .to_string();
    let condition = match get("condition") {
        None => true,
        Some(c) => match eval::evaluate_json(c, ctx, &format!("{path}.condition"))? {
            Value::Bool(b) => b,
            Value::Unknown(_) => true,
            Value::String(s) if s.eq_ignore_ascii_case("true") => true,
            Value::String(s) if s.eq_ignore_ascii_case("false") => false,
            other => {
                return Err(EvalError::new(format!(
                    "the resource condition must be a boolean, not '{}'",
                    other.type_name()
                ))
                .at_path(&format!("{path}.condition")));
            }
        },
    };
    let name_v = match str_field(ctx, "name") {
        Ok(Some(v)) => v,
        Ok(None) => return Err(EvalError::new("the resource has no 'name'").at_path(path)),
        Err(_) if !condition => Value::unknown(
            get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("name")
                .trim_matches(|c| c == '[' || c == ']'),
        ),
        Err(e) => return Err(e),
    };
    let own_name = match &name_v {
        Value::String(s) => s.clone(),
        Value::Unknown(u) => format!("[{}]", u.expr),
        other => other.to_arm_string(),
    };
    let (full_type, full_name) = full_type_and_name(decl, raw_type, &own_name);
    let location = str_field(ctx, "location")?;
    let body = body(ctx, decl, raw_type, condition)?;
    let depends_on_raw = depends_on_entries(ctx, decl)?;
    let scope_prefix = match target_scope {
        TemplateScope::ResourceGroup => format!(
            "/subscriptions/{}/resourceGroups/{}",
            target.subscription_id, target.resource_group
        ),
        TemplateScope::Subscription => format!("/subscriptions/{}", target.subscription_id),
        TemplateScope::ManagementGroup => format!(
            "/providers/Microsoft.Management/managementGroups/{}",
            target.management_group
        ),
        TemplateScope::Tenant => String::new(),
    };
    let mut built = Built {
        id: String::new(),
        resource_type: full_type,
        api_version,
        name: full_name,
        location,
        body,
        condition,
        depends_on_raw,
        referenced: Vec::new(),
        target_subscription: None,
        target_resource_group: None,
        target_scope: None,
    };
    if built
        .resource_type
        .eq_ignore_ascii_case("Microsoft.Resources/deployments")
    {
        deployment_target(ctx, decl, &mut built)?;
        built.id = deployment_id(&built, &target, target_scope, &scope_prefix);
    } else if built
        .resource_type
        .eq_ignore_ascii_case("Microsoft.Resources/resourceGroups")
    {
        built.id = format!(
            "/subscriptions/{}/resourceGroups/{}",
            target.subscription_id, built.name
        );
    } else if let Some(i) = built.resource_type.to_ascii_lowercase().find("/providers/") {
        extension_id(&mut built, i, &own_name, &scope_prefix, path)?;
    } else {
        let type_segs = built.resource_type.split('/').count() - 1;
        let name_segs = built.name.split('/').count();
        if type_segs != name_segs && !own_name.starts_with('[') {
            return Err(EvalError::new(format!(
                "the resource name '{}' has {name_segs} segment(s) but the type '{}' needs {type_segs}: a child resource's name must include its parents' names",
                built.name, built.resource_type
            ))
            .at_path(&format!("{path}.name")));
        }
        let provider = interleave(&built.resource_type, &built.name);
        built.id = match built.body.get("scope") {
            Some(Value::String(sc)) if sc.starts_with('/') => {
                format!("{}/providers/{provider}", sc.trim_end_matches('/'))
            }
            Some(Value::String(sc)) if !sc.is_empty() => {
                // Relative id (languageVersion 2.0 / Bicep): relative to the deployment scope.
                format!(
                    "{scope_prefix}/providers/{}/providers/{provider}",
                    sc.trim_matches('/')
                )
            }
            _ => format!("{scope_prefix}/providers/{provider}"),
        };
    }
    Ok(built)
}

/// Full type and name for resources nested in a parent's `resources` array:
/// a relative type (`databases`, `blobServices/containers`,
/// `providers/links`) is a child: type and name are prefixed with the
/// parent's. A full type under the parent's type is a child whose name may
/// or may not already include the parent's. Any other full type is an
/// independent resource that was merely written inside the parent.
fn full_type_and_name(decl: &Decl, raw_type: &str, own_name: &str) -> (String, String) {
    let is_relative = raw_type
        .split('/')
        .next()
        .is_some_and(|first| !first.contains('.'));
    match &decl.parent {
        Some(p) if is_relative => (
            format!("{}/{}", p.full_type, raw_type),
            format!("{}/{}", p.name, own_name),
        ),
        Some(p)
            if raw_type
                .to_ascii_lowercase()
                .starts_with(&format!("{}/", p.full_type.to_ascii_lowercase())) =>
        {
            let type_segs = raw_type.split('/').count() - 1;
            if own_name.split('/').count() >= type_segs {
                (raw_type.to_string(), own_name.to_string())
            } else {
                (raw_type.to_string(), format!("{}/{}", p.name, own_name))
            }
        }
        _ => (raw_type.to_string(), own_name.to_string()),
    }
}

/// Every top-level field but the declaration's own, evaluated; `null` is
/// treated as absent.
fn body(
    ctx: &mut dyn Context,
    decl: &Decl,
    raw_type: &str,
    condition: bool,
) -> Result<IndexMap<String, Value>, EvalError> {
    let path = &decl.path;
    let mut body = IndexMap::new();
    let Some(o) = decl.json.as_object() else {
        return Ok(body);
    };
    for (k, v) in o {
        if NON_BODY.contains(&k.to_ascii_lowercase().as_str()) {
            continue;
        }
        if k.eq_ignore_ascii_case("properties")
            && raw_type.eq_ignore_ascii_case("Microsoft.Resources/deployments")
        {
            // The nested template is expanded separately, in its own scope.
            let mut props = IndexMap::new();
            if let Some(po) = v.as_object() {
                for (pk, pv) in po {
                    if pk.eq_ignore_ascii_case("template") {
                        continue;
                    }
                    match eval::evaluate_json(pv, ctx, &format!("{path}.properties.{pk}")) {
                        Ok(v) => {
                            props.insert(pk.clone(), v);
                        }
                        // Not deployed: its inputs may be meaningless (Bicep's
                        // `if (!empty(x))` modules reading x.name).
                        Err(_) if !condition => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            body.insert(k.clone(), Value::Object(props));
            continue;
        }
        let val = match eval::evaluate_json(v, ctx, &format!("{path}.{k}")) {
            Ok(v) => v,
            // A resource that is not deployed may hold expressions that only
            // make sense when it is (e.g. an index into an empty array).
            Err(_) if !condition => continue,
            Err(e) => return Err(e),
        };
        if val == Value::Null {
            continue;
        }
        body.insert(k.clone(), val);
    }
    Ok(body)
}

/// The evaluated `dependsOn` entries.
fn depends_on_entries(ctx: &mut dyn Context, decl: &Decl) -> Result<Vec<String>, EvalError> {
    let mut out = Vec::new();
    let Some(d) = decl.json.get("dependsOn") else {
        return Ok(out);
    };
    let path = format!("{}.dependsOn", decl.path);
    match eval::evaluate_json(d, ctx, &path)? {
        Value::Array(a) => {
            for x in a {
                match x {
                    Value::String(s) => out.push(s),
                    Value::Null | Value::Unknown(_) => {}
                    other => out.push(other.to_arm_string()),
                }
            }
        }
        Value::Null => {}
        other => {
            return Err(EvalError::new(format!(
                "'dependsOn' must be an array, not '{}'",
                other.type_name()
            ))
            .at_path(&path));
        }
    }
    Ok(out)
}

/// A nested deployment's `subscriptionId`, `resourceGroup` and `scope`.
fn deployment_target(
    ctx: &mut dyn Context,
    decl: &Decl,
    built: &mut Built,
) -> Result<(), EvalError> {
    // A deployment that is not deployed may target nonsense (Bicep modules
    // guarded by `if`): ignore errors there.
    for (k, slot) in [
        ("subscriptionId", &mut built.target_subscription),
        ("resourceGroup", &mut built.target_resource_group),
    ] {
        let Some(v) = decl.json.get(k).filter(|v| !v.is_null()) else {
            continue;
        };
        match eval::evaluate_json(v, ctx, &format!("{}.{k}", decl.path)) {
            Ok(Value::String(s)) => *slot = Some(s),
            Ok(_) => {}
            Err(_) if !built.condition => {}
            Err(e) => return Err(e),
        }
    }
    built.body.shift_remove("subscriptionId");
    built.body.shift_remove("resourceGroup");
    if let Some(Value::String(s)) = built.body.get("scope") {
        built.target_scope = Some(s.clone());
    }
    Ok(())
}

/// The id of a nested deployment.
fn deployment_id(
    built: &Built,
    target: &DeploymentContext,
    target_scope: TemplateScope,
    scope_prefix: &str,
) -> String {
    let full_name = &built.name;
    let sub = built
        .target_subscription
        .clone()
        .unwrap_or_else(|| target.subscription_id.clone());
    match (&built.target_resource_group, target_scope) {
        // A `scope` property targets a management group or the tenant.
        (None, _) if built.target_scope.is_some() => {
            let sc = built
                .target_scope
                .as_deref()
                .unwrap_or("")
                .trim_matches('/');
            if sc.is_empty() {
                format!("/providers/Microsoft.Resources/deployments/{full_name}")
            } else if sc.to_ascii_lowercase().starts_with("providers/")
                || sc.to_ascii_lowercase().starts_with("subscriptions/")
            {
                format!("/{sc}/providers/Microsoft.Resources/deployments/{full_name}")
            } else {
                format!("/providers/{sc}/providers/Microsoft.Resources/deployments/{full_name}")
            }
        }
        (Some(rg), _) => format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Resources/deployments/{full_name}"
        ),
        (None, _) if built.target_subscription.is_some() => {
            format!("/subscriptions/{sub}/providers/Microsoft.Resources/deployments/{full_name}")
        }
        (None, TemplateScope::ResourceGroup) => format!(
            "/subscriptions/{sub}/resourceGroups/{}/providers/Microsoft.Resources/deployments/{full_name}",
            target.resource_group
        ),
        (None, TemplateScope::Subscription) => {
            format!("/subscriptions/{sub}/providers/Microsoft.Resources/deployments/{full_name}")
        }
        (None, _) => {
            format!("{scope_prefix}/providers/Microsoft.Resources/deployments/{full_name}")
        }
    }
}

/// The older extension form: type `ns/type/providers/extType`, name
/// `res/extNs/extName`; `i` is where `/providers/` starts in the type.
fn extension_id(
    built: &mut Built,
    i: usize,
    own_name: &str,
    scope_prefix: &str,
    path: &str,
) -> Result<(), EvalError> {
    let full_type = built.resource_type.clone();
    let full_name = built.name.clone();
    let base_type = &full_type[..i];
    let ext_type = &full_type[i + "/providers/".len()..];
    let base_segments = base_type.split('/').count() - 1;
    let names: Vec<&str> = full_name.split('/').collect();
    if names.len() < base_segments + 2 && own_name.starts_with('[') {
        // The name is only known at deployment time.
        built.id = format!("{scope_prefix}/providers/{base_type}/{full_name}/providers/{ext_type}");
        built.resource_type = ext_type.to_string();
        return Ok(());
    }
    if names.len() < base_segments + 2 {
        return Err(EvalError::new(format!(
            "the extension resource name '{full_name}' must be '<resource name>/<extension namespace>/<extension name>' for the type '{full_type}'"
        ))
        .at_path(&format!("{path}.name")));
    }
    let base = interleave(base_type, &names[..base_segments].join("/"));
    let ext_names = &names[base_segments + 1..];
    let ext_full = format!("{}/{}", names[base_segments], ext_type);
    let ext = interleave(&ext_full, &ext_names.join("/"));
    built.id = format!("{scope_prefix}/providers/{base}/providers/{ext}");
    built.resource_type = ext_full;
    built.name = ext_names.join("/");
    Ok(())
}
