//! People and accounts: real-name records, accounts with their roles, passwords,
//! sessions, API tokens and login-failure counts.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{code, not_found, on_unique, write_audited, Row, Tx};
use super::orgs::org_ref;
use super::DbStore;
use crate::domain::audit::AuditEvent;
use crate::domain::identity::DocumentType;
use crate::domain::policy::{Grant, Principal};
use crate::domain::role::Role;
use crate::store::dialect::Unique;
use crate::store::{
    AccountStore, NewPerson, NewUser, Person, Result, StoreError, User, UserFilter,
};

const USER_COLUMNS: &str =
    "id, login, display_name, org_id, person_id, active, must_change_password, created_at_ms";

/// The uniqueness rules an account insert can hit, and the field each one is about.
const USER_UNIQUES: &[(Unique, &str, &str)] = &[
    (Unique::UserLogin, "login", "account.login_taken"),
    (Unique::UserPerson, "document_number", "person.has_account"),
];

fn user(r: &Row) -> Result<User> {
    Ok(User {
        id: r.try_get("id")?,
        login: r.try_get("login")?,
        display_name: r.try_get("display_name")?,
        org_id: r.try_get("org_id")?,
        person_id: r.try_get("person_id")?,
        active: r.try_get("active")?,
        must_change_password: r.try_get("must_change_password")?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

fn person(r: &Row) -> Result<Person> {
    Ok(Person {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        document_type: code(r, "document_type", DocumentType::from_code)?,
        document_masked: r.try_get("document_masked")?,
        sex: r.try_get("sex")?,
        birth_date: r.try_get("birth_date")?,
    })
}

fn grant_row(r: &Row) -> Result<Grant> {
    Ok(Grant {
        role: code(r, "role", Role::from_code)?,
        org: org_ref(r, "o_")?,
    })
}

/// A new real-name record; a document already on file is a conflict.
pub(super) async fn insert_person(tx: &mut Tx, p: &NewPerson, now_ms: i64) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO people (name, document_type, document_cipher, document_lookup, \
         document_masked, sex, birth_date, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&p.name)
    .bind(p.document_type.code())
    .bind(&p.document_cipher)
    .bind(&p.document_lookup)
    .bind(&p.document_masked)
    .bind(&p.sex)
    .bind(&p.birth_date)
    .bind(now_ms)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        on_unique(
            e,
            &[(Unique::PersonDocument, "document_number", "person.exists")],
        )
    })
}

