//! Assessment plans and exam delivery, shared by the pages and the API: planning
//! (body in good standing, filed scope, sessions, roster, staffing, recusal), paper
//! generation when the roster closes, the candidate's exam day (login with admission
//! number and ID number, start, saves through the group-commit writer, submit), the
//! proctor's actions and the inspector's findings.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::audit_by;
use crate::crypto::{constant_time_eq, new_token, token_hash};
use crate::domain::assembly::{assemble_indexed, demo_template, PoolIndex, PoolItem};
use crate::domain::audit::AuditEvent;
use crate::domain::exam::{
    self, required_proctors, AttemptStatus, Clock, Extension, FindingCategory, FindingSubject,
    IrregularityOutcome, PartialCredit, PlanStatus, PlanTemplate, ProctorAction, Relation,
    SaveRefusal, Severity,
};
use crate::domain::identity::{Document, DocumentType};
use crate::domain::item::{ItemContent, ItemType};
use crate::domain::org::OrgStatus;
use crate::domain::policy::{decide, Action, Principal};
use crate::domain::role::Role;
use crate::domain::standard::Mode;
use crate::domain::validate::{FieldError, Fields};
use crate::store::exams::*;
use crate::store::{Org, Store};
use crate::web::error::AppError;
use crate::web::AppState;

/// A number field that may arrive as a JSON number, as text from a form, or empty
/// (an untouched `<input type=number>`), which means "not given".
pub fn lenient_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Int(i64),
        Text(String),
        Null,
    }
    match N::deserialize(d)? {
        N::Int(n) => Ok(Some(n)),
        N::Text(t) if t.trim().is_empty() => Ok(None),
        N::Text(t) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("expected a whole number")),
        N::Null => Ok(None),
    }
}

/// How long an exam-day session lasts: one exam day.
const EXAM_SESSION_MS: i64 = 14 * 3_600_000;

// ---------------------------------------------------------------------------------
// Planning.

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
}

/// Loads a plan the caller may plan for (body admin of its body); 404 for others.
pub async fn plan_for_admin(
    st: &AppState,
    p: &Principal,
    id: i64,
) -> Result<(Plan, Org), AppError> {
    let plan = st.store.plan(id).await?;
    let body = st.store.org(plan.body_id).await?;
    if decide(p, Action::PlanExams, &body.as_ref()).is_err() {
        if decide(p, Action::ViewPlans, &body.as_ref()).is_ok() {
            return Err(AppError::Forbidden);
        }
        return Err(AppError::NotFound);
    }
    Ok((plan, body))
}

/// A plan the caller may change: as [`plan_for_admin`], and refused while its body has
/// exited (DESIGN §3.8: exit freezes open plans; a suspended body keeps its plans, it
/// only may not start new ones).
pub async fn plan_to_change(
    st: &AppState,
    p: &Principal,
    id: i64,
) -> Result<(Plan, Org), AppError> {
    let (plan, body) = plan_for_admin(st, p, id).await?;
    refuse_frozen(&body)?;
    Ok((plan, body))
}

fn refuse_frozen(body: &Org) -> Result<(), AppError> {
    if body.status == OrgStatus::Exited {
        return Err(AppError::field("plan", "exam_error.plan_frozen"));
    }
    Ok(())
}

/// Loads a plan the caller may see: regulator, the body's admins, and its inspectors.
pub async fn plan_for_viewer(
    st: &AppState,
    p: &Principal,
    id: i64,
) -> Result<(Plan, Org), AppError> {
    let plan = st.store.plan(id).await?;
    let body = st.store.org(plan.body_id).await?;
    let assigned =
        p.has_role(Role::QualityInspector) && st.store.is_plan_inspector(id, p.user_id).await?;
    if !assigned && decide(p, Action::ViewPlans, &body.as_ref()).is_err() {
        return Err(AppError::NotFound);
    }
    Ok((plan, body))
}

