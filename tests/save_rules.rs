//! The save rules as the store writes them in SQL, batch by batch, against the rules as
//! `domain::exam` states them ([`AnswerSheet`] and the clock), on generated histories:
//! saves (replays, older and newer sequences, several per batch), submissions, pauses,
//! resumes, extensions, the deadline passing and the deadline sweep. Every op's result
//! and the final answers and clock must agree, on SQLite and on PostgreSQL.

mod common;

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use skillcert::domain::assembly::{Paper, PaperItem};
use skillcert::domain::audit::AuditEvent;
use skillcert::domain::exam::{
    apply_action, start, AnswerSheet, AttemptStatus, Clock, Extension, PartialCredit, PlanTemplate,
    ProctorAction, SaveOutcome,
};
use skillcert::domain::identity::DocumentType;
use skillcert::domain::item::ItemStatus;
use skillcert::domain::org::{BodyType, OrgKind};
use skillcert::domain::role::Role;
use skillcert::store::delivery::{Change, ExamOp, ExamOpResult};
use skillcert::store::items::NewItem;
use skillcert::store::plans::{NewAttempt, NewCandidate, NewPlan};
use skillcert::store::{Bootstrap, NewOrg, NewPerson, NewUser, Store};

const T0: i64 = 1_900_000_000_000;
const DURATION_MS: i64 = 600_000;
const GRACE_MS: i64 = 30_000;
const CAP_MS: i64 = 20 * 60_000;
const POSITIONS: u32 = 5;

fn ev(action: &str, at_ms: i64) -> AuditEvent {
    AuditEvent {
        at_ms,
        actor_user_id: None,
        actor: "test".into(),
        action: action.into(),
        object_type: "test".into(),
        object_id: String::new(),
        org_id: None,
        details: "{}".into(),
    }
}

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

/// What is fixed for every case: the bank, the body, its room and a proctor.
struct Fixture {
    bank: i64,
    occupation: i64,
    room: i64,
    proctor: i64,
    pool: Vec<(i64, i64, skillcert::domain::item::ItemType)>,
}

async fn fixture(s: &dyn Store) -> Fixture {
    s.bootstrap(Bootstrap {
        regulator_name: "监管".into(),
        admin_login: "admin".into(),
        admin_display_name: "Admin".into(),
        admin_password_hash: "$argon2id$dummy".into(),
        must_change_password: false,
        now_ms: T0,
    })
    .await
    .unwrap();
    let reg = skillcert::app::orgs::regulator(s).await.unwrap().id;
    let files: Vec<(String, Vec<u8>)> = skillcert::synth::bank_files(100, 9)
        .into_iter()
        .map(|(n, t)| (n, t.into_bytes()))
        .collect();
    let mut parsed = skillcert::formats::own::read_files(&files, &Default::default());
    parsed.validate_items();
    let occ = s
        .upsert_occupation(parsed.occupation.as_ref().unwrap(), T0)
        .await
        .unwrap();
    let standard = parsed.standards[0].clone();
    s.put_standard(occ.id, &standard, ev("standard", T0))
        .await
        .unwrap();
    let bank = s.ensure_bank(occ.id, reg, "合成", T0).await.unwrap();
    let items = parsed
        .items
        .iter()
        .map(|i| NewItem {
            external_id: i.external_id.clone().unwrap(),
            level: 5,
            mode: standard.mode,
            point: i.point.clone().unwrap(),
            content: i.content.clone(),
            status: ItemStatus::Active,
        })
        .collect();
    s.import_items(bank, items, None, ev("import", T0))
        .await
        .unwrap();
    let org = |kind, name: &str, parent| NewOrg {
        kind,
        parent_id: Some(parent),
        name: name.into(),
        name_en: None,
        body_type: (kind == OrgKind::Body).then_some(BodyType::SocialOrganisation),
        body_code: Some("0000".into()),
        province_code: Some("32".into()),
        site_code: Some("320100".into()),
        address: None,
        capacity: None,
    };
    let body = s
        .create_org(org(OrgKind::Body, "机构", reg), ev("org", T0))
        .await
        .unwrap();
    let site = s
        .create_org(org(OrgKind::TestSite, "考点", body.id), ev("org", T0))
        .await
        .unwrap();
    let room = s
        .create_org(org(OrgKind::Room, "101", site.id), ev("org", T0))
        .await
        .unwrap();
    let proctor = s
        .create_user(
            NewUser {
                login: "proctor".into(),
                display_name: "监考".into(),
                password_hash: "$argon2id$dummy".into(),
                org_id: body.id,
                person: None,
                roles: vec![Role::Proctor],
                granted_by: None,
                must_change_password: false,
                link_body: None,
            },
            ev("user", T0),
        )
        .await
        .unwrap();
    let (pool, _) = s.pool(bank, 5).await.unwrap();
    Fixture {
        bank,
        occupation: occ.id,
        room: room.id,
        proctor: proctor.id,
        pool: pool
            .iter()
            .map(|r| (r.item_id, r.version, r.item_type))
            .collect(),
    }
}

