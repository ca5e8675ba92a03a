//! Source cleanup: delete the sources of committed resources, dependents
//! first, keeping (and reporting) what a lock protects and whatever a kept
//! source still uses.
use std::collections::HashSet;

use serde_json::{Value, json};

use azrelo_arm::vocab::{self, api};
use azrelo_journal::StepOutcome;

use super::*;

impl<A: Arm> Engine<A> {
    /// Locks that currently apply: the estate's (if they still exist) and
    /// whatever ARM lists at the subscriptions involved.
    pub(super) async fn live_locks(&self) -> Result<Vec<(String, String, String)>, StepError> {
        let mut out: Vec<(String, String, String)> = Vec::new();
        let mut seen = HashSet::new();
        for l in &self.plan.locks {
            if let Some(b) = self.arm.get(&l.id, api::LOCKS).await? {
                let level = b
                    .pointer("/properties/level")
                    .and_then(Value::as_str)
                    .unwrap_or(&l.level)
                    .to_string();
                seen.insert(l.id.to_ascii_lowercase());
                out.push((l.id.clone(), l.scope.clone(), level));
            }
        }
        let subs: HashSet<String> = self
            .plan
            .units
            .iter()
            .filter_map(|u| {
                u.source_id
                    .as_ref()
                    .map(ResourceId::as_str)?
                    .split('/')
                    .nth(2)
                    .map(str::to_ascii_lowercase)
            })
            .collect();
        for s in subs {
            let path = format!("/subscriptions/{s}/providers/{}", vocab::LOCKS);
            // The emulator (and restricted callers) may not list locks; the
            // estate's locks above still apply.
            let Ok(list) = self.arm.list(&path, api::LOCKS).await else {
                continue;
            };
            for b in list {
                let Some(id) = b.get("id").and_then(Value::as_str) else {
                    continue;
                };
                if !seen.insert(id.to_ascii_lowercase()) {
                    continue;
                }
                let Some((scope, _)) = id
                    .rsplit_once("/providers/Microsoft.Authorization/locks/")
                    .or_else(|| {
                        let l = id.to_ascii_lowercase();
                        l.find("/providers/microsoft.authorization/locks/")
                            .map(|p| (&id[..p], ""))
                    })
                else {
                    continue;
                };
                let level = b
                    .pointer("/properties/level")
                    .and_then(Value::as_str)
                    .unwrap_or("CanNotDelete")
                    .to_string();
                out.push((id.to_string(), scope.to_string(), level));
            }
        }
        Ok(out)
    }