/// Grants `role` at `org_id`, where the role may be held.
pub(super) async fn grant(
    tx: &mut Tx,
    user_id: i64,
    role: Role,
    org_id: i64,
    by: Option<i64>,
    now_ms: i64,
) -> Result<()> {
    let org = super::orgs::get(tx, org_id).await?;
    if !role.held_at().contains(&org.kind) {
        return Err(StoreError::Invalid {
            field: "org_id",
            code: "role.wrong_place",
        });
    }
    sqlx::query(
        "INSERT INTO role_assignments (user_id, role, org_id, granted_by, granted_at_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(role.code())
    .bind(org_id)
    .bind(by)
    .bind(now_ms)
    .execute(&mut **tx)
    .await
    .map_err(|e| {
        on_unique(
            e,
            &[(Unique::RoleAssignment, "role", "role.already_granted")],
        )
    })?;
    if role.reads_keys() {
        // A password an admin set (and knows) must be replaced before keys are read.
        sqlx::query(
            "UPDATE users SET must_change_password = TRUE WHERE id = $1 AND NOT password_chosen",
        )
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The real-name record an account takes: a new one, or (with `link_body`) the record
/// of a candidate already on a roster of that body, provided the name matches. Any
/// other record on file is a conflict, so no body learns about another's candidates.
async fn account_person(tx: &mut Tx, new: &NewUser, audit: &mut AuditEvent) -> Result<Option<i64>> {
    let Some(p) = &new.person else {
        return Ok(None);
    };
    let found: Option<(i64, String, bool)> = sqlx::query_as(
        "SELECT pe.id, pe.name, EXISTS (SELECT 1 FROM candidates c JOIN plans pl \
         ON pl.id = c.plan_id WHERE c.person_id = pe.id AND pl.body_id = $2) AS ours \
         FROM people pe WHERE pe.document_lookup = $1",
    )
    .bind(&p.document_lookup)
    .bind(new.link_body)
    .fetch_optional(&mut **tx)
    .await?;
    match found {
        Some((id, name, true)) if new.link_body.is_some() => {
            if name != p.name {
                return Err(StoreError::Conflict {
                    field: "name",
                    code: "person.name_mismatch",
                });
            }
            let mut details: serde_json::Value =
                serde_json::from_str(&audit.details).unwrap_or_default();
            if let Some(o) = details.as_object_mut() {
                o.insert("linked_existing_person".into(), true.into());
            }
            audit.details = details.to_string();
            Ok(Some(id))
        }
        Some(_) => Err(StoreError::Conflict {
            field: "document_number",
            code: "person.exists",
        }),
        None => Ok(Some(insert_person(tx, p, audit.at_ms).await?)),
    }
}

#[async_trait]
impl AccountStore for DbStore {
    async fn create_user(&self, new: NewUser, mut audit: AuditEvent) -> Result<User> {
        let mut tx = self.begin_write().await?;
        let person_id = account_person(&mut tx, &new, &mut audit).await?;
        let sql = format!(
            "INSERT INTO users (login, display_name, password_hash, org_id, person_id, \
             must_change_password, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&new.login)
            .bind(&new.display_name)
            .bind(&new.password_hash)
            .bind(new.org_id)
            .bind(person_id)
            .bind(new.must_change_password)
            .bind(audit.at_ms)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| on_unique(e, USER_UNIQUES))?;
        let created = user(&row)?;
        for role in &new.roles {
            grant(
                &mut tx,
                created.id,
                *role,
                new.org_id,
                new.granted_by,
                audit.at_ms,
            )
            .await?;
        }
        if audit.object_id.is_empty() {
            audit.object_id = created.id.to_string();
        }
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(created)
    }

    async fn user(&self, id: i64) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        user(&row)
    }

    async fn users(&self, f: UserFilter) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE ($1 IS NULL OR org_id IN \
             (SELECT id FROM organisations WHERE body_id = $1)) \
             AND ($2 IS NULL OR id IN (SELECT g.user_id FROM role_assignments g \
             JOIN organisations o ON o.id = g.org_id WHERE g.role = $2 \
             AND ($1 IS NULL OR o.body_id = $1))) ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(f.body_id)
            .bind(f.role.map(|r| r.code()))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(user).collect()
    }

    async fn credentials(&self, login: &str) -> Result<Option<(User, String)>> {
        let sql =
            format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE login = $1 AND active");
        let row = sqlx::query(&sql)
            .bind(login)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok((user(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    async fn principal(&self, user_id: i64) -> Result<Option<Principal>> {
        let row = sqlx::query(
            "SELECT u.id AS user_id, u.login, u.display_name, u.must_change_password, \
             o.id AS o_id, o.kind AS o_kind, o.body_id AS o_body_id \
             FROM users u JOIN organisations o ON o.id = u.org_id WHERE u.id = $1 AND u.active",
        )
        .bind(user_id)
        .fetch_optional(self.reader())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(Principal {
            user_id: r.try_get("user_id")?,
            login: r.try_get("login")?,
            display_name: r.try_get("display_name")?,
            home_org: org_ref(&r, "o_")?,
            must_change_password: r.try_get("must_change_password")?,
            grants: self.grants(user_id).await?,
        }))
    }

    async fn grants(&self, user_id: i64) -> Result<Vec<Grant>> {
        let rows = sqlx::query(
            "SELECT g.role, o.id AS o_id, o.kind AS o_kind, o.body_id AS o_body_id \
             FROM role_assignments g JOIN organisations o ON o.id = g.org_id \
             WHERE g.user_id = $1 ORDER BY g.role, o.id",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(grant_row).collect()
    }

    async fn grant_role(
        &self,
        user_id: i64,
        role: Role,
        org_id: i64,
        by: i64,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        grant(&mut tx, user_id, role, org_id, Some(by), audit.at_ms).await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn revoke_role(
        &self,
        user_id: i64,
        role: Role,
        org_id: i64,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "DELETE FROM role_assignments WHERE user_id = $1 AND role = $2 AND org_id = $3",
        )
        .bind(user_id)
        .bind(role.code())
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn set_password(
        &self,
        user_id: i64,
        hash: String,
        keep: Option<String>,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = FALSE, \
             password_chosen = TRUE WHERE id = $2",
        )
        .bind(&hash)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE api_tokens SET revoked = TRUE WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }

    async fn person(&self, id: i64) -> Result<Person> {
        let row = sqlx::query(
            "SELECT id, name, document_type, document_masked, sex, birth_date FROM people \
             WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.reader())
        .await
        .map_err(not_found)?;
        person(&row)
    }

    async fn reveal_document(
        &self,
        person_id: i64,
        audit: AuditEvent,
    ) -> Result<(DocumentType, Vec<u8>)> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("SELECT document_type, document_cipher FROM people WHERE id = $1")
            .bind(person_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(not_found)?;
        let doc_type = code(&r, "document_type", DocumentType::from_code)?;
        let cipher: Vec<u8> = r.try_get("document_cipher")?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok((doc_type, cipher))
    }
}
