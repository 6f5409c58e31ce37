//! What each rule kind measures: one observation per subject in the rule's scope.
//!
//! Queues, their counts and oldest pending age come from the engine; failure rates from the
//! per-minute queue metrics; nodes and services from the pulse view; schedules and runs from
//! the schedule store; the archive lag from the queues' event streams. Dead growth has no
//! history of its own, so the evaluator keeps each queue's dead count between rounds
//! (`Memory`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use zenith_proto::v1::rule_spec::Condition;
use zenith_proto::v1::{
    ArchiveLagCondition, BacklogCondition, DeadGrowthCondition, FailureRateCondition,
    HealthyNodesCondition, Node, NodeHealth, NodeResource, NodeResourceCondition,
    OldestPendingCondition, Queue, RuleSpec, RunState, ScheduleFailingCondition,
};

use super::Sources;
use crate::cron::{Cadence, StoredSchedule};
use crate::pulse::NodeFilter;
use crate::queue::QueueError;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 3600 * 1000;
/// Queues, nodes and schedules read per page.
const PAGE: usize = 500;
const DEFAULT_WINDOW_MS: i64 = 5 * MINUTE_MS;
const DEFAULT_MIN_VOLUME: i64 = 10;
const DEFAULT_MISFIRE_GRACE_MS: i64 = 60_000;
/// Runs read past the failing ones at the head, for those still running or skipped.
const RUNS_LOOKED_PAST: usize = 20;

/// One subject as a rule sees it at one evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// `queue:<name>`, `service:<name>`, `node:<id>`, `schedule:<id>` or `archive`.
    pub subject: String,
    /// The subject's labels: `queue`, `service`, `node`, `schedule`.
    pub labels: BTreeMap<String, String>,
    pub value: f64,
    /// One line for people, e.g. `queue emails has 1520 pending jobs (above 1000)`.
    pub summary: String,
    /// The condition holds.
    pub breaching: bool,
}

/// What the evaluator remembers between rounds, for what live state has no history of. Lost
/// when another replica takes over evaluation: it then starts from what it sees.
#[derive(Debug, Default)]
pub struct Memory {
    dead: HashMap<String, DeadTrack>,
    /// Per schedule: the latest time it was seen paused, so fire times skipped while paused
    /// (and not made up on resume) are not taken for misses.
    paused_seen_ms: HashMap<String, i64>,
}

#[derive(Debug)]
struct DeadTrack {
    last_count: i64,
    seen_ms: i64,
    /// Increases of the dead count, (minute start, jobs), oldest first.
    growth: VecDeque<(i64, i64)>,
}

impl Memory {
    /// Notes a queue's dead count at `now_ms`; returns how much it grew within `window_ms`. The
    /// first sight of a queue is its baseline; jobs leaving dead (retried, purged) do not
    /// offset new deaths.
    fn dead_growth(&mut self, queue: &str, count: i64, now_ms: i64, window_ms: i64) -> i64 {
        let minute = now_ms - now_ms.rem_euclid(MINUTE_MS);
        let track = self
            .dead
            .entry(queue.to_owned())
            .or_insert_with(|| DeadTrack {
                last_count: count,
                seen_ms: now_ms,
                growth: VecDeque::new(),
            });
        let increase = count - track.last_count;
        if increase > 0 {
            match track.growth.back_mut() {
                Some((at, jobs)) if *at == minute => *jobs += increase,
                _ => track.growth.push_back((minute, increase)),
            }
        }
        track.last_count = count;
        track.seen_ms = now_ms;
        // The longest window is a day.
        while track
            .growth
            .front()
            .is_some_and(|(at, _)| *at <= now_ms - DAY_MS)
        {
            track.growth.pop_front();
        }
        let since = now_ms - window_ms;
        track
            .growth
            .iter()
            .filter(|(at, _)| *at + MINUTE_MS > since)
            .map(|(_, jobs)| jobs)
            .sum()
    }

    /// Forgets queues and schedules not seen for a day.
    pub fn forget_stale(&mut self, now_ms: i64) {
        self.dead.retain(|_, track| track.seen_ms > now_ms - DAY_MS);
        self.paused_seen_ms
            .retain(|_, seen| *seen > now_ms - DAY_MS);
    }
}

