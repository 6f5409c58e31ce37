//! Bulk operations: an action applied server-side to every job of a queue, in some states, that
//! matches a filter. The walk goes in bounded chunks whose progress lives in Redis next to the
//! queue, so any replica carries on after a restart; a chunk is fenced by the holder's id and
//! applied in the same script that moves the walk on, so no job is acted on twice.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::Value;
use tokio_util::sync::CancellationToken;
use zenith_proto::v1::{BulkAction, BulkOperation, BulkOperationStatus, JobState};

use super::job::{job_from_fields, state_from_name};
use super::{
    Action, Engine, QueueError, Result, array, bytes, hash_pairs, int, random_token, state_name,
    text, timestamp_from_ms, unexpected_reply,
};
use crate::filter::{Expr, Field, Filter};

/// Jobs per chunk without a filter; the script also stops after a few milliseconds.
const CHUNK: usize = 300;
/// Jobs read per chunk with a filter: all of them may match, and the script then acts on all.
const FILTERED_CHUNK: usize = 200;
/// How long a replica holds an operation without finishing a chunk before another may take it.
const LEASE: Duration = Duration::from_secs(10);
/// How often each replica looks for operations nobody holds.
const POLL: Duration = Duration::from_millis(500);
/// Operations one replica runs at once.
const MAX_RUNNING: usize = 4;
/// Finished operations stay readable this long.
const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Idempotency keys of StartBulkOperation hold this long.
const REQUEST_TTL: Duration = Duration::from_secs(24 * 3600);
/// How old a registered operation without a record must be before it counts as never created.
const ORPHAN_AGE: Duration = Duration::from_secs(60);
/// Jobs read per round trip when counting matches.
const COUNT_PAGE: usize = 1000;

fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// What a caller asks a bulk operation to do.
pub struct BulkRequest {
    pub queue: String,
    /// Walked one after another.
    pub states: Vec<JobState>,
    pub filter: Filter,
    pub action: Action,
    pub reason: String,
    pub request_id: String,
    /// Who started it; recorded on the operation and on each job's events.
    pub actor: String,
}

/// The states an action accepts, as `lua/actions.lua` has them.
pub fn action_accepts(action: Action, state: JobState) -> bool {
    use JobState::*;
    match action {
        Action::Retry => matches!(state, Dead | Retry | Scheduled),
        Action::Promote => matches!(state, Scheduled | Retry),
        Action::Delete => !matches!(state, Active | Unspecified),
        Action::Cancel => matches!(state, Pending | Scheduled | Retry | Active),
    }
}

fn bulk_action(action: &str) -> BulkAction {
    match action {
        "retry" => BulkAction::Retry,
        "promote" => BulkAction::Promote,
        "delete" => BulkAction::Delete,
        "cancel" => BulkAction::Cancel,
        _ => BulkAction::Unspecified,
    }
}

fn bulk_status(status: &str) -> BulkOperationStatus {
    match status {
        "running" => BulkOperationStatus::Running,
        "succeeded" => BulkOperationStatus::Succeeded,
        "cancelled" => BulkOperationStatus::Cancelled,
        "failed" => BulkOperationStatus::Failed,
        _ => BulkOperationStatus::Unspecified,
    }
}

fn operation_from_fields(id: &str, queue: &str, fields: Vec<(String, Vec<u8>)>) -> BulkOperation {
    let mut op = BulkOperation {
        id: id.to_owned(),
        queue: queue.to_owned(),
        ..BulkOperation::default()
    };
    for (field, value) in fields {
        let value = String::from_utf8_lossy(&value).into_owned();
        let number = || value.parse::<i64>().unwrap_or_default();
        let time = || value.parse::<i64>().ok().map(timestamp_from_ms);
        match field.as_str() {
            "states" => {
                op.states = value
                    .split_ascii_whitespace()
                    .map(|state| state_from_name(state) as i32)
                    .collect()
            }
            "filter" => op.filter = value,
            "action" => op.set_action(bulk_action(&value)),
            "reason" => op.reason = value,
            "status" => op.set_status(bulk_status(&value)),
            "examined" => op.examined = number(),
            "matched" => op.matched = number(),
            "done" => op.done = number(),
            "skipped" => op.skipped = number(),
            "total" => op.total = number(),
            "created_at" => op.created_at = time(),
            "updated_at" => op.updated_at = time(),
            "finished_at" => op.finished_at = time(),
            "error" => op.error = value,
            _ => {}
        }
    }
    op
}

