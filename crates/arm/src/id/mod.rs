//! Azure Resource Manager resource identifiers.
//!
//! An ARM resource id is a path of segments. It starts at a *scope* — the
//! tenant (`/`), a management group
//! (`/providers/Microsoft.Management/managementGroups/{mg}`), a subscription
//! (`/subscriptions/{sub}`) or a resource group
//! (`/subscriptions/{sub}/resourceGroups/{rg}`) — followed by zero or more
//! *provider blocks*: `/providers/{Namespace}/{type}/{name}[/{childType}/{childName}]*`.
//! A second provider block attaches an *extension resource* to the resource
//! named by everything before it, e.g.
//! `{vm id}/providers/Microsoft.Insights/diagnosticSettings/{name}`.
//!
//! Keywords (`subscriptions`, `resourceGroups`, `providers`) and all names are
//! compared ASCII-case-insensitively, as ARM does; the original spelling is kept
//! for display.
//!
//! What [`ResourceId::parse`] accepts beyond the strict grammar, and why:
//!
//! * **One trailing `/`** is accepted and dropped (`/subscriptions/s/` is
//!   `/subscriptions/s`), as `Azure.Core.ResourceIdentifier` does; `as_str`
//!   returns the id without it. `//` anywhere, or two trailing slashes, is an
//!   error.
//! * **Names are opaque**: any character except `/`, `?`, `#` and control
//!   characters — dots, spaces, parentheses, `;` (Azure Backup container names),
//!   `$` (`containers/$web`), non-ASCII. `?` and `#` start a URL query or
//!   fragment and are never part of an ARM name, so an id with them is rejected
//!   with a hint to use [`crate::scan::find_resource_ids`] on URLs.
//! * **Percent-encoding is kept as written** (ids in URLs are encoded, ids in
//!   response bodies are not); equality is on the text, so compare
//!   [`ResourceId::percent_decoded`] forms when mixing the two.
//! * **Children of a management group** such as
//!   `/providers/Microsoft.Management/managementGroups/mg/subscriptions/{sub}`
//!   (type `Microsoft.Management/managementGroups/subscriptions`) are resources
//!   under the tenant whose [`ResourceId::management_group`] is `mg`.
//!
//! Not supported (rejected with a message saying what was expected):
//! provider-registration ids without a type (`/subscriptions/s/providers/Microsoft.Compute`)
//! and the non-provider subscription children `/subscriptions/s/locations/{l}`
//! and `/subscriptions/s/tagNames/{t}`, which name no deployable resource.
//!
//! ```
//! use azrelo_arm::id::{IdKind, ResourceId};
//!
//! let id = ResourceId::parse(
//!     "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net\
//!      /providers/Microsoft.Network/virtualNetworks/vnet1/subnets/web",
//! ).unwrap();
//! assert_eq!(id.kind(), IdKind::Resource);
//! assert_eq!(id.resource_type().unwrap().as_str(), "Microsoft.Network/virtualNetworks/subnets");
//! assert_eq!(id.name(), Some("web"));
//! assert_eq!(id.parent().unwrap().name(), Some("vnet1"));
//! assert_eq!(id, ResourceId::parse(&id.as_str().to_uppercase()).unwrap());
//!
//! // An extension resource on that subnet.
//! let ra = id.child("providers/Microsoft.Authorization/roleAssignments", "5d1c0000-0000-0000-0000-000000000000");
//! assert_eq!(ra.kind(), IdKind::Extension);
//! assert_eq!(ra.scope(), Some(id.clone()));
//! assert_eq!(ra.resource_type().unwrap().as_str(), "Microsoft.Authorization/roleAssignments");
//!
//! // Errors say what is wrong, where, and what a valid id looks like.
//! let err = ResourceId::parse("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites").unwrap_err();
//! assert!(err.to_string().contains("the resource name after the type"));
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

mod resource_type;
mod walk;

pub use resource_type::{ResourceType, TypeError};
use walk::eq_kw;
pub(crate) use walk::walk;

