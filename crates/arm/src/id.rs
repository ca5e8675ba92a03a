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
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

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

/// Why a string is not a resource id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("resource id is empty")]
    Empty,
    #[error(
        "resource id '{id}' must start with '/' (e.g. /subscriptions/{{sub}}/resourceGroups/{{rg}}/providers/{{Namespace}}/{{type}}/{{name}})"
    )]
    NoLeadingSlash { id: String },
    #[error(
        "resource id '{id}' has an empty segment at position {position} ('//' or a trailing '/')"
    )]
    EmptySegment { id: String, position: usize },
    #[error("resource id '{id}': expected {expected} at segment {position}, found '{found}'")]
    Unexpected {
        id: String,
        position: usize,
        expected: &'static str,
        found: String,
    },
    #[error("resource id '{id}' ends after '{last}': {missing} is missing")]
    Truncated {
        id: String,
        last: String,
        missing: &'static str,
    },
    #[error("resource id '{id}' is longer than {max} characters")]
    TooLong { id: String, max: usize },
}

/// Longest id we accept. ARM's own URL limit is far below this; the bound keeps
/// hostile input from costing memory.
pub const MAX_ID_LEN: usize = 16 * 1024;

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
struct Block {
    /// Byte offset of the `/` before `providers`.
    start: u32,
    namespace: Span,
    /// (type, name) pairs; at least one.
    pairs: Vec<(Span, Span)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
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
}

/// A parsed ARM resource id. Cheap to clone (shared), compared and hashed
/// case-insensitively, displayed in its original spelling.
#[derive(Clone)]
pub struct ResourceId(Arc<Inner>);

/// The outcome of walking segments: either a complete parse or the longest
/// valid prefix (for the scanner).
pub(crate) struct Walk {
    pub(crate) scope: ScopeW,
    pub(crate) blocks: Vec<BlockW>,
    /// Byte length of the longest valid id prefix, 0 if none.
    pub(crate) valid_len: usize,
    pub(crate) error: Option<IdError>,
}

#[derive(Clone, Copy)]
pub(crate) enum ScopeW {
    Tenant,
    ManagementGroup(Span),
    Subscription(Span),
    ResourceGroup(Span, Span),
}

pub(crate) struct BlockW {
    start: usize,
    namespace: Span,
    pairs: Vec<(Span, Span)>,
}

fn eq_kw(seg: &str, kw: &str) -> bool {
    seg.eq_ignore_ascii_case(kw)
}

/// Iterator over `(start, end)` byte ranges of the segments after the leading `/`.
struct Segs<'a> {
    s: &'a str,
    pos: usize,
    /// 1-based number of the segment last returned (for error messages).
    index: usize,
}

impl<'a> Segs<'a> {
    fn new(s: &'a str) -> Self {
        Segs {
            s,
            pos: 1,
            index: 0,
        }
    }
    /// Next segment (start, end); `None` at end of input.
    fn next_seg(&mut self) -> Option<(usize, usize)> {
        if self.pos > self.s.len() {
            return None;
        }
        self.index += 1;
        let start = self.pos;
        let end = match self.s.as_bytes()[start..].iter().position(|&b| b == b'/') {
            Some(i) => start + i,
            None => self.s.len(),
        };
        self.pos = end + 1;
        Some((start, end))
    }
}

fn span(a: usize, b: usize) -> Span {
    Span {
        start: a as u32,
        end: b as u32,
    }
}

