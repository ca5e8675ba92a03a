//! `--query`: a JMESPath expression applied to a command's JSON before it
//! is formatted, as the Azure CLI does (knack `query.py`: the result is
//! filtered by `jmespath.search(query, result, Options(OrderedDict))`, then
//! handed to the output format).
//!
//! The `jmespath` crate keeps objects in `BTreeMap`s (keys sorted). Python's
//! jmespath with `OrderedDict` keeps a multi-select hash (`{name: name,
//! id: id}`) in the order the expression names its keys, and objects taken
//! from the input in their input order; key order is what `-o tsv` columns
//! and `-o table` headers follow, so the result is converted back with
//! those orders ([`KeyOrders`]).

use jmespath::ast::Ast;
use jmespath::{Rcvar, Variable};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Validate a `--query` expression (clap's value parser): a syntax error is
/// a usage error with the position marked, as az reports it.
pub fn parse(s: &str) -> Result<String, String> {
    jmespath::compile(s)
        .map(|_| s.to_string())
        .map_err(|e| format!("not a JMESPath expression (https://jmespath.org):\n{e}"))
}

/// Key orders for objects of a query result.
#[derive(Debug, Default)]
struct KeyOrders {
    /// The key lists of the expression's multi-select hashes, by key set.
    hashes: HashMap<Vec<String>, Vec<String>>,
    /// The key order of the input's objects, by key set (first seen wins).
    input: HashMap<Vec<String>, Vec<String>>,
}

/// Which object key order a result is converted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Multi-select hashes in expression order, input objects in input
    /// order (JSON, YAML, table: what Python's ordered dicts print).
    Source,
    /// Multi-select hashes in expression order, every other object sorted
    /// by key: `-o tsv` (knack `_TsvOutput._dump_row` writes a plain dict's
    /// values sorted by key and an `OrderedDict`'s in insertion order).
    Tsv,
}

fn key_set<'a>(keys: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut k: Vec<String> = keys.cloned().collect();
    k.sort_unstable();
    k
}

impl KeyOrders {
    fn hashes_of(ast: &Ast, into: &mut HashMap<Vec<String>, Vec<String>>) {
        match ast {
            Ast::MultiHash { elements, .. } => {
                let keys: Vec<String> = elements.iter().map(|kv| kv.key.clone()).collect();
                into.entry(key_set(keys.iter())).or_insert(keys);
                for kv in elements {
                    Self::hashes_of(&kv.value, into);
                }
            }
            Ast::Comparison { lhs, rhs, .. }
            | Ast::And { lhs, rhs, .. }
            | Ast::Or { lhs, rhs, .. }
            | Ast::Projection { lhs, rhs, .. }
            | Ast::Subexpr { lhs, rhs, .. } => {
                Self::hashes_of(lhs, into);
                Self::hashes_of(rhs, into);
            }
            Ast::Condition {
                predicate, then, ..
            } => {
                Self::hashes_of(predicate, into);
                Self::hashes_of(then, into);
            }
            Ast::Expref { ast, .. } => Self::hashes_of(ast, into),
            Ast::Flatten { node, .. } | Ast::Not { node, .. } | Ast::ObjectValues { node, .. } => {
                Self::hashes_of(node, into)
            }
            Ast::Function { args, .. } | Ast::MultiList { elements: args, .. } => {
                for a in args {
                    Self::hashes_of(a, into);
                }
            }
            Ast::Identity { .. }
            | Ast::Field { .. }
            | Ast::Index { .. }
            | Ast::Literal { .. }
            | Ast::Slice { .. } => {}
        }
    }

    fn input_of(v: &Value, into: &mut HashMap<Vec<String>, Vec<String>>) {
        match v {
            Value::Object(m) => {
                let set = key_set(m.keys());
                into.entry(set)
                    .or_insert_with(|| m.keys().cloned().collect());
                for x in m.values() {
                    Self::input_of(x, into);
                }
            }
            Value::Array(a) => {
                for x in a {
                    Self::input_of(x, into);
                }
            }
            _ => {}
        }
    }

