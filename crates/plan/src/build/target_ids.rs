//! Pass 4: names and target ids — subscription and resource group
//! mapping, new names where the name rule demands them, child and extension
//! ids derived from their parent's or scope's target.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_catalog::{NameScope, Severity, SuffixRule, TargetHow};

use crate::options::NamingRule;

use super::*;

impl Builder<'_, '_> {
    pub(super) fn target_subscription(&mut self, sub: &str) -> String {
        if let Some(t) = self.sub_targets.get(sub) {
            return t.clone();
        }
        let opts = self.inp.opts;
        let t = opts
            .subscription_map
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(sub))
            .map(|(_, t)| t.clone())
            .or_else(|| opts.target_subscription.clone())
            .unwrap_or_else(|| sub.to_string());
        self.sub_targets.insert(sub.to_string(), t.clone());
        t
    }

    pub(super) fn target_rg(&mut self, rg: &str) -> String {
        // Resources arrive grouped by resource group: try the last one first.
        if let Some((src, t)) = &self.last_rg
            && src == rg
        {
            return t.clone();
        }
        let t = self.target_rg_slow(rg);
        self.last_rg = Some((rg.to_string(), t.clone()));
        t
    }

    pub(super) fn target_rg_slow(&mut self, rg: &str) -> String {
        let key = rg.to_ascii_lowercase();
        if let Some(t) = self.rg_targets.get(&key) {
            return t.clone();
        }
        let opts = self.inp.opts;
        let t = match opts
            .resource_group_map
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(rg))
        {
            Some((_, t)) => t.clone(),
            None => {
                let raw = opts
                    .resource_group_pattern
                    .replace("{rg}", rg)
                    .replace("{region}", &self.inp.target);
                let rule = self
                    .inp
                    .catalog
                    .entry(azrelo_arm::vocab::RESOURCE_GROUPS)
                    .name_rule();
                if rule.check(&raw).is_ok() {
                    raw
                } else {
                    rule.propose(&raw, SuffixRule::Keep)
                }
            }
        };
        self.rg_targets.insert(key, t.clone());
        t
    }

    /// Target names and ids.
    pub(super) fn target_ids(&mut self, clock: &Stage) {
        // Names first: global names must be unique among the source names
        // (the sources still exist) and the proposals.
        let mut taken: HashSet<(String, String)> = HashSet::new();
        for (i, r) in self.inp.estate.resources.iter().enumerate() {
            // Only names in a global namespace can collide across groups.
            let n = self.inp.res_node[i];
            let global = n != u32::MAX && self.inp.lookup(n).name_rule().scope == NameScope::Global;
            if global {
                taken.insert((
                    r.resource_type.to_ascii_lowercase(),
                    r.name.to_ascii_lowercase(),
                ));
            }
        }
        let mut next_k: HashMap<(String, String), u32> = HashMap::new();
        // Can any target resource group be its source group? Only then do
        // resource-group-scoped names need checking.
        let rg_may_stay = !self.inp.opts.resource_group_pattern.contains("{region}")
            || self
                .inp
                .opts
                .resource_group_map
                .iter()
                .any(|(s, t)| s.eq_ignore_ascii_case(t));
        let order = self.order.clone();
        let source_region_of = |b: &Self, n: u32| -> String {
            b.inp
                .location(n)
                .map(|l| b.inp.canonical_region(l).to_string())
                .unwrap_or_default()
        };
        for &n in &order {
            let slot = self.slots[n as usize].as_ref().expect("in set");
            // Unchanged names are not stored (`None`): most keep theirs.
            if !slot.action.creates_target() || self.inp.recs[n as usize] == Rec::Inline {
                continue;
            }
            let lk = self.inp.lookup(n);
            let rule = lk.name_rule();
            if !matches!(rule.scope, NameScope::Global | NameScope::ResourceGroup) {
                continue;
            }
            if rule.scope == NameScope::ResourceGroup && !rg_may_stay {
                continue;
            }
            let id = self.inp.node_id(n).clone();
            let name = id.name().unwrap_or_default().to_string();
            let same_rg = rule.scope == NameScope::ResourceGroup
                && id.resource_group().is_some_and(|rg| {
                    let src_sub = id.subscription_id().unwrap_or_default().to_string();
                    let t = self.target_rg(rg);
                    t.eq_ignore_ascii_case(rg) && self.target_subscription(&src_sub) == src_sub
                });
            let needs = match rule.scope {
                NameScope::Global => Some(
                    "the name is globally unique (a DNS name) and the source still exists during the move",
                ),
                NameScope::ResourceGroup if same_rg => Some(
                    "the target stays in the source resource group, where the source still holds the name",
                ),
                _ => None,
            };
            let Some(why) = needs else {
                continue;
            };
            let src_region = source_region_of(self, n);
            let target = self.inp.target.clone();
            let suffix = match &self.inp.opts.naming {
                NamingRule::Suffix(s) => SuffixRule::Append(s),
                NamingRule::ReplaceRegion { source, target: t } => SuffixRule::ReplaceRegion {
                    source: source.as_deref().unwrap_or(&src_region),
                    target: t.as_deref().unwrap_or(&target),
                },
            };
            let ty = self.inp.node_type(n).to_ascii_lowercase();
            let mut proposal = rule.propose(&name, suffix);
            if taken.contains(&(ty.clone(), proposal.to_ascii_lowercase())) {
                // Number the collisions; the counter per base keeps this linear.
                let base = proposal.clone();
                let k = next_k
                    .entry((ty.clone(), base.to_ascii_lowercase()))
                    .or_insert(2);
                while *k < 100_000 {
                    let candidate = rule.propose(&base, SuffixRule::Append(&k.to_string()));
                    *k += 1;
                    if !taken.contains(&(ty.clone(), candidate.to_ascii_lowercase())) {
                        proposal = candidate;
                        break;
                    }
                }
            }
            taken.insert((ty, proposal.to_ascii_lowercase()));
            if rule.scope == NameScope::Global {
                self.findings.push(Finding {
                    severity: Severity::Info,
                    code: "global-name".into(),
                    resource: Some(id.as_str().to_owned()),
                    message: format!(
                        "'{name}' is a globally unique name{}; the target is named '{proposal}'",
                        rule.dns_suffix
                            .as_deref()
                            .map(|s| format!(" ({name}{s})"))
                            .unwrap_or_default()
                    ),
                    remediation: "Update clients, DNS records and connection strings to the new name, or choose another with --name-suffix / --region-token.".into(),
                });
            }
            self.target_names[n as usize] = Some((proposal, Some(why.to_string())));
        }
        clock.done("names");
        // Ids, parents and scopes first (memoized recursion over the id).
        let mut memo: HashMap<ResourceId, Arc<str>> = HashMap::new();
        for &n in &order {
            let id = self.inp.node_id(n).clone();
            self.target_of_node(&id, Some(n), &mut memo, 0);
        }
        clock.done("target ids");
        // Unique target ids among created targets.
        // Keyed by a 64-bit hash of the lower-cased id (cheap to compute and
        // compare); equal hashes are confirmed on the ids themselves.
        let mut seen: HashMap<u64, u32> = HashMap::new();
        for &n in &order {
            let slot = self.slots[n as usize].as_ref().expect("in set");
            if !slot.action.creates_target() {
                continue;
            }
            let t = self.target_ids[n as usize].clone().expect("target id set");
            let mut key = ci_hash(&t);
            let mut clash = None;
            while let Some(&other) = seen.get(&key) {
                if self.target_ids[other as usize]
                    .as_ref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(&t))
                {
                    clash = Some(other);
                    break;
                }
                key = key.wrapping_add(1);
            }
            if let Some(other) = clash {
                self.findings.push(Finding {
                    severity: Severity::Blocker,
                    code: "target-id-collision".into(),
                    resource: Some(self.inp.node_id(n).as_str().to_owned()),
                    message: format!(
                        "would get the target id {t}, which {} also gets",
                        self.inp.node_id(other)
                    ),
                    remediation: "Map the source resource groups to different target groups with --resource-group-map SOURCE=TARGET.".into(),
                });
            } else {
                seen.insert(key, n);
            }
        }
    }

    /// The target id of any id (moved or not).
    pub(super) fn target_of(
        &mut self,
        id: &ResourceId,
        memo: &mut HashMap<ResourceId, Arc<str>>,
        depth: usize,
    ) -> Arc<str> {
        let node = self.inp.graph.node(id);
        self.target_of_node(id, node, memo, depth)
    }

    /// [`Builder::target_of`] when the node of `id` is already known. Target
    /// ids are built as strings from the source id's own text (no re-parse):
    /// the subscription and resource group segments are mapped, the last name
    /// is replaced when the resource is renamed, a child is appended to its
    /// parent's target and an extension to its scope's target.
    pub(super) fn target_of_node(
        &mut self,
        id: &ResourceId,
        node: Option<u32>,
        memo: &mut HashMap<ResourceId, Arc<str>>,
        depth: usize,
    ) -> Arc<str> {
        if let Some(n) = node {
            if let Some(t) = &self.target_ids[n as usize] {
                return t.clone();
            }
            if let Some(t) = self.existing.get(&n) {
                return Arc::from(t.as_str());
            }
        } else if let Some(t) = memo.get(id) {
            return t.clone();
        }
        let slot = node.and_then(|n| self.slots[n as usize].as_ref().map(|s| s.action));
        let same = || Arc::from(id.as_str());
        let t: Arc<str> = match (slot, id.kind()) {
            // Not in the move set: the id stays, unless an ancestor moves (an
            // implicit parent such as `…/fileServices/default` that no input
            // lists): then it hangs off the ancestor's target.
            (None, IdKind::Resource)
                if depth < 32 && id.resource_type().is_some_and(|t| t.depth() > 1) =>
            {
                match id.parent() {
                    Some(parent) => {
                        let tp = self.target_of(&parent, memo, depth + 1);
                        if tp.eq_ignore_ascii_case(parent.as_str()) {
                            same()
                        } else {
                            child_id(&tp, id, None)
                        }
                    }
                    None => same(),
                }
            }
            (None, _) => same(),
            (Some(Action::Owned), _) if depth < 32 => {
                self.owned_target(id, node.unwrap_or_default(), memo, depth)
            }
            (Some(action), _)
                if !action.creates_target()
                    && !is_rg_type(self.inp.node_type(node.unwrap_or(0))) =>
            {
                same()
            }
            (Some(_), IdKind::ResourceGroup) => Arc::from(self.target_group(
                id.subscription_id().unwrap_or_default(),
                id.resource_group().unwrap_or_default(),
            )),
            (Some(_), IdKind::Extension) if depth < 32 => {
                let name = self.name_for(node);
                match id.scope() {
                    Some(scope) => {
                        // An extension on a resource group follows the
                        // resources of that group to their target group, even
                        // when the inputs do not list the group itself.
                        let scope_planned = self
                            .inp
                            .graph
                            .node(&scope)
                            .is_some_and(|s| self.slots[s as usize].is_some());
                        let ts = if scope.kind() == IdKind::ResourceGroup && !scope_planned {
                            Arc::from(self.target_group(
                                scope.subscription_id().unwrap_or_default(),
                                scope.resource_group().unwrap_or_default(),
                            ))
                        } else {
                            self.target_of(&scope, memo, depth + 1)
                        };
                        let suffix = &id.as_str()[scope.as_str().len()..];
                        let mut s = format!("{}{}", ts.trim_end_matches('/'), suffix);
                        if let Some(nm) = name
                            && let Some(pos) = s.rfind('/')
                        {
                            s.truncate(pos + 1);
                            s.push_str(&nm);
                        }
                        Arc::from(s)
                    }
                    None => same(),
                }
            }
            (Some(_), IdKind::Resource) if depth < 32 => {
                let renamed = self.name_for(node);
                let is_child = id.resource_type().is_some_and(|t| t.depth() > 1);
                match (is_child, id.parent()) {
                    (true, Some(parent)) => {
                        let parent_planned = self
                            .inp
                            .graph
                            .node(&parent)
                            .is_some_and(|p| self.slots[p as usize].is_some());
                        // A moving child takes its parent along even when the
                        // inputs do not list the parent: same name, target group.
                        let tp = self.target_of(&parent, memo, depth + 1);
                        // An unlisted parent with no moving ancestor still
                        // goes to the target group with its name.
                        let tp = if !parent_planned && tp.eq_ignore_ascii_case(parent.as_str()) {
                            match self.relocated(&parent, None) {
                                Some(t) => Arc::from(t),
                                None => tp,
                            }
                        } else {
                            tp
                        };
                        child_id(&tp, id, renamed.as_deref())
                    }
                    _ => match self.relocated(id, renamed.as_deref()) {
                        Some(t) => Arc::from(t),
                        None => same(),
                    },
                }
            }
            _ => same(),
        };
        match node {
            Some(n) => self.target_ids[n as usize] = Some(t.clone()),
            None => {
                memo.insert(id.clone(), t.clone());
            }
        }
        t
    }

    /// The target of an owned resource when it is known before its owner
    /// moves: the same name under its moved parent or scope, or the
    /// documented naming convention rendered with the owner's target (an
    /// Azure Monitor workspace's `MA_` group, `NetworkWatcher_<region>`).
    /// Otherwise (read from the moved owner, or found in its new managed
    /// group) the source id stands in: nothing is created by azrelo.
    pub(super) fn owned_target(
        &mut self,
        id: &ResourceId,
        n: u32,
        memo: &mut HashMap<ResourceId, Arc<str>>,
        depth: usize,
    ) -> Arc<str> {
        let same = || Arc::from(id.as_str());
        match self.owned_known(n) {
            Some(TargetHow::SameName) => {
                let parent = match id.kind() {
                    IdKind::Extension => id.scope(),
                    _ => id.parent(),
                };
                let Some(parent) = parent else {
                    return same();
                };
                // A top-level resource (an App Service managed certificate):
                // the same name in its group's target.
                if parent.kind() == IdKind::ResourceGroup {
                    return self.relocated(id, None).map_or_else(same, Arc::from);
                }
                let tp = self.target_of(&parent, memo, depth + 1);
                if tp.eq_ignore_ascii_case(parent.as_str()) {
                    same()
                } else if id.kind() == IdKind::Extension {
                    let suffix = &id.as_str()[parent.as_str().len()..];
                    Arc::from(format!("{}{suffix}", tp.trim_end_matches('/')))
                } else {
                    child_id(&tp, id, None)
                }
            }
            Some(TargetHow::Pattern) => {
                let o = self.inp.graph.ownership(n).expect("owned");
                let rule = self
                    .inp
                    .catalog
                    .ownership_rule(&o.rule)
                    .expect("ownership rules come from this catalog");
                let pattern = rule.target.pattern.clone().unwrap_or_default();
                let owner_target = o.owner.map(|w| {
                    let wid = self.inp.node_id(w).clone();
                    let t = self.target_of(&wid, memo, depth + 1);
                    ResourceId::parse(&t).unwrap_or(wid)
                });
                let sub = match owner_target.as_ref().and_then(|t| t.subscription_id()) {
                    Some(s) => s.to_string(),
                    None => self.target_subscription(id.subscription_id().unwrap_or_default()),
                };
                let owner_name = owner_target
                    .as_ref()
                    .and_then(|t| t.name())
                    .unwrap_or_default()
                    .to_string();
                let owner_group = owner_target
                    .as_ref()
                    .and_then(|t| t.resource_group())
                    .unwrap_or_default()
                    .to_string();
                let owner_parent = owner_target
                    .as_ref()
                    .and_then(|t| t.parent())
                    .and_then(|p| p.name().map(str::to_string))
                    .unwrap_or_default();
                let name = pattern
                    .replace("{owner_parent}", &owner_parent)
                    .replace("{owner}", &owner_name)
                    .replace("{owner_group}", &owner_group)
                    .replace("{location}", &self.inp.target);
                if id.kind() == IdKind::ResourceGroup {
                    return Arc::from(format!("/subscriptions/{sub}/resourceGroups/{name}"));
                }
                // A child of its owner (an app's default host-name binding):
                // under the owner's target.
                if let (Some(ot), Some(w)) = (&owner_target, o.owner)
                    && id.parent().as_ref() == Some(self.inp.node_id(w))
                {
                    return child_id(ot.as_str(), id, Some(&name));
                }
                let group = match &rule.target.group {
                    Some(g) => g.clone(),
                    None if !owner_group.is_empty() => owner_group,
                    None => self.target_rg(id.resource_group().unwrap_or_default()),
                };
                let ty = id
                    .resource_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default();
                Arc::from(format!(
                    "/subscriptions/{sub}/resourceGroups/{group}/providers/{ty}/{name}"
                ))
            }
            _ => same(),
        }
    }

    /// How an owned node's target is known before its owner moves (`None`
    /// when it is not: read from the moved owner, or found in its new
    /// managed group).
    pub(super) fn owned_known(&self, n: u32) -> Option<TargetHow> {
        let o = self.inp.graph.ownership(n)?;
        if o.via_group.is_some() {
            return None;
        }
        let how = self.inp.catalog.ownership_rule(&o.rule)?.target.how;
        matches!(how, TargetHow::SameName | TargetHow::Pattern).then_some(how)
    }

    /// The id of the target resource group of a source group.
    pub(super) fn target_group(&mut self, sub: &str, rg: &str) -> String {
        let (ts, tr) = (self.target_subscription(sub), self.target_rg(rg));
        format!("/subscriptions/{ts}/resourceGroups/{tr}")
    }

    /// The id text in its target subscription and resource group, with the
    /// last name replaced when `renamed` (the text after the scope segments
    /// is kept as written).
    pub(super) fn relocated(&mut self, id: &ResourceId, renamed: Option<&str>) -> Option<String> {
        let raw = id.as_str();
        let (scope, tail_at) = match (id.subscription_id(), id.resource_group()) {
            (Some(sub), Some(rg)) => (self.target_group(sub, rg), nth_slash(raw, 5)),
            (Some(sub), None) => {
                let ts = self.target_subscription(sub);
                (format!("/subscriptions/{ts}"), nth_slash(raw, 3))
            }
            _ => (String::new(), Some(0)),
        };
        let tail = &raw[tail_at?..];
        let mut s = scope;
        match (renamed, tail.rfind('/')) {
            (Some(nm), Some(pos)) => {
                s.push_str(&tail[..=pos]);
                s.push_str(nm);
            }
            _ => s.push_str(tail),
        }
        Some(s)
    }

    pub(super) fn name_for(&self, node: Option<u32>) -> Option<String> {
        let n = node?;
        self.target_names[n as usize]
            .as_ref()
            .map(|(n, _)| n.clone())
    }
}
