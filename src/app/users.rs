//! Accounts and real-name records: creating accounts with a role at an organisation,
//! granting and revoking roles, the audited look at a full document number, and
//! password changes.

use serde::{Deserialize, Serialize};

use super::{audit_by, authorize, non_empty, App, Error, Result};
use crate::crypto::{hash_password_blocking, verify_password_blocking};
use crate::domain::account::{validate_login, validate_password};
use crate::domain::identity::{Document, DocumentError, DocumentType, IdNumberError};
use crate::domain::policy::{decide, Action, Grant, Principal};
use crate::domain::role::Role;
use crate::domain::validate::{FieldError, Fields};
use crate::store::{NewPerson, NewUser, Org, Person, User, UserFilter};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CreateUser {
    pub login: String,
    /// Defaults to the real name.
    pub display_name: Option<String>,
    pub password: String,
    /// The organisation the account belongs to and where the role is held.
    pub org_id: i64,
    /// One of the role codes, e.g. `body_admin`, `candidate`.
    pub role: String,
    /// Real name (required for candidates and whenever a document is given).
    pub name: Option<String>,
    /// `resident_id` (default), `residence_permit`, `foreign_permanent_resident`, `passport`.
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    /// Whether the password is a one-time one that the account must change at its first
    /// sign-in: yes unless `false` is sent (the pages' form has no such field). An admin
    /// who sets a password knows it; only scripts that provision accounts for their own
    /// use should say `false`.
    pub must_change_password: Option<bool>,
}

/// An account as the admin pages and API show it: never a password hash, never a full
/// document number.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    #[serde(flatten)]
    pub user: User,
    pub org_name: String,
    pub grants: Vec<GrantView>,
    pub person: Option<Person>,
    /// The caller may reveal the person's full document number (audited).
    pub can_reveal: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GrantView {
    pub role: Role,
    pub org_id: i64,
    pub org_name: String,
}

pub fn document_field_error(e: DocumentError) -> FieldError {
    let fe = FieldError::new("document_number", e.code());
    match e {
        DocumentError::IdNumber(IdNumberError::CheckChar { expected, .. }) => {
            fe.with_detail(expected.to_string())
        }
        DocumentError::IdNumber(IdNumberError::Length(n)) => fe.with_detail(n.to_string()),
        DocumentError::IdNumber(IdNumberError::BirthDate(d)) => fe.with_detail(d),
        _ => fe,
    }
}

/// The stored real-name record for a checked document: encrypted, with its keyed
/// look-up hash and masked form.
pub fn new_person(app: &App, name: &str, d: &Document) -> NewPerson {
    let (birth, sex) = d.birth_and_sex().map_or((None, None), |(b, s)| {
        (
            Some(b.to_string()),
            Some(
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
            ),
        )
    });
    NewPerson {
        name: name.to_string(),
        document_type: d.doc_type,
        document_cipher: app.keys.encrypt_document(d),
        document_lookup: app.keys.document_lookup(d),
        document_masked: d.masked(),
        sex,
        birth_date: birth,
    }
}

