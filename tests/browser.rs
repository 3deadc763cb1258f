//! The pages in a real browser: headless Chromium driven through ChromeDriver
//! (fantoccini). The regulator admin signs in, files an evaluation body, creates its
//! admin and a candidate (first with a wrong ID number, which the page explains), and the
//! body admin signs in. Skips, saying so, when ChromeDriver is not installed, unless
//! `SKILLCERT_REQUIRE_BROWSER=1` (as in CI), where a missing browser fails the test.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestApp, ADMIN_PASSWORD};
use fantoccini::{Client, ClientBuilder, Locator};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_driver() -> Option<String> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

async fn browser() -> Option<(Client, Driver, tempfile::TempDir)> {
    let Some(driver_path) = find_driver() else {
        if std::env::var("SKILLCERT_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("chromedriver not found but SKILLCERT_REQUIRE_BROWSER=1");
        }
        eprintln!("skipped browser test: chromedriver is not installed (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver_path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver(child);
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            // A browser on a Chinese desktop, as most users have.
            "prefs": {"intl.accept_languages": "zh-CN,zh"},
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--lang=zh-CN", format!("--user-data-dir={}", profile.path().display()),
            ]
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("browser session");
    Some((client, driver, profile))
}

async fn fill(c: &Client, css: &str, text: &str) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"));
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Clicks something that loads a new page, and waits until the old page is gone and the
/// new one has loaded (a click returns before a form post's navigation completes).
async fn click(c: &Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
        .click()
        .await
        .unwrap();
    let t0 = Instant::now();
    while old.tag_name().await.is_ok() {
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "clicking {css} did not load a page"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    loop {
        let state = c.execute("return document.readyState", vec![]).await.ok();
        if state.as_ref().and_then(|v| v.as_str()) == Some("complete") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "page after {css} did not finish loading"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn select(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    match c.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap(),
        Err(_) => {
            let page = c.source().await.unwrap_or_default();
            panic!(
                "no {css} on {}:\n{page}",
                c.current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default()
            )
        }
    }
}

async fn path(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_string()
}

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
    let shot = c.screenshot().await.unwrap();
    let _ = std::fs::write(std::env::temp_dir().join("skillcert-candidate.png"), shot);

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
    assert_eq!(path(&c).await, "/");
    assert!(c.source().await.unwrap().contains("评价机构管理员"));
    // English on request.
    c.goto(&app.url("/lang/en")).await.unwrap();
    assert_eq!(path(&c).await, "/");
    assert_eq!(text(&c, "h1").await, "Dashboard");

    c.close().await.unwrap();
    app.stop().await;
}
