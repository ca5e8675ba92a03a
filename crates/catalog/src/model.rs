//! The catalog's data model: what one data file deserializes into.
//!
//! Every struct denies unknown fields, so a misspelt key in a data file is a
//! load error naming the file and line rather than a silently ignored line.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::condition::Condition;
use crate::names::NameRule;

/// How a resource type gets from the source region to the target region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Strategy {
    /// Not regional (or not tied to the region being left): nothing is
    /// deployed; references are re-pointed and settings re-checked.
    #[serde(rename = "global")]
    Global,
    /// Deploy the configuration from a generated template in the target
    /// region. No data is copied.
    #[serde(rename = "redeploy")]
    Redeploy,
    /// `redeploy` plus a named data mover (see [`DataMover`]).
    #[serde(rename = "redeploy+data")]
    RedeployData,
    /// Use the service's own cross-region replication or failover; the data
    /// mover names the mechanism.
    #[serde(rename = "replicate")]
    Replicate,
    /// Create a new instance with a new identity (principal, key, address…)
    /// and re-point every dependent to it.
    #[serde(rename = "recreate")]
    Recreate,
    /// No safe automated path: a person does the move; the plan carries a
    /// manual gate.
    #[serde(rename = "manual")]
    Manual,
}

impl Strategy {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Global => "global",
            Strategy::Redeploy => "redeploy",
            Strategy::RedeployData => "redeploy+data",
            Strategy::Replicate => "replicate",
            Strategy::Recreate => "recreate",
            Strategy::Manual => "manual",
        }
    }

    /// Whether the strategy needs a data mover.
    pub fn needs_data_mover(self) -> bool {
        matches!(self, Strategy::RedeployData | Strategy::Replicate)
    }
}

/// Expected outage shape of the move (CAF "select a relocation method").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Downtime {
    /// The source is taken offline (or writes stop) while data moves.
    Cold,
    /// Data is pre-seeded or asynchronously replicated; a short cut-over.
    Warm,
    /// Synchronous or service-managed replication; near-zero downtime.
    Hot,
}

impl Downtime {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            Downtime::Cold => "cold",
            Downtime::Warm => "warm",
            Downtime::Hot => "hot",
        }
    }
}

/// The wave family a type belongs to; plans run waves in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Resource groups and other containers.
    ResourceGroups,
    /// Virtual networks, gateways, IPs, DNS, private link.
    Network,
    /// Managed identities and key vaults (everything else references them).
    IdentitiesSecrets,
    /// Stateful services: storage, databases, caches, messaging.
    DataStores,
    /// Compute and applications.
    ComputeApps,
    /// Monitoring, security and governance re-configuration.
    MonitoringSecurity,
    /// Switching clients to the target (DNS, global load balancers).
    Cutover,
    /// Deleting move artifacts and the source.
    Cleanup,
}

impl Phase {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::ResourceGroups => "resource-groups",
            Phase::Network => "network",
            Phase::IdentitiesSecrets => "identities-secrets",
            Phase::DataStores => "data-stores",
            Phase::ComputeApps => "compute-apps",
            Phase::MonitoringSecurity => "monitoring-security",
            Phase::Cutover => "cutover",
            Phase::Cleanup => "cleanup",
        }
    }

    /// 0-based position in the wave order.
    pub fn order(self) -> u8 {
        self as u8
    }
}

/// Whether Azure Resource Mover can move the type (2023-08-01 support list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceMoverSupport {
    /// Selectable in a move collection.
    Supported,
    /// Only moved as a dependency of another resource (disks with their VM,
    /// key vaults and disk encryption sets as VM encryption dependencies).
    DependencyOnly,
    /// Not supported.
    Unsupported,
}

/// Whether a checklist item can be carried out by tooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Automation {
    /// azrelo can do it from data it has (e.g. copy role assignments).
    Automated,
    /// A person must do or confirm it.
    Manual,
}

/// Something that does not travel with a resource and must be redone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// Stable id (kebab-case), unique across the catalog.
    pub id: String,
    /// Short title.
    pub title: String,
    /// One to three sentences saying what to do.
    pub instruction: String,
    /// Whether tooling can do it.
    pub automation: Automation,
    /// The executor (`executors.toml`) that does it; required when
    /// `automation = "automated"`, refused otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
}

