//! JSON path helpers for catalog template fixes (`a.b[*].c`).

use serde_json::{Map, Value};

pub(super) fn fill(v: &Value, region: &str, name: &str) -> Value {
    match v {
        Value::String(s) => Value::String(
            s.replace("{target_location}", region)
                .replace("{target_name}", name),
        ),
        other => other.clone(),
    }
}

/// Pointers (with `*`) matched in `v`, deepest-last, as concrete pointers.
pub(super) fn matches(v: &Value, path: &str) -> Vec<String> {
    fn walk(v: &Value, segs: &[&str], at: String, out: &mut Vec<String>) {
        let Some((first, rest)) = segs.split_first() else {
            out.push(at);
            return;
        };
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if *first == "*" || k.eq_ignore_ascii_case(first) {
                        walk(x, rest, format!("{at}/{k}"), out);
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    if *first == "*" || first.parse::<usize>() == Ok(i) {
                        walk(x, rest, format!("{at}/{i}"), out);
                    }
                }
            }
            _ => {}
        }
    }
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    let mut out = Vec::new();
    walk(v, &segs, String::new(), &mut out);
    out
}

pub(super) fn remove_at(v: &mut Value, path: &str) -> Vec<String> {
    let mut hits = matches(v, path);
    // Remove array elements from the back so indexes stay valid.
    hits.reverse();
    let mut done = Vec::new();
    for p in hits {
        let (parent, last) = match p.rfind('/') {
            Some(i) => (p[..i].to_string(), p[i + 1..].to_string()),
            None => continue,
        };
        let Some(container) = v.pointer_mut(&parent) else {
            continue;
        };
        let removed = match container {
            Value::Object(m) => m.shift_remove(&last).is_some(),
            Value::Array(a) => match last.parse::<usize>() {
                Ok(i) if i < a.len() => {
                    a.remove(i);
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if removed {
            done.push(p);
        }
    }
    done
}

pub(super) fn empty_at(v: &mut Value, path: &str) -> Vec<String> {
    let hits = matches(v, path);
    let mut done = Vec::new();
    for p in hits {
        if let Some(x) = v.pointer_mut(&p) {
            match x {
                Value::Array(a) if !a.is_empty() => {
                    a.clear();
                    done.push(p);
                }
                Value::Object(m) if !m.is_empty() => {
                    m.clear();
                    done.push(p);
                }
                _ => {}
            }
        }
    }
    done
}

pub(super) fn set_at(v: &mut Value, path: &str, value: Value) {
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    let mut cur = v;
    for (i, s) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        let Value::Object(m) = cur else { return };
        if last {
            m.insert((*s).to_string(), value);
            return;
        }
        cur = m
            .entry((*s).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}
