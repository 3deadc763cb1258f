//! A level's components over real HTTP (DESIGN §3.5): the theory plan is sat online;
//! the skills plan of the same level is a station with a practical task from the bank,
//! marked by a qualified, odd panel of assessors; a certificate is issued from the
//! theory plan only to the candidate who passed both, and the results page shows each
//! candidate's standing in the other component. A review panel is refused at level 5,
//! and a station plan may not hold machine-scored items.

mod common;

use serde_json::{json, Value};

use common::exams::{id_number, user};
use common::issued::published_plan;
use common::{Client, TestApp};

async fn signed_in(app: &TestApp, login: &str) -> Client {
    let c = app.client();
    c.login(login, "Correct-Horse-9").await;
    c
}

#[tokio::test]
async fn a_certificate_needs_both_the_theory_and_the_skills_component() {
    let app = TestApp::spawn_with(|c| {
        c.exams.review_window_hours = 0;
        c.exams.components = Default::default();
        c.exams.subsidies.max_per_year = 2;
    })
    .await;
    // Theory: both candidates answer everything right and pass; published.
    let planned = published_plan(&app, 2).await;
    let (body, theory, ba) = (planned.body_id, planned.plan_id, &planned.body_admin);
    let admin = app.admin().await;
    let tag = common::hex_id();
    user(&admin, &format!("bb{tag}"), body, "body_admin").await;
    let second = signed_in(&app, &format!("bb{tag}")).await;
    let issue = |plan: i64| {
        let (ba, second) = (ba, &second);
        async move {
            let (s, req) = ba
                .post(
                    &format!("/api/v1/plans/{plan}/certificates/requests"),
                    json!({}),
                )
                .await;
            if s != 201 {
                return (s, req);
            }
            second
                .post(
                    &format!("/api/v1/certificates/requests/{}", req["id"]),
                    json!({"approve": true}),
                )
                .await
        }
    };
    // Without the skills component nobody has passed the level yet.
    let (s, issued) = issue(theory).await;
    assert_eq!(s, 200, "{issued}");
    assert_eq!(issued["numbers"], json!([]), "{issued}");

    // The skills plan: refused as a review panel at level 5, and with a theory paper.
    let new_plan = |component: &str, paper: Option<Value>| {
        let mut p = json!({"body_id": body, "occupation_code": "4-10-01-05", "level": 5,
            "name": "养老护理员五级 操作技能考核", "exam_date": skillcert::today().to_string(),
            "component": component});
        if let Some(paper) = paper {
            p["paper"] = paper;
        }
        p
    };
    let (s, b) = ba.post("/api/v1/plans", new_plan("review", None)).await;
    assert_eq!(
        (s, b["error"]["fields"][0]["code"].as_str()),
        (422, Some("exam_error.component_level")),
        "{b}"
    );
    let theory_paper = json!({"quotas": [{"item_type": "true_false", "count": 5, "points": 2.0}],
        "importance_mix": [100, 0, 0], "max_per_point": 6, "difficulty_target": 3.0,
        "difficulty_tolerance": 4.0});
    let (s, b) = ba
        .post("/api/v1/plans", new_plan("skills", Some(theory_paper)))
        .await;
    assert_eq!(
        (s, b["error"]["fields"][0]["code"].as_str()),
        (422, Some("exam_error.station_items")),
        "{b}"
    );
    let (s, skills) = ba.post("/api/v1/plans", new_plan("skills", None)).await;
    assert_eq!(s, 201, "{skills}");
    assert_eq!(skills["component"], "skills");
    let skills = skills["id"].as_i64().unwrap();
    let (_, detail) = ba.get(&format!("/api/v1/plans/{theory}")).await;
    let room = detail["sessions"][0]["room_id"].as_i64().unwrap();
    let (s, sess) = ba
        .post(
            &format!("/api/v1/plans/{skills}/sessions"),
            json!({"room_id": room, "starts_at": common::exams::local_in(5)}),
        )
        .await;
    assert_eq!(s, 201, "{sess}");
    let session = sess["id"].as_i64().unwrap();
    let list: Vec<Value> = (0..2)
        .map(|i| json!({"name": format!("考生{i}"), "id_number": id_number(i), "session_id": session}))
        .collect();
    let (s, b) = ba
        .post(
            &format!("/api/v1/plans/{skills}/candidates"),
            json!({"candidates": list}),
        )
        .await;
    assert!(s == 200 || s == 201, "{b}");
    // A panel of three qualified assessors, one leading.
    let mut panel = Vec::new();
    for i in 0..3 {
        let login = format!("as{i}{tag}");
        let id = user(&admin, &login, body, "assessor").await;
        let (s, b) = admin
            .post(
                &format!("/api/v1/users/{id}/qualifications"),
                json!({"occupation_code": "4-10-01-05", "highest_level": 3, "valid_until": "2030-12-31"}),
            )
            .await;
        assert_eq!(s, 204, "{b}");
        let (s, b) = ba
            .post(
                &format!("/api/v1/sessions/{session}/assessors"),
                json!({"user_id": id, "leader": i == 0}),
            )
            .await;
        assert_eq!(s, 204, "{b}");
        panel.push(signed_in(&app, &login).await);
    }
    // Stations need no proctors: the roster closes with the panel, and every task goes
    // straight to the marking queue.
    let (s, b) = ba
        .post(&format!("/api/v1/plans/{skills}/close-roster"), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, q) = panel[0].get("/api/v1/marking").await;
    assert_eq!(s, 200, "{q}");
    let tasks: Vec<(i64, u64)> = q["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["plan_id"] == skills)
        .map(|t| {
            (
                t["attempt_id"].as_i64().unwrap(),
                t["position"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(tasks.len(), 2, "{q}");
    // Candidate 0's station is done well (full marks), candidate 1's poorly (a fifth).
    let (_, roster) = ba.get(&format!("/api/v1/plans/{skills}/roster")).await;
    let attempt_of = |admission: usize| -> i64 {
        let row = roster["roster"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == format!("考生{admission}"))
            .unwrap_or_else(|| panic!("{roster}"));
        row["attempt_id"].as_i64().unwrap()
    };
    // Not before the station is held: the session starts in five minutes.
    let (attempt, pos) = tasks[0];
    let (s, b) = panel[0]
        .post(
            &format!("/api/v1/marking/{attempt}/{pos}"),
            json!({"points": [0], "vetoed": [], "note": "x"}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["fields"][0]["code"].as_str()),
        (422, Some("marking_error.not_started")),
        "{b}"
    );
    // Time passes (the session is moved back in the database).
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        app.dir.path().join("skillcert.db").display()
    ))
    .await
    .unwrap();
    sqlx::query("UPDATE plan_sessions SET starts_at_ms = starts_at_ms - 600000 WHERE id = $1")
        .bind(session)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    for (attempt, pos) in &tasks {
        let task = format!("/api/v1/marking/{attempt}/{pos}");
        let (s, t) = panel[0].get(&task).await;
        assert_eq!(s, 200, "{t}");
        let share = if *attempt == attempt_of(0) { 1.0 } else { 0.2 };
        let points: Vec<f64> = t["rubric"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                if e["veto"] == true {
                    0.0
                } else {
                    e["points"].as_f64().unwrap() * share
                }
            })
            .collect();
        for a in &panel {
            let (s, b) = a
                .post(
                    &task,
                    json!({"points": points, "vetoed": [], "note": "现场操作评分"}),
                )
                .await;
            assert_eq!(s, 201, "{b}");
        }
    }
    let (s, b) = ba
        .post(
            &format!("/api/v1/plans/{skills}/results/publish"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, r) = ba.get(&format!("/api/v1/plans/{skills}/results")).await;
    let passed: Vec<bool> = r["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["passed"].as_bool().unwrap())
        .collect();
    assert_eq!(passed.iter().filter(|p| **p).count(), 1, "{r}");

    // Certificates come from the theory plan, only for who passed both components.
    let (s, b) = issue(skills).await;
    assert_eq!(
        (s, b["error"]["fields"][0]["code"].as_str()),
        (422, Some("certificate_error.station_plan")),
        "{b}"
    );
    let (s, issued) = issue(theory).await;
    assert_eq!(s, 200, "{issued}");
    assert_eq!(issued["numbers"].as_array().unwrap().len(), 1, "{issued}");
    let (_, certs) = ba
        .get(&format!("/api/v1/plans/{theory}/certificates"))
        .await;
    assert_eq!(certs["certificates"][0]["holder_name"], "考生0", "{certs}");
    // The theory plan's results page shows each candidate's skills standing.
    let (s, page) = ba.get_text(&format!("/plans/{theory}/results")).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("操作技能考核 合格") && page.contains("操作技能考核 —"),
        "{page}"
    );
    // An official review (复查) finds the skills station marked too high: the skills
    // result fails now, and the level's certificate, issued from the theory plan, is
    // revoked with it at once.
    let admission0 = roster["roster"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "考生0")
        .unwrap()["admission_no"]
        .clone();
    let (s, rv) = admin
        .post(
            &format!("/api/v1/plans/{skills}/reviews"),
            json!({"admission_no": admission0, "reason": "督导抽查：操作中未固定轮椅车闸"}),
        )
        .await;
    assert_eq!(s, 201, "{rv}");
    let (s, b) = admin
        .post(
            &format!("/api/v1/reviews/{}", rv["id"]),
            json!({"changed": true, "adjustment": -90, "decision": "否决项未发现，更正为不合格"}),
        )
        .await;
    assert!(s == 200 || s == 204, "{s} {b}");
    let number = issued["numbers"][0].as_str().unwrap().to_string();
    let (_, v) = app.client().get(&format!("/api/v1/verify/{number}")).await;
    assert_eq!(v["status"], "revoked", "{v}");
    // In a real browser: the theory plan's results with the skills column.
    if let Some((c, _driver, _profile)) = common::browser::browser().await {
        use common::browser::{click, fill, shot, text};
        c.goto(&app.url("/login")).await.unwrap();
        fill(&c, "#login", &format!("bb{tag}")).await;
        fill(&c, "#password", "Correct-Horse-9").await;
        click(&c, "#login-submit").await;
        c.goto(&app.url(&format!("/plans/{theory}/results")))
            .await
            .unwrap();
        assert!(text(&c, "#results").await.contains("操作技能考核"));
        shot(&c, "body_admin-results-components").await;
    }
    // The subsidy page states the region's policy as configured (2 a year here).
    let (_, page) = ba.get_text("/subsidies").await;
    assert!(page.contains("每人每年最多 2 次"), "{page}");
    app.stop().await;
}
