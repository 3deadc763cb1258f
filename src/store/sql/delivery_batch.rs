//! One group commit: a batch of exam writes (saves, starts, submissions, logins) in one
//! durable transaction, with one result per op in order. The common cases travel as one
//! statement each for the whole batch (all saves, all starts, the session check, the
//! audit entries); whatever those did not settle, `apply_one` decides op by op under
//! the attempt's row lock.
//!
//! Lock order (PostgreSQL; SQLite's single writer needs no row locks): every exam write
//! locks attempt rows in one pass in ascending id order and takes no further attempt
//! locks afterwards, so no two of them wait on each other in a cycle. A batch of saves
//! only (the common case) share-locks its attempts in its one INSERT and in the slow
//! path. A batch with starts or submits, which lock exclusively, first locks all its
//! attempts exclusively in one statement, so its later share locks, start UPDATE and
//! submits find them held already. (Locking every batch up front cost PostgreSQL too
//! much under a save load: p50 15 → 108 ms.)

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::Row as _;

use super::common::{not_found, to_json, Tx};
use super::delivery::{clock, lock_attempt, submit, write_clock, CLOCK_COLUMNS};
use super::dialect;
use crate::domain::audit::{AuditEvent, ChainKey};
use crate::domain::exam::{start, AttemptStatus, Clock};
use crate::store::delivery::{Change, ExamOp, ExamOpResult};
use crate::store::Result;

/// What a batch's statements decided, for `apply_one` to answer each op from.
#[derive(Default)]
struct Batch {
    /// Attempts the batch's one start UPDATE started, with their clocks.
    started: HashMap<i64, Clock>,
    /// (attempt, position) → sequence, as the batch's one answers INSERT wrote it.
    written: HashMap<(i64, u32), i64>,
    /// Token hashes of the batch's exam sessions that are still live.
    live: HashSet<String>,
    /// Audit entries, appended once for the whole batch.
    audits: Vec<AuditEvent>,
}

pub(super) async fn apply(
    mut tx: Tx,
    key: &ChainKey,
    ops: &[ExamOp],
    now_ms: i64,
    grace_ms: i64,
) -> Result<Vec<ExamOpResult>> {
    let exclusive = ops
        .iter()
        .any(|op| matches!(op, ExamOp::Start { .. } | ExamOp::Submit { .. }));
    if exclusive && !dialect::ROW_LOCK.is_empty() {
        let mut ids: Vec<i64> = ops.iter().filter_map(ExamOp::attempt_id).collect();
        ids.sort_unstable();
        ids.dedup();
        if !ids.is_empty() {
            let sql = format!(
                "SELECT id FROM attempts WHERE id{} ORDER BY id{}",
                dialect::IN_JSON_IDS,
                dialect::ROW_LOCK
            );
            sqlx::query(&sql)
                .bind(to_json(&ids)?)
                .fetch_all(&mut *tx)
                .await?;
        }
    }
    let mut batch = Batch {
        started: start_all(&mut tx, ops, now_ms).await?,
        live: live_sessions(&mut tx, ops, now_ms).await?,
        ..Batch::default()
    };
    batch.written = write_answers(&mut tx, ops, &batch.live, now_ms, grace_ms).await?;
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        out.push(apply_one(&mut tx, op, now_ms, grace_ms, &mut batch).await?);
    }
    super::audit::append_many(&mut tx, key, batch.audits).await?;
    tx.commit().await?;
    Ok(out)
}

