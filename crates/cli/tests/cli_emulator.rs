//! `azrelo emulator serve` as a process: HTTPS by default with the generated
//! authority written where it says, azrelo's own ARM client trusting it
//! (`ca_cert`), a configured token, latency profiles through the client's
//! LRO polling, and the flag checks.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start the emulator on an ephemeral port and read its address from the
/// first line it prints.
fn start(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_azrelo"))
        .args(["emulator", "serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .env_remove("AZRELO_EMULATOR_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("https://") || w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, url }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn serves_https_with_a_trusted_generated_authority_and_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let s = start(&[
        "--cert-out",
        ca.to_str().unwrap(),
        "--token",
        "rehearsal-token",
        "--latency",
        "fast",
    ]);
    assert!(s.url.starts_with("https://127.0.0.1:"), "{}", s.url);
    let pem = std::fs::read_to_string(&ca).unwrap();
    assert!(pem.contains("BEGIN CERTIFICATE"));
    rt().block_on(async {
        let opts = azrelo_client::ClientOptions::emulator(&s.url, "rehearsal-token", Some(ca));
        let client = azrelo_client::ArmClient::new(opts).unwrap();
        let g = "/subscriptions/00000000-0000-0000-0000-0000000000c1/resourceGroups/cli";
        client
            .put(g, "2022-09-01", &json!({"location": "westeurope"}))
            .await
            .unwrap();
        // A fast-profile NSG: the client polls the operation to the end.
        let nsg = format!("{g}/providers/Microsoft.Network/networkSecurityGroups/n");
        let done = client
            .put(&nsg, "2023-09-01", &json!({"location": "westeurope"}))
            .await
            .unwrap();
        assert_eq!(done["properties"]["provisioningState"], "Succeeded");
        let got = client.get(&nsg, "2023-09-01").await.unwrap().unwrap();
        assert_eq!(got["name"], "n");
        // Another token is refused.
        let wrong = azrelo_client::ArmClient::new(azrelo_client::ClientOptions::emulator(
            &s.url,
            "other",
            Some(dir.path().join("ca.pem")),
        ))
        .unwrap();
        let e = wrong.get(g, "2022-09-01").await.unwrap_err();
        assert_eq!(e.status(), Some(401), "{e}");
    });
}

#[test]
fn plain_http_only_when_asked() {
    let s = start(&["--http", "--no-throttle"]);
    assert!(s.url.starts_with("http://127.0.0.1:"), "{}", s.url);
    rt().block_on(async {
        let client = azrelo_client::ArmClient::new(azrelo_client::ClientOptions::emulator(
            &s.url, "t", None,
        ))
        .unwrap();
        let g = "/subscriptions/00000000-0000-0000-0000-0000000000c1/resourceGroups/plain";
        client
            .put(g, "2022-09-01", &json!({"location": "westeurope"}))
            .await
            .unwrap();
        assert!(client.get(g, "2022-09-01").await.unwrap().is_some());
    });
}

#[test]
fn flag_checks() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_azrelo"))
            .args(["emulator", "serve"])
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&["--data", "/tmp/x", "--in-memory"]);
    assert_eq!(o.status.code(), Some(2), "mutually exclusive");
    let o = run(&["--addr", "0.0.0.0:0"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("loopback"));
    let o = run(&["--addr", "127.0.0.1:0", "--latency", "glacial"]);
    assert_eq!(o.status.code(), Some(3));
    let o = run(&["--addr", "127.0.0.1:0", "--faults", "drop=2"]);
    assert_eq!(o.status.code(), Some(3));
    let help = run(&["--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    for word in [
        "lro-fail",
        "drop=R",
        "delay=D",
        "--cert-out",
        "--token",
        "realistic",
        "REQUESTS_CA_BUNDLE",
        "--ca-cert",
        "test mode",
    ] {
        assert!(text.contains(word), "serve --help mentions {word}");
    }
}
