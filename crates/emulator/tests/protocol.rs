//! Transport, access, long-running operations with latency profiles, and
//! fault injection, over the router and over real loopback sockets.

use std::time::Duration;

use axum::http::StatusCode;
use azrelo_emulator::Emulator;
use azrelo_emulator::faults::FaultSpec;
use azrelo_emulator::latency::{Clock, LatencyProfile};
use azrelo_emulator::router;
use azrelo_testkit::{SUB, Served, call, http1, rg, tls_client};
use serde_json::json;

const API: &str = "?api-version=2024-03-02";

#[tokio::test]
async fn https_with_the_generated_authority_and_bearer_tokens() {
    let cert = azrelo_emulator::Certificate::generate(&[]).unwrap();
    assert!(cert.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    // The authority is written atomically where clients can read it.
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("sub/ca.pem");
    cert.write_ca_pem(&pem).unwrap();
    assert_eq!(std::fs::read_to_string(&pem).unwrap(), cert.ca_pem);
    assert!(
        !format!("{cert:?}").contains("PRIVATE"),
        "the key is never printed"
    );

    let em = Emulator::new().with_token(Some("s3cret".into()));
    let served = Served::with_tls(router(em), Some(cert.server_config().unwrap())).await;
    let addr = served.addr;
    let tls = tls_client(&cert.ca_pem);
    let connect = |name: &'static str| {
        let tls = tls.clone();
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let sn = rustls::pki_types::ServerName::try_from(name).unwrap();
            tls.connect(sn, tcp).await
        }
    };
    // The certificate is valid for localhost, 127.0.0.1 (and ::1).
    for name in ["localhost", "127.0.0.1"] {
        let s = connect(name).await.expect("the TLS handshake succeeds");
        let (status, body, _) = http1(
            s,
            "GET",
            &format!("/subscriptions{API}"),
            &[("Authorization", "Bearer s3cret")],
        )
        .await
        .unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["value"][0]["subscriptionId"],
            "00000000-0000-0000-0000-000000000001"
        );
    }
    // Not for another name.
    assert!(connect("example.com").await.is_err());
    // A client that does not trust the authority fails the handshake.
    let other = azrelo_emulator::Certificate::generate(&[]).unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let sn = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    assert!(tls_client(&other.ca_pem).connect(sn, tcp).await.is_err());
    // Only the configured token is accepted.
    let s = connect("localhost").await.unwrap();
    let (status, body, _) = http1(
        s,
        "GET",
        &format!("{}{API}", rg("x")),
        &[("Authorization", "Bearer wrong")],
    )
    .await
    .unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("InvalidAuthenticationToken"))
    );
    let s = connect("localhost").await.unwrap();
    let (status, body, _) = http1(s, "GET", &format!("{}{API}", rg("x")), &[])
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("AuthenticationFailed"))
    );
}

#[tokio::test]
async fn operation_urls_are_absolute_on_the_host_and_scheme_used() {
    let cert = azrelo_emulator::Certificate::generate(&[]).unwrap();
    let served =
        Served::with_tls(router(Emulator::new()), Some(cert.server_config().unwrap())).await;
    let addr = served.addr;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let sn = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let s = tls_client(&cert.ca_pem).connect(sn, tcp).await.unwrap();
    let (status, _, _) = http1(
        s,
        "DELETE",
        &format!("{}{API}", rg("absent")),
        &[("Authorization", "Bearer t")],
    )
    .await
    .unwrap();
    assert_eq!(status, 204, "deleting what is absent: 204");
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let sn = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let s = tls_client(&cert.ca_pem).connect(sn, tcp).await.unwrap();
    let mut req = format!(
        "PUT {}{API} HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\n",
        rg("abs"),
        addr.port()
    );
    let body = r#"{"location":"westeurope"}"#;
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    let mut s = s;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out).await;
    assert!(out.starts_with("HTTP/1.1 201"), "{out}");
    // A resource PUT carries the operation headers.
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let sn = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut s = tls_client(&cert.ca_pem).connect(sn, tcp).await.unwrap();
    let body = r#"{"location":"westeurope"}"#;
    let req = format!(
        "PUT {}/providers/Microsoft.Network/networkSecurityGroups/n{API} HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        rg("abs"),
        addr.port(),
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out).await;
    let want = format!(
        "azure-asyncoperation: https://localhost:{}/providers/azrelo.emulator/operations/",
        addr.port()
    );
    assert!(out.to_ascii_lowercase().contains(&want), "{out}");
}

