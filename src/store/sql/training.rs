//! Training records.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{write_audited, Row};
use super::DbStore;
use crate::domain::audit::AuditEvent;
use crate::store::training::{NewTraining, TrainingRow};
use crate::store::{Result, TrainingStore};

const TRAINING_SELECT: &str = "SELECT t.id, t.person_id, p.name AS person_name, \
     p.document_masked, t.body_id, o.name AS body_name, t.course, t.occupation_code, t.hours, \
     t.credits, t.completed_on, u.display_name AS recorded_by, t.recorded_at_ms FROM \
     training_records t JOIN people p ON p.id = t.person_id JOIN organisations o ON o.id = \
     t.body_id JOIN users u ON u.id = t.recorded_by";

fn training(r: &Row) -> Result<TrainingRow> {
    Ok(TrainingRow {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        person_name: r.try_get("person_name")?,
        document_masked: r.try_get("document_masked")?,
        body_id: r.try_get("body_id")?,
        body_name: r.try_get("body_name")?,
        course: r.try_get("course")?,
        occupation_code: r.try_get("occupation_code")?,
        hours: r.try_get("hours")?,
        credits: r.try_get("credits")?,
        completed_on: r.try_get("completed_on")?,
        recorded_by: r.try_get("recorded_by")?,
        recorded_at_ms: r.try_get("recorded_at_ms")?,
    })
}

#[async_trait]
impl TrainingStore for DbStore {
    async fn add_training(&self, t: NewTraining, audit: AuditEvent) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let person = super::roster::person_id(&mut tx, &t.person, 0, audit.at_ms).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO training_records (person_id, body_id, course, occupation_code, hours, \
             credits, completed_on, recorded_by, recorded_at_ms) VALUES ($1, $2, $3, $4, $5, \
             $6, $7, $8, $9) RETURNING id",
        )
        .bind(person)
        .bind(t.body_id)
        .bind(&t.course)
        .bind(&t.occupation_code)
        .bind(t.hours)
        .bind(t.credits)
        .bind(&t.completed_on)
        .bind(t.by)
        .bind(audit.at_ms)
        .fetch_one(&mut *tx)
        .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn person_training(&self, person_id: i64) -> Result<Vec<TrainingRow>> {
        let sql = format!("{TRAINING_SELECT} WHERE t.person_id = $1 ORDER BY t.completed_on, t.id");
        let rows = sqlx::query(&sql)
            .bind(person_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(training).collect()
    }

    async fn body_training(&self, body_id: i64, limit: i64) -> Result<Vec<TrainingRow>> {
        let sql = format!("{TRAINING_SELECT} WHERE t.body_id = $1 ORDER BY t.id DESC LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(body_id)
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(training).collect()
    }
}
