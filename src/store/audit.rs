//! The append-only audit log: entries chained by hash, with the head kept apart so that
//! removing the newest entries is detected. Writes append through the transaction of
//! the action they record; [`AuditStore::append_audit`] is for actions that change
//! nothing else (a key read, a failed login).

use async_trait::async_trait;

use super::Result;
use crate::domain::audit::{AuditEntry, AuditEvent};

/// What the audit page looks for; every part is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Entries older than this sequence number (the next page).
    pub before_seq: Option<i64>,
    /// An action (`item.read_key`) or a group of them (`item`).
    pub action: Option<String>,
    pub actor: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub limit: i64,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, e: AuditEvent) -> Result<AuditEntry>;
    /// Entries with `seq > after_seq` in order, optionally only those of one body.
    async fn audit_page(
        &self,
        after_seq: i64,
        limit: i64,
        org_id: Option<i64>,
    ) -> Result<Vec<AuditEntry>>;
    /// Newest entries first that match `q`, for the audit page.
    async fn audit_search(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>>;
    /// The separately kept end of the chain: `(seq, hash)`.
    async fn audit_head(&self) -> Result<(i64, String)>;
    /// Moves a chain written before hashes were keyed to keyed hashes: checks it under
    /// plain SHA-256 first (refused, `audit.chain_broken`, naming the break, if it does
    /// not hold), recomputes every hash keyed and records an `audit.chain_keyed` entry.
    /// Returns how many entries were re-keyed, or `None` when the chain already is.
    async fn key_audit_chain(&self) -> Result<Option<i64>>;
}
