//! The attempt's clock, as the server keeps it: admission, start, pause and resume,
//! extensions within a cap, termination, the exam-day login window, and whether a
//! save arriving now may be written.

use serde::{Deserialize, Serialize};

/// Minutes of grace after the deadline during which in-flight saves are still accepted
/// *(config)*; the attempt is submitted automatically once it has passed.
pub const DEFAULT_GRACE_MS: i64 = 30_000;
/// The most a proctor may extend one attempt in total, unless configured otherwise
/// (`exams.max_extension_minutes`).
pub const MAX_EXTENSION_MS: i64 = 30 * 60_000;

/// What a proctor's extension asks for, and the configured most one attempt may be
/// extended by in all; other actions carry [`Extension::NONE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension {
    pub ms: i64,
    pub cap_ms: i64,
}

impl Extension {
    pub const NONE: Extension = Extension { ms: 0, cap_ms: 0 };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// Paper generated, waiting for the proctor.
    Ready,
    /// Admitted by the proctor; the candidate may start.
    Admitted,
    InProgress,
    /// Stopped by the proctor; the clock does not run.
    Paused,
    Submitted,
    Terminated,
}

impl AttemptStatus {
    pub const ALL: [AttemptStatus; 6] = [
        AttemptStatus::Ready,
        AttemptStatus::Admitted,
        AttemptStatus::InProgress,
        AttemptStatus::Paused,
        AttemptStatus::Submitted,
        AttemptStatus::Terminated,
    ];
    pub fn code(self) -> &'static str {
        match self {
            AttemptStatus::Ready => "ready",
            AttemptStatus::Admitted => "admitted",
            AttemptStatus::InProgress => "in_progress",
            AttemptStatus::Paused => "paused",
            AttemptStatus::Submitted => "submitted",
            AttemptStatus::Terminated => "terminated",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == s)
    }
    pub fn is_final(self) -> bool {
        matches!(self, AttemptStatus::Submitted | AttemptStatus::Terminated)
    }

    /// Whether the candidate may see the paper: only while the attempt runs (paused
    /// included), not before the start and not after the end, since bank items are
    /// reused on later papers.
    pub fn shows_paper(self) -> bool {
        matches!(self, AttemptStatus::InProgress | AttemptStatus::Paused)
    }
}

/// The part of an attempt the clock and the save rules need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Clock {
    pub status: AttemptStatus,
    pub started_at_ms: Option<i64>,
    pub deadline_ms: Option<i64>,
    pub paused_at_ms: Option<i64>,
    pub extension_ms: i64,
}

impl Clock {
    /// Time left as the server sees it: frozen while paused, never negative.
    pub fn remaining_ms(&self, now_ms: i64) -> Option<i64> {
        let deadline = self.deadline_ms?;
        let at = match self.status {
            AttemptStatus::Paused => self.paused_at_ms.unwrap_or(now_ms),
            AttemptStatus::InProgress => now_ms,
            _ => return Some(0),
        };
        Some((deadline - at).max(0))
    }

    /// Whether a save arriving at `now_ms` may be written.
    pub fn check_save(&self, now_ms: i64, grace_ms: i64) -> Result<(), SaveRefusal> {
        match self.status {
            AttemptStatus::Ready | AttemptStatus::Admitted => Err(SaveRefusal::NotStarted),
            AttemptStatus::Paused => Err(SaveRefusal::Paused),
            AttemptStatus::Submitted | AttemptStatus::Terminated => Err(SaveRefusal::Closed),
            AttemptStatus::InProgress => match self.deadline_ms {
                Some(d) if now_ms <= d + grace_ms => Ok(()),
                _ => Err(SaveRefusal::PastDeadline),
            },
        }
    }
}

/// Why a save was not written. The client keeps the change queued for `Paused`; the
/// others are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SaveRefusal {
    NotStarted,
    Paused,
    Closed,
    PastDeadline,
}

impl SaveRefusal {
    pub const ALL: [SaveRefusal; 4] = [
        SaveRefusal::NotStarted,
        SaveRefusal::Paused,
        SaveRefusal::Closed,
        SaveRefusal::PastDeadline,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SaveRefusal::NotStarted => "attempt_not_started",
            SaveRefusal::Paused => "attempt_paused",
            SaveRefusal::Closed => "attempt_closed",
            SaveRefusal::PastDeadline => "past_deadline",
        }
    }
}

/// What a proctor does to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProctorAction {
    Admit,
    Pause,
    Resume,
    Extend,
    Terminate,
}

impl ProctorAction {
    pub const ALL: [ProctorAction; 5] = [
        ProctorAction::Admit,
        ProctorAction::Pause,
        ProctorAction::Resume,
        ProctorAction::Extend,
        ProctorAction::Terminate,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProctorAction::Admit => "admit",
            ProctorAction::Pause => "pause",
            ProctorAction::Resume => "resume",
            ProctorAction::Extend => "extend",
            ProctorAction::Terminate => "terminate",
        }
    }
}

