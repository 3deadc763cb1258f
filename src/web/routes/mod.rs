//! The one table of routes. Every route the application serves is declared here with
//! its [`RoutePolicy`]; [`super::router`] builds the router from this table only, so a
//! route without a policy cannot exist (and a test walks the table to prove every
//! non-public route refuses an anonymous caller). API routes also carry the
//! documentation that [`super::openapi`] turns into the OpenAPI document.

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;
use utoipa::openapi::{RefOr, Schema};

mod assessment;
mod oversight;

use super::{api, pages, AppState};
use crate::domain::policy::{RoutePolicy, ADMINS, REGULATOR};
use crate::domain::role::Role;

pub type SchemaFn = fn(&mut Vec<(String, RefOr<Schema>)>) -> String;

/// Registers `T` (and the schemas it refers to) and returns its name.
pub fn schema_of<T: utoipa::ToSchema>(out: &mut Vec<(String, RefOr<Schema>)>) -> String {
    T::schemas(out);
    let name = T::name().into_owned();
    out.push((name.clone(), T::schema()));
    name
}

#[derive(Clone, Copy)]
pub struct ApiDoc {
    pub tag: &'static str,
    pub summary: &'static str,
    pub request: Option<SchemaFn>,
    pub response: Option<SchemaFn>,
}

/// Who a route answers to, which decides how [`super::ctx::gate`] resolves the caller
/// and checks CSRF. Declared here, on the route, so that no middleware looks at paths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Face {
    /// Staff pages and API: the account session or a bearer token; CSRF on changes made
    /// with the session cookie.
    #[default]
    Staff,
    /// The staff sign-in form: a post carries the token of the form's own cookie.
    SignIn,
    /// The candidate's pages and API: the exam-day session only (a staff session on the
    /// same browser is ignored there); changes carry the exam session's CSRF token.
    Exam,
    /// The exam-day sign-in form: the form's own CSRF cookie; it replaces any exam
    /// session, so no exam-session token.
    ExamSignIn,
    /// Exam-day sign-in over the API (JSON, which another site cannot send).
    ExamSignInApi,
    /// The answer save: as `Exam`, with the session taken from the process's cache.
    ExamSave,
}

impl Face {
    pub fn is_exam(self) -> bool {
        matches!(
            self,
            Face::Exam | Face::ExamSignIn | Face::ExamSignInApi | Face::ExamSave
        )
    }

    pub fn is_exam_sign_in(self) -> bool {
        matches!(self, Face::ExamSignIn | Face::ExamSignInApi)
    }

    pub fn is_sign_in_form(self) -> bool {
        matches!(self, Face::SignIn | Face::ExamSignIn)
    }
}

pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub policy: RoutePolicy,
    pub face: Face,
    /// Reachable by an account that must first replace its one-time password.
    pub during_password_change: bool,
    pub doc: Option<ApiDoc>,
    /// The status of a successful answer (200, 201 Created, 204 No Content), for the
    /// OpenAPI document.
    pub success: u16,
    pub handler: MethodRouter<AppState>,
}

impl RouteSpec {
    fn new(
        method: Method,
        path: &'static str,
        policy: RoutePolicy,
        handler: MethodRouter<AppState>,
    ) -> Self {
        RouteSpec {
            method,
            path,
            policy,
            face: Face::Staff,
            during_password_change: false,
            doc: None,
            success: 200,
            handler,
        }
    }

    fn api(mut self, tag: &'static str, summary: &'static str) -> Self {
        self.doc = Some(ApiDoc {
            tag,
            summary,
            request: None,
            response: None,
        });
        self
    }

    fn req<T: utoipa::ToSchema>(mut self) -> Self {
        if let Some(d) = self.doc.as_mut() {
            d.request = Some(schema_of::<T>);
        }
        self
    }

    fn res<T: utoipa::ToSchema>(mut self) -> Self {
        if let Some(d) = self.doc.as_mut() {
            d.response = Some(schema_of::<T>);
        }
        self
    }

