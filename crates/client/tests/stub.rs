//! The client against scripted ARM stubs: long-running operations that
//! report InProgress before Succeeded / Failed / Canceled, Location polling,
//! POST results, nextLink paging, request ids, and the token never appearing
//! in logs or errors.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use azrelo_client::{ArmClient, ClientError, ClientOptions, Tuning};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A scripted endpoint: per path, a queue of (status, headers, body); the
/// last entry repeats. Every request is recorded.
/// One scripted answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, String)>, Value);

#[derive(Clone, Default)]
struct Stub {
    script: Arc<Mutex<HashMap<String, Vec<Answer>>>>,
    seen: Arc<Mutex<Vec<(String, String, HeaderMap)>>>,
}

impl Stub {
    fn on(
        &self,
        method: &str,
        path: &str,
        status: u16,
        headers: &[(&'static str, &str)],
        body: Value,
    ) -> &Self {
        self.script
            .lock()
            .unwrap()
            .entry(format!("{method} {path}"))
            .or_default()
            .push((
                status,
                headers.iter().map(|(k, v)| (*k, v.to_string())).collect(),
                body,
            ));
        self
    }

    fn seen(&self) -> Vec<(String, String, HeaderMap)> {
        self.seen.lock().unwrap().clone()
    }
}

async fn answer(State(stub): State<Stub>, req: Request) -> Response {
    let key = format!("{} {}", req.method(), req.uri().path());
    stub.seen.lock().unwrap().push((
        req.method().to_string(),
        req.uri().to_string(),
        req.headers().clone(),
    ));
    let mut script = stub.script.lock().unwrap();
    let Some(q) = script.get_mut(&key) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": {"code": "NotScripted", "message": key}})),
        )
            .into_response();
    };
    let (status, headers, body) = if q.len() > 1 {
        q.remove(0)
    } else {
        q[0].clone()
    };
    let mut r = if body.is_null() {
        StatusCode::from_u16(status).unwrap().into_response()
    } else {
        (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
    };
    for (k, v) in headers {
        r.headers_mut()
            .insert(k, HeaderValue::from_str(&v).unwrap());
    }
    r
}

async fn serve(stub: &Stub) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().fallback(answer).with_state(stub.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn client(url: &str, token: &str) -> ArmClient {
    let t = Tuning {
        time_scale: 0.01,
        ..Tuning::default()
    };
    ArmClient::with_tuning(ClientOptions::emulator(url, token, None), t).unwrap()
}

const RES: &str =
    "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1";
const OP: &str =
    "/subscriptions/s1/providers/Microsoft.Storage/locations/westeurope/asyncoperations/op1";

#[tokio::test]
async fn put_polls_azure_async_operation_in_progress_then_succeeded_then_gets_the_resource() {
    let stub = Stub::default();
    let url = serve(&stub).await;
    let op = format!("{url}{OP}?api-version=2023-01-01&t=1&s=SIGNATURE");
    stub.on(
        "PUT",
        RES,
        201,
        &[
            ("azure-asyncoperation", &op),
            ("location", "/ignored"),
            ("retry-after", "1"),
        ],
        json!({"properties": {"provisioningState": "Creating"}}),
    )
    .on(
        "GET",
        OP,
        200,
        &[("retry-after", "1")],
        json!({"status": "InProgress"}),
    )
    .on("GET", OP, 200, &[], json!({"status": "InProgress"}))
    .on("GET", OP, 200, &[], json!({"status": "Succeeded"}))
    .on(
        "GET",
        RES,
        200,
        &[],
        json!({"id": RES, "properties": {"provisioningState": "Succeeded"}}),
    );
    let c = client(&url, "tok");
    let v = c
        .put(RES, "2023-01-01", &json!({"location": "westeurope"}))
        .await
        .unwrap();
    assert_eq!(v["properties"]["provisioningState"], "Succeeded");
    let seen = stub.seen();
    let kinds: Vec<String> = seen
        .iter()
        .map(|(m, u, _)| format!("{m} {}", u.split('?').next().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            format!("PUT {RES}"),
            format!("GET {OP}"),
            format!("GET {OP}"),
            format!("GET {OP}"),
            format!("GET {RES}")
        ]
    );
    // One x-ms-client-request-id for the whole logical call.
    let ids: std::collections::BTreeSet<_> = seen
        .iter()
        .map(|(_, _, h)| h["x-ms-client-request-id"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1);
    // The polling URL was used as given (its api-version not doubled).
    assert!(
        seen[1]
            .1
            .ends_with("api-version=2023-01-01&t=1&s=SIGNATURE"),
        "{}",
        seen[1].1
    );
}

#[tokio::test]
async fn failed_and_canceled_operations_are_operation_failed_with_arms_error() {
    let stub = Stub::default();
    let url = serve(&stub).await;
    let op = format!("{url}{OP}?api-version=2023-01-01");
    stub.on("PUT", RES, 201, &[("azure-asyncoperation", &op)], json!({}))
        .on("GET", OP, 200, &[], json!({"status": "InProgress"}))
        .on("GET", OP, 200, &[], json!({"status": "Failed", "error": {"code": "StorageAccountQuotaExceeded", "message": "quota", "target": "st1"}}));
    let c = client(&url, "tok");
    let e = c.put(RES, "2023-01-01", &json!({})).await.unwrap_err();
    match &e {
        ClientError::OperationFailed {
            code,
            message,
            request_id,
        } => {
            assert_eq!(code, "StorageAccountQuotaExceeded");
            assert!(
                message.contains("quota") && message.contains("st1"),
                "{message}"
            );
            assert_eq!(request_id.len(), 36);
        }
        other => panic!("{other:?}"),
    }
    let stub = Stub::default();
    let url = serve(&stub).await;
    let op = format!("{url}{OP}");
    stub.on(
        "DELETE",
        RES,
        202,
        &[("azure-asyncoperation", &op)],
        Value::Null,
    )
    .on("GET", OP, 200, &[], json!({"status": "Canceled"}));
    let e = client(&url, "tok")
        .delete(RES, "2023-01-01")
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("Canceled"), "{e}");
}

#[tokio::test]
async fn location_polling_for_delete_and_post_results() {
    let stub = Stub::default();
    let url = serve(&stub).await;
    let loc = "/subscriptions/s1/providers/Microsoft.Storage/operationresults/r1";
    stub.on(
        "DELETE",
        RES,
        202,
        &[("location", loc), ("retry-after", "0")],
        Value::Null,
    )
    .on("GET", loc, 202, &[], Value::Null)
    .on("GET", loc, 204, &[], Value::Null);
    let c = client(&url, "tok");
    assert!(c.delete(RES, "2023-01-01").await.unwrap());
    let action = format!("{RES}/listKeys");
    let loc2 = "/subscriptions/s1/providers/Microsoft.Storage/operationresults/r2";
    stub.on("POST", &action, 202, &[("location", loc2)], Value::Null)
        .on("GET", loc2, 202, &[], Value::Null)
        .on(
            "GET",
            loc2,
            200,
            &[],
            json!({"keys": [{"keyName": "key1"}]}),
        );
    let r = c.post(&action, "2023-01-01", None).await.unwrap().unwrap();
    assert_eq!(r["keys"][0]["keyName"], "key1");
    // A synchronous POST: 200 with the body, 204 without.
    let sync = format!("{RES}/regenerateKey");
    stub.on("POST", &sync, 200, &[], json!({"ok": true}));
    assert_eq!(
        c.post(&sync, "2023-01-01", Some(&json!({"keyName": "key1"})))
            .await
            .unwrap(),
        Some(json!({"ok": true}))
    );
}

#[tokio::test]
async fn put_without_headers_polls_provisioning_state() {
    let stub = Stub::default();
    let url = serve(&stub).await;
    stub.on(
        "PUT",
        RES,
        201,
        &[],
        json!({"properties": {"provisioningState": "Accepted"}}),
    )
    .on(
        "GET",
        RES,
        200,
        &[],
        json!({"properties": {"provisioningState": "Updating"}}),
    )
    .on(
        "GET",
        RES,
        200,
        &[],
        json!({"properties": {"provisioningState": "Succeeded"}, "v": 2}),
    );
    let c = client(&url, "tok");
    let v = c.put(RES, "2023-01-01", &json!({})).await.unwrap();
    assert_eq!(v["v"], 2);
}

#[tokio::test]
async fn list_follows_next_link_and_refuses_foreign_hosts() {
    let stub = Stub::default();
    let url = serve(&stub).await;
    let p = "/subscriptions/s1/resourceGroups/rg/resources";
    let next = format!(
        "{url}/subscriptions/s1/resourceGroups/rg/resources2?api-version=2023-01-01&%24skiptoken=abc"
    );
    stub.on(
        "GET",
        p,
        200,
        &[],
        json!({"value": [{"id": "a"}, {"id": "b"}], "nextLink": next}),
    )
    .on(
        "GET",
        "/subscriptions/s1/resourceGroups/rg/resources2",
        200,
        &[],
        json!({"value": [{"id": "c"}]}),
    );
    let c = client(&url, "tok");
    let all = c.list(p, "2023-01-01").await.unwrap();
    assert_eq!(
        all.iter()
            .map(|v| v["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    // A nextLink to another host would carry the token away: refused.
    let p2 = "/subscriptions/s1/resourceGroups/rg2/resources";
    stub.on(
        "GET",
        p2,
        200,
        &[],
        json!({"value": [], "nextLink": "https://evil.example.com/x"}),
    );
    let e = c.list(p2, "2023-01-01").await.unwrap_err();
    assert!(e.to_string().contains("refusing"), "{e}");
    assert_eq!(
        stub.seen()
            .iter()
            .filter(|(_, u, _)| u.contains("evil"))
            .count(),
        0
    );
}

#[tokio::test]
async fn post_is_not_resent_after_a_500_but_is_after_a_429() {
    let stub = Stub::default();
    let url = serve(&stub).await;
    let action = format!("{RES}/failover");
    stub.on(
        "POST",
        &action,
        500,
        &[],
        json!({"error": {"code": "InternalServerError", "message": "boom"}}),
    );
    let c = client(&url, "tok");
    let e = c.post(&action, "2023-01-01", None).await.unwrap_err();
    assert_eq!(e.status(), Some(500));
    assert_eq!(
        stub.seen().len(),
        1,
        "a non-idempotent POST is not repeated after a 500"
    );
    let a2 = format!("{RES}/restart");
    stub.on(
        "POST",
        &a2,
        429,
        &[("retry-after", "1")],
        json!({"error": {"code": "TooManyRequests", "message": "slow"}}),
    )
    .on("POST", &a2, 200, &[], json!({"done": true}));
    assert_eq!(
        c.post(&a2, "2023-01-01", None).await.unwrap(),
        Some(json!({"done": true}))
    );
}

/// A tracing writer into a shared buffer.
#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_token_never_appears_in_logs_or_errors_and_request_ids_do() {
    const CANARY: &str = "CANARY-eyJ0eXAiOiJKV1Qi-SECRET-TOKEN";
    let buf = Buf::default();
    let w = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || w.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let stub = Stub::default();
    let url = serve(&stub).await;
    let op = format!("{url}{OP}?api-version=1&sig={CANARY}");
    stub.on("PUT", RES, 201, &[("azure-asyncoperation", &op)], json!({}))
        .on(
            "GET",
            OP,
            503,
            &[],
            json!({"error": {"code": "ServiceUnavailable", "message": "later"}}),
        )
        .on(
            "GET",
            OP,
            200,
            &[],
            json!({"status": "Failed", "error": {"code": "Boom", "message": "no"}}),
        );
    let c = client(&url, CANARY);
    let e = c.put(RES, "2023-01-01", &json!({})).await.unwrap_err();
    stub.on(
        "GET",
        "/subscriptions/s1/bad",
        400,
        &[],
        json!({"error": {"code": "InvalidApiVersionParameter", "message": "bad"}}),
    );
    let e2 = c.get("/subscriptions/s1/bad", "1").await.unwrap_err();
    // The token did reach the server…
    let seen = stub.seen();
    assert_eq!(
        seen[0].2["authorization"].to_str().unwrap(),
        format!("Bearer {CANARY}")
    );
    // …but not the logs, the errors, or the client's Debug.
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("retrying"), "logs were captured: {logs}");
    for text in [
        logs.clone(),
        e.to_string(),
        format!("{e:?}"),
        e2.to_string(),
        format!("{c:?}"),
    ] {
        assert!(!text.contains(CANARY), "token leaked into: {text}");
    }
    // The request id of the failed call is in its error and in the logs.
    let rid = e.request_id().unwrap();
    assert!(logs.contains(rid), "{rid} not logged");
    let opts = ClientOptions::emulator(&url, CANARY, None);
    assert!(!format!("{opts:?}").contains(CANARY));
}

#[tokio::test]
async fn in_flight_requests_never_exceed_max_concurrency() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let now = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let (n2, m2) = (now.clone(), max.clone());
    let app = Router::new().fallback(move || {
        let (now, max) = (n2.clone(), m2.clone());
        async move {
            let cur = now.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(cur, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            now.fetch_sub(1, Ordering::SeqCst);
            axum::Json(json!({"id": "x"}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut o = ClientOptions::emulator(&url, "t", None);
    o.max_concurrency = 3;
    let c = ArmClient::new(o).unwrap();
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move { c.get(&format!("/subscriptions/s/r{i}"), "1").await })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap().unwrap().is_some());
    }
    let m = max.load(Ordering::SeqCst);
    assert!((1..=3).contains(&m), "max in flight {m}");
}

#[tokio::test]
async fn resource_graph_quota_throttling_is_waited_out_and_pages_follow_skip_token() {
    let stub = Stub::default();
    let url = serve(&stub).await;
    let p = "/providers/Microsoft.ResourceGraph/resources";
    // Resource Graph's own throttling: 429 with the quota reset time.
    stub.on(
        "POST",
        p,
        429,
        &[("x-ms-user-quota-remaining", "0"), ("x-ms-user-quota-resets-after", "00:00:01")],
        json!({"error": {"code": "RateLimiting", "message": "quota"}}),
    )
    .on(
        "POST",
        p,
        200,
        &[],
        json!({"totalRecords": 3, "count": 2, "data": [{"id": "/a"}, {"id": "/b"}], "$skipToken": "tok2"}),
    )
    .on("POST", p, 200, &[], json!({"totalRecords": 3, "count": 1, "data": [{"id": "/c"}]}));
    let c = client(&url, "tok");
    let rows = c.resource_graph(&["s1".into()], "resources").await.unwrap();
    assert_eq!(rows.len(), 3);
    let seen = stub.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(c.stats().throttled, 1);
}

#[tokio::test]
async fn a_low_remaining_count_from_arm_slows_the_next_requests() {
    let stub = Stub::default();
    let url = serve(&stub).await;
    let p = "/subscriptions/s9/resourceGroups/rg";
    // The subscription's global bucket (all principals) is nearly empty.
    stub.on(
        "GET",
        p,
        200,
        &[
            ("x-ms-ratelimit-remaining-subscription-reads", "240"),
            ("x-ms-ratelimit-remaining-subscription-global-reads", "24"),
        ],
        json!({"id": p}),
    );
    let c = client(&url, "tok");
    c.get(p, "1").await.unwrap();
    assert_eq!(c.stats().throttle_waits, 0);
    c.get(p, "1").await.unwrap();
    assert_eq!(c.stats().throttle_waits, 1, "paced below the reserve");
    assert_eq!(c.stats().throttled, 0);
}

#[tokio::test]
async fn an_operation_that_never_ends_times_out_instead_of_waiting_forever() {
    let stub = Stub::default();
    let url = serve(&stub).await;
    let op = format!("{url}{OP}");
    // InProgress forever (the last scripted answer repeats).
    stub.on("PUT", RES, 201, &[("azure-asyncoperation", &op)], json!({}))
        .on(
            "GET",
            OP,
            200,
            &[("retry-after", "1")],
            json!({"status": "InProgress"}),
        );
    let t = Tuning {
        time_scale: 0.01,
        // 60 s of operation time, i.e. 0.6 s at this time scale.
        operation_timeout: std::time::Duration::from_secs(60),
        ..Tuning::default()
    };
    let c = ArmClient::with_tuning(ClientOptions::emulator(&url, "tok", None), t).unwrap();
    let e = c.put(RES, "2023-01-01", &json!({})).await.unwrap_err();
    assert_eq!(e.code(), Some("OperationTimedOut"), "{e}");
    assert!(e.to_string().contains("may still be running"), "{e}");
    // It kept polling until the deadline (Retry-After 1 s, i.e. 10 ms here).
    let polls = stub.seen().iter().filter(|(m, _, _)| m == "GET").count();
    assert!(polls >= 5, "{polls} polls");
}
