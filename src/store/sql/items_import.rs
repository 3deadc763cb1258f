//! An import of items into a bank, in one transaction: new external ids become items,
//! known ones get a new version when their content or point changed; a retired item or
//! one of another standard refuses the whole import.

use std::collections::HashMap;

use sqlx::Row as _;

use super::common::{on_unique, to_json, write_audited, Tx};
use super::items::{add_version, review_row, stem_text};
use crate::domain::audit::{AuditEvent, ChainKey};
use crate::domain::item::ItemStatus;
use crate::store::dialect::Unique;
use crate::store::items::{ImportOutcome, NewItem};
use crate::store::{Result, StoreError};

pub(super) async fn import(
    mut tx: Tx,
    key: &ChainKey,
    bank_id: i64,
    items: Vec<NewItem>,
    actor: Option<i64>,
    mut audit: AuditEvent,
) -> Result<ImportOutcome> {
    let now = audit.at_ms;
    let known = existing(&mut tx, bank_id).await?;
    let mut out = ImportOutcome::default();
    let mut fresh = Vec::new();
    let invalid = |code| StoreError::Invalid {
        field: "external_id",
        code,
    };
    for it in items {
        let json = to_json(&it.content)?;
        let Some(cur) = known.get(&it.external_id) else {
            fresh.push((it, json));
            continue;
        };
        if cur.content == json && cur.point == it.point {
            out.unchanged += 1;
        } else if cur.status == "retired" {
            return Err(invalid("item.retired"));
        } else if cur.level != i64::from(it.level) || cur.mode != it.mode.code() {
            return Err(invalid("item.other_standard"));
        } else {
            import_version(&mut tx, cur, &it, actor, now).await?;
            out.updated += 1;
        }
    }
    for chunk in fresh.chunks(400) {
        insert_new(&mut tx, bank_id, chunk, actor, now).await?;
        out.created += chunk.len() as u64;
    }
    audit.details = serde_json::json!({
        "bank_id": bank_id, "created": out.created, "updated": out.updated,
        "unchanged": out.unchanged,
    })
    .to_string();
    write_audited(tx, key, audit).await?;
    Ok(out)
}

/// What an import needs to know of the items already in the bank.
struct Existing {
    id: i64,
    version: i64,
    content: String,
    point: String,
    status: String,
    level: i64,
    mode: String,
}

/// The bank's items by external id, with their latest versions.
async fn existing(tx: &mut Tx, bank_id: i64) -> Result<HashMap<String, Existing>> {
    let rows = sqlx::query(
        "SELECT i.id, i.external_id, i.latest_version, i.point_code, i.status, i.level, i.mode, \
         v.content FROM items i JOIN item_versions v ON v.item_id = i.id \
         AND v.version = i.latest_version WHERE i.bank_id = $1",
    )
    .bind(bank_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("external_id")?,
                Existing {
                    id: r.try_get("id")?,
                    version: r.try_get("latest_version")?,
                    content: r.try_get("content")?,
                    point: r.try_get("point_code")?,
                    status: r.try_get("status")?,
                    level: r.try_get("level")?,
                    mode: r.try_get("mode")?,
                },
            ))
        })
        .collect()
}

/// A new version of an existing item from an import.
async fn import_version(
    tx: &mut Tx,
    cur: &Existing,
    it: &NewItem,
    actor: Option<i64>,
    now: i64,
) -> Result<()> {
    let next = cur.version + 1;
    add_version(tx, cur.id, next, &it.content, actor, now).await?;
    let active = (it.status == ItemStatus::Active).then_some(next);
    sqlx::query(
        "UPDATE items SET latest_version = $1, status = $2, \
         active_version = COALESCE($3, active_version), point_code = $4, item_type = $5, \
         difficulty = $6, dup_key = $7, stem_text = $8, updated_at_ms = $9 WHERE id = $10",
    )
    .bind(next)
    .bind(it.status.code())
    .bind(active)
    .bind(&it.point)
    .bind(it.content.item_type.code())
    .bind(i64::from(it.content.difficulty))
    .bind(it.content.duplicate_key())
    .bind(stem_text(&it.content))
    .bind(now)
    .bind(cur.id)
    .execute(&mut **tx)
    .await?;
    review_row(tx, (cur.id, next), actor, "import", None, now).await
}

/// New items in one multi-row insert each for items and first versions: one round trip
/// per few hundred items.
async fn insert_new(
    tx: &mut Tx,
    bank_id: i64,
    chunk: &[(NewItem, String)],
    actor: Option<i64>,
    now: i64,
) -> Result<()> {
    let mut sql = String::from(
        "INSERT INTO items (bank_id, external_id, level, mode, point_code, item_type, \
         difficulty, status, latest_version, active_version, dup_key, stem_text, \
         created_at_ms, updated_at_ms) VALUES ",
    );
    for i in 0..chunk.len() {
        let b = i * 12;
        if i > 0 {
            sql.push(',');
        }
        let p: Vec<String> = (2..=13).map(|k| format!("${}", b + k)).collect();
        sql.push_str(&format!(
            "($1, {}, {}, {}, {}, {}, {}, {}, 1, {}, {}, {}, {}, {})",
            p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]
        ));
    }
    sql.push_str(" RETURNING id, external_id");
    let mut q = sqlx::query_as::<_, (i64, String)>(&sql).bind(bank_id);
    for (it, _) in chunk {
        let active = (it.status == ItemStatus::Active).then_some(1i64);
        q = q
            .bind(&it.external_id)
            .bind(i64::from(it.level))
            .bind(it.mode.code())
            .bind(&it.point)
            .bind(it.content.item_type.code())
            .bind(i64::from(it.content.difficulty))
            .bind(it.status.code())
            .bind(active)
            .bind(it.content.duplicate_key())
            .bind(stem_text(&it.content))
            .bind(now)
            .bind(now);
    }
    let ids: HashMap<String, i64> = q
        .fetch_all(&mut **tx)
        .await
        .map_err(|e| on_unique(e, &[(Unique::ItemExternalId, "external_id", "item.exists")]))?
        .into_iter()
        .map(|(id, ext)| (ext, id))
        .collect();
    let mut vsql = String::from(
        "INSERT INTO item_versions (item_id, version, content, created_by, created_at_ms) VALUES ",
    );
    for i in 0..chunk.len() {
        if i > 0 {
            vsql.push(',');
        }
        vsql.push_str(&format!("(${}, 1, ${}, $1, $2)", i * 2 + 3, i * 2 + 4));
    }
    let mut vq = sqlx::query(&vsql).bind(actor).bind(now);
    for (it, json) in chunk {
        vq = vq
            .bind(ids.get(&it.external_id).copied().unwrap_or_default())
            .bind(json);
    }
    vq.execute(&mut **tx).await?;
    Ok(())
}
