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
    // A ChromeDriver that does not come up is started again on another port: tests in
    // one binary start several at once, and a port picked by binding to port 0 can be
    // taken before ChromeDriver binds it — by another ChromeDriver (`driver_port` rules
    // that out) or by a test's server (only this retry covers that). CI saw a session
    // refused on such a port.
    let mut errors = Vec::new();
    for _ in 0..3 {
        match start_browser(&driver_path).await {
            Ok(started) => return Some(started),
            Err(e) => {
                eprintln!("browser did not start, trying again: {e}");
                errors.push(e);
            }
        }
    }
    panic!("browser session: {}", errors.join(" / "));
}

/// A port for one ChromeDriver, never one already handed out in this test binary.
fn driver_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap();
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Whether the ChromeDriver on `port` answers its status request with "ready", asked
/// off the runtime's threads (a test's server may share a current-thread runtime).
async fn driver_ready(port: u16) -> bool {
    tokio::task::spawn_blocking(move || status_says_ready(port))
        .await
        .unwrap_or(false)
}

/// An HTTP request rather than a bare connect: on Linux a connect to a free local port
/// can, now and then, connect to itself.
fn status_says_ready(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200") && answer.replace(' ', "").contains("\"ready\":true")
}

async fn start_browser(driver_path: &str) -> Result<(Client, Driver, tempfile::TempDir), String> {
    let port = driver_port();
    let profile = tempfile::tempdir().unwrap();
    let log = profile.path().join("chromedriver.log");
    let child = Command::new(driver_path)
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let mut driver = Driver(child);
    let log_tail = || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n")
    };
    let t0 = Instant::now();
    while !driver_ready(port).await {
        if let Ok(Some(status)) = driver.0.try_wait() {
            return Err(format!(
                "chromedriver on port {port} exited ({status}):\n{}",
                log_tail()
            ));
        }
        if t0.elapsed() > Duration::from_secs(20) {
            return Err(format!(
                "chromedriver on port {port} not ready after 20 s:\n{}",
                log_tail()
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
    match ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
    {
        Ok(client) => Ok((client, driver, profile)),
        Err(e) => Err(format!("session on port {port}: {e}\n{}", log_tail())),
    }
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
