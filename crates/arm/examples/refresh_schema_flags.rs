//! Regenerate `crates/arm/data/schema-flags.json` (per resource type read-only,
//! write-only and sensitive property paths) from a bicep-types-az `generated/`
//! folder, with [`azrelo_arm::schema::extract`].
//!
//! ```text
//! cargo run -p azrelo-arm --example refresh_schema_flags [-- PATH/TO/bicep-types-az]
//! ```
//!
//! The default input is `../shared/data/bicep-types-az` relative to the
//! repository root (Azure/bicep-types-az `generated/` @ 1f896de2, 2026-08, MIT).
//! After a refresh from another commit, update the provenance in
//! `src/schema.rs` and `data/README.md`, and run `cargo test -p azrelo-arm`.

use azrelo_arm::schema::{SchemaFlags, extract};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn run(args: &[String]) -> Result<(), String> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let input = match args {
        [] => manifest.join("../../../shared/data/bicep-types-az"),
        [dir] => PathBuf::from(dir),
        _ => return Err("usage: refresh_schema_flags [BICEP_TYPES_AZ_GENERATED_DIR]".into()),
    };
    let text = extract(&input)?;
    // Read back before writing anything.
    let flags = SchemaFlags::from_json(&text)
        .map_err(|e| format!("the extracted file does not read back: {e}"))?;
    let output = manifest.join("data/schema-flags.json");
    write_atomically(&output, text.as_bytes())
        .map_err(|e| format!("writing {}: {e}", output.display()))?;
    let (mut ro, mut wo, mut s) = (0, 0, 0);
    for ty in flags.types() {
        let f = flags.get(ty).expect("listed type");
        ro += f.read_only.len();
        wo += f.write_only.len();
        s += f.sensitive.len();
    }
    println!(
        "{}: {} types, {} read-only / {} write-only / {} sensitive paths, {} bytes",
        output.display(),
        flags.len(),
        ro,
        wo,
        s,
        text.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
