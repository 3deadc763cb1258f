//! Test helpers: a real server on port 0 over a fresh database per test
//! (zero-to-production style), an HTTP client that keeps cookies, and fresh PostgreSQL
//! databases when `SKILLCERT_TEST_POSTGRES_URL` is set.
#![allow(dead_code)]

pub mod attempts;
pub mod browser;
pub mod exams;
pub mod issued;
pub mod leaks;
pub mod marking;
pub mod scenario;

use std::sync::Arc;

use serde_json::{json, Value};
use skillcert::config::Config;
use skillcert::store::{self, Store};

pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// Valid resident ID numbers (GB 11643 check characters computed by hand and by the
/// domain tests): the standard's two examples and a few more.
pub const ID_A: &str = "11010519491231002X";
pub const ID_B: &str = "440524188001010014";
pub const ID_C: &str = "320102199001011232";

pub struct TestApp {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub dir: tempfile::TempDir,
    pub config: Config,
    pub generated_admin_password: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    /// Signs in with a one-time password and replaces it (with `<password>-own`), as an
    /// account that reads keys must before anything else.
    pub async fn first_sign_in(&self, login: &str, password: &str) -> Client {
        let c = self.client();
        let me = c.login(login, password).await;
        assert_eq!(me["me"]["must_change_password"], true, "{me}");
        let (s, b) = c
            .put(
                "/api/v1/me/password",
                json!({"current_password": password, "new_password": format!("{password}-own")}),
            )
            .await;
        assert_eq!(s, 204, "{b}");
        c
    }

    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            bind: "127.0.0.1:0".into(),
            data_dir: dir.path().to_path_buf(),
            admin_password: Some(ADMIN_PASSWORD.into()),
            ..Config::default()
        };
        // Most suites assess the theory component alone; tests/components.rs turns the
        // default rule (theory and skills, plus review for levels 2 and 1) back on.
        config.exams.components.skills_required = false;
        tweak(&mut config);
        let app = skillcert::cli::startup::build(config.clone())
            .await
            .expect("app builds");
        let addr = app.local_addr();
        let base = format!("http://{addr}");
        let generated_admin_password = app.generated_admin_password.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            app.run(async move {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestApp {
            base,
            addr,
            dir,
            config,
            generated_admin_password,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    /// Stops the server, waits until the store is closed, and hands back the data folder.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
        self.dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// A client signed in as the first regulator admin.
    pub async fn admin(&self) -> Client {
        let c = self.client();
        c.login("admin", ADMIN_PASSWORD).await;
        c
    }
}

/// An HTTP client with its own cookie jar, no redirect following, and the CSRF token of
/// its current session.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: std::sync::Mutex<Option<String>>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Client {
            http,
            base: base.to_string(),
            csrf: std::sync::Mutex::new(None),
        }
    }

    pub fn csrf(&self) -> String {
        self.csrf.lock().unwrap().clone().unwrap_or_default()
    }

    /// Signs in through the API; panics unless it succeeds.
    pub async fn login(&self, login: &str, password: &str) -> Value {
        let (status, body) = self.try_login(login, password).await;
        assert_eq!(status, 200, "login {login}: {body}");
        body
    }

    pub async fn try_login(&self, login: &str, password: &str) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"login": login, "password": password}))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status == 200 {
            *self.csrf.lock().unwrap() = body["csrf_token"].as_str().map(String::from);
        }
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let res = self
            .http
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let res = self
            .http
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.text().await.unwrap_or_default())
    }

    /// A JSON call with the session's CSRF header.
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .http
            .request(method, format!("{}{}", self.base, path))
            .header("x-csrf-token", self.csrf())
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A page form posted with the session's CSRF token, as a browser would: the
    /// status and the page that came back.
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let csrf = self.csrf();
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let res = self
            .http
            .post(format!("{}{}", self.base, path))
            .form(&all)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.text().await.unwrap_or_default())
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, body).await
    }

    /// Creates an evaluation body and returns its id.
    pub async fn create_body(&self, name: &str) -> i64 {
        let (s, b) = self
            .post(
                "/api/v1/organisations",
                json!({"kind": "body", "name": name, "body_type": "social_organisation",
                       "body_code": "0000", "province_code": "32", "site_code": "320100"}),
            )
            .await;
        assert_eq!(s, 201, "create body: {b}");
        b["id"].as_i64().unwrap()
    }

    /// Records confirmed credit events against a body (as the regulator): each rule
    /// code once, in order. `["B06", "B06", "B01"]` (−45) suspends it (grade D);
    /// `["X01"]` exits it.
    pub async fn credit_body(&self, body_id: i64, rules: &[&str]) {
        for rule in rules {
            let (s, b) = self
                .post(
                    "/api/v1/credit/events",
                    json!({"subject_kind": "body", "subject_id": body_id, "rule_code": rule,
                           "note": "督导检查发现", "evidence": ""}),
                )
                .await;
            assert_eq!(s, 201, "credit {rule}: {b}");
        }
    }

    /// Creates an account with one role and returns its id. Its password is not a
    /// one-time one unless the body says so (the tests sign in with it and go on, as a
    /// provisioning script would; `tests/http.rs` covers the default).
    pub async fn create_user(&self, mut body: Value) -> i64 {
        if body.get("must_change_password").is_none() {
            body["must_change_password"] = Value::Bool(false);
        }
        let (s, b) = self.post("/api/v1/users", body.clone()).await;
        assert_eq!(s, 201, "create user {body}: {b}");
        b["id"].as_i64().unwrap()
    }
}

/// A fresh PostgreSQL database for one test, dropped by [`PgDb::drop_db`].
pub struct PgDb {
    pub url: String,
    pub admin_url: String,
    pub name: String,
}

/// `None` (after saying so) when `SKILLCERT_TEST_POSTGRES_URL` is unset.
pub async fn pg_db(test: &str) -> Option<PgDb> {
    let Ok(admin_url) = std::env::var("SKILLCERT_TEST_POSTGRES_URL") else {
        eprintln!("skipped on PostgreSQL ({test}): SKILLCERT_TEST_POSTGRES_URL is not set");
        return None;
    };
    use sqlx::Connection;
    let name = format!("sc_test_{}", hex_id());
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("PostgreSQL reachable at SKILLCERT_TEST_POSTGRES_URL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    conn.close().await.ok();
    let url = replace_db_name(&admin_url, &name);
    Some(PgDb {
        url,
        admin_url,
        name,
    })
}

impl PgDb {
    pub async fn drop_db(self) {
        use sqlx::Connection;
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let mut out = match path_start {
        Some(i) => format!("{}/{}", &base[..i], name),
        None => format!("{base}/{name}"),
    };
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

pub fn hex_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The audit chain key of the stores tests open directly.
pub fn chain_key() -> skillcert::domain::audit::ChainKey {
    skillcert::domain::audit::ChainKey::new([42; 32])
}

pub async fn sqlite_store(dir: &std::path::Path) -> Arc<dyn Store> {
    let url = format!("sqlite://{}", dir.join("skillcert.db").display());
    let s = store::connect(&url, 4, chain_key())
        .await
        .expect("sqlite store");
    s.migrate().await.expect("migrate");
    s
}

pub async fn pg_store(db: &PgDb) -> Arc<dyn Store> {
    let s = store::connect(&db.url, 4, chain_key())
        .await
        .expect("postgres store");
    s.migrate().await.expect("migrate");
    s
}
