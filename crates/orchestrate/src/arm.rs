//! The slice of ARM the orchestrator needs, as a trait, so the engine runs
//! against `azrelo_client::ArmClient` (`azrelo-run` implements [`Arm`] for it),
//! an in-process emulator adapter (tests, benchmark), or anything else.
//!
//! The contract matches `azrelo-client`'s documented surface: `put`/`delete`
//! wait for the long-running operation and fail with an
//! `OperationFailed`-like error when it ends `Failed`/`Canceled`; `get`
//! answers `None` on 404; `delete` answers `false` when nothing was there.
//! Retries of 429/5xx belong to the implementation (the client), not to the
//! engine; the engine retries a *step* (a new PUT of the same idempotent body)
//! when a call still fails with a retryable error or a failed operation.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde_json::Value;

/// An ARM call that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{code}: {message}{}", status.map(|s| format!("HTTP {s} ")).unwrap_or_default(), request_id.as_deref().map(|r| format!(" [x-ms-client-request-id {r}]")).unwrap_or_default())]
pub struct ArmError {
    /// HTTP status of an ARM error response; `None` for a failed
    /// long-running operation or a transport error.
    pub status: Option<u16>,
    /// ARM's error code (`Conflict`, `ResourceNotFound`, …).
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    /// Whether trying again later may succeed (throttling, 5xx, transport,
    /// a failed long-running operation whose PUT can be re-sent).
    pub retryable: bool,
    /// Whether every later call would fail alike (an untrusted TLS
    /// certificate, a credential that gives no token, a refused token): the
    /// run stops at once instead of failing unit after unit. The message
    /// says how to fix it.
    pub fatal: bool,
}

impl ArmError {
    pub fn new(status: Option<u16>, code: &str, message: impl Into<String>) -> ArmError {
        let retryable = status.is_none_or(|s| s == 408 || s == 429 || s >= 500);
        ArmError {
            status,
            code: code.to_string(),
            message: message.into(),
            request_id: None,
            retryable,
            fatal: false,
        }
    }

    /// The error the crash hook answers once it has fired.
    pub fn crashed() -> ArmError {
        ArmError {
            status: None,
            code: CRASHED.to_string(),
            message: "the process stopped (crash test hook)".into(),
            request_id: None,
            retryable: false,
            fatal: false,
        }
    }

    /// ARM refused the call because an operation on the same resource is
    /// still running — work in flight, typically from a run that was
    /// interrupted: `409 DeploymentActive`, `AnotherOperationInProgress`,
    /// and a disk's "another incremental snapshot … is being copied"
    /// (`OperationNotAllowed`). The caller waits for it instead of failing.
    pub fn is_in_progress(&self) -> bool {
        if self.status != Some(409) {
            return false;
        }
        let code = self.code.to_ascii_lowercase();
        let m = self.message.to_ascii_lowercase();
        code == "deploymentactive"
            || code == "anotheroperationinprogress"
            || code == "operationinprogress"
            || m.contains("being copied")
            || m.contains("in progress")
    }

    pub fn is_crash(&self) -> bool {
        self.code == CRASHED
    }
}

const CRASHED: &str = "AzreloCrashHook";

/// The ARM operations the orchestrator uses.
pub trait Arm: Clone + Send + Sync + 'static {
    /// GET; `None` on 404.
    fn get(
        &self,
        path: &str,
        api_version: &str,
    ) -> impl Future<Output = Result<Option<Value>, ArmError>> + Send;
    /// PUT and wait for the long-running operation; the final resource body.
    fn put(
        &self,
        path: &str,
        api_version: &str,
        body: &Value,
    ) -> impl Future<Output = Result<Value, ArmError>> + Send;
    /// DELETE and wait; `false` when it was already absent.
    fn delete(
        &self,
        path: &str,
        api_version: &str,
    ) -> impl Future<Output = Result<bool, ArmError>> + Send;
    /// GET a collection, following `nextLink`.
    fn list(
        &self,
        path: &str,
        api_version: &str,
    ) -> impl Future<Output = Result<Vec<Value>, ArmError>> + Send;
    /// POST (e.g. deployment `validate`), waiting for an operation if one starts.
    fn post(
        &self,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> impl Future<Output = Result<Option<Value>, ArmError>> + Send;
}

