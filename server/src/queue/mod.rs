//! The queue engine: jobs, queues and leases in Redis. Every state change of a job is one Lua
//! script; the engine batches per queue so one call moves many jobs.

mod bulk;
mod consumers;
mod error;
mod events;
mod job;
mod keys;
mod lookup;
mod maintenance;
mod metrics;
mod rollup_reads;
mod scripts;
mod waiters;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use prost_types::Timestamp;
use redis::Value;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use zenith_proto::v1::{Job, JobSpec, JobState, Queue, QueueCounts, QueueSource};

pub use bulk::{BulkRequest, action_accepts, run_bulk_operations};
pub use consumers::{FORGET_CONSUMERS_EVERY, FORGET_CONSUMERS_IDLE, forget_idle_consumers};

use crate::filter::Filter;
use crate::redis_conn::{RedisClient, RedisConn, RedisUrlError};

pub use error::{QueueError, Result};
pub use events::{ARCHIVER_GROUP, EventBacklog, EventEntry, EventGroup, JobSource};
pub use job::{
    NewJob, apply_spec, job_from_fields, proto_duration, state_from_name, state_name,
    timestamp_from_ms, timestamp_to_ms,
};
pub use keys::Keys;
pub use maintenance::run_maintenance;
pub use metrics::{Counters, MAX_MINUTES, Summary, add_rates};

use scripts::Scripts;
use waiters::Waiters;

/// Engine settings that come from the server's configuration.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub prefix: String,
    /// How long completed and cancelled jobs stay in Redis.
    pub completed_retention: Duration,
    /// How often a waiting Reserve looks again when no local enqueue woke it.
    pub reserve_poll: Duration,
    /// PEM CA bundle trusted for `rediss://` instead of the system roots.
    pub tls_root_certificates: Option<Vec<u8>>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            prefix: "zenith".into(),
            completed_retention: Duration::from_secs(3600),
            reserve_poll: Duration::from_millis(200),
            tls_root_certificates: None,
        }
    }
}

pub struct Engine {
    /// Opens dedicated connections for blocking reads (which would stall the shared one).
    client: RedisClient,
    conn: RedisConn,
    /// Background loops get their own connection so their pipelines never queue ahead of
    /// requests on the shared one.
    background: RedisConn,
    keys: Keys,
    scripts: Scripts,
    waiters: Waiters,
    config: EngineConfig,
    /// Cancelled at shutdown so long-polling Reserve calls return at once.
    stopping: CancellationToken,
    /// Wakes this replica's bulk runner when an operation starts here.
    bulk_wake: tokio::sync::Notify,
}

/// What enqueueing one job did.
#[derive(Clone, Debug, PartialEq)]
pub struct Enqueued {
    pub id: String,
    pub queue: String,
    pub state: JobState,
    pub duplicate: bool,
    /// For new jobs: when Redis created it and when it is ready to run, in ms since the epoch.
    pub created_at_ms: Option<i64>,
    pub scheduled_at_ms: Option<i64>,
}

/// A job handed to a worker under a lease.
pub struct Reserved {
    pub job: Job,
    pub lease_token: String,
}

/// One acknowledgement of a finished job.
pub struct AckItem {
    pub queue: String,
    pub job_id: String,
    pub lease_token: String,
    pub result: Vec<u8>,
}

pub struct FailItem {
    pub queue: String,
    pub job_id: String,
    pub lease_token: String,
    pub error: String,
    pub stack_trace: String,
    pub retryable: bool,
}

/// Where a failed attempt sent the job, and when that happened or will happen.
pub struct FailOutcome {
    pub state: JobState,
    pub at_ms: i64,
}

pub struct ReserveParams<'a> {
    pub queues: &'a [String],
    pub max_jobs: usize,
    pub lease: Duration,
    pub wait: Duration,
    pub worker_id: &'a str,
}

/// An operator action on jobs; see `lua/actions.lua` for the states each accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Retry,
    Promote,
    Delete,
    Cancel,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Retry => "retry",
            Action::Promote => "promote",
            Action::Delete => "delete",
            Action::Cancel => "cancel",
        }
    }
}

/// What an action did to one job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActOutcome {
    /// Done; the state is the job's new one (unspecified once deleted).
    Done,
    /// An active job's worker was asked to stop.
    Requested,
    NotFound,
    /// The job's state, given with it, refused the action.
    WrongState,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActResult {
    pub id: String,
    pub outcome: ActOutcome,
    pub state: JobState,
}

