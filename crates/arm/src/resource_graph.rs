//! What Azure Resource Graph's `resources` table indexes, and therefore what
//! live discovery must read another way.
//!
//! The graph lists top-level resources and a documented set of child types
//! (SQL databases, VM extensions, gallery images, …; the embedded
//! `data/resource-graph-children.txt`). Every other child — blob containers
//! and file shares, event hubs and consumer groups, queues, topics and
//! subscriptions, Cosmos DB databases, Key Vault secrets, … — is invisible
//! to it, and extension resources (diagnostic settings, locks, role
//! assignments) live in other tables or none. Live discovery lists the
//! [`unindexed_child_types`] of each resource from the resource itself
//! (`GET {id}/{childType}`), and the emulator's Resource Graph answers
//! with [`indexes`] as Azure's does.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::id::{IdKind, ResourceId};

/// The embedded list (one lower-cased type per line, `#` comments).
pub const CHILDREN_TXT: &str = include_str!("../data/resource-graph-children.txt");

fn indexed_children() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        CHILDREN_TXT
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Whether a child type (`Namespace/parent/child…`) is one the graph's
/// `resources` table lists.
pub fn indexes_child_type(resource_type: &str) -> bool {
    indexed_children().contains(resource_type.to_ascii_lowercase().as_str())
}

/// Whether the resource `id` appears as a row of the graph's `resources`
/// table: a top-level resource does, a child only when its type is listed,
/// an extension resource or a scope never.
pub fn indexes(id: &ResourceId) -> bool {
    if id.kind() != IdKind::Resource {
        return false;
    }
    match id.resource_type() {
        Some(t) if t.depth() <= 1 => true,
        Some(t) => indexes_child_type(t.as_str()),
        None => false,
    }
}

/// The child types (their segment, lower-cased) that a resource of
/// `parent_type` can have and the graph does not list: what live discovery
/// reads from the parent. From the schema snapshot's types
/// ([`crate::schema::SchemaFlags`], the types with a PUT) and the types on
/// the way to them (a vault's `backupFabrics`, which has no PUT of its own
/// but lists the fabrics its protection containers live in); empty for a
/// type without such children.
pub fn unindexed_child_types(parent_type: &str) -> &'static [String] {
    static MAP: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    let map = MAP.get_or_init(|| {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for t in crate::schema::SchemaFlags::embedded().types() {
            // Every child type on the way: ns/a/b/c gives (ns/a, b) and
            // (ns/a/b, c).
            let segments: Vec<&str> = t.split('/').collect();
            for depth in 2..segments.len() {
                let parent = segments[..depth].join("/");
                let child = format!("{parent}/{}", segments[depth]);
                if indexes_child_type(&child) {
                    continue;
                }
                let v = m.entry(parent).or_default();
                if !v.iter().any(|c| c == segments[depth]) {
                    v.push(segments[depth].to_string());
                }
            }
        }
        for v in m.values_mut() {
            v.sort();
        }
        m
    });
    map.get(&parent_type.to_ascii_lowercase())
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ResourceId {
        ResourceId::parse(s).unwrap()
    }

    const RG: &str = "/subscriptions/s/resourceGroups/rg/providers";

    #[test]
    fn top_level_resources_and_listed_children_are_indexed() {
        assert!(indexes(&id(&format!(
            "{RG}/Microsoft.EventHub/namespaces/ns"
        ))));
        assert!(indexes(&id(&format!(
            "{RG}/Microsoft.Sql/servers/s/databases/db"
        ))));
        assert!(indexes(&id(&format!(
            "{RG}/Microsoft.Compute/virtualMachines/vm/extensions/x"
        ))));
        // Children the graph does not list, extensions, scopes.
        assert!(!indexes(&id(&format!(
            "{RG}/Microsoft.EventHub/namespaces/ns/eventhubs/h"
        ))));
        assert!(!indexes(&id(&format!(
            "{RG}/Microsoft.Storage/storageAccounts/sa/blobServices/default/containers/c"
        ))));
        assert!(!indexes(&id(&format!(
            "{RG}/Microsoft.Storage/storageAccounts/sa/providers/Microsoft.Insights/diagnosticSettings/d"
        ))));
        assert!(!indexes(&id("/subscriptions/s/resourceGroups/rg")));
    }

    #[test]
    fn unindexed_children_come_from_the_schema() {
        // A type on the way without a PUT of its own.
        let vault = unindexed_child_types("Microsoft.RecoveryServices/vaults");
        assert!(vault.iter().any(|c| c == "backupfabrics"), "{vault:?}");
        let ns = unindexed_child_types("Microsoft.EventHub/namespaces");
        assert!(
            ns.iter().any(|c| c.eq_ignore_ascii_case("eventhubs")),
            "{ns:?}"
        );
        let hubs = unindexed_child_types("microsoft.eventhub/namespaces/eventhubs");
        assert!(
            hubs.iter()
                .any(|c| c.eq_ignore_ascii_case("consumergroups")),
            "{hubs:?}"
        );
        let blob = unindexed_child_types("Microsoft.Storage/storageAccounts/blobServices");
        assert!(
            blob.iter().any(|c| c.eq_ignore_ascii_case("containers")),
            "{blob:?}"
        );
        // Listed children are not read again from the parent.
        let sql = unindexed_child_types("Microsoft.Sql/servers");
        assert!(
            !sql.iter().any(|c| c.eq_ignore_ascii_case("databases")),
            "{sql:?}"
        );
        assert!(unindexed_child_types("Microsoft.Nothing/here").is_empty());
    }

    #[test]
    fn the_list_is_sorted_lower_case_and_free_of_duplicates() {
        let lines: Vec<&str> = CHILDREN_TXT
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .collect();
        let mut sorted = lines.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(lines, sorted);
        assert!(
            lines
                .iter()
                .all(|l| *l == l.to_ascii_lowercase() && l.matches('/').count() >= 2)
        );
    }
}
