//! `zenith queues metrics`: a queue's (or every queue's) per-minute series as a table; and
//! `zenith queues purge`.

use std::time::Duration;

use clap::Subcommand;
use zenith_proto::to_json;
use zenith_proto::v1::queue_service_client::QueueServiceClient;
use zenith_proto::v1::{DurationSummary, GetQueueMetricsRequest};
use zenith_sdk::{JobState, from_proto_timestamp};

use super::output::{Table, proto_duration, rfc3339_seconds};
use super::{ClientArgs, ops, parse_duration, parse_state, transport};

#[derive(Subcommand)]
pub enum QueuesCommand {
    /// Jobs enqueued, completed, failed and retried per step, with wait and run times.
    Metrics {
        /// Queue name [default: every queue, summed].
        queue: Option<String>,
        /// How far back, from 15m to 48h.
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        range: Duration,
        /// Width of one row in whole minutes [default: at most 120 rows].
        #[arg(long, value_parser = parse_duration)]
        step: Option<Duration>,
    },
    /// Deletes every job of a queue in one state, or in every state but active.
    Purge {
        /// Queue name.
        queue: String,
        /// Only jobs in this state [default: every state but active].
        #[arg(long, value_parser = parse_state)]
        state: Option<JobState>,
        /// Do not ask first.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(args: &ClientArgs, command: QueuesCommand) -> anyhow::Result<()> {
    match command {
        QueuesCommand::Metrics { queue, range, step } => series(args, queue, range, step).await,
        QueuesCommand::Purge { queue, state, yes } => {
            super::bulk::purge(args, &queue, state, yes).await
        }
    }
}

async fn series(
    args: &ClientArgs,
    queue: Option<String>,
    range: Duration,
    step: Option<Duration>,
) -> anyhow::Result<()> {
    let mut client = QueueServiceClient::new(transport(args).await?);
    let to_proto = |d: Duration| prost_types::Duration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    };
    let response = client
        .get_queue_metrics(GetQueueMetricsRequest {
            queue: queue.unwrap_or_default(),
            range: Some(to_proto(range)),
            step: step.map(to_proto),
        })
        .await?
        .into_inner();
    if args.json {
        return ops::print_json(to_json(&response), Some("points"));
    }
    let mut table = Table::new(&[
        "START",
        "ENQUEUED>",
        "COMPLETED>",
        "FAILED>",
        "RETRIED>",
        "WAIT P50>",
        "WAIT P95>",
        "RUN MEAN>",
        "RUN P95>",
        "RUN MAX>",
    ]);
    for point in &response.points {
        let start = point.start.as_ref().map_or_else(
            || "-".to_owned(),
            |start| rfc3339_seconds(from_proto_timestamp(start)),
        );
        let wait = point.wait.unwrap_or_default();
        let run = point.run.unwrap_or_default();
        table.row(vec![
            start,
            point.enqueued.to_string(),
            point.completed.to_string(),
            point.failed.to_string(),
            point.retried.to_string(),
            summary(&wait, wait.p50),
            summary(&wait, wait.p95),
            summary(&run, run.mean),
            summary(&run, run.p95),
            summary(&run, run.max),
        ]);
    }
    print!("{}", table.render());
    Ok(())
}

/// One statistic of a summary, or `-` when nothing was measured.
fn summary(summary: &DurationSummary, value: Option<prost_types::Duration>) -> String {
    if summary.count == 0 {
        "-".to_owned()
    } else {
        proto_duration(value.as_ref())
    }
}
