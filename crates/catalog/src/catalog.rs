//! The loaded catalog and type lookup.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use azrelo_arm::ResourceType;

use crate::condition::{Condition, Truth};
use crate::durations::Durations;
use crate::load::{self, CatalogError};
use crate::model::{
    ChecklistItem, ChecklistRef, DataMover, Defaults, Executor, FixRef, Rule, Scenario, Service,
    Strategy, TemplateFix, TypeEntry, Upgrade,
};
use crate::names::{NameRule, NameScope};
use crate::ownership::OwnershipRule;
use crate::references::References;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The relocation catalog: services, their type recipes, shared checklist
/// items, data movers, template fixes and scenarios. Immutable once loaded.
#[derive(Debug, Clone)]
pub struct Catalog {
    executors: Vec<Executor>,
    services: Vec<Service>,
    scenarios: Vec<Scenario>,
    checklist_order: Vec<String>,
    checklist: HashMap<String, ChecklistItem>,
    movers: Vec<DataMover>,
    fixes: HashMap<String, TemplateFix>,
    defaults: Defaults,
    durations: Durations,
    by_type: HashMap<String, (usize, usize)>,
    by_extension_segment: HashMap<String, Vec<(usize, usize)>>,
    ownership: Vec<OwnershipRule>,
    references: References,
}

/// How a looked-up type was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The type is listed.
    Exact,
    /// An extension type written in the nested form
    /// (`Microsoft.KeyVault/vaults/providers/diagnosticSettings`) resolved to
    /// the listed extension type named here.
    Extension {
        /// The listed type it resolved to.
        resolved: String,
    },
    /// A child type that is not listed, resolved to its nearest listed
    /// ancestor: it travels inside that ancestor's template.
    Inherited {
        /// The listed ancestor type.
        ancestor: String,
    },
    /// Not listed at all: the conservative default entry.
    Default,
}

/// The answer to [`Catalog::entry`].
#[derive(Debug, Clone)]
pub struct Lookup<'c> {
    catalog: &'c Catalog,
    entry: &'c TypeEntry,
    service: Option<&'c Service>,
    resolution: Resolution,
}

/// A checklist item as it applies to a type, with its condition (if any).
#[derive(Debug, Clone, Copy)]
pub struct AppliedChecklistItem<'c> {
    /// The item.
    pub item: &'c ChecklistItem,
    /// Applies only when this holds for the resource.
    pub when: Option<&'c Condition>,
}

