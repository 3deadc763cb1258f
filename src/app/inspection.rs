//! Inspection (督导, DESIGN §3.4): the regulator dispatches quality inspectors to plans;
//! inspectors watch a plan live and file findings against its body, a proctor or a
//! session.

use serde::{Deserialize, Serialize};

use super::plans::plan_for_viewer;
use super::plans::sessions::StaffInput;
use crate::app::{audit_by, lenient_i64, App, Error, Result};
use crate::domain::exam::{FindingCategory, FindingSubject, Severity};
use crate::domain::policy::{decide, may_serve, Action, Principal};
use crate::domain::role::Role;
use crate::domain::validate::{FieldError, Fields};
use crate::store::inspection::{Finding, NewFinding};
use crate::store::plans::{Plan, PlanSession, RosterEntry};
use crate::store::proctoring::ProctorActionRow;

/// The regulator dispatches a quality inspector to a plan.
pub async fn assign_inspector(
    app: &App,
    p: &Principal,
    plan_id: i64,
    input: StaffInput,
) -> Result<()> {
    let plan = app.store.plan(plan_id).await?;
    let body = app.store.org(plan.body_id).await?;
    decide(p, Action::ApprovePlan, &body.as_ref()).map_err(|_| Error::Forbidden)?;
    let grants = app.store.grants(input.user_id).await.unwrap_or_default();
    may_serve(&grants, Role::QualityInspector, &body.as_ref())
        .map_err(|_| Error::field("user_id", "exam_error.not_inspector"))?;
    let event = audit_by(
        p,
        "plan.assign_inspector",
        "plan",
        plan_id,
        Some(body.id),
        serde_json::json!({"user_id": input.user_id}),
    );
    app.store
        .assign_inspector(plan_id, input.user_id, p.user_id, event)
        .await?;
    Ok(())
}

/// The live picture of a plan for its inspectors (and the body and regulator).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanLive {
    pub server_now_ms: i64,
    /// The body the plan belongs to.
    pub body_name: String,
    pub sessions: Vec<PlanSession>,
    pub roster: Vec<RosterEntry>,
    pub actions: Vec<ProctorActionRow>,
    pub findings: Vec<Finding>,
    /// The caller is an inspector dispatched to the plan and may file findings.
    pub can_file: bool,
    #[serde(skip)]
    pub proctor_ratio: crate::domain::exam::ProctorRatio,
}

pub async fn plan_live(app: &App, p: &Principal, plan_id: i64) -> Result<(Plan, PlanLive)> {
    let (plan, body) = plan_for_viewer(app, p, plan_id).await?;
    let inspector_assigned = app.store.is_plan_inspector(plan.id, p.user_id).await?;
    let live = PlanLive {
        server_now_ms: crate::now_ms(),
        body_name: body.name.clone(),
        sessions: app.store.sessions(plan.id).await?,
        roster: app.store.roster(plan.id, None).await?,
        actions: app.store.proctor_actions(plan.id, 200).await?,
        findings: app.store.findings(plan.id).await?,
        can_file: decide(
            p,
            Action::FileFinding { inspector_assigned },
            &body.as_ref(),
        )
        .is_ok(),
        proctor_ratio: app.config.exams.proctors,
    };
    Ok((plan, live))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct FindingInput {
    /// `body`, `proctor` (subject_id = user id) or `session` (subject_id = session id).
    pub subject: String,
    #[serde(deserialize_with = "lenient_i64")]
    pub subject_id: Option<i64>,
    /// `staffing`, `identity`, `discipline`, `procedure`, `facilities`, `integrity`.
    pub category: String,
    /// `minor`, `major`, `serious`.
    pub severity: String,
    pub evidence: String,
}

/// The plan and its body, for an inspector dispatched to it (findings, proposed
/// deductions); "not found" for anyone else.
pub async fn plan_for_inspector(
    app: &App,
    p: &Principal,
    plan_id: i64,
) -> Result<(Plan, crate::store::Org)> {
    let plan = app.store.plan(plan_id).await?;
    let body = app.store.org(plan.body_id).await?;
    let inspector_assigned = app.store.is_plan_inspector(plan_id, p.user_id).await?;
    decide(
        p,
        Action::FileFinding { inspector_assigned },
        &body.as_ref(),
    )
    .map_err(|_| Error::NotFound)?;
    Ok((plan, body))
}

/// An inspector assigned to the plan files a finding against its body, a proctor of
/// one of its sessions, or one of its sessions.
pub async fn file_finding(
    app: &App,
    p: &Principal,
    plan_id: i64,
    input: FindingInput,
) -> Result<i64> {
    let (plan, _) = plan_for_inspector(app, p, plan_id).await?;
    let mut f = Fields::default();
    let subject = FindingSubject::ALL
        .into_iter()
        .find(|s| s.code() == input.subject.trim());
    let category = FindingCategory::ALL
        .into_iter()
        .find(|c| c.code() == input.category.trim());
    let severity = Severity::ALL
        .into_iter()
        .find(|s| s.code() == input.severity.trim());
    if subject.is_none() {
        f.push(FieldError::new("subject", "exam_error.subject"));
    }
    if category.is_none() {
        f.push(FieldError::new("category", "exam_error.category"));
    }
    if severity.is_none() {
        f.push(FieldError::new("severity", "exam_error.severity"));
    }
    let evidence = f.text("evidence", &input.evidence, 4000);
    let sessions = app.store.sessions(plan.id).await?;
    let subject_id = match subject {
        Some(FindingSubject::Body) => Some(plan.body_id),
        Some(FindingSubject::Session) => input
            .subject_id
            .filter(|id| sessions.iter().any(|s| s.id == *id)),
        Some(FindingSubject::Proctor) => input.subject_id.filter(|id| {
            sessions
                .iter()
                .any(|s| s.proctors.iter().any(|x| x.user_id == *id))
        }),
        None => Some(0),
    };
    if subject_id.is_none() {
        f.push(FieldError::new("subject_id", "exam_error.subject"));
    }
    f.finish().map_err(Error::Validation)?;
    let (Some(subject), Some(category), Some(severity), Some(subject_id)) =
        (subject, category, severity, subject_id)
    else {
        unreachable!("checked")
    };
    let event = audit_by(
        p,
        "finding.file",
        "finding",
        "",
        Some(plan.body_id),
        serde_json::json!({"plan_id": plan.id, "subject": subject.code(), "category": category.code(), "severity": severity.code()}),
    );
    Ok(app
        .store
        .file_finding(
            NewFinding {
                plan_id: plan.id,
                body_id: plan.body_id,
                subject,
                subject_id,
                category,
                severity,
                evidence,
                filed_by: p.user_id,
            },
            event,
        )
        .await?)
}

/// How many plans to sample, and the seed that makes the draw reproducible (recorded
/// in the audit log, so anyone can check the sample was not hand-picked).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SampleInput {
    #[serde(deserialize_with = "lenient_i64")]
    pub count: Option<i64>,
    #[serde(deserialize_with = "lenient_i64")]
    pub seed: Option<i64>,
}