/// A lease after ExtendLease.
#[derive(Clone, Debug, PartialEq)]
pub struct Extended {
    /// The new deadline, in ms since the epoch.
    pub deadline_ms: i64,
    /// The job's timeout capped the deadline.
    pub capped: bool,
    /// An operator cancelled the job: its worker should stop and fail it.
    pub cancel_requested: bool,
    pub cancel_reason: String,
}

/// How many jobs one filtered ListJobs call examines at most, so a filter that matches
/// little still answers quickly; the caller pages on from where it stopped.
const LIST_SCAN_BUDGET: usize = 5000;
/// Jobs read per script call while filtering: bounded work per Redis call.
const LIST_CHUNK: usize = 250;

/// Where a page of ListJobs ended: the last job's id and its score in the state's set.
#[derive(Clone, Debug, PartialEq)]
pub struct JobCursor {
    pub id: String,
    pub score: String,
}

fn bytes(value: Value) -> Result<Vec<u8>> {
    match value {
        Value::BulkString(bytes) => Ok(bytes),
        Value::SimpleString(text) => Ok(text.into_bytes()),
        Value::Int(n) => Ok(n.to_string().into_bytes()),
        other => Err(unexpected(other)),
    }
}

fn text(value: Value) -> Result<String> {
    Ok(String::from_utf8_lossy(&bytes(value)?).into_owned())
}

fn int(value: Value) -> Result<i64> {
    match value {
        Value::Int(n) => Ok(n),
        other => text(other)?
            .parse()
            .map_err(|_| unexpected_reply("integer")),
    }
}

fn array(value: Value) -> Result<Vec<Value>> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Nil => Ok(Vec::new()),
        other => Err(unexpected(other)),
    }
}

fn unexpected_error(what: &str) -> redis::RedisError {
    redis::RedisError::from((
        redis::ErrorKind::UnexpectedReturnType,
        "unexpected reply from a queue script",
        what.to_owned(),
    ))
}

fn unexpected_reply(what: &str) -> QueueError {
    QueueError::Redis(unexpected_error(what))
}

/// Items grouped by queue: queues in first-seen order, items in their order. One script call
/// per group then carries a whole batch for its queue.
fn group_by_queue<T>(
    items: impl IntoIterator<Item = T>,
    queue_of: impl Fn(&T) -> &str,
) -> Vec<(String, Vec<T>)> {
    let mut positions: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<(String, Vec<T>)> = Vec::new();
    for item in items {
        let position = match positions.get(queue_of(&item)) {
            Some(&position) => position,
            None => {
                let queue = queue_of(&item).to_owned();
                positions.insert(queue.clone(), groups.len());
                groups.push((queue, Vec::new()));
                groups.len() - 1
            }
        };
        groups[position].1.push(item);
    }
    groups
}

fn unexpected(value: Value) -> QueueError {
    unexpected_reply(&format!("{value:?}"))
}

fn hash_pairs(value: Value) -> Result<Vec<(String, Vec<u8>)>> {
    let mut items = array(value)?.into_iter();
    let mut pairs = Vec::with_capacity(items.len() / 2);
    while let (Some(field), Some(value)) = (items.next(), items.next()) {
        pairs.push((text(field)?, bytes(value)?));
    }
    Ok(pairs)
}

fn random_token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

impl Engine {
    /// Connects to Redis (one server, or a cluster's seed nodes separated by commas) and loads
    /// the scripts. Later failures reconnect by themselves.
    pub async fn connect(redis_url: &str, config: EngineConfig) -> Result<Self> {
        let client = RedisClient::open(redis_url, config.tls_root_certificates.clone())
            .await
            .map_err(|error| match error {
                RedisUrlError::Invalid(message) => QueueError::invalid("redis_url", message),
                RedisUrlError::Redis(error) => error.into(),
            })?;
        let mut conn = client.shared().await?;
        let background = client.shared().await?;
        let scripts = Scripts::new();
        scripts.load(&mut conn).await?;
        Ok(Self {
            client,
            conn,
            background,
            keys: Keys::new(&config.prefix),
            scripts,
            waiters: Waiters::default(),
            config,
            stopping: CancellationToken::new(),
            bulk_wake: tokio::sync::Notify::new(),
        })
    }

