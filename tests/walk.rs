//! Every role's pages in a real browser, over a scenario with one of everything: each
//! page loads (no error page), shows no code untranslated, and leaves a screenshot
//! (`SKILLCERT_SCREENSHOTS`, kept by CI) for a person to look at. Then the candidate's
//! exam page as a candidate meets it: one option per line, the navigator a grid that
//! shows answered, marked and current questions, the count of unanswered questions in
//! the hand-in dialog, marks that follow the candidate to another computer, and the
//! paused and terminated banners.

mod common;

use std::time::{Duration, Instant};

use common::browser::{browser, click, fill, shot, text};
use common::exams::exam_login;
use common::leaks::{code_words, leaked_codes};
use common::scenario::{password, Scenario};
use common::TestApp;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

/// What a reader sees on the page, code elements (hashes, commands) left out.
async fn visible(c: &Client) -> String {
    let v = c
        .execute(
            "var b = document.body.cloneNode(true);
             b.querySelectorAll('code, script, style').forEach(function (e) { e.remove(); });
             var extra = Array.from(document.querySelectorAll('[title],[placeholder],[aria-label]'))
               .map(function (e) { return [e.title, e.placeholder, e.getAttribute('aria-label')].join(' '); }).join(' ');
             return b.textContent + ' ' + extra;",
            vec![],
        )
        .await
        .unwrap();
    v.as_str().unwrap_or_default().to_string()
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap()
}

