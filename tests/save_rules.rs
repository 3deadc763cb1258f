//! The save rules as the store writes them in SQL, batch by batch, against the rules as
//! `domain::exam` states them ([`AnswerSheet`] and the clock), on generated histories:
//! saves (replays, older and newer sequences, several per batch), submissions, pauses,
//! resumes, extensions, the deadline passing and the deadline sweep. Every op's result
//! and the final answers and clock must agree, on SQLite and on PostgreSQL.

mod common;

use std::sync::Arc;

use common::attempts::{ev, fixture, two_attempts, Fixture, DURATION_MS, GRACE_MS, POSITIONS, T0};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use skillcert::domain::exam::{
    apply_action, start, AnswerSheet, AttemptStatus, Clock, Extension, ProctorAction, SaveOutcome,
};
use skillcert::store::delivery::{Change, ExamOp, ExamOpResult};
use skillcert::store::Store;

const CAP_MS: i64 = 20 * 60_000;

/// One op of a batch: a save of `(position, sequence, variant)` changes (the variant
/// makes a replay carry other text, as a buggy client might), or a submission.
#[derive(Debug, Clone)]
enum Op {
    Save(usize, Vec<(u32, i64, u8)>),
    Submit(usize),
}

/// When a step happens: some time after the last one, or at the edge of an attempt's
/// deadline plus grace (offset -1, 0 or +1 ms), where off-by-one rules would differ.
#[derive(Debug, Clone, Copy)]
enum When {
    After(i64),
    Edge(usize, i64),
}

#[derive(Debug, Clone)]
enum Step {
    Batch(When, Vec<Op>),
    Proctor(i64, usize, ProctorAction, i64),
    Sweep(i64),
}

fn step() -> impl Strategy<Value = Step> {
    let change = (0..POSITIONS, 1i64..12, 0u8..2);
    let op = prop_oneof![
        8 => (0usize..2, prop::collection::vec(change, 1..4)).prop_map(|(a, c)| Op::Save(a, c)),
        1 => (0usize..2).prop_map(Op::Submit),
    ];
    let action = prop_oneof![
        Just(ProctorAction::Pause),
        Just(ProctorAction::Resume),
        Just(ProctorAction::Extend),
    ];
    let when = prop_oneof![
        4 => (0i64..120_000).prop_map(When::After),
        1 => (0usize..2, -1i64..=1).prop_map(|(a, o)| When::Edge(a, o)),
    ];
    prop_oneof![
        8 => (when, prop::collection::vec(op, 1..6)).prop_map(|(w, ops)| Step::Batch(w, ops)),
        2 => (0i64..120_000, 0usize..2, action, 1i64..8).prop_map(|(dt, a, act, m)| Step::Proctor(dt, a, act, m)),
        1 => (0i64..200_000).prop_map(Step::Sweep),
    ]
}

fn answer(position: u32, seq: i64, variant: u8) -> String {
    serde_json::json!(format!("{position}-{seq}-{variant}")).to_string()
}

/// One attempt as the domain rules see it.
#[derive(Debug, Clone)]
struct Model {
    clock: Clock,
    sheet: AnswerSheet,
    submitted_at: Option<i64>,
}

