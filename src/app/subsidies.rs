//! Certificate-based subsidies (DESIGN §3.7): the body's admin or the regulator checks a
//! certificate against the region's policy (eligible, or not with the rule that
//! decided) and records the subsidy granted, which later checks read. The database
//! refuses a second subsidy for one occupation and level; the yearly cap is checked just
//! before the write, so two officers granting one person's fourth subsidy at the same
//! instant could both pass it (rare, audited, and visible in the ledger).

use serde::{Deserialize, Serialize};

use super::{audit_by, authorize, App, Error, Result};
use crate::domain::certificate::CertificateStatus;
use crate::domain::policy::{Action, Principal};
use crate::domain::role::Role;
use crate::domain::subsidy::{check as check_rules, Claim, Granted, SubsidyRule};
use crate::store::certificates::Certificate;
use crate::store::subsidies::{GrantRow, NewGrant};

/// The answer to "may this certificate be subsidised?".
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubsidyCheck {
    pub certificate: Certificate,
    pub eligible: bool,
    /// The rule that refused it.
    pub rule: Option<SubsidyRule>,
    /// How many subsidies the person had before (anywhere).
    pub subsidised_before: usize,
    /// The person's subsidies so far that the caller may see (a body admin: its own).
    pub history: Vec<GrantRow>,
}

async fn certificate_for_officer(app: &App, p: &Principal, number: &str) -> Result<Certificate> {
    let number = number.trim().to_ascii_uppercase();
    let Some(c) = app.store.certificate_by_number(&number).await? else {
        return Err(Error::field("number", "subsidy_error.no_certificate"));
    };
    let body = app.store.org(c.body_id).await?;
    // Another body's certificate is "not found" to a body admin.
    authorize(p, Action::CertificateStatus, &body)
        .map_err(|_| Error::field("number", "subsidy_error.no_certificate"))?;
    Ok(c)
}

pub async fn check(app: &App, p: &Principal, number: &str) -> Result<SubsidyCheck> {
    let certificate = certificate_for_officer(app, p, number).await?;
    let history = app.store.person_subsidies(certificate.person_id).await?;
    let granted: Vec<Granted> = history
        .iter()
        .map(|g| Granted {
            occupation_code: g.occupation_code.clone(),
            level: g.level,
            year: g.year,
        })
        .collect();
    let claim = Claim {
        occupation_code: certificate.occupation_code.clone(),
        level: certificate.level,
        certificate_valid: certificate.status == CertificateStatus::Valid,
        issued_on: crate::domain::time::local_date(certificate.issued_at_ms),
        claimed_on: crate::domain::time::local_date(crate::now_ms()),
    };
    let already = history.iter().any(|g| g.certificate_id == certificate.id);
    let verdict = match already {
        true => Err(SubsidyRule::SameOccupationLevel),
        false => check_rules(&app.config.exams.subsidies, &claim, &granted),
    };
    // The rules read the whole history; a body admin sees only its own grants of it.
    let subsidised_before = history.len();
    let shown: Vec<GrantRow> = match p.is_regulator_admin() {
        true => history,
        false => history
            .into_iter()
            .filter(|g| g.body_id == certificate.body_id)
            .collect(),
    };
    Ok(SubsidyCheck {
        eligible: verdict.is_ok(),
        rule: verdict.err(),
        subsidised_before,
        history: shown,
        certificate,
    })
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct GrantInput {
    pub number: String,
    /// Yuan, up to two decimals.
    pub amount: f64,
    /// `person`, `employer` or `training_body`.
    pub payee: String,
    pub payee_name: String,
}

/// Records a subsidy on an eligible certificate.
pub async fn grant(app: &App, p: &Principal, input: GrantInput) -> Result<i64> {
    let c = check(app, p, &input.number).await?;
    if let Some(rule) = c.rule {
        return Err(Error::field("number", rule.code()));
    }
    let mut errors = Vec::new();
    if !(input.amount.is_finite() && input.amount > 0.0 && input.amount <= 100_000.0) {
        errors.push(
            crate::domain::validate::FieldError::new("amount", "field.range")
                .with_detail("0.01–100000"),
        );
    }
    if !["person", "employer", "training_body"].contains(&input.payee.as_str()) {
        errors.push(crate::domain::validate::FieldError::new(
            "payee",
            "subsidy_error.payee",
        ));
    }
    let payee_name = input.payee_name.trim().to_string();
    if payee_name.is_empty() || payee_name.chars().count() > 200 {
        errors.push(crate::domain::validate::FieldError::new(
            "payee_name",
            "field.required",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let cert = c.certificate;
    let today = crate::domain::time::local_date(crate::now_ms());
    let amount_cents = (input.amount * 100.0).round() as i64;
    let event = audit_by(
        p,
        "subsidy.grant",
        "certificate",
        cert.id,
        Some(cert.body_id),
        serde_json::json!({"amount_cents": amount_cents, "payee": input.payee}),
    );
    let g = NewGrant {
        person_id: cert.person_id,
        certificate_id: cert.id,
        occupation_code: cert.occupation_code,
        level: cert.level,
        year: today.year(),
        amount_cents,
        payee: input.payee,
        payee_name,
        granted_by: p.user_id,
    };
    Ok(app.store.grant_subsidy(g, event).await?)
}

/// The ledger: all of it for the regulator, a body's own for its admin.
pub async fn ledger(app: &App, p: &Principal) -> Result<Vec<GrantRow>> {
    if p.is_regulator_admin() {
        return Ok(app.store.subsidies(None, 500).await?);
    }
    let body = p
        .grants
        .iter()
        .find(|g| g.role == Role::BodyAdmin)
        .and_then(|g| g.org.body_id)
        .ok_or(Error::Forbidden)?;
    Ok(app.store.subsidies(Some(body), 500).await?)
}
