//! Paper assembly (组卷, DESIGN §3.3): from a standard, a paper template and the pool of
//! active items, a different but equivalent paper for every candidate.
//!
//! - Points per area = total × weight, by largest remainder so the total is exact; item
//!   counts per type are then spread over the areas to meet those points.
//! - Within an area, assessment points follow the X/Y/Z mix, at most `max_per_point`
//!   items per point, with the template's counts per type.
//! - The mean difficulty must fall within the tolerance of the target (items are swapped
//!   within their area and type until it does).
//! - Items over the exposure cap and items the candidate saw before are not drawn.
//! - Items are shuffled within their type, options within their item.
//! - Everything comes from a recorded seed and ChaCha20, so an auditor re-derives any
//!   paper from the pool and the seed.
//!
//! Failure names the area and the constraint that could not be met.

use std::collections::{HashMap, HashSet};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use super::item::ItemType;
use super::standard::{Importance, Standard};

/// How many items of a type, at how many points each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeQuota {
    pub item_type: ItemType,
    pub count: u32,
    pub points: f64,
}

/// A paper template *(per plan)*.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// In paper order (e.g. 判断, 单选, 多选).
    pub quotas: Vec<TypeQuota>,
    /// Percent of items per importance X, Y, Z *(config, default 80/15/5)*.
    pub importance_mix: [u32; 3],
    /// Items per assessment point (1 unless the template allows more).
    pub max_per_point: u32,
    pub difficulty_target: f64,
    pub difficulty_tolerance: f64,
    /// Items shown this many times are not drawn *(config)*.
    pub exposure_cap: Option<u32>,
}

impl Template {
    pub fn total_points(&self) -> f64 {
        self.quotas
            .iter()
            .map(|q| f64::from(q.count) * q.points)
            .sum()
    }

    pub fn item_count(&self) -> u32 {
        self.quotas.iter().map(|q| q.count).sum()
    }
}

