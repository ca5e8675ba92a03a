//! Reading inputs as users have them, and hostile ones (issue #18): secrets
//! never enter the estate, input size is bounded, sibling parameters files
//! are used, per-file errors keep the rest, wrong shapes are errors.

use azrelo_estate::{LoadOptions, load_files, load_inputs, load_paths, read_input, write_estate};
use azrelo_template::MissingParameters;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const SUB: &str = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

fn id(rest: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg-app/providers/{rest}")
}

const TEMPLATE_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
const PARAMS_SCHEMA: &str =
    "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#";

/// Every kind of secret the policy knows, planted in ARM GET bodies and a
/// template; none of the canaries may appear in the estate, and what the
/// values refer to (account names, hosts) must survive.
#[test]
fn no_secret_enters_the_estate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let c = |n: u32| format!("CANARY{n:02}x9Q");
    let jwt = format!("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ{}In0.c2lnbmF0dXJl", c(13));
    let bodies = json!({"value": [
        {"id": id("Microsoft.KeyVault/vaults/kv1/secrets/s1"), "type": "Microsoft.KeyVault/vaults/secrets",
         "properties": {"value": c(1), "contentType": "text/plain"}},
        {"id": id("Microsoft.Compute/virtualMachines/vm1/extensions/cse"), "type": "Microsoft.Compute/virtualMachines/extensions",
         "properties": {"publisher": "Microsoft.Azure.Extensions",
            "protectedSettings": {"commandToExecute": format!("bash s.sh {}", c(2)), "storageAccountKey": c(3)},
            "settings": {"fileUris": [format!("https://st1.blob.core.windows.net/s/s.sh?sv=2022-11-02&sp=r&sig={}", c(4))]}}},
        {"id": id("Microsoft.Logic/workflows/la1"), "type": "Microsoft.Logic/workflows",
         "properties": {"definition": {"actions": {"call": {"type": "Http", "inputs": {
            "uri": format!("https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={}", c(5)),
            "headers": {"Authorization": format!("Bearer {}", jwt)}}},
            "fn": {"type": "Http", "inputs": {"uri": format!("https://fn1.azurewebsites.net/api/h?code={}", c(6))}}}}}},
        {"id": id("Microsoft.Web/sites/app1"), "type": "Microsoft.Web/sites",
         "properties": {"siteConfig": {
            "appSettings": [
                {"name": "DB_PASSWORD", "value": c(7)},
                {"name": "STORAGE", "value": format!("DefaultEndpointsProtocol=https;AccountName=st1;AccountKey={};EndpointSuffix=core.windows.net", c(8))},
                {"name": "DOCKER_REGISTRY_SERVER_PASSWORD", "value": c(9)},
                {"name": "X_API_KEY", "value": c(10)},
                {"name": "KV", "value": "@Microsoft.KeyVault(SecretUri=https://kv1.vault.azure.net/secrets/s1)"}
            ],
            "connectionStrings": [{"name": "db", "type": "SQLAzure",
                "connectionString": format!("Server=tcp:sql1.database.windows.net;User ID=admin;Password={};", c(11))}]}}},
        {"id": id("Microsoft.Web/sites/app1/config/appsettings"), "type": "Microsoft.Web/sites/config",
         "properties": {"MY_CLIENT_SECRET": c(12), "SERVICEBUS": format!("Endpoint=sb://sb1.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey={}", c(14))}},
        {"id": id("Microsoft.Web/sites/app1/config/connectionstrings"), "type": "Microsoft.Web/sites/config",
         "properties": {"legacy": {"value": format!("Data Source=x;Pwd={}", c(15)), "type": "Custom"}}},
        {"id": id("Microsoft.Sql/servers/sql1"), "type": "Microsoft.Sql/servers",
         "properties": {"administratorLogin": "admin", "administratorLoginPassword": c(16)}},
        {"id": id("Microsoft.ContainerInstance/containerGroups/cg1"), "type": "Microsoft.ContainerInstance/containerGroups",
         "properties": {"imageRegistryCredentials": [{"server": "r1.azurecr.io", "username": "u", "password": c(17)}],
            "containers": [{"name": "c", "properties": {"environmentVariables": [{"name": "PLAIN", "secureValue": c(18)}]}}]}},
        {"id": id("Microsoft.Network/connections/vpn1"), "type": "Microsoft.Network/connections",
         "properties": {"sharedKey": c(19), "connectionType": "IPsec"}},
        {"id": id("Microsoft.Resources/deploymentScripts/ds1"), "type": "Microsoft.Resources/deploymentScripts",
         "properties": {"scriptContent": format!("git clone https://bot:{}@github.example.com/org/repo", c(20)),
            "environmentVariables": [{"name": "TOKEN", "value": format!("ghp_{}abcdefghijklmnopqrstuvwxyz", c(21))}],
            "arguments": format!("-----BEGIN PRIVATE KEY-----\nMII{}\n-----END PRIVATE KEY-----", c(22))}},
        {"id": id("Microsoft.DocumentDB/databaseAccounts/cosmos1"), "type": "Microsoft.DocumentDB/databaseAccounts",
         "tags": {"conn": format!("AccountEndpoint=https://cosmos1.documents.azure.com:443/;AccountKey={};", c(23))},
         "properties": {"databaseAccountOfferType": "Standard"}},
        {"id": id("Microsoft.Cache/redis/redis1"), "type": "Microsoft.Cache/redis",
         "properties": {"redisConfiguration": {"aof-storage-connection-string-0": format!("DefaultEndpointsProtocol=https;AccountName=st2;AccountKey={}", c(24))}}}
    ]});
    let get = write(d, "get.json", &bodies);
    // A template with literal secrets in non-secure parameters.
    let t = write(
        d,
        "vm.json",
        &json!({"$schema": TEMPLATE_SCHEMA, "contentVersion": "1.0.0.0",
            "parameters": {"adminPassword": {"type": "string"}, "pw2": {"type": "securestring"}},
            "resources": [{"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2023-09-01", "name": "vm1",
                "properties": {"osProfile": {"adminUsername": "azureuser", "adminPassword": "[parameters('adminPassword')]",
                    "customData": "[base64(parameters('pw2'))]"}}}]}),
    );
    write(
        d,
        "vm.parameters.json",
        &json!({"$schema": PARAMS_SCHEMA, "contentVersion": "1.0.0.0",
            "parameters": {"adminPassword": {"value": c(25)}, "pw2": {"value": c(26)}}}),
    );
    let e = load_inputs(&[get, t], &LoadOptions::default()).unwrap();
    let out = d.join("estate.json");
    write_estate(&e, &out).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    for n in 1..=25 {
        assert!(
            !text.contains(&c(n)),
            "secret #{n} ({}) is in the estate",
            c(n)
        );
    }
    // base64 of a secure parameter's value is not the value; it is still
    // never written as the value itself.
    assert!(!text.contains(&c(26)));
    // What the values refer to survives (the graph needs it).
    for kept in [
        "AccountName=st1;AccountKey=***",
        "sb1.servicebus.windows.net",
        "prod-12.westeurope.logic.azure.com",
        "fn1.azurewebsites.net/api/h?code=***",
        "@Microsoft.KeyVault(SecretUri=https://kv1.vault.azure.net/secrets/s1)",
        "sql1.database.windows.net",
        "\"administratorLogin\": \"admin\"",
        "\"username\": \"u\"",
        "\"contentType\": \"text/plain\"",
        "cosmos1.documents.azure.com",
    ] {
        assert!(text.contains(kept), "{kept} was lost");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "estate.json is private");
    }
    // An old estate file holding a secret is redacted when read.
    let mut old: Value = serde_json::from_str(&text).unwrap();
    old["resources"][0]["properties"]["value"] = json!(c(27));
    let old_file = write(d, "old-estate.json", &old);
    let again = load_inputs(&[old_file], &LoadOptions::default()).unwrap();
    assert!(!serde_json::to_string(&again).unwrap().contains(&c(27)));
}

