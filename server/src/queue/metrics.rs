//! Per-minute queue metrics: the scripts write one hash per queue per minute (see
//! `lua/prelude.lua`); here they are read back as chart series and live rates, and rolled up
//! across queues so an all-queues chart reads one hash per minute.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::redis_conn::RedisConn;
use redis::Value;
use zenith_proto::v1::{DurationSummary, MetricPoint, QueueRates};

use super::{Engine, Result, hash_pairs, proto_duration, timestamp_from_ms};

const MINUTE_MS: i64 = 60_000;
const HOUR_MINUTES: i64 = 60;
/// The longest range kept per minute; the hashes live a little longer (49 h, in the prelude).
/// Older minutes are in SQL, rolled up by the hour (`archive::rollup`).
pub const MAX_MINUTES: i64 = 48 * 60;
/// Buckets of a duration summary; bucket k holds durations of k binary digits in ms.
const BUCKETS: usize = 32;
/// Minute hashes live this long; matches `METRICS_TTL_S` in the prelude.
const TTL_SECONDS: i64 = 49 * 3600;
/// A minute is rolled up once Redis's clock is this far past its end, so no script run (each
/// reads the clock as it starts) can still write it, even with some clock skew in a cluster.
const ROLL_UP_GRACE_MS: i64 = 5_000;
/// Minutes one maintenance pass rolls up, so catching up after downtime stays bounded.
const ROLL_UP_MINUTES_PER_PASS: i64 = 5;
/// Minutes after the last roll-up an all-queues read sums live, queue by queue; older ones
/// only lag when the maintenance loop is behind, and read as rolled up so far.
const LIVE_MINUTES: i64 = 5;
/// Queues whose minute hashes go in one pipeline.
const QUEUES_PER_PIPELINE: usize = 500;

/// Durations seen in an interval: count, sum and max in ms, and the power-of-two histogram.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub count: i64,
    pub sum_ms: i64,
    pub max_ms: i64,
    pub buckets: [i64; BUCKETS],
}

impl Summary {
    fn add(&mut self, other: &Summary) {
        self.count += other.count;
        self.sum_ms += other.sum_ms;
        self.max_ms = self.max_ms.max(other.max_ms);
        for (mine, theirs) in self.buckets.iter_mut().zip(other.buckets) {
            *mine += theirs;
        }
    }

    /// The q-quantile in ms, interpolated inside its bucket and never above the max.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = q * self.count as f64;
        let mut seen = 0.0;
        for (digits, &n) in self.buckets.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let n = n as f64;
            if seen + n >= rank {
                let (low, high) = match digits {
                    0 => (0.0, 0.0),
                    d => (2_f64.powi(d as i32 - 1), 2_f64.powi(d as i32) - 1.0),
                };
                let within = ((rank - seen) / n).clamp(0.0, 1.0);
                return (low + (high - low) * within).min(self.max_ms as f64);
            }
            seen += n;
        }
        self.max_ms as f64
    }

    /// Durations below 2^`digits` ms: the buckets up to `digits`, for cumulative histograms.
    pub fn below_power_of_two_ms(&self, digits: usize) -> i64 {
        self.buckets.iter().take(digits + 1).sum()
    }

    fn to_proto(&self) -> DurationSummary {
        let ms = |ms: f64| proto_duration(Duration::from_secs_f64(ms.max(0.0) / 1000.0));
        let mean = if self.count > 0 {
            self.sum_ms as f64 / self.count as f64
        } else {
            0.0
        };
        DurationSummary {
            count: self.count,
            mean: Some(ms(mean)),
            max: Some(ms(self.max_ms as f64)),
            p50: Some(ms(self.quantile_ms(0.5))),
            p95: Some(ms(self.quantile_ms(0.95))),
        }
    }

    fn set(&mut self, suffix: &str, value: i64) {
        match suffix {
            "n" => self.count = value,
            "sum" => self.sum_ms = value,
            "max" => self.max_ms = value,
            _ => {
                if let Some(bucket) = suffix
                    .strip_prefix('b')
                    .and_then(|digits| digits.parse::<usize>().ok())
                    .filter(|&digits| digits < BUCKETS)
                {
                    self.buckets[bucket] = value;
                }
            }
        }
    }

    fn fields(&self, kind: &str, out: &mut Vec<(String, i64)>) {
        if self.count == 0 {
            return;
        }
        out.push((format!("{kind}_n"), self.count));
        out.push((format!("{kind}_sum"), self.sum_ms));
        out.push((format!("{kind}_max"), self.max_ms));
        for (digits, &n) in self.buckets.iter().enumerate() {
            if n > 0 {
                out.push((format!("{kind}_b{digits}"), n));
            }
        }
    }
}