/// An active item as assembly sees it (no content, no key).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolItem {
    pub id: i64,
    pub version: i64,
    /// Index of the item's area in the standard.
    pub area: usize,
    pub point: String,
    pub importance: Importance,
    pub item_type: ItemType,
    pub difficulty: u8,
    /// Number of options to shuffle (0 for types without options).
    pub options: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperItem {
    pub item_id: i64,
    pub version: i64,
    pub item_type: ItemType,
    pub points: f64,
    /// `option_order[i]` is the original index of the option shown in position `i`.
    pub option_order: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paper {
    pub seed: u64,
    pub items: Vec<PaperItem>,
    pub mean_difficulty: f64,
    pub total_points: f64,
    /// Points per area, in standard order.
    pub area_points: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AssemblyError {
    #[error("the template is not usable: {0}")]
    Template(String),
    #[error("area {area}: needs {needed} {item_type:?} items from distinct assessment points, only {available} can be drawn (pool, exposure cap, earlier papers)")]
    NotEnoughItems {
        area: String,
        item_type: ItemType,
        needed: u32,
        available: u32,
    },
    #[error("mean difficulty {mean:.2} cannot be brought within {tolerance} of {target}: the pool has too few items of other difficulties in the same areas, types and importance")]
    Difficulty {
        mean: f64,
        target: f64,
        tolerance: f64,
    },
    #[error("forms overlap by {overlap:.0}%, more than the allowed {allowed:.0}%")]
    Overlap { overlap: f64, allowed: f64 },
}

/// Splits `total` in proportion to `weights`, rounding by largest remainder so the parts
/// sum to `total` exactly (ties go to the earlier part).
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
fn random_round(total: u32, weights: &[f64], rng: &mut ChaCha20Rng) -> Vec<u32> {
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
fn spread(std: &Standard, tpl: &Template, capacity: &[Vec<u32>]) -> Vec<Vec<u32>> {
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

fn importance_index(i: Importance) -> usize {
    match i {
        Importance::X => 0,
        Importance::Y => 1,
        Importance::Z => 2,
    }
}

/// Draws one paper. `exposure` counts how often each item was shown; `exclude` holds the
/// items of the candidate's earlier papers.
pub fn assemble(
    std: &Standard,
    tpl: &Template,
    pool: &[PoolItem],
    exposure: &HashMap<i64, u32>,
    exclude: &HashSet<i64>,
    seed: u64,
) -> Result<Paper, AssemblyError> {
    assemble_indexed(std, tpl, &PoolIndex::new(pool), exposure, exclude, seed)
}

/// A pool grouped once for many papers: by (area, type), and by (area, type,
/// importance, difficulty) for the difficulty swaps. A published pool is immutable, so
/// its index can be cached and shared by every candidate's assembly.
pub struct PoolIndex<'a> {
    keys: Vec<(usize, ItemType)>,
    groups: HashMap<(usize, ItemType), Vec<&'a PoolItem>>,
    buckets: HashMap<(usize, ItemType, usize, u8), Vec<&'a PoolItem>>,
}

impl<'a> PoolIndex<'a> {
    pub fn new(pool: &'a [PoolItem]) -> Self {
        let mut groups: HashMap<(usize, ItemType), Vec<&PoolItem>> = HashMap::new();
        let mut buckets: HashMap<(usize, ItemType, usize, u8), Vec<&PoolItem>> = HashMap::new();
        for it in pool {
            groups.entry((it.area, it.item_type)).or_default().push(it);
            buckets
                .entry((
                    it.area,
                    it.item_type,
                    importance_index(it.importance),
                    it.difficulty,
                ))
                .or_default()
                .push(it);
        }
        for g in groups.values_mut().chain(buckets.values_mut()) {
            g.sort_by_key(|i| i.id);
        }
        let mut keys: Vec<(usize, ItemType)> = groups.keys().copied().collect();
        keys.sort();
        PoolIndex {
            keys,
            groups,
            buckets,
        }
    }
}

/// [`assemble`] over a prepared [`PoolIndex`].
pub fn assemble_indexed(
    std: &Standard,
    tpl: &Template,
    index: &PoolIndex<'_>,
    exposure: &HashMap<i64, u32>,
    exclude: &HashSet<i64>,
    seed: u64,
) -> Result<Paper, AssemblyError> {
    if tpl.quotas.is_empty() || tpl.item_count() == 0 {
        return Err(AssemblyError::Template("no item types".into()));
    }
    if tpl.max_per_point == 0 || tpl.importance_mix.iter().sum::<u32>() == 0 {
        return Err(AssemblyError::Template(
            "max_per_point and the importance mix must be positive".into(),
        ));
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let usable = |it: &&PoolItem| {
        !exclude.contains(&it.id)
            && tpl
                .exposure_cap
                .is_none_or(|cap| exposure.get(&it.id).copied().unwrap_or(0) < cap)
    };
    // Candidates per (area, type), shuffled.
    let mut groups: HashMap<(usize, ItemType), Vec<&PoolItem>> =
        HashMap::with_capacity(index.keys.len());
    for k in &index.keys {
        let mut g: Vec<&PoolItem> = index.groups[k]
            .iter()
            .copied()
            .filter(|it| usable(it))
            .collect();
        g.shuffle(&mut rng);
        groups.insert(*k, g);
    }
    // What each area can give per type (usable items; the per-point limit is checked
    // while drawing), so `spread` moves counts away from areas that lack items.
    let capacity: Vec<Vec<u32>> = (0..std.areas.len())
        .map(|a| {
            tpl.quotas
                .iter()
                .map(|q| groups.get(&(a, q.item_type)).map_or(0, |g| g.len() as u32))
                .collect()
        })
        .collect();
    let counts = spread(std, tpl, &capacity);
    // Selection per area: importance quotas over the area's items, distinct points.
    let mut chosen: Vec<(usize, usize, &PoolItem)> = Vec::new(); // (area, quota index, item)
    let mut in_paper: HashSet<i64> = HashSet::new();
    let mut load: HashMap<&str, u32> = HashMap::new();
    for (a, area) in std.areas.iter().enumerate() {
        for (t, q) in tpl.quotas.iter().enumerate() {
            let need = counts[a][t];
            if need == 0 {
                continue;
            }
            // The X/Y/Z mix within each type, so no type leans on the few Z points; the
            // rounding is random in proportion to the remainders, so that over many papers
            // every importance gets its share even when a type has two items in an area.
            let mix = random_round(need, &tpl.importance_mix.map(f64::from), &mut rng);
            let mut quota = [mix[0], mix[1], mix[2]];
            let cands = groups
                .get(&(a, q.item_type))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let mut taken = 0;
            // Two passes: first within the importance quotas, then any importance.
            for strict in [true, false] {
                for it in cands {
                    if taken == need {
                        break;
                    }
                    if in_paper.contains(&it.id) {
                        continue;
                    }
                    let used = load.get(it.point.as_str()).copied().unwrap_or(0);
                    if used >= tpl.max_per_point {
                        continue;
                    }
                    let imp = importance_index(it.importance);
                    if strict && quota[imp] == 0 {
                        continue;
                    }
                    quota[imp] = quota[imp].saturating_sub(1);
                    load.insert(&it.point, used + 1);
                    in_paper.insert(it.id);
                    chosen.push((a, t, it));
                    taken += 1;
                }
            }
            if taken < need {
                let points: HashSet<&str> = cands.iter().map(|it| it.point.as_str()).collect();
                let available = cands.len().min(points.len() * tpl.max_per_point as usize) as u32;
                return Err(AssemblyError::NotEnoughItems {
                    area: format!("{} {}", area.code, area.name),
                    item_type: q.item_type,
                    needed: need,
                    available,
                });
            }
        }
    }
    // Difficulty: swap an item for one of the same area, type and importance, chosen from
    // buckets by difficulty, until the mean fits. Each swap costs a few bucket look-ups,
    // not a scan of the pool.
    let buckets = &index.buckets;
    let n = chosen.len() as f64;
    let mut sum: f64 = chosen.iter().map(|(_, _, i)| f64::from(i.difficulty)).sum();
    let mut guard = 0;
    while (sum / n - tpl.difficulty_target).abs() > tpl.difficulty_tolerance
        && guard < chosen.len() * 2
    {
        guard += 1;
        // How far the sum of difficulties is from the target sum.
        let gap = tpl.difficulty_target * n - sum;
        let mut best: Option<(usize, &PoolItem, f64)> = None;
        for (pos, (a, t, cur)) in chosen.iter().enumerate() {
            let item_type = tpl.quotas[*t].item_type;
            let imp = importance_index(cur.importance);
            for step in 1..=4i32 {
                let d = i32::from(cur.difficulty) + if gap > 0.0 { step } else { -step };
                if !(1..=5).contains(&d) {
                    break;
                }
                let delta = f64::from(d) - f64::from(cur.difficulty);
                let left = (gap - delta).abs();
                if best.as_ref().is_some_and(|b| left >= b.2) {
                    continue;
                }
                let Some(bucket) = buckets.get(&(*a, item_type, imp, d as u8)) else {
                    continue;
                };
                // From a random place in the bucket, so swaps spread over its items.
                let start = rand::Rng::gen_range(&mut rng, 0..bucket.len());
                let found = bucket[start..].iter().chain(&bucket[..start]).find(|c| {
                    usable(c)
                        && !in_paper.contains(&c.id)
                        && (c.point == cur.point
                            || load.get(c.point.as_str()).copied().unwrap_or(0) < tpl.max_per_point)
                });
                if let Some(c) = found {
                    best = Some((pos, c, left));
                }
            }
        }
        let Some((pos, cand, _)) = best else { break };
        let old = chosen[pos].2;
        in_paper.remove(&old.id);
        if let Some(l) = load.get_mut(old.point.as_str()) {
            *l -= 1;
        }
        in_paper.insert(cand.id);
        *load.entry(&cand.point).or_insert(0) += 1;
        sum += f64::from(cand.difficulty) - f64::from(old.difficulty);
        chosen[pos].2 = cand;
    }
    let m = sum / n;
    if (m - tpl.difficulty_target).abs() > tpl.difficulty_tolerance {
        return Err(AssemblyError::Difficulty {
            mean: m,
            target: tpl.difficulty_target,
            tolerance: tpl.difficulty_tolerance,
        });
    }
    // Paper order: by template type, shuffled within the type; options shuffled.
    let mut items = Vec::with_capacity(chosen.len());
    let mut area_points = vec![0.0; std.areas.len()];
    for (t, q) in tpl.quotas.iter().enumerate() {
        let mut of_type: Vec<&(usize, usize, &PoolItem)> =
            chosen.iter().filter(|(_, qt, _)| *qt == t).collect();
        of_type.sort_by_key(|(_, _, i)| i.id);
        of_type.shuffle(&mut rng);
        for (a, _, it) in of_type {
            let mut order: Vec<u8> = (0..it.options).collect();
            order.shuffle(&mut rng);
            area_points[*a] += q.points;
            items.push(PaperItem {
                item_id: it.id,
                version: it.version,
                item_type: it.item_type,
                points: q.points,
                option_order: order,
            });
        }
    }
    Ok(Paper {
        seed,
        total_points: items.iter().map(|i| i.points).sum(),
        items,
        mean_difficulty: m,
        area_points,
    })
}

/// Parallel forms (A/B 卷): each later form avoids the earlier forms' items where the
/// pool allows, and no two forms share more than `max_overlap` (0–1) of their items.
pub fn assemble_forms(
    std: &Standard,
    tpl: &Template,
    pool: &[PoolItem],
    forms: usize,
    max_overlap: f64,
    seed: u64,
) -> Result<Vec<Paper>, AssemblyError> {
    let mut out: Vec<Paper> = Vec::new();
    let none = HashMap::new();
    for f in 0..forms {
        let used: HashSet<i64> = out
            .iter()
            .flat_map(|p| p.items.iter().map(|i| i.item_id))
            .collect();
        let form_seed = seed.wrapping_add(f as u64);
        let paper = match assemble(std, tpl, pool, &none, &used, form_seed) {
            Ok(p) => p,
            // A small pool: allow the permitted overlap, excluding the rest.
            Err(AssemblyError::NotEnoughItems { .. }) if max_overlap > 0.0 => {
                let mut ids: Vec<i64> = used.iter().copied().collect();
                ids.sort_unstable();
                let mut rng = ChaCha20Rng::seed_from_u64(form_seed);
                ids.shuffle(&mut rng);
                let keep = (ids.len() as f64 * (1.0 - max_overlap)).ceil() as usize;
                let exclude: HashSet<i64> = ids.into_iter().take(keep).collect();
                assemble(std, tpl, pool, &none, &exclude, form_seed)?
            }
            Err(e) => return Err(e),
        };
        for other in &out {
            let theirs: HashSet<i64> = other.items.iter().map(|i| i.item_id).collect();
            let shared = paper
                .items
                .iter()
                .filter(|i| theirs.contains(&i.item_id))
                .count() as f64;
            let overlap = shared / paper.items.len().max(1) as f64;
            if overlap > max_overlap + 1e-9 {
                return Err(AssemblyError::Overlap {
                    overlap: overlap * 100.0,
                    allowed: max_overlap * 100.0,
                });
            }
        }
        out.push(paper);
    }
    Ok(out)
}

/// The demo paper template shipped with skillcert: 60 items to 100 points (20 判断 at 1,
/// 35 单选 at 2, 5 多选 at 2), up to 6 items per assessment point (demo banks are
/// small: about 25 points), mean difficulty 2.4 ± 0.3. Every shipped bank can assemble it; real plans set their own template.
pub fn demo_template() -> Template {
    Template {
        quotas: vec![
            TypeQuota {
                item_type: ItemType::TrueFalse,
                count: 20,
                points: 1.0,
            },
            TypeQuota {
                item_type: ItemType::SingleChoice,
                count: 35,
                points: 2.0,
            },
            TypeQuota {
                item_type: ItemType::MultipleChoice,
                count: 5,
                points: 2.0,
            },
        ],
        importance_mix: [80, 15, 5],
        max_per_point: 6,
        difficulty_target: 2.4,
        difficulty_tolerance: 0.3,
        exposure_cap: None,
    }
}

/// Synthetic standards, pools and templates for tests, benchmarks and load tests
/// (clearly not real items: only ids, points and difficulties).
pub mod synthetic {
    use super::*;
    use crate::domain::standard::{Area, Mode, Point};

    /// A standard of 5 areas and a pool of `per_point` items of each type per point.
    pub fn pool(points_per_area: usize, per_point: usize) -> (Standard, Vec<PoolItem>) {
        let weights = [10u32, 20, 30, 25, 15];
        let std = Standard {
            level: 5,
            mode: Mode::Theory,
            areas: weights
                .iter()
                .enumerate()
                .map(|(a, w)| Area {
                    code: format!("A{a}"),
                    name: format!("范围{a}"),
                    weight: *w,
                    points: (0..points_per_area)
                        .map(|p| Point {
                            code: format!("A{a}-{p}"),
                            name: String::new(),
                            importance: match p % 20 {
                                0..=15 => Importance::X,
                                16..=18 => Importance::Y,
                                _ => Importance::Z,
                            },
                        })
                        .collect(),
                })
                .collect(),
        };
        let mut pool = Vec::new();
        let mut id = 0;
        for (a, area) in std.areas.iter().enumerate() {
            for p in &area.points {
                for t in [
                    ItemType::TrueFalse,
                    ItemType::SingleChoice,
                    ItemType::MultipleChoice,
                ] {
                    for k in 0..per_point {
                        id += 1;
                        pool.push(PoolItem {
                            id,
                            version: 1,
                            area: a,
                            point: p.code.clone(),
                            importance: p.importance,
                            item_type: t,
                            difficulty: ((id * 7 + k as i64) % 5 + 1) as u8,
                            options: match t {
                                ItemType::TrueFalse => 0,
                                ItemType::SingleChoice => 4,
                                _ => 5,
                            },
                        });
                    }
                }
            }
        }
        (std, pool)
    }

    pub fn template() -> Template {
        Template {
            quotas: vec![
                TypeQuota {
                    item_type: ItemType::TrueFalse,
                    count: 40,
                    points: 0.5,
                },
                TypeQuota {
                    item_type: ItemType::SingleChoice,
                    count: 140,
                    points: 0.5,
                },
                TypeQuota {
                    item_type: ItemType::MultipleChoice,
                    count: 20,
                    points: 0.5,
                },
            ],
            importance_mix: [80, 15, 5],
            max_per_point: 1,
            difficulty_target: 3.0,
            difficulty_tolerance: 0.1,
            exposure_cap: None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::synthetic::{pool as fixture, template};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn largest_remainder_is_exact() {
        assert_eq!(
            largest_remainder(100, &[33.0, 33.0, 34.0]),
            vec![33, 33, 34]
        );
        assert_eq!(largest_remainder(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(largest_remainder(7, &[0.0, 0.0]), vec![0, 0]);
    }

    #[test]
    fn failure_names_the_area_and_constraint() {
        let (std, pool) = fixture(10, 1);
        let e = assemble(
            &std,
            &template(),
            &pool,
            &HashMap::new(),
            &HashSet::new(),
            1,
        )
        .unwrap_err();
        assert!(
            matches!(&e, AssemblyError::NotEnoughItems { area, .. } if area.starts_with("A")),
            "{e}"
        );
        assert!(e.to_string().contains("area A"));
    }

    fn check(std: &Standard, tpl: &Template, p: &Paper, exclude: &HashSet<i64>, pool: &[PoolItem]) {
        assert_eq!(p.items.len() as u32, tpl.item_count());
        assert!((p.total_points - tpl.total_points()).abs() < 1e-9);
        // Area points within one item of total × weight.
        let max_item = tpl.quotas.iter().map(|q| q.points).fold(0.0, f64::max);
        for (a, area) in std.areas.iter().enumerate() {
            let want = tpl.total_points() * f64::from(area.weight) / 100.0;
            assert!(
                (p.area_points[a] - want).abs() <= max_item + 1e-9,
                "area {a}: {} vs {want}",
                p.area_points[a]
            );
        }
        // Type counts, distinct points, no excluded items.
        let by_id: HashMap<i64, &PoolItem> = pool.iter().map(|i| (i.id, i)).collect();
        for q in &tpl.quotas {
            assert_eq!(
                p.items
                    .iter()
                    .filter(|i| i.item_type == q.item_type)
                    .count() as u32,
                q.count
            );
        }
        let mut points = HashSet::new();
        for i in &p.items {
            assert!(
                points.insert(by_id[&i.item_id].point.clone()),
                "one item per point"
            );
            assert!(!exclude.contains(&i.item_id));
            let mut o = i.option_order.clone();
            o.sort_unstable();
            assert_eq!(o, (0..by_id[&i.item_id].options).collect::<Vec<_>>());
        }
        assert!(
            (p.mean_difficulty - tpl.difficulty_target).abs() <= tpl.difficulty_tolerance + 1e-9
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn every_paper_meets_every_constraint(seed in any::<u64>(), resit in any::<bool>()) {
            let (std, pool) = fixture(120, 2);
            let tpl = template();
            let first = assemble(&std, &tpl, &pool, &HashMap::new(), &HashSet::new(), seed).unwrap();
            check(&std, &tpl, &first, &HashSet::new(), &pool);
            // Same seed, same paper.
            prop_assert_eq!(&assemble(&std, &tpl, &pool, &HashMap::new(), &HashSet::new(), seed).unwrap(), &first);
            if resit {
                let seen: HashSet<i64> = first.items.iter().map(|i| i.item_id).collect();
                let second = assemble(&std, &tpl, &pool, &HashMap::new(), &seen, seed ^ 1).unwrap();
                check(&std, &tpl, &second, &seen, &pool);
            }
        }
    }

    #[test]
    fn the_exposure_cap_keeps_items_out() {
        let (std, pool) = fixture(120, 2);
        let mut tpl = template();
        tpl.exposure_cap = Some(1);
        let first = assemble(&std, &tpl, &pool, &HashMap::new(), &HashSet::new(), 9).unwrap();
        let exposure: HashMap<i64, u32> = first.items.iter().map(|i| (i.item_id, 1)).collect();
        let second = assemble(&std, &tpl, &pool, &exposure, &HashSet::new(), 10).unwrap();
        assert!(second
            .items
            .iter()
            .all(|i| !exposure.contains_key(&i.item_id)));
    }

    #[test]
    fn parallel_forms_bound_their_overlap() {
        let (std, pool) = fixture(120, 2);
        let forms = assemble_forms(&std, &template(), &pool, 2, 0.1, 5).unwrap();
        let a: HashSet<i64> = forms[0].items.iter().map(|i| i.item_id).collect();
        let shared = forms[1]
            .items
            .iter()
            .filter(|i| a.contains(&i.item_id))
            .count();
        assert!(shared as f64 <= 0.1 * 200.0, "{shared}");
    }
}