#[test]
fn endless_and_oversized_inputs_fail_fast() {
    #[cfg(target_os = "linux")]
    {
        let t = std::time::Instant::now();
        let e = read_input(Path::new("/dev/zero"), 1 << 30).unwrap_err();
        assert!(e.contains("not JSON"), "{e}");
        // Refused at the first chunk, not after reading a GiB.
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
        let e = load_inputs(&[PathBuf::from("/dev/zero")], &LoadOptions::default()).unwrap_err();
        assert_eq!(e.file, "/dev/zero");
    }
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    std::fs::write(&big, format!("[{}]", "1,".repeat(600) + "1")).unwrap();
    let opts = LoadOptions {
        max_input_bytes: 1000,
        ..LoadOptions::default()
    };
    let e = load_inputs(std::slice::from_ref(&big), &opts).unwrap_err();
    assert!(
        e.message
            .contains("larger than the input limit of 1000 bytes"),
        "{e}"
    );
    assert!(e.message.contains("--max-input-size"), "{e}");
    let bin = dir.path().join("bin.json");
    std::fs::write(&bin, [0x89, b'P', b'N', b'G']).unwrap();
    let e = load_inputs(&[bin], &LoadOptions::default()).unwrap_err();
    assert!(e.message.contains("byte 0x89"), "{e}");
}

