//! # azrelo-corpus — the relocation corpus harness
//!
//! Owns the end-to-end test of azrelo on estates written by others (issue
//! #13): every quickstart of `../shared/corpus/quickstarts` that deploys on
//! the emulator is
//!
//! 1. deployed into a source region the way the quickstarts' CI deploys it
//!    (`azrelo_testkit::deploy_quickstart`, the emulator's own quickstart
//!    test; those it lists as not deploying are skipped);
//! 2. discovered **live** through `azrelo-client` against the emulator
//!    served on a loopback port (Resource Graph, GETs, child collections,
//!    diagnostic settings, role assignments, locks);
//! 3. planned to another region — once in the same geography, once across
//!    geographies ([`TargetKind`]) —, generated, applied with the
//!    rehearsal's gate policy (gates closed as the operator would, secure
//!    values supplied as the operator would: through `AZRELO_PARAM_<name>`,
//!    each a canary), committed, and its source cleaned up: exactly
//!    `azrelo_run::Rehearsal::run_live`, the library path `azrelo
//!    rehearse` takes;
//! 4. compared ([`compare`]): every source resource has its target (or a
//!    reason in the plan), target bodies equal the source's modulo region,
//!    renamed names, re-pointed ids, the schema's read-only/write-only
//!    fields and the generator's declared changes, no source id or
//!    source-region endpoint remains in any target body, every reference
//!    resolves in the target, every moved source is gone (or kept with a
//!    reason);
//! 5. checked for leaks ([`canary`]): no secure value (the source's nor
//!    the operator's) in any file the run wrote.
//!
//! The result of one quickstart × target kind is a [`Relocation`]; the
//! [`table`] module prints the per-service and per-failure-class tables and
//! compares failures with the expectations file
//! (`tests/expectations/relocation.txt`). `tests/relocation.rs` runs the
//! whole corpus in `cargo test` (a fixed sample with
//! `AZRELO_CORPUS=sample`); `examples/relocate_corpus.rs` is the one
//! command that runs everything and prints the tables. A relocation
//! mostly waits (long-running operations, polling), so [`default_jobs`]
//! runs several per core.
//!
//! Test support only (`publish = false`): no product crate depends on it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_catalog::Catalog;
use azrelo_client::{ArmClient, ClientOptions};
use azrelo_orchestrate::{Event, Observer};
use azrelo_run::{Outcome, Progress, Rehearsal};
use azrelo_testkit::{
    Quickstart, Served, Target, Transport, deploy_quickstart, quickstart_emulator,
};
use indexmap::IndexMap;

pub mod canary;
pub mod compare;
pub mod table;

/// The subscription every quickstart is deployed into (as the emulator's
/// quickstart test does).
pub const SUBSCRIPTION: &str = "00000000-0000-0000-0000-0000000000e2";

/// The source region every quickstart is deployed into.
pub const SOURCE_REGION: &str = "westeurope";

/// The resource group the quickstart's deployment goes into.
pub const SOURCE_GROUP: &str = "rg-qs";

/// Where a failed comparison lists every finding (in the run's directory).
pub const FINDINGS_FILE: &str = "corpus-findings.txt";

/// Where a failed run writes its whole error (in the run's directory).
pub const ERROR_FILE: &str = "corpus-error.txt";

/// The bearer token the harness's client presents (the emulator runs in
/// test mode and accepts any; not a credential).
const TOKEN: &str = "azrelo-corpus";

/// Where a relocation goes, relative to [`SOURCE_REGION`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetKind {
    /// North Europe: the same geography (Europe) as West Europe.
    SameGeography,
    /// East US: another geography (United States).
    CrossGeography,
}

impl TargetKind {
    pub const ALL: [TargetKind; 2] = [TargetKind::SameGeography, TargetKind::CrossGeography];

    /// The target region.
    pub fn region(self) -> &'static str {
        match self {
            TargetKind::SameGeography => "northeurope",
            TargetKind::CrossGeography => "eastus",
        }
    }

    /// How it is spelled in tables and expectation keys.
    pub fn label(self) -> &'static str {
        match self {
            TargetKind::SameGeography => "same-geography",
            TargetKind::CrossGeography => "cross-geography",
        }
    }

    pub fn parse(s: &str) -> Option<TargetKind> {
        TargetKind::ALL.into_iter().find(|k| k.label() == s)
    }
}

