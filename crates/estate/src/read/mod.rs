//! Reading inputs: content sniffing, per-kind readers, merging with provenance.
//!
//! Kinds are recognised from content, never from flags or file names:
//!
//! | content | kind |
//! |---|---|
//! | object with `schema: "azrelo.estate/v1"` | estate file |
//! | object whose `$schema` names `deploymentParameters` | parameters file |
//! | object with `$schema` naming a deployment template, or with `resources` and `contentVersion` | ARM template |
//! | object with a `data` array (and `count`/`skip_token`/`total_records`) | Azure Resource Graph result |
//! | object with a `value` array | ARM GET list body |
//! | object with `id` and `type` | ARM GET body of one resource |
//! | array whose rows carry `subscriptionId` and `tenantId` | Azure Resource Graph rows (bare array) |
//! | array whose rows carry `id`, `type` and `resourceGroup` but no `tenantId` | `az resource list` |
//!
//! A parameters file is applied to the template named `X.json` when it is
//! `X.parameters.json`, or to the only template when there is exactly one.

use crate::model::*;
use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_template::{DeploymentContext, ExpandOptions, MissingParameters, Template, expand};
use indexmap::IndexMap;
use serde_json::Value;
use std::path::{Path, PathBuf};

mod ingest;
mod template;

use ingest::merge_estate;
pub use ingest::{dedup_extensions, ingest, insert_resource};
pub use template::parameter_values;
use template::read_template;

/// How inputs are read and template inputs placed (templates carry no
/// subscription or resource group).
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub subscription: String,
    /// The resource group template inputs deploy to. `{dir}` stands for the
    /// name of the template's directory (one group per template folder:
    /// many unrelated templates graphed at once do not merge).
    pub resource_group: String,
    pub location: String,
    /// Largest input file read, in bytes: larger files (and endless ones
    /// such as `/dev/zero`) are refused before they are read whole.
    pub max_input_bytes: u64,
    /// Template parameters without a value or default: an error (as ARM
    /// does; the default) or symbolic unknowns with a warning naming them
    /// (for graphing templates whose deployment values are not at hand).
    pub missing_parameters: MissingParameters,
    /// Use `X.parameters.json` found beside a template `X.json` even when
    /// it is not among the inputs (default true).
    pub sibling_parameters: bool,
}

/// The default [`LoadOptions::max_input_bytes`]: 512 MiB.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            subscription: "00000000-0000-0000-0000-000000000000".into(),
            resource_group: "azrelo-rg".into(),
            location: "westeurope".into(),
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
            missing_parameters: MissingParameters::Error,
            sibling_parameters: true,
        }
    }
}

/// A fatal input error: what, where (file, line/column or JSON path) and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", location.as_ref().map(|l| format!(" {l}")).unwrap_or_default())]
pub struct LoadError {
    pub file: String,
    /// `line:column` or a JSON path.
    pub location: Option<String>,
    pub message: String,
}

fn err(file: &str, location: Option<String>, message: impl Into<String>) -> LoadError {
    LoadError {
        file: file.to_string(),
        location,
        message: message.into(),
    }
}

