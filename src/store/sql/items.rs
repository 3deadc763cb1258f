//! Banks and items: every edit a new immutable version, the review trail, sharing,
//! imports in one transaction, exports of the active versions.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{code, json, not_found, small, to_json, write_audited, Row, Tx};
use super::{dialect, DbStore};
use crate::domain::audit::AuditEvent;
use crate::domain::item::TransitionError;
use crate::domain::item::{transition, ItemContent, ItemStatus, ItemType, Transition};
use crate::domain::standard::Mode;
use crate::store::items::{
    BankInfo, ExportItem, ImportOutcome, ItemFilter, ItemReview, ItemSummary, ItemVersion, NewItem,
};
use crate::store::{ItemStore, Result, StoreError};

const ITEM_COLUMNS: &str = "id, bank_id, external_id, level, mode, point_code, item_type, \
     difficulty, status, latest_version, active_version, stem_text";

const BANK_SELECT: &str = "SELECT b.id, b.occupation_id, o.code AS occupation_code, \
     o.name AS occupation_name, b.org_id, b.name, \
     (SELECT COUNT(*) FROM items i WHERE i.bank_id = b.id) AS items, \
     (SELECT COUNT(*) FROM items i WHERE i.bank_id = b.id AND i.active_version IS NOT NULL \
     AND i.status <> 'retired') AS active_items \
     FROM banks b JOIN occupations o ON o.id = b.occupation_id";

fn item(r: &Row) -> Result<ItemSummary> {
    Ok(ItemSummary {
        id: r.try_get("id")?,
        bank_id: r.try_get("bank_id")?,
        external_id: r.try_get("external_id")?,
        level: small(r, "level")?,
        mode: code(r, "mode", Mode::from_code)?,
        point_code: r.try_get("point_code")?,
        item_type: code(r, "item_type", ItemType::from_code)?,
        difficulty: small(r, "difficulty")?,
        status: code(r, "status", ItemStatus::from_code)?,
        latest_version: r.try_get("latest_version")?,
        active_version: r.try_get("active_version")?,
        stem_text: r.try_get("stem_text")?,
    })
}

fn bank(r: &Row) -> Result<BankInfo> {
    Ok(BankInfo {
        id: r.try_get("id")?,
        occupation_id: r.try_get("occupation_id")?,
        occupation_code: r.try_get("occupation_code")?,
        occupation_name: r.try_get("occupation_name")?,
        org_id: r.try_get("org_id")?,
        name: r.try_get("name")?,
        items: r.try_get("items")?,
        active_items: r.try_get("active_items")?,
    })
}