/// Where a relocation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// The quickstart did not deploy although the emulator's expectations
    /// say it does.
    Deploy,
    Discover,
    Plan,
    /// The plan has blockers: nothing moved.
    Blocked,
    Generate,
    Apply,
    Commit,
    Cleanup,
    /// The run completed but the target differs from the source.
    Compare,
    /// A secure value was found in a file the run wrote.
    Canary,
    /// The harness itself failed (a panic in the comparison, …).
    Harness,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Deploy => "deploy",
            Stage::Discover => "discover",
            Stage::Plan => "plan",
            Stage::Blocked => "blocked",
            Stage::Generate => "generate",
            Stage::Apply => "apply",
            Stage::Commit => "commit",
            Stage::Cleanup => "cleanup",
            Stage::Compare => "compare",
            Stage::Canary => "canary",
            Stage::Harness => "harness",
        }
    }
}

/// Why a relocation failed: the stage, a failure class (an ARM error
/// code, a blocker rule, a comparison check) and the detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub stage: Stage,
    pub class: String,
    pub detail: String,
}

impl Failure {
    /// `stage/class: detail` on one line, cut to a readable length.
    pub fn reason(&self) -> String {
        let detail: String = self
            .detail
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(300)
            .collect();
        format!("{}/{}: {detail}", self.stage.as_str(), self.class)
    }
}

/// How one quickstart × target kind ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Relocated end to end and equal to its source.
    Relocated,
    /// The emulator's expectations list the quickstart as not deploying:
    /// not part of the corpus figure.
    NotDeployable,
    Failed(Failure),
}

/// Counts of one relocation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Resources in the source after the deployment (resource groups and
    /// deployment records excluded).
    pub source: usize,
    /// Resources in the plan.
    pub planned: usize,
    /// Target resources compared with their source.
    pub compared: usize,
    /// Resources the plan does not move, each with its reason.
    pub not_moved: usize,
}

/// One quickstart relocated to one target kind.
#[derive(Debug, Clone)]
pub struct Relocation {
    /// `namespace/name` of the quickstart.
    pub quickstart: String,
    pub kind: TargetKind,
    pub verdict: Verdict,
    pub counts: Counts,
    pub elapsed: Duration,
}

impl Relocation {
    /// Its key in the expectations file: `namespace/name@kind`.
    pub fn key(&self) -> String {
        key(&self.quickstart, self.kind)
    }

    /// The service: the quickstart's namespace folder (`microsoft.web`).
    pub fn service(&self) -> &str {
        self.quickstart
            .split_once('/')
            .map_or(&*self.quickstart, |(s, _)| s)
    }
}

/// The expectations key of a quickstart × target kind.
pub fn key(quickstart: &str, kind: TargetKind) -> String {
    format!("{quickstart}@{}", kind.label())
}

/// The quickstarts the emulator's own test expects not to deploy
/// (`crates/emulator/tests/expectations/quickstarts.txt`), with why.
pub fn not_deployable() -> IndexMap<String, String> {
    azrelo_testkit::expectations(
        &azrelo_testkit::repo_root().join("crates/emulator/tests/expectations/quickstarts.txt"),
    )
}

/// Whether a quickstart's template parses (those that do not are the
/// template engine's business; the emulator's test skips them too).
pub fn parses(qs: &Quickstart) -> bool {
    let text = std::fs::read_to_string(qs.dir.join("azuredeploy.json")).unwrap_or_default();
    azrelo_template::json::parse(&text, "azuredeploy.json").is_ok()
}

/// The rehearsal's progress lines, kept to tell which stage an error
/// stopped in.
#[derive(Default)]
struct Recorder {
    lines: Mutex<Vec<String>>,
}

impl Observer for Recorder {
    fn event(&self, _e: &Event) {}
}

impl Progress for Recorder {
    fn line(&self, text: &str) {
        if let Ok(mut l) = self.lines.lock() {
            l.push(text.to_string());
        }
    }
}

impl Recorder {
    /// The stage after the last one that reported its completion.
    fn failed_stage(&self) -> Stage {
        let lines = self.lines.lock().map(|l| l.clone()).unwrap_or_default();
        let done = |p: &str| lines.iter().any(|l| l.starts_with(p));
        if done("commit:") {
            Stage::Cleanup
        } else if done("apply:") {
            Stage::Commit
        } else if done("generate:") {
            Stage::Apply
        } else if done("plan:") {
            Stage::Generate
        } else if done("discover:") {
            Stage::Plan
        } else {
            Stage::Discover
        }
    }
}

