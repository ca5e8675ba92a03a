//! Owned units: resources created by their owner's move (an AKS node
//! resource group and what is in it, a private endpoint's NIC, a SQL
//! server's `master`) or installed by a platform service (a Backup or
//! Defender VM extension). Nothing is deployed: once the owner moved, the
//! move step *locates* the target (its known id; the id the moved owner
//! names, e.g. `nodeResourceGroup` or `networkInterfaces[0].id`; or the
//! resource of the same type in the owner's new managed group) and the
//! verify step checks it exists. A missing resource its owner should have
//! created fails the unit; one a service installs on its own schedule is
//! recorded as not installed yet, without failing the run.

use serde_json::{Value, json};

use azrelo_arm::id::ResourceId;
use azrelo_arm::vocab::{self, api};
use azrelo_journal::StepOutcome;
use azrelo_plan::{Names, OwnedTargetPlan, Relation};

use super::*;

/// api-version for listing a resource group's resources.
const RESOURCES_LIST: &str = "2021-04-01";

impl<A: Arm> Engine<A> {
    /// The api-version to GET a unit's resource (a resource group's own for
    /// groups).
    fn api_of(u: &Unit) -> &str {
        if vocab::is(&u.resource_type, vocab::RESOURCE_GROUPS) {
            api::RESOURCE_GROUPS
        } else {
            u.api_version.as_str()
        }
    }

    /// The moved owner's body (GET of its target).
    async fn owner_body(&self, owner: &ResourceId) -> Result<Value, StepError> {
        let api = self
            .plan
            .find(owner.as_str())
            .map(|j| Self::api_of(&self.plan.units[j]).to_string())
            .unwrap_or_else(|| api::RESOURCE_GROUPS.to_string());
        self.arm.get(owner.as_str(), &api).await?.ok_or_else(|| {
            StepError::Arm(ArmError::new(
                Some(404),
                "OwnerNotFound",
                format!("the moved owner {owner} does not exist (yet)"),
            ))
        })
    }

    /// Move step of an owned unit: find its target.
    pub(super) async fn locate(&self, i: usize) -> Result<(StepOutcome, Value), StepError> {
        let u = &self.plan.units[i];
        let Some(o) = &u.owned else {
            return Err(StepError::Input(format!("{} is not an owned unit", u.key)));
        };
        let target: String = match &o.target {
            OwnedTargetPlan::Known | OwnedTargetPlan::Planned => u.target_id.to_string(),
            OwnedTargetPlan::FromOwner { path, names } => {
                let owner = o.owner_target.as_ref().ok_or_else(|| {
                    StepError::Input(format!("{}: no owner to read the target from", u.key))
                })?;
                let body = self.owner_body(owner).await?;
                let value = body.pointer(path).and_then(Value::as_str).ok_or_else(|| {
                    StepError::Arm(ArmError::new(
                        None,
                        "OwnedTargetNotReported",
                        format!("the moved owner {owner} has no value at {path} yet"),
                    ))
                })?;
                match ResourceId::parse(value) {
                    Ok(id) if *names == Names::ResourceGroup => id
                        .resource_group_id()
                        .map(|g| g.to_string())
                        .unwrap_or_else(|| id.to_string()),
                    Ok(id) => id.to_string(),
                    // A group named by its name, in the owner's subscription.
                    Err(_) if *names == Names::ResourceGroup => format!(
                        "/subscriptions/{}/resourceGroups/{value}",
                        owner.subscription_id().unwrap_or_default()
                    ),
                    Err(_) => {
                        return Err(StepError::Input(format!(
                            "the moved owner {owner} names '{value}' at {path}, which is not a resource id"
                        )));
                    }
                }
            }
            OwnedTargetPlan::InOwnedGroup { group } => {
                // The group is an owned unit located before this one.
                let j = self.plan.find(group.as_str()).ok_or_else(|| {
                    StepError::Input(format!("{}: its group {group} is not in the run", u.key))
                })?;
                let located = self
                    .detail_of(j, step::MOVE)
                    .get("target")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| {
                        StepError::Arm(ArmError::new(
                            None,
                            "OwnedGroupNotLocated",
                            format!(
                                "the owner's new managed group (for {group}) is not located yet"
                            ),
                        ))
                    })?;
                let list = self
                    .arm
                    .list(&format!("{located}/resources"), RESOURCES_LIST)
                    .await?;
                let same_type: Vec<&Value> = list
                    .iter()
                    .filter(|r| {
                        r.get("type")
                            .and_then(Value::as_str)
                            .is_some_and(|t| t.eq_ignore_ascii_case(&u.resource_type))
                    })
                    .collect();
                let by_name = same_type.iter().find(|r| {
                    r.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.eq_ignore_ascii_case(&o.source_name))
                });
                let pick = match (by_name, same_type.as_slice()) {
                    (Some(r), _) => Some(*r),
                    (None, [only]) => Some(*only),
                    _ => None,
                };
                match pick.and_then(|r| r.get("id")).and_then(Value::as_str) {
                    Some(id) => id.to_string(),
                    None => {
                        return Ok((
                            StepOutcome::Succeeded,
                            json!({
                                "target": null,
                                "group": located,
                                "note": format!(
                                    "{} of type {} in {located}: {}",
                                    o.source_name,
                                    u.resource_type,
                                    if same_type.is_empty() {
                                        "none found".to_string()
                                    } else {
                                        format!("{} found, none with this name", same_type.len())
                                    }
                                ),
                            }),
                        ));
                    }
                }
            }
        };
        Ok((StepOutcome::Succeeded, json!({"target": target})))
    }

    /// Verify step of an owned unit: the located target exists.
    pub(super) async fn verify_owned(&self, i: usize) -> Result<(StepOutcome, Value), StepError> {
        let u = &self.plan.units[i];
        let o = u.owned.as_ref();
        let located = self
            .detail_of(i, step::MOVE)
            .get("target")
            .and_then(Value::as_str)
            .map(str::to_string);
        let exists = match &located {
            Some(t) => self.arm.get(t, Self::api_of(u)).await?.is_some(),
            None => false,
        };
        if exists {
            return Ok((
                StepOutcome::Succeeded,
                json!({"target": located, "source": u.source_id}),
            ));
        }
        let what = located.clone().unwrap_or_else(|| u.key.to_string());
        match o.map(|o| o.relation) {
            Some(Relation::InstalledByService) => Ok((
                StepOutcome::Skipped,
                json!({
                    "target": located,
                    "note": format!(
                        "not installed yet: {} installs it on its own schedule once what configures it covers the target (backup protection, a Defender plan, a policy, a domain pointing at the moved app; the plan's findings say what starts it)",
                        o.map(|o| o.service.as_str()).unwrap_or("the service")
                    ),
                }),
            )),
            _ => Err(StepError::Verify(vec![Difference {
                path: String::new(),
                expected: format!(
                    "{what}, created by its owner's move ({})",
                    o.map(|o| o.service.as_str()).unwrap_or("owner")
                ),
                actual: "absent".into(),
            }])),
        }
    }
}
