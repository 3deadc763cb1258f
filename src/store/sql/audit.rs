//! The audit chain: appending inside the transaction of the action recorded, and
//! reading it back in order.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{to_json, write_audited, Row, Tx};
use super::{dialect, DbStore};
use crate::domain::audit::{
    entry_hash, AuditEntry, AuditEvent, ChainKey, ChainVerifier, CHAIN_KEYED, GENESIS,
};
use crate::store::{AuditQuery, AuditStore, Result, StoreError};

/// `audit_head.alg` of a keyed chain.
const KEYED: &str = "hmac-sha256";

const COLUMNS: &str = "seq, at_ms, actor_user_id, actor, action, object_type, object_id, \
     org_id, details, prev_hash, hash";

fn entry(r: &Row) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.try_get("seq")?,
        at_ms: r.try_get("at_ms")?,
        actor_user_id: r.try_get("actor_user_id")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        object_type: r.try_get("object_type")?,
        object_id: r.try_get("object_id")?,
        org_id: r.try_get("org_id")?,
        details: r.try_get("details")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// Appends one entry inside `tx`. The head row is read with a lock (PostgreSQL) or
/// under the single SQLite writer, so two transactions never chain onto the same
/// predecessor.
pub(super) async fn append(tx: &mut Tx, key: &ChainKey, event: AuditEvent) -> Result<AuditEntry> {
    let mut entries = append_many(tx, key, vec![event]).await?;
    Ok(entries.remove(0))
}

/// Appends several entries in order with one read and one update of the chain head
/// (the exam writer audits a whole batch of starts this way).
pub(super) async fn append_many(
    tx: &mut Tx,
    key: &ChainKey,
    events: Vec<AuditEvent>,
) -> Result<Vec<AuditEntry>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let (mut seq, mut hash): (i64, String) = sqlx::query_as(dialect::AUDIT_HEAD_LOCK)
        .fetch_one(&mut **tx)
        .await?;
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let e = AuditEntry::chain(key, seq, &hash, event);
        seq = e.seq;
        hash = e.hash.clone();
        out.push(e);
    }
    // One statement for the whole batch: the entries travel as one JSON array (see
    // `JSON_ROWS`), so a start burst's batch of hundreds of entries is one round trip.
    let sql = format!(
        "INSERT INTO audit_log (seq, at_ms, actor_user_id, actor, action, object_type, \
         object_id, org_id, details, prev_hash, hash) \
         SELECT CAST(value ->> 'seq' AS BIGINT), CAST(value ->> 'at_ms' AS BIGINT), \
         CAST(value ->> 'actor_user_id' AS BIGINT), value ->> 'actor', value ->> 'action', \
         value ->> 'object_type', value ->> 'object_id', CAST(value ->> 'org_id' AS BIGINT), \
         value ->> 'details', value ->> 'prev_hash', value ->> 'hash' FROM {}",
        dialect::JSON_ROWS
    );
    sqlx::query(&sql)
        .bind(to_json(&out)?)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    Ok(out)
}

#[async_trait]
impl AuditStore for DbStore {
    async fn append_audit(&self, e: AuditEvent) -> Result<AuditEntry> {
        let tx = self.begin_write().await?;
        write_audited(tx, &self.chain_key, e).await
    }

    async fn audit_page(
        &self,
        after_seq: i64,
        limit: i64,
        org_id: Option<i64>,
    ) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 AND ($2 IS NULL OR org_id = $2) \
             ORDER BY seq LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(after_seq)
            .bind(org_id)
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(entry).collect()
    }

    async fn audit_search(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log \
             WHERE ($1 IS NULL OR seq < $1) \
               AND ($2 IS NULL OR action = $2 OR action LIKE $3) \
               AND ($4 IS NULL OR actor = $4) \
               AND ($5 IS NULL OR object_type = $5) \
               AND ($6 IS NULL OR object_id = $6) \
             ORDER BY seq DESC LIMIT $7"
        );
        let rows = sqlx::query(&sql)
            .bind(q.before_seq)
            .bind(q.action.as_deref())
            .bind(q.action.as_ref().map(|a| format!("{a}.%")))
            .bind(q.actor.as_deref())
            .bind(q.object_type.as_deref())
            .bind(q.object_id.as_deref())
            .bind(q.limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(entry).collect()
    }

    async fn key_audit_chain(&self) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "SELECT alg FROM audit_head WHERE id = 1{}",
            dialect::ROW_LOCK
        );
        let alg: String = sqlx::query_scalar(&sql).fetch_one(&mut *tx).await?;
        if alg == KEYED {
            return Ok(None);
        }
        let (head_seq, head_hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq");
        let rows = sqlx::query(&sql).fetch_all(&mut *tx).await?;
        let entries = rows.iter().map(entry).collect::<Result<Vec<_>>>()?;
        let mut plain = ChainVerifier::plain();
        let checked = entries
            .iter()
            .try_for_each(|e| plain.feed(e))
            .and_then(|()| plain.finish(head_seq, &head_hash));
        if let Err(b) = checked {
            return Err(StoreError::Refused {
                field: "audit",
                code: "audit.chain_broken",
                detail: b.to_string(),
            });
        }
        let mut prev = GENESIS.to_string();
        for e in &entries {
            let hash = entry_hash(&self.chain_key, e.seq, &prev, &e.event());
            sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
                .bind(&prev)
                .bind(&hash)
                .bind(e.seq)
                .execute(&mut *tx)
                .await?;
            prev = hash;
        }
        sqlx::query("UPDATE audit_head SET hash = $1, alg = $2 WHERE id = 1")
            .bind(&prev)
            .bind(KEYED)
            .execute(&mut *tx)
            .await?;
        let n = entries.len() as i64;
        if n > 0 {
            let event = AuditEvent {
                at_ms: crate::now_ms(),
                actor_user_id: None,
                actor: "system".into(),
                action: CHAIN_KEYED.into(),
                object_type: "audit_log".into(),
                object_id: String::new(),
                org_id: None,
                details: serde_json::json!({ "entries": n }).to_string(),
            };
            append(&mut tx, &self.chain_key, event).await?;
        }
        tx.commit().await?;
        Ok(Some(n))
    }

    async fn audit_head(&self) -> Result<(i64, String)> {
        Ok(
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(self.reader())
                .await?,
        )
    }
}
