//! Assessor panels over real HTTP: who may sit on a panel (role, qualification, odd
//! size), blind independent marking of a short answer against its rubric, marks hidden
//! until the panel is complete, arbitration by the leader when marks spread, a veto,
//! corrections that a second person approves, and the marked points reaching the
//! candidate's result.

mod common;

use serde_json::{json, Value};

use common::exams::{exam_login, id_number, plan_elderly_care_with, user};
use common::marking::short_answer_paper;
use common::{Client, TestApp};

async fn signed_in(app: &TestApp, login: &str) -> Client {
    let c = app.client();
    c.login(login, "Correct-Horse-9").await;
    c
}

#[tokio::test]
async fn a_panel_marks_blind_arbitrates_and_corrects_with_a_second_person() {
    let app = TestApp::spawn_with(|c| {
        c.exams.review_window_hours = 0;
        // A rule heavy enough to suspend an assessor with one event.
        c.credit.rules.push(skillcert::domain::credit::CreditRule {
            code: "T99".into(),
            applies_to: skillcert::domain::credit::SubjectKind::Assessor,
            points: -50,
            hard_exit: false,
            description: "评分严重偏离".into(),
            description_en: "Marks far off the panel".into(),
        });
    })
    .await;
    let planned = plan_elderly_care_with(&app, 600, 2, 0, Some(short_answer_paper())).await;
    let admin = app.admin().await;
    let body = planned.body_id;
    let ba = &planned.body_admin;
    let tag = common::hex_id();
    let mut assessors = Vec::new();
    for i in 0..3 {
        let login = format!("as{i}{tag}");
        let id = user(&admin, &login, body, "assessor").await;
        assessors.push((id, login));
    }
    let session = planned.session_id;
    let assign = |user_id: i64, leader: bool| async move {
        ba.post(
            &format!("/api/v1/sessions/{session}/assessors"),
            json!({"user_id": user_id, "leader": leader}),
        )
        .await
    };
    // Without a qualification nobody sits on the panel.
    let (s, b) = assign(assessors[0].0, true).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "marking_error.not_qualified"
    );
    // The regulator records qualifications; an expired one does not count.
    for (i, (id, _)) in assessors.iter().enumerate() {
        let until = if i == 2 { "2020-01-01" } else { "2030-12-31" };
        let (s, b) = admin
            .post(
                &format!("/api/v1/users/{id}/qualifications"),
                json!({"occupation_code": "4-10-01-05", "highest_level": 3, "valid_until": until}),
            )
            .await;
        assert_eq!(s, 204, "{b}");
    }
    let (s, b) = ba
        .post(
            &format!("/api/v1/users/{}/qualifications", assessors[0].0),
            json!({"occupation_code": "4-10-01-05", "highest_level": 1, "valid_until": "2030-12-31"}),
        )
        .await;
    assert!(
        s == 403 || s == 404,
        "only the regulator qualifies: {s} {b}"
    );
    let (s, b) = assign(assessors[2].0, false).await;
    assert_eq!(s, 422, "expired: {b}");
    let (s, b) = admin
        .post(
            &format!("/api/v1/users/{}/qualifications", assessors[2].0),
            json!({"occupation_code": "4-10-01-05", "highest_level": 5, "valid_until": "2030-12-31"}),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    // A proctor is not an assessor.
    let (s, _) = assign(planned.proctor_ids[0], false).await;
    assert_eq!(s, 422);
    for (i, (id, _)) in assessors.iter().enumerate().take(2) {
        let (s, b) = assign(*id, i == 0).await;
        assert_eq!(s, 204, "{b}");
    }
    // Two assessors are not a panel: the roster does not close.
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "marking_error.panel");
    let (s, b) = assign(assessors[2].0, false).await;
    assert_eq!(s, 204, "{b}");

    // The roster closes; both candidates answer; 0 writes a short answer.
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let mut cands = Vec::new();
    for i in 0..2 {
        cands.push(exam_login(&app, &planned.admissions[i], &id_number(i)).await);
    }
    planned.admit_all().await;
    let mut attempts = Vec::new();
    let mut essay_pos = Vec::new();
    for c in &cands {
        let (s, _) = c.post("/api/v1/exam/start", json!({})).await;
        assert_eq!(s, 200);
        let (_, st) = c.get("/api/v1/exam/state").await;
        attempts.push(st["attempt_id"].as_i64().unwrap());
        let (_, paper) = c.get("/api/v1/exam/paper").await;
        let pos = paper["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["item_type"] == "short_answer")
            .unwrap()["position"]
            .as_u64()
            .unwrap() as u32;
        essay_pos.push(pos);
    }
    let (s, b) = cands[0]
        .post(
            "/api/v1/exam/answers",
            json!({"changes": [{"position": essay_pos[0], "seq": 1, "answer": "定时翻身，每2小时一次；使用减压床垫；保持皮肤清洁干燥；观察并报告。"}]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    for c in &cands {
        let (s, _) = c.post("/api/v1/exam/submit", json!({})).await;
        assert_eq!(s, 200);
    }

    // The queue shows the two scripts' short answers, blind.
    let a: Vec<Client> = {
        let mut v = Vec::new();
        for (_, login) in &assessors {
            v.push(signed_in(&app, login).await);
        }
        v
    };
    let mut queue = Value::Null;
    for _ in 0..100 {
        let (s, q) = a[0].get("/api/v1/marking").await;
        assert_eq!(s, 200, "{q}");
        queue = q;
        if queue["tasks"].as_array().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(queue["tasks"].as_array().unwrap().len(), 2, "{queue}");
    assert!(
        !queue.to_string().contains("考生"),
        "blind: no names in the queue"
    );
    let task = format!("/api/v1/marking/{}/{}", attempts[0], essay_pos[0]);
    let (s, t) = a[1].get(&task).await;
    assert_eq!(s, 200, "{t}");
    assert!(t["answer"].as_str().unwrap().contains("翻身"));
    let rubric = t["rubric"].as_array().unwrap().clone();
    assert!(!rubric.is_empty());
    let full: Vec<f64> = rubric
        .iter()
        .map(|e| match e["veto"].as_bool() {
            Some(true) => 0.0,
            _ => e["points"].as_f64().unwrap(),
        })
        .collect();
    let scaled = |f: f64| -> Vec<f64> { full.iter().map(|p| p * f).collect() };

    // A mark out of range names the element; marks are once per assessor.
    let mut over = full.clone();
    over[0] += 1.0;
    let (s, b) = a[0].post(&task, json!({"points": over, "note": "x"})).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "marking_error.range");
    let (s, b) = a[0]
        .post(&task, json!({"points": full, "note": "四点齐全"}))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = a[0]
        .post(&task, json!({"points": full, "note": "again"}))
        .await;
    assert_eq!(s, 422, "{b}");
    // Blind: the second assessor sees nobody's mark before submitting.
    let (_, t) = a[1].get(&task).await;
    assert_eq!(t["panel_marks"], json!([]), "{t}");
    assert_eq!(t["outcome"]["state"], "waiting");
    let (s, _) = a[1]
        .post(&task, json!({"points": scaled(0.5), "note": "只答到两点"}))
        .await;
    assert_eq!(s, 201);
    let (_, t) = a[0].get(&task).await;
    assert_eq!(t["panel_marks"], json!([]), "still hidden with 2 of 3: {t}");
    // In a real browser: the queue and the task page as an assessor meets them.
    if let Some((c, _driver, _profile)) = common::browser::browser().await {
        use common::browser::{click, fill, shot, text};
        c.goto(&app.url("/login")).await.unwrap();
        fill(&c, "#login", &assessors[2].1).await;
        fill(&c, "#password", "Correct-Horse-9").await;
        click(&c, "#login-submit").await;
        c.goto(&app.url("/marking")).await.unwrap();
        assert!(text(&c, "#marking-queue")
            .await
            .contains(&format!("#{}", attempts[0])));
        shot(&c, "assessor-queue").await;
        c.goto(&app.url(&format!("/marking/{}/{}", attempts[0], essay_pos[0])))
            .await
            .unwrap();
        assert!(text(&c, "#candidate-answer").await.contains("翻身"));
        assert!(!c.source().await.unwrap().contains("只答到两点"), "blind");
        shot(&c, "assessor-task-form").await;
        // Marked through the page's form: 90 % of each element.
        for (i, p) in scaled(0.9).iter().enumerate() {
            if rubric[i]["veto"] != true {
                fill(&c, &format!("input[name=e{i}]"), &p.to_string()).await;
            }
        }
        fill(&c, "textarea[name=note]", "较完整").await;
        click(&c, "#mark-submit").await;
        assert!(text(&c, "#panel-marks").await.contains("只答到两点"));
        shot(&c, "assessor-task-panel").await;
        click(&c, "#logout").await;
    } else {
        let (s, _) = a[2]
            .post(&task, json!({"points": scaled(0.9), "note": "较完整"}))
            .await;
        assert_eq!(s, 201);
    }
    // A correction is a new record with a reason and takes effect only when a second
    // person approves; the proposer cannot approve it.
    let (_, t) = a[0].get(&task).await;
    let mine = t["panel_marks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["assessor_id"] == assessors[1].0)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, b) = a[1]
        .post(
            &format!("/api/v1/marks/{mine}/correction"),
            json!({"points": scaled(0.6), "note": "复看录像", "reason": ""}),
        )
        .await;
    assert_eq!(s, 422, "a reason is required: {b}");
    let (s, prop) = a[1]
        .post(
            &format!("/api/v1/marks/{mine}/correction"),
            json!({"points": scaled(0.6), "note": "复看录像", "reason": "漏看第三点"}),
        )
        .await;
    assert_eq!(s, 201, "{prop}");
    let prop_id = prop["id"].as_i64().unwrap();
    let (s, _) = a[1]
        .post(
            &format!("/api/v1/marks/{prop_id}/decision"),
            json!({"approve": true}),
        )
        .await;
    assert!(s == 403 || s == 422, "not by the proposer: {s}");
    let (s, b) = a[0]
        .post(
            &format!("/api/v1/marks/{prop_id}/decision"),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let (_, t) = a[0].get(&task).await;
    let corrected = t["panel_marks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["assessor_id"] == assessors[1].0)
        .unwrap()
        .clone();
    assert_eq!(corrected["points"], 6.0, "{t}");
    assert_eq!(corrected["reason"], "漏看第三点");

    // 10, 6 and 9 of 10 still spread more than 15 %: the leader arbitrates.
    let (_, t) = a[1].get(&task).await;
    assert_eq!(t["panel_marks"].as_array().unwrap().len(), 3, "{t}");
    assert_eq!(t["outcome"]["state"], "arbitration", "{t}");
    let arbitration = format!("{task}/arbitration");
    let (s, _) = a[1]
        .post(
            &arbitration,
            json!({"points": 8, "veto": false, "reason": "x"}),
        )
        .await;
    assert_eq!(s, 403, "only the leader arbitrates");
    let (s, b) = a[0]
        .post(
            &arbitration,
            json!({"points": 8.5, "veto": false, "reason": "合议：要点基本齐全"}),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let (_, t) = a[0].get(&task).await;
    assert_eq!(
        t["outcome"],
        json!({"state": "scored", "points": 8.5, "vetoed": false})
    );

    // After the leader's decision, corrections are refused: they would change nothing.
    let (s, b) = a[2]
        .post(
            &format!("/api/v1/marks/{}/correction", corrected["id"]),
            json!({"points": full, "note": "", "reason": "再看"}),
        )
        .await;
    assert_eq!(s, 403, "only one's own mark: {b}");
    let own = t["panel_marks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["assessor_id"] == assessors[2].0)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, b) = a[2]
        .post(
            &format!("/api/v1/marks/{own}/correction"),
            json!({"points": full, "note": "", "reason": "再看"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "marking_error.arbitrated");
    // The panel is fixed once the roster closed.
    let extra = user(&admin, &format!("ax{tag}"), body, "assessor").await;
    admin
        .post(
            &format!("/api/v1/users/{extra}/qualifications"),
            json!({"occupation_code": "4-10-01-05", "highest_level": 5, "valid_until": "2030-12-31"}),
        )
        .await;
    let (s, b) = assign(extra, false).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "marking_error.panel_fixed");
    // Publication waits for candidate 1's task.
    let (s, b) = planned
        .body_admin
        .post(
            &format!("/api/v1/plans/{}/results/publish", planned.plan_id),
            json!({}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "result_error.marking_open");

    // Candidate 1 left it blank: all three mark 0 and one records the veto; a veto
    // needs most of the panel, so it does not fail.
    let task1 = format!("/api/v1/marking/{}/{}", attempts[1], essay_pos[1]);
    let (_, t1) = a[0].get(&task1).await;
    let veto_index: Vec<usize> = t1["rubric"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, e)| e["veto"] == true)
        .map(|(i, _)| i)
        .collect();
    let zero = vec![0.0; full.len()];
    // DESIGN §3.8: an assessor whose credit falls below the line is suspended and
    // marks no more, at once; an upheld appeal (by an officer other than the one who
    // recorded it) restores them.
    let (s, ev) = admin
        .post(
            "/api/v1/credit/events",
            json!({"subject_kind": "assessor", "subject_id": assessors[2].0, "rule_code": "T99",
                   "note": "评分严重偏离评审组"}),
        )
        .await;
    assert_eq!(s, 201, "{ev}");
    let (s, b) = a[2]
        .post(
            &task1,
            json!({"points": zero, "vetoed": [], "note": "未作答"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "credit_error.assessor_standing"
    );
    let (s, ap) = a[2]
        .post(
            &format!("/api/v1/credit/events/{}/appeals", ev["id"]),
            json!({"reason": "偏离系题目歧义所致"}),
        )
        .await;
    assert_eq!(s, 201, "{ap}");
    user(&admin, &format!("ra{tag}"), 1, "regulator_admin").await;
    let officer2 = app
        .first_sign_in(&format!("ra{tag}"), "Correct-Horse-9")
        .await;
    let (s, b) = officer2
        .post(
            &format!("/api/v1/credit/appeals/{}/decision", ap["id"]),
            json!({"decision": "uphold", "note": "属实"}),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    for (i, c) in a.iter().enumerate() {
        let vetoed = if i == 0 { veto_index.clone() } else { vec![] };
        let (s, b) = c
            .post(
                &task1,
                json!({"points": zero, "vetoed": vetoed, "note": "未作答"}),
            )
            .await;
        assert!(
            s == 201 || (s == 422 && veto_index.is_empty() && i == 0),
            "{s} {b}"
        );
    }

    // Results: the panel's points join the objective points; nothing waits.
    let (s, r) = planned
        .body_admin
        .get(&format!("/api/v1/plans/{}/results", planned.plan_id))
        .await;
    assert_eq!(s, 200, "{r}");
    let c0 = r["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["attempt_id"] == attempts[0])
        .unwrap();
    assert_eq!(c0["theory"]["pending"], 0, "{c0}");
    assert_eq!(
        c0["theory"]["raw_points"], 8.5,
        "blank true/false + 8.5: {c0}"
    );
    // Publication closes marking.
    let (s, b) = planned
        .body_admin
        .post(
            &format!("/api/v1/plans/{}/results/publish", planned.plan_id),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = a[1]
        .post(
            &format!("/api/v1/marks/{}/correction", corrected["id"]),
            json!({"points": full, "note": "", "reason": "再改"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "result_error.already_published"
    );

    // Another body's assessor sees none of it.
    let other = admin.create_body(&format!("另一机构{tag}")).await;
    user(&admin, &format!("ox{tag}"), other, "assessor").await;
    let ox = signed_in(&app, &format!("ox{tag}")).await;
    let (s, q) = ox.get("/api/v1/marking").await;
    assert_eq!((s, q["tasks"].clone()), (200, json!([])));
    let (s, _) = ox.get(&task).await;
    assert_eq!(s, 404);
    app.stop().await;
}