fn template_with_param(d: &Path, name: &str) -> PathBuf {
    write(
        d,
        name,
        &json!({"$schema": TEMPLATE_SCHEMA, "contentVersion": "1.0.0.0",
            "parameters": {"accountName": {"type": "string"}},
            "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01",
                "name": "[parameters('accountName')]", "location": "westeurope",
                "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}]}),
    )
}

#[test]
fn the_parameters_file_beside_a_template_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let t = template_with_param(d, "azuredeploy.json");
    write(
        d,
        "azuredeploy.parameters.json",
        &json!({"$schema": PARAMS_SCHEMA, "contentVersion": "1.0.0.0",
            "parameters": {"accountName": {"value": "stsibling01"}}}),
    );
    let e = load_inputs(std::slice::from_ref(&t), &LoadOptions::default()).unwrap();
    assert_eq!(e.resources.len(), 1);
    assert_eq!(e.resources[0].name, "stsibling01");
    assert!(
        e.sources
            .iter()
            .any(|s| s.file.ends_with("azuredeploy.parameters.json")),
        "{:?}",
        e.sources
    );
    // Turned off: the parameter has no value.
    let opts = LoadOptions {
        sibling_parameters: false,
        ..LoadOptions::default()
    };
    let err = load_inputs(std::slice::from_ref(&t), &opts).unwrap_err();
    assert!(
        err.to_string().contains("'accountName' has no value"),
        "{err}"
    );
}

#[test]
fn missing_parameters_can_be_symbolic_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let t = template_with_param(dir.path(), "main.json");
    let opts = LoadOptions {
        missing_parameters: MissingParameters::Symbolic,
        ..LoadOptions::default()
    };
    let e = load_inputs(&[t], &opts).unwrap();
    let w: Vec<String> = e.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter()
            .any(|w| w.contains("accountName") && w.contains("kept symbolic")),
        "{w:?}"
    );
}

#[test]
fn per_file_errors_keep_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = write(
        d,
        "get.json",
        &json!({"id": id("Microsoft.Storage/storageAccounts/st1"), "type": "Microsoft.Storage/storageAccounts", "location": "westeurope"}),
    );
    let broken = d.join("broken.json");
    std::fs::write(&broken, "{\"id\": ,}").unwrap();
    let odd = write(d, "metadata.json", &json!({"itemDisplayName": "x"}));
    let wrong_params = template_with_param(d, "t.json");
    write(
        d,
        "t.parameters.json",
        &json!({"$schema": PARAMS_SCHEMA, "parameters": {"accountName": "not-an-object-with-value"}}),
    );
    let files = vec![
        broken.clone(),
        good.clone(),
        odd.clone(),
        wrong_params.clone(),
    ];
    let loaded = load_files(&files, &LoadOptions::default(), false);
    assert_eq!(loaded.estate.resources.len(), 1, "the good file is kept");
    let errs: Vec<String> = loaded.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert!(errs[0].contains("broken.json") && errs[0].contains("not valid JSON"));
    assert!(errs[1].contains("metadata.json") && errs[1].contains("not a recognised input"));
    assert!(
        errs[2].contains("t.parameters.json")
            && errs[2].contains("$.parameters.accountName")
            && errs[2].contains("neither 'value' nor 'reference'"),
        "{}",
        errs[2]
    );
    // Strict: stops at the first.
    let strict = load_files(&files, &LoadOptions::default(), true);
    assert_eq!(strict.errors.len(), 1);
    // Found in a directory (not named): an unrecognised file is a warning.
    let loaded = load_paths(
        &[(good, true), (odd, false)],
        &LoadOptions::default(),
        false,
    );
    assert!(loaded.errors.is_empty());
    assert!(
        loaded
            .estate
            .warnings
            .iter()
            .any(|w| w.file.ends_with("metadata.json") && w.message.contains("skipped"))
    );
}

#[test]
fn one_resource_group_per_template_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("qs-a"), dir.path().join("qs b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let ta = template_with_param(&a, "azuredeploy.json");
    let tb = template_with_param(&b, "azuredeploy.json");
    for d in [&a, &b] {
        write(
            d,
            "azuredeploy.parameters.json",
            &json!({"$schema": PARAMS_SCHEMA, "parameters": {"accountName": {"value": "stsame"}}}),
        );
    }
    let opts = LoadOptions {
        resource_group: "rg-{dir}".into(),
        ..LoadOptions::default()
    };
    let e = load_inputs(&[ta, tb], &opts).unwrap();
    let groups: Vec<String> = e
        .resources
        .iter()
        .map(|r| r.id.resource_group().unwrap_or_default().to_string())
        .collect();
    assert_eq!(groups, ["rg-qs-a", "rg-qs-b"]);
}
