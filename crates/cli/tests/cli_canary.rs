//! Issue #18's canary: 25 kinds of secrets planted in the inputs of a whole
//! relocation — discover → plan → generate → apply (against the emulator,
//! secure parameters given canary values too) → rehearse — every command at
//! `-vvv`; then no canary may appear in any file azrelo wrote (estate,
//! plan, report, templates, journal, events, rehearsal) nor on its stdout
//! or stderr.

use assert_cmd::Command;
use azrelo_emulator::Emulator;
use azrelo_testkit::{Background, Transport};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop");
const SUB: &str = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";

fn canary(n: u32) -> String {
    format!("CANARY{n:02}q7Zx")
}

fn id(rg: &str, rest: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/{rest}")
}

/// ARM GET bodies with a secret of each kind.
fn planted() -> Value {
    let c = canary;
    let jwt = format!("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ{}In0.c2lnbmF0dXJl", c(13));
    json!({"value": [
        {"id": id("rg-shop-app", "Microsoft.KeyVault/vaults/kv-canary/secrets/s1"), "type": "Microsoft.KeyVault/vaults/secrets", "location": "westeurope",
         "properties": {"value": c(1), "contentType": "text/plain"}},
        {"id": id("rg-shop-app", "Microsoft.Logic/workflows/la-canary"), "type": "Microsoft.Logic/workflows", "location": "westeurope",
         "properties": {"state": "Enabled", "definition": {"actions": {
            "call": {"type": "Http", "inputs": {
                "uri": format!("https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers&sv=1.0&sig={}", c(5)),
                "headers": {"Authorization": format!("Bearer {jwt}")}}},
            "fn": {"type": "Http", "inputs": {"uri": format!("https://fn1.azurewebsites.net/api/h?code={}", c(6))}},
            "blob": {"type": "Http", "inputs": {"uri": format!("https://st1.blob.core.windows.net/s/s.sh?sv=2022-11-02&sp=r&sig={}", c(4))}}}}}},
        {"id": id("rg-shop-app", "Microsoft.Web/sites/app-canary"), "type": "Microsoft.Web/sites", "location": "westeurope",
         "properties": {"siteConfig": {
            "appSettings": [
                {"name": "DB_PASSWORD", "value": c(7)},
                {"name": "STORAGE", "value": format!("DefaultEndpointsProtocol=https;AccountName=st1;AccountKey={};EndpointSuffix=core.windows.net", c(8))},
                {"name": "DOCKER_REGISTRY_SERVER_PASSWORD", "value": c(9)},
                {"name": "X_API_KEY", "value": c(10)}
            ],
            "connectionStrings": [{"name": "db", "type": "SQLAzure",
                "connectionString": format!("Server=tcp:sql1.database.windows.net;User ID=admin;Password={};", c(11))}]}}},
        {"id": id("rg-shop-app", "Microsoft.Web/sites/app-canary/config/appsettings"), "type": "Microsoft.Web/sites/config",
         "properties": {"MY_CLIENT_SECRET": c(12), "SERVICEBUS": format!("Endpoint=sb://sb1.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey={}", c(14))}},
        {"id": id("rg-shop-app", "Microsoft.Web/sites/app-canary/config/connectionstrings"), "type": "Microsoft.Web/sites/config",
         "properties": {"legacy": {"value": format!("Data Source=x;Pwd={}", c(15)), "type": "Custom"}}},
        {"id": id("rg-shop-data", "Microsoft.Sql/servers/sql-canary"), "type": "Microsoft.Sql/servers", "location": "westeurope",
         "properties": {"administratorLogin": "admin", "administratorLoginPassword": c(16)}},
        {"id": id("rg-shop-app", "Microsoft.ContainerInstance/containerGroups/cg-canary"), "type": "Microsoft.ContainerInstance/containerGroups", "location": "westeurope",
         "properties": {"osType": "Linux", "imageRegistryCredentials": [{"server": "r1.azurecr.io", "username": "u", "password": c(17)}],
            "containers": [{"name": "c", "properties": {"image": "r1.azurecr.io/app:1", "resources": {"requests": {"cpu": 1, "memoryInGB": 1}},
                "environmentVariables": [{"name": "PLAIN", "secureValue": c(18)}]}}]}},
        {"id": id("rg-shop-net", "Microsoft.Network/connections/vpn-canary"), "type": "Microsoft.Network/connections", "location": "westeurope",
         "properties": {"sharedKey": c(19), "connectionType": "IPsec"}},
        {"id": id("rg-shop-app", "Microsoft.Resources/deploymentScripts/ds-canary"), "type": "Microsoft.Resources/deploymentScripts", "location": "westeurope", "kind": "AzureCLI",
         "properties": {"azCliVersion": "2.52.0", "retentionInterval": "P1D",
            "scriptContent": format!("git clone https://bot:{}@github.example.com/org/repo", c(20)),
            "environmentVariables": [{"name": "TOKEN", "value": format!("ghp_{}abcdefghijklmnopqrstuvwxyz", c(21))}],
            "arguments": format!("-----BEGIN PRIVATE KEY-----\nMII{}\n-----END PRIVATE KEY-----", c(22))}},
        {"id": id("rg-shop-data", "Microsoft.DocumentDB/databaseAccounts/cosmos-canary"), "type": "Microsoft.DocumentDB/databaseAccounts", "location": "westeurope",
         "tags": {"conn": format!("AccountEndpoint=https://cosmos1.documents.azure.com:443/;AccountKey={};", c(23))},
         "properties": {"databaseAccountOfferType": "Standard", "locations": [{"locationName": "westeurope", "failoverPriority": 0}]}},
        {"id": id("rg-shop-data", "Microsoft.Cache/redis/redis-canary"), "type": "Microsoft.Cache/redis", "location": "westeurope",
         "properties": {"sku": {"name": "Basic", "family": "C", "capacity": 0},
            "redisConfiguration": {"aof-storage-connection-string-0": format!("DefaultEndpointsProtocol=https;AccountName=st2;AccountKey={}", c(24))}}},
        {"id": id("rg-shop-app", "Microsoft.Compute/virtualMachines/vm-canary/extensions/cse"), "type": "Microsoft.Compute/virtualMachines/extensions", "location": "westeurope",
         "properties": {"publisher": "Microsoft.Azure.Extensions", "type": "CustomScript", "typeHandlerVersion": "2.1",
            "protectedSettings": {"commandToExecute": format!("bash s.sh {}", c(2)), "storageAccountKey": c(3)}}}
    ]})
}

