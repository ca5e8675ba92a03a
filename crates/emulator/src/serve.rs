//! Serving the emulator: HTTPS with a certificate generated at start
//! (rustls, `ring` provider) or plain HTTP, one hyper HTTP/1.1 connection
//! per client. Serving through hyper directly (rather than `axum::serve`)
//! lets an injected "dropped connection" fault close the connection without
//! any response, as a failing front door does.
//!
//! The certificate: a local certificate authority generated at start
//! (`CA:TRUE`, key-cert-sign) and a server certificate it signs for
//! `localhost`, `127.0.0.1` and `::1`. Clients trust the authority's PEM
//! (`REQUESTS_CA_BUNDLE` for the Azure CLI, `--ca-cert` for azrelo); both
//! keys live in memory only and are new at every start.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The scheme a request arrived on (a request extension set by [`serve`]).
#[derive(Debug, Clone, Copy)]
pub struct Scheme(pub &'static str);

/// Marks a response whose connection [`serve`] closes without sending it.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// The response for an injected dropped connection: [`serve`] closes the
/// connection instead of sending it. Served some other way (e.g. a test's
/// `oneshot`), it is a 500 that says so.
pub(crate) fn drop_connection() -> Response {
    let mut r = (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(serde_json::json!({"error": {
            "code": "ConnectionDropped",
            "message": "Injected fault: the connection is closed without a response.",
        }})),
    )
        .into_response();
    r.extensions_mut().insert(DropConnection);
    r
}

/// A generated certificate authority and the server certificate it signed.
pub struct Certificate {
    /// The authority's certificate (PEM): what clients trust.
    pub ca_pem: String,
    /// The server's certificate (PEM).
    pub server_pem: String,
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key_der: Vec<u8>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("Certificate").finish_non_exhaustive()
    }
}

impl Certificate {
    /// Generate a new authority and a server certificate for `localhost`,
    /// `127.0.0.1` and `::1` (plus `extra_names`, e.g. a non-loopback
    /// address the emulator was told to bind).
    pub fn generate(extra_names: &[String]) -> Result<Certificate, String> {
        use rcgen::{
            BasicConstraints, CertificateParams, DistinguishedName, DnType,
            ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        };
        let fail = |what: &str, e: rcgen::Error| format!("cannot generate the {what}: {e}");
        let mut ca = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "azrelo emulator local CA");
        ca.distinguished_name = dn;
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca.use_authority_key_identifier_extension = true;
        let ca_key = KeyPair::generate().map_err(|e| fail("authority key", e))?;
        let ca_cert = ca
            .self_signed(&ca_key)
            .map_err(|e| fail("authority certificate", e))?;
        let issuer = Issuer::new(ca, ca_key);

        let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
        names.extend(extra_names.iter().cloned());
        let mut leaf = CertificateParams::new(names).map_err(|e| fail("server certificate", e))?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "localhost");
        leaf.distinguished_name = dn;
        leaf.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        let leaf_key = KeyPair::generate().map_err(|e| fail("server key", e))?;
        let leaf_cert = leaf
            .signed_by(&leaf_key, &issuer)
            .map_err(|e| fail("server certificate", e))?;
        Ok(Certificate {
            ca_pem: ca_cert.pem(),
            server_pem: leaf_cert.pem(),
            chain: vec![leaf_cert.der().clone(), ca_cert.der().clone()],
            key_der: leaf_key.serialize_der(),
        })
    }

    /// Write the authority's PEM to `path` atomically (temporary file, then
    /// rename), creating the directory.
    pub fn write_ca_pem(&self, path: &std::path::Path) -> Result<(), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &self.ca_pem)
            .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write {}: {e}", path.display())
        })
    }

    /// The rustls server configuration (HTTP/1.1 by ALPN).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(self.key_der.clone()),
        );
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS configuration: {e}"))?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .map_err(|e| format!("TLS configuration: {e}"))?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }
}

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected fault: connection dropped")
    }
}

impl std::error::Error for Dropped {}

/// Serve `app` on `listener` until `shutdown` completes: HTTPS with `tls`,
/// plain HTTP without. Each connection is served on its own task; a TLS
/// handshake that does not finish within 10 s is abandoned.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                // Out of descriptors and the like: back off, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let app = app.clone();
                    async move {
                        let mut req = req.map(axum::body::Body::new);
                        req.extensions_mut().insert(Scheme(scheme));
                        let resp = match app.oneshot(req).await {
                            Ok(r) => r,
                            Err(never) => match never {},
                        };
                        if resp.extensions().get::<DropConnection>().is_some() {
                            return Err(Dropped);
                        }
                        Ok::<_, Dropped>(resp)
                    }
                });
            let http = hyper::server::conn::http1::Builder::new();
            match acceptor {
                Some(acceptor) => {
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                            .await
                    else {
                        return;
                    };
                    let _ = http.serve_connection(TokioIo::new(tls), service).await;
                }
                None => {
                    let _ = http.serve_connection(TokioIo::new(stream), service).await;
                }
            }
        });
    }
}
