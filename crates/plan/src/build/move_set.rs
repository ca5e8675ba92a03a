//! Pass 2: the move set — a worklist over the graph: what a moved resource
//! requires, what cannot stay behind, external references kept.

use std::collections::HashSet;

use azrelo_arm::id::IdKind;
use azrelo_catalog::{Severity, Strategy};
use azrelo_graph::EdgeKind;

use super::*;

impl Builder<'_, '_> {
    /// Close the selection over what it requires and what cannot stay behind.
    pub(super) fn close(&mut self) {
        let g = self.inp.graph;
        let policy = self.inp.opts.dependency_policy;
        let mut i = 0;
        let mut not_in_estate: HashSet<u32> = HashSet::new();
        while i < self.order.len() {
            let n = self.order[i];
            i += 1;
            // Forward: what n requires.
            let outgoing: Vec<_> = g.outgoing(n).filter(|e| e.kind.is_dependency()).collect();
            for e in outgoing {
                let t = e.to;
                if self.slots[t as usize].is_some() {
                    continue;
                }
                let from = self.inp.node_id(n).as_str().to_owned();
                let to = self.inp.node_id(t).as_str().to_owned();
                if let Some(existing) = self.existing.get(&t) {
                    self.external.push(ExternalReference {
                        from,
                        to,
                        kind: e.kind.name().into(),
                        path: e.path.to_string(),
                        resolution: ExternalResolution::ExistingTarget {
                            target: existing.to_string(),
                        },
                    });
                    continue;
                }
                match self.inp.recs[t as usize] {
                    Rec::External => {
                        let global = self.is_global_node(t);
                        self.external.push(ExternalReference {
                            from: from.clone(),
                            to: to.clone(),
                            kind: e.kind.name().into(),
                            path: e.path.to_string(),
                            resolution: if global {
                                ExternalResolution::Global
                            } else {
                                ExternalResolution::NotInEstate
                            },
                        });
                        if !global && !stays_valid(self.inp.node_id(t)) && not_in_estate.insert(t) {
                            self.findings.push(Finding {
                                severity: if e.kind.same_region() {
                                    Severity::Blocker
                                } else {
                                    Severity::Warning
                                },
                                code: "dependency-not-in-estate".into(),
                                resource: Some(from),
                                message: format!(
                                    "depends on {to} ({}, at {}), which is not in the inputs{}",
                                    e.kind.name(),
                                    e.path,
                                    if e.kind.same_region() {
                                        "; it must be in the same region as the moved resource"
                                    } else {
                                        ""
                                    }
                                ),
                                remediation: "Add an export of it to the inputs (so it is planned too), or map it to an existing target with --existing-target SOURCE=TARGET.".into(),
                            });
                        }
                    }
                    Rec::Inline | Rec::Resource(_) => {
                        // A child cannot live in another region than its
                        // parent: parents always come along.
                        if policy == DependencyPolicy::Add
                            || e.kind == EdgeKind::Parent
                            || self.is_global_node(t)
                        {
                            self.add(t, ReasonKind::Dependency, Some(n));
                        } else {
                            self.keep_external(n, t, e.kind, &e.path);
                        }
                    }
                    _ => {}
                }
            }
            // Reverse: what cannot stay behind when n moves.
            let n_is_container = is_rg_type(self.inp.node_type(n))
                || matches!(
                    self.inp.node_id(n).kind(),
                    IdKind::Subscription | IdKind::ManagementGroup | IdKind::Tenant
                );
            let incoming: Vec<_> = g.incoming(n).filter(|e| e.kind.is_dependency()).collect();
            for e in incoming {
                let m = e.from;
                if self.slots[m as usize].is_some() {
                    continue;
                }
                match (e.kind, self.inp.recs[m as usize]) {
                    (EdgeKind::RoleAssignmentScope | EdgeKind::RoleAssignmentPrincipal, _)
                        if self.ra_seen.insert(m) =>
                    {
                        self.ra_nodes.push(m);
                    }
                    (
                        EdgeKind::DiagnosticSource
                        | EdgeKind::LockScope
                        | EdgeKind::PolicyExemptionScope,
                        Rec::Diagnostic(_) | Rec::Lock(_) | Rec::Exemption(_),
                    ) if self.owned_scope_unknown(n) => {
                        self.findings.push(Finding {
                            severity: Severity::Warning,
                            code: "extension-on-owned".into(),
                            resource: Some(self.inp.node_id(m).as_str().to_owned()),
                            message: format!(
                                "is set on {}, which its owner's move creates anew under a name known only then; it is not recreated automatically",
                                self.inp.node_id(n)
                            ),
                            remediation: "After the owner moved, set it again on the new counterpart (the run's verification names it).".into(),
                        });
                    }
                    (
                        EdgeKind::DiagnosticSource
                        | EdgeKind::LockScope
                        | EdgeKind::PolicyExemptionScope,
                        Rec::Diagnostic(_) | Rec::Lock(_) | Rec::Exemption(_),
                    ) => {
                        self.add(m, ReasonKind::Extension, Some(n));
                    }
                    (EdgeKind::Parent, Rec::Inline) if !n_is_container => {
                        self.add(m, ReasonKind::Child, Some(n));
                    }
                    (EdgeKind::Parent, Rec::Resource(_)) if !n_is_container => {
                        let lk = self.inp.lookup(m);
                        if lk.travels_with_parent() {
                            self.add(m, ReasonKind::Child, Some(n));
                        }
                    }
                    (EdgeKind::BackupProtectedResource, Rec::Resource(_))
                        if policy == DependencyPolicy::Add =>
                    {
                        self.add(m, ReasonKind::SameRegionDependent, Some(n));
                    }
                    // What a moved resource owns, what a service installs
                    // as it configures, and what attaches to it follow it:
                    // left behind, they would name a deleted resource.
                    (
                        EdgeKind::OwnedBy | EdgeKind::InstalledBy | EdgeKind::AttachedTo,
                        Rec::Resource(_),
                    ) => {
                        self.add(m, ReasonKind::Owned, Some(n));
                    }
                    _ => {}
                }
            }
        }
    }

