//! Credit and exit (DESIGN §3.8): every evaluation body and every assessor has a ledger
//! of events, each citing a rule of a configurable catalogue. The score, the grade and
//! the standing that every planning, assignment, grading and issuance path consults are
//! *derived* here from the ledger; nothing stores them as an editable number.
//!
//! - Score: the yearly base plus the confirmed events of the year (deductions negative,
//!   small additions positive), never below 0.
//! - Grade: A ≥ 90, B ≥ 75, C ≥ 60, D below *(config)*.
//! - A body at C owes rectification by a deadline and is sampled for inspection more
//!   often; at D it is suspended (no new plans, no issuance); a confirmed hard-exit event
//!   (in any year) means exit: out of the public catalogue, plans frozen, issuance
//!   blocked, re-filing barred for a period.
//! - An assessor below the suspension line is suspended; a hard-exit event disqualifies.
//!   Either removes them from assignment and marking at once.
//!
//! Events an inspector proposes count only once a regulator officer confirms them; an
//! upheld appeal reverses an event, which then no longer counts.

use serde::{Deserialize, Serialize};

use super::org::OrgStatus;

/// Whose ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Body,
    Assessor,
}

impl SubjectKind {
    pub const ALL: [SubjectKind; 2] = [SubjectKind::Body, SubjectKind::Assessor];

    pub fn code(self) -> &'static str {
        match self {
            SubjectKind::Body => "body",
            SubjectKind::Assessor => "assessor",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// One rule of the catalogue *(config)*.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditRule {
    /// Short stable code cited by events, e.g. `B03`.
    pub code: String,
    pub applies_to: SubjectKind,
    /// Points the event adds: negative for a deduction, positive for an addition.
    pub points: i32,
    /// Exit (a body) or disqualification (an assessor) whatever the score.
    #[serde(default)]
    pub hard_exit: bool,
    pub description: String,
    pub description_en: String,
}

/// The credit policy *(config)*.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CreditPolicy {
    /// Every year's starting score.
    pub base: i32,
    pub grade_a: i32,
    pub grade_b: i32,
    pub grade_c: i32,
    /// An assessor whose score falls below this is suspended.
    pub assessor_suspend_below: i32,
    /// A body that falls to grade C rectifies within this many days.
    pub rectification_days: i64,
    /// An exited body may not be filed again for this many days.
    pub refile_bar_days: i64,
    pub rules: Vec<CreditRule>,
}

fn rule(code: &str, to: SubjectKind, points: i32, hard: bool, zh: &str, en: &str) -> CreditRule {
    CreditRule {
        code: code.into(),
        applies_to: to,
        points,
        hard_exit: hard,
        description: zh.into(),
        description_en: en.into(),
    }
}

impl Default for CreditPolicy {
    fn default() -> Self {
        use SubjectKind::{Assessor as A, Body as B};
        CreditPolicy {
            base: 100,
            grade_a: 90,
            grade_b: 75,
            grade_c: 60,
            assessor_suspend_below: 60,
            rectification_days: 90,
            refile_bar_days: 3 * 365,
            rules: vec![
                rule(
                    "B01",
                    B,
                    -5,
                    false,
                    "考务组织不规范",
                    "Exam administration not as required",
                ),
                rule(
                    "B02",
                    B,
                    -10,
                    false,
                    "考评人员配备不足",
                    "Too few proctors or assessors",
                ),
                rule(
                    "B03",
                    B,
                    -10,
                    false,
                    "未按规定回避",
                    "Recusal rules not followed",
                ),
                rule("B04", B, -5, false, "档案资料不全", "Incomplete records"),
                rule(
                    "B05",
                    B,
                    -15,
                    false,
                    "评分或成绩管理不规范",
                    "Marking or results not as required",
                ),
                rule(
                    "B06",
                    B,
                    -20,
                    false,
                    "未按期报送数据",
                    "Data not reported on time",
                ),
                rule("B20", B, 3, false, "整改到位", "Rectified in time"),
                rule(
                    "B21",
                    B,
                    5,
                    false,
                    "年度检查优秀",
                    "Excellent annual inspection",
                ),
                rule(
                    "X01",
                    B,
                    0,
                    true,
                    "伪造、篡改评价记录",
                    "Falsified or altered records",
                ),
                rule(
                    "X02",
                    B,
                    0,
                    true,
                    "组织或纵容替考",
                    "Organised or tolerated impersonation",
                ),
                rule(
                    "X03",
                    B,
                    0,
                    true,
                    "超出备案范围开展评价",
                    "Assessment outside the filed scope",
                ),
                rule(
                    "X04",
                    B,
                    0,
                    true,
                    "未经评价或向不合格人员发证",
                    "Certificates without assessment or to candidates who failed",
                ),
                rule("X05", B, 0, true, "泄露试题", "Leaked items"),
                rule("X06", B, 0, true, "拒不接受监督检查", "Refused supervision"),
                rule("X07", B, 0, true, "整改不到位", "Failed rectification"),
                rule("A01", A, -20, false, "应回避未回避", "Failed to recuse"),
                rule(
                    "A02",
                    A,
                    -10,
                    false,
                    "评分偏差",
                    "Scoring deviated from the panel",
                ),
                rule("A03", A, -5, false, "无故缺席", "Absent without reason"),
                rule(
                    "A04",
                    A,
                    0,
                    true,
                    "泄露试题或评分信息",
                    "Leaked items or marks",
                ),
                rule("A05", A, 0, true, "徇私舞弊", "Favouritism or fraud"),
            ],
        }
    }
}

