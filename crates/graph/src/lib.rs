//! # azrelo-graph — every dependency an estate holds
//!
//! Owns dependency extraction over an [`azrelo_estate::Estate`] and the graph
//! operations the planner needs. Edges are typed ([`EdgeKind`]) and carry the
//! JSON path where the reference sits. Sources of edges:
//!
//! * structure: child → parent; explicit `dependsOn` (template inputs);
//! * every resource id inside every string of `properties` (also inside URLs
//!   and longer strings), found by the linear scanner of `azrelo-arm`, and
//!   classified by source type, JSON path and target type (network, private
//!   endpoints and DNS, backup, Defender for Cloud, compute);
//! * identities: resource → user-assigned identity (the keys of
//!   `identity.userAssignedIdentities`); role assignment → scope and → the
//!   identity whose principal id it names;
//! * diagnostic settings → source and destinations; locks and policy
//!   exemptions → scope (and assignment);
//! * references that are not ids, from the catalog's reference patterns
//!   (`references.toml`): host names derived from a resource's name
//!   (`kv.vault.azure.net`, `sb://ns.servicebus.windows.net`) anywhere in
//!   `properties`; names in connection strings (`AccountName=`) and in
//!   identity-based app settings (`__accountName`); Key Vault references
//!   (`@Microsoft.KeyVault(...)`); values a resource publishes (an
//!   instrumentation key → the Application Insights component, a federated
//!   credential's issuer → the AKS cluster, a client id → the user-assigned
//!   identity); ids in tag keys and values (the portal's `hidden-link:`
//!   tags). Each such edge carries the matched text ([`Evidence`]), never a
//!   secret part of a connection string;
//! * ownership, from the catalog's ownership rules (`ownership.toml`): a
//!   resource created by another (an AKS node resource group and everything
//!   in it, a private endpoint's NIC, a SQL server's `master`) gets an
//!   [`EdgeKind::OwnedBy`] edge and an [`Ownership`] record; one installed by
//!   a platform service (a backup or Defender VM extension) an
//!   [`EdgeKind::InstalledBy`] edge when its installer is in the estate; one
//!   attaching after its owner moved (a SQL VM registration) an
//!   [`EdgeKind::AttachedTo`] edge. A reference from an owner to what it
//!   owns, and an association an owner wrote on a resource it uses (AKS's
//!   route table on its own subnet), is an [`EdgeKind::OwnerManaged`] edge,
//!   not a dependency: the owner's move recreates it.
//!
//! Read-only *back-references* that ARM returns on GET (a subnet listing the
//! NIC ip configurations in it, an NSG listing its subnets, a public IP naming
//! the frontend that uses it, private endpoint connections on the target) are
//! kept as edges of kind [`EdgeKind::BackReference`] but are not dependencies:
//! closure, reverse dependencies, cycles and topological order ignore them.
//!
//! Everything is linear in the estate size: ids are resolved through hash
//! maps built once; there are no all-pairs scans.
//!
//! It must not read files or talk to Azure, and knows nothing about
//! relocation strategies; which resources own which and which strings name
//! which resources are the catalog's data, which it applies.

mod build;
mod ops;
mod owned;
mod render;
mod settings;

pub use build::{build, build_with};
pub use ops::{Cycle, closure, cycles, reverse_dependencies, topological_order};
pub use render::{to_dot, to_json, to_mermaid};

use azrelo_arm::id::ResourceId;
pub use azrelo_catalog::Relation;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    /// A record of the estate.
    Resource,
    /// A child resource written inline in its parent (e.g. a subnet in a VNet).
    Inline,
    /// Referenced but not in the estate.
    External,
}

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub id: ResourceId,
    /// Interned: a million nodes share a few hundred type strings.
    #[serde(rename = "type")]
    pub resource_type: Arc<str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Arc<str>>,
    pub kind: NodeKind,
}