/// Recognise an input's kind from its content.
pub fn detect(v: &Value) -> Option<InputKind> {
    match v {
        Value::Object(o) => {
            if o.get("schema").and_then(|s| s.as_str()) == Some(SCHEMA) {
                return Some(InputKind::Estate);
            }
            let schema = o
                .get("$schema")
                .and_then(|s| s.as_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            if schema.contains("deploymentparameters") {
                return Some(InputKind::Parameters);
            }
            if schema.contains("deploymenttemplate")
                || (o.contains_key("resources") && o.contains_key("contentVersion"))
            {
                return Some(InputKind::Template);
            }
            if o.get("data").is_some_and(Value::is_array)
                && (o.contains_key("count")
                    || o.contains_key("skip_token")
                    || o.contains_key("total_records")
                    || o.contains_key("totalRecords"))
            {
                return Some(InputKind::ResourceGraph);
            }
            if o.get("value").is_some_and(Value::is_array) {
                return Some(InputKind::ArmGet);
            }
            if o.contains_key("id") && o.contains_key("type") {
                return Some(InputKind::ArmGet);
            }
            None
        }
        Value::Array(a) => {
            let first = a.iter().find(|x| x.is_object())?;
            if first.get("subscriptionId").is_some() && first.get("tenantId").is_some() {
                Some(InputKind::ResourceGraph)
            } else if first.get("id").is_some() && first.get("type").is_some() {
                Some(InputKind::ResourceList)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Read a text file of at most `max` bytes, refusing early what cannot be
/// JSON (its first non-blank byte is not `{`, `[` or a comment) so that
/// `/dev/zero` or a binary file fails at once, not after reading it all.
pub fn read_input(path: &Path, max: u64) -> Result<String, String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    if let Ok(m) = f.metadata()
        && m.is_file()
        && m.len() > max
    {
        return Err(too_large(m.len(), max));
    }
    let mut bytes = Vec::new();
    let mut reader = f.take(max + 1);
    let mut chunk = [0u8; 8192];
    let mut sniffed = false;
    loop {
        let n = reader
            .read(&mut chunk)
            .map_err(|e| format!("cannot read the file: {e}"))?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
        if !sniffed {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
            if let Some(&c) = body.iter().find(|c| !c.is_ascii_whitespace()) {
                sniffed = true;
                if !matches!(c, b'{' | b'[' | b'/') {
                    return Err(format!(
                        "not JSON: the content starts with {}",
                        if c.is_ascii_graphic() {
                            format!("'{}'", c as char)
                        } else {
                            format!("byte 0x{c:02x}")
                        }
                    ));
                }
            }
        }
    }
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64, max));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {}); save the file as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })
}

fn too_large(len: u64, max: u64) -> String {
    format!(
        "the file is larger than the input limit of {max} bytes (at least {len} bytes); raise it with --max-input-size if the file is genuine"
    )
}

/// One input in memory: its name (a path or URI, for messages and
/// provenance), its text, and whether the operator named it (an
/// unrecognised file found in a directory is skipped with a warning; one
/// named explicitly is an error).
#[derive(Debug, Clone)]
pub struct InputText {
    pub name: String,
    pub text: String,
    /// Where it lives on disk (for `relativePath` linked templates and the
    /// sibling parameters file); `None` for a downloaded input.
    pub path: Option<PathBuf>,
    pub explicit: bool,
}

/// What reading many inputs produced: the estate of every input that could
/// be read, and one error per input that could not.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub estate: Estate,
    pub errors: Vec<LoadError>,
}

/// Read any mix of inputs (and estate files) into one estate; the first
/// input that cannot be read is an error.
pub fn load_inputs(paths: &[PathBuf], opts: &LoadOptions) -> Result<Estate, LoadError> {
    let loaded = load_files(paths, opts, true);
    match loaded.errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(loaded.estate),
    }
}

/// Read files (named explicitly, or found in a directory when `explicit`
/// is false for them — see [`InputText::explicit`]) into one estate,
/// keeping going past a file that cannot be read: its error is collected
/// and the rest is kept. With `strict`, stops at the first error.
pub fn load_files(paths: &[PathBuf], opts: &LoadOptions, strict: bool) -> Loaded {
    load_paths(
        &paths.iter().map(|p| (p.clone(), true)).collect::<Vec<_>>(),
        opts,
        strict,
    )
}

/// [`load_files`] with each path's [`InputText::explicit`] flag.
pub fn load_paths(paths: &[(PathBuf, bool)], opts: &LoadOptions, strict: bool) -> Loaded {
    let mut texts = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for (p, explicit) in paths {
        let file = p.display().to_string();
        match read_input(p, opts.max_input_bytes) {
            Ok(text) => texts.push(InputText {
                name: file,
                text,
                path: Some(p.clone()),
                explicit: *explicit,
            }),
            Err(m) => {
                errors.push(err(&file, None, m));
                if strict {
                    return Loaded {
                        estate: Estate::new(),
                        errors,
                    };
                }
            }
        }
    }
    let mut loaded = load_texts(texts, opts, strict);
    errors.append(&mut loaded.errors);
    loaded.errors = errors;
    loaded
}

