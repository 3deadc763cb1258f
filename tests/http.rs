//! The service over real HTTP: a server on port 0 per test, a fresh SQLite database each
//! time (and PostgreSQL for the end-to-end flow when configured).

mod common;

use common::{TestApp, ADMIN_PASSWORD, ID_A, ID_B, ID_C};
use serde_json::{json, Value};
use skillcert::domain::policy::RoutePolicy;

fn field_codes(body: &Value) -> Vec<(String, String)> {
    body["error"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap_or("").to_string(),
                        f["code"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn health_reports_the_database() {
    let app = TestApp::spawn().await;
    let (s, b) = app.client().get("/healthz").await;
    assert_eq!(s, 200);
    assert_eq!(
        b,
        json!({"status": "ok", "database": "reachable", "backend": "sqlite"})
    );
    app.stop().await;
}

/// Every route comes from the one table, each with a policy; every route that is not
/// public refuses an anonymous caller (401 for the API, a redirect to the login page for
/// pages), whatever the method.
#[tokio::test]
async fn every_route_has_a_policy_and_enforces_it() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let table = skillcert::web::routes::table();
    let mut seen = std::collections::HashSet::new();
    let mut checked = 0;
    for spec in &table {
        assert!(
            seen.insert((spec.method.clone(), spec.path)),
            "duplicate route {} {}",
            spec.method,
            spec.path
        );
        if spec.policy == RoutePolicy::Public {
            continue;
        }
        let path = spec.path.replace("{id}", "1").replace("{code}", "en");
        let res = c
            .http
            .request(spec.method.clone(), app.url(&path))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        if path.starts_with("/api/") {
            assert_eq!(
                status, 401,
                "{} {} answered {status} to an anonymous caller",
                spec.method, spec.path
            );
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unauthenticated");
        } else {
            // Pages send anonymous callers to the login page (candidates' exam pages to
            // the exam-day login), or refuse the POST.
            let loc = res
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string());
            let login = if path.starts_with("/exam") {
                "/exam/login"
            } else {
                "/login"
            };
            assert!(
                (status == 303 && loc.as_deref().is_some_and(|l| l.starts_with(login)))
                    || status == 401,
                "{} {} answered {status} ({loc:?}) to an anonymous caller",
                spec.method,
                spec.path
            );
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} protected routes checked");
    // A candidate holds none of the admin roles: admin routes answer 403.
    let admin = app.admin().await;
    let body_id = admin.create_body("甲机构").await;
    admin
        .create_user(json!({"login": "cand1", "password": "candidate-pw-1", "org_id": body_id, "role": "candidate", "name": "李四", "document_number": ID_B}))
        .await;
    let cand = app.client();
    cand.login("cand1", "candidate-pw-1").await;
    for spec in table
        .iter()
        .filter(|s| matches!(s.policy, RoutePolicy::AnyRole(_)))
    {
        let path = spec.path.replace("{id}", "1");
        if !path.starts_with("/api/") {
            continue;
        }
        let res = cand
            .http
            .request(spec.method.clone(), app.url(&path))
            .header("x-csrf-token", cand.csrf())
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status().as_u16(),
            403,
            "{} {} let a candidate through",
            spec.method,
            spec.path
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn openapi_documents_every_api_route() {
    let app = TestApp::spawn().await;
    let (s, doc) = app.client().get("/api/v1/openapi.json").await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for spec in skillcert::web::routes::table()
        .iter()
        .filter(|r| r.path.starts_with("/api/"))
    {
        let method = spec.method.as_str().to_lowercase();
        assert!(
            doc["paths"][spec.path][&method].is_object(),
            "{} {} missing from the OpenAPI document",
            spec.method,
            spec.path
        );
    }
    assert!(doc["components"]["schemas"]["ErrorEnvelope"].is_object());
    assert!(doc["components"]["schemas"]["CreateUser"].is_object());
    // Each operation documents the status it succeeds with, and text parameters as text
    // (what schemathesis found the document getting wrong).
    let paths = &doc["paths"];
    assert!(paths["/api/v1/organisations"]["post"]["responses"]["201"].is_object());
    assert!(paths["/api/v1/auth/logout"]["post"]["responses"]["204"].is_object());
    assert!(paths["/api/v1/auth/logout"]["post"]["responses"]["204"]["content"].is_null());
    assert!(paths["/api/v1/me"]["get"]["responses"]["200"].is_object());
    assert_eq!(
        paths["/api/v1/verify/{number}"]["get"]["parameters"][0]["schema"]["type"],
        "string"
    );
    // Any JSON value is documented as such, not as an object.
    let correct = &doc["components"]["schemas"]["ItemJson"]["properties"]["correct"];
    assert!(correct.get("type").is_none(), "{correct}");
    // A synthetic bank shared with no body is refused and makes no bank.
    let admin = app.admin().await;
    let (_, before) = admin.get("/api/v1/banks").await;
    for body in [0, 1, 999_999] {
        let (s, b) = admin
            .post(
                "/api/v1/synthetic-bank",
                json!({"items": 100, "share_with": body}),
            )
            .await;
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"]["fields"][0]["field"], "share_with", "{b}");
    }
    let (_, after) = admin.get("/api/v1/banks").await;
    assert_eq!(before, after);
    app.stop().await;
}

#[tokio::test]
async fn malformed_json_gets_the_error_envelope() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let res = admin
        .http
        .post(app.url("/api/v1/organisations"))
        .header("x-csrf-token", admin.csrf())
        .header("content-type", "application/json")
        .body("{\"kind\": \"body\", ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_json");
    assert!(body["error"]["message"].as_str().unwrap().contains("JSON"));
    // Unknown routes too.
    let (s, b) = admin.get("/api/v1/nope").await;
    assert_eq!((s, b["error"]["code"].as_str()), (404, Some("not_found")));
    app.stop().await;
}

/// Signs in with a bare client (no cookie jar), sending `cookie` if given, and returns
/// the new session token and CSRF token.
async fn raw_login(app: &TestApp, cookie: Option<(&str, &str)>) -> (String, String) {
    let mut req = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": "admin", "password": ADMIN_PASSWORD}));
    // Signing in over a live session is a state change made with a cookie: it needs
    // that session's CSRF token.
    if let Some((c, csrf)) = cookie {
        req = req
            .header("cookie", format!("sc_session={c}"))
            .header("x-csrf-token", csrf);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let set = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let token = set
        .trim_start_matches("sc_session=")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let body: Value = res.json().await.unwrap();
    (token, body["csrf_token"].as_str().unwrap().to_string())
}

async fn me_with(app: &TestApp, token: &str) -> u16 {
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("sc_session={token}"))
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

#[tokio::test]
async fn login_rotates_the_session_and_logout_ends_it() {
    let app = TestApp::spawn().await;
    let (first, first_csrf) = raw_login(&app, None).await;
    assert_eq!(me_with(&app, &first).await, 200);
    // Signing in again from the same browser replaces the session token.
    let (second, csrf) = raw_login(&app, Some((&first, &first_csrf))).await;
    assert_ne!(first, second);
    assert_eq!(
        me_with(&app, &first).await,
        401,
        "the pre-login token must be dead"
    );
    assert_eq!(me_with(&app, &second).await, 200);
    // Logout kills the token on the server, not only in the browser.
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", format!("sc_session={second}"))
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert!(res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(me_with(&app, &second).await, 401);
    app.stop().await;
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site() {
    let app = TestApp::spawn().await;
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("sc_session="));
    let token = cookie
        .trim_start_matches("sc_session=")
        .split(';')
        .next()
        .unwrap();
    assert_eq!(token.len(), 32, "128-bit token in hex");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "no Secure flag on plain HTTP");
    app.stop().await;
    let tls = TestApp::spawn_with(|c| c.cookie_secure = true).await;
    let res = reqwest::Client::new()
        .post(tls.url("/api/v1/auth/login"))
        .json(&json!({"login": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("; Secure"));
    tls.stop().await;
}

#[tokio::test]
async fn state_changes_with_a_cookie_need_the_csrf_token() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = json!({"kind": "body", "name": "乙机构", "body_type": "employer", "body_code": "0001", "province_code": "32", "site_code": "320200"});
    let res = admin
        .http
        .post(app.url("/api/v1/organisations"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"]["code"], "csrf");
    let res = admin
        .http
        .post(app.url("/api/v1/organisations"))
        .header("x-csrf-token", "0".repeat(32))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // Form posts: without the hidden field refused, with it accepted.
    let form = [
        ("kind", "body"),
        ("name", "丙机构"),
        ("body_type", "employer"),
        ("body_code", "0002"),
        ("province_code", "32"),
        ("site_code", "320300"),
    ];
    let res = admin
        .http
        .post(app.url("/orgs"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let (_, orgs) = admin.get("/api/v1/organisations").await;
    assert_eq!(
        orgs["organisations"].as_array().unwrap().len(),
        1,
        "nothing was created"
    );
    let csrf = admin.csrf();
    let mut with = form.to_vec();
    with.push(("_csrf", &csrf));
    let res = admin
        .http
        .post(app.url("/orgs"))
        .form(&with)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303, "{}", res.text().await.unwrap());
    // Bearer tokens are not cookies: no CSRF token needed.
    let (s, tok) = admin
        .post("/api/v1/auth/tokens", json!({"name": "script"}))
        .await;
    assert_eq!(s, 200, "{tok}");
    let token = tok["token"].as_str().unwrap();
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/organisations"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth("f".repeat(32))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    app.stop().await;
}

/// The hidden `_csrf` field of a page's first form.
fn form_token(html: &str) -> String {
    let at = html.find("name=\"_csrf\" value=\"").expect("a _csrf field") + 20;
    html[at..].split('"').next().unwrap().to_string()
}

/// A URL-encoded form post as a browser sends one.
async fn post_form(
    app: &TestApp,
    c: &common::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    c.http.post(app.url(path)).form(form).send().await.unwrap()
}

/// A sign-in form post refused for its token: back to the form, nobody signed in.
fn refused(res: &reqwest::Response, form: &str) {
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(res.headers()["location"], form);
    assert!(
        !res.headers().get_all("set-cookie").iter().any(|v| v
            .to_str()
            .unwrap()
            .starts_with("sc_session=")
            || v.to_str().unwrap().starts_with("sc_exam=")),
        "not signed in"
    );
}

/// Login CSRF: another site must not be able to sign a browser in to an account of its
/// choosing, so the sign-in forms carry a token of their own cookie.
#[tokio::test]
async fn sign_in_forms_carry_their_own_csrf_token() {
    let app = TestApp::spawn().await;
    let browser = app.client();
    let form = [("login", "admin"), ("password", ADMIN_PASSWORD)];
    // A post from elsewhere: no cookie of the form, no token. Not signed in: sent to
    // the form (a page left open past its cookie gets the same, and a fresh token).
    let res = post_form(&app, &browser, "/login", &form).await;
    refused(&res, "/login");
    // An API client is told why.
    let res = browser
        .http
        .post(app.url("/login"))
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // The form sets its cookie and carries the same token.
    let res = browser.http.get(app.url("/login")).send().await.unwrap();
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("sc_login="))
        .expect("the form's cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let token = form_token(&res.text().await.unwrap());
    assert_eq!(token.len(), 32);
    // Another browser cannot use that token without the cookie; a wrong token fails too.
    let mut with = form.to_vec();
    with.push(("_csrf", &token));
    let res = post_form(&app, &app.client(), "/login", &with).await;
    refused(&res, "/login");
    let wrong = "0".repeat(32);
    let mut bad = form.to_vec();
    bad.push(("_csrf", &wrong));
    let res = post_form(&app, &browser, "/login", &bad).await;
    refused(&res, "/login");
    let res = post_form(&app, &browser, "/login", &with).await;
    assert_eq!(res.status().as_u16(), 303);
    assert!(res
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("sc_session=")));

    // The exam-day form alike: refused without the token, checked with it (these
    // credentials match no candidate, so the form answers 401 with its message).
    let candidate = app.client();
    let exam_form = [("admission_no", "2026000001"), ("id_number", ID_A)];
    let res = post_form(&app, &candidate, "/exam/login", &exam_form).await;
    refused(&res, "/exam/login");
    let html = candidate
        .http
        .get(app.url("/exam/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = form_token(&html);
    let mut with = exam_form.to_vec();
    with.push(("_csrf", &token));
    let res = post_form(&app, &candidate, "/exam/login", &with).await;
    assert_eq!(res.status().as_u16(), 401);
    let html = res.text().await.unwrap();
    assert_eq!(
        form_token(&html),
        token,
        "the form shown again keeps its token"
    );
    app.stop().await;
}

#[tokio::test]
async fn failed_logins_are_throttled_alike_for_unknown_accounts() {
    let app = TestApp::spawn().await;
    let c = app.client();
    for _ in 0..5 {
        let (s, b) = c.try_login("admin", "wrong-password").await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (401, Some("bad_credentials"))
        );
    }
    // Now even the right password is refused for a while.
    let (s, b) = c.try_login("admin", ADMIN_PASSWORD).await;
    assert_eq!((s, b["error"]["code"].as_str()), (429, Some("throttled")));
    // An account that does not exist answers exactly the same way.
    for _ in 0..5 {
        let (s, b) = c.try_login("nobody", "wrong-password").await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (401, Some("bad_credentials"))
        );
    }
    let (s, b) = c.try_login("nobody", "wrong-password").await;
    assert_eq!((s, b["error"]["code"].as_str()), (429, Some("throttled")));
    app.stop().await;
    // Per address: many names from one address.
    let app = TestApp::spawn_with(|c| c.login_throttle.per_address = 4).await;
    let c = app.client();
    for i in 0..4 {
        assert_eq!(
            c.try_login(&format!("user{i}"), "wrong-password").await.0,
            401
        );
    }
    assert_eq!(c.try_login("admin", ADMIN_PASSWORD).await.0, 429);
    app.stop().await;
}

/// Behind a reverse proxy every request comes from the proxy's address: with the proxy
/// trusted, throttling counts the client address it forwards; without, a client cannot
/// dodge the per-address limit by writing `X-Forwarded-For` itself.
#[tokio::test]
async fn throttling_counts_the_client_behind_a_trusted_proxy() {
    async fn attempt(app: &TestApp, from: &str, login: &str) -> u16 {
        reqwest::Client::new()
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", from)
            .json(&json!({"login": login, "password": "wrong-password"}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
    let app = TestApp::spawn_with(|c| {
        c.login_throttle.per_address = 3;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    for i in 0..3 {
        assert_eq!(attempt(&app, "198.51.100.7", &format!("u{i}")).await, 401);
    }
    assert_eq!(attempt(&app, "198.51.100.7", "u9").await, 429);
    assert_eq!(
        attempt(&app, "198.51.100.8", "u9").await,
        401,
        "another client behind the same proxy is not throttled"
    );
    app.stop().await;
    let app = TestApp::spawn_with(|c| c.login_throttle.per_address = 3).await;
    for i in 0..3 {
        assert_eq!(
            attempt(&app, &format!("198.51.100.{i}"), &format!("u{i}")).await,
            401
        );
    }
    assert_eq!(
        attempt(&app, "198.51.100.99", "u9").await,
        429,
        "an untrusted X-Forwarded-For is ignored"
    );
    app.stop().await;
}

#[tokio::test]
async fn one_time_admin_password_must_be_changed_first() {
    let app = TestApp::spawn_with(|c| c.admin_password = None).await;
    let generated = app
        .generated_admin_password
        .clone()
        .expect("first start generates a password");
    assert!(generated.len() >= 16);
    let c = app.client();
    let me = c.login("admin", &generated).await;
    assert_eq!(me["me"]["must_change_password"], true);
    // Nothing but the password change is open.
    let (s, b) = c
        .post("/api/v1/auth/tokens", json!({"name": "script"}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("password_change_required"))
    );
    let res = c
        .http
        .get(app.url("/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("location").unwrap(), "/account/password");
    let (s, b) = c
        .put(
            "/api/v1/me/password",
            json!({"current_password": generated, "new_password": "admin"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    let (s, b) = c
        .put(
            "/api/v1/me/password",
            json!({"current_password": "wrong-one-here", "new_password": "a-new-admin-pw"}),
        )
        .await;
    assert_eq!(
        (s, field_codes(&b)[0].0.as_str()),
        (422, "current_password")
    );
    let (s, _) = c
        .put(
            "/api/v1/me/password",
            json!({"current_password": generated, "new_password": "a-new-admin-pw"}),
        )
        .await;
    assert_eq!(s, 204);
    assert_eq!(c.get("/api/v1/users").await.0, 200);
    // The old password no longer works.
    assert_eq!(app.client().try_login("admin", &generated).await.0, 401);
    app.stop().await;
}

#[tokio::test]
async fn admin_files_a_body_then_its_admin_enrols_a_candidate() {
    let app = TestApp::spawn().await;
    full_flow(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn the_same_flow_runs_on_postgres() {
    let Some(db) = common::pg_db("the_same_flow_runs_on_postgres").await else {
        return;
    };
    let url = db.url.clone();
    let app = TestApp::spawn_with(move |c| c.database_url = Some(url)).await;
    full_flow(&app).await;
    let (_, h) = app.client().get("/healthz").await;
    assert_eq!(h["backend"], "postgres");
    app.stop().await;
    db.drop_db().await;
}

async fn full_flow(app: &TestApp) {
    let admin = app.admin().await;
    let body_id = admin.create_body("江苏技能评价中心").await;
    let body_admin_id = admin
        .create_user(json!({"login": "body.admin", "password": "body-admin-pw-1", "org_id": body_id, "role": "body_admin", "display_name": "王主任"}))
        .await;
    let ba = app.client();
    let me = ba.login("body.admin", "body-admin-pw-1").await;
    assert_eq!(me["me"]["grants"][0]["role"], "body_admin");
    // The body admin adds a site and a room, and enrols a candidate with a real name.
    let (s, site) = ba
        .post(
            "/api/v1/organisations",
            json!({"kind": "test_site", "parent_id": body_id, "name": "南京考点"}),
        )
        .await;
    assert_eq!(s, 201, "{site}");
    // A room says how many seats it has: its sessions enrol no more.
    for (capacity, field_code) in [(json!(null), "field.required"), (json!(0), "field.range")] {
        let (s, b) = ba
            .post(
                "/api/v1/organisations",
                json!({"kind": "room", "parent_id": site["id"], "name": "第一考场", "capacity": capacity}),
            )
            .await;
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"]["fields"][0]["field"], "capacity");
        assert_eq!(b["error"]["fields"][0]["code"], field_code);
        assert_eq!(b["error"]["fields"][0]["label"], "座位数");
    }
    let (s, room) = ba
        .post(
            "/api/v1/organisations",
            json!({"kind": "room", "parent_id": site["id"], "name": "第一考场", "capacity": 30}),
        )
        .await;
    assert_eq!(s, 201, "{room}");
    assert_eq!(room["capacity"], 30);
    let (s, cand) = ba
        .post("/api/v1/users", json!({"login": "zhang.san", "password": "candidate-pw-1", "org_id": body_id, "role": "candidate", "name": "张三", "document_number": "11010519491231002x"}))
        .await;
    assert_eq!(s, 201, "{cand}");
    assert_eq!(cand["person"]["document_masked"], "1101**********002X");
    assert_eq!(cand["person"]["birth_date"], "1949-12-31");
    assert!(
        !cand.to_string().contains(ID_A),
        "the full number never appears in ordinary responses"
    );
    // The body admin may not appoint body admins or touch the regulator's filing.
    let (s, _) = ba.post("/api/v1/users", json!({"login": "x.admin", "password": "body-admin-pw-2", "org_id": body_id, "role": "body_admin", "display_name": "X"})).await;
    assert_eq!(s, 403);
    let (s, _) = ba
        .post(
            "/api/v1/credit/events",
            json!({"subject_kind": "body", "subject_id": body_id, "rule_code": "X01", "note": "x"}),
        )
        .await;
    assert_eq!(s, 403);
    // The candidate signs in and sees their own roles only.
    let c = app.client();
    let me = c.login("zhang.san", "candidate-pw-1").await;
    assert_eq!(me["me"]["grants"][0]["role"], "candidate");
    // The password the body admin set is a one-time one: nothing else until it is changed.
    assert_eq!(me["me"]["must_change_password"], true);
    let (s, b) = c
        .post("/api/v1/auth/tokens", json!({"name": "script"}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("password_change_required"))
    );
    // Keeping the one-time password is not choosing one's own.
    let (s, b) = c
        .put(
            "/api/v1/me/password",
            json!({"current_password": "candidate-pw-1", "new_password": "candidate-pw-1"}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        field_codes(&b),
        vec![(
            "new_password".to_string(),
            "account.password_same".to_string()
        )]
    );
    let (s, b) = c
        .put(
            "/api/v1/me/password",
            json!({"current_password": "candidate-pw-1", "new_password": "zhang-san-own-pw"}),
        )
        .await;
    assert!(s == 200 || s == 204, "{s} {b}");
    let (s, b) = c
        .post("/api/v1/auth/tokens", json!({"name": "script"}))
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = c.get("/api/v1/users").await;
    assert_eq!((s, b["error"]["code"].as_str()), (403, Some("forbidden")));
    let _ = body_admin_id;
}

#[tokio::test]
async fn bad_id_numbers_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body_id = admin.create_body("丁机构").await;
    let cases = [
        ("110105194912310021", "id_number.check_char", Some("X")),
        ("1101051949123100", "id_number.length", Some("16")),
        (
            "110105194902300021",
            "id_number.birth_date",
            Some("19490230"),
        ),
        ("11010519491231002Y", "id_number.charset", None),
    ];
    for (number, code, detail) in cases {
        let (s, b) = admin
            .post("/api/v1/users", json!({"login": "cand.x", "password": "candidate-pw-1", "org_id": body_id, "role": "candidate", "name": "赵六", "document_number": number}))
            .await;
        assert_eq!(s, 422, "{number}: {b}");
        let fields = b["error"]["fields"].as_array().unwrap();
        assert_eq!(fields[0]["field"], "document_number");
        assert_eq!(fields[0]["code"], code);
        if let Some(d) = detail {
            assert!(
                fields[0]["message"].as_str().unwrap().contains(d),
                "{}",
                fields[0]["message"]
            );
        }
    }
    // Every problem of a form at once, each naming its field.
    let (s, b) = admin
        .post(
            "/api/v1/users",
            json!({"login": "x", "password": "short", "org_id": body_id, "role": "wizard"}),
        )
        .await;
    assert_eq!(s, 422);
    let codes = field_codes(&b);
    for f in ["login", "password", "role"] {
        assert!(
            codes.iter().any(|(field, _)| field == f),
            "{f} not named in {codes:?}"
        );
    }
    // English on request.
    let res = admin
        .http
        .post(app.url("/api/v1/users"))
        .header("x-csrf-token", admin.csrf())
        .header("accept-language", "en-US,en;q=0.9")
        .json(&json!({"login": "cand.y", "password": "candidate-pw-1", "org_id": body_id, "role": "candidate", "name": "赵六", "document_number": "110105194912310021"}))
        .send()
        .await
        .unwrap();
    let b: Value = res.json().await.unwrap();
    assert_eq!(
        b["error"]["fields"][0]["message"],
        "Wrong check character: by GB 11643 it should be X"
    );
    // Nothing was created by any of these.
    let (_, users) = admin.get("/api/v1/users").await;
    assert_eq!(users["users"].as_array().unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn id_numbers_are_encrypted_at_rest_and_reveals_are_audited() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body_id = admin.create_body("戊机构").await;
    let uid = admin
        .create_user(json!({"login": "cand.c", "password": "candidate-pw-1", "org_id": body_id, "role": "candidate", "name": "钱七", "document_number": ID_C}))
        .await;
    // One person, one record (not on a roster of this body: the document is taken).
    let (s, b) = admin
        .post("/api/v1/users", json!({"login": "cand.d", "password": "candidate-pw-1", "org_id": body_id, "role": "candidate", "name": "钱七", "document_number": ID_C}))
        .await;
    assert_eq!(s, 409);
    assert_eq!(
        field_codes(&b),
        vec![("document_number".to_string(), "person.exists".to_string())]
    );
    // Reading the full number is allowed to the admin and leaves a trace.
    let (s, r) = admin
        .post(&format!("/api/v1/users/{uid}/document"), json!({}))
        .await;
    assert_eq!((s, r["document_number"].as_str()), (200, Some(ID_C)));
    let (_, log) = admin.get("/api/v1/audit?limit=1000").await;
    let entries = log["entries"].as_array().unwrap();
    assert!(entries
        .iter()
        .any(|e| e["action"] == "person.reveal_document"));
    assert!(
        !log.to_string().contains(ID_C),
        "the audit log never holds the number"
    );
    let dir = app.stop().await;
    // The raw number is nowhere in the data folder (database, WAL, keys), while its
    // masked form is: the scan looks at the right files.
    let mut files = Vec::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    let all: Vec<u8> = files
        .iter()
        // A WAL or shared-memory file may vanish as the last connection closes.
        .filter_map(|p| std::fs::read(p).ok())
        .flatten()
        .collect();
    let contains = |needle: &[u8]| all.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"3201**********1232"), "scanned {files:?}");
    assert!(!contains(ID_C.as_bytes()), "raw ID number found at rest");
}

/// Attempts sent all at once are counted before the slow password check, so they cannot
/// all slip under the limit together.
#[tokio::test]
async fn parallel_login_attempts_do_not_outrun_the_throttle() {
    let app = TestApp::spawn().await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let c = app.client();
        tasks.push(tokio::spawn(async move {
            c.try_login("admin", "wrong-password").await.0
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    let checked = codes.iter().filter(|c| **c == 401).count();
    assert!(checked <= 5, "{checked} passwords were checked: {codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 429).count(), 20 - checked);
    app.stop().await;
}
