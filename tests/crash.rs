//! The crash loop (issue 13): the load generator drives a real server while the server
//! is killed with SIGKILL at random moments of the save phase and started again. After
//! every kill `skillcert check` must find the database intact (the engine's integrity
//! check, the exam life cycle's invariants); at the end the load generator checks that
//! every save the server acknowledged is stored with its value's sequence. On SQLite
//! always, on PostgreSQL when `SKILLCERT_TEST_POSTGRES_URL` is set.
//!
//! Also: a full disk under SQLite (commits fail, no failed save is acknowledged; and a
//! disk that fills and frees again while the same server runs on), a commit cut off
//! under PostgreSQL, and two server processes on one PostgreSQL
//! database with one killed for good (its candidates carry on through the other).
//!
//! `cargo test --test crash` runs the short version (3 kills per backend). The long
//! version: `SKILLCERT_CRASH_CYCLES=200 cargo test --release --test crash -- --nocapture`
//! (see `scripts/crash-loop`).

mod common;

use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};

const PASSWORD: &str = "Crash-loop-pw-1";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Env {
    /// Where the server's log goes.
    dir: std::path::PathBuf,
    /// The server's data directory (the SQLite file, the master key).
    data: std::path::PathBuf,
    port: u16,
    database_url: Option<String>,
}

impl Env {
    /// A server on a free port with its log and data in `dir`.
    fn new(dir: &std::path::Path, database_url: Option<String>) -> Env {
        Env {
            dir: dir.to_path_buf(),
            data: dir.to_path_buf(),
            port: free_port(),
            database_url,
        }
    }

    fn command(&self, bin: &str) -> Command {
        let mut c = Command::new(bin);
        c.env("SKILLCERT_DATA_DIR", &self.data)
            .env("SKILLCERT_BIND", format!("127.0.0.1:{}", self.port))
            .env("SKILLCERT_ADMIN_PASSWORD", PASSWORD)
            .env_remove("SKILLCERT_DATABASE_URL")
            .env_remove("SKILLCERT_CONFIG");
        if let Some(url) = &self.database_url {
            c.env("SKILLCERT_DATABASE_URL", url);
        }
        c
    }

    fn serve(&self) -> Child {
        let mut c = self.command(env!("CARGO_BIN_EXE_skillcert"));
        c.arg("serve");
        self.spawn_server(c)
    }

    /// The server with no file allowed to grow past `kib` KiB (`ulimit -f`), the way a
    /// full disk looks to it: a write past the limit fails (`EFBIG`; the signal that
    /// would kill the process is ignored, as a shell's `trap ''` passes on through
    /// `exec`), so SQLite's commit fails with "database or disk is full".
    fn serve_with_file_limit(&self, kib: u64) -> Child {
        let mut c = self.command("bash");
        c.arg("-c")
            .arg("trap '' XFSZ; ulimit -f \"$1\" && exec \"$0\" serve")
            .arg(env!("CARGO_BIN_EXE_skillcert"))
            .arg(kib.to_string());
        self.spawn_server(c)
    }

