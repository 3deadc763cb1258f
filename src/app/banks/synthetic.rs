//! The synthetic bank the load generator plans against: occupation 9-99-99-99, clearly
//! labelled, never a real one. Regulator only.

use crate::app::{audit_by, App, Error, Result};
use crate::domain::item::ItemStatus;
use crate::domain::policy::Principal;

use super::import::{import, Actor, ImportOptions};

/// Creates (or refreshes) the synthetic bank of `items` items and shares it with
/// `share_with`; returns the bank and how many items were new.
pub async fn create(
    app: &App,
    p: &Principal,
    items: usize,
    share_with: Option<i64>,
) -> Result<(i64, u64)> {
    if !p.is_regulator_admin() || !(100..=200_000).contains(&items) {
        return Err(Error::field("items", "field.range"));
    }
    // The body to share with is checked before anything is written: a wrong id must
    // change nothing (found by the API fuzzer: it made the bank, then failed with 500).
    if let Some(body) = share_with {
        let org = match app.store.org(body).await {
            Err(crate::store::StoreError::NotFound) => {
                return Err(Error::field("share_with", "org.missing"))
            }
            other => other?,
        };
        if org.kind != crate::domain::org::OrgKind::Body {
            return Err(Error::field("share_with", "org.not_a_body"));
        }
    }
    let regulator = crate::app::orgs::regulator(app.store.as_ref()).await?;
    let files: Vec<(String, Vec<u8>)> = crate::synth::bank_files(items, 1)
        .into_iter()
        .map(|(n, c)| (n, c.into_bytes()))
        .collect();
    let mut parsed = crate::formats::own::read_files(&files, &crate::formats::Limits::default());
    parsed.validate_items();
    let opts = ImportOptions {
        owner_org: regulator.id,
        status: Some(ItemStatus::Active),
        ..Default::default()
    };
    let actor = Actor {
        user_id: Some(p.user_id),
        label: p.login.clone(),
    };
    let report = import(app.store.as_ref(), parsed, &opts, &actor).await?;
    let bank_id = report.bank_id.ok_or_else(|| {
        Error::Internal(anyhow::anyhow!(
            "synthetic import made no bank: {:?}",
            report.errors.first()
        ))
    })?;
    if let Some(body) = share_with {
        if !app.store.bank_shared_with(bank_id).await?.contains(&body) {
            let event = audit_by(
                p,
                "bank.share",
                "bank",
                bank_id,
                Some(body),
                serde_json::json!({"body_id": body}),
            );
            app.store.share_bank(bank_id, body, event).await?;
        }
    }
    Ok((bank_id, report.outcome.map_or(0, |o| o.created)))
}
