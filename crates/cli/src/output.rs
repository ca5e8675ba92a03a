//! Output: the one place a command's result is printed.
//!
//! Every command hands [`Output::print`] its result as a serializable value
//! — what `-o json` prints — and a closure that renders its table for
//! people. The global flags decide, as the Azure CLI's do (knack
//! `output.py` and `query.py`):
//!
//! * `--query EXPR` (JMESPath) is applied to the JSON first;
//! * `-o json|jsonc|yaml|yamlc|tsv` format the (queried) JSON; `jsonc` and
//!   `yamlc` are coloured only when stdout is a terminal and `NO_COLOR` is
//!   unset (`CLICOLOR_FORCE=1` forces colour, e.g. into `less -R`), else
//!   they are `json` and `yaml`, as az falls back when it cannot colour;
//! * `-o table` prints the command's own table, or — with `--query`, whose
//!   result the command's table cannot show — a table built from the
//!   result: one row per element (or one for a single object), a column per
//!   key with a scalar value (`id`, `type` and `etag` left out, headers
//!   capitalised), `Column1…` for lists, `Result` for scalars (knack
//!   `_TableOutput`);
//! * `-o none` prints nothing (errors still go to stderr, exit codes stay).
//!
//! Where azrelo differs from az: the default is `table` (az's is `json`),
//! and JSON/YAML keys keep azrelo's documented field order (az sorts them).

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use serde_json::Value;
use std::io::{IsTerminal, Write};

use crate::exit::CliError;

mod color_json;
pub mod query;
mod tsv;
mod yaml;

/// `--output` values: the Azure CLI's list (`az --help`: json, jsonc, none,
/// table, tsv, yaml, yamlc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Pretty-printed JSON with stable field names, for scripts.
    Json,
    /// JSON coloured for a terminal (plain JSON when stdout is not one).
    Jsonc,
    /// Aligned tables and short summaries for people (the default).
    Table,
    /// Tab-separated values without headers, as az writes them.
    Tsv,
    /// YAML (block style).
    Yaml,
    /// YAML with coloured keys for a terminal (plain YAML when stdout is not one).
    Yamlc,
    /// Nothing on stdout: errors and warnings only.
    None,
}

/// How this invocation prints results (from `-o` and `--query`).
#[derive(Debug, Clone)]
pub struct Output {
    pub format: OutputFormat,
    query: Option<String>,
    color: bool,
    /// `-o` or `--query` was given (not the default table).
    chosen: bool,
}

/// Whether stdout may get colour: a terminal and `NO_COLOR` unset or empty
/// (<https://no-color.org>), or `CLICOLOR_FORCE` set to anything but `0`
/// (<https://bixense.com/clicolors/>); `NO_COLOR` wins.
fn stdout_color() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    std::io::stdout().is_terminal()
        || std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0")
}

impl Output {
    /// `format` is `-o` (`None`: the default, table); `query` was
    /// validated by [`query::parse`].
    pub fn new(format: Option<OutputFormat>, query: Option<String>) -> Output {
        Output {
            chosen: format.is_some() || query.is_some(),
            format: format.unwrap_or(OutputFormat::Table),
            query,
            color: stdout_color(),
        }
    }

    /// Whether `-o` or `--query` was given: a command's own rendering
    /// (`graph --render dot`) must not silently win over them.
    pub fn chosen(&self) -> bool {
        self.chosen
    }

    /// The command's own table goes to stdout (`-o table` without
    /// `--query`); otherwise stdout is for a program or for nothing, and
    /// progress bars and status lines stay off.
    pub fn is_human(&self) -> bool {
        self.format == OutputFormat::Table && self.query.is_none()
    }

    /// Print a command's result: `value` as the format says, or `table()`
    /// for people.
    pub fn print<T, F>(&self, value: &T, table: F) -> Result<(), CliError>
    where
        T: Serialize + ?Sized,
        F: FnOnce() -> String,
    {
        if self.format == OutputFormat::None {
            return Ok(());
        }
        if self.is_human() {
            return print_text(table().trim_end());
        }
        if self.format == OutputFormat::Json && self.query.is_none() {
            // No copy of a large result (an estate, a plan) on the way.
            return print_json(value);
        }
        let json = serde_json::to_value(value)
            .map_err(|e| CliError::failure(format!("cannot serialise the result: {e}")))?;
        let order = if self.format == OutputFormat::Tsv {
            query::Order::Tsv
        } else {
            query::Order::Source
        };
        let result = match &self.query {
            Some(q) => query::search(q, &json, order).map_err(|e| {
                CliError::bad_input(
                    format!("--query failed: {e}"),
                    "check the expression against the command's JSON (`-o json` shows it); https://jmespath.org/specification.html",
                )
            })?,
            None => json,
        };
        match self.format {
            OutputFormat::Json => print_json(&result),
            OutputFormat::Jsonc if !self.color => print_json(&result),
            OutputFormat::Jsonc => {
                let mut buf = Vec::new();
                let mut ser =
                    serde_json::Serializer::with_formatter(&mut buf, color_json::Colored::new());
                result
                    .serialize(&mut ser)
                    .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
                buf.push(b'\n');
                write_stdout(&buf)
            }
            OutputFormat::Yaml | OutputFormat::Yamlc => {
                let color = self.format == OutputFormat::Yamlc && self.color;
                write_stdout(yaml::to_string(&result, color).as_bytes())
            }
            // Without a query the command's objects are plain dicts to az:
            // their values in key order.
            OutputFormat::Tsv => write_stdout(tsv::write(&result, self.query.is_none()).as_bytes()),
            OutputFormat::Table => print_text(auto_table(&result)?.trim_end()),
            OutputFormat::None => Ok(()),
        }
    }
}

