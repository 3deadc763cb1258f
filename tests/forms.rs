//! The forms as a new user meets them (issue 10, section 2): every refusal comes back
//! on the form, next to the field and naming it, never as a 500; pickers instead of
//! typed ids and codes; the scope, sharing, planning and room pages.

mod common;

use common::exams::{elderly_care_bank, id_number, local_in, plan_elderly_care, user};
use common::{Client, TestApp};
use serde_json::json;

/// The inline error of `field` on a page, if any: `<span class="field-error"
/// data-field="…">message</span>`.
fn field_error<'a>(page: &'a str, field: &str) -> Option<&'a str> {
    let at = page.find(&format!("class=\"field-error\" data-field=\"{field}\">"))?;
    let rest = &page[at..];
    let start = rest.find('>')? + 1;
    let end = rest.find("</span>")?;
    Some(&rest[start..end])
}

/// The top-of-form list names the field before its message.
fn listed(page: &str, label_and_message: &str) -> bool {
    page.contains(label_and_message)
}

#[tokio::test]
async fn the_scope_is_filed_from_the_catalogue_with_pickers() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = admin.create_body("备案机构").await;
    // The API refuses what the catalogue does not hold: the shipped occupations are
    // of the 2015 edition.
    let (s, b) = admin
        .put(
            &format!("/api/v1/organisations/{body}/scope"),
            json!({"scope": [{"occupation_code": "4-10-01-05", "edition": 2022, "level": 5, "certificate_kind": "skill_level"}]}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "scope[0].occupation_code");
    assert_eq!(b["error"]["fields"][0]["code"], "org.scope_unknown");
    let (s, b) = admin
        .put(
            &format!("/api/v1/organisations/{body}/scope"),
            json!({"scope": [{"occupation_code": "4-10-01-05", "edition": 2015, "level": 5, "certificate_kind": "special_operation"}]}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "org.scope_kind_not_offered"
    );
    // The page offers the catalogue with its editions, and files a picked row.
    let (s, page) = admin.get_text(&format!("/orgs/{body}")).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("<select name=\"occupation\""),
        "pickers, not a text box"
    );
    assert!(
        page.contains("养老护理员（2015 版）"),
        "the edition is shown"
    );
    let (s, page) = admin
        .form(
            &format!("/orgs/{body}/scope"),
            &[
                ("occupation", "4-10-01-05@2015"),
                ("level", "5"),
                ("kind", "skill_level"),
            ],
        )
        .await;
    assert_eq!(s, 303, "{page}");
    let (_, scope) = admin
        .get(&format!("/api/v1/organisations/{body}/scope"))
        .await;
    assert_eq!(
        scope["scope"][0]["occupation_code"], "4-10-01-05",
        "{scope}"
    );
    let (_, page) = admin.get_text(&format!("/orgs/{body}")).await;
    assert!(page.contains("五级/初级工") && page.contains("职业技能等级证书"));
    // A forged row comes back on the form, next to its row.
    let (s, page) = admin
        .form(
            &format!("/orgs/{body}/scope"),
            &[
                ("occupation", "4-10-01-05@2015"),
                ("level", "5"),
                ("kind", "skill_level"),
                ("occupation", "4-10-01-05@2022"),
                ("level", "5"),
                ("kind", "skill_level"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(field_error(&page, "scope[1].occupation_code")
        .is_some_and(|m| m.contains("职业分类目录中没有该职业")));
    assert!(listed(&page, "备案范围 第 2 行："));
    // Removing a row files the rest.
    let (s, _) = admin
        .form(
            &format!("/orgs/{body}/scope"),
            &[
                ("occupation", "4-10-01-05@2015"),
                ("level", "5"),
                ("kind", "skill_level"),
                ("remove", "1"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let (_, scope) = admin
        .get(&format!("/api/v1/organisations/{body}/scope"))
        .await;
    assert_eq!(scope["scope"], json!([]), "{scope}");
    app.stop().await;
}

#[tokio::test]
async fn the_regulator_shares_a_bank_from_its_page() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = admin.create_body("共享机构").await;
    let (_, banks) = admin.get("/api/v1/banks").await;
    let bank = banks["banks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["occupation_code"] == "6-31-01-03")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, page) = admin.get_text(&format!("/banks/{bank}")).await;
    assert!(page.contains("id=\"share-form\"") && page.contains("共享机构"));
    assert!(page.contains("尚未共享给任何机构"));
    let (s, page) = admin
        .form(&format!("/banks/{bank}/share"), &[("body_id", "")])
        .await;
    assert_eq!(s, 422);
    assert!(field_error(&page, "body_id").is_some_and(|m| m.contains("必填")));
    let (s, _) = admin
        .form(
            &format!("/banks/{bank}/share"),
            &[("body_id", &body.to_string())],
        )
        .await;
    assert_eq!(s, 303);
    let (_, page) = admin.get_text(&format!("/banks/{bank}")).await;
    let shared = &page[page.find("id=\"shared-with\"").unwrap()..];
    assert!(shared[..shared.find("</ul>").unwrap()].contains("共享机构"));
    // The body's admin now sees the bank (its pool, never its items).
    user(&admin, "ba.share", body, "body_admin").await;
    let ba = app.client();
    ba.login("ba.share", "Correct-Horse-9").await;
    let (_, visible) = ba.get("/api/v1/banks").await;
    assert_eq!(visible["banks"][0]["id"], bank);
    app.stop().await;
}

#[tokio::test]
async fn planning_forms_refuse_the_past_and_name_the_field() {
    let app = TestApp::spawn().await;
    let planned = plan_elderly_care(&app, 600, 1).await;
    let ba = &planned.body_admin;
    let (_, me) = ba.get("/api/v1/me").await;
    let body = me["grants"][0]["org_id"].as_i64().unwrap().to_string();
    let new_plan = |date: &'static str, duration: &'static str| {
        let body = body.clone();
        async move {
            ba.form(
                "/plans",
                &[
                    ("body_id", body.as_str()),
                    ("scope", "4-10-01-05|5"),
                    ("name", "2020年的计划"),
                    ("exam_date", date),
                    ("duration_minutes", duration),
                ],
            )
            .await
        }
    };
    // A date in the past, a zero and an empty duration: the form again, each message
    // next to its field and named in the list; what was typed is kept.
    let (s, page) = new_plan("2020-06-01", "0").await;
    assert_eq!(s, 422, "{page}");
    assert_eq!(
        field_error(&page, "exam_date"),
        Some("考试日期不能早于今天")
    );
    assert_eq!(
        field_error(&page, "duration_minutes"),
        Some("考试时长应在 1 至 600 分钟之间")
    );
    assert!(listed(&page, "考试日期：考试日期不能早于今天"));
    assert!(page.contains("value=\"2020年的计划\""), "the name is kept");
    let (s, page) = new_plan("2020-06-01", "").await;
    assert_eq!(s, 422);
    assert!(field_error(&page, "duration_minutes").is_some());
    // The API says the same.
    let (s, b) = ba
        .post(
            "/api/v1/plans",
            json!({"body_id": body.parse::<i64>().unwrap(), "occupation_code": "4-10-01-05", "level": 5,
                   "name": "x", "exam_date": "2020-06-01"}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(b["error"]["fields"][0]["code"], "exam_error.date_past");
    assert_eq!(b["error"]["fields"][0]["label"], "考试日期");

    // Sessions: in the past, without a time, twice in one room at one time.
    let plan = planned.plan_id;
    let (_, detail) = ba.get(&format!("/api/v1/plans/{plan}")).await;
    let room = detail["sessions"][0]["room_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let session = |starts: String| {
        let room = room.clone();
        async move {
            ba.form(
                &format!("/plans/{plan}/sessions"),
                &[("room_id", &room), ("starts_at", &starts)],
            )
            .await
        }
    };
    let (s, page) = session(local_in(-90)).await;
    assert_eq!(s, 422);
    assert_eq!(
        field_error(&page, "starts_at"),
        Some("场次开始时间不能早于现在")
    );
    let (s, page) = session(String::new()).await;
    assert_eq!(s, 422);
    assert!(field_error(&page, "starts_at").is_some());
    let later = local_in(60);
    let (s, _) = session(later.clone()).await;
    assert_eq!(s, 303);
    let (s, page) = session(later).await;
    assert_eq!(s, 422, "a duplicate session is a field error, not a 500");
    assert_eq!(
        field_error(&page, "starts_at"),
        Some("该考场在这个时间已有本计划的场次"),
        "{page}"
    );
    app.stop().await;
}

#[tokio::test]
async fn rooms_have_seats_and_sessions_enrol_no_more() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let planned = plan_elderly_care(&app, 600, 1).await;
    let ba = &planned.body_admin;
    let (_, me) = ba.get("/api/v1/me").await;
    let body = me["grants"][0]["org_id"].as_i64().unwrap();
    // The body's page heads its sites 考点 and adds a 考点; a site's page adds rooms
    // with their seats.
    let (_, page) = ba.get_text(&format!("/orgs/{body}")).await;
    assert!(page.contains("<h2>考点</h2>") && page.contains(">新增考点</button>"));
    let (_, orgs) = ba.get("/api/v1/organisations").await;
    let site = orgs["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "test_site" && o["body_id"] == body)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, page) = ba.get_text(&format!("/orgs/{site}")).await;
    assert!(page.contains("<h2>考场</h2>") && page.contains("name=\"capacity\""));
    assert!(page.contains("60 座"), "the room's seats are listed");
    let site_s = site.to_string();
    let (s, page) = ba
        .form(
            "/orgs",
            &[
                ("kind", "room"),
                ("parent_id", &site_s),
                ("name", "102 机房"),
                ("capacity", ""),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(field_error(&page, "capacity"), Some("必填"));
    let (s, _) = ba
        .form(
            "/orgs",
            &[
                ("kind", "room"),
                ("parent_id", &site_s),
                ("name", "102 机房"),
                ("capacity", "2"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let (_, orgs) = ba.get("/api/v1/organisations").await;
    let small = orgs["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "102 机房")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, sess) = ba
        .post(
            &format!("/api/v1/plans/{}/sessions", planned.plan_id),
            json!({"room_id": small, "starts_at": local_in(30)}),
        )
        .await;
    assert_eq!(s, 201, "{sess}");
    let sid = sess["id"].as_i64().unwrap();
    // Three candidates for two seats: refused at the third, nothing enrolled.
    let list: Vec<_> = (0..3)
        .map(|i| json!({"name": format!("考生{i}"), "id_number": id_number(100 + i), "session_id": sid}))
        .collect();
    let (s, b) = ba
        .post(
            &format!("/api/v1/plans/{}/candidates", planned.plan_id),
            json!({"candidates": list}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "candidates[2].session_id");
    assert_eq!(b["error"]["fields"][0]["code"], "exam_error.room_full");
    let (_, roster) = ba
        .get(&format!("/api/v1/plans/{}/roster", planned.plan_id))
        .await;
    assert_eq!(
        roster["roster"].as_array().unwrap().len(),
        1,
        "all or nothing: only the helper's candidate"
    );
    // The plan page lists seats and offers inspectors by name (for the regulator).
    let (_, page) = ba.get_text(&format!("/plans/{}", planned.plan_id)).await;
    assert!(page.contains("102 机房（2 座）"));
    user(&admin, "qi.forms", 1, "quality_inspector").await;
    let (_, page) = admin.get_text(&format!("/plans/{}", planned.plan_id)).await;
    let picker = &page[page.find("id=\"assign-inspector\"").unwrap()..];
    assert!(picker.contains("<select name=\"user_id\"") && picker.contains(">qi.forms</option>"));
    app.stop().await;
}

#[tokio::test]
async fn the_language_switch_stays_on_the_page() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, page) = admin.get_text("/plans?x=1").await;
    assert!(
        page.contains("href=\"/lang/en?next=%2Fplans%3Fx%3D1\""),
        "the switch links back"
    );
    let res = admin
        .http
        .get(app.url("/lang/en?next=%2Fplans%3Fx%3D1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], "/plans?x=1");
    app.stop().await;
}

/// Without the console's script every action is a plain form that comes back to the
/// console, which says in the candidate's row what happened or why not.
#[tokio::test]
async fn the_console_answers_a_plain_form_in_the_row() {
    let app = TestApp::spawn().await;
    let planned = plan_elderly_care(&app, 600, 1).await;
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let p = &planned.proctor;
    let console = format!("/proctor/sessions/{}", planned.session_id);
    let (_, page) = p.get_text(&console).await;
    let attempt: String = page
        .split("data-attempt=\"")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let sid = planned.session_id.to_string();
    let act = format!("/proctor/attempts/{attempt}/action");
    // Extending needs minutes and a reason: refused, said in the row.
    let res = p
        .http
        .post(app.url(&act))
        .form(&[
            ("_csrf", p.csrf().as_str()),
            ("session_id", &sid),
            ("action", "extend"),
            ("minutes", "5"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with(&format!("{console}?failed=")), "{to}");
    let (_, page) = p.get_text(&to).await;
    assert!(page.contains("原因：必填"), "the row says why");
    // Admitting works and is said in the row too.
    let res = p
        .http
        .post(app.url(&act))
        .form(&[
            ("_csrf", p.csrf().as_str()),
            ("session_id", &sid),
            ("action", "admit"),
        ])
        .send()
        .await
        .unwrap();
    let to = res.headers()["location"].to_str().unwrap().to_string();
    let (_, page) = p.get_text(&to).await;
    assert!(
        page.contains("row-msg ok") && page.contains("已准入"),
        "{to}"
    );
    app.stop().await;
}

/// Saving the whole plain form (every choice present, nothing ticked) counts only the
/// questions answered: the proctor saw 44/60 for 7 answered.
#[tokio::test]
async fn progress_counts_only_what_was_answered() {
    let app = TestApp::spawn().await;
    let planned = plan_elderly_care(&app, 600, 1).await;
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let c = common::exams::exam_login(&app, &planned.admissions[0], &id_number(0)).await;
    planned.admit_all().await;
    let (s, _) = c.post("/api/v1/exam/start", json!({})).await;
    assert_eq!(s, 200);
    let (_, paper) = c.get("/api/v1/exam/paper").await;
    let items = paper["items"].as_array().unwrap();
    let mut fields: Vec<(String, String)> = vec![("_csrf".into(), c.csrf())];
    for it in items {
        let pos = it["position"].as_u64().unwrap();
        match it["item_type"].as_str().unwrap() {
            "single_choice" | "multiple_choice" => fields.push((format!("p{pos}"), "1".into())),
            "true_false" => {}
            _ => fields.push((format!("a{pos}"), "   ".into())),
        }
    }
    let first_tf = items
        .iter()
        .find(|i| i["item_type"] == "true_false")
        .unwrap();
    fields.push((format!("a{}", first_tf["position"]), "true".into()));
    let res = c
        .http
        .post(app.url("/exam/answers"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let (_, roster) = planned
        .proctor
        .get(&format!("/api/v1/sessions/{}/roster", planned.session_id))
        .await;
    assert_eq!(roster["roster"][0]["answered"], 1, "{roster}");
    let (_, page) = c.get_text("/exam").await;
    assert!(page.contains("id=\"answered-count\">1</strong>"));
    app.stop().await;
}

/// An author previews an edit twice without the options drifting, and saving an item
/// unchanged adds no version.
#[tokio::test]
async fn previews_keep_the_text_and_an_unchanged_save_adds_no_version() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    admin
        .create_user(
            json!({"login": "author.f", "display_name": "命题员", "password": "One-time-pw-1",
                            "org_id": 1, "role": "bank_author", "must_change_password": true}),
        )
        .await;
    let author = app.first_sign_in("author.f", "One-time-pw-1").await;
    let bank = elderly_care_bank(&author).await;
    let item = json!({"type": "single_choice", "stem": "翻身间隔一般不超过（ ）。",
        "options": [{"key": "A", "text": "2 小时"}, {"key": "B", "text": "4 小时"}, {"key": "C", "text": "6 小时"}],
        "correct": ["A"], "level": 5, "point": "B01"});
    let (s, created) = author
        .post(&format!("/api/v1/banks/{bank}/items"), item)
        .await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let fields = |action: &'static str, options: &str| {
        vec![
            ("action", action.to_string()),
            ("type", "single_choice".to_string()),
            ("stem", "翻身间隔一般不超过（ ）。".to_string()),
            ("options", options.to_string()),
            ("answer", "A".to_string()),
            ("point", "B01".to_string()),
            ("difficulty", "3".to_string()),
            ("score", "1".to_string()),
            ("mode", "theory".to_string()),
        ]
    };
    let mut options = "2 小时\n4 小时\n6 小时".to_string();
    for _ in 0..2 {
        let f = fields("preview", &options);
        let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, page) = author.form(&format!("/items/{id}/edit"), &f).await;
        assert_eq!(s, 200);
        let at = page.find("name=\"options\"").unwrap();
        let value = &page[at..];
        let value = &value[value.find('>').unwrap() + 1..value.find("</textarea>").unwrap()];
        assert_eq!(value, "2 小时\n4 小时\n6 小时", "no indentation creeps in");
        options = value.to_string();
    }
    async fn versions(c: &Client, id: i64) -> i64 {
        let (_, item) = c.get(&format!("/api/v1/items/{id}")).await;
        item["latest_version"].as_i64().unwrap()
    }
    assert_eq!(versions(&author, id).await, 1);
    let f = fields("save", &options);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, _) = author.form(&format!("/items/{id}/edit"), &f).await;
    assert_eq!(s, 303);
    assert_eq!(
        versions(&author, id).await,
        1,
        "saving it unchanged adds no version"
    );
    let mut f = fields("save", &options);
    f[2].1 = "翻身间隔一般不超过（ ）小时。".into();
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (s, _) = author.form(&format!("/items/{id}/edit"), &f).await;
    assert_eq!(s, 303);
    assert_eq!(versions(&author, id).await, 2, "a change does");
    app.stop().await;
}
