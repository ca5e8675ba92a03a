//! `-o tsv`: tab-separated values without headers, as the Azure CLI writes
//! them (knack `output.py`, `format_tsv` and `_TsvOutput`):
//!
//! * a result that is not a list is one row;
//! * a row that is an object is its values — sorted by key, except for a
//!   `--query` multi-select hash (`{name: name, id: id}`), whose values
//!   follow the expression — and a row that is a list is its elements;
//! * a value inside a row that is a list is written as its length, an
//!   object as an empty field, `null` as `None` and a boolean as
//!   `True`/`False` (Python's `str()`); a row that is itself a boolean is
//!   `true`/`false`;
//! * strings are written as they are (a tab or newline inside one is not
//!   escaped, as in az).
//!
//! The caller passes objects already in column order: [`write()`] with
//! `sort_keys` sorts them (no query), a query result comes ordered.

use serde_json::Value;

fn field(v: &Value, out: &mut String) {
    match v {
        Value::Array(a) => out.push_str(&a.len().to_string()),
        Value::Object(_) => {}
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(s),
    }
}

fn row(v: &Value, sort_keys: bool, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut values: Vec<(&String, &Value)> = m.iter().collect();
            if sort_keys {
                values.sort_by(|a, b| a.0.cmp(b.0));
            }
            for (i, (_, x)) in values.into_iter().enumerate() {
                if i > 0 {
                    out.push('\t');
                }
                field(x, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push('\t');
                }
                field(x, out);
            }
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        other => field(other, out),
    }
    out.push('\n');
}

/// The TSV text of a result (every row ends with a newline).
pub fn write(v: &Value, sort_keys: bool) -> String {
    let mut out = String::new();
    match v {
        Value::Array(rows) => {
            for r in rows {
                row(r, sort_keys, &mut out);
            }
        }
        other => row(other, sort_keys, &mut out),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::write;
    use serde_json::json;

    #[test]
    fn rows_and_fields_follow_knack() {
        let v = json!([
            {"name": "a", "id": "/x", "zones": ["1", "2"], "tags": {"k": "v"}, "ok": true, "none": null, "n": 1.5},
            {"name": "b", "id": "/y", "zones": [], "tags": {}, "ok": false, "none": null, "n": 2}
        ]);
        // Sorted by key: id, n, name, none, ok, tags, zones.
        assert_eq!(
            write(&v, true),
            "/x\t1.5\ta\tNone\tTrue\t\t2\n/y\t2\tb\tNone\tFalse\t\t0\n"
        );
        // A query's multi-select hash arrives in column order.
        assert_eq!(write(&json!([{"name": "a", "id": "/x"}]), false), "a\t/x\n");
    }

    #[test]
    fn scalars_and_lists_are_rows_of_their_own() {
        assert_eq!(write(&json!("westeurope"), true), "westeurope\n");
        assert_eq!(write(&json!(true), true), "true\n");
        assert_eq!(write(&json!(null), true), "None\n");
        assert_eq!(write(&json!(["a", "b"]), true), "a\nb\n");
        assert_eq!(
            write(&json!([["a", 1, [1, 2]], ["b", 2, []]]), true),
            "a\t1\t2\nb\t2\t0\n"
        );
        assert_eq!(write(&json!([]), true), "");
    }
}
