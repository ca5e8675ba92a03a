//! Re-pointing ids inside a body through the plan's id map, with the
//! change recorded for `azrelo diff`.

use serde_json::{Map, Value};

use super::*;

/// The change recorded for a re-pointed string or key.
pub(super) fn reference_change(pointer: String, below: bool) -> Change {
    Change {
        pointer,
        kind: ChangeKind::Reference,
        detail: if below {
            "re-pointed to the target resource (a sub-resource of a moved resource: its path below the parent is kept)".into()
        } else {
            "re-pointed to the target resource".into()
        },
    }
}

/// Object keys that hold ids (tag keys such as `hidden-link:{id}` that App
/// Service and Application Insights use, maps keyed by resource id) are
/// re-pointed like any string; order is kept.
pub(super) fn repoint_keys(
    ctx: &Ctx<'_>,
    m: &mut Map<String, Value>,
    pointer: &str,
    changes: &mut Vec<Change>,
) {
    if !m.keys().any(|k| ctx.rewrite_str(k).is_some()) {
        return;
    }
    for (k, x) in std::mem::take(m) {
        match ctx.rewrite_str(&k) {
            Some((nk, below)) => {
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                changes.push(reference_change(p, below));
                m.insert(nk, x);
            }
            None => {
                m.insert(k, x);
            }
        }
    }
}

/// Re-point ids in every string and key of a member outside `properties`
/// (tags, `extendedLocation`, …): no secret or read-only handling there.
pub(super) fn repoint_all(ctx: &Ctx<'_>, v: &mut Value, pointer: &str, changes: &mut Vec<Change>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                repoint_all(ctx, x, &p, changes);
            }
            repoint_keys(ctx, m, pointer, changes);
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                repoint_all(ctx, x, &format!("{pointer}/{i}"), changes);
            }
        }
        Value::String(s) => {
            if let Some((n, below)) = ctx.rewrite_str(s) {
                changes.push(reference_change(pointer.to_string(), below));
                *s = n;
            }
        }
        _ => {}
    }
}

pub(super) fn collect_refs(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, f)),
        Value::Object(m) => m.values().for_each(|x| collect_refs(x, f)),
        _ => {}
    }
}
