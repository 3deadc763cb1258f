//! The SQL shared by both backends. Both dialects accept the same statements here
//! (`$N` placeholders, `RETURNING`, `ON CONFLICT`), so the body of the [`Store`]
//! implementation is written once and instantiated for each concrete sqlx database by
//! [`impl_store!`]. Why a macro and not generics: sqlx's executor and codec bounds make a
//! generic implementation unreadable, while a macro gives two plain, concrete impls.
//! What differs per dialect (pools, pragmas, row locks, reading a JSON array
//! parameter as rows, migrations) stays in `sqlite.rs` and `postgres.rs`.
//!
//! [`Store`]: super::Store

use super::StoreError;

/// Turns a unique-constraint violation into a field conflict the caller can show.
pub(super) fn map_unique(e: sqlx::Error) -> StoreError {
    if let Some(db) = e.as_database_error() {
        if db.is_unique_violation() {
            let text = format!("{} {}", db.message(), db.constraint().unwrap_or_default());
            let conflict = |field, code| StoreError::Conflict { field, code };
            if text.contains("login") {
                return conflict("login", "account.login_taken");
            }
            if text.contains("document_lookup") {
                return conflict("document_number", "person.exists");
            }
            // One account per person (`users.person_id`; SQLite names the column,
            // PostgreSQL the constraint).
            if text.contains("users.person_id") || text.contains("users_person_id_key") {
                return conflict("document_number", "person.has_account");
            }
            if text.contains("sibling_name") || text.contains("organisations.name") {
                return conflict("name", "org.name_taken");
            }
            if text.contains("role_assignments") {
                return conflict("role", "role.already_granted");
            }
        }
    }
    StoreError::Database(e)
}

/// An account's audit details, marked as taking a real-name record already on file.
pub(super) fn link_detail(details: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(details).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "linked_existing_person".into(),
            serde_json::Value::Bool(true),
        );
    }
    v.to_string()
}

pub(super) fn not_found(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        e => StoreError::Database(e),
    }
}