/// A template with a literal secret in a non-secure parameter.
fn template() -> (Value, Value) {
    (
        json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0",
            "parameters": {"adminPassword": {"type": "string"}},
            "resources": [{"type": "Microsoft.Sql/servers", "apiVersion": "2023-08-01-preview", "name": "sql-canary-tpl", "location": "westeurope",
                "properties": {"administratorLogin": "admin", "administratorLoginPassword": "[parameters('adminPassword')]"}}]}),
        json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "contentVersion": "1.0.0.0",
            "parameters": {"adminPassword": {"value": canary(25)}}}),
    )
}

fn azrelo(endpoint: &str) -> Command {
    let mut c = Command::cargo_bin("azrelo").unwrap();
    for v in [
        "AZRELO_CA_CERT",
        "AZURE_CLIENT_SECRET",
        "AZRELO_CRASH_AFTER",
        "RUST_LOG",
    ] {
        c.env_remove(v);
    }
    c.env("AZRELO_ARM_ENDPOINT", endpoint)
        .env("AZRELO_AUTH", "token")
        .env("AZRELO_TOKEN", "canary-test-token");
    c
}

/// Every file below `dir` (recursively), except those in `skip`.
fn files(dir: &Path, skip: &[&Path], out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if skip.iter().any(|s| p.starts_with(s)) {
            continue;
        }
        if p.is_dir() {
            files(&p, skip, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn no_planted_secret_appears_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // The inputs: the example plus the planted secrets and the template.
    let inputs = t.join("inputs");
    std::fs::create_dir(&inputs).unwrap();
    for e in std::fs::read_dir(EXAMPLE).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            std::fs::copy(&p, inputs.join(p.file_name().unwrap())).unwrap();
        }
    }
    std::fs::write(inputs.join("canary.json"), planted().to_string()).unwrap();
    let tpl = t.join("tpl");
    std::fs::create_dir(&tpl).unwrap();
    let (tt, tp) = template();
    std::fs::write(tpl.join("sql.json"), tt.to_string()).unwrap();
    std::fs::write(tpl.join("sql.parameters.json"), tp.to_string()).unwrap();

    let mut captured = String::new();
    let mut run = |c: &mut Command, ok: &[i32]| -> std::process::Output {
        let out = c.output().unwrap();
        captured.push_str(&String::from_utf8_lossy(&out.stdout));
        captured.push_str(&String::from_utf8_lossy(&out.stderr));
        assert!(
            ok.contains(&out.status.code().unwrap_or(-1)),
            "{:?} exited {:?}: {}",
            c.get_args().collect::<Vec<_>>(),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };

    // discover (files) → estate; the template's estate too.
    let estate = t.join("estate.json");
    run(
        azrelo("http://127.0.0.1:9")
            .args(["-vvv", "discover", "--from"])
            .arg(&inputs)
            .arg("--out")
            .arg(&estate),
        &[0],
    );
    run(
        azrelo("http://127.0.0.1:9")
            .args(["-vvv", "discover", "-o", "json", "--from"])
            .arg(tpl.join("sql.json")),
        &[0],
    );
    // The source region's state for apply: what discovery kept.
    let em_dir = t.join("em");
    let em = Emulator::open(&em_dir).unwrap().with_throttling(false);
    let mut e: azrelo_estate::Estate =
        serde_json::from_slice(&std::fs::read(&estate).unwrap()).unwrap();
    e.reindex();
    em.seed(azrelo_estate::arm_shape::arm_bodies(&e));
    let served = Background::start(em, Transport::Http);
    let ep = served.endpoint.clone();

    // plan → generate → apply (stops at the manual gates).
    let plan = t.join("plan");
    run(
        azrelo(&ep)
            .args(["-vvv", "plan"])
            .arg(&estate)
            .args(["--target", "northeurope", "--out"])
            .arg(&plan),
        &[0, 4],
    );
    run(azrelo(&ep).args(["-vvv", "generate"]).arg(&plan), &[0]);
    // Every secure parameter gets a canary value of its own.
    let mut params = serde_json::Map::new();
    for f in std::fs::read_dir(plan.join("templates")).unwrap() {
        let p = f.unwrap().path();
        if !p.to_string_lossy().ends_with(".json")
            || p.to_string_lossy().ends_with("parameters.json")
        {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        for (k, d) in v["parameters"].as_object().into_iter().flatten() {
            if d["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("securestring"))
            {
                params.insert(k.clone(), json!(format!("PARAMCANARY-{k}-q7Zx")));
            }
        }
    }
    let secrets = t.join("operator-secrets.json");
    std::fs::write(&secrets, Value::Object(params.clone()).to_string()).unwrap();
    run(
        azrelo(&ep)
            .args(["-vvv", "apply"])
            .arg(&plan)
            .arg("--parameters")
            .arg(&secrets),
        &[0, 1, 5],
    );
    run(azrelo(&ep).args(["-vvv", "status"]).arg(&plan), &[0]);
    // rehearse the same inputs.
    let reh = t.join("rehearsal");
    run(
        azrelo(&ep)
            .args(["-vvv", "rehearse"])
            .arg(&inputs)
            .args(["--target", "northeurope", "--out"])
            .arg(&reh),
        &[0, 1, 4, 5],
    );
    drop(served);

    let mut all = Vec::new();
    files(t, &[&inputs, &tpl, &em_dir, &secrets], &mut all);
    assert!(all.len() > 10, "{all:?}");
    let mut canaries: Vec<String> = (1..=25).map(canary).collect();
    canaries.extend(
        params
            .values()
            .filter_map(|v| v.as_str().map(str::to_string)),
    );
    let mut found = Vec::new();
    for f in &all {
        let text = String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned();
        for c in &canaries {
            if text.contains(c.as_str()) {
                found.push(format!("{c} in {}", f.display()));
            }
        }
    }
    for c in &canaries {
        if captured.contains(c.as_str()) {
            found.push(format!("{c} in the output of a command"));
        }
    }
    assert!(found.is_empty(), "secrets found:\n{}", found.join("\n"));
    // Operator files are owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [
            estate.clone(),
            plan.join("plan.json"),
            plan.join("estate.json"),
            plan.join("journal.db"),
        ] {
            let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{} is {mode:o}", f.display());
        }
    }
}
