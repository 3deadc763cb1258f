//! People and accounts: real-name records (the document encrypted, with a keyed look-up
//! hash), accounts with their roles and passwords. Sessions, API tokens and login
//! throttling are in [`super::sessions`].

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::domain::audit::AuditEvent;
use crate::domain::identity::DocumentType;
use crate::domain::policy::{Grant, Principal};
use crate::domain::role::Role;

/// A real-name record as stored: the document is encrypted, with a keyed look-up hash.
#[derive(Clone)]
pub struct NewPerson {
    pub name: String,
    pub document_type: DocumentType,
    pub document_cipher: Vec<u8>,
    pub document_lookup: String,
    pub document_masked: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub document_type: DocumentType,
    pub document_masked: String,
    pub sex: Option<String>,
    pub birth_date: Option<String>,
}

#[derive(Clone)]
pub struct NewUser {
    pub login: String,
    pub display_name: String,
    pub password_hash: String,
    pub org_id: i64,
    pub person: Option<NewPerson>,
    pub roles: Vec<Role>,
    pub granted_by: Option<i64>,
    pub must_change_password: bool,
    /// A real-name record already on file is taken for the account only when the person
    /// is on a roster of this body (the account's own); anywhere else the document is a
    /// conflict as before, so no body learns anything about another's candidates.
    pub link_body: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub org_id: i64,
    pub person_id: Option<i64>,
    pub active: bool,
    pub must_change_password: bool,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Users whose home organisation belongs to this body.
    pub body_id: Option<i64>,
    /// Users who hold this role (anywhere, or within `body_id` when given).
    pub role: Option<Role>,
}

/// Everything needed on the very first start.
pub struct Bootstrap {
    pub regulator_name: String,
    pub admin_login: String,
    pub admin_display_name: String,
    pub admin_password_hash: String,
    pub must_change_password: bool,
    pub now_ms: i64,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    // People and accounts.
    /// Creates an account with its roles at `org_id` and, for real-name accounts, the
    /// person record; refuses a second record for the same document.
    async fn create_user(&self, new: NewUser, audit: AuditEvent) -> Result<User>;
    async fn user(&self, id: i64) -> Result<User>;
    async fn users(&self, filter: UserFilter) -> Result<Vec<User>>;
    /// The account and password hash for a login name (active accounts only).
    async fn credentials(&self, login: &str) -> Result<Option<(User, String)>>;
    /// The principal for an active account: home organisation and every grant.
    async fn principal(&self, user_id: i64) -> Result<Option<Principal>>;
    async fn grants(&self, user_id: i64) -> Result<Vec<Grant>>;
    async fn grant_role(
        &self,
        user_id: i64,
        role: Role,
        org_id: i64,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn revoke_role(
        &self,
        user_id: i64,
        role: Role,
        org_id: i64,
        audit: AuditEvent,
    ) -> Result<()>;
    /// Sets a new password and ends every session of the account except `keep`.
    async fn set_password(
        &self,
        user_id: i64,
        hash: String,
        keep: Option<String>,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn person(&self, id: i64) -> Result<Person>;
    /// The encrypted document of a person; the read itself is audited.
    async fn reveal_document(
        &self,
        person_id: i64,
        audit: AuditEvent,
    ) -> Result<(DocumentType, Vec<u8>)>;
}
