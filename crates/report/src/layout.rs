//! A layered (Sugiyama-style) layout of the unit graph, computed here so
//! the browser only draws: layers are waves (every dependency points to an
//! earlier or the same wave in a sound plan), nodes are grouped in
//! horizontal lanes by resource group (lanes in depth-first order of the
//! lane graph, so lanes that depend on each other are neighbours),
//! crossings are reduced by barycentre sweeps over the nodes of each
//! lane × wave cell, and
//! coordinates are assigned on a grid (a lane is as tall as its fullest
//! cell). Every pass is linear in nodes + edges apart from sorting within
//! cells and lanes; a fixed number of sweeps keeps the whole layout
//! O((N + E) · sweeps + N log N).

/// Input node: its layer (column) and group (lane).
#[derive(Debug, Clone, Copy)]
pub struct Item {
    pub layer: usize,
    pub group: usize,
}

/// Geometry constants (pixels).
pub const NODE_W: f64 = 168.0;
pub const NODE_H: f64 = 20.0;
pub const ROW: f64 = 26.0;
pub const COL: f64 = 216.0;
pub const LANE_PAD: f64 = 14.0;
pub const LEFT: f64 = 12.0;
pub const TOP: f64 = 34.0;

/// Result of [`layout`].
#[derive(Debug, Clone)]
pub struct Layout {
    /// Top-left corner of each node.
    pub pos: Vec<(f64, f64)>,
    /// Lanes in drawing order: (group, y0, y1).
    pub lanes: Vec<(usize, f64, f64)>,
    /// X of each layer's column.
    pub columns: Vec<f64>,
    pub width: f64,
    pub height: f64,
}

const SWEEPS: usize = 4;

