//! What a security review found, reproduced against a running server, each now refused:
//! open redirects, declarations that made or renamed real-name records, a name oracle
//! across bodies, exam-day lock-outs, missing security headers, unbounded sequence
//! numbers and text, errors without the JSON envelope, accounts whose known password
//! reads keys, key reads by GET, and extensions that reopen a finished attempt.

mod common;

use common::exams::*;
use common::TestApp;
use serde_json::{json, Value};

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn redirects_stay_on_this_site() {
    let app = TestApp::spawn().await;
    let c = app.client();
    for next in [
        "/%09/evil.example",
        "/%5Cevil.example",
        "//evil.example",
        "/%0a/x",
        "/a%7Fb",
    ] {
        let res = c
            .http
            .get(app.url(&format!("/lang/en?next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{next}");
        assert_eq!(location(&res), "/", "{next}");
    }
    let res = c
        .http
        .get(app.url("/lang/en?next=/plans"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/plans");
    // The sign-in form: a good password with a tab-trick `next` lands at home.
    let res = c.http.get(app.url("/login")).send().await.unwrap();
    let page = res.text().await.unwrap();
    let token = page
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let res = c
        .http
        .post(app.url("/login"))
        .form(&[
            ("login", "admin"),
            ("password", common::ADMIN_PASSWORD),
            ("next", "/\t/evil.example"),
            ("_csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/");
    app.stop().await;
}

#[tokio::test]
async fn a_declaration_never_creates_or_renames_a_person_and_names_stay_in_their_body() {
    let app = TestApp::spawn().await;
    let planned = plan_elderly_care(&app, 3600, 1).await;
    let admin = app.admin().await;
    let body_id = planned
        .body_admin
        .get(&format!("/api/v1/plans/{}", planned.plan_id))
        .await
        .1["plan"]["body_id"]
        .as_i64()
        .unwrap();
    // A proctor declares a relation to someone not yet on file, under a false name.
    let tag = common::hex_id();
    user(&admin, &format!("decl{tag}"), body_id, "proctor").await;
    let decl = app.client();
    decl.login(&format!("decl{tag}"), "Correct-Horse-9").await;
    let (s, b) = decl
        .post(
            "/api/v1/me/relations",
            json!({"name": "冒名", "id_number": id_number(5), "relation": "colleague"}),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    // The person is enrolled later under the real name: no record was made by the
    // declaration, so the real name is what the roster shows.
    let ba = &planned.body_admin;
    let (s, b) = ba
        .post(
            &format!("/api/v1/plans/{}/candidates", planned.plan_id),
            json!({"candidates": [{"name": "真名", "id_number": id_number(5), "session_id": planned.session_id}]}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (_, roster) = ba
        .get(&format!("/api/v1/plans/{}/roster", planned.plan_id))
        .await;
    let names: Vec<&str> = roster["roster"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"真名") && !names.contains(&"冒名"),
        "{names:?}"
    );
    // Recusal still finds the declaration by the document.
    let decl_id = decl.get("/api/v1/me").await.1["user_id"].as_i64().unwrap();
    let (s, b) = ba
        .post(
            &format!("/api/v1/sessions/{}/proctors", planned.session_id),
            json!({"user_id": decl_id}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "exam_error.recusal");

    // Another body enrols the same document under another name: refused at its line,
    // without showing the name on file.
    let other = plan_elderly_care(&app, 3600, 1).await;
    let (s, b) = other
        .body_admin
        .post(
            &format!("/api/v1/plans/{}/candidates", other.plan_id),
            json!({"candidates": [{"name": "别名", "id_number": id_number(5), "session_id": other.session_id}]}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "candidates[0].name");
    assert_eq!(b["error"]["fields"][0]["code"], "person.name_mismatch");
    assert!(!b.to_string().contains("真名"), "{b}");
    app.stop().await;
}

async fn try_exam_login(app: &TestApp, admission: &str, id: &str) -> u16 {
    app.client()
        .http
        .post(app.url("/api/v1/exam/login"))
        .json(&json!({"admission_no": admission, "id_number": id}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn exam_day_lock_out_is_per_admission_number_and_a_proctor_unlocks_it() {
    let app = TestApp::spawn().await;
    let planned = plan_elderly_care(&app, 3600, 3).await;
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let victim = &planned.admissions[0];
    // Five wrong ID numbers for one admission number, sent at once: never more than
    // five get past the throttle to be checked.
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (url, body) = (
                app.url("/api/v1/exam/login"),
                json!({"admission_no": victim, "id_number": id_number(9)}),
            );
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    let checked = codes.iter().filter(|c| **c == 401).count();
    assert!(checked <= 5, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 401 || *c == 429), "{codes:?}");
    // Locked: even the right number is refused now …
    assert_eq!(try_exam_login(&app, victim, &id_number(0)).await, 429);
    // … but only this admission number: the same hall (address) carries on, after
    // dozens of failures on other numbers and staff failures alike.
    for i in 0..40 {
        assert_eq!(
            try_exam_login(&app, &format!("9999{i:07}"), &id_number(9)).await,
            401
        );
    }
    for _ in 0..3 {
        let (s, _) = app.client().try_login("admin", "wrong-password").await;
        assert_eq!(s, 401);
    }
    assert_eq!(
        try_exam_login(&app, &planned.admissions[1], &id_number(1)).await,
        200
    );
    // The proctor of the room sees the lock-out and lifts it.
    let (s, room) = planned
        .proctor
        .get(&format!("/api/v1/sessions/{}/roster", planned.session_id))
        .await;
    assert_eq!(s, 200, "{room}");
    assert_eq!(room["locked_out"], json!([victim]));
    let (s, b) = planned
        .proctor
        .post(
            &format!("/api/v1/sessions/{}/unlock", planned.session_id),
            json!({"admission_no": victim}),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    assert_eq!(try_exam_login(&app, victim, &id_number(0)).await, 200);
    // Failures are audited with the address they came from.
    let admin = app.admin().await;
    let (_, log) = admin.get("/api/v1/audit?limit=1000").await;
    let failed = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "exam.login_failed")
        .expect("a failed exam-day login is audited");
    assert!(
        failed["details"].as_str().unwrap().contains("address"),
        "{failed}"
    );
    assert!(log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "exam.login_unlocked"));
    app.stop().await;
}

#[tokio::test]
async fn pages_cannot_be_framed_or_sniffed_and_load_only_this_sites_scripts() {
    let app = TestApp::spawn().await;
    for path in ["/login", "/exam/login", "/api/v1/openapi.json", "/nowhere"] {
        let res = app.client().http.get(app.url(path)).send().await.unwrap();
        let h = res.headers();
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn every_error_has_the_envelope_and_input_is_bounded() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // A wrong method answers 405 with the JSON envelope and the allowed methods.
    let res = admin
        .http
        .delete(app.url("/api/v1/plans"))
        .header("x-csrf-token", admin.csrf())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert!(res.headers().get("allow").is_some());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
    // A megabyte of address is refused, naming the field.
    let (s, b) = admin
        .post(
            "/api/v1/organisations",
            json!({"kind": "body", "name": "长地址机构", "body_type": "social_organisation", "body_code": "0000",
                   "province_code": "32", "site_code": "320100", "address": "路".repeat((1 << 20) / 3)}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "address");
    // A 30,000-character stem is refused.
    let (_, banks) = admin.get("/api/v1/banks").await;
    let bank = banks["banks"][0]["id"].as_i64().unwrap();
    let (s, b) = admin
        .post(
            &format!("/api/v1/banks/{bank}/items"),
            json!({"type": "true_false", "stem": "长".repeat(30_000), "correct": true, "level": 5, "point": "A01"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"], "item_error.too_long",
        "{b}"
    );
    app.stop().await;
}

#[tokio::test]
async fn sequence_numbers_are_bounded_and_extensions_never_reopen_a_finished_attempt() {
    let app = TestApp::spawn().await;
    let planned = plan_elderly_care(&app, 10, 1).await;
    assert_eq!(planned.close_roster().await.0, 200);
    let c = exam_login(&app, &planned.admissions[0], &id_number(0)).await;
    let (_, room) = planned
        .proctor
        .get(&format!("/api/v1/sessions/{}/roster", planned.session_id))
        .await;
    let attempt = room["roster"][0]["attempt_id"].as_i64().unwrap();
    let (s, b) = planned
        .proctor
        .post(
            &format!("/api/v1/attempts/{attempt}/actions"),
            json!({"action": "admit"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(c.post("/api/v1/exam/start", json!({})).await.0, 200);
    for seq in [i64::MAX, (1 << 40) + 1, 0, -1] {
        let (s, b) = save_answer(&c, 0, seq, json!(null)).await;
        assert_eq!(s, 422, "{seq}: {b}");
        assert_eq!(b["error"]["fields"][0]["field"], "changes[0].seq");
    }
    assert_eq!(save_answer(&c, 0, 1 << 40, json!(null)).await.0, 200);
    // The ten seconds run out; within the grace period an extension is refused.
    tokio::time::sleep(std::time::Duration::from_millis(10_500)).await;
    let (s, b) = planned
        .proctor
        .post(
            &format!("/api/v1/attempts/{attempt}/actions"),
            json!({"action": "extend", "minutes": 5, "reason": "网络故障"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "exam_error.refused.past_deadline"
    );
    app.stop().await;
}

#[tokio::test]
async fn accounts_that_read_keys_choose_their_own_password_and_keys_are_read_by_post() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = admin.create_body("题库机构").await;
    // A body admin provisions a bank author with a password it knows, asking that it
    // need not be changed: the account must choose its own all the same.
    admin
        .create_user(json!({"login": "ba.keys", "display_name": "机构管理员", "password": "Body-Admin-pw-1", "org_id": body, "role": "body_admin"}))
        .await;
    let ba = app.client();
    ba.login("ba.keys", "Body-Admin-pw-1").await;
    let author = ba
        .create_user(json!({"login": "author.known", "display_name": "作者", "password": "Known-to-admin-1", "org_id": body, "role": "bank_author", "must_change_password": false}))
        .await;
    let c = app.client();
    assert_eq!(
        c.login("author.known", "Known-to-admin-1").await["me"]["must_change_password"],
        true
    );
    // The same through a grant: a proctor with an admin-set password becomes an author.
    let proctor = ba
        .create_user(json!({"login": "proctor.known", "display_name": "监考", "password": "Known-to-admin-2", "org_id": body, "role": "proctor"}))
        .await;
    let (s, b) = ba
        .post(
            &format!("/api/v1/users/{proctor}/roles"),
            json!({"role": "bank_author", "org_id": body}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        app.client()
            .login("proctor.known", "Known-to-admin-2")
            .await["me"]["must_change_password"],
        true
    );
    let _ = author;

    // Keys: a GET shows no key and writes nothing to the audit log; a POST shows them,
    // audited.
    let reg_author = {
        let reg = admin.get("/api/v1/me").await.1["grants"][0]["org_id"]
            .as_i64()
            .unwrap();
        admin
            .create_user(json!({"login": "author.reg", "display_name": "命题", "password": "Author-pw-1", "org_id": reg, "role": "bank_author"}))
            .await;
        app.first_sign_in("author.reg", "Author-pw-1").await
    };
    let (_, banks) = reg_author.get("/api/v1/banks").await;
    let bank = banks["banks"][0]["id"].as_i64().unwrap();
    let (_, items) = reg_author
        .get(&format!("/api/v1/banks/{bank}/items?type=single_choice"))
        .await;
    let item = items["items"][0]["id"].as_i64().unwrap();
    let key_reads = |log: &Value| {
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "item.read_key")
            .count()
    };
    let before = key_reads(&admin.get("/api/v1/audit?limit=1000").await.1);
    let (s, shown) = reg_author.get(&format!("/api/v1/items/{item}")).await;
    assert_eq!(s, 200);
    assert_eq!(shown["keys_shown"], false);
    assert!(shown["versions"][0]["item"]["correct"].is_null(), "{shown}");
    let (s, page) = reg_author.get_text(&format!("/items/{item}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("id=\"reveal-keys\""));
    assert_eq!(
        key_reads(&admin.get("/api/v1/audit?limit=1000").await.1),
        before
    );
    let (s, keys) = reg_author
        .post(&format!("/api/v1/items/{item}/keys"), json!({}))
        .await;
    assert_eq!(s, 200, "{keys}");
    assert!(keys["versions"][0]["item"]["correct"].is_array(), "{keys}");
    assert_eq!(
        key_reads(&admin.get("/api/v1/audit?limit=1000").await.1),
        before + 1
    );
    app.stop().await;
}
