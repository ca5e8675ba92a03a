//! Regenerate `crates/arm/data/builtin-roles.tsv` (Azure's built-in role
//! definitions: GUID → name, description) from role definitions as ARM or
//! the Azure CLI returns them.
//!
//! ```text
//! az role definition list -o json > /tmp/roles.json     # or a directory of one JSON file per role
//! cargo run -p azrelo-arm --example refresh_builtin_roles -- /tmp/roles.json AS_OF "SOURCE"
//! ```
//!
//! * the input is a file with a JSON array (`az role definition list`), an
//!   ARM list body (`{"value": [...]}`) or a directory of one definition per
//!   `.json` file (the layout of the easimon/azure-builtin-roles archive);
//! * `AS_OF` — `YYYY-MM-DD`, the date of the definitions;
//! * `SOURCE` — the provenance line (where the definitions came from).
//!
//! Only `roleType: BuiltInRole` definitions are kept. Then update the row in
//! `crates/arm/data/README.md` and run `cargo test -p azrelo-arm`.

use azrelo_arm::roles::{parse_table, table_rows_from_definitions};
use serde_json::Value;
use std::path::Path;
use std::process::ExitCode;

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

fn run(args: &[String]) -> Result<(), String> {
    let [input, as_of, source] = args else {
        return Err("usage: refresh_builtin_roles INPUT(.json|DIR) AS_OF \"SOURCE\"".into());
    };
    let input = Path::new(input);
    let body = if input.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(input)
            .map_err(|e| format!("{}: {e}", input.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        Value::Array(
            files
                .iter()
                .map(|p| read_json(p))
                .collect::<Result<_, _>>()?,
        )
    } else {
        read_json(input)?
    };
    let rows = table_rows_from_definitions(&body)?;
    let text = format!(
        "# Azure built-in role definitions (Microsoft.Authorization/roleDefinitions with roleType BuiltInRole)\n\
         # columns: role definition GUID (lower case) <TAB> roleName <TAB> description (whitespace collapsed)\n\
         # source: {source}, as of {as_of}\n\
         # regenerate: see README.md in this directory\n{rows}"
    );
    let n = parse_table(&text).map_err(|e| e.to_string())?.len();
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/builtin-roles.tsv");
    let tmp = out.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &out).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("wrote {} ({n} built-in roles)", out.display());
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
