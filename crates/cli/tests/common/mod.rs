//! What every CLI test starts from: the `azrelo` binary in a hermetic
//! environment.

use assert_cmd::Command;

/// The variables through which the caller's environment would reach a run
/// (credentials, an ARM endpoint, a CA, crash injection, log and colour
/// settings); a test that wants one sets it itself.
const AMBIENT: [&str; 10] = [
    "AZRELO_TOKEN",
    "AZRELO_AUTH",
    "AZRELO_ARM_ENDPOINT",
    "AZRELO_CA_CERT",
    "AZRELO_CRASH_AFTER",
    "AZURE_CLIENT_SECRET",
    "AZURE_SUBSCRIPTION_ID",
    "RUST_LOG",
    "CLICOLOR_FORCE",
    "NO_COLOR",
];

/// The `azrelo` binary with none of [`AMBIENT`] set.
pub fn azrelo() -> Command {
    let mut c = Command::cargo_bin("azrelo").unwrap();
    for v in AMBIENT {
        c.env_remove(v);
    }
    c
}