/// What an id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    /// `/` — the tenant root.
    Tenant,
    /// `/providers/Microsoft.Management/managementGroups/{mg}`.
    ManagementGroup,
    /// `/subscriptions/{sub}`.
    Subscription,
    /// `/subscriptions/{sub}/resourceGroups/{rg}`.
    ResourceGroup,
    /// A resource (top-level or child) in a tenant, subscription or resource group.
    Resource,
    /// An extension resource attached to another resource or to a scope
    /// (role assignments, locks, diagnostic settings, policy assignments, …).
    Extension,
}

/// What valid ids look like; every [`IdError`] message ends with it.
const VALID_FORMS: &str = "a valid id looks like /subscriptions/{sub}/resourceGroups/{rg}/providers/{Namespace}/{type}/{name}[/{childType}/{childName}...][/providers/{Namespace}/{extensionType}/{name}], or a scope: /, /subscriptions/{sub}, /subscriptions/{sub}/resourceGroups/{rg}, /providers/Microsoft.Management/managementGroups/{mg}";

/// Why a string is not a resource id. Segment positions count from 1, the
/// segment right after the leading `/`. The offending input is quoted (cut
/// after 200 characters; anything after a `?`, `;`, `&` or `#` that precedes an
/// `=` is redacted, so SAS tokens and connection strings never reach logs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("resource id is empty; {hint}", hint = VALID_FORMS)]
    Empty,
    #[error("resource id '{id}' must start with '/'; {hint}", hint = VALID_FORMS)]
    NoLeadingSlash { id: String },
    #[error(
        "resource id '{id}' has an empty segment at segment {position} ('//' or more than one trailing '/'); {hint}",
        hint = VALID_FORMS
    )]
    EmptySegment { id: String, position: usize },
    #[error(
        "resource id '{id}': segment {position} is '{found}' but {expected} was expected there; {hint}",
        hint = VALID_FORMS
    )]
    Unexpected {
        id: String,
        position: usize,
        expected: &'static str,
        found: String,
    },
    #[error(
        "resource id '{id}' ends after '{last}': {missing} is missing (odd number of type/name segments?); {hint}",
        hint = VALID_FORMS
    )]
    Truncated {
        id: String,
        last: String,
        missing: &'static str,
    },
    #[error(
        "resource id '{id}' has {what} in segment {position}: ids carry no query string, fragment or control characters (to find ids inside URLs or text use azrelo_arm::scan::find_resource_ids)"
    )]
    InvalidCharacter {
        id: String,
        position: usize,
        what: &'static str,
    },
    #[error("resource id '{id}' is longer than {max} characters")]
    TooLong { id: String, max: usize },
}

/// Longest id we accept. ARM's own URL limit is far below this; the bound keeps
/// hostile input from costing memory.
pub const MAX_ID_LEN: usize = 16 * 1024;

/// The input as quoted in error messages: cut to 200 characters, and with
/// anything that looks like a query string or connection string (`k=v` after
/// `?`, `;`, `&` or `#`) redacted.
pub(crate) fn shown(s: &str) -> String {
    let mut s = s;
    let mut redacted = false;
    if let Some(eq) = s.find('=') {
        let cut = s[..eq].find(['?', ';', '&', '#']).unwrap_or(0);
        s = &s[..cut];
        redacted = true;
    }
    let mut out = String::with_capacity(s.len().min(256));
    for (n, c) in s.chars().enumerate() {
        if n == 200 {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if redacted {
        out.push_str("<rest redacted>");
    }
    out
}

/// A byte range into the id's text (u32 keeps the parsed form small).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn get<'a>(&self, s: &'a str) -> &'a str {
        &s[self.start as usize..self.end as usize]
    }
}

/// One `/providers/{ns}/{type}/{name}...` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// Byte offset of the `/` before `providers`.
    start: u32,
    namespace: Span,
    /// (type, name) pairs; at least one.
    pairs: Vec<(Span, Span)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Tenant,
    ManagementGroup { name: Span },
    Subscription { sub: Span },
    ResourceGroup { sub: Span, rg: Span },
}

