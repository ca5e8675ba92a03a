//! Connection flags shared by every command that talks to Azure Resource
//! Manager (live discovery, apply, …): endpoint, credentials, extra CA.

use crate::exit::CliError;
use azrelo_client::{ArmClient, Auth, ClientError, ClientOptions};
use std::path::PathBuf;

/// How to reach ARM and who to be.
#[derive(Clone, clap::Args)]
pub struct ArmArgs {
    /// ARM endpoint: a cloud name (AzureCloud, AzureUSGovernment,
    /// AzureChinaCloud) or a URL, e.g. the emulator's https://127.0.0.1:8443.
    /// Default: az's active cloud (`az cloud show`; AZURE_CLOUD_NAME, a
    /// registered cloud's Resource Manager endpoint), else AzureCloud.
    #[arg(
        long = "arm-endpoint",
        env = "AZRELO_ARM_ENDPOINT",
        value_name = "URL|CLOUD"
    )]
    pub arm_endpoint: Option<String>,
    /// Credential: cli (az login), msi (managed identity), workload (AKS
    /// workload identity), sp-secret, sp-cert, token (a bearer token, e.g. for
    /// the emulator), default (environment service principal → workload →
    /// managed identity → cli).
    #[arg(long, env = "AZRELO_AUTH", value_enum, default_value_t = AuthKind::Default)]
    pub auth: AuthKind,
    /// Bearer token for --auth token (prefer the environment variable).
    #[arg(
        long,
        env = "AZRELO_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// Tenant (directory) id for sp-secret and sp-cert.
    #[arg(long, env = "AZURE_TENANT_ID", value_name = "ID")]
    pub tenant: Option<String>,
    /// Application (client) id for sp-secret and sp-cert, or the user-assigned
    /// identity's client id for msi.
    #[arg(long = "client-id", env = "AZURE_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,
    /// Client secret for sp-secret. Set AZURE_CLIENT_SECRET rather than
    /// passing it on the command line (other local users can see arguments).
    #[arg(
        long = "client-secret",
        env = "AZURE_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub client_secret: Option<String>,
    /// PEM file with the certificate and its unencrypted RSA key, for sp-cert.
    #[arg(
        long = "client-certificate",
        env = "AZURE_CLIENT_CERTIFICATE_PATH",
        value_name = "PATH"
    )]
    pub client_certificate: Option<PathBuf>,
    /// Retries of a call on throttling (429), server errors (5xx) and
    /// connection failures, with exponential backoff (honouring Retry-After).
    #[arg(
        long = "max-retries",
        env = "AZRELO_MAX_RETRIES",
        default_value_t = 8,
        value_name = "N"
    )]
    pub max_retries: u32,
    /// Extra trusted CA certificate (PEM), e.g. the emulator's generated one.
    #[arg(long = "ca-cert", env = "AZRELO_CA_CERT", value_name = "PATH")]
    pub ca_cert: Option<PathBuf>,
    /// Give up waiting for one long-running ARM operation after this long
    /// (e.g. 90m, 6h, 3600s; the operation may go on in Azure and the step
    /// can be resumed).
    #[arg(
        long = "operation-timeout",
        env = "AZRELO_OPERATION_TIMEOUT",
        default_value = "24h",
        value_name = "DURATION",
        value_parser = parse_duration
    )]
    pub operation_timeout: std::time::Duration,
}

/// `90s`, `45m`, `6h`, `1d`, `1h 30m` (humantime's forms) or plain seconds.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let d = if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse::<u64>()
            .map(std::time::Duration::from_secs)
            .map_err(|e| format!("'{s}': {e}"))?
    } else {
        humantime::parse_duration(s)
            .map_err(|e| format!("'{s}' is not a duration ({e}): use e.g. 90m, 6h or 3600s"))?
    };
    if d.is_zero() {
        return Err("the timeout must be longer than zero".into());
    }
    Ok(d)
}

/// `--auth` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthKind {
    Cli,
    Msi,
    Workload,
    SpSecret,
    SpCert,
    Token,
    Default,
}

