//! The pages in a real browser: headless Chromium driven through ChromeDriver
//! (fantoccini). The regulator admin signs in, files an evaluation body, creates its
//! admin and a candidate (first with a wrong ID number, which the page explains), and the
//! body admin signs in. Skips, saying so, when ChromeDriver is not installed, unless
//! `SKILLCERT_REQUIRE_BROWSER=1` (as in CI), where a missing browser fails the test.

mod common;

use std::time::{Duration, Instant};

use common::browser::{browser, click, fill, path, select, shot, text};
use common::exams::elderly_care_bank;
use common::{TestApp, ADMIN_PASSWORD};
use fantoccini::{Client, Locator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_creates_a_body_its_admin_and_a_candidate_in_the_browser() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn().await;

    // Anonymous visitors land on the login page, in Chinese.
    c.goto(&app.url("/")).await.unwrap();
    assert_eq!(path(&c).await, "/login");
    assert_eq!(text(&c, "h1").await, "登录");
    fill(&c, "#login", "admin").await;
    fill(&c, "#password", "wrong-password").await;
    click(&c, "#login-submit").await;
    assert_eq!(text(&c, "#login-error").await, "用户名或密码不正确");
    fill(&c, "#login", "admin").await;
    fill(&c, "#password", ADMIN_PASSWORD).await;
    click(&c, "#login-submit").await;
    assert_eq!(path(&c).await, "/");
    assert!(c.source().await.unwrap().contains("监管管理员"));

    // File an evaluation body.
    click(&c, "#nav-orgs").await;
    fill(&c, "#file-body input[name=name]", "苏州技能评价中心").await;
    fill(&c, "#file-body input[name=site_code]", "320500").await;
    click(&c, "#file-body button[type=submit]").await;
    let body_path = path(&c).await;
    assert!(body_path.starts_with("/orgs/"), "{body_path}");
    let body_id = body_path.trim_start_matches("/orgs/").to_string();
    assert_eq!(text(&c, "h1").await, "苏州技能评价中心");
    // Add a test site under it.
    fill(&c, "#add-child input[name=name]", "工业园区考点").await;
    click(&c, "#add-child button[type=submit]").await;
    assert_eq!(text(&c, "h1").await, "工业园区考点");

    // Create the body's admin.
    click(&c, "#nav-users").await;
    select(&c, "#org_id", &body_id).await;
    select(&c, "#role", "body_admin").await;
    fill(&c, "#new-login", "suzhou.admin").await;
    fill(&c, "#new-password", "suzhou-admin-pw").await;
    fill(&c, "#create-user input[name=display_name]", "苏州管理员").await;
    click(&c, "#create-user-submit").await;
    assert_eq!(text(&c, "#user-login").await, "suzhou.admin");

    // Create a candidate: a wrong check character is explained, nothing is created.
    click(&c, "#nav-users").await;
    select(&c, "#org_id", &body_id).await;
    select(&c, "#role", "candidate").await;
    fill(&c, "#new-login", "li.si").await;
    fill(&c, "#new-password", "candidate-pw-1").await;
    fill(&c, "#person-name", "李四").await;
    fill(&c, "#document-number", "110105194912310021").await;
    click(&c, "#create-user-submit").await;
    let errors = text(&c, "#form-errors").await;
    assert!(
        errors.contains("校验位") && errors.contains('X'),
        "{errors}"
    );
    // The form kept what was typed (but not the password).
    fill(&c, "#new-password", "candidate-pw-1").await;
    fill(&c, "#document-number", "11010519491231002X").await;
    click(&c, "#create-user-submit").await;
    assert_eq!(text(&c, "#document-masked").await, "1101**********002X");
    shot(&c, "admin-candidate-created").await;

    // The shipped banks: browse one by its standard, import a GIFT file with a preview,
    // and read the pool report.
    click(&c, "#nav-banks").await;
    let bank_link = c
        .find(Locator::Css("#banks tbody a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    c.goto(&app.url(&bank_link)).await.unwrap();
    assert!(text(&c, "#standard-tree").await.contains("A01"));
    let gift = std::env::temp_dir().join(format!("skillcert-browser-{}.gift", std::process::id()));
    std::fs::write(&gift, "::b1:: 浏览器导入测试：我国工频是 {=50 Hz ~60 Hz}\n").unwrap();
    c.find(Locator::Css("#import-form input[type=file]"))
        .await
        .unwrap()
        .send_keys(&gift.display().to_string())
        .await
        .unwrap();
    select(&c, "#import-form select[name=format]", "gift").await;
    fill(&c, "#import-form input[name=point]", "A01").await;
    click(&c, "#import-form button[type=submit]").await;
    assert!(text(&c, "#import-preview").await.contains("浏览器导入测试"));
    click(&c, "#import-submit").await;
    assert!(text(&c, "#items").await.contains("浏览器导入测试"));
    click(&c, "#pool-link").await;
    assert!(text(&c, "h1").await.contains("题库充足度"));
    let _ = std::fs::remove_file(&gift);

    // Sign out; the body admin signs in and sees their role.
    click(&c, "#logout").await;
    assert_eq!(path(&c).await, "/login");
    fill(&c, "#login", "suzhou.admin").await;
    fill(&c, "#password", "suzhou-admin-pw").await;
    click(&c, "#login-submit").await;
    // The password the admin set is a one-time one: the body admin chooses their own.
    assert_eq!(path(&c).await, "/account/password");
    assert!(text(&c, "#must-change").await.contains("一次性"));
    fill(&c, "#current-password", "suzhou-admin-pw").await;
    fill(&c, "#new-password", "suzhou-own-pw-7").await;
    click(&c, "#password-submit").await;
    assert_eq!(path(&c).await, "/");
    assert!(c.source().await.unwrap().contains("评价机构管理员"));
    // English on request.
    c.goto(&app.url("/lang/en")).await.unwrap();
    assert_eq!(path(&c).await, "/");
    assert_eq!(text(&c, "h1").await, "Dashboard");

    c.close().await.unwrap();
    app.stop().await;
}

/// A TCP relay between the browser and the server that can "kill the network": while
/// down it drops every open connection and refuses new ones, as a pulled cable would.
struct Network {
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    conns: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
    port: u16,
}

impl Network {
    async fn relay(upstream: std::net::SocketAddr) -> Network {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let conns: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>> =
            Default::default();
        let (up2, conns2) = (up.clone(), conns.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(std::sync::atomic::Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                conns2.lock().unwrap().push(task.abort_handle());
            }
        });
        Network { up, conns, port }
    }

    fn set(&self, up: bool) {
        self.up.store(up, std::sync::atomic::Ordering::SeqCst);
        if !up {
            for c in self.conns.lock().unwrap().drain(..) {
                c.abort();
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

async fn wait_for(c: &Client, css: &str, want: impl Fn(&str) -> bool, what: &str) -> String {
    let t0 = Instant::now();
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if want(&t) {
                    return t;
                }
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what} in {css}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The first option of the question at `pos` (radio or checkbox), clicked.
async fn answer(c: &Client, pos: usize) {
    c.find(Locator::Css(&format!("#q{pos} input[name='a{pos}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Questions the candidate answers while the network is cut.
const OFFLINE_ANSWERS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_plans_the_proctor_admits_and_no_answer_is_lost() {
    // How long the network stays cut: a few seconds in CI, a minute in the long run
    // (`SKILLCERT_NET_CUT_SECONDS=60`); the exam lasts long enough to hold it.
    let cut_seconds: u64 = std::env::var("SKILLCERT_NET_CUT_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let exam_minutes = 1 + (cut_seconds + 30) / 60;
    let Some((staff, _d1, _p1)) = browser().await else {
        return;
    };
    let (cand, _d2, _p2) = browser().await.expect("second browser");
    let app = TestApp::spawn_with(|c| c.exams.grace_seconds = 1).await;

    // The regulator files the body with its scope and shares the shipped bank (API).
    let admin = app.admin().await;
    let body = admin.create_body("无锡养老评价中心").await;
    let (s, _) = admin
        .put(
            &format!("/api/v1/organisations/{body}/scope"),
            serde_json::json!({"scope": [{"occupation_code": "4-10-01-05", "edition": 2015, "level": 5, "certificate_kind": "skill_level"}]}),
        )
        .await;
    assert_eq!(s, 200);
    let bank = elderly_care_bank(&admin).await;
    admin
        .post(
            &format!("/api/v1/banks/{bank}/share"),
            serde_json::json!({"body_id": body}),
        )
        .await;
    let (_, site) = admin
        .post(
            "/api/v1/organisations",
            serde_json::json!({"kind": "test_site", "parent_id": body, "name": "滨湖考点"}),
        )
        .await;
    admin
        .post(
            "/api/v1/organisations",
            serde_json::json!({"kind": "room", "parent_id": site["id"], "name": "理论一室", "capacity": 40}),
        )
        .await;
    for (login, role) in [
        ("wx.admin", "body_admin"),
        ("wx.proctor1", "proctor"),
        ("wx.proctor2", "proctor"),
    ] {
        admin
            .create_user(serde_json::json!({"login": login, "display_name": login, "password": "Proctor-pass-1", "org_id": body, "role": role}))
            .await;
    }
    let ids = ["11010519491231002X", "440524188001010014"];

    // The body admin plans in the browser: plan, session, proctors, roster, papers.
    staff.goto(&app.url("/login")).await.unwrap();
    fill(&staff, "#login", "wx.admin").await;
    fill(&staff, "#password", "Proctor-pass-1").await;
    click(&staff, "#login-submit").await;
    click(&staff, "#nav-plans").await;
    fill(
        &staff,
        "form[id^=new-plan] input[name=name]",
        "2026年12月养老护理员五级",
    )
    .await;
    staff
        .execute(
            "document.querySelector('form[id^=new-plan] input[name=exam_date]').value = arguments[0]; document.querySelector('form[id^=new-plan] input[name=duration_minutes]').value = arguments[1];",
            vec![serde_json::json!(skillcert::today().to_string()), serde_json::json!(exam_minutes.to_string())],
        )
        .await
        .unwrap();
    click(&staff, "form[id^=new-plan] button[type=submit]").await;
    assert_eq!(text(&staff, "h1").await, "2026年12月养老护理员五级");
    staff
        .execute(
            &format!(
                "document.querySelector('#add-session input[name=starts_at]').value = '{}';",
                // Now, China Standard Time: exam-day login opens around the session's start.
                skillcert::domain::time::local_time(skillcert::now_ms()).replace(' ', "T")
            ),
            vec![],
        )
        .await
        .unwrap();
    click(&staff, "#add-session button[type=submit]").await;
    for p in ["wx.proctor1", "wx.proctor2"] {
        staff
            .execute(
                "var s = document.querySelector('#assign-proctor select[name=user_id]'); for (var o of s.options) if (o.text === arguments[0]) s.value = o.value;",
                vec![serde_json::json!(p)],
            )
            .await
            .unwrap();
        click(&staff, "#assign-proctor button[type=submit]").await;
    }
    assert!(text(&staff, "#sessions").await.contains("(2/2)"));
    fill(
        &staff,
        "#add-candidates textarea",
        &format!("王小明,{}\n赵丽,{}", ids[0], ids[1]),
    )
    .await;
    click(&staff, "#add-candidates button[type=submit]").await;
    click(&staff, "#close-roster button[type=submit]").await;
    assert_eq!(text(&staff, "#plan-status").await, "已生成试卷");
    let admissions: Vec<String> = {
        let mut out = Vec::new();
        for e in staff
            .find_all(Locator::Css("#roster td.admission"))
            .await
            .unwrap()
        {
            out.push(e.text().await.unwrap());
        }
        out
    };
    assert_eq!(admissions.len(), 2);
    click(&staff, "#logout").await;

    // The candidate signs in through a network the test can kill, and waits.
    let net = Network::relay(app.addr).await;
    cand.goto(&net.url("/exam/login")).await.unwrap();
    fill(&cand, "input[name=admission_no]", &admissions[0]).await;
    fill(&cand, "input[name=id_number]", ids[0]).await;
    click(&cand, "#exam-login-submit").await;
    assert!(text(&cand, "#exam-wait").await.contains("准入"));

    // The second candidate signs in by API and waits too.
    let other = app.client();
    let res = other
        .http
        .post(app.url("/api/v1/exam/login"))
        .json(&serde_json::json!({"admission_no": admissions[1], "id_number": ids[1]}))
        .send()
        .await
        .unwrap();
    let csrf = res.json::<serde_json::Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    *other.csrf.lock().unwrap() = Some(csrf);

    // The proctor opens the console and admits everyone signed in.
    fill(&staff, "#login", "wx.proctor1").await;
    fill(&staff, "#password", "Proctor-pass-1").await;
    click(&staff, "#login-submit").await;
    click(&staff, "#nav-proctor").await;
    click(&staff, "#my-sessions tbody a").await;
    click(&staff, "#admit-all").await;

    // The waiting room notices by itself; the candidate starts.
    wait_for(&cand, "#start", |t| t.contains("开始"), "the start button").await;
    click(&cand, "#start").await;
    answer(&cand, 0).await;
    let saved = wait_for(
        &cand,
        "#save-state",
        |t| t.starts_with("已保存"),
        "the first acknowledgement",
    )
    .await;
    assert!(saved.len() >= "已保存 00:00:00".len(), "{saved}");

    // The second candidate (signed in by API before the proctor admitted the room)
    // answers one question and never comes back.
    assert_eq!(
        other
            .post("/api/v1/exam/start", serde_json::json!({}))
            .await
            .0,
        200
    );
    assert_eq!(
        other
            .post(
                "/api/v1/exam/answers",
                serde_json::json!({"changes": [{"position": 4, "seq": 1, "answer": null}]})
            )
            .await
            .0,
        200
    );

    // The network dies for a while (`SKILLCERT_NET_CUT_SECONDS`); the candidate goes on
    // answering. The changes are kept, and the page never claims one was saved.
    net.set(false);
    let cut = Instant::now();
    for pos in 1..=OFFLINE_ANSWERS {
        answer(&cand, pos).await;
        wait_for(
            &cand,
            "#save-state",
            |t| t.contains("未保存"),
            "the unsaved notice",
        )
        .await;
        let until = Duration::from_secs(cut_seconds) * pos as u32 / OFFLINE_ANSWERS as u32;
        while cut.elapsed() < until {
            let state = text(&cand, "#save-state").await;
            assert!(
                !state.starts_with("已保存"),
                "offline, the page says {state}"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    shot(&cand, "candidate-exam-offline").await;
    // The network returns and the candidate reloads at once: the queued changes survive
    // the reload and are saved by the new page.
    net.set(true);
    cand.refresh().await.unwrap();
    wait_for(
        &cand,
        "#save-state",
        |t| t.starts_with("已保存"),
        "the acknowledgement after the reload",
    )
    .await;
    for pos in 0..=OFFLINE_ANSWERS {
        let checked = cand
            .execute(
                &format!("return document.querySelector(\"#q{pos} input[name='a{pos}']\").checked"),
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(checked, serde_json::json!(true), "question {pos}");
    }
    // The server has both answers.
    let (_, roster) = admin.get("/api/v1/plans/1/roster").await;
    let mine = roster["roster"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["admission_no"] == admissions[0])
        .unwrap()
        .clone();
    assert_eq!(mine["answered"], 1 + OFFLINE_ANSWERS, "{mine}");

    // The console shows the progress without a reload.
    wait_for(
        &staff,
        &format!(
            "#console tr[data-attempt='{}'] .progress",
            mine["attempt_id"]
        ),
        |t| t.starts_with(&format!("{}/", 1 + OFFLINE_ANSWERS)),
        "live progress",
    )
    .await;

    // Time runs out: both attempts are submitted with their saved answers.
    let t0 = Instant::now();
    loop {
        let (_, r) = admin.get("/api/v1/plans/1/roster").await;
        let all_done = r["roster"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["status"] == "submitted");
        if all_done {
            let answered: Vec<i64> = r["roster"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["answered"].as_i64().unwrap())
                .collect();
            assert_eq!(
                answered,
                vec![1 + OFFLINE_ANSWERS as i64, 0],
                "saved answers kept (the other candidate's was a cleared answer)"
            );
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60 * exam_minutes + 30),
            "not submitted at the deadline: {r}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let (_, st) = other.get("/api/v1/exam/state").await;
    assert_eq!(st["status"], "submitted");
    assert_eq!(st["answers"].as_array().unwrap().len(), 1);
    // The candidate's page ends by itself.
    wait_for(
        &cand,
        "#exam-done",
        |t| t.contains("已交卷"),
        "the end of the exam",
    )
    .await;
    shot(&cand, "candidate-exam-ended").await;

    // A quality inspector dispatched to the plan sees the proctor's actions and files a
    // finding with its evidence.
    let inspector = admin
        .create_user(serde_json::json!({"login": "wx.inspector", "display_name": "督导员", "password": "Proctor-pass-1", "org_id": 1, "role": "quality_inspector"}))
        .await;
    let (s, b) = admin
        .post(
            "/api/v1/plans/1/inspectors",
            serde_json::json!({"user_id": inspector}),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    click(&staff, "#logout").await;
    fill(&staff, "#login", "wx.inspector").await;
    fill(&staff, "#password", "Proctor-pass-1").await;
    click(&staff, "#login-submit").await;
    staff.goto(&app.url("/inspect/plans/1")).await.unwrap();
    // The proctors' actions in words (the code rides along for scripts and tests).
    assert!(text(&staff, "#proctor-actions").await.contains("批量准入"));
    staff
        .find(Locator::Css("#proctor-actions td[data-action=admit_all]"))
        .await
        .expect("the admit-all action is listed");
    // The subject is picked by name: the session, not a typed id.
    staff
        .execute(
            "var s = document.querySelector('#file-finding select[name=target]'); s.value = s.querySelector('optgroup:nth-of-type(2) option').value;",
            vec![],
        )
        .await
        .unwrap();
    select(&staff, "#file-finding select[name=category]", "identity").await;
    select(&staff, "#file-finding select[name=severity]", "major").await;
    fill(
        &staff,
        "#file-finding textarea[name=evidence]",
        "第3排考生未出示身份证即入场",
    )
    .await;
    click(&staff, "#file-finding button[type=submit]").await;
    let findings = text(&staff, "#findings").await;
    assert!(
        findings.contains("第3排考生未出示身份证即入场") && findings.contains("场次：理论一室"),
        "{findings}"
    );

    cand.close().await.unwrap();
    staff.close().await.unwrap();
    app.stop().await;
}
