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