/// The failure class of a run error's text: the most specific ARM error
/// code it names (`InvalidResourceReference`, `ParentResourceNotFound`, …;
/// the generic `DeploymentFailed` only when nothing more specific is
/// there), else the first words of its first line.
pub fn error_class(stage: Stage, message: &str) -> String {
    if stage == Stage::Plan && message.contains("violates") {
        return "invariant".into();
    }
    let mut generic = None;
    for token in message.split(|c: char| c.is_whitespace() || "(),;\"'".contains(c)) {
        // Ids and URLs hold CamelCase segments that are not codes.
        if token.contains('/') || token.contains('.') || token.contains('=') {
            continue;
        }
        let word = token.trim_end_matches(':');
        if !is_code(word) {
            continue;
        }
        if matches!(
            word,
            "DeploymentFailed" | "ResourceDeploymentFailure" | "Conflict"
        ) {
            generic.get_or_insert(word);
            continue;
        }
        return word.to_string();
    }
    if let Some(g) = generic {
        return g.to_string();
    }
    let first = message.lines().next().unwrap_or_default();
    let words: Vec<&str> = first.split_whitespace().take(6).collect();
    words.join(" ")
}

/// An ARM error code: CamelCase ASCII letters and digits, at least two
/// capitals, no spaces.
fn is_code(w: &str) -> bool {
    w.len() >= 6
        && w.starts_with(|c: char| c.is_ascii_uppercase())
        && w.chars().all(|c| c.is_ascii_alphanumeric())
        && w.chars().filter(char::is_ascii_uppercase).count() >= 2
        && w.chars().any(|c| c.is_ascii_lowercase())
}

/// The plan's scopes for a deployed quickstart: the resource groups its
/// deployment (and the pre-existing environment and prerequisites it acts
/// on) put resources in, and subscription-level resources it created, in
/// [`SUBSCRIPTION`] only (the CI's standing resources stay where they are).
pub fn scopes(deployed: &azrelo_testkit::Deployed) -> Vec<ResourceId> {
    let group = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{SOURCE_GROUP}");
    let mut out: Vec<ResourceId> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut add = |id: ResourceId, out: &mut Vec<ResourceId>| {
        if seen.insert(id.as_str().to_ascii_lowercase()) {
            out.push(id);
        }
    };
    if let Ok(g) = ResourceId::parse(&group) {
        add(g, &mut out);
    }
    for id in deployed.resources.iter().chain(&deployed.prerequisites) {
        let Ok(id) = ResourceId::parse(id) else {
            continue;
        };
        if !id
            .subscription_id()
            .is_some_and(|s| s.eq_ignore_ascii_case(SUBSCRIPTION))
        {
            continue;
        }
        if id
            .resource_group()
            .is_some_and(|g| g.eq_ignore_ascii_case("azrelo-placeholder"))
        {
            continue;
        }
        if id
            .type_or_scope_type()
            .is("Microsoft.Resources/deployments")
        {
            continue;
        }
        match id.resource_group_id() {
            Some(g) => add(g, &mut out),
            None if id.kind() != IdKind::Subscription => add(id, &mut out),
            None => {}
        }
    }
    out
}

/// Relocate one quickstart to one target kind, working in `work` (a new
/// directory: the plan directory the run writes). `skip` names the
/// quickstarts that do not deploy on the emulator ([`not_deployable`]).
pub fn relocate(
    qs: &Quickstart,
    kind: TargetKind,
    work: &Path,
    catalog: &Catalog,
    skip: &IndexMap<String, String>,
) -> Relocation {
    let started = Instant::now();
    let mut counts = Counts::default();
    let verdict = match run(qs, kind, work, catalog, skip, &mut counts) {
        Ok(()) => Verdict::Relocated,
        Err(None) => Verdict::NotDeployable,
        Err(Some(f)) => Verdict::Failed(f),
    };
    Relocation {
        quickstart: qs.name.clone(),
        kind,
        verdict,
        counts,
        elapsed: started.elapsed(),
    }
}

fn fail(stage: Stage, class: impl Into<String>, detail: impl Into<String>) -> Option<Failure> {
    Some(Failure {
        stage,
        class: class.into(),
        detail: detail.into(),
    })
}

