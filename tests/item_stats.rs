//! Item analysis as an author meets it (DESIGN §3.8): twenty scored attempts on a
//! bank, one item planted so that weaker candidates do better on it; the bank's
//! statistics (API, page with its SVG plot, and `skillcert stats`) flag it as
//! negatively discriminating, and a body admin sees figures but never item text.

mod common;

use skillcert::domain::grading::{ItemScore, Outcome, PaperScore};
use skillcert::domain::stats::Response;

use common::attempts::{fixture, two_attempts, T0};
use common::{sqlite_store, TestApp};

#[tokio::test]
async fn an_author_sees_a_negatively_discriminating_item_flagged_in_the_bank() {
    let app = TestApp::spawn().await;
    let s = sqlite_store(app.dir.path()).await;
    let f = fixture(s.as_ref()).await;
    let items: Vec<i64> = f.pool[..6].iter().map(|p| p.0).collect();
    let planted = items[5];
    // Ten plans of two: twenty attempts; the second ten are the strong candidates.
    let mut attempts = Vec::new();
    for case in 0..10 {
        attempts.extend(two_attempts(s.as_ref(), &f, case).await);
    }
    let mut plan_of_first = None;
    for (k, (attempt, _)) in attempts.iter().enumerate() {
        let strong = k >= 10;
        let responses: Vec<Response> = items
            .iter()
            .map(|&item_id| {
                let right = if item_id == planted { !strong } else { strong };
                Response {
                    item_id,
                    credit: if right { 1.0 } else { 0.0 },
                    max_points: 2.0,
                    chosen: if right { 1 } else { 4 },
                }
            })
            .collect();
        let score = PaperScore {
            items: (0..items.len() as u32)
                .map(|position| ItemScore {
                    position,
                    points: 0.0,
                    max_points: 2.0,
                    outcome: Outcome::Wrong,
                })
                .collect(),
            points: 0.0,
            max_points: 12.0,
            pending: 0,
            responses,
        };
        assert!(s.record_score(*attempt, &score, T0).await.unwrap());
        plan_of_first.get_or_insert(s.attempt(*attempt).await.unwrap().plan_id);
    }
    s.close().await;

    // The regulator (the bank's owner) reads the analysis.
    let admin = app.admin().await;
    let (status, r) = admin
        .get(&format!("/api/v1/banks/{}/item-stats", f.bank))
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["paper"]["attempts"], 20);
    let first = &r["items"][0];
    assert_eq!(first["item_id"], planted, "flagged items come first: {r}");
    assert_eq!(first["flags"][0], "negative_discrimination", "{first}");
    assert_eq!(first["option_counts"], serde_json::json!([10, 0, 10]));
    assert!(!first["stem_text"].as_str().unwrap().is_empty());
    let others: Vec<&serde_json::Value> = r["items"].as_array().unwrap()[1..].iter().collect();
    assert!(
        others.iter().all(|i| i["flags"] == serde_json::json!([])),
        "{r}"
    );
    let (status, page) = admin.get_text(&format!("/banks/{}/stats", f.bank)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("区分度为负") && page.contains("<svg") && page.contains("id=\"item-plot\"")
    );
    assert!(page.contains(&format!("item-stat-{planted}")));

    // The CLI prints its time and the flagged item.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_skillcert"))
        .args(["stats", "--bank", &f.bank.to_string()])
        .env("SKILLCERT_DATA_DIR", app.dir.path())
        .env_remove("SKILLCERT_DATABASE_URL")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("20 attempts") && text.contains(" s,"),
        "{text}"
    );
    assert!(
        text.contains(&format!("item {planted}:")) && text.contains("negative_discrimination"),
        "{text}"
    );

    // A plan's analysis for the body's admin: figures, never item text.
    let plan = plan_of_first.unwrap();
    let body = {
        let s = sqlite_store(app.dir.path()).await;
        let b = s.plan(plan).await.unwrap().body_id;
        s.close().await;
        b
    };
    let tag = common::hex_id();
    common::exams::user(&admin, &format!("ba{tag}"), body, "body_admin").await;
    let ba = app.client();
    ba.login(&format!("ba{tag}"), "Correct-Horse-9").await;
    let (status, r) = ba.get(&format!("/api/v1/plans/{plan}/item-stats")).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["paper"]["attempts"], 2);
    assert!(
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["stem_text"] == ""),
        "{r}"
    );
    let (status, _) = ba
        .get(&format!("/api/v1/banks/{}/item-stats", f.bank))
        .await;
    assert_eq!(
        status, 404,
        "a body admin does not read the regulator's bank"
    );
    app.stop().await;
}
