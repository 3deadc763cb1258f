//! The deadline sweeper: attempts are submitted at their deadline (plus grace) with
//! their last saved answers, whether or not the candidate comes back.

use std::sync::Arc;

use crate::store::Store;

/// Submits overdue attempts every second, in every process (idempotent), so an attempt
/// is submitted at its deadline with its last saved answers even if the candidate never
/// comes back.
pub fn spawn(store: Arc<dyn Store>, grace_ms: i64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match store.submit_overdue(crate::now_ms(), grace_ms).await {
                Ok(done) if !done.is_empty() => {
                    tracing::info!(attempts = done.len(), "submitted at deadline")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "deadline sweep failed"),
            }
        }
    });
}