    fn order<'a>(&'a self, set: &[String], order: Order) -> Option<&'a Vec<String>> {
        self.hashes.get(set).or(match order {
            Order::Source => self.input.get(set),
            Order::Tsv => None,
        })
    }

    fn convert(&self, v: &Variable, order: Order) -> Value {
        match v {
            Variable::Null | Variable::Expref(_) => Value::Null,
            Variable::String(s) => Value::String(s.clone()),
            Variable::Bool(b) => Value::Bool(*b),
            Variable::Number(n) => Value::Number(n.clone()),
            Variable::Array(a) => Value::Array(a.iter().map(|x| self.convert(x, order)).collect()),
            Variable::Object(m) => {
                // The BTreeMap's keys are already sorted: they are the key set.
                let set: Vec<String> = m.keys().cloned().collect();
                let mut out = Map::with_capacity(m.len());
                match self.order(&set, order) {
                    Some(keys) => {
                        for k in keys {
                            if let Some(x) = m.get(k) {
                                out.insert(k.clone(), self.convert(x, order));
                            }
                        }
                    }
                    None => {
                        for (k, x) in m {
                            out.insert(k.clone(), self.convert(x, order));
                        }
                    }
                }
                Value::Object(out)
            }
        }
    }
}

/// Apply `expression` (validated by [`parse`]) to `input`. A runtime error
/// (e.g. a function given the wrong type) is returned as its message.
pub fn search(expression: &str, input: &Value, order: Order) -> Result<Value, String> {
    let expr = jmespath::compile(expression).map_err(|e| e.to_string())?;
    let data: Rcvar = Variable::from_serializable(input)
        .map(Rcvar::new)
        .map_err(|e| e.to_string())?;
    let result = expr.search(data).map_err(|e| e.to_string())?;
    let mut orders = KeyOrders::default();
    KeyOrders::hashes_of(expr.as_ast(), &mut orders.hashes);
    if order == Order::Source {
        KeyOrders::input_of(input, &mut orders.input);
    }
    Ok(orders.convert(&result, order))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[test]
    fn a_multi_select_hash_keeps_the_expression_order() {
        let input = json!([{"id": "/x", "name": "a", "location": "westeurope"}]);
        let r = search("[].{name: name, id: id}", &input, Order::Source).unwrap();
        assert_eq!(keys(&r[0]), ["name", "id"]);
        let r = search("[].{name: name, id: id}", &input, Order::Tsv).unwrap();
        assert_eq!(keys(&r[0]), ["name", "id"]);
    }

    #[test]
    fn input_objects_keep_their_order_except_for_tsv() {
        let input = json!({"items": [{"name": "a", "id": "/x", "zones": []}]});
        let r = search("items[0]", &input, Order::Source).unwrap();
        assert_eq!(keys(&r), ["name", "id", "zones"]);
        let r = search("items[0]", &input, Order::Tsv).unwrap();
        assert_eq!(keys(&r), ["id", "name", "zones"]);
    }

    #[test]
    fn functions_filters_and_projections_work_as_jmespath_says() {
        let input = json!([{"n": "b", "v": 2}, {"n": "a", "v": 1}, {"n": "c", "v": 3}]);
        assert_eq!(
            search("sort_by(@, &v)[].n", &input, Order::Source).unwrap(),
            json!(["a", "b", "c"])
        );
        assert_eq!(
            search("[?v > `1`].n | length(@)", &input, Order::Source).unwrap(),
            json!(2)
        );
        assert_eq!(
            search("[0].missing", &input, Order::Source).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn syntax_errors_mark_the_position_and_type_errors_are_reported() {
        let e = parse("[?name == ").unwrap_err();
        assert!(e.contains("JMESPath"), "{e}");
        assert!(e.contains('^'), "{e}");
        assert!(search("length(`1`)", &json!({}), Order::Source).is_err());
    }
}