#[derive(Debug)]
struct Inner {
    raw: Box<str>,
    scope: Scope,
    blocks: Vec<Block>,
    /// `resource_type()`, computed on first use.
    rtype: OnceLock<Option<ResourceType>>,
}

/// A parsed ARM resource id: cheap to clone (shared), compared, ordered and
/// hashed ASCII-case-insensitively, displayed and serialized (as a JSON string)
/// in its original spelling.
///
/// ```
/// use azrelo_arm::id::{IdKind, ResourceId};
/// use std::collections::HashSet;
///
/// let sub = "/subscriptions/00000000-0000-0000-0000-000000000001";
/// let vm: ResourceId = format!("{sub}/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/vm1")
///     .parse()
///     .unwrap();
/// assert_eq!(vm.subscription_id(), Some("00000000-0000-0000-0000-000000000001"));
/// assert_eq!(vm.resource_group(), Some("RG"));
/// assert_eq!(vm.provider_namespace(), Some("Microsoft.Compute"));
/// assert_eq!(vm.parent().unwrap().kind(), IdKind::ResourceGroup);
/// assert_eq!(vm.resource_group_id().unwrap().as_str(), format!("{sub}/resourceGroups/RG"));
/// assert_eq!(vm.subscription_scope().unwrap().as_str(), sub);
///
/// // Case-insensitive identity, original spelling for display.
/// let lower = ResourceId::parse(&vm.as_str().to_lowercase()).unwrap();
/// let set: HashSet<ResourceId> = [vm.clone(), lower].into_iter().collect();
/// assert_eq!(set.len(), 1);
/// assert!(vm.to_string().ends_with("/virtualMachines/vm1"));
/// assert_eq!(serde_json::to_string(&vm).unwrap(), format!("\"{vm}\""));
///
/// // Extension resources on any scope, including child resources.
/// let diag = ResourceId::parse(&format!(
///     "{vm}/providers/Microsoft.Insights/diagnosticSettings/toLogs"
/// )).unwrap();
/// assert!(diag.is_extension());
/// assert_eq!(diag.scope(), Some(vm));
/// ```
#[derive(Clone)]
pub struct ResourceId(Arc<Inner>);