/// Observes every subject in the rule's scope at `now_ms` (Redis's clock).
pub async fn observe(
    rule: &RuleSpec,
    sources: &Sources,
    memory: &mut Memory,
    now_ms: i64,
) -> super::Result<Vec<Observation>> {
    let Some(condition) = &rule.condition else {
        return Ok(Vec::new());
    };
    Ok(match condition {
        Condition::Backlog(condition) => queues(rule, sources)
            .await?
            .iter()
            .map(|queue| backlog(queue, condition))
            .collect(),
        Condition::OldestPending(condition) => queues(rule, sources)
            .await?
            .iter()
            .map(|queue| oldest_pending(queue, condition))
            .collect(),
        Condition::FailureRate(condition) => {
            failure_rates(rule, sources, condition, now_ms).await?
        }
        Condition::DeadGrowth(condition) => queues(rule, sources)
            .await?
            .iter()
            .map(|queue| dead_growth(queue, condition, memory, now_ms))
            .collect(),
        Condition::HealthyNodes(condition) => healthy_nodes(rule, sources, condition),
        Condition::NodeLost(_) => nodes(rule, sources)
            .iter()
            .map(|node| node_lost(node, now_ms))
            .collect(),
        Condition::NodeResource(condition) => nodes(rule, sources)
            .iter()
            .filter_map(|node| node_resource(node, condition))
            .collect(),
        Condition::ScheduleMissed(_) => {
            let mut observations = Vec::new();
            for schedule in schedules(rule, sources).await? {
                observations.extend(schedule_missed(&schedule, sources, memory, now_ms).await?);
            }
            observations
        }
        Condition::ScheduleFailing(condition) => {
            let mut observations = Vec::new();
            for schedule in schedules(rule, sources).await? {
                observations.push(schedule_failing(&schedule, sources, condition).await?);
            }
            observations
        }
        Condition::ArchiveLag(condition) => vec![archive_lag(sources, condition, now_ms).await?],
    })
}

fn millis(duration: Option<&prost_types::Duration>) -> i64 {
    duration.map_or(0, |d| {
        d.seconds.max(0) * 1000 + i64::from(d.nanos.max(0)) / 1_000_000
    })
}

/// `millis`, with `default` for unset or zero.
fn millis_or(duration: Option<&prost_types::Duration>, default: i64) -> i64 {
    match millis(duration) {
        0 => default,
        ms => ms,
    }
}

/// A duration for people, to the second (`12m 3s`), or in ms under a second.
pub fn human(ms: i64) -> String {
    let ms = ms.max(0) as u64;
    let rounded = if ms < 1000 {
        Duration::from_millis(ms)
    } else {
        Duration::from_secs(ms / 1000)
    };
    humantime::format_duration(rounded).to_string()
}

/// A percentage without needless decimals: `20`, `35.5`.
fn percent(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").unwrap_or(&text).to_owned()
}

fn labels<const N: usize>(pairs: [(&str, &str); N]) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect()
}

fn queue_observation(queue: &Queue, value: f64, summary: String, breaching: bool) -> Observation {
    Observation {
        subject: format!("queue:{}", queue.name),
        labels: labels([("queue", &queue.name)]),
        value,
        summary,
        breaching,
    }
}

/// The rule's queue, or every queue; a queue that does not exist has no observation.
async fn queues(rule: &RuleSpec, sources: &Sources) -> super::Result<Vec<Queue>> {
    if !rule.queue.is_empty() {
        return match sources.engine.get_queue(&rule.queue).await {
            Ok(queue) => Ok(vec![queue]),
            Err(QueueError::QueueNotFound(_)) => Ok(Vec::new()),
            Err(error) => Err(error.into()),
        };
    }
    let mut all = Vec::new();
    loop {
        let after = all.last().map_or("", |queue: &Queue| queue.name.as_str());
        let (page, more) = sources.engine.list_queues(after, PAGE).await?;
        all.extend(page);
        if !more {
            return Ok(all);
        }
    }
}

fn backlog(queue: &Queue, condition: &BacklogCondition) -> Observation {
    let pending = queue.counts.as_ref().map_or(0, |counts| counts.pending);
    let jobs = if pending == 1 { "job" } else { "jobs" };
    queue_observation(
        queue,
        pending as f64,
        format!(
            "queue {} has {pending} pending {jobs} (above {})",
            queue.name, condition.above
        ),
        pending > condition.above,
    )
}

