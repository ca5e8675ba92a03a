//! Ownership rules (`ownership.toml`): which resources are created and
//! managed by another resource or by a platform service, which attach to a
//! resource after it moved, how each is recognised from data (`managedBy`,
//! properties of the owner or the owned, documented naming conventions) and
//! how its target counterpart is known.
//!
//! This module describes the rules and checks them at load; matching them
//! against an estate is `azrelo-graph`'s job, acting on them the planner's.

use serde::{Deserialize, Serialize};

use crate::condition::Condition;
use crate::load::{CatalogError, check_condition, check_id, check_type, check_url, invalid};

/// How an owned resource relates to its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    /// Created and deleted by its owner (a node resource group by its AKS
    /// cluster, a NIC by its private endpoint): never deployed, moved or
    /// deleted on its own; the owner's move recreates it.
    CreatedByOwner,
    /// Installed by a platform service (a VM extension by Azure Backup,
    /// Defender for Cloud, Azure Policy): never deployed or deleted by
    /// azrelo; the service installs it again on the moved resource.
    InstalledByService,
    /// A resource of its own that attaches to its owner (a SQL IaaS
    /// registration to a VM): deployed in a step after the owner moved.
    AttachAfterOwner,
}

impl Relation {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::CreatedByOwner => "created-by-owner",
            Relation::InstalledByService => "installed-by-service",
            Relation::AttachAfterOwner => "attach-after-owner",
        }
    }

    /// Whether azrelo never deploys or deletes such a resource itself.
    pub fn is_owned(self) -> bool {
        !matches!(self, Relation::AttachAfterOwner)
    }
}

/// What a property value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Names {
    /// The owned resource's id.
    Id,
    /// The owned resource's parent (an extension's VM).
    Parent,
    /// A resource group, by name (in the owner's subscription) or by id.
    ResourceGroup,
}

impl Names {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            Names::Id => "id",
            Names::Parent => "parent",
            Names::ResourceGroup => "resource-group",
        }
    }
}

/// A property of the owner that names what it owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerProperty {
    /// JSON pointer into the owner (`*` = every element).
    pub path: String,
    /// What the value names.
    pub names: Names,
}

/// A documented naming convention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameMatch {
    /// The owned resource's name: literal text with `{owner}` (the owner's
    /// name), `{owner_parent}` (the name of the owner's parent: a slot's
    /// app), `{owner_group}` (the owner's resource group), `{location}` (the
    /// owner's region, or the owned resource's own without an owner type) and
    /// a final `{*}` (any rest), compared case-insensitively.
    pub pattern: String,
    /// Where the owned resource is: `owner` (the owner's resource group),
    /// `any` (anywhere in the owner's subscription; resource groups) or a
    /// resource group name.
    #[serde(default = "owner_group")]
    pub group: String,
}

fn owner_group() -> String {
    "owner".into()
}

/// One way to find the owner of a candidate, tried in the rule's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum OwnerMatch {
    /// The candidate's `managedBy` names an owner of the rule's type.
    ManagedBy(bool),
    /// A property of the candidate (JSON pointer) holds the owner's id.
    OwnedProperty(String),
    /// A property of an owner names the candidate (or its parent or group).
    OwnerProperty(OwnerProperty),
    /// The candidate's name follows the owner's naming convention.
    Name(NameMatch),
    /// The owner is the candidate's parent.
    Parent(bool),
    /// The owner is an extension resource of the rule's type on the
    /// candidate's parent (a data collection rule association on the VM).
    ExtensionOnParent(bool),
    /// The owner is a fixed resource of the candidate's subscription: an id
    /// with `{subscription}` and `{resource_group}` placeholders.
    ScopeResource(String),
    /// No owner resource: the rule's service created it (last resort).
    Service(bool),
}

