//! Facts about the estate the procedures need, built once: what each Azure
//! Backup item protects and in which track, which machines report to which
//! Log Analytics workspace, and which grants name a principal.

use std::collections::{HashMap, HashSet};

use azrelo_arm::IdIndex;
use azrelo_arm::id::ResourceId;
use azrelo_catalog::StepOnly;
use azrelo_estate::{Estate, Resource};
use serde_json::Value;

/// `Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems`.
pub(crate) const PROTECTED_ITEMS: &str =
    "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems";
pub(crate) const VAULTS: &str = "Microsoft.RecoveryServices/vaults";
pub(crate) const WORKSPACES: &str = "Microsoft.OperationalInsights/workspaces";

/// The guidance's four re-protection tracks (seed 001).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Track {
    /// An Azure VM (`AzureIaasVM`).
    Vm,
    /// An Azure file share (`AzureStorage`): the protected resource is the
    /// storage account.
    FileShare,
    /// A SQL Server or SAP HANA database in a VM (`AzureWorkload`): the
    /// protected resource is the VM.
    Workload,
    /// Files, folders and system state of an on-premises machine (`MAB`).
    Mars,
}

impl Track {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Track::Vm => "azure-vm",
            Track::FileShare => "azure-file-share",
            Track::Workload => "workload-in-vm",
            Track::Mars => "mars",
        }
    }

    /// The track of a protected item from its properties
    /// (`backupManagementType`, then `protectedItemType`; REST API
    /// `ProtectedItem` discriminators).
    pub(crate) fn of(props: &Value) -> Option<Track> {
        let s = |k: &str| props.get(k).and_then(Value::as_str).unwrap_or_default();
        let bmt = s("backupManagementType").to_ascii_lowercase();
        let pit = s("protectedItemType").to_ascii_lowercase();
        match bmt.as_str() {
            "azureiaasvm" => return Some(Track::Vm),
            "azurestorage" => return Some(Track::FileShare),
            "azureworkload" => return Some(Track::Workload),
            "mab" => return Some(Track::Mars),
            _ => {}
        }
        if pit.ends_with("/virtualmachines") {
            Some(Track::Vm)
        } else if pit.starts_with("azurefileshare") {
            Some(Track::FileShare)
        } else if pit.starts_with("azurevmworkload") {
            Some(Track::Workload)
        } else if pit.starts_with("mab") {
            Some(Track::Mars)
        } else {
            None
        }
    }
}

/// One protected item of the estate.
pub(crate) struct BackupItem<'e> {
    pub res: &'e Resource,
    pub track: Track,
    /// The vault it lives in.
    pub vault: ResourceId,
    /// The resource it protects (`sourceResourceId`): the VM, or the
    /// storage account of a file share.
    pub protected: Option<ResourceId>,
}

impl BackupItem<'_> {
    pub(crate) fn prop(&self, k: &str) -> Option<&str> {
        self.res.properties.get(k).and_then(Value::as_str)
    }
}

/// The estate's relations, indexed once.
pub(crate) struct Relations<'e> {
    pub items: Vec<BackupItem<'e>>,
    /// Protected resource → its tracks.
    protected: IdIndex<Vec<Track>>,
    /// Vaults holding MARS items.
    mars_vaults: IdIndex<()>,
    /// Machine → the workspaces (resource ids) its agent or data collection
    /// rules send to.
    pub reporting: IdIndex<Vec<ResourceId>>,
    /// Every resource of the estate by id.
    pub by_id: IdIndex<&'e Resource>,
}

