//! Organisations: the regulator, evaluation bodies with their status and filed scope
//! (备案), test sites (考点) and rooms (考场).

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::domain::audit::AuditEvent;
use crate::domain::org::{BodyType, OrgKind, OrgStatus, ScopeEntry};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Org {
    pub id: i64,
    pub kind: OrgKind,
    pub parent_id: Option<i64>,
    pub body_id: Option<i64>,
    pub name: String,
    pub name_en: Option<String>,
    pub body_type: Option<BodyType>,
    pub body_code: Option<String>,
    pub province_code: Option<String>,
    pub site_code: Option<String>,
    pub address: Option<String>,
    /// A room's seats: a session in it enrols at most this many candidates.
    pub capacity: Option<i64>,
    pub status: OrgStatus,
    pub created_at_ms: i64,
}

impl Org {
    pub fn as_ref(&self) -> crate::domain::policy::OrgRef {
        crate::domain::policy::OrgRef {
            id: self.id,
            kind: self.kind,
            body_id: self.body_id,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub kind: OrgKind,
    pub parent_id: Option<i64>,
    pub name: String,
    pub name_en: Option<String>,
    pub body_type: Option<BodyType>,
    pub body_code: Option<String>,
    pub province_code: Option<String>,
    pub site_code: Option<String>,
    pub address: Option<String>,
    /// Rooms only.
    pub capacity: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct OrgFilter {
    pub parent_id: Option<i64>,
    pub body_id: Option<i64>,
    pub kind: Option<OrgKind>,
}

#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Creates an organisation under `parent_id`; the parent must be of the kind the
    /// hierarchy requires. The audit event's empty `object_id` is filled with the new id.
    async fn create_org(&self, new: NewOrg, audit: AuditEvent) -> Result<Org>;
    async fn org(&self, id: i64) -> Result<Org>;
    async fn orgs(&self, filter: OrgFilter) -> Result<Vec<Org>>;
    async fn set_org_status(&self, id: i64, status: OrgStatus, audit: AuditEvent) -> Result<Org>;
    /// Replaces a body's filed scope.
    async fn set_body_scope(
        &self,
        body_id: i64,
        scope: Vec<ScopeEntry>,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn body_scope(&self, body_id: i64) -> Result<Vec<ScopeEntry>>;
}
