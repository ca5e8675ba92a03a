//! Shared input handling: any mix of raw inputs and estate files, from
//! files, directories or URLs; per-file errors reported, the rest kept.

use crate::exit::CliError;
use azrelo_estate::{Estate, InputText, LoadError, LoadOptions, load_texts, read_input};
use azrelo_template::MissingParameters;
use std::path::PathBuf;

/// Where template inputs are placed (templates carry no subscription or
/// group), and how inputs are read.
#[derive(Debug, Clone, clap::Args)]
pub struct TemplatePlacement {
    /// Subscription id assumed for template inputs.
    #[arg(
        long = "template-subscription",
        default_value = "00000000-0000-0000-0000-000000000000"
    )]
    pub subscription: String,
    /// Resource group assumed for template inputs; `{dir}` stands for the
    /// template's directory name (one group per template folder).
    #[arg(long = "template-resource-group", default_value = "azrelo-rg")]
    pub resource_group: String,
    /// Location of that resource group.
    #[arg(long = "template-location", default_value = "westeurope")]
    pub location: String,
    /// Stop at the first input that cannot be read (default: report each
    /// one, keep the rest, and exit with code 3 at the end).
    #[arg(long)]
    pub strict: bool,
    /// Largest input file read (bytes, or with a unit: 64MiB, 1GiB).
    #[arg(
        long = "max-input-size",
        env = "AZRELO_MAX_INPUT_SIZE",
        default_value = "512MiB",
        value_name = "SIZE",
        value_parser = parse_size
    )]
    pub max_input_bytes: u64,
}

impl Default for TemplatePlacement {
    /// The flags' defaults.
    fn default() -> Self {
        TemplatePlacement {
            subscription: "00000000-0000-0000-0000-000000000000".into(),
            resource_group: "azrelo-rg".into(),
            location: "westeurope".into(),
            strict: false,
            max_input_bytes: azrelo_estate::DEFAULT_MAX_INPUT_BYTES,
        }
    }
}

/// `1048576`, `64KiB`, `64MiB`, `1GiB` (also `KB`/`MB`/`GB`, read as the
/// binary units).
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size: use e.g. 512MiB or 1GiB"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("'{s}': the unit must be B, KiB, MiB or GiB")),
    };
    n.checked_mul(mult)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("'{s}' is not a usable size"))
}

/// Expand directories into the JSON files they hold (sorted, not
/// explicit: an unrecognised one is skipped with a warning), keep files
/// (explicit).
fn expand_paths(paths: &[PathBuf]) -> Result<Vec<(PathBuf, bool)>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| {
                    CliError::bad_input(
                        format!("cannot read {}: {e}", p.display()),
                        "check the path",
                    )
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            out.extend(files.into_iter().map(|f| (f, false)));
        } else {
            out.push((p.clone(), true));
        }
    }
    Ok(out)
}

/// Inputs that could not be read: each is reported on stderr as it is
/// found; [`InputErrors::finish`] turns them into the command's exit code
/// after its output.
#[derive(Debug, Default)]
pub struct InputErrors {
    errors: Vec<LoadError>,
    inputs: usize,
}

impl InputErrors {
    /// Exit code 3 when an input could not be read (after the rest was used).
    pub fn finish(self) -> Result<(), CliError> {
        if self.errors.is_empty() {
            return Ok(());
        }
        Err(CliError::bad_input(
            format!(
                "{} of {} input(s) could not be read (listed above); the rest was used",
                self.errors.len(),
                self.inputs
            ),
            "fix or remove those files; --strict stops at the first one",
        ))
    }
}

/// Read inputs from files, directories and URLs into one estate, all or
/// nothing: every input that cannot be read is reported, then the command
/// fails (exit code 3). For commands whose output must not rest on part of
/// the inputs (plan, assess, rehearse, emulator seeding).
pub fn load(paths: &[PathBuf], placement: &TemplatePlacement) -> Result<Estate, CliError> {
    let (estate, errors) = load_lenient(paths, &[], placement, MissingParameters::Error)?;
    errors.finish()?;
    Ok(estate)
}

