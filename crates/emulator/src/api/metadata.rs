//! What standard tooling reads besides resources, so the Azure CLI works
//! against the emulator unchanged:
//!
//! * `GET /metadata/endpoints` (no authentication, as in Azure): the cloud's
//!   endpoints. `api-version=2022-09-01` (what `az cloud register
//!   --endpoint-resource-manager` reads) answers one cloud object;
//!   `2019-05-01` (what `ARM_CLOUD_METADATA_URL` loads) a list of clouds.
//!   The resource manager and login endpoints are the emulator itself.
//! * `GET /msi/token`: a managed-identity token endpoint in App Service's
//!   shape (`IDENTITY_ENDPOINT` / `IDENTITY_HEADER`, api-version
//!   2019-08-01), so `az login --identity` works offline. In test mode (no
//!   configured token) it mints an unsigned JWT-shaped token with the
//!   emulator's tenant (`tid`), which the CLI only decodes; with a configured
//!   token the `X-IDENTITY-HEADER` must be that token and the answer is the
//!   token itself.
//! * `GET /subscriptions`, `GET /subscriptions/{id}`, `GET /tenants`: the
//!   emulator's tenant and its subscriptions (a default one plus every
//!   subscription holding resources);
//! * `GET /subscriptions/{id}/locations` and `…/providers/{namespace}`
//!   from the embedded region and provider snapshots.

use std::time::SystemTime;

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{error, same_secret};
use crate::Emulator;
use crate::state::TENANT;

/// The subscription `az login` finds first in an empty emulator.
pub(crate) const DEFAULT_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000001";

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A query parameter's value (form-urlencoded: `%XX` and `+` decoded),
/// by case-insensitive name.
fn query_param(uri: &Uri, name: &str) -> Option<String> {
    form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.into_owned())
}

/// Endpoints answered before authentication. `base` is the emulator's own
/// URL as the client reached it (`https://127.0.0.1:8443`), empty if unknown.
pub(crate) fn public_endpoint(
    em: &Emulator,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    base: &str,
) -> Option<Response> {
    if method != Method::GET {
        return None;
    }
    let path = uri.path().trim_end_matches('/').to_ascii_lowercase();
    match path.as_str() {
        "/metadata/endpoints" => Some(metadata(uri, base)),
        "/msi/token" => Some(token(em, uri, headers)),
        _ => None,
    }
}

fn cloud(base: &str) -> Value {
    let base = if base.is_empty() {
        "https://127.0.0.1:8443"
    } else {
        base
    };
    json!({
        "name": "AzreloEmulator",
        "portal": base,
        "resourceManager": format!("{base}/"),
        "authentication": {
            "loginEndpoint": format!("{base}/"),
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": base,
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "batch": "https://batch.core.windows.net/",
        "gallery": base,
        "sqlManagement": base,
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
        "suffixes": {
            "acrLoginServer": "azurecr.io",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net",
            "keyvaultDns": "vault.azure.net",
            "sqlServerHostname": "database.windows.net",
            "storage": "core.windows.net",
        },
    })
}

fn metadata(uri: &Uri, base: &str) -> Response {
    let api = query_param(uri, "api-version").unwrap_or_default();
    let body = match api.as_str() {
        // The oldest shape: a flat object.
        "2015-01-01" => json!({
            "galleryEndpoint": base,
            "graphEndpoint": "https://graph.windows.net/",
            "portalEndpoint": base,
            "authentication": {
                "loginEndpoint": format!("{base}/"),
                "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            },
        }),
        "2019-05-01" => json!([cloud(base)]),
        _ => cloud(base),
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn token(em: &Emulator, uri: &Uri, headers: &HeaderMap) -> Response {
    let header = headers
        .get("x-identity-header")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let fail = |status: StatusCode, message: &str| {
        (
            status,
            axum::Json(json!({"statusCode": status.as_u16(), "message": message})),
        )
            .into_response()
    };
    if header.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            "The X-IDENTITY-HEADER header is required.",
        );
    }
    let resource = query_param(uri, "resource")
        .unwrap_or_else(|| "https://management.core.windows.net/".into());
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let expires = now + 3600;
    let client = query_param(uri, "client_id").unwrap_or_else(|| {
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, b"azrelo-emulator-identity").to_string()
    });
    let access_token = match &em.token {
        Some(t) => {
            if !same_secret(t.as_bytes(), header.as_bytes()) {
                return fail(
                    StatusCode::UNAUTHORIZED,
                    "The X-IDENTITY-HEADER does not match the emulator's token.",
                );
            }
            t.to_string()
        }
        None => {
            let head = json!({"typ": "JWT", "alg": "RS256", "kid": "azrelo-emulator"});
            let principal =
                uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, client.as_bytes()).to_string();
            let claims = json!({
                "aud": resource,
                "iss": format!("https://sts.windows.net/{TENANT}/"),
                "iat": now, "nbf": now, "exp": expires,
                "tid": TENANT, "oid": principal, "sub": principal,
                "appid": client, "idtyp": "app", "ver": "1.0",
            });
            format!(
                "{}.{}.{}",
                base64url(head.to_string().as_bytes()),
                base64url(claims.to_string().as_bytes()),
                base64url(b"azrelo-emulator-test-mode-unsigned")
            )
        }
    };
    (
        StatusCode::OK,
        axum::Json(json!({
            "access_token": access_token,
            "expires_on": expires.to_string(),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": client,
        })),
    )
        .into_response()
}

