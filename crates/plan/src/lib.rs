//! # azrelo-plan — assessment and the relocation plan
//!
//! Owns turning an estate, its dependency graph and the relocation catalog
//! into a [`Plan`] (`azrelo.plan/v1`) for one target region:
//!
//! 1. **Selection** — scopes (subscription, resource group or resource ids),
//!    `--include`/`--exclude` by type or tag.
//! 2. **Move set** — the selection plus everything it requires (or, with
//!    [`DependencyPolicy::Keep`], references kept and reported), plus what
//!    cannot stay behind: children carried in a parent's template, extension
//!    records on moved resources (diagnostic settings, locks, exemptions),
//!    backup items protecting moved resources. Role assignments are recreated
//!    when their scope moves or their principal is recreated.
//! 3. **Decisions** — per resource the catalog's strategy becomes an
//!    [`Action`]: move, recreate, reconfigure (global: nothing deployed),
//!    manual, keep (already in the target), owned (created by its owner or
//!    installed by a service — an AKS node resource group and its contents,
//!    a private endpoint's NIC, `master`, a Backup VM extension: never
//!    deployed, moved or deleted on its own; its step is the owner's move,
//!    its target known, read from the moved owner or found in the owner's
//!    new managed group — [`PlannedOwnership`]). What attaches after its
//!    owner moved (a SQL VM registration) is deployed in a later wave.
//! 4. **Target ids and names** — subscription and resource group mappings,
//!    new names for globally unique names (a configurable naming rule, every
//!    proposal checked against the type's rule and against every other name).
//! 5. **Waves** — see the `waves` module: the guidance's phase order,
//!    raised by dependencies, cycles broken explicitly.
//! 6. **Steps, checklists, scenarios, phases, findings**.
//! 7. **Procedures** — the scenarios that apply, narrowed per step; the
//!    actions the run's executors perform for their automated steps (stop
//!    backup protection before a VM moves, re-protect after it, mirror
//!    Defender for Cloud to a new subscription, grants for new principals)
//!    with their order relative to the resource units; and the run's gates
//!    ([`gates`]: resource steps, manual resources, manual scenario steps),
//!    recorded in `plan.json` for the orchestrator and the reports.
//!
//! Invariants (checked by [`check_invariants`] and the tests):
//! every dependency between two created resources of different units points
//! to a strictly earlier wave unless deferred; every created resource has a
//! unique target id; every role assignment naming a recreated principal is
//! in the recreate list; nothing global is moved (reconfigured resources
//! keep their id and have no deploy step); nothing owned is deployed or
//! deleted on its own, nor verified before its owner moved.
//!
//! It must not read files, talk to Azure or write templates: it decides, the
//! template generator and the orchestrator act.

mod assess;
mod build;
pub mod capacity;
pub mod estimate;
pub mod gates;
mod id_map;
mod invariants;
pub mod model;
pub mod options;
mod phases;
mod procedures;
pub mod report;
mod waves;

pub use build::{MAX_LISTED, plan, plan_with};
pub use id_map::{IdMap, Mapped};
pub use invariants::check_invariants;
pub use model::*;
pub use options::{Filter, NamingRule, OptionsError, PlanOptions, parse_mapping};
pub use procedures::is_default_workspace;
pub use waves::phase_title;

/// The executors of the catalog (`crates/catalog/catalog/executors.toml`)
/// `azrelo plan` and `azrelo assess` perform: the availability check
/// (`assess.rs`), the catalog's rules and the naming rules (`build/`), the
/// dependency graph, move set and waves, the Backup tracks
/// (`procedures/relations.rs`) and, with live facts, the quota check
/// ([`capacity`]). The labels test checks every automated label against it.
pub const EXECUTORS: &[&str] = &[
    "availability-check",
    "catalog-rules",
    "name-rules",
    "dependency-graph",
    "backup-tracks",
    "quota-check",
];