pub async fn create(app: &App, p: &Principal, input: CreateUser) -> Result<User> {
    // Authorise before validating: a caller who may not act here learns nothing more.
    let org = app
        .store
        .org(input.org_id)
        .await
        .map_err(|_| Error::field("org_id", "org.missing"))?;
    if let Some(role) = Role::from_code(input.role.trim()) {
        authorize(p, Action::GrantRole(role), &org)?;
    }
    let mut f = Fields::default();
    let login = validate_login("login", &input.login, &mut f);
    validate_password("password", &input.password, &login, &mut f);
    let role = Role::from_code(input.role.trim());
    if role.is_none() {
        f.push(FieldError::new("role", "role.unknown"));
    }
    let name = non_empty(&input.name);
    if name.as_ref().is_some_and(|n| n.chars().count() > 50) {
        f.push(FieldError::new("name", "field.too_long").with_detail("50"));
    } else if name
        .as_ref()
        .is_some_and(|n| !crate::domain::identity::plausible_person_name(n))
    {
        f.push(FieldError::new("name", "name.characters"));
    }
    let number = non_empty(&input.document_number);
    let doc_type = match non_empty(&input.document_type) {
        None => Some(DocumentType::ResidentId),
        Some(t) => DocumentType::from_code(&t).or_else(|| {
            f.push(FieldError::new("document_type", "document.type"));
            None
        }),
    };
    let real_name_required = role == Some(Role::Candidate) || number.is_some();
    if real_name_required && name.is_none() {
        f.push(FieldError::new("name", "field.required"));
    }
    if real_name_required && number.is_none() {
        f.push(FieldError::new("document_number", "field.required"));
    }
    let document = match (doc_type, &number) {
        (Some(t), Some(n)) => Document::parse(t, n, crate::today())
            .map_err(|e| f.push(document_field_error(e)))
            .ok(),
        _ => None,
    };
    let display_name = non_empty(&input.display_name)
        .or_else(|| name.clone())
        .unwrap_or_default();
    if display_name.is_empty() {
        f.push(FieldError::new("display_name", "field.required"));
    } else if display_name.chars().count() > 100 {
        f.push(FieldError::new("display_name", "field.too_long").with_detail("100"));
    }
    f.finish().map_err(Error::Validation)?;
    let role = role.ok_or(Error::field("role", "role.unknown"))?;

    let org = app
        .store
        .org(input.org_id)
        .await
        .map_err(|_| Error::field("org_id", "org.missing"))?;
    authorize(p, Action::GrantRole(role), &org)?;

    let person = document.map(|d| new_person(app, name.as_deref().unwrap_or_default(), &d));
    // One-time unless a provisioning script says otherwise, and always for an account
    // that reads keys (see `Role::reads_keys`).
    let one_time = input.must_change_password.unwrap_or(true) || role.reads_keys();
    let password_hash = hash_password_blocking(input.password).await?;
    let details = serde_json::json!({"login": login, "role": role, "org_id": org.id, "real_name": person.is_some(), "one_time_password": one_time});
    let event = audit_by(p, "user.create", "user", "", org.body_id, details);
    let user = app
        .store
        .create_user(
            NewUser {
                login,
                display_name,
                password_hash,
                org_id: org.id,
                person,
                roles: vec![role],
                granted_by: Some(p.user_id),
                must_change_password: one_time,
                link_body: org.body_id,
            },
            event,
        )
        .await?;
    Ok(user)
}

/// An account the caller may administer (404 otherwise).
pub async fn visible(app: &App, p: &Principal, id: i64) -> Result<User> {
    let user = app.store.user(id).await?;
    let org = app.store.org(user.org_id).await?;
    if p.user_id != user.id && decide(p, Action::ViewUsers, &org.as_ref()).is_err() {
        return Err(Error::NotFound);
    }
    Ok(user)
}

pub async fn view(app: &App, p: &Principal, id: i64) -> Result<UserView> {
    let user = visible(app, p, id).await?;
    let org = app.store.org(user.org_id).await?;
    let mut grants = Vec::new();
    for Grant { role, org: g } in app.store.grants(user.id).await? {
        let name = app.store.org(g.id).await?.name;
        grants.push(GrantView {
            role,
            org_id: g.id,
            org_name: name,
        });
    }
    let person = match user.person_id {
        Some(pid) => Some(app.store.person(pid).await?),
        None => None,
    };
    let can_reveal = person.is_some() && decide(p, Action::RevealDocument, &org.as_ref()).is_ok();
    Ok(UserView {
        org_name: org.name,
        user,
        grants,
        person,
        can_reveal,
    })
}

