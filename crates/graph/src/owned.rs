//! Ownership: applying the catalog's ownership rules (`ownership.toml`) to
//! an estate whose nodes and edges are built.
//!
//! For every rule (in file order) and every candidate of its owned type
//! (for resource-group rules also groups only named by their resources'
//! ids), the rule's `when` is evaluated and its matches are tried in order;
//! the first that finds an owner (or the service fallback) decides. The
//! first rule that claims a node wins. Owned resource groups then hand
//! their owner to everything inside them. Finally one pass over the edges
//! turns a rule's evidence edge into the ownership edge (the NIC's
//! `privateEndpoint.id`, the registration's `virtualMachineResourceId`),
//! adds the others, and marks the references an owner manages
//! (`owner_managed`).
//!
//! Linear in the estate: owner-side indexes are built once per rule from
//! the resources of the owner type; candidates are looked up in them.

use std::collections::{HashMap, HashSet};

use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_catalog::{
    Names, OwnerMatch, OwnershipRule, Relation, RuleContext, Truth, condition::Condition,
};
use azrelo_estate::{Estate, Resource};
use serde_json::Value;

use crate::build::Builder;
use crate::{EdgeKind, Evidence, Ownership};

const RESOURCE_GROUPS: &str = "microsoft.resources/resourcegroups";

/// A candidate for a rule: a resource record, or a resource group that only
/// appears in its resources' ids.
struct Cand<'e> {
    id: &'e ResourceId,
    res: Option<&'e Resource>,
}

/// What a match found.
struct Hit {
    owner: Option<ResourceId>,
    path: String,
    matched: String,
    owner_path: Option<String>,
}

/// Owner-side indexes of one rule.
#[derive(Default)]
struct RuleIndex {
    /// owner_property: the named id → (owner id, path in the owner, value).
    named: Vec<HashMap<ResourceId, (ResourceId, String, String)>>,
    /// name: `sub|group|name` (lower-case) → owner; prefixes for `{*}`.
    names: Vec<(HashMap<String, ResourceId>, HashMap<String, ResourceId>)>,
    /// extension_on_parent: scope → owner.
    extensions: HashMap<ResourceId, ResourceId>,
}

/// A JSON pointer's values with their JSON paths (`$.properties.x[0].id`);
/// `*` matches every element or member, names compare case-insensitively.
pub(crate) fn select_paths<'v>(
    root: &'v Value,
    base: &str,
    pointer: &str,
) -> Vec<(String, &'v Value)> {
    let mut cur: Vec<(String, &Value)> = vec![(base.to_string(), root)];
    for seg in pointer.split('/').skip(1) {
        let seg: std::borrow::Cow<'_, str> = if seg.contains('~') {
            seg.replace("~1", "/").replace("~0", "~").into()
        } else {
            seg.into()
        };
        let mut next = Vec::new();
        for (p, v) in cur {
            match v {
                Value::Array(a) if seg == "*" => {
                    next.extend(a.iter().enumerate().map(|(i, x)| (format!("{p}[{i}]"), x)))
                }
                Value::Object(m) if seg == "*" => {
                    next.extend(m.iter().map(|(k, x)| (key_path(&p, k), x)))
                }
                Value::Array(a) => {
                    if let Some(x) = seg.parse::<usize>().ok().and_then(|i| a.get(i)) {
                        next.push((format!("{p}[{seg}]"), x));
                    }
                }
                Value::Object(m) => {
                    if let Some((k, x)) = m
                        .get_key_value(&*seg)
                        .or_else(|| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(&seg)))
                    {
                        next.push((key_path(&p, k), x));
                    }
                }
                _ => {}
            }
        }
        cur = next;
    }
    cur
}

fn key_path(base: &str, k: &str) -> String {
    if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("{base}.{k}")
    } else {
        format!("{base}['{k}']")
    }
}

/// A candidate as conditions see it, in ARM GET shape (`name` is the last
/// name segment), without copying the record: the few scalar members are
/// made once, on first use.
struct View<'c, 'e> {
    c: &'c Cand<'e>,
    cells: [std::cell::OnceCell<Value>; 5],
}

impl<'c, 'e> View<'c, 'e> {
    fn new(c: &'c Cand<'e>) -> Self {
        View {
            c,
            cells: Default::default(),
        }
    }

