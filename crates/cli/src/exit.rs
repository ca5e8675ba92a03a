//! Errors as the user sees them, and the process exit codes they map to.

use std::fmt;

/// Documented exit codes (also listed in `azrelo --help` and the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// The command failed.
    Failure = 1,
    /// Usage error: flags that cannot go together (clap reports the rest).
    Usage = 2,
    /// Bad input: a file or value could not be read or understood.
    BadInput = 3,
    /// The command ran and found blockers.
    Blockers = 4,
    /// The run stopped at manual gates (`azrelo gate done`, then `azrelo resume`).
    Pending = 5,
}

/// An error that ends the command: a rendered diagnostic plus an exit code.
pub struct CliError {
    pub code: ExitCode,
    pub report: miette::Report,
}

impl CliError {
    pub fn new(code: ExitCode, report: impl Into<miette::Report>) -> Self {
        CliError {
            code,
            report: report.into(),
        }
    }

    /// Bad input (exit code 3) with a message and a hint on how to fix it.
    pub fn bad_input(message: impl fmt::Display, help: impl fmt::Display) -> Self {
        CliError::new(
            ExitCode::BadInput,
            miette::miette!(help = help.to_string(), "{message}"),
        )
    }

    /// A usage error (exit code 2) with a hint on how to fix it.
    pub fn usage(message: impl fmt::Display, help: impl fmt::Display) -> Self {
        CliError::new(
            ExitCode::Usage,
            miette::miette!(help = help.to_string(), "{message}"),
        )
    }

    /// A generic failure (exit code 1).
    pub fn failure(message: impl fmt::Display) -> Self {
        CliError::new(ExitCode::Failure, miette::miette!("{message}"))
    }

    /// Blockers found (exit code 4); the findings were already printed.
    pub fn blockers(message: impl fmt::Display) -> Self {
        CliError::new(ExitCode::Blockers, miette::miette!("{message}"))
    }

    /// Print the diagnostic to stderr and return the exit code.
    pub fn report(self) -> i32 {
        eprintln!("{:?}", self.report);
        self.code as i32
    }
}

impl fmt::Debug for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CliError({:?}): {}", self.code, self.report)
    }
}

impl From<azrelo_run::RunError> for CliError {
    fn from(e: azrelo_run::RunError) -> Self {
        use azrelo_run::ErrorKind;
        match (e.kind, e.help) {
            (ErrorKind::BadInput, Some(help)) => CliError::bad_input(e.message, help),
            (ErrorKind::BadInput, None) => {
                CliError::new(ExitCode::BadInput, miette::miette!("{}", e.message))
            }
            (ErrorKind::Blockers, _) => CliError::blockers(e.message),
            (ErrorKind::Failure, Some(help)) => CliError::new(
                ExitCode::Failure,
                miette::miette!(help = help, "{}", e.message),
            ),
            (ErrorKind::Failure, None) => CliError::failure(e.message),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(err: std::io::Error) -> Self {
        CliError::failure(err)
    }
}