/// What one queue (or all, summed) did in an interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counters {
    pub enqueued: i64,
    pub completed: i64,
    pub failed: i64,
    pub retried: i64,
    pub wait: Summary,
    pub run: Summary,
}

impl Counters {
    /// From a minute hash as the scripts write it; unknown fields are ignored.
    fn from_hash(value: Value) -> Result<Self> {
        let mut counters = Counters::default();
        for (field, value) in hash_pairs(value)? {
            let value: i64 = String::from_utf8_lossy(&value).parse().unwrap_or(0);
            counters.set(&field, value);
        }
        Ok(counters)
    }

    /// From an hourly roll-up, which has the minute hashes' field names.
    fn from_fields(fields: &BTreeMap<String, i64>) -> Self {
        let mut counters = Counters::default();
        for (field, &value) in fields {
            counters.set(field, value);
        }
        counters
    }

    fn set(&mut self, field: &str, value: i64) {
        match field {
            "enqueued" => self.enqueued = value,
            "completed" => self.completed = value,
            "failed" => self.failed = value,
            "retried" => self.retried = value,
            other => match other.split_once('_') {
                Some(("wait", suffix)) => self.wait.set(suffix, value),
                Some(("run", suffix)) => self.run.set(suffix, value),
                _ => {}
            },
        }
    }

    pub fn add(&mut self, other: &Counters) {
        self.enqueued += other.enqueued;
        self.completed += other.completed;
        self.failed += other.failed;
        self.retried += other.retried;
        self.wait.add(&other.wait);
        self.run.add(&other.run);
    }

    fn is_empty(&self) -> bool {
        *self == Counters::default()
    }

    /// The hash fields to write for a rolled-up minute, zeros left out.
    fn fields(&self) -> Vec<(String, i64)> {
        let mut out: Vec<(String, i64)> = [
            ("enqueued", self.enqueued),
            ("completed", self.completed),
            ("failed", self.failed),
            ("retried", self.retried),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| (name.to_owned(), n))
        .collect();
        self.wait.fields("wait", &mut out);
        self.run.fields("run", &mut out);
        out
    }

    fn to_point(&self, start_minute: i64) -> MetricPoint {
        MetricPoint {
            start: Some(timestamp_from_ms(start_minute * MINUTE_MS)),
            enqueued: self.enqueued,
            completed: self.completed,
            failed: self.failed,
            retried: self.retried,
            wait: Some(self.wait.to_proto()),
            run: Some(self.run.to_proto()),
        }
    }
}

/// The first minute of a series, and the first read from Redis: the series' start, or the
/// oldest minute Redis keeps, rounded up to an hour when older hours come from roll-ups.
fn window(now_ms: i64, points: i64, step: i64) -> (i64, i64) {
    let current = now_ms.div_euclid(MINUTE_MS);
    let first = current - current.rem_euclid(step) - (points - 1) * step;
    let kept = current - MAX_MINUTES + 1;
    if first >= kept {
        return (first, first);
    }
    if step % HOUR_MINUTES == 0 {
        (
            first,
            kept + (HOUR_MINUTES - kept.rem_euclid(HOUR_MINUTES)) % HOUR_MINUTES,
        )
    } else {
        (first, kept)
    }
}

/// Per-second rates over the last minute, from the current minute's counters and the part of
/// the previous minute's that still falls in the window.
fn rates(current: [i64; 3], previous: [i64; 3], now_ms: i64) -> QueueRates {
    let elapsed = (now_ms % MINUTE_MS) as f64 / MINUTE_MS as f64;
    let rate = |i: usize| (current[i] as f64 + previous[i] as f64 * (1.0 - elapsed)) / 60.0;
    QueueRates {
        enqueued: rate(0),
        completed: rate(1),
        failed: rate(2),
    }
}

