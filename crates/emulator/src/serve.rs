//! Serving the emulator: HTTPS (rustls, `ring` provider, with a
//! [`Certificate`](crate::Certificate)) or plain HTTP, one hyper HTTP/1.1
//! connection per client. Serving through hyper directly (rather than
//! `axum::serve`) lets an injected "dropped connection" fault close the
//! connection without any response, as a failing front door does.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The scheme a request arrived on (a request extension set by [`serve`]).
#[derive(Debug, Clone, Copy)]
pub struct Scheme(pub &'static str);

/// Marks a response whose connection [`serve`] closes without sending it.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

/// The response for an injected dropped connection: [`serve`] closes the
/// connection instead of sending it. Served some other way (e.g. a test's
/// `oneshot`), it is a 500 that says so.
pub(crate) fn drop_connection() -> Response {
    let mut r = (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(serde_json::json!({"error": {
            "code": "ConnectionDropped",
            "message": "Injected fault: the connection is closed without a response.",
        }})),
    )
        .into_response();
    r.extensions_mut().insert(DropConnection);
    r
}

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected fault: connection dropped")
    }
}

impl std::error::Error for Dropped {}

/// Serve `app` on `listener` until `shutdown` completes: HTTPS with `tls`,
/// plain HTTP without. Each connection is served on its own task; a TLS
/// handshake that does not finish within 10 s is abandoned.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                // Out of descriptors and the like: back off, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let app = app.clone();
                    async move {
                        let mut req = req.map(axum::body::Body::new);
                        req.extensions_mut().insert(Scheme(scheme));
                        let resp = match app.oneshot(req).await {
                            Ok(r) => r,
                            Err(never) => match never {},
                        };
                        if resp.extensions().get::<DropConnection>().is_some() {
                            return Err(Dropped);
                        }
                        Ok::<_, Dropped>(resp)
                    }
                });
            let http = hyper::server::conn::http1::Builder::new();
            match acceptor {
                Some(acceptor) => {
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                            .await
                    else {
                        return;
                    };
                    let _ = http.serve_connection(TokioIo::new(tls), service).await;
                }
                None => {
                    let _ = http.serve_connection(TokioIo::new(stream), service).await;
                }
            }
        });
    }
}
