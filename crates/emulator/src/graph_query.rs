//! The Azure Resource Graph subset azrelo's discovery uses:
//! `resources` / `resourcecontainers` tables, `securityresources`
//! (Microsoft.Security records) and `authorizationresources` (role
//! assignments at every scope, management groups included: rows without a
//! subscription are returned to a query that names no subscription, as at
//! tenant scope), `where` with `==`, `!=`, `=~`,
//! `!~`, `in`, `in~`, `has`, `contains`, `startswith` on a column or a
//! member of one (`properties.principalId`), combined with `and` /
//! `or` (and binds tighter), `project`, `limit` / `take` / `top N`, and paging
//! with `$top` / `$skipToken`, and the endpoint that answers it
//! (`POST /providers/Microsoft.ResourceGraph/resources`).

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use azrelo_arm::id::{IdKind, ResourceId};
use serde_json::{Map, Value, json};

use crate::Emulator;
use crate::api::error;
use crate::state::TENANT;

/// A parse error, said the way ARG says it (`BadRequest` with the reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq,
    Ne,
    EqCi,
    NeCi,
    In,
    InCi,
    Has,
    Contains,
    StartsWith,
}

#[derive(Debug, Clone, PartialEq)]
struct Cmp {
    column: String,
    op: Op,
    values: Vec<String>,
}

/// `or` of `and`s of comparisons.
type Filter = Vec<Vec<Cmp>>;

/// The tables the emulator answers.
const TABLES: [&str; 4] = [
    "resources",
    "resourcecontainers",
    "securityresources",
    "authorizationresources",
];

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub table: String,
    filters: Vec<Filter>,
    project: Option<Vec<String>>,
    pub limit: Option<usize>,
}

fn split_pipes(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in q.chars() {
        match (quote, c) {
            (Some(qc), _) if c == qc => {
                quote = None;
                cur.push(c);
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.push(c);
            }
            (None, '|') => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|s| s.trim().to_string()).collect()
}

/// Tokens: words, quoted strings (unquoted here), operators, parentheses, commas.
fn tokens(s: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let mut j = i + 1;
            let mut v = String::new();
            while j < chars.len() && chars[j] != c {
                v.push(chars[j]);
                j += 1;
            }
            out.push((v, true));
            i = j + 1;
        } else if "(),".contains(c) {
            out.push((c.to_string(), false));
            i += 1;
        } else if "=!~<>".contains(c) {
            let mut j = i;
            let mut v = String::new();
            while j < chars.len() && "=!~<>".contains(chars[j]) {
                v.push(chars[j]);
                j += 1;
            }
            out.push((v, false));
            i = j;
        } else {
            let mut j = i;
            let mut v = String::new();
            while j < chars.len() && !chars[j].is_whitespace() && !"(),=!~<>'\"".contains(chars[j])
            {
                v.push(chars[j]);
                j += 1;
            }
            out.push((v, false));
            i = j;
        }
    }
    out
}

