//! `azrelo emulator`: the local ARM emulator.

use crate::exit::CliError;
use crate::output::Output;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The local ARM emulator.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: EmulatorCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum EmulatorCommand {
    /// Serve the local Azure Resource Manager emulator until interrupted (Ctrl-C):
    /// a rehearsal cloud for relocations.
    ///
    /// It serves resource groups and resources at any id with ARM's
    /// error codes, long-running operations (with latency profiles), referential
    /// integrity, global names, identities, the disk data path (disks, snapshots,
    /// cross-region CopyStart), ARM's throttling, the deployments API, Resource
    /// Graph, fault injection and the endpoints the Azure CLI needs (cloud
    /// metadata, subscriptions, a managed-identity token endpoint).
    ///
    /// HTTPS by default: a certificate authority and a server certificate for
    /// localhost/127.0.0.1/::1 are generated at start (with --data the authority
    /// is kept in DIR, emulator-ca.pem and emulator-ca.key, and reused at the
    /// next start); the authority's PEM is written to --cert-out (default:
    /// DIR/emulator-ca.pem with --data, else a file in the temporary directory)
    /// and its path printed. Trust it with
    /// `REQUESTS_CA_BUNDLE=PATH` (Azure CLI) or `--ca-cert PATH` (azrelo).
    ///
    /// Requests need `Authorization: Bearer <token>`: with --token (or
    /// AZRELO_EMULATOR_TOKEN) only that token; without it any token (test mode)
    /// — and `?api-version=`.
    ///
    /// Latency profiles (--latency): off (everything completes at once), realistic
    /// (a VM ~90 s, an NSG ~5 s, a snapshot copy ~10 s per GiB), fast (realistic
    /// ×0.05).
    ///
    /// Faults (--faults, comma-separated KEY=VALUE, seeded and reproducible):
    ///   429=R 500=R 503=R  share R of requests answered with that status
    ///   drop=R             share R of connections closed without a response
    ///   slow=R delay=D     share R answered after D (2s, 500ms; default 2s)
    ///   lro-fail=R         share R of accepted PUTs whose operation ends Failed
    ///   seed=N             the generator's seed (default 1)
    ///
    /// Examples:
    ///   azrelo emulator serve
    ///   curl --cacert "$CA" -H 'Authorization: Bearer t' -X PUT -H 'content-type: application/json' \
    ///     -d '{"location":"swedencentral"}' \
    ///     'https://127.0.0.1:8443/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1?api-version=2022-09-01'
    ///   azrelo emulator serve --http --latency fast --faults 429=0.05,drop=0.01,seed=7
    #[command(verbatim_doc_comment)]
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback unless --allow-remote); default
    /// 127.0.0.1:8443, or 127.0.0.1:8080 with --http.
    #[arg(long)]
    pub addr: Option<SocketAddr>,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    pub http: bool,
    /// Allow a non-loopback address.
    #[arg(long)]
    pub allow_remote: bool,
    /// Where to write the generated certificate authority (PEM) that clients
    /// trust.
    #[arg(long, value_name = "PATH")]
    pub cert_out: Option<PathBuf>,
    /// Accept only this bearer token (without it: any token, test mode).
    #[arg(long, env = "AZRELO_EMULATOR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Load existing resources from an estate (or any discover input) first:
    /// the source state of a rehearsal.
    #[arg(long, value_name = "ESTATE")]
    pub seed: Vec<PathBuf>,
    /// Do not throttle (ARM's limits: reads 250 burst / 25 per s, writes and
    /// deletes 200 / 10 per s, per subscription and principal).
    #[arg(long)]
    pub no_throttle: bool,
    /// Keep the state in DIR/emulator.db (SQLite, WAL) so it survives a
    /// restart.
    #[arg(long, value_name = "DIR", conflicts_with = "in_memory")]
    pub data: Option<PathBuf>,
    /// Keep the state in memory only (the default).
    #[arg(long)]
    pub in_memory: bool,
    /// How long operations take: off, realistic or fast.
    #[arg(long, value_name = "PROFILE", default_value = "off")]
    pub latency: String,
    /// Inject faults, seeded and reproducible (comma-separated KEY=VALUE):
    /// 429=R, 500=R, 503=R (that status for a share R of requests), drop=R
    /// (close the connection without a response), slow=R with delay=D (answer
    /// after D: 2s, 500ms), lro-fail=R (accepted PUTs whose operation ends
    /// Failed), seed=N. E.g. `429=0.05,500=0.02,drop=0.01,slow=0.1,delay=2s,lro-fail=0.05,seed=7`.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
}