    /// Ends waiting Reserve calls; the server is shutting down.
    pub fn stop_waiting(&self) {
        self.stopping.cancel();
    }

    /// Cancelled when the server shuts down, so long-lived streams can end.
    pub fn stopping(&self) -> CancellationToken {
        self.stopping.clone()
    }

    fn conn(&self) -> RedisConn {
        self.conn.clone()
    }

    /// The round-trip times of this engine's script calls since start.
    pub fn redis_roundtrip(&self) -> crate::metrics::Buckets {
        self.scripts.roundtrip.snapshot()
    }

    /// The shared request connection, for subsystems that keep their own keys (pulse, logs).
    pub fn connection(&self) -> RedisConn {
        self.conn.clone()
    }

    /// The background loops' connection.
    pub fn background_connection(&self) -> RedisConn {
        self.background.clone()
    }

    /// A new connection of its own, for blocking reads such as `XREAD BLOCK`: without a
    /// response timeout (the default one is shorter than a block), so callers bound each read.
    pub async fn dedicated_connection(&self) -> Result<RedisConn> {
        Ok(self.client.blocking().await?)
    }

    /// A connection to the first node of `--redis-url` alone, for per-node questions.
    pub async fn seed_connection(&self) -> Result<RedisConn> {
        Ok(self.client.seed().await?)
    }

    /// Whether Redis runs as a cluster, where one MULTI block cannot span queues.
    pub fn is_cluster(&self) -> bool {
        self.client.is_cluster()
    }

    /// The key prefix every key starts with.
    pub fn prefix(&self) -> &str {
        &self.config.prefix
    }

    pub async fn ping(&self) -> Result<()> {
        redis::cmd("PING")
            .query_async::<()>(&mut self.conn())
            .await?;
        Ok(())
    }

    /// Redis's `maxmemory-policy`; anything but `noeviction` can drop jobs.
    pub async fn maxmemory_policy(&self) -> Result<String> {
        let reply: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("maxmemory-policy")
            .query_async(&mut self.conn())
            .await?;
        Ok(reply.into_iter().nth(1).unwrap_or_default())
    }

    /// Adds jobs, one script call per queue, all in one round trip. A batch that spans several
    /// queues runs as one MULTI block so it lands whole; on Redis Cluster, where a block cannot
    /// span slots, each queue's part lands whole on its own (a retried batch skips the ids that
    /// landed). `actor` is recorded as who enqueued.
    pub async fn enqueue(&self, jobs: Vec<NewJob>, actor: &str) -> Result<Vec<Enqueued>> {
        let by_queue: Vec<(String, Vec<usize>)> =
            group_by_queue(jobs.iter().enumerate(), |(_, job)| job.queue.as_str())
                .into_iter()
                .map(|(queue, group)| (queue, group.into_iter().map(|(i, _)| i).collect()))
                .collect();
        let atomic = by_queue.len() > 1 && !self.is_cluster();
        let mut pipe = redis::pipe();
        if atomic {
            pipe.atomic();
        }
        let mut registry = redis::cmd("ZADD");
        registry.arg(self.keys.queues()).arg("NX");
        for (queue, _) in &by_queue {
            registry.arg(0).arg(queue);
        }
        pipe.add_command(registry).ignore();
        let mut index = redis::cmd("HSET");
        index.arg(self.keys.job_index());
        for job in &jobs {
            index.arg(&job.id).arg(&job.queue);
        }
        pipe.add_command(index).ignore();
        for (queue, indexes) in &by_queue {
            let queue_keys = self.keys.queue(queue);
            let mut call = if atomic {
                self.scripts.enqueue.call_with_source(&queue_keys)
            } else {
                self.scripts.enqueue.call(&queue_keys)
            };
            call.arg(indexes.len()).arg(actor);
            for &i in indexes {
                jobs[i].push_args(&mut call);
            }
            pipe.add_command(call);
        }
        let replies: Vec<Value> = self.scripts.query_pipeline(&mut self.conn(), &pipe).await?;
        let mut outcomes = Vec::with_capacity(jobs.len());
        outcomes.resize_with(jobs.len(), || None);
        for ((queue, indexes), reply) in by_queue.iter().zip(replies) {
            let mut parts = array(reply)?.into_iter();
            let now_ms = int(parts
                .next()
                .ok_or_else(|| unexpected_reply("enqueue reply"))?)?;
            for duplicate in parts {
                let mut fields = array(duplicate)?.into_iter();
                let (Some(position), Some(id), Some(state)) =
                    (fields.next(), fields.next(), fields.next())
                else {
                    return Err(unexpected_reply("enqueue reply"));
                };
                let i = indexes[int(position)? as usize - 1];
                outcomes[i] = Some(Enqueued {
                    id: text(id)?,
                    queue: queue.clone(),
                    state: job::state_from_name(&text(state)?),
                    duplicate: true,
                    created_at_ms: None,
                    scheduled_at_ms: None,
                });
            }
            let mut woke = false;
            for &i in indexes {
                if outcomes[i].is_some() {
                    continue;
                }
                let (state, scheduled_at_ms) = jobs[i].written_state(now_ms);
                if state == JobState::Pending && !woke {
                    self.waiters.wake(queue);
                    woke = true;
                }
                outcomes[i] = Some(Enqueued {
                    id: jobs[i].id.clone(),
                    queue: queue.clone(),
                    state,
                    duplicate: false,
                    created_at_ms: Some(now_ms),
                    scheduled_at_ms: Some(scheduled_at_ms),
                });
            }
        }
        Ok(outcomes.into_iter().flatten().collect())
    }