/// A reference from a type (or scenario step) to a checklist item, optionally
/// conditional on the resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ChecklistRef {
    /// Always applies.
    Id(String),
    /// Applies when the condition holds for the resource.
    When {
        /// Checklist item id.
        id: String,
        /// Condition on the resource.
        when: Condition,
    },
}

impl ChecklistRef {
    /// The referenced id.
    pub fn id(&self) -> &str {
        match self {
            ChecklistRef::Id(s) => s,
            ChecklistRef::When { id, .. } => id,
        }
    }

    /// The condition, if any.
    pub fn condition(&self) -> Option<&Condition> {
        match self {
            ChecklistRef::Id(_) => None,
            ChecklistRef::When { when, .. } => Some(when),
        }
    }
}

/// What a template fix does at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixAction {
    /// Delete the member or array element at the path.
    Remove,
    /// Replace the value at the path with `value` (created if missing).
    Set,
    /// Replace an array with `[]` or an object with `{}`.
    Empty,
    /// Every ARM resource id under the path must be re-pointed to the target
    /// counterpart of the resource it names (the planner's id map).
    RepointIds,
    /// The value cannot be carried over; a person (or a parameter) must
    /// supply it for the target.
    NeedsInput,
}

impl FixAction {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            FixAction::Remove => "remove",
            FixAction::Set => "set",
            FixAction::Empty => "empty",
            FixAction::RepointIds => "repoint-ids",
            FixAction::NeedsInput => "needs-input",
        }
    }
}

/// A machine-applicable edit to a resource of a generated target template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateFix {
    /// Stable id for shared fixes (`template-fixes.toml`); optional inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// JSON pointer into the resource object (`/properties/...`), `*` for
    /// every array element or object member. See the crate README.
    pub path: String,
    /// What to do there.
    pub action: FixAction,
    /// The new value for `set`; may contain the placeholders
    /// `{target_location}` and `{target_name}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// Apply only when this condition holds for the source resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// Why.
    pub reason: String,
}

/// A reference to a shared fix by id, or an inline fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FixRef {
    /// Id of a fix in `template-fixes.toml`.
    Id(String),
    /// Inline fix.
    Inline(Box<TemplateFix>),
}

/// How bad a rule hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Informational.
    Info,
    /// The move can proceed but needs attention.
    Warning,
    /// The chosen path cannot work as is.
    Blocker,
}

impl Severity {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Blocker => "blocker",
        }
    }
}

/// An unsupported configuration or assessment rule the guidance names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id, unique across the catalog.
    pub id: String,
    /// Severity when the condition holds.
    pub severity: Severity,
    /// When the rule fires.
    pub when: Condition,
    /// What is wrong (no secrets; may name properties).
    pub message: String,
    /// What to do about it.
    pub remediation: String,
    /// Source of the rule when it differs from the service's sources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

/// What one edit of an [`Upgrade`] does at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpgradeAction {
    /// Write `value` (created if missing).
    Set,
    /// Replace the source value by its entry in `map` (keys matched
    /// case-insensitively); a value the map lacks cannot be upgraded.
    Map,
    /// Delete the member: the successor rejects it.
    Remove,
    /// The value is a resource id: replace it by the id of the one resource
    /// of a `referrers` type that references that resource (an NSG flow
    /// log's NSG → the subnet or NIC the NSG is associated with). None or
    /// several cannot be upgraded.
    Referrer,
}

impl UpgradeAction {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            UpgradeAction::Set => "set",
            UpgradeAction::Map => "map",
            UpgradeAction::Remove => "remove",
            UpgradeAction::Referrer => "referrer",
        }
    }
}

/// One edit of an [`Upgrade`], at a plain JSON pointer (no `*`) into the
/// resource body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpgradeEdit {
    /// JSON pointer into the resource object (`/sku/name`).
    pub path: String,
    /// What to do there.
    pub action: UpgradeAction,
    /// The value for `set`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    /// Source value → successor value, for `map`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub map: BTreeMap<String, serde_json::Value>,
    /// For `referrer`: the types whose reference to the resource named at
    /// `path` makes them its successor target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub referrers: Vec<String>,
    /// Why (the successor's rule this edit follows).
    pub reason: String,
}