impl std::fmt::Debug for ArmArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("ArmArgs")
            .field("arm_endpoint", &self.arm_endpoint)
            .field("auth", &self.auth)
            .field("token", &redacted(&self.token))
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("client_secret", &redacted(&self.client_secret))
            .field("client_certificate", &self.client_certificate)
            .field("max_retries", &self.max_retries)
            .field("ca_cert", &self.ca_cert)
            .field("operation_timeout", &self.operation_timeout)
            .finish()
    }
}

fn need(v: &Option<String>, flag: &str, env: &str, auth: &str) -> Result<String, CliError> {
    v.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| {
        CliError::bad_input(
            format!("--auth {auth} needs {flag}"),
            format!("pass {flag} or set {env}"),
        )
    })
}

impl ArmArgs {
    /// The credential these flags select.
    pub fn auth(&self) -> Result<Auth, CliError> {
        Ok(match self.auth {
            AuthKind::Cli => Auth::Cli,
            AuthKind::Msi => Auth::Msi {
                client_id: self.client_id.clone(),
            },
            AuthKind::Workload => Auth::Workload,
            AuthKind::Default => Auth::Default,
            AuthKind::Token => Auth::Token(need(&self.token, "--token", "AZRELO_TOKEN", "token")?),
            AuthKind::SpSecret => Auth::SpSecret {
                tenant: need(&self.tenant, "--tenant", "AZURE_TENANT_ID", "sp-secret")?,
                client_id: need(&self.client_id, "--client-id", "AZURE_CLIENT_ID", "sp-secret")?,
                secret: need(&self.client_secret, "a client secret", "AZURE_CLIENT_SECRET", "sp-secret")?,
            },
            AuthKind::SpCert => Auth::SpCert {
                tenant: need(&self.tenant, "--tenant", "AZURE_TENANT_ID", "sp-cert")?,
                client_id: need(&self.client_id, "--client-id", "AZURE_CLIENT_ID", "sp-cert")?,
                cert_pem: self.client_certificate.clone().ok_or_else(|| {
                    CliError::bad_input(
                        "--auth sp-cert needs --client-certificate",
                        "pass --client-certificate PATH (PEM with certificate and RSA key) or set AZURE_CLIENT_CERTIFICATE_PATH",
                    )
                })?,
            },
        })
    }

    /// The endpoint: --arm-endpoint (or AZRELO_ARM_ENDPOINT), else az's
    /// active cloud.
    pub fn endpoint(&self) -> Result<String, CliError> {
        match &self.arm_endpoint {
            Some(e) if !e.trim().is_empty() => Ok(e.clone()),
            _ => crate::az_config::active_cloud_endpoint(),
        }
    }

    /// Client options for these flags (a loopback endpoint — the emulator —
    /// is polled every 20 ms instead of ARM's 5 s default).
    pub fn options(&self) -> Result<ClientOptions, CliError> {
        let (url, _) = azrelo_client::resolve_endpoint(&self.endpoint()?).map_err(config_error)?;
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        let mut o = if loopback {
            ClientOptions::emulator(url.as_str(), "unused", self.ca_cert.clone())
        } else {
            ClientOptions {
                endpoint: url.as_str().to_string(),
                ca_cert: self.ca_cert.clone(),
                ..ClientOptions::default()
            }
        };
        o.auth = self.auth()?;
        o.max_retries = self.max_retries;
        Ok(o)
    }

    /// Build the ARM client.
    pub fn client(&self) -> Result<ArmClient, CliError> {
        let tuning = azrelo_client::Tuning {
            operation_timeout: self.operation_timeout,
            ..azrelo_client::Tuning::default()
        };
        ArmClient::with_tuning(self.options()?, tuning).map_err(config_error)
    }
}

fn config_error(e: ClientError) -> CliError {
    match e {
        ClientError::Config(m) => CliError::bad_input(
            m,
            "check --arm-endpoint, --auth and its credentials, and --ca-cert",
        ),
        other => CliError::failure(other),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_read_like_the_help_says() {
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("6h"), Ok(Duration::from_secs(21_600)));
        assert_eq!(parse_duration("3600"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert!(parse_duration("0s").is_err());
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("5 fortnights").is_err());
        // Overflow is an error, not a panic.
        assert!(parse_duration("99999999999999999999d").is_err());
        assert!(parse_duration("99999999999999999999").is_err());
        assert!(parse_duration("h").is_err());
    }
}