    /// One job by id; with its queue given, no index lookup is needed.
    pub async fn get_job(&self, id: &str, queue: Option<&str>) -> Result<Job> {
        let mut conn = self.conn();
        let queue = match queue {
            Some(queue) => queue.to_owned(),
            None => {
                let queue: Option<String> = redis::cmd("HGET")
                    .arg(self.keys.job_index())
                    .arg(id)
                    .query_async(&mut conn)
                    .await?;
                queue.ok_or_else(|| QueueError::JobNotFound(id.to_owned()))?
            }
        };
        let fields: Vec<(String, Vec<u8>)> = redis::cmd("HGETALL")
            .arg(self.keys.queue(&queue).job(id))
            .query_async(&mut conn)
            .await?;
        if fields.is_empty() {
            return Err(QueueError::JobNotFound(id.to_owned()));
        }
        job_from_fields(&queue, fields)
    }

    /// Up to `limit` registered queue names after `after` (empty: from the start), by name.
    async fn queue_names(
        &self,
        conn: &mut RedisConn,
        after: &str,
        limit: usize,
    ) -> Result<Vec<String>> {
        let start = if after.is_empty() {
            "-".to_owned()
        } else {
            format!("({after}")
        };
        Ok(redis::cmd("ZRANGE")
            .arg(self.keys.queues())
            .arg(start)
            .arg("+")
            .arg("BYLEX")
            .arg("LIMIT")
            .arg(0)
            .arg(limit)
            .query_async(conn)
            .await?)
    }

    /// Queues in name order after `after`, with counts, in two round trips whatever their
    /// number: the registry page, then every queue's counts pipelined.
    pub async fn list_queues(&self, after: &str, limit: usize) -> Result<(Vec<Queue>, bool)> {
        let names = self.queue_names(&mut self.conn(), after, limit + 1).await?;
        let more = names.len() > limit;
        let names = &names[..names.len().min(limit)];
        let queues = self.describe_queues(&mut self.conn(), names).await?;
        Ok((queues, more))
    }

