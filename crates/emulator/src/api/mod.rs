//! ARM's HTTP surface: the router, authentication, injected faults and
//! throttling in front of every request ([`handle`]), then the routing
//! chain ([`route`]) to the handlers by concern.

use std::future::Future;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::Emulator;

pub(crate) mod behaviours;
pub(crate) mod capacity;
pub(crate) mod collections;
pub(crate) mod metadata;
pub(crate) mod operations;
pub(crate) mod put;
pub(crate) mod request;
pub(crate) mod resources;
mod route;

use request::collapse_slashes;
pub(crate) use request::same_secret;

pub(crate) fn persistence_failed(e: String) -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "PersistenceFailed",
        e,
        None,
    )
}

/// The HTTP router: every path goes to the ARM dispatcher.
pub fn router(emulator: Emulator) -> Router {
    Router::new().fallback(dispatch).with_state(emulator)
}

pub(crate) fn error(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    target: Option<&str>,
) -> Response {
    let mut e = json!({"error": {"code": code, "message": message.into()}});
    if let Some(t) = target {
        e["error"]["target"] = json!(t);
    }
    (status, axum::Json(e)).into_response()
}

/// `400 InvalidRequestContent`: a body ARM cannot read as the resource.
pub(crate) fn invalid_content(message: impl Into<String>) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "InvalidRequestContent",
        message,
        None,
    )
}

pub(crate) async fn dispatch(State(em): State<Emulator>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, 4 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLarge",
                "The request body exceeds 4 MB.",
                None,
            );
        }
    };
    // Absolute operation URLs need the scheme (set by `serve`) and the host.
    let scheme = parts
        .extensions
        .get::<crate::serve::Scheme>()
        .map(|s| s.0)
        .unwrap_or("http");
    let base = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', ' ']))
        .map(|h| format!("{scheme}://{h}"))
        .unwrap_or_default();
    // Clients joining an endpoint that ends in '/' with a path that starts
    // with one send `//subscriptions/…`; ARM reads it as one slash.
    let mut parts = parts;
    parts.uri = collapse_slashes(&parts.uri);
    // Endpoints that come before authentication, as in Azure: the cloud's
    // metadata document and the emulated token endpoint.
    if let Some(r) =
        metadata::public_endpoint(&em, &parts.method, &parts.uri, &parts.headers, &base)
    {
        return r;
    }
    // A handler that panics (a bug) answers 500 with ARM's envelope; the
    // state lock it may have held is recovered by the next request
    // (`state::lock`), so one panic never fails the requests after it.
    let handled = CatchPanic(Box::pin(handle(
        &em,
        &parts.method,
        &parts.uri,
        &parts.headers,
        body,
    )))
    .await;
    let Ok(mut r) = handled else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "The emulator failed while handling the request (an internal error); the request may not have been applied. Later requests are served.",
            None,
        );
    };
    if !base.is_empty() {
        for h in ["azure-asyncoperation", "location"] {
            let abs = r
                .headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .filter(|v| v.starts_with('/'))
                .and_then(|v| HeaderValue::from_str(&format!("{base}{v}")).ok());
            if let Some(v) = abs {
                r.headers_mut().insert(h, v);
            }
        }
    }
    r
}

pub(crate) async fn handle(
    em: &Emulator,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    // Authentication: a bearer token must be present; with a configured
    // token only that one is accepted, otherwise any (test mode).
    let bearer = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.len() > 7 && h[..7].eq_ignore_ascii_case("bearer "))
        .map(|h| h[7..].trim());
    let Some(bearer) = bearer else {
        return error(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            None,
        );
    };
    if let Some(expected) = &em.token
        && !same_secret(expected.as_bytes(), bearer.as_bytes())
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
            None,
        );
    }
    // Injected faults come before anything else (a flaky front door).
    let mut fail_operation = false;
    if let Some(f) = &em.faults {
        use crate::faults::Fault;
        let draw = crate::state::lock(f).draw_all();
        if let Some(d) = draw.delay {
            tokio::time::sleep(d).await;
        }
        fail_operation = draw.fail_operation;
        match draw.fault {
            Fault::None => {}
            Fault::Dropped => return crate::serve::drop_connection(),
            Fault::Throttled => {
                let mut r = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    "Injected fault: the request was throttled.",
                    None,
                );
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from_static("1"));
                return r;
            }
            Fault::InternalError => {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    "Injected fault: internal server error.",
                    None,
                );
            }
            Fault::Unavailable => {
                return error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "Injected fault: the service is temporarily unavailable.",
                    None,
                );
            }
        }
    }
    // Throttling per subscription and principal (the token stands for it).
    let mut remaining: Option<(crate::throttle::Kind, u32)> = None;
    if let Some(t) = &em.throttle {
        use crate::throttle::{Kind, Take};
        let kind = match *method {
            Method::GET | Method::HEAD => Kind::Read,
            Method::DELETE => Kind::Delete,
            _ => Kind::Write,
        };
        let sub = uri
            .path()
            .split('/')
            .nth(2)
            .filter(|_| {
                uri.path()
                    .to_ascii_lowercase()
                    .starts_with("/subscriptions/")
            })
            .unwrap_or("tenant")
            .to_string();
        let take = crate::state::lock(t).take(&sub, bearer, kind, std::time::Instant::now());
        match take {
            Take::Allowed(left) => remaining = Some((kind, left)),
            Take::Throttled(secs) => {
                let mut r = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "SubscriptionRequestsThrottled",
                    format!(
                        "Number of requests for subscription '{sub}' and operation exceeded the backoff limit. Please try again after '{secs}' seconds."
                    ),
                    None,
                );
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    r.headers_mut().insert("retry-after", v);
                }
                r.headers_mut()
                    .insert(kind.header(), HeaderValue::from_static("0"));
                return r;
            }
        }
    }
    let mut response = route::handle_inner(em, method, uri, body, fail_operation).await;
    if let Some((kind, left)) = remaining
        && let Ok(v) = HeaderValue::from_str(&left.to_string())
    {
        response.headers_mut().insert(kind.header(), v);
    }
    response
}

