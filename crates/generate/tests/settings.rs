//! Issue #14 in the generator, on realistic exports
//! (`crates/testkit/fixtures/estates`): names and endpoints in settings are
//! the targets', values only a moved resource knows are read from it when
//! the deployment runs, no secret part of a connection string is copied,
//! nothing an owner creates is deployed on its own, and references an owner
//! manages are left to it.

use azrelo_catalog::Catalog;
use azrelo_estate::{Estate, LoadOptions, load_inputs};
use azrelo_generate::{Deployment, Generated, embedded_flags, generate};
use azrelo_graph::EdgeKind;
use azrelo_plan::{Action, Plan, PlanOptions, PlannedResource, plan};
use serde_json::Value;

mod common;

/// The fake key every secret of the fixtures is made of.
const FAKE_KEY: &str = "ZmFrZS1rZXktZm9yLXRlc3Rz";

fn run(name: &str) -> (Estate, Plan, Generated) {
    let e = load_inputs(
        &azrelo_testkit::estate_fixture(name),
        &LoadOptions::default(),
    )
    .unwrap();
    let g = azrelo_graph::build(&e);
    let p = plan(
        &e,
        &g,
        Catalog::embedded(),
        &PlanOptions::new("northeurope"),
    )
    .unwrap();
    let out = generate(&p, &e, Catalog::embedded(), embedded_flags());
    (e, p, out)
}

/// The generated body of a planned resource (by source id suffix), with its
/// deployment.
fn body<'g>(p: &Plan, out: &'g Generated, suffix: &str) -> (&'g Deployment, &'g Value) {
    let s = suffix.to_ascii_lowercase();
    let r = p
        .resources
        .iter()
        .find(|r| r.source_id.as_str().to_ascii_lowercase().ends_with(&s))
        .unwrap_or_else(|| panic!("{suffix} not in the plan"));
    let name = r
        .target_id
        .full_name()
        .unwrap_or_else(|| r.target_name.to_string());
    for d in &out.deployments {
        if let Some(b) = d.template["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| {
                b["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                    && b["type"]
                        .as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case(&r.resource_type))
            })
        {
            return (d, b);
        }
    }
    panic!("{suffix} ({name}) is not generated")
}

/// The planned resource with this source name.
fn named<'p>(p: &'p Plan, name: &str) -> &'p PlannedResource {
    p.resources
        .iter()
        .find(|r| r.name.as_ref() == name)
        .unwrap_or_else(|| panic!("{name} not in the plan"))
}

/// The parameter an expression `[parameters('p')]` names.
fn param(v: &Value) -> &str {
    let s = v.as_str().unwrap_or_else(|| panic!("{v} is not a string"));
    s.strip_prefix("[parameters('")
        .and_then(|r| r.strip_suffix("')]"))
        .unwrap_or_else(|| panic!("{s} is not one parameter"))
}

fn read_from<'d>(d: &'d Deployment, p: &str) -> (&'d str, &'d str) {
    let decl = &d.template["parameters"][p];
    assert_eq!(decl["type"], "string", "{p}: {decl}");
    let r = d
        .read_parameters
        .iter()
        .find(|r| r.name == p)
        .unwrap_or_else(|| panic!("{p} is not a read parameter of {}", d.name));
    assert_eq!(decl["metadata"]["azrelo"]["readFrom"], r.from.as_str());
    assert_eq!(decl["metadata"]["azrelo"]["path"], r.path.as_str());
    assert!(!d.secure_parameters.contains(&p.to_string()));
    (&r.from, &r.path)
}

fn target_of(p: &Plan, suffix: &str) -> String {
    let s = suffix.to_ascii_lowercase();
    p.resources
        .iter()
        .find(|r| r.source_id.as_str().to_ascii_lowercase().ends_with(&s))
        .unwrap_or_else(|| panic!("{suffix} not in the plan"))
        .target_id
        .to_string()
}

fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[test]
fn every_fixture_generates_templates_that_expand_and_deploy_nothing_owned() {
    for name in azrelo_testkit::estate_fixtures() {
        let (_, p, out) = run(&name);
        let generated: std::collections::HashSet<String> = out
            .deployments
            .iter()
            .flat_map(|d| d.resources.iter().map(|r| r.to_ascii_lowercase()))
            .collect();
        for r in p.resources.iter().filter(|r| r.action == Action::Owned) {
            assert!(
                !generated.contains(&r.source_id.as_str().to_ascii_lowercase()),
                "{name}: owned {} is deployed",
                r.source_id
            );
        }
        // No host name of a renamed resource survives anywhere, whether
        // the graph found the reference or not.
        let refs = Catalog::embedded().references();
        let cloud = refs.clouds.iter().find(|c| c.name == "AzureCloud").unwrap();
        let mut hosts = Vec::new();
        for r in p
            .resources
            .iter()
            .filter(|r| *r.name != *r.target_name && r.action.creates_target())
        {
            for ep in refs.endpoints.iter().filter(|ep| {
                ep.types
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(&r.resource_type))
            }) {
                for h in ep.hosts.iter().filter(|h| !h.contains('*')) {
                    hosts.push(
                        format!(
                            "{}.{}",
                            h.replace("{name}", &r.name),
                            cloud.suffixes[&ep.suffix]
                        )
                        .to_ascii_lowercase(),
                    );
                }
            }
        }
        for d in &out.deployments {
            let text = serde_json::to_string(&(&d.template, &d.parameters))
                .unwrap()
                .to_ascii_lowercase();
            for h in &hosts {
                assert!(
                    !text.contains(h.as_str()),
                    "{name}/{}: {h} survives",
                    d.name
                );
            }
        }
        for d in &out.deployments {
            common::expand_deployment(d, "northeurope")
                .unwrap_or_else(|e| panic!("{name}/{}: {e}", d.name));
            let text = serde_json::to_string(&(&d.template, &d.parameters)).unwrap();
            assert!(
                !text.contains(FAKE_KEY),
                "{name}/{}: a secret is copied",
                d.name
            );
        }
    }
}