    fn spawn_server(&self, mut command: Command) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.log"))
            .unwrap();
        let child = command
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = format!("127.0.0.1:{}", self.port);
        while std::net::TcpStream::connect(&url).is_err() {
            assert!(
                Instant::now() < deadline,
                "server did not start: {}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }

    /// `skillcert check` against the data while no server runs.
    fn check(&self) {
        let out = self
            .command(env!("CARGO_BIN_EXE_skillcert"))
            .arg("check")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "integrity after a kill: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(text.trim(), "ok");
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        log.lines().rev().take(20).collect::<Vec<_>>().join("\n")
    }
}

fn crash_loop(database_url: Option<String>) {
    let cycles: u32 = std::env::var("SKILLCERT_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    // Each cycle gets about four seconds of saves; the last four seconds run undisturbed
    // so the load generator's own reads at the end find a server.
    let seconds = u64::from(cycles) * 4 + 6;
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new(dir.path(), database_url);
    let mut server = env.serve();
    let (load, rx, mut log) = start_load(&env, &[env.port], seconds);
    let phase_start = Instant::now();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(u64::from(cycles));
    for k in 0..cycles {
        // A random moment within this cycle's slice of the save phase.
        let slice = Duration::from_secs(4);
        let at = slice * k + Duration::from_millis(rng.gen_range(300..3_000));
        if let Some(wait) = at.checked_sub(phase_start.elapsed()) {
            std::thread::sleep(wait);
        }
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        env.check();
        server = env.serve();
    }
    let report = finish_load(&env, load, &rx, &mut log);
    println!("crash loop: {cycles} kills, {report}");
    assert_eq!(report["missing_acknowledged"], 0, "{report}");
    assert!(report["saves_per_s"].as_f64().unwrap() > 0.0, "{report}");
    server.kill().unwrap();
    server.wait().unwrap();
    env.check();
}

/// Starts the load generator against the servers on `ports` (60 candidates, a save
/// every 400 ms for `seconds`) and returns once its save phase begins, with its log.
fn start_load(
    env: &Env,
    ports: &[u16],
    seconds: u64,
) -> (Child, std::sync::mpsc::Receiver<String>, Vec<String>) {
    let urls: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let mut load = env
        .command(env!("CARGO_BIN_EXE_skillcert-load"))
        .args([
            "--url",
            &urls.join(","),
            "--admin-password",
            PASSWORD,
            "--candidates",
            "60",
            "--seconds",
            &seconds.to_string(),
            "--save-interval-ms",
            "400",
            "--bank-items",
            "300",
            "--healthz-seconds",
            "1",
            "--connections",
            "32",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the save phase: the load generator logs "papers read" just before it.
    let stderr = load.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|_| panic!("load generator stalled: {log:?}"));
        let done = line.contains("papers read");
        log.push(line);
        if done {
            break;
        }
    }
    (load, rx, log)
}

/// Waits for the load generator to finish and returns its report; it must have
/// succeeded.
fn finish_load(
    env: &Env,
    load: Child,
    rx: &std::sync::mpsc::Receiver<String>,
    log: &mut Vec<String>,
) -> serde_json::Value {
    let out = load.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    while let Ok(line) = rx.try_recv() {
        log.push(line);
    }
    assert!(
        out.status.success(),
        "load generator failed: {stdout}\n{log:#?}\nserver: {}",
        env.log_tail()
    );
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

#[test]
fn acknowledged_saves_survive_sigkill_on_sqlite() {
    crash_loop(None);
}

#[test]
fn acknowledged_saves_survive_sigkill_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(common::pg_db("crash_loop")) else {
        return;
    };
    crash_loop(Some(db.url.clone()));
    rt.block_on(db.drop_db());
}

/// A full disk under SQLite: partway through the save phase the server is restarted
/// with no file allowed to grow more than 512 KiB past the database's size, so its
/// write-ahead log soon cannot grow and commits fail (the server log must show failed
/// commits, and no error but the full disk). A save whose commit failed must not be
/// acknowledged: afterwards, with room again, the database is intact and every
/// acknowledged save is there.
#[test]
fn a_full_disk_refuses_saves_and_loses_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new(dir.path(), None);
    let mut server = env.serve();
    let (load, rx, mut log) = start_load(&env, &[env.port], 16);
    std::thread::sleep(Duration::from_secs(2));
    server.kill().unwrap();
    server.wait().unwrap();
    // `check` is the last connection to close, so the write-ahead log is folded into
    // the database and removed: the limit below leaves the log 512 KiB.
    env.check();
    let size = |name: &str| std::fs::metadata(env.data.join(name)).map_or(0, |m| m.len());
    let db = size("skillcert.db");
    let limit_kib = db / 1024 + 512;
    let refused_before = count_full(&env);
    server = env.serve_with_file_limit(limit_kib);
    std::thread::sleep(Duration::from_secs(8));
    let wal = size("skillcert.db-wal");
    server.kill().unwrap();
    server.wait().unwrap();
    let full = count_full(&env) - refused_before;
    only_the_full_disk_failed_writes(&env);
    env.check();
    server = env.serve();
    let report = finish_load(&env, load, &rx, &mut log);
    println!(
        "disk full: database {db} bytes, limit {limit_kib} KiB, log reached {wal} bytes, \
         {full} failed commits in the server log; {report}"
    );
    assert!(full > 0, "the disk never filled: {}", env.log_tail());
    // A failed commit must not leave the writer unable to write ever after.
    let log = std::fs::read_to_string(env.dir.join("server.log")).unwrap();
    assert!(
        !log.contains("non-zero transaction depth"),
        "the writer's connection was left inside a failed transaction"
    );
    assert_eq!(report["missing_acknowledged"], 0, "{report}");
    server.kill().unwrap();
    server.wait().unwrap();
    env.check();
}

/// Fails unless every error the server logged is one of a full disk.
fn only_the_full_disk_failed_writes(env: &Env) {
    let server_log = std::fs::read_to_string(env.dir.join("server.log")).unwrap();
    let mut kinds: Vec<&str> = server_log
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .filter_map(|l| l.split("error=").nth(1))
        .collect();
    kinds.sort();
    kinds.dedup();
    println!("write errors seen: {kinds:#?}");
    assert!(
        kinds
            .iter()
            .all(|k| k.contains("disk I/O error") || k.contains("disk is full")),
        "only the full disk may fail a write: {kinds:#?}"
    );
}

/// How many times the server logged a write that failed for want of room: SQLite
/// reports a write past the limit as an I/O error (`SQLITE_IOERR_WRITE`), a full
/// file system as "database or disk is full".
fn count_full(env: &Env) -> usize {
    let log = std::fs::read_to_string(env.dir.join("server.log")).unwrap_or_default();
    log.matches("exam write failed").count() + log.matches("exam batch failed").count()
}

/// A disk that fills and then has room again, under SQLite, with no restart: the data
/// directory is a tmpfs of its own; partway through the save phase a filler file takes
/// every free byte, so commits fail for want of room (and for nothing else); then the
/// filler is deleted and the same server process must write again (no failed commit
/// from a second after the room returned, and the stored saves grow), and nothing
/// acknowledged is lost. Mounting the tmpfs needs root (`CAP_SYS_ADMIN` in a
/// container), which CI has; skips, saying so, without it, unless
/// `SKILLCERT_REQUIRE_TMPFS=1`.
#[test]
fn a_disk_that_fills_and_frees_again_is_written_without_a_restart_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let Some(_tmpfs) = Tmpfs::mount(&data, 32) else {
        return;
    };
    let env = Env {
        data: data.clone(),
        ..Env::new(dir.path(), None)
    };
    // Declared after the mount, so dropped (killed) before it is unmounted.
    let server = KillOnDrop(env.serve());
    let (load, rx, mut log) = start_load(&env, &[env.port], 24);
    std::thread::sleep(Duration::from_secs(2));
    let filler = data.join("filler");
    let filled = fill_up(&filler);
    std::thread::sleep(Duration::from_secs(6));
    let failed_while_full = count_full(&env);
    std::fs::remove_file(&filler).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let failed_by_then = count_full(&env);
    let stored_then = stored_seq_sum(&data);
    std::thread::sleep(Duration::from_secs(6));
    let failed_after = count_full(&env) - failed_by_then;
    let stored_after = stored_seq_sum(&data);
    let report = finish_load(&env, load, &rx, &mut log);
    println!(
        "disk filled ({filled} bytes of filler): {failed_while_full} failed commits while full; \
         room again: {failed_after} failed commits, stored sequence sum {stored_then} → \
         {stored_after}; {report}"
    );
    assert!(
        failed_while_full > 0,
        "the disk never filled: {}",
        env.log_tail()
    );
    only_the_full_disk_failed_writes(&env);
    assert_eq!(
        failed_after,
        0,
        "writes still fail with room: {}",
        env.log_tail()
    );
    assert!(
        stored_after > stored_then,
        "no save was stored after the room returned"
    );
    assert_eq!(report["missing_acknowledged"], 0, "{report}");
    drop(server);
    env.check();
}

/// A child process killed when this goes out of scope, so that a failed assertion
/// leaves no server running (nor a tmpfs it keeps busy).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A tmpfs mounted on a directory for as long as this lives.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(path: &std::path::Path, mib: u32) -> Option<Tmpfs> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(path)
            .output();
        let why = match out {
            Ok(o) if o.status.success() => return Some(Tmpfs(path.to_path_buf())),
            Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
            Err(e) => e.to_string(),
        };
        if std::env::var("SKILLCERT_REQUIRE_TMPFS").as_deref() == Ok("1") {
            panic!("could not mount a tmpfs but SKILLCERT_REQUIRE_TMPFS=1: {why}");
        }
        eprintln!("skipped: could not mount a tmpfs (needs root): {why}");
        None
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazily: a process the test failed to stop must not keep the mount forever.
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes zeros to `path` until the file system is full; returns the bytes written.
fn fill_up(path: &std::path::Path) -> u64 {
    use std::io::Write as _;
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 1 << 16];
    let mut written = 0u64;
    loop {
        match f.write(&chunk) {
            Ok(0) => return written,
            Ok(n) => written += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => return written,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
}

/// The sum of the stored answers' sequence numbers: it grows with every stored save.
fn stored_seq_sum(data: &std::path::Path) -> i64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}", data.join("skillcert.db").display());
        let db = sqlx::SqlitePool::connect(&url).await.unwrap();
        let (sum,): (i64,) = sqlx::query_as("SELECT COALESCE(SUM(seq), 0) FROM answers")
            .fetch_one(&db)
            .await
            .unwrap();
        db.close().await;
        sum
    })
}

