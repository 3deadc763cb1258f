//! One of everything, for walking the pages as each role meets them: a body with a plan
//! under way (a candidate answering, one paused and extended, one locked out, an
//! irregularity), an inspector with a finding, a bank item written, edited and reviewed,
//! a suspended body, a declared relation. Used by the locale test (every code a page
//! shows is translated) and the browser walk (screenshots of every role's pages).
#![allow(dead_code)]

use serde_json::{json, Value};

use super::exams::{
    elderly_care_bank, exam_login, id_number, plan_elderly_care, save_answer, user, Planned,
};
use super::{Client, TestApp};

/// Every account signs in with this password (the key readers' after their first
/// sign-in, see [`TestApp::first_sign_in`]).
pub const PASSWORD: &str = "Correct-Horse-9";

pub struct Scenario {
    pub planned: Planned,
    pub bank_id: i64,
    pub item_id: i64,
    pub body_id: i64,
    pub suspended_body_id: i64,
    pub proctor_user_id: i64,
    /// Logins by role: (role, login); all sign in with [`PASSWORD`].
    pub logins: Vec<(&'static str, String)>,
    /// The candidate who is answering, signed in to the exam.
    pub candidate: Client,
    pub admission: String,
    pub id_number: String,
}

impl Scenario {
    pub fn login(&self, role: &str) -> &str {
        &self
            .logins
            .iter()
            .find(|(r, _)| *r == role)
            .unwrap_or_else(|| panic!("no {role} in the scenario"))
            .1
    }

