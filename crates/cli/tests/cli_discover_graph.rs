//! `azrelo discover` and `azrelo graph` on the built-in example estate.

mod common;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop");
const HUB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../graph/tests/ground_truth");

use common::azrelo;

fn stdout(args: &[&str]) -> String {
    String::from_utf8(
        azrelo()
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap()
}

#[test]
fn discover_writes_an_estate_that_later_commands_accept() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("estate.json");
    let text = stdout(&[
        "discover",
        "--from",
        EXAMPLE,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        text.contains("68 resources, 16 other records, 0 warning(s)"),
        "{text}"
    );
    let estate: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(estate["schema"], "azrelo.estate/v1");
    assert_eq!(estate["roleAssignments"].as_array().unwrap().len(), 7);
    // The graph of the estate file equals the graph of the raw inputs.
    let from_raw = stdout(&["graph", EXAMPLE, "-o", "json"]);
    let from_estate = stdout(&["graph", out.to_str().unwrap(), "-o", "json"]);
    assert_eq!(from_raw, from_estate);
}

#[test]
fn graph_summary_table() {
    let text = stdout(&["graph", EXAMPLE]);
    insta::assert_snapshot!("graph_contoso_table", text);
}

#[test]
fn graph_renders_dot_and_mermaid() {
    let dot = stdout(&["graph", HUB, "--render", "dot"]);
    assert!(dot.starts_with("digraph estate {") && dot.trim_end().ends_with('}'));
    assert!(dot.contains("[label=\"vnet_peering\"]"));
    let mermaid = stdout(&["graph", HUB, "--render", "mermaid"]);
    insta::assert_snapshot!("graph_hub_spoke_mermaid", mermaid);
    // A diagram never silently beats -o or --query (the old --format did).
    for extra in [
        &["--render", "dot", "-o", "json"][..],
        &["--render", "dot", "--query", "edges"],
        &["--format", "dot"],
    ] {
        let out = azrelo()
            .args(["graph", HUB])
            .args(extra)
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let err = String::from_utf8(out).unwrap();
        assert!(err.contains("--render"), "{extra:?}: {err}");
    }
}

#[test]
fn bad_inputs_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("x.json");
    std::fs::write(&bad, "{\"hello\": 1}").unwrap();
    let a = azrelo()
        .args(["graph", bad.to_str().unwrap()])
        .assert()
        .code(3);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("not a recognised input"), "{err}");
    azrelo().args(["discover"]).assert().code(2);
}

const QUICKSTARTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/quickstarts"
);

/// Every quickstart main template (`azuredeploy.json`, `main.json`), sorted,
/// relative to the corpus root.
fn quickstart_mains() -> Vec<String> {
    fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("the quickstart corpus at {}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, root, out);
            } else if p
                .file_name()
                .is_some_and(|n| n == "azuredeploy.json" || n == "main.json")
            {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let root = std::path::Path::new(QUICKSTARTS);
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// Issue #18: `azrelo graph` over all 838 quickstart main templates with
/// their parameters files (found beside them) runs as one process; the
/// inputs it cannot read are reported one by one (exactly those listed,
/// with why, in tests/expectations/graph-corpus.txt), the rest is graphed,
/// and the exit code says some inputs were unreadable.
#[test]
fn graph_of_the_whole_quickstart_corpus_in_one_process() {
    let files = quickstart_mains();
    assert_eq!(files.len(), 838, "the corpus changed");
    let a = azrelo()
        .current_dir(QUICKSTARTS)
        .args([
            "graph",
            "--template-resource-group",
            "{dir}",
            "-q",
            "-o",
            "json",
        ])
        .args(&files)
        .assert()
        .code(3);
    let out = a.get_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failed: std::collections::BTreeSet<String> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .filter_map(|l| l.split_once(": ").map(|(f, _)| f.to_string()))
        .collect();
    let expected: std::collections::BTreeSet<String> = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/expectations/graph-corpus.txt"
    ))
    .unwrap()
    .lines()
    .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    .filter_map(|l| l.split('\t').next().map(str::to_string))
    .collect();
    assert_eq!(
        failed.difference(&expected).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "inputs that newly fail"
    );
    assert_eq!(
        expected.difference(&failed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "inputs listed as failing that now pass (remove them from the list)"
    );
    assert!(
        stderr.contains(&format!(
            "{} of 838 input(s) could not be read",
            expected.len()
        )),
        "{stderr}"
    );
    let g: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let nodes = g["nodes"].as_array().unwrap();
    // One resource group per quickstart: the graph holds them all.
    let groups: std::collections::BTreeSet<&str> = nodes
        .iter()
        .filter_map(|n| n["id"].as_str())
        .filter_map(|id| id.split('/').nth(4))
        .collect();
    assert!(
        groups.len() > 700,
        "one group per quickstart: {}",
        groups.len()
    );
    assert!(g["edges"].as_array().unwrap().len() > nodes.len());
}

/// A template beside its parameters file graphs with the file's values;
/// without one, missing values stay symbolic with a warning; `--strict`
/// stops at the first unreadable input.
#[test]
fn graph_inputs_as_users_have_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let template = serde_json::json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"name": {"type": "string"}},
        "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01",
            "name": "[parameters('name')]", "location": "westeurope", "kind": "StorageV2",
            "sku": {"name": "Standard_LRS"}}]
    });
    std::fs::write(d.join("azuredeploy.json"), template.to_string()).unwrap();
    std::fs::write(
        d.join("azuredeploy.parameters.json"),
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {"name": {"value": "stfromsibling"}}}"#,
    )
    .unwrap();
    std::fs::write(d.join("metadata.json"), r#"{"itemDisplayName": "x"}"#).unwrap();
    // The directory: the sibling file is used, metadata.json skipped with a warning.
    let a = azrelo()
        .args(["graph", d.to_str().unwrap(), "-o", "json"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(text.contains("stfromsibling"), "{text}");
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("metadata.json"));
    // No parameters file: symbolic, with a warning naming the parameter.
    let lone = d.join("lone");
    std::fs::create_dir(&lone).unwrap();
    std::fs::write(lone.join("t.json"), template.to_string()).unwrap();
    let a = azrelo()
        .args(["graph", lone.join("t.json").to_str().unwrap()])
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("name") && err.contains("kept symbolic"),
        "{err}"
    );
    // One bad file among good ones: reported, the rest graphed, exit 3.
    let bad = d.join("bad.json");
    std::fs::write(&bad, "[1, 2, 3]").unwrap();
    let a = azrelo()
        .args([
            "graph",
            bad.to_str().unwrap(),
            d.join("azuredeploy.json").to_str().unwrap(),
            "-o",
            "json",
        ])
        .assert()
        .code(3);
    let out = a.get_output();
    assert!(String::from_utf8_lossy(&out.stdout).contains("stfromsibling"));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.contains("bad.json") && err.contains("1 of 2 input(s)"),
        "{err}"
    );
    // --strict: stops at the first, prints no graph.
    let a = azrelo()
        .args([
            "graph",
            "--strict",
            bad.to_str().unwrap(),
            d.join("azuredeploy.json").to_str().unwrap(),
        ])
        .assert()
        .code(3);
    assert!(a.get_output().stdout.is_empty());
    // An endless input fails at once.
    #[cfg(target_os = "linux")]
    azrelo()
        .args(["plan", "/dev/zero", "-t", "northeurope"])
        .assert()
        .code(3);
}