impl OwnerMatch {
    /// Short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            OwnerMatch::ManagedBy(_) => "managed_by",
            OwnerMatch::OwnedProperty(_) => "owned_property",
            OwnerMatch::OwnerProperty(_) => "owner_property",
            OwnerMatch::Name(_) => "name",
            OwnerMatch::Parent(_) => "parent",
            OwnerMatch::ExtensionOnParent(_) => "extension_on_parent",
            OwnerMatch::ScopeResource(_) => "scope_resource",
            OwnerMatch::Service(_) => "service",
        }
    }
}

/// How the target counterpart of an owned resource is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetHow {
    /// The same name under the target of its parent or scope.
    SameName,
    /// From a naming convention rendered with the owner's target values.
    Pattern,
    /// Read from the moved owner (only known after the owner moved).
    Read,
    /// Listed in the owner's new managed scope and matched by type.
    Discover,
    /// Named by the planner like any deployed resource
    /// (`attach-after-owner`).
    Planned,
}

impl TargetHow {
    /// The spelling used in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetHow::SameName => "same-name",
            TargetHow::Pattern => "pattern",
            TargetHow::Read => "read",
            TargetHow::Discover => "discover",
            TargetHow::Planned => "planned",
        }
    }
}

/// The target counterpart of an owned resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedTarget {
    /// How it is known.
    pub how: TargetHow,
    /// `pattern`: the name, with `{owner}`, `{owner_parent}`,
    /// `{owner_group}`, `{location}` taken from the owner's target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// `pattern`: a fixed resource group (else the owner's target group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `read`: JSON pointer into the moved owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `read`: what the value names (`id` or `resource-group`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<Names>,
    /// `read`: the name the owner's target body gives at `path` (with
    /// `{owner}`, `{owner_group}`, `{location}` from the owner's target),
    /// when the owner's API requires one: the source's name is taken. Absent:
    /// the property is left out and the target owner names its own (AKS's
    /// `MC_…` default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_name: Option<String>,
}

/// One ownership rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnershipRule {
    /// Stable id (kebab-case), unique in the file.
    pub id: String,
    /// Short title.
    pub title: String,
    /// How the owned resource relates to its owner.
    pub relation: Relation,
    /// The owned type (`Microsoft.Resources/resourceGroups` for managed
    /// resource groups).
    pub owned: String,
    /// For resource groups: everything inside belongs to the same owner.
    #[serde(default)]
    pub contents: bool,
    /// The owner's type; absent when only a service owns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_type: Option<String>,
    /// Who creates, installs or manages it (shown in the plan).
    pub service: String,
    /// Only candidates for which this holds (on the candidate in ARM GET
    /// shape; `/name` is the last name segment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// Only owners for which this holds (on the owner in ARM GET shape), e.g.
    /// the VM's backup item rather than its SQL database's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_when: Option<Condition>,
    /// Ways to find the owner, in order; the first that finds one wins.
    #[serde(rename = "match")]
    pub matches: Vec<OwnerMatch>,
    /// JSON pointer into the candidate quoted as the evidence when the
    /// match itself points at none (`parent`, `extension_on_parent`,
    /// `scope_resource`, `service`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// How its target counterpart is known.
    pub target: OwnedTarget,
    /// For `contents`: how the contents' target counterparts are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contents_target: Option<OwnedTarget>,
    /// What the service does with it, in the project's own words.
    pub note: String,
    /// What a person still does after the move (the plan warns with it for
    /// every resource the rule owns); absent when the owner's move or the
    /// service does everything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_move: Option<String>,
    /// Documentation.
    pub sources: Vec<String>,
}

const RESOURCE_GROUPS: &str = "Microsoft.Resources/resourceGroups";

/// The `ownership.toml` file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OwnershipFile {
    pub rules: Vec<OwnershipRule>,
}

