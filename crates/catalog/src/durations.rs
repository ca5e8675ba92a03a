//! Planned durations (`durations.toml`): how long a deployment, a data
//! mover's copy and a cut-over take, and how long a resource is unavailable
//! at cut-over by downtime class or data mover. Estimates, each with the
//! basis it rests on; the report's timeline and its downtime per workload
//! read them, the planner's decisions never do.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::Downtime;

/// A range of minutes `[low, high]`.
pub type Minutes = [u32; 2];

/// The parsed `durations.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Durations {
    /// Deploying one resource (an ARM create/update of its template).
    pub deploy: Deploy,
    /// Pointing clients at the target (DNS, connection strings).
    pub switch: Switch,
    /// Unavailability at cut-over of a resource without a listed data mover,
    /// by the catalog's downtime class.
    pub classes: Vec<ClassOutage>,
    /// Per data mover (`data-movers.toml` ids): the copy made while the
    /// source runs, and the outage of its final step with writes stopped.
    pub movers: Vec<MoverDuration>,
    #[serde(skip)]
    deploy_by_type: HashMap<String, usize>,
    #[serde(skip)]
    mover_by_id: HashMap<String, usize>,
}

/// Deployment durations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// Minutes for a type not listed in `types`.
    pub default_minutes: u32,
    /// Why.
    pub basis: String,
    /// Types that take notably longer (or shorter).
    #[serde(default)]
    pub types: Vec<TypeDeploy>,
}

/// One type's deployment duration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeDeploy {
    /// Full ARM type (case-insensitive).
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Typical minutes from PUT to `Succeeded`.
    pub minutes: u32,
    /// Why.
    pub basis: String,
    /// Documentation.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// The client switch at cut-over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    /// Minutes until clients reach the target.
    pub minutes: u32,
    /// Why.
    pub basis: String,
    /// Documentation.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// Outage of a downtime class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassOutage {
    /// The class.
    pub downtime: Downtime,
    /// Minutes the resource is unavailable at cut-over.
    pub outage_minutes: Minutes,
    /// Why.
    pub basis: String,
    /// Documentation.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// Durations of one data mover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoverDuration {
    /// Data mover id (`data-movers.toml`).
    pub id: String,
    /// The copy or replication seeding made while the source still serves
    /// (prepare), for a typical small-to-medium instance.
    pub copy_minutes: u32,
    /// Unavailability (writes stopped) for its final step: last sync,
    /// restore or failover.
    pub outage_minutes: Minutes,
    /// Why.
    pub basis: String,
}

impl Durations {
    pub(crate) fn index(&mut self) {
        self.deploy_by_type = self
            .deploy
            .types
            .iter()
            .enumerate()
            .map(|(i, t)| (t.resource_type.to_ascii_lowercase(), i))
            .collect();
        self.mover_by_id = self
            .movers
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.clone(), i))
            .collect();
    }

    /// Minutes to deploy one resource of a type, and the basis.
    pub fn deploy_minutes(&self, resource_type: &str) -> (u32, &str) {
        match self
            .deploy_by_type
            .get(&resource_type.to_ascii_lowercase())
            .map(|&i| &self.deploy.types[i])
        {
            Some(t) => (t.minutes, t.basis.as_str()),
            None => (self.deploy.default_minutes, self.deploy.basis.as_str()),
        }
    }

    /// A data mover's durations.
    pub fn mover(&self, id: &str) -> Option<&MoverDuration> {
        self.mover_by_id.get(id).map(|&i| &self.movers[i])
    }

    /// The outage of a downtime class.
    pub fn class(&self, downtime: Downtime) -> Option<&ClassOutage> {
        self.classes.iter().find(|c| c.downtime == downtime)
    }
}
