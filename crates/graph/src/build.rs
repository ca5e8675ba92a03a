//! Building the graph from an estate.

use crate::settings::{Found, Refs};
use crate::{Edge, EdgeKind, Evidence, Graph, Node, NodeKind};
use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_arm::scan::find_resource_ids;
use azrelo_catalog::Catalog;
use azrelo_estate::Estate;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Build the dependency graph of an estate with the embedded catalog's
/// ownership rules and reference patterns.
pub fn build(estate: &Estate) -> Graph {
    build_with(estate, Catalog::embedded())
}

/// Build the dependency graph of an estate with a catalog's ownership rules
/// and reference patterns (e.g. one loaded with `--catalog DIR`).
pub fn build_with(estate: &Estate, catalog: &Catalog) -> Graph {
    let mut b = Builder {
        g: Graph::default(),
        strings: HashMap::new(),
        principals: HashMap::new(),
        refs: Refs::new(catalog.references()),
        catalog,
        found: Vec::new(),
    };
    b.nodes(estate);
    b.edges(estate);
    crate::owned::resolve(&mut b, estate);
    b.g.finish();
    b.g
}

pub(crate) struct Builder<'c> {
    pub(crate) g: Graph,
    /// Interned type and location strings.
    strings: HashMap<String, Arc<str>>,
    /// principal id (lower-case) → node of the identity's owner (UAMI or resource).
    principals: HashMap<String, u32>,
    /// Named and publishing resources, for references that are not ids.
    refs: Refs<'c>,
    pub(crate) catalog: &'c Catalog,
    /// Scratch list of references found in one string.
    found: Vec<Found<'c>>,
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn render(prefix: &str, segs: &[Seg<'_>]) -> String {
    let mut out = String::from(prefix);
    for s in segs {
        match s {
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            Seg::Key(k) if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Key(k) => {
                out.push_str("['");
                out.push_str(k);
                out.push_str("']");
            }
        }
    }
    out
}

fn lower_type(id: &ResourceId) -> String {
    id.type_or_scope_type().to_lowercase()
}

fn is_global(loc: &str) -> bool {
    loc.is_empty() || loc.eq_ignore_ascii_case("global")
}

impl<'c> Builder<'c> {
    pub(crate) fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.strings.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.strings.insert(s.to_string(), a.clone());
        a
    }

    fn nodes(&mut self, estate: &Estate) {
        for r in &estate.resources {
            let (resource_type, location) = (
                self.intern(&r.resource_type),
                r.location.as_deref().map(|l| self.intern(l)),
            );
            let n = self.g.add_node(Node {
                id: r.id.clone(),
                resource_type,
                location,
                kind: NodeKind::Resource,
            });
            let t = r.resource_type.to_ascii_lowercase();
            self.refs.add_resource(r, &t, n);
            if let Some(ident) = &r.identity
                && let Some(p) = &ident.principal_id
            {
                self.principals.insert(p.to_ascii_lowercase(), n);
            }
            match t.as_str() {
                "microsoft.managedidentity/userassignedidentities" => {
                    if let Some(p) = r.properties.get("principalId").and_then(|p| p.as_str()) {
                        self.principals.insert(p.to_ascii_lowercase(), n);
                    }
                }
                "microsoft.network/virtualnetworks" => {
                    // Subnets and peerings written inline become nodes of their
                    // own, so that NIC -> subnet -> VNet chains are explicit and
                    // two peered VNets do not depend on each other.
                    for (key, sn) in INLINE_CHILDREN.iter().flat_map(|k| {
                        r.properties
                            .get(*k)
                            .and_then(|s| s.as_array())
                            .into_iter()
                            .flatten()
                            .map(move |sn| (*k, sn))
                    }) {
                        if let Some(id) = inline_id(&r.id, key, sn) {
                            let resource_type = self.intern(id.type_or_scope_type().as_str());
                            let location = r.location.as_deref().map(|l| self.intern(l));
                            self.g.add_node(Node {
                                resource_type,
                                id,
                                location,
                                kind: NodeKind::Inline,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        // Principal ids of user-assigned identities seen on their consumers.
        for r in &estate.resources {
            if let Some(ident) = &r.identity {
                for (uid, ua) in &ident.user_assigned {
                    if let (Some(p), Ok(id)) = (&ua.principal_id, ResourceId::parse(uid)) {
                        let n = self.resolve(&id).0;
                        self.principals.entry(p.to_ascii_lowercase()).or_insert(n);
                    }
                }
            }
        }
        let ids = estate
            .role_assignments
            .iter()
            .map(|x| &x.id)
            .chain(estate.diagnostic_settings.iter().map(|x| &x.id))
            .chain(estate.locks.iter().map(|x| &x.id))
            .chain(estate.policy_exemptions.iter().map(|x| &x.id));
        for id in ids {
            let resource_type = self.intern(id.type_or_scope_type().as_str());
            self.g.add_node(Node {
                resource_type,
                id: id.clone(),
                location: None,
                kind: NodeKind::Resource,
            });
        }
    }

    /// The node for an id: itself, else its nearest ancestor in the graph,
    /// else a new external node (for the top-level resource of a
    /// sub-resource id). The second value is the id as written when the node
    /// stands for an ancestor.
    pub(crate) fn resolve(&mut self, id: &ResourceId) -> (u32, Option<String>) {
        if let Some(n) = self.g.node(id) {
            return (n, None);
        }
        let mut cur = id.parent();
        let mut top = id.clone();
        while let Some(p) = cur {
            if let Some(n) = self.g.node(&p) {
                if matches!(p.kind(), IdKind::Resource | IdKind::Extension) {
                    return (n, Some(id.to_string()));
                }
                break;
            }
            if matches!(p.kind(), IdKind::Resource | IdKind::Extension) {
                top = p.clone();
            }
            cur = p.parent();
        }
        let resource_type = self.intern(top.type_or_scope_type().as_str());
        let n = self.g.add_node(Node {
            resource_type,
            id: top.clone(),
            location: None,
            kind: NodeKind::External,
        });
        (n, (top != *id).then(|| id.to_string()))
    }

    fn edge(&mut self, from: u32, to: u32, kind: EdgeKind, path: String, detail: Option<String>) {
        self.edge_with(from, to, kind, path, detail, None);
    }

    pub(crate) fn edge_with(
        &mut self,
        from: u32,
        to: u32,
        kind: EdgeKind,
        path: String,
        detail: Option<String>,
        evidence: Option<Evidence>,
    ) {
        if from == to {
            return;
        }
        let (a, b) = (&self.g.nodes[from as usize], &self.g.nodes[to as usize]);
        let cross_resource_group = match (a.id.resource_group(), b.id.resource_group()) {
            (Some(x), Some(y)) => {
                !x.eq_ignore_ascii_case(y) || a.id.subscription_id() != b.id.subscription_id()
            }
            _ => false,
        };
        let cross_subscription = match (a.id.subscription_id(), b.id.subscription_id()) {
            (Some(x), Some(y)) => !x.eq_ignore_ascii_case(y),
            _ => false,
        };
        let cross_region = match (&a.location, &b.location) {
            (Some(x), Some(y)) if !is_global(x) && !is_global(y) => {
                azrelo_arm::region::normalize(x) != azrelo_arm::region::normalize(y)
            }
            _ => false,
        };
        self.g.add_edge(Edge {
            from,
            to,
            kind,
            path: path.into_boxed_str(),
            target_detail: detail.map(String::into_boxed_str),
            cross_resource_group,
            cross_subscription,
            cross_region,
            evidence: evidence.map(Box::new),
        });
    }

    fn edges(&mut self, estate: &Estate) {
        for r in &estate.resources {
            let from = self.g.node(&r.id).expect("resource node");
            let src_type = r.resource_type.to_ascii_lowercase();
            // Parent / child; a top-level resource depends on its resource
            // group when the estate holds it.
            if matches!(r.id.kind(), IdKind::Resource)
                && r.id.resource_type().is_some_and(|t| t.depth() > 1)
            {
                if let Some(p) = r.id.parent() {
                    let (to, _) = self.resolve(&p);
                    self.edge(from, to, EdgeKind::Parent, "$.id".into(), None);
                }
            } else if matches!(r.id.kind(), IdKind::Resource)
                && let Some(rg) = r.id.resource_group_id()
                && let Some(to) = self.g.node(&rg)
            {
                self.edge(from, to, EdgeKind::Parent, "$.id".into(), None);
            }
            // Explicit dependsOn (template inputs).
            for (i, d) in r.depends_on.iter().enumerate() {
                if let Ok(id) = ResourceId::parse(d) {
                    let (to, detail) = self.resolve(&id);
                    self.edge(
                        from,
                        to,
                        EdgeKind::DependsOn,
                        format!("$.dependsOn[{i}]"),
                        detail,
                    );
                }
            }
            // User-assigned identities: the KEYS of userAssignedIdentities.
            if let Some(ident) = &r.identity {
                for uid in ident.user_assigned.keys() {
                    if let Ok(id) = ResourceId::parse(uid) {
                        let (to, _) = self.resolve(&id);
                        self.edge(
                            from,
                            to,
                            EdgeKind::UserAssignedIdentity,
                            format!("$.identity.userAssignedIdentities['{uid}']"),
                            None,
                        );
                    }
                }
            }
            // Inline subnets and peerings: their own references (NSG, route
            // table, NAT gateway, remote VNet).
            if src_type == "microsoft.network/virtualnetworks" {
                for (key, i, sn) in INLINE_CHILDREN.iter().flat_map(|k| {
                    r.properties
                        .get(*k)
                        .and_then(|s| s.as_array())
                        .into_iter()
                        .flatten()
                        .enumerate()
                        .map(move |(i, sn)| (*k, i, sn))
                }) {
                    let Some(sid) = inline_id(&r.id, key, sn) else {
                        continue;
                    };
                    let sn_node = self.resolve(&sid).0;
                    self.edge(sn_node, from, EdgeKind::Parent, "$.id".into(), None);
                    let prefix = format!("$.properties.{key}[{i}]");
                    let mut segs = Vec::new();
                    let child_type = sid.type_or_scope_type().to_lowercase();
                    self.scan(sn_node, &child_type, sn, &prefix, &mut segs, None);
                }
            }
            let mut segs = Vec::new();
            let props = &r.properties;
            if src_type == "microsoft.network/virtualnetworks" {
                // Subnets were scanned as their own nodes; scan the rest.
                if let Some(o) = props.as_object() {
                    for (k, v) in o {
                        if INLINE_CHILDREN.contains(&k.as_str()) {
                            continue;
                        }
                        segs.push(Seg::Key(k));
                        self.scan(from, &src_type, v, "$.properties", &mut segs, Some(k));
                        segs.pop();
                    }
                }
            } else {
                self.scan(from, &src_type, props, "$.properties", &mut segs, None);
            }
            // Values this type holds that another resource publishes (a
            // federated credential's issuer → the AKS cluster).
            let key_paths = self.refs.key_paths(&src_type).to_vec();
            for (k, ptr) in key_paths {
                let Some(rest) = ptr.strip_prefix("/properties") else {
                    continue;
                };
                for (path, v) in crate::owned::select_paths(props, "$.properties", rest) {
                    let group = self.g.nodes[from as usize].id.resource_group_id();
                    let nodes = &self.g.nodes;
                    let near = |n: u32| nodes[n as usize].id.resource_group_id() == group;
                    if let Some(s) = v.as_str()
                        && let Some((to, rule, kind)) = self.refs.lookup_key_near(k, s, near)
                    {
                        let evidence = Evidence {
                            matched: s.into(),
                            rule: rule.into(),
                            owner_path: None,
                        };
                        self.edge_with(from, to, kind, path, None, Some(evidence));
                    }
                }
            }
            // Ids in tag keys and values (`hidden-link:<id>` tags).
            for (k, v) in &r.tags {
                for text in [k, v] {
                    for m in find_resource_ids(text) {
                        let path = render("$.tags", &[Seg::Key(k)]);
                        let id = m.id();
                        let (to, detail) = self.resolve(&id);
                        let evidence = Evidence {
                            matched: id.as_str().into(),
                            rule: "tag".into(),
                            owner_path: None,
                        };
                        self.edge_with(from, to, EdgeKind::TagLink, path, detail, Some(evidence));
                    }
                }
            }
        }
        for ra in &estate.role_assignments {
            let from = self.g.node(&ra.id).expect("node");
            if let Ok(scope) = ResourceId::parse(&ra.scope) {
                let (to, detail) = self.resolve(&scope);
                self.edge(
                    from,
                    to,
                    EdgeKind::RoleAssignmentScope,
                    "$.properties.scope".into(),
                    detail,
                );
            }
            if let Some(&to) = self.principals.get(&ra.principal_id.to_ascii_lowercase()) {
                self.edge(
                    from,
                    to,
                    EdgeKind::RoleAssignmentPrincipal,
                    "$.properties.principalId".into(),
                    None,
                );
            }
        }
        for ds in &estate.diagnostic_settings {
            let from = self.g.node(&ds.id).expect("node");
            if let Ok(src) = ResourceId::parse(&ds.resource_id) {
                let (to, detail) = self.resolve(&src);
                self.edge(from, to, EdgeKind::DiagnosticSource, "$.id".into(), detail);
            }
            for (field, v) in [
                ("workspaceId", &ds.workspace_id),
                (
                    "eventHubAuthorizationRuleId",
                    &ds.event_hub_authorization_rule_id,
                ),
                ("storageAccountId", &ds.storage_account_id),
                ("marketplacePartnerId", &ds.marketplace_partner_id),
            ] {
                if let Some(id) = v.as_deref().and_then(|x| ResourceId::parse(x).ok()) {
                    let (to, detail) = self.resolve(&id);
                    self.edge(
                        from,
                        to,
                        EdgeKind::DiagnosticDestination,
                        format!("$.properties.{field}"),
                        detail,
                    );
                }
            }
        }
        for l in &estate.locks {
            let from = self.g.node(&l.id).expect("node");
            if let Ok(scope) = ResourceId::parse(&l.scope) {
                let (to, detail) = self.resolve(&scope);
                self.edge(from, to, EdgeKind::LockScope, "$.id".into(), detail);
            }
        }
        for x in &estate.policy_exemptions {
            let from = self.g.node(&x.id).expect("node");
            if let Ok(scope) = ResourceId::parse(&x.scope) {
                let (to, detail) = self.resolve(&scope);
                self.edge(
                    from,
                    to,
                    EdgeKind::PolicyExemptionScope,
                    "$.id".into(),
                    detail,
                );
            }
            if let Ok(pa) = ResourceId::parse(&x.policy_assignment_id) {
                let (to, detail) = self.resolve(&pa);
                self.edge(
                    from,
                    to,
                    EdgeKind::PolicyExemptionAssignment,
                    "$.properties.policyAssignmentId".into(),
                    detail,
                );
            }
        }
    }

    /// The edge of a string at a name pattern's path that is a resource's
    /// whole name (`references.toml` `[[names]]`).
    fn scan_name(&mut self, from: u32, src_type: &str, s: &str, prefix: &str, segs: &[Seg<'_>]) {
        let paths = self.refs.name_paths(src_type);
        if paths.is_empty() {
            return;
        }
        let idx: Vec<String> = segs
            .iter()
            .map(|g| match g {
                Seg::Key(k) => (*k).to_string(),
                Seg::Index(i) => i.to_string(),
            })
            .collect();
        let mut pointer: Vec<&str> = vec!["properties"];
        pointer.extend(idx.iter().map(String::as_str));
        let Some(&(k, _)) = paths
            .iter()
            .find(|(_, p)| azrelo_catalog::NamePattern::fits(p, &pointer))
        else {
            return;
        };
        let group = self.g.nodes[from as usize].id.resource_group_id();
        let nodes = &self.g.nodes;
        let near = |n: u32| nodes[n as usize].id.resource_group_id() == group;
        if let Some((to, rule)) = self.refs.lookup_name(k, s, from, near) {
            let evidence = Evidence {
                matched: s.into(),
                rule: rule.into(),
                owner_path: None,
            };
            let path = render(prefix, segs);
            self.edge_with(
                from,
                to,
                EdgeKind::NameReference,
                path,
                None,
                Some(evidence),
            );
        }
    }

    /// Walk a JSON value; every embedded id and every reference the
    /// catalog's patterns find becomes an edge. `setting` is the name of
    /// the setting a string value sits in (its key, or the sibling `name`
    /// of a `{name, value}` pair).
    fn scan<'a>(
        &mut self,
        from: u32,
        src_type: &str,
        v: &'a Value,
        prefix: &str,
        segs: &mut Vec<Seg<'a>>,
        setting: Option<&'a str>,
    ) {
        match v {
            Value::String(s) => {
                for m in find_resource_ids(s) {
                    let id = m.id();
                    let (to, detail) = self.resolve(&id);
                    if to == from {
                        continue; // a reference to one of its own sub-resources
                    }
                    let path = render(prefix, segs);
                    let kind = match classify(src_type, &path, &lower_type(&id)) {
                        // A plain reference in a property ARM computes is a
                        // back-reference; a named relationship (a backup
                        // item's read-only copy of the id it protects) stays.
                        EdgeKind::PropertyReference
                            if is_back_reference(src_type, &pointer(prefix, segs)) =>
                        {
                            EdgeKind::BackReference
                        }
                        kind => kind,
                    };
                    self.edge(from, to, kind, path, detail);
                }
                // A whole value that is a resource's name, where the
                // catalog says such a property holds one.
                if prefix == "$.properties" {
                    self.scan_name(from, src_type, s, prefix, segs);
                }
                if !self.refs.is_empty() {
                    let mut found = std::mem::take(&mut self.found);
                    self.refs.scan_string(s, setting, &mut found);
                    for f in found.drain(..) {
                        if f.to != from {
                            let evidence = Evidence {
                                matched: f.matched.into(),
                                rule: f.rule.into(),
                                owner_path: None,
                            };
                            let path = render(prefix, segs);
                            self.edge_with(from, f.to, f.kind, path, None, Some(evidence));
                        }
                    }
                    self.found = found;
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    segs.push(Seg::Index(i));
                    self.scan(from, src_type, x, prefix, segs, setting);
                    segs.pop();
                }
            }
            Value::Object(o) => {
                for (k, x) in o {
                    segs.push(Seg::Key(k));
                    let setting = if x.is_string() {
                        Some(setting_name(o, k, setting))
                    } else {
                        Some(k.as_str())
                    };
                    self.scan(from, src_type, x, prefix, segs, setting);
                    segs.pop();
                }
            }
            _ => {}
        }
    }
}

/// The name of the setting a string member `k` of `o` holds: `k` itself,
/// or for the value of a `{name, value}` pair (app settings, environment
/// variables, secrets) its `name`, or for a `{value}` wrapper (connection
/// strings, Logic App parameters) the key of the wrapper.
fn setting_name<'a>(
    o: &'a serde_json::Map<String, Value>,
    k: &'a str,
    outer: Option<&'a str>,
) -> &'a str {
    let wrapped = ["value", "connectionString", "keyVaultUrl"]
        .iter()
        .any(|w| k.eq_ignore_ascii_case(w));
    if !wrapped {
        return k;
    }
    o.get("name").and_then(Value::as_str).or(outer).unwrap_or(k)
}

/// The id of an inline child: its `id` (GET bodies), else the parent id plus
/// the child type segment and its `name` (templates write no ids inline).
fn inline_id(parent: &ResourceId, key: &str, child: &Value) -> Option<ResourceId> {
    if let Some(id) = child.get("id").and_then(|i| i.as_str()) {
        return ResourceId::parse(id).ok();
    }
    let name = child.get("name").and_then(|n| n.as_str())?;
    let id = parent.child(key, name);
    (id != *parent).then_some(id)
}

/// Child arrays of a virtual network that become nodes of their own.
const INLINE_CHILDREN: &[&str] = &["subnets", "virtualNetworkPeerings"];

/// The JSON pointer of a reference inside a body being scanned: `segs`
/// below the scan's root, which is the resource's `properties` (`prefix`
/// `$.properties`) or, for a child written inline in its parent (a subnet
/// in its network), the child's own body.
fn pointer(prefix: &str, segs: &[Seg<'_>]) -> String {
    let mut out = String::from(if prefix == "$.properties" {
        "/properties"
    } else {
        ""
    });
    for s in segs {
        out.push('/');
        match s {
            Seg::Index(i) => out.push_str(&i.to_string()),
            Seg::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
        }
    }
    out
}

/// Whether a reference is a read-only back-reference (a subnet listing the
/// NICs in it, a public IP naming its configuration, a resource listing its
/// private endpoint connections): ARM computes the property, so the schema
/// flags mark it read-only (`azrelo_arm::schema`), and the referrer does
/// not depend on what it names.
fn is_back_reference(src: &str, pointer: &str) -> bool {
    azrelo_arm::schema::SchemaFlags::embedded()
        .get(src)
        .is_some_and(|t| t.is_read_only(pointer))
        || NOT_FLAGGED_BACK_REFERENCES
            .iter()
            .any(|(t, p)| *t == src && pointer.starts_with(p))
}

/// Back-references the schema does not flag read-only: a public IP's
/// `natGateway` is writable in the Network schema, but the association is
/// made on the NAT gateway (its `publicIpAddresses`,
/// learn.microsoft.com/azure/nat-gateway/manage-nat-gateway), so the public
/// IP's copy points back at its user. (lower-cased type, JSON pointer)
const NOT_FLAGGED_BACK_REFERENCES: &[(&str, &str)] = &[(
    "microsoft.network/publicipaddresses",
    "/properties/natGateway",
)];

/// Classify a property reference by source type, JSON path and target type.
fn classify(src: &str, path: &str, target: &str) -> EdgeKind {
    let is = |t: &str| target == t;
    let subnet = is("microsoft.network/virtualnetworks/subnets");
    match src {
        "microsoft.network/networkinterfaces" if subnet => EdgeKind::NicSubnet,
        "microsoft.network/networkinterfaces" if is("microsoft.network/networksecuritygroups") => {
            EdgeKind::NicNsg
        }
        "microsoft.network/networkinterfaces"
            if path.contains("loadBalancerBackendAddressPools")
                || path.contains("loadBalancerInboundNatRules") =>
        {
            EdgeKind::LoadBalancerBackend
        }
        "microsoft.network/networkinterfaces"
            if path.contains("applicationGatewayBackendAddressPools") =>
        {
            EdgeKind::LoadBalancerBackend
        }
        "microsoft.network/virtualnetworks/subnets"
            if is("microsoft.network/networksecuritygroups") =>
        {
            EdgeKind::SubnetNsg
        }
        "microsoft.network/virtualnetworks/subnets" if is("microsoft.network/routetables") => {
            EdgeKind::SubnetRouteTable
        }
        "microsoft.network/virtualnetworks/subnets" if is("microsoft.network/natgateways") => {
            EdgeKind::SubnetNatGateway
        }
        "microsoft.network/loadbalancers" if subnet => EdgeKind::LoadBalancerFrontendSubnet,
        "microsoft.network/applicationgateways" if subnet => EdgeKind::AppGatewaySubnet,
        "microsoft.network/virtualnetworks"
        | "microsoft.network/virtualnetworks/virtualnetworkpeerings"
            if is("microsoft.network/virtualnetworks") && path.contains("remoteVirtualNetwork") =>
        {
            EdgeKind::VnetPeering
        }
        "microsoft.network/privateendpoints" if subnet => EdgeKind::PrivateEndpointSubnet,
        "microsoft.network/privateendpoints" if path.contains("privateLinkServiceId") => {
            EdgeKind::PrivateEndpointTarget
        }
        "microsoft.network/privateendpoints/privatednszonegroups"
            if is("microsoft.network/privatednszones") =>
        {
            EdgeKind::DnsZoneGroupZone
        }
        "microsoft.network/privatednszones/virtualnetworklinks"
            if is("microsoft.network/virtualnetworks") =>
        {
            EdgeKind::DnsZoneVnetLink
        }
        "microsoft.compute/virtualmachines" if is("microsoft.network/networkinterfaces") => {
            EdgeKind::VmNic
        }
        "microsoft.compute/virtualmachines" if is("microsoft.compute/disks") => EdgeKind::VmDisk,
        "microsoft.security/automations" => EdgeKind::SecurityExport,
        "microsoft.security/workspacesettings" => EdgeKind::SecurityWorkspace,
        _ if src.ends_with("/protecteditems") && path.contains("policyId") => {
            EdgeKind::BackupPolicy
        }
        _ if src.ends_with("/protecteditems") => EdgeKind::BackupProtectedResource,
        _ if is("microsoft.network/publicipaddresses") => EdgeKind::PublicIp,
        _ => EdgeKind::PropertyReference,
    }
}
