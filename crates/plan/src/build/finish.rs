//! Pass 6: finish — per-resource steps, checklists, scenarios, findings,
//! phases, workloads and the summary, assembled into the plan.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use azrelo_arm::id::ResourceId;
use azrelo_catalog::{Resolution, RuleContext, Severity, TargetHow, Truth};

use crate::assess;
use crate::model::*;
use crate::waves;

use super::steps::{TypeCache, View, attach_steps, owned_steps, steps_for};
use super::summary::{summarize, workloads};
use super::*;

impl Builder<'_, '_> {
    /// Everything else, once waves are known.
    pub(super) fn finish(
        mut self,
        mut ras: Vec<RoleAssignmentPlan>,
        w: waves::Waves,
        clock: &Stage,
    ) -> Plan {
        let inp = self.inp;
        for (i, ra) in ras.iter_mut().enumerate() {
            ra.wave = w.ra_wave.get(&i).copied().unwrap_or(1);
        }
        // Resources in wave order, then by id.
        let mut nodes: Vec<u32> = self.order.clone();
        // Wave, then id (ASCII case-insensitive, like id equality); the
        // lower-cased key is computed once per node, so comparisons are plain
        // byte compares.
        nodes.sort_by_cached_key(|n| {
            (
                w.wave_of[*n as usize],
                inp.node_id(*n).as_str().to_ascii_lowercase(),
            )
        });
        let mut ctx_cache: Vec<(String, bool, RuleContext)> = Vec::new();
        let mut cross_sub: HashMap<String, bool> = HashMap::new();
        let mut tcache: HashMap<u32, TypeCache<'_>> = HashMap::new();
        let universal = inp.catalog.defaults().universal_template_fixes.len();
        let mut resources = Vec::with_capacity(nodes.len());
        let mut id_map = Vec::new();
        // Per checklist item: how many resources, and the first few ids.
        let mut checklist_map: HashMap<&str, (usize, Vec<String>)> = HashMap::new();
        let mut source_regions: Vec<String> = Vec::new();
        let mut seen_regions: HashSet<String> = HashSet::new();
        let mut uncatalogued: HashSet<String> = HashSet::new();
        for &n in &nodes {
            let slot = self.slots[n as usize].clone().expect("in set");
            let id = inp.node_id(n);
            let lk = inp.lookup(n);
            let entry = lk.entry();
            let source_id = id.clone();
            let target_id = match &self.target_ids[n as usize] {
                None => id.clone(),
                Some(t) => match ResourceId::parse(t) {
                    Ok(t) => t,
                    Err(e) => {
                        // Names are checked against their rules, so this is
                        // not expected; the resource is blocked, not guessed.
                        self.findings.push(Finding {
                            severity: Severity::Blocker,
                            code: "invalid-target-id".into(),
                            resource: Some(id.to_string()),
                            message: format!("the target id {t} is not a valid resource id: {e}"),
                            remediation: "Choose another target name or resource group (--name-suffix, --resource-group-map); please report this with the inputs.".into(),
                        });
                        id.clone()
                    }
                },
            };
            let name: Arc<str> = Arc::from(id.name().unwrap_or_default());
            let (target_name, rename_reason) = match &self.target_names[n as usize] {
                Some((t, why)) => (Arc::from(t.as_str()), why.clone()),
                None if is_rg_type(inp.node_type(n)) && slot.action.creates_target() => {
                    // A resource group's target name comes from the mapping.
                    let t = ResourceId::parse(target_id.as_str())
                        .ok()
                        .and_then(|t| t.resource_group().map(Arc::<str>::from))
                        .unwrap_or_else(|| name.clone());
                    let why = (*t != *name).then(|| {
                        "resource groups are mapped (--resource-group-map / --resource-group-pattern)"
                            .to_string()
                    });
                    (t, why)
                }
                None => (name.clone(), None),
            };
            // Owned resources whose target is known are mapped too, so
            // references to them (a flow log on NetworkWatcher_<region>, a
            // diagnostic setting on master) follow.
            if slot.action.creates_target()
                || (slot.action == Action::Owned && target_id != source_id)
            {
                id_map.push(IdMapping {
                    source: source_id.clone(),
                    target: target_id.clone(),
                });
            }
            let ownership = self.planned_ownership(n, &target_id, &source_id);
            if inp.recs[n as usize] == Rec::Inline {
                // Inline sub-resources only contribute to the id map.
                continue;
            }
            let loc = inp.location(n);
            if let Some(l) = loc
                && slot.action.creates_target()
            {
                let canon = inp.canonical_region(l);
                if !canon.is_empty() && &*canon != "global" && !seen_regions.contains(&*canon) {
                    seen_regions.insert(canon.to_string());
                    source_regions.push(canon.to_string());
                }
            }
            let carried_by = (slot.unit != n).then(|| inp.node_id(slot.unit).clone());
            // Per-type facts, computed once per distinct type.
            let tc = tcache
                .entry(inp.node_lookup[n as usize])
                .or_insert_with(|| {
                    let checklist: Vec<_> = lk
                        .checklist()
                        .into_iter()
                        .map(|c| (c, Arc::from(c.item.id.as_str())))
                        .collect();
                    let fixes: Vec<_> = lk
                        .template_fixes()
                        .into_iter()
                        .skip(universal)
                        .map(|f| {
                            let label =
                                f.id.clone()
                                    .unwrap_or_else(|| format!("{} {}", f.action.as_str(), f.path));
                            (f, Arc::from(label))
                        })
                        .collect();
                    let needs_view = !lk.rules().is_empty()
                        || !lk.upgrades().is_empty()
                        || checklist.iter().any(|(c, _)| c.when.is_some())
                        || fixes.iter().any(|(f, _)| f.when.is_some())
                        || lk.data_mover_is_conditional();
                    TypeCache {
                        checklist,
                        fixes,
                        needs_view,
                        steps: HashMap::new(),
                        service: lk.service().map(|s| Arc::from(s.id.as_str())),
                        data_mover: lk.data_mover().map(|m| Arc::from(m.id.as_str())),
                        empty_steps: Arc::from(Vec::new()),
                    }
                });
            // Condition context and resource view (only when a condition needs it).
            let needs_view = tc.needs_view;
            let view = if needs_view {
                Some(View::new(inp, n))
            } else {
                None
            };
            let ctx: Option<&RuleContext> = if needs_view {
                let src = loc.unwrap_or_default();
                let sub = id.subscription_id().unwrap_or_default();
                let cross = match cross_sub.get(sub) {
                    Some(c) => *c,
                    None => {
                        let c = self.target_subscription(sub) != sub;
                        cross_sub.insert(sub.to_string(), c);
                        c
                    }
                };
                // A handful of (location, cross-subscription) pairs: a short list.
                let i = match ctx_cache
                    .iter()
                    .position(|(l, c, _)| l == src && *c == cross)
                {
                    Some(i) => i,
                    None => {
                        let mut ctx = RuleContext::for_regions(src, &inp.target);
                        ctx.cross_subscription = Some(cross);
                        ctx_cache.push((src.to_string(), cross, ctx));
                        ctx_cache.len() - 1
                    }
                };
                Some(&ctx_cache[i].2)
            } else {
                None
            };
            let eval = |c: &azrelo_catalog::Condition| -> Truth {
                match (&view, ctx) {
                    (Some(v), Some(ctx)) => c.evaluate_view(v, ctx),
                    _ => Truth::Unknown,
                }
            };
            // The data mover of this resource: the type's default, or the
            // catalog's conditional one for this move (`data_mover_when`).
            let mover = if lk.data_mover_is_conditional() {
                lk.data_mover_for(eval)
            } else {
                lk.data_mover()
            };
            let data_mover = match (mover, &tc.data_mover) {
                (Some(m), Some(d)) if m.id == **d => Some(d.clone()),
                (m, _) => m.map(|m| Arc::from(m.id.as_str())),
            };
            // Checklist (not for carried children: their unit root's list covers them).
            let mut checklist = Vec::new();
            // An owned resource's checklist and rules are its owner's.
            let covered_by_owner = matches!(slot.action, Action::Keep | Action::Owned);
            if carried_by.is_none() && !covered_by_owner {
                for (item, label) in &tc.checklist {
                    let applies = item.when.is_none_or(|c| eval(c) != Truth::False);
                    if applies {
                        checklist.push(label.clone());
                        let e = checklist_map.entry(item.item.id.as_str()).or_default();
                        e.0 += 1;
                        if e.1.len() < MAX_LISTED {
                            e.1.push(id.as_str().to_owned());
                        }
                    }
                }
            }
            let template_fixes: Vec<Arc<str>> = if slot.action.creates_target() {
                tc.fixes
                    .iter()
                    .filter(|(f, _)| f.when.as_ref().is_none_or(|c| eval(c) != Truth::False))
                    .map(|(_, label)| label.clone())
                    .collect()
            } else {
                Vec::new()
            };
            // Rules → findings.
            if !covered_by_owner {
                for rule in lk.rules() {
                    match eval(&rule.when) {
                        Truth::True => self.findings.push(Finding {
                            severity: rule.severity,
                            code: rule.id.clone(),
                            resource: Some(id.as_str().to_owned()),
                            message: rule.message.clone(),
                            remediation: rule.remediation.clone(),
                        }),
                        Truth::Unknown if rule.severity == Severity::Blocker => {
                            self.findings.push(Finding {
                                severity: Severity::Warning,
                                code: rule.id.clone(),
                                resource: Some(id.as_str().to_owned()),
                                message: format!(
                                    "could not be checked offline (a value is unknown): {}",
                                    rule.message
                                ),
                                remediation: rule.remediation.clone(),
                            })
                        }
                        _ => {}
                    }
                }
            }
            // Retired SKUs/features relocated as their successor.
            let mut upgrades = Vec::new();
            if !covered_by_owner {
                for up in lk.upgrades() {
                    match eval(&up.when) {
                        Truth::True => {
                            let referrers = |id: &str, types: &[String]| -> Vec<String> {
                                let g = inp.graph;
                                let Some(m) = ResourceId::parse(id).ok().and_then(|r| g.node(&r))
                                else {
                                    return Vec::new();
                                };
                                g.incoming(m)
                                    .filter(|e| e.kind.is_dependency())
                                    .map(|e| &g.nodes[e.from as usize])
                                    .filter(|n| {
                                        types.iter().any(|t| t.eq_ignore_ascii_case(&n.resource_type))
                                    })
                                    .map(|n| n.id.as_str().to_string())
                                    .collect()
                            };
                            let resolved = view
                                .as_ref()
                                .map(|v| super::upgrades::resolve(up, v, &referrers))
                                .unwrap_or_else(|| Err("the source body is unknown".into()));
                            match resolved {
                                Ok(p) => {
                                    self.findings
                                        .push(super::upgrades::finding(up, id.as_str(), None));
                                    if slot.action.creates_target() {
                                        upgrades.push(p);
                                    }
                                }
                                Err(why) => self.findings.push(super::upgrades::finding(
                                    up,
                                    id.as_str(),
                                    Some(&why),
                                )),
                            }
                        }
                        Truth::Unknown => self.findings.push(Finding {
                            severity: Severity::Warning,
                            code: up.id.clone(),
                            resource: Some(id.as_str().to_owned()),
                            message: format!(
                                "could not be checked offline (a value is unknown): {} If it applies, the target cannot be created as the source is.",
                                up.message
                            ),
                            remediation: up.remediation.clone(),
                        }),
                        Truth::False => {}
                    }
                }
            }
            // What a person still does after the move of something azrelo
            // never deploys (catalog ownership rule `after_move`).
            if slot.action == Action::Owned
                && let Some(o) = &ownership
                && let Some(rule) = inp.catalog.ownership_rule(&o.rule)
                && let Some(after) = &rule.after_move
            {
                self.findings.push(Finding {
                    severity: Severity::Warning,
                    code: rule.id.clone(),
                    resource: Some(id.as_str().to_owned()),
                    message: format!(
                        "{}: not deployed by azrelo ({})",
                        rule.title,
                        self.owned_detail(o)
                    ),
                    remediation: after.clone(),
                });
            }
            if lk.is_default() && uncatalogued.insert(inp.node_type(n).to_ascii_lowercase()) {
                self.findings.push(Finding {
                    severity: Severity::Warning,
                    code: "catalog-default".into(),
                    resource: Some(id.as_str().to_owned()),
                    message: format!(
                        "{} is not in the relocation catalog; the conservative default applies (manual relocation, flagged for review)",
                        inp.node_type(n)
                    ),
                    remediation: "Decide how this type relocates (redeploy, data copy, recreate) and record it in a catalog override (--catalog DIR).".into(),
                });
            }
            let steps = if carried_by.is_some() {
                tc.empty_steps.clone()
            } else {
                let typed = tc
                    .steps
                    .entry((slot.action, slot.strategy, data_mover.clone()))
                    .or_insert_with(|| Arc::from(steps_for(slot.action, slot.strategy, lk, mover)))
                    .clone();
                match &ownership {
                    Some(o) if slot.action == Action::Owned => {
                        Arc::from(owned_steps(o.relation, &self.owned_detail(o)))
                    }
                    Some(o) if o.relation == Relation::AttachAfterOwner => {
                        Arc::from(attach_steps(&typed, &self.owned_detail(o)))
                    }
                    _ => typed,
                }
            };
            resources.push(PlannedResource {
                source_id,
                resource_type: inp.graph.nodes[n as usize].resource_type.clone(),
                name,
                location: inp.graph.nodes[n as usize].location.clone(),
                action: slot.action,
                strategy: slot.strategy,
                target_id,
                target_name,
                rename_reason,
                wave: w.wave_of[n as usize],
                carried_by,
                reason: slot.reason.clone(),
                service: tc.service.clone(),
                catalog_match: match lk.resolution() {
                    Resolution::Exact => CatalogMatch::Exact,
                    Resolution::Extension { .. } => CatalogMatch::Extension,
                    Resolution::Inherited { .. } => CatalogMatch::Inherited,
                    Resolution::Default => CatalogMatch::Default,
                },
                phase: entry.phase,
                downtime: entry.downtime,
                resource_mover: entry.resource_mover,
                data_mover,
                steps,
                checklist,
                template_fixes,
                upgrades,
                ownership,
            });
        }
        clock.done("per-resource plans");
        // Assessment findings that look at the move set as a whole.
        assess::assess(&mut self, &resources);
        clock.done("assessment");
        // Checklist entries in catalog order.
        let mut checklist = Vec::new();
        for item in inp.catalog.checklist_items() {
            if let Some((count, res)) = checklist_map.remove(item.id.as_str()) {
                checklist.push(ChecklistEntry {
                    id: item.id.clone(),
                    title: item.title.clone(),
                    instruction: item.instruction.clone(),
                    automation: item.automation,
                    count,
                    resources: res,
                });
            }
        }
        // Procedures: scenarios, the run's actions and its gates.
        let (scenarios, actions, gates) = {
            let ctx = crate::procedures::Ctx::new(
                inp.estate,
                inp.catalog,
                inp.opts,
                &inp.target,
                &resources,
                &ras,
                &id_map,
            );
            let actions = crate::procedures::actions(&ctx);
            let mut scenarios = crate::procedures::scenarios(&ctx, &actions);
            let gates = crate::gates::derive(&ctx, &mut scenarios, &actions);
            (scenarios, actions, gates)
        };
        clock.done("checklist, scenarios, actions and gates");
        let workloads = workloads(&resources);
        let mut findings = std::mem::take(&mut self.findings);
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.code.cmp(&b.code))
                .then_with(|| a.resource.cmp(&b.resource))
        });
        findings.dedup();
        let mut external = std::mem::take(&mut self.external);
        external.sort_by(|a, b| (&a.from, &a.to, &a.path).cmp(&(&b.from, &b.to, &b.path)));
        external.dedup_by(|a, b| a.from == b.from && a.to == b.to && a.path == b.path);
        let mut waves = waves::wave_list(&w, &resources, &ras);
        for wv in &mut waves {
            wv.manual_gates = gates.iter().filter(|g| g.wave == wv.number).count();
        }
        let phases = crate::phases::phases(
            &resources,
            &waves,
            &ras,
            &checklist,
            &scenarios,
            &findings,
            &w,
            external.len(),
        );
        clock.done("findings, waves and phases");
        let summary = summarize(
            &resources,
            &ras,
            &waves,
            &findings,
            &gates,
            &w,
            &external,
            uncatalogued.len(),
        );
        let mut rg_map: Vec<Mapping> = Vec::new();
        let mut sub_map: Vec<Mapping> = self
            .sub_targets
            .iter()
            .map(|(s, t)| Mapping {
                source: s.clone(),
                target: t.clone(),
            })
            .collect();
        sub_map.sort_by(|a, b| a.source.cmp(&b.source));
        for r in &resources {
            if is_rg_type(&r.resource_type) && r.action.creates_target() {
                rg_map.push(Mapping {
                    source: r.source_id.to_string(),
                    target: r.target_id.to_string(),
                });
            }
        }
        rg_map.sort_by(|a, b| a.source.cmp(&b.source));
        Plan {
            schema: SCHEMA.into(),
            generator: format!("azrelo {}", env!("CARGO_PKG_VERSION")),
            target: Target {
                region: inp.target.clone(),
                display_name: inp.regions.get(&inp.target).map(|r| r.display_name.clone()),
                subscriptions: sub_map,
                resource_groups: rg_map,
                dependency_policy: inp.opts.dependency_policy,
            },
            source_regions,
            availability_snapshot: inp.availability.snapshot().to_string(),
            summary,
            phases,
            waves,
            resources,
            id_map,
            role_assignments: ras,
            deferred_references: w.deferred.clone(),
            external_references: external,
            workloads,
            checklist,
            scenarios,
            actions,
            gates,
            findings,
        }
    }
}

