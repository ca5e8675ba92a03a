//! The emulator's TLS certificates: a local certificate authority
//! (`CA:TRUE`, key-cert-sign) and a server certificate it signs for
//! `localhost`, `127.0.0.1` and `::1`. Clients trust the authority's PEM
//! (`REQUESTS_CA_BUNDLE` for the Azure CLI, `--ca-cert` for azrelo).
//!
//! In memory the authority is new at every start ([`Certificate::generate`]);
//! with `--data DIR` it is kept in `DIR` and reused
//! ([`Certificate::load_or_generate`]), and only the server certificate is
//! issued anew.

use std::path::Path;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The authority's certificate in a `--data` directory (what clients trust).
pub const CA_CERT: &str = "emulator-ca.pem";
/// The authority's private key in a `--data` directory (mode 0600).
pub const CA_KEY: &str = "emulator-ca.key";

fn fail(what: &str, e: rcgen::Error) -> String {
    format!("cannot generate the {what}: {e}")
}

/// The authority's parameters: the same at every start, so a stored key
/// signs server certificates that chain to the stored certificate.
fn authority() -> CertificateParams {
    let mut ca = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "azrelo emulator local CA");
    ca.distinguished_name = dn;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.use_authority_key_identifier_extension = true;
    ca
}

/// Write `data` to `path` through a temporary file in the same directory
/// and a rename; `private`: readable and writable by the owner only (0600
/// on Unix, set when the file is created, before anything is written).
fn write_atomically(path: &Path, data: &[u8], private: bool) -> Result<(), String> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut f = o.open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()
    };
    write()
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write {}: {e}", path.display())
        })
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
    /// address the emulator was told to bind). Both keys live in memory
    /// only: an in-memory emulator has a new authority at every start.
    pub fn generate(extra_names: &[String]) -> Result<Certificate, String> {
        let ca_key = KeyPair::generate().map_err(|e| fail("authority key", e))?;
        let ca_cert = authority()
            .self_signed(&ca_key)
            .map_err(|e| fail("authority certificate", e))?;
        Certificate::issue(ca_cert.pem(), ca_cert.der().clone(), ca_key, extra_names)
    }

    /// The authority kept in `dir` ([`CA_CERT`], and [`CA_KEY`] readable by
    /// its owner only), generated and stored there on first use, and a
    /// server certificate it signs now: an emulator restarted with the same
    /// `--data` directory keeps its authority, so clients that trust it go
    /// on connecting (issue #18). A stored pair whose key does not sign for
    /// its certificate is refused with what to do.
    pub fn load_or_generate(dir: &Path, extra_names: &[String]) -> Result<Certificate, String> {
        let (cert_path, key_path) = (dir.join(CA_CERT), dir.join(CA_KEY));
        if cert_path.exists() && key_path.exists() {
            let read = |p: &Path| {
                std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
            };
            let (ca_pem, key_pem) = (read(&cert_path)?, read(&key_path)?);
            let mismatch = |what: String| {
                format!(
                    "the certificate authority in {} ({CA_CERT}, {CA_KEY}) cannot be used: {what}; remove both files to generate a new authority (clients then need the new {CA_CERT})",
                    dir.display()
                )
            };
            let ca_der = CertificateDer::from_pem_slice(ca_pem.as_bytes())
                .map_err(|e| mismatch(format!("{CA_CERT} is not a PEM certificate ({e})")))?;
            let ca_key = KeyPair::from_pem(&key_pem)
                .map_err(|e| mismatch(format!("{CA_KEY} is not a PEM private key ({e})")))?;
            let cert = Certificate::issue(ca_pem, ca_der, ca_key, extra_names)?;
            cert.verify_chain().map_err(mismatch)?;
            return Ok(cert);
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let ca_key = KeyPair::generate().map_err(|e| fail("authority key", e))?;
        let ca_cert = authority()
            .self_signed(&ca_key)
            .map_err(|e| fail("authority certificate", e))?;
        // The key first: a certificate is only ever read beside its key.
        let _ = std::fs::remove_file(&cert_path);
        write_atomically(&key_path, ca_key.serialize_pem().as_bytes(), true)?;
        write_atomically(&cert_path, ca_cert.pem().as_bytes(), false)?;
        Certificate::issue(ca_cert.pem(), ca_cert.der().clone(), ca_key, extra_names)
    }

    /// A server certificate for the loopback names and `extra_names`,
    /// signed by the authority (`ca_key`, its certificate `ca_pem`/`ca_der`).
    fn issue(
        ca_pem: String,
        ca_der: CertificateDer<'static>,
        ca_key: KeyPair,
        extra_names: &[String],
    ) -> Result<Certificate, String> {
        let issuer = Issuer::new(authority(), ca_key);
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
            ca_pem,
            server_pem: leaf_cert.pem(),
            chain: vec![leaf_cert.der().clone(), ca_der],
            key_der: leaf_key.serialize_der(),
        })
    }

    /// Check that the server certificate verifies against the authority, as
    /// a client trusting it would (a stored key that is not the
    /// authority's fails here rather than in every client).
    fn verify_chain(&self) -> Result<(), String> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(self.chain[1].clone())
            .map_err(|e| format!("the authority certificate is not usable ({e})"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("the authority certificate is not usable ({e})"))?;
        let name = rustls::pki_types::ServerName::try_from("localhost")
            .map_err(|e| format!("localhost: {e}"))?;
        verifier
            .verify_server_cert(
                &self.chain[0],
                &[],
                &name,
                &[],
                rustls::pki_types::UnixTime::now(),
            )
            .map(drop)
            .map_err(|e| format!("a certificate it signs does not verify ({e})"))
    }

    /// Write the authority's PEM to `path` atomically (temporary file, then
    /// rename), creating the directory.
    pub fn write_ca_pem(&self, path: &std::path::Path) -> Result<(), String> {
        write_atomically(path, self.ca_pem.as_bytes(), false)
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
