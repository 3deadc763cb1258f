//! Organisations: the hierarchy regulator → body → test site → room, a body's status
//! and its filed scope.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{code, code_opt, not_found, on_unique, small, write_audited, Row, Tx};
use super::DbStore;
use crate::domain::audit::AuditEvent;
use crate::domain::org::{
    BodyType, CertificateKind, Level, OccupationCode, OrgKind, OrgStatus, ScopeEntry,
};
use crate::domain::policy::OrgRef;
use crate::store::dialect::Unique;
use crate::store::{NewOrg, Org, OrgFilter, OrgStore, Result, StoreError};

const COLUMNS: &str = "id, kind, parent_id, body_id, name, name_en, body_type, body_code, \
     province_code, site_code, address, capacity, status, created_at_ms";

pub(super) fn org(r: &Row) -> Result<Org> {
    Ok(Org {
        id: r.try_get("id")?,
        kind: code(r, "kind", OrgKind::from_code)?,
        parent_id: r.try_get("parent_id")?,
        body_id: r.try_get("body_id")?,
        name: r.try_get("name")?,
        name_en: r.try_get("name_en")?,
        body_type: code_opt(r, "body_type", BodyType::from_code)?,
        body_code: r.try_get("body_code")?,
        province_code: r.try_get("province_code")?,
        site_code: r.try_get("site_code")?,
        address: r.try_get("address")?,
        capacity: r.try_get("capacity")?,
        status: code(r, "status", OrgStatus::from_code)?,
        created_at_ms: r.try_get("created_at_ms")?,
    })
}

/// Where an organisation sits, from columns `{prefix}id`, `{prefix}kind`,
/// `{prefix}body_id`.
pub(super) fn org_ref(r: &Row, prefix: &str) -> Result<OrgRef> {
    Ok(OrgRef {
        id: r.try_get(format!("{prefix}id").as_str())?,
        kind: code(r, &format!("{prefix}kind"), OrgKind::from_code)?,
        body_id: r.try_get(format!("{prefix}body_id").as_str())?,
    })
}

fn scope_entry(r: &Row) -> Result<ScopeEntry> {
    let code_text: String = r.try_get("occupation_code")?;
    let edition: u16 = small(r, "occupation_edition")?;
    let level: u8 = small(r, "level")?;
    Ok(ScopeEntry {
        occupation: OccupationCode::parse(&code_text, edition)
            .map_err(|_| super::common::bad_value("occupation_code"))?,
        level: Level::new(level),
        certificate_kind: code(r, "certificate_kind", CertificateKind::from_code)?,
    })
}

pub(super) async fn get(tx: &mut Tx, id: i64) -> Result<Org> {
    let sql = format!("SELECT {COLUMNS} FROM organisations WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_one(&mut **tx)
        .await
        .map_err(not_found)?;
    org(&row)
}

/// Inserts an organisation under a parent of the kind the hierarchy requires.
pub(super) async fn insert(tx: &mut Tx, new: &NewOrg, now_ms: i64) -> Result<Org> {
    let invalid = |code| StoreError::Invalid {
        field: "parent_id",
        code,
    };
    let body_id = match (new.kind.parent_kind(), new.parent_id) {
        (None, None) => None,
        (Some(kind), Some(pid)) => {
            let parent = get(tx, pid).await.map_err(|e| match e {
                StoreError::NotFound => invalid("org.parent_missing"),
                e => e,
            })?;
            if parent.kind != kind {
                return Err(invalid("org.parent_kind"));
            }
            parent.body_id
        }
        _ => return Err(invalid("org.parent_kind")),
    };
    if new.kind == OrgKind::Regulator {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM organisations WHERE kind = 'regulator'")
                .fetch_one(&mut **tx)
                .await?;
        if n > 0 {
            return Err(StoreError::Conflict {
                field: "kind",
                code: "org.one_regulator",
            });
        }
    }
    let sql = format!(
        "INSERT INTO organisations (kind, parent_id, body_id, name, name_en, body_type, \
         body_code, province_code, site_code, address, capacity, status, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', $12) RETURNING {COLUMNS}"
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
        .bind(new.capacity)
        .bind(now_ms)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| on_unique(e, &[(Unique::OrgSiblingName, "name", "org.name_taken")]))?;
    let mut created = org(&row)?;
    if created.kind == OrgKind::Body {
        // A body is its own body: set after insert, when the id is known.
        sqlx::query("UPDATE organisations SET body_id = id WHERE id = $1")
            .bind(created.id)
            .execute(&mut **tx)
            .await?;
        created.body_id = Some(created.id);
    }
    Ok(created)
}

/// The organisation, which must be an evaluation body.
async fn body(tx: &mut Tx, id: i64) -> Result<Org> {
    let org = get(tx, id).await?;
    if org.kind != OrgKind::Body {
        return Err(StoreError::Invalid {
            field: "id",
            code: "org.not_a_body",
        });
    }
    Ok(org)
}

#[async_trait]
impl OrgStore for DbStore {
    async fn create_org(&self, new: NewOrg, mut audit: AuditEvent) -> Result<Org> {
        let mut tx = self.begin_write().await?;
        let org = insert(&mut tx, &new, audit.at_ms).await?;
        if audit.object_id.is_empty() {
            audit.object_id = org.id.to_string();
        }
        audit.org_id = audit.org_id.or(org.body_id);
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(org)
    }

    async fn org(&self, id: i64) -> Result<Org> {
        let sql = format!("SELECT {COLUMNS} FROM organisations WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(self.reader())
            .await
            .map_err(not_found)?;
        org(&row)
    }

    async fn orgs(&self, f: OrgFilter) -> Result<Vec<Org>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM organisations \
             WHERE ($1 IS NULL OR parent_id = $1) AND ($2 IS NULL OR body_id = $2) \
             AND ($3 IS NULL OR kind = $3) ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(f.parent_id)
            .bind(f.body_id)
            .bind(f.kind.map(|k| k.code()))
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(org).collect()
    }

    async fn set_org_status(&self, id: i64, status: OrgStatus, audit: AuditEvent) -> Result<Org> {
        let mut tx = self.begin_write().await?;
        body(&mut tx, id).await?;
        sqlx::query("UPDATE organisations SET status = $1 WHERE id = $2")
            .bind(status.code())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let org = get(&mut tx, id).await?;
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(org)
    }

    async fn set_body_scope(
        &self,
        body_id: i64,
        scope: Vec<ScopeEntry>,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        body(&mut tx, body_id).await?;
        sqlx::query("DELETE FROM body_scope WHERE body_id = $1")
            .bind(body_id)
            .execute(&mut *tx)
            .await?;
        for s in &scope {
            sqlx::query(
                "INSERT INTO body_scope (body_id, occupation_code, occupation_edition, level, \
                 certificate_kind) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(body_id)
            .bind(s.occupation.code())
            .bind(i64::from(s.occupation.edition()))
            .bind(i64::from(s.level.map_or(0, |l| l.get())))
            .bind(s.certificate_kind.code())
            .execute(&mut *tx)
            .await?;
        }
        write_audited(tx, &self.chain_key, audit).await?;
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
        rows.iter().map(scope_entry).collect()
    }
}