    async fn describe_queues(&self, conn: &mut RedisConn, names: &[String]) -> Result<Vec<Queue>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        // One MGET: far cheaper to answer and parse than a command per queue.
        let mut pipe = redis::pipe();
        pipe.cmd("TIME");
        let keys: Vec<String> = names
            .iter()
            .map(|name| self.keys.queue_meta(name))
            .collect();
        pipe.cmd("MGET").arg(&keys);
        let mut replies = pipe.query_async::<Vec<Value>>(conn).await?.into_iter();
        let time = array(replies.next().unwrap_or(Value::Nil))?;
        let now_ms = match time.as_slice() {
            [seconds, micros] => int(seconds.clone())? * 1000 + int(micros.clone())? / 1000,
            _ => return Err(unexpected_reply("TIME reply")),
        };
        let metas = array(replies.next().unwrap_or(Value::Nil))?;
        names
            .iter()
            .zip(metas)
            .map(|(name, meta)| {
                let meta = match meta {
                    Value::Nil => Meta::default(),
                    value => Meta::parse(&text(value)?),
                };
                Ok(meta.into_queue(name, now_ms))
            })
            .collect()
    }

    async fn ensure_queue(&self, conn: &mut RedisConn, name: &str) -> Result<()> {
        let score: Option<f64> = redis::cmd("ZSCORE")
            .arg(self.keys.queues())
            .arg(name)
            .query_async(conn)
            .await?;
        match score {
            Some(_) => Ok(()),
            None => Err(QueueError::QueueNotFound(name.to_owned())),
        }
    }

    /// The named queues with their counts, in order; unknown ones have zero counts.
    pub async fn queues_named(&self, names: &[String]) -> Result<Vec<Queue>> {
        self.describe_queues(&mut self.conn(), names).await
    }

    pub async fn get_queue(&self, name: &str) -> Result<Queue> {
        let mut conn = self.conn();
        self.ensure_queue(&mut conn, name).await?;
        let mut queues = self.describe_queues(&mut conn, &[name.to_owned()]).await?;
        Ok(queues.remove(0))
    }

    pub async fn set_paused(&self, name: &str, paused: bool) -> Result<Queue> {
        let mut conn = self.conn();
        self.ensure_queue(&mut conn, name).await?;
        let mut call = self.scripts.pause.call(&self.keys.queue(name));
        call.arg(if paused { 1 } else { 0 });
        self.scripts.query::<_, ()>(&mut conn, &call).await?;
        if !paused {
            self.waiters.wake(name);
        }
        let mut queues = self.describe_queues(&mut conn, &[name.to_owned()]).await?;
        Ok(queues.remove(0))
    }

    /// One page of a queue's jobs in one state, of those matching `filter`. A filtered page
    /// reads forward in chunks until it is full or `LIST_SCAN_BUDGET` jobs were examined; then
    /// the cursor is the last job examined, so the caller pages on from there, and a page may
    /// hold fewer jobs than `limit`, even none.
    pub async fn list_jobs(
        &self,
        queue: &str,
        state: &str,
        limit: usize,
        newest_first: bool,
        cursor: Option<&JobCursor>,
        filter: &Filter,
    ) -> Result<(Vec<Job>, Option<JobCursor>)> {
        self.ensure_queue(&mut self.conn(), queue).await?;
        let keys = self.keys.queue(queue);
        let mut cursor = cursor.cloned();
        let mut jobs = Vec::new();
        let mut examined = 0;
        loop {
            let chunk = if filter.is_empty() {
                limit
            } else {
                LIST_CHUNK.min(LIST_SCAN_BUDGET - examined)
            };
            let mut call = self.scripts.list_jobs.call(&keys);
            call.arg(state)
                .arg(chunk)
                .arg(if newest_first { 1 } else { 0 })
                .arg(cursor.as_ref().map_or("", |c| c.id.as_str()))
                .arg(cursor.as_ref().map_or("0", |c| c.score.as_str()));
            let reply: Value = self.scripts.query(&mut self.conn(), &call).await?;
            let entries = array(reply)?;
            let more = entries.len() > chunk;
            let mut entries = entries.into_iter().take(chunk).peekable();
            while let Some(entry) = entries.next() {
                let mut parts = array(entry)?.into_iter();
                let (Some(id), Some(score), Some(fields)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(unexpected_reply("list reply"));
                };
                cursor = Some(JobCursor {
                    id: text(id)?,
                    score: text(score)?,
                });
                examined += 1;
                let fields = hash_pairs(fields)?;
                if fields.is_empty() {
                    continue;
                }
                let job = job_from_fields(queue, fields)?;
                if filter.matches(&job) {
                    jobs.push(job);
                    if jobs.len() == limit {
                        let rest = more || entries.peek().is_some();
                        return Ok((jobs, cursor.filter(|_| rest)));
                    }
                }
            }
            if !more {
                return Ok((jobs, None));
            }
            if examined >= LIST_SCAN_BUDGET {
                return Ok((jobs, cursor));
            }
        }
    }

    /// Reserves up to `max_jobs` from the queues in order, waiting up to `wait` for work.
    pub async fn reserve(&self, params: ReserveParams<'_>) -> Result<Vec<Reserved>> {
        let deadline = Instant::now() + params.wait;
        let lease_ms = params.lease.as_millis() as u64;
        loop {
            // Registered before looking, so an enqueue between the look and the wait wakes us.
            let woken = self.waiters.listen(params.queues);
            let mut reserved = Vec::new();
            let mut conn = self.conn();
            for queue in params.queues {
                let want = params.max_jobs - reserved.len();
                if want == 0 {
                    break;
                }
                let keys = self.keys.queue(queue);
                let mut call = self.scripts.reserve.call(&keys);
                call.arg(want)
                    .arg(lease_ms)
                    .arg(random_token())
                    .arg(params.worker_id);
                let reply: Value = self.scripts.query(&mut conn, &call).await?;
                let mut entries = array(reply)?.into_iter();
                let Some(started) = entries.next() else {
                    continue;
                };
                let started_at = Some(timestamp_from_ms(int(started)?));
                for entry in entries {
                    reserved.push(reserved_job(queue, array(entry)?, started_at)?);
                }
            }
            let now = Instant::now();
            if !reserved.is_empty() || now >= deadline || self.stopping.is_cancelled() {
                return Ok(reserved);
            }
            let poll = self.config.reserve_poll.min(deadline - now);
            tokio::select! {
                _ = tokio::time::timeout(poll, woken) => {}
                _ = self.stopping.cancelled() => {}
            }
        }
    }

    /// Acks in one round trip: one script call per queue. Valid leases are acked even when
    /// others are stale; the stale ones are then reported as an error.
    pub async fn ack(&self, acks: Vec<AckItem>) -> Result<usize> {
        let by_queue = group_by_queue(acks, |ack| ack.queue.as_str());
        let mut pipe = redis::pipe();
        let mut total = 0;
        for (queue, items) in &by_queue {
            let mut call = self.scripts.ack.call(&self.keys.queue(queue));
            call.arg(items.len());
            for item in items {
                call.arg(&item.job_id)
                    .arg(&item.lease_token)
                    .arg(&item.result);
            }
            total += items.len();
            pipe.add_command(call);
        }
        let replies: Vec<Vec<String>> =
            self.scripts.query_pipeline(&mut self.conn(), &pipe).await?;
        let stale: Vec<String> = replies.into_iter().flatten().collect();
        if stale.is_empty() {
            Ok(total)
        } else {
            Err(QueueError::StaleLease(stale))
        }
    }

    pub async fn fail(&self, item: FailItem) -> Result<FailOutcome> {
        let mut call = self.scripts.fail.call(&self.keys.queue(&item.queue));
        call.arg(&item.job_id)
            .arg(&item.lease_token)
            .arg(&item.error)
            .arg(&item.stack_trace)
            .arg(if item.retryable { 1 } else { 0 })
            .arg(rand::random::<f64>());
        let reply: Vec<String> = self.scripts.query(&mut self.conn(), &call).await?;
        match reply.as_slice() {
            [state, at] => Ok(FailOutcome {
                state: job::state_from_name(state),
                at_ms: at.parse().unwrap_or_default(),
            }),
            _ => Err(QueueError::StaleLease(vec![item.job_id])),
        }
    }

    /// Moves a lease's deadline to now + `extension`, capped by the job's timeout.
    pub async fn extend_lease(
        &self,
        queue: &str,
        job_id: &str,
        lease_token: &str,
        extension: Duration,
    ) -> Result<Extended> {
        let mut call = self.scripts.extend.call(&self.keys.queue(queue));
        call.arg(job_id)
            .arg(lease_token)
            .arg(extension.as_millis() as u64);
        let reply: Vec<String> = self.scripts.query(&mut self.conn(), &call).await?;
        match <[String; 5]>::try_from(reply) {
            Ok([_, deadline, capped, requested, reason]) => Ok(Extended {
                deadline_ms: deadline.parse().unwrap_or_default(),
                capped: capped == "1",
                cancel_requested: requested == "1",
                cancel_reason: reason,
            }),
            Err(_) => Err(QueueError::StaleLease(vec![job_id.to_owned()])),
        }
    }
}

