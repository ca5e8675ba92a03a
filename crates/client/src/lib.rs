//! # azrelo-client — the Azure Resource Manager client
//!
//! Owns everything between azrelo and ARM's REST API: the transport
//! (`reqwest` on rustls/ring, given to `azure_core`/`azure_identity` as their
//! transport; extra trusted CA for the emulator's certificate), credentials
//! chosen by [`Auth`] (`azure_identity` + a certificate assertion signed with
//! ring), the endpoint (public and sovereign clouds by name, any URL),
//! retries with exponential backoff and jitter on 429/5xx/transport errors
//! (honouring `Retry-After`; only where resending is safe), client-side token
//! buckets per subscription fed by `x-ms-ratelimit-remaining-subscription-*`,
//! a concurrency cap, long-running-operation polling by ARM's rules
//! (`Azure-AsyncOperation`, then `Location`, then `provisioningState`),
//! paging (`nextLink`, Resource Graph `$skipToken`) and ARM's error envelope
//! as [`ClientError`].
//!
//! Every logical call gets one `x-ms-client-request-id` (a new UUID, kept
//! across its retries and polls) that is logged with `tracing` and carried by
//! its errors. Tokens are never logged, nor put in errors; polling URLs are
//! logged with their signatures redacted.
//!
//! It does not decide what to move (that is the planner) nor interpret
//! resources (that is `azrelo-estate`).

mod auth;
mod client;
mod config;
mod error;
mod fetch;
mod throttle;
mod transport;

pub use auth::{Auth, CertificateAssertion, ChainCredential, ChainSource, StaticTokenCredential};
pub use client::{ArmClient, Stats, redact_url};
pub use config::{BucketShape, ClientOptions, Cloud, ThrottleConfig, Tuning, resolve_endpoint};
pub use error::ClientError;
pub use fetch::fetch_text;
