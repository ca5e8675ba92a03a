//! The client against the real emulator, served in-process on 127.0.0.1:0
//! (`azrelo_testkit::Served`) over plain HTTP and HTTPS, including injected
//! faults and ARM's throttling.

use azrelo_client::{ArmClient, ClientError, ClientOptions, Tuning};
use azrelo_emulator::Emulator;
use azrelo_emulator::faults::FaultSpec;
use azrelo_testkit::{Served, Transport};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-0000000000c1";
const API: &str = "2023-01-01";

/// Retry-After honoured, scaled ×0.01 so an injected `Retry-After: 1` costs 10 ms.
fn fast() -> Tuning {
    Tuning {
        time_scale: 0.01,
        ..Tuning::default()
    }
}

fn client(endpoint: &str) -> ArmClient {
    ArmClient::with_tuning(
        ClientOptions::emulator(endpoint, "test-token", None),
        fast(),
    )
    .unwrap()
}

fn rg(name: &str) -> String {
    format!("{SUB}/resourceGroups/{name}")
}

fn vnet(rg_name: &str, name: &str) -> (String, Value) {
    (
        format!(
            "{}/providers/Microsoft.Network/virtualNetworks/{name}",
            rg(rg_name)
        ),
        json!({"location": "westeurope", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}}}),
    )
}

#[tokio::test]
async fn put_get_list_delete_round_trip_with_long_running_operations() {
    let served = Served::start(Emulator::new(), Transport::Http).await;
    let url = served.endpoint.clone();
    let c = client(&url);
    let g = c
        .put(&rg("rg1"), API, &json!({"location": "westeurope"}))
        .await
        .unwrap();
    assert_eq!(g["name"], "rg1");
    let (id, body) = vnet("rg1", "vnet1");
    // The emulator answers 201 + Azure-AsyncOperation; put() polls it and GETs the result.
    let v = c.put(&id, API, &body).await.unwrap();
    assert_eq!(
        v["id"].as_str().unwrap().to_ascii_lowercase(),
        id.to_ascii_lowercase()
    );
    assert_eq!(v["location"], "westeurope");
    assert!(c.stats().polls >= 1, "{:?}", c.stats());
    let got = c.get(&id, API).await.unwrap().expect("exists");
    assert_eq!(
        got["properties"]["addressSpace"],
        body["properties"]["addressSpace"]
    );
    let listed = c
        .list(&format!("{}/resources", rg("rg1")), API)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let groups = c.list(&format!("{SUB}/resourcegroups"), API).await.unwrap();
    // (Azure, and the emulator, may add NetworkWatcherRG next to a VNet.)
    assert!(groups.iter().any(|g| g["name"] == "rg1"), "{groups:#?}");
    // PATCH (tags).
    let p = c
        .patch(&id, API, &json!({"tags": {"env": "test"}}))
        .await
        .unwrap();
    assert_eq!(p["tags"]["env"], "test");
    // DELETE: 202 + polling → true; again → 204 → false; then GET → None.
    assert!(c.delete(&id, API).await.unwrap());
    assert!(!c.delete(&id, API).await.unwrap());
    assert_eq!(c.get(&id, API).await.unwrap(), None);
}

