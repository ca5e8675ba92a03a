//! What the engine tells its observers (progress bars) and writes to the
//! event log (`events.jsonl`).

use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::{Value, json};

/// What happened, for progress bars and the event log.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub unit: String,
    pub label: String,
    pub step: crate::state::Step,
    pub status: EventStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventStatus {
    Started,
    Succeeded,
    Skipped,
    Failed,
    Retrying,
    Waiting,
}

/// Receives events (the CLI draws progress bars from them).
pub trait Observer: Send + Sync {
    fn event(&self, e: &Event);
}

/// The JSON-lines event log (`events.jsonl` in the plan directory).
pub(crate) struct EventLog {
    file: Mutex<Option<std::fs::File>>,
}

impl EventLog {
    pub(super) fn open(path: &Path) -> EventLog {
        let mut o = std::fs::OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        {
            // Operator data: readable by its owner only.
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let file = o.open(path).ok();
        EventLog {
            file: Mutex::new(file),
        }
    }

    pub(super) fn write(&self, e: &Event) {
        use std::io::Write;
        let at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.insert("at".into(), json!(at));
        }
        let mut g = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = g.as_mut() {
            let _ = writeln!(f, "{v}");
        }
    }
}