impl Builder<'_, '_> {
    /// The planned ownership of a node the graph found owned or attaching.
    fn planned_ownership(
        &mut self,
        n: u32,
        target: &ResourceId,
        source: &ResourceId,
    ) -> Option<PlannedOwnership> {
        let inp = self.inp;
        let o = inp.graph.ownership(n)?;
        let owner = o.owner.map(|w| inp.node_id(w).clone());
        let owner_target = o.owner.and_then(|w| {
            self.target_ids[w as usize]
                .as_ref()
                .and_then(|t| ResourceId::parse(t).ok())
        });
        let rule = inp.catalog.ownership_rule(&o.rule);
        let target_plan = if o.relation == Relation::AttachAfterOwner {
            OwnedTargetPlan::Planned
        } else if let Some(g) = o.via_group {
            OwnedTargetPlan::InOwnedGroup {
                group: inp.node_id(g).clone(),
            }
        } else if target != source {
            OwnedTargetPlan::Known
        } else {
            match rule.map(|r| &r.target) {
                Some(t) if t.how == TargetHow::Read => OwnedTargetPlan::FromOwner {
                    path: t.path.clone().unwrap_or_default(),
                    names: t.names.unwrap_or(Names::Id),
                },
                // Its parent or owner is not in the move set: only the
                // source is known.
                _ => OwnedTargetPlan::Known,
            }
        };
        Some(PlannedOwnership {
            owner,
            owner_target,
            relation: o.relation,
            rule: o.rule.clone(),
            service: o.service.clone(),
            via_group: o.via_group.map(|g| inp.node_id(g).clone()),
            target: target_plan,
        })
    }

    /// The step detail naming who creates, installs or attaches it.
    fn owned_detail(&self, o: &PlannedOwnership) -> String {
        let owner = o
            .owner
            .as_ref()
            .map(|w| {
                format!(
                    "{} ({})",
                    w.name().unwrap_or_default(),
                    w.type_or_scope_type().as_str()
                )
            })
            .unwrap_or_else(|| o.service.to_string());
        match o.relation {
            Relation::CreatedByOwner => format!("owned by {owner}: created when it moves"),
            Relation::InstalledByService => {
                format!("installed by {} ({owner}) on the moved resource", o.service)
            }
            Relation::AttachAfterOwner => format!("attaches to {owner} after it moved"),
        }
    }
}
