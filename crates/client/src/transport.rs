//! The HTTP transport: `reqwest` (the client `azure_core` uses, handed to it
//! as its transport) on rustls with the `ring` provider — one crypto stack,
//! no OpenSSL — trusting the platform's roots plus an optional extra CA (the
//! emulator's generated certificate).

use crate::config::Tuning;
use crate::error::ClientError;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;

/// Read every certificate of a PEM file.
pub(crate) fn read_ca(path: &Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let bytes = std::fs::read(path).map_err(|e| {
        ClientError::Config(format!(
            "cannot read the CA certificate {}: {e}",
            path.display()
        ))
    })?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            ClientError::Config(format!(
                "{} is not a PEM certificate file: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(ClientError::Config(format!(
            "{} holds no CERTIFICATE block (expected PEM)",
            path.display()
        )));
    }
    Ok(certs)
}

pub(crate) fn build_http(
    ca_cert: Option<&Path>,
    tuning: &Tuning,
) -> Result<reqwest::Client, ClientError> {
    builder(ca_cert, tuning)?
        // ARM does not redirect; a redirect would carry the bearer token elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ClientError::Config(format!("cannot build the HTTP client: {e}")))
}

/// The transport's builder: TLS (ring, platform roots plus `ca_cert`),
/// timeouts and user agent; callers set the redirect policy.
pub(crate) fn builder(
    ca_cert: Option<&Path>,
    tuning: &Tuning,
) -> Result<reqwest::ClientBuilder, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let extra = match ca_cert {
        Some(p) => read_ca(p)?,
        None => Vec::new(),
    };
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone()).map_err(
            |e| ClientError::Config(format!("cannot set up TLS certificate verification: {e}")),
        )?;
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Config(format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(tuning.connect_timeout)
        .read_timeout(tuning.read_timeout)
        .user_agent(concat!("azrelo-client/", env!("CARGO_PKG_VERSION"))))
}
