//! What ARM's GET shows beyond what was written: read-only properties the
//! resource provider computes, ids of inline children, dynamically
//! allocated private addresses, and the children Azure creates with their
//! parent.

use azrelo_arm::id::{IdKind, ResourceId};
use serde_json::{Value, json};

use super::secrets::{crate_hash, leaf, secret, top_name};
use crate::state::{Inner, TENANT, key};

/// Complete a stored resource the way ARM's GET shows it: the read-only
/// properties its provider computes ([`computed_properties`], stored values
/// win), ids on inline children (`{id}/{collection}/{name}`, as the network
/// provider returns subnets, IP configurations, pools…) and dynamically
/// allocated private IP addresses (the 5th address of the subnet onwards:
/// Azure reserves the first four, learn.microsoft.com/azure/virtual-network/
/// virtual-networks-faq#are-there-any-restrictions-on-using-ip-addresses-within-these-subnets).
pub(crate) fn enrich(body: &mut Value, inner: &Inner) {
    let computed = computed_properties(body, inner);
    if !body["properties"].is_object() {
        body["properties"] = json!({});
    }
    fill(&mut body["properties"], Value::Object(computed));
    let id = body["id"].as_str().unwrap_or("").to_string();
    if let Some(props) = body["properties"].as_object_mut() {
        for (collection, items) in props.iter_mut() {
            let Some(items) = items.as_array_mut() else {
                continue;
            };
            for (i, item) in items.iter_mut().enumerate() {
                let Some(name) = item["name"].as_str().map(str::to_string) else {
                    continue;
                };
                if !item.is_object() {
                    continue;
                }
                if item.get("id").is_none() {
                    item["id"] = json!(format!("{id}/{collection}/{name}"));
                }
                if !item["properties"].is_object() {
                    item["properties"] = json!({});
                }
                let p = &mut item["properties"];
                let dynamic = !p["privateIPAllocationMethod"]
                    .as_str()
                    .is_some_and(|m| m.eq_ignore_ascii_case("static"));
                if dynamic
                    && p.get("privateIPAddress").is_none()
                    && let Some(subnet) = p["subnet"]["id"].as_str()
                    && let Some(ip) = allocate_ip(inner, subnet, i)
                {
                    p["privateIPAddress"] = json!(ip);
                    p["privateIPAllocationMethod"] = json!("Dynamic");
                }
            }
        }
    }
}

/// Fill what `dst` lacks from `src`, recursively (objects only).
pub(crate) fn fill(dst: &mut Value, src: Value) {
    let (Some(d), Value::Object(s)) = (dst.as_object_mut(), src) else {
        return;
    };
    for (k, v) in s {
        match d.iter_mut().find(|(dk, _)| dk.eq_ignore_ascii_case(&k)) {
            Some((_, existing)) => {
                if existing.is_object() && v.is_object() {
                    fill(existing, v);
                }
            }
            None => {
                d.insert(k, v);
            }
        }
    }
}

/// A subnet's IPv4 prefix (`addressPrefix`, else the first of
/// `addressPrefixes`) as (first address, prefix length if it reads as one),
/// the subnet stored
/// on its own or inline in its network.
fn subnet_prefix(inner: &Inner, subnet_id: &str) -> Option<(u32, Option<u32>)> {
    let rid = ResourceId::parse(subnet_id).ok()?;
    let subnet = inner
        .resources
        .get(&key(subnet_id))
        .map(|s| s.body.clone())
        .or_else(|| inner.sub_resource(&rid))?;
    let p = &subnet["properties"];
    let prefix = p["addressPrefix"]
        .as_str()
        .or_else(|| p["addressPrefixes"][0].as_str())?;
    let (addr, len) = prefix.split_once('/')?;
    let octets: Vec<u32> = addr.split('.').filter_map(|o| o.parse().ok()).collect();
    if octets.len() != 4 {
        return None;
    }
    let base = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3];
    Some((base, len.parse().ok()))
}

fn ipv4(a: u32) -> String {
    format!(
        "{}.{}.{}.{}",
        a >> 24,
        (a >> 16) & 255,
        (a >> 8) & 255,
        a & 255
    )
}

/// The `n`-th dynamically allocated address of a subnet (IPv4).
fn allocate_ip(inner: &Inner, subnet_id: &str, n: usize) -> Option<String> {
    let (base, _) = subnet_prefix(inner, subnet_id)?;
    Some(ipv4(base.checked_add(4 + n as u32)?))
}