/// A fresh plan with two candidates, signed in, admitted and started at `T0`; returns
/// their attempts and exam-session token hashes.
async fn two_attempts(s: &dyn Store, f: &Fixture, case: usize) -> Vec<(i64, String)> {
    let plan = s
        .create_plan(
            NewPlan {
                body_id: s.org(f.room).await.unwrap().body_id.unwrap(),
                occupation_id: f.occupation,
                level: 5,
                bank_id: f.bank,
                name: format!("计划 {case}"),
                exam_date: "2030-03-18".into(),
                template: PlanTemplate {
                    paper: skillcert::domain::assembly::demo_template(),
                    duration_seconds: (DURATION_MS / 1000) as u32,
                    pass_mark: 60.0,
                    partial_credit: PartialCredit::HalfForSubset,
                },
                requires_approval: false,
                created_by: f.proctor,
            },
            ev("plan", T0),
        )
        .await
        .unwrap();
    let session = s
        .add_session(plan.id, f.room, T0, ev("session", T0))
        .await
        .unwrap();
    let person = |i: usize| NewPerson {
        name: format!("考生{i}"),
        document_type: DocumentType::ResidentId,
        document_cipher: vec![0],
        document_lookup: format!("case-{case}-{i}"),
        document_masked: "3201**********0000".into(),
        sex: None,
        birth_date: None,
    };
    let candidates = (0..2)
        .map(|i| NewCandidate {
            person: person(i),
            session_id: session,
        })
        .collect();
    s.add_candidates(plan.id, candidates, ev("enrol", T0))
        .await
        .unwrap();
    let attempts = s
        .roster_people(plan.id)
        .await
        .unwrap()
        .into_iter()
        .map(|(candidate_id, _, session_id)| NewAttempt {
            candidate_id,
            session_id,
            paper: Paper {
                seed: 1,
                items: f.pool[..POSITIONS as usize]
                    .iter()
                    .map(|(item_id, version, item_type)| PaperItem {
                        item_id: *item_id,
                        version: *version,
                        item_type: *item_type,
                        points: 1.0,
                        option_order: vec![],
                    })
                    .collect(),
                mean_difficulty: 3.0,
                total_points: f64::from(POSITIONS),
                area_points: vec![],
            },
        })
        .collect();
    s.close_roster(plan.id, attempts, DURATION_MS, ev("close", T0))
        .await
        .unwrap();
    let mut out = Vec::new();
    for r in s.roster(plan.id, None).await.unwrap() {
        let attempt = r.attempt_id.unwrap();
        let token = format!("tok-{case}-{attempt}");
        let admit = ev("admit", T0);
        s.proctor_action(
            attempt,
            ProctorAction::Admit,
            Extension::NONE,
            f.proctor,
            String::new(),
            admit,
        )
        .await
        .unwrap();
        let login = ExamOp::Login {
            candidate_id: r.candidate_id,
            token_hash: token.clone(),
            csrf_token: "c".into(),
            expires_at_ms: T0 + 86_400_000,
            audit: ev("login", T0),
        };
        let started = ExamOp::Start {
            attempt_id: attempt,
            audit: ev("start", T0),
        };
        s.apply_exam_ops(&[login, started], T0, GRACE_MS)
            .await
            .unwrap();
        out.push((attempt, token));
    }
    out
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
