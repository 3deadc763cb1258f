//! What every SQL file of the store uses: the transaction and row types of the backend
//! this file is compiled for, committing an action with its audit entry, and turning
//! sqlx errors and odd column values into [`StoreError`]s.
//!
//! Like every file in `store/sql/`, this is compiled once per backend, as a module of
//! `store/sqlite.rs` and of `store/postgres.rs`.

use serde::de::DeserializeOwned;
use sqlx::Row as _;

use super::{dialect, Db};
use crate::domain::audit::{AuditEntry, AuditEvent, ChainKey};
use crate::store::dialect::Unique;
use crate::store::{Result, StoreError};

pub(super) type Tx = sqlx::Transaction<'static, Db>;
pub(super) type Row = <Db as sqlx::Database>::Row;

/// Appends `event` to the audit chain and commits: an action and its audit entry commit
/// together or not at all.
pub(super) async fn write_audited(
    mut tx: Tx,
    key: &ChainKey,
    event: AuditEvent,
) -> Result<AuditEntry> {
    let entry = super::audit::append(&mut tx, key, event).await?;
    tx.commit().await?;
    Ok(entry)
}

/// A missing row is [`StoreError::NotFound`].
pub(super) fn not_found(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        e => StoreError::Database(e),
    }
}

/// The field error a unique violation means at this call, for the constraints it can
/// hit: `(constraint, field, code)`. Any other error passes through.
pub(super) fn on_unique(
    e: sqlx::Error,
    rules: &[(Unique, &'static str, &'static str)],
) -> StoreError {
    if let Some(hit) = dialect::unique_violation(&e) {
        if let Some((_, field, code)) = rules.iter().find(|(u, _, _)| *u == hit) {
            return StoreError::Conflict { field, code };
        }
    }
    StoreError::Database(e)
}

/// A column holding something this version cannot read.
pub(super) fn bad_value(column: &str) -> StoreError {
    StoreError::Database(sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: format!("unexpected value in {column}").into(),
    })
}

/// A text column holding one of a domain type's codes (`from_code`).
pub(super) fn code<T>(r: &Row, column: &str, from_code: impl Fn(&str) -> Option<T>) -> Result<T> {
    let s: String = r.try_get(column)?;
    from_code(&s).ok_or_else(|| bad_value(column))
}

/// A nullable text column holding one of a domain type's codes.
pub(super) fn code_opt<T>(
    r: &Row,
    column: &str,
    from_code: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>> {
    let s: Option<String> = r.try_get(column)?;
    s.map(|s| from_code(&s).ok_or_else(|| bad_value(column)))
        .transpose()
}

/// A text column holding JSON.
pub(super) fn json<T: DeserializeOwned>(r: &Row, column: &str) -> Result<T> {
    let s: String = r.try_get(column)?;
    serde_json::from_str(&s).map_err(|_| bad_value(column))
}

/// A value as the JSON text a column or a batch parameter holds.
pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Database(sqlx::Error::Encode(e.into())))
}

/// An integer column holding a small number (a level, a difficulty, a position).
pub(super) fn small<T: TryFrom<i64>>(r: &Row, column: &str) -> Result<T> {
    let n: i64 = r.try_get(column)?;
    T::try_from(n).map_err(|_| bad_value(column))
}