fn oldest_pending(queue: &Queue, condition: &OldestPendingCondition) -> Observation {
    let age_ms = millis(queue.oldest_pending_age.as_ref());
    let above_ms = millis(condition.above.as_ref());
    queue_observation(
        queue,
        age_ms as f64 / 1000.0,
        format!(
            "queue {}: the oldest pending job has waited {} (above {})",
            queue.name,
            human(age_ms),
            human(above_ms)
        ),
        queue.oldest_pending_age.is_some() && age_ms > above_ms,
    )
}

/// Failed attempts over finished ones (failed attempts and completions) in the window, which
/// is read in whole minutes, the current one included.
async fn failure_rates(
    rule: &RuleSpec,
    sources: &Sources,
    condition: &FailureRateCondition,
    now_ms: i64,
) -> super::Result<Vec<Observation>> {
    let window_ms = millis_or(condition.window.as_ref(), DEFAULT_WINDOW_MS);
    let minutes = (window_ms + MINUTE_MS - 1) / MINUTE_MS;
    let min_volume = match condition.min_volume {
        n if n > 0 => n,
        _ => DEFAULT_MIN_VOLUME,
    };
    let mut observations = Vec::new();
    for queue in queues(rule, sources).await? {
        let points = match sources
            .engine
            .queue_metrics(Some(&queue.name), now_ms, minutes, 1, &[])
            .await
        {
            Ok(points) => points,
            // Deleted since it was listed: no subject any more.
            Err(QueueError::QueueNotFound(_)) => continue,
            Err(error) => return Err(error.into()),
        };
        let failed: i64 = points.iter().map(|point| point.failed).sum();
        let completed: i64 = points.iter().map(|point| point.completed).sum();
        observations.push(failure_rate(
            &queue, failed, completed, condition, min_volume, window_ms,
        ));
    }
    Ok(observations)
}

fn failure_rate(
    queue: &Queue,
    failed: i64,
    completed: i64,
    condition: &FailureRateCondition,
    min_volume: i64,
    window_ms: i64,
) -> Observation {
    let finished = failed + completed;
    let rate = if finished > 0 {
        failed as f64 * 100.0 / finished as f64
    } else {
        0.0
    };
    queue_observation(
        queue,
        rate,
        format!(
            "queue {}: {}% of {finished} finished attempts failed in {} (above {}%)",
            queue.name,
            percent(rate),
            human(window_ms),
            percent(condition.above_percent)
        ),
        finished >= min_volume && rate > condition.above_percent,
    )
}

fn dead_growth(
    queue: &Queue,
    condition: &DeadGrowthCondition,
    memory: &mut Memory,
    now_ms: i64,
) -> Observation {
    let window_ms = millis_or(condition.window.as_ref(), DEFAULT_WINDOW_MS);
    let dead = queue.counts.as_ref().map_or(0, |counts| counts.dead);
    let growth = memory.dead_growth(&queue.name, dead, now_ms, window_ms);
    queue_observation(
        queue,
        growth as f64,
        format!(
            "queue {}: {growth} new dead jobs in {} (above {})",
            queue.name,
            human(window_ms),
            condition.above
        ),
        growth > condition.above,
    )
}

/// Nodes of the rule's service, or every node, as the pulse view has them now.
fn nodes(rule: &RuleSpec, sources: &Sources) -> Vec<Node> {
    let filter = NodeFilter {
        service: rule.service.clone(),
        ..NodeFilter::default()
    };
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = sources.pulse.list_nodes(&filter, after, PAGE);
        all.extend(page.nodes);
        match page.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
}

fn identity(node: &Node) -> (&str, &str) {
    node.beat
        .as_ref()
        .and_then(|beat| beat.identity.as_ref())
        .map_or(("", ""), |identity| {
            (identity.node_id.as_str(), identity.service.as_str())
        })
}

fn node_observation(node: &Node, value: f64, summary: String, breaching: bool) -> Observation {
    let (id, service) = identity(node);
    Observation {
        subject: format!("node:{id}"),
        labels: labels([("node", id), ("service", service)]),
        value,
        summary,
        breaching,
    }
}

