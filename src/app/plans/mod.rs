//! Assessment plans (认定计划, DESIGN §3.4): who may see and change a plan, planning an
//! occupation × level for a body in good standing within its filed scope, and the
//! regulator's approval. Sessions and staffing are in [`sessions`], the roster and
//! relations in [`roster`], paper generation in [`papers`].

pub mod papers;
pub mod roster;
pub mod sessions;
pub mod tickets;
pub mod view;

use std::collections::HashSet;

use serde::Deserialize;

use crate::app::credit::Gate;
use crate::app::{audit_by, App, Error, Result};
use crate::domain::assembly::demo_template;
use crate::domain::exam::{PartialCredit, PlanTemplate};
use crate::domain::policy::{decide, Action, Principal};
use crate::domain::role::Role;
use crate::domain::time::parse_date;
use crate::domain::validate::{FieldError, Fields};
use crate::store::plans::{NewPlan, Plan};
use crate::store::Org;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PlanInput {
    pub body_id: i64,
    /// Occupation code, e.g. `4-10-01-05`.
    pub occupation_code: String,
    pub level: u8,
    /// The bank to draw from; defaults to the bank of the occupation the body owns or
    /// was given.
    pub bank_id: Option<i64>,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub exam_date: String,
    pub duration_minutes: Option<u32>,
    /// Overrides `duration_minutes` for short drills (10 s or more).
    pub duration_seconds: Option<u32>,
    pub pass_mark: Option<f64>,
    /// `none` or `half_for_subset` (default).
    pub partial_credit: Option<PartialCredit>,
    /// The paper template as JSON (`quotas`, `importance_mix`, `max_per_point`,
    /// `difficulty_target`, `difficulty_tolerance`, `exposure_cap`); defaults to the
    /// national theory layout of 100 points.
    #[schema(value_type = Object)]
    pub paper: Option<serde_json::Value>,
    /// `theory` (default, sat online), `skills` or `review` (tasks at stations for an
    /// assessor panel; review only for levels 2 and 1).
    pub component: Option<String>,
}

/// Loads a plan the caller may plan for (body admin of its body); 404 for others.
pub async fn plan_for_admin(app: &App, p: &Principal, id: i64) -> Result<(Plan, Org)> {
    let plan = app.store.plan(id).await?;
    let body = app.store.org(plan.body_id).await?;
    if decide(p, Action::PlanExams, &body.as_ref()).is_err() {
        if decide(p, Action::ViewPlans, &body.as_ref()).is_ok() {
            return Err(Error::Forbidden);
        }
        return Err(Error::NotFound);
    }
    Ok((plan, body))
}

/// A plan the caller may change: as [`plan_for_admin`], and refused while its body has
/// exited (DESIGN §3.8: exit freezes open plans; a suspended body keeps its plans, it
/// only may not start new ones).
pub async fn plan_to_change(app: &App, p: &Principal, id: i64) -> Result<(Plan, Org)> {
    let (plan, body) = plan_for_admin(app, p, id).await?;
    crate::app::credit::require_body(app, body.id, Gate::Continue, "plan").await?;
    Ok((plan, body))
}

/// Loads a plan the caller may see: regulator, the body's admins, and its inspectors.
pub async fn plan_for_viewer(app: &App, p: &Principal, id: i64) -> Result<(Plan, Org)> {
    let plan = app.store.plan(id).await?;
    let body = app.store.org(plan.body_id).await?;
    let inspector_assigned = app.store.is_plan_inspector(id, p.user_id).await?;
    decide(p, Action::ViewPlan { inspector_assigned }, &body.as_ref())
        .map_err(|_| Error::NotFound)?;
    Ok((plan, body))
}

