//! Long-running operations: writes that answer 201/202 and the polling of
//! `Azure-AsyncOperation` / `Location` until a terminal state.
//! Reference: <https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations>.

use super::*;

impl ArmClient {
    pub(super) async fn write(
        &self,
        method: Method,
        path: &str,
        api_version: &str,
        body: &Value,
    ) -> Result<Value, ClientError> {
        let rid = new_request_id();
        let url = self.url(path, api_version, &rid)?;
        let resp = self
            .send(
                method,
                &url,
                Some(body.to_string().into_bytes()),
                &rid,
                false,
            )
            .await?;
        if !(200..300).contains(&resp.status) {
            return Err(self.arm_error(&resp, &rid));
        }
        let has_header = resp.header("azure-asyncoperation").is_some()
            || (resp.status == 202 && resp.header("location").is_some());
        let state = resp
            .json()
            .as_ref()
            .and_then(|b| provisioning_state(b).map(str::to_string));
        let pending = state.as_deref().is_some_and(|s| terminal(s).is_none());
        if !has_header && !pending {
            if let Some(s) = state.as_deref()
                && terminal(s) != Some(Terminal::Succeeded)
            {
                return Err(ClientError::OperationFailed {
                    code: s.to_string(),
                    message: format!(
                        "{} {} answered provisioningState {s}",
                        method_str(&method),
                        redact_url(&url)
                    ),
                    request_id: rid,
                });
            }
            if let Some(v) = resp.json() {
                return Ok(v);
            }
        } else {
            self.poll(&method, &url, &resp, &rid).await?;
        }
        // ARM's rule for PUT/PATCH: the final state is a GET of the resource.
        match self.send(Method::Get, &url, None, &rid, false).await? {
            r if (200..300).contains(&r.status) => Ok(r.json().unwrap_or(Value::Null)),
            r => Err(self.arm_error(&r, &rid)),
        }
    }

    fn poll_delay(&self, resp: &Resp) -> Duration {
        retry_after(resp)
            .map(|d| d.min(self.inner.tuning.max_retry_after))
            .unwrap_or(self.inner.min_poll)
    }

