//! Credit and exit over real HTTP (DESIGN §3.8): an inspector's proposed deduction
//! counts only once an officer confirms it; deductions drop a body to grade D and every
//! planning and issuance path refuses it; an upheld appeal (decided by another officer)
//! restores it; a hard-exit trigger removes it from the public catalogue, freezes its
//! plans, bars re-filing and revokes the certificates found improperly issued, shown at
//! once in public verification; a disqualified assessor is not assigned.

mod common;

use serde_json::{json, Value};

use common::exams::{plan_elderly_care, user};
use common::issued::issued_plan;
use common::{Client, TestApp};

async fn grade(c: &Client, body: i64) -> (String, i64, String) {
    let (s, l) = c.get(&format!("/api/v1/credit/body/{body}")).await;
    assert_eq!(s, 200, "{l}");
    (
        l["standing"]["grade"].as_str().unwrap().to_string(),
        l["standing"]["score"].as_i64().unwrap(),
        l["standing"]["status"].as_str().unwrap().to_string(),
    )
}

async fn listed(body: i64, anyone: &Client) -> Option<Value> {
    let (s, cat) = anyone.get("/api/v1/catalogue/bodies").await;
    assert_eq!(s, 200, "{cat}");
    cat["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == body)
        .cloned()
}

#[tokio::test]
async fn confirmed_deductions_suspend_a_body_an_appeal_restores_it_and_a_hard_exit_removes_it() {
    let app = TestApp::spawn_with(|c| c.exams.review_window_hours = 0).await;
    let (planned, numbers) = issued_plan(&app, 2).await;
    let admin = app.admin().await;
    let anyone = app.client();
    let (body, plan, ba) = (planned.body_id, planned.plan_id, &planned.body_admin);

    // Scoring at submission wrote the response records item analysis reads: both
    // candidates answered every item right, each choice counted by option.
    let (s, st) = admin.get(&format!("/api/v1/plans/{plan}/item-stats")).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["paper"]["attempts"], 2, "{st}");
    let items = st["items"].as_array().unwrap();
    assert!(items.len() >= 50, "{}", items.len());
    assert!(items.iter().all(|i| i["p_value"] == 1.0), "{st}");
    assert!(items
        .iter()
        .any(|i| i["option_counts"].as_array().is_some_and(|c| !c.is_empty())));

    // In good standing: listed publicly with its scope and grade A.
    let entry = listed(body, &anyone).await.expect("listed");
    assert_eq!(entry["grade"], "A");
    assert!(!entry["scope"].as_array().unwrap().is_empty(), "{entry}");
    let (s, page) = anyone.get_text("/catalogue").await;
    assert_eq!(s, 200);
    assert!(page.contains("A</span>"));

    // Two confirmed deductions of the year: 100 − 20 − 20 = 60, grade C with a
    // rectification deadline; still in good standing.
    admin.credit_body(body, &["B06", "B06"]).await;
    assert_eq!(grade(ba, body).await, ("C".into(), 60, "active".into()));
    assert_eq!(listed(body, &anyone).await.unwrap()["grade"], "C");

    // An inspector who declared a relation to a candidate is not dispatched (recusal).
    let tag = common::hex_id();
    let related = user(&admin, &format!("qr{tag}"), 1, "quality_inspector").await;
    let qr = app.client();
    qr.login(&format!("qr{tag}"), "Correct-Horse-9").await;
    let (s, b) = qr
        .post(
            "/api/v1/me/relations",
            json!({"document_type": "resident_id", "id_number": common::exams::id_number(1),
                   "relation": "close_relative"}),
        )
        .await;
    assert!(s == 201 || s == 204 || s == 200, "{b}");
    let (s, b) = admin
        .post(
            &format!("/api/v1/plans/{plan}/inspectors"),
            json!({"user_id": related}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["fields"][0]["code"].as_str()),
        (422, Some("exam_error.recusal")),
        "{b}"
    );

    // An inspector dispatched to the plan proposes a deduction; it does not count yet.
    let qi_id = user(&admin, &format!("qi{tag}"), 1, "quality_inspector").await;
    let (s, _) = admin
        .post(
            &format!("/api/v1/plans/{plan}/inspectors"),
            json!({"user_id": qi_id}),
        )
        .await;
    assert_eq!(s, 204);
    let qi = app.client();
    qi.login(&format!("qi{tag}"), "Correct-Horse-9").await;
    let (s, f) = qi
        .post(
            &format!("/api/v1/plans/{plan}/findings"),
            json!({"subject": "body", "subject_id": body, "category": "staffing",
                   "severity": "major", "evidence": "考场只有一名监考员"}),
        )
        .await;
    assert_eq!(s, 201, "{f}");
    let finding = f["id"].as_i64().unwrap();
    // Bad input names the field and changes nothing.
    let (s, b) = qi
        .post(
            &format!("/api/v1/plans/{plan}/credit/proposals"),
            json!({"subject_kind": "body", "subject_id": body, "rule_code": "A01",
                   "note": "x", "evidence": "finding:abc"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let fields: Vec<&str> = b["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["rule_code", "evidence"], "{b}");
    let (s, p) = qi
        .post(
            &format!("/api/v1/plans/{plan}/credit/proposals"),
            json!({"subject_kind": "body", "subject_id": body, "rule_code": "B02",
                   "note": "监考员配备不足", "evidence": format!("finding:{finding}")}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let proposal = p["id"].as_i64().unwrap();
    assert_eq!(grade(&admin, body).await, ("C".into(), 60, "active".into()));
    // The inspector cannot confirm their own proposal; the regulator does.
    let decide = |id: i64, d: &'static str| json!({"decision": d, "note": format!("经核实 {id}")});
    let (s, _) = qi
        .post(
            &format!("/api/v1/credit/events/{proposal}/decision"),
            decide(proposal, "confirm"),
        )
        .await;
    assert_eq!(s, 403);
    let (s, b) = admin
        .post(
            &format!("/api/v1/credit/events/{proposal}/decision"),
            decide(proposal, "confirm"),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = admin
        .post(
            &format!("/api/v1/credit/events/{proposal}/decision"),
            decide(proposal, "reject"),
        )
        .await;
    assert_eq!(s, 422, "decided once: {b}");
    // Through the pages: the inspector proposes from the plan's inspection page (a bad
    // pick comes back on the page, named), the officer rejects it on the desk.
    let (status, page) = qi
        .form(
            &format!("/inspect/plans/{plan}/credit"),
            &[
                ("target", "body:x"),
                ("rule_code", "B01"),
                ("note", "记录不全"),
                ("evidence", ""),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("id=\"propose-credit\""));
    let target = format!("body:{body}");
    let (status, _) = qi
        .form(
            &format!("/inspect/plans/{plan}/credit"),
            &[
                ("target", &target),
                ("rule_code", "B04"),
                ("note", "档案缺签名"),
                ("evidence", "督导发现:1"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, desk) = admin.get("/api/v1/credit/desk").await;
    let b04 = desk["proposals"][0]["id"].as_i64().unwrap();
    assert_eq!(desk["proposals"][0]["rule_code"], "B04", "{desk}");
    let (status, _) = admin
        .form(
            &format!("/credit/events/{b04}/decision"),
            &[
                ("decision", "reject"),
                ("note", "证据不足"),
                ("back", "/credit"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = admin.get_text(&format!("/credit/body/{body}")).await;
    assert!(
        page.contains("未确认") && page.contains("证据不足"),
        "rejected, with the reason"
    );
    // The desk draws an inspection sample from its form.
    let (status, page) = admin
        .form("/credit/sample", &[("count", "3"), ("seed", "11")])
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"sampled-plans\"") && page.contains("11"));

    // The inspector's confirmed finding drops the body to 50: grade D, suspended.
    assert_eq!(grade(ba, body).await, ("D".into(), 50, "suspended".into()));
    assert!(
        listed(body, &anyone).await.is_none(),
        "suspended: not listed"
    );
    // Suspended: no new plans, no issuance.
    let (s, b) = ba
        .post(
            "/api/v1/plans",
            json!({"body_id": body, "occupation_code": "4-10-01-05", "level": 5,
                   "name": "新计划", "exam_date": "2030-12-01"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "exam_error.body_standing");
    let (s, b) = ba
        .post(
            &format!("/api/v1/plans/{plan}/certificates/requests"),
            json!({}),
        )
        .await;
    assert_eq!(s, 422, "{b}");

    // The body appeals one B06; the officer who confirmed it cannot hear the appeal,
    // a second officer upholds it and the event stops counting: 70, grade C, with a
    // rectification deadline, and the body may plan again.
    let (_, ledger) = ba.get(&format!("/api/v1/credit/body/{body}")).await;
    let b06 = ledger["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["rule_code"] == "B06")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, a) = ba
        .post(
            &format!("/api/v1/credit/events/{b06}/appeals"),
            json!({"reason": "数据已按期报送，有回执"}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let (s, b) = ba
        .post(
            &format!("/api/v1/credit/events/{b06}/appeals"),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(s, 409, "one open appeal per event: {b}");
    let appeal = a["id"].as_i64().unwrap();
    let uphold = json!({"decision": "uphold", "note": "回执属实"});
    let (s, b) = admin
        .post(
            &format!("/api/v1/credit/appeals/{appeal}/decision"),
            uphold.clone(),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "credit_error.appeal_same_officer"
    );
    user(&admin, &format!("ra{tag}"), 1, "regulator_admin").await;
    let officer2 = app
        .first_sign_in(&format!("ra{tag}"), "Correct-Horse-9")
        .await;
    let (s, b) = officer2
        .post(&format!("/api/v1/credit/appeals/{appeal}/decision"), uphold)
        .await;
    assert_eq!(s, 204, "{b}");
    let (_, ledger) = ba.get(&format!("/api/v1/credit/body/{body}")).await;
    assert_eq!(ledger["standing"]["grade"], "C", "{ledger}");
    assert_eq!(ledger["standing"]["score"], 70);
    assert!(ledger["standing"]["rectify_by_ms"].as_i64().is_some());
    assert_eq!(listed(body, &anyone).await.unwrap()["grade"], "C");
    let (s, page) = ba.get_text(&format!("/credit/body/{body}")).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("已撤销（申诉成立）"),
        "the reversed event stays visible"
    );
    let (s, second) = ba
        .post(
            "/api/v1/plans",
            json!({"body_id": body, "occupation_code": "4-10-01-05", "level": 5,
                   "name": "整改期计划", "exam_date": "2030-12-01"}),
        )
        .await;
    assert_eq!(s, 201, "grade C still plans: {second}");
    let second = second["id"].as_i64().unwrap();

    // A hard-exit trigger (certificates to a candidate who failed): the officer names
    // the certificate found improperly issued; a number of another body is refused and
    // nothing changes.
    let other = admin.create_body(&format!("他机构{tag}")).await;
    let (s, b) = admin
        .post(
            "/api/v1/credit/events",
            json!({"subject_kind": "body", "subject_id": other, "rule_code": "X04",
                   "note": "x", "revoke_numbers": numbers[0]}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "credit_error.certificate_not_of_body"
    );
    let (_, v) = anyone.get(&format!("/api/v1/verify/{}", numbers[0])).await;
    assert_eq!(v["status"], "valid");
    let (s, b) = admin
        .post(
            "/api/v1/credit/events",
            json!({"subject_kind": "body", "subject_id": body, "rule_code": "X04",
                   "note": "向理论不合格人员发证", "evidence": format!("计划:{plan} 督导发现：{finding}"),
                   "revoke_numbers": numbers[0]}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(grade(&admin, body).await.2, "exited");
    let (_, ledger) = admin.get(&format!("/api/v1/credit/body/{body}")).await;
    let last = ledger["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["evidence"],
        json!([{"kind": "plan", "id": plan}, {"kind": "finding", "id": finding}]),
        "Chinese kind names are read: {last}"
    );
    assert!(listed(body, &anyone).await.is_none(), "exited: not listed");
    let (_, v) = anyone.get(&format!("/api/v1/verify/{}", numbers[0])).await;
    assert_eq!(v["status"], "revoked", "{v}");
    assert!(v["status_reason"].as_str().unwrap().contains("X04"), "{v}");
    assert_eq!(v["body_exited"], true, "{v}");
    let (_, v) = anyone.get(&format!("/api/v1/verify/{}", numbers[1])).await;
    assert_eq!(v["status"], "valid", "only the named certificate: {v}");
    // Its open plans are frozen, issuance is blocked, and it may not be filed again
    // under its name.
    let (_, rooms) = ba.get(&format!("/api/v1/plans/{plan}")).await;
    let room = rooms["sessions"][0]["room_id"].as_i64().unwrap();
    let (s, b) = ba
        .post(
            &format!("/api/v1/plans/{second}/sessions"),
            json!({"room_id": room, "starts_at": "2030-12-01T09:00"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "exam_error.plan_frozen");
    let (s, b) = ba
        .post(
            &format!("/api/v1/plans/{plan}/certificates/requests"),
            json!({}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    // Publication and staffing go through the same gate.
    let (s, b) = ba
        .post(&format!("/api/v1/plans/{plan}/results/publish"), json!({}))
        .await;
    assert_eq!(
        (s, b["error"]["fields"][0]["code"].as_str()),
        (422, Some("exam_error.plan_frozen")),
        "{b}"
    );
    let (s, b) = ba
        .post(
            &format!("/api/v1/sessions/{}/proctors", planned.session_id),
            json!({"user_id": planned.proctor_ids[0]}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["fields"][0]["code"].as_str()),
        (422, Some("exam_error.plan_frozen")),
        "{b}"
    );
    let (_, detail) = ba.get(&format!("/api/v1/organisations/{body}")).await;
    let name = detail["name"].as_str().unwrap().to_string();
    let (s, b) = admin
        .post(
            "/api/v1/organisations",
            json!({"kind": "body", "name": name, "body_type": "social_organisation",
                   "body_code": "0000", "province_code": "32", "site_code": "320100"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "credit_error.refile_barred"
    );
    // The regulator's desk page shows the bodies and the events.
    let (s, page) = admin.get_text("/credit").await;
    assert_eq!(s, 200);
    assert!(page.contains(&name) && page.contains("X04"));
    app.stop().await;
}

#[tokio::test]
async fn a_disqualified_assessor_is_not_assigned_and_rules_fit_their_subject() {
    let app = TestApp::spawn().await;
    let planned = plan_elderly_care(&app, 600, 2).await;
    let admin = app.admin().await;
    let tag = common::hex_id();
    let assessor = user(&admin, &format!("as{tag}"), planned.body_id, "assessor").await;
    // A body rule does not apply to an assessor, and an assessor rule needs an assessor.
    let (s, b) = admin
        .post(
            "/api/v1/credit/events",
            json!({"subject_kind": "assessor", "subject_id": assessor, "rule_code": "B01", "note": "x"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "credit_error.rule_subject");
    let (s, b) = admin
        .post(
            "/api/v1/credit/events",
            json!({"subject_kind": "assessor", "subject_id": planned.proctor_ids[0], "rule_code": "A03", "note": "x"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "credit_error.subject");
    // Only hard-exit rules revoke.
    let (s, b) = admin
        .post(
            "/api/v1/credit/events",
            json!({"subject_kind": "body", "subject_id": planned.body_id, "rule_code": "B01",
                   "note": "x", "revoke_numbers": "Y00003201000025000001"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "credit_error.revoke_needs_exit"
    );
    // Disqualified (leaked items): no longer assigned to a panel.
    let (s, b) = admin
        .post(
            "/api/v1/credit/events",
            json!({"subject_kind": "assessor", "subject_id": assessor, "rule_code": "A04",
                   "note": "泄露评分细则"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = planned
        .body_admin
        .post(
            &format!("/api/v1/sessions/{}/assessors", planned.session_id),
            json!({"user_id": assessor, "leader": true}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "credit_error.assessor_standing"
    );
    // The assessor reads their own ledger; another assessor cannot.
    let me = app.client();
    me.login(&format!("as{tag}"), "Correct-Horse-9").await;
    let (s, l) = me.get(&format!("/api/v1/credit/assessor/{assessor}")).await;
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["standing"]["status"], "exited");
    user(&admin, &format!("ot{tag}"), planned.body_id, "assessor").await;
    let other = app.client();
    other.login(&format!("ot{tag}"), "Correct-Horse-9").await;
    let (s, _) = other
        .get(&format!("/api/v1/credit/assessor/{assessor}"))
        .await;
    assert_eq!(s, 404);
    // Nobody but the regulator records.
    let (s, _) = planned
        .body_admin
        .post(
            "/api/v1/credit/events",
            json!({"subject_kind": "assessor", "subject_id": assessor, "rule_code": "A03", "note": "x"}),
        )
        .await;
    assert_eq!(s, 403);
    app.stop().await;
}
