//! The plan document (`azrelo.plan/v1`): what `azrelo plan` writes to
//! `plan.json` and what the template generator and the orchestrator read.
//!
//! Field names are camelCase and stable; enums serialize as kebab-case
//! strings. Every list is in a deterministic order (wave, then source id), so
//! two runs over the same inputs produce byte-identical plans.

use azrelo_arm::id::ResourceId;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Schema tag of the plan document. v2: the run's gates (`gates`) and the
/// executors' actions (`actions`) are decided by the plan, and scenario
/// steps name their executor; a v1 plan has neither and is refused by the
/// orchestrator (re-run `azrelo plan`).
pub const SCHEMA: &str = "azrelo.plan/v2";

pub use azrelo_catalog::{
    Downtime, GateStage, Names, Phase, ProcessPhase, Relation, ResourceMoverSupport, Severity,
    Strategy,
};

/// A relocation plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// `azrelo <version>`.
    pub generator: String,
    /// Where things go.
    pub target: Target,
    /// Regions the moved resources are in today (canonical names where known).
    pub source_regions: Vec<String>,
    /// Date of the embedded provider snapshot used for availability checks.
    pub availability_snapshot: String,
    /// Counts for the report header.
    pub summary: Summary,
    /// The six generic phases of a move (verify prerequisites … clean up),
    /// with what happens in each.
    pub phases: Vec<PhasePlan>,
    /// Ordered waves.
    pub waves: Vec<Wave>,
    /// Every resource of the move set, in wave order.
    pub resources: Vec<PlannedResource>,
    /// Source id → target id for every moved resource (children and inline
    /// sub-resources included). Templates are re-pointed with this map.
    pub id_map: Vec<IdMapping>,
    /// Role assignments to create in the target (new scope and/or new
    /// principal).
    pub role_assignments: Vec<RoleAssignmentPlan>,
    /// References deferred to break dependency cycles.
    pub deferred_references: Vec<DeferredReference>,
    /// References from the move set to resources that do not move.
    pub external_references: Vec<ExternalReference>,
    /// Downtime class per workload (source resource group).
    pub workloads: Vec<Workload>,
    /// What does not travel and must be redone, grouped by checklist item.
    pub checklist: Vec<ChecklistEntry>,
    /// The guidance's scenario procedures that apply, instantiated.
    pub scenarios: Vec<ScenarioPlan>,
    /// What the run does besides deploying templates: each automated
    /// scenario step an executor of `azrelo apply` performs, as a unit with
    /// its order relative to the resource units (capture the backup
    /// baseline, stop protection before a VM moves, re-protect after, …).
    #[serde(default)]
    pub actions: Vec<ActionPlan>,
    /// Every gate the run stops at (resource steps, manual resources and
    /// manual scenario steps), with where it stops the run; the
    /// orchestrator and the reports read them from here.
    #[serde(default)]
    pub gates: Vec<GatePlan>,
    /// Assessment findings, most severe first.
    pub findings: Vec<Finding>,
}

/// Target of the relocation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// Canonical region name (`swedencentral`).
    pub region: String,
    /// Display name (`Sweden Central`) when the region catalog knows it.
    pub display_name: Option<String>,
    /// Source subscription → target subscription.
    pub subscriptions: Vec<Mapping>,
    /// Source resource group id → target resource group id.
    pub resource_groups: Vec<Mapping>,
    /// What happens to required dependencies outside the selection.
    pub dependency_policy: DependencyPolicy,
}

/// A source → target pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mapping {
    pub source: String,
    pub target: String,
}

/// What to do with a dependency the selection requires but does not include.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DependencyPolicy {
    /// Add it to the move set (the default).
    #[default]
    Add,
    /// Leave it where it is; moved resources keep referring to it (or to an
    /// existing target given with `--existing-target`).
    Keep,
}

