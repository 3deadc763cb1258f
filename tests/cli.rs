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
    // This forger even holds the master key (an insider with the key file): the chain
    // still names the place.
    let keys = skillcert::crypto::Keys::load_or_create(None, dir.path()).unwrap();
    let e = skillcert::domain::audit::AuditEntry::chain(&keys.chain_key(), 1, &first.0, event);
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
/// clean exit on SIGTERM; the log to a pipe is plain text.
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
            .env("RUST_LOG", "info")
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
    // The log, written to a pipe, has no terminal colour codes.
    assert!(first.contains("skillcert listening"), "{first}");
    assert!(
        !first.contains('\u{1b}'),
        "colour codes in a piped log: {first:?}"
    );
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

/// An audit row as stored: seq, at_ms, actor id, actor, action, object type and id, org,
/// details.
type AuditRow = (
    i64,
    i64,
    Option<i64>,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
);

/// Every entry of the log, for recomputing it as a forger would.
async fn entries(db: &mut sqlx::SqliteConnection) -> Vec<skillcert::domain::audit::AuditEntry> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT seq, at_ms, actor_user_id, actor, action, object_type, object_id, org_id, \
             details FROM audit_log ORDER BY seq",
    )
    .fetch_all(&mut *db)
    .await
    .unwrap();
    let mut out: Vec<skillcert::domain::audit::AuditEntry> = Vec::new();
    for (seq, at_ms, actor_user_id, actor, action, object_type, object_id, org_id, details) in rows
    {
        out.push(skillcert::domain::audit::AuditEntry {
            seq,
            at_ms,
            actor_user_id,
            actor,
            action,
            object_type,
            object_id,
            org_id,
            details,
            prev_hash: String::new(),
            hash: String::new(),
        });
    }
    out
}

/// Rewrites the whole chain with plain SHA-256 hashes and moves the head, as someone
/// with write access to the database but not the key file would after a change.
async fn rechain_plain(db: &mut sqlx::SqliteConnection) -> (i64, String) {
    let mut prev = skillcert::domain::audit::GENESIS.to_string();
    let all = entries(db).await;
    for e in &all {
        let hash = skillcert::domain::audit::plain_entry_hash(e.seq, &prev, &e.event());
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
            .bind(&prev)
            .bind(&hash)
            .bind(e.seq)
            .execute(&mut *db)
            .await
            .unwrap();
        prev = hash;
    }
    let last = all.last().map_or(0, |e| e.seq);
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(last)
        .bind(&prev)
        .execute(&mut *db)
        .await
        .unwrap();
    (last, prev)
}

#[tokio::test]
async fn audit_verify_catches_a_chain_recomputed_without_the_key() {
    let dir = data_with_history().await;
    let mut db = sqlite(dir.path()).await;
    sqlx::query("UPDATE audit_log SET details = '{\"forged\":true}' WHERE seq = 2")
        .execute(&mut db)
        .await
        .unwrap();
    rechain_plain(&mut db).await;
    db.close().await.unwrap();
    let (ok, text) = verify(dir.path());
    assert!(!ok, "{text}");
    assert!(
        text.contains("entry 1") && text.contains("changed"),
        "{text}"
    );
}