/// The clock after a proctor action at `now_ms`, or the reason it is refused.
/// `extension` is used by [`ProctorAction::Extend`] only.
pub fn apply_action(
    clock: &Clock,
    action: ProctorAction,
    now_ms: i64,
    extension: Extension,
) -> Result<Clock, &'static str> {
    use AttemptStatus::*;
    let mut c = *clock;
    match (action, clock.status) {
        (ProctorAction::Admit, Ready) => c.status = Admitted,
        (ProctorAction::Admit, _) => return Err("already_admitted"),
        // Past the deadline there is no time left to stop (and a paused attempt would
        // escape the deadline sweep).
        (ProctorAction::Pause, InProgress) if clock.deadline_ms.is_some_and(|d| d <= now_ms) => {
            return Err("past_deadline")
        }
        (ProctorAction::Pause, InProgress) => {
            c.status = Paused;
            c.paused_at_ms = Some(now_ms);
        }
        (ProctorAction::Pause, _) => return Err("not_in_progress"),
        (ProctorAction::Resume, Paused) => {
            let paused = clock.paused_at_ms.unwrap_or(now_ms);
            c.status = InProgress;
            c.deadline_ms = clock.deadline_ms.map(|d| d + (now_ms - paused).max(0));
            c.paused_at_ms = None;
        }
        (ProctorAction::Resume, _) => return Err("not_paused"),
        (ProctorAction::Extend, s) if s.is_final() => return Err("attempt_closed"),
        // Once the time is up the attempt is over, even while the grace period lets
        // saves already in flight arrive: an extension then would reopen it.
        (ProctorAction::Extend, InProgress) if clock.deadline_ms.is_some_and(|d| d <= now_ms) => {
            return Err("past_deadline")
        }
        (ProctorAction::Extend, _) => {
            if extension.ms <= 0 {
                return Err("minutes");
            }
            if clock.extension_ms + extension.ms > extension.cap_ms {
                return Err("extension_cap");
            }
            c.extension_ms += extension.ms;
            c.deadline_ms = clock.deadline_ms.map(|d| d + extension.ms);
        }
        (ProctorAction::Terminate, s) if s.is_final() => return Err("attempt_closed"),
        (ProctorAction::Terminate, _) => {
            c.status = Terminated;
            c.paused_at_ms = None;
        }
    }
    Ok(c)
}

/// Exam-day login (the credentials already checked): it opens `opens_before_ms` before
/// the session's start and closes `late_entry_ms` after it for a candidate the proctor
/// has not admitted (迟到); once admitted or under way the candidate may log in again
/// (a resume on another device) whatever the time. `Err` is the reason.
pub fn login_window(
    starts_at_ms: i64,
    status: Option<AttemptStatus>,
    now_ms: i64,
    opens_before_ms: i64,
    late_entry_ms: i64,
) -> Result<(), &'static str> {
    if status.is_some_and(|s| s != AttemptStatus::Ready) {
        return Ok(());
    }
    if now_ms < starts_at_ms - opens_before_ms {
        return Err("exam_too_early");
    }
    if now_ms > starts_at_ms + late_entry_ms {
        return Err("exam_too_late");
    }
    Ok(())
}

