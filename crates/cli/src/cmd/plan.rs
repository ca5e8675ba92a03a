//! `azrelo plan` and `azrelo assess`: the move plan for a target region and
//! the assessment findings it rests on.

use crate::cmd::inputs::{TemplatePlacement, load};
use crate::exit::CliError;
use crate::output::{Output, table, wrapped_table};
use azrelo_arm::id::ResourceId;
use azrelo_catalog::Catalog;
use azrelo_plan::{DependencyPolicy, Filter, NamingRule, Plan, PlanOptions, parse_mapping, report};
use std::path::PathBuf;

/// What to move and where: shared by `plan` and `assess`.
#[derive(Debug, Clone, clap::Args)]
pub struct Selection {
    /// Input files or directories: raw exports (templates, Resource Graph,
    /// az resource list, ARM GET bodies) or an estate file.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Target region (any spelling: swedencentral, "Sweden Central").
    #[arg(long, short = 't')]
    pub target: String,
    /// Only move resources under these ids (subscription, resource group or
    /// resource); repeatable. Default: everything in the inputs.
    #[arg(long = "scope", value_name = "ID")]
    pub scopes: Vec<String>,
    /// Only move resources in these resource groups (by name, in whichever
    /// subscription of the inputs holds them); repeatable, adds to --scope.
    #[arg(long = "resource-group", short = 'g', value_name = "RG")]
    pub resource_groups: Vec<String>,
    /// Only resources matching: a type (Microsoft.Web/sites), a namespace
    /// (Microsoft.Network/*) or a tag (tag:env, tag:env=prod); repeatable.
    #[arg(long, value_name = "FILTER")]
    pub include: Vec<String>,
    /// Leave out resources matching (same forms as --include); repeatable.
    #[arg(long, value_name = "FILTER")]
    pub exclude: Vec<String>,
    /// Required dependencies outside the selection: `add` them to the move
    /// set, or `keep` them where they are (references stay; same-region
    /// dependencies become blockers).
    #[arg(long, value_enum, default_value_t = Deps::Add)]
    pub dependencies: Deps,
    /// Re-point references to an existing target resource instead of moving
    /// the source (SOURCE_ID=TARGET_ID); repeatable.
    #[arg(long = "existing-target", value_name = "SOURCE=TARGET")]
    pub existing_targets: Vec<String>,
    /// Target subscription for everything, by id or by a name az knows
    /// (default: the same subscription).
    #[arg(long, value_name = "NAME|ID")]
    pub target_subscription: Option<String>,
    /// Map a source subscription to a target subscription; repeatable.
    #[arg(long = "subscription-map", value_name = "SOURCE=TARGET")]
    pub subscription_map: Vec<String>,
    /// Map a source resource group name to a target resource group name;
    /// repeatable. Unmapped groups follow --resource-group-pattern.
    #[arg(long = "resource-group-map", value_name = "SOURCE=TARGET")]
    pub resource_group_map: Vec<String>,
    /// Target resource group names for unmapped groups: {rg} is the source
    /// name, {region} the target region (Azure Resource Mover's convention).
    #[arg(long, default_value = "{rg}-{region}")]
    pub resource_group_pattern: String,
    /// New names for globally unique names: append this suffix.
    #[arg(long, conflicts_with = "region_token")]
    pub name_suffix: Option<String>,
    /// New names for globally unique names: replace the source region token
    /// in names with the target token (e.g. weu=sdc). Default: the region
    /// names (westeurope=swedencentral), appended when absent.
    #[arg(long, value_name = "SOURCE=TARGET")]
    pub region_token: Option<String>,
    /// Accept a target region that azrelo's region catalog does not know yet
    /// (zones, pairing and availability are then reported as unknown).
    #[arg(long)]
    pub allow_unknown_region: bool,
    /// Azure Backup: when protection of a moving resource is stopped in the
    /// source vault, delete its backup data too (default: retain the
    /// recovery points, which stay restorable and billed until deleted).
    #[arg(long)]
    pub delete_backup_data: bool,
    /// Use a relocation catalog directory instead of the built-in one (same
    /// layout as crates/catalog/catalog).
    #[arg(long, value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    #[command(flatten)]
    pub placement: TemplatePlacement,
}

/// See `--dependencies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Deps {
    Add,
    Keep,
}