    /// `cleanup-source`: delete the sources of committed resources,
    /// dependents first. Refuses unless every resource of the scope is
    /// committed (and so verified); a source under a CanNotDelete/ReadOnly
    /// lock is reported and kept; nothing outside the plan is touched; a
    /// resource group is deleted only when nothing is left in it.
    pub async fn cleanup_source(
        &self,
        scope: &[String],
        confirm: bool,
    ) -> Result<Vec<ActionRow>, EngineError> {
        let sel = self.selected(scope)?;
        let views: Vec<UnitView> = (0..self.plan.units.len())
            .map(|i| self.view(i))
            .collect::<Result<_, _>>()
            .map_err(step_to_engine)?;
        let not_committed: Vec<String> = sel
            .iter()
            .filter(|&&i| !views[i].state.is_committed())
            .map(|&i| format!("{} ({})", self.plan.units[i].key, views[i].state.as_str()))
            .collect();
        if !not_committed.is_empty() {
            let n = not_committed.len();
            let mut list: Vec<String> = not_committed.into_iter().take(10).collect();
            list.sort();
            return Err(EngineError::Refused(format!(
                "{n} resource(s) of the scope are not committed, so no source is deleted: {}{}",
                list.join(", "),
                if n > 10 { ", …" } else { "" }
            )));
        }
        // A gate of the whole run that holds the source cleanup (a manual
        // step of a procedure: switch the clients over, keep the default
        // workspace, …) must be closed first.
        let open_shared: Vec<String> = {
            let snap = Snapshot::new(self.journal.steps(RUN)?);
            self.plan
                .shared_gates()
                .into_iter()
                .filter(|g| g.stage == azrelo_plan::GateStage::Cleanup && !snap.gate_closed(&g.id))
                .map(|g| g.id.clone())
                .collect()
        };
        if !open_shared.is_empty() {
            return Err(EngineError::Refused(format!(
                "gate(s) {} hold the source cleanup: do what they say, close them with `azrelo gate done`, then run cleanup-source again",
                open_shared.join(", ")
            )));
        }
        let locks = self.live_locks().await.map_err(step_to_engine)?;
        let n = self.plan.units.len();
        // Why each source of the scope stays, before anything is deleted.
        let mut reason: Vec<Option<String>> = vec![None; n];
        let mut gone: HashSet<usize> = HashSet::new();
        for &i in &sel {
            let u = &self.plan.units[i];
            let Some(src) = u.source_id.as_ref().map(ResourceId::as_str) else {
                continue;
            };
            let own_open: Vec<&str> = views[i]
                .open_gates_cleanup
                .iter()
                .map(String::as_str)
                .collect();
            reason[i] = if !own_open.is_empty() {
                Some(format!(
                    "gate(s) {} hold its cleanup: close them with `azrelo gate done` first",
                    own_open.join(", ")
                ))
            } else if vocab::is(&u.resource_type, "Microsoft.OperationalInsights/workspaces")
                && u.source_id
                    .as_ref()
                    .and_then(|s| s.name())
                    .is_some_and(azrelo_plan::is_default_workspace)
            {
                // Seed 000: "It's recommended that you don't delete the
                // default workspace for Defender": Defender for Cloud stores
                // the VMs' security data there.
                Some("Defender for Cloud's default workspace: never deleted (without it Defender cannot collect the machines' security data and some recommendations and alerts disappear)".into())
            } else if u.kind == UnitKind::Reconfigure {
                Some("re-configured in place: it is the target".into())
            } else if u.kind == UnitKind::Owned {
                // Checked after the deletions: its owner's (or its parent's)
                // deletion takes it along; azrelo never deletes it.
                None
            } else if u.kind == UnitKind::Manual {
                // The operator relocated it; they may have removed the
                // source too (e.g. stopped backup protection).
                match self.arm.get(src, &u.api_version).await {
                    Ok(None) => {
                        gone.insert(i);
                        None
                    }
                    Err(e) if e.is_crash() => return Err(EngineError::Crashed),
                    _ => Some("not automated: delete the source yourself".into()),
                }
            } else if !self.plan.planned_sources.contains(src) {
                Some("not in the plan".into())
            } else if vocab::is(&u.resource_type, vocab::LOCKS) {
                Some("a management lock: azrelo never deletes locks; remove it yourself".into())
            } else {
                locks
                    .iter()
                    .find(|(_, s, level)| {
                        within(src, s)
                            && (level.eq_ignore_ascii_case("CanNotDelete")
                                || level.eq_ignore_ascii_case("ReadOnly"))
                    })
                    .map(|(id, _, level)| format!("locked by {id} ({level})"))
            };
        }
        // A source that stays keeps what it uses (its parent or scope, what
        // its estate body refers to) — until a fixpoint.
        let mut uses: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (j, u) in self.plan.units.iter().enumerate() {
            if u.kind == UnitKind::Reconfigure {
                // Re-pointed at the targets: it no longer uses the sources.
                continue;
            }
            uses[j].extend(u.source_refs.iter().copied());
        }
        // So does an estate resource no unit stands for: one the plan keeps
        // in place (a VPN connection, a workspace the target region does
        // not offer), or a child below a source that stays.
        for e in &self.plan.estate_users {
            if let Some(b) = e.below {
                uses[b].extend(e.uses.iter().copied());
                continue;
            }
            for &i in &e.uses {
                if reason[i].is_none() && !gone.contains(&i) {
                    reason[i] = Some(format!(
                        "still used by {}, which the plan leaves in place",
                        e.id
                    ));
                }
            }
        }
        // An owned source goes with its owner: keeping it keeps nothing.
        let mut work: Vec<usize> = (0..n)
            .filter(|&i| {
                reason[i].is_some()
                    && !matches!(
                        self.plan.units[i].kind,
                        UnitKind::Reconfigure | UnitKind::Owned
                    )
            })
            .collect();
        while let Some(j) = work.pop() {
            for &i in &uses[j] {
                if reason[i].is_none()
                    && !gone.contains(&i)
                    && self.plan.units[i].source_id.is_some()
                {
                    let by = &self.plan.units[j];
                    reason[i] = Some(format!(
                        "still used by {}, which is kept",
                        by.source_id.as_ref().unwrap_or(&by.key)
                    ));
                    work.push(i);
                }
            }
        }
        let mut rows = Vec::new();
        let mut to_delete: Vec<(usize, String)> = Vec::new();
        // Owned sources: gone with their owner, or kept with it.
        let mut owned: Vec<(usize, String)> = Vec::new();
        // Groups go last: one is deleted only when nothing is left in it.
        let mut groups: Vec<(usize, String)> = Vec::new();
        // The preview walks the same decisions, in the same order, as the
        // confirmed run (kept and already-gone sources as met, then the
        // deletions, then the groups): what it lists is what `--confirm`
        // does, barring changes in between.
        let mut would_delete: Vec<(usize, ActionRow)> = Vec::new();
        for &i in self.plan.order.iter().rev() {
            if !sel.contains(&i) || views[i].state == State::Done {
                continue;
            }
            let u = &self.plan.units[i];
            let Some(src) = u.source_id.as_ref().map(ResourceId::to_string) else {
                continue;
            };
            let why = if sel.contains(&i) {
                reason[i].clone()
            } else {
                None
            };
            if !confirm {
                if why.is_some() {
                    rows.push(ActionRow {
                        unit: src,
                        outcome: RowOutcome::WouldKeep,
                        detail: why,
                    });
                } else if gone.contains(&i) {
                    rows.push(ActionRow {
                        unit: src,
                        outcome: RowOutcome::WouldDelete,
                        detail: Some("already gone".into()),
                    });
                } else if u.kind == UnitKind::Owned {
                    owned.push((i, src));
                } else if vocab::is(&u.resource_type, vocab::RESOURCE_GROUPS) {
                    groups.push((i, src));
                } else {
                    would_delete.push((
                        i,
                        ActionRow {
                            unit: src,
                            outcome: RowOutcome::WouldDelete,
                            detail: None,
                        },
                    ));
                }
                continue;
            }
            if why.is_none() && u.kind == UnitKind::Owned {
                owned.push((i, src));
                continue;
            }
            let name = step_name(u, step::CLEANUP);
            if let Some(why) = why {
                // Already recorded as kept for the same reason: nothing new.
                let same = views[i].state == State::SourceKept
                    && views[i].note.as_deref() == Some(why.as_str());
                if same {
                    rows.push(ActionRow {
                        unit: src,
                        outcome: RowOutcome::Kept,
                        detail: Some(why),
                    });
                    continue;
                }
                self.write_intent(&name, &json!({"op": "keep-source", "source": src}))
                    .map_err(step_to_engine)?;
                self.write_result(&name, StepOutcome::Skipped, &json!({"note": why}))
                    .map_err(step_to_engine)?;
                rows.push(ActionRow {
                    unit: src,
                    outcome: RowOutcome::Kept,
                    detail: Some(why),
                });
                continue;
            }
            if gone.contains(&i) {
                self.write_intent(&name, &json!({"op": "delete-source", "source": src}))
                    .map_err(step_to_engine)?;
                self.write_result(
                    &name,
                    StepOutcome::Succeeded,
                    &json!({"deleted": false, "note": "already gone"}),
                )
                .map_err(step_to_engine)?;
                rows.push(ActionRow {
                    unit: src,
                    outcome: RowOutcome::Deleted,
                    detail: Some("already gone".into()),
                });
                continue;
            }
            if vocab::is(&u.resource_type, vocab::RESOURCE_GROUPS) {
                groups.push((i, src));
            } else {
                to_delete.push((i, src));
            }
        }
        if !confirm {
            // What the deletions take with them: the sources, the disk
            // mover's snapshots, and whatever lies below them.
            let mut deleted: Vec<String> = Vec::new();
            for (i, r) in would_delete {
                deleted.push(r.unit.to_ascii_lowercase());
                deleted.extend(
                    self.mover_snapshots(&self.plan.units[i], &r.unit)
                        .into_iter()
                        .map(|s| s.to_ascii_lowercase()),
                );
                rows.push(r);
            }
            // Owned sources, as the confirmed run finds them after the
            // deletions: gone when they lie below a deleted source or their
            // owner's source is deleted (or are gone already), else kept.
            for (i, src) in owned {
                let u = &self.plan.units[i];
                let lower = src.to_ascii_lowercase();
                let below = |d: &String| lower == *d || lower.starts_with(&format!("{d}/"));
                let owner_source = u
                    .owned
                    .as_ref()
                    .and_then(|o| o.owner_target.as_ref())
                    .and_then(|t| self.plan.units.iter().find(|o| o.target_id == *t))
                    .and_then(|o| o.source_id.as_ref())
                    .map(|s| s.as_str().to_ascii_lowercase());
                let present = self
                    .arm
                    .get(&src, owned_api(u))
                    .await
                    .map_err(|e| step_to_engine(e.into()))?
                    .is_some();
                let goes = !present
                    || deleted.iter().any(below)
                    || owner_source.is_some_and(|o| deleted.contains(&o));
                let by = owned_by(u);
                rows.push(if goes {
                    deleted.push(lower);
                    ActionRow {
                        unit: src,
                        outcome: RowOutcome::WouldDelete,
                        detail: Some(format!("{by}: gone with its owner")),
                    }
                } else {
                    ActionRow {
                        unit: src,
                        outcome: RowOutcome::WouldKeep,
                        detail: Some(owned_kept(&by)),
                    }
                });
            }
            for (_, src) in groups {
                let left = self
                    .arm
                    .list(&format!("{src}/resources"), api::RESOURCE_GROUPS)
                    .await
                    .map_err(|e| step_to_engine(e.into()))?
                    .iter()
                    .filter_map(|b| b.get("id").and_then(Value::as_str))
                    .filter(|id| {
                        let id = id.to_ascii_lowercase();
                        !deleted
                            .iter()
                            .any(|d| id == *d || id.starts_with(&format!("{d}/")))
                    })
                    .count();
                rows.push(if left > 0 {
                    ActionRow {
                        unit: src,
                        outcome: RowOutcome::WouldKeep,
                        detail: Some(group_kept(left)),
                    }
                } else {
                    ActionRow {
                        unit: src,
                        outcome: RowOutcome::WouldDelete,
                        detail: None,
                    }
                });
            }
            return Ok(rows);
        }
        // Dependents first; a delete refused because something still uses
        // the source (409: an order the target graph does not show) is
        // tried again after the others, as long as each pass makes progress.
        let mut pass = to_delete;
        loop {
            let mut deferred = Vec::new();
            let mut progress = false;
            for (i, src) in pass {
                match self.cleanup_one(i, &src).await? {
                    Ok(row) => {
                        progress = true;
                        rows.push(row);
                    }
                    Err(e) if matches!(&e, StepError::Arm(a) if a.status == Some(409)) => {
                        deferred.push((i, src, e.message()));
                    }
                    Err(e) => rows.push(ActionRow {
                        unit: src,
                        outcome: RowOutcome::DeleteFailed,
                        detail: Some(e.message()),
                    }),
                }
            }
            if deferred.is_empty() {
                break;
            }
            if !progress {
                for (i, src, m) in deferred {
                    // ARM names what still uses it: when that stays (the
                    // plan leaves it in place, or it lies below a source
                    // that is kept — a child the inputs did not list), the
                    // source stays with it, as if the plan had known.
                    match self.user_that_stays(&src, &m, &reason) {
                        Some(user) => {
                            let why = format!(
                                "still used by {user}, which stays (ARM refuses the deletion: {m})"
                            );
                            let name = step_name(&self.plan.units[i], step::CLEANUP);
                            self.write_intent(&name, &json!({"op": "keep-source", "source": src}))
                                .map_err(step_to_engine)?;
                            self.write_result(&name, StepOutcome::Skipped, &json!({"note": why}))
                                .map_err(step_to_engine)?;
                            rows.push(ActionRow {
                                unit: src,
                                outcome: RowOutcome::Kept,
                                detail: Some(why),
                            });
                        }
                        None => rows.push(ActionRow {
                            unit: src,
                            outcome: RowOutcome::DeleteFailed,
                            detail: Some(m),
                        }),
                    }
                }
                break;
            }
            pass = deferred.into_iter().map(|(i, s, _)| (i, s)).collect();
        }
        for (i, src) in owned {
            rows.push(self.owned_source(i, &src).await?);
        }
        for (i, src) in groups {
            match self.cleanup_one(i, &src).await? {
                Ok(row) => rows.push(row),
                Err(e) => rows.push(ActionRow {
                    unit: src,
                    outcome: RowOutcome::DeleteFailed,
                    detail: Some(e.message()),
                }),
            }
        }
        Ok(rows)
    }

