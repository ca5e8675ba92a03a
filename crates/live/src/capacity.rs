//! What a target subscription offers in the target region (executor
//! `quota-check`, `azrelo assess --live`), read as ARM answers it:
//!
//! * `GET /subscriptions/{s}/providers/Microsoft.Compute/skus?$filter=location eq '{region}'`
//!   (REST "Resource Skus - List", api 2021-07-01): each VM size with its
//!   zones (`locationInfo[].zones`), `vCPUs` capability and `restrictions`
//!   (`reasonCode` `NotAvailableForSubscription`);
//! * `GET /subscriptions/{s}/providers/Microsoft.Compute/locations/{region}/usages`
//!   (REST "Usage - List", api 2024-07-01): `cores` and one quota per VM family;
//! * `GET /subscriptions/{s}/providers/Microsoft.Network/locations/{region}/usages`
//!   (REST network "Usages - List", api 2024-05-01): `PublicIPAddresses`, …;
//! * `GET /subscriptions/{s}/providers/{namespace}` (REST "Providers - Get",
//!   api 2021-04-01): `registrationState` of each provider the plan deploys.
//!
//! The answers are turned into figures by `azrelo_plan::capacity`.

use azrelo_client::ArmClient;
use serde_json::Value;

use crate::Failure;

/// api-versions of these reads.
pub mod api {
    pub const SKUS: &str = "2021-07-01";
    pub const COMPUTE_USAGES: &str = "2024-07-01";
    pub const NETWORK_USAGES: &str = "2024-05-01";
    pub const PROVIDERS: &str = "2021-04-01";
}

/// ARM's answers for one subscription and region.
#[derive(Debug, Clone, Default)]
pub struct CapacityAnswers {
    /// Resource SKUs of the region (`value` of Resource Skus - List).
    pub skus: Vec<Value>,
    /// Compute and network usages of the region.
    pub usages: Vec<Value>,
    /// One Providers - Get body per namespace the subscription knows.
    pub providers: Vec<Value>,
}

/// Reads the capacity of `subscription` in `region` (a region name such as
/// `swedencentral`) and the registration of `namespaces`. A failed call is
/// returned as a failure (the figures it would have given are then missing
/// from the answers); a namespace ARM does not know is skipped.
pub async fn capacity(
    client: &ArmClient,
    subscription: &str,
    region: &str,
    namespaces: &[String],
) -> (CapacityAnswers, Vec<Failure>) {
    let mut out = CapacityAnswers::default();
    let mut failures = Vec::new();
    let region = azrelo_arm::region::normalize(region);
    let sub = format!("/subscriptions/{subscription}");
    let skus = format!(
        "{sub}/providers/Microsoft.Compute/skus?$filter={}",
        azrelo_arm::uri::escape_data_string(&format!("location eq '{region}'"))
    );
    let mut fail = |call: String, e: azrelo_client::ClientError| {
        failures.push(Failure {
            call,
            error: e.to_string(),
        })
    };
    match client.list(&skus, api::SKUS).await {
        Ok(v) => out.skus = v,
        Err(e) => fail(format!("GET {sub}/providers/Microsoft.Compute/skus"), e),
    }
    for (ns, api) in [
        ("Microsoft.Compute", api::COMPUTE_USAGES),
        ("Microsoft.Network", api::NETWORK_USAGES),
    ] {
        let path = format!("{sub}/providers/{ns}/locations/{region}/usages");
        match client.list(&path, api).await {
            Ok(v) => out.usages.extend(v),
            Err(e) => fail(format!("GET {path}"), e),
        }
    }
    for ns in namespaces {
        let path = format!("{sub}/providers/{ns}");
        match client.get(&path, api::PROVIDERS).await {
            Ok(Some(v)) => out.providers.push(v),
            Ok(None) => {}
            // An unknown namespace is a 404 (InvalidResourceNamespace) too.
            Err(e) if e.status() == Some(404) => {}
            Err(e) => fail(format!("GET {path}"), e),
        }
    }
    (out, failures)
}

#[cfg(test)]
mod tests {
    #[test]
    fn filter_is_encoded() {
        assert_eq!(
            azrelo_arm::uri::escape_data_string("location eq 'swedencentral'"),
            "location%20eq%20%27swedencentral%27"
        );
    }
}
