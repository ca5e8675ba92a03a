//! Globally unique names: the index of (type, name) pairs the stored
//! resources hold, the check a PUT makes for a type whose catalog name rule
//! is global, and the providers' `checkNameAvailability` actions.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use azrelo_catalog::{Catalog, NameScope};
use serde_json::{Value, json};

use crate::Emulator;
use crate::api::request::parse_body;
use crate::api::{error, invalid_content};
use crate::state::Inner;

/// The (type, name) key of a stored body, lower-cased.
pub(crate) fn name_key(body: &Value) -> (String, String) {
    let field = |f: &str| {
        body.get(f)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    (field("type"), field("name"))
}

/// `POST /subscriptions/{sub}/providers/{Namespace}/checkNameAvailability`
/// with `{"name", "type"}`: whether a globally unique name is free, against
/// every subscription the emulator holds (Storage answers `nameAvailable`,
/// `reason: AlreadyExists`, `message`; the other providers the same shape).
pub(crate) fn check_name_availability(em: &Emulator, lower: &str, body: &Bytes) -> Response {
    let req = parse_body(body).unwrap_or(Value::Null);
    let Some(name) = req.get("name").and_then(|n| n.as_str()) else {
        return invalid_content("The request needs a 'name'.");
    };
    let namespace = lower
        .rsplit_once("/providers/")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or_default();
    let ty = req
        .get("type")
        .and_then(|t| t.as_str())
        .map(str::to_string)
        .or_else(|| crate::types::name_check_default(namespace).map(str::to_string))
        .unwrap_or_default();
    let taken = em.state().name_taken(&ty, name);
    let mut v = json!({"nameAvailable": !taken});
    if taken {
        v["reason"] = json!("AlreadyExists");
        v["message"] = json!(format!("The name '{name}' is already taken for {ty}."));
    }
    (StatusCode::OK, axum::Json(v)).into_response()
}

impl Inner {
    /// Whether a resource of this type already holds this name.
    pub(crate) fn name_taken(&self, resource_type: &str, name: &str) -> bool {
        self.names.contains_key(&(
            resource_type.to_ascii_lowercase(),
            name.to_ascii_lowercase(),
        ))
    }
}

/// The check a PUT creating a resource makes: a type whose catalog name
/// rule is global refuses a name any resource of the type already holds,
/// with the provider's code (`409`).
pub(crate) fn check_global_name(
    inner: &Inner,
    resource_type: &str,
    name: &str,
) -> Result<(), Box<Response>> {
    if Catalog::embedded().entry(resource_type).name_rule().scope != NameScope::Global
        || !inner.name_taken(resource_type, name)
    {
        return Ok(());
    }
    Err(Box::new(error(
        StatusCode::CONFLICT,
        crate::types::facts(resource_type).name_taken,
        format!(
            "The name '{name}' is already in use for {resource_type}; names of this type are globally unique."
        ),
        None,
    )))
}
