//! Azure's built-in role definitions (`Microsoft.Authorization/roleDefinitions`
//! with `roleType: BuiltInRole`): GUID → role name and description, from the
//! embedded `data/builtin-roles.tsv` (provenance in its header and in
//! `data/README.md`).
//!
//! A role assignment names its role by definition id
//! (`/subscriptions/S/providers/Microsoft.Authorization/roleDefinitions/GUID`,
//! or the tenant-level `/providers/…` form); built-in roles have the same
//! GUID in every subscription and tenant, so the GUID alone finds the name.
//! Custom roles are not in the table: [`builtin_role`] answers `None`.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

/// The embedded table (see the module docs).
pub const BUILTIN_ROLES_TSV: &str = include_str!("../data/builtin-roles.tsv");

/// One built-in role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinRole {
    /// The role definition GUID, lower case.
    pub guid: &'static str,
    /// `roleName` (e.g. `Key Vault Secrets User`).
    pub name: &'static str,
    /// `description`, whitespace collapsed.
    pub description: &'static str,
}

struct Table {
    roles: Vec<BuiltinRole>,
    by_guid: HashMap<&'static str, usize>,
    as_of: &'static str,
}

/// Why a line of a role table is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("builtin-roles.tsv line {line}: {message}")]
pub struct RoleTableError {
    pub line: usize,
    pub message: String,
}

fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

/// Parse a table in the embedded format: `#` comment lines, then
/// `guid<TAB>name<TAB>description` per line, GUIDs lower case and unique.
pub fn parse_table(text: &str) -> Result<Vec<(&str, &str, &str)>, RoleTableError> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let err = |message: String| RoleTableError {
            line: i + 1,
            message,
        };
        let mut cols = line.split('\t');
        let (Some(guid), Some(name), Some(description), None) =
            (cols.next(), cols.next(), cols.next(), cols.next())
        else {
            return Err(err("expected three tab-separated columns".into()));
        };
        if !is_guid(guid) {
            return Err(err(format!("'{guid}' is not a lower-case GUID")));
        }
        if name.trim().is_empty() {
            return Err(err(format!("role {guid} has no name")));
        }
        if !seen.insert(guid) {
            return Err(err(format!("role {guid} is listed twice")));
        }
        out.push((guid, name, description));
    }
    Ok(out)
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The embedded file is checked by this crate's tests; a failure here
        // is a build defect, not bad input.
        let rows = parse_table(BUILTIN_ROLES_TSV)
            .unwrap_or_else(|e| panic!("the embedded built-in role table is invalid: {e}"));
        let roles: Vec<BuiltinRole> = rows
            .into_iter()
            .map(|(guid, name, description)| BuiltinRole {
                guid,
                name,
                description,
            })
            .collect();
        let by_guid = roles.iter().enumerate().map(|(i, r)| (r.guid, i)).collect();
        let as_of = BUILTIN_ROLES_TSV
            .lines()
            .take_while(|l| l.starts_with('#'))
            .find_map(|l| l.rsplit_once("as of ").map(|(_, d)| d.trim()))
            .unwrap_or("unknown");
        Table {
            roles,
            by_guid,
            as_of,
        }
    })
}

/// The GUID of a role definition id (its last segment), lower case.
pub fn role_guid(role_definition_id: &str) -> String {
    role_definition_id
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(role_definition_id)
        .to_ascii_lowercase()
}

/// The built-in role a role definition id (or bare GUID) names, if any.
pub fn builtin_role(role_definition_id: &str) -> Option<&'static BuiltinRole> {
    let t = table();
    t.by_guid
        .get(role_guid(role_definition_id).as_str())
        .map(|&i| &t.roles[i])
}

/// The role's display name: the built-in role's name, or the GUID for a
/// role the table does not know (a custom role).
pub fn role_display_name(role_definition_id: &str) -> String {
    builtin_role(role_definition_id)
        .map(|r| r.name.to_string())
        .unwrap_or_else(|| role_guid(role_definition_id))
}

/// Every built-in role, sorted by GUID.
pub fn builtin_roles() -> &'static [BuiltinRole] {
    &table().roles
}