    pub async fn seed(app: &TestApp) -> Scenario {
        let admin = app.admin().await;
        let planned = plan_elderly_care(app, 3600, 3).await;
        let (s, b) = planned.close_roster().await;
        assert_eq!(s, 200, "{b}");
        let (_, plan) = planned
            .body_admin
            .get(&format!("/api/v1/plans/{}", planned.plan_id))
            .await;
        let body_id = plan["plan"]["body_id"]
            .as_i64()
            .or(plan["body_id"].as_i64())
            .unwrap_or_else(|| panic!("{plan}"));

        // Candidate 0 signs in, is admitted, starts and answers two questions; candidate
        // 1 is locked out by wrong ID numbers.
        let candidate = exam_login(app, &planned.admissions[0], &id_number(0)).await;
        planned.admit_all().await;
        let (s, st) = candidate.post("/api/v1/exam/start", json!({})).await;
        assert_eq!(s, 200, "{st}");
        let (_, paper) = candidate.get("/api/v1/exam/paper").await;
        for q in paper["items"].as_array().unwrap().iter().take(2) {
            let answer = match q["item_type"].as_str().unwrap() {
                "true_false" => json!(true),
                _ => json!([0]),
            };
            let pos = q["position"].as_u64().unwrap() as u32;
            let (s, b) = save_answer(&candidate, pos, 1, answer).await;
            assert_eq!(s, 200, "{b}");
        }
        let (_, st) = candidate.get("/api/v1/exam/state").await;
        let attempt = st["attempt_id"].as_i64().unwrap_or_else(|| panic!("{st}"));
        for action in [
            json!({"action": "pause", "reason": "网络故障"}),
            json!({"action": "resume"}),
            json!({"action": "extend", "minutes": 5, "reason": "网络故障"}),
        ] {
            let (s, b) = planned
                .proctor
                .post(&format!("/api/v1/attempts/{attempt}/actions"), action)
                .await;
            assert_eq!(s, 200, "{b}");
        }
        let (s, b) = planned
            .proctor
            .post(
                &format!("/api/v1/attempts/{attempt}/irregularities"),
                json!({"outcome": "warning", "description": "交头接耳"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        for _ in 0..6 {
            let res = app
                .client()
                .http
                .post(app.url("/api/v1/exam/login"))
                .json(&json!({"admission_no": planned.admissions[1], "id_number": id_number(9)}))
                .send()
                .await
                .unwrap();
            assert!(matches!(res.status().as_u16(), 401 | 429));
        }

        // A quality inspector dispatched to the plan files a finding.
        let tag = super::hex_id();
        let inspector_login = format!("qi{tag}");
        let inspector = user(&admin, &inspector_login, 1, "quality_inspector").await;
        let (s, b) = admin
            .post(
                &format!("/api/v1/plans/{}/inspectors", planned.plan_id),
                json!({"user_id": inspector}),
            )
            .await;
        assert_eq!(s, 204, "{b}");
        let qi = app.client();
        qi.login(&inspector_login, PASSWORD).await;
        let (s, b) = qi
            .post(
                &format!("/api/v1/plans/{}/findings", planned.plan_id),
                json!({"subject": "session", "subject_id": planned.session_id, "category": "identity",
                       "severity": "major", "evidence": "第3排考生未出示身份证即入场"}),
            )
            .await;
        assert_eq!(s, 201, "{b}");

        // The regulator's author writes an item and edits it; a reviewer returns it.
        let author_login = format!("au{tag}");
        let reviewer_login = format!("rv{tag}");
        let author = key_reader(app, &admin, &author_login, "bank_author", "命题员").await;
        let reviewer = key_reader(app, &admin, &reviewer_login, "bank_reviewer", "审题员").await;
        let bank_id = elderly_care_bank(&admin).await;
        let item = json!({"type": "single_choice", "stem": "为卧床老年人翻身的间隔一般不超过（ ）。",
            "options": [{"key": "A", "text": "2 小时"}, {"key": "B", "text": "4 小时"}, {"key": "C", "text": "6 小时"}, {"key": "D", "text": "8 小时"}],
            "correct": ["A"], "level": 5, "point": "B01", "difficulty": 2, "score": 1.0});
        let (s, created) = author
            .post(&format!("/api/v1/banks/{bank_id}/items"), item.clone())
            .await;
        assert_eq!(s, 201, "{created}");
        let item_id = created["id"].as_i64().unwrap();
        let mut edited = item.clone();
        edited["explanation"] = json!("一般每 2 小时翻身一次。");
        edited["difficulty"] = json!(3);
        let (s, b) = author
            .put(&format!("/api/v1/items/{item_id}"), edited)
            .await;
        assert_eq!(s, 200, "{b}");
        for (c, action) in [(&author, "submit"), (&reviewer, "reject")] {
            let (s, b) = c
                .post(
                    &format!("/api/v1/items/{item_id}/transition"),
                    json!({"action": action, "comment": "请补充出处"}),
                )
                .await;
            assert_eq!(s, 200, "{b}");
        }

        // A body suspended by its credit (grade D); a proctor declares a relation.
        let suspended_body_id = admin
            .create_body(&format!("暂停机构{}", super::hex_id()))
            .await;
        admin
            .credit_body(suspended_body_id, &["B06", "B06", "B01"])
            .await;
        let (s, b) = planned
            .proctor
            .post(
                "/api/v1/me/relations",
                json!({"document_type": "resident_id", "id_number": id_number(2), "relation": "colleague"}),
            )
            .await;
        assert!(s == 201 || s == 200 || s == 204, "{b}");

        let body_admin_login = {
            let (_, me) = planned.body_admin.get("/api/v1/me").await;
            me["login"].as_str().unwrap().to_string()
        };
        let proctor_user_id = planned.proctor_ids[0];
        let logins = vec![
            ("regulator_admin", "admin".to_string()),
            ("body_admin", body_admin_login),
            ("proctor", planned.proctor_login.clone()),
            ("quality_inspector", inspector_login),
            ("bank_author", author_login),
            ("bank_reviewer", reviewer_login),
        ];
        Scenario {
            admission: planned.admissions[0].clone(),
            planned,
            bank_id,
            item_id,
            body_id,
            suspended_body_id,
            proctor_user_id,
            logins,
            candidate,
            id_number: id_number(0),
        }
    }

    /// The pages a role reaches from its dashboard and navigation, with this
    /// scenario's ids filled in.
    pub fn pages(&self, role: &str) -> Vec<String> {
        let plan = self.planned.plan_id;
        let session = self.planned.session_id;
        let (bank, item, body) = (self.bank_id, self.item_id, self.body_id);
        let common = ["/", "/account/relations", "/account/password"];
        let own: Vec<String> = match role {
            "regulator_admin" => vec![
                "/orgs".into(),
                format!("/orgs/{body}"),
                format!("/orgs/{}", self.suspended_body_id),
                "/users".into(),
                format!("/users/{}", self.proctor_user_id),
                "/audit".into(),
                "/subsidies".into(),
                "/shortage".into(),
                "/banks".into(),
                format!("/banks/{bank}"),
                format!("/banks/{bank}/pool"),
                format!("/items/{item}"),
                "/plans".into(),
                format!("/plans/{plan}"),
                format!("/plans/{plan}/results"),
                format!("/inspect/plans/{plan}"),
                "/credit".into(),
                format!("/credit/body/{body}"),
                format!("/credit/body/{}", self.suspended_body_id),
                "/catalogue".into(),
                "/reports".into(),
                format!("/banks/{bank}/stats"),
            ],
            "body_admin" => vec![
                "/orgs".into(),
                format!("/orgs/{body}"),
                "/users".into(),
                format!("/users/{}", self.proctor_user_id),
                "/banks".into(),
                format!("/banks/{bank}/pool"),
                "/plans".into(),
                format!("/plans/{plan}"),
                format!("/plans/{plan}/tickets"),
                "/subsidies".into(),
                format!("/plans/{plan}/results"),
                format!("/inspect/plans/{plan}"),
                format!("/credit/body/{body}"),
                "/reports".into(),
                format!("/plans/{plan}/item-stats"),
                "/training".into(),
            ],
            "proctor" => vec!["/proctor".into(), format!("/proctor/sessions/{session}")],
            "quality_inspector" => vec![
                "/plans".into(),
                format!("/inspect/plans/{plan}"),
                format!("/plans/{plan}/results"),
                "/credit".into(),
                format!("/credit/body/{body}"),
                "/reports".into(),
            ],
            "bank_author" | "bank_reviewer" => vec![
                "/banks".into(),
                format!("/banks/{bank}"),
                format!("/banks/{bank}/pool"),
                format!("/items/{item}"),
                "/shortage".into(),
                format!("/banks/{bank}/stats"),
            ],
            _ => vec![],
        };
        common.iter().map(|s| s.to_string()).chain(own).collect()
    }
}

/// A regulator account that reads keys (bank author or reviewer), created with a
/// one-time password and signed in after choosing [`PASSWORD`] (such accounts always
/// choose their own, see `tests/security.rs`).
pub async fn key_reader(
    app: &TestApp,
    admin: &Client,
    login: &str,
    role: &str,
    display_name: &str,
) -> Client {
    admin
        .create_user(
            json!({"login": login, "display_name": display_name, "password": "One-time-pw-1",
                            "org_id": 1, "role": role, "must_change_password": true}),
        )
        .await;
    let c = app.first_sign_in(login, "One-time-pw-1").await;
    let (s, b) = c
        .put(
            "/api/v1/me/password",
            json!({"current_password": "One-time-pw-1-own", "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    c
}

/// The password of a scenario account.
pub fn password(login: &str) -> &'static str {
    match login {
        "admin" => super::ADMIN_PASSWORD,
        _ => PASSWORD,
    }
}

/// Signs in through the API as `login` with its scenario password.
pub async fn signed_in(app: &TestApp, login: &str) -> Client {
    let c = app.client();
    let me: Value = c.login(login, password(login)).await;
    assert_eq!(me["me"]["must_change_password"], false, "{me}");
    c
}
