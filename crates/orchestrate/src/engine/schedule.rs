//! Scheduling: every unit starts as soon as its prerequisites exist
//! (pipelined; critical path first) or wave by wave, within the
//! parallelism.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::*;

impl<A: Arm> Engine<A> {
    /// `apply` / `resume`: run every unit that is not yet moved and
    /// verified, pipelined over the dependency graph (or wave by wave).
    pub async fn apply(self: &Arc<Self>) -> Result<ApplyReport, EngineError> {
        let started = Instant::now();
        let snap = Snapshot::new(self.journal.steps(RUN)?);
        let views = snap.views(&self.plan);
        let n = self.plan.units.len();
        let mut done: Vec<bool> = views
            .iter()
            .zip(&self.plan.units)
            .map(|(v, u)| {
                if u.kind == UnitKind::Manual {
                    v.target_exists
                } else {
                    v.state.is_committed() || (v.target_exists && v.verified)
                }
            })
            .collect();
        let mut report = ApplyReport {
            total: n,
            ..Default::default()
        };
        let mut settled: Vec<bool> = done.clone();
        match self.opts.schedule {
            Schedule::Pipelined => {
                let all: Vec<usize> = (0..n).collect();
                self.schedule(&all, &mut done, &mut settled, &mut report)
                    .await?;
            }
            Schedule::Waves => {
                let mut waves: Vec<u32> = self.plan.units.iter().map(|u| u.wave).collect();
                waves.sort_unstable();
                waves.dedup();
                for w in waves {
                    let set: Vec<usize> =
                        (0..n).filter(|&i| self.plan.units[i].wave == w).collect();
                    self.schedule(&set, &mut done, &mut settled, &mut report)
                        .await?;
                }
            }
        }
        report.available = done.iter().filter(|d| **d).count();
        report.blocked = (0..n).filter(|&i| !settled[i]).count();
        let snap = Snapshot::new(self.journal.steps(RUN)?);
        for (g, i, before) in self.plan.gates() {
            // A gate after a move is listed once it can be closed.
            if !snap.gate_closed(&g.id)
                && (before
                    || snap
                        .after_move_ready(&self.plan.units[i], &report.open_gates)
                        .is_ok())
            {
                report.open_gates.push(g.id.clone());
            }
        }
        report.elapsed_ms = started.elapsed().as_millis();
        Ok(report)
    }

    /// Run the units of `set` whose prerequisites are available.
    pub(super) async fn schedule(
        self: &Arc<Self>,
        set: &[usize],
        done: &mut [bool],
        settled: &mut [bool],
        report: &mut ApplyReport,
    ) -> Result<(), EngineError> {
        let in_set: HashSet<usize> = set.iter().copied().collect();
        let dependents = self.plan.dependents();
        let height = heights(&self.plan);
        let sem = Arc::new(Semaphore::new(self.opts.parallelism.max(1)));
        let mut missing: HashMap<usize, usize> = HashMap::new();
        let mut ready: Vec<usize> = Vec::new();
        for &i in set {
            if done[i] {
                continue;
            }
            let m = self.plan.units[i]
                .deps
                .iter()
                .filter(|&&d| !done[d])
                .count();
            missing.insert(i, m);
            if m == 0 {
                ready.push(i);
            }
        }
        let mut tasks: JoinSet<(usize, Result<Outcome, StepError>)> = JoinSet::new();
        let spawn = |ready: &mut Vec<usize>, tasks: &mut JoinSet<_>| {
            // Longest chain of dependents first: the critical path starts
            // early.
            ready.sort_by_key(|&i| (std::cmp::Reverse(height[i]), i));
            for i in ready.drain(..) {
                let me = Arc::clone(self);
                let sem = Arc::clone(&sem);
                tasks.spawn(async move {
                    let _permit = sem.acquire_owned().await;
                    (i, me.run_unit(i).await)
                });
            }
        };
        spawn(&mut ready, &mut tasks);
        while let Some(joined) = tasks.join_next().await {
            let (i, r) = joined.map_err(|e| EngineError::Io(format!("a task failed: {e}")))?;
            settled[i] = true;
            match r {
                Err(StepError::Crashed) => {
                    tasks.abort_all();
                    return Err(EngineError::Crashed);
                }
                Err(StepError::Journal(e)) => {
                    tasks.abort_all();
                    return Err(EngineError::Journal(e));
                }
                // Every other unit would fail the same way: stop once.
                Err(StepError::Arm(e)) if e.fatal => {
                    tasks.abort_all();
                    return Err(EngineError::Stopped(e.to_string()));
                }
                Err(e) => report
                    .failed
                    .push((self.plan.units[i].key.to_string(), e.message())),
                Ok(Outcome::Failed(m)) => {
                    report.failed.push((self.plan.units[i].key.to_string(), m))
                }
                Ok(Outcome::Waiting) => {}
                Ok(Outcome::Available) => {
                    done[i] = true;
                    for &j in &dependents[i] {
                        if !in_set.contains(&j) || done[j] {
                            continue;
                        }
                        if let Some(m) = missing.get_mut(&j) {
                            *m -= 1;
                            if *m == 0 {
                                ready.push(j);
                            }
                        }
                    }
                    spawn(&mut ready, &mut tasks);
                }
            }
        }
        Ok(())
    }
}

/// Longest chain of dependents below each unit (for scheduling priority).
pub(super) fn heights(plan: &RunPlan) -> Vec<usize> {
    let dependents = plan.dependents();
    let mut h = vec![0usize; plan.units.len()];
    for &i in plan.order.iter().rev() {
        h[i] = dependents[i].iter().map(|&j| h[j] + 1).max().unwrap_or(0);
    }
    h
}
