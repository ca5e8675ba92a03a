//! # azrelo-generate — deployable ARM templates for the target region
//!
//! Owns turning a plan (`azrelo_plan::Plan`) and the estate it was made from into ARM
//! deployments: one template (+ parameters file) per wave × target scope,
//! and a manifest listing them in order ([`Manifest`], the type the
//! orchestrator reads back).
//!
//! For every resource the plan creates (`move`, `recreate`):
//! * the body is the estate record (ARM GET shape) with envelope and
//!   server-generated fields dropped, the catalog's template fixes applied and
//!   read-only properties stripped ([`Flags`]);
//! * location → the target region (global/absent locations kept), name → the
//!   plan's target name (full template name for children), zones dropped when
//!   the target region has none;
//! * every resource id inside every string (and object key: tag keys such as
//!   `hidden-link:{id}`, user-assigned identity keys) that names a moved
//!   resource is rewritten through the plan's id map; an id *below* a moved
//!   resource that the plan does not list on its own (a NIC's
//!   `ipConfigurations`, a load balancer's pools and frontends, private
//!   endpoint connections, an extension on it) gets its nearest moved
//!   ancestor's target id with the rest of its path kept. Ids of resources
//!   that stay are left alone. Each rewrite is a `reference` change;
//! * every secret becomes a parameter **without a value** at its leaf — a
//!   sensitive or hidden property (schema flag, `azrelo_arm::secrets`), a
//!   write-only string, a well-known secret name, the value of a
//!   `{name, value}` pair whose name is a secret's (app settings), a value
//!   that looks like a connection string or SAS token: `secureString` for a
//!   string, `secureObject` for an object; the rest of an object around it
//!   (a `siteConfig`) keeps its values. No source secret reaches a
//!   generated file;
//! * references that are not ids (the graph's settings edges: a host name,
//!   `AccountName=`, an identity-based setting, a Key Vault reference) are
//!   rewritten to the target's names; a value only the moved resource knows
//!   (a component's connection string or instrumentation key, a recreated
//!   identity's client id, a moved cluster's OIDC issuer) becomes a
//!   parameter with `azrelo.readFrom`/`azrelo.path` metadata that the
//!   orchestrator fills from the moved resource; a connection string keeps
//!   its other parts in clear and each secret part becomes a secure
//!   parameter;
//! * nothing an owner creates is generated (the plan's `owned` resources);
//!   references an owner manages (its kubelet identity, the route table it
//!   put on a subnet) are left out, and an owner's property naming a group
//!   it creates is left out or given a new name (catalog `new_name`);
//! * `dependsOn` lists the target ids of dependencies in the same template;
//!   dependencies in earlier waves are plain ids.
//!
//! Role assignments for new scopes or new principals are generated as
//! extension resources; the principal of a recreated identity is a
//! parameter azrelo fills once that identity exists, recorded as such in
//! the manifest ([`RunParameter`]), which is what the orchestrator reads.
//!
//! It must not read files or talk to Azure: the CLI reads `plan.json` and
//! `estate.json` and writes what this crate returns.

mod build;
pub mod manifest;

pub use azrelo_arm::secrets::{is_secret_name, looks_secret};
pub use build::{
    Change, ChangeKind, Deployment, Generated, ReadParameter, RunParameter, RunValue, generate,
    stand_ins,
};
pub use manifest::{DeploymentScope, Manifest, ManifestEntry, Skipped};

/// The executor of the catalog (`executors.toml`) `azrelo generate`
/// performs; the labels test checks every automated label against it.
pub const EXECUTORS: &[&str] = &["template-generation"];

/// Property flags by type: what must not be written back. The embedded
/// bicep-types-az snapshot implements it (`azrelo_arm::schema`); tests can
/// supply their own.
pub trait Flags {
    /// Whether the JSON pointer (from the resource body) is read-only.
    fn is_read_only(&self, resource_type: &str, pointer: &str) -> bool;
    /// Whether the value is a secret ARM never returns: sensitive in the
    /// schema (`x-ms-secret`), or one of the hidden values the schema does
    /// not flag (`azrelo_arm::secrets::is_unflagged_hidden`). A string
    /// becomes a `secureString` parameter, an object a `secureObject`.
    fn is_sensitive(&self, resource_type: &str, pointer: &str) -> bool;
    /// Whether the property is write-only (ARM accepts it but does not
    /// return it) and not a creation-time directive such as `createMode`.
    /// A write-only *string* is treated as a secret; a write-only object
    /// (an App Service `siteConfig`) is not: only its secret leaves are.
    fn is_write_only(&self, _resource_type: &str, _pointer: &str) -> bool {
        false
    }
}

/// The embedded schema snapshot (`azrelo_arm::schema`): read-only paths are
/// stripped, sensitive ones become secure parameters at that leaf, write-only
/// strings too (except creation directives such as `createMode`, kept as
/// values); write-only objects keep their values except their secret leaves.
pub struct SchemaFlagsAdapter(&'static azrelo_arm::schema::SchemaFlags);

impl Flags for SchemaFlagsAdapter {
    fn is_read_only(&self, resource_type: &str, pointer: &str) -> bool {
        self.0
            .get(resource_type)
            .is_some_and(|t| t.is_read_only(pointer))
    }
    fn is_sensitive(&self, resource_type: &str, pointer: &str) -> bool {
        azrelo_arm::secrets::is_unflagged_hidden(resource_type, pointer)
            || self
                .0
                .get(resource_type)
                .is_some_and(|t| t.is_sensitive(pointer))
    }
    fn is_write_only(&self, resource_type: &str, pointer: &str) -> bool {
        self.0.get(resource_type).is_some_and(|t| {
            t.is_write_only(pointer) && !azrelo_arm::secrets::is_creation_directive(pointer)
        })
    }
}

/// The flags the CLI uses: the embedded schema snapshot.
pub fn embedded_flags() -> &'static dyn Flags {
    static FLAGS: std::sync::OnceLock<SchemaFlagsAdapter> = std::sync::OnceLock::new();
    FLAGS.get_or_init(|| SchemaFlagsAdapter(azrelo_arm::schema::SchemaFlags::embedded()))
}

/// No schema knowledge: only envelope fields, catalog fixes and secret names
/// apply.
pub struct NoFlags;

impl Flags for NoFlags {
    fn is_read_only(&self, _: &str, _: &str) -> bool {
        false
    }
    fn is_sensitive(&self, _: &str, _: &str) -> bool {
        false
    }
}