/// Assess an estate against a target region (exit code 4 on blockers)
///
/// Assess an estate against a target region: type availability (from the
/// embedded provider snapshot; unknown is never reported as unavailable),
/// availability zones, global-name collisions with proposed names, the
/// unsupported configurations Microsoft's relocation guidance names (Key
/// Vault backup across geographies, public IP changes, NetApp pairs, Trusted
/// Launch VMs, …), references to resources outside the inputs, cross-
/// subscription and cross-tenant references, quota (unknown offline; with
/// --live read from ARM: VM sizes offered, restricted or missing a zone in
/// the target region, vCPU and public IP quotas against what the plan
/// creates, provider registrations).
///
/// Exit code 4 when there are blockers, 0 otherwise.
///
/// Examples:
///   azrelo assess examples/contoso-shop --target swedencentral
///   azrelo assess estate.json -t "Sweden Central" -o json
///   azrelo assess estate.json -t swedencentral --live
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct AssessArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Read the target subscriptions' SKUs, quotas and provider
    /// registrations in the target region from ARM (executor quota-check).
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    pub arm: crate::cmd::arm_args::ArmArgs,
}

/// Plan the relocation to a target region: waves, steps, checklists, plan.json + plan.md
///
/// Plan the relocation of an estate to a target region: the move set (the
/// selection plus what it requires and what cannot stay behind), a strategy
/// per resource from the relocation catalog, target ids and names, ordered
/// waves (resource groups → network → identities and key vaults → data
/// stores → compute and apps → monitoring → cut-over → clean-up), manual
/// gates, role assignments for new principals, the checklist of what does
/// not travel and the guidance's scenario procedures (Azure Backup, managed
/// identities, Defender for Cloud, the general move process).
///
/// With --out DIR, writes DIR/plan.json (schema azrelo.plan/v1),
/// DIR/plan.md (a readable report), DIR/report.html (the page a change
/// board reads, as `azrelo report DIR` writes it) and DIR/estate.json (the
/// estate the plan was made from, read by `azrelo generate DIR`). Exit code 4 when the plan has blockers
/// (the files are still written, so they can be reviewed).
///
/// Examples:
///   azrelo plan examples/contoso-shop --target swedencentral
///   azrelo plan examples/contoso-shop -t swedencentral --out plan/
///   azrelo plan estate.json -t swedencentral --scope /subscriptions/SUB/resourceGroups/rg-app
///   azrelo plan estate.json -t swedencentral -g rg-shop-app -g rg-shop-data
///   azrelo plan estate.json -t swedencentral --include tag:app=shop --dependencies keep
///   azrelo plan estate.json -t swedencentral -o json > plan.json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct PlanArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Write plan.json, plan.md, report.html and estate.json into this
    /// directory (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub(crate) fn options(sel: &Selection) -> Result<PlanOptions, CliError> {
    let bad = |e: azrelo_plan::OptionsError| {
        CliError::bad_input(
            e.to_string(),
            "see `azrelo plan --help` for the accepted forms",
        )
    };
    let mut o = PlanOptions::new(sel.target.clone());
    for s in &sel.scopes {
        o.scopes.push(ResourceId::parse(s).map_err(|e| {
            CliError::bad_input(
                format!("--scope {s}: {e}"),
                "pass a subscription, resource group or resource id",
            )
        })?);
    }
    for f in &sel.include {
        o.include.push(Filter::parse(f).map_err(bad)?);
    }
    for f in &sel.exclude {
        o.exclude.push(Filter::parse(f).map_err(bad)?);
    }
    o.dependency_policy = match sel.dependencies {
        Deps::Add => DependencyPolicy::Add,
        Deps::Keep => DependencyPolicy::Keep,
    };
    for m in &sel.existing_targets {
        let (a, b) = parse_mapping(m).map_err(bad)?;
        let parse = |s: &str| {
            ResourceId::parse(s).map_err(|e| {
                CliError::bad_input(
                    format!("--existing-target {m}: {e}"),
                    "use SOURCE_ID=TARGET_ID",
                )
            })
        };
        o.existing_targets.push((parse(&a)?, parse(&b)?));
    }
    o.target_subscription = match &sel.target_subscription {
        Some(s) => Some(crate::az_config::resolve_subscription(s)?),
        None => None,
    };
    for m in &sel.subscription_map {
        o.subscription_map.push(parse_mapping(m).map_err(bad)?);
    }
    for m in &sel.resource_group_map {
        let (from, to) = parse_mapping(m).map_err(bad)?;
        // ARM's group name rules: `a=../../x/EVIL` is refused here, not
        // turned into ids that generate then skips.
        azrelo_arm::names::check_resource_group_name(&to).map_err(|e| {
            CliError::bad_input(
                format!("--resource-group-map {m}: {e}"),
                "map to a valid resource group name",
            )
        })?;
        o.resource_group_map.push((from, to));
    }
    o.resource_group_pattern = sel.resource_group_pattern.clone();
    o.allow_unknown_region = sel.allow_unknown_region;
    o.delete_backup_data = sel.delete_backup_data;
    if let Some(s) = &sel.name_suffix {
        o.naming = NamingRule::Suffix(s.clone());
    } else if let Some(t) = &sel.region_token {
        let (a, b) = parse_mapping(t).map_err(bad)?;
        o.naming = NamingRule::ReplaceRegion {
            source: Some(a),
            target: Some(b),
        };
    }
    Ok(o)
}

