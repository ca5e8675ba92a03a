//! Scope functions (`subscription`, `resourceGroup`, `tenant`,
//! `managementGroup`): template-functions-scope.md.

use super::*;

pub(super) const NAMES: &[&str] = &["subscription", "resourcegroup", "tenant", "managementgroup"];

pub(super) fn call(ev: &mut Evaluator<'_, '_>, c: &Call<'_>, v: Vec<Value>) -> R {
    let name = c.name;
    match c.lname {
        "subscription" => {
            c.need(0, 0)?;
            let d = ev.ctx.deployment();
            Ok(obj([
                ("id", format!("/subscriptions/{}", d.subscription_id).into()),
                ("subscriptionId", d.subscription_id.clone().into()),
                ("tenantId", d.tenant_id.clone().into()),
                ("displayName", d.subscription_display_name.clone().into()),
            ]))
        }
        "resourcegroup" => {
            c.need(0, 0)?;
            if ev.ctx.scope() != TemplateScope::ResourceGroup {
                return Err(err(
                    "resourceGroup() can only be used in a template deployed to a resource group",
                ));
            }
            let d = ev.ctx.deployment();
            Ok(obj([
                (
                    "id",
                    format!(
                        "/subscriptions/{}/resourceGroups/{}",
                        d.subscription_id, d.resource_group
                    )
                    .into(),
                ),
                ("name", d.resource_group.clone().into()),
                ("type", "Microsoft.Resources/resourceGroups".into()),
                ("location", d.resource_group_location.clone().into()),
                ("tags", Value::Object(IndexMap::new())),
                (
                    "properties",
                    obj([("provisioningState", "Succeeded".into())]),
                ),
            ]))
        }
        "tenant" => {
            c.need(0, 0)?;
            let d = ev.ctx.deployment();
            Ok(obj([
                ("id", format!("/tenants/{}", d.tenant_id).into()),
                ("tenantId", d.tenant_id.clone().into()),
                ("countryCode", "US".into()),
                ("displayName", "azrelo tenant".into()),
            ]))
        }
        "managementgroup" => {
            c.need(0, 1)?;
            let d = ev.ctx.deployment();
            let mg = match v.first() {
                Some(x) => want_str(name, x)?.to_string(),
                None => d.management_group.clone(),
            };
            Ok(obj([
                (
                    "id",
                    format!("/providers/Microsoft.Management/managementGroups/{mg}").into(),
                ),
                ("name", mg.clone().into()),
                ("type", "Microsoft.Management/managementGroups".into()),
                (
                    "properties",
                    obj([
                        ("displayName", mg.into()),
                        ("tenantId", d.tenant_id.clone().into()),
                    ]),
                ),
            ]))
        }
        _ => Err(c.not_builtin()),
    }
}
