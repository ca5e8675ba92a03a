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
//! * well-known endpoints: a Key Vault URI → the vault, a storage endpoint →
//!   the account.
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
//! relocation strategies.

mod build;
mod ops;
mod render;

pub use build::build;
pub use ops::{Cycle, closure, cycles, reverse_dependencies, topological_order};
pub use render::{to_dot, to_json, to_mermaid};

use azrelo_arm::id::ResourceId;
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
        }
    }

    /// Whether `from` needs `to` to exist first (everything but back-references).
    pub fn is_dependency(self) -> bool {
        self != EdgeKind::BackReference
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
}

impl Graph {
    /// The node index of an id.
    pub fn node(&self, id: &ResourceId) -> Option<u32> {
        self.index.get(id).copied()
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
