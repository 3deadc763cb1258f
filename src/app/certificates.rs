//! Certificates (DESIGN §3.6): one body admin asks for a plan's certificates, a second
//! one approves and the batch is issued with numbers taken inside the store's
//! transaction; suspension, reinstatement and revocation with a reason; the holder's
//! page; public verification with a masked name, rate-limited per address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{audit_by, authorize, App, Error, Result};
use crate::domain::certificate::{
    mask_name, may_issue, review_due, CertificateStatus, IssueCheck, NumberParts,
};
use crate::domain::org::{CertificateKind, Level, OrgStatus};
use crate::domain::policy::{Action, Principal};
use crate::store::certificates::{Certificate, IssuanceRequest, NewCertificate};
use crate::store::plans::Plan;
use crate::store::Org;

/// The kind of certificate a plan leads to: the body's filed scope entry for the plan's
/// occupation and level, preferring the skill-level certificate (the usual case).
async fn plan_kind(app: &App, plan: &Plan) -> Result<Option<CertificateKind>> {
    let scope = app.store.body_scope(plan.body_id).await?;
    let mut kinds: Vec<CertificateKind> = scope
        .iter()
        .filter(|e| e.occupation.code() == plan.occupation_code)
        .filter(|e| e.level.is_none_or(|l| Some(l) == Level::new(plan.level)))
        .map(|e| e.certificate_kind)
        .collect();
    kinds.sort_by_key(|k| *k != CertificateKind::SkillLevel);
    Ok(kinds.first().copied())
}

