//! The audit chain (DESIGN §5): every entry carries the hash of the previous one, so a
//! changed, removed, inserted or reordered entry breaks the chain at a place that
//! [`ChainVerifier`] names. The hash is keyed (HMAC-SHA-256 with a [`ChainKey`] derived
//! from the master key, which is not in the database), so someone who can write the
//! database cannot recompute a consistent chain after a change. Cutting entries off the
//! end and moving the head back is caught by an anchor kept elsewhere: the `(seq, hash)`
//! that `skillcert audit anchor` prints must still be in the chain. Pure: the store
//! feeds entries in sequence order.

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The key of the audit chain's hashes.
#[derive(Clone)]
pub struct ChainKey([u8; 32]);

impl ChainKey {
    pub fn new(bytes: [u8; 32]) -> ChainKey {
        ChainKey(bytes)
    }
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(..)")
    }
}

/// The action of the entry that records a chain's move from plain to keyed hashes. A
/// chain holds at most one: a second would mean someone reverted the chain to plain
/// hashes to have it re-keyed over their changes.
pub const CHAIN_KEYED: &str = "audit.chain_keyed";

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

/// An unambiguous (JSON array) encoding of the previous hash and every field of the
/// entry but its own hash.
fn canonical(seq: i64, prev_hash: &str, e: &AuditEvent) -> String {
    serde_json::json!([
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
    ])
    .to_string()
}

