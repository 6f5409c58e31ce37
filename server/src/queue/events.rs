//! The lifecycle events stream of each queue (`events`, format in `lua/prelude.lua`), as the
//! archiver reads it: through the consumer group `archiver`, acknowledged and deleted once
//! recorded, so what is left in a stream is what the archive lacks.

use std::collections::HashSet;
use std::time::Duration;

use redis::Value;
use zenith_proto::v1::Job;

use super::job::job_from_fields;
use super::{Engine, Result, array, hash_pairs, int, text, unexpected_reply};

/// The consumer group every replica's archiver reads through.
pub const ARCHIVER_GROUP: &str = "archiver";
/// Queues read per pipelined round trip.
const QUEUES_PER_PAGE: usize = 1000;
/// Job hashes read per pipelined round trip.
const HASHES_PER_PIPELINE: usize = 2000;

/// One entry of a queue's events stream: what one script run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventEntry {
    pub queue: String,
    /// The stream entry id, "<ms>-<seq>".
    pub id: String,
    /// Redis time of the script run, ms since the epoch.
    pub at_ms: i64,
    pub groups: Vec<EventGroup>,
}

/// Events of one kind in an entry, sharing everything but the per-job lists.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventGroup {
    pub kind: String,
    pub ids: Vec<String>,
    /// The jobs' state right after, when the kind does not say it ('' otherwise).
    pub state: String,
    /// One per id, or empty.
    pub attempts: Vec<i32>,
    /// One per id (ms), or empty.
    pub dues: Vec<i64>,
    pub actor: String,
    pub worker: String,
    pub error: String,
    pub reason: String,
    pub op: String,
}

/// Where to find a job the archiver records.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JobSource {
    pub queue: String,
    pub id: String,
    /// Deleted at this time (ms): read its tomb.
    pub deleted_at: Option<i64>,
}

/// One queue's unarchived events.
#[derive(Clone, Debug, PartialEq)]
pub struct EventBacklog {
    pub queue: String,
    pub entries: i64,
    /// Time of the oldest entry, ms.
    pub oldest_ms: Option<i64>,
}

impl EventEntry {
    /// Orders the versions of a job: later entries of a stream give larger numbers.
    pub fn version(&self) -> i64 {
        let (ms, seq) = self.id.split_once('-').unwrap_or((&self.id, "0"));
        let ms: i64 = ms.parse().unwrap_or_default();
        let seq: i64 = seq.parse().unwrap_or_default();
        // 20 bits of sequence: Redis counts on within a millisecond when its clock steps back.
        (ms << 20) + seq.min((1 << 20) - 1)
    }
}

fn parse_entry(queue: &str, entry: Value) -> Result<Option<EventEntry>> {
    let mut parts = array(entry)?.into_iter();
    let id = text(
        parts
            .next()
            .ok_or_else(|| unexpected_reply("stream entry"))?,
    )?;
    let mut entry = EventEntry {
        queue: queue.to_owned(),
        at_ms: id
            .split_once('-')
            .and_then(|(ms, _)| ms.parse().ok())
            .unwrap_or_default(),
        id,
        groups: Vec::new(),
    };
    // Nil fields: the entry was deleted while pending; nothing to record.
    let fields = match parts.next() {
        None | Some(Value::Nil) => return Ok(Some(entry)),
        Some(fields) => array(fields)?,
    };
    let mut fields = fields.into_iter();
    while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
        let name = text(name)?;
        let value = text(value)?;
        if name == "kind" {
            entry.groups.push(EventGroup {
                kind: value,
                ..EventGroup::default()
            });
            continue;
        }
        if name == "at" {
            entry.at_ms = value.parse().unwrap_or(entry.at_ms);
            continue;
        }
        let Some(group) = entry.groups.last_mut() else {
            continue;
        };
        match name.as_str() {
            "ids" => group.ids = value.split(' ').map(str::to_owned).collect(),
            "state" => group.state = value,
            "attempt" => {
                group.attempts = value
                    .split(' ')
                    .map(|n| n.parse().unwrap_or_default())
                    .collect()
            }
            "due" => {
                group.dues = value
                    .split(' ')
                    .map(|n| n.parse().unwrap_or_default())
                    .collect()
            }
            "actor" => group.actor = value,
            "worker" => group.worker = value,
            "error" => group.error = value,
            "reason" => group.reason = value,
            "op" => group.op = value,
            _ => {}
        }
    }
    Ok(Some(entry))
}

