//! References that are not ids, rewritten for the target: the graph's
//! settings edges (a host name, `AccountName=`, an identity-based setting,
//! a Key Vault reference, an instrumentation key, a client id, an OIDC
//! issuer) become edits of the string at the edge's path — the matched
//! name or host replaced by the target's, or the whole value (or part of
//! it) read from the moved resource when only it knows the new value (a
//! new component's connection string, a recreated identity's client id, a
//! moved cluster's issuer). References an owner manages (its kubelet
//! identity, the route table it put on a subnet) are dropped: the owner's
//! move sets them again. A connection string that carries secrets keeps
//! its other parts in clear; each secret part becomes a secure parameter.

use std::collections::HashMap;

use azrelo_arm::IdIndex;
use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_arm::secrets::{REDACTED, looks_secret, redact_text};
use serde_json::Value;

use super::{Change, ChangeKind, Params};
use azrelo_catalog::Catalog;
use azrelo_estate::Estate;
use azrelo_graph::{EdgeKind, Graph, NodeKind};
use azrelo_plan::{Action, OwnedTargetPlan, Plan, PlannedResource};

/// One edit of a string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Edit {
    /// Replace the matched text (a host, `key=name`, a name) with `to`.
    Text { from: String, to: String },
    /// The value comes from a moved resource's property, read when the
    /// deployment runs: the whole value, or only the matched part.
    Read {
        part: Option<String>,
        resource: String,
        path: String,
        label: String,
    },
}

/// The edits of one source record, by JSON pointer.
#[derive(Debug, Default)]
pub(super) struct RecordEdits {
    pub(super) strings: HashMap<String, Vec<Edit>>,
    /// Pointers of owner-managed references to drop, with the owner.
    pub(super) drop: Vec<(String, String)>,
    /// Properties of an owner naming what it creates (AKS's
    /// `nodeResourceGroup`): left out, or a new name where required.
    pub(super) names_owned: Vec<NamesOwned>,
    /// Pointers of certificate thumbprints (a host-name binding's TLS
    /// binding) naming a certificate the target only gets from the service
    /// after the move (an App Service managed certificate): the binding is
    /// written without TLS.
    pub(super) tls_later: Vec<String>,
}

/// An owner's property naming a resource group it creates.
#[derive(Debug)]
pub(super) struct NamesOwned {
    pub(super) pointer: String,
    /// The owned group (source id).
    pub(super) owned: String,
    /// The new group's name and subscription, when the owner's API
    /// requires the property (catalog `new_name`); else it is left out.
    pub(super) new: Option<(String, String)>,
}

/// Edits per source record.
#[derive(Debug, Default)]
pub(super) struct Edits {
    by_record: IdIndex<RecordEdits>,
}

impl Edits {
    pub(super) fn of(&self, source: &str) -> Option<&RecordEdits> {
        self.by_record.get(source)
    }

    fn record(&mut self, id: &ResourceId) -> &mut RecordEdits {
        if !self.by_record.contains(id) {
            self.by_record.insert(id.clone(), RecordEdits::default());
        }
        self.by_record
            .get_mut(id)
            .expect("the record's edits were just inserted")
    }
}

/// A graph edge path (`$.properties.a[0]['b c']`) as a JSON pointer
/// (`/properties/a/0/b c`, `~` and `/` escaped).
pub(super) fn pointer_of(path: &str) -> Option<String> {
    let mut rest = path.strip_prefix('$')?;
    let mut out = String::new();
    let push = |out: &mut String, k: &str| {
        out.push('/');
        out.push_str(&k.replace('~', "~0").replace('/', "~1"));
    };
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("['") {
            let end = r.find("']")?;
            push(&mut out, &r[..end]);
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            push(&mut out, &r[..end]);
            rest = &r[end + 1..];
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            push(&mut out, &r[..end]);
            rest = &r[end..];
        } else {
            return None;
        }
    }
    Some(out)
}