#[tokio::test]
async fn latency_profiles_make_operations_take_time() {
    let clock = Clock::manual();
    let em = Emulator::new()
        .with_latency(LatencyProfile::Realistic)
        .with_clock(clock.clone());
    assert_eq!(
        call(
            &em,
            "PUT",
            &rg("l"),
            Some(json!({"location": "westeurope"}))
        )
        .await
        .status,
        StatusCode::CREATED,
        "resource groups are synchronous"
    );
    let nsg = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/nsg",
        rg("l")
    );
    let vm = format!("{}/providers/Microsoft.Compute/virtualMachines/vm", rg("l"));
    let c = call(&em, "PUT", &nsg, Some(json!({"location": "westeurope"}))).await;
    assert_eq!((c.status, c.state()), (StatusCode::CREATED, "Creating"));
    assert_eq!(c.header("retry-after").as_deref(), Some("5"));
    let nsg_op = c.header("azure-asyncoperation").unwrap();
    let nsg_result = c.header("location").unwrap();
    let c = call(
        &em,
        "PUT",
        &vm,
        Some(json!({"location": "westeurope", "properties": {"hardwareProfile": {"vmSize": "Standard_B2s"}}})),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED);
    let vm_op = c.header("azure-asyncoperation").unwrap();
    assert_eq!(em.busy_until(&vm), Some(Duration::from_secs(90)));
    // During creation: transitional state, InProgress, 202 on the result URL.
    assert_eq!(call(&em, "GET", &nsg, None).await.state(), "Creating");
    let s = call(&em, "GET", &nsg_op, None).await;
    assert_eq!(s.body["status"], "InProgress");
    assert!(s.header("retry-after").is_some());
    assert_eq!(
        call(&em, "GET", &nsg_result, None).await.status,
        StatusCode::ACCEPTED
    );
    // One operation at a time on a resource.
    let c = call(&em, "PUT", &nsg, Some(json!({"location": "westeurope"}))).await;
    assert_eq!(
        (c.status, c.code()),
        (StatusCode::CONFLICT, "AnotherOperationInProgress")
    );
    // A VM takes longer than an NSG.
    clock.advance(Duration::from_secs(5));
    assert_eq!(call(&em, "GET", &nsg, None).await.state(), "Succeeded");
    let s = call(&em, "GET", &nsg_op, None).await;
    assert_eq!(s.body["status"], "Succeeded");
    assert!(s.body["endTime"].is_string());
    let r = call(&em, "GET", &nsg_result, None).await;
    assert_eq!(
        (r.status, r.body["name"].as_str()),
        (StatusCode::OK, Some("nsg"))
    );
    assert_eq!(call(&em, "GET", &vm, None).await.state(), "Creating");
    assert_eq!(
        call(&em, "GET", &vm_op, None).await.body["status"],
        "InProgress"
    );
    clock.advance(Duration::from_secs(85));
    assert_eq!(call(&em, "GET", &vm, None).await.state(), "Succeeded");
    assert_eq!(
        call(&em, "GET", &vm_op, None).await.body["status"],
        "Succeeded"
    );
    assert_eq!(em.busy_until(&vm), None);
    // An update goes through Updating.
    let c = call(&em, "PUT", &nsg, Some(json!({"location": "westeurope"}))).await;
    assert_eq!((c.status, c.state()), (StatusCode::OK, "Updating"));
    clock.advance(Duration::from_secs(3));
    assert_eq!(call(&em, "GET", &nsg, None).await.state(), "Succeeded");
    // DELETE keeps the resource in Deleting until done.
    let d = call(&em, "DELETE", &vm, None).await;
    assert_eq!(d.status, StatusCode::ACCEPTED);
    assert_eq!(d.header("retry-after").as_deref(), Some("15"));
    let del_result = d.header("location").unwrap();
    assert_eq!(call(&em, "GET", &vm, None).await.state(), "Deleting");
    let l = call(&em, "GET", &format!("{}/resources", rg("l")), None).await;
    assert_eq!(l.body["value"].as_array().unwrap().len(), 2);
    // Deleting again answers the same operation.
    let again = call(&em, "DELETE", &vm, None).await;
    assert_eq!(
        again.header("location").as_deref(),
        Some(del_result.as_str())
    );
    clock.advance(Duration::from_secs(60));
    assert_eq!(call(&em, "GET", &vm, None).await.code(), "ResourceNotFound");
    assert_eq!(
        call(&em, "GET", &del_result, None).await.status,
        StatusCode::NO_CONTENT
    );
    // Deleting a resource still being created cancels its creation.
    let c = call(&em, "PUT", &vm, Some(json!({"location": "westeurope"}))).await;
    let create_op = c.header("azure-asyncoperation").unwrap();
    call(&em, "DELETE", &vm, None).await;
    assert_eq!(
        call(&em, "GET", &create_op, None).await.body["status"],
        "Canceled"
    );
    // A group's deletion lasts as long as its slowest member.
    let d = call(&em, "DELETE", &rg("l"), None).await;
    assert_eq!(d.status, StatusCode::ACCEPTED);
    assert_eq!(call(&em, "GET", &rg("l"), None).await.state(), "Deleting");
    clock.advance(Duration::from_secs(59));
    assert_eq!(call(&em, "GET", &rg("l"), None).await.state(), "Deleting");
    clock.advance(Duration::from_secs(1));
    assert!(em.is_empty());
}