/// The clock when the candidate presses start; starting again resumes (idempotent).
pub fn start(clock: &Clock, now_ms: i64, duration_ms: i64) -> Result<Clock, &'static str> {
    match clock.status {
        AttemptStatus::Admitted => Ok(Clock {
            status: AttemptStatus::InProgress,
            started_at_ms: Some(now_ms),
            deadline_ms: Some(now_ms + duration_ms + clock.extension_ms),
            paused_at_ms: None,
            extension_ms: clock.extension_ms,
        }),
        AttemptStatus::InProgress | AttemptStatus::Paused => Ok(*clock),
        AttemptStatus::Ready => Err("not_admitted"),
        AttemptStatus::Submitted | AttemptStatus::Terminated => Err("attempt_closed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn running(deadline: i64) -> Clock {
        Clock {
            status: AttemptStatus::InProgress,
            started_at_ms: Some(0),
            deadline_ms: Some(deadline),
            paused_at_ms: None,
            extension_ms: 0,
        }
    }

    #[test]
    fn saves_follow_the_server_clock() {
        let c = running(1_000);
        assert_eq!(c.check_save(1_000, 0), Ok(()));
        assert_eq!(c.check_save(1_001, 0), Err(SaveRefusal::PastDeadline));
        assert_eq!(c.check_save(1_500, 500), Ok(()));
        let paused = apply_action(&c, ProctorAction::Pause, 400, Extension::NONE).unwrap();
        assert_eq!(paused.check_save(450, 0), Err(SaveRefusal::Paused));
        assert_eq!(paused.remaining_ms(900), Some(600));
        // Paused for 300 ms: the deadline moves by exactly that.
        let resumed = apply_action(&paused, ProctorAction::Resume, 700, Extension::NONE).unwrap();
        assert_eq!(resumed.deadline_ms, Some(1_300));
        assert_eq!(resumed.remaining_ms(700), Some(600));
    }

    #[test]
    fn no_pause_after_the_deadline() {
        let c = running(1_000);
        assert_eq!(
            apply_action(&c, ProctorAction::Pause, 1_000, Extension::NONE),
            Err("past_deadline")
        );
        assert!(apply_action(&c, ProctorAction::Pause, 999, Extension::NONE).is_ok());
    }

    #[test]
    fn exam_day_login_has_a_window() {
        let (start, before, late) = (10_000_000, 3_600_000, 1_800_000);
        let at = |now, status| login_window(start, status, now, before, late);
        assert_eq!(at(start - before - 1, None), Err("exam_too_early"));
        assert_eq!(at(start - before, None), Ok(()));
        assert_eq!(at(start + late, Some(AttemptStatus::Ready)), Ok(()));
        assert_eq!(
            at(start + late + 1, Some(AttemptStatus::Ready)),
            Err("exam_too_late")
        );
        // Admitted or under way: a resume is never locked out.
        for s in [
            AttemptStatus::Admitted,
            AttemptStatus::InProgress,
            AttemptStatus::Paused,
            AttemptStatus::Submitted,
        ] {
            assert_eq!(at(start + 10 * late, Some(s)), Ok(()));
        }
    }

    #[test]
    fn no_extension_after_the_deadline() {
        let c = running(1_000);
        let ext = Extension {
            ms: 60_000,
            cap_ms: MAX_EXTENSION_MS,
        };
        assert_eq!(
            apply_action(&c, ProctorAction::Extend, 1_000, ext),
            Err("past_deadline")
        );
        assert_eq!(
            apply_action(&c, ProctorAction::Extend, 1_020, ext),
            Err("past_deadline"),
            "not within the grace period either"
        );
        assert!(apply_action(&c, ProctorAction::Extend, 999, ext).is_ok());
        // A paused clock does not run out: it may be extended.
        let paused = apply_action(&c, ProctorAction::Pause, 500, Extension::NONE).unwrap();
        assert!(apply_action(&paused, ProctorAction::Extend, 5_000, ext).is_ok());
    }

    #[test]
    fn extensions_are_capped() {
        let c = running(1_000);
        let default_cap = |ms| Extension {
            ms,
            cap_ms: MAX_EXTENSION_MS,
        };
        let e = apply_action(&c, ProctorAction::Extend, 0, default_cap(MAX_EXTENSION_MS)).unwrap();
        assert_eq!(e.deadline_ms, Some(1_000 + MAX_EXTENSION_MS));
        assert_eq!(
            apply_action(&e, ProctorAction::Extend, 0, default_cap(1)),
            Err("extension_cap")
        );
        // A configured cap of 10 minutes: 10 in two steps, not one minute more.
        let ten = |ms| Extension {
            ms,
            cap_ms: 10 * 60_000,
        };
        let e = apply_action(&c, ProctorAction::Extend, 0, ten(4 * 60_000)).unwrap();
        let e = apply_action(&e, ProctorAction::Extend, 0, ten(6 * 60_000)).unwrap();
        assert_eq!(e.extension_ms, 10 * 60_000);
        assert_eq!(
            apply_action(&e, ProctorAction::Extend, 0, ten(60_000)),
            Err("extension_cap")
        );
    }

    #[test]
    fn start_needs_admission_and_is_idempotent() {
        let ready = Clock {
            status: AttemptStatus::Ready,
            started_at_ms: None,
            deadline_ms: None,
            paused_at_ms: None,
            extension_ms: 0,
        };
        assert_eq!(start(&ready, 0, 60_000), Err("not_admitted"));
        let admitted = apply_action(&ready, ProctorAction::Admit, 0, Extension::NONE).unwrap();
        let s = start(&admitted, 5, 60_000).unwrap();
        assert_eq!(s.deadline_ms, Some(60_005));
        assert_eq!(start(&s, 99, 60_000), Ok(s));
    }

    proptest! {
        /// Whatever the proctor does, time left never grows except by an extension or a
        /// pause, and a paused clock never runs.
        #[test]
        fn clock_never_runs_while_paused(pause_at in 0i64..1000, resume_after in 0i64..1000, probe in 0i64..3000) {
            let c = running(1_000);
            if let Ok(p) = apply_action(&c, ProctorAction::Pause, pause_at, Extension::NONE) {
                let left = p.remaining_ms(pause_at).unwrap();
                prop_assert_eq!(p.remaining_ms(pause_at + probe), Some(left));
                let r = apply_action(&p, ProctorAction::Resume, pause_at + resume_after, Extension::NONE).unwrap();
                prop_assert_eq!(r.remaining_ms(pause_at + resume_after), Some(left));
            }
        }
    }
}
