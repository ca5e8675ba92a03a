//! Resources Azure creates on its own when others are created (see the
//! per-type table, [`crate::types`]).

use azrelo_arm::id::ResourceId;
use serde_json::{Value, json};

use crate::state::{Inner, Stored, key};
use crate::types::OnCreate;

/// Create what Azure creates on its own when `id` (with `body`) is created.
pub(crate) fn create(
    inner: &mut Inner,
    what: OnCreate,
    id: &ResourceId,
    body: &Value,
) -> Result<(), String> {
    match what {
        OnCreate::NetworkWatcher => auto_network_watcher(inner, id, body),
        OnCreate::DefaultHostNameBinding => default_host_name_binding(inner, id),
    }
}

/// Every app has the binding of its default host name
/// `<app>.azurewebsites.net` from its creation
/// (learn.microsoft.com/azure/app-service/app-service-web-tutorial-custom-domain;
/// WebApps_ListHostNameBindings lists it with the custom ones).
fn default_host_name_binding(inner: &mut Inner, site: &ResourceId) -> Result<(), String> {
    let Some(app) = site.name() else {
        return Ok(());
    };
    // A slot's is `<app>-<slot>` (learn.microsoft.com/azure/app-service/deploy-staging-slots).
    let slot = site
        .type_or_scope_type()
        .as_str()
        .eq_ignore_ascii_case("Microsoft.Web/sites/slots");
    let label = match site.parent().as_ref().and_then(|p| p.name()) {
        Some(parent) if slot => format!("{parent}-{app}"),
        _ => app.to_string(),
    };
    let host = format!("{}.azurewebsites.net", label.to_ascii_lowercase());
    let id = format!("{}/hostNameBindings/{host}", site.as_str());
    inner.store(
        key(&id),
        Stored {
            id: id.clone(),
            body: json!({
                "id": id,
                "name": format!("{app}/{host}"),
                "type": if slot {
                    "Microsoft.Web/sites/slots/hostNameBindings"
                } else {
                    "Microsoft.Web/sites/hostNameBindings"
                },
                "properties": {
                    "siteName": app,
                    "azureResourceName": app,
                    "azureResourceType": "Website",
                    "customHostNameDnsRecordType": "CName",
                    "hostNameType": "Verified",
                    "sslState": "Disabled",
                },
            }),
        },
    )
}

/// Network Watcher is enabled automatically: when a virtual network is
/// created in a region of a subscription without a network watcher there,
/// Azure creates the resource group `NetworkWatcherRG` (if missing) and
/// `Microsoft.Network/networkWatchers/NetworkWatcher_<region>` in it
/// (learn.microsoft.com/azure/network-watcher/network-watcher-create:
/// "Network Watcher is automatically enabled when you create or update a
/// virtual network in your subscription"; one watcher per subscription and
/// region, the names as in the `New-AzNetworkWatcher` example). A
/// subscription that opted out (the `DisableNetworkWatcherAutocreation`
/// feature) is not modelled.
fn auto_network_watcher(inner: &mut Inner, vnet: &ResourceId, body: &Value) -> Result<(), String> {
    let (Some(sub), Some(loc)) = (
        vnet.subscription_id(),
        body.get("location").and_then(|l| l.as_str()),
    ) else {
        return Ok(());
    };
    let region = azrelo_arm::Regions::embedded().get(loc).map_or_else(
        || loc.to_ascii_lowercase().replace(' ', ""),
        |r| r.name.clone(),
    );
    let prefix = format!("/subscriptions/{sub}/").to_ascii_lowercase();
    let has_watcher = inner.resources.values().any(|r| {
        let id = r.id.to_ascii_lowercase();
        const WATCHERS: &str = "/providers/microsoft.network/networkwatchers/";
        id.starts_with(&prefix)
            && id
                .find(WATCHERS)
                .is_some_and(|i| !id[i + WATCHERS.len()..].contains('/'))
            && r.body["location"]
                .as_str()
                .and_then(|l| azrelo_arm::Regions::embedded().get(l))
                .is_some_and(|r| r.name == region)
    });
    if has_watcher {
        return Ok(());
    }
    let rg = format!("/subscriptions/{sub}/resourceGroups/NetworkWatcherRG");
    if !inner.resources.contains_key(&key(&rg)) {
        inner.store(
            key(&rg),
            Stored {
                id: rg.clone(),
                body: json!({
                    "id": rg, "name": "NetworkWatcherRG",
                    "type": "Microsoft.Resources/resourceGroups",
                    "location": region, "tags": {},
                    "properties": {"provisioningState": "Succeeded"},
                }),
            },
        )?;
    }
    let name = format!("NetworkWatcher_{region}");
    let id = format!("{rg}/providers/Microsoft.Network/networkWatchers/{name}");
    inner.store(
        key(&id),
        Stored {
            id: id.clone(),
            body: json!({
                "id": id, "name": name,
                "type": "Microsoft.Network/networkWatchers",
                "location": region, "tags": {},
                "properties": {"provisioningState": "Succeeded"},
            }),
        },
    )
}