/// Plan-level counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Resources in the move set (extension records included, role
    /// assignments excluded).
    pub resources: usize,
    /// Selected by the user.
    pub selected: usize,
    /// Added because something selected requires them.
    pub added_as_dependencies: usize,
    /// Added because they cannot stay behind (children, extension records,
    /// same-region dependents).
    pub added_as_dependents: usize,
    pub moved: usize,
    pub recreated: usize,
    pub reconfigured: usize,
    pub manual: usize,
    pub kept: usize,
    /// Created by their owner's move or installed by a service: never
    /// deployed, moved or deleted on their own.
    #[serde(default)]
    pub owned: usize,
    /// Moving inside a parent's template.
    pub carried_with_parent: usize,
    pub role_assignments: usize,
    pub waves: usize,
    pub manual_gates: usize,
    pub blockers: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Types that fell back to the catalog's conservative default.
    pub uncatalogued_types: usize,
    pub deferred_references: usize,
    pub external_references: usize,
}

/// One of the six generic phases.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhasePlan {
    pub phase: ProcessPhase,
    pub title: String,
    pub activities: Vec<Activity>,
}

/// Something that happens in a phase.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub title: String,
    pub mode: StepMode,
    pub detail: String,
    /// Resources (or records) it covers.
    pub count: usize,
    /// Wave it belongs to, for per-wave activities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave: Option<u32>,
}

pub use azrelo_catalog::StepMode;

/// A wave: units that can be prepared and moved together once every earlier
/// wave is done. Every dependency of a wave's member is in an earlier wave
/// or travels inside the member's own template.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wave {
    /// 1-based.
    pub number: u32,
    /// The phase family (resource groups → network → identities and
    /// secrets → data stores → compute and apps → monitoring and security →
    /// cut-over → clean-up).
    pub phase: Phase,
    pub title: String,
    /// Unit roots (resources carried with a parent are listed under it).
    pub resources: Vec<Arc<str>>,
    /// Role assignments created in this wave.
    pub role_assignments: usize,
    /// Manual gates among the wave's steps.
    pub manual_gates: usize,
}

/// What happens to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// A copy of the configuration (plus data) is deployed in the target.
    Move,
    /// A new instance with a new identity replaces it; dependents are
    /// re-pointed.
    Recreate,
    /// Not regional: nothing is deployed; settings are re-pointed.
    Reconfigure,
    /// A person relocates it (manual gate).
    Manual,
    /// Already in the target region: stays as it is.
    Keep,
    /// Created by its owner's move (an AKS node resource group and what is
    /// in it, a private endpoint's NIC, a SQL server's `master`) or
    /// installed by a platform service (a Backup or Defender VM extension):
    /// never deployed, moved or deleted on its own; verified in the target
    /// once its owner moved (see [`PlannedResource::ownership`]).
    Owned,
}

impl Action {
    /// Spelling used in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Move => "move",
            Action::Recreate => "recreate",
            Action::Reconfigure => "reconfigure",
            Action::Manual => "manual",
            Action::Keep => "keep",
            Action::Owned => "owned",
        }
    }

    /// Whether azrelo creates a new resource in the target (an owned one is
    /// created by its owner, not by azrelo).
    pub fn creates_target(self) -> bool {
        matches!(self, Action::Move | Action::Recreate | Action::Manual)
    }
}

/// Why a resource is in the move set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    pub kind: ReasonKind,
    /// The resource that pulled it in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// See [`Reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonKind {
    /// Matched the selection.
    Selected,
    /// Required by a selected (or added) resource.
    Dependency,
    /// A child of a moved resource.
    Child,
    /// An extension record (diagnostic setting, lock, exemption) on a moved
    /// resource.
    Extension,
    /// Must be in the same region as a moved resource it depends on.
    SameRegionDependent,
    /// Belongs to a moved resource (created or configured by it, or
    /// attached to it).
    Owned,
}

/// How the catalog answered for a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CatalogMatch {
    Exact,
    Extension,
    Inherited,
    Default,
}

