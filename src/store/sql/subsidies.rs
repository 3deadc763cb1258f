//! The subsidy ledger.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{write_audited, Row};
use super::DbStore;
use crate::domain::audit::AuditEvent;
use crate::store::subsidies::{GrantRow, NewGrant};
use crate::store::{Result, StoreError, SubsidyStore};

const GRANT_SELECT: &str = "SELECT g.id, g.person_id, g.certificate_id, c.number AS \
     certificate_number, c.body_id, g.occupation_code, g.level, g.year, g.amount_cents, \
     g.payee, g.payee_name, u.display_name AS granted_by, g.granted_at_ms FROM \
     subsidy_grants g JOIN certificates c ON c.id = g.certificate_id JOIN users u \
     ON u.id = g.granted_by";

fn grant(r: &Row) -> Result<GrantRow> {
    let level: Option<i64> = r.try_get("level")?;
    let year: i64 = r.try_get("year")?;
    Ok(GrantRow {
        id: r.try_get("id")?,
        person_id: r.try_get("person_id")?,
        certificate_id: r.try_get("certificate_id")?,
        certificate_number: r.try_get("certificate_number")?,
        body_id: r.try_get("body_id")?,
        occupation_code: r.try_get("occupation_code")?,
        level: level.and_then(|l| u8::try_from(l).ok()),
        year: i32::try_from(year).map_err(|_| super::common::bad_value("year"))?,
        amount_cents: r.try_get("amount_cents")?,
        payee: r.try_get("payee")?,
        payee_name: r.try_get("payee_name")?,
        granted_by: r.try_get("granted_by")?,
        granted_at_ms: r.try_get("granted_at_ms")?,
    })
}

#[async_trait]
impl SubsidyStore for DbStore {
    async fn grant_subsidy(&self, g: NewGrant, audit: AuditEvent) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO subsidy_grants (person_id, certificate_id, occupation_code, level, year, \
             amount_cents, payee, payee_name, granted_by, granted_at_ms) VALUES ($1, $2, $3, $4, \
             $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(g.person_id)
        .bind(g.certificate_id)
        .bind(&g.occupation_code)
        .bind(g.level.map(i64::from))
        .bind(i64::from(g.year))
        .bind(g.amount_cents)
        .bind(&g.payee)
        .bind(&g.payee_name)
        .bind(g.granted_by)
        .bind(audit.at_ms)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Err(StoreError::Conflict {
                field: "number",
                code: "subsidy_error.already_granted",
            });
        };
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn person_subsidies(&self, person_id: i64) -> Result<Vec<GrantRow>> {
        let sql = format!("{GRANT_SELECT} WHERE g.person_id = $1 ORDER BY g.id");
        let rows = sqlx::query(&sql)
            .bind(person_id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(grant).collect()
    }

    async fn subsidies(&self, body_id: Option<i64>, limit: i64) -> Result<Vec<GrantRow>> {
        let sql = format!(
            "{GRANT_SELECT} WHERE ($1 IS NULL OR c.body_id = $1) ORDER BY g.id DESC LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(body_id)
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(grant).collect()
    }
}