/// Per service: its healthy nodes out of those listed. With a service in scope, that service
/// even when no node of it is listed.
fn healthy_nodes(
    rule: &RuleSpec,
    sources: &Sources,
    condition: &HealthyNodesCondition,
) -> Vec<Observation> {
    let mut services: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    if !rule.service.is_empty() {
        services.insert(rule.service.clone(), (0, 0));
    }
    for node in nodes(rule, sources) {
        let (_, service) = identity(&node);
        let (healthy, listed) = services.entry(service.to_owned()).or_default();
        *listed += 1;
        if node.health() == NodeHealth::Healthy {
            *healthy += 1;
        }
    }
    services
        .into_iter()
        .map(|(service, (healthy, listed))| {
            let nodes = if healthy == 1 { "node" } else { "nodes" };
            Observation {
                subject: format!("service:{service}"),
                labels: labels([("service", &service)]),
                value: healthy as f64,
                summary: format!(
                    "service {service} has {healthy} healthy {nodes} of {listed} (below {})",
                    condition.below
                ),
                breaching: healthy < i64::from(condition.below),
            }
        })
        .collect()
}

fn node_lost(node: &Node, now_ms: i64) -> Observation {
    let (id, service) = identity(node);
    let last_beat_ms = node
        .last_beat_at
        .as_ref()
        .map_or(now_ms, crate::queue::timestamp_to_ms);
    let silent_ms = (now_ms - last_beat_ms).max(0);
    let lost = node.health() == NodeHealth::Lost;
    let summary = if lost {
        format!(
            "node {id} of service {service} is lost: no beat for {}",
            human(silent_ms)
        )
    } else {
        format!("node {id} of service {service} is beating")
    };
    node_observation(node, silent_ms as f64 / 1000.0, summary, lost)
}

/// The use of a resource in percent, from a live node's last beat; `None` for a lost node or
/// one whose beat lacks the numbers.
fn node_resource(node: &Node, condition: &NodeResourceCondition) -> Option<Observation> {
    if node.health() == NodeHealth::Lost {
        return None;
    }
    let beat = node.beat.as_ref()?;
    let system = beat.system.unwrap_or_default();
    let ratio = |used: u64, total: u64| (total > 0).then(|| used as f64 * 100.0 / total as f64);
    let (name, used) = match NodeResource::try_from(condition.resource) {
        Ok(NodeResource::Cpu) => {
            let cores = f64::from(system.cpu_cores.max(1));
            let process = beat.process.unwrap_or_default().cpu_percent / cores;
            ("cpu", process.max(system.cpu_percent))
        }
        Ok(NodeResource::Memory) => (
            "memory",
            ratio(system.memory_used_bytes, system.memory_total_bytes)?,
        ),
        Ok(NodeResource::Disk) => (
            "disk",
            ratio(system.disk_used_bytes, system.disk_total_bytes)?,
        ),
        _ => return None,
    };
    let (id, _) = identity(node);
    Some(node_observation(
        node,
        used,
        format!(
            "node {id} {name} is {}% used (above {}%)",
            percent(used),
            percent(condition.above_percent)
        ),
        used > condition.above_percent,
    ))
}

