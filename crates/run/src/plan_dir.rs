//! The plan directory: what `azrelo plan --out`, `azrelo generate` and a run
//! leave in it, read and written in one place.
//!
//! ```text
//! DIR/plan.json               the plan (azrelo.plan/v1)
//! DIR/plan.md                 the plan's report
//! DIR/estate.json             the estate the plan was made from
//! DIR/templates/manifest.json the generator's manifest (azrelo.manifest/v1)
//! DIR/templates/NAME.json     a deployment's template …
//! DIR/templates/NAME.parameters.json  … and its parameters
//! DIR/templates/SHA256SUMS    SHA-256 of the manifest and of every file it names
//! DIR/journal.db              the run's journal (azrelo-journal)
//! DIR/events.jsonl            the run's event log
//! ```
//!
//! Every file is written atomically (temporary file, sync, rename).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use azrelo_catalog::Catalog;
use azrelo_estate::Estate;
use azrelo_generate::{Generated, Manifest};
use azrelo_orchestrate::RunPlan;
use azrelo_orchestrate::model::{ModelError, RunInputs, TemplateFiles};
use azrelo_plan::Plan;
use serde_json::Value;

use crate::RunError;

/// A plan directory (see the module documentation for its layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDir {
    root: PathBuf,
}

/// Write a file atomically: to a temporary file in the same directory,
/// synced, then renamed over the destination, so a reader never sees half a
/// file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("azrelo-output");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        // Plans, templates and estates are operator data: owner only.
        let mut f = azrelo_estate::create_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The hashes file in the templates directory.
pub const SUMS: &str = "SHA256SUMS";

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Pretty JSON with a final newline.
fn pretty<T: serde::Serialize + ?Sized>(v: &T) -> Result<Vec<u8>, RunError> {
    let mut b = serde_json::to_vec_pretty(v)
        .map_err(|e| RunError::failure(format!("cannot serialize: {e}")))?;
    b.push(b'\n');
    Ok(b)
}

fn written(path: &Path, r: std::io::Result<()>) -> Result<(), RunError> {
    r.map_err(|e| RunError::failure(format!("cannot write {}: {e}", path.display())))
}

fn model_file(path: PathBuf, message: impl std::fmt::Display) -> ModelError {
    ModelError::File {
        path,
        message: message.to_string(),
    }
}

