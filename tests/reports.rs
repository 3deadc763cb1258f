//! The annual report as the regulator meets it (DESIGN §3.8): six bodies in two cities
//! with thirty candidates each, one planted to pass almost everyone while its peers pass
//! half; the report (API, page with SVG charts, XLSX) counts them by body, city,
//! occupation and level and flags the planted body with a link to open an inspection; a
//! body's admin sees only their own figures and no flags; the inspection sample is
//! reproducible from its seed and weighs the flagged body.

mod common;

use serde_json::{json, Value};
use skillcert::domain::grading::{ItemScore, Outcome, PaperScore};
use skillcert::domain::org::{BodyType, OrgKind};
use skillcert::store::delivery::ExamOp;
use skillcert::store::NewOrg;

use common::attempts::{ev, fixture, plan_attempts, T0};
use common::{sqlite_store, TestApp};

const BODIES: usize = 6;
const PLANTED: usize = 4;
const SEATS: usize = 30;

#[tokio::test]
async fn the_annual_report_flags_the_planted_body_and_a_body_sees_only_its_own() {
    let app = TestApp::spawn().await;
    let s = sqlite_store(app.dir.path()).await;
    let f = fixture(s.as_ref()).await;
    let reg = skillcert::app::orgs::regulator(s.as_ref())
        .await
        .unwrap()
        .id;
    let mut bodies = Vec::new();
    for b in 0..BODIES {
        let org = |kind, name: String, parent| NewOrg {
            kind,
            parent_id: Some(parent),
            name,
            name_en: None,
            body_type: (kind == OrgKind::Body).then_some(BodyType::SocialOrganisation),
            body_code: Some("0000".into()),
            province_code: Some("32".into()),
            // Two cities: Nanjing (3201) and Suzhou (3205).
            site_code: Some(if b % 2 == 0 { "320102" } else { "320505" }.into()),
            address: None,
            capacity: None,
        };
        let body = s
            .create_org(
                org(OrgKind::Body, format!("评价机构{b}"), reg),
                ev("org", T0),
            )
            .await
            .unwrap();
        let site = s
            .create_org(
                org(OrgKind::TestSite, "考点".into(), body.id),
                ev("org", T0),
            )
            .await
            .unwrap();
        let room = s
            .create_org(org(OrgKind::Room, "101".into(), site.id), ev("org", T0))
            .await
            .unwrap();
        let attempts = plan_attempts(s.as_ref(), &f, room.id, 100 + b, SEATS).await;
        for (k, (attempt, _)) in attempts.iter().enumerate() {
            // The planted body passes 29 of 30; the others half.
            let pass = if b == PLANTED { k < 29 } else { k % 2 == 0 };
            // Out of 100 (the plan's pass mark, 60, is in the paper's points).
            let points = if pass { 80.0 } else { 40.0 };
            let score = PaperScore {
                items: (0..5)
                    .map(|position| ItemScore {
                        position,
                        points: points / 5.0,
                        max_points: 20.0,
                        outcome: Outcome::Partial,
                    })
                    .collect(),
                points,
                max_points: 100.0,
                pending: 0,
                responses: vec![],
            };
            s.apply_exam_ops(
                &[ExamOp::Submit {
                    attempt_id: *attempt,
                    audit: ev("submit", T0 + 1),
                }],
                T0 + 1,
                0,
            )
            .await
            .unwrap();
            assert!(s.record_score(*attempt, &score, T0 + 2).await.unwrap());
        }
        bodies.push(body);
    }
    s.close().await;
    let planted = &bodies[PLANTED];

    // The regulator's annual report for the year the plans sat in.
    let admin = app.admin().await;
    let (status, r) = admin.get("/api/v1/reports?period=2030").await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["totals"]["candidates"], BODIES * SEATS, "{}", r["totals"]);
    assert_eq!(r["totals"]["sat"], BODIES * SEATS);
    assert_eq!(r["totals"]["passed"], 5 * 15 + 29);
    let body_row = |name: &str| -> Value {
        r["by_body"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["label"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(body_row(&planted.name)["passed"], 29);
    assert_eq!(body_row(&bodies[0].name)["passed"], 15);
    let cities: Vec<&str> = r["by_city"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(cities, ["南京市（3201）", "苏州市（3205）"]);
    assert_eq!(r["by_level"][0]["key"], "5");
    let flags = r["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "only the planted body: {flags:?}");
    assert_eq!(flags[0]["kind"], "pass_rate");
    assert_eq!(flags[0]["subject"], planted.name.as_str());
    assert!(flags[0]["open_inspection"]
        .as_str()
        .unwrap()
        .starts_with("/plans/"));
    // A period without plans, and a period that is not one.
    let (_, q1) = admin.get("/api/v1/reports?period=2030Q1").await;
    assert_eq!(q1["totals"]["plans"], BODIES, "the plans sat on 2030-03-18");
    let (_, q2) = admin.get("/api/v1/reports?period=2030Q2").await;
    assert_eq!(q2["totals"]["plans"], 0);
    let (status, b) = admin.get("/api/v1/reports?period=2030Q5").await;
    assert_eq!(status, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["field"], "period");

    // The page: the flag in words with its link, and the charts.
    let (status, page) = admin.get_text("/reports?period=2030").await;
    assert_eq!(status, 200);
    assert!(page.contains("合格率异常偏高") && page.contains("安排督导"));
    assert!(page.contains("id=\"chart-body-rates\""));
    // The certificates chart only when there are certificates to draw (none were
    // issued here), rather than an empty frame.
    let (_, year) = admin.get("/api/v1/reports?period=2030").await;
    assert_eq!(
        page.contains("id=\"chart-city-certificates\""),
        year["totals"]["certificates"].as_u64().unwrap() > 0,
        "{}",
        year["totals"]
    );
    // The workbook: one sheet per dimension and the flags.
    let resp = admin
        .http
        .get(app.url("/reports/export?period=2030"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap().to_vec();
    use calamine::Reader as _;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names().to_vec();
    assert_eq!(
        names,
        ["合计", "按职业", "按等级", "按机构", "按地市", "异常提示"]
    );
    let totals = book.worksheet_range("合计").unwrap();
    assert_eq!(
        totals.get_value((2, 3)),
        Some(&calamine::Data::Float((BODIES * SEATS) as f64))
    );

    // A body's admin: their own body, no flags.
    let tag = common::hex_id();
    common::exams::user(&admin, &format!("ba{tag}"), planted.id, "body_admin").await;
    let ba = app.client();
    ba.login(&format!("ba{tag}"), "Correct-Horse-9").await;
    let (status, mine) = ba.get("/api/v1/reports?period=2030").await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["by_body"].as_array().unwrap().len(), 1);
    assert_eq!(mine["scope"], planted.name.as_str());
    assert_eq!(mine["flags"], json!([]));
    // Inspection sampling: the regulator's only; the same seed draws the same plans.
    let (status, _) = ba
        .post("/api/v1/inspections/sample", json!({"count": 2, "seed": 7}))
        .await;
    assert_eq!(status, 403);
    let (status, a) = admin
        .post("/api/v1/inspections/sample", json!({"count": 2, "seed": 7}))
        .await;
    assert_eq!(status, 200, "{a}");
    let (_, b) = admin
        .post("/api/v1/inspections/sample", json!({"count": 2, "seed": 7}))
        .await;
    assert_eq!(a["plans"], b["plans"]);
    assert_eq!(a["plans"].as_array().unwrap().len(), 2);
    assert!(a["population"].as_u64().unwrap() >= BODIES as u64);
    let weight_of = |name: &str| {
        a["plans"]
            .as_array()
            .unwrap()
            .iter()
            .chain(b["plans"].as_array().unwrap())
            .find(|p| p["body_name"] == name)
            .map(|p| p["weight"].as_u64().unwrap())
    };
    if let Some(w) = weight_of(&planted.name) {
        assert_eq!(w, 2, "grade A × (1 + one flag)");
    }
    let (status, b) = admin
        .post("/api/v1/inspections/sample", json!({"count": 0}))
        .await;
    assert_eq!(status, 422, "{b}");
    app.stop().await;
}
