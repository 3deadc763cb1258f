//! Item analysis (DESIGN §3.8, classical test theory), pure: per item difficulty
//! (p-value), discrimination (corrected point-biserial and the upper–lower index),
//! option and blank counts, exposure; per paper Cronbach's alpha and KR-20; and the
//! flags that send an item back to its author.
//!
//! Input is one compact response record per scored attempt ([`Response`], written with
//! the score in the same transaction and stored as [`encode`]d bytes), so analysing
//! 100,000 attempts × 100 items reads 100,000 small blobs, not ten million rows or the
//! papers' JSON.
//!
//! Every candidate sits a different (equivalent) paper, so the item × attempt matrix is
//! sparse: item statistics are over the attempts that saw the item; the upper and lower
//! groups are the top and bottom 27 % of all attempts by objective score; reliability
//! is computed over paper *positions*, which the blueprint makes equivalent across
//! papers (same type and points at each position).

use serde::Serialize;

use super::grading::Outcome;
use super::item::{ItemContent, ItemType};

/// One position of one scored attempt, as item analysis reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Response {
    pub item_id: i64,
    /// Share of the points scored, 0 to 1; negative for a position waiting for
    /// assessors (item analysis covers what the machine scores).
    pub credit: f32,
    pub max_points: f32,
    /// The options chosen, as a bit set of the item's own option indices (true/false:
    /// bit 0 = true, bit 1 = false); 0 when blank or not a choice.
    pub chosen: u32,
}

const RECORD: usize = 20;

/// Bytes of a response list: 20 little-endian bytes per position.
pub fn encode(rows: &[Response]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * RECORD);
    for r in rows {
        out.extend_from_slice(&r.item_id.to_le_bytes());
        out.extend_from_slice(&r.credit.to_le_bytes());
        out.extend_from_slice(&r.max_points.to_le_bytes());
        out.extend_from_slice(&r.chosen.to_le_bytes());
    }
    out
}

/// Reads [`encode`]d bytes; `None` when the length is not a whole number of records.
pub fn decode(bytes: &[u8]) -> Option<Vec<Response>> {
    if bytes.len() % RECORD != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(RECORD)
            .map(|c| Response {
                item_id: i64::from_le_bytes(c[0..8].try_into().unwrap_or_default()),
                credit: f32::from_le_bytes(c[8..12].try_into().unwrap_or_default()),
                max_points: f32::from_le_bytes(c[12..16].try_into().unwrap_or_default()),
                chosen: u32::from_le_bytes(c[16..20].try_into().unwrap_or_default()),
            })
            .collect(),
    )
}

/// The options a saved answer chose, as a bit set of the item's own option indices:
/// shown positions are mapped back through the shuffled order.
pub fn chosen_mask(c: &ItemContent, order: &[u8], answer: Option<&serde_json::Value>) -> u32 {
    let Some(answer) = answer.filter(|a| !a.is_null()) else {
        return 0;
    };
    match c.item_type {
        ItemType::TrueFalse => match answer.as_bool() {
            Some(true) => 1,
            Some(false) => 2,
            None => 0,
        },
        ItemType::SingleChoice | ItemType::MultipleChoice => {
            let Some(shown) = answer.as_array() else {
                return 0;
            };
            let mut mask = 0u32;
            for v in shown {
                let Some(s) = v.as_u64().and_then(|s| usize::try_from(s).ok()) else {
                    continue;
                };
                let orig = match order.is_empty() {
                    true => Some(s),
                    false => order.get(s).map(|&o| usize::from(o)),
                };
                if let Some(o) = orig.filter(|&o| o < 32 && o < c.options.len()) {
                    mask |= 1 << o;
                }
            }
            mask
        }
        _ => 0,
    }
}

/// The response of a scored position.
pub fn response(
    item_id: i64,
    c: &ItemContent,
    order: &[u8],
    answer: Option<&serde_json::Value>,
    points: f64,
    max_points: f64,
    outcome: Outcome,
) -> Response {
    let credit = match outcome {
        Outcome::Pending => -1.0,
        _ if max_points > 0.0 => (points / max_points) as f32,
        _ => 0.0,
    };
    Response {
        item_id,
        credit,
        max_points: max_points as f32,
        chosen: chosen_mask(c, order, answer),
    }
}

/// Why an item is sent back to its author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemFlag {
    /// Stronger candidates do worse on it than weaker ones: a wrong key or a trap.
    NegativeDiscrimination,
    /// Barely separates strong from weak candidates.
    LowDiscrimination,
    /// No one answered it right.
    NoneCorrect,
    /// Everyone answered it right.
    AllCorrect,
}

