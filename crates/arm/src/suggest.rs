//! "Did you mean": the known region or resource type closest to a
//! spelling that names none (edit distance, `strsim`).

use crate::availability::Availability;
use crate::region::{Region, Regions, normalize};
use std::collections::HashMap;

impl Regions {
    /// Regions whose name is close to a spelling that names none ("did
    /// you mean"): at most three, closest first, physical regions before
    /// logical ones at the same distance. Empty when nothing is close.
    ///
    /// ```
    /// let regions = azrelo_arm::Regions::embedded();
    /// let s: Vec<&str> = regions.suggest("westeurop").iter().map(|r| r.name.as_str()).collect();
    /// assert_eq!(s.first(), Some(&"westeurope"));
    /// assert_eq!(regions.suggest("Sweden Centrl")[0].name, "swedencentral");
    /// assert!(regions.suggest("zzzzzzzzzzzzzzzzzzzz").is_empty());
    /// ```
    pub fn suggest(&self, spelling: &str) -> Vec<&Region> {
        let want = normalize(spelling);
        if want.is_empty() {
            return Vec::new();
        }
        let mut best: HashMap<usize, usize> = HashMap::new();
        for (key, i) in self.index_entries() {
            let d = strsim::damerau_levenshtein(&want, key);
            let e = best.entry(i).or_insert(d);
            *e = (*e).min(d);
        }
        let limit = (want.chars().count() / 3).clamp(1, 4);
        let mut close: Vec<(usize, bool, usize)> = best
            .into_iter()
            .filter(|&(_, d)| d <= limit)
            .map(|(i, d)| (d, !self.all()[i].is_physical(), i))
            .collect();
        close.sort_unstable();
        close
            .into_iter()
            .take(3)
            .map(|(_, _, i)| &self.all()[i])
            .collect()
    }
}

impl Availability {
    /// Resource types whose name is close to one the snapshot does not
    /// know ("did you mean"): at most three, closest first (case-insensitive
    /// edit distance, at most one edit per ten characters, three at most).
    ///
    /// ```
    /// let a = azrelo_arm::Availability::embedded();
    /// assert_eq!(a.suggest_types("Microsoft.Storage/storageAcounts"), ["Microsoft.Storage/storageAccounts"]);
    /// assert!(a.suggest_types("Contoso.Nothing/atAll").is_empty());
    /// ```
    pub fn suggest_types(&self, resource_type: &str) -> Vec<String> {
        let want = resource_type.trim().to_ascii_lowercase();
        if want.is_empty() {
            return Vec::new();
        }
        let limit = (want.len() / 10).clamp(1, 3);
        let mut close: Vec<(usize, String)> = self
            .types()
            .filter_map(|t| {
                let name = t.resource_type();
                // Cheap bound first: lengths too far apart cannot be close.
                if name.len().abs_diff(want.len()) > limit {
                    return None;
                }
                let d = strsim::damerau_levenshtein(&want, &name.to_ascii_lowercase());
                (d <= limit).then_some((d, name))
            })
            .collect();
        close.sort();
        close.dedup_by(|a, b| a.1.eq_ignore_ascii_case(&b.1));
        close.into_iter().take(3).map(|(_, n)| n).collect()
    }
}
