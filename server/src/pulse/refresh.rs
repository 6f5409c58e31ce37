//! The loop every replica runs: reads new Redis-native beats (and beats other replicas took)
//! into the view, announces health changes, and forgets nodes lost for too long.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use zenith_proto::v1::{BeatPayload, BeatTransport};

use super::view::NodeRecord;
use super::{Pulse, PulseError, Recorded, Result, SharedPulse, beat, local_ms};
use crate::redis_conn::RedisConn;

/// New beats are seen within this (PULSE.md promises a second).
const ROUND: Duration = Duration::from_millis(300);
/// Registry entries read per call, and beats read per pipeline.
const CHUNK: usize = 1000;

/// A beat that could not be read, remembered so it is counted and logged once, not re-read every
/// round.
struct Malformed {
    score: f64,
    noticed_ms: i64,
}

#[derive(Default)]
struct LoopState {
    malformed: HashMap<String, Malformed>,
}

/// A node whose registry score changed, as read from Redis.
struct Changed {
    node_id: String,
    score: f64,
    beat: Option<Vec<u8>>,
    bookkeeping: HashMap<String, String>,
    /// Why its keys could not be read (e.g. an agent wrote the beat key as a hash).
    unreadable: Option<String>,
}

impl Pulse {
    /// Reads Redis-native beats into the view and forgets nodes lost for too long.
    pub async fn run(self: SharedPulse, stop: CancellationToken) {
        let mut state = LoopState::default();
        loop {
            if let Err(error) = crate::metrics::loop_pass("pulse", self.refresh(&mut state)).await {
                tracing::warn!(%error, "pulse refresh failed");
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(ROUND) => {}
            }
        }
    }

    async fn refresh(&self, state: &mut LoopState) -> Result<()> {
        let mut conn = self.engine.background_connection();
        let (seconds, micros): (i64, i64) = redis::cmd("TIME").query_async(&mut conn).await?;
        let redis_ms = seconds * 1000 + micros / 1000;
        self.clock_offset_ms
            .store(redis_ms - local_ms(), Ordering::Relaxed);

        let registry = self.read_registry(&mut conn).await?;
        let listed: HashSet<&str> = registry.iter().map(|(id, _)| id.as_str()).collect();
        let missing: Vec<String> = self
            .view()
            .node_ids()
            .filter(|id| !listed.contains(id.as_str()))
            .cloned()
            .collect();
        let gone = self.still_missing(&mut conn, missing).await?;
        state.malformed.retain(|id, _| listed.contains(id.as_str()));
        if !gone.is_empty() {
            let now = self.now_ms();
            let mut view = self.view_mut();
            let removed: Vec<_> = gone.iter().filter_map(|id| view.remove(id, now)).collect();
            drop(view);
            self.announce(removed);
        }

        let changed: Vec<(String, f64)> = {
            let view = self.view();
            registry
                .iter()
                .filter(|(id, score)| {
                    view.score(id) != Some(*score)
                        && state.malformed.get(id).map(|m| m.score) != Some(*score)
                })
                .cloned()
                .collect()
        };
        for chunk in changed.chunks(CHUNK) {
            let read = self.read_changed(&mut conn, chunk).await?;
            self.take_changed(&mut conn, state, read).await?;
        }

        let now = self.now_ms();
        let health = self.view_mut().health_changes(now);
        self.announce(health);
        self.forget_expired(&mut conn, state).await
    }

    /// The nodes that are really gone from the registry. Reading it by rank in chunks can miss
    /// a node whose rank moved while beats came in, and a node may have been added since.
    async fn still_missing(
        &self,
        conn: &mut RedisConn,
        missing: Vec<String>,
    ) -> Result<Vec<String>> {
        let mut gone = Vec::new();
        for chunk in missing.chunks(CHUNK) {
            let scores: Vec<Option<f64>> = redis::cmd("ZMSCORE")
                .arg(self.keys.nodes())
                .arg(chunk)
                .query_async(conn)
                .await?;
            gone.extend(
                chunk
                    .iter()
                    .zip(scores)
                    .filter(|(_, score)| score.is_none())
                    .map(|(id, _)| id.clone()),
            );
        }
        Ok(gone)
    }

