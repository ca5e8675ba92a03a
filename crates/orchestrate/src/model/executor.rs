//! The executors of the catalog (`crates/catalog/catalog/executors.toml`)
//! the orchestrator performs: which it is by id, and the registry the
//! labels test checks against.

/// An executor of a plan's action (`plan.json` `actions[].executor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Executor {
    /// Role assignments no generated template holds (management-group or
    /// tenant scope), created directly.
    RoleAssignments,
    /// Key Vault access policies and Cosmos DB SQL role assignments for a
    /// recreated principal.
    IdentityGrants,
    BackupBaselineCapture,
    BackupStopProtection,
    BackupReprotect,
    BackupBaselineCompare,
    /// Defender for Cloud's subscription configuration mirrored to a new
    /// target subscription.
    DefenderSubscription,
    /// Security / SecurityCenterFree / Defender for SQL solutions on the
    /// servers' custom workspaces.
    DefenderWorkspaceSolutions,
}

impl Executor {
    pub const ALL: [Executor; 8] = [
        Executor::RoleAssignments,
        Executor::IdentityGrants,
        Executor::BackupBaselineCapture,
        Executor::BackupStopProtection,
        Executor::BackupReprotect,
        Executor::BackupBaselineCompare,
        Executor::DefenderSubscription,
        Executor::DefenderWorkspaceSolutions,
    ];

    /// The catalog's id.
    pub fn id(self) -> &'static str {
        match self {
            Executor::RoleAssignments => "role-assignments",
            Executor::IdentityGrants => "identity-grants",
            Executor::BackupBaselineCapture => "backup-baseline-capture",
            Executor::BackupStopProtection => "backup-stop-protection",
            Executor::BackupReprotect => "backup-reprotect",
            Executor::BackupBaselineCompare => "backup-baseline-compare",
            Executor::DefenderSubscription => "defender-subscription",
            Executor::DefenderWorkspaceSolutions => "defender-workspace-solutions",
        }
    }

    /// The executor with this catalog id, if it runs actions.
    pub fn from_id(id: &str) -> Option<Executor> {
        Executor::ALL.into_iter().find(|e| e.id() == id)
    }
}

/// Every executor of the catalog `azrelo apply` and `cleanup-source`
/// perform (the labels test checks each automated label against the
/// registry of the part of azrelo that performs it): the unit kinds and
/// steps of the engine, and the actions' executors.
pub const EXECUTORS: &[&str] = &[
    // Units of the engine (`engine/steps.rs`, `engine/disk_mover.rs`).
    "deploy",
    "disk-snapshot-copy",
    "reconfigure",
    "verify",
    // `engine/cleanup.rs`.
    "source-cleanup",
    // Actions (`engine/procedures/`); role assignments also through the
    // generated templates.
    "role-assignments",
    "identity-grants",
    "backup-baseline-capture",
    "backup-stop-protection",
    "backup-reprotect",
    "backup-baseline-compare",
    "defender-subscription",
    "defender-workspace-solutions",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_executor_is_registered_and_round_trips() {
        for e in Executor::ALL {
            assert_eq!(Executor::from_id(e.id()), Some(e));
            assert!(EXECUTORS.contains(&e.id()), "{}", e.id());
        }
        assert_eq!(Executor::from_id("resource-mover"), None);
    }
}
