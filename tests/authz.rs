//! The authorisation matrix and the CSRF sweep, both over the one route table
//! (`skillcert::web::routes::table()`), so a route added without a row here fails.
//!
//! Matrix: every route is called by every kind of caller — anonymous, each role, the
//! same role in another body, an unassigned proctor, assessor and inspector, the admin
//! of a body suspended by its credit, an account whose role was revoked, a candidate's
//! account and a candidate's exam-day session — on the objects of one body ("A"), on
//! objects of other bodies (issued certificates and their requests, an official review,
//! a suspended body's ledger event, a mark of a panel nobody here sits on), and on ids
//! that do not exist.
//! Each row says which callers may act on A's object; everyone else must be refused
//! (401, 403, 404, or sent to a sign-in page). Refusals of the input (400, 409, 422)
//! are counted apart: they change nothing but prove nothing either, so a row whose
//! refused callers only ever get them carries a body that passes the input checks.
//!
//! Sweep: every state-changing route, called with a signed-in session but no token,
//! another session's token, or a valid token from a page of another site
//! (`Origin`/`Sec-Fetch-Site`), is refused with `csrf` before anything happens.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::exams::{exam_login, id_number, user};
use common::issued::issued_plan_of;
use common::marking::marked_short_answer;
use common::scenario::{signed_in, Scenario, PASSWORD};
use common::{Client, TestApp};
use reqwest::Method;
use serde_json::json;
use skillcert::domain::policy::RoutePolicy;
use skillcert::domain::role::Role;

