//! Secure values as canaries: the operator's values the harness supplies
//! (`AZRELO_PARAM_<name>`, each carrying a marker unique to the run) and
//! the source's own secrets (the quickstarts' CI password), and the scan
//! that fails a relocation when any of them is found in a file the run
//! wrote (plan, estate, templates, parameters, journal, event log,
//! reports) — issue #13's canary test, ARCHITECTURE invariant 7.

use std::path::Path;

use crate::TargetKind;

/// The secure values of one relocation.
#[derive(Debug, Clone)]
pub struct Canaries {
    /// Every operator value contains it.
    marker: String,
    /// The source's secrets: what the quickstart was deployed with.
    source: Vec<String>,
}

impl Canaries {
    /// Canaries for a quickstart × target kind (the marker differs per
    /// process, quickstart and kind, so a leak names its run).
    pub fn new(quickstart: &str, kind: TargetKind) -> Canaries {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (quickstart, kind, std::process::id()).hash(&mut h);
        let marker = format!("azreloCanary{:012x}", h.finish() & 0xffff_ffff_ffff);
        let mut source = Vec::new();
        for token in ["GEN-PASSWORD", "GEN-SELFSIGNED-CERT-PASSWORD"] {
            if let Some(s) = azrelo_testkit::placeholder(token).as_str()
                && !source.iter().any(|x| x == s)
            {
                source.push(s.to_string());
            }
        }
        Canaries { marker, source }
    }

    /// The marker every operator value carries.
    pub fn marker(&self) -> &str {
        &self.marker
    }

    /// What the operator's environment answers for `AZRELO_PARAM_<name>`:
    /// a value carrying the marker that also satisfies the usual
    /// complexity rules (upper and lower case, digit, symbol), written as
    /// a JSON object's text so that it serves a `secureObject` parameter
    /// (parsed) as well as a `secureString` (taken as is). Other variables
    /// are unset.
    pub fn operator_value(&self, variable: &str) -> Option<String> {
        let name = variable.strip_prefix(azrelo_run::ENV_PREFIX)?;
        let tag: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(16)
            .collect();
        Some(format!("{{\"secret\":\"{}-{tag}-Aa1!\"}}", self.marker))
    }

    /// What must never be written: the marker and the source's secrets.
    pub fn needles(&self) -> Vec<&str> {
        let mut v = vec![self.marker.as_str()];
        v.extend(self.source.iter().map(String::as_str));
        v
    }
}

/// The first file under `dir` (recursively) holding a canary, as
/// `file: which`; `None` when every file is clean.
pub fn scan(dir: &Path, canaries: &Canaries) -> Option<String> {
    let needles = canaries.needles();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            for n in &needles {
                if contains(&bytes, n.as_bytes()) {
                    let which = if *n == canaries.marker {
                        "an operator-supplied secure value"
                    } else {
                        "a source secret"
                    };
                    return Some(format!("{}: {which}", p.display()));
                }
            }
        }
    }
    None
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_canary_in_any_file_is_found_and_a_clean_directory_passes() {
        let c = Canaries::new("microsoft.x/y", TargetKind::SameGeography);
        let v = c.operator_value("AZRELO_PARAM_adminPassword").unwrap();
        assert!(v.contains(c.marker()) && v.ends_with("-Aa1!\"}"), "{v}");
        assert!(
            serde_json::from_str::<serde_json::Value>(&v)
                .unwrap()
                .is_object()
        );
        assert_eq!(c.operator_value("HOME"), None);
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("plan.json"), "{}").unwrap();
        assert_eq!(scan(dir.path(), &c), None);
        std::fs::write(
            dir.path().join("templates/w01.parameters.json"),
            format!("{{\"p\": \"{v}\"}}"),
        )
        .unwrap();
        let found = scan(dir.path(), &c).unwrap();
        assert!(found.contains("w01.parameters.json") && found.contains("operator"));
        std::fs::write(
            dir.path().join("templates/w01.parameters.json"),
            b"x\0Azrelo-Test-P@ssw0rd-1\0",
        )
        .unwrap();
        assert!(scan(dir.path(), &c).unwrap().contains("source secret"));
    }
}