impl<'c> Lookup<'c> {
    /// The recipe (for [`Resolution::Inherited`], the ancestor's; for
    /// [`Resolution::Default`], the catalog's `unlisted` entry).
    pub fn entry(&self) -> &'c TypeEntry {
        self.entry
    }

    /// The service, unless defaulted.
    pub fn service(&self) -> Option<&'c Service> {
        self.service
    }

    /// How the type was resolved.
    pub fn resolution(&self) -> &Resolution {
        &self.resolution
    }

    /// The type is not in the catalog; the conservative default applies.
    pub fn is_default(&self) -> bool {
        self.resolution == Resolution::Default
    }

    /// A person must review this type's recipe before a plan relies on it
    /// (currently: exactly the defaulted types).
    pub fn flagged(&self) -> bool {
        self.is_default()
    }

    /// The resource moves inside its parent's template, not on its own: an
    /// inherited child, or a listed child marked `with_parent`.
    pub fn travels_with_parent(&self) -> bool {
        matches!(self.resolution, Resolution::Inherited { .. }) || self.entry.with_parent
    }

    /// Strategy.
    pub fn strategy(&self) -> Strategy {
        self.entry.strategy
    }

    /// The naming rule: the entry's own, else the catalog default for
    /// top-level or child types (inherited children always get the child
    /// default with scope `parent`).
    pub fn name_rule(&self) -> &'c NameRule {
        let child_default = &self.catalog.defaults.child_name;
        match (&self.resolution, &self.entry.name) {
            (Resolution::Inherited { .. }, _) => child_default,
            (_, Some(n)) => n,
            (Resolution::Default, None) => &self.catalog.defaults.name,
            (_, None) => {
                let depth = ResourceType::parse(&self.entry.resource_type)
                    .map(|t| t.depth())
                    .unwrap_or(1);
                if depth > 1 && !self.entry.extension {
                    child_default
                } else {
                    &self.catalog.defaults.name
                }
            }
        }
    }

    /// Whether the target needs a new name while the source exists.
    pub fn needs_new_name(&self) -> bool {
        self.name_rule().scope == NameScope::Global
    }

    /// Checklist items for this type (none for inherited children: their
    /// ancestor's list covers them).
    pub fn checklist(&self) -> Vec<AppliedChecklistItem<'c>> {
        if matches!(self.resolution, Resolution::Inherited { .. }) {
            return Vec::new();
        }
        self.entry
            .checklist
            .iter()
            .filter_map(|r| {
                let item = self.catalog.checklist.get(r.id())?;
                Some(AppliedChecklistItem {
                    item,
                    when: r.condition(),
                })
            })
            .collect()
    }

    /// Template fixes to apply to a resource of this type: the universal
    /// fixes, then the type's own (resolved from shared ids). Inherited
    /// children get only the universal fixes.
    pub fn template_fixes(&self) -> Vec<&'c TemplateFix> {
        let mut out: Vec<&'c TemplateFix> = self
            .catalog
            .defaults
            .universal_template_fixes
            .iter()
            .filter_map(|id| self.catalog.fixes.get(id))
            .collect();
        if !matches!(self.resolution, Resolution::Inherited { .. }) {
            for f in &self.entry.template_fixes {
                match f {
                    FixRef::Id(id) => out.extend(self.catalog.fixes.get(id)),
                    FixRef::Inline(fix) => out.push(fix),
                }
            }
        }
        out
    }

    /// Assessment rules (none for inherited children).
    pub fn rules(&self) -> &'c [Rule] {
        if matches!(self.resolution, Resolution::Inherited { .. }) {
            &[]
        } else {
            &self.entry.rules
        }
    }

    /// Upgrades of retired SKUs/features (none for inherited children).
    pub fn upgrades(&self) -> &'c [Upgrade] {
        if matches!(self.resolution, Resolution::Inherited { .. }) {
            &[]
        } else {
            &self.entry.upgrades
        }
    }

    /// The type's default data mover, if the strategy has one (a resource
    /// may get another: [`Lookup::data_mover_for`]).
    pub fn data_mover(&self) -> Option<&'c DataMover> {
        let id = self.entry.data_mover.as_deref()?;
        self.catalog.movers.iter().find(|m| m.id == id)
    }

    /// Whether the data mover depends on the resource or the move
    /// (`data_mover_when`).
    pub fn data_mover_is_conditional(&self) -> bool {
        self.entry.data_mover.is_some() && !self.entry.data_mover_when.is_empty()
    }

    /// The data mover of one resource: the first `data_mover_when` entry
    /// whose condition `eval` does not find false (a condition that cannot
    /// be decided counts, as for conditional checklist items and template
    /// fixes), else the default [`Lookup::data_mover`].
    pub fn data_mover_for(&self, eval: impl Fn(&Condition) -> Truth) -> Option<&'c DataMover> {
        self.entry.data_mover.as_ref()?;
        match self
            .entry
            .data_mover_when
            .iter()
            .find(|c| eval(&c.when) != Truth::False)
        {
            Some(c) => self.catalog.movers.iter().find(|m| m.id == c.id),
            None => self.data_mover(),
        }
    }
}

static EMBEDDED: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();