async fn wait_until(c: &Client, script: &str, what: &str) {
    let t0 = Instant::now();
    while js(c, script).await != Value::Bool(true) {
        assert!(t0.elapsed() < Duration::from_secs(20), "waited for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_walks_its_pages_and_the_exam_page_reads_well() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let scenario = Scenario::seed(&app).await;
    let mut words = code_words();
    for (_, login) in &scenario.logins {
        words.remove(login.as_str());
    }
    let mut problems = Vec::new();
    for (role, login) in &scenario.logins {
        c.goto(&app.url("/login")).await.unwrap();
        fill(&c, "#login", login).await;
        fill(&c, "#password", password(login)).await;
        click(&c, "#login-submit").await;
        for path in scenario.pages(role) {
            c.goto(&app.url(&path)).await.unwrap();
            let h1 = text(&c, "h1").await;
            if h1
                .split(" · ")
                .next()
                .is_some_and(|s| s.parse::<u16>().is_ok())
            {
                problems.push(format!("{role} {path}: error page {h1}"));
            }
            for code in leaked_codes(&visible(&c).await, &words) {
                problems.push(format!("{role} {path}: {code}"));
            }
            let name: String = path
                .trim_matches('/')
                .replace('/', "-")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            let name = if name.is_empty() {
                "dashboard".into()
            } else {
                name
            };
            shot(&c, &format!("{role}-{name}")).await;
        }
        click(&c, "#logout").await;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The proctor's console offers each row what applies to it, asks before ending an
    // exam, and says in the row what an action did.
    let proctor = scenario.login("proctor").to_string();
    c.goto(&app.url("/login")).await.unwrap();
    fill(&c, "#login", &proctor).await;
    fill(&c, "#password", password(&proctor)).await;
    click(&c, "#login-submit").await;
    c.goto(&app.url(&format!(
        "/proctor/sessions/{}",
        scenario.planned.session_id
    )))
    .await
    .unwrap();
    let running = format!("tr[data-admission='{}']", scenario.planned.admissions[0]);
    let locked = format!("tr[data-admission='{}']", scenario.planned.admissions[1]);
    let shown = |row: &str, what: &str| {
        format!(
            "var e = document.querySelector(\"{row} {what}\"); return !!e && e.getClientRects().length > 0;"
        )
    };
    for (row, what, want) in [
        (&running, "form[data-action=pause]", true),
        (&running, "form[data-action=resume]", false),
        (&running, "form[data-action=admit]", false),
        (&running, "details.more", true),
        (&locked, "form[data-action=admit]", true),
        (&locked, "form[data-action=pause]", false),
        (&locked, "details.more", false),
        (&locked, ".locked", true),
        (&locked, "form.unlock", true),
        (&running, "form.unlock", false),
    ] {
        assert_eq!(js(&c, &shown(row, what)).await, json!(want), "{row} {what}");
    }
    // Ending an exam asks first (and here the proctor thinks again).
    js(&c, &format!(
        "window.confirm = function (m) {{ window.__asked = m; return false; }};
         var row = document.querySelector(\"{running}\"); row.querySelector('details.more').open = true;
         var f = row.querySelector('form[data-action=terminate]'); f.reason.value = '替考';
         f.querySelector('button').click(); return true;"
    ))
    .await;
    let asked = js(&c, "return window.__asked || '';").await;
    assert!(asked.as_str().unwrap().contains("确定终止"), "{asked}");
    // Pause: the row says so, and then offers resume instead.
    js(&c, &format!("document.querySelector(\"{running} form[data-action=pause] button\").click(); return true;")).await;
    wait_until(&c, &format!("return document.querySelector(\"{running} .row-msg\").textContent.indexOf('已暂停') >= 0;"), "the row's message").await;
    wait_until(
        &c,
        &shown(&running, "form[data-action=resume]"),
        "resume offered",
    )
    .await;
    shot(&c, "proctor-console-paused").await;
    js(&c, &format!("document.querySelector(\"{running} form[data-action=resume] button\").click(); return true;")).await;
    wait_until(
        &c,
        &shown(&running, "form[data-action=pause]"),
        "pause offered again",
    )
    .await;
    // The locked-out candidate is let in again after the proctor checked the ID.
    js(
        &c,
        &format!("document.querySelector(\"{locked} form.unlock button\").click(); return true;"),
    )
    .await;
    wait_until(&c, &format!("return document.querySelector(\"{locked} .row-msg\").textContent.indexOf('已解除') >= 0;"), "the unlock message").await;
    wait_until(
        &c,
        &format!(
            "return document.querySelector(\"{locked} .locked\").getClientRects().length === 0;"
        ),
        "the lock badge gone",
    )
    .await;
    shot(&c, "proctor-console-after").await;
    click(&c, "#logout").await;

    // The candidate signs in on the exam-room computer; the attempt is running with two
    // questions answered (the scenario answered them through the API).
    c.goto(&app.url("/exam/login")).await.unwrap();
    fill(&c, "input[name=admission_no]", &scenario.admission).await;
    fill(&c, "input[name=id_number]", &scenario.id_number).await;
    click(&c, "#exam-login button[type=submit]").await;
    assert_eq!(text(&c, "#answered-count").await, "2");
    shot(&c, "candidate-exam").await;
    let total = js(
        &c,
        "return document.querySelectorAll('section.question').length",
    )
    .await
    .as_u64()
    .unwrap();
    assert!(total >= 6, "a paper of {total} questions");

    // One option per line: each option of a choice question starts at the same left
    // edge, below the one before.
    let rects = js(
        &c,
        "var q = document.querySelector('section.question[data-type=single_choice], section.question[data-type=multiple_choice]');
         return Array.from(q.querySelectorAll('.option')).map(function (o) { var r = o.getBoundingClientRect(); return [r.left, r.top, r.bottom]; });",
    )
    .await;
    let rects: Vec<Vec<f64>> = serde_json::from_value(rects).unwrap();
    assert!(rects.len() >= 2, "{rects:?}");
    for pair in rects.windows(2) {
        assert_eq!(
            pair[0][0], pair[1][0],
            "options start at one left edge: {rects:?}"
        );
        assert!(
            pair[1][1] >= pair[0][2] - 1.0,
            "each option below the last: {rects:?}"
        );
    }

    // The navigator is a grid: five to a row, answered questions marked.
    let layout = js(
        &c,
        "var g = document.querySelector('#navigator .grid');
         var tops = Array.from(g.querySelectorAll('a')).slice(0, 6).map(function (a) { return a.getBoundingClientRect().top; });
         return [getComputedStyle(g).display, tops];",
    )
    .await;
    assert_eq!(layout[0], "grid");
    let tops: Vec<f64> = serde_json::from_value(layout[1].clone()).unwrap();
    assert!(
        tops[..5].iter().all(|t| *t == tops[0]) && tops[5] > tops[0],
        "{tops:?}"
    );
    let answered = js(
        &c,
        "return document.querySelectorAll('#navigator a.answered').length",
    )
    .await;
    assert_eq!(answered, json!(2));
    // The question in view is current.
    js(
        &c,
        "document.getElementById('q5').scrollIntoView(); return true;",
    )
    .await;
    wait_until(
        &c,
        "return document.querySelector('#navigator a[data-pos=\"5\"]').classList.contains('current');",
        "question 6 to be current",
    )
    .await;
    // The bar with the clock stays in view while scrolling.
    let bar_top = js(
        &c,
        "return document.getElementById('exam-bar').getBoundingClientRect().top;",
    )
    .await;
    assert!(
        bar_top.as_f64().unwrap().abs() < 2.0,
        "sticky bar at the top: {bar_top}"
    );
    shot(&c, "candidate-exam-scrolled").await;

    // A mark goes to the server: the page shows it after a reload, and another
    // computer sees it.
    js(
        &c,
        "document.querySelector('#q3 .flag-box').click(); return true;",
    )
    .await;
    wait_until(
        &c,
        "return document.querySelector('#navigator a[data-pos=\"3\"]').classList.contains('flagged');",
        "the mark in the navigator",
    )
    .await;
    let other = exam_login(&app, &scenario.admission, &scenario.id_number).await;
    let t0 = Instant::now();
    loop {
        let (_, st) = other.get("/api/v1/exam/state").await;
        if st["marks"] == json!([3]) {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "marks on the server: {st}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Back on the first computer (signing in again, as the other login ended it).
    c.goto(&app.url("/exam/login")).await.unwrap();
    fill(&c, "input[name=admission_no]", &scenario.admission).await;
    fill(&c, "input[name=id_number]", &scenario.id_number).await;
    click(&c, "#exam-login button[type=submit]").await;
    let flagged = js(&c, "return document.querySelector('#q3 .flag-box').checked && document.querySelector('#navigator a[data-pos=\"3\"]').classList.contains('flagged');").await;
    assert_eq!(flagged, json!(true));

    // The hand-in dialog counts what is unanswered (and here the candidate cancels).
    js(
        &c,
        "window.confirm = function (m) { window.__asked = m; return false; }; return true;",
    )
    .await;
    c.find(Locator::Css("#submit-paper"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let asked = js(&c, "return window.__asked || '';").await;
    assert!(
        asked
            .as_str()
            .unwrap()
            .contains(&format!("还有 {} 题未作答", total - 2)),
        "{asked}"
    );

    // The proctor pauses: the next change is refused and the banner says why; after a
    // reload the page shows it at once.
    let attempt = js(
        &c,
        "return document.getElementById('exam').getAttribute('data-attempt');",
    )
    .await;
    let attempt: i64 = attempt.as_str().unwrap().parse().unwrap();
    let (s, b) = scenario
        .planned
        .proctor
        .post(
            &format!("/api/v1/attempts/{attempt}/actions"),
            json!({"action": "pause", "reason": "停电"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    js(
        &c,
        "document.querySelector('#q4 .option input, #q4 input[type=radio]').click(); return true;",
    )
    .await;
    wait_until(
        &c,
        "return !document.getElementById('paused-banner').hidden;",
        "the paused banner",
    )
    .await;
    shot(&c, "candidate-exam-paused").await;
    c.refresh().await.unwrap();
    assert!(text(&c, "#paused-banner").await.contains("考试已暂停"));
    // Terminated: the page says so, apart from an ordinary hand-in.
    for action in [
        json!({"action": "resume"}),
        json!({"action": "terminate", "reason": "替考"}),
    ] {
        let (s, b) = scenario
            .planned
            .proctor
            .post(&format!("/api/v1/attempts/{attempt}/actions"), action)
            .await;
        assert_eq!(s, 200, "{b}");
    }
    c.refresh().await.unwrap();
    let done = c.find(Locator::Css("#exam-done")).await.unwrap();
    assert!(done.text().await.unwrap().contains("终止"));
    assert_eq!(
        done.attr("class").await.unwrap().as_deref(),
        Some("banner bad")
    );
    shot(&c, "candidate-exam-terminated").await;

    c.close().await.unwrap();
    app.stop().await;
}
