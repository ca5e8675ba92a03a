//! Errors: ARM's error envelope as a type, and everything else that can go
//! wrong on the way to it. Every error that concerns a request carries the
//! `x-ms-client-request-id` this client sent, so a failure can be found in
//! the logs (and by Azure support) without logging anything secret.

use serde_json::Value;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// ARM answered with an error status (after retries, where retrying
    /// applied). Fields come from ARM's common error envelope
    /// `{"error": {"code", "message", "target", "details"}}`
    /// (<https://github.com/Azure/azure-resource-manager-rpc/blob/master/v1.0/common-api-details.md#error-response-content>);
    /// `code` is `HttpStatus<n>` when the body had no envelope.
    #[error(
        "{code} (HTTP {status}): {message}{} [x-ms-client-request-id {request_id}]",
        target_suffix(target)
    )]
    Arm {
        status: u16,
        code: String,
        message: String,
        target: Option<String>,
        request_id: String,
    },
    /// A long-running operation ended `Failed` or `Canceled`.
    #[error("long-running operation ended {code}: {message} [x-ms-client-request-id {request_id}]")]
    OperationFailed {
        code: String,
        message: String,
        request_id: String,
    },
    /// The request never got an HTTP response (connection, TLS, I/O), after retries.
    #[error("{message} [x-ms-client-request-id {request_id}]")]
    Transport { message: String, request_id: String },
    /// A credential could not produce a token.
    #[error("authentication failed: {0}")]
    Auth(String),
    /// Bad configuration (endpoint, CA file, certificate, environment).
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// A response did not have the shape ARM documents.
    #[error("unexpected response: {message} [x-ms-client-request-id {request_id}]")]
    InvalidResponse { message: String, request_id: String },
}

fn target_suffix(t: &Option<String>) -> String {
    t.as_deref()
        .map(|t| format!(" (target: {t})"))
        .unwrap_or_default()
}

impl ClientError {
    /// The ARM error code (`ResourceNotFound`, `Conflict`, …) when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Arm { code, .. } | ClientError::OperationFailed { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status of an ARM error response.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Arm { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The `x-ms-client-request-id` of the call that failed, when it got that far.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ClientError::Arm { request_id, .. }
            | ClientError::OperationFailed { request_id, .. }
            | ClientError::Transport { request_id, .. }
            | ClientError::InvalidResponse { request_id, .. } => Some(request_id),
            _ => None,
        }
    }

    /// True when trying the same call again later may succeed: throttling
    /// (429), request timeout (408), server errors (5xx) and transport errors.
    /// A failed long-running operation is not retryable as such (the caller
    /// decides whether to start a new one).
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Arm { status, .. } => is_retryable_status(*status),
            ClientError::Transport { message, .. } => !is_trust_failure(message),
            _ => false,
        }
    }

    /// True when every later call would fail the same way, whatever it is:
    /// the endpoint's TLS certificate is not trusted, the credential gives
    /// no token, the token is refused (401), or the configuration is wrong.
    /// A run stops at the first such error instead of failing each call.
    pub fn is_fatal_for_run(&self) -> bool {
        match self {
            ClientError::Transport { message, .. } => is_trust_failure(message),
            ClientError::Auth(_) | ClientError::Config(_) => true,
            ClientError::Arm { status, .. } => *status == 401,
            _ => false,
        }
    }

    /// How to fix an error that is not about one call (see
    /// [`ClientError::is_fatal_for_run`]), for the operator.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ClientError::Transport { message, .. } if is_trust_failure(message) => Some(
                "the endpoint's TLS certificate is not trusted: pass the CA that signed it with --ca-cert PEM (the emulator writes its CA with --cert-out; a restarted emulator without --data has a new one)",
            ),
            ClientError::Auth(_) => Some(
                "sign in (`az login` for --auth cli) or check --auth and the credential's settings",
            ),
            ClientError::Arm { status: 401, .. } => Some(
                "the token was refused: sign in again (`az login`) or check --auth and --token",
            ),
            ClientError::Arm { status: 403, .. } => Some(
                "the credential lacks permission for this call: grant it a role on the scope (Reader for discovery, Contributor for a run)",
            ),
            ClientError::Config(_) => Some("fix the option named in the message"),
            _ => None,
        }
    }

    /// True for 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// Whether a transport error's text says the server's certificate was