    /// Wait for a long-running operation by ARM's rules
    /// (<https://github.com/Azure/azure-resource-manager-rpc/blob/master/v1.0/async-api-reference.md>):
    /// `Azure-AsyncOperation` first (status body, terminal Succeeded / Failed
    /// / Canceled), else `Location` (202 while running, then the result),
    /// else the resource's own `provisioningState`. Returns the operation's
    /// result body for POST.
    pub(super) async fn poll(
        &self,
        method: &Method,
        url: &Url,
        initial: &Resp,
        rid: &str,
    ) -> Result<Option<Value>, ClientError> {
        let stats = &self.inner.stats;
        let deadline = tokio::time::Instant::now()
            + self
                .inner
                .tuning
                .scaled(self.inner.tuning.operation_timeout);
        let timed_out = || {
            (tokio::time::Instant::now() >= deadline).then(|| ClientError::OperationFailed {
                code: "OperationTimedOut".into(),
                message: format!(
                    "{} did not reach a terminal state within {:?}; it may still be running in Azure: check it, then run the step again (PUT is idempotent)",
                    redact_url(url),
                    self.inner.tuning.operation_timeout
                ),
                request_id: rid.to_string(),
            })
        };
        let op = initial.header("azure-asyncoperation").map(str::to_string);
        let location = initial.header("location").map(str::to_string);
        let mut delay = self.poll_delay(initial);
        if let Some(op) = op {
            let op_url = self.url(&op, "", rid)?;
            loop {
                if let Some(e) = timed_out() {
                    return Err(e);
                }
                self.sleep(delay).await;
                stats.polls.fetch_add(1, Ordering::Relaxed);
                let r = self.send(Method::Get, &op_url, None, rid, false).await?;
                if !(200..300).contains(&r.status) {
                    return Err(self.arm_error(&r, rid));
                }
                let body = r.json().unwrap_or(Value::Null);
                let status = body.get("status").and_then(Value::as_str).unwrap_or("");
                match terminal(status) {
                    None => {
                        tracing::debug!(request_id = %rid, status, "operation in progress");
                        delay = self.poll_delay(&r);
                    }
                    Some(Terminal::Succeeded) => break,
                    Some(t) => return Err(op_failed(t, &body, rid)),
                }
            }
            // POST results are at the Location URL (final-state-via location).
            if *method == Method::Post
                && let Some(loc) = location
            {
                let loc_url = self.url(&loc, "", rid)?;
                let r = self.send(Method::Get, &loc_url, None, rid, false).await?;
                return match r.status {
                    s if (200..300).contains(&s) => Ok(r.json()),
                    404 => Ok(None),
                    _ => Err(self.arm_error(&r, rid)),
                };
            }
            return Ok(None);
        }
        if let Some(loc) = location {
            let loc_url = self.url(&loc, "", rid)?;
            loop {
                if let Some(e) = timed_out() {
                    return Err(e);
                }
                self.sleep(delay).await;
                stats.polls.fetch_add(1, Ordering::Relaxed);
                let r = self.send(Method::Get, &loc_url, None, rid, false).await?;
                match r.status {
                    202 => delay = self.poll_delay(&r),
                    // The deleted resource is gone: done.
                    404 if *method == Method::Delete => return Ok(None),
                    s if (200..300).contains(&s) => return Ok(r.json()),
                    _ => {
                        let (code, message, _) = parse_envelope(r.status, &r.body);
                        return Err(ClientError::OperationFailed {
                            code,
                            message,
                            request_id: rid.to_string(),
                        });
                    }
                }
            }
        }
        // No header: poll the resource until its provisioningState is terminal.
        loop {
            if let Some(e) = timed_out() {
                return Err(e);
            }
            self.sleep(delay).await;
            stats.polls.fetch_add(1, Ordering::Relaxed);
            let r = self.send(Method::Get, url, None, rid, false).await?;
            if r.status == 404 && *method == Method::Delete {
                return Ok(None);
            }
            if !(200..300).contains(&r.status) {
                return Err(self.arm_error(&r, rid));
            }
            let body = r.json().unwrap_or(Value::Null);
            match provisioning_state(&body).and_then(terminal) {
                None if provisioning_state(&body).is_some() => delay = self.poll_delay(&r),
                None | Some(Terminal::Succeeded) => return Ok(Some(body)),
                Some(t) => {
                    return Err(ClientError::OperationFailed {
                        code: format!("{t:?}"),
                        message: format!("{} ended with provisioningState {t:?}", redact_url(url)),
                        request_id: rid.to_string(),
                    });
                }
            }
        }
    }
}

fn op_failed(t: Terminal, body: &Value, rid: &str) -> ClientError {
    let (code, message) = match body.get("error").filter(|e| e.is_object()) {
        Some(e) => {
            let (c, m, target) = from_error_value(e);
            let m = match target {
                Some(t) => format!("{m} (target: {t})"),
                None => m,
            };
            (c, m)
        }
        None => (String::new(), String::new()),
    };
    let fallback = match t {
        Terminal::Canceled => "Canceled",
        _ => "Failed",
    };
    ClientError::OperationFailed {
        code: if code.is_empty() {
            fallback.to_string()
        } else {
            code
        },
        message: if message.is_empty() {
            format!("the operation ended {fallback} without an error description")
        } else {
            message
        },
        request_id: rid.to_string(),
    }
}

fn terminal(status: &str) -> Option<Terminal> {
    if status.eq_ignore_ascii_case("Succeeded") {
        Some(Terminal::Succeeded)
    } else if status.eq_ignore_ascii_case("Failed") {
        Some(Terminal::Failed)
    } else if status.eq_ignore_ascii_case("Canceled") || status.eq_ignore_ascii_case("Cancelled") {
        Some(Terminal::Canceled)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Terminal {
    Succeeded,
    Failed,
    Canceled,
}

fn provisioning_state(body: &Value) -> Option<&str> {
    body.get("properties")?.get("provisioningState")?.as_str()
}