struct Doc {
    name: String,
    path: Option<PathBuf>,
    value: Value,
    kind: InputKind,
    /// Text length (the template size limit).
    bytes: usize,
}

/// Read inputs already in memory into one estate (see [`load_files`]).
pub fn load_texts(inputs: Vec<InputText>, opts: &LoadOptions, strict: bool) -> Loaded {
    let mut errors = Vec::new();
    let mut estate = Estate::new();
    let mut docs: Vec<Doc> = Vec::new();
    for input in inputs {
        let file = input.name.clone();
        let v = match azrelo_template::json::parse(&input.text, &file) {
            Ok(v) => v,
            Err(e) => {
                errors.push(err(
                    &file,
                    Some(format!("{}:{} ({})", e.line, e.column, e.path)),
                    format!("not valid JSON: {}", e.message),
                ));
                if strict {
                    return Loaded { estate, errors };
                }
                continue;
            }
        };
        let Some(kind) = detect(&v) else {
            const WHAT: &str = "not a recognised input: expected an ARM template, a parameters file, `az graph query -o json` output, `az resource list -o json` output, an ARM GET body or an azrelo estate";
            if input.explicit {
                errors.push(err(&file, None, WHAT));
                if strict {
                    return Loaded { estate, errors };
                }
            } else {
                estate.warnings.push(Warning {
                    file,
                    path: "$".into(),
                    message: format!("{WHAT}; skipped"),
                });
            }
            continue;
        };
        docs.push(Doc {
            name: file,
            path: input.path,
            value: v,
            kind,
            bytes: input.text.len(),
        });
    }
    // Parameters files beside templates that were not passed — unless the
    // inputs are one template and one parameters file, which pair whatever
    // their names.
    let count = |k: InputKind| docs.iter().filter(|d| d.kind == k).count();
    let one_pair = count(InputKind::Template) == 1 && count(InputKind::Parameters) == 1;
    if opts.sibling_parameters && !one_pair {
        let mut siblings = Vec::new();
        for d in docs.iter().filter(|d| d.kind == InputKind::Template) {
            let Some(p) = d.path.as_deref().and_then(sibling_parameters_path) else {
                continue;
            };
            if docs.iter().any(|o| {
                o.path.as_deref() == Some(p.as_path())
                    || (o.kind == InputKind::Parameters && pairs_with(d, o))
            }) || siblings
                .iter()
                .any(|s: &Doc| s.path.as_deref() == Some(p.as_path()))
            {
                continue;
            }
            let name = p.display().to_string();
            let parsed = read_input(&p, opts.max_input_bytes).and_then(|t| {
                azrelo_template::json::parse(&t, &name)
                    .map(|v| (v, t.len()))
                    .map_err(|e| format!("not valid JSON: {e}"))
            });
            match parsed {
                Ok((value, bytes)) if detect(&value) == Some(InputKind::Parameters) => {
                    siblings.push(Doc {
                        name,
                        path: Some(p),
                        value,
                        kind: InputKind::Parameters,
                        bytes,
                    })
                }
                Ok(_) => estate.warnings.push(Warning {
                    file: name,
                    path: "$".into(),
                    message: "beside a template but not a deployment parameters file (no deploymentParameters $schema); not used".into(),
                }),
                Err(m) => {
                    errors.push(err(&name, None, m));
                    if strict {
                        return Loaded { estate, errors };
                    }
                }
            }
        }
        docs.extend(siblings);
    }
    let templates: Vec<usize> = (0..docs.len())
        .filter(|&i| docs[i].kind == InputKind::Template)
        .collect();
    let parameter_files: Vec<usize> = (0..docs.len())
        .filter(|&i| docs[i].kind == InputKind::Parameters)
        .collect();
    let only_pair = templates.len() == 1 && parameter_files.len() == 1;
    for d in &docs {
        let file = d.name.clone();
        let before = estate.len();
        let result = match d.kind {
            InputKind::Estate => merge_estate(&mut estate, &d.value, &file),
            InputKind::Parameters => {
                let paired = templates.iter().any(|&t| pairs_with(&docs[t], d)) || only_pair;
                if !paired {
                    estate.warnings.push(Warning {
                        file: file.clone(),
                        path: "$".into(),
                        message: "a parameters file without its template (name it X.parameters.json beside X.json, or pass exactly one template) was ignored".into(),
                    });
                }
                Ok(())
            }
            InputKind::Template => {
                let params = parameter_files
                    .iter()
                    .find(|&&p| pairs_with(d, &docs[p]))
                    .or(if only_pair {
                        parameter_files.first()
                    } else {
                        None
                    })
                    .map(|&p| (&docs[p].value, docs[p].name.as_str()));
                read_template(&mut estate, d, params, opts)
            }
            InputKind::ResourceGraph => {
                let v = &d.value;
                let rows = match v {
                    Value::Array(a) => a.as_slice(),
                    _ => v["data"].as_array().map(Vec::as_slice).unwrap_or(&[]),
                };
                let base = if v.is_array() { "$" } else { "$.data" };
                for (j, row) in rows.iter().enumerate() {
                    ingest(
                        &mut estate,
                        row,
                        prov(&file, format!("{base}[{j}]"), d.kind),
                    );
                }
                Ok(())
            }
            InputKind::ResourceList => {
                for (j, row) in d.value.as_array().into_iter().flatten().enumerate() {
                    ingest(&mut estate, row, prov(&file, format!("$[{j}]"), d.kind));
                }
                Ok(())
            }
            InputKind::ArmGet => {
                if let Some(list) = d.value.get("value").and_then(|x| x.as_array()) {
                    for (j, row) in list.iter().enumerate() {
                        ingest(
                            &mut estate,
                            row,
                            prov(&file, format!("$.value[{j}]"), d.kind),
                        );
                    }
                } else {
                    ingest(&mut estate, &d.value, prov(&file, "$".into(), d.kind));
                }
                Ok(())
            }
        };
        if let Err(e) = result {
            errors.push(e);
            if strict {
                return Loaded { estate, errors };
            }
            continue;
        }
        estate.sources.push(Source {
            file,
            kind: d.kind,
            records: estate.len() - before,
        });
    }
    // The same extension record may come from several inputs (e.g. ARG and a GET list).
    dedup_extensions(&mut estate);
    Loaded { estate, errors }
}