/// Walk `s` (which starts with `/`) segment by segment, recording structure and
/// the longest prefix that is a complete id.
pub(crate) fn walk(s: &str) -> Walk {
    let mut w = Walk {
        scope: ScopeW::Tenant,
        blocks: Vec::new(),
        valid_len: 0,
        error: None,
    };
    let err_unexpected = |pos: usize, expected: &'static str, found: &str| IdError::Unexpected {
        id: s.to_string(),
        position: pos,
        expected,
        found: found.to_string(),
    };
    if s == "/" {
        w.valid_len = 1;
        return w;
    }
    let mut segs = Segs::new(s);
    macro_rules! need {
        ($what:expr, $last:expr) => {
            match segs.next_seg() {
                None => {
                    w.error = Some(IdError::Truncated {
                        id: s.to_string(),
                        last: $last.to_string(),
                        missing: $what,
                    });
                    return w;
                }
                Some((a, b)) if a == b => {
                    w.error = Some(IdError::EmptySegment {
                        id: s.to_string(),
                        position: segs.index,
                    });
                    return w;
                }
                Some(r) => r,
            }
        };
    }
    // Scope.
    let (a, b) = need!("a first segment", "/");
    let first = &s[a..b];
    let mut pending_block: Option<(usize, usize, usize)> = None; // (block start, ns a, ns b)
    if eq_kw(first, "subscriptions") {
        let (sa, sb) = need!("the subscription id", first);
        w.scope = ScopeW::Subscription(span(sa, sb));
        w.valid_len = sb;
        match segs.next_seg() {
            None => return w,
            Some((x, y)) if x == y => {
                w.error = Some(IdError::EmptySegment {
                    id: s.to_string(),
                    position: segs.index,
                });
                return w;
            }
            Some((x, y)) => {
                let seg = &s[x..y];
                if eq_kw(seg, "resourceGroups") {
                    let (ra, rb) = need!("the resource group name", seg);
                    w.scope = ScopeW::ResourceGroup(span(sa, sb), span(ra, rb));
                    w.valid_len = rb;
                } else if eq_kw(seg, "providers") {
                    let (na, nb) = need!("a provider namespace", seg);
                    pending_block = Some((x - 1, na, nb));
                } else {
                    w.error = Some(err_unexpected(
                        segs.index,
                        "'resourceGroups' or 'providers'",
                        seg,
                    ));
                    return w;
                }
            }
        }
    } else if eq_kw(first, "providers") {
        let (na, nb) = need!("a provider namespace", first);
        let ns = &s[na..nb];
        if eq_kw(ns, "Microsoft.Management") {
            // Possibly a management group scope.
            let save = segs.pos;
            let save_index = segs.index;
            match segs.next_seg() {
                Some((ta, tb)) if eq_kw(&s[ta..tb], "managementGroups") => {
                    let (ma, mb) = need!("the management group name", &s[ta..tb]);
                    w.scope = ScopeW::ManagementGroup(span(ma, mb));
                    w.valid_len = mb;
                }
                _ => {
                    segs.pos = save;
                    segs.index = save_index;
                    pending_block = Some((0, na, nb));
                }
            }
        } else {
            pending_block = Some((0, na, nb));
        }
    } else {
        w.error = Some(err_unexpected(
            segs.index,
            "'subscriptions' or 'providers'",
            first,
        ));
        return w;
    }

    // Provider blocks.
    loop {
        let (bstart, na, nb) = match pending_block.take() {
            Some(p) => p,
            None => match segs.next_seg() {
                None => return w,
                Some((x, y)) if x == y => {
                    w.error = Some(IdError::EmptySegment {
                        id: s.to_string(),
                        position: segs.index,
                    });
                    return w;
                }
                Some((x, y)) => {
                    let seg = &s[x..y];
                    if !eq_kw(seg, "providers") {
                        w.error = Some(err_unexpected(segs.index, "'providers'", seg));
                        return w;
                    }
                    let (na, nb) = need!("a provider namespace", seg);
                    (x - 1, na, nb)
                }
            },
        };
        let mut block = BlockW {
            start: bstart,
            namespace: span(na, nb),
            pairs: Vec::new(),
        };
        let mut last_text = &s[na..nb];
        loop {
            let save = segs.pos;
            let save_index = segs.index;
            let (ta, tb) = match segs.next_seg() {
                None => {
                    if block.pairs.is_empty() {
                        w.error = Some(IdError::Truncated {
                            id: s.to_string(),
                            last: last_text.to_string(),
                            missing: "a resource type after the namespace",
                        });
                        return w;
                    }
                    w.blocks.push(block);
                    return w;
                }
                Some((x, y)) if x == y => {
                    if block.pairs.is_empty() {
                        w.error = Some(IdError::EmptySegment {
                            id: s.to_string(),
                            position: segs.index,
                        });
                        return w;
                    }
                    w.blocks.push(block);
                    w.error = Some(IdError::EmptySegment {
                        id: s.to_string(),
                        position: segs.index,
                    });
                    return w;
                }
                Some(r) => r,
            };
            if !block.pairs.is_empty() && eq_kw(&s[ta..tb], "providers") {
                // Start of an extension block.
                segs.pos = save;
                segs.index = save_index;
                break;
            }
            let (ma, mb) = match segs.next_seg() {
                None => {
                    w.error = Some(IdError::Truncated {
                        id: s.to_string(),
                        last: s[ta..tb].to_string(),
                        missing: "the resource name after the type",
                    });
                    if !block.pairs.is_empty() {
                        w.blocks.push(block);
                    }
                    return w;
                }
                Some((x, y)) if x == y => {
                    w.error = Some(IdError::EmptySegment {
                        id: s.to_string(),
                        position: segs.index,
                    });
                    if !block.pairs.is_empty() {
                        w.blocks.push(block);
                    }
                    return w;
                }
                Some(r) => r,
            };
            block.pairs.push((span(ta, tb), span(ma, mb)));
            last_text = &s[ma..mb];
            w.valid_len = mb;
        }
        w.blocks.push(block);
    }
}

