//! The archiver: reads each queue's events stream through a consumer group, records jobs and
//! their events in SQL in batches, and acknowledges entries only after the commit.
//!
//! Every replica runs it; the consumer group `archiver` shares the entries between them. A round
//! reads up to `ENTRIES_PER_QUEUE` entries of every queue (one pipelined round trip), reads the
//! jobs those entries finished (another), writes everything in one transaction, then XACKs and
//! XDELs the entries and drops the tombs of deleted jobs (a third). A crash between commit and
//! acknowledgement replays the round, which the store ignores (rows are versioned, events unique
//! on their entry), so every job and event lands exactly once.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;
use zenith_proto::v1::{
    GetArchiveStatusResponse, JobEvent, JobEventKind, JobState, QueueArchiveLag,
};

use super::Result;
use super::settings::SharedSettings;
use super::store::{ArchiveBatch, EventRecord, JobRecord, SharedArchive};
use super::text::search_text;
use crate::queue::{
    EventBacklog, EventEntry, EventGroup, FORGET_CONSUMERS_EVERY, FORGET_CONSUMERS_IDLE, JobSource,
    SharedEngine, proto_duration, state_from_name, timestamp_from_ms,
};

/// Entries read per queue per round: one entry holds up to 1,000 jobs of a batch.
const ENTRIES_PER_QUEUE: usize = 100;
/// Events one round records at most (unless its first entry alone holds more): after an outage
/// the streams hold a backlog, and this keeps each round's memory and transaction short.
const MAX_EVENTS_PER_ROUND: usize = 20_000;
/// How long a round waits when it found nothing.
const IDLE_WAIT: Duration = Duration::from_millis(200);
/// The longest back-off while Redis or SQL is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// How often the queue registry is read again.
const QUEUES_REFRESH: Duration = Duration::from_secs(1);
/// How often entries stuck with a dead replica are claimed, and how idle they must be.
/// A live replica's round takes far less than the idle time, so it rarely loses entries it is
/// working on; if it does, the store ignores the replay.
const CLAIM_EVERY: Duration = Duration::from_secs(5);
const CLAIM_MIN_IDLE: Duration = Duration::from_secs(15);

