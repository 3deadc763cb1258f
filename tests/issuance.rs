//! Concurrent issuance on both databases: 1,000 certificates of one body, kind, year and
//! level issued by ten batches at once get 1,000 different numbers, serials 1 to 1,000
//! with no gap, each batch a contiguous block; and the results and certificate reads of
//! the store on both databases.

mod common;

use std::sync::Arc;

use skillcert::domain::audit::AuditEvent;
use skillcert::domain::certificate::NumberParts;
use skillcert::domain::exam::{PartialCredit, PlanTemplate};
use skillcert::domain::identity::DocumentType;
use skillcert::domain::org::{BodyType, CertificateKind, OrgKind};
use skillcert::domain::role::Role;
use skillcert::store::certificates::NewCertificate;
use skillcert::store::plans::{NewCandidate, NewPlan};
use skillcert::store::{Bootstrap, NewOrg, NewPerson, NewUser, Store};

const T0: i64 = 1_900_000_000_000;
const BATCHES: usize = 10;
const PER_BATCH: usize = 100;

fn ev(action: &str) -> AuditEvent {
    AuditEvent {
        at_ms: T0,
        actor_user_id: None,
        actor: "test".into(),
        action: action.into(),
        object_type: "test".into(),
        object_id: String::new(),
        org_id: None,
        details: "{}".into(),
    }
}

fn org(kind: OrgKind, name: &str, parent: i64) -> NewOrg {
    NewOrg {
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
    }
}