/// Plain text of the stem for lists and search (tags dropped, entities folded).
pub(super) fn stem_text(c: &ItemContent) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in c.stem.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    crate::formats::unescape_html(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line of an item's review trail, in the caller's transaction.
pub(super) async fn review_row(
    tx: &mut Tx,
    item: (i64, i64),
    actor: Option<i64>,
    action: &str,
    comment: Option<String>,
    at_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO item_reviews (item_id, version, actor_id, action, comment, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(item.0)
    .bind(item.1)
    .bind(actor)
    .bind(action)
    .bind(comment)
    .bind(at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The item, locked until commit on PostgreSQL so an edit and a review cannot
/// interleave (SQLite's single writer already serialises them).
async fn item_for_update(tx: &mut Tx, item_id: i64) -> Result<ItemSummary> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM items WHERE id = $1{}",
        dialect::ROW_LOCK
    );
    let row = sqlx::query(&sql)
        .bind(item_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(not_found)?;
    item(&row)
}

/// Adds version `version` of an item and points the item at it.
pub(super) async fn add_version(
    tx: &mut Tx,
    item_id: i64,
    version: i64,
    content: &ItemContent,
    actor: Option<i64>,
    at_ms: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO item_versions (item_id, version, content, created_by, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(item_id)
    .bind(version)
    .bind(to_json(content)?)
    .bind(actor)
    .bind(at_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl ItemStore for DbStore {
    async fn ensure_bank(
        &self,
        occupation_id: i64,
        org_id: i64,
        name: &str,
        now_ms: i64,
    ) -> Result<i64> {
        sqlx::query(
            "INSERT INTO banks (occupation_id, org_id, name, created_at_ms) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, name) DO NOTHING",
        )
        .bind(occupation_id)
        .bind(org_id)
        .bind(name)
        .bind(now_ms)
        .execute(self.writer())
        .await?;
        Ok(
            sqlx::query_scalar("SELECT id FROM banks WHERE org_id = $1 AND name = $2")
                .bind(org_id)
                .bind(name)
                .fetch_one(self.writer())
                .await?,
        )
    }

    async fn banks(&self) -> Result<Vec<BankInfo>> {
        let sql = format!("{BANK_SELECT} ORDER BY o.code, b.id");
        let rows = sqlx::query(&sql).fetch_all(self.reader()).await?;
        rows.iter().map(bank).collect()
    }

    async fn bank(&self, id: i64) -> Result<BankInfo> {
        let sql = format!("{BANK_SELECT} WHERE b.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        bank(&row)
    }

    async fn share_bank(&self, bank_id: i64, body_id: i64, audit: AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO bank_shares (bank_id, body_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(bank_id)
        .bind(body_id)
        .execute(&mut *tx)
        .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn bank_shared_with(&self, bank_id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT body_id FROM bank_shares WHERE bank_id = $1 ORDER BY body_id",
        )
        .bind(bank_id)
        .fetch_all(self.reader())
        .await?)
    }

    async fn bank_dup_keys(&self, bank_id: i64) -> Result<Vec<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT dup_key, external_id FROM items WHERE bank_id = $1")
                .bind(bank_id)
                .fetch_all(self.reader())
                .await?,
        )
    }

    async fn import_items(
        &self,
        bank_id: i64,
        items: Vec<NewItem>,
        actor: Option<i64>,
        audit: AuditEvent,
    ) -> Result<ImportOutcome> {
        let tx = self.begin_write().await?;
        super::items_import::import(tx, &self.chain_key, bank_id, items, actor, audit).await
    }

    async fn items(&self, bank_id: i64, f: ItemFilter) -> Result<Vec<ItemSummary>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE bank_id = $1 AND ($2 IS NULL OR level = $2) \
             AND ($3 IS NULL OR mode = $3) AND ($4 IS NULL OR point_code = $4) \
             AND ($5 IS NULL OR status = $5) AND ($6 IS NULL OR item_type = $6) \
             AND ($7 IS NULL OR stem_text LIKE $7) \
             ORDER BY level DESC, mode, point_code, id LIMIT $8 OFFSET $9"
        );
        let rows = sqlx::query(&sql)
            .bind(bank_id)
            .bind(f.level.map(i64::from))
            .bind(f.mode.map(|m| m.code()))
            .bind(f.point)
            .bind(f.status.map(|s| s.code()))
            .bind(f.item_type.map(|t| t.code()))
            .bind(f.q.map(|q| format!("%{}%", q.replace(['%', '_'], ""))))
            .bind(if f.limit > 0 { f.limit } else { 100 })
            .bind(f.offset)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(item).collect()
    }

    async fn item(&self, item_id: i64) -> Result<ItemSummary> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(item_id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        item(&row)
    }

    async fn item_id_by_external(&self, bank_id: i64, external_id: &str) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM items WHERE bank_id = $1 AND external_id = $2")
                .bind(bank_id)
                .bind(external_id)
                .fetch_optional(self.reader())
                .await?,
        )
    }

    async fn item_versions(&self, item_id: i64) -> Result<Vec<ItemVersion>> {
        let rows = sqlx::query(
            "SELECT v.version, v.content, v.created_by, u.login, v.created_at_ms \
             FROM item_versions v LEFT JOIN users u ON u.id = v.created_by \
             WHERE v.item_id = $1 ORDER BY v.version",
        )
        .bind(item_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ItemVersion {
                    version: r.try_get("version")?,
                    content: json(r, "content")?,
                    created_by: r.try_get("created_by")?,
                    created_by_login: r.try_get("login")?,
                    created_at_ms: r.try_get("created_at_ms")?,
                })
            })
            .collect()
    }

    async fn item_reviews(&self, item_id: i64) -> Result<Vec<ItemReview>> {
        let rows: Vec<(i64, Option<String>, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT r.version, u.login, r.action, r.comment, r.at_ms FROM item_reviews r \
             LEFT JOIN users u ON u.id = r.actor_id WHERE r.item_id = $1 ORDER BY r.id",
        )
        .bind(item_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(version, actor, action, comment, at_ms)| ItemReview {
                version,
                actor,
                action,
                comment,
                at_ms,
            })
            .collect())
    }

    async fn edit_item(
        &self,
        item_id: i64,
        content: ItemContent,
        point: Option<String>,
        actor: i64,
        audit: AuditEvent,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let cur = item_for_update(&mut tx, item_id).await?;
        if cur.status == ItemStatus::Retired {
            return Err(StoreError::Invalid {
                field: "status",
                code: "item.retired",
            });
        }
        // Saving what is already there changes nothing: no version, no review row, no
        // audit entry (the transaction is dropped, so nothing is written).
        let latest: String = sqlx::query_scalar(
            "SELECT content FROM item_versions WHERE item_id = $1 AND version = $2",
        )
        .bind(item_id)
        .bind(cur.latest_version)
        .fetch_one(&mut *tx)
        .await?;
        let same_point = point.as_ref().is_none_or(|p| *p == cur.point_code);
        if same_point
            && serde_json::from_str::<ItemContent>(&latest).ok().as_ref() == Some(&content)
        {
            return Ok(cur.latest_version);
        }
        let next = cur.latest_version + 1;
        add_version(&mut tx, item_id, next, &content, Some(actor), audit.at_ms).await?;
        sqlx::query(
            "UPDATE items SET latest_version = $1, status = 'draft', point_code = $2, \
             item_type = $3, difficulty = $4, dup_key = $5, stem_text = $6, updated_at_ms = $7 \
             WHERE id = $8",
        )
        .bind(next)
        .bind(point.unwrap_or(cur.point_code))
        .bind(content.item_type.code())
        .bind(i64::from(content.difficulty))
        .bind(content.duplicate_key())
        .bind(stem_text(&content))
        .bind(audit.at_ms)
        .bind(item_id)
        .execute(&mut *tx)
        .await?;
        review_row(
            &mut tx,
            (item_id, next),
            Some(actor),
            "edit",
            None,
            audit.at_ms,
        )
        .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(next)
    }

    async fn transition_item(
        &self,
        item_id: i64,
        by: Transition,
        actor: i64,
        comment: Option<String>,
        audit: AuditEvent,
    ) -> Result<ItemStatus> {
        let mut tx = self.begin_write().await?;
        let cur = item_for_update(&mut tx, item_id).await?;
        let author: Option<i64> = sqlx::query_scalar(
            "SELECT created_by FROM item_versions WHERE item_id = $1 AND version = $2",
        )
        .bind(item_id)
        .bind(cur.latest_version)
        .fetch_one(&mut *tx)
        .await?;
        let invalid = |code| StoreError::Invalid {
            field: "status",
            code,
        };
        let next = transition(cur.status, by, author == Some(actor)).map_err(|e| match e {
            TransitionError::OwnItem => invalid("item.own_review"),
            TransitionError::NotAllowed { .. } => invalid("item.transition"),
        })?;
        let active = (next == ItemStatus::Active).then_some(cur.latest_version);
        sqlx::query(
            "UPDATE items SET status = $1, active_version = COALESCE($2, active_version), \
             updated_at_ms = $3 WHERE id = $4",
        )
        .bind(next.code())
        .bind(active)
        .bind(audit.at_ms)
        .bind(item_id)
        .execute(&mut *tx)
        .await?;
        let version = (item_id, cur.latest_version);
        review_row(
            &mut tx,
            version,
            Some(actor),
            by.code(),
            comment,
            audit.at_ms,
        )
        .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(next)
    }

    async fn point_counts(
        &self,
        bank_id: i64,
        level: u8,
        mode: Mode,
    ) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT point_code, COUNT(*) FROM items WHERE bank_id = $1 AND level = $2 \
             AND mode = $3 AND active_version IS NOT NULL AND status <> 'retired' \
             GROUP BY point_code",
        )
        .bind(bank_id)
        .bind(i64::from(level))
        .bind(mode.code())
        .fetch_all(self.reader())
        .await?)
    }

    async fn export_items(&self, bank_id: i64) -> Result<Vec<ExportItem>> {
        let rows = sqlx::query(
            "SELECT i.external_id, i.level, i.mode, i.point_code, v.content FROM items i \
             JOIN item_versions v ON v.item_id = i.id AND v.version = i.active_version \
             WHERE i.bank_id = $1 AND i.status <> 'retired' ORDER BY i.id",
        )
        .bind(bank_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ExportItem {
                    external_id: r.try_get("external_id")?,
                    level: small(r, "level")?,
                    mode: code(r, "mode", Mode::from_code)?,
                    point: r.try_get("point_code")?,
                    content: json(r, "content")?,
                })
            })
            .collect()
    }
}