    fn cell(&self, i: usize, f: impl FnOnce() -> Option<Value>) -> Option<&Value> {
        let v = self.cells[i].get_or_init(|| f().unwrap_or(Value::Null));
        (!v.is_null()).then_some(v)
    }

    /// Values at a JSON pointer, with their JSON paths.
    fn select(&self, pointer: &str) -> Vec<(String, &Value)> {
        let mut segs = pointer.splitn(3, '/').skip(1);
        let Some(first) = segs.next() else {
            return Vec::new();
        };
        let Some(v) = azrelo_catalog::ResourceView::member(self, first) else {
            return Vec::new();
        };
        let base = key_path("$", first);
        match segs.next() {
            None => vec![(base, v)],
            Some(rest) => select_paths(v, &base, &format!("/{rest}")),
        }
    }
}

impl azrelo_catalog::ResourceView for View<'_, '_> {
    fn member(&self, name: &str) -> Option<&Value> {
        let is = |k: &str| name.eq_ignore_ascii_case(k);
        let r = self.c.res;
        if is("properties") {
            r.map(|r| &r.properties).filter(|p| !p.is_null())
        } else if is("sku") {
            r.and_then(|r| r.sku.as_ref())
        } else if is("id") {
            self.cell(0, || Some(Value::String(self.c.id.to_string())))
        } else if is("name") {
            self.cell(1, || {
                Some(Value::String(
                    self.c.id.name().unwrap_or_default().to_string(),
                ))
            })
        } else if is("type") {
            self.cell(2, || {
                Some(Value::String(
                    self.c.id.type_or_scope_type().as_str().to_string(),
                ))
            })
        } else if is("kind") {
            self.cell(3, || r.and_then(|r| r.kind.clone()).map(Value::String))
        } else if is("managedBy") {
            self.cell(4, || {
                r.and_then(|r| r.managed_by.clone()).map(Value::String)
            })
        } else {
            None
        }
    }
}

fn is_type(id: &ResourceId, t: Option<&str>) -> bool {
    t.is_some_and(|t| id.type_or_scope_type().as_str().eq_ignore_ascii_case(t))
}

/// Render a name pattern for an owner (`{*}` and what follows dropped).
fn render(
    pattern: &str,
    owner: &str,
    owner_parent: &str,
    owner_group: &str,
    location: &str,
) -> (String, bool) {
    let (head, star) = match pattern.strip_suffix("{*}") {
        Some(h) => (h, true),
        None => (pattern, false),
    };
    (
        head.replace("{owner_parent}", owner_parent)
            .replace("{owner}", owner)
            .replace("{owner_group}", owner_group)
            .replace("{location}", location)
            .to_ascii_lowercase(),
        star,
    )
}

