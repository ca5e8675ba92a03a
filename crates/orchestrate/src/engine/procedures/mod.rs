//! The actions of a plan (`plan.json` `actions`): units whose executor is
//! not a template deployment — Azure Backup (`backup`), Defender for Cloud
//! (`defender`) and the grants of recreated identities (`identity`). Each
//! goes through the unit state machine like every unit: `prepare` reads
//! what it will change (kept for discard), `move` makes the change with
//! idempotent PUTs/DELETEs of deterministic ids, `verify` reads it back;
//! commit verifies again, discard undoes it, `--validate-only` reads and
//! says what would change.

use serde_json::{Value, json};

use azrelo_journal::StepOutcome;

use super::*;
use crate::model::{Executor, Procedure};

mod backup;
mod defender;
mod identity;

/// api-versions of the calls the actions make (REST API specs).
pub(crate) mod api {
    /// `Microsoft.RecoveryServices` vaults and backup (examples under
    /// specification/recoveryservicesbackup/…/stable/2023-04-01/examples).
    pub const BACKUP: &str = "2023-04-01";
    pub const DIAGNOSTIC_SETTINGS: &str = "2021-05-01-preview";
    pub const PRICINGS: &str = "2024-01-01";
    pub const SETTINGS: &str = "2022-05-01";
    pub const AUTO_PROVISIONING: &str = "2017-08-01-preview";
    pub const WORKSPACE_SETTINGS: &str = "2017-08-01-preview";
    pub const SECURITY_CONTACTS: &str = "2020-01-01-preview";
    pub const SOLUTIONS: &str = "2015-11-01-preview";
    pub const KEY_VAULT: &str = "2023-07-01";
    pub const COSMOS: &str = "2024-05-15";
    pub const USER_ASSIGNED_IDENTITIES: &str = "2023-01-31";
    pub const ROLE_ASSIGNMENTS: &str = "2022-04-01";
}

/// A string parameter of an action.
pub(crate) fn param<'a>(p: &'a Procedure, k: &str) -> Result<&'a str, StepError> {
    p.params
        .get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            StepError::Input(format!(
                "the plan's {} action has no '{k}' parameter: re-plan with this version",
                p.executor.id()
            ))
        })
}

/// Two ARM ids (or values) equal as ARM compares them.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

impl<A: Arm> Engine<A> {
    fn procedure(&self, i: usize) -> Result<&Procedure, StepError> {
        self.plan.units[i]
            .procedure
            .as_ref()
            .ok_or_else(|| StepError::Input(format!("{} is no action", self.plan.units[i].key)))
    }

    /// The result detail of a step of the unit with key `key` (another
    /// action's journal record, e.g. the baseline a comparison reads).
    fn detail_of_key(&self, key: &str, s: Step) -> Value {
        self.plan
            .find(key)
            .map(|j| self.detail_of(j, s))
            .unwrap_or(Value::Null)
    }