fn subscription(id: &str) -> Value {
    json!({
        "id": format!("/subscriptions/{id}"),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": id,
        "tenantId": TENANT,
        "displayName": format!("azrelo emulator ({id})"),
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    })
}

/// `GET /subscriptions`, `GET /subscriptions/{id}`, `GET /tenants`.
pub(crate) fn account_endpoint(em: &Emulator, method: &Method, lower: &str) -> Option<Response> {
    if method != Method::GET {
        return None;
    }
    if lower == "/tenants" {
        return Some(
            (
                StatusCode::OK,
                axum::Json(json!({"value": [{
                    "id": format!("/tenants/{TENANT}"),
                    "tenantId": TENANT,
                    "tenantCategory": "Home",
                    "displayName": "azrelo emulator",
                    "defaultDomain": "azrelo-emulator.local",
                    "domains": ["azrelo-emulator.local"],
                }]})),
            )
                .into_response(),
        );
    }
    if lower == "/subscriptions" {
        let inner = em.state();
        let mut subs = std::collections::BTreeSet::from([DEFAULT_SUBSCRIPTION.to_string()]);
        for k in inner.resources.keys() {
            if let Some(s) = k
                .strip_prefix("/subscriptions/")
                .and_then(|rest| rest.split('/').next())
                .filter(|s| !s.is_empty())
            {
                subs.insert(s.to_string());
            }
        }
        let value: Vec<Value> = subs.iter().map(|s| subscription(s)).collect();
        return Some((StatusCode::OK, axum::Json(json!({"value": value}))).into_response());
    }
    let rest = lower.strip_prefix("/subscriptions/")?;
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    Some((StatusCode::OK, axum::Json(subscription(rest))).into_response())
}

/// `GET /subscriptions/{id}/locations` and `GET /subscriptions/{id}/providers/{namespace}`,
/// answered from the embedded region and provider snapshots.
pub(crate) fn snapshot_endpoint(method: &Method, path: &str, lower: &str) -> Option<Response> {
    if lower.ends_with("/locations")
        && lower.starts_with("/subscriptions/")
        && method == Method::GET
    {
        let sub = path.split('/').nth(2).unwrap_or_default();
        let value: Vec<Value> = azrelo_arm::Regions::embedded()
            .all()
            .iter()
            .map(|r| {
                json!({
                    "id": format!("/subscriptions/{sub}/locations/{}", r.name),
                    "name": r.name,
                    "displayName": r.display_name,
                    "regionalDisplayName": r.regional_display_name,
                    "metadata": {
                        "regionType": if r.is_physical() { "Physical" } else { "Logical" },
                        "geography": r.geography,
                        "geographyGroup": r.geography_group,
                        "physicalLocation": r.physical_location,
                        "pairedRegion": r.paired_regions.iter().map(|p| json!({"name": p})).collect::<Vec<_>>(),
                    },
                })
            })
            .collect();
        return Some((StatusCode::OK, axum::Json(json!({"value": value}))).into_response());
    }
    if let Some(ns) = lower
        .strip_prefix("/subscriptions/")
        .and_then(|rest| rest.split_once("/providers/"))
        .map(|(_, ns)| ns.to_string())
        .filter(|ns| !ns.contains('/'))
        && method == Method::GET
    {
        let a = azrelo_arm::Availability::embedded();
        let types: Vec<Value> = a
            .types()
            .filter(|t| t.namespace().eq_ignore_ascii_case(&ns))
            .map(|t| {
                json!({
                    "resourceType": t.type_path(),
                    "locations": t.locations().collect::<Vec<_>>(),
                    "apiVersions": t.api_versions().collect::<Vec<_>>(),
                })
            })
            .collect();
        if types.is_empty() {
            return Some(error(
                StatusCode::NOT_FOUND,
                "InvalidResourceNamespace",
                format!("The resource namespace '{ns}' is invalid."),
                None,
            ));
        }
        let namespace = a
            .types()
            .find(|t| t.namespace().eq_ignore_ascii_case(&ns))
            .map(|t| t.namespace().to_string())
            .unwrap_or(ns);
        return Some((
            StatusCode::OK,
            axum::Json(json!({"namespace": namespace, "registrationState": "Registered", "resourceTypes": types})),
        )
            .into_response(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_without_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"\xfb\xff"), "-_8");
        let uri: Uri = "/metadata/identity/oauth2/token?Resource=https%3A%2F%2Fx%2F&b=a%2&c=a+b"
            .parse()
            .unwrap();
        assert_eq!(query_param(&uri, "resource").as_deref(), Some("https://x/"));
        assert_eq!(query_param(&uri, "b").as_deref(), Some("a%2"));
        assert_eq!(query_param(&uri, "c").as_deref(), Some("a b"));
        assert_eq!(query_param(&uri, "d"), None);
    }
}
