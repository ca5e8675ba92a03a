//! Management locks (`Microsoft.Authorization/locks`) as ARM enforces them.
//!
//! learn.microsoft.com/azure/azure-resource-manager/management/lock-resources:
//! a lock at a scope applies to that scope and everything below it
//! (subscription → resource groups → resources → child resources);
//! `CanNotDelete` lets authorised users read and modify but not delete,
//! `ReadOnly` lets them read only (no PUT, PATCH or DELETE); deleting a
//! resource group fails when anything in it is locked ("the operation tries
//! to delete all the underlying resources first"). Creating or deleting the
//! lock itself is what unlocks, so locks never lock locks.
//!
//! ARM answers a locked operation `409 Conflict` with the code `ScopeLocked`
//! and the message "The scope '{scope}' cannot perform {delete|write}
//! operation because following scope(s) are locked: '{lock}'. Please remove
//! the lock and try again." (as quoted in learn.microsoft.com
//! azure/automation/troubleshoot/start-stop-vm for a write, and as the Azure
//! provider for Terraform reports it for a delete, naming the lock's id).
//!
//! Locks are rare: they are kept in an index by the scope they lock, and a
//! request checks its own id and its ancestors (one lookup per path segment)
//! plus, for a delete, the range of scopes below it — never a scan of the
//! stored resources.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

/// A lock's level (`properties.level`; `NotSpecified` locks nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    CanNotDelete,
    ReadOnly,
}

/// What a request does to its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// PUT, PATCH (and POST actions that write): refused under `ReadOnly`.
    Write,
    /// DELETE: refused under any lock, at, above or below the scope.
    Delete,
}

impl Op {
    fn word(self) -> &'static str {
        match self {
            Op::Write => "write",
            Op::Delete => "delete",
        }
    }
}

const LOCKS: &str = "/providers/microsoft.authorization/locks/";

/// Lower-cased scope → lower-cased lock id → (lock id as written, level).
#[derive(Debug, Default)]
pub(crate) struct LockIndex {
    by_scope: BTreeMap<String, BTreeMap<String, (String, Level)>>,
}

/// The scope a lock locks, if the lower-cased id `lower` is a lock
/// (`{scope}/providers/Microsoft.Authorization/locks/{name}`).
pub(crate) fn lock_scope(lower: &str) -> Option<&str> {
    let i = lower.rfind(LOCKS)?;
    let name = &lower[i + LOCKS.len()..];
    (i > 0 && !name.is_empty() && !name.contains('/')).then(|| &lower[..i])
}

fn level(body: &Value) -> Option<Level> {
    let l = body.pointer("/properties/level")?.as_str()?;
    if l.eq_ignore_ascii_case("ReadOnly") {
        Some(Level::ReadOnly)
    } else if l.eq_ignore_ascii_case("CanNotDelete") {
        Some(Level::CanNotDelete)
    } else {
        None
    }
}

impl LockIndex {
    /// Add (or remove) a stored resource: only locks are indexed.
    pub(crate) fn index(&mut self, id: &str, body: &Value, add: bool) {
        let k = id.to_ascii_lowercase();
        let Some(scope) = lock_scope(&k) else {
            return;
        };
        if add {
            if let Some(l) = level(body) {
                self.by_scope
                    .entry(scope.to_string())
                    .or_default()
                    .insert(k.clone(), (id.to_string(), l));
            }
        } else if let Some(m) = self.by_scope.get_mut(scope) {
            m.remove(&k);
            if m.is_empty() {
                self.by_scope.remove(scope);
            }
        }
    }

    /// The ids of the locks that forbid `op` on the lower-cased id `k`:
    /// locks at `k` or an ancestor scope (`ReadOnly` only for a write) and,
    /// for a delete, locks below `k`. A lock itself is never locked.
    pub(crate) fn blocking(&self, k: &str, op: Op) -> Vec<&str> {
        let mut out = Vec::new();
        if self.by_scope.is_empty() || lock_scope(k).is_some() {
            return out;
        }
        let applies = |l: Level| op == Op::Delete || l == Level::ReadOnly;
        let ancestors = k
            .match_indices('/')
            .map(|(i, _)| &k[..i])
            .filter(|a| !a.is_empty())
            .chain(std::iter::once(k));
        for a in ancestors {
            if let Some(m) = self.by_scope.get(a) {
                out.extend(
                    m.values()
                        .filter(|(_, l)| applies(*l))
                        .map(|(id, _)| id.as_str()),
                );
            }
        }
        if op == Op::Delete {
            let prefix = format!("{k}/");
            for (_, m) in self
                .by_scope
                .range(prefix.clone()..)
                .take_while(|(s, _)| s.starts_with(&prefix))
            {
                out.extend(m.values().map(|(id, _)| id.as_str()));
            }
        }
        out
    }

    /// ARM's `409 ScopeLocked` answer when a lock forbids `op` on `id`.
    pub(crate) fn check(&self, id: &str, op: Op) -> Result<(), Box<Response>> {
        let found = self.blocking(&id.to_ascii_lowercase(), op);
        if found.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = found.iter().map(|l| format!("'{l}'")).collect();
        Err(Box::new(crate::api::error(
            StatusCode::CONFLICT,
            "ScopeLocked",
            format!(
                "The scope '{id}' cannot perform {} operation because following scope(s) are locked: {}. Please remove the lock and try again.",
                op.word(),
                names.join(", ")
            ),
            None,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RG: &str = "/subscriptions/s/resourceGroups/rg";

    fn idx(locks: &[(&str, &str)]) -> LockIndex {
        let mut i = LockIndex::default();
        for (id, level) in locks {
            i.index(id, &json!({"properties": {"level": level}}), true);
        }
        i
    }

    #[test]
    fn a_lock_applies_to_its_scope_and_below_not_to_siblings() {
        let lock = format!("{RG}/providers/Microsoft.Authorization/locks/l");
        let i = idx(&[(&lock, "CanNotDelete")]);
        let vm =
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm";
        assert_eq!(i.blocking(vm, Op::Delete), vec![lock.as_str()]);
        assert!(i.blocking(vm, Op::Write).is_empty());
        // `rg-other` shares the prefix but not the scope.
        assert!(
            i.blocking("/subscriptions/s/resourcegroups/rg-other", Op::Delete)
                .is_empty()
        );
        // The subscription holds the locked group.
        assert_eq!(i.blocking("/subscriptions/s", Op::Delete).len(), 1);
        // The lock itself is not locked.
        assert!(
            i.blocking(&lock.to_ascii_lowercase(), Op::Delete)
                .is_empty()
        );
    }

    #[test]
    fn removing_a_lock_unlocks_and_not_specified_locks_nothing() {
        let lock = format!("{RG}/providers/Microsoft.Authorization/locks/l");
        let mut i = idx(&[(&lock, "ReadOnly")]);
        assert_eq!(
            i.blocking("/subscriptions/s/resourcegroups/rg", Op::Write)
                .len(),
            1
        );
        i.index(&lock, &json!({}), false);
        assert!(i.by_scope.is_empty());
        let i = idx(&[(&lock, "NotSpecified")]);
        assert!(i.by_scope.is_empty());
    }
}