/// `--template-uri` downloads a template and the parameters file beside it.
#[test]
fn graph_and_expand_a_template_by_uri() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let template = r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0", "parameters": {"name": {"type": "string"}},
        "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01",
            "name": "[parameters('name')]", "location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}]}"#;
    let params = r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
        "parameters": {"name": {"value": "stbyuri"}}}"#;
    listener.set_nonblocking(true).unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    let server = std::thread::spawn(move || {
        // Bounded in time: until the commands are done, 60 s at most.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !stop.load(std::sync::atomic::Ordering::Relaxed)
            && std::time::Instant::now() < deadline
        {
            let Ok((mut s, _)) = listener.accept() else {
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            };
            s.set_nonblocking(false).unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            let body = if req.starts_with("GET /t/azuredeploy.json") {
                Some(template)
            } else if req.starts_with("GET /t/azuredeploy.parameters.json") {
                Some(params)
            } else {
                None
            };
            let resp = match body {
                Some(b) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
                    b.len()
                ),
                None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_string(),
            };
            let _ = s.write_all(resp.as_bytes());
        }
    });
    let uri = format!("http://{addr}/t/azuredeploy.json");
    let text = stdout(&["graph", "--template-uri", &uri, "-o", "json"]);
    assert!(text.contains("stbyuri"), "{text}");
    let expanded = stdout(&[
        "expand",
        "--template-uri",
        &uri,
        "--param",
        "name=stexpanded",
        "-o",
        "json",
    ]);
    assert!(expanded.contains("stexpanded"), "{expanded}");
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    server.join().unwrap();
}

/// Issue #18: a reader that stops early (`| head`) ends the command
/// quietly with exit 0; warnings carry no ANSI codes into a pipe.
#[test]
fn a_closed_pipe_ends_quietly_and_pipes_get_no_colour() {
    use std::io::Read;
    use std::process::{Command as Std, Stdio};
    let bin = assert_cmd::cargo::cargo_bin("azrelo");
    for args in [
        vec!["completions", "bash"],
        vec!["graph", EXAMPLE, "-o", "json"],
        vec!["regions"],
    ] {
        let mut child = Std::new(&bin)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then close the pipe, as `head -c1` does.
        let mut stdout = child.stdout.take().unwrap();
        let mut one = [0u8; 1];
        stdout.read_exact(&mut one).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.json");
    std::fs::write(
        &t,
        r#"{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", "parameters": {"n": {"type": "string"}}, "resources": []}"#,
    )
    .unwrap();
    let a = azrelo()
        .args(["graph", t.to_str().unwrap()])
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("kept symbolic"), "{err}");
    assert!(!err.contains('\u{1b}'), "no ANSI escapes: {err:?}");
}
