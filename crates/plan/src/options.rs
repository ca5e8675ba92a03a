//! What the user asks for: target region, selection, mappings and naming.

use crate::model::DependencyPolicy;
use azrelo_arm::id::ResourceId;
use azrelo_estate::Resource;

/// Why options are unusable. Messages say what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error(
        "unknown target region '{0}'; run `azrelo regions` for the list of names (for a region newer than azrelo's region catalog, pass --allow-unknown-region)"
    )]
    UnknownRegion(String),
    #[error(
        "'{0}' is not a valid filter; use a resource type (Microsoft.Network/virtualNetworks, Microsoft.Network/*) or tag:KEY[=VALUE]"
    )]
    BadFilter(String),
    #[error("'{0}' is not a valid mapping; use SOURCE=TARGET")]
    BadMapping(String),
    #[error("'{value}' is not a valid {what}: {why}")]
    BadValue {
        what: &'static str,
        value: String,
        why: String,
    },
}

/// A selection filter (`--include`/`--exclude`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// A resource type, case-insensitive; a trailing `/*` matches every type
    /// under the prefix (`Microsoft.Network/*`).
    Type(String),
    /// A tag, optionally with a value (case-insensitive key, exact value).
    Tag { key: String, value: Option<String> },
}

impl Filter {
    /// Parse `TYPE`, `NS/*`, `tag:KEY` or `tag:KEY=VALUE`.
    pub fn parse(s: &str) -> Result<Filter, OptionsError> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("tag:") {
            let (k, v) = match rest.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (rest, None),
            };
            if k.is_empty() {
                return Err(OptionsError::BadFilter(s.to_string()));
            }
            return Ok(Filter::Tag {
                key: k.to_string(),
                value: v,
            });
        }
        if !s.contains('/') || s.starts_with('/') {
            return Err(OptionsError::BadFilter(s.to_string()));
        }
        Ok(Filter::Type(s.to_ascii_lowercase()))
    }

    /// Whether a resource matches.
    pub fn matches(&self, r: &Resource) -> bool {
        match self {
            Filter::Type(t) => {
                let rt = r.resource_type.to_ascii_lowercase();
                match t.strip_suffix("/*") {
                    Some(prefix) => {
                        rt.starts_with(prefix) && rt.as_bytes().get(prefix.len()) == Some(&b'/')
                    }
                    None => rt == *t,
                }
            }
            Filter::Tag { key, value } => r.tags.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case(key) && value.as_ref().is_none_or(|want| v == want)
            }),
        }
    }
}

/// How target names of globally unique resources are derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamingRule {
    /// Replace the source region token in the name with the target token
    /// (`shop-westeurope-kv` → `shop-swedencentral-kv`); append the target
    /// token when the name has none. Tokens default to the region names.
    ReplaceRegion {
        source: Option<String>,
        target: Option<String>,
    },
    /// Append a suffix (`kvshop` → `kvshop-sdc`).
    Suffix(String),
}

impl Default for NamingRule {
    fn default() -> Self {
        NamingRule::ReplaceRegion {
            source: None,
            target: None,
        }
    }
}

/// Everything `plan` and `assess` need besides the estate.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Target region (any spelling ARM accepts).
    pub target_region: String,
    /// Scopes to select (subscription, resource group or resource ids). Empty:
    /// the whole estate.
    pub scopes: Vec<ResourceId>,
    pub include: Vec<Filter>,
    pub exclude: Vec<Filter>,
    /// Target subscription for everything (overridden per source by
    /// `subscription_map`).
    pub target_subscription: Option<String>,
    /// Source subscription id → target subscription id.
    pub subscription_map: Vec<(String, String)>,
    /// Source resource group name → target resource group name.
    pub resource_group_map: Vec<(String, String)>,
    /// Pattern for target resource group names of unmapped groups:
    /// `{rg}` is the source name, `{region}` the target region. Default
    /// `{rg}-{region}` (Azure Resource Mover's convention).
    pub resource_group_pattern: String,
    pub dependency_policy: DependencyPolicy,
    /// Source id → existing target id: references are re-pointed there and
    /// the source is not moved (Resource Mover's manual resolution).
    pub existing_targets: Vec<(ResourceId, ResourceId)>,
    pub naming: NamingRule,
    /// Accept a target region the embedded region catalog does not know (a
    /// region newer than the catalog); pairing, zones and availability are
    /// then unknown and reported as such.
    pub allow_unknown_region: bool,
    /// Delete the source vault's backup data when protection of a moving
    /// resource is stopped (default: retain the recovery points, which stay
    /// restorable and billed).
    pub delete_backup_data: bool,
    /// Quota and SKU facts of the target subscriptions, read live
    /// (`assess --live`); without them quota is reported as unknown.
    pub capacity: Option<crate::capacity::CapacityFacts>,
}

impl PlanOptions {
    /// Options with defaults for a target region.
    pub fn new(target_region: impl Into<String>) -> PlanOptions {
        PlanOptions {
            target_region: target_region.into(),
            scopes: Vec::new(),
            include: Vec::new(),
            exclude: Vec::new(),
            target_subscription: None,
            subscription_map: Vec::new(),
            resource_group_map: Vec::new(),
            resource_group_pattern: "{rg}-{region}".into(),
            dependency_policy: DependencyPolicy::Add,
            existing_targets: Vec::new(),
            naming: NamingRule::default(),
            allow_unknown_region: false,
            delete_backup_data: false,
            capacity: None,
        }
    }
}

/// Parse `SOURCE=TARGET`.
pub fn parse_mapping(s: &str) -> Result<(String, String), OptionsError> {
    match s.split_once('=') {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
            Ok((a.trim().to_string(), b.trim().to_string()))
        }
        _ => Err(OptionsError::BadMapping(s.to_string())),
    }
}
