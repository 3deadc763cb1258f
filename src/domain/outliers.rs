//! Outlier detection for oversight (DESIGN §3.8), pure: the figures that send an
//! inspector somewhere.
//!
//! - [`pass_rate_outliers`]: bodies whose pass rate in an occupation and level is far
//!   above their peers' (a z-test against the pooled rate of the other bodies, so one
//!   body cannot hide in its own average), and far enough to matter.
//! - [`volume_outliers`]: bodies whose certificates in the recent window are many times
//!   their own baseline (the audits' "ten times in two months").
//! - [`assessor_deviations`]: assessors whose marks sit systematically above or below
//!   the rest of their panels (mean signed deviation as a share of the points, with a
//!   t-test over their marks).
//! - [`similar_pairs`]: pairs of candidates in the same room with more identical wrong
//!   answers than chance allows (the expected count from how often each wrong option
//!   was chosen in the room; a Poisson tail).
//!
//! Thresholds are parameters with conservative defaults: a flag opens an inspection, it
//! proves nothing by itself.

use std::collections::HashMap;

use serde::Serialize;

use super::stats::Response;

/// One body's results in one occupation and level.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyRate {
    pub body_id: i64,
    /// `occupation code / level`, the group peers are compared within.
    pub group: String,
    pub sat: u32,
    pub passed: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RateFlag {
    pub body_id: i64,
    pub group: String,
    pub rate: f64,
    pub peer_rate: f64,
    pub z: f64,
    pub sat: u32,
}

