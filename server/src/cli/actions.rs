//! `zenith jobs retry|promote|delete|cancel ID...`: operator actions on jobs by id.

use anyhow::bail;
use clap::Args;
use zenith_proto::to_json;
use zenith_proto::v1::{JobActionOutcome, JobActionResult};
use zenith_sdk::{BulkAction, JobState};
use zenith_server::queue::state_name;

use super::bulk::{self, Selection};
use super::ops::connect;
use super::output::{Table, one_line};
use super::{ClientArgs, parse_state};

/// Instead of ids: every job of `--queue` in `--state` matching `--filter`, as one bulk
/// operation on the server, counted and confirmed first.
#[derive(Args)]
pub struct SelectArgs {
    /// Act on every job of --queue in this state (narrowed by --filter) instead of on ids.
    #[arg(long, value_parser = parse_state, requires = "queue")]
    pub state: Option<JobState>,
    /// Only jobs matching this expression (see proto/zenith/v1/FILTER.md); needs --state.
    #[arg(long, requires = "state")]
    pub filter: Option<String>,
    /// Only count the jobs --state and --filter select.
    #[arg(long, requires = "state")]
    pub dry_run: bool,
    /// Do not ask before acting on the selected jobs.
    #[arg(long, requires = "state")]
    pub yes: bool,
}

impl SelectArgs {
    /// The bulk selection, when one was given instead of ids.
    fn selection(
        &self,
        ids: &[String],
        queue: &Option<String>,
    ) -> anyhow::Result<Option<Selection>> {
        let Some(state) = self.state else {
            return Ok(None);
        };
        if !ids.is_empty() {
            bail!("give job ids or --state, not both");
        }
        Ok(Some(Selection {
            queue: queue.clone().unwrap_or_default(),
            state,
            filter: self.filter.clone().unwrap_or_default(),
            dry_run: self.dry_run,
            yes: self.yes,
        }))
    }
}

/// The jobs an action takes: ids, or with `--state` every job of `--queue` in that state.
#[derive(Args)]
pub struct TargetArgs {
    /// Job ids (up to 1,000).
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// The jobs' queue: saves the server a lookup for ids; required with --state.
    #[arg(long)]
    pub queue: Option<String>,
    #[command(flatten)]
    pub select: SelectArgs,
}

#[derive(Args)]
pub struct CancelArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Why, shown with each job (at most 1 KiB).
    #[arg(long, default_value = "")]
    pub reason: String,
}

/// Acts on the ids one batch at a time, or on the selection as one bulk operation.
pub async fn act(
    args: &ClientArgs,
    action: BulkAction,
    target: TargetArgs,
    reason: String,
) -> anyhow::Result<()> {
    if let Some(selection) = target.select.selection(&target.ids, &target.queue)? {
        return bulk::act(args, action, selection, reason).await;
    }
    let (verb, done) = match action {
        BulkAction::Retry => ("retry", "retried"),
        BulkAction::Promote => ("promote", "promoted"),
        BulkAction::Delete => ("delete", "deleted"),
        BulkAction::Cancel | BulkAction::Unspecified => ("cancel", "cancelled"),
    };
    let ids = require_ids(target.ids, verb)?;
    let queue = target.queue.unwrap_or_default();
    let client = connect(args).await?;
    let results = match action {
        BulkAction::Retry => client.batch_retry_jobs(ids, queue).await?,
        BulkAction::Promote => client.batch_promote_jobs(ids, queue).await?,
        BulkAction::Delete => client.batch_delete_jobs(ids, queue).await?,
        BulkAction::Cancel | BulkAction::Unspecified => {
            client.batch_cancel_jobs(ids, queue, reason).await?
        }
    };
    report(args, done, &results)
}

/// Ids are optional to clap because `--state` selects jobs instead.
fn require_ids(ids: Vec<String>, action: &str) -> anyhow::Result<Vec<String>> {
    if ids.is_empty() {
        bail!("no job ids given; usage: zenith jobs {action} ID... or --queue Q --state S");
    }
    Ok(ids)
}

/// Prints a line per job (or the JSON results) and fails when any job was not acted on.
fn report(args: &ClientArgs, done: &str, results: &[JobActionResult]) -> anyhow::Result<()> {
    if args.json {
        let results: Vec<serde_json::Value> = results.iter().map(to_json).collect();
        let document = serde_json::json!({ "results": results });
        println!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        let mut table = Table::new(&["ID", "OUTCOME", "STATE", "MESSAGE"]);
        for result in results {
            table.row(vec![
                result.id.clone(),
                outcome_name(result.outcome()).to_owned(),
                match result.state() {
                    zenith_sdk::JobState::Unspecified => "-".to_owned(),
                    state => state_name(state).to_owned(),
                },
                one_line(&result.message, 120),
            ]);
        }
        print!("{}", table.render());
    }
    let missed = results
        .iter()
        .filter(|result| {
            !matches!(
                result.outcome(),
                JobActionOutcome::Done | JobActionOutcome::Requested
            )
        })
        .count();
    if missed > 0 {
        bail!("{missed} of {} jobs not {done}", results.len());
    }
    Ok(())
}

fn outcome_name(outcome: JobActionOutcome) -> &'static str {
    match outcome {
        JobActionOutcome::Done => "done",
        JobActionOutcome::Requested => "requested",
        JobActionOutcome::NotFound => "not_found",
        JobActionOutcome::WrongState => "wrong_state",
        JobActionOutcome::Unspecified => "unspecified",
    }
}
