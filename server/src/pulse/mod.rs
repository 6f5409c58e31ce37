//! The pulse (PULSE.md): beats from every node, over gRPC and straight into Redis, folded into
//! one view of the nodes, their health by the server's clock, the jobs they run (X-ray) and the
//! queues they see in other systems.

mod beat;
mod error;
mod keys;
mod refresh;
mod scripts;
mod view;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::broadcast;
use zenith_proto::v1::{
    BeatPayload, BeatResponse, BeatTransport, ExtendedLease, Node, NodeChange, NodeInstruction,
    NodeInstructionKind, NodeMetricPoint,
};

pub use error::{PulseError, Result};
pub use view::{ExternalReport, NodeFilter, NodePage};

use crate::api::validate;
use crate::queue::{SharedEngine, XrayOutcome, timestamp_from_ms};
use keys::PulseKeys;
use scripts::Scripts;
use view::{NodeRecord, View};

#[derive(Clone, Debug)]
pub struct PulseConfig {
    /// How long a lost node stays listed before it is forgotten.
    pub lost_node_retention: Duration,
}

pub struct Pulse {
    engine: SharedEngine,
    config: PulseConfig,
    keys: PulseKeys,
    scripts: Scripts,
    view: RwLock<View>,
    changes: broadcast::Sender<NodeChange>,
    /// Redis's clock minus this replica's, so health is judged by one clock on every replica.
    clock_offset_ms: AtomicI64,
    /// Redis-native beats that could not be read (PULSE.md), since start.
    malformed_beats: AtomicU64,
}

pub type SharedPulse = Arc<Pulse>;

/// What `record.lua` answered.
struct Recorded {
    /// This call recorded the beat (no replica had before).
    recorded: bool,
    first_seen_ms: i64,
    last_seen_ms: i64,
    transport: BeatTransport,
    interval_ms: i64,
    quiet_requested: bool,
    instruction: Option<NodeInstructionKind>,
}

impl Recorded {
    fn parse(reply: &[String]) -> Option<Self> {
        let [
            recorded,
            first,
            last,
            transport,
            interval,
            quiet,
            instruction,
        ] = reply
        else {
            return None;
        };
        Some(Self {
            recorded: recorded == "1",
            first_seen_ms: first.parse().ok()?,
            last_seen_ms: last.parse().ok()?,
            transport: transport_from_name(transport),
            interval_ms: interval.parse().ok()?,
            quiet_requested: quiet == "1",
            instruction: match instruction.as_str() {
                "quiet" => Some(NodeInstructionKind::Quiet),
                "resume" => Some(NodeInstructionKind::Resume),
                _ => None,
            },
        })
    }

    fn into_record(self, beat: BeatPayload, score: f64) -> NodeRecord {
        NodeRecord {
            beat,
            score,
            first_seen_ms: self.first_seen_ms,
            last_seen_ms: self.last_seen_ms,
            interval_ms: self.interval_ms,
            transport: self.transport,
            quiet_requested: self.quiet_requested,
        }
    }
}

fn transport_name(transport: BeatTransport) -> &'static str {
    match transport {
        BeatTransport::Grpc => "grpc",
        _ => "redis",
    }
}

fn transport_from_name(name: &str) -> BeatTransport {
    match name {
        "grpc" => BeatTransport::Grpc,
        "redis" => BeatTransport::Redis,
        _ => BeatTransport::Unspecified,
    }
}

fn local_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// The X-ray of one beat: leases extended and jobs an operator cancelled.
#[derive(Default)]
struct Xray {
    extended: Vec<ExtendedLease>,
    cancel: Vec<NodeInstruction>,
}

impl Pulse {
    pub fn new(engine: SharedEngine, config: PulseConfig) -> SharedPulse {
        let keys = PulseKeys::new(engine.prefix());
        Arc::new(Self {
            engine,
            config,
            keys,
            scripts: Scripts::new(),
            view: RwLock::new(View::default()),
            changes: broadcast::channel(4096).0,
            clock_offset_ms: AtomicI64::new(0),
            malformed_beats: AtomicU64::new(0),
        })
    }

    /// Redis-native beats refused as malformed since start.
    pub fn malformed_beats(&self) -> u64 {
        self.malformed_beats.load(Ordering::Relaxed)
    }

