//! Training records in the skills record (DESIGN §3.7): a body's admin records a course
//! a person completed (hours and credits), found by their document; the person sees
//! the courses and the sums (学分累计) in their record.

use serde::{Deserialize, Serialize};

use super::plans::roster::{parse_person, PersonInput};
use super::{audit_by, App, Error, Result};
use crate::domain::policy::{decide, Action, Principal};
use crate::domain::time::parse_date;
use crate::domain::validate::{FieldError, Fields};
use crate::store::training::{NewTraining, TrainingRow};
use crate::store::StoreError;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TrainingInput {
    pub body_id: i64,
    pub name: String,
    /// `resident_id` (default), `residence_permit`, `foreign_permanent_resident`, `passport`.
    pub document_type: Option<String>,
    pub id_number: String,
    pub course: String,
    /// The occupation the course trains for, if any (e.g. `4-10-01-05`).
    pub occupation_code: Option<String>,
    pub hours: f64,
    pub credits: f64,
    /// `YYYY-MM-DD`, not in the future.
    pub completed_on: String,
}

/// A body's admin records a completed course for a person.
pub async fn record(app: &App, p: &Principal, input: TrainingInput) -> Result<i64> {
    let body = app
        .store
        .org(input.body_id)
        .await
        .map_err(|_| Error::field("body_id", "org.missing"))?;
    // Recording training is part of running the body's programme: its admins.
    decide(p, Action::PlanExams, &body.as_ref()).map_err(|_| Error::Forbidden)?;
    let mut f = Fields::default();
    let person = parse_person(
        app,
        &PersonInput {
            name: input.name.clone(),
            document_type: input.document_type.clone(),
            id_number: input.id_number.clone(),
        },
        "",
        &mut f,
    );
    let course = f.text("course", &input.course, 100);
    let occupation = input
        .occupation_code
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(String::from);
    if occupation.as_ref().is_some_and(|o| o.chars().count() > 20) {
        f.push(FieldError::new("occupation_code", "field.too_long").with_detail("20"));
    }
    if let Err((field, code)) = crate::domain::training::check_amounts(input.hours, input.credits) {
        f.push(FieldError::new(field, code));
    }
    match parse_date(input.completed_on.trim()) {
        Some(d) if d <= crate::today() => {}
        _ => f.push(FieldError::new(
            "completed_on",
            "training_error.completed_on",
        )),
    }
    f.finish().map_err(Error::Validation)?;
    let Some(person) = person else {
        return Err(Error::field("id_number", "field.required"));
    };
    let audit = audit_by(
        p,
        "training.record",
        "person",
        "",
        Some(body.id),
        serde_json::json!({"course": course, "hours": input.hours, "credits": input.credits}),
    );
    let new = NewTraining {
        person,
        body_id: body.id,
        course,
        occupation_code: occupation,
        hours: input.hours,
        credits: input.credits,
        completed_on: input.completed_on.trim().to_string(),
        by: p.user_id,
    };
    app.store
        .add_training(new, audit)
        .await
        .map_err(|e| match e {
            // The same document under another name: name the field, change nothing.
            StoreError::Refused { code, .. } => Error::field("name", code),
            e => e.into(),
        })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BodyTraining {
    pub records: Vec<TrainingRow>,
}

/// A body's recent records, for its admins.
pub async fn body_records(app: &App, p: &Principal, body_id: i64) -> Result<BodyTraining> {
    let body = app.store.org(body_id).await.map_err(|_| Error::NotFound)?;
    decide(p, Action::PlanExams, &body.as_ref()).map_err(|_| Error::NotFound)?;
    Ok(BodyTraining {
        records: app.store.body_training(body_id, 200).await?,
    })
}
