//! Serving an emulator (or any router) on `127.0.0.1:0` over plain HTTP or
//! HTTPS with a generated authority, and the raw HTTP/1.1 and TLS client
//! pieces the protocol tests use.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use azrelo_emulator::{Certificate, Emulator, router};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How a served emulator is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Http,
    /// HTTPS with a certificate authority generated for this server.
    Https,
}

/// A server on a loopback port, stopped when dropped.
#[derive(Debug)]
pub struct Served {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The authority's PEM (HTTPS only): what a client trusts.
    pub ca_pem: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Served {
    /// Serve `em` (its router, through the emulator's own server, so an
    /// injected dropped connection really drops).
    pub async fn start(em: Emulator, transport: Transport) -> Served {
        Served::router(router(em), transport).await
    }

    /// Serve any router (e.g. the emulator's with a test layer in front).
    pub async fn router(app: Router, transport: Transport) -> Served {
        match transport {
            Transport::Http => Served::with_tls(app, None).await,
            Transport::Https => {
                let cert = Certificate::generate(&[])
                    .unwrap_or_else(|e| panic!("cannot generate a certificate: {e}"));
                let config = cert
                    .server_config()
                    .unwrap_or_else(|e| panic!("cannot configure TLS: {e}"));
                let mut s = Served::with_tls(app, Some(config)).await;
                s.ca_pem = Some(cert.ca_pem);
                s
            }
        }
    }

    /// Serve `app` with the given TLS configuration (`None`: plain HTTP).
    pub async fn with_tls(app: Router, tls: Option<Arc<rustls::ServerConfig>>) -> Served {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("cannot listen on 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the listener has no address: {e}"));
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(azrelo_emulator::serve(listener, app, tls, async {
            let _ = rx.await;
        }));
        Served {
            addr,
            endpoint: format!("{scheme}://{addr}"),
            ca_pem: None,
            stop: Some(tx),
        }
    }

    /// Write the authority's PEM into `dir` (HTTPS only); its path.
    pub fn write_ca(&self, dir: &Path) -> PathBuf {
        write_ca(&self.endpoint, self.ca_pem.as_deref(), dir)
    }

    /// Stop serving (dropping does the same).
    pub fn stop(mut self) {
        self.stop.take();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// An emulator served on `127.0.0.1:0` from a thread with its own runtime,
/// for synchronous tests (e.g. ones that run `azrelo` processes against
/// it). Stopped when dropped.
#[derive(Debug)]
pub struct Background {
    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The authority's PEM (HTTPS only).
    pub ca_pem: Option<String>,
    stop: Option<std::sync::mpsc::Sender<()>>,
}

impl Background {
    /// Serve `em` on a background thread.
    pub fn start(em: Emulator, transport: Transport) -> Background {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("cannot start a runtime for the emulator: {e}"));
            rt.block_on(async move {
                let served = Served::start(em, transport).await;
                let _ = tx.send((served.endpoint.clone(), served.ca_pem.clone()));
                // Serve until the handle is dropped (the sender goes away).
                let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
                drop(served);
            });
        });
        let (endpoint, ca_pem) = rx
            .recv()
            .unwrap_or_else(|e| panic!("the emulator thread did not start: {e}"));
        Background {
            endpoint,
            ca_pem,
            stop: Some(stop_tx),
        }
    }

    /// Write the authority's PEM into `dir` (HTTPS only); its path.
    pub fn write_ca(&self, dir: &Path) -> PathBuf {
        write_ca(&self.endpoint, self.ca_pem.as_deref(), dir)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// A TLS client that trusts exactly the PEM authority given.
pub fn tls_client(ca_pem: &str) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let c = c.unwrap_or_else(|e| panic!("the authority PEM does not parse: {e}"));
        roots
            .add(c)
            .unwrap_or_else(|e| panic!("the authority is not usable: {e}"));
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap_or_else(|e| panic!("TLS client configuration: {e}"))
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

/// A raw HTTP/1.1 exchange on an open stream (`Connection: close`): the
/// status, the body as JSON and the head, or `None` when the server closed
/// the connection without answering.
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

/// Write an emulator's authority PEM as `dir/emulator-ca.pem`; its path.
fn write_ca(endpoint: &str, ca_pem: Option<&str>, dir: &Path) -> PathBuf {
    let pem =
        ca_pem.unwrap_or_else(|| panic!("{endpoint} is served over plain HTTP: no authority"));
    let p = dir.join("emulator-ca.pem");
    std::fs::write(&p, pem).unwrap_or_else(|e| panic!("cannot write {}: {e}", p.display()));
    p
}
