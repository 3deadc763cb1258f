//! Question banks over real HTTP: shipped banks and their pool report, confidentiality
//! of items and keys, the two-person review, imports in several formats (all-or-nothing
//! with line numbers), and hostile files refused without writing anything.

mod common;

use common::{Client, TestApp};
use serde_json::{json, Value};

async fn regulator_id(admin: &Client) -> i64 {
    let (_, orgs) = admin.get("/api/v1/organisations").await;
    orgs["organisations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "regulator")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn bank_id(c: &Client, code: &str) -> i64 {
    let (s, b) = c.get("/api/v1/banks").await;
    assert_eq!(s, 200, "{b}");
    b["banks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["occupation_code"] == code)
        .unwrap_or_else(|| panic!("no bank {code} in {b}"))["id"]
        .as_i64()
        .unwrap()
}

/// An account with one role at `org`, signed in (accounts that read keys replace their
/// one-time password first, as they must).
async fn person(app: &TestApp, admin: &Client, login: &str, role: &str, org: i64) -> (Client, i64) {
    let id = admin.create_user(json!({"login": login, "password": "a-good-password", "org_id": org, "role": role, "display_name": login})).await;
    let c = if matches!(role, "bank_author" | "bank_reviewer" | "regulator_admin") {
        app.first_sign_in(login, "a-good-password").await
    } else {
        let c = app.client();
        c.login(login, "a-good-password").await;
        c
    };
    (c, id)
}

async fn item_count(c: &Client, bank: i64) -> usize {
    let (_, items) = c.get(&format!("/api/v1/banks/{bank}/items?page=0")).await;
    let mut n = items["items"].as_array().unwrap().len();
    let mut page = 1;
    while n == 50 * page {
        let (_, more) = c
            .get(&format!("/api/v1/banks/{bank}/items?page={page}"))
            .await;
        n += more["items"].as_array().unwrap().len();
        page += 1;
    }
    n
}

async fn raw_import(c: &Client, bank: i64, query: &str, body: Vec<u8>) -> (u16, Value) {
    let res = c
        .http
        .post(format!("{}/api/v1/banks/{bank}/import?{query}", c.base))
        .header("x-csrf-token", c.csrf())
        .body(body)
        .send()
        .await
        .unwrap();
    let s = res.status().as_u16();
    (s, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn shipped_banks_load_and_say_how_far_they_are_from_a_full_pool() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, banks) = admin.get("/api/v1/banks").await;
    let banks = banks["banks"].as_array().unwrap();
    assert!(banks.len() >= 8, "{banks:?}");
    for b in banks {
        assert!(b["active_items"].as_i64().unwrap() >= 60, "{b}");
        let (s, pool) = admin.get(&format!("/api/v1/banks/{}/pool", b["id"])).await;
        assert_eq!(s, 200);
        let r = &pool["reports"][0];
        assert_eq!(
            r["sufficient"], false,
            "shipped banks are honest demo banks, not full national pools"
        );
        assert_eq!(r["points_required"], 200);
        assert!(r["items_shortfall"].as_i64().unwrap() > 0);
        // Every area of the standard has items.
        assert!(r["areas"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["items"].as_i64().unwrap() > 0));
    }
    // The public shortage page and catalogue.
    let (s, occ) = app.client().get("/api/v1/occupations").await;
    assert_eq!(s, 200);
    assert!(occ["occupations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "养老护理员"));
    // In force today, whatever day the test runs.
    let today = skillcert::today();
    let from = (today - time::Duration::days(30)).to_string();
    let to = (today + time::Duration::days(365)).to_string();
    let ids: Vec<i64> = occ["occupations"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    let (s, b) = admin.post("/api/v1/shortage-catalogues", json!({"name": "江苏省紧缺型职业工种目录", "valid_from": from, "valid_to": to, "occupation_ids": ids})).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = admin.post("/api/v1/shortage-catalogues", json!({"name": "x", "valid_from": "2026-02-30", "valid_to": "2025-01-01", "occupation_ids": ids})).await;
    assert_eq!(s, 422);
    assert!(b["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["field"] == "valid_from"));
    let (_, cur) = app.client().get("/api/v1/shortage-catalogue").await;
    assert_eq!(
        cur["catalogues"][0]["occupations"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let (s, page) = app.client().get_text("/shortage").await;
    assert_eq!(s, 200);
    assert!(page.contains("江苏省紧缺型职业工种目录"));
    app.stop().await;
}

#[tokio::test]
async fn items_and_keys_are_for_authors_reviewers_and_the_regulator_only() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let reg = regulator_id(&admin).await;
    let body = admin.create_body("评价机构甲").await;
    let bank = bank_id(&admin, "6-31-01-03").await;
    let (author, _) = person(&app, &admin, "author.reg", "bank_author", reg).await;
    let (body_author, _) = person(&app, &admin, "author.body", "bank_author", body).await;
    let (body_admin, _) = person(&app, &admin, "admin.body", "body_admin", body).await;
    // The regulator's author reads items and keys; the read is audited.
    let (_, items) = author
        .get(&format!("/api/v1/banks/{bank}/items?type=single_choice"))
        .await;
    let first = items["items"][0]["id"].as_i64().unwrap();
    assert!(
        items.to_string().find("\"correct\"").is_none(),
        "lists carry no keys"
    );
    let (s, item) = author
        .post(&format!("/api/v1/items/{first}/keys"), json!({}))
        .await;
    assert_eq!(s, 200);
    assert!(item["versions"][0]["item"]["correct"].is_array());
    let (_, log) = admin.get("/api/v1/audit?limit=1000").await;
    assert!(log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "item.read_key"
            && e["object_id"].as_str() == Some(first.to_string().as_str())));
    // A body's author and the body admin cannot see the regulator's items.
    for c in [&body_author, &body_admin] {
        assert_eq!(c.get(&format!("/api/v1/items/{first}")).await.0, 404);
        let keys = format!("/api/v1/items/{first}/keys");
        assert_eq!(c.post(&keys, json!({})).await.0, 404);
        assert_eq!(c.get(&format!("/api/v1/banks/{bank}/items")).await.0, 404);
    }
    let (_, visible) = body_admin.get("/api/v1/banks").await;
    assert!(visible["banks"].as_array().unwrap().is_empty());
    // Shared with the body: the admin sees the bank and its pool report, never its items.
    let (s, _) = admin
        .post(
            &format!("/api/v1/banks/{bank}/share"),
            json!({"body_id": body}),
        )
        .await;
    assert_eq!(s, 204);
    let (_, visible) = body_admin.get("/api/v1/banks").await;
    assert_eq!(visible["banks"][0]["can_read"], false);
    assert_eq!(
        body_admin
            .get(&format!("/api/v1/banks/{bank}/pool"))
            .await
            .0,
        200
    );
    assert_eq!(
        body_admin.get(&format!("/api/v1/items/{first}")).await.0,
        404
    );
    assert_eq!(
        body_author
            .get(&format!("/api/v1/banks/{bank}/pool"))
            .await
            .0,
        404
    );
    app.stop().await;
}

#[tokio::test]
async fn review_needs_a_second_person_and_edits_make_versions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let reg = regulator_id(&admin).await;
    let bank = bank_id(&admin, "4-10-01-05").await;
    let (author, author_id) = person(&app, &admin, "author.a", "bank_author", reg).await;
    let (reviewer, _) = person(&app, &admin, "reviewer.b", "bank_reviewer", reg).await;
    // An author who is also a reviewer still cannot approve what they wrote.
    let (s, _) = admin
        .post(
            &format!("/api/v1/users/{author_id}/roles"),
            json!({"role": "bank_reviewer", "org_id": reg}),
        )
        .await;
    assert_eq!(s, 200);
    let new = json!({"type": "single_choice", "stem": "为卧床老年人翻身的间隔一般不超过（ ）。<script>alert(1)</script>",
        "options": [{"key": "A", "text": "2 小时"}, {"key": "B", "text": "4 小时"}, {"key": "C", "text": "6 小时"}, {"key": "D", "text": "8 小时"}],
        "correct": ["A"], "level": 5, "point": "B01", "difficulty": 2, "score": 1.0});
    let (s, created) = author
        .post(&format!("/api/v1/banks/{bank}/items"), new.clone())
        .await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (_, item) = author.get(&format!("/api/v1/items/{id}")).await;
    assert_eq!(item["status"], "draft");
    assert!(
        !item.to_string().contains("<script>"),
        "rich text is sanitised on input"
    );
    // The same item again is a duplicate.
    let (s, dup) = author
        .post(&format!("/api/v1/banks/{bank}/items"), new)
        .await;
    assert_eq!(s, 422, "{dup}");
    let transition = |action: &str| json!({"action": action});
    assert_eq!(
        author
            .post(
                &format!("/api/v1/items/{id}/transition"),
                transition("approve")
            )
            .await
            .0,
        422,
        "only from review"
    );
    assert_eq!(
        author
            .post(
                &format!("/api/v1/items/{id}/transition"),
                transition("submit")
            )
            .await
            .0,
        200
    );
    let (s, b) = author
        .post(
            &format!("/api/v1/items/{id}/transition"),
            transition("approve"),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(b["error"]["fields"][0]["code"], "item.own_review");
    let (s, b) = reviewer
        .post(
            &format!("/api/v1/items/{id}/transition"),
            json!({"action": "approve", "comment": "通过"}),
        )
        .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("active")));
    // An edit makes version 2 as a draft; version 1 stays the one in use.
    let edit = json!({"type": "single_choice", "stem": "为卧床老年人翻身的间隔一般不超过（ ）。",
        "options": [{"key": "A", "text": "2 小时"}, {"key": "B", "text": "4 小时"}, {"key": "C", "text": "6 小时"}, {"key": "D", "text": "8 小时"}],
        "correct": ["A"], "explanation": "一般每 2 小时翻身一次。", "difficulty": 2, "score": 1.0});
    let (s, v) = author.put(&format!("/api/v1/items/{id}"), edit).await;
    assert_eq!((s, v["version"].as_i64()), (200, Some(2)), "{v}");
    let (_, item) = reviewer.get(&format!("/api/v1/items/{id}")).await;
    assert_eq!(
        (
            item["status"].as_str(),
            item["latest_version"].as_i64(),
            item["active_version"].as_i64()
        ),
        (Some("draft"), Some(2), Some(1))
    );
    assert_eq!(item["versions"].as_array().unwrap().len(), 2);
    assert_eq!(item["reviews"][1]["action"], "approve");
    // A reviewer who is not an author cannot edit.
    let (s, _) = reviewer
        .put(
            &format!("/api/v1/items/{id}"),
            json!({"type": "true_false", "stem": "x", "correct": true}),
        )
        .await;
    assert_eq!(s, 403);
    // The history page shows what changed, keys included once the author asks for them.
    let res = author
        .http
        .post(app.url(&format!("/items/{id}/keys")))
        .form(&[("_csrf", author.csrf())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("一般每 2 小时翻身一次"));
    app.stop().await;
}

const GIFT: &str = "// 电工安全\n::g1:: 我国工频交流电的频率是 {=50 Hz ~60 Hz ~100 Hz}\n\n::g2:: 验电前应先在有电设备上检验验电器是否良好。{T}\n\n::g3:: 欧姆定律：I 等于 {=U/R =U÷R}\n";

#[tokio::test]
async fn imports_are_all_or_nothing_with_line_numbers() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let reg = regulator_id(&admin).await;
    let bank = bank_id(&admin, "6-31-01-03").await;
    let (author, _) = person(&app, &admin, "author.i", "bank_author", reg).await;
    let before = item_count(&author, bank).await;
    // Dry run: shows what would be created, writes nothing.
    let (s, r) = raw_import(
        &author,
        bank,
        "format=gift&level=5&point=A01&dry_run=true",
        GIFT.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["items"].as_array().unwrap().len(), 3);
    assert_eq!(r["items"][0]["correct"], json!(["A"]));
    assert!(r["outcome"].is_null());
    assert_eq!(item_count(&author, bank).await, before);
    // A broken file: every error with its line, nothing written.
    let broken = format!("{GIFT}\n::g4:: 未闭合 {{=甲 ~乙\n");
    let (s, r) = raw_import(
        &author,
        bank,
        "format=gift&level=5&point=A01",
        broken.into_bytes(),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(r["errors"][0]["line"], 8, "{r}");
    assert_eq!(item_count(&author, bank).await, before);
    // An unknown point is named per item.
    let (s, r) = raw_import(
        &author,
        bank,
        "format=gift&level=5&point=ZZ99",
        GIFT.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(r["errors"].as_array().unwrap().len(), 3);
    // For real: drafts for review.
    let (s, r) = raw_import(
        &author,
        bank,
        "format=gift&level=5&point=A01",
        GIFT.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["outcome"]["created"], 3);
    let (_, drafts) = author
        .get(&format!("/api/v1/banks/{bank}/items?status=draft"))
        .await;
    assert_eq!(drafts["items"].as_array().unwrap().len(), 3);
    // The same file again changes nothing; the same questions under other ids are
    // duplicates of what the bank holds.
    let (s, r) = raw_import(
        &author,
        bank,
        "format=gift&level=5&point=A01",
        GIFT.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(
        (s, r["outcome"]["unchanged"].as_i64()),
        (200, Some(3)),
        "{r}"
    );
    let renamed = GIFT.replace("::g", "::h");
    let (s, r) = raw_import(
        &author,
        bank,
        "format=gift&level=5&point=A01",
        renamed.into_bytes(),
    )
    .await;
    assert_eq!(s, 422, "{r}");
    assert!(r["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("already holds"));
    // CSV written by Excel on Chinese Windows (GB18030), with points in a column.
    let csv = "题型,题干,选项A,选项B,选项C,选项D,答案,难度,鉴定点代码,分数,解析\n单选,安全电压的上限值是（ ）。,24 V,36 V,42 V,50 V,C,较易,A01,1,\n判断,电气设备着火时应先切断电源。,,,,,对,2,A01,1,\n";
    let gb = encoding_rs::GB18030.encode(csv).0.into_owned();
    assert!(std::str::from_utf8(&gb).is_err(), "really GB18030");
    let (s, r) = raw_import(&author, bank, "format=csv&level=5", gb).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["items"][0]["stem"], "安全电压的上限值是（ ）。");
    assert_eq!(r["outcome"]["created"], 2);
    // A QTI 3.0 package.
    let content = skillcert::domain::item::ItemContent {
        item_type: skillcert::domain::item::ItemType::TrueFalse,
        stem: "使用兆欧表前应先验电并放电。".into(),
        options: vec![],
        answer: skillcert::domain::item::Answer::TrueFalse(true),
        reference: None,
        rubric: vec![],
        explanation: None,
        difficulty: 2,
        score: 1.0,
    };
    let zip = skillcert::formats::qti::write_package(&[("Q1".into(), Some("A01".into()), content)])
        .unwrap();
    let (s, r) = raw_import(&author, bank, "format=qti&level=5", zip).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["items"][0]["correct"], true);
    app.stop().await;
}

#[tokio::test]
async fn hostile_files_are_refused_quickly_and_write_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let bank = bank_id(&admin, "6-31-01-03").await;
    let before = item_count(&admin, bank).await;
    let mut bomb = std::io::Cursor::new(Vec::new());
    {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(&mut bomb);
        z.start_file(
            "bomb.xml",
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .unwrap();
        z.write_all(&vec![b' '; 200 << 20]).unwrap();
        z.finish().unwrap();
    }
    let mut slip = std::io::Cursor::new(Vec::new());
    {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(&mut slip);
        z.start_file(
            "../../../tmp/skillcert-slip.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        z.write_all(b"<assessmentItem/>").unwrap();
        z.finish().unwrap();
    }
    let cases: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        ("xxe", "moodle-xml", b"<?xml version=\"1.0\"?>\n<!DOCTYPE q [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<quiz>&x;</quiz>".to_vec(), "DOCTYPE"),
        ("billion laughs", "qti", format!("<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"{}\">{}]><assessmentItem>&e;</assessmentItem>", "x".repeat(10), (b'b'..=b'e').map(|c| format!("<!ENTITY {} \"{}\">", c as char, format!("&{};", (c - 1) as char).repeat(10))).collect::<String>()).into_bytes(), "DOCTYPE"),
        ("zip bomb", "qti", bomb.into_inner(), "archive"),
        ("zip slip", "qti", slip.into_inner(), "outside"),
        ("invalid utf-8", "gift", b"ok {T}\n\n\xff\xfe broken {F}\n".to_vec(), "UTF-8"),
        ("deep nesting", "moodle-xml", format!("<quiz>{}{}</quiz>", "<a>".repeat(100_000), "</a>".repeat(100_000)).into_bytes(), "nest"),
    ];
    for (name, format, bytes, expect) in cases {
        let t0 = std::time::Instant::now();
        let (s, r) = raw_import(
            &admin,
            bank,
            &format!("format={format}&level=5&point=A01"),
            bytes,
        )
        .await;
        let took = t0.elapsed();
        assert_eq!(s, 422, "{name}: {r}");
        let msg = r["errors"][0]["message"].as_str().unwrap_or("");
        assert!(msg.contains(expect), "{name}: {msg}");
        assert!(
            took < std::time::Duration::from_secs(10),
            "{name} took {took:?}"
        );
        eprintln!("{name}: refused in {} ms: {msg}", took.as_millis());
    }
    assert!(!std::path::Path::new("/tmp/skillcert-slip.xml").exists());
    assert_eq!(item_count(&admin, bank).await, before);
    app.stop().await;
}

/// The author's and reviewer's pages render and work without JavaScript: browse by
/// standard, search, write an item with preview, import a file with a preview, review.
#[tokio::test]
async fn bank_pages_work_as_plain_forms() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let reg = regulator_id(&admin).await;
    let bank = bank_id(&admin, "6-31-01-03").await;
    let (author, _) = person(&app, &admin, "author.p", "bank_author", reg).await;
    let (reviewer, _) = person(&app, &admin, "reviewer.p", "bank_reviewer", reg).await;
    for path in [
        "/banks".to_string(),
        format!("/banks/{bank}"),
        format!("/banks/{bank}?q=电压&type=single_choice"),
        format!("/banks/{bank}/pool"),
        "/shortage".into(),
    ] {
        let (s, page) = author.get_text(&path).await;
        assert_eq!(s, 200, "{path}: {page}");
    }
    let (_, page) = author.get_text(&format!("/banks/{bank}")).await;
    assert!(page.contains("standard-tree") && page.contains("A01"));
    let (_, pool) = author.get_text(&format!("/banks/{bank}/pool")).await;
    assert!(pool.contains("尚不满足要求"));
    // Preview, then save a draft from the form.
    let csrf = author.csrf();
    let form = |action: &str| {
        vec![
            ("_csrf", csrf.clone()),
            ("type", "single_choice".to_string()),
            ("stem", "Ⅰ类手持电动工具的金属外壳应（ ）。".to_string()),
            (
                "options",
                "接保护线（PE）\n接中性线\n悬空\n接相线".to_string(),
            ),
            ("answer", "A".to_string()),
            ("explanation", "Ⅰ类工具靠保护接地防触电。".to_string()),
            ("point", "A01".to_string()),
            ("level", "5".to_string()),
            ("mode", "theory".to_string()),
            ("difficulty", "2".to_string()),
            ("score", "1".to_string()),
            ("action", action.to_string()),
        ]
    };
    let res = author
        .http
        .post(app.url(&format!("/banks/{bank}/items")))
        .form(&form("preview"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("item-preview") && page.contains("接保护线"));
    let res = author
        .http
        .post(app.url(&format!("/banks/{bank}/items")))
        .form(&form("save"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let item_path = res.headers()["location"].to_str().unwrap().to_string();
    let (s, page) = author.get_text(&item_path).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("submit-review"));
    // A bad answer is explained on the form.
    let mut bad = form("save");
    bad[4].1 = "E".into();
    let res = author
        .http
        .post(app.url(&format!("/banks/{bank}/items")))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("form-errors"));
    // Submit, then the reviewer approves from the page.
    let id = item_path.trim_start_matches("/items/");
    let res = author
        .http
        .post(app.url(&format!("/items/{id}/transition")))
        .form(&[("_csrf", csrf.as_str()), ("action", "submit")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let (_, queue) = reviewer
        .get_text(&format!("/banks/{bank}?status=in_review"))
        .await;
    assert!(queue.contains("Ⅰ类手持电动工具"));
    let rcsrf = reviewer.csrf();
    let res = reviewer
        .http
        .post(app.url(&format!("/items/{id}/transition")))
        .form(&[
            ("_csrf", rcsrf.as_str()),
            ("action", "approve"),
            ("comment", "准确"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let (_, page) = reviewer.get_text(&item_path).await;
    assert!(page.contains("已启用") && page.contains("准确"));
    // Import through the page: upload, preview, confirm.
    let part = reqwest::multipart::Part::bytes(GIFT.as_bytes().to_vec()).file_name("electric.gift");
    let mp = reqwest::multipart::Form::new()
        .part("file", part)
        .text("format", "gift")
        .text("level", "5")
        .text("point", "A02");
    let res = author
        .http
        .post(app.url(&format!("/banks/{bank}/import?_csrf={csrf}")))
        .multipart(mp)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("import-confirm") && page.contains("我国工频交流电的频率是"),
        "{page}"
    );
    let b64 = page
        .split("name=\"file_b64\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let res = author
        .http
        .post(app.url(&format!("/banks/{bank}/import/confirm")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("file_b64", b64.as_str()),
            ("format", "gift"),
            ("level", "5"),
            ("point", "A02"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let (_, drafts) = author
        .get(&format!(
            "/api/v1/banks/{bank}/items?status=draft&point=A02"
        ))
        .await;
    assert_eq!(drafts["items"].as_array().unwrap().len(), 3);
    // Multipart without the token is refused.
    let part = reqwest::multipart::Part::bytes(GIFT.as_bytes().to_vec()).file_name("x.gift");
    let res = author
        .http
        .post(app.url(&format!("/banks/{bank}/import")))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    app.stop().await;
}

/// Fixes from review: nobody changes their own roles; bearer tokens cannot mint tokens and
/// die with a password change; creating never overwrites an item; ids repeat in a file
/// only with a line-numbered error.
#[tokio::test]
async fn roles_tokens_and_ids_cannot_be_abused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = admin.create_body("评价机构乙").await;
    let (body_admin, body_admin_id) = person(&app, &admin, "admin.yi", "body_admin", body).await;
    let (s, _) = body_admin
        .post(
            &format!("/api/v1/users/{body_admin_id}/roles"),
            json!({"role": "bank_author", "org_id": body}),
        )
        .await;
    assert_eq!(s, 403, "a body admin cannot make themselves a bank author");
    let (s, tok) = body_admin
        .post("/api/v1/auth/tokens", json!({"name": "script"}))
        .await;
    assert_eq!(s, 200);
    let token = tok["token"].as_str().unwrap().to_string();
    let bearer = |path: &str| {
        reqwest::Client::new()
            .post(app.url(path))
            .bearer_auth(&token)
    };
    let res = bearer("/api/v1/auth/tokens")
        .json(&json!({"name": "more"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403, "a token cannot mint tokens");
    let (s, _) = body_admin
        .put(
            "/api/v1/me/password",
            json!({"current_password": "a-good-password", "new_password": "another-good-password"}),
        )
        .await;
    assert_eq!(s, 204);
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status().as_u16(),
        401,
        "a password change revokes tokens"
    );
    let bank = bank_id(&admin, "6-31-01-03").await;
    let item = json!({"type": "true_false", "stem": "新题", "correct": true, "level": 5, "point": "A01", "external_id": "DG5-A01-001"});
    let (s, b) = admin
        .post(&format!("/api/v1/banks/{bank}/items"), item)
        .await;
    assert_eq!(s, 409, "{b}");
    let twice = "::same:: 题一 {T}\n\n::same:: 题二 {F}\n";
    let (s, r) = raw_import(
        &admin,
        bank,
        "format=gift&level=5&point=A01",
        twice.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(r["errors"][0]["line"], 3, "{r}");
    app.stop().await;
}

/// The regulator publishes a shortage catalogue from the public page's form; the public
/// sees it at once; nobody else may post it.
#[tokio::test]
async fn the_regulator_publishes_a_shortage_catalogue_from_the_page() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, page) = admin.get_text("/shortage").await;
    assert!(page.contains("publish-shortage"));
    let (_, occ) = admin.get("/api/v1/occupations").await;
    let ids: Vec<String> = occ["occupations"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|o| o["id"].to_string())
        .collect();
    let today = skillcert::today();
    let (from, to) = (
        (today - time::Duration::days(1)).to_string(),
        (today + time::Duration::days(90)).to_string(),
    );
    let csrf = admin.csrf();
    let mut form = vec![
        ("_csrf", csrf.as_str()),
        ("name", "紧缺目录（页面发布）"),
        ("valid_from", from.as_str()),
        ("valid_to", to.as_str()),
    ];
    for id in &ids {
        form.push(("occupation_id", id.as_str()));
    }
    let res = admin
        .http
        .post(app.url("/shortage"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let (_, public) = app.client().get_text("/shortage").await;
    assert!(public.contains("紧缺目录（页面发布）"));
    assert!(
        !public.contains("publish-shortage"),
        "the form is for the regulator only"
    );
    let (_, cur) = app.client().get("/api/v1/shortage-catalogue").await;
    assert_eq!(
        cur["catalogues"][0]["occupations"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A bad date is named on the form.
    let bad = vec![
        ("_csrf", csrf.as_str()),
        ("name", "x"),
        ("valid_from", "2026-13-01"),
        ("valid_to", to.as_str()),
        ("occupation_id", ids[0].as_str()),
    ];
    let res = admin
        .http
        .post(app.url("/shortage"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("data-field=\"valid_from\""));
    app.stop().await;
}
