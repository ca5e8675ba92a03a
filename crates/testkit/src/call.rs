//! In-process calls to an emulator through its router (no socket).

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use azrelo_emulator::{Emulator, router};
use serde_json::Value;
use tower::ServiceExt;

/// A subscription for tests.
pub const SUB: &str = "/subscriptions/00000000-0000-0000-0000-0000000000f1";

/// A resource group of [`SUB`].
pub fn rg(name: &str) -> String {
    format!("{SUB}/resourceGroups/{name}")
}

/// One answer: status, headers, the body as JSON (`Null` when it is not).
#[derive(Debug)]
pub struct Call {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Call {
    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// ARM's error code (`error.code`), empty when the answer has none.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// `properties.provisioningState`, empty when absent.
    pub fn state(&self) -> &str {
        self.body["properties"]["provisioningState"]
            .as_str()
            .unwrap_or_default()
    }
}

/// One request through the router, with a bearer token and (unless the
/// path has one) `api-version=2024-03-02`.
pub async fn call(em: &Emulator, method: &str, path: &str, body: Option<Value>) -> Call {
    call_as(em, method, path, body, Some("test-token")).await
}

/// [`call`] with this bearer token, or none.
pub async fn call_as(
    em: &Emulator,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> Call {
    let uri = if path.contains("api-version") {
        path.to_string()
    } else {
        format!("{path}?api-version=2024-03-02")
    };
    let mut req = Request::builder().method(method).uri(&uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let req = req
        .body(match body {
            Some(v) => Body::from(v.to_string()),
            None => Body::empty(),
        })
        .unwrap_or_else(|e| panic!("{method} {uri} is not a valid request: {e}"));
    let resp = match router(em.clone()).oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{method} {uri}: the body cannot be read: {e}"));
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Call {
        status,
        headers,
        body,
    }
}