    /// Every registry entry, in bounded chunks.
    async fn read_registry(&self, conn: &mut RedisConn) -> Result<Vec<(String, f64)>> {
        let mut registry = Vec::new();
        loop {
            let start = registry.len();
            let chunk: Vec<(String, f64)> = redis::cmd("ZRANGE")
                .arg(self.keys.nodes())
                .arg(start)
                .arg(start + CHUNK - 1)
                .arg("WITHSCORES")
                .query_async(conn)
                .await?;
            let done = chunk.len() < CHUNK;
            registry.extend(chunk);
            if done {
                return Ok(registry);
            }
        }
    }

    async fn read_changed(
        &self,
        conn: &mut RedisConn,
        chunk: &[(String, f64)],
    ) -> Result<Vec<Changed>> {
        let mut pipe = redis::pipe();
        // One node's key of the wrong type must fail only that node, not the whole read.
        pipe.ignore_errors();
        for (id, _) in chunk {
            pipe.cmd("GET").arg(self.keys.beat(id));
            pipe.cmd("HGETALL").arg(self.keys.node(id));
        }
        let replies: Vec<redis::Value> = pipe.query_async(conn).await?;
        let mut replies = replies.into_iter();
        let mut changed = Vec::with_capacity(chunk.len());
        for (node_id, score) in chunk {
            let (Some(beat), Some(bookkeeping)) = (replies.next(), replies.next()) else {
                return Err(PulseError::UnexpectedReply("registry read"));
            };
            let beat = redis::from_redis_value::<Option<Vec<u8>>>(beat);
            let bookkeeping = redis::from_redis_value::<HashMap<String, String>>(bookkeeping);
            changed.push(match (beat, bookkeeping) {
                (Ok(beat), Ok(bookkeeping)) => Changed {
                    node_id: node_id.clone(),
                    score: *score,
                    beat,
                    bookkeeping,
                    unreadable: None,
                },
                (Err(error), _) | (_, Err(error)) => Changed {
                    node_id: node_id.clone(),
                    score: *score,
                    beat: None,
                    bookkeeping: HashMap::new(),
                    unreadable: Some(error.to_string()),
                },
            });
        }
        Ok(changed)
    }

    /// Takes changed nodes into the view: beats already recorded (gRPC, another replica, or
    /// before a restart) as they are, new Redis-native beats recorded here first.
    async fn take_changed(
        &self,
        conn: &mut RedisConn,
        state: &mut LoopState,
        changed: Vec<Changed>,
    ) -> Result<()> {
        let now = self.now_ms();
        let mut ready = Vec::new();
        let mut to_record: Vec<(BeatPayload, f64, Duration, String)> = Vec::new();
        let mut unknown = Vec::new();
        for node in changed {
            if let Some(reason) = &node.unreadable {
                self.malformed(state, &node.node_id, node.score, now, reason);
                continue;
            }
            let recorded_score = node
                .bookkeeping
                .get("score")
                .and_then(|score| score.parse::<f64>().ok());
            match node.beat {
                Some(json) => match beat::parse(&json) {
                    Ok((payload, _)) if payload_id(&payload) != node.node_id => {
                        self.malformed(
                            state,
                            &node.node_id,
                            node.score,
                            now,
                            "node id differs from its key",
                        );
                    }
                    Ok((payload, interval)) => {
                        if recorded_score == Some(node.score) {
                            if let Some(record) =
                                from_bookkeeping(payload, node.score, &node.bookkeeping)
                            {
                                ready.push(record);
                            }
                        } else {
                            let json = String::from_utf8_lossy(&json).into_owned();
                            to_record.push((payload, node.score, interval, json));
                        }
                    }
                    Err(error) => {
                        self.malformed(state, &node.node_id, node.score, now, &error.to_string());
                    }
                },
                // The beat expired: the node is lost, and listed from its last beat's copy.
                None => {
                    let copy = node.bookkeeping.get("beat").and_then(|json| {
                        zenith_proto::from_json::<BeatPayload>(json.as_bytes()).ok()
                    });
                    match copy.and_then(|payload| {
                        from_bookkeeping(payload, node.score, &node.bookkeeping)
                    }) {
                        Some(record) => ready.push(record),
                        None => unknown.push((node.node_id, node.score)),
                    }
                }
            }
        }

        if !to_record.is_empty() {
            let mut pipe = redis::pipe();
            for (payload, score, interval, json) in &to_record {
                pipe.add_command(self.record_cmd(
                    payload_id(payload),
                    *score,
                    BeatTransport::Redis,
                    *interval,
                    json,
                ));
            }
            let replies: Vec<Vec<String>> = self.scripts.query(conn, &pipe).await?;
            let mut metrics = redis::pipe();
            let mut fresh = Vec::new();
            for ((payload, score, interval, _), reply) in to_record.into_iter().zip(replies) {
                let recorded =
                    Recorded::parse(&reply).ok_or(PulseError::UnexpectedReply("record"))?;
                // Only the replica that recorded the beat applies it, once.
                if recorded.recorded {
                    metrics
                        .add_command(self.metrics_cmd(payload_id(&payload), &payload))
                        .ignore();
                    fresh.push((payload.clone(), interval));
                }
                ready.push(recorded.into_record(payload, score));
            }
            if !fresh.is_empty() {
                self.scripts.query::<_, ()>(conn, &metrics).await?;
            }
            for (payload, interval) in fresh {
                if let Err(error) = self.xray(&payload, interval).await {
                    tracing::warn!(node = payload_id(&payload), %error, "x-ray of a redis beat failed");
                }
            }
        }

        // In the registry with neither a beat nor bookkeeping: nothing to show.
        for (node_id, score) in unknown {
            self.forget(conn, &node_id, score).await?;
        }

        let now = self.now_ms();
        let mut view = self.view_mut();
        let changes: Vec<_> = ready
            .into_iter()
            .map(|record| view.upsert(record, now))
            .collect();
        drop(view);
        self.announce(changes);
        Ok(())
    }

