//! Credentials: which identity the client uses to get ARM tokens
//! (`--auth cli|msi|workload|sp-secret|sp-cert|token|default`).
//!
//! Built on `azure_identity` 1.0. That release has no
//! `DefaultAzureCredential`/`EnvironmentCredential`, so the default chain
//! (service principal from the environment → workload identity → managed
//! identity → Azure CLI) is ours ([`ChainCredential`]).
//!
//! **Service principal with a certificate** is implemented without OpenSSL:
//! `azure_identity`'s `ClientCertificateCredential` needs its
//! `client_certificate` feature, which links the system OpenSSL (a second
//! crypto stack next to rustls/ring). We sign the client-assertion JWT
//! ourselves (RS256, `x5t` = base64url SHA-1 thumbprint of the certificate,
//! the format of Microsoft identity platform certificate credentials,
//! <https://learn.microsoft.com/entra/identity-platform/certificate-credentials>)
//! with `ring` and hand it to `azure_identity::ClientAssertionCredential`.
//! Input: a PEM file with the certificate and its unencrypted RSA key.
//!
//! Every credential's own HTTP traffic (token endpoints, IMDS) goes through
//! the same transport as ARM calls (same TLS stack and extra CA).

use crate::config::Cloud;
use crate::error::ClientError;
use async_trait::async_trait;
use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::{ClientMethodOptions, ClientOptions as CoreOptions, HttpClient, Transport};
use azure_core::time::{Duration as CoreDuration, OffsetDateTime};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub const ENV_TENANT_ID: &str = "AZURE_TENANT_ID";
pub const ENV_CLIENT_ID: &str = "AZURE_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
pub const ENV_CLIENT_CERTIFICATE_PATH: &str = "AZURE_CLIENT_CERTIFICATE_PATH";
pub const ENV_FEDERATED_TOKEN_FILE: &str = "AZURE_FEDERATED_TOKEN_FILE";

/// How the client authenticates.
#[derive(Clone, Default)]
pub enum Auth {
    /// A static bearer token (the emulator, or a token obtained elsewhere).
    Token(String),
    /// The Azure CLI's login (`az account get-access-token`).
    Cli,
    /// Managed identity (IMDS on a VM, App Service); user-assigned by client id.
    Msi { client_id: Option<String> },
    /// AKS workload identity (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
    /// `AZURE_FEDERATED_TOKEN_FILE`).
    Workload,
    /// Service principal with a client secret.
    SpSecret {
        tenant: String,
        client_id: String,
        secret: String,
    },
    /// Service principal with a certificate: PEM with certificate + RSA key.
    SpCert {
        tenant: String,
        client_id: String,
        cert_pem: PathBuf,
    },
    /// Service principal from the environment, then workload identity, then
    /// managed identity, then the Azure CLI: the first that yields a token.
    #[default]
    Default,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Token(_) => f.write_str("Token(<redacted>)"),
            Auth::Cli => f.write_str("Cli"),
            Auth::Msi { client_id } => f.debug_struct("Msi").field("client_id", client_id).finish(),
            Auth::Workload => f.write_str("Workload"),
            Auth::SpSecret {
                tenant, client_id, ..
            } => f
                .debug_struct("SpSecret")
                .field("tenant", tenant)
                .field("client_id", client_id)
                .field("secret", &"<redacted>")
                .finish(),
            Auth::SpCert {
                tenant,
                client_id,
                cert_pem,
            } => f
                .debug_struct("SpCert")
                .field("tenant", tenant)
                .field("client_id", client_id)
                .field("cert_pem", cert_pem)
                .finish(),
            Auth::Default => f.write_str("Default"),
        }
    }
}

impl Auth {
    /// The `--auth` name of this kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::Token(_) => "token",
            Auth::Cli => "cli",
            Auth::Msi { .. } => "msi",
            Auth::Workload => "workload",
            Auth::SpSecret { .. } => "sp-secret",
            Auth::SpCert { .. } => "sp-cert",
            Auth::Default => "default",
        }
    }
}

