//! The two caches of exam delivery. Both hold only what does not change (DESIGN §4):
//! a generated paper, an item version, and the fixed part of an exam-day session (its
//! candidate, attempt, CSRF token and expiry); whether a session is still live is
//! checked by the writer in the save's own transaction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::paper_view::{CachedPaper, Slot};
use crate::app::{Error, Result};
use crate::domain::item::ItemContent;
use crate::store::delivery::ExamIdentity;
use crate::store::Store;

/// Exam-day sessions by token hash, for answer saves (thousands a second at an exam's
/// peak). Once a session has its attempt (created when the roster closes), what it maps
/// to (candidate, attempt, CSRF token, expiry) never changes, so a save takes it from
/// here instead of a database read; whether the session is still live (not logged out,
/// not replaced by a login on another device, not expired) the writer checks in the
/// save's own transaction (`ExamOp::Save`), so a session ended in any server process
/// ends its saves from the next group commit on. Every other exam request reads the
/// session from the database and refreshes or drops its entry here. A request racing a
/// logout may put an ended session back; the writer refuses its saves all the same, and
/// the refusal drops it again. Sessions without an attempt are not kept.
#[derive(Default)]
pub struct ExamSessionCache {
    sessions: Mutex<HashMap<String, ExamIdentity>>,
}

/// At this many sessions the expired ones are dropped, and if that leaves more than half,
/// all of them (they are read again on the next save): a bounded map, and at most one
/// sweep per `EXAM_SESSION_CACHE_LIMIT / 2` new sessions.
const EXAM_SESSION_CACHE_LIMIT: usize = 100_000;

impl ExamSessionCache {
    /// The exam session of a request: for an answer save from the cache if it is there,
    /// otherwise read from the database, and the cache refreshed with what was read.
    pub async fn identity(
        &self,
        store: &dyn Store,
        hash: &str,
        now_ms: i64,
        for_save: bool,
    ) -> Result<Option<ExamIdentity>, Error> {
        if for_save {
            let cached = self
                .sessions
                .lock()
                .expect("cache lock")
                .get(hash)
                .filter(|who| who.expires_at_ms > now_ms)
                .cloned();
            if cached.is_some() {
                return Ok(cached);
            }
        }
        let who = store.exam_identity(hash, now_ms).await?;
        match &who {
            Some(w) => self.remember(w, now_ms),
            None => self.forget(hash),
        }
        Ok(who)
    }

    fn remember(&self, who: &ExamIdentity, now_ms: i64) {
        if who.attempt_id.is_none() {
            return;
        }
        let mut sessions = self.sessions.lock().expect("cache lock");
        if sessions.contains_key(&who.token_hash) {
            return;
        }
        if sessions.len() >= EXAM_SESSION_CACHE_LIMIT {
            sessions.retain(|_, w| w.expires_at_ms > now_ms);
            if sessions.len() > EXAM_SESSION_CACHE_LIMIT / 2 {
                sessions.clear();
            }
        }
        sessions.insert(who.token_hash.clone(), who.clone());
    }

    pub fn forget(&self, hash: &str) {
        self.sessions.lock().expect("cache lock").remove(hash);
    }
}

/// Generated papers and item versions are immutable, so they are cached (DESIGN §4:
/// caches hold only immutable data); every process may hold its own copy. Bounded:
/// cleared when it grows past its limit.
#[derive(Default)]
pub struct PaperCache {
    papers: Mutex<HashMap<i64, Arc<CachedPaper>>>,
    items: Mutex<HashMap<(i64, i64), Arc<ItemContent>>>,
}

const PAPER_CACHE_LIMIT: usize = 50_000;

impl PaperCache {
    pub async fn get(&self, store: &dyn Store, attempt_id: i64) -> Result<Arc<CachedPaper>, Error> {
        if let Some(p) = self.papers.lock().expect("cache lock").get(&attempt_id) {
            return Ok(p.clone());
        }
        let rec = store.attempt(attempt_id).await?;
        let paper = Arc::new(
            self.build(store, attempt_id, &rec.paper, rec.duration_ms)
                .await?,
        );
        let mut papers = self.papers.lock().expect("cache lock");
        if papers.len() > PAPER_CACHE_LIMIT {
            papers.clear();
        }
        papers.insert(attempt_id, paper.clone());
        Ok(paper)
    }

    /// A paper built from its record, through the item cache but without keeping the
    /// paper itself (scoring a whole plan reads each paper once).
    pub async fn build(
        &self,
        store: &dyn Store,
        attempt_id: i64,
        paper: &crate::domain::assembly::Paper,
        duration_ms: i64,
    ) -> Result<CachedPaper, Error> {
        let missing: Vec<(i64, i64)> = {
            let items = self.items.lock().expect("cache lock");
            paper
                .items
                .iter()
                .map(|i| (i.item_id, i.version))
                .filter(|k| !items.contains_key(k))
                .collect()
        };
        if !missing.is_empty() {
            let loaded = store.item_contents(&missing).await?;
            let mut items = self.items.lock().expect("cache lock");
            if items.len() > PAPER_CACHE_LIMIT {
                items.clear();
            }
            for (k, c) in loaded {
                items.insert(k, Arc::new(c));
            }
        }
        let slots = {
            let items = self.items.lock().expect("cache lock");
            paper
                .items
                .iter()
                .map(|it| {
                    Some(Slot {
                        item_id: it.item_id,
                        content: items.get(&(it.item_id, it.version))?.clone(),
                        points: it.points,
                        option_order: it.option_order.clone().into_boxed_slice(),
                    })
                })
                .collect::<Option<Vec<_>>>()
                .ok_or(Error::NotFound)?
        };
        Ok(CachedPaper {
            attempt_id,
            duration_ms,
            total_points: paper.total_points,
            slots,
        })
    }
}
