//! Bulk commands: act on every job matching a filter (`jobs retry|delete --filter`), purge a
//! queue, and follow, list or cancel bulk operations. Each shows the count before it acts.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, SystemTime};

use anyhow::bail;
use clap::Subcommand;
use zenith_proto::to_json;
use zenith_proto::v1::{ListBulkOperationsRequest, StartBulkOperationRequest};
use zenith_sdk::{BulkAction, BulkOperation, BulkOperationStatus, Client, JobState};
use zenith_server::queue::state_name;

use super::ClientArgs;
use super::ops::{connect, print_json};
use super::output::{Table, full_timestamp};

#[derive(Subcommand)]
pub enum BulkCommand {
    /// Lists bulk operations, newest first.
    List {
        /// Only this queue's operations.
        #[arg(long)]
        queue: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: i32,
    },
    /// Shows one bulk operation.
    Get {
        /// Operation id.
        id: String,
    },
    /// Stops a running bulk operation after its current chunk.
    Cancel {
        /// Operation id.
        id: String,
    },
}

/// What to select for a bulk action on jobs.
pub struct Selection {
    pub queue: String,
    pub state: JobState,
    pub filter: String,
    pub dry_run: bool,
    pub yes: bool,
}

fn action_name(action: BulkAction) -> &'static str {
    match action {
        BulkAction::Retry => "retry",
        BulkAction::Promote => "promote",
        BulkAction::Delete => "delete",
        BulkAction::Cancel => "cancel",
        BulkAction::Unspecified => "act on",
    }
}

fn status_name(status: BulkOperationStatus) -> &'static str {
    match status {
        BulkOperationStatus::Running => "running",
        BulkOperationStatus::Succeeded => "succeeded",
        BulkOperationStatus::Cancelled => "cancelled",
        BulkOperationStatus::Failed => "failed",
        BulkOperationStatus::Unspecified => "unknown",
    }
}

/// Asks on the terminal; without one, only `--yes` lets the command act.
fn confirm(question: &str, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("{question}: pass --yes to confirm without a terminal");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        bail!("nothing changed");
    }
    Ok(())
}

/// Counts the selection, asks, starts the operation and follows it to the end.
pub async fn act(
    args: &ClientArgs,
    action: BulkAction,
    selection: Selection,
    reason: String,
) -> anyhow::Result<()> {
    let client = connect(args).await?;
    let state = state_name(selection.state);
    let count = client
        .count_jobs(&selection.queue, selection.state, &selection.filter)
        .await?;
    let matching = if selection.filter.is_empty() {
        String::new()
    } else {
        format!(" matching {}", selection.filter)
    };
    eprintln!("{count} {state} jobs of {}{matching}", selection.queue);
    if selection.dry_run || count == 0 {
        if args.json {
            println!("{}", serde_json::json!({ "count": count.to_string() }));
        }
        return Ok(());
    }
    confirm(
        &format!(
            "{} {count} {state} jobs of {}",
            action_name(action),
            selection.queue
        ),
        selection.yes,
    )?;
    let operation = client
        .start_bulk_operation_with(StartBulkOperationRequest {
            queue: selection.queue,
            state: selection.state.into(),
            filter: selection.filter,
            action: action.into(),
            reason,
            request_id: String::new(),
        })
        .await?;
    follow(args, &client, operation).await
}

/// Counts what a purge removes, asks, and follows the purge to the end.
pub async fn purge(
    args: &ClientArgs,
    queue: &str,
    state: Option<JobState>,
    yes: bool,
) -> anyhow::Result<()> {
    let client = connect(args).await?;
    let counts = client.get_queue(queue).await?.counts.unwrap_or_default();
    let (count, what) = match state {
        Some(state) => (
            client.count_jobs(queue, state, "").await?,
            format!("{} jobs", state_name(state)),
        ),
        None => (
            counts.pending
                + counts.scheduled
                + counts.retry
                + counts.dead
                + counts.completed
                + counts.cancelled,
            "jobs (all but active)".to_owned(),
        ),
    };
    eprintln!("{count} {what} in {queue}");
    confirm(&format!("delete {count} {what} of {queue}"), yes)?;
    let operation = client.purge_queue(queue, state).await?;
    follow(args, &client, operation).await
}

