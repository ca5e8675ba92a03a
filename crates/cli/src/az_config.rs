//! What the Azure CLI (`az`) already knows on this machine: its active
//! cloud and its subscriptions, so azrelo's defaults are az's.
//!
//! The files are az's own (azure-cli `azure/cli/core`):
//!
//! * the directory is `AZURE_CONFIG_DIR`, else `~/.azure` (knack
//!   `CLIConfig`: `{PREFIX}_CONFIG_DIR`, prefix `AZURE`);
//! * `config` (INI): the active cloud is `[cloud] name` (`cloud.py`,
//!   `get_active_cloud_name`; `AzureCloud` when unset), overridden by the
//!   environment variable `AZURE_CLOUD_NAME` (knack `CLIConfig.get`: any
//!   `[section] option` can be set as `AZURE_{SECTION}_{OPTION}`);
//! * `clouds.config` (INI): a registered cloud's section holds
//!   `endpoint_resource_manager` (`az cloud register --endpoint-resource-manager`);
//! * `azureProfile.json` (UTF-8 with a byte-order mark): `subscriptions[]`
//!   with `id`, `name`, `isDefault`, `state`, `tenantId` and
//!   `environmentName` (the cloud it belongs to). az's current subscription
//!   is the one of the active cloud with `isDefault: true`, and
//!   `--subscription` matches an id or a name, case-insensitively, among the
//!   active cloud's (`_profile.py`, `Profile.get_subscription`).
//!
//! azrelo reads these files and never writes them.

use crate::exit::CliError;
use serde::Deserialize;
use std::path::PathBuf;

/// The clouds az knows without registration (`cloud.py`, `KNOWN_CLOUDS`)
/// that azrelo's client reaches by name.
const KNOWN_CLOUDS: &[&str] = &["AzureCloud", "AzureUSGovernment", "AzureChinaCloud"];

/// az's configuration directory.
fn config_dir() -> Option<PathBuf> {
    match std::env::var_os("AZURE_CONFIG_DIR") {
        Some(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => std::env::home_dir().map(|h| h.join(".azure")),
    }
}

/// `option` of `[section]` in an INI file as Python's configparser reads
/// it (`key = value` or `key: value`; `#`/`;` comments; names of options
/// case-insensitive, of sections not).
fn ini_get(text: &str, section: &str, option: &str) -> Option<String> {
    let mut current = None;
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            current = Some(name.trim().to_string());
            continue;
        }
        if current.as_deref() != Some(section) {
            continue;
        }
        if let Some((k, v)) = t.split_once(['=', ':'])
            && k.trim().eq_ignore_ascii_case(option)
        {
            return Some(v.trim().to_string());
        }
    }
    None
}

fn read(name: &str) -> Option<String> {
    let text = std::fs::read_to_string(config_dir()?.join(name)).ok()?;
    Some(text.trim_start_matches('\u{feff}').to_string())
}

/// az's active cloud: `AZURE_CLOUD_NAME`, else `[cloud] name` of az's
/// config, else `AzureCloud`.
pub fn active_cloud() -> String {
    std::env::var("AZURE_CLOUD_NAME")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| read("config").and_then(|t| ini_get(&t, "cloud", "name")))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "AzureCloud".to_string())
}

/// The ARM endpoint of az's active cloud: a cloud name the client knows,
/// or the URL a registered cloud names (`endpoint_resource_manager` in
/// `clouds.config`).
pub fn active_cloud_endpoint() -> Result<String, CliError> {
    let cloud = active_cloud();
    if let Some(known) = KNOWN_CLOUDS.iter().find(|k| k.eq_ignore_ascii_case(&cloud)) {
        return Ok(known.to_string());
    }
    read("clouds.config")
        .and_then(|t| ini_get(&t, &cloud, "endpoint_resource_manager"))
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            CliError::bad_input(
                format!("az's active cloud '{cloud}' has no Resource Manager endpoint azrelo can use"),
                "pass --arm-endpoint URL|AzureCloud|AzureUSGovernment|AzureChinaCloud, or `az cloud set` another cloud",
            )
        })
}

/// One subscription of `azureProfile.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub environment_name: String,
}

