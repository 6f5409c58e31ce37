//! Consumer names of stopped replicas: every process start reads its streams under a name of
//! its own, and Redis keeps each name in the group until it is deleted.

use std::collections::HashMap;
use std::time::Duration;

use redis::Value;
use redis::aio::ConnectionLike;

use super::Result;

/// Streams read per pipelined round trip.
const STREAMS_PER_PAGE: usize = 1000;
/// How often the archivers look for consumers to forget.
pub const FORGET_CONSUMERS_EVERY: Duration = Duration::from_secs(600);
/// How long a consumer holding nothing must not have read before it is forgotten.
pub const FORGET_CONSUMERS_IDLE: Duration = Duration::from_secs(3600);

/// Deletes the consumers of `group` on each stream that hold no entries and have not read for
/// `min_idle`, except `keep` (the caller's own name); returns how many went. A live archiver
/// reads every few seconds, so only names of stopped processes qualify. Streams without the
/// group are skipped.
pub async fn forget_idle_consumers<C: ConnectionLike>(
    conn: &mut C,
    streams: &[String],
    group: &str,
    keep: &str,
    min_idle: Duration,
) -> Result<usize> {
    let min_idle_ms = min_idle.as_millis() as i64;
    let mut forgotten = 0;
    for page in streams.chunks(STREAMS_PER_PAGE) {
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for stream in page {
            pipe.cmd("XINFO").arg("CONSUMERS").arg(stream).arg(group);
        }
        let replies: Vec<Value> = pipe.query_async(conn).await?;
        let mut delete = redis::pipe();
        for (stream, reply) in page.iter().zip(replies) {
            // No group on this stream yet: an error reply, nothing to forget.
            let Ok(consumers) = redis::from_redis_value::<Vec<HashMap<String, Value>>>(reply)
            else {
                continue;
            };
            for consumer in consumers {
                let number = |field: &str| {
                    consumer
                        .get(field)
                        .and_then(|value| redis::from_redis_value_ref::<i64>(value).ok())
                };
                let name = consumer
                    .get("name")
                    .and_then(|value| redis::from_redis_value_ref::<String>(value).ok());
                if let (Some(name), Some(0), Some(idle)) = (name, number("pending"), number("idle"))
                    && name != keep
                    && idle >= min_idle_ms
                {
                    delete
                        .cmd("XGROUP")
                        .arg("DELCONSUMER")
                        .arg(stream)
                        .arg(group)
                        .arg(name)
                        .ignore();
                    forgotten += 1;
                }
            }
        }
        if !delete.is_empty() {
            delete.query_async::<()>(conn).await?;
        }
    }
    Ok(forgotten)
}
