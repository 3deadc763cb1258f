//! Admission tickets (准考证): what a candidate brings to the exam — the plan, their
//! name and masked document number, admission number, site and room with its address,
//! start time, seat, and the rules of the day. The body's admin prints a plan's tickets
//! at once; a candidate with an account prints their own.

use serde::Serialize;

use super::plan_for_admin;
use crate::app::{App, Error, Result};
use crate::domain::policy::Principal;
use crate::store::plans::Plan;

#[derive(Debug, Clone, Serialize)]
pub struct Ticket {
    pub plan_name: String,
    pub occupation_code: String,
    pub occupation_name: String,
    pub level: u8,
    pub body_name: String,
    pub admission_no: String,
    pub name: String,
    pub document_masked: String,
    pub site_name: String,
    pub address: Option<String>,
    pub room_name: String,
    pub starts_at_ms: i64,
    pub seat: i64,
    pub duration_minutes: u32,
    /// Exam-day sign-in opens this many minutes before the start…
    pub login_opens_minutes: i64,
    /// …and closes this many minutes after it for a latecomer.
    pub late_entry_minutes: i64,
}

async fn tickets_of(app: &App, plan: &Plan, only: Option<i64>) -> Result<Vec<Ticket>> {
    let body = app.store.org(plan.body_id).await?;
    let sessions = app.store.sessions(plan.id).await?;
    let mut out = Vec::new();
    for r in app.store.roster(plan.id, None).await? {
        if only.is_some_and(|c| c != r.candidate_id) {
            continue;
        }
        let Some(s) = sessions.iter().find(|s| s.id == r.session_id) else {
            continue;
        };
        let room = app.store.org(s.room_id).await?;
        let site = match room.parent_id {
            Some(id) => Some(app.store.org(id).await?),
            None => None,
        };
        out.push(Ticket {
            plan_name: plan.name.clone(),
            occupation_code: plan.occupation_code.clone(),
            occupation_name: plan.occupation_name.clone(),
            level: plan.level,
            body_name: body.name.clone(),
            admission_no: r.admission_no.clone(),
            name: r.name.clone(),
            document_masked: r.document_masked.clone(),
            site_name: site.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
            address: site.and_then(|s| s.address).or(room.address),
            room_name: room.name,
            starts_at_ms: s.starts_at_ms,
            seat: r.seat,
            duration_minutes: plan.template.duration_seconds / 60,
            login_opens_minutes: app.config.exams.login_opens_minutes_before,
            late_entry_minutes: app.config.exams.late_entry_minutes,
        });
    }
    Ok(out)
}

/// Every ticket of a plan, for its body's admin.
pub async fn plan_tickets(app: &App, p: &Principal, plan_id: i64) -> Result<Vec<Ticket>> {
    let (plan, _) = plan_for_admin(app, p, plan_id).await?;
    tickets_of(app, &plan, None).await
}

/// The signed-in candidate's own ticket for a plan.
pub async fn my_ticket(app: &App, p: &Principal, plan_id: i64) -> Result<Ticket> {
    let Some(person) = app.store.user(p.user_id).await?.person_id else {
        return Err(Error::NotFound);
    };
    let Some((_, candidate)) = app
        .store
        .candidacies(person)
        .await?
        .into_iter()
        .find(|(plan, _)| *plan == plan_id)
    else {
        return Err(Error::NotFound);
    };
    let plan = app.store.plan(plan_id).await?;
    tickets_of(app, &plan, Some(candidate))
        .await?
        .into_iter()
        .next()
        .ok_or(Error::NotFound)
}
