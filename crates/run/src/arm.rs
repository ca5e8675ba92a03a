//! `azrelo_client::ArmClient` as the orchestrator's [`Arm`].

use azrelo_client::{ArmClient, ClientError};
use azrelo_orchestrate::{Arm, ArmError};
use serde_json::Value;

/// The ARM client (Azure, or the emulator) the orchestrator drives.
#[derive(Clone)]
pub struct ClientArm(pub ArmClient);

impl ClientArm {
    pub fn client(&self) -> &ArmClient {
        &self.0
    }
}

/// A client error as the orchestrator sees it: ARM's status, code and
/// message, the request id, and whether the step may be retried (a
/// long-running operation that ended `Failed` may: the step re-runs
/// idempotently).
fn conv(e: ClientError) -> ArmError {
    let retryable = e.is_retryable() || matches!(e, ClientError::OperationFailed { .. });
    let fatal = e.is_fatal_for_run();
    let hint = e.hint();
    match e {
        ClientError::Arm {
            status,
            code,
            message,
            request_id,
            ..
        } => ArmError {
            status: Some(status),
            code,
            message: with_hint(message, fatal, hint),
            request_id: Some(request_id),
            retryable,
            fatal,
        },
        ClientError::OperationFailed {
            code,
            message,
            request_id,
        } => ArmError {
            status: None,
            code,
            message,
            request_id: Some(request_id),
            retryable,
            fatal,
        },
        other => ArmError {
            status: other.status(),
            code: "ClientError".into(),
            message: with_hint(other.to_string(), fatal, hint),
            request_id: None,
            retryable,
            fatal,
        },
    }
}

/// A run-stopping error's message carries how to fix it.
fn with_hint(message: String, fatal: bool, hint: Option<&str>) -> String {
    match (fatal, hint) {
        (true, Some(h)) => format!("{message} — {h}"),
        _ => message,
    }
}

impl Arm for ClientArm {
    async fn get(&self, path: &str, api: &str) -> Result<Option<Value>, ArmError> {
        self.0.get(path, api).await.map_err(conv)
    }
    async fn put(&self, path: &str, api: &str, body: &Value) -> Result<Value, ArmError> {
        self.0.put(path, api, body).await.map_err(conv)
    }
    async fn delete(&self, path: &str, api: &str) -> Result<bool, ArmError> {
        self.0.delete(path, api).await.map_err(conv)
    }
    async fn list(&self, path: &str, api: &str) -> Result<Vec<Value>, ArmError> {
        self.0.list(path, api).await.map_err(conv)
    }
    async fn post(
        &self,
        path: &str,
        api: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, ArmError> {
        self.0.post(path, api, body).await.map_err(conv)
    }
}
