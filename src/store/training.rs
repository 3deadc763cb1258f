//! Training records: courses a body recorded for a person, with hours and credits.

use async_trait::async_trait;
use serde::Serialize;

use super::{NewPerson, Result};
use crate::domain::audit::AuditEvent;

/// No `Debug`: the person's document is in it (encrypted, but still not for logs).
#[derive(Clone)]
pub struct NewTraining {
    /// Found by document (or recorded, the first time this person is seen).
    pub person: NewPerson,
    pub body_id: i64,
    pub course: String,
    pub occupation_code: Option<String>,
    pub hours: f64,
    pub credits: f64,
    pub completed_on: String,
    pub by: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrainingRow {
    pub id: i64,
    pub person_id: i64,
    /// The person's name, and the masked document (for the body's list).
    pub person_name: String,
    pub document_masked: String,
    pub body_id: i64,
    pub body_name: String,
    pub course: String,
    pub occupation_code: Option<String>,
    pub hours: f64,
    pub credits: f64,
    pub completed_on: String,
    pub recorded_by: String,
    pub recorded_at_ms: i64,
}

#[async_trait]
pub trait TrainingStore: Send + Sync {
    /// Records a course; the person is matched by document (a different name on the
    /// same document is refused).
    async fn add_training(&self, t: NewTraining, audit: AuditEvent) -> Result<i64>;
    async fn person_training(&self, person_id: i64) -> Result<Vec<TrainingRow>>;
    /// A body's records, newest first.
    async fn body_training(&self, body_id: i64, limit: i64) -> Result<Vec<TrainingRow>>;
}
