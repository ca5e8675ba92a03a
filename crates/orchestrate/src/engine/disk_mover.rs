//! The managed-disk data mover: an incremental snapshot of the source, a
//! cross-region copy (CopyStart) into the target region, polled to the
//! end; the disk is then deployed from the copy.
use std::time::Instant;

use serde_json::{Value, json};

use azrelo_arm::vocab::{self, api};

use super::*;

impl<A: Arm> Engine<A> {
    /// The disk data mover: an incremental snapshot of the source disk, a
    /// CopyStart copy of it in the target region, and a wait until the copy
    /// reports `completionPercent` 100. Source:
    /// learn.microsoft.com/azure/virtual-machines/disks-copy-incremental-snapshot-across-regions
    /// (REST: PUT snapshots with `creationData.createOption` `Copy`, then
    /// `CopyStart` with `incremental: true`; poll `completionPercent`).
    pub(super) async fn copy_disk(&self, u: &Unit, phase: &str) -> Result<String, StepError> {
        let src = u
            .source_id
            .as_ref()
            .map(ResourceId::as_str)
            .ok_or_else(|| StepError::Input(format!("{} has no source disk", u.key)))?;
        let d = u
            .deploy
            .as_ref()
            .ok_or_else(|| StepError::Input("no deployment".into()))?;
        let (src_rg, disk) = src
            .rsplit_once("/providers/")
            .map(|(rg, rest)| {
                (
                    rg.to_string(),
                    rest.rsplit('/').next().unwrap_or("disk").to_string(),
                )
            })
            .ok_or_else(|| StepError::Input(format!("{src} is not a disk id")))?;
        let short: String = disk.chars().take(60).collect();
        let snap = format!("{short}-azrelo-{phase}");
        let src_snap = vocab::provider_id(&src_rg, vocab::SNAPSHOTS, &snap);
        let tgt_snap = vocab::provider_id(&d.scope, vocab::SNAPSHOTS, &snap);
        let src_loc = u.source_location.clone().unwrap_or_default();
        let ok = |b: &Value| {
            b.pointer("/properties/provisioningState")
                .and_then(Value::as_str)
                .is_none_or(|s| s.eq_ignore_ascii_case("Succeeded"))
        };
        // A snapshot an interrupted run started may still be in flight: its
        // PUT waits out a 409 instead of failing.
        let current = self.arm.get(&src_snap, api::SNAPSHOTS).await?;
        match current {
            Some(b) if ok(&b) => {}
            _ => {
                self.put_waiting(
                    &src_snap,
                    api::SNAPSHOTS,
                    &json!({
                        "location": src_loc,
                        "properties": {
                            "creationData": {"createOption": "Copy", "sourceResourceId": src},
                            "incremental": true
                        }
                    }),
                    &src_snap,
                    api::SNAPSHOTS,
                )
                .await?;
            }
        }
        let existing = self.arm.get(&tgt_snap, api::SNAPSHOTS).await?;
        let failed = existing.as_ref().is_some_and(|b| {
            b.pointer("/properties/provisioningState")
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("Failed"))
        });
        if failed {
            // A copy that failed is started again from scratch.
            self.arm.delete(&tgt_snap, api::SNAPSHOTS).await?;
        }
        if existing.is_none() || failed {
            // "Another incremental snapshot of the same disk is being
            // copied" (409) while an earlier copy winds down: wait, retry.
            self.put_waiting(
                &tgt_snap,
                api::SNAPSHOTS,
                &json!({
                    "location": self.plan.target_region,
                    "properties": {
                        "creationData": {"createOption": "CopyStart", "sourceResourceId": src_snap},
                        "incremental": true
                    }
                }),
                &src_snap,
                api::SNAPSHOTS,
            )
            .await?;
        }
        let started = Instant::now();
        loop {
            let b = self
                .arm
                .get(&tgt_snap, api::SNAPSHOTS)
                .await?
                .ok_or_else(|| {
                    StepError::Arm(ArmError::new(
                        Some(404),
                        "ResourceNotFound",
                        format!("the copy {tgt_snap} disappeared"),
                    ))
                })?;
            if let Some(state) = b
                .pointer("/properties/provisioningState")
                .and_then(Value::as_str)
                && state.eq_ignore_ascii_case("Failed")
            {
                return Err(StepError::Arm(ArmError::new(
                    None,
                    "CopyFailed",
                    format!("the cross-region copy {tgt_snap} failed"),
                )));
            }
            let pct = b
                .pointer("/properties/completionPercent")
                .and_then(Value::as_f64);
            match pct {
                Some(p) if p >= 100.0 => break,
                None if ok(&b) => break,
                _ => {}
            }
            if started.elapsed() > self.opts.copy_timeout {
                return Err(StepError::Arm(ArmError::new(
                    None,
                    "CopyTimeout",
                    format!(
                        "the copy {tgt_snap} did not finish in time ({}%)",
                        pct.unwrap_or(0.0)
                    ),
                )));
            }
            tokio::time::sleep(self.opts.poll).await;
        }
        Ok(tgt_snap)
    }
}
