//! The Redis stream `<prefix>:logs` (PULSE.md, "Logs"): writing lines, reading entries through
//! the archiver's consumer group or by range, and trimming what is archived and old.

use redis::Value;

use crate::queue::{QueueError, Result};
use crate::redis_conn::RedisConn;

/// The consumer group every replica's archiver shares.
pub const ARCHIVER_GROUP: &str = "log-archiver";

/// One stream entry as Redis holds it: its id and field-value pairs.
#[derive(Clone, Debug, PartialEq)]
pub struct RawEntry {
    pub id: String,
    pub fields: Vec<(String, String)>,
}

pub fn key(prefix: &str) -> String {
    format!("{prefix}:logs")
}

/// An entry id as numbers, for ordering: "<ms>-<seq>".
pub fn entry_order(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (
        ms.parse().unwrap_or_default(),
        seq.parse().unwrap_or_default(),
    )
}

/// Appends lines (proto3 JSON each) in one round trip, in order; returns their entry ids.
pub async fn append(conn: &mut RedisConn, key: &str, lines: &[String]) -> Result<Vec<String>> {
    let mut pipe = redis::pipe();
    for line in lines {
        pipe.cmd("XADD").arg(key).arg("*").arg("record").arg(line);
    }
    Ok(pipe.query_async(conn).await?)
}

/// Creates the archiver group at the stream's start (and the stream if need be); an existing
/// group is left as it is.
pub async fn create_group(conn: &mut RedisConn, key: &str) -> Result<()> {
    let created: redis::RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(key)
        .arg(ARCHIVER_GROUP)
        .arg("0")
        .arg("MKSTREAM")
        .query_async(conn)
        .await;
    match created {
        Err(error) if error.code() == Some("BUSYGROUP") => Ok(()),
        other => Ok(other?),
    }
}

/// Up to `count` entries for `consumer`: its own unacknowledged ones when `pending`, else new.
pub async fn read_group(
    conn: &mut RedisConn,
    key: &str,
    consumer: &str,
    pending: bool,
    count: usize,
) -> Result<Vec<RawEntry>> {
    let reply: Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg(ARCHIVER_GROUP)
        .arg(consumer)
        .arg("COUNT")
        .arg(count)
        .arg("STREAMS")
        .arg(key)
        .arg(if pending { "0" } else { ">" })
        .query_async(conn)
        .await?;
    read_reply(reply)
}

/// Takes over up to `count` entries idle longer than `min_idle_ms` in other consumers' lists
/// (a replica that died mid-round).
pub async fn claim_stale(
    conn: &mut RedisConn,
    key: &str,
    consumer: &str,
    min_idle_ms: u64,
    count: usize,
) -> Result<Vec<RawEntry>> {
    let reply: Value = redis::cmd("XAUTOCLAIM")
        .arg(key)
        .arg(ARCHIVER_GROUP)
        .arg(consumer)
        .arg(min_idle_ms)
        .arg("0")
        .arg("COUNT")
        .arg(count)
        .query_async(conn)
        .await?;
    match reply {
        Value::Array(parts) => match parts.into_iter().nth(1) {
            Some(entries) => entry_list(entries),
            None => Ok(Vec::new()),
        },
        _ => Ok(Vec::new()),
    }
}

pub async fn ack(conn: &mut RedisConn, key: &str, ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    redis::cmd("XACK")
        .arg(key)
        .arg(ARCHIVER_GROUP)
        .arg(ids)
        .query_async::<i64>(conn)
        .await?;
    Ok(())
}

/// Entries from `start` (inclusive; "(" + id for exclusive) on, at most `count`.
pub async fn range<C: redis::aio::ConnectionLike>(
    conn: &mut C,
    key: &str,
    start: &str,
    count: usize,
) -> Result<Vec<RawEntry>> {
    let reply: Value = redis::cmd("XRANGE")
        .arg(key)
        .arg(start)
        .arg("+")
        .arg("COUNT")
        .arg(count)
        .query_async(conn)
        .await?;
    entry_list(reply)
}

/// Entries after `after`, waiting up to `block_ms` for some. Blocks the connection: only on a
/// dedicated one.
pub async fn read_after<C: redis::aio::ConnectionLike>(
    conn: &mut C,
    key: &str,
    after: &str,
    block_ms: u64,
    count: usize,
) -> Result<Vec<RawEntry>> {
    let reply: Value = redis::cmd("XREAD")
        .arg("COUNT")
        .arg(count)
        .arg("BLOCK")
        .arg(block_ms)
        .arg("STREAMS")
        .arg(key)
        .arg(after)
        .query_async(conn)
        .await?;
    read_reply(reply)
}

