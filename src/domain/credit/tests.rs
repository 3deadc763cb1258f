//! Ledger arithmetic, grades, rectification, exit, assessors, the catalogue and the
//! inspection sample.
use super::*;

fn ev(year: i32, points: i32, at_ms: i64) -> Entry {
    Entry {
        year,
        points,
        hard_exit: false,
        status: EventStatus::Confirmed,
        at_ms,
    }
}

#[test]
fn the_score_is_the_base_plus_the_years_confirmed_events() {
    let p = CreditPolicy::default();
    let mut es = vec![
        ev(2026, -10, 1),
        ev(2026, -5, 2),
        ev(2026, 3, 3),
        ev(2025, -40, 0),
    ];
    assert_eq!(score(&es, 2026, &p), 88);
    // A new year starts from the base again.
    assert_eq!(score(&es, 2027, &p), 100);
    assert_eq!(score(&es, 2025, &p), 60);
    // Proposed, rejected and reversed events do not count.
    es.push(Entry {
        status: EventStatus::Proposed,
        ..ev(2026, -50, 4)
    });
    es.push(Entry {
        status: EventStatus::Rejected,
        ..ev(2026, -50, 5)
    });
    es.push(Entry {
        status: EventStatus::Reversed,
        ..ev(2026, -50, 6)
    });
    assert_eq!(score(&es, 2026, &p), 88);
    // Never below zero.
    assert_eq!(score(&[ev(2026, -500, 1)], 2026, &p), 0);
}

#[test]
fn grades_follow_the_thresholds() {
    let p = CreditPolicy::default();
    assert_eq!(grade(100, &p), Grade::A);
    assert_eq!(grade(90, &p), Grade::A);
    assert_eq!(grade(89, &p), Grade::B);
    assert_eq!(grade(75, &p), Grade::B);
    assert_eq!(grade(74, &p), Grade::C);
    assert_eq!(grade(60, &p), Grade::C);
    assert_eq!(grade(59, &p), Grade::D);
    assert_eq!(grade(0, &p), Grade::D);
    let strict = CreditPolicy {
        grade_a: 95,
        ..CreditPolicy::default()
    };
    assert_eq!(grade(94, &strict), Grade::B);
}

#[test]
fn grade_c_owes_rectification_and_grade_d_suspends() {
    let p = CreditPolicy::default();
    let at = 1_000 * DAY_MS;
    let c = body_standing(&[ev(2026, -10, 5), ev(2026, -20, at)], 2026, &p);
    assert_eq!(
        (c.score, c.grade, c.status),
        (70, Grade::C, OrgStatus::Active)
    );
    assert_eq!(c.rectify_by_ms, Some(at + 90 * DAY_MS));
    assert!(c.in_good_standing());
    let d = body_standing(&[ev(2026, -41, 1)], 2026, &p);
    assert_eq!((d.grade, d.status), (Grade::D, OrgStatus::Suspended));
    assert!(!d.in_good_standing());
    // 100 → 75 (B) → 55 (D) → 60 (C, after an addition): the deadline runs from
    // the fall out of B, not left unset.
    let back = body_standing(
        &[
            ev(2026, -25, 1),
            ev(2026, -20, 2 * DAY_MS),
            ev(2026, 5, 3 * DAY_MS),
        ],
        2026,
        &p,
    );
    assert_eq!(back.grade, Grade::C);
    assert_eq!(back.rectify_by_ms, Some(2 * DAY_MS + 90 * DAY_MS));
    // An upheld appeal (the event reversed) restores the standing.
    let appealed = body_standing(
        &[Entry {
            status: EventStatus::Reversed,
            ..ev(2026, -41, 1)
        }],
        2026,
        &p,
    );
    assert_eq!(appealed.status, OrgStatus::Active);
    assert_eq!(appealed.grade, Grade::A);
}

#[test]
fn a_hard_exit_trigger_exits_whatever_the_score_and_in_any_later_year() {
    let p = CreditPolicy::default();
    let hard = Entry {
        hard_exit: true,
        ..ev(2025, 0, 77)
    };
    let s = body_standing(&[hard], 2026, &p);
    assert_eq!((s.score, s.grade), (100, Grade::A));
    assert_eq!(s.status, OrgStatus::Exited);
    assert_eq!(s.exited_at_ms, Some(77));
    assert!(!s.in_good_standing());
    // Only a confirmed trigger counts.
    let proposed = Entry {
        status: EventStatus::Proposed,
        ..hard
    };
    assert_eq!(
        body_standing(&[proposed], 2026, &p).status,
        OrgStatus::Active
    );
    // Re-filing is barred for the configured period.
    assert!(refile_barred(77, 77 + 3 * 365 * DAY_MS - 1, &p));
    assert!(!refile_barred(77, 77 + 3 * 365 * DAY_MS, &p));
}

#[test]
fn assessors_are_suspended_below_the_line_and_disqualified_by_a_trigger() {
    let p = CreditPolicy::default();
    assert_eq!(
        assessor_standing(&[ev(2026, -40, 1)], 2026, &p).status,
        OrgStatus::Active
    );
    assert_eq!(
        assessor_standing(&[ev(2026, -41, 1)], 2026, &p).status,
        OrgStatus::Suspended
    );
    let hard = Entry {
        hard_exit: true,
        ..ev(2026, 0, 1)
    };
    assert_eq!(
        assessor_standing(&[hard], 2026, &p).status,
        OrgStatus::Exited
    );
}

#[test]
fn the_default_catalogue_holds_the_design_triggers() {
    let p = CreditPolicy::default();
    p.check().unwrap();
    let hard: Vec<&str> = p
        .rules
        .iter()
        .filter(|r| r.hard_exit && r.applies_to == SubjectKind::Body)
        .map(|r| r.code.as_str())
        .collect();
    assert_eq!(hard.len(), 7, "DESIGN §3.8 names seven hard-exit triggers");
    let dup = CreditPolicy {
        rules: vec![p.rules[0].clone(), p.rules[0].clone()],
        ..p.clone()
    };
    assert!(dup.check().is_err());
}

#[test]
fn the_sample_is_reproducible_and_weighs_grades() {
    let ids: Vec<(i64, u32)> = (0..100).map(|i| (i, if i < 10 { 8 } else { 1 })).collect();
    assert_eq!(weighted_sample(&ids, 10, 42), weighted_sample(&ids, 10, 42));
    assert_eq!(weighted_sample(&ids, 500, 1).len(), 100);
    // Over many draws the heavy tenth is picked far more than a tenth of the time.
    let heavy: usize = (0..200)
        .map(|s| {
            weighted_sample(&ids, 10, s)
                .iter()
                .filter(|&&i| i < 10)
                .count()
        })
        .sum();
    assert!(heavy > 200 * 10 * 3 / 10, "heavy picks {heavy}");
}