    /// The resource an ARM "in use" refusal of `src` names, when it stays:
    /// no unit of the plan covers it, it lies below a source that is kept
    /// (`reason`), or it is an owned resource (azrelo never deletes one)
    /// its owner's deletion did not take along — an App Service managed
    /// certificate on its plan, which the operator deletes after the move.
    fn user_that_stays(
        &self,
        src: &str,
        message: &str,
        reason: &[Option<String>],
    ) -> Option<String> {
        azrelo_arm::scan::find_resource_ids(message)
            .map(|m| m.id())
            .filter(|id| !id.as_str().eq_ignore_ascii_case(src))
            .find(|id| match self.plan.by_source.get_within(id) {
                None => true,
                Some((_, &j)) => reason[j].is_some() || self.plan.units[j].kind == UnitKind::Owned,
            })
            .map(|id| id.to_string())
    }

    /// An owned source after the deletions: gone with its owner (or the
    /// resource it is installed on), or still there because they stay.
    /// Journaled like a deletion; never a DELETE call.
    async fn owned_source(&self, i: usize, src: &str) -> Result<ActionRow, EngineError> {
        let u = &self.plan.units[i];
        let name = step_name(u, step::CLEANUP);
        self.write_intent(&name, &json!({"op": "owned-source", "source": src}))
            .map_err(step_to_engine)?;
        let present = match self.arm.get(src, owned_api(u)).await {
            Ok(b) => b.is_some(),
            Err(e) if e.is_crash() => return Err(EngineError::Crashed),
            Err(e) => {
                let e = StepError::from(e);
                self.write_result(&name, StepOutcome::Failed, &e.detail())
                    .map_err(step_to_engine)?;
                return Ok(ActionRow {
                    unit: src.to_string(),
                    outcome: RowOutcome::DeleteFailed,
                    detail: Some(e.message()),
                });
            }
        };
        let by = owned_by(u);
        if present {
            let note = owned_kept(&by);
            self.write_result(&name, StepOutcome::Skipped, &json!({"note": note}))
                .map_err(step_to_engine)?;
            Ok(ActionRow {
                unit: src.to_string(),
                outcome: RowOutcome::Kept,
                detail: Some(note),
            })
        } else {
            let note = format!("{by}: gone with its owner");
            self.write_result(
                &name,
                StepOutcome::Succeeded,
                &json!({"deleted": false, "note": note}),
            )
            .map_err(step_to_engine)?;
            Ok(ActionRow {
                unit: src.to_string(),
                outcome: RowOutcome::Deleted,
                detail: Some(note),
            })
        }
    }