/// The keyed hash of an entry: HMAC-SHA-256 of its canonical encoding.
pub fn entry_hash(key: &ChainKey, seq: i64, prev_hash: &str, e: &AuditEvent) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.0).expect("any key length");
    mac.update(canonical(seq, prev_hash, e).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The plain SHA-256 hash chains had before they were keyed: read only to check an old
/// chain before it is re-keyed.
pub fn plain_entry_hash(seq: i64, prev_hash: &str, e: &AuditEvent) -> String {
    let mut h = Sha256::new();
    h.update(canonical(seq, prev_hash, e).as_bytes());
    hex::encode(h.finalize())
}

/// How a verifier hashes: keyed, or plain (old chains, before re-keying).
#[derive(Clone, Debug)]
enum Hashing {
    Keyed(ChainKey),
    Plain,
}

impl Hashing {
    fn hash(&self, seq: i64, prev_hash: &str, e: &AuditEvent) -> String {
        match self {
            Hashing::Keyed(k) => entry_hash(k, seq, prev_hash, e),
            Hashing::Plain => plain_entry_hash(seq, prev_hash, e),
        }
    }
}

impl AuditEntry {
    /// Places `event` after the entry `(prev_seq, prev_hash)`.
    pub fn chain(key: &ChainKey, prev_seq: i64, prev_hash: &str, event: AuditEvent) -> AuditEntry {
        let seq = prev_seq + 1;
        let hash = entry_hash(key, seq, prev_hash, &event);
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

    /// The entry as an event (to hash it again).
    pub fn event(&self) -> AuditEvent {
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
    #[error("entry {seq}: the chain was re-keyed a second time (someone reverted it to plain hashes to launder a change)")]
    Rekeyed { seq: i64 },
    #[error("the anchor names entry {seq} with another hash, or an entry the chain no longer has (entries were removed or the chain rewritten)")]
    Anchor { seq: i64 },
}

/// A `(seq, hash)` of the chain kept outside the database (`skillcert audit anchor`),
/// written `seq:hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for Anchor {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Anchor, &'static str> {
        let (seq, hash) = s.trim().split_once(':').ok_or("expected seq:hash")?;
        let seq = seq
            .parse()
            .map_err(|_| "the sequence number is not a number")?;
        let valid = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err("the hash is not 64 hex characters");
        }
        Ok(Anchor {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// Checks entries one at a time, in the order the store returns them (by `seq`).
#[derive(Debug)]
pub struct ChainVerifier {
    hashing: Hashing,
    expected_seq: i64,
    prev_hash: String,
    rekeyed_at: Option<i64>,
    anchor: Option<Anchor>,
    anchor_seen: bool,
}

impl ChainVerifier {
    /// A verifier of a keyed chain.
    pub fn new(key: ChainKey) -> ChainVerifier {
        ChainVerifier::with(Hashing::Keyed(key))
    }

    /// A verifier of an old, plain chain (before it is re-keyed).
    pub fn plain() -> ChainVerifier {
        ChainVerifier::with(Hashing::Plain)
    }

    fn with(hashing: Hashing) -> ChainVerifier {
        ChainVerifier {
            hashing,
            expected_seq: 1,
            prev_hash: GENESIS.to_string(),
            rekeyed_at: None,
            anchor: None,
            anchor_seen: false,
        }
    }

    /// Also requires the chain to hold `anchor` (an entry with that sequence and hash).
    pub fn with_anchor(mut self, anchor: Anchor) -> ChainVerifier {
        self.anchor_seen = anchor.seq == 0 && anchor.hash == GENESIS;
        self.anchor = Some(anchor);
        self
    }

    pub fn feed(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq != self.expected_seq {
            return Err(ChainBreak::Sequence {
                seq: e.seq,
                expected: self.expected_seq,
            });
        }
        if self.hashing.hash(e.seq, &e.prev_hash, &e.event()) != e.hash {
            return Err(ChainBreak::Changed { seq: e.seq });
        }
        if e.action == CHAIN_KEYED {
            if self.rekeyed_at.is_some() {
                return Err(ChainBreak::Rekeyed { seq: e.seq });
            }
            self.rekeyed_at = Some(e.seq);
        }
        if let Some(a) = &self.anchor {
            if a.seq == e.seq {
                if a.hash != e.hash {
                    return Err(ChainBreak::Anchor { seq: a.seq });
                }
                self.anchor_seen = true;
            }
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
        if let Some(a) = &self.anchor {
            if !self.anchor_seen {
                return Err(ChainBreak::Anchor { seq: a.seq });
            }
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

    fn key() -> ChainKey {
        ChainKey::new([7; 32])
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let (s, h) = out
                .last()
                .map_or((0, GENESIS.to_string()), |e| (e.seq, e.hash.clone()));
            out.push(AuditEntry::chain(&key(), s, &h, event(i)));
        }
        out
    }

    fn verify(entries: &[AuditEntry], head: (i64, &str)) -> Result<i64, ChainBreak> {
        verify_with(ChainVerifier::new(key()), entries, head)
    }

    fn verify_with(
        mut v: ChainVerifier,
        entries: &[AuditEntry],
        head: (i64, &str),
    ) -> Result<i64, ChainBreak> {
        for e in entries {
            v.feed(e)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn a_chain_recomputed_without_the_key_is_caught() {
        // Someone with write access to the database changes entry 2 and recomputes every
        // hash after it, as a plain chain would allow, then moves the head.
        let mut c = chain(4);
        c[1].details = "{\"forged\":true}".into();
        let mut prev = c[0].hash.clone();
        for e in c.iter_mut().skip(1) {
            e.prev_hash = prev.clone();
            e.hash = plain_entry_hash(e.seq, &prev, &e.event());
            prev = e.hash.clone();
        }
        assert_eq!(
            verify(&c, (4, c[3].hash.as_str())),
            Err(ChainBreak::Changed { seq: 2 })
        );
        // With another key the whole chain fails at its first entry.
        let other = ChainVerifier::new(ChainKey::new([8; 32]));
        let good = chain(2);
        assert_eq!(
            verify_with(other, &good, (2, good[1].hash.as_str())),
            Err(ChainBreak::Changed { seq: 1 })
        );
    }

    #[test]
    fn an_anchor_catches_a_cut_end_with_the_head_moved_back() {
        let c = chain(5);
        let anchor: Anchor = format!("4:{}", c[3].hash).parse().unwrap();
        assert_eq!(anchor.to_string(), format!("4:{}", c[3].hash));
        let v = ChainVerifier::new(key()).with_anchor(anchor.clone());
        assert_eq!(verify_with(v, &c, (5, c[4].hash.as_str())), Ok(5));
        // Entries 4 and 5 removed, the head moved back to entry 3: consistent, but the
        // anchor is gone.
        let cut = &c[..3];
        assert_eq!(verify(cut, (3, cut[2].hash.as_str())), Ok(3));
        let v = ChainVerifier::new(key()).with_anchor(anchor);
        assert_eq!(
            verify_with(v, cut, (3, cut[2].hash.as_str())),
            Err(ChainBreak::Anchor { seq: 4 })
        );
        assert!("4:xyz".parse::<Anchor>().is_err());
    }

    #[test]
    fn a_second_rekeying_is_named() {
        let mut events: Vec<AuditEvent> = (0..3).map(event).collect();
        events[0].action = CHAIN_KEYED.into();
        events[2].action = CHAIN_KEYED.into();
        let mut c: Vec<AuditEntry> = Vec::new();
        for e in events {
            let (s, h) = c
                .last()
                .map_or((0, GENESIS.to_string()), |x| (x.seq, x.hash.clone()));
            c.push(AuditEntry::chain(&key(), s, &h, e));
        }
        assert_eq!(
            verify(&c, (3, c[2].hash.as_str())),
            Err(ChainBreak::Rekeyed { seq: 3 })
        );
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