#[tokio::test]
async fn arm_errors_carry_code_status_and_request_id() {
    let served = Served::start(Emulator::new(), Transport::Http).await;
    let url = served.endpoint.clone();
    let c = client(&url);
    let (id, body) = vnet("missing-rg", "v");
    let e = c.put(&id, API, &body).await.unwrap_err();
    match &e {
        ClientError::Arm {
            status,
            code,
            request_id,
            ..
        } => {
            assert_eq!(*status, 404);
            assert_eq!(code, "ResourceGroupNotFound");
            assert!(uuid_like(request_id), "{request_id}");
        }
        other => panic!("expected an ARM error, got {other:?}"),
    }
    assert!(!e.is_retryable());
    assert!(e.to_string().contains("ResourceGroupNotFound"), "{e}");
    // A provider the emulator does not know: NoRegisteredProviderFound-like 4xx, not retried.
    let before = c.stats().retries;
    let _ = c.get(&format!("{SUB}/providers/Microsoft.Nope"), API).await;
    assert_eq!(c.stats().retries, before, "4xx is not retried");
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn injected_429_500_503_are_retried_to_success() {
    // 30% of all requests fail; the client retries every one of them.
    let spec = FaultSpec::parse("429=0.1,500=0.1,503=0.1,seed=11").unwrap();
    let served = Served::start(Emulator::new().with_faults(spec), Transport::Http).await;
    let url = served.endpoint.clone();
    let c = client(&url);
    c.put(&rg("rg-f"), API, &json!({"location": "westeurope"}))
        .await
        .unwrap();
    for i in 0..20 {
        let (id, body) = vnet("rg-f", &format!("v{i}"));
        c.put(&id, API, &body).await.unwrap();
        assert!(c.get(&id, API).await.unwrap().is_some());
    }
    let all = c
        .list(&format!("{}/resources", rg("rg-f")), API)
        .await
        .unwrap();
    assert_eq!(all.len(), 20);
    let s = c.stats();
    assert!(
        s.retries > 0 && s.throttled > 0 && s.server_errors > 0,
        "{s:?}"
    );
}

#[tokio::test]
async fn retries_are_bounded_and_the_last_error_is_reported() {
    // Every request fails with 503: after max_retries the ARM error surfaces.
    let spec = FaultSpec::parse("503=1,seed=1").unwrap();
    let served = Served::start(Emulator::new().with_faults(spec), Transport::Http).await;
    let url = served.endpoint.clone();
    let mut o = ClientOptions::emulator(&url, "t", None);
    o.max_retries = 3;
    let c = ArmClient::with_tuning(o, fast()).unwrap();
    let e = c.get(&rg("x"), API).await.unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(e.code(), Some("ServiceUnavailable"));
    assert!(e.is_retryable());
    assert_eq!(c.stats().requests, 4, "1 attempt + 3 retries");
}

#[tokio::test]
async fn client_side_buckets_stay_under_arms_throttle() {
    // The emulator throttles like ARM (reads: 250 burst, 25/s). 300 reads
    // through the client's own buckets (same shape, 10% reserve) never see a 429.
    let served = Served::start(Emulator::new().with_throttling(true), Transport::Http).await;
    let url = served.endpoint.clone();
    let c = client(&url);
    c.put(&rg("rg-t"), API, &json!({"location": "westeurope"}))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..300 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { c.get(&rg("rg-t"), API).await }));
    }
    for t in tasks {
        assert!(t.await.unwrap().unwrap().is_some());
    }
    let s = c.stats();
    assert_eq!(s.throttled, 0, "{s:?}");
    assert!(s.throttle_waits > 0, "the client paced itself: {s:?}");
}

#[tokio::test]
async fn without_client_buckets_arms_429s_are_retried_after_retry_after() {
    let served = Served::start(Emulator::new().with_throttling(true), Transport::Http).await;
    let url = served.endpoint.clone();
    let mut t = Tuning::default();
    t.throttle.enabled = false;
    let c =
        ArmClient::with_tuning(ClientOptions::emulator(&url, "other-principal", None), t).unwrap();
    c.put(&rg("rg-u"), API, &json!({"location": "westeurope"}))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..270 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move { c.get(&rg("rg-u"), API).await }));
    }
    for t in tasks {
        assert!(t.await.unwrap().unwrap().is_some());
    }
    let s = c.stats();
    assert!(s.throttled > 0 && s.retries >= s.throttled, "{s:?}");
}

