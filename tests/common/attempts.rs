//! A store with attempts under way, built through the store itself: a bank of synthetic
//! items, a body with a room and a proctor, and plans of two started attempts. Shared by
//! the save-rule property test and the marking store test (both databases).
#![allow(dead_code)]

use skillcert::domain::assembly::{Paper, PaperItem};
use skillcert::domain::audit::AuditEvent;
use skillcert::domain::exam::{Extension, PartialCredit, PlanTemplate, ProctorAction};
use skillcert::domain::identity::DocumentType;
use skillcert::domain::item::ItemStatus;
use skillcert::domain::org::{BodyType, OrgKind};
use skillcert::domain::role::Role;
use skillcert::store::delivery::ExamOp;
use skillcert::store::items::NewItem;
use skillcert::store::plans::{NewAttempt, NewCandidate, NewPlan};
use skillcert::store::{Bootstrap, NewOrg, NewPerson, NewUser, Store};

pub const T0: i64 = 1_900_000_000_000;
pub const DURATION_MS: i64 = 600_000;
pub const GRACE_MS: i64 = 30_000;
pub const POSITIONS: u32 = 5;

pub fn ev(action: &str, at_ms: i64) -> AuditEvent {
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

/// What is fixed for every case: the bank, the body, its room and a proctor.
pub struct Fixture {
    pub bank: i64,
    pub occupation: i64,
    pub room: i64,
    pub proctor: i64,
    pub pool: Vec<(i64, i64, skillcert::domain::item::ItemType)>,
}

pub async fn fixture(s: &dyn Store) -> Fixture {
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
pub async fn two_attempts(s: &dyn Store, f: &Fixture, case: usize) -> Vec<(i64, String)> {
    plan_attempts(s, f, f.room, case, 2).await
}

/// A fresh plan of the body that `room` belongs to, with `n` candidates in one session
/// in that room, signed in, admitted and started at `T0`.
pub async fn plan_attempts(
    s: &dyn Store,
    f: &Fixture,
    room: i64,
    case: usize,
    n: usize,
) -> Vec<(i64, String)> {
    let plan = s
        .create_plan(
            NewPlan {
                body_id: s.org(room).await.unwrap().body_id.unwrap(),
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
                component: skillcert::domain::exam::components::Component::Theory,
            },
            ev("plan", T0),
        )
        .await
        .unwrap();
    let session = s
        .add_session(plan.id, room, T0, ev("session", T0))
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
    let candidates = (0..n)
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
            excluded: vec![],
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