impl Engine {
    /// Each queue's counters since it was first used (see `totals` in the prelude), in order.
    pub async fn queue_totals(&self, queues: &[String]) -> Result<Vec<Counters>> {
        let mut totals = Vec::with_capacity(queues.len());
        for page in queues.chunks(QUEUES_PER_PIPELINE) {
            let mut pipe = redis::pipe();
            for queue in page {
                pipe.cmd("HGETALL").arg(self.keys.queue_totals(queue));
            }
            let replies: Vec<Value> = pipe.query_async(&mut self.conn()).await?;
            for reply in replies {
                totals.push(Counters::from_hash(reply)?);
            }
        }
        Ok(totals)
    }

    /// Redis's clock in ms since the epoch; scripts stamp minutes with it.
    pub async fn redis_time_ms(&self) -> Result<i64> {
        time_ms(&mut self.conn()).await
    }

    /// The part of a chart series (ms since the epoch, from inclusive, to exclusive) older
    /// than the minutes Redis keeps, which hourly roll-ups fill; only for steps of whole hours,
    /// so each hour falls in one point. See `queue_metrics` for the arguments.
    pub fn rolled_up_span(now_ms: i64, points: i64, step: i64) -> Option<(i64, i64)> {
        let (first, minutes_from) = window(now_ms, points, step);
        (step % HOUR_MINUTES == 0 && first < minutes_from)
            .then(|| (first * MINUTE_MS, minutes_from * MINUTE_MS))
    }

    /// A chart series: `points` points of `step` minutes each, oldest first, the last one
    /// holding the minute of `now_ms` (Redis's clock), aligned on multiples of `step` since
    /// the epoch so points stay put as time passes. `queue` None sums every queue. Reads at
    /// most `MAX_MINUTES` minute hashes per queue; older minutes come from `hours` (start in
    /// ms, fields of the hour) within `rolled_up_span`, and read as zero without them.
    pub async fn queue_metrics(
        &self,
        queue: Option<&str>,
        now_ms: i64,
        points: i64,
        step: i64,
        hours: &[(i64, BTreeMap<String, i64>)],
    ) -> Result<Vec<MetricPoint>> {
        let mut conn = self.conn();
        if let Some(queue) = queue {
            self.ensure_queue(&mut conn, queue).await?;
        }
        let current = now_ms.div_euclid(MINUTE_MS);
        let (first, oldest) = window(now_ms, points, step);
        let minutes = match queue {
            Some(queue) => {
                let keys = (oldest..=current)
                    .map(|minute| self.keys.queue_metrics(queue, minute))
                    .collect::<Vec<_>>();
                read_hashes(&mut conn, &keys).await?
            }
            None => self.all_queue_minutes(&mut conn, oldest, current).await?,
        };
        let mut series = vec![Counters::default(); points as usize];
        for (minute, counters) in (oldest..=current).zip(&minutes) {
            let index = ((minute - first) / step) as usize;
            series[index].add(counters);
        }
        for (hour_ms, fields) in hours {
            let minute = hour_ms.div_euclid(MINUTE_MS);
            if (first..oldest).contains(&minute) {
                let index = ((minute - first) / step) as usize;
                series[index].add(&Counters::from_fields(fields));
            }
        }
        Ok(series
            .iter()
            .enumerate()
            .map(|(i, counters)| counters.to_point(first + i as i64 * step))
            .collect())
    }

    /// Every queue's counters summed per minute in `oldest..=current`: rolled-up minutes from
    /// the global hashes, the few newer ones summed live.
    async fn all_queue_minutes(
        &self,
        conn: &mut RedisConn,
        oldest: i64,
        current: i64,
    ) -> Result<Vec<Counters>> {
        let rolled: Option<i64> = redis::cmd("GET")
            .arg(self.keys.metrics_rolled())
            .query_async(conn)
            .await?;
        // Minutes before `live_from` read from the global hashes: rolled up, or (only when the
        // maintenance loop lags) not yet, and then empty.
        let live_from = rolled
            .map_or(i64::MIN, |rolled| rolled + 1)
            .max(current - LIVE_MINUTES + 1);
        let keys = (oldest..live_from.min(current + 1))
            .map(|minute| self.keys.all_metrics(minute))
            .collect::<Vec<_>>();
        let mut minutes = read_hashes(conn, &keys).await?;
        minutes.extend(
            self.sum_queues(conn, live_from.max(oldest), current)
                .await?,
        );
        Ok(minutes)
    }

