//! The database as a whole: migrations, health, durability settings, and the very
//! first start (the regulator and its admin).

use async_trait::async_trait;

use super::common::write_audited;
use super::{dialect, DbStore};
use crate::domain::audit::AuditEvent;
use crate::domain::org::OrgKind;
use crate::domain::role::Role;
use crate::store::{Backend, Bootstrap, NewOrg, Result, SettingMismatch, Store};

#[async_trait]
impl Store for DbStore {
    fn backend(&self) -> Backend {
        dialect::BACKEND
    }

    async fn migrate(&self) -> Result<()> {
        self.migrate_impl().await
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(self.reader()).await?;
        Ok(())
    }

    async fn durability_mismatches(&self) -> Result<Vec<SettingMismatch>> {
        self.durability_impl().await
    }

    async fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut out = self.engine_integrity().await?;
        // Each query names the rows that break one invariant of the exam life cycle.
        const IMPOSSIBLE: [(&str, &str); 5] = [
            (
                "answer on an attempt that never started",
                "SELECT a.id FROM attempts a WHERE a.status IN ('ready', 'admitted') AND \
                 EXISTS (SELECT 1 FROM answers x WHERE x.attempt_id = a.id)",
            ),
            (
                "attempt under way without a start or a deadline",
                "SELECT id FROM attempts WHERE status IN ('in_progress', 'paused') AND \
                 (started_at_ms IS NULL OR deadline_ms IS NULL)",
            ),
            (
                "finished attempt without its time",
                "SELECT id FROM attempts WHERE status IN ('submitted', 'terminated') AND \
                 submitted_at_ms IS NULL",
            ),
            (
                "score on an unfinished attempt",
                "SELECT s.attempt_id FROM attempt_scores s JOIN attempts a ON a.id = \
                 s.attempt_id WHERE a.status NOT IN ('submitted', 'terminated')",
            ),
            (
                "answer beyond the paper or with a sequence below 1",
                "SELECT x.attempt_id FROM answers x JOIN attempts a ON a.id = x.attempt_id \
                 WHERE x.position < 0 OR x.position >= a.item_count OR x.seq < 1",
            ),
        ];
        for (what, sql) in IMPOSSIBLE {
            let ids: Vec<i64> = sqlx::query_scalar(&format!("{sql} LIMIT 20"))
                .fetch_all(self.reader())
                .await?;
            if !ids.is_empty() {
                out.push(format!("{what}: attempts {ids:?}"));
            }
        }
        Ok(out)
    }

    async fn close(&self) {
        self.close_impl().await
    }

    async fn bootstrap(&self, b: Bootstrap) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM organisations WHERE kind = 'regulator'")
                .fetch_one(&mut *tx)
                .await?;
        if n > 0 {
            return Ok(None);
        }
        let regulator = NewOrg {
            kind: OrgKind::Regulator,
            parent_id: None,
            name: b.regulator_name.clone(),
            name_en: None,
            body_type: None,
            body_code: None,
            province_code: None,
            site_code: None,
            address: None,
            capacity: None,
        };
        let org = super::orgs::insert(&mut tx, &regulator, b.now_ms).await?;
        let user_id: i64 = sqlx::query_scalar(
            "INSERT INTO users (login, display_name, password_hash, org_id, \
             must_change_password, password_chosen, created_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&b.admin_login)
        .bind(&b.admin_display_name)
        .bind(&b.admin_password_hash)
        .bind(org.id)
        .bind(b.must_change_password)
        // The operator's own (SKILLCERT_ADMIN_PASSWORD) or a generated one-time one.
        .bind(!b.must_change_password)
        .bind(b.now_ms)
        .fetch_one(&mut *tx)
        .await?;
        super::accounts::grant(
            &mut tx,
            user_id,
            Role::RegulatorAdmin,
            org.id,
            None,
            b.now_ms,
        )
        .await?;
        let event = AuditEvent {
            at_ms: b.now_ms,
            actor_user_id: None,
            actor: "system".into(),
            action: "instance.bootstrap".into(),
            object_type: "user".into(),
            object_id: user_id.to_string(),
            org_id: Some(org.id),
            details: serde_json::json!({"login": b.admin_login, "role": "regulator_admin"})
                .to_string(),
        };
        write_audited(tx, &self.chain_key, event).await?;
        Ok(Some(user_id))
    }
}