#[tokio::test]
async fn fast_profile_and_deferred_starts() {
    let clock = Clock::manual();
    let em = Emulator::new()
        .with_latency(LatencyProfile::parse("fast").unwrap())
        .with_clock(clock.clone());
    call(
        &em,
        "PUT",
        &rg("f"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    let vm = format!("{}/providers/Microsoft.Compute/virtualMachines/vm", rg("f"));
    let c = call(&em, "PUT", &vm, Some(json!({"location": "westeurope"}))).await;
    assert_eq!(c.header("retry-after").as_deref(), Some("5"), "90 s × 0.05");
    assert_eq!(em.busy_until(&vm), Some(Duration::from_millis(4500)));
    // A deployment starts a resource when its dependencies are done.
    assert_eq!(
        em.start_after(&vm, Duration::from_secs(10)),
        Some(Duration::from_millis(14_500))
    );
    clock.advance(Duration::from_secs(14));
    assert_eq!(call(&em, "GET", &vm, None).await.state(), "Creating");
    clock.advance(Duration::from_millis(500));
    assert_eq!(call(&em, "GET", &vm, None).await.state(), "Succeeded");
}

#[tokio::test]
async fn injected_operation_failures_end_failed_with_an_arm_error() {
    let clock = Clock::manual();
    let em = Emulator::new()
        .with_latency(LatencyProfile::Realistic)
        .with_clock(clock.clone())
        .with_faults(FaultSpec::parse("lro-fail=1").unwrap());
    call(
        &em,
        "PUT",
        &rg("x"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    let kv = format!("{}/providers/Microsoft.KeyVault/vaults/kv-fails-1", rg("x"));
    let c = call(
        &em,
        "PUT",
        &kv,
        Some(json!({"location": "westeurope", "properties": {"tenantId": "t"}})),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED, "the PUT is accepted");
    let op = c.header("azure-asyncoperation").unwrap();
    let result = c.header("location").unwrap();
    assert_eq!(
        call(&em, "GET", &op, None).await.body["status"],
        "InProgress"
    );
    clock.advance(Duration::from_secs(20));
    let s = call(&em, "GET", &op, None).await;
    assert_eq!(s.body["status"], "Failed");
    assert_eq!(s.body["error"]["code"], "InternalExecutionError");
    assert_eq!(call(&em, "GET", &kv, None).await.state(), "Failed");
    let r = call(&em, "GET", &result, None).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::INTERNAL_SERVER_ERROR, "InternalExecutionError")
    );
    // With latency off the failure is immediate.
    let em = Emulator::new().with_faults(FaultSpec::parse("lro-fail=1").unwrap());
    call(
        &em,
        "PUT",
        &rg("x"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    let c = call(&em, "PUT", &kv, Some(json!({"location": "westeurope"}))).await;
    let op = c.header("azure-asyncoperation").unwrap();
    assert_eq!(call(&em, "GET", &op, None).await.body["status"], "Failed");
    assert_eq!(call(&em, "GET", &kv, None).await.state(), "Failed");
}

#[tokio::test]
async fn faults_are_reproducible_for_a_seed() {
    let run = |seed: u64| async move {
        let spec =
            FaultSpec::parse(&format!("429=0.2,500=0.1,503=0.1,drop=0.1,seed={seed}")).unwrap();
        let em = Emulator::without_throttling().with_faults(spec);
        let mut out = Vec::new();
        for _ in 0..60 {
            let c = call(&em, "GET", &rg("none"), None).await;
            out.push((c.status.as_u16(), c.code().to_string()));
        }
        out
    };
    let a = run(11).await;
    assert_eq!(a, run(11).await);
    assert_ne!(a, run(12).await);
    for code in [
        "TooManyRequests",
        "InternalServerError",
        "ServiceUnavailable",
        "ConnectionDropped",
        "ResourceGroupNotFound",
    ] {
        assert!(a.iter().any(|(_, c)| c == code), "{code} drawn in {a:?}");
    }
}

#[tokio::test]
async fn dropped_connections_close_without_a_response() {
    let em = Emulator::new().with_faults(FaultSpec::parse("drop=1").unwrap());
    let served = Served::with_tls(router(em), None).await;
    let addr = served.addr;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let got = http1(
        tcp,
        "GET",
        &format!("{}{API}", rg("x")),
        &[("Authorization", "Bearer t")],
    )
    .await;
    assert_eq!(got, None, "no status line, the connection is closed");
    // Without the fault the same server path answers.
    let served2 = Served::with_tls(router(Emulator::new()), None).await;
    let addr = served2.addr;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (status, body, _) = http1(
        tcp,
        "GET",
        &format!("{}{API}", rg("x")),
        &[("Authorization", "Bearer t")],
    )
    .await
    .unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("ResourceGroupNotFound"))
    );
}

#[tokio::test(start_paused = true)]
async fn slow_responses_arrive_after_the_delay() {
    let em = Emulator::new().with_faults(FaultSpec::parse("slow=1,delay=30s").unwrap());
    let t0 = tokio::time::Instant::now();
    let c = call(&em, "GET", &rg("x"), None).await;
    // Tokio's paused clock: the handler slept exactly the configured delay.
    assert!(t0.elapsed() >= Duration::from_secs(30));
    assert_eq!(c.code(), "ResourceGroupNotFound", "then answered normally");
}

#[tokio::test]
async fn cloud_metadata_token_endpoint_and_subscriptions_for_the_azure_cli() {
    let em = Emulator::new();
    // Metadata needs no token (as in Azure).
    let req = |path: &str, headers: &[(&str, &str)]| {
        let mut b = axum::http::Request::builder()
            .uri(path)
            .header("host", "127.0.0.1:8443");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(axum::body::Body::empty()).unwrap()
    };
    use tower::ServiceExt;
    let get = |em: &Emulator, r: axum::http::Request<axum::body::Body>| {
        let em = em.clone();
        async move {
            let resp = azrelo_emulator::router(em).oneshot(r).await.unwrap();
            let status = resp.status();
            let b = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&b).unwrap(),
            )
        }
    };
    let (s, m) = get(&em, req("/metadata/endpoints?api-version=2022-09-01", &[])).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(m["resourceManager"], "http://127.0.0.1:8443/");
    assert_eq!(
        m["authentication"]["loginEndpoint"],
        "http://127.0.0.1:8443/"
    );
    assert!(m["authentication"]["audiences"][0].is_string());
    assert!(m["suffixes"]["storage"].is_string());
    let (_, m) = get(&em, req("/metadata/endpoints?api-version=2019-05-01", &[])).await;
    assert_eq!(m[0]["name"], "AzreloEmulator");
    // The managed-identity endpoint (App Service shape) needs its header.
    let token_path =
        "/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fmanagement.core.windows.net%2F";
    let (s, _) = get(&em, req(token_path, &[])).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, t) = get(&em, req(token_path, &[("x-identity-header", "h")])).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t["resource"], "https://management.core.windows.net/");
    let token = t["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "JWT-shaped: {token}");
    assert!(t["expires_on"].as_str().unwrap().parse::<u64>().is_ok());
    // With a configured token the header must be that token.
    let locked = Emulator::new().with_token(Some("tok".into()));
    let (s, _) = get(&locked, req(token_path, &[("x-identity-header", "h")])).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, t) = get(&locked, req(token_path, &[("x-identity-header", "tok")])).await;
    assert_eq!(
        (s, t["access_token"].as_str()),
        (StatusCode::OK, Some("tok"))
    );
    // Subscriptions: the default one and every one holding resources.
    call(
        &em,
        "PUT",
        &rg("s"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    let l = call(&em, "GET", "/subscriptions", None).await;
    let ids: Vec<&str> = l.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subscriptionId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "00000000-0000-0000-0000-000000000001",
            "00000000-0000-0000-0000-0000000000f1"
        ]
    );
    let one = call(&em, "GET", SUB, None).await;
    assert_eq!(one.body["state"], "Enabled");
    assert_eq!(one.body["tenantId"], l.body["value"][0]["tenantId"]);
    let t = call(&em, "GET", "/tenants", None).await;
    assert_eq!(t.body["value"][0]["tenantId"], one.body["tenantId"]);
}

