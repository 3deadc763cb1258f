//! The audit log: reading it (regulator only) and checking its hash chain.

use crate::app::{App, Error, Result};
use crate::domain::audit::{Anchor, AuditEntry, ChainBreak, ChainKey, ChainVerifier};
use crate::domain::policy::{decide, Action, Principal};
use crate::store::{AuditQuery, Store, StoreError};

/// The newest entries that match `q` first, for the audit page (at most 1,000).
pub async fn search(app: &App, p: &Principal, mut q: AuditQuery) -> Result<Vec<AuditEntry>> {
    decide(p, Action::ViewAudit, &p.home_org).map_err(|_| Error::Forbidden)?;
    q.limit = q.limit.clamp(1, 1000);
    Ok(app.store.audit_search(&q).await?)
}

/// Entries after a sequence number, in order (API clients page through the log).
pub async fn after(
    app: &App,
    p: &Principal,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    decide(p, Action::ViewAudit, &p.home_org).map_err(|_| Error::Forbidden)?;
    Ok(app
        .store
        .audit_page(after_seq, limit.clamp(1, 1000), None)
        .await?)
}

/// Walks the whole chain in pages and checks it against its head (and the anchor, when
/// one is given): `Ok(n)` with the number of entries, or the first break.
pub async fn verify(
    store: &dyn Store,
    key: ChainKey,
    anchor: Option<Anchor>,
) -> Result<Result<i64, ChainBreak>, StoreError> {
    let mut verifier = ChainVerifier::new(key);
    if let Some(a) = anchor {
        verifier = verifier.with_anchor(a);
    }
    let mut after = 0;
    loop {
        let page = store.audit_page(after, 1000, None).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            if let Err(b) = verifier.feed(e) {
                return Ok(Err(b));
            }
        }
    }
    let (seq, hash) = store.audit_head().await?;
    Ok(verifier.finish(seq, &hash))
}

/// The chain's end as an anchor to keep outside the database (`skillcert audit anchor`).
pub async fn anchor(store: &dyn Store) -> Result<Anchor, StoreError> {
    let (seq, hash) = store.audit_head().await?;
    Ok(Anchor { seq, hash })
}