pub fn run(args: Args, _out: &Output) -> Result<(), CliError> {
    let EmulatorCommand::Serve(a) = args.command;
    let addr = a.addr.unwrap_or_else(|| {
        if a.http {
            SocketAddr::from(([127, 0, 0, 1], 8080))
        } else {
            SocketAddr::from(([127, 0, 0, 1], 8443))
        }
    });
    if !addr.ip().is_loopback() && !a.allow_remote {
        return Err(CliError::bad_input(
            format!("{addr} is not a loopback address"),
            "the emulator is a rehearsal cloud; bind 127.0.0.1 or pass --allow-remote if you really mean it",
        ));
    }
    if a.token.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(CliError::bad_input(
            "--token is empty",
            "pass a non-empty token, or leave --token out for test mode (any token)",
        ));
    }
    let latency = azrelo_emulator::latency::LatencyProfile::parse(&a.latency).map_err(|e| {
        CliError::bad_input(
            format!("--latency {}: {e}", a.latency),
            "use off, realistic or fast",
        )
    })?;
    let emulator = match &a.data {
        Some(dir) => azrelo_emulator::Emulator::open(dir).map_err(|e| {
            CliError::bad_input(
                e,
                "pass a writable directory for --data (or leave it out to run in memory)",
            )
        })?,
        None => azrelo_emulator::Emulator::new(),
    }
    .with_throttling(!a.no_throttle)
    .with_latency(latency)
    .with_token(a.token.clone());
    let emulator = match &a.faults {
        Some(spec) => {
            let spec = azrelo_emulator::faults::FaultSpec::parse(spec).map_err(|e| {
                CliError::bad_input(
                    format!("--faults {spec}: {e}"),
                    "use rates between 0 and 1, e.g. 429=0.05,500=0.02,drop=0.01,seed=7 (see --help)",
                )
            })?;
            emulator.with_faults(spec)
        }
        None => emulator,
    };
    if !a.seed.is_empty() {
        let placement = crate::cmd::inputs::TemplatePlacement::default();
        let estate = crate::cmd::inputs::load(&a.seed, &placement)?;
        let (n, m) = azrelo_run::seed_emulator(&emulator, &estate);
        eprintln!(
            "seeded {n} resource(s) and {m} role assignment(s), diagnostic setting(s), lock(s) and exemption(s)"
        );
    }
    // HTTPS: a certificate for this run, its authority written for clients.
    let tls = if a.http {
        None
    } else {
        let extra: Vec<String> = (!addr.ip().is_loopback() && !addr.ip().is_unspecified())
            .then(|| addr.ip().to_string())
            .into_iter()
            .collect();
        // With --data the authority is kept in DIR and reused, so clients
        // that trust it survive a restart; in memory it is new every start.
        let cert = match &a.data {
            Some(dir) => azrelo_emulator::Certificate::load_or_generate(dir, &extra)
                .map_err(|e| CliError::bad_input(e, "check the --data directory"))?,
            None => azrelo_emulator::Certificate::generate(&extra).map_err(CliError::failure)?,
        };
        let path = match (&a.cert_out, &a.data) {
            (Some(p), _) => p.clone(),
            (None, Some(dir)) => dir.join("emulator-ca.pem"),
            (None, None) => {
                std::env::temp_dir().join(format!("azrelo-emulator-{}-ca.pem", addr.port()))
            }
        };
        cert.write_ca_pem(&path)
            .map_err(|e| CliError::bad_input(e, "pass a writable path with --cert-out PATH"))?;
        let config = cert.server_config().map_err(CliError::failure)?;
        Some((config, path))
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| CliError::failure(format!("cannot listen on {addr}: {e}")))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let bound = listener.local_addr().unwrap_or(addr);
        eprintln!(
            "azrelo ARM emulator listening on {scheme}://{bound} ({}; latency {}; {}; Ctrl-C stops it)",
            match &a.data {
                Some(d) => format!("state in {}", d.join("emulator.db").display()),
                None => "in memory".to_string(),
            },
            a.latency.to_ascii_lowercase(),
            if a.token.is_some() {
                "bearer token required"
            } else {
                "test mode: any bearer token"
            }
        );
        if let Some((_, path)) = &tls {
            eprintln!("certificate authority: {}", path.display());
            eprintln!(
                "  trust it: REQUESTS_CA_BUNDLE={p} (Azure CLI), --ca-cert {p} (azrelo), curl --cacert {p}",
                p = path.display()
            );
        }
        let app = azrelo_emulator::router(emulator);
        azrelo_emulator::serve(listener, app, tls.map(|(c, _)| c), async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| CliError::failure(format!("emulator stopped: {e}")))
    })
}
