//! The plan's source → target id map as one lookup structure: the
//! generator re-points template references through it and the orchestrator
//! re-points re-configured settings and checks templates with it, so the
//! mapping rule (an id itself, else its nearest moved resource ancestor
//! with the rest of its path kept) exists once.

use azrelo_arm::id::ResourceId;
use azrelo_arm::{IdIndex, find_resource_ids};

use crate::model::{IdMapping, Plan};

/// Source id → target id for every moved resource.
#[derive(Debug, Clone, Default)]
pub struct IdMap {
    index: IdIndex<ResourceId>,
}

/// A source id's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub target: String,
    /// Re-pointed through a moved ancestor (the id itself is not an entry:
    /// a NIC's ipConfiguration, a load balancer's pool, an extension on a
    /// moved resource).
    pub below: bool,
}

impl IdMap {
    /// The map of these entries (a source that is not a valid id is left
    /// out: no reference can name it).
    pub fn new<'a>(entries: impl IntoIterator<Item = &'a IdMapping>) -> IdMap {
        IdMap {
            index: entries
                .into_iter()
                .map(|m| (m.source.clone(), m.target.clone()))
                .collect(),
        }
    }

    /// The map of a plan.
    pub fn of(plan: &Plan) -> IdMap {
        IdMap::new(&plan.id_map)
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Every (source, target) entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&ResourceId, &str)> {
        self.index.iter().map(|(s, t)| (s, t.as_str()))
    }

    /// The target of exactly this source id (any spelling).
    pub fn target(&self, source: &str) -> Option<&str> {
        self.index.get(source).map(ResourceId::as_str)
    }

    /// The target of a source id: its entry, else — for an id below a moved
    /// resource that the plan does not list on its own (sub-resources,
    /// extensions on it) — its nearest moved resource ancestor's target
    /// followed by the rest of the path as written. Resource groups and
    /// subscriptions do not carry what lies in them. O(depth) lookups.
    pub fn map_id(&self, id: &ResourceId) -> Option<Mapped> {
        let (n, t) = self.index.get_within(id)?;
        let below = n < id.as_str().len();
        Some(Mapped {
            target: format!("{t}{}", &id.as_str()[n..]),
            below,
        })
    }

    /// [`IdMap::map_id`] of id text (`None` when it is not an id).
    pub fn map(&self, id: &str) -> Option<Mapped> {
        if let Some(t) = self.target(id) {
            return Some(Mapped {
                target: t.to_string(),
                below: false,
            });
        }
        self.map_id(&ResourceId::parse(id).ok()?)
    }

    /// Whether `id` is a source id of a moved resource or lies below one.
    pub fn is_moved(&self, id: &str) -> bool {
        self.index.contains(id)
            || ResourceId::parse(id).is_ok_and(|id| self.index.contains_within(&id))
    }

    /// Every id inside `text` that names a moved resource or lies below one,
    /// re-pointed to its target: `None` when nothing changes, else the new
    /// text and whether any id was re-pointed through an ancestor.
    pub fn rewrite(&self, text: &str) -> Option<(String, bool)> {
        let mut out = String::new();
        let mut at = 0;
        let mut below = false;
        for m in find_resource_ids(text) {
            if let Some(t) = self.map(m.text) {
                out.push_str(&text[at..m.range.start]);
                out.push_str(&t.target);
                at = m.range.end;
                below |= t.below;
            }
        }
        if at == 0 {
            return None;
        }
        out.push_str(&text[at..]);
        Some((out, below))
    }

    /// The first id in `text` that is a source id of a moved resource or
    /// lies below one, as written.
    pub fn first_source_in<'a>(&self, text: &'a str) -> Option<&'a str> {
        find_resource_ids(text)
            .find(|m| self.is_moved(m.text))
            .map(|m| m.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> IdMap {
        let entries: Vec<IdMapping> = pairs
            .iter()
            .map(|(s, t)| IdMapping {
                source: ResourceId::parse(s).unwrap(),
                target: ResourceId::parse(t).unwrap(),
            })
            .collect();
        IdMap::new(&entries)
    }

    const RG: &str = "/subscriptions/s1/resourceGroups/rg";
    const T: &str = "/subscriptions/s1/resourceGroups/rg-swedencentral";

    fn target(m: &IdMap, id: &str) -> Option<(String, bool)> {
        m.map(id).map(|m| (m.target, m.below))
    }

    #[test]
    fn sub_resources_follow_their_moved_parent_and_keep_their_path() {
        let lb = format!("{RG}/providers/Microsoft.Network/loadBalancers/lb1");
        let lb_t = format!("{T}/providers/Microsoft.Network/loadBalancers/lb1");
        let m = map(&[(&lb, &lb_t)]);
        // Exact: the id map.
        assert_eq!(target(&m, &lb), Some((lb_t.clone(), false)));
        // Below, in any case spelling: the parent's target + the path as written.
        let pool = format!("{}/backendAddressPools/Pool-A", lb.to_ascii_uppercase());
        assert_eq!(
            target(&m, &pool),
            Some((format!("{lb_t}/backendAddressPools/Pool-A"), true))
        );
        // A sibling whose name only starts like the parent's is not below it.
        let other = format!("{RG}/providers/Microsoft.Network/loadBalancers/lb10/probes/p");
        assert_eq!(target(&m, &other), None);
    }

    #[test]
    fn a_renamed_parent_changes_only_its_own_segment() {
        let sa = format!("{RG}/providers/Microsoft.Storage/storageAccounts/stshop");
        let sa_t = format!("{T}/providers/Microsoft.Storage/storageAccounts/stshopsec");
        let m = map(&[(&sa, &sa_t)]);
        let pec = format!("{sa}/privateEndpointConnections/stshop.pe-1");
        assert_eq!(
            target(&m, &pec),
            Some((
                format!("{sa_t}/privateEndpointConnections/stshop.pe-1"),
                true
            ))
        );
        // The nearest moved ancestor wins (a moved child has its own entry).
        let blob = format!("{sa}/blobServices/default");
        let blob_t = format!(
            "{T}/providers/Microsoft.Storage/storageAccounts/stshopsec/blobServices/default"
        );
        let m = map(&[(&sa, &sa_t), (&blob, &blob_t)]);
        assert_eq!(
            target(&m, &format!("{blob}/containers/c1")),
            Some((format!("{blob_t}/containers/c1"), true))
        );
    }

    #[test]
    fn extensions_follow_their_scope_but_groups_carry_nothing() {
        let kv = format!("{RG}/providers/Microsoft.KeyVault/vaults/kv1");
        let kv_t = format!("{T}/providers/Microsoft.KeyVault/vaults/kv1");
        let m = map(&[(&kv, &kv_t), (RG, T)]);
        let role = format!(
            "{kv}/providers/Microsoft.Authorization/roleDefinitions/b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
        );
        assert_eq!(
            target(&m, &role),
            Some((
                format!(
                    "{kv_t}/providers/Microsoft.Authorization/roleDefinitions/b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
                ),
                true
            ))
        );
        // A resource the plan keeps in a moved group stays where it is.
        let kept = format!("{RG}/providers/Microsoft.Web/sites/app1/slots/staging");
        assert_eq!(target(&m, &kept), None);
        assert_eq!(
            ResourceId::parse(&kept)
                .unwrap()
                .resource_ancestors()
                .collect::<Vec<_>>(),
            [&kept[..kept.len() - "/slots/staging".len()]]
        );
    }
    #[test]
    fn ids_map_exactly_or_through_their_nearest_moved_resource() {
        let rg = "/subscriptions/s/resourceGroups/rg";
        let lb = format!("{rg}/providers/Microsoft.Network/loadBalancers/lb1");
        let lb_t = format!("{rg}-t/providers/Microsoft.Network/loadBalancers/lb1");
        let m = map(&[(&lb, &lb_t), (rg, &format!("{rg}-t"))]);
        assert_eq!(m.target(&lb.to_ascii_uppercase()), Some(lb_t.as_str()));
        let pool = format!("{lb}/backendAddressPools/BE");
        assert_eq!(
            m.map(&pool),
            Some(Mapped {
                target: format!("{lb_t}/backendAddressPools/BE"),
                below: true
            })
        );
        // What lies in a moved group does not move with it; a name that only
        // starts like a moved one is another resource.
        assert_eq!(
            m.map(&format!("{rg}/providers/Microsoft.Web/sites/kept")),
            None
        );
        assert_eq!(m.map(&format!("{lb}0/probes/p")), None);
        let body = format!(
            r#"{{"pools":[{{"id":"{}"}}],"site":"{rg}/providers/Microsoft.Web/sites/kept"}}"#,
            pool.to_ascii_uppercase()
        );
        assert_eq!(
            m.first_source_in(&body),
            Some(pool.to_ascii_uppercase().as_str())
        );
        let (text, below) = m.rewrite(&body).unwrap();
        assert!(below);
        assert!(
            text.contains(&format!("{lb_t}/BACKENDADDRESSPOOLS/BE")),
            "{text}"
        );
        assert!(
            text.contains(&format!("{rg}/providers/Microsoft.Web/sites/kept")),
            "{text}"
        );
        assert_eq!(m.first_source_in(&text), None);
        assert_eq!(m.rewrite("no ids here"), None);
    }
}
