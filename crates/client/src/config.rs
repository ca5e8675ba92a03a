//! Client configuration: the ARM endpoint (public or sovereign cloud by name,
//! the local emulator, any URL), credentials, extra trusted CA, retry,
//! polling and concurrency settings, plus finer [`Tuning`].

use crate::auth::Auth;
use crate::error::ClientError;
use azure_core::http::Url;
use std::path::PathBuf;
use std::time::Duration;

/// What [`ArmClient::new`](crate::ArmClient::new) needs.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// ARM base URL (default `https://management.azure.com`) or a cloud name
    /// (`AzureCloud`, `AzureUSGovernment`, `AzureChinaCloud`). Plain `http://`
    /// is accepted only for loopback hosts (the in-process emulator in tests).
    pub endpoint: String,
    pub auth: Auth,
    /// Extra trusted root (PEM, one or more certificates), e.g. the
    /// emulator's generated certificate; the system roots stay trusted.
    pub ca_cert: Option<PathBuf>,
    /// Retries on 429, 5xx and transport errors (default 8).
    pub max_retries: u32,
    /// Poll interval of long-running operations when the service sends no
    /// `Retry-After` (default 5 s; tests use ~20 ms).
    pub min_poll: Duration,
    /// Requests in flight at once (default 16).
    pub max_concurrency: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            endpoint: PUBLIC_ENDPOINT.trim_end_matches('/').to_string(),
            auth: Auth::Default,
            ca_cert: None,
            max_retries: 8,
            min_poll: Duration::from_secs(5),
            max_concurrency: 16,
        }
    }
}

impl ClientOptions {
    /// Options for the local emulator: a static token, its certificate (for
    /// HTTPS), fast polling.
    pub fn emulator(endpoint: &str, token: &str, ca_cert: Option<PathBuf>) -> Self {
        ClientOptions {
            endpoint: endpoint.to_string(),
            auth: Auth::Token(token.to_string()),
            ca_cert,
            min_poll: Duration::from_millis(20),
            ..ClientOptions::default()
        }
    }
}

/// Finer knobs with sensible defaults; see [`ArmClient::with_tuning`](crate::ArmClient::with_tuning).
#[derive(Debug, Clone)]
pub struct Tuning {
    /// First backoff delay (doubled per retry, full jitter).
    pub initial_backoff: Duration,
    /// Cap of one computed backoff delay.
    pub max_backoff: Duration,
    /// Cap of a server-sent `Retry-After` (longer asks are clamped).
    pub max_retry_after: Duration,
    /// Multiplier for every server-requested or computed wait (retry and
    /// polling, including a 429's block of the subscription's bucket); 1.0
    /// in real use, smaller in tests. The buckets' refill follows real time
    /// like ARM's own.
    pub time_scale: f64,
    /// Client-side token buckets (per subscription, reads/writes/deletes).
    pub throttle: ThrottleConfig,
    /// Timeout to establish a connection.
    pub connect_timeout: Duration,
    /// Timeout between two reads of a response.
    pub read_timeout: Duration,
    /// How long one long-running operation may stay non-terminal before the
    /// wait gives up with `OperationTimedOut` (the operation itself may go
    /// on in Azure; a PUT can simply be sent again). Default 24 h: ARM has
    /// no documented upper bound, and the slowest steps of a relocation
    /// (large database copies) run for hours, not days.
    pub operation_timeout: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        // Backoff shape as azure_core's retry defaults (800 ms base there,
        // 30 s cap); ARM asks for Retry-After up to minutes when throttling.
        Tuning {
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
            time_scale: 1.0,
            throttle: ThrottleConfig::default(),
            connect_timeout: Duration::from_secs(20),
            read_timeout: Duration::from_secs(120),
            operation_timeout: Duration::from_secs(24 * 3600),
        }
    }
}

impl Tuning {
    pub(crate) fn scaled(&self, d: Duration) -> Duration {
        if self.time_scale.is_finite() && self.time_scale >= 0.0 {
            d.mul_f64(self.time_scale)
        } else {
            d
        }
    }
}

/// A bucket's shape: burst and refill per second.
#[derive(Debug, Clone, Copy)]
pub struct BucketShape {
    pub capacity: f64,
    pub refill_per_sec: f64,
}

/// Client-side throttling, defaulting to ARM's documented limits per
/// subscription and principal (reads 250 + 25/s, writes 200 + 10/s,
/// deletes 200 + 10/s —
/// <https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling>).
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    pub enabled: bool,
    pub reads: BucketShape,
    pub writes: BucketShape,
    pub deletes: BucketShape,
    /// Share of a bucket kept in reserve: once the (reported or counted)
    /// remaining requests fall below it, calls are paced at the refill rate
    /// instead of draining the bucket into 429s.
    pub reserve_fraction: f64,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            enabled: true,
            reads: BucketShape {
                capacity: 250.0,
                refill_per_sec: 25.0,
            },
            writes: BucketShape {
                capacity: 200.0,
                refill_per_sec: 10.0,
            },
            deletes: BucketShape {
                capacity: 200.0,
                refill_per_sec: 10.0,
            },
            reserve_fraction: 0.1,
        }
    }
}