/// Scale-out: two server processes share one PostgreSQL database and the candidates
/// are spread over both; one process is killed for good in the middle of the save
/// phase. Its candidates sign in again on the other and carry on (the load generator
/// moves them, as a load balancer would), and nothing acknowledged is lost.
#[test]
fn candidates_carry_on_through_the_other_process_when_one_dies() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(pg) = rt.block_on(common::pg_db("scale_out")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let first = Env::new(dir.path(), Some(pg.url.clone()));
    // The same data directory (the same master key), another port.
    let second = Env::new(dir.path(), Some(pg.url.clone()));
    // One after the other: the first start creates the schema and the admin.
    let mut one = first.serve();
    let mut two = second.serve();
    let (load, rx, mut log) = start_load(&first, &[first.port, second.port], 14);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    std::thread::sleep(Duration::from_millis(rng.gen_range(3_000..7_000)));
    two.kill().unwrap(); // SIGKILL, and it stays down
    two.wait().unwrap();
    let report = finish_load(&first, load, &rx, &mut log);
    println!("scale-out: second process killed mid-run; {report}");
    assert_eq!(report["missing_acknowledged"], 0, "{report}");
    assert!(
        report["failovers"].as_u64().unwrap() >= 20,
        "the killed process's candidates did not move: {report}"
    );
    one.kill().unwrap();
    one.wait().unwrap();
    first.check();
    rt.block_on(pg.drop_db());
}

