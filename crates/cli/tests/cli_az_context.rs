//! az's context as azrelo's defaults: the subscription from
//! `--subscription` (name or id), `AZURE_SUBSCRIPTION_ID` or az's current one
//! (`azureProfile.json`), the endpoint from az's active cloud (`config`,
//! `clouds.config`, `AZURE_CLOUD_NAME`) under `AZURE_CONFIG_DIR`; and
//! `-g/--resource-group` as a resource group on every command that scopes
//! by group.

use assert_cmd::Command;
use azrelo_emulator::Emulator;
use azrelo_testkit::{Background, Transport};
use std::path::{Path, PathBuf};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop");
const SUB: &str = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";
const OTHER: &str = "11111111-2222-3333-4444-555555555555";

/// The binary with az's configuration in `config_dir` and nothing from
/// the environment this test runs in.
fn azrelo(config_dir: &Path) -> Command {
    let mut c = Command::cargo_bin("azrelo").unwrap();
    for v in [
        "AZRELO_TOKEN",
        "AZRELO_AUTH",
        "AZRELO_ARM_ENDPOINT",
        "AZRELO_CA_CERT",
        "AZURE_CLIENT_SECRET",
        "AZURE_SUBSCRIPTION_ID",
        "AZURE_CLOUD_NAME",
    ] {
        c.env_remove(v);
    }
    c.env("AZURE_CONFIG_DIR", config_dir);
    c
}

/// An az configuration directory as `az cloud register` + `az cloud set` +
/// `az login` leave it: the emulator registered as a cloud and made active,
/// a subscription of it current, and another cloud's subscription that
/// must be ignored. azureProfile.json starts with a byte-order mark, as az
/// writes it.
fn az_dir(endpoint: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("config"),
        "[core]\noutput = json\n\n[cloud]\nname = AzreloEmulator\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("clouds.config"),
        format!("[AzreloEmulator]\nendpoint_resource_manager = {endpoint}\nprofile = latest\n"),
    )
    .unwrap();
    let profile = serde_json::json!({
        "installationId": "00000000-0000-0000-0000-000000000000",
        "subscriptions": [
            {"id": OTHER, "name": "Elsewhere", "state": "Enabled", "isDefault": true,
             "tenantId": OTHER, "environmentName": "AzureCloud",
             "user": {"name": "ops@contoso.example", "type": "user"}},
            {"id": SUB, "name": "Contoso Shop", "state": "Enabled", "isDefault": true,
             "tenantId": OTHER, "environmentName": "AzreloEmulator",
             "user": {"name": "ops@contoso.example", "type": "user"}}
        ]
    });
    std::fs::write(
        d.path().join("azureProfile.json"),
        format!(
            "\u{feff}{}",
            serde_json::to_string_pretty(&profile).unwrap()
        ),
    )
    .unwrap();
    d
}

fn emulator() -> Background {
    let mut files: Vec<PathBuf> = std::fs::read_dir(EXAMPLE)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let estate =
        azrelo_estate::load_inputs(&files, &azrelo_estate::LoadOptions::default()).unwrap();
    let em = Emulator::new();
    em.seed(azrelo_estate::arm_shape::arm_bodies(&estate));
    Background::start(em, Transport::Http)
}

/// The resource groups of a discovered estate (`-o json` without --out).
/// Settings of the subscription itself (Defender for Cloud's, read whatever
/// the group filter) are in no group.
fn groups(stdout: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(stdout).unwrap();
    let mut g: Vec<String> = v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            let parts: Vec<&str> = r["id"].as_str()?.split('/').collect();
            (parts.get(3)?.eq_ignore_ascii_case("resourceGroups")).then(|| parts[4].to_string())
        })
        .collect();
    g.sort();
    g.dedup();
    g
}