    fn malformed(
        &self,
        state: &mut LoopState,
        node_id: &str,
        score: f64,
        now_ms: i64,
        error: &str,
    ) {
        self.malformed_beats.fetch_add(1, Ordering::Relaxed);
        let first = state.malformed.insert(
            node_id.to_owned(),
            Malformed {
                score,
                noticed_ms: now_ms,
            },
        );
        if first.is_none() {
            tracing::warn!(node = node_id, error, "malformed redis beat ignored");
        }
    }

    /// Removes a node from the registry if it did not beat again since `score`, then its
    /// bookkeeping. True when removed.
    async fn forget(&self, conn: &mut RedisConn, node_id: &str, score: f64) -> Result<bool> {
        let mut forget = self.scripts.forget.call(&self.keys.nodes());
        forget.arg(node_id).arg(score);
        let mut pipe = redis::pipe();
        pipe.add_command(forget);
        let (removed,): (i64,) = self.scripts.query(conn, &pipe).await?;
        if removed == 1 {
            redis::pipe()
                .cmd("DEL")
                .arg(self.keys.node(node_id))
                .arg(self.keys.metrics(node_id))
                .arg(self.keys.quiet(node_id))
                .query_async::<()>(conn)
                .await?;
        }
        Ok(removed == 1)
    }

    async fn forget_expired(&self, conn: &mut RedisConn, state: &mut LoopState) -> Result<()> {
        let now = self.now_ms();
        let retention_ms = self.config.lost_node_retention.as_millis() as i64;
        let expired = self.view().expired(now, retention_ms);
        for (node_id, score) in expired {
            if self.forget(conn, &node_id, score).await? {
                let change = self.view_mut().remove(&node_id, now);
                self.announce(change);
            }
        }
        // A node that only ever sent malformed beats goes as a lost one would at the default
        // interval.
        let ttl_ms = beat::ttl(beat::DEFAULT_INTERVAL).as_millis() as i64;
        let stale: Vec<(String, f64)> = state
            .malformed
            .iter()
            .filter(|(_, m)| m.noticed_ms + ttl_ms + retention_ms <= now)
            .map(|(id, m)| (id.clone(), m.score))
            .collect();
        for (node_id, score) in stale {
            if self.forget(conn, &node_id, score).await? {
                state.malformed.remove(&node_id);
            }
        }
        Ok(())
    }
}

fn payload_id(payload: &BeatPayload) -> &str {
    payload.identity.as_ref().map_or("", |i| &i.node_id)
}

/// A node as recorded in Redis, without recording anything.
fn from_bookkeeping(
    beat: BeatPayload,
    score: f64,
    fields: &HashMap<String, String>,
) -> Option<NodeRecord> {
    let int = |name: &str| fields.get(name)?.parse::<i64>().ok();
    Some(NodeRecord {
        beat,
        score,
        first_seen_ms: int("first_seen")?,
        last_seen_ms: int("last_seen")?,
        interval_ms: int("interval_ms")?,
        transport: super::transport_from_name(fields.get("transport")?),
        quiet_requested: fields
            .get("quiet_requested")
            .is_some_and(|quiet| quiet == "1"),
    })
}