/// The URL a template was read from: its own URL when downloaded, a
/// `file://` URL of its absolute path otherwise.
fn template_location(d: &Doc) -> String {
    match &d.path {
        Some(p) => {
            let abs = std::path::absolute(p).unwrap_or_else(|_| p.clone());
            let path = abs.to_string_lossy().replace('\\', "/");
            let path = path.replace(' ', "%20");
            if path.starts_with('/') {
                format!("file://{path}")
            } else {
                format!("file:///{path}")
            }
        }
        None => d.name.clone(),
    }
}

/// `X.parameters.json` beside `X.json`, when it exists.
fn sibling_parameters_path(template: &Path) -> Option<PathBuf> {
    let stem = template.file_stem()?.to_string_lossy();
    if stem.to_ascii_lowercase().ends_with(".parameters") {
        return None;
    }
    let p = template.with_file_name(format!("{stem}.parameters.json"));
    p.is_file().then_some(p)
}

/// Whether a parameters file is `X.parameters.json` beside the template
/// `X.json`: by path on disk, or by name for downloaded inputs (URLs).
fn pairs_with(template: &Doc, params: &Doc) -> bool {
    if let (Some(template), Some(params)) = (template.path.as_deref(), params.path.as_deref()) {
        let (Some(t), Some(p)) = (template.file_stem(), params.file_name()) else {
            return false;
        };
        let p = p.to_string_lossy().to_ascii_lowercase();
        let t = t.to_string_lossy().to_ascii_lowercase();
        return template.parent() == params.parent() && p == format!("{t}.parameters.json");
    }
    let t = template.name.to_ascii_lowercase();
    t.strip_suffix(".json").is_some_and(|stem| {
        params
            .name
            .eq_ignore_ascii_case(&format!("{stem}.parameters.json"))
    })
}

fn prov(file: &str, path: String, kind: InputKind) -> Provenance {
    Provenance {
        file: file.to_string(),
        path,
        kind,
    }
}
