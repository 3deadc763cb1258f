//! Sessions, API tokens and login-failure counts.

use async_trait::async_trait;

use super::common::{to_json, write_audited};
use super::{dialect, DbStore};
use crate::domain::audit::AuditEvent;
use crate::domain::throttle::{Attempts, Scope};
use crate::store::{NewSession, Result, SessionRecord, SessionStore};

#[async_trait]
impl SessionStore for DbStore {
    async fn login(
        &self,
        s: NewSession,
        login: &str,
        replaces: Option<String>,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if let Some(old) = replaces {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(old)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at_ms, last_seen_ms, \
             expires_at_ms) VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(&s.token_hash)
        .bind(s.user_id)
        .bind(&s.csrf_token)
        .bind(s.now_ms)
        .bind(s.expires_at_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM login_attempts WHERE scope = 'staff' AND login = $1")
            .bind(login)
            .execute(&mut *tx)
            .await?;
        // Attempts older than a day no longer count for anything.
        sqlx::query("DELETE FROM login_attempts WHERE at_ms < $1")
            .bind(s.now_ms - 86_400_000)
            .execute(&mut *tx)
            .await?;
        // Expired sessions of anyone are swept here, on a write we make anyway.
        sqlx::query("DELETE FROM sessions WHERE expires_at_ms < $1")
            .bind(s.now_ms)
            .execute(&mut *tx)
            .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        now_ms: i64,
        idle_ms: i64,
    ) -> Result<Option<SessionRecord>> {
        let row: Option<(i64, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT user_id, csrf_token, created_at_ms, last_seen_ms, expires_at_ms \
             FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.reader())
        .await?;
        let Some((user_id, csrf_token, created_at_ms, last_seen, expires_at_ms)) = row else {
            return Ok(None);
        };
        if now_ms > expires_at_ms || now_ms - last_seen > idle_ms {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(self.writer())
                .await?;
            return Ok(None);
        }
        // Touch at most once a minute: reads stay reads.
        if now_ms - last_seen > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen_ms = $1 WHERE token_hash = $2")
                .bind(now_ms)
                .bind(token_hash)
                .execute(self.writer())
                .await?;
        }
        Ok(Some(SessionRecord {
            user_id,
            csrf_token,
            created_at_ms,
            expires_at_ms,
        }))
    }

    async fn logout(&self, token_hash: &str, audit: AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now_ms: i64,
        expires_at_ms: i64,
        mut audit: AuditEvent,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at_ms, expires_at_ms) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(now_ms)
        .bind(expires_at_ms)
        .fetch_one(&mut *tx)
        .await?;
        if audit.object_id.is_empty() {
            audit.object_id = id.to_string();
        }
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(id)
    }

    async fn api_token_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND NOT revoked \
             AND expires_at_ms > $2",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(self.reader())
        .await?)
    }

    async fn note_login_attempt(
        &self,
        scope: Scope,
        key: &str,
        address: &str,
        at_ms: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_attempts (scope, login, address, at_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(scope.code())
        .bind(key)
        .bind(address)
        .bind(at_ms)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn login_attempts(
        &self,
        scope: Scope,
        key: &str,
        address: &str,
        since_ms: i64,
    ) -> Result<Attempts> {
        let (by_key, by_address) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM login_attempts WHERE scope = $1 AND login = $2 \
             AND at_ms >= $4), (SELECT COUNT(*) FROM login_attempts WHERE scope = $1 \
             AND address = $3 AND at_ms >= $4)",
        )
        .bind(scope.code())
        .bind(key)
        .bind(address)
        .bind(since_ms)
        .fetch_one(self.reader())
        .await?;
        Ok(Attempts { by_key, by_address })
    }

    async fn clear_login_attempts(&self, scope: Scope, key: &str, audit: AuditEvent) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM login_attempts WHERE scope = $1 AND login = $2")
            .bind(scope.code())
            .bind(key)
            .execute(&mut *tx)
            .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn keys_with_attempts(
        &self,
        scope: Scope,
        keys: &[String],
        since_ms: i64,
        at_least: i64,
    ) -> Result<Vec<String>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT login FROM login_attempts WHERE scope = $2 AND at_ms >= $3 AND login{} \
             GROUP BY login HAVING COUNT(*) >= $4 ORDER BY login",
            dialect::IN_JSON_TEXTS
        );
        Ok(sqlx::query_scalar(&sql)
            .bind(to_json(&keys)?)
            .bind(scope.code())
            .bind(since_ms)
            .bind(at_least)
            .fetch_all(self.reader())
            .await?)
    }
}
