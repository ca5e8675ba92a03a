//! Helpers shared by the emulator's protocol tests: in-process calls through
//! the router, and real HTTP/1.1 (plain or TLS) over loopback sockets.
#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use azrelo_emulator::{Emulator, router};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tower::ServiceExt;

pub const SUB: &str = "/subscriptions/00000000-0000-0000-0000-0000000000f1";

pub fn rg(name: &str) -> String {
    format!("{SUB}/resourceGroups/{name}")
}

pub struct Call {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Call {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    pub fn state(&self) -> &str {
        self.body["properties"]["provisioningState"]
            .as_str()
            .unwrap_or_default()
    }
}

/// One request through the router (no socket).
pub async fn call(em: &Emulator, method: &str, path: &str, body: Option<Value>) -> Call {
    let uri = if path.contains("api-version") {
        path.to_string()
    } else {
        format!("{path}?api-version=2024-03-02")
    };
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", "Bearer test-token")
        .body(match body {
            Some(v) => Body::from(v.to_string()),
            None => Body::empty(),
        })
        .unwrap();
    let resp = router(em.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Call {
        status,
        headers,
        body,
    }
}

/// A raw HTTP/1.1 exchange on an open stream (`Connection: close`): the
/// status and body, or `None` when the server closed the connection without
/// answering.
pub async fn http1<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Option<(u16, Value, String)> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Content-Length: 0\r\n\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    if buf.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((
        status,
        serde_json::from_str(body).unwrap_or(Value::Null),
        head.to_string(),
    ))
}

/// A TLS client that trusts exactly the PEM authority given.
pub fn tls_client(ca_pem: &str) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

/// Serve `em` on an ephemeral loopback port (TLS when a configuration is
/// given); the server stops when the returned sender is dropped.
pub async fn spawn(
    em: Emulator,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(azrelo_emulator::serve(listener, router(em), tls, async {
        let _ = rx.await;
    }));
    (addr, tx)
}
