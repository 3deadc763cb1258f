//! Exams over real HTTP: a body plans a session for a shipped occupation (refused out of
//! scope, when suspended, when understaffed, on a declared relation), the proctor
//! admits, candidates start and save (acknowledged, replays no-ops, older sequences
//! never overwrite), pause stops saves, the paper carries no keys, and an attempt whose
//! time runs out is submitted with its saved answers.

mod common;

use common::exams::*;
use common::TestApp;
use serde_json::{json, Value};

#[tokio::test]
async fn a_body_plans_the_proctor_admits_and_saves_are_never_lost() {
    let app = TestApp::spawn().await;
    let planned = plan_elderly_care(&app, 3600, 3).await;
    let ba = &planned.body_admin;
    let plan_id = planned.plan_id;

    // Out of the filed scope: refused, naming the field.
    let (s, b) = ba
        .post("/api/v1/plans", json!({"body_id": 0, "occupation_code": "4-10-01-05", "level": 4, "name": "x", "exam_date": "2026-12-01"}))
        .await;
    assert_eq!(s, 422, "{b}");

    // A declared relation to a candidate: the proctor cannot be assigned (reason given).
    let admin = app.admin().await;
    let tag = common::hex_id();
    let body_id = ba.get(&format!("/api/v1/plans/{plan_id}")).await.1["plan"]["body_id"]
        .as_i64()
        .unwrap();
    let p3 = user(&admin, &format!("pc{tag}"), body_id, "proctor").await;
    let p3c = app.client();
    p3c.login(&format!("pc{tag}"), "Correct-Horse-9").await;
    let (s, b) = p3c
        .post(
            "/api/v1/me/relations",
            json!({"name": "考生0", "id_number": id_number(0), "relation": "teacher_student"}),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = ba
        .post(
            &format!("/api/v1/sessions/{}/proctors", planned.session_id),
            json!({"user_id": p3}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "exam_error.recusal", "{b}");
    assert!(
        b["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&planned.admissions[0]),
        "{b}"
    );

    // Papers are generated when the roster closes.
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["papers"], 3);

    // Wrong ID number: refused without saying which part was wrong.
    let res = app
        .client()
        .http
        .post(app.url("/api/v1/exam/login"))
        .json(&json!({"admission_no": planned.admissions[0], "id_number": id_number(1)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);

    let c0 = exam_login(&app, &planned.admissions[0], &id_number(0)).await;
    // Not admitted yet: cannot start.
    let (s, b) = c0.post("/api/v1/exam/start", json!({})).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["error"]["code"], "not_admitted");

    let (s, b) = planned
        .proctor
        .post(
            &format!("/api/v1/sessions/{}/admit-all", planned.session_id),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["admitted"], 1, "only the candidate signed in: {b}");
    let (s, state) = c0.post("/api/v1/exam/start", json!({})).await;
    assert_eq!(s, 200, "{state}");
    assert_eq!(state["status"], "in_progress");
    assert!(state["remaining_ms"].as_i64().unwrap() > 3_500_000);

    // The paper: no keys, no explanations, no scores.
    let (s, paper) = c0.get("/api/v1/exam/paper").await;
    assert_eq!(s, 200);
    assert_eq!(paper["items"].as_array().unwrap().len(), 60);
    let text = paper.to_string();
    for leak in [
        "\"answer\"",
        "\"explanation\"",
        "\"reference\"",
        "\"rubric\"",
        "\"difficulty\"",
        "\"keys\"",
    ] {
        assert!(!text.contains(leak), "paper leaks {leak}");
    }
    let first = &paper["items"][0];
    let answer = match first["item_type"].as_str().unwrap() {
        "true_false" => json!(true),
        _ => json!([0]),
    };

    // Save: acknowledged with the commit's time; a replay is a no-op; an older
    // sequence never overwrites a newer one.
    let (s, ack) = save_answer(&c0, 0, 5, answer.clone()).await;
    assert_eq!(s, 200, "{ack}");
    assert_eq!(ack["seq"], 5);
    assert!(ack["saved_at_ms"].as_i64().unwrap() > 0);
    let (s, _) = save_answer(&c0, 0, 5, answer.clone()).await;
    assert_eq!(s, 200);
    let (s, _) = save_answer(&c0, 0, 3, Value::Null).await;
    assert_eq!(s, 200);
    let (_, st) = c0.get("/api/v1/exam/state").await;
    assert_eq!(st["answers"][0]["seq"], 5, "{st}");
    assert_eq!(st["answers"][0]["answer"], answer);
    // A bad position names the field and changes nothing.
    let (s, b) = save_answer(&c0, 999, 6, Value::Null).await;
    assert_eq!(s, 422);
    assert_eq!(b["error"]["fields"][0]["field"], "changes[0].position");

    // Resume on another device: same state after re-login.
    let again = exam_login(&app, &planned.admissions[0], &id_number(0)).await;
    let (_, st2) = again.get("/api/v1/exam/state").await;
    assert_eq!(st2["answers"], st["answers"]);
    // One device at a time: the first device's session has ended, for saves too (they
    // take the session from the server's cache; the writer finds it ended and writes
    // nothing); carry on with the new one.
    let (s, b) = save_answer(&c0, 0, 6, Value::Null).await;
    assert_eq!(s, 401, "{b}");
    assert_eq!(c0.get("/api/v1/exam/state").await.0, 401);
    let (_, st3) = again.get("/api/v1/exam/state").await;
    assert_eq!(
        st3["answers"], st["answers"],
        "the refused save wrote nothing"
    );
    let c0 = again;

    // Pause stops saves (the clock too); resume and extend are audited actions.
    let attempt = st["attempt_id"].as_i64().unwrap();
    let (s, b) = planned
        .proctor
        .post(
            &format!("/api/v1/attempts/{attempt}/actions"),
            json!({"action": "pause"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = save_answer(&c0, 1, 7, Value::Null).await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["error"]["code"], "attempt_paused");
    let (s, _) = planned
        .proctor
        .post(
            &format!("/api/v1/attempts/{attempt}/actions"),
            json!({"action": "resume"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = planned
        .proctor
        .post(
            &format!("/api/v1/attempts/{attempt}/actions"),
            json!({"action": "extend", "minutes": 10}),
        )
        .await;
    assert_eq!(s, 422, "a reason is required: {b}");
    let (s, b) = planned
        .proctor
        .post(
            &format!("/api/v1/attempts/{attempt}/actions"),
            json!({"action": "extend", "minutes": 10, "reason": "停电"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["extension_ms"], 600_000);
    let (s, b) = planned
        .proctor
        .post(
            &format!("/api/v1/attempts/{attempt}/actions"),
            json!({"action": "extend", "minutes": 25, "reason": "再延"}),
        )
        .await;
    assert_eq!(s, 422, "cap: {b}");

    // Irregularity: a warning is recorded; the proctor's actions are visible to the
    // plan's live view and the audit chain still verifies.
    let (s, b) = planned
        .proctor
        .post(
            &format!("/api/v1/attempts/{attempt}/irregularities"),
            json!({"outcome": "warning", "description": "交头接耳"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, live) = ba.get(&format!("/api/v1/plans/{plan_id}/live")).await;
    assert_eq!(s, 200);
    let actions: Vec<&str> = live["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for a in ["admit_all", "pause", "resume", "extend", "irregularity"] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }

    // Another body's admin sees nothing of this plan.
    let other = admin
        .create_body(&format!("其他机构{}", common::hex_id()))
        .await;
    user(&admin, &format!("ob{tag}"), other, "body_admin").await;
    let ob = app.client();
    ob.login(&format!("ob{tag}"), "Correct-Horse-9").await;
    assert_eq!(ob.get(&format!("/api/v1/plans/{plan_id}")).await.0, 404);
    assert_eq!(
        ob.get(&format!("/api/v1/plans/{plan_id}/answers")).await.0,
        404
    );
    // A proctor of the body who is not assigned to the room cannot act on it.
    assert_eq!(
        p3c.post(
            &format!("/api/v1/attempts/{attempt}/actions"),
            json!({"action": "pause"})
        )
        .await
        .0,
        404
    );

    // Another server process ends the session (here its row is deleted in the database
    // directly): this process still holds the session for saves in its cache, and the
    // writer refuses the next save and writes nothing.
    let (s, _) = save_answer(&c0, 0, 8, answer.clone()).await;
    assert_eq!(s, 200);
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        app.dir.path().join("skillcert.db").display()
    ))
    .await
    .unwrap();
    sqlx::query(
        "DELETE FROM exam_sessions WHERE candidate_id = (SELECT candidate_id FROM attempts WHERE id = $1)",
    )
    .bind(attempt)
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
    let (s, _) = save_answer(&c0, 0, 9, Value::Null).await;
    assert_eq!(s, 401);
    // A logout here ends the session and clears the cookie.
    let c0 = exam_login(&app, &planned.admissions[0], &id_number(0)).await;
    let (s, _) = c0.post("/api/v1/exam/logout", json!({})).await;
    assert_eq!(s, 204);
    let (s, _) = save_answer(&c0, 0, 9, Value::Null).await;
    assert_eq!(s, 401);
    let c0 = exam_login(&app, &planned.admissions[0], &id_number(0)).await;
    let (_, st) = c0.get("/api/v1/exam/state").await;
    assert_eq!(st["answers"][0]["seq"], 8, "{st}");

    // Submit: later saves are refused.
    let (s, _) = c0.post("/api/v1/exam/submit", json!({})).await;
    assert_eq!(s, 200);
    let (s, b) = save_answer(&c0, 1, 9, Value::Null).await;
    assert_eq!(s, 409);
    assert_eq!(b["error"]["code"], "attempt_closed");
    // After the end the paper is no longer shown (its items will be on later papers).
    assert_eq!(c0.get("/api/v1/exam/paper").await.0, 400);

    let (s, seqs) = ba.get(&format!("/api/v1/plans/{plan_id}/answers")).await;
    assert_eq!(s, 200);
    assert_eq!(seqs["answers"].as_array().unwrap().len(), 1);
    app.stop().await;
}

/// On a shared exam-room computer a proctor's session may still be open: the exam pages
/// and API answer to the exam session alone (its CSRF token, not the staff one).
#[tokio::test]
async fn a_staff_session_left_open_does_not_get_in_the_candidates_way() {
    let app = TestApp::spawn().await;
    let planned = plan_elderly_care(&app, 600, 1).await;
    let (s, _) = planned.close_roster().await;
    assert_eq!(s, 200);
    let shared = app.client();
    shared
        .login(&planned.proctor_login, "Correct-Horse-9")
        .await;
    let staff_csrf = shared.csrf();
    let res = shared
        .http
        .post(app.url("/api/v1/exam/login"))
        .json(&json!({"admission_no": planned.admissions[0], "id_number": id_number(0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let exam_csrf = res.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, b) = planned
        .proctor
        .post(
            &format!("/api/v1/sessions/{}/admit-all", planned.session_id),
            json!({}),
        )
        .await;
    assert_eq!((s, b["admitted"].as_i64()), (200, Some(1)), "{b}");
    // The staff token does not open the exam API; the exam token does.
    let (s, _) = shared.post("/api/v1/exam/start", json!({})).await;
    assert_eq!(s, 403, "staff CSRF token accepted on an exam route");
    *shared.csrf.lock().unwrap() = Some(exam_csrf.clone());
    let (s, b) = shared.post("/api/v1/exam/start", json!({})).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = save_answer(&shared, 0, 1, Value::Null).await;
    assert_eq!(s, 200, "{b}");
    // And the exam token does not open staff routes.
    let (s, _) = shared
        .post(
            &format!("/api/v1/sessions/{}/admit-all", planned.session_id),
            json!({}),
        )
        .await;
    assert_eq!(s, 403);
    *shared.csrf.lock().unwrap() = Some(staff_csrf);
    let (s, _) = shared
        .post(
            &format!("/api/v1/sessions/{}/admit-all", planned.session_id),
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    app.stop().await;
}

#[tokio::test]
async fn time_runs_out_and_the_saved_answers_are_kept() {
    let app = TestApp::spawn_with(|c| c.exams.grace_seconds = 1).await;
    let planned = plan_elderly_care(&app, 10, 2).await;
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let c = exam_login(&app, &planned.admissions[1], &id_number(1)).await;
    planned
        .proctor
        .post(
            &format!("/api/v1/sessions/{}/admit-all", planned.session_id),
            json!({}),
        )
        .await;
    let (s, _) = c.post("/api/v1/exam/start", json!({})).await;
    assert_eq!(s, 200);
    let (_, paper) = c.get("/api/v1/exam/paper").await;
    let answer = if paper["items"][2]["item_type"] == "true_false" {
        json!(false)
    } else {
        json!([1])
    };
    let (s, _) = save_answer(&c, 2, 1, answer.clone()).await;
    assert_eq!(s, 200);
    // The candidate never comes back: the server submits at the deadline.
    let mut status = Value::Null;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let (_, st) = c.get("/api/v1/exam/state").await;
        status = st["status"].clone();
        if status == "submitted" {
            assert_eq!(st["answers"][0]["answer"], answer);
            assert_eq!(st["remaining_ms"], 0);
            break;
        }
    }
    assert_eq!(status, "submitted");
    let (s, b) = save_answer(&c, 3, 2, Value::Null).await;
    assert_eq!(s, 409, "{b}");
    app.stop().await;
}

#[tokio::test]
async fn a_suspended_body_cannot_plan_and_understaffed_rooms_cannot_close() {
    let app = TestApp::spawn().await;
    let planned = plan_elderly_care(&app, 600, 31).await;
    // 31 candidates need 3 proctors; the room has 2.
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "exam_error.understaffed");
    assert!(
        b["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2/3"),
        "{b}"
    );
    let admin = app.admin().await;
    let (_, detail) = planned
        .body_admin
        .get(&format!("/api/v1/plans/{}", planned.plan_id))
        .await;
    let body_id = detail["plan"]["body_id"].as_i64().unwrap();
    admin.credit_body(body_id, &["B06", "B06", "B01"]).await;
    let (s, b) = planned
        .body_admin
        .post("/api/v1/plans", json!({"body_id": body_id, "occupation_code": "4-10-01-05", "level": 5, "name": "x", "exam_date": "2026-12-01"}))
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "exam_error.body_standing");
    // A suspended body keeps its open plans; an exited one finds them frozen.
    let (s, b) = planned.close_roster().await;
    assert_eq!(
        (s, b["error"]["fields"][0]["code"].as_str()),
        (422, Some("exam_error.understaffed")),
        "{b}"
    );
    admin.credit_body(body_id, &["X01"]).await;
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "exam_error.plan_frozen");
    assert_eq!(b["error"]["fields"][0]["field"], "plan");
    let (s, b) = planned
        .body_admin
        .post(
            &format!("/api/v1/plans/{}/candidates", planned.plan_id),
            json!({"candidates": []}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "exam_error.plan_frozen");
    let (s, b) = planned
        .body_admin
        .post(
            &format!("/api/v1/plans/{}/sessions", planned.plan_id),
            json!({"room_id": 1, "starts_at": "2026-12-01T09:00"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "exam_error.plan_frozen");
    let (s, b) = admin
        .post(
            &format!("/api/v1/plans/{}/approve", planned.plan_id),
            json!({}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "exam_error.plan_frozen");
    let _ = planned.proctor_ids;
    app.stop().await;
}

/// One person, one real-name record: a candidate enrolled in an assessment can later
/// get an account on the same record (with the same name), and no second one.
#[tokio::test]
async fn a_rostered_candidate_gets_an_account_on_the_same_record() {
    let app = TestApp::spawn().await;
    let planned = plan_elderly_care(&app, 600, 1).await;
    let (_, detail) = planned
        .body_admin
        .get(&format!("/api/v1/plans/{}", planned.plan_id))
        .await;
    let body_id = detail["plan"]["body_id"].as_i64().unwrap();
    let account = |login: &str, name: &str| {
        json!({"login": login, "password": "Correct-Horse-9", "org_id": body_id, "role": "candidate",
               "name": name, "document_number": id_number(0)})
    };
    // Another body learns nothing: the document is simply taken, whatever the name.
    let admin = app.admin().await;
    let other = admin
        .create_body(&format!("其他机构{}", common::hex_id()))
        .await;
    let tag = common::hex_id();
    user(&admin, &format!("ob{tag}"), other, "body_admin").await;
    let ob = app.client();
    ob.login(&format!("ob{tag}"), "Correct-Horse-9").await;
    for name in ["考生0", "别人"] {
        let (s, b) = ob
            .post(
                "/api/v1/users",
                json!({"login": format!("x{tag}"), "password": "Correct-Horse-9", "org_id": other,
                       "role": "candidate", "name": name, "document_number": id_number(0)}),
            )
            .await;
        assert_eq!(s, 409, "{b}");
        assert_eq!(b["error"]["fields"][0]["code"], "person.exists");
    }
    // The candidate's own body: a wrong name is refused, the right one takes the record.
    let (s, b) = planned
        .body_admin
        .post("/api/v1/users", account("kaosheng0", "别人"))
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "name");
    assert_eq!(b["error"]["fields"][0]["code"], "person.name_mismatch");
    let (s, b) = planned
        .body_admin
        .post("/api/v1/users", account("kaosheng0", "考生0"))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = planned
        .body_admin
        .post("/api/v1/users", account("kaosheng0b", "考生0"))
        .await;
    assert_eq!(s, 409, "{b}");
    // (Refused on the account's person: so the first account took the roster's record.)
    assert_eq!(b["error"]["fields"][0]["code"], "person.has_account");
    app.stop().await;
}

#[tokio::test]
async fn exam_day_login_opens_before_the_session_and_closes_for_late_arrivals() {
    let app = TestApp::spawn().await;
    // Two hours ahead: too early, and the candidate is told when.
    let early = plan_elderly_care_at(&app, 3600, 2, 120).await;
    let (s, b) = early.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let try_login = |admission: String, i: usize| {
        let c = app.client();
        let url = app.url("/api/v1/exam/login");
        async move {
            let res = c
                .http
                .post(url)
                .json(&json!({"admission_no": admission, "id_number": id_number(i)}))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, b) = try_login(early.admissions[0].clone(), 0).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["error"]["code"], "exam_too_early", "{b}");
    assert_eq!(
        b["error"]["detail"],
        early.starts_at.replace('T', " "),
        "the session's start, China Standard Time: {b}"
    );
    // Wrong ID number stays a plain 401, whatever the time.
    let (s, _) = try_login(early.admissions[0].clone(), 1).await;
    assert_eq!(s, 401);

    // Started 45 minutes ago (another server, so other people): entry closed for who
    // was not admitted…
    let app = TestApp::spawn().await;
    let late = plan_elderly_care_at(&app, 3600, 2, -45).await;
    let (s, b) = late.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let res = app
        .client()
        .http
        .post(app.url("/api/v1/exam/login"))
        .json(&json!({"admission_no": late.admissions[0], "id_number": id_number(0)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["error"]["code"], "exam_too_late", "{b}");
    // …"admit all" does not let them in (they are not signed in and waiting)…
    let (s, b) = late
        .proctor
        .post(
            &format!("/api/v1/sessions/{}/admit-all", late.session_id),
            json!({}),
        )
        .await;
    assert_eq!((s, b["admitted"].as_i64()), (200, Some(0)), "{b}");
    // …but a proctor who admits them one by one does.
    let (_, roster) = late
        .proctor
        .get(&format!("/api/v1/sessions/{}/roster", late.session_id))
        .await;
    let attempt = roster["roster"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["admission_no"] == late.admissions[0].as_str())
        .unwrap()["attempt_id"]
        .as_i64()
        .unwrap();
    let (s, b) = late
        .proctor
        .post(
            &format!("/api/v1/attempts/{attempt}/actions"),
            json!({"action": "admit"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let c = exam_login(&app, &late.admissions[0], &id_number(0)).await;
    let (s, b) = c.post("/api/v1/exam/start", json!({})).await;
    assert_eq!(s, 200, "{b}");
}