/// What a beat did to one job it lists (X-ray).
#[derive(Clone, Debug, PartialEq)]
pub enum XrayOutcome {
    /// The lease token was current: the lease now runs until `deadline_ms`.
    Extended {
        deadline_ms: i64,
        cancel_requested: bool,
        cancel_reason: String,
    },
    /// Listed without a lease token while active: recorded as running on the node.
    Shown {
        cancel_requested: bool,
        cancel_reason: String,
    },
    /// Not active, gone, or a stale token: ignored.
    Stale,
}

impl Engine {
    /// Records that `node` runs `jobs` (id, lease token) of one queue, at most 1,000, and
    /// extends each current lease to at least now + `lease`, capped by the job's timeout.
    pub async fn xray(
        &self,
        queue: &str,
        node: &str,
        lease: Duration,
        jobs: &[(String, String)],
    ) -> Result<Vec<XrayOutcome>> {
        let mut call = self.scripts.xray.call(&self.keys.queue(queue));
        call.arg(node).arg(lease.as_millis() as u64);
        for (id, token) in jobs {
            call.arg(id).arg(token);
        }
        let reply: Vec<Vec<String>> = self.scripts.query(&mut self.conn(), &call).await?;
        if reply.len() != jobs.len() {
            return Err(unexpected_reply("xray reply"));
        }
        Ok(reply
            .into_iter()
            .map(|fields| match fields.as_slice() {
                [kind, deadline, cancel, reason] if kind == "extended" => XrayOutcome::Extended {
                    deadline_ms: deadline.parse().unwrap_or_default(),
                    cancel_requested: cancel == "1",
                    cancel_reason: reason.clone(),
                },
                [kind, _, cancel, reason] if kind == "shown" => XrayOutcome::Shown {
                    cancel_requested: cancel == "1",
                    cancel_reason: reason.clone(),
                },
                _ => XrayOutcome::Stale,
            })
            .collect())
    }
}