/// The date of the embedded table (from its header).
pub fn builtin_roles_as_of() -> &'static str {
    table().as_of
}

/// Turn the output of `az role definition list -o json` (an array of role
/// definitions, or ARM's `{"value": [...]}` list body) into the table rows
/// of the embedded format, built-in roles only, sorted by GUID. Used by the
/// `refresh_builtin_roles` example.
pub fn table_rows_from_definitions(body: &Value) -> Result<String, String> {
    let list = match body {
        Value::Array(a) => a,
        Value::Object(o) => o
            .get("value")
            .and_then(Value::as_array)
            .ok_or("expected an array of role definitions or an object with `value`")?,
        _ => return Err("expected an array of role definitions".into()),
    };
    let mut rows = Vec::new();
    for d in list {
        // `az` flattens `properties`; ARM's own body nests them.
        let p = d.get("properties").unwrap_or(d);
        if p.get("roleType").and_then(Value::as_str) != Some("BuiltInRole") {
            continue;
        }
        let guid = d
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .ok_or("a role definition without `name`")?;
        let clean = |k: &str| {
            p.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        rows.push((guid, clean("roleName"), clean("description")));
    }
    rows.sort();
    rows.dedup_by(|a, b| a.0 == b.0);
    Ok(rows
        .into_iter()
        .map(|(g, n, d)| format!("{g}\t{n}\t{d}\n"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_parses_and_knows_the_common_roles() {
        assert!(parse_table(BUILTIN_ROLES_TSV).is_ok());
        assert!(builtin_roles().len() > 500, "{}", builtin_roles().len());
        // learn.microsoft.com/azure/role-based-access-control/built-in-roles
        assert_eq!(
            builtin_role("8e3af657-a8ff-443c-a75c-2fe8c4bcb635").map(|r| r.name),
            Some("Owner")
        );
        assert_eq!(
            builtin_role(
                "/subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11/providers/Microsoft.Authorization/roleDefinitions/4633458B-17DE-408A-B874-0445C86B69E6"
            )
            .map(|r| r.name),
            Some("Key Vault Secrets User")
        );
        assert_eq!(
            role_display_name(
                "/providers/Microsoft.Authorization/roleDefinitions/9b7fa17d-e63e-47b0-bb0a-15c516ac86ec"
            ),
            "SQL DB Contributor"
        );
        assert_eq!(
            role_display_name("11111111-2222-3333-4444-555555555555"),
            "11111111-2222-3333-4444-555555555555"
        );
        assert_eq!(builtin_roles_as_of(), "2026-08-22");
    }

    #[test]
    fn bad_tables_are_refused_with_the_line() {
        let e = parse_table("# x\nnot-a-guid\tOwner\td\n").unwrap_err();
        assert_eq!(e.line, 2);
        let g = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
        assert!(parse_table(&format!("{g}\tOwner\n")).is_err());
        assert!(parse_table(&format!("{g}\tOwner\td\n{g}\tOwner\td\n")).is_err());
        assert!(parse_table(&format!("{g}\t \td\n")).is_err());
    }

    #[test]
    fn rows_from_az_role_definition_list() {
        let body = serde_json::json!([
            {"name": "ACDD72A7-3385-48ef-bd42-f606fba81ae7", "roleName": "Reader", "roleType": "BuiltInRole",
             "description": "View all resources,\n but does not allow you to make any changes."},
            {"name": "0c6f2c3a-0000-4000-8000-000000000000", "roleName": "Mine", "roleType": "CustomRole", "description": "x"},
            {"name": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "properties": {"roleName": "Owner", "roleType": "BuiltInRole", "description": "All."}}
        ]);
        let rows = table_rows_from_definitions(&body).unwrap();
        assert_eq!(
            rows,
            "8e3af657-a8ff-443c-a75c-2fe8c4bcb635\tOwner\tAll.\nacdd72a7-3385-48ef-bd42-f606fba81ae7\tReader\tView all resources, but does not allow you to make any changes.\n"
        );
        assert!(parse_table(&rows).is_ok());
        assert!(table_rows_from_definitions(&serde_json::json!("x")).is_err());
    }
}