/// A reproducible "kill": after `limit` counted events (journal writes and
/// ARM calls) it fires. In the CLI it aborts the process on the spot
/// (`AZRELO_CRASH_AFTER=N`); in tests it makes every later journal write and
/// ARM call fail with [`ArmError::crashed`], which stops the run without any
/// further effect — the same observable state a kill leaves.
#[derive(Debug, Default)]
pub struct CrashHook {
    limit: Option<u64>,
    count: AtomicU64,
    fired: AtomicBool,
    abort_process: bool,
}

impl CrashHook {
    /// Never fires.
    pub fn none() -> Arc<CrashHook> {
        Arc::new(CrashHook::default())
    }

    /// Fires after the `n`th event; with `abort_process` the process aborts.
    pub fn after(n: u64, abort_process: bool) -> Arc<CrashHook> {
        Arc::new(CrashHook {
            limit: Some(n),
            count: AtomicU64::new(0),
            fired: AtomicBool::new(false),
            abort_process,
        })
    }

    /// From `AZRELO_CRASH_AFTER` (a test hook; aborts the process).
    pub fn from_env() -> Arc<CrashHook> {
        match std::env::var("AZRELO_CRASH_AFTER")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            Some(n) => CrashHook::after(n, true),
            None => CrashHook::none(),
        }
    }

    /// Whether it has fired (every later effect must be refused).
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// Count one event (after it took effect); fires at the limit.
    pub fn tick(&self) {
        let Some(limit) = self.limit else { return };
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        if n >= limit {
            self.fired.store(true, Ordering::SeqCst);
            if self.abort_process {
                eprintln!("azrelo: AZRELO_CRASH_AFTER={limit} reached: aborting (crash test hook)");
                std::process::abort();
            }
        }
    }

    /// Events counted so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }
}

/// An [`Arm`] that counts its calls on a [`CrashHook`] and refuses every call
/// once the hook fired.
#[derive(Clone)]
pub struct Hooked<A> {
    pub inner: A,
    pub hook: Arc<CrashHook>,
}

impl<A: Arm> Hooked<A> {
    fn before(&self) -> Result<(), ArmError> {
        if self.hook.fired() {
            Err(ArmError::crashed())
        } else {
            Ok(())
        }
    }

    fn after<T>(&self, r: Result<T, ArmError>) -> Result<T, ArmError> {
        self.hook.tick();
        if self.hook.fired() {
            // The call happened, but the process "died" before it could use
            // the answer.
            return Err(ArmError::crashed());
        }
        r
    }
}

impl<A: Arm> Arm for Hooked<A> {
    async fn get(&self, path: &str, api_version: &str) -> Result<Option<Value>, ArmError> {
        self.before()?;
        let r = self.inner.get(path, api_version).await;
        self.after(r)
    }
    async fn put(&self, path: &str, api_version: &str, body: &Value) -> Result<Value, ArmError> {
        self.before()?;
        let r = self.inner.put(path, api_version, body).await;
        self.after(r)
    }
    async fn delete(&self, path: &str, api_version: &str) -> Result<bool, ArmError> {
        self.before()?;
        let r = self.inner.delete(path, api_version).await;
        self.after(r)
    }
    async fn list(&self, path: &str, api_version: &str) -> Result<Vec<Value>, ArmError> {
        self.before()?;
        let r = self.inner.list(path, api_version).await;
        self.after(r)
    }
    async fn post(
        &self,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, ArmError> {
        self.before()?;
        let r = self.inner.post(path, api_version, body).await;
        self.after(r)
    }
}
