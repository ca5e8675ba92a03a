//! Resource id functions (`resourceId`, `subscriptionResourceId`,
//! `tenantResourceId`, `managementGroupResourceId`, `extensionResourceId`):
//! template-functions-resource.md. The runtime-only resource functions
//! (`reference`, `list*`, …) go to the context.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "resourceid",
    "subscriptionresourceid",
    "tenantresourceid",
    "managementgroupresourceid",
    "extensionresourceid",
];

pub(super) fn call(ev: &mut Evaluator<'_, '_>, c: &Call<'_>, v: Vec<Value>) -> R {
    let name = c.name;
    let n = v.len();
    match c.lname {
        "resourceid" => resource_id(ev, name, &v),
        "subscriptionresourceid" => {
            if n < 2 {
                return Err(err(format!("{name}() expects a resource type and names")));
            }
            let strs = all_strs(name, &v)?;
            let t = type_position(&strs).ok_or_else(|| missing_type(name))?;
            if t > 1 {
                return Err(err(format!(
                    "{name}() takes an optional subscription id before the resource type"
                )));
            }
            let sub = if t == 1 {
                strs[0].to_string()
            } else {
                ev.ctx.deployment().subscription_id.clone()
            };
            let tail = provider_path(name, strs[t], &strs[t + 1..])?;
            Ok(format!("/subscriptions/{sub}/providers/{tail}").into())
        }
        "tenantresourceid" => {
            let strs = all_strs(name, &v)?;
            if strs.len() < 2 {
                return Err(err(format!("{name}() expects a resource type and names")));
            }
            let tail = provider_path(name, strs[0], &strs[1..])?;
            Ok(format!("/providers/{tail}").into())
        }
        "managementgroupresourceid" => {
            let strs = all_strs(name, &v)?;
            let t = type_position(&strs).ok_or_else(|| missing_type(name))?;
            let mg = if t == 1 {
                strs[0].to_string()
            } else {
                ev.ctx.deployment().management_group.clone()
            };
            let tail = provider_path(name, strs[t], &strs[t + 1..])?;
            Ok(
                format!("/providers/Microsoft.Management/managementGroups/{mg}/providers/{tail}")
                    .into(),
            )
        }
        "extensionresourceid" => {
            let strs = all_strs(name, &v)?;
            if strs.len() < 3 {
                return Err(err(format!(
                    "{name}() expects a base resource id, a resource type and names"
                )));
            }
            let tail = provider_path(name, strs[1], &strs[2..])?;
            Ok(format!("{}/providers/{tail}", strs[0].trim_end_matches('/')).into())
        }
        _ => Err(c.not_builtin()),
    }
}

/// Index of the resource type argument (`Namespace/type…`).
fn type_position(strs: &[&str]) -> Option<usize> {
    strs.iter().position(|s| {
        let mut it = s.split('/');
        let ns = it.next().unwrap_or("");
        ns.contains('.') && it.next().is_some_and(|t| !t.is_empty())
    })
}

fn missing_type(name: &str) -> EvalError {
    err(format!(
        "{name}() needs a resource type such as 'Microsoft.Network/virtualNetworks'"
    ))
}

/// `Namespace/type1/name1/type2/name2…` from a type and its names.
fn provider_path(fname: &str, rtype: &str, names: &[&str]) -> Result<String, EvalError> {
    // ARM tolerates a trailing '/' on the type ('Microsoft.Web/serverfarms/').
    let rtype = rtype.trim_end_matches('/');
    let mut segs = rtype.split('/');
    let ns = segs.next().unwrap_or("");
    let types: Vec<&str> = segs.collect();
    // Names may also be given '/'-joined.
    let names: Vec<&str> = names.iter().flat_map(|n| n.split('/')).collect();
    if types.len() != names.len() {
        return Err(err(format!(
            "{fname}(): the type '{rtype}' has {} segment(s) after the namespace but {} name segment(s) were given ({})",
            types.len(),
            names.len(),
            names.join(", ")
        )));
    }
    let mut out = ns.to_string();
    for (t, n) in types.iter().zip(names) {
        out.push('/');
        out.push_str(t);
        out.push('/');
        out.push_str(n);
    }
    Ok(out)
}

fn resource_id(ev: &mut Evaluator<'_, '_>, name: &str, v: &[Value]) -> R {
    let strs = all_strs(name, v)?;
    let t = type_position(&strs).ok_or_else(|| missing_type(name))?;
    let d = ev.ctx.deployment();
    let tail = provider_path(name, strs[t], &strs[t + 1..])?;
    let (sub, rg): (String, Option<String>) = match t {
        0 => match ev.ctx.scope() {
            TemplateScope::ResourceGroup => {
                (d.subscription_id.clone(), Some(d.resource_group.clone()))
            }
            TemplateScope::Subscription => (d.subscription_id.clone(), None),
            TemplateScope::ManagementGroup | TemplateScope::Tenant => {
                return Ok(Value::String(format!("/providers/{tail}")));
            }
        },
        1 => (d.subscription_id.clone(), Some(strs[0].to_string())),
        2 => (strs[0].to_string(), Some(strs[1].to_string())),
        _ => {
            return Err(err(format!(
                "{name}() takes at most a subscription id and a resource group name before the resource type"
            )));
        }
    };
    Ok(Value::String(match rg {
        Some(rg) => format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{tail}"),
        None => format!("/subscriptions/{sub}/providers/{tail}"),
    }))
}
