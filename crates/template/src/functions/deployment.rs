//! Deployment functions (`parameters`, `variables`, `deployment`,
//! `environment`, `copyIndex`): template-functions-deployment.md.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "parameters",
    "variables",
    "deployment",
    "environment",
    "copyindex",
];

pub(super) fn call(ev: &mut Evaluator<'_, '_>, c: &Call<'_>, v: Vec<Value>) -> R {
    let name = c.name;
    match c.lname {
        "parameters" => {
            c.need(1, 1)?;
            ev.ctx.parameter(want_str(name, &v[0])?)
        }
        "variables" => {
            c.need(1, 1)?;
            ev.ctx.variable(want_str(name, &v[0])?)
        }
        "deployment" => {
            c.need(0, 0)?;
            Ok(ev.ctx.deployment_object())
        }
        "environment" => {
            c.need(0, 0)?;
            Ok(environment(&ev.ctx.deployment().cloud))
        }
        "copyindex" => {
            c.need(0, 2)?;
            let (loop_name, offset) = match v.as_slice() {
                [] => (None, 0),
                [Value::Int(o)] => (None, *o),
                [Value::String(s)] => (Some(s.as_str()), 0),
                [Value::String(s), Value::Int(o)] => (Some(s.as_str()), *o),
                _ => {
                    return Err(err(
                        "copyIndex() takes an optional loop name and an optional integer offset",
                    ));
                }
            };
            let i = ev.ctx.copy_index(loop_name)?;
            Ok(Value::Int(i + offset))
        }
        _ => Err(c.not_builtin()),
    }
}

/// The `environment()` object of a cloud (values from the template-functions
/// reference for AzureCloud; the sovereign clouds' documented endpoints).
pub fn environment(cloud: &str) -> Value {
    let (name, arm, login, graph, portal, suffixes): (
        &str,
        &str,
        &str,
        &str,
        &str,
        [(&str, &str); 6],
    ) = match cloud.to_ascii_lowercase().as_str() {
        "azurechinacloud" => (
            "AzureChinaCloud",
            "https://management.chinacloudapi.cn/",
            "https://login.chinacloudapi.cn/",
            "https://graph.chinacloudapi.cn/",
            "https://portal.azure.cn",
            [
                ("storage", "core.chinacloudapi.cn"),
                ("sqlServerHostname", ".database.chinacloudapi.cn"),
                ("keyvaultDns", ".vault.azure.cn"),
                ("acrLoginServer", ".azurecr.cn"),
                ("azureFrontDoorEndpointSuffix", ""),
                ("azureDatalakeStoreFileSystem", ""),
            ],
        ),
        "azureusgovernment" => (
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net/",
            "https://login.microsoftonline.us/",
            "https://graph.windows.net/",
            "https://portal.azure.us",
            [
                ("storage", "core.usgovcloudapi.net"),
                ("sqlServerHostname", ".database.usgovcloudapi.net"),
                ("keyvaultDns", ".vault.usgovcloudapi.net"),
                ("acrLoginServer", ".azurecr.us"),
                ("azureFrontDoorEndpointSuffix", "azurefd.us"),
                ("azureDatalakeStoreFileSystem", ""),
            ],
        ),
        _ => (
            "AzureCloud",
            "https://management.azure.com/",
            "https://login.microsoftonline.com/",
            "https://graph.windows.net/",
            "https://portal.azure.com",
            [
                ("storage", "core.windows.net"),
                ("sqlServerHostname", ".database.windows.net"),
                ("keyvaultDns", ".vault.azure.net"),
                ("acrLoginServer", ".azurecr.io"),
                ("azureFrontDoorEndpointSuffix", "azurefd.net"),
                ("azureDatalakeStoreFileSystem", "azuredatalakestore.net"),
            ],
        ),
    };
    let mut sfx: IndexMap<String, Value> = suffixes
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    sfx.insert(
        "azureDatalakeAnalyticsCatalogAndJob".into(),
        Value::String("azuredatalakeanalytics.net".into()),
    );
    obj([
        ("name", name.into()),
        ("gallery", "https://gallery.azure.com/".into()),
        ("graph", graph.into()),
        ("portal", portal.into()),
        ("graphAudience", graph.into()),
        ("activeDirectoryDataLake", "https://datalake.azure.net/".into()),
        ("batch", "https://batch.core.windows.net/".into()),
        ("media", "https://rest.media.azure.net".into()),
        ("sqlManagement", "https://management.core.windows.net:8443/".into()),
        (
            "vmImageAliasDoc",
            "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json".into(),
        ),
        ("resourceManager", arm.into()),
        (
            "authentication",
            obj([
                ("loginEndpoint", login.into()),
                (
                    "audiences",
                    Value::Array(vec![
                        "https://management.core.windows.net/".into(),
                        arm.into(),
                    ]),
                ),
                ("tenant", "common".into()),
                ("identityProvider", "AAD".into()),
            ]),
        ),
        ("suffixes", Value::Object(sfx)),
    ])
}