impl ResourceId {
    /// Parse a resource id of any form. The whole string must be an id (one
    /// trailing `/` is tolerated and dropped; see the [module docs](self)).
    pub fn parse(s: &str) -> Result<ResourceId, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if !s.starts_with('/') {
            return Err(IdError::NoLeadingSlash { id: shown(s) });
        }
        if s.len() > MAX_ID_LEN {
            return Err(IdError::TooLong {
                id: shown(s),
                max: MAX_ID_LEN,
            });
        }
        let s = match s.strip_suffix('/') {
            Some(t) if !t.is_empty() && !t.ends_with('/') => t,
            _ => s,
        };
        let w = walk(s);
        if let Some(e) = w.error {
            return Err(e);
        }
        debug_assert_eq!(w.valid_len, s.len());
        Ok(Self::from_parts(s, w.scope, w.blocks))
    }

    fn from_parts(s: &str, scope: Scope, blocks: Vec<Block>) -> ResourceId {
        ResourceId(Arc::new(Inner {
            raw: s.into(),
            scope,
            blocks,
            rtype: OnceLock::new(),
        }))
    }

    /// The id as written (original spelling, without a tolerated trailing `/`).
    pub fn as_str(&self) -> &str {
        &self.0.raw
    }

    /// What the id names.
    pub fn kind(&self) -> IdKind {
        let inner = &self.0;
        match (inner.blocks.len(), inner.scope) {
            (0, Scope::Tenant) => IdKind::Tenant,
            (0, Scope::ManagementGroup { .. }) => IdKind::ManagementGroup,
            (0, Scope::Subscription { .. }) => IdKind::Subscription,
            (0, Scope::ResourceGroup { .. }) => IdKind::ResourceGroup,
            (1, Scope::ManagementGroup { .. }) => IdKind::Extension,
            (1, _) => {
                if is_extension_type(
                    self.namespace_of(0),
                    inner.blocks[0].pairs[0].0.get(&inner.raw),
                ) {
                    IdKind::Extension
                } else {
                    IdKind::Resource
                }
            }
            _ => IdKind::Extension,
        }
    }

    /// True for extension resources (see [`IdKind::Extension`]).
    pub fn is_extension(&self) -> bool {
        self.kind() == IdKind::Extension
    }

    /// The subscription id, if the id is at or below a subscription.
    pub fn subscription_id(&self) -> Option<&str> {
        match self.0.scope {
            Scope::Subscription { sub } | Scope::ResourceGroup { sub, .. } => {
                Some(sub.get(&self.0.raw))
            }
            _ => None,
        }
    }

    /// The resource group name, if the id is at or below a resource group.
    pub fn resource_group(&self) -> Option<&str> {
        match self.0.scope {
            Scope::ResourceGroup { rg, .. } => Some(rg.get(&self.0.raw)),
            _ => None,
        }
    }

    /// The management group name, if the id is a management group, lies below
    /// one (extension resources on it) or is one of its children
    /// (`/providers/Microsoft.Management/managementGroups/{mg}/subscriptions/{sub}`).
    pub fn management_group(&self) -> Option<&str> {
        let raw = &self.0.raw;
        match self.0.scope {
            Scope::ManagementGroup { name } => Some(name.get(raw)),
            Scope::Tenant => {
                let b = self.0.blocks.first()?;
                let (t, n) = b.pairs.first()?;
                (b.pairs.len() > 1
                    && eq_kw(b.namespace.get(raw), "Microsoft.Management")
                    && eq_kw(t.get(raw), "managementGroups"))
                .then(|| n.get(raw))
            }
            _ => None,
        }
    }

    fn namespace_of(&self, block: usize) -> &str {
        self.0.blocks[block].namespace.get(&self.0.raw)
    }

    /// The provider namespace of the innermost resource (for an extension
    /// resource, its own namespace, e.g. `Microsoft.Authorization`).
    pub fn provider_namespace(&self) -> Option<&str> {
        let n = self.0.blocks.len();
        (n > 0).then(|| self.namespace_of(n - 1))
    }

    /// The full resource type of the innermost resource, e.g.
    /// `Microsoft.Network/virtualNetworks/subnets`. `None` for scopes
    /// (tenant, management group, subscription, resource group).
    pub fn resource_type(&self) -> Option<ResourceType> {
        self.0
            .rtype
            .get_or_init(|| {
                let block = self.0.blocks.last()?;
                let raw = &self.0.raw;
                let mut t = String::with_capacity(64);
                t.push_str(block.namespace.get(raw));
                for (ty, _) in &block.pairs {
                    t.push('/');
                    t.push_str(ty.get(raw));
                }
                Some(ResourceType::from_validated(t))
            })
            .clone()
    }

    /// The full resource type, with scopes mapped to ARM's own types
    /// (`Microsoft.Resources/subscriptions`, `Microsoft.Resources/resourceGroups`,
    /// `Microsoft.Management/managementGroups`, `Microsoft.Resources/tenants`).
    pub fn type_or_scope_type(&self) -> ResourceType {
        match self.resource_type() {
            Some(t) => t,
            None => ResourceType::from_validated(
                match self.kind() {
                    IdKind::Tenant => "Microsoft.Resources/tenants",
                    IdKind::ManagementGroup => "Microsoft.Management/managementGroups",
                    IdKind::Subscription => "Microsoft.Resources/subscriptions",
                    _ => "Microsoft.Resources/resourceGroups",
                }
                .to_string(),
            ),
        }
    }

    /// The last name segment: the resource's own name, the resource group name
    /// for a resource group id, the subscription id for a subscription id.
    pub fn name(&self) -> Option<&str> {
        let raw = &self.0.raw;
        if let Some(block) = self.0.blocks.last() {
            return block.pairs.last().map(|(_, n)| n.get(raw));
        }
        match self.0.scope {
            Scope::Tenant => None,
            Scope::ManagementGroup { name } => Some(name.get(raw)),
            Scope::Subscription { sub } => Some(sub.get(raw)),
            Scope::ResourceGroup { rg, .. } => Some(rg.get(raw)),
        }
    }

    /// The full name as ARM templates write it: all name segments of the
    /// innermost resource joined by `/` (e.g. `vnet1/web` for a subnet).
    pub fn full_name(&self) -> Option<String> {
        let raw = &self.0.raw;
        let block = self.0.blocks.last()?;
        let names: Vec<&str> = block.pairs.iter().map(|(_, n)| n.get(raw)).collect();
        Some(names.join("/"))
    }

    fn prefix(&self, end: usize) -> ResourceId {
        // A prefix that ends at a segment boundary of a valid id is itself valid.
        ResourceId::parse(&self.0.raw[..end])
            .unwrap_or_else(|e| unreachable!("prefix of a valid id is valid: {e}"))
    }

    /// The parent: child resource → parent resource; top-level resource → its
    /// resource group (or subscription / management group / tenant scope);
    /// resource group → subscription; extension resource → the resource or scope
    /// it is attached to (or its parent extension resource, for a child of an
    /// extension type). `None` for the tenant and for subscriptions and
    /// management groups (whose parent, the tenant, is rarely useful).
    pub fn parent(&self) -> Option<ResourceId> {
        let inner = &self.0;
        match inner.blocks.last() {
            Some(block) if block.pairs.len() > 1 => {
                let (_, name) = block.pairs[block.pairs.len() - 2];
                Some(self.prefix(name.end as usize))
            }
            Some(block) => {
                if block.start == 0 {
                    // Tenant-level resource.
                    return Some(ResourceId::tenant());
                }
                Some(self.prefix(block.start as usize))
            }
            None => match inner.scope {
                Scope::ResourceGroup { sub, .. } => Some(self.prefix(sub.end as usize)),
                _ => None,
            },
        }
    }

    /// For an extension resource: the id it is attached to (a resource, a child
    /// resource, another extension resource, a resource group, a subscription,
    /// a management group or the tenant). `None` for other ids.
    pub fn scope(&self) -> Option<ResourceId> {
        if !self.is_extension() {
            return None;
        }
        let block = self.0.blocks.last()?;
        if block.start == 0 {
            return Some(ResourceId::tenant());
        }
        Some(self.prefix(block.start as usize))
    }

    /// The resource group id this id lives in, if any (for an RG id, itself).
    pub fn resource_group_id(&self) -> Option<ResourceId> {
        match self.0.scope {
            Scope::ResourceGroup { rg, .. } => Some(self.prefix(rg.end as usize)),
            _ => None,
        }
    }

    /// The subscription id (`/subscriptions/{sub}`) this id lives in, if any.
    pub fn subscription_scope(&self) -> Option<ResourceId> {
        match self.0.scope {
            Scope::Subscription { sub } | Scope::ResourceGroup { sub, .. } => {
                Some(self.prefix(sub.end as usize))
            }
            _ => None,
        }
    }

    /// The id of a child: `{self}/{type_segment}/{name}`.
    ///
    /// * On a resource, `type_segment` is the child type (`subnets`), or
    ///   `providers/{Namespace}/{type}` for an extension resource on it.
    /// * On a scope (tenant, management group, subscription, resource group),
    ///   `type_segment` is `providers/{Namespace}/{type}`; the leading
    ///   `providers/` may be left out (`Microsoft.Network/virtualNetworks`).
    ///
    /// Returns `self` unchanged when the result would not be a valid id (an
    /// empty or `/`-containing name, a bare namespace, …) — use
    /// [`ResourceId::try_child`] to get the reason instead.
    pub fn child(&self, type_segment: &str, name: &str) -> ResourceId {
        self.try_child(type_segment, name)
            .unwrap_or_else(|_| self.clone())
    }

    /// Like [`ResourceId::child`], but says why the child id would be invalid.
    /// `name` must be a single segment (no `/`); `type_segment` may not start
    /// or end with `/`.
    pub fn try_child(&self, type_segment: &str, name: &str) -> Result<ResourceId, IdError> {
        let base = if self.as_str() == "/" {
            ""
        } else {
            self.as_str()
        };
        let needs_providers = self.0.blocks.is_empty()
            && type_segment.contains('/')
            && !type_segment
                .get(..10)
                .is_some_and(|p| p.eq_ignore_ascii_case("providers/"));
        let mut s = String::with_capacity(base.len() + type_segment.len() + name.len() + 12);
        s.push_str(base);
        if needs_providers {
            s.push_str("/providers");
        }
        s.push('/');
        s.push_str(type_segment);
        s.push('/');
        s.push_str(name);
        if name.contains('/') || name.is_empty() {
            return Err(IdError::Unexpected {
                id: shown(&s),
                position: s.split('/').count() - 1,
                expected: "a non-empty child name without '/'",
                found: shown(name),
            });
        }
        ResourceId::parse(&s)
    }

    /// The tenant root id `/`.
    pub fn tenant() -> ResourceId {
        ResourceId::from_parts("/", Scope::Tenant, Vec::new())
    }

    /// This id with `%XX` escapes decoded, for matching ids taken from request
    /// URLs (`my%20alert`) against ids from response bodies (`my alert`).
    /// `%2F` (an encoded `/`) and escapes that do not decode to UTF-8 are kept
    /// as written; returns a clone when nothing changes or the decoded text is
    /// not a valid id.
    pub fn percent_decoded(&self) -> ResourceId {
        let raw = self.as_str();
        if !raw.contains('%') {
            return self.clone();
        }
        let b = raw.as_bytes();
        let mut out: Vec<u8> = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                let hex = |c: u8| (c as char).to_digit(16);
                if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                    let v = (h * 16 + l) as u8;
                    if v != b'/' {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                }
            }
            out.push(b[i]);
            i += 1;
        }
        match String::from_utf8(out) {
            Ok(t) if t != raw => ResourceId::parse(&t).unwrap_or_else(|_| self.clone()),
            _ => self.clone(),
        }
    }

    /// A copy of this id with its subscription, resource group and innermost
    /// name replaced — the shape of a relocation's target id. `None` arguments
    /// keep the current value.
    pub fn with_names(
        &self,
        subscription: Option<&str>,
        resource_group: Option<&str>,
        name: Option<&str>,
    ) -> ResourceId {
        let raw = &self.0.raw;
        let mut replacements: Vec<(Span, &str)> = Vec::new();
        match self.0.scope {
            Scope::Subscription { sub } => {
                if let Some(s) = subscription {
                    replacements.push((sub, s));
                }
            }
            Scope::ResourceGroup { sub, rg } => {
                if let Some(s) = subscription {
                    replacements.push((sub, s));
                }
                if let Some(r) = resource_group {
                    replacements.push((rg, r));
                }
            }
            _ => {}
        }
        match (name, self.0.blocks.last()) {
            (Some(n), Some(block)) => {
                if let Some((_, last)) = block.pairs.last() {
                    replacements.push((*last, n));
                }
            }
            (Some(n), None) => {
                if let (Scope::ResourceGroup { rg, .. }, None) = (self.0.scope, resource_group) {
                    replacements.push((rg, n));
                }
            }
            _ => {}
        }
        replacements.sort_by_key(|(s, _)| s.start);
        let mut out = String::with_capacity(raw.len() + 16);
        let mut at = 0usize;
        for (sp, text) in replacements {
            out.push_str(&raw[at..sp.start as usize]);
            out.push_str(text);
            at = sp.end as usize;
        }
        out.push_str(&raw[at..]);
        ResourceId::parse(&out).unwrap_or_else(|_| self.clone())
    }

    /// The resources this id lies below, nearest first, as prefixes of its
    /// text: its parent, grandparent, …, and for an extension resource the
    /// resource it is attached to and that one's parents. Scopes that are
    /// not resources (resource group, subscription, management group,
    /// tenant) are not included: what lies in a resource group does not
    /// travel with it. No allocation; O(depth).
    pub fn resource_ancestors(&self) -> impl Iterator<Item = &str> + '_ {
        let raw = self.as_str();
        self.0
            .blocks
            .iter()
            .rev()
            .flat_map(|b| b.pairs.iter().rev())
            .skip(1)
            .map(move |(_, name)| &raw[..name.end as usize])
    }

    /// Whether `self` is `other` or lies below it (same scope chain prefix,
    /// case-insensitive, on a segment boundary).
    pub fn is_within(&self, other: &ResourceId) -> bool {
        let a = self.as_str().as_bytes();
        let b = other.as_str().as_bytes();
        if other.as_str() == "/" {
            return true;
        }
        a.len() >= b.len()
            && a[..b.len()].eq_ignore_ascii_case(b)
            && (a.len() == b.len() || a[b.len()] == b'/')
    }
}