/// The plan for one resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedResource {
    pub source_id: ResourceId,
    #[serde(rename = "type")]
    pub resource_type: Arc<str>,
    pub name: Arc<str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Arc<str>>,
    pub action: Action,
    pub strategy: Strategy,
    /// For `move`/`recreate`/`manual`: the target id. For `reconfigure` and
    /// `keep`: the source id (nothing new is created).
    pub target_id: ResourceId,
    pub target_name: Arc<str>,
    /// Why the name changes, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rename_reason: Option<String>,
    pub wave: u32,
    /// The unit root whose template carries this resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried_by: Option<ResourceId>,
    pub reason: Reason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<Arc<str>>,
    pub catalog_match: CatalogMatch,
    pub phase: Phase,
    pub downtime: Downtime,
    pub resource_mover: ResourceMoverSupport,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_mover: Option<Arc<str>>,
    pub steps: Arc<[Step]>,
    /// Checklist item ids that apply (details in [`Plan::checklist`]).
    pub checklist: Vec<Arc<str>>,
    /// The type's own template fixes (ids, or `action path` for inline
    /// ones) whose conditions hold; the catalog's universal fixes (read-only
    /// properties, location, identities) apply to every created resource in
    /// addition.
    pub template_fixes: Vec<Arc<str>>,
    /// Retired SKUs/features relocated as their successor (catalog
    /// `upgrades`): the edits the generator applies and the comparison of
    /// source and target accepts, each resolved against the source body.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upgrades: Vec<PlannedUpgrade>,
    /// Whom the resource belongs to, for owned resources (action `owned`)
    /// and resources that attach to another after it moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership: Option<PlannedOwnership>,
}

/// An upgrade of a retired SKU/feature, resolved for one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedUpgrade {
    /// The catalog upgrade's id (also the code of its plan finding).
    pub id: String,
    /// What the resource relocates as.
    pub to: String,
    /// The edits, in order.
    pub edits: Vec<UpgradeChange>,
}

/// One edit of a [`PlannedUpgrade`]: the value at `path` goes from `from`
/// (the source's; `None`: absent) to `to` (`None`: removed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeChange {
    /// JSON pointer into the resource body (`/sku/name`).
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<serde_json::Value>,
    /// Why (the successor's rule).
    pub reason: String,
}

/// The owner of a resource and how its target counterpart is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedOwnership {
    /// The owner's source id; `None` when only a platform service owns it
    /// (`NetworkWatcher_<region>`, an extension whose installer is not in
    /// the estate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<ResourceId>,
    /// The owner's target id (after its move).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_target: Option<ResourceId>,
    pub relation: Relation,
    /// The catalog's ownership rule (`ownership.toml`).
    pub rule: Arc<str>,
    /// Who creates, installs or manages it.
    pub service: Arc<str>,
    /// The owned resource group whose owner it inherits, for the contents
    /// of a managed group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_group: Option<ResourceId>,
    /// How its target counterpart is known.
    pub target: OwnedTargetPlan,
}

/// How the target counterpart of an owned resource is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "how")]
pub enum OwnedTargetPlan {
    /// Known now: the planned resource's `targetId` (same name under its
    /// moved parent, or a documented naming convention).
    Known,
    /// Read from the moved owner: the value at `path` (a JSON pointer into
    /// the owner's GET body) names the target (`names`: its id, or its
    /// resource group by name or id).
    FromOwner { path: String, names: Names },
    /// In the owned resource group `group` (source id) once the owner moved:
    /// listed there and matched by type (and name where the owner keeps it).
    InOwnedGroup { group: ResourceId },
    /// Deployed by azrelo after the owner moved (`attach-after-owner`): the
    /// planned resource's `targetId`.
    Planned,
}

/// A per-resource step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub kind: StepKind,
    pub phase: ProcessPhase,
    pub mode: StepMode,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub detail: Arc<str>,
}

