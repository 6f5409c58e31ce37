//! What the hourly metric roll-ups (`archive::rollup`) read from Redis: the queue registry,
//! whole hours of minute hashes, and a marker per queue of the last hour rolled up.

use std::collections::BTreeMap;

use redis::Value;

use super::{Engine, Result, hash_pairs};

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
/// Markers outlive the minute hashes (49 h); one that expires only makes the next round roll
/// up again hours it already did, which replaces rows with the same sums.
const MARKER_TTL_SECONDS: i64 = 50 * 3600;

impl Engine {
    /// Registered queue names after `after`, in name order, at most `limit`.
    pub async fn queue_names_after(&self, after: &str, limit: usize) -> Result<Vec<String>> {
        self.queue_names(&mut self.background.clone(), after, limit)
            .await
    }

    /// The start (ms) of the last hour rolled up for each queue (None: all queues), in one
    /// round trip.
    pub async fn rolled_up_hours(&self, queues: &[Option<&str>]) -> Result<Vec<Option<i64>>> {
        if queues.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for queue in queues {
            pipe.get(self.rolled_up_hour_key(*queue));
        }
        Ok(pipe.query_async(&mut self.background.clone()).await?)
    }

    pub async fn set_rolled_up_hour(&self, queue: Option<&str>, hour_ms: i64) -> Result<()> {
        redis::cmd("SET")
            .arg(self.rolled_up_hour_key(queue))
            .arg(hour_ms)
            .arg("EX")
            .arg(MARKER_TTL_SECONDS)
            .query_async::<()>(&mut self.background.clone())
            .await?;
        Ok(())
    }

    /// The last minute the maintenance loop has summed into the all-queues minute hashes.
    pub async fn all_queues_rolled_minute(&self) -> Result<Option<i64>> {
        Ok(redis::cmd("GET")
            .arg(self.keys.metrics_rolled())
            .query_async(&mut self.background.clone())
            .await?)
    }

    /// The minute hashes of each hour from `from_hour_ms` on (`hours` of them) merged into one
    /// set of fields per hour, as the scripts merge within a minute: `*_max` fields take the
    /// largest value, all others add up. Empty hours give empty maps.
    pub async fn hourly_metrics(
        &self,
        queue: Option<&str>,
        from_hour_ms: i64,
        hours: usize,
    ) -> Result<Vec<BTreeMap<String, i64>>> {
        let first_minute = from_hour_ms.div_euclid(MINUTE_MS);
        let minutes_per_hour = (HOUR_MS / MINUTE_MS) as usize;
        let mut pipe = redis::pipe();
        for minute in (first_minute..).take(hours * minutes_per_hour) {
            let key = match queue {
                Some(queue) => self.keys.queue_metrics(queue, minute),
                None => self.keys.all_metrics(minute),
            };
            pipe.cmd("HGETALL").arg(key);
        }
        let replies: Vec<Value> = pipe.query_async(&mut self.background.clone()).await?;
        let mut merged = vec![BTreeMap::new(); hours];
        for (i, reply) in replies.into_iter().enumerate() {
            let hour = &mut merged[i / minutes_per_hour];
            for (field, value) in hash_pairs(reply)? {
                let value: i64 = String::from_utf8_lossy(&value).parse().unwrap_or(0);
                let total = hour.entry(field.clone()).or_insert(0);
                if field.ends_with("_max") {
                    *total = (*total).max(value);
                } else {
                    *total += value;
                }
            }
        }
        Ok(merged)
    }

    fn rolled_up_hour_key(&self, queue: Option<&str>) -> String {
        match queue {
            Some(queue) => format!("{}metrics:rolled_hour", self.keys.queue(queue).base),
            None => format!("{}_hour", self.keys.metrics_rolled()),
        }
    }
}
