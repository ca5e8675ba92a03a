//! [`ArmClient`]: requests with retries, client-side throttling, a
//! concurrency cap and long-running-operation polling.

use crate::auth::{build_credential, process_env};
use crate::config::{ClientOptions, Cloud, Tuning, resolve_endpoint};
use crate::error::{ClientError, from_error_value, is_retryable_status, parse_envelope};
use crate::throttle::{Class, Throttle};
use azure_core::credentials::{AccessToken, TokenCredential};
use azure_core::http::headers::{HeaderName, Headers};
use azure_core::http::{HttpClient, Method, Request, Url};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod lro;
mod resource_graph;

use resource_graph::parse_hms;

/// An ARM client. Cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct ArmClient {
    inner: Arc<Inner>,
}

struct Inner {
    base: Url,
    scope: String,
    http: Arc<dyn HttpClient>,
    credential: Arc<dyn TokenCredential>,
    token: tokio::sync::Mutex<Option<AccessToken>>,
    /// `Auth::Token`: nothing to refresh.
    static_token: bool,
    max_retries: u32,
    min_poll: Duration,
    sem: tokio::sync::Semaphore,
    tuning: Tuning,
    throttle: Throttle,
    stats: Counters,
}

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient")
            .field("endpoint", &self.inner.base.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    server_errors: AtomicU64,
    transport_errors: AtomicU64,
    throttle_waits: AtomicU64,
    throttle_wait_ms: AtomicU64,
    polls: AtomicU64,
}

/// What the client did so far (for progress output, tests and benchmarks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// HTTP requests sent (every attempt and poll).
    pub requests: u64,
    /// Attempts repeated after a retryable failure.
    pub retries: u64,
    /// 429 responses received.
    pub throttled: u64,
    /// 5xx responses received.
    pub server_errors: u64,
    /// Requests that got no response.
    pub transport_errors: u64,
    /// Requests the client-side throttle held back, and for how long in total.
    pub throttle_waits: u64,
    pub throttle_wait_ms: u64,
    /// Long-running-operation status polls.
    pub polls: u64,
}

/// One HTTP exchange's outcome.
struct Resp {
    status: u16,
    headers: Headers,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &'static str) -> Option<&str> {
        self.headers
            .get_optional_str(&HeaderName::from_static(name))
    }

    fn json(&self) -> Option<Value> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            serde_json::from_slice(&self.body).ok()
        }
    }
}

fn is_idempotent(m: &Method) -> bool {
    // ARM's RPC requires PUT, PATCH and DELETE to be idempotent.
    matches!(
        m,
        Method::Get | Method::Head | Method::Put | Method::Patch | Method::Delete
    )
}

fn method_str(m: &Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
        Method::Post => "POST",
        _ => "OTHER",
    }
}

/// Query parameters safe to show in logs and errors; everything else (the
/// signatures of Azure's polling URLs: `t`, `c`, `s`, `h`) is redacted.
const SAFE_QUERY: &[&str] = &[
    "api-version",
    "$top",
    "$filter",
    "$expand",
    "$skipToken",
    "top",
];

/// A URL for logs: scheme, host, path and only harmless query values.
pub fn redact_url(url: &Url) -> String {
    let mut out = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(p) = url.port() {
        out.push_str(&format!(":{p}"));
    }
    out.push_str(url.path());
    for (i, (k, v)) in url.query_pairs().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(&k);
        out.push('=');
        if SAFE_QUERY.iter().any(|s| s.eq_ignore_ascii_case(&k)) {
            out.push_str(&v);
        } else {
            out.push_str("REDACTED");
        }
    }
    out
}

/// The subscription a URL belongs to (the throttle's key); "tenant" otherwise.
fn subscription_of(url: &Url) -> String {
    let mut segs = url.path_segments().into_iter().flatten();
    match (segs.next(), segs.next()) {
        (Some(s), Some(id)) if s.eq_ignore_ascii_case("subscriptions") && !id.is_empty() => {
            id.to_ascii_lowercase()
        }
        _ => "tenant".to_string(),
    }
}

