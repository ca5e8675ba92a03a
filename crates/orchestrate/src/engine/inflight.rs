//! Work in flight: a deployment or copy that an interrupted run started is
//! waited for, never fought. A `409` that says another operation on the
//! resource is in progress (`DeploymentActive`, `AnotherOperationInProgress`,
//! a disk copy "being copied") makes the engine read the operation's
//! current state and wait while it is still running, then send the same
//! idempotent request again: a wait, never a failure. (Reading first on
//! every re-run would cost a call per step for the rare case; the 409 says
//! exactly when it is needed.)
use std::time::Instant;

use serde_json::Value;

use super::*;

/// ARM's terminal provisioning states (case-insensitive); anything else
/// (`Accepted`, `Running`, `Creating`, `Updating`, `Deleting`, …) is in
/// flight. Source: the ARM RPC, "Asynchronous Operations"
/// (github.com/Azure/azure-resource-manager-rpc, async-api-reference.md).
pub(super) fn is_terminal(state: &str) -> bool {
    ["Succeeded", "Failed", "Canceled", "Cancelled"]
        .iter()
        .any(|t| state.eq_ignore_ascii_case(t))
}

pub(super) fn provisioning_state(body: &Value) -> Option<&str> {
    body.pointer("/properties/provisioningState")
        .and_then(Value::as_str)
}

impl<A: Arm> Engine<A> {
    /// Read `path` and, while its `provisioningState` is not terminal, wait
    /// (polling every `opts.poll`, up to `opts.wait_timeout`).
    pub(super) async fn settle(&self, path: &str, api: &str) -> Result<(), StepError> {
        let started = Instant::now();
        let mut was_in_flight = false;
        loop {
            let body = self.arm.get(path, api).await?;
            let state = body
                .as_ref()
                .and_then(provisioning_state)
                .map(str::to_string);
            match state {
                Some(s) if !is_terminal(&s) => {
                    if !was_in_flight {
                        tracing::info!(path, state = %s, "operation in flight: waiting for it");
                    }
                    was_in_flight = true;
                    if started.elapsed() > self.opts.wait_timeout {
                        return Err(StepError::Arm(ArmError::new(
                            None,
                            "WaitTimeout",
                            format!("{path} is still {s} after {}s", started.elapsed().as_secs()),
                        )));
                    }
                    tokio::time::sleep(self.opts.poll).await;
                }
                _ => return Ok(()),
            }
        }
    }

    /// `PUT`, waiting out an operation in progress on the resource: on a
    /// 409 that says so, settle the resource (`settle_path`, usually the
    /// PUT's own) and send again, until `opts.wait_timeout`.
    pub(super) async fn put_waiting(
        &self,
        path: &str,
        api: &str,
        body: &Value,
        settle_path: &str,
        settle_api: &str,
    ) -> Result<Value, StepError> {
        let started = Instant::now();
        loop {
            match self.arm.put(path, api, body).await {
                Err(e) if e.is_in_progress() && started.elapsed() < self.opts.wait_timeout => {
                    tracing::info!(path, code = %e.code, "another operation is in progress: waiting");
                    self.settle(settle_path, settle_api).await?;
                    tokio::time::sleep(self.opts.poll).await;
                }
                other => return Ok(other?),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states() {
        for s in ["Succeeded", "failed", "Canceled", "Cancelled"] {
            assert!(is_terminal(s), "{s}");
        }
        for s in ["Accepted", "Running", "Creating", "Updating", "Deleting"] {
            assert!(!is_terminal(s), "{s}");
        }
    }

    #[test]
    fn in_progress_conflicts() {
        let e = |status, code: &str, m: &str| ArmError::new(Some(status), code, m);
        assert!(e(409, "DeploymentActive", "The deployment 'x' is active").is_in_progress());
        assert!(e(409, "AnotherOperationInProgress", "").is_in_progress());
        assert!(
            e(
                409,
                "OperationNotAllowed",
                "Another incremental snapshot of the same disk is being copied"
            )
            .is_in_progress()
        );
        assert!(!e(409, "Conflict", "The name is taken").is_in_progress());
        assert!(!e(400, "DeploymentActive", "").is_in_progress());
    }
}
