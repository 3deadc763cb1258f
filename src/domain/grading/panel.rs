//! Panel marking (DESIGN §3.4, §3.5): how many assessors a session needs, who may
//! serve (qualification scope and expiry, rotation), how one assessor's rubric marks
//! become points, and how a panel's independent marks become one score: the mean (or
//! trimmed mean) when they agree, arbitration when they spread too far, and a veto
//! that fails the component when most of the panel records it.

use serde::{Deserialize, Serialize};

use crate::domain::item::RubricElement;

/// Assessors per skills session: at least `min`, one per `per` candidates, and always
/// an odd number (a panel must be able to break a tie). *(config per occupation.)*
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssessorRatio {
    pub min: u32,
    pub per: u32,
}

impl Default for AssessorRatio {
    fn default() -> Self {
        AssessorRatio { min: 3, per: 5 }
    }
}

impl AssessorRatio {
    pub fn needed(&self, candidates: u32) -> u32 {
        let n = self.min.max(candidates.div_ceil(self.per.max(1)));
        if n % 2 == 0 {
            n + 1
        } else {
            n
        }
    }

    /// Whether a panel of `assessors` may mark a session of `candidates`.
    pub fn satisfied(&self, candidates: u32, assessors: u32) -> bool {
        assessors >= self.needed(candidates) && assessors % 2 == 1
    }
}

/// How a panel's marks become one score. *(config)*
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    #[default]
    Mean,
    /// The mean without the highest and the lowest mark (panels of three or more).
    TrimmedMean,
}

/// One assessor's qualification: an occupation up to a highest level (1 is the highest,
/// 5 the lowest), until a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Qualification {
    pub occupation_code: String,
    pub highest_level: u8,
    /// YYYY-MM-DD, inclusive.
    pub valid_until: String,
}

/// Whether the qualifications cover assessing `occupation` at `level` on `today`
/// (YYYY-MM-DD).
pub fn qualified(quals: &[Qualification], occupation: &str, level: u8, today: &str) -> bool {
    quals.iter().any(|q| {
        q.occupation_code == occupation
            && level >= q.highest_level
            && q.valid_until.as_str() >= today
    })
}

/// The rotation rule: an assessor may serve a body for at most `limit` consecutive
/// plans. `recent` says, newest first, whether they served each of the body's earlier
/// plans; serving this one too is refused when they served the last `limit`.
pub fn rotation_exceeded(recent: &[bool], limit: usize) -> bool {
    limit > 0 && recent.len() >= limit && recent[..limit].iter().all(|s| *s)
}

/// One assessor's mark of one task as submitted: points per rubric element and the
/// veto elements marked as not met.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ElementMarks {
    /// Points per rubric element, in the rubric's order (veto elements give none).
    pub points: Vec<f64>,
    /// Indexes of veto elements the candidate did not meet.
    #[serde(default)]
    pub vetoed: Vec<usize>,
}

/// Why a mark is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkError {
    /// Not one entry per rubric element.
    Shape,
    /// An element's points are outside 0 … its maximum.
    Range(usize),
    /// A vetoed index is not a veto element.
    NotVeto(usize),
}

impl MarkError {
    pub fn code(self) -> (&'static str, Option<String>) {
        match self {
            MarkError::Shape => ("marking_error.shape", None),
            MarkError::Range(i) => ("marking_error.range", Some((i + 1).to_string())),
            MarkError::NotVeto(i) => ("marking_error.not_veto", Some((i + 1).to_string())),
        }
    }
}

