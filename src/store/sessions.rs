//! Signed-in sessions, API tokens, and the login-failure counts that throttling reads.

use async_trait::async_trait;

use super::Result;
use crate::domain::audit::AuditEvent;

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

    // Login throttling.
    /// Failed logins since `since_ms` for this login name and for this address.
    async fn login_failures(&self, login: &str, address: &str, since_ms: i64)
        -> Result<(i64, i64)>;
    async fn record_login_failure(
        &self,
        login: &str,
        address: &str,
        audit: AuditEvent,
    ) -> Result<()>;
    /// Counts an attempt before the password is checked, so parallel attempts cannot all
    /// slip under the limit; a successful login clears it with the others of that login.
    async fn note_login_attempt(&self, login: &str, address: &str, at_ms: i64) -> Result<()>;
}
