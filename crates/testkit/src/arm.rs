//! An in-process [`Arm`] over the emulator's router (no sockets), for tests
//! and benchmarks of the orchestrator.
//!
//! It follows ARM's client rules the way `azrelo-client` does: long-running
//! operations are polled through `Azure-AsyncOperation` until
//! `Succeeded`/`Failed`/`Canceled`, then the resource is read; 429 and 5xx
//! are retried (waiting a few milliseconds, not `Retry-After`'s seconds: it
//! is a test client).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use azrelo_emulator::Emulator;
use azrelo_orchestrate::{Arm, ArmError};
use serde_json::Value;
use tower::ServiceExt;

/// The orchestrator's view of an in-process emulator.
#[derive(Clone)]
pub struct InProcessArm {
    router: axum::Router,
    pub poll: Duration,
    /// Write requests (PUT, PATCH, POST, DELETE) ARM accepted.
    pub writes: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// 429/5xx answers seen (and retried).
    pub retried: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Long-running operations that ended Failed/Canceled.
    pub failed_operations: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// What a resource provider adds to a GET that the emulator does not
    /// compute (a test plays that provider).
    pub on_get: Option<OnGet>,
    /// Play AKS on deletion, which the emulator does not run: deleting a
    /// cluster deletes its node resource group, after taking back what AKS
    /// put on the subnets it uses (its route table, with kubenet).
    pub plays_aks: bool,
    /// Every DELETE the client sent, in order.
    pub deleted: Arc<Mutex<Vec<String>>>,
}

/// See [`InProcessArm::on_get`].
pub type OnGet = Arc<dyn Fn(&str, &mut Value) + Send + Sync>;

impl InProcessArm {
    pub fn new(em: &Emulator) -> InProcessArm {
        InProcessArm {
            router: azrelo_emulator::router(em.clone()),
            poll: Duration::from_millis(2),
            writes: Default::default(),
            retried: Default::default(),
            failed_operations: Default::default(),
            on_get: None,
            plays_aks: false,
            deleted: Default::default(),
        }
    }