/// The kinds of per-resource steps, in execution order within a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// Generate the target template (names, location, ids re-pointed, fixes).
    GenerateTemplate,
    /// Start copying data / configure replication (prepare).
    StartDataCopy,
    /// Export configuration not in the template.
    ExportConfiguration,
    /// Deploy the target template.
    Deploy,
    /// Final data sync / fail over with writes stopped.
    FinalSync,
    /// Update settings in place (global resources).
    Reconfigure,
    /// A person relocates the resource.
    ManualRelocation,
    /// Check the target resource exists and matches.
    Verify,
    /// Created by its owner's move: nothing to deploy.
    CreatedByOwner,
    /// Installed by a platform service on the moved resource.
    InstalledByService,
    /// Deployed after the resource it attaches to moved.
    AttachAfterOwner,
    /// Point dependents at the target.
    RepointDependents,
    /// Delete the source (after commit).
    DeleteSource,
}

impl StepKind {
    /// Human title.
    pub fn title(self) -> &'static str {
        match self {
            StepKind::GenerateTemplate => "generate target template",
            StepKind::StartDataCopy => "start data copy / replication",
            StepKind::ExportConfiguration => "export configuration not in the template",
            StepKind::Deploy => "deploy in target",
            StepKind::FinalSync => "final sync and switch (writes stopped)",
            StepKind::Reconfigure => "re-point settings in place",
            StepKind::ManualRelocation => "relocate by hand (manual gate)",
            StepKind::Verify => "verify target",
            StepKind::CreatedByOwner => "created by its owner's move",
            StepKind::InstalledByService => "installed by a service after the move",
            StepKind::AttachAfterOwner => "attach after its owner moved",
            StepKind::RepointDependents => "re-point dependents",
            StepKind::DeleteSource => "delete source after commit",
        }
    }
}

/// Source id → target id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdMapping {
    pub source: ResourceId,
    pub target: ResourceId,
}

/// A role assignment to create in the target.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentPlan {
    pub source_id: String,
    pub role_definition_id: String,
    pub source_scope: String,
    pub target_scope: String,
    /// The principal id in the source.
    pub source_principal_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<String>,
    /// The source assignment's ABAC condition, carried as is: dropping it
    /// would grant the role without the restriction it expresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who the target assignment names.
    pub target_principal: TargetPrincipal,
    /// New assignment name: `guid(targetScope, principal, roleDefinitionId)`
    /// in ARM's `guid()` algorithm.
    pub target_name: String,
    pub wave: u32,
    pub reasons: Vec<RoleAssignmentReason>,
}

/// The principal of a recreated assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum TargetPrincipal {
    /// The same principal (a user, group or service principal that does not
    /// move).
    Same { principal_id: String },
    /// The new principal of a recreated identity: the user-assigned identity
    /// or the system-assigned identity of the resource named here, known only
    /// after it is deployed.
    NewPrincipalOf { identity: String },
}

/// Why a role assignment is in the recreate list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleAssignmentReason {
    /// Its scope is a moved resource (or resource group).
    ScopeMoves,
    /// Its principal is an identity that is recreated.
    PrincipalRecreated,
}

/// A reference left out of the wave order to break a cycle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeferredReference {
    pub from: String,
    pub to: String,
    pub kind: String,
    pub path: String,
    /// The wave after which the reference is set (a second deployment of
    /// `from`).
    pub set_after_wave: u32,
    pub explanation: String,
}

/// A reference from the move set to something that does not move.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalReference {
    pub from: String,
    pub to: String,
    pub kind: String,
    pub path: String,
    pub resolution: ExternalResolution,
}

/// What happens to an external reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ExternalResolution {
    /// The moved resource keeps pointing at the source resource.
    KeptInSource,
    /// Re-pointed to an existing resource in the target (`--existing-target`).
    ExistingTarget { target: String },
    /// The referenced resource is not in the estate; nothing is known about
    /// it. The reference is kept as written.
    NotInEstate,
    /// A global (non-regional) resource: the reference stays valid.
    Global,
}

