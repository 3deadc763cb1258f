//! Stored XSS, in a real browser: a corpus of a few hundred payloads is put into the
//! text fields users write (bank items' stems, options and explanations; names of sites,
//! rooms, accounts, candidates and plans; irregularities, findings, ledger notes,
//! training courses; a body's name, which certificates and public verification show; a
//! candidate's written answer and the assessors' notes on it; a certificate's suspension
//! reason), then the views of the regulator, a body admin, a proctor, an inspector, an
//! author, a reviewer, an assessor, the candidate's exam page and the public
//! verification page are opened in headless Chromium with a hook installed before any
//! page script runs. The test fails
//! if a payload runs (`xss(n)` called), if the page's Content-Security-Policy had to
//! block anything (markup got through even though it could not run), or if a page
//! holds an element or attribute a payload would have brought (inline handlers,
//! `<script>` without `src`, frames, objects, `<base>`, `<meta http-equiv>`).

mod common;

use common::browser::{browser, click, fill, shot};
use common::exams::{
    elderly_care_bank, exam_login, id_number, plan_elderly_care_in, plan_elderly_care_of, user,
};
use common::issued::{issue, publish};
use common::marking::marked_short_answer;
use common::scenario::{key_reader, PASSWORD};
use common::{Client as Api, TestApp};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::Client;
use serde_json::{json, Value};

/// The payloads: each vector in several contexts (bare, breaking out of a double- or
/// single-quoted attribute, of a backtick, of a table cell, a comment, a textarea, a
/// title), in lower and mixed case. `{n}` is the payload's number.
fn corpus() -> Vec<String> {
    let vectors = [
        "<script>xss({n})</script>",
        "<img src=x onerror=xss({n})>",
        "<svg onload=xss({n})>",
        "<svg><script>xss({n})</script></svg>",
        "<iframe src=\"javascript:xss({n})\"></iframe>",
        "<a href=\"javascript:xss({n})\">链接</a>",
        "<a href=\"&#106;avascript:xss({n})\">链接</a>",
        "<body onload=xss({n})>",
        "<details open ontoggle=xss({n})>",
        "<input autofocus onfocus=xss({n})>",
        "<video><source onerror=xss({n})></video>",
        "<object data=\"javascript:xss({n})\"></object>",
        "<embed src=\"javascript:xss({n})\">",
        "<base href=\"javascript:xss({n})//\">",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:xss({n})\">",
        "<form action=\"javascript:xss({n})\"><button>提交</button></form>",
        "<math><mtext><table><mglyph><style><img src=x onerror=xss({n})>",
        "<noscript><p title=\"</noscript><img src=x onerror=xss({n})>\">",
        "<div style=\"background:url(javascript:xss({n}))\">x</div>",
        "<img src=\"x\" onerror=\"&#x78;ss({n})\">",
        "<scr<script>ipt>xss({n})</scr</script>ipt>",
        "{{{{xss}}}}<img src=x onerror=xss({n})>",
        "<p onmouseover=xss({n}) style=\"position:fixed;inset:0\">考</p>",
        "<marquee onstart=xss({n})>走马灯</marquee>",
        "<isindex type=image src=1 onerror=xss({n})>",
        "<svg><animate onbegin=xss({n}) attributeName=x dur=1s>",
    ];
    let contexts = [
        "{v}",
        "\"{v}",
        "'{v}",
        "`{v}",
        "</td>{v}",
        "--!>{v}",
        "</textarea>{v}",
        "</title>{v}",
        "题干{v}结束",
        "{V}",
    ];
    let mut out = Vec::new();
    for c in contexts {
        for v in vectors {
            let n = out.len();
            let mixed: String = v
                .chars()
                .enumerate()
                .map(|(i, ch)| match i % 2 {
                    0 => ch.to_ascii_uppercase(),
                    _ => ch,
                })
                .collect();
            let p = c.replace("{v}", v).replace("{V}", &mixed);
            out.push(
                p.replace("{n}", &n.to_string())
                    .replace("{N}", &n.to_string()),
            );
        }
    }
    out
}

/// ChromeDriver's door to the DevTools protocol: a script that runs in every new
/// document before the page's own.
#[derive(Debug)]
struct AddScriptOnNewDocument(String);

impl WebDriverCompatibleCommand for AddScriptOnNewDocument {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        let body = json!({"cmd": "Page.addScriptToEvaluateOnNewDocument",
                          "params": {"source": self.0}});
        (axum::http::Method::POST, Some(body.to_string()))
    }
}