/// An assessor's mark as points out of the position's `max_points`, with whether a veto
/// element was marked unmet. Rubric points scale to the position's points.
pub fn mark_points(
    rubric: &[RubricElement],
    marks: &ElementMarks,
    max_points: f64,
) -> Result<(f64, bool), MarkError> {
    if marks.points.len() != rubric.len() {
        return Err(MarkError::Shape);
    }
    for (i, (e, p)) in rubric.iter().zip(&marks.points).enumerate() {
        let max = if e.veto { 0.0 } else { e.points };
        if !p.is_finite() || *p < 0.0 || *p > max + 1e-9 {
            return Err(MarkError::Range(i));
        }
    }
    for &v in &marks.vetoed {
        if !rubric.get(v).is_some_and(|e| e.veto) {
            return Err(MarkError::NotVeto(v));
        }
    }
    let total: f64 = rubric.iter().filter(|e| !e.veto).map(|e| e.points).sum();
    let got: f64 = marks.points.iter().sum();
    let points = match total > 0.0 {
        true => super::round2(got / total * max_points),
        false => 0.0,
    };
    Ok((points, !marks.vetoed.is_empty()))
}

/// One submitted mark, as the panel rule reads it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PanelMark {
    pub points: f64,
    pub veto: bool,
}

/// Where a task's marking stands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PanelOutcome {
    /// Not every assessor of the panel has submitted: nobody sees the others' marks.
    Waiting { submitted: usize, panel: usize },
    /// The marks spread further than the threshold: the leader (or an added assessor)
    /// decides.
    Arbitration { spread: f64 },
    /// The task's points, and whether a veto fails the component.
    Scored { points: f64, vetoed: bool },
}