#[tokio::test]
async fn resource_graph_pages_with_skip_token() {
    let em = Emulator::new();
    let n = em.seed((0..2300).map(|i| vnet(&format!("rg{}", i % 7), &format!("v{i:04}"))));
    assert_eq!(n, 2300);
    let served = Served::start(em, Transport::Http).await;
    let url = served.endpoint.clone();
    let c = client(&url);
    let sub = SUB.rsplit('/').next().unwrap().to_string();
    let rows = c.resource_graph(&[sub], "resources").await.unwrap();
    let ids: BTreeSet<String> = rows
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    assert_eq!(rows.len(), 2300);
    assert_eq!(ids.len(), 2300, "no row twice across pages");
    let groups = c.resource_graph(&[], "resourcecontainers").await.unwrap();
    assert_eq!(groups.len(), 7);
}

#[tokio::test]
async fn operations_in_progress_are_polled_until_they_end() {
    // Latency profile "fast": ARM's realistic durations ×0.05, so the
    // operation reports InProgress for a while before Succeeded.
    let profile = azrelo_emulator::latency::LatencyProfile::parse("fast").unwrap();
    let served = Served::start(Emulator::new().with_latency(profile), Transport::Http).await;
    let url = served.endpoint.clone();
    let c = client(&url);
    c.put(&rg("rg-l"), API, &json!({"location": "westeurope"}))
        .await
        .unwrap();
    let (id, body) = vnet("rg-l", "v1");
    let v = c.put(&id, API, &body).await.unwrap();
    assert_eq!(v["properties"]["provisioningState"], "Succeeded", "{v}");
    assert!(c.delete(&id, API).await.unwrap());
    assert_eq!(c.get(&id, API).await.unwrap(), None);
}

#[tokio::test]
async fn a_failed_operation_is_operation_failed() {
    let spec = FaultSpec::parse("lro-fail=1,seed=2").unwrap();
    let served = Served::start(Emulator::new().with_faults(spec), Transport::Http).await;
    let url = served.endpoint.clone();
    let c = client(&url);
    // Resource groups are synchronous; the VNet's operation is made to fail.
    let _ = c
        .put(&rg("rg-x"), API, &json!({"location": "westeurope"}))
        .await;
    let (id, body) = vnet("rg-x", "v1");
    match c.put(&id, API, &body).await {
        Err(ClientError::OperationFailed {
            code, request_id, ..
        }) => {
            assert!(!code.is_empty());
            assert!(uuid_like(&request_id));
        }
        other => panic!("expected OperationFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn dropped_connections_are_retried_for_idempotent_calls() {
    // The emulator's own server closes the connection without an answer.
    let spec = FaultSpec::parse("drop=0.2,seed=9").unwrap();
    let served = Served::start(Emulator::new().with_faults(spec), Transport::Http).await;
    let url = served.endpoint.clone();
    let c = client(&url);
    c.put(&rg("rg-d"), API, &json!({"location": "westeurope"}))
        .await
        .unwrap();
    for i in 0..15 {
        let (id, body) = vnet("rg-d", &format!("v{i}"));
        c.put(&id, API, &body).await.unwrap();
        assert!(c.get(&id, API).await.unwrap().is_some());
    }
    let s = c.stats();
    assert!(
        s.transport_errors > 0 && s.retries >= s.transport_errors,
        "{s:?}"
    );
}

#[tokio::test]
async fn the_emulator_over_https_with_its_generated_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(Emulator::new(), Transport::Https).await;
    let pem = served.write_ca(dir.path());
    let url = served.endpoint.clone();
    let c = ArmClient::with_tuning(ClientOptions::emulator(&url, "t", Some(pem)), fast()).unwrap();
    let g = c
        .put(&rg("rg-tls"), API, &json!({"location": "westeurope"}))
        .await
        .unwrap();
    assert_eq!(g["name"], "rg-tls");
    // Without the certificate the connection is refused.
    let mut o = ClientOptions::emulator(&url, "t", None);
    o.max_retries = 0;
    let e = ArmClient::new(o)
        .unwrap()
        .get(&rg("rg-tls"), API)
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Transport { .. }), "{e:?}");
}
