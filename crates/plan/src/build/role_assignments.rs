//! Role assignments to recreate: new scopes and new principals.

use std::collections::HashMap;

use azrelo_arm::id::ResourceId;
use azrelo_graph::EdgeKind;

use crate::waves;

use super::*;

impl Builder<'_, '_> {
    /// Role assignments to recreate, and (node, scope node, principal node)
    /// triples for the wave computation.
    pub(super) fn role_assignments(&mut self) -> (Vec<RoleAssignmentPlan>, Vec<waves::RaNode>) {
        let g = self.inp.graph;
        let mut out = Vec::new();
        let mut nodes = Vec::new();
        let mut ras = self.ra_nodes.clone();
        ras.sort_by_cached_key(|n| self.inp.node_id(*n).as_str().to_ascii_lowercase());
        let mut memo = HashMap::new();
        // Target name (lower case) → the source assignment it recreates.
        let mut by_target: HashMap<String, (String, Option<String>)> = HashMap::new();
        for m in ras {
            let Rec::RoleAssignment(i) = self.inp.recs[m as usize] else {
                continue;
            };
            let ra = &self.inp.estate.role_assignments[i];
            let scope_node = g
                .outgoing(m)
                .find(|e| e.kind == EdgeKind::RoleAssignmentScope)
                .map(|e| e.to);
            let principal_node = g
                .outgoing(m)
                .find(|e| e.kind == EdgeKind::RoleAssignmentPrincipal)
                .map(|e| e.to);
            let moves = |b: &Self, n: Option<u32>| {
                n.and_then(|n| b.slots[n as usize].as_ref())
                    .is_some_and(|s| s.action.creates_target())
            };
            let mut reasons = Vec::new();
            if moves(self, scope_node) {
                reasons.push(RoleAssignmentReason::ScopeMoves);
            }
            let principal_recreated = moves(self, principal_node);
            if principal_recreated {
                reasons.push(RoleAssignmentReason::PrincipalRecreated);
            }
            // Granted to (or on) what a moved owner creates anew (an AKS
            // kubelet identity, a resource in a node resource group): the
            // new principal or scope is only known once the owner moved, and
            // the old one goes with the old owner.
            let owned_end = [principal_node, scope_node]
                .into_iter()
                .flatten()
                .find(|&n| self.owned_elsewhere(n));
            if reasons.is_empty() || owned_end.is_some() {
                if let Some(n) = owned_end {
                    self.findings.push(Finding {
                        severity: Severity::Warning,
                        code: "role-assignment-on-owned".into(),
                        resource: Some(ra.id.as_str().to_owned()),
                        message: format!(
                            "grants {} on {}, but {} is created anew by its owner's move; this assignment is not recreated as it is",
                            ra.principal_id,
                            ra.scope,
                            self.inp.node_id(n)
                        ),
                        remediation: "After the owner moved, grant the same role to its new counterpart (for an AKS kubelet identity: `az aks update --attach-acr`, or a role assignment to identityProfile.kubeletidentity.objectId of the moved cluster).".into(),
                    });
                }
                continue;
            }
            let source_scope = ra.scope.clone();
            let target_scope = match ResourceId::parse(&source_scope) {
                Ok(s) => self.target_of(&s, &mut memo, 0).to_string(),
                Err(_) => source_scope.clone(),
            };
            let target_principal = match principal_node {
                Some(p) if principal_recreated => TargetPrincipal::NewPrincipalOf {
                    identity: self.target_ids[p as usize]
                        .as_ref()
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| self.inp.node_id(p).to_string()),
                },
                _ => TargetPrincipal::Same {
                    principal_id: ra.principal_id.clone(),
                },
            };
            let principal_key = match &target_principal {
                TargetPrincipal::Same { principal_id } => principal_id.clone(),
                TargetPrincipal::NewPrincipalOf { identity } => identity.clone(),
            };
            let target_name = azrelo_template::hash::guid(&[
                &target_scope,
                &principal_key,
                &ra.role_definition_id,
            ]);
            // ARM keeps one assignment per principal, role and scope: a
            // second one under another name is refused
            // (`RoleAssignmentExists`; Azure/bicep discussion #19690: "the
            // resource provider does not allow having a role assignment
            // with the same properties - service principal, role
            // definition and scope - deployed more than once with a
            // different name"). Two source assignments that map to the
            // same target (the name is derived from exactly those) are one
            // target assignment; the plan says so for the second.
            match by_target.get(&target_name.to_ascii_lowercase()) {
                Some((first, condition)) => {
                    let same_condition = *condition == ra.condition;
                    self.findings.push(Finding {
                        severity: if same_condition {
                            Severity::Info
                        } else {
                            Severity::Warning
                        },
                        code: "role-assignment-duplicate".into(),
                        resource: Some(ra.id.as_str().to_owned()),
                        message: format!(
                            "grants the same role at the same scope to the same principal as {first}; Azure keeps one assignment per principal, role and scope, so the target has one ({target_name}) for both{}",
                            if same_condition {
                                ""
                            } else {
                                ", with the first one's condition"
                            }
                        ),
                        remediation: if same_condition {
                            "Nothing to do: the access is the same. Remove the duplicate from the templates that deploy the source, if any.".into()
                        } else {
                            "The two assignments have different conditions: after the move, check that the target assignment's condition is the one you want.".into()
                        },
                    });
                    continue;
                }
                None => {
                    by_target.insert(
                        target_name.to_ascii_lowercase(),
                        (ra.id.as_str().to_owned(), ra.condition.clone()),
                    );
                }
            }
            nodes.push(waves::RaNode {
                node: m,
                index: out.len(),
                scope: scope_node.filter(|&s| self.slots[s as usize].is_some()),
                principal: principal_node.filter(|&p| self.slots[p as usize].is_some()),
            });
            out.push(RoleAssignmentPlan {
                source_id: ra.id.as_str().to_owned(),
                role_definition_id: ra.role_definition_id.clone(),
                source_scope,
                target_scope,
                source_principal_id: ra.principal_id.clone(),
                principal_type: ra.principal_type.clone(),
                condition: ra.condition.clone(),
                description: ra.description.clone(),
                target_principal,
                target_name,
                wave: 0,
                reasons,
            });
        }
        (out, nodes)
    }
}

impl Builder<'_, '_> {
    /// Whether a node is owned and its target is only known after its owner
    /// moved (read from the owner or found in its new managed group).
    pub(super) fn owned_elsewhere(&self, n: u32) -> bool {
        self.slots[n as usize]
            .as_ref()
            .is_some_and(|s| s.action == Action::Owned)
            && self.owned_known(n).is_none()
    }
}
