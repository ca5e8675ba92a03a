//! Referential integrity as ARM enforces it: references a PUT makes must
//! resolve (in resource groups the emulator holds), a resource others still
//! use cannot be deleted, and management locks ([`locks`]). A reference at
//! a path the type's schema marks read-only is a back-reference ARM
//! maintains itself: neither checked on PUT nor counted as use.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::StatusCode;
use axum::response::Response;
use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_arm::scan::find_resource_ids;
use serde_json::Value;

use crate::api::error;
use crate::state::{Inner, key};

pub(crate) mod locks;

/// One step of a JSON pointer.
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Index,
}

/// The JSON pointer (RFC 6901) of a path's shape: every array index is
/// written `0` (see [`read_only`]).
pub(crate) fn shape(path: &[Seg<'_>]) -> String {
    let mut p = String::new();
    for s in path {
        p.push('/');
        match s {
            Seg::Key(k) => p.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Seg::Index => p.push('0'),
        }
    }
    p
}

/// Whether the path is read-only for the type, memoised per type and
/// pointer shape: the schema patterns match an array element with `*` and
/// never name an index, so every element of an array answers alike. A
/// type's pattern list runs to hundreds (a NIC's), and every write of a
/// resource naming others asks.
pub(crate) fn read_only(flags: &'static azrelo_arm::schema::TypeFlags, path: &[Seg<'_>]) -> bool {
    type Memo = HashMap<(usize, String), bool>;
    static MEMO: std::sync::OnceLock<Mutex<Memo>> = std::sync::OnceLock::new();
    let k = (flags as *const _ as usize, shape(path));
    let memo = MEMO.get_or_init(Mutex::default);
    if let Some(&ro) = crate::state::lock(memo).get(&k) {
        return ro;
    }
    let ro = flags.is_read_only(&k.1);
    let mut m = crate::state::lock(memo);
    // Map keys in bodies are unbounded in principle: stay bounded.
    if m.len() >= 1 << 16 {
        m.clear();
    }
    m.insert(k, ro);
    ro
}

/// The lower-cased ids a resource uses (what keeps them from being
/// deleted): references in its properties except under `creationData`
/// (what a disk or snapshot was copied from — history) and at paths its
/// type's schema marks read-only (back-references ARM maintains and
/// detaches itself: a NIC's `virtualMachine`, a subnet's `ipConfigurations`,
/// a server's `privateEndpointConnections`; see
/// [`azrelo_arm::schema::SchemaFlags`]). A deployment record uses nothing:
/// what it lists (`outputResources`, outputs) is history too, and ARM
/// deletes those resources freely.
pub(crate) fn usage_references(body: &Value) -> std::collections::BTreeSet<String> {
    let ty = body
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default();
    let mut out = Vec::new();
    if ty.eq_ignore_ascii_case("Microsoft.Resources/deployments") {
        return Default::default();
    }
    let Some(p) = body.get("properties").and_then(|p| p.as_object()) else {
        return Default::default();
    };
    let flags = azrelo_arm::schema::SchemaFlags::embedded().get(ty);
    // What Azure Backup protects or registers is not in use by it: ARM
    // deletes a protected VM (its backups then fail) — only the policy an
    // item follows is.
    let backup = ty.eq_ignore_ascii_case(crate::types::PROTECTED_ITEMS)
        || ty.eq_ignore_ascii_case(crate::types::CONTAINERS);
    let mut path = vec![Seg::Key("properties")];
    for (name, v) in p {
        if name.eq_ignore_ascii_case("creationData")
            || (backup
                && (name.eq_ignore_ascii_case("sourceResourceId")
                    || name.eq_ignore_ascii_case("virtualMachineId")))
        {
            continue;
        }
        path.push(Seg::Key(name));
        references_at(v, &mut path, flags, &mut out);
        path.pop();
    }
    out.into_iter().map(|r| r.to_ascii_lowercase()).collect()
}

/// References to other resources inside a body's properties, except at
/// paths the type's schema marks read-only: ARM ignores read-only
/// properties in a request (a NIC read back with its `virtualMachine` and
/// written again does not make ARM resolve the VM).
pub(crate) fn references(body: &Value, resource_type: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(p) = body.get("properties") else {
        return out;
    };
    let flags = azrelo_arm::schema::SchemaFlags::embedded().get(resource_type);
    let mut path = vec![Seg::Key("properties")];
    references_at(p, &mut path, flags, &mut out);
    out
}