pub async fn list_plans(st: &AppState, p: &Principal) -> Result<Vec<Plan>, AppError> {
    if p.is_regulator_admin() {
        return Ok(st.store.plans(None).await?);
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for g in &p.grants {
        if let (Role::BodyAdmin, Some(body)) = (g.role, g.org.body_id) {
            if seen.insert(body) {
                out.extend(st.store.plans(Some(body)).await?);
            }
        }
    }
    for plan in st.store.inspector_plans(p.user_id).await? {
        if !out.iter().any(|x: &Plan| x.id == plan.id) {
            out.push(plan);
        }
    }
    Ok(out)
}

/// `YYYY-MM-DD` as a calendar date.
fn parse_date(s: &str) -> Option<time::Date> {
    let mut it = s.trim().splitn(3, '-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

fn valid_date(s: &str) -> bool {
    parse_date(s).is_some()
}

pub async fn create_plan(st: &AppState, p: &Principal, input: PlanInput) -> Result<Plan, AppError> {
    let body = st
        .store
        .org(input.body_id)
        .await
        .map_err(|_| AppError::field("body_id", "org.missing"))?;
    if decide(p, Action::PlanExams, &body.as_ref()).is_err() {
        return Err(AppError::Forbidden);
    }
    // DESIGN §3.4: only a body in good standing plans assessments.
    if body.status != OrgStatus::Active {
        return Err(AppError::Validation(vec![FieldError::new(
            "body_id",
            "exam_error.body_standing",
        )
        .with_detail(body.status.code())]));
    }
    let mut f = Fields::default();
    let name = f.text("name", &input.name, 100);
    if !valid_date(&input.exam_date) {
        f.push(FieldError::new("exam_date", "field.date"));
    }
    let occupation = st
        .store
        .occupations()
        .await?
        .into_iter()
        .find(|o| o.code == input.occupation_code.trim());
    let Some(occupation) = occupation else {
        return Err(AppError::field("occupation_code", "exam_error.occupation"));
    };
    if !occupation.levels.contains(&input.level) {
        f.push(FieldError::new("level", "exam_error.level"));
    }
    let scope = st.store.body_scope(body.id).await?;
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
    let banks = st.store.banks().await?;
    let mut usable = Vec::new();
    for b in banks
        .into_iter()
        .filter(|b| b.occupation_id == occupation.id)
    {
        if b.org_id == body.id || st.store.bank_shared_with(b.id).await?.contains(&body.id) {
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
        None => demo_template(),
    };
    let template = PlanTemplate {
        pass_mark: input.pass_mark.unwrap_or(paper.total_points() * 0.6),
        paper,
        duration_seconds: input
            .duration_seconds
            .unwrap_or_else(|| input.duration_minutes.unwrap_or(90).saturating_mul(60)),
        partial_credit: input.partial_credit.unwrap_or(PartialCredit::HalfForSubset),
    };
    if let Err(field) = template.validate() {
        f.push(FieldError::new(field, "exam_error.template_value"));
    }
    f.finish().map_err(AppError::Validation)?;
    let bank = bank.expect("checked above");
    let event = audit_by(
        p,
        "plan.create",
        "plan",
        "",
        Some(body.id),
        serde_json::json!({"occupation": occupation.code, "level": input.level, "bank_id": bank.id}),
    );
    Ok(st
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
                requires_approval: st.config.exams.plans_require_approval,
                created_by: p.user_id,
            },
            event,
        )
        .await?)
}

pub async fn approve_plan(st: &AppState, p: &Principal, id: i64) -> Result<Plan, AppError> {
    let plan = st.store.plan(id).await?;
    let body = st.store.org(plan.body_id).await?;
    decide(p, Action::ApprovePlan, &body.as_ref()).map_err(|_| AppError::Forbidden)?;
    refuse_frozen(&body)?;
    let event = audit_by(
        p,
        "plan.approve",
        "plan",
        id,
        Some(body.id),
        serde_json::json!({}),
    );
    Ok(st.store.approve_plan(id, p.user_id, event).await?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SessionInput {
    pub room_id: i64,
    /// Local time (UTC+8) `YYYY-MM-DDTHH:MM`.
    pub starts_at: String,
}

/// Parses a local (China Standard Time) date and time as the browser's
/// `datetime-local` field sends it.
pub fn parse_local_time(s: &str) -> Option<i64> {
    let s = s.trim().replace(' ', "T");
    let (date, clock) = s.split_once('T')?;
    let (h, m) = clock.split_once(':')?;
    let t = time::Time::from_hms(h.parse().ok()?, m.get(..2)?.parse().ok()?, 0).ok()?;
    let dt = time::PrimitiveDateTime::new(parse_date(date)?, t);
    let offset = time::UtcOffset::from_hms(8, 0, 0).ok()?;
    Some((dt.assume_offset(offset).unix_timestamp_nanos() / 1_000_000) as i64)
}

/// A moment as China Standard Time, `YYYY-MM-DD HH:MM` (the inverse of
/// [`parse_local_time`]).
pub fn local_time(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms / 1000 + 8 * 3600)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

pub async fn add_session(
    st: &AppState,
    p: &Principal,
    plan_id: i64,
    input: SessionInput,
) -> Result<i64, AppError> {
    let (plan, body) = plan_to_change(st, p, plan_id).await?;
    let starts = parse_local_time(&input.starts_at)
        .ok_or_else(|| AppError::field("starts_at", "exam_error.time"))?;
    let event = audit_by(
        p,
        "plan.session_add",
        "session",
        "",
        Some(body.id),
        serde_json::json!({"plan_id": plan.id, "room_id": input.room_id}),
    );
    Ok(st
        .store
        .add_session(plan.id, input.room_id, starts, event)
        .await?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct StaffInput {
    pub user_id: i64,
}

/// Assigns a proctor: they must hold the proctor role at the body, and must not be
/// related to any candidate of the session (refused with the reason).
pub async fn assign_proctor(
    st: &AppState,
    p: &Principal,
    session_id: i64,
    input: StaffInput,
) -> Result<(), AppError> {
    let session = st.store.plan_session(session_id).await?;
    let (plan, body) = plan_to_change(st, p, session.plan_id).await?;
    let grants = st.store.grants(input.user_id).await.unwrap_or_default();
    if !grants
        .iter()
        .any(|g| g.role == Role::Proctor && g.org.body_id == Some(body.id))
    {
        return Err(AppError::field("user_id", "exam_error.not_proctor"));
    }
    let event = audit_by(
        p,
        "session.assign_proctor",
        "session",
        session_id,
        Some(body.id),
        serde_json::json!({"plan_id": plan.id, "user_id": input.user_id}),
    );
    st.store
        .assign_proctor(session_id, input.user_id, p.user_id, event)
        .await?;
    Ok(())
}

/// The regulator dispatches a quality inspector to a plan.
pub async fn assign_inspector(
    st: &AppState,
    p: &Principal,
    plan_id: i64,
    input: StaffInput,
) -> Result<(), AppError> {
    let plan = st.store.plan(plan_id).await?;
    let body = st.store.org(plan.body_id).await?;
    decide(p, Action::ApprovePlan, &body.as_ref()).map_err(|_| AppError::Forbidden)?;
    let grants = st.store.grants(input.user_id).await.unwrap_or_default();
    if !grants.iter().any(|g| g.role == Role::QualityInspector) {
        return Err(AppError::field("user_id", "exam_error.not_inspector"));
    }
    let event = audit_by(
        p,
        "plan.assign_inspector",
        "plan",
        plan_id,
        Some(body.id),
        serde_json::json!({"user_id": input.user_id}),
    );
    st.store
        .assign_inspector(plan_id, input.user_id, p.user_id, event)
        .await?;
    Ok(())
}

#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PersonInput {
    pub name: String,
    /// `resident_id` (default), `residence_permit`, `foreign_permanent_resident`, `passport`.
    pub document_type: Option<String>,
    pub id_number: String,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RelationInput {
    #[serde(flatten)]
    pub person: PersonInput,
    /// `close_relative`, `teacher_student`, `master_apprentice`, `colleague`, `same_training_body`.
    pub relation: String,
}

fn parse_person(
    st: &AppState,
    input: &PersonInput,
    prefix: &str,
    f: &mut Fields,
) -> Option<crate::store::NewPerson> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        f.push(FieldError::new(format!("{prefix}name"), "field.required"));
    }
    let doc_type = match input
        .document_type
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => DocumentType::ResidentId,
        Some(code) => match DocumentType::from_code(code) {
            Some(t) => t,
            None => {
                f.push(FieldError::new(
                    format!("{prefix}document_type"),
                    "document.type_invalid",
                ));
                return None;
            }
        },
    };
    match Document::parse(doc_type, &input.id_number, crate::today()) {
        Ok(d) => Some(super::users::new_person(st, name, &d)),
        Err(e) => {
            let mut fe = super::users::document_field_error(e);
            fe.field = format!("{prefix}id_number");
            f.push(fe);
            None
        }
    }
}

/// A staff member declares a relation to a person (回避); assignments then refuse
/// them for sessions where that person sits.
pub async fn declare_relation(
    st: &AppState,
    p: &Principal,
    input: RelationInput,
) -> Result<(), AppError> {
    let mut f = Fields::default();
    let relation = Relation::from_code(input.relation.trim());
    if relation.is_none() {
        f.push(FieldError::new("relation", "exam_error.relation"));
    }
    let person = parse_person(st, &input.person, "", &mut f);
    f.finish().map_err(AppError::Validation)?;
    let (Some(person), Some(relation)) = (person, relation) else {
        unreachable!("checked")
    };
    let event = audit_by(
        p,
        "staff.declare_relation",
        "user",
        p.user_id,
        p.home_org.body_id,
        serde_json::json!({"relation": relation.code()}),
    );
    st.store
        .declare_relation(p.user_id, person, relation, event)
        .await?;
    Ok(())
}

#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CandidateInput {
    #[serde(flatten)]
    pub person: PersonInput,
    pub session_id: i64,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct RosterInput {
    pub candidates: Vec<CandidateInput>,
}

/// Enrols candidates (all or none); errors name the line, e.g. `candidates[3].id_number`.
pub async fn add_candidates(
    st: &AppState,
    p: &Principal,
    plan_id: i64,
    input: RosterInput,
) -> Result<Vec<Enrolled>, AppError> {
    let (plan, body) = plan_to_change(st, p, plan_id).await?;
    if input.candidates.is_empty() || input.candidates.len() > 20_000 {
        return Err(AppError::field("candidates", "field.required"));
    }
    let mut f = Fields::default();
    let mut out = Vec::with_capacity(input.candidates.len());
    for (i, c) in input.candidates.iter().enumerate() {
        if let Some(person) = parse_person(st, &c.person, &format!("candidates[{i}]."), &mut f) {
            out.push(NewCandidate {
                person,
                session_id: c.session_id,
            });
        }
    }
    f.finish().map_err(AppError::Validation)?;
    let event = audit_by(
        p,
        "plan.enrol",
        "plan",
        plan.id,
        Some(body.id),
        serde_json::json!({"candidates": out.len()}),
    );
    Ok(st.store.add_candidates(plan.id, out, event).await?)
}

/// The pool a plan draws from, as assembly sees it.
pub async fn plan_pool(
    store: &dyn Store,
    plan: &Plan,
) -> Result<
    (
        crate::domain::standard::Standard,
        Vec<PoolItem>,
        HashMap<i64, u32>,
    ),
    AppError,
> {
    let standard = store
        .standards(plan.occupation_id)
        .await?
        .into_iter()
        .find(|s| s.level == plan.level && s.mode == Mode::Theory)
        .ok_or_else(|| AppError::field("plan", "exam_error.no_standard"))?;
    let (rows, exposure) = store.pool(plan.bank_id, plan.level).await?;
    let mut where_is: HashMap<&str, (usize, crate::domain::standard::Importance)> = HashMap::new();
    for (ai, a) in standard.areas.iter().enumerate() {
        for pt in &a.points {
            where_is.insert(pt.code.as_str(), (ai, pt.importance));
        }
    }
    let pool = rows
        .into_iter()
        .filter_map(|r| {
            let (area, importance) = *where_is.get(r.point_code.as_str())?;
            Some(PoolItem {
                id: r.item_id,
                version: r.version,
                area,
                point: r.point_code,
                importance,
                item_type: r.item_type,
                difficulty: r.difficulty,
                options: r.options,
            })
        })
        .collect();
    Ok((standard, pool, exposure.into_iter().collect()))
}

/// Closes the roster: checks every room's staffing, then generates and stores every
/// candidate's paper, so that the start burst only flips states.
pub async fn close_roster(st: &AppState, p: &Principal, plan_id: i64) -> Result<usize, AppError> {
    let (plan, body) = plan_to_change(st, p, plan_id).await?;
    if plan.status != PlanStatus::Open {
        return Err(AppError::field("plan", "exam_error.not_open"));
    }
    let sessions = st.store.sessions(plan.id).await?;
    for s in &sessions {
        let need = required_proctors(s.candidates as u32);
        if s.candidates > 0 && (s.proctors.len() as u32) < need {
            return Err(AppError::Validation(vec![FieldError::new(
                "session",
                "exam_error.understaffed",
            )
            .with_detail(format!(
                "{} ({}/{})",
                s.room_name,
                s.proctors.len(),
                need
            ))]));
        }
    }
    let roster = st.store.roster_people(plan.id).await?;
    if roster.is_empty() {
        return Err(AppError::field("candidates", "exam_error.empty_roster"));
    }
    let (standard, pool, mut exposure) = plan_pool(st.store.as_ref(), &plan).await?;
    let mut earlier: HashMap<i64, HashSet<i64>> = HashMap::new();
    for (person, items) in st.store.earlier_items(plan.id).await? {
        earlier.entry(person).or_default().extend(items);
    }
    let template = plan.template.paper.clone();
    // Assembly is CPU work (about 0.4 ms per paper): keep it off the async threads.
    let attempts = tokio::task::spawn_blocking(move || {
        use rand::RngCore;
        let index = PoolIndex::new(&pool);
        let none = HashSet::new();
        let mut out = Vec::with_capacity(roster.len());
        for (candidate_id, person_id, session_id) in roster {
            let seed = rand::rngs::OsRng.next_u64();
            let exclude = earlier.get(&person_id).unwrap_or(&none);
            let paper = assemble_indexed(&standard, &template, &index, &exposure, exclude, seed)?;
            for it in &paper.items {
                *exposure.entry(it.item_id).or_default() += 1;
            }
            out.push(NewAttempt {
                candidate_id,
                session_id,
                paper,
            });
        }
        Ok::<_, crate::domain::assembly::AssemblyError>(out)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| {
        AppError::Validation(vec![
            FieldError::new("paper", "exam_error.assembly").with_detail(e.to_string())
        ])
    })?;
    let n = attempts.len();
    let event = audit_by(
        p,
        "plan.close_roster",
        "plan",
        plan.id,
        Some(body.id),
        serde_json::json!({"papers": n}),
    );
    st.store
        .close_roster(plan.id, attempts, plan.template.duration_ms(), event)
        .await?;
    Ok(n)
}

// ---------------------------------------------------------------------------------
// What a candidate sees of a paper: no keys, no scoring rules.

/// One item as the candidate sees it: the stem and the options in their shuffled order,
/// relabelled A, B, C… in that order. Never the key, reference, rubric or explanation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub position: u32,
    pub item_type: ItemType,
    pub points: f64,
    /// Sanitised HTML.
    pub stem: String,
    pub options: Vec<OptionView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OptionView {
    pub label: String,
    /// Sanitised HTML.
    pub text: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CandidatePaper {
    pub attempt_id: i64,
    pub duration_ms: i64,
    pub total_points: f64,
    pub items: Vec<ItemView>,
}

/// A generated paper as the server keeps it in memory: each position points at the
/// shared item version and carries its points and option order. About 60 bytes per
/// position, so 10,000 papers in progress cost tens of megabytes, not the stems copied
/// 10,000 times; the candidate's view is built from it on request.
pub struct CachedPaper {
    pub attempt_id: i64,
    pub duration_ms: i64,
    pub total_points: f64,
    slots: Vec<Slot>,
}

struct Slot {
    content: Arc<ItemContent>,
    points: f64,
    option_order: Box<[u8]>,
}

impl CachedPaper {
    /// Item type and option count at a position: what a save is checked against.
    pub fn layout(&self, position: usize) -> Option<(ItemType, usize)> {
        self.slots
            .get(position)
            .map(|s| (s.content.item_type, s.content.options.len()))
    }

    /// What the candidate sees: stems and options in their shuffled order, relabelled
    /// A, B, C…; never a key, reference, rubric or explanation.
    pub fn view(&self) -> CandidatePaper {
        let items = self
            .slots
            .iter()
            .enumerate()
            .map(|(pos, slot)| {
                let c = &slot.content;
                let order: Vec<usize> = if slot.option_order.is_empty() {
                    (0..c.options.len()).collect()
                } else {
                    slot.option_order.iter().map(|&o| usize::from(o)).collect()
                };
                ItemView {
                    position: pos as u32,
                    item_type: c.item_type,
                    points: slot.points,
                    stem: c.stem.clone(),
                    options: order
                        .iter()
                        .enumerate()
                        .filter_map(|(shown, &orig)| {
                            c.options.get(orig).map(|o| OptionView {
                                label: crate::domain::item::option_key(shown),
                                text: o.text.clone(),
                            })
                        })
                        .collect(),
                }
            })
            .collect();
        CandidatePaper {
            attempt_id: self.attempt_id,
            duration_ms: self.duration_ms,
            total_points: self.total_points,
            items,
        }
    }
}

/// Exam-day sessions by token hash, for answer saves (thousands a second at an exam's
/// peak). Once a session has its attempt (created when the roster closes), what it maps
/// to (candidate, attempt, CSRF token, expiry) never changes, so a save takes it from
/// here instead of a database read; whether the session is still live (not logged out,
/// not replaced by a login on another device, not expired) the writer checks in the
/// save's own transaction (`ExamOp::Save`), so a session ended in any server process
/// ends its saves from the next group commit on. Every other exam request reads the
/// session from the database and refreshes or drops its entry here. A request racing a
/// logout may put an ended session back; the writer refuses its saves all the same, and
/// the refusal drops it again. Sessions without an attempt are not kept.
#[derive(Default)]
pub struct ExamSessionCache {
    sessions: Mutex<HashMap<String, ExamIdentity>>,
}

/// At this many sessions the expired ones are dropped, and if that leaves more than half,
/// all of them (they are read again on the next save): a bounded map, and at most one
/// sweep per `EXAM_SESSION_CACHE_LIMIT / 2` new sessions.
const EXAM_SESSION_CACHE_LIMIT: usize = 100_000;

impl ExamSessionCache {
    /// The exam session of a request: for an answer save from the cache if it is there,
    /// otherwise read from the database, and the cache refreshed with what was read.
    pub async fn identity(
        &self,
        store: &dyn Store,
        hash: &str,
        now_ms: i64,
        for_save: bool,
    ) -> Result<Option<ExamIdentity>, AppError> {
        if for_save {
            let cached = self
                .sessions
                .lock()
                .expect("cache lock")
                .get(hash)
                .filter(|who| who.expires_at_ms > now_ms)
                .cloned();
            if cached.is_some() {
                return Ok(cached);
            }
        }
        let who = store.exam_identity(hash, now_ms).await?;
        match &who {
            Some(w) => self.remember(w, now_ms),
            None => self.forget(hash),
        }
        Ok(who)
    }

    fn remember(&self, who: &ExamIdentity, now_ms: i64) {
        if who.attempt_id.is_none() {
            return;
        }
        let mut sessions = self.sessions.lock().expect("cache lock");
        if sessions.contains_key(&who.token_hash) {
            return;
        }
        if sessions.len() >= EXAM_SESSION_CACHE_LIMIT {
            sessions.retain(|_, w| w.expires_at_ms > now_ms);
            if sessions.len() > EXAM_SESSION_CACHE_LIMIT / 2 {
                sessions.clear();
            }
        }
        sessions.insert(who.token_hash.clone(), who.clone());
    }

    pub fn forget(&self, hash: &str) {
        self.sessions.lock().expect("cache lock").remove(hash);
    }
}

/// Generated papers and item versions are immutable, so they are cached (DESIGN §4:
/// caches hold only immutable data); every process may hold its own copy. Bounded:
/// cleared when it grows past its limit.
#[derive(Default)]
pub struct PaperCache {
    papers: Mutex<HashMap<i64, Arc<CachedPaper>>>,
    items: Mutex<HashMap<(i64, i64), Arc<ItemContent>>>,
}

const PAPER_CACHE_LIMIT: usize = 50_000;

impl PaperCache {
    pub async fn get(
        &self,
        store: &dyn Store,
        attempt_id: i64,
    ) -> Result<Arc<CachedPaper>, AppError> {
        if let Some(p) = self.papers.lock().expect("cache lock").get(&attempt_id) {
            return Ok(p.clone());
        }
        let rec = store.attempt(attempt_id).await?;
        let missing: Vec<(i64, i64)> = {
            let items = self.items.lock().expect("cache lock");
            rec.paper
                .items
                .iter()
                .map(|i| (i.item_id, i.version))
                .filter(|k| !items.contains_key(k))
                .collect()
        };
        if !missing.is_empty() {
            let loaded = store.item_contents(&missing).await?;
            let mut items = self.items.lock().expect("cache lock");
            if items.len() > PAPER_CACHE_LIMIT {
                items.clear();
            }
            for (k, c) in loaded {
                items.insert(k, Arc::new(c));
            }
        }
        let slots = {
            let items = self.items.lock().expect("cache lock");
            rec.paper
                .items
                .iter()
                .map(|it| {
                    Some(Slot {
                        content: items.get(&(it.item_id, it.version))?.clone(),
                        points: it.points,
                        option_order: it.option_order.clone().into_boxed_slice(),
                    })
                })
                .collect::<Option<Vec<_>>>()
                .ok_or(AppError::NotFound)?
        };
        let paper = Arc::new(CachedPaper {
            attempt_id,
            duration_ms: rec.duration_ms,
            total_points: rec.paper.total_points,
            slots,
        });
        let mut papers = self.papers.lock().expect("cache lock");
        if papers.len() > PAPER_CACHE_LIMIT {
            papers.clear();
        }
        papers.insert(attempt_id, paper.clone());
        Ok(paper)
    }
}

// ---------------------------------------------------------------------------------
// Exam day: the candidate.

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ExamLogin {
    pub admission_no: String,
    pub id_number: String,
}

/// Checks admission number and ID number, opens an exam-day session through the
/// group-commit writer, and returns `(token, csrf)`. Failures are throttled per
/// admission number and address, and never say which of the two was wrong.
pub async fn exam_login(
    st: &AppState,
    input: &ExamLogin,
    address: &str,
) -> Result<(String, String), AppError> {
    let admission = input.admission_no.trim();
    let throttle_key = format!("exam:{admission}");
    let now = crate::now_ms();
    let window = st.config.login_throttle.window_minutes * 60_000;
    let (per_login, per_address) = st
        .store
        .login_failures(&throttle_key, address, now - window)
        .await?;
    if per_login >= st.config.login_throttle.per_account
        || per_address >= st.config.login_throttle.per_address
    {
        return Err(AppError::Throttled);
    }
    let found = if admission.is_empty() || admission.len() > 32 {
        None
    } else {
        st.store.candidate_by_admission(admission).await?
    };
    let matches = found.as_ref().is_some_and(|a| {
        DocumentType::ALL.iter().any(|t| {
            Document::parse(*t, &input.id_number, crate::today())
                .map(|d| {
                    constant_time_eq(
                        st.keys.document_lookup(&d).as_bytes(),
                        a.document_lookup.as_bytes(),
                    )
                })
                .unwrap_or(false)
        })
    });
    let Some(admission_record) = found.filter(|_| matches) else {
        let event = AuditEvent {
            at_ms: now,
            actor_user_id: None,
            actor: throttle_key.clone(),
            action: "exam.login_failed".into(),
            object_type: "candidate".into(),
            object_id: String::new(),
            org_id: None,
            details: "{}".into(),
        };
        st.store
            .record_login_failure(&throttle_key, address, event)
            .await?;
        return Err(AppError::BadCredentials);
    };
    let candidate_id = admission_record.candidate_id;
    // Only on exam day: the credentials are right, so the candidate may learn when.
    let cfg = &st.config.exams;
    if let Err(code) = exam::login_window(
        admission_record.starts_at_ms,
        admission_record.attempt_status,
        now,
        cfg.login_opens_minutes_before.max(0) * 60_000,
        cfg.late_entry_minutes.max(0) * 60_000,
    ) {
        return Err(AppError::BadRequest {
            code,
            detail: Some(local_time(admission_record.starts_at_ms)),
        });
    }
    let (token, hash) = new_token();
    let (csrf, _) = new_token();
    let audit = AuditEvent {
        at_ms: now,
        actor_user_id: None,
        actor: format!("candidate:{admission}"),
        action: "exam.login".into(),
        object_type: "candidate".into(),
        object_id: candidate_id.to_string(),
        org_id: None,
        details: serde_json::json!({ "address": address }).to_string(),
    };
    st.exams
        .submit(ExamOp::Login {
            candidate_id,
            token_hash: hash,
            csrf_token: csrf.clone(),
            expires_at_ms: now + EXAM_SESSION_MS,
            audit,
        })
        .await?;
    Ok((token, csrf))
}

pub async fn exam_logout(st: &AppState, token: &str) -> Result<(), AppError> {
    let hash = token_hash(token);
    st.store.end_exam_session(&hash).await?;
    st.exam_sessions.forget(&hash);
    Ok(())
}

/// The attempt's state as the candidate may see it: status, server clock, and the
/// acknowledged answers with their sequence numbers. No keys, no scores.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExamState {
    pub attempt_id: Option<i64>,
    pub status: Option<AttemptStatus>,
    pub server_now_ms: i64,
    pub remaining_ms: Option<i64>,
    pub deadline_ms: Option<i64>,
    pub last_seq: i64,
    pub last_saved_at_ms: Option<i64>,
    pub item_count: usize,
    pub answers: Vec<StateAnswer>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StateAnswer {
    pub position: u32,
    pub seq: i64,
    #[schema(value_type = Object)]
    pub answer: serde_json::Value,
}

pub async fn exam_state(st: &AppState, who: &ExamIdentity) -> Result<ExamState, AppError> {
    let now = crate::now_ms();
    let Some(attempt_id) = who.attempt_id else {
        return Ok(ExamState {
            attempt_id: None,
            status: None,
            server_now_ms: now,
            remaining_ms: None,
            deadline_ms: None,
            last_seq: 0,
            last_saved_at_ms: None,
            item_count: 0,
            answers: vec![],
        });
    };
    let rec = st.store.attempt(attempt_id).await?;
    Ok(ExamState {
        attempt_id: Some(attempt_id),
        status: Some(rec.clock.status),
        server_now_ms: now,
        remaining_ms: rec.clock.remaining_ms(now),
        deadline_ms: rec.clock.deadline_ms,
        last_seq: rec.last_seq,
        last_saved_at_ms: rec.last_saved_at_ms,
        item_count: rec.paper.items.len(),
        answers: rec
            .answers
            .into_iter()
            .map(|a| StateAnswer {
                position: a.position,
                seq: a.seq,
                answer: serde_json::from_str(&a.answer).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
    })
}

fn attempt_of(who: &ExamIdentity) -> Result<i64, AppError> {
    who.attempt_id.ok_or(AppError::BadRequest {
        code: "exam_not_ready",
        detail: None,
    })
}

fn candidate_event(who: &ExamIdentity, action: &str, attempt_id: i64) -> AuditEvent {
    AuditEvent {
        at_ms: crate::now_ms(),
        actor_user_id: None,
        actor: format!("candidate:{}", who.candidate_id),
        action: action.into(),
        object_type: "attempt".into(),
        object_id: attempt_id.to_string(),
        org_id: None,
        details: "{}".into(),
    }
}

/// The candidate presses start (only after the proctor admitted them); again later, it
/// simply resumes.
pub async fn exam_start(st: &AppState, who: &ExamIdentity) -> Result<Clock, AppError> {
    let attempt_id = attempt_of(who)?;
    let op = ExamOp::Start {
        attempt_id,
        audit: candidate_event(who, "attempt.start", attempt_id),
    };
    match st.exams.submit(op).await? {
        ExamOpResult::Started(c) => Ok(c),
        ExamOpResult::StartRefused(code) => Err(AppError::BadRequest { code, detail: None }),
        other => Err(AppError::Internal(anyhow::anyhow!("unexpected {other:?}"))),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SaveRequest {
    pub changes: Vec<ChangeInput>,
}

#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangeInput {
    /// Position on the paper, from 0.
    pub position: u32,
    /// The attempt's sequence number of this change (increasing; replays are no-ops).
    pub seq: i64,
    /// Option positions as shown (`[0, 2]`), `true`/`false`, or text; `null` clears.
    #[schema(value_type = Object)]
    #[serde(default)]
    pub answer: serde_json::Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SaveAck {
    /// The highest sequence number now durable.
    pub seq: i64,
    /// Server time of the commit: the page shows "已保存 hh:mm:ss" from this.
    pub saved_at_ms: i64,
}

/// Checks a save against the paper, then waits for the group commit that makes it
/// durable. Refusals (paused, closed, past the deadline) come back as 409 with the
/// reason; the writer logs them.
pub async fn exam_save(
    st: &AppState,
    who: &ExamIdentity,
    req: SaveRequest,
) -> Result<SaveAck, AppError> {
    let attempt_id = attempt_of(who)?;
    if req.changes.is_empty() || req.changes.len() > exam::MAX_CHANGES_PER_SAVE {
        return Err(AppError::field("changes", "exam_error.changes"));
    }
    let paper = st.papers.get(st.store.as_ref(), attempt_id).await?;
    let mut changes = Vec::with_capacity(req.changes.len());
    for (i, c) in req.changes.into_iter().enumerate() {
        let Some((item_type, options)) = paper.layout(c.position as usize) else {
            return Err(AppError::field(
                &format!("changes[{i}].position"),
                "exam_error.position",
            ));
        };
        if c.seq <= 0 {
            return Err(AppError::field(
                &format!("changes[{i}].seq"),
                "exam_error.seq",
            ));
        }
        if let Err(code) = exam::validate_answer(item_type, options.min(255) as u8, &c.answer) {
            return Err(AppError::field(
                &format!("changes[{i}].answer"),
                &format!("exam_error.{code}"),
            ));
        }
        let answer = c.answer.to_string();
        if answer.len() > exam::MAX_ANSWER_BYTES {
            return Err(AppError::field(
                &format!("changes[{i}].answer"),
                "exam_error.answer_size",
            ));
        }
        changes.push(Change {
            position: c.position,
            seq: c.seq,
            answer,
        });
    }
    match st
        .exams
        .submit(ExamOp::Save {
            attempt_id,
            session: who.token_hash.clone(),
            changes,
        })
        .await?
    {
        ExamOpResult::Saved { seq, at_ms } => Ok(SaveAck {
            seq,
            saved_at_ms: at_ms,
        }),
        ExamOpResult::Refused(r) => Err(refusal(r)),
        // As if the session had not been found: the page sends the candidate to sign in.
        ExamOpResult::SessionEnded => {
            st.exam_sessions.forget(&who.token_hash);
            Err(AppError::Unauthenticated)
        }
        other => Err(AppError::Internal(anyhow::anyhow!("unexpected {other:?}"))),
    }
}

pub fn refusal(r: SaveRefusal) -> AppError {
    AppError::Refused { code: r.code() }
}

pub async fn exam_submit(st: &AppState, who: &ExamIdentity) -> Result<i64, AppError> {
    let attempt_id = attempt_of(who)?;
    let op = ExamOp::Submit {
        attempt_id,
        audit: candidate_event(who, "attempt.submit", attempt_id),
    };
    match st.exams.submit(op).await? {
        ExamOpResult::Submitted { at_ms } => Ok(at_ms),
        ExamOpResult::StartRefused(code) => Err(AppError::BadRequest { code, detail: None }),
        other => Err(AppError::Internal(anyhow::anyhow!("unexpected {other:?}"))),
    }
}

/// Submits overdue attempts every second, in every process (idempotent), so an attempt
/// is submitted at its deadline with its last saved answers even if the candidate never
/// comes back.
pub fn spawn_deadline_sweeper(store: Arc<dyn Store>, grace_ms: i64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match store.submit_overdue(crate::now_ms(), grace_ms).await {
                Ok(done) if !done.is_empty() => {
                    tracing::info!(attempts = done.len(), "submitted at deadline")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "deadline sweep failed"),
            }
        }
    });
}

// ---------------------------------------------------------------------------------
// Proctors and inspectors.

/// A session the caller proctors (or administers at its body); 404 otherwise.
pub async fn session_for_proctor(
    st: &AppState,
    p: &Principal,
    session_id: i64,
) -> Result<(Plan, PlanSession), AppError> {
    let session = st
        .store
        .plan_session(session_id)
        .await
        .map_err(|_| AppError::NotFound)?;
    let plan = st.store.plan(session.plan_id).await?;
    // The assignment counts only while the proctor role is still held at the body:
    // someone who moved to another body loses the room at once.
    let proctor_here = p
        .grants
        .iter()
        .any(|g| g.role == Role::Proctor && g.org.body_id == Some(plan.body_id));
    if !(proctor_here && st.store.is_session_proctor(session_id, p.user_id).await?) {
        let body = st.store.org(plan.body_id).await?;
        decide(p, Action::PlanExams, &body.as_ref()).map_err(|_| AppError::NotFound)?;
    }
    Ok((plan, session))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ActionInput {
    /// `admit`, `pause`, `resume`, `extend`, `terminate`.
    pub action: String,
    /// For `extend`.
    #[serde(deserialize_with = "lenient_i64")]
    pub minutes: Option<i64>,
    /// Required for `extend` and `terminate`.
    pub reason: Option<String>,
}

pub async fn proctor_action(
    st: &AppState,
    p: &Principal,
    attempt_id: i64,
    input: ActionInput,
) -> Result<Clock, AppError> {
    let rec = st
        .store
        .attempt(attempt_id)
        .await
        .map_err(|_| AppError::NotFound)?;
    let (plan, _) = session_for_proctor(st, p, rec.session_id).await?;
    let action = match input.action.trim() {
        "admit" => ProctorAction::Admit,
        "pause" => ProctorAction::Pause,
        "resume" => ProctorAction::Resume,
        "extend" => ProctorAction::Extend,
        "terminate" => ProctorAction::Terminate,
        _ => return Err(AppError::field("action", "exam_error.action")),
    };
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if matches!(action, ProctorAction::Extend | ProctorAction::Terminate) && reason.is_empty() {
        return Err(AppError::field("reason", "field.required"));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::Validation(vec![FieldError::new(
            "reason",
            "field.too_long",
        )
        .with_detail("500")]));
    }
    let extension = Extension {
        ms: input.minutes.unwrap_or(0).clamp(0, 24 * 60) * 60_000,
        cap_ms: st.config.exams.max_extension_minutes.max(0) * 60_000,
    };
    if action == ProctorAction::Extend && extension.ms <= 0 {
        return Err(AppError::field("minutes", "field.required"));
    }
    let event = audit_by(
        p,
        &format!("attempt.{}", action.code()),
        "attempt",
        attempt_id,
        Some(plan.body_id),
        serde_json::json!({"reason": reason, "minutes": input.minutes}),
    );
    Ok(st
        .store
        .proctor_action(attempt_id, action, extension, p.user_id, reason, event)
        .await?)
}

pub async fn admit_all(st: &AppState, p: &Principal, session_id: i64) -> Result<u64, AppError> {
    let (plan, _) = session_for_proctor(st, p, session_id).await?;
    let event = audit_by(
        p,
        "session.admit_all",
        "session",
        session_id,
        Some(plan.body_id),
        serde_json::json!({}),
    );
    Ok(st.store.admit_session(session_id, p.user_id, event).await?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct IrregularityInput {
    /// `warning`, `deduction`, `void`.
    pub outcome: String,
    /// Points off for a deduction (default 10).
    pub points: Option<f64>,
    pub description: String,
}

pub async fn irregularity(
    st: &AppState,
    p: &Principal,
    attempt_id: i64,
    input: IrregularityInput,
) -> Result<i64, AppError> {
    let rec = st
        .store
        .attempt(attempt_id)
        .await
        .map_err(|_| AppError::NotFound)?;
    let (plan, _) = session_for_proctor(st, p, rec.session_id).await?;
    let mut f = Fields::default();
    let outcome = match input.outcome.trim() {
        "warning" => IrregularityOutcome::Warning,
        "deduction" => IrregularityOutcome::Deduction,
        "void" => IrregularityOutcome::Void,
        _ => {
            f.push(FieldError::new("outcome", "exam_error.outcome"));
            IrregularityOutcome::Warning
        }
    };
    let description = f.text("description", &input.description, 1000);
    let points = match outcome {
        IrregularityOutcome::Deduction => input.points.unwrap_or(10.0),
        _ => 0.0,
    };
    if !(0.0..=100.0).contains(&points) {
        f.push(FieldError::new("points", "field.range").with_detail("0–100"));
    }
    f.finish().map_err(AppError::Validation)?;
    let event = audit_by(
        p,
        "attempt.irregularity",
        "attempt",
        attempt_id,
        Some(plan.body_id),
        serde_json::json!({"outcome": outcome.code(), "points": points}),
    );
    Ok(st
        .store
        .record_irregularity(attempt_id, outcome, points, description, p.user_id, event)
        .await?)
}

/// The live picture of a plan for its inspectors (and the body and regulator).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanLive {
    pub server_now_ms: i64,
    pub sessions: Vec<PlanSession>,
    pub roster: Vec<RosterEntry>,
    pub actions: Vec<ProctorActionRow>,
    pub findings: Vec<Finding>,
}

pub async fn plan_live(
    st: &AppState,
    p: &Principal,
    plan_id: i64,
) -> Result<(Plan, PlanLive), AppError> {
    let (plan, _) = plan_for_viewer(st, p, plan_id).await?;
    let live = PlanLive {
        server_now_ms: crate::now_ms(),
        sessions: st.store.sessions(plan.id).await?,
        roster: st.store.roster(plan.id, None).await?,
        actions: st.store.proctor_actions(plan.id, 200).await?,
        findings: st.store.findings(plan.id).await?,
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

/// An inspector assigned to the plan files a finding against its body, a proctor of
/// one of its sessions, or one of its sessions.
pub async fn file_finding(
    st: &AppState,
    p: &Principal,
    plan_id: i64,
    input: FindingInput,
) -> Result<i64, AppError> {
    let plan = st.store.plan(plan_id).await?;
    if !(p.has_role(Role::QualityInspector)
        && st.store.is_plan_inspector(plan_id, p.user_id).await?)
    {
        return Err(AppError::NotFound);
    }
    let mut f = Fields::default();
    let parse = |s: &str, all: &[&str]| all.iter().position(|x| *x == s.trim());
    let subject = match parse(&input.subject, &["body", "proctor", "session"]) {
        Some(0) => Some(FindingSubject::Body),
        Some(1) => Some(FindingSubject::Proctor),
        Some(2) => Some(FindingSubject::Session),
        _ => None,
    };
    let category = [
        FindingCategory::Staffing,
        FindingCategory::Identity,
        FindingCategory::Discipline,
        FindingCategory::Procedure,
        FindingCategory::Facilities,
        FindingCategory::Integrity,
    ]
    .into_iter()
    .find(|c| c.code() == input.category.trim());
    let severity = [Severity::Minor, Severity::Major, Severity::Serious]
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
    let sessions = st.store.sessions(plan.id).await?;
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
    f.finish().map_err(AppError::Validation)?;
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
    Ok(st
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
