//! Question banks and their items: immutable item versions, the review trail, sharing
//! a bank with a body for assembly, imports in one transaction, exports.

use async_trait::async_trait;
use serde::Serialize;

use super::Result;
use crate::domain::audit::AuditEvent;
use crate::domain::item::{ItemContent, ItemStatus, ItemType, Transition};
use crate::domain::standard::Mode;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BankInfo {
    pub id: i64,
    pub occupation_id: i64,
    pub occupation_code: String,
    pub occupation_name: String,
    pub org_id: i64,
    pub name: String,
    pub items: i64,
    pub active_items: i64,
}

/// An item to create, or a new version of the item with the same external id.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub external_id: String,
    pub level: u8,
    pub mode: Mode,
    pub point: String,
    pub content: ItemContent,
    /// `Active` for shipped and already-reviewed banks, `Draft` otherwise.
    pub status: ItemStatus,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemSummary {
    pub id: i64,
    pub bank_id: i64,
    pub external_id: String,
    pub level: u8,
    pub mode: Mode,
    pub point_code: String,
    pub item_type: ItemType,
    pub difficulty: u8,
    pub status: ItemStatus,
    pub latest_version: i64,
    pub active_version: Option<i64>,
    /// Plain text of the latest stem (no key).
    pub stem_text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemVersion {
    pub version: i64,
    pub content: ItemContent,
    pub created_by: Option<i64>,
    pub created_by_login: Option<String>,
    pub created_at_ms: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemReview {
    pub version: i64,
    pub actor: Option<String>,
    pub action: String,
    pub comment: Option<String>,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub level: Option<u8>,
    pub mode: Option<Mode>,
    pub point: Option<String>,
    pub status: Option<ItemStatus>,
    pub item_type: Option<ItemType>,
    /// Substring of the stem.
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// An exported item: its id, standard, point and the content of its active version.
#[derive(Debug, Clone)]
pub struct ExportItem {
    pub external_id: String,
    pub level: u8,
    pub mode: Mode,
    pub point: String,
    pub content: ItemContent,
}

#[async_trait]
pub trait ItemStore: Send + Sync {
    /// The bank of that name at that organisation, created if absent.
    async fn ensure_bank(
        &self,
        occupation_id: i64,
        org_id: i64,
        name: &str,
        now_ms: i64,
    ) -> Result<i64>;
    async fn banks(&self) -> Result<Vec<BankInfo>>;
    async fn bank(&self, id: i64) -> Result<BankInfo>;
    async fn share_bank(&self, bank_id: i64, body_id: i64, audit: AuditEvent) -> Result<()>;
    async fn bank_shared_with(&self, bank_id: i64) -> Result<Vec<i64>>;
    /// `dup_key → external id` of every item in the bank, for duplicate detection.
    async fn bank_dup_keys(&self, bank_id: i64) -> Result<Vec<(String, String)>>;

    /// Writes a whole import in one transaction: new external ids become items, known
    /// ones get a new version when their content changed.
    async fn import_items(
        &self,
        bank_id: i64,
        items: Vec<NewItem>,
        actor: Option<i64>,
        audit: AuditEvent,
    ) -> Result<ImportOutcome>;
    async fn items(&self, bank_id: i64, filter: ItemFilter) -> Result<Vec<ItemSummary>>;
    async fn item(&self, item_id: i64) -> Result<ItemSummary>;
    async fn item_id_by_external(&self, bank_id: i64, external_id: &str) -> Result<Option<i64>>;
    /// Every version with its content (keys included): callers audit the read.
    async fn item_versions(&self, item_id: i64) -> Result<Vec<ItemVersion>>;
    async fn item_reviews(&self, item_id: i64) -> Result<Vec<ItemReview>>;
    /// Adds a version (the item goes back to draft; its active version stays in use)
    /// and returns its number; content and point unchanged add nothing and return the
    /// latest version.
    async fn edit_item(
        &self,
        item_id: i64,
        content: ItemContent,
        point: Option<String>,
        actor: i64,
        audit: AuditEvent,
    ) -> Result<i64>;
    /// Moves the item through its life cycle; a reviewer never approves a version they
    /// wrote.
    async fn transition_item(
        &self,
        item_id: i64,
        by: Transition,
        actor: i64,
        comment: Option<String>,
        audit: AuditEvent,
    ) -> Result<ItemStatus>;
    /// Active items per assessment point of one standard.
    async fn point_counts(&self, bank_id: i64, level: u8, mode: Mode)
        -> Result<Vec<(String, i64)>>;
    async fn export_items(&self, bank_id: i64) -> Result<Vec<ExportItem>>;
}
