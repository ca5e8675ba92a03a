//! The fleet: machines, Defender portal devices, subscription settings,
//! multicloud connectors and Log Analytics workspaces, as read from files or
//! live ARM.

use crate::os::{OsProduct, OsType};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Defender for Servers plan (`Microsoft.Security/pricings/VirtualMachines`
/// `subPlan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ServersPlan {
    P1,
    P2,
}

impl ServersPlan {
    pub fn as_str(self) -> &'static str {
        match self {
            ServersPlan::P1 => "P1",
            ServersPlan::P2 => "P2",
        }
    }

    pub fn parse(s: &str) -> Option<ServersPlan> {
        match s.trim().to_ascii_uppercase().as_str() {
            "P1" | "PLAN1" | "PLAN 1" => Some(ServersPlan::P1),
            "P2" | "PLAN2" | "PLAN 2" => Some(ServersPlan::P2),
            _ => None,
        }
    }
}

impl std::fmt::Display for ServersPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the machine record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MachineKind {
    /// `Microsoft.Compute/virtualMachines`.
    AzureVm,
    /// `Microsoft.HybridCompute/machines` (Azure Arc-enabled server).
    ArcServer,
    /// Only in the Defender portal's device list: not (yet) an Azure resource.
    DefenderDevice,
}

/// Where the machine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hosting {
    Azure,
    OnPremises,
    Aws,
    Gcp,
}

impl Hosting {
    pub fn parse_cloud(s: &str) -> Option<Hosting> {
        let l = s.trim().to_ascii_lowercase();
        if l.contains("aws") || l.contains("amazon") {
            Some(Hosting::Aws)
        } else if l.contains("gcp") || l.contains("google") {
            Some(Hosting::Gcp)
        } else if l.contains("azure") {
            Some(Hosting::Azure)
        } else {
            None
        }
    }
}

/// A VM or Arc machine extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    pub name: String,
    /// `properties.type` (`MDE.Windows`, `MicrosoftMonitoringAgent`, …).
    #[serde(rename = "type")]
    pub ext_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<String>,
    /// `settings.workspaceId` of a Log Analytics agent (the workspace's customer id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
}

impl Extension {
    /// `MDE.Windows` / `MDE.Linux` (publisher `Microsoft.Azure.AzureDefenderForServers`).
    pub fn is_mde(&self) -> bool {
        self.ext_type.eq_ignore_ascii_case("MDE.Windows")
            || self.ext_type.eq_ignore_ascii_case("MDE.Linux")
    }

    /// The Log Analytics agent (MMA on Windows, OMS agent on Linux), which the
    /// legacy Defender for Endpoint solution of Windows Server 2012 R2/2016
    /// depends on.
    pub fn is_log_analytics_agent(&self) -> bool {
        self.ext_type
            .eq_ignore_ascii_case("MicrosoftMonitoringAgent")
            || self.ext_type.eq_ignore_ascii_case("OmsAgentForLinux")
    }

    pub fn succeeded(&self) -> bool {
        self.provisioning_state
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case("Succeeded"))
    }
}

/// Operating system facts of a machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    pub os_type: OsType,
    /// The product, when recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<OsProduct>,
    /// What the input said (for the report).
    pub reported: String,
}

/// One server of the fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Machine {
    /// ARM id, or `device:<name>` for a Defender device without an Azure resource.
    pub id: String,
    pub name: String,
    pub kind: MachineKind,
    pub hosting: Hosting,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Host name (computer name, FQDN's first label), for matching devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_id: Option<String>,
    pub os: OsInfo,
    /// Arc agent status: `Connected`, `Disconnected`, `Expired`, `Error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arc_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arc_agent_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status_change: Option<String>,
    /// AWS account or GCP project the machine runs in, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_account: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Extension>,
    /// Where the record came from (file or `live`).
    pub source: String,
}

impl Machine {
    /// Lower-cased host names to match devices with.
    pub fn host_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for n in [self.computer_name.as_deref(), Some(self.name.as_str())]
            .into_iter()
            .flatten()
        {
            let k = host_key(n);
            if !k.is_empty() && !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }
}

