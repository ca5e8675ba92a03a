//! # azrelo-arm — the vocabulary of Azure Resource Manager
//!
//! This crate owns the nouns every other azrelo crate speaks:
//!
//! * [`id`] — ARM resource identifiers of every form (tenant, management group,
//!   subscription, resource group, nested child resources, extension resources on
//!   any scope): parse, format, compare case-insensitively, navigate;
//!   [`id_index`] — maps keyed by id, looked up by id text in any spelling.
//! * [`scan`] — finding every resource id embedded in an arbitrary string, in one
//!   linear pass, for dependency discovery.
//! * [`region`] — the embedded region catalog (from ARM's locations API) and lookup
//!   by any spelling users and Azure produce.
//! * [`availability`] — resource-type availability per region from a snapshot of
//!   ARM's providers API; a region the snapshot does not list is *unknown*.
//! * [`schema`] — per-type read-only, write-only and sensitive property paths
//!   from the bicep-types-az schemas (what a generated template must not write
//!   or must not copy).
//! * [`resource_graph`] — which types Azure Resource Graph's `resources`
//!   table lists (top-level resources and a documented set of children),
//!   and the child types live discovery must read from their parent.
//! * [`roles`] — Azure's built-in role definitions (GUID → name,
//!   description) from an embedded table, so role assignments read as
//!   `Key Vault Secrets User` rather than a GUID.
//! * [`secrets`] — the secret policy: schema flags, type rules, credential
//!   names and the secret parts of values (connection-string keys, signed
//!   URLs, private keys, tokens), applied wherever operator data enters.
//! * [`names`] — ARM's name rules azrelo checks (resource group names).
//! * "did you mean" — [`Regions::suggest`] and
//!   [`Availability::suggest_types`].
//! * [`vocab`] — ARM's fixed vocabulary as constants: the resource types,
//!   id keywords and api-versions azrelo names in code.
//!
//! It must not do I/O (beyond parsing embedded or caller-supplied bytes; the
//! one exception is [`schema::extract`], the snapshot refresh used by an
//! example and a test), talk HTTP, or know anything about relocation
//! strategy: it is pure, synchronous and dependency-light so that every crate
//! can use it.

pub mod availability;
pub mod id;
pub mod id_index;
pub mod names;
pub mod region;
pub mod resource_graph;
pub mod roles;
pub mod scan;
pub mod schema;
pub mod secrets;
mod suggest;
pub mod uri;
pub mod vocab;

pub use availability::{Answer, SnapshotDate};
pub use availability::{Availability, Status as AvailabilityStatus};
pub use id::{IdError, IdKind, ResourceId, ResourceType};
pub use id_index::{IdIndex, IdKey};
pub use region::{Region, Regions};
pub use scan::{IdMatch, find_resource_ids};