/// Polls the operation until it ends, drawing a progress bar on a terminal, then prints it.
async fn follow(
    args: &ClientArgs,
    client: &Client,
    mut operation: BulkOperation,
) -> anyhow::Result<()> {
    let terminal = std::io::stderr().is_terminal();
    while operation.status() == BulkOperationStatus::Running {
        if terminal {
            eprint!("\r{}", progress_bar(&operation));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        operation = client.get_bulk_operation(&operation.id).await?;
    }
    if terminal {
        eprintln!("\r{}", progress_bar(&operation));
    }
    print_operation(args, &operation)?;
    match operation.status() {
        BulkOperationStatus::Succeeded => Ok(()),
        status => bail!(
            "bulk operation {} {}{}",
            operation.id,
            status_name(status),
            if operation.error.is_empty() {
                String::new()
            } else {
                format!(": {}", operation.error)
            }
        ),
    }
}

/// `[#########...........]  4,500/10,000 examined, 2,000 done`.
fn progress_bar(operation: &BulkOperation) -> String {
    const WIDTH: usize = 30;
    let total = operation.total.max(operation.examined).max(1);
    let filled = (operation.examined.min(total) as usize * WIDTH) / total as usize;
    format!(
        "[{}{}] {}/{} examined, {} done",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
        operation.examined,
        total,
        operation.done
    )
}

fn print_operation(args: &ClientArgs, operation: &BulkOperation) -> anyhow::Result<()> {
    if args.json {
        return print_json(to_json(operation), None);
    }
    let states: Vec<&str> = operation.states().map(state_name).collect();
    println!("operation  {}", operation.id);
    println!("queue      {}", operation.queue);
    println!(
        "action     {} {}",
        action_name(operation.action()),
        states.join(", ")
    );
    if !operation.filter.is_empty() {
        println!("filter     {}", operation.filter);
    }
    println!("status     {}", status_name(operation.status()));
    println!(
        "jobs       {} examined, {} matched, {} done, {} skipped",
        operation.examined, operation.matched, operation.done, operation.skipped
    );
    let now = SystemTime::now();
    println!(
        "started    {}",
        full_timestamp(operation.created_at.as_ref(), now)
    );
    if operation.finished_at.is_some() {
        println!(
            "finished   {}",
            full_timestamp(operation.finished_at.as_ref(), now)
        );
    }
    if !operation.error.is_empty() {
        println!("error      {}", operation.error);
    }
    Ok(())
}

pub async fn command(args: &ClientArgs, command: BulkCommand) -> anyhow::Result<()> {
    let client = connect(args).await?;
    match command {
        BulkCommand::Get { id } => print_operation(args, &client.get_bulk_operation(id).await?),
        BulkCommand::Cancel { id } => {
            print_operation(args, &client.cancel_bulk_operation(id).await?)
        }
        BulkCommand::List { queue, limit } => {
            let response = client
                .list_bulk_operations(ListBulkOperationsRequest {
                    queue: queue.unwrap_or_default(),
                    page_size: limit,
                    page_token: String::new(),
                })
                .await?;
            if args.json {
                return print_json(to_json(&response), Some("operations"));
            }
            if response.operations.is_empty() {
                println!("no bulk operations");
                return Ok(());
            }
            let mut table = Table::new(&[
                "OPERATION",
                "QUEUE",
                "ACTION",
                "STATUS",
                "EXAMINED>",
                "DONE>",
                "FILTER",
            ]);
            for op in &response.operations {
                table.row(vec![
                    op.id.clone(),
                    op.queue.clone(),
                    action_name(op.action()).to_owned(),
                    status_name(op.status()).to_owned(),
                    op.examined.to_string(),
                    op.done.to_string(),
                    op.filter.clone(),
                ]);
            }
            print!("{}", table.render());
            Ok(())
        }
    }
}
