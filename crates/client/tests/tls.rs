//! HTTPS: a test server with an rcgen certificate is trusted through
//! `ca_cert` (the emulator's case) and refused without it.

use azrelo_client::{ArmClient, ClientError, ClientOptions};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serve a fixed ARM-like answer over TLS; returns the URL and the PEM path.
async fn tls_server(dir: &std::path::Path) -> (String, std::path::PathBuf) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let pem = dir.join("emulator-ca.pem");
    std::fs::write(&pem, ck.cert.pem()).unwrap();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(ck.signing_key.serialize_der().into());
    let cfg = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![ck.cert.der().clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = r#"{"id":"/subscriptions/s1/resourceGroups/rg","name":"rg","location":"westeurope"}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://127.0.0.1:{}", addr.port()), pem)
}

#[tokio::test]
async fn https_with_the_extra_ca_is_trusted_and_refused_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pem) = tls_server(dir.path()).await;
    let trusted = ArmClient::new(ClientOptions::emulator(&url, "t", Some(pem.clone()))).unwrap();
    let v = trusted
        .get("/subscriptions/s1/resourceGroups/rg", "2021-04-01")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v["name"], "rg");

    let mut o = ClientOptions::emulator(&url, "t", None);
    o.max_retries = 0;
    let untrusted = ArmClient::new(o).unwrap();
    let e = untrusted
        .get("/subscriptions/s1/resourceGroups/rg", "2021-04-01")
        .await
        .unwrap_err();
    match &e {
        ClientError::Transport { message, .. } => {
            assert!(
                message.to_ascii_lowercase().contains("certificate"),
                "{message}"
            );
        }
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

#[test]
fn a_ca_file_that_is_not_pem_is_a_configuration_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ca.pem");
    std::fs::write(&bad, "not a certificate").unwrap();
    let e = ArmClient::new(ClientOptions::emulator(
        "https://127.0.0.1:1",
        "t",
        Some(bad),
    ))
    .unwrap_err();
    assert!(matches!(e, ClientError::Config(_)), "{e:?}");
    let missing = dir.path().join("missing.pem");
    let e = ArmClient::new(ClientOptions::emulator(
        "https://127.0.0.1:1",
        "t",
        Some(missing),
    ))
    .unwrap_err();
    assert!(e.to_string().contains("missing.pem"), "{e}");
}