/// Whether `user` examined the plan's candidates: proctored or assessed any session of
/// the plan, or sat on a panel of the level's skills or review plans (same body,
/// occupation and level), whose results this issuance rests on too.
async fn examined(app: &App, plan: &Plan, user: i64) -> Result<bool> {
    let mut plans = vec![plan.id];
    for other in app.store.plans(Some(plan.body_id)).await? {
        if other.id != plan.id
            && other.occupation_id == plan.occupation_id
            && other.level == plan.level
            && other.component.at_stations()
        {
            plans.push(other.id);
        }
    }
    for id in plans {
        for s in app.store.sessions(id).await? {
            if s.proctors.iter().any(|r| r.user_id == user) {
                return Ok(true);
            }
            let panel = app.store.session_assessors(s.id).await?;
            if panel.iter().any(|(a, _)| a.user_id == user) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// The plan and body for a certificate action by `p`: 404 for a plan the caller may
/// not see, 403 when they see it but may not issue.
async fn plan_to_issue(app: &App, p: &Principal, plan_id: i64) -> Result<(Plan, Org)> {
    let (plan, body) = super::plans::plan_for_admin(app, p, plan_id).await?;
    authorize(p, Action::IssueCertificates, &body)?;
    Ok((plan, body))
}

/// The checks both people of an issuance pass, with `approver` the person deciding now.
async fn check(
    app: &App,
    plan: &Plan,
    body: &Org,
    requester: i64,
    approver: i64,
) -> Result<CertificateKind> {
    // Certificates come from the level's theory plan; skills and review plans feed it.
    if plan.component.at_stations() {
        return Err(Error::field("plan", "certificate_error.station_plan"));
    }
    let kind = plan_kind(app, plan).await?;
    let publication = app.store.publication(plan.id).await?;
    let c = IssueCheck {
        // The ledger decides, not the stored projection (DESIGN §3.8).
        body_status: crate::app::credit::body(app, body.id).await?.status,
        in_scope: kind.is_some(),
        // Final: published and the review window over (a candidate whose review is
        // still open waits: see `decide`).
        final_result: crate::domain::certificate::results_final(
            publication.map(|p| (p.published_at_ms, p.review_until_ms)),
            crate::now_ms(),
        ),
        requester,
        approver,
        deciders_examined: examined(app, plan, requester).await?
            || examined(app, plan, approver).await?,
    };
    may_issue(&c).map_err(|r| Error::field("plan_id", r.code()))?;
    kind.ok_or(Error::field("plan_id", "certificate_error.out_of_scope"))
}

/// Asks for a plan's certificates to be issued; a second admin decides.
pub async fn request(app: &App, p: &Principal, plan_id: i64) -> Result<i64> {
    let (plan, body) = plan_to_issue(app, p, plan_id).await?;
    // The requester is checked as if approving their own request, except for the
    // two-person rule, which the approval checks.
    check(app, &plan, &body, p.user_id, -1).await?;
    let audit = audit_by(
        p,
        "certificate.request",
        "plan",
        plan_id,
        Some(body.id),
        serde_json::json!({}),
    );
    Ok(app
        .store
        .request_issuance(plan_id, p.user_id, audit)
        .await?)
}

pub async fn requests(app: &App, p: &Principal, plan_id: i64) -> Result<Vec<IssuanceRequest>> {
    let (plan, _) = super::plans::plan_for_viewer(app, p, plan_id).await?;
    Ok(app.store.issuance_requests(plan.id).await?)
}

/// Approves (issuing every passing candidate's certificate who has none) or rejects a
/// pending request. Returns the numbers issued.
pub async fn decide(
    app: &App,
    p: &Principal,
    request_id: i64,
    approve: bool,
) -> Result<Vec<String>> {
    let req = app.store.issuance_request(request_id).await?;
    let (plan, body) = plan_to_issue(app, p, req.plan_id).await?;
    if req.status != "pending" {
        return Err(Error::field("request_id", "certificate_error.not_pending"));
    }
    if !approve {
        if req.requested_by == p.user_id {
            return Err(Error::field("request_id", "certificate_error.same_person"));
        }
        let audit = audit_by(
            p,
            "certificate.reject",
            "issuance_request",
            request_id,
            Some(body.id),
            serde_json::json!({"plan_id": plan.id}),
        );
        app.store
            .reject_issuance(request_id, p.user_id, audit)
            .await?;
        return Ok(Vec::new());
    }
    let kind = check(app, &plan, &body, req.requested_by, p.user_id).await?;
    let results = super::grading::derive(app, &plan).await?;
    let today = crate::domain::time::local_date(crate::now_ms());
    // The level needs every required component (DESIGN §3.5): a candidate who passed
    // this plan's theory but not yet the skills (or review) plan of the same level waits.
    let required = app.config.exams.components.required(plan.level);
    let others = super::grading::components_passed(app, &plan).await?;
    let none = Vec::new();
    let batch: Vec<NewCertificate> = results
        .candidates
        .iter()
        .filter(|c| c.passed && c.review.as_deref() != Some("open"))
        .filter(|c| {
            crate::domain::exam::components::level_passed(
                &required,
                plan.component,
                others.get(&c.person_id).unwrap_or(&none),
            )
        })
        .map(|c| NewCertificate {
            candidate_id: c.candidate_id,
            person_id: c.person_id,
            score: c.theory.as_ref().map(|t| t.score).unwrap_or(0.0),
            review_due: review_due(kind, today, false).map(|d| d.to_string()),
        })
        .collect();
    let parts = NumberParts {
        kind,
        body_type: body.body_type,
        body_code: body.body_code.clone().unwrap_or_default(),
        province_code: body.province_code.clone().unwrap_or_default(),
        site_code: body.site_code.clone().unwrap_or_default(),
        year: today.year(),
        level: kind.has_level().then_some(plan.level),
    };
    let audit = audit_by(
        p,
        "certificate.issue",
        "plan",
        plan.id,
        Some(body.id),
        serde_json::json!({"request_id": request_id, "candidates": batch.len()}),
    );
    Ok(app
        .store
        .approve_issuance(request_id, p.user_id, parts, batch, audit)
        .await?)
}

pub async fn plan_certificates(app: &App, p: &Principal, plan_id: i64) -> Result<Vec<Certificate>> {
    let (plan, _) = super::plans::plan_for_viewer(app, p, plan_id).await?;
    Ok(app.store.plan_certificates(plan.id).await?)
}

/// A certificate for its holder, its body's admins and the regulator; 404 for others.
pub async fn certificate(app: &App, p: &Principal, id: i64) -> Result<Certificate> {
    let cert = app.store.certificate(id).await?;
    let holder = app.store.user(p.user_id).await?.person_id == Some(cert.person_id);
    let body = app.store.org(cert.body_id).await?;
    if holder || authorize(p, Action::CertificateStatus, &body).is_ok() {
        return Ok(cert);
    }
    Err(Error::NotFound)
}

/// The signed-in person's certificates.
pub async fn my_certificates(app: &App, p: &Principal) -> Result<Vec<Certificate>> {
    match app.store.user(p.user_id).await?.person_id {
        Some(person) => Ok(app.store.person_certificates(person).await?),
        None => Ok(Vec::new()),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StatusInput {
    /// `valid` (reinstate), `suspended` or `revoked`.
    pub status: String,
    pub reason: String,
}

/// Suspends, reinstates or revokes a certificate, with the reason (shown at once in
/// public verification).
pub async fn set_status(
    app: &App,
    p: &Principal,
    id: i64,
    input: StatusInput,
) -> Result<Certificate> {
    let cert = app.store.certificate(id).await?;
    let body = app.store.org(cert.body_id).await?;
    authorize(p, Action::CertificateStatus, &body)?;
    let status = CertificateStatus::from_code(input.status.trim())
        .ok_or(Error::field("status", "certificate_error.status"))?;
    let reason = input.reason.trim().to_string();
    if reason.is_empty() {
        return Err(Error::field("reason", "field.required"));
    }
    if reason.chars().count() > 500 {
        return Err(Error::field_detail("reason", "field.too_long", "500"));
    }
    let audit = audit_by(
        p,
        "certificate.status",
        "certificate",
        id,
        Some(body.id),
        serde_json::json!({"status": status.code(), "reason": reason}),
    );
    Ok(app
        .store
        .set_certificate_status(id, status, reason, p.user_id, audit)
        .await?)
}

/// The plan of an issuance request, for a caller who may see the plan (404 otherwise).
pub async fn request_plan(app: &App, p: &Principal, request_id: i64) -> Result<i64> {
    let req = app.store.issuance_request(request_id).await?;
    let (plan, _) = super::plans::plan_for_viewer(app, p, req.plan_id).await?;
    Ok(plan.id)
}

/// Whether the caller may suspend, reinstate or revoke this certificate.
pub async fn may_change_status(app: &App, p: &Principal, c: &Certificate) -> Result<bool> {
    let body = app.store.org(c.body_id).await?;
    Ok(authorize(p, Action::CertificateStatus, &body).is_ok())
}

/// Everything the results page of a plan shows: the results, the issuance requests,
/// the certificates, and what the caller may do there.
pub struct ResultsView {
    pub results: super::grading::PlanResults,
    pub requests: Vec<IssuanceRequest>,
    pub certificates: Vec<Certificate>,
    /// The caller is an admin of the plan's body (publishes, asks for and decides on
    /// issuance, changes certificates' status).
    pub can_issue: bool,
    pub reviews: Vec<crate::store::reviews::Review>,
    /// The caller may decide reviews (the body's admins and the regulator).
    pub can_review: bool,
    pub body: Org,
    /// The components the plan's level requires.
    pub required: Vec<crate::domain::exam::components::Component>,
    /// The other components each person passed (by person id), for the level's status.
    pub others_passed:
        std::collections::HashMap<i64, Vec<crate::domain::exam::components::Component>>,
}

pub async fn results_view(app: &App, p: &Principal, plan_id: i64) -> Result<ResultsView> {
    let (plan, body) = super::plans::plan_for_viewer(app, p, plan_id).await?;
    Ok(ResultsView {
        results: super::grading::derive(app, &plan).await?,
        requests: app.store.issuance_requests(plan.id).await?,
        certificates: app.store.plan_certificates(plan.id).await?,
        can_issue: authorize(p, Action::IssueCertificates, &body).is_ok(),
        reviews: app.store.plan_reviews(plan.id).await?,
        can_review: authorize(p, Action::CertificateStatus, &body).is_ok(),
        body,
        required: app.config.exams.components.required(plan.level),
        others_passed: super::grading::components_passed(app, &plan).await?,
    })
}

/// What anyone may learn of a certificate (DESIGN §3.6): nothing more.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicCertificate {
    pub number: String,
    pub kind: CertificateKind,
    /// Partly masked (张*、王*明).
    pub holder: String,
    pub occupation_code: String,
    pub occupation_name: String,
    pub level: Option<u8>,
    pub body: String,
    /// YYYY-MM-DD, China Standard Time.
    pub issued_on: String,
    pub status: CertificateStatus,
    /// Why it was suspended or revoked.
    pub status_reason: Option<String>,
    /// The issuing body has exited the system (the certificate keeps its own status).
    pub body_exited: bool,
}

/// Public verification by number; `None` when there is no such certificate.
pub async fn verify(app: &App, number: &str) -> Result<Option<PublicCertificate>> {
    let number = number.trim().to_ascii_uppercase();
    if number.is_empty() || number.len() > 40 || !number.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Ok(None);
    }
    let Some(c) = app.store.certificate_by_number(&number).await? else {
        return Ok(None);
    };
    let body = app.store.org(c.body_id).await?;
    Ok(Some(PublicCertificate {
        number: c.number,
        kind: c.kind,
        holder: mask_name(&c.holder_name),
        occupation_code: c.occupation_code,
        occupation_name: c.occupation_name,
        level: c.level,
        body: c.body_name,
        issued_on: crate::domain::time::local_date(c.issued_at_ms).to_string(),
        status: c.status,
        status_reason: c.status_reason,
        // The display projection, refreshed with every ledger change: exit is final, so
        // it cannot be stale here, and verification stays one cheap read.
        body_exited: body.status == OrgStatus::Exited,
    }))
}

/// A fixed-window counter per address for public verification (a page anyone can
/// reach, so it must not become a way to enumerate numbers). Kept in memory: a limit
/// per process is enough for its purpose, and it holds no state another process needs.
/// Written by hand because a window counter is a dozen lines, lighter than a
/// rate-limiting crate and its middleware.
#[derive(Default)]
pub struct VerifyLimiter {
    windows: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

impl VerifyLimiter {
    /// Counts a request; `false` when the address is over `per_minute` in this minute.
    /// IPv6 addresses count by their /64: one host gets a whole /64 and could rotate
    /// through it.
    pub fn allow(&self, addr: IpAddr, per_minute: u32, now_ms: i64) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(std::net::Ipv6Addr::from(s))
            }
            v4 => v4,
        };
        let minute = now_ms.div_euclid(60_000);
        let mut w = self.windows.lock().expect("limiter lock");
        if w.len() > 100_000 {
            w.retain(|_, (m, _)| *m == minute);
        }
        let e = w.entry(addr).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 += 1;
        e.1 <= per_minute
    }
}

/// Checks the address against the limit, then verifies.
pub async fn verify_limited(
    app: &App,
    addr: IpAddr,
    number: &str,
) -> Result<Option<PublicCertificate>> {
    if !app
        .verify_limiter
        .allow(addr, app.config.exams.verify_per_minute, crate::now_ms())
    {
        return Err(Error::Throttled);
    }
    verify(app, number).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_counts_per_address_per_minute() {
        let l = VerifyLimiter::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(l.allow(a, 2, 0));
        assert!(l.allow(a, 2, 1));
        assert!(!l.allow(a, 2, 2));
        assert!(l.allow(b, 2, 3));
        assert!(l.allow(a, 2, 60_000));
        // One /64 is one client.
        let v6 = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(l.allow(v6("2001:db8:1:2::1"), 2, 0));
        assert!(l.allow(v6("2001:db8:1:2:ffff::9"), 2, 0));
        assert!(!l.allow(v6("2001:db8:1:2:abcd::7"), 2, 0));
        assert!(l.allow(v6("2001:db8:1:3::1"), 2, 0));
    }
}