fn parse_where(s: &str) -> Result<Filter, QueryError> {
    let t = tokens(s);
    let mut i = 0;
    let mut or: Filter = vec![Vec::new()];
    while i < t.len() {
        let column = t[i].0.clone();
        let op_tok = t
            .get(i + 1)
            .ok_or_else(|| QueryError(format!("incomplete condition after '{column}'")))?;
        let op = match op_tok.0.to_ascii_lowercase().as_str() {
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "=~" => Op::EqCi,
            "!~" => Op::NeCi,
            "in" => Op::In,
            "in~" => Op::InCi,
            "has" => Op::Has,
            "contains" => Op::Contains,
            "startswith" => Op::StartsWith,
            other => {
                return Err(QueryError(format!(
                    "operator '{other}' is not supported by the emulator"
                )));
            }
        };
        i += 2;
        let mut values = Vec::new();
        let mut op = op;
        if matches!(op, Op::In | Op::InCi) {
            // `in~` may come tokenized as `in` `~`: case-insensitive.
            if t.get(i).is_some_and(|x| x.0 == "~") {
                op = Op::InCi;
                i += 1;
            }
            if t.get(i).map(|x| x.0.as_str()) != Some("(") {
                return Err(QueryError("'in' needs a parenthesized list".into()));
            }
            i += 1;
            while i < t.len() && t[i].0 != ")" {
                if t[i].0 != "," {
                    values.push(t[i].0.clone());
                }
                i += 1;
            }
            i += 1;
        } else {
            let v = t
                .get(i)
                .ok_or_else(|| QueryError(format!("missing value for '{column}'")))?;
            values.push(v.0.clone());
            i += 1;
        }
        match or.last_mut() {
            Some(group) => group.push(Cmp { column, op, values }),
            None => or.push(vec![Cmp { column, op, values }]),
        }
        match t.get(i).map(|x| x.0.to_ascii_lowercase()) {
            None => break,
            Some(w) if w == "and" => i += 1,
            Some(w) if w == "or" => {
                or.push(Vec::new());
                i += 1;
            }
            Some(w) => return Err(QueryError(format!("expected 'and' or 'or', found '{w}'"))),
        }
    }
    Ok(or)
}

impl Query {
    /// Parse the supported subset.
    pub fn parse(q: &str) -> Result<Query, QueryError> {
        let parts = split_pipes(q);
        let table = parts[0].to_ascii_lowercase();
        if !TABLES.contains(&table.as_str()) {
            return Err(QueryError(format!(
                "table '{}' is not supported ({})",
                parts[0],
                TABLES.join(", ")
            )));
        }
        let mut query = Query {
            table,
            filters: Vec::new(),
            project: None,
            limit: None,
        };
        for p in &parts[1..] {
            let (kw, rest) = p
                .split_once(char::is_whitespace)
                .unwrap_or((p.as_str(), ""));
            match kw.to_ascii_lowercase().as_str() {
                "where" => query.filters.push(parse_where(rest)?),
                "project" => {
                    query.project = Some(
                        rest.split(',')
                            .map(|c| c.trim().to_string())
                            .filter(|c| !c.is_empty())
                            .collect(),
                    )
                }
                "limit" | "take" | "top" => {
                    let n = rest.split_whitespace().next().unwrap_or("");
                    query.limit = Some(
                        n.parse()
                            .map_err(|_| QueryError(format!("'{n}' is not a row count")))?,
                    );
                }
                other => {
                    return Err(QueryError(format!(
                        "operator '{other}' is not supported by the emulator"
                    )));
                }
            }
        }
        Ok(query)
    }

    fn matches(&self, row: &Map<String, Value>) -> bool {
        self.filters.iter().all(|f| {
            f.iter().any(|and| {
                and.iter().all(|c| {
                    // `properties.principalId`: a member of a column.
                    let mut parts = c.column.split('.');
                    let head = parts.next().unwrap_or_default();
                    let found = row
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(head))
                        .map(|(_, v)| v)
                        .and_then(|mut v| {
                            for p in parts {
                                v = v
                                    .as_object()?
                                    .iter()
                                    .find(|(k, _)| k.eq_ignore_ascii_case(p))
                                    .map(|(_, x)| x)?;
                            }
                            Some(v)
                        });
                    let v = found
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            Value::Null => String::new(),
                            other => other.to_string(),
                        })
                        .unwrap_or_default();
                    let lv = v.to_ascii_lowercase();
                    let first = c.values.first().cloned().unwrap_or_default();
                    match c.op {
                        Op::Eq => v == first,
                        Op::Ne => v != first,
                        Op::EqCi => lv == first.to_ascii_lowercase(),
                        Op::NeCi => lv != first.to_ascii_lowercase(),
                        Op::In => c.values.contains(&v),
                        Op::InCi => c.values.iter().any(|x| x.eq_ignore_ascii_case(&v)),
                        Op::Has | Op::Contains => lv.contains(&first.to_ascii_lowercase()),
                        Op::StartsWith => lv.starts_with(&first.to_ascii_lowercase()),
                    }
                })
            })
        })
    }

    /// Filter and shape rows (in their order).
    pub fn run<'a>(&self, rows: impl Iterator<Item = &'a Map<String, Value>>) -> Vec<Value> {
        let mut out = Vec::new();
        for r in rows {
            if !self.matches(r) {
                continue;
            }
            let row = match &self.project {
                None => Value::Object(r.clone()),
                Some(cols) => Value::Object(
                    cols.iter()
                        .map(|c| {
                            let v = r
                                .iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case(c))
                                .map(|(_, v)| v.clone())
                                .unwrap_or(Value::Null);
                            (c.clone(), v)
                        })
                        .collect(),
                ),
            };
            out.push(row);
            if self.limit.is_some_and(|l| out.len() >= l) {
                break;
            }
        }
        out
    }
}