    /// Now by Redis's clock, as last measured.
    fn now_ms(&self) -> i64 {
        local_ms() + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    fn view(&self) -> std::sync::RwLockReadGuard<'_, View> {
        self.view
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn view_mut(&self) -> std::sync::RwLockWriteGuard<'_, View> {
        self.view
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn announce(&self, changes: impl IntoIterator<Item = NodeChange>) {
        for change in changes {
            // No watcher is not an error.
            let _ = self.changes.send(change);
        }
    }

    /// How long the bookkeeping of a node stays: its TTL, then the lost-node retention.
    fn keep_ms(&self, interval: Duration) -> u64 {
        (beat::ttl(interval) + self.config.lost_node_retention + Duration::from_secs(60))
            .as_millis() as u64
    }

    fn record_cmd(
        &self,
        node_id: &str,
        score: f64,
        transport: BeatTransport,
        interval: Duration,
        json: &str,
    ) -> redis::Cmd {
        let mut cmd = self.scripts.record.call(&self.keys.node(node_id));
        cmd.arg(score)
            .arg(transport_name(transport))
            .arg(interval.as_millis() as u64)
            .arg(json)
            .arg(self.keep_ms(interval));
        cmd
    }

    fn metrics_cmd(&self, node_id: &str, beat: &BeatPayload) -> redis::Cmd {
        let process = beat.process.unwrap_or_default();
        let system = beat.system.unwrap_or_default();
        let mut cmd = self.scripts.metrics.call(&self.keys.metrics(node_id));
        cmd.arg(process.cpu_percent)
            .arg(process.memory_rss_bytes)
            .arg(system.cpu_percent)
            .arg(system.memory_used_bytes)
            .arg(system.disk_used_bytes)
            .arg(beat.jobs.len());
        cmd
    }

    /// Takes a beat from gRPC: the same keys a Redis-native beat writes, recorded at once, its
    /// jobs' leases extended, and the node's instructions.
    pub async fn beat(&self, beat: BeatPayload) -> Result<BeatResponse> {
        if prost::Message::encoded_len(&beat) > beat::MAX_BEAT_BYTES {
            return Err(PulseError::invalid(
                "beat",
                format!("larger than {} bytes", beat::MAX_BEAT_BYTES),
            ));
        }
        let interval = beat::validate(&beat)?;
        let node_id = beat.identity.as_ref().map_or("", |i| &i.node_id);
        let json = zenith_proto::try_to_json(&beat)
            .map_err(|reason| PulseError::invalid("beat", reason))?
            .to_string();
        let score = local_ms() as f64;
        let ttl_secs = beat::ttl(interval).as_secs_f64().ceil() as u64;
        // Recorded before the registry moves, so a replica that sees the new score finds the
        // beat already recorded as gRPC.
        let mut pipe = redis::pipe();
        pipe.add_command(self.record_cmd(node_id, score, BeatTransport::Grpc, interval, &json));
        pipe.cmd("SET")
            .arg(self.keys.beat(node_id))
            .arg(&json)
            .arg("EX")
            .arg(ttl_secs)
            .ignore();
        pipe.cmd("ZADD")
            .arg(self.keys.nodes())
            .arg(score)
            .arg(node_id)
            .ignore();
        pipe.add_command(self.metrics_cmd(node_id, &beat)).ignore();
        let (reply,): (Vec<String>,) = self
            .scripts
            .query(&mut self.engine.connection(), &pipe)
            .await?;
        let recorded = Recorded::parse(&reply).ok_or(PulseError::UnexpectedReply("record"))?;
        let xray = self.xray(&beat, interval).await?;
        let mut instructions = xray.cancel;
        if let Some(kind) = recorded.instruction {
            instructions.push(NodeInstruction {
                kind: kind.into(),
                ..Default::default()
            });
        }
        let server_time = Some(timestamp_from_ms(recorded.last_seen_ms));
        let record = recorded.into_record(beat, score);
        let now = self.now_ms().max(record.last_seen_ms);
        let change = self.view_mut().upsert(record, now);
        self.announce([change]);
        Ok(BeatResponse {
            instructions,
            server_time,
            extended_leases: xray.extended,
        })
    }

    /// Records that the node runs its listed jobs and extends their leases to the beat's TTL,
    /// one script call per queue.
    async fn xray(&self, beat: &BeatPayload, interval: Duration) -> Result<Xray> {
        let node_id = beat.identity.as_ref().map_or("", |i| &i.node_id);
        let mut queues: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
        for job in &beat.jobs {
            // Names no Zenith queue or job can have are shown, never looked up.
            if validate::name("queue", &job.queue).is_err()
                || validate::name("job_id", &job.job_id).is_err()
            {
                continue;
            }
            queues
                .entry(&job.queue)
                .or_default()
                .push((job.job_id.clone(), job.lease_token.clone()));
        }
        let lease = beat::ttl(interval);
        let calls = queues.iter().map(|(queue, jobs)| async move {
            let outcomes = self.engine.xray(queue, node_id, lease, jobs).await?;
            Ok::<_, PulseError>((*queue, jobs, outcomes))
        });
        let mut xray = Xray::default();
        for result in futures::future::join_all(calls).await {
            let (queue, jobs, outcomes) = result?;
            for ((job_id, _), outcome) in jobs.iter().zip(outcomes) {
                let cancel = match outcome {
                    XrayOutcome::Extended {
                        deadline_ms,
                        cancel_requested,
                        cancel_reason,
                    } => {
                        xray.extended.push(ExtendedLease {
                            queue: queue.to_owned(),
                            job_id: job_id.clone(),
                            lease_deadline: Some(timestamp_from_ms(deadline_ms)),
                        });
                        cancel_requested.then_some(cancel_reason)
                    }
                    XrayOutcome::Shown {
                        cancel_requested,
                        cancel_reason,
                    } => cancel_requested.then_some(cancel_reason),
                    XrayOutcome::Stale => None,
                };
                if let Some(reason) = cancel {
                    xray.cancel.push(NodeInstruction {
                        kind: NodeInstructionKind::CancelJob.into(),
                        queue: queue.to_owned(),
                        job_id: job_id.clone(),
                        reason,
                    });
                }
            }
        }
        Ok(xray)
    }

    pub fn list_nodes(
        &self,
        filter: &NodeFilter,
        after: Option<(String, String)>,
        limit: usize,
    ) -> NodePage {
        let now = self.now_ms();
        self.view().page(filter, after, limit, now)
    }

    pub fn get_node(&self, node_id: &str) -> Result<Node> {
        let now = self.now_ms();
        self.view()
            .get(node_id)
            .map(|record| record.node(now))
            .ok_or_else(|| PulseError::NodeNotFound(node_id.to_owned()))
    }

    /// The current nodes matching `filter` as ADDED changes, and every change from then on.
    pub fn watch(&self, filter: &NodeFilter) -> (Vec<NodeChange>, broadcast::Receiver<NodeChange>) {
        // Subscribed under the read lock, so no change falls between snapshot and stream.
        let view = self.view();
        let changes = self.changes.subscribe();
        (view.snapshot(filter, self.now_ms()), changes)
    }

    /// Nodes not lost, counted by service.
    pub fn live_workers(&self) -> BTreeMap<String, usize> {
        let now = self.now_ms();
        self.view().live_by_service(now)
    }

    /// External queues reported by nodes not lost, by (driver, connection, name).
    pub fn external_queues(&self) -> BTreeMap<(String, String, String), ExternalReport> {
        let now = self.now_ms();
        self.view().external_queues(now)
    }

    /// Asks a node to take no new work (or withdraws that); NOT_FOUND for an unknown node.
    pub async fn quiet_node(&self, node_id: &str, quiet: bool) -> Result<Node> {
        if self.view().get(node_id).is_none() {
            return Err(PulseError::NodeNotFound(node_id.to_owned()));
        }
        let mut pipe = redis::pipe();
        if quiet {
            pipe.cmd("SET")
                .arg(self.keys.quiet(node_id))
                .arg("1")
                .ignore();
        } else {
            pipe.cmd("DEL").arg(self.keys.quiet(node_id)).ignore();
        }
        pipe.cmd("HSET")
            .arg(self.keys.node(node_id))
            .arg("quiet_requested")
            .arg(if quiet { "1" } else { "0" })
            .ignore();
        pipe.query_async::<()>(&mut self.engine.connection())
            .await?;
        let now = self.now_ms();
        let change = self.view_mut().set_quiet(node_id, quiet, now);
        let change = change.ok_or_else(|| PulseError::NodeNotFound(node_id.to_owned()))?;
        let node = change.node.clone().unwrap_or_default();
        self.announce([change]);
        Ok(node)
    }

    /// Per-minute averages over the last 24 hours, oldest first.
    pub async fn node_metrics(&self, node_id: &str) -> Result<Vec<NodeMetricPoint>> {
        if self.view().get(node_id).is_none() {
            return Err(PulseError::NodeNotFound(node_id.to_owned()));
        }
        let since = self.now_ms() - 24 * 3600 * 1000;
        let members: Vec<(String, f64)> = redis::cmd("ZRANGEBYSCORE")
            .arg(self.keys.metrics(node_id))
            .arg(since)
            .arg("+inf")
            .arg("WITHSCORES")
            .query_async(&mut self.engine.connection())
            .await?;
        Ok(members
            .into_iter()
            .filter_map(|(member, minute)| metric_point(&member, minute as i64))
            .collect())
    }
}

/// One minute's sums ("count|process cpu|rss|system cpu|memory used|disk used|jobs") averaged.
fn metric_point(member: &str, minute_ms: i64) -> Option<NodeMetricPoint> {
    let sums: Vec<f64> = member
        .split('|')
        .map(str::parse)
        .collect::<std::result::Result<_, _>>()
        .ok()?;
    let [count, process_cpu, rss, system_cpu, memory, disk, jobs] = sums.as_slice() else {
        return None;
    };
    if *count <= 0.0 {
        return None;
    }
    Some(NodeMetricPoint {
        minute: Some(timestamp_from_ms(minute_ms)),
        process_cpu_percent: process_cpu / count,
        process_memory_rss_bytes: (rss / count) as u64,
        system_cpu_percent: system_cpu / count,
        system_memory_used_bytes: (memory / count) as u64,
        disk_used_bytes: (disk / count) as u64,
        running_jobs: (jobs / count).round() as i32,
    })
}