#[test]
fn function_app_settings_name_the_targets_and_copy_no_secret() {
    let (e, p, out) = run("function-app-settings");
    // No source name or endpoint of a renamed resource survives in a
    // string where the graph found a settings reference to it.
    let g = azrelo_graph::build(&e);
    let mut checked = 0;
    for edge in &g.edges {
        if !matches!(
            edge.kind,
            EdgeKind::EndpointReference | EdgeKind::NameReference | EdgeKind::KeyVaultReference
        ) {
            continue;
        }
        let to = &g.nodes[edge.to as usize].id;
        let Some(r) = p.resources.iter().find(|r| r.source_id == *to) else {
            continue;
        };
        if *r.name == *r.target_name || !r.action.creates_target() {
            continue;
        }
        let from = &g.nodes[edge.from as usize].id;
        let (_, b) = body(&p, &out, from.as_str());
        let mut ss = Vec::new();
        strings(b, &mut ss);
        let src = r.name.to_ascii_lowercase();
        for s in ss {
            let l = s.to_ascii_lowercase();
            assert!(
                !l.contains(&format!("{src}."))
                    && !l.contains(&format!("={src};"))
                    && !l.ends_with(&format!("={src}"))
                    && !l.contains(&format!("={src})"))
                    && l != src,
                "{from}: '{s}' still names {src} ({})",
                edge.path
            );
        }
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");

    let (d, settings) = body(&p, &out, "func-orders-weu/config/appsettings");
    let s = &settings["properties"];
    let storage = named(&p, "stfuncordersweu");
    assert_eq!(
        s["AzureWebJobsStorage__accountName"],
        storage.target_name.as_ref()
    );
    // Connection strings: names in clear, each secret part a secure
    // parameter at its leaf.
    let cs = s["WEBSITE_CONTENTAZUREFILECONNECTIONSTRING"]
        .as_str()
        .unwrap();
    assert!(
        cs.starts_with("[format('DefaultEndpointsProtocol=https;AccountName=")
            && cs.contains(&format!(
                "AccountName={};AccountKey={{0}};",
                storage.target_name
            )),
        "{cs}"
    );
    let key_param = cs
        .split("parameters('")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap();
    assert!(d.secure_parameters.contains(&key_param.to_string()));
    assert_eq!(d.template["parameters"][key_param]["type"], "secureString");
    let redis = s["Redis__ConnectionString"].as_str().unwrap();
    assert!(
        redis.contains(",password={0},ssl=True") && !redis.contains("redis-orders-weu."),
        "{redis}"
    );
    // Key Vault references name the target vault.
    let kv = named(&p, "kv-orders-weu");
    assert_eq!(
        s["Smtp__Password"],
        format!(
            "@Microsoft.KeyVault(VaultName={};SecretName=smtp-password)",
            kv.target_name
        )
        .as_str()
    );
    // What only the moved resource knows is read from it.
    let (from, path) = read_from(d, param(&s["APPLICATIONINSIGHTS_CONNECTION_STRING"]));
    assert_eq!(
        (from, path),
        (
            target_of(&p, "components/appi-orders-weu").as_str(),
            "/properties/ConnectionString"
        )
    );
    let (from, path) = read_from(d, param(&s["APPINSIGHTS_INSTRUMENTATIONKEY"]));
    assert_eq!(
        (from, path),
        (
            target_of(&p, "components/appi-orders-weu").as_str(),
            "/properties/InstrumentationKey"
        )
    );
    let client_id = param(&s["AzureWebJobsStorage__clientId"]);
    let (from, path) = read_from(d, client_id);
    assert_eq!(
        (from, path),
        (
            target_of(&p, "userAssignedIdentities/id-func-orders").as_str(),
            "/properties/clientId"
        )
    );
    // Settings with no reference stay as they are.
    assert_eq!(s["WEBSITE_CONTENTSHARE"], "func-orders-weu-8f3a");
    assert_eq!(s["AzureWebJobsStorage__credential"], "managedidentity");

    // Connection strings of the app: the identity's new client id and the
    // password as parameters, the rest in clear.
    let (d, cs) = body(&p, &out, "func-orders-weu/config/connectionstrings");
    let orders = cs["properties"]["OrdersDb"]["value"].as_str().unwrap();
    let sql = named(&p, "sql-orders-weu");
    assert_eq!(
        orders,
        format!(
            "[format('Server=tcp:{}.database.windows.net,1433;Initial Catalog=orders;Encrypt=True;Authentication=Active Directory Managed Identity;User Id={{0}};', parameters('{client_id}'))]",
            sql.target_name
        )
    );
    read_from(d, client_id);
    let legacy = cs["properties"]["LegacyReporting"]["value"]
        .as_str()
        .unwrap();
    assert!(
        legacy.contains("User ID=reporting;Password={0};Encrypt=True;"),
        "{legacy}"
    );

    // Container Apps env and Logic App parameters.
    let (d, ca) = body(&p, &out, "containerApps/ca-orders-worker");
    let env = ca["properties"]["template"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    assert_eq!(
        read_from(d, param(&env[2]["value"])).1,
        "/properties/clientId"
    );
    let cr = named(&p, "crordersweu");
    assert_eq!(
        ca["properties"]["template"]["containers"][0]["image"],
        format!("{}.azurecr.io/orders-worker:1.4.2", cr.target_name).as_str()
    );
    let (_, logic) = body(&p, &out, "workflows/logic-orders-notify");
    let site = named(&p, "func-orders-weu");
    assert_eq!(
        logic["properties"]["parameters"]["notifyFunctionUrl"]["value"],
        format!("https://{}.azurewebsites.net/api/notify", site.target_name).as_str()
    );
    // API Management names itself by its default proxy host name.
    let apim = named(&p, "apim-orders-weu");
    assert_ne!(apim.name, apim.target_name);
    let (_, apim_body) = body(&p, &out, "service/apim-orders-weu");
    assert_eq!(
        apim_body["properties"]["hostnameConfigurations"][0]["hostName"],
        format!("{}.azure-api.net", apim.target_name).as_str()
    );
    // The portal's hidden-link tag on the component names the target app by
    // its id in the tag *key*; the source app's id is gone.
    let (_, appi) = body(&p, &out, "components/appi-orders-weu");
    let tags = appi["tags"].as_object().unwrap();
    let site_src = site.source_id.as_str().to_ascii_lowercase();
    let site_tgt = site.target_id.as_str().to_ascii_lowercase();
    assert_ne!(site_src, site_tgt);
    assert!(
        tags.keys()
            .any(|k| k.to_ascii_lowercase() == format!("hidden-link:{site_tgt}")),
        "{tags:?}"
    );
    assert!(
        !tags
            .keys()
            .any(|k| k.to_ascii_lowercase().contains(&site_src)),
        "{tags:?}"
    );
    // Each change is recorded for `azrelo diff`.
    let changes = &out.changes[settings_id(&p)];
    assert!(changes.iter().any(|c| {
        c.pointer == "/properties/Redis__ConnectionString"
            && c.kind == azrelo_generate::ChangeKind::Secret
    }));
}

fn settings_id(p: &Plan) -> &str {
    p.resources
        .iter()
        .find(|r| r.source_id.as_str().ends_with("/config/appsettings"))
        .unwrap()
        .source_id
        .as_str()
}

#[test]
fn the_aks_cluster_recreates_what_it_owns_and_the_credential_reads_its_new_issuer() {
    let (_, p, out) = run("aks-workload-identity");
    // Nothing in the node resource group is generated.
    for d in &out.deployments {
        for r in &d.resources {
            assert!(!r.to_ascii_lowercase().contains("/mc_"), "{}: {r}", d.name);
        }
        let text = serde_json::to_string(&d.template)
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            !text.contains("mc_rg-aks-prod"),
            "{}: names the node group",
            d.name
        );
    }
    // The cluster names no node group (AKS creates its default one, read
    // after the move), no kubelet identity of the source, no outbound IPs.
    let (_, cluster) = body(&p, &out, "managedClusters/aks-prod-weu");
    let props = &cluster["properties"];
    assert!(props.get("nodeResourceGroup").is_none(), "{props}");
    assert!(props.get("identityProfile").is_none(), "{props}");
    assert!(
        props["networkProfile"]["loadBalancerProfile"]
            .get("effectiveOutboundIPs")
            .is_none()
    );
    // The subnet the cluster uses: AKS's route table is AKS's to attach.
    let (_, vnet) = body(&p, &out, "virtualNetworks/vnet-aks-weu");
    let subnet = &vnet["properties"]["subnets"][0];
    assert_eq!(subnet["name"], "snet-aks-nodes");
    assert!(subnet["properties"].get("routeTable").is_none(), "{subnet}");
    let vnet_changes = &out.changes[p
        .resources
        .iter()
        .find(|r| {
            r.source_id
                .as_str()
                .ends_with("virtualNetworks/vnet-aks-weu")
        })
        .unwrap()
        .source_id
        .as_str()];
    assert!(vnet_changes.iter().any(|c| {
        c.pointer == "/properties/subnets/0/properties/routeTable"
            && c.kind == azrelo_generate::ChangeKind::Dropped
            && c.detail.contains("managedClusters/aks-prod-weu")
    }));
    // The workload identity credential: the moved cluster's issuer.
    let (d, fic) = body(&p, &out, "federatedIdentityCredentials/fic-orders-api-aks");
    let (from, path) = read_from(d, param(&fic["properties"]["issuer"]));
    assert_eq!(from, target_of(&p, "managedClusters/aks-prod-weu"));
    assert_eq!(path, "/properties/oidcIssuerProfile/issuerURL");
    let (_, gh) = body(
        &p,
        &out,
        "federatedIdentityCredentials/fic-orders-api-github",
    );
    assert_eq!(
        gh["properties"]["issuer"],
        "https://token.actions.githubusercontent.com"
    );
}

/// App Service certificates, from ARM GET bodies shaped as the REST API
/// returns them (Certificates_Get, WebApps_GetHostNameBinding): a free
/// managed certificate is issued for the target only once the domain's
/// CNAME maps directly to the target app
/// (https://learn.microsoft.com/azure/app-service/configure-ssl-certificate#create-a-free-managed-certificate),
/// with a new thumbprint, so azrelo never deploys it and binds the host name
/// without TLS; a certificate imported from Key Vault keeps its thumbprint
/// and is deployed before the binding that names it; the default
/// `<app>.azurewebsites.net` binding (a slot's `<app>-<slot>`) comes with
/// the target app.
#[test]
fn app_service_certificates_and_host_name_bindings() {
    let rg = "/subscriptions/6f2b8c1e-4d3a-4b7e-9c15-8a0d2e7f3b41/resourceGroups/rg-web-prod";
    let farm = format!("{rg}/providers/Microsoft.Web/serverfarms/asp-web-weu");
    let site = format!("{rg}/providers/Microsoft.Web/sites/app-web-weu");
    let vault = format!("{rg}/providers/Microsoft.KeyVault/vaults/kv-web-weu");
    let managed_tp = "9D5B2E1C7A3F48E0B6C1D2E3F4A5B6C7D8E9F0A1";
    let imported_tp = "3C2B1A0F9E8D7C6B5A4F3E2D1C0B9A8F7E6D5C4B";
    let binding = |host: &str, tp: &str| {
        serde_json::json!({
            "id": format!("{site}/hostNameBindings/{host}"),
            "name": format!("app-web-weu/{host}"),
            "type": "Microsoft.Web/sites/hostNameBindings",
            "location": "West Europe",
            "properties": {
                "siteName": "app-web-weu",
                "domainId": null,
                "azureResourceName": "app-web-weu",
                "azureResourceType": "Website",
                "customHostNameDnsRecordType": "CName",
                "hostNameType": "Verified",
                "sslState": "SniEnabled",
                "thumbprint": tp
            }
        })
    };
    let docs = [
        serde_json::json!({
            "id": farm, "name": "asp-web-weu", "type": "Microsoft.Web/serverfarms",
            "location": "West Europe", "kind": "app",
            "sku": {"name": "P1v3", "tier": "PremiumV3", "size": "P1v3", "family": "Pv3", "capacity": 1},
            "properties": {"reserved": false, "numberOfSites": 1}
        }),
        serde_json::json!({
            "id": site, "name": "app-web-weu", "type": "Microsoft.Web/sites",
            "location": "West Europe", "kind": "app",
            "properties": {
                "serverFarmId": farm, "httpsOnly": true,
                "defaultHostName": "app-web-weu.azurewebsites.net",
                "hostNames": ["app-web-weu.azurewebsites.net", "www.contoso.com", "api.contoso.com"]
            }
        }),
        serde_json::json!({
            "id": format!("{site}/hostNameBindings/app-web-weu.azurewebsites.net"),
            "name": "app-web-weu/app-web-weu.azurewebsites.net",
            "type": "Microsoft.Web/sites/hostNameBindings",
            "location": "West Europe",
            "properties": {
                "siteName": "app-web-weu",
                "azureResourceName": "app-web-weu",
                "azureResourceType": "Website",
                "customHostNameDnsRecordType": "CName",
                "hostNameType": "Verified",
                "sslState": "Disabled"
            }
        }),
        serde_json::json!({
            "id": format!("{site}/slots/staging"),
            "name": "app-web-weu/staging", "type": "Microsoft.Web/sites/slots",
            "location": "West Europe", "kind": "app",
            "properties": {"serverFarmId": farm, "defaultHostName": "app-web-weu-staging.azurewebsites.net"}
        }),
        serde_json::json!({
            "id": format!("{site}/slots/staging/hostNameBindings/app-web-weu-staging.azurewebsites.net"),
            "name": "app-web-weu/staging/app-web-weu-staging.azurewebsites.net",
            "type": "Microsoft.Web/sites/slots/hostNameBindings",
            "location": "West Europe",
            "properties": {
                "siteName": "app-web-weu(staging)",
                "azureResourceName": "app-web-weu(staging)",
                "azureResourceType": "Website",
                "customHostNameDnsRecordType": "CName",
                "hostNameType": "Verified",
                "sslState": "Disabled"
            }
        }),
        binding("www.contoso.com", managed_tp),
        binding("api.contoso.com", imported_tp),
        serde_json::json!({
            "id": vault, "name": "kv-web-weu", "type": "Microsoft.KeyVault/vaults",
            "location": "westeurope",
            "properties": {"tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47", "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": true}
        }),
        serde_json::json!({
            "id": format!("{rg}/providers/Microsoft.Web/certificates/www.contoso.com-app-web-weu"),
            "name": "www.contoso.com-app-web-weu", "type": "Microsoft.Web/certificates",
            "location": "West Europe",
            "properties": {
                "friendlyName": "", "subjectName": "www.contoso.com", "hostNames": ["www.contoso.com"],
                "issuer": "Microsoft Azure RSA TLS Issuing CA 03", "issueDate": "2026-09-01T00:00:00+00:00",
                "expirationDate": "2027-03-01T23:59:59+00:00", "thumbprint": managed_tp, "valid": true,
                "keyVaultSecretStatus": "Initialized", "serverFarmId": farm, "canonicalName": "www.contoso.com"
            }
        }),
        serde_json::json!({
            "id": format!("{rg}/providers/Microsoft.Web/certificates/api-contoso-com"),
            "name": "api-contoso-com", "type": "Microsoft.Web/certificates",
            "location": "West Europe",
            "properties": {
                "friendlyName": "", "subjectName": "api.contoso.com", "hostNames": ["api.contoso.com"],
                "issuer": "DigiCert Global G2 TLS RSA SHA256 2020 CA1", "issueDate": "2026-06-01T00:00:00+00:00",
                "expirationDate": "2027-06-01T23:59:59+00:00", "thumbprint": imported_tp, "valid": true,
                "keyVaultId": vault, "keyVaultSecretName": "api-contoso-com",
                "keyVaultSecretStatus": "Succeeded", "serverFarmId": farm
            }
        }),
    ];
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let p = dir.path().join(format!("get{i}.json"));
            std::fs::write(&p, serde_json::to_string(d).unwrap()).unwrap();
            p
        })
        .collect();
    let e = load_inputs(&files, &LoadOptions::default()).unwrap();
    let g = azrelo_graph::build(&e);
    // The bindings name their certificates by thumbprint.
    for (host, cert) in [
        (
            "www.contoso.com",
            "certificates/www.contoso.com-app-web-weu",
        ),
        ("api.contoso.com", "certificates/api-contoso-com"),
    ] {
        let from = g
            .node(
                &azrelo_arm::id::ResourceId::parse(&format!("{site}/hostNameBindings/{host}"))
                    .unwrap(),
            )
            .unwrap();
        assert!(
            g.outgoing(from)
                .any(|x| x.kind == EdgeKind::CertificateThumbprint
                    && &*x.path == "$.properties.thumbprint"
                    && g.nodes[x.to as usize].id.as_str().ends_with(cert)
                    && x.kind.is_dependency()),
            "{host}"
        );
    }
    let p = plan(
        &e,
        &g,
        Catalog::embedded(),
        &PlanOptions::new("northeurope"),
    )
    .unwrap();
    let v = azrelo_plan::check_invariants(&p, &e, &g);
    assert!(v.is_empty(), "{v:?}");
    // The managed certificate: issued by App Service, never deployed, and
    // the plan says what a person does after the cut-over.
    let managed = named(&p, "www.contoso.com-app-web-weu");
    assert_eq!(managed.action, Action::Owned);
    let o = managed.ownership.as_ref().unwrap();
    assert_eq!(o.relation, azrelo_plan::Relation::InstalledByService);
    assert!(
        o.owner
            .as_ref()
            .unwrap()
            .as_str()
            .ends_with("serverfarms/asp-web-weu")
    );
    let f = p
        .findings
        .iter()
        .find(|f| f.code == "app-service-managed-certificate")
        .expect("a finding for the managed certificate");
    assert_eq!(f.resource.as_deref(), Some(managed.source_id.as_str()));
    assert!(f.remediation.contains("cut-over"), "{}", f.remediation);
    // The imported certificate is deployed, before the app whose template
    // carries the binding.
    let imported = named(&p, "api-contoso-com");
    assert_eq!(imported.action, Action::Move);
    let app = named(&p, "app-web-weu");
    assert!(imported.wave < app.wave, "{} < {}", imported.wave, app.wave);
    // The managed certificate's target: same name in the app's target group.
    let target_rg = app.target_id.resource_group_id().unwrap().to_string();
    assert_eq!(
        managed.target_id.as_str(),
        format!("{target_rg}/providers/Microsoft.Web/certificates/www.contoso.com-app-web-weu")
    );

    // The default host-name binding comes with the (renamed) target app.
    let default = named(&p, "app-web-weu.azurewebsites.net");
    assert_eq!(default.action, Action::Owned);
    assert_ne!(app.target_name, app.name);
    assert_eq!(
        default.target_id.as_str(),
        format!(
            "{}/hostNameBindings/{}.azurewebsites.net",
            app.target_id, app.target_name
        )
    );
    // A slot's (<app>-<slot>) too.
    let slot_default = named(&p, "app-web-weu-staging.azurewebsites.net");
    assert_eq!(slot_default.action, Action::Owned);
    assert_eq!(
        slot_default.target_id.as_str(),
        format!(
            "{}/slots/staging/hostNameBindings/{}-staging.azurewebsites.net",
            app.target_id, app.target_name
        )
    );
    let out = generate(&p, &e, Catalog::embedded(), embedded_flags());
    let generated: Vec<&Value> = out
        .deployments
        .iter()
        .flat_map(|d| d.template["resources"].as_array().unwrap())
        .collect();
    assert!(
        !generated.iter().any(|b| b["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("www.contoso.com"))),
        "the managed certificate is not deployed"
    );
    assert!(
        !generated.iter().any(|b| b["name"]
            .as_str()
            .is_some_and(|n| n.ends_with(".azurewebsites.net"))),
        "the default host-name binding is not deployed"
    );
    let (_, www) = body(&p, &out, "hostNameBindings/www.contoso.com");
    assert_eq!(www["properties"]["sslState"], "Disabled", "{www}");
    assert!(www["properties"].get("thumbprint").is_none(), "{www}");
    let (_, api) = body(&p, &out, "hostNameBindings/api.contoso.com");
    // The source app's name is not copied into the bindings.
    for b in [www, api] {
        assert!(b["properties"].get("siteName").is_none(), "{b}");
        assert!(b["properties"].get("azureResourceName").is_none(), "{b}");
    }
    assert_eq!(api["properties"]["sslState"], "SniEnabled", "{api}");
    assert_eq!(api["properties"]["thumbprint"], imported_tp, "{api}");
    let changes = &out.changes[format!("{site}/hostNameBindings/www.contoso.com").as_str()];
    assert!(
        changes
            .iter()
            .any(|c| c.pointer == "/properties/thumbprint" && c.detail.contains("without TLS")),
        "{changes:?}"
    );
}
