//! `zenith jobs retry|promote|delete|cancel ID...`: operator actions on jobs by id.

use anyhow::bail;
use clap::Args;
use zenith_proto::to_json;
use zenith_proto::v1::{JobActionOutcome, JobActionResult};
use zenith_sdk::Client;
use zenith_server::queue::state_name;

use super::ClientArgs;
use super::output::{Table, one_line};

#[derive(Args)]
pub struct RetryArgs {
    /// Job ids (up to 1,000): dead, retry or scheduled jobs become pending now, with their
    /// attempts counted afresh.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// The queue all the jobs are in, which saves the server a lookup.
    #[arg(long)]
    pub queue: Option<String>,
}

#[derive(Args)]
pub struct PromoteArgs {
    /// Job ids (up to 1,000): scheduled or retry jobs become pending now.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// The queue all the jobs are in, which saves the server a lookup.
    #[arg(long)]
    pub queue: Option<String>,
}

#[derive(Args)]
pub struct DeleteArgs {
    /// Job ids (up to 1,000) of jobs that are not active.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// The queue all the jobs are in, which saves the server a lookup.
    #[arg(long)]
    pub queue: Option<String>,
}

#[derive(Args)]
pub struct CancelArgs {
    /// Job ids (up to 1,000): pending, scheduled and retry jobs are cancelled at once; active
    /// ones are asked to stop and end cancelled when their worker gives them up.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// The queue all the jobs are in, which saves the server a lookup.
    #[arg(long)]
    pub queue: Option<String>,
    /// Why, shown with each job (at most 1 KiB).
    #[arg(long, default_value = "")]
    pub reason: String,
}

pub async fn retry(args: &ClientArgs, retry: RetryArgs) -> anyhow::Result<()> {
    let ids = require_ids(retry.ids, "retry")?;
    let client = connect(args).await?;
    let results = client
        .batch_retry_jobs(ids, retry.queue.unwrap_or_default())
        .await?;
    report(args, "retried", &results)
}

pub async fn promote(args: &ClientArgs, promote: PromoteArgs) -> anyhow::Result<()> {
    let ids = require_ids(promote.ids, "promote")?;
    let client = connect(args).await?;
    let results = client
        .batch_promote_jobs(ids, promote.queue.unwrap_or_default())
        .await?;
    report(args, "promoted", &results)
}

pub async fn delete(args: &ClientArgs, delete: DeleteArgs) -> anyhow::Result<()> {
    let ids = require_ids(delete.ids, "delete")?;
    let client = connect(args).await?;
    let results = client
        .batch_delete_jobs(ids, delete.queue.unwrap_or_default())
        .await?;
    report(args, "deleted", &results)
}

pub async fn cancel(args: &ClientArgs, cancel: CancelArgs) -> anyhow::Result<()> {
    let ids = require_ids(cancel.ids, "cancel")?;
    let client = connect(args).await?;
    let results = client
        .batch_cancel_jobs(ids, cancel.queue.unwrap_or_default(), cancel.reason)
        .await?;
    report(args, "cancelled", &results)
}

/// Ids are optional to clap so that other ways of choosing jobs can join them; for now they are
/// the only way.
fn require_ids(ids: Vec<String>, action: &str) -> anyhow::Result<Vec<String>> {
    if ids.is_empty() {
        bail!("no job ids given; usage: zenith jobs {action} ID...");
    }
    Ok(ids)
}

async fn connect(args: &ClientArgs) -> anyhow::Result<Client> {
    Ok(Client::connect(args.server.clone()).await?)
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
