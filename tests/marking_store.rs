//! The marking store on SQLite and PostgreSQL: panels with a leader, qualifications,
//! the positions waiting for assessors, one active mark per assessor, corrections that
//! take effect only on approval (once), one arbitration per task, and the rotation
//! history.

mod common;

use std::sync::Arc;

use common::attempts::{ev, fixture, two_attempts, T0};
use skillcert::domain::grading::panel::{ElementMarks, Qualification};
use skillcert::domain::grading::{ItemScore, Outcome, PaperScore};
use skillcert::domain::role::Role;
use skillcert::store::marking::{Arbitration, NewMark};
use skillcert::store::{NewUser, Store, StoreError};

fn new_mark(attempt_id: i64, assessor_id: i64, points: f64) -> NewMark {
    NewMark {
        attempt_id,
        position: 0,
        assessor_id,
        elements: ElementMarks {
            points: vec![points],
            vetoed: vec![],
        },
        points,
        veto: false,
        note: "依据".into(),
    }
}

fn refused<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Refused { .. }))
}

async fn panels_marks_corrections_and_arbitration(s: Arc<dyn Store>) {
    let f = fixture(s.as_ref()).await;
    let attempts = two_attempts(s.as_ref(), &f, 0).await;
    let attempt = attempts[0].0;
    let rec = s.attempt(attempt).await.unwrap();
    let body = s.org(f.room).await.unwrap().body_id.unwrap();
    let mut assessors = Vec::new();
    for i in 0..3 {
        let u = s
            .create_user(
                NewUser {
                    login: format!("assessor{i}"),
                    display_name: format!("考评员{i}"),
                    password_hash: "$argon2id$dummy".into(),
                    org_id: body,
                    person: None,
                    roles: vec![Role::Assessor],
                    granted_by: None,
                    must_change_password: false,
                    link_body: None,
                },
                ev("user", T0),
            )
            .await
            .unwrap();
        assessors.push(u.id);
    }
    // Qualifications are recorded and renewed in place.
    let q = |until: &str| Qualification {
        occupation_code: "9-99-99-99".into(),
        highest_level: 3,
        valid_until: until.into(),
    };
    s.grant_qualification(assessors[0], q("2027-01-01"), f.proctor, ev("q", T0))
        .await
        .unwrap();
    s.grant_qualification(assessors[0], q("2030-01-01"), f.proctor, ev("q", T0))
        .await
        .unwrap();
    assert_eq!(
        s.qualifications(assessors[0]).await.unwrap(),
        vec![q("2030-01-01")]
    );

    // A panel of three with a leader; a second assignment is a conflict.
    for (i, a) in assessors.iter().enumerate() {
        s.assign_assessor(rec.session_id, *a, i == 0, f.proctor, ev("assign", T0))
            .await
            .unwrap();
    }
    let again = s
        .assign_assessor(
            rec.session_id,
            assessors[1],
            false,
            f.proctor,
            ev("assign", T0),
        )
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    let panel = s.session_assessors(rec.session_id).await.unwrap();
    assert_eq!(panel.len(), 3);
    assert_eq!(panel.iter().filter(|(_, leader)| *leader).count(), 1);
    assert!(panel.iter().any(|(r, l)| r.user_id == assessors[0] && *l));
    assert_eq!(
        s.assessor_sessions(assessors[2]).await.unwrap(),
        vec![rec.session_id]
    );
    // Assessors are not proctors.
    assert!(!s
        .is_session_proctor(rec.session_id, assessors[0])
        .await
        .unwrap());
    assert!(s.proctor_sessions(assessors[0]).await.unwrap().is_empty());
    // Rotation history of the body's earlier plans (this is its first: none).
    assert!(s
        .served_recent(body, assessors[0], rec.plan_id, 3)
        .await
        .unwrap()
        .is_empty());
    let later = s
        .served_recent(body, assessors[0], rec.plan_id + 1, 3)
        .await
        .unwrap();
    assert_eq!(later, vec![true]);

    // What scoring reads: the paper and the answers, for many attempts at once.
    let save = skillcert::store::delivery::ExamOp::Save {
        attempt_id: attempt,
        session: attempts[0].1.clone(),
        changes: vec![
            skillcert::store::delivery::Change {
                position: 1,
                seq: 1,
                answer: "[0]".into(),
            },
            skillcert::store::delivery::Change {
                position: 0,
                seq: 2,
                answer: "\"简答\"".into(),
            },
        ],
    };
    s.apply_exam_ops(&[save], T0 + 1_000, 30_000).await.unwrap();
    let inputs = s
        .attempts_for_scoring(&[attempt, attempts[1].0])
        .await
        .unwrap();
    assert_eq!(inputs.len(), 2);
    let mine = inputs.iter().find(|i| i.attempt_id == attempt).unwrap();
    let mut answers = mine.answers.clone();
    answers.sort();
    assert_eq!(
        answers,
        vec![(0, "\"简答\"".to_string()), (1, "[0]".to_string())]
    );
    assert_eq!(mine.paper, rec.paper);
    assert!(inputs
        .iter()
        .find(|i| i.attempt_id != attempt)
        .unwrap()
        .answers
        .is_empty());
    // Position 0 waits for the panel once the attempt is scored with it pending.
    let score = PaperScore {
        items: vec![ItemScore {
            position: 0,
            points: 0.0,
            max_points: 10.0,
            outcome: Outcome::Pending,
        }],
        points: 0.0,
        max_points: 10.0,
        pending: 1,
        responses: vec![],
    };
    assert!(s.record_score(attempt, &score, T0).await.unwrap());
    assert!(!s.record_score(attempt, &score, T0).await.unwrap(), "once");
    // (The attempt is not closed, so the session's queue is still empty.)
    s.submit_mark(new_mark(attempt, assessors[0], 8.0), ev("mark", T0))
        .await
        .unwrap();
    assert!(refused(
        s.submit_mark(new_mark(attempt, assessors[0], 9.0), ev("mark", T0))
            .await
    ));
    let m1 = s
        .submit_mark(new_mark(attempt, assessors[1], 4.0), ev("mark", T0))
        .await
        .unwrap();
    s.submit_mark(new_mark(attempt, assessors[2], 9.0), ev("mark", T0))
        .await
        .unwrap();
    let marks = s.plan_marks(rec.plan_id).await.unwrap();
    assert_eq!(marks.len(), 3);
    assert!(marks.iter().all(|m| m.max_points == 10.0 && !m.veto));

    // A correction waits for approval; only one at a time; a decision applies once.
    let prop = s
        .propose_correction(
            m1,
            new_mark(attempt, assessors[1], 7.0),
            "漏看".into(),
            ev("c", T0),
        )
        .await
        .unwrap();
    assert!(refused(
        s.propose_correction(
            m1,
            new_mark(attempt, assessors[1], 6.0),
            "再改".into(),
            ev("c", T0)
        )
        .await
    ));
    let active: Vec<f64> = s
        .plan_marks(rec.plan_id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.points)
        .collect();
    assert!(
        active.contains(&4.0) && !active.contains(&7.0),
        "not before approval"
    );
    s.decide_correction(prop, true, assessors[0], ev("d", T0))
        .await
        .unwrap();
    assert!(refused(
        s.decide_correction(prop, false, assessors[0], ev("d", T0))
            .await
    ));
    let all = s.attempt_marks(attempt).await.unwrap();
    let status_of = |id: i64| all.iter().find(|m| m.id == id).unwrap().status.clone();
    assert_eq!(status_of(m1), "superseded");
    assert_eq!(status_of(prop), "active");
    assert_eq!(s.mark(prop).await.unwrap().reason.as_deref(), Some("漏看"));
    let active: Vec<f64> = s
        .plan_marks(rec.plan_id)
        .await
        .unwrap()
        .iter()
        .map(|m| m.points)
        .collect();
    assert_eq!(active.len(), 3);
    assert!(active.contains(&7.0) && !active.contains(&4.0));
    // A superseded mark cannot be corrected again.
    assert!(refused(
        s.propose_correction(
            m1,
            new_mark(attempt, assessors[1], 5.0),
            "x".into(),
            ev("c", T0)
        )
        .await
    ));

    // One arbitration per task.
    let arb = Arbitration {
        attempt_id: attempt,
        position: 0,
        arbitrator_id: assessors[0],
        points: 7.5,
        veto: false,
        reason: "合议".into(),
        at_ms: T0,
    };
    s.arbitrate(arb.clone(), ev("a", T0)).await.unwrap();
    assert!(refused(s.arbitrate(arb, ev("a", T0)).await));
    let arbs = s.plan_arbitrations(rec.plan_id).await.unwrap();
    assert_eq!((arbs.len(), arbs[0].points), (1, 7.5));
}

#[tokio::test]
async fn sqlite_marking_store() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::sqlite_store(dir.path()).await;
    panels_marks_corrections_and_arbitration(s.clone()).await;
    s.close().await;
}

#[tokio::test]
async fn postgres_marking_store() {
    let Some(db) = common::pg_db("marking_store").await else {
        return;
    };
    let s = common::pg_store(&db).await;
    panels_marks_corrections_and_arbitration(s.clone()).await;
    s.close().await;
    db.drop_db().await;
}