/// `host` with its leading resource name `from` replaced by `to`
/// (`st01.blob.core.windows.net` → `st02.blob.core.windows.net`).
fn rename_host(host: &str, from: &str, to: &str) -> Option<String> {
    let head = host.get(..from.len())?;
    head.eq_ignore_ascii_case(from)
        .then(|| format!("{to}{}", &host[from.len()..]))
}

/// The record (estate resource) whose body holds an edge's path: the node
/// itself, or the resource an inline child (a subnet) is written in.
fn record_of(g: &Graph, n: u32) -> Option<&ResourceId> {
    let node = &g.nodes[n as usize];
    match node.kind {
        NodeKind::Resource => Some(&node.id),
        NodeKind::Inline => std::iter::successors(node.id.parent(), |p| p.parent())
            .filter(|p| p.kind() == IdKind::Resource)
            .find_map(|p| {
                let m = g.node(&p)?;
                (g.nodes[m as usize].kind == NodeKind::Resource).then_some(&g.nodes[m as usize].id)
            }),
        NodeKind::External => None,
    }
}

/// What to read from a moved resource for a published value.
fn read_path(kind: EdgeKind, matched: &str) -> Option<(&'static str, bool)> {
    match kind {
        // A connection string names the component by its key; the target's
        // whole connection string (new key, the target region's ingestion
        // endpoint) replaces it.
        EdgeKind::InstrumentationKey if matched.contains('=') => {
            Some(("/properties/ConnectionString", true))
        }
        EdgeKind::InstrumentationKey => Some(("/properties/InstrumentationKey", false)),
        EdgeKind::IdentityClientId => Some(("/properties/clientId", false)),
        EdgeKind::FederatedIssuer => Some(("/properties/oidcIssuerProfile/issuerURL", false)),
        _ => None,
    }
}