impl Catalog {
    /// The catalog compiled into the crate, parsed and validated once.
    ///
    /// The embedded data is validated by this crate's tests, so a failure
    /// here is a build defect; it panics with the validation message.
    pub fn embedded() -> &'static Catalog {
        match Catalog::try_embedded() {
            Ok(c) => c,
            Err(e) => panic!("the embedded relocation catalog is invalid: {e}"),
        }
    }

    /// The embedded catalog, or the error that makes it invalid.
    pub fn try_embedded() -> Result<&'static Catalog, &'static CatalogError> {
        EMBEDDED
            .get_or_init(|| Catalog::from_files(embedded::EMBEDDED))
            .as_ref()
    }

    /// The (relative path, text) pairs compiled into the crate.
    pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
        embedded::EMBEDDED
    }

    /// Load a catalog directory with the same layout as the embedded one
    /// (e.g. a copy of `crates/catalog/catalog` edited for an override).
    pub fn from_dir(path: impl AsRef<Path>) -> Result<Catalog, CatalogError> {
        let files = load::read_dir(path.as_ref())?;
        Catalog::from_files(&files)
    }

    /// Load from (path relative to the catalog root, TOML text) pairs.
    pub fn from_files(
        files: &[(impl AsRef<str>, impl AsRef<str>)],
    ) -> Result<Catalog, CatalogError> {
        let mut parts = load::parse_files(files)?;
        parts.durations.index();
        let (checklist, fixes) = load::validate(&mut parts)?;
        let mut checklist_order: Vec<String> =
            parts.checklist.iter().map(|c| c.id.clone()).collect();
        for s in &parts.services {
            checklist_order.extend(s.checklist_items.iter().map(|c| c.id.clone()));
        }
        let mut services = parts.services;
        services.sort_by(|a, b| a.id.cmp(&b.id));
        let mut scenarios = parts.scenarios;
        scenarios.sort_by(|a, b| a.id.cmp(&b.id));
        let mut by_type = HashMap::new();
        let mut by_extension_segment: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (si, s) in services.iter().enumerate() {
            for (ti, t) in s.types.iter().enumerate() {
                let lc = t.resource_type.to_ascii_lowercase();
                if t.extension
                    && let Some(last) = lc.rsplit('/').next()
                {
                    by_extension_segment
                        .entry(last.to_string())
                        .or_default()
                        .push((si, ti));
                }
                by_type.insert(lc, (si, ti));
            }
        }
        Ok(Catalog {
            executors: parts.executors,
            services,
            scenarios,
            checklist_order,
            checklist,
            movers: parts.movers,
            fixes,
            defaults: parts.defaults,
            durations: parts.durations,
            by_type,
            by_extension_segment,
            ownership: parts.ownership,
            references: parts.references,
        })
    }

    /// All services, sorted by id.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// A service by id.
    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// Every (service, type entry) pair.
    pub fn types(&self) -> impl Iterator<Item = (&Service, &TypeEntry)> {
        self.services
            .iter()
            .flat_map(|s| s.types.iter().map(move |t| (s, t)))
    }

    /// All scenarios, sorted by id.
    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// A scenario by id.
    pub fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    /// A checklist item by id.
    pub fn checklist_item(&self, id: &str) -> Option<&ChecklistItem> {
        self.checklist.get(id)
    }

    /// All checklist items: shared ones first, then service-specific ones.
    pub fn checklist_items(&self) -> impl Iterator<Item = &ChecklistItem> {
        self.checklist_order
            .iter()
            .filter_map(|id| self.checklist.get(id))
    }

    /// Every executor (`executors.toml`): what the automated labels name.
    pub fn executors(&self) -> &[Executor] {
        &self.executors
    }

    /// An executor by id.
    pub fn executor(&self, id: &str) -> Option<&Executor> {
        self.executors.iter().find(|e| e.id == id)
    }

    /// A data mover by id.
    pub fn data_mover(&self, id: &str) -> Option<&DataMover> {
        self.movers.iter().find(|m| m.id == id)
    }

    /// All data movers.
    pub fn data_movers(&self) -> &[DataMover] {
        &self.movers
    }

    /// A shared template fix by id.
    pub fn template_fix(&self, id: &str) -> Option<&TemplateFix> {
        self.fixes.get(id)
    }

    /// The ownership rules (`ownership.toml`), in file order: the first rule
    /// that matches a resource decides its owner.
    pub fn ownership_rules(&self) -> &[OwnershipRule] {
        &self.ownership
    }

    /// An ownership rule by id.
    pub fn ownership_rule(&self, id: &str) -> Option<&OwnershipRule> {
        self.ownership.iter().find(|r| r.id == id)
    }

    /// The reference patterns (`references.toml`): clouds' DNS suffixes,
    /// named endpoints, published keys, reference syntaxes, secret parts of
    /// connection strings.
    pub fn references(&self) -> &References {
        &self.references
    }

    /// The defaults (unlisted entry, default name rules, universal fixes).
    pub fn defaults(&self) -> &Defaults {
        &self.defaults
    }

    /// Planned durations (deployments, data movers, cut-over outages).
    pub fn durations(&self) -> &Durations {
        &self.durations
    }

    fn at(&self, (si, ti): (usize, usize)) -> (&Service, &TypeEntry) {
        let s = &self.services[si];
        (s, &s.types[ti])
    }

    /// The recipe for a resource type (any case). Resolution order:
    ///
    /// 1. the type as listed;
    /// 2. the nested extension form `<scope type>/providers/<...>`: the part
    ///    after the last `/providers/` if it names a namespace
    ///    (`Microsoft.Insights/diagnosticSettings`), else the unique listed
    ///    extension type whose last segment matches (`diagnosticSettings`);
    /// 3. the nearest listed ancestor of a child type
    ///    (`Microsoft.Network/virtualNetworks/subnets` → the VNet entry);
    /// 4. the conservative default (`manual`, flagged).
    pub fn entry(&self, resource_type: &str) -> Lookup<'_> {
        let lc = resource_type.trim().to_ascii_lowercase();
        if let Some(&ix) = self.by_type.get(&lc) {
            return self.lookup(ix, Resolution::Exact);
        }
        if let Some(i) = lc.rfind("/providers/") {
            let rest = &lc[i + "/providers/".len()..];
            let found = if rest.contains('/') {
                self.by_type.get(rest).copied()
            } else {
                match self.by_extension_segment.get(rest).map(Vec::as_slice) {
                    Some([one]) => Some(*one),
                    _ => None,
                }
            };
            if let Some(ix) = found {
                let resolved = self.at(ix).1.resource_type.clone();
                return self.lookup(ix, Resolution::Extension { resolved });
            }
            return self.default_lookup();
        }
        let mut cur = ResourceType::parse(resource_type.trim())
            .ok()
            .and_then(|t| t.parent_type());
        while let Some(t) = cur {
            if let Some(&ix) = self.by_type.get(&t.to_lowercase()) {
                let ancestor = self.at(ix).1.resource_type.clone();
                return self.lookup(ix, Resolution::Inherited { ancestor });
            }
            cur = t.parent_type();
        }
        self.default_lookup()
    }

    /// [`Catalog::entry`] for a parsed type.
    pub fn entry_for(&self, resource_type: &ResourceType) -> Lookup<'_> {
        self.entry(resource_type.as_str())
    }

    fn lookup(&self, ix: (usize, usize), resolution: Resolution) -> Lookup<'_> {
        let (service, entry) = self.at(ix);
        Lookup {
            catalog: self,
            entry,
            service: Some(service),
            resolution,
        }
    }

    fn default_lookup(&self) -> Lookup<'_> {
        Lookup {
            catalog: self,
            entry: &self.defaults.unlisted,
            service: None,
            resolution: Resolution::Default,
        }
    }

    /// Scenarios that apply to an estate holding these types (always-on
    /// scenarios first, then by id).
    pub fn scenarios_for<'a>(&self, types: impl IntoIterator<Item = &'a str>) -> Vec<&Scenario> {
        self.scenarios_triggered(types, std::iter::empty())
    }

    /// The scenarios a plan holds: `always`, a trigger type among the move
    /// set's `types`, or a `subscription_types` entry among the types the
    /// estate holds in the subscriptions the move set comes from.
    pub fn scenarios_triggered<'a, 'b>(
        &self,
        types: impl IntoIterator<Item = &'a str>,
        subscription_types: impl IntoIterator<Item = &'b str>,
    ) -> Vec<&Scenario> {
        let present: std::collections::HashSet<String> =
            types.into_iter().map(|t| t.to_ascii_lowercase()).collect();
        let in_subs: std::collections::HashSet<String> = subscription_types
            .into_iter()
            .map(|t| t.to_ascii_lowercase())
            .collect();
        let mut out: Vec<&Scenario> = self
            .scenarios
            .iter()
            .filter(|s| {
                s.trigger.always
                    || s.trigger
                        .types
                        .iter()
                        .any(|t| present.contains(&t.to_ascii_lowercase()))
                    || s.trigger
                        .subscription_types
                        .iter()
                        .any(|t| in_subs.contains(&t.to_ascii_lowercase()))
            })
            .collect();
        out.sort_by_key(|s| (!s.trigger.always, s.id.clone()));
        out
    }

    /// The checklist references of a type entry, resolved (for callers that
    /// hold a [`TypeEntry`] rather than a [`Lookup`]).
    pub fn resolve_checklist<'a>(
        &'a self,
        refs: &'a [ChecklistRef],
    ) -> impl Iterator<Item = &'a ChecklistItem> + 'a {
        refs.iter().filter_map(|r| self.checklist.get(r.id()))
    }
}
