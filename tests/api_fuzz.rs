//! API fuzzing: schemathesis (from PyPI) generates requests from `/api/v1/openapi.json`
//! and calls every operation anonymously and as each role (bearer tokens), checking
//! that nothing answers 5xx and every documented response matches its schema. The
//! harness is `scripts/api-fuzz` (accounts, tokens, one run per role); this test starts
//! the server and calls it. Without schemathesis installed it is skipped, unless
//! `SKILLCERT_REQUIRE_SCHEMATHESIS=1` (as in CI, which installs it). The long run:
//! `scripts/api-fuzz --binary target/release/skillcert --examples 100`.

mod common;

use common::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_operation_answers_5xx_or_breaks_its_schema_for_any_role() {
    let app = TestApp::spawn().await;
    let required = std::env::var("SKILLCERT_REQUIRE_SCHEMATHESIS").as_deref() == Ok("1");
    let url = app.url("");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/api-fuzz");
    let report = tempfile::tempdir().unwrap();
    let report_dir = report.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        let mut c = std::process::Command::new("python3");
        c.arg(script)
            .args(["--url", &url, "--admin-password", common::ADMIN_PASSWORD])
            .args(["--examples", "5", "--seed", "1"])
            .arg("--report-dir")
            .arg(&report_dir);
        if !required {
            c.arg("--optional");
        }
        c.output().unwrap()
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    if !out.status.success() {
        // Each role's full schemathesis output, with its curl reproductions.
        for e in std::fs::read_dir(report.path()).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "log") {
                let log = std::fs::read_to_string(e.path()).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(60).collect();
                println!(
                    "--- {}:\n{}",
                    e.path().display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
        }
    }
    assert!(out.status.success(), "api-fuzz failed (see above)");
    app.stop().await;
}