/// Every start of an admitted attempt in the batch, in one statement (a start burst is
/// thousands of them, and each statement is a round trip to the database): the clock
/// `exam::start` gives (deadline = now + duration + extensions granted before the
/// start). `apply_one` answers the rest (resumes, refusals) one by one.
async fn start_all(tx: &mut Tx, ops: &[ExamOp], now_ms: i64) -> Result<HashMap<i64, Clock>> {
    let ids: Vec<i64> = ops
        .iter()
        .filter_map(|op| match op {
            ExamOp::Start { attempt_id, .. } => Some(*attempt_id),
            _ => None,
        })
        .collect();
    let mut started = HashMap::new();
    if ids.is_empty() {
        return Ok(started);
    }
    let sql = format!(
        "UPDATE attempts SET status = 'in_progress', started_at_ms = $2, \
         deadline_ms = $2 + duration_ms + extension_ms \
         WHERE status = 'admitted' AND id{} RETURNING id, {CLOCK_COLUMNS}",
        dialect::IN_JSON_IDS
    );
    for row in sqlx::query(&sql)
        .bind(to_json(&ids)?)
        .bind(now_ms)
        .fetch_all(&mut **tx)
        .await?
    {
        started.insert(row.try_get::<i64, _>("id")?, clock(&row)?);
    }
    Ok(started)
}

/// The exam sessions the batch's saves came with that are still live, in one
/// statement. A logout committing meanwhile (PostgreSQL), or a login elsewhere in this
/// same batch, orders after the batch's saves: they were sent while the session was
/// live.
async fn live_sessions(tx: &mut Tx, ops: &[ExamOp], now_ms: i64) -> Result<HashSet<String>> {
    let mut sessions: Vec<&str> = ops
        .iter()
        .filter_map(|op| match op {
            ExamOp::Save { session, .. } => Some(session.as_str()),
            _ => None,
        })
        .collect();
    sessions.sort_unstable();
    sessions.dedup();
    if sessions.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "SELECT token_hash FROM exam_sessions WHERE expires_at_ms > $2 AND token_hash{}",
        dialect::IN_JSON_TEXTS
    );
    Ok(sqlx::query_scalar::<_, String>(&sql)
        .bind(to_json(&sessions)?)
        .bind(now_ms)
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .collect())
}

/// Every answer change of the batch in one statement: written only while the attempt
/// runs (as `Clock::check_save` says) and only over an older sequence. Returns the
/// written (attempt, position) → sequence; what is missing there `apply_one` decides
/// under the attempt's row lock. Saves of an attempt that the batch also submits stay
/// out, so they are judged in arrival order; saves whose exam session is not in `live`
/// stay out (`apply_one` answers them `SessionEnded`; they lock nothing). Every other
/// save's attempt row is share-locked on PostgreSQL, whether its clock lets the save in
/// or not (the sub-select returns the verdict rather than filtering the row out), in
/// ascending order (the JSON rows are walked in order): a pause or the deadline sweep
/// orders cleanly against the batch, and the slow path finds its lock already held.
async fn write_answers(
    tx: &mut Tx,
    ops: &[ExamOp],
    live: &HashSet<String>,
    now_ms: i64,
    grace_ms: i64,
) -> Result<HashMap<(i64, u32), i64>> {
    let submitted: HashSet<i64> = ops
        .iter()
        .filter_map(|op| match op {
            ExamOp::Submit { attempt_id, .. } => Some(*attempt_id),
            _ => None,
        })
        .collect();
    // The newest change per position: one statement may not upsert a row twice
    // (PostgreSQL refuses), and an older change of the same position is acknowledged by
    // the newer one being written.
    let mut newest: BTreeMap<(i64, u32), &Change> = BTreeMap::new();
    for op in ops {
        if let ExamOp::Save {
            attempt_id,
            session,
            changes,
        } = op
        {
            if submitted.contains(attempt_id) || !live.contains(session) {
                continue;
            }
            for c in changes {
                let slot = newest.entry((*attempt_id, c.position)).or_insert(c);
                if c.seq > slot.seq {
                    *slot = c;
                }
            }
        }
    }
    let mut written = HashMap::with_capacity(newest.len());
    if newest.is_empty() {
        return Ok(written);
    }
    // In attempt order, the order every exam write locks attempt rows in. The attempt is
    // checked in a correlated sub-select, so both databases walk the JSON rows and look
    // each attempt up by id: as a join, SQLite scanned the attempts for every row (a
    // 150-save batch took a second) and PostgreSQL hashed all running attempts for every
    // batch.
    let rows: Vec<serde_json::Value> = newest
        .iter()
        .map(|((a, p), c)| serde_json::json!({"a": a, "p": p, "s": c.seq, "v": c.answer}))
        .collect();
    let sql = format!(
        "INSERT INTO answers (attempt_id, position, answer, seq, saved_at_ms) \
         SELECT CAST(value ->> 'a' AS BIGINT), CAST(value ->> 'p' AS BIGINT), value ->> 'v', \
         CAST(value ->> 's' AS BIGINT), $2 FROM {} \
         WHERE (SELECT a.status = 'in_progress' AND a.deadline_ms + $3 >= $2 FROM attempts a \
         WHERE a.id = CAST(value ->> 'a' AS BIGINT){}) \
         ON CONFLICT (attempt_id, position) DO UPDATE SET answer = excluded.answer, \
         seq = excluded.seq, saved_at_ms = excluded.saved_at_ms WHERE answers.seq < excluded.seq \
         RETURNING attempt_id, position, seq",
        dialect::JSON_ROWS,
        dialect::SHARE_LOCK
    );
    let stored: Vec<(i64, i64, i64)> = sqlx::query_as(&sql)
        .bind(serde_json::Value::Array(rows).to_string())
        .bind(now_ms)
        .bind(grace_ms)
        .fetch_all(&mut **tx)
        .await?;
    for (attempt, position, seq) in stored {
        written.insert((attempt, u32::try_from(position).unwrap_or(u32::MAX)), seq);
    }
    Ok(written)
}

