//! The routes of assessment after the exam: panel marking, results and their
//! publication, certificate issuance and status, and public verification (pages and
//! API). Part of the one route table ([`super::table`]).

use super::{get, post, RouteSpec, BODY_ADMIN, PLAN_VIEWERS, PUBLIC, REGULATOR_ONLY, SIGNED_IN};
use crate::domain::policy::RoutePolicy;
use crate::domain::role::Role;
use crate::web::{api, pages};

/// Assessors mark; the body's admin sees the marking and decides corrections.
const ASSESSORS: RoutePolicy = RoutePolicy::AnyRole(&[Role::Assessor, Role::BodyAdmin]);
/// Who may suspend, reinstate or revoke certificates: the issuing body's admins and the
/// regulator (checked per certificate in `app::certificates`).
const CERT_OFFICERS: RoutePolicy = RoutePolicy::AnyRole(&[Role::RegulatorAdmin, Role::BodyAdmin]);

pub(super) fn routes() -> Vec<RouteSpec> {
    use api::marking as a_marking;
    use api::results as a_results;
    use pages::marking as p_marking;
    use pages::plans as p_plans;
    use pages::results as p_results;
    use pages::subsidies as p_subsidies;
    vec![
        post("/plans/{id}/assessors", BODY_ADMIN, p_plans::assign_assessor),
        get("/marking", ASSESSORS, p_marking::queue),
        get("/marking/{attempt}/{position}", ASSESSORS, p_marking::task),
        post("/marking/{attempt}/{position}", ASSESSORS, p_marking::submit),
        post("/marking/{attempt}/{position}/arbitrate", ASSESSORS, p_marking::arbitrate),
        post("/marking/marks/{id}/correct", ASSESSORS, p_marking::correct),
        post("/marking/marks/{id}/decide", ASSESSORS, p_marking::decide),
        get("/plans/{id}/results", PLAN_VIEWERS, p_results::show),
        post("/plans/{id}/results/publish", BODY_ADMIN, p_results::publish),
        get("/plans/{id}/results/export", PLAN_VIEWERS, p_results::export),
        post("/plans/{id}/certificates/request", BODY_ADMIN, p_results::request_issuance),
        post("/certificates/requests/{id}", BODY_ADMIN, p_results::decide),
        get("/certificates/{id}", SIGNED_IN, p_results::certificate),
        post("/certificates/{id}/status", CERT_OFFICERS, p_results::set_status),
        post("/results/{id}/review", SIGNED_IN, p_results::file_review),
        post("/reviews/{id}", CERT_OFFICERS, p_results::decide_review),
        get("/record", SIGNED_IN, p_results::record),
        get("/training", BODY_ADMIN, pages::training::show),
        post("/training", BODY_ADMIN, pages::training::record),
        post("/api/v1/training", BODY_ADMIN, api::results::training).status(201)
            .api("record", "Record a course a person completed (found by document), with hours and credits, for their skills record")
            .req::<crate::app::training::TrainingInput>()
            .res::<api::results::RequestCreated>(),
        get("/subsidies", CERT_OFFICERS, p_subsidies::show),
        post("/subsidies", CERT_OFFICERS, p_subsidies::grant),
        get("/verify", PUBLIC, p_results::verify_form),
        get("/verify/{number}", PUBLIC, p_results::verify),
        get("/api/v1/plans/{id}/results", PLAN_VIEWERS, a_results::plan_results)
            .api("results", "A plan's results: each candidate's theory component out of 100 with deductions, voids and pass, and the publication")
            .res::<crate::app::grading::PlanResults>(),
        get("/api/v1/plans/{id}/results/export", PLAN_VIEWERS, p_results::export)
            .api("results", "The plan's results and certificates as the upward report: ?format=csv (default) or xlsx"),
        post("/api/v1/plans/{id}/results/publish", BODY_ADMIN, a_results::publish)
            .api("results", "Publish a plan's results once every attempt is closed and scored; opens the review window")
            .res::<crate::store::grading::Publication>(),
        get("/api/v1/me/results", SIGNED_IN, a_results::my_results)
            .api("results", "The caller's published results with the per-question breakdown (points only, never keys)")
            .res::<a_results::MyResults>(),
        post("/api/v1/me/results/{id}/review", SIGNED_IN, a_results::file_review).status(201)
            .api("results", "Ask for a review of one's result in a plan while the review window is open")
            .req::<crate::app::reviews::FileInput>()
            .res::<a_results::RequestCreated>(),
        post("/api/v1/plans/{id}/reviews", REGULATOR_ONLY, a_results::open_official).status(201)
            .api("results", "The regulator opens an official review (复查) of a published result, at any time")
            .req::<crate::app::reviews::OfficialInput>()
            .res::<a_results::RequestCreated>(),
        get("/api/v1/plans/{id}/reviews", PLAN_VIEWERS, a_results::plan_reviews)
            .api("results", "A plan's review requests")
            .res::<a_results::Reviews>(),
        post("/api/v1/reviews/{id}", CERT_OFFICERS, a_results::decide_review).status(204)
            .api("results", "Decide a review (not by an examiner of the candidate): uphold, or change by points; a certificate whose result no longer passes is revoked at once")
            .req::<crate::app::reviews::DecideInput>(),
        get("/api/v1/me/certificates", SIGNED_IN, a_results::my_certificates)
            .api("certificates", "The caller's certificates")
            .res::<a_results::Certificates>(),
        get("/api/v1/plans/{id}/certificates", PLAN_VIEWERS, a_results::plan_certificates)
            .api("certificates", "Certificates issued for a plan")
            .res::<a_results::Certificates>(),
        get("/api/v1/plans/{id}/certificates/requests", PLAN_VIEWERS, a_results::requests)
            .api("certificates", "Issuance requests of a plan")
            .res::<a_results::Requests>(),
        post("/api/v1/plans/{id}/certificates/requests", BODY_ADMIN, a_results::request_issuance).status(201)
            .api("certificates", "Ask for a plan's certificates; a second body admin who did not examine the candidates decides")
            .res::<a_results::RequestCreated>(),
        post("/api/v1/certificates/requests/{id}", BODY_ADMIN, a_results::decide)
            .api("certificates", "Approve (issue every passing candidate's certificate, numbered in one transaction) or reject a request")
            .req::<a_results::Decision>()
            .res::<a_results::Issued>(),
        get("/api/v1/certificates/{id}", SIGNED_IN, a_results::certificate)
            .api("certificates", "A certificate, for its holder, its body's admins and the regulator")
            .res::<crate::store::certificates::Certificate>(),
        post("/api/v1/certificates/{id}/status", CERT_OFFICERS, a_results::set_status)
            .api("certificates", "Suspend, reinstate or revoke a certificate with the reason")
            .req::<crate::app::certificates::StatusInput>()
            .res::<crate::store::certificates::Certificate>(),
        post("/api/v1/sessions/{id}/assessors", BODY_ADMIN, a_marking::assign).status(204)
            .api("marking", "Put an assessor on a session's panel: assessor role at the body, qualified for the occupation and level, within the rotation limit, no relation to a candidate")
            .req::<crate::app::marking::AssessorInput>(),
        post("/api/v1/users/{id}/qualifications", REGULATOR_ONLY, a_marking::qualify).status(204)
            .api("marking", "Record an assessor's qualification: occupation, highest level, valid until")
            .req::<crate::app::marking::QualificationInput>(),
        get("/api/v1/marking", ASSESSORS, a_marking::queue)
            .api("marking", "The caller's marking queue: positions waiting for the panel, blind (by attempt)")
            .res::<a_marking::Queue>(),
        get("/api/v1/marking/{attempt}/{position}", ASSESSORS, a_marking::task)
            .api("marking", "One task: question, reference, rubric, the answer, the caller's mark, the panel's marks once all are in")
            .res::<crate::app::marking::TaskView>(),
        post("/api/v1/marking/{attempt}/{position}", ASSESSORS, a_marking::submit).status(201)
            .api("marking", "Submit the caller's mark (points per rubric element, vetoed elements, evidence); once")
            .req::<crate::app::marking::MarkInput>()
            .res::<a_results::RequestCreated>(),
        post("/api/v1/marking/{attempt}/{position}/arbitration", ASSESSORS, a_marking::arbitrate).status(204)
            .api("marking", "The panel leader decides a task whose marks spread beyond the threshold")
            .req::<crate::app::marking::ArbitrationInput>(),
        post("/api/v1/marks/{id}/correction", ASSESSORS, a_marking::correct).status(201)
            .api("marking", "Propose a correction of one's own mark, with the reason; a second person approves")
            .req::<crate::app::marking::MarkInput>()
            .res::<a_results::RequestCreated>(),
        post("/api/v1/marks/{id}/decision", ASSESSORS, a_marking::decide).status(204)
            .api("marking", "Approve or reject a proposed correction (the panel leader or the body's admin, not the proposer)")
            .req::<a_results::Decision>(),
        get("/api/v1/subsidies/check/{number}", CERT_OFFICERS, a_results::subsidy_check)
            .api("subsidies", "Whether a certificate may be subsidised under the region's policy, with the rule that refused it")
            .res::<crate::app::subsidies::SubsidyCheck>(),
        post("/api/v1/subsidies", CERT_OFFICERS, a_results::subsidy_grant).status(201)
            .api("subsidies", "Record a subsidy granted on an eligible certificate")
            .req::<crate::app::subsidies::GrantInput>()
            .res::<a_results::RequestCreated>(),
        get("/api/v1/subsidies", CERT_OFFICERS, a_results::subsidy_ledger)
            .api("subsidies", "The subsidy ledger: the body's own, or all for the regulator")
            .res::<a_results::Ledger>(),
        get("/certificates/{id}/credential", SIGNED_IN, a_results::credential),
        get("/api/v1/certificates/{id}/credential", SIGNED_IN, a_results::credential)
            .api("certificates", "The certificate as a signed credential (W3C VC 2.0 / Open Badges 3.0, eddsa-jcs-2022, did:key issuer)"),
        get("/credentials/status", PUBLIC, a_results::status_list)
            .api("certificates", "The signed Bitstring Status List of revoked and suspended certificates"),
        post("/api/v1/verify/credential", PUBLIC, a_results::check_credential)
            .api("certificates", "Check a presented credential: signature, whether this system issued it, and the certificate's status now")
            .res::<crate::app::credentials::CredentialCheck>(),
        get("/api/v1/verify/{number}", PUBLIC, a_results::verify)
            .api("certificates", "Public verification: masked holder, occupation, level, body, date and status; rate-limited per address")
            .res::<crate::app::certificates::PublicCertificate>(),
    ]
}