/// A future whose panic while polling becomes `Err(())` (the handler's
/// answer is then a 500): what `catch_unwind` does for a closure.
struct CatchPanic<F>(std::pin::Pin<Box<F>>);

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, ()>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use std::task::Poll;
        let inner = self.get_mut().0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use super::router;
    use crate::Emulator;

    const RG: &str = "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg";

    async fn call(
        em: &Emulator,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(format!("{path}?api-version=2024-03-01"))
            .header("authorization", "Bearer t")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .unwrap();
        let resp = router(em.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// A panic in another thread while it holds the state lock poisons the
    /// lock; later requests still read and write (and the poison is
    /// cleared), rather than each panicking in turn.
    #[tokio::test]
    async fn a_poisoned_state_lock_does_not_fail_later_requests() {
        let em = Emulator::new();
        let (status, _) = call(&em, "PUT", RG, Some(json!({"location": "westeurope"}))).await;
        assert_eq!(status, StatusCode::CREATED);
        let inner = em.inner.clone();
        let panicked = std::thread::spawn(move || {
            let _guard = inner.lock();
            panic!("a bug while holding the state lock");
        })
        .join();
        assert!(panicked.is_err());
        assert!(em.inner.is_poisoned());
        let (status, body) = call(&em, "GET", RG, None).await;
        assert_eq!(
            (status, body["name"].as_str()),
            (StatusCode::OK, Some("rg"))
        );
        let (status, _) = call(&em, "DELETE", RG, None).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert!(!em.inner.is_poisoned());
        let (status, _) = call(&em, "GET", RG, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    /// A handler that panics holding the state lock (the test-only route
    /// of `route::handle_inner`) answers 500 with ARM's error envelope, and
    /// the next requests are served as usual.
    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_later_requests_are_served() {
        let em = Emulator::new();
        let (status, body) = call(&em, "GET", super::route::TEST_PANIC, None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "InternalServerError");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        let (status, _) = call(&em, "PUT", RG, Some(json!({"location": "westeurope"}))).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, _) = call(&em, "GET", RG, None).await;
        assert_eq!(status, StatusCode::OK);
    }

    /// ARM routes and keys a request on its percent-decoded path: a
    /// diagnostic setting named `Send to all locations` (the
    /// sqlmi-new-vnet-w-diagnostic-settings quickstart's) is written and
    /// read as `.../diagnosticSettings/Send%20to%20all%20locations` and its
    /// body's `id` and `name` carry the name unencoded (the REST reference's
    /// DiagnosticSettings_Get example, monitor/resource-manager/
    /// Microsoft.Insights/.../examples/getDiagnosticSetting.json, URL-encodes
    /// the `{name}` path parameter as every ARM path parameter).
    #[tokio::test]
    async fn a_name_that_needs_escaping_is_read_back_by_its_encoded_path() {
        let em = Emulator::new();
        let (status, _) = call(&em, "PUT", RG, Some(json!({"location": "westeurope"}))).await;
        assert_eq!(status, StatusCode::CREATED);
        let nsg = format!("{RG}/providers/Microsoft.Network/networkSecurityGroups/nsg");
        let (status, _) = call(&em, "PUT", &nsg, Some(json!({"location": "westeurope"}))).await;
        assert!(status.is_success(), "{status}");
        let ws = format!("{RG}/providers/Microsoft.OperationalInsights/workspaces/w");
        let (status, _) = call(&em, "PUT", &ws, Some(json!({"location": "westeurope"}))).await;
        assert!(status.is_success(), "{status}");
        let setting = "providers/Microsoft.Insights/diagnosticSettings";
        let encoded = format!("{nsg}/{setting}/Send%20to%20all%20locations");
        let body = json!({"properties": {"logs": [], "metrics": [],
            "workspaceId": ws}});
        let (status, put) = call(&em, "PUT", &encoded, Some(body)).await;
        assert!(status.is_success(), "{status} {put}");
        let (status, got) = call(&em, "GET", &encoded, None).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert_eq!(got["name"], "Send to all locations");
        assert_eq!(
            got["id"].as_str().unwrap(),
            format!("{nsg}/{setting}/Send to all locations")
        );
    }

    /// `zones` is `string[]` in the providers' API specs (e.g.
    /// network/resource-manager/Microsoft.Network/.../publicIpAddress.json,
    /// compute's Disk `zones`); an `int` zone a template writes (the
    /// sql-vm-new-storage-ultrassd quickstart's `"zone": {"type": "Int"}`)
    /// is read back as a string, as Azure does, so discovery keeps it.
    #[tokio::test]
    async fn an_int_zone_is_read_back_as_a_string() {
        let em = Emulator::new();
        let (status, _) = call(&em, "PUT", RG, Some(json!({"location": "westeurope"}))).await;
        assert_eq!(status, StatusCode::CREATED);
        let pip = format!("{RG}/providers/Microsoft.Network/publicIPAddresses/pip");
        let body = json!({"location": "westeurope", "sku": {"name": "Standard"}, "zones": [2],
            "properties": {"publicIPAllocationMethod": "Static"}});
        let (status, put) = call(&em, "PUT", &pip, Some(body)).await;
        assert!(status.is_success(), "{status} {put}");
        let (status, got) = call(&em, "GET", &pip, None).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert_eq!(got["zones"], json!(["2"]));
    }
}
