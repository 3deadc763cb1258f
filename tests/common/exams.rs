//! Exam set-ups shared by the exam and security tests: a body with the elderly-care
//! scope, the shipped bank shared with it, a room with two proctors, and candidates.
#![allow(dead_code)]

use serde_json::{json, Value};

use super::{Client, TestApp};

/// The `i`-th valid resident ID number (GB 11643 check character computed).
pub fn id_number(i: usize) -> String {
    let first17 = format!("110101199003{:02}{:03}", 1 + i / 900, 100 + i % 900);
    let check = skillcert::domain::identity::check_char(first17.as_bytes());
    format!("{first17}{check}")
}

pub struct Planned {
    pub body_id: i64,
    pub body_admin: Client,
    pub proctor: Client,
    pub plan_id: i64,
    pub session_id: i64,
    pub proctor_ids: Vec<i64>,
    pub admissions: Vec<String>,
    pub proctor_login: String,
    /// The session's start as the form took it (China Standard Time).
    pub starts_at: String,
    /// Candidate `i` of the roster is the person [`id_number`]`(first_person + i)`.
    pub first_person: usize,
}

pub async fn user(admin: &Client, login: &str, org: i64, role: &str) -> i64 {
    admin
        .create_user(json!({"login": login, "display_name": login, "password": "Correct-Horse-9", "org_id": org, "role": role}))
        .await
}

