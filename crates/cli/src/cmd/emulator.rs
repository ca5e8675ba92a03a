//! `azrelo emulator`: the local ARM emulator.

use crate::exit::CliError;
use crate::output::OutputFormat;
use std::net::SocketAddr;

/// Run the local Azure Resource Manager emulator: a rehearsal cloud for
/// relocations. This build serves resource groups and generic resources with
/// ARM's error codes, long-running operation headers, referential integrity,
/// global names, identities, ARM's throttling and the deployments API (inline
/// templates), in memory. TLS, latency profiles, faults, persistence and
/// Resource Graph are not in this build yet.
///
/// Requests need `Authorization: Bearer <any token>` (test mode) and
/// `?api-version=`.
///
/// Examples:
///   azrelo emulator serve --http
///   curl -H 'Authorization: Bearer t' -X PUT -H 'content-type: application/json' \
///     -d '{"location":"swedencentral"}' \
///     'http://127.0.0.1:8080/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1?api-version=2022-09-01'
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(subcommand)]
    pub command: EmulatorCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum EmulatorCommand {
    /// Serve the emulator until interrupted (Ctrl-C).
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback unless --allow-remote).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Serve plain HTTP (required in this build: HTTPS is not implemented yet).
    #[arg(long)]
    pub http: bool,
    /// Allow a non-loopback address (the emulator has no real authentication).
    #[arg(long)]
    pub allow_remote: bool,
    /// Load existing resources from an estate (or any discover input) first:
    /// the source state of a rehearsal.
    #[arg(long, value_name = "ESTATE")]
    pub seed: Vec<std::path::PathBuf>,
    /// Do not throttle (ARM's limits: reads 250 burst / 25 per s, writes and
    /// deletes 200 / 10 per s, per subscription and principal).
    #[arg(long)]
    pub no_throttle: bool,
    /// Keep the state in DIR/emulator.db (SQLite, WAL) so it survives a
    /// restart; without it the state lives in memory only.
    #[arg(long, value_name = "DIR")]
    pub data: Option<std::path::PathBuf>,
    /// Inject faults, reproducibly: e.g. `429=0.05,500=0.02,503=0.01,seed=7`.
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
}

pub fn run(args: Args, _out: OutputFormat) -> Result<(), CliError> {
    let EmulatorCommand::Serve(a) = args.command;
    if !a.http {
        return Err(CliError::bad_input(
            "this build of the emulator serves plain HTTP only",
            "pass --http to serve http://ADDR (HTTPS with a generated certificate comes in a later build)",
        ));
    }
    if !a.addr.ip().is_loopback() && !a.allow_remote {
        return Err(CliError::bad_input(
            format!("{} is not a loopback address", a.addr),
            "the emulator accepts any bearer token; bind 127.0.0.1 or pass --allow-remote if you really mean it",
        ));
    }
    let emulator = match &a.data {
        Some(dir) => azrelo_emulator::Emulator::open(dir).map_err(|e| {
            CliError::bad_input(
                e,
                "pass a writable directory for --data (or leave it out to run in memory)",
            )
        })?,
        None => azrelo_emulator::Emulator::new(),
    }
    .with_throttling(!a.no_throttle);
    let emulator = match &a.faults {
        Some(spec) => {
            let spec = azrelo_emulator::faults::FaultSpec::parse(spec).map_err(|e| {
                CliError::bad_input(
                    format!("--faults {spec}: {e}"),
                    "use rates between 0 and 1, e.g. 429=0.05,500=0.02,seed=7",
                )
            })?;
            emulator.with_faults(spec)
        }
        None => emulator,
    };
    if !a.seed.is_empty() {
        let placement = crate::cmd::inputs::TemplatePlacement {
            subscription: "00000000-0000-0000-0000-000000000000".into(),
            resource_group: "azrelo-rg".into(),
            location: "westeurope".into(),
        };
        let estate = crate::cmd::inputs::load(&a.seed, &placement)?;
        let n = emulator.seed(estate.resources.iter().filter_map(|r| {
            let mut v = serde_json::to_value(r).ok()?;
            if let Some(m) = v.as_object_mut() {
                m.remove("provenance");
                m.remove("dependsOn");
            }
            Some((r.id.to_string(), v))
        }));
        eprintln!("seeded {n} resource(s)");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(a.addr)
            .await
            .map_err(|e| CliError::failure(format!("cannot listen on {}: {e}", a.addr)))?;
        eprintln!(
            "azrelo ARM emulator listening on http://{} ({}; Ctrl-C stops it)",
            a.addr,
            match &a.data {
                Some(d) => format!("state in {}", d.join("emulator.db").display()),
                None => "in memory".to_string(),
            }
        );
        let app = azrelo_emulator::router(emulator);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| CliError::failure(format!("emulator stopped: {e}")))
    })
}
