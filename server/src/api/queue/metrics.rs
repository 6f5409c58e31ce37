//! Per-minute queue metrics for charts, and the live watch of every queue.

use std::time::Duration;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use zenith_proto::v1::*;

use super::QueueApi;
use crate::api::validate;
use crate::queue::{Engine, MAX_MINUTES, QueueError, SharedEngine, add_rates, proto_duration};

const MINUTE: Duration = Duration::from_secs(60);
const DEFAULT_RANGE: Duration = Duration::from_secs(3600);
const MIN_RANGE: Duration = Duration::from_secs(15 * 60);
/// Longer ranges read hourly roll-ups from SQL, so their steps are whole hours.
const MINUTE_RANGE: Duration = Duration::from_secs(MAX_MINUTES as u64 * 60);
const MAX_RANGE: Duration = Duration::from_secs(90 * 24 * 3600);
/// A default step keeps a chart to at most this many points.
const DEFAULT_POINTS: u64 = 120;

/// How often WatchQueues pushes a message.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// Queues read per round trip while building one message.
const WATCH_PAGE: usize = 1000;
/// Queues one message carries at most (the first, by name), so each tick stays bounded.
const WATCH_MAX_QUEUES: usize = 10_000;
/// Queues one WatchQueues call may name.
const WATCH_MAX_NAMED: usize = 1000;

/// A validated GetQueueMetrics request: how many points of how many minutes.
#[derive(Debug, PartialEq)]
struct Series {
    points: i64,
    step_minutes: i64,
}

fn series(request: &GetQueueMetricsRequest) -> Result<Series, QueueError> {
    let range = validate::bounded_duration(
        "range",
        request.range.as_ref(),
        DEFAULT_RANGE,
        MIN_RANGE,
        MAX_RANGE,
    )?;
    let range_minutes = range.as_secs().div_ceil(60);
    let hourly = range > MINUTE_RANGE;
    let default_step = if hourly {
        range_minutes.div_ceil(DEFAULT_POINTS).div_ceil(60) * 60
    } else {
        range_minutes.div_ceil(DEFAULT_POINTS)
    };
    let step_minutes = match validate::duration("step", request.step.as_ref())? {
        None => default_step,
        Some(step) if step.is_zero() => default_step,
        Some(step) if step.subsec_nanos() != 0 || step.as_secs() % 60 != 0 => {
            return Err(QueueError::invalid(
                "step",
                "must be a whole number of minutes",
            ));
        }
        Some(step) if hourly && step.as_secs() % 3600 != 0 => {
            return Err(QueueError::invalid(
                "step",
                "must be a whole number of hours for ranges over 48h",
            ));
        }
        Some(step) if step > range => {
            return Err(QueueError::invalid("step", "must not be longer than range"));
        }
        Some(step) => step.as_secs() / 60,
    };
    Ok(Series {
        points: range_minutes.div_ceil(step_minutes) as i64,
        step_minutes: step_minutes as i64,
    })
}

impl QueueApi {
    pub(super) async fn get_queue_metrics_rpc(
        &self,
        request: GetQueueMetricsRequest,
    ) -> Result<GetQueueMetricsResponse, tonic::Status> {
        if !request.queue.is_empty() {
            validate::name("queue", &request.queue)?;
        }
        let Series {
            points,
            step_minutes,
        } = series(&request)?;
        let queue = Some(request.queue.as_str()).filter(|queue| !queue.is_empty());
        let now_ms = self.engine.redis_time_ms().await?;
        let hours = match Engine::rolled_up_span(now_ms, points, step_minutes) {
            Some((from_ms, to_ms)) => self
                .archive
                .rollups(queue.unwrap_or_default(), from_ms, to_ms)
                .await?
                .into_iter()
                .map(|rollup| (rollup.hour_ms, rollup.fields))
                .collect(),
            None => Vec::new(),
        };
        let points = self
            .engine
            .queue_metrics(queue, now_ms, points, step_minutes, &hours)
            .await?;
        Ok(GetQueueMetricsResponse {
            points,
            step: Some(proto_duration(MINUTE * step_minutes as u32)),
        })
    }
}

pub type WatchQueuesStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<WatchQueuesResponse, tonic::Status>> + Send>,
>;

/// What one WatchQueues call carries from one message to the next.
struct Watch {
    engine: SharedEngine,
    queues: Vec<String>,
    ticker: tokio::time::Interval,
    stopping: CancellationToken,
    failed: bool,
}