    /// Delete one unit's source, journaled (intent, call, result): the row
    /// when it was deleted or kept, the error (recorded) when the call
    /// failed.
    async fn cleanup_one(
        &self,
        i: usize,
        src: &str,
    ) -> Result<Result<ActionRow, StepError>, EngineError> {
        let u = &self.plan.units[i];
        let name = step_name(u, step::CLEANUP);
        self.write_intent(&name, &json!({"op": "delete-source", "source": src}))
            .map_err(step_to_engine)?;
        match self.delete_source(u, src).await {
            Ok((outcome, detail)) => {
                self.write_result(&name, outcome, &detail)
                    .map_err(step_to_engine)?;
                Ok(Ok(ActionRow::source_cleanup(
                    src.to_string(),
                    outcome,
                    &detail,
                )))
            }
            Err(StepError::Crashed) => Err(EngineError::Crashed),
            Err(e) => {
                self.write_result(&name, StepOutcome::Failed, &e.detail())
                    .map_err(step_to_engine)?;
                Ok(Err(e))
            }
        }
    }

    pub(super) async fn delete_source(
        &self,
        u: &Unit,
        src: &str,
    ) -> Result<(StepOutcome, Value), StepError> {
        if vocab::is(&u.resource_type, vocab::RESOURCE_GROUPS) {
            let left = self
                .arm
                .list(&format!("{src}/resources"), api::RESOURCE_GROUPS)
                .await?;
            if !left.is_empty() {
                return Ok((
                    StepOutcome::Skipped,
                    json!({"note": group_kept(left.len())}),
                ));
            }
            let deleted = self.arm.delete(src, api::RESOURCE_GROUPS).await?;
            return Ok((StepOutcome::Succeeded, json!({"deleted": deleted})));
        }
        let deleted = self.arm.delete(src, &u.api_version).await?;
        for snap in self.mover_snapshots(u, src) {
            self.arm.delete(&snap, api::SNAPSHOTS).await?;
        }
        Ok((StepOutcome::Succeeded, json!({"deleted": deleted})))
    }

