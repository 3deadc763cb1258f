//! What the planning pages show: the bodies a body admin plans for with their filed
//! scope, and one plan with its sessions, roster, rooms and the staff who may be
//! assigned.

use super::plan_for_viewer;
use crate::app::{App, Result};
use crate::domain::exam::ProctorRatio;
use crate::domain::org::OrgKind;
use crate::domain::policy::{decide, Action, Principal};
use crate::domain::role::Role;
use crate::store::catalogue::Occupation;
use crate::store::plans::{Plan, PlanSession, RosterEntry, StaffRef};
use crate::store::{Org, OrgFilter, User, UserFilter};

/// One entry of a body's filed scope that can be planned (an occupation with levels).
#[derive(Debug, Clone)]
pub struct ScopeOption {
    pub occupation: Occupation,
    pub level: u8,
}

/// A body the caller plans for, with what its filed scope lets it plan.
#[derive(Debug, Clone)]
pub struct BodyOption {
    pub body: Org,
    pub scope: Vec<ScopeOption>,
}

/// The bodies the caller administers, each with the occupation × level entries of its
/// filed scope that the catalogue knows.
pub async fn planning_options(app: &App, p: &Principal) -> Result<Vec<BodyOption>> {
    let occupations = app.store.occupations().await?;
    let mut bodies: Vec<i64> = p
        .grants
        .iter()
        .filter(|g| g.role == Role::BodyAdmin)
        .filter_map(|g| g.org.body_id)
        .collect();
    bodies.sort_unstable();
    bodies.dedup();
    let mut out = Vec::with_capacity(bodies.len());
    for id in bodies {
        let body = app.store.org(id).await?;
        let mut scope = Vec::new();
        for s in app.store.body_scope(id).await? {
            let (Some(level), Some(occupation)) = (
                s.level,
                occupations.iter().find(|o| {
                    o.code == s.occupation.code() && o.edition == i64::from(s.occupation.edition())
                }),
            ) else {
                continue;
            };
            scope.push(ScopeOption {
                occupation: occupation.clone(),
                level: level.get(),
            });
        }
        out.push(BodyOption { body, scope });
    }
    Ok(out)
}

/// A plan as the API shows it: with its sessions and inspectors, for those who may see
/// it.
pub async fn summary(
    app: &App,
    p: &Principal,
    id: i64,
) -> Result<(Plan, Vec<PlanSession>, Vec<StaffRef>)> {
    let (plan, _) = plan_for_viewer(app, p, id).await?;
    let sessions = app.store.sessions(plan.id).await?;
    let inspectors = app.store.plan_inspectors(plan.id).await?;
    Ok((plan, sessions, inspectors))
}

/// A plan's roster with each candidate's progress, for those who may see the plan.
pub async fn roster(app: &App, p: &Principal, id: i64) -> Result<Vec<RosterEntry>> {
    let (plan, _) = plan_for_viewer(app, p, id).await?;
    Ok(app.store.roster(plan.id, None).await?)
}

/// The stored sequence number of every answered position of a plan (the body checks
/// that every acknowledged save is there; the load generator does after every run).
pub async fn stored_seqs(
    app: &App,
    p: &Principal,
    id: i64,
) -> Result<Vec<crate::store::delivery::StoredSeq>> {
    let (plan, _) = super::plan_for_admin(app, p, id).await?;
    Ok(app.store.stored_seqs(plan.id).await?)
}

/// A plan page's data.
pub struct PlanDetail {
    pub plan: Plan,
    pub body: Org,
    pub sessions: Vec<PlanSession>,
    pub roster: Vec<RosterEntry>,
    pub inspectors: Vec<StaffRef>,
    /// The caller plans for the body (sessions, staff, roster).
    pub can_plan: bool,
    /// The caller is the regulator (approval, inspectors).
    pub can_approve: bool,
    /// The body's rooms (for new sessions).
    pub rooms: Vec<Org>,
    /// The body's proctors (for assignment), when the caller plans.
    pub proctors: Vec<User>,
    /// Quality inspectors (for dispatch), when the caller is the regulator.
    pub inspector_choices: Vec<User>,
    /// The body's assessors (for panels), when the caller plans.
    pub assessors: Vec<User>,
    /// Each session's assessor panel, with whether each leads it.
    pub panels: Vec<(i64, Vec<(StaffRef, bool)>)>,
    pub proctor_ratio: ProctorRatio,
}

pub async fn detail(app: &App, p: &Principal, id: i64) -> Result<PlanDetail> {
    let (plan, body) = plan_for_viewer(app, p, id).await?;
    let can_plan = decide(p, Action::PlanExams, &body.as_ref()).is_ok();
    let can_approve = decide(p, Action::ApprovePlan, &body.as_ref()).is_ok();
    let rooms = app
        .store
        .orgs(OrgFilter {
            body_id: Some(body.id),
            kind: Some(OrgKind::Room),
            ..Default::default()
        })
        .await?;
    let proctors = if can_plan {
        let f = UserFilter {
            body_id: Some(body.id),
            role: Some(Role::Proctor),
        };
        app.store.users(f).await?
    } else {
        Vec::new()
    };
    let assessors = if can_plan {
        let f = UserFilter {
            body_id: Some(body.id),
            role: Some(Role::Assessor),
        };
        app.store.users(f).await?
    } else {
        Vec::new()
    };
    let sessions = app.store.sessions(plan.id).await?;
    let mut panels = Vec::with_capacity(sessions.len());
    for s in &sessions {
        panels.push((s.id, app.store.session_assessors(s.id).await?));
    }
    let inspector_choices = if can_approve {
        let f = UserFilter {
            body_id: None,
            role: Some(Role::QualityInspector),
        };
        app.store.users(f).await?
    } else {
        Vec::new()
    };
    Ok(PlanDetail {
        sessions,
        assessors,
        panels,
        roster: app.store.roster(plan.id, None).await?,
        inspectors: app.store.plan_inspectors(plan.id).await?,
        plan,
        body,
        can_plan,
        can_approve,
        rooms,
        proctors,
        inspector_choices,
        proctor_ratio: app.config.exams.proctors,
    })
}