#[derive(Debug, Deserialize)]
struct Profile {
    #[serde(default)]
    subscriptions: Vec<Subscription>,
}

/// The subscriptions az knows in its active cloud (none when az is not
/// logged in or its profile cannot be read).
pub fn subscriptions() -> Vec<Subscription> {
    let Some(text) = read("azureProfile.json") else {
        return Vec::new();
    };
    let cloud = active_cloud();
    match serde_json::from_str::<Profile>(&text) {
        Ok(p) => p
            .subscriptions
            .into_iter()
            .filter(|s| s.environment_name.is_empty() || s.environment_name == cloud)
            .collect(),
        Err(e) => {
            tracing::warn!(
                "az's azureProfile.json cannot be read ({e}); its subscriptions are ignored"
            );
            Vec::new()
        }
    }
}

/// Whether `s` has the shape of a subscription id (a GUID).
fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A `--subscription` value, a name or an id, as a subscription id: an id
/// is taken as it is (it need not be in az's profile: other credentials may
/// reach it), a name is looked up among az's subscriptions of the active
/// cloud, case-insensitively, and must match exactly one.
pub fn resolve_subscription(value: &str) -> Result<String, CliError> {
    let v = value.trim();
    if is_guid(v) {
        return Ok(v.to_string());
    }
    let subs = subscriptions();
    let matches: Vec<&Subscription> = subs
        .iter()
        .filter(|s| s.name.eq_ignore_ascii_case(v) || s.id.eq_ignore_ascii_case(v))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(CliError::bad_input(
            format!("'{v}' is neither a subscription id nor the name of a subscription az knows"),
            if subs.is_empty() {
                "pass the subscription id, or `az login` so names can be looked up".to_string()
            } else {
                format!(
                    "az knows: {} (`az account list -o table`)",
                    subs.iter()
                        .map(|s| format!("{} ({})", s.name, s.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        )),
        several => Err(CliError::bad_input(
            format!("{} subscriptions are named '{v}'", several.len()),
            format!(
                "pass the id: {}",
                several
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The subscription a command uses when `--subscription` is not given:
/// `AZURE_SUBSCRIPTION_ID` (a name works too), else az's current one.
pub fn default_subscription() -> Result<Option<String>, CliError> {
    if let Ok(v) = std::env::var("AZURE_SUBSCRIPTION_ID")
        && !v.trim().is_empty()
    {
        return resolve_subscription(&v).map(Some);
    }
    Ok(subscriptions()
        .into_iter()
        .find(|s| s.is_default)
        .map(|s| s.id))
}

/// `--subscription` values resolved, or the default when there are none
/// (an empty list when there is no default either).
pub fn subscriptions_or_default(values: &[String]) -> Result<Vec<String>, CliError> {
    if values.is_empty() {
        return Ok(default_subscription()?.into_iter().collect());
    }
    values.iter().map(|v| resolve_subscription(v)).collect()
}

/// Where a command's subscription comes from, for messages.
pub const SUBSCRIPTION_HINT: &str = "pass --subscription NAME|ID, set AZURE_SUBSCRIPTION_ID, or choose one with `az account set --subscription NAME`";

#[cfg(test)]
mod tests {
    use super::{ini_get, is_guid};

    #[test]
    fn ini_values_are_read_as_configparser_reads_them() {
        let t = "[core]\noutput = json\n# comment\n[cloud]\nName: AzureUSGovernment\n\n[MyCloud]\nendpoint_resource_manager = https://arm.example/\n";
        assert_eq!(
            ini_get(t, "cloud", "name").as_deref(),
            Some("AzureUSGovernment")
        );
        assert_eq!(
            ini_get(t, "MyCloud", "endpoint_resource_manager").as_deref(),
            Some("https://arm.example/")
        );
        assert_eq!(ini_get(t, "cloud", "output"), None);
        assert_eq!(ini_get(t, "mycloud", "endpoint_resource_manager"), None);
    }

    #[test]
    fn ids_are_guids() {
        assert!(is_guid("3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11"));
        assert!(!is_guid("Contoso Production"));
        assert!(!is_guid("3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a1"));
    }
}