/// Ten plans of one body with 100 candidates each, and a pending request per plan.
async fn setup(s: &dyn Store) -> (i64, Vec<(i64, Vec<NewCertificate>)>) {
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
    let files: Vec<(String, Vec<u8>)> = skillcert::synth::bank_files(10, 3)
        .into_iter()
        .map(|(n, t)| (n, t.into_bytes()))
        .collect();
    let parsed = skillcert::formats::own::read_files(&files, &Default::default());
    let occ = s
        .upsert_occupation(parsed.occupation.as_ref().unwrap(), T0)
        .await
        .unwrap();
    let bank = s.ensure_bank(occ.id, reg, "合成", T0).await.unwrap();
    let body = s
        .create_org(org(OrgKind::Body, "机构", reg), ev("org"))
        .await
        .unwrap();
    let site = s
        .create_org(org(OrgKind::TestSite, "考点", body.id), ev("org"))
        .await
        .unwrap();
    let room = s
        .create_org(org(OrgKind::Room, "101", site.id), ev("org"))
        .await
        .unwrap();
    let admin = s
        .create_user(
            NewUser {
                login: "ba".into(),
                display_name: "管理员".into(),
                password_hash: "$argon2id$dummy".into(),
                org_id: body.id,
                person: None,
                roles: vec![Role::BodyAdmin],
                granted_by: None,
                must_change_password: false,
                link_body: None,
            },
            ev("user"),
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    for b in 0..BATCHES {
        let plan = s
            .create_plan(
                NewPlan {
                    body_id: body.id,
                    occupation_id: occ.id,
                    level: 4,
                    bank_id: bank,
                    name: format!("计划 {b}"),
                    exam_date: "2030-03-18".into(),
                    template: PlanTemplate {
                        paper: skillcert::domain::assembly::demo_template(),
                        duration_seconds: 600,
                        pass_mark: 60.0,
                        partial_credit: PartialCredit::None,
                    },
                    requires_approval: false,
                    created_by: admin.id,
                    component: skillcert::domain::exam::components::Component::Theory,
                },
                ev("plan"),
            )
            .await
            .unwrap();
        let session = s
            .add_session(plan.id, room.id, T0 + b as i64 * 60_000, ev("session"))
            .await
            .unwrap();
        let candidates = (0..PER_BATCH)
            .map(|i| NewCandidate {
                person: NewPerson {
                    name: format!("考生{b}-{i}"),
                    document_type: DocumentType::ResidentId,
                    document_cipher: vec![0],
                    document_lookup: format!("p-{b}-{i}"),
                    document_masked: "3201**********0000".into(),
                    sex: None,
                    birth_date: None,
                },
                session_id: session,
            })
            .collect();
        s.add_candidates(plan.id, candidates, ev("enrol"))
            .await
            .unwrap();
        let batch = s
            .roster_people(plan.id)
            .await
            .unwrap()
            .into_iter()
            .map(|(candidate_id, person_id, _)| NewCertificate {
                candidate_id,
                person_id,
                score: 80.0,
                review_due: None,
            })
            .collect();
        let req = s
            .request_issuance(plan.id, admin.id, ev("certificate.request"))
            .await
            .unwrap();
        out.push((req, batch));
    }
    (admin.id, out)
}

async fn concurrent_issuance_never_repeats_or_skips(s: Arc<dyn Store>) {
    let (by, requests) = setup(s.as_ref()).await;
    let parts = NumberParts {
        kind: CertificateKind::SkillLevel,
        body_type: Some(BodyType::SocialOrganisation),
        body_code: "0000".into(),
        province_code: "32".into(),
        site_code: "320100".into(),
        year: 2030,
        level: Some(4),
    };
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(req, batch)| {
            let s = s.clone();
            let parts = parts.clone();
            tokio::spawn(async move {
                s.approve_issuance(req, by, parts, batch, ev("certificate.issue"))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        let numbers = t.await.unwrap();
        assert_eq!(numbers.len(), PER_BATCH);
        let serials: Vec<u32> = numbers.iter().map(|n| n[16..].parse().unwrap()).collect();
        // Each batch is one contiguous block.
        assert!(serials.windows(2).all(|w| w[1] == w[0] + 1), "{serials:?}");
        all.extend(numbers);
    }
    let mut serials: Vec<u32> = all.iter().map(|n| n[16..].parse().unwrap()).collect();
    serials.sort_unstable();
    assert_eq!(
        serials,
        (1..=(BATCHES * PER_BATCH) as u32).collect::<Vec<_>>()
    );
    for n in &all {
        assert_eq!(n.len(), 22);
        assert!(n.starts_with("S000032320100304"), "{n}");
    }
    // The results store on the same plans: facts per plan or per candidate, and one
    // publication per plan.
    let plan_id = s.issuance_request(1).await.unwrap().plan_id;
    let facts = s.result_facts(plan_id, None).await.unwrap();
    assert_eq!(facts.len(), PER_BATCH);
    let one = s
        .result_facts(plan_id, Some(facts[3].candidate_id))
        .await
        .unwrap();
    assert_eq!((one.len(), one[0].candidate_id), (1, facts[3].candidate_id));
    assert!(one[0].score.is_none() && one[0].attempt_id.is_none());
    let publication = skillcert::store::grading::Publication {
        published_at_ms: T0,
        review_until_ms: T0 + 1,
    };
    s.publish_results(plan_id, by, publication, ev("results.publish"))
        .await
        .unwrap();
    assert_eq!(s.publication(plan_id).await.unwrap(), Some(publication));
    let twice = s
        .publish_results(plan_id, by, publication, ev("results.publish"))
        .await;
    assert!(
        matches!(twice, Err(skillcert::store::StoreError::Conflict { .. })),
        "{twice:?}"
    );
    // A certificate reads back by number with its names; status changes are bounded.
    let cert = s.certificate_by_number(&all[0]).await.unwrap().unwrap();
    assert_eq!(
        (cert.level, cert.kind),
        (Some(4), CertificateKind::SkillLevel)
    );
    use skillcert::domain::certificate::CertificateStatus;
    let revoked = s
        .set_certificate_status(
            cert.id,
            CertificateStatus::Revoked,
            "复核不合格".into(),
            by,
            ev("certificate.status"),
        )
        .await
        .unwrap();
    assert_eq!(revoked.status, CertificateStatus::Revoked);
    assert!(s
        .set_certificate_status(
            cert.id,
            CertificateStatus::Valid,
            "x".into(),
            by,
            ev("certificate.status")
        )
        .await
        .is_err());
    // Reviews: the candidate asks once; one open at a time; a changed decision revokes
    // the certificate named with it in the same transaction.
    let holder = cert.candidate_id;
    let cert_plan = cert.plan_id;
    let r1 = s
        .file_review(cert_plan, holder, false, "第5题".into(), ev("review.file"))
        .await
        .unwrap();
    assert!(matches!(
        s.file_review(cert_plan, holder, false, "again".into(), ev("review.file"))
            .await,
        Err(skillcert::store::StoreError::Refused { .. })
    ));
    assert!(matches!(
        s.file_review(
            cert_plan,
            holder,
            true,
            "official".into(),
            ev("review.open")
        )
        .await,
        Err(skillcert::store::StoreError::Refused { .. })
    ));
    let second_cert = s.certificate_by_number(&all[1]).await.unwrap().unwrap();
    let d = skillcert::store::reviews::ReviewDecision {
        reviewer_id: by,
        changed: true,
        adjustment: -4.0,
        decision: "更正".into(),
        revoke: Some((second_cert.id, "成绩复核后不合格".into())),
    };
    s.decide_review(r1, d.clone(), ev("review.decide"))
        .await
        .unwrap();
    assert!(
        s.decide_review(r1, d, ev("review.decide")).await.is_err(),
        "once"
    );
    let after = s.certificate(second_cert.id).await.unwrap();
    assert_eq!(after.status, CertificateStatus::Revoked);
    assert_eq!(after.status_reason.as_deref(), Some("成绩复核后不合格"));
    s.file_review(cert_plan, holder, true, "复查".into(), ev("review.open"))
        .await
        .unwrap();
    let facts = s.result_facts(cert_plan, Some(holder)).await.unwrap();
    assert_eq!(facts[0].review_adjustment, -4.0);
    assert_eq!(facts[0].review_status.as_deref(), Some("open"));
    let reviews = s.plan_reviews(cert_plan).await.unwrap();
    assert_eq!(reviews.len(), 2);
    assert!(!reviews[0].official && reviews[1].official);
    // One pending request per plan.
    s.request_issuance(plan_id, by, ev("certificate.request"))
        .await
        .unwrap();
    let second = s
        .request_issuance(plan_id, by, ev("certificate.request"))
        .await;
    assert!(
        matches!(second, Err(skillcert::store::StoreError::Refused { .. })),
        "{second:?}"
    );
    // A request is decided once: approving again issues nothing.
    let again = s
        .approve_issuance(1, by, parts, vec![], ev("certificate.issue"))
        .await;
    assert!(again.is_err(), "{again:?}");
    credit_ledger(s.as_ref(), by, &all).await;
}

/// Credit ledgers (DESIGN §3.8) on the same store: a proposal counts once confirmed,
/// and only once; confirming a hard-exit event revokes the named certificates of its
/// body in the same transaction (a certificate of another body refuses the whole
/// decision); one open appeal per event; upholding reverses the event.
async fn credit_ledger(s: &dyn Store, by: i64, numbers: &[String]) {
    use skillcert::domain::credit::{EventStatus, SubjectKind};
    use skillcert::store::credit::{EvidenceRef, NewCreditEvent, Revocation};
    let cert = s.certificate_by_number(&numbers[5]).await.unwrap().unwrap();
    let body = cert.body_id;
    let new = |rule: &str, points: i32, hard: bool, status: EventStatus| NewCreditEvent {
        subject_kind: SubjectKind::Body,
        subject_id: body,
        body_id: Some(body),
        year: 2030,
        rule_code: rule.into(),
        points,
        hard_exit: hard,
        note: "督导发现".into(),
        evidence: vec![EvidenceRef {
            kind: "finding".into(),
            id: 7,
        }],
        status,
        plan_id: Some(cert.plan_id),
        by,
    };
    let b02 = s
        .add_credit_event(
            new("B02", -10, false, EventStatus::Confirmed),
            Revocation::default(),
            ev("credit.record"),
        )
        .await
        .unwrap();
    let x04 = s
        .add_credit_event(
            new("X04", 0, true, EventStatus::Proposed),
            Revocation::default(),
            ev("credit.propose"),
        )
        .await
        .unwrap();
    // A certificate of no body of this event: the decision is refused, nothing changes.
    let foreign = Revocation {
        certificate_ids: vec![cert.id, 987_654],
        reason: "X04".into(),
    };
    assert!(s
        .decide_credit_event(x04, true, by, "核实", foreign, ev("credit.confirm"))
        .await
        .is_err());
    assert_eq!(
        s.credit_event(x04).await.unwrap().status,
        EventStatus::Proposed
    );
    let revoke = Revocation {
        certificate_ids: vec![cert.id],
        reason: "X04 向不合格人员发证".into(),
    };
    s.decide_credit_event(x04, true, by, "核实", revoke.clone(), ev("credit.confirm"))
        .await
        .unwrap();
    let after = s.certificate(cert.id).await.unwrap();
    assert_eq!(
        after.status,
        skillcert::domain::certificate::CertificateStatus::Revoked
    );
    assert_eq!(after.status_reason.as_deref(), Some("X04 向不合格人员发证"));
    assert!(
        s.decide_credit_event(x04, false, by, "x", revoke, ev("credit.reject"))
            .await
            .is_err(),
        "decided once"
    );
    let ledger = s.credit_events(SubjectKind::Body, body).await.unwrap();
    assert_eq!(ledger.len(), 2);
    assert_eq!(ledger[1].evidence[0].id, 7);
    assert_eq!(ledger[1].decided_by_id, Some(by));
    let entries = s.credit_entries(SubjectKind::Body).await.unwrap();
    assert_eq!(entries.len(), 2, "confirmed only");
    // Appeals: one open per event; only a confirmed event; upholding reverses it.
    let a = s
        .file_appeal(b02, by, "有回执", ev("credit.appeal"))
        .await
        .unwrap();
    assert!(matches!(
        s.file_appeal(b02, by, "again", ev("credit.appeal")).await,
        Err(skillcert::store::StoreError::Conflict { .. })
    ));
    assert_eq!(s.credit_event(b02).await.unwrap().open_appeal_id, Some(a));
    s.decide_appeal(a, true, by, "属实", ev("credit.appeal_upheld"))
        .await
        .unwrap();
    assert!(s
        .decide_appeal(a, false, by, "x", ev("credit.appeal_dismissed"))
        .await
        .is_err());
    assert_eq!(
        s.credit_event(b02).await.unwrap().status,
        EventStatus::Reversed
    );
    assert_eq!(s.appeals(b02).await.unwrap()[0].status, "upheld");
    assert_eq!(
        s.credit_events_where(Some(body), Some(EventStatus::Reversed), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_issuance() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::sqlite_store(dir.path()).await;
    concurrent_issuance_never_repeats_or_skips(s.clone()).await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_issuance() {
    let Some(db) = common::pg_db("concurrent_issuance").await else {
        return;
    };
    let s = common::pg_store(&db).await;
    concurrent_issuance_never_repeats_or_skips(s.clone()).await;
    s.close().await;
    db.drop_db().await;
}