    async fn raw(
        &self,
        method: Method,
        path: &str,
        api: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Option<String>, Value), String> {
        let uri = if path.contains("api-version=") {
            path.to_string()
        } else if path.contains('?') {
            format!("{path}&api-version={api}")
        } else {
            format!("{path}?api-version={api}")
        };
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", "Bearer orchestrator-test")
            .header("content-type", "application/json")
            .body(
                body.map(|b| Body::from(b.to_string()))
                    .unwrap_or_else(Body::empty),
            )
            .map_err(|e| e.to_string())?;
        let write = req.method() != Method::GET;
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        if write && status < 400 {
            self.writes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let op = resp
            .headers()
            .get("azure-asyncoperation")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .map_err(|e| e.to_string())?;
        Ok((
            status,
            op,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// One call with retries of 429/5xx/transport errors.
    async fn call(
        &self,
        method: Method,
        path: &str,
        api: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Option<String>, Value), ArmError> {
        let mut last = None;
        for _ in 0..12 {
            match self.raw(method.clone(), path, api, body).await {
                Ok((s, _, v)) if s == 429 || s >= 500 => {
                    self.retried
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    last = Some(err(s, &v));
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
                Ok(ok) => return Ok(ok),
                Err(e) => {
                    last = Some(ArmError::new(None, "Transport", e));
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
            }
        }
        Err(last.unwrap_or_else(|| ArmError::new(None, "Transport", "no answer")))
    }

    async fn wait(&self, op: &str) -> Result<(), ArmError> {
        loop {
            let (s, _, v) = self.call(Method::GET, op, "2024-01-01", None).await?;
            if s >= 400 {
                return Err(err(s, &v));
            }
            match v
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("InProgress")
            {
                "Succeeded" => return Ok(()),
                "Failed" | "Canceled" => {
                    self.failed_operations
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let e = v.get("error").cloned().unwrap_or(Value::Null);
                    return Err(ArmError::new(
                        None,
                        e.get("code")
                            .and_then(Value::as_str)
                            .unwrap_or("OperationFailed"),
                        e.get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("the operation failed"),
                    ));
                }
                _ => tokio::time::sleep(self.poll).await,
            }
        }
    }
}

impl InProcessArm {
    /// AKS deleting a cluster's node resource group (AKS FAQ: "Why are two
    /// resource groups created with AKS?"): the associations it made on
    /// the cluster's subnets go first, then the group and all in it.
    async fn aks_deletes_node_group(&self, cluster: &str, body: &Value) -> Result<(), ArmError> {
        let Some(group) = body["properties"]["nodeResourceGroup"].as_str() else {
            return Ok(());
        };
        let sub = cluster.split('/').nth(2).unwrap_or_default();
        let rg = format!("/subscriptions/{sub}/resourceGroups/{group}").to_ascii_lowercase();
        let vnet_api = "2023-06-01";
        let subnets = body["properties"]["agentPoolProfiles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["vnetSubnetID"].as_str());
        for subnet in subnets {
            let Some((vnet, _)) = subnet.split_once("/subnets/") else {
                continue;
            };
            let Some(mut v) = self.get(vnet, vnet_api).await? else {
                continue;
            };
            let mut changed = false;
            for sn in v["properties"]["subnets"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                if let Some(p) = sn["properties"].as_object_mut() {
                    for k in ["routeTable", "networkSecurityGroup"] {
                        if p.get(k).and_then(|x| x["id"].as_str()).is_some_and(|id| {
                            id.to_ascii_lowercase().starts_with(&format!("{rg}/"))
                        }) {
                            p.shift_remove(k);
                            changed = true;
                        }
                    }
                }
            }
            if changed {
                self.put(vnet, vnet_api, &v).await?;
            }
        }
        let (s, op, v) = self.call(Method::DELETE, &rg, "2021-04-01", None).await?;
        if s >= 400 {
            return Err(err(s, &v));
        }
        if let Some(op) = op {
            self.wait(&op).await?;
        }
        Ok(())
    }
}

fn err(status: u16, v: &Value) -> ArmError {
    let e = v.get("error").cloned().unwrap_or(Value::Null);
    ArmError::new(
        Some(status),
        e.get("code").and_then(Value::as_str).unwrap_or("HttpError"),
        e.get("message").and_then(Value::as_str).unwrap_or(""),
    )
}

impl Arm for InProcessArm {
    async fn get(&self, path: &str, api: &str) -> Result<Option<Value>, ArmError> {
        let (s, _, mut v) = self.call(Method::GET, path, api, None).await?;
        match s {
            404 => Ok(None),
            s if s >= 400 => Err(err(s, &v)),
            _ => {
                if let Some(h) = &self.on_get {
                    h(path, &mut v);
                }
                Ok(Some(v))
            }
        }
    }

    async fn put(&self, path: &str, api: &str, body: &Value) -> Result<Value, ArmError> {
        let (s, op, v) = self.call(Method::PUT, path, api, Some(body)).await?;
        if s >= 400 {
            return Err(err(s, &v));
        }
        if let Some(op) = op {
            self.wait(&op).await?;
        }
        Ok(self.get(path, api).await?.unwrap_or(v))
    }

    async fn delete(&self, path: &str, api: &str) -> Result<bool, ArmError> {
        self.deleted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.to_string());
        const CLUSTERS: &str = "/providers/microsoft.containerservice/managedclusters/";
        let cluster = self.plays_aks && {
            let p = path.to_ascii_lowercase();
            p.find(CLUSTERS)
                .is_some_and(|i| !p[i + CLUSTERS.len()..].contains('/'))
        };
        let before = match cluster {
            true => self.call(Method::GET, path, api, None).await?.2,
            false => Value::Null,
        };
        let (s, op, v) = self.call(Method::DELETE, path, api, None).await?;
        match s {
            404 | 204 => Ok(false),
            s if s >= 400 => Err(err(s, &v)),
            _ => {
                if let Some(op) = op {
                    self.wait(&op).await?;
                }
                if cluster {
                    self.aks_deletes_node_group(path, &before).await?;
                }
                Ok(true)
            }
        }
    }

    async fn list(&self, path: &str, api: &str) -> Result<Vec<Value>, ArmError> {
        let mut out = Vec::new();
        let mut next = Some(path.to_string());
        while let Some(p) = next.take() {
            let (s, _, v) = self.call(Method::GET, &p, api, None).await?;
            if s >= 400 {
                return Err(err(s, &v));
            }
            out.extend(
                v.get("value")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
            next = v.get("nextLink").and_then(Value::as_str).map(|l| {
                l.split_once("://")
                    .and_then(|(_, r)| r.find('/').map(|i| r[i..].to_string()))
                    .unwrap_or_else(|| l.to_string())
            });
        }
        Ok(out)
    }

    async fn post(
        &self,
        path: &str,
        api: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, ArmError> {
        let (s, op, v) = self.call(Method::POST, path, api, body).await?;
        if s >= 400 {
            return Err(err(s, &v));
        }
        if let Some(op) = op {
            self.wait(&op).await?;
        }
        Ok(Some(v))
    }
}