impl<'e> Relations<'e> {
    pub(crate) fn new(estate: &'e Estate) -> Relations<'e> {
        let by_id: IdIndex<&Resource> =
            estate.resources.iter().map(|r| (r.id.clone(), r)).collect();
        let mut items = Vec::new();
        let mut protected: IdIndex<Vec<Track>> = IdIndex::new();
        let mut mars_vaults = IdIndex::new();
        let is = |r: &Resource, t: &str| r.resource_type.eq_ignore_ascii_case(t);
        for r in &estate.resources {
            if !is(r, PROTECTED_ITEMS) {
                continue;
            }
            let Some(track) = Track::of(&r.properties) else {
                continue;
            };
            let Some(vault) = std::iter::successors(r.id.parent(), |a| a.parent())
                .find(|a| a.type_or_scope_type().as_str().eq_ignore_ascii_case(VAULTS))
            else {
                continue;
            };
            let protected_id = r
                .properties
                .get("sourceResourceId")
                .and_then(Value::as_str)
                .and_then(|s| ResourceId::parse(s).ok());
            if track == Track::Mars {
                mars_vaults.insert(vault.clone(), ());
            }
            if let Some(p) = &protected_id {
                match protected.get_mut(p) {
                    Some(v) => {
                        if !v.contains(&track) {
                            v.push(track)
                        }
                    }
                    None => {
                        protected.insert(p.clone(), vec![track]);
                    }
                }
            }
            items.push(BackupItem {
                res: r,
                track,
                vault,
                protected: protected_id,
            });
        }
        // Workspaces by customer id (what legacy agents name).
        let mut by_customer: HashMap<String, ResourceId> = HashMap::new();
        for r in estate.resources.iter().filter(|r| is(r, WORKSPACES)) {
            if let Some(c) = r.properties.get("customerId").and_then(Value::as_str) {
                by_customer.insert(c.to_ascii_lowercase(), r.id.clone());
            }
        }
        let mut reporting: IdIndex<Vec<ResourceId>> = IdIndex::new();
        let mut add = |machine: ResourceId, ws: ResourceId| match reporting.get_mut(&machine) {
            Some(v) => {
                if !v.contains(&ws) {
                    v.push(ws)
                }
            }
            None => {
                reporting.insert(machine, vec![ws]);
            }
        };
        for r in &estate.resources {
            let ty = r.resource_type.to_ascii_lowercase();
            // Legacy Log Analytics agents: `settings.workspaceId` is the
            // workspace's customer id.
            if ty == "microsoft.compute/virtualmachines/extensions"
                || ty == "microsoft.hybridcompute/machines/extensions"
            {
                let ext = r
                    .properties
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if (ext.eq_ignore_ascii_case("MicrosoftMonitoringAgent")
                    || ext.eq_ignore_ascii_case("OmsAgentForLinux"))
                    && let Some(ws) = r
                        .properties
                        .pointer("/settings/workspaceId")
                        .and_then(Value::as_str)
                        .and_then(|c| by_customer.get(&c.to_ascii_lowercase()))
                    && let Some(m) = r.id.parent()
                {
                    add(m, ws.clone());
                }
            }
            // Data collection rule associations: the rule's Log Analytics
            // destinations.
            if ty.ends_with("/datacollectionruleassociations")
                && let Some(rule) = r
                    .properties
                    .get("dataCollectionRuleId")
                    .and_then(Value::as_str)
                    .and_then(|s| ResourceId::parse(s).ok())
                    .and_then(|id| by_id.get(&id).copied())
                && let Some(machine) = r.id.scope()
            {
                for d in rule
                    .properties
                    .pointer("/destinations/logAnalytics")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(ws) = d
                        .get("workspaceResourceId")
                        .and_then(Value::as_str)
                        .and_then(|s| ResourceId::parse(s).ok())
                    {
                        add(machine.clone(), ws);
                    }
                }
            }
        }
        Relations {
            items,
            protected,
            mars_vaults,
            reporting,
            by_id,
        }
    }

    /// Whether `only` holds for the resource `id`.
    pub(crate) fn holds(&self, only: StepOnly, id: &ResourceId, name: &str) -> bool {
        let has = |t: Track| self.protected.get(id).is_some_and(|v| v.contains(&t));
        match only {
            StepOnly::BackupVm => has(Track::Vm),
            StepOnly::BackupFileShare => has(Track::FileShare),
            StepOnly::BackupWorkload => has(Track::Workload),
            StepOnly::BackupMars => self.mars_vaults.contains(id.as_str()),
            StepOnly::ReportsToWorkspace => self.reporting.contains(id.as_str()),
            StepOnly::DefaultWorkspace => is_default_workspace(name),
        }
    }
}

/// Defender for Cloud's default workspace: `DefaultWorkspace-{sub}-{region}`
/// (learn.microsoft.com/azure/defender-for-cloud/working-with-log-analytics-agent).
pub fn is_default_workspace(name: &str) -> bool {
    name.len() > 17
        && name
            .get(..17)
            .is_some_and(|p| p.eq_ignore_ascii_case("DefaultWorkspace-"))
}

/// Principal ids of identities → (identity kind, the identity's source id):
/// user-assigned identities (`properties.principalId`) and system-assigned
/// ones (`identity.principalId`).
pub(crate) fn principals(estate: &Estate) -> HashMap<String, (bool, ResourceId)> {
    let mut out = HashMap::new();
    for r in &estate.resources {
        if r.resource_type
            .eq_ignore_ascii_case(azrelo_arm::vocab::USER_ASSIGNED_IDENTITIES)
            && let Some(p) = r.properties.get("principalId").and_then(Value::as_str)
        {
            out.insert(p.to_ascii_lowercase(), (true, r.id.clone()));
        }
        if let Some(p) = r.identity.as_ref().and_then(|i| i.principal_id.as_deref()) {
            out.insert(p.to_ascii_lowercase(), (false, r.id.clone()));
        }
    }
    out
}

/// Subscriptions (lower case) an iterator of ids lives in.
pub(crate) fn subscriptions<'a>(ids: impl Iterator<Item = &'a ResourceId>) -> HashSet<String> {
    ids.filter_map(|i| i.subscription_id().map(str::to_ascii_lowercase))
        .collect()
}