/// Read inputs into one estate, keeping going past an input that cannot be
/// read (unless `--strict`): the estate of the rest, and the errors for
/// [`InputErrors::finish`] after the command's output. `missing` says what
/// a template parameter without a value becomes.
pub fn load_lenient(
    paths: &[PathBuf],
    uris: &[String],
    placement: &TemplatePlacement,
    missing: MissingParameters,
) -> Result<(Estate, InputErrors), CliError> {
    azrelo_arm::names::check_resource_group_name(&placement.resource_group.replace("{dir}", "x"))
        .map_err(|e| {
        CliError::bad_input(
            format!("--template-resource-group: {e}"),
            "name a valid resource group ({dir} stands for the template's folder)",
        )
    })?;
    let files = expand_paths(paths)?;
    if files.is_empty() && uris.is_empty() {
        return Err(CliError::bad_input(
            "no input files",
            "pass JSON files or directories: ARM templates, az graph query / az resource list output, ARM GET bodies or an estate file",
        ));
    }
    let opts = LoadOptions {
        subscription: placement.subscription.clone(),
        resource_group: placement.resource_group.clone(),
        location: placement.location.clone(),
        max_input_bytes: placement.max_input_bytes,
        missing_parameters: missing,
        sibling_parameters: true,
    };
    let mut errors = InputErrors {
        errors: Vec::new(),
        inputs: files.len() + uris.len(),
    };
    let report = |errors: &mut InputErrors, e: LoadError| -> Result<(), CliError> {
        if placement.strict {
            return Err(CliError::bad_input(
                e.to_string(),
                "fix the file at the position shown; `azrelo discover --help` lists the accepted input kinds",
            ));
        }
        eprintln!("error: {e}");
        errors.errors.push(e);
        Ok(())
    };
    let mut texts = Vec::with_capacity(files.len() + uris.len());
    for (path, explicit) in files {
        match read_input(&path, opts.max_input_bytes) {
            Ok(text) => texts.push(InputText {
                name: path.display().to_string(),
                text,
                path: Some(path),
                explicit,
            }),
            Err(message) => report(
                &mut errors,
                LoadError {
                    file: path.display().to_string(),
                    location: None,
                    message,
                },
            )?,
        }
    }
    for uri in uris {
        match fetch(uri, opts.max_input_bytes) {
            Ok(text) => {
                texts.push(InputText {
                    name: uri.clone(),
                    text,
                    path: None,
                    explicit: true,
                });
                // The parameters file beside it, as for a local template.
                if let Some(p) = sibling_parameters_uri(uri)
                    && let Ok(text) = fetch(&p, opts.max_input_bytes)
                {
                    texts.push(InputText {
                        name: p,
                        text,
                        path: None,
                        explicit: false,
                    });
                }
            }
            Err(message) => report(
                &mut errors,
                LoadError {
                    file: uri.clone(),
                    location: None,
                    message,
                },
            )?,
        }
    }
    let loaded = load_texts(texts, &opts, placement.strict);
    for e in loaded.errors {
        report(&mut errors, e)?;
    }
    for w in &loaded.estate.warnings {
        tracing::warn!("{w}");
    }
    Ok((loaded.estate, errors))
}

/// `…/X.parameters.json` for `…/X.json` (query and fragment kept out).
fn sibling_parameters_uri(uri: &str) -> Option<String> {
    let mut u = url::Url::parse(uri).ok()?;
    let name = u.path_segments()?.next_back()?.to_string();
    let stem = name.strip_suffix(".json")?;
    if stem.ends_with(".parameters") {
        return None;
    }
    u.path_segments_mut()
        .ok()?
        .pop()
        .push(&format!("{stem}.parameters.json"));
    Some(u.to_string())
}

/// Download a template (`--template-uri`): https (or http) without
/// credentials, within the input size limit; `AZRELO_CA_CERT` adds a
/// trusted CA as for ARM calls.
pub fn fetch(uri: &str, max_bytes: u64) -> Result<String, String> {
    let ca = std::env::var_os("AZRELO_CA_CERT").map(PathBuf::from);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(azrelo_client::fetch_text(uri, ca.as_deref(), max_bytes))
        .map_err(|e| format!("cannot download the template: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
    }

    #[test]
    fn sibling_uris() {
        assert_eq!(
            sibling_parameters_uri("https://x.example/a/azuredeploy.json?ref=1").as_deref(),
            Some("https://x.example/a/azuredeploy.parameters.json?ref=1")
        );
        assert_eq!(
            sibling_parameters_uri("https://x.example/a/x.parameters.json"),
            None
        );
        assert_eq!(sibling_parameters_uri("https://x.example/a/"), None);
    }
}
