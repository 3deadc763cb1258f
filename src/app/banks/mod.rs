//! Question banks: who may see which bank, the pool report, sharing a bank with a body,
//! and importing files. Reading, writing and reviewing items is in [`items`]; the
//! occupation and shortage catalogues in [`catalogue`].

pub mod catalogue;
pub mod import;
pub mod items;
pub mod synthetic;

pub use items::{
    answer_text, clean, create_item, diff, edit_item, input_from_form, item_detail, items,
    transition, ItemDetail, ItemForm, ItemQuery, Keys, NewItemInput, TransitionInput, PAGE_SIZE,
};

use serde::{Deserialize, Serialize};

use self::import::{Actor, ImportOptions, ImportReport};
use crate::app::{audit_by, App, Error, Result};
use crate::domain::item::ItemStatus;
use crate::domain::org::OrgKind;
use crate::domain::policy::{decide, Action, Principal};
use crate::domain::role::Role;
use crate::domain::standard::{pool_report, Mode, PoolReport, Standard, Sufficiency};
use crate::formats::{Format, Limits};
use crate::store::items::BankInfo;
use crate::store::Org;

/// A bank and the organisation that owns it.
pub struct BankCtx {
    pub bank: BankInfo,
    pub owner: Org,
}

async fn load(app: &App, bank_id: i64) -> Result<BankCtx> {
    let bank = app.store.bank(bank_id).await?;
    let owner = app.store.org(bank.org_id).await?;
    Ok(BankCtx { bank, owner })
}

/// The bank, if the caller may do `action` on it (404 when they may not even read it).
pub async fn bank_for(app: &App, p: &Principal, bank_id: i64, action: Action) -> Result<BankCtx> {
    let ctx = load(app, bank_id).await?;
    if decide(p, Action::ReadBank, &ctx.owner.as_ref()).is_err() {
        return Err(Error::NotFound);
    }
    decide(p, action, &ctx.owner.as_ref()).map_err(|_| Error::Forbidden)?;
    Ok(ctx)
}