#[test]
fn discover_takes_subscription_and_cloud_from_az() {
    let served = emulator();
    let az = az_dir(&served.endpoint);
    // No --subscription, no --arm-endpoint: az's current subscription of
    // its active cloud, at the endpoint the cloud was registered with.
    let out = azrelo(az.path())
        .args([
            "discover",
            "-g",
            "rg-shop-data",
            "--auth",
            "token",
            "--token",
            "t",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(groups(&out.stdout), ["rg-shop-data"]);
    // A subscription by name, in any case, as az matches it.
    let out = azrelo(az.path())
        .args([
            "discover",
            "--subscription",
            "contoso shop",
            "--auth",
            "token",
            "--token",
            "t",
        ])
        .args(["-o", "json", "--query", "length(resources)"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The example's 68 resources, the service defaults of its vault and
    // subscription live discovery reads for the Backup and Defender
    // procedures (see cli_discover_live.rs) and the parents a seeded child
    // implies (a share's fileServices/default), which ARM lists.
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "78");
    // AZURE_SUBSCRIPTION_ID comes before az's current subscription; a name
    // az does not know is bad input naming the ones it does.
    let out = azrelo(az.path())
        .args(["discover", "--auth", "token", "--token", "t"])
        .env("AZURE_SUBSCRIPTION_ID", "Contoso Staging")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Contoso Staging") && err.contains("Contoso Shop"),
        "{err}"
    );
    // The other cloud's subscription is not offered.
    assert!(!err.contains("Elsewhere"), "{err}");
}

#[test]
fn without_any_subscription_discover_says_how_to_name_one() {
    let empty = tempfile::tempdir().unwrap();
    let out = azrelo(empty.path()).args(["discover"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("AZURE_SUBSCRIPTION_ID") && err.contains("az account set"),
        "{err}"
    );
}

#[test]
fn expand_uses_the_default_subscription_for_its_context() {
    let az = az_dir("https://127.0.0.1:9");
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webapp.json");
    let ids = |c: &mut Command| {
        let out = c
            .args([
                "expand",
                template,
                "--param",
                "sqlPassword=x-Canary-1",
                "-o",
                "tsv",
                "--query",
                "resources[0].id",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(ids(&mut azrelo(az.path())).starts_with(&format!("/subscriptions/{SUB}/")));
    let empty = tempfile::tempdir().unwrap();
    assert!(
        ids(&mut azrelo(empty.path()))
            .starts_with("/subscriptions/00000000-0000-0000-0000-000000000000/")
    );
    assert!(
        ids(azrelo(empty.path()).env("AZURE_SUBSCRIPTION_ID", OTHER))
            .starts_with(&format!("/subscriptions/{OTHER}/"))
    );
}

#[test]
fn plan_and_assess_scope_by_resource_group_name() {
    let empty = tempfile::tempdir().unwrap();
    let out = azrelo(empty.path())
        .args([
            "plan",
            EXAMPLE,
            "-t",
            "northeurope",
            "-g",
            "rg-shop-net",
            "-o",
            "json",
        ])
        .args(["--query", "resources[].sourceId"])
        .output()
        .unwrap();
    let ids: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    // The group's resources are selected (with what they require).
    assert!(
        ids.iter()
            .any(|i| i.ends_with("/networkSecurityGroups/nsg-shop-web")),
        "{ids:?}"
    );
    assert!(
        !ids.iter().any(|i| i.contains("/virtualMachines/")),
        "{ids:?}"
    );
    let all = azrelo(empty.path())
        .args([
            "plan",
            EXAMPLE,
            "-t",
            "northeurope",
            "-o",
            "tsv",
            "--query",
            "length(resources)",
        ])
        .output()
        .unwrap();
    let all: usize = String::from_utf8_lossy(&all.stdout).trim().parse().unwrap();
    assert!(ids.len() < all, "{} of {all}", ids.len());
    // A group the inputs do not have: bad input naming the ones they have.
    let out = azrelo(empty.path())
        .args(["assess", EXAMPLE, "-t", "northeurope", "-g", "rg-nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rg-nope") && err.contains("rg-shop-data"),
        "{err}"
    );
}