    /// Every registered queue's counters summed per minute in `from..=to`.
    async fn sum_queues(&self, conn: &mut RedisConn, from: i64, to: i64) -> Result<Vec<Counters>> {
        let mut sums = vec![Counters::default(); (to - from + 1).max(0) as usize];
        if sums.is_empty() {
            return Ok(sums);
        }
        let mut after = String::new();
        loop {
            let names = self.queue_names(conn, &after, QUEUES_PER_PIPELINE).await?;
            let keys: Vec<String> = names
                .iter()
                .flat_map(|name| (from..=to).map(move |minute| (name, minute)))
                .map(|(name, minute)| self.keys.queue_metrics(name, minute))
                .collect();
            let width = sums.len();
            for (i, counters) in read_hashes(conn, &keys).await?.iter().enumerate() {
                sums[i % width].add(counters);
            }
            match names.last() {
                Some(last) if names.len() == QUEUES_PER_PIPELINE => after = last.clone(),
                _ => return Ok(sums),
            }
        }
    }

    /// Rolls closed minutes of every queue into the global per-minute hashes, a few minutes
    /// per call. Idempotent: each global minute is written whole, with the marker of the last
    /// rolled minute in the same MULTI, so a crash midway redoes the minute, not double counts.
    pub(super) async fn roll_up_metrics(&self) -> Result<()> {
        let mut conn = self.background.clone();
        let mut pipe = redis::pipe();
        pipe.cmd("TIME").cmd("GET").arg(self.keys.metrics_rolled());
        let (time, rolled): (Vec<i64>, Option<i64>) = pipe.query_async(&mut conn).await?;
        let now_ms = match time.as_slice() {
            [seconds, micros] => seconds * 1000 + micros / 1000,
            _ => return Err(super::unexpected_reply("TIME reply")),
        };
        let closed = (now_ms - ROLL_UP_GRACE_MS).div_euclid(MINUTE_MS) - 1;
        let from = match rolled {
            Some(rolled) => (rolled + 1).max(closed - MAX_MINUTES + 1),
            // First run: the counters are as new as this server, so a few minutes reach back far enough.
            None => closed - LIVE_MINUTES + 1,
        };
        if from > closed {
            return Ok(());
        }
        let to = closed.min(from + ROLL_UP_MINUTES_PER_PASS - 1);
        let sums = self.sum_queues(&mut conn, from, to).await?;
        let mut pipe = redis::pipe();
        // On Redis Cluster the minutes live in several slots and cannot share a MULTI block;
        // the pipeline's order still writes the mark last, so readers never see a partial sum.
        if !self.is_cluster() {
            pipe.atomic();
        }
        for (minute, counters) in (from..=to).zip(&sums) {
            let key = self.keys.all_metrics(minute);
            pipe.del(&key).ignore();
            if !counters.is_empty() {
                pipe.hset_multiple(&key, &counters.fields()).ignore();
                pipe.expire(&key, TTL_SECONDS).ignore();
            }
        }
        pipe.set(self.keys.metrics_rolled(), to).ignore();
        pipe.query_async::<()>(&mut conn).await?;
        Ok(())
    }

    /// Each queue's rates over the minute before `now_ms` (Redis's clock), in one round trip.
    pub async fn queue_rates(&self, names: &[String], now_ms: i64) -> Result<Vec<QueueRates>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let current = now_ms.div_euclid(MINUTE_MS);
        let mut pipe = redis::pipe();
        for name in names {
            for minute in [current, current - 1] {
                pipe.cmd("HMGET")
                    .arg(self.keys.queue_metrics(name, minute))
                    .arg(&["enqueued", "completed", "failed"]);
            }
        }
        let replies: Vec<Vec<Option<i64>>> = pipe.query_async(&mut self.conn()).await?;
        let counts = |reply: &[Option<i64>]| -> [i64; 3] {
            let get = |i: usize| reply.get(i).copied().flatten().unwrap_or(0);
            [get(0), get(1), get(2)]
        };
        Ok(replies
            .chunks(2)
            .map(|pair| rates(counts(&pair[0]), counts(&pair[1]), now_ms))
            .collect())
    }
}

