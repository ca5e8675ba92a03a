//! # azrelo-emulator — a local Azure Resource Manager for rehearsals
//!
//! Owns an in-process emulation of the parts of ARM a relocation touches, so
//! that azrelo's client, the orchestrator and standard tooling (the Azure CLI)
//! can run against it without Azure:
//!
//! * transport and access ([`serve()`]): HTTPS with a certificate authority
//!   and server certificate generated at start (rustls, `ring`; with
//!   `--data` the authority is kept in the data directory and reused, see
//!   [`Certificate::load_or_generate`]), or plain HTTP; a bearer token is
//!   required — a configured one ([`Emulator::with_token`]) or any (test
//!   mode); a handler that panics answers 500 and never fails the requests
//!   after it;
//! * resource groups (PUT/GET/DELETE/list) and generic resources at any id
//!   (PUT create-or-update, PATCH tags, GET, DELETE, list by resource group
//!   and subscription), `api-version` required; request bodies read as
//!   leniently as ARM reads them (comments, unquoted names);
//! * ARM's error envelope `{"error": {"code", "message", "target"}}` with
//!   ARM's codes: `MissingApiVersionParameter`, `ResourceGroupNotFound`,
//!   `ResourceNotFound`, `ParentResourceNotFound`,
//!   `LocationNotAvailableForResourceType`, `NoRegisteredProviderFound`,
//!   `InvalidResourceReference`, in-use conflicts (`InUseSubnetCannotBeDeleted`,
//!   `NicInUse`, `OperationNotAllowed` for an attached disk, …), global-name
//!   conflicts (`StorageAccountAlreadyTaken`, `VaultAlreadyExists`, …),
//!   `AnotherOperationInProgress`, `ScopeLocked`, `AuthenticationFailed`,
//!   `InvalidAuthenticationToken`;
//! * long-running operations: PUT answers 201/200 and DELETE 202 with
//!   `Azure-AsyncOperation` (status: `InProgress` → `Succeeded`/`Failed`
//!   with an error/`Canceled`), `Location` (202 until done, then the result)
//!   and `Retry-After`; `provisioningState` moves through
//!   `Creating`/`Updating`/`Deleting` for as long as the [`latency`] profile
//!   says per type (off: immediately), answered lazily against a [`Clock`]
//!   so no handler ever waits;
//! * referential integrity as ARM enforces it (a reference to a missing
//!   resource in a group the emulator holds fails; deleting a resource others
//!   still reference fails; an identity still assigned may be deleted; a
//!   reference at a path the schema marks read-only — a NIC's
//!   `virtualMachine`, a subnet's `ipConfigurations` — is a back-reference,
//!   neither checked on PUT nor counted as use);
//! * management locks (`Microsoft.Authorization/locks`) on a subscription,
//!   group or resource and everything below it: `CanNotDelete` refuses
//!   DELETE (a group holding a locked resource included), `ReadOnly` also
//!   PUT and PATCH, with `409 ScopeLocked`; the locks themselves stay
//!   writable;
//! * globally unique names for types whose catalog name rule is global;
//! * identities: system-assigned principals and user-assigned identities get
//!   principal and client ids;
//! * the disk data path: managed disks, incremental snapshots, the
//!   cross-region `CopyStart` copy with `completionPercent` and
//!   `copyCompletionError`, disks from snapshots, VMs attaching disks in
//!   their region;
//! * ARM's request throttling (see [`throttle`]), with the
//!   `x-ms-ratelimit-remaining-subscription-*` headers and 429 + `Retry-After`;
//! * the deployments API (inline templates, expanded by azrelo's engine,
//!   timed by the latency profile);
//! * seeding from an estate (`Emulator::seed`) and persistence in SQLite
//!   (`Emulator::open`);
//! * seeded fault injection (see [`faults`]): 429, 500, 503, dropped
//!   connections, slow responses, failed long-running operations;
//! * the locations and providers endpoints, from the embedded snapshots, and
//!   what the Azure CLI reads: `/metadata/endpoints`, subscriptions, tenants
//!   and an App Service-style managed-identity token endpoint (`/msi/token`);
//! * Azure Resource Graph (`POST /providers/Microsoft.ResourceGraph/resources`)
//!   with the KQL subset discovery uses (see [`graph_query`]) and paging.
//!
//! What differs per resource type (error codes, PUT answers, PATCH
//! semantics, typical durations, `list*()` actions, children Azure creates
//! with their parent, resources it creates on its own) is one table,
//! [`types::TABLE`].
//!
//! It must never be used as a production endpoint and binds loopback unless
//! told otherwise (the CLI enforces it).
//!
//! [`Clock`]: latency::Clock

#![forbid(unsafe_code)]

// Transport and access.
mod api;
mod cert;
pub mod serve;
// State and its persistence.
mod emulator;
mod persist;
mod state;
// ARM's rules, and what differs per resource type.
mod defaults;
mod disks;
mod integrity;
mod names;
pub mod types;

// Services.
mod deployments;
pub mod graph_query;
// Behaviour knobs.
pub mod faults;
pub mod latency;
pub mod throttle;

pub use api::router;
pub use cert::{CA_CERT, CA_KEY, Certificate};
pub use emulator::Emulator;
pub use serve::serve;