/// Extension resource types that can sit directly on a subscription, resource
/// group or tenant scope and would otherwise look like ordinary resources there.
/// (On a resource, any second provider block is an extension.)
const EXTENSION_TYPES: &[(&str, &str)] = &[
    ("Microsoft.Authorization", "roleAssignments"),
    ("Microsoft.Authorization", "roleAssignmentScheduleRequests"),
    ("Microsoft.Authorization", "roleEligibilityScheduleRequests"),
    ("Microsoft.Authorization", "roleManagementPolicyAssignments"),
    ("Microsoft.Authorization", "denyAssignments"),
    ("Microsoft.Authorization", "locks"),
    ("Microsoft.Authorization", "policyAssignments"),
    ("Microsoft.Authorization", "policyExemptions"),
    ("Microsoft.Insights", "diagnosticSettings"),
    ("Microsoft.Resources", "tags"),
    ("Microsoft.Resources", "links"),
    ("Microsoft.PolicyInsights", "remediations"),
    ("Microsoft.PolicyInsights", "attestations"),
    ("Microsoft.Security", "assessments"),
    ("Microsoft.Advisor", "recommendations"),
    ("Microsoft.Maintenance", "configurationAssignments"),
];

fn is_extension_type(namespace: &str, first_type: &str) -> bool {
    EXTENSION_TYPES
        .iter()
        .any(|(ns, t)| ns.eq_ignore_ascii_case(namespace) && t.eq_ignore_ascii_case(first_type))
}

impl FromStr for ResourceId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResourceId::parse(s)
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.raw)
    }
}

impl fmt::Debug for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResourceId({:?})", &*self.0.raw)
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.raw.eq_ignore_ascii_case(&other.0.raw)
    }
}
impl Eq for ResourceId {}

impl Hash for ResourceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_ci(&self.0.raw, state);
    }
}

impl PartialOrd for ResourceId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ResourceId {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_ci(&self.0.raw, &other.0.raw)
    }
}

pub(crate) fn hash_ci<H: Hasher>(s: &str, state: &mut H) {
    // Lower-case through a stack buffer so the hasher sees large writes.
    let mut buf = [0u8; 128];
    for chunk in s.as_bytes().chunks(buf.len()) {
        for (d, c) in buf.iter_mut().zip(chunk) {
            *d = c.to_ascii_lowercase();
        }
        state.write(&buf[..chunk.len()]);
    }
    state.write_u8(0xff);
}

pub(crate) fn cmp_ci(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

impl serde::Serialize for ResourceId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ResourceId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ResourceId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
