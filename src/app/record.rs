//! A person's skills record (技能培训电子档案, DESIGN §3.7): their exams, published
//! results with the per-question breakdown, certificates and the subsidies granted on
//! them, training hours and accumulated credits, for the person themselves, on a page and as a JSON file they can keep.

use serde::Serialize;

use super::{App, Error, Result};
use crate::domain::policy::Principal;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SkillsRecord {
    pub name: String,
    pub document_masked: String,
    pub exams: Vec<crate::store::plans::Enrolment>,
    pub results: Vec<super::grading::MyResult>,
    pub certificates: Vec<crate::store::certificates::Certificate>,
    pub subsidies: Vec<crate::store::subsidies::GrantRow>,
    /// Courses completed, with hours and credits, and their sums (学分累计).
    pub training: Vec<crate::store::training::TrainingRow>,
    pub training_totals: crate::domain::training::Totals,
    /// When the record was put together (ms since the epoch).
    pub as_of_ms: i64,
}

/// The signed-in person's own record; 404 for an account without a real-name record.
pub async fn my_record(app: &App, p: &Principal) -> Result<SkillsRecord> {
    let Some(person_id) = app.store.user(p.user_id).await?.person_id else {
        return Err(Error::NotFound);
    };
    let person = app.store.person(person_id).await?;
    let training = app.store.person_training(person_id).await?;
    let courses: Vec<crate::domain::training::Course> = training
        .iter()
        .map(|t| crate::domain::training::Course {
            completed_on: t.completed_on.clone(),
            hours: t.hours,
            credits: t.credits,
        })
        .collect();
    Ok(SkillsRecord {
        training_totals: crate::domain::training::totals(&courses),
        training,
        name: person.name,
        document_masked: person.document_masked,
        exams: app.store.enrolments(person_id).await?,
        results: super::grading::my_results(app, p).await?,
        certificates: app.store.person_certificates(person_id).await?,
        subsidies: app.store.person_subsidies(person_id).await?,
        as_of_ms: crate::now_ms(),
    })
}