/// The panel rule. `arbitrated` is the arbitrator's decision, once made.
pub fn panel_outcome(
    marks: &[PanelMark],
    panel: usize,
    method: Aggregation,
    spread_threshold: f64,
    arbitrated: Option<PanelMark>,
) -> PanelOutcome {
    if marks.len() < panel.max(1) {
        return PanelOutcome::Waiting {
            submitted: marks.len(),
            panel,
        };
    }
    if let Some(a) = arbitrated {
        return PanelOutcome::Scored {
            points: a.points,
            vetoed: a.veto,
        };
    }
    let max = marks.iter().map(|m| m.points).fold(f64::MIN, f64::max);
    let min = marks.iter().map(|m| m.points).fold(f64::MAX, f64::min);
    let spread = super::round2(max - min);
    if spread > spread_threshold + 1e-9 {
        return PanelOutcome::Arbitration { spread };
    }
    let mut points: Vec<f64> = marks.iter().map(|m| m.points).collect();
    points.sort_by(f64::total_cmp);
    let kept: &[f64] = match (method, points.len()) {
        (Aggregation::TrimmedMean, n) if n >= 3 => &points[1..n - 1],
        _ => &points,
    };
    let mean = kept.iter().sum::<f64>() / kept.len() as f64;
    // A veto counts when most of the panel records it.
    let vetoes = marks.iter().filter(|m| m.veto).count();
    PanelOutcome::Scored {
        points: super::round2(mean),
        vetoed: vetoes * 2 > marks.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(points: f64) -> PanelMark {
        PanelMark {
            points,
            veto: false,
        }
    }

    #[test]
    fn panels_are_odd_and_grow_with_the_session() {
        let r = AssessorRatio::default();
        assert_eq!(r.needed(1), 3);
        assert_eq!(r.needed(15), 3);
        assert_eq!(r.needed(16), 5);
        assert_eq!(r.needed(20), 5);
        assert_eq!(r.needed(26), 7);
        assert!(r.satisfied(10, 3));
        assert!(!r.satisfied(10, 4), "even panels cannot break a tie");
        assert!(!r.satisfied(30, 5));
    }

    #[test]
    fn qualifications_cover_their_scope_until_they_expire() {
        let q = vec![Qualification {
            occupation_code: "4-10-01-05".into(),
            highest_level: 3,
            valid_until: "2027-06-30".into(),
        }];
        assert!(qualified(&q, "4-10-01-05", 5, "2026-12-04"));
        assert!(qualified(&q, "4-10-01-05", 3, "2027-06-30"));
        assert!(
            !qualified(&q, "4-10-01-05", 2, "2026-12-04"),
            "above their level"
        );
        assert!(!qualified(&q, "4-10-01-05", 5, "2027-07-01"), "expired");
        assert!(
            !qualified(&q, "6-29-02-05", 5, "2026-12-04"),
            "another occupation"
        );
    }

    #[test]
    fn rotation_stops_the_fourth_consecutive_plan() {
        assert!(!rotation_exceeded(&[true, true], 3));
        assert!(rotation_exceeded(&[true, true, true], 3));
        assert!(!rotation_exceeded(&[true, false, true, true], 3));
        assert!(!rotation_exceeded(&[true; 5], 0), "0 turns the rule off");
    }

    #[test]
    fn rubric_marks_scale_to_the_positions_points_and_are_checked() {
        let rubric = vec![
            RubricElement {
                element: "准备".into(),
                points: 20.0,
                veto: false,
            },
            RubricElement {
                element: "操作".into(),
                points: 60.0,
                veto: false,
            },
            RubricElement {
                element: "安全".into(),
                points: 0.0,
                veto: true,
            },
        ];
        let ok = ElementMarks {
            points: vec![15.0, 45.0, 0.0],
            vetoed: vec![],
        };
        assert_eq!(mark_points(&rubric, &ok, 100.0), Ok((75.0, false)));
        let vetoed = ElementMarks {
            points: vec![20.0, 60.0, 0.0],
            vetoed: vec![2],
        };
        assert_eq!(mark_points(&rubric, &vetoed, 10.0), Ok((10.0, true)));
        let over = ElementMarks {
            points: vec![25.0, 0.0, 0.0],
            vetoed: vec![],
        };
        assert_eq!(mark_points(&rubric, &over, 100.0), Err(MarkError::Range(0)));
        let not_veto = ElementMarks {
            points: vec![0.0, 0.0, 0.0],
            vetoed: vec![1],
        };
        assert_eq!(
            mark_points(&rubric, &not_veto, 100.0),
            Err(MarkError::NotVeto(1))
        );
        let short = ElementMarks {
            points: vec![1.0],
            vetoed: vec![],
        };
        assert_eq!(mark_points(&rubric, &short, 100.0), Err(MarkError::Shape));
    }

    #[test]
    fn marks_stay_hidden_until_all_are_in_then_agree_or_go_to_arbitration() {
        let method = Aggregation::Mean;
        assert_eq!(
            panel_outcome(&[m(70.0), m(72.0)], 3, method, 10.0, None),
            PanelOutcome::Waiting {
                submitted: 2,
                panel: 3
            }
        );
        assert_eq!(
            panel_outcome(&[m(70.0), m(72.0), m(74.0)], 3, method, 10.0, None),
            PanelOutcome::Scored {
                points: 72.0,
                vetoed: false
            }
        );
        assert_eq!(
            panel_outcome(&[m(60.0), m(72.0), m(74.0)], 3, method, 10.0, None),
            PanelOutcome::Arbitration { spread: 14.0 }
        );
        let decided = PanelMark {
            points: 68.0,
            veto: false,
        };
        assert_eq!(
            panel_outcome(&[m(60.0), m(72.0), m(74.0)], 3, method, 10.0, Some(decided)),
            PanelOutcome::Scored {
                points: 68.0,
                vetoed: false
            }
        );
        // Trimmed mean drops the highest and the lowest.
        assert_eq!(
            panel_outcome(
                &[m(60.0), m(66.0), m(69.0)],
                3,
                Aggregation::TrimmedMean,
                10.0,
                None
            ),
            PanelOutcome::Scored {
                points: 66.0,
                vetoed: false
            }
        );
        // A veto fails when most of the panel records it.
        let v = PanelMark {
            points: 80.0,
            veto: true,
        };
        assert_eq!(
            panel_outcome(&[v, v, m(80.0)], 3, method, 10.0, None),
            PanelOutcome::Scored {
                points: 80.0,
                vetoed: true
            }
        );
        assert_eq!(
            panel_outcome(&[v, m(80.0), m(80.0)], 3, method, 10.0, None),
            PanelOutcome::Scored {
                points: 80.0,
                vetoed: false
            }
        );
    }
}