impl CreditPolicy {
    pub fn rule(&self, code: &str) -> Option<&CreditRule> {
        self.rules.iter().find(|r| r.code == code)
    }

    /// Checks the catalogue when settings are loaded: codes unique, thresholds ordered.
    pub fn check(&self) -> Result<(), String> {
        let mut codes: Vec<&str> = self.rules.iter().map(|r| r.code.as_str()).collect();
        codes.sort_unstable();
        if let Some(w) = codes.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("credit rule code {} appears twice", w[0]));
        }
        if !(self.grade_a > self.grade_b && self.grade_b > self.grade_c && self.grade_c > 0) {
            return Err("credit grades must satisfy grade_a > grade_b > grade_c > 0".into());
        }
        Ok(())
    }
}

/// An event's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    /// Proposed by an inspector; counts once a regulator officer confirms it.
    Proposed,
    Confirmed,
    /// The officer did not confirm the proposal.
    Rejected,
    /// An upheld appeal took it back.
    Reversed,
}

impl EventStatus {
    pub const ALL: [EventStatus; 4] = [
        EventStatus::Proposed,
        EventStatus::Confirmed,
        EventStatus::Rejected,
        EventStatus::Reversed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EventStatus::Proposed => "proposed",
            EventStatus::Confirmed => "confirmed",
            EventStatus::Rejected => "rejected",
            EventStatus::Reversed => "reversed",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// What the derivation reads of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub year: i32,
    pub points: i32,
    pub hard_exit: bool,
    pub status: EventStatus,
    /// When it was confirmed (or recorded, for events an officer recorded directly).
    pub at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub enum Grade {
    A,
    B,
    C,
    D,
}

impl Grade {
    pub fn code(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
        }
    }

    /// How much more often than an A body an inspection sample picks this grade's plans.
    pub fn sampling_weight(self) -> u32 {
        match self {
            Grade::A => 1,
            Grade::B => 2,
            Grade::C => 4,
            Grade::D => 8,
        }
    }
}

pub fn grade(score: i32, policy: &CreditPolicy) -> Grade {
    if score >= policy.grade_a {
        Grade::A
    } else if score >= policy.grade_b {
        Grade::B
    } else if score >= policy.grade_c {
        Grade::C
    } else {
        Grade::D
    }
}

/// The year's score: the base plus the year's confirmed events, never below 0.
pub fn score(entries: &[Entry], year: i32, policy: &CreditPolicy) -> i32 {
    let delta: i32 = entries
        .iter()
        .filter(|e| e.status == EventStatus::Confirmed && e.year == year)
        .map(|e| e.points)
        .sum();
    (policy.base + delta).max(0)
}

/// A subject's standing as every gate reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Standing {
    pub score: i32,
    pub grade: Grade,
    /// `active`, `suspended` or `exited` (for an assessor: exited = disqualified).
    pub status: OrgStatus,
    /// When the hard-exit event was confirmed.
    pub exited_at_ms: Option<i64>,
    /// Grade C: the date (ms) by which the body must have rectified.
    pub rectify_by_ms: Option<i64>,
}

