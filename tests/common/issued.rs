//! A plan taken all the way to issued certificates over HTTP (candidates who answer
//! right, publication with the review window closed, issuance by a second admin), for
//! tests of what comes after: credit, oversight, statistics.
#![allow(dead_code)]

use serde_json::{json, Value};
use skillcert::domain::item::Answer;

use super::exams::{exam_login, id_number, plan_elderly_care_of, user, Planned};
use super::{sqlite_store, Client, TestApp};

/// The right answer of every position of an attempt's paper, as the exam page would
/// save it (shown option positions), read from the database as an examiner could not.
pub async fn right_answers(app: &TestApp, attempt_id: i64) -> Vec<(u32, Value)> {
    let store = sqlite_store(app.dir.path()).await;
    let rec = store.attempt(attempt_id).await.unwrap();
    let keys: Vec<(i64, i64)> = rec
        .paper
        .items
        .iter()
        .map(|i| (i.item_id, i.version))
        .collect();
    let contents = store.item_contents(&keys).await.unwrap();
    let mut out = Vec::new();
    for (pos, it) in rec.paper.items.iter().enumerate() {
        let (_, c) = contents
            .iter()
            .find(|(k, _)| *k == (it.item_id, it.version))
            .unwrap();
        let shown_key = |p: usize| {
            let orig = match it.option_order.is_empty() {
                true => p,
                false => usize::from(it.option_order[p]),
            };
            c.options[orig].key.clone()
        };
        let answer = match &c.answer {
            Answer::TrueFalse(b) => json!(b),
            Answer::Keys(k) => json!((0..c.options.len())
                .filter(|p| k.contains(&shown_key(*p)))
                .collect::<Vec<_>>()),
            other => panic!("the demo paper has only choice items: {other:?}"),
        };
        out.push((pos as u32, answer));
    }
    store.close().await;
    out
}

pub async fn answer_all(c: &Client, answers: &[(u32, Value)]) {
    let changes: Vec<Value> = answers
        .iter()
        .map(|(p, a)| json!({"position": p, "seq": 1, "answer": a}))
        .collect();
    let (s, b) = c
        .post("/api/v1/exam/answers", json!({ "changes": changes }))
        .await;
    assert_eq!(s, 200, "{b}");
}

/// A plan of `n` candidates who all answered right, scored and published (review
/// window 0 hours: the app must be spawned with `review_window_hours = 0`).
pub async fn published_plan(app: &TestApp, n: usize) -> Planned {
    published_plan_of(app, 0..n).await
}

/// [`published_plan`] for the people [`id_number`]`(i)`, `i` in `persons`.
pub async fn published_plan_of(app: &TestApp, persons: std::ops::Range<usize>) -> Planned {
    publish(app, plan_elderly_care_of(app, 600, persons, 0, None).await).await
}

/// Takes a plan whose roster is still open through the exam (everyone answers right)
/// to published results.
pub async fn publish(app: &TestApp, planned: Planned) -> Planned {
    let n = planned.admissions.len();
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let plan = planned.plan_id;
    let mut cands = Vec::new();
    for i in 0..n {
        let person = id_number(planned.first_person + i);
        cands.push(exam_login(app, &planned.admissions[i], &person).await);
    }
    planned.admit_all().await;
    for c in &cands {
        let (s, _) = c.post("/api/v1/exam/start", json!({})).await;
        assert_eq!(s, 200);
        let (_, st) = c.get("/api/v1/exam/state").await;
        let answers = right_answers(app, st["attempt_id"].as_i64().unwrap()).await;
        answer_all(c, &answers).await;
        let (s, _) = c.post("/api/v1/exam/submit", json!({})).await;
        assert_eq!(s, 200);
    }
    let ba = &planned.body_admin;
    for _ in 0..200 {
        let (_, r) = ba.get(&format!("/api/v1/plans/{plan}/results")).await;
        if r["scored"] == n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (s, b) = ba
        .post(&format!("/api/v1/plans/{plan}/results/publish"), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
    planned
}

/// [`published_plan`], its certificates issued by a second body admin. Returns the plan
/// and the certificate numbers.
pub async fn issued_plan(app: &TestApp, n: usize) -> (Planned, Vec<String>) {
    issued_plan_of(app, 0..n).await
}

/// [`issued_plan`] for the people [`id_number`]`(i)`, `i` in `persons`.
pub async fn issued_plan_of(
    app: &TestApp,
    persons: std::ops::Range<usize>,
) -> (Planned, Vec<String>) {
    issue(app, published_plan_of(app, persons).await).await
}

/// A published plan's certificates, requested by its body admin and issued by a second
/// body admin (the results must be final: the app spawned with `review_window_hours =
/// 0`). Returns the plan and the certificate numbers.
pub async fn issue(app: &TestApp, planned: Planned) -> (Planned, Vec<String>) {
    let n = planned.admissions.len();
    let (plan, ba) = (planned.plan_id, &planned.body_admin);
    let admin = app.admin().await;
    let tag = super::hex_id();
    user(&admin, &format!("bb{tag}"), planned.body_id, "body_admin").await;
    let second = app.client();
    second.login(&format!("bb{tag}"), "Correct-Horse-9").await;
    let (s, req) = ba
        .post(
            &format!("/api/v1/plans/{plan}/certificates/requests"),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{req}");
    let (s, issued) = second
        .post(
            &format!("/api/v1/certificates/requests/{}", req["id"]),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, 200, "{issued}");
    let numbers: Vec<String> = issued["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    assert_eq!(numbers.len(), n);
    (planned, numbers)
}