/// Records payloads that ran and everything the CSP blocked.
const HOOK: &str = "window.__xss = [];
  window.xss = function (n) { window.__xss.push('ran payload ' + n); };
  document.addEventListener('securitypolicyviolation', function (e) {
    window.__xss.push('blocked ' + e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sample || ''));
  }, true);";

/// What a payload would have left in the page.
const INJECTED: &str = "var bad = [];
  document.querySelectorAll('*').forEach(function (e) {
    for (var i = 0; i < e.attributes.length; i++) {
      var a = e.attributes[i];
      if (/^on/i.test(a.name) || /^\\s*javascript:/i.test(a.value)) bad.push(e.tagName + ' ' + a.name + '=' + a.value);
    }
  });
  document.querySelectorAll('script:not([src]):not([type=\"application/json\"]), iframe, object, embed, base, meta[http-equiv=refresh], isindex, marquee')
    .forEach(function (e) { bad.push(e.outerHTML.slice(0, 120)); });
  return bad.concat(window.__xss || []);";

struct World {
    /// (role, login, password) and the pages each reads.
    visits: Vec<(&'static str, String, String, Vec<String>)>,
    /// Pages anyone may open, read without signing in.
    public: Vec<String>,
    /// (page, payload): the page must show the payload as text, so a view that stops
    /// showing the field cannot pass for a safe one.
    shown: Vec<(String, String)>,
    admission: String,
    id_number: String,
    /// Payloads stored (the rest were refused by the field's rules, which is fine).
    stored: usize,
    refused: usize,
}

/// Stores payload `k` of the corpus through `call`, counting what was refused.
async fn put(stored: &mut usize, refused: &mut usize, what: &str, (s, b): (u16, Value)) -> Value {
    match s {
        200..=299 => *stored += 1,
        400 | 409 | 422 => {
            *refused += 1;
            let code = b["error"]["fields"][0]["code"].as_str().unwrap_or("?");
            println!("{what} refused: {code}");
        }
        _ => panic!("{what}: {s} {b}"),
    }
    b
}

async fn world(app: &TestApp, corpus: &[String]) -> World {
    let admin = app.admin().await;
    let tag = common::hex_id();
    let (mut stored, mut refused) = (0, 0);
    let mut next = corpus.iter().cycle();
    let mut p = || next.next().unwrap().clone();

    // The regulator's author writes one item per payload (stem, an option and the
    // explanation carry payloads); a reviewer approves them, so papers draw them.
    let (au, rv) = (format!("au{tag}"), format!("rv{tag}"));
    let author = key_reader(app, &admin, &au, "bank_author", &p()).await;
    let reviewer = key_reader(app, &admin, &rv, "bank_reviewer", &p()).await;
    let bank = elderly_care_bank(&admin).await;
    let mut items = Vec::new();
    for (k, payload) in corpus.iter().enumerate() {
        let item = json!({"type": "single_choice", "stem": format!("探针{k} {payload}"),
            "options": [{"key": "A", "text": payload}, {"key": "B", "text": "两小时"}, {"key": "C", "text": "四小时"}, {"key": "D", "text": "六小时"}],
            "correct": ["B"], "level": 5, "point": "B01", "difficulty": 2, "score": 1.0,
            "explanation": payload});
        let r = (author)
            .post(&format!("/api/v1/banks/{bank}/items"), item)
            .await;
        let b = put(&mut stored, &mut refused, "item", r).await;
        if let Some(id) = b["id"].as_i64() {
            items.push(id);
            for (c, action) in [(&author, "submit"), (&reviewer, "approve")] {
                let (s, b) = c
                    .post(
                        &format!("/api/v1/items/{id}/transition"),
                        json!({"action": action}),
                    )
                    .await;
                assert_eq!(s, 200, "{b}");
            }
        }
    }

    // A body with a plan: payloads in a site, a room, a proctor's name, the plan's
    // name, candidates' names, an irregularity, a finding, a ledger note, a course.
    let planned = plan_elderly_care_of(app, 3600, 0..3, 0, None).await;
    let body = planned.body_id;
    let ba = &planned.body_admin;
    let r = admin
        .post(
            "/api/v1/organisations",
            json!({"kind": "test_site", "parent_id": body, "name": p()}),
        )
        .await;
    let site = put(&mut stored, &mut refused, "site", r).await;
    if let Some(site) = site["id"].as_i64() {
        let r = admin
            .post(
                "/api/v1/organisations",
                json!({"kind": "room", "parent_id": site, "name": p(), "capacity": 30}),
            )
            .await;
        put(&mut stored, &mut refused, "room", r).await;
    }
    let r = admin
        .post("/api/v1/users", json!({"login": format!("px{tag}"), "display_name": p(), "password": PASSWORD,
                                      "org_id": body, "role": "proctor", "must_change_password": false}))
        .await;
    put(&mut stored, &mut refused, "proctor", r).await;
    let r = ba
        .post(
            "/api/v1/plans",
            json!({"body_id": body, "occupation_code": "4-10-01-05", "level": 5,
            "name": p(), "exam_date": skillcert::today().to_string(), "duration_seconds": 3600}),
        )
        .await;
    put(&mut stored, &mut refused, "plan", r).await;
    for k in 0..5 {
        let r = ba
            .post(
                &format!("/api/v1/plans/{}/candidates", planned.plan_id),
                json!({"candidates": [{"name": p(), "id_number": id_number(10 + k), "session_id": planned.session_id}]}),
            )
            .await;
        put(&mut stored, &mut refused, "candidate", r).await;
    }
    let (s, b) = planned.close_roster().await;
    assert_eq!(s, 200, "{b}");
    let cand = exam_login(app, &planned.admissions[0], &id_number(0)).await;
    planned.admit_all().await;
    let (s, _) = cand.post("/api/v1/exam/start", json!({})).await;
    assert_eq!(s, 200);
    let (_, st) = cand.get("/api/v1/exam/state").await;
    let attempt = st["attempt_id"].as_i64().unwrap();
    let r = planned
        .proctor
        .post(
            &format!("/api/v1/attempts/{attempt}/irregularities"),
            json!({"outcome": "warning", "description": p()}),
        )
        .await;
    put(&mut stored, &mut refused, "irregularity", r).await;
    let qi = format!("qi{tag}");
    let qi_id = user(&admin, &qi, 1, "quality_inspector").await;
    let (s, b) = admin
        .post(
            &format!("/api/v1/plans/{}/inspectors", planned.plan_id),
            json!({"user_id": qi_id}),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let inspector = Api::new(&app.url(""));
    inspector.login(&qi, PASSWORD).await;
    let r = inspector
        .post(
            &format!("/api/v1/plans/{}/findings", planned.plan_id),
            json!({"subject": "session", "subject_id": planned.session_id, "category": "identity",
                   "severity": "minor", "evidence": p()}),
        )
        .await;
    put(&mut stored, &mut refused, "finding", r).await;
    let r = admin
        .post(
            "/api/v1/credit/events",
            json!({"subject_kind": "body", "subject_id": body, "rule_code": "B01", "evidence": "", "note": p()}),
        )
        .await;
    put(&mut stored, &mut refused, "ledger event", r).await;
    let r = ba
        .post(
            "/api/v1/training",
            json!({"body_id": body, "name": "考生0", "id_number": id_number(0), "course": p(), "hours": 8, "credits": 1,
                   "completed_on": skillcert::today().to_string()}),
        )
        .await;
    put(&mut stored, &mut refused, "training", r).await;

    let assessed = assessed(app, &mut p, &mut stored, &mut refused).await;

    let ba_login = {
        let (_, me) = ba.get("/api/v1/me").await;
        me["login"].as_str().unwrap().to_string()
    };
    let plan = planned.plan_id;
    let session = planned.session_id;
    let mut bank_pages: Vec<String> = (1..=corpus.len().div_ceil(50))
        .map(|n| format!("/banks/{bank}?q=%E6%8E%A2%E9%92%88&page={n}"))
        .collect();
    bank_pages.extend(items.iter().step_by(37).map(|i| format!("/items/{i}")));
    let visits = vec![
        (
            "regulator_admin",
            "admin".to_string(),
            common::ADMIN_PASSWORD.to_string(),
            vec![
                "/orgs".to_string(),
                format!("/orgs/{body}"),
                "/users".into(),
                "/audit".into(),
                "/plans".into(),
                format!("/plans/{plan}"),
                format!("/inspect/plans/{plan}"),
                "/credit".into(),
                format!("/credit/body/{body}"),
                "/reports".into(),
            ],
        ),
        (
            "body_admin",
            ba_login,
            PASSWORD.to_string(),
            vec![
                "/".to_string(),
                "/plans".into(),
                format!("/plans/{plan}"),
                format!("/plans/{plan}/tickets"),
                "/users".into(),
                "/training".into(),
                format!("/credit/body/{body}"),
            ],
        ),
        (
            "proctor",
            planned.proctor_login.clone(),
            PASSWORD.to_string(),
            vec![
                "/proctor".to_string(),
                format!("/proctor/sessions/{session}"),
            ],
        ),
        (
            "quality_inspector",
            qi,
            PASSWORD.to_string(),
            vec![format!("/inspect/plans/{plan}"), "/credit".into()],
        ),
        ("bank_author", au, PASSWORD.to_string(), bank_pages.clone()),
        ("bank_reviewer", rv, PASSWORD.to_string(), bank_pages),
    ];
    let mut visits = visits;
    visits.extend(assessed.visits);
    World {
        visits,
        public: assessed.public,
        shown: assessed.shown,
        admission: planned.admissions[0].clone(),
        id_number: id_number(0),
        stored,
        refused,
    }
}

/// What [`assessed`] leaves to look at.
struct Assessed {
    visits: Vec<(&'static str, String, String, Vec<String>)>,
    public: Vec<String>,
    shown: Vec<(String, String)>,
}

/// The stages after the exam, with payloads: a body whose name is a payload takes a
/// plan to issued certificates (one suspended with a payload as the reason, which
/// public verification shows); in another plan a candidate writes payloads as a short
/// answer and three assessors mark it with payloads as their notes.
async fn assessed(
    app: &TestApp,
    p: &mut impl FnMut() -> String,
    stored: &mut usize,
    refused: &mut usize,
) -> Assessed {
    let tag = common::hex_id();
    // Names are at most 100 characters: the payload is cut, never the unique tag.
    let body_name: String = p().chars().take(100 - tag.len()).collect::<String>() + &tag;
    let issued = plan_elderly_care_in(app, &body_name, 600, 20..22, 0, None).await;
    *stored += 1;
    let (issued, numbers) = issue(app, publish(app, issued).await).await;
    let ba = &issued.body_admin;
    let (s, certs) = ba
        .get(&format!("/api/v1/plans/{}/certificates", issued.plan_id))
        .await;
    assert_eq!(s, 200, "{certs}");
    let cert_ids: Vec<i64> = certs["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    let suspended_number = certs["certificates"][0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let reason = p();
    let r = ba
        .post(
            &format!("/api/v1/certificates/{}/status", cert_ids[0]),
            json!({"status": "suspended", "reason": reason}),
        )
        .await;
    put(stored, refused, "suspension reason", r).await;
    let issued_ba_login = {
        let (_, me) = ba.get("/api/v1/me").await;
        me["login"].as_str().unwrap().to_string()
    };

    // A short answer written in payloads, marked by a panel of three with payloads as
    // their notes (the panel sees each other's notes once all have marked).
    let written = format!("{} 翻身 {} 减压 {}", p(), p(), p());
    let mut notes = Vec::new();
    let marked = marked_short_answer(app, 30, &written, || {
        let note = p();
        notes.push(note.clone());
        note
    })
    .await;
    *stored += 3 + notes.len();
    let (attempt, position) = (marked.attempt, marked.position);
    let task_page = format!("/marking/{attempt}/{position}");
    let mut visits = vec![
        (
            "body_admin",
            issued_ba_login,
            PASSWORD.to_string(),
            vec![
                format!("/plans/{}/results", issued.plan_id),
                format!("/certificates/{}", cert_ids[0]),
                format!("/certificates/{}", cert_ids[1]),
                "/subsidies".to_string(),
            ],
        ),
        (
            "regulator_admin",
            "admin".to_string(),
            common::ADMIN_PASSWORD.to_string(),
            vec![
                format!("/certificates/{}", cert_ids[0]),
                format!("/plans/{}/results", issued.plan_id),
            ],
        ),
    ];
    for (login, _) in &marked.assessors {
        visits.push((
            "assessor",
            login.clone(),
            PASSWORD.to_string(),
            vec!["/marking".to_string(), task_page.clone()],
        ));
    }
    let verify = |n: &str| format!("/verify/{n}");
    let mut shown = vec![(verify(&suspended_number), reason.clone())];
    for n in &numbers {
        shown.push((verify(n), body_name.clone()));
    }
    for id in &cert_ids {
        shown.push((format!("/certificates/{id}"), body_name.clone()));
    }
    shown.push((format!("/certificates/{}", cert_ids[0]), reason));
    // Every assessor has marked, so each sees the panel's notes beside the answer.
    for text in notes.iter().chain([&written]) {
        shown.push((task_page.clone(), text.clone()));
    }
    Assessed {
        visits,
        public: numbers.iter().map(|n| verify(n)).collect(),
        shown,
    }
}

/// Checks that the page shows as text the payloads [`World::shown`] names for `path`;
/// returns how many it checked.
async fn check_shown(
    c: &Client,
    w: &World,
    who: &str,
    path: &str,
    problems: &mut Vec<String>,
) -> usize {
    let mut checked = 0;
    for (_, text) in w.shown.iter().filter(|(p, _)| p == path) {
        checked += 1;
        let on_page = c
            .execute(
                "return document.body.textContent.includes(arguments[0]);",
                vec![json!(text)],
            )
            .await
            .unwrap();
        if on_page != json!(true) {
            problems.push(format!("{who} {path}: does not show {text:?}"));
        }
    }
    checked
}

/// The page's verdict: what ran, what the CSP blocked, what was injected.
async fn verdict(c: &Client) -> Vec<String> {
    let v = c.execute(INJECTED, vec![]).await.unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stored_payload_runs_or_gets_through_in_any_view() {
    let Some((c, _driver, _profile)) = browser().await else {
        return;
    };
    c.issue_cmd(AddScriptOnNewDocument(HOOK.to_string()))
        .await
        .expect("the hook installs");
    // Results are final at publication, so certificates can be issued at once.
    let app = TestApp::spawn_with(|c| c.exams.review_window_hours = 0).await;
    let corpus = corpus();
    assert!(corpus.len() >= 250, "{}", corpus.len());
    let w = world(&app, &corpus).await;

    // The hook works: a page of this site that runs a payload is caught.
    c.goto(&app.url("/login")).await.unwrap();
    c.execute("xss(-1); return true;", vec![]).await.unwrap();
    assert_eq!(verdict(&c).await, vec!["ran payload -1".to_string()]);
    // And markup that got into a page is caught twice: the element it left, and the
    // CSP refusing to run its handler.
    c.goto(&app.url("/login")).await.unwrap();
    c.execute(
        "document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=xss(-2)>'); return true;",
        vec![],
    )
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let caught = verdict(&c).await;
    assert!(
        caught.iter().any(|b| b.contains("onerror"))
            && caught.iter().any(|b| b.starts_with("blocked script-src")),
        "{caught:?}"
    );

    let mut problems = Vec::new();
    let mut pages = 0;
    let mut shown = 0;
    for path in &w.public {
        c.goto(&app.url(path)).await.unwrap();
        pages += 1;
        for bad in verdict(&c).await {
            problems.push(format!("anyone {path}: {bad}"));
        }
        shown += check_shown(&c, &w, "anyone", path, &mut problems).await;
    }
    shot(&c, "xss-public-verify").await;
    for (k, (role, login, password, paths)) in w.visits.iter().enumerate() {
        c.goto(&app.url("/login")).await.unwrap();
        fill(&c, "#login", login).await;
        fill(&c, "#password", password).await;
        click(&c, "#login-submit").await;
        for path in paths {
            c.goto(&app.url(path)).await.unwrap();
            pages += 1;
            for bad in verdict(&c).await {
                problems.push(format!("{role} {path}: {bad}"));
            }
            shown += check_shown(&c, &w, role, path, &mut problems).await;
        }
        shot(&c, &format!("xss-{k:02}-{role}")).await;
        click(&c, "#logout").await;
    }
    // The candidate's exam page, with every question of the paper in it.
    c.goto(&app.url("/exam/login")).await.unwrap();
    fill(&c, "input[name=admission_no]", &w.admission).await;
    fill(&c, "input[name=id_number]", &w.id_number).await;
    click(&c, "#exam-login button[type=submit]").await;
    pages += 1;
    let on_paper: Value = c
        .execute(
            "return document.body.textContent.split('探针').length - 1;",
            vec![],
        )
        .await
        .unwrap();
    for bad in verdict(&c).await {
        problems.push(format!("candidate /exam: {bad}"));
    }
    shot(&c, "xss-candidate-exam").await;
    println!(
        "{} payloads; {} stored, {} refused by their field; {pages} pages opened, \
         {on_paper} payload items on the candidate's paper, {shown} payloads checked \
         shown as text; {} problems",
        corpus.len(),
        w.stored,
        w.refused,
        problems.len()
    );
    let unvisited: Vec<_> = w
        .shown
        .iter()
        .filter(|(p, _)| !w.public.contains(p) && !w.visits.iter().any(|v| v.3.contains(p)))
        .collect();
    assert!(unvisited.is_empty(), "never visited: {unvisited:?}");
    assert!(
        on_paper.as_u64().unwrap() > 0,
        "no payload item was drawn onto the paper"
    );
    assert!(
        w.stored >= 190,
        "most payloads must be stored for the views to show them: {}",
        w.stored
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    app.stop().await;
}