fn location_key(l: Option<&str>) -> String {
    l.map(|l| azrelo_arm::region::normalize(l).to_string())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn group_key(group: &str, cand_group: Option<&str>) -> Option<String> {
    match group {
        "any" => Some("*".into()),
        "owner" => cand_group.map(str::to_ascii_lowercase),
        literal => Some(literal.to_ascii_lowercase()),
    }
}

impl RuleIndex {
    fn build(rule: &OwnershipRule, owners: &[&Resource]) -> RuleIndex {
        let mut idx = RuleIndex::default();
        for m in &rule.matches {
            match m {
                OwnerMatch::OwnerProperty(op) => {
                    let mut map = HashMap::new();
                    for o in owners {
                        for (path, v) in select_paths(
                            &o.properties,
                            "$.properties",
                            op.path.strip_prefix("/properties").unwrap_or(""),
                        ) {
                            if !op.path.starts_with("/properties") {
                                continue;
                            }
                            let Some(s) = v.as_str().filter(|s| !s.is_empty()) else {
                                continue;
                            };
                            let named = match op.names {
                                Names::ResourceGroup => match ResourceId::parse(s) {
                                    Ok(id) => id.resource_group_id(),
                                    Err(_) => o.id.subscription_id().and_then(|sub| {
                                        ResourceId::parse(&format!(
                                            "/subscriptions/{sub}/resourceGroups/{s}"
                                        ))
                                        .ok()
                                    }),
                                },
                                Names::Id | Names::Parent => ResourceId::parse(s).ok(),
                            };
                            if let Some(named) = named {
                                map.entry(named)
                                    .or_insert((o.id.clone(), path, s.to_string()));
                            }
                        }
                    }
                    idx.named.push(map);
                }
                OwnerMatch::Name(nm) => {
                    let (mut exact, mut prefix) = (HashMap::new(), HashMap::new());
                    if rule.owner_type.is_some() {
                        for o in owners {
                            let (Some(sub), Some(group)) =
                                (o.id.subscription_id(), o.id.resource_group())
                            else {
                                continue;
                            };
                            let parent = o.id.parent();
                            let (name, star) = render(
                                &nm.pattern,
                                o.id.name().unwrap_or_default(),
                                parent.as_ref().and_then(|p| p.name()).unwrap_or_default(),
                                group,
                                &location_key(o.location.as_deref()),
                            );
                            let Some(g) = group_key(&nm.group, Some(group)) else {
                                continue;
                            };
                            let key = format!("{}|{g}|{name}", sub.to_ascii_lowercase());
                            let map = if star { &mut prefix } else { &mut exact };
                            map.entry(key).or_insert_with(|| o.id.clone());
                        }
                    }
                    idx.names.push((exact, prefix));
                }
                OwnerMatch::ExtensionOnParent(_) => {
                    for o in owners {
                        if o.id.kind() == IdKind::Extension
                            && let Some(scope) = o.id.scope()
                        {
                            idx.extensions.entry(scope).or_insert_with(|| o.id.clone());
                        }
                    }
                }
                _ => {}
            }
        }
        idx
    }
}

/// Try a rule's matches on a candidate, in order.
fn find_owner(
    rule: &OwnershipRule,
    idx: &RuleIndex,
    c: &Cand<'_>,
    view: &View<'_, '_>,
    exists: &dyn Fn(&ResourceId) -> bool,
    accept: &dyn Fn(&ResourceId) -> bool,
) -> Option<Hit> {
    let owner_type = rule.owner_type.as_deref();
    let evidence = |view: &View<'_, '_>| -> (String, String) {
        let Some(ptr) = rule.evidence.as_deref() else {
            return ("$.id".into(), c.id.name().unwrap_or_default().to_string());
        };
        view.select(ptr)
            .into_iter()
            .find_map(|(p, x)| x.as_str().map(|s| (p, s.to_string())))
            .unwrap_or_else(|| ("$.id".into(), c.id.name().unwrap_or_default().to_string()))
    };
    let (mut owner_props, mut names) = (idx.named.iter(), idx.names.iter());
    for m in &rule.matches {
        let hit = match m {
            OwnerMatch::ManagedBy(_) => c
                .res
                .and_then(|r| r.managed_by.as_deref())
                .and_then(|mb| Some((mb, ResourceId::parse(mb).ok()?)))
                .filter(|(_, id)| is_type(id, owner_type))
                .map(|(mb, id)| Hit {
                    owner: Some(id),
                    path: "$.managedBy".into(),
                    matched: mb.to_string(),
                    owner_path: None,
                }),
            OwnerMatch::OwnedProperty(ptr) => c.res.and_then(|r| {
                let rest = ptr.strip_prefix("/properties")?;
                select_paths(&r.properties, "$.properties", rest)
                    .into_iter()
                    .find_map(|(p, v)| {
                        let s = v.as_str()?;
                        let id = ResourceId::parse(s)
                            .ok()
                            .filter(|id| is_type(id, owner_type))?;
                        Some(Hit {
                            owner: Some(id),
                            path: p,
                            matched: s.to_string(),
                            owner_path: None,
                        })
                    })
            }),
            OwnerMatch::OwnerProperty(op) => {
                let map = owner_props.next()?;
                let key = match op.names {
                    Names::Parent => c.id.parent(),
                    Names::Id | Names::ResourceGroup => Some(c.id.clone()),
                };
                key.and_then(|k| map.get(&k))
                    .map(|(owner, path, value)| Hit {
                        owner: Some(owner.clone()),
                        path: "$.id".into(),
                        matched: value.clone(),
                        owner_path: Some(path.clone()),
                    })
            }
            OwnerMatch::Name(nm) => {
                let (exact, prefix) = names.next()?;
                let name = c.id.name().unwrap_or_default();
                let lname = name.to_ascii_lowercase();
                let found = if owner_type.is_none() {
                    // A service-created resource with a conventional name.
                    let (want, star) = render(
                        &nm.pattern,
                        "",
                        "",
                        "",
                        &location_key(c.res.and_then(|r| r.location.as_deref())),
                    );
                    let in_group = match nm.group.as_str() {
                        "any" | "owner" => true,
                        g => {
                            c.id.resource_group()
                                .is_some_and(|rg| rg.eq_ignore_ascii_case(g))
                        }
                    };
                    let fits = if star {
                        lname.starts_with(&want)
                    } else {
                        lname == want
                    };
                    (in_group && fits).then_some(None)
                } else {
                    let sub =
                        c.id.subscription_id()
                            .unwrap_or_default()
                            .to_ascii_lowercase();
                    group_key(&nm.group, c.id.resource_group()).and_then(|g| {
                        let base = format!("{sub}|{g}|");
                        if let Some(o) = exact.get(&format!("{base}{lname}")) {
                            return Some(Some(o.clone()));
                        }
                        // `{owner}.nic.{*}`: every prefix ending at the
                        // separator before `{*}`.
                        let sep = nm.pattern.strip_suffix("{*}")?.chars().last()?;
                        lname
                            .match_indices(sep)
                            .find_map(|(i, _)| prefix.get(&format!("{base}{}", &lname[..=i])))
                            .map(|o| Some(o.clone()))
                    })
                };
                found.map(|owner| Hit {
                    owner,
                    path: "$.name".into(),
                    matched: name.to_string(),
                    owner_path: None,
                })
            }
            OwnerMatch::Parent(_) => c.id.parent().filter(|p| is_type(p, owner_type)).map(|p| {
                let (path, matched) = evidence(view);
                Hit {
                    owner: Some(p),
                    path,
                    matched,
                    owner_path: None,
                }
            }),
            OwnerMatch::ExtensionOnParent(_) => {
                c.id.parent().and_then(|p| idx.extensions.get(&p)).map(|o| {
                    let (path, matched) = evidence(view);
                    Hit {
                        owner: Some(o.clone()),
                        path,
                        matched,
                        owner_path: None,
                    }
                })
            }
            OwnerMatch::ScopeResource(t) => {
                let id = t
                    .replace("{subscription}", c.id.subscription_id().unwrap_or_default())
                    .replace(
                        "{resource_group}",
                        c.id.resource_group().unwrap_or_default(),
                    );
                ResourceId::parse(&id)
                    .ok()
                    .filter(|id| is_type(id, owner_type) && exists(id))
                    .map(|id| {
                        let (path, matched) = evidence(view);
                        Hit {
                            owner: Some(id),
                            path,
                            matched,
                            owner_path: None,
                        }
                    })
            }
            OwnerMatch::Service(_) => {
                let (path, matched) = evidence(view);
                Some(Hit {
                    owner: None,
                    path,
                    matched,
                    owner_path: None,
                })
            }
        };
        if let Some(h) = hit
            && h.owner.as_ref().is_none_or(accept)
        {
            return Some(h);
        }
    }
    None
}

fn holds(when: Option<&Condition>, view: &View<'_, '_>) -> bool {
    when.is_none_or(|w| w.evaluate_view(view, &RuleContext::default()) == Truth::True)
}

fn edge_kind(r: Relation) -> EdgeKind {
    match r {
        Relation::CreatedByOwner => EdgeKind::OwnedBy,
        Relation::InstalledByService => EdgeKind::InstalledBy,
        Relation::AttachAfterOwner => EdgeKind::AttachedTo,
    }
}

/// An ownership edge to add (or to make of an existing edge at the same path).
struct Pending {
    from: u32,
    to: u32,
    kind: EdgeKind,
    path: String,
    evidence: Evidence,
    done: bool,
}

/// Apply the catalog's ownership rules to the built nodes and edges.
pub(crate) fn resolve(b: &mut Builder<'_>, estate: &Estate) {
    let rules = b.catalog.ownership_rules();
    if rules.is_empty() {
        return;
    }
    let mut wanted: HashSet<String> = HashSet::new();
    for r in rules {
        wanted.insert(r.owned.to_ascii_lowercase());
        if let Some(t) = &r.owner_type {
            wanted.insert(t.to_ascii_lowercase());
        }
    }
    let mut by_type: HashMap<String, Vec<&Resource>> = HashMap::new();
    // Types come in few spellings: decide each spelling once.
    let mut spelling: HashMap<&str, Option<String>> = HashMap::new();
    for r in &estate.resources {
        let t = spelling.entry(r.resource_type.as_str()).or_insert_with(|| {
            let t = r.resource_type.to_ascii_lowercase();
            wanted.contains(&t).then_some(t)
        });
        if let Some(t) = t {
            by_type.entry(t.clone()).or_default().push(r);
        }
    }
    // Resource groups only named by their resources' ids are candidates too.
    let mut implicit_groups: Vec<ResourceId> = Vec::new();
    let groups_may_be_owned = rules.iter().any(|r| {
        r.owned.eq_ignore_ascii_case(RESOURCE_GROUPS)
            && r.owner_type
                .as_deref()
                .is_some_and(|t| by_type.contains_key(&t.to_ascii_lowercase()))
    });
    if groups_may_be_owned {
        let records: HashSet<&ResourceId> = by_type
            .get(RESOURCE_GROUPS)
            .into_iter()
            .flatten()
            .map(|r| &r.id)
            .collect();
        let mut seen: HashSet<ResourceId> = HashSet::new();
        for r in &estate.resources {
            if let Some(g) = r.id.resource_group_id()
                && !records.contains(&g)
                && !seen.contains(&g)
            {
                seen.insert(g.clone());
                implicit_groups.push(g);
            }
        }
    }
    let mut pending: Vec<Pending> = Vec::new();
    let mut owned_groups: Vec<(ResourceId, u32)> = Vec::new();
    for rule in rules {
        let owner_t = rule.owner_type.as_deref().map(str::to_ascii_lowercase);
        let all_owners: &[&Resource] = owner_t
            .as_deref()
            .and_then(|t| by_type.get(t))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        // Owners the rule accepts; an owner named by id but not in the
        // estate cannot be judged and is accepted.
        let owners: Vec<&Resource> = match &rule.owner_when {
            None => all_owners.to_vec(),
            Some(w) => all_owners
                .iter()
                .filter(|o| {
                    let c = Cand {
                        id: &o.id,
                        res: Some(**o),
                    };
                    holds(Some(w), &View::new(&c))
                })
                .copied()
                .collect(),
        };
        let rejected: HashSet<&ResourceId> = if rule.owner_when.is_some() {
            let ok: HashSet<&ResourceId> = owners.iter().map(|o| &o.id).collect();
            all_owners
                .iter()
                .map(|o| &o.id)
                .filter(|id| !ok.contains(id))
                .collect()
        } else {
            HashSet::new()
        };
        let owned_t = rule.owned.to_ascii_lowercase();
        let mut cands: Vec<Cand<'_>> = by_type
            .get(&owned_t)
            .into_iter()
            .flatten()
            .map(|r| Cand {
                id: &r.id,
                res: Some(*r),
            })
            .collect();
        if owned_t == RESOURCE_GROUPS {
            cands.extend(implicit_groups.iter().map(|g| Cand { id: g, res: None }));
        }
        if cands.is_empty() {
            continue;
        }
        let idx = RuleIndex::build(rule, &owners);
        for c in &cands {
            let v = View::new(c);
            if !holds(rule.when.as_ref(), &v) {
                continue;
            }
            let g = &b.g;
            let exists = |id: &ResourceId| g.node(id).is_some();
            let accept = |id: &ResourceId| !rejected.contains(id);
            let Some(hit) = find_owner(rule, &idx, c, &v, &exists, &accept) else {
                continue;
            };
            // The first rule that claims a resource decides.
            if b.g.node(c.id).is_some_and(|n| b.g.ownership(n).is_some()) {
                continue;
            }
            let node = b.resolve(c.id).0;
            let owner = hit.owner.as_ref().map(|o| b.resolve(o).0);
            let evidence = Evidence {
                matched: hit.matched.into(),
                rule: rule.id.as_str().into(),
                owner_path: hit.owner_path.map(String::into_boxed_str),
            };
            if let Some(o) = owner {
                pending.push(Pending {
                    from: node,
                    to: o,
                    kind: edge_kind(rule.relation),
                    path: hit.path.clone(),
                    evidence: evidence.clone(),
                    done: false,
                });
            }
            let rule_id = b.intern(&rule.id);
            let service = b.intern(&rule.service);
            b.g.set_ownership(
                node,
                Ownership {
                    owner,
                    relation: rule.relation,
                    rule: rule_id,
                    service,
                    via_group: None,
                    path: hit.path.into_boxed_str(),
                    evidence,
                },
            );
            if rule.contents {
                owned_groups.push((c.id.clone(), node));
            }
        }
    }
    // Everything inside an owned resource group belongs to its owner.
    if !owned_groups.is_empty() {
        let groups: HashMap<&ResourceId, u32> = owned_groups.iter().map(|(g, n)| (g, *n)).collect();
        for r in &estate.resources {
            let Some(g) = r.id.resource_group_id() else {
                continue;
            };
            let Some(&gn) = groups.get(&g) else {
                continue;
            };
            let Some(n) = b.g.node(&r.id) else {
                continue;
            };
            if n == gn || b.g.ownership(n).is_some() {
                continue;
            }
            let Some(go) = b.g.ownership(gn).cloned() else {
                continue;
            };
            let evidence = Evidence {
                matched: g.name().unwrap_or_default().into(),
                rule: go.rule.as_ref().into(),
                owner_path: None,
            };
            if let Some(o) = go.owner {
                pending.push(Pending {
                    from: n,
                    to: o,
                    kind: edge_kind(go.relation),
                    path: "$.id".into(),
                    evidence: evidence.clone(),
                    done: false,
                });
            }
            b.g.set_ownership(
                n,
                Ownership {
                    via_group: Some(gn),
                    path: "$.id".into(),
                    evidence,
                    ..go
                },
            );
        }
    }
    if b.g.ownership.is_empty() {
        return;
    }
    // Owners' dependencies, to recognise associations they made.
    let owners: HashSet<u32> = b.g.ownership.values().filter_map(|o| o.owner).collect();
    let owner_deps: HashSet<(u32, u32)> =
        b.g.edges
            .iter()
            .filter(|e| e.kind.is_dependency() && owners.contains(&e.from))
            .map(|e| (e.from, e.to))
            .collect();
    let mut by_pair: HashMap<(u32, u32), Vec<usize>> = HashMap::new();
    for (i, p) in pending.iter().enumerate() {
        by_pair.entry((p.from, p.to)).or_default().push(i);
    }
    for e in b.g.edges.iter_mut() {
        if let Some(ps) = by_pair.get(&(e.from, e.to))
            && let Some(&i) = ps.iter().find(|&&i| *pending[i].path == *e.path)
        {
            let p = &mut pending[i];
            e.kind = p.kind;
            e.evidence = Some(Box::new(p.evidence.clone()));
            p.done = true;
            continue;
        }
        if !e.kind.is_dependency() || e.kind.is_ownership() {
            continue;
        }
        let Some(o) = b.g.ownership.get(&e.to) else {
            continue;
        };
        let Some(w) = o.owner.filter(|_| o.relation.is_owned()) else {
            continue;
        };
        let from_owned_by_w =
            b.g.ownership
                .get(&e.from)
                .is_some_and(|f| f.owner == Some(w));
        // The owner's own children (an app's `config/web` waiting for the
        // default host-name binding the app creates) name it as the owner
        // does.
        let w_id = &b.g.nodes[w as usize].id;
        let from_child_of_w =
            std::iter::successors(b.g.nodes[e.from as usize].id.parent(), |p| p.parent())
                .any(|p| p == *w_id);
        if e.from == w
            || (!from_owned_by_w && (from_child_of_w || owner_deps.contains(&(w, e.from))))
        {
            e.kind = EdgeKind::OwnerManaged;
            e.evidence = Some(Box::new(Evidence {
                matched: b.g.nodes[e.to as usize].id.as_str().into(),
                rule: o.rule.as_ref().into(),
                owner_path: None,
            }));
        }
    }
    for p in pending.into_iter().filter(|p| !p.done) {
        b.edge_with(p.from, p.to, p.kind, p.path, None, Some(p.evidence));
    }
}
