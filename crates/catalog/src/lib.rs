//! # azrelo-catalog — Azure region-relocation guidance as data
//!
//! This crate owns the *knowledge* azrelo plans with: Microsoft's
//! per-service relocation guidance (learn.microsoft.com "Relocate … to another
//! region", Azure Resource Mover's support matrix, the CAF *Relocate* pages)
//! turned into validated data files, embedded at build time from
//! `crates/catalog/catalog/` (see its `README.md` for the file schema and the
//! condition vocabulary). For every ARM resource type it answers:
//!
//! * the **strategy** ([`Strategy`]: `global`, `redeploy`, `redeploy+data`,
//!   `replicate`, `recreate`, `manual`) and the named **data mover**;
//! * whether **Azure Resource Mover** supports it;
//! * **naming** ([`NameRule`]): uniqueness scope, length, characters, DNS
//!   suffix — with [`NameRule::check`] and [`NameRule::propose`];
//! * the **checklist** of what does not travel (stable ids, shared items
//!   defined once), machine-applicable **template fixes**, **downtime** class,
//!   wave **phase**, and **assessment rules** with explicit [`Condition`]s;
//! * **planned durations** ([`Durations`], `durations.toml`): deployment
//!   minutes per type, data mover copy and cut-over outage, the outage of
//!   each downtime class, each with its basis (read by reports);
//! * **scenarios**: ordered procedures from the guidance (the general move
//!   process, Azure Backup, managed identities, Defender for Cloud, …) whose
//!   steps are automated or manual gates;
//! * **executors** (`executors.toml`): what azrelo does by itself. A step,
//!   checklist item or data mover is labelled `automated` only when it names
//!   the executor that performs it (validated at load); the code performing
//!   each executor registers the same id, and a test proves every label.
//! * **ownership** ([`OwnershipRule`], `ownership.toml`): resources created
//!   and managed by another resource or a platform service (an AKS node
//!   resource group, a private endpoint's NIC, a SQL server's `master`, VM
//!   extensions installed by Azure Backup or Defender for Cloud) and those
//!   that attach after their owner moved, recognised from `managedBy`,
//!   properties and documented naming conventions;
//! * **reference patterns** ([`References`], `references.toml`): resources
//!   named inside settings by name, host name or connection-string key,
//!   resources found by a value they publish (instrumentation keys, OIDC
//!   issuer URLs), each cloud's DNS suffixes and the secret parts of
//!   connection strings.
//!
//! Lookup ([`Catalog::entry`]) is case-insensitive and resolves, in order:
//! the listed type; the nested extension form
//! (`…/providers/diagnosticSettings`); the nearest listed ancestor of a child
//! type (`…/virtualNetworks/subnets` travels with its VNet); otherwise the
//! conservative default. The default is **`manual`, flagged for review**, not
//! `redeploy`: an unknown type may hold data or identities that a
//! configuration-only redeploy would silently lose, so the plan must stop at a
//! manual gate until a person confirms a recipe.
//!
//! The data is validated at load (unknown checklist ids, data movers, fix
//! ids or strategies, duplicate types across services, malformed names,
//! conditions or URLs → [`CatalogError`] naming the file and key); the tests
//! load the embedded catalog, so a bad data file fails `cargo test`.
//!
//! It must not do I/O beyond [`Catalog::from_dir`] reading a catalog
//! directory, talk to Azure, or plan: it describes recipes and the meaning of
//! their conditions ([`Condition::evaluate`] is pure); deciding what an estate
//! needs, ordering steps and assessing a move belong to the planner.

mod catalog;
pub mod condition;
pub mod durations;
mod load;
pub mod model;
pub mod names;
pub mod ownership;
pub mod references;

pub use catalog::{AppliedChecklistItem, Catalog, Lookup, Resolution};
pub use condition::{Condition, ResourceView, RuleContext, Truth};
pub use durations::{ClassOutage, Durations, MoverDuration};
pub use load::CatalogError;
pub use model::{
    Automation, ChecklistItem, ChecklistRef, ConditionalMover, DataMover, DataMoverKind, Defaults,
    Downtime, Executor, FixAction, FixRef, GateScope, GateStage, PerformedBy, Phase, ProcessPhase,
    ResourceMoverSupport, Rule, Scenario, ScenarioStep, Service, Severity, StepMode, StepOnly,
    Strategy, TemplateFix, Trigger, TypeEntry, Upgrade, UpgradeAction, UpgradeEdit,
};
pub use names::{CharClass, NameRule, NameScope, SuffixRule};
pub use ownership::{
    NameMatch, Names, OwnedTarget, OwnerMatch, OwnerProperty, OwnershipRule, Relation, TargetHow,
};
pub use references::{
    Cloud, Compare, Endpoint, HostPattern, KeyPattern, Label, NamePattern, ReferenceKind,
    References, RegionalHost, Syntax, TypePath,
};
