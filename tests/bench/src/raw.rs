//! Raw Redis baselines: what the same Redis does without Zenith in front of it.

use std::time::Duration;

use anyhow::Context;
use redis::IntoConnectionInfo;
use redis::aio::MultiplexedConnection;
use redis::io::tcp::TcpSettings;

use crate::Scale;
use crate::drive::{Latency, Step, drive, latency};

const LPUSH_CONNECTIONS: usize = 8;
const LPUSH_PIPELINE: u64 = 500;
/// As many sorted sets as ListQueues reads queues, so both answer the same question.
const SORTED_SETS: usize = 1_000;

/// A connection with a generous response timeout: a loaded 2-core machine can take longer than
/// redis-rs's default 500 ms to answer a big pipeline, and that is a result, not an error.
/// TCP_NODELAY is on (redis-rs leaves it off) so Nagle never holds back the tail of a pipeline:
/// the baseline is Redis at its best.
pub async fn connect(url: &str) -> anyhow::Result<MultiplexedConnection> {
    let info = url
        .into_connection_info()?
        .set_tcp_settings(TcpSettings::default().set_nodelay(true));
    let client = redis::Client::open(info)?;
    let config = redis::AsyncConnectionConfig::new()
        .set_response_timeout(Some(Duration::from_secs(30)))
        .set_connection_timeout(Some(Duration::from_secs(5)));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .context("connect to redis")
}

pub async fn flush_all(url: &str) -> anyhow::Result<()> {
    let mut conn = connect(url).await?;
    redis::cmd("FLUSHALL")
        .query_async::<()>(&mut conn)
        .await
        .context("flush redis")
}

struct LpushWorker {
    conn: MultiplexedConnection,
    // Built once and reused, so the client spends its time on the wire, not on building commands.
    pipeline: redis::Pipeline,
}

impl Step for LpushWorker {
    async fn step(&mut self) -> anyhow::Result<u64> {
        self.pipeline
            .query_async::<()>(&mut self.conn)
            .await
            .context("pipelined lpush")?;
        Ok(LPUSH_PIPELINE)
    }
}

/// Items per second that pipelined LPUSH of job-sized payloads gets into Redis.
pub async fn lpush_per_s(url: &str, payload: &[u8], scale: &Scale) -> anyhow::Result<f64> {
    let mut workers = Vec::with_capacity(LPUSH_CONNECTIONS);
    for index in 0..LPUSH_CONNECTIONS {
        let mut pipeline = redis::pipe();
        for _ in 0..LPUSH_PIPELINE {
            pipeline
                .cmd("LPUSH")
                .arg(format!("bench:lpush:{index}"))
                .arg(payload)
                .ignore();
        }
        // One connection per worker, like Zenith's callers, so no worker waits on another's
        // pipeline.
        workers.push(LpushWorker {
            conn: connect(url).await?,
            pipeline,
        });
    }
    let (workers, _) = drive(workers, scale.warmup).await?;
    let (_, rate) = drive(workers, scale.measure).await?;
    Ok(rate.per_second())
}

/// Latency of one pipelined round trip of ZCARD over 1,000 small sorted sets: the least any
/// server must pay to count 1,000 queues.
pub async fn pipelined_zcard_latency(url: &str, scale: &Scale) -> anyhow::Result<Latency> {
    let mut conn = connect(url).await?;
    let mut setup = redis::pipe();
    for index in 0..SORTED_SETS {
        setup
            .cmd("ZADD")
            .arg(format!("bench:zset:{index}"))
            .arg(1)
            .arg("a")
            .arg(2)
            .arg("b")
            .arg(3)
            .arg("c")
            .ignore();
    }
    setup
        .query_async::<()>(&mut conn)
        .await
        .context("create sorted sets")?;

    let mut cards = redis::pipe();
    for index in 0..SORTED_SETS {
        cards.cmd("ZCARD").arg(format!("bench:zset:{index}"));
    }
    latency(scale.latency_warmup, scale.latency_samples, async || {
        let counts: Vec<i64> = cards
            .query_async(&mut conn)
            .await
            .context("pipelined zcard")?;
        anyhow::ensure!(
            counts.len() == SORTED_SETS,
            "zcard answered {} of {SORTED_SETS}",
            counts.len()
        );
        Ok(())
    })
    .await
}

/// What retrying dead jobs costs Redis at the least, with no server in front: in Lua, 500 jobs
/// a call and two calls in flight, read the fields a retry needs from each job's hash, rewrite
/// its state, and move the jobs from one sorted set to another in one call each. Job hashes
/// are shaped like Zenith's (an encoded spec and a dozen small fields).
pub async fn lua_retry_floor_per_s(url: &str, jobs: usize, payload: &[u8]) -> anyhow::Result<f64> {
    const BATCH: usize = 500;
    const MOVE: &str = r"
local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #ids == 0 then return 0 end
local t = redis.call('TIME')
local now = string.format('%d', t[1] * 1000 + math.floor(t[2] / 1000))
local moved = {}
for _, id in ipairs(ids) do
  local key = 'bench:job:' .. id
  redis.call('HMGET', key, 'state', 'priority', 'unique_key')
  redis.call('HSET', key, 'state', 'pending', 'scheduled_at', now, 'attempts', '0', 'finished_at', '')
  moved[#moved + 1] = now
  moved[#moved + 1] = id
end
redis.call('ZREM', KEYS[1], unpack(ids))
redis.call('ZADD', KEYS[2], unpack(moved))
return #ids
";
    let mut conn = connect(url).await?;
    let spec = [payload, &[0_u8; 150]].concat();
    for start in (0..jobs).step_by(1000) {
        let mut pipe = redis::pipe();
        for n in start..(start + 1000).min(jobs) {
            let id = format!("01a2052a-f783-75c5-9b94-{n:012}");
            pipe.cmd("HSET")
                .arg(format!("bench:job:{id}"))
                .arg("spec")
                .arg(&spec)
                .arg(&[
                    ("state", "dead"),
                    ("created_at", "1763845000000"),
                    ("scheduled_at", "1763845000000"),
                    ("retry", "1:1000:3600000"),
                    ("attempts", "1"),
                    ("error", "bench: upstream timeout"),
                    ("stack", ""),
                    ("started_at", "1763845000000"),
                    ("finished_at", "1763845000000"),
                    ("lease", "228f07e2fbe2d5f1"),
                    ("lease_deadline", "1763845000000"),
                    ("worker", ""),
                ])
                .ignore()
                .cmd("ZADD")
                .arg("bench:dead")
                .arg(1_763_845_000_000_i64 + n as i64)
                .arg(&id)
                .ignore();
        }
        pipe.query_async::<()>(&mut conn)
            .await
            .context("seed job hashes")?;
    }
    let mut pair = redis::pipe();
    for _ in 0..2 {
        pair.cmd("EVAL")
            .arg(MOVE)
            .arg(2)
            .arg("bench:dead")
            .arg("bench:pending")
            .arg(BATCH);
    }
    let started = std::time::Instant::now();
    let mut moved = 0;
    loop {
        let counts: Vec<usize> = pair
            .query_async(&mut conn)
            .await
            .context("move jobs in lua")?;
        moved += counts.iter().sum::<usize>();
        if counts.iter().any(|&count| count < BATCH) {
            break;
        }
    }
    anyhow::ensure!(moved == jobs, "moved {moved} of {jobs} jobs");
    Ok(moved as f64 / started.elapsed().as_secs_f64())
}
