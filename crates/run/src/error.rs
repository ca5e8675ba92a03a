//! Errors of a run, classified the way a caller reacts to them (the CLI maps
//! each kind to an exit code).

use std::fmt;

/// How a caller should react to a [`RunError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Something failed (Azure, the emulator, the disk); the message says why.
    Failure,
    /// An input (file, directory, value) is missing or not understood.
    BadInput,
    /// The plan has blockers: nothing was moved.
    Blockers,
}

/// An error with what went wrong and, where there is one, how to fix it.
#[derive(Debug, Clone)]
pub struct RunError {
    pub kind: ErrorKind,
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl RunError {
    pub fn failure(message: impl fmt::Display) -> RunError {
        RunError {
            kind: ErrorKind::Failure,
            message: message.to_string(),
            help: None,
        }
    }

    pub fn bad_input(message: impl fmt::Display, help: impl fmt::Display) -> RunError {
        RunError {
            kind: ErrorKind::BadInput,
            message: message.to_string(),
            help: Some(help.to_string()),
        }
    }

    pub fn blockers(message: impl fmt::Display) -> RunError {
        RunError {
            kind: ErrorKind::Blockers,
            message: message.to_string(),
            help: None,
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = &self.help {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for RunError {}
