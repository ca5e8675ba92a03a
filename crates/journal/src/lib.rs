//! # azrelo-journal — the durable intent/result journal
//!
//! Owns the journal file every azrelo command that changes Azure records its
//! steps in: the relocation orchestrator (`azrelo-orchestrate`) and the
//! Defender for Cloud settings apply (`azrelo-defender`). It knows nothing
//! of plans or resources: a step is a name, an intent and a result.
//!
//! One SQLite file (WAL, `synchronous=FULL`, so a record survives a power cut
//! once `record_*` returned). Every step of a run is written twice: its
//! *intent* before the call that performs it, its *result* after. A reader
//! after a crash sees, per step, either nothing (never started), an intent
//! without a result (interrupted: the call may or may not have reached ARM, so
//! the step must be re-run idempotently), or a result.
//!
//! Nothing secret is ever written here: callers pass redacted intents and
//! details (secure parameters are referenced by name, never by value).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Errors of the journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {message}")]
    Sqlite { path: PathBuf, message: String },
    #[error("journal {path}: corrupt record {seq}: {message}")]
    Corrupt {
        path: PathBuf,
        seq: i64,
        message: String,
    },
    /// The file exists but holds no journal (emptied, truncated, replaced):
    /// the run's progress is lost, which is never read as "not started".
    #[error(
        "journal {path}: {message}. The journal is the only record of what the run did; restore it from a backup (journal.db with its -wal file), or, if it is lost, check which targets exist (`azrelo status`) and start again from a fresh plan directory"
    )]
    Unreadable { path: PathBuf, message: String },
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepOutcome {
    /// The call succeeded; the step's effect is in place.
    Succeeded,
    /// The call failed; `detail` says why. The step may be retried.
    Failed,
    /// Nothing had to be done (already in place, not applicable, or manual).
    Skipped,
}

impl StepOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Succeeded => "succeeded",
            StepOutcome::Failed => "failed",
            StepOutcome::Skipped => "skipped",
        }
    }

    fn parse(s: &str) -> Option<StepOutcome> {
        match s {
            "succeeded" => Some(StepOutcome::Succeeded),
            "failed" => Some(StepOutcome::Failed),
            "skipped" => Some(StepOutcome::Skipped),
            _ => None,
        }
    }
}

/// Where a step stands according to its latest record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepPhase {
    /// The intent is recorded, no result yet (running, or interrupted).
    Intent,
    /// The result is recorded.
    Result,
}

/// The latest state of one step of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub run: String,
    pub step: String,
    /// Monotonic sequence number of the latest record of this step.
    pub seq: i64,
    pub phase: StepPhase,
    /// The intent of the latest attempt.
    pub intent: Value,
    /// The outcome, once the result is recorded.
    pub outcome: Option<StepOutcome>,
    /// The result detail, once recorded (`Value::Null` before).
    pub detail: Value,
    /// How many intents were recorded for this step (1 for a first attempt).
    pub attempts: u32,
    /// RFC 3339 time of the latest record.
    pub at: String,
}

impl StepRecord {
    /// True when the latest attempt ended successfully (or was skipped).
    pub fn is_done(&self) -> bool {
        matches!(
            self.outcome,
            Some(StepOutcome::Succeeded) | Some(StepOutcome::Skipped)
        )
    }

    /// True when an intent was recorded but no result: the process stopped
    /// during the call, which may or may not have taken effect.
    pub fn is_interrupted(&self) -> bool {
        self.phase == StepPhase::Intent
    }
}