/// The accounts the caller administers: all for the regulator, a body's for its admins.
pub async fn list(app: &App, p: &Principal) -> Result<Vec<User>> {
    if p.is_regulator_admin() {
        return Ok(app.store.users(UserFilter::default()).await?);
    }
    let mut out = Vec::new();
    let mut bodies: Vec<i64> = p
        .grants
        .iter()
        .filter(|g| decide(p, Action::ViewUsers, &g.org).is_ok())
        .filter_map(|g| g.org.body_id)
        .collect();
    bodies.sort_unstable();
    bodies.dedup();
    for b in bodies {
        out.extend(
            app.store
                .users(UserFilter {
                    body_id: Some(b),
                    ..Default::default()
                })
                .await?,
        );
    }
    Ok(out)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RoleChange {
    pub role: String,
    pub org_id: i64,
}

/// The account, role and organisation of a role change the caller may make: never on
/// their own account (see [`Action::ChangeRoles`]).
async fn role_change(
    app: &App,
    p: &Principal,
    user_id: i64,
    change: &RoleChange,
) -> Result<(User, Role, Org)> {
    let user = visible(app, p, user_id).await?;
    let role =
        Role::from_code(change.role.trim()).ok_or_else(|| Error::field("role", "role.unknown"))?;
    let org = app
        .store
        .org(change.org_id)
        .await
        .map_err(|_| Error::field("org_id", "org.missing"))?;
    let own_account = user.id == p.user_id;
    authorize(p, Action::ChangeRoles { role, own_account }, &org)?;
    Ok((user, role, org))
}

pub async fn grant(app: &App, p: &Principal, user_id: i64, change: RoleChange) -> Result<()> {
    let (user, role, org) = role_change(app, p, user_id, &change).await?;
    let details = serde_json::json!({"role": role, "org_id": org.id});
    let event = audit_by(p, "role.grant", "user", user.id, org.body_id, details);
    app.store
        .grant_role(user.id, role, org.id, p.user_id, event)
        .await?;
    Ok(())
}

pub async fn revoke(app: &App, p: &Principal, user_id: i64, change: RoleChange) -> Result<()> {
    let (user, role, org) = role_change(app, p, user_id, &change).await?;
    let details = serde_json::json!({"role": role, "org_id": org.id});
    let event = audit_by(p, "role.revoke", "user", user.id, org.body_id, details);
    app.store.revoke_role(user.id, role, org.id, event).await?;
    Ok(())
}

/// The full document number of an account's person, for a caller entitled to it; the
/// read is written to the audit log before the number is returned.
pub async fn reveal_document(app: &App, p: &Principal, user_id: i64) -> Result<String> {
    let user = visible(app, p, user_id).await?;
    let org = app.store.org(user.org_id).await?;
    authorize(p, Action::RevealDocument, &org)?;
    let person_id = user.person_id.ok_or(Error::NotFound)?;
    let event = audit_by(
        p,
        "person.reveal_document",
        "person",
        person_id,
        org.body_id,
        serde_json::json!({"user_id": user.id}),
    );
    let (doc_type, cipher) = app.store.reveal_document(person_id, event).await?;
    Ok(app.keys.decrypt_document(doc_type, &cipher)?)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the caller's own password and ends their other sessions.
pub async fn change_password(
    app: &App,
    p: &Principal,
    keep_session: Option<String>,
    input: ChangePassword,
) -> Result<()> {
    let (_, hash) = app
        .store
        .credentials(&p.login)
        .await?
        .ok_or(Error::Unauthenticated)?;
    let same = input.new_password == input.current_password;
    if !verify_password_blocking(input.current_password, Some(hash), app.dummy_hash.clone()).await {
        return Err(Error::field("current_password", "account.password_wrong"));
    }
    let mut f = Fields::default();
    validate_password("new_password", &input.new_password, &p.login, &mut f);
    // Keeping the same password would keep a one-time one that an admin knows.
    if same {
        f.push(FieldError::new("new_password", "account.password_same"));
    }
    f.finish().map_err(Error::Validation)?;
    let new_hash = hash_password_blocking(input.new_password).await?;
    let event = audit_by(
        p,
        "account.password_change",
        "user",
        p.user_id,
        p.home_org.body_id,
        serde_json::json!({}),
    );
    app.store
        .set_password(p.user_id, new_hash, keep_session, event)
        .await?;
    Ok(())
}
