//! Progress on stderr, for people and for CI logs.
//!
//! On a terminal: an indicatif bar that redraws in place. Elsewhere (CI, a
//! log file, `2>&1 | tee`): plain lines — one when a phase starts or a step
//! is reported, and a heartbeat every [`heartbeat`] seconds while nothing
//! else was printed, so a long wait is never silent. Lines honour
//! `--log-format json` (one JSON object a line, as the log events).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How log lines and progress lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (colour only on a terminal, never with NO_COLOR).
    #[default]
    Text,
    /// One JSON object per line: timestamp, level, fields.message.
    Json,
}

static FORMAT: Mutex<LogFormat> = Mutex::new(LogFormat::Text);

/// Set once at start-up from `--log-format`.
pub fn set_format(f: LogFormat) {
    if let Ok(mut g) = FORMAT.lock() {
        *g = f;
    }
}

fn format() -> LogFormat {
    FORMAT.lock().map(|g| *g).unwrap_or_default()
}

/// Whether colour may be written to stderr: a terminal, and `NO_COLOR`
/// unset or empty (<https://no-color.org>).
pub fn stderr_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Seconds between heartbeat lines (`AZRELO_HEARTBEAT_SECS`, default 30).
pub fn heartbeat() -> Duration {
    let secs = std::env::var("AZRELO_HEARTBEAT_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .unwrap_or(30);
    Duration::from_secs(secs)
}

/// Write one progress line to stderr in the log format.
pub fn line(message: &str) {
    match format() {
        LogFormat::Text => eprintln!("{} {message}", timestamp()),
        LogFormat::Json => eprintln!(
            "{}",
            serde_json::json!({
                "timestamp": timestamp(),
                "level": "INFO",
                "fields": {"message": message},
                "target": "azrelo::progress",
            })
        ),
    }
}

/// Now as RFC 3339 UTC, to the second.
fn timestamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[derive(Debug)]
struct Plain {
    phase: String,
    done: u64,
    total: u64,
    last_line: Instant,
}

/// A progress display for one command (see the module docs).
pub struct Progress {
    label: &'static str,
    bar: Option<indicatif::ProgressBar>,
    plain: Option<Arc<Mutex<Plain>>>,
    stop: Arc<AtomicBool>,
    started: Instant,
}

impl Progress {
    /// A bar on a terminal, plain lines with a heartbeat elsewhere; nothing
    /// at all when `quiet`.
    pub fn new(label: &'static str, quiet: bool) -> Progress {
        let started = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        if quiet {
            return Progress {
                label,
                bar: None,
                plain: None,
                stop,
                started,
            };
        }
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template(&format!(
                    "{label} {{prefix}} [{{bar:30}}] {{pos}}/{{len}} {{elapsed_precise}} eta {{eta}}"
                ))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            return Progress {
                label,
                bar: Some(bar),
                plain: None,
                stop,
                started,
            };
        }
        let plain = Arc::new(Mutex::new(Plain {
            phase: String::new(),
            done: 0,
            total: 0,
            last_line: started,
        }));
        let (p, s, every) = (plain.clone(), stop.clone(), heartbeat());
        std::thread::spawn(move || {
            let tick = Duration::from_millis(200).min(every);
            while !s.load(Ordering::Relaxed) {
                std::thread::sleep(tick);
                if s.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(mut g) = p.lock() else { break };
                if g.last_line.elapsed() >= every {
                    g.last_line = Instant::now();
                    let what = if g.phase.is_empty() {
                        "working".to_string()
                    } else if g.total > 0 {
                        format!("{} {}/{}", g.phase, g.done, g.total)
                    } else {
                        g.phase.clone()
                    };
                    line(&format!(
                        "{label}: still {what} ({}s elapsed)",
                        started.elapsed().as_secs()
                    ));
                }
            }
        });
        Progress {
            label,
            bar: None,
            plain: Some(plain),
            stop,
            started,
        }
    }

    /// Where the command is: a phase and a count. Plain output prints a
    /// line when the phase changes (and the heartbeat repeats the count).
    pub fn set(&self, phase: &str, done: u64, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_prefix(phase.to_string());
            bar.set_length(total);
            bar.set_position(done);
        }
        if let Some(p) = &self.plain
            && let Ok(mut g) = p.lock()
        {
            let new_phase = g.phase != phase;
            g.phase = phase.to_string();
            g.done = done;
            g.total = total;
            if new_phase {
                g.last_line = Instant::now();
                drop(g);
                line(&format!("{}: {phase} ({total} to do)", self.label));
            }
        }
    }

    /// A step worth a line of its own (plain output), or above the bar.
    pub fn step(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.println(message);
        }
        if let Some(p) = &self.plain {
            if let Ok(mut g) = p.lock() {
                g.last_line = Instant::now();
            }
            line(&format!("{}: {message}", self.label));
        }
    }

    /// Clear the bar; plain output says how long it took.
    pub fn finish(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.plain.is_some() {
            line(&format!(
                "{}: finished in {}s",
                self.label,
                self.started.elapsed().as_secs()
            ));
        }
    }
}

impl azrelo_orchestrate::Observer for Progress {
    fn event(&self, _e: &azrelo_orchestrate::Event) {}
}

impl azrelo_run::Progress for Progress {
    fn line(&self, text: &str) {
        self.step(text);
    }
    fn warning(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }
    fn discovery(&self, p: &azrelo_live::Progress) {
        self.set(p.phase, p.done as u64, p.total as u64);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_rfc3339() {
        let t = super::timestamp();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
        assert!(t.starts_with("20"), "{t}");
    }
}
