//! The group-commit writer (DESIGN §4): answer saves, exam starts, submissions and
//! exam-day logins queue here, and a writer task applies everything queued in one
//! durable transaction, answering each request only when that commit is done. One fsync
//! (SQLite `synchronous=FULL`) or one WAL flush (PostgreSQL `synchronous_commit=on`)
//! then acknowledges hundreds of saves instead of one.
//!
//! Written by hand: the batching is a few lines over a tokio channel; what a batch does
//! is one store call ([`crate::store::DeliveryStore::apply_exam_ops`]).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use crate::store::delivery::{ExamOp, ExamOpResult};
use crate::store::{Store, StoreError};

/// Most ops in one transaction: large enough to amortise the commit under a start
/// burst, small enough that one batch never holds the writer for long.
pub const MAX_BATCH: usize = 1024;

/// Each op's own answer: its result, or the store's error with its kind intact (a
/// `NotFound` stays a `NotFound`, not an internal error).
type Reply = oneshot::Sender<Result<ExamOpResult, StoreError>>;

#[derive(Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<(ExamOp, Reply)>,
}

impl GroupCommit {
    /// Starts `writers` writer tasks (one for SQLite, whose writes are serial anyway;
    /// a few for PostgreSQL, whose batches then overlap their commits).
    pub fn start(store: Arc<dyn Store>, writers: usize, grace_ms: i64) -> GroupCommit {
        let (tx, rx) = mpsc::channel::<(ExamOp, Reply)>(64 * 1024);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..writers.max(1) {
            let rx = rx.clone();
            let store = store.clone();
            tokio::spawn(async move {
                loop {
                    let mut batch = Vec::new();
                    {
                        let mut rx = rx.lock().await;
                        let Some(first) = rx.recv().await else { return };
                        batch.push(first);
                        while batch.len() < MAX_BATCH {
                            match rx.try_recv() {
                                Ok(job) => batch.push(job),
                                Err(_) => break,
                            }
                        }
                    }
                    run_batch(store.as_ref(), batch, grace_ms).await;
                }
            });
        }
        GroupCommit { queue: tx }
    }

    /// Queues `op` and waits for the commit that contains it.
    pub async fn submit(&self, op: ExamOp) -> Result<ExamOpResult, StoreError> {
        let (tx, rx) = oneshot::channel();
        let closed = || StoreError::Database(sqlx::Error::PoolClosed);
        self.queue.send((op, tx)).await.map_err(|_| closed())?;
        rx.await.unwrap_or_else(|_| Err(closed()))
    }
}

async fn run_batch(store: &dyn Store, mut batch: Vec<(ExamOp, Reply)>, grace_ms: i64) {
    // One lock order for every batch (see `ExamOp::lock_key`).
    batch.sort_by_key(|(op, _)| op.lock_key());
    let (ops, mut replies): (Vec<ExamOp>, Vec<Reply>) = batch.into_iter().unzip();
    let now = crate::now_ms();
    let t0 = std::time::Instant::now();
    let res = store.apply_exam_ops(&ops, now, grace_ms).await;
    // `RUST_LOG=skillcert::app::delivery::writer=debug` shows every batch: its size and
    // how long the writer held it are what the load figures in BENCHMARKS.md rest on.
    tracing::debug!(
        ops = ops.len(),
        micros = t0.elapsed().as_micros() as u64,
        "group commit"
    );
    match res {
        Ok(results) => {
            for (reply, r) in replies.into_iter().zip(results) {
                let _ = reply.send(Ok(r));
            }
        }
        Err(e) if ops.len() == 1 => {
            tracing::warn!(error = %e, "exam write failed");
            if let Some(reply) = replies.pop() {
                let _ = reply.send(Err(e));
            }
        }
        // Nothing of the batch was committed. Apply the ops one by one, so one bad op
        // (or a serialisation failure) costs only its own request; at the batch's time,
        // so a save that arrived in time is judged as in time.
        Err(e) => {
            tracing::warn!(error = %e, ops = ops.len(), "exam batch failed; retrying ops singly");
            for (op, reply) in ops.into_iter().zip(replies) {
                let r = store
                    .apply_exam_ops(std::slice::from_ref(&op), now, grace_ms)
                    .await
                    .map(|mut v| v.remove(0));
                let _ = reply.send(r);
            }
        }
    }
}
