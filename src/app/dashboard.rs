//! The start page's work lists, by role: the proctor's sessions, the inspector's plans,
//! the body's plans, the plans waiting for the regulator's approval, the items waiting
//! for review, and a candidate's exams. Each list is only filled for those who hold the
//! role.

use crate::app::{App, Result};
use crate::domain::exam::PlanStatus;
use crate::domain::item::ItemStatus;
use crate::domain::policy::Principal;
use crate::domain::role::Role;
use crate::store::items::{BankInfo, ItemFilter};
use crate::store::plans::{Enrolment, Plan, PlanSession};

/// How many waiting items a review list counts before saying "at least".
pub const REVIEW_COUNT_LIMIT: i64 = 100;

pub struct Overview {
    /// Each role with the name of the organisation it is held at.
    pub grants: Vec<(Role, String)>,
    /// The proctor's sessions, soonest first, with their plans.
    pub proctor_sessions: Vec<(Plan, PlanSession)>,
    /// Plans the inspector is dispatched to.
    pub inspector_plans: Vec<Plan>,
    /// The plans of the bodies the caller administers that are not finished.
    pub body_plans: Vec<Plan>,
    /// Plans waiting for the regulator's approval.
    pub pending_approval: Vec<Plan>,
    /// Banks with items waiting for the caller's review, and how many (up to the limit).
    pub review_queue: Vec<(BankInfo, i64)>,
    /// The caller's own exams, when they are a candidate with an account.
    pub enrolments: Vec<Enrolment>,
    /// The caller's published results and certificates (anyone with a real-name record).
    pub results: Vec<super::grading::MyResult>,
    pub certificates: Vec<crate::store::certificates::Certificate>,
}

pub async fn overview(app: &App, p: &Principal) -> Result<Overview> {
    let mut grants = Vec::new();
    for g in &p.grants {
        grants.push((g.role, app.store.org(g.org.id).await?.name));
    }
    let proctor_sessions = match p.has_role(Role::Proctor) {
        true => {
            let mut s = super::proctoring::my_sessions(app, p).await?;
            s.sort_by_key(|(_, s)| s.starts_at_ms);
            s
        }
        false => Vec::new(),
    };
    let inspector_plans = match p.has_role(Role::QualityInspector) {
        true => app.store.inspector_plans(p.user_id).await?,
        false => Vec::new(),
    };
    let unfinished = |plan: &Plan| plan.status != PlanStatus::Closed;
    let body_plans = match p.has_role(Role::BodyAdmin) && !p.is_regulator_admin() {
        true => super::plans::list_plans(app, p)
            .await?
            .into_iter()
            .filter(unfinished)
            .collect(),
        false => Vec::new(),
    };
    let pending_approval = match p.is_regulator_admin() {
        true => app
            .store
            .plans(None)
            .await?
            .into_iter()
            .filter(|plan| plan.status == PlanStatus::PendingApproval)
            .collect(),
        false => Vec::new(),
    };
    let mut review_queue = Vec::new();
    if p.has_role(Role::BankReviewer) {
        for b in super::banks::list(app, p).await? {
            if !b.can_review {
                continue;
            }
            let filter = ItemFilter {
                status: Some(ItemStatus::InReview),
                limit: REVIEW_COUNT_LIMIT,
                ..Default::default()
            };
            let waiting = app.store.items(b.bank.id, filter).await?.len() as i64;
            if waiting > 0 {
                review_queue.push((b.bank, waiting));
            }
        }
    }
    let enrolments = match (
        p.has_role(Role::Candidate),
        app.store.user(p.user_id).await?.person_id,
    ) {
        (true, Some(person)) => app.store.enrolments(person).await?,
        _ => Vec::new(),
    };
    let results = super::grading::my_results(app, p).await?;
    let certificates = super::certificates::my_certificates(app, p).await?;
    Ok(Overview {
        results,
        certificates,
        grants,
        proctor_sessions,
        inspector_plans,
        body_plans,
        pending_approval,
        review_queue,
        enrolments,
    })
}
