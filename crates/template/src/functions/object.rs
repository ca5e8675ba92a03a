//! Object functions (`createObject`, `intersection`, `union`, `shallowMerge`,
//! `objectKeys`, `items`, `json`): template-functions-object.md.

use super::*;
use comparison::culture_cmp;

pub(super) const NAMES: &[&str] = &[
    "createobject",
    "intersection",
    "union",
    "shallowmerge",
    "objectkeys",
    "items",
    "json",
];

pub(super) fn call(ev: &mut Evaluator<'_, '_>, c: &Call<'_>, v: Vec<Value>) -> R {
    let name = c.name;
    let text = c.text;
    let n = v.len();
    match c.lname {
        "createobject" => {
            if !n.is_multiple_of(2) {
                return Err(err(
                    "createObject() expects key/value pairs (an even number of arguments)",
                ));
            }
            let mut o = IndexMap::new();
            for pair in v.chunks(2) {
                o.insert(want_str(name, &pair[0])?.to_string(), pair[1].clone());
            }
            Ok(Value::Object(o))
        }
        "intersection" => {
            c.need(2, usize::MAX)?;
            match &v[0] {
                Value::Array(first) => {
                    let mut out: Vec<Value> = Vec::new();
                    for x in first {
                        ev.steps(out.len() as u64)?;
                        if out.contains(x) {
                            continue;
                        }
                        let mut all = true;
                        for other in &v[1..] {
                            let other = want_array(name, other)?;
                            ev.steps(other.len() as u64)?;
                            if !other.contains(x) {
                                all = false;
                                break;
                            }
                        }
                        if all {
                            out.push(x.clone());
                        }
                    }
                    Ok(Value::Array(out))
                }
                Value::Object(first) => {
                    let mut out = IndexMap::new();
                    'keys: for (k, x) in first {
                        for other in &v[1..] {
                            if want_object(name, other)?.get(k) != Some(x) {
                                continue 'keys;
                            }
                        }
                        out.insert(k.clone(), x.clone());
                    }
                    Ok(Value::Object(out))
                }
                other => Err(type_err(name, "Array or Object", other)),
            }
        }
        "union" => {
            c.need(1, usize::MAX)?;
            if v.iter().all(|x| matches!(x, Value::Array(_) | Value::Null)) {
                let mut out: Vec<Value> = Vec::new();
                for x in v.iter().filter_map(Value::as_array).flatten() {
                    ev.steps(out.len() as u64)?;
                    if !out.contains(x) {
                        out.push(x.clone());
                    }
                }
                Ok(Value::Array(out))
            } else if v
                .iter()
                .all(|x| matches!(x, Value::Object(_) | Value::Null | Value::Unknown(_)))
            {
                if v.iter().any(Value::is_unknown) {
                    return Ok(Value::unknown(text));
                }
                let mut out = IndexMap::new();
                for x in v.iter().filter_map(Value::as_object) {
                    deep_merge(ev, &mut out, x)?;
                }
                Ok(Value::Object(out))
            } else if v.iter().any(Value::is_unknown) {
                Ok(Value::unknown(text))
            } else {
                Err(err("union() expects only arrays or only objects"))
            }
        }
        "shallowmerge" => {
            c.need(1, 1)?;
            let mut out = IndexMap::new();
            for x in want_array(name, &v[0])? {
                match x {
                    Value::Object(o) => {
                        for (k, x) in o {
                            out.insert(k.clone(), x.clone());
                        }
                    }
                    Value::Unknown(_) => return Ok(Value::unknown(text)),
                    other => return Err(type_err(name, "Array of objects", other)),
                }
            }
            Ok(Value::Object(out))
        }
        "objectkeys" => {
            c.need(1, 1)?;
            match &v[0] {
                Value::Unknown(_) => Ok(Value::unknown(text)),
                x => Ok(Value::Array(
                    want_object(name, x)?
                        .keys()
                        .map(|k| Value::String(k.clone()))
                        .collect(),
                )),
            }
        }
        "items" => {
            c.need(1, 1)?;
            if v[0].is_unknown() {
                return Ok(Value::unknown(text));
            }
            let o = want_object(name, &v[0])?;
            let mut entries: Vec<(&String, &Value)> = o.iter().collect();
            // Culture-aware order as the engine sorts: case-insensitive, lower case first on ties.
            entries.sort_by(|a, b| culture_cmp(a.0, b.0));
            Ok(Value::Array(
                entries
                    .into_iter()
                    .map(|(k, x)| obj([("key", Value::String(k.clone())), ("value", x.clone())]))
                    .collect(),
            ))
        }
        "json" => {
            c.need(1, 1)?;
            let s = want_str(name, &v[0])?;
            json_value("json", s)
        }
        _ => Err(c.not_builtin()),
    }
}

/// Merge `from` into `into` recursively (objects merge, anything else is
/// replaced), keys matched case-insensitively.
fn deep_merge(
    ev: &mut Evaluator<'_, '_>,
    into: &mut IndexMap<String, Value>,
    from: &IndexMap<String, Value>,
) -> Result<(), EvalError> {
    for (k, v) in from {
        ev.steps(into.len() as u64)?;
        let existing = into.iter().position(|(ek, _)| ek.eq_ignore_ascii_case(k));
        match (existing, v) {
            (Some(i), Value::Object(src)) => {
                if let Some((_, Value::Object(dst))) = into.get_index_mut(i) {
                    deep_merge(ev, dst, src)?;
                } else if let Some((_, slot)) = into.get_index_mut(i) {
                    *slot = v.clone();
                }
            }
            (Some(i), _) => {
                if let Some((_, slot)) = into.get_index_mut(i) {
                    *slot = v.clone();
                }
            }
            (None, _) => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}
