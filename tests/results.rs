//! From 交卷 to a certificate anyone can verify, over real HTTP: automatic scoring with
//! the per-question breakdown, a deduction and the pass mark, publication with its
//! review window, the candidate seeing only published results (never keys), issuance
//! decided by a second admin (never the requester, never a proctor of the candidates),
//! 22-character numbers, public verification with a masked name, revocation shown at
//! once, and the rate limit.

mod common;

use serde_json::{json, Value};

use common::exams::{exam_login, id_number, plan_elderly_care, user};
use common::issued::{answer_all, right_answers};
use common::TestApp;

#[tokio::test]
async fn a_submitted_exam_leads_to_a_published_result_and_a_certificate_anyone_can_verify() {
    let app = TestApp::spawn_with(|c| {
        c.exams.review_window_hours = 0;
        c.exams.verify_per_minute = 30;
    })
    .await;
    let planned = plan_elderly_care(&app, 600, 3).await;
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let ba = &planned.body_admin;
    let plan = planned.plan_id;

    // Three candidates sign in, are admitted and start.
    let mut cands = Vec::new();
    for i in 0..3 {
        cands.push(exam_login(&app, &planned.admissions[i], &id_number(i)).await);
    }
    planned.admit_all().await;
    let mut attempts = Vec::new();
    for c in &cands {
        let (s, st) = c.post("/api/v1/exam/start", json!({})).await;
        assert_eq!(s, 200, "{st}");
        let (_, st) = c.get("/api/v1/exam/state").await;
        attempts.push(st["attempt_id"].as_i64().unwrap());
    }
    // 0 answers everything right; 1 answers nothing; 2 answers right but is caught
    // talking (−10) and one answer is wrong.
    let right0 = right_answers(&app, attempts[0]).await;
    answer_all(&cands[0], &right0).await;
    let mut right2 = right_answers(&app, attempts[2]).await;
    right2[0].1 = match &right2[0].1 {
        Value::Bool(b) => json!(!b),
        Value::Array(a) if a.len() == 1 && a[0] == json!(0) => json!([1]),
        _ => json!([0]),
    };
    answer_all(&cands[2], &right2).await;
    let (_, paper) = cands[2].get("/api/v1/exam/paper").await;
    let first_points = paper["items"][0]["points"].as_f64().unwrap();
    let (s, b) = planned
        .proctor
        .post(
            &format!("/api/v1/attempts/{}/irregularities", attempts[2]),
            json!({"outcome": "deduction", "points": 10, "description": "交头接耳"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");

    // Publication waits until every attempt is closed.
    let (s, b) = ba
        .post(&format!("/api/v1/plans/{plan}/results/publish"), json!({}))
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"], "result_error.attempts_open",
        "{b}"
    );
    // The page says so before the click: the button is disabled, with the reason.
    let publish_button = |page: &str| {
        let form = &page[page.find("id=\"publish-results\"").expect("publish form")..];
        form[..form.find("</form>").unwrap()].to_string()
    };
    let (_, page) = ba.get_text(&format!("/plans/{plan}/results")).await;
    let form = publish_button(&page);
    assert!(
        form.contains("disabled") && form.contains("全部交卷后才能公布成绩"),
        "{form}"
    );
    for c in &cands {
        let (s, b) = c.post("/api/v1/exam/submit", json!({})).await;
        assert_eq!(s, 200, "{b}");
    }
    let (_, page) = ba.get_text(&format!("/plans/{plan}/results")).await;
    assert!(!publish_button(&page).contains("disabled"), "{page}");

    // Results before publication: the body sees them (scored at submission, off the
    // request's path, so within moments), the candidate does not.
    let mut r = Value::Null;
    for _ in 0..100 {
        let (s, got) = ba.get(&format!("/api/v1/plans/{plan}/results")).await;
        assert_eq!(s, 200, "{got}");
        r = got;
        if r["scored"] == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(r["scored"], 3, "{r}");
    let by_adm = |r: &Value, i: usize| -> Value {
        r["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["admission_no"] == planned.admissions[i].as_str())
            .unwrap()
            .clone()
    };
    let c0 = by_adm(&r, 0);
    assert_eq!(c0["theory"]["score"], 100.0, "{c0}");
    assert_eq!(c0["passed"], true);
    let c1 = by_adm(&r, 1);
    assert_eq!(
        (c1["theory"]["score"].as_f64(), c1["passed"].as_bool()),
        (Some(0.0), Some(false))
    );
    let c2 = by_adm(&r, 2);
    let expected = 100.0 - first_points - 10.0;
    assert_eq!(c2["theory"]["score"].as_f64(), Some(expected), "{c2}");
    assert_eq!(c2["theory"]["deducted"], 10.0);
    assert_eq!(c2["passed"], true);
    assert_eq!(c2["irregularities"][0]["outcome"], "deduction");

    // The candidate 0 holds an account on the same real-name record.
    let admin = app.admin().await;
    let body_id = {
        let (_, p) = ba.get(&format!("/api/v1/plans/{plan}")).await;
        p["plan"]["body_id"].as_i64().unwrap()
    };
    admin
        .create_user(
            json!({"login": "cand0", "password": "Correct-Horse-9", "org_id": body_id,
                            "role": "candidate", "name": "考生0", "document_number": id_number(0)}),
        )
        .await;
    let cand0 = app.client();
    cand0.login("cand0", "Correct-Horse-9").await;
    // Admission tickets: the candidate prints their own, the body all of the plan's.
    let (s, ticket) = cand0.get_text(&format!("/tickets/{plan}")).await;
    assert_eq!(s, 200);
    assert!(ticket.contains(&planned.admissions[0]) && !ticket.contains(&planned.admissions[1]));
    let (s, all) = ba.get_text(&format!("/plans/{plan}/tickets")).await;
    assert_eq!(s, 200);
    assert!(planned.admissions.iter().all(|a| all.contains(a.as_str())));
    let (s, mine) = cand0.get("/api/v1/me/results").await;
    assert_eq!(s, 200);
    assert_eq!(
        mine["results"],
        json!([]),
        "nothing before publication: {mine}"
    );

    // Issuance before publication is refused.
    let (s, b) = ba
        .post(
            &format!("/api/v1/plans/{plan}/certificates/requests"),
            json!({}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "certificate_error.not_final"
    );

    let (s, b) = ba
        .post(&format!("/api/v1/plans/{plan}/results/publish"), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = ba
        .post(&format!("/api/v1/plans/{plan}/results/publish"), json!({}))
        .await;
    assert_eq!(s, 409, "published once: {b}");
    // Published results change only through review: no irregularity afterwards.
    let (s, b) = planned
        .proctor
        .post(
            &format!("/api/v1/attempts/{}/irregularities", attempts[0]),
            json!({"outcome": "void", "description": "事后补记"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "result_error.already_published"
    );

    let (_, mine) = cand0.get("/api/v1/me/results").await;
    let r0 = &mine["results"][0];
    assert_eq!(r0["result"]["theory"]["score"], 100.0, "{mine}");
    assert_eq!(r0["breakdown"].as_array().unwrap().len(), 60);
    assert_eq!(r0["breakdown"][0]["outcome"], "correct");
    let text = mine.to_string();
    for leak in ["\"answer\"", "\"keys\"", "option_order", "\"key\""] {
        assert!(
            !text.contains(leak),
            "no key material in a candidate's result: {leak}"
        );
    }

    // The requester cannot approve; a proctor of the session cannot decide either.
    let (s, req) = ba
        .post(
            &format!("/api/v1/plans/{plan}/certificates/requests"),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{req}");
    let req_id = req["id"].as_i64().unwrap();
    let (s, b) = ba
        .post(
            &format!("/api/v1/certificates/requests/{req_id}"),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "certificate_error.same_person"
    );
    // A second admin who also proctored the session must stand aside.
    let proctor_admin = planned.proctor_ids[1];
    let (s, b) = admin
        .post(
            &format!("/api/v1/users/{proctor_admin}/roles"),
            json!({"role": "body_admin", "org_id": body_id}),
        )
        .await;
    assert!(s < 300, "{b}");
    let (_, pb) = admin.get(&format!("/api/v1/users/{proctor_admin}")).await;
    let pb_client = app.client();
    pb_client
        .login(pb["login"].as_str().unwrap(), "Correct-Horse-9")
        .await;
    let (s, b) = pb_client
        .post(
            &format!("/api/v1/certificates/requests/{req_id}"),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error"]["fields"][0]["code"],
        "certificate_error.examined"
    );

    // A second admin who did not examine approves: the two passing candidates get
    // numbers 000001 and 000002 of the body's series for the year and level.
    let tag = common::hex_id();
    user(&admin, &format!("bb{tag}"), body_id, "body_admin").await;
    let second = app.client();
    second.login(&format!("bb{tag}"), "Correct-Horse-9").await;
    let (s, issued) = second
        .post(
            &format!("/api/v1/certificates/requests/{req_id}"),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, 200, "{issued}");
    let numbers: Vec<String> = issued["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    assert_eq!(numbers.len(), 2, "{issued}");
    let yy = skillcert::today().year() % 100;
    for (i, n) in numbers.iter().enumerate() {
        assert_eq!(n.len(), 22, "{n}");
        assert_eq!(n, &format!("S000032320100{yy:02}5{:06}", i + 1));
    }

    // The upward report: CSV with a BOM and XLSX, with the numbers as text.
    let res = ba
        .http
        .get(app.url(&format!("/plans/{plan}/results/export?format=csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let csv = res.bytes().await.unwrap();
    assert_eq!(&csv[..3], &[0xEF, 0xBB, 0xBF]);
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.starts_with("序号,准考证号,姓名"), "{text}");
    assert!(text.contains(&numbers[0]) && text.contains("合格") && text.contains("不合格"));
    assert!(
        !text.contains(&id_number(0)),
        "document numbers leave masked"
    );
    let res = ba
        .http
        .get(app.url(&format!("/api/v1/plans/{plan}/results/export?format=xlsx")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let xlsx = res.bytes().await.unwrap().to_vec();
    {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        let found = range
            .rows()
            .any(|r| r.iter().any(|c| c.to_string() == numbers[1]));
        assert!(found, "the XLSX lists the certificate numbers");
    }
    let (s, _) = app
        .client()
        .get(&format!("/api/v1/plans/{plan}/results/export"))
        .await;
    assert_eq!(s, 401);

    // The holder sees it; public verification shows a masked name and nothing more.
    let (_, certs) = cand0.get("/api/v1/me/certificates").await;
    let mine = &certs["certificates"][0];
    assert_eq!(mine["status"], "valid", "{certs}");
    let number = mine["number"].as_str().unwrap().to_string();
    let anon = app.client();
    let (s, v) = anon.get(&format!("/api/v1/verify/{number}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["holder"], "考*0", "{v}");
    assert_eq!(v["status"], "valid");
    assert_eq!(v["level"], 5);
    assert!(
        v.get("person_id").is_none() && v.get("score").is_none(),
        "{v}"
    );
    let (s, page) = anon.get_text(&format!("/verify/{number}")).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("考*0") && !page.contains("考生0"),
        "masked on the page"
    );
    let (s, _) = anon.get("/api/v1/verify/S0000323201002650000999").await;
    assert_eq!(s, 404);

    // The holder's printable page carries a QR code of the public address.
    let cert_id = mine["id"].as_i64().unwrap();
    let (s, page) = cand0.get_text(&format!("/certificates/{cert_id}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("<svg") && page.contains(&format!("/verify/{number}")));
    // Nobody signed in cannot open it.
    let (s, _) = app
        .client()
        .get(&format!("/api/v1/certificates/{cert_id}"))
        .await;
    assert_eq!(s, 401);

    // Revocation with a reason shows at once; a revoked certificate stays revoked.
    let (s, b) = ba
        .post(
            &format!("/api/v1/certificates/{cert_id}/status"),
            json!({"status": "revoked", "reason": ""}),
        )
        .await;
    assert_eq!(s, 422, "a reason is required: {b}");
    let (s, b) = ba
        .post(
            &format!("/api/v1/certificates/{cert_id}/status"),
            json!({"status": "revoked", "reason": "成绩复核后不合格"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, v) = anon.get(&format!("/api/v1/verify/{number}")).await;
    assert_eq!(v["status"], "revoked");
    assert_eq!(v["status_reason"], "成绩复核后不合格");
    let (s, _) = ba
        .post(
            &format!("/api/v1/certificates/{cert_id}/status"),
            json!({"status": "valid", "reason": "误撤"}),
        )
        .await;
    assert_eq!(s, 422);

    // The certificate as a signed credential: the holder downloads it; anyone checks it
    // (signature, issuer, status now); a changed copy fails; offline with the CLI, and
    // against the signed status list, which shows the revocation.
    let res = cand0
        .http
        .get(app.url(&format!("/api/v1/certificates/{cert_id}/credential")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let vc: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(vc["certificateNumber"], number.as_str());
    assert_eq!(
        vc["credentialSubject"]["name"], "考*0",
        "masked in the credential"
    );
    assert_eq!(vc["proof"]["cryptosuite"], "eddsa-jcs-2022");
    let anyone = app.client();
    let (s, chk) = anyone.post("/api/v1/verify/credential", vc.clone()).await;
    assert_eq!(s, 200, "{chk}");
    assert_eq!(
        (
            chk["signature_valid"].as_bool(),
            chk["issued_here"].as_bool(),
            chk["status"].as_str()
        ),
        (Some(true), Some(true), Some("revoked")),
        "{chk}"
    );
    let mut forged = vc.clone();
    forged["credentialSubject"]["achievement"]["name"] = json!("4-10-01-05 养老护理员 1级");
    let (_, chk) = anyone
        .post("/api/v1/verify/credential", forged.clone())
        .await;
    assert_eq!(chk["signature_valid"], false, "{chk}");
    let (s, list) = anyone.get("/credentials/status").await;
    assert_eq!(s, 200);
    let files = tempfile::tempdir().unwrap();
    let vc_file = files.path().join("vc.json");
    let list_file = files.path().join("status.json");
    let forged_file = files.path().join("forged.json");
    std::fs::write(&vc_file, vc.to_string()).unwrap();
    std::fs::write(&list_file, list.to_string()).unwrap();
    std::fs::write(&forged_file, forged.to_string()).unwrap();
    let cli = |args: &[&std::path::Path]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_skillcert"));
        c.arg("verify-credential").arg(args[0]);
        if let Some(list) = args.get(1) {
            c.arg("--status-list").arg(list);
        }
        c.output().unwrap()
    };
    let out = cli(&[&vc_file]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !cli(&[&forged_file]).status.success(),
        "a changed credential fails"
    );
    let out = cli(&[&vc_file, &list_file]);
    assert!(!out.status.success(), "revoked in the status list");
    assert!(String::from_utf8_lossy(&out.stdout).contains("REVOKED"));

    // Another body's admin sees none of it.
    let other = admin
        .create_body(&format!("另一机构{}", common::hex_id()))
        .await;
    user(&admin, &format!("ob{tag}"), other, "body_admin").await;
    let ob = app.client();
    ob.login(&format!("ob{tag}"), "Correct-Horse-9").await;
    for path in [
        format!("/api/v1/plans/{plan}/results"),
        format!("/api/v1/plans/{plan}/certificates"),
        format!("/api/v1/certificates/{cert_id}"),
    ] {
        let (s, b) = ob.get(&path).await;
        assert_eq!(s, 404, "{path}: {b}");
    }
    let (s, _) = ob
        .post(
            &format!("/api/v1/certificates/{cert_id}/status"),
            json!({"status": "suspended", "reason": "x"}),
        )
        .await;
    assert_eq!(s, 404);

    // In a real browser: the body's results page, the holder's dashboard and printable
    // certificate, and public verification of the revoked certificate (screenshots).
    if let Some((c, _driver, _profile)) = common::browser::browser().await {
        use common::browser::{click, fill, shot, text};
        let sign_in = |login: String| {
            let c = &c;
            let url = app.url("/login");
            async move {
                c.goto(&url).await.unwrap();
                fill(c, "#login", &login).await;
                fill(c, "#password", "Correct-Horse-9").await;
                click(c, "#login-submit").await;
            }
        };
        sign_in(format!("bb{tag}")).await;
        c.goto(&app.url(&format!("/plans/{plan}/results")))
            .await
            .unwrap();
        let table = text(&c, "#results").await;
        assert!(
            table.contains(&numbers[1]) && table.contains("合格"),
            "{table}"
        );
        shot(&c, "body_admin-results").await;
        c.goto(&app.url(&format!("/certificates/{cert_id}")))
            .await
            .unwrap();
        assert!(text(&c, "#cert-status").await.contains("已撤销"));
        shot(&c, "body_admin-certificate").await;
        click(&c, "#logout").await;
        sign_in("cand0".into()).await;
        let results = text(&c, "#my-results").await;
        assert!(
            results.contains("100") && results.contains("合格"),
            "{results}"
        );
        shot(&c, "candidate-dashboard-results").await;
        c.goto(&app.url(&format!("/certificates/{cert_id}")))
            .await
            .unwrap();
        shot(&c, "candidate-certificate").await;
        c.goto(&app.url("/record")).await.unwrap();
        assert!(text(&c, "#record-certificates").await.contains(&number));
        shot(&c, "candidate-record").await;
        click(&c, "#logout").await;
        c.goto(&app.url("/verify")).await.unwrap();
        fill(
            &c,
            "#verify-form input[name=number]",
            &number.to_lowercase(),
        )
        .await;
        click(&c, "#verify-form button").await;
        assert_eq!(text(&c, "#verify-status").await, "已撤销");
        assert_eq!(text(&c, "#verify-holder").await, "考*0");
        shot(&c, "public-verify-revoked").await;
    }

    // Verification is rate-limited per address.
    let mut limited = false;
    for _ in 0..40 {
        let (s, _) = anon.get(&format!("/api/v1/verify/{number}")).await;
        if s == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "the limit of 30 a minute applies");
    app.stop().await;
}

#[tokio::test]
async fn a_review_changes_a_result_and_its_certificate_falls_at_once() {
    let app = TestApp::spawn_with(|c| c.exams.review_window_hours = 0).await;
    let planned = plan_elderly_care(&app, 600, 2).await;
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let plan = planned.plan_id;
    let mut cands = Vec::new();
    for i in 0..2 {
        cands.push(exam_login(&app, &planned.admissions[i], &id_number(i)).await);
    }
    planned.admit_all().await;
    for (i, c) in cands.iter().enumerate() {
        let (s, _) = c.post("/api/v1/exam/start", json!({})).await;
        assert_eq!(s, 200);
        let (_, st) = c.get("/api/v1/exam/state").await;
        let mut answers = right_answers(&app, st["attempt_id"].as_i64().unwrap()).await;
        if i == 1 {
            // 19 single-choice questions wrong: 100 − 38 = 62, just over the pass mark.
            for (_, a) in answers
                .iter_mut()
                .filter(|(_, a)| a.as_array().is_some_and(|k| k.len() == 1))
                .take(19)
            {
                *a = if *a == json!([0]) {
                    json!([1])
                } else {
                    json!([0])
                };
            }
        }
        answer_all(c, &answers).await;
        let (s, _) = c.post("/api/v1/exam/submit", json!({})).await;
        assert_eq!(s, 200);
    }
    let ba = &planned.body_admin;
    for _ in 0..100 {
        let (_, r) = ba.get(&format!("/api/v1/plans/{plan}/results")).await;
        if r["scored"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (s, b) = ba
        .post(&format!("/api/v1/plans/{plan}/results/publish"), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");

    // The window has closed (0 hours here): the candidate can no longer ask.
    let admin = app.admin().await;
    admin
        .create_user(
            json!({"login": "cand1", "password": "Correct-Horse-9", "org_id": planned.body_id,
                            "role": "candidate", "name": "考生1", "document_number": id_number(1)}),
        )
        .await;
    let cand1 = app.client();
    cand1.login("cand1", "Correct-Horse-9").await;
    let (s, b) = cand1
        .post(
            &format!("/api/v1/me/results/{plan}/review"),
            json!({"reason": "第5题"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "review_error.closed");

    // Both pass and get their certificates.
    let tag = common::hex_id();
    user(&admin, &format!("bb{tag}"), planned.body_id, "body_admin").await;
    let second = app.client();
    second.login(&format!("bb{tag}"), "Correct-Horse-9").await;
    let (s, req) = ba
        .post(
            &format!("/api/v1/plans/{plan}/certificates/requests"),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{req}");
    let (s, issued) = second
        .post(
            &format!("/api/v1/certificates/requests/{}", req["id"]),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(s, 200, "{issued}");
    assert_eq!(issued["numbers"].as_array().unwrap().len(), 2);
    let (_, certs) = cand1.get("/api/v1/me/certificates").await;
    let number = certs["certificates"][0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, v) = app.client().get(&format!("/api/v1/verify/{number}")).await;
    assert_eq!(v["status"], "valid");

    // Subsidies: candidate 0's certificate is eligible; recorded once; then refused by
    // the rule that decides.
    let c0cert = {
        let (_, certs) = ba.get(&format!("/api/v1/plans/{plan}/certificates")).await;
        certs["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["number"] != number.as_str())
            .unwrap()["number"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (s, chk) = ba.get(&format!("/api/v1/subsidies/check/{c0cert}")).await;
    assert_eq!(s, 200, "{chk}");
    assert_eq!(
        (chk["eligible"].as_bool(), chk["rule"].clone()),
        (Some(true), Value::Null)
    );
    let (s, b) = ba
        .post(
            "/api/v1/subsidies",
            json!({"number": c0cert, "amount": 1500, "payee": "person", "payee_name": "考生0"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (_, chk) = ba.get(&format!("/api/v1/subsidies/check/{c0cert}")).await;
    assert_eq!(chk["rule"], "same_occupation_level", "{chk}");
    let (s, b) = ba
        .post(
            "/api/v1/subsidies",
            json!({"number": c0cert, "amount": 1500, "payee": "person", "payee_name": "考生0"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let (_, ledger) = admin.get("/api/v1/subsidies").await;
    assert_eq!(ledger["subsidies"].as_array().unwrap().len(), 1, "{ledger}");
    // Training hours and credits: the body records a course by document; bad input
    // names its field and records nothing; the person's record sums them.
    let course = |hours: f64, name: &str| {
        json!({"body_id": planned.body_id, "name": name, "id_number": id_number(1),
               "course": "失能老人照护专项培训", "occupation_code": "4-10-01-05",
               "hours": hours, "credits": 2.5, "completed_on": "2026-03-01"})
    };
    let (s, b) = ba.post("/api/v1/training", course(0.0, "考生1")).await;
    assert_eq!(
        (s, b["error"]["fields"][0]["field"].as_str()),
        (422, Some("hours")),
        "{b}"
    );
    let (s, b) = ba.post("/api/v1/training", course(40.0, "别人")).await;
    assert_eq!(
        (s, b["error"]["fields"][0]["field"].as_str()),
        (422, Some("name")),
        "{b}"
    );
    let (s, b) = ba.post("/api/v1/training", course(40.0, "考生1")).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = ba.post("/api/v1/training", course(16.5, "考生1")).await;
    assert_eq!(s, 201, "{b}");
    let (s, record) = cand1.get("/record?format=json").await;
    assert_eq!(s, 200);
    assert_eq!(record["training"].as_array().unwrap().len(), 2, "{record}");
    assert_eq!(record["training_totals"]["hours"], 56.5);
    assert_eq!(record["training_totals"]["credits"], 5.0);
    let (_, page) = cand1.get_text("/record").await;
    assert!(page.contains("失能老人照护专项培训") && page.contains("56.5"));
    let (s, page) = ba.get_text("/training").await;
    assert_eq!(s, 200);
    assert!(page.contains("失能老人照护专项培训"));
    let (s, page) = ba.get_text("/subsidies").await;
    assert_eq!(s, 200);
    assert!(page.contains(&c0cert));

    // An inspection finds the scoring wrong: the regulator opens an official review;
    // one open at a time; a proctor of the session cannot decide it.
    let official =
        json!({"admission_no": planned.admissions[1], "reason": "督导抽查发现第12题计分错误"});
    let (s, rv) = admin
        .post(&format!("/api/v1/plans/{plan}/reviews"), official.clone())
        .await;
    assert_eq!(s, 201, "{rv}");
    let (s, _) = admin
        .post(&format!("/api/v1/plans/{plan}/reviews"), official)
        .await;
    assert_eq!(s, 422, "one open review at a time");
    let (s, b) = ba
        .post(
            &format!("/api/v1/plans/{plan}/reviews"),
            json!({"admission_no": planned.admissions[0], "reason": "x"}),
        )
        .await;
    assert_eq!(s, 403, "only the regulator opens official reviews: {b}");
    let review = rv["id"].as_i64().unwrap();
    let proctor_admin = planned.proctor_ids[0];
    admin
        .post(
            &format!("/api/v1/users/{proctor_admin}/roles"),
            json!({"role": "body_admin", "org_id": planned.body_id}),
        )
        .await;
    let (_, pu) = admin.get(&format!("/api/v1/users/{proctor_admin}")).await;
    let pc = app.client();
    pc.login(pu["login"].as_str().unwrap(), "Correct-Horse-9")
        .await;
    let decision =
        json!({"changed": true, "adjustment": -4, "decision": "第12题多计4分，予以更正"});
    let (s, b) = pc
        .post(&format!("/api/v1/reviews/{review}"), decision.clone())
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error"]["fields"][0]["code"], "review_error.examined");

    // The second admin changes it by −4: 58 fails, and the certificate falls at once.
    let (s, b) = second
        .post(&format!("/api/v1/reviews/{review}"), decision.clone())
        .await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = second
        .post(&format!("/api/v1/reviews/{review}"), decision)
        .await;
    assert_eq!(s, 422, "decided once: {b}");
    let (_, v) = app.client().get(&format!("/api/v1/verify/{number}")).await;
    assert_eq!(v["status"], "revoked", "{v}");
    assert!(
        v["status_reason"]
            .as_str()
            .unwrap()
            .contains("成绩复核后不合格"),
        "{v}"
    );
    let (_, r) = ba.get(&format!("/api/v1/plans/{plan}/results")).await;
    let c1 = r["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["admission_no"] == planned.admissions[1].as_str())
        .unwrap()
        .clone();
    assert_eq!(c1["theory"]["score"], 58.0, "{c1}");
    assert_eq!(
        (c1["passed"].as_bool(), c1["review"].as_str()),
        (Some(false), Some("changed"))
    );
    let (_, mine) = cand1.get("/api/v1/me/results").await;
    assert_eq!(mine["results"][0]["result"]["theory"]["score"], 58.0);
    // The person's skills record, on a page and as a file they keep.
    let (s, page) = cand1.get_text("/record").await;
    assert_eq!(s, 200);
    assert!(
        page.contains(&number) && page.contains("58"),
        "record lists results and certificates"
    );
    let (s, rec) = cand1.get("/record?format=json").await;
    assert_eq!(s, 200, "{rec}");
    assert_eq!(rec["certificates"][0]["number"], number.as_str());
    assert_eq!(rec["results"][0]["result"]["theory"]["score"], 58.0);
    // A revoked certificate is not subsidised.
    let (_, chk) = ba.get(&format!("/api/v1/subsidies/check/{number}")).await;
    assert_eq!(chk["rule"], "certificate_not_valid", "{chk}");
    // The other candidate's certificate stands.
    let (_, c0certs) = ba.get(&format!("/api/v1/plans/{plan}/certificates")).await;
    let statuses: Vec<&str> = c0certs["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == "valid").count(),
        1,
        "{statuses:?}"
    );

    // Auditable papers: drawn again from the recorded seed, pool and exclusions, each
    // paper is the one the candidate was given; the regulator asks over the API, an
    // operator with `skillcert paper verify`; a paper changed afterwards is caught.
    let attempt = r["candidates"][0]["attempt_id"].as_i64().unwrap();
    let (s, check) = admin
        .get(&format!("/api/v1/attempts/{attempt}/paper-check"))
        .await;
    assert_eq!(s, 200, "{check}");
    assert_eq!(check["identical"], true, "{check}");
    assert_eq!(check["items"], 60);
    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_skillcert"))
            .args(["paper", "verify", "--attempt", &attempt.to_string()])
            .env("SKILLCERT_DATA_DIR", app.dir.path())
            .env_remove("SKILLCERT_DATABASE_URL")
            .output()
            .unwrap()
    };
    let out = verify();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("identical"), "{said}");
    let (s, _) = app
        .client()
        .get(&format!("/api/v1/attempts/{attempt}/paper-check"))
        .await;
    assert_eq!(s, 401);
    let db = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        app.dir.path().join("skillcert.db").display()
    ))
    .await
    .unwrap();
    let paper: String =
        sqlx::query_scalar("SELECT paper FROM attempt_papers WHERE attempt_id = $1")
            .bind(attempt)
            .fetch_one(&db)
            .await
            .unwrap();
    let mut paper: Value = serde_json::from_str(&paper).unwrap();
    paper["items"].as_array_mut().unwrap().swap(0, 1);
    sqlx::query("UPDATE attempt_papers SET paper = $1 WHERE attempt_id = $2")
        .bind(paper.to_string())
        .bind(attempt)
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let (_, check) = admin
        .get(&format!("/api/v1/attempts/{attempt}/paper-check"))
        .await;
    assert_eq!(check["identical"], false, "{check}");
    assert!(
        check["differences"][0]
            .as_str()
            .unwrap()
            .starts_with("position 1"),
        "{check}"
    );
    assert!(
        !verify().status.success(),
        "a changed paper fails the check"
    );
    app.stop().await;
}
