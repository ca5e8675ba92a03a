//! Pass 1: selection — scopes and include/exclude filters.

use super::*;

impl Builder<'_, '_> {
    /// The user's selection.
    pub(super) fn select(&mut self) {
        let opts = self.inp.opts;
        for (i, r) in self.inp.estate.resources.iter().enumerate() {
            let in_scope = opts.scopes.is_empty() || opts.scopes.iter().any(|s| r.id.is_within(s));
            if !in_scope {
                continue;
            }
            if !opts.include.is_empty() && !opts.include.iter().any(|f| f.matches(r)) {
                continue;
            }
            if opts.exclude.iter().any(|f| f.matches(r)) {
                continue;
            }
            let n = self.inp.res_node[i];
            if n != u32::MAX {
                self.add(n, ReasonKind::Selected, None);
            }
        }
    }
}
