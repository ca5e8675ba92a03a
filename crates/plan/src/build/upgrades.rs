//! Upgrades of retired SKUs/features (catalog `upgrades`): resolved against
//! the source body into the concrete edits the generator applies and the
//! plan shows (a warning finding with the behaviour changes).

use azrelo_catalog::{ResourceView, Severity, Upgrade, UpgradeAction};
use serde_json::Value;

use crate::model::{Finding, PlannedUpgrade, UpgradeChange};

/// The value at a JSON pointer (`/sku/name`), members matched
/// case-insensitively as ARM does.
fn value_at<'v>(view: &'v dyn ResourceView, path: &str) -> Option<&'v Value> {
    let mut segs = path
        .strip_prefix('/')?
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"));
    let mut cur = view.member(&segs.next()?)?;
    for s in segs {
        cur = match cur {
            Value::Array(a) => a.get(s.parse::<usize>().ok()?)?,
            v => v.member(&s)?,
        };
    }
    Some(cur)
}

/// The upgrade's edits resolved against the source: each edit's source
/// value and successor value; edits that change nothing (an address that
/// is already static) are left out. An error names a source value the
/// catalog has no successor for.
///
/// `referrers(id, types)`: the ids of the resources of those types that
/// reference `id` (for `referrer` edits).
pub(super) fn resolve(
    up: &Upgrade,
    view: &dyn ResourceView,
    referrers: &dyn Fn(&str, &[String]) -> Vec<String>,
) -> Result<PlannedUpgrade, String> {
    let mut edits = Vec::new();
    for e in &up.edits {
        let from = value_at(view, &e.path).cloned();
        let to = match e.action {
            UpgradeAction::Set => e.value.clone(),
            UpgradeAction::Remove => None,
            UpgradeAction::Referrer => {
                let Some(id) = from.as_ref().and_then(Value::as_str) else {
                    return Err(format!("{} names no resource", e.path));
                };
                let mut found = referrers(id, &e.referrers);
                found.sort();
                found.dedup();
                match found.as_slice() {
                    [one] => Some(Value::String(one.clone())),
                    [] => {
                        return Err(format!(
                            "no {} in the inputs references {id}, so there is nothing for the successor to target",
                            e.referrers.join(" or ")
                        ));
                    }
                    many => {
                        return Err(format!(
                            "{} resources reference {id} ({}); the successor targets one each: create one per resource",
                            many.len(),
                            many.join(", ")
                        ));
                    }
                }
            }
            UpgradeAction::Map => {
                let Some(src) = from.as_ref() else {
                    // Nothing to map: the successor's default applies.
                    continue;
                };
                let key = src.as_str().map_or_else(|| src.to_string(), str::to_string);
                let Some((_, v)) = e.map.iter().find(|(k, _)| k.eq_ignore_ascii_case(&key)) else {
                    return Err(format!(
                        "{} is '{key}', which the catalog maps to no successor value (known: {})",
                        e.path,
                        e.map.keys().cloned().collect::<Vec<_>>().join(", ")
                    ));
                };
                Some(v.clone())
            }
        };
        let same = match (&from, &to) {
            (Some(Value::String(a)), Some(Value::String(b))) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        };
        if same {
            continue;
        }
        edits.push(UpgradeChange {
            path: e.path.clone(),
            from,
            to,
            reason: e.reason.clone(),
        });
    }
    Ok(PlannedUpgrade {
        id: up.id.clone(),
        to: up.to.clone(),
        edits,
    })
}

/// The plan's finding for an upgrade that applies: a warning (the move
/// proceeds, as the successor) with the behaviour changes, or a blocker
/// when it cannot be resolved.
pub(super) fn finding(up: &Upgrade, resource: &str, unresolved: Option<&str>) -> Finding {
    match unresolved {
        None => Finding {
            severity: Severity::Warning,
            code: up.id.clone(),
            resource: Some(resource.to_string()),
            message: format!(
                "{} Relocated as {}; behaviour changes: {}",
                up.message,
                up.to,
                up.behaviour_changes
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("({}) {c}", i + 1))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            remediation: format!(
                "{} The run stops at an approve-upgrade gate before this resource's move until you approve the upgraded design. Sources: {}",
                up.remediation,
                up.sources.join(", ")
            ),
        },
        Some(why) => Finding {
            severity: Severity::Blocker,
            code: up.id.clone(),
            resource: Some(resource.to_string()),
            message: format!(
                "{} It cannot be relocated as {} automatically: {why}.",
                up.message, up.to
            ),
            remediation: up.remediation.clone(),
        },
    }
}