    /// Allows request bodies up to `bytes` (uploads); the default is axum's 2 MB.
    fn body_limit(mut self, bytes: usize) -> Self {
        self.handler = self
            .handler
            .layer(axum::extract::DefaultBodyLimit::max(bytes));
        self
    }

    /// The handler answers success with `code` (201, 204) rather than 200.
    fn status(mut self, code: u16) -> Self {
        self.success = code;
        self
    }

    fn face(mut self, face: Face) -> Self {
        self.face = face;
        self
    }

    fn while_changing_password(mut self) -> Self {
        self.during_password_change = true;
        self
    }
}

fn get<H: Handler<T, AppState>, T: 'static>(
    path: &'static str,
    policy: RoutePolicy,
    h: H,
) -> RouteSpec {
    RouteSpec::new(Method::GET, path, policy, axum::routing::get(h))
}

fn post<H: Handler<T, AppState>, T: 'static>(
    path: &'static str,
    policy: RoutePolicy,
    h: H,
) -> RouteSpec {
    RouteSpec::new(Method::POST, path, policy, axum::routing::post(h))
}

fn put<H: Handler<T, AppState>, T: 'static>(
    path: &'static str,
    policy: RoutePolicy,
    h: H,
) -> RouteSpec {
    RouteSpec::new(Method::PUT, path, policy, axum::routing::put(h))
}

const PUBLIC: RoutePolicy = RoutePolicy::Public;
const SIGNED_IN: RoutePolicy = RoutePolicy::SignedIn;
const ADMIN: RoutePolicy = RoutePolicy::AnyRole(ADMINS);
const REGULATOR_ONLY: RoutePolicy = RoutePolicy::AnyRole(REGULATOR);
const BANK_USERS: RoutePolicy = RoutePolicy::AnyRole(&[
    Role::RegulatorAdmin,
    Role::BankAuthor,
    Role::BankReviewer,
    Role::BodyAdmin,
]);
const UPLOAD_BYTES: usize = 96 << 20;
const EXAMINEE: RoutePolicy = RoutePolicy::Examinee;
const PLAN_VIEWERS: RoutePolicy = RoutePolicy::AnyRole(&[
    Role::RegulatorAdmin,
    Role::BodyAdmin,
    Role::QualityInspector,
]);
const BODY_ADMIN: RoutePolicy = RoutePolicy::AnyRole(&[Role::BodyAdmin]);
const PROCTORS: RoutePolicy = RoutePolicy::AnyRole(&[Role::Proctor, Role::BodyAdmin]);
const INSPECTORS: RoutePolicy = RoutePolicy::AnyRole(&[Role::QualityInspector]);
/// A roster of a whole province's candidates fits (about 100 bytes each).
const ROSTER_BYTES: usize = 8 << 20;
const ORG_READERS: RoutePolicy = RoutePolicy::AnyRole(&[
    Role::RegulatorAdmin,
    Role::BodyAdmin,
    Role::QualityInspector,
]);