    /// The disk mover's artifacts deleted with a disk's source: the seed
    /// and final snapshots, in the source group and the target scope.
    fn mover_snapshots(&self, u: &Unit, src: &str) -> Vec<String> {
        let mut out = Vec::new();
        if u.kind == UnitKind::DiskCopy
            && let (Some((src_rg, _)), Some(d)) = (src.rsplit_once("/providers/"), &u.deploy)
        {
            let disk = src.rsplit('/').next().unwrap_or("disk");
            let short: String = disk.chars().take(60).collect();
            for phase in ["seed", "final"] {
                for scope in [src_rg, d.scope.as_str()] {
                    out.push(vocab::provider_id(
                        scope,
                        vocab::SNAPSHOTS,
                        &format!("{short}-azrelo-{phase}"),
                    ));
                }
            }
        }
        out
    }
}

/// Why a source resource group stays.
fn group_kept(left: usize) -> String {
    format!(
        "{left} resource(s) are still in the group (outside the plan, or kept): the group is kept"
    )
}

/// The api-version to read an owned source with.
fn owned_api(u: &Unit) -> &str {
    if vocab::is(&u.resource_type, vocab::RESOURCE_GROUPS) {
        api::RESOURCE_GROUPS
    } else {
        u.api_version.as_str()
    }
}

/// Who owns (or installed) an owned source, for its row.
fn owned_by(u: &Unit) -> String {
    u.owned
        .as_ref()
        .map(|o| match o.relation {
            azrelo_plan::Relation::InstalledByService => format!("installed by {}", o.service),
            _ => format!("owned by {}", o.service),
        })
        .unwrap_or_else(|| "owned".into())
}

/// Why an owned source that is still there stays.
fn owned_kept(by: &str) -> String {
    format!("{by}: left to its owner's deletion (azrelo never deletes it on its own)")
}