/// The id of the shipped elderly-care bank (养老护理员, 4-10-01-05), as `admin` lists it.
pub async fn elderly_care_bank(admin: &Client) -> i64 {
    let (_, banks) = admin.get("/api/v1/banks").await;
    banks["banks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["occupation_code"] == "4-10-01-05")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// Regulator files a body with the elderly-care scope and shares the shipped bank; the
/// body admin plans with `duration_seconds`, one room, two proctors, candidates.
pub async fn plan_elderly_care(app: &TestApp, duration_seconds: u32, candidates: usize) -> Planned {
    plan_elderly_care_at(app, duration_seconds, candidates, 0).await
}

/// China Standard Time `minutes` from now, as the session form takes it.
pub fn local_in(minutes: i64) -> String {
    skillcert::domain::time::local_time(skillcert::now_ms() + minutes * 60_000).replace(' ', "T")
}

/// A planned session starting `starts_in_minutes` from now (exam-day login is open
/// from an hour before to 30 minutes after the start, by default).
pub async fn plan_elderly_care_at(
    app: &TestApp,
    duration_seconds: u32,
    candidates: usize,
    starts_in_minutes: i64,
) -> Planned {
    plan_elderly_care_with(app, duration_seconds, candidates, starts_in_minutes, None).await
}

/// As [`plan_elderly_care_at`], with the plan's paper template (`paper`) given.
pub async fn plan_elderly_care_with(
    app: &TestApp,
    duration_seconds: u32,
    candidates: usize,
    starts_in_minutes: i64,
    paper: Option<Value>,
) -> Planned {
    plan_elderly_care_of(
        app,
        duration_seconds,
        0..candidates,
        starts_in_minutes,
        paper,
    )
    .await
}

/// As [`plan_elderly_care_with`], for the people [`id_number`]`(i)`, `i` in `persons`:
/// a second plan in the same test needs other people, since a re-sit never sees an
/// item of an earlier paper and the shipped bank has just enough for one.
pub async fn plan_elderly_care_of(
    app: &TestApp,
    duration_seconds: u32,
    persons: std::ops::Range<usize>,
    starts_in_minutes: i64,
    paper: Option<Value>,
) -> Planned {
    let body_name = format!("养老评价中心{}", super::hex_id());
    plan_elderly_care_in(
        app,
        &body_name,
        duration_seconds,
        persons,
        starts_in_minutes,
        paper,
    )
    .await
}

/// As [`plan_elderly_care_of`], in a new body named `body_name` (which the caller
/// makes unique).
pub async fn plan_elderly_care_in(
    app: &TestApp,
    body_name: &str,
    duration_seconds: u32,
    persons: std::ops::Range<usize>,
    starts_in_minutes: i64,
    paper: Option<Value>,
) -> Planned {
    let first_person = persons.start;
    let admin = app.admin().await;
    let body = admin.create_body(body_name).await;
    let (s, b) = admin
        .put(
            &format!("/api/v1/organisations/{body}/scope"),
            json!({"scope": [{"occupation_code": "4-10-01-05", "edition": 2015, "level": 5, "certificate_kind": "skill_level"}]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let bank = elderly_care_bank(&admin).await;
    let (s, b) = admin
        .post(
            &format!("/api/v1/banks/{bank}/share"),
            json!({"body_id": body}),
        )
        .await;
    assert!(s == 204 || s == 200, "{b}");
    let (s, site) = admin
        .post(
            "/api/v1/organisations",
            json!({"kind": "test_site", "parent_id": body, "name": "一号考点"}),
        )
        .await;
    assert_eq!(s, 201, "{site}");
    let (s, room) = admin
        .post(
            "/api/v1/organisations",
            json!({"kind": "room", "parent_id": site["id"], "name": "101 机房", "capacity": 60}),
        )
        .await;
    assert_eq!(s, 201, "{room}");
    let tag = super::hex_id();
    user(&admin, &format!("ba{tag}"), body, "body_admin").await;
    let p1 = user(&admin, &format!("pa{tag}"), body, "proctor").await;
    let p2 = user(&admin, &format!("pb{tag}"), body, "proctor").await;

    let ba = app.client();
    ba.login(&format!("ba{tag}"), "Correct-Horse-9").await;
    let mut new_plan = json!({"body_id": body, "occupation_code": "4-10-01-05", "level": 5, "name": "2026年第4期养老护理员五级",
                   "exam_date": skillcert::today().to_string(), "duration_seconds": duration_seconds});
    if let Some(paper) = paper {
        new_plan["paper"] = paper;
    }
    let (s, plan) = ba.post("/api/v1/plans", new_plan).await;
    assert_eq!(s, 201, "{plan}");
    let plan_id = plan["id"].as_i64().unwrap();
    // Sessions are planned for now or later; one that started earlier is planned now
    // and moved back in the database, as if time had passed.
    let starts_at = local_in(starts_in_minutes.max(0));
    let (s, sess) = ba
        .post(
            &format!("/api/v1/plans/{plan_id}/sessions"),
            json!({"room_id": room["id"], "starts_at": starts_at}),
        )
        .await;
    assert_eq!(s, 201, "{sess}");
    let session_id = sess["id"].as_i64().unwrap();
    let starts_at = if starts_in_minutes < 0 {
        let db = sqlx::SqlitePool::connect(&format!(
            "sqlite://{}",
            app.dir.path().join("skillcert.db").display()
        ))
        .await
        .unwrap();
        sqlx::query("UPDATE plan_sessions SET starts_at_ms = starts_at_ms + $1 WHERE id = $2")
            .bind(starts_in_minutes * 60_000)
            .bind(session_id)
            .execute(&db)
            .await
            .unwrap();
        db.close().await;
        local_in(starts_in_minutes)
    } else {
        starts_at
    };
    for p in [p1, p2] {
        let (s, b) = ba
            .post(
                &format!("/api/v1/sessions/{session_id}/proctors"),
                json!({"user_id": p}),
            )
            .await;
        assert_eq!(s, 204, "{b}");
    }
    let list: Vec<Value> = persons
        .map(|i| json!({"name": format!("考生{i}"), "id_number": id_number(i), "session_id": session_id}))
        .collect();
    let (s, enrolled) = ba
        .post(
            &format!("/api/v1/plans/{plan_id}/candidates"),
            json!({"candidates": list}),
        )
        .await;
    assert_eq!(s, 201, "{enrolled}");
    let admissions = enrolled["enrolled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["admission_no"].as_str().unwrap().to_string())
        .collect();
    let proctor = app.client();
    proctor.login(&format!("pa{tag}"), "Correct-Horse-9").await;
    Planned {
        body_id: body,
        body_admin: ba,
        proctor,
        plan_id,
        session_id,
        proctor_ids: vec![p1, p2],
        admissions,
        proctor_login: format!("pa{tag}"),
        starts_at,
        first_person,
    }
}

impl Planned {
    /// The proctor admits everyone signed in to the session.
    pub async fn admit_all(&self) {
        let (s, b) = self
            .proctor
            .post(
                &format!("/api/v1/sessions/{}/admit-all", self.session_id),
                json!({}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }

    /// The body admin closes the roster (papers are generated then).
    pub async fn close_roster(&self) -> (u16, Value) {
        self.body_admin
            .post(
                &format!("/api/v1/plans/{}/close-roster", self.plan_id),
                json!({}),
            )
            .await
    }
}

/// One answer change through the candidate's API: (status, body).
pub async fn save_answer(c: &Client, position: u32, seq: i64, answer: Value) -> (u16, Value) {
    c.post(
        "/api/v1/exam/answers",
        json!({"changes": [{"position": position, "seq": seq, "answer": answer}]}),
    )
    .await
}

pub async fn exam_login(app: &TestApp, admission: &str, id: &str) -> Client {
    let c = app.client();
    let res = c
        .http
        .post(app.url("/api/v1/exam/login"))
        .json(&json!({"admission_no": admission, "id_number": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    *c.csrf.lock().unwrap() = body["csrf_token"].as_str().map(String::from);
    c
}
