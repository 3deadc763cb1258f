//! Driving headless Chromium through ChromeDriver (fantoccini) for the browser tests,
//! and keeping screenshots of what the pages look like.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn find_driver() -> Option<String> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

pub async fn browser() -> Option<(Client, Driver, tempfile::TempDir)> {
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

pub async fn fill(c: &Client, css: &str, text: &str) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"));
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Clicks something that loads a new page, and waits until the old page is gone and the
/// new one has loaded (a click returns before a form post's navigation completes).
pub async fn click(c: &Client, css: &str) {
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

pub async fn select(c: &Client, css: &str, value: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

pub async fn text(c: &Client, css: &str) -> String {
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

pub async fn path(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_string()
}

/// Saves a screenshot of the page as `<name>.png` in `SKILLCERT_SCREENSHOTS` (CI keeps
/// that folder), else in the temporary directory's `skillcert-screenshots`.
pub async fn shot(c: &Client, name: &str) {
    let dir = std::env::var_os("SKILLCERT_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("skillcert-screenshots"));
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(png) = c.screenshot().await {
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}