/// The job hash fields a filter needs, so a walk reads those alone; `state` always, so a job
/// that is gone reads as nothing.
fn fields_for(filter: &Filter) -> Vec<&'static str> {
    fn walk(expr: &Expr, out: &mut Vec<&'static str>) {
        match expr {
            Expr::And(items) | Expr::Or(items) => items.iter().for_each(|e| walk(e, out)),
            Expr::Not(inner) => walk(inner, out),
            Expr::Compare(comparison) => {
                let field = match comparison.field {
                    Field::Queue | Field::State => "state",
                    Field::Error => "error",
                    Field::StackTrace => "stack",
                    Field::CancelReason => "cancel_reason",
                    Field::Attempts => "attempts",
                    Field::CreatedAt => "created_at",
                    Field::ScheduledAt => "scheduled_at",
                    Field::StartedAt => "started_at",
                    Field::FinishedAt => "finished_at",
                    // Everything else comes from the job's encoded spec.
                    _ => "spec",
                };
                if !out.contains(&field) {
                    out.push(field);
                }
            }
        }
    }
    let mut fields = vec!["state"];
    if let Some(expr) = filter.expr() {
        walk(expr, &mut fields);
    }
    fields
}

/// What one chunk did.
enum Chunk {
    Progress,
    Finished,
    /// Cancelled, or gone; nothing more to do here.
    Stopped,
    /// Another replica holds the operation now.
    Lost,
}

impl Engine {
    /// Creates a bulk operation and hands it to the runners; returns it as created.
    pub async fn start_bulk(&self, request: BulkRequest) -> Result<BulkOperation> {
        let mut conn = self.conn();
        self.ensure_queue(&mut conn, &request.queue).await?;
        let id = uuid::Uuid::now_v7().to_string();
        if !request.request_id.is_empty() {
            let key = self.keys.bulk_request(&request.queue, &request.request_id);
            let existing: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(&id)
                .arg("NX")
                .arg("GET")
                .arg("EX")
                .arg(REQUEST_TTL.as_secs())
                .query_async(&mut conn)
                .await?;
            if let Some(existing) = existing {
                return self.get_bulk(&existing).await;
            }
            return self.create_bulk(&id, request, Some(&key)).await;
        }
        self.create_bulk(&id, request, None).await
    }

    /// Writes the operation; `request_key`, if any, already names it and is dropped when the
    /// operation could not be written, so it never points at nothing.
    async fn create_bulk(
        &self,
        id: &str,
        request: BulkRequest,
        request_key: Option<&str>,
    ) -> Result<BulkOperation> {
        let mut conn = self.conn();
        let states: Vec<&str> = request.states.iter().map(|s| state_name(*s)).collect();
        let mut start = self
            .scripts
            .bulk_start
            .call(&self.keys.queue(&request.queue));
        start
            .arg(id)
            .arg(request.action.name())
            .arg(states.join(" "))
            .arg(request.filter.to_string())
            .arg(&request.reason)
            .arg(&request.request_id)
            .arg(&request.actor);
        // Registered before it exists, so a crash between the two leaves an entry the runners
        // clean up, never an operation nobody runs.
        let mut pipe = redis::pipe();
        pipe.cmd("HSET")
            .arg(self.keys.bulk_op_queue())
            .arg(id)
            .arg(&request.queue)
            .ignore()
            .cmd("ZADD")
            .arg(self.keys.bulk_running())
            .arg(unix_ms())
            .arg(id)
            .ignore()
            .add_command(start);
        let created: std::result::Result<(Vec<i64>,), _> =
            self.scripts.query_pipeline(&mut conn, &pipe).await;
        let (created_at,) = match created {
            Ok(created) => created,
            Err(error) => {
                if let Some(key) = request_key {
                    redis::cmd("DEL")
                        .arg(key)
                        .query_async::<()>(&mut conn)
                        .await?;
                }
                return Err(error.into());
            }
        };
        redis::cmd("ZADD")
            .arg(self.keys.bulk_ops())
            .arg(created_at.first().copied().unwrap_or_default())
            .arg(id)
            .query_async::<()>(&mut conn)
            .await?;
        self.bulk_wake.notify_one();
        self.get_bulk(id).await
    }