/// Declares [`Who`] and [`ALL`], its every variant, from one list, so a caller added
/// to the enum cannot be left out of the matrix.
macro_rules! callers {
    ($($(#[$doc:meta])* $who:ident,)*) => {
        /// Who calls. `…X` are the same role in another body (B; B's inspector is
        /// dispatched to the plan of body C); `…U` hold the role in body A but are not
        /// assigned to A's plan.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        enum Who {
            $($(#[$doc])* $who,)*
        }

        const ALL: &[Who] = &[$(Who::$who,)*];
    };
}

callers! {
    Anon,
    Reg,
    Ba,
    BaX,
    /// The admin of a body suspended by its credit (grade D).
    BaSuspended,
    Pr,
    PrU,
    PrX,
    AsU,
    Qi,
    QiX,
    Au,
    Rv,
    /// A candidate's own account (candidate 0 of A's plan).
    Ca,
    /// A candidate's exam-day session (candidate 0 of A's plan).
    Ex,
    /// An account whose only role (proctor in A) was revoked.
    Gone,
}
use Who::*;

impl Who {
    fn roles(self) -> &'static [Role] {
        match self {
            Anon | Ex | Gone => &[],
            Reg => &[Role::RegulatorAdmin],
            Ba | BaX | BaSuspended => &[Role::BodyAdmin],
            Pr | PrU | PrX => &[Role::Proctor],
            AsU => &[Role::Assessor],
            Qi | QiX => &[Role::QualityInspector],
            Au => &[Role::BankAuthor],
            Rv => &[Role::BankReviewer],
            Ca => &[Role::Candidate],
        }
    }

    /// Whether the route's coarse policy lets this caller reach the handler at all.
    fn passes(self, policy: RoutePolicy) -> bool {
        match policy {
            RoutePolicy::Public => true,
            RoutePolicy::SignedIn => !matches!(self, Anon | Ex),
            RoutePolicy::AnyRole(roles) => self.roles().iter().any(|r| roles.contains(r)),
            RoutePolicy::Examinee => self == Ex,
        }
    }

    /// Callers who belong to body A's plan: they may act on its objects as their role
    /// allows. Everyone else is an outsider to A's objects.
    fn insider(self) -> bool {
        matches!(self, Reg | Ba | Pr | Qi | Au | Rv | Ca | Ex)
    }
}

/// What the `{id}` of a route names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Obj {
    /// No id: the handler scopes to the caller.
    NoId,
    Org,
    User,
    Bank,
    Item,
    Plan,
    Session,
    Attempt,
    /// Objects of the third body (C), whose certificates were issued: nobody of A or B
    /// may act on them, the regulator may.
    Cert,
    CertRequest,
    Result,
    /// A credit event on the suspended body's ledger.
    Event,
    /// A certificate number of body C (verification, subsidy checks).
    CertNumber,
    /// An official review of a result in C's plan.
    Review,
    /// A mark in a fourth body's plan: only its panel's leader and its body's admins
    /// may act on it, and none of them is a caller (rows say `Only(&[])`).
    Mark,
    /// The suspended body's appeal against its ledger event. Deciding one is the
    /// regulator's alone by the route's policy, and the regulator here recorded the
    /// event (so may not decide the appeal): the real object adds nothing for the
    /// others, who are refused before it is looked up.
    Appeal,
    /// A path parameter that is not an object (a language code).
    Param,
}

/// Who may act on A's object beyond the default (insiders passing the policy).
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Insiders that pass the route's policy (for [`Obj::NoId`]: everyone who passes).
    Default,
    /// Exactly these callers (among those passing the policy).
    Only(&'static [Who]),
    /// The default plus these.
    Also(&'static [Who]),
}

struct Row {
    method: &'static str,
    path: &'static str,
    obj: Obj,
    rule: Rule,
    /// A body that passes the input checks, so a refused caller meets the object check
    /// (JSON; a page gets its fields as a form; `multipart` sends a file). `{org}` is
    /// body A's id.
    body: Option<&'static str>,
}

const fn r(method: &'static str, path: &'static str, obj: Obj, rule: Rule) -> Row {
    Row {
        method,
        path,
        obj,
        rule,
        body: None,
    }
}

impl Row {
    const fn with(mut self, body: &'static str) -> Row {
        self.body = Some(body);
        self
    }
}

const ROLE_CHANGE: &str = r#"{"role": "proctor", "org_id": {org}}"#;
const ITEM: &str = r#"{"type": "true_false", "stem": "翻身间隔不超过两小时。", "correct": true,
    "level": 5, "point": "B01", "difficulty": 2, "score": 1.0}"#;

use Obj::*;
use Rule::*;

/// Bank objects belong to the regulator and are shared with both bodies: body admins
/// read the pool only.
const BANK_STAFF: &[Who] = &[Reg, Au, Rv];

/// Inspectors work for the regulator: they read every body's record and ledger (the
/// sampling and the reports need them), though only the plans they are dispatched to.
const REGULATOR_STAFF: &[Who] = &[QiX];
/// A body's ledger: the regulator, its inspectors, the body's own admins.
const LEDGER_READERS: &[Who] = &[Reg, Qi, QiX, Ba];

/// One row per route of the table.
const ROWS: &[Row] = &[
    r("GET", "/healthz", NoId, Default),
    r("GET", "/api/v1/openapi.json", NoId, Default),
    r("GET", "/static/app.css", NoId, Default),
    r("GET", "/static/exam.js", NoId, Default),
    r("GET", "/static/console.js", NoId, Default),
    r("GET", "/static/inspect.js", NoId, Default),
    r("GET", "/lang/{code}", Param, Default),
    r("GET", "/login", NoId, Default),
    r("POST", "/login", NoId, Default),
    r("POST", "/logout", NoId, Default),
    r("GET", "/account/password", NoId, Default),
    r("POST", "/account/password", NoId, Default),
    r("GET", "/", NoId, Default),
    r("GET", "/orgs", NoId, Default),
    r("POST", "/orgs", NoId, Default),
    r("GET", "/orgs/{id}", Org, Also(REGULATOR_STAFF)),
    r("POST", "/orgs/{id}/scope", Org, Default),
    r("GET", "/users", NoId, Default),
    r("POST", "/users", NoId, Default),
    r("GET", "/users/{id}", User, Default),
    r("POST", "/users/{id}/roles", User, Default).with(ROLE_CHANGE),
    r("POST", "/users/{id}/roles/revoke", User, Default).with(ROLE_CHANGE),
    r("POST", "/users/{id}/reveal", User, Default),
    r("GET", "/audit", NoId, Default),
    r("GET", "/shortage", NoId, Default),
    r("POST", "/shortage", NoId, Default),
    r("GET", "/banks", NoId, Default),
    r("GET", "/banks/{id}", Bank, Only(BANK_STAFF)),
    r("POST", "/banks/{id}/items", Bank, Only(BANK_STAFF)),
    r("GET", "/banks/{id}/pool", Bank, Default),
    r("POST", "/banks/{id}/share", Bank, Default),
    r("POST", "/banks/{id}/import", Bank, Only(BANK_STAFF)).with("multipart"),
    r("POST", "/banks/{id}/import/confirm", Bank, Only(BANK_STAFF)),
    r("GET", "/items/{id}", Item, Only(BANK_STAFF)),
    r("POST", "/items/{id}/keys", Item, Only(BANK_STAFF)),
    r("POST", "/items/{id}/edit", Item, Only(BANK_STAFF)),
    r("POST", "/items/{id}/transition", Item, Only(BANK_STAFF)).with(r#"{"action": "submit"}"#),
    r("GET", "/plans", NoId, Default),
    r("POST", "/plans", NoId, Default),
    r("GET", "/plans/{id}", Plan, Default),
    r("POST", "/plans/{id}/approve", Plan, Default),
    r("POST", "/plans/{id}/sessions", Plan, Default),
    r("POST", "/plans/{id}/proctors", Plan, Default),
    r("POST", "/plans/{id}/inspectors", Plan, Default),
    r("POST", "/plans/{id}/candidates", Plan, Default),
    r("POST", "/plans/{id}/close-roster", Plan, Default),
    r("GET", "/plans/{id}/tickets", Plan, Default),
    r("GET", "/tickets/{id}", Plan, Only(&[Ca])),
    r("GET", "/account/relations", NoId, Default),
    r("POST", "/account/relations", NoId, Default),
    r("GET", "/proctor", NoId, Default),
    r("GET", "/proctor/sessions/{id}", Session, Default),
    r("POST", "/proctor/sessions/{id}/admit-all", Session, Default),
    r("POST", "/proctor/sessions/{id}/unlock", Session, Default),
    r("POST", "/proctor/attempts/{id}/action", Attempt, Default),
    r(
        "POST",
        "/proctor/attempts/{id}/irregularities",
        Attempt,
        Default,
    ),
    r("GET", "/inspect/plans/{id}", Plan, Default),
    r("POST", "/inspect/plans/{id}/findings", Plan, Default),
    r("GET", "/exam/login", NoId, Default),
    r("POST", "/exam/login", NoId, Default),
    r("POST", "/exam/logout", NoId, Default),
    r("GET", "/exam", NoId, Default),
    r("POST", "/exam/start", NoId, Default),
    r("POST", "/exam/answers", NoId, Default),
    r("POST", "/exam/submit", NoId, Default),
    r("POST", "/api/v1/auth/login", NoId, Default),
    r("POST", "/api/v1/auth/logout", NoId, Default),
    r("POST", "/api/v1/auth/tokens", NoId, Default),
    r("GET", "/api/v1/me", NoId, Default),
    r("PUT", "/api/v1/me/password", NoId, Default),
    r("GET", "/api/v1/organisations", NoId, Default),
    r("POST", "/api/v1/organisations", NoId, Default),
    r(
        "GET",
        "/api/v1/organisations/{id}",
        Org,
        Also(REGULATOR_STAFF),
    ),
    r(
        "GET",
        "/api/v1/organisations/{id}/scope",
        Org,
        Also(REGULATOR_STAFF),
    ),
    r("PUT", "/api/v1/organisations/{id}/scope", Org, Default).with(r#"{"scope": []}"#),
    r("GET", "/api/v1/users", NoId, Default),
    r("POST", "/api/v1/users", NoId, Default),
    r("GET", "/api/v1/users/{id}", User, Default),
    r("POST", "/api/v1/users/{id}/roles", User, Default).with(ROLE_CHANGE),
    r("POST", "/api/v1/users/{id}/roles/revoke", User, Default).with(ROLE_CHANGE),
    r("POST", "/api/v1/users/{id}/document", User, Default),
    r("GET", "/api/v1/occupations", NoId, Default),
    r("PUT", "/api/v1/occupations", NoId, Default),
    r("GET", "/api/v1/shortage-catalogue", NoId, Default),
    r("POST", "/api/v1/shortage-catalogues", NoId, Default),
    r("GET", "/api/v1/banks", NoId, Default),
    r("GET", "/api/v1/banks/{id}/pool", Bank, Default),
    r("GET", "/api/v1/banks/{id}/items", Bank, Only(BANK_STAFF)),
    r("POST", "/api/v1/banks/{id}/items", Bank, Only(BANK_STAFF)).with(ITEM),
    r("POST", "/api/v1/banks/{id}/import", Bank, Only(BANK_STAFF)),
    r("POST", "/api/v1/banks/{id}/share", Bank, Default).with(r#"{"body_id": {org}}"#),
    r("GET", "/api/v1/items/{id}", Item, Only(BANK_STAFF)),
    r("POST", "/api/v1/items/{id}/keys", Item, Only(BANK_STAFF)),
    r("PUT", "/api/v1/items/{id}", Item, Only(BANK_STAFF)).with(ITEM),
    r(
        "POST",
        "/api/v1/items/{id}/transition",
        Item,
        Only(BANK_STAFF),
    )
    .with(r#"{"action": "submit"}"#),
    r("GET", "/api/v1/plans", NoId, Default),
    r("POST", "/api/v1/plans", NoId, Default),
    r("GET", "/api/v1/plans/{id}", Plan, Default),
    r("POST", "/api/v1/plans/{id}/approve", Plan, Default),
    r("POST", "/api/v1/plans/{id}/sessions", Plan, Default),
    r("POST", "/api/v1/sessions/{id}/proctors", Session, Default),
    r("POST", "/api/v1/plans/{id}/inspectors", Plan, Default),
    r("POST", "/api/v1/plans/{id}/candidates", Plan, Default),
    r("POST", "/api/v1/plans/{id}/close-roster", Plan, Default),
    r("GET", "/api/v1/plans/{id}/roster", Plan, Default),
    r("GET", "/api/v1/plans/{id}/answers", Plan, Default),
    r("GET", "/api/v1/attempts/{id}/paper-check", Attempt, Default),
    r("GET", "/api/v1/plans/{id}/live", Plan, Default),
    r("POST", "/api/v1/plans/{id}/findings", Plan, Default),
    r("POST", "/api/v1/me/relations", NoId, Default),
    r("POST", "/api/v1/synthetic-bank", NoId, Default),
    r("GET", "/api/v1/system/stats", NoId, Default),
    r("GET", "/api/v1/sessions/{id}/roster", Session, Default),
    r("POST", "/api/v1/sessions/{id}/unlock", Session, Default),
    r("POST", "/api/v1/sessions/{id}/admit-all", Session, Default),
    r("POST", "/api/v1/attempts/{id}/actions", Attempt, Default),
    r(
        "POST",
        "/api/v1/attempts/{id}/irregularities",
        Attempt,
        Default,
    ),
    r("POST", "/api/v1/exam/login", NoId, Default),
    r("POST", "/api/v1/exam/logout", NoId, Default),
    r("GET", "/api/v1/exam/state", NoId, Default),
    r("GET", "/api/v1/exam/paper", NoId, Default),
    r("POST", "/api/v1/exam/start", NoId, Default),
    r("POST", "/api/v1/exam/answers", NoId, Default),
    r("POST", "/api/v1/exam/marks", NoId, Default),
    r("POST", "/api/v1/exam/submit", NoId, Default),
    r("GET", "/api/v1/audit", NoId, Default),
    // Assessment.
    r("POST", "/plans/{id}/assessors", Plan, Default),
    r("GET", "/marking", NoId, Default),
    r("GET", "/marking/{attempt}/{position}", Attempt, Only(&[])),
    r("POST", "/marking/{attempt}/{position}", Attempt, Only(&[])),
    r(
        "POST",
        "/marking/{attempt}/{position}/arbitrate",
        Attempt,
        Only(&[]),
    ),
    r("POST", "/marking/marks/{id}/correct", Mark, Only(&[])),
    r("POST", "/marking/marks/{id}/decide", Mark, Only(&[])),
    r("GET", "/plans/{id}/results", Plan, Default),
    r("POST", "/plans/{id}/results/publish", Plan, Default),
    r("GET", "/plans/{id}/results/export", Plan, Default),
    r("POST", "/plans/{id}/certificates/request", Plan, Default),
    r("POST", "/certificates/requests/{id}", CertRequest, Default),
    r("GET", "/certificates/{id}", Cert, Default),
    r("POST", "/certificates/{id}/status", Cert, Default),
    r("POST", "/results/{id}/review", Result, Default),
    r("POST", "/reviews/{id}", Review, Default),
    r("GET", "/record", NoId, Default),
    r("GET", "/training", NoId, Default),
    r("POST", "/training", NoId, Default),
    r("POST", "/api/v1/training", NoId, Default),
    r("GET", "/subsidies", NoId, Default),
    r("POST", "/subsidies", NoId, Default),
    r("GET", "/verify", NoId, Default),
    r("GET", "/verify/{number}", CertNumber, Only(ALL)),
    r("GET", "/api/v1/plans/{id}/results", Plan, Default),
    r("GET", "/api/v1/plans/{id}/results/export", Plan, Default),
    r("POST", "/api/v1/plans/{id}/results/publish", Plan, Default),
    r("GET", "/api/v1/me/results", NoId, Default),
    r("POST", "/api/v1/me/results/{id}/review", Result, Default),
    r("POST", "/api/v1/plans/{id}/reviews", Plan, Default),
    r("GET", "/api/v1/plans/{id}/reviews", Plan, Default),
    r("POST", "/api/v1/reviews/{id}", Review, Default),
    r("GET", "/api/v1/me/certificates", NoId, Default),
    r("GET", "/api/v1/plans/{id}/certificates", Plan, Default),
    r(
        "GET",
        "/api/v1/plans/{id}/certificates/requests",
        Plan,
        Default,
    ),
    r(
        "POST",
        "/api/v1/plans/{id}/certificates/requests",
        Plan,
        Default,
    ),
    r(
        "POST",
        "/api/v1/certificates/requests/{id}",
        CertRequest,
        Default,
    )
    .with(r#"{"approve": true}"#),
    r("GET", "/api/v1/certificates/{id}", Cert, Default),
    r("POST", "/api/v1/certificates/{id}/status", Cert, Default)
        .with(r#"{"status": "suspended", "reason": "核查"}"#),
    r("POST", "/api/v1/sessions/{id}/assessors", Session, Default),
    r("POST", "/api/v1/users/{id}/qualifications", User, Default),
    r("GET", "/api/v1/marking", NoId, Default),
    r(
        "GET",
        "/api/v1/marking/{attempt}/{position}",
        Attempt,
        Only(&[]),
    ),
    r(
        "POST",
        "/api/v1/marking/{attempt}/{position}",
        Attempt,
        Only(&[]),
    ),
    r(
        "POST",
        "/api/v1/marking/{attempt}/{position}/arbitration",
        Attempt,
        Only(&[]),
    ),
    r("POST", "/api/v1/marks/{id}/correction", Mark, Only(&[])),
    r("POST", "/api/v1/marks/{id}/decision", Mark, Only(&[])).with(r#"{"approve": true}"#),
    r(
        "GET",
        "/api/v1/subsidies/check/{number}",
        CertNumber,
        Default,
    ),
    r("POST", "/api/v1/subsidies", NoId, Default),
    r("GET", "/api/v1/subsidies", NoId, Default),
    r("GET", "/certificates/{id}/credential", Cert, Default),
    r("GET", "/api/v1/certificates/{id}/credential", Cert, Default),
    r("GET", "/credentials/status", NoId, Default),
    r("POST", "/api/v1/verify/credential", NoId, Default),
    r("GET", "/api/v1/verify/{number}", CertNumber, Only(ALL)),
    // Oversight.
    r("GET", "/reports", NoId, Default),
    r("GET", "/reports/export", NoId, Default),
    r("GET", "/api/v1/reports", NoId, Default),
    r("GET", "/api/v1/reports/export", NoId, Default),
    r("GET", "/banks/{id}/stats", Bank, Only(BANK_STAFF)),
    r("GET", "/plans/{id}/item-stats", Plan, Default),
    r(
        "GET",
        "/api/v1/banks/{id}/item-stats",
        Bank,
        Only(BANK_STAFF),
    ),
    r("GET", "/api/v1/plans/{id}/item-stats", Plan, Default),
    r("GET", "/credit", NoId, Default),
    r("POST", "/credit/events", NoId, Default),
    r("POST", "/credit/sample", NoId, Default),
    r("POST", "/credit/events/{id}/decision", Event, Default),
    r(
        "POST",
        "/credit/events/{id}/appeals",
        Event,
        Only(&[BaSuspended]),
    ),
    r("POST", "/credit/appeals/{id}/decision", Appeal, Default),
    r("GET", "/credit/{kind}/{id}", Org, Only(LEDGER_READERS)),
    r("GET", "/catalogue", NoId, Default),
    r("POST", "/inspect/plans/{id}/credit", Plan, Default),
    r("GET", "/api/v1/credit/rules", NoId, Default),
    r("GET", "/api/v1/credit/desk", NoId, Default),
    r(
        "GET",
        "/api/v1/credit/{kind}/{id}",
        Org,
        Only(LEDGER_READERS),
    ),
    r("POST", "/api/v1/credit/events", NoId, Default),
    r("POST", "/api/v1/plans/{id}/credit/proposals", Plan, Default),
    r(
        "POST",
        "/api/v1/credit/events/{id}/decision",
        Event,
        Default,
    ),
    r(
        "POST",
        "/api/v1/credit/events/{id}/appeals",
        Event,
        Only(&[BaSuspended]),
    ),
    r(
        "POST",
        "/api/v1/credit/appeals/{id}/decision",
        Appeal,
        Default,
    ),
    r("POST", "/api/v1/inspections/sample", NoId, Default),
    r("GET", "/api/v1/catalogue/bodies", NoId, Default),
];

/// How a call came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// 401, 403, 404, or a redirect to a sign-in page.
    Refused,
    /// 403 for the CSRF token: every call here carries its session's token, so this is
    /// the test's fault or a CSRF regression, never the refusal the row expects.
    CsrfRefused,
    /// 400, 409, 410, 422, 429: the input was refused; nothing changed, nothing shown.
    InputRefused,
    /// Anything else (2xx, other redirects).
    Allowed,
}

fn outcome(status: u16, location: Option<&str>, text: &str) -> Outcome {
    match status {
        403 if text.contains("\"csrf\"") || text.contains("CSRF") => Outcome::CsrfRefused,
        401 | 403 | 404 => Outcome::Refused,
        // A subsidy check names another body's certificate "no such certificate", as
        // it names a number that does not exist (a field error of the form).
        422 if text.contains("subsidy_error.no_certificate") => Outcome::Refused,
        302 | 303
            if location
                .is_some_and(|l| l.starts_with("/login") || l.starts_with("/exam/login")) =>
        {
            Outcome::Refused
        }
        400 | 409 | 410 | 415 | 422 | 429 => Outcome::InputRefused,
        _ => Outcome::Allowed,
    }
}

/// The objects of the fixture, by kind.
struct Ids {
    org: i64,
    user: i64,
    bank: i64,
    item: i64,
    plan: i64,
    session: i64,
    attempt: i64,
    cert: i64,
    cert_request: i64,
    result: i64,
    event: i64,
    review: i64,
    mark: i64,
    appeal: i64,
    number: String,
    /// Body A's proctor, as lists would name them.
    proctor_login: String,
}

impl Ids {
    fn of(&self, obj: Obj) -> Option<i64> {
        Some(match obj {
            NoId | Param => return None,
            Org => self.org,
            User => self.user,
            Bank => self.bank,
            Item => self.item,
            Plan => self.plan,
            Session => self.session,
            Attempt => self.attempt,
            Cert => self.cert,
            CertRequest => self.cert_request,
            Result => self.result,
            Event => self.event,
            CertNumber => self.cert,
            Review => self.review,
            Mark => self.mark,
            Appeal => self.appeal,
        })
    }
}

const MISSING: i64 = 987_654_321;

fn fill(path: &str, id: i64, number: &str) -> String {
    path.replace("{id}", &id.to_string())
        .replace("{attempt}", &id.to_string())
        .replace("{position}", "1")
        .replace("{kind}", "body")
        .replace("{code}", "en")
        .replace("{number}", number)
}

/// One call as `who` makes it: JSON with the CSRF header for the API, a form with the
/// `_csrf` field for pages.
async fn call(
    app: &TestApp,
    c: &Client,
    method: &Method,
    path: &str,
    body: Option<&str>,
    org: i64,
) -> (u16, Option<String>, String) {
    let url = app.url(path);
    let mut req = c.http.request(method.clone(), &url);
    if *method != Method::GET {
        req = req.header("x-csrf-token", c.csrf());
        let fields: serde_json::Value = match body {
            Some("multipart") | None => json!({}),
            Some(b) => serde_json::from_str(&b.replace("{org}", &org.to_string())).unwrap(),
        };
        req = if body == Some("multipart") {
            let part = reqwest::multipart::Part::bytes(b"::Q1:: 1+1=2 {T}".to_vec())
                .file_name("items.gift");
            let form = reqwest::multipart::Form::new()
                .text("_csrf", c.csrf())
                .part("file", part);
            req.multipart(form)
        } else if path.starts_with("/api/") {
            req.json(&fields)
        } else {
            let mut form = vec![("_csrf".to_string(), c.csrf())];
            for (k, v) in fields.as_object().unwrap() {
                let v = v.as_str().map_or_else(|| v.to_string(), String::from);
                form.push((k.clone(), v));
            }
            req.form(&form)
        };
    }
    let res = req.send().await.unwrap();
    let loc = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let status = res.status().as_u16();
    (status, loc, res.text().await.unwrap_or_default())
}

/// Body A (a plan under way, see [`Scenario`]), body B (the same again), body C (a plan
/// with certificates issued and an official review of one result), a suspended body
/// with ledger events and its appeal against one, a fourth body whose panel has marked
/// a short answer, and one client for every kind of caller.
async fn world(app: &TestApp) -> (BTreeMap<Who, Client>, Ids) {
    let a = Scenario::seed(app).await;
    // Other people than A's (a re-sit never sees an item of an earlier paper).
    let (c_plan, numbers) = issued_plan_of(app, 3..5).await;
    let admin = &app.admin().await;
    let tag = common::hex_id();
    let mut callers = BTreeMap::new();
    callers.insert(Anon, app.client());
    callers.insert(Reg, app.admin().await);
    for (who, role) in [
        (Ba, "body_admin"),
        (Pr, "proctor"),
        (Qi, "quality_inspector"),
        (Au, "bank_author"),
        (Rv, "bank_reviewer"),
    ] {
        callers.insert(who, signed_in(app, a.login(role)).await);
    }
    // Body B: the same roles in another body; B's inspector is dispatched to C's plan.
    let body_b = admin.create_body(&format!("乙机构{tag}")).await;
    let body_a = a.body_id;
    for (who, login, org, role) in [
        (BaX, format!("bx{tag}"), body_b, "body_admin"),
        (PrX, format!("px{tag}"), body_b, "proctor"),
        (QiX, format!("qx{tag}"), 1, "quality_inspector"),
        (PrU, format!("pu{tag}"), body_a, "proctor"),
        (AsU, format!("au{tag}"), body_a, "assessor"),
        (
            BaSuspended,
            format!("bs{tag}"),
            a.suspended_body_id,
            "body_admin",
        ),
    ] {
        let id = user(admin, &login, org, role).await;
        if who == QiX {
            let (s, b) = admin
                .post(
                    &format!("/api/v1/plans/{}/inspectors", c_plan.plan_id),
                    json!({"user_id": id}),
                )
                .await;
            assert_eq!(s, 204, "{b}");
        }
        callers.insert(who, signed_in(app, &login).await);
    }
    // An ex-proctor: signed in, then the role is revoked (the session stays valid).
    let gone_login = format!("gx{tag}");
    let gone = user(admin, &gone_login, body_a, "proctor").await;
    let gone_client = signed_in(app, &gone_login).await;
    let (s, v) = admin
        .post(
            &format!("/api/v1/users/{gone}/roles/revoke"),
            json!({"role": "proctor", "org_id": body_a}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    callers.insert(Gone, gone_client);
    // Candidate 0's own account (the same person as on A's roster).
    let (_, roster) = admin
        .get(&format!("/api/v1/plans/{}/roster", a.planned.plan_id))
        .await;
    let first = &roster["roster"][0];
    let name = first["name"]
        .as_str()
        .or(first["display_name"].as_str())
        .unwrap_or_else(|| panic!("{roster}"));
    let ca_login = format!("ca{tag}");
    admin
        .create_user(
            json!({"login": ca_login, "password": PASSWORD, "org_id": body_a, "role": "candidate",
                            "name": name, "document_number": id_number(0)}),
        )
        .await;
    callers.insert(Ca, signed_in(app, &ca_login).await);
    let (_, st) = a.candidate.get("/api/v1/exam/state").await;
    let attempt = st["attempt_id"].as_i64().unwrap();
    // A second exam-day sign-in of the same candidate (the scenario's is replaced).
    callers.insert(Ex, exam_login(app, &a.admission, &a.id_number).await);
    let (_, certs) = admin
        .get(&format!("/api/v1/plans/{}/certificates", c_plan.plan_id))
        .await;
    let cert = certs["certificates"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{certs}"));
    let (_, reqs) = admin
        .get(&format!(
            "/api/v1/plans/{}/certificates/requests",
            c_plan.plan_id
        ))
        .await;
    let cert_request = reqs["requests"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{reqs}"));
    // A review is asked for a result in a plan: the id is the plan's.
    let result = c_plan.plan_id;
    let (_, ledger) = admin
        .get(&format!("/api/v1/credit/body/{}", a.suspended_body_id))
        .await;
    let event = ledger["events"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{ledger}"));
    let (s, b) = admin
        .post(
            &format!("/api/v1/plans/{}/reviews", c_plan.plan_id),
            json!({"admission_no": c_plan.admissions[0], "reason": "抽查复核"}),
        )
        .await;
    assert_eq!(s, 201, "official review: {b}");
    let review = b["id"].as_i64().unwrap();
    let (s, b) = callers[&BaSuspended]
        .post(
            &format!("/api/v1/credit/events/{event}/appeals"),
            json!({"reason": "事实有误"}),
        )
        .await;
    assert_eq!(s, 201, "appeal: {b}");
    let appeal = b["id"].as_i64().unwrap();
    let mark = marked_short_answer(app, 40, "定时翻身，使用减压床垫。", || {
        "要点齐全".into()
    })
    .await
    .marks[0];
    let ids = Ids {
        org: body_a,
        user: a.proctor_user_id,
        bank: a.bank_id,
        item: a.item_id,
        plan: a.planned.plan_id,
        session: a.planned.session_id,
        attempt,
        cert,
        cert_request,
        result,
        event,
        review,
        mark,
        appeal,
        number: numbers[0].clone(),
        proctor_login: a.login("proctor").to_string(),
    };
    (callers, ids)
}

#[tokio::test]
async fn every_route_refuses_every_caller_its_row_does_not_allow() {
    let app = TestApp::spawn_with(|c| c.exams.review_window_hours = 0).await;
    let table = skillcert::web::routes::table();
    // Every route has exactly one row, and every row a route.
    let rows: BTreeMap<(&str, &str), &Row> = ROWS.iter().map(|r| ((r.method, r.path), r)).collect();
    assert_eq!(rows.len(), ROWS.len(), "a route has two rows");
    let routes: BTreeSet<(String, &str)> = table
        .iter()
        .map(|s| (s.method.to_string(), s.path))
        .collect();
    let missing: Vec<_> = routes
        .iter()
        .filter(|(m, p)| !rows.contains_key(&(m.as_str(), *p)))
        .collect();
    assert!(missing.is_empty(), "routes without a row: {missing:?}");
    let stale: Vec<_> = ROWS
        .iter()
        .filter(|r| !routes.contains(&(r.method.to_string(), r.path)))
        .map(|r| (r.method, r.path))
        .collect();
    assert!(stale.is_empty(), "rows without a route: {stale:?}");

    let (callers, ids) = world(&app).await;
    let mut unexpected = Vec::new();
    let mut input_refused = Vec::new();
    let mut calls = 0;
    // Changes last, so that no accidental allow changes what a later read sees; the
    // sign-out routes at the very end.
    let mut order: Vec<_> = table.iter().collect();
    order.sort_by_key(|s| (s.method != Method::GET, s.path.contains("logout")));
    for spec in order {
        let row = rows[&(spec.method.as_str(), spec.path)];
        for &who in ALL {
            let may = match row.rule {
                _ if !who.passes(spec.policy) => false,
                Default if matches!(row.obj, NoId | Param) => true,
                // Objects of body C and of the suspended body: among the callers, the
                // regulator's alone (the suspended body's admin appeals by its own row).
                Default
                    if matches!(
                        row.obj,
                        Cert | CertRequest | Result | CertNumber | Review | Event | Appeal
                    ) =>
                {
                    who == Reg
                }
                Default => who.insider(),
                Only(list) => list.contains(&who),
                Also(list) => who.insider() || list.contains(&who),
            };
            let caller = &callers[&who];
            if may && !matches!(row.obj, NoId | Param | CertNumber) {
                // The same caller on an id with nothing behind it: refused.
                let path = fill(spec.path, MISSING, &ids.number);
                let (status, loc, text) =
                    call(&app, caller, &spec.method, &path, row.body, ids.org).await;
                calls += 1;
                match outcome(status, loc.as_deref(), &text) {
                    Outcome::Refused => {}
                    Outcome::InputRefused => {
                        input_refused.push(format!("{who:?} {} {path} → {status}", spec.method))
                    }
                    _ => unexpected.push(format!("{who:?} {} {path} → {status}", spec.method)),
                }
            }
            if may {
                // Allowed callers' changes are not made here (their own tests make
                // them); their reads must succeed.
                if spec.method != Method::GET || matches!(row.obj, NoId | Param) {
                    continue;
                }
            }
            let id = ids.of(row.obj).unwrap_or(0);
            let path = fill(spec.path, id, &ids.number);
            let (status, loc, text) =
                call(&app, caller, &spec.method, &path, row.body, ids.org).await;
            calls += 1;
            let got = outcome(status, loc.as_deref(), &text);
            match (may, got) {
                (true, Outcome::Allowed) | (false, Outcome::Refused) => {}
                (false, Outcome::InputRefused) => {
                    input_refused.push(format!("{who:?} {} {path} → {status}", spec.method))
                }
                _ => unexpected.push(format!(
                    "{who:?} {} {path} → {status} {loc:?} (may: {may})",
                    spec.method
                )),
            }
        }
    }
    println!(
        "{} routes × {} callers: {calls} calls, {} unexpected, {} refused for input",
        table.len(),
        ALL.len(),
        unexpected.len(),
        input_refused.len()
    );
    for line in &input_refused {
        println!("input refused: {line}");
    }
    named_in_the_body_and_listed(&callers, &ids, &mut unexpected).await;
    assert!(
        input_refused.is_empty(),
        "refused callers met an input check before the object check; give these rows a body"
    );
    assert!(
        unexpected.is_empty(),
        "{} unexpected outcomes:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    app.stop().await;
}

/// Objects named in a request's body rather than its path, and lists: another body's
/// admin cannot create an account, a site, a plan or a training record in body A, the
/// admin of a suspended body cannot plan, and lists show outsiders none of A's plans,
/// accounts or organisations.
async fn named_in_the_body_and_listed(
    callers: &BTreeMap<Who, Client>,
    ids: &Ids,
    unexpected: &mut Vec<String>,
) {
    let a = ids.org;
    let plan = json!({"body_id": a, "occupation_code": "4-10-01-05", "level": 5, "name": "越权计划",
                      "exam_date": skillcert::today().to_string(), "duration_seconds": 3600});
    for (who, path, body) in [
        (
            BaX,
            "/api/v1/users",
            json!({"login": "intruder1", "display_name": "x", "password": PASSWORD,
                                       "org_id": a, "role": "proctor"}),
        ),
        (
            BaX,
            "/api/v1/organisations",
            json!({"kind": "test_site", "parent_id": a, "name": "越权考点"}),
        ),
        (BaX, "/api/v1/plans", plan.clone()),
        (PrU, "/api/v1/plans", plan),
        (
            BaX,
            "/api/v1/training",
            json!({"body_id": a, "name": "考生0", "id_number": id_number(0),
                                          "course": "越权", "hours": 1, "credits": 0,
                                          "completed_on": skillcert::today().to_string()}),
        ),
    ] {
        let (status, b) = callers[&who].post(path, body).await;
        if !matches!(status, 401 | 403 | 404) {
            unexpected.push(format!("{who:?} POST {path} naming body A → {status} {b}"));
        }
    }
    // A suspended body plans nothing, not even for itself.
    let c = &callers[&BaSuspended];
    let (_, me) = c.get("/api/v1/me").await;
    let own = me["grants"][0]["org_id"].as_i64();
    if let Some(own) = own {
        let (status, b) = c
            .post("/api/v1/plans", json!({"body_id": own, "occupation_code": "4-10-01-05", "level": 5,
                "name": "暂停机构的计划", "exam_date": skillcert::today().to_string(), "duration_seconds": 3600}))
            .await;
        if (200..300).contains(&status) {
            unexpected.push(format!("the suspended body planned: {status} {b}"));
        }
    } else {
        unexpected.push(format!("no organisation in {me}"));
    }
    // Lists: what outsiders see holds nothing of A's.
    for (who, path) in [
        (BaX, "/api/v1/plans"),
        (QiX, "/api/v1/plans"),
        (BaX, "/api/v1/users"),
        (BaX, "/api/v1/organisations"),
        (BaSuspended, "/api/v1/users"),
    ] {
        let (status, list) = callers[&who].get(path).await;
        let ids_of = |key: &str| -> Vec<i64> {
            list[key]
                .as_array()
                .map(|l| l.iter().filter_map(|x| x["id"].as_i64()).collect())
                .unwrap_or_default()
        };
        let leaks = match path {
            "/api/v1/plans" => ids_of("plans").contains(&ids.plan),
            "/api/v1/organisations" => ids_of("organisations").contains(&a),
            _ => list.to_string().contains(&ids.proctor_login),
        };
        if status != 200 || leaks {
            unexpected.push(format!(
                "{who:?} GET {path} → {status}, shows body A's: {leaks}"
            ));
        }
    }
}

/// The ways a forged request arrives: no token, another session's token, or this
/// session's token from a page of another site.
#[derive(Debug, Clone, Copy)]
enum Forgery {
    NoToken,
    OtherSessionsToken,
    ForeignOrigin,
    CrossSiteFetch,
    NullOrigin,
}

#[tokio::test]
async fn every_state_change_made_with_cookies_needs_this_sessions_token_from_this_site() {
    let app = TestApp::spawn().await;
    let a = Scenario::seed(&app).await;
    let admin = app.admin().await;
    let other_staff = signed_in(&app, a.login("body_admin")).await;
    let exam = exam_login(&app, &a.admission, &a.id_number).await;
    let other_exam = exam_login(&app, &a.planned.admissions[2], &id_number(2)).await;
    let table = skillcert::web::routes::table();
    let mut swept = 0;
    let mut failures = Vec::new();
    for spec in &table {
        if spec.method == Method::GET || spec.face.is_exam_sign_in() {
            continue;
        }
        // Public routes of the staff face (sign-in, verification) change nothing a
        // session owns; the sign-in form's own token is tested in `tests/http.rs`.
        if spec.policy == RoutePolicy::Public && !spec.face.is_exam() {
            continue;
        }
        let (me, other) = if spec.face.is_exam() {
            (&exam, &other_exam)
        } else {
            (&admin, &other_staff)
        };
        let path = fill(spec.path, 1, "Y0");
        for forgery in [
            Forgery::NoToken,
            Forgery::OtherSessionsToken,
            Forgery::ForeignOrigin,
            Forgery::CrossSiteFetch,
            Forgery::NullOrigin,
        ] {
            let token = match forgery {
                Forgery::NoToken => None,
                Forgery::OtherSessionsToken => Some(other.csrf()),
                _ => Some(me.csrf()),
            };
            let mut req = me.http.request(spec.method.clone(), app.url(&path));
            match forgery {
                Forgery::ForeignOrigin => req = req.header("origin", "https://evil.example"),
                Forgery::CrossSiteFetch => req = req.header("sec-fetch-site", "cross-site"),
                Forgery::NullOrigin => req = req.header("origin", "null"),
                _ => {}
            }
            // Forms carry the token as a field, as another site's auto-submitting form
            // would; the API as a header.
            req = if path.starts_with("/api/") {
                if let Some(t) = &token {
                    req = req.header("x-csrf-token", t);
                }
                req.json(&json!({}))
            } else {
                let mut fields = vec![("note".to_string(), "x".to_string())];
                if let Some(t) = &token {
                    fields.push(("_csrf".to_string(), t.clone()));
                }
                req.form(&fields)
            };
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let text = res.text().await.unwrap_or_default();
            swept += 1;
            // Refused for the token, not for anything else (a role check would hide a
            // CSRF regression): the API's error code, the page's message.
            let code_ok = match path.starts_with("/api/") {
                true => text.contains("\"csrf\""),
                false => text.contains("CSRF"),
            };
            if status != 403 || !code_ok {
                failures.push(format!(
                    "{} {path} {forgery:?} → {status} {}",
                    spec.method,
                    text.chars().take(120).collect::<String>()
                ));
            }
        }
    }
    println!("{swept} forged requests, {} not refused", failures.len());
    assert!(swept >= 500, "only {swept} forged requests");
    assert!(
        failures.is_empty(),
        "forged requests not refused:\n{}",
        failures.join("\n")
    );
    // The same calls from this site with this session's token still work: the sweep
    // is not refusing everything.
    let (s, b) = admin
        .post("/api/v1/auth/tokens", json!({"name": "after the sweep"}))
        .await;
    assert_eq!(s, 200, "{b}");
    let res = admin
        .http
        .post(app.url("/api/v1/auth/tokens"))
        .header("x-csrf-token", admin.csrf())
        .header("origin", app.url(""))
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"name": "same origin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    app.stop().await;
}
