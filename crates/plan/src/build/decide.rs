//! Pass 3: decisions — the catalog's strategy becomes an action per
//! resource; units (a resource plus what its template carries).

use azrelo_arm::id::IdKind;
use azrelo_catalog::Strategy;
use azrelo_graph::EdgeKind;

use super::*;

impl Builder<'_, '_> {
    /// Action, strategy and unit for every node of the move set.
    pub(super) fn decide(&mut self) {
        let target = &self.inp.target;
        let order = self.order.clone();
        for &n in &order {
            let lk = self.inp.lookup(n);
            let strategy = lk.strategy();
            let loc = self.inp.location(n);
            let in_target = loc.is_some_and(|l| *self.inp.canonical_region(l) == **target);
            let owned = self
                .inp
                .graph
                .ownership(n)
                .is_some_and(|o| o.relation.is_owned());
            let action = if self.inp.recs[n as usize] == Rec::Inline {
                Action::Move
            } else if in_target {
                Action::Keep
            } else if owned {
                // Its owner's move (or the service) recreates it.
                Action::Owned
            } else if strategy == Strategy::Global
                || loc.is_some_and(|l| l.eq_ignore_ascii_case("global"))
                // Subscription-, management-group- and tenant-scoped
                // resources (Defender plans and settings, subscription
                // policy, budgets) are not regional: re-configure them.
                || self.inp.node_id(n).resource_group().is_none()
            {
                Action::Reconfigure
            } else {
                match strategy {
                    Strategy::Recreate => Action::Recreate,
                    Strategy::Manual => Action::Manual,
                    _ => Action::Move,
                }
            };
            let slot = self.slots[n as usize].as_mut().expect("in move set");
            slot.action = action;
            slot.strategy = if action == Action::Reconfigure {
                Strategy::Global
            } else {
                strategy
            };
        }
        // A child cannot be created while its parent stays: a child of a
        // resource kept (already in the target) is kept; a child of a global
        // resource is re-configured in place. Parents first (shorter ids).
        let mut by_depth = order.clone();
        by_depth.sort_by_key(|&n| self.inp.node_id(n).as_str().len());
        for &n in &by_depth {
            let Some(parent) = self.parent_in_set(n) else {
                continue;
            };
            let parent_action = self.slots[parent as usize].as_ref().map(|s| s.action);
            let slot = self.slots[n as usize].as_mut().expect("in move set");
            match parent_action {
                Some(Action::Keep) if slot.action != Action::Keep => {
                    slot.action = Action::Keep;
                }
                Some(Action::Reconfigure) if slot.action.creates_target() => {
                    slot.action = Action::Reconfigure;
                    slot.strategy = Strategy::Global;
                }
                _ => {}
            }
        }
        // An extension (diagnostic setting, lock, exemption, …) on a resource
        // that is not recreated in the target stays where it is; its settings
        // are re-pointed in place. Its scope is the nearest resource at or
        // above the id it names that the estate knows, whatever the depth: a
        // diagnostic setting on `storageAccounts/x/blobServices/default`
        // follows the account when the inputs do not list the blob service
        // (the id map re-points it the same way).
        for &n in &order {
            let id = self.inp.node_id(n);
            if id.kind() != IdKind::Extension {
                continue;
            }
            let Some(scope) = id.scope() else { continue };
            if !matches!(scope.kind(), IdKind::Resource | IdKind::Extension) {
                continue;
            }
            let mut known = Some(scope);
            let scope_node = loop {
                let Some(s) = known else { break None };
                if !matches!(s.kind(), IdKind::Resource | IdKind::Extension) {
                    break None;
                }
                if let Some(node) = self.inp.graph.node(&s)
                    && self.slots[node as usize].is_some()
                {
                    break Some(node);
                }
                known = s.parent();
            };
            let scope_creates = scope_node
                .and_then(|s| self.slots[s as usize].as_ref())
                .is_some_and(|s| s.action.creates_target());
            let slot = self.slots[n as usize].as_mut().expect("in move set");
            if !scope_creates && slot.action.creates_target() {
                slot.action = Action::Reconfigure;
                slot.strategy = Strategy::Global;
            }
        }
        // Units: a carried node belongs to its nearest non-carried ancestor
        // in the move set.
        for &n in &order {
            let mut cur = n;
            let mut hops = 0;
            while self.carried(cur) && hops < 64 {
                match self.parent_in_set(cur) {
                    Some(p) => cur = p,
                    None => break,
                }
                hops += 1;
            }
            self.slots[n as usize].as_mut().expect("in set").unit = cur;
        }
    }

    pub(super) fn carried(&self, n: u32) -> bool {
        self.carried_at(n, 0)
    }

    /// Whether `n` travels in its parent's unit. A `with_parent` child that
    /// names a sibling (or anything else below its parent) deployed on its
    /// own does not: that sibling needs the parent first, so carrying the
    /// child with the parent would be a cycle the plan can only break by
    /// deferring the reference — a failover group listing its server's
    /// databases would be deployed before them (`InvalidResourceReference`).
    /// It becomes a unit of its own, after what it names. `depth` stops the
    /// recursion when two children name each other.
    fn carried_at(&self, n: u32, depth: u32) -> bool {
        // An owned resource is nobody's template content: nothing deploys it.
        if self.slots[n as usize]
            .as_ref()
            .is_some_and(|s| s.action == Action::Owned)
        {
            return false;
        }
        match self.inp.recs[n as usize] {
            Rec::Inline => true,
            Rec::Resource(_) => {
                self.inp.lookup(n).travels_with_parent()
                    && (depth > 0 || !self.names_a_separate_sibling(n, depth))
            }
            _ => false,
        }
    }

    /// Whether `n` references (`dependsOn`, an id in its properties) a
    /// resource of the move set below its own parent that is not carried.
    fn names_a_separate_sibling(&self, n: u32, depth: u32) -> bool {
        let Some(parent) = self.parent_in_set(n) else {
            return false;
        };
        let below_parent = |m: u32| {
            let mut cur = m;
            for _ in 0..64 {
                match self.parent_in_set(cur) {
                    Some(p) if p == parent => return true,
                    Some(p) => cur = p,
                    None => return false,
                }
            }
            false
        };
        self.inp
            .graph
            .outgoing(n)
            .filter(|e| matches!(e.kind, EdgeKind::DependsOn | EdgeKind::PropertyReference))
            .map(|e| e.to)
            .any(|m| {
                m != n
                    && self.slots[m as usize].is_some()
                    && below_parent(m)
                    && !self.carried_at(m, depth + 1)
            })
    }

    pub(super) fn parent_in_set(&self, n: u32) -> Option<u32> {
        let p = self
            .inp
            .graph
            .outgoing(n)
            .find(|e| e.kind == EdgeKind::Parent)
            .map(|e| e.to)?;
        if is_rg_type(self.inp.node_type(p)) {
            return None;
        }
        self.slots[p as usize].as_ref().map(|_| p)
    }
}
