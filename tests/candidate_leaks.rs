//! The candidate's view, crawled: at every step of the attempt's life cycle (roster
//! closed, signed in, answering, submitted and scored, published) every page and API
//! read in the route table is fetched as the candidate's exam-day session and as their
//! own account, with every id of the plan, of both candidates' attempts and of their
//! session. No response may carry an answer key (key fields, the items' explanations
//! and references), a score before the results are published, or the other
//! candidate's name, admission number or document number.

mod common;

use common::exams::{exam_login, id_number, plan_elderly_care};
use common::issued::{answer_all, right_answers};
use common::scenario::PASSWORD;
use common::{sqlite_store, Client, TestApp};
use reqwest::Method;
use serde_json::json;

/// Every successful read `clients` can make: `(who and what, body)`.
async fn crawl(clients: &[(&str, &Client)], ids: &[i64]) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    for spec in skillcert::web::routes::table() {
        // The scripts, styles and the API's schema describe fields, they hold no data.
        if spec.method != Method::GET
            || spec.path.starts_with("/static/")
            || spec.path == "/api/v1/openapi.json"
        {
            continue;
        }
        let paths: Vec<String> = if spec.path.contains('{') {
            ids.iter()
                .map(|id| {
                    spec.path
                        .replace("{id}", &id.to_string())
                        .replace("{attempt}", &id.to_string())
                        .replace("{position}", "0")
                        .replace("{kind}", "body")
                        .replace("{code}", "zh-CN")
                        .replace("{number}", &id.to_string())
                })
                .collect()
        } else {
            vec![spec.path.to_string()]
        };
        for path in paths {
            for (who, c) in clients {
                let (status, text) = c.get_text(&path).await;
                if status == 200 {
                    seen.push((format!("{who} GET {path}"), text));
                }
            }
        }
    }
    seen
}

/// Fails naming the response and the text it must not carry.
fn assert_absent(seen: &[(String, String)], needles: &[String], why: &str) {
    for (what, text) in seen {
        for n in needles {
            assert!(
                !text.contains(n.as_str()),
                "{what} carries {n:?} ({why}): …{}…",
                text.find(n.as_str())
                    .map(|at| text[at.saturating_sub(200)..]
                        .chars()
                        .take(400)
                        .collect::<String>())
                    .unwrap_or_default()
            );
        }
    }
}

