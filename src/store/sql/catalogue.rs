//! The catalogue: occupations, dated shortage catalogues and standards.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{json, not_found, to_json, write_audited, Row};
use super::DbStore;
use crate::domain::audit::AuditEvent;
use crate::domain::standard::Standard;
use crate::formats::OccupationEntry;
use crate::store::catalogue::{Occupation, ShortageCatalogue};
use crate::store::{CatalogueStore, Result, StoreError};

const OCCUPATION_COLUMNS: &str = "id, code, edition, name, name_en, levels, certificate_kinds";

/// Levels and certificate kinds are stored as comma-separated lists.
fn occupation(r: &Row) -> Result<Occupation> {
    let levels: String = r.try_get("levels")?;
    let kinds: String = r.try_get("certificate_kinds")?;
    Ok(Occupation {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        edition: r.try_get("edition")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        levels: levels
            .split(',')
            .filter_map(|l| l.trim().parse().ok())
            .collect(),
        certificate_kinds: kinds
            .split(',')
            .filter(|k| !k.is_empty())
            .map(String::from)
            .collect(),
    })
}

#[async_trait]
impl CatalogueStore for DbStore {
    async fn upsert_occupation(&self, e: &OccupationEntry, now_ms: i64) -> Result<Occupation> {
        let levels: Vec<String> = e.levels.iter().map(|l| l.to_string()).collect();
        let sql = format!(
            "INSERT INTO occupations (code, edition, name, name_en, levels, certificate_kinds, \
             created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (code, edition) DO UPDATE SET name = excluded.name, \
             name_en = excluded.name_en, levels = excluded.levels, \
             certificate_kinds = excluded.certificate_kinds RETURNING {OCCUPATION_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&e.code)
            .bind(i64::from(e.edition))
            .bind(&e.name)
            .bind(&e.name_en)
            .bind(levels.join(","))
            .bind(e.certificate_kinds.join(","))
            .bind(now_ms)
            .fetch_one(self.writer())
            .await?;
        occupation(&row)
    }

    async fn occupations(&self) -> Result<Vec<Occupation>> {
        let sql = format!("SELECT {OCCUPATION_COLUMNS} FROM occupations ORDER BY code");
        let rows = sqlx::query(&sql).fetch_all(self.reader()).await?;
        rows.iter().map(occupation).collect()
    }

    async fn occupation(&self, id: i64) -> Result<Occupation> {
        let sql = format!("SELECT {OCCUPATION_COLUMNS} FROM occupations WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        occupation(&row)
    }

    async fn create_shortage_catalogue(
        &self,
        name: &str,
        from: &str,
        to: &str,
        occupation_ids: &[i64],
        mut audit: AuditEvent,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO shortage_catalogues (name, valid_from, valid_to, created_at_ms) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(from)
        .bind(to)
        .bind(audit.at_ms)
        .fetch_one(&mut *tx)
        .await?;
        for o in occupation_ids {
            sqlx::query(
                "INSERT INTO shortage_entries (catalogue_id, occupation_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(o)
            .execute(&mut *tx)
            .await
            .map_err(|_| StoreError::Invalid {
                field: "occupations",
                code: "occupation.missing",
            })?;
        }
        if audit.object_id.is_empty() {
            audit.object_id = id.to_string();
        }
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn shortage_catalogues(&self, date: &str) -> Result<Vec<ShortageCatalogue>> {
        let catalogues: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT id, name, valid_from, valid_to FROM shortage_catalogues \
             WHERE valid_from <= $1 AND valid_to >= $1 ORDER BY valid_from DESC, id DESC",
        )
        .bind(date)
        .fetch_all(self.reader())
        .await?;
        let sql = format!(
            "SELECT {} FROM occupations o JOIN shortage_entries e ON e.occupation_id = o.id \
             WHERE e.catalogue_id = $1 ORDER BY o.code",
            OCCUPATION_COLUMNS
                .split(", ")
                .map(|c| format!("o.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut out = Vec::with_capacity(catalogues.len());
        for (id, name, valid_from, valid_to) in catalogues {
            let rows = sqlx::query(&sql).bind(id).fetch_all(self.reader()).await?;
            out.push(ShortageCatalogue {
                id,
                name,
                valid_from,
                valid_to,
                occupations: rows.iter().map(occupation).collect::<Result<_>>()?,
            });
        }
        Ok(out)
    }

    async fn put_standard(
        &self,
        occupation_id: i64,
        s: &Standard,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO standards (occupation_id, level, mode, content, updated_at_ms) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (occupation_id, level, mode) \
             DO UPDATE SET content = excluded.content, updated_at_ms = excluded.updated_at_ms",
        )
        .bind(occupation_id)
        .bind(i64::from(s.level))
        .bind(s.mode.code())
        .bind(to_json(s)?)
        .bind(audit.at_ms)
        .execute(&mut *tx)
        .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn standards(&self, occupation_id: i64) -> Result<Vec<Standard>> {
        let rows = sqlx::query(
            "SELECT content FROM standards WHERE occupation_id = $1 ORDER BY level DESC, mode",
        )
        .bind(occupation_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(|r| json(r, "content")).collect()
    }
}