/// Typed edges (stable snake_case names in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    Parent,
    DependsOn,
    PropertyReference,
    NicSubnet,
    NicNsg,
    SubnetNsg,
    SubnetRouteTable,
    SubnetNatGateway,
    LoadBalancerBackend,
    LoadBalancerFrontendSubnet,
    AppGatewaySubnet,
    PublicIp,
    VnetPeering,
    VmNic,
    VmDisk,
    UserAssignedIdentity,
    RoleAssignmentScope,
    RoleAssignmentPrincipal,
    DiagnosticSource,
    DiagnosticDestination,
    PrivateEndpointTarget,
    PrivateEndpointSubnet,
    DnsZoneGroupZone,
    DnsZoneVnetLink,
    BackupProtectedResource,
    BackupPolicy,
    SecurityExport,
    SecurityWorkspace,
    PolicyExemptionScope,
    PolicyExemptionAssignment,
    LockScope,
    EndpointReference,
    BackReference,
    /// A resource's name as a value in a setting (`AccountName=st01`,
    /// `AzureWebJobsStorage__accountName`).
    NameReference,
    /// An App Service / Functions Key Vault reference.
    KeyVaultReference,
    /// An Application Insights instrumentation key (or connection string).
    InstrumentationKey,
    /// A user-assigned identity named by its client id.
    IdentityClientId,
    /// A federated identity credential's issuer: an AKS cluster's OIDC
    /// issuer URL.
    FederatedIssuer,
    /// An App Service certificate named by its thumbprint (a host-name
    /// binding's TLS binding).
    CertificateThumbprint,
    /// An id in a tag key or value (the portal's `hidden-link:` tags):
    /// re-pointed, but not a dependency.
    TagLink,
    /// Created and managed by its owner (`to`).
    OwnedBy,
    /// Installed by a platform service as configured by `to` (a backup
    /// protected item, a SQL VM registration, a Defender plan).
    InstalledBy,
    /// A resource of its own deployed after `to` moved (a SQL VM
    /// registration on its VM).
    AttachedTo,
    /// A reference the owner of `to` wrote: the owner naming what it
    /// created, or an association it made on a resource it uses. Not a
    /// dependency; the owner's move recreates it.
    OwnerManaged,
}