/// Lay out `items` (edges are `(from, to)` indices into `items`).
pub fn layout(items: &[Item], edges: &[(usize, usize)], layers: usize, groups: usize) -> Layout {
    let n = items.len();
    let layers = layers.max(items.iter().map(|i| i.layer + 1).max().unwrap_or(0));
    let groups = groups.max(items.iter().map(|i| i.group + 1).max().unwrap_or(0));
    // Adjacency (undirected for barycentres), compressed.
    let mut deg = vec![0u32; n + 1];
    for &(a, b) in edges {
        if a < n && b < n && a != b {
            deg[a + 1] += 1;
            deg[b + 1] += 1;
        }
    }
    for i in 0..n {
        deg[i + 1] += deg[i];
    }
    let mut fill = deg.clone();
    let mut adj = vec![0u32; deg[n] as usize];
    for &(a, b) in edges {
        if a < n && b < n && a != b {
            adj[fill[a] as usize] = b as u32;
            fill[a] += 1;
            adj[fill[b] as usize] = a as u32;
            fill[b] += 1;
        }
    }
    let neighbours = |i: usize| {
        adj[deg[i] as usize..deg[i + 1] as usize]
            .iter()
            .map(|&j| j as usize)
    };

    // 1. Lane order: barycentre of the lanes each lane is connected to.
    let mut lane_weight: std::collections::HashMap<(usize, usize), f64> = Default::default();
    for &(a, b) in edges {
        if a < n && b < n {
            let (ga, gb) = (items[a].group, items[b].group);
            if ga != gb {
                *lane_weight.entry((ga, gb)).or_default() += 1.0;
                *lane_weight.entry((gb, ga)).or_default() += 1.0;
            }
        }
    }
    let mut lane_links: Vec<Vec<(usize, f64)>> = vec![Vec::new(); groups];
    let mut lw: Vec<_> = lane_weight.into_iter().collect();
    lw.sort_by_key(|a| a.0);
    for ((a, b), w) in lw {
        lane_links[a].push((b, w));
    }
    // Depth-first over the lane graph, heaviest links first: lanes that
    // share dependencies end up next to each other, each connected set of
    // lanes contiguous, unconnected lanes in their first-seen order.
    for links in lane_links.iter_mut() {
        links.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    let mut lane_order: Vec<usize> = Vec::with_capacity(groups);
    let mut placed = vec![false; groups];
    for start in 0..groups {
        if placed[start] {
            continue;
        }
        let mut stack = vec![start];
        while let Some(g) = stack.pop() {
            if placed[g] {
                continue;
            }
            placed[g] = true;
            lane_order.push(g);
            for &(h, _) in lane_links[g].iter().rev() {
                if !placed[h] {
                    stack.push(h);
                }
            }
        }
    }

    // 2. Cells: nodes per (group, layer), initial order = input order.
    let mut cells: Vec<Vec<usize>> = vec![Vec::new(); groups * layers];
    for (i, it) in items.iter().enumerate() {
        cells[it.group * layers + it.layer].push(i);
    }
    let mut lane_rows = vec![0usize; groups];
    for g in 0..groups {
        lane_rows[g] = (0..layers)
            .map(|l| cells[g * layers + l].len())
            .max()
            .unwrap_or(0);
    }
    // Global row of each lane's first row, in lane order.
    let mut lane_base = vec![0usize; groups];
    let mut acc = 0usize;
    for &g in &lane_order {
        lane_base[g] = acc;
        acc += lane_rows[g].max(1);
    }
    let mut row = vec![0f64; n];
    let set_rows = |cells: &Vec<Vec<usize>>, row: &mut Vec<f64>| {
        for g in 0..groups {
            for l in 0..layers {
                for (k, &i) in cells[g * layers + l].iter().enumerate() {
                    row[i] = (lane_base[g] + k) as f64;
                }
            }
        }
    };
    set_rows(&cells, &mut row);

    // 3. Barycentre sweeps within cells: left to right using neighbours in
    // earlier layers, then right to left using later ones.
    for sweep in 0..SWEEPS {
        let forward = sweep % 2 == 0;
        let order: Vec<usize> = if forward {
            (0..layers).collect()
        } else {
            (0..layers).rev().collect()
        };
        for l in order {
            for g in 0..groups {
                let cell = &mut cells[g * layers + l];
                if cell.len() < 2 {
                    continue;
                }
                let mut keyed: Vec<(f64, usize)> = cell
                    .iter()
                    .map(|&i| {
                        let (s, c) = neighbours(i)
                            .filter(|&j| {
                                let lj = items[j].layer;
                                if forward { lj < l } else { lj > l }
                            })
                            .fold((0.0, 0usize), |(s, c), j| (s + row[j], c + 1));
                        (if c > 0 { s / c as f64 } else { row[i] }, i)
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                *cell = keyed.into_iter().map(|(_, i)| i).collect();
                for (k, &i) in cell.iter().enumerate() {
                    row[i] = (lane_base[g] + k) as f64;
                }
            }
        }
    }

    // 4. Coordinates.
    let columns: Vec<f64> = (0..layers).map(|l| LEFT + l as f64 * COL).collect();
    let mut pos = vec![(0.0, 0.0); n];
    let mut lanes = Vec::with_capacity(groups);
    let mut y = TOP;
    for &g in &lane_order {
        let rows = lane_rows[g];
        if rows == 0 {
            continue;
        }
        let y0 = y;
        for l in 0..layers {
            for (k, &i) in cells[g * layers + l].iter().enumerate() {
                pos[i] = (columns[l], y0 + LANE_PAD + k as f64 * ROW);
            }
        }
        y = y0 + 2.0 * LANE_PAD + rows as f64 * ROW;
        lanes.push((g, y0, y));
    }
    Layout {
        pos,
        lanes,
        width: LEFT * 2.0 + (layers.max(1) as f64 - 1.0) * COL + NODE_W,
        height: y + LANE_PAD,
        columns,
    }
}

/// Edge crossings between adjacent layers (for tests and tuning): pairs of
/// edges between layers l and l+1 whose endpoints are in opposite order.
pub fn crossings(layout: &Layout, items: &[Item], edges: &[(usize, usize)]) -> usize {
    let mut by_layer: std::collections::BTreeMap<usize, Vec<(f64, f64)>> = Default::default();
    for &(a, b) in edges {
        let (la, lb) = (items[a].layer, items[b].layer);
        let ((lo, ylo), (hi, yhi)) = if la < lb {
            ((la, layout.pos[a].1), (lb, layout.pos[b].1))
        } else {
            ((lb, layout.pos[b].1), (la, layout.pos[a].1))
        };
        if hi == lo + 1 {
            by_layer.entry(lo).or_default().push((ylo, yhi));
        }
    }
    let mut count = 0;
    for segs in by_layer.values() {
        for (i, a) in segs.iter().enumerate() {
            for b in &segs[i + 1..] {
                if (a.0 - b.0) * (a.1 - b.1) < 0.0 {
                    count += 1;
                }
            }
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_sit_in_their_layer_and_lane_without_overlap() {
        let items = vec![
            Item { layer: 0, group: 0 },
            Item { layer: 0, group: 1 },
            Item { layer: 1, group: 0 },
            Item { layer: 1, group: 0 },
            Item { layer: 2, group: 1 },
        ];
        let edges = vec![(2, 0), (3, 1), (4, 3)];
        let l = layout(&items, &edges, 3, 2);
        for (i, it) in items.iter().enumerate() {
            assert_eq!(l.pos[i].0, l.columns[it.layer]);
            let lane = l.lanes.iter().find(|(g, _, _)| *g == it.group).unwrap();
            assert!(l.pos[i].1 >= lane.1 && l.pos[i].1 + NODE_H <= lane.2);
        }
        // No two nodes share a position.
        let mut seen = std::collections::HashSet::new();
        for p in &l.pos {
            assert!(seen.insert(((p.0 * 10.0) as i64, (p.1 * 10.0) as i64)));
        }
        assert!(l.width > 2.0 * COL && l.height > 2.0 * ROW);
    }

    #[test]
    fn barycentre_sweeps_untangle_a_crossed_pair() {
        // Layer 0: a, b; layer 1: c (needs b), d (needs a) — input order
        // crosses; one sweep puts d above c.
        let items = vec![Item { layer: 0, group: 0 }; 2]
            .into_iter()
            .chain(vec![Item { layer: 1, group: 0 }; 2])
            .collect::<Vec<_>>();
        let edges = vec![(2, 1), (3, 0)];
        let l = layout(&items, &edges, 2, 1);
        assert_eq!(crossings(&l, &items, &edges), 0);
        assert!(l.pos[3].1 < l.pos[2].1);
    }

    #[test]
    fn connected_lanes_end_up_next_to_each_other() {
        // Lanes 0 and 2 are linked, 1 is not: 2 moves next to 0.
        let items = vec![
            Item { layer: 0, group: 0 },
            Item { layer: 0, group: 1 },
            Item { layer: 1, group: 2 },
        ];
        let l = layout(&items, &[(2, 0)], 2, 3);
        let order: Vec<usize> = l.lanes.iter().map(|(g, _, _)| *g).collect();
        let p0 = order.iter().position(|&g| g == 0).unwrap();
        let p2 = order.iter().position(|&g| g == 2).unwrap();
        assert_eq!(p0.abs_diff(p2), 1, "{order:?}");
    }

    #[test]
    fn empty_graph() {
        let l = layout(&[], &[], 0, 0);
        assert!(l.pos.is_empty() && l.lanes.is_empty());
    }
}