#[tokio::test]
async fn an_anchor_catches_entries_cut_off_with_the_head_moved_back() {
    let dir = data_with_history().await;
    let out = skillcert(dir.path())
        .args(["audit", "anchor"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let anchor = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (seq, _) = anchor.split_once(':').expect("seq:hash");
    let seq: i64 = seq.parse().unwrap();
    let with_anchor = |dir: &std::path::Path| {
        let out = skillcert(dir)
            .args(["audit", "verify", "--anchor", &anchor])
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (ok, text) = with_anchor(dir.path());
    assert!(ok && text.contains("anchor"), "{text}");
    // The newest entry removed and the head moved to the one before: a consistent
    // chain, which only the anchor kept elsewhere shows to be cut.
    let mut db = sqlite(dir.path()).await;
    let (prev_hash,): (String,) = sqlx::query_as("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(seq - 1)
        .fetch_one(&mut db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = $1")
        .bind(seq)
        .execute(&mut db)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq - 1)
        .bind(&prev_hash)
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    assert!(
        verify(dir.path()).0,
        "without the anchor the cut is invisible"
    );
    let (ok, text) = with_anchor(dir.path());
    assert!(!ok, "{text}");
    assert!(text.contains(&format!("entry {seq}")), "{text}");
}

#[tokio::test]
async fn a_chain_from_before_keyed_hashes_is_rekeyed_once_when_intact() {
    // A database as an earlier version left it: plain hashes, head marked sha256.
    let dir = data_with_history().await;
    let mut db = sqlite(dir.path()).await;
    let (last, _) = rechain_plain(&mut db).await;
    sqlx::query("UPDATE audit_head SET alg = 'sha256' WHERE id = 1")
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let (ok, text) = verify(dir.path());
    assert!(ok, "{text}");
    assert!(text.contains(&format!("{} entries", last + 1)), "{text}");
    let mut db = sqlite(dir.path()).await;
    let keyed: Vec<(String,)> =
        sqlx::query_as("SELECT details FROM audit_log WHERE action = 'audit.chain_keyed'")
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(keyed.len(), 1);
    assert!(keyed[0].0.contains(&format!("\"entries\":{last}")));
    // Reverted to plain once more (to launder a change): re-keyed again, and named.
    rechain_plain(&mut db).await;
    sqlx::query("UPDATE audit_head SET alg = 'sha256' WHERE id = 1")
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let (ok, text) = verify(dir.path());
    assert!(!ok, "{text}");
    assert!(text.contains("re-keyed a second time"), "{text}");
}

#[tokio::test]
async fn a_broken_old_chain_is_not_rekeyed() {
    let dir = data_with_history().await;
    let mut db = sqlite(dir.path()).await;
    rechain_plain(&mut db).await;
    sqlx::query("UPDATE audit_head SET alg = 'sha256' WHERE id = 1")
        .execute(&mut db)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET details = '{\"forged\":true}' WHERE seq = 2")
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    let (ok, text) = verify(dir.path());
    assert!(!ok, "{text}");
    assert!(
        text.contains("broken") && text.contains("entry 2"),
        "{text}"
    );
}

const QTI_CHOICE: &str = r#"<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="c1" title="t">
<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>ChoiceB</value></correctResponse></responseDeclaration>
<itemBody><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><prompt>安全电压上限是多少？</prompt>
<simpleChoice identifier="ChoiceA">24 V</simpleChoice><simpleChoice identifier="ChoiceB">36 V</simpleChoice></choiceInteraction></itemBody></assessmentItem>"#;

const MANIFEST: &str = r#"<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>
<resource identifier="r1" type="imsqti_item_xmlv2p1" href="items/choice.xml"/></resources></manifest>"#;

/// `skillcert import` as an operator types it: a bare file name in the current folder, an
/// unpacked QTI package folder, and a folder with nothing to import (an error, not a
/// silent success).
#[test]
fn import_reads_bare_names_and_package_folders_and_refuses_empty_folders() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("choice.xml"), QTI_CHOICE).unwrap();
    let out = skillcert(data.path())
        .current_dir(work.path())
        .args(["import", "choice.xml", "--dry-run"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 items read"), "{stdout}");

    let package = work.path().join("package");
    std::fs::create_dir_all(package.join("items")).unwrap();
    std::fs::write(package.join("imsmanifest.xml"), MANIFEST).unwrap();
    std::fs::write(package.join("items/choice.xml"), QTI_CHOICE).unwrap();
    let out = skillcert(data.path())
        .args(["import", "--dry-run", "--json"])
        .arg(&package)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["items"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["items"][0]["correct"], json!(["B"]));

    let empty = work.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = skillcert(data.path())
        .args(["import", "--dry-run"])
        .arg(&empty)
        .output()
        .unwrap();
    assert!(!out.status.success(), "nothing to import is an error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no items found"));
}