/// A retired SKU or feature the target region can no longer create,
/// relocated as its successor: the edits turn the source body into the
/// successor's (Microsoft's upgrade guidance), the plan shows the upgrade
/// as a warning with the behaviour changes and holds the move at a gate
/// until the operator approves the upgraded design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upgrade {
    /// Stable id, unique across the catalog (rule ids included).
    pub id: String,
    /// When the source is the retired SKU/feature.
    pub when: Condition,
    /// What it relocates as (`Standard SKU public IP`).
    pub to: String,
    /// Why the source cannot be recreated (the retirement, with its date).
    pub message: String,
    /// What behaves differently after the upgrade, one fact each.
    pub behaviour_changes: Vec<String>,
    /// What the operator checks or does before approving.
    pub remediation: String,
    /// The edits, applied in order to the generated body.
    pub edits: Vec<UpgradeEdit>,
    /// Microsoft's retirement notice and upgrade guidance.
    pub sources: Vec<String>,
}

/// The relocation recipe of one ARM resource type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeEntry {
    /// Full ARM type, e.g. `Microsoft.KeyVault/vaults` (matched
    /// case-insensitively).
    #[serde(rename = "type")]
    pub resource_type: String,
    /// How it moves.
    pub strategy: Strategy,
    /// Data mover / replication mechanism id (`data-movers.toml`); required
    /// for `redeploy+data` and `replicate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_mover: Option<String>,
    /// Data movers used instead of `data_mover` where its path does not
    /// exist (e.g. Key Vault backups restore only in the same geography and
    /// subscription): tried in order, the first whose condition holds — or
    /// cannot be decided, as for conditional checklist items and fixes —
    /// replaces the default for that resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_mover_when: Vec<ConditionalMover>,
    /// Azure Resource Mover support.
    pub resource_mover: ResourceMoverSupport,
    /// Expected outage shape.
    pub downtime: Downtime,
    /// Wave family.
    pub phase: Phase,
    /// An extension resource type (deployed on another resource's scope,
    /// e.g. diagnostic settings, role assignments, locks).
    #[serde(default)]
    pub extension: bool,
    /// A child type whose configuration is carried inside its parent's
    /// template (moves when the parent moves).
    #[serde(default)]
    pub with_parent: bool,
    /// Naming rules; types without one use the catalog's default rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<NameRule>,
    /// What must be redone after the move.
    #[serde(default)]
    pub checklist: Vec<ChecklistRef>,
    /// Edits to the generated template.
    #[serde(default)]
    pub template_fixes: Vec<FixRef>,
    /// Assessment rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Retired SKUs/features relocated as their successor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upgrades: Vec<Upgrade>,
    /// Free-form notes (the project's own words).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Sources specific to this type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// When set, the template generator never emits this type; the text says
    /// what the plan does instead (e.g. re-protect in the target vault,
    /// approve new private endpoint connections).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_generated: Option<String>,
    /// A child type that ARM also manages as a collection property of its
    /// parent (a PUT of the parent without it deletes the children): the
    /// generator writes such children inline, under this property of the
    /// parent's `properties`, so a redeploy never removes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_as: Option<String>,
}

/// A data mover that applies to a resource when a condition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionalMover {
    /// Data mover id (`data-movers.toml`).
    pub id: String,
    /// Condition on the resource and the move (the rule vocabulary).
    pub when: Condition,
}

/// One service's data file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Stable id; equals the file stem.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The names this service has in the catalog table of
    /// `relocation-guidance.md` (used by the completeness test).
    #[serde(default)]
    pub guidance_names: Vec<String>,
    /// One-paragraph summary of the relocation approach.
    pub summary: String,
    /// Guidance URLs (learn.microsoft.com relocation guides and the like).
    pub sources: Vec<String>,
    /// Checklist items only this service uses (ids are global).
    #[serde(default)]
    pub checklist_items: Vec<ChecklistItem>,
    /// The ARM types of the service.
    pub types: Vec<TypeEntry>,
    /// Path of the data file, relative to the catalog root (set at load).
    #[serde(skip_deserializing, default)]
    pub file: String,
}