/// `skillcert check` is what each cycle relies on: it must see a state no request can
/// produce (here an answer on an attempt that never started) and fail, naming it.
#[tokio::test]
async fn check_names_a_state_no_request_can_produce() {
    let app = common::TestApp::spawn().await;
    let planned = common::exams::plan_elderly_care(&app, 600, 1).await;
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let dir = app.stop().await;
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_skillcert"))
            .arg("check")
            .env("SKILLCERT_DATA_DIR", dir.path())
            .env_remove("SKILLCERT_DATABASE_URL")
            .env_remove("SKILLCERT_CONFIG")
            .output()
            .unwrap()
    };
    let clean = run();
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        dir.path().join("skillcert.db").display()
    ))
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO answers (attempt_id, position, answer, seq, saved_at_ms) \
         SELECT id, 0, '[0]', 1, 1 FROM attempts LIMIT 1",
    )
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
    let broken = run();
    let text = String::from_utf8_lossy(&broken.stdout);
    assert!(!broken.status.success(), "{text}");
    assert!(
        text.contains("answer on an attempt that never started"),
        "{text}"
    );
}

/// Fault injection: while a candidate saves, every database connection of the service
/// is cut again and again (`pg_terminate_backend`), so commits fail in flight, an I/O
/// error as the application sees it. A save whose commit failed must get an error,
/// never a success: every acknowledged save is stored with at least its sequence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_that_fails_is_never_acknowledged() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use serde_json::json;
    use sqlx::Connection as _;

    let Some(db) = common::pg_db("failed_commit").await else {
        return;
    };
    let url = db.url.clone();
    let app = common::TestApp::spawn_with(move |c| c.database_url = Some(url)).await;
    let planned = common::exams::plan_elderly_care(&app, 3600, 1).await;
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let c =
        common::exams::exam_login(&app, &planned.admissions[0], &common::exams::id_number(0)).await;
    planned.admit_all().await;
    let (s, _) = c.post("/api/v1/exam/start", json!({})).await;
    assert_eq!(s, 200);
    let (_, paper) = c.get("/api/v1/exam/paper").await;
    let positions: Vec<(u32, serde_json::Value)> = paper["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| {
            let answer = match i["item_type"].as_str()? {
                "true_false" => json!(true),
                "single_choice" | "multiple_choice" => json!([0]),
                _ => return None,
            };
            Some((i["position"].as_u64()? as u32, answer))
        })
        .collect();
    assert!(positions.len() > 10);

    // The cutter: every 15 ms, terminate every other connection to the test database.
    let stop = Arc::new(AtomicBool::new(false));
    let cutter = {
        let (stop, admin_url, name) = (stop.clone(), db.admin_url.clone(), db.name.clone());
        tokio::spawn(async move {
            let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            let mut cuts = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let n: Vec<bool> = sqlx::query_scalar(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 \
                     AND pid <> pg_backend_pid()",
                )
                .bind(&name)
                .fetch_all(&mut conn)
                .await
                .unwrap_or_default();
                cuts += n.len() as u64;
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
            cuts
        })
    };
    let (mut acked, mut failed) = (Vec::new(), 0u32);
    for seq in 1..=300i64 {
        let (pos, answer) = &positions[seq as usize % positions.len()];
        let (s, _) = common::exams::save_answer(&c, *pos, seq, answer.clone()).await;
        if s == 200 {
            acked.push((*pos, seq));
        } else {
            failed += 1;
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let cuts = cutter.await.unwrap();
    // Reads may meet one last cut connection: try a few times.
    let mut stored = serde_json::Value::Null;
    for _ in 0..20 {
        let (s, b) = planned
            .body_admin
            .get(&format!("/api/v1/plans/{}/answers", planned.plan_id))
            .await;
        if s == 200 {
            stored = b;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seq_at = |pos: u32| {
        stored["answers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["position"] == pos)
            .and_then(|a| a["seq"].as_i64())
            .unwrap_or(0)
    };
    let lost: Vec<&(u32, i64)> = acked.iter().filter(|(p, s)| seq_at(*p) < *s).collect();
    println!(
        "fault injection: {cuts} connections cut, {} saves acknowledged, {failed} refused, {} lost",
        acked.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    assert!(failed > 0 && cuts > 0, "the fault never hit: {cuts} cuts");
    assert!(!acked.is_empty());
    app.stop().await;
    db.drop_db().await;
}