async fn time_ms(conn: &mut RedisConn) -> Result<i64> {
    let time: Vec<i64> = redis::cmd("TIME").query_async(conn).await?;
    match time.as_slice() {
        [seconds, micros] => Ok(seconds * 1000 + micros / 1000),
        _ => Err(super::unexpected_reply("TIME reply")),
    }
}

/// HGETALL of each key, pipelined; missing hashes read as zeros.
async fn read_hashes(conn: &mut RedisConn, keys: &[String]) -> Result<Vec<Counters>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for key in keys {
        pipe.cmd("HGETALL").arg(key);
    }
    let replies: Vec<Value> = pipe.query_async(conn).await?;
    replies.into_iter().map(Counters::from_hash).collect()
}

/// Sums of rates, for totals.
pub fn add_rates(total: &mut QueueRates, rates: &QueueRates) {
    total.enqueued += rates.enqueued;
    total.completed += rates.completed;
    total.failed += rates.failed;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(durations: &[i64]) -> Summary {
        let mut summary = Summary::default();
        for &ms in durations {
            let digits = (64 - ms.leading_zeros()) as usize;
            summary.buckets[digits.min(BUCKETS - 1)] += 1;
            summary.count += 1;
            summary.sum_ms += ms;
            summary.max_ms = summary.max_ms.max(ms);
        }
        summary
    }

    #[test]
    fn quantiles_fall_in_the_right_bucket() {
        let s = summary(&[10, 10, 10, 10, 10, 10, 10, 10, 10, 1000]);
        let p50 = s.quantile_ms(0.5);
        assert!((8.0..=15.0).contains(&p50), "{p50}");
        let p95 = s.quantile_ms(0.95);
        assert!((512.0..=1000.0).contains(&p95), "{p95}");
        assert_eq!(summary(&[0, 0]).quantile_ms(0.95), 0.0);
        assert_eq!(Summary::default().quantile_ms(0.5), 0.0);
    }

    #[test]
    fn quantiles_never_pass_the_max() {
        let s = summary(&[600, 600, 600]);
        assert!(s.quantile_ms(0.95) <= 600.0);
    }

    #[test]
    fn long_series_read_whole_hours_from_roll_ups_and_the_rest_from_minutes() {
        let now_ms = (500_000 * 60 + 17) * MINUTE_MS + 1234;
        let current = now_ms / MINUTE_MS;
        // A week in 2-hour points: roll-ups up to the first whole hour Redis still keeps.
        let (first, minutes_from) = window(now_ms, 84, 120);
        assert_eq!(first % 120, 0);
        assert_eq!(minutes_from % HOUR_MINUTES, 0);
        assert!(minutes_from > current - MAX_MINUTES && minutes_from <= current - MAX_MINUTES + 60);
        assert_eq!(
            Engine::rolled_up_span(now_ms, 84, 120),
            Some((first * MINUTE_MS, minutes_from * MINUTE_MS))
        );
        // Within 48 h, or in steps that are not whole hours, Redis alone answers.
        assert_eq!(Engine::rolled_up_span(now_ms, 60, 1), None);
        assert_eq!(Engine::rolled_up_span(now_ms, 120, 24), None);
    }

    #[test]
    fn rates_blend_the_previous_minute() {
        let r = rates([60, 0, 0], [120, 0, 0], 30_000);
        assert!((r.enqueued - 2.0).abs() < 1e-9, "{}", r.enqueued);
    }

    #[test]
    fn fields_round_trip() {
        let counters = Counters {
            enqueued: 3,
            failed: 1,
            run: summary(&[5, 70]),
            ..Counters::default()
        };
        let flat: Vec<Value> = counters
            .fields()
            .into_iter()
            .flat_map(|(field, n)| {
                [
                    Value::BulkString(field.into_bytes()),
                    Value::BulkString(n.to_string().into_bytes()),
                ]
            })
            .collect();
        assert_eq!(Counters::from_hash(Value::Array(flat)).unwrap(), counters);
    }
}
