//! Exam-day login and logout: admission number and ID number open an exam-day session
//! (separate from accounts), one device at a time.

use serde::Deserialize;

use crate::app::{App, Error, Result};
use crate::crypto::{constant_time_eq, new_token, token_hash};
use crate::domain::audit::AuditEvent;
use crate::domain::exam;
use crate::domain::identity::{Document, DocumentType};
use crate::domain::throttle::Scope;
use crate::domain::time::local_time;
use crate::store::delivery::ExamOp;

/// How long an exam-day session lasts: one exam day.
pub const EXAM_SESSION_MS: i64 = 14 * 3_600_000;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ExamLogin {
    pub admission_no: String,
    pub id_number: String,
}

/// Checks admission number and ID number, opens an exam-day session through the
/// group-commit writer, and returns `(token, csrf)`. Failures are throttled per
/// admission number and address, and never say which of the two was wrong.
pub async fn login(app: &App, input: &ExamLogin, address: &str) -> Result<(String, String)> {
    let admission = input.admission_no.trim();
    let now = crate::now_ms();
    // Counted per admission number (a proctor can unlock it) and per address, apart
    // from staff sign-in; the key is bounded so nobody stores megabytes of it.
    let key: String = admission.chars().take(32).collect();
    crate::app::auth::throttle(app, Scope::Exam, &key, address, now).await?;
    let found = if admission.is_empty() || admission.len() > 32 {
        None
    } else {
        app.store.candidate_by_admission(admission).await?
    };
    let matches = found.as_ref().is_some_and(|a| {
        DocumentType::ALL.iter().any(|t| {
            Document::parse(*t, &input.id_number, crate::today())
                .map(|d| {
                    constant_time_eq(
                        app.keys.document_lookup(&d).as_bytes(),
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
            actor: format!("candidate:{key}"),
            action: "exam.login_failed".into(),
            object_type: "candidate".into(),
            object_id: String::new(),
            org_id: None,
            details: serde_json::json!({ "address": address }).to_string(),
        };
        app.store.append_audit(event).await?;
        return Err(Error::BadCredentials);
    };
    let candidate_id = admission_record.candidate_id;
    // Only on exam day: the credentials are right, so the candidate may learn when.
    let cfg = &app.config.exams;
    if let Err(code) = exam::login_window(
        admission_record.starts_at_ms,
        admission_record.attempt_status,
        now,
        cfg.login_opens_minutes_before.max(0) * 60_000,
        cfg.late_entry_minutes.max(0) * 60_000,
    ) {
        return Err(Error::BadRequest {
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
    app.delivery
        .writer
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

pub async fn logout(app: &App, token: &str) -> Result<()> {
    let hash = token_hash(token);
    app.store.end_exam_session(&hash).await?;
    app.delivery.sessions.forget(&hash);
    Ok(())
}
