//! Load generator for the emulator, meant to run as a second process against
//! `azrelo emulator serve --http --no-throttle` on loopback:
//!
//! `cargo run --release -p azrelo-emulator --example load -- 127.0.0.1:8080 8 10 [CA_PEM]`
//! (address, connections, seconds; with the emulator's certificate
//! authority, HTTPS against `azrelo emulator serve`). Each connection keeps one HTTP/1.1
//! connection alive and alternates a PUT (create-or-update of a network
//! security group) with a GET of it; the figures printed are requests per
//! second and latency percentiles. `scripts/emulator-load.sh` runs the whole
//! benchmark and also reports the server's memory.

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A plain or TLS connection.
trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}

async fn connect(addr: &str, tls: &Option<tokio_rustls::TlsConnector>) -> Box<dyn Conn> {
    let s = TcpStream::connect(addr)
        .await
        .expect("connect to the emulator");
    s.set_nodelay(true).ok();
    match tls {
        None => Box::new(s),
        Some(c) => {
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
            Box::new(c.connect(name, s).await.expect("TLS handshake"))
        }
    }
}

fn tls_connector(ca_pem: &str) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(ca_pem).expect("read the CA PEM");
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(&pem) {
        roots
            .add(c.expect("PEM certificate"))
            .expect("trust anchor");
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-00000000load";

async fn request(
    stream: &mut BufReader<Box<dyn Conn>>,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<u16> {
    let req = format!(
        "{method} {path}?api-version=2023-09-01 HTTP/1.1\r\nHost: emulator\r\nAuthorization: Bearer load\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.get_mut().write_all(req.as_bytes()).await?;
    let mut status_line = String::new();
    stream.read_line(&mut status_line).await?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).await?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut buf = vec![0u8; len];
    stream.read_exact(&mut buf).await?;
    Ok(status)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let addr = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let conns: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(8);
    let secs: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(10);
    let tls = args.get(4).map(|p| tls_connector(p));
    // The resource group every worker writes into.
    {
        let mut s = BufReader::new(connect(&addr, &tls).await);
        let st = request(
            &mut s,
            "PUT",
            &format!("{SUB}/resourceGroups/load"),
            r#"{"location":"swedencentral"}"#,
        )
        .await
        .expect("create the resource group");
        assert!(st == 200 || st == 201, "resource group: HTTP {st}");
    }
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for w in 0..conns {
        let addr = addr.clone();
        let tls = tls.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = BufReader::new(connect(&addr, &tls).await);
            let mut lat = Vec::new();
            let mut errors = 0usize;
            let mut i = 0usize;
            while Instant::now() < deadline {
                let path = format!(
                    "{SUB}/resourceGroups/load/providers/Microsoft.Network/networkSecurityGroups/nsg-{w}-{}",
                    (i / 2) % 100
                );
                let t = Instant::now();
                let st = if i.is_multiple_of(2) {
                    request(&mut s, "PUT", &path, r#"{"location":"swedencentral","properties":{"securityRules":[]}}"#).await
                } else {
                    request(&mut s, "GET", &path, "").await
                };
                lat.push(t.elapsed());
                match st {
                    Ok(200) | Ok(201) => {}
                    other => {
                        if errors == 0 && w == 0 {
                            eprintln!("first error: {other:?} on request {i}");
                        }
                        errors += 1
                    }
                }
                i += 1;
            }
            (lat, errors)
        }));
    }
    let mut lat = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.expect("worker");
        lat.extend(l);
        errors += e;
    }
    lat.sort();
    let n = lat.len();
    let pct = |p: f64| lat[((n as f64 * p) as usize).min(n.saturating_sub(1))];
    println!(
        "{n} requests in {secs} s over {conns} {} connections: {:.0} req/s, p50 {:?}, p99 {:?}, max {:?}, errors {errors}",
        if tls.is_some() { "HTTPS" } else { "HTTP" },
        n as f64 / secs as f64,
        pct(0.50),
        pct(0.99),
        lat.last().copied().unwrap_or_default()
    );
}
