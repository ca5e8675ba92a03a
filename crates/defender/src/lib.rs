//! # azrelo-defender — servers from Defender for Endpoint to Defender for Cloud
//!
//! This crate owns the server protection migration of seed 004 ("Migrating
//! servers from Microsoft Defender for Endpoint to Microsoft Defender for
//! Cloud", catalog scenario `defender-endpoint-to-cloud`):
//!
//! * the **fleet inventory** ([`Fleet`]): Azure VMs, Azure Arc-enabled servers
//!   (OS, agent status, extensions), AWS/GCP multicloud connectors with their
//!   offerings, the subscription settings (Defender for Servers pricing,
//!   the `WDATP` / `WDATP_UNIFIED_SOLUTION` integration settings, the
//!   vulnerability assessment provider), the Log Analytics workspaces machines
//!   report to, and the Defender portal's device list — from files
//!   ([`files::load`], reusing `azrelo-estate`'s readers) or from live ARM
//!   ([`live::fleet`], Resource Graph + GETs through `azrelo-client`);
//! * the **assessment** ([`assess()`]): shared prerequisites per subscription,
//!   a path (`azure-vm`, `arc-on-prem`, `aws`, `gcp`) and a verdict (`ready`,
//!   `ready-after-apply`, `needs-manual` with the steps named, `blocked`) with reasons per machine, what Defender for
//!   Cloud will deploy (`MDE.Windows` / `MDE.Linux`), the legacy Windows
//!   Server 2012 R2/2016 solution moved to the unified one, and the cross-check
//!   with the device list; rendered by [`report`];
//! * **applying** the Azure-side settings ([`apply`]): GET the current
//!   subscription, workspace and connector settings, compute exactly the
//!   changes needed, PUT only those (journaled, idempotent, or just listed
//!   in validate-only mode).
//!
//! It must not decide anything about region relocation (that is
//! `azrelo-plan`), install agents on machines (Defender for Cloud and Azure
//! Arc do), or keep relocation knowledge that belongs in the catalog: reasons
//! name the catalog scenario's step ids.

pub mod apply;
pub mod assess;
pub mod devices;
pub mod files;
pub mod inventory;
pub mod live;
pub mod model;
pub mod os;
pub mod report;

pub use assess::{AssessOptions, Assessment, MigrationPath, Verdict, assess};
pub use model::{Fleet, ServersPlan};

/// The executors of the catalog (`executors.toml`) `azrelo defender
/// servers` performs: the fleet's readiness ([`assess()`]) and the
/// subscription settings it needs ([`apply`]).
pub const EXECUTORS: &[&str] = &["defender-servers-assess", "defender-servers-apply"];
