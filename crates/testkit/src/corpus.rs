//! The shared corpora (`../shared/corpus` beside the repository: the
//! worktrees live at `/work/wt-NAME`, siblings of `/work/shared`) and the
//! expectation files the corpus tests compare their failures with.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The repository's example estate, `examples/contoso-shop`.
pub fn example_dir() -> PathBuf {
    repo_root().join("examples/contoso-shop")
}

/// The example estate's input files (every `*.json` of
/// [`example_dir`]), sorted: what `azrelo discover examples/contoso-shop`
/// reads.
pub fn example_files() -> Vec<PathBuf> {
    let dir = example_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// `../shared/corpus/{sub}` from the repository root. Panics, saying
/// where it looked and why, when the corpus is not there.
pub fn corpus(sub: &str) -> PathBuf {
    let root = repo_root().join("../shared/corpus");
    let p = root.join(sub);
    assert!(
        p.exists(),
        "the shared corpus is not at {}: the tests read it in place from ../shared/corpus beside \
         the repository (a worktree at /work/wt-NAME next to /work/shared)",
        p.display()
    );
    p
}

/// The files under `dir` (recursively, sorted) whose name is one of `names`.
pub fn files_named(dir: &Path, names: &[&str], out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_named(&p, names, out);
        } else if p
            .file_name()
            .is_some_and(|n| names.contains(&n.to_string_lossy().as_ref()))
        {
            out.push(p);
        }
    }
}

/// Every quickstart directory (the ones with an `azuredeploy.json`), sorted.
pub fn quickstart_dirs() -> Vec<PathBuf> {
    let qs = corpus("quickstarts");
    let mut dirs = Vec::new();
    let read = |d: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(d)
            .unwrap_or_else(|e| panic!("the quickstart corpus at {}: {e}", d.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect()
    };
    for ns in read(&qs) {
        if !ns.is_dir() {
            continue;
        }
        for d in read(&ns) {
            if d.join("azuredeploy.json").exists() {
                dirs.push(d);
            }
        }
    }
    dirs.sort();
    dirs
}

/// An expectations file (`path<TAB>reason` lines, `#` comments allowed):
/// the inputs a corpus test expects to fail, with why. A missing file
/// expects nothing. Callers name their own file, e.g.
/// `expectations(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expectations/avm.txt"))`.
pub fn expectations(path: &Path) -> IndexMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap_or((l, ""));
            (a.trim().to_string(), b.trim().to_string())
        })
        .collect()
}

/// Compare failures with an expectations file: every failure must be listed
/// (with its reason) and every listed input must still fail. Returns a
/// message describing the differences, empty when they agree.
pub fn expectation_mismatch(
    failures: &[(String, String)],
    expected: &IndexMap<String, String>,
) -> String {
    let unexpected: Vec<String> = failures
        .iter()
        .filter(|(f, _)| !expected.contains_key(f))
        .map(|(f, e)| format!("{f}\t{e}"))
        .collect();
    let now_passing: Vec<&String> = expected
        .keys()
        .filter(|k| !failures.iter().any(|(f, _)| f == *k))
        .collect();
    if unexpected.is_empty() && now_passing.is_empty() {
        return String::new();
    }
    format!(
        "unexpected failures ({}):\n{}\n\nlisted but passing now ({}): {:?}",
        unexpected.len(),
        unexpected.join("\n"),
        now_passing.len(),
        now_passing
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "the shared corpus is not at")]
    fn a_missing_corpus_says_where_it_looked() {
        corpus("no-such-corpus");
    }

    #[test]
    fn mismatches_name_unexpected_failures_and_listed_passes() {
        let expected: IndexMap<String, String> =
            [("a".to_string(), "why".to_string())].into_iter().collect();
        assert!(expectation_mismatch(&[("a".into(), "why".into())], &expected).is_empty());
        let m = expectation_mismatch(&[("b".into(), "new".into())], &expected);
        assert!(m.contains("b\tnew") && m.contains("\"a\""), "{m}");
    }
}