    /// The principal id of an identity the run created: a user-assigned
    /// identity's `properties.principalId`, or the system-assigned identity
    /// of a resource (`identity.principalId`).
    async fn principal_id(&self, identity: &str) -> Result<String, StepError> {
        let api = self
            .plan
            .find(identity)
            .map(|j| self.plan.units[j].api_version.clone())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| api::USER_ASSIGNED_IDENTITIES.to_string());
        let b = self.arm.get(identity, &api).await?.ok_or_else(|| {
            StepError::Arm(ArmError::new(
                Some(404),
                "ResourceNotFound",
                format!("the identity {identity} does not exist yet"),
            ))
        })?;
        b.pointer("/properties/principalId")
            .or_else(|| b.pointer("/identity/principalId"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                StepError::Arm(ArmError::new(
                    None,
                    "PrincipalNotReady",
                    format!("{identity} has no principal id yet"),
                ))
            })
    }

    pub(super) async fn action_step(
        &self,
        i: usize,
        s: Step,
    ) -> Result<(StepOutcome, Value), StepError> {
        let p = self.procedure(i)?;
        match (p.executor, s) {
            (Executor::BackupBaselineCapture, step::PREPARE) => {
                Ok((StepOutcome::Succeeded, json!({})))
            }
            (Executor::BackupBaselineCapture, step::MOVE) => self.backup_capture(p).await,
            (Executor::BackupBaselineCapture, step::VERIFY) => self.backup_capture_verify(i),
            (Executor::BackupStopProtection, step::PREPARE) => self.backup_stop_prepare(p).await,
            (Executor::BackupStopProtection, step::MOVE) => self.backup_stop(p).await,
            (Executor::BackupStopProtection, step::VERIFY) => self.backup_stop_verify(p).await,
            (Executor::BackupReprotect, step::PREPARE) => Ok((StepOutcome::Succeeded, json!({}))),
            (Executor::BackupReprotect, step::MOVE) => self.backup_reprotect(p).await,
            (Executor::BackupReprotect, step::VERIFY) => self.backup_reprotect_verify(p).await,
            (Executor::BackupBaselineCompare, step::PREPARE | step::MOVE) => {
                Ok((StepOutcome::Succeeded, json!({})))
            }
            (Executor::BackupBaselineCompare, step::VERIFY) => self.backup_compare(p).await,
            (Executor::DefenderSubscription, step::PREPARE) => self.defender_prepare(p).await,
            (Executor::DefenderSubscription, step::MOVE) => self.defender_mirror(i, p).await,
            (Executor::DefenderSubscription, step::VERIFY) => self.defender_verify(i, p).await,
            (Executor::DefenderWorkspaceSolutions, step::PREPARE) => {
                Ok((StepOutcome::Succeeded, json!({})))
            }
            (Executor::DefenderWorkspaceSolutions, step::MOVE) => self.solutions_install(p).await,
            (Executor::DefenderWorkspaceSolutions, step::VERIFY) => self.solutions_verify(p).await,
            (Executor::RoleAssignments, step::PREPARE) => Ok((StepOutcome::Succeeded, json!({}))),
            (Executor::RoleAssignments, step::MOVE) => self.role_assignment_put(i, p).await,
            (Executor::RoleAssignments, step::VERIFY) => self.role_assignment_verify(i, p).await,
            (Executor::IdentityGrants, step::PREPARE) => Ok((StepOutcome::Succeeded, json!({}))),
            (Executor::IdentityGrants, step::MOVE) => self.grant_put(i, p).await,
            (Executor::IdentityGrants, step::VERIFY) => self.grant_verify(i, p).await,
            (e, s) => Err(StepError::Input(format!(
                "no step {s} for a {} action",
                e.id()
            ))),
        }
    }

    /// Undo what an action did (discard): its note says what.
    pub(super) async fn action_discard(&self, i: usize) -> Result<Value, StepError> {
        let p = self.procedure(i)?;
        match p.executor {
            Executor::BackupBaselineCapture | Executor::BackupBaselineCompare => {
                Ok(json!({"note": "read only: nothing to undo"}))
            }
            Executor::BackupStopProtection => self.backup_stop_undo(i, p).await,
            Executor::BackupReprotect => self.backup_reprotect_undo(p).await,
            Executor::DefenderSubscription => self.defender_undo(i, p).await,
            Executor::DefenderWorkspaceSolutions => self.solutions_undo(i, p).await,
            Executor::RoleAssignments => {
                let u = &self.plan.units[i];
                let deleted = self
                    .arm
                    .delete(u.target_id.as_str(), api::ROLE_ASSIGNMENTS)
                    .await?;
                Ok(json!({"deleted": deleted}))
            }
            Executor::IdentityGrants => self.grant_undo(i, p).await,
        }
    }

    /// `--validate-only`: what the action would do, after the read-only
    /// checks it can make before anything exists in the target.
    pub(super) async fn action_validate(&self, i: usize) -> Result<String, StepError> {
        let p = self.procedure(i)?;
        match p.executor {
            Executor::BackupBaselineCapture => {
                let vault = param(p, "vault")?;
                self.arm.get(vault, api::BACKUP).await?.ok_or_else(|| {
                    StepError::Input(format!("the source vault {vault} does not exist"))
                })?;
                Ok(format!("would capture the backup baseline of {vault}"))
            }
            Executor::BackupStopProtection => {
                let item = param(p, "item")?;
                match self.arm.get(item, api::BACKUP).await? {
                    None => Ok(format!("{item} is not protected any more: nothing to stop")),
                    Some(_) => Ok(format!(
                        "would stop protection of {item} ({})",
                        if p.params["deleteBackupData"].as_bool() == Some(true) {
                            "deleting its backup data"
                        } else {
                            "retaining its recovery points"
                        }
                    )),
                }
            }
            Executor::DefenderSubscription => {
                let (want, current) = self.defender_read(p).await?;
                let n = defender::changes(&want, &current).len();
                Ok(format!(
                    "would set {n} Defender for Cloud setting(s) on subscription {}",
                    param(p, "targetSubscription")?
                ))
            }
            _ => Ok(format!("would {}", p.title)),
        }
    }
}