/// The entries of an XREADGROUP or XRANGE reply for one stream: RESP2 arrays or RESP3 maps.
fn stream_entries(queue: &str, reply: Value) -> Result<Vec<EventEntry>> {
    let streams = match reply {
        Value::Nil => return Ok(Vec::new()),
        Value::Map(pairs) => pairs.into_iter().map(|(_, entries)| entries).collect(),
        Value::Array(streams) => streams
            .into_iter()
            .map(|stream| array(stream).map(|mut parts| parts.pop().unwrap_or(Value::Nil)))
            .collect::<Result<Vec<_>>>()?,
        other => return Err(unexpected_reply(&format!("{other:?}"))),
    };
    let mut out = Vec::new();
    for entries in streams {
        for entry in array(entries)? {
            out.extend(parse_entry(queue, entry)?);
        }
    }
    Ok(out)
}

fn is_server_error(value: &Value, code: &str) -> bool {
    matches!(value, Value::ServerError(error) if error.code() == code)
}

impl Engine {
    /// Every registered queue, read from the registry a page at a time.
    pub async fn all_queue_names(&self) -> Result<Vec<String>> {
        let mut conn = self.background.clone();
        let mut names: Vec<String> = Vec::new();
        loop {
            let after = names.last().cloned().unwrap_or_default();
            let page = self.queue_names(&mut conn, &after, QUEUES_PER_PAGE).await?;
            let done = page.len() < QUEUES_PER_PAGE;
            names.extend(page);
            if done {
                return Ok(names);
            }
        }
    }

    /// Reads up to `count` entries per queue for `consumer`: its own pending entries when
    /// `pending` (entries it read before and has not acknowledged), else new ones. Creates the
    /// consumer group of queues not in `grouped` first, and adds them; a queue whose group has
    /// gone (Redis was flushed) is dropped from `grouped` so the next read creates it again.
    pub async fn read_events(
        &self,
        queues: &[String],
        grouped: &mut HashSet<String>,
        consumer: &str,
        pending: bool,
        count: usize,
    ) -> Result<Vec<EventEntry>> {
        let mut entries = Vec::new();
        for page in queues.chunks(QUEUES_PER_PAGE) {
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            for queue in page {
                let stream = &self.keys.queue(queue).keys[7];
                if !grouped.contains(queue) {
                    pipe.cmd("XGROUP")
                        .arg("CREATE")
                        .arg(stream)
                        .arg(ARCHIVER_GROUP)
                        .arg("0")
                        .arg("MKSTREAM")
                        .ignore();
                }
                pipe.cmd("XREADGROUP")
                    .arg("GROUP")
                    .arg(ARCHIVER_GROUP)
                    .arg(consumer)
                    .arg("COUNT")
                    .arg(count)
                    .arg("STREAMS")
                    .arg(stream)
                    .arg(if pending { "0" } else { ">" });
            }
            let replies: Vec<Value> = pipe.query_async(&mut self.background.clone()).await?;
            for (queue, reply) in page.iter().zip(replies) {
                if is_server_error(&reply, "NOGROUP") {
                    grouped.remove(queue);
                    continue;
                }
                if let Value::ServerError(error) = reply {
                    return Err(redis::RedisError::from(error).into());
                }
                grouped.insert(queue.clone());
                entries.extend(stream_entries(queue, reply)?);
            }
        }
        Ok(entries)
    }

    /// Deletes the archiver consumers of stopped replicas from the queues' streams (see
    /// `forget_idle_consumers`); returns how many went.
    pub async fn forget_idle_archivers(
        &self,
        queues: &[String],
        keep: &str,
        min_idle: Duration,
    ) -> Result<usize> {
        let streams: Vec<String> = queues
            .iter()
            .map(|queue| self.keys.queue(queue).keys[7].clone())
            .collect();
        super::forget_idle_consumers(
            &mut self.background.clone(),
            &streams,
            ARCHIVER_GROUP,
            keep,
            min_idle,
        )
        .await
    }