pub async fn list_plans(app: &App, p: &Principal) -> Result<Vec<Plan>> {
    if p.is_regulator_admin() {
        return Ok(app.store.plans(None).await?);
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for g in &p.grants {
        if let (Role::BodyAdmin, Some(body)) = (g.role, g.org.body_id) {
            if seen.insert(body) {
                out.extend(app.store.plans(Some(body)).await?);
            }
        }
    }
    for plan in app.store.inspector_plans(p.user_id).await? {
        if !out.iter().any(|x: &Plan| x.id == plan.id) {
            out.push(plan);
        }
    }
    Ok(out)
}

pub async fn create_plan(app: &App, p: &Principal, input: PlanInput) -> Result<Plan> {
    let body = app
        .store
        .org(input.body_id)
        .await
        .map_err(|_| Error::field("body_id", "org.missing"))?;
    if decide(p, Action::PlanExams, &body.as_ref()).is_err() {
        return Err(Error::Forbidden);
    }
    // DESIGN §3.4, §3.8: only a body in good standing (by its credit ledger) plans.
    crate::app::credit::require_body(app, body.id, Gate::Start, "body_id").await?;
    let mut f = Fields::default();
    let name = f.text("name", &input.name, 100);
    match parse_date(&input.exam_date) {
        None => f.push(FieldError::new("exam_date", "field.date")),
        Some(d) => {
            if let Err(why) = crate::domain::exam::check_exam_date(d, crate::now_ms()) {
                f.push(FieldError::new("exam_date", why.code()));
            }
        }
    }
    let occupation = app
        .store
        .occupations()
        .await?
        .into_iter()
        .find(|o| o.code == input.occupation_code.trim());
    let Some(occupation) = occupation else {
        return Err(Error::field("occupation_code", "exam_error.occupation"));
    };
    if !occupation.levels.contains(&input.level) {
        f.push(FieldError::new("level", "exam_error.level"));
    }
    let scope = app.store.body_scope(body.id).await?;
    let covered = scope.iter().any(|s| {
        s.occupation.code() == occupation.code
            && i64::from(s.occupation.edition()) == occupation.edition
            && s.level.map(|l| l.get()) == Some(input.level)
    });
    if !covered {
        f.push(
            FieldError::new("occupation_code", "exam_error.scope")
                .with_detail(format!("{} / {}", occupation.code, input.level)),
        );
    }
    // The bank: the body's own, or one shared with it, of this occupation.
    let banks = app.store.banks().await?;
    let mut usable = Vec::new();
    for b in banks
        .into_iter()
        .filter(|b| b.occupation_id == occupation.id)
    {
        if b.org_id == body.id || app.store.bank_shared_with(b.id).await?.contains(&body.id) {
            usable.push(b);
        }
    }
    let bank = match input.bank_id {
        Some(id) => usable.into_iter().find(|b| b.id == id),
        None => usable.into_iter().next(),
    };
    if bank.is_none() {
        f.push(FieldError::new("bank_id", "exam_error.bank"));
    }
    let paper = match input.paper {
        Some(v) => match serde_json::from_value(v) {
            Ok(t) => t,
            Err(e) => {
                f.push(FieldError::new("paper", "exam_error.template").with_detail(e.to_string()));
                demo_template()
            }
        },
        None if input
            .component
            .as_deref()
            .is_some_and(|c| c.trim() == "skills" || c.trim() == "review") =>
        {
            crate::domain::assembly::station_template()
        }
        None => demo_template(),
    };
    let template = PlanTemplate {
        pass_mark: input
            .pass_mark
            .unwrap_or(paper.total_points() * app.config.exams.pass_mark_percent / 100.0),
        paper,
        duration_seconds: input.duration_seconds.unwrap_or_else(|| {
            input
                .duration_minutes
                .unwrap_or(app.config.exams.default_duration_minutes)
                .saturating_mul(60)
        }),
        partial_credit: input.partial_credit.unwrap_or(PartialCredit::HalfForSubset),
    };
    use crate::domain::exam::components::{station_items_only, Component};
    let component = match input.component.as_deref().map(str::trim) {
        None | Some("") => Some(Component::Theory),
        Some(c) => Component::from_code(c),
    };
    match component {
        None => f.push(FieldError::new("component", "exam_error.component")),
        Some(c) if !app.config.exams.components.allowed(c, input.level) => {
            f.push(FieldError::new("component", "exam_error.component_level"))
        }
        Some(c)
            if c.at_stations()
                && !station_items_only(template.paper.quotas.iter().map(|q| q.item_type)) =>
        {
            f.push(FieldError::new("paper", "exam_error.station_items"))
        }
        _ => {}
    }
    match template.validate() {
        Err("duration_minutes") => {
            f.push(FieldError::new("duration_minutes", "exam_error.duration"))
        }
        Err(field) => f.push(FieldError::new(field, "exam_error.template_value")),
        Ok(()) => {}
    }
    f.finish().map_err(Error::Validation)?;
    let bank = bank.expect("checked above");
    let event = audit_by(
        p,
        "plan.create",
        "plan",
        "",
        Some(body.id),
        serde_json::json!({"occupation": occupation.code, "level": input.level, "bank_id": bank.id,
            "component": component.map(|c| c.code())}),
    );
    Ok(app
        .store
        .create_plan(
            NewPlan {
                body_id: body.id,
                occupation_id: occupation.id,
                level: input.level,
                bank_id: bank.id,
                name,
                exam_date: input.exam_date.trim().to_string(),
                template,
                requires_approval: app.config.exams.plans_require_approval,
                created_by: p.user_id,
                component: component.expect("checked above"),
            },
            event,
        )
        .await?)
}

pub async fn approve_plan(app: &App, p: &Principal, id: i64) -> Result<Plan> {
    let plan = app.store.plan(id).await?;
    let body = app.store.org(plan.body_id).await?;
    decide(p, Action::ApprovePlan, &body.as_ref()).map_err(|_| Error::Forbidden)?;
    crate::app::credit::require_body(app, body.id, Gate::Continue, "plan").await?;
    let event = audit_by(
        p,
        "plan.approve",
        "plan",
        id,
        Some(body.id),
        serde_json::json!({}),
    );
    Ok(app.store.approve_plan(id, p.user_id, event).await?)
}