/// The table az prints for a query's result (knack `_TableOutput`).
fn auto_table(v: &Value) -> Result<String, CliError> {
    fn cell(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            // Python's str() of a boolean, as tabulate prints it.
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut columns: Vec<String> = Vec::new();
    let mut rows: Vec<Vec<(String, String)>> = Vec::new();
    for item in items {
        let row: Vec<(String, String)> = match item {
            Value::Object(m) => m
                .iter()
                .filter(|(k, x)| {
                    !matches!(k.as_str(), "id" | "type" | "etag")
                        && !matches!(x, Value::Null | Value::Array(_) | Value::Object(_))
                })
                .map(|(k, x)| {
                    let mut c = k.chars();
                    let header = c
                        .next()
                        .map(|f| f.to_uppercase().chain(c).collect())
                        .unwrap_or_default();
                    (header, cell(x))
                })
                .collect(),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, x)| (format!("Column{}", i + 1), cell(x)))
                .collect(),
            scalar => vec![("Result".to_string(), cell(scalar))],
        };
        for (h, _) in &row {
            if !columns.contains(h) {
                columns.push(h.clone());
            }
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Ok(String::new());
    }
    if columns.is_empty() {
        return Err(CliError::failure(
            "table output is unavailable for this result: it has no scalar values to show; use --query to pick some (e.g. \"[].{name: name, state: state}\"), or -o json",
        ));
    }
    let mut t = table(columns.iter().map(String::as_str));
    for row in rows {
        t.add_row(columns.iter().map(|c| {
            row.iter()
                .find(|(h, _)| h == c)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        }));
    }
    Ok(t.to_string())
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
fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match serde_json::to_writer_pretty(&mut out, value) {
        Err(e) if e.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe) => return Ok(()),
        Err(e) => {
            return Err(CliError::failure(format!("cannot write JSON: {e}")));
        }
        Ok(()) => {}
    }
    quiet_on_closed_pipe(writeln!(out))
}

fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    quiet_on_closed_pipe(out.write_all(bytes).and_then(|()| out.flush()))
}

/// Print text on stdout whatever `-o` says: what is not a result (a shell
/// completion script, a Graphviz or Mermaid diagram asked for with
/// `--render`).
pub fn print_text(text: impl std::fmt::Display) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    quiet_on_closed_pipe(writeln!(out, "{text}"))
}

/// A reader that stopped reading (`azrelo … | head`) is not an error.
fn quiet_on_closed_pipe(r: std::io::Result<()>) -> Result<(), CliError> {
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

#[cfg(test)]
mod tests {
    use super::auto_table;
    use serde_json::json;

    #[test]
    fn a_query_result_table_has_a_column_per_scalar_key() {
        let t = auto_table(&json!([
            {"name": "a", "id": "/x", "zones": ["1"], "isDefault": true, "state": null},
            {"name": "b", "location": "westeurope"}
        ]))
        .unwrap();
        let header = t.lines().nth(1).unwrap();
        assert!(
            header.contains("Name") && header.contains("IsDefault") && header.contains("Location"),
            "{t}"
        );
        assert!(
            !t.contains("/x") && !t.contains("Zones") && !t.contains("State"),
            "{t}"
        );
        assert!(t.contains("True"), "{t}");
        let t = auto_table(&json!(["a", "b"])).unwrap();
        assert!(t.contains("Result"), "{t}");
        let t = auto_table(&json!([["a", 1]])).unwrap();
        assert!(t.contains("Column1") && t.contains("Column2"), "{t}");
        assert!(auto_table(&json!([{"tags": {}}])).is_err());
        assert_eq!(auto_table(&json!([])).unwrap(), "");
    }
}