    /// Moves entries idle longer than `min_idle` in other consumers' pending lists (a replica
    /// that died mid-batch) to `consumer`, up to `count` per queue; returns how many moved.
    pub async fn claim_stale_events(
        &self,
        queues: &[String],
        consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<usize> {
        let mut claimed = 0;
        for page in queues.chunks(QUEUES_PER_PAGE) {
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            for queue in page {
                pipe.cmd("XAUTOCLAIM")
                    .arg(&self.keys.queue(queue).keys[7])
                    .arg(ARCHIVER_GROUP)
                    .arg(consumer)
                    .arg(min_idle.as_millis() as u64)
                    .arg("0")
                    .arg("COUNT")
                    .arg(count)
                    .arg("JUSTID");
            }
            let replies: Vec<Value> = pipe.query_async(&mut self.background.clone()).await?;
            for reply in replies {
                // A queue without a group yet has nothing to claim.
                if let Value::Array(parts) = reply
                    && let Some(ids) = parts.into_iter().nth(1)
                {
                    claimed += array(ids)?.len();
                }
            }
        }
        Ok(claimed)
    }

    /// The jobs as their hashes (or, for deleted ones, their tombs) hold them now, in order;
    /// None where nothing is left, or what is left cannot be read (logged: one bad hash must
    /// not hold up the archive). Pipelined, `HASHES_PER_PIPELINE` at a time, so neither side
    /// buffers a whole round of payloads at once.
    pub async fn read_archived_jobs(&self, sources: &[JobSource]) -> Result<Vec<Option<Job>>> {
        let mut jobs = Vec::with_capacity(sources.len());
        for chunk in sources.chunks(HASHES_PER_PIPELINE) {
            let mut pipe = redis::pipe();
            for source in chunk {
                let keys = self.keys.queue(&source.queue);
                let key = match source.deleted_at {
                    Some(at) => keys.tomb(at, &source.id),
                    None => keys.job(&source.id),
                };
                pipe.cmd("HGETALL").arg(key);
            }
            let replies: Vec<Value> = pipe.query_async(&mut self.background.clone()).await?;
            for (source, reply) in chunk.iter().zip(replies) {
                let fields = hash_pairs(reply)?;
                if fields.is_empty() {
                    jobs.push(None);
                    continue;
                }
                match job_from_fields(&source.queue, fields) {
                    Ok(job) => jobs.push(Some(job)),
                    Err(error) => {
                        tracing::error!(queue = %source.queue, job = %source.id, %error, "unreadable job not archived");
                        jobs.push(None);
                    }
                }
            }
        }
        Ok(jobs)
    }

    /// Acknowledges and deletes recorded entries, and drops the tombs of the jobs they deleted.
    /// One round trip.
    pub async fn ack_events(&self, entries: &[EventEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        // Tombs first: a tomb left behind by a broken round trip would have no entry naming it,
        // while an entry left behind is only recorded again, harmlessly.
        for entry in entries {
            let keys = self.keys.queue(&entry.queue);
            for group in entry.groups.iter().filter(|g| g.kind == "deleted") {
                let tombs: Vec<String> = group
                    .ids
                    .iter()
                    .map(|id| keys.tomb(entry.at_ms, id))
                    .collect();
                pipe.cmd("DEL").arg(tombs).ignore();
            }
        }
        for entry in entries {
            let keys = self.keys.queue(&entry.queue);
            pipe.cmd("XACK")
                .arg(&keys.keys[7])
                .arg(ARCHIVER_GROUP)
                .arg(&entry.id)
                .ignore();
            pipe.cmd("XDEL").arg(&keys.keys[7]).arg(&entry.id).ignore();
        }
        pipe.query_async::<()>(&mut self.background.clone()).await?;
        Ok(())
    }

    /// Per queue with unarchived events: how many, and the oldest one's time. Two pipelined
    /// round trips whatever the number of queues.
    pub async fn event_backlog(&self) -> Result<Vec<EventBacklog>> {
        let queues = self.all_queue_names().await?;
        let mut backlog = Vec::new();
        for page in queues.chunks(QUEUES_PER_PAGE) {
            let mut pipe = redis::pipe();
            for queue in page {
                let stream = &self.keys.queue(queue).keys[7];
                pipe.cmd("XLEN").arg(stream);
                pipe.cmd("XRANGE")
                    .arg(stream)
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(1);
            }
            let replies: Vec<Value> = pipe.query_async(&mut self.conn()).await?;
            let mut replies = replies.into_iter();
            for queue in page {
                let (Some(len), Some(first)) = (replies.next(), replies.next()) else {
                    return Err(unexpected_reply("stream backlog"));
                };
                let entries = int(len)?;
                if entries == 0 {
                    continue;
                }
                let oldest_ms = array(first)?
                    .into_iter()
                    .next()
                    .map(|entry| parse_entry(queue, entry))
                    .transpose()?
                    .flatten()
                    .map(|entry| entry.at_ms);
                backlog.push(EventBacklog {
                    queue: queue.clone(),
                    entries,
                    oldest_ms,
                });
            }
        }
        Ok(backlog)
    }
}
