//! Signed-in sessions, API tokens, and the login-failure counts that throttling reads.

use async_trait::async_trait;

use super::Result;
use crate::domain::audit::AuditEvent;
use crate::domain::throttle::{Attempts, Scope};

/// A signed-in session as the web layer needs it.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub now_ms: i64,
    pub expires_at_ms: i64,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Starts a session (ending `replaces`, the pre-login session, if any), clears the
    /// login's failure count and audits the login.
    async fn login(
        &self,
        s: NewSession,
        login: &str,
        replaces: Option<String>,
        audit: AuditEvent,
    ) -> Result<()>;
    /// A live session; ends it if it has been idle longer than `idle_ms` or is past expiry.
    async fn session(
        &self,
        token_hash: &str,
        now_ms: i64,
        idle_ms: i64,
    ) -> Result<Option<SessionRecord>>;
    async fn logout(&self, token_hash: &str, audit: AuditEvent) -> Result<()>;
    async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now_ms: i64,
        expires_at_ms: i64,
        audit: AuditEvent,
    ) -> Result<i64>;
    async fn api_token_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<i64>>;

    // Login throttling (`domain::throttle`).
    /// Records an attempt before its credentials are checked.
    async fn note_login_attempt(
        &self,
        scope: Scope,
        key: &str,
        address: &str,
        at_ms: i64,
    ) -> Result<()>;
    /// Attempts since `since_ms` in `scope` for this key and for this address.
    async fn login_attempts(
        &self,
        scope: Scope,
        key: &str,
        address: &str,
        since_ms: i64,
    ) -> Result<Attempts>;
    /// Forgets a key's attempts (a proctor unlocks an admission number); audited.
    async fn clear_login_attempts(&self, scope: Scope, key: &str, audit: AuditEvent) -> Result<()>;
    /// The keys among `keys` with at least `at_least` attempts since `since_ms`.
    async fn keys_with_attempts(
        &self,
        scope: Scope,
        keys: &[String],
        since_ms: i64,
        at_least: i64,
    ) -> Result<Vec<String>>;
}