/// The journal. `Send + Sync`: the connection is behind a mutex, and every
/// write is one short transaction.
pub struct Journal {
    path: PathBuf,
    db: Mutex<Connection>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS records (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    run     TEXT NOT NULL,
    step    TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('intent', 'result')),
    outcome TEXT,
    body    TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_step ON records (run, step, seq);
CREATE TABLE IF NOT EXISTS meta (
    run   TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (run, key)
);
";

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Journal {
    /// Open (or create) the journal at `path`: schema, WAL, `synchronous=FULL`.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let err = |e: rusqlite::Error| JournalError::Sqlite {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        // An existing file must be a journal: an emptied or foreign file
        // would otherwise read as "no run has started" and lose progress.
        // (In WAL mode the main file may be empty while its `-wal` holds
        // every record: a process killed before a checkpoint.)
        let wal_len = {
            let mut w = path.as_os_str().to_owned();
            w.push("-wal");
            std::fs::metadata(PathBuf::from(w)).map_or(0, |m| m.len())
        };
        let existed = match std::fs::metadata(path) {
            Ok(m) if m.is_file() && m.len() == 0 && wal_len == 0 => {
                return Err(JournalError::Unreadable {
                    path: path.to_path_buf(),
                    message: "the file is empty".into(),
                });
            }
            Ok(m) => m.len() > 0,
            Err(_) => false,
        };
        let unreadable = |e: rusqlite::Error| JournalError::Unreadable {
            path: path.to_path_buf(),
            message: format!("not a readable journal ({e})"),
        };
        let db = Connection::open(path).map_err(err)?;
        db.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(err)?;
        let mode: String = db
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| if existed { unreadable(e) } else { err(e) })?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(JournalError::Sqlite {
                path: path.to_path_buf(),
                message: format!("could not switch to WAL mode (got {mode})"),
            });
        }
        db.execute_batch("PRAGMA synchronous=FULL;").map_err(err)?;
        if existed {
            let tables: i64 = db
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('records', 'meta')",
                    [],
                    |r| r.get(0),
                )
                .map_err(unreadable)?;
            if tables != 2 {
                return Err(JournalError::Unreadable {
                    path: path.to_path_buf(),
                    message: "the file is not an azrelo journal (no records table)".into(),
                });
            }
        }
        db.execute_batch(SCHEMA).map_err(err)?;
        // Operator data: readable by its owner only.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        Ok(Journal {
            path: path.to_path_buf(),
            db: Mutex::new(db),
        })
    }

    /// The file this journal lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: rusqlite::Error) -> JournalError {
        JournalError::Sqlite {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-written record
        // (each write is one statement), so a poisoned lock is still usable.
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Record the intent of a step, before the call that performs it.
    pub fn record_intent(&self, run: &str, step: &str, intent: &Value) -> Result<(), JournalError> {
        self.conn()
            .execute(
                "INSERT INTO records (run, step, kind, outcome, body, at) VALUES (?1, ?2, 'intent', NULL, ?3, ?4)",
                params![run, step, intent.to_string(), now()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Record the result of a step, after its call returned.
    pub fn record_result(
        &self,
        run: &str,
        step: &str,
        outcome: StepOutcome,
        detail: &Value,
    ) -> Result<(), JournalError> {
        self.conn()
            .execute(
                "INSERT INTO records (run, step, kind, outcome, body, at) VALUES (?1, ?2, 'result', ?3, ?4, ?5)",
                params![run, step, outcome.as_str(), detail.to_string(), now()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The latest state of a step (`None` when it never started).
    pub fn last(&self, run: &str, step: &str) -> Result<Option<StepRecord>, JournalError> {
        let db = self.conn();
        let mut stmt = db
            .prepare_cached(
                "SELECT seq, kind, outcome, body, at FROM records WHERE run = ?1 AND step = ?2 ORDER BY seq",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![run, step], row)
            .map_err(|e| self.err(e))?;
        let mut fold = Fold::default();
        for row in rows {
            let row = row.map_err(|e| self.err(e))?;
            fold.push(self, run, step, row)?;
        }
        Ok(fold.finish().into_iter().next())
    }

    /// The latest state of every step of a run, in the order steps first
    /// appeared in the journal.
    pub fn steps(&self, run: &str) -> Result<Vec<StepRecord>, JournalError> {
        let db = self.conn();
        let mut stmt = db
            .prepare_cached("SELECT seq, kind, outcome, body, at, step FROM records WHERE run = ?1 ORDER BY seq")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![run], |r| Ok((row(r)?, r.get::<_, String>(5)?)))
            .map_err(|e| self.err(e))?;
        let mut folds: Vec<Fold> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for row in rows {
            let (row, step) = row.map_err(|e| self.err(e))?;
            let i = *index.entry(step.clone()).or_insert_with(|| {
                folds.push(Fold::default());
                folds.len() - 1
            });
            folds[i].push(self, run, &step, row)?;
        }
        Ok(folds.into_iter().filter_map(Fold::finish).collect())
    }

    /// Store a run-level value (e.g. the plan digest the run was started with).
    pub fn set_meta(&self, run: &str, key: &str, value: &str) -> Result<(), JournalError> {
        self.conn()
            .execute(
                "INSERT INTO meta (run, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (run, key) DO UPDATE SET value = excluded.value",
                params![run, key, value],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Read a run-level value.
    pub fn meta(&self, run: &str, key: &str) -> Result<Option<String>, JournalError> {
        self.conn()
            .query_row(
                "SELECT value FROM meta WHERE run = ?1 AND key = ?2",
                params![run, key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every run recorded in this journal, oldest first.
    pub fn runs(&self) -> Result<Vec<String>, JournalError> {
        let db = self.conn();
        let mut stmt = db
            .prepare("SELECT run FROM records GROUP BY run ORDER BY MIN(seq)")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// The total number of records written (intents + results), all runs.
    pub fn record_count(&self) -> Result<i64, JournalError> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}

type Row = (i64, String, Option<String>, String, String);

/// The first five columns of a `records` query: seq, kind, outcome, body, at.
fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

#[derive(Default)]
struct Fold {
    rec: Option<StepRecord>,
}

impl Fold {
    fn push(
        &mut self,
        j: &Journal,
        run: &str,
        step: &str,
        (seq, kind, outcome, body, at): Row,
    ) -> Result<(), JournalError> {
        let corrupt = |message: String| JournalError::Corrupt {
            path: j.path.clone(),
            seq,
            message,
        };
        let body: Value = serde_json::from_str(&body).map_err(|e| corrupt(e.to_string()))?;
        match kind.as_str() {
            "intent" => {
                let attempts = self.rec.as_ref().map_or(0, |r| r.attempts) + 1;
                self.rec = Some(StepRecord {
                    run: run.to_string(),
                    step: step.to_string(),
                    seq,
                    phase: StepPhase::Intent,
                    intent: body,
                    outcome: None,
                    detail: Value::Null,
                    attempts,
                    at,
                });
            }
            "result" => {
                let outcome = outcome
                    .as_deref()
                    .and_then(StepOutcome::parse)
                    .ok_or_else(|| corrupt(format!("unknown outcome {outcome:?}")))?;
                let rec = self.rec.get_or_insert_with(|| StepRecord {
                    run: run.to_string(),
                    step: step.to_string(),
                    seq,
                    phase: StepPhase::Result,
                    intent: Value::Null,
                    outcome: None,
                    detail: Value::Null,
                    attempts: 0,
                    at: at.clone(),
                });
                rec.seq = seq;
                rec.phase = StepPhase::Result;
                rec.outcome = Some(outcome);
                rec.detail = body;
                rec.at = at;
            }
            other => return Err(corrupt(format!("unknown record kind {other:?}"))),
        }
        Ok(())
    }

    fn finish(self) -> Option<StepRecord> {
        self.rec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn intent_then_result_is_done_and_interrupted_intent_is_visible() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("journal.db")).unwrap();
        j.record_intent("r1", "a", &json!({"put": "/x"})).unwrap();
        let a = j.last("r1", "a").unwrap().unwrap();
        assert!(a.is_interrupted());
        assert!(!a.is_done());
        j.record_result("r1", "a", StepOutcome::Succeeded, &json!({"id": "/x"}))
            .unwrap();
        j.record_intent("r1", "b", &json!({})).unwrap();
        j.record_result("r1", "b", StepOutcome::Failed, &json!({"code": "Conflict"}))
            .unwrap();
        j.record_intent("r1", "b", &json!({"retry": true})).unwrap();
        let a = j.last("r1", "a").unwrap().unwrap();
        assert!(a.is_done());
        assert_eq!(a.intent, json!({"put": "/x"}));
        assert_eq!(a.detail, json!({"id": "/x"}));
        let b = j.last("r1", "b").unwrap().unwrap();
        assert_eq!(b.attempts, 2);
        assert!(b.is_interrupted());
        assert_eq!(b.intent, json!({"retry": true}));
        assert!(j.last("r1", "c").unwrap().is_none());
        assert!(j.last("r2", "a").unwrap().is_none());
        let steps: Vec<_> = j.steps("r1").unwrap().into_iter().map(|s| s.step).collect();
        assert_eq!(steps, ["a", "b"]);
    }

    #[test]
    fn survives_reopen_and_uses_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        {
            let j = Journal::open(&path).unwrap();
            j.record_intent("r", "s", &json!(1)).unwrap();
            j.record_result("r", "s", StepOutcome::Skipped, &json!(null))
                .unwrap();
            j.set_meta("r", "plan", "abc").unwrap();
            j.set_meta("r", "plan", "def").unwrap();
        }
        let j = Journal::open(&path).unwrap();
        assert!(j.last("r", "s").unwrap().unwrap().is_done());
        assert_eq!(j.meta("r", "plan").unwrap().as_deref(), Some("def"));
        assert_eq!(j.runs().unwrap(), ["r"]);
        assert_eq!(j.record_count().unwrap(), 2);
        let mode: String = j
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = j
            .conn()
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
    }

    #[test]
    fn journal_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Journal>();
    }
}

#[cfg(test)]
mod unreadable {
    use super::*;

    /// Issue #18: an emptied or foreign journal is an error with a recovery
    /// hint, never "no run has started"; the file is owner-only.
    #[test]
    fn an_emptied_or_foreign_journal_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("journal.db");
        let j = Journal::open(&p).unwrap();
        j.record_intent("run", "a#move", &serde_json::json!({}))
            .unwrap();
        drop(j);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(Journal::open(&p).unwrap().steps("run").unwrap().len(), 1);
        // Emptied (and its -wal gone).
        std::fs::write(&p, b"").unwrap();
        let mut wal = p.as_os_str().to_owned();
        wal.push("-wal");
        let _ = std::fs::remove_file(PathBuf::from(wal));
        let e = Journal::open(&p).err().unwrap().to_string();
        assert!(
            e.contains("empty") && e.contains("restore it from a backup"),
            "{e}"
        );
        // Garbage.
        std::fs::write(&p, b"not a database at all, just some text here").unwrap();
        let e = Journal::open(&p).err().unwrap().to_string();
        assert!(e.contains("not a readable journal"), "{e}");
        // Another SQLite file.
        std::fs::remove_file(&p).unwrap();
        rusqlite::Connection::open(&p)
            .unwrap()
            .execute_batch("CREATE TABLE other (x);")
            .unwrap();
        let e = Journal::open(&p).err().unwrap().to_string();
        assert!(e.contains("not an azrelo journal"), "{e}");
    }
}