/// The last usable address of a subnet (a VPN gateway's BGP peering
/// address sits at the top of the GatewaySubnet).
fn last_usable_ip(inner: &Inner, subnet_id: &str) -> Option<String> {
    let (base, len) = subnet_prefix(inner, subnet_id)?;
    let len = len.filter(|l| *l <= 30)?;
    Some(ipv4(base + (1u32 << (32 - len)) - 2))
}

/// Children Azure creates with their parent (or on demand), which exist
/// without a PUT of their own: a namespace's `RootManageSharedAccessKey`,
/// an IoT hub's `events` endpoint and shared access policies, a function
/// app's `host/default`, a workflow's triggers, a Recovery Services vault's
/// `Azure` fabric and its protection containers, Cosmos DB's built-in SQL
/// role definitions, … — which ones per type is
/// [`crate::types::Facts::builtin`]. The parent must exist.
pub(crate) fn builtin_child(inner: &Inner, id: &ResourceId) -> bool {
    use crate::types::Builtin;
    if id.kind() != IdKind::Resource {
        return false;
    }
    let Some(parent) = id.parent() else {
        return false;
    };
    let Some(rule) = crate::types::facts(id.type_or_scope_type().as_str()).builtin else {
        return false;
    };
    let name = id.name().unwrap_or_default().to_ascii_lowercase();
    let known = match rule {
        Builtin::Names(names) => names.contains(&name.as_str()),
        Builtin::Any => true,
        Builtin::NamePrefix(p) => name.starts_with(p),
        Builtin::ParentNamePrefix(p) => parent
            .name()
            .is_some_and(|e| e.to_ascii_lowercase().starts_with(p)),
        Builtin::WorkflowTrigger => {
            let Some(wf) = inner.resources.get(&key(parent.as_str())) else {
                return false;
            };
            return wf.body["properties"]["definition"]["triggers"]
                .as_object()
                .is_some_and(|t| t.keys().any(|k| k.eq_ignore_ascii_case(&name)));
        }
    };
    known && (inner.resources.contains_key(&key(parent.as_str())) || builtin_child(inner, &parent))
}