/// Environment lookup (injectable for tests).
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn require(env: Env<'_>, names: &[&str], what: &str) -> Result<Vec<String>, ClientError> {
    let mut values = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        match env(n) {
            Some(v) => values.push(v),
            None => missing.push(*n),
        }
    }
    if missing.is_empty() {
        Ok(values)
    } else {
        Err(ClientError::Config(format!(
            "{what} needs the environment variable(s) {} (not set or empty)",
            missing.join(", ")
        )))
    }
}

fn core_options(cloud: Cloud, http: &Arc<dyn HttpClient>) -> CoreOptions {
    CoreOptions {
        transport: Some(Transport::new(http.clone())),
        cloud: cloud.core_cloud().map(Arc::new),
        ..Default::default()
    }
}

fn cfg(what: &str) -> impl Fn(azure_core::Error) -> ClientError + '_ {
    move |e| ClientError::Config(format!("--auth {what}: {e}"))
}

/// Build the token credential for `auth`.
pub(crate) fn build_credential(
    auth: &Auth,
    cloud: Cloud,
    http: &Arc<dyn HttpClient>,
    env: Env<'_>,
) -> Result<Arc<dyn TokenCredential>, ClientError> {
    Ok(match auth {
        Auth::Token(t) => {
            if t.trim().is_empty() {
                return Err(ClientError::Config(
                    "--auth token: the token is empty".into(),
                ));
            }
            Arc::new(StaticTokenCredential {
                token: Secret::from(t.clone()),
            })
        }
        Auth::Cli => azure_identity::AzureCliCredential::new(Some(
            azure_identity::AzureCliCredentialOptions {
                tenant_id: env(ENV_TENANT_ID),
                ..Default::default()
            },
        ))
        .map_err(cfg("cli"))?,
        Auth::Msi { client_id } => azure_identity::ManagedIdentityCredential::new(Some(
            azure_identity::ManagedIdentityCredentialOptions {
                user_assigned_id: client_id
                    .clone()
                    .map(azure_identity::UserAssignedId::ClientId),
                client_options: core_options(cloud, http),
            },
        ))
        .map_err(cfg("msi"))?,
        Auth::Workload => {
            let v = require(
                env,
                &[ENV_TENANT_ID, ENV_CLIENT_ID, ENV_FEDERATED_TOKEN_FILE],
                "--auth workload",
            )?;
            azure_identity::WorkloadIdentityCredential::new(Some(
                azure_identity::WorkloadIdentityCredentialOptions {
                    credential_options: azure_identity::ClientAssertionCredentialOptions {
                        client_options: core_options(cloud, http),
                    },
                    tenant_id: Some(v[0].clone()),
                    client_id: Some(v[1].clone()),
                    token_file_path: Some(PathBuf::from(&v[2])),
                },
            ))
            .map_err(cfg("workload"))?
        }
        Auth::SpSecret {
            tenant,
            client_id,
            secret,
        } => azure_identity::ClientSecretCredential::new(
            tenant,
            client_id.clone(),
            Secret::from(secret.clone()),
            Some(azure_identity::ClientSecretCredentialOptions {
                client_options: core_options(cloud, http),
            }),
        )
        .map_err(cfg("sp-secret"))?,
        Auth::SpCert {
            tenant,
            client_id,
            cert_pem,
        } => {
            let assertion =
                CertificateAssertion::from_pem_file(cert_pem, cloud, tenant, client_id)?;
            azure_identity::ClientAssertionCredential::new(
                tenant.clone(),
                client_id.clone(),
                assertion,
                Some(azure_identity::ClientAssertionCredentialOptions {
                    client_options: core_options(cloud, http),
                }),
            )
            .map_err(cfg("sp-cert"))?
        }
        Auth::Default => {
            let mut sources: Vec<ChainSource> = Vec::new();
            let sp = |secret: Option<String>,
                      cert: Option<String>|
             -> Result<Option<Auth>, ClientError> {
                if secret.is_none() && cert.is_none() {
                    return Ok(None);
                }
                let v = require(
                    env,
                    &[ENV_TENANT_ID, ENV_CLIENT_ID],
                    "a service principal from the environment",
                )?;
                Ok(Some(match (secret, cert) {
                    (Some(secret), _) => Auth::SpSecret {
                        tenant: v[0].clone(),
                        client_id: v[1].clone(),
                        secret,
                    },
                    (None, Some(cert)) => Auth::SpCert {
                        tenant: v[0].clone(),
                        client_id: v[1].clone(),
                        cert_pem: PathBuf::from(cert),
                    },
                    (None, None) => unreachable!("checked above"),
                }))
            };
            if let Some(a) = sp(env(ENV_CLIENT_SECRET), env(ENV_CLIENT_CERTIFICATE_PATH))? {
                sources.push(ChainSource::new(
                    "service principal (environment)",
                    build_credential(&a, cloud, http, env)?,
                ));
            }
            if env(ENV_FEDERATED_TOKEN_FILE).is_some() {
                match build_credential(&Auth::Workload, cloud, http, env) {
                    Ok(c) => sources.push(ChainSource::new("workload identity", c)),
                    Err(e) => {
                        tracing::debug!("default credential chain: no workload identity: {e}")
                    }
                }
            }
            match build_credential(
                &Auth::Msi {
                    client_id: env(ENV_CLIENT_ID),
                },
                cloud,
                http,
                env,
            ) {
                // Off Azure the IMDS endpoint does not answer: bound the
                // first attempt so the chain reaches the CLI quickly.
                Ok(c) => sources.push(
                    ChainSource::new("managed identity", c)
                        .with_first_attempt_timeout(Duration::from_secs(3)),
                ),
                Err(e) => tracing::debug!("default credential chain: no managed identity: {e}"),
            }
            sources.push(ChainSource::new(
                "azure cli",
                build_credential(&Auth::Cli, cloud, http, env)?,
            ));
            Arc::new(ChainCredential::new(sources))
        }
    })
}

