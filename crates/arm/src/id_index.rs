//! Maps keyed by resource id, looked up by id *text* (as found in a template
//! or a scanned string) without parsing or lower-casing it: ARM's
//! case-insensitive comparison is the map's, so callers never write
//! `to_ascii_lowercase()` to build or query a key.

use std::hash::{Hash, Hasher};

use crate::id::{ResourceId, hash_ci};

/// Id text as a map key: hashed and compared as ARM compares ids.
#[derive(Debug, Clone, Copy)]
struct IdText<'a>(&'a str);

impl Hash for IdText<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_ci(self.0, state);
    }
}

impl hashbrown::Equivalent<ResourceId> for IdText<'_> {
    fn equivalent(&self, key: &ResourceId) -> bool {
        self.0.eq_ignore_ascii_case(key.as_str())
    }
}

/// What an [`IdIndex`] is queried with: a `ResourceId` or id text.
pub trait IdKey {
    /// The id as written.
    fn id_text(&self) -> &str;
}

impl IdKey for str {
    fn id_text(&self) -> &str {
        self
    }
}

impl IdKey for String {
    fn id_text(&self) -> &str {
        self
    }
}

impl IdKey for ResourceId {
    fn id_text(&self) -> &str {
        self.as_str()
    }
}

impl<T: IdKey + ?Sized> IdKey for &T {
    fn id_text(&self) -> &str {
        (**self).id_text()
    }
}

/// A map from resource ids to `V`.
#[derive(Debug, Clone)]
pub struct IdIndex<V> {
    map: hashbrown::HashMap<ResourceId, V>,
}

impl<V> Default for IdIndex<V> {
    fn default() -> Self {
        IdIndex {
            map: hashbrown::HashMap::new(),
        }
    }
}

impl<V> IdIndex<V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        IdIndex {
            map: hashbrown::HashMap::with_capacity(n),
        }
    }

    /// Insert; returns the previous value of an equal id.
    pub fn insert(&mut self, id: ResourceId, v: V) -> Option<V> {
        self.map.insert(id, v)
    }

    /// The value of `id` (a `ResourceId`, or id text in any spelling).
    pub fn get<K: IdKey + ?Sized>(&self, id: &K) -> Option<&V> {
        self.map.get(&IdText(id.id_text()))
    }

    /// The entry (stored id, value) of `id`.
    pub fn get_key_value<K: IdKey + ?Sized>(&self, id: &K) -> Option<(&ResourceId, &V)> {
        self.map.get_key_value(&IdText(id.id_text()))
    }

    pub fn get_mut<K: IdKey + ?Sized>(&mut self, id: &K) -> Option<&mut V> {
        self.map.get_mut(&IdText(id.id_text()))
    }

    pub fn contains<K: IdKey + ?Sized>(&self, id: &K) -> bool {
        self.map.contains_key(&IdText(id.id_text()))
    }

    /// The entry of `id` itself, else of its nearest resource ancestor
    /// ([`ResourceId::resource_ancestors`]): returns the length of the
    /// matched prefix of `id`'s text (`id.as_str().len()` for `id` itself)
    /// and the value.
    pub fn get_within(&self, id: &ResourceId) -> Option<(usize, &V)> {
        std::iter::once(id.as_str())
            .chain(id.resource_ancestors())
            .find_map(|p| self.get(p).map(|v| (p.len(), v)))
    }

    /// Whether `id` or one of its resource ancestors is in the map.
    pub fn contains_within(&self, id: &ResourceId) -> bool {
        self.get_within(id).is_some()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ResourceId, &V)> {
        self.map.iter()
    }

    pub fn keys(&self) -> impl Iterator<Item = &ResourceId> {
        self.map.keys()
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.map.values()
    }
}

impl<V> FromIterator<(ResourceId, V)> for IdIndex<V> {
    fn from_iter<I: IntoIterator<Item = (ResourceId, V)>>(iter: I) -> Self {
        IdIndex {
            map: iter.into_iter().collect(),
        }
    }
}

impl<V> Extend<(ResourceId, V)> for IdIndex<V> {
    fn extend<I: IntoIterator<Item = (ResourceId, V)>>(&mut self, iter: I) {
        self.map.extend(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ResourceId {
        ResourceId::parse(s).unwrap()
    }

    #[test]
    fn lookups_ignore_case_and_walk_resource_ancestors_only() {
        let rg = "/subscriptions/s/resourceGroups/rg";
        let lb = format!("{rg}/providers/Microsoft.Network/loadBalancers/lb1");
        let mut m = IdIndex::new();
        m.insert(id(&lb), 1);
        m.insert(id(rg), 2);
        assert_eq!(m.get(&lb.to_ascii_uppercase()), Some(&1));
        assert_eq!(m.get(&format!("{lb}0")), None);
        let pool = id(&format!("{lb}/backendAddressPools/BE"));
        assert_eq!(m.get_within(&pool), Some((lb.len(), &1)));
        let diag = id(&format!(
            "{lb}/backendAddressPools/be/providers/Microsoft.Insights/diagnosticSettings/d"
        ));
        assert_eq!(m.get_within(&diag), Some((lb.len(), &1)));
        // A resource in a mapped group is not within the group's entry.
        let kept = id(&format!("{rg}/providers/Microsoft.Web/sites/kept"));
        assert_eq!(m.get_within(&kept), None);
        assert!(!m.contains_within(&id(&format!(
            "{rg}/providers/Microsoft.Network/loadBalancers/lb10/probes/p"
        ))));
    }

    #[test]
    fn resource_ancestors_are_parents_and_the_extended_resource() {
        let vm =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm";
        let ext = id(&format!(
            "{vm}/extensions/e/providers/Microsoft.Authorization/locks/l"
        ));
        let a: Vec<&str> = ext.resource_ancestors().collect();
        assert_eq!(a, [format!("{vm}/extensions/e"), vm.to_string()]);
        assert_eq!(id(vm).resource_ancestors().count(), 0);
        let lock_on_rg =
            id("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Authorization/locks/l");
        assert_eq!(lock_on_rg.resource_ancestors().count(), 0);
    }
}
