//! Assessment plans and theory-exam delivery (DESIGN §3.4): the per-plan paper
//! template ([`PlanTemplate`]), staffing and recusal ([`staffing`]), the attempt's clock
//! and proctor actions ([`clock`]: the server decides), the answer-save rules
//! ([`answers`]: sequence numbers, deadline plus grace) and inspection findings
//! ([`findings`]). Pure: the store applies these rules inside its transactions.

pub mod answers;
pub mod clock;
pub mod components;
pub mod findings;
pub mod staffing;

pub use answers::*;
pub use clock::*;
pub use findings::*;
pub use staffing::*;

use serde::{Deserialize, Serialize};

use super::assembly::Template;

/// How multiple-choice items score a partly right answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartialCredit {
    /// All or nothing.
    None,
    /// Half the points for a non-empty subset of the keys with no wrong option (the
    /// usual rule of national theory papers).
    HalfForSubset,
}

/// Points as people write them: `1`, `0.5`, `2.25` (no trailing `.0`).
pub fn points_text(points: f64) -> String {
    let s = format!("{:.2}", points);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Why a plan's date or a session's start is refused: plans and sessions are for the
/// future, not the record of the past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenRefusal {
    /// The exam date is before today (China Standard Time).
    DateInPast,
    /// The session starts before the current minute.
    StartInPast,
}

impl WhenRefusal {
    pub fn code(self) -> &'static str {
        match self {
            WhenRefusal::DateInPast => "exam_error.date_past",
            WhenRefusal::StartInPast => "exam_error.start_past",
        }
    }
}

/// A plan's exam date: today or later (China Standard Time).
pub fn check_exam_date(date: time::Date, now_ms: i64) -> Result<(), WhenRefusal> {
    match date < super::time::local_date(now_ms) {
        true => Err(WhenRefusal::DateInPast),
        false => Ok(()),
    }
}

/// A session's start: not before the current minute (a form takes minutes, so a
/// session "starting now" is allowed).
pub fn check_session_start(starts_ms: i64, now_ms: i64) -> Result<(), WhenRefusal> {
    match starts_ms < now_ms - now_ms.rem_euclid(60_000) {
        true => Err(WhenRefusal::StartInPast),
        false => Ok(()),
    }
}

/// What a plan fixes about its paper (DESIGN §3.2: a per-plan template, not a constant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanTemplate {
    pub paper: Template,
    /// Seconds (plans set minutes; drills and tests use short papers).
    pub duration_seconds: u32,
    pub pass_mark: f64,
    pub partial_credit: PartialCredit,
}

impl PlanTemplate {
    pub fn validate(&self) -> Result<(), &'static str> {
        if !(10..=36_000).contains(&self.duration_seconds) {
            return Err("duration_minutes");
        }
        if self.paper.quotas.is_empty() || self.paper.item_count() == 0 {
            return Err("quotas");
        }
        if self.paper.item_count() > 1000 {
            return Err("quotas");
        }
        if self
            .paper
            .quotas
            .iter()
            .any(|q| q.points <= 0.0 || !q.points.is_finite())
        {
            return Err("quotas");
        }
        if !(0.0..=self.paper.total_points()).contains(&self.pass_mark) {
            return Err("pass_mark");
        }
        if !(1.0..=5.0).contains(&self.paper.difficulty_target)
            || !(0.0..=4.0).contains(&self.paper.difficulty_tolerance)
        {
            return Err("difficulty");
        }
        Ok(())
    }

    pub fn duration_ms(&self) -> i64 {
        i64::from(self.duration_seconds) * 1000
    }
}

/// A plan's life: drafted, (approved by the regulator where required,) open for its
/// roster, roster closed with papers generated, finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    PendingApproval,
    Open,
    RosterClosed,
    Closed,
}

impl PlanStatus {
    pub const ALL: [PlanStatus; 4] = [
        PlanStatus::PendingApproval,
        PlanStatus::Open,
        PlanStatus::RosterClosed,
        PlanStatus::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PlanStatus::PendingApproval => "pending_approval",
            PlanStatus::Open => "open",
            PlanStatus::RosterClosed => "roster_closed",
            PlanStatus::Closed => "closed",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == s)
    }
}

/// An admission number (准考证号): plan, session and seat, unique and readable out loud.
pub fn admission_number(plan_id: i64, ordinal: i64) -> String {
    format!("{plan_id:05}{ordinal:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_read_as_written() {
        assert_eq!(points_text(1.0), "1");
        assert_eq!(points_text(0.5), "0.5");
        assert_eq!(points_text(2.25), "2.25");
        assert_eq!(points_text(10.0), "10");
    }

    #[test]
    fn plans_and_sessions_are_for_the_future() {
        let now = crate::domain::time::parse_local_time("2026-12-04T09:30").unwrap() + 42_000;
        let today = crate::domain::time::parse_date("2026-12-04").unwrap();
        let yesterday = crate::domain::time::parse_date("2026-12-03").unwrap();
        assert_eq!(check_exam_date(today, now), Ok(()));
        assert_eq!(
            check_exam_date(yesterday, now),
            Err(WhenRefusal::DateInPast)
        );
        // The current minute is "now"; the one before is past.
        assert_eq!(check_session_start(now - 42_000, now), Ok(()));
        assert_eq!(
            check_session_start(now - 42_001, now),
            Err(WhenRefusal::StartInPast)
        );
    }
}