pub(crate) const PUBLIC_ENDPOINT: &str = "https://management.azure.com/";

/// Which Azure cloud the endpoint belongs to (authority host, token scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    Public,
    UsGovernment,
    China,
    /// The emulator or another endpoint: public-cloud authority.
    Custom,
}

impl Cloud {
    /// ARM endpoints of the named clouds (as `az cloud show` lists them).
    pub fn endpoint(self) -> Option<&'static str> {
        match self {
            Cloud::Public => Some(PUBLIC_ENDPOINT),
            Cloud::UsGovernment => Some("https://management.usgovcloudapi.net/"),
            Cloud::China => Some("https://management.chinacloudapi.cn/"),
            Cloud::Custom => None,
        }
    }

    pub(crate) fn core_cloud(self) -> Option<azure_core::cloud::CloudConfiguration> {
        use azure_core::cloud::CloudConfiguration as C;
        match self {
            Cloud::Public => Some(C::AzurePublic),
            Cloud::UsGovernment => Some(C::AzureGovernment),
            Cloud::China => Some(C::AzureChina),
            Cloud::Custom => None,
        }
    }
}

/// Resolve `--arm-endpoint`: a cloud name (`AzureCloud`, `AzureUSGovernment`,
/// `AzureChinaCloud`, case-insensitive) or an absolute URL. `https` is
/// required except for loopback hosts (the token never leaves the machine).
pub fn resolve_endpoint(s: &str) -> Result<(Url, Cloud), ClientError> {
    let t = s.trim();
    let named = match t.to_ascii_lowercase().as_str() {
        "azurecloud" | "azurepubliccloud" | "public" => Some(Cloud::Public),
        "azureusgovernment" | "azureusgovernmentcloud" | "usgov" => Some(Cloud::UsGovernment),
        "azurechinacloud" | "china" => Some(Cloud::China),
        _ => None,
    };
    if let Some(c) = named {
        let url = Url::parse(c.endpoint().unwrap_or(PUBLIC_ENDPOINT))
            .map_err(|e| ClientError::Config(e.to_string()))?;
        return Ok((url, c));
    }
    let mut url = Url::parse(t).map_err(|e| {
        ClientError::Config(format!(
            "--arm-endpoint '{t}' is neither a cloud name (AzureCloud, AzureUSGovernment, AzureChinaCloud) nor a URL: {e}"
        ))
    })?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(ClientError::Config(format!(
                "--arm-endpoint '{t}': plain http:// is refused for a non-loopback host (bearer tokens are never sent in clear text over the network)"
            )));
        }
        other => {
            return Err(ClientError::Config(format!(
                "--arm-endpoint '{t}': unsupported scheme '{other}' (use https://)"
            )));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ClientError::Config(format!(
            "--arm-endpoint '{t}' has no host"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ClientError::Config(format!(
            "--arm-endpoint '{t}' must not carry a query or fragment"
        )));
    }
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    let cloud = [Cloud::Public, Cloud::UsGovernment, Cloud::China]
        .into_iter()
        .find(|c| {
            c.endpoint()
                .and_then(|e| Url::parse(e).ok())
                .is_some_and(|e| e.host_str() == url.host_str() && url.port().is_none())
        })
        .unwrap_or(Cloud::Custom);
    Ok((url, cloud))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_names_urls_and_loopback_http() {
        let (u, c) = resolve_endpoint("AzureChinaCloud").unwrap();
        assert_eq!(
            (u.as_str(), c),
            ("https://management.chinacloudapi.cn/", Cloud::China)
        );
        let (u, c) = resolve_endpoint("azureusgovernment").unwrap();
        assert_eq!(
            (u.as_str(), c),
            ("https://management.usgovcloudapi.net/", Cloud::UsGovernment)
        );
        let (_, c) = resolve_endpoint("https://management.azure.com").unwrap();
        assert_eq!(c, Cloud::Public);
        let (u, c) = resolve_endpoint("https://127.0.0.1:8443").unwrap();
        assert_eq!((u.as_str(), c), ("https://127.0.0.1:8443/", Cloud::Custom));
        assert!(resolve_endpoint("http://127.0.0.1:8080").is_ok());
        assert!(resolve_endpoint("http://localhost:8080").is_ok());
        let e = resolve_endpoint("http://arm.example.com").unwrap_err();
        assert!(e.to_string().contains("clear text"), "{e}");
        assert!(resolve_endpoint("not a url").is_err());
        assert!(resolve_endpoint("ftp://x").is_err());
    }
}