/// A named data mover or replication mechanism.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataMover {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// What it does and its limits.
    pub description: String,
    /// Copy tool vs service replication.
    pub kind: DataMoverKind,
    /// Documentation.
    #[serde(default)]
    pub sources: Vec<String>,
    /// The executor (`executors.toml`) that runs it, when azrelo does; a
    /// mover without one is a manual gate of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
}

/// Which part of azrelo runs an executor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PerformedBy {
    /// `azrelo plan` / `azrelo assess` (from the estate, offline).
    Plan,
    /// `azrelo assess --live` (read-only calls to the target subscription).
    AssessLive,
    /// `azrelo discover` (live discovery).
    Discover,
    /// `azrelo generate` (the target templates).
    Generate,
    /// `azrelo apply` / `resume` (a journaled unit of the run).
    Apply,
    /// `azrelo cleanup-source`.
    CleanupSource,
    /// `azrelo defender servers assess|apply`.
    DefenderServers,
}

impl PerformedBy {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            PerformedBy::Plan => "plan",
            PerformedBy::AssessLive => "assess-live",
            PerformedBy::Discover => "discover",
            PerformedBy::Generate => "generate",
            PerformedBy::Apply => "apply",
            PerformedBy::CleanupSource => "cleanup-source",
            PerformedBy::DefenderServers => "defender-servers",
        }
    }
}

/// Something azrelo does by itself (`executors.toml`): what an `automated`
/// label promises. Every automated scenario step, checklist item and data
/// mover names one, and the code that performs it registers the same id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Executor {
    /// Stable id (kebab-case).
    pub id: String,
    /// Title.
    pub title: String,
    /// Which command performs it.
    pub performed_by: PerformedBy,
    /// What it does (and what it does not).
    pub description: String,
}

/// Kind of data mover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataMoverKind {
    /// A copy tool run by azrelo or a person (AzCopy, snapshot copy, import).
    Copy,
    /// Service backup in the source, restore in the target.
    BackupRestore,
    /// Export to a file/blob and import in the target.
    ExportImport,
    /// The service's own cross-region replication / failover.
    Replication,
    /// Rebuilt from the original sources (re-index, re-upload).
    Rebuild,
}

/// Whether a scenario step is done by tooling or gated on a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepMode {
    /// azrelo performs (or verifies) it.
    Automated,
    /// A person performs it and confirms; the plan stops until then.
    ManualGate,
}

/// The phase of the general move process (seed 002 / Resource Mover).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessPhase {
    /// Target offers the services, quota, policy allows, permissions.
    VerifyPrerequisites,
    /// Dependency map and strategy per service.
    AnalyzeDependencies,
    /// Templates, replication or exports in the source.
    Prepare,
    /// Deploy or fail over.
    Move,
    /// Verify; keep (commit) or throw away (discard) the target.
    CommitOrDiscard,
    /// Delete move artifacts and the source.
    CleanUp,
}

impl ProcessPhase {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessPhase::VerifyPrerequisites => "verify-prerequisites",
            ProcessPhase::AnalyzeDependencies => "analyze-dependencies",
            ProcessPhase::Prepare => "prepare",
            ProcessPhase::Move => "move",
            ProcessPhase::CommitOrDiscard => "commit-or-discard",
            ProcessPhase::CleanUp => "clean-up",
        }
    }
}

/// One ordered step of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioStep {
    /// Stable id, unique within the scenario.
    pub id: String,
    /// Title.
    pub title: String,
    /// Process phase; steps are listed in non-decreasing phase order.
    pub phase: ProcessPhase,
    /// Automated or a manual gate.
    pub mode: StepMode,
    /// What to do.
    pub instruction: String,
    /// Only relevant when the estate holds one of these types (empty: always).
    #[serde(default)]
    pub applies_to: Vec<String>,
    /// Checklist items this step discharges.
    #[serde(default)]
    pub checklist: Vec<String>,
    /// The executor (`executors.toml`) that performs the step; required
    /// when `mode = "automated"`, refused for a manual gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
    /// Where azrelo does the step differently from the guidance: what it
    /// does instead, and why (e.g. a disk snapshot copy instead of Resource
    /// Mover).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instead: Option<String>,
    /// Only the resources of `applies_to` that this relation holds for
    /// (e.g. the VMs an Azure Backup item protects); all of them when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<StepOnly>,
    /// Where a manual step stops the run, when not where its phase puts it
    /// (verify-prerequisites … prepare: before the move; move and
    /// commit-or-discard: before the commit; clean-up: before the source
    /// cleanup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateStage>,
    /// Whether a manual step is one gate for all its units (`all`: a
    /// decision taken once) or one per unit (`each`: work on each
    /// resource). Default: `all` for prerequisites and dependency analysis,
    /// `each` later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_scope: Option<GateScope>,
}

