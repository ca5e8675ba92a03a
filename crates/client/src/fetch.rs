//! Fetching a public document by URL (a template for `--template-uri`):
//! the same transport as ARM calls (rustls/ring, platform roots plus an
//! optional extra CA), no credentials, a size cap read as it streams.

use crate::config::Tuning;
use crate::error::ClientError;
use std::path::Path;

/// GET `url` without credentials and return its body as text, refusing a
/// body over `max_bytes` (checked while streaming, so an endless response
/// stops there). Up to five redirects are followed (no token is sent, so a
/// redirect leaks nothing); a status other than 2xx is an error naming it.
pub async fn fetch_text(
    url: &str,
    ca_cert: Option<&Path>,
    max_bytes: u64,
) -> Result<String, ClientError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| ClientError::Config(format!("'{url}' is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(ClientError::Config(format!(
            "'{url}': only https (and http) URLs can be fetched"
        )));
    }
    let client = crate::transport::builder(ca_cert, &Tuning::default())?
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .map_err(|e| ClientError::Config(format!("cannot build the HTTP client: {e}")))?;
    let shown = crate::redact_url(&parsed);
    let request_id = uuid::Uuid::new_v4().to_string();
    let transport = |e: reqwest::Error| ClientError::Transport {
        message: format!("GET {shown}: {e}"),
        request_id: request_id.clone(),
    };
    let mut response = client.get(parsed).send().await.map_err(transport)?;
    let status = response.status();
    if !status.is_success() {
        return Err(ClientError::Arm {
            status: status.as_u16(),
            code: format!("HttpStatus{}", status.as_u16()),
            message: format!("GET {shown} answered {status}"),
            target: None,
            request_id,
        });
    }
    if let Some(len) = response.content_length()
        && len > max_bytes
    {
        return Err(too_large(&shown, len, max_bytes, &request_id));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        body.extend_from_slice(&chunk);
        if body.len() as u64 > max_bytes {
            return Err(too_large(&shown, body.len() as u64, max_bytes, &request_id));
        }
    }
    String::from_utf8(body).map_err(|e| ClientError::InvalidResponse {
        message: format!(
            "GET {shown}: the body is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
        request_id,
    })
}

fn too_large(shown: &str, len: u64, max: u64, request_id: &str) -> ClientError {
    ClientError::InvalidResponse {
        message: format!(
            "GET {shown}: the body is larger than the limit of {max} bytes (at least {len})"
        ),
        request_id: request_id.to_string(),
    }
}
