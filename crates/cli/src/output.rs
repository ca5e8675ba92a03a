//! Output formatting shared by all commands: tables for people, JSON for scripts.

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use std::io::Write;

/// `--output` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned tables and short summaries for people.
    Table,
    /// Pretty-printed JSON with stable field names, for scripts.
    Json,
}

/// A new table with azrelo's style and the given header.
pub fn table<I, S>(header: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<comfy_table::Cell>,
{
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header);
    t
}

/// Print a value as pretty JSON on stdout, with a trailing newline.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), crate::exit::CliError> {
    let mut out = std::io::stdout().lock();
    match serde_json::to_writer_pretty(&mut out, value) {
        Err(e) if e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe) => return Ok(()),
        Err(e) => {
            return Err(crate::exit::CliError::failure(format!(
                "cannot write JSON: {e}"
            )));
        }
        Ok(()) => {}
    }
    quiet_on_closed_pipe(writeln!(out))
}

/// Print a table (or any displayable text block) on stdout.
pub fn print_text(text: impl std::fmt::Display) -> Result<(), crate::exit::CliError> {
    let mut out = std::io::stdout().lock();
    quiet_on_closed_pipe(writeln!(out, "{text}"))
}

/// A reader that stopped reading (`azrelo … | head`) is not an error.
fn quiet_on_closed_pipe(r: std::io::Result<()>) -> Result<(), crate::exit::CliError> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

pub use azrelo_run::write_atomic;

/// A table whose long cells wrap to the terminal width (120 columns when
/// stdout is not a terminal, so piped output and snapshots are stable).
pub fn wrapped_table<I, S>(header: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<comfy_table::Cell>,
{
    let mut t = table(header);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    if !t.is_tty() {
        t.set_width(120);
    }
    t
}