pub fn table() -> Vec<RouteSpec> {
    use api::banks as a_banks;
    use api::exams as a_exams;
    use api::{auth as a_auth, orgs as a_orgs, system, users as a_users};
    use pages::{
        audit as p_audit, auth as p_auth, banks as p_banks, orgs as p_orgs, users as p_users,
    };
    use pages::{exam as p_exam, inspect as p_inspect, plans as p_plans, proctor as p_proctor};
    vec![
        // System.
        get("/healthz", PUBLIC, system::healthz)
            .api("system", "Database reachability")
            .res::<system::Health>(),
        get("/api/v1/openapi.json", PUBLIC, system::openapi).api("system", "This document"),
        get("/static/app.css", PUBLIC, pages::assets::css),
        get("/lang/{code}", PUBLIC, p_auth::set_lang),
        // Pages.
        get("/login", PUBLIC, p_auth::login_form).face(Face::SignIn),
        post("/login", PUBLIC, p_auth::login).face(Face::SignIn),
        post("/logout", SIGNED_IN, p_auth::logout).while_changing_password(),
        get("/account/password", SIGNED_IN, p_auth::password_form).while_changing_password(),
        post("/account/password", SIGNED_IN, p_auth::change_password).while_changing_password(),
        get("/", SIGNED_IN, pages::dashboard::show),
        get("/orgs", ORG_READERS, p_orgs::list),
        post("/orgs", ADMIN, p_orgs::create),
        get("/orgs/{id}", ORG_READERS, p_orgs::show),
        post("/orgs/{id}/scope", REGULATOR_ONLY, p_orgs::set_scope),
        get("/users", ADMIN, p_users::list),
        post("/users", ADMIN, p_users::create),
        get("/users/{id}", ADMIN, p_users::show),
        post("/users/{id}/roles", ADMIN, p_users::grant),
        post("/users/{id}/roles/revoke", ADMIN, p_users::revoke),
        post("/users/{id}/reveal", ADMIN, p_users::reveal),
        get("/audit", REGULATOR_ONLY, p_audit::list),
        get("/shortage", PUBLIC, p_banks::shortage),
        post("/shortage", REGULATOR_ONLY, p_banks::publish_shortage),
        get("/banks", BANK_USERS, p_banks::list),
        get("/banks/{id}", BANK_USERS, p_banks::show),
        post("/banks/{id}/items", BANK_USERS, p_banks::create_item),
        get("/banks/{id}/pool", BANK_USERS, p_banks::pool),
        post("/banks/{id}/share", REGULATOR_ONLY, p_banks::share),
        post("/banks/{id}/import", BANK_USERS, p_banks::import_preview).body_limit(UPLOAD_BYTES),
        post(
            "/banks/{id}/import/confirm",
            BANK_USERS,
            p_banks::import_confirm,
        )
        .body_limit(UPLOAD_BYTES * 2),
        get("/items/{id}", BANK_USERS, p_banks::show_item),
        post("/items/{id}/keys", BANK_USERS, p_banks::reveal_keys),
        post("/items/{id}/edit", BANK_USERS, p_banks::edit_item),
        post("/items/{id}/transition", BANK_USERS, p_banks::transition),
        // Exam pages.
        get("/plans", PLAN_VIEWERS, p_plans::plans),
        post("/plans", BODY_ADMIN, p_plans::create_plan),
        get("/plans/{id}", PLAN_VIEWERS, p_plans::show_plan),
        post("/plans/{id}/approve", REGULATOR_ONLY, p_plans::approve),
        post("/plans/{id}/sessions", BODY_ADMIN, p_plans::add_session),
        post("/plans/{id}/proctors", BODY_ADMIN, p_plans::assign_proctor),
        post("/plans/{id}/inspectors", REGULATOR_ONLY, p_plans::assign_inspector),
        post("/plans/{id}/candidates", BODY_ADMIN, p_plans::add_candidates).body_limit(ROSTER_BYTES),
        post("/plans/{id}/close-roster", BODY_ADMIN, p_plans::close_roster),
        get("/plans/{id}/tickets", BODY_ADMIN, p_plans::tickets),
        get("/tickets/{id}", SIGNED_IN, p_plans::my_ticket),
        get("/account/relations", SIGNED_IN, p_plans::relations_form),
        post("/account/relations", SIGNED_IN, p_plans::declare_relation),
        get("/proctor", PROCTORS, p_proctor::proctor_home),
        get("/proctor/sessions/{id}", PROCTORS, p_proctor::console),
        post("/proctor/sessions/{id}/admit-all", PROCTORS, p_proctor::admit_all),
        post("/proctor/sessions/{id}/unlock", PROCTORS, p_proctor::unlock_login),
        post("/proctor/attempts/{id}/action", PROCTORS, p_proctor::attempt_action),
        post("/proctor/attempts/{id}/irregularities", PROCTORS, p_proctor::record_irregularity),
        get("/inspect/plans/{id}", PLAN_VIEWERS, p_inspect::inspect),
        post("/inspect/plans/{id}/findings", INSPECTORS, p_inspect::file_finding),
        get("/exam/login", PUBLIC, p_exam::exam_login_form).face(Face::ExamSignIn),
        post("/exam/login", PUBLIC, p_exam::exam_login).face(Face::ExamSignIn),
        post("/exam/logout", PUBLIC, p_exam::exam_logout).face(Face::Exam),
        get("/exam", EXAMINEE, p_exam::exam_home).face(Face::Exam),
        post("/exam/start", EXAMINEE, p_exam::exam_start).face(Face::Exam),
        post("/exam/answers", EXAMINEE, p_exam::exam_save_form).face(Face::Exam),
        post("/exam/submit", EXAMINEE, p_exam::exam_submit).face(Face::Exam),
        get("/static/exam.js", PUBLIC, pages::assets::exam_js),
        get("/static/console.js", PUBLIC, pages::assets::console_js),
        get("/static/inspect.js", PUBLIC, pages::assets::inspect_js),
        // API: sessions and tokens.
        post("/api/v1/auth/login", PUBLIC, a_auth::login)
            .api(
                "auth",
                "Sign in; sets the session cookie and returns the CSRF token for later calls",
            )
            .req::<a_auth::LoginRequest>()
            .res::<a_auth::LoginResponse>(),
        post("/api/v1/auth/logout", SIGNED_IN, a_auth::logout).status(204)
            .api("auth", "End the cookie session")
            .while_changing_password(),
        post("/api/v1/auth/tokens", SIGNED_IN, a_auth::create_token)
            .api(
                "auth",
                "Issue a bearer token for API clients (stored hashed)",
            )
            .req::<a_auth::TokenRequest>()
            .res::<a_auth::TokenResponse>(),
        get("/api/v1/me", SIGNED_IN, a_auth::me)
            .api("auth", "The caller and their roles")
            .res::<a_auth::Me>()
            .while_changing_password(),
        put("/api/v1/me/password", SIGNED_IN, a_auth::change_password).status(204)
            .api(
                "auth",
                "Change the caller's password; ends their other sessions",
            )
            .req::<crate::app::users::ChangePassword>()
            .while_changing_password(),
        // API: organisations.
        get("/api/v1/organisations", ORG_READERS, a_orgs::list)
            .api("organisations", "Organisations the caller may see")
            .res::<a_orgs::OrgList>(),
        post("/api/v1/organisations", ADMIN, a_orgs::create).status(201)
            .api(
                "organisations",
                "File an evaluation body (regulator) or add a test site or room",
            )
            .req::<crate::app::orgs::CreateOrg>()
            .res::<crate::store::Org>(),
        get("/api/v1/organisations/{id}", ORG_READERS, a_orgs::show)
            .api("organisations", "One organisation")
            .res::<crate::store::Org>(),
        get(
            "/api/v1/organisations/{id}/scope",
            ORG_READERS,
            a_orgs::scope,
        )
        .api("organisations", "A body's filed scope")
        .res::<a_orgs::ScopeList>(),
        put(
            "/api/v1/organisations/{id}/scope",
            REGULATOR_ONLY,
            a_orgs::set_scope,
        )
        .api("organisations", "Replace a body's filed scope")
        .req::<a_orgs::ScopeList>()
        .res::<a_orgs::ScopeList>(),
        // API: accounts.
        get("/api/v1/users", ADMIN, a_users::list)
            .api("users", "Accounts the caller administers")
            .res::<a_users::UserList>(),
        post("/api/v1/users", ADMIN, a_users::create).status(201)
            .api(
                "users",
                "Create an account with a role; real-name record for candidates",
            )
            .req::<crate::app::users::CreateUser>()
            .res::<crate::app::users::UserView>(),
        get("/api/v1/users/{id}", ADMIN, a_users::show)
            .api("users", "One account")
            .res::<crate::app::users::UserView>(),
        post("/api/v1/users/{id}/roles", ADMIN, a_users::grant)
            .api("users", "Grant a role at an organisation")
            .req::<crate::app::users::RoleChange>()
            .res::<crate::app::users::UserView>(),
        post("/api/v1/users/{id}/roles/revoke", ADMIN, a_users::revoke)
            .api("users", "Revoke a role")
            .req::<crate::app::users::RoleChange>()
            .res::<crate::app::users::UserView>(),
        post("/api/v1/users/{id}/document", ADMIN, a_users::reveal)
            .api("users", "Read the full document number (audited)")
            .res::<a_users::DocumentNumber>(),
        // API: catalogue and banks.
        get("/api/v1/occupations", PUBLIC, a_banks::occupations)
            .api("catalogue", "The occupation catalogue")
            .res::<a_banks::OccupationList>(),
        put(
            "/api/v1/occupations",
            REGULATOR_ONLY,
            a_banks::put_occupation,
        )
        .api("catalogue", "Create or update an occupation")
        .req::<crate::app::banks::catalogue::OccupationInput>()
        .res::<crate::store::catalogue::Occupation>(),
        get("/api/v1/shortage-catalogue", PUBLIC, a_banks::shortage)
            .api("catalogue", "Shortage catalogues in force today")
            .res::<a_banks::ShortageList>(),
        post(
            "/api/v1/shortage-catalogues",
            REGULATOR_ONLY,
            a_banks::create_shortage,
        ).status(201)
        .api("catalogue", "Publish a dated shortage catalogue")
        .req::<a_banks::ShortageInput>(),
        get("/api/v1/banks", BANK_USERS, a_banks::list)
            .api("banks", "Banks the caller may see")
            .res::<a_banks::BankList>(),
        get("/api/v1/banks/{id}/pool", BANK_USERS, a_banks::pool)
            .api("banks", "Pool sufficiency report per standard")
            .res::<a_banks::PoolResponse>(),
        get("/api/v1/banks/{id}/items", BANK_USERS, a_banks::items)
            .api(
                "banks",
                "Items of a bank (no keys); filters level, mode, point, status, type, q, page",
            )
            .res::<a_banks::ItemList>(),
        post("/api/v1/banks/{id}/items", BANK_USERS, a_banks::create_item).status(201)
            .api("banks", "Write a new item (a draft)")
            .req::<crate::app::banks::NewItemInput>()
            .res::<a_banks::CreatedItem>(),
        post("/api/v1/banks/{id}/import", BANK_USERS, a_banks::import)
            .api(
                "banks",
                "Import a file (body) as drafts; ?format=&level=&mode=&point=&dry_run=true",
            )
            .res::<a_banks::ImportResponse>()
            .body_limit(UPLOAD_BYTES),
        post("/api/v1/banks/{id}/share", REGULATOR_ONLY, a_banks::share).status(204)
            .api("banks", "Share a bank with a body for assembly (no keys)")
            .req::<a_banks::ShareInput>(),
        get("/api/v1/items/{id}", BANK_USERS, a_banks::item)
            .api("items", "An item with all versions, without keys")
            .res::<a_banks::ItemResponse>(),
        post("/api/v1/items/{id}/keys", BANK_USERS, a_banks::item_keys)
            .api("items", "An item with all versions and keys; the read is audited")
            .res::<a_banks::ItemResponse>(),
        put("/api/v1/items/{id}", BANK_USERS, a_banks::edit)
            .api("items", "Edit: adds a version, back to draft")
            .req::<a_banks::EditInput>()
            .res::<a_banks::EditResult>(),
        post(
            "/api/v1/items/{id}/transition",
            BANK_USERS,
            a_banks::transition,
        )
        .api("items", "submit, approve, reject or retire")
        .req::<crate::app::banks::TransitionInput>()
        .res::<a_banks::TransitionResult>(),
        // API: plans.
        get("/api/v1/plans", PLAN_VIEWERS, a_exams::list)
            .api("plans", "Assessment plans the caller may see")
            .res::<a_exams::PlanList>(),
        post("/api/v1/plans", BODY_ADMIN, a_exams::create).status(201)
            .api("plans", "Plan an occupation × level: refused unless the body is in good standing and its filed scope covers it")
            .req::<crate::app::plans::PlanInput>(),
        get("/api/v1/plans/{id}", PLAN_VIEWERS, a_exams::show)
            .api("plans", "A plan with its sessions and inspectors")
            .res::<a_exams::PlanDetail>(),
        post("/api/v1/plans/{id}/approve", REGULATOR_ONLY, a_exams::approve)
            .api("plans", "Approve a plan that waits for the regulator"),
        post("/api/v1/plans/{id}/sessions", BODY_ADMIN, a_exams::add_session).status(201)
            .api("plans", "Add a session in one of the body's rooms")
            .req::<crate::app::plans::sessions::SessionInput>()
            .res::<a_exams::Created>(),
        post("/api/v1/sessions/{id}/proctors", BODY_ADMIN, a_exams::assign_proctor).status(204)
            .api("plans", "Assign a proctor; refused with the reason on a declared relation to a candidate")
            .req::<crate::app::plans::sessions::StaffInput>(),
        post("/api/v1/plans/{id}/inspectors", REGULATOR_ONLY, a_exams::assign_inspector).status(204)
            .api("plans", "Dispatch a quality inspector to a plan")
            .req::<crate::app::plans::sessions::StaffInput>(),
        post("/api/v1/plans/{id}/candidates", BODY_ADMIN, a_exams::add_candidates).status(201)
            .api("plans", "Enrol candidates (all or none): seats and admission numbers")
            .req::<crate::app::plans::roster::RosterInput>()
            .res::<a_exams::EnrolledList>()
            .body_limit(ROSTER_BYTES),
        post("/api/v1/plans/{id}/close-roster", BODY_ADMIN, a_exams::close_roster)
            .api("plans", "Check staffing and generate every candidate's paper")
            .res::<a_exams::PapersGenerated>(),
        get("/api/v1/plans/{id}/roster", PLAN_VIEWERS, a_exams::plan_roster)
            .api("plans", "The plan's roster with each attempt's live state")
            .res::<a_exams::Roster>(),
        get("/api/v1/plans/{id}/answers", BODY_ADMIN, a_exams::stored_seqs)
            .api("plans", "Stored sequence number of every answered position (acknowledged saves check)")
            .res::<a_exams::StoredSeqs>(),
        get("/api/v1/attempts/{id}/paper-check", PLAN_VIEWERS, a_exams::paper_check)
            .api("inspection", "Draw an attempt's paper again from its recorded seed, pool and exclusions and compare it with the paper the candidate was given")
            .res::<crate::app::plans::papers::PaperCheck>(),
        get("/api/v1/plans/{id}/live", PLAN_VIEWERS, a_exams::live)
            .api("inspection", "Rooms, roster, proctor actions and findings of a plan")
            .res::<crate::app::inspection::PlanLive>(),
        post("/api/v1/plans/{id}/findings", INSPECTORS, a_exams::file_finding).status(201)
            .api("inspection", "File a finding against the body, a proctor or a session")
            .req::<crate::app::inspection::FindingInput>()
            .res::<a_exams::Created>(),
        post("/api/v1/me/relations", SIGNED_IN, a_exams::declare_relation).status(204)
            .api("plans", "Declare a relation to a person (recusal)")
            .req::<crate::app::plans::roster::RelationInput>(),
        post("/api/v1/synthetic-bank", REGULATOR_ONLY, a_exams::synthetic_bank)
            .api("system", "Create the synthetic load-test bank (occupation 9-99-99-99)")
            .req::<a_exams::SyntheticInput>()
            .res::<a_exams::SyntheticBank>(),
        get("/api/v1/system/stats", REGULATOR_ONLY, system::stats)
            .api("system", "Memory of the answering process")
            .res::<system::ProcessStats>(),
        // API: proctors.
        get("/api/v1/sessions/{id}/roster", PROCTORS, a_exams::session_roster)
            .api("proctoring", "Live roster of a room, with who is locked out of exam-day login")
            .res::<a_exams::RoomRoster>(),
        post("/api/v1/sessions/{id}/unlock", PROCTORS, a_exams::unlock_login).status(204)
            .api("proctoring", "Unlock a candidate's exam-day login after too many wrong ID numbers")
            .req::<crate::app::proctoring::UnlockInput>(),
        post("/api/v1/sessions/{id}/admit-all", PROCTORS, a_exams::admit_all)
            .api("proctoring", "Admit every candidate of the room")
            .res::<a_exams::Admitted>(),
        post("/api/v1/attempts/{id}/actions", PROCTORS, a_exams::attempt_action)
            .api("proctoring", "admit, pause, resume, extend (minutes, reason), terminate (reason)")
            .req::<crate::app::proctoring::ActionInput>()
            .res::<crate::domain::exam::Clock>(),
        post("/api/v1/attempts/{id}/irregularities", PROCTORS, a_exams::irregularity).status(201)
            .api("proctoring", "Record an irregularity: warning, deduction, void")
            .req::<crate::app::proctoring::IrregularityInput>()
            .res::<a_exams::Created>(),
        // API: the candidate's exam day.
        post("/api/v1/exam/login", PUBLIC, a_exams::exam_login)
            .face(Face::ExamSignInApi)
            .api("exam", "Exam-day login with admission number and ID number; sets the exam cookie")
            .req::<crate::app::delivery::ExamLogin>()
            .res::<a_exams::ExamSession>(),
        post("/api/v1/exam/logout", PUBLIC, a_exams::exam_logout).status(204).face(Face::Exam).api("exam", "End the exam-day session"),
        get("/api/v1/exam/state", EXAMINEE, a_exams::exam_state)
            .face(Face::Exam)
            .api("exam", "Status, server clock and acknowledged answers (no keys, no scores)")
            .res::<crate::app::delivery::ExamState>(),
        get("/api/v1/exam/paper", EXAMINEE, a_exams::exam_paper)
            .face(Face::Exam)
            .api("exam", "The candidate's paper once started (no keys)")
            .res::<crate::app::delivery::paper_view::CandidatePaper>(),
        post("/api/v1/exam/start", EXAMINEE, a_exams::exam_start)
            .face(Face::Exam)
            .api("exam", "Start (after admission) or resume")
            .res::<a_exams::Started>(),
        post("/api/v1/exam/answers", EXAMINEE, a_exams::exam_save)
            .face(Face::ExamSave)
            .api("exam", "Save changes; answered only after the durable commit; 409 when paused, closed or past the deadline")
            .req::<crate::app::delivery::SaveRequest>()
            .res::<crate::app::delivery::SaveAck>(),
        post("/api/v1/exam/marks", EXAMINEE, a_exams::exam_mark).status(204)
            .face(Face::Exam)
            .api("exam", "Mark a question to come back to (or clear the mark); marks follow the candidate to another computer")
            .req::<crate::app::delivery::MarkInput>(),
        post("/api/v1/exam/submit", EXAMINEE, a_exams::exam_submit)
            .face(Face::Exam)
            .api("exam", "Submit with the saved answers")
            .res::<a_exams::Submitted>(),
        // API: audit.
        get("/api/v1/audit", REGULATOR_ONLY, api::audit::list)
            .api("audit", "Audit entries after a sequence number")
            .res::<api::audit::AuditList>(),
    ]
    .into_iter()
    .chain(assessment::routes())
    .chain(oversight::routes())
    .collect()
}