/// One plan drawn for inspection and why it weighed what it did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Sampled {
    pub plan_id: i64,
    pub plan_name: String,
    pub exam_date: String,
    pub body_id: i64,
    pub body_name: String,
    pub grade: String,
    /// Outlier flags on the body in this year's report.
    pub flags: u32,
    pub weight: u32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Sample {
    pub seed: i64,
    /// Plans that could be drawn (not closed, body not exited).
    pub population: usize,
    pub plans: Vec<Sampled>,
}

/// The regulator draws plans for inspection (DESIGN §3.8): plans not yet closed, each
/// weighted by its body's credit grade (A 1, B 2, C 4, D 8) times one plus the outlier
/// flags on the body this year; reproducible from the seed, which is audited.
pub async fn sample_plans(app: &App, p: &Principal, input: SampleInput) -> Result<Sample> {
    if !p.is_regulator_admin() {
        return Err(Error::Forbidden);
    }
    let count = input.count.unwrap_or(5);
    if !(1..=200).contains(&count) {
        return Err(Error::field_detail("count", "field.range", "1–200"));
    }
    let seed = input.seed.unwrap_or_else(crate::now_ms);
    let standings: std::collections::HashMap<i64, (String, crate::domain::credit::Standing)> =
        super::credit::bodies(app)
            .await?
            .into_iter()
            .map(|(o, s)| (o.id, (o.name, s)))
            .collect();
    let year = super::reports::Period {
        year: crate::today().year(),
        quarter: None,
    };
    let mut flags: std::collections::HashMap<i64, u32> = std::collections::HashMap::new();
    for f in super::reports::report(app, p, year).await?.flags {
        if let Some(b) = f.body_id {
            *flags.entry(b).or_default() += 1;
        }
    }
    let plans: Vec<Plan> = app
        .store
        .plans(None)
        .await?
        .into_iter()
        .filter(|pl| pl.status != crate::domain::exam::PlanStatus::Closed)
        .filter(|pl| {
            standings
                .get(&pl.body_id)
                .is_some_and(|(_, s)| s.status != crate::domain::org::OrgStatus::Exited)
        })
        .collect();
    let weight = |pl: &Plan| {
        let grade = standings[&pl.body_id].1.grade;
        grade.sampling_weight() * (1 + flags.get(&pl.body_id).copied().unwrap_or(0))
    };
    let weighted: Vec<(i64, u32)> = plans.iter().map(|pl| (pl.id, weight(pl))).collect();
    let drawn = crate::domain::credit::weighted_sample(&weighted, count as usize, seed as u64);
    let event = audit_by(
        p,
        "inspection.sample",
        "plan",
        "",
        None,
        serde_json::json!({"seed": seed, "count": count, "drawn": drawn}),
    );
    app.store.append_audit(event).await?;
    let out = drawn
        .iter()
        .filter_map(|id| plans.iter().find(|pl| pl.id == *id))
        .map(|pl| Sampled {
            plan_id: pl.id,
            plan_name: pl.name.clone(),
            exam_date: pl.exam_date.clone(),
            body_id: pl.body_id,
            body_name: standings[&pl.body_id].0.clone(),
            grade: standings[&pl.body_id].1.grade.code().into(),
            flags: flags.get(&pl.body_id).copied().unwrap_or(0),
            weight: weight(pl),
        })
        .collect();
    Ok(Sample {
        seed,
        population: plans.len(),
        plans: out,
    })
}
