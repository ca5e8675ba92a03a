//! Build script of the `azrelo` binary: records the git commit it was built
//! from for `azrelo --version` (`AZRELO_COMMIT` overrides it, e.g. when
//! building from a source archive without `.git`).

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-env-changed=AZRELO_COMMIT");
    let (commit, date) = match std::env::var("AZRELO_COMMIT") {
        Ok(c) if !c.trim().is_empty() => (c.trim().to_string(), String::new()),
        _ => (
            git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into()),
            git(&["show", "-s", "--format=%cs", "HEAD"]).unwrap_or_default(),
        ),
    };
    println!("cargo:rustc-env=AZRELO_COMMIT={commit}");
    println!("cargo:rustc-env=AZRELO_COMMIT_DATE={date}");
    // Re-run when HEAD moves: HEAD itself (a branch switch), the branch's
    // ref (a commit) and packed-refs. Only existing files are named: cargo
    // re-runs a script on every build while a named file is missing.
    let watch = |p: &str| {
        if Path::new(p).exists() {
            println!("cargo:rerun-if-changed={p}");
        }
    };
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        watch(&format!("{dir}/HEAD"));
    }
    if let Some(common) = git(&["rev-parse", "--path-format=absolute", "--git-common-dir"]) {
        if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watch(&format!("{common}/{r}"));
        }
        watch(&format!("{common}/packed-refs"));
    }
}
