//! The estate model and its versioned JSON format (`azrelo.estate/v1`).

use azrelo_arm::id::ResourceId;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// The schema tag of the estate format.
pub const SCHEMA: &str = "azrelo.estate/v1";

/// Where a fact came from: an input file and the JSON path inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub file: String,
    pub path: String,
    pub kind: InputKind,
}

/// The kinds of input azrelo reads, recognised from their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// An ARM template (export, own template, compiled Bicep), expanded offline.
    Template,
    /// A deployment parameters file (paired with a template).
    Parameters,
    /// `az graph query -o json` output (`{data, count, skip_token}` or a bare row array).
    ResourceGraph,
    /// `az resource list -o json`.
    ResourceList,
    /// An ARM GET body: one resource, or a `{"value": [...]}` list.
    ArmGet,
    /// An azrelo estate file.
    Estate,
}

/// Managed identities of a resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// `SystemAssigned`, `UserAssigned`, `SystemAssigned, UserAssigned` or `None`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Principal id of the system-assigned identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// User-assigned identities by resource id (original spelling).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub user_assigned: IndexMap<String, UserAssigned>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAssigned {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// One ARM resource of the estate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub id: ResourceId,
    /// Full type in the canonical spelling of the id (ARG lower-cases types).
    #[serde(rename = "type")]
    pub resource_type: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub properties: Value,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub tags: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_location: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Explicit `dependsOn` (resource ids), from template inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Where each fact about this resource came from.
    #[serde(default)]
    pub provenance: Vec<Provenance>,
}

/// A role assignment (`Microsoft.Authorization/roleAssignments`) at any scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    pub id: ResourceId,
    pub scope: String,
    pub role_definition_id: String,
    pub principal_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub provenance: Vec<Provenance>,
}

/// A diagnostic setting (`Microsoft.Insights/diagnosticSettings`) of a resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticSetting {
    pub id: ResourceId,
    /// The resource whose logs and metrics it routes.
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_hub_authorization_rule_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_hub_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_partner_id: Option<String>,
    /// `Dedicated` (resource-specific tables) or absent (AzureDiagnostics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_analytics_destination_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_bus_rule_id: Option<String>,
    /// The `logs` entries as ARM returns them, enabled or not.
    #[serde(default)]
    pub logs: Vec<DiagnosticEntry>,
    /// The `metrics` entries as ARM returns them, enabled or not.
    #[serde(default)]
    pub metrics: Vec<DiagnosticEntry>,
    #[serde(default)]
    pub provenance: Vec<Provenance>,
}

/// One entry of a diagnostic setting's `logs` or `metrics`, kept as ARM
/// returns it (REST "Diagnostic Settings - Get", api-version
/// 2021-05-01-preview, learn.microsoft.com/rest/api/monitor/diagnostic-settings/get;
/// types in Azure/bicep-types-az generated/monitor/microsoft.insights/
/// 2021-05-01-preview/types.md: `LogSettings` {category | categoryGroup,
/// enabled, retentionPolicy}, `MetricSettings` {category, timeGrain,
/// enabled, retentionPolicy}). A metric entry may
/// have no category at all (`{"timeGrain": null, "enabled": true}` means
/// every metric), and `category` and `categoryGroup` ("allLogs", "audit")
/// are different things, so the entry is not reduced to a name.
///
/// Reads the older estate form too: a bare name is an enabled entry, a
/// category group when it is one of the groups Azure Monitor defines.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct DiagnosticEntry(pub serde_json::Map<String, Value>);

impl DiagnosticEntry {
    /// An enabled entry for one category (`"AllMetrics"`, `"AuditEvent"`).
    pub fn category(name: &str) -> Self {
        Self::with("category", name)
    }

    /// An enabled entry for a category group (`"allLogs"`, `"audit"`).
    pub fn category_group(name: &str) -> Self {
        Self::with("categoryGroup", name)
    }

    fn with(key: &str, name: &str) -> Self {
        let mut m = serde_json::Map::new();
        m.insert(key.into(), Value::String(name.into()));
        m.insert("enabled".into(), Value::Bool(true));
        Self(m)
    }

    /// `category`, when the entry names one.
    pub fn category_name(&self) -> Option<&str> {
        self.0.get("category").and_then(Value::as_str)
    }

    /// `categoryGroup`, when the entry names one.
    pub fn category_group_name(&self) -> Option<&str> {
        self.0.get("categoryGroup").and_then(Value::as_str)
    }

    /// Whether it routes anything (`enabled` is required by the API; an
    /// entry without it is read as enabled).
    pub fn enabled(&self) -> bool {
        self.0
            .get("enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }
}

impl<'de> Deserialize<'de> for DiagnosticEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Entry(serde_json::Map<String, Value>),
            Name(String),
        }
        Ok(match Form::deserialize(d)? {
            Form::Entry(m) => Self(m),
            Form::Name(n)
                if n.eq_ignore_ascii_case("allLogs") || n.eq_ignore_ascii_case("audit") =>
            {
                Self::category_group(&n)
            }
            Form::Name(n) => Self::category(&n),
        })
    }
}

/// A management lock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lock {
    pub id: ResourceId,
    pub scope: String,
    /// `CanNotDelete` or `ReadOnly`.
    pub level: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default)]
    pub provenance: Vec<Provenance>,
}

/// A policy exemption (secure-score exemptions are policy exemptions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyExemption {
    pub id: ResourceId,
    pub scope: String,
    pub policy_assignment_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default)]
    pub provenance: Vec<Provenance>,
}

/// A non-fatal observation made while reading inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub file: String,
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}: {}", self.file, self.path, self.message)
    }
}

/// An input file that went into the estate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub file: String,
    pub kind: InputKind,
    /// Records read from it.
    pub records: usize,
}

/// Everything an estate holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Estate {
    pub schema: String,
    #[serde(default)]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
    #[serde(default)]
    pub diagnostic_settings: Vec<DiagnosticSetting>,
    #[serde(default)]
    pub locks: Vec<Lock>,
    #[serde(default)]
    pub policy_exemptions: Vec<PolicyExemption>,
    /// Conflicts between inputs and other observations.
    #[serde(default)]
    pub warnings: Vec<Warning>,
    #[serde(skip)]
    index: HashMap<ResourceId, usize>,
}

impl Estate {
    pub fn new() -> Estate {
        Estate {
            schema: SCHEMA.to_string(),
            ..Default::default()
        }
    }

    /// Rebuild the id index (after deserializing or bulk edits).
    pub fn reindex(&mut self) {
        self.index = self
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
    }

    /// The resource with this id (case-insensitive).
    pub fn resource(&self, id: &ResourceId) -> Option<&Resource> {
        self.index.get(id).map(|&i| &self.resources[i])
    }

    /// Position of a resource in `resources`.
    pub fn position(&self, id: &ResourceId) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub(crate) fn index_mut(&mut self) -> &mut HashMap<ResourceId, usize> {
        &mut self.index
    }

    /// Total number of records of all kinds.
    pub fn len(&self) -> usize {
        self.resources.len()
            + self.role_assignments.len()
            + self.diagnostic_settings.len()
            + self.locks.len()
            + self.policy_exemptions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
