//! The catalogue: occupations of the national classification with their levels and
//! certificate kinds, the province's dated shortage catalogues, and the standards
//! (认定要素细目表) per occupation × level × mode.

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::domain::audit::AuditEvent;
use crate::domain::standard::Standard;
use crate::formats::OccupationEntry;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Occupation {
    pub id: i64,
    pub code: String,
    pub edition: i64,
    pub name: String,
    pub name_en: Option<String>,
    pub levels: Vec<u8>,
    pub certificate_kinds: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShortageCatalogue {
    pub id: i64,
    pub name: String,
    pub valid_from: String,
    pub valid_to: String,
    pub occupations: Vec<Occupation>,
}

#[async_trait]
pub trait CatalogueStore: Send + Sync {
    /// Creates the occupation or updates its names, levels and certificate kinds.
    async fn upsert_occupation(&self, entry: &OccupationEntry, now_ms: i64) -> Result<Occupation>;
    async fn occupations(&self) -> Result<Vec<Occupation>>;
    async fn occupation(&self, id: i64) -> Result<Occupation>;
    async fn create_shortage_catalogue(
        &self,
        name: &str,
        valid_from: &str,
        valid_to: &str,
        occupation_ids: &[i64],
        audit: AuditEvent,
    ) -> Result<i64>;
    /// Catalogues in force on `date` (YYYY-MM-DD), newest first.
    async fn shortage_catalogues(&self, date: &str) -> Result<Vec<ShortageCatalogue>>;

    /// Creates or replaces the standard of an occupation × level × mode.
    async fn put_standard(
        &self,
        occupation_id: i64,
        standard: &Standard,
        audit: AuditEvent,
    ) -> Result<()>;
    async fn standards(&self, occupation_id: i64) -> Result<Vec<Standard>>;
}