/// `POST /providers/Microsoft.ResourceGraph/resources`: rows in ARG's
/// shape (`type` and `resourceGroup` lower-cased as ARG returns them).
pub(crate) fn resource_graph(em: &Emulator, body: &Bytes) -> Response {
    let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let Some(q) = req.get("query").and_then(|q| q.as_str()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The request needs a 'query'.",
            None,
        );
    };
    let query = match crate::graph_query::Query::parse(q) {
        Ok(q) => q,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("Please provide a valid query: {}", e.0),
                None,
            );
        }
    };
    let subs: Vec<String> = req
        .get("subscriptions")
        .and_then(|s| s.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_ascii_lowercase))
                .collect()
        })
        .unwrap_or_default();
    let inner = em.lock();
    let now = em.clock.now();
    let rows: Vec<serde_json::Map<String, Value>> = inner
        .resources
        .values()
        .filter_map(|s| {
            let id = ResourceId::parse(&s.id).ok()?;
            let ty_of = || {
                s.body["type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase()
            };
            if query.table == "authorizationresources" {
                return authorization_row(&id, &s.body, &subs);
            }
            let sub = id.subscription_id()?.to_string();
            if !subs.is_empty() && !subs.contains(&sub.to_ascii_lowercase()) {
                return None;
            }
            // As Azure's graph: the `resources` table lists top-level
            // resources and the child types it documents, not every child.
            let wanted = match query.table.as_str() {
                "resourcecontainers" => id.kind() == IdKind::ResourceGroup,
                "securityresources" => ty_of().starts_with("microsoft.security/"),
                _ => azrelo_arm::resource_graph::indexes(&id),
            };
            if !wanted || s.body["type"] == "Microsoft.Resources/deployments" {
                return None;
            }
            // The graph indexes what a GET returns (no secrets).
            let b = &inner.view(&crate::state::key(&s.id), &s.body, now);
            let ty = if id.kind() == IdKind::ResourceGroup {
                "microsoft.resources/subscriptions/resourcegroups".to_string()
            } else {
                b["type"].as_str().unwrap_or_default().to_ascii_lowercase()
            };
            let mut m = serde_json::Map::new();
            m.insert("id".into(), json!(s.id));
            m.insert("name".into(), b.get("name").cloned().unwrap_or(Value::Null));
            m.insert("type".into(), json!(ty));
            m.insert("tenantId".into(), json!(TENANT));
            for k in [
                "kind",
                "location",
                "managedBy",
                "sku",
                "plan",
                "properties",
                "tags",
                "identity",
                "zones",
                "extendedLocation",
            ] {
                m.insert(k.into(), b.get(k).cloned().unwrap_or(Value::Null));
            }
            m.insert(
                "resourceGroup".into(),
                json!(id.resource_group().unwrap_or_default().to_ascii_lowercase()),
            );
            m.insert("subscriptionId".into(), json!(sub));
            Some(m)
        })
        .collect();
    let all = query.run(rows.iter());
    let total = all.len();
    let options = req.get("options").cloned().unwrap_or(Value::Null);
    let top = options
        .get("$top")
        .and_then(|t| t.as_u64())
        .map(|t| t.clamp(1, 1000) as usize)
        .unwrap_or(1000);
    let skip = options
        .get("$skipToken")
        .and_then(|t| t.as_str())
        .and_then(|t| t.parse::<usize>().ok())
        .or_else(|| {
            options
                .get("$skip")
                .and_then(|t| t.as_u64())
                .map(|t| t as usize)
        })
        .unwrap_or(0);
    let page: Vec<Value> = all.into_iter().skip(skip).take(top).collect();
    let mut resp = json!({
        "totalRecords": total,
        "count": page.len(),
        "data": page,
        "facets": [],
        "resultTruncated": "false",
    });
    if skip + top < total {
        resp["$skipToken"] = json!((skip + top).to_string());
    }
    (StatusCode::OK, axum::Json(resp)).into_response()
}