fn check_pointer(file: &str, key: &str, p: &str) -> Result<(), CatalogError> {
    if p.starts_with('/') && p.len() > 1 {
        Ok(())
    } else {
        Err(invalid(
            file,
            key,
            format!(
                "'{p}' must be a JSON pointer starting with '/', e.g. /properties/nodeResourceGroup"
            ),
        ))
    }
}

fn check_properties_pointer(file: &str, key: &str, p: &str) -> Result<(), CatalogError> {
    check_pointer(file, key, p)?;
    if p.starts_with("/properties/") {
        Ok(())
    } else {
        Err(invalid(
            file,
            key,
            format!("'{p}' must point into the resource's properties (/properties/...)"),
        ))
    }
}

/// The placeholders of a pattern (`{x}`), or an error for an unclosed brace.
pub(crate) fn placeholders(pattern: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else {
            return Err(format!("unclosed '{{' in pattern '{pattern}'"));
        };
        out.push(&rest[i + 1..i + j]);
        rest = &rest[i + j + 1..];
    }
    if rest.contains('}') {
        return Err(format!("unmatched '}}' in pattern '{pattern}'"));
    }
    Ok(out)
}

fn check_pattern(
    file: &str,
    key: &str,
    pattern: &str,
    allowed: &[&str],
    star: bool,
) -> Result<(), CatalogError> {
    let ph = placeholders(pattern).map_err(|m| invalid(file, key, m))?;
    for p in &ph {
        if !(allowed.contains(p) || (star && *p == "*")) {
            return Err(invalid(
                file,
                key,
                format!(
                    "unknown placeholder '{{{p}}}' in '{pattern}'; allowed: {}",
                    allowed
                        .iter()
                        .map(|a| format!("{{{a}}}"))
                        .chain(star.then(|| "{*} (last)".to_string()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    if ph.contains(&"*") {
        let lit = pattern.strip_suffix("{*}").ok_or_else(|| {
            invalid(
                file,
                key,
                format!("'{{*}}' must end the pattern '{pattern}'"),
            )
        })?;
        if lit.ends_with('}') || lit.is_empty() {
            return Err(invalid(
                file,
                key,
                format!("'{{*}}' must follow literal text (a separator) in '{pattern}'"),
            ));
        }
    }
    if pattern.contains("}{") {
        return Err(invalid(
            file,
            key,
            format!("placeholders in '{pattern}' must be separated by literal text"),
        ));
    }
    Ok(())
}

fn check_target(
    file: &str,
    key: &str,
    t: &OwnedTarget,
    has_owner: bool,
) -> Result<(), CatalogError> {
    let none = t.pattern.is_none() && t.group.is_none() && t.path.is_none() && t.names.is_none();
    let ok = match t.how {
        TargetHow::Pattern => {
            t.pattern.is_some() && t.path.is_none() && t.names.is_none() && t.new_name.is_none()
        }
        TargetHow::Read => {
            t.path.is_some() && t.names.is_some() && t.pattern.is_none() && t.group.is_none()
        }
        TargetHow::SameName | TargetHow::Discover | TargetHow::Planned => {
            none && t.new_name.is_none()
        }
    };
    if !ok {
        return Err(invalid(
            file,
            key,
            format!(
                "target how = '{}' takes {}",
                t.how.as_str(),
                match t.how {
                    TargetHow::Pattern => "`pattern` (and optionally `group`)",
                    TargetHow::Read => "`path` and `names` (and optionally `new_name`)",
                    _ => "no other keys",
                }
            ),
        ));
    }
    if let Some(p) = &t.pattern {
        let allowed: &[&str] = if has_owner {
            &["owner", "owner_parent", "owner_group", "location"]
        } else {
            &["location"]
        };
        check_pattern(file, &format!("{key}.pattern"), p, allowed, false)?;
    }
    if let Some(p) = &t.new_name {
        check_pattern(
            file,
            &format!("{key}.new_name"),
            p,
            &["owner", "owner_group", "location"],
            false,
        )?;
    }
    if let Some(p) = &t.path {
        check_pointer(file, &format!("{key}.path"), p)?;
        if p.contains('*') {
            return Err(invalid(
                file,
                format!("{key}.path"),
                "a target read path names one value: use an index (/0) instead of '*'",
            ));
        }
    }
    if t.names == Some(Names::Parent) {
        return Err(invalid(
            file,
            format!("{key}.names"),
            "a target read names an `id` or a `resource-group`",
        ));
    }
    if matches!(t.how, TargetHow::Read) && !has_owner {
        return Err(invalid(
            file,
            key,
            "a target read from the moved owner needs an owner_type",
        ));
    }
    Ok(())
}

/// Validate the rules of `ownership.toml`.
pub(crate) fn validate(file: &str, rules: &[OwnershipRule]) -> Result<(), CatalogError> {
    let mut ids = std::collections::HashSet::new();
    for (i, r) in rules.iter().enumerate() {
        let key = format!("rules[{i}]");
        check_id(file, &format!("{key}.id"), &r.id)?;
        if !ids.insert(r.id.as_str()) {
            return Err(invalid(
                file,
                format!("{key}.id"),
                format!("ownership rule '{}' is defined twice", r.id),
            ));
        }
        for (k, v) in [
            ("title", &r.title),
            ("service", &r.service),
            ("note", &r.note),
        ] {
            if v.trim().is_empty() {
                return Err(invalid(
                    file,
                    format!("{key}.{k}"),
                    format!("ownership rule '{}' needs a {k}", r.id),
                ));
            }
        }
        if let Some(a) = &r.after_move {
            if a.trim().is_empty() {
                return Err(invalid(
                    file,
                    format!("{key}.after_move"),
                    "say what a person does after the move, or leave `after_move` out",
                ));
            }
            if r.relation == Relation::AttachAfterOwner {
                return Err(invalid(
                    file,
                    format!("{key}.after_move"),
                    "`after_move` is for resources azrelo does not deploy (created-by-owner, installed-by-service); an attached resource's type rules say what to do",
                ));
            }
        }
        check_type(file, &format!("{key}.owned"), &r.owned)?;
        if let Some(t) = &r.owner_type {
            check_type(file, &format!("{key}.owner_type"), t)?;
        }
        let owned_is_group = r.owned.eq_ignore_ascii_case(RESOURCE_GROUPS);
        if r.contents != r.contents_target.is_some() || (r.contents && !owned_is_group) {
            return Err(invalid(
                file,
                format!("{key}.contents"),
                "`contents = true` (with a `contents_target`) is for owned resource groups only, and a `contents_target` needs `contents = true`",
            ));
        }
        if let Some(c) = &r.when {
            check_condition(file, &format!("{key}.when"), c)?;
        }
        if let Some(c) = &r.owner_when {
            if r.owner_type.is_none() {
                return Err(invalid(
                    file,
                    format!("{key}.owner_when"),
                    "an owner condition needs an owner_type",
                ));
            }
            check_condition(file, &format!("{key}.owner_when"), c)?;
        }
        if let Some(e) = &r.evidence {
            check_pointer(file, &format!("{key}.evidence"), e)?;
        }
        if r.matches.is_empty() {
            return Err(invalid(
                file,
                format!("{key}.match"),
                "a rule needs at least one way to match (managed_by, owned_property, owner_property, name, parent, extension_on_parent, scope_resource, service)",
            ));
        }
        let has_owner = r.owner_type.is_some();
        for (j, m) in r.matches.iter().enumerate() {
            let mk = format!("{key}.match[{j}]");
            let needs_owner = !matches!(m, OwnerMatch::Service(_) | OwnerMatch::Name(_));
            if needs_owner && !has_owner {
                return Err(invalid(
                    file,
                    &mk,
                    format!(
                        "`{}` finds an owner resource: give the rule an owner_type",
                        m.name()
                    ),
                ));
            }
            match m {
                OwnerMatch::ManagedBy(b)
                | OwnerMatch::Parent(b)
                | OwnerMatch::ExtensionOnParent(b)
                | OwnerMatch::Service(b) => {
                    if !b {
                        return Err(invalid(
                            file,
                            &mk,
                            format!("`{} = false` matches nothing; remove it", m.name()),
                        ));
                    }
                }
                OwnerMatch::OwnedProperty(p) => check_properties_pointer(file, &mk, p)?,
                OwnerMatch::OwnerProperty(op) => {
                    check_properties_pointer(file, &format!("{mk}.path"), &op.path)?;
                    if (op.names == Names::ResourceGroup) != owned_is_group {
                        return Err(invalid(
                            file,
                            format!("{mk}.names"),
                            "`names = \"resource-group\"` is for owned resource groups, and only it",
                        ));
                    }
                }
                OwnerMatch::Name(n) => {
                    let allowed: &[&str] = if has_owner {
                        &["owner", "owner_parent", "owner_group", "location"]
                    } else {
                        &["location"]
                    };
                    check_pattern(file, &format!("{mk}.pattern"), &n.pattern, allowed, true)?;
                    if owned_is_group && n.group != "any" {
                        return Err(invalid(
                            file,
                            format!("{mk}.group"),
                            "an owned resource group is matched anywhere in the owner's subscription: use group = \"any\"",
                        ));
                    }
                    if n.group == "owner" && !has_owner {
                        return Err(invalid(
                            file,
                            format!("{mk}.group"),
                            "group = \"owner\" needs an owner_type; name the resource group",
                        ));
                    }
                    if n.group.trim().is_empty() {
                        return Err(invalid(file, format!("{mk}.group"), "empty group"));
                    }
                }
                OwnerMatch::ScopeResource(t) => {
                    check_pattern(file, &mk, t, &["subscription", "resource_group"], false)?;
                    let sample = t
                        .replace("{subscription}", "00000000-0000-0000-0000-000000000000")
                        .replace("{resource_group}", "rg");
                    azrelo_arm::ResourceId::parse(&sample).map_err(|e| {
                        invalid(
                            file,
                            &mk,
                            format!("'{t}' is not a resource id template: {e}"),
                        )
                    })?;
                }
            }
            if matches!(m, OwnerMatch::Service(_)) && j + 1 != r.matches.len() {
                return Err(invalid(
                    file,
                    &mk,
                    "`service` is the last resort and must be the last match",
                ));
            }
        }
        let by_service = r
            .matches
            .iter()
            .any(|m| matches!(m, OwnerMatch::Service(_)));
        if r.relation == Relation::AttachAfterOwner && (by_service || !has_owner) {
            return Err(invalid(
                file,
                format!("{key}.relation"),
                "an attach-after-owner resource needs an owner resource: give an owner_type and no `service` match",
            ));
        }
        check_target(file, &format!("{key}.target"), &r.target, has_owner)?;
        if (r.relation == Relation::AttachAfterOwner) != (r.target.how == TargetHow::Planned) {
            return Err(invalid(
                file,
                format!("{key}.target"),
                "attach-after-owner resources are named by the planner (how = \"planned\"), and only they",
            ));
        }
        if let Some(ct) = &r.contents_target {
            check_target(file, &format!("{key}.contents_target"), ct, has_owner)?;
            if ct.how == TargetHow::Planned {
                return Err(invalid(
                    file,
                    format!("{key}.contents_target"),
                    "contents of an owned group are not planned",
                ));
            }
        }
        if r.sources.is_empty() {
            return Err(invalid(
                file,
                format!("{key}.sources"),
                "an ownership rule needs at least one source URL",
            ));
        }
        for (j, u) in r.sources.iter().enumerate() {
            check_url(file, &format!("{key}.sources[{j}]"), u)?;
        }
    }
    Ok(())
}