/// Pass rates at least `min_gap` above the peers' pooled rate with z ≥ `min_z`, for
/// bodies with at least `min_sat` candidates. Defaults: 0.2, 3.0, 20.
pub fn pass_rate_outliers(
    rows: &[BodyRate],
    min_gap: f64,
    min_z: f64,
    min_sat: u32,
) -> Vec<RateFlag> {
    let mut by_group: HashMap<&str, (u64, u64)> = HashMap::new();
    for r in rows {
        let e = by_group.entry(&r.group).or_default();
        e.0 += u64::from(r.sat);
        e.1 += u64::from(r.passed);
    }
    let mut out = Vec::new();
    for r in rows.iter().filter(|r| r.sat >= min_sat) {
        let (all_sat, all_passed) = by_group[r.group.as_str()];
        let (peer_sat, peer_passed) =
            (all_sat - u64::from(r.sat), all_passed - u64::from(r.passed));
        if peer_sat < u64::from(min_sat) {
            continue;
        }
        // The peers' rate, kept off 0 and 1 so the standard error stays meaningful.
        let peer = ((peer_passed as f64 + 0.5) / (peer_sat as f64 + 1.0)).clamp(0.01, 0.99);
        let rate = f64::from(r.passed) / f64::from(r.sat);
        let se = (peer * (1.0 - peer) / f64::from(r.sat)).sqrt();
        let z = (rate - peer) / se;
        if rate - peer >= min_gap && z >= min_z {
            out.push(RateFlag {
                body_id: r.body_id,
                group: r.group.clone(),
                rate,
                peer_rate: peer,
                z,
                sat: r.sat,
            });
        }
    }
    out.sort_by(|a, b| b.z.total_cmp(&a.z));
    out
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VolumeFlag {
    pub body_id: i64,
    /// Certificates in the recent window.
    pub recent: u32,
    /// What the body's baseline predicts for a window of that length.
    pub expected: f64,
    pub ratio: f64,
}

/// Bodies whose certificates in the recent window (`recent`) are at least `min_ratio`
/// times what their baseline predicts (`baseline` certificates over `baseline_windows`
/// windows of the same length), and at least `min_recent`. A body with no baseline is
/// compared with one certificate per window. Defaults: 10×, 50.
pub fn volume_outliers(
    rows: &[(i64, u32, u32)],
    baseline_windows: f64,
    min_ratio: f64,
    min_recent: u32,
) -> Vec<VolumeFlag> {
    let mut out: Vec<VolumeFlag> = rows
        .iter()
        .filter(|(_, recent, _)| *recent >= min_recent)
        .filter_map(|&(body_id, recent, baseline)| {
            let expected = (f64::from(baseline) / baseline_windows.max(1.0)).max(1.0);
            let ratio = f64::from(recent) / expected;
            (ratio >= min_ratio).then_some(VolumeFlag {
                body_id,
                recent,
                expected,
                ratio,
            })
        })
        .collect();
    out.sort_by(|a, b| b.ratio.total_cmp(&a.ratio));
    out
}

/// One assessor's mark of one task, with the rest of the panel's marks of it.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelMark {
    pub assessor_id: i64,
    pub points: f64,
    pub max_points: f64,
    /// The other panel members' marks of the same task.
    pub others: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AssessorFlag {
    pub assessor_id: i64,
    pub marks: u32,
    /// Mean of (mark − the others' mean) / points: positive is lenient, negative harsh.
    pub mean_deviation: f64,
    pub t: f64,
}

/// Assessors with at least `min_marks` marks whose mean deviation from the rest of
/// their panels is at least `min_share` of the points either way, with |t| ≥ `min_t`.
/// Defaults: 5 marks, 0.15, 3.0.
pub fn assessor_deviations(
    marks: &[PanelMark],
    min_marks: u32,
    min_share: f64,
    min_t: f64,
) -> Vec<AssessorFlag> {
    let mut per: HashMap<i64, Vec<f64>> = HashMap::new();
    for m in marks
        .iter()
        .filter(|m| !m.others.is_empty() && m.max_points > 0.0)
    {
        let others = m.others.iter().sum::<f64>() / m.others.len() as f64;
        per.entry(m.assessor_id)
            .or_default()
            .push((m.points - others) / m.max_points);
    }
    let mut out: Vec<AssessorFlag> = per
        .into_iter()
        .filter(|(_, d)| d.len() as u32 >= min_marks)
        .filter_map(|(assessor_id, d)| {
            let n = d.len() as f64;
            let mean = d.iter().sum::<f64>() / n;
            let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
            // A perfectly consistent deviation has no spread: its t is unbounded.
            let t = match var.sqrt() / n.sqrt() {
                se if se > 1e-9 => mean / se,
                _ if mean.abs() > 1e-9 => mean.signum() * f64::INFINITY,
                _ => 0.0,
            };
            (mean.abs() >= min_share && t.abs() >= min_t).then_some(AssessorFlag {
                assessor_id,
                marks: d.len() as u32,
                mean_deviation: mean,
                t,
            })
        })
        .collect();
    out.sort_by(|a, b| b.mean_deviation.abs().total_cmp(&a.mean_deviation.abs()));
    out
}

/// One candidate's responses in a room.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomAttempt {
    pub attempt_id: i64,
    pub responses: Vec<Response>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PairFlag {
    pub attempts: (i64, i64),
    /// Items both answered wrong with the same option(s).
    pub identical_wrong: u32,
    /// What chance predicts for that count.
    pub expected: f64,
    /// Probability of at least that many by chance (Poisson).
    pub p: f64,
}

/// P(X ≥ k) for X ~ Poisson(λ).
fn poisson_tail(k: u32, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    // 1 − P(X ≤ k−1), the terms built by ratio (λ here is at most a few hundred).
    let mut term = (-lambda).exp();
    let mut cdf = term;
    for i in 1..k {
        term *= lambda / f64::from(i);
        cdf += term;
    }
    (1.0 - cdf).max(0.0)
}

/// Pairs in one room with at least `min_identical` identical wrong answers whose chance
/// probability is below `max_p`. Defaults: 5, 1e-5 (with a room's 435 pairs, about one
/// honest pair in 230 rooms). Quadratic in the room's size, which
/// a room (tens of seats) keeps small.
///
/// Chance, for the answers of A against B: on every item A answered wrong (and B saw),
/// B gives exactly A's wrong answer with probability q_B × s, where q_B is how often B
/// answers wrong overall and s the share of A's wrong choice among the room's wrong
/// answers to the item. Copying raises the identical count far above that sum, while
/// honest pairs stay near it; both directions are tried and the smaller p is kept.
pub fn similar_pairs(room: &[RoomAttempt], min_identical: u32, max_p: f64) -> Vec<PairFlag> {
    let wrong_answer = |r: &Response| r.credit >= 0.0 && r.credit < 1.0 && r.chosen != 0;
    // How often each wrong choice was made in the room, per item.
    let mut wrong: HashMap<i64, HashMap<u32, u32>> = HashMap::new();
    for a in room {
        for r in a.responses.iter().filter(|r| wrong_answer(r)) {
            *wrong
                .entry(r.item_id)
                .or_default()
                .entry(r.chosen)
                .or_default() += 1;
        }
    }
    let share = |item: i64, choice: u32| -> f64 {
        let Some(choices) = wrong.get(&item) else {
            return 1.0;
        };
        let n: u32 = choices.values().sum();
        f64::from(choices.get(&choice).copied().unwrap_or(0)) / f64::from(n.max(1))
    };
    // Each candidate's wrong answers by item, and how often they answer wrong.
    let wrongs: Vec<HashMap<i64, u32>> = room
        .iter()
        .map(|a| {
            a.responses
                .iter()
                .filter(|r| wrong_answer(r))
                .map(|r| (r.item_id, r.chosen))
                .collect()
        })
        .collect();
    let seen: Vec<std::collections::HashSet<i64>> = room
        .iter()
        .map(|a| {
            a.responses
                .iter()
                .filter(|r| r.credit >= 0.0)
                .map(|r| r.item_id)
                .collect()
        })
        .collect();
    let wrong_rate: Vec<f64> = (0..room.len())
        .map(|i| wrongs[i].len() as f64 / (seen[i].len().max(1)) as f64)
        .collect();
    let expected = |a: usize, b: usize| -> f64 {
        wrongs[a]
            .iter()
            .filter(|(item, _)| seen[b].contains(item))
            .map(|(item, choice)| wrong_rate[b] * share(*item, *choice))
            .sum()
    };
    let mut out = Vec::new();
    for i in 0..room.len() {
        for j in i + 1..room.len() {
            let same = wrongs[i]
                .iter()
                .filter(|(item, choice)| wrongs[j].get(item) == Some(choice))
                .count() as u32;
            if same < min_identical {
                continue;
            }
            let (e_ij, e_ji) = (expected(i, j), expected(j, i));
            let (p, expected) = [
                (poisson_tail(same, e_ij), e_ij),
                (poisson_tail(same, e_ji), e_ji),
            ]
            .into_iter()
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap_or((1.0, 0.0));
            if p < max_p {
                out.push(PairFlag {
                    attempts: (room[i].attempt_id, room[j].attempt_id),
                    identical_wrong: same,
                    expected,
                    p,
                });
            }
        }
    }
    out.sort_by(|a, b| a.p.total_cmp(&b.p));
    out
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;

    fn rng(seed: u64) -> rand_chacha::ChaCha8Rng {
        rand_chacha::ChaCha8Rng::seed_from_u64(seed)
    }

    /// Detection and false-flag rates on synthetic data with planted cases, printed for
    /// the note (`cargo test --lib outliers -- --nocapture`).
    fn rates(name: &str, planted: &[i64], flagged: &[i64], population: usize) -> (f64, f64) {
        let hit = planted.iter().filter(|p| flagged.contains(p)).count();
        let false_flags = flagged.iter().filter(|f| !planted.contains(f)).count();
        let detection = hit as f64 / planted.len() as f64;
        let false_rate = false_flags as f64 / (population - planted.len()) as f64;
        println!(
            "{name}: planted {} flagged {} detected {hit} ({:.0}%), false flags {false_flags} of {} ({:.2}%)",
            planted.len(),
            flagged.len(),
            detection * 100.0,
            population - planted.len(),
            false_rate * 100.0
        );
        (detection, false_rate)
    }

    #[test]
    fn planted_lenient_bodies_are_flagged_and_honest_ones_are_not() {
        // 200 bodies over 4 occupation/levels, 30–120 candidates each, honest pass
        // rates drawn around 0.55–0.75; five bodies pass almost everyone (0.97).
        let mut r = rng(7);
        let planted = [13i64, 57, 101, 150, 188];
        let rows: Vec<BodyRate> = (0..200)
            .map(|b| {
                let sat = r.gen_range(30..120);
                let p = if planted.contains(&b) {
                    0.97
                } else {
                    r.gen_range(0.55..0.75)
                };
                let passed = (0..sat).filter(|_| r.gen::<f64>() < p).count() as u32;
                BodyRate {
                    body_id: b,
                    group: format!("g{}", b % 4),
                    sat,
                    passed,
                }
            })
            .collect();
        let flagged: Vec<i64> = pass_rate_outliers(&rows, 0.2, 3.0, 20)
            .iter()
            .map(|f| f.body_id)
            .collect();
        let (detection, false_rate) = rates("pass rate", &planted, &flagged, rows.len());
        assert_eq!(detection, 1.0);
        assert!(false_rate <= 0.01, "{false_rate}");
    }

    #[test]
    fn a_body_issuing_ten_times_its_baseline_is_flagged() {
        // Recent two months against the previous twelve (six windows of two months).
        let mut r = rng(8);
        let planted = [4i64, 77];
        let rows: Vec<(i64, u32, u32)> = (0..100)
            .map(|b| {
                let monthly = r.gen_range(5.0..40.0);
                let baseline = (monthly * 12.0) as u32;
                let recent = if planted.contains(&b) {
                    (monthly * 2.0 * 12.0) as u32
                } else {
                    (monthly * 2.0 * r.gen_range(0.6..1.6)) as u32
                };
                (b, recent, baseline)
            })
            .collect();
        let flagged: Vec<i64> = volume_outliers(&rows, 6.0, 10.0, 50)
            .iter()
            .map(|f| f.body_id)
            .collect();
        let (detection, false_rate) = rates("volume", &planted, &flagged, rows.len());
        assert_eq!(detection, 1.0);
        assert_eq!(false_rate, 0.0);
        // A new body's first 60 certificates are not "ten times nothing" unless many.
        assert!(volume_outliers(&[(1, 9, 0)], 6.0, 10.0, 50).is_empty());
    }

    #[test]
    fn an_assessor_marking_far_above_the_panel_is_flagged() {
        // 40 assessors in panels of three over 600 tasks of 10 points; marks are the
        // task's true quality plus noise (sd 0.8); assessor 9 adds +2.5, assessor 31
        // takes 2.0 off.
        let mut r = rng(9);
        let planted = [9i64, 31];
        let mut marks = Vec::new();
        for _ in 0..600 {
            let quality = r.gen_range(2.0..9.0);
            let mut panel: Vec<i64> = Vec::new();
            while panel.len() < 3 {
                let a = r.gen_range(0..40);
                if !panel.contains(&a) {
                    panel.push(a);
                }
            }
            let given: Vec<f64> = panel
                .iter()
                .map(|&a| {
                    let bias = match a {
                        9 => 2.5,
                        31 => -2.0,
                        _ => 0.0,
                    };
                    let noise: f64 = (0..4).map(|_| r.gen_range(-0.7..0.7)).sum();
                    (quality + bias + noise).clamp(0.0, 10.0)
                })
                .collect();
            for (k, &a) in panel.iter().enumerate() {
                let others = given
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != k)
                    .map(|(_, g)| *g)
                    .collect();
                marks.push(PanelMark {
                    assessor_id: a,
                    points: given[k],
                    max_points: 10.0,
                    others,
                });
            }
        }
        let flags = assessor_deviations(&marks, 5, 0.15, 3.0);
        let flagged: Vec<i64> = flags.iter().map(|f| f.assessor_id).collect();
        let (detection, false_rate) = rates("assessor deviation", &planted, &flagged, 40);
        assert_eq!(detection, 1.0);
        assert_eq!(false_rate, 0.0);
        let lenient = flags.iter().find(|f| f.assessor_id == 9).unwrap();
        assert!(lenient.mean_deviation > 0.15);
        assert!(
            flags
                .iter()
                .find(|f| f.assessor_id == 31)
                .unwrap()
                .mean_deviation
                < -0.15
        );
    }

    #[test]
    fn colluding_pairs_are_flagged_and_honest_pairs_are_not() {
        // Rooms of 30 on the same 100 four-option items; candidates answer right with a
        // probability from their ability, otherwise pick a wrong option with the
        // item's own (uneven) distractor popularity. In each of 10 rooms one pair
        // copies: the second takes the first's answer on 60 % of the items.
        let mut r = rng(10);
        let mut planted = Vec::new();
        let mut flagged = Vec::new();
        let mut pairs = 0usize;
        for room in 0..10 {
            let popularity: Vec<[f64; 3]> = (0..100)
                .map(|_| {
                    let a: f64 = r.gen_range(1.0..6.0);
                    let b: f64 = r.gen_range(1.0..3.0);
                    [a, b, 1.0]
                })
                .collect();
            let mut attempts: Vec<RoomAttempt> = (0..30)
                .map(|c| {
                    let ability = r.gen_range(0.4..0.9);
                    RoomAttempt {
                        attempt_id: room * 100 + c,
                        responses: (0..100)
                            .map(|i| {
                                let right = r.gen::<f64>() < ability;
                                let chosen = if right {
                                    1
                                } else {
                                    let w = popularity[i as usize];
                                    let x = r.gen_range(0.0..w.iter().sum::<f64>());
                                    let k = if x < w[0] {
                                        1
                                    } else if x < w[0] + w[1] {
                                        2
                                    } else {
                                        3
                                    };
                                    1 << k
                                };
                                Response {
                                    item_id: i,
                                    credit: if right { 1.0 } else { 0.0 },
                                    max_points: 1.0,
                                    chosen,
                                }
                            })
                            .collect(),
                    }
                })
                .collect();
            let (src, dst) = (3usize, 17usize);
            for i in 0..100 {
                if r.gen::<f64>() < 0.6 {
                    attempts[dst].responses[i] = attempts[src].responses[i];
                }
            }
            planted.push((attempts[src].attempt_id, attempts[dst].attempt_id));
            pairs += 30 * 29 / 2;
            flagged.extend(
                similar_pairs(&attempts, 5, 1e-5)
                    .into_iter()
                    .map(|f| f.attempts),
            );
        }
        let hit = planted.iter().filter(|p| flagged.contains(p)).count();
        let false_flags = flagged.iter().filter(|f| !planted.contains(f)).count();
        println!(
            "similar pairs: planted {} detected {hit}, false flags {false_flags} of {} honest pairs",
            planted.len(),
            pairs - planted.len()
        );
        // A copy from a strong candidate leaves few wrong answers to match: most, not
        // all, planted pairs are found; honest pairs almost never.
        assert!(hit * 10 >= planted.len() * 8, "{hit}");
        assert!(
            false_flags as f64 / (pairs - planted.len()) as f64 <= 0.001,
            "{false_flags}"
        );
    }

    #[test]
    fn the_poisson_tail_is_right_at_small_values() {
        // λ = 2: P(X ≥ 1) = 1 − e^−2; P(X ≥ 3) = 1 − e^−2 (1 + 2 + 2).
        assert!((poisson_tail(1, 2.0) - (1.0 - (-2.0f64).exp())).abs() < 1e-12);
        assert!((poisson_tail(3, 2.0) - (1.0 - (-2.0f64).exp() * 5.0)).abs() < 1e-12);
        assert_eq!(poisson_tail(0, 5.0), 1.0);
    }
}
