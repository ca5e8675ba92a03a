//! # azrelo-emulator — a local Azure Resource Manager for rehearsals
//!
//! Owns an in-process emulation of the parts of ARM a relocation touches, so
//! that azrelo's client, the orchestrator and standard tooling can run
//! against it without Azure. This first slice implements:
//!
//! * resource groups (PUT/GET/DELETE/list) and generic resources at any id
//!   (PUT create-or-update, PATCH tags, GET, DELETE, list by resource group
//!   and subscription), `api-version` required;
//! * ARM's error envelope `{"error": {"code", "message", "target"}}` with
//!   ARM's codes: `MissingApiVersionParameter`, `ResourceGroupNotFound`,
//!   `ResourceNotFound`, `ParentResourceNotFound`,
//!   `LocationNotAvailableForResourceType`, `NoRegisteredProviderFound`,
//!   `InvalidResourceReference`, in-use conflicts (`InUseSubnetCannotBeDeleted`,
//!   `NicInUse`, …), global-name conflicts (`StorageAccountAlreadyTaken`,
//!   `VaultAlreadyExists`, …), `AuthenticationFailed`;
//! * long-running operation headers: PUT answers 201 (create) or 200
//!   (update) and DELETE 202, with `Azure-AsyncOperation` and `Location`
//!   pointing at an operation-status endpoint;
//! * referential integrity as ARM enforces it (a reference to a missing
//!   resource in a group the emulator holds fails; deleting a resource others
//!   still reference fails; an identity still assigned may be deleted);
//! * globally unique names for types whose catalog name rule is global;
//! * identities: system-assigned principals and user-assigned identities get
//!   principal and client ids.
//!
//! * ARM's request throttling (see [`throttle`]), with the
//!   `x-ms-ratelimit-remaining-subscription-*` headers and 429 + `Retry-After`;
//! * the deployments API (inline templates, expanded by azrelo's engine);
//! * seeding from an estate (`Emulator::seed`);
//! * seeded fault injection (see [`faults`]): 429, 500, 503 at given rates;
//! * the locations and providers endpoints, from the embedded snapshots;
//! * Azure Resource Graph (`POST /providers/Microsoft.ResourceGraph/resources`)
//!   with the KQL subset discovery uses (see [`graph_query`]) and paging.
//!
//! Not yet: TLS, latency profiles, fault injection, persistence,
//! the deployments API, Resource Graph and the disk data path (see the
//! emulator issue). It must never be used as a production endpoint and binds
//! loopback unless told otherwise (the CLI enforces it).

pub mod faults;
pub mod graph_query;
mod store;
pub mod throttle;

pub use store::{Emulator, router};