/// The host part of a name or FQDN, lower case.
pub fn host_key(name: &str) -> String {
    name.trim()
        .split('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// A device from the Defender portal's device inventory export (CSV) or the
/// Defender for Endpoint machines API (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_platform: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Sensor health: `Active`, `Inactive`, `ImpairedCommunication`, `NoSensorData`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    /// `Onboarded`, `CanBeOnboarded`, `Unsupported`, `InsufficientInfo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboarding: Option<String>,
    /// Cloud platform (`Azure`, `AWS`, `GCP`), when the export has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// `file:line` (CSV) or `file:/value/N` (JSON).
    pub source: String,
}

impl Device {
    /// A workstation or mobile device (Defender for Servers protects servers;
    /// Windows 10/11 multi-session hosts are Azure VMs and match their VM).
    pub fn is_client(&self) -> bool {
        let p: String = self
            .os_platform
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        [
            "windows7",
            "windows8",
            "windows10",
            "windows11",
            "macos",
            "ios",
            "ipados",
            "android",
        ]
        .iter()
        .any(|c| p.starts_with(c))
    }
}

/// The `VirtualMachines` pricing of a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServersPricing {
    /// `Free` or `Standard`.
    pub pricing_tier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_plan: Option<String>,
    /// Plan extensions and whether each is on (`MdeDesignatedSubscription`, `AgentlessVmScanning`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, bool>,
}

impl ServersPricing {
    pub fn is_standard(&self) -> bool {
        self.pricing_tier.eq_ignore_ascii_case("Standard")
    }

    /// The effective plan (`Standard` without a sub-plan is Plan 2, the plan
    /// before sub-plans existed).
    pub fn plan(&self) -> Option<ServersPlan> {
        if !self.is_standard() {
            return None;
        }
        Some(
            self.sub_plan
                .as_deref()
                .and_then(ServersPlan::parse)
                .unwrap_or(ServersPlan::P2),
        )
    }
}

/// Defender for Cloud settings of one subscription. `None` = not in the inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionSettings {
    pub subscription: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers_pricing: Option<ServersPricing>,
    /// `Microsoft.Security/settings/WDATP` `enabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wdatp: Option<bool>,
    /// `Microsoft.Security/settings/WDATP_UNIFIED_SOLUTION` `enabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wdatp_unified_solution: Option<bool>,
    /// `Microsoft.Security/settings/WDATP_EXCLUDE_LINUX_PUBLIC_PREVIEW`
    /// `enabled` (`true` keeps Linux machines out of the integration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wdatp_exclude_linux: Option<bool>,
    /// `serverVulnerabilityAssessmentsSettings/AzureServersSetting`
    /// `selectedProvider` (`MdeTvm`), or `none` when not configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub va_provider: Option<String>,
    /// Registration state of the Azure Arc resource providers by lower-case
    /// namespace (live reads only; empty = unknown).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resource_providers: BTreeMap<String, String>,
}

/// The resource providers Azure Arc-enabled servers need registered
/// (<https://learn.microsoft.com/azure/azure-arc/servers/prerequisites#azure-resource-providers>).
pub const ARC_PROVIDERS: [&str; 3] = [
    "Microsoft.HybridCompute",
    "Microsoft.GuestConfiguration",
    "Microsoft.HybridConnectivity",
];

/// The Defender for Servers offering of a multicloud connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServersOffering {
    /// `DefenderForServersAws` / `DefenderForServersGcp`.
    pub offering_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_plan: Option<String>,
    pub arc_auto_provisioning: bool,
    pub mde_auto_provisioning: bool,
    pub va_auto_provisioning: bool,
    /// `vaAutoProvisioning.configuration.type` (`TVM` = Defender vulnerability management).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub va_type: Option<String>,
}

/// An AWS account or GCP project connector (`Microsoft.Security/securityConnectors`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connector {
    pub id: String,
    pub name: String,
    pub subscription: String,
    /// AWS or GCP.
    pub hosting: Hosting,
    /// AWS account id / GCP project number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hierarchy_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<ServersOffering>,
    /// Every offering type on the connector.
    pub offerings: Vec<String>,
}

/// A Log Analytics workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub subscription: String,
    pub resource_group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// `properties.customerId`: what agents are configured with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The `Security(<workspace>)` solution (Defender for Servers Plan 2 on
    /// the workspace) is installed; `None` when the inputs hold no solutions
    /// at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_solution: Option<bool>,
}

/// Everything the assessment looks at.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fleet {
    pub machines: Vec<Machine>,
    pub devices: Vec<Device>,
    pub subscriptions: BTreeMap<String, SubscriptionSettings>,
    pub connectors: Vec<Connector>,
    pub workspaces: Vec<Workspace>,
    /// Observations made while reading (skipped records, odd values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Helpers over JSON.
pub(crate) fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A boolean that ARM sometimes spells as a string (`"True"`).
pub(crate) fn bool_at(v: &Value, pointer: &str) -> Option<bool> {
    match v.pointer(pointer)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}
