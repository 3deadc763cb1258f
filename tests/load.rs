//! The load generator end to end at a small scale, so it keeps working: it sets up a
//! synthetic bank, body, rooms, proctors, plan and 60 candidates over HTTP, drives
//! starts and saves, and finds every acknowledged save in the database.

mod common;

use common::{TestApp, ADMIN_PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_generator_runs_and_loses_nothing() {
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_skillcert-load"))
            .args([
                "--url",
                &base,
                "--admin-password",
                ADMIN_PASSWORD,
                "--candidates",
                "60",
                "--seconds",
                "3",
                "--save-interval-ms",
                "200",
                "--bank-items",
                "400",
                "--healthz-seconds",
                "1",
                "--connections",
                "16",
            ])
            .output()
    })
    .await
    .unwrap()
    .expect("skillcert-load runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().expect("a JSON line");
    let report: serde_json::Value = serde_json::from_str(last).expect("JSON");
    for key in [
        "candidates",
        "starts_per_s",
        "start_p99_ms",
        "saves_per_s",
        "save_p50_ms",
        "save_p95_ms",
        "save_p99_ms",
        "errors",
        "missing_acknowledged",
        "healthz_per_s",
        "ratio",
        "server_rss_mb",
    ] {
        assert!(report.get(key).is_some(), "{key} missing from {report}");
    }
    assert_eq!(report["candidates"], 60);
    assert_eq!(report["errors"], 0, "{report}\n{stderr}");
    assert_eq!(report["missing_acknowledged"], 0, "{report}");
    assert!(report["saves_per_s"].as_f64().unwrap() > 100.0, "{report}");
    app.stop().await;
}