fn run(
    qs: &Quickstart,
    kind: TargetKind,
    work: &Path,
    catalog: &Catalog,
    skip: &IndexMap<String, String>,
    counts: &mut Counts,
) -> Result<(), Option<Failure>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| fail(Stage::Deploy, "runtime", e.to_string()))?;
    // 1. The source: a fresh cloud, the quickstart deployed into it.
    let em = quickstart_emulator().with_throttling(false);
    let target = Target::new(SUBSCRIPTION, SOURCE_GROUP, SOURCE_REGION);
    let deployed = rt.block_on(deploy_quickstart(&em, qs, &target));
    if let Some(e) = &deployed.error {
        if skip.contains_key(&qs.name) {
            return Err(None);
        }
        return Err(fail(Stage::Deploy, "deploy", e.clone()));
    }
    let scopes = scopes(&deployed);
    let source = rt.block_on(compare::snapshot(&em, &scopes));
    counts.source = source.len();
    let canaries = canary::Canaries::new(&qs.name, kind);

    // 2–7. Discovery to source cleanup through the served emulator.
    let served = rt.block_on(Served::start(em.clone(), Transport::Http));
    let client = ArmClient::new(ClientOptions::emulator(&served.endpoint, TOKEN, None))
        .map_err(|e| fail(Stage::Discover, "client", e.to_string()))?;
    let discovery = azrelo_live::LiveOptions {
        subscriptions: vec![SUBSCRIPTION.to_string()],
        ..azrelo_live::LiveOptions::default()
    };
    let mut plan = azrelo_plan::PlanOptions::new(kind.region());
    plan.scopes = scopes.clone();
    let rehearsal = Rehearsal {
        out: work.to_path_buf(),
        plan,
        catalog,
        latency: azrelo_run::Latency::Off,
        keep_source: false,
        parallelism: 8,
    };
    let recorder = Arc::new(Recorder::default());
    let operator = |name: &str| canaries.operator_value(name);
    let outcome = rehearsal.run_live(&rt, &client, &discovery, &operator, recorder.clone());
    let result = match outcome {
        Err(e) => {
            // The whole error, for whoever inspects a kept run (and for the
            // canary scan: an error must not carry a secret either).
            let _ = azrelo_run::write_atomic(
                &work.join(ERROR_FILE),
                format!("{}\n", e.message).as_bytes(),
            );
            let stage = recorder.failed_stage();
            let class = error_class(stage, &e.message);
            Err(fail(stage, class, e.message))
        }
        Ok(Outcome::Blocked(plan)) => {
            counts.planned = plan.resources.len();
            let mut codes: Vec<String> = plan
                .findings
                .iter()
                .filter(|f| f.severity == azrelo_catalog::Severity::Blocker)
                .map(|f| f.code.clone())
                .collect();
            codes.sort();
            codes.dedup();
            let first = plan
                .findings
                .iter()
                .find(|f| f.severity == azrelo_catalog::Severity::Blocker)
                .map(|f| format!("{} ({})", f.message, f.resource.as_deref().unwrap_or("")))
                .unwrap_or_default();
            Err(fail(Stage::Blocked, codes.join("+"), first))
        }
        Ok(Outcome::Done(summary)) => {
            let cx = compare::Context::load(work, &em, source, &scopes, &summary)
                .map_err(|e| fail(Stage::Compare, "read-back", e))?;
            counts.planned = cx.plan.resources.len();
            let report = rt.block_on(compare::compare(&cx));
            counts.compared = report.compared;
            counts.not_moved = report.not_moved;
            if !report.findings.is_empty() {
                let text: Vec<String> = report
                    .findings
                    .iter()
                    .map(|f| format!("{}: {}", f.class, f.detail))
                    .collect();
                let _ = azrelo_run::write_atomic(
                    &work.join(FINDINGS_FILE),
                    format!("{}\n", text.join("\n")).as_bytes(),
                );
            }
            match report.findings.first() {
                None => Ok(()),
                Some(f) => {
                    let more = report.findings.len() - 1;
                    let detail = if more > 0 {
                        format!("{} (and {more} more finding(s))", f.detail)
                    } else {
                        f.detail.clone()
                    };
                    Err(fail(Stage::Compare, f.class.clone(), detail))
                }
            }
        }
    };
    drop(served);
    let leak = canary::scan(work, &canaries);
    // A leak fails the relocation whatever else happened.
    if let Some(l) = leak {
        return Err(fail(Stage::Canary, "secret-in-file", l));
    }
    result
}

/// Every case of the corpus: each quickstart whose template parses, in
/// both target kinds (or the given ones), sorted.
pub fn cases(kinds: &[TargetKind]) -> Vec<(Quickstart, TargetKind)> {
    let mut out = Vec::new();
    for qs in azrelo_testkit::quickstarts() {
        if !parses(&qs) {
            continue;
        }
        for &k in kinds {
            out.push((qs.clone(), k));
        }
    }
    out
}

