//! Credit and exit (DESIGN §3.8): the ledgers of evaluation bodies and assessors, the
//! one standing check every planning, assignment, marking and issuance path consults,
//! inspectors' proposed deductions and the regulator's decisions, appeals, and the
//! public catalogue of bodies in good standing.
//!
//! Standing is derived from the ledger on every check (`domain::credit`), so a
//! confirmed event, an upheld appeal or a new year takes effect at once everywhere.
//! `organisations.status` is only a display projection, refreshed after each change.

use serde::{Deserialize, Serialize};

use super::{audit_by, lenient_i64, App, Error, Result};
use crate::domain::credit::{
    assessor_standing, body_standing, CreditRule, EventStatus, Standing, SubjectKind,
};
use crate::domain::org::{OrgKind, OrgStatus};
use crate::domain::policy::Principal;
use crate::domain::role::Role;
use crate::domain::validate::{FieldError, Fields};
use crate::store::credit::{Appeal, CreditEvent, EvidenceRef, NewCreditEvent, Revocation};

fn this_year() -> i32 {
    crate::today().year()
}

/// The standing of a body, from its ledger.
pub async fn body(app: &App, body_id: i64) -> Result<Standing> {
    let events = app.store.credit_events(SubjectKind::Body, body_id).await?;
    let entries: Vec<_> = events.iter().map(CreditEvent::entry).collect();
    Ok(body_standing(&entries, this_year(), &app.config.credit))
}

/// The standing of an assessor, from their ledger.
pub async fn assessor(app: &App, user_id: i64) -> Result<Standing> {
    let events = app
        .store
        .credit_events(SubjectKind::Assessor, user_id)
        .await?;
    let entries: Vec<_> = events.iter().map(CreditEvent::entry).collect();
    Ok(assessor_standing(&entries, this_year(), &app.config.credit))
}

/// What a body may still do, by standing: the gate for every path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// New plans and issuance: good standing only (suspended or exited refused).
    Start,
    /// Changing open plans (rosters, sessions, marking, publication): refused once
    /// exited, which freezes them; a suspended body finishes what it began.
    Continue,
}

/// Refuses with `field` and the reason when the body's standing does not allow `gate`.
pub async fn require_body(app: &App, body_id: i64, gate: Gate, field: &str) -> Result<Standing> {
    let s = body(app, body_id).await?;
    match (gate, s.status) {
        (_, OrgStatus::Exited) if gate == Gate::Continue => {
            Err(Error::field("plan", "exam_error.plan_frozen"))
        }
        (Gate::Start, OrgStatus::Active) | (Gate::Continue, _) => Ok(s),
        (Gate::Start, _) => Err(Error::field(field, "exam_error.body_standing")),
    }
}

/// Refuses an assessor who is suspended or disqualified: they leave assignment and
/// marking at once.
pub async fn require_assessor(app: &App, user_id: i64, field: &str) -> Result<()> {
    if assessor(app, user_id).await?.in_good_standing() {
        Ok(())
    } else {
        Err(Error::field(field, "credit_error.assessor_standing"))
    }
}