/// Read-only properties ARM returns for a resource that the emulator can
/// derive the way Azure does (endpoints from the name and cloud suffixes,
/// stable generated ids); merged under what the resource stores.
pub(crate) fn computed_properties(body: &Value, inner: &Inner) -> serde_json::Map<String, Value> {
    let ty = body["type"].as_str().unwrap_or("").to_ascii_lowercase();
    let id = body["id"].as_str().unwrap_or("");
    let name = body["name"].as_str().unwrap_or("").to_string();
    let loc = body["location"]
        .as_str()
        .unwrap_or("westeurope")
        .to_ascii_lowercase()
        .replace(' ', "");
    let p = &body["properties"];
    let guid = |what: &str| {
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("{id}#{what}").as_bytes(),
        )
        .to_string()
    };
    let v = match ty.as_str() {
        "microsoft.storage/storageaccounts" => json!({
            "primaryEndpoints": {
                "blob": format!("https://{name}.blob.core.windows.net/"),
                "queue": format!("https://{name}.queue.core.windows.net/"),
                "table": format!("https://{name}.table.core.windows.net/"),
                "file": format!("https://{name}.file.core.windows.net/"),
                "web": format!("https://{name}.z6.web.core.windows.net/"),
                "dfs": format!("https://{name}.dfs.core.windows.net/"),
            },
            "primaryLocation": loc,
            "statusOfPrimary": "available",
        }),
        "microsoft.keyvault/vaults" => {
            json!({"vaultUri": format!("https://{name}.vault.azure.net/")})
        }
        "microsoft.keyvault/vaults/secrets" => json!({
            "secretUri": format!("https://{}.vault.azure.net/secrets/{}", top_name(id), leaf(id)),
            "secretUriWithVersion": format!("https://{}.vault.azure.net/secrets/{}/{}", top_name(id), leaf(id), guid("v").replace('-', "")),
        }),
        "microsoft.keyvault/vaults/keys" => json!({
            "keyUri": format!("https://{}.vault.azure.net/keys/{}", top_name(id), leaf(id)),
            "keyUriWithVersion": format!("https://{}.vault.azure.net/keys/{}/{}", top_name(id), leaf(id), guid("v").replace('-', "")),
        }),
        "microsoft.web/sites" | "microsoft.web/sites/slots" => {
            let host = if ty.ends_with("slots") {
                format!("{}-{}.azurewebsites.net", top_name(id), leaf(id))
            } else {
                format!("{name}.azurewebsites.net")
            };
            json!({
                "defaultHostName": host,
                "hostNames": [host],
                "enabledHostNames": [host, host.replace(".azurewebsites.net", ".scm.azurewebsites.net")],
                "state": "Running",
                "inboundIpAddress": "20.50.2.10",
                "outboundIpAddresses": "20.50.2.1,20.50.2.2",
                "possibleOutboundIpAddresses": "20.50.2.1,20.50.2.2,20.50.2.3",
                "customDomainVerificationId": crate_hash(id).to_uppercase(),
            })
        }
        "microsoft.web/staticsites" => {
            json!({"defaultHostname": format!("{}.azurestaticapps.net", crate_hash(id))})
        }
        "microsoft.sql/servers" => {
            json!({"fullyQualifiedDomainName": format!("{name}.database.windows.net")})
        }
        "microsoft.sql/managedinstances" => json!({
            "fullyQualifiedDomainName": format!("{name}.{}.database.windows.net", &crate_hash(id)[..12])
        }),
        "microsoft.dbforpostgresql/flexibleservers" | "microsoft.dbforpostgresql/servers" => {
            json!({"fullyQualifiedDomainName": format!("{name}.postgres.database.azure.com")})
        }
        "microsoft.dbformysql/flexibleservers" | "microsoft.dbformysql/servers" => {
            json!({"fullyQualifiedDomainName": format!("{name}.mysql.database.azure.com")})
        }
        "microsoft.documentdb/databaseaccounts" => {
            json!({"documentEndpoint": format!("https://{name}.documents.azure.com:443/")})
        }
        "microsoft.containerregistry/registries" => {
            json!({"loginServer": format!("{}.azurecr.io", name.to_ascii_lowercase())})
        }
        "microsoft.cache/redis" => json!({
            "hostName": format!("{name}.redis.cache.windows.net"), "port": 6379, "sslPort": 6380,
        }),
        "microsoft.eventhub/namespaces"
        | "microsoft.servicebus/namespaces"
        | "microsoft.relay/namespaces" => json!({
            "serviceBusEndpoint": format!("https://{name}.servicebus.windows.net:443/"),
        }),
        "microsoft.insights/components" => {
            let ik = guid("ikey");
            json!({
                "InstrumentationKey": ik,
                "ConnectionString": format!("InstrumentationKey={ik};IngestionEndpoint=https://{loc}-0.in.applicationinsights.azure.com/;LiveEndpoint=https://{loc}.livediagnostics.monitor.azure.com/"),
                "AppId": guid("appid"),
            })
        }
        "microsoft.operationalinsights/workspaces" => json!({"customerId": guid("customer")}),
        // Azure Local cluster: `cloudId`, "Unique, immutable resource id"
        // (read-only, assigned by the RP; REST spec AzureStackHCI `ClusterProperties`).
        "microsoft.azurestackhci/clusters" => json!({"cloudId": guid("cloud")}),
        // A public Azure Spring Apps app: `url` "<app>.<service>.azuremicroservices.io"
        // (REST spec AppPlatform example Apps_Get.json); none when not public.
        "microsoft.appplatform/spring/apps" if p["public"] == json!(true) => {
            let mut seg = id.rsplit('/');
            let (app, service) = (seg.next().unwrap_or(""), seg.nth(1).unwrap_or(""));
            json!({"url": format!("{app}.{service}.azuremicroservices.io")})
        }
        "microsoft.cognitiveservices/accounts" => {
            let sub = p["customSubDomainName"].as_str().map(str::to_string);
            let endpoint = match &sub {
                Some(s) => format!("https://{s}.cognitiveservices.azure.com/"),
                None => format!("https://{loc}.api.cognitive.microsoft.com/"),
            };
            let mut v = json!({"endpoint": endpoint, "endpoints": {}});
            if let Some(s) = &sub {
                v["endpoints"]["OpenAI Language Model Instance API"] =
                    json!(format!("https://{s}.openai.azure.com/"));
            }
            v
        }
        "microsoft.signalrservice/signalr" => {
            json!({"hostName": format!("{name}.service.signalr.net"), "externalIP": "20.50.3.1"})
        }
        "microsoft.signalrservice/webpubsub" => {
            json!({"hostName": format!("{name}.webpubsub.azure.com")})
        }
        "microsoft.devices/iothubs" => json!({
            "hostName": format!("{name}.azure-devices.net"),
            "eventHubEndpoints": {"events": {
                "endpoint": format!("sb://ihsuprodamres000dednamespace.servicebus.windows.net/"),
                "path": name.to_ascii_lowercase(),
                "partitionCount": p["eventHubEndpoints"]["events"]["partitionCount"].as_i64().unwrap_or(4),
                "retentionTimeInDays": 1,
            }},
        }),
        "microsoft.devices/provisioningservices" => json!({
            "serviceOperationsHostName": format!("{name}.azure-devices-provisioning.net"),
            "deviceProvisioningHostName": "global.azure-devices-provisioning.net",
            "idScope": format!("0ne{}", &crate_hash(id)[..8].to_uppercase()),
        }),
        "microsoft.network/publicipaddresses" => {
            let h = azrelo_template::hash::murmur64(id.to_ascii_lowercase().as_bytes());
            let mut v = json!({"ipAddress": format!("20.{}.{}.{}", 50 + (h % 100), (h >> 8) % 256, 1 + (h >> 16) % 254)});
            if let Some(label) = p["dnsSettings"]["domainNameLabel"].as_str() {
                v["dnsSettings"] = json!({
                    "domainNameLabel": label,
                    "fqdn": format!("{label}.{loc}.cloudapp.azure.com"),
                });
            }
            v
        }
        "microsoft.containerservice/managedclusters" => {
            let prefix = p["dnsPrefix"].as_str().unwrap_or(&name).to_string();
            json!({
                "fqdn": format!("{prefix}-{}.hcp.{loc}.azmk8s.io", &crate_hash(id)[..8]),
                "nodeResourceGroup": format!("MC_{}_{name}_{loc}", ResourceId::parse(id).ok().and_then(|r| r.resource_group().map(str::to_string)).unwrap_or_default()),
                "identityProfile": {"kubeletidentity": {
                    "resourceId": format!("{id}-agentpool"),
                    "clientId": guid("kubelet-client"),
                    "objectId": guid("kubelet-object"),
                }},
                "oidcIssuerProfile": {"enabled": p["oidcIssuerProfile"]["enabled"].as_bool().unwrap_or(false), "issuerURL": format!("https://{loc}.oic.prod-aks.azure.com/{TENANT}/{}/", guid("oidc"))},
                // Each enabled add-on runs as its own managed identity.
                "addonProfiles": p["addonProfiles"].as_object().map(|a| {
                    a.iter()
                        .filter(|(_, v)| v["enabled"].as_bool() == Some(true))
                        .map(|(k, _)| {
                            (k.clone(), json!({"identity": {
                                "resourceId": format!("/subscriptions/{}/resourcegroups/MC_{name}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}-{name}", ResourceId::parse(id).ok().and_then(|r| r.subscription_id().map(str::to_string)).unwrap_or_default(), k.to_ascii_lowercase()),
                                "clientId": guid(&format!("addon-{k}-client")),
                                "objectId": guid(&format!("addon-{k}-object")),
                            }}))
                        })
                        .collect::<serde_json::Map<_, _>>()
                }).unwrap_or_default(),
            })
        }
        "microsoft.app/managedenvironments" => json!({
            "defaultDomain": format!("{}.{loc}.azurecontainerapps.io", &crate_hash(id)[..10]),
            "staticIp": "20.50.5.1",
        }),
        "microsoft.app/containerapps" => json!({
            "latestRevisionFqdn": format!("{name}--{}.{loc}.azurecontainerapps.io", &crate_hash(id)[..7]),
            "configuration": {"ingress": {"fqdn": format!("{name}.{}.{loc}.azurecontainerapps.io", &crate_hash(id)[..10])}},
        }),
        "microsoft.compute/virtualmachines" => json!({"vmId": guid("vmid")}),
        "microsoft.containerinstance/containergroups" => {
            let ip = &p["ipAddress"];
            let private = ip["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("private"))
                || (ip.is_null() && p["subnetIds"].is_array());
            let addr = if private {
                p["subnetIds"][0]["id"]
                    .as_str()
                    .and_then(|s| allocate_ip(inner, s, 0))
                    .unwrap_or_else(|| "10.0.0.4".into())
            } else {
                let h = azrelo_template::hash::murmur64(id.to_ascii_lowercase().as_bytes());
                format!(
                    "20.{}.{}.{}",
                    50 + (h % 100),
                    (h >> 8) % 256,
                    1 + (h >> 16) % 254
                )
            };
            let mut v = json!({"ipAddress": {"ip": addr, "type": if private { "Private" } else { "Public" }}});
            if let Some(label) = ip["dnsNameLabel"].as_str() {
                v["ipAddress"]["fqdn"] = json!(format!("{label}.{loc}.azurecontainer.io"));
            }
            v
        }
        "microsoft.cdn/profiles" => json!({"frontDoorId": guid("fdid")}),
        "microsoft.machinelearningservices/workspaces/environments" => {
            json!({"latestVersion": "1", "isArchived": false})
        }
        "microsoft.machinelearningservices/workspaces/jobs" => json!({"services": {
            "Studio": {"endpoint": format!("https://ml.azure.com/runs/{name}?wsid={}", ResourceId::parse(id).ok().and_then(|r| r.parent()).map(|p| p.as_str().to_string()).unwrap_or_default()), "jobServiceType": "Studio"},
            "Tracking": {"endpoint": format!("azureml://{loc}.api.azureml.ms/mlflow/v1.0{}", id), "jobServiceType": "Tracking"},
        }}),
        "microsoft.web/hostingenvironments" => json!({
            "dnsSuffix": format!("{name}.appserviceenvironment.net"),
            "internalInboundIpAddresses": ["10.0.0.4"],
        }),
        "microsoft.web/hostingenvironments/configurations" => json!({
            "internalInboundIpAddresses": ["10.0.0.4"],
            "externalInboundIpAddresses": ["20.50.6.1"],
            "windowsOutboundIpAddresses": ["20.50.6.2"],
            "linuxOutboundIpAddresses": ["20.50.6.3"],
        }),
        "microsoft.servicefabric/clusters" => json!({
            "clusterId": guid("sf"),
            "clusterEndpoint": format!("https://{loc}.servicefabric.azure.com/runtime/clusters/{}", guid("sf")),
            "clusterState": "WaitingForNodes",
        }),
        "microsoft.network/virtualnetworkgateways" => {
            let gw_subnet = p["ipConfigurations"][0]["properties"]["subnet"]["id"]
                .as_str()
                .and_then(|s| last_usable_ip(inner, s))
                .unwrap_or_else(|| "10.0.255.254".into());
            json!({"bgpSettings": {
                "asn": p["bgpSettings"]["asn"].as_i64().unwrap_or(65515),
                "bgpPeeringAddress": gw_subnet,
                "peerWeight": 0,
            }})
        }
        "microsoft.cdn/profiles/customdomains" => json!({"validationProperties": {
            "validationToken": crate_hash(id),
            "expirationDate": "2030-01-01T00:00:00Z",
        }}),
        "microsoft.network/dnszones" | "microsoft.network/privatednszones" => json!({
            "nameServers": ["ns1-01.azure-dns.com.", "ns2-01.azure-dns.net.", "ns3-01.azure-dns.org.", "ns4-01.azure-dns.info."],
            "numberOfRecordSets": 2,
        }),
        t if t.starts_with("microsoft.network/dnszones/")
            || t.starts_with("microsoft.network/privatednszones/") =>
        {
            let zone = top_name(id);
            let rec = leaf(id);
            let fqdn = if rec == "@" {
                format!("{zone}.")
            } else {
                format!("{rec}.{zone}.")
            };
            json!({"fqdn": fqdn})
        }
        "microsoft.apimanagement/service" => {
            let host = format!("{name}.azure-api.net");
            json!({
                "gatewayUrl": format!("https://{host}"),
                "portalUrl": format!("https://{name}.portal.azure-api.net"),
                "developerPortalUrl": format!("https://{name}.developer.azure-api.net"),
                "managementApiUrl": format!("https://{name}.management.azure-api.net"),
                "scmUrl": format!("https://{name}.scm.azure-api.net"),
                "publicIPAddresses": ["20.50.4.1"],
                "privateIPAddresses": ["10.0.0.4"],
                "hostnameConfigurations": [{"type": "Proxy", "hostName": host, "negotiateClientCertificate": false, "defaultSslBinding": true, "certificateSource": "BuiltIn"}],
            })
        }
        "microsoft.digitaltwins/digitaltwinsinstances" => {
            json!({"hostName": format!("{name}.api.{}.digitaltwins.azure.net", &loc[..3.min(loc.len())])})
        }
        "microsoft.kusto/clusters" => json!({
            "uri": format!("https://{name}.{loc}.kusto.windows.net"),
            "dataIngestionUri": format!("https://ingest-{name}.{loc}.kusto.windows.net"),
        }),
        "microsoft.eventgrid/topics" | "microsoft.eventgrid/domains" => {
            json!({"endpoint": format!("https://{name}.{loc}-1.eventgrid.azure.net/api/events")})
        }
        "microsoft.healthdataaiservices/deidservices" => {
            json!({"serviceUrl": format!("https://{}.api.deid.azure.com", &crate_hash(id)[..12])})
        }
        "microsoft.timeseriesinsights/environments" => json!({
            "dataAccessId": guid("tsi"),
            "dataAccessFqdn": format!("{}.env.timeseries.azure.com", guid("tsi")),
        }),
        "microsoft.certificateregistration/certificateorders" => json!({
            "domainVerificationToken": crate_hash(id),
            "status": "Issued",
            "signedCertificate": {
                "thumbprint": format!("{}{}{}", crate_hash(id), crate_hash(&format!("{id}#2")), crate_hash(&format!("{id}#3"))).to_uppercase().chars().take(40).collect::<String>(),
                "subject": format!("CN={}", p["distinguishedName"].as_str().unwrap_or("").trim_start_matches("CN=")),
                "issuer": "CN=Go Daddy Secure Certificate Authority - G2",
            },
        }),
        "microsoft.web/certificates" => json!({
            "thumbprint": format!("{}{}{}", crate_hash(id), crate_hash(&format!("{id}#2")), crate_hash(&format!("{id}#3"))).to_uppercase().chars().take(40).collect::<String>(),
            "subjectName": p["hostNames"][0].clone(),
            "expirationDate": "2030-01-01T00:00:00Z",
        }),
        "microsoft.desktopvirtualization/hostpools" => {
            let mut v = json!({});
            if p["registrationInfo"]["expirationTime"].is_string() {
                v["registrationInfo"] = json!({"token": secret(&format!("{id}#reg"), 48), "registrationTokenOperation": "Update"});
            }
            v
        }
        "microsoft.machinelearningservices/workspaces" => json!({
            "workspaceId": guid("ws"),
            "discoveryUrl": format!("https://{loc}.api.azureml.ms/discovery"),
        }),
        "microsoft.synapse/workspaces" => json!({"connectivityEndpoints": {
            "web": format!("https://web.azuresynapse.net?workspace=%2fsubscriptions%2f{}", name),
            "dev": format!("https://{name}.dev.azuresynapse.net"),
            "sql": format!("{name}.sql.azuresynapse.net"),
            "sqlOnDemand": format!("{name}-ondemand.sql.azuresynapse.net"),
        }}),
        "microsoft.cdn/profiles/afdendpoints" => json!({
            "hostName": format!("{}-{}.z01.azurefd.net", leaf(id), &crate_hash(id)[..12]),
        }),
        "microsoft.cdn/profiles/endpoints" => {
            json!({"hostName": format!("{}.azureedge.net", leaf(id))})
        }
        "microsoft.network/frontdoors" => json!({"cname": format!("{name}.azurefd.net")}),
        "microsoft.network/trafficmanagerprofiles" => json!({"dnsConfig": {
            "relativeName": p["dnsConfig"]["relativeName"].clone(),
            "fqdn": format!("{}.trafficmanager.net", p["dnsConfig"]["relativeName"].as_str().unwrap_or(&name)),
            "ttl": p["dnsConfig"]["ttl"].clone(),
        }}),
        "microsoft.automation/automationaccounts" => json!({
            "registrationUrl": format!("https://{}.agentsvc.{loc}.azure-automation.net/accounts/{}", guid("reg"), guid("reg")),
        }),
        "microsoft.batch/batchaccounts" => {
            json!({"accountEndpoint": format!("{name}.{loc}.batch.azure.com")})
        }
        "microsoft.search/searchservices" => json!({}),
        "microsoft.databricks/workspaces" => json!({
            "workspaceUrl": format!("adb-{}.azuredatabricks.net", &crate_hash(id)[..14]),
            "workspaceId": format!("{}", azrelo_template::hash::murmur64(id.as_bytes()) % 10_000_000_000_000_000),
        }),
        "microsoft.appconfiguration/configurationstores" => {
            json!({"endpoint": format!("https://{name}.azconfig.io")})
        }
        "microsoft.communication/communicationservices" => {
            json!({"hostName": format!("{name}.communication.azure.com")})
        }
        "microsoft.healthcareapis/workspaces/fhirservices" => json!({}),
        "microsoft.network/bastionhosts" => {
            json!({"dnsName": format!("bst-{}.bastion.azure.com", guid("bst"))})
        }
        _ => json!({}),
    };
    let mut m = match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    m.entry("provisioningState").or_insert(json!("Succeeded"));
    m
}