impl Engine {
    /// Applies an action to jobs of one queue (at most 1,000) in one script call; `expect`
    /// refuses jobs in any other state; `actor` is recorded as who asked. One result per id, in
    /// order.
    pub async fn act(
        &self,
        queue: &str,
        action: Action,
        ids: &[String],
        expect: Option<JobState>,
        reason: &str,
        actor: &str,
    ) -> Result<Vec<ActResult>> {
        let mut call = self.scripts.act.call(&self.keys.queue(queue));
        call.arg(action.name())
            .arg(expect.map_or("", state_name))
            .arg(reason)
            .arg(actor)
            .arg(ids);
        let reply: Value = self.scripts.query(&mut self.conn(), &call).await?;
        let mut parts = array(reply)?.into_iter();
        let (Some(woke), Some(results)) = (parts.next(), parts.next()) else {
            return Err(unexpected_reply("act reply"));
        };
        if int(woke)? == 1 {
            self.waiters.wake(queue);
        }
        let results = array(results)?;
        if results.len() != ids.len() {
            return Err(unexpected_reply("act reply"));
        }
        let mut deleted = Vec::new();
        let results = ids
            .iter()
            .zip(results)
            .map(|(id, result)| {
                let mut fields = array(result)?.into_iter();
                let (Some(outcome), Some(state)) = (fields.next(), fields.next()) else {
                    return Err(unexpected_reply("act reply"));
                };
                let outcome = match text(outcome)?.as_str() {
                    "done" => ActOutcome::Done,
                    "requested" => ActOutcome::Requested,
                    "not_found" => ActOutcome::NotFound,
                    _ => ActOutcome::WrongState,
                };
                if outcome == ActOutcome::Done && action == Action::Delete {
                    deleted.push(id.clone());
                }
                Ok(ActResult {
                    id: id.clone(),
                    outcome,
                    state: job::state_from_name(&text(state)?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.forget_ids(&mut self.conn(), &deleted).await?;
        Ok(results)
    }

    /// The queue of each job id from the job index, in order; None for an unknown id. One
    /// round trip whatever the number of ids.
    pub async fn job_queues(&self, ids: &[String]) -> Result<Vec<Option<String>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(redis::cmd("HMGET")
            .arg(self.keys.job_index())
            .arg(ids)
            .query_async(&mut self.conn())
            .await?)
    }

    /// As `act`, for jobs of any queues: each id's queue comes from the job index, then one
    /// script call per queue. One result per id, in order, with the job's queue (None for an id
    /// the index does not know, whose outcome is NotFound).
    pub async fn act_by_id(
        &self,
        action: Action,
        ids: &[String],
        reason: &str,
        actor: &str,
    ) -> Result<Vec<(Option<String>, ActResult)>> {
        let queues = self.job_queues(ids).await?;
        let mut results: Vec<(Option<String>, ActResult)> = ids
            .iter()
            .map(|id| {
                let result = ActResult {
                    id: id.clone(),
                    outcome: ActOutcome::NotFound,
                    state: JobState::Unspecified,
                };
                (None, result)
            })
            .collect();
        let known = queues
            .into_iter()
            .enumerate()
            .filter_map(|(i, queue)| queue.map(|queue| (i, queue)));
        for (queue, group) in group_by_queue(known, |(_, queue)| queue.as_str()) {
            let group_ids: Vec<String> = group.iter().map(|(i, _)| ids[*i].clone()).collect();
            let acted = self
                .act(&queue, action, &group_ids, None, reason, actor)
                .await?;
            for ((i, _), result) in group.into_iter().zip(acted) {
                results[i] = (Some(queue.clone()), result);
            }
        }
        Ok(results)
    }

    /// Drops deleted or pruned jobs from the id → queue index; scripts cannot, as it lies in
    /// another slot. Loops pass their own connection.
    async fn forget_ids(&self, conn: &mut RedisConn, ids: &[String]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        redis::cmd("HDEL")
            .arg(self.keys.job_index())
            .arg(ids)
            .query_async::<()>(conn)
            .await?;
        Ok(())
    }
}

/// A job as `reserve.lua` hands it out: {spec, created_at, scheduled_at, error, stack,
/// attempts, lease token, lease deadline}.
fn reserved_job(queue: &str, parts: Vec<Value>, started_at: Option<Timestamp>) -> Result<Reserved> {
    let [
        spec,
        created,
        scheduled,
        error,
        stack,
        attempts,
        token,
        deadline,
    ]: [Value; 8] = parts
        .try_into()
        .map_err(|_| unexpected_reply("reserve reply"))?;
    let spec = JobSpec::decode(bytes(spec)?.as_slice()).map_err(|error| QueueError::Corrupt {
        id: String::new(),
        message: format!("spec: {error}"),
    })?;
    let mut job = Job {
        queue: queue.to_owned(),
        created_at: Some(timestamp_from_ms(int(created)?)),
        scheduled_at: Some(timestamp_from_ms(int(scheduled)?)),
        last_error: text(error)?,
        last_stack_trace: text(stack)?,
        attempts: int(attempts)? as i32,
        started_at,
        lease_deadline: Some(timestamp_from_ms(int(deadline)?)),
        ..Job::default()
    };
    apply_spec(&mut job, spec);
    job.set_state(JobState::Active);
    Ok(Reserved {
        job,
        lease_token: text(token)?,
    })
}

/// A queue's meta string, kept by the scripts: "pending scheduled active retry dead completed
/// paused head cancelled", where head is the score of the first pending job or `-`.
#[derive(Default)]
pub(crate) struct Meta {
    pub counts: QueueCounts,
    pub paused: bool,
    head: Option<f64>,
}

impl Meta {
    pub fn parse(text: &str) -> Self {
        let words: Vec<&str> = text.split_ascii_whitespace().collect();
        let count = |i: usize| words.get(i).and_then(|w| w.parse().ok()).unwrap_or(0);
        Self {
            counts: QueueCounts {
                pending: count(0),
                scheduled: count(1),
                active: count(2),
                retry: count(3),
                dead: count(4),
                completed: count(5),
                cancelled: count(8),
            },
            paused: count(6) == 1,
            head: words.get(7).and_then(|w| w.parse().ok()),
        }
    }

    fn into_queue(self, name: &str, now_ms: i64) -> Queue {
        let oldest_pending_age = self.head.map(|score| {
            let ready_ms = score.rem_euclid(PRIORITY_BAND) as i64 + PENDING_EPOCH_MS;
            proto_duration(Duration::from_millis((now_ms - ready_ms).max(0) as u64))
        });
        Queue {
            name: name.to_owned(),
            paused: self.paused,
            counts: Some(self.counts),
            oldest_pending_age,
            source: QueueSource::Zenith.into(),
            external: None,
        }
    }
}

/// Pending scores put each priority in a band of 2^43 ms, counted from 2025-01-01.
const PRIORITY_BAND: f64 = 8_796_093_022_208.0;
const PENDING_EPOCH_MS: i64 = 1_735_689_600_000;

pub type SharedEngine = Arc<Engine>;