/// The rule's schedule, or every schedule; one that does not exist has no observation.
async fn schedules(rule: &RuleSpec, sources: &Sources) -> super::Result<Vec<StoredSchedule>> {
    if !rule.schedule.is_empty() {
        return Ok(sources
            .schedules
            .get(&rule.schedule)
            .await?
            .into_iter()
            .collect());
    }
    let mut all: Vec<StoredSchedule> = Vec::new();
    loop {
        let after = all.last().map_or("", |schedule| schedule.id());
        let page = sources.schedules.list(after, None, PAGE).await?;
        let done = page.len() < PAGE;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

fn schedule_observation(id: &str, value: f64, summary: String, breaching: bool) -> Observation {
    Observation {
        subject: format!("schedule:{id}"),
        labels: labels([("schedule", id)]),
        value,
        summary,
        breaching,
    }
}

/// The latest fire time at or before `at_ms`, found by bisecting `next_after` (monotonic)
/// within a lookback that doubles up to a year, so it stays bounded for any expression.
pub fn latest_fire_at_or_before(cadence: &Cadence, at_ms: i64) -> Option<i64> {
    let mut lookback = MINUTE_MS;
    let year = 366 * DAY_MS;
    let mut low = loop {
        let from = at_ms - lookback;
        if cadence.next_after(from).is_some_and(|fire| fire <= at_ms) {
            break from;
        }
        if lookback >= year {
            return None;
        }
        lookback = (lookback * 4).min(year);
    };
    // Invariant: next_after(low) <= at_ms; next_after(high) > at_ms (high = at_ms holds).
    let mut high = at_ms;
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if cadence.next_after(middle).is_some_and(|fire| fire <= at_ms) {
            low = middle;
        } else {
            high = middle;
        }
    }
    cadence.next_after(low)
}

/// A missed fire: the latest fire time more than the misfire grace ago made no job: its run
/// was skipped, or there is none though the schedule existed and was not paused then.
async fn schedule_missed(
    schedule: &StoredSchedule,
    sources: &Sources,
    memory: &mut Memory,
    now_ms: i64,
) -> super::Result<Option<Observation>> {
    let id = schedule.id();
    if schedule.paused {
        memory.paused_seen_ms.insert(id.to_owned(), now_ms);
        return Ok(Some(schedule_observation(
            id,
            0.0,
            format!("schedule {id} is paused"),
            false,
        )));
    }
    let cadence = match crate::cron::spec::cadence_of(&schedule.spec) {
        Ok(cadence) => cadence,
        Err(error) => {
            tracing::warn!(schedule = id, %error, "schedule cadence unreadable");
            return Ok(None);
        }
    };
    let grace_ms = millis_or(
        schedule.spec.misfire_grace.as_ref(),
        DEFAULT_MISFIRE_GRACE_MS,
    );
    let fine = |summary: String| Some(schedule_observation(id, 0.0, summary, false));
    let Some(fire_ms) = latest_fire_at_or_before(&cadence, now_ms - grace_ms) else {
        return Ok(fine(format!("schedule {id} has no fire time due")));
    };
    let paused_since_fire = memory
        .paused_seen_ms
        .get(id)
        .is_some_and(|&seen| seen >= fire_ms);
    if fire_ms < schedule.created_at_ms || paused_since_fire {
        return Ok(fine(format!("schedule {id} has missed no fire time")));
    }
    let runs = sources
        .schedules
        .list_runs(Some(id), None, RUNS_LOOKED_PAST)
        .await?;
    let run = runs
        .iter()
        .find(|run| !run.manual && run.fire_time_ms == fire_ms);
    let missed = match run {
        Some(run) if !run.job_id.is_empty() => None,
        Some(_) => Some("skipped"),
        // Older than every run read: long since handled, or the history was pruned.
        None if runs.len() == RUNS_LOOKED_PAST
            && runs.iter().all(|run| run.fire_time_ms > fire_ms) =>
        {
            None
        }
        None => Some("no run"),
    };
    let at = crate::cron::rfc3339_utc(fire_ms);
    Ok(Some(match missed {
        Some(why) => schedule_observation(
            id,
            (now_ms - fire_ms) as f64 / 1000.0,
            format!("schedule {id} missed its fire time {at} ({why})"),
            true,
        ),
        None => schedule_observation(id, 0.0, format!("schedule {id} fired at {at}"), false),
    }))
}

/// How many of the latest finished runs (manual or not) failed in a row; running and skipped
/// runs are passed over.
async fn schedule_failing(
    schedule: &StoredSchedule,
    sources: &Sources,
    condition: &ScheduleFailingCondition,
) -> super::Result<Observation> {
    let id = schedule.id();
    let consecutive = condition.consecutive.max(1) as usize;
    let runs = sources
        .schedules
        .list_runs(Some(id), None, consecutive + RUNS_LOOKED_PAST)
        .await?;
    let failed = runs
        .iter()
        .filter(|run| !matches!(run.state, RunState::Running | RunState::Skipped))
        .take(consecutive)
        .take_while(|run| run.state == RunState::Failed)
        .count();
    let runs_word = if consecutive == 1 { "run" } else { "runs" };
    Ok(schedule_observation(
        id,
        failed as f64,
        format!("schedule {id}: {failed} of its latest {consecutive} {runs_word} failed in a row"),
        failed >= consecutive,
    ))
}

/// How long the oldest event waiting for the archive has waited.
async fn archive_lag(
    sources: &Sources,
    condition: &ArchiveLagCondition,
    now_ms: i64,
) -> super::Result<Observation> {
    let backlog = sources.engine.event_backlog().await?;
    let oldest = backlog.iter().filter_map(|queue| queue.oldest_ms).min();
    let lag_ms = oldest.map_or(0, |oldest| (now_ms - oldest).max(0));
    let above_ms = millis(condition.above.as_ref());
    Ok(Observation {
        subject: "archive".into(),
        labels: BTreeMap::new(),
        value: lag_ms as f64 / 1000.0,
        summary: format!(
            "the archive is {} behind (above {})",
            human(lag_ms),
            human(above_ms)
        ),
        breaching: lag_ms > above_ms,
    })
}

#[cfg(test)]
mod tests {
    use zenith_proto::v1::QueueCounts;

    use super::*;

    fn queue(name: &str, pending: i64) -> Queue {
        Queue {
            name: name.into(),
            counts: Some(QueueCounts {
                pending,
                ..QueueCounts::default()
            }),
            ..Queue::default()
        }
    }

    #[test]
    fn backlog_breaches_above_its_threshold_only() {
        let condition = BacklogCondition { above: 1000 };
        let at = backlog(&queue("emails", 1000), &condition);
        assert!(!at.breaching);
        let over = backlog(&queue("emails", 1520), &condition);
        assert!(over.breaching);
        assert_eq!(over.subject, "queue:emails");
        assert_eq!(over.labels.get("queue").map(String::as_str), Some("emails"));
        assert_eq!(
            over.summary,
            "queue emails has 1520 pending jobs (above 1000)"
        );
        assert_eq!(over.value, 1520.0);
    }

    #[test]
    fn failure_rate_needs_its_minimum_volume() {
        let condition = FailureRateCondition {
            above_percent: 20.0,
            ..FailureRateCondition::default()
        };
        let q = queue("q", 0);
        let few = failure_rate(&q, 5, 4, &condition, 10, DEFAULT_WINDOW_MS);
        assert!(!few.breaching, "{few:?}");
        let many = failure_rate(&q, 5, 15, &condition, 10, DEFAULT_WINDOW_MS);
        assert!(many.breaching);
        assert_eq!(many.value, 25.0);
        assert_eq!(
            many.summary,
            "queue q: 25% of 20 finished attempts failed in 5m (above 20%)"
        );
        let calm = failure_rate(&q, 2, 18, &condition, 10, DEFAULT_WINDOW_MS);
        assert!(!calm.breaching);
    }

    #[test]
    fn dead_growth_counts_increases_within_the_window() {
        let mut memory = Memory::default();
        let start = 1_000 * MINUTE_MS;
        assert_eq!(memory.dead_growth("q", 10, start, 5 * MINUTE_MS), 0);
        assert_eq!(memory.dead_growth("q", 13, start + 1000, 5 * MINUTE_MS), 3);
        // Retrying dead jobs does not hide new deaths.
        assert_eq!(memory.dead_growth("q", 0, start + 2000, 5 * MINUTE_MS), 3);
        assert_eq!(memory.dead_growth("q", 2, start + 3000, 5 * MINUTE_MS), 5);
        // Ten minutes on, the window has passed them.
        assert_eq!(
            memory.dead_growth("q", 2, start + 10 * MINUTE_MS, 5 * MINUTE_MS),
            0
        );
        memory.forget_stale(start + 2 * DAY_MS);
        assert!(memory.dead.is_empty());
    }

    #[test]
    fn the_latest_fire_time_is_found_for_intervals_and_cron() {
        let every_minute =
            Cadence::parse("", Some(Duration::from_secs(60)), "UTC").expect("interval");
        let at = 1_700_000_030_000;
        assert_eq!(
            latest_fire_at_or_before(&every_minute, at),
            Some(1_700_000_040_000 - 60_000)
        );
        assert_eq!(
            latest_fire_at_or_before(&every_minute, 1_700_000_040_000),
            Some(1_700_000_040_000)
        );
        // Midnight on the first of the month: found months back.
        let monthly = Cadence::parse("0 0 1 * *", None, "UTC").expect("cron");
        let mid_march_2026 = 1_773_576_000_000;
        assert_eq!(
            latest_fire_at_or_before(&monthly, mid_march_2026),
            Some(1_772_323_200_000)
        );
    }

    #[test]
    fn durations_and_percentages_read_well() {
        assert_eq!(human(723_456), "12m 3s");
        assert_eq!(human(250), "250ms");
        assert_eq!(percent(20.0), "20");
        assert_eq!(percent(35.54), "35.5");
    }
}