/// refused (rustls: `invalid peer certificate: UnknownIssuer`,
/// `BadSignature`, an expired or mismatched certificate).
pub(crate) fn is_trust_failure(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("invalid peer certificate")
        || m.contains("unknownissuer")
        || m.contains("badsignature")
        || m.contains("certificate verify failed")
        || m.contains("certnotvalidforname")
        || m.contains("notvalidforname")
}

/// Statuses worth retrying: 408, 429 and 5xx except 501/505 (not transient).
pub(crate) fn is_retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505)
}

/// The (code, message, target) of an ARM error body. Accepts
/// `{"error": {...}}`, a bare `{code, message}` object (some resource
/// providers and operation-status bodies use it) and anything else (the code
/// becomes `HttpStatus<status>` and the message a short excerpt of the body).
/// Nested `details[]` are appended to the message (`; code: message`).
pub(crate) fn parse_envelope(status: u16, body: &[u8]) -> (String, String, Option<String>) {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let envelope = parsed.as_ref().and_then(|v| {
        v.get("error")
            .filter(|e| e.is_object())
            .or_else(|| v.get("code").filter(|c| c.is_string()).map(|_| v))
    });
    match envelope {
        Some(e) => {
            let (code, message, target) = from_error_value(e);
            let code = if code.is_empty() {
                format!("HttpStatus{status}")
            } else {
                code
            };
            (code, message, target)
        }
        None => {
            let text = String::from_utf8_lossy(body);
            let excerpt: String = text.trim().chars().take(300).collect();
            let message = if excerpt.is_empty() {
                format!("HTTP {status} with an empty body")
            } else {
                excerpt
            };
            (format!("HttpStatus{status}"), message, None)
        }
    }
}

/// (code, message with details, target) of an ARM `error` object.
pub(crate) fn from_error_value(e: &Value) -> (String, String, Option<String>) {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let mut message = s(e, "message");
    if let Some(details) = e.get("details").and_then(Value::as_array) {
        for d in details {
            let (c, m) = (s(d, "code"), s(d, "message"));
            if !c.is_empty() || !m.is_empty() {
                message.push_str(&format!("; {c}: {m}"));
            }
        }
    }
    let target = e
        .get("target")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    (s(e, "code"), message, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_envelope_with_details() {
        let body = br#"{"error":{"code":"InvalidTemplateDeployment","message":"The template deployment failed.","target":"vm1","details":[{"code":"QuotaExceeded","message":"Cores quota"}]}}"#;
        let (code, message, target) = parse_envelope(400, body);
        assert_eq!(code, "InvalidTemplateDeployment");
        assert_eq!(target.as_deref(), Some("vm1"));
        assert!(
            message.ends_with("; QuotaExceeded: Cores quota"),
            "{message}"
        );
    }

    #[test]
    fn parses_bare_code_message_and_non_json() {
        let (c, m, _) = parse_envelope(409, br#"{"code":"Conflict","message":"busy"}"#);
        assert_eq!((c.as_str(), m.as_str()), ("Conflict", "busy"));
        let (c, m, _) = parse_envelope(502, b"<html>Bad Gateway</html>");
        assert_eq!(c, "HttpStatus502");
        assert!(m.contains("Bad Gateway"));
        let (_, m, _) = parse_envelope(500, b"");
        assert_eq!(m, "HTTP 500 with an empty body");
    }

    #[test]
    fn display_carries_the_request_id_and_retryability_follows_status() {
        let e = ClientError::Arm {
            status: 429,
            code: "TooManyRequests".into(),
            message: "slow down".into(),
            target: None,
            request_id: "rid-1".into(),
        };
        assert!(e.to_string().contains("rid-1"));
        assert!(e.is_retryable());
        assert_eq!(e.code(), Some("TooManyRequests"));
        for (s, r) in [
            (404, false),
            (409, false),
            (500, true),
            (501, false),
            (503, true),
        ] {
            assert_eq!(is_retryable_status(s), r, "{s}");
        }
    }
}