pub(crate) fn references_at<'a>(
    v: &'a Value,
    path: &mut Vec<Seg<'a>>,
    flags: Option<&'static azrelo_arm::schema::TypeFlags>,
    out: &mut Vec<String>,
) {
    match v {
        Value::String(s) => {
            let mut found = find_resource_ids(s).peekable();
            if found.peek().is_some() && !flags.is_some_and(|f| read_only(f, path)) {
                out.extend(found.map(|m| m.text.to_string()));
            }
        }
        Value::Array(a) => {
            for x in a {
                path.push(Seg::Index);
                references_at(x, path, flags, out);
                path.pop();
            }
        }
        Value::Object(m) => {
            for (name, x) in m {
                path.push(Seg::Key(name));
                references_at(x, path, flags, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// ARM's check of the references a PUT makes: a reference into a resource
/// group the emulator holds must resolve (`400 InvalidResourceReference`).
/// References to the resource itself or below it, to role and policy
/// definitions (they live above the group; ARM resolves group-scoped
/// spellings of them) and to deployments (records) are not checked, nor
/// are those of a type whose properties are opaque objects
/// ([`crate::types::Facts::opaque_references`]: a portal dashboard).
pub(crate) fn check_references(
    inner: &Inner,
    id: &ResourceId,
    resource_type: &str,
    body: &Value,
) -> Result<(), Box<Response>> {
    if crate::types::facts(resource_type).opaque_references {
        return Ok(());
    }
    for r in references(body, resource_type) {
        let Ok(rid) = ResourceId::parse(&r) else {
            continue;
        };
        if rid.as_str().eq_ignore_ascii_case(id.as_str()) || rid.is_within(id) {
            continue;
        }
        let Some(rg) = rid.resource_group_id() else {
            continue;
        };
        if !matches!(rid.kind(), IdKind::Resource | IdKind::Extension) {
            continue;
        }
        let rt = rid.type_or_scope_type();
        if rt
            .namespace()
            .eq_ignore_ascii_case("Microsoft.Authorization")
            || rt
                .as_str()
                .eq_ignore_ascii_case("Microsoft.Resources/deployments")
        {
            continue;
        }
        if inner.resources.contains_key(&key(rg.as_str())) && !inner.exists(&rid) {
            return Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                "InvalidResourceReference",
                format!(
                    "Resource {} referenced by resource {} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
                    rid.as_str(),
                    id.as_str()
                ),
                Some(id.as_str()),
            )));
        }
    }
    Ok(())
}

/// The check a DELETE of `id` (lower-cased `k`) makes: refused while
/// another resource uses it or one of its children.
pub(crate) fn check_in_use(inner: &Inner, id: &ResourceId, k: &str) -> Result<(), Box<Response>> {
    let prefix = format!("{k}/");
    // In use: another resource (not one being deleted with it, nor one being
    // deleted itself) refers to it or to one of its children at a writable
    // path. Where a disk or snapshot was copied from (`creationData`) is
    // history, not use; a reference at a read-only path is a back-reference
    // ARM maintains (a NIC's `virtualMachine`, a subnet's
    // `ipConfigurations`, a server's `privateEndpointConnections`): ARM
    // detaches those itself. The referrers come from the index
    // ([`usage_references`]): the resource's own entry and the range below
    // it (`k-other` sorts between `k` and `k/`, hence two lookups), in
    // order, so the answer names the same referrer every time.
    let referrers: std::collections::BTreeSet<&String> = inner
        .referrers
        .get(k)
        .into_iter()
        .flatten()
        .chain(
            inner
                .referrers
                .range(prefix.clone()..)
                .take_while(|(r, _)| r.starts_with(&prefix))
                .flat_map(|(_, by)| by),
        )
        .collect();
    for sk in referrers {
        // Not one being deleted with it, nor one being deleted itself.
        if sk == k || sk.starts_with(&prefix) {
            continue;
        }
        if inner.running.get(sk).is_some_and(|r| r.removing) {
            continue;
        }
        let Some(s) = inner.resources.get(sk) else {
            continue;
        };
        let ty = id.type_or_scope_type();
        if let Some(resp) = crate::disks::in_use(id, &s.id, &s.body) {
            return Err(Box::new(resp));
        }
        return Err(Box::new(error(
            StatusCode::CONFLICT,
            crate::types::facts(ty.as_str()).in_use,
            format!(
                "{} is in use by {} and cannot be deleted.",
                id.as_str(),
                s.id
            ),
            None,
        )));
    }
    Ok(())
}