/// Rewrites the display projection of a body's status after a ledger change.
async fn project(app: &App, p: &Principal, kind: SubjectKind, subject_id: i64) -> Result<()> {
    if kind != SubjectKind::Body {
        return Ok(());
    }
    let now = body(app, subject_id).await?.status;
    let org = app.store.org(subject_id).await?;
    if org.status != now {
        let event = audit_by(
            p,
            "org.status",
            "org",
            subject_id,
            Some(subject_id),
            serde_json::json!({"from": org.status, "to": now, "by": "credit"}),
        );
        app.store.set_org_status(subject_id, now, event).await?;
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct EventInput {
    /// `body` or `assessor`.
    pub subject_kind: String,
    #[serde(deserialize_with = "lenient_i64")]
    pub subject_id: Option<i64>,
    /// A rule of the catalogue (`GET /api/v1/credit/rules`).
    pub rule_code: String,
    pub note: String,
    /// Evidence as `kind:id` pairs separated by commas or spaces, e.g. `finding:3
    /// audit:120` (kinds: finding, irregularity, audit, plan, certificate; or their
    /// Chinese names 督导发现, 违纪, 审计, 计划, 证书).
    pub evidence: String,
    /// Hard-exit events: numbers of certificates found improperly issued, to revoke.
    pub revoke_numbers: String,
}

const EVIDENCE_KINDS: [&str; 5] = ["finding", "irregularity", "audit", "plan", "certificate"];

/// The kinds by their Chinese names too, as an officer types them.
fn evidence_kind(k: &str) -> Option<&'static str> {
    let k = k.trim();
    let code = match k {
        "督导发现" | "发现" => "finding",
        "违纪" => "irregularity",
        "审计" | "审计记录" => "audit",
        "计划" => "plan",
        "证书" => "certificate",
        _ => k,
    };
    EVIDENCE_KINDS.into_iter().find(|e| *e == code)
}

fn parse_evidence(s: &str, f: &mut Fields) -> Vec<EvidenceRef> {
    let mut out = Vec::new();
    for part in s
        .split([',', ' ', '\n', '，'])
        .filter(|p| !p.trim().is_empty())
    {
        let parsed = part.trim().split_once([':', '：']).and_then(|(k, id)| {
            let id: i64 = id.trim().parse().ok()?;
            evidence_kind(k).map(|kind| EvidenceRef {
                kind: kind.to_string(),
                id,
            })
        });
        match parsed {
            Some(e) => out.push(e),
            None => f.push(
                FieldError::new("evidence", "credit_error.evidence").with_detail(part.trim()),
            ),
        }
    }
    out
}

/// The subject as named by the input: an evaluation body, or a user who holds the
/// assessor role (and the body they serve, for the body's admins to see).
async fn subject(app: &App, kind: SubjectKind, id: i64) -> Result<Option<i64>> {
    match kind {
        SubjectKind::Body => {
            let org = app
                .store
                .org(id)
                .await
                .map_err(|_| Error::field("subject_id", "credit_error.subject"))?;
            if org.kind != OrgKind::Body {
                return Err(Error::field("subject_id", "credit_error.subject"));
            }
            Ok(Some(id))
        }
        SubjectKind::Assessor => {
            let grants = app.store.grants(id).await.unwrap_or_default();
            let g = grants
                .iter()
                .find(|g| g.role == Role::Assessor)
                .ok_or_else(|| Error::field("subject_id", "credit_error.subject"))?;
            Ok(g.org.body_id)
        }
    }
}

/// Certificates of `body_id` named in `numbers`, to revoke with a hard-exit event.
async fn revocation(
    app: &App,
    body_id: Option<i64>,
    numbers: &str,
    rule: &CreditRule,
    f: &mut Fields,
) -> Result<Revocation> {
    let mut ids = Vec::new();
    for n in numbers
        .split([',', ' ', '\n', '，'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if !rule.hard_exit {
            f.push(FieldError::new(
                "revoke_numbers",
                "credit_error.revoke_needs_exit",
            ));
            break;
        }
        match app.store.certificate_by_number(n).await? {
            Some(c) if Some(c.body_id) == body_id => ids.push(c.id),
            _ => f.push(
                FieldError::new("revoke_numbers", "credit_error.certificate_not_of_body")
                    .with_detail(n),
            ),
        }
    }
    Ok(Revocation {
        certificate_ids: ids,
        reason: format!("{} {}", rule.code, rule.description),
    })
}

/// Validates an event's input: the rule applies to the subject, there is a note.
async fn new_event(
    app: &App,
    p: &Principal,
    input: &EventInput,
    status: EventStatus,
    plan_id: Option<i64>,
) -> Result<(NewCreditEvent, Revocation)> {
    let mut f = Fields::default();
    let kind = SubjectKind::from_code(input.subject_kind.trim());
    if kind.is_none() {
        f.push(FieldError::new("subject_kind", "credit_error.subject_kind"));
    }
    let rule = app.config.credit.rule(input.rule_code.trim());
    match (rule, kind) {
        (None, _) => f.push(FieldError::new("rule_code", "credit_error.rule")),
        (Some(r), Some(k)) if r.applies_to != k => {
            f.push(FieldError::new("rule_code", "credit_error.rule_subject"))
        }
        _ => {}
    }
    if input.subject_id.is_none() {
        f.push(FieldError::new("subject_id", "field.required"));
    }
    let note = f.text("note", &input.note, 2000);
    let evidence = parse_evidence(&input.evidence, &mut f);
    let (Some(kind), Some(rule), Some(subject_id)) = (kind, rule, input.subject_id) else {
        return Err(Error::Validation(f.errors().to_vec()));
    };
    let body_id = subject(app, kind, subject_id).await?;
    let revoke = revocation(app, body_id, &input.revoke_numbers, rule, &mut f).await?;
    f.finish().map_err(Error::Validation)?;
    Ok((
        NewCreditEvent {
            subject_kind: kind,
            subject_id,
            body_id,
            year: this_year(),
            rule_code: rule.code.clone(),
            points: rule.points,
            hard_exit: rule.hard_exit,
            note,
            evidence,
            status,
            plan_id,
            by: p.user_id,
        },
        revoke,
    ))
}

fn regulator(p: &Principal) -> Result<()> {
    if p.is_regulator_admin() {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// A regulator officer records a confirmed event directly (a hard-exit one may revoke
/// the certificates found improperly issued, in the same transaction).
pub async fn record(app: &App, p: &Principal, input: EventInput) -> Result<i64> {
    regulator(p)?;
    let (e, revoke) = new_event(app, p, &input, EventStatus::Confirmed, None).await?;
    let (kind, subject_id) = (e.subject_kind, e.subject_id);
    let audit = audit_by(
        p,
        "credit.record",
        "credit_event",
        "",
        e.body_id,
        serde_json::json!({"subject": kind, "subject_id": subject_id, "rule": e.rule_code,
            "points": e.points, "revoked": revoke.certificate_ids.len()}),
    );
    let id = app.store.add_credit_event(e, revoke, audit).await?;
    project(app, p, kind, subject_id).await?;
    Ok(id)
}

/// An inspector dispatched to a plan proposes an event against the plan's body or an
/// assessor who served in it; it counts once a regulator officer confirms it.
pub async fn propose(app: &App, p: &Principal, plan_id: i64, input: EventInput) -> Result<i64> {
    let (_, body) = crate::app::inspection::plan_for_inspector(app, p, plan_id).await?;
    let (mut e, _) = new_event(app, p, &input, EventStatus::Proposed, Some(plan_id)).await?;
    // An assessor's event arose at this plan's body, whichever body granted the role.
    e.body_id = Some(body.id);
    let served = match e.subject_kind {
        SubjectKind::Body => e.subject_id == body.id,
        SubjectKind::Assessor => {
            let mut found = false;
            for s in app.store.sessions(plan_id).await? {
                let panel = app.store.session_assessors(s.id).await?;
                found |= panel.iter().any(|(st, _)| st.user_id == e.subject_id);
            }
            found
        }
    };
    if !served {
        return Err(Error::field("subject_id", "credit_error.not_in_plan"));
    }
    let audit = audit_by(
        p,
        "credit.propose",
        "credit_event",
        "",
        Some(body.id),
        serde_json::json!({"plan_id": plan_id, "subject": e.subject_kind,
            "subject_id": e.subject_id, "rule": e.rule_code}),
    );
    Ok(app
        .store
        .add_credit_event(e, Revocation::default(), audit)
        .await?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DecisionInput {
    /// `confirm` or `reject` (an event); `uphold` or `dismiss` (an appeal).
    pub decision: String,
    pub note: String,
    /// Confirming a hard-exit proposal: certificates to revoke.
    pub revoke_numbers: String,
}

/// A regulator officer confirms or rejects an inspector's proposal.
pub async fn decide_event(app: &App, p: &Principal, id: i64, input: DecisionInput) -> Result<()> {
    regulator(p)?;
    let e = app.store.credit_event(id).await?;
    // Four eyes: whoever proposed an event (an officer who is also an inspector) does
    // not decide it.
    if e.proposed_by_id == p.user_id {
        return Err(Error::field("decision", "credit_error.own_proposal"));
    }
    let confirm = match input.decision.trim() {
        "confirm" => true,
        "reject" => false,
        _ => return Err(Error::field("decision", "credit_error.decision")),
    };
    let mut f = Fields::default();
    let note = f.text("note", &input.note, 2000);
    let rule = app
        .config
        .credit
        .rule(&e.rule_code)
        .cloned()
        .unwrap_or_else(|| CreditRule {
            code: e.rule_code.clone(),
            applies_to: e.subject_kind,
            points: e.points,
            hard_exit: e.hard_exit,
            description: String::new(),
            description_en: String::new(),
        });
    let revoke = revocation(app, e.body_id, &input.revoke_numbers, &rule, &mut f).await?;
    f.finish().map_err(Error::Validation)?;
    let audit = audit_by(
        p,
        if confirm {
            "credit.confirm"
        } else {
            "credit.reject"
        },
        "credit_event",
        id,
        e.body_id,
        serde_json::json!({"rule": e.rule_code, "revoked": revoke.certificate_ids.len()}),
    );
    app.store
        .decide_credit_event(id, confirm, p.user_id, &note, revoke, audit)
        .await?;
    project(app, p, e.subject_kind, e.subject_id).await
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AppealInput {
    pub reason: String,
}

/// Whether `p` answers for a subject: the body's admins, or the assessor themself.
fn answers_for_subject(p: &Principal, kind: SubjectKind, id: i64) -> bool {
    match kind {
        SubjectKind::Body => p
            .grants
            .iter()
            .any(|g| g.role == Role::BodyAdmin && g.org.body_id == Some(id)),
        SubjectKind::Assessor => p.user_id == id,
    }
}

fn answers_for(p: &Principal, e: &CreditEvent) -> bool {
    answers_for_subject(p, e.subject_kind, e.subject_id)
}

/// The body's admin (or the assessor) appeals a confirmed event.
pub async fn appeal(app: &App, p: &Principal, event_id: i64, input: AppealInput) -> Result<i64> {
    let e = app.store.credit_event(event_id).await?;
    if !answers_for(p, &e) {
        return Err(Error::NotFound);
    }
    let mut f = Fields::default();
    let reason = f.text("reason", &input.reason, 2000);
    f.finish().map_err(Error::Validation)?;
    let audit = audit_by(
        p,
        "credit.appeal",
        "credit_event",
        event_id,
        e.body_id,
        serde_json::json!({"rule": e.rule_code}),
    );
    Ok(app
        .store
        .file_appeal(event_id, p.user_id, &reason, audit)
        .await?)
}

/// A regulator officer other than the one who confirmed the event upholds (the event
/// is reversed and no longer counts) or dismisses an appeal. Certificates a reversed
/// hard-exit event revoked stay revoked: revocation is final (DESIGN §3.6), and the
/// holders are assessed again.
pub async fn decide_appeal(
    app: &App,
    p: &Principal,
    appeal_id: i64,
    input: DecisionInput,
) -> Result<()> {
    regulator(p)?;
    let a = app.store.appeal(appeal_id).await?;
    let e = app.store.credit_event(a.event_id).await?;
    let uphold = match input.decision.trim() {
        "uphold" => true,
        "dismiss" => false,
        _ => return Err(Error::field("decision", "credit_error.decision")),
    };
    // The appeal is heard by someone other than the officer who made the decision (or
    // proposed the event).
    if e.decided_by_id == Some(p.user_id) || e.proposed_by_id == p.user_id {
        return Err(Error::field("decision", "credit_error.appeal_same_officer"));
    }
    let mut f = Fields::default();
    let note = f.text("note", &input.note, 2000);
    f.finish().map_err(Error::Validation)?;
    let audit = audit_by(
        p,
        if uphold {
            "credit.appeal_upheld"
        } else {
            "credit.appeal_dismissed"
        },
        "credit_appeal",
        appeal_id,
        e.body_id,
        serde_json::json!({"event_id": e.id}),
    );
    app.store
        .decide_appeal(appeal_id, uphold, p.user_id, &note, audit)
        .await?;
    project(app, p, e.subject_kind, e.subject_id).await
}

/// A subject's ledger page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Ledger {
    pub subject_kind: SubjectKind,
    pub subject_id: i64,
    pub subject_name: String,
    pub standing: Standing,
    pub events: Vec<CreditEvent>,
    pub appeals: Vec<Appeal>,
    /// The rules that apply to this kind of subject.
    pub rules: Vec<CreditRule>,
    /// The caller keeps the ledger (records, confirms, decides appeals).
    pub can_record: bool,
    /// The caller answers for the subject and may appeal confirmed events.
    pub can_appeal: bool,
}

/// Who may read a ledger: the regulator and inspectors; a body's admins their own
/// body's and their assessors'; an assessor their own.
fn may_read(p: &Principal, kind: SubjectKind, id: i64, body_id: Option<i64>) -> bool {
    let inspector = p.has_role(Role::QualityInspector);
    let body_admin = body_id.is_some_and(|b| {
        p.grants
            .iter()
            .any(|g| g.role == Role::BodyAdmin && g.org.body_id == Some(b))
    });
    p.is_regulator_admin()
        || inspector
        || body_admin
        || (kind == SubjectKind::Assessor && p.user_id == id)
}

pub async fn ledger(app: &App, p: &Principal, kind: SubjectKind, id: i64) -> Result<Ledger> {
    let (name, body_id) = match kind {
        SubjectKind::Body => {
            let org = app.store.org(id).await.map_err(|_| Error::NotFound)?;
            if org.kind != OrgKind::Body {
                return Err(Error::NotFound);
            }
            (org.name, Some(id))
        }
        SubjectKind::Assessor => {
            let user = app.store.user(id).await.map_err(|_| Error::NotFound)?;
            let body = subject(app, kind, id).await.ok().flatten();
            (user.display_name, body)
        }
    };
    if !may_read(p, kind, id, body_id) {
        return Err(Error::NotFound);
    }
    let events = app.store.credit_events(kind, id).await?;
    let mut appeals = Vec::new();
    for e in &events {
        appeals.extend(app.store.appeals(e.id).await?);
    }
    let entries: Vec<_> = events.iter().map(CreditEvent::entry).collect();
    let standing = match kind {
        SubjectKind::Body => body_standing(&entries, this_year(), &app.config.credit),
        SubjectKind::Assessor => assessor_standing(&entries, this_year(), &app.config.credit),
    };
    let can_appeal = answers_for_subject(p, kind, id);
    Ok(Ledger {
        subject_kind: kind,
        subject_id: id,
        subject_name: name,
        standing,
        events,
        appeals,
        rules: app
            .config
            .credit
            .rules
            .iter()
            .filter(|r| r.applies_to == kind)
            .cloned()
            .collect(),
        can_record: p.is_regulator_admin(),
        can_appeal,
    })
}

mod desk;

pub use desk::{
    bodies, catalogue, desk, refuse_barred_refiling, BodyRow, CatalogueBody, Desk, OpenAppeal,
};