/// The id of the newest entry, or "0-0" for an empty stream.
pub async fn last_id<C: redis::aio::ConnectionLike>(conn: &mut C, key: &str) -> Result<String> {
    let reply: Value = redis::cmd("XREVRANGE")
        .arg(key)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await?;
    Ok(entry_list(reply)?
        .pop()
        .map_or_else(|| "0-0".to_owned(), |entry| entry.id))
}

/// Trims entries older than `older_than_ms` but never one the archiver group has not
/// acknowledged: the bound is the older of that time and the group's oldest pending or
/// undelivered entry. Returns how many entries went; nothing when the group is missing.
pub async fn trim(conn: &mut RedisConn, key: &str, older_than_ms: u64) -> Result<u64> {
    // One MULTI: the group's position and its pending list as of the same moment.
    let (groups, pending): (Value, Value) = redis::pipe()
        .atomic()
        .cmd("XINFO")
        .arg("GROUPS")
        .arg(key)
        .cmd("XPENDING")
        .arg(key)
        .arg(ARCHIVER_GROUP)
        .query_async(conn)
        .await?;
    let Some(last_delivered) = last_delivered(groups) else {
        return Ok(0);
    };
    // Entries after the last delivered one are unread; pending ones are read but unarchived.
    let (ms, seq) = entry_order(&last_delivered);
    let mut bound = (ms, seq.saturating_add(1));
    if let Value::Array(parts) = pending
        && let Some(oldest) = parts.into_iter().nth(1)
        && !matches!(oldest, Value::Nil)
    {
        bound = bound.min(entry_order(&text(oldest)));
    }
    let bound = bound.min((older_than_ms, 0));
    Ok(redis::cmd("XTRIM")
        .arg(key)
        .arg("MINID")
        .arg(format!("{}-{}", bound.0, bound.1))
        .query_async(conn)
        .await?)
}

fn last_delivered(groups: Value) -> Option<String> {
    let Value::Array(groups) = groups else {
        return None;
    };
    groups.into_iter().find_map(|group| {
        let pairs = pairs(group);
        let named = pairs
            .iter()
            .any(|(name, value)| name == "name" && value == ARCHIVER_GROUP);
        named.then(|| {
            pairs
                .into_iter()
                .find(|(name, _)| name == "last-delivered-id")
                .map(|(_, value)| value)
        })?
    })
}

/// Key-value pairs of a RESP2 flat array or a RESP3 map, as text.
fn pairs(value: Value) -> Vec<(String, String)> {
    match value {
        Value::Map(pairs) => pairs.into_iter().map(|(k, v)| (text(k), text(v))).collect(),
        Value::Array(items) => {
            let mut items = items.into_iter();
            let mut out = Vec::new();
            while let (Some(k), Some(v)) = (items.next(), items.next()) {
                out.push((text(k), text(v)));
            }
            out
        }
        _ => Vec::new(),
    }
}

/// The entries of an XREAD/XREADGROUP reply for one stream: RESP2 arrays or RESP3 maps.
fn read_reply(reply: Value) -> Result<Vec<RawEntry>> {
    let streams: Vec<Value> = match reply {
        Value::Nil => return Ok(Vec::new()),
        Value::Map(pairs) => pairs.into_iter().map(|(_, entries)| entries).collect(),
        Value::Array(streams) => streams
            .into_iter()
            .filter_map(|stream| match stream {
                Value::Array(mut parts) => parts.pop(),
                _ => None,
            })
            .collect(),
        other => return Err(unexpected(&other)),
    };
    let mut entries = Vec::new();
    for stream in streams {
        entries.extend(entry_list(stream)?);
    }
    Ok(entries)
}

fn entry_list(value: Value) -> Result<Vec<RawEntry>> {
    let Value::Array(items) = value else {
        return match value {
            Value::Nil => Ok(Vec::new()),
            other => Err(unexpected(&other)),
        };
    };
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let Value::Array(parts) = item else {
            return Err(unexpected(&item));
        };
        let mut parts = parts.into_iter();
        let id = text(parts.next().unwrap_or(Value::Nil));
        // Nil fields: deleted while pending; there is nothing left to read.
        let fields = parts.next().map(pairs).unwrap_or_default();
        entries.push(RawEntry { id, fields });
    }
    Ok(entries)
}

fn text(value: Value) -> String {
    match value {
        Value::BulkString(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Value::SimpleString(text) => text,
        Value::VerbatimString { text, .. } => text,
        Value::Int(n) => n.to_string(),
        Value::Nil => String::new(),
        other => format!("{other:?}"),
    }
}

fn unexpected(value: &Value) -> QueueError {
    QueueError::Redis(redis::RedisError::from((
        redis::ErrorKind::UnexpectedReturnType,
        "unexpected stream reply",
        format!("{value:?}"),
    )))
}
