//! The world the store benchmarks run in: a synthetic bank, a body with a room, one plan
//! of `n` candidates with papers of `positions` items, every candidate signed in,
//! admitted and started. Shared by the save and the results benchmarks.
#![allow(dead_code)]

use std::sync::Arc;

use skillcert::domain::assembly::{Paper, PaperItem};
use skillcert::domain::audit::AuditEvent;
use skillcert::domain::exam::{PartialCredit, PlanTemplate};
use skillcert::domain::identity::DocumentType;
use skillcert::domain::item::ItemStatus;
use skillcert::domain::org::{BodyType, OrgKind};
use skillcert::store::delivery::*;
use skillcert::store::items::NewItem;
use skillcert::store::plans::*;
use skillcert::store::{Bootstrap, NewOrg, NewPerson, OrgFilter, Store};

pub fn ev(action: &str) -> AuditEvent {
    AuditEvent {
        at_ms: 1,
        actor_user_id: None,
        actor: "bench".into(),
        action: action.into(),
        object_type: "bench".into(),
        object_id: String::new(),
        org_id: None,
        details: "{}".into(),
    }
}

pub fn org(kind: OrgKind, name: &str, parent: i64) -> NewOrg {
    NewOrg {
        kind,
        parent_id: Some(parent),
        name: name.into(),
        name_en: None,
        body_type: (kind == OrgKind::Body).then_some(BodyType::SocialOrganisation),
        body_code: (kind == OrgKind::Body).then(|| "0000".into()),
        province_code: (kind == OrgKind::Body).then(|| "32".into()),
        site_code: (kind == OrgKind::Body).then(|| "320100".into()),
        address: None,
        capacity: None,
    }
}

/// A plan of `n` candidates with papers of `positions` items (the pool's first), each signed in with the session `bench-{candidate}`, admitted
/// and started: (attempt, session) per candidate.
pub async fn setup(s: &Arc<dyn Store>, n: usize, positions: usize) -> Vec<(i64, String)> {
    s.bootstrap(Bootstrap {
        regulator_name: "监管".into(),
        admin_login: "admin".into(),
        admin_display_name: "admin".into(),
        admin_password_hash: "x".into(),
        must_change_password: false,
        now_ms: 1,
    })
    .await
    .unwrap();
    let reg = s
        .orgs(OrgFilter {
            kind: Some(OrgKind::Regulator),
            ..Default::default()
        })
        .await
        .unwrap()[0]
        .id;
    let files: Vec<(String, Vec<u8>)> = skillcert::synth::bank_files(positions.max(200), 1)
        .into_iter()
        .map(|(a, b)| (a, b.into_bytes()))
        .collect();
    let mut parsed = skillcert::formats::own::read_files(&files, &Default::default());
    parsed.validate_items();
    let occ = s
        .upsert_occupation(parsed.occupation.as_ref().unwrap(), 1)
        .await
        .unwrap();
    let std = parsed.standards[0].clone();
    s.put_standard(occ.id, &std, ev("std")).await.unwrap();
    let bank = s.ensure_bank(occ.id, reg, "合成", 1).await.unwrap();
    let items = parsed
        .items
        .iter()
        .map(|i| NewItem {
            external_id: i.external_id.clone().unwrap(),
            level: 5,
            mode: std.mode,
            point: i.point.clone().unwrap(),
            content: i.content.clone(),
            status: ItemStatus::Active,
        })
        .collect();
    s.import_items(bank, items, None, ev("import"))
        .await
        .unwrap();
    let body = s
        .create_org(org(OrgKind::Body, "机构", reg), ev("org"))
        .await
        .unwrap();
    let site = s
        .create_org(org(OrgKind::TestSite, "考点", body.id), ev("org"))
        .await
        .unwrap();
    let room = s
        .create_org(org(OrgKind::Room, "考场", site.id), ev("org"))
        .await
        .unwrap();
    let template = PlanTemplate {
        paper: skillcert::domain::assembly::demo_template(),
        duration_seconds: 36_000,
        pass_mark: 60.0,
        partial_credit: PartialCredit::None,
    };
    let plan = s
        .create_plan(
            NewPlan {
                body_id: body.id,
                occupation_id: occ.id,
                level: 5,
                bank_id: bank,
                name: "bench".into(),
                exam_date: "2026-12-01".into(),
                template,
                requires_approval: false,
                created_by: 1,
                component: skillcert::domain::exam::components::Component::Theory,
            },
            ev("plan"),
        )
        .await
        .unwrap();
    let session = s
        .add_session(plan.id, room.id, 1, ev("session"))
        .await
        .unwrap();
    let cands = (0..n)
        .map(|i| NewCandidate {
            person: NewPerson {
                name: "考生".into(),
                document_type: DocumentType::Passport,
                document_cipher: vec![0],
                document_lookup: format!("p{i}"),
                document_masked: "x".into(),
                sex: None,
                birth_date: None,
            },
            session_id: session,
        })
        .collect();
    s.add_candidates(plan.id, cands, ev("enrol")).await.unwrap();
    let (pool, _) = s.pool(bank, 5).await.unwrap();
    let paper = Paper {
        seed: 1,
        items: pool[..positions]
            .iter()
            .map(|r| PaperItem {
                item_id: r.item_id,
                version: r.version,
                item_type: r.item_type,
                points: 1.0,
                option_order: vec![],
            })
            .collect(),
        mean_difficulty: 3.0,
        total_points: positions as f64,
        area_points: vec![],
    };
    let attempts = s
        .roster_people(plan.id)
        .await
        .unwrap()
        .into_iter()
        .map(|(c, _, sid)| NewAttempt {
            candidate_id: c,
            session_id: sid,
            excluded: vec![],
            paper: paper.clone(),
        })
        .collect();
    s.close_roster(plan.id, attempts, 36_000_000, ev("close"))
        .await
        .unwrap();
    // Every candidate signs in (admit-all admits only those), is admitted and starts.
    let roster = s.roster(plan.id, None).await.unwrap();
    let now = skillcert::now_ms();
    let logins: Vec<ExamOp> = roster
        .iter()
        .map(|r| ExamOp::Login {
            candidate_id: r.candidate_id,
            token_hash: format!("bench-{}", r.candidate_id),
            csrf_token: String::new(),
            expires_at_ms: now + 86_400_000,
            audit: ev("login"),
        })
        .collect();
    s.apply_exam_ops(&logins, now, 0).await.unwrap();
    s.admit_session(session, 1, ev("admit")).await.unwrap();
    let ids: Vec<(i64, String)> = roster
        .iter()
        .map(|r| (r.attempt_id.unwrap(), format!("bench-{}", r.candidate_id)))
        .collect();
    let starts: Vec<ExamOp> = ids
        .iter()
        .map(|(a, _)| ExamOp::Start {
            attempt_id: *a,
            audit: ev("start"),
        })
        .collect();
    let started = s.apply_exam_ops(&starts, now, 0).await.unwrap();
    assert!(
        started
            .iter()
            .all(|r| matches!(r, ExamOpResult::Started(_))),
        "every attempt starts: {started:?}"
    );
    ids
}