impl EdgeKind {
    /// The stable name used in JSON, DOT and Mermaid output.
    pub fn name(self) -> &'static str {
        match self {
            EdgeKind::Parent => "parent",
            EdgeKind::DependsOn => "depends_on",
            EdgeKind::PropertyReference => "property_reference",
            EdgeKind::NicSubnet => "nic_subnet",
            EdgeKind::NicNsg => "nic_nsg",
            EdgeKind::SubnetNsg => "subnet_nsg",
            EdgeKind::SubnetRouteTable => "subnet_route_table",
            EdgeKind::SubnetNatGateway => "subnet_nat_gateway",
            EdgeKind::LoadBalancerBackend => "load_balancer_backend",
            EdgeKind::LoadBalancerFrontendSubnet => "load_balancer_frontend_subnet",
            EdgeKind::AppGatewaySubnet => "app_gateway_subnet",
            EdgeKind::PublicIp => "public_ip",
            EdgeKind::VnetPeering => "vnet_peering",
            EdgeKind::VmNic => "vm_nic",
            EdgeKind::VmDisk => "vm_disk",
            EdgeKind::UserAssignedIdentity => "user_assigned_identity",
            EdgeKind::RoleAssignmentScope => "role_assignment_scope",
            EdgeKind::RoleAssignmentPrincipal => "role_assignment_principal",
            EdgeKind::DiagnosticSource => "diagnostic_source",
            EdgeKind::DiagnosticDestination => "diagnostic_destination",
            EdgeKind::PrivateEndpointTarget => "private_endpoint_target",
            EdgeKind::PrivateEndpointSubnet => "private_endpoint_subnet",
            EdgeKind::DnsZoneGroupZone => "dns_zone_group_zone",
            EdgeKind::DnsZoneVnetLink => "dns_zone_vnet_link",
            EdgeKind::BackupProtectedResource => "backup_protected_resource",
            EdgeKind::BackupPolicy => "backup_policy",
            EdgeKind::SecurityExport => "security_export",
            EdgeKind::SecurityWorkspace => "security_workspace",
            EdgeKind::PolicyExemptionScope => "policy_exemption_scope",
            EdgeKind::PolicyExemptionAssignment => "policy_exemption_assignment",
            EdgeKind::LockScope => "lock_scope",
            EdgeKind::EndpointReference => "endpoint_reference",
            EdgeKind::BackReference => "back_reference",
            EdgeKind::NameReference => "name_reference",
            EdgeKind::KeyVaultReference => "key_vault_reference",
            EdgeKind::InstrumentationKey => "instrumentation_key",
            EdgeKind::IdentityClientId => "identity_client_id",
            EdgeKind::FederatedIssuer => "federated_issuer",
            EdgeKind::CertificateThumbprint => "certificate_thumbprint",
            EdgeKind::TagLink => "tag_link",
            EdgeKind::OwnedBy => "owned_by",
            EdgeKind::InstalledBy => "installed_by",
            EdgeKind::AttachedTo => "attached_to",
            EdgeKind::OwnerManaged => "owner_managed",
        }
    }

    /// Whether `from` needs `to` to exist first: everything but
    /// back-references, tag links and references an owner manages.
    pub fn is_dependency(self) -> bool {
        !matches!(
            self,
            EdgeKind::BackReference | EdgeKind::TagLink | EdgeKind::OwnerManaged
        )
    }

    /// The kinds that say a resource belongs to another.
    pub fn is_ownership(self) -> bool {
        matches!(
            self,
            EdgeKind::OwnedBy | EdgeKind::InstalledBy | EdgeKind::AttachedTo
        )
    }

    /// Whether ARM requires both ends in the same region: a NIC and its
    /// subnet, NSG and VM, a subnet and its NSG, route table or NAT
    /// gateway, a load balancer and its backends and frontend subnet, an
    /// application gateway and its subnet, a public IP and what uses it, a
    /// VM and its disks, a private endpoint and its subnet, a backup item
    /// and what it protects. Keeping one end in the source while the other
    /// moves cannot work.
    pub fn same_region(self) -> bool {
        matches!(
            self,
            EdgeKind::NicSubnet
                | EdgeKind::NicNsg
                | EdgeKind::SubnetNsg
                | EdgeKind::SubnetRouteTable
                | EdgeKind::SubnetNatGateway
                | EdgeKind::LoadBalancerBackend
                | EdgeKind::LoadBalancerFrontendSubnet
                | EdgeKind::AppGatewaySubnet
                | EdgeKind::PublicIp
                | EdgeKind::VmNic
                | EdgeKind::VmDisk
                | EdgeKind::PrivateEndpointSubnet
                | EdgeKind::BackupProtectedResource
        )
    }
}

/// Why an edge exists when the JSON path alone does not say it: the text
/// that matched (a host name, `AccountName=st01`, a `managedBy` id, a name
/// following a naming convention; never a secret) and the catalog rule or
/// pattern that matched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The matched text.
    pub matched: Box<str>,
    /// The catalog ownership rule or reference pattern id.
    pub rule: Box<str>,
    /// Where in the *owner* the evidence sits, when an owner's property
    /// names the owned resource (`$.properties.nodeResourceGroup`); the
    /// edge's own path is then the owned resource's `$.id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_path: Option<Box<str>>,
}

/// A resource that belongs to another resource or to a platform service.
#[derive(Debug, Clone, Serialize)]
pub struct Ownership {
    /// The owner's node; `None` when only a service owns it (a
    /// `NetworkWatcher_<region>`, an extension whose installer is not in
    /// the estate).
    pub owner: Option<u32>,
    /// How it relates to its owner.
    pub relation: Relation,
    /// The catalog ownership rule.
    pub rule: Arc<str>,
    /// Who creates, installs or manages it.
    pub service: Arc<str>,
    /// The owned resource group it is in, when it is owned as part of a
    /// managed group's contents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_group: Option<u32>,
    /// JSON path of the evidence (in the owned record, or in the owner when
    /// `evidence.owner_path` is set).
    pub path: Box<str>,
    /// The evidence.
    pub evidence: Evidence,
}