fn build(sel: &Selection) -> Result<(azrelo_estate::Estate, Plan), CliError> {
    // Options first: a bad flag is reported before the inputs are read.
    options(sel)?;
    let estate = load(&sel.inputs, &sel.placement)?;
    let plan = build_from(sel, &estate)?;
    Ok((estate, plan))
}

/// `-g RG`: the ids of the resource groups of that name in the estate (in
/// any of its subscriptions), as scopes.
pub(crate) fn group_scopes(
    estate: &azrelo_estate::Estate,
    names: &[String],
) -> Result<Vec<ResourceId>, CliError> {
    let mut scopes: Vec<ResourceId> = Vec::new();
    for name in names {
        let before = scopes.len();
        for r in &estate.resources {
            if r.id
                .resource_group()
                .is_some_and(|g| g.eq_ignore_ascii_case(name))
                && let Some(g) = r.id.resource_group_id()
                && !scopes.contains(&g)
            {
                scopes.push(g);
            }
        }
        if scopes.len() == before {
            let mut known: Vec<&str> = estate
                .resources
                .iter()
                .filter_map(|r| r.id.resource_group())
                .collect();
            known.sort_unstable_by_key(|g| g.to_ascii_lowercase());
            known.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
            return Err(CliError::bad_input(
                format!("no resource of the inputs is in a resource group named '{name}'"),
                if known.is_empty() {
                    "the inputs hold no resource group".to_string()
                } else {
                    format!("the inputs' resource groups: {}", known.join(", "))
                },
            ));
        }
    }
    Ok(scopes)
}

/// The plan of an estate already in hand (read from files or discovered
/// live) for the selection's target, scopes, filters and naming.
fn build_from(sel: &Selection, estate: &azrelo_estate::Estate) -> Result<Plan, CliError> {
    build_with(sel, estate, options(sel)?)
}

fn build_with(
    sel: &Selection,
    estate: &azrelo_estate::Estate,
    mut opts: PlanOptions,
) -> Result<Plan, CliError> {
    opts.scopes
        .extend(group_scopes(estate, &sel.resource_groups)?);
    let owned;
    let catalog: &Catalog = match &sel.catalog {
        Some(dir) => {
            owned = load_catalog(dir)?;
            &owned
        }
        None => Catalog::embedded(),
    };
    Ok(azrelo_run::plan_estate(estate, catalog, &opts)?)
}

/// `--catalog DIR`.
pub(crate) fn load_catalog(dir: &std::path::Path) -> Result<Catalog, CliError> {
    Catalog::from_dir(dir).map_err(|e| {
        CliError::bad_input(
            format!("catalog {}: {e}", dir.display()),
            "start from a copy of crates/catalog/catalog and fix the file named",
        )
    })
}

pub(crate) fn findings_table(plan: &Plan) -> comfy_table::Table {
    use comfy_table::{ColumnConstraint, Width};
    let mut t = wrapped_table(["Severity", "Code", "Resource", "Finding"]);
    for col in [1, 2] {
        if let Some(c) = t.column_mut(col) {
            c.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(30)));
        }
    }
    for f in &plan.findings {
        t.add_row([
            f.severity.as_str().to_string(),
            f.code.clone(),
            f.resource
                .as_deref()
                .map(report::short)
                .unwrap_or_else(|| "-".into()),
            f.message.clone(),
        ]);
    }
    t
}

pub(crate) fn blockers(plan: &Plan) -> Result<(), CliError> {
    let n = azrelo_run::blockers(plan);
    if n > 0 {
        Err(CliError::blockers(format!(
            "{n} blocker(s): resolve them before the move (each finding says how)"
        )))
    } else {
        Ok(())
    }
}

/// The JSON of an assessment (also `rehearse`'s when blockers stop it).
pub(crate) fn assessment_json(plan: &Plan) -> serde_json::Value {
    serde_json::json!({
        "target": plan.target.region,
        "summary": {
            "resources": plan.summary.resources,
            "blockers": plan.summary.blockers,
            "warnings": plan.summary.warnings,
            "infos": plan.summary.infos,
        },
        "findings": plan.findings,
    })
}

pub fn run_assess(args: AssessArgs, out: &Output) -> Result<(), CliError> {
    let (estate, mut plan) = build(&args.selection)?;
    if args.live {
        let mut opts = options(&args.selection)?;
        opts.capacity = Some(capacity(&args.arm, &plan)?);
        plan = build_with(&args.selection, &estate, opts)?;
    }
    out.print(&assessment_json(&plan), || {
        let summary = format!(
            "{} resources assessed for {}: {} blocker(s), {} warning(s), {} info.",
            plan.summary.resources,
            plan.target.region,
            plan.summary.blockers,
            plan.summary.warnings,
            plan.summary.infos
        );
        if plan.findings.is_empty() {
            summary
        } else {
            format!("{}\n{summary}", findings_table(&plan))
        }
    })?;
    blockers(&plan)
}

