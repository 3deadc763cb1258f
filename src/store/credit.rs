//! Credit ledgers (DESIGN §3.8): events for bodies and assessors, their decisions and
//! appeals. The store records; `domain::credit` derives score, grade and standing.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::Result;
use crate::domain::audit::AuditEvent;
use crate::domain::credit::{Entry, EventStatus, SubjectKind};

/// What an event cites as evidence: a finding, an irregularity, an audit entry, a plan
/// or a certificate, by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EvidenceRef {
    pub kind: String,
    pub id: i64,
}

#[derive(Debug, Clone)]
pub struct NewCreditEvent {
    pub subject_kind: SubjectKind,
    pub subject_id: i64,
    pub body_id: Option<i64>,
    pub year: i32,
    pub rule_code: String,
    pub points: i32,
    pub hard_exit: bool,
    pub note: String,
    pub evidence: Vec<EvidenceRef>,
    /// `Proposed` (an inspector) or `Confirmed` (a regulator officer recording directly).
    pub status: EventStatus,
    pub plan_id: Option<i64>,
    pub by: i64,
}

/// Certificates a confirmed hard-exit event revokes in the same transaction (those
/// found improperly issued), with the reason shown in public verification.
#[derive(Debug, Clone, Default)]
pub struct Revocation {
    pub certificate_ids: Vec<i64>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreditEvent {
    pub id: i64,
    pub subject_kind: SubjectKind,
    pub subject_id: i64,
    /// The body's or the assessor's name.
    pub subject_name: String,
    pub body_id: Option<i64>,
    pub year: i32,
    pub rule_code: String,
    pub points: i32,
    pub hard_exit: bool,
    pub note: String,
    pub evidence: Vec<EvidenceRef>,
    pub status: EventStatus,
    pub plan_id: Option<i64>,
    pub proposed_by_id: i64,
    pub proposed_by: String,
    pub proposed_at_ms: i64,
    pub decided_by_id: Option<i64>,
    pub decided_by: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub decision_note: Option<String>,
    /// The open appeal against it, if one was filed and not yet decided.
    pub open_appeal_id: Option<i64>,
}

impl CreditEvent {
    pub fn entry(&self) -> Entry {
        Entry {
            year: self.year,
            points: self.points,
            hard_exit: self.hard_exit,
            status: self.status,
            at_ms: self.decided_at_ms.unwrap_or(self.proposed_at_ms),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Appeal {
    pub id: i64,
    pub event_id: i64,
    pub filed_by: String,
    pub reason: String,
    /// `open`, `upheld` or `dismissed`.
    pub status: String,
    pub filed_at_ms: i64,
    pub decided_by: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub decision_note: Option<String>,
}

#[async_trait]
pub trait CreditStore: Send + Sync {
    /// Records an event; a confirmed one revokes `revoke` in the same transaction.
    async fn add_credit_event(
        &self,
        e: NewCreditEvent,
        revoke: Revocation,
        audit: AuditEvent,
    ) -> Result<i64>;
    /// Confirms or rejects a proposed event (a conflict if it is no longer proposed); a
    /// confirmation revokes `revoke` in the same transaction.
    async fn decide_credit_event(
        &self,
        id: i64,
        confirm: bool,
        by: i64,
        note: &str,
        revoke: Revocation,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn credit_event(&self, id: i64) -> Result<CreditEvent>;
    /// One subject's ledger, oldest first.
    async fn credit_events(&self, kind: SubjectKind, subject_id: i64) -> Result<Vec<CreditEvent>>;
    /// Events across subjects, newest first: of one body (its own and its assessors'),
    /// or all; optionally only those in `status`.
    async fn credit_events_where(
        &self,
        body_id: Option<i64>,
        status: Option<EventStatus>,
        limit: i64,
    ) -> Result<Vec<CreditEvent>>;
    /// Every counted-or-pending entry of every subject of a kind, for catalogues and
    /// sampling: `(subject_id, entry)`.
    async fn credit_entries(&self, kind: SubjectKind) -> Result<Vec<(i64, Entry)>>;
    /// Files an appeal against a confirmed event; one open appeal per event.
    async fn file_appeal(
        &self,
        event_id: i64,
        by: i64,
        reason: &str,
        audit: AuditEvent,
    ) -> Result<i64>;
    /// Upholds (the event becomes reversed, in the same transaction) or dismisses an
    /// open appeal; a conflict if it is no longer open.
    async fn decide_appeal(
        &self,
        id: i64,
        uphold: bool,
        by: i64,
        note: &str,
        audit: AuditEvent,
    ) -> Result<i64>;
    /// Events with an open appeal, oldest first (the regulator's desk).
    async fn open_appeal_events(&self) -> Result<Vec<CreditEvent>>;
    async fn appeal(&self, id: i64) -> Result<Appeal>;
    async fn appeals(&self, event_id: i64) -> Result<Vec<Appeal>>;
}