#[tokio::test]
async fn bodies_are_read_leniently_as_arm_does() {
    // `az deployment group create --template-file` sends `template:` unquoted
    // with the file's text (comments included) spliced in.
    let em = Emulator::new();
    let req = axum::http::Request::builder()
        .method("PUT")
        .uri(format!("{}{API}", rg("lenient")))
        .header("authorization", "Bearer t")
        .body(axum::body::Body::from(
            "{location: \"westeurope\", /* a comment */ tags: {env: \"it's: {x}\"},}",
        ))
        .unwrap();
    use tower::ServiceExt;
    let resp = azrelo_emulator::router(em.clone())
        .oneshot(req)
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let g = call(&em, "GET", &rg("lenient"), None).await;
    assert_eq!(g.body["tags"]["env"], "it's: {x}");
    // Still an error when it is not JSON at all.
    let req = axum::http::Request::builder()
        .method("PUT")
        .uri(format!(
            "{}/providers/Microsoft.Network/networkSecurityGroups/n{API}",
            rg("lenient")
        ))
        .header("authorization", "Bearer t")
        .body(axum::body::Body::from("{location: westeurope}"))
        .unwrap();
    let resp = azrelo_emulator::router(em).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn patch_merges_as_the_resource_provider_does() {
    let clock = Clock::manual();
    let em = Emulator::new()
        .with_latency(LatencyProfile::Realistic)
        .with_clock(clock.clone());
    call(
        &em,
        "PUT",
        &rg("p"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    let sa = format!(
        "{}/providers/Microsoft.Storage/storageAccounts/stpatch01",
        rg("p")
    );
    call(
        &em,
        "PUT",
        &sa,
        Some(
            json!({"location": "westeurope", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2",
            "properties": {"minimumTlsVersion": "TLS1_0", "allowBlobPublicAccess": true,
                           "networkAcls": {"defaultAction": "Allow", "bypass": "AzureServices"}}}),
        ),
    )
    .await;
    clock.advance(Duration::from_secs(25));
    // RFC 7386 merge: nested objects merge, null removes, the rest stays.
    let c = call(
        &em,
        "PATCH",
        &sa,
        Some(json!({"sku": {"name": "Standard_ZRS"}, "properties": {
            "minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": null,
            "networkAcls": {"defaultAction": "Deny"}}})),
    )
    .await;
    assert_eq!((c.status, c.state()), (StatusCode::ACCEPTED, "Updating"));
    assert!(c.header("azure-asyncoperation").is_some());
    clock.advance(Duration::from_secs(13));
    let g = call(&em, "GET", &sa, None).await;
    assert_eq!(g.state(), "Succeeded");
    assert_eq!(g.body["sku"]["name"], "Standard_ZRS");
    assert_eq!(g.body["kind"], "StorageV2");
    let p = &g.body["properties"];
    assert_eq!(p["minimumTlsVersion"], "TLS1_2");
    assert!(p.get("allowBlobPublicAccess").is_none());
    assert_eq!(p["networkAcls"]["defaultAction"], "Deny");
    assert_eq!(p["networkAcls"]["bypass"], "AzureServices");
    // The location does not change by PATCH.
    let c = call(&em, "PATCH", &sa, Some(json!({"location": "northeurope"}))).await;
    assert_eq!(c.code(), "InvalidResourceLocation");
    // Network resources update tags only (UpdateTags).
    let nsg = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/n",
        rg("p")
    );
    call(
        &em,
        "PUT",
        &nsg,
        Some(json!({"location": "westeurope", "properties": {"securityRules": []}})),
    )
    .await;
    clock.advance(Duration::from_secs(5));
    let c = call(
        &em,
        "PATCH",
        &nsg,
        Some(json!({"tags": {"a": "b"}, "properties": {"securityRules": null}})),
    )
    .await;
    assert_eq!(c.status, StatusCode::OK);
    assert_eq!(c.body["tags"]["a"], "b");
    assert!(c.body["properties"]["securityRules"].is_array());
    // A disk PATCH goes through the disk rules (disks only grow).
    let disk = format!("{}/providers/Microsoft.Compute/disks/d", rg("p"));
    call(
        &em,
        "PUT",
        &disk,
        Some(json!({"location": "westeurope", "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 64}})),
    )
    .await;
    clock.advance(Duration::from_secs(10));
    let c = call(
        &em,
        "PATCH",
        &disk,
        Some(json!({"properties": {"diskSizeGB": 32}})),
    )
    .await;
    assert_eq!(c.code(), "OperationNotAllowed");
    let c = call(
        &em,
        "PATCH",
        &disk,
        Some(json!({"properties": {"diskSizeGB": 128}})),
    )
    .await;
    assert_eq!(c.status, StatusCode::ACCEPTED);
    clock.advance(Duration::from_secs(5));
    let g = call(&em, "GET", &disk, None).await;
    assert_eq!(g.body["properties"]["diskSizeGB"], 128);
    assert_eq!(g.body["properties"]["diskState"], "Unattached");
}

#[tokio::test]
async fn deleting_a_group_takes_its_children_not_its_neighbours() {
    let em = Emulator::new();
    for g in ["rg1", "rg1-other"] {
        call(&em, "PUT", &rg(g), Some(json!({"location": "westeurope"}))).await;
        let nsg = format!(
            "{}/providers/Microsoft.Network/networkSecurityGroups/n",
            rg(g)
        );
        call(&em, "PUT", &nsg, Some(json!({"location": "westeurope"}))).await;
    }
    assert_eq!(em.len(), 4);
    call(&em, "DELETE", &rg("rg1"), None).await;
    assert_eq!(em.len(), 2, "rg1 and its NSG went; rg1-other stays whole");
    let l = call(&em, "GET", &format!("{}/resources", rg("rg1-other")), None).await;
    assert_eq!(l.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn operations_cut_short_by_a_restart_complete() {
    let dir = tempfile::tempdir().unwrap();
    let vm = format!("{}/providers/Microsoft.Compute/virtualMachines/vm", rg("r"));
    let nsg = format!(
        "{}/providers/Microsoft.Network/networkSecurityGroups/n",
        rg("r")
    );
    {
        let em = Emulator::open(dir.path())
            .unwrap()
            .with_latency(LatencyProfile::Realistic)
            .with_clock(Clock::manual());
        call(
            &em,
            "PUT",
            &rg("r"),
            Some(json!({"location": "westeurope"})),
        )
        .await;
        call(&em, "PUT", &nsg, Some(json!({"location": "westeurope"}))).await;
        em.clock().advance(Duration::from_secs(5));
        call(&em, "DELETE", &nsg, None).await;
        let c = call(&em, "PUT", &vm, Some(json!({"location": "westeurope"}))).await;
        assert_eq!(c.state(), "Creating");
        assert_eq!(call(&em, "GET", &nsg, None).await.state(), "Deleting");
    }
    let em = Emulator::open(dir.path()).unwrap();
    assert_eq!(call(&em, "GET", &vm, None).await.state(), "Succeeded");
    assert_eq!(
        call(&em, "GET", &nsg, None).await.code(),
        "ResourceNotFound"
    );
    // A group deletion cut short takes its children with it.
    {
        let em = em
            .with_latency(LatencyProfile::Realistic)
            .with_clock(Clock::manual());
        assert_eq!(
            call(&em, "DELETE", &rg("r"), None).await.status,
            StatusCode::ACCEPTED
        );
    }
    let em = Emulator::open(dir.path()).unwrap();
    assert!(em.is_empty(), "{} left", em.len());
}

#[tokio::test]
async fn check_name_availability_sees_every_subscription() {
    let em = Emulator::new();
    call(
        &em,
        "PUT",
        &rg("n"),
        Some(json!({"location": "westeurope"})),
    )
    .await;
    let sa = format!(
        "{}/providers/Microsoft.Storage/storageAccounts/stnamecheck01",
        rg("n")
    );
    let c = call(&em, "PUT", &sa, Some(json!({"location": "westeurope"}))).await;
    assert_eq!(
        c.status,
        StatusCode::ACCEPTED,
        "StorageAccounts_Create: 200, 202"
    );
    assert_eq!(c.body, serde_json::Value::Null, "202 without a body");
    let other = "/subscriptions/00000000-0000-0000-0000-0000000000f2";
    let check = |name: &str| json!({"name": name, "type": "Microsoft.Storage/storageAccounts"});
    let path = format!("{other}/providers/Microsoft.Storage/checkNameAvailability");
    let c = call(&em, "POST", &path, Some(check("stnamecheck01"))).await;
    assert_eq!(
        (c.body["nameAvailable"].as_bool(), c.body["reason"].as_str()),
        (Some(false), Some("AlreadyExists"))
    );
    let c = call(&em, "POST", &path, Some(json!({"name": "stfree01"}))).await;
    assert_eq!(c.body["nameAvailable"], true);
}

/// Issue #18: restarting with the same `--data` directory keeps the
/// certificate authority, so a client that trusted the first one still
/// connects (it used to retry TLS `BadSignature` forever); the key is
/// readable by its owner only. In memory every start has a new authority.
#[tokio::test]
async fn the_authority_survives_a_restart_with_the_same_data_directory() {
    use azrelo_emulator::{CA_CERT, CA_KEY, Certificate};
    let dir = tempfile::tempdir().unwrap();
    let first = Certificate::load_or_generate(dir.path(), &[]).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join(CA_CERT)).unwrap(),
        first.ca_pem
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(CA_KEY))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is private");
    }
    let trusted = tls_client(&first.ca_pem);
    async fn subscriptions(tls: &tokio_rustls::TlsConnector, addr: std::net::SocketAddr) -> u16 {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let sn = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let s = tls
            .connect(sn, tcp)
            .await
            .expect("the TLS handshake succeeds");
        let (status, _, _) = http1(
            s,
            "GET",
            &format!("/subscriptions{API}"),
            &[("Authorization", "Bearer t")],
        )
        .await
        .unwrap();
        status
    }
    for start in 0..2 {
        let cert = Certificate::load_or_generate(dir.path(), &[]).unwrap();
        assert_eq!(
            cert.ca_pem, first.ca_pem,
            "start {start}: the same authority"
        );
        let em = Emulator::open(dir.path()).unwrap();
        let stop = Served::with_tls(router(em), Some(cert.server_config().unwrap())).await;
        let addr = stop.addr;
        assert_eq!(subscriptions(&trusted, addr).await, 200, "start {start}");
        drop(stop);
    }
    // A key that is not the authority's is refused with what to do.
    let other = tempfile::tempdir().unwrap();
    Certificate::load_or_generate(other.path(), &[]).unwrap();
    std::fs::copy(other.path().join(CA_KEY), dir.path().join(CA_KEY)).unwrap();
    let e = Certificate::load_or_generate(dir.path(), &[]).unwrap_err();
    assert!(e.contains("remove both files"), "{e}");
    // In memory: a new authority every time.
    let (a, b) = (
        Certificate::generate(&[]).unwrap(),
        Certificate::generate(&[]).unwrap(),
    );
    assert_ne!(a.ca_pem, b.ca_pem);
}