impl Standing {
    /// Plans, assigns, marks and issues: only in good standing (grades A–C, not exited).
    pub fn in_good_standing(&self) -> bool {
        self.status == OrgStatus::Active
    }
}

const DAY_MS: i64 = 86_400_000;

/// Derives the standing of a body (or, with [`assessor_standing`], an assessor) from
/// its ledger in `year`.
pub fn body_standing(entries: &[Entry], year: i32, policy: &CreditPolicy) -> Standing {
    let score = score(entries, year, policy);
    let grade = grade(score, policy);
    let exited_at_ms = exited_at(entries);
    let status = if exited_at_ms.is_some() {
        OrgStatus::Exited
    } else if grade == Grade::D {
        OrgStatus::Suspended
    } else {
        OrgStatus::Active
    };
    let rectify_by_ms = (grade == Grade::C && exited_at_ms.is_none())
        .then(|| fell_to_c_at(entries, year, policy))
        .flatten()
        .map(|at| at + policy.rectification_days * DAY_MS);
    Standing {
        score,
        grade,
        status,
        exited_at_ms,
        rectify_by_ms,
    }
}

/// An assessor: suspended below the line, disqualified (`Exited`) by a hard-exit event.
pub fn assessor_standing(entries: &[Entry], year: i32, policy: &CreditPolicy) -> Standing {
    let score = score(entries, year, policy);
    let exited_at_ms = exited_at(entries);
    let status = if exited_at_ms.is_some() {
        OrgStatus::Exited
    } else if score < policy.assessor_suspend_below {
        OrgStatus::Suspended
    } else {
        OrgStatus::Active
    };
    Standing {
        score,
        grade: grade(score, policy),
        status,
        exited_at_ms,
        rectify_by_ms: None,
    }
}

fn exited_at(entries: &[Entry]) -> Option<i64> {
    entries
        .iter()
        .filter(|e| e.status == EventStatus::Confirmed && e.hard_exit)
        .map(|e| e.at_ms)
        .min()
}

/// When the year's running score last dropped from B or better to C or worse: the
/// rectification deadline runs from then.
fn fell_to_c_at(entries: &[Entry], year: i32, policy: &CreditPolicy) -> Option<i64> {
    let mut counted: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.status == EventStatus::Confirmed && e.year == year)
        .collect();
    counted.sort_by_key(|e| e.at_ms);
    let mut running = policy.base;
    let mut fell = None;
    for e in counted {
        let before = grade(running.max(0), policy);
        running += e.points;
        let after = grade(running.max(0), policy);
        // From A or B into C or D: the deadline runs from the fall, also when the body
        // went through D on its way back up to C.
        if before < Grade::C && after >= Grade::C {
            fell = Some(e.at_ms);
        }
    }
    fell
}

/// Whether a body with this name or code may be filed now: not while an exited body of
/// the same name or code (other than the provincial `0000`) is within its bar.
pub fn refile_barred(exited_at_ms: i64, now_ms: i64, policy: &CreditPolicy) -> bool {
    now_ms < exited_at_ms + policy.refile_bar_days * DAY_MS
}

/// Draws `n` of `candidates` (id, weight) without replacement, each draw in proportion
/// to weight, reproducibly from `seed` (the regulator's inspection sample: grade C and D
/// bodies and flagged plans weigh more). Efraimidis–Spirakis keys: the `n` largest
/// `u^(1/w)`.
pub fn weighted_sample(candidates: &[(i64, u32)], n: usize, seed: u64) -> Vec<i64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut keyed: Vec<(f64, i64)> = candidates
        .iter()
        .filter(|(_, w)| *w > 0)
        .map(|&(id, w)| {
            let u: f64 = rng.gen_range(f64::EPSILON..1.0);
            (u.powf(1.0 / f64::from(w)), id)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    keyed.into_iter().take(n).map(|(_, id)| id).collect()
}

#[cfg(test)]
mod tests;