/// Build the edits of every record the plan generates.
pub(super) fn edits(plan: &Plan, estate: &Estate, catalog: &Catalog) -> Edits {
    let g = azrelo_graph::build_with(estate, catalog);
    let by_source: IdIndex<&PlannedResource> = plan
        .resources
        .iter()
        .map(|r| (r.source_id.clone(), r))
        .collect();
    let mut out = Edits::default();
    // Owners naming a group they create: the source's group name is taken
    // (the source owner still has it), so the target owner gets a new one.
    for r in &plan.resources {
        let Some(o) = &r.ownership else { continue };
        let (Some(owner), OwnedTargetPlan::FromOwner { path, .. }) = (&o.owner, &o.target) else {
            continue;
        };
        let Some(owner_plan) = by_source.get(owner.as_str()) else {
            continue;
        };
        if !owner_plan.action.creates_target() {
            continue;
        }
        let ot = &owner_plan.target_id;
        let new = catalog
            .ownership_rule(&o.rule)
            .and_then(|rule| rule.target.new_name.as_ref())
            .map(|pattern| {
                let name = pattern
                    .replace("{owner}", ot.name().unwrap_or_default())
                    .replace("{owner_group}", ot.resource_group().unwrap_or_default())
                    .replace("{location}", &plan.target.region);
                (name, ot.subscription_id().unwrap_or_default().to_string())
            });
        let rec = out.record(owner);
        if !rec.names_owned.iter().any(|n| n.pointer == *path) {
            rec.names_owned.push(NamesOwned {
                pointer: path.clone(),
                owned: r.source_id.to_string(),
                new,
            });
        }
    }
    for e in &g.edges {
        let Some(record) = record_of(&g, e.from) else {
            continue;
        };
        let Some(pointer) = pointer_of(&e.path) else {
            continue;
        };
        if e.kind == EdgeKind::OwnerManaged {
            // `{ "id": … }` and `{ "resourceId": … }` references go whole.
            let p = match pointer.rsplit_once('/') {
                Some((parent, last))
                    if last.eq_ignore_ascii_case("id")
                        || last.eq_ignore_ascii_case("resourceId") =>
                {
                    parent.to_string()
                }
                _ => pointer.clone(),
            };
            let owner = g
                .ownership(e.to)
                .and_then(|o| o.owner)
                .map(|w| g.nodes[w as usize].id.to_string())
                .unwrap_or_default();
            let rec = out.record(record);
            if !rec.drop.iter().any(|(d, _)| *d == p) {
                rec.drop.push((p, owner));
            }
            continue;
        }
        if e.kind == EdgeKind::CertificateThumbprint {
            // A certificate azrelo deploys (imported from Key Vault, uploaded)
            // keeps its thumbprint: the dependency orders the binding after
            // it. One the service issues anew after the move has a new
            // thumbprint nobody knows yet.
            let to = &g.nodes[e.to as usize].id;
            if by_source
                .get(to.as_str())
                .is_some_and(|t| t.action == Action::Owned)
            {
                let rec = out.record(record);
                if !rec.tls_later.contains(&pointer) {
                    rec.tls_later.push(pointer);
                }
            }
            continue;
        }
        let Some(ev) = &e.evidence else { continue };
        if !matches!(
            e.kind,
            EdgeKind::EndpointReference
                | EdgeKind::NameReference
                | EdgeKind::KeyVaultReference
                | EdgeKind::InstrumentationKey
                | EdgeKind::IdentityClientId
                | EdgeKind::FederatedIssuer
        ) {
            continue;
        }
        let to = &g.nodes[e.to as usize].id;
        let Some(target) = by_source.get(to.as_str()) else {
            continue;
        };
        if !target.action.creates_target() {
            continue;
        }
        let matched = ev.matched.to_string();
        let edit = if let Some((path, whole)) = read_path(e.kind, &matched) {
            let part = if whole || !matched.contains('=') {
                (!whole).then(|| matched.clone())
            } else {
                matched.split_once('=').map(|(_, v)| v.to_string())
            };
            Edit::Read {
                part: if whole { None } else { part },
                resource: target.target_id.to_string(),
                path: path.to_string(),
                label: e.kind.name().to_string(),
            }
        } else {
            let (from, to_name) = (&*target.name, &*target.target_name);
            if from.eq_ignore_ascii_case(to_name) {
                continue;
            }
            let new = match matched.split_once('=') {
                Some((k, v)) if v.trim().eq_ignore_ascii_case(from) => format!("{k}={to_name}"),
                _ if matched.eq_ignore_ascii_case(from) => to_name.to_string(),
                _ => match rename_host(&matched, from, to_name) {
                    Some(h) => h,
                    None => continue,
                },
            };
            Edit::Text {
                from: matched,
                to: new,
            }
        };
        let rec = out.record(record);
        let list = rec.strings.entry(pointer).or_default();
        if !list.contains(&edit) {
            list.push(edit);
        }
    }
    // A renamed resource naming itself by one of its own host names (API
    // Management's default proxy host in `hostnameConfigurations`): the
    // graph has no edge from a resource to itself, so its own hosts are
    // looked for here, with the same endpoint patterns.
    let refs = catalog.references();
    for r in &estate.resources {
        let Some(t) = by_source.get(r.id.as_str()) else {
            continue;
        };
        if t.name.eq_ignore_ascii_case(&t.target_name) || !t.action.creates_target() {
            continue;
        }
        let Some(ep) = refs.endpoint_for_type(&r.resource_type) else {
            continue;
        };
        let mut hosts = Vec::new();
        for cloud in &refs.clouds {
            let Some(suffix) = cloud.suffixes.get(&ep.suffix) else {
                continue;
            };
            for h in ep.hosts.iter().filter(|h| !h.contains('*')) {
                hosts.push((
                    format!("{}.{suffix}", h.replace("{name}", &t.name)).to_ascii_lowercase(),
                    format!("{}.{suffix}", h.replace("{name}", &t.target_name)),
                ));
            }
        }
        let mut found = Vec::new();
        own_hosts(&r.properties, "/properties", &hosts, &mut found);
        if found.is_empty() {
            continue;
        }
        let rec = out.record(&r.id);
        for (pointer, edit) in found {
            let list = rec.strings.entry(pointer).or_default();
            if !list.contains(&edit) {
                list.push(edit);
            }
        }
    }
    out
}

