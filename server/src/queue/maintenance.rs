//! The background loop: promote due jobs, end expired leases, drop completed and cancelled jobs
//! past retention, roll up metrics across queues. Safe on every replica at once (each step is an
//! atomic script or idempotent); a Redis lock only keeps replicas from doing the same work twice.

use std::sync::Arc;
use std::time::Duration;

use redis::Value;
use tokio_util::sync::CancellationToken;

use super::{Engine, Meta, Result, array, int, random_token, text};

/// Jobs of each kind one script call may move; keeps every call to a few milliseconds.
const BATCH: usize = 200;
/// Queues whose scripts go in one pipeline.
const QUEUES_PER_ROUND: usize = 500;
/// Rounds per queue per tick when a backlog remains, so one tick stays bounded.
const MAX_ROUNDS: usize = 20;

/// Pruning finished jobs is not urgent: every this many ticks.
const PRUNE_EVERY_TICKS: u64 = 20;

pub async fn run_maintenance(engine: Arc<Engine>, interval: Duration, shutdown: CancellationToken) {
    let holder = random_token();
    for tick in 0_u64.. {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        let prune = tick % PRUNE_EVERY_TICKS == 0;
        // Stopping mid-pass is safe: every step is an atomic script and the lock expires.
        tokio::select! {
            _ = shutdown.cancelled() => return,
            result = crate::metrics::loop_pass("maintenance", engine.maintain(&holder, interval * 4, prune)) => {
                if let Err(error) = result {
                    tracing::warn!(%error, "maintenance pass failed");
                }
            }
        }
    }
}

impl Engine {
    async fn hold_lock(&self, holder: &str, ttl: Duration) -> Result<bool> {
        let mut conn = self.background.clone();
        let key = self.keys.maintenance_lock();
        let taken: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(holder)
            .arg("NX")
            .arg("PX")
            .arg(ttl.as_millis() as u64)
            .query_async(&mut conn)
            .await?;
        if taken.is_some() {
            return Ok(true);
        }
        let current: Option<String> = redis::cmd("GET").arg(&key).query_async(&mut conn).await?;
        if current.as_deref() != Some(holder) {
            return Ok(false);
        }
        redis::cmd("PEXPIRE")
            .arg(&key)
            .arg(ttl.as_millis() as u64)
            .query_async::<()>(&mut conn)
            .await?;
        Ok(true)
    }

    /// One maintenance pass over every queue with due work, if this replica holds the lock.
    pub async fn maintain(&self, holder: &str, lock_ttl: Duration, prune: bool) -> Result<()> {
        if !self.hold_lock(holder, lock_ttl).await? {
            return Ok(());
        }
        if let Err(error) = self.roll_up_metrics().await {
            tracing::warn!(%error, "metrics roll-up failed");
        }
        let mut after = String::new();
        loop {
            let names = self
                .queue_names(&mut self.background.clone(), &after, QUEUES_PER_ROUND)
                .await?;
            let mut backlog = self.queues_with_work(&names, prune).await?;
            for _ in 0..MAX_ROUNDS {
                if backlog.is_empty() {
                    break;
                }
                backlog = self.maintain_queues(&backlog, prune).await?;
            }
            match names.last() {
                Some(last) if names.len() == QUEUES_PER_ROUND => after = last.clone(),
                _ => return Ok(()),
            }
        }
    }

    /// The queues that have jobs to promote, leases to watch, or (when pruning) finished jobs,
    /// read from their counts in one round trip; idle queues cost no script call.
    async fn queues_with_work<'a>(&self, names: &'a [String], prune: bool) -> Result<Vec<&'a str>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = names
            .iter()
            .map(|name| self.keys.queue_meta(name))
            .collect();
        let metas: Vec<Option<String>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut self.background.clone())
            .await?;
        Ok(names
            .iter()
            .zip(metas)
            .filter(|(_, meta)| {
                let counts = Meta::parse(meta.as_deref().unwrap_or_default()).counts;
                counts.scheduled + counts.retry + counts.active > 0
                    || (prune && counts.completed + counts.cancelled > 0)
            })
            .map(|(name, _)| name.as_str())
            .collect())
    }

    /// Runs the maintenance script on each queue in one round trip; returns the queues that
    /// still have due work.
    async fn maintain_queues<'a>(&self, queues: &[&'a str], prune: bool) -> Result<Vec<&'a str>> {
        let mut pipe = redis::pipe();
        for queue in queues {
            let mut call = self.scripts.maintain.call(&self.keys.queue(queue));
            call.arg(BATCH)
                .arg(rand::random_range(0..1_u32 << 20))
                .arg(self.config.completed_retention.as_millis() as u64)
                .arg(if prune { 1 } else { 0 });
            pipe.add_command(call);
        }
        let replies: Vec<Value> = self
            .scripts
            .query_pipeline(&mut self.background.clone(), &pipe)
            .await?;
        let mut backlog = Vec::new();
        let mut pruned = Vec::new();
        for (queue, reply) in queues.iter().zip(replies) {
            let mut parts = array(reply)?.into_iter();
            let promoted = parts.next().map(int).transpose()?.unwrap_or(0);
            let expired = parts.next().map(int).transpose()?.unwrap_or(0);
            let more = parts.next().map(int).transpose()?.unwrap_or(0);
            for id in parts {
                pruned.push(text(id)?);
            }
            if promoted > 0 {
                self.waiters.wake(queue);
            }
            if promoted > 0 || expired > 0 {
                tracing::debug!(queue, promoted, expired, "maintenance moved jobs");
            }
            if more == 1 {
                backlog.push(*queue);
            }
        }
        self.forget_ids(&mut self.background.clone(), &pruned)
            .await?;
        Ok(backlog)
    }
}
