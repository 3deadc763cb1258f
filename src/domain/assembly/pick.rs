//! Drawing papers from an indexed pool: points by the X/Y/Z mix, difficulty within
//! tolerance, exposure cap and earlier papers respected, shuffled from the seed; and
//! parallel forms with bounded overlap.

use std::collections::{HashMap, HashSet};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::spread::{importance_index, random_round, spread};
use super::{AssemblyError, Paper, PaperItem, PoolItem, Template};
use crate::domain::item::ItemType;
use crate::domain::standard::Standard;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::assembly::{pool as fixture, template};
    use proptest::prelude::*;

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
