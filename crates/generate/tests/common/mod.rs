//! Helpers shared by the generator's tests.
#![allow(dead_code)]

use azrelo_generate::{Deployment, DeploymentScope};
use azrelo_template::{
    DeploymentContext, ExpandOptions, Expanded, Template, TemplateScope, expand,
};
use serde_json::json;

/// Expand a generated deployment with azrelo's engine as ARM would run it in
/// `region` (at its resource group or subscription scope), every secure
/// parameter given a value. The error says which step failed.
pub fn expand_deployment(d: &Deployment, region: &str) -> Result<Expanded, String> {
    let text = serde_json::to_string_pretty(&d.template).map_err(|e| e.to_string())?;
    let t = Template::parse(&text, &format!("{}.json", d.name))
        .map_err(|e| format!("generated template does not parse: {e}"))?;
    let mut o = ExpandOptions {
        context: DeploymentContext::default(),
        parameters: Default::default(),
        base_dir: None,
        scope: None,
        template_link: None,
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
        o.parameters
            .insert(name.clone(), json!("supplied-at-deployment"));
    }
    expand(&t, &o).map_err(|e| format!("generated template does not expand: {e}"))
}