/// Writes one answer change unless a newer sequence is stored.
async fn write_answer(tx: &mut Tx, attempt_id: i64, c: &Change, now_ms: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO answers (attempt_id, position, answer, seq, saved_at_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (attempt_id, position) DO UPDATE \
         SET answer = excluded.answer, seq = excluded.seq, saved_at_ms = excluded.saved_at_ms \
         WHERE answers.seq < excluded.seq",
    )
    .bind(attempt_id)
    .bind(i64::from(c.position))
    .bind(&c.answer)
    .bind(c.seq)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A save the batch statement did not write all of: a replay or an older sequence (an
/// acknowledgement), or a closed clock (a refusal, kept on record). Decided under a lock
/// on the attempt's row, so a resume committing meanwhile cannot make an unwritten save
/// look acknowledged: with the clock open and locked, the changes are written again,
/// and what still is not is older than what is stored. A share lock: the batch's saves
/// hold one already, and two batches upgrading theirs to exclusive would deadlock.
async fn settle_save(
    tx: &mut Tx,
    attempt_id: i64,
    unwritten: &[&Change],
    top: i64,
    now_ms: i64,
    grace_ms: i64,
) -> Result<ExamOpResult> {
    let sql = format!(
        "SELECT {CLOCK_COLUMNS} FROM attempts a WHERE id = $1{}",
        dialect::SHARE_LOCK
    );
    let row = sqlx::query(&sql)
        .bind(attempt_id)
        .fetch_one(&mut **tx)
        .await
        .map_err(not_found)?;
    match clock(&row)?.check_save(now_ms, grace_ms) {
        Ok(()) => {
            for c in unwritten {
                write_answer(tx, attempt_id, c, now_ms).await?;
            }
            Ok(ExamOpResult::Saved {
                seq: top,
                at_ms: now_ms,
            })
        }
        Err(refusal) => {
            sqlx::query(
                "INSERT INTO save_refusals (attempt_id, seq, reason, at_ms) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(attempt_id)
            .bind(top)
            .bind(refusal.code())
            .bind(now_ms)
            .execute(&mut **tx)
            .await?;
            Ok(ExamOpResult::Refused(refusal))
        }
    }
}

/// One op of the batch, answered from what the batch statements decided where they
/// could, one by one otherwise.
async fn apply_one(
    tx: &mut Tx,
    op: &ExamOp,
    now_ms: i64,
    grace_ms: i64,
    batch: &mut Batch,
) -> Result<ExamOpResult> {
    match op {
        ExamOp::Save {
            attempt_id,
            session,
            changes,
        } => {
            if !batch.live.contains(session) {
                return Ok(ExamOpResult::SessionEnded);
            }
            let top = changes.iter().map(|c| c.seq).max().unwrap_or(0);
            // A change counts as written when its position now holds its sequence or a
            // newer one from the same commit.
            let unwritten: Vec<&Change> = changes
                .iter()
                .filter(|c| {
                    batch
                        .written
                        .get(&(*attempt_id, c.position))
                        .is_none_or(|&seq| seq < c.seq)
                })
                .collect();
            if unwritten.is_empty() {
                return Ok(ExamOpResult::Saved {
                    seq: top,
                    at_ms: now_ms,
                });
            }
            settle_save(tx, *attempt_id, &unwritten, top, now_ms, grace_ms).await
        }
        ExamOp::Start { attempt_id, audit } => {
            if let Some(clock) = batch.started.remove(attempt_id) {
                batch.audits.push(audit.clone());
                return Ok(ExamOpResult::Started(clock));
            }
            let a = lock_attempt(tx, *attempt_id).await?;
            match start(&a.clock, now_ms, a.duration_ms) {
                Ok(next) => {
                    if next != a.clock {
                        write_clock(tx, *attempt_id, &next).await?;
                        batch.audits.push(audit.clone());
                    }
                    Ok(ExamOpResult::Started(next))
                }
                Err(code) => Ok(ExamOpResult::StartRefused(code)),
            }
        }
        ExamOp::Submit { attempt_id, audit } => {
            let a = lock_attempt(tx, *attempt_id).await?;
            match a.clock.status {
                AttemptStatus::InProgress | AttemptStatus::Paused => {
                    // After the deadline the attempt counts as submitted at the deadline,
                    // with what was saved by then.
                    let at = a.clock.deadline_ms.map_or(now_ms, |d| now_ms.min(d));
                    submit(tx, *attempt_id, at, "candidate").await?;
                    batch.audits.push(audit.clone());
                    Ok(ExamOpResult::Submitted { at_ms: at })
                }
                AttemptStatus::Submitted | AttemptStatus::Terminated => {
                    let at: Option<i64> =
                        sqlx::query_scalar("SELECT submitted_at_ms FROM attempts WHERE id = $1")
                            .bind(attempt_id)
                            .fetch_one(&mut **tx)
                            .await?;
                    Ok(ExamOpResult::Submitted {
                        at_ms: at.unwrap_or(now_ms),
                    })
                }
                _ => Ok(ExamOpResult::StartRefused("attempt_not_started")),
            }
        }
        ExamOp::Login {
            candidate_id,
            token_hash,
            csrf_token,
            expires_at_ms,
            audit,
        } => {
            // One device at a time: a new login ends the candidate's other exam sessions
            // (resuming elsewhere still works: that is a login).
            sqlx::query("DELETE FROM exam_sessions WHERE candidate_id = $1")
                .bind(*candidate_id)
                .execute(&mut **tx)
                .await?;
            // A successful login clears its admission number's attempts (throttling).
            sqlx::query(
                "DELETE FROM login_attempts WHERE scope = 'exam' \
                 AND login = (SELECT admission_no FROM candidates WHERE id = $1)",
            )
            .bind(*candidate_id)
            .execute(&mut **tx)
            .await?;
            sqlx::query(
                "INSERT INTO exam_sessions (token_hash, candidate_id, csrf_token, \
                 created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash.as_str())
            .bind(*candidate_id)
            .bind(csrf_token.as_str())
            .bind(now_ms)
            .bind(*expires_at_ms)
            .execute(&mut **tx)
            .await?;
            batch.audits.push(audit.clone());
            Ok(ExamOpResult::LoggedIn)
        }
    }
}