    /// References to a child of a moved resource that the inputs do not
    /// hold (an Event Hub of a moved namespace, named by a continuous
    /// export): Resource Graph does not list such children
    /// (`azrelo_arm::resource_graph::unindexed_child_types`) and the
    /// parent's body does not carry them inline, so nothing would create
    /// the child in the target while the reference is re-pointed there.
    /// Each such child is a warning naming it, with the remedy (issue #13).
    pub(super) fn unseen_children(&mut self) {
        let g = self.inp.graph;
        let mut seen: HashSet<String> = HashSet::new();
        for e in &g.edges {
            if !e.kind.is_dependency()
                || self.slots[e.from as usize].is_none()
                || self.slots[e.to as usize].is_none()
            {
                continue;
            }
            let Some(detail) = e.target_detail.as_deref() else {
                continue;
            };
            let Ok(child) = azrelo_arm::id::ResourceId::parse(detail) else {
                continue;
            };
            let parent = self.inp.node_id(e.to);
            // The first child segment below the moved parent.
            let Some(first) = std::iter::successors(Some(child.clone()), |c| c.parent())
                .take_while(|c| c.is_within(parent) && c != parent)
                .last()
            else {
                continue;
            };
            if first.kind() != IdKind::Resource {
                continue;
            }
            let Some(segment) = first
                .resource_type()
                .and_then(|t| t.type_segments().last().map(str::to_ascii_lowercase))
            else {
                continue;
            };
            let parent_type = self.inp.node_type(e.to);
            if !azrelo_arm::resource_graph::unindexed_child_types(parent_type)
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&segment))
            {
                continue;
            }
            let inline = self.inp.resource(e.to).is_some_and(|r| {
                r.properties.as_object().is_some_and(|p| {
                    p.iter()
                        .any(|(k, v)| k.eq_ignore_ascii_case(&segment) && v.is_array())
                })
            });
            // A child the inputs hold is a node of its own, not a detail.
            if inline || g.node(&first).is_some() {
                continue;
            }
            if !seen.insert(first.as_str().to_ascii_lowercase()) {
                continue;
            }
            let from = self.inp.node_id(e.from).as_str().to_owned();
            self.findings.push(Finding {
                severity: Severity::Warning,
                code: "child-not-in-inputs".into(),
                resource: Some(from),
                message: format!(
                    "references {first} (at {}), a child of the moved {parent} that the inputs do not contain (Resource Graph does not list {parent_type}/{segment}); the reference is re-pointed to the target {parent_type}, where nothing creates it",
                    e.path
                ),
                remediation: format!(
                    "Discover live (azrelo discover lists the child collections of each moved resource), or add the parent's child list to the inputs (az rest --method get --url '{parent}/{segment}?api-version=…'), or create the child in the target before apply."
                ),
            });
        }
    }

    pub(super) fn keep_external(&mut self, n: u32, t: u32, kind: EdgeKind, path: &str) {
        let from = self.inp.node_id(n).as_str().to_owned();
        let to = self.inp.node_id(t).as_str().to_owned();
        if kind.same_region() {
            self.findings.push(Finding {
                severity: Severity::Blocker,
                code: "same-region-dependency-kept".into(),
                resource: Some(from.clone()),
                message: format!(
                    "depends on {to} ({}, at {path}), which must be in the same region but is kept in the source by --dependencies keep",
                    kind.name()
                ),
                remediation: "Include it in the selection, or map it to an existing resource in the target region with --existing-target SOURCE=TARGET.".into(),
            });
        }
        self.external.push(ExternalReference {
            from,
            to,
            kind: kind.name().into(),
            path: path.to_string(),
            resolution: ExternalResolution::KeptInSource,
        });
    }

    pub(super) fn is_global_node(&self, n: u32) -> bool {
        let loc = self.inp.location(n);
        if loc.is_some_and(|l| l.eq_ignore_ascii_case("global")) {
            return true;
        }
        self.inp.recs[n as usize] != Rec::External
            && self.inp.lookup(n).strategy() == Strategy::Global
    }
}

impl Builder<'_, '_> {
    /// Whether `n` is owned (before decisions: by the graph) and its target
    /// is only known after its owner moved.
    pub(super) fn owned_scope_unknown(&self, n: u32) -> bool {
        self.inp.graph.is_owned(n) && self.owned_known(n).is_none()
    }
}