impl QueueApi {
    pub(super) fn watch_queues_rpc(
        &self,
        request: WatchQueuesRequest,
    ) -> Result<WatchQueuesStream, QueueError> {
        if request.queues.len() > WATCH_MAX_NAMED {
            return Err(QueueError::invalid(
                "queues",
                format!("at most {WATCH_MAX_NAMED} queues"),
            ));
        }
        for (i, queue) in request.queues.iter().enumerate() {
            validate::name(&format!("queues[{i}]"), queue)?;
        }
        let mut ticker = tokio::time::interval(WATCH_INTERVAL);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let watch = Watch {
            engine: self.engine.clone(),
            queues: request.queues,
            ticker,
            stopping: self.engine.stopping(),
            failed: false,
        };
        // The stream ends when the client goes away (tonic drops it), at shutdown, or after
        // an error, which the client sees as the call's status.
        let stream = futures::stream::unfold(watch, |mut watch| async move {
            if watch.failed {
                return None;
            }
            let message = tokio::select! {
                biased;
                _ = watch.stopping.cancelled() => return None,
                message = async {
                    watch.ticker.tick().await;
                    snapshot(&watch.engine, &watch.queues).await
                } => message,
            };
            watch.failed = message.is_err();
            Some((message.map_err(tonic::Status::from), watch))
        });
        Ok(Box::pin(stream))
    }
}

/// Counts and rates of the named queues, or of every queue when none is named.
async fn snapshot(engine: &Engine, named: &[String]) -> Result<WatchQueuesResponse, QueueError> {
    let now_ms = engine.redis_time_ms().await?;
    let mut response = WatchQueuesResponse {
        queues: Vec::new(),
        totals: Some(QueueCounts::default()),
        total_rates: Some(QueueRates::default()),
    };
    if !named.is_empty() {
        let queues = engine.queues_named(named).await?;
        add_snapshots(engine, queues, now_ms, &mut response).await?;
        return Ok(response);
    }
    let mut after = String::new();
    while response.queues.len() < WATCH_MAX_QUEUES {
        let (queues, more) = engine.list_queues(&after, WATCH_PAGE).await?;
        if let Some(last) = queues.last() {
            after = last.name.clone();
        }
        add_snapshots(engine, queues, now_ms, &mut response).await?;
        if !more {
            break;
        }
    }
    Ok(response)
}

async fn add_snapshots(
    engine: &Engine,
    queues: Vec<Queue>,
    now_ms: i64,
    response: &mut WatchQueuesResponse,
) -> Result<(), QueueError> {
    let names: Vec<String> = queues.iter().map(|queue| queue.name.clone()).collect();
    let rates = engine.queue_rates(&names, now_ms).await?;
    let totals = response.totals.get_or_insert_default();
    let total_rates = response.total_rates.get_or_insert_default();
    for (queue, rates) in queues.into_iter().zip(rates) {
        let counts = queue.counts.unwrap_or_default();
        totals.pending += counts.pending;
        totals.scheduled += counts.scheduled;
        totals.active += counts.active;
        totals.retry += counts.retry;
        totals.dead += counts.dead;
        totals.completed += counts.completed;
        totals.cancelled += counts.cancelled;
        add_rates(total_rates, &rates);
        response.queues.push(QueueSnapshot {
            queue: Some(queue),
            rates: Some(rates),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(range_s: i64, step_s: i64) -> GetQueueMetricsRequest {
        let duration = |seconds| prost_types::Duration { seconds, nanos: 0 };
        GetQueueMetricsRequest {
            queue: String::new(),
            range: (range_s > 0).then(|| duration(range_s)),
            step: (step_s > 0).then(|| duration(step_s)),
        }
    }

    #[test]
    fn defaults_stay_within_120_points() {
        let hour = series(&request(0, 0)).unwrap();
        assert_eq!(
            hour,
            Series {
                points: 60,
                step_minutes: 1
            }
        );
        let two_days = series(&request(48 * 3600, 0)).unwrap();
        assert_eq!(
            two_days,
            Series {
                points: 120,
                step_minutes: 24
            }
        );
        assert_eq!(series(&request(900, 0)).unwrap().points, 15);
    }

    #[test]
    fn long_ranges_step_by_whole_hours() {
        let week = series(&request(7 * 24 * 3600, 0)).unwrap();
        assert_eq!(
            week,
            Series {
                points: 84,
                step_minutes: 120
            }
        );
        let quarter = series(&request(90 * 24 * 3600, 0)).unwrap();
        assert_eq!(quarter.step_minutes, 18 * 60);
        assert_eq!(quarter.points, 120);
        assert_eq!(series(&request(49 * 3600, 3600)).unwrap().points, 49);
    }

    #[test]
    fn a_step_that_does_not_divide_the_range_rounds_up() {
        let s = series(&request(3600, 7 * 60)).unwrap();
        assert_eq!(s.points, 9);
    }

    #[test]
    fn bad_ranges_and_steps_name_their_field() {
        for (range, step, field) in [
            (60, 0, "range"),
            (91 * 24 * 3600, 0, "range"),
            (3600, 90, "step"),
            (3600, 7200, "step"),
            (7 * 24 * 3600, 30 * 60, "step"),
        ] {
            match series(&request(range, step)) {
                Err(QueueError::InvalidArgument { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{range}/{step}: {other:?}"),
            }
        }
    }
}
