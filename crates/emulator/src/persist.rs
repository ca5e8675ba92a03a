//! Persistence (`--data DIR`): the emulator's resources in an SQLite
//! database (`DIR/emulator.db`, WAL mode), loaded at start and written
//! through on every change, so the state survives a restart. Operations
//! cut short by a restart complete when the state is loaded: a resource
//! still `Creating`/`Updating`/`Accepted` becomes `Succeeded`, one
//! `Deleting` is removed with its children.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::state::Stored;

/// The write-through database of a persistent emulator.
#[derive(Debug)]
pub(crate) struct Db(rusqlite::Connection);

impl Db {
    /// Open (or create) `dir/emulator.db` and load what it holds.
    pub(crate) fn open(dir: &Path) -> Result<(Db, BTreeMap<String, Stored>), String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join("emulator.db");
        let db = rusqlite::Connection::open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        db.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             CREATE TABLE IF NOT EXISTS resources (key TEXT PRIMARY KEY, id TEXT NOT NULL, body TEXT NOT NULL);",
        )
        .map_err(|e| format!("cannot initialise {}: {e}", path.display()))?;
        let fail = |e: rusqlite::Error| format!("cannot read {}: {e}", path.display());
        let mut resources = BTreeMap::new();
        // Deletions cut short by a restart complete (with their children).
        let mut gone: Vec<String> = Vec::new();
        {
            let mut stmt = db
                .prepare("SELECT key, id, body FROM resources")
                .map_err(fail)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(fail)?;
            for row in rows {
                let (k, id, body) = row.map_err(fail)?;
                let mut body: Value = serde_json::from_str(&body).map_err(|e| {
                    format!("{}: stored body of {id} is not JSON: {e}", path.display())
                })?;
                // An operation cut short by a restart completes.
                match body["properties"]["provisioningState"].as_str() {
                    Some("Deleting") => {
                        gone.push(k);
                        continue;
                    }
                    Some("Creating" | "Updating" | "Accepted") => {
                        body["properties"]["provisioningState"] = json!("Succeeded");
                    }
                    _ => {}
                }
                resources.insert(k, Stored { id, body });
            }
        }
        for g in &gone {
            let prefix = format!("{g}/");
            resources.retain(|k: &String, _| !k.starts_with(&prefix));
            db.execute(
                "DELETE FROM resources WHERE key = ?1 OR substr(key, 1, length(?2)) = ?2",
                rusqlite::params![g, prefix],
            )
            .map_err(|e| format!("cannot complete the deletion of {g}: {e}"))?;
        }
        Ok((Db(db), resources))
    }

    /// Write a resource's row.
    pub(crate) fn put(&self, k: &str, s: &Stored) -> Result<(), String> {
        self.0
            .execute(
                "INSERT OR REPLACE INTO resources (key, id, body) VALUES (?1, ?2, ?3)",
                rusqlite::params![k, s.id, s.body.to_string()],
            )
            .map(drop)
            .map_err(|e| format!("cannot persist {}: {e}", s.id))
    }

    /// Delete a resource's row.
    pub(crate) fn delete(&self, k: &str) -> Result<(), String> {
        self.0
            .execute("DELETE FROM resources WHERE key = ?1", [k])
            .map(drop)
            .map_err(|e| format!("cannot persist the deletion of {k}: {e}"))
    }
}