    async fn bulk_queue(&self, id: &str) -> Result<String> {
        let queue: Option<String> = redis::cmd("HGET")
            .arg(self.keys.bulk_op_queue())
            .arg(id)
            .query_async(&mut self.conn())
            .await?;
        queue.ok_or_else(|| QueueError::BulkOperationNotFound(id.to_owned()))
    }

    pub async fn get_bulk(&self, id: &str) -> Result<BulkOperation> {
        let queue = self.bulk_queue(id).await?;
        let fields: Vec<(String, Vec<u8>)> = redis::cmd("HGETALL")
            .arg(self.keys.bulk_op(&queue, id))
            .query_async(&mut self.conn())
            .await?;
        if fields.is_empty() {
            return Err(QueueError::BulkOperationNotFound(id.to_owned()));
        }
        Ok(operation_from_fields(id, &queue, fields))
    }

    /// Operations newest first, after the operation `after` (empty: from the newest), of one
    /// queue or of all; returns whether more follow.
    pub async fn list_bulk(
        &self,
        queue: Option<&str>,
        after: &str,
        limit: usize,
    ) -> Result<(Vec<BulkOperation>, bool)> {
        let mut conn = self.conn();
        let index = match queue {
            Some(queue) => {
                self.ensure_queue(&mut conn, queue).await?;
                self.keys.queue_bulk_ops(queue)
            }
            None => self.keys.bulk_ops(),
        };
        let start = if after.is_empty() {
            0
        } else {
            let rank: Option<i64> = redis::cmd("ZREVRANK")
                .arg(&index)
                .arg(after)
                .query_async(&mut conn)
                .await?;
            rank.map_or(0, |rank| rank + 1)
        };
        let ids: Vec<String> = redis::cmd("ZRANGE")
            .arg(&index)
            .arg(start)
            .arg(start + limit as i64)
            .arg("REV")
            .query_async(&mut conn)
            .await?;
        let more = ids.len() > limit;
        let ids = &ids[..ids.len().min(limit)];
        if ids.is_empty() {
            return Ok((Vec::new(), more));
        }
        let queues: Vec<Option<String>> = match queue {
            Some(queue) => vec![Some(queue.to_owned()); ids.len()],
            None => {
                redis::cmd("HMGET")
                    .arg(self.keys.bulk_op_queue())
                    .arg(ids)
                    .query_async(&mut conn)
                    .await?
            }
        };
        let mut pipe = redis::pipe();
        for (id, queue) in ids.iter().zip(&queues) {
            pipe.cmd("HGETALL")
                .arg(self.keys.bulk_op(queue.as_deref().unwrap_or_default(), id));
        }
        let replies: Vec<Value> = pipe.query_async(&mut conn).await?;
        let mut operations = Vec::with_capacity(ids.len());
        let mut expired = Vec::new();
        for ((id, queue), reply) in ids.iter().zip(queues).zip(replies) {
            let fields = hash_pairs(reply)?;
            match queue {
                Some(queue) if !fields.is_empty() => {
                    operations.push(operation_from_fields(id, &queue, fields))
                }
                _ => expired.push(id.clone()),
            }
        }
        if !expired.is_empty() {
            let mut pipe = redis::pipe();
            pipe.cmd("ZREM")
                .arg(&index)
                .arg(&expired)
                .ignore()
                .cmd("HDEL")
                .arg(self.keys.bulk_op_queue())
                .arg(&expired)
                .ignore();
            pipe.query_async::<()>(&mut conn).await?;
        }
        Ok((operations, more))
    }

    /// Stops a running operation after its current chunk; a finished one is returned as is.
    pub async fn cancel_bulk(&self, id: &str) -> Result<BulkOperation> {
        let queue = self.bulk_queue(id).await?;
        self.stop_bulk(&queue, id, "cancelled", "").await?;
        self.get_bulk(id).await
    }

    async fn stop_bulk(&self, queue: &str, id: &str, status: &str, error: &str) -> Result<()> {
        let mut call = self.scripts.bulk_stop.call(&self.keys.queue(queue));
        call.arg(id).arg(status).arg(error);
        let stopped: i64 = self.scripts.query(&mut self.conn(), &call).await?;
        if stopped == 1 {
            self.retire_bulk(queue, id).await?;
        }
        Ok(())
    }