/// `Retry-After` (seconds; HTTP-dates are not used by ARM), or the
/// millisecond variants Azure services also send.
fn retry_after(resp: &Resp) -> Option<Duration> {
    for h in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = resp.header(h).and_then(|v| v.trim().parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    resp.header("retry-after")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        // Resource Graph throttles per user and says when its quota resets
        // (https://learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests).
        .or_else(|| {
            (resp.status == 429)
                .then(|| {
                    resp.header("x-ms-user-quota-resets-after")
                        .and_then(parse_hms)
                })
                .flatten()
        })
}

/// A uniformly random fraction in [0, 1) (fastrand's per-thread generator,
/// seeded from the OS; jitter needs spread, not secrecy).
fn jitter() -> f64 {
    fastrand::f64()
}

impl ArmClient {
    /// Build a client (credential, transport, throttle) with default [`Tuning`].
    pub fn new(opts: ClientOptions) -> Result<ArmClient, ClientError> {
        Self::with_tuning(opts, Tuning::default())
    }

    /// Build a client with finer settings.
    pub fn with_tuning(opts: ClientOptions, tuning: Tuning) -> Result<ArmClient, ClientError> {
        let (base, cloud) = resolve_endpoint(&opts.endpoint)?;
        let http: Arc<dyn HttpClient> = Arc::new(crate::transport::build_http(
            opts.ca_cert.as_deref(),
            &tuning,
        )?);
        let credential = build_credential(&opts.auth, cloud, &http, &process_env)?;
        Ok(Self::assemble(base, cloud, http, credential, &opts, tuning))
    }

    fn assemble(
        base: Url,
        cloud: Cloud,
        http: Arc<dyn HttpClient>,
        credential: Arc<dyn TokenCredential>,
        opts: &ClientOptions,
        tuning: Tuning,
    ) -> ArmClient {
        let origin = match cloud.endpoint() {
            Some(e) => e.trim_end_matches('/').to_string(),
            None => base.as_str().trim_end_matches('/').to_string(),
        };
        ArmClient {
            inner: Arc::new(Inner {
                scope: format!("{origin}/.default"),
                base,
                http,
                credential,
                token: tokio::sync::Mutex::new(None),
                static_token: matches!(opts.auth, crate::Auth::Token(_)),
                max_retries: opts.max_retries,
                min_poll: opts.min_poll,
                sem: tokio::sync::Semaphore::new(opts.max_concurrency.max(1)),
                throttle: Throttle::new(tuning.throttle.clone()),
                tuning,
                stats: Counters::default(),
            }),
        }
    }

    /// The ARM endpoint this client talks to.
    pub fn endpoint(&self) -> &str {
        self.inner.base.as_str()
    }

    /// Counters of what the client did so far.
    pub fn stats(&self) -> Stats {
        let s = &self.inner.stats;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            requests: l(&s.requests),
            retries: l(&s.retries),
            throttled: l(&s.throttled),
            server_errors: l(&s.server_errors),
            transport_errors: l(&s.transport_errors),
            throttle_waits: l(&s.throttle_waits),
            throttle_wait_ms: l(&s.throttle_wait_ms),
            polls: l(&s.polls),
        }
    }

    // ----- public operations -------------------------------------------------

    /// GET a resource; `None` on 404.
    pub async fn get(&self, path: &str, api_version: &str) -> Result<Option<Value>, ClientError> {
        let rid = new_request_id();
        let url = self.url(path, api_version, &rid)?;
        let resp = self.send(Method::Get, &url, None, &rid, false).await?;
        match resp.status {
            404 => Ok(None),
            s if (200..300).contains(&s) => Ok(Some(resp.json().unwrap_or(Value::Null))),
            _ => Err(self.arm_error(&resp, &rid)),
        }
    }

    /// PUT (create or update) and wait for the operation; returns the final resource.
    pub async fn put(
        &self,
        path: &str,
        api_version: &str,
        body: &Value,
    ) -> Result<Value, ClientError> {
        self.write(Method::Put, path, api_version, body).await
    }

    /// PATCH and wait for the operation; returns the final resource.
    pub async fn patch(
        &self,
        path: &str,
        api_version: &str,
        body: &Value,
    ) -> Result<Value, ClientError> {
        self.write(Method::Patch, path, api_version, body).await
    }

    /// DELETE and wait; `Ok(false)` when the resource was already absent (404/204).
    pub async fn delete(&self, path: &str, api_version: &str) -> Result<bool, ClientError> {
        let rid = new_request_id();
        let url = self.url(path, api_version, &rid)?;
        let resp = self.send(Method::Delete, &url, None, &rid, false).await?;
        match resp.status {
            404 | 204 => Ok(false),
            200 => Ok(true),
            201 | 202 => {
                self.poll(&Method::Delete, &url, &resp, &rid).await?;
                Ok(true)
            }
            _ => Err(self.arm_error(&resp, &rid)),
        }
    }

    /// POST an action; waits for a long-running operation if one is started
    /// and returns its result body, if any.
    pub async fn post(
        &self,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, ClientError> {
        let rid = new_request_id();
        let url = self.url(path, api_version, &rid)?;
        let bytes = body.map(|b| b.to_string().into_bytes());
        let resp = self.send(Method::Post, &url, bytes, &rid, false).await?;
        match resp.status {
            202 => self.poll(&Method::Post, &url, &resp, &rid).await,
            s if (200..300).contains(&s) => {
                if resp.header("azure-asyncoperation").is_some() && s == 201 {
                    return self.poll(&Method::Post, &url, &resp, &rid).await;
                }
                Ok(resp.json())
            }
            _ => Err(self.arm_error(&resp, &rid)),
        }
    }

    /// GET a collection, following `nextLink` to the end.
    pub async fn list(&self, path: &str, api_version: &str) -> Result<Vec<Value>, ClientError> {
        let rid = new_request_id();
        let mut url = self.url(path, api_version, &rid)?;
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            if !seen.insert(url.as_str().to_string()) {
                return Err(ClientError::InvalidResponse {
                    message: format!("nextLink loops back to {}", redact_url(&url)),
                    request_id: rid,
                });
            }
            let resp = self.send(Method::Get, &url, None, &rid, false).await?;
            if !(200..300).contains(&resp.status) {
                return Err(self.arm_error(&resp, &rid));
            }
            let body = resp.json().unwrap_or(Value::Null);
            match &body {
                Value::Array(items) => {
                    out.extend(items.iter().cloned());
                    return Ok(out);
                }
                Value::Object(m) => {
                    if let Some(items) = m.get("value").and_then(Value::as_array) {
                        out.extend(items.iter().cloned());
                    } else if m.contains_key("value") || !m.is_empty() {
                        return Err(ClientError::InvalidResponse {
                            message: format!(
                                "{} did not return a list (`value`)",
                                redact_url(&url)
                            ),
                            request_id: rid,
                        });
                    }
                    match m
                        .get("nextLink")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                    {
                        Some(next) => url = self.url(next, "", &rid)?,
                        None => return Ok(out),
                    }
                }
                Value::Null => return Ok(out),
                _ => {
                    return Err(ClientError::InvalidResponse {
                        message: format!("{} did not return a list", redact_url(&url)),
                        request_id: rid,
                    });
                }
            }
        }
    }

    // ----- internals ----------------------------------------------------------

    /// Build the URL of `path` (an ARM path or a full URL on this endpoint),
    /// adding `api-version` unless the URL already has one.
    fn url(&self, path: &str, api_version: &str, rid: &str) -> Result<Url, ClientError> {
        let base = &self.inner.base;
        let mut url = if path.starts_with("https://") || path.starts_with("http://") {
            let u = Url::parse(path).map_err(|e| ClientError::Config(format!("bad URL: {e}")))?;
            if u.scheme() != base.scheme()
                || u.host_str() != base.host_str()
                || u.port_or_known_default() != base.port_or_known_default()
            {
                return Err(ClientError::InvalidResponse {
                    message: format!(
                        "refusing to send the token to {} (not the ARM endpoint {})",
                        redact_url(&u),
                        redact_url(base)
                    ),
                    request_id: rid.to_string(),
                });
            }
            u
        } else {
            let p = path.trim_start_matches('/');
            let joined = format!("{}/{p}", base.as_str().trim_end_matches('/'));
            Url::parse(&joined)
                .map_err(|e| ClientError::Config(format!("bad ARM path '{path}': {e}")))?
        };
        let has = url
            .query_pairs()
            .any(|(k, _)| k.eq_ignore_ascii_case("api-version"));
        if !has && !api_version.is_empty() {
            url.query_pairs_mut()
                .append_pair("api-version", api_version);
        }
        Ok(url)
    }

    async fn sleep(&self, d: Duration) {
        let d = self.inner.tuning.scaled(d);
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }

    async fn bearer(&self) -> Result<String, ClientError> {
        let mut cached = self.inner.token.lock().await;
        if let Some(t) = cached.as_ref()
            && t.expires_on - azure_core::time::OffsetDateTime::now_utc()
                > azure_core::time::Duration::minutes(5)
        {
            return Ok(format!("Bearer {}", t.token.secret()));
        }
        let t = self
            .inner
            .credential
            .get_token(&[self.inner.scope.as_str()], None)
            .await
            .map_err(|e| ClientError::Auth(e.to_string()))?;
        let header = format!("Bearer {}", t.token.secret());
        *cached = Some(t);
        Ok(header)
    }

    fn arm_error(&self, resp: &Resp, rid: &str) -> ClientError {
        let (code, message, target) = parse_envelope(resp.status, &resp.body);
        ClientError::Arm {
            status: resp.status,
            code,
            message,
            target,
            request_id: rid.to_string(),
        }
    }

    /// Send with retries, throttling and the concurrency cap. Returns the
    /// last response (whatever its status) or a transport error.
    async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
        rid: &str,
        safe: bool,
    ) -> Result<Resp, ClientError> {
        let inner = &self.inner;
        let m = method_str(&method);
        let class = Class::of(m);
        let sub = subscription_of(url);
        let retry_5xx = safe || is_idempotent(&method);
        let shown = redact_url(url);
        let mut attempt: u32 = 0;
        let mut reauthenticated = false;
        loop {
            let wait = inner.throttle.acquire(&sub, class, Instant::now());
            if !wait.is_zero() {
                inner.stats.throttle_waits.fetch_add(1, Ordering::Relaxed);
                inner
                    .stats
                    .throttle_wait_ms
                    .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
                tracing::debug!(request_id = %rid, subscription = %sub, wait_ms = wait.as_millis() as u64, "client-side throttle: pacing");
                tokio::time::sleep(wait).await;
            }
            let auth = self.bearer().await?;
            let mut req = Request::new(url.clone(), method);
            req.insert_header("authorization", auth);
            req.insert_header("x-ms-client-request-id", rid.to_string());
            req.insert_header("accept", "application/json");
            if let Some(b) = &body {
                req.insert_header("content-type", "application/json");
                req.set_body(b.clone());
            }
            inner.stats.requests.fetch_add(1, Ordering::Relaxed);
            let outcome = {
                let _permit = inner
                    .sem
                    .acquire()
                    .await
                    .map_err(|_| ClientError::Config("client closed".into()))?;
                match inner.http.execute_request(&req).await {
                    Ok(r) => {
                        let (status, headers, b) = r.deconstruct();
                        match b.collect().await {
                            Ok(bytes) => Ok(Resp {
                                status: u16::from(status),
                                headers,
                                body: bytes.to_vec(),
                            }),
                            Err(e) => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                }
            };
            drop(req);
            let can_retry = attempt < inner.max_retries;
            match outcome {
                Ok(resp) => {
                    let now = Instant::now();
                    for c in Class::ALL {
                        for h in c.headers() {
                            if let Some(n) =
                                resp.header(h).and_then(|v| v.trim().parse::<f64>().ok())
                            {
                                inner.throttle.observe_remaining(&sub, c, n, now);
                            }
                        }
                    }
                    tracing::debug!(method = m, url = %shown, request_id = %rid, attempt, status = resp.status, "ARM response");
                    // An expired or revoked token (a run lasts hours): get a
                    // new one and send again, once. The request was refused
                    // before any processing, so this is safe for any method.
                    if resp.status == 401 && !reauthenticated && !inner.static_token {
                        reauthenticated = true;
                        *inner.token.lock().await = None;
                        tracing::info!(request_id = %rid, "401 from ARM: refreshing the token and sending again");
                        continue;
                    }
                    let st = resp.status;
                    if st == 429 {
                        inner.stats.throttled.fetch_add(1, Ordering::Relaxed);
                    } else if st >= 500 {
                        inner.stats.server_errors.fetch_add(1, Ordering::Relaxed);
                    }
                    // 429 means the request was not processed: safe for any method.
                    let retryable =
                        is_retryable_status(st) && (st == 429 || st == 408 || retry_5xx);
                    if !(retryable && can_retry) {
                        return Ok(resp);
                    }
                    let asked = retry_after(&resp).map(|d| d.min(inner.tuning.max_retry_after));
                    if st == 429 {
                        // Every request to this subscription's bucket waits
                        // what ARM asked for, not only this one.
                        let block = inner.tuning.scaled(asked.unwrap_or(Duration::from_secs(1)));
                        inner.throttle.observe_throttled(&sub, class, block, now);
                    }
                    let delay = asked.unwrap_or_else(|| self.backoff(attempt));
                    let (code, _, _) = parse_envelope(st, &resp.body);
                    tracing::warn!(method = m, url = %shown, request_id = %rid, attempt, status = st, code = %code, delay_ms = delay.as_millis() as u64, "retrying");
                    inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                    self.sleep(delay).await;
                }
                Err(e) => {
                    inner.stats.transport_errors.fetch_add(1, Ordering::Relaxed);
                    // A connection that never opened carried nothing: safe to resend.
                    let not_sent = matches!(e.kind(), azure_core::error::ErrorKind::Connection);
                    let message = format!("{m} {shown}: {}", error_chain(&e));
                    // An untrusted certificate stays untrusted: no retry.
                    if !(can_retry && (retry_5xx || not_sent))
                        || crate::error::is_trust_failure(&message)
                    {
                        return Err(ClientError::Transport {
                            message,
                            request_id: rid.to_string(),
                        });
                    }
                    let delay = self.backoff(attempt);
                    tracing::warn!(method = m, url = %shown, request_id = %rid, attempt, error = %error_chain(&e), delay_ms = delay.as_millis() as u64, "transport error; retrying");
                    inner.stats.retries.fetch_add(1, Ordering::Relaxed);
                    self.sleep(delay).await;
                }
            }
            attempt += 1;
        }
    }

    /// Exponential backoff with jitter: a random delay in [½, 1] × min(cap, base × 2^attempt).
    fn backoff(&self, attempt: u32) -> Duration {
        let t = &self.inner.tuning;
        let exp = t.initial_backoff.saturating_mul(1u32 << attempt.min(20));
        let d = exp.min(t.max_backoff);
        d.mul_f64(0.5 + 0.5 * jitter())
    }
}

/// An error and its sources, joined (TLS causes sit deep in the chain).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        cur = s.source();
    }
    out
}

fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_polling_signatures() {
        let u = Url::parse("https://management.azure.com/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/abc?api-version=2024-03-01&t=638&c=MIIHSECRET&s=SIG&h=HASH").unwrap();
        let r = redact_url(&u);
        assert!(r.contains("api-version=2024-03-01"));
        assert!(
            !r.contains("SECRET") && !r.contains("SIG") && !r.contains("HASH"),
            "{r}"
        );
    }

    #[test]
    fn subscription_key_and_hms() {
        let u = Url::parse("https://x/subscriptions/ABC/resourceGroups/rg?api-version=1").unwrap();
        assert_eq!(subscription_of(&u), "abc");
        let u = Url::parse("https://x/providers/Microsoft.ResourceGraph/resources").unwrap();
        assert_eq!(subscription_of(&u), "tenant");
        assert_eq!(parse_hms("00:00:05"), Some(Duration::from_secs(5)));
        assert_eq!(parse_hms("01:02:03"), Some(Duration::from_secs(3723)));
        assert_eq!(parse_hms("x"), None);
    }

    #[derive(Debug)]
    struct Counting(std::sync::atomic::AtomicUsize);

    #[async_trait::async_trait]
    impl TokenCredential for Counting {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<azure_core::credentials::TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(AccessToken::new(
                azure_core::credentials::Secret::from(format!("token-{n}")),
                azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
            ))
        }
    }

    #[tokio::test]
    async fn a_401_refreshes_the_token_once() {
        // The server accepts only the second token.
        let app = axum::Router::new().fallback(|h: axum::http::HeaderMap| async move {
            if h["authorization"] == "Bearer token-2" {
                (axum::http::StatusCode::OK, axum::Json(json!({"ok": true})))
            } else {
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"error": {"code": "ExpiredAuthenticationToken", "message": "expired"}})),
                )
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let opts = ClientOptions {
            endpoint: url.clone(),
            ..ClientOptions::default()
        };
        let (base, cloud) = resolve_endpoint(&url).unwrap();
        let tuning = Tuning::default();
        let http: Arc<dyn HttpClient> =
            Arc::new(crate::transport::build_http(None, &tuning).unwrap());
        let cred = Arc::new(Counting(std::sync::atomic::AtomicUsize::new(0)));
        let c = ArmClient::assemble(base, cloud, http, cred.clone(), &opts, tuning);
        assert_eq!(c.get("/x", "1").await.unwrap(), Some(json!({"ok": true})));
        assert_eq!(cred.0.load(Ordering::SeqCst), 2);
        // A token that keeps being refused: one refresh, then the 401 surfaces.
        let e = c.get("/y", "1").await;
        assert!(e.is_ok(), "token-2 is cached and accepted");
        *c.inner.token.lock().await = None;
        let e = c.get("/z", "1").await.unwrap_err();
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.code(), Some("ExpiredAuthenticationToken"));
        assert_eq!(
            cred.0.load(Ordering::SeqCst),
            4,
            "exactly one refresh per call"
        );
    }
}