/// Downtime of a workload (the resources of one source resource group).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    pub resource_group: String,
    pub resources: usize,
    /// The worst class among its moved resources (cold > warm > hot).
    pub downtime: Downtime,
    /// The resources that set it.
    pub driven_by: Vec<String>,
}

/// A checklist item with the resources it applies to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChecklistEntry {
    pub id: String,
    pub title: String,
    pub instruction: String,
    pub automation: azrelo_catalog::Automation,
    /// How many resources it applies to.
    pub count: usize,
    /// The first of them (at most `MAX_LISTED`, sorted by wave then id);
    /// every planned resource lists its own items in `checklist`.
    pub resources: Vec<String>,
}

/// A scenario procedure instantiated for this plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioPlan {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub steps: Vec<ScenarioStepPlan>,
}

/// One step of a scenario, with the resources it concerns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioStepPlan {
    pub id: String,
    pub title: String,
    pub phase: ProcessPhase,
    pub mode: StepMode,
    pub instruction: String,
    /// How many resources of the plan it concerns.
    pub count: usize,
    /// The first of them by id (at most `MAX_LISTED`).
    pub resources: Vec<String>,
    pub checklist: Vec<String>,
    /// The executor that performs an automated step (catalog
    /// `executors.toml`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
    /// What azrelo does instead of the guidance's method, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instead: Option<String>,
    /// The actions of `actions` that carry it out, and the gates of `gates`
    /// it became (ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gates: Vec<String>,
}

/// Something an executor of the run does that is not a template
/// deployment, as a unit of the run: journaled, verified, idempotent,
/// `--validate-only` aware like every unit.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionPlan {
    /// The unit's key (journal steps are `KEY#step`): deterministic and
    /// unique, in ARM id form.
    pub key: ResourceId,
    /// The executor (catalog `executors.toml`, performed by `apply`).
    pub executor: String,
    /// What it does, for people.
    pub title: String,
    /// The scenario step it carries out (`scenario/step`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Units that must exist first (target ids, or keys of other actions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<ResourceId>,
    /// Units that wait for it (target ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<ResourceId>,
    /// Planned resources (source ids) this action relocates: no unit of
    /// their own, no manual gate (a backup item re-protected by it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaces: Vec<ResourceId>,
    /// What the executor needs: ids, names and settings from the estate;
    /// never a secret.
    pub params: serde_json::Value,
    pub wave: u32,
}

/// Where a gate comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum GateOrigin {
    /// A manual per-resource step (a data copy azrelo does not run, a final
    /// sync, a manual relocation).
    ResourceStep { step: StepKind },
    /// A resource nothing relocates automatically (the plan marks it
    /// manual, the generator never emits its type, or its body is missing).
    ManualResource,
    /// A manual step of a scenario procedure.
    ScenarioStep { scenario: String, step: String },
    /// The operator approves a retired SKU/feature relocated as its
    /// successor (catalog `upgrades`) before the move.
    Upgrade { upgrades: Vec<String> },
}

/// A gate of the run: a manual step the operator does, then closes with
/// `azrelo gate done DIR ID`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatePlan {
    /// The id `azrelo gate done` takes (`start-data-copy:kv-shop-weu-01`).
    pub id: String,
    pub origin: GateOrigin,
    /// What it holds back: the move, the commit or the source cleanup.
    pub stage: GateStage,
    /// The units it holds (target ids); empty: every unit of the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<ResourceId>,
    /// The resource it is about (source id), if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceId>,
    /// What the operator does.
    pub instruction: String,
    pub wave: u32,
}

impl GatePlan {
    /// Before its unit's move (else after it).
    pub fn before_move(&self) -> bool {
        self.stage == GateStage::Move
    }
}

/// An assessment finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub severity: Severity,
    /// Stable code (`type-availability`, a catalog rule id, …).
    pub code: String,
    /// The resource (source id), if the finding is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub message: String,
    pub remediation: String,
}
