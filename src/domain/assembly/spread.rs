//! How a paper's points and item counts are spread over the standard's areas: points
//! per area by largest remainder, then each type's count over the areas in proportion,
//! within what each area's pool can supply.

use rand_chacha::ChaCha20Rng;

use super::Template;
use crate::domain::standard::{Importance, Standard};

pub fn largest_remainder(total: u32, weights: &[f64]) -> Vec<u32> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| f64::from(total) * w / sum).collect();
    let mut parts: Vec<u32> = exact.iter().map(|e| e.floor() as u32).collect();
    let mut left = total - parts.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| {
        (exact[*b] - exact[*b].floor())
            .partial_cmp(&(exact[*a] - exact[*a].floor()))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(b))
    });
    for i in order {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

/// Like [`largest_remainder`], but the units left after flooring go to parts drawn at
/// random in proportion to their remainders: exact in total, right on average.
pub(super) fn random_round(total: u32, weights: &[f64], rng: &mut ChaCha20Rng) -> Vec<u32> {
    use rand::Rng;
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| f64::from(total) * w / sum).collect();
    let mut parts: Vec<u32> = exact.iter().map(|e| e.floor() as u32).collect();
    let mut rem: Vec<f64> = exact.iter().map(|e| e - e.floor()).collect();
    let mut left = total - parts.iter().sum::<u32>();
    while left > 0 {
        let r_sum: f64 = rem.iter().sum();
        let mut x = rng.gen::<f64>() * r_sum;
        let mut pick = rem.len() - 1;
        for (i, r) in rem.iter().enumerate() {
            if x < *r {
                pick = i;
                break;
            }
            x -= r;
        }
        parts[pick] += 1;
        rem[pick] = 0.0;
        left -= 1;
    }
    parts
}

/// Items per (area, type): each type's count spread over the areas in proportion to the
/// points each area still needs, so area points come as close to total × weight as the
/// item sizes allow.
pub(super) fn spread(std: &Standard, tpl: &Template, capacity: &[Vec<u32>]) -> Vec<Vec<u32>> {
    let total = tpl.total_points();
    // Target points per area, exact in half points.
    let halves = largest_remainder(
        (total * 2.0).round() as u32,
        &std.areas
            .iter()
            .map(|a| f64::from(a.weight))
            .collect::<Vec<_>>(),
    );
    let mut remaining: Vec<f64> = halves.iter().map(|h| f64::from(*h) / 2.0).collect();
    let mut counts = vec![vec![0u32; tpl.quotas.len()]; std.areas.len()];
    let mut order: Vec<usize> = (0..tpl.quotas.len()).collect();
    order.sort_by(|a, b| {
        tpl.quotas[*b]
            .points
            .partial_cmp(&tpl.quotas[*a].points)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for t in order {
        let q = &tpl.quotas[t];
        let need: Vec<f64> = remaining.iter().map(|r| r.max(0.0)).collect();
        let weights = if need.iter().sum::<f64>() > 0.0 {
            need
        } else {
            std.areas.iter().map(|a| f64::from(a.weight)).collect()
        };
        let mut parts = largest_remainder(q.count, &weights);
        // An area cannot give more items of a type than it has: the excess goes to the
        // areas that still need points most and have items to spare. The total per type
        // stays exact; area points then come as close to the weights as the pool allows.
        let mut excess: u32 = 0;
        for (a, n) in parts.iter_mut().enumerate() {
            if *n > capacity[a][t] {
                excess += *n - capacity[a][t];
                *n = capacity[a][t];
            }
        }
        while excess > 0 {
            let spare = (0..parts.len())
                .filter(|a| parts[*a] < capacity[*a][t])
                .max_by(|x, y| {
                    (weights[*x] - f64::from(parts[*x]) * q.points)
                        .partial_cmp(&(weights[*y] - f64::from(parts[*y]) * q.points))
                        .unwrap_or(std::cmp::Ordering::Equal)
                });
            let Some(a) = spare else { break };
            parts[a] += 1;
            excess -= 1;
        }
        if excess > 0 {
            // Not enough anywhere: ask for it where the weights put it, so the failure
            // names that area.
            if let Some(a) = (0..parts.len()).max_by(|x, y| {
                weights[*x]
                    .partial_cmp(&weights[*y])
                    .unwrap_or(std::cmp::Ordering::Equal)
            }) {
                parts[a] += excess;
            }
        }
        for (a, n) in parts.iter().enumerate() {
            counts[a][t] = *n;
            remaining[a] -= f64::from(*n) * q.points;
        }
    }
    counts
}

pub(super) fn importance_index(i: Importance) -> usize {
    match i {
        Importance::X => 0,
        Importance::Y => 1,
        Importance::Z => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainder_is_exact() {
        assert_eq!(
            largest_remainder(100, &[33.0, 33.0, 34.0]),
            vec![33, 33, 34]
        );
        assert_eq!(largest_remainder(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(largest_remainder(7, &[0.0, 0.0]), vec![0, 0]);
    }
}