/// Every whole occurrence of one of `hosts` (lower-case source host, target
/// host) in the strings under `v`, as a text edit at its pointer.
fn own_hosts(v: &Value, pointer: &str, hosts: &[(String, String)], out: &mut Vec<(String, Edit)>) {
    match v {
        Value::String(s) => {
            let l = s.to_ascii_lowercase();
            for (h, to) in hosts {
                for (i, _) in l.match_indices(h.as_str()) {
                    let label = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
                    let before = i.checked_sub(1).map(|j| l.as_bytes()[j]);
                    let after = l.as_bytes().get(i + h.len()).copied();
                    if before.is_some_and(|b| label(b) || b == b'.') || after.is_some_and(label) {
                        continue;
                    }
                    out.push((
                        pointer.to_string(),
                        Edit::Text {
                            from: s[i..i + h.len()].to_string(),
                            to: to.clone(),
                        },
                    ));
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                own_hosts(x, &format!("{pointer}/{i}"), hosts, out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                own_hosts(x, &p, hosts, out);
            }
        }
        _ => {}
    }
}

/// A piece of a rewritten string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Piece {
    Lit(String),
    /// A parameter: (name, secure?).
    Param(String),
}

/// A value as pieces, rendered: a literal, one parameter, or `format()`.
pub(super) fn render(pieces: &[Piece]) -> (String, bool) {
    match pieces {
        [] => (String::new(), false),
        [Piece::Lit(s)] => (s.clone(), false),
        [Piece::Param(p)] => (format!("[parameters('{p}')]"), true),
        _ => {
            let mut fmt = String::new();
            let mut args = Vec::new();
            for p in pieces {
                match p {
                    Piece::Lit(s) => {
                        fmt.push_str(&s.replace('\'', "''").replace('{', "{{").replace('}', "}}"))
                    }
                    Piece::Param(name) => {
                        fmt.push_str(&format!("{{{}}}", args.len()));
                        args.push(format!("parameters('{name}')"));
                    }
                }
            }
            (format!("[format('{fmt}', {})]", args.join(", ")), true)
        }
    }
}

/// Split a literal around `part`, which becomes the parameter `param`.
pub(super) fn splice(pieces: Vec<Piece>, part: &str, param: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut done = false;
    for p in pieces {
        match p {
            Piece::Lit(s) if !done => match s.find(part) {
                Some(i) => {
                    if i > 0 {
                        out.push(Piece::Lit(s[..i].to_string()));
                    }
                    out.push(Piece::Param(param.to_string()));
                    let rest = &s[i + part.len()..];
                    if !rest.is_empty() {
                        out.push(Piece::Lit(rest.to_string()));
                    }
                    done = true;
                }
                None => out.push(Piece::Lit(s)),
            },
            other => out.push(other),
        }
    }
    out
}

/// What the secret part at `at` in `text` is called: the key before it
/// (`AccountKey=`, `password=`, `sig=`), a URL's password, a bearer
/// token, a private key.
fn secret_key(text: &str, at: usize) -> String {
    let before = &text[..at];
    let key = if let Some(head) = before.strip_suffix('=') {
        head.rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .next()
            .unwrap_or_default()
    } else if before.ends_with(':') {
        "password"
    } else if before.ends_with("Bearer ") {
        "token"
    } else if before.ends_with("-----") {
        "privateKey"
    } else {
        ""
    };
    if key.is_empty() { "secret" } else { key }.to_string()
}

/// Split the literal pieces at their secret parts (the secret policy's
/// value rules, `azrelo_arm::secrets`: what ingest already replaced by
/// [`REDACTED`], and anything it would), each a new secure parameter.
fn cut_secrets(
    pieces: Vec<Piece>,
    base: &str,
    pointer: &str,
    params: &mut Params,
    changes: &mut Vec<Change>,
) -> Vec<Piece> {
    let mut out = Vec::new();
    for p in pieces {
        let Piece::Lit(t) = p else {
            out.push(p);
            continue;
        };
        let t = redact_text(&t).unwrap_or(t);
        let mut rest = t.as_str();
        let mut consumed = 0;
        while let Some(i) = rest.find(REDACTED) {
            if i > 0 {
                out.push(Piece::Lit(rest[..i].to_string()));
            }
            let key = secret_key(&t, consumed + i);
            let name = params.add(&format!("{base}_{key}"));
            changes.push(Change {
                pointer: pointer.to_string(),
                kind: ChangeKind::Secret,
                detail: format!(
                    "secret part '{key}' → secure parameter '{name}' (value not copied)"
                ),
            });
            out.push(Piece::Param(name));
            consumed += i + REDACTED.len();
            rest = &rest[i + REDACTED.len()..];
        }
        if !rest.is_empty() {
            out.push(Piece::Lit(rest.to_string()));
        }
    }
    out
}

/// Replace every occurrence of `part` in the literal pieces with `param`.
pub(super) fn splice_all(mut pieces: Vec<Piece>, part: &str, param: &str) -> Vec<Piece> {
    if part.is_empty() {
        return pieces;
    }
    while pieces
        .iter()
        .any(|p| matches!(p, Piece::Lit(s) if s.contains(part)))
    {
        pieces = splice(pieces, part, param);
    }
    pieces
}

/// The name a parameter for the value at `pointer` is based on: its last
/// member name that is neither an index nor a generic `value`.
fn base_of(pointer: &str) -> String {
    pointer
        .rsplit('/')
        .find(|seg| {
            !seg.is_empty()
                && !seg.bytes().all(|b| b.is_ascii_digit())
                && !seg.eq_ignore_ascii_case("value")
                && !seg.eq_ignore_ascii_case("properties")
        })
        .map(|seg| seg.replace("~1", "/").replace("~0", "~"))
        .unwrap_or_else(|| "setting".into())
}

/// Whether a value is a Key Vault reference (`@Microsoft.KeyVault(…)`):
/// it names a secret, it is not one.
pub(super) fn is_key_vault_reference(s: &str) -> bool {
    s.get(..20)
        .is_some_and(|h| h.eq_ignore_ascii_case("@Microsoft.KeyVault("))
}

/// The target value of a string with edits: names and hosts renamed to the
/// target's, values only a moved resource knows read from it when the
/// deployment runs, then each secret part of a connection string a secure
/// parameter (its other parts stay in clear); a value that still looks
/// secret becomes one secure parameter. Returns the value (a literal or an
/// expression) and whether it is an expression.
pub(super) fn settle(
    s: &str,
    edits: &[Edit],
    pointer: &str,
    params: &mut Params,
    changes: &mut Vec<Change>,
) -> (String, bool) {
    let base = base_of(pointer);
    let mut pieces = vec![Piece::Lit(s.to_string())];
    for e in edits {
        match e {
            Edit::Text { from, to } => {
                let mut hit = false;
                for p in &mut pieces {
                    if let Piece::Lit(t) = p
                        && t.contains(from.as_str())
                    {
                        *t = t.replace(from.as_str(), to);
                        hit = true;
                    }
                }
                if hit {
                    changes.push(Change {
                        pointer: pointer.to_string(),
                        kind: ChangeKind::Reference,
                        detail: format!("'{from}' → '{to}' (the target's name)"),
                    });
                }
            }
            Edit::Read {
                part,
                resource,
                path,
                label,
            } => {
                let before = pieces.clone();
                // Named after what it holds: `id_func_orders_clientId`.
                let what = format!(
                    "{}_{}",
                    resource.rsplit('/').next().unwrap_or("resource"),
                    path.rsplit('/').next().unwrap_or("value")
                );
                let name = params.read(&what, resource, path);
                pieces = match part {
                    None => vec![Piece::Param(name.clone())],
                    Some(part) => splice_all(pieces, part, &name),
                };
                if pieces != before {
                    changes.push(Change {
                        pointer: pointer.to_string(),
                        kind: ChangeKind::Reference,
                        detail: format!(
                            "{label}: parameter '{name}' read from {resource} ({path}) once it exists in the target"
                        ),
                    });
                }
            }
        }
    }
    // Secret parts, each at its leaf; what is left in clear must not carry
    // a credential (else the whole value is one secure parameter).
    pieces = cut_secrets(pieces, &base, pointer, params, changes);
    let still_secret = pieces
        .iter()
        .any(|p| matches!(p, Piece::Lit(t) if looks_secret(t)));
    if still_secret {
        let name = params.add(&base);
        pieces = vec![Piece::Param(name.clone())];
        changes.push(Change {
            pointer: pointer.to_string(),
            kind: ChangeKind::Secret,
            detail: format!("credential-bearing value → secure parameter '{name}'"),
        });
    }
    let (mut out, expr) = render(&pieces);
    // A literal starting with '[' would be read as an expression.
    if !expr && out.starts_with('[') {
        out.insert(0, '[');
    }
    (out, expr)
}

/// Remove the owner-managed references of a body (deepest array entries
/// first, so that indexes stay valid), and the objects they leave empty
/// (up to `/properties`). Returns what was removed, with its owner.
/// Write host-name bindings whose certificate the service issues again
/// after the move without TLS: the thumbprint goes and `sslState` becomes
/// `Disabled` (the TLS binding is made once the new certificate exists).
pub(super) fn bind_tls_later(body: &mut Value, pointers: &[String]) -> Vec<Change> {
    let mut out = Vec::new();
    for p in pointers {
        if !remove_pointer(body, p) {
            continue;
        }
        if let Some((parent, _)) = p.rsplit_once('/')
            && let Some(state) = body
                .pointer_mut(&format!("{parent}/sslState"))
                .filter(|v| v.is_string())
        {
            *state = Value::String("Disabled".into());
        }
        out.push(Change {
            pointer: p.clone(),
            kind: ChangeKind::Dropped,
            detail: "names a certificate the service issues anew for the target after the DNS cut-over (new thumbprint): the host name is bound without TLS until then".into(),
        });
    }
    out
}

pub(super) fn drop_owner_managed(body: &mut Value, drops: &[(String, String)]) -> Vec<Change> {
    fn segs(p: &str) -> Vec<&str> {
        p.split('/').skip(1).collect()
    }
    let mut order: Vec<&(String, String)> = drops.iter().collect();
    order.sort_by(|a, b| {
        let (x, y) = (segs(&a.0), segs(&b.0));
        for (s, t) in x.iter().zip(&y) {
            let c = match (s.parse::<usize>(), t.parse::<usize>()) {
                (Ok(i), Ok(j)) => i.cmp(&j),
                _ => s.cmp(t),
            };
            if c.is_ne() {
                return c.reverse();
            }
        }
        y.len().cmp(&x.len())
    });
    let mut out = Vec::new();
    for (p, owner) in order {
        if !remove_pointer(body, p) {
            continue;
        }
        let mut parent = p.rsplit_once('/').map(|(a, _)| a.to_string());
        while let Some(at) = parent.filter(|a| !a.is_empty() && a != "/properties") {
            if !body
                .pointer(&at)
                .is_some_and(|v| v.as_object().is_some_and(|m| m.is_empty()))
            {
                break;
            }
            remove_pointer(body, &at);
            parent = at.rsplit_once('/').map(|(a, _)| a.to_string());
        }
        out.push(Change {
            pointer: p.clone(),
            kind: ChangeKind::Dropped,
            detail: if owner.is_empty() {
                "set by the service that owns what it names: set again after the move".into()
            } else {
                format!("set by its owner {owner}: the owner's move sets it again")
            },
        });
    }
    out
}

/// Give an owner's target body its own name for each group it creates:
/// the property left out (the owner names its own), or a new name.
pub(super) fn rename_owned_groups(body: &mut Value, names: &[NamesOwned]) -> Vec<Change> {
    let mut out = Vec::new();
    for n in names {
        let Some(current) = body.pointer(&n.pointer).and_then(Value::as_str) else {
            continue;
        };
        match &n.new {
            None => {
                remove_pointer(body, &n.pointer);
                out.push(Change {
                    pointer: n.pointer.clone(),
                    kind: ChangeKind::Dropped,
                    detail: format!(
                        "names {} that this resource creates: the target creates its own (default name), read after the move",
                        n.owned
                    ),
                });
            }
            Some((name, sub)) => {
                let v = if current.starts_with('/') {
                    format!("/subscriptions/{sub}/resourceGroups/{name}")
                } else {
                    name.clone()
                };
                if let Some(slot) = body.pointer_mut(&n.pointer) {
                    *slot = Value::String(v.clone());
                }
                out.push(Change {
                    pointer: n.pointer.clone(),
                    kind: ChangeKind::Name,
                    detail: format!(
                        "{} is the source's group this resource creates: the target's is {v}",
                        n.owned
                    ),
                });
            }
        }
    }
    out
}

/// Remove the member or array entry at a JSON pointer.
fn remove_pointer(v: &mut Value, pointer: &str) -> bool {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return false;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match v.pointer_mut(parent) {
        Some(Value::Object(m)) => m.shift_remove(&last).is_some(),
        Some(Value::Array(a)) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => {
                a.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_pointers() {
        assert_eq!(
            pointer_of("$.properties.template.containers[0].env[1].value").as_deref(),
            Some("/properties/template/containers/0/env/1/value")
        );
        assert_eq!(
            pointer_of("$.properties['a b'].c").as_deref(),
            Some("/properties/a b/c")
        );
        assert_eq!(
            pointer_of("$.tags['hidden-link:/subscriptions/x']").as_deref(),
            Some("/tags/hidden-link:~1subscriptions~1x")
        );
    }

    #[test]
    fn values_render_as_literal_parameter_or_format() {
        assert_eq!(render(&[Piece::Lit("a".into())]), ("a".into(), false));
        assert_eq!(
            render(&[Piece::Param("p".into())]),
            ("[parameters('p')]".into(), true)
        );
        let pieces = splice(
            vec![Piece::Lit(
                "AccountName=st;AccountKey=K1{x}';EndpointSuffix=core".into(),
            )],
            "K1{x}'",
            "key",
        );
        assert_eq!(
            render(&pieces).0,
            "[format('AccountName=st;AccountKey={0};EndpointSuffix=core', parameters('key'))]"
        );
        let pieces = vec![Piece::Lit("it's {".into()), Piece::Param("a".into())];
        assert_eq!(
            render(&pieces).0,
            "[format('it''s {{{0}', parameters('a'))]"
        );
    }

    #[test]
    fn hosts_are_renamed_at_their_leading_name() {
        assert_eq!(
            rename_host("StFunc01.blob.core.windows.net", "stfunc01", "stfunc01neu").as_deref(),
            Some("stfunc01neu.blob.core.windows.net")
        );
        assert_eq!(rename_host("other.blob", "stfunc01", "x"), None);
    }

    #[test]
    fn owner_managed_references_go_deepest_entry_first() {
        let mut body = serde_json::json!({"properties": {
            "ips": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
            "identityProfile": {"kubeletidentity": {"resourceId": "x"}},
            "keep": 1,
        }});
        let drops = vec![
            ("/properties/ips/0".to_string(), "o".to_string()),
            ("/properties/ips/2".to_string(), "o".to_string()),
            (
                "/properties/identityProfile/kubeletidentity".to_string(),
                String::new(),
            ),
        ];
        let changes = drop_owner_managed(&mut body, &drops);
        assert_eq!(changes.len(), 3);
        assert_eq!(
            body,
            serde_json::json!({"properties": {"ips": [{"id": "b"}], "keep": 1}})
        );
    }

    #[test]
    fn an_owner_names_a_new_group_or_none() {
        let mut body = serde_json::json!({"properties": {
            "nodeResourceGroup": "MC_rg_aks_westeurope",
            "managedResourceGroupId": "/subscriptions/s/resourceGroups/databricks-rg-w-abc",
        }});
        let names = vec![
            NamesOwned {
                pointer: "/properties/nodeResourceGroup".into(),
                owned: "/subscriptions/s/resourceGroups/MC_rg_aks_westeurope".into(),
                new: None,
            },
            NamesOwned {
                pointer: "/properties/managedResourceGroupId".into(),
                owned: "/subscriptions/s/resourceGroups/databricks-rg-w-abc".into(),
                new: Some(("databricks-rg-w-northeurope".into(), "t".into())),
            },
        ];
        let changes = rename_owned_groups(&mut body, &names);
        assert_eq!(changes.len(), 2);
        assert_eq!(
            body,
            serde_json::json!({"properties": {
                "managedResourceGroupId": "/subscriptions/t/resourceGroups/databricks-rg-w-northeurope",
            }})
        );
    }

    #[test]
    fn secret_parts_become_parameters_and_what_stays_secret_goes_whole() {
        let mut params = Params::default();
        let mut changes = Vec::new();
        let (v, expr) = settle(
            "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=abc=",
            &[Edit::Text {
                from: "ns1.servicebus.windows.net".into(),
                to: "ns2.servicebus.windows.net".into(),
            }],
            "/properties/Bus",
            &mut params,
            &mut changes,
        );
        assert!(expr);
        assert_eq!(
            v,
            "[format('Endpoint=sb://ns2.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey={0}', parameters('Bus_SharedAccessKey'))]"
        );
        assert_eq!(params.names, vec!["Bus_SharedAccessKey".to_string()]);
        // What ingest redacted is cut out the same way.
        let (v, _) = settle(
            "AccountName=st1;AccountKey=***;EndpointSuffix=core.windows.net",
            &[],
            "/properties/Files",
            &mut params,
            &mut changes,
        );
        assert_eq!(
            v,
            "[format('AccountName=st1;AccountKey={0};EndpointSuffix=core.windows.net', parameters('Files_AccountKey'))]"
        );
        // A signed URL: only its signature.
        let (v, _) = settle(
            "https://st1.blob.core.windows.net/c?sv=2022-11-02&sig=abc%3D",
            &[Edit::Text {
                from: "st1.blob.core.windows.net".into(),
                to: "st2.blob.core.windows.net".into(),
            }],
            "/properties/Export",
            &mut params,
            &mut changes,
        );
        assert_eq!(
            v,
            "[format('https://st2.blob.core.windows.net/c?sv=2022-11-02&sig={0}', parameters('Export_sig'))]"
        );
        // A value ingest redacted whole is one secure parameter.
        let (v, _) = settle("***", &[], "/properties/Token", &mut params, &mut changes);
        assert_eq!(v, "[parameters('Token_secret')]");
        // A literal that starts with '[' stays a literal.
        let (v, expr) = settle(
            "[st1]",
            &[Edit::Text {
                from: "st1".into(),
                to: "st2".into(),
            }],
            "/properties/X",
            &mut params,
            &mut changes,
        );
        assert_eq!((v.as_str(), expr), ("[[st2]", false));
    }

    #[test]
    fn own_hosts_are_whole_host_names() {
        let hosts = vec![(
            "apim1.azure-api.net".to_string(),
            "apim2.azure-api.net".to_string(),
        )];
        let v = serde_json::json!({
            "a": "https://APIM1.azure-api.net/echo",
            "b": ["xapim1.azure-api.net", "apim1.azure-api.network", "v.apim1.azure-api.net"],
            "c": "apim1.azure-api.net"
        });
        let mut out = Vec::new();
        own_hosts(&v, "/properties", &hosts, &mut out);
        assert_eq!(
            out,
            vec![
                (
                    "/properties/a".to_string(),
                    Edit::Text {
                        from: "APIM1.azure-api.net".into(),
                        to: "apim2.azure-api.net".into()
                    }
                ),
                (
                    "/properties/c".to_string(),
                    Edit::Text {
                        from: "apim1.azure-api.net".into(),
                        to: "apim2.azure-api.net".into()
                    }
                ),
            ]
        );
    }
}