/// See [`ScenarioStep::gate_scope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GateScope {
    Each,
    All,
}

/// Where a gate stops a run: what it holds back until the operator closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GateStage {
    /// The move of its unit (or of every unit).
    Move,
    /// The commit of its unit (or of every unit); the unit itself is moved.
    Commit,
    /// The source cleanup of its unit (or of every unit).
    Cleanup,
}

impl GateStage {
    /// The spelling used in data files and plans.
    pub fn as_str(self) -> &'static str {
        match self {
            GateStage::Move => "move",
            GateStage::Commit => "commit",
            GateStage::Cleanup => "cleanup",
        }
    }

    /// The stage a manual step of `phase` stops at by default.
    pub fn of_phase(phase: ProcessPhase) -> GateStage {
        match phase {
            ProcessPhase::VerifyPrerequisites
            | ProcessPhase::AnalyzeDependencies
            | ProcessPhase::Prepare => GateStage::Move,
            ProcessPhase::Move | ProcessPhase::CommitOrDiscard => GateStage::Commit,
            ProcessPhase::CleanUp => GateStage::Cleanup,
        }
    }
}

/// A relation that narrows a scenario step to some of its resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepOnly {
    /// Protected by an Azure Backup item for a VM (`AzureIaasVM`).
    BackupVm,
    /// Holding a file share an Azure Backup item protects (`AzureStorage`).
    BackupFileShare,
    /// Running SQL Server or SAP HANA databases an Azure Backup item protects
    /// (`AzureWorkload`).
    BackupWorkload,
    /// A vault holding items of on-premises machines protected with the
    /// MARS agent (`MAB`).
    BackupMars,
    /// A machine whose monitoring agent or data collection rules send to a
    /// Log Analytics workspace.
    ReportsToWorkspace,
    /// Defender for Cloud's default workspace (`DefaultWorkspace-*`).
    DefaultWorkspace,
}

impl StepOnly {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            StepOnly::BackupVm => "backup-vm",
            StepOnly::BackupFileShare => "backup-file-share",
            StepOnly::BackupWorkload => "backup-workload",
            StepOnly::BackupMars => "backup-mars",
            StepOnly::ReportsToWorkspace => "reports-to-workspace",
            StepOnly::DefaultWorkspace => "default-workspace",
        }
    }
}

/// When a scenario is part of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Part of every plan.
    #[serde(default)]
    pub always: bool,
    /// Part of a plan whose move set holds any of these types.
    #[serde(default)]
    pub types: Vec<String>,
    /// Part of a plan when a subscription it moves resources out of holds
    /// any of these types in the estate, whatever the selection (settings of
    /// the subscription itself, such as Defender for Cloud plans).
    #[serde(default)]
    pub subscription_types: Vec<String>,
}

/// An ordered procedure from the guidance (general process, Backup, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Stable id; equals the file stem.
    pub id: String,
    /// Title.
    pub title: String,
    /// What it covers.
    pub summary: String,
    /// Sources.
    pub sources: Vec<String>,
    /// When it applies.
    pub trigger: Trigger,
    /// Ordered steps.
    pub steps: Vec<ScenarioStep>,
    /// A procedure with a command of its own (`azrelo defender servers`):
    /// plans list it, but its steps are not gates of a relocation run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Path of the data file, relative to the catalog root (set at load).
    #[serde(skip_deserializing, default)]
    pub file: String,
}

/// The entry used for types the catalog does not list (`defaults.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// Recipe for unlisted types (its `type` is `*`).
    pub unlisted: TypeEntry,
    /// Name rule for listed top-level types without one.
    pub name: NameRule,
    /// Name rule for child types without one (scope `parent`).
    pub child_name: NameRule,
    /// Fixes applied to every resource of every type.
    pub universal_template_fixes: Vec<String>,
}