/// The capacity of each target subscription the plan creates resources in,
/// in the target region, read from ARM (executor `quota-check`); calls that
/// fail are warned about and their figures reported as not known.
fn capacity(
    arm: &crate::cmd::arm_args::ArmArgs,
    plan: &Plan,
) -> Result<azrelo_plan::capacity::CapacityFacts, CliError> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut subs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &plan.resources {
        if !r.action.creates_target() || r.carried_by.is_some() {
            continue;
        }
        let Some(sub) = r.target_id.subscription_id() else {
            continue;
        };
        let ns = r.resource_type.split('/').next().unwrap_or_default();
        let e = subs.entry(sub.to_ascii_lowercase()).or_default();
        if !ns.eq_ignore_ascii_case("Microsoft.Resources") {
            e.insert(ns.to_string());
        }
    }
    let client = arm.client()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    let region = plan.target.region.clone();
    let mut facts = azrelo_plan::capacity::CapacityFacts::default();
    for (sub, namespaces) in subs {
        let namespaces: Vec<String> = namespaces.into_iter().collect();
        let (a, failures) = rt.block_on(azrelo_live::capacity::capacity(
            &client,
            &sub,
            &region,
            &namespaces,
        ));
        for f in &failures {
            eprintln!(
                "warning: {}: {} (its figures are not known)",
                f.call, f.error
            );
        }
        // Without the SKU list nothing can be said about sizes: the
        // subscription's quota is reported as not read.
        if failures
            .iter()
            .any(|f| f.call.ends_with("/Microsoft.Compute/skus"))
        {
            continue;
        }
        facts
            .subscriptions
            .push(azrelo_plan::capacity::SubscriptionCapacity::from_arm(
                &sub,
                &region,
                &a.skus,
                &a.usages,
                &a.providers,
            ));
    }
    Ok(facts)
}

/// Write `DIR/report.html` (the change board's page) next to a plan
/// directory's files; `None` (and a warning) when it cannot be written —
/// the plan itself is written by then.
pub(crate) fn write_report(dir: &std::path::Path) -> Option<PathBuf> {
    match azrelo_report::write(dir, azrelo_report::Format::Html, None) {
        Ok(w) => w.files.into_iter().next(),
        Err(e) => {
            tracing::warn!(
                "the report could not be written ({e}); `azrelo report {}` retries",
                dir.display()
            );
            None
        }
    }
}

pub fn run_plan(args: PlanArgs, out: &Output) -> Result<(), CliError> {
    let (estate, plan) = build(&args.selection)?;
    let report = match &args.out {
        Some(dir) => {
            azrelo_run::PlanDir::new(dir).write_plan(&estate, &plan)?;
            write_report(dir)
        }
        None => None,
    };
    out.print(&plan, || {
        let mut t = table([
            "Wave",
            "Phase",
            "Resources",
            "Role assignments",
            "Manual gates",
        ]);
        for w in &plan.waves {
            t.add_row([
                w.number.to_string(),
                w.title.clone(),
                w.resources.len().to_string(),
                w.role_assignments.to_string(),
                w.manual_gates.to_string(),
            ]);
        }
        let s = &plan.summary;
        let mut lines = vec![t.to_string(), format!(
            "Plan {} → {}: {} resources ({} moved, {} recreated, {} re-configured, {} manual, {} carried with a parent), {} role assignment(s), {} wave(s), {} manual gate(s).",
            azrelo_plan::report::regions_label(&plan.source_regions, "-"),
            plan.target.region,
            s.resources,
            s.moved,
            s.recreated,
            s.reconfigured,
            s.manual,
            s.carried_with_parent,
            s.role_assignments,
            s.waves,
            s.manual_gates
        )];
        lines.push(format!(
            "Findings: {} blocker(s), {} warning(s), {} info — `azrelo assess` lists them.",
            s.blockers, s.warnings, s.infos
        ));
        match &args.out {
            Some(dir) => lines.push(format!(
                "Wrote {}, {}{}.",
                dir.join("plan.json").display(),
                dir.join("plan.md").display(),
                report
                    .as_ref()
                    .map(|r| format!(" and {}", r.display()))
                    .unwrap_or_default()
            )),
            None => lines.push(
                "Add --out DIR for plan.json, the plan.md report and report.html, or -o json for the whole plan."
                    .into(),
            ),
        }
        lines.join("\n")
    })?;
    blockers(&plan)
}