/// Runs on every replica until stopped; replicas share the work through the consumer group.
pub async fn run(
    engine: SharedEngine,
    store: SharedArchive,
    settings: SharedSettings,
    stop: CancellationToken,
) {
    let mut archiver = Archiver {
        consumer: format!("archiver-{}", uuid::Uuid::now_v7()),
        engine,
        store,
        settings,
        queues: Vec::new(),
        grouped: HashSet::new(),
        read_pending: true,
        queues_read_at: None,
        claimed_at: None,
        consumers_forgotten_at: None,
    };
    let mut backoff = Duration::from_millis(50);
    let mut failing = false;
    loop {
        // A round cut short leaves its entries pending; another replica claims them once idle.
        let result = tokio::select! {
            _ = stop.cancelled() => return,
            result = crate::metrics::loop_pass("archiver", archiver.round()) => result,
        };
        let wait = match result {
            Ok(recorded) => {
                if failing {
                    tracing::info!("archiving resumed");
                    failing = false;
                }
                backoff = Duration::from_millis(50);
                if recorded > 0 {
                    continue;
                }
                IDLE_WAIT
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(%error, "archiving paused; retrying");
                    failing = true;
                }
                // What this consumer read stays pending; the next round reads it again.
                archiver.read_pending = true;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                backoff
            }
        };
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

struct Archiver {
    /// Unique per process, so a restarted server never mistakes another's pending entries for
    /// its own.
    consumer: String,
    engine: SharedEngine,
    store: SharedArchive,
    settings: SharedSettings,
    queues: Vec<String>,
    /// Queues whose consumer group exists.
    grouped: HashSet<String>,
    /// Read this consumer's pending entries before new ones: at start, after a failed round
    /// and after claiming a dead replica's entries.
    read_pending: bool,
    queues_read_at: Option<tokio::time::Instant>,
    claimed_at: Option<tokio::time::Instant>,
    consumers_forgotten_at: Option<tokio::time::Instant>,
}

fn due(last: Option<tokio::time::Instant>, every: Duration) -> bool {
    last.is_none_or(|at| at.elapsed() >= every)
}

impl Archiver {
    /// One round; returns how many entries it archived.
    async fn round(&mut self) -> Result<usize> {
        if due(self.queues_read_at, QUEUES_REFRESH) {
            self.queues = self.engine.all_queue_names().await?;
            self.queues_read_at = Some(tokio::time::Instant::now());
        }
        if due(self.claimed_at, CLAIM_EVERY) {
            let claimed = self
                .engine
                .claim_stale_events(
                    &self.queues,
                    &self.consumer,
                    CLAIM_MIN_IDLE,
                    ENTRIES_PER_QUEUE,
                )
                .await?;
            if claimed > 0 {
                tracing::info!(claimed, "claimed events a stopped replica left unarchived");
                self.read_pending = true;
            }
            self.claimed_at = Some(tokio::time::Instant::now());
        }
        if due(self.consumers_forgotten_at, FORGET_CONSUMERS_EVERY) {
            let forgotten = self
                .engine
                .forget_idle_archivers(&self.queues, &self.consumer, FORGET_CONSUMERS_IDLE)
                .await?;
            if forgotten > 0 {
                tracing::info!(forgotten, "forgot archiver consumers of stopped replicas");
            }
            self.consumers_forgotten_at = Some(tokio::time::Instant::now());
        }
        let mut entries = Vec::new();
        if self.read_pending {
            entries = self.read(true).await?;
            self.read_pending = !entries.is_empty();
        }
        if entries.is_empty() {
            entries = self.read(false).await?;
        }
        if entries.is_empty() {
            return Ok(0);
        }
        if within_round_budget(&mut entries) {
            // The rest stays pending for this consumer: the next round reads it first.
            self.read_pending = true;
        }
        let started = tokio::time::Instant::now();
        let batch = self.batch(&entries).await?;
        let read = started.elapsed();
        if !batch.events.is_empty() || !batch.jobs.is_empty() {
            self.store.record(&batch).await?;
        }
        let written = started.elapsed();
        self.engine.ack_events(&entries).await?;
        tracing::debug!(
            entries = entries.len(),
            jobs = batch.jobs.len(),
            events = batch.events.len(),
            ?read,
            write = ?(written - read),
            ack = ?(started.elapsed() - written),
            "archived"
        );
        Ok(entries.len())
    }

    async fn read(&mut self, pending: bool) -> Result<Vec<EventEntry>> {
        Ok(self
            .engine
            .read_events(
                &self.queues,
                &mut self.grouped,
                &self.consumer,
                pending,
                ENTRIES_PER_QUEUE,
            )
            .await?)
    }

    /// Events of every entry, and the jobs they finished (or indexed at enqueue) as Redis
    /// holds them now.
    async fn batch(&self, entries: &[EventEntry]) -> Result<ArchiveBatch> {
        let mut batch = ArchiveBatch::default();
        // The latest entry that wants each job recorded, by (queue, id).
        let mut wanted: HashMap<(String, String), (i64, JobSource)> = HashMap::new();
        let mut index_on_enqueue: HashMap<String, bool> = HashMap::new();
        for entry in entries {
            let version = entry.version();
            for group in &entry.groups {
                let Some(kind) = event_kind(&group.kind) else {
                    tracing::warn!(queue = %entry.queue, entry = %entry.id, kind = %group.kind, "unknown event kind");
                    continue;
                };
                let records = match kind {
                    JobEventKind::Enqueued => *index_on_enqueue
                        .entry(entry.queue.clone())
                        .or_insert_with(|| self.settings.for_queue(&entry.queue).index_on_enqueue),
                    _ => records_job(kind, group),
                };
                for (i, id) in group.ids.iter().enumerate() {
                    batch.events.push(EventRecord {
                        job_id: id.clone(),
                        queue: entry.queue.clone(),
                        entry: entry.id.clone(),
                        event: job_event(entry, group, kind, i),
                    });
                    if records {
                        let source = JobSource {
                            queue: entry.queue.clone(),
                            id: id.clone(),
                            deleted_at: (kind == JobEventKind::Deleted).then_some(entry.at_ms),
                        };
                        wanted.insert((entry.queue.clone(), id.clone()), (version, source));
                    }
                }
            }
        }
        // By job id: server-made ids (UUIDv7) follow creation order, so a round's jobs are
        // recorded oldest first, and every replica locks rows in the same order.
        let mut wanted: Vec<_> = wanted.into_iter().collect();
        wanted.sort_unstable_by(|(a, _), (b, _)| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        let (versions, sources): (Vec<i64>, Vec<JobSource>) =
            wanted.into_iter().map(|(_, value)| value).unzip();
        let jobs = self.engine.read_archived_jobs(&sources).await?;
        let mut gone = 0;
        for ((version, source), job) in versions.into_iter().zip(&sources).zip(jobs) {
            let Some(mut job) = job else {
                // Recorded by a later entry (the id was reused), or pruned long ago.
                gone += 1;
                continue;
            };
            if let Some(at) = source.deleted_at {
                job.set_state(JobState::Deleted);
                job.finished_at = Some(timestamp_from_ms(at));
            }
            let text = search_text(&job);
            batch.jobs.push(JobRecord { job, version, text });
        }
        if gone > 0 {
            tracing::debug!(gone, "jobs no longer in redis were not recorded");
        }
        Ok(batch)
    }
}

/// Keeps the first entries that hold at most `MAX_EVENTS_PER_ROUND` events (at least one
/// entry); true when some were left out.
fn within_round_budget(entries: &mut Vec<EventEntry>) -> bool {
    let mut events = 0;
    let kept = entries
        .iter()
        .position(|entry| {
            events += entry.groups.iter().map(|g| g.ids.len()).sum::<usize>();
            events > MAX_EVENTS_PER_ROUND
        })
        .map_or(entries.len(), |over| over.max(1));
    let cut = kept < entries.len();
    entries.truncate(kept);
    cut
}

fn event_kind(name: &str) -> Option<JobEventKind> {
    Some(match name {
        "enqueued" => JobEventKind::Enqueued,
        "reserved" => JobEventKind::Reserved,
        "lease_extended" => JobEventKind::LeaseExtended,
        "failed" => JobEventKind::Failed,
        "lease_expired" => JobEventKind::LeaseExpired,
        "promoted" => JobEventKind::Promoted,
        "completed" => JobEventKind::Completed,
        "retried" => JobEventKind::Retried,
        "cancel_requested" => JobEventKind::CancelRequested,
        "cancelled" => JobEventKind::Cancelled,
        "deleted" => JobEventKind::Deleted,
        _ => return None,
    })
}

/// Whether events of this kind change what the archive says of the job: it finished, or an
/// operator made a finished job run again. Enqueues depend on the queue's settings.
fn records_job(kind: JobEventKind, group: &EventGroup) -> bool {
    use JobEventKind::*;
    match kind {
        // A failure changes the last error, which search finds even while the job retries.
        Completed | Cancelled | Deleted | Retried | Failed | LeaseExpired => true,
        Promoted => !group.actor.is_empty(),
        _ => false,
    }
}

/// The job's state right after an event of this kind.
fn state_after(kind: JobEventKind, group: &EventGroup) -> JobState {
    use JobEventKind::*;
    match kind {
        Enqueued | Failed | LeaseExpired => state_from_name(&group.state),
        Reserved | LeaseExtended | CancelRequested => JobState::Active,
        Promoted | Retried => JobState::Pending,
        Completed => JobState::Completed,
        Cancelled => JobState::Cancelled,
        Deleted => JobState::Deleted,
        Unspecified => JobState::Unspecified,
    }
}

fn job_event(entry: &EventEntry, group: &EventGroup, kind: JobEventKind, i: usize) -> JobEvent {
    let mut event = JobEvent {
        at: Some(timestamp_from_ms(entry.at_ms)),
        attempt: group.attempts.get(i).copied().unwrap_or_default(),
        actor: group.actor.clone(),
        worker: group.worker.clone(),
        error: group.error.clone(),
        reason: group.reason.clone(),
        bulk_operation_id: group.op.clone(),
        due: group.dues.get(i).map(|&ms| timestamp_from_ms(ms)),
        ..JobEvent::default()
    };
    event.set_kind(kind);
    event.set_state(state_after(kind, group));
    event
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

/// How far the archive is behind: the age of the oldest event not yet archived, if any.
pub fn lag(backlog: &[EventBacklog], now_ms: i64) -> Option<Duration> {
    let oldest = backlog.iter().filter_map(|queue| queue.oldest_ms).min()?;
    Some(Duration::from_millis((now_ms - oldest).max(0) as u64))
}

/// How far the archive is behind, per queue.
pub async fn status(
    engine: &SharedEngine,
    store: &SharedArchive,
) -> Result<GetArchiveStatusResponse> {
    let mut backlog = engine.event_backlog().await?;
    backlog.sort_by_key(|queue| (queue.oldest_ms.unwrap_or(i64::MAX), queue.queue.clone()));
    let lag = lag(&backlog, unix_ms());
    let pending_events = backlog.iter().map(|queue| queue.entries).sum();
    let queues = backlog
        .into_iter()
        .map(|queue| QueueArchiveLag {
            queue: queue.queue,
            pending_events: queue.entries,
            oldest_pending: queue.oldest_ms.map(timestamp_from_ms),
        })
        .collect();
    Ok(GetArchiveStatusResponse {
        queues,
        pending_events,
        lag: lag.map(proto_duration),
        archived_jobs: store.count_jobs().await?,
        backend: store.backend().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(jobs: usize) -> EventEntry {
        EventEntry {
            queue: "q".into(),
            id: "1-0".into(),
            at_ms: 1,
            groups: vec![EventGroup {
                kind: "enqueued".into(),
                ids: vec!["j".into(); jobs],
                ..EventGroup::default()
            }],
        }
    }

    #[test]
    fn a_round_keeps_whole_entries_within_its_event_budget() {
        let mut entries: Vec<EventEntry> = (0..30).map(|_| entry(1000)).collect();
        assert!(within_round_budget(&mut entries));
        assert_eq!(entries.len(), MAX_EVENTS_PER_ROUND / 1000);

        let mut small = vec![entry(10), entry(10)];
        assert!(!within_round_budget(&mut small));
        assert_eq!(small.len(), 2);

        let mut huge = vec![entry(MAX_EVENTS_PER_ROUND + 1), entry(1)];
        assert!(within_round_budget(&mut huge));
        assert_eq!(
            huge.len(),
            1,
            "the first entry goes through whatever its size"
        );
    }
}