/// A fixed bearer token.
pub struct StaticTokenCredential {
    token: Secret,
}

impl fmt::Debug for StaticTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticTokenCredential(<redacted>)")
    }
}

#[async_trait]
impl TokenCredential for StaticTokenCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        // Expiry unknown; a day ahead (it cannot be refreshed anyway).
        Ok(AccessToken::new(
            self.token.clone(),
            OffsetDateTime::now_utc() + CoreDuration::days(1),
        ))
    }
}

/// One credential of a [`ChainCredential`].
pub struct ChainSource {
    name: &'static str,
    credential: Arc<dyn TokenCredential>,
    first_attempt_timeout: Option<Duration>,
}

impl ChainSource {
    pub fn new(name: &'static str, credential: Arc<dyn TokenCredential>) -> Self {
        ChainSource {
            name,
            credential,
            first_attempt_timeout: None,
        }
    }

    /// Give up on this source after `t` while no source has been selected.
    pub fn with_first_attempt_timeout(mut self, t: Duration) -> Self {
        self.first_attempt_timeout = Some(t);
        self
    }
}

/// Tries credentials in order; the first that yields a token is used from
/// then on (as `DefaultAzureCredential` does in the other Azure SDKs).
pub struct ChainCredential {
    sources: Vec<ChainSource>,
    selected: AtomicUsize,
}

impl fmt::Debug for ChainCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.sources.iter().map(|s| s.name).collect();
        f.debug_struct("ChainCredential")
            .field("sources", &names)
            .finish()
    }
}

impl ChainCredential {
    pub fn new(sources: Vec<ChainSource>) -> Self {
        ChainCredential {
            sources,
            selected: AtomicUsize::new(usize::MAX),
        }
    }

    /// The name of the selected source, once one produced a token.
    pub fn selected(&self) -> Option<&'static str> {
        self.sources
            .get(self.selected.load(Ordering::Acquire))
            .map(|s| s.name)
    }
}

