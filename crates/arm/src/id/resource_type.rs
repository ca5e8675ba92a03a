//! `ResourceType`: a provider namespace and its type segments.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

use super::*;

/// A full ARM resource type such as `Microsoft.Network/virtualNetworks/subnets`:
/// a provider namespace and one or more type segments. Compared and hashed
/// case-insensitively, displayed as written.
#[derive(Clone)]
pub struct ResourceType(Arc<str>);

/// Why a string is not a resource type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a resource type: expected Namespace/type[/childType...], e.g. Microsoft.Network/virtualNetworks/subnets"
)]
pub struct TypeError(pub String);

impl ResourceType {
    /// Parse `Namespace/type[/childType]*`.
    pub fn parse(s: &str) -> Result<ResourceType, TypeError> {
        let mut parts = s.split('/');
        let ns = parts.next().unwrap_or("");
        let mut n = 0;
        for p in parts {
            if p.is_empty() || p.contains(char::is_whitespace) {
                return Err(TypeError(s.to_string()));
            }
            n += 1;
        }
        if ns.is_empty() || n == 0 || ns.contains(char::is_whitespace) {
            return Err(TypeError(s.to_string()));
        }
        Ok(ResourceType(s.into()))
    }

    pub(super) fn from_validated(s: String) -> ResourceType {
        ResourceType(s.into())
    }

    /// The type as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The provider namespace, e.g. `Microsoft.Network`.
    pub fn namespace(&self) -> &str {
        self.0.split('/').next().unwrap_or("")
    }

    /// The type segments after the namespace, e.g. `virtualNetworks`, `subnets`.
    pub fn type_segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').skip(1)
    }

    /// The type without the namespace, e.g. `virtualNetworks/subnets` (the
    /// form the providers API uses).
    pub fn type_path(&self) -> &str {
        match self.0.find('/') {
            Some(i) => &self.0[i + 1..],
            None => "",
        }
    }

    /// Number of type segments (1 for a top-level type).
    pub fn depth(&self) -> usize {
        self.type_segments().count()
    }

    /// The parent type of a child type (`Microsoft.Network/virtualNetworks` for
    /// subnets); `None` for a top-level type.
    pub fn parent_type(&self) -> Option<ResourceType> {
        let i = self.0.rfind('/')?;
        let parent = &self.0[..i];
        parent.contains('/').then(|| ResourceType(parent.into()))
    }

    /// The lower-cased form, for map keys and data lookups.
    pub fn to_lowercase(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    /// Case-insensitive comparison with a string.
    pub fn is(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl FromStr for ResourceType {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResourceType::parse(s)
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResourceType({:?})", &*self.0)
    }
}

impl PartialEq for ResourceType {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for ResourceType {}
impl Hash for ResourceType {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_ci(&self.0, state);
    }
}
impl PartialOrd for ResourceType {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ResourceType {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_ci(&self.0, &other.0)
    }
}

impl serde::Serialize for ResourceType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ResourceType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ResourceType::parse(&s).map_err(serde::de::Error::custom)
    }
}