/// A role assignment as `authorizationresources` shows it: the scope,
/// principal and role in `properties`; one at a management group has no
/// subscription and is seen only by a query at tenant scope.
fn authorization_row(
    id: &ResourceId,
    body: &Value,
    subs: &[String],
) -> Option<serde_json::Map<String, Value>> {
    let ty = body["type"].as_str().unwrap_or_default();
    if !ty.eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments") {
        return None;
    }
    let sub = id.subscription_id().map(str::to_ascii_lowercase);
    match &sub {
        Some(s) if !subs.is_empty() && !subs.contains(s) => return None,
        None if !subs.is_empty() => return None,
        _ => {}
    }
    let scope = id.scope().map(|s| s.to_string()).unwrap_or_default();
    let mut props = body.get("properties").cloned().unwrap_or(json!({}));
    if props.get("scope").is_none() {
        props["scope"] = json!(scope);
    }
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!(id.as_str()));
    m.insert(
        "name".into(),
        body.get("name").cloned().unwrap_or(Value::Null),
    );
    m.insert(
        "type".into(),
        json!("microsoft.authorization/roleassignments"),
    );
    m.insert("tenantId".into(), json!(TENANT));
    m.insert("subscriptionId".into(), json!(sub.unwrap_or_default()));
    m.insert(
        "resourceGroup".into(),
        json!(id.resource_group().unwrap_or_default().to_ascii_lowercase()),
    );
    m.insert("properties".into(), props);
    Some(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_filters() {
        let rows: Vec<Map<String, Value>> = [
            json!({"id": "/a", "name": "kv1", "type": "microsoft.keyvault/vaults", "resourceGroup": "rg-data", "location": "westeurope"}),
            json!({"id": "/b", "name": "vnet", "type": "microsoft.network/virtualnetworks", "resourceGroup": "rg-net", "location": "westeurope"}),
            json!({"id": "/c", "name": "st1", "type": "microsoft.storage/storageaccounts", "resourceGroup": "RG-DATA", "location": "northeurope"}),
        ]
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect();
        let q = Query::parse("resources | where resourceGroup =~ 'rg-data' and location == 'westeurope' | project id, name").unwrap();
        assert_eq!(q.run(rows.iter()), vec![json!({"id": "/a", "name": "kv1"})]);
        let q = Query::parse("Resources | where type in~ ('Microsoft.KeyVault/vaults', 'microsoft.storage/storageaccounts') | limit 1").unwrap();
        assert_eq!(q.run(rows.iter()).len(), 1);
        let q = Query::parse("resources | where name startswith 'st' or name has 'vne'").unwrap();
        assert_eq!(q.run(rows.iter()).len(), 2);
        let ra: Vec<Map<String, Value>> =
            [json!({"id": "/r", "properties": {"principalId": "ABC"}})]
                .into_iter()
                .map(|v| v.as_object().unwrap().clone())
                .collect();
        let q = Query::parse(
            "authorizationresources | where properties.principalId in~ ('abc', 'def')",
        )
        .unwrap();
        assert_eq!(q.run(ra.iter()).len(), 1);
        assert!(Query::parse("resources | summarize count()").is_err());
        assert!(Query::parse("securityresources").is_ok());
        assert!(Query::parse("advisorresources").is_err());
    }
}