/// Implements [`super::Store`] for `$store` over the sqlx database `$db`. `$store` must
/// have `writer()` and `reader()` pools, the constants `AUDIT_HEAD_LOCK` (the statement
/// that reads the chain head and locks it until commit) and `JSON_ROWS` (the rows of a
/// JSON array bound as `$1`, in a column `value`), and inherent `migrate_impl`,
/// `durability_impl` and `close_impl` methods.
macro_rules! impl_store {
    ($store:ty, $db:ty, $backend:expr) => {
        use sqlx::Row as _;
        use $crate::domain::audit::{AuditEntry, AuditEvent};
        use $crate::domain::identity::DocumentType;
        use $crate::domain::org::{BodyType, CertificateKind, Level, OccupationCode, OrgKind, OrgStatus, ScopeEntry};
        use $crate::domain::policy::{Grant, OrgRef, Principal};
        use $crate::domain::role::Role;
        use $crate::store::sql::{link_detail, map_unique, not_found};
        use $crate::store::*;

        type Tx = sqlx::Transaction<'static, $db>;
        type DbRow = <$db as sqlx::Database>::Row;

        const ORG_COLUMNS: &str = "id, kind, parent_id, body_id, name, name_en, body_type, body_code, \
             province_code, site_code, address, status, created_at_ms";
        const USER_COLUMNS: &str = "id, login, display_name, org_id, person_id, active, \
             must_change_password, created_at_ms";
        const AUDIT_COLUMNS: &str = "seq, at_ms, actor_user_id, actor, action, object_type, object_id, \
             org_id, details, prev_hash, hash";

        fn bad_value(column: &'static str) -> StoreError {
            StoreError::Database(sqlx::Error::ColumnDecode {
                index: column.to_string(),
                source: format!("unexpected value in {column}").into(),
            })
        }

        fn org_from_row(r: &DbRow) -> Result<Org> {
            let kind: String = r.try_get("kind")?;
            let status: String = r.try_get("status")?;
            let body_type: Option<String> = r.try_get("body_type")?;
            Ok(Org {
                id: r.try_get("id")?,
                kind: OrgKind::from_code(&kind).ok_or_else(|| bad_value("kind"))?,
                parent_id: r.try_get("parent_id")?,
                body_id: r.try_get("body_id")?,
                name: r.try_get("name")?,
                name_en: r.try_get("name_en")?,
                body_type: match body_type {
                    Some(t) => Some(BodyType::from_code(&t).ok_or_else(|| bad_value("body_type"))?),
                    None => None,
                },
                body_code: r.try_get("body_code")?,
                province_code: r.try_get("province_code")?,
                site_code: r.try_get("site_code")?,
                address: r.try_get("address")?,
                status: OrgStatus::from_code(&status).ok_or_else(|| bad_value("status"))?,
                created_at_ms: r.try_get("created_at_ms")?,
            })
        }

        fn user_from_row(r: &DbRow) -> Result<User> {
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

        fn audit_from_row(r: &DbRow) -> Result<AuditEntry> {
            Ok(AuditEntry {
                seq: r.try_get("seq")?,
                at_ms: r.try_get("at_ms")?,
                actor_user_id: r.try_get("actor_user_id")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                object_type: r.try_get("object_type")?,
                object_id: r.try_get("object_id")?,
                org_id: r.try_get("org_id")?,
                details: r.try_get("details")?,
                prev_hash: r.try_get("prev_hash")?,
                hash: r.try_get("hash")?,
            })
        }

        fn org_ref_from_row(r: &DbRow, prefix: &str) -> Result<OrgRef> {
            let kind: String = r.try_get(format!("{prefix}kind").as_str())?;
            Ok(OrgRef {
                id: r.try_get(format!("{prefix}id").as_str())?,
                kind: OrgKind::from_code(&kind).ok_or_else(|| bad_value("kind"))?,
                body_id: r.try_get(format!("{prefix}body_id").as_str())?,
            })
        }

        impl $store {
            /// Appends to the audit chain inside `tx`. The head row is read with a lock
            /// (PostgreSQL) or under the single SQLite writer, so two transactions can
            /// never chain onto the same predecessor.
            async fn append_audit_tx(tx: &mut Tx, event: AuditEvent) -> Result<AuditEntry> {
                let mut entries = Self::append_audits_tx(tx, vec![event]).await?;
                Ok(entries.remove(0))
            }

            /// Appends several entries in order with one read and one update of the
            /// chain head (the exam writer audits a whole batch of starts this way).
            async fn append_audits_tx(tx: &mut Tx, events: Vec<AuditEvent>) -> Result<Vec<AuditEntry>> {
                if events.is_empty() {
                    return Ok(Vec::new());
                }
                let head = sqlx::query(Self::AUDIT_HEAD_LOCK).fetch_one(&mut **tx).await?;
                let mut seq: i64 = head.try_get("seq")?;
                let mut hash: String = head.try_get("hash")?;
                let mut out = Vec::with_capacity(events.len());
                for event in events {
                    let e = AuditEntry::chain(seq, &hash, event);
                    seq = e.seq;
                    hash = e.hash.clone();
                    out.push(e);
                }
                // One statement for the whole batch: the entries travel as one JSON
                // array (see `JSON_ROWS`), so a start burst's batch of hundreds of
                // entries is one round trip.
                let rows = serde_json::to_string(&out).map_err(|e| StoreError::Database(sqlx::Error::Encode(e.into())))?;
                let sql = format!(
                    "INSERT INTO audit_log (seq, at_ms, actor_user_id, actor, action, object_type, \
                     object_id, org_id, details, prev_hash, hash) \
                     SELECT CAST(value ->> 'seq' AS BIGINT), CAST(value ->> 'at_ms' AS BIGINT), \
                     CAST(value ->> 'actor_user_id' AS BIGINT), value ->> 'actor', value ->> 'action', \
                     value ->> 'object_type', value ->> 'object_id', CAST(value ->> 'org_id' AS BIGINT), \
                     value ->> 'details', value ->> 'prev_hash', value ->> 'hash' FROM {}",
                    Self::JSON_ROWS
                );
                sqlx::query(&sql).bind(rows).execute(&mut **tx).await?;
                sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                    .bind(seq)
                    .bind(&hash)
                    .execute(&mut **tx)
                    .await?;
                Ok(out)
            }


            /// A new real-name record; a document already on file is a conflict.
            async fn insert_person_tx(tx: &mut Tx, p: &NewPerson, now_ms: i64) -> Result<i64> {
                let id: i64 = sqlx::query_scalar(
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
                .map_err(map_unique)?;
                Ok(id)
            }

            async fn org_tx(tx: &mut Tx, id: i64) -> Result<Org> {
                let sql = format!("SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_one(&mut **tx).await.map_err(not_found)?;
                org_from_row(&row)
            }

            async fn insert_org_tx(tx: &mut Tx, new: &NewOrg, now_ms: i64) -> Result<Org> {
                let body_id = match (new.kind.parent_kind(), new.parent_id) {
                    (None, None) => None,
                    (Some(kind), Some(pid)) => {
                        let parent = Self::org_tx(tx, pid).await.map_err(|e| match e {
                            StoreError::NotFound => StoreError::Invalid { field: "parent_id", code: "org.parent_missing" },
                            e => e,
                        })?;
                        if parent.kind != kind {
                            return Err(StoreError::Invalid { field: "parent_id", code: "org.parent_kind" });
                        }
                        parent.body_id
                    }
                    _ => return Err(StoreError::Invalid { field: "parent_id", code: "org.parent_kind" }),
                };
                if new.kind == OrgKind::Regulator {
                    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM organisations WHERE kind = 'regulator'")
                        .fetch_one(&mut **tx)
                        .await?
                        .try_get("n")?;
                    if n > 0 {
                        return Err(StoreError::Conflict { field: "kind", code: "org.one_regulator" });
                    }
                }
                let sql = format!(
                    "INSERT INTO organisations (kind, parent_id, body_id, name, name_en, body_type, body_code, \
                     province_code, site_code, address, status, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11) RETURNING {ORG_COLUMNS}"
                );
                let row = sqlx::query(&sql)
                    .bind(new.kind.code())
                    .bind(new.parent_id)
                    .bind(body_id)
                    .bind(&new.name)
                    .bind(&new.name_en)
                    .bind(new.body_type.map(|t| t.code()))
                    .bind(&new.body_code)
                    .bind(&new.province_code)
                    .bind(&new.site_code)
                    .bind(&new.address)
                    .bind(now_ms)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err(map_unique)?;
                let mut org = org_from_row(&row)?;
                if org.kind == OrgKind::Body {
                    // A body is its own body: set after insert, when the id is known.
                    sqlx::query("UPDATE organisations SET body_id = id WHERE id = $1")
                        .bind(org.id)
                        .execute(&mut **tx)
                        .await?;
                    org.body_id = Some(org.id);
                }
                Ok(org)
            }

            async fn grant_tx(tx: &mut Tx, user_id: i64, role: Role, org_id: i64, by: Option<i64>, now_ms: i64) -> Result<()> {
                let org = Self::org_tx(tx, org_id).await?;
                if !role.held_at().contains(&org.kind) {
                    return Err(StoreError::Invalid { field: "org_id", code: "role.wrong_place" });
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
                .map_err(map_unique)?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl Store for $store {
            fn backend(&self) -> Backend {
                $backend
            }

            async fn migrate(&self) -> Result<()> {
                self.migrate_impl().await
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(self.reader()).await?;
                Ok(())
            }

            async fn durability_mismatches(&self) -> Result<Vec<SettingMismatch>> {
                self.durability_impl().await
            }

            async fn close(&self) {
                self.close_impl().await
            }

            async fn bootstrap(&self, b: Bootstrap) -> Result<Option<i64>> {
                let mut tx = self.begin_write().await?;
                let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM organisations WHERE kind = 'regulator'")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("n")?;
                if n > 0 {
                    return Ok(None);
                }
                let org = Self::insert_org_tx(
                    &mut tx,
                    &NewOrg {
                        kind: OrgKind::Regulator,
                        parent_id: None,
                        name: b.regulator_name.clone(),
                        name_en: None,
                        body_type: None,
                        body_code: None,
                        province_code: None,
                        site_code: None,
                        address: None,
                    },
                    b.now_ms,
                )
                .await?;
                let user_id: i64 = sqlx::query(
                    "INSERT INTO users (login, display_name, password_hash, org_id, must_change_password, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(&b.admin_login)
                .bind(&b.admin_display_name)
                .bind(&b.admin_password_hash)
                .bind(org.id)
                .bind(b.must_change_password)
                .bind(b.now_ms)
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
                Self::grant_tx(&mut tx, user_id, Role::RegulatorAdmin, org.id, None, b.now_ms).await?;
                Self::append_audit_tx(
                    &mut tx,
                    AuditEvent {
                        at_ms: b.now_ms,
                        actor_user_id: None,
                        actor: "system".into(),
                        action: "instance.bootstrap".into(),
                        object_type: "user".into(),
                        object_id: user_id.to_string(),
                        org_id: Some(org.id),
                        details: serde_json::json!({"login": b.admin_login, "role": "regulator_admin"}).to_string(),
                    },
                )
                .await?;
                tx.commit().await?;
                Ok(Some(user_id))
            }

            async fn create_org(&self, new: NewOrg, mut audit: AuditEvent) -> Result<Org> {
                let mut tx = self.begin_write().await?;
                let org = Self::insert_org_tx(&mut tx, &new, audit.at_ms).await?;
                if audit.object_id.is_empty() {
                    audit.object_id = org.id.to_string();
                }
                audit.org_id = audit.org_id.or(org.body_id);
                Self::append_audit_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(org)
            }

            async fn org(&self, id: i64) -> Result<Org> {
                let sql = format!("SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_one(self.reader()).await.map_err(not_found)?;
                org_from_row(&row)
            }

            async fn orgs(&self, f: OrgFilter) -> Result<Vec<Org>> {
                let sql = format!(
                    "SELECT {ORG_COLUMNS} FROM organisations \
                     WHERE ($1 IS NULL OR parent_id = $1) AND ($2 IS NULL OR body_id = $2) \
                     AND ($3 IS NULL OR kind = $3) ORDER BY id"
                );
                let rows = sqlx::query(&sql)
                    .bind(f.parent_id)
                    .bind(f.body_id)
                    .bind(f.kind.map(|k| k.code()))
                    .fetch_all(self.reader())
                    .await?;
                rows.iter().map(org_from_row).collect()
            }

            async fn set_org_status(&self, id: i64, status: OrgStatus, audit: AuditEvent) -> Result<Org> {
                let mut tx = self.begin_write().await?;
                let org = Self::org_tx(&mut tx, id).await?;
                if org.kind != OrgKind::Body {
                    return Err(StoreError::Invalid { field: "id", code: "org.not_a_body" });
                }
                sqlx::query("UPDATE organisations SET status = $1 WHERE id = $2")
                    .bind(status.code())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit_tx(&mut tx, audit).await?;
                let org = Self::org_tx(&mut tx, id).await?;
                tx.commit().await?;
                Ok(org)
            }

            async fn set_body_scope(&self, body_id: i64, scope: Vec<ScopeEntry>, audit: AuditEvent) -> Result<()> {
                let mut tx = self.begin_write().await?;
                let org = Self::org_tx(&mut tx, body_id).await?;
                if org.kind != OrgKind::Body {
                    return Err(StoreError::Invalid { field: "id", code: "org.not_a_body" });
                }
                sqlx::query("DELETE FROM body_scope WHERE body_id = $1").bind(body_id).execute(&mut *tx).await?;
                for s in &scope {
                    sqlx::query(
                        "INSERT INTO body_scope (body_id, occupation_code, occupation_edition, level, certificate_kind) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(body_id)
                    .bind(s.occupation.code())
                    .bind(i64::from(s.occupation.edition()))
                    .bind(i64::from(s.level.map_or(0, |l| l.get())))
                    .bind(s.certificate_kind.code())
                    .execute(&mut *tx)
                    .await?;
                }
                Self::append_audit_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn body_scope(&self, body_id: i64) -> Result<Vec<ScopeEntry>> {
                let rows = sqlx::query(
                    "SELECT occupation_code, occupation_edition, level, certificate_kind FROM body_scope \
                     WHERE body_id = $1 ORDER BY occupation_code, level, certificate_kind",
                )
                .bind(body_id)
                .fetch_all(self.reader())
                .await?;
                rows.iter()
                    .map(|r| {
                        let code: String = r.try_get("occupation_code")?;
                        let edition: i64 = r.try_get("occupation_edition")?;
                        let level: i64 = r.try_get("level")?;
                        let kind: String = r.try_get("certificate_kind")?;
                        Ok(ScopeEntry {
                            occupation: OccupationCode::parse(&code, edition as u16)
                                .map_err(|_| bad_value("occupation_code"))?,
                            level: Level::new(level as u8),
                            certificate_kind: CertificateKind::from_code(&kind)
                                .ok_or_else(|| bad_value("certificate_kind"))?,
                        })
                    })
                    .collect()
            }

            async fn create_user(&self, new: NewUser, mut audit: AuditEvent) -> Result<User> {
                let mut tx = self.begin_write().await?;
                // One person, one real-name record: a candidate already on a roster of
                // the account's body gets the account on that record, provided the name
                // matches it; any other record on file is a conflict (`link_body`), and a
                // person with an account gets no second one.
                let person_id: Option<i64> = match &new.person {
                    Some(p) => {
                        let found = sqlx::query(
                            "SELECT pe.id, pe.name, EXISTS (SELECT 1 FROM candidates c JOIN plans pl ON pl.id = c.plan_id \
                             WHERE c.person_id = pe.id AND pl.body_id = $2) AS ours \
                             FROM people pe WHERE pe.document_lookup = $1",
                        )
                        .bind(&p.document_lookup)
                        .bind(new.link_body)
                        .fetch_optional(&mut *tx)
                        .await?;
                        match found {
                            Some(r) if new.link_body.is_some() && r.try_get::<bool, _>("ours")? => {
                                if r.try_get::<String, _>("name")? != p.name {
                                    return Err(StoreError::Conflict { field: "name", code: "person.name_mismatch" });
                                }
                                audit.details = link_detail(&audit.details);
                                Some(r.try_get::<i64, _>("id")?)
                            }
                            Some(_) => return Err(StoreError::Conflict { field: "document_number", code: "person.exists" }),
                            None => Some(Self::insert_person_tx(&mut tx, p, audit.at_ms).await?),
                        }
                    }
                    None => None,
                };
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
                    .map_err(map_unique)?;
                let user = user_from_row(&row)?;
                for role in &new.roles {
                    Self::grant_tx(&mut tx, user.id, *role, new.org_id, new.granted_by, audit.at_ms).await?;
                }
                if audit.object_id.is_empty() {
                    audit.object_id = user.id.to_string();
                }
                Self::append_audit_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(user)
            }

            async fn user(&self, id: i64) -> Result<User> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_one(self.reader()).await.map_err(not_found)?;
                user_from_row(&row)
            }

            async fn users(&self, f: UserFilter) -> Result<Vec<User>> {
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE ($1 IS NULL OR org_id IN \
                     (SELECT id FROM organisations WHERE body_id = $1)) ORDER BY id"
                );
                let rows = sqlx::query(&sql).bind(f.body_id).fetch_all(self.reader()).await?;
                rows.iter().map(user_from_row).collect()
            }

            async fn credentials(&self, login: &str) -> Result<Option<(User, String)>> {
                let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE login = $1 AND active");
                let row = sqlx::query(&sql).bind(login).fetch_optional(self.reader()).await?;
                match row {
                    Some(r) => Ok(Some((user_from_row(&r)?, r.try_get("password_hash")?))),
                    None => Ok(None),
                }
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
                    home_org: org_ref_from_row(&r, "o_")?,
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
                rows.iter()
                    .map(|r| {
                        let role: String = r.try_get("role")?;
                        Ok(Grant {
                            role: Role::from_code(&role).ok_or_else(|| bad_value("role"))?,
                            org: org_ref_from_row(r, "o_")?,
                        })
                    })
                    .collect()
            }

            async fn grant_role(&self, user_id: i64, role: Role, org_id: i64, by: i64, audit: AuditEvent) -> Result<()> {
                let mut tx = self.begin_write().await?;
                Self::grant_tx(&mut tx, user_id, role, org_id, Some(by), audit.at_ms).await?;
                Self::append_audit_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn revoke_role(&self, user_id: i64, role: Role, org_id: i64, audit: AuditEvent) -> Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("DELETE FROM role_assignments WHERE user_id = $1 AND role = $2 AND org_id = $3")
                    .bind(user_id)
                    .bind(role.code())
                    .bind(org_id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Self::append_audit_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn set_password(&self, user_id: i64, hash: String, keep: Option<String>, audit: AuditEvent) -> Result<()> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query("UPDATE users SET password_hash = $1, must_change_password = FALSE WHERE id = $2")
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
                Self::append_audit_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn person(&self, id: i64) -> Result<Person> {
                let r = sqlx::query(
                    "SELECT id, name, document_type, document_masked, sex, birth_date FROM people WHERE id = $1",
                )
                .bind(id)
                .fetch_one(self.reader())
                .await
                .map_err(not_found)?;
                let t: String = r.try_get("document_type")?;
                Ok(Person {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    document_type: DocumentType::from_code(&t).ok_or_else(|| bad_value("document_type"))?,
                    document_masked: r.try_get("document_masked")?,
                    sex: r.try_get("sex")?,
                    birth_date: r.try_get("birth_date")?,
                })
            }

            async fn reveal_document(&self, person_id: i64, audit: AuditEvent) -> Result<(DocumentType, Vec<u8>)> {
                let mut tx = self.begin_write().await?;
                let r = sqlx::query("SELECT document_type, document_cipher FROM people WHERE id = $1")
                    .bind(person_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(not_found)?;
                let t: String = r.try_get("document_type")?;
                let cipher: Vec<u8> = r.try_get("document_cipher")?;
                Self::append_audit_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok((DocumentType::from_code(&t).ok_or_else(|| bad_value("document_type"))?, cipher))
            }

            async fn login(&self, s: NewSession, login: &str, replaces: Option<String>, audit: AuditEvent) -> Result<()> {
                let mut tx = self.begin_write().await?;
                if let Some(old) = replaces {
                    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(old).execute(&mut *tx).await?;
                }
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at_ms, last_seen_ms, expires_at_ms) \
                     VALUES ($1, $2, $3, $4, $4, $5)",
                )
                .bind(&s.token_hash)
                .bind(s.user_id)
                .bind(&s.csrf_token)
                .bind(s.now_ms)
                .bind(s.expires_at_ms)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM login_failures WHERE login = $1").bind(login).execute(&mut *tx).await?;
                // Expired sessions of anyone are swept here, on a write we make anyway.
                sqlx::query("DELETE FROM sessions WHERE expires_at_ms < $1").bind(s.now_ms).execute(&mut *tx).await?;
                Self::append_audit_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn session(&self, token_hash: &str, now_ms: i64, idle_ms: i64) -> Result<Option<SessionRecord>> {
                let row = sqlx::query(
                    "SELECT user_id, csrf_token, created_at_ms, last_seen_ms, expires_at_ms FROM sessions \
                     WHERE token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(self.reader())
                .await?;
                let Some(r) = row else { return Ok(None) };
                let last_seen: i64 = r.try_get("last_seen_ms")?;
                let rec = SessionRecord {
                    user_id: r.try_get("user_id")?,
                    csrf_token: r.try_get("csrf_token")?,
                    created_at_ms: r.try_get("created_at_ms")?,
                    expires_at_ms: r.try_get("expires_at_ms")?,
                };
                if now_ms > rec.expires_at_ms || now_ms - last_seen > idle_ms {
                    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(self.writer()).await?;
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
                Ok(Some(rec))
            }

            async fn logout(&self, token_hash: &str, audit: AuditEvent) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *tx).await?;
                Self::append_audit_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_api_token(&self, user_id: i64, name: &str, token_hash: &str, now_ms: i64, expires_at_ms: i64, mut audit: AuditEvent) -> Result<i64> {
                let mut tx = self.begin_write().await?;
                let id: i64 = sqlx::query(
                    "INSERT INTO api_tokens (user_id, name, token_hash, created_at_ms, expires_at_ms) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(user_id)
                .bind(name)
                .bind(token_hash)
                .bind(now_ms)
                .bind(expires_at_ms)
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
                if audit.object_id.is_empty() {
                    audit.object_id = id.to_string();
                }
                Self::append_audit_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn api_token_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<i64>> {
                let row = sqlx::query(
                    "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND NOT revoked AND expires_at_ms > $2",
                )
                .bind(token_hash)
                .bind(now_ms)
                .fetch_optional(self.reader())
                .await?;
                Ok(match row {
                    Some(r) => Some(r.try_get("user_id")?),
                    None => None,
                })
            }

            async fn login_failures(&self, login: &str, address: &str, since_ms: i64) -> Result<(i64, i64)> {
                let r = sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM login_failures WHERE login = $1 AND at_ms >= $3) AS by_login, \
                     (SELECT COUNT(*) FROM login_failures WHERE address = $2 AND at_ms >= $3) AS by_address",
                )
                .bind(login)
                .bind(address)
                .bind(since_ms)
                .fetch_one(self.reader())
                .await?;
                Ok((r.try_get("by_login")?, r.try_get("by_address")?))
            }

            async fn record_login_failure(&self, login: &str, address: &str, audit: AuditEvent) -> Result<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query("INSERT INTO login_failures (login, address, at_ms) VALUES ($1, $2, $3)")
                    .bind(login)
                    .bind(address)
                    .bind(audit.at_ms)
                    .execute(&mut *tx)
                    .await?;
                // Keep the table small: failures older than a day no longer matter.
                sqlx::query("DELETE FROM login_failures WHERE at_ms < $1")
                    .bind(audit.at_ms - 86_400_000)
                    .execute(&mut *tx)
                    .await?;
                Self::append_audit_tx(&mut tx, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn note_login_attempt(&self, login: &str, address: &str, at_ms: i64) -> Result<()> {
                sqlx::query("INSERT INTO login_failures (login, address, at_ms) VALUES ($1, $2, $3)")
                    .bind(login)
                    .bind(address)
                    .bind(at_ms)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn append_audit(&self, e: AuditEvent) -> Result<AuditEntry> {
                let mut tx = self.begin_write().await?;
                let entry = Self::append_audit_tx(&mut tx, e).await?;
                tx.commit().await?;
                Ok(entry)
            }

            async fn audit_page(&self, after_seq: i64, limit: i64, org_id: Option<i64>) -> Result<Vec<AuditEntry>> {
                let sql = format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 AND ($2 IS NULL OR org_id = $2) \
                     ORDER BY seq LIMIT $3"
                );
                let rows = sqlx::query(&sql)
                    .bind(after_seq)
                    .bind(org_id)
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await?;
                rows.iter().map(audit_from_row).collect()
            }

            async fn audit_recent(&self, limit: i64) -> Result<Vec<AuditEntry>> {
                let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT $1");
                let rows = sqlx::query(&sql).bind(limit).fetch_all(self.reader()).await?;
                rows.iter().map(audit_from_row).collect()
            }

            async fn audit_head(&self) -> Result<(i64, String)> {
                let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(self.reader()).await?;
                Ok((r.try_get("seq")?, r.try_get("hash")?))
            }
        }
    };
}

pub(crate) use impl_store;
