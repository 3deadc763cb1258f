//! A short answer marked by a panel of three over HTTP, for tests that need marks to
//! exist (the authorisation matrix, stored XSS in the assessors' views). The marking
//! rules themselves are tested step by step in `tests/marking.rs`.
#![allow(dead_code)]

use serde_json::{json, Value};

use super::exams::{exam_login, id_number, plan_elderly_care_of, user, Planned};
use super::scenario::PASSWORD;
use super::{Client, TestApp};

/// A paper of five true/false items (2 points each) and one short answer (10 points).
pub fn short_answer_paper() -> Value {
    json!({"quotas": [{"item_type": "true_false", "count": 5, "points": 2.0},
                      {"item_type": "short_answer", "count": 1, "points": 10.0}],
           "importance_mix": [100, 0, 0], "max_per_point": 6,
           "difficulty_target": 3.0, "difficulty_tolerance": 4.0})
}

pub struct Marked {
    pub planned: Planned,
    pub attempt: i64,
    /// The short answer's position on the paper.
    pub position: u64,
    /// The panel, leader first: login and a signed-in client.
    pub assessors: Vec<(String, Client)>,
    /// Each assessor's mark, in the panel's order.
    pub marks: Vec<i64>,
}

/// Plans an exam with one short answer for the person [`id_number`]`(person)` in a new
/// body, seats a qualified panel of three (the first leads), lets the candidate write
/// `answer` and hand in, and has every assessor give full marks with the note `note()`.
pub async fn marked_short_answer(
    app: &TestApp,
    person: usize,
    answer: &str,
    mut note: impl FnMut() -> String,
) -> Marked {
    let planned =
        plan_elderly_care_of(app, 3600, person..person + 1, 0, Some(short_answer_paper())).await;
    let admin = app.admin().await;
    let tag = super::hex_id();
    let mut assessors = Vec::new();
    for i in 0..3 {
        let login = format!("as{i}{tag}");
        let id = user(&admin, &login, planned.body_id, "assessor").await;
        let (s, b) = admin
            .post(
                &format!("/api/v1/users/{id}/qualifications"),
                json!({"occupation_code": "4-10-01-05", "highest_level": 3, "valid_until": "2099-12-31"}),
            )
            .await;
        assert_eq!(s, 204, "{b}");
        let (s, b) = planned
            .body_admin
            .post(
                &format!("/api/v1/sessions/{}/assessors", planned.session_id),
                json!({"user_id": id, "leader": i == 0}),
            )
            .await;
        assert_eq!(s, 204, "{b}");
        let c = app.client();
        c.login(&login, PASSWORD).await;
        assessors.push((login, c));
    }
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let cand = exam_login(app, &planned.admissions[0], &id_number(person)).await;
    planned.admit_all().await;
    let (s, _) = cand.post("/api/v1/exam/start", json!({})).await;
    assert_eq!(s, 200);
    let (_, st) = cand.get("/api/v1/exam/state").await;
    let attempt = st["attempt_id"].as_i64().unwrap();
    let (_, paper) = cand.get("/api/v1/exam/paper").await;
    let position = paper["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item_type"] == "short_answer")
        .expect("a short answer on the paper")["position"]
        .as_u64()
        .unwrap();
    let (s, b) = cand
        .post(
            "/api/v1/exam/answers",
            json!({"changes": [{"position": position, "seq": 1, "answer": answer}]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, _) = cand.post("/api/v1/exam/submit", json!({})).await;
    assert_eq!(s, 200);
    // The task reaches the panel's queue once the paper is scored.
    let mut queued = false;
    for _ in 0..200 {
        let (s, q) = assessors[0].1.get("/api/v1/marking").await;
        assert_eq!(s, 200, "{q}");
        if q["tasks"].as_array().is_some_and(|t| !t.is_empty()) {
            queued = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(queued, "the short answer did not reach the panel");
    let task = format!("/api/v1/marking/{attempt}/{position}");
    let (s, t) = assessors[0].1.get(&task).await;
    assert_eq!(s, 200, "{t}");
    let full: Vec<f64> = t["rubric"]
        .as_array()
        .unwrap_or_else(|| panic!("no rubric: {t}"))
        .iter()
        .map(|e| match e["veto"].as_bool() {
            Some(true) => 0.0,
            _ => e["points"].as_f64().unwrap(),
        })
        .collect();
    let mut marks = Vec::new();
    for (_, c) in &assessors {
        let (s, b) = c.post(&task, json!({"points": full, "note": note()})).await;
        assert_eq!(s, 201, "{b}");
        marks.push(b["id"].as_i64().unwrap());
    }
    Marked {
        planned,
        attempt,
        position,
        assessors,
        marks,
    }
}