#[async_trait]
impl TokenCredential for ChainCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        if let Some(s) = self.sources.get(self.selected.load(Ordering::Acquire)) {
            return s.credential.get_token(scopes, options).await;
        }
        let mut reasons = Vec::new();
        for (i, s) in self.sources.iter().enumerate() {
            let attempt = s.credential.get_token(scopes, options.clone());
            let r = match s.first_attempt_timeout {
                Some(t) => match tokio::time::timeout(t, attempt).await {
                    Ok(r) => r,
                    Err(_) => {
                        reasons.push(format!("{}: no answer within {} s", s.name, t.as_secs()));
                        continue;
                    }
                },
                None => attempt.await,
            };
            match r {
                Ok(tok) => {
                    self.selected.store(i, Ordering::Release);
                    tracing::debug!(
                        credential = s.name,
                        "default credential chain selected a credential"
                    );
                    return Ok(tok);
                }
                Err(e) => reasons.push(format!("{}: {e}", s.name)),
            }
        }
        Err(azure_core::Error::with_message(
            azure_core::error::ErrorKind::Credential,
            format!(
                "no credential of the default chain produced a token ({}); choose one with --auth",
                reasons.join("; ")
            ),
        ))
    }
}

/// A client assertion signed with a certificate's RSA key (RS256 JWT,
/// `x5t` = SHA-1 thumbprint).
pub struct CertificateAssertion {
    key: ring::signature::RsaKeyPair,
    x5t: String,
    audience: String,
    client_id: String,
}

impl fmt::Debug for CertificateAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateAssertion")
            .field("x5t", &self.x5t)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

fn authority_host(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::China => "https://login.chinacloudapi.cn",
        Cloud::UsGovernment => "https://login.microsoftonline.us",
        Cloud::Public | Cloud::Custom => "https://login.microsoftonline.com",
    }
}

impl CertificateAssertion {
    /// Read a PEM file holding the certificate and its RSA private key.
    pub fn from_pem_file(
        path: &Path,
        cloud: Cloud,
        tenant: &str,
        client_id: &str,
    ) -> Result<Self, ClientError> {
        let bytes = std::fs::read(path).map_err(|e| {
            ClientError::Config(format!(
                "--auth sp-cert: cannot read certificate file {}: {e}",
                path.display()
            ))
        })?;
        if !bytes.windows(10).any(|w| w == b"-----BEGIN") {
            return Err(ClientError::Config(format!(
                "--auth sp-cert: {} is not a PEM file. PKCS#12 (.pfx/.p12) is not supported (it would need OpenSSL); convert it with `openssl pkcs12 -in cert.pfx -out cert.pem -nodes` and pass the PEM (certificate + unencrypted RSA private key)",
                path.display()
            )));
        }
        Self::from_pem(&bytes, cloud, tenant, client_id).map_err(|e| match e {
            ClientError::Config(m) => ClientError::Config(format!("{m} ({})", path.display())),
            other => other,
        })
    }

    /// Parse PEM bytes (certificate and key in any order).
    pub fn from_pem(
        pem: &[u8],
        cloud: Cloud,
        tenant: &str,
        client_id: &str,
    ) -> Result<Self, ClientError> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        if pem.windows(21).any(|w| w == b"ENCRYPTED PRIVATE KEY") {
            return Err(ClientError::Config(
                "--auth sp-cert: the private key is encrypted; export it unencrypted (`openssl pkey -in key.pem -out plain.pem`) and keep the file private".into(),
            ));
        }
        let cert = CertificateDer::pem_slice_iter(pem)
            .next()
            .ok_or_else(|| {
                ClientError::Config("--auth sp-cert: no CERTIFICATE block in the PEM file".into())
            })?
            .map_err(|e| {
                ClientError::Config(format!("--auth sp-cert: bad CERTIFICATE block: {e}"))
            })?;
        let key = PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
            ClientError::Config(format!(
                "--auth sp-cert: no usable PRIVATE KEY block in the PEM file ({e})"
            ))
        })?;
        let key = match &key {
            PrivateKeyDer::Pkcs8(k) => ring::signature::RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(k) => ring::signature::RsaKeyPair::from_der(k.secret_pkcs1_der()),
            _ => {
                return Err(ClientError::Config(
                    "--auth sp-cert: the private key must be RSA (Microsoft Entra certificate credentials are RS256)".into(),
                ));
            }
        }
        .map_err(|e| ClientError::Config(format!("--auth sp-cert: the private key is not a usable RSA key: {e}")))?;
        let thumb = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, cert.as_ref());
        Ok(CertificateAssertion {
            key,
            x5t: azure_core::base64::encode_url_safe(thumb.as_ref()),
            audience: format!("{}/{tenant}/oauth2/v2.0/token", authority_host(cloud)),
            client_id: client_id.to_string(),
        })
    }

    /// A fresh signed assertion, valid for 10 minutes.
    pub fn sign(&self) -> Result<String, ClientError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.x5t});
        let claims = serde_json::json!({
            "aud": self.audience,
            "iss": self.client_id,
            "sub": self.client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + 600,
        });
        let b64 =
            |v: &serde_json::Value| azure_core::base64::encode_url_safe(v.to_string().as_bytes());
        let signing_input = format!("{}.{}", b64(&header), b64(&claims));
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| ClientError::Auth("signing the certificate assertion failed".into()))?;
        Ok(format!(
            "{signing_input}.{}",
            azure_core::base64::encode_url_safe(&sig)
        ))
    }

    /// The certificate's SHA-1 thumbprint, base64url (the JWT's `x5t`).
    pub fn thumbprint(&self) -> &str {
        &self.x5t
    }
}

