//! Actions shared by the pages and the API: each authorises through
//! [`crate::domain::policy::decide`], validates with field errors, and calls one store
//! method with the audit event that records it.

pub mod auth;
pub mod banks;
pub mod exams;
pub mod orgs;
pub mod users;

use crate::domain::audit::AuditEvent;
use crate::domain::policy::{decide, Action, Principal};
use crate::store::Org;

use super::error::AppError;

/// An audit event by `p`; `object_id` may be left empty for the store to fill in.
pub fn audit_by(
    p: &Principal,
    action: &str,
    object_type: &str,
    object_id: impl ToString,
    org_id: Option<i64>,
    details: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        at_ms: crate::now_ms(),
        actor_user_id: Some(p.user_id),
        actor: p.login.clone(),
        action: action.into(),
        object_type: object_type.into(),
        object_id: object_id.to_string(),
        org_id,
        details: details.to_string(),
    }
}

/// Authorises `action` on `org`. Objects the caller may not even see answer 404, so
/// another organisation's records do not reveal that they exist.
pub fn authorize(p: &Principal, action: Action, org: &Org) -> Result<(), AppError> {
    if decide(p, Action::ViewOrg, &org.as_ref()).is_err()
        && decide(p, action, &org.as_ref()).is_err()
    {
        return Err(AppError::NotFound);
    }
    decide(p, action, &org.as_ref()).map_err(|_| AppError::Forbidden)
}

/// Empty form fields mean "not given".
pub fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}
