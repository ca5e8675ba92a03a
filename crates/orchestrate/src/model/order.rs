//! The units' topological order (prerequisites first, earlier waves
//! first among the ready ones).

use super::*;

pub(super) fn topo_order(units: &[Unit]) -> Result<Vec<usize>, ModelError> {
    let mut indeg: Vec<usize> = units.iter().map(|u| u.deps.len()).collect();
    let mut rev = vec![Vec::new(); units.len()];
    for (i, u) in units.iter().enumerate() {
        for &d in &u.deps {
            rev[d].push(i);
        }
    }
    let mut ready: std::collections::BTreeSet<(u32, usize)> = indeg
        .iter()
        .enumerate()
        .filter(|(_, d)| **d == 0)
        .map(|(i, _)| (units[i].wave, i))
        .collect();
    let mut order = Vec::with_capacity(units.len());
    while let Some(first) = ready.iter().next().copied() {
        ready.remove(&first);
        let i = first.1;
        order.push(i);
        for &j in &rev[i] {
            indeg[j] -= 1;
            if indeg[j] == 0 {
                ready.insert((units[j].wave, j));
            }
        }
    }
    if order.len() != units.len() {
        let stuck: Vec<&str> = units
            .iter()
            .enumerate()
            .filter(|(i, _)| !order.contains(i))
            .map(|(_, u)| u.key.as_str())
            .take(5)
            .collect();
        return Err(ModelError::Plan(format!(
            "the resources' dependencies form a cycle (among {}); re-run `azrelo plan`",
            stuck.join(", ")
        )));
    }
    Ok(order)
}