/// The fixed sample `cargo test` runs: every `stride`-th quickstart of the
/// sorted corpus (both target kinds), so each namespace is represented in
/// proportion and the sample is the same on every machine.
pub fn sample(stride: usize) -> Vec<(Quickstart, TargetKind)> {
    let qs: Vec<Quickstart> = azrelo_testkit::quickstarts()
        .into_iter()
        .filter(parses)
        .collect();
    qs.into_iter()
        .step_by(stride.max(1))
        .flat_map(|q| TargetKind::ALL.map(|k| (q.clone(), k)))
        .collect()
}

/// Relocate every case on `jobs` threads, each in its own directory under
/// `root` (removed after a success, kept after a failure for inspection
/// unless `keep_failures` is false); `each` hears every result as it ends.
pub fn run_all(
    cases: &[(Quickstart, TargetKind)],
    jobs: usize,
    root: &Path,
    keep_failures: bool,
    each: &(dyn Fn(&Relocation) + Sync),
) -> Vec<Relocation> {
    let skip = not_deployable();
    let catalog = Catalog::embedded();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Relocation)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((qs, kind)) = cases.get(i) else {
                        break;
                    };
                    let dir = work_dir(root, &qs.name, *kind);
                    let _ = std::fs::remove_dir_all(&dir);
                    let started = Instant::now();
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        relocate(qs, *kind, &dir, catalog, &skip)
                    }))
                    .unwrap_or_else(|p| {
                        let what = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        Relocation {
                            quickstart: qs.name.clone(),
                            kind: *kind,
                            verdict: Verdict::Failed(Failure {
                                stage: Stage::Harness,
                                class: "panic".into(),
                                detail: what,
                            }),
                            counts: Counts::default(),
                            elapsed: started.elapsed(),
                        }
                    });
                    if matches!(r.verdict, Verdict::Failed(_)) && keep_failures {
                        // kept for inspection
                    } else {
                        let _ = std::fs::remove_dir_all(&dir);
                    }
                    each(&r);
                    if let Ok(mut v) = results.lock() {
                        v.push((i, r));
                    }
                }
            });
        }
    });
    let mut v = results.into_inner().unwrap_or_default();
    v.sort_by_key(|(i, _)| *i);
    v.into_iter().map(|(_, r)| r).collect()
}

/// How many relocations run at once by default: four per core (at least
/// four). A case spends most of its time waiting on the emulator's
/// long-running operations, not computing: on 2 cores the whole corpus
/// takes about 140 s in a debug build with 8 at once, 594 s with 2.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map_or(4, |n| n.get() * 4)
        .max(4)
}

/// `root/<namespace>__<name>@<kind>`.
pub fn work_dir(root: &Path, quickstart: &str, kind: TargetKind) -> PathBuf {
    root.join(format!(
        "{}@{}",
        quickstart.replace('/', "__"),
        kind.label()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_classes_are_arm_codes_when_there_is_one() {
        let m = "1 resource(s) failed in the rehearsal:\n  storage/x: InvalidResourceReference: Resource /a referenced by b was not found.";
        assert_eq!(error_class(Stage::Apply, m), "InvalidResourceReference");
        let m = "1 resource(s) failed in the rehearsal: /subscriptions/s/resourceGroups/rg/providers/Microsoft.CustomProviders/associations/a: HTTP 400 DeploymentFailed: At least one … (ParentResourceNotFound)";
        assert_eq!(error_class(Stage::Apply, m), "ParentResourceNotFound");
        let m = "internal error: the plan violates 1 invariant(s); please report this";
        assert_eq!(error_class(Stage::Plan, m), "invariant");
        assert_eq!(
            error_class(
                Stage::Discover,
                "live discovery against http://x failed: timeout"
            ),
            "live discovery against http://x failed: timeout"
        );
    }

    #[test]
    fn kinds_are_what_their_names_say() {
        let regions = azrelo_arm::Regions::embedded();
        assert_eq!(
            regions.same_geography(SOURCE_REGION, TargetKind::SameGeography.region()),
            Some(true)
        );
        assert_eq!(
            regions.same_geography(SOURCE_REGION, TargetKind::CrossGeography.region()),
            Some(false)
        );
        for k in TargetKind::ALL {
            assert_eq!(TargetKind::parse(k.label()), Some(k));
        }
    }
}