    /// How many jobs of a queue in one state match a filter: the count kept with the queue for
    /// the empty filter, else a walk of the state in pages.
    pub async fn count_jobs(&self, queue: &str, state: JobState, filter: &Filter) -> Result<i64> {
        let queue_info = self.get_queue(queue).await?;
        if filter.is_empty() {
            let counts = queue_info.counts.unwrap_or_default();
            return Ok(match state {
                JobState::Pending => counts.pending,
                JobState::Scheduled => counts.scheduled,
                JobState::Active => counts.active,
                JobState::Retry => counts.retry,
                JobState::Dead => counts.dead,
                JobState::Completed => counts.completed,
                JobState::Cancelled => counts.cancelled,
                JobState::Unspecified | JobState::Deleted => 0,
            });
        }
        let keys = self.keys.queue(queue);
        let fields = fields_for(filter);
        let page = |cursor: Option<(String, String)>| {
            let mut call = self.scripts.list_jobs.call(&keys);
            call.arg(state_name(state))
                .arg(COUNT_PAGE)
                .arg(0)
                .arg(cursor.as_ref().map_or("", |c| c.0.as_str()))
                .arg(cursor.as_ref().map_or("0", |c| c.1.as_str()))
                .arg(&fields);
            async move {
                let reply: Value = self.scripts.query(&mut self.conn(), &call).await?;
                let mut entries = array(reply)?;
                let more = entries.len() > COUNT_PAGE;
                entries.truncate(COUNT_PAGE);
                let entries = entries.into_iter().map(array).collect::<Result<Vec<_>>>()?;
                Ok::<_, QueueError>((entries, more))
            }
        };
        let mut count = 0;
        let (mut entries, mut more) = page(None).await?;
        loop {
            // The next page travels while this one is evaluated.
            let cursor = match entries.last().map(Vec::as_slice) {
                Some([id, score, _]) => Some((text(id.clone())?, text(score.clone())?)),
                _ => None,
            };
            let next = async {
                match cursor {
                    Some(cursor) if more => Some(page(Some(cursor)).await),
                    _ => None,
                }
            };
            let evaluate = async {
                let mut matched = 0;
                for entry in entries {
                    let Some(fields) = entry.into_iter().nth(2) else {
                        return Err(unexpected_reply("list reply"));
                    };
                    let fields = hash_pairs(fields)?;
                    // A job gone since the page was read, or one that does not decode, is no
                    // match.
                    let job = (!fields.is_empty())
                        .then(|| job_from_fields(queue, fields).ok())
                        .flatten();
                    if job.is_some_and(|job| filter.matches(&job)) {
                        matched += 1;
                    }
                }
                Ok(matched)
            };
            let (next, matched) = tokio::join!(next, evaluate);
            count += matched?;
            match next {
                Some(page) => (entries, more) = page?,
                None => return Ok(count),
            }
        }
    }

    /// Takes an operation out of the runners' list and lets its record expire.
    async fn retire_bulk(&self, queue: &str, id: &str) -> Result<()> {
        let mut pipe = redis::pipe();
        pipe.cmd("ZREM")
            .arg(self.keys.bulk_running())
            .arg(id)
            .ignore()
            .cmd("EXPIRE")
            .arg(self.keys.bulk_op(queue, id))
            .arg(RETENTION.as_secs())
            .ignore();
        pipe.query_async::<()>(&mut self.background.clone()).await?;
        Ok(())
    }

