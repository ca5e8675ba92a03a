//! Secret-shaped answers of `list*()` (keys, connection strings, SAS
//! tokens), generated per resource from a per-process random salt, and the
//! small encoders they use.

use azrelo_arm::id::ResourceId;
use serde_json::{Value, json};

use crate::types::ListShape as L;

/// Secret-shaped value: base64 of `bytes` bytes derived from a per-process
/// random salt and `seed` (stable for a resource within a run of the
/// emulator, different between runs; never logged).
pub(crate) fn secret(seed: &str, bytes: usize) -> String {
    static SALT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let salt = SALT.get_or_init(|| uuid::Uuid::new_v4().to_string());
    let mut raw = Vec::with_capacity(bytes + 16);
    let mut n = 0u32;
    while raw.len() < bytes {
        let u = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("{salt}|{seed}|{n}").as_bytes(),
        );
        raw.extend_from_slice(u.as_bytes());
        n += 1;
    }
    raw.truncate(bytes);
    base64(&raw)
}

pub(crate) fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// The last segment of an id (a resource's own name).
pub(crate) fn leaf(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// The name of the top-level resource of an id (`…/providers/NS/type/NAME/…`).
pub(crate) fn top_name(id: &str) -> String {
    ResourceId::parse(id)
        .ok()
        .and_then(|r| {
            r.full_name()
                .map(|n| n.split('/').next().unwrap_or("").to_string())
        })
        .unwrap_or_else(|| leaf(id).to_string())
}

/// What a `list*()` call answers for a resource, in the shape the resource
/// provider documents (REST API references of each `listKeys`/… action).
pub(crate) fn list_result(
    function: &str,
    id: &str,
    body: &Value,
    api_version: &str,
    request: &Value,
) -> Option<Value> {
    let ty = body["type"].as_str().unwrap_or("").to_ascii_lowercase();
    let k = |n: &str| secret(&format!("{id}#{n}"), 64);
    let name = top_name(id);
    let sas = |what: &str| {
        format!(
            "sv=2022-11-02&ss=bfqt&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&sig={}",
            azrelo_arm::uri::escape_data_string(&secret(&format!("{id}#{what}"), 32))
        )
    };
    let shape = crate::types::facts(&ty).list(function)?;
    Some(match shape {
        // Storage: StorageAccounts_ListKeys, ListAccountSAS, ListServiceSAS.
        // Before 2016-01-01 the storage API answered {key1, key2}.
        L::StorageKeys if api_version < "2016-01-01" => {
            json!({"key1": k("key1"), "key2": k("key2")})
        }
        L::StorageKeys => json!({"keys": [
            {"keyName": "key1", "value": k("key1"), "permissions": "FULL"},
            {"keyName": "key2", "value": k("key2"), "permissions": "FULL"},
        ]}),
        L::StorageAccountSas => {
            json!({"accountSasToken": sas("account")})
        }
        L::StorageServiceSas => {
            let _ = request;
            json!({"serviceSasToken": sas("service")})
        }
        // Event Hubs / Service Bus / Relay / Notification Hubs authorization rules.
        L::SharedAccessRuleKeys => {
            let t = ty.as_str();
            let ns = name.clone();
            let rule = leaf(id).to_string();
            // Event Hubs, Service Bus and Relay namespaces share the Service Bus DNS zone.
            let host = "servicebus.windows.net";
            let (p, s) = (k("primary"), k("secondary"));
            let mut v = json!({
                "primaryConnectionString": format!("Endpoint=sb://{ns}.{host}/;SharedAccessKeyName={rule};SharedAccessKey={p}"),
                "secondaryConnectionString": format!("Endpoint=sb://{ns}.{host}/;SharedAccessKeyName={rule};SharedAccessKey={s}"),
                "primaryKey": p,
                "secondaryKey": s,
                "keyName": rule,
            });
            if t.contains("/eventhubs/") || t.contains("/topics/") || t.contains("/queues/") {
                let entity = id.rsplit('/').nth(2).unwrap_or("");
                for c in ["primaryConnectionString", "secondaryConnectionString"] {
                    if let Some(s) = v[c].as_str() {
                        v[c] = json!(format!("{s};EntityPath={entity}"));
                    }
                }
            }
            v
        }
        // Cosmos DB: DatabaseAccounts_ListKeys / ListConnectionStrings.
        L::CosmosKeys => json!({
            "primaryMasterKey": k("pm"), "secondaryMasterKey": k("sm"),
            "primaryReadonlyMasterKey": k("pr"), "secondaryReadonlyMasterKey": k("sr"),
        }),
        L::CosmosConnectionStrings => json!({
            "connectionStrings": [
                {"connectionString": format!("AccountEndpoint=https://{name}.documents.azure.com:443/;AccountKey={}", k("pm")), "description": "Primary SQL Connection String"},
                {"connectionString": format!("AccountEndpoint=https://{name}.documents.azure.com:443/;AccountKey={}", k("sm")), "description": "Secondary SQL Connection String"},
            ]
        }),
        // Cache for Redis, Maps, SignalR, Web PubSub, Search admin keys, Cognitive Services.
        L::PrimarySecondary => {
            json!({"primaryKey": k("p"), "secondaryKey": k("s")})
        }
        L::MapsKeys => json!({
            "primaryKey": k("p"), "secondaryKey": k("s"),
            "primaryKeyLastUpdated": "2026-01-01T00:00:00Z", "secondaryKeyLastUpdated": "2026-01-01T00:00:00Z",
        }),
        L::AccessKeys { host } => {
            let (p, s) = (k("p"), k("s"));
            json!({
                "primaryKey": p, "secondaryKey": s,
                "primaryConnectionString": format!("Endpoint=https://{name}.{host};AccessKey={p};Version=1.0;"),
                "secondaryConnectionString": format!("Endpoint=https://{name}.{host};AccessKey={s};Version=1.0;"),
            })
        }
        L::SearchQueryKeys => {
            json!({"value": [{"name": "", "key": k("q")}]})
        }
        L::Key1Key2 => {
            json!({"key1": k("k1"), "key2": k("k2")})
        }
        // Log Analytics: SharedKeys_GetSharedKeys (listKeys).
        L::SharedKeys => {
            json!({"primarySharedKey": k("p"), "secondarySharedKey": k("s")})
        }
        // Container Registry: Registries_ListCredentials.
        L::RegistryCredentials => json!({
            "username": name,
            "passwords": [{"name": "password", "value": k("p")}, {"name": "password2", "value": k("s")}],
        }),
        // IoT Hub: IotHubResource_ListKeys.
        // The hub's shared access policies: those it declares
        // (properties.authorizationPolicies), else the five defaults.
        L::IotHubKeys => {
            let declared = body["properties"]["authorizationPolicies"]
                .as_array()
                .filter(|a| !a.is_empty())
                .cloned();
            let policies: Vec<(String, String)> = match declared {
                Some(a) => a
                    .iter()
                    .map(|p| {
                        (
                            p["keyName"].as_str().unwrap_or("policy").to_string(),
                            p["rights"].as_str().unwrap_or("ServiceConnect").to_string(),
                        )
                    })
                    .collect(),
                None => [
                    (
                        "iothubowner",
                        "RegistryWrite, ServiceConnect, DeviceConnect",
                    ),
                    ("service", "ServiceConnect"),
                    ("device", "DeviceConnect"),
                    ("registryRead", "RegistryRead"),
                    ("registryReadWrite", "RegistryWrite"),
                ]
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            };
            json!({"value": policies.iter().map(|(n, r)| json!({
                "keyName": n, "primaryKey": k(&format!("{n}1")), "secondaryKey": k(&format!("{n}2")), "rights": r,
            })).collect::<Vec<_>>()})
        }
        L::DpsKeys => json!({"value": [
            {"keyName": "provisioningserviceowner", "primaryKey": k("p"), "secondaryKey": k("s"), "rights": "ServiceConfig, DeviceConnect, EnrollmentWrite"},
        ]}),
        // Batch: BatchAccount_GetKeys (listKeys).
        L::BatchKeys => {
            json!({"accountName": name, "primary": k("p"), "secondary": k("s")})
        }
        // Automation: Keys_ListByAutomationAccount.
        L::AutomationKeys => json!({"keys": [
            {"KeyName": "Primary", "Permissions": "Full", "Value": k("p")},
            {"KeyName": "Secondary", "Permissions": "Full", "Value": k("s")},
        ]}),
        // App Service: publishing credentials, app settings, function keys.
        L::PublishingCredentials => {
            json!({"properties": {
                "publishingUserName": format!("${name}"),
                "publishingPassword": k("pub"),
                "scmUri": format!("https://${name}:{}@{name}.scm.azurewebsites.net", k("pub")),
            }})
        }
        L::HostKeys => {
            json!({"masterKey": k("master"), "functionKeys": {"default": k("default")}, "systemKeys": {}})
        }
        L::FunctionKeys => json!({
            "default": k("fn"),
            "key": k("fn"),
            "trigger_url": format!("https://{name}.azurewebsites.net/api/{}?code={}", leaf(id), k("fn")),
        }),
        L::AppSettings => {
            json!({"properties": body["properties"].clone()})
        }
        // Logic Apps: Workflows_ListCallbackUrl.
        L::WorkflowCallbackUrl => {
            let sig = azrelo_arm::uri::escape_data_string(&secret(&format!("{id}#sig"), 32));
            let base = format!(
                "https://prod-00.westeurope.logic.azure.com:443/workflows/{}",
                crate_hash(&name)
            );
            json!({
                "value": format!("{base}?api-version=2016-10-01&sp=%2F%2A&sv=1.0&sig={sig}"),
                "method": "POST",
                "basePath": base,
                "queries": {"api-version": "2016-10-01", "sp": "/*", "sv": "1.0", "sig": sig},
            })
        }
        // Logic Apps: WorkflowTriggers_ListCallbackUrl.
        L::TriggerCallbackUrl => {
            let sig = azrelo_arm::uri::escape_data_string(&secret(&format!("{id}#sig"), 32));
            let wf = id.rsplit('/').nth(2).unwrap_or("");
            let base = format!(
                "https://prod-00.{}.logic.azure.com:443/workflows/{}/triggers/{}/paths/invoke",
                "westeurope",
                crate_hash(wf),
                leaf(id)
            );
            json!({
                "value": format!("{base}?api-version=2016-10-01&sp=%2Ftriggers%2F{}%2Frun&sv=1.0&sig={sig}", leaf(id)),
                "method": "POST",
                "basePath": base,
                "queries": {"api-version": "2016-10-01", "sp": format!("/triggers/{}/run", leaf(id)), "sv": "1.0", "sig": sig},
            })
        }
        // Managed clusters: ListClusterAdmin/UserCredentials.
        L::KubeConfig => json!({"kubeconfigs": [
            {"name": "clusterAdmin", "value": base64(format!("apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: https://{name}.hcp.westeurope.azmk8s.io:443\nusers:\n- name: clusterAdmin\n  user:\n    token: {}\n", k("token")).as_bytes())},
        ]}),
        // Media, Communication, App Configuration, Purview, Web PubSub style keys.
        L::CommunicationKeys => {
            let (p, s) = (k("p"), k("s"));
            json!({
                "primaryKey": p, "secondaryKey": s,
                "primaryConnectionString": format!("endpoint=https://{name}.communication.azure.com/;accesskey={p}"),
                "secondaryConnectionString": format!("endpoint=https://{name}.communication.azure.com/;accesskey={s}"),
            })
        }
        L::AppConfigKeys => json!({"value": [
            {"id": "p", "name": "Primary", "value": k("p"), "connectionString": format!("Endpoint=https://{name}.azconfig.io;Id=p;Secret={}", k("p")), "readOnly": false},
            {"id": "s", "name": "Secondary", "value": k("s"), "connectionString": format!("Endpoint=https://{name}.azconfig.io;Id=s;Secret={}", k("s")), "readOnly": false},
        ]}),
        L::MapsSas => json!({"accountSasToken": sas("maps")}),
        L::IntegrationRuntimeAuthKeys => {
            json!({"authKey1": format!("IR@{}", k("a1")), "authKey2": format!("IR@{}", k("a2"))})
        }
        L::IntegrationAccountCallbackUrl => json!({
            "value": format!(
                "https://prod-00.westeurope.logic.azure.com:443/integrationAccounts/{}?api-version=2015-08-01-preview&sp=%2F%2F%2A&sv=1.0&sig={}",
                crate_hash(id),
                azrelo_arm::uri::escape_data_string(&secret(&format!("{id}#sig"), 32))
            ),
        }),
        L::IotHubKey => json!({
            "keyName": leaf(id), "primaryKey": k("p"), "secondaryKey": k("s"),
            "rights": "RegistryWrite, ServiceConnect, DeviceConnect",
        }),
        L::RegistrationTokens => {
            json!({"value": [{"token": k("reg"), "expirationTime": "2030-01-01T00:00:00Z"}]})
        }
    })
}

/// A stable short hex string for a name (ids inside generated URLs).
pub(crate) fn crate_hash(s: &str) -> String {
    format!("{:016x}", azrelo_template::hash::murmur64(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn secrets_are_stable_per_seed_and_distinct_between_seeds() {
        let a = secret("x#key1", 64);
        assert_eq!(a, secret("x#key1", 64));
        assert_ne!(a, secret("x#key2", 64));
        assert_eq!(a.len(), 88);
    }
}