impl PlanDir {
    /// The plan directory at `root` (nothing is read or created yet).
    pub fn new(root: impl Into<PathBuf>) -> PlanDir {
        PlanDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn plan_json(&self) -> PathBuf {
        self.root.join("plan.json")
    }
    pub fn plan_md(&self) -> PathBuf {
        self.root.join("plan.md")
    }
    pub fn estate_json(&self) -> PathBuf {
        self.root.join("estate.json")
    }
    /// Where `azrelo generate` writes by default and a run reads.
    pub fn templates(&self) -> PathBuf {
        self.root.join("templates")
    }
    pub fn manifest_json(&self) -> PathBuf {
        self.templates().join("manifest.json")
    }
    pub fn journal(&self) -> PathBuf {
        self.root.join("journal.db")
    }
    pub fn events(&self) -> PathBuf {
        self.root.join("events.jsonl")
    }

    /// Create the directory (and its parents) if needed.
    pub fn create(&self) -> Result<(), RunError> {
        std::fs::create_dir_all(&self.root)
            .map_err(|e| RunError::failure(format!("cannot create {}: {e}", self.root.display())))
    }

    /// Write `plan.json`, `plan.md` and `estate.json` (the estate the plan
    /// was made from: the generator reads both), creating the directory.
    pub fn write_plan(&self, estate: &Estate, plan: &Plan) -> Result<(), RunError> {
        self.create()?;
        let p = self.plan_json();
        written(&p, write_atomic(&p, &pretty(plan)?))?;
        let p = self.plan_md();
        written(
            &p,
            write_atomic(&p, azrelo_plan::report::render_markdown(plan).as_bytes()),
        )?;
        let p = self.estate_json();
        written(&p, azrelo_estate::write_estate(estate, &p))
    }

    /// `plan.json`, checked to be a plan of this version's schema.
    pub fn read_plan(&self) -> Result<Plan, RunError> {
        let path = self.plan_json();
        let text = std::fs::read_to_string(&path).map_err(|e| {
            RunError::bad_input(
                format!("cannot read {}: {e}", path.display()),
                "pass the directory `azrelo plan --out DIR` wrote",
            )
        })?;
        let plan: Plan = serde_json::from_str(&text).map_err(|e| {
            RunError::bad_input(
                format!(
                    "{}:{}:{}: not a plan: {e}",
                    path.display(),
                    e.line(),
                    e.column()
                ),
                "regenerate it with `azrelo plan … --out DIR`",
            )
        })?;
        if plan.schema != azrelo_plan::SCHEMA {
            return Err(RunError::bad_input(
                format!(
                    "{}: schema {} is not {}",
                    path.display(),
                    plan.schema,
                    azrelo_plan::SCHEMA
                ),
                "regenerate the plan with this version of azrelo",
            ));
        }
        Ok(plan)
    }

    /// `estate.json`.
    pub fn read_estate(&self) -> Result<Estate, RunError> {
        let path = self.estate_json();
        azrelo_estate::load_inputs(
            std::slice::from_ref(&path),
            &azrelo_estate::LoadOptions::default(),
        )
        .map_err(|e| {
            RunError::bad_input(
                e.to_string(),
                "the plan directory needs the estate.json `azrelo plan --out` writes",
            )
        })
    }

    /// The plan and what the generator makes of it (embedded schema flags,
    /// the given catalog).
    pub fn generate(&self, catalog: &Catalog) -> Result<(Plan, Generated), RunError> {
        let plan = self.read_plan()?;
        let estate = self.read_estate()?;
        let generated =
            azrelo_generate::generate(&plan, &estate, catalog, azrelo_generate::embedded_flags());
        Ok((plan, generated))
    }

    /// Write the generated templates, their parameter files and
    /// `manifest.json` into `dir` (created if needed; [`PlanDir::templates`]
    /// unless the caller chose another place) and return the manifest.
    pub fn write_templates(&self, generated: &Generated, dir: &Path) -> Result<Manifest, RunError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| RunError::failure(format!("cannot create {}: {e}", dir.display())))?;
        for d in &generated.deployments {
            let p = dir.join(format!("{}.json", d.name));
            written(&p, write_atomic(&p, &pretty(&d.template)?))?;
            let p = dir.join(format!("{}.parameters.json", d.name));
            written(&p, write_atomic(&p, &pretty(&d.parameters)?))?;
        }
        let manifest = generated.manifest();
        let p = dir.join("manifest.json");
        written(&p, write_atomic(&p, &pretty(&manifest)?))?;
        // What a run may deploy: the manifest and the files it names,
        // each with its hash (checked before every run).
        let mut sums = String::new();
        let mut names = vec!["manifest.json".to_string()];
        for d in &manifest.deployments {
            names.push(d.template_file.clone());
            names.push(d.parameters_file.clone());
        }
        for n in names {
            let bytes = std::fs::read(dir.join(&n))
                .map_err(|e| RunError::failure(format!("cannot read back {n}: {e}")))?;
            sums.push_str(&format!("{}  {n}\n", sha256_hex(&bytes)));
        }
        let p = dir.join(SUMS);
        written(&p, write_atomic(&p, sums.as_bytes()))?;
        Ok(manifest)
    }

    /// Check the templates directory against `SHA256SUMS` (written by
    /// `generate`): a changed file, a missing one, or a JSON file nobody
    /// generated (a foreign template) is refused, naming it.
    pub fn verify_templates(&self) -> Result<(), ModelError> {
        let tdir = self.templates();
        let sums_path = tdir.join(SUMS);
        let text = std::fs::read_to_string(&sums_path).map_err(|e| {
            model_file(
                sums_path.clone(),
                format!(
                    "{e}: without the hashes `azrelo generate` writes, the templates cannot be checked — run `azrelo generate {}` again",
                    self.root.display()
                ),
            )
        })?;
        let mut listed = std::collections::HashSet::new();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let Some((hash, name)) = line.split_once("  ") else {
                return Err(model_file(
                    sums_path.clone(),
                    format!("line {} is not 'HASH  NAME'", i + 1),
                ));
            };
            if name.contains('/') || name.contains('\\') || name.starts_with('.') {
                return Err(model_file(
                    sums_path.clone(),
                    format!("line {} names a file outside the directory: {name}", i + 1),
                ));
            }
            let path = tdir.join(name);
            let bytes = std::fs::read(&path).map_err(|e| model_file(path.clone(), e))?;
            if sha256_hex(&bytes) != hash {
                return Err(model_file(
                    path,
                    "changed since `azrelo generate` wrote it: a run deploys only what was generated and reviewed (run `azrelo generate` again, or restore the file)",
                ));
            }
            listed.insert(name.to_string());
        }
        let mut foreign: Vec<String> = std::fs::read_dir(&tdir)
            .map_err(|e| model_file(tdir.clone(), e))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json") && !listed.contains(n))
            .collect();
        foreign.sort();
        if let Some(f) = foreign.first() {
            return Err(model_file(
                tdir.join(f),
                "not generated for this plan (a foreign template): remove it, or run `azrelo generate` again",
            ));
        }
        Ok(())
    }

    /// Everything a run is built from: plan, manifest, every template and
    /// parameters file the manifest lists, the estate, and the digest that
    /// binds a journal to them.
    pub fn run_inputs(&self) -> Result<RunInputs, ModelError> {
        let read = |path: PathBuf| -> Result<(Vec<u8>, Value), ModelError> {
            let bytes = std::fs::read(&path).map_err(|e| model_file(path.clone(), e))?;
            let v = serde_json::from_slice(&bytes)
                .map_err(|e| model_file(path, format!("not valid JSON: {e}")))?;
            Ok((bytes, v))
        };
        let (plan_bytes, plan_v) = read(self.plan_json())?;
        let plan: Plan = serde_json::from_value(plan_v)
            .map_err(|e| model_file(self.plan_json(), format!("not an azrelo plan: {e}")))?;
        // Before the manifest and templates are read: only what `generate`
        // wrote (and hashed) is deployed.
        if self.manifest_json().exists() {
            self.verify_templates()?;
        }
        let (manifest_bytes, manifest_v) = read(self.manifest_json()).map_err(|e| {
            ModelError::Plan(format!(
                "{e} — run `azrelo generate {}` first",
                self.root.display()
            ))
        })?;
        let manifest: Manifest = serde_json::from_value(manifest_v).map_err(|e| {
            model_file(self.manifest_json(), format!("not an azrelo manifest: {e}"))
        })?;
        let estate = match read(self.estate_json()) {
            Ok((_, v)) => v,
            Err(_) => Value::Object(Default::default()),
        };
        let tdir = self.templates();
        let mut templates = HashMap::new();
        for d in &manifest.deployments {
            let (_, template) = read(tdir.join(&d.template_file))?;
            let parameters = read(tdir.join(&d.parameters_file))
                .map(|(_, v)| v)
                .unwrap_or_else(|_| Value::Object(Default::default()));
            templates.insert(
                d.template_file.clone(),
                TemplateFiles {
                    template,
                    parameters,
                },
            );
        }
        Ok(RunInputs {
            dir: self.root.clone(),
            digest: azrelo_orchestrate::model::digest(&plan_bytes, &manifest_bytes),
            plan,
            manifest,
            templates,
            estate,
        })
    }

    /// The run: units, dependencies and gates ([`RunPlan::build`] over
    /// [`PlanDir::run_inputs`]).
    pub fn load_run(&self) -> Result<RunPlan, ModelError> {
        RunPlan::build(self.run_inputs()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_leave_no_temporary_file_and_replace_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"1").unwrap();
        write_atomic(&p, b"2").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"2");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.json"]);
    }

    #[test]
    fn a_missing_plan_says_which_file_and_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let pd = PlanDir::new(dir.path());
        let e = pd.read_plan().unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::BadInput);
        assert!(e.message.contains("plan.json"), "{e}");
        let e = pd.run_inputs().unwrap_err().to_string();
        assert!(e.contains("plan.json"), "{e}");
        std::fs::write(pd.plan_json(), "{").unwrap();
        let e = pd.read_plan().unwrap_err();
        assert!(e.message.contains("not a plan"), "{e}");
    }
}