async fn run_history(s: &dyn Store, f: &Fixture, case: usize, steps: &[Step]) {
    let attempts = two_attempts(s, f, case).await;
    let started = Clock {
        status: AttemptStatus::Admitted,
        started_at_ms: None,
        deadline_ms: None,
        paused_at_ms: None,
        extension_ms: 0,
    };
    let clock = start(&started, T0, DURATION_MS).unwrap();
    let mut models = vec![
        Model {
            clock,
            sheet: AnswerSheet::default(),
            submitted_at: None,
        };
        2
    ];
    let mut now = T0;
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Batch(when, ops) => {
                now = match *when {
                    When::After(dt) => now + dt,
                    When::Edge(a, offset) => models[a]
                        .clock
                        .deadline_ms
                        .map_or(now, |d| now.max(d + GRACE_MS + offset)),
                };
                let mut expected = Vec::new();
                let mut batch = Vec::new();
                for op in ops {
                    match op {
                        Op::Save(a, changes) => {
                            let m = &mut models[*a];
                            let with_text: Vec<(u32, i64, String)> = changes
                                .iter()
                                .map(|(p, seq, v)| (*p, *seq, answer(*p, *seq, *v)))
                                .collect();
                            expected.push(
                                match m.sheet.save(&m.clock, now, GRACE_MS, &with_text) {
                                    SaveOutcome::Saved { seq } => {
                                        ExamOpResult::Saved { seq, at_ms: now }
                                    }
                                    SaveOutcome::Refused(r) => ExamOpResult::Refused(r),
                                },
                            );
                            batch.push(ExamOp::Save {
                                attempt_id: attempts[*a].0,
                                session: attempts[*a].1.clone(),
                                changes: with_text
                                    .into_iter()
                                    .map(|(position, seq, answer)| Change {
                                        position,
                                        seq,
                                        answer,
                                    })
                                    .collect(),
                            });
                        }
                        Op::Submit(a) => {
                            let m = &mut models[*a];
                            expected.push(match m.clock.status {
                                AttemptStatus::InProgress | AttemptStatus::Paused => {
                                    let at = m.clock.deadline_ms.map_or(now, |d| now.min(d));
                                    m.clock.status = AttemptStatus::Submitted;
                                    m.clock.paused_at_ms = None;
                                    m.submitted_at = Some(at);
                                    ExamOpResult::Submitted { at_ms: at }
                                }
                                _ => ExamOpResult::Submitted {
                                    at_ms: m.submitted_at.unwrap_or(now),
                                },
                            });
                            batch.push(ExamOp::Submit {
                                attempt_id: attempts[*a].0,
                                audit: ev("submit", now),
                            });
                        }
                    }
                }
                let got = s.apply_exam_ops(&batch, now, GRACE_MS).await.unwrap();
                assert_eq!(got, expected, "step {i} of {steps:?}");
            }
            Step::Proctor(dt, a, action, minutes) => {
                now += dt;
                let ext = Extension {
                    ms: minutes * 60_000,
                    cap_ms: CAP_MS,
                };
                let m = &mut models[*a];
                let want = apply_action(&m.clock, *action, now, ext);
                let got = s
                    .proctor_action(
                        attempts[*a].0,
                        *action,
                        ext,
                        f.proctor,
                        "r".into(),
                        ev("act", now),
                    )
                    .await;
                match (want, got) {
                    (Ok(w), Ok(g)) => {
                        assert_eq!(w, g, "step {i}");
                        m.clock = w;
                    }
                    (Err(_), Err(_)) => {}
                    (w, g) => panic!("step {i}: domain {w:?}, store {g:?}"),
                }
            }
            Step::Sweep(dt) => {
                now += dt;
                let mut due = Vec::new();
                for (k, m) in models.iter_mut().enumerate() {
                    if let (AttemptStatus::InProgress, Some(d)) =
                        (m.clock.status, m.clock.deadline_ms)
                    {
                        if d + GRACE_MS < now {
                            m.clock.status = AttemptStatus::Submitted;
                            m.submitted_at = Some(d);
                            due.push(attempts[k].0);
                        }
                    }
                }
                let mut got = s.submit_overdue(now, GRACE_MS).await.unwrap();
                got.retain(|id| attempts.iter().any(|(a, _)| a == id));
                assert_eq!(got, due, "step {i}");
            }
        }
    }
    for (k, (attempt, _)) in attempts.iter().enumerate() {
        let rec = s.attempt(*attempt).await.unwrap();
        let stored: Vec<(u32, i64, String)> = rec
            .answers
            .iter()
            .map(|a| (a.position, a.seq, a.answer.clone()))
            .collect();
        let modelled: Vec<(u32, i64, String)> = models[k]
            .sheet
            .answers
            .iter()
            .map(|(p, (seq, a))| (*p, *seq, a.clone()))
            .collect();
        assert_eq!(stored, modelled, "answers of attempt {k} after {steps:?}");
        assert_eq!(rec.clock, models[k].clock, "clock of attempt {k}");
    }
}

fn check(store: Arc<dyn Store>, rt: &tokio::runtime::Runtime, cases: u32) {
    let f = rt.block_on(fixture(store.as_ref()));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let counter = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&prop::collection::vec(step(), 1..25), |steps| {
            let case = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            rt.block_on(run_history(store.as_ref(), &f, case, &steps));
            Ok(())
        })
        .unwrap();
    rt.block_on(store.close());
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sql_save_rules_match_the_domain_on_sqlite() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = rt.block_on(common::sqlite_store(dir.path()));
    check(store, &rt, 48);
}

#[test]
fn sql_save_rules_match_the_domain_on_postgres() {
    let rt = runtime();
    let Some(db) = rt.block_on(common::pg_db("save_rules")) else {
        return;
    };
    let store = rt.block_on(common::pg_store(&db));
    check(store, &rt, 48);
    rt.block_on(db.drop_db());
}