impl ResourceId {
    /// Parse a resource id of any form. The whole string must be an id.
    pub fn parse(s: &str) -> Result<ResourceId, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if !s.starts_with('/') {
            return Err(IdError::NoLeadingSlash { id: s.to_string() });
        }
        if s.len() > MAX_ID_LEN {
            return Err(IdError::TooLong {
                id: format!("{}…", s.chars().take(64).collect::<String>()),
                max: MAX_ID_LEN,
            });
        }
        let w = walk(s);
        if let Some(e) = w.error {
            return Err(e);
        }
        debug_assert_eq!(w.valid_len, s.len());
        Ok(Self::from_walk(s, w.scope, w.blocks))
    }

    fn from_walk(s: &str, scope: ScopeW, blocks: Vec<BlockW>) -> ResourceId {
        let scope = match scope {
            ScopeW::Tenant => Scope::Tenant,
            ScopeW::ManagementGroup(n) => Scope::ManagementGroup { name: n },
            ScopeW::Subscription(sub) => Scope::Subscription { sub },
            ScopeW::ResourceGroup(sub, rg) => Scope::ResourceGroup { sub, rg },
        };
        ResourceId(Arc::new(Inner {
            raw: s.into(),
            scope,
            blocks: blocks
                .into_iter()
                .map(|b| Block {
                    start: b.start as u32,
                    namespace: b.namespace,
                    pairs: b.pairs,
                })
                .collect(),
        }))
    }

    /// The id as written (original spelling).
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

    /// The management group name, if the id is at or below a management group.
    pub fn management_group(&self) -> Option<&str> {
        match self.0.scope {
            Scope::ManagementGroup { name } => Some(name.get(&self.0.raw)),
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
        let block = self.0.blocks.last()?;
        let raw = &self.0.raw;
        let mut t = String::with_capacity(64);
        t.push_str(block.namespace.get(raw));
        for (ty, _) in &block.pairs {
            t.push('/');
            t.push_str(ty.get(raw));
        }
        Some(ResourceType::from_validated(t))
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

    /// The id of a child: `{self}/{type_segment}/{name}`. For a scope id
    /// (subscription, resource group, …) `type_segment` must include the
    /// provider, e.g. `providers/Microsoft.Network/virtualNetworks`.
    ///
    /// # Panics
    /// Never on valid input; returns a best-effort id string re-parsed, and
    /// falls back to the parent when the result would not be valid.
    pub fn child(&self, type_segment: &str, name: &str) -> ResourceId {
        let base = self.0.raw.trim_end_matches('/');
        let s = format!(
            "{}/{}/{}",
            base,
            type_segment.trim_matches('/'),
            name.trim_matches('/')
        );
        ResourceId::parse(&s).unwrap_or_else(|_| self.clone())
    }

    /// The tenant root id `/`.
    pub fn tenant() -> ResourceId {
        ResourceId(Arc::new(Inner {
            raw: "/".into(),
            scope: Scope::Tenant,
            blocks: Vec::new(),
        }))
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

    fn from_validated(s: String) -> ResourceType {
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

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "/subscriptions/00000000-0000-0000-0000-000000000001";

    fn p(s: &str) -> ResourceId {
        ResourceId::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn scopes() {
        assert_eq!(p("/").kind(), IdKind::Tenant);
        assert_eq!(p(SUB).kind(), IdKind::Subscription);
        assert_eq!(p(SUB).name(), Some("00000000-0000-0000-0000-000000000001"));
        let rg = p(&format!("{SUB}/resourceGroups/rg1"));
        assert_eq!(rg.kind(), IdKind::ResourceGroup);
        assert_eq!(rg.name(), Some("rg1"));
        assert_eq!(rg.parent().unwrap(), p(SUB));
        let mg = p("/providers/Microsoft.Management/managementGroups/mg1");
        assert_eq!(mg.kind(), IdKind::ManagementGroup);
        assert_eq!(mg.management_group(), Some("mg1"));
        assert_eq!(mg.resource_type(), None);
    }

    #[test]
    fn nested_children() {
        let id = p(&format!(
            "{SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/db1/backupShortTermRetentionPolicies/default"
        ));
        assert_eq!(id.kind(), IdKind::Resource);
        assert_eq!(
            id.resource_type().unwrap().as_str(),
            "Microsoft.Sql/servers/databases/backupShortTermRetentionPolicies"
        );
        assert_eq!(id.full_name().unwrap(), "s1/db1/default");
        let db = id.parent().unwrap();
        assert_eq!(db.name(), Some("db1"));
        let server = db.parent().unwrap();
        assert_eq!(
            server.resource_type().unwrap().as_str(),
            "Microsoft.Sql/servers"
        );
        assert_eq!(server.parent().unwrap().kind(), IdKind::ResourceGroup);
    }

    #[test]
    fn extension_on_child_resource() {
        let subnet = format!(
            "{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
        );
        let id = p(&format!(
            "{subnet}/providers/Microsoft.Authorization/roleAssignments/1f2e3d4c-0000-0000-0000-000000000000"
        ));
        assert_eq!(id.kind(), IdKind::Extension);
        assert_eq!(id.provider_namespace(), Some("Microsoft.Authorization"));
        assert_eq!(
            id.resource_type().unwrap().as_str(),
            "Microsoft.Authorization/roleAssignments"
        );
        assert_eq!(id.scope().unwrap(), p(&subnet));
        assert_eq!(id.parent().unwrap(), p(&subnet));
        assert_eq!(id.resource_group(), Some("rg"));
    }

    #[test]
    fn extension_on_scopes() {
        let lock = p(&format!(
            "{SUB}/resourceGroups/rg/providers/Microsoft.Authorization/locks/l1"
        ));
        assert_eq!(lock.kind(), IdKind::Extension);
        assert_eq!(lock.scope().unwrap().kind(), IdKind::ResourceGroup);
        let ra = p(&format!(
            "{SUB}/providers/Microsoft.Authorization/roleAssignments/abc"
        ));
        assert_eq!(ra.kind(), IdKind::Extension);
        assert_eq!(ra.scope().unwrap().kind(), IdKind::Subscription);
        let pricing = p(&format!(
            "{SUB}/providers/Microsoft.Security/pricings/VirtualMachines"
        ));
        assert_eq!(pricing.kind(), IdKind::Resource);
        assert_eq!(pricing.parent().unwrap().kind(), IdKind::Subscription);
        let pa = p(
            "/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/policyAssignments/pa",
        );
        assert_eq!(pa.kind(), IdKind::Extension);
        assert_eq!(pa.scope().unwrap().kind(), IdKind::ManagementGroup);
        let tenant_rd = p(
            "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
        );
        assert_eq!(tenant_rd.kind(), IdKind::Resource);
        assert_eq!(tenant_rd.parent().unwrap().kind(), IdKind::Tenant);
        // Child of an extension resource.
        let child = p(&format!(
            "{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/providers/Microsoft.GuestConfiguration/guestConfigurationAssignments/a/reports/r1"
        ));
        assert_eq!(child.kind(), IdKind::Extension);
        assert_eq!(
            child.resource_type().unwrap().as_str(),
            "Microsoft.GuestConfiguration/guestConfigurationAssignments/reports"
        );
        assert_eq!(child.parent().unwrap().name(), Some("a"));
        assert_eq!(child.scope().unwrap().name(), Some("vm"));
    }

    #[test]
    fn case_insensitive_eq_hash_and_display() {
        use std::collections::HashSet;
        let a = p(&format!(
            "{SUB}/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/KV1"
        ));
        let b = p(&a.as_str().to_lowercase());
        assert_eq!(a, b);
        let set: HashSet<_> = [a.clone(), b.clone()].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert!(a.to_string().contains("KV1"));
        assert_eq!(a.cmp(&b), Ordering::Equal);
    }

    #[test]
    fn errors_are_precise() {
        assert_eq!(ResourceId::parse(""), Err(IdError::Empty));
        assert!(matches!(
            ResourceId::parse("subscriptions/x"),
            Err(IdError::NoLeadingSlash { .. })
        ));
        let e =
            ResourceId::parse("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Web/sites")
                .unwrap_err();
        assert!(e.to_string().contains("resource name"), "{e}");
        let e = ResourceId::parse("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Web")
            .unwrap_err();
        assert!(e.to_string().contains("resource type"), "{e}");
        let e = ResourceId::parse("/subscriptions/x//rg").unwrap_err();
        assert!(
            matches!(e, IdError::EmptySegment { position: 3, .. }),
            "{e}"
        );
        let e = ResourceId::parse("/subscriptions/x/resourceGroups/rg/").unwrap_err();
        assert!(matches!(e, IdError::EmptySegment { .. }), "{e}");
        let e = ResourceId::parse("/subscriptions/x/locations/westeurope").unwrap_err();
        assert!(
            e.to_string().contains("'resourceGroups' or 'providers'"),
            "{e}"
        );
        let e = ResourceId::parse("/foo/bar").unwrap_err();
        assert!(
            e.to_string().contains("'subscriptions' or 'providers'"),
            "{e}"
        );
    }

    #[test]
    fn with_names_rewrites_target() {
        let id = p(&format!(
            "{SUB}/resourceGroups/rg-a/providers/Microsoft.Storage/storageAccounts/st1"
        ));
        let t = id.with_names(None, Some("rg-b"), Some("st2"));
        assert_eq!(
            t.as_str(),
            format!("{SUB}/resourceGroups/rg-b/providers/Microsoft.Storage/storageAccounts/st2")
        );
    }

    #[test]
    fn resource_type_api() {
        let t = ResourceType::parse("Microsoft.Network/virtualNetworks/subnets").unwrap();
        assert_eq!(t.namespace(), "Microsoft.Network");
        assert_eq!(t.type_path(), "virtualNetworks/subnets");
        assert_eq!(t.depth(), 2);
        assert_eq!(
            t.parent_type().unwrap().as_str(),
            "Microsoft.Network/virtualNetworks"
        );
        assert!(t.parent_type().unwrap().parent_type().is_none());
        assert_eq!(
            t,
            ResourceType::parse("microsoft.network/VIRTUALNETWORKS/subnets").unwrap()
        );
        assert!(ResourceType::parse("Microsoft.Network").is_err());
        assert!(ResourceType::parse("Microsoft.Network//x").is_err());
    }
}