impl ItemFlag {
    pub fn code(self) -> &'static str {
        match self {
            ItemFlag::NegativeDiscrimination => "negative_discrimination",
            ItemFlag::LowDiscrimination => "low_discrimination",
            ItemFlag::NoneCorrect => "none_correct",
            ItemFlag::AllCorrect => "all_correct",
        }
    }
}

/// Flags need this many responses: fewer say little about an item.
pub const MIN_RESPONSES: u32 = 10;
/// Below this corrected point-biserial an item discriminates too little.
pub const LOW_DISCRIMINATION: f64 = 0.1;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemStats {
    pub item_id: i64,
    /// Attempts that saw the item.
    pub responses: u32,
    /// Share of all analysed attempts that saw it.
    pub exposure: f64,
    /// Mean share of its points scored (difficulty: higher is easier).
    pub p_value: f64,
    /// Corrected point-biserial: the correlation of the item with the rest of the
    /// paper; `None` when either does not vary.
    pub point_biserial: Option<f64>,
    /// p in the top 27 % minus p in the bottom 27 %; `None` without both groups.
    pub upper_lower: Option<f64>,
    /// How many chose each of the item's own options (in the item's order).
    pub option_counts: Vec<u32>,
    pub blank: u32,
    pub flags: Vec<ItemFlag>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PaperStats {
    pub attempts: u32,
    /// Mean objective score as a share of the objective points.
    pub mean: f64,
    pub sd: f64,
    /// Cronbach's alpha over paper positions; `None` with fewer than 2 positions or no
    /// variance.
    pub alpha: Option<f64>,
    /// KR-20 (right/wrong scoring of every position); `None` when alpha is.
    pub kr20: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Analysis {
    pub paper: PaperStats,
    pub items: Vec<ItemStats>,
}

#[derive(Default, Clone)]
struct Acc {
    n: u32,
    sx: f64,
    sxx: f64,
    sy: f64,
    syy: f64,
    sxy: f64,
    upper: (u32, f64),
    lower: (u32, f64),
    options: Vec<u32>,
    blank: u32,
}

#[derive(Default, Clone, Copy)]
struct Moments {
    n: f64,
    s: f64,
    ss: f64,
}

impl Moments {
    fn add(&mut self, x: f64) {
        self.n += 1.0;
        self.s += x;
        self.ss += x * x;
    }
    /// Population variance.
    fn var(&self) -> f64 {
        if self.n == 0.0 {
            return 0.0;
        }
        let m = self.s / self.n;
        (self.ss / self.n - m * m).max(0.0)
    }
}

fn pearson(n: f64, sx: f64, sxx: f64, sy: f64, syy: f64, sxy: f64) -> Option<f64> {
    let vx = n * sxx - sx * sx;
    let vy = n * syy - sy * sy;
    if n < 2.0 || vx <= 1e-12 || vy <= 1e-12 {
        return None;
    }
    Some(((n * sxy - sx * sy) / (vx.sqrt() * vy.sqrt())).clamp(-1.0, 1.0))
}

/// Item and paper statistics over the attempts given (each its positions' responses).
pub fn analyse(attempts: &[Vec<Response>]) -> Analysis {
    let objective = |r: &Response| r.credit >= 0.0;
    // Pass 1: each attempt's objective total and share; the positions' moments.
    let mut totals = Vec::with_capacity(attempts.len());
    let mut positions: Vec<Moments> = Vec::new();
    let mut positions_01: Vec<Moments> = Vec::new();
    let mut all_01_total = Moments::default();
    let mut share = Moments::default();
    let width = attempts.iter().map(Vec::len).max().unwrap_or(0);
    positions.resize(width, Moments::default());
    positions_01.resize(width, Moments::default());
    let mut total_moments = Moments::default();
    for a in attempts {
        let (mut points, mut max, mut right) = (0.0f64, 0.0f64, 0.0f64);
        for (pos, r) in a.iter().enumerate() {
            if !objective(r) {
                continue;
            }
            let got = f64::from(r.credit) * f64::from(r.max_points);
            points += got;
            max += f64::from(r.max_points);
            positions[pos].add(got);
            let ok = if r.credit >= 1.0 { 1.0 } else { 0.0 };
            positions_01[pos].add(ok);
            right += ok;
        }
        let s = if max > 0.0 { points / max } else { 0.0 };
        totals.push((points, s));
        share.add(s);
        total_moments.add(points);
        all_01_total.add(right);
    }
    // The upper and lower 27 % by share.
    let mut order: Vec<usize> = (0..attempts.len()).collect();
    order.sort_by(|&a, &b| totals[a].1.total_cmp(&totals[b].1));
    let group = (attempts.len() as f64 * 0.27).floor() as usize;
    let mut band = vec![0i8; attempts.len()];
    if group > 0 {
        for &i in &order[..group] {
            band[i] = -1;
        }
        for &i in &order[attempts.len() - group..] {
            band[i] = 1;
        }
    }
    // Pass 2: per item sums against the rest of the paper.
    let mut index: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    let mut accs: Vec<(i64, Acc)> = Vec::new();
    for (ai, a) in attempts.iter().enumerate() {
        let total = totals[ai].0;
        for r in a.iter().filter(|r| objective(r)) {
            let k = *index.entry(r.item_id).or_insert_with(|| {
                accs.push((r.item_id, Acc::default()));
                accs.len() - 1
            });
            let acc = &mut accs[k].1;
            let x = f64::from(r.credit);
            let rest = total - x * f64::from(r.max_points);
            acc.n += 1;
            acc.sx += x;
            acc.sxx += x * x;
            acc.sy += rest;
            acc.syy += rest * rest;
            acc.sxy += x * rest;
            match band[ai] {
                1 => {
                    acc.upper.0 += 1;
                    acc.upper.1 += x;
                }
                -1 => {
                    acc.lower.0 += 1;
                    acc.lower.1 += x;
                }
                _ => {}
            }
            if r.chosen == 0 {
                acc.blank += 1;
            } else {
                let top = 32 - r.chosen.leading_zeros() as usize;
                if acc.options.len() < top {
                    acc.options.resize(top, 0);
                }
                for (o, count) in acc.options.iter_mut().enumerate() {
                    if r.chosen & (1 << o) != 0 {
                        *count += 1;
                    }
                }
            }
        }
    }
    let n_attempts = attempts.len().max(1) as f64;
    let items = accs
        .into_iter()
        .map(|(item_id, a)| {
            let n = f64::from(a.n);
            let p = a.sx / n;
            let rpb = pearson(n, a.sx, a.sxx, a.sy, a.syy, a.sxy);
            let ul = (a.upper.0 > 0 && a.lower.0 > 0)
                .then(|| a.upper.1 / f64::from(a.upper.0) - a.lower.1 / f64::from(a.lower.0));
            let mut flags = Vec::new();
            if a.n >= MIN_RESPONSES {
                if p <= 0.0 {
                    flags.push(ItemFlag::NoneCorrect);
                } else if p >= 1.0 {
                    flags.push(ItemFlag::AllCorrect);
                }
                match rpb {
                    Some(r) if r < 0.0 => flags.push(ItemFlag::NegativeDiscrimination),
                    Some(r) if r < LOW_DISCRIMINATION => flags.push(ItemFlag::LowDiscrimination),
                    _ => {}
                }
            }
            ItemStats {
                item_id,
                responses: a.n,
                exposure: n / n_attempts,
                p_value: p,
                point_biserial: rpb,
                upper_lower: ul,
                option_counts: a.options,
                blank: a.blank,
                flags,
            }
        })
        .collect();
    let alpha_of = |parts: &[Moments], total: &Moments| {
        let k = parts.iter().filter(|m| m.n > 0.0).count() as f64;
        let vt = total.var();
        (k >= 2.0 && vt > 1e-12)
            .then(|| k / (k - 1.0) * (1.0 - parts.iter().map(Moments::var).sum::<f64>() / vt))
    };
    let paper = PaperStats {
        attempts: attempts.len() as u32,
        mean: if share.n > 0.0 {
            share.s / share.n
        } else {
            0.0
        },
        sd: share.var().sqrt(),
        alpha: alpha_of(&positions, &total_moments),
        kr20: alpha_of(&positions_01, &all_01_total),
    };
    Analysis { paper, items }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(item_id: i64, right: bool) -> Response {
        Response {
            item_id,
            credit: if right { 1.0 } else { 0.0 },
            max_points: 1.0,
            chosen: if right { 1 } else { 2 },
        }
    }

    /// Six candidates × four items, right (1) or wrong (0):
    ///
    /// ```text
    ///        i1 i2 i3 i4  total
    /// c1      1  1  1  0    3
    /// c2      1  1  0  0    2
    /// c3      1  0  1  0    2
    /// c4      1  1  0  1    3
    /// c5      0  0  0  1    1
    /// c6      1  0  0  1    2
    /// ```
    fn matrix() -> Vec<Vec<Response>> {
        let m = [
            [1, 1, 1, 0],
            [1, 1, 0, 0],
            [1, 0, 1, 0],
            [1, 1, 0, 1],
            [0, 0, 0, 1],
            [1, 0, 0, 1],
        ];
        m.iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .map(|(i, &x)| r(i as i64 + 1, x == 1))
                    .collect()
            })
            .collect()
    }

    fn item(a: &Analysis, id: i64) -> &ItemStats {
        a.items.iter().find(|i| i.item_id == id).unwrap()
    }

    #[test]
    fn difficulty_and_distractors_match_hand_counts() {
        let a = analyse(&matrix());
        assert_eq!(item(&a, 1).p_value, 5.0 / 6.0);
        assert_eq!(item(&a, 2).p_value, 0.5);
        assert_eq!(item(&a, 3).p_value, 2.0 / 6.0);
        assert_eq!(item(&a, 4).p_value, 0.5);
        assert_eq!(item(&a, 1).option_counts, vec![5, 1]);
        assert_eq!(item(&a, 1).exposure, 1.0);
        assert_eq!(a.paper.attempts, 6);
    }

    #[test]
    fn point_biserial_is_the_item_rest_correlation_by_hand() {
        // Item 4 against the rest (items 1–3): x = 0 0 0 1 1 1, rest = 3 2 2 2 0 1.
        // n = 6, Σx = 3, Σx² = 3, Σy = 10, Σy² = 22, Σxy = 3.
        // r = (6·3 − 3·10) / √((6·3 − 9)(6·22 − 100)) = −12 / √(9·32) = −0.7071…
        let a = analyse(&matrix());
        let r4 = item(&a, 4).point_biserial.unwrap();
        assert!(
            (r4 - (-12.0 / (9.0f64 * 32.0).sqrt())).abs() < 1e-12,
            "{r4}"
        );
        // Item 1: rest 2 1 1 2 1 1, the one who missed it has the lowest rest: positive.
        assert!(item(&a, 1).point_biserial.unwrap() > 0.0);
        // Item 2: rest 2 1 2 2 1 2 averages 5/3 whether right or wrong: zero.
        assert!(item(&a, 2).point_biserial.unwrap().abs() < 1e-12);
    }

    #[test]
    fn upper_lower_index_by_hand() {
        // 27 % of 6 = 1 attempt per group. By share: c5 (.25) lowest; c1 and c4 (.75)
        // tie for the top and the stable sort puts c4 last, so the upper group is c4
        // (1,1,0,1) and the lower c5 (0,0,0,1).
        let a = analyse(&matrix());
        assert_eq!(item(&a, 1).upper_lower, Some(1.0));
        assert_eq!(item(&a, 2).upper_lower, Some(1.0));
        assert_eq!(item(&a, 3).upper_lower, Some(0.0));
        assert_eq!(item(&a, 4).upper_lower, Some(0.0));
    }

    #[test]
    fn kr20_and_alpha_by_hand() {
        // Item variances p·q: 5/36, 1/4, 2/9, 1/4; Σ = 0.8611…; totals 3 2 2 3 1 2:
        // mean 13/6, variance (9+4+4+9+1+4)/6 − (13/6)² = 31/6 − 169/36 = 17/36.
        // KR-20 = 4/3 · (1 − 0.86111 / 0.47222) = −1.0980…
        let a = analyse(&matrix());
        let sum_pq = 5.0 / 36.0 + 0.25 + 2.0 / 9.0 + 0.25;
        let expected = 4.0 / 3.0 * (1.0 - sum_pq / (17.0 / 36.0));
        assert!((a.paper.kr20.unwrap() - expected).abs() < 1e-9);
        // With right/wrong scoring at one point each, alpha equals KR-20.
        assert!((a.paper.alpha.unwrap() - expected).abs() < 1e-9);
    }

    #[test]
    fn flags_need_enough_responses_and_name_the_fault() {
        // 20 attempts: item 9 is right exactly for the weakest half (negative), item 8
        // right for everyone, item 7 for no one; items 1–5 separate the two halves.
        let mut attempts = Vec::new();
        for c in 0..20 {
            let strong = c >= 10;
            let mut row: Vec<Response> = (1..=5).map(|i| r(i, strong)).collect();
            row.push(r(7, false));
            row.push(r(8, true));
            row.push(r(9, !strong));
            attempts.push(row);
        }
        let a = analyse(&attempts);
        assert_eq!(item(&a, 9).flags, vec![ItemFlag::NegativeDiscrimination]);
        assert_eq!(item(&a, 8).flags, vec![ItemFlag::AllCorrect]);
        assert_eq!(item(&a, 7).flags, vec![ItemFlag::NoneCorrect]);
        assert!(item(&a, 1).flags.is_empty());
        assert!(item(&a, 1).point_biserial.unwrap() > 0.9);
        // Too few responses: no flags.
        let few = analyse(&attempts[..5]);
        assert!(few.items.iter().all(|i| i.flags.is_empty()));
    }

    #[test]
    fn pending_positions_are_left_out_and_bytes_round_trip() {
        let mut row = vec![r(1, true), r(2, false)];
        row.push(Response {
            item_id: 3,
            credit: -1.0,
            max_points: 10.0,
            chosen: 0,
        });
        assert_eq!(decode(&encode(&row)).unwrap(), row);
        assert!(decode(&[0u8; 7]).is_none());
        let a = analyse(&[row.clone(), row]);
        assert!(a.items.iter().all(|i| i.item_id != 3));
    }
}