/// Bodies a bank is shared with may see that it exists and its pool report, never items.
async fn shared_with_callers_body(app: &App, p: &Principal, bank_id: i64) -> Result<bool> {
    let bodies = app.store.bank_shared_with(bank_id).await?;
    Ok(p.grants
        .iter()
        .any(|g| g.role == Role::BodyAdmin && g.org.body_id.is_some_and(|b| bodies.contains(&b))))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BankView {
    #[serde(flatten)]
    pub bank: BankInfo,
    pub owner_name: String,
    /// The caller may read items and keys.
    pub can_read: bool,
    pub can_author: bool,
    pub can_review: bool,
}

pub async fn list(app: &App, p: &Principal) -> Result<Vec<BankView>> {
    let mut out = Vec::new();
    for bank in app.store.banks().await? {
        let owner = app.store.org(bank.org_id).await?;
        let can_read = decide(p, Action::ReadBank, &owner.as_ref()).is_ok();
        if !can_read && !shared_with_callers_body(app, p, bank.id).await? {
            continue;
        }
        out.push(BankView {
            can_author: decide(p, Action::AuthorBank, &owner.as_ref()).is_ok(),
            can_review: decide(p, Action::ReviewBank, &owner.as_ref()).is_ok(),
            can_read,
            owner_name: owner.name,
            bank,
        });
    }
    Ok(out)
}

/// The pool report of every standard of the bank's occupation.
pub async fn pool(
    app: &App,
    p: &Principal,
    bank_id: i64,
) -> Result<(BankInfo, Vec<Standard>, Vec<PoolReport>), Error> {
    let ctx = load(app, bank_id).await?;
    if decide(p, Action::ReadBank, &ctx.owner.as_ref()).is_err()
        && !shared_with_callers_body(app, p, bank_id).await?
    {
        return Err(Error::NotFound);
    }
    let standards = app.store.standards(ctx.bank.occupation_id).await?;
    let mut reports = Vec::new();
    for s in &standards {
        let counts = app.store.point_counts(bank_id, s.level, s.mode).await?;
        reports.push(pool_report(s, Sufficiency::default(), |pt| {
            counts
                .iter()
                .find(|(c, _)| c == pt)
                .map_or(0, |(_, n)| *n as u32)
        }));
    }
    Ok((ctx.bank, standards, reports))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ImportParams {
    pub format: Option<String>,
    pub level: Option<u8>,
    pub mode: Option<String>,
    pub point: Option<String>,
    pub dry_run: Option<bool>,
    pub name: Option<String>,
}

/// Imports a file into a bank as drafts (or only checks it, `dry_run`).
pub async fn import_file(
    app: &App,
    p: &Principal,
    bank_id: i64,
    bytes: &[u8],
    params: &ImportParams,
) -> Result<ImportReport> {
    let ctx = bank_for(app, p, bank_id, Action::AuthorBank).await?;
    let format = match params.format.as_deref().filter(|f| !f.is_empty()) {
        None => Format::Auto,
        Some(f) => <Format as clap::ValueEnum>::from_str(f, true)
            .map_err(|_| Error::field("format", "import.format_invalid"))?,
    };
    let limits = Limits {
        max_bytes: 64 << 20,
        max_unpacked_bytes: 128 << 20,
        ..Limits::default()
    };
    let name = params.name.clone().unwrap_or_default();
    // Parsing is CPU work: off the async threads.
    let owned = bytes.to_vec();
    let parsed =
        tokio::task::spawn_blocking(move || crate::formats::read(format, &name, &owned, &limits))
            .await
            .map_err(|e| Error::Internal(e.into()))?;
    let mode = match params.mode.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => Some(Mode::from_code(m).ok_or_else(|| Error::field("mode", "item.mode"))?),
        None => None,
    };
    let opts = ImportOptions {
        bank_id: Some(bank_id),
        owner_org: ctx.owner.id,
        level: params.level,
        mode,
        point: params.point.clone().filter(|p| !p.is_empty()),
        status: Some(ItemStatus::Draft),
        dry_run: params.dry_run.unwrap_or(false),
    };
    Ok(import::import(
        app.store.as_ref(),
        parsed,
        &opts,
        &Actor {
            user_id: Some(p.user_id),
            label: p.login.clone(),
        },
    )
    .await?)
}

/// Who a bank is shared with, and the other bodies it could be shared with.
pub struct Sharing {
    pub shared: Vec<Org>,
    pub others: Vec<Org>,
}

/// The bank page's sharing section: `None` for those who may not share the bank.
pub async fn sharing(app: &App, p: &Principal, bank_id: i64) -> Result<Option<Sharing>> {
    let ctx = load(app, bank_id).await?;
    if decide(p, Action::ManageCatalogue, &ctx.owner.as_ref()).is_err() {
        return Ok(None);
    }
    let shared_ids = app.store.bank_shared_with(bank_id).await?;
    let bodies = app
        .store
        .orgs(crate::store::OrgFilter {
            kind: Some(OrgKind::Body),
            ..Default::default()
        })
        .await?;
    let (shared, others) = bodies
        .into_iter()
        .filter(|b| b.id != ctx.owner.id)
        .partition(|b| shared_ids.contains(&b.id));
    Ok(Some(Sharing { shared, others }))
}

pub async fn share(app: &App, p: &Principal, bank_id: i64, body_id: i64) -> Result<()> {
    let ctx = load(app, bank_id).await?;
    decide(p, Action::ManageCatalogue, &ctx.owner.as_ref()).map_err(|_| Error::Forbidden)?;
    let body = app
        .store
        .org(body_id)
        .await
        .map_err(|_| Error::field("body_id", "org.missing"))?;
    if body.kind != OrgKind::Body {
        return Err(Error::field("body_id", "org.not_a_body"));
    }
    let event = audit_by(
        p,
        "bank.share",
        "bank",
        bank_id,
        Some(body_id),
        serde_json::json!({"body_id": body_id}),
    );
    app.store.share_bank(bank_id, body_id, event).await?;
    Ok(())
}