#[tokio::test]
async fn a_candidate_never_sees_a_key_an_early_score_or_another_candidate() {
    let app = TestApp::spawn_with(|c| c.exams.review_window_hours = 0).await;
    let planned = plan_elderly_care(&app, 600, 2).await;
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let plan = planned.plan_id;
    let admin = app.admin().await;
    admin
        .create_user(
            json!({"login": "kaosheng0", "password": PASSWORD, "org_id": planned.body_id,
                            "role": "candidate", "name": "考生0", "document_number": id_number(0)}),
        )
        .await;
    let account = app.client();
    account.login("kaosheng0", PASSWORD).await;

    // The other candidate, as they could be found.
    let other = vec![
        "考生1".to_string(),
        planned.admissions[1].clone(),
        id_number(1),
    ];
    // JSON keys (a page's `class="correct"` on a published breakdown is no key).
    let key_fields: Vec<String> = [
        "\"correct\":",
        "\"answer_key\":",
        "\"keys\":",
        "\"explanation\":",
        "\"reference\":",
        "\"rubric\":",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Before publication, a page's per-question marking counts as a score too.
    let score_fields: Vec<String> = [
        "class=\"correct\"",
        "\"raw_points\":",
        "\"score\":",
        "\"passed\":",
        "\"theory\":",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();

    let base_ids = vec![plan, planned.session_id, planned.body_id];
    let seen = crawl(&[("account", &account)], &base_ids).await;
    assert_absent(&seen, &other, "the other candidate");
    assert_absent(&seen, &score_fields, "no score yet");
    let roster_closed = seen.len();

    // Exam day: both sign in and start; candidate 0 answers all but one right.
    let c0 = exam_login(&app, &planned.admissions[0], &id_number(0)).await;
    let c1 = exam_login(&app, &planned.admissions[1], &id_number(1)).await;
    let both = [("exam", &c0), ("account", &account)];
    let seen = crawl(&both, &base_ids).await;
    assert_absent(&seen, &other, "the other candidate");
    assert_absent(&seen, &score_fields, "no score yet");
    planned.admit_all().await;
    let mut attempts = Vec::new();
    // What the candidate's own changes answer (start, a save, submit): checked too.
    let mut posted = Vec::new();
    for c in [&c0, &c1] {
        let (s, st) = c.post("/api/v1/exam/start", json!({})).await;
        assert_eq!(s, 200, "{st}");
        posted.push(("exam POST /api/v1/exam/start".to_string(), st.to_string()));
        let (_, st) = c.get("/api/v1/exam/state").await;
        attempts.push(st["attempt_id"].as_i64().unwrap());
    }
    let mut answers0 = right_answers(&app, attempts[0]).await;
    answers0.pop();
    let (s, b) = c0
        .post(
            "/api/v1/exam/answers",
            json!({"changes": [{"position": answers0[0].0, "seq": 1, "answer": answers0[0].1}]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    posted.push(("exam POST /api/v1/exam/answers".to_string(), b.to_string()));
    answer_all(&c0, &answers0).await;
    answer_all(&c1, &right_answers(&app, attempts[1]).await).await;

    // What a key looks like on these papers: the items' explanations and references.
    let store = sqlite_store(app.dir.path()).await;
    let mut key_texts = key_fields.clone();
    for attempt in &attempts {
        let rec = store.attempt(*attempt).await.unwrap();
        let keys: Vec<(i64, i64)> = rec
            .paper
            .items
            .iter()
            .map(|i| (i.item_id, i.version))
            .collect();
        for (_, c) in store.item_contents(&keys).await.unwrap() {
            for t in [&c.explanation, &c.reference].into_iter().flatten() {
                if t.chars().count() >= 6 {
                    key_texts.push(t.clone());
                }
            }
        }
    }
    store.close().await;
    let mut ids = base_ids.clone();
    ids.extend(&attempts);
    let seen = crawl(&both, &ids).await;
    assert_absent(&seen, &key_texts, "an answer key");
    assert_absent(&seen, &other, "the other candidate");
    assert_absent(&seen, &score_fields, "no score yet");
    let answering = seen.len();

    // Submitted and scored, not yet published.
    for c in [&c0, &c1] {
        let (s, b) = c.post("/api/v1/exam/submit", json!({})).await;
        assert_eq!(s, 200, "{b}");
        posted.push(("exam POST /api/v1/exam/submit".to_string(), b.to_string()));
    }
    // Only candidate 0's own answers are theirs to read; both are checked for keys
    // and scores.
    assert_absent(&posted, &key_texts, "an answer key");
    assert_absent(&posted, &score_fields, "no score yet");
    let ba = &planned.body_admin;
    for _ in 0..200 {
        let (_, r) = ba.get(&format!("/api/v1/plans/{plan}/results")).await;
        if r["scored"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, r) = ba.get(&format!("/api/v1/plans/{plan}/results")).await;
    assert_eq!(r["scored"], 2, "{r}");
    let score0 = r["candidates"][0]["theory"]["score"].as_f64().unwrap();
    assert!(score0 < 100.0, "one answer was left out: {r}");
    // The score as pages and JSON would show it.
    let shown = [
        format!("{score0:.1}"),
        format!("\"score\":{score0}"),
        format!("<td>{score0} <span"),
        "逐题得分".to_string(),
    ];
    let seen = crawl(&both, &ids).await;
    assert_absent(&seen, &key_texts, "an answer key");
    assert_absent(&seen, &other, "the other candidate");
    assert_absent(&seen, &score_fields, "not published");
    assert_absent(&seen, &shown, "not published");

    // Published: the candidate's own score may show now, nothing else.
    let (s, b) = ba
        .post(&format!("/api/v1/plans/{plan}/results/publish"), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
    let seen = crawl(&both, &ids).await;
    assert_absent(&seen, &key_texts, "an answer key");
    assert_absent(&seen, &other, "the other candidate");
    // The needles above do match the score as it shows once published (so their
    // absence before meant something).
    for n in &shown[2..] {
        assert!(
            seen.iter().any(|(_, t)| t.contains(n.as_str())),
            "published, the score shows as {n:?}"
        );
    }
    let (_, mine) = account.get_text("/api/v1/me/results").await;
    assert!(
        mine.contains(&format!("{score0}")),
        "the published score shows to its candidate: {mine}"
    );
    println!(
        "crawled {roster_closed} responses with the roster closed, {answering} while answering, \
         {} after publication",
        seen.len()
    );
    app.stop().await;
}