    /// Operations waiting for a runner, as (id, queue); ids whose record is gone are dropped.
    async fn runnable_bulk(&self) -> Result<Vec<(String, String)>> {
        let mut conn = self.background.clone();
        let entries: Vec<(String, i64)> = redis::cmd("ZRANGE")
            .arg(self.keys.bulk_running())
            .arg(0)
            .arg(99)
            .arg("WITHSCORES")
            .query_async(&mut conn)
            .await?;
        let (ids, registered): (Vec<String>, Vec<i64>) = entries.into_iter().unzip();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let queues: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.keys.bulk_op_queue())
            .arg(&ids)
            .query_async(&mut conn)
            .await?;
        let mut pipe = redis::pipe();
        for (id, queue) in ids.iter().zip(&queues) {
            pipe.cmd("HGET")
                .arg(self.keys.bulk_op(queue.as_deref().unwrap_or_default(), id))
                .arg("status");
        }
        let statuses: Vec<Option<String>> = pipe.query_async(&mut conn).await?;
        let mut runnable = Vec::new();
        let now = unix_ms();
        for (((id, queue), status), registered) in
            ids.into_iter().zip(queues).zip(statuses).zip(registered)
        {
            match (queue, status.as_deref()) {
                (Some(queue), Some("running")) => runnable.push((id, queue)),
                (Some(queue), Some(_)) => self.retire_bulk(&queue, &id).await?,
                // Registered a moment before its record is written: not gone, just young.
                _ if now - registered < ORPHAN_AGE.as_millis() as i64 => {}
                _ => {
                    redis::cmd("ZREM")
                        .arg(self.keys.bulk_running())
                        .arg(&id)
                        .query_async::<()>(&mut conn)
                        .await?
                }
            }
        }
        Ok(runnable)
    }

    /// Takes (or renews) an operation for `lease`; a zero lease hands it back at once.
    async fn claim_bulk(
        &self,
        queue: &str,
        id: &str,
        owner: &str,
        lease: Duration,
    ) -> Result<bool> {
        let mut call = self.scripts.bulk_claim.call(&self.keys.queue(queue));
        call.arg(id).arg(owner).arg(lease.as_millis() as u64);
        let claimed: i64 = self
            .scripts
            .query(&mut self.background.clone(), &call)
            .await?;
        Ok(claimed == 1)
    }

    /// Runs one chunk of an operation this replica holds.
    async fn bulk_chunk(
        &self,
        queue: &str,
        id: &str,
        owner: &str,
        filter: &Filter,
    ) -> Result<Chunk> {
        let keys = self.keys.queue(queue);
        let mut conn = self.background.clone();
        let chunk_call = || {
            let mut call = self.scripts.bulk_chunk.call(&keys);
            call.arg(id).arg(owner).arg(LEASE.as_millis() as u64);
            call
        };
        if filter.is_empty() {
            // Chunks go in pairs, so Redis starts the second while the first's answer travels.
            let mut pipe = redis::pipe();
            for _ in 0..2 {
                let mut call = chunk_call();
                call.arg("all").arg(CHUNK);
                pipe.add_command(call);
            }
            let replies: Vec<Value> = self.scripts.query_pipeline(&mut conn, &pipe).await?;
            for reply in replies {
                match self.chunk_reply(queue, reply).await? {
                    Chunk::Progress => {}
                    ended => return Ok(ended),
                }
            }
            return Ok(Chunk::Progress);
        }
        let mut read = self.scripts.bulk_read.call(&keys);
        read.arg(id).arg(FILTERED_CHUNK).arg(fields_for(filter));
        let page = array(self.scripts.query(&mut conn, &read).await?)?;
        let mut page = page.into_iter();
        let (Some(state_index), Some(cursor), Some(at_end)) =
            (page.next(), page.next(), page.next())
        else {
            return Ok(Chunk::Stopped);
        };
        let mut examined = 0;
        let mut last = (String::new(), String::new());
        let mut kept = (String::new(), String::new());
        let mut matched = Vec::new();
        for entry in page {
            let mut parts = array(entry)?.into_iter();
            let (Some(job_id), Some(score), Some(fields)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(unexpected_reply("bulk read reply"));
            };
            let job_id = text(job_id)?;
            let score = text(score)?;
            examined += 1;
            let fields = hash_pairs(fields)?;
            // A job whose hash vanished since the read, or one that does not decode, matches
            // nothing; the walk goes past it.
            let job = (!fields.is_empty())
                .then(|| job_from_fields(queue, fields).ok())
                .flatten();
            if job.is_some_and(|job| filter.matches(&job)) {
                matched.push(job_id.clone());
                matched.push(score.clone());
            } else {
                kept = (job_id.clone(), score.clone());
            }
            last = (job_id, score);
        }
        let mut call = chunk_call();
        call.arg("ids")
            .arg(bytes(state_index)?)
            .arg(bytes(cursor)?)
            .arg(examined)
            .arg(bytes(at_end)?)
            .arg(&last.0)
            .arg(&last.1)
            .arg(&kept.0)
            .arg(&kept.1)
            .arg(&matched);
        let reply = self.scripts.query(&mut conn, &call).await?;
        self.chunk_reply(queue, reply).await
    }

    /// What a `bulk_chunk.lua` answer means; wakes waiting workers and drops deleted ids from
    /// the job index.
    async fn chunk_reply(&self, queue: &str, reply: Value) -> Result<Chunk> {
        let mut parts = array(reply)?.into_iter();
        let status = parts.next().map(text).transpose()?.unwrap_or_default();
        match status.as_str() {
            "ok" => {}
            "moved" => return Ok(Chunk::Progress),
            "lost" => return Ok(Chunk::Lost),
            _ => return Ok(Chunk::Stopped),
        }
        let finished = parts.next().map(int).transpose()?.unwrap_or(0) == 1;
        let woke = parts.next().map(int).transpose()?.unwrap_or(0) == 1;
        let deleted = parts.map(text).collect::<Result<Vec<_>>>()?;
        if woke {
            self.waiters.wake(queue);
        }
        self.forget_ids(&mut self.background.clone(), &deleted)
            .await?;
        Ok(if finished {
            Chunk::Finished
        } else {
            Chunk::Progress
        })
    }

    /// Works an operation this replica holds until it ends, another replica takes it, or the
    /// server stops (the lease then lapses and a replica, or this one restarted, goes on).
    async fn run_bulk(&self, queue: &str, id: &str, owner: &str, stop: &CancellationToken) {
        let filter = match self.get_bulk(id).await {
            Ok(op) => match Filter::parse(&op.filter) {
                Ok(filter) => filter,
                Err(error) => {
                    // Written by a server whose filter language this one does not share.
                    tracing::error!(operation = id, %error, "bulk operation filter does not parse");
                    let reason = format!("filter does not parse: {error}");
                    if let Err(error) = self.stop_bulk(queue, id, "failed", &reason).await {
                        tracing::warn!(operation = id, %error, "bulk operation not failed");
                    }
                    return;
                }
            },
            Err(error) => {
                tracing::warn!(operation = id, %error, "bulk operation unreadable");
                return;
            }
        };
        while !stop.is_cancelled() {
            match self.bulk_chunk(queue, id, owner, &filter).await {
                Ok(Chunk::Progress) => {}
                Ok(Chunk::Finished | Chunk::Stopped) => {
                    if let Err(error) = self.retire_bulk(queue, id).await {
                        tracing::warn!(operation = id, %error, "bulk operation not retired");
                    }
                    tracing::info!(operation = id, queue, "bulk operation ended");
                    return;
                }
                Ok(Chunk::Lost) => return,
                Err(error) => {
                    tracing::warn!(operation = id, %error, "bulk chunk failed; retrying");
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        }
        // Shutting down: hand the operation back so a replica, or this one restarted, goes on
        // without waiting for the lease to lapse.
        if let Err(error) = self.claim_bulk(queue, id, owner, Duration::ZERO).await {
            tracing::warn!(operation = id, %error, "bulk operation not handed back");
        }
    }
}

/// The loop every replica runs: take operations nobody holds and work them, a few at a time.
pub async fn run_bulk_operations(engine: Arc<Engine>, shutdown: CancellationToken) {
    let owner = random_token();
    let held: Arc<Mutex<HashSet<String>>> = Arc::default();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(POLL) => {}
            _ = engine.bulk_wake.notified() => {}
        }
        crate::metrics::loop_pass("bulk_operations", async {
            let runnable = match engine.runnable_bulk().await {
                Ok(runnable) => runnable,
                Err(error) => {
                    tracing::warn!(%error, "listing bulk operations failed");
                    return;
                }
            };
            for (id, queue) in runnable {
                if held.lock().expect("bulk set lock").len() >= MAX_RUNNING
                    || held.lock().expect("bulk set lock").contains(&id)
                {
                    continue;
                }
                match engine.claim_bulk(&queue, &id, &owner, LEASE).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(error) => {
                        tracing::warn!(operation = id, %error, "claiming bulk operation failed");
                        continue;
                    }
                }
                held.lock().expect("bulk set lock").insert(id.clone());
                let (engine, owner, held, stop) = (
                    engine.clone(),
                    owner.clone(),
                    held.clone(),
                    shutdown.clone(),
                );
                tokio::spawn(async move {
                    engine.run_bulk(&queue, &id, &owner, &stop).await;
                    held.lock().expect("bulk set lock").remove(&id);
                });
            }
        })
        .await;
    }
}