/// A directed edge: `from` refers to (and, unless a back-reference, depends on) `to`.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: u32,
    pub to: u32,
    pub kind: EdgeKind,
    /// JSON path in the `from` record where the reference sits.
    pub path: Box<str>,
    /// The referenced id as written, when it names a sub-resource of `to`
    /// (e.g. a load balancer's backend pool).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_detail: Option<Box<str>>,
    pub cross_resource_group: bool,
    pub cross_subscription: bool,
    pub cross_region: bool,
    /// What matched, for edges found by a pattern or rule rather than an
    /// id at `path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Box<Evidence>>,
}

/// The dependency graph of an estate.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    index: HashMap<ResourceId, u32>,
    /// Outgoing and incoming edge indices per node in compressed form:
    /// node `n`'s edges are `out_edges[out_start[n]..out_start[n + 1]]`, in
    /// the order they were added. Built once by [`Graph::finish`].
    out_start: Vec<u32>,
    out_edges: Vec<u32>,
    inc_start: Vec<u32>,
    inc_edges: Vec<u32>,
    /// Owned (and attaching) resources by node.
    ownership: HashMap<u32, Ownership>,
}

impl Graph {
    /// The node index of an id.
    pub fn node(&self, id: &ResourceId) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// Whether and how a node belongs to another resource or a service.
    pub fn ownership(&self, n: u32) -> Option<&Ownership> {
        self.ownership.get(&n)
    }

    /// Every owned or attaching node with its ownership, by node index.
    pub fn owned(&self) -> impl Iterator<Item = (u32, &Ownership)> {
        let mut v: Vec<(u32, &Ownership)> = self.ownership.iter().map(|(k, o)| (*k, o)).collect();
        v.sort_by_key(|(k, _)| *k);
        v.into_iter()
    }

    /// Whether azrelo must never deploy or delete the node on its own
    /// (created by its owner or installed by a service).
    pub fn is_owned(&self, n: u32) -> bool {
        self.ownership
            .get(&n)
            .is_some_and(|o| o.relation.is_owned())
    }

    pub(crate) fn set_ownership(&mut self, n: u32, o: Ownership) {
        self.ownership.entry(n).or_insert(o);
    }

    /// Outgoing edges of a node.
    pub fn outgoing(&self, n: u32) -> impl Iterator<Item = &Edge> {
        let (a, b) = (
            self.out_start[n as usize] as usize,
            self.out_start[n as usize + 1] as usize,
        );
        self.out_edges[a..b]
            .iter()
            .map(|&e| &self.edges[e as usize])
    }

    /// Incoming edges of a node.
    pub fn incoming(&self, n: u32) -> impl Iterator<Item = &Edge> {
        let (a, b) = (
            self.inc_start[n as usize] as usize,
            self.inc_start[n as usize + 1] as usize,
        );
        self.inc_edges[a..b]
            .iter()
            .map(|&e| &self.edges[e as usize])
    }

    pub(crate) fn add_node(&mut self, node: Node) -> u32 {
        if let Some(&i) = self.index.get(&node.id) {
            return i;
        }
        let i = self.nodes.len() as u32;
        self.index.insert(node.id.clone(), i);
        self.nodes.push(node);
        i
    }

    /// Build the adjacency (counting sort by endpoint; linear, two flat
    /// arrays per direction instead of a vector per node).
    pub(crate) fn finish(&mut self) {
        let n = self.nodes.len();
        let csr = |key: &dyn Fn(&Edge) -> u32| -> (Vec<u32>, Vec<u32>) {
            let mut start = vec![0u32; n + 1];
            for e in &self.edges {
                start[key(e) as usize + 1] += 1;
            }
            for i in 0..n {
                start[i + 1] += start[i];
            }
            let mut fill = start.clone();
            let mut list = vec![0u32; self.edges.len()];
            for (i, e) in self.edges.iter().enumerate() {
                let k = key(e) as usize;
                list[fill[k] as usize] = i as u32;
                fill[k] += 1;
            }
            (start, list)
        };
        let (os, oe) = csr(&|e: &Edge| e.from);
        let (is, ie) = csr(&|e: &Edge| e.to);
        self.out_start = os;
        self.out_edges = oe;
        self.inc_start = is;
        self.inc_edges = ie;
        self.edges.shrink_to_fit();
        self.nodes.shrink_to_fit();
    }

    pub(crate) fn add_edge(&mut self, edge: Edge) {
        self.edges.push(edge);
    }
}
