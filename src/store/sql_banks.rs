//! The SQL of [`super::banks::BankStore`], shared by both backends the same way as
//! `sql.rs` (see there for why a macro).

use crate::domain::item::ItemContent;

/// Plain text of an HTML fragment for lists and search (tags dropped, entities folded).
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

macro_rules! impl_bank_store {
    ($store:ty, $db:ty) => {
        mod bank_sql {
            use super::*;
            use $crate::domain::item::{transition, ItemContent, ItemStatus, ItemType, Transition, TransitionError};
            use $crate::domain::standard::{Mode, Standard};
            use $crate::formats::OccupationEntry;
            use $crate::store::banks::*;
            use $crate::store::sql::not_found;
            use $crate::store::sql_banks::stem_text;
            use $crate::store::{Result, StoreError};

            type BRow = <$db as sqlx::Database>::Row;

            fn bad(column: &'static str) -> StoreError {
                StoreError::Database(sqlx::Error::ColumnDecode { index: column.into(), source: format!("bad value in {column}").into() })
            }

            fn occupation_from_row(r: &BRow) -> Result<Occupation> {
                let levels: String = r.try_get("levels")?;
                let kinds: String = r.try_get("certificate_kinds")?;
                Ok(Occupation {
                    id: r.try_get("id")?,
                    code: r.try_get("code")?,
                    edition: r.try_get("edition")?,
                    name: r.try_get("name")?,
                    name_en: r.try_get("name_en")?,
                    levels: levels.split(',').filter_map(|l| l.trim().parse().ok()).collect(),
                    certificate_kinds: kinds.split(',').filter(|k| !k.is_empty()).map(String::from).collect(),
                })
            }

            const ITEM_COLUMNS: &str = "id, bank_id, external_id, level, mode, point_code, item_type, difficulty, status, \
                 latest_version, active_version, stem_text";

            fn item_from_row(r: &BRow) -> Result<ItemSummary> {
                let mode: String = r.try_get("mode")?;
                let t: String = r.try_get("item_type")?;
                let s: String = r.try_get("status")?;
                let level: i64 = r.try_get("level")?;
                let difficulty: i64 = r.try_get("difficulty")?;
                Ok(ItemSummary {
                    id: r.try_get("id")?,
                    bank_id: r.try_get("bank_id")?,
                    external_id: r.try_get("external_id")?,
                    level: level as u8,
                    mode: Mode::from_code(&mode).ok_or_else(|| bad("mode"))?,
                    point_code: r.try_get("point_code")?,
                    item_type: ItemType::from_code(&t).ok_or_else(|| bad("item_type"))?,
                    difficulty: difficulty as u8,
                    status: ItemStatus::from_code(&s).ok_or_else(|| bad("status"))?,
                    latest_version: r.try_get("latest_version")?,
                    active_version: r.try_get("active_version")?,
                    stem_text: r.try_get("stem_text")?,
                })
            }

            fn content_json(c: &ItemContent) -> String {
                serde_json::to_string(c).unwrap_or_default()
            }

            fn parse_content(s: &str) -> Result<ItemContent> {
                serde_json::from_str(s).map_err(|_| bad("content"))
            }

            const BANK_SELECT: &str = "SELECT b.id, b.occupation_id, o.code AS occupation_code, o.name AS occupation_name, \
                 b.org_id, b.name, \
                 (SELECT COUNT(*) FROM items i WHERE i.bank_id = b.id) AS items, \
                 (SELECT COUNT(*) FROM items i WHERE i.bank_id = b.id AND i.active_version IS NOT NULL AND i.status <> 'retired') AS active_items \
                 FROM banks b JOIN occupations o ON o.id = b.occupation_id";

            fn bank_from_row(r: &BRow) -> Result<BankInfo> {
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

            type BTx = sqlx::Transaction<'static, $db>;

            /// One line of an item's review trail, in the caller's transaction.
            async fn review_row(tx: &mut BTx, item_id: i64, version: i64, actor: Option<i64>, action: &str, comment: Option<String>, at_ms: i64) -> Result<()> {
                sqlx::query("INSERT INTO item_reviews (item_id, version, actor_id, action, comment, at_ms) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(item_id)
                    .bind(version)
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
            async fn item_for_update(tx: &mut BTx, item_id: i64) -> Result<ItemSummary> {
                let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = $1{}", <$store>::ROW_LOCK);
                item_from_row(&sqlx::query(&sql).bind(item_id).fetch_one(&mut **tx).await.map_err(not_found)?)
            }

            #[async_trait::async_trait]
            impl BankStore for $store {
                async fn upsert_occupation(&self, e: &OccupationEntry, now_ms: i64) -> Result<Occupation> {
                    let levels = e.levels.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(",");
                    let kinds = e.certificate_kinds.join(",");
                    let row = sqlx::query(
                        "INSERT INTO occupations (code, edition, name, name_en, levels, certificate_kinds, created_at_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (code, edition) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, \
                         levels = excluded.levels, certificate_kinds = excluded.certificate_kinds \
                         RETURNING id, code, edition, name, name_en, levels, certificate_kinds",
                    )
                    .bind(&e.code)
                    .bind(i64::from(e.edition))
                    .bind(&e.name)
                    .bind(&e.name_en)
                    .bind(levels)
                    .bind(kinds)
                    .bind(now_ms)
                    .fetch_one(self.writer())
                    .await?;
                    occupation_from_row(&row)
                }

                async fn occupations(&self) -> Result<Vec<Occupation>> {
                    let rows = sqlx::query("SELECT id, code, edition, name, name_en, levels, certificate_kinds FROM occupations ORDER BY code")
                        .fetch_all(self.reader())
                        .await?;
                    rows.iter().map(occupation_from_row).collect()
                }

                async fn occupation(&self, id: i64) -> Result<Occupation> {
                    let row = sqlx::query("SELECT id, code, edition, name, name_en, levels, certificate_kinds FROM occupations WHERE id = $1")
                        .bind(id)
                        .fetch_one(self.reader())
                        .await
                        .map_err(not_found)?;
                    occupation_from_row(&row)
                }

                async fn create_shortage_catalogue(&self, name: &str, from: &str, to: &str, occupation_ids: &[i64], mut audit: $crate::domain::audit::AuditEvent) -> Result<i64> {
                    let mut tx = self.begin_write().await?;
                    let id: i64 = sqlx::query("INSERT INTO shortage_catalogues (name, valid_from, valid_to, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING id")
                        .bind(name)
                        .bind(from)
                        .bind(to)
                        .bind(audit.at_ms)
                        .fetch_one(&mut *tx)
                        .await?
                        .try_get("id")?;
                    for o in occupation_ids {
                        sqlx::query("INSERT INTO shortage_entries (catalogue_id, occupation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                            .bind(id)
                            .bind(o)
                            .execute(&mut *tx)
                            .await
                            .map_err(|_| StoreError::Invalid { field: "occupations", code: "occupation.missing" })?;
                    }
                    if audit.object_id.is_empty() {
                        audit.object_id = id.to_string();
                    }
                    <$store>::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(id)
                }

                async fn shortage_catalogues(&self, date: &str) -> Result<Vec<ShortageCatalogue>> {
                    let rows = sqlx::query("SELECT id, name, valid_from, valid_to FROM shortage_catalogues WHERE valid_from <= $1 AND valid_to >= $1 ORDER BY valid_from DESC, id DESC")
                        .bind(date)
                        .fetch_all(self.reader())
                        .await?;
                    let mut out = Vec::new();
                    for r in rows {
                        let id: i64 = r.try_get("id")?;
                        let occ = sqlx::query("SELECT o.id, o.code, o.edition, o.name, o.name_en, o.levels, o.certificate_kinds FROM occupations o JOIN shortage_entries e ON e.occupation_id = o.id WHERE e.catalogue_id = $1 ORDER BY o.code")
                            .bind(id)
                            .fetch_all(self.reader())
                            .await?;
                        out.push(ShortageCatalogue {
                            id,
                            name: r.try_get("name")?,
                            valid_from: r.try_get("valid_from")?,
                            valid_to: r.try_get("valid_to")?,
                            occupations: occ.iter().map(occupation_from_row).collect::<Result<_>>()?,
                        });
                    }
                    Ok(out)
                }

                async fn put_standard(&self, occupation_id: i64, s: &Standard, audit: $crate::domain::audit::AuditEvent) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query(
                        "INSERT INTO standards (occupation_id, level, mode, content, updated_at_ms) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (occupation_id, level, mode) DO UPDATE SET content = excluded.content, updated_at_ms = excluded.updated_at_ms",
                    )
                    .bind(occupation_id)
                    .bind(i64::from(s.level))
                    .bind(s.mode.code())
                    .bind(serde_json::to_string(s).unwrap_or_default())
                    .bind(audit.at_ms)
                    .execute(&mut *tx)
                    .await?;
                    <$store>::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn standards(&self, occupation_id: i64) -> Result<Vec<Standard>> {
                    let rows = sqlx::query("SELECT content FROM standards WHERE occupation_id = $1 ORDER BY level DESC, mode")
                        .bind(occupation_id)
                        .fetch_all(self.reader())
                        .await?;
                    rows.iter()
                        .map(|r| {
                            let c: String = r.try_get("content")?;
                            serde_json::from_str(&c).map_err(|_| bad("content"))
                        })
                        .collect()
                }

                async fn ensure_bank(&self, occupation_id: i64, org_id: i64, name: &str, now_ms: i64) -> Result<i64> {
                    sqlx::query("INSERT INTO banks (occupation_id, org_id, name, created_at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, name) DO NOTHING")
                        .bind(occupation_id)
                        .bind(org_id)
                        .bind(name)
                        .bind(now_ms)
                        .execute(self.writer())
                        .await?;
                    let id: i64 = sqlx::query("SELECT id FROM banks WHERE org_id = $1 AND name = $2")
                        .bind(org_id)
                        .bind(name)
                        .fetch_one(self.writer())
                        .await?
                        .try_get("id")?;
                    Ok(id)
                }

                async fn banks(&self) -> Result<Vec<BankInfo>> {
                    let sql = format!("{BANK_SELECT} ORDER BY o.code, b.id");
                    let rows = sqlx::query(&sql).fetch_all(self.reader()).await?;
                    rows.iter().map(bank_from_row).collect()
                }

                async fn bank(&self, id: i64) -> Result<BankInfo> {
                    let sql = format!("{BANK_SELECT} WHERE b.id = $1");
                    let row = sqlx::query(&sql).bind(id).fetch_one(self.reader()).await.map_err(not_found)?;
                    bank_from_row(&row)
                }

                async fn share_bank(&self, bank_id: i64, body_id: i64, audit: $crate::domain::audit::AuditEvent) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query("INSERT INTO bank_shares (bank_id, body_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(bank_id)
                        .bind(body_id)
                        .execute(&mut *tx)
                        .await?;
                    <$store>::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn bank_shared_with(&self, bank_id: i64) -> Result<Vec<i64>> {
                    let rows = sqlx::query("SELECT body_id FROM bank_shares WHERE bank_id = $1 ORDER BY body_id").bind(bank_id).fetch_all(self.reader()).await?;
                    rows.iter().map(|r| Ok(r.try_get("body_id")?)).collect()
                }

                async fn bank_dup_keys(&self, bank_id: i64) -> Result<Vec<(String, String)>> {
                    let rows = sqlx::query("SELECT dup_key, external_id FROM items WHERE bank_id = $1").bind(bank_id).fetch_all(self.reader()).await?;
                    rows.iter().map(|r| Ok((r.try_get("dup_key")?, r.try_get("external_id")?))).collect()
                }

                async fn import_items(&self, bank_id: i64, items: Vec<NewItem>, actor: Option<i64>, audit: $crate::domain::audit::AuditEvent) -> Result<ImportOutcome> {
                    let now = audit.at_ms;
                    let mut tx = self.begin_write().await?;
                    let existing_rows = sqlx::query(
                        "SELECT i.id, i.external_id, i.latest_version, i.point_code, i.status, i.level, i.mode, v.content FROM items i \
                         JOIN item_versions v ON v.item_id = i.id AND v.version = i.latest_version WHERE i.bank_id = $1",
                    )
                    .bind(bank_id)
                    .fetch_all(&mut *tx)
                    .await?;
                    let mut existing = std::collections::HashMap::new();
                    for r in &existing_rows {
                        let ext: String = r.try_get("external_id")?;
                        let id: i64 = r.try_get("id")?;
                        let v: i64 = r.try_get("latest_version")?;
                        let c: String = r.try_get("content")?;
                        let point: String = r.try_get("point_code")?;
                        let status: String = r.try_get("status")?;
                        let level: i64 = r.try_get("level")?;
                        let mode: String = r.try_get("mode")?;
                        existing.insert(ext, (id, v, c, point, status, level, mode));
                    }
                    let mut out = ImportOutcome::default();
                    let mut fresh = Vec::new();
                    for it in items {
                        let json = content_json(&it.content);
                        match existing.get(&it.external_id) {
                            Some((_, _, c, point, _, _, _)) if *c == json && *point == it.point => out.unchanged += 1,
                            Some((_, _, _, _, status, _, _)) if status == "retired" => {
                                return Err(StoreError::Invalid { field: "external_id", code: "item.retired" });
                            }
                            Some((_, _, _, _, _, level, mode)) if *level != i64::from(it.level) || mode != it.mode.code() => {
                                return Err(StoreError::Invalid { field: "external_id", code: "item.other_standard" });
                            }
                            Some((id, v, _, _, _, _, _)) => {
                                let next = v + 1;
                                sqlx::query("INSERT INTO item_versions (item_id, version, content, created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5)")
                                    .bind(id)
                                    .bind(next)
                                    .bind(&json)
                                    .bind(actor)
                                    .bind(now)
                                    .execute(&mut *tx)
                                    .await?;
                                let active = if it.status == ItemStatus::Active { Some(next) } else { None };
                                sqlx::query(
                                    "UPDATE items SET latest_version = $1, status = $2, active_version = COALESCE($3, active_version), \
                                     point_code = $4, item_type = $5, difficulty = $6, dup_key = $7, stem_text = $8, updated_at_ms = $9 WHERE id = $10",
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
                                .bind(id)
                                .execute(&mut *tx)
                                .await?;
                                review_row(&mut tx, *id, next, actor, "import", None, now).await?;
                                out.updated += 1;
                            }
                            None => fresh.push((it, json)),
                        }
                    }
                    // New items in multi-row batches: one round trip per few hundred items.
                    for chunk in fresh.chunks(400) {
                        let mut sql = String::from(
                            "INSERT INTO items (bank_id, external_id, level, mode, point_code, item_type, difficulty, status, \
                             latest_version, active_version, dup_key, stem_text, created_at_ms, updated_at_ms) VALUES ",
                        );
                        for i in 0..chunk.len() {
                            let b = i * 12;
                            if i > 0 {
                                sql.push(',');
                            }
                            sql.push_str(&format!(
                                "($1, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 1, ${}, ${}, ${}, ${}, ${})",
                                b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 11, b + 12, b + 13
                            ));
                        }
                        sql.push_str(" RETURNING id, external_id");
                        let mut q = sqlx::query(&sql).bind(bank_id);
                        for (it, _) in chunk {
                            let active = if it.status == ItemStatus::Active { Some(1i64) } else { None };
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
                        let rows = q.fetch_all(&mut *tx).await.map_err($crate::store::sql::map_unique)?;
                        let ids: std::collections::HashMap<String, i64> = rows
                            .iter()
                            .map(|r| Ok((r.try_get::<String, _>("external_id")?, r.try_get::<i64, _>("id")?)))
                            .collect::<Result<_>>()?;
                        let mut vsql = String::from("INSERT INTO item_versions (item_id, version, content, created_by, created_at_ms) VALUES ");
                        for i in 0..chunk.len() {
                            let b = i * 2;
                            if i > 0 {
                                vsql.push(',');
                            }
                            vsql.push_str(&format!("(${}, 1, ${}, $1, $2)", b + 3, b + 4));
                        }
                        let mut vq = sqlx::query(&vsql).bind(actor).bind(now);
                        for (it, json) in chunk {
                            vq = vq.bind(ids.get(&it.external_id).copied().unwrap_or_default()).bind(json);
                        }
                        vq.execute(&mut *tx).await?;
                        out.created += chunk.len() as u64;
                    }
                    let mut audit = audit;
                    audit.details = serde_json::json!({"bank_id": bank_id, "created": out.created, "updated": out.updated, "unchanged": out.unchanged}).to_string();
                    <$store>::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(out)
                }

                async fn items(&self, bank_id: i64, f: ItemFilter) -> Result<Vec<ItemSummary>> {
                    let sql = format!(
                        "SELECT {ITEM_COLUMNS} FROM items WHERE bank_id = $1 AND ($2 IS NULL OR level = $2) AND ($3 IS NULL OR mode = $3) \
                         AND ($4 IS NULL OR point_code = $4) AND ($5 IS NULL OR status = $5) AND ($6 IS NULL OR item_type = $6) \
                         AND ($7 IS NULL OR stem_text LIKE $7) ORDER BY level DESC, mode, point_code, id LIMIT $8 OFFSET $9"
                    );
                    let rows = sqlx::query(&sql)
                        .bind(bank_id)
                        .bind(f.level.map(i64::from))
                        .bind(f.mode.map(|m| m.code()))
                        .bind(f.point)
                        .bind(f.status.map(|s| s.code()))
                        .bind(f.item_type.map(|t| t.code()))
                        .bind(f.q.map(|q| format!("%{}%", q.replace('%', "").replace('_', ""))))
                        .bind(if f.limit > 0 { f.limit } else { 100 })
                        .bind(f.offset)
                        .fetch_all(self.reader())
                        .await?;
                    rows.iter().map(item_from_row).collect()
                }

                async fn item(&self, item_id: i64) -> Result<ItemSummary> {
                    let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE id = $1");
                    let row = sqlx::query(&sql).bind(item_id).fetch_one(self.reader()).await.map_err(not_found)?;
                    item_from_row(&row)
                }

                async fn item_id_by_external(&self, bank_id: i64, external_id: &str) -> Result<Option<i64>> {
                    let row = sqlx::query("SELECT id FROM items WHERE bank_id = $1 AND external_id = $2")
                        .bind(bank_id)
                        .bind(external_id)
                        .fetch_optional(self.reader())
                        .await?;
                    Ok(match row {
                        Some(r) => Some(r.try_get("id")?),
                        None => None,
                    })
                }

                async fn item_versions(&self, item_id: i64) -> Result<Vec<ItemVersion>> {
                    let rows = sqlx::query(
                        "SELECT v.version, v.content, v.created_by, u.login, v.created_at_ms FROM item_versions v \
                         LEFT JOIN users u ON u.id = v.created_by WHERE v.item_id = $1 ORDER BY v.version",
                    )
                    .bind(item_id)
                    .fetch_all(self.reader())
                    .await?;
                    rows.iter()
                        .map(|r| {
                            let c: String = r.try_get("content")?;
                            Ok(ItemVersion {
                                version: r.try_get("version")?,
                                content: parse_content(&c)?,
                                created_by: r.try_get("created_by")?,
                                created_by_login: r.try_get("login")?,
                                created_at_ms: r.try_get("created_at_ms")?,
                            })
                        })
                        .collect()
                }

                async fn item_reviews(&self, item_id: i64) -> Result<Vec<ItemReview>> {
                    let rows = sqlx::query(
                        "SELECT r.version, u.login, r.action, r.comment, r.at_ms FROM item_reviews r LEFT JOIN users u ON u.id = r.actor_id \
                         WHERE r.item_id = $1 ORDER BY r.id",
                    )
                    .bind(item_id)
                    .fetch_all(self.reader())
                    .await?;
                    rows.iter()
                        .map(|r| {
                            Ok(ItemReview {
                                version: r.try_get("version")?,
                                actor: r.try_get("login")?,
                                action: r.try_get("action")?,
                                comment: r.try_get("comment")?,
                                at_ms: r.try_get("at_ms")?,
                            })
                        })
                        .collect()
                }

                async fn edit_item(&self, item_id: i64, content: ItemContent, point: Option<String>, actor: i64, audit: $crate::domain::audit::AuditEvent) -> Result<i64> {
                    let mut tx = self.begin_write().await?;
                    let cur = item_for_update(&mut tx, item_id).await?;
                    if cur.status == ItemStatus::Retired {
                        return Err(StoreError::Invalid { field: "status", code: "item.retired" });
                    }
                    let next = cur.latest_version + 1;
                    sqlx::query("INSERT INTO item_versions (item_id, version, content, created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5)")
                        .bind(item_id)
                        .bind(next)
                        .bind(content_json(&content))
                        .bind(actor)
                        .bind(audit.at_ms)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "UPDATE items SET latest_version = $1, status = 'draft', point_code = $2, item_type = $3, difficulty = $4, \
                         dup_key = $5, stem_text = $6, updated_at_ms = $7 WHERE id = $8",
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
                    review_row(&mut tx, item_id, next, Some(actor), "edit", None, audit.at_ms).await?;
                    <$store>::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(next)
                }

                async fn transition_item(&self, item_id: i64, by: Transition, actor: i64, comment: Option<String>, audit: $crate::domain::audit::AuditEvent) -> Result<ItemStatus> {
                    let mut tx = self.begin_write().await?;
                    let cur = item_for_update(&mut tx, item_id).await?;
                    let author: Option<i64> = sqlx::query("SELECT created_by FROM item_versions WHERE item_id = $1 AND version = $2")
                        .bind(item_id)
                        .bind(cur.latest_version)
                        .fetch_one(&mut *tx)
                        .await?
                        .try_get("created_by")?;
                    let next = transition(cur.status, by, author == Some(actor)).map_err(|e| match e {
                        TransitionError::OwnItem => StoreError::Invalid { field: "status", code: "item.own_review" },
                        TransitionError::NotAllowed { .. } => StoreError::Invalid { field: "status", code: "item.transition" },
                    })?;
                    let active = (next == ItemStatus::Active).then_some(cur.latest_version);
                    sqlx::query("UPDATE items SET status = $1, active_version = COALESCE($2, active_version), updated_at_ms = $3 WHERE id = $4")
                        .bind(next.code())
                        .bind(active)
                        .bind(audit.at_ms)
                        .bind(item_id)
                        .execute(&mut *tx)
                        .await?;
                    let action = serde_json::to_value(by).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
                    review_row(&mut tx, item_id, cur.latest_version, Some(actor), &action, comment, audit.at_ms).await?;
                    <$store>::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(next)
                }

                async fn point_counts(&self, bank_id: i64, level: u8, mode: Mode) -> Result<Vec<(String, i64)>> {
                    let rows = sqlx::query(
                        "SELECT point_code, COUNT(*) AS n FROM items WHERE bank_id = $1 AND level = $2 AND mode = $3 \
                         AND active_version IS NOT NULL AND status <> 'retired' GROUP BY point_code",
                    )
                    .bind(bank_id)
                    .bind(i64::from(level))
                    .bind(mode.code())
                    .fetch_all(self.reader())
                    .await?;
                    rows.iter().map(|r| Ok((r.try_get("point_code")?, r.try_get("n")?))).collect()
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
                            let mode: String = r.try_get("mode")?;
                            let level: i64 = r.try_get("level")?;
                            let c: String = r.try_get("content")?;
                            Ok(ExportItem {
                                external_id: r.try_get("external_id")?,
                                level: level as u8,
                                mode: Mode::from_code(&mode).ok_or_else(|| bad("mode"))?,
                                point: r.try_get("point_code")?,
                                content: parse_content(&c)?,
                            })
                        })
                        .collect()
                }
            }
        }
    };
}

pub(crate) use impl_bank_store;
