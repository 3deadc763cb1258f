//! The `skillcert` binary as an operator meets it: `serve` with a clean SIGTERM stop,
//! `print-config`, `migrate`, and `audit verify` catching every kind of tampering.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::TestApp;
use serde_json::json;
use sqlx::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_skillcert");

fn skillcert(data_dir: &std::path::Path) -> Command {
    let mut c = Command::new(BIN);
    for (var, _) in skillcert::config::ENV_VARS {
        c.env_remove(var);
    }
    c.env_remove("SKILLCERT_CONFIG");
    c.env("SKILLCERT_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn");
    c
}

/// A data folder whose audit log holds a few entries, with the server stopped.
async fn data_with_history() -> tempfile::TempDir {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = admin.create_body("审计测试机构").await;
    admin.create_user(json!({"login": "proctor.a", "password": "proctor-pw-1", "org_id": body, "role": "proctor", "display_name": "监考甲"})).await;
    app.stop().await
}

async fn sqlite(dir: &std::path::Path) -> sqlx::SqliteConnection {
    let url = format!("sqlite://{}", dir.join("skillcert.db").display());
    sqlx::SqliteConnection::connect(&url).await.unwrap()
}

fn verify(dir: &std::path::Path) -> (bool, String) {
    let out = skillcert(dir).args(["audit", "verify"]).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn audit_verify_passes_an_intact_log() {
    let dir = data_with_history().await;
    let (ok, text) = verify(dir.path());
    assert!(ok, "{text}");
    assert!(text.contains("audit log intact"), "{text}");
}

#[tokio::test]
async fn audit_verify_names_a_changed_entry() {
    let dir = data_with_history().await;
    let mut db = sqlite(dir.path()).await;
    sqlx::query("UPDATE audit_log SET details = '{\"forged\":true}' WHERE seq = 2")
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let (ok, text) = verify(dir.path());
    assert!(!ok);
    assert!(
        text.contains("entry 2") && text.contains("changed"),
        "{text}"
    );
}

#[tokio::test]
async fn audit_verify_names_a_removed_entry() {
    let dir = data_with_history().await;
    let mut db = sqlite(dir.path()).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let (ok, text) = verify(dir.path());
    assert!(!ok);
    assert!(text.contains("entry 3"), "{text}");
}

#[tokio::test]
async fn audit_verify_catches_removal_of_the_newest_entry() {
    let dir = data_with_history().await;
    let mut db = sqlite(dir.path()).await;
    sqlx::query("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let (ok, text) = verify(dir.path());
    assert!(!ok, "{text}");
}

#[tokio::test]
async fn audit_verify_names_an_inserted_entry() {
    let dir = data_with_history().await;
    let mut db = sqlite(dir.path()).await;
    // A forger who knows the hash scheme shifts entries up and inserts a well-formed
    // entry 2 after entry 1.
    let first: (String,) = sqlx::query_as("SELECT hash FROM audit_log WHERE seq = 1")
        .fetch_one(&mut db)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 2")
        .execute(&mut db)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1000")
        .execute(&mut db)
        .await
        .unwrap();
    let event = skillcert::domain::audit::AuditEvent {
        at_ms: 1,
        actor_user_id: None,
        actor: "forger".into(),
        action: "org.create".into(),
        object_type: "org".into(),
        object_id: "99".into(),
        org_id: None,
        details: "{}".into(),
    };
    let e = skillcert::domain::audit::AuditEntry::chain(1, &first.0, event);
    sqlx::query("INSERT INTO audit_log (seq, at_ms, actor_user_id, actor, action, object_type, object_id, org_id, details, prev_hash, hash) VALUES (2, $1, NULL, $2, $3, $4, $5, NULL, $6, $7, $8)")
        .bind(e.at_ms)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.object_type)
        .bind(&e.object_id)
        .bind(&e.details)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let (ok, text) = verify(dir.path());
    assert!(!ok);
    assert!(text.contains("entry 3"), "{text}");
}

#[tokio::test]
async fn audit_verify_names_reordered_entries() {
    let dir = data_with_history().await;
    let mut db = sqlite(dir.path()).await;
    sqlx::query("UPDATE audit_log SET seq = 1000 WHERE seq = 2")
        .execute(&mut db)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET seq = 2 WHERE seq = 3")
        .execute(&mut db)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET seq = 3 WHERE seq = 1000")
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let (ok, text) = verify(dir.path());
    assert!(!ok);
    assert!(text.contains("entry 2"), "{text}");
}

#[test]
fn print_config_masks_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = skillcert(dir.path())
        .arg("print-config")
        .env("SKILLCERT_ADMIN_PASSWORD", "very-secret-admin-pw")
        .env(
            "SKILLCERT_DATABASE_URL",
            "postgres://app:db-secret@localhost/sc",
        )
        .env("SKILLCERT_BIND", "127.0.0.1:9999")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("bind = \"127.0.0.1:9999\""), "{text}");
    assert!(text.contains("admin_password = \"********\""), "{text}");
    assert!(
        !text.contains("very-secret") && !text.contains("db-secret"),
        "{text}"
    );
}

#[test]
fn a_bad_config_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("skillcert.toml");
    std::fs::write(&file, "bind = 8080\n").unwrap();
    let out = skillcert(dir.path())
        .arg("--config")
        .arg(&file)
        .arg("print-config")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("skillcert.toml"));
}

#[test]
fn migrate_creates_the_database_in_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = skillcert(dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("skillcert.db").exists());
}

/// Cold start to a healthy `/healthz`, a generated one-time password printed once, and a
/// clean exit on SIGTERM.
#[test]
fn serve_starts_prints_the_admin_password_once_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = |dir: &std::path::Path| {
        let t0 = Instant::now();
        let mut child = skillcert(dir)
            .env("SKILLCERT_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let healthy = wait_healthy(port, Duration::from_secs(30));
        assert!(healthy, "server did not become healthy");
        let started = t0.elapsed();
        Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .unwrap();
        let status = wait_exit(&mut child, Duration::from_secs(15));
        assert_eq!(status, Some(true), "did not exit cleanly on SIGTERM");
        let mut out = String::new();
        use std::io::Read;
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        eprintln!("cold start to healthy: {} ms", started.as_millis());
        out
    };
    let first = start(dir.path());
    assert!(first.contains("password:"), "{first}");
    let second = start(dir.path());
    assert!(
        !second.contains("password:"),
        "the password is printed on the first start only: {second}"
    );
}

fn wait_healthy(port: u16, limit: Duration) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut buf = String::new();
            let _ = s.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.1 200") {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn wait_exit(child: &mut std::process::Child, limit: Duration) -> Option<bool> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status.success());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

#[tokio::test]
async fn start_up_refuses_non_durable_postgres_settings() {
    let Some(db) = common::pg_db("start_up_refuses_non_durable_postgres_settings").await else {
        return;
    };
    {
        let admin = std::env::var("SKILLCERT_TEST_POSTGRES_URL").unwrap();
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        let name = db
            .url
            .rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        sqlx::query(&format!(
            "ALTER DATABASE {name} SET synchronous_commit = off"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let config = skillcert::config::Config {
        data_dir: dir.path().to_path_buf(),
        database_url: Some(db.url.clone()),
        ..Default::default()
    };
    let err = match skillcert::cli::startup::open_store(&config).await {
        Ok(_) => panic!("started with synchronous_commit=off"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("synchronous_commit"), "{err}");
    db.drop_db().await;
}
