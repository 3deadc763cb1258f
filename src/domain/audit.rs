//! The audit chain (DESIGN §5): every entry carries the SHA-256 of the previous one, so
//! a changed, removed, inserted or reordered entry breaks the chain at a place that
//! [`ChainVerifier`] names. Pure: the store feeds entries in sequence order.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, before it is placed in the chain.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    pub at_ms: i64,
    pub actor_user_id: Option<i64>,
    /// The login (or `system`, or the attempted login name for failed logins).
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub org_id: Option<i64>,
    /// JSON object with the particulars; never passwords, tokens or document numbers.
    pub details: String,
}

/// An entry as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub org_id: Option<i64>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry: SHA-256 over the previous hash and an unambiguous (JSON array)
/// encoding of every field but the hash itself.
pub fn entry_hash(seq: i64, prev_hash: &str, e: &AuditEvent) -> String {
    let canonical = serde_json::json!([
        seq,
        prev_hash,
        e.at_ms,
        e.actor_user_id,
        e.actor,
        e.action,
        e.object_type,
        e.object_id,
        e.org_id,
        e.details
    ]);
    let mut h = Sha256::new();
    h.update(canonical.to_string().as_bytes());
    hex::encode(h.finalize())
}

impl AuditEntry {
    /// Places `event` after the entry `(prev_seq, prev_hash)`.
    pub fn chain(prev_seq: i64, prev_hash: &str, event: AuditEvent) -> AuditEntry {
        let seq = prev_seq + 1;
        let hash = entry_hash(seq, prev_hash, &event);
        AuditEntry {
            seq,
            at_ms: event.at_ms,
            actor_user_id: event.actor_user_id,
            actor: event.actor,
            action: event.action,
            object_type: event.object_type,
            object_id: event.object_id,
            org_id: event.org_id,
            details: event.details,
            prev_hash: prev_hash.to_string(),
            hash,
        }
    }

    fn event(&self) -> AuditEvent {
        AuditEvent {
            at_ms: self.at_ms,
            actor_user_id: self.actor_user_id,
            actor: self.actor.clone(),
            action: self.action.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            org_id: self.org_id,
            details: self.details.clone(),
        }
    }
}

/// The first place where the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq}: its content does not match its hash (changed)")]
    Changed { seq: i64 },
    #[error("entry {seq}: expected sequence number {expected} (an entry was removed, inserted or moved)")]
    Sequence { seq: i64, expected: i64 },
    #[error("entry {seq}: it does not follow the entry before it (an entry was removed, inserted or moved)")]
    Link { seq: i64 },
    #[error("the chain ends at entry {last} but its head records entry {head} (entries at the end were removed or added)")]
    Head { last: i64, head: i64 },
}

/// Checks entries one at a time, in the order the store returns them (by `seq`).
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
        }
    }
}

impl ChainVerifier {
    pub fn feed(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq != self.expected_seq {
            return Err(ChainBreak::Sequence {
                seq: e.seq,
                expected: self.expected_seq,
            });
        }
        if entry_hash(e.seq, &e.prev_hash, &e.event()) != e.hash {
            return Err(ChainBreak::Changed { seq: e.seq });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak::Link { seq: e.seq });
        }
        self.expected_seq += 1;
        self.prev_hash = e.hash.clone();
        Ok(())
    }

    /// Compares the end of the chain with the separately kept head, which catches
    /// removal of the newest entries.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let last = self.expected_seq - 1;
        if last != head_seq || (last > 0 && self.prev_hash != head_hash) {
            return Err(ChainBreak::Head {
                last,
                head: head_seq,
            });
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: i64) -> AuditEvent {
        AuditEvent {
            at_ms: 1_700_000_000_000 + n,
            actor_user_id: Some(1),
            actor: "admin".into(),
            action: "org.create".into(),
            object_type: "org".into(),
            object_id: n.to_string(),
            org_id: None,
            details: "{}".into(),
        }
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let (s, h) = out
                .last()
                .map_or((0, GENESIS.to_string()), |e| (e.seq, e.hash.clone()));
            out.push(AuditEntry::chain(s, &h, event(i)));
        }
        out
    }

    fn verify(entries: &[AuditEntry], head: (i64, &str)) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for e in entries {
            v.feed(e)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify(&c, (5, &c[4].hash)), Ok(5));
        assert_eq!(verify(&[], (0, GENESIS)), Ok(0));
    }

    #[test]
    fn change_delete_insert_reorder_are_named() {
        let c = chain(5);
        let head = (5, c[4].hash.as_str());

        let mut changed = c.clone();
        changed[2].details = "{\"x\":1}".into();
        assert_eq!(verify(&changed, head), Err(ChainBreak::Changed { seq: 3 }));

        let mut deleted = c.clone();
        deleted.remove(1);
        assert_eq!(
            verify(&deleted, head),
            Err(ChainBreak::Sequence {
                seq: 3,
                expected: 2
            })
        );

        // A forger who renumbers after a deletion still breaks the links.
        let mut renumbered = deleted.clone();
        for (i, e) in renumbered.iter_mut().enumerate() {
            e.seq = i as i64 + 1;
        }
        assert!(verify(&renumbered, head).is_err());

        let mut reordered = c.clone();
        reordered.swap(1, 3);
        reordered[1].seq = 2;
        reordered[3].seq = 4;
        assert!(matches!(
            verify(&reordered, head),
            Err(ChainBreak::Changed { seq: 2 })
        ));

        let mut tail_cut = c.clone();
        tail_cut.pop();
        assert_eq!(
            verify(&tail_cut, head),
            Err(ChainBreak::Head { last: 4, head: 5 })
        );
    }
}
