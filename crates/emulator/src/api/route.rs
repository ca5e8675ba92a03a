//! The routing chain: which handler answers a request, by path and
//! method, after authentication (see [`super::handle`]).

use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use azrelo_arm::id::{IdKind, ResourceId};
use serde_json::Value;

use super::request::{api_version, parse_body};
use super::{collections, error, invalid_content, metadata, operations, put, resources};
use crate::Emulator;
use crate::deployments::{self, Mode, deploy};

/// A path whose handler panics, in unit tests only (see `api::tests`).
#[cfg(test)]
pub(crate) const TEST_PANIC: &str = "/providers/azrelo.emulator/test-panic";

pub(crate) async fn handle_inner(
    em: &Emulator,
    method: &Method,
    uri: &Uri,
    body: Bytes,
    fail_operation: bool,
) -> Response {
    // ARM decodes the percent-encoding of the path before it routes and
    // keys a request: a resource named `Send to all locations` (a
    // diagnostic setting, say) is GET as `.../Send%20to%20all%20locations`
    // and its body's `id` carries the name unencoded. Keying on the raw
    // path would make every name with a character that needs escaping
    // unreachable after its PUT.
    let decoded = azrelo_arm::uri::unescape_data_string(uri.path());
    let path = decoded.trim_end_matches('/');
    if api_version(uri).is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
            None,
        );
    }
    let lower = path.to_ascii_lowercase();
    #[cfg(test)]
    if lower == TEST_PANIC {
        let _state = em.lock();
        panic!("test hook: a handler panics while holding the state lock");
    }
    // Azure Resource Graph.
    if lower == "/providers/microsoft.resourcegraph/resources" && method == Method::POST {
        return crate::graph_query::resource_graph(em, &body);
    }
    // Locations and providers, from the embedded snapshots.
    if let Some(r) = metadata::snapshot_endpoint(method, path, &lower) {
        return r;
    }
    // Operation status (Azure-AsyncOperation) and operation results
    // (Location).
    if let Some(op) = lower.strip_prefix("/providers/azrelo.emulator/operations/") {
        return operations::operation_status(em, op);
    }
    if let Some(op) = lower.strip_prefix("/providers/azrelo.emulator/operationresults/") {
        return operations::operation_result(em, op);
    }
    // Subscriptions, tenants (what `az login` and `az account` read).
    if let Some(r) = metadata::account_endpoint(em, method, &lower) {
        return r;
    }
    // Lists.
    if let Some(scope) = lower.strip_suffix("/resources") {
        return resources::list(em, scope, false);
    }
    if lower.ends_with("/resourcegroups") && method == Method::GET {
        return resources::list(em, &lower, true);
    }
    // Deployment operations and operation status: GET
    // {deployment}/operations[/{id}], {deployment}/operationStatuses/{id}.
    if method == Method::GET
        && let Some(r) = deployments::deployment_subresource(em, path)
    {
        return r;
    }
    // Name checks of the providers with global names (what `az storage
    // account create` and friends call first).
    if method == Method::POST && lower.ends_with("/checknameavailability") {
        return crate::names::check_name_availability(em, &lower, &body);
    }
    // Deployment validate / whatIf: POST {deployment}/validate|whatIf.
    if method == Method::POST {
        let (base, mode) = if let Some(b) = lower.strip_suffix("/validate") {
            (&path[..b.len()], Some(Mode::Validate))
        } else if let Some(b) = lower.strip_suffix("/whatif") {
            (&path[..b.len()], Some(Mode::WhatIf))
        } else {
            (path, None)
        };
        if let (Some(mode), Ok(did)) = (mode, ResourceId::parse(base))
            && did
                .type_or_scope_type()
                .as_str()
                .eq_ignore_ascii_case("Microsoft.Resources/deployments")
        {
            let value = parse_body(&body).ok();
            return deploy(em, &did, value, mode).await;
        }
    }
    // Azure Backup's vault-wide lists and actions.
    if method == Method::GET
        && let Some(r) = super::behaviours::vault_list(em, path)
    {
        return r;
    }
    if method == Method::POST
        && let Some(r) = super::behaviours::vault_action(em, path)
    {
        return r;
    }
    // Compute SKUs and the usages of a region (quota).
    if method == Method::GET
        && let Some(r) = super::capacity::endpoint(em, path, uri)
    {
        return r;
    }
    // Collections: GET {scope}/providers/{ns}/{type}, GET {parent}/{child type}.
    if method == Method::GET
        && ResourceId::parse(path).is_err()
        && let Some(r) = collections::list_collection(em, path)
    {
        return r;
    }
    let id = match ResourceId::parse(path) {
        Ok(id) => id,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidResourceId",
                e.to_string(),
                Some(path),
            );
        }
    };
    let value: Option<Value> = if body.is_empty() {
        None
    } else {
        match parse_body(&body) {
            Ok(v) => Some(v),
            Err(e) => {
                return invalid_content(format!(
                    "The request content was invalid and could not be deserialized: {e}"
                ));
            }
        }
    };
    let is_deployment = id
        .type_or_scope_type()
        .as_str()
        .eq_ignore_ascii_case("Microsoft.Resources/deployments");
    match (method.clone(), id.kind()) {
        (Method::PUT, IdKind::Resource) if is_deployment => {
            deploy(em, &id, value, Mode::Deploy).await
        }
        (Method::GET, _) => resources::get(em, &id),
        (Method::PUT, IdKind::ResourceGroup) => put::put_group(em, &id, value),
        (Method::PUT, IdKind::Resource | IdKind::Extension) => {
            put::put_with(em, &id, value, fail_operation)
        }
        (Method::PATCH, IdKind::Resource | IdKind::Extension | IdKind::ResourceGroup) => {
            resources::patch(em, &id, value)
        }
        (Method::DELETE, IdKind::ResourceGroup | IdKind::Resource | IdKind::Extension) => {
            resources::delete(em, &id)
        }
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{method} is not supported on {path}."),
            None,
        ),
    }
}