#[async_trait]
impl azure_identity::ClientAssertion for CertificateAssertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        self.sign().map_err(|e| {
            azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, e.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Tuning;
    use std::collections::HashMap;

    /// A TEST-ONLY certificate + RSA key (generated for these tests with
    /// `openssl req -x509 -newkey rsa:2048 -nodes`); SHA-1 fingerprint
    /// 1E:48:1F:94:13:84:9F:53:DD:00:2A:BF:4F:1B:2B:D6:82:98:85:13.
    const CERT: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sp-cert-test-only.pem"
    );

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn http() -> Arc<dyn HttpClient> {
        Arc::new(crate::transport::build_http(None, &Tuning::default()).unwrap())
    }

    #[test]
    fn debug_never_shows_secrets() {
        let a = Auth::Token("tok-SECRET".into());
        assert!(!format!("{a:?}").contains("SECRET"));
        let a = Auth::SpSecret {
            tenant: "t".into(),
            client_id: "c".into(),
            secret: "pw-SECRET".into(),
        };
        let d = format!("{a:?}");
        assert!(!d.contains("SECRET") && d.contains("client_id"), "{d}");
        assert_eq!(a.kind(), "sp-secret");
    }

    #[test]
    fn configuration_errors_name_what_is_missing_without_values() {
        let h = http();
        let none = env_of(&[]);
        let e = build_credential(&Auth::Token("  ".into()), Cloud::Public, &h, &none).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        let e = build_credential(&Auth::Workload, Cloud::Public, &h, &none).unwrap_err();
        assert!(e.to_string().contains("AZURE_FEDERATED_TOKEN_FILE"), "{e}");
        // The default chain with a secret in the environment but no tenant.
        let env = env_of(&[(ENV_CLIENT_SECRET, "s3cr3t"), (ENV_CLIENT_ID, "c")]);
        let e = build_credential(&Auth::Default, Cloud::Public, &h, &env).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("AZURE_TENANT_ID") && !m.contains("s3cr3t"),
            "{m}"
        );
        // Complete: builds, and its Debug hides the secret.
        let env = env_of(&[
            (ENV_CLIENT_SECRET, "s3cr3t"),
            (ENV_CLIENT_ID, "00000000-0000-0000-0000-000000000001"),
            (ENV_TENANT_ID, "72f988bf-86f1-41af-91ab-2d7cd011db47"),
        ]);
        let c = build_credential(&Auth::Default, Cloud::UsGovernment, &h, &env).unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t"));
        let sp = Auth::SpSecret {
            tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            client_id: "c".into(),
            secret: "s3cr3t".into(),
        };
        assert!(build_credential(&sp, Cloud::China, &h, &none).is_ok());
    }

    #[test]
    fn certificate_assertion_is_an_rs256_jwt_with_the_thumbprint() {
        let a =
            CertificateAssertion::from_pem_file(Path::new(CERT), Cloud::China, "tenant-1", "app-1")
                .unwrap();
        let thumb: Vec<u8> = "1E481F9413849F53DD002ABF4F1B2BD682988513"
            .as_bytes()
            .chunks(2)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
            .collect();
        assert_eq!(a.thumbprint(), azure_core::base64::encode_url_safe(&thumb));
        let jwt = a.sign().unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let json = |p: &str| -> serde_json::Value {
            serde_json::from_slice(&azure_core::base64::decode_url_safe(p).unwrap()).unwrap()
        };
        let (h, c) = (json(parts[0]), json(parts[1]));
        assert_eq!(h["alg"], "RS256");
        assert_eq!(h["x5t"], a.thumbprint());
        assert_eq!(
            c["aud"],
            "https://login.chinacloudapi.cn/tenant-1/oauth2/v2.0/token"
        );
        assert_eq!(
            (c["iss"].as_str(), c["sub"].as_str()),
            (Some("app-1"), Some("app-1"))
        );
        assert!(c["exp"].as_i64().unwrap() > c["nbf"].as_i64().unwrap());
        // The signature verifies with the key's public half.
        let sig = azure_core::base64::decode_url_safe(parts[2]).unwrap();
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            a.key.public().as_ref(),
        );
        public
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
    }

    #[test]
    fn pfx_and_encrypted_keys_are_refused_with_hints() {
        let dir = tempfile::tempdir().unwrap();
        let pfx = dir.path().join("c.pfx");
        std::fs::write(&pfx, [0x30u8, 0x82, 0x01, 0x00]).unwrap();
        let e = CertificateAssertion::from_pem_file(&pfx, Cloud::Public, "t", "c").unwrap_err();
        assert!(e.to_string().contains("openssl pkcs12"), "{e}");
        let enc =
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        let e = CertificateAssertion::from_pem(enc, Cloud::Public, "t", "c").unwrap_err();
        assert!(e.to_string().contains("encrypted"), "{e}");
        let cert_only = std::fs::read_to_string(CERT).unwrap();
        let cert_only = &cert_only[..cert_only.find("-----BEGIN PRIVATE KEY").unwrap()];
        let e = CertificateAssertion::from_pem(cert_only.as_bytes(), Cloud::Public, "t", "c")
            .unwrap_err();
        assert!(e.to_string().contains("PRIVATE KEY"), "{e}");
    }

    #[derive(Debug)]
    struct Fake(Option<&'static str>, AtomicUsize);

    #[async_trait]
    impl TokenCredential for Fake {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            self.1.fetch_add(1, Ordering::SeqCst);
            match self.0 {
                Some(t) => Ok(AccessToken::new(
                    Secret::from(t),
                    OffsetDateTime::now_utc() + CoreDuration::hours(1),
                )),
                None => Err(azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Credential,
                    "not available here",
                )),
            }
        }
    }

    #[derive(Debug)]
    struct Hangs;

    #[async_trait]
    impl TokenCredential for Hangs {
        async fn get_token(
            &self,
            _: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<AccessToken> {
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn chain_falls_through_and_sticks_to_the_first_success() {
        let a = Arc::new(Fake(None, AtomicUsize::new(0)));
        let b = Arc::new(Fake(Some("tok-b"), AtomicUsize::new(0)));
        let chain = ChainCredential::new(vec![
            ChainSource::new("a", a.clone()),
            ChainSource::new("hangs", Arc::new(Hangs))
                .with_first_attempt_timeout(Duration::from_millis(1)),
            ChainSource::new("b", b.clone()),
        ]);
        assert_eq!(
            chain.get_token(&["s"], None).await.unwrap().token.secret(),
            "tok-b"
        );
        assert_eq!(chain.selected(), Some("b"));
        chain.get_token(&["s"], None).await.unwrap();
        assert_eq!(
            a.1.load(Ordering::SeqCst),
            1,
            "a failed source is not asked again"
        );
        assert_eq!(b.1.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn chain_reports_every_reason() {
        let chain = ChainCredential::new(vec![
            ChainSource::new("one", Arc::new(Fake(None, AtomicUsize::new(0)))),
            ChainSource::new("two", Arc::new(Fake(None, AtomicUsize::new(0)))),
        ]);
        let e = chain.get_token(&["s"], None).await.unwrap_err().to_string();
        assert!(
            e.contains("one: ") && e.contains("two: ") && e.contains("--auth"),
            "{e}"
        );
    }
}
